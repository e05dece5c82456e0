/* The engine with many calls in flight (issue 10, item 4): its per-call
 * bookkeeping does not grow with the calls in flight. A poll looks only at
 * the calls that have something to do (a timer due, bytes to hand out, an
 * end, a cancel), which the engine counts (oai__engine_visits()), so the
 * tests can hold it to that without timing anything: a thousand calls in
 * flight and one moving per poll cost a handful of visits per poll, not a
 * thousand. Timers come from a heap: many calls with distinct timeouts end
 * in deadline order, each exactly at its deadline on the in-memory
 * transport's clock, and an event loop's timer always names the nearest
 * one. And a streamed call in flight costs a few KiB of heap, counted by an
 * allocator given to oai_set_allocator() (this suite's first act). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "memory_transport.h"
#include "oai.h"

/* ---- a counting allocator ---------------------------------------------------- */

/* Each block carries its size in front, so that live bytes are exact
 * whatever the allocator underneath (libc's, a sanitizer's, valgrind's). */
#define HEADER 16
static size_t live_bytes;

static void *count_malloc(void *ud, size_t n)
{
    (void)ud;
    char *p = malloc(n + HEADER);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    live_bytes += n;
    return p + HEADER;
}

static void *count_realloc(void *ud, void *ptr, size_t n)
{
    (void)ud;
    if (!ptr)
        return count_malloc(ud, n);
    char *p = (char *)ptr - HEADER;
    size_t old;
    memcpy(&old, p, sizeof old);
    char *q = realloc(p, n + HEADER);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof n);
    live_bytes = live_bytes - old + n;
    return q + HEADER;
}

static void count_free(void *ud, void *ptr)
{
    (void)ud;
    char *p = (char *)ptr - HEADER;
    size_t old;
    memcpy(&old, p, sizeof old);
    live_bytes -= old;
    free(p);
}

/* ---- helpers ------------------------------------------------------------------ */

#define CHUNK(text) "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" text "\"}}]}\n\n"
#define STOP "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
#define SSE_DONE "data: [DONE]\n\n"

static oai_client *memory_client(memory_transport **mt)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, "http://127.0.0.1:9/v1"), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-scale"), OAI_OK);
    *mt = memory_transport_new();
    assert_non_null(*mt);
    assert_int_equal(memory_transport_attach(*mt, c), OAI_OK);
    return c;
}

static void close_memory(memory_transport *mt, oai_client *c)
{
    oai_client_free(c);
    assert_int_equal(memory_transport_violations(mt), 0);
    memory_transport_free(mt);
}

static oai_request *chat(void)
{
    oai_request *r = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(r);
    assert_int_equal(oai_chat_request_add_message(r, "user", "Say hello to the benchmark."), OAI_OK);
    return r;
}

/* ---- timers -------------------------------------------------------------------- */

enum { TIMED_CALLS = 300 };

typedef struct ended {
    memory_transport *mt;
    int order[TIMED_CALLS];
    int64_t at_us[TIMED_CALLS];
    int count;
} ended;

typedef struct timed_call {
    ended *log;
    int index;
} timed_call;

static void note_end(void *ud, oai_call *call, oai_response *res)
{
    timed_call *t = ud;
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    t->log->order[t->log->count] = t->index;
    t->log->at_us[t->log->count] = memory_transport_now_us(t->log->mt);
    t->log->count++;
    oai_response_free(res);
    oai_call_free(call);
}

/* The first-byte timeout of call i: distinct, in no particular order. */
static int64_t timeout_of(int i)
{
    return ((int64_t)i * 7919 % TIMED_CALLS + 1) * 10;
}

/* Hundreds of calls, each waiting on its own first-byte timeout (the
 * server never answers): they end in the order of their deadlines, each
 * exactly at it, and each poll looks at the one call whose timer fired. */
