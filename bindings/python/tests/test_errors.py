"""Errors as exceptions carrying the status, the HTTP status, the request
id and the message: a scripted 429 storm, 404s, each HTTP status class,
transport failures and local failures."""

import os
import socket
import unittest

from support import MockServer, client_for, oai

RATE_LIMIT_BODY = {"error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests",
                             "param": None, "code": "rate_limit_exceeded"}}


def storm(repeat):
    return {"match": {"method": "POST", "path": "/v1/chat/completions"}, "repeat": repeat, "status": 429,
            "headers": {"retry-after-ms": 10, "x-request-id": "req_storm",
                        "x-ratelimit-remaining-requests": 0},
            "body": RATE_LIMIT_BODY}


class RateLimitStormTest(unittest.TestCase):

    def test_storm_outlasts_the_retries(self):
        with MockServer([storm(3)]) as server, client_for(server) as client:
            with self.assertRaises(oai.RateLimitError) as cm:
                client.chat("gpt-4o-mini", [("user", "hi")])
            err = cm.exception
            self.assertIsInstance(err, oai.APIStatusError)
            self.assertIsInstance(err, oai.OAIError)
            self.assertEqual(err.status, oai.ERR_RATE_LIMIT)
            self.assertEqual(err.status_name, "OAI_ERR_RATE_LIMIT")
            self.assertEqual(err.http_status, 429)
            self.assertEqual(err.request_id, "req_storm")
            self.assertEqual(err.message, "Rate limit reached for gpt-4o-mini")
            self.assertEqual(err.error_type, "requests")
            self.assertEqual(err.error_code, "rate_limit_exceeded")
            self.assertIsNone(err.error_param)
            self.assertEqual(err.retry_count, 2)          # the default: 2 retries, 3 attempts
            self.assertEqual(err.retry_after_ms, 10)
            self.assertEqual(str(err), "OAI_ERR_RATE_LIMIT: Rate limit reached for gpt-4o-mini "
                                       "(HTTP 429, request req_storm)")
            # The failed response stays readable through the exception.
            self.assertEqual(err.response.header("x-ratelimit-remaining-requests"), "0")
            self.assertEqual(err.response.json, RATE_LIMIT_BODY)
            # The storm is over: the next call is answered.
            self.assertEqual(client.chat("gpt-4o-mini", [("user", "hi")]).text, "Echo: hi")

    def test_retries_ride_out_the_storm(self):
        with MockServer([storm(3)]) as server, client_for(server, max_retries=3) as client:
            res = client.chat("gpt-4o-mini", [("user", "patient")])
            self.assertEqual(res.text, "Echo: patient")
            self.assertEqual(res.retry_count, 3)

    def test_storm_in_async_and_streamed_calls(self):
        with MockServer([storm(6)]) as server, client_for(server) as client:
            call = client.start(oai.chat_completion_create("gpt-4o-mini", [("user", "a")]))
            stream = client.chat_stream("gpt-4o-mini", [("user", "b")])
            for c in (call, stream):
                with self.assertRaises(oai.RateLimitError) as cm:
                    if c is stream:
                        list(c)
                    else:
                        c.result()
                self.assertEqual(cm.exception.http_status, 429)
                self.assertEqual(cm.exception.request_id, "req_storm")
                self.assertEqual(cm.exception.retry_count, 2)

    def test_raise_on_error_false(self):
        with MockServer([storm(1)]) as server, client_for(server, max_retries=0) as client:
            with oai.chat_completion_create("gpt-4o-mini", [("user", "x")]) as req:
                res = client.send(req, raise_on_error=False)
            self.assertFalse(res.ok)
            self.assertEqual(res.status, oai.ERR_RATE_LIMIT)
            self.assertEqual(res.http_status, 429)
            self.assertEqual(res.error_message, "Rate limit reached for gpt-4o-mini")
            err = res.error()
            self.assertIsInstance(err, oai.RateLimitError)
            self.assertIs(err.response, res)
            with self.assertRaises(oai.RateLimitError):
                res.raise_for_status()


