/* Helpers shared by the C benchmark programs: see bench_common.h. */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *name;
    bench_workload workload;
} workloads[] = {
    {"sequential", BENCH_SEQUENTIAL},
    {"stream", BENCH_STREAM},
    {"concurrent", BENCH_CONCURRENT},
    {"streams", BENCH_STREAMS},
};

const char *bench_workload_name(bench_workload w)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (workloads[i].workload == w)
            return workloads[i].name;
    return "?";
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s sequential|stream|concurrent|streams BASE_URL [--requests N]\n"
            "       [--stream-bytes N] [--stream-pieces N] [--concurrency N] [--rounds N]\n"
            "       [--server mock|static] [--parse scan|lines|jansson]\n",
            prog);
}

static int parse_positive(const char *text, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* The field an option sets, or NULL for an unknown option. */
static long *option_slot(bench_options *opt, const char *name)
{
    if (strcmp(name, "--requests") == 0)
        return &opt->requests;
    if (strcmp(name, "--stream-bytes") == 0)
        return &opt->stream_bytes;
    if (strcmp(name, "--stream-pieces") == 0)
        return &opt->stream_pieces;
    if (strcmp(name, "--concurrency") == 0)
        return &opt->concurrency;
    if (strcmp(name, "--rounds") == 0)
        return &opt->rounds;
    return NULL;
}

static int parse_workload(const char *name, bench_workload *out)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        if (strcmp(workloads[i].name, name) == 0) {
            *out = workloads[i].workload;
            return 0;
        }
    }
    return -1;
}

/* The two options that take a word: 0 when name is one and value valid,
 * 1 when name is not one of them, -1 when the value is not valid. */
static int parse_word_option(bench_options *opt, const char *name, const char *value)
{
    if (strcmp(name, "--server") == 0) {
        if (strcmp(value, "mock") == 0)
            opt->server = BENCH_SERVER_MOCK;
        else if (strcmp(value, "static") == 0)
            opt->server = BENCH_SERVER_STATIC;
        else
            return -1;
        return 0;
    }
    if (strcmp(name, "--parse") == 0) {
        if (strcmp(value, "scan") == 0)
            opt->parse = BENCH_PARSE_SCAN;
        else if (strcmp(value, "lines") == 0)
            opt->parse = BENCH_PARSE_LINES;
        else if (strcmp(value, "jansson") == 0)
            opt->parse = BENCH_PARSE_JANSSON;
        else
            return -1;
        return 0;
    }
    return 1;
}

int bench_parse_args(int argc, char **argv, bench_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->requests = 2000;
    opt->stream_bytes = 1L << 20;
    opt->stream_pieces = 0;
    opt->concurrency = 64;
    opt->rounds = 20;
    if (argc < 3 || parse_workload(argv[1], &opt->workload) != 0) {
        usage(argv[0]);
        return -1;
    }
    opt->base_url = argv[2];
    for (int i = 3; i < argc; i += 2) {
        int word = i + 1 < argc ? parse_word_option(opt, argv[i], argv[i + 1]) : -1;
        if (word == 0)
            continue;
        long *slot = word == 1 ? option_slot(opt, argv[i]) : NULL;
        if (!slot || parse_positive(argv[i + 1], slot) != 0) {
            usage(argv[0]);
            return -1;
        }
    }
    if (opt->requests < 1 || opt->concurrency < 1 || opt->stream_bytes < 1) {
        usage(argv[0]);
        return -1;
    }
    return 0;
}

char *bench_long_prompt(size_t len)
{
    static const char words[] = "the quick brown fox jumps over the lazy dog ";
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    for (size_t i = 0; i < len; i++)
        p[i] = words[i % (sizeof words - 1)];
    p[len] = '\0';
    return p;
}

char *bench_stream_prompt(const bench_options *opt)
{
    if (opt->server == BENCH_SERVER_STATIC) {
        char *p = malloc(sizeof BENCH_SHORT_PROMPT);
        if (p)
            memcpy(p, BENCH_SHORT_PROMPT, sizeof BENCH_SHORT_PROMPT);
        return p;
    }
    return bench_long_prompt((size_t)opt->stream_bytes);
}

int bench_is_stream_echo(const char *text, size_t len, long stream_bytes)
{
    static const char words[] = "the quick brown fox jumps over the lazy dog ";
    size_t plen = sizeof BENCH_ECHO_PREFIX - 1;
    if (!text || stream_bytes < 0 || len != plen + (size_t)stream_bytes ||
        memcmp(text, BENCH_ECHO_PREFIX, plen) != 0)
        return 0;
    for (size_t i = 0; i < (size_t)stream_bytes; i++)
        if (text[plen + i] != words[i % (sizeof words - 1)])
            return 0;
    return 1;
}

