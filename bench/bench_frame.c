/* 100 streamed chats from a 60 fps frame loop: the library's time per frame.
 *
 * One client starts N streamed chat completions at once (default 100)
 * against an instant local server (oai-mock-server: no delays), each answer
 * TOKENS tokens long, one event per token ("mock_stream_pieces"). Then a
 * loop of 16.7 ms frames calls oai_client_poll(client, 0) once per frame
 * and takes every event that is ready, until every stream has ended. The
 * time inside the library is measured per frame (a monotonic clock around
 * each call into it, and the thread's CPU time beside it), and each run
 * prints its frames, worst, 99th-percentile and median frame; after RUNS
 * runs (a new client each) the program prints one Markdown row of the
 * medians of the runs' figures. Nothing may be lost: every stream must end
 * with [DONE], with one text event per token and exactly the text the
 * mock echoes; a run that loses anything fails the program.
 *
 * Two ways to take the events (--mode):
 *
 *   pull      oai_request_set_stream() and oai_call_next_event() for every
 *             call after the poll; the frame's time is the poll plus the
 *             taking (oai_call_take_response(), oai_call_free() included)
 *   callback  an event callback and a done callback, run inside the poll;
 *             the frame's time is the poll (the callbacks only count)
 *
 * Built with -DBENCH_FRAME_OLD_API, the same program compiles against the
 * library before the pull API and the poll budget (commit d5cca5c, see
 * bench/frame.sh): callback mode only, no budget.
 *
 *   bench_frame BASE_URL [--streams N] [--tokens N] [--budget-us N]
 *               [--mode pull|callback] [--runs N] [--label TEXT] [--hitch-ms N]
 *               [--trace]
 *
 * Not a test: the numbers depend on the machine and its load.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <oai.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME_US 16667
#define MAX_FRAMES 7200 /* two minutes: a run that takes longer failed */
#define MAX_STREAMS 1000
#define MAX_RUNS 100
#define HITCH_FRAME 10 /* --hitch-ms: when the game stalls (the streams are under way) */

