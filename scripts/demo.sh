#!/usr/bin/env bash
# The demo (README command 1): installs what building needs if it is missing
# (scripts/deps.sh --build: a compiler, CMake, libcurl, jansson, OpenSSL; not
# the test tools), builds the library, the `oai` tool and oai-mock-server,
# starts the mock server on a loopback port, and asks it for a poem with
# `oai`, once as a whole answer and once streamed. Needs no API key and no
# network.
#
#   scripts/demo.sh ["PROMPT"]
#   OAI_DEMO_BUILD_DIR=DIR scripts/demo.sh    # build in DIR (default build-demo/)
#
# The build goes to its own directory, configured without the tests (they
# need cmocka): build/ is scripts/test.sh's, configured with them, and each
# configuration would otherwise undo the other's. Its output goes to
# DIR/demo-build.log, shown only when the build fails, so that the answers
# stand out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${OAI_DEMO_BUILD_DIR:-$ROOT/build-demo}"
PROMPT="${1:-写一首关于春天的诗}"
JOBS="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
# The server cuts its streamed answers into one event per token (more pieces
# than tokens) and waits between them, so the streamed run visibly streams.
STREAM_PACING=(--stream-pieces 1000 --stream-delay-ms 40)

bash "$ROOT/scripts/deps.sh" --build

mkdir -p "$BUILD"
LOG="$BUILD/demo-build.log"
echo "== building oai and oai-mock-server in $BUILD"
if ! { cmake -S "$ROOT" -B "$BUILD" -DOAI_BUILD_TESTS=OFF -DOAI_BUILD_EXAMPLES=OFF \
         -DOAI_BUILD_CLI=ON -DOAI_INSTALL_MOCK_SERVER=ON &&
       cmake --build "$BUILD" --parallel "$JOBS" --target oai oai-mock-server; } >"$LOG" 2>&1; then
  tail -n 60 "$LOG" >&2
  echo "demo: the build failed; the whole log is $LOG" >&2
  exit 1
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting the mock server on 127.0.0.1 (ephemeral port)"
"$BUILD/tests/oai-mock-server" --port-file "$WORK/port" "${STREAM_PACING[@]}" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "demo: the mock server exited" >&2; exit 1; }
  sleep 0.1
done
[ -s "$WORK/port" ] || { echo "demo: the mock server did not report its port" >&2; exit 1; }
BASE_URL="http://127.0.0.1:$(tr -dc '0-9' < "$WORK/port")/v1"
echo "   listening at $BASE_URL"

echo
echo "== oai --base-url $BASE_URL --api-key sk-local chat \"$PROMPT\""
"$BUILD/cli/oai" --base-url "$BASE_URL" --api-key sk-local chat "$PROMPT"

echo
echo "== the same, streamed: oai ... chat --stream \"$PROMPT\""
"$BUILD/cli/oai" --base-url "$BASE_URL" --api-key sk-local chat --stream "$PROMPT"

echo
echo "demo: done. Point --base-url at https://api.openai.com/v1 and pass your own key to ask OpenAI."
