// Counts the corpus (corpus.mjs) with the npm package js-tiktoken, the
// reference the C tokenizer must match, and writes one line an item:
//
//   LABEL BASE64_BYTES O200K CL100K O200K_SPECIAL CL100K_SPECIAL
//
// (counts of encode_ordinary, then of encode with every special token
// allowed; "-" stands for no bytes). tests/tokens/check_reference.c reads it.
//
//   node tests/tokens/reference.mjs JS_TIKTOKEN_DIR OUT_FILE
//
// Text reaches js-tiktoken as JavaScript strings: the bytes are decoded with
// TextDecoder, which puts U+FFFD in place of each invalid UTF-8 sequence
// (the WHATWG rule); the C side counts the raw bytes and must apply the
// same rule.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCorpus } from './corpus.mjs';

const [pkgDir, out] = process.argv.slice(2);
if (!pkgDir || !out) {
  console.error('usage: reference.mjs JS_TIKTOKEN_DIR OUT_FILE');
  process.exit(2);
}
const load = (p) => import(pathToFileURL(join(pkgDir, 'dist', p)).href);
const { Tiktoken } = await load('lite.js');
const o200k = new Tiktoken((await load('ranks/o200k_base.js')).default);
const cl100k = new Tiktoken((await load('ranks/cl100k_base.js')).default);
const dec = new TextDecoder('utf-8');

const items = buildCorpus();
const lines = [];
for (const { label, bytes } of items) {
  const text = dec.decode(bytes);
  const counts = [
    o200k.encode(text, [], []).length,
    cl100k.encode(text, [], []).length,
    o200k.encode(text, 'all').length,
    cl100k.encode(text, 'all').length,
  ];
  const b64 = bytes.length ? Buffer.from(bytes).toString('base64') : '-';
  lines.push(`${label} ${b64} ${counts.join(' ')}`);
}
writeFileSync(out, lines.join('\n') + '\n');
console.log(`reference: ${items.length} items counted with js-tiktoken`);
