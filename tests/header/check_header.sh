#!/bin/sh
# Compiles the public header alone with a given compiler and standard.
#   check_header.sh COMPILER STD SOURCE INCLUDE_DIR OUT_DIR
# e.g. check_header.sh gcc c99 header_c.c /src/include /build/tests/header
set -eu
compiler=$1 std=$2 source=$3 include_dir=$4 out_dir=$5

mkdir -p "$out_dir"
object="$out_dir/$(basename "$source").$(basename "$compiler").$std.o"
set -- -std="$std" -Wall -Wextra -pedantic -Werror -Wshadow -Wundef
case "$source" in
  *.c) set -- "$@" -Wstrict-prototypes -Wmissing-prototypes ;;
esac
echo "$compiler $* -I$include_dir -c $source"
"$compiler" "$@" -I"$include_dir" -c "$source" -o "$object"
echo "ok: $(basename "$source") compiles alone as $std with $compiler"
