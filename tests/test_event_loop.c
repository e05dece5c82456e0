/* The third way to drive the engine: socket and timer callbacks for a host's
 * event loop. The tests run a tiny loop of their own, poll(2) over the
 * sockets the socket callback asked to watch and the one timer the timer
 * callback set, against the scripted mock server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_server.h"
#include "oai.h"

#define MAX_SOCKETS 64

/* ---- the host's event loop ------------------------------------------------ */

typedef struct watched {
    int64_t fd;
    int events;
} watched;

typedef struct loop {
    oai_client *c;
    watched socks[MAX_SOCKETS];
    int sock_count;
    int ever_registered;     /* watches added (fd not watched before) */
    int removed;             /* OAI_POLL_REMOVE received */
    int bad_removes;         /* removes of an fd that was not watched */
    int64_t timer_at_us;     /* -1: no timer */
    int64_t max_timeout_ms;  /* the longest timeout the client asked for */
    int timer_calls;
    int actions;             /* oai_client_socket_action() calls */
} loop;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int find_sock(const loop *l, int64_t fd)
{
    for (int i = 0; i < l->sock_count; i++)
        if (l->socks[i].fd == fd)
            return i;
    return -1;
}

static int on_socket(void *ud, int64_t fd, int events)
{
    loop *l = ud;
    int i = find_sock(l, fd);
    if (events & OAI_POLL_REMOVE) {
        assert_int_equal(events, OAI_POLL_REMOVE);
        l->removed++;
        if (i < 0) {
            l->bad_removes++;
            return 0;
        }
        l->socks[i] = l->socks[--l->sock_count];
        return 0;
    }
    assert_true(events & (OAI_POLL_IN | OAI_POLL_OUT));
    if (i < 0) {
        assert_true(l->sock_count < MAX_SOCKETS);
        i = l->sock_count++;
        l->socks[i].fd = fd;
        l->ever_registered++;
    }
    l->socks[i].events = events;
    return 0;
}

static int on_timer(void *ud, int64_t timeout_ms)
{
    loop *l = ud;
    l->timer_calls++;
    assert_true(timeout_ms >= -1);
    l->timer_at_us = timeout_ms < 0 ? -1 : now_us() + timeout_ms * 1000;
    if (timeout_ms > l->max_timeout_ms)
        l->max_timeout_ms = timeout_ms;
    return 0;
}

static void loop_attach(loop *l, oai_client *c)
{
    memset(l, 0, sizeof *l);
    l->c = c;
    l->timer_at_us = -1;
    l->max_timeout_ms = -1;
    assert_int_equal(oai_client_set_socket_callback(c, on_socket, l), OAI_OK);
    assert_int_equal(oai_client_set_timer_callback(c, on_timer, l), OAI_OK);
}

static int action(loop *l, int64_t fd, int events)
{
    l->actions++;
    int rc = oai_client_socket_action(l->c, fd, events);
    assert_true(rc >= 0);
    return rc;
}

/* One round: wait for a watched socket or the timer (at most max_wait_ms),
 * then tell the client what happened. */
static void loop_once(loop *l, int max_wait_ms)
{
    struct pollfd pfds[MAX_SOCKETS];
    int n = l->sock_count;
    for (int i = 0; i < n; i++) {
        pfds[i].fd = (int)l->socks[i].fd;
        pfds[i].events = (short)(((l->socks[i].events & OAI_POLL_IN) ? POLLIN : 0) |
                                 ((l->socks[i].events & OAI_POLL_OUT) ? POLLOUT : 0));
        pfds[i].revents = 0;
    }
    int wait = max_wait_ms;
    if (l->timer_at_us >= 0) {
        int64_t left = (l->timer_at_us - now_us() + 999) / 1000;
        if (left < wait)
            wait = left < 0 ? 0 : (int)left;
    }
    int ready = poll(pfds, (nfds_t)n, wait);
    assert_true(ready >= 0);
    for (int i = 0; ready > 0 && i < n; i++) {
        if (!pfds[i].revents || find_sock(l, pfds[i].fd) < 0)
            continue; /* an earlier action removed it */
        int events = 0;
        if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
            events |= OAI_POLL_IN;
        if (pfds[i].revents & POLLOUT)
            events |= OAI_POLL_OUT;
        action(l, pfds[i].fd, events);
    }
    if (l->timer_at_us >= 0 && now_us() >= l->timer_at_us) {
        l->timer_at_us = -1; /* one-shot */
        action(l, OAI_SOCKET_TIMEOUT, 0);
    }
}

