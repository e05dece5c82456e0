"""The fine-tuning workflow: validate the data, upload it, create a job,
follow it to completion, call the tuned model; the job endpoints."""

import json
import unittest

from support import MockServerTest, oai

EXAMPLES = [
    {"messages": [{"role": "system", "content": "You are terse."},
                  {"role": "user", "content": "Capital of France?"},
                  {"role": "assistant", "content": "Paris."}]},
    {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]},
    {"messages": [{"role": "user", "content": "Color of the sky?"}, {"role": "assistant", "content": "Blue."}]},
]
TRAINING = "".join(json.dumps(e) + "\n" for e in EXAMPLES * 4)   # 12: fine-tuning needs 10


class TrainingDataTest(unittest.TestCase):

    def test_valid(self):
        report = oai.validate_training_data(data=TRAINING)
        self.assertTrue(report.valid)
        self.assertEqual(report.status, oai.OK)
        self.assertIsNone(report.error_message)
        self.assertEqual(report.examples, 12)
        self.assertEqual(report.format, "chat")
        self.assertEqual(report.stats["assistant_messages"], 12)
        self.assertEqual(report.problems, [])
        self.assertIs(report.raise_for_status(), report)

    def test_invalid(self):
        data = TRAINING + "{not json\n" + json.dumps({"messages": [{"role": "wizard", "content": "x"}]}) + "\n"
        report = oai.validate_training_data(data=data.encode())
        self.assertFalse(report.valid)
        self.assertEqual(report.status, oai.ERR_INVALID_DATA)
        codes = {(p["line"], p["code"]) for p in report.problems}
        self.assertIn((13, "invalid_json"), codes)
        self.assertIn(14, {p["line"] for p in report.problems})
        self.assertGreaterEqual(report.problems_total, 2)
        with self.assertRaises(oai.InvalidDataError) as cm:
            report.raise_for_status()
        self.assertIs(cm.exception.report, report)
        self.assertIn("line 13", cm.exception.message)

    def test_unreadable(self):
        report = oai.validate_training_data("/no/such/train.jsonl")
        self.assertFalse(report.valid)
        self.assertEqual(report.status, oai.ERR_IO)
        with self.assertRaises(oai.LocalIOError):
            report.raise_for_status()
        with self.assertRaises(oai.InvalidArgumentError):
            oai.validate_training_data(data=TRAINING, format="yaml")
        report = oai.validate_training_data(data='{"prompt": "a", "completion": "b"}\n' * 10,
                                            format="completion")
        self.assertTrue(report.valid)


