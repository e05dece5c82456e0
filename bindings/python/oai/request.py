"""Requests: the wrapper of oai_request and the endpoint builders.

A builder is the C endpoint helper's name without `oai_` and
`_request_new`: oai_chat_completion_create_request_new() is
chat_completion_create(), oai_file_retrieve_content_request_new() is
file_retrieve_content(). Any other body field is set by JSON Pointer
(Request.set) or as a keyword argument of the builder (a top-level field).
"""

import json

from . import errors
from ._lib import lib
from ._util import Owned, b, check, path_arg, s, take_dup


def _pointer(key):
    """The JSON Pointer of a top-level field named key."""
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


class Request(Owned):
    """An oai_request, owned by this object (freed by close() or when collected).

    Requests are copied when sent or started, so a request may be changed,
    reused or closed as soon as send() or start() returns. Setters return the
    request, so that they chain. A constructor given bad arguments (an empty
    id, a file that cannot be read) raises the error the C request carries
    (InvalidArgumentError, LocalIOError)."""

    _what = "request"

    def __init__(self, method, path):
        self._h = None
        self._adopt(lib.oai_request_new(b(method), b(path)), "oai_request_new")

    @classmethod
    def _from_handle(cls, handle, what):
        self = cls.__new__(cls)
        self._h = None
        self._adopt(handle, what)
        return self

    def _adopt(self, handle, what):
        if not handle:
            raise errors.OutOfMemoryError("%s: out of memory" % what)
        st = lib.oai_request_status(handle)
        if st != errors.OK:
            message = s(lib.oai_request_error_message(handle))
            lib.oai_request_free(handle)
            raise errors.error_class(st)(message, status=st)
        self._h = handle
        self._free = lib.oai_request_free

    # ---- lifetime ----------------------------------------------------------

    def clone(self):
        """A deep copy (a new Request)."""
        return Request._from_handle(lib.oai_request_clone(self.handle), "oai_request_clone")

    # ---- what it is --------------------------------------------------------

    @property
    def method(self):
        return s(lib.oai_request_method(self.handle))

    @property
    def path(self):
        return s(lib.oai_request_path(self.handle))

    @property
    def body(self):
        """The JSON body as Python objects (a copy), or None."""
        text = take_dup(lib.oai_request_body_dup(self.handle))
        return None if text is None else json.loads(text)

    def query(self, name):
        return s(lib.oai_request_query(self.handle, b(name)))

    # ---- the body by JSON Pointer -----------------------------------------

    def set(self, pointer, value):
        """Sets the body's value at a JSON Pointer (RFC 6901) from a Python
        value: None, bool, int (64-bit), float, str, or a list/dict (sent as JSON)."""
        h, p = self.handle, b(pointer)
        if value is None:
            st = lib.oai_request_set_null(h, p)
        elif isinstance(value, bool):
            st = lib.oai_request_set_bool(h, p, 1 if value else 0)
        elif isinstance(value, int):
            if not -(1 << 63) <= value < (1 << 63):
                raise errors.InvalidArgumentError("set %s: %d does not fit in 64 bits" % (pointer, value))
            st = lib.oai_request_set_int(h, p, value)
        elif isinstance(value, float):
            st = lib.oai_request_set_number(h, p, value)
        elif isinstance(value, (str, bytes)):
            raw = b(value)
            st = lib.oai_request_set_string_len(h, p, raw, len(raw))
        else:
            st = lib.oai_request_set_json(h, p, b(json.dumps(value)))
        check(st, what="set %s" % pointer)
        return self

    def set_json(self, pointer, text):
        """Parses JSON text and sets it at a JSON Pointer."""
        check(lib.oai_request_set_json(self.handle, b(pointer), b(text)), what="set_json %s" % pointer)
        return self

    def update(self, fields=None, **more):
        """Sets top-level body fields: update(temperature=0.2, max_tokens=5)."""
        for source in (fields or {}), more:
            for key, value in source.items():
                self.set(_pointer(key), value)
        return self

    # ---- structured outputs and tool results ------------------------------

    def set_json_schema(self, name, schema, strict=True):
        """Asks for structured output following a JSON Schema
        (oai_request_set_json_schema): `response_format` on a chat request,
        `text.format` on a Responses request. schema is a dict or JSON text.
        Read the answer with Response.parsed."""
        text = schema if isinstance(schema, (str, bytes)) else json.dumps(schema)
        check(lib.oai_request_set_json_schema(self.handle, b(name), b(text), 1 if strict else 0),
              what="set_json_schema %s" % (name,))
        return self

    def add_reply(self, response):
        """Appends a reply (a Response) to the conversation
        (oai_request_add_reply): the assistant's message, with its tool
        calls, or a Responses result's output items."""
        check(lib.oai_request_add_reply(self.handle, response.handle), what="add_reply")
        return self

    def add_tool_output(self, call_id, output):
        """Appends the result of a tool call (oai_request_add_tool_output);
        output is a str (a dict or list is sent as its JSON)."""
        if not isinstance(output, (str, bytes)):
            output = json.dumps(output)
        check(lib.oai_request_add_tool_output(self.handle, b(call_id), b(output)), what="add_tool_output")
        return self

    def remove(self, pointer):
        """Removes the body field at a JSON Pointer (NotFoundError when absent)."""
        check(lib.oai_request_remove_field(self.handle, b(pointer)), what="remove %s" % pointer)
        return self

    # ---- query, headers, options -------------------------------------------

    def set_query(self, name, value):
        check(lib.oai_request_set_query(self.handle, b(name), None if value is None else b(value)))
        return self

    def set_header(self, name, value):
        check(lib.oai_request_set_header(self.handle, b(name), None if value is None else b(value)))
        return self

    def set_timeout_ms(self, ms):
        check(lib.oai_request_set_timeout_ms(self.handle, int(ms)))
        return self

    def set_idle_timeout_ms(self, ms):
        check(lib.oai_request_set_idle_timeout_ms(self.handle, int(ms)))
        return self

    def set_first_byte_timeout_ms(self, ms):
        check(lib.oai_request_set_first_byte_timeout_ms(self.handle, int(ms)))
        return self

    def set_max_retries(self, n):
        check(lib.oai_request_set_max_retries(self.handle, int(n)))
        return self

    def set_idempotency_key(self, key):
        check(lib.oai_request_set_idempotency_key(self.handle, b(key)))
        return self

    def set_output_file(self, path):
        """Writes a 2xx body to the file at path (atomically) instead of memory."""
        check(lib.oai_request_set_output_file(self.handle, path_arg(path)))
        return self

    def set_raw_response(self, enabled=True):
        check(lib.oai_request_set_raw_response(self.handle, 1 if enabled else 0))
        return self

    def set_stream(self, enabled=True):
        """Streams (for the pull API: events queue in the call)."""
        check(lib.oai_request_set_stream(self.handle, 1 if enabled else 0))
        return self

    def set_accumulate(self, enabled=True):
        check(lib.oai_request_set_accumulate(self.handle, 1 if enabled else 0))
        return self

    # ---- multipart ---------------------------------------------------------

    def add_form_field(self, name, value):
        check(lib.oai_request_add_form_field(self.handle, b(name), b(value)))
        return self

    def add_file_part(self, name, path, filename=None, mime_type=None):
        check(lib.oai_request_add_file_part(self.handle, b(name), path_arg(path), b(filename), b(mime_type)))
        return self

    def add_file_range_part(self, name, path, offset, length, filename=None, mime_type=None):
        """A file part of length bytes of the file at path from offset, streamed from disk."""
        check(lib.oai_request_add_file_range_part(self.handle, b(name), path_arg(path), int(offset), int(length),
                                                  b(filename), b(mime_type)))
        return self

    def add_data_part(self, name, data, filename=None, mime_type=None):
        data = b(data)
        check(lib.oai_request_add_data_part(self.handle, b(name), data, len(data), b(filename), b(mime_type)))
        return self

    # ---- chat --------------------------------------------------------------

    def add_message(self, role, content=None):
        """Appends {"role", "content"} to messages; a dict content (or any
        message with more keys, see add_messages) is appended as JSON."""
        if content is None or isinstance(content, (str, bytes)):
            check(lib.oai_chat_request_add_message(self.handle, b(role), b(content)))
        else:
            self.set("/messages/-", {"role": role, "content": content})
        return self

    def add_messages(self, messages):
        """Appends messages: dicts ({"role", "content", ...}) or (role, content) pairs."""
        for m in messages:
            if isinstance(m, dict):
                if set(m) <= {"role", "content"} and isinstance(m.get("content"), (str, type(None))):
                    self.add_message(m["role"], m.get("content"))
                else:
                    self.set("/messages/-", m)
            else:
                role, content = m
                self.add_message(role, content)
        return self

    def add_tool(self, name, description=None, parameters=None):
        """Appends a function tool; parameters is a JSON Schema (dict or JSON text)."""
        if parameters is not None and not isinstance(parameters, (str, bytes)):
            parameters = json.dumps(parameters)
        check(lib.oai_chat_request_add_tool(self.handle, b(name), b(description), b(parameters)))
        return self

    def add_tools(self, tools):
        """Appends tools: {"name", "description"?, "parameters"?} dicts, or whole
        tool objects ({"type": "function", "function": {...}})."""
        for t in tools:
            if "type" in t:
                self.set("/tools/-", t)
            else:
                self.add_tool(t["name"], t.get("description"), t.get("parameters"))
        return self

    def add_tool_call(self, id, name, arguments):
        if not isinstance(arguments, (str, bytes)):
            arguments = json.dumps(arguments)
        check(lib.oai_chat_request_add_tool_call(self.handle, b(id), b(name), b(arguments)))
        return self

    def add_tool_result(self, tool_call_id, content):
        check(lib.oai_chat_request_add_tool_result(self.handle, b(tool_call_id), b(content)))
        return self

    def __repr__(self):
        if not self._h:
            return "<oai.Request closed>"
        return "<oai.Request %s %s>" % (self.method, self.path)


