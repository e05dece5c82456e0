/* The first TLS connection of a client, seen from a 60 fps frame loop.
 *
 * A local HTTPS server (tests/support/tls_server.c, in a process of its
 * own) answers chat completions. Each run is a fresh process holding one
 * new client, whose CA file is a full bundle: Debian's system bundle
 * (/etc/ssl/certs/ca-certificates.crt, or --bundle) with the server's
 * certificate appended, so that the whole bundle is parsed, as the system
 * store would be, and the server is trusted. The run starts one chat
 * completion with oai_client_start() and calls oai_client_poll(client, 0)
 * once per 16.7 ms frame until it is done, timing the library's share of
 * every frame (the start and the poll). The modes differ in what happened
 * before the first frame:
 *
 *   cold     nothing: the first frames connect, parse the CA and handshake
 *   warm     oai_client_warm_up(client, OAI_WARM_UP_CA) at the "loading screen"
 *   connect  oai_client_warm_up(client, OAI_WARM_UP_CA | OAI_WARM_UP_CONNECT)
 *   second   another client of the process made a request first (and is
 *            still alive); this one does no warm-up of its own
 *
 * For each mode it prints the worst and the 99th-percentile frame over all
 * runs, the median of the runs' worst frames, the frames a run took, and the
 * blocking warm-up's median. Not a test: the numbers depend on the machine.
 *
 *   bench_tls [--runs N] [--bundle PATH] [--modes cold,warm,connect,second]
 */
#include "tls_server.h"

