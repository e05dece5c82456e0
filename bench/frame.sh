#!/bin/sh
# 100 streamed chats from a 60 fps frame loop, with and without a poll
# budget: the library's time per frame (worst, 99th percentile, median).
# Builds bench_frame and oai-mock-server, starts the mock on an ephemeral
# port and prints one table of medians over the runs (see bench_frame.c and
# bench/README.md).
#
#   bench/frame.sh [--runs N] [--streams N] [--tokens N] [--before [REV]]
#                  [--no-pin] [--build-dir DIR]
#
#   --runs N         runs per row (default 5)
#   --streams N      streams started at once (default 100)
#   --tokens N       tokens, hence text events, per stream (default 500)
#   --before [REV]   also the library before the pull API and the budget
#                    (default REV d5cca5c), from `git archive`, with the
#                    callback variant of the same program
#   --no-pin         do not pin the program and the server to separate CPUs
#   --build-dir DIR  where to build (default: build-bench in the repository)
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench
RUNS=5
STREAMS=100
TOKENS=500
BEFORE=
PIN=1

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) shift; RUNS=${1:?--runs needs a number} ;;
    --streams) shift; STREAMS=${1:?--streams needs a number} ;;
    --tokens) shift; TOKENS=${1:?--tokens needs a number} ;;
    --before)
        BEFORE=d5cca5c
        case ${2:-} in -* | '') ;; *) shift; BEFORE=$1 ;; esac ;;
    --no-pin) PIN=0 ;;
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=SCRIPTDIR/common.sh
. "$BENCH_DIR/common.sh"

say "== building bench_frame and oai-mock-server in $BUILD_DIR"
cmake -S "$BENCH_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)" --target oai-mock-server bench_frame >/dev/null

# The library at REV, from `git archive` (the repository's worktrees are
# left alone), and bench_frame.c compiled against it with its callback
# variant (-DBENCH_FRAME_OLD_API), as RelWithDebInfo builds it.
build_before() {
    dir=$BUILD_DIR/before-$1
    if [ ! -f "$dir/stamp" ]; then
        say "== building the library at $1 in $dir"
        rm -rf "$dir"
        mkdir -p "$dir/src"
        git -C "$ROOT" archive "$1" | tar -x -C "$dir/src"
        cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOAI_BUILD_TESTS=OFF \
            -DOAI_BUILD_CLI=OFF -DOAI_BUILD_EXAMPLES=OFF >/dev/null
        cmake --build "$dir/build" -j "$(nproc 2>/dev/null || echo 2)" --target oai_shared >/dev/null
        touch "$dir/stamp"
    fi
    ${CC:-cc} -std=c99 -O2 -g -DNDEBUG -D_POSIX_C_SOURCE=200809L -DBENCH_FRAME_OLD_API \
        -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wformat=2 \
        -Wno-unused-parameter -I "$dir/src/include" "$BENCH_DIR/bench_frame.c" \
        -L "$dir/build" -loai -Wl,-rpath,"$dir/build" -o "$dir/bench_frame"
    BEFORE_BIN=$dir/bench_frame
}
BEFORE_BIN=
[ -z "$BEFORE" ] || build_before "$BEFORE"

# On two cores or more the program runs on CPU 0 and the server on the
# others, so that the server's work (it makes every answer at once) does not
# preempt the frames being timed.
RUN_PIN=
if [ "$PIN" = 1 ] && [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] && command -v taskset >/dev/null; then
    RUN_PIN="taskset -c 0"
    MOCK_PIN="taskset -c 1-$(($(nproc) - 1))"
fi
bench_start_mock

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
printf 'Machine: %s, %s cores, %s; libcurl %s; load average %s.\n' "${cpu:-unknown CPU}" \
    "$(nproc 2>/dev/null || echo '?')" "$(uname -sr)" "$(pkg-config --modversion libcurl 2>/dev/null || echo '?')" \
    "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
printf '%s streamed chats of %s tokens each, started at once, then one poll per 16.7 ms frame; ' "$STREAMS" "$TOKENS"
printf 'medians of %s runs%s.\n\n' "$RUNS" "${RUN_PIN:+ (program on CPU 0, server on the others)}"
echo "| mode                         | runs | frames | worst ms | p99 ms   | p50 ms   | worst CPU ms   | start ms   | events   |"
echo "|------------------------------|-----:|-------:|---------:|---------:|---------:|---------------:|-----------:|---------:|"
ARGS="$MOCK_URL --runs $RUNS --streams $STREAMS --tokens $TOKENS"

# One row: the program's table row on stdout, its runs into $WORK/runs.
row() {
    # shellcheck disable=SC2086 # word splitting of RUN_PIN and ARGS is wanted
    if ! $RUN_PIN "$@" $ARGS 2>>"$WORK/runs"; then
        cat "$WORK/runs" >&2
        say "bench_frame failed"
        exit 1
    fi
}
[ -z "$BEFORE_BIN" ] || row "$BEFORE_BIN" --mode callback --label "before ($BEFORE), callbacks"
row "$BUILD_DIR/bench_frame" --mode callback --budget-us 0 --label "callbacks, no budget"
row "$BUILD_DIR/bench_frame" --mode pull --budget-us 0 --label "pull, no budget"
row "$BUILD_DIR/bench_frame" --mode pull --budget-us 1000 --label "pull, budget 1 ms"
echo
echo "Per run (with the thread's CPU time, which preemption does not inflate):"
sed 's/^RUN /  /' "$WORK/runs"
