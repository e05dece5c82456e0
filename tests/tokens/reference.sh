#!/usr/bin/env bash
# The tokens_reference test (tests/tokens/tokens.cmake): counts the corpus
# with js-tiktoken, then checks the C counts against it.
#
#   reference.sh CHECKER VOCAB_DIR JS_TIKTOKEN_DIR OUT_FILE
set -u
checker=$1 vocab=$2 js=$3 out=$4
missing=()
command -v node >/dev/null 2>&1 || missing+=("Node.js")
[ -f "$js/dist/ranks/o200k_base.js" ] || missing+=("js-tiktoken in $js")
[ -f "$vocab/o200k_base.tiktoken" ] && [ -f "$vocab/cl100k_base.tiktoken" ] || missing+=("vocabularies in $vocab")
if [ "${#missing[@]}" -ne 0 ]; then
  if [ "${OAI_REQUIRE_VOCAB:-0}" = 1 ]; then
    echo "tokens_reference: FAILED: missing ${missing[*]} and OAI_REQUIRE_VOCAB=1"
    echo "  (scripts/deps.sh runs npm ci --prefix tests/tokens; then configure again: docs/tokens.md)"
    exit 1
  fi
  echo "tokens_reference: SKIPPED: missing ${missing[*]} (npm ci --prefix tests/tokens; docs/tokens.md)"
  exit 77
fi
node "$(dirname "$0")/reference.mjs" "$js" "$out" || exit 1
exec "$checker" "$vocab" "$out"
