#!/usr/bin/env python3
"""A chat with liboai from Python: one answer whole, one streamed, three
asynchronous calls polled together, and an error caught.

    export OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=sk-...
    PYTHONPATH=bindings/python OAI_LIBRARY=build/liboai.so python3 bindings/python/examples/chat.py [model]

(With no OPENAI_BASE_URL, the client talks to api.openai.com.)"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import oai  # noqa: E402


def main():
    model = sys.argv[1] if len(sys.argv) > 1 else "gpt-4o-mini"
    # Reads OPENAI_API_KEY and OPENAI_BASE_URL, like oai_client_new().
    with oai.Client(max_retries=2, timeout_ms=60000) as client:
        # 1. The whole answer.
        res = client.chat(model, [("system", "Answer in one line."), ("user", "Say hello.")])
        print("1. chat:", res.text)
        print("   tokens:", res.get("/usage/total_tokens"), "request:", res.request_id)

        # 2. Streamed: the Call is an iterator over its events, pulled from
        # the library (no callback).
        print("2. stream: ", end="")
        call = client.chat_stream(model, [("user", "Count to five.")])
        for event in call:
            if event.type == oai.EVENT_TEXT:
                print("[%s]" % event.text, end="", flush=True)
        print()
        print("   text:", call.result().text)

        # 3. Three calls at once, polled until all are done.
        calls = [client.start(oai.chat_completion_create(model, [("user", "Name a color, %d." % i)]))
                 for i in range(3)]
        while client.poll(100) > 0:
            pass
        for i, c in enumerate(calls):
            print("3. async %d:" % i, c.result().text)
            c.close()

        # 4. Errors are exceptions carrying the status, HTTP status, request
        # id and message.
        try:
            client.send(oai.model_retrieve("no-such-model"))
        except oai.NotFoundError as e:
            print("4. error:", e.status_name, e.http_status, e.error_code)
        except oai.OAIError as e:
            print("4. error:", e)


if __name__ == "__main__":
    try:
        main()
    except oai.OAIError as e:
        print("oai:", e, file=sys.stderr)
        sys.exit(1)
