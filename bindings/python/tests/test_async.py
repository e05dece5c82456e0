"""Asynchronous calls through the pull API; lifetimes and collection order;
no C callback anywhere in these paths."""

import ctypes
import gc
import os
import subprocess
import sys
import time
import unittest

from support import MockServerTest, PACKAGE_ROOT, client_for, oai


class AsyncTest(MockServerTest):

    def test_several_calls_polled(self):
        calls = {}
        for i in range(8):
            with oai.chat_completion_create("gpt-4o-mini", [("user", "call %d" % i)]) as req:
                calls[i] = self.client.start(req)
        polls = 0
        while self.client.poll(20) > 0:
            polls += 1
            self.assertLess(polls, 1000)
        for i, call in calls.items():
            self.assertTrue(call.done())
            self.assertEqual(call.status, oai.OK)
            res = call.result()
            self.assertEqual(res.text, "Echo: call %d" % i)
            self.assertEqual(call.events(), [])  # not streamed: no events
            call.close()
        self.assertEqual(self.client.poll(0), 0)

    def test_streams_in_a_frame_loop(self):
        # Eight streams and two plain calls at once, one poll(0) per "frame",
        # each stream's events pulled every frame as they arrive.
        calls = [self.client.chat_stream("gpt-4o-mini", [("user", "stream %d a b c d" % i)], mock_stream_pieces=4)
                 for i in range(8)]
        plain = [self.client.start(oai.chat_completion_create("gpt-4o-mini", [("user", "plain %d" % i)]))
                 for i in range(2)]
        texts = [[] for _ in calls]
        frames = 0
        while not all(c.done() for c in calls + plain):
            self.client.poll(0)
            for i, call in enumerate(calls):
                texts[i].extend(e.text for e in call.events() if e.type == oai.EVENT_TEXT)
            frames += 1
            time.sleep(0.001)
            self.assertLess(frames, 20000)
        for i, call in enumerate(calls):
            texts[i].extend(e.text for e in call.events() if e.type == oai.EVENT_TEXT)
            self.assertEqual("".join(texts[i]), "Echo: stream %d a b c d" % i)
            self.assertEqual(call.result().text, "Echo: stream %d a b c d" % i)
        self.assertEqual([c.result().text for c in plain], ["Echo: plain 0", "Echo: plain 1"])

    def test_wait_and_result(self):
        calls = [self.client.start(oai.model_retrieve("mock-model")) for _ in range(3)]
        self.assertTrue(self.client.wait(calls, timeout_ms=10000))
        self.assertEqual([c.result().get("/id") for c in calls], ["mock-model"] * 3)
        call = self.client.start(oai.model_retrieve("gpt-4o-mini"))
        self.assertEqual(call.result().get("/id"), "gpt-4o-mini")
        self.assertTrue(call.wait())

    def test_errors_of_calls(self):
        call = self.client.start(oai.model_retrieve("no-such-model"))
        with self.assertRaises(oai.NotFoundError) as cm:
            call.result()
        self.assertEqual(cm.exception.http_status, 404)
        self.assertEqual(cm.exception.error_code, "model_not_found")
        res = call.result(raise_on_error=False)
        self.assertEqual(res.status, oai.ERR_NOT_FOUND)
        self.assertEqual(call.status, oai.ERR_NOT_FOUND)

    def test_context_manager_and_repr(self):
        with self.client.start(oai.model_list()) as call:
            self.assertIn(repr(call), ("<oai.Call running>", "<oai.Call done>"))
            call.result()
            self.assertEqual(repr(call), "<oai.Call done>")
        self.assertEqual(repr(call), "<oai.Call closed>")
        with self.assertRaises(oai.InvalidArgumentError):
            call.done()