static void test_timers_fire_in_order(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    static ended log;
    static timed_call calls[TIMED_CALLS];
    memset(&log, 0, sizeof log);
    log.mt = mt;
    mock_reply stall = {.status = 200, .fault = MOCK_FAULT_STALL_BEFORE_RESPONSE, .stall_ms = -1};
    int64_t t0 = memory_transport_now_us(mt);
    for (int i = 0; i < TIMED_CALLS; i++) {
        assert_int_equal(memory_transport_push(mt, &stall), 0);
        oai_request *r = chat();
        assert_int_equal(oai_request_set_first_byte_timeout_ms(r, timeout_of(i)), OAI_OK);
        assert_int_equal(oai_request_set_max_retries(r, 0), OAI_OK);
        calls[i] = (timed_call){&log, i};
        assert_non_null(oai_client_start(c, r, note_end, &calls[i]));
        oai_request_free(r);
    }
    int polls = 0;
    unsigned long most = 0;
    while (log.count < TIMED_CALLS) {
        unsigned long before = oai__engine_visits(c);
        assert_true(oai_client_poll(c, -1) >= 0);
        unsigned long visits = oai__engine_visits(c) - before;
        if (visits > most)
            most = visits;
        assert_true(++polls < 10 * TIMED_CALLS);
    }
    print_message("%d timers: %d polls, at most %lu visits in one\n", TIMED_CALLS, polls, most);
    for (int k = 0; k < TIMED_CALLS; k++) {
        int i = log.order[k];
        if (k > 0)
            assert_true(timeout_of(log.order[k - 1]) < timeout_of(i));
        assert_int_equal(log.at_us[k] - t0, timeout_of(i) * 1000);
    }
    assert_true(most <= 8);
    close_memory(mt, c);
}

static int64_t host_timer_ms = -2;
static int host_timer_calls;

static int note_timer(void *ud, int64_t timeout_ms)
{
    (void)ud;
    host_timer_ms = timeout_ms;
    host_timer_calls++;
    return 0;
}

/* In an event loop, the host's one timer always names the nearest deadline
 * of the calls in flight, as they start and end. */
static void test_event_loop_timer_is_the_nearest_deadline(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    assert_int_equal(oai_client_set_timer_callback(c, note_timer, NULL), OAI_OK);
    mock_reply stall = {.status = 200, .fault = MOCK_FAULT_STALL_BEFORE_RESPONSE, .stall_ms = -1};
    static const int64_t timeouts[] = {300, 100, 200, 400};
    oai_call *calls[4];
    static const int64_t expect_after_start[] = {300, 100, 100, 100};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(memory_transport_push(mt, &stall), 0);
        oai_request *r = chat();
        assert_int_equal(oai_request_set_first_byte_timeout_ms(r, timeouts[i]), OAI_OK);
        assert_int_equal(oai_request_set_max_retries(r, 0), OAI_OK);
        calls[i] = oai_client_start(c, r, NULL, NULL);
        oai_request_free(r);
        assert_non_null(calls[i]);
        assert_int_equal(host_timer_ms, expect_after_start[i]);
    }
    /* The timer fires: the 100 ms call ends; next is the 200 ms one, and
     * so on; after the last, the fired one-shot timer is not set again. */
    static const int ends[] = {1, 2, 0, 3};
    static const int64_t next[] = {100, 100, 100};
    int64_t elapsed = 0;
    for (int k = 0; k < 4; k++) {
        memory_transport_advance_us(mt, host_timer_ms * 1000);
        elapsed += host_timer_ms;
        int calls_before = host_timer_calls;
        assert_true(oai_client_socket_action(c, OAI_SOCKET_TIMEOUT, 0) >= 0);
        assert_true(oai_call_is_done(calls[ends[k]]));
        assert_int_equal(oai_call_status(calls[ends[k]]), OAI_ERR_TIMEOUT);
        assert_int_equal(elapsed, timeouts[ends[k]]);
        for (int j = k + 1; j < 4; j++)
            assert_false(oai_call_is_done(calls[ends[j]]));
        if (k < 3)
            assert_int_equal(host_timer_ms, next[k]);
        else
            assert_int_equal(host_timer_calls, calls_before);
    }
    for (int i = 0; i < 4; i++)
        oai_call_free(calls[i]);
    close_memory(mt, c);
}

/* ---- one ready at a time ------------------------------------------------------------ */

enum { MANY = 1000 };

static int count_event(void *ud, const oai_event *ev)
{
    (void)ev;
    (*(long *)ud)++;
    return 0;
}

static void count_done(void *ud, oai_call *call, oai_response *res)
{
    long *done = ud;
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Hello");
    (*done)++;
    oai_response_free(res);
    oai_call_free(call);
}

