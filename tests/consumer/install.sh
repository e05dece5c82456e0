#!/bin/sh
# Installs the build tree into a fresh prefix and checks what landed there,
# including that a build without libcurl (WITH_CURL OFF) names libcurl
# nowhere: not in the library's dependencies, oai.pc or the CMake package.
#   install.sh BUILD_DIR PREFIX LIBDIR INCLUDEDIR VERSION SOVERSION WITH_CURL
set -eu
build=$1 prefix=$2 libdir=$3 includedir=$4 version=$5 soversion=$6 with_curl=$7
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
expect_file "$includedir/oai/transport.h"
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
    requires='Requires.private: jansson libcrypto'
    [ "$with_curl" = ON ] && requires='Requires.private: libcurl jansson libssl libcrypto'
    for field in "$requires" 'Libs.private: -lpthread'; do
        if grep -qx "$field" "$pc"; then echo "ok: $field"
        else echo "FAIL: oai.pc lacks '$field'"; status=1; fi
    done
fi

# libcurl among the shared library's NEEDED entries exactly when built with it.
if readelf -d "$prefix/$libdir/liboai.so.$version" | grep -q 'NEEDED.*libcurl'; then has_curl=ON; else has_curl=OFF; fi
if [ "$has_curl" = "$with_curl" ]; then echo "ok: liboai.so links libcurl: $has_curl"
else echo "FAIL: liboai.so links libcurl: $has_curl, expected $with_curl"; status=1; fi
config="$prefix/$libdir/cmake/oai/oaiConfig.cmake"
if grep -q "set(_oai_with_curl $with_curl)" "$config"; then echo "ok: the CMake package is for WITH_CURL=$with_curl"
else echo "FAIL: $config does not say WITH_CURL=$with_curl"; status=1; fi
if [ "$with_curl" = OFF ] && grep -qi curl "$prefix/$libdir/cmake/oai/oaiTargets.cmake"; then
    echo "FAIL: oaiTargets.cmake names curl in a build without it"; status=1
fi
exit "$status"
