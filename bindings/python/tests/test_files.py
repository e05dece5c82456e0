"""Files: upload, retrieve, list, download to a path; large uploads;
pagination; batches and their JSONL files."""

import hashlib
import os
import unittest

from support import MockServerTest, oai

BINARY = bytes(range(256)) * 40 + b"\0end"


class FilesTest(MockServerTest):

    def test_upload_retrieve_download(self):
        path = self.write("data.bin", BINARY)
        res = self.client.upload_file(path, "user_data")
        file_id = res.get("/id")
        self.assertTrue(file_id.startswith("file-"))
        self.assertEqual(res.get("/filename"), "data.bin")
        self.assertEqual(res.get("/bytes"), len(BINARY))
        self.assertEqual(res.get("/purpose"), "user_data")
        self.assertEqual(self.client.retrieve_file(file_id).get("/bytes"), len(BINARY))

        out = self.path("download.bin")
        res = self.client.download_file(file_id, out)
        self.assertTrue(res.ok)
        self.assertEqual(res.body, b"")          # the body went to the file
        with open(out, "rb") as f:
            self.assertEqual(f.read(), BINARY)

        # Into memory, raw: the bytes, NULs included.
        with oai.file_retrieve_content(file_id) as req:
            self.assertEqual(self.client.send(req).body, BINARY)

    def test_failed_download_leaves_the_file(self):
        out = self.write("keep.txt", "precious")
        with self.assertRaises(oai.NotFoundError):
            self.client.download_file("file-missing", out)
        with open(out) as f:
            self.assertEqual(f.read(), "precious")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["keep.txt"])  # no temporary file left

    def test_upload_from_memory_list_and_delete(self):
        ids = []
        for i in range(5):
            with oai.file_create_from_data(b'{"n": %d}\n' % i, "mem%d.jsonl" % i, "batch") as req:
                ids.append(self.client.send(req).get("/id"))
        # Two items per page: the pager follows the cursor across pages.
        listed = [f["id"] for f in self.client.paginate(oai.file_list(limit=2, purpose="batch"))]
        for file_id in ids:
            self.assertIn(file_id, listed)
        self.assertEqual(len(listed), len(set(listed)))
        self.assertEqual(len(list(self.client.paginate(oai.file_list(limit=2), max_items=3))), 3)
        with oai.file_delete(ids[0]) as req:
            self.assertIs(self.client.send(req).get("/deleted"), True)
        with self.assertRaises(oai.NotFoundError):
            self.client.retrieve_file(ids[0])

    def test_pager_lifetime(self):
        for i in range(3):
            self.client.send(oai.file_create_from_data(b"x", "p%d.txt" % i, "user_data"))
        pager = self.client.paginate(oai.file_list(limit=1))
        first = next(pager)
        self.assertIn("id", first)
        self.client.close()     # frees the pager first, then the client
        with self.assertRaises(oai.InvalidArgumentError):
            next(pager)
        pager.close()
        self.assertEqual(first["object"], "file")   # items are copies

    def test_pager_error(self):
        with self.assertRaises(oai.NotFoundError) as cm:
            list(self.client.paginate(oai.Request("GET", "/no/such/list")))
        self.assertEqual(cm.exception.http_status, 404)

    def test_large_upload(self):
        data = os.urandom(10000)
        path = self.write("large.jsonl", data)
        res = self.client.upload_large_file(path, "fine-tune", mime_type="application/jsonl", part_size=3000)
        self.assertEqual(res.get("/status"), "completed")
        self.assertEqual(res.get("/bytes"), len(data))
        file_id = res.get("/file/id")
        self.assertTrue(file_id)
        out = self.path("large.out")
        self.client.download_file(file_id, out)
        with open(out, "rb") as f:
            self.assertEqual(hashlib.md5(f.read()).hexdigest(), hashlib.md5(data).hexdigest())
        with self.assertRaises(oai.LocalIOError):
            self.client.upload_large_file(self.path("missing"), "fine-tune")
        with self.assertRaises(oai.InvalidArgumentError):
            self.client.upload_large_file(path, "fine-tune", part_size=0)
        self.assertEqual(self.client._dependents, {})

    def test_large_upload_resume(self):
        data = os.urandom(9000)
        path = self.write("resume.bin", data)
        # Upload the first two parts by hand, then let the workflow resume.
        with oai.upload_create("resume.bin", "fine-tune", len(data), "application/octet-stream") as req:
            upload_id = self.client.send(req).get("/id")
        parts = []
        for offset in (0, 3000):
            with oai.upload_add_part(upload_id, path, offset, 3000) as req:
                parts.append(self.client.send(req).get("/id"))
        res = self.client.upload_large_file(path, "fine-tune", part_size=3000, resume_upload_id=upload_id,
                                            resume_part_ids=parts)
        self.assertEqual(res.get("/id"), upload_id)
        self.assertEqual(res.get("/status"), "completed")
        self.assertEqual(res.get("/bytes"), len(data))

    def test_multipart_by_hand(self):
        path = self.write("whole.txt", "0123456789")
        with oai.Request("POST", "/files") as req:
            req.add_form_field("purpose", "user_data").add_file_range_part("file", path, 2, 5, "part.txt", "text/plain")
            res = self.client.send(req)
        self.assertEqual((res.get("/filename"), res.get("/bytes")), ("part.txt", 5))
        with oai.file_retrieve_content(res.get("/id")) as req:
            self.assertEqual(self.client.send(req).body, b"23456")
        with oai.Request("POST", "/files") as req:
            req.add_form_field("purpose", "user_data").add_data_part("file", b"\0\1\2", "mem.bin")
            self.assertEqual(self.client.send(req).get("/bytes"), 3)

    def test_manual_upload_with_md5(self):
        data = b"0123456789" * 10
        path = self.write("m.bin", data)
        with oai.upload_create("m.bin", "fine-tune", len(data), "application/octet-stream") as req:
            upload_id = self.client.send(req).get("/id")
        with oai.upload_add_part(upload_id, path, 0, len(data)) as req:
            part = self.client.send(req).get("/id")
        with oai.upload_complete(upload_id, [part], "0" * 32) as req:
            with self.assertRaises(oai.APIStatusError):
                self.client.send(req)
        with oai.upload_complete(upload_id, [part], hashlib.md5(data).hexdigest()) as req:
            self.assertEqual(self.client.send(req).get("/status"), "completed")