/* A thousand streams in flight, the server answering them one after the
 * other: each poll hands out one stream and ends one call, and looks at no
 * more calls than that takes, however many wait. */
static void test_a_poll_touches_only_the_ready_calls(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    static const char *const chunks[] = {CHUNK("Hel"), CHUNK("lo"), STOP, SSE_DONE};
    long events = 0, done = 0;
    for (int i = 0; i < MANY; i++) {
        /* Answer i comes i + 1 ms after the start, all of it at once. */
        mock_reply r = {.status = 200, .content_type = "text/event-stream", .chunks = chunks, .chunk_count = 4,
                        .delay_ms = i + 1};
        assert_int_equal(memory_transport_push(mt, &r), 0);
        oai_request *req = chat();
        assert_int_equal(oai_request_set_event_callback(req, count_event, &events), OAI_OK);
        assert_non_null(oai_client_start(c, req, count_done, &done));
        oai_request_free(req);
    }
    assert_int_equal(memory_transport_in_flight(mt), MANY);
    int polls = 0;
    unsigned long most = 0, total = 0;
    while (done < MANY) {
        unsigned long before = oai__engine_visits(c);
        assert_true(oai_client_poll(c, -1) >= 0);
        unsigned long visits = oai__engine_visits(c) - before;
        total += visits;
        if (visits > most)
            most = visits;
        assert_true(++polls < 10 * MANY);
    }
    print_message("%d streams answered one at a time: %d polls, %lu visits (%.1f per poll, at most %lu)\n", MANY,
                  polls, total, (double)total / polls, most);
    assert_int_equal(events, 4L * MANY); /* two texts, the finish, done */
    assert_true(most <= 12);
    assert_true(total <= 8UL * (unsigned long)polls);
    close_memory(mt, c);
}

/* ---- memory per call ----------------------------------------------------------------- */

static void count_streamed(void *ud, oai_call *call, oai_response *res)
{
    long *done = ud;
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Hello there");
    (*done)++;
    oai_response_free(res);
    oai_call_free(call);
}

/* The heap a streamed call in flight holds in the library (the engine, its
 * response, stream and exchange; the in-memory transport's own bookkeeping
 * is not the library's and uses libc directly), measured with a thousand
 * of them after each has received its first event. */
static void test_heap_per_streamed_call(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    static const char *const chunks[] = {CHUNK("Hello"), CHUNK(" there"), STOP, SSE_DONE};
    long events = 0, done = 0;
    mock_reply r = {.status = 200, .content_type = "text/event-stream", .chunks = chunks, .chunk_count = 4,
                    .chunk_delay_ms = 1000};
    for (int i = 0; i < MANY; i++)
        assert_int_equal(memory_transport_push(mt, &r), 0);
    size_t base = live_bytes;
    for (int i = 0; i < MANY; i++) {
        oai_request *req = chat();
        assert_int_equal(oai_request_set_event_callback(req, count_event, &events), OAI_OK);
        assert_non_null(oai_client_start(c, req, count_streamed, &done));
        oai_request_free(req);
    }
    size_t started = (live_bytes - base) / MANY;
    while (events < MANY)
        assert_true(oai_client_poll(c, 0) >= 0);
    size_t in_flight = (live_bytes - base) / MANY;
    print_message("heap per call: %zu bytes started, %zu bytes streaming (the library's, not the transport's)\n",
                  started, in_flight);
    assert_int_equal(done, 0);
    assert_true(in_flight <= 6 * 1024);
    while (done < MANY)
        assert_true(oai_client_poll(c, -1) >= 0);
    close_memory(mt, c);
}

int main(void)
{
    /* First, before the library allocates anything. */
    if (oai_set_allocator(count_malloc, count_realloc, count_free, NULL) != OAI_OK) {
        fprintf(stderr, "oai_set_allocator refused\n");
        return 1;
    }
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    unsetenv("OPENAI_LOG");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_order),
        cmocka_unit_test(test_event_loop_timer_is_the_nearest_deadline),
        cmocka_unit_test(test_a_poll_touches_only_the_ready_calls),
        cmocka_unit_test(test_heap_per_streamed_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
