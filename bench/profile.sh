#!/bin/sh
# Explains the gap between oai and raw libcurl: runs bench_oai and bench_curl
# under callgrind, each workload at two sizes, and prints the instructions
# of one request (or one stream event) split by shared object and by
# function, plus the inclusive cost of oai's own functions. Instruction
# counts are exact and do not depend on the machine's load.
#
#   bench/profile.sh [--build-dir DIR] [sequential|stream|concurrent ...]
#
# Needs valgrind. Takes about a minute per workload.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench
WORKLOADS=

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    sequential | stream | concurrent) WORKLOADS="$WORKLOADS $1" ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
    shift
done
[ -n "$WORKLOADS" ] || WORKLOADS="sequential stream concurrent"

command -v valgrind >/dev/null || { echo "profile.sh needs valgrind" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/common.sh
. "$BENCH_DIR/common.sh"
bench_build
bench_start_mock

# The two sizes of each workload, and the unit they count.
sizes() { # WORKLOAD SIZE(1|2) -> benchmark options
    case $1.$2 in
    sequential.1) echo "--requests 100" ;;
    sequential.2) echo "--requests 300" ;;
    stream.1) echo "--stream-bytes 50000 --stream-pieces 1000000" ;;
    stream.2) echo "--stream-bytes 150000 --stream-pieces 1000000" ;;
    concurrent.1) echo "--rounds 2 --concurrency 64" ;;
    concurrent.2) echo "--rounds 6 --concurrency 64" ;;
    esac
}

# Profiles one run; prints its unit count (requests, or events for a stream).
profile() { # IMPL WORKLOAD SIZE
    out=$WORK/$1.$2.$3
    # shellcheck disable=SC2046 # the options are meant to split
    valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
        "$BUILD_DIR/bench_$1" "$2" "$MOCK_URL" $(sizes "$2" "$3") >"$out.txt" 2>"$out.log"
    if [ "$2" = stream ]; then
        sed -n 's/.* events=\([0-9]*\).*/\1/p' "$out.txt"
    else
        sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$out.txt"
    fi
}

for workload in $WORKLOADS; do
    unit=request
    [ "$workload" = stream ] && unit=event
    for impl in curl oai; do
        say "== callgrind: bench_$impl $workload"
        n1=$(profile $impl "$workload" 1)
        n2=$(profile $impl "$workload" 2)
        if [ "${n1:-0}" -ge "${n2:-0}" ]; then
            say "bench_$impl $workload: both sizes gave $n1 ${unit}s; skipped (does this"
            say "oai-mock-server honour mock_stream_pieces? see bench/README.md)"
            continue 2
        fi
        printf '\n### %s, bench_%s: instructions per %s (self cost)\n\n' "$workload" "$impl" "$unit"
        awk -v n1="$n1" -v n2="$n2" -v top=20 -v unit=$unit -f "$BENCH_DIR/callgrind_split.awk" \
            "$WORK/$impl.$workload.1.cg" "$WORK/$impl.$workload.2.cg"
    done
    printf '\n### %s, bench_oai: inclusive instructions per %s of liboai functions\n\n' "$workload" "$unit"
    for size in 1 2; do
        callgrind_annotate --inclusive=yes --auto=no --threshold=100 \
            "$WORK/oai.$workload.$size.cg" >"$WORK/annotate.$size" 2>/dev/null
    done
    awk -v n1="$n1" -v n2="$n2" -v object=liboai -v top=30 -v unit=$unit \
        -f "$BENCH_DIR/callgrind_inclusive.awk" "$WORK/annotate.1" "$WORK/annotate.2"
done
