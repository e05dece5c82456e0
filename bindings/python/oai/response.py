"""Responses and stream events."""

import ctypes
import json

from . import errors
from ._lib import lib
from ._util import Owned, b, raw, s, status_name, take_dup, value_to_python


class Response(Owned):
    """An oai_response, owned by this object (freed by close() or when collected).

    Everything read from it is copied into Python objects, so values you
    got stay valid after close(). A response does not depend on its client:
    it may outlive it."""

    _what = "response"

    def __init__(self, handle):
        if not handle:
            raise errors.OutOfMemoryError("out of memory (no response)")
        self._h = handle
        self._free = lib.oai_response_free
        self._json = None
        self._json_read = False

    # ---- outcome -----------------------------------------------------------

    @property
    def status(self):
        """The oai_status value (0, errors.OK, on success)."""
        return lib.oai_response_status(self.handle)

    @property
    def status_name(self):
        return status_name(self.status)

    @property
    def ok(self):
        return self.status == errors.OK

    @property
    def http_status(self):
        return lib.oai_response_http_status(self.handle)

    @property
    def request_id(self):
        return s(lib.oai_response_request_id(self.handle))

    @property
    def error_message(self):
        return s(lib.oai_response_error_message(self.handle))

    @property
    def error_type(self):
        return s(lib.oai_response_error_type(self.handle))

    @property
    def error_code(self):
        return s(lib.oai_response_error_code(self.handle))

    @property
    def error_param(self):
        return s(lib.oai_response_error_param(self.handle))

    @property
    def retry_count(self):
        return lib.oai_response_retry_count(self.handle)

    @property
    def retry_after_ms(self):
        return lib.oai_response_retry_after_ms(self.handle)

    @property
    def total_time_us(self):
        return lib.oai_response_total_time_us(self.handle)

    @property
    def first_byte_time_us(self):
        return lib.oai_response_first_byte_time_us(self.handle)

    def error(self):
        """The OAIError this response carries (not raised), or None on success."""
        st = self.status
        if st == errors.OK:
            return None
        return error_from_response(self._h, response=self)

    def raise_for_status(self):
        """Raises the response's error, if it has one; returns the response."""
        err = self.error()
        if err is not None:
            raise err
        return self

    # ---- headers and body --------------------------------------------------

    def header(self, name):
        """A response header's value (first occurrence, any case), or None."""
        return s(lib.oai_response_header(self.handle, b(name)))

    @property
    def headers(self):
        """Every header as a list of (name, value) pairs, in order."""
        h = self.handle
        return [(s(lib.oai_response_header_name(h, i)), s(lib.oai_response_header_value(h, i)))
                for i in range(lib.oai_response_header_count(h))]

    @property
    def body(self):
        """The raw body as bytes (b"" when none, or when it went to a file)."""
        h = self.handle
        return raw(lib.oai_response_body(h), lib.oai_response_body_len(h))

    @property
    def text(self):
        """The generated text (chat, completion or Responses output), or None."""
        return s(lib.oai_response_text(self.handle))

    @property
    def json(self):
        """The parsed JSON body (after a stream: the accumulated result) as
        Python objects, or None when the body is not JSON."""
        if not self._json_read:
            text = s(lib.oai_response_get_json_text(self.handle, b""))
            self._json = None if text is None else json.loads(text)
            self._json_read = True
        return self._json

    def get(self, pointer, default=None):
        """The body's value at a JSON Pointer ("/choices/0/message/content"), or default."""
        text = s(lib.oai_response_get_json_text(self.handle, b(pointer)))
        return default if text is None else json.loads(text)

    # ---- structured outputs and tool calls --------------------------------

    @property
    def parsed(self):
        """The reply's text parsed as JSON (structured outputs,
        oai_response_parsed) as Python objects, or None: parsed_status and
        parsed_error_message say why (a refusal, no text, not JSON)."""
        return value_to_python(lib.oai_response_parsed(self.handle))

    @property
    def parsed_status(self):
        """Why parsed is None (errors.OK when it is not)."""
        return lib.oai_response_parsed_status(self.handle)

    @property
    def parsed_error_message(self):
        return s(lib.oai_response_parsed_error_message(self.handle))

    def parse(self):
        """The parsed result, or raises its OAIError (ProtocolError for text
        that is not JSON, JSONTypeError when there is no text: see refusal)."""
        st = self.parsed_status
        if st != errors.OK:
            raise errors.error_class(st)(self.parsed_error_message, status=st)
        return self.parsed

    @property
    def refusal(self):
        """The refusal text when the model refused, else None."""
        return s(lib.oai_response_refusal(self.handle))

    @property
    def tool_calls(self):
        """The reply's tool calls (chat tool_calls, or a Responses result's
        function calls), as a list of ToolCall copies."""
        h = self.handle
        return [ToolCall(h, i) for i in range(lib.oai_response_tool_call_count(h))]

    # ---- embeddings --------------------------------------------------------

    def embedding(self, index=0):
        """The embedding at data[index] as a list of floats (base64 decoded too), or None."""
        dim = ctypes.c_size_t(0)
        vec = lib.oai_response_embedding(self.handle, index, ctypes.byref(dim))
        if not vec:
            return None
        return vec[:dim.value]

    @property
    def embeddings(self):
        return [self.embedding(i) for i in range(lib.oai_response_embedding_count(self.handle))]

    def __repr__(self):
        if not self._h:
            return "<oai.Response closed>"
        return "<oai.Response %s HTTP %d>" % (self.status_name, self.http_status)