#include <oai.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRAME_US 16667
#define MAX_FRAMES 600 /* 10 s: a run that takes longer failed */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(int64_t t)
{
    int64_t left = t - now_us();
    if (left > 0) {
        struct timespec ts = {(time_t)(left / 1000000), (long)(left % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* ---- one run, in its own process ----------------------------------------------- */

typedef struct run_result {
    int64_t warm_up_us;          /* the blocking warm-up (0: none) */
    int frames;
    int64_t frame_us[MAX_FRAMES];
    int status;                  /* the call's oai_status */
} run_result;

static oai_client *new_client(const char *url, const char *ca_file)
{
    oai_client *c = oai_client_new();
    if (!c || oai_client_set_base_url(c, url) != OAI_OK || oai_client_set_api_key(c, "sk-bench") != OAI_OK ||
        oai_client_set_ca_file(c, ca_file) != OAI_OK || oai_client_set_proxy(c, "") != OAI_OK ||
        oai_client_set_max_retries(c, 0) != OAI_OK) {
        oai_client_free(c);
        return NULL;
    }
    return c;
}

static oai_request *chat_request(void)
{
    oai_request *req = oai_request_new("POST", "/chat/completions");
    if (req && (oai_request_set_string(req, "/model", "gpt-4o-mini") != OAI_OK ||
                oai_request_set_json(req, "/messages", "[{\"role\":\"user\",\"content\":\"hi\"}]") != OAI_OK)) {
        oai_request_free(req);
        req = NULL;
    }
    return req;
}

static void run_once(const char *mode, const char *url, const char *ca_file, run_result *r)
{
    oai_client *before = NULL, *c;
    oai_request *req = chat_request();
    oai_call *call;
    int64_t frame_at;
    memset(r, 0, sizeof *r);
    r->status = OAI_ERR_INVALID_ARGUMENT;
    if (!req)
        return;
    if (strcmp(mode, "second") == 0) {
        oai_response *res;
        before = new_client(url, ca_file);
        res = before ? oai_client_send(before, req) : NULL;
        if (oai_response_status(res) != OAI_OK) {
            r->status = oai_response_status(res);
            oai_response_free(res);
            goto out;
        }
        oai_response_free(res);
    }
    c = new_client(url, ca_file);
    if (!c)
        goto out;
    if (strcmp(mode, "warm") == 0 || strcmp(mode, "connect") == 0) {
        int64_t t0 = now_us();
        int flags = strcmp(mode, "warm") == 0 ? OAI_WARM_UP_CA : OAI_WARM_UP_CA | OAI_WARM_UP_CONNECT;
        oai_status st = oai_client_warm_up(c, flags);
        r->warm_up_us = now_us() - t0;
        if (st != OAI_OK) {
            r->status = st;
            oai_client_free(c);
            goto out;
        }
    }
    /* The game loop: the start lands in the first frame. */
    frame_at = now_us();
    {
        int64_t t0 = now_us();
        call = oai_client_start(c, req, NULL, NULL);
        r->frame_us[0] = now_us() - t0;
    }
    while (call && !oai_call_is_done(call) && r->frames < MAX_FRAMES) {
        int64_t t0 = now_us();
        int running = oai_client_poll(c, 0);
        r->frame_us[r->frames++] += now_us() - t0;
        if (running < 0)
            break;
        frame_at += FRAME_US;
        sleep_until(frame_at);
    }
    r->status = call && oai_call_is_done(call) ? (int)oai_call_status(call) : OAI_ERR_TIMEOUT;
    oai_call_free(call);
    oai_client_free(c);
out:
    oai_client_free(before);
    oai_request_free(req);
}

/* Forks a process for one run; its result comes back through a pipe. */
static int run_in_child(const char *mode, const char *url, const char *ca_file, run_result *r)
{
    int fds[2], status;
    pid_t pid;
    size_t got = 0;
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        run_result *mine = calloc(1, sizeof *mine);
        size_t off = 0;
        close(fds[0]);
        if (mine)
            run_once(mode, url, ca_file, mine);
        while (mine && off < sizeof *mine) {
            ssize_t n = write(fds[1], (char *)mine + off, sizeof *mine - off);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        _exit(mine && off == sizeof *mine ? 0 : 1);
    }
    close(fds[1]);
    while (got < sizeof *r) {
        ssize_t n = read(fds[0], (char *)r + got, sizeof *r - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    return got == sizeof *r && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the server, in its own process ------------------------------------------------ */

/* Starts the server in a child process, which writes the CA file and sends
 * back its port; it runs until `*stop_fd` is closed. */
static pid_t start_server(const char *ca_file, const char *bundle, int *port, int *stop_fd)
{
    int ready[2], stop[2];
    pid_t pid;
    if (pipe(ready) != 0 || pipe(stop) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        tls_server *s = tls_server_start();
        int p = -1;
        char c;
        close(ready[0]);
        close(stop[1]);
        if (s && tls_server_write_ca_file(s, ca_file, bundle) == 0)
            p = tls_server_port(s);
        if (write(ready[1], &p, sizeof p) != (ssize_t)sizeof p)
            p = -1;
        close(ready[1]);
        while (p > 0 && read(stop[0], &c, 1) > 0)
            ;
        tls_server_stop(s);
        _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    if (pid < 0 || read(ready[0], port, sizeof *port) != (ssize_t)sizeof *port || *port <= 0) {
        close(ready[0]);
        close(stop[1]);
        return -1;
    }
    close(ready[0]);
    *stop_fd = stop[1];
    return pid;
}

/* ---- statistics ---------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The value at quantile q (0..1) of n sorted values: nearest rank. */
static int64_t quantile(const int64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return sorted[(rank > n ? n : rank) - 1];
}

static double ms(int64_t us)
{
    return (double)us / 1000.0;
}

static int bench_mode(const char *mode, int runs, const char *url, const char *ca_file)
{
    int64_t *frames = malloc(sizeof *frames * (size_t)runs * MAX_FRAMES);
    int64_t *worst = malloc(sizeof *worst * (size_t)runs), *warm = malloc(sizeof *warm * (size_t)runs);
    run_result *r = malloc(sizeof *r);
    size_t nframes = 0;
    int i, j, most_frames = 0;
    if (!frames || !worst || !warm || !r) {
        fprintf(stderr, "bench_tls: out of memory\n");
        return 1;
    }
    for (i = 0; i < runs; i++) {
        if (run_in_child(mode, url, ca_file, r) != 0 || r->status != OAI_OK) {
            fprintf(stderr, "bench_tls: a %s run failed (%s)\n", mode, oai_status_name((oai_status)r->status));
            return 1;
        }
        worst[i] = 0;
        for (j = 0; j < r->frames; j++) {
            frames[nframes++] = r->frame_us[j];
            if (r->frame_us[j] > worst[i])
                worst[i] = r->frame_us[j];
        }
        warm[i] = r->warm_up_us;
        if (r->frames > most_frames)
            most_frames = r->frames;
    }
    qsort(frames, nframes, sizeof *frames, cmp_i64);
    qsort(worst, (size_t)runs, sizeof *worst, cmp_i64);
    qsort(warm, (size_t)runs, sizeof *warm, cmp_i64);
    printf("| %-8s | %14.2f | %12.2f | %15.2f | %6d | %10.1f |\n", mode, ms(frames[nframes - 1]),
           ms(quantile(frames, nframes, 0.99)), ms(quantile(worst, (size_t)runs, 0.5)), most_frames,
           ms(quantile(warm, (size_t)runs, 0.5)));
    fflush(stdout);
    free(frames);
    free(worst);
    free(warm);
    free(r);
    return 0;
}

int main(int argc, char **argv)
{
    const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
    char modes[256] = "cold,warm,connect,second", dir[] = "/tmp/oai-bench-tls-XXXXXX", ca_file[96], url[64];
    char *mode, *save = NULL;
    int runs = 30, port = 0, stop_fd = -1, rc = 0, i;
    pid_t server;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--bundle") == 0 && i + 1 < argc)
            bundle = argv[++i];
        else if (strcmp(argv[i], "--modes") == 0 && i + 1 < argc)
            snprintf(modes, sizeof modes, "%s", argv[++i]);
        else {
            fprintf(stderr, "usage: bench_tls [--runs N] [--bundle PATH] [--modes cold,warm,connect,second]\n");
            return 2;
        }
    }
    if (runs < 1 || !mkdtemp(dir)) {
        fprintf(stderr, "bench_tls: bad --runs, or no temporary directory\n");
        return 2;
    }
    snprintf(ca_file, sizeof ca_file, "%s/bundle.pem", dir);
    server = start_server(ca_file, bundle, &port, &stop_fd);
    if (server < 0) {
        fprintf(stderr, "bench_tls: the TLS server did not start (is %s readable?)\n", bundle);
        rmdir(dir);
        return 1;
    }
    snprintf(url, sizeof url, "https://127.0.0.1:%d/v1", port);
    printf("First request of a new client at 60 frames/s against a local TLS server; CA file: %s and the "
           "server's certificate; %d runs per mode, each a new process; oai %s.\n\n",
           bundle, runs, oai_version());
    printf("| mode     | worst frame ms | p99 frame ms | median worst ms | frames | warm-up ms |\n");
    printf("|----------|---------------:|-------------:|----------------:|-------:|-----------:|\n");
    for (mode = strtok_r(modes, ",", &save); mode && rc == 0; mode = strtok_r(NULL, ",", &save)) {
        if (strcmp(mode, "cold") != 0 && strcmp(mode, "warm") != 0 && strcmp(mode, "connect") != 0 &&
            strcmp(mode, "second") != 0) {
            fprintf(stderr, "bench_tls: unknown mode %s\n", mode);
            rc = 2;
            break;
        }
        rc = bench_mode(mode, runs, url, ca_file);
    }
    close(stop_fd);
    waitpid(server, NULL, 0);
    unlink(ca_file);
    rmdir(dir);
    return rc;
}
