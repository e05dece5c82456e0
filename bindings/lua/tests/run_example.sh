#!/bin/sh
# Runs bindings/lua/examples/chat.lua against a mock server of its own and
# checks its three answers.
#   run_example.sh LUAJIT EXAMPLE MOCK_SERVER
set -eu
luajit=$1 example=$2 mock=$3
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
"$mock" --port 0 --port-file "$dir/port" > /dev/null &
server=$!
i=0
while [ ! -s "$dir/port" ]; do
    i=$((i + 1))
    [ "$i" -lt 500 ] || { echo "FAIL: oai-mock-server did not start"; exit 1; }
    sleep 0.01
done
# OAI_LUA_PRELOAD: the sanitizer runtimes a sanitized liboai needs, for
# luajit alone.
OPENAI_BASE_URL="http://127.0.0.1:$(cat "$dir/port")/v1" OPENAI_API_KEY=sk-local \
    LD_PRELOAD="${OAI_LUA_PRELOAD:-${LD_PRELOAD:-}}" "$luajit" "$example" > "$dir/out"
cat "$dir/out"
grep -q '^1\. Echo: What is a haiku?  (request req_mock_' "$dir/out"
grep -q '^2\. \[Echo:\]\[ Count\]\[ to\]\[ five\.\]$' "$dir/out"
grep -q '^3\. Echo: Tell me a story\.  ([0-9]* frames, [1-9][0-9]* tokens)$' "$dir/out"
echo "ok: the example ran"
