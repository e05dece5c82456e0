"""Runs examples/chat.py against the mock server and checks what it prints
(the ctest python_example)."""

import os
import subprocess
import sys

from support import PACKAGE_ROOT, MockServer


def main():
    example = os.path.join(PACKAGE_ROOT, "examples", "chat.py")
    with MockServer() as server:
        env = dict(os.environ, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-local")
        out = subprocess.run([sys.executable, "-B", example], env=env, capture_output=True, timeout=60)
    text = out.stdout.decode()
    sys.stdout.write(text)
    sys.stderr.write(out.stderr.decode())
    expected = [
        "1. chat: Echo: Say hello.",
        "2. stream: [",
        "   text: Echo: Count to five.",
        "3. async 0: Echo: Name a color, 0.",
        "3. async 2: Echo: Name a color, 2.",
        "4. error: OAI_ERR_NOT_FOUND 404 model_not_found",
    ]
    missing = [line for line in expected if line not in text]
    if out.returncode != 0 or missing:
        print("run_example: exit status %d; missing lines: %r" % (out.returncode, missing), file=sys.stderr)
        return 1
    print("run_example: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
