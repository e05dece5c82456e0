#!/bin/sh
# Compares the shared library with the ABI baseline of the last release
# (abi/liboai.so.MAJOR.abi, written by abidw): a function removed or changed
# (a parameter, a return type, a type they reach) fails; added functions are
# fine. abidiff comes from Debian's abigail-tools (scripts/deps.sh installs
# it). docs/packaging.md says how to refresh the baseline at a release.
#   abi_check.sh BASELINE LIBRARY PUBLIC_HEADERS_DIR
set -u
baseline=$1 lib=$2 headers=$3
out=$(abidiff --headers-dir2 "$headers" --drop-private-types "$baseline" "$lib" 2>&1)
rc=$?
printf '%s\n' "$out" | sed -n '1,/^$/p'
# abidiff's status is a bit field: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change. Additions set 4 only.
if [ $((rc & 3)) -ne 0 ]; then
    printf '%s\n' "$out"
    echo "FAIL: abidiff could not compare $lib with $baseline (status $rc)"
    exit 1
fi
broken=$(printf '%s\n' "$out" | grep -E 'summary:' | grep -E '(^|[^0-9])[1-9][0-9]* (Removed|Changed)')
if [ $((rc & 8)) -ne 0 ] || [ -n "$broken" ]; then
    printf '%s\n' "$out"
    echo "FAIL: $lib removes or changes functions of the released ABI ($baseline)."
    echo "      Add a new function (oai_x2) and deprecate the old one instead; see docs/packaging.md."
    exit 1
fi
added=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9][0-9]*\) Added functions.*/\1/p' | head -n 1)
echo "ok: no function of $(basename "$baseline") removed or changed (${added:-0} added)"
