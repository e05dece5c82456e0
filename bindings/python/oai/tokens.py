"""Exact token counts, local (oai_tokenizer): tiktoken's o200k_base and
cl100k_base, from the .tiktoken vocabulary files (docs/tokens.md).

    tok = oai.Tokenizer.for_model("gpt-4o-mini")   # or oai.Tokenizer("o200k_base")
    print(tok.count("hello world"))                 # 2
    print(tok.count_messages([{"role": "user", "content": "Hi"}]))
"""

import ctypes
import json

from . import errors
from ._lib import lib, c_int64
from ._util import Owned, b, path_arg, s

# How text that spells a special token ("<|endoftext|>") is counted
# (oai_tokenizer_special).
SPECIAL_ORDINARY = 0      # as text, like tiktoken's encode_ordinary() (the default)
SPECIAL_ALLOWED = 1       # as the one special token: encode(text, allowed_special="all")
SPECIAL_DISALLOWED = 2    # refused (InvalidArgumentError), like encode(text)

_SPECIAL_NAMES = {"ordinary": SPECIAL_ORDINARY, "allowed": SPECIAL_ALLOWED, "disallowed": SPECIAL_DISALLOWED}


class Tokenizer(Owned):
    """An oai_tokenizer, owned by this object (close(), a with block or
    collection frees it).

    Tokenizer(encoding, path=None): "o200k_base" or "cl100k_base", read
    from the .tiktoken file at path, or (None) from $OAI_VOCAB_DIR, else the
    install directory. Tokenizer.for_model(model, vocab_dir=None): the
    encoding of a model, by tiktoken's table. A tokenizer that cannot be
    made raises at once: InvalidArgumentError (an unknown encoding or
    model), LocalIOError (no file), InvalidDataError (not a vocabulary),
    with the library's message. Use one from one thread at a time."""

    _what = "tokenizer"

    def __init__(self, encoding, path=None, special=None, _model=None):
        self._h = None
        self._free = lib.oai_tokenizer_free
        if _model is not None:
            h = lib.oai_tokenizer_model_new(b(_model), path_arg(path))
        else:
            h = lib.oai_tokenizer_new(b(encoding), path_arg(path))
        if not h:
            raise errors.OutOfMemoryError("oai_tokenizer_new: out of memory")
        self._h = h
        st = lib.oai_tokenizer_status(h)
        if st != errors.OK:
            err = self._error(st)
            self.close()
            raise err
        if special is not None:
            self.set_special_tokens(special)

    @classmethod
    def for_model(cls, model, vocab_dir=None, special=None):
        """The tokenizer of a model's encoding (oai_tokenizer_model_new)."""
        return cls(None, vocab_dir, special=special, _model=model)

    def _error(self, st):
        return errors.error_class(st)(s(lib.oai_tokenizer_error_message(self._h)), status=st)

    def _check(self, st):
        if st != errors.OK:
            raise self._error(st)

    @property
    def name(self):
        """The encoding's name, "o200k_base" or "cl100k_base"."""
        return s(lib.oai_tokenizer_name(self.handle))

    def set_special_tokens(self, mode):
        """SPECIAL_ORDINARY, SPECIAL_ALLOWED or SPECIAL_DISALLOWED (or
        "ordinary", "allowed", "disallowed"); returns the tokenizer."""
        if isinstance(mode, str):
            if mode not in _SPECIAL_NAMES:
                raise errors.InvalidArgumentError("special tokens: %r is not one of %s"
                                                  % (mode, ", ".join(sorted(_SPECIAL_NAMES))))
            mode = _SPECIAL_NAMES[mode]
        self._check(lib.oai_tokenizer_set_special_tokens(self.handle, int(mode)))
        return self

    def count(self, text):
        """The tokens of text (str, sent as UTF-8, or bytes: invalid UTF-8
        counts as its U+FFFD repair)."""
        raw = b(text) if text is not None else b""
        n = c_int64(0)
        self._check(lib.oai_tokenizer_count_text(self.handle, raw, len(raw), ctypes.byref(n)))
        return n.value

    def count_chat(self, request):
        """The prompt tokens of a chat request's /messages, by the
        cookbook's recipe (oai_tokenizer_count_chat)."""
        n = c_int64(0)
        self._check(lib.oai_tokenizer_count_chat(self.handle, request.handle, ctypes.byref(n)))
        return n.value

    def count_messages(self, messages):
        """The same for a messages array: a list of dicts (or (role,
        content) pairs), or its JSON text."""
        if isinstance(messages, (str, bytes)):
            raw = b(messages)
        else:
            items = [m if isinstance(m, dict) else {"role": m[0], "content": m[1]} for m in messages]
            raw = json.dumps(items, ensure_ascii=False).encode("utf-8")
        n = c_int64(0)
        self._check(lib.oai_tokenizer_count_messages(self.handle, raw, len(raw), ctypes.byref(n)))
        return n.value
