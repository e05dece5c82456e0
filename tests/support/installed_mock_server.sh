#!/bin/sh
# Checks the install tree's mock server (cmake/install.cmake): with
# OAI_INSTALL_MOCK_SERVER on, bin/oai-mock-server is installed next to
# bin/oai and the two work together from there, as docs/testing-your-app.md
# shows; with it off, it is not installed.
#   installed_mock_server.sh PREFIX BINDIR ON|OFF CLI_ON|CLI_OFF
set -eu
prefix=$1 bindir=$2 expected=$3 with_cli=$4
server="$prefix/$bindir/oai-mock-server"
cli="$prefix/$bindir/oai"

case "$expected" in
  ON|on|1|TRUE|true|YES|yes) ;;
  *)
    if [ -e "$server" ]; then echo "FAIL: $server installed with OAI_INSTALL_MOCK_SERVER off"; exit 1; fi
    echo "ok: oai-mock-server not installed (OAI_INSTALL_MOCK_SERVER off)"
    exit 0 ;;
esac

[ -x "$server" ] || { echo "FAIL: $server was not installed"; exit 1; }
echo "ok: $bindir/oai-mock-server"
if [ "$with_cli" = CLI_ON ]; then
  [ -x "$cli" ] || { echo "FAIL: $cli was not installed"; exit 1; }
  echo "ok: $bindir/oai"
fi

work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$server" --port 0 --port-file "$work/port" >"$work/url" 2>"$work/err" &
pid=$!
tries=0
while [ ! -s "$work/port" ]; do
  kill -0 "$pid" 2>/dev/null || { echo "FAIL: the installed server exited:"; cat "$work/err"; exit 1; }
  tries=$((tries + 1))
  [ "$tries" -lt 600 ] || { echo "FAIL: the installed server did not start"; exit 1; }
  sleep 0.1
done
url="http://127.0.0.1:$(tr -dc '0-9' <"$work/port")/v1"
echo "ok: the installed server listens at $url"
[ "$with_cli" = CLI_ON ] || exit 0
answer=$("$cli" --base-url "$url" --api-key sk-local chat "installed")
if [ "$answer" = "Echo: installed" ]; then
  echo "ok: the installed oai talks to the installed oai-mock-server"
else
  echo "FAIL: expected 'Echo: installed', got '$answer'"; exit 1
fi
