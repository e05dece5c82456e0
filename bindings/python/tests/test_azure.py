"""Azure OpenAI clients, client-wide defaults and copies, and the token
provider, against the mock server's Azure mode (paths under /openai/: it
checks the routes, the api-version query and the credential headers, as
tests/test_azure.c describes)."""

import os
import unittest

from support import MockServerTest, oai

VERSION = "2024-10-21"
AZURE_VARS = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION")


class AzureTest(MockServerTest):

    def setUp(self):
        MockServerTest.setUp(self)
        self.saved = {k: os.environ.pop(k) for k in AZURE_VARS if k in os.environ}
        self.endpoint = "http://127.0.0.1:%d" % self.server.port

    def tearDown(self):
        for k in AZURE_VARS:
            os.environ.pop(k, None)
        os.environ.update(self.saved)
        MockServerTest.tearDown(self)

    def azure(self, **options):
        options.setdefault("endpoint", self.endpoint)
        options.setdefault("api_version", VERSION)
        options.setdefault("retry_backoff_ms", (1, 5))
        return oai.AzureClient(**options)

    def test_deployments_api(self):
        with self.azure(api_key="azure-key") as c:
            self.assertTrue(c.is_azure)
            self.assertFalse(self.client.is_azure)
            self.assertEqual(c.base_url, self.endpoint + "/openai")
            self.assertEqual(c.chat("my-gpt4o", [("user", "hello azure")]).text, "Echo: hello azure")
            res = c.send(oai.embedding_create("emb small", "hi"))
            self.assertEqual(len(res.embedding(0)), 8)
            self.assertIsInstance(c.send(oai.file_list(limit=3)).json, dict)
            c.set_azure_deployment("fixed-deployment")
            self.assertEqual(c.chat("ignored", [("user", "d")]).text, "Echo: d")
            with self.assertRaises(oai.InvalidArgumentError):
                c.set_azure_deployment("a/b")

    def test_v1_api_and_environment(self):
        os.environ.update({"AZURE_OPENAI_ENDPOINT": self.endpoint, "AZURE_OPENAI_API_KEY": "env-key",
                           "OPENAI_API_VERSION": "v1"})
        with oai.AzureClient() as c:
            self.assertEqual(c.base_url, self.endpoint + "/openai/v1")
            self.assertEqual(c.chat("gpt-4o-mini", [("user", "v1")]).text, "Echo: v1")

    def test_missing_settings_fail_each_call(self):
        with self.azure(endpoint=None) as c, self.assertRaises(oai.InvalidArgumentError) as cm:
            c.chat("d", [("user", "x")])
        self.assertIn("AZURE_OPENAI_ENDPOINT", cm.exception.message)
        with self.azure() as c, self.assertRaises(oai.InvalidArgumentError) as cm:
            c.chat("d", [("user", "x")])
        self.assertIn("no credentials", cm.exception.message)
        with self.assertRaises(oai.InvalidArgumentError):
            self.azure(endpoint="not a url")
        with self.assertRaises(oai.InvalidArgumentError):
            self.client.set_azure_endpoint(self.endpoint)     # not an Azure client

    def test_ad_token(self):
        with self.azure(ad_token="entra-fixed") as c:
            self.assertEqual(c.chat("d", [("user", "ad")]).text, "Echo: ad")
        with self.azure(ad_token="expired-fixed", max_retries=0) as c:
            with self.assertRaises(oai.AuthenticationError) as cm:
                c.chat("d", [("user", "ad")])
            self.assertEqual(cm.exception.http_status, 401)

    def test_token_provider(self):
        tokens = []

        def provider():
            tokens.append("expired-1" if not tokens else "fresh-%d" % len(tokens))
            return tokens[-1]

        with self.azure(token_provider=provider) as c:
            # The first token is refused (401): the call is retried at once
            # with a new one.
            self.assertEqual(c.chat("d", [("user", "tok")]).text, "Echo: tok")
            self.assertEqual(tokens, ["expired-1", "fresh-1"])
            call = c.start(oai.chat_completion_create("d", [("user", "async")]))
            self.assertEqual(call.result(timeout_ms=10000).text, "Echo: async")
            self.assertEqual(len(tokens), 3)
            # A clone calls the same provider, and lives on after the original.
            copy = c.clone()
        try:
            self.assertTrue(copy.is_azure)
            self.assertEqual(copy.chat("d", [("user", "clone")]).text, "Echo: clone")
            self.assertEqual(len(tokens), 4)
            copy.set_token_provider(None)
            with self.assertRaises(oai.InvalidArgumentError):
                copy.chat("d", [("user", "none")])                # no credential left
        finally:
            copy.close()

    def test_token_provider_failures(self):
        def broken():
            raise RuntimeError("vault unreachable")

        with self.azure(token_provider=broken) as c:
            with self.assertRaises(oai.AuthenticationError) as cm:
                c.chat("d", [("user", "x")])
            self.assertIsInstance(cm.exception.__cause__, RuntimeError)
            self.assertEqual(cm.exception.http_status, 0)            # nothing was sent
            c.set_token_provider(lambda: None)
            with self.assertRaises(oai.AuthenticationError):
                c.chat("d", [("user", "x")])
            c.set_token_provider(lambda: "x" * 20000)                  # over OAI_TOKEN_MAX
            with self.assertRaises(oai.AuthenticationError):
                c.chat("d", [("user", "x")])
            self.assertIsInstance(c.token_provider_error, ValueError)
        with self.assertRaises(oai.InvalidArgumentError):
            oai.Client(token_provider="not callable")

    def test_token_provider_on_openai_client(self):
        with oai.Client(base_url=self.server.base_url, api_key=None, token_provider=lambda: "sk-from-provider") as c:
            self.assertEqual(c.chat("gpt-4o-mini", [("user", "p")]).text, "Echo: p")


class DefaultsTest(MockServerTest):
    """oai_client_set_query() and oai_client_clone() on a plain client, with
    the mock's deployments route (which needs the api-version query)."""

    def test_default_query_and_clone(self):
        base = "http://127.0.0.1:%d/openai/deployments/dep" % self.server.port
        with oai.Client(base_url=base, api_key=None, headers={"api-key": "k"}, max_retries=0) as c:
            with self.assertRaises(oai.NotFoundError) as cm:         # no api-version
                c.chat("m", [("user", "q")])
            self.assertIn("api-version", cm.exception.message)
            c.set_query("api-version", VERSION)
            self.assertEqual(c.query("api-version"), VERSION)
            self.assertEqual(c.chat("m", [("user", "q")]).text, "Echo: q")
            copy = c.clone()
            c.set_query("api-version", None)                          # the copy keeps its own
            self.assertIsNone(c.query("api-version"))
        with copy:
            self.assertEqual(copy.query("api-version"), VERSION)
            self.assertEqual(copy.base_url, base)
            self.assertEqual(copy.chat("m", [("user", "c")]).text, "Echo: c")
        with oai.Client(base_url=base, query={"api-version": VERSION}, headers={"api-key": "k"}) as c:
            self.assertEqual(c.chat("m", [("user", "kw")]).text, "Echo: kw")
            with self.assertRaises(oai.InvalidArgumentError):
                c.set_query("", "x")


if __name__ == "__main__":
    unittest.main()
