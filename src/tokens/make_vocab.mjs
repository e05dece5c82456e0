// Converts the ranks js-tiktoken ships (npm, MIT) into .tiktoken files, the
// format liboai loads (and tiktoken's own: "BASE64 RANK" a line, in rank
// order). Run at build time by src/tokens/vocab.cmake, never at run time.
//
//   node src/tokens/make_vocab.mjs JS_TIKTOKEN_DIR OUT_DIR [ENCODING...]
//
// JS_TIKTOKEN_DIR is the package's folder (node_modules/js-tiktoken).
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';

// The SHA-256 of OpenAI's own files (tiktoken's expected_hash): the
// conversion must reproduce them byte for byte.
const expected = {
  o200k_base: '446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d',
  cl100k_base: '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7',
};

const [pkgDir, outDir, ...names] = process.argv.slice(2);
if (!pkgDir || !outDir) {
  console.error('usage: make_vocab.mjs JS_TIKTOKEN_DIR OUT_DIR [ENCODING...]');
  process.exit(2);
}
const encodings = names.length ? names : ['o200k_base', 'cl100k_base'];
const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
mkdirSync(outDir, { recursive: true });
for (const name of encodings) {
  const mod = await import(pathToFileURL(join(pkgDir, 'dist', 'ranks', `${name}.js`)).href);
  // bpe_ranks: lines of "! OFFSET TOKEN TOKEN ...", consecutive ranks from
  // OFFSET, each token base64 (js-tiktoken's compressed form).
  const byRank = [];
  for (const line of mod.default.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(' ');
    const first = Number.parseInt(offset, 10);
    tokens.forEach((t, i) => { byRank[first + i] = t; });
  }
  let out = '';
  let count = 0;
  for (let rank = 0; rank < byRank.length; rank++) {
    if (byRank[rank] === undefined) continue;
    // Re-encode to canonical base64 (padded), as tiktoken's files are.
    const b64 = Buffer.from(byRank[rank], 'base64').toString('base64');
    out += `${b64} ${rank}\n`;
    count++;
  }
  const sha = createHash('sha256').update(out).digest('hex');
  if (expected[name] && sha !== expected[name]) {
    console.error(`make_vocab: ${name}: SHA-256 ${sha}, not OpenAI's ${expected[name]}`);
    process.exit(1);
  }
  const file = join(outDir, `${name}.tiktoken`);
  writeFileSync(file + '.tmp', out);
  renameSync(file + '.tmp', file);
  console.log(`make_vocab: ${file}: ${count} tokens (js-tiktoken ${version})`);
}
