"""Small helpers: strings in and out of C, statuses to exceptions."""

import ctypes
import json

from ._lib import lib
from . import errors


def b(text):
    """A Python str (or bytes, or None) as the UTF-8 bytes a const char * wants."""
    if text is None or isinstance(text, bytes):
        return text
    if isinstance(text, (bytearray, memoryview)):
        return bytes(text)
    if not isinstance(text, str):
        text = str(text)
    return text.encode("utf-8")


def path_arg(path):
    """A path (str, bytes or os.PathLike) as bytes for the C API."""
    import os
    if path is None:
        return None
    return os.fsencode(path)


def s(ptr, length=None):
    """Copies a C string (a c_void_p result) into a Python str; None for NULL.

    The copy is taken at once, so nothing borrowed from a C object outlives
    the call that returned it."""
    if not ptr:
        return None
    raw = ctypes.string_at(ptr, length) if length is not None else ctypes.string_at(ptr)
    return raw.decode("utf-8", "replace")


def raw(ptr, length):
    """Copies length bytes at a C pointer into Python bytes."""
    if not ptr or not length:
        return b""
    return ctypes.string_at(ptr, length)


def take_dup(ptr):
    """Copies a *_dup string into Python, then frees it with oai_free()."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib.oai_free(ptr)


def value_to_python(value):
    """Copies an oai_value into Python objects (through its JSON text)."""
    if not value:
        return None
    text = take_dup(lib.oai_value_json_dup(value))
    return None if text is None else json.loads(text)


def status_name(status):
    return s(lib.oai_status_name(status))


def status_message(status):
    return s(lib.oai_status_message(status))


def check(status, message=None, what=None):
    """Raises the error of a status returned by a function that acts."""
    if status != errors.OK:
        if message is None:
            message = status_message(status)
            if what:
                message = "%s: %s" % (what, message)
        raise errors.error_class(status)(message, status=status)


class Owned:
    """A Python object that owns one C handle (self._h, freed by self._free):
    handle, close(), a context manager, freed when collected. _what names
    the object in the error a closed one raises."""

    _what = "object"
    _h = None

    @property
    def handle(self):
        """The C handle (for calling the C API directly); valid until close()."""
        if not self._h:
            raise errors.InvalidArgumentError("the %s is closed" % self._what)
        return self._h

    def close(self):
        h, self._h = self._h, None
        if h:
            self._free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
