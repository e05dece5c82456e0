/* The pull API and caller-owned calls (issue 9, items 2 and 3): a host
 * drives calls and streams with no callback at all (oai_call_is_done,
 * oai_call_take_response, oai_call_next_event), owns each call until
 * oai_call_free(), and bounds the work of one poll. Back-pressure keeps the
 * event queue and the unread body bounded, on the in-memory transport
 * (deterministic, simulated clock) and through libcurl (real pause). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory_transport.h"
#include "mock_server.h"
#include "oai.h"

#define CHUNK(text) "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" text "\"}}]}\n\n"
#define STOP "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
#define SSE_DONE "data: [DONE]\n\n"
#define CHAT_BODY "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\"}," \
                  "\"finish_reason\":\"stop\"}]}"

/* The events a call handed out, as one line each ("t:TEXT", "done", ...). */
typedef struct taken {
    char *log;
    size_t len, cap;
    int count;
} taken;

static void taken_add(taken *t, const char *s, size_t n)
{
    if (t->len + n + 2 > t->cap) {
        t->cap = (t->len + n + 2) * 2;
        t->log = realloc(t->log, t->cap);
        assert_non_null(t->log);
    }
    memcpy(t->log + t->len, s, n);
    t->len += n;
    t->log[t->len++] = '|';
    t->log[t->len] = '\0';
}

/* Takes every event waiting now; returns how many. */
static int take_events(oai_call *call, taken *t)
{
    int n = 0;
    const oai_event *ev = NULL;
    for (;;) {
        assert_int_equal(oai_call_next_event(call, &ev), OAI_OK);
        if (!ev)
            return n;
        n++;
        t->count++;
        switch (oai_event_type_of(ev)) {
        case OAI_EVENT_TEXT: {
            char line[256];
            int len = snprintf(line, sizeof line, "t:%.*s", (int)oai_event_text_len(ev), oai_event_text(ev));
            taken_add(t, line, (size_t)len);
            break;
        }
        case OAI_EVENT_DONE:
            taken_add(t, "done", 4);
            break;
        case OAI_EVENT_ERROR:
            taken_add(t, "error", 5);
            break;
        default:
            taken_add(t, "o", 1);
            break;
        }
    }
}

static oai_client *memory_client(memory_transport **mt_out)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, "http://127.0.0.1:9/v1"), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-pull"), OAI_OK);
    memory_transport *mt = memory_transport_new();
    assert_non_null(mt);
    *mt_out = mt;
    return c;
}

static void attach(memory_transport *mt, oai_client *c)
{
    assert_int_equal(memory_transport_attach(mt, c), OAI_OK);
}

static void close_memory(memory_transport *mt, oai_client *c)
{
    oai_client_free(c);
    assert_int_equal(memory_transport_violations(mt), 0);
    memory_transport_free(mt);
}

static oai_request *pull_chat(void)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    assert_int_equal(oai_chat_request_add_message(req, "user", "hi"), OAI_OK);
    assert_int_equal(oai_request_set_stream(req, 1), OAI_OK);
    return req;
}

/* A stream of `count` one-word chunks ("w0", "w1", ...), then stop and
 * [DONE]; the strings live until free_big_stream(). */
static mock_reply big_stream(int count, char ***keep)
{
    char **chunks = calloc((size_t)count + 2, sizeof *chunks);
    assert_non_null(chunks);
    for (int i = 0; i < count; i++) {
        char text[128];
        snprintf(text, sizeof text, CHUNK("w%d "), i);
        chunks[i] = strdup(text);
    }
    chunks[count] = strdup(STOP);
    chunks[count + 1] = strdup(SSE_DONE);
    *keep = chunks;
    mock_reply r = {.status = 200, .content_type = "text/event-stream", .chunks = (const char *const *)chunks,
                    .chunk_count = (size_t)count + 2};
    return r;
}