/* Runs the loop until *done reaches `want` or limit_ms passes. */
static void loop_until(loop *l, const int *done, int want, int limit_ms)
{
    int64_t end = now_us() + (int64_t)limit_ms * 1000;
    while (*done < want && now_us() < end)
        loop_once(l, 100);
    assert_int_equal(*done, want);
}

/* ---- fixture --------------------------------------------------------------- */

typedef struct fixture {
    mock_server *ms;
    oai_client *c;
    loop l;
} fixture;

static int setup(void **state)
{
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_LOG");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    fixture *f = calloc(1, sizeof *f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    f->c = oai_client_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_set_base_url(f->c, mock_server_url(f->ms)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, "sk-test-event-loop"), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(f->c, 10, 40), OAI_OK);
    loop_attach(&f->l, f->c);
    *state = f;
    return 0;
}

/* Frees the client and checks that the loop was told to forget every socket
 * and the timer. */
static void free_client(fixture *f)
{
    oai_client_free(f->c);
    f->c = NULL;
    assert_int_equal(f->l.sock_count, 0);
    assert_int_equal(f->l.bad_removes, 0);
    assert_int_equal(f->l.timer_at_us, -1);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->c)
        free_client(f);
    mock_server_stop(f->ms);
    free(f);
    return 0;
}

/* What a done callback records. */
typedef struct outcome {
    int *done;
    oai_response *res;
} outcome;

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    outcome *o = ud;
    assert_null(o->res);
    o->res = res;
    (*o->done)++;
    oai_call_free(call);
}

static oai_call *start_chat(fixture *f, const char *text, outcome *o)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_int_equal(oai_chat_request_add_message(req, "user", text), OAI_OK);
    oai_call *call = oai_client_start(f->c, req, on_done, o);
    oai_request_free(req);
    assert_non_null(call);
    return call;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_chat_completion(void **state)
{
    fixture *f = *state;
    int done = 0;
    outcome o = {&done, NULL};
    start_chat(f, "Say hello", &o);
    /* Starting asks for the timer: curl begins from a timeout action. */
    assert_true(f->l.timer_calls > 0);
    loop_until(&f->l, &done, 1, 5000);
    assert_int_equal(oai_response_status(o.res), OAI_OK);
    assert_int_equal(oai_response_http_status(o.res), 200);
    assert_non_null(oai_response_text(o.res));
    assert_string_equal(oai_response_get_string(o.res, "/object"), "chat.completion");
    assert_int_equal(oai_response_retry_count(o.res), 0);
    oai_response_free(o.res);
    assert_true(f->l.ever_registered > 0);
    assert_int_equal(mock_server_request_count(f->ms), 1);
}

static void test_three_concurrent_calls(void **state)
{
    fixture *f = *state;
    int done = 0;
    outcome o[3] = {{&done, NULL}, {&done, NULL}, {&done, NULL}};
    /* Slow replies, so that the three really overlap. */
    for (int i = 0; i < 3; i++) {
        mock_reply r = {.status = 200, .delay_ms = 150,
                        .body = "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                                "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
                                "\"finish_reason\":\"stop\"}]}"};
        mock_server_push(f->ms, &r);
    }
    for (int i = 0; i < 3; i++)
        start_chat(f, "concurrent", &o[i]);
    loop_until(&f->l, &done, 3, 5000);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(oai_response_status(o[i].res), OAI_OK);
        assert_string_equal(oai_response_text(o[i].res), "hi");
        oai_response_free(o[i].res);
    }
    assert_int_equal(mock_server_request_count(f->ms), 3);
    /* In flight together: one connection each (HTTP/1.1). */
    assert_int_equal(mock_server_connection_count(f->ms), 3);
    assert_true(f->l.ever_registered >= 3);
}