class ToolCall:
    """One tool call of a reply, copied: id (what its result is sent back
    with), name, arguments (the JSON text as the model wrote it) and
    parsed_arguments (those parsed, or None: arguments_status says why)."""

    __slots__ = ("id", "name", "arguments", "parsed_arguments", "arguments_status")

    def __init__(self, handle, index):
        self.id = s(lib.oai_response_tool_call_id(handle, index))
        self.name = s(lib.oai_response_tool_call_name(handle, index))
        self.arguments = s(lib.oai_response_tool_call_arguments(handle, index))
        self.parsed_arguments = value_to_python(lib.oai_response_tool_call_arguments_json(handle, index))
        self.arguments_status = lib.oai_response_tool_call_arguments_status(handle, index)

    def __repr__(self):
        return "<oai.ToolCall %s %s(%s)>" % (self.id, self.name, self.arguments)


def error_from_response(handle, response=None):
    """The OAIError (not raised) for an oai_response * (owned or borrowed:
    its fields are copied)."""
    st = lib.oai_response_status(handle)
    cls = errors.error_class(st)
    return cls(s(lib.oai_response_error_message(handle)), status=st,
               http_status=lib.oai_response_http_status(handle),
               request_id=s(lib.oai_response_request_id(handle)),
               error_type=s(lib.oai_response_error_type(handle)),
               error_code=s(lib.oai_response_error_code(handle)),
               error_param=s(lib.oai_response_error_param(handle)),
               retry_count=lib.oai_response_retry_count(handle),
               retry_after_ms=lib.oai_response_retry_after_ms(handle),
               response=response)


# ---- stream events ----------------------------------------------------------------

EVENT_TEXT = 1
EVENT_REFUSAL = 2
EVENT_REASONING = 3
EVENT_TOOL_CALL = 4
EVENT_USAGE = 5
EVENT_DONE = 6
EVENT_ERROR = 7
EVENT_OTHER = 8
EVENT_ITEM = 9
EVENT_PROGRESS = 10

EVENT_TYPE_NAMES = {
    EVENT_TEXT: "text", EVENT_REFUSAL: "refusal", EVENT_REASONING: "reasoning", EVENT_TOOL_CALL: "tool_call",
    EVENT_USAGE: "usage", EVENT_DONE: "done", EVENT_ERROR: "error", EVENT_OTHER: "other", EVENT_ITEM: "item",
    EVENT_PROGRESS: "progress",
}


class Event:
    """One streamed event, copied out of the C event at once (the C event is
    valid only until the next call on its oai_call), so it lives as long as
    Python keeps it.

    type (an EVENT_* int), type_name ("text", "done", ...), text (the delta:
    text, refusal, reasoning, a tool call's arguments fragment; the message
    of an error event), choice_index, tool_index (-1 when none), tool_id,
    tool_name, name (the SSE event name), data (the raw SSE data, str),
    json (the parsed data, or a workflow event's JSON), error_status (for
    an error event)."""

    __slots__ = ("type", "text", "choice_index", "tool_index", "tool_id", "tool_name", "name", "data",
                 "error_status", "_json", "_json_text")

    def __init__(self, ev):
        self.type = lib.oai_event_type_of(ev)
        text = lib.oai_event_text(ev)
        self.text = raw(text, lib.oai_event_text_len(ev)).decode("utf-8", "replace") if text else None
        self.choice_index = lib.oai_event_choice_index(ev)
        self.tool_index = lib.oai_event_tool_index(ev)
        self.tool_id = s(lib.oai_event_tool_id(ev))
        self.tool_name = s(lib.oai_event_tool_name(ev))
        self.name = s(lib.oai_event_name(ev))
        data = lib.oai_event_data(ev)
        self.data = raw(data, lib.oai_event_data_len(ev)).decode("utf-8", "replace") if data else None
        self.error_status = lib.oai_event_error_status(ev)
        self._json = None
        # A workflow's event has JSON but no SSE data: copy its JSON now.
        self._json_text = None if data else take_dup(lib.oai_value_json_dup(lib.oai_event_json(ev)))

    @property
    def type_name(self):
        return EVENT_TYPE_NAMES.get(self.type, "unknown")

    @property
    def json(self):
        if self._json is None:
            text = self.data if self.data is not None else self._json_text
            if text is not None and text[:1] in ("{", "["):
                try:
                    self._json = json.loads(text)
                except ValueError:
                    self._json = None
        return self._json

    def __repr__(self):
        extra = " %r" % self.text if self.text is not None else ""
        return "<oai.Event %s%s>" % (self.type_name, extra)
