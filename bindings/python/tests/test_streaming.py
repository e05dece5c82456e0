"""Streaming through the pull API, as a Python iterator over events."""

import unittest

from support import MockServer, MockServerTest, chat_chunk, client_for, oai, sse

WORDS = " ".join("w%d" % i for i in range(40))


class StreamTest(MockServerTest):

    def test_chat_stream_every_event(self):
        call = self.client.chat_stream("gpt-4o-mini", [("user", WORDS)], mock_stream_pieces=10)
        self.assertIsInstance(call, oai.Call)
        events = list(call)
        types = [e.type for e in events]
        # The role chunk, the text pieces, the finish chunk, [DONE].
        n = len(types) - 3
        self.assertGreaterEqual(n, 5)
        self.assertEqual(types, [oai.EVENT_OTHER] + [oai.EVENT_TEXT] * n + [oai.EVENT_OTHER, oai.EVENT_DONE])
        self.assertEqual([e.type_name for e in events[:2]], ["other", "text"])
        self.assertEqual(events[0].json["choices"][0]["delta"]["role"], "assistant")
        self.assertEqual(events[-2].json["choices"][0]["finish_reason"], "stop")
        self.assertEqual(events[-1].data, "[DONE]")
        self.assertIsNone(events[-1].json)
        pieces = [e.text for e in events if e.type == oai.EVENT_TEXT]
        self.assertEqual(len(pieces), n)
        for piece, event in zip(pieces, events[1:1 + n]):
            self.assertTrue(piece)
            self.assertEqual(event.choice_index, 0)
            self.assertEqual(event.tool_index, -1)
            self.assertIsNone(event.tool_id)
            self.assertEqual(event.json["choices"][0]["delta"]["content"], piece)
        expected = "Echo: " + WORDS
        self.assertEqual("".join(pieces), expected)
        self.assertEqual(call.text, expected)
        res = call.result()
        self.assertEqual(res.text, expected)
        self.assertEqual(res.get("/choices/0/message/content"), expected)
        self.assertEqual(res.get("/choices/0/finish_reason"), "stop")
        self.assertEqual(res.http_status, 200)
        self.assertTrue(res.request_id)
        self.assertIs(call.result(), res)
        self.assertEqual(list(call), [])  # exhausted: nothing more
        call.close()
        self.assertEqual(res.text, expected)  # the response outlives the call

    def test_stream_does_not_change_the_request(self):
        with oai.chat_completion_create("gpt-4o-mini", [("user", "same")],
                                        stream_options={"include_usage": True}) as req:
            with self.client.stream(req) as call:
                events = list(call)
            self.assertNotIn("stream", req.body)
            self.assertEqual(self.client.send(req).text, "Echo: same")
        usage = [e for e in events if e.type == oai.EVENT_USAGE]
        self.assertEqual(len(usage), 1)
        self.assertGreater(usage[0].json["usage"]["total_tokens"], 0)
        self.assertEqual(call.text, "Echo: same")

    def test_completion_and_responses_streams(self):
        with oai.completion_create("m", "legacy words here") as req:
            call = self.client.stream(req)
        texts = [e.text for e in call if e.type == oai.EVENT_TEXT]
        self.assertEqual("".join(texts), "Echo: legacy words here")
        self.assertEqual(call.result().text, "Echo: legacy words here")
        with oai.response_create("m", "responses words") as req:
            call = self.client.stream(req)
        events = list(call)
        self.assertEqual("".join(e.text for e in events if e.type == oai.EVENT_TEXT), "Echo: responses words")
        self.assertTrue(any(e.name == "response.created" for e in events))
        self.assertEqual(call.result().text, "Echo: responses words")

    def test_many_events_wait_unread_without_loss(self):
        # Over 1024 events queue while the client is polled without pulling
        # any: the queue applies back-pressure at 1024 and nothing is lost.
        words = " ".join("t%d" % i for i in range(3000))
        call = self.client.chat_stream("gpt-4o-mini", [("user", words)], mock_stream_pieces=3000)
        for _ in range(50):
            self.client.poll(5)
        texts = [e.text for e in call if e.type == oai.EVENT_TEXT]
        self.assertGreater(len(texts), 1024)
        self.assertEqual("".join(texts), "Echo: " + words)
        self.assertEqual(call.result().text, "Echo: " + words)

    def test_pulling_by_hand(self):
        call = self.client.chat_stream("gpt-4o-mini", [("user", "by hand")])
        seen = []
        while True:
            seen.extend(call.events())   # what is waiting now, no polling
            if call.done():
                seen.extend(call.events())
                break
            self.client.poll(10)
        self.assertEqual(seen[-1].type, oai.EVENT_DONE)
        self.assertEqual("".join(e.text for e in seen if e.type == oai.EVENT_TEXT), "Echo: by hand")
        self.assertIsNone(call.next_event())


class StreamFailureTest(unittest.TestCase):

    def test_broken_stream(self):
        script = [{
            "match": {"method": "POST", "path": "/v1/chat/completions"},
            "chunks": [chat_chunk("Hel", role="assistant"), chat_chunk("lo"), chat_chunk(" world", "stop"),
                       "data: [DONE]\n\n"],
            "fault": {"type": "reset", "after_chunks": 2},
        }]
        with MockServer(script) as server, client_for(server) as client:
            call = client.chat_stream("gpt-4o-mini", [("user", "hi")])
            seen = []
            with self.assertRaises(oai.APIConnectionError) as cm:
                for ev in call:
                    seen.append(ev)
            self.assertEqual([e.text for e in seen if e.type == oai.EVENT_TEXT], ["Hel", "lo"])
            self.assertEqual(call.text, "Hello")
            err = cm.exception
            self.assertEqual(err.status, oai.ERR_CONNECTION)
            self.assertEqual(err.http_status, 200)
            self.assertTrue(err.message)
            # The failed response keeps what was accumulated.
            res = call.result(raise_on_error=False)
            self.assertEqual(res.status, oai.ERR_CONNECTION)
            self.assertEqual(res.text, "Hello")
            call.close()
            # The script is used up: the next stream is the built-in one.
            call = client.chat_stream("gpt-4o-mini", [("user", "again")])
            call.raise_on_error = False
            self.assertEqual("".join(e.text for e in call if e.type == oai.EVENT_TEXT), "Echo: again")

    def test_error_event(self):
        script = [{
            "match": {"method": "POST", "path": "/v1/chat/completions"},
            "headers": {"x-request-id": "req_stream_err"},
            "chunks": [chat_chunk("partial", role="assistant"),
                       sse({"error": {"message": "The server had an error", "type": "server_error",
                                      "code": None, "param": None}})],
        }]
        with MockServer(script) as server, client_for(server) as client:
            call = client.chat_stream("gpt-4o-mini", [("user", "hi")])
            call.raise_on_error = False
            events = list(call)
            self.assertEqual(events[-1].type, oai.EVENT_ERROR)
            self.assertEqual(events[-1].text, "The server had an error")
            self.assertNotEqual(events[-1].error_status, oai.OK)
            with self.assertRaises(oai.APIStatusError) as cm:
                call.result()
            self.assertEqual(cm.exception.message, "The server had an error")
            self.assertEqual(cm.exception.request_id, "req_stream_err")
            self.assertEqual(cm.exception.error_type, "server_error")
            self.assertEqual(call.text, "partial")


if __name__ == "__main__":
    unittest.main()
