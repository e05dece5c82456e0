"""The client, asynchronous calls and streaming, all through the pull API.

No C callback is ever given to the library here: a call is started with a
NULL done callback, its response is taken with oai_call_take_response()
once oai_call_is_done() says so, and a streamed call's events are pulled
with oai_call_next_event().
"""

import ctypes
import time

from . import errors
from ._lib import lib, event_p, token_fn_t
from ._util import Owned, b, check, path_arg, s
from .request import chat_completion_create, file_create, file_retrieve, file_retrieve_content
from .response import Event, Response, EVENT_TEXT

# Flags of Client.warm_up().
WARM_UP_CA = 1
WARM_UP_CONNECT = 2

# How long one wait inside a blocking helper lasts at most (ms), so that
# Ctrl-C is seen between waits.
_WAIT_SLICE_MS = 100


class _Handle:
    """A raw C handle and its free function, shared between a Python object
    and the client it depends on (pagers and large uploads must not outlive
    their client: the client frees them first when it closes)."""

    __slots__ = ("ptr", "free_fn", "__weakref__")

    def __init__(self, ptr, free_fn):
        self.ptr = ptr
        self.free_fn = free_fn

    def free(self):
        p, self.ptr = self.ptr, None
        if p:
            self.free_fn(p)


class Client(Owned):
    """An oai_client. Created from the environment (OPENAI_API_KEY,
    OPENAI_BASE_URL, ...) like oai_client_new(), then given the options
    passed here. A context manager: close() frees it; so does collection.

    Options (None leaves the library's default): base_url, api_key,
    organization, project, headers (a dict; a None value removes a header),
    user_agent, platform_headers, timeout_ms, connect_timeout_ms,
    idle_timeout_ms, first_byte_timeout_ms, max_retries, retry_backoff_ms
    (base, max), retry_after_cap_ms, max_response_bytes, poll_budget_us,
    ca_file, ca_pem (PEM certificates in memory, bytes or str), proxy,
    log_level (0-4, logs to stderr), query (a dict of query parameters sent
    with every request: oai_client_set_query), token_provider (a function
    returning a bearer token, called before every attempt:
    set_token_provider)."""

    _what = "client"

    def _new_handle(self):
        return lib.oai_client_new()

    def _configure(self):
        pass

    def __init__(self, base_url=None, api_key=None, *, organization=None, project=None, headers=None,
                 user_agent=None, platform_headers=None, timeout_ms=None, connect_timeout_ms=None,
                 idle_timeout_ms=None, first_byte_timeout_ms=None, max_retries=None, retry_backoff_ms=None,
                 retry_after_cap_ms=None, max_response_bytes=None, poll_budget_us=None, ca_file=None, ca_pem=None,
                 proxy=None, log_level=None, query=None, token_provider=None):
        self._h = None
        self._free = lib.oai_client_free
        self._dependents = {}
        # The ctypes callback of token_provider (alive while C may call it)
        # and a box holding what the provider raised last, shared with clones.
        self._token_fn = None
        self._token_box = [None]
        h = self._new_handle()
        if not h:
            raise errors.OutOfMemoryError("oai_client_new: out of memory, or the transport could not start")
        self._h = h
        try:
            self._configure()
            if base_url is not None:
                check(lib.oai_client_set_base_url(h, b(base_url)), what="base_url %r" % (base_url,))
            if api_key is not None:
                check(lib.oai_client_set_api_key(h, b(api_key)), what="api_key")
            if organization is not None:
                check(lib.oai_client_set_organization(h, b(organization)), what="organization")
            if project is not None:
                check(lib.oai_client_set_project(h, b(project)), what="project")
            for name, value in (headers or {}).items():
                check(lib.oai_client_set_header(h, b(name), None if value is None else b(value)),
                      what="header %r" % (name,))
            if user_agent is not None:
                check(lib.oai_client_set_user_agent(h, b(user_agent)), what="user_agent")
            if platform_headers is not None:
                check(lib.oai_client_set_platform_headers(h, 1 if platform_headers else 0))
            for value, fn, what in ((timeout_ms, lib.oai_client_set_timeout_ms, "timeout_ms"),
                                    (connect_timeout_ms, lib.oai_client_set_connect_timeout_ms,
                                     "connect_timeout_ms"),
                                    (idle_timeout_ms, lib.oai_client_set_idle_timeout_ms, "idle_timeout_ms"),
                                    (first_byte_timeout_ms, lib.oai_client_set_first_byte_timeout_ms,
                                     "first_byte_timeout_ms"),
                                    (retry_after_cap_ms, lib.oai_client_set_retry_after_cap_ms,
                                     "retry_after_cap_ms"),
                                    (max_response_bytes, lib.oai_client_set_max_response_bytes,
                                     "max_response_bytes"),
                                    (poll_budget_us, lib.oai_client_set_poll_budget_us, "poll_budget_us")):
                if value is not None:
                    check(fn(h, int(value)), what=what)
            if max_retries is not None:
                check(lib.oai_client_set_max_retries(h, int(max_retries)), what="max_retries")
            if retry_backoff_ms is not None:
                base, most = retry_backoff_ms
                check(lib.oai_client_set_retry_backoff_ms(h, int(base), int(most)), what="retry_backoff_ms")
            if ca_file is not None:
                check(lib.oai_client_set_ca_file(h, path_arg(ca_file)), what="ca_file")
            if ca_pem is not None:
                pem = b(ca_pem)
                check(lib.oai_client_set_ca_blob(h, pem, len(pem)), what="ca_pem")
            if proxy is not None:
                check(lib.oai_client_set_proxy(h, b(proxy)), what="proxy")
            if log_level is not None:
                check(lib.oai_client_set_log_level(h, int(log_level)), what="log_level")
            for name, value in (query or {}).items():
                self.set_query(name, value)
            if token_provider is not None:
                self.set_token_provider(token_provider)
            st = lib.oai_client_status(h)
            if st != errors.OK:
                raise errors.error_class(st)(s(lib.oai_client_error_message(h)), status=st)
        except BaseException:
            self.close()
            raise

    # ---- lifetime ----------------------------------------------------------

    @property
    def closed(self):
        return not self._h

    def close(self):
        """Frees the client: its pagers and large uploads first, then the
        client, which ends its running calls (Call objects stay valid: they
        report OAI_ERR_CANCELLED)."""
        for dep in list(self._dependents.values()):
            dep.free()
        self._dependents.clear()
        super().close()

    def _adopt_dependent(self, ptr, free_fn):
        dep = _Handle(ptr, free_fn)
        self._dependents[id(dep)] = dep
        return dep

    def _release_dependent(self, dep):
        self._dependents.pop(id(dep), None)
        dep.free()

    @property
    def base_url(self):
        return s(lib.oai_client_base_url(self.handle))

    def warm_up(self, flags=0):
        """Does the first HTTPS connection's one-time work now (oai_client_warm_up)."""
        check(lib.oai_client_warm_up(self.handle, int(flags)), what="warm_up")

    # ---- blocking ----------------------------------------------------------

    def send(self, request, raise_on_error=True):
        """Sends a request and waits (retrying per the policy). Returns the
        Response; on failure raises its OAIError subclass (with
        raise_on_error=False, returns the failed Response instead)."""
        self._token_box[0] = None
        res = Response(lib.oai_client_send(self.handle, request.handle))
        if raise_on_error and res.status != errors.OK:
            err = res.error()
            cause = self._token_box[0]
            if cause is not None:
                raise err from cause
            raise err
        return res

    # ---- asynchronous: the pull API ------------------------------------------

    def start(self, request, stream=False):
        """Starts a request without waiting and returns its Call. With
        stream=True the call streams (on a copy of the request: the request
        itself is not changed) and its events are pulled from the Call."""
        if stream:
            with request.clone() as copy:
                copy.set_stream(True)
                h = lib.oai_client_start(self.handle, copy.handle, None, None)
        else:
            h = lib.oai_client_start(self.handle, request.handle, None, None)
        if not h:
            raise errors.OutOfMemoryError("oai_client_start: out of memory")
        return Call(self, h)

    def stream(self, request):
        """Starts a streamed call; iterate the returned Call for its events."""
        return self.start(request, stream=True)

    def poll(self, timeout_ms=0):
        """Advances every running call, waiting at most timeout_ms for
        something to happen (0: do not wait; negative: until something
        happens). Returns the number of calls still running."""
        n = lib.oai_client_poll(self.handle, int(timeout_ms))
        if n < 0:
            check(-n, what="oai_client_poll")
        return n

    def wakeup(self):
        """Makes a poll in another thread return early (oai_client_wakeup)."""
        lib.oai_client_wakeup(self.handle)

    def wait(self, calls, timeout_ms=None):
        """Polls until every call in calls is done (or timeout_ms passed).
        Returns True when all are done."""
        deadline = None if timeout_ms is None else time.monotonic() + timeout_ms / 1000.0
        while not all(c.done() for c in calls):
            if deadline is not None:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    return False
                self.poll(min(left, _WAIT_SLICE_MS))
            else:
                self.poll(_WAIT_SLICE_MS)
        return True

    # ---- conveniences ----------------------------------------------------------

    def chat(self, model, messages, tools=(), **fields):
        """Sends a chat completion; returns the Response (res.text is the answer)."""
        with chat_completion_create(model, messages, tools, **fields) as req:
            return self.send(req)

    def chat_stream(self, model, messages, tools=(), **fields):
        """Starts a streamed chat completion; iterate the Call for its events."""
        with chat_completion_create(model, messages, tools, **fields) as req:
            return self.stream(req)

    def upload_file(self, path, purpose):
        """Uploads a file (POST /files, streamed from disk); returns the File object's Response."""
        with file_create(path, purpose) as req:
            return self.send(req)

    def retrieve_file(self, file_id):
        with file_retrieve(file_id) as req:
            return self.send(req)

    def download_file(self, file_id, path):
        """Writes a file's content to path (atomically: a failure leaves an
        existing file untouched); returns the Response."""
        with file_retrieve_content(file_id, output_path=path) as req:
            return self.send(req)

    def paginate(self, request, max_items=0):
        """Iterates every item (a dict) of a cursor-paginated list request."""
        from .workflows import Pager
        return Pager(self, request, max_items)

    def start_paginate(self, request, max_items=0):
        """Walks a list without waiting (oai_pager_start): a Call whose
        events are EVENT_ITEM, one per item (event.json)."""
        from .workflows import Pager
        return Pager(self, request, max_items).start()

    def upload_large_file(self, path, purpose, mime_type=None, part_size=None, resume_upload_id=None,
                          resume_part_ids=(), on_progress=None):
        """Uploads a large file through the Uploads API, waiting; see workflows.upload_large_file."""
        from .workflows import upload_large_file
        return upload_large_file(self, path, purpose, mime_type, part_size, resume_upload_id, resume_part_ids,
                                 on_progress)

    def start_large_upload(self, path, purpose, mime_type=None, part_size=None, resume_upload_id=None,
                           resume_part_ids=()):
        """Starts a large upload without waiting; see workflows.start_large_upload."""
        from .workflows import start_large_upload
        return start_large_upload(self, path, purpose, mime_type, part_size, resume_upload_id, resume_part_ids)

    def follow_fine_tuning_job(self, job_id, poll_interval_ms=1000, on_event=None):
        """Follows a fine-tuning job until it ends, waiting; see workflows.follow_fine_tuning_job."""
        from .workflows import follow_fine_tuning_job
        return follow_fine_tuning_job(self, job_id, poll_interval_ms, on_event)

    def start_follow_fine_tuning_job(self, job_id, poll_interval_ms=1000):
        """Follows a fine-tuning job without waiting; see workflows.start_follow_fine_tuning_job."""
        from .workflows import start_follow_fine_tuning_job
        return start_follow_fine_tuning_job(self, job_id, poll_interval_ms)

    def wait_for_batch(self, batch_id, poll_interval_ms=1000):
        """Waits for a batch to end; see workflows.wait_for_batch."""
        from .workflows import wait_for_batch
        return wait_for_batch(self, batch_id, poll_interval_ms)

    def start_wait_for_batch(self, batch_id, poll_interval_ms=1000):
        """Waits for a batch without blocking; see workflows.start_wait_for_batch."""
        from .workflows import start_wait_for_batch
        return start_wait_for_batch(self, batch_id, poll_interval_ms)

    def send_with_tools(self, request, tool, max_steps=0):
        """The tool loop, waiting: tool(pending_call) answers each tool call,
        called from Python between polls; see tools.send_with_tools."""
        from .tools import send_with_tools
        return send_with_tools(self, request, tool, max_steps)

    def start_send_with_tools(self, request, max_steps=0):
        """The tool loop without waiting: a ToolLoopCall whose tool calls are
        pulled and answered (call.answer()); see tools.start_send_with_tools."""
        from .tools import start_send_with_tools
        return start_send_with_tools(self, request, max_steps)

    def webhook(self, secret=None, tolerance_ms=None):
        """A Webhook verifier with secret, or with the client's webhook
        secret (OPENAI_WEBHOOK_SECRET) when secret is None."""
        from .webhooks import Webhook
        return Webhook(secret, client=self, tolerance_ms=tolerance_ms)

    def set_webhook_secret(self, secret):
        """Sets the secret webhook() takes when given none (None clears it)."""
        check(lib.oai_client_set_webhook_secret(self.handle, b(secret)), what="webhook secret")

    # ---- client-wide defaults, copies, credentials ---------------------------

    def set_query(self, name, value):
        """A query parameter sent with every request (oai_client_set_query);
        a request's own parameter of that name wins; None removes it."""
        check(lib.oai_client_set_query(self.handle, b(name), None if value is None else b(value)),
              what="query %r" % (name,))
        return self

    def query(self, name):
        """The client's default query parameter name, or None."""
        return s(lib.oai_client_query(self.handle, b(name)))

    def clone(self):
        """A copy of the client to change without touching this one
        (oai_client_clone): every option, the token provider included; not
        its calls. Its own object: close it (or let it be collected)."""
        h = lib.oai_client_clone(self.handle)
        if not h:
            raise errors.OutOfMemoryError("oai_client_clone: out of memory")
        copy = object.__new__(type(self))
        copy._h = h
        copy._free = lib.oai_client_free
        copy._dependents = {}
        copy._token_fn = self._token_fn    # the C clone calls the same callback
        copy._token_box = self._token_box
        return copy

    def set_token_provider(self, provider):
        """Sets (None: clears) the bearer-token provider
        (oai_client_set_token_callback): provider() returns the token (str
        or bytes, without "Bearer ") and is called before every attempt of
        every request, retries included (a 401 is retried once with a fresh
        token), inside send() or poll() on this thread. Returning None or
        raising fails the call with AuthenticationError; the exception
        raised is its __cause__ (send()) and token_provider_error. The
        client (and each clone) keeps the callback alive."""
        if provider is None:
            check(lib.oai_client_set_token_callback(self.handle, token_fn_t(), None), what="token_provider")
            self._token_fn = None
            return self
        if not callable(provider):
            raise errors.InvalidArgumentError("token_provider must be callable")
        box = self._token_box

        def trampoline(userdata, buf, size):
            # Never lets an exception reach ctypes (it would be printed and
            # the status would be 0): it is kept and the call fails.
            try:
                token = provider()
                if token is None:
                    raise ValueError("the token provider returned None")
                raw = b(token)
                if len(raw) + 1 > size:
                    raise ValueError("the token is longer than OAI_TOKEN_MAX")
                ctypes.memmove(buf, raw + b"\0", len(raw) + 1)
                return errors.OK
            except Exception as e:  # noqa: BLE001
                box[0] = e
                return errors.ERR_AUTHENTICATION

        fn = token_fn_t(trampoline)
        check(lib.oai_client_set_token_callback(self.handle, fn, None), what="token_provider")
        self._token_fn = fn
        return self

    @property
    def token_provider_error(self):
        """What the token provider raised during the last send() (or any
        later call), or None."""
        return self._token_box[0]

    # ---- Azure OpenAI --------------------------------------------------------

    @property
    def is_azure(self):
        """True for an AzureClient (or a clone of one)."""
        return bool(lib.oai_client_is_azure(self.handle))

    def set_azure_endpoint(self, endpoint):
        check(lib.oai_client_set_azure_endpoint(self.handle, b(endpoint)), what="azure_endpoint %r" % (endpoint,))
        return self

    def set_azure_deployment(self, deployment):
        check(lib.oai_client_set_azure_deployment(self.handle, b(deployment)), what="azure_deployment")
        return self

    def set_azure_api_version(self, api_version):
        check(lib.oai_client_set_azure_api_version(self.handle, b(api_version)), what="api_version")
        return self

    def set_azure_ad_token(self, token):
        check(lib.oai_client_set_azure_ad_token(self.handle, b(token)), what="azure_ad_token")
        return self

    def __repr__(self):
        if not self._h:
            return "<oai.Client closed>"
        return "<oai.Client %s>" % self.base_url


