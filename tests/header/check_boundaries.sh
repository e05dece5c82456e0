#!/bin/sh
# The library's dependency boundaries, kept by includes: libcurl only inside
# src/transport/ (the libcurl transport and its URL parsing), jansson only in
# src/json/json.c. Everything else reaches them through those modules, so a
# build without libcurl leaves out exactly src/transport/curl*.c.
#   check_boundaries.sh SRC_DIR
set -eu
src=$1
status=0

curl_users=$(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<curl/' "$src" | sed "s|^$src/||" | sort)
for f in $curl_users; do
    case $f in
    transport/curl.c | transport/curl_url.c) ;;
    *) echo "FAIL: src/$f includes libcurl (only src/transport/curl*.c may)"; status=1 ;;
    esac
done
jansson_users=$(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<jansson' "$src" | sed "s|^$src/||" | sort)
for f in $jansson_users; do
    [ "$f" = json/json.c ] || { echo "FAIL: src/$f includes jansson (only src/json/json.c may)"; status=1; }
done
[ "$status" -eq 0 ] && echo "ok: libcurl only in $(echo $curl_users), jansson only in $(echo $jansson_users)"
exit "$status"
