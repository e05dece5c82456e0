#!/bin/sh
# Checks the shared library's ABI surface:
#  - its SONAME is the expected one (liboai.so.MAJOR);
#  - it exports only oai_* symbols (plus the version-script node);
#  - the exported functions are exactly the OAI_API functions that
#    include/oai.h declares (none missing, none extra).
#   symbols.sh LIBRARY HEADER EXPECTED_SONAME
set -eu
lib=$1 header=$2 expected_soname=$3
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" = "$expected_soname" ]; then echo "ok: SONAME $soname"
else echo "FAIL: SONAME is '$soname', expected $expected_soname"; status=1; fi

# Defined dynamic symbols, without version suffixes; type A entries are the
# version nodes of the linker script (OAI_0), not code or data.
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
    sort -u > "$tmp/exported"
grep -v '^oai_' "$tmp/exported" > "$tmp/foreign" || true
if [ -s "$tmp/foreign" ]; then
    echo "FAIL: exported symbols without the oai_ prefix:"; sed 's/^/  /' "$tmp/foreign"; status=1
else
    echo "ok: all $(wc -l < "$tmp/exported") exported symbols start with oai_"
fi

# Declarations may wrap: join the header into one line, then take the name
# before the '(' of every OAI_API declaration.
tr '\n' ' ' < "$header" | grep -oE 'OAI_API[^;(]*\(' |
    grep -oE 'oai_[A-Za-z0-9_]+[[:space:]]*\($' | tr -d '( ' | sort -u > "$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
    echo "FAIL: found no OAI_API declaration in $header"; exit 1
fi
comm -23 "$tmp/declared" "$tmp/exported" > "$tmp/missing"
comm -13 "$tmp/declared" "$tmp/exported" > "$tmp/extra"
if [ -s "$tmp/missing" ]; then
    echo "FAIL: declared in oai.h but not exported by $lib ($(wc -l < "$tmp/missing")):"
    sed 's/^/  /' "$tmp/missing"; status=1
fi
if [ -s "$tmp/extra" ]; then
    echo "FAIL: exported by $lib but not declared in oai.h (internal symbols leaking):"
    sed 's/^/  /' "$tmp/extra"; status=1
fi
[ "$status" -eq 0 ] && echo "ok: exports = the $(wc -l < "$tmp/declared") functions of oai.h"
exit "$status"
