#!/bin/sh
# Explains the gap between oai and raw libcurl: runs bench_oai and bench_curl
# under callgrind, each workload at two sizes, and prints the instructions
# of one request (or one stream event) split by shared object and by
# function, plus the inclusive cost of oai's own functions. Instruction
# counts are exact and do not depend on the machine's load.
#
#   bench/profile.sh [--build-dir DIR] [--source DIR] [--server nginx|mock]
#                    [--floor scan|lines|jansson]
#                    [sequential|stream|concurrent|streams ...]
#
# The server and the answers are run.sh's (nginx with fixed answers unless
# --server mock). --floor picks how bench_curl reads a stream (default
# scan; see bench_curl.c). Needs valgrind. About a minute per workload.
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench
SOURCE_DIR=
SERVER=nginx
FLOOR=scan
WORKLOADS=

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    --source) shift; SOURCE_DIR=$(cd "${1:?--source needs a directory}" && pwd) ;;
    --server) shift; SERVER=${1:?--server needs nginx or mock} ;;
    --floor) shift; FLOOR=${1:?--floor needs scan, lines or jansson} ;;
    sequential | stream | concurrent | streams) WORKLOADS="$WORKLOADS $1" ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done
[ -n "$WORKLOADS" ] || WORKLOADS="sequential stream concurrent streams"
case $SERVER in nginx | mock) ;; *) usage >&2; exit 2 ;; esac
case $FLOOR in scan | lines | jansson) ;; *) usage >&2; exit 2 ;; esac

command -v valgrind >/dev/null || { echo "profile.sh needs valgrind" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/common.sh
. "$BENCH_DIR/common.sh"
bench_build
bench_static_files 100 5000 15000
if [ "$SERVER" = nginx ]; then
    bench_start_nginx
    server="--server static"
else
    bench_start_mock
    server="--server mock --stream-pieces 10000000"
fi

url_of() { # FILE
    if [ "$SERVER" = nginx ]; then echo "$STATIC_URL/$1/v1"; else echo "$MOCK_URL"; fi
}

stream_of() { # EVENTS -> the URL and answer of a stream of EVENTS content chunks
    echo "$(url_of "stream-$1.sse") --stream-bytes $(cat "$WORK/static/stream-$1.bytes")"
}

# The two sizes of each workload: its URL and options.
sizes() { # WORKLOAD SIZE(1|2)
    case $1.$2 in
    sequential.1) echo "$(url_of completion.json) --requests 100" ;;
    sequential.2) echo "$(url_of completion.json) --requests 300" ;;
    stream.1) stream_of 5000 ;;
    stream.2) stream_of 15000 ;;
    concurrent.1) echo "$(url_of completion.json) --rounds 2 --concurrency 64" ;;
    concurrent.2) echo "$(url_of completion.json) --rounds 6 --concurrency 64" ;;
    streams.1) echo "$(stream_of 100) --concurrency 100" ;;
    streams.2) echo "$(stream_of 100) --concurrency 300" ;;
    esac
}

# Profiles one run; prints its unit count (requests, or events for streams).
profile() { # IMPL WORKLOAD SIZE
    out=$WORK/$1.$2.$3
    # shellcheck disable=SC2046,SC2086 # the options are meant to split
    valgrind --tool=callgrind --callgrind-out-file="$out.cg" \
        "$BUILD_DIR/bench_$1" "$2" $(sizes "$2" "$3") $server --parse "$FLOOR" \
        >"$out.txt" 2>"$out.log" || { say "bench_$1 $2 failed:"; cat "$out.log" >&2; exit 1; }
    case $2 in
    stream | streams) sed -n 's/.* events=\([0-9]*\).*/\1/p' "$out.txt" ;;
    *) sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$out.txt" ;;
    esac
}

for workload in $WORKLOADS; do
    unit=request
    case $workload in stream | streams) unit=event ;; esac
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