static void free_big_stream(char **chunks, int count)
{
    for (int i = 0; i < count + 2; i++)
        free(chunks[i]);
    free(chunks);
}

/* Every word of a big stream arrived, once and in order. */
static void assert_words_in_order(const taken *t, int count)
{
    const char *p = t->log;
    for (int i = 0; i < count; i++) {
        char want[32];
        snprintf(want, sizeof want, "t:w%d |", i);
        const char *at = strstr(p, want);
        if (!at)
            fail_msg("word %d missing or out of order", i);
        p = at + strlen(want);
    }
    assert_non_null(strstr(p, "done|"));
}

/* ---- no callback at all --------------------------------------------------- */

static void test_pull_stream_and_response(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    attach(mt, c);
    mock_reply r = {.status = 200, .content_type = "text/event-stream",
                    .chunks = (const char *const[]){CHUNK("Hello"), CHUNK(" there"), STOP, SSE_DONE},
                    .chunk_count = 4, .chunk_delay_ms = 5};
    assert_int_equal(memory_transport_push(mt, &r), 0);
    oai_request *req = pull_chat();
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    assert_non_null(call);
    assert_false(oai_call_is_done(call));
    assert_null(oai_call_take_response(call));
    assert_int_equal(oai_call_status(call), OAI_OK);
    taken t = {0};
    int polls = 0;
    while ((!oai_call_is_done(call) || take_events(call, &t) > 0) && polls < 1000) {
        oai_client_poll(c, 10);
        take_events(call, &t);
        polls++;
    }
    assert_string_equal(t.log, "t:Hello|t: there|o|done|");
    /* The request asked for a stream, with no event callback. */
    assert_non_null(strstr(memory_transport_request(mt, 0)->body, "\"stream\":true"));
    assert_string_equal(mock_request_header(memory_transport_request(mt, 0), "accept"), "text/event-stream");
    assert_int_equal(oai_call_status(call), OAI_OK);
    oai_response *res = oai_call_take_response(call);
    assert_non_null(res);
    assert_string_equal(oai_response_text(res), "Hello there");
    assert_null(oai_call_take_response(call)); /* handed over once */
    oai_response_free(res);
    const oai_event *ev = (const oai_event *)&ev;
    assert_int_equal(oai_call_next_event(call, &ev), OAI_OK);
    assert_null(ev);
    oai_call_free(call);
    free(t.log);
    close_memory(mt, c);
}

static void test_pull_plain_call(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    attach(mt, c);
    mock_reply r = {.status = 200, .body = CHAT_BODY};
    assert_int_equal(memory_transport_push(mt, &r), 0);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    while (!oai_call_is_done(call))
        assert_true(oai_client_poll(c, 10) >= 0);
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Hi there");
    oai_response_free(res);
    oai_call_free(call);
    /* NULL-safety of the pull API. */
    assert_true(oai_call_is_done(NULL));
    assert_null(oai_call_take_response(NULL));
    assert_int_equal(oai_call_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_call_next_event(NULL, NULL), OAI_ERR_INVALID_ARGUMENT);
    oai_call_free(NULL);
    close_memory(mt, c);
}

/* ---- ownership -------------------------------------------------------------- */

typedef struct counted {
    int done;
    oai_call *free_here; /* freed from inside the done callback */
} counted;

static void count_done(void *ud, oai_call *call, oai_response *res)
{
    counted *n = ud;
    n->done++;
    oai_response_free(res);
    if (n->free_here == call)
        oai_call_free(call);
}

