"""Workflows: pagination, large uploads, following a fine-tuning job,
training-data validation and batch files."""

import ctypes
import json

from . import errors
from ._lib import lib, value_p, c_str, has, library_path
from ._util import Owned, b, check, path_arg, s, status_message, take_dup, value_to_python
from .client import Call
from .response import Response, error_from_response, EVENT_ITEM, EVENT_PROGRESS


def _need(name):
    if not has(name):
        raise NotImplementedError("%s has no %s: this needs a newer liboai" % (library_path, name))


# oai_training_format
TRAINING_CHAT = 1
TRAINING_PREFERENCE = 2
TRAINING_COMPLETION = 3
_FORMATS = {"chat": TRAINING_CHAT, "preference": TRAINING_PREFERENCE, "dpo": TRAINING_PREFERENCE,
            "completion": TRAINING_COMPLETION}


class Pager:
    """Iterates every item of a cursor-paginated list (oai_pager): each item
    is a dict, copied out of the page. Pages are fetched on demand, with the
    retry policy; a failed fetch raises its OAIError (iterating again
    retries that page). The pager is freed at the end of the list, by
    close(), when collected, or when its client closes."""

    def __init__(self, client, request, max_items=0):
        ptr = lib.oai_pager_new(client.handle, request.handle)
        if not ptr:
            raise errors.OutOfMemoryError("oai_pager_new: out of memory")
        st = lib.oai_pager_status(ptr)
        if st != errors.OK:
            message = s(lib.oai_pager_error_message(ptr))
            lib.oai_pager_free(ptr)
            raise errors.error_class(st)(message, status=st)
        self._client = client
        self._finished = False
        self._dep = client._adopt_dependent(ptr, lib.oai_pager_free)
        if max_items:
            check(lib.oai_pager_set_max_items(ptr, int(max_items)))

    def close(self):
        dep, self._dep = getattr(self, "_dep", None), None
        if dep is not None:
            self._client._release_dependent(dep)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Walks the rest of the list without waiting (oai_pager_start): a
        Call whose events are EVENT_ITEM, one per item (event.json), and
        whose result() is the last page. The call keeps the pager alive;
        while it runs, iterating the pager itself raises."""
        _need("oai_pager_start")
        ptr = self._dep.ptr if self._dep is not None else None
        if not ptr:
            raise errors.InvalidArgumentError("the pager is closed (or its client is)")
        h = lib.oai_pager_start(ptr, None, None, None, None)
        if not h:
            raise errors.InvalidArgumentError("oai_pager_start: the pager is already walking (or out of memory)")
        return Call(self._client, h, keep=self)

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        ptr = self._dep.ptr if self._dep is not None else None
        if not ptr:
            raise errors.InvalidArgumentError("the pager is closed (or its client is)")
        item = value_p()
        st = lib.oai_pager_next(ptr, ctypes.byref(item))
        if st != errors.OK:
            res = lib.oai_pager_response(ptr)
            if res and lib.oai_response_status(res) == st:
                raise error_from_response(res)     # the failed page's error
            # Refused without fetching (e.g. while oai_pager_start() walks it).
            raise errors.error_class(st)("oai_pager_next: %s" % status_message(st), status=st)
        if not item:
            self._finished = True
            self.close()
            raise StopIteration
        return value_to_python(item)


def _new_large_upload(client, path, purpose, mime_type, part_size, resume_upload_id, resume_part_ids):
    ptr = lib.oai_large_upload_new(client.handle, path_arg(path), b(purpose), b(mime_type))
    if not ptr:
        raise errors.OutOfMemoryError("oai_large_upload_new: out of memory")
    dep = client._adopt_dependent(ptr, lib.oai_large_upload_free)
    try:
        st = lib.oai_large_upload_status(ptr)
        if st != errors.OK:
            raise errors.error_class(st)(s(lib.oai_large_upload_error_message(ptr)), status=st)
        if part_size is not None:
            check(lib.oai_large_upload_set_part_size(ptr, int(part_size)), what="part_size")
        if resume_upload_id is not None:
            ids = [b(i) for i in resume_part_ids]
            arr = (c_str * max(len(ids), 1))(*ids)
            check(lib.oai_large_upload_resume(ptr, b(resume_upload_id), arr, len(ids)), what="resume")
    except BaseException:
        client._release_dependent(dep)
        raise
    return dep


def _upload_state(ptr):
    if not ptr:
        return None, []
    return (s(lib.oai_large_upload_id(ptr)),
            [s(lib.oai_large_upload_part_id(ptr, i)) for i in range(lib.oai_large_upload_part_count(ptr))])


class UploadCall(Call):
    """The Call of a large upload (oai_large_upload_start). Its events are
    EVENT_PROGRESS, one per part accepted (event.json is {"done": bytes
    accepted, "total": the file's size}); upload_id and part_ids show the
    upload's state; a failure's exception carries them too, for a resume.
    Closing the call frees the upload handle after it."""

    def __init__(self, client, handle, dep):
        Call.__init__(self, client, handle, keep=dep)

    @property
    def upload_id(self):
        return _upload_state(self._keep.ptr if self._keep else None)[0]

    @property
    def part_ids(self):
        return _upload_state(self._keep.ptr if self._keep else None)[1]

    def _error(self, res):
        err = res.error()
        err.upload_id, err.part_ids = _upload_state(self._keep.ptr if self._keep else None)
        return err

    def _release(self):
        dep, self._keep = self._keep, None
        if dep is not None:
            self._client._release_dependent(dep)


def start_large_upload(client, path, purpose, mime_type=None, part_size=None, resume_upload_id=None,
                       resume_part_ids=()):
    """Starts uploading the file at path through the Uploads API (parts of
    part_size bytes, at most 64 MiB, each retried alone) without waiting:
    returns an UploadCall, driven by polling the client like any call. Its
    result() is the completed Upload (res.get("/file/id") is the new
    file's id)."""
    _need("oai_large_upload_start")
    dep = _new_large_upload(client, path, purpose, mime_type, part_size, resume_upload_id, resume_part_ids)
    h = lib.oai_large_upload_start(dep.ptr, None, None, None, None)
    if not h:
        client._release_dependent(dep)
        raise errors.OutOfMemoryError("oai_large_upload_start: out of memory")
    return UploadCall(client, h, dep)


def upload_large_file(client, path, purpose, mime_type=None, part_size=None, resume_upload_id=None,
                      resume_part_ids=(), on_progress=None):
    """Uploads the file at path through the Uploads API, waiting; returns
    the completed Upload's Response (res.get("/file/id") is the new file's
    id). on_progress(done, total), a Python function, is called after each
    part is accepted.

    On failure raises the OAIError of the last request, with two more
    attributes, upload_id and part_ids, to pass back as resume_upload_id and
    resume_part_ids (with the same part_size) to send only the rest."""
    if has("oai_large_upload_start"):
        with start_large_upload(client, path, purpose, mime_type, part_size, resume_upload_id,
                                resume_part_ids) as call:
            for ev in call:
                if ev.type == EVENT_PROGRESS and on_progress is not None:
                    progress = ev.json or {}
                    on_progress(progress.get("done", 0), progress.get("total", 0))
            return call.result()
    if on_progress is not None:
        _need("oai_large_upload_start")
    dep = _new_large_upload(client, path, purpose, mime_type, part_size, resume_upload_id, resume_part_ids)
    try:
        res = Response(lib.oai_large_upload_run(dep.ptr))
        if res.status != errors.OK:
            err = res.error()
            err.upload_id, err.part_ids = _upload_state(dep.ptr)
            raise err
        return res
    finally:
        client._release_dependent(dep)


def start_follow_fine_tuning_job(client, job_id, poll_interval_ms=1000):
    """Follows a fine-tuning job without waiting
    (oai_client_start_follow_fine_tuning_job): a Call whose events are the
    job's events, each once, oldest first, as EVENT_ITEM (event.json), and
    whose result() is the last retrieval of the job once it is succeeded,
    failed or cancelled. The interval is a timer of the library, never a
    sleep: a frame loop polling with 0 never waits."""
    _need("oai_client_start_follow_fine_tuning_job")
    h = lib.oai_client_start_follow_fine_tuning_job(client.handle, b(job_id), int(poll_interval_ms),
                                                    None, None, None, None)
    if not h:
        raise errors.OutOfMemoryError("oai_client_start_follow_fine_tuning_job: out of memory")
    return Call(client, h)


def follow_fine_tuning_job(client, job_id, poll_interval_ms=1000, on_event=None):
    """Follows a fine-tuning job until it is succeeded, failed or cancelled,
    waiting (the client's other calls progress meanwhile); returns the last
    retrieval's Response (res.get("/status"), res.get("/fine_tuned_model")).
    on_event(event), a Python function, gets each new job event (a dict)
    once; returning True stops following (CancelledError is raised then).
    Without on_event the events can be listed with
    fine_tuning_job_list_events()."""
    if has("oai_client_start_follow_fine_tuning_job"):
        with start_follow_fine_tuning_job(client, job_id, poll_interval_ms) as call:
            stopped = False
            for ev in call:
                if ev.type == EVENT_ITEM and on_event is not None and not stopped and on_event(ev.json):
                    stopped = True
                    call.cancel()
            return call.result()
    if on_event is not None:
        _need("oai_client_start_follow_fine_tuning_job")
    res = Response(lib.oai_client_follow_fine_tuning_job(client.handle, b(job_id), int(poll_interval_ms),
                                                         None, None))
    return res.raise_for_status()


def start_wait_for_batch(client, batch_id, poll_interval_ms=1000):
    """Waits for a batch without blocking (oai_client_start_wait_for_batch):
    a Call whose events are the batch object (EVENT_ITEM, event.json) after
    the first retrieval and at each change of status, and whose result() is
    the batch once completed, failed, expired or cancelled."""
    _need("oai_client_start_wait_for_batch")
    h = lib.oai_client_start_wait_for_batch(client.handle, b(batch_id), int(poll_interval_ms),
                                            None, None, None, None)
    if not h:
        raise errors.OutOfMemoryError("oai_client_start_wait_for_batch: out of memory")
    return Call(client, h)


def wait_for_batch(client, batch_id, poll_interval_ms=1000):
    """Waits for a batch to end (oai_client_wait_for_batch); returns the
    batch's Response (res.get("/status"), res.get("/output_file_id"))."""
    _need("oai_client_wait_for_batch")
    res = Response(lib.oai_client_wait_for_batch(client.handle, b(batch_id), int(poll_interval_ms)))
    return res.raise_for_status()


class TrainingReport:
    """The outcome of validating training data, copied into Python: valid,
    status, error_message, format, examples, lines, stats (a dict),
    problems (a list of {"line", "code", "message"} dicts), problems_total,
    truncated, and as_dict (the whole report)."""

    def __init__(self, ptr):
        try:
            self.status = lib.oai_training_report_status(ptr)
            self.error_message = s(lib.oai_training_report_error_message(ptr))
            self.valid = bool(lib.oai_training_report_is_valid(ptr))
            text = take_dup(lib.oai_training_report_json_dup(ptr))
            self.as_dict = json.loads(text) if text else {}
        finally:
            lib.oai_training_report_free(ptr)
        d = self.as_dict
        self.format = d.get("format")
        self.examples = d.get("examples", 0)
        self.lines = d.get("lines", 0)
        self.stats = d.get("stats", {})
        self.problems = d.get("problems", [])
        self.problems_total = d.get("problems_total", 0)
        self.truncated = d.get("truncated", False)

    def raise_for_status(self):
        """Raises InvalidDataError (or the error that kept the data from
        being read: LocalIOError, ...) unless the data is valid."""
        if self.status != errors.OK:
            err = errors.error_class(self.status)(self.error_message, status=self.status)
            err.report = self
            raise err
        return self

    def __repr__(self):
        return "<oai.TrainingReport %s, %d examples, %d problems>" % (
            "valid" if self.valid else "invalid", self.examples, self.problems_total)


def validate_training_data(path=None, data=None, format="chat", context_limit=0):
    """Validates a JSONL training file (path) or bytes (data) locally, in
    bounded memory; returns a TrainingReport (never raises for invalid
    data: check report.valid, or call report.raise_for_status())."""
    fmt = _FORMATS.get(format, format) if isinstance(format, str) else int(format)
    if not isinstance(fmt, int):
        raise errors.InvalidArgumentError("unknown training format %r" % (format,))
    if data is not None:
        data = b(data)
        ptr = lib.oai_training_report_buffer_new(data, len(data), fmt, int(context_limit))
    else:
        ptr = lib.oai_training_report_new(path_arg(path), fmt, int(context_limit))
    if not ptr:
        raise errors.OutOfMemoryError("training report: out of memory")
    return TrainingReport(ptr)


class BatchWriter(Owned):
    """Writes a batch input file (oai_batch_writer): add(custom_id, request)
    per line, then finish(). A context manager (finishes on success)."""

    _what = "batch writer"

    def __init__(self, path):
        ptr = lib.oai_batch_writer_new(path_arg(path))
        if not ptr:
            raise errors.OutOfMemoryError("oai_batch_writer_new: out of memory")
        st = lib.oai_batch_writer_status(ptr)
        if st != errors.OK:
            message = s(lib.oai_batch_writer_error_message(ptr))
            lib.oai_batch_writer_free(ptr)
            raise errors.error_class(st)(message, status=st)
        self._h = ptr
        self._free = lib.oai_batch_writer_free
        self._finished = False

    def _check(self, st):
        if st != errors.OK:
            message = s(lib.oai_batch_writer_error_message(self._h)) if self._h else None
            raise errors.error_class(st)(message, status=st)

    def add(self, custom_id, request):
        if not self._h:
            raise errors.InvalidArgumentError("the batch writer is closed")
        self._check(lib.oai_batch_writer_add(self._h, b(custom_id), request.handle))
        return self

    def finish(self):
        """Flushes and closes the file; raises LocalIOError if a line did not reach the disk."""
        if not self._finished and self._h:
            self._finished = True
            self._check(lib.oai_batch_writer_finish(self._h))

    def __exit__(self, exc_type, *rest):
        try:
            if exc_type is None:
                self.finish()
        finally:
            self.close()


class BatchReader(Owned):
    """Reads a batch output or error file (oai_batch_reader): iterating
    yields each result line as a dict. A line that cannot be read raises its
    OAIError (ProtocolError, TooLargeError), naming the line; iterating
    again goes on with the next line. A context manager; freed at the end
    of the file, by close(), or when collected."""

    _what = "batch reader"

    def __init__(self, path, max_line_bytes=None):
        ptr = lib.oai_batch_reader_new(path_arg(path))
        if not ptr:
            raise errors.OutOfMemoryError("oai_batch_reader_new: out of memory")
        st = lib.oai_batch_reader_status(ptr)
        if st != errors.OK:
            message = s(lib.oai_batch_reader_error_message(ptr))
            lib.oai_batch_reader_free(ptr)
            raise errors.error_class(st)(message, status=st)
        self._h = ptr
        self._free = lib.oai_batch_reader_free
        if max_line_bytes is not None:
            check(lib.oai_batch_reader_set_max_line_bytes(ptr, int(max_line_bytes)))

    @property
    def line_number(self):
        """The 1-based number of the line read last (0 before the first)."""
        return lib.oai_batch_reader_line_number(self._h) if self._h else 0

    def __iter__(self):
        return self

    def __next__(self):
        if not self._h:
            raise StopIteration
        line = value_p()
        st = lib.oai_batch_reader_next(self._h, ctypes.byref(line))
        if st != errors.OK:
            raise errors.error_class(st)(s(lib.oai_batch_reader_error_message(self._h)), status=st)
        if not line:
            self.close()
            raise StopIteration
        return value_to_python(line)


def read_batch_file(path, max_line_bytes=None):
    """A BatchReader over the JSONL file at path."""
    return BatchReader(path, max_line_bytes)
