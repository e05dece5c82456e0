#!/bin/sh
# Builds the consumer with `pkg-config --cflags --libs oai` against an
# installed prefix, shared and static, and runs both.
#   pkgconfig.sh PREFIX LIBDIR SOURCE WORK_DIR
# Environment: CC (default cc), OAI_CONSUMER_FLAGS (extra compile and link
# flags, e.g. the sanitizers the library was built with).
set -eu
prefix=$1 libdir=$2 source=$3 work=$4
cc=${CC:-cc}
extra=${OAI_CONSUMER_FLAGS:-}
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
export PKG_CONFIG_PATH

rm -rf "$work"
mkdir -p "$work"
cflags=$(pkg-config --cflags oai)
libs=$(pkg-config --libs oai)
echo "pkg-config --cflags --libs oai: $cflags $libs"

# Shared: the run-time path comes from the .pc's libdir.
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror $extra $cflags "$source" -o "$work/consumer_shared" \
    $libs -Wl,-rpath,"$(pkg-config --variable=libdir oai)"
objdump -p "$work/consumer_shared" | grep -q 'NEEDED.*liboai\.so\.' ||
    { echo "FAIL: consumer_shared does not need liboai.so"; exit 1; }
"$work/consumer_shared" | tee "$work/shared.out"
grep -q OAI_ERR_RATE_LIMIT "$work/shared.out"

# Static liboai, shared dependencies (what a Debian system can link: its
# libcurl.pc lists static libraries in Libs.private that are not installed):
# liboai.a by name, then the modules of Requires.private and the flags of
# Libs.private, both read from oai.pc.
requires_private=$(pkg-config --print-requires-private oai | awk '{ print $1 }')
libs_private=$(sed -n 's/^Libs\.private:[[:space:]]*//p' "$prefix/$libdir/pkgconfig/oai.pc")
# shellcheck disable=SC2086
static_libs="-L$(pkg-config --variable=libdir oai) -l:liboai.a $(pkg-config --libs $requires_private) $libs_private"
echo "static link: $static_libs"
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror $extra $cflags "$source" -o "$work/consumer_static" $static_libs
if objdump -p "$work/consumer_static" | grep -q 'NEEDED.*liboai'; then
    echo "FAIL: consumer_static still needs liboai.so"; exit 1
fi
"$work/consumer_static" | tee "$work/static.out"
grep -q OAI_ERR_RATE_LIMIT "$work/static.out"
echo "ok: pkg-config consumers build and run"