static void test_call_ownership(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    attach(mt, c);
    mock_reply slow = {.status = 200, .body = CHAT_BODY, .delay_ms = 1000};
    mock_reply ok = {.status = 200, .body = CHAT_BODY};
    assert_int_equal(memory_transport_push(mt, &slow), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    counted n = {0, NULL};

    /* Freeing a running call cancels it silently: no callback. */
    oai_call *running = oai_client_start(c, req, count_done, &n);
    assert_int_equal(oai_client_poll(c, 0), 1);
    oai_call_free(running);
    while (oai_client_poll(c, 10) > 0)
        ;
    assert_int_equal(n.done, 0);
    assert_int_equal(memory_transport_cancels(mt), 1);

    /* A finished call stays valid: cancel is a no-op, take is NULL (the
     * callback had the response), free is safe. */
    oai_call *finished = oai_client_start(c, req, count_done, &n);
    while (!oai_call_is_done(finished))
        oai_client_poll(c, 10);
    assert_int_equal(n.done, 1);
    oai_call_cancel(finished);
    assert_null(oai_call_take_response(finished));
    assert_int_equal(oai_call_status(finished), OAI_OK);
    oai_call_free(finished);

    /* Freed inside its own done callback. */
    n.free_here = oai_client_start(c, req, count_done, &n);
    while (oai_client_poll(c, 10) > 0)
        ;
    assert_int_equal(n.done, 2);

    /* A call outlives its client: ended, cancelled, still the caller's. */
    mock_reply never = {.status = 200, .body = CHAT_BODY, .delay_ms = 60000};
    assert_int_equal(memory_transport_push(mt, &never), 0);
    oai_call *orphan = oai_client_start(c, req, NULL, NULL);
    assert_int_equal(oai_client_poll(c, 0), 1);
    oai_request_free(req);
    close_memory(mt, c);
    assert_true(oai_call_is_done(orphan));
    assert_int_equal(oai_call_status(orphan), OAI_ERR_CANCELLED);
    oai_response *res = oai_call_take_response(orphan);
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    oai_response_free(res);
    oai_call_cancel(orphan);
    oai_call_free(orphan);
}

/* ---- no callback after oai_call_free() ------------------------------------------ */

/* Each callback frees its own call at its first run, as a host whose
 * userdata dies with the call would: no callback of that call may run
 * again, though the transport keeps delivering in the same I/O round (one
 * byte per delivery) and the inbox holds more slices. */
typedef struct self_freeing {
    oai_call *call;
    int runs;
} self_freeing;

static void free_at_first_run(self_freeing *f)
{
    if (f->runs++ == 0)
        oai_call_free(f->call);
}

static int free_on_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    (void)sent, (void)send_total, (void)received, (void)receive_total;
    free_at_first_run(ud);
    return 0;
}

static int free_on_data(void *ud, const char *data, size_t len)
{
    (void)data, (void)len;
    free_at_first_run(ud);
    return 0;
}

static int free_on_stream_event(void *ud, const oai_event *ev)
{
    (void)ev;
    free_at_first_run(ud);
    return 0;
}

static void test_no_callback_after_free(void **state)
{
    (void)state;
    enum { WORDS = 400 };
    char **chunks;
    mock_reply stream = big_stream(WORDS, &chunks);
    static char big[3 * 4096 + 100];
    memset(big, 'x', sizeof big - 1);
    mock_reply data = {.status = 200, .body = big, .content_type = "application/octet-stream"};
    for (int kind = 0; kind < 3; kind++) {
        memory_transport *mt;
        oai_client *c = memory_client(&mt);
        memory_transport_set_split_bytes(mt, kind == 0);
        attach(mt, c);
        assert_int_equal(memory_transport_push(mt, kind == 2 ? &stream : &data), 0);
        self_freeing f = {NULL, 0};
        oai_request *req = kind == 2 ? pull_chat() : oai_request_new("GET", "/blob");
        if (kind == 0)
            assert_int_equal(oai_request_set_progress_callback(req, free_on_progress, &f), OAI_OK);
        else if (kind == 1)
            assert_int_equal(oai_request_set_data_callback(req, free_on_data, &f), OAI_OK);
        else
            assert_int_equal(oai_request_set_event_callback(req, free_on_stream_event, &f), OAI_OK);
        f.call = oai_client_start(c, req, NULL, NULL);
        assert_non_null(f.call);
        oai_request_free(req);
        for (int i = 0; i < 100 && oai_client_poll(c, 10) > 0; i++)
            ;
        assert_int_equal(oai_client_poll(c, 0), 0);
        assert_int_equal(f.runs, 1);
        close_memory(mt, c);
    }
    free_big_stream(chunks, WORDS);
}

