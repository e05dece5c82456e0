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
    BENCH_CONCURRENT      /* rounds of C calls in flight at once */
} bench_workload;

typedef struct bench_options {
    const char *base_url;   /* e.g. http://127.0.0.1:PORT/v1 */
    bench_workload workload;
    long requests;          /* sequential: number of calls */
    long stream_bytes;      /* stream: size of the prompt, hence the answer */
    long stream_pieces;     /* stream: pieces asked of the mock (mock_stream_pieces) */
    long concurrency;       /* concurrent: calls in flight per round */
    long rounds;            /* concurrent: rounds after one warm-up round */
} bench_options;

/* What a workload measured; wall and CPU time cover the timed part only. */
typedef struct bench_result {
    long requests;   /* calls completed in the timed part */
    long events;     /* stream: chunk events received (not counting [DONE]) */
    long bytes;      /* stream: answer bytes accumulated */
    double wall_s;
    double user_s;   /* CPU time of the whole process, in user space */
    double sys_s;    /* and in the kernel */
} bench_result;

/* The clocks at the start of the timed part. */
typedef struct bench_clock {
    double wall, user, sys;
} bench_clock;

/* Parses "WORKLOAD BASE_URL [--requests N] [--stream-bytes N]
 * [--stream-pieces N] [--concurrency N] [--rounds N]". Prints usage and
 * returns -1 on a bad command line. */
int bench_parse_args(int argc, char **argv, bench_options *opt);

/* The long prompt of the stream workload: `len` bytes of ASCII words
 * ("the quick brown fox ..." repeated), NUL-terminated. Caller frees. */
char *bench_long_prompt(size_t len);

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
