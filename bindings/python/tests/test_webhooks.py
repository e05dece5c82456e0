"""Webhook verification and unwrapping (oai_webhook): the signature, the
timestamp window, the stable error codes. Local only."""

import base64
import hashlib
import hmac
import json
import os
import unittest

from support import oai

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = 1_700_000_000
BODY = json.dumps({"id": "evt_1", "object": "event", "created_at": NOW, "type": "response.completed",
                   "data": {"id": "resp_123"}}).encode()


def sign(body, msg_id="msg_1", ts=NOW, key=KEY):
    mac = hmac.new(key, b"%s.%d.%s" % (msg_id.encode(), ts, body), hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": "v1," + base64.b64encode(mac).decode()}


class WebhookTest(unittest.TestCase):

    def verifier(self, **kw):
        return oai.Webhook(SECRET, now_ms=NOW * 1000, **kw)

    def test_unwrap(self):
        with self.verifier() as wh:
            event = wh.unwrap(sign(BODY), BODY)
            self.assertEqual(event["type"], "response.completed")
            self.assertEqual(event["data"], {"id": "resp_123"})
            self.assertEqual(wh.type, "response.completed")
            self.assertEqual(wh.data, {"id": "resp_123"})
            wh.verify(list(sign(BODY).items()), BODY)          # pairs work too
            # Header names in any case; several signatures, one matching.
            headers = {k.upper(): v for k, v in sign(BODY).items()}
            headers["WEBHOOK-SIGNATURE"] = "v1,AAAA " + headers["WEBHOOK-SIGNATURE"]
            wh.verify(headers, BODY)

    def expect(self, wh, headers, body, code, status=oai.ERR_INVALID_DATA):
        with self.assertRaises(oai.WebhookError) as cm:
            wh.unwrap(headers, body)
        self.assertEqual(cm.exception.code, code)
        self.assertEqual(cm.exception.status, status)
        self.assertIsInstance(cm.exception, oai.InvalidDataError)
        self.assertTrue(cm.exception.message)
        return cm.exception

    def test_failures(self):
        with self.verifier() as wh:
            self.expect(wh, sign(BODY), BODY + b" ", "signature_mismatch")
            self.expect(wh, sign(BODY, key=b"other"), BODY, "signature_mismatch")
            headers = sign(BODY)
            del headers["webhook-id"]
            self.expect(wh, headers, BODY, "missing_header")
            self.expect(wh, dict(sign(BODY), **{"webhook-timestamp": "soon"}), BODY, "invalid_timestamp")
            self.expect(wh, sign(BODY, ts=NOW - 301), BODY, "timestamp_too_old")
            self.expect(wh, sign(BODY, ts=NOW + 301), BODY, "timestamp_too_new")
            wh.verify(sign(BODY, ts=NOW - 300), BODY)            # bounds included
            self.expect(wh, sign(b"[1]"), b"[1]", "invalid_json", oai.ERR_PROTOCOL)
            self.assertIsNone(wh.type)
        with self.verifier(tolerance_ms=1000) as wh:
            self.expect(wh, sign(BODY, ts=NOW - 2), BODY, "timestamp_too_old")

    def test_secrets(self):
        with self.assertRaises(oai.WebhookError) as cm:
            oai.Webhook("whsec_%%%not base64")
        self.assertEqual(cm.exception.code, "invalid_secret")
        self.assertEqual(cm.exception.status, oai.ERR_INVALID_ARGUMENT)
        saved = os.environ.pop("OPENAI_WEBHOOK_SECRET", None)
        try:
            with self.assertRaises(oai.WebhookError) as cm:
                oai.Webhook()
            self.assertEqual(cm.exception.code, "missing_secret")
            with oai.Client(base_url="http://127.0.0.1:9/v1", api_key="sk") as client:
                client.set_webhook_secret(SECRET)
                with client.webhook() as wh:
                    wh.set_now_ms(NOW * 1000)
                    self.assertEqual(wh.unwrap(sign(BODY), BODY.decode())["id"], "evt_1")
        finally:
            if saved is not None:
                os.environ["OPENAI_WEBHOOK_SECRET"] = saved
        # A raw (non-whsec_) secret is its own bytes.
        with oai.Webhook("plain-secret", now_ms=NOW * 1000) as wh:
            wh.verify(sign(BODY, key=b"plain-secret"), BODY)


if __name__ == "__main__":
    unittest.main()
