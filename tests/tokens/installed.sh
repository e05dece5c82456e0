#!/usr/bin/env bash
# tokens_installed (tests/tokens/tokens.cmake): `cmake --install` put both
# vocabularies into DATADIR/oai, and the installed tool counts with them.
#
#   installed.sh VOCAB_DIR HAVE_VOCAB(ON|OFF) CLI_PATH|NONE
set -u
dir=$1 have=$2 cli=$3
if [ "$have" != ON ]; then
  if [ "${OAI_REQUIRE_VOCAB:-0}" = 1 ]; then
    echo "tokens_installed: FAILED: the vocabularies were not built and OAI_REQUIRE_VOCAB=1"
    exit 1
  fi
  echo "tokens_installed: SKIPPED: the vocabularies were not built (docs/tokens.md)"
  exit 77
fi
for f in o200k_base cl100k_base; do
  [ -s "$dir/$f.tiktoken" ] || { echo "tokens_installed: FAILED: $dir/$f.tiktoken is not installed"; exit 1; }
done
if [ "$cli" != NONE ]; then
  got=$(printf 'hello world' | OAI_VOCAB_DIR="$dir" "$cli" tokens count -e cl100k_base) || exit 1
  [ "$got" = 2 ] || { echo "tokens_installed: FAILED: the installed oai counted '$got', not 2"; exit 1; }
fi
echo "tokens_installed: both vocabularies in $dir"
