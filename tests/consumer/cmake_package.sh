#!/bin/sh
# Builds tests/consumer/cmake against an installed prefix with
# find_package(oai): oai::oai and oai::oai_static; runs both. Then checks
# that the version file refuses another major version.
#   cmake_package.sh PREFIX PROJECT_DIR WORK_DIR VERSION
# Environment: CC, OAI_CONSUMER_FLAGS (as in pkgconfig.sh).
set -eu
prefix=$1 project=$2 work=$3 version=$4
extra=${OAI_CONSUMER_FLAGS:-}
set -- -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug
[ -n "${CC:-}" ] && set -- "$@" -DCMAKE_C_COMPILER="$CC"
[ -n "$extra" ] && set -- "$@" -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra"

rm -rf "$work"
cmake -S "$project" -B "$work/build" -DOAI_REQUIRE_VERSION="$version" "$@"
cmake --build "$work/build"
objdump -p "$work/build/consumer_shared" | grep -q 'NEEDED.*liboai\.so\.' ||
    { echo "FAIL: consumer_shared does not need liboai.so"; exit 1; }
if objdump -p "$work/build/consumer_static" | grep -q 'NEEDED.*liboai'; then
    echo "FAIL: consumer_static needs liboai.so"; exit 1
fi
for kind in shared static; do
    "$work/build/consumer_$kind" | tee "$work/$kind.out"
    grep -q OAI_ERR_RATE_LIMIT "$work/$kind.out"
done

# SameMajorVersion: asking for the next major version must fail.
major=${version%%.*}
if cmake -S "$project" -B "$work/build-next-major" -DOAI_REQUIRE_VERSION="$((major + 1)).0" "$@" \
        >"$work/next-major.log" 2>&1; then
    echo "FAIL: find_package(oai $((major + 1)).0) accepted version $version"; exit 1
fi
echo "ok: find_package(oai $((major + 1)).0) is refused"
echo "ok: find_package(oai) consumers build and run"
