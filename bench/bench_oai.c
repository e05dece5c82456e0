/* The benchmark workloads written with oai, as an application would write
 * them: a request built per call with the endpoint helpers, sent with
 * oai_client_send() (or started with oai_client_start() and driven with
 * oai_client_poll()), the answer read with oai_response_text(). Streams
 * count their events in an event callback and accumulate (the default).
 *
 *   bench_oai sequential|stream|concurrent|streams BASE_URL [options]  (see bench_common.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "oai.h"

#define IMPL "oai"

static oai_client *new_client(const char *base_url)
{
    oai_client *c = oai_client_new();
    if (c && (oai_client_set_base_url(c, base_url) != OAI_OK ||
              oai_client_set_api_key(c, BENCH_API_KEY) != OAI_OK)) {
        oai_client_free(c);
        return NULL;
    }
    return c;
}

static oai_request *chat_request(const char *prompt)
{
    oai_request *req = oai_chat_completion_create_request_new(BENCH_MODEL);
    if (req && oai_chat_request_add_message(req, "user", prompt) != OAI_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Non-zero when the response is the mock's echo of `prompt`. */
static int is_echo(const oai_response *res, const char *prompt)
{
    const char *text = oai_response_text(res);
    size_t plen = sizeof BENCH_ECHO_PREFIX - 1;
    return oai_response_status(res) == OAI_OK && text &&
           strncmp(text, BENCH_ECHO_PREFIX, plen) == 0 && strcmp(text + plen, prompt) == 0;
}

/* One complete call: build, send, check, free. */
static int chat_once(oai_client *c)
{
    oai_request *req = chat_request(BENCH_SHORT_PROMPT);
    oai_response *res = req ? oai_client_send(c, req) : NULL;
    int ok = res && is_echo(res, BENCH_SHORT_PROMPT);
    if (!ok && res)
        fprintf(stderr, "bench " IMPL ": %s (HTTP %d)\n",
                oai_status_name(oai_response_status(res)), oai_response_http_status(res));
    oai_response_free(res);
    oai_request_free(req);
    return ok ? 0 : -1;
}

static int run_sequential(oai_client *c, const bench_options *opt, bench_result *r)
{
    if (chat_once(c) != 0) /* warm-up: opens the keep-alive connection */
        return -1;
    bench_clock timer;
    bench_clock_start(&timer);
    for (long i = 0; i < opt->requests; i++) {
        if (chat_once(c) != 0)
            return -1;
        r->requests++;
    }
    bench_clock_stop(&timer, r);
    return 0;
}

static int count_event(void *userdata, const oai_event *ev)
{
    bench_result *r = userdata;
    if (oai_event_type_of(ev) != OAI_EVENT_DONE)
        r->events++;
    return 0;
}

/* A streamed chat request: the prompt of bench_stream_prompt(), events
 * counted into r, and for the mock the number of pieces. */
