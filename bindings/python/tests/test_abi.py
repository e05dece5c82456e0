"""Every prototype the binding declares matches include/oai.h: the same
number of parameters, and each C type declared with its ctypes
counterpart (int64_t as c_int64, size_t as c_size_t, each handle as its
own pointer type, callbacks as NULL-only void *)."""

import ctypes
import os
import re
import unittest

from support import REPO, oai

lib = oai._lib
HEADER = os.path.join(REPO, "include", "oai.h")

HANDLES = {
    "oai_client": lib.client_p, "oai_request": lib.request_p, "oai_response": lib.response_p,
    "oai_value": lib.value_p, "oai_call": lib.call_p, "oai_event": lib.event_p,
    "oai_large_upload": lib.large_upload_p, "oai_pager": lib.pager_p, "oai_training_report": lib.report_p,
    "oai_batch_writer": lib.batch_writer_p, "oai_batch_reader": lib.batch_reader_p,
    "oai_webhook": lib.webhook_p, "oai_tokenizer": lib.tokenizer_p,
}
SCALARS = {"int64_t": ctypes.c_int64, "size_t": ctypes.c_size_t, "int": ctypes.c_int, "double": ctypes.c_double,
           "oai_status": ctypes.c_int}
CALLBACKS = ("oai_done_fn", "oai_event_fn", "oai_job_event_fn", "oai_progress_fn", "oai_tool_fn")


def expected(ctype, is_result):
    """The ctypes types acceptable for a C type (a tuple)."""
    t = re.sub(r"\s+", " ", ctype.replace("*", " * ")).strip()
    t = re.sub(r"\bconst\b ?", "", t).strip()
    t = t.replace(" *", "*").replace("* ", "*")
    if t == "void":
        return (None,)
    if t in SCALARS:
        return (SCALARS[t],)
    if t in CALLBACKS:
        return (ctypes.c_void_p,)      # always NULL: the pull API
    if t == "oai_token_fn":
        return (lib.token_fn_t,)       # the one callback: the token provider
    if t == "int64_t*":
        return (ctypes.POINTER(ctypes.c_int64),)
    if t == "char*":
        # In: bytes. Out: a pointer read with string_at (borrowed or _dup).
        return (ctypes.c_void_p,) if is_result else (ctypes.c_char_p,)
    if t == "void*":
        # userdata (always NULL), memory to free, or bytes passed in
        return (ctypes.c_void_p,) if is_result else (ctypes.c_void_p, ctypes.c_char_p)
    if t == "char**":
        return (ctypes.POINTER(ctypes.c_char_p),)
    if t == "size_t*":
        return (ctypes.POINTER(ctypes.c_size_t),)
    if t == "double*":
        return (ctypes.POINTER(ctypes.c_double),)
    base = t.rstrip("*")
    stars = len(t) - len(base)
    if base in HANDLES and stars == 1:
        return (HANDLES[base],)
    if base in HANDLES and stars == 2:
        return (ctypes.POINTER(HANDLES[base]),)
    raise AssertionError("no mapping for C type %r" % ctype)


def prototypes():
    with open(HEADER) as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out = {}
    for m in re.finditer(r"OAI_API\s+([^;{]*?)\b(oai_\w+)\s*\(([^)]*)\)\s*;", text):
        ret, name, params = m.group(1), m.group(2), m.group(3).strip()
        ret = re.sub(r"OAI_DEPRECATED\([^)]*\)", "", ret).strip()
        args = [] if params in ("", "void") else [p.strip() for p in params.split(",")]
        types = []
        for a in args:
            # Drop the parameter's name: the last identifier, unless the
            # parameter is only a type.
            a = re.sub(r"\s+", " ", a)
            mm = re.match(r"^(.*?)(\w+)$", a)
            types.append(mm.group(1).strip() if mm and mm.group(1).strip() not in ("", "const") else a)
        out[name] = (ret, types)
    return out


class ABITest(unittest.TestCase):

    def test_declarations_match_the_header(self):
        if not os.path.exists(HEADER):
            self.skipTest("no include/oai.h beside the binding")
        protos = prototypes()
        self.assertGreater(len(protos), 200)
        for name, (restype, argtypes) in sorted(lib.DECLARED.items()):
            with self.subTest(function=name):
                self.assertIn(name, protos, "%s is not in oai.h" % name)
                ret, params = protos[name]
                self.assertEqual(len(argtypes), len(params), "%s: parameter count" % name)
                self.assertIn(restype, expected(ret, True), "%s: result %s" % (name, ret))
                for i, (got, ctype) in enumerate(zip(argtypes, params)):
                    self.assertIn(got, expected(ctype, False), "%s: parameter %d (%s)" % (name, i + 1, ctype))

    def test_no_deprecated_function_is_used(self):
        if not os.path.exists(HEADER):
            self.skipTest("no include/oai.h beside the binding")
        with open(HEADER) as f:
            deprecated = set(re.findall(r"OAI_DEPRECATED\([^)]*\)\s*OAI_API[^;]*?\b(oai_\w+)\s*\(", f.read()))
        self.assertGreater(len(deprecated), 10)
        self.assertEqual(deprecated & set(lib.DECLARED), set())


if __name__ == "__main__":
    unittest.main()