class FineTuningTest(MockServerTest):

    def upload_training(self):
        path = self.write("train.jsonl", TRAINING)
        oai.validate_training_data(path, context_limit=4096).raise_for_status()
        return self.client.upload_file(path, "fine-tune").get("/id")

    def test_workflow(self):
        file_id = self.upload_training()
        with oai.fine_tuning_job_create("gpt-4o-mini", file_id, suffix="py",
                                        hyperparameters={"n_epochs": 1}) as req:
            job = self.client.send(req).json
        self.assertEqual(job["status"], "validating_files")
        self.assertEqual(job["training_file"], file_id)

        res = self.client.follow_fine_tuning_job(job["id"], poll_interval_ms=10)
        self.assertEqual(res.get("/status"), "succeeded")
        model = res.get("/fine_tuned_model")
        self.assertEqual(model, "ft:gpt-4o-mini:mock:py:" + job["id"][len("ftjob-"):])

        events = list(self.client.paginate(oai.fine_tuning_job_list_events(job["id"], limit=2)))
        self.assertGreaterEqual(len(events), 4)
        self.assertTrue(all(e["object"] == "fine_tuning.job.event" for e in events))
        self.assertIn("metrics", {e.get("type") for e in events})
        checkpoints = list(self.client.paginate(oai.fine_tuning_job_list_checkpoints(job["id"])))
        self.assertGreaterEqual(len(checkpoints), 1)
        self.assertEqual(checkpoints[0]["fine_tuning_job_id"], job["id"])
        jobs = [j["id"] for j in self.client.paginate(oai.fine_tuning_job_list())]
        self.assertIn(job["id"], jobs)
        with oai.fine_tuning_job_retrieve(job["id"]) as req:
            self.assertEqual(self.client.send(req).get("/status"), "succeeded")

        # Call the tuned model.
        self.assertEqual(self.client.chat(model, [("user", "Capital of Italy?")]).text, "Echo: Capital of Italy?")

    def test_cancel_pause_resume(self):
        file_id = self.upload_training()
        job_id = self.client.send(oai.fine_tuning_job_create("gpt-4o-mini", file_id)).get("/id")
        self.assertEqual(self.client.send(oai.fine_tuning_job_pause(job_id)).get("/status"), "paused")
        with self.assertRaises(oai.BadRequestError) as cm:
            self.client.send(oai.fine_tuning_job_pause(job_id))
        self.assertIn("paused", cm.exception.message)
        self.assertEqual(self.client.send(oai.fine_tuning_job_resume(job_id)).get("/status"), "validating_files")
        self.assertEqual(self.client.send(oai.fine_tuning_job_cancel(job_id)).get("/status"), "cancelled")
        res = self.client.follow_fine_tuning_job(job_id, poll_interval_ms=10)
        self.assertEqual(res.get("/status"), "cancelled")
        self.assertIsNone(res.get("/fine_tuned_model"))

    def test_follow_without_waiting(self):
        # A frame loop: the follower, a streamed chat and a plain call at
        # once, one poll(0) per frame, everything pulled.
        file_id = self.upload_training()
        job_id = self.client.send(oai.fine_tuning_job_create("gpt-4o-mini", file_id, suffix="loop")).get("/id")
        follow = self.client.start_follow_fine_tuning_job(job_id, poll_interval_ms=10)
        stream = self.client.chat_stream("gpt-4o-mini", [("user", "while training")])
        plain = self.client.start(oai.model_list())
        events, text = [], []
        frames = 0
        while not (follow.done() and stream.done() and plain.done()):
            self.client.poll(0)
            events.extend(follow.events())
            text.extend(e.text for e in stream.events() if e.type == oai.EVENT_TEXT)
            frames += 1
            self.assertLess(frames, 1000000)
        events.extend(follow.events())
        self.assertTrue(events)
        self.assertTrue(all(e.type == oai.EVENT_ITEM for e in events))
        ids = [e.json["id"] for e in events]
        self.assertEqual(len(ids), len(set(ids)))                  # each once
        stamps = [e.json["created_at"] for e in events]
        self.assertEqual(stamps, sorted(stamps))                   # oldest first
        self.assertIn("The job has successfully completed", [e.json["message"] for e in events])
        res = follow.result()
        self.assertEqual(res.get("/status"), "succeeded")
        self.assertEqual(res.get("/fine_tuned_model"), "ft:gpt-4o-mini:mock:loop:" + job_id[len("ftjob-"):])
        self.assertEqual("".join(text), "Echo: while training")
        self.assertTrue(plain.result().ok)
        listed = {e["id"] for e in self.client.paginate(oai.fine_tuning_job_list_events(job_id))}
        self.assertEqual(set(ids), listed)

    def test_follow_with_a_python_function(self):
        file_id = self.upload_training()
        job_id = self.client.send(oai.fine_tuning_job_create("gpt-4o-mini", file_id)).get("/id")
        seen = []
        res = self.client.follow_fine_tuning_job(job_id, poll_interval_ms=10, on_event=seen.append)
        self.assertEqual(res.get("/status"), "succeeded")
        self.assertTrue(seen)
        self.assertTrue(all(e["object"] == "fine_tuning.job.event" for e in seen))
        # Returning True stops following.
        job_id = self.client.send(oai.fine_tuning_job_create("gpt-4o-mini", file_id)).get("/id")
        with self.assertRaises(oai.CancelledError):
            self.client.follow_fine_tuning_job(job_id, poll_interval_ms=10, on_event=lambda e: True)
        with self.assertRaises(oai.InvalidArgumentError):
            self.client.follow_fine_tuning_job("", poll_interval_ms=10)

    def test_follow_missing_job(self):
        with self.assertRaises(oai.NotFoundError):
            self.client.follow_fine_tuning_job("ftjob-missing", poll_interval_ms=10)

    def test_job_needs_a_file(self):
        with self.assertRaises(oai.APIStatusError) as cm:
            self.client.send(oai.fine_tuning_job_create("gpt-4o-mini", "file-missing"))
        self.assertIn(cm.exception.http_status, (400, 404))


if __name__ == "__main__":
    unittest.main()
