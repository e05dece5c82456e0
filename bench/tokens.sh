#!/bin/sh
# The C tokenizer against the npm tokenizer js-tiktoken, in one run: both
# count the tokens of the same text (the repository's docs and C sources,
# and the multilingual texts of tests/tokens/corpus.mjs), and the table
# gives tokens per second and the ratio (docs/tokens.md, "Speed"). Checks
# that both count the same number of tokens.
#
#   bench/tokens.sh [--rounds N] [--build-dir DIR]
#
#   --rounds N       timed rounds per tokenizer (default 5)
#   --build-dir DIR  where to build the library, Release (default:
#                    build-bench-tokens in the repository)
#
# Needs Node.js and js-tiktoken (npm ci --prefix tests/tokens).
set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD_DIR=$ROOT/build-bench-tokens
ROUNDS=5
JS=$ROOT/tests/tokens/node_modules/js-tiktoken

while [ $# -gt 0 ]; do
    case $1 in
    --rounds) shift; ROUNDS=${1:?--rounds needs a number} ;;
    --build-dir) shift; BUILD_DIR=${1:?--build-dir needs a directory} ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tokens.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

[ -f "$JS/dist/ranks/o200k_base.js" ] || { echo "tokens.sh: no js-tiktoken: npm ci --prefix tests/tokens" >&2; exit 1; }

echo "== building the library (Release) in $BUILD_DIR" >&2
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DOAI_BUILD_TESTS=OFF -DOAI_BUILD_CLI=OFF \
    -DOAI_BUILD_EXAMPLES=OFF -DOAI_VOCAB=ON >/dev/null
cmake --build "$BUILD_DIR" --target oai_static oai_vocab >/dev/null
${CC:-cc} -O2 -std=c99 -I"$ROOT/include" "$BENCH_DIR/bench_tokens.c" -o "$BUILD_DIR/bench_tokens" \
    "$BUILD_DIR/liboai.a" $(pkg-config --libs jansson libcurl) -lssl -lcrypto -lpthread

CORPUS=$BUILD_DIR/tokens-corpus.txt
cat "$ROOT"/docs/*.md "$ROOT"/src/*/*.c "$ROOT"/include/oai.h > "$CORPUS"
node --input-type=module -e "
import { buildCorpus } from '$ROOT/tests/tokens/corpus.mjs';
import { appendFileSync } from 'node:fs';
const dec = new TextDecoder('utf-8', { fatal: true });
for (const { label, bytes } of buildCorpus()) {
  if (!/^(english|code_|json|html|chinese|japanese|korean|arabic|hebrew|hindi|thai|russian|greek|vietnamese|emoji|numbers|random)/.test(label)) continue;
  try { dec.decode(bytes); } catch { continue; }
  appendFileSync('$CORPUS', Buffer.concat([Buffer.from(bytes), Buffer.from('\n')]));
}"

printf '%-12s %-8s %10s %10s %12s %14s\n' encoding program bytes tokens "s/round" "tokens/s"
for enc in o200k_base cl100k_base; do
    c=$("$BUILD_DIR/bench_tokens" "$BUILD_DIR/vocab" "$enc" "$CORPUS" "$ROUNDS")
    js=$(node "$BENCH_DIR/bench_tokens.mjs" "$JS" "$enc" "$CORPUS" "$ROUNDS")
    echo "$c" | awk '{ printf "%-12s %-8s %10d %10d %12.4f %14d\n", $2, "C", $3, $4, $5, $6 }'
    echo "$js" | awk '{ printf "%-12s %-8s %10d %10d %12.4f %14d\n", $2, "js", $3, $4, $5, $6 }'
    ctok=$(echo "$c" | awk '{print $4}'); jstok=$(echo "$js" | awk '{print $4}')
    [ "$ctok" = "$jstok" ] || { echo "tokens.sh: the counts differ ($ctok and $jstok)" >&2; exit 1; }
    echo "$c $js" | awk '{ printf "%-12s C is %.1f times as fast as js-tiktoken\n", $2, $6 / $12 }'
done