def _make(handle, what, fields=None):
    req = Request._from_handle(handle, what)
    if fields:
        req.update(fields)
    return req


# ---- the endpoint builders ----------------------------------------------------

def chat_completion_create(model, messages=(), tools=(), **fields):
    """POST /chat/completions. messages: dicts or (role, content) pairs;
    tools: see Request.add_tools; fields: any other top-level body field."""
    req = _make(lib.oai_chat_completion_create_request_new(b(model)), "oai_chat_completion_create_request_new")
    req.add_messages(messages)
    req.add_tools(tools)
    return req.update(fields)


def completion_create(model, prompt, **fields):
    """POST /completions (legacy)."""
    return _make(lib.oai_completion_create_request_new(b(model), b(prompt)), "oai_completion_create_request_new",
                 fields)


def response_create(model, input, **fields):
    """POST /responses. input: a string, or a list of input items."""
    text = input if isinstance(input, (str, bytes)) else ""
    req = _make(lib.oai_response_create_request_new(b(model), b(text)), "oai_response_create_request_new")
    if not isinstance(input, (str, bytes)):
        req.set("/input", input)
    return req.update(fields)


def embedding_create(model, input, **fields):
    """POST /embeddings. input: a string or a list of strings."""
    text = input if isinstance(input, (str, bytes)) else ""
    req = _make(lib.oai_embedding_create_request_new(b(model), b(text)), "oai_embedding_create_request_new")
    if not isinstance(input, (str, bytes)):
        req.set("/input", list(input))
    return req.update(fields)