class StatusClassTest(unittest.TestCase):
    """Each HTTP status becomes its exception class."""

    CASES = [
        (400, oai.BadRequestError, oai.ERR_BAD_REQUEST),
        (401, oai.AuthenticationError, oai.ERR_AUTHENTICATION),
        (403, oai.PermissionDeniedError, oai.ERR_PERMISSION_DENIED),
        (404, oai.NotFoundError, oai.ERR_NOT_FOUND),
        (409, oai.ConflictError, oai.ERR_CONFLICT),
        (422, oai.UnprocessableEntityError, oai.ERR_UNPROCESSABLE),
        (429, oai.RateLimitError, oai.ERR_RATE_LIMIT),
        (500, oai.InternalServerError, oai.ERR_SERVER),
        (503, oai.InternalServerError, oai.ERR_SERVER),
        (418, oai.APIError, oai.ERR_API),
    ]

    def test_each_status(self):
        script = [{"match": {"path": "/v1/status/%d" % code}, "repeat": -1, "status": code,
                   "headers": {"x-request-id": "req_%d" % code},
                   "body": {"error": {"message": "status %d" % code, "type": "t%d" % code,
                                      "param": "p", "code": "c%d" % code}}}
                  for code, _, _ in self.CASES]
        with MockServer(script) as server, client_for(server, max_retries=0) as client:
            for code, cls, status in self.CASES:
                with self.subTest(code=code), oai.Request("GET", "/status/%d" % code) as req:
                    with self.assertRaises(cls) as cm:
                        client.send(req)
                    err = cm.exception
                    self.assertIs(type(err), cls)
                    self.assertIsInstance(err, oai.APIStatusError)
                    self.assertEqual(err.status, status)
                    self.assertEqual(err.http_status, code)
                    self.assertEqual(err.request_id, "req_%d" % code)
                    self.assertEqual(err.message, "status %d" % code)
                    self.assertEqual((err.error_type, err.error_code, err.error_param),
                                     ("t%d" % code, "c%d" % code, "p"))

    def test_builtin_404(self):
        with MockServer() as server, client_for(server) as client:
            with self.assertRaises(oai.NotFoundError) as cm:
                client.send(oai.model_retrieve("gpt-9"))
            err = cm.exception
            self.assertEqual(err.http_status, 404)
            self.assertEqual(err.error_code, "model_not_found")
            self.assertIn("gpt-9", err.message)
            self.assertTrue(err.request_id.startswith("req_mock_"))
            self.assertEqual(err.retry_count, 0)  # a 404 is not retried
            with self.assertRaises(oai.NotFoundError):
                client.send(oai.Request("GET", "/no/such/endpoint"))

    def test_error_classes(self):
        self.assertEqual(sorted(oai.ERROR_CLASSES), list(range(1, 21)))
        for status, cls in oai.ERROR_CLASSES.items():
            self.assertEqual(cls.status, status)
            self.assertIs(oai.error_class(status), cls)
            err = cls("m", status=status)
            self.assertEqual(err.status_name, oai.status_name(status))
        self.assertIs(oai.error_class(99), oai.OAIError)
        self.assertTrue(issubclass(oai.APITimeoutError, oai.APIConnectionError))
        self.assertTrue(issubclass(oai.InvalidArgumentError, ValueError))


class TransportErrorTest(unittest.TestCase):

    def test_connection_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with oai.Client(base_url="http://127.0.0.1:%d/v1" % port, api_key="sk", max_retries=0) as client:
            with self.assertRaises(oai.APIConnectionError) as cm:
                client.chat("m", [("user", "x")])
            self.assertEqual(cm.exception.status, oai.ERR_CONNECTION)
            self.assertEqual(cm.exception.http_status, 0)
            self.assertIsNone(cm.exception.request_id)
            self.assertTrue(cm.exception.message)

    def test_timeout(self):
        script = [{"match": {"path": "/v1/models"}, "fault": "stall", "repeat": -1}]
        with MockServer(script) as server, client_for(server, max_retries=0, timeout_ms=200) as client:
            with self.assertRaises(oai.APITimeoutError) as cm:
                client.send(oai.model_list())
            self.assertEqual(cm.exception.status, oai.ERR_TIMEOUT)

    def test_non_json_answer(self):
        script = [{"match": {"path": "/v1/models"}, "headers": {"Content-Type": "text/html"},
                   "body": "<html>proxy page</html>"}]
        with MockServer(script) as server, client_for(server) as client:
            with self.assertRaises(oai.ProtocolError) as cm:
                client.send(oai.model_list())
            self.assertEqual(cm.exception.http_status, 200)


class LocalErrorTest(unittest.TestCase):

    def test_local_failures(self):
        with self.assertRaises(oai.LocalIOError) as cm:
            oai.file_create("/no/such/dir/data.jsonl", "fine-tune")
        self.assertEqual(cm.exception.status, oai.ERR_IO)
        self.assertIn("/no/such/dir/data.jsonl", cm.exception.message)
        with self.assertRaises(oai.InvalidArgumentError):
            oai.fine_tuning_job_retrieve("")
        with self.assertRaises(oai.InvalidArgumentError):
            oai.chat_completion_create("m").set("/temperature", float("inf"))
        with self.assertRaises(oai.LocalIOError):
            oai.BatchWriter("/no/such/dir/batch.jsonl")
        with self.assertRaises(oai.LocalIOError):
            list(oai.read_batch_file("/no/such/dir/out.jsonl"))
        with self.assertRaises(oai.LocalIOError):
            oai.Request("POST", "/files").add_file_part("file", "/no/such/file")
        self.assertFalse(os.path.exists("/no/such/dir"))


if __name__ == "__main__":
    unittest.main()