static void test_retry_after_through_the_timer(void **state)
{
    fixture *f = *state;
    int done = 0;
    outcome o = {&done, NULL};
    mock_server_push_simple(f->ms, 429, "retry-after-ms: 200\r\n",
                            "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
    int64_t t0 = now_us();
    start_chat(f, "retry me", &o);
    loop_until(&f->l, &done, 1, 5000);
    int64_t elapsed_ms = (now_us() - t0) / 1000;
    assert_int_equal(oai_response_status(o.res), OAI_OK);
    assert_int_equal(oai_response_retry_count(o.res), 1);
    assert_true(elapsed_ms >= 200);
    /* The delay reached the host as a timer, not as a sleep. */
    assert_true(f->l.max_timeout_ms >= 150);
    /* ... and the loop slept through it instead of spinning. */
    assert_true(f->l.actions < 40);
    assert_int_equal(mock_server_request_count(f->ms), 2);
    oai_response_free(o.res);
}

typedef struct collected {
    int events;
    char text[256];
    size_t len;
} collected;

static int on_event(void *ud, const oai_event *ev)
{
    collected *col = ud;
    col->events++;
    if (oai_event_type_of(ev) == OAI_EVENT_TEXT && oai_event_text(ev)) {
        size_t n = oai_event_text_len(ev);
        assert_true(col->len + n < sizeof col->text);
        memcpy(col->text + col->len, oai_event_text(ev), n);
        col->len += n;
    }
    return 0;
}

static void test_streamed_chat(void **state)
{
    fixture *f = *state;
    static const char *const chunks[] = {
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"content\":\"lo, \"}}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        "\"delta\":{\"content\":\"loop\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    };
    mock_reply r = {.status = 200, .content_type = "text/event-stream", .chunks = chunks,
                    .chunk_count = 4, .chunk_delay_ms = 20};
    mock_server_push(f->ms, &r);
    int done = 0;
    outcome o = {&done, NULL};
    collected col = {0};
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "stream it");
    assert_int_equal(oai_request_set_event_callback(req, on_event, &col), OAI_OK);
    assert_non_null(oai_client_start(f->c, req, on_done, &o));
    oai_request_free(req);
    loop_until(&f->l, &done, 1, 5000);
    assert_int_equal(oai_response_status(o.res), OAI_OK);
    assert_true(col.events >= 3);
    assert_int_equal(col.len, strlen("Hello, loop"));
    assert_memory_equal(col.text, "Hello, loop", col.len);
    assert_string_equal(oai_response_text(o.res), "Hello, loop");
    const char *sent = mock_server_request(f->ms, 0)->body;
    assert_non_null(strstr(sent, "\"stream\""));
    oai_response_free(o.res);
}

static int cancel_at_second_event(void *ud, const oai_event *ev)
{
    collected *col = ud;
    (void)ev;
    return ++col->events >= 2;
}

/* Callbacks that stop a transfer from inside curl_multi_socket_action(): the
 * teardown waits until curl has returned. */
static void test_stop_from_inside_callbacks(void **state)
{
    fixture *f = *state;
    static const char *const chunks[] = {
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"c\"}}]}\n\n",
        "data: [DONE]\n\n",
    };
    mock_reply r = {.status = 200, .content_type = "text/event-stream", .chunks = chunks,
                    .chunk_count = 4, .chunk_delay_ms = 20};
    mock_server_push(f->ms, &r);
    int done = 0;
    outcome o = {&done, NULL};
    collected col = {0};
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "stop me");
    oai_request_set_event_callback(req, cancel_at_second_event, &col);
    assert_non_null(oai_client_start(f->c, req, on_done, &o));
    oai_request_free(req);
    loop_until(&f->l, &done, 1, 5000);
    assert_int_equal(oai_response_status(o.res), OAI_ERR_CANCELLED);
    assert_int_equal(col.events, 2);
    oai_response_free(o.res);

    /* The size limit aborts from inside the write callback. */
    outcome big = {&done, NULL};
    assert_int_equal(oai_client_set_max_response_bytes(f->c, 64), OAI_OK);
    start_chat(f, "a long answer, please", &big);
    loop_until(&f->l, &done, 2, 5000);
    assert_int_equal(oai_response_status(big.res), OAI_ERR_TOO_LARGE);
    oai_response_free(big.res);
}

static void test_cancel_from_the_loop(void **state)
{
    fixture *f = *state;
    mock_reply r = {.status = 200, .delay_ms = 3000, .body = "{}"};
    mock_server_push(f->ms, &r);
    int done = 0;
    outcome o = {&done, NULL};
    int64_t t0 = now_us();
    oai_call *call = start_chat(f, "never answered in time", &o);
    /* Let the request go out, then cancel from the host's side. */
    while (mock_server_request_count(f->ms) < 1 && now_us() - t0 < 2000000)
        loop_once(&f->l, 10);
    assert_int_equal(mock_server_request_count(f->ms), 1);
    assert_int_equal(done, 0);
    oai_call_cancel(call);
    /* The client asks to be called back at once. */
    assert_true(f->l.timer_at_us >= 0 && f->l.timer_at_us <= now_us());
    loop_until(&f->l, &done, 1, 2000);
    assert_true(now_us() - t0 < 1500000);
    assert_int_equal(oai_response_status(o.res), OAI_ERR_CANCELLED);
    assert_int_equal(oai_response_retry_count(o.res), 0);
    oai_response_free(o.res);
    /* The aborted transfer's connection is closed and unwatched. */
    assert_int_equal(f->l.sock_count, 0);
}

