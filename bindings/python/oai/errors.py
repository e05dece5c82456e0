"""Statuses and the exceptions that carry them.

Every failure of the library is an oai_status; the binding raises the
OAIError subclass of that status class, carrying what the C API tells about
the failure: the status, the HTTP status, the request id, the message, the
API error's type, code and param, and how many retries were made.
"""

# The numeric values of oai_status (part of the ABI, they never change).
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_OUT_OF_MEMORY = 2
ERR_IO = 3
ERR_CONNECTION = 4
ERR_TIMEOUT = 5
ERR_TLS = 6
ERR_PROTOCOL = 7
ERR_CANCELLED = 8
ERR_TOO_LARGE = 9
ERR_BAD_REQUEST = 10
ERR_AUTHENTICATION = 11
ERR_PERMISSION_DENIED = 12
ERR_NOT_FOUND = 13
ERR_CONFLICT = 14
ERR_UNPROCESSABLE = 15
ERR_RATE_LIMIT = 16
ERR_SERVER = 17
ERR_API = 18
ERR_TYPE = 19
ERR_INVALID_DATA = 20


class OAIError(Exception):
    """A failure reported by liboai.

    Attributes: status (the oai_status value), status_name
    ("OAI_ERR_RATE_LIMIT"), http_status (0 when no answer was received),
    request_id (the x-request-id header, or None), message, error_type,
    error_code, error_param (the API error's fields, or None), retry_count,
    retry_after_ms (-1 when the server asked for no delay) and response (the
    failed Response, when there was one; its body and headers stay readable).
    """

    status = None

    def __init__(self, message=None, status=None, http_status=0, request_id=None, error_type=None,
                 error_code=None, error_param=None, retry_count=0, retry_after_ms=-1, response=None,
                 status_name=None):
        if status is not None:
            self.status = status
        self.status_name = status_name or _status_name(self.status)
        self.message = message or _status_message(self.status)
        self.http_status = http_status
        self.request_id = request_id
        self.error_type = error_type
        self.error_code = error_code
        self.error_param = error_param
        self.retry_count = retry_count
        self.retry_after_ms = retry_after_ms
        self.response = response
        super().__init__(self.message)

    def __str__(self):
        text = "%s: %s" % (self.status_name, self.message)
        if self.http_status:
            text += " (HTTP %d" % self.http_status
            if self.request_id:
                text += ", request %s" % self.request_id
            text += ")"
        return text


class InvalidArgumentError(OAIError, ValueError):
    status = ERR_INVALID_ARGUMENT


class OutOfMemoryError(OAIError):
    status = ERR_OUT_OF_MEMORY


class LocalIOError(OAIError):
    """A local file could not be read or written."""
    status = ERR_IO


class APIConnectionError(OAIError):
    status = ERR_CONNECTION


class APITimeoutError(APIConnectionError):
    status = ERR_TIMEOUT


class TLSError(APIConnectionError):
    status = ERR_TLS


class ProtocolError(OAIError):
    status = ERR_PROTOCOL


class CancelledError(OAIError):
    status = ERR_CANCELLED


class TooLargeError(OAIError):
    status = ERR_TOO_LARGE


class APIStatusError(OAIError):
    """The server answered with an error (an HTTP status, or an error event in a stream)."""
    status = ERR_API


class BadRequestError(APIStatusError):
    status = ERR_BAD_REQUEST


class AuthenticationError(APIStatusError):
    status = ERR_AUTHENTICATION


class PermissionDeniedError(APIStatusError):
    status = ERR_PERMISSION_DENIED


class NotFoundError(APIStatusError):
    status = ERR_NOT_FOUND


class ConflictError(APIStatusError):
    status = ERR_CONFLICT


class UnprocessableEntityError(APIStatusError):
    status = ERR_UNPROCESSABLE


class RateLimitError(APIStatusError):
    status = ERR_RATE_LIMIT


class InternalServerError(APIStatusError):
    status = ERR_SERVER


class APIError(APIStatusError):
    """Any other non-2xx status, or an error event in a stream (OAI_ERR_API)."""
    status = ERR_API


class JSONTypeError(OAIError, TypeError):
    status = ERR_TYPE


class InvalidDataError(OAIError):
    """Local data (a training file) failed validation."""
    status = ERR_INVALID_DATA


ERROR_CLASSES = {
    cls.status: cls
    for cls in (InvalidArgumentError, OutOfMemoryError, LocalIOError, APIConnectionError,
                APITimeoutError, TLSError, ProtocolError, CancelledError, TooLargeError,
                BadRequestError, AuthenticationError, PermissionDeniedError, NotFoundError,
                ConflictError, UnprocessableEntityError, RateLimitError, InternalServerError,
                APIError, JSONTypeError, InvalidDataError)
}


def error_class(status):
    """The OAIError subclass for an oai_status value (OAIError for an unknown one)."""
    return ERROR_CLASSES.get(status, OAIError)


def _status_name(status):
    from . import _util
    return _util.status_name(status) if status is not None else "OAI_ERR_UNKNOWN"


def _status_message(status):
    from . import _util
    return _util.status_message(status) if status is not None else "unknown error"