/* ---- back-pressure ------------------------------------------------------------ */

/* A host that does not take events: the queue stops at its limit (plus at
 * most one slice of the body), the exchange is paused, nothing is lost; once
 * the host takes them, the stream goes on to the end. */
static void test_pull_queue_back_pressure(void **state)
{
    (void)state;
    enum { WORDS = 5000 };
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    attach(mt, c);
    char **chunks;
    mock_reply r = big_stream(WORDS, &chunks);
    assert_int_equal(memory_transport_push(mt, &r), 0);
    free_big_stream(chunks, WORDS);
    oai_request *req = pull_chat();
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    for (int i = 0; i < 50; i++)
        assert_true(oai_client_poll(c, 10) >= 0);
    assert_false(oai_call_is_done(call));
    assert_true(memory_transport_pauses(mt) >= 1);
    taken t = {0};
    int first = take_events(call, &t);
    print_message("queued while not taken: %d events\n", first);
    /* Bounded by the queue's limit (plus one slice of the body), whichever
     * of the queue and the unread body stopped the stream first. */
    assert_true(first > 0);
    assert_true(first < 1024 + 100);
    while (!oai_call_is_done(call) || take_events(call, &t) > 0) {
        assert_true(oai_client_poll(c, 10) >= 0);
        take_events(call, &t);
    }
    assert_true(memory_transport_resumes(mt) >= 1);
    assert_words_in_order(&t, WORDS);
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_call_free(call);
    free(t.log);
    close_memory(mt, c);
}

/* Without a pause callback the body waits in the engine, up to the client's
 * response size limit: beyond it the call fails, loudly. */
static void test_no_pause_is_bounded_by_the_size_limit(void **state)
{
    (void)state;
    enum { WORDS = 20000 };
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    memory_transport_set_has_pause(mt, 0);
    attach(mt, c);
    assert_int_equal(oai_client_set_max_response_bytes(c, 256 * 1024), OAI_OK);
    char **chunks;
    mock_reply r = big_stream(WORDS, &chunks);
    assert_int_equal(memory_transport_push(mt, &r), 0);
    free_big_stream(chunks, WORDS);
    oai_request *req = pull_chat();
    oai_request_set_accumulate(req, 0);
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    for (int i = 0; i < 100 && !oai_call_is_done(call); i++)
        assert_true(oai_client_poll(c, 10) >= 0);
    assert_true(oai_call_is_done(call));
    assert_int_equal(oai_call_status(call), OAI_ERR_TOO_LARGE);
    oai_call_free(call);
    close_memory(mt, c);
}

/* ---- the poll budget ------------------------------------------------------------ */

typedef struct per_poll {
    int events;
    int max_per_poll;
    int now;
} per_poll;

static int count_event(void *ud, const oai_event *ev)
{
    per_poll *p = ud;
    (void)ev;
    p->events++;
    p->now++;
    return 0;
}

/* With a budget, one poll hands out about one slice of a body that is all
 * there at once; nothing is lost or reordered, and without a budget one poll
 * hands out everything it has. */
