"""Webhook deliveries: verification and parsing (oai_webhook), local only.

    wh = oai.Webhook("whsec_...")
    event = wh.unwrap(request_headers, request_body)   # raises WebhookError
    print(event["type"], event["data"]["id"])
"""

import ctypes

from . import errors
from ._lib import lib, c_str
from ._util import Owned, b, s, value_to_python


class WebhookError(errors.InvalidDataError):
    """A delivery that failed verification. status is the oai_status
    (ERR_INVALID_DATA for a forged, stale or incomplete delivery: answer it
    with HTTP 400; ERR_PROTOCOL for an authentic body that is not a JSON
    object; ERR_INVALID_ARGUMENT for a verifier without a usable secret),
    code the stable reason (oai_webhook_error_code(): "missing_header",
    "invalid_timestamp", "timestamp_too_old", "timestamp_too_new",
    "signature_mismatch", "invalid_json", "missing_secret",
    "invalid_secret", ...), message the library's sentence."""

    def __init__(self, message=None, status=errors.ERR_INVALID_DATA, code=None):
        errors.InvalidDataError.__init__(self, message, status=status)
        self.code = code

    def __str__(self):
        return "%s (%s): %s" % (self.status_name, self.code, self.message)


def _headers(headers):
    """Header names and values as two ctypes arrays, from a dict, a list of
    (name, value) pairs, or any object with items() (an email.message)."""
    pairs = list(headers.items()) if hasattr(headers, "items") else list(headers)
    names = (c_str * max(len(pairs), 1))(*[b(n) for n, _ in pairs])
    values = (c_str * max(len(pairs), 1))(*[b(v) for _, v in pairs])
    return names, values, len(pairs)


class Webhook(Owned):
    """A webhook verifier (oai_webhook), owned by this object (close(), a
    with block, or collection frees it, wiping the secret).

    secret is the endpoint's secret ("whsec_..." as the dashboard shows
    it, or any other string used as raw bytes); None takes the client's
    (Client.set_webhook_secret, or OPENAI_WEBHOOK_SECRET), or, without a
    client, the environment's OPENAI_WEBHOOK_SECRET. tolerance_ms is how far
    the delivery's timestamp may be from now (default 300000); now_ms fixes
    "now" (Unix ms), for tests and stored deliveries. A verifier without a
    usable secret raises WebhookError (code "missing_secret" or
    "invalid_secret") at once."""

    _what = "webhook verifier"

    def __init__(self, secret=None, client=None, tolerance_ms=None, now_ms=None):
        self._h = None
        h = lib.oai_webhook_new(client.handle if client is not None else None, b(secret))
        if not h:
            raise errors.OutOfMemoryError("oai_webhook_new: out of memory")
        self._h = h
        self._free = lib.oai_webhook_free
        st = lib.oai_webhook_status(h)
        if st != errors.OK:
            err = self._error(st)
            self.close()
            raise err
        if tolerance_ms is not None:
            self._check(lib.oai_webhook_set_tolerance_ms(h, int(tolerance_ms)))
        if now_ms is not None:
            self._check(lib.oai_webhook_set_now_ms(h, int(now_ms)))

    def _error(self, st):
        h = self._h
        return WebhookError(s(lib.oai_webhook_error_message(h)), status=st, code=s(lib.oai_webhook_error_code(h)))

    def _check(self, st):
        if st != errors.OK:
            raise self._error(st)

    def set_tolerance_ms(self, tolerance_ms):
        self._check(lib.oai_webhook_set_tolerance_ms(self.handle, int(tolerance_ms)))

    def set_now_ms(self, now_ms):
        """Fixes "now" (Unix ms); a negative value returns to the system clock."""
        self._check(lib.oai_webhook_set_now_ms(self.handle, int(now_ms)))

    def _run(self, fn, headers, body):
        names, values, n = _headers(headers)
        raw = b(body) if body is not None else b""
        self._check(fn(self.handle, names, values, n, raw, len(raw)))

    def verify(self, headers, body):
        """Checks a delivery's signature and timestamp; raises WebhookError
        when it is not authentic and fresh. body is the raw body (bytes, or
        str sent as UTF-8) exactly as received."""
        self._run(lib.oai_webhook_verify, headers, body)

    def unwrap(self, headers, body):
        """Verifies a delivery, then returns its event as a dict
        ({"id", "type", "created_at", "data": {...}, ...}); raises
        WebhookError otherwise (code "invalid_json" for an authentic body
        that is not a JSON object)."""
        self._run(lib.oai_webhook_unwrap, headers, body)
        return value_to_python(lib.oai_webhook_json(self.handle))

    @property
    def type(self):
        """The last unwrapped event's type, or None."""
        return s(lib.oai_webhook_type(self.handle))

    @property
    def data(self):
        """The last unwrapped event's data object (a dict), or None."""
        return value_to_python(lib.oai_webhook_data(self.handle))
