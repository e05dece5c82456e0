"""Token counts (oai_tokenizer) through the binding: the counts that
tests/test_tokens.c asserts (tiktoken's), the cookbook's chat example, the
special-token modes, and the errors with status and message. Local only.

The vocabulary is the build's (OAI_TEST_VOCAB_DIR, set by CMake). Without
it these tests skip, unless OAI_REQUIRE_VOCAB=1 (CI), where they fail."""

import os
import unittest

from support import oai

COOKBOOK = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate "
                                  "jargon into plain English."},
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant",
     "content": "Things working well together will increase revenue."},
    {"role": "system", "name": "example_user",
     "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased "
                "leverage."},
    {"role": "system", "name": "example_assistant",
     "content": "Let's talk later when we're less busy about how to do better."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client "
                                "deliverable."},
]


def vocab_dir():
    d = os.environ.get("OAI_TEST_VOCAB_DIR")
    if d and os.access(os.path.join(d, "o200k_base.tiktoken"), os.R_OK):
        return d
    msg = "no vocabulary in OAI_TEST_VOCAB_DIR=%s" % (d or "(unset)")
    if os.environ.get("OAI_REQUIRE_VOCAB") == "1":
        raise AssertionError(msg + " and OAI_REQUIRE_VOCAB=1: build with js-tiktoken "
                                   "(npm ci --prefix tests/tokens; docs/tokens.md)")
    raise unittest.SkipTest(msg)


class TokenizerTest(unittest.TestCase):

    def setUp(self):
        self.dir = vocab_dir()

    def test_counts(self):
        with oai.Tokenizer("o200k_base", os.path.join(self.dir, "o200k_base.tiktoken")) as o, \
                oai.Tokenizer.for_model("gpt-4", self.dir) as c:
            self.assertEqual(o.name, "o200k_base")
            self.assertEqual(c.name, "cl100k_base")
            self.assertEqual(o.count(""), 0)
            self.assertEqual(o.count("hello world"), 2)
            self.assertEqual(c.count("hello world"), 2)
            self.assertEqual(c.count("tiktoken is great!"), 6)
            self.assertGreaterEqual(o.count(b"a\0b"), 2)                 # NUL bytes are text
            self.assertEqual(c.count(b"a\xffb"), c.count("a\ufffdb"))   # invalid UTF-8: its repair

    def test_special_tokens(self):
        with oai.Tokenizer.for_model("gpt-4o-mini", self.dir) as o:
            self.assertEqual(o.count("<|endoftext|>"), 7)
            o.set_special_tokens(oai.SPECIAL_ALLOWED)
            self.assertEqual(o.count("<|endoftext|>"), 1)
            self.assertEqual(o.count("a<|endoftext|>b<|endofprompt|>"), 4)
            o.set_special_tokens("disallowed")
            with self.assertRaises(oai.InvalidArgumentError) as cm:
                o.count("x <|endoftext|>")
            self.assertEqual(cm.exception.status, oai.ERR_INVALID_ARGUMENT)
            self.assertIn("<|endoftext|>", cm.exception.message)
            self.assertEqual(o.count("no special here"), 3)
            with self.assertRaises(oai.InvalidArgumentError):
                o.set_special_tokens(7)
            with self.assertRaises(oai.InvalidArgumentError):
                o.set_special_tokens("sometimes")
        with oai.Tokenizer.for_model("gpt-4o", self.dir, special=oai.SPECIAL_ALLOWED) as o:
            self.assertEqual(o.count("<|endoftext|>"), 1)

    def test_count_chat(self):
        with oai.Tokenizer.for_model("gpt-4o-mini", self.dir) as o, \
                oai.Tokenizer.for_model("gpt-4", self.dir) as c:
            with oai.chat_completion_create("gpt-4o-mini", COOKBOOK) as req:
                self.assertEqual(o.count_chat(req), 124)
                self.assertEqual(c.count_chat(req), 129)
            self.assertEqual(o.count_messages(COOKBOOK), 124)
            self.assertEqual(c.count_messages(COOKBOOK), 129)
            parts = ('[{"role":"user","content":[{"type":"text","text":"hello world"},'
                     '{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},'
                     '{"role":"assistant","content":null,"weight":0}]')
            self.assertEqual(o.count_messages(parts), 13)
            self.assertEqual(o.count_messages([]), 3)
            self.assertEqual(o.count_messages([("user", "hello world")]), 3 + 1 + 2 + 3)
            for bad in ("{}", "[1]", "["):
                with self.assertRaises(oai.InvalidArgumentError) as cm:
                    o.count_messages(bad)
                self.assertTrue(cm.exception.message)
            with oai.Request("POST", "/embeddings") as req, self.assertRaises(oai.InvalidArgumentError):
                o.count_chat(req)

    def test_default_directory(self):
        saved = os.environ.get("OAI_VOCAB_DIR")
        os.environ["OAI_VOCAB_DIR"] = self.dir
        try:
            with oai.Tokenizer("cl100k_base") as c:
                self.assertEqual(c.count("hello world"), 2)
        finally:
            if saved is None:
                del os.environ["OAI_VOCAB_DIR"]
            else:
                os.environ["OAI_VOCAB_DIR"] = saved


class TokenizerErrorTest(unittest.TestCase):
    """Errors need no vocabulary: they are found before a file is read."""

    def test_unknown_encoding_and_model(self):
        with self.assertRaises(oai.InvalidArgumentError) as cm:
            oai.Tokenizer("p50k_base")
        self.assertEqual(cm.exception.status, oai.ERR_INVALID_ARGUMENT)
        self.assertIn("p50k_base", cm.exception.message)
        with self.assertRaises(oai.InvalidArgumentError) as cm:
            oai.Tokenizer.for_model("no-such-model-xyz")
        self.assertEqual(cm.exception.status_name, "OAI_ERR_INVALID_ARGUMENT")
        self.assertIn("no-such-model-xyz", cm.exception.message)

    def test_missing_file(self):
        with self.assertRaises(oai.LocalIOError) as cm:
            oai.Tokenizer("o200k_base", "/nonexistent/o200k_base.tiktoken")
        self.assertEqual(cm.exception.status, oai.ERR_IO)
        self.assertIn("/nonexistent", cm.exception.message)

    def test_closed(self):
        vocab = vocab_dir()
        tok = oai.Tokenizer.for_model("gpt-4o", vocab)
        tok.close()
        tok.close()
        with self.assertRaises(oai.InvalidArgumentError):
            tok.count("x")


if __name__ == "__main__":
    unittest.main()
