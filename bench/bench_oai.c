/* The three benchmark workloads written with oai, as an application would
 * write them: a request built per call with the endpoint helpers, sent with
 * oai_client_send() (or started with oai_client_start() and driven with
 * oai_client_poll()), the answer read with oai_response_text().
 *
 *   bench_oai sequential|stream|concurrent BASE_URL [options]  (see bench_common.h)
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

static int run_stream(oai_client *c, const bench_options *opt, bench_result *r)
{
    char *prompt = bench_long_prompt((size_t)opt->stream_bytes);
    if (!prompt)
        return -1;
    bench_clock timer;
    bench_clock_start(&timer);
    oai_request *req = chat_request(prompt);
    int ok = req && oai_request_set_event_callback(req, count_event, r) == OAI_OK &&
             (opt->stream_pieces == 0 ||
              oai_request_set_int(req, "/mock_stream_pieces", opt->stream_pieces) == OAI_OK);
    oai_response *res = ok ? oai_client_send(c, req) : NULL;
    ok = res && is_echo(res, prompt);
    bench_clock_stop(&timer, r);
    r->requests = 1;
    r->bytes = ok ? (long)strlen(oai_response_text(res)) : 0;
    if (!ok && res)
        fprintf(stderr, "bench " IMPL ": %s: %s\n", oai_status_name(oai_response_status(res)),
                oai_response_error_message(res) ? oai_response_error_message(res) : "");
    oai_response_free(res);
    oai_request_free(req);
    free(prompt);
    return ok ? 0 : -1;
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
    oai_client *c = new_client(opt.base_url);
    if (!c)
        return bench_fail(IMPL, "cannot create the client");
    bench_result r;
    memset(&r, 0, sizeof r);
    int rc = opt.workload == BENCH_SEQUENTIAL ? run_sequential(c, &opt, &r)
             : opt.workload == BENCH_STREAM   ? run_stream(c, &opt, &r)
                                              : run_concurrent(c, &opt, &r);
    oai_client_free(c);
    if (rc != 0)
        return bench_fail(IMPL, "a call failed or returned an unexpected answer");
    bench_print_result(IMPL, &opt, &r);
    return 0;
}
