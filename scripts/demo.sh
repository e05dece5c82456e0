#!/usr/bin/env bash
# The demo (README command 1): installs what is missing, builds oai in
# build/, starts the local OpenAI-compatible mock server on a loopback port,
# and asks it for a poem with the `oai` command-line tool, once as a whole
# answer and once streamed. Needs no API key and no network.
#
#   scripts/demo.sh ["PROMPT"]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
PROMPT="${1:-写一首关于春天的诗}"
JOBS="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"

bash "$ROOT/scripts/deps.sh"

echo "== building in $BUILD"
cmake -S "$ROOT" -B "$BUILD" >/dev/null
cmake --build "$BUILD" --parallel "$JOBS" --target oai oai-mock-server

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
"$BUILD/tests/oai-mock-server" --port-file "$WORK/port" >"$WORK/server.log" 2>&1 &
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
