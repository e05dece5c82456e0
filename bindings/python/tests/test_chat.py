"""Blocking calls: chat, completions, responses, embeddings, models; the
request builders; the client's options."""

import os
import unittest

from support import MockServerTest, oai


class ChatTest(MockServerTest):

    def test_chat(self):
        res = self.client.chat("gpt-4o-mini", [("system", "Be brief."), {"role": "user", "content": "hello"}])
        self.assertIsInstance(res, oai.Response)
        self.assertTrue(res.ok)
        self.assertEqual(res.status, oai.OK)
        self.assertEqual(res.status_name, "OAI_OK")
        self.assertEqual(res.http_status, 200)
        self.assertEqual(res.text, "Echo: hello")
        self.assertTrue(res.request_id.startswith("req_mock_"))
        self.assertEqual(res.header("X-Request-Id"), res.request_id)
        self.assertIn(("x-request-id", res.request_id), res.headers)
        self.assertEqual(res.json["choices"][0]["message"]["content"], "Echo: hello")
        self.assertEqual(res.get("/choices/0/finish_reason"), "stop")
        self.assertEqual(res.get("/usage/total_tokens"), res.json["usage"]["total_tokens"])
        self.assertIsNone(res.get("/no/such/field"))
        self.assertEqual(res.get("/no/such/field", 7), 7)
        self.assertEqual(res.retry_count, 0)
        self.assertEqual(res.retry_after_ms, -1)
        self.assertIsNone(res.error())
        self.assertIs(res.raise_for_status(), res)
        self.assertIn(b'"Echo: hello"', res.body)
        self.assertGreater(res.total_time_us, 0)
        res.close()
        with self.assertRaises(oai.InvalidArgumentError):
            res.text
        res.close()  # twice is fine

    def test_chinese_poem(self):
        res = self.client.chat("gpt-4o-mini", [("user", "写一首关于春天的诗")])
        self.assertTrue(res.text)
        self.assertNotIn("Echo", res.text)

    def test_request_send_and_reuse(self):
        with oai.chat_completion_create("gpt-4o-mini", [("user", "one")], temperature=0.5) as req:
            self.assertEqual(self.client.send(req).text, "Echo: one")
            req.add_message("assistant", "Echo: one").add_message("user", "two")
            self.assertEqual(self.client.send(req).text, "Echo: two")

    def test_max_tokens(self):
        res = self.client.chat("gpt-4o-mini", [("user", "a b c d e f")], max_tokens=2)
        self.assertEqual(res.get("/choices/0/finish_reason"), "length")

    def test_completion(self):
        with oai.completion_create("gpt-3.5-turbo-instruct", "Say this") as req:
            res = self.client.send(req)
        self.assertEqual(res.text, "Echo: Say this")
        self.assertEqual(res.get("/object"), "text_completion")

    def test_responses(self):
        with oai.response_create("gpt-4o-mini", "Tell me") as req:
            res = self.client.send(req)
        self.assertEqual(res.text, "Echo: Tell me")
        with oai.response_create("gpt-4o-mini", [{"role": "user", "content": "list input"}]) as req:
            self.assertEqual(req.body["input"], [{"role": "user", "content": "list input"}])
            self.assertEqual(self.client.send(req).text, "Echo: list input")

    def test_embeddings(self):
        with oai.embedding_create("text-embedding-3-small", "one") as req:
            res = self.client.send(req)
        self.assertEqual(len(res.embeddings), 1)
        self.assertEqual(len(res.embedding(0)), 8)
        with oai.embedding_create("text-embedding-3-small", ["one", "two", "one"]) as req:
            res = self.client.send(req)
        vectors = res.embeddings
        self.assertEqual(len(vectors), 3)
        self.assertEqual(vectors[0], vectors[2])
        self.assertNotEqual(vectors[0], vectors[1])
        self.assertIsNone(res.embedding(3))
        for x in vectors[1]:
            self.assertIsInstance(x, float)

    def test_models(self):
        with oai.model_list() as req:
            ids = [m["id"] for m in self.client.send(req).json["data"]]
        self.assertIn("gpt-4o-mini", ids)
        self.assertEqual([m["id"] for m in self.client.paginate(oai.model_list())], ids)
        with oai.model_retrieve("mock-model") as req:
            self.assertEqual(self.client.send(req).get("/id"), "mock-model")
        with oai.model_delete("ft:gpt-4o-mini:mock:x:1") as req:
            self.assertIs(self.client.send(req).get("/deleted"), True)

    def test_generic_request(self):
        with oai.Request("GET", "/models/gpt-4o-mini") as req:
            self.assertEqual(req.method, "GET")
            self.assertEqual(req.path, "/models/gpt-4o-mini")
            self.assertEqual(self.client.send(req).get("/owned_by"), "system")

    def test_response_outlives_client(self):
        client = oai.Client(base_url=self.server.base_url, api_key="sk")
        res = client.chat("gpt-4o-mini", [("user", "kept")])
        client.close()
        del client
        self.assertEqual(res.text, "Echo: kept")
        self.assertEqual(res.http_status, 200)


