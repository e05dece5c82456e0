#!/bin/sh
# Installs the build tree into a fresh prefix and checks what landed there.
#   install.sh BUILD_DIR PREFIX LIBDIR INCLUDEDIR VERSION SOVERSION
set -eu
build=$1 prefix=$2 libdir=$3 includedir=$4 version=$5 soversion=$6
status=0

rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix"

expect_file() {
    if [ -f "$prefix/$1" ]; then echo "ok: $1"; else echo "FAIL: $1 was not installed"; status=1; fi
}
expect_link() { # $1 link, $2 its expected target (base name)
    if [ -L "$prefix/$1" ] && [ "$(readlink "$prefix/$1")" = "$2" ]; then
        echo "ok: $1 -> $2"
    else
        echo "FAIL: $1 should be a symlink to $2"; status=1
    fi
}

expect_file "$includedir/oai.h"
expect_file "$libdir/liboai.a"
expect_file "$libdir/liboai.so.$version"
expect_link "$libdir/liboai.so.$soversion" "liboai.so.$version"
expect_link "$libdir/liboai.so" "liboai.so.$soversion"
expect_file "$libdir/pkgconfig/oai.pc"
for f in oaiConfig.cmake oaiConfigVersion.cmake oaiTargets.cmake; do
    expect_file "$libdir/cmake/oai/$f"
done

# The generated .pc must name the prefix we installed to and the version.
pc="$prefix/$libdir/pkgconfig/oai.pc"
if [ -f "$pc" ]; then
    got=$(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --modversion oai)
    if [ "$got" = "$version" ]; then echo "ok: pkg-config --modversion oai = $got"
    else echo "FAIL: pkg-config --modversion oai = '$got', expected $version"; status=1; fi
    got=$(PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig" pkg-config --variable=prefix oai)
    if [ "$got" = "$prefix" ]; then echo "ok: oai.pc prefix = $got"
    else echo "FAIL: oai.pc prefix = '$got', expected $prefix"; status=1; fi
    for field in 'Requires.private: libcurl jansson libcrypto' 'Libs.private: -lpthread'; do
        if grep -qx "$field" "$pc"; then echo "ok: $field"
        else echo "FAIL: oai.pc lacks '$field'"; status=1; fi
    done
fi
exit "$status"
