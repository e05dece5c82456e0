"""The tool loop in its pull form: no C callback, ever.

oai_client_start_send_with_tools() is started with a NULL tool function:
each tool call of a reply is then an EVENT_TOOL_CALL event, pulled like any
event, and answered with oai_call_answer_tool(); the last answer of a step
sends the next request. A Python function that answers tool calls
(Client.send_with_tools) is called here, between pulls, on the thread that
iterates: never from C.
"""

import json

from . import errors
from ._lib import lib
from ._util import b, check
from .client import Call
from .response import EVENT_DONE, EVENT_TOOL_CALL


class PendingToolCall:
    """A tool call the loop waits for an answer to, copied from its event:
    id, name, arguments (JSON text as the model wrote it), step (1 for the
    first request's reply) and index (its place in the reply)."""

    __slots__ = ("id", "name", "arguments", "step", "index")

    def __init__(self, data):
        self.id = data.get("id")
        self.name = data.get("name")
        self.arguments = data.get("arguments", "")
        self.step = data.get("step", 0)
        self.index = data.get("index", 0)

    @property
    def parsed_arguments(self):
        """The arguments parsed (json.loads), or None when they are not JSON."""
        try:
            return json.loads(self.arguments)
        except ValueError:
            return None

    def __repr__(self):
        return "<oai.PendingToolCall %s %s(%s)>" % (self.id, self.name, self.arguments)


class ToolLoopCall(Call):
    """The Call of a tool loop in the pull form. Iterate it (or take
    events()) as any Call: EVENT_TOOL_CALL events are calls to answer with
    answer(); pending() gives them as PendingToolCall objects instead.
    result() is the final Response (TooLargeError when the step limit was
    reached with the model still calling tools). conversation is the
    request body as the loop last sent it (a dict), once the loop ended by
    itself and its last event (EVENT_DONE) was pulled."""

    def __init__(self, client, handle):
        Call.__init__(self, client, handle)
        self.conversation = None
        self.steps = 0

    def next_event(self):
        ev = Call.next_event(self)
        if ev is not None and ev.type == EVENT_DONE:
            data = ev.json or {}
            self.conversation = data.get("request")
            self.steps = data.get("steps", 0)
        return ev

    def answer(self, tool_call_id, output):
        """Answers a tool call (oai_call_answer_tool). output is a str; a
        dict or list is sent as its JSON. Raises NotFoundError (no call of
        the step has that id), ConflictError (answered already),
        InvalidArgumentError (the loop has ended, or output is not text)."""
        if isinstance(tool_call_id, PendingToolCall):
            tool_call_id = tool_call_id.id
        if not isinstance(output, (str, bytes)):
            output = json.dumps(output)
        check(lib.oai_call_answer_tool(self.handle, b(tool_call_id), b(output)),
              what="answer %s" % (tool_call_id,))

    def pending(self):
        """The tool calls waiting for an answer now, without polling."""
        return [PendingToolCall(ev.json or {}) for ev in self.events() if ev.type == EVENT_TOOL_CALL]


def start_send_with_tools(client, request, max_steps=0):
    """Starts the tool loop on request (chat or Responses, offering tools)
    without waiting: a ToolLoopCall, driven by polling the client."""
    h = lib.oai_client_start_send_with_tools(client.handle, request.handle, int(max_steps), None, None, None,
                                             None, None, None)
    if not h:
        raise errors.OutOfMemoryError("oai_client_start_send_with_tools: out of memory")
    return ToolLoopCall(client, h)


def send_with_tools(client, request, tool, max_steps=0):
    """Runs the tool loop to its end, waiting: tool(call) is called, from
    this thread between polls, with each PendingToolCall and returns its
    result (a str, or a dict/list sent as JSON); None stops the loop
    (CancelledError). An exception raised by tool cancels the loop and
    propagates. Returns the final Response; its ToolLoopCall's conversation
    is set on it as res.conversation."""
    with start_send_with_tools(client, request, max_steps) as call:
        try:
            for ev in call:
                if ev.type != EVENT_TOOL_CALL:
                    continue
                pending = PendingToolCall(ev.json or {})
                output = tool(pending)
                if output is None:
                    call.cancel()
                    continue
                call.answer(pending.id, output)
        except BaseException as exc:
            if not isinstance(exc, errors.OAIError):
                call.cancel()
            raise
        res = call.result()
        res.conversation = call.conversation
        return res
