// The corpus the C tokenizer is checked on (tests/tokens/reference.mjs) and
// benchmarked with (bench/bench_tokens.mjs): hand-written texts in many
// scripts and shapes, then generated ones from a fixed seed, so every run
// checks the same items. Each item is { label, bytes } (a Uint8Array: some
// are not valid UTF-8 on purpose).
//
// What js-tiktoken cannot be compared on is left out (docs/tokens.md,
// "Verification"): U+0085 and U+FEFF, which JavaScript's \s and the Unicode
// White_Space property of tiktoken's regex engine disagree on, and "'ſ"
// (U+017F), which tiktoken's case-insensitive contractions match and
// js-tiktoken's spelled-out ones do not. tests/test_tokens.c checks those
// cases against tiktoken's rules directly.

const enc = new TextEncoder();

function mulberry32(seed) {
  return function () {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const INCOMPARABLE = /[\u0085\uFEFF]|'\u017F/u;

const TEXTS = {
  english: "Hello, world! It's a fine day, isn't it? We'll see; they've said they'd come. I'M SURE YOU'RE RIGHT, SHE'S HERE. Don't, won't, can't.",
  contractions: "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D 'Re 'rE 'Ll 'lL 'Ve 'vE x's X'S xyz'll ABC'RE ab'cd 'x ''s '",
  code_c: "#include <stdio.h>\n\nint main(int argc, char **argv)\n{\n\tfor (int i = 0; i < argc; i++) {\n\t\tprintf(\"%d: %s\\n\", i, argv[i]);\n\t}\n\treturn 0; // done\n}\n",
  code_py: "def fib(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n\n\nif __name__ == '__main__':\n    print([fib(i) for i in range(20)])\n",
  code_js: "const x = async (a, b) => { await fetch(`https://api.example.com/v1/items?id=${a}&q=${b}`); return a ?? b; };\n/* comment */ let re = /[a-z]+\\d{2,}/gi;\r\n",
  json: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi!"}],"temperature":0.7,"n":1,"stop":["\\n\\n"]}',
  html: '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test &amp; more</title></head><body><p class="x">Hi&nbsp;there</p></body></html>',
  paths: "/usr/local/share/oai/o200k_base.tiktoken C:\\Windows\\System32 ./a/b/../c https://example.com/a/b?c=d#e //comment\n/*block*/\n///doc\n",
  chinese: "写一首关于春天的诗。春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。人工智能（AI）正在改变世界！",
  japanese: "吾輩は猫である。名前はまだ無い。カタカナのテスト：コンピューター、スーパー。ひらがなとカタカナと漢字が混ざった文章です。ｈａｌｆ－ｗｉｄｔｈ ｶﾀｶﾅ",
  korean: "안녕하세요, 세계! 한국어 문장을 토큰으로 나눕니다. 자모: ㄱㄴㄷ 각",
  arabic: "مرحبا بالعالم! اَلْعَرَبِيَّةُ لُغَةٌ جَمِيلَةٌ. الأرقام: ٠١٢٣٤٥٦٧٨٩ و 123.",
  hebrew: "שָׁלוֹם עוֹלָם! זוהי בדיקה של טוקנים בעברית.",
  hindi: "नमस्ते दुनिया! हिन्दी में यह एक परीक्षण वाक्य है। संख्याएँ: ०१२३४५६७८९ क्षत्रिय ज्ञान",
  thai: "สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่างระหว่างคำ",
  russian: "Привет, мир! Съешь же ещё этих мягких французских булок, да выпей чаю. ПРИВЕТ Мир'S",
  greek: "Γειά σου Κόσμε! Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. ΑΒΓΔ αβγδ ϐϑϒ",
  vietnamese: "Tiếng Việt có dấu: Trăm năm trong cõi người ta. Tiếng Việt (decomposed): Tie\u0302\u0301ng Vie\u0323\u0302t",
  emoji: "👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷🇯🇵 1️⃣ ❤️ ❤ 🧑🏿‍💻 😀😃😄 🫠 ✈︎ ☺️👩‍❤️‍💋‍👨",
  marks: "\u0301abc \u0301\u0302 a\u0301\u0302b \u0301ABC A\u0301B\u0302c \u20DD x\u0308\u0304 ȁ\u0300 \u0300\u0300\u0300 Z̷̛̖̓a̵͍͆l̴g̷o̸",
  titlecase: "ǅemal ǈubljana ǋ ǲ ǅǅǅ Dž DŽ dž ᾈ ᾼ Ϳ",
  modifiers: "ʰʲʷ ˆˇ ー々〻 ꜗꜘ ᵃᵇᶜ ABCʰdef aʰb Aʰ ʰA ʰa",
  numbers: "0 1 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890 3.14159 -42 +7 1,000,000 1e10 0x1F 0b1010 ½ ² ³ Ⅻ ⅷ ① ⑩ ２０２４ ٣٤٥ ४५६ 12a a12 1_000 007",
  whitespace: "a  b   c    d\t\te\t \tf\n\ng\n\n\nh\r\ni\r\n\r\nj \n k  \n  l\u00a0m\u2003n\u3000o\u202fp\u1680q\u2028r\u2029s \u000b\u000ct",
  trailing_ws: "end with spaces   ",
  trailing_nl: "end with newlines\n\n",
  trailing_mixed: "end \n \t\n  ",
  leading_ws: "   \n\t  start",
  only_ws: " \t\n\r\n  \n",
  specials: "<|endoftext|> <|endofprompt|> <|fim_prefix|>x<|fim_middle|>y<|fim_suffix|> <|im_start|>user\nhi<|im_end|> <|endoftext|<|endoftext|>> <| endoftext |> <|ENDOFTEXT|> <|endoftext <|endoftext|><|endoftext|>",
  special_start: "<|endoftext|>text after",
  special_end: "text before<|endofprompt|>",
  punctuation: "!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}} ||| \\\\\\ /// ~~~ ``` ''' \"\"\" ;;; ::: ,,, <<< >>> === +++ ___ «» „“ ‘’ – — … • ¶ § © ® ™ € £ ¥",
  punct_nl: "a!\n\nb?\r\n\r\nc.\n/ d/\n// e /\n/\n",
  urls_mail: "mailto:someone@example.com https://www.example.org/path/to/page.html?query=1&x=y#frag ftp://x.y",
  mixed_scripts: "Hello世界Привет🌍مرحباनमस्ते123abcABC",
  math: "∑_{i=1}^{n} i² = n(n+1)/2 ∀x∈ℝ: x²≥0 ∫₀^∞ e^{-x} dx = 1 √2 ≈ 1.41421 π ∞ ≠ ≤ ≥ ⊂ ⊃",
  unusual_space_punct: " !x  !!x \t!x \n!x",
  control: "a\u0000b\u0001c\u0007d\u001be\u007ff\u0080g\u009fh",
  surrogate_range_near: "\uD7FF\uE000\uFFFD\uFFFC\u{10000}\u{10FFFD}\u{E0001}\u{E0020}",
  unassigned: "a\uFFFF b\u{10FFFF}c \u{E0080}\u0378x \uFDD0",
  empty: "",
  single_a: "a",
  single_space: " ",
  single_newline: "\n",
};

const POOLS = [
  [0x61, 0x7a], [0x41, 0x5a], [0x30, 0x39], [0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e],
  [0x20, 0x20], [0x20, 0x20], [0x09, 0x0d], [0xa0, 0xff], [0x100, 0x17e], [0x180, 0x24f],
  [0x2b0, 0x2ff], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff],
  [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x1e00, 0x1fff], [0x2000, 0x206f],
  [0x20a0, 0x20cf], [0x2100, 0x214f], [0x2150, 0x218f], [0x2460, 0x24ff], [0x3000, 0x303f],
  [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xfe00, 0xfe0f], [0xff00, 0xffef],
  [0x1f300, 0x1faff], [0x1f1e6, 0x1f1ff], [0x200d, 0x200d], [0x27, 0x27], [0x27, 0x27],
  [0x1c4, 0x1cc], [0x10000, 0x10ffff], [0x80, 0xffff],
];

function randomCodePoint(rnd) {
  for (;;) {
    const [lo, hi] = POOLS[Math.floor(rnd() * POOLS.length)];
    const cp = lo + Math.floor(rnd() * (hi - lo + 1));
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (cp === 0x85 || cp === 0xfeff || cp === 0x17f) continue;
    // Only what this Node.js's Unicode assigns: the C tables are Unicode
    // 17.0, and a Node.js of an older Unicode (Debian 12's 18.x: 15.0)
    // would see characters added since as unassigned.
    if (/\p{Cn}/u.test(String.fromCodePoint(cp))) continue;
    return cp;
  }
}

function randomText(rnd, n) {
  let s = '';
  const words = ["'s", "'LL", "'re", '<|endoftext|>', '<|', '|>', ' ', '\r\n', '\n\n', 'the', 'The', 'ß', '123', '1234'];
  while (s.length < n) {
    if (rnd() < 0.1) s += words[Math.floor(rnd() * words.length)];
    else s += String.fromCodePoint(randomCodePoint(rnd));
  }
  return s;
}

const dec = new TextDecoder('utf-8');

function comparable(bytes) {
  return !INCOMPARABLE.test(dec.decode(bytes));
}

export function buildCorpus() {
  const items = [];
  const add = (label, bytes) => { if (comparable(bytes)) items.push({ label, bytes }); };
  for (const [label, text] of Object.entries(TEXTS)) add(label, enc.encode(text));
  // Every text's lines one by one, and its prefixes and suffixes (pieces
  // split at every place).
  for (const [label, text] of Object.entries(TEXTS)) {
    const cps = Array.from(text);
    for (let i = 1; i < cps.length; i += 7) {
      add(`${label}_head${i}`, enc.encode(cps.slice(0, i).join('')));
      add(`${label}_tail${i}`, enc.encode(cps.slice(i).join('')));
    }
  }
  // Numbers of every length up to 40, alone and in text.
  for (let n = 1; n <= 40; n++) {
    const digits = '1234567890'.repeat(4).slice(0, n);
    add(`number${n}`, enc.encode(digits));
    add(`number${n}_text`, enc.encode(`x${digits}y ${digits}.${digits} -${digits}`));
  }
  // Whitespace runs of every shape up to 12 characters.
  const wsChars = [' ', '\t', '\n', '\r', '\u00a0', '\u3000'];
  const rndWs = mulberry32(7);
  for (let k = 0; k < 300; k++) {
    let s = '';
    const n = 1 + Math.floor(rndWs() * 12);
    for (let i = 0; i < n; i++) s += wsChars[Math.floor(rndWs() * wsChars.length)];
    const ctx = ['', 'a', '!', '1', 'A', 'é', '中'];
    const before = ctx[Math.floor(rndWs() * ctx.length)];
    const after = ctx[Math.floor(rndWs() * ctx.length)];
    add(`ws${k}`, enc.encode(before + s + after));
  }
  // Long runs (the heap merge: more than 64 bytes in one piece).
  const runs = { a: 'a', space: ' ', ab: 'ab', A: 'A', cjk: '的', emoji: '😀', digits: '7', nl: '\n', dash: '-', zwj: '\u200d', mark: '\u0301' };
  for (const [name, unit] of Object.entries(runs)) {
    for (const n of [63, 64, 65, 100, 257, 400]) add(`run_${name}_${n}`, enc.encode(unit.repeat(n)));
  }
  add('run_aA_mixed', enc.encode('aAaA'.repeat(80) + "'s"));
  add('long_word', enc.encode('antidisestablishmentarianism'.repeat(10)));
  add('long_hex', enc.encode('deadbeef0123456789abcdef'.repeat(12)));
  add('long_base64', enc.encode('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo='.repeat(8)));
  // Random texts from a fixed seed.
  const rnd = mulberry32(20261207);
  for (let k = 0; k < 1500; k++) add(`random${k}`, enc.encode(randomText(rnd, 1 + Math.floor(rnd() * 80))));
  // Random bytes, and valid text with bytes damaged: invalid UTF-8.
  for (let k = 0; k < 400; k++) {
    const n = 1 + Math.floor(rnd() * 48);
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
    add(`bytes${k}`, b);
  }
  for (let k = 0; k < 400; k++) {
    const b = Array.from(enc.encode(randomText(rnd, 5 + Math.floor(rnd() * 30))));
    const edits = 1 + Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (b.length + 1));
      const r = rnd();
      if (r < 0.4) b.splice(at, 0, Math.floor(rnd() * 256));
      else if (r < 0.7 && b.length) b.splice(Math.min(at, b.length - 1), 1);
      else if (b.length) b[Math.min(at, b.length - 1)] = 0x80 + Math.floor(rnd() * 64);
    }
    add(`damaged${k}`, Uint8Array.from(b));
  }
  // The classic invalid sequences.
  const bad = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0x80], [0xbf], [0xfe], [0xff], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80],
    [0x61, 0xe2, 0x82, 0x62], [0xc3], [0xc3, 0x28], [0x27, 0xc5], [0x20, 0xed, 0xa0, 0x80, 0x41]];
  bad.forEach((seq, k) => add(`invalid${k}`, Uint8Array.from([0x61, ...seq, 0x62])));
  bad.forEach((seq, k) => add(`invalid_bare${k}`, Uint8Array.from(seq)));
  return items;
}