def model_list():
    return _make(lib.oai_model_list_request_new(), "oai_model_list_request_new")


def model_retrieve(model_id):
    return _make(lib.oai_model_retrieve_request_new(b(model_id)), "oai_model_retrieve_request_new")


def model_delete(model_id):
    return _make(lib.oai_model_delete_request_new(b(model_id)), "oai_model_delete_request_new")


def _with_query(req, query):
    for name, value in query.items():
        if value is not None:
            req.set_query(name, str(value))
    return req


def file_create(path, purpose, expires_after_seconds=None):
    """POST /files: the file at path, streamed from disk when sent."""
    req = _make(lib.oai_file_create_request_new(path_arg(path), b(purpose)), "oai_file_create_request_new")
    if expires_after_seconds is not None:
        req.add_form_field("expires_after[anchor]", "created_at")
        req.add_form_field("expires_after[seconds]", str(int(expires_after_seconds)))
    return req


def file_create_from_data(data, filename, purpose):
    """POST /files with bytes (or str) from memory, sent as filename."""
    data = b(data)
    return _make(lib.oai_file_create_from_data_request_new(data, len(data), b(filename), b(purpose)),
                 "oai_file_create_from_data_request_new")


def file_list(**query):
    """GET /files; query: after, limit, order, purpose."""
    return _with_query(_make(lib.oai_file_list_request_new(), "oai_file_list_request_new"), query)


def file_retrieve(file_id):
    return _make(lib.oai_file_retrieve_request_new(b(file_id)), "oai_file_retrieve_request_new")


def file_delete(file_id):
    return _make(lib.oai_file_delete_request_new(b(file_id)), "oai_file_delete_request_new")