class AzureClient(Client):
    """An Azure OpenAI client (oai_client_azure_new, docs/azure.md), from
    the environment as the official AzureOpenAI client: AZURE_OPENAI_API_KEY,
    AZURE_OPENAI_AD_TOKEN, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION; then
    given endpoint, api_version, deployment, ad_token (a fixed Entra ID
    token) and every option of Client (api_key is sent as the api-key
    header; token_provider for Entra ID tokens that expire). What is
    missing (endpoint, version, credential) fails each call with
    InvalidArgumentError naming the variable and the setter."""

    def __init__(self, endpoint=None, api_version=None, deployment=None, ad_token=None, **options):
        self._azure = (endpoint, api_version, deployment, ad_token)
        Client.__init__(self, **options)

    def _new_handle(self):
        return lib.oai_client_azure_new()

    def _configure(self):
        endpoint, api_version, deployment, ad_token = self._azure
        if endpoint is not None:
            self.set_azure_endpoint(endpoint)
        if api_version is not None:
            self.set_azure_api_version(api_version)
        if deployment is not None:
            self.set_azure_deployment(deployment)
        if ad_token is not None:
            self.set_azure_ad_token(ad_token)


class Call(Owned):
    """An asynchronous call (oai_call), owned by this object until close()
    (or collection) frees it.

    The C call stays valid after it ended and after its client was freed,
    so a Call may be closed in any order with its Client: a call whose
    client was closed is done, with OAI_ERR_CANCELLED.

    Iterating a Call yields its stream events (Event) as they arrive,
    polling the client while none is waiting; when the stream has ended,
    the iteration ends, raising the call's OAIError if it failed. result()
    gives the Response."""

    _what = "call"

    def __init__(self, client, handle, keep=None):
        self._client = client
        self._h = handle
        self._free = lib.oai_call_free
        self._keep = keep           # what the C call works on (a workflow's pager or upload)
        self._response = None
        self._taken = False
        self._texts = []
        self.raise_on_error = True

    # ---- lifetime ----------------------------------------------------------

    def close(self):
        """Frees the call (a running call is cancelled, silently). The
        response taken by result() stays valid."""
        super().close()
        self._release()

    def _release(self):
        self._keep = None        # the pager a walk kept alive may go now

    # ---- state ---------------------------------------------------------------

    def done(self):
        """True once the call has ended (its response is final)."""
        return bool(lib.oai_call_is_done(self.handle))

    @property
    def status(self):
        """The call's outcome once done (0 while it runs)."""
        return lib.oai_call_status(self.handle)

    def cancel(self):
        """Cancels a running call: it ends with OAI_ERR_CANCELLED at the next poll."""
        lib.oai_call_cancel(self.handle)

    def _poll_once(self):
        client = self._client
        if client is None or client.closed:
            return
        client.poll(_WAIT_SLICE_MS)

    def wait(self, timeout_ms=None):
        """Polls the client until the call is done; True when it is."""
        if self._client is None or self._client.closed:
            return self.done()
        return self._client.wait([self], timeout_ms)

    def result(self, timeout_ms=None, raise_on_error=True):
        """The call's Response, waiting (polling the client) until it is
        done. Raises the OAIError of a failed call (with raise_on_error=False
        returns the failed Response), and TimeoutError when timeout_ms
        passed first. The same Response is returned each time."""
        if not self._taken:
            if not self.wait(timeout_ms):
                raise TimeoutError("the call is still running after %s ms" % timeout_ms)
            h = lib.oai_call_take_response(self.handle)
            self._taken = True
            if not h:
                st = lib.oai_call_status(self._h)
                raise errors.error_class(st or errors.ERR_OUT_OF_MEMORY)(
                    "the call's response is not available", status=st or errors.ERR_OUT_OF_MEMORY)
            self._response = Response(h)
        if raise_on_error and self._response.status != errors.OK:
            raise self._error(self._response)
        return self._response

    def _error(self, res):
        return res.error()

    # ---- streamed events -----------------------------------------------------

    def next_event(self):
        """The next event waiting now (copied into an Event), or None."""
        ev = event_p()
        check(lib.oai_call_next_event(self.handle, ctypes.byref(ev)), what="oai_call_next_event")
        if not ev:
            return None
        event = Event(ev)
        if event.type == EVENT_TEXT and event.choice_index == 0 and event.text:
            self._texts.append(event.text)
        return event

    def events(self):
        """The events waiting now, without polling (a list)."""
        out = []
        while True:
            ev = self.next_event()
            if ev is None:
                return out
            out.append(ev)

    @property
    def text(self):
        """The text of choice 0 pulled so far (the text events' concatenation)."""
        return "".join(self._texts)

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            ev = self.next_event()
            if ev is not None:
                return ev
            if self.done():
                ev = self.next_event()
                if ev is not None:
                    return ev
                if self.raise_on_error:
                    self.result()      # raises the call's error, if it failed
                raise StopIteration
            self._poll_once()

    def __repr__(self):
        if not self._h:
            return "<oai.Call closed>"
        return "<oai.Call %s>" % ("done" if self.done() else "running")
