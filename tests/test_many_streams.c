/* Many streams at once through the built-in libcurl transport (issue 10).
 * With many calls in flight the engine takes in about a slice per call per
 * round of I/O (it pauses a call once a slice waits in its inbox) and the
 * curl transport gives each transfer a small receive buffer, so that a
 * thousand streams do not each hold their whole answer at once. None of
 * that may change what a caller sees: every stream must deliver the same
 * events and the same text as the same stream run alone, with callbacks
 * and with the pull API, and a call cancelled among them must end
 * cancelled without disturbing the others.
 *
 * The answers come from the mock server on loopback, each cut into many
 * pieces, so that a stream spans several reads and several pauses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_server.h"
#include "oai.h"

#define STREAMS 150  /* above the engine's and the transport's "many" (64, 16) */
#define PIECES 400   /* asked of the mock: at most a word per piece */
#define CANCELLED 37 /* this one cancels itself after a few events */

static mock_server *server;

typedef struct stream_run {
    char prompt[2400];
    size_t events;
    size_t text_events;
    char *text; /* the text deltas, concatenated */
    size_t text_len;
    oai_response *res;
    int done;
    int cancel_after; /* > 0: the event callback returns non-zero at this event */
} stream_run;

static int on_event(void *ud, const oai_event *ev)
{
    stream_run *s = ud;
    s->events++;
    if (oai_event_type_of(ev) == OAI_EVENT_TEXT) {
        const char *t = oai_event_text(ev);
        size_t n = t ? strlen(t) : 0;
        s->text = realloc(s->text, s->text_len + n + 1);
        assert_non_null(s->text);
        memcpy(s->text + s->text_len, t, n);
        s->text_len += n;
        s->text[s->text_len] = '\0';
        s->text_events++;
    }
    return s->cancel_after > 0 && s->events >= (size_t)s->cancel_after;
}

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    stream_run *s = ud;
    s->res = res;
    s->done = 1;
    oai_call_free(call);
}

static oai_client *new_client(void)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, mock_server_url(server)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-test-many"), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(c, 0), OAI_OK);
    return c;
}

static oai_request *stream_request(stream_run *s, size_t i, int pull)
{
    /* 300 words: a stream of 300 pieces, one word each, about 45 KB. */
    size_t at = (size_t)snprintf(s->prompt, sizeof s->prompt, "stream %zu:", i);
    for (size_t w = 0; w < 300; w++)
        at += (size_t)snprintf(s->prompt + at, sizeof s->prompt - at, " w%zu", (i * 7919 + w) % 1000);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    assert_int_equal(oai_chat_request_add_message(req, "user", s->prompt), OAI_OK);
    assert_int_equal(oai_request_set_int(req, "/mock_stream_pieces", PIECES), OAI_OK);
    if (pull)
        assert_int_equal(oai_request_set_stream(req, 1), OAI_OK);
    else
        assert_int_equal(oai_request_set_event_callback(req, on_event, s), OAI_OK);
    return req;
}

/* What one stream alone gives: its events and its text. */
static void run_alone(stream_run *s)
{
    oai_client *c = new_client();
    oai_request *req = stream_request(s, 0, 0);
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(c);
}

static void check_like_alone(const stream_run *s, const stream_run *alone, const char *how)
{
    char want[2500];
    snprintf(want, sizeof want, "Echo: %s", s->prompt);
    if (!s->res || oai_response_status(s->res) != OAI_OK)
        fail_msg("%s: %s (%s)", how, s->res ? oai_status_name(oai_response_status(s->res)) : "no response",
                 s->res && oai_response_error_message(s->res) ? oai_response_error_message(s->res) : "");
    assert_string_equal(oai_response_text(s->res), want);
    assert_non_null(s->text);
    assert_string_equal(s->text, want);
    assert_int_equal(s->events, alone->events);
    assert_int_equal(s->text_events, alone->text_events);
}

static void test_many_streams_with_callbacks(void **state)
{
    (void)state;
    stream_run alone = {0};
    run_alone(&alone);
    assert_true(alone.text_events >= 100); /* many pieces: several reads per stream */

    stream_run *runs = calloc(STREAMS, sizeof *runs);
    oai_request **reqs = calloc(STREAMS, sizeof *reqs);
    assert_true(runs && reqs);
    oai_client *c = new_client();
    for (size_t i = 0; i < STREAMS; i++) {
        if (i == CANCELLED)
            runs[i].cancel_after = 5;
        reqs[i] = stream_request(&runs[i], i, 0);
        assert_non_null(oai_client_start(c, reqs[i], on_done, &runs[i]));
    }
    size_t done = 0;
    for (int polls = 0; done < STREAMS && polls < 100000; polls++) {
        assert_true(oai_client_poll(c, 100) >= 0);
        done = 0;
        for (size_t i = 0; i < STREAMS; i++)
            done += (size_t)runs[i].done;
    }
    assert_int_equal(done, STREAMS);
    for (size_t i = 0; i < STREAMS; i++) {
        if (i == CANCELLED) {
            assert_int_equal(oai_response_status(runs[i].res), OAI_ERR_CANCELLED);
            assert_int_equal(runs[i].events, 5);
        } else {
            check_like_alone(&runs[i], &alone, "callbacks");
        }
        oai_response_free(runs[i].res);
        oai_request_free(reqs[i]);
        free(runs[i].text);
    }
    oai_client_free(c);
    free(runs);
    free(reqs);
    free(alone.text);
}

/* The pull API: events wait in each call's queue until the host takes
 * them, a few calls at a time, while the others' exchanges are paused. */
static void test_many_streams_pulled(void **state)
{
    (void)state;
    stream_run alone = {0};
    run_alone(&alone);

    stream_run *runs = calloc(STREAMS, sizeof *runs);
    oai_request **reqs = calloc(STREAMS, sizeof *reqs);
    oai_call **calls = calloc(STREAMS, sizeof *calls);
    assert_true(runs && reqs && calls);
    oai_client *c = new_client();
    for (size_t i = 0; i < STREAMS; i++) {
        reqs[i] = stream_request(&runs[i], i, 1);
        calls[i] = oai_client_start(c, reqs[i], NULL, NULL);
        assert_non_null(calls[i]);
    }
    size_t done = 0;
    for (int polls = 0; done < STREAMS && polls < 100000; polls++) {
        assert_true(oai_client_poll(c, 100) >= 0);
        done = 0;
        for (size_t i = 0; i < STREAMS; i++) {
            if (runs[i].done) {
                done++;
                continue;
            }
            const oai_event *ev = NULL;
            while (oai_call_next_event(calls[i], &ev) == OAI_OK && ev)
                on_event(&runs[i], ev);
            if (oai_call_is_done(calls[i])) {
                runs[i].res = oai_call_take_response(calls[i]);
                runs[i].done = 1;
                done++;
            }
        }
    }
    assert_int_equal(done, STREAMS);
    for (size_t i = 0; i < STREAMS; i++) {
        check_like_alone(&runs[i], &alone, "pulled");
        oai_response_free(runs[i].res);
        oai_call_free(calls[i]);
        oai_request_free(reqs[i]);
        free(runs[i].text);
    }
    oai_client_free(c);
    free(runs);
    free(reqs);
    free(calls);
    free(alone.text);
}

static int group_setup(void **state)
{
    (void)state;
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_LOG");
    server = mock_server_start();
    return server ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    mock_server_stop(server);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_streams_with_callbacks),
        cmocka_unit_test(test_many_streams_pulled),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
