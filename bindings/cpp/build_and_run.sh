#!/bin/sh
# Compiles include/oai.hpp's test and example with one C++ compiler, as
# C++17 with -Wall -Wextra -pedantic -Werror, links them against the shared
# library, then runs the test (which starts its own mock servers) and the
# example against a mock server. Registered by bindings/cpp/CMakeLists.txt.
#
#   build_and_run.sh CXX SOURCE_DIR INCLUDE_DIR LIBRARY MOCK_SERVER OUT_DIR [EXTRA_FLAGS]
#
# With OAI_HPP_RUNNER set (e.g. "valgrind --error-exitcode=1 ..."), the
# test program runs under it.
set -eu
cxx=$1 src=$2 include=$3 library=$4 mock=$5 out=$6 extra=${7:-}
libdir=$(dirname "$library")
mkdir -p "$out"
name=$(basename "$cxx")
flags="-std=c++17 -Wall -Wextra -pedantic -Werror -Wshadow -Wundef -Wconversion -Wno-sign-conversion"

for prog in oai_hpp_test example; do
    echo "$cxx $flags $extra -I$include $src/$prog.cpp $library"
    # shellcheck disable=SC2086
    "$cxx" $flags $extra -I"$include" "$src/$prog.cpp" "$library" -Wl,-rpath,"$libdir" \
        -o "$out/$prog.$name"
done
echo "ok: oai.hpp compiles with $name as C++17, warnings as errors"

export OAI_MOCK_SERVER="$mock"
# shellcheck disable=SC2086
${OAI_HPP_RUNNER:-} "$out/oai_hpp_test.$name"

# The example, against a mock server of its own.
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$dir"' EXIT
"$mock" --port 0 --port-file "$dir/port" > /dev/null &
server=$!
i=0
while [ ! -s "$dir/port" ]; do
    i=$((i + 1))
    [ "$i" -lt 500 ] || { echo "FAIL: oai-mock-server did not start"; exit 1; }
    sleep 0.01
done
OPENAI_BASE_URL="http://127.0.0.1:$(cat "$dir/port")/v1" OPENAI_API_KEY=sk-local \
    "$out/example.$name" > "$dir/example.out"
cat "$dir/example.out"
grep -q '^1\. Echo: What is a haiku?' "$dir/example.out"
grep -q '^2\. \[Echo:\]' "$dir/example.out"
grep -q '^3\. Echo: Tell me a story\.' "$dir/example.out"
echo "ok: the example ran"