class SlowServerTest(MockServerTest):
    """Answers to /v1/completions take 3 s, so calls can be caught running."""

    SCRIPT = [{"match": {"path": "/v1/completions"}, "delay_ms": 3000, "repeat": -1,
               "body": {"object": "text_completion", "choices": [{"index": 0, "text": "slow"}]}}]

    def slow_call(self, client=None):
        with oai.completion_create("m", "slow") as req:
            return (client or self.client).start(req)

    def test_cancel(self):
        call = self.slow_call()
        self.client.poll(10)
        self.assertFalse(call.done())
        started = time.monotonic()
        call.cancel()
        with self.assertRaises(oai.CancelledError) as cm:
            call.result()
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(cm.exception.status, oai.ERR_CANCELLED)
        self.assertEqual(call.status, oai.ERR_CANCELLED)
        call.cancel()  # cancelling a finished call is fine
        call.close()

    def test_result_timeout(self):
        call = self.slow_call()
        with self.assertRaises(TimeoutError):
            call.result(timeout_ms=50)
        self.assertFalse(call.wait(timeout_ms=20))
        self.assertFalse(self.client.wait([call], timeout_ms=20))
        call.close()  # frees a running call: cancelled silently

    def test_close_running_call(self):
        call = self.slow_call()
        self.client.poll(10)
        call.close()
        self.assertEqual(self.client.poll(0), 0)

    # ---- collection order: a call may outlive its client ----

    def test_client_closed_before_running_call(self):
        client = client_for(self.server)
        call = self.slow_call(client)
        stream = client.chat_stream("gpt-4o-mini", [("user", "never read")])
        client.poll(10)
        client.close()
        self.assertTrue(call.done())
        self.assertEqual(call.status, oai.ERR_CANCELLED)
        with self.assertRaises(oai.CancelledError):
            call.result()
        self.assertEqual(call.events(), [])
        # The stream's events received before the free stay readable.
        stream.raise_on_error = False
        list(stream)
        call.close()
        stream.close()

    def test_client_collected_before_call(self):
        client = client_for(self.server)
        call = self.slow_call(client)
        done = client.start(oai.model_list())
        res = done.result()
        # Client and calls in one reference cycle: the collector finalizes
        # them in an order of its choosing. Force the client's first.
        client.cycle = [call, done]
        call.client_ref = client
        client.__del__()
        self.assertTrue(call.done())
        del client
        call.__del__()
        done.__del__()
        del call, done
        gc.collect()
        self.assertTrue(res.ok)
        self.assertGreater(len(res.json["data"]), 0)

    def test_cycles_collected_in_any_order(self):
        for round in range(10):
            client = client_for(self.server)
            calls = [self.slow_call(client), client.chat_stream("gpt-4o-mini", [("user", "x")])]
            pager = client.paginate(oai.model_list())
            client.poll(1)
            client.cycle = calls + [pager]
            for c in calls:
                c.cycle = client
            pager.cycle = client
            del client, calls, pager, c
            gc.collect()

    def test_interpreter_exit_with_live_objects(self):
        # A child interpreter leaves a client, running calls, a pager and a
        # response to the finalizers at exit, in whatever order they run.
        code = (
            "import oai\n"
            "c = oai.Client(base_url=%r, api_key='sk')\n"
            "call = c.start(oai.completion_create('m', 'slow'))\n"
            "s = c.chat_stream('gpt-4o-mini', [('user', 'x')])\n"
            "p = c.paginate(oai.model_list()); next(p)\n"
            "r = c.chat('gpt-4o-mini', [('user', 'y')])\n"
            "c.poll(10)\n"
            "c.cycle = [call, s, p]; call.cycle = c\n"
            "print(r.text)\n" % self.server.base_url)
        env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        self.assertEqual(out.stdout.decode().strip(), "Echo: y")


class NoCallbackTest(MockServerTest):
    """The streaming and asynchronous paths create no ctypes callback."""

    def callback_objects(self):
        # A callback handed to C must stay alive while C may call it: any
        # would be found among the live objects.
        func_type = oai._lib.lib._FuncPtr
        return [o for o in gc.get_objects()
                if isinstance(o, ctypes._CFuncPtr) and not isinstance(o, func_type)]

    def test_no_callback_type_declared(self):
        # By design: no prototype takes a function pointer type; the done
        # callback of oai_client_start is a void * the binding passes NULL.
        self.assertGreater(len(oai._lib.DECLARED), 150)
        # The one exception: the token provider (oai_token_fn), which the
        # library calls before each attempt and a Client keeps alive.
        for name, (restype, argtypes) in oai._lib.DECLARED.items():
            if name == "oai_client_set_token_callback":
                self.assertIs(argtypes[1], oai._lib.token_fn_t)
                continue
            for t in argtypes + (restype,):
                self.assertFalse(isinstance(t, type) and issubclass(t, ctypes._CFuncPtr), name)
        # ... and no source file of the package makes one (but _lib.py's
        # one declaration of token_fn_t).
        package = os.path.join(PACKAGE_ROOT, "oai")
        for name in os.listdir(package):
            if name.endswith(".py"):
                with open(os.path.join(package, name)) as f:
                    source = f.read()
                for word in ("CFUNCTYPE(", "PYFUNCTYPE(", "WINFUNCTYPE(", "_CFuncPtr"):
                    allowed = 1 if (name, word) == ("_lib.py", "CFUNCTYPE(") else 0
                    self.assertEqual(source.count(word), allowed, (name, word))

    def test_no_callback_made_while_streaming(self):
        made = []
        originals = {}
        for name in ("CFUNCTYPE", "PYFUNCTYPE"):
            originals[name] = getattr(ctypes, name)

            def counting(*args, _orig=originals[name], **kw):
                made.append(args)
                return _orig(*args, **kw)
            setattr(ctypes, name, counting)
        try:
            before = len(self.callback_objects())
            calls = [self.client.chat_stream("gpt-4o-mini", [("user", "no callbacks %d" % i)]) for i in range(4)]
            plain = self.client.start(oai.model_list())
            walk = self.client.start_paginate(oai.model_list())          # workflows too
            follow = self.client.start_follow_fine_tuning_job("ftjob-none", poll_interval_ms=10)
            first = next(calls[0])  # mid-stream: a callback would have to be alive now
            self.assertEqual(len(self.callback_objects()), before)
            texts = [[e.text for e in c if e.type == oai.EVENT_TEXT] for c in calls]
            self.assertEqual(first.type, oai.EVENT_OTHER)
            self.assertEqual(["".join(t) for t in texts], ["Echo: no callbacks %d" % i for i in range(4)])
            plain.result()
            self.assertEqual([e.json["id"] for e in walk], ["gpt-4o-mini", "mock-model"])
            with self.assertRaises(oai.NotFoundError):
                follow.result()
            self.assertEqual(len(self.callback_objects()), before)
        finally:
            for name, fn in originals.items():
                setattr(ctypes, name, fn)
        self.assertEqual(made, [])


if __name__ == "__main__":
    unittest.main()
