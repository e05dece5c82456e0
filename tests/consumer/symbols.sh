#!/bin/sh
# Checks the libraries' ABI surface:
#  - the shared library's SONAME is the expected one (liboai.so.MAJOR);
#  - it exports only oai_* symbols (plus the version-script node), and they
#    are exactly the OAI_API functions the public headers declare (none
#    missing, none extra);
#  - every global symbol the static library defines is either one of those
#    public functions or an internal one named oai__* (the library's
#    internal prefix), so `nm liboai.a` shows at a glance what is public.
#   symbols.sh SHARED_LIBRARY STATIC_LIBRARY EXPECTED_SONAME HEADER...
set -eu
lib=$1 static=$2 expected_soname=$3
shift 3
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

# Declarations may wrap: join each header into one line, then take the name
# before the '(' of every OAI_API declaration.
for header in "$@"; do
    tr '\n' ' ' < "$header" | grep -oE 'OAI_API[^;(]*\(' |
        grep -oE 'oai_[A-Za-z0-9_]+[[:space:]]*\($' | tr -d '( '
done | sort -u > "$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
    echo "FAIL: found no OAI_API declaration in $*"; exit 1
fi
comm -23 "$tmp/declared" "$tmp/exported" > "$tmp/missing"
comm -13 "$tmp/declared" "$tmp/exported" > "$tmp/extra"
if [ -s "$tmp/missing" ]; then
    echo "FAIL: declared in the public headers but not exported by $lib ($(wc -l < "$tmp/missing")):"
    sed 's/^/  /' "$tmp/missing"; status=1
fi
if [ -s "$tmp/extra" ]; then
    echo "FAIL: exported by $lib but not declared in the public headers (internal symbols leaking):"
    sed 's/^/  /' "$tmp/extra"; status=1
fi
[ "$status" -eq 0 ] && echo "ok: exports = the $(wc -l < "$tmp/declared") functions of the public headers"

# The static library: global definitions (text, data, bss, read-only).
# Sanitizer builds add their own globals (__odr_asan.NAME for each global).
nm -g --defined-only "$static" | awk 'NF == 3 { print $3 }' |
    grep -vE '^__(odr_asan|asan|ubsan|sancov)' | sort -u > "$tmp/static"
grep -v '^oai__' "$tmp/static" | comm -23 - "$tmp/declared" > "$tmp/static_stray"
if [ -s "$tmp/static_stray" ]; then
    echo "FAIL: $static defines global symbols that are neither public nor oai__ internal ($(wc -l < "$tmp/static_stray")):"
    sed 's/^/  /' "$tmp/static_stray"; status=1
else
    echo "ok: $static defines $(grep -c '^oai__' "$tmp/static" || true) internal oai__ symbols and only public oai_ ones besides"
fi
exit "$status"
