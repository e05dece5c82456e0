"""Test support: the package on sys.path, and the project's mock server as a
subprocess (one per test class, or per test where a script is used up).

OAI_LIBRARY (the liboai.so to load) and OAI_MOCK_SERVER (the oai-mock-server
binary) come from the environment; bindings/python/CMakeLists.txt sets both
for ctest. Run by hand from a build tree, the defaults are the repository's
build/ tree."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
if PACKAGE_ROOT not in sys.path:
    sys.path.insert(0, PACKAGE_ROOT)

import oai  # noqa: E402


def mock_server_path():
    path = os.environ.get("OAI_MOCK_SERVER")
    if path:
        if not os.access(path, os.X_OK):
            raise RuntimeError("OAI_MOCK_SERVER=%s is not an executable" % path)
        return path
    for build in ("build", "build-py"):
        candidate = os.path.join(REPO, build, "tests", "oai-mock-server")
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("oai-mock-server not found: set OAI_MOCK_SERVER to its path "
                       "(ctest sets it; see bindings/python/README.md)")


class MockServer:
    """oai-mock-server on a free loopback port; a context manager."""

    def __init__(self, script=None, args=()):
        self.dir = tempfile.mkdtemp(prefix="oai-py-")
        cmd = [mock_server_path(), "--port", "0", "--port-file", os.path.join(self.dir, "port")]
        if script is not None:
            path = os.path.join(self.dir, "script.json")
            with open(path, "w") as f:
                json.dump(script, f)
            cmd += ["--script", path]
        cmd += list(args)
        env = dict(os.environ, TMPDIR=self.dir)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        port_file = os.path.join(self.dir, "port")
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.close()
                raise RuntimeError("oai-mock-server exited with %s: %s" % (self.proc.returncode, err))
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("oai-mock-server did not write its port within 10 s")
            time.sleep(0.01)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.base_url = "http://127.0.0.1:%d/v1" % self.port

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def client_for(server, **options):
    """A client of the mock server with short retry waits."""
    options.setdefault("api_key", "sk-local")
    options.setdefault("retry_backoff_ms", (5, 20))
    options.setdefault("timeout_ms", 30000)
    return oai.Client(base_url=server.base_url, **options)


class MockServerTest(unittest.TestCase):
    """One mock server for the class (SCRIPT and SERVER_ARGS configure it);
    self.client is a fresh client for each test, closed after it."""

    SCRIPT = None
    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.server = MockServer(cls.SCRIPT, cls.SERVER_ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="oai-py-test-")
        self.client = client_for(self.server)

    def tearDown(self):
        self.client.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, data):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        return path


def sse(obj):
    """One server-sent event with JSON data, for scripted chunks."""
    return "data: %s\n\n" % json.dumps(obj, separators=(",", ":"))


def chat_chunk(content=None, finish=None, role=None):
    delta = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    return sse({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1700000000,
                "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
