"""Structured outputs, the tool-call readers and the tool loop's pull form
(oai_call_answer_tool): against the mock server, with no C callback."""

import ctypes
import gc
import json
import unittest

from support import MockServer, MockServerTest, client_for, oai

CHAT = {"path": "/v1/chat/completions"}


def tool_calls_reply(calls, rid="c1"):
    return {"id": rid, "object": "chat.completion", "choices": [{
        "index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in calls]}}]}


def text_reply(text, rid="c2"):
    return {"id": rid, "object": "chat.completion", "choices": [{
        "index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}


def scripted(*bodies):
    return [{"match": CHAT, "headers": {"Content-Type": "application/json"}, "body": body} for body in bodies]


WEATHER = [("call_w", "get_weather", '{"city":"Paris"}'), ("call_t", "get_time", "{}")]


def weather_request():
    return oai.chat_completion_create(
        "gpt-4o", [("user", "Weather and time in Paris?")],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
               {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}])


class StructuredTest(MockServerTest):

    SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temp_c": {"type": "integer"}},
              "required": ["city", "temp_c"], "additionalProperties": False}

    def test_schema_and_parsed(self):
        with oai.chat_completion_create("gpt-4o-mini", [("user", "Paris")]) as req:
            self.assertIs(req.set_json_schema("weather", self.SCHEMA), req)
            fmt = req.body["response_format"]
            self.assertEqual(fmt["type"], "json_schema")
            self.assertEqual(fmt["json_schema"]["name"], "weather")
            self.assertTrue(fmt["json_schema"]["strict"])
            res = self.client.send(req)
        self.assertEqual(res.parsed, {"city": "Echo: Paris", "temp_c": 1})
        self.assertEqual(res.parse(), res.parsed)
        self.assertEqual(res.parsed_status, oai.OK)
        self.assertIsNone(res.parsed_error_message)
        self.assertIsNone(res.refusal)
        self.assertEqual(res.tool_calls, [])

    def test_responses_schema(self):
        with oai.response_create("gpt-4o-mini", "Paris") as req:
            req.set_json_schema("weather", json.dumps(self.SCHEMA), strict=False)
            self.assertEqual(req.body["text"]["format"]["name"], "weather")
            self.assertFalse(req.body["text"]["format"]["strict"])
            res = self.client.send(req)
        self.assertEqual(res.parsed["temp_c"], 1)

    def test_bad_schema(self):
        with oai.chat_completion_create("gpt-4o-mini", [("user", "x")]) as req:
            with self.assertRaises(oai.InvalidArgumentError):
                req.set_json_schema("bad name!", self.SCHEMA)
            with self.assertRaises(oai.InvalidArgumentError):
                req.set_json_schema("ok", "[1, 2]")

    def test_not_json(self):
        res = self.client.chat("gpt-4o-mini", [("user", "plain words")])
        self.assertIsNone(res.parsed)
        self.assertEqual(res.parsed_status, oai.ERR_PROTOCOL)
        self.assertTrue(res.parsed_error_message)
        with self.assertRaises(oai.ProtocolError):
            res.parse()


class RefusalAndToolCallsTest(MockServerTest):

    SCRIPT = scripted(
        {"id": "c0", "object": "chat.completion", "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": None, "refusal": "I can't help with that."}}]},
        tool_calls_reply(WEATHER + [("call_b", "broken", "{not json")]))

    def test_refusal_then_tool_calls(self):
        res = self.client.chat("gpt-4o-mini", [("user", "something bad")])
        self.assertEqual(res.refusal, "I can't help with that.")
        self.assertIsNone(res.parsed)
        self.assertEqual(res.parsed_status, oai.ERR_TYPE)
        with self.assertRaises(oai.JSONTypeError):
            res.parse()

        res = self.client.chat("gpt-4o-mini", [("user", "weather")])
        calls = res.tool_calls
        self.assertEqual([(c.id, c.name, c.arguments) for c in calls], WEATHER + [("call_b", "broken", "{not json")])
        self.assertEqual(calls[0].parsed_arguments, {"city": "Paris"})
        self.assertEqual(calls[0].arguments_status, oai.OK)
        self.assertIsNone(calls[2].parsed_arguments)
        self.assertEqual(calls[2].arguments_status, oai.ERR_PROTOCOL)
        # The conversation, by hand.
        with weather_request() as req:
            req.add_reply(res)
            for c in calls:
                req.add_tool_output(c.id, {"ok": c.name})
            messages = req.body["messages"]
        self.assertEqual(messages[1]["tool_calls"][1]["id"], "call_t")
        self.assertEqual(messages[2], {"role": "tool", "tool_call_id": "call_w", "content": '{"ok": "get_weather"}'})
        self.assertEqual(len(messages), 5)


class ToolLoopTest(unittest.TestCase):

    def run_loop(self, script, fn, max_steps=0):
        with MockServer(scripted(*script)) as server, client_for(server, max_retries=0) as client, \
                weather_request() as req:
            return client.send_with_tools(req, fn, max_steps=max_steps)

    def test_send_with_tools(self):
        seen = []

        def tool(call):
            seen.append((call.step, call.index, call.id, call.name, call.parsed_arguments))
            return {"temp_c": 21} if call.name == "get_weather" else "12:00"

        res = self.run_loop([tool_calls_reply(WEATHER), text_reply("21 C in Paris at noon.")], tool)
        self.assertEqual(res.text, "21 C in Paris at noon.")
        self.assertEqual(seen, [(1, 0, "call_w", "get_weather", {"city": "Paris"}),
                                (1, 1, "call_t", "get_time", {})])
        messages = res.conversation["messages"]
        self.assertEqual([m["role"] for m in messages], ["user", "assistant", "tool", "tool"])
        self.assertEqual(messages[2]["content"], '{"temp_c": 21}')
        self.assertEqual(messages[3], {"role": "tool", "tool_call_id": "call_t", "content": "12:00"})

    def test_step_limit(self):
        with self.assertRaises(oai.TooLargeError) as cm:
            self.run_loop([tool_calls_reply(WEATHER), tool_calls_reply(WEATHER, "c2")], lambda c: "x", max_steps=2)
        self.assertIn("limit of 2 steps", cm.exception.message)
        self.assertEqual(len(cm.exception.response.tool_calls), 2)

    def test_tool_returns_none_or_raises(self):
        with self.assertRaises(oai.CancelledError):
            self.run_loop([tool_calls_reply(WEATHER)], lambda c: None)

        class Boom(Exception):
            pass

        def boom(call):
            raise Boom()

        with self.assertRaises(Boom):
            self.run_loop([tool_calls_reply(WEATHER)], boom)

    def test_pulled_by_hand(self):
        script = scripted(tool_calls_reply(WEATHER), text_reply("done"))
        with MockServer(script) as server, client_for(server) as client, weather_request() as req:
            call = client.start_send_with_tools(req)
            pending = []
            while len(pending) < 2:
                client.poll(50)
                pending += call.pending()
            self.assertEqual([p.id for p in pending], ["call_w", "call_t"])
            with self.assertRaises(oai.NotFoundError):
                call.answer("call_x", "?")
            call.answer(pending[1], "12:00")          # any order
            with self.assertRaises(oai.ConflictError):
                call.answer("call_t", "again")
            call.answer("call_w", "sunny")
            res = call.result()
            self.assertEqual(res.text, "done")
            list(call)                                # the last events
            self.assertEqual(call.steps, 2)
            self.assertEqual(len(call.conversation["messages"]), 4)
            with self.assertRaises(oai.InvalidArgumentError):
                call.answer("call_w", "late")
            call.close()

    def test_no_callback_is_made(self):
        """The loop runs without any ctypes callback object."""
        made = []
        original = ctypes.CFUNCTYPE

        def spy(*args, **kwargs):
            made.append(args)
            return original(*args, **kwargs)

        def callback_objects():
            func_type = oai._lib.lib._FuncPtr
            return [o for o in gc.get_objects()
                    if isinstance(o, ctypes._CFuncPtr) and not isinstance(o, func_type)]

        ctypes.CFUNCTYPE = spy
        try:
            before = len(callback_objects())
            seen = []

            def tool(call):
                seen.append(len(callback_objects()))
                return "r"
            res = self.run_loop([tool_calls_reply(WEATHER), text_reply("ok")], tool)
        finally:
            ctypes.CFUNCTYPE = original
        self.assertEqual(res.text, "ok")
        self.assertEqual(made, [])
        self.assertEqual(seen, [before, before])


if __name__ == "__main__":
    unittest.main()
