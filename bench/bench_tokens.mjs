// js-tiktoken's speed on the same file as bench_tokens.c (bench/tokens.sh):
// one warm-up round, then ROUNDS timed; prints one line:
//
//   js ENCODING BYTES TOKENS SECONDS_PER_ROUND TOKENS_PER_SECOND
//
//   node bench/bench_tokens.mjs JS_TIKTOKEN_DIR ENCODING FILE ROUNDS
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkgDir, encoding, file, roundsArg] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(pkgDir, 'dist', p)).href);
const { Tiktoken } = await load('lite.js');
const enc = new Tiktoken((await load(`ranks/${encoding}.js`)).default);
const bytes = readFileSync(file);
const text = new TextDecoder('utf-8').decode(bytes);
const rounds = Number(roundsArg);
let count = enc.encode(text, [], []).length; // warm-up
const start = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) count = enc.encode(text, [], []).length;
const seconds = Number(process.hrtime.bigint() - start) / 1e9 / rounds;
console.log(`js ${encoding} ${bytes.length} ${count} ${seconds.toFixed(6)} ${(count / seconds).toFixed(0)}`);