class AsyncWorkflowTest(MockServerTest):
    """The workflows' asynchronous forms, pulled: items and progress as events."""

    def test_start_large_upload(self):
        data = os.urandom(10000)
        path = self.write("async.bin", data)
        call = self.client.start_large_upload(path, "fine-tune", part_size=3000)
        self.assertIsInstance(call, oai.UploadCall)
        progress = []
        frames = 0
        while not call.done():           # a frame loop: poll(0), then pull
            self.client.poll(0)
            progress.extend(e.json for e in call.events())
            frames += 1
            self.assertLess(frames, 200000)
        progress.extend(e.json for e in call.events())
        self.assertEqual(progress, [{"done": 3000, "total": 10000}, {"done": 6000, "total": 10000},
                                    {"done": 9000, "total": 10000}, {"done": 10000, "total": 10000}])
        res = call.result()
        self.assertEqual(res.get("/status"), "completed")
        self.assertEqual(call.upload_id, res.get("/id"))
        self.assertEqual(len(call.part_ids), 4)
        call.close()
        self.assertEqual(self.client._dependents, {})
        out = self.path("async.out")
        self.client.download_file(res.get("/file/id"), out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_upload_progress_callable(self):
        path = self.write("p.bin", b"z" * 5000)
        seen = []
        res = self.client.upload_large_file(path, "fine-tune", part_size=2000,
                                            on_progress=lambda done, total: seen.append((done, total)))
        self.assertEqual(seen, [(2000, 5000), (4000, 5000), (5000, 5000)])
        self.assertEqual(res.get("/bytes"), 5000)

    def test_failed_upload_can_resume(self):
        path = self.write("r.bin", b"r" * 6000)
        script_free = self.client.start_large_upload(path, "fine-tune", part_size=2000)
        # Cancel after the first part: the exception names what to resume.
        while not script_free.events():
            self.client.poll(10)
        script_free.cancel()
        with self.assertRaises(oai.CancelledError) as cm:
            script_free.result()
        self.assertTrue(cm.exception.upload_id)
        self.assertGreaterEqual(len(cm.exception.part_ids), 1)
        script_free.close()
        res = self.client.upload_large_file(path, "fine-tune", part_size=2000,
                                            resume_upload_id=cm.exception.upload_id,
                                            resume_part_ids=cm.exception.part_ids)
        self.assertEqual(res.get("/status"), "completed")
        self.assertEqual(res.get("/id"), cm.exception.upload_id)

    def test_pager_start(self):
        ids = [self.client.send(oai.file_create_from_data(b"x", "a%d.txt" % i, "user_data")).get("/id")
               for i in range(5)]
        call = self.client.start_paginate(oai.file_list(limit=2))
        items = [e.json for e in call]
        self.assertTrue(all(e["object"] == "file" for e in items))
        for file_id in ids:
            self.assertIn(file_id, [i["id"] for i in items])
        self.assertIs(call.result().get("/has_more"), False)
        # A pager walked by hand, then the rest without waiting.
        pager = self.client.paginate(oai.file_list(limit=2))
        first = next(pager)
        walk = pager.start()
        with self.assertRaises(oai.InvalidArgumentError):
            next(pager)        # refused while the call walks it
        rest = [e.json["id"] for e in walk]
        self.assertEqual([first["id"]] + rest, [i["id"] for i in items])

    def test_workflow_calls_outlive_their_client(self):
        client = oai.Client(base_url=self.server.base_url, api_key="sk")
        path = self.write("big.bin", b"b" * 30000)
        # Two files at least, so that the walk of one item per page needs
        # two round trips: a poll waits for I/O once, so it cannot end in one.
        for name in ("one.jsonl", "two.jsonl"):
            self.client.upload_file(self.write(name, b"{}\n"), "batch").close()
        upload = client.start_large_upload(path, "fine-tune", part_size=1000)
        walk = client.start_paginate(oai.file_list(limit=1))
        follow = client.start_follow_fine_tuning_job("ftjob-none", poll_interval_ms=10)
        client.poll(1)
        client.close()       # frees the upload handle and the pager, then the client
        for call in (upload, walk, follow):
            self.assertTrue(call.done())
            call.raise_on_error = False
            list(call)
            self.assertNotEqual(call.result(raise_on_error=False).status, oai.OK)
        self.assertIsNone(upload.upload_id)
        for call in (upload, walk, follow):
            call.close()


class BatchTest(MockServerTest):

    def test_batch_workflow(self):
        path = self.path("batch_in.jsonl")
        with oai.BatchWriter(path) as writer:
            for i in range(3):
                with oai.chat_completion_create("gpt-4o-mini", [("user", "batch %d" % i)]) as req:
                    writer.add("req-%d" % i, req)
            with self.assertRaises(oai.InvalidArgumentError):
                writer.add("req-0", oai.chat_completion_create("gpt-4o-mini"))   # repeated custom id
        input_id = self.client.upload_file(path, "batch").get("/id")
        with oai.batch_create(input_id, "/v1/chat/completions", metadata={"k": "v"}) as req:
            batch = self.client.send(req).json
        self.assertEqual(batch["status"], "validating")
        for _ in range(10):
            with oai.batch_retrieve(batch["id"]) as req:
                batch = self.client.send(req).json
            if batch["status"] in ("completed", "failed", "expired", "cancelled"):
                break
        self.assertEqual(batch["status"], "completed")
        self.assertEqual(batch["request_counts"]["completed"], 3)
        out = self.path("batch_out.jsonl")
        self.client.download_file(batch["output_file_id"], out)
        lines = list(oai.read_batch_file(out))
        self.assertEqual(sorted(line["custom_id"] for line in lines), ["req-0", "req-1", "req-2"])
        for line in lines:
            n = line["custom_id"][-1]
            self.assertEqual(line["response"]["status_code"], 200)
            self.assertEqual(line["response"]["body"]["choices"][0]["message"]["content"], "Echo: batch " + n)
        listed = [b["id"] for b in self.client.paginate(oai.batch_list())]
        self.assertIn(batch["id"], listed)

    def make_batch(self, n=2):
        path = self.path("in%d.jsonl" % n)
        with oai.BatchWriter(path) as writer:
            for i in range(n):
                writer.add("r%d" % i, oai.chat_completion_create("gpt-4o-mini", [("user", "w%d" % i)]))
        input_id = self.client.upload_file(path, "batch").get("/id")
        return self.client.send(oai.batch_create(input_id, "/v1/chat/completions")).get("/id")

    def test_wait_for_batch(self):
        batch_id = self.make_batch()
        res = self.client.wait_for_batch(batch_id, poll_interval_ms=10)
        self.assertEqual(res.get("/status"), "completed")
        self.assertTrue(res.get("/output_file_id"))
        with self.assertRaises(oai.NotFoundError):
            self.client.wait_for_batch("batch_missing", poll_interval_ms=10)

    def test_start_wait_for_batch(self):
        batch_id = self.make_batch(3)
        call = self.client.start_wait_for_batch(batch_id, poll_interval_ms=10)
        states = [e.json["status"] for e in call if e.type == oai.EVENT_ITEM]
        self.assertEqual(states[-1], "completed")
        self.assertEqual(len(states), len(set(states)))   # one event per change
        self.assertIn("in_progress", states)
        res = call.result()
        self.assertEqual(res.get("/request_counts/completed"), 3)
        out = self.path("out.jsonl")
        self.client.download_file(res.get("/output_file_id"), out)
        self.assertEqual(sorted(line["custom_id"] for line in oai.read_batch_file(out)), ["r0", "r1", "r2"])

    def test_batch_cancel_and_bad_lines(self):
        path = self.write("in.jsonl", b"")
        with oai.BatchWriter(path) as writer:
            writer.add("only", oai.chat_completion_create("gpt-4o-mini", [("user", "x")]))
        input_id = self.client.upload_file(path, "batch").get("/id")
        batch_id = self.client.send(oai.batch_create(input_id, "/v1/chat/completions")).get("/id")
        self.assertEqual(self.client.send(oai.batch_cancel(batch_id)).get("/status"), "cancelling")
        bad = self.write("bad.jsonl", '{"custom_id": "a"}\nnot json\n{"custom_id": "b"}\n')
        reader = oai.read_batch_file(bad)
        self.assertEqual(next(reader)["custom_id"], "a")
        with self.assertRaises(oai.ProtocolError) as cm:
            next(reader)
        self.assertIn("line 2", cm.exception.message)
        self.assertEqual(reader.line_number, 2)
        self.assertEqual(next(reader)["custom_id"], "b")   # reading goes on
        self.assertEqual(list(reader), [])
        with oai.read_batch_file(bad, max_line_bytes=5) as reader:
            with self.assertRaises(oai.TooLargeError):
                next(reader)


if __name__ == "__main__":
    unittest.main()
