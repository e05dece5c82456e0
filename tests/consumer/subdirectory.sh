#!/bin/sh
# Builds tests/consumer/subdir, which vendors the source tree with
# add_subdirectory() and links oai::oai and oai::oai_static; runs both.
#   subdirectory.sh OAI_SOURCE_DIR PROJECT_DIR WORK_DIR
# Environment: CC, OAI_CONSUMER_FLAGS (as in pkgconfig.sh).
set -eu
source_dir=$1 project=$2 work=$3
extra=${OAI_CONSUMER_FLAGS:-}
set -- -DOAI_SOURCE_DIR="$source_dir" -DCMAKE_BUILD_TYPE=Debug
[ -n "${CC:-}" ] && set -- "$@" -DCMAKE_C_COMPILER="$CC"
[ -n "$extra" ] && set -- "$@" -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
    -DCMAKE_SHARED_LINKER_FLAGS="$extra"

rm -rf "$work"
cmake -S "$project" -B "$work/build" "$@"
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
cmake --build "$work/build" --parallel "$jobs"
for kind in shared static; do
    "$work/build/consumer_$kind" | tee "$work/$kind.out"
    grep -q OAI_ERR_RATE_LIMIT "$work/$kind.out"
done
echo "ok: add_subdirectory() consumers build and run"
