#!/usr/bin/env bash
# Conformance: starts a Prism mock of OpenAI's published OpenAPI spec on a
# free loopback port and runs build/tests/conformance against it, which sends
# every endpoint helper's request and fails on any answer that is not 2xx
# (Prism answers 422/400/404/405/415 when a request does not match the spec).
#
#   scripts/conformance.sh [BUILD_DIR]        (default: build)
#
# Prism comes from ../shared/tools/prism-up.sh beside the project (installed
# with npm on first use); OAI_PRISM_TOOLS overrides that folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
TOOLS="${OAI_PRISM_TOOLS:-$ROOT/../shared/tools}"
JOBS="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"

[ -x "$TOOLS/prism-up.sh" ] || [ -f "$TOOLS/prism-up.sh" ] ||
  { echo "conformance: $TOOLS/prism-up.sh not found" >&2; exit 1; }

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" >/dev/null
fi
cmake --build "$BUILD" --parallel "$JOBS" --target conformance

free_port() {
  node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

PRISM_PID=""
# shellcheck disable=SC2317  # called from the EXIT trap
stop_prism() {
  if [ -n "$PRISM_PID" ]; then
    bash "$TOOLS/prism-down.sh" "$PRISM_PID" >&2 || true
    PRISM_PID=""
  fi
}
trap stop_prism EXIT
trap 'exit 130' INT TERM

# Another process may take the port between the probe and Prism's start: try
# a few ports before giving up.
for attempt in 1 2 3; do
  PORT="$(free_port)"
  echo "conformance: starting Prism on 127.0.0.1:$PORT (attempt $attempt)" >&2
  if PRISM_PID="$(PRISM_LOG_LEVEL="${PRISM_LOG_LEVEL:-warn}" bash "$TOOLS/prism-up.sh" "$PORT")"; then
    break
  fi
  PRISM_PID=""
done
[ -n "$PRISM_PID" ] || { echo "conformance: Prism did not start" >&2; exit 1; }

status=0
"$BUILD/tests/conformance" "http://127.0.0.1:$PORT" || status=$?
exit "$status"