static void test_first_byte_timeout_through_the_timer(void **state)
{
    fixture *f = *state;
    mock_reply r = {.status = 200, .delay_ms = 2000, .body = "{}"};
    mock_server_push(f->ms, &r);
    int done = 0;
    outcome o = {&done, NULL};
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "slow");
    oai_request_set_first_byte_timeout_ms(req, 150);
    oai_request_set_max_retries(req, 0);
    int64_t t0 = now_us();
    assert_non_null(oai_client_start(f->c, req, on_done, &o));
    oai_request_free(req);
    loop_until(&f->l, &done, 1, 3000);
    int64_t elapsed_ms = (now_us() - t0) / 1000;
    assert_int_equal(oai_response_status(o.res), OAI_ERR_TIMEOUT);
    assert_true(elapsed_ms >= 150 && elapsed_ms < 1500);
    oai_response_free(o.res);
}

static void test_poll_and_send_refused(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_poll(f->c, 0), -(int)OAI_ERR_INVALID_ARGUMENT);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "blocking");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(oai_response_error_message(res));
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 0);

    /* Callbacks cannot change while a call runs. */
    int done = 0;
    outcome o = {&done, NULL};
    oai_request_free(req);
    start_chat(f, "running", &o);
    assert_int_equal(oai_client_set_timer_callback(f->c, NULL, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_socket_callback(f->c, NULL, NULL), OAI_ERR_INVALID_ARGUMENT);
    loop_until(&f->l, &done, 1, 5000);
    assert_int_equal(oai_response_status(o.res), OAI_OK);
    oai_response_free(o.res);
    /* With no work left, the client has nothing to do on a timeout. */
    assert_int_equal(oai_client_socket_action(f->c, OAI_SOCKET_TIMEOUT, 0), 0);
}

static void test_socket_action_needs_event_loop_mode(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_socket_action(NULL, OAI_SOCKET_TIMEOUT, 0), -(int)OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_socket_callback(NULL, on_socket, &f->l), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_timer_callback(NULL, on_timer, &f->l), OAI_ERR_INVALID_ARGUMENT);
    /* Leaving event-loop mode restores the blocking API. */
    assert_int_equal(oai_client_set_socket_callback(f->c, NULL, NULL), OAI_OK);
    assert_int_equal(oai_client_set_timer_callback(f->c, NULL, NULL), OAI_OK);
    assert_int_equal(oai_client_socket_action(f->c, OAI_SOCKET_TIMEOUT, 0), -(int)OAI_ERR_INVALID_ARGUMENT);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "blocking again");
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
}

/* A done callback may start the next call; it runs from the same loop. */
typedef struct chain {
    fixture *f;
    int done;
    outcome second;
} chain;

static void on_first_done(void *ud, oai_call *call, oai_response *res)
{
    chain *ch = ud;
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_call_free(call);
    /* Not allowed from inside a callback. */
    assert_int_equal(oai_client_socket_action(ch->f->c, OAI_SOCKET_TIMEOUT, 0), -(int)OAI_ERR_INVALID_ARGUMENT);
    start_chat(ch->f, "second", &ch->second);
}

static void test_start_from_done_callback(void **state)
{
    fixture *f = *state;
    chain ch = {f, 0, {NULL, NULL}};
    ch.second.done = &ch.done;
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "first");
    assert_non_null(oai_client_start(f->c, req, on_first_done, &ch));
    oai_request_free(req);
    loop_until(&f->l, &ch.done, 1, 5000);
    assert_int_equal(oai_response_status(ch.second.res), OAI_OK);
    oai_response_free(ch.second.res);
    assert_int_equal(mock_server_request_count(f->ms), 2);
}

static void test_every_socket_removed(void **state)
{
    fixture *f = *state;
    int done = 0;
    outcome o[2] = {{&done, NULL}, {&done, NULL}};
    start_chat(f, "one", &o[0]);
    start_chat(f, "two", &o[1]);
    loop_until(&f->l, &done, 2, 5000);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(oai_response_status(o[i].res), OAI_OK);
        oai_response_free(o[i].res);
    }
    int registered = f->l.ever_registered;
    assert_true(registered > 0);
    /* Whatever is still watched (kept-alive connections) goes at free. */
    free_client(f);
    assert_true(f->l.removed >= registered);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chat_completion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_concurrent_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_through_the_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_chat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_from_inside_callbacks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_from_the_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_byte_timeout_through_the_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_and_send_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_action_needs_event_loop_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_from_done_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_socket_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
