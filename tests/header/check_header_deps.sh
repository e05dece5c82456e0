#!/bin/sh
# The public headers must not include any dependency's header (libcurl,
# jansson, OpenSSL): those are private to the library. Only the C standard
# headers they need are allowed, and oai.h itself.
#   check_header_deps.sh HEADER...
set -eu
status=0

for header in "$@"; do
    if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](curl/|jansson|openssl/|pthread)' "$header"; then
        echo "FAIL: $header includes a dependency's header (above)"
        status=1
    fi
    # Anything beyond the standard headers it is designed with is suspicious.
    unexpected=$(grep -E '^[[:space:]]*#[[:space:]]*include' "$header" |
        grep -vE '[<"](stddef|stdint)\.h[>"]' | grep -vE '"(\.\./)?oai\.h"' || true)
    if [ -n "$unexpected" ]; then
        echo "FAIL: unexpected includes in $header:"
        echo "$unexpected"
        status=1
    fi
    # Nor may a dependency's types leak through the declarations.
    if grep -nE '\b(CURL[A-Za-z_]*|json_t|EVP_[A-Za-z_]+|SSL[A-Za-z_]*|pthread_[a-z_]+)\b' "$header"; then
        echo "FAIL: $header names a dependency's type (above)"
        status=1
    fi
    [ "$status" -eq 0 ] && echo "ok: $header includes only <stddef.h>, <stdint.h> and oai.h"
done
exit "$status"