static void test_poll_budget(void **state)
{
    (void)state;
    enum { WORDS = 2000 };
    for (int budgeted = 1; budgeted >= 0; budgeted--) {
        memory_transport *mt;
        oai_client *c = memory_client(&mt);
        memory_transport_set_has_pause(mt, 0);
        attach(mt, c);
        if (budgeted)
            assert_int_equal(oai_client_set_poll_budget_us(c, 1), OAI_OK);
        char **chunks;
        mock_reply r = big_stream(WORDS, &chunks);
        assert_int_equal(memory_transport_push(mt, &r), 0);
        free_big_stream(chunks, WORDS);
        per_poll p = {0, 0, 0};
        oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
        oai_request_set_event_callback(req, count_event, &p);
        oai_call *call = oai_client_start(c, req, NULL, NULL);
        oai_request_free(req);
        int polls = 0;
        while (!oai_call_is_done(call) && polls < 10000) {
            p.now = 0;
            assert_true(oai_client_poll(c, 0) >= 0);
            if (p.now > p.max_per_poll)
                p.max_per_poll = p.now;
            polls++;
        }
        print_message("%s: %d polls, at most %d events in one\n", budgeted ? "1 us budget" : "no budget", polls,
                      p.max_per_poll);
        assert_int_equal(p.events, WORDS + 2); /* the words, the finish (other), done */
        if (budgeted)
            assert_true(p.max_per_poll <= 100);
        else
            assert_true(p.max_per_poll >= WORDS);
        oai_response *res = oai_call_take_response(call);
        assert_int_equal(oai_response_status(res), OAI_OK);
        oai_response_free(res);
        assert_int_equal(oai_client_set_poll_budget_us(c, -1), OAI_ERR_INVALID_ARGUMENT);
        oai_call_free(call);
        close_memory(mt, c);
    }
}

/* Under a budget, a poll begins at most budget / 200 us exchanges (one at
 * least); the others wait in the order they were started, a queued call
 * can be cancelled or freed, and an event loop is woken at once to go on. */
typedef struct order {
    int done[32];
    int count;
} order;

static void note_done(void *ud, oai_call *call, oai_response *res)
{
    (void)call;
    order *o = ud;
    o->done[o->count++] = (int)oai_response_get_int(res, "/n");
    oai_response_free(res);
}

static int note_timer(void *ud, int64_t timeout_ms)
{
    *(int64_t *)ud = timeout_ms;
    return 0;
}

static void test_budget_admits_starts_in_order(void **state)
{
    (void)state;
    enum { CALLS = 20 };
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    attach(mt, c);
    assert_int_equal(oai_client_set_poll_budget_us(c, 1000), OAI_OK); /* 5 starts per poll */
    static char bodies[CALLS][32];
    for (int i = 0; i < CALLS; i++) {
        snprintf(bodies[i], sizeof bodies[i], "{\"n\":%d}", i);
        mock_reply r = {.status = 200, .body = bodies[i], .delay_ms = 5};
        assert_int_equal(memory_transport_push(mt, &r), 0);
    }
    order o = {{0}, 0};
    oai_request *req = oai_request_new("GET", "/n");
    oai_call *calls[CALLS + 2];
    for (int i = 0; i < CALLS; i++)
        calls[i] = oai_client_start(c, req, note_done, &o);
    /* Two more, cancelled and freed while they wait. */
    calls[CALLS] = oai_client_start(c, req, NULL, NULL);
    calls[CALLS + 1] = oai_client_start(c, req, note_done, &o);
    oai_request_free(req);
    assert_int_equal(memory_transport_in_flight(mt), 5);
    oai_call_cancel(calls[CALLS]);
    oai_call_free(calls[CALLS + 1]);
    int polls = 0;
    size_t begun = memory_transport_request_count(mt);
    while (oai_client_poll(c, 0) > 0) {
        polls++;
        assert_true(polls < 1000);
        size_t now = memory_transport_request_count(mt);
        assert_true(now - begun <= 5); /* five begun per poll at most */
        begun = now;
        memory_transport_advance_us(mt, 1000);
    }
    assert_true(polls >= CALLS / 5);
    assert_int_equal(o.count, CALLS); /* no callback for the freed one */
    for (int i = 0; i < CALLS; i++)
        assert_int_equal(o.done[i], i); /* begun, hence answered, in the order started */
    assert_true(oai_call_is_done(calls[CALLS]));
    assert_int_equal(oai_call_status(calls[CALLS]), OAI_ERR_CANCELLED);
    assert_int_equal(memory_transport_request_count(mt), CALLS);
    for (int i = 0; i <= CALLS; i++)
        oai_call_free(calls[i]);

    /* In an event loop, a start left waiting asks for a timer at once. */
    int64_t timer = -1;
    assert_int_equal(oai_client_set_timer_callback(c, note_timer, &timer), OAI_OK);
    mock_reply slow = {.status = 200, .body = "{\"n\":0}", .delay_ms = 1000};
    for (int i = 0; i < 6; i++)
        assert_int_equal(memory_transport_push(mt, &slow), 0);
    req = oai_request_new("GET", "/n");
    for (int i = 0; i < 6; i++)
        calls[i] = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    assert_int_equal(memory_transport_in_flight(mt), 5);
    assert_int_equal(timer, 0);
    assert_true(oai_client_socket_action(c, OAI_SOCKET_TIMEOUT, 0) >= 0);
    assert_int_equal(memory_transport_in_flight(mt), 6);
    for (int i = 0; i < 6; i++)
        oai_call_free(calls[i]);
    close_memory(mt, c);
}

