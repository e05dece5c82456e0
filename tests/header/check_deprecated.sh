#!/bin/sh
# The deprecated aliases warn, naming their replacement, and
# OAI_NO_DEPRECATED_WARNINGS silences them.
#   check_deprecated.sh COMPILER SOURCE INCLUDE_DIR OUT_DIR
set -u
compiler=$1 source=$2 include_dir=$3 out_dir=$4
mkdir -p "$out_dir"
object="$out_dir/deprecated_use.$(basename "$compiler").o"
status=0

log=$("$compiler" -std=c99 -Wall -Wextra -Werror -I"$include_dir" -c "$source" -o "$object" 2>&1)
if [ $? -eq 0 ]; then
    echo "FAIL: a call to oai_request_dup() compiled without a deprecation warning"
    status=1
elif printf '%s\n' "$log" | grep -q "deprecated" && printf '%s\n' "$log" | grep -q "oai_request_clone"; then
    echo "ok: $compiler warns that oai_request_dup() is deprecated and names oai_request_clone"
else
    printf '%s\n' "$log"
    echo "FAIL: the warning does not name the replacement oai_request_clone"
    status=1
fi

if "$compiler" -std=c99 -Wall -Wextra -Werror -DOAI_NO_DEPRECATED_WARNINGS -I"$include_dir" -c "$source" \
        -o "$object"; then
    echo "ok: OAI_NO_DEPRECATED_WARNINGS silences it"
else
    echo "FAIL: OAI_NO_DEPRECATED_WARNINGS does not silence the warning"
    status=1
fi
exit "$status"