/* ---- the counting allocator ---------------------------------------------- */

/* The header before each block: its size, padded to keep malloc's 16-byte
 * alignment. */
#define HEAP_HEADER 16

static int heap_on;
static size_t heap_live;
static size_t heap_peak;

void bench_heap_start(void)
{
    heap_on = 1;
}

int bench_heap_on(void)
{
    return heap_on;
}

/* Adds `added` bytes and removes `removed` (atomically: libcurl or the
 * library may allocate from another thread), and raises the peak. */
static void heap_count(size_t added, size_t removed)
{
    size_t live = __atomic_add_fetch(&heap_live, added - removed, __ATOMIC_RELAXED);
    size_t peak = __atomic_load_n(&heap_peak, __ATOMIC_RELAXED);
    while (live > peak &&
           !__atomic_compare_exchange_n(&heap_peak, &peak, live, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
}

void *bench_malloc(size_t n)
{
    if (!heap_on)
        return malloc(n);
    unsigned char *p = malloc(n + HEAP_HEADER);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    heap_count(n, 0);
    return p + HEAP_HEADER;
}

void *bench_calloc(size_t count, size_t size)
{
    if (!heap_on)
        return calloc(count, size);
    if (size && count > ((size_t)-1 - HEAP_HEADER) / size)
        return NULL;
    void *p = bench_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *bench_realloc(void *q, size_t n)
{
    if (!heap_on)
        return realloc(q, n);
    if (!q)
        return bench_malloc(n);
    unsigned char *p = (unsigned char *)q - HEAP_HEADER;
    size_t old;
    memcpy(&old, p, sizeof old);
    unsigned char *np = realloc(p, n + HEAP_HEADER);
    if (!np)
        return NULL;
    memcpy(np, &n, sizeof n);
    heap_count(n, old);
    return np + HEAP_HEADER;
}

void bench_free(void *q)
{
    if (!heap_on) {
        free(q);
        return;
    }
    if (!q)
        return;
    unsigned char *p = (unsigned char *)q - HEAP_HEADER;
    size_t old;
    memcpy(&old, p, sizeof old);
    heap_count(0, old);
    free(p);
}

char *bench_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = bench_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void *bench_malloc_ud(void *ud, size_t n)
{
    (void)ud;
    return bench_malloc(n);
}

void *bench_realloc_ud(void *ud, void *p, size_t n)
{
    (void)ud;
    return bench_realloc(p, n);
}

void bench_free_ud(void *ud, void *p)
{
    (void)ud;
    bench_free(p);
}

size_t bench_heap_mark(void)
{
    size_t live = __atomic_load_n(&heap_live, __ATOMIC_RELAXED);
    __atomic_store_n(&heap_peak, live, __ATOMIC_RELAXED);
    return live;
}

size_t bench_heap_peak(void)
{
    return __atomic_load_n(&heap_peak, __ATOMIC_RELAXED);
}

long bench_rss_now_kb(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    int got = fscanf(f, "%ld %ld", &size, &resident);
    fclose(f);
    return got == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

void bench_result_init(bench_result *r)
{
    memset(r, 0, sizeof *r);
    r->heap_kb = -1;
    r->receiving_peak = -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double timeval_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void bench_clock_start(bench_clock *c)
{
    struct rusage ru;
    c->rss_kb = bench_rss_now_kb();
    getrusage(RUSAGE_SELF, &ru);
    c->user = timeval_s(ru.ru_utime);
    c->sys = timeval_s(ru.ru_stime);
    c->wall = now_s();
}

void bench_clock_stop(const bench_clock *c, bench_result *r)
{
    struct rusage ru;
    r->wall_s = now_s() - c->wall;
    getrusage(RUSAGE_SELF, &ru);
    r->user_s = timeval_s(ru.ru_utime) - c->user;
    r->sys_s = timeval_s(ru.ru_stime) - c->sys;
    r->rss_base_kb = c->rss_kb;
}

long bench_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

void bench_print_result(const char *impl, const bench_options *opt, const bench_result *r)
{
    printf("RESULT impl=%s workload=%s requests=%ld events=%ld bytes=%ld "
           "wall_s=%.6f user_s=%.6f sys_s=%.6f rss_kb=%ld rss_base_kb=%ld heap_kb=%ld "
           "receiving=%ld\n",
           impl, bench_workload_name(opt->workload), r->requests, r->events, r->bytes,
           r->wall_s, r->user_s, r->sys_s, bench_peak_rss_kb(), r->rss_base_kb, r->heap_kb,
           r->receiving_peak);
    fflush(stdout);
}

int bench_fail(const char *impl, const char *message)
{
    fprintf(stderr, "bench %s: %s\n", impl, message);
    return 1;
}