/* ---- through libcurl ------------------------------------------------------------ */

#if OAI_TEST_WITH_CURL

/* The real transport pauses too: 2 MB streamed at a host that takes no
 * events for a while, with a 512 KiB response limit that the waiting body
 * would pass without a working pause. */
static void test_pull_through_libcurl(void **state)
{
    (void)state;
    enum { WORDS = 20000 };
    mock_server *ms = mock_server_start();
    assert_non_null(ms);
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_set_base_url(c, mock_server_url(ms)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-pull"), OAI_OK);
    assert_int_equal(oai_client_set_max_response_bytes(c, 512 * 1024), OAI_OK);
    char **chunks;
    mock_reply r = big_stream(WORDS, &chunks);
    mock_server_push(ms, &r);
    free_big_stream(chunks, WORDS);
    oai_request *req = pull_chat();
    oai_request_set_accumulate(req, 0);
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    for (int i = 0; i < 100; i++)
        assert_true(oai_client_poll(c, 5) >= 0);
    taken t = {0};
    int first = take_events(call, &t);
    print_message("libcurl: queued while not taken: %d events\n", first);
    assert_true(first <= 1024 + 100);
    while (!oai_call_is_done(call) || take_events(call, &t) > 0) {
        assert_true(oai_client_poll(c, 10) >= 0);
        take_events(call, &t);
    }
    assert_int_equal(oai_call_status(call), OAI_OK);
    assert_words_in_order(&t, WORDS);
    oai_call_free(call);
    free(t.log);

    /* And the default server's stream, pulled. */
    req = pull_chat();
    call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    taken u = {0};
    while (!oai_call_is_done(call)) {
        oai_client_poll(c, 10);
        take_events(call, &u);
    }
    take_events(call, &u);
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: hi");
    assert_non_null(strstr(u.log, "done|"));
    oai_response_free(res);
    oai_call_free(call);
    free(u.log);
    oai_client_free(c);
    mock_server_stop(ms);
}

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pull_stream_and_response),
        cmocka_unit_test(test_pull_plain_call),
        cmocka_unit_test(test_call_ownership),
        cmocka_unit_test(test_no_callback_after_free),
        cmocka_unit_test(test_pull_queue_back_pressure),
        cmocka_unit_test(test_no_pause_is_bounded_by_the_size_limit),
        cmocka_unit_test(test_poll_budget),
        cmocka_unit_test(test_budget_admits_starts_in_order),
#if OAI_TEST_WITH_CURL
        cmocka_unit_test(test_pull_through_libcurl),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
