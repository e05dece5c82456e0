/* Helpers shared by the C benchmark programs: see bench_common.h. */
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const struct {
    const char *name;
    bench_workload workload;
} workloads[] = {
    {"sequential", BENCH_SEQUENTIAL},
    {"stream", BENCH_STREAM},
    {"concurrent", BENCH_CONCURRENT},
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
            "usage: %s sequential|stream|concurrent BASE_URL [--requests N]\n"
            "       [--stream-bytes N] [--stream-pieces N] [--concurrency N] [--rounds N]\n",
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
        long *slot = option_slot(opt, argv[i]);
        if (!slot || i + 1 >= argc || parse_positive(argv[i + 1], slot) != 0) {
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
           "wall_s=%.6f user_s=%.6f sys_s=%.6f rss_kb=%ld\n",
           impl, bench_workload_name(opt->workload), r->requests, r->events, r->bytes,
           r->wall_s, r->user_s, r->sys_s, bench_peak_rss_kb());
    fflush(stdout);
}

int bench_fail(const char *impl, const char *message)
{
    fprintf(stderr, "bench %s: %s\n", impl, message);
    return 1;
}