def file_retrieve_content(file_id, output_path=None):
    """GET /files/{id}/content; with output_path the body goes to that file."""
    req = _make(lib.oai_file_retrieve_content_request_new(b(file_id)), "oai_file_retrieve_content_request_new")
    if output_path is not None:
        req.set_output_file(output_path)
    return req


def upload_create(filename, purpose, bytes, mime_type):
    return _make(lib.oai_upload_create_request_new(b(filename), b(purpose), int(bytes), b(mime_type)),
                 "oai_upload_create_request_new")


def upload_add_part(upload_id, path, offset, length):
    return _make(lib.oai_upload_add_part_request_new(b(upload_id), path_arg(path), int(offset), int(length)),
                 "oai_upload_add_part_request_new")


def _c_strings(items):
    from ._lib import c_str
    items = [b(i) for i in items]
    return (c_str * max(len(items), 1))(*items), len(items)


def upload_complete(upload_id, part_ids, md5_hex=None):
    arr, n = _c_strings(part_ids)
    return _make(lib.oai_upload_complete_request_new(b(upload_id), arr, n, b(md5_hex)),
                 "oai_upload_complete_request_new")


def upload_cancel(upload_id):
    return _make(lib.oai_upload_cancel_request_new(b(upload_id)), "oai_upload_cancel_request_new")


def fine_tuning_job_create(model, training_file, **fields):
    """POST /fine_tuning/jobs; fields: suffix, method, hyperparameters, validation_file, ..."""
    return _make(lib.oai_fine_tuning_job_create_request_new(b(model), b(training_file)),
                 "oai_fine_tuning_job_create_request_new", fields)


def fine_tuning_job_list(**query):
    return _with_query(_make(lib.oai_fine_tuning_job_list_request_new(), "oai_fine_tuning_job_list_request_new"),
                       query)


def fine_tuning_job_retrieve(job_id):
    return _make(lib.oai_fine_tuning_job_retrieve_request_new(b(job_id)), "oai_fine_tuning_job_retrieve_request_new")


def fine_tuning_job_cancel(job_id):
    return _make(lib.oai_fine_tuning_job_cancel_request_new(b(job_id)), "oai_fine_tuning_job_cancel_request_new")


def fine_tuning_job_pause(job_id):
    return _make(lib.oai_fine_tuning_job_pause_request_new(b(job_id)), "oai_fine_tuning_job_pause_request_new")


def fine_tuning_job_resume(job_id):
    return _make(lib.oai_fine_tuning_job_resume_request_new(b(job_id)), "oai_fine_tuning_job_resume_request_new")


def fine_tuning_job_list_events(job_id, **query):
    return _with_query(_make(lib.oai_fine_tuning_job_list_events_request_new(b(job_id)),
                             "oai_fine_tuning_job_list_events_request_new"), query)


def fine_tuning_job_list_checkpoints(job_id, **query):
    return _with_query(_make(lib.oai_fine_tuning_job_list_checkpoints_request_new(b(job_id)),
                             "oai_fine_tuning_job_list_checkpoints_request_new"), query)


def batch_create(input_file_id, endpoint, completion_window=None, **fields):
    return _make(lib.oai_batch_create_request_new(b(input_file_id), b(endpoint), b(completion_window)),
                 "oai_batch_create_request_new", fields)


def batch_retrieve(batch_id):
    return _make(lib.oai_batch_retrieve_request_new(b(batch_id)), "oai_batch_retrieve_request_new")


def batch_list(**query):
    return _with_query(_make(lib.oai_batch_list_request_new(), "oai_batch_list_request_new"), query)


def batch_cancel(batch_id):
    return _make(lib.oai_batch_cancel_request_new(b(batch_id)), "oai_batch_cancel_request_new")


BUILDERS = (
    "chat_completion_create", "completion_create", "response_create", "embedding_create", "model_list",
    "model_retrieve", "model_delete", "file_create", "file_create_from_data", "file_list", "file_retrieve",
    "file_delete", "file_retrieve_content", "upload_create", "upload_add_part", "upload_complete",
    "upload_cancel", "fine_tuning_job_create", "fine_tuning_job_list", "fine_tuning_job_retrieve",
    "fine_tuning_job_cancel", "fine_tuning_job_pause", "fine_tuning_job_resume", "fine_tuning_job_list_events",
    "fine_tuning_job_list_checkpoints", "batch_create", "batch_retrieve", "batch_list", "batch_cancel",
)
