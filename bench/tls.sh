#!/bin/sh
# The first TLS connection of a client, polled from a 60 fps frame loop,
# with and without oai_client_warm_up(): builds bench_tls and prints its
# table (see bench_tls.c and bench/README.md).
#
#   bench/tls.sh [--runs N] [--bundle PATH] [--build-dir DIR]
#
#   --runs N         runs (processes) per mode (default 30)
#   --bundle PATH    the CA bundle the client parses (default Debian's,
#                    /etc/ssl/certs/ca-certificates.crt)
#   --build-dir DIR  where to build (default: build-bench in the repository)
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench
RUNS=30
BUNDLE=/etc/ssl/certs/ca-certificates.crt

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:?--runs needs a number} ;;
    --bundle) shift; BUNDLE=${1:?--bundle needs a file} ;;
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

echo "== building bench_tls in $BUILD_DIR" >&2
cmake -S "$BENCH_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)" --target bench_tls >/dev/null

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
printf 'Machine: %s, %s cores, %s; libcurl %s, %s; %s certificates in the bundle.\n' \
    "${cpu:-unknown CPU}" "$(nproc 2>/dev/null || echo '?')" "$(uname -sr)" \
    "$(pkg-config --modversion libcurl 2>/dev/null || echo '?')" \
    "$(openssl version 2>/dev/null | cut -d' ' -f1-2 || echo 'OpenSSL ?')" \
    "$(grep -c 'BEGIN CERTIFICATE' "$BUNDLE" 2>/dev/null || echo '?')"
"$BUILD_DIR/bench_tls" --runs "$RUNS" --bundle "$BUNDLE"