/* ---- clocks ------------------------------------------------------------------------- */

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(int64_t t)
{
    int64_t left = t - clock_us(CLOCK_MONOTONIC);
    if (left > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)(left / 1000000);
        ts.tv_nsec = (long)(left % 1000000) * 1000;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

/* The library's share of the current frame: wall and thread CPU time,
 * summed over the calls into it bracketed by lib_enter()/lib_leave(). */
typedef struct frame_clock {
    int64_t wall_at, cpu_at;
    int64_t wall_us, cpu_us;
} frame_clock;

static frame_clock fclock;

static void lib_enter(void)
{
    fclock.wall_at = clock_us(CLOCK_MONOTONIC);
    fclock.cpu_at = clock_us(CLOCK_THREAD_CPUTIME_ID);
}

static void lib_leave(void)
{
    fclock.cpu_us += clock_us(CLOCK_THREAD_CPUTIME_ID) - fclock.cpu_at;
    fclock.wall_us += clock_us(CLOCK_MONOTONIC) - fclock.wall_at;
}

/* ---- the workload ---------------------------------------------------------------------- */

typedef struct options {
    const char *url;
    int streams;
    int tokens;       /* of each answer: "Echo:" and tokens - 1 words */
    int64_t budget_us;
    int pull;         /* else callbacks */
    int runs;
    const char *label;
    int trace;        /* print every frame's times on stderr */
    int hitch_ms;     /* the game's own long frame (a hitch) after HITCH_FRAME */
} options;

/* One stream's tally. */
typedef struct stream {
    oai_call *call;      /* until it is freed (or, before the pull API, ended) */
    long events, text_events, done_events;
    size_t text_bytes;
    oai_response *res;   /* its response, until checked */
    int finished;        /* it ended (its response arrived) */
    int collected;       /* ... and was checked */
    int ok;
} stream;

typedef struct run {
    const options *opt;
    const char *expected; /* the answer every stream must bring */
    stream *streams;
    int finished;
} run;

/* The prompt: tokens - 1 words, so that the echo is `tokens` tokens. */
static char *make_prompt(int words)
{
    static const char *const pool[] = {"the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog"};
    size_t cap = (size_t)words * 6 + 1, len = 0;
    char *p = malloc(cap);
    if (!p)
        return NULL;
    for (int i = 0; i < words; i++)
        len += (size_t)sprintf(p + len, "%s%s", i ? " " : "", pool[i % 9]);
    p[len] = '\0';
    return p;
}

static long frame_events; /* for --trace */

static void count_event(stream *s, const oai_event *ev)
{
    int type = oai_event_type_of(ev);
    s->events++;
    frame_events++;
    if (type == OAI_EVENT_TEXT) {
        s->text_events++;
        s->text_bytes += oai_event_text_len(ev);
    } else if (type == OAI_EVENT_DONE) {
        s->done_events++;
    }
}

/* After the stream ended (outside the timed part): did everything arrive? */
static void check_stream(const run *r, stream *s)
{
    const char *text = oai_response_text(s->res);
    s->ok = oai_response_status(s->res) == OAI_OK && s->done_events == 1 &&
            s->text_events == r->opt->tokens && text && strcmp(text, r->expected) == 0 &&
            s->text_bytes == strlen(r->expected);
    if (!s->ok)
        fprintf(stderr, "bench_frame: a stream failed: %s, %ld text events of %d, %ld done, %zu bytes of %zu%s%s\n",
                oai_status_name(oai_response_status(s->res)), s->text_events, r->opt->tokens,
                s->done_events, s->text_bytes, strlen(r->expected),
                oai_response_error_message(s->res) ? ": " : "",
                oai_response_error_message(s->res) ? oai_response_error_message(s->res) : "");
}

static int on_event(void *userdata, const oai_event *ev)
{
    count_event(userdata, ev);
    return 0;
}

static void on_done(void *userdata, oai_call *call, oai_response *res)
{
    stream *s = userdata;
    s->res = res; /* checked after the frame */
    s->finished = 1;
#ifndef BENCH_FRAME_OLD_API
    s->call = NULL;
    oai_call_free(call); /* calls are the caller's since the pull API */
#else
    (void)call;          /* the client's before it */
#endif
}

static oai_request *chat_request(const options *opt, const char *prompt, stream *s)
{
#ifdef BENCH_FRAME_OLD_API
    oai_request *req = oai_chat_request_new("gpt-4o-mini");
    int ok = req && oai_request_add_message(req, "user", prompt) == OAI_OK &&
             oai_request_on_event(req, on_event, s) == OAI_OK;
#else
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    int ok = req && oai_chat_request_add_message(req, "user", prompt) == OAI_OK &&
             (opt->pull ? oai_request_set_stream(req, 1) : oai_request_set_event_callback(req, on_event, s)) ==
                 OAI_OK;
#endif
    ok = ok && oai_request_set_int(req, "/mock_stream_pieces", opt->tokens) == OAI_OK;
    if (!ok) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Pull mode: every event each call has queued, and the responses of the
 * calls that ended. */
static void take_events(run *r)
{
    for (int i = 0; i < r->opt->streams; i++) {
        stream *s = &r->streams[i];
#ifndef BENCH_FRAME_OLD_API
        const oai_event *ev;
        if (!s->call)
            continue;
        while (oai_call_next_event(s->call, &ev) == OAI_OK && ev)
            count_event(s, ev);
        if (oai_call_is_done(s->call)) {
            s->res = oai_call_take_response(s->call);
            s->finished = 1;
            oai_call_free(s->call);
            s->call = NULL;
        }
#else
        (void)s;
#endif
    }
}

/* Checks and frees the responses that arrived in this frame. */
static int collect(run *r)
{
    int failed = 0;
    for (int i = 0; i < r->opt->streams; i++) {
        stream *s = &r->streams[i];
        if (!s->finished || s->collected)
            continue;
        s->collected = 1;
        check_stream(r, s);
        failed |= !s->ok;
        lib_enter();
        oai_response_free(s->res);
        lib_leave();
        s->res = NULL;
        r->finished++;
    }
    return failed ? -1 : 0;
}

typedef struct run_stats {
    int64_t start_us; /* building and starting every call */
    int frames;
    int64_t worst, p99, p50, cpu_worst, cpu_p99;
    long events;
} run_stats;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank quantile of sorted values. */
static int64_t quantile(const int64_t *sorted, int n, double q)
{
    int rank = (int)(q * n + 0.999999);
    if (rank < 1)
        rank = 1;
    return sorted[(rank > n ? n : rank) - 1];
}

static int run_once(const options *opt, const char *prompt, const char *expected, run_stats *st)
{
    static int64_t wall[MAX_FRAMES], cpu[MAX_FRAMES];
    run r = {opt, expected, calloc((size_t)opt->streams, sizeof(stream)), 0};
    oai_client *c = oai_client_new();
    int frames = 0, failed = 0;

    memset(&fclock, 0, sizeof fclock);
    if (!r.streams || !c || oai_client_set_base_url(c, opt->url) != OAI_OK ||
        oai_client_set_api_key(c, "sk-bench-not-a-secret") != OAI_OK || oai_client_set_proxy(c, "") != OAI_OK) {
        fprintf(stderr, "bench_frame: cannot set up the client\n");
        free(r.streams);
        oai_client_free(c);
        return -1;
    }
#ifndef BENCH_FRAME_OLD_API
    if (oai_client_set_poll_budget_us(c, opt->budget_us) != OAI_OK) {
        fprintf(stderr, "bench_frame: cannot set the budget\n");
        free(r.streams);
        oai_client_free(c);
        return -1;
    }
#endif

    /* Starting every stream (building the requests too) is timed apart:
     * the frames below are the loop's, each one poll and the taking. */
    lib_enter();
    for (int i = 0; i < opt->streams && !failed; i++) {
        stream *s = &r.streams[i];
        oai_request *req = chat_request(opt, prompt, s);
        oai_call *call = req ? oai_client_start(c, req, opt->pull ? NULL : on_done, s) : NULL;
        oai_request_free(req);
        s->call = call; /* before the pull API, the client's: never freed here */
        failed = !call;
    }
    lib_leave();
    st->start_us = fclock.wall_us;
    fclock.wall_us = fclock.cpu_us = 0;
    sleep_until(clock_us(CLOCK_MONOTONIC) + FRAME_US); /* the rest of that frame */
    int64_t next_frame = clock_us(CLOCK_MONOTONIC);
    while (!failed && r.finished < opt->streams) {
        if (frames == MAX_FRAMES) {
            fprintf(stderr, "bench_frame: still running after %d frames\n", MAX_FRAMES);
            failed = 1;
            break;
        }
        lib_enter();
        int running = oai_client_poll(c, 0);
        int64_t poll_wall = clock_us(CLOCK_MONOTONIC) - fclock.wall_at; /* for --trace */
        if (opt->pull)
            take_events(&r);
        lib_leave();
        if (running < 0) {
            fprintf(stderr, "bench_frame: poll: %s\n", oai_status_name((oai_status)-running));
            failed = 1;
        }
        failed |= collect(&r) != 0;
        wall[frames] = fclock.wall_us;
        cpu[frames] = fclock.cpu_us;
        if (opt->trace)
            fprintf(stderr, "FRAME %d at %lld wall_us %lld cpu_us %lld poll_us %lld events %ld finished %d\n",
                    frames, (long long)fclock.wall_at, (long long)fclock.wall_us, (long long)fclock.cpu_us,
                    (long long)poll_wall, frame_events, r.finished);
        frame_events = 0;
        fclock.wall_us = fclock.cpu_us = 0;
        frames++;
        next_frame += FRAME_US;
        if (frames == HITCH_FRAME && opt->hitch_ms > 0)
            next_frame += (int64_t)opt->hitch_ms * 1000; /* meanwhile the data piles up */
        if (next_frame < clock_us(CLOCK_MONOTONIC))
            next_frame = clock_us(CLOCK_MONOTONIC); /* late: no catching up */
        sleep_until(next_frame);
    }

    st->events = 0;
    for (int i = 0; i < opt->streams; i++) {
        st->events += r.streams[i].events;
#ifndef BENCH_FRAME_OLD_API
        oai_call_free(r.streams[i].call); /* NULL unless the run failed */
#endif
        oai_response_free(r.streams[i].res);
    }
    free(r.streams);
    oai_client_free(c);
    if (failed || frames == 0)
        return -1;
    qsort(wall, (size_t)frames, sizeof wall[0], cmp_i64);
    qsort(cpu, (size_t)frames, sizeof cpu[0], cmp_i64);
    st->frames = frames;
    st->worst = wall[frames - 1];
    st->p99 = quantile(wall, frames, 0.99);
    st->p50 = quantile(wall, frames, 0.50);
    st->cpu_worst = cpu[frames - 1];
    st->cpu_p99 = quantile(cpu, frames, 0.99);
    return 0;
}

/* ---- the command line and the report ---------------------------------------------------- */

static int parse(int argc, char **argv, options *o)
{
    o->url = NULL;
    o->streams = 100;
    o->tokens = 500;
    o->budget_us = 0;
    o->pull = 1;
    o->runs = 5;
    o->label = NULL;
    o->trace = 0;
    o->hitch_ms = 0;
#ifdef BENCH_FRAME_OLD_API
    o->pull = 0;
#endif
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            o->url = a;
            continue;
        }
        if (strcmp(a, "--trace") == 0) {
            o->trace = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--streams") == 0)
            o->streams = atoi(v);
        else if (strcmp(a, "--tokens") == 0)
            o->tokens = atoi(v);
        else if (strcmp(a, "--budget-us") == 0)
            o->budget_us = atoll(v);
        else if (strcmp(a, "--runs") == 0)
            o->runs = atoi(v);
        else if (strcmp(a, "--hitch-ms") == 0)
            o->hitch_ms = atoi(v);
        else if (strcmp(a, "--label") == 0)
            o->label = v;
        else if (strcmp(a, "--mode") == 0 && (strcmp(v, "pull") == 0 || strcmp(v, "callback") == 0))
            o->pull = strcmp(v, "pull") == 0;
        else
            return -1;
    }
#ifdef BENCH_FRAME_OLD_API
    if (o->pull || o->budget_us != 0) {
        fprintf(stderr, "bench_frame: this build (before the pull API) has callbacks only and no budget\n");
        return -1;
    }
#endif
    return o->url && o->streams >= 1 && o->streams <= MAX_STREAMS && o->tokens >= 2 && o->budget_us >= 0 &&
                   o->runs >= 1 && o->runs <= MAX_RUNS && o->hitch_ms >= 0
               ? 0
               : -1;
}

static double ms(int64_t us)
{
    return us / 1000.0;
}

/* The median of n values (n >= 1); sorts them. */
static int64_t median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_i64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    options opt;
    int64_t worst[MAX_RUNS], p99[MAX_RUNS], p50[MAX_RUNS], cpu_worst[MAX_RUNS], frames[MAX_RUNS];
    int64_t start[MAX_RUNS];
    long events = -1;
    char label[64];

    if (parse(argc, argv, &opt) != 0) {
        fprintf(stderr, "usage: bench_frame BASE_URL [--streams N] [--tokens N] [--budget-us N] "
                        "[--mode pull|callback] [--runs N] [--label TEXT] [--hitch-ms N] [--trace]\n");
        return 2;
    }
    char *prompt = make_prompt(opt.tokens - 1);
    char *expected = prompt ? malloc(strlen(prompt) + sizeof "Echo: ") : NULL;
    if (!expected) {
        free(prompt);
        fprintf(stderr, "bench_frame: out of memory\n");
        return 1;
    }
    sprintf(expected, "Echo: %s", prompt);
    if (opt.label)
        snprintf(label, sizeof label, "%s", opt.label);
    else
        snprintf(label, sizeof label, "%s, budget %lld us", opt.pull ? "pull" : "callbacks",
                 (long long)opt.budget_us);

    for (int i = 0; i < opt.runs; i++) {
        run_stats st;
        if (run_once(&opt, prompt, expected, &st) != 0) {
            fprintf(stderr, "bench_frame: run %d of %s failed\n", i + 1, label);
            free(prompt);
            free(expected);
            return 1;
        }
        if (events >= 0 && st.events != events) {
            fprintf(stderr, "bench_frame: run %d got %ld events, the one before %ld\n", i + 1, st.events, events);
            free(prompt);
            free(expected);
            return 1;
        }
        events = st.events;
        worst[i] = st.worst;
        p99[i] = st.p99;
        p50[i] = st.p50;
        cpu_worst[i] = st.cpu_worst;
        frames[i] = st.frames;
        start[i] = st.start_us;
        fprintf(stderr, "RUN %s | run %d | frames %d | worst %.3f ms | p99 %.3f ms | p50 %.3f ms | "
                        "CPU worst %.3f ms, p99 %.3f ms | start %.3f ms | events %ld\n",
                label, i + 1, st.frames, ms(st.worst), ms(st.p99), ms(st.p50), ms(st.cpu_worst), ms(st.cpu_p99),
                ms(st.start_us), st.events);
    }
    /* One row of bench/frame.sh's table: medians over the runs. */
    printf("| %-28s | %4d | %6lld | %8.2f | %8.2f | %8.3f | %14.2f | %10.2f | %8ld |\n", label, opt.runs,
           (long long)median(frames, opt.runs), ms(median(worst, opt.runs)), ms(median(p99, opt.runs)),
           ms(median(p50, opt.runs)), ms(median(cpu_worst, opt.runs)), ms(median(start, opt.runs)), events);
    free(prompt);
    free(expected);
    return 0;
}