class RequestBuilderTest(unittest.TestCase):
    """Builders and setters, checked through the body the C request holds."""

    def test_chat_builder(self):
        tools = [
            {"name": "get_weather", "description": "The weather", "parameters": {"type": "object"}},
            {"type": "function", "function": {"name": "raw_tool"}},
        ]
        messages = [
            ("developer", "rules"),
            {"role": "user", "content": "hi"},
            {"role": "user", "content": [{"type": "text", "text": "parts"}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        ]
        with oai.chat_completion_create("gpt-4o-mini", messages, tools, temperature=0.25, n=2, stream_options=None,
                                        metadata={"a/b": "c"}) as req:
            body = req.body
            self.assertEqual(req.method, "POST")
            self.assertEqual(req.path, "/chat/completions")
        self.assertEqual(body["model"], "gpt-4o-mini")
        self.assertEqual(body["messages"][0], {"role": "developer", "content": "rules"})
        self.assertEqual(body["messages"][2]["content"][0]["text"], "parts")
        self.assertEqual(body["messages"][3]["tool_calls"][0]["id"], "call_1")
        self.assertEqual(body["tools"][0]["function"],
                         {"name": "get_weather", "description": "The weather", "parameters": {"type": "object"}})
        self.assertEqual(body["tools"][1], {"type": "function", "function": {"name": "raw_tool"}})
        self.assertEqual(body["temperature"], 0.25)
        self.assertEqual(body["n"], 2)
        self.assertIsNone(body["stream_options"])
        self.assertEqual(body["metadata"], {"a/b": "c"})

    def test_tool_round_trip(self):
        with oai.chat_completion_create("m", [("user", "weather?")]) as req:
            req.add_tool_call("call_9", "get_weather", {"city": "Paris"})
            req.add_tool_result("call_9", "sunny")
            msgs = req.body["messages"]
        self.assertEqual(msgs[1]["role"], "assistant")
        self.assertEqual(msgs[1]["tool_calls"][0]["function"], {"name": "get_weather",
                                                               "arguments": '{"city": "Paris"}'})
        self.assertEqual(msgs[2], {"role": "tool", "tool_call_id": "call_9", "content": "sunny"})

    def test_setters(self):
        req = oai.Request("POST", "/anything")
        req.set("/s", "text").set("/i", 1 << 40).set("/f", 1.5).set("/t", True).set("/n", None)
        req.set("/l", [1, "two"]).set("/o/deep/er", "x").set_json("/j", '{"k": [1]}')
        req.set("/nul", "a\0b")
        body = req.body
        self.assertEqual(body["s"], "text")
        self.assertEqual(body["i"], 1 << 40)
        self.assertEqual(body["f"], 1.5)
        self.assertIs(body["t"], True)
        self.assertIsNone(body["n"])
        self.assertEqual(body["l"], [1, "two"])
        self.assertEqual(body["o"], {"deep": {"er": "x"}})
        self.assertEqual(body["j"], {"k": [1]})
        self.assertEqual(body["nul"], "a\0b")
        req.remove("/s")
        self.assertNotIn("s", req.body)
        with self.assertRaises(oai.NotFoundError):
            req.remove("/s")
        with self.assertRaises(oai.InvalidArgumentError):
            req.set("no-slash", 1)
        with self.assertRaises(oai.InvalidArgumentError):
            req.set("/x", float("nan"))
        with self.assertRaises(oai.InvalidArgumentError):
            req.set("/x", 1 << 70)
        with self.assertRaises(oai.InvalidArgumentError):
            req.set_json("/x", "{not json")
        req.set_query("limit", 5).set_query("after", "f 1")
        self.assertEqual(req.query("limit"), "5")
        self.assertEqual(req.query("after"), "f 1")
        req.set_query("after", None)
        self.assertIsNone(req.query("after"))
        req.set_header("X-Test", "1").set_timeout_ms(1000).set_max_retries(0).set_idempotency_key("")
        with self.assertRaises(oai.InvalidArgumentError):
            req.set_header("Bad Name", "x")
        copy = req.clone()
        copy.set("/only_in_copy", 1)
        self.assertNotIn("only_in_copy", req.body)
        req.close()
        self.assertIn("only_in_copy", copy.body)
        with self.assertRaises(oai.InvalidArgumentError) as cm:
            req.body
        self.assertIn("the request is closed", str(cm.exception))
        self.assertEqual(repr(req), "<oai.Request closed>")
        req.close()  # a second close does nothing
        with copy:
            pass
        with self.assertRaises(oai.InvalidArgumentError):
            copy.handle  # the context manager closed it

    def test_bad_arguments_raise_with_the_sticky_message(self):
        with self.assertRaises(oai.InvalidArgumentError) as cm:
            oai.model_retrieve("")
        self.assertIsInstance(cm.exception, ValueError)
        self.assertEqual(cm.exception.status, oai.ERR_INVALID_ARGUMENT)
        self.assertTrue(cm.exception.message)
        with self.assertRaises(oai.InvalidArgumentError):
            oai.Request("get me", "/x")
        with self.assertRaises(oai.LocalIOError) as cm:
            oai.file_create("/nonexistent/train.jsonl", "fine-tune")
        self.assertIn("/nonexistent/train.jsonl", cm.exception.message)

    def test_builders_paths(self):
        cases = [
            (oai.model_list(), "GET", "/models"),
            (oai.file_list(limit=2, order="asc"), "GET", "/files"),
            (oai.file_retrieve("file-1"), "GET", "/files/file-1"),
            (oai.file_delete("file-1"), "DELETE", "/files/file-1"),
            (oai.file_retrieve_content("file-1"), "GET", "/files/file-1/content"),
            (oai.file_create_from_data(b"{}\n", "a.jsonl", "batch"), "POST", "/files"),
            (oai.upload_create("a.jsonl", "fine-tune", 10, "application/jsonl"), "POST", "/uploads"),
            (oai.upload_complete("upload_1", ["part_1", "part_2"], None), "POST", "/uploads/upload_1/complete"),
            (oai.upload_cancel("upload_1"), "POST", "/uploads/upload_1/cancel"),
            (oai.fine_tuning_job_create("gpt-4o-mini", "file-1", suffix="s"), "POST", "/fine_tuning/jobs"),
            (oai.fine_tuning_job_list(limit=1), "GET", "/fine_tuning/jobs"),
            (oai.fine_tuning_job_retrieve("ftjob-1"), "GET", "/fine_tuning/jobs/ftjob-1"),
            (oai.fine_tuning_job_cancel("ftjob-1"), "POST", "/fine_tuning/jobs/ftjob-1/cancel"),
            (oai.fine_tuning_job_pause("ftjob-1"), "POST", "/fine_tuning/jobs/ftjob-1/pause"),
            (oai.fine_tuning_job_resume("ftjob-1"), "POST", "/fine_tuning/jobs/ftjob-1/resume"),
            (oai.fine_tuning_job_list_events("ftjob-1"), "GET", "/fine_tuning/jobs/ftjob-1/events"),
            (oai.fine_tuning_job_list_checkpoints("ftjob-1"), "GET", "/fine_tuning/jobs/ftjob-1/checkpoints"),
            (oai.batch_create("file-1", "/v1/chat/completions"), "POST", "/batches"),
            (oai.batch_retrieve("batch_1"), "GET", "/batches/batch_1"),
            (oai.batch_list(), "GET", "/batches"),
            (oai.batch_cancel("batch_1"), "POST", "/batches/batch_1/cancel"),
        ]
        for req, method, path in cases:
            with req:
                self.assertEqual((req.method, req.path), (method, path))
        with oai.upload_complete("upload_1", ["part_1", "part_2"], "abc") as req:
            self.assertEqual(req.body, {"part_ids": ["part_1", "part_2"], "md5": "abc"})
        with oai.batch_create("file-1", "/v1/chat/completions") as req:
            self.assertEqual(req.body["completion_window"], "24h")
        with oai.fine_tuning_job_create("gpt-4o-mini", "file-1", suffix="s",
                                        hyperparameters={"n_epochs": 2}) as req:
            self.assertEqual(req.body["hyperparameters"], {"n_epochs": 2})
        self.assertEqual(len(oai.BUILDERS), 29)
        for name in oai.BUILDERS:
            self.assertTrue(callable(getattr(oai, name)), name)


class ClientTest(MockServerTest):

    def test_options(self):
        with oai.Client(base_url=self.server.base_url + "/", api_key="sk", organization="org", project="p",
                        headers={"X-Extra": "1", "X-Stainless-OS": None}, user_agent="py-test",
                        platform_headers=False, timeout_ms=5000, connect_timeout_ms=1000, idle_timeout_ms=0,
                        first_byte_timeout_ms=0, max_retries=0, retry_backoff_ms=(10, 100),
                        retry_after_cap_ms=1000, max_response_bytes=1 << 20, poll_budget_us=1000,
                        log_level=0) as client:
            self.assertEqual(client.base_url, self.server.base_url)
            self.assertEqual(client.chat("m", [("user", "x")]).text, "Echo: x")
            client.warm_up()
        self.assertTrue(client.closed)
        self.assertEqual(repr(client), "<oai.Client closed>")
        with self.assertRaises(oai.InvalidArgumentError) as cm:
            client.chat("m", [("user", "x")])
        self.assertIn("the client is closed", str(cm.exception))
        client.close()

    def test_bad_options(self):
        with self.assertRaises(oai.InvalidArgumentError) as cm:
            oai.Client(base_url="ftp://nowhere")
        self.assertIn("base_url", cm.exception.message)
        with self.assertRaises(oai.InvalidArgumentError):
            oai.Client(base_url=self.server.base_url, max_retries=1000)
        with self.assertRaises(oai.InvalidArgumentError):
            oai.Client(base_url=self.server.base_url, retry_backoff_ms=(100, 10))
        with oai.Client(base_url=self.server.base_url, ca_pem=b"not a certificate") as client:
            # A plain http:// server: the CA is not used.
            self.assertEqual(client.chat("m", [("user", "pem")]).text, "Echo: pem")

    def test_environment(self):
        saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY")}
        try:
            os.environ["OPENAI_BASE_URL"] = "not a url"
            with self.assertRaises(oai.InvalidArgumentError) as cm:
                oai.Client()
            self.assertIn("OPENAI_BASE_URL", cm.exception.message)
            # An explicit base URL repairs it.
            with oai.Client(base_url=self.server.base_url) as client:
                self.assertEqual(client.base_url, self.server.base_url)
            os.environ["OPENAI_BASE_URL"] = self.server.base_url
            os.environ["OPENAI_API_KEY"] = "sk-env"
            with oai.Client() as client:
                self.assertEqual(client.chat("m", [("user", "env")]).text, "Echo: env")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def test_version(self):
        self.assertEqual(oai.version(), "0.1.0")
        self.assertTrue(oai.version_check(0, 1, 0))
        self.assertFalse(oai.version_check(99, 0, 0))
        self.assertEqual(oai.status_name(oai.ERR_RATE_LIMIT), "OAI_ERR_RATE_LIMIT")
        self.assertTrue(oai.status_message(oai.ERR_RATE_LIMIT))
        self.assertTrue(os.path.exists(oai.library_path))


if __name__ == "__main__":
    unittest.main()
