/* Shared by the C benchmark programs (bench_oai.c, bench_curl.c): the
 * command line, the workload parameters, the long prompt, clocks and the
 * one-line result every implementation prints (bench/run.sh parses it).
 *
 * The Node script (bench_node.mjs) implements the same command line, prompt
 * and result line, so the three implementations do identical work.
 */
#ifndef OAI_BENCH_COMMON_H
#define OAI_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The short prompt of the sequential and concurrent workloads. */
#define BENCH_SHORT_PROMPT "Say hello to the benchmark."
/* The model named in every request (the mock echoes it back). */
#define BENCH_MODEL "gpt-4o-mini"
/* The mock answers "Echo: <last user message>". */
#define BENCH_ECHO_PREFIX "Echo: "
/* Any key: the mock does not check it, but every client sends one. */
#define BENCH_API_KEY "sk-bench-not-a-secret"

typedef enum bench_workload {
    BENCH_SEQUENTIAL = 1, /* N non-streamed calls, one after the other */
    BENCH_STREAM,         /* one streamed call with a long answer */
    BENCH_CONCURRENT,     /* rounds of C calls in flight at once */
    BENCH_STREAMS         /* C streamed calls in flight at once, one round */
} bench_workload;

/* What answers the calls (--server). */
typedef enum bench_server {
    BENCH_SERVER_MOCK = 0, /* oai-mock-server: it echoes the prompt, so a
                            * stream's request carries the long prompt and
                            * "mock_stream_pieces" */
    BENCH_SERVER_STATIC    /* fixed files (nginx, see run.sh): every request
                            * carries the short prompt, and the answers are
                            * those the mock would give for the long one */
} bench_server;

/* How bench_curl reads a stream's SSE lines (--parse; bench_curl only). */
typedef enum bench_parse {
    BENCH_PARSE_SCAN = 0, /* pick the delta's "content" with a scanner (impl libcurl) */
    BENCH_PARSE_LINES,    /* split lines and count data lines, nothing more (libcurl-lines) */
    BENCH_PARSE_JANSSON   /* json_loadb() each data line and take
                           * choices[0].delta.content (libcurl-jansson) */
} bench_parse;

typedef struct bench_options {
    const char *base_url;   /* e.g. http://127.0.0.1:PORT/v1 */
    bench_workload workload;
    long requests;          /* sequential: number of calls */
    long stream_bytes;      /* stream(s): the answer is "Echo: " and this many
                             * bytes of the long prompt */
    long stream_pieces;     /* stream(s): pieces asked of the mock (mock_stream_pieces) */
    long concurrency;       /* concurrent: calls in flight per round; streams: calls */
    long rounds;            /* concurrent: rounds after one warm-up round */
    bench_server server;    /* --server mock|static */
    bench_parse parse;      /* --parse scan|lines|jansson */
} bench_options;

/* What a workload measured; wall and CPU time cover the timed part only. */
typedef struct bench_result {
    long requests;   /* calls completed in the timed part */
    long events;     /* stream: chunk events received (not counting [DONE]) */
    long bytes;      /* stream: answer bytes accumulated */
    double wall_s;
    double user_s;   /* CPU time of the whole process, in user space */
    double sys_s;    /* and in the kernel */
    long heap_kb;    /* streams: peak live heap of the timed part above the
                      * live heap at its start, KiB (-1: not counted) */
    long rss_base_kb; /* resident set size at the start of the timed part, KiB */
    long receiving_peak; /* streams: most calls that had received data and
                          * not ended, at any one time (-1: not counted) */
} bench_result;

/* The clocks at the start of the timed part. */
typedef struct bench_clock {
    double wall, user, sys;
    long rss_kb; /* resident set size at the start */
} bench_clock;

/* Parses "WORKLOAD BASE_URL [--requests N] [--stream-bytes N]
 * [--stream-pieces N] [--concurrency N] [--rounds N] [--server mock|static]
 * [--parse scan|lines|jansson]". Prints usage and returns -1 on a bad
 * command line. */
int bench_parse_args(int argc, char **argv, bench_options *opt);

/* The prompt a stream's request carries: the long prompt of stream_bytes
 * for the mock (which echoes it), the short prompt for fixed files (whose
 * answer is that echo already). Caller frees. */
char *bench_stream_prompt(const bench_options *opt);

/* Non-zero when text (len bytes) is "Echo: " followed by the first
 * stream_bytes bytes of the long prompt: a stream's expected answer. */
int bench_is_stream_echo(const char *text, size_t len, long stream_bytes);

/* ---- the counting allocator (the streams workload's memory per call) ----
 *
 * bench_heap_start() turns it on; it must come before anything allocates
 * through it, and is never turned off. Then bench_malloc() and its kin put
 * the size in a 16-byte header before each block and keep the bytes asked
 * for and not yet freed (live) and the most they reached (peak): the heap
 * a client's code asked for, without malloc's own overhead. Off, they are
 * libc's functions. The C programs point their libraries at them: oai with
 * oai_set_allocator() (which routes libcurl, jansson and OpenSSL too),
 * bench_curl with curl_global_init_mem() and json_set_alloc_funcs(). */
void bench_heap_start(void);
int bench_heap_on(void);
void *bench_malloc(size_t n);
void *bench_calloc(size_t count, size_t size);
void *bench_realloc(void *p, size_t n);
void bench_free(void *p);
char *bench_strdup(const char *s);
/* The same with a userdata pointer first (oai_set_allocator()'s shape). */
void *bench_malloc_ud(void *ud, size_t n);
void *bench_realloc_ud(void *ud, void *p, size_t n);
void bench_free_ud(void *ud, void *p);
/* Live bytes now; starts a new peak at the live bytes. */
size_t bench_heap_mark(void);
/* The peak since the last bench_heap_mark(). */
size_t bench_heap_peak(void);

/* Resident set size of the process now, in KiB (from /proc/self/statm). */
long bench_rss_now_kb(void);

/* The long prompt of the stream workload: `len` bytes of ASCII words
 * ("the quick brown fox ..." repeated), NUL-terminated. Caller frees. */
char *bench_long_prompt(size_t len);

/* Zeroes r; heap_kb and receiving_peak -1 (not counted). */
void bench_result_init(bench_result *r);

/* Starts timing: reads the monotonic clock and the process's CPU times. */
void bench_clock_start(bench_clock *c);

/* Stops timing: sets r's wall_s, user_s and sys_s to the time since start. */
void bench_clock_stop(const bench_clock *c, bench_result *r);

/* Peak resident set size of the process so far, in KiB. */
long bench_peak_rss_kb(void);

/* Prints the RESULT line of one run on stdout. */
void bench_print_result(const char *impl, const bench_options *opt, const bench_result *r);

/* The workload's name as used on the command line and in RESULT lines. */
const char *bench_workload_name(bench_workload w);

/* Prints "impl: message" on stderr and returns 1 (for `return bench_fail(...)`
 * from main). */
int bench_fail(const char *impl, const char *message);

#endif