static oai_request *stream_request(const char *prompt, const bench_options *opt, bench_result *r)
{
    oai_request *req = chat_request(prompt);
    if (req && (oai_request_set_event_callback(req, count_event, r) != OAI_OK ||
                (opt->server == BENCH_SERVER_MOCK && opt->stream_pieces > 0 &&
                 oai_request_set_int(req, "/mock_stream_pieces", opt->stream_pieces) != OAI_OK))) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Non-zero when a stream's response holds the expected answer. */
static int is_stream_echo(const oai_response *res, const bench_options *opt)
{
    const char *text = oai_response_text(res);
    return oai_response_status(res) == OAI_OK && text &&
           bench_is_stream_echo(text, strlen(text), opt->stream_bytes);
}

static int run_stream(oai_client *c, const bench_options *opt, bench_result *r)
{
    char *prompt = bench_stream_prompt(opt);
    if (!prompt)
        return -1;
    bench_clock timer;
    bench_clock_start(&timer);
    oai_request *req = stream_request(prompt, opt, r);
    oai_response *res = req ? oai_client_send(c, req) : NULL;
    int ok = res && is_stream_echo(res, opt);
    bench_clock_stop(&timer, r);
    r->requests = 1;
    r->bytes = ok ? (long)strlen(oai_response_text(res)) : 0;
    if (!ok && res)
        fprintf(stderr, "bench " IMPL ": %s (HTTP %d): %s\n",
                oai_status_name(oai_response_status(res)),
                oai_response_http_status(res),
                oai_response_error_message(res) ? oai_response_error_message(res) : "");
    oai_response_free(res);
    oai_request_free(req);
    free(prompt);
    return ok ? 0 : -1;
}

/* streams: n streamed calls started at once, driven by oai_client_poll()
 * until all have ended; each call's response checked and freed in its done
 * callback. */
typedef struct streams_state {
    const bench_options *opt;
    long events;
    long bytes;
    long done;
    long failed;
    long receiving;      /* calls that had an event and have not ended */
    long receiving_peak;
} streams_state;

/* What each call's callbacks get. */
typedef struct stream_call {
    streams_state *st;
    int received;
} stream_call;

static int on_stream_event(void *userdata, const oai_event *ev)
{
    stream_call *call = userdata;
    if (!call->received) {
        call->received = 1;
        if (++call->st->receiving > call->st->receiving_peak)
            call->st->receiving_peak = call->st->receiving;
    }
    if (oai_event_type_of(ev) != OAI_EVENT_DONE)
        call->st->events++;
    return 0;
}

static void on_stream_done(void *userdata, oai_call *call, oai_response *res)
{
    stream_call *sc = userdata;
    streams_state *st = sc->st;
    st->done++;
    if (sc->received)
        st->receiving--;
    if (is_stream_echo(res, st->opt))
        st->bytes += (long)strlen(oai_response_text(res));
    else if (st->failed++ == 0)
        fprintf(stderr, "bench " IMPL ": %s (HTTP %d): %s\n",
                oai_status_name(oai_response_status(res)),
                oai_response_http_status(res),
                oai_response_error_message(res) ? oai_response_error_message(res) : "");
    oai_response_free(res);
    oai_call_free(call);
}

static int streams_round(oai_client *c, streams_state *st, const char *prompt, long n)
{
    const bench_options *opt = st->opt;
    stream_call *calls = bench_calloc((size_t)n, sizeof *calls);
    int rc = calls ? 0 : -1;
    st->done = st->failed = 0;
    for (long i = 0; rc == 0 && i < n; i++) {
        calls[i].st = st;
        oai_request *req = chat_request(prompt);
        if (!req || oai_request_set_event_callback(req, on_stream_event, &calls[i]) != OAI_OK ||
            (opt->server == BENCH_SERVER_MOCK && opt->stream_pieces > 0 &&
             oai_request_set_int(req, "/mock_stream_pieces", opt->stream_pieces) != OAI_OK) ||
            !oai_client_start(c, req, on_stream_done, &calls[i]))
            rc = -1;
        oai_request_free(req);
    }
    int running;
    do {
        running = oai_client_poll(c, -1);
    } while (running > 0);
    if (running != 0 || st->done != n || st->failed != 0)
        rc = -1;
    bench_free(calls);
    return rc;
}

static int run_streams(oai_client *c, const bench_options *opt, bench_result *r)
{
    char *prompt = bench_stream_prompt(opt);
    streams_state st;
    memset(&st, 0, sizeof st);
    st.opt = opt;
    /* warm-up: one stream, which opens a connection */
    int rc = prompt && streams_round(c, &st, prompt, 1) == 0 ? 0 : -1;
    st.events = st.bytes = st.receiving_peak = 0;
    bench_clock timer;
    size_t base = bench_heap_mark();
    bench_clock_start(&timer);
    if (rc == 0)
        rc = streams_round(c, &st, prompt, opt->concurrency);
    bench_clock_stop(&timer, r);
    r->heap_kb = (long)((bench_heap_peak() - base) / 1024);
    r->receiving_peak = st.receiving_peak;
    r->requests = opt->concurrency;
    r->events = st.events;
    r->bytes = st.bytes;
    free(prompt);
    return rc;
}

typedef struct round_state {
    long done;
    long failed;
} round_state;

static void on_done(void *userdata, oai_call *call, oai_response *res)
{
    round_state *st = userdata;
    st->done++;
    if (!is_echo(res, BENCH_SHORT_PROMPT))
        st->failed++;
    oai_response_free(res);
    oai_call_free(call);
}

/* Starts `n` calls at once and polls until every one has ended. */
static int run_round(oai_client *c, long n)
{
    round_state st = {0, 0};
    for (long i = 0; i < n; i++) {
        oai_request *req = chat_request(BENCH_SHORT_PROMPT);
        oai_call *call = req ? oai_client_start(c, req, on_done, &st) : NULL;
        oai_request_free(req);
        if (!call)
            return -1;
    }
    int running;
    do {
        running = oai_client_poll(c, -1);
    } while (running > 0);
    return running == 0 && st.done == n && st.failed == 0 ? 0 : -1;
}

static int run_concurrent(oai_client *c, const bench_options *opt, bench_result *r)
{
    if (run_round(c, opt->concurrency) != 0) /* warm-up: opens the connections */
        return -1;
    bench_clock timer;
    bench_clock_start(&timer);
    for (long i = 0; i < opt->rounds; i++) {
        if (run_round(c, opt->concurrency) != 0)
            return -1;
        r->requests += opt->concurrency;
    }
    bench_clock_stop(&timer, r);
    return 0;
}

int main(int argc, char **argv)
{
    bench_options opt;
    if (bench_parse_args(argc, argv, &opt) != 0)
        return 2;
    /* streams counts the heap: everything the library allocates (libcurl,
     * jansson and OpenSSL included) goes through the counting allocator */
    if (opt.workload == BENCH_STREAMS) {
        bench_heap_start();
        if (oai_set_allocator(bench_malloc_ud, bench_realloc_ud, bench_free_ud, NULL) != OAI_OK)
            return bench_fail(IMPL, "oai_set_allocator failed");
    }
    oai_client *c = new_client(opt.base_url);
    if (!c)
        return bench_fail(IMPL, "cannot create the client");
    bench_result r;
    bench_result_init(&r);
    int rc = opt.workload == BENCH_SEQUENTIAL ? run_sequential(c, &opt, &r)
             : opt.workload == BENCH_STREAM   ? run_stream(c, &opt, &r)
             : opt.workload == BENCH_STREAMS  ? run_streams(c, &opt, &r)
                                              : run_concurrent(c, &opt, &r);
    oai_client_free(c);
    if (rc != 0)
        return bench_fail(IMPL, "a call failed or returned an unexpected answer");
    bench_print_result(IMPL, &opt, &r);
    return 0;
}
