/* Every workflow on the engine (issue 9, item 1): the pager, the large
 * upload, the fine-tuning job follower and the batch waiter, each in four
 * scenarios (success; a failure inside that the retry policy absorbs; a
 * failure that ends it; a cancel midway), run in the three drive modes:
 *
 *   blocking    the blocking forms: oai_pager_next(), oai_large_upload_run(),
 *               oai_client_follow_fine_tuning_job(), oai_client_wait_for_batch()
 *   polled      the start forms with no callback at all, oai_client_poll(c, 0)
 *               once per frame, events through oai_call_next_event() and the
 *               outcome through oai_call_take_response() (the pull API)
 *   event loop  the start forms with done and event callbacks, driven by the
 *               host's loop through oai_client_set_timer_callback() (and
 *               oai_client_set_socket_callback() with libcurl)
 *
 * and on two transports: the in-memory one (a simulated clock, so the
 * follower's and the waiter's 30 s intervals pass in microseconds) and,
 * when built with libcurl, the real one against the scripted mock server.
 * Every cell is a cmocka test named workflow/transport/mode.
 *
 * Then what the table does not cover: the stateful mock's real fine-tuning
 * and batch flows through the start forms in an event loop, mixing
 * oai_pager_start() and oai_pager_next(), freeing handles, calls and the
 * client while workflows run, bad arguments, and the blocking forms'
 * refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <execinfo.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memory_transport.h"
#include "host_loop.h"
#include "mock_server.h"
#include "mock_state.h"
#include "oai.h"

#define NEVER INT64_MAX
#define MAX_REPLIES 8
#define MAX_TARGETS 8

/* The follower's and the waiter's interval: real on loopback, simulated
 * in memory. */
#define CURL_INTERVAL_MS 20
#define MEMORY_INTERVAL_MS 30000
/* One frame of the polled mode on the simulated clock. */
#define MEMORY_FRAME_US 50000

typedef enum transport_kind { T_MEMORY, T_CURL } transport_kind;
typedef enum drive_mode { M_BLOCKING, M_POLLED, M_EVENT_LOOP } drive_mode;
typedef enum workflow_kind { W_PAGER, W_UPLOAD, W_FOLLOWER, W_BATCH } workflow_kind;
typedef enum scenario_kind { S_SUCCESS, S_RETRIED, S_FAILED, S_CANCEL } scenario_kind;

static const char *const transport_names[] = {"memory", "curl"};
static const char *const mode_names[] = {"blocking", "polled", "event-loop"};
static const char *const workflow_names[] = {"pager", "upload", "follower", "batch"};
static const char *const scenario_names[] = {"success", "retried", "failed", "cancel"};

static char upload_dir[64];
static char upload_path[96];        /* 25 bytes: parts of 10, 10 and 5 */
#define UPLOAD_BYTES "0123456789abcdefghij!?*+-"

/* ---- the scenarios --------------------------------------------------------------- */

typedef struct reply {
    int status;
    const char *body;
    int delay_ms;
} reply;

typedef struct scenario {
    workflow_kind w;
    scenario_kind s;
    reply replies[MAX_REPLIES];
    oai_status status;              /* the outcome */
    const char *items;              /* the items handed out, space-separated */
    int min_requests, max_requests;
    const char *targets[MAX_TARGETS]; /* "METHOD target" of the first requests */
    const char *pointer, *value;    /* a field of the final response, or with
                                       a NULL pointer its error message */
    int retries;                    /* the final response's retry count (-1: any) */
    int intervals;                  /* intervals waited (follower, waiter) */
} scenario;

#define PAGE1 "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true}"
#define PAGE2 "{\"data\":[{\"id\":\"c\"},{\"id\":\"d\"}],\"has_more\":true}"
#define PAGE3 "{\"data\":[{\"id\":\"e\"}],\"has_more\":false}"
#define PAGE2_LAST "{\"data\":[{\"id\":\"c\"}],\"has_more\":false}"
#define BOOM "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"
#define GONE "{\"error\":{\"message\":\"gone\",\"type\":\"invalid_request_error\"}}"
#define LIST_1 "GET /v1/things?limit=2"
#define LIST_2 "GET /v1/things?limit=2&after=b"
#define LIST_3 "GET /v1/things?limit=2&after=d"

#define CREATED "{\"id\":\"upload_w\",\"object\":\"upload\",\"status\":\"pending\"}"
#define PART(n) "{\"id\":\"part_" #n "\",\"object\":\"upload.part\"}"
#define COMPLETED "{\"id\":\"upload_w\",\"object\":\"upload\",\"status\":\"completed\",\"file\":{\"id\":\"file-w\"}}"
#define BAD_PART "{\"error\":{\"message\":\"bad part\",\"type\":\"invalid_request_error\"}}"
#define UP_CREATE "POST /v1/uploads"
#define UP_PART "POST /v1/uploads/upload_w/parts"
#define UP_COMPLETE "POST /v1/uploads/upload_w/complete"

#define JOB(status) "{\"id\":\"ftjob-w\",\"object\":\"fine_tuning.job\",\"status\":\"" status "\"}"
#define EV(id) "{\"id\":\"" id "\",\"object\":\"fine_tuning.job.event\",\"message\":\"event " id "\"}"
#define EVENTS_1 "{\"data\":[" EV("e1") "],\"has_more\":false}"
#define EVENTS_2 "{\"data\":[" EV("e2") "," EV("e1") "],\"has_more\":false}"
#define EVENTS_3 "{\"data\":[" EV("e3") "," EV("e2") "," EV("e1") "],\"has_more\":false}"
#define FT_JOB "GET /v1/fine_tuning/jobs/ftjob-w"
#define FT_EVENTS "GET /v1/fine_tuning/jobs/ftjob-w/events?limit=100"

#define BATCH(status) "{\"id\":\"batch_w\",\"object\":\"batch\",\"status\":\"" status "\"}"
#define BATCH_DONE "{\"id\":\"batch_w\",\"object\":\"batch\",\"status\":\"completed\",\"output_file_id\":\"file-out\"," \
                   "\"error_file_id\":\"file-err\"}"
#define BATCH_GET "GET /v1/batches/batch_w"

static const scenario scenarios[] = {
    /* The pager over GET /things?limit=2. */
    {W_PAGER, S_SUCCESS, {{200, PAGE1, 0}, {200, PAGE2, 0}, {200, PAGE3, 0}}, OAI_OK, "a b c d e", 3, 3,
     {LIST_1, LIST_2, LIST_3}, "/data/0/id", "e", 0, 0},
    {W_PAGER, S_RETRIED, {{200, PAGE1, 0}, {500, BOOM, 0}, {200, PAGE2_LAST, 0}}, OAI_OK, "a b c", 3, 3,
     {LIST_1, LIST_2, LIST_2}, "/data/0/id", "c", 1, 0},
    {W_PAGER, S_FAILED, {{200, PAGE1, 0}, {404, GONE, 0}, {200, PAGE3, 0}}, OAI_ERR_NOT_FOUND, "a b", 2, 2,
     {LIST_1, LIST_2}, NULL, "gone", 0, 0},
    /* Cancelled once "b" is seen, while the next page is slow to come. */
    {W_PAGER, S_CANCEL, {{200, PAGE1, 0}, {200, PAGE2, 300}, {200, PAGE3, 0}}, OAI_ERR_CANCELLED, "a b", 1, 2,
     {LIST_1}, NULL, NULL, -1, 0},

    /* The large upload of 25 bytes in parts of 10. */
    {W_UPLOAD, S_SUCCESS, {{200, CREATED, 0}, {200, PART(1), 0}, {200, PART(2), 0}, {200, PART(3), 0}, {200, COMPLETED, 0}},
     OAI_OK, "10 20 25", 5, 5, {UP_CREATE, UP_PART, UP_PART, UP_PART, UP_COMPLETE}, "/file/id", "file-w", 0, 0},
    {W_UPLOAD, S_RETRIED,
     {{200, CREATED, 0}, {200, PART(1), 0}, {500, BOOM, 0}, {200, PART(2), 0}, {200, PART(3), 0}, {200, COMPLETED, 0}},
     OAI_OK, "10 20 25", 6, 6, {UP_CREATE, UP_PART, UP_PART, UP_PART, UP_PART, UP_COMPLETE}, "/file/id", "file-w", 0, 0},
    {W_UPLOAD, S_FAILED, {{200, CREATED, 0}, {200, PART(1), 0}, {400, BAD_PART, 0}}, OAI_ERR_BAD_REQUEST, "10", 3, 3,
     {UP_CREATE, UP_PART, UP_PART}, NULL, "bad part", 0, 0},
    /* Cancelled after part 1 (its progress event, or the handle's progress
     * callback during part 2), while part 2 is slow to be accepted. */
    {W_UPLOAD, S_CANCEL, {{200, CREATED, 0}, {200, PART(1), 0}, {200, PART(2), 300}, {200, PART(3), 0}}, OAI_ERR_CANCELLED,
     "10", 2, 3, {UP_CREATE, UP_PART}, NULL, NULL, -1, 0},

    /* The follower of ftjob-w: each round the job, then its events. */
    {W_FOLLOWER, S_SUCCESS, {{200, JOB("running"), 0}, {200, EVENTS_2, 0}, {200, JOB("succeeded"), 0}, {200, EVENTS_3, 0}},
     OAI_OK, "e1 e2 e3", 4, 4, {FT_JOB, FT_EVENTS, FT_JOB, FT_EVENTS}, "/status", "succeeded", 0, 1},
    {W_FOLLOWER, S_RETRIED,
     {{200, JOB("running"), 0}, {200, EVENTS_1, 0}, {500, BOOM, 0}, {200, JOB("succeeded"), 0}, {200, EVENTS_2, 0}},
     OAI_OK, "e1 e2", 5, 5, {FT_JOB, FT_EVENTS, FT_JOB, FT_JOB, FT_EVENTS}, "/status", "succeeded", 1, 1},
    {W_FOLLOWER, S_FAILED, {{200, JOB("running"), 0}, {200, EVENTS_1, 0}, {404, GONE, 0}}, OAI_ERR_NOT_FOUND, "e1", 3, 3,
     {FT_JOB, FT_EVENTS, FT_JOB}, NULL, "gone", 0, 1},
    /* Cancelled once e1 is seen, during the wait for the next round. */
    {W_FOLLOWER, S_CANCEL, {{200, JOB("running"), 0}, {200, EVENTS_1, 0}, {200, JOB("succeeded"), 0}, {200, EVENTS_1, 0}},
     OAI_ERR_CANCELLED, "e1", 2, 2, {FT_JOB, FT_EVENTS}, NULL, NULL, -1, 0},

    /* The waiter of batch_w: an item per status change. */
    {W_BATCH, S_SUCCESS,
     {{200, BATCH("validating"), 0}, {200, BATCH("in_progress"), 0}, {200, BATCH("in_progress"), 0}, {200, BATCH_DONE, 0}},
     OAI_OK, "validating in_progress completed", 4, 4, {BATCH_GET, BATCH_GET, BATCH_GET, BATCH_GET}, "/output_file_id",
     "file-out", 0, 3},
    {W_BATCH, S_RETRIED, {{200, BATCH("validating"), 0}, {500, BOOM, 0}, {200, BATCH_DONE, 0}}, OAI_OK,
     "validating completed", 3, 3, {BATCH_GET, BATCH_GET, BATCH_GET}, "/error_file_id", "file-err", 1, 1},
    /* A 500 that outlasts the retry policy (2 retries). */
    {W_BATCH, S_FAILED, {{200, BATCH("validating"), 0}, {500, BOOM, 0}, {500, BOOM, 0}, {500, BOOM, 0}}, OAI_ERR_SERVER,
     "validating", 4, 4, {BATCH_GET, BATCH_GET, BATCH_GET, BATCH_GET}, NULL, "boom", 2, 1},
    {W_BATCH, S_CANCEL, {{200, BATCH("validating"), 0}, {200, BATCH_DONE, 0}}, OAI_ERR_CANCELLED, "validating", 1, 1,
     {BATCH_GET}, NULL, NULL, -1, 0},
};

#define SCENARIO_COUNT (sizeof scenarios / sizeof *scenarios)

/* ---- the host's loops -------------------------------------------------------------- */

/* One client, its transport, and the host's loop around it. */
typedef struct env {
    transport_kind t;
    drive_mode m;
    oai_client *c;
    memory_transport *mt;
    int64_t t0;                     /* fake time at the start */
    /* The event loop: sockets (libcurl) and the one timer, on the real
     * clock (libcurl) or the fake one (memory). */
    host_loop loop;
    /* libcurl: a server of its own, so that what an earlier cancel left
     * half-done on a server never takes a scripted reply of this run. The
     * mock's stateful API (mock_state.h) is the process's, shared. */
    mock_server *server;
} env;

static void loop_once(env *e)
{
    host_loop_once(&e->loop);
}

static int frame(env *e)
{
    return host_loop_frame(&e->loop, MEMORY_FRAME_US);
}

static void env_open(env *e, transport_kind t, drive_mode m)
{
    memset(e, 0, sizeof *e);
    e->t = t;
    e->m = m;
    e->c = oai_client_new();
    assert_non_null(e->c);
    assert_int_equal(oai_client_set_api_key(e->c, "sk-workflows"), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(e->c, 1, 5), OAI_OK);
    if (t == T_MEMORY) {
        assert_int_equal(oai_client_set_base_url(e->c, "http://127.0.0.1:9/v1"), OAI_OK);
        e->mt = memory_transport_new();
        assert_non_null(e->mt);
        /* Blocking waits in the run callback; a polling host and an event
         * loop deliver the I/O themselves (the event loop's transport
         * answers what it can inside its start callback). */
        memory_transport_set_has_run(e->mt, m == M_BLOCKING);
        memory_transport_set_answer_in_start(e->mt, m == M_EVENT_LOOP);
        assert_int_equal(memory_transport_attach(e->mt, e->c), OAI_OK);
        e->t0 = memory_transport_now_us(e->mt);
    } else {
        e->server = mock_server_start();
        assert_non_null(e->server);
        assert_int_equal(oai_client_set_base_url(e->c, mock_server_url(e->server)), OAI_OK);
    }
    host_loop_init(&e->loop, e->c, e->mt, m == M_EVENT_LOOP);
}

static void env_close(env *e)
{
    oai_client_free(e->c);
    e->c = NULL;
    if (e->t == T_MEMORY) {
        assert_int_equal(memory_transport_in_flight(e->mt), 0);
        assert_int_equal(memory_transport_stuck(e->mt), 0);
        assert_int_equal(memory_transport_violations(e->mt), 0);
        memory_transport_free(e->mt);
    } else {
        assert_int_equal(e->loop.sock_count, 0);
        mock_server_stop(e->server);
    }
}

static void env_push(env *e, const reply *r)
{
    mock_reply m = {.status = r->status, .body = r->body, .delay_ms = r->delay_ms};
    if (e->t == T_MEMORY)
        assert_int_equal(memory_transport_push(e->mt, &m), 0);
    else
        mock_server_push(e->server, &m);
}

static size_t env_request_count(env *e)
{
    return e->t == T_MEMORY ? memory_transport_request_count(e->mt) : mock_server_request_count(e->server);
}

static const mock_request *env_request(env *e, size_t i)
{
    return e->t == T_MEMORY ? memory_transport_request(e->mt, i) : mock_server_request(e->server, i);
}

/* Runs the host's loop until *done, or fails after many turns. */
static void loop_until_done(env *e, const int *done)
{
    int64_t end = host_loop_real_now_us() + 10 * 1000000;
    int turns = 0;
    while (!*done) {
        assert_true(host_loop_real_now_us() < end);
        assert_true(turns++ < 100000);
        loop_once(e);
    }
}

/* After the outcome: lets what was cancelled along with it conclude. */
static void settle(env *e)
{
    if (e->m == M_POLLED) {
        for (int i = 0; i < 1000 && frame(e) > 0; i++)
            ;
        assert_int_equal(oai_client_poll(e->c, 0), 0);
    } else if (e->m == M_EVENT_LOOP) {
        for (int i = 0; i < 1000 && e->loop.running > 0; i++)
            loop_once(e);
        assert_int_equal(e->loop.running, 0);
    }
}

/* A second start of a running workflow: a call that ends with
 * OAI_ERR_INVALID_ARGUMENT and says why (the error rule: NULL only for a
 * NULL handle or out of memory). Checked once the frames that follow have
 * run it. */
static void expect_refused(oai_call *again, const char *why)
{
    assert_non_null(again);
    assert_true(oai_call_is_done(again));
    assert_int_equal(oai_call_status(again), OAI_ERR_INVALID_ARGUMENT);
    oai_response *res = oai_call_take_response(again);
    assert_non_null(strstr(oai_response_error_message(res), why));
    oai_response_free(res);
    oai_call_free(again);
}

/* ---- one run ------------------------------------------------------------------------ */

typedef struct run {
    env *e;
    const scenario *sc;
    oai_pager *pager;
    oai_large_upload *up;
    oai_call *call;
    char items[512];
    int item_count;
    int stop_at;                    /* cancel once this many items were seen (0: never) */
    int stopped;
    int done;
    oai_response *res;
    int progress_calls;             /* the handle's progress callback (blocking upload) */
    int64_t progress_last;
} run;

static void add_item(run *r, const char *text)
{
    size_t n = strlen(r->items);
    snprintf(r->items + n, sizeof r->items - n, "%s%s", n ? " " : "", text);
    r->item_count++;
}

/* Records an item or a progress event; 1 when the run should stop now. */
static int record(run *r, const oai_event *ev)
{
    char text[64];
    switch (r->sc->w) {
    case W_UPLOAD:
        assert_int_equal(oai_event_type_of(ev), OAI_EVENT_PROGRESS);
        assert_int_equal(oai_event_get_int(ev, "/total"), 25);
        snprintf(text, sizeof text, "%lld", (long long)oai_event_get_int(ev, "/done"));
        break;
    case W_BATCH:
        assert_int_equal(oai_event_type_of(ev), OAI_EVENT_ITEM);
        snprintf(text, sizeof text, "%s", oai_event_get_string(ev, "/status"));
        assert_string_equal(oai_event_get_string(ev, "/id"), "batch_w");
        break;
    default:
        assert_int_equal(oai_event_type_of(ev), OAI_EVENT_ITEM);
        snprintf(text, sizeof text, "%s", oai_event_get_string(ev, "/id"));
        break;
    }
    add_item(r, text);
    return r->stop_at && r->item_count >= r->stop_at && !r->stopped;
}

static int on_event(void *ud, const oai_event *ev)
{
    run *r = ud;
    if (record(r, ev)) {
        r->stopped = 1;
        return 1; /* the event callback stops the workflow */
    }
    return 0;
}

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    run *r = ud;
    assert_ptr_equal(call, r->call);
    assert_null(r->res);
    r->res = res;
    r->done = 1;
}

static int on_job_event(void *ud, const oai_value *event)
{
    run *r = ud;
    add_item(r, oai_value_get_string(event, "/id"));
    if (r->stop_at && r->item_count >= r->stop_at)
        r->stopped = 1;
    return r->stopped;
}

static int on_upload_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    (void)received;
    (void)receive_total;
    run *r = ud;
    assert_int_equal(send_total, 25);
    assert_true(sent >= 0 && sent <= 25); /* a retried part starts again */
    r->progress_last = sent;
    r->progress_calls++;
    if (r->stop_at && sent > 10)
        r->stopped = 1; /* cancel during part 2 */
    return r->stopped;
}

static int64_t interval_ms(const env *e)
{
    return e->t == T_MEMORY ? MEMORY_INTERVAL_MS : CURL_INTERVAL_MS;
}

/* Makes the workflow's handle (pager, upload), if it has one. */
static void make_handle(run *r)
{
    if (r->sc->w == W_PAGER) {
        oai_request *req = oai_request_new("GET", "/things");
        assert_int_equal(oai_request_set_query(req, "limit", "2"), OAI_OK);
        r->pager = oai_pager_new(r->e->c, req);
        oai_request_free(req);
        assert_int_equal(oai_pager_status(r->pager), OAI_OK);
    } else if (r->sc->w == W_UPLOAD) {
        r->up = oai_large_upload_new(r->e->c, upload_path, "fine-tune", "application/jsonl");
        assert_int_equal(oai_large_upload_status(r->up), OAI_OK);
        assert_int_equal(oai_large_upload_set_part_size(r->up, 10), OAI_OK);
    }
}

/* The start form of the workflow: callbacks, or none (the pull API). */
static oai_call *start(run *r, int callbacks)
{
    oai_done_fn fn = callbacks ? on_done : NULL;
    oai_event_fn efn = callbacks ? on_event : NULL;
    switch (r->sc->w) {
    case W_PAGER:
        return oai_pager_start(r->pager, fn, r, efn, r);
    case W_UPLOAD:
        return oai_large_upload_start(r->up, fn, r, efn, r);
    case W_FOLLOWER:
        return oai_client_start_follow_fine_tuning_job(r->e->c, "ftjob-w", interval_ms(r->e), fn, r, efn, r);
    case W_BATCH:
        return oai_client_start_wait_for_batch(r->e->c, "batch_w", interval_ms(r->e), fn, r, efn, r);
    }
    return NULL;
}

/* Blocking: the blocking forms. */
static void drive_blocking(run *r)
{
    env *e = r->e;
    switch (r->sc->w) {
    case W_PAGER: {
        oai_status st;
        const oai_value *item;
        while ((st = oai_pager_next(r->pager, &item)) == OAI_OK && item) {
            add_item(r, oai_value_get_string(item, "/id"));
            if (r->stop_at && r->item_count >= r->stop_at) {
                r->stopped = 1; /* the caller stops iterating */
                break;
            }
        }
        /* A failure's status is its page's (oai_pager_response()). */
        if (!r->stopped)
            assert_int_equal(st, oai_response_status(oai_pager_response(r->pager)));
        r->done = 1;
        return;
    }
    case W_UPLOAD:
        assert_int_equal(oai_large_upload_set_progress_callback(r->up, on_upload_progress, r), OAI_OK);
        r->res = oai_large_upload_run(r->up);
        break;
    case W_FOLLOWER:
        r->res = oai_client_follow_fine_tuning_job(e->c, "ftjob-w", interval_ms(e), on_job_event, r);
        break;
    case W_BATCH:
        r->res = oai_client_wait_for_batch(e->c, "batch_w", interval_ms(e));
        break;
    }
    assert_non_null(r->res);
    r->done = 1;
}

/* Polled: no callback at all. */
static void drive_polled(run *r)
{
    env *e = r->e;
    r->call = start(r, 0);
    assert_non_null(r->call);
    int frames = 0;
    for (;;) {
        const oai_event *ev = NULL;
        while (oai_call_next_event(r->call, &ev) == OAI_OK && ev)
            if (record(r, ev)) {
                r->stopped = 1;
                oai_call_cancel(r->call);
            }
        if (oai_call_is_done(r->call))
            break;
        assert_true(frames++ < 200000);
        frame(e);
    }
    /* Nothing is left to pull once done. */
    const oai_event *ev = (const oai_event *)r;
    assert_int_equal(oai_call_next_event(r->call, &ev), OAI_OK);
    assert_null(ev);
    r->res = oai_call_take_response(r->call);
    assert_non_null(r->res);
    assert_null(oai_call_take_response(r->call));
    assert_int_equal(oai_call_status(r->call), oai_response_status(r->res));
    oai_call_free(r->call);
    r->call = NULL;
    r->done = 1;
}

/* Event loop: done and event callbacks. */
static void drive_event_loop(run *r)
{
    env *e = r->e;
    r->call = start(r, 1);
    assert_non_null(r->call);
    loop_until_done(e, &r->done);
    assert_true(oai_call_is_done(r->call));
    assert_null(oai_call_take_response(r->call)); /* the callback had it */
    oai_call_free(r->call);
    r->call = NULL;
}

/* The recorded requests' "METHOD target" against the scenario's. */
static void check_requests(run *r)
{
    const scenario *sc = r->sc;
    size_t n = env_request_count(r->e);
    if ((int)n < sc->min_requests || (int)n > sc->max_requests)
        fail_msg("%s/%s: %zu requests, expected %d to %d", workflow_names[sc->w], scenario_names[sc->s], n,
                 sc->min_requests, sc->max_requests);
    for (size_t i = 0; i < MAX_TARGETS && sc->targets[i] && i < n; i++) {
        const mock_request *q = env_request(r->e, i);
        char line[256];
        snprintf(line, sizeof line, "%s %s", q->method, q->target);
        assert_string_equal(line, sc->targets[i]);
    }
}

static void check_outcome(run *r)
{
    const scenario *sc = r->sc;
    env *e = r->e;
    int blocking_pager = e->m == M_BLOCKING && sc->w == W_PAGER;
    /* Items: the blocking upload and waiter hand out none. */
    if (!(e->m == M_BLOCKING && (sc->w == W_UPLOAD || sc->w == W_BATCH)))
        assert_string_equal(r->items, sc->items);
    if (blocking_pager) {
        /* oai_pager_next() returns statuses; its page is the response. */
        const oai_response *page = oai_pager_response(r->pager);
        if (sc->s != S_CANCEL) {
            assert_int_equal(oai_response_status(page), sc->status);
            if (sc->pointer)
                assert_string_equal(oai_response_get_string(page, sc->pointer), sc->value);
            else if (sc->value)
                assert_string_equal(oai_response_error_message(page), sc->value);
            if (sc->retries >= 0)
                assert_int_equal(oai_response_retry_count(page), sc->retries);
        }
        return;
    }
    assert_int_equal(oai_response_status(r->res), sc->status);
    if (sc->pointer)
        assert_string_equal(oai_response_get_string(r->res, sc->pointer), sc->value);
    else if (sc->value)
        assert_string_equal(oai_response_error_message(r->res), sc->value);
    else if (sc->status != OAI_OK)
        assert_non_null(oai_response_error_message(r->res));
    if (sc->retries >= 0)
        assert_int_equal(oai_response_retry_count(r->res), sc->retries);
    if (sc->w == W_UPLOAD) {
        /* What a resume needs stays in the handle. */
        assert_string_equal(oai_large_upload_id(r->up), "upload_w");
        size_t parts = sc->s == S_SUCCESS || sc->s == S_RETRIED ? 3 : 1;
        assert_int_equal(oai_large_upload_part_count(r->up), parts);
        assert_string_equal(oai_large_upload_part_id(r->up, 0), "part_1");
        if (e->m == M_BLOCKING && sc->status == OAI_OK)
            assert_int_equal(r->progress_last, 25);
    }
    if (sc->w == W_FOLLOWER && sc->s == S_CANCEL && e->m != M_POLLED)
        /* Stopped by its event callback: the job as last seen. */
        assert_string_equal(oai_response_get_string(r->res, "/status"), "running");
}

/* The intervals of a follower or waiter passed on the engine's clock: on
 * the simulated one exactly (give or take the frames and backoffs), in no
 * real time. */
static void check_time(run *r, int64_t real_start)
{
    env *e = r->e;
    int intervals = r->sc->intervals;
    if (e->t == T_MEMORY) {
        int64_t fake = memory_transport_now_us(e->mt) - e->t0;
        int64_t want = (int64_t)intervals * MEMORY_INTERVAL_MS * 1000;
        if (fake < want || fake > want + 2000000)
            fail_msg("%s/%s: %lld us of fake time, expected %lld", workflow_names[r->sc->w],
                     scenario_names[r->sc->s], (long long)fake, (long long)want);
        if (!getenv("OAI_TEST_MEMCHECK"))
            assert_true(host_loop_real_now_us() - real_start < 2000000);
    } else {
        assert_true(host_loop_real_now_us() - real_start >= (int64_t)intervals * CURL_INTERVAL_MS * 1000);
    }
}

/* answer_in_start: for the in-memory event loop, whether the transport
 * answers inside its start callback (else the host's loop delivers). */
static void run_scenario(transport_kind t, drive_mode m, const scenario *sc, int answer_in_start)
{
    env e;
    env_open(&e, t, m);
    if (t == T_MEMORY && m == M_EVENT_LOOP)
        memory_transport_set_answer_in_start(e.mt, answer_in_start);
    for (size_t i = 0; i < MAX_REPLIES && sc->replies[i].status; i++)
        env_push(&e, &sc->replies[i]);
    run r;
    memset(&r, 0, sizeof r);
    r.e = &e;
    r.sc = sc;
    if (sc->s == S_CANCEL)
        r.stop_at = sc->w == W_PAGER ? 2 : 1;
    make_handle(&r);
    int64_t real_start = host_loop_real_now_us();
    switch (m) {
    case M_BLOCKING:
        drive_blocking(&r);
        break;
    case M_POLLED:
        drive_polled(&r);
        break;
    case M_EVENT_LOOP:
        drive_event_loop(&r);
        break;
    }
    if (sc->s != S_CANCEL)
        check_time(&r, real_start);
    settle(&e);
    check_outcome(&r);
    check_requests(&r);
    if (sc->s == S_CANCEL)
        assert_true(r.stopped);
    oai_response_free(r.res);
    oai_pager_free(r.pager);
    oai_large_upload_free(r.up);
    env_close(&e);
}

/* ---- the table's cells ---------------------------------------------------------------- */

typedef struct cell {
    workflow_kind w;
    transport_kind t;
    drive_mode m;
} cell;

static void test_cell(void **state)
{
    const cell *c = *state;
    for (size_t i = 0; i < SCENARIO_COUNT; i++) {
        const scenario *sc = &scenarios[i];
        if (sc->w != c->w)
            continue;
        if (c->m == M_BLOCKING && sc->w == W_BATCH && sc->s == S_CANCEL)
            continue; /* oai_client_wait_for_batch() has no callback to stop it */
        run_scenario(c->t, c->m, sc, 1);
        if (c->t == T_MEMORY && c->m == M_EVENT_LOOP)
            run_scenario(c->t, c->m, sc, 0);
        print_message("%-8s %-6s %-10s %-7s ok\n", workflow_names[c->w], transport_names[c->t], mode_names[c->m],
                      scenario_names[sc->s]);
    }
}

/* ---- beyond the table: the in-memory transport ---------------------------------------- */

/* oai_pager_start() and oai_pager_next() take turns on one pager: the walk
 * goes on where the other left it. */
static void test_pager_start_then_next(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_BLOCKING);
    reply pages[] = {{200, PAGE1, 0}, {200, PAGE2, 0}, {200, PAGE3, 0}};
    for (size_t i = 0; i < 3; i++)
        env_push(&e, &pages[i]);
    scenario sc = {.w = W_PAGER, .s = S_SUCCESS, .retries = -1};
    run r;
    memset(&r, 0, sizeof r);
    r.e = &e;
    r.sc = &sc;
    make_handle(&r);
    const oai_value *item;
    assert_int_equal(oai_pager_next(r.pager, &item), OAI_OK);
    assert_string_equal(oai_value_get_string(item, "/id"), "a");
    /* The walk, to 3 items in all: b, c, d. */
    assert_int_equal(oai_pager_set_max_items(r.pager, 4), OAI_OK);
    r.call = oai_pager_start(r.pager, on_done, &r, on_event, &r);
    assert_non_null(r.call);
    /* One walk at a time, and no oai_pager_next() meanwhile. */
    oai_call *again = oai_pager_start(r.pager, NULL, NULL, NULL, NULL);
    assert_int_equal(oai_pager_next(r.pager, &item), OAI_ERR_INVALID_ARGUMENT);
    while (!r.done)
        assert_true(oai_client_poll(e.c, -1) >= 0);
    expect_refused(again, "already walking");
    assert_string_equal(r.items, "b c d");
    assert_int_equal(oai_response_status(r.res), OAI_OK);
    assert_string_equal(oai_response_get_string(r.res, "/data/1/id"), "d");
    oai_response_free(r.res);
    r.res = NULL;
    oai_call_free(r.call);
    /* Without the limit, oai_pager_next() takes the rest. */
    assert_int_equal(oai_pager_set_max_items(r.pager, 0), OAI_OK);
    assert_int_equal(oai_pager_next(r.pager, &item), OAI_OK);
    assert_string_equal(oai_value_get_string(item, "/id"), "e");
    assert_int_equal(oai_pager_next(r.pager, &item), OAI_OK);
    assert_null(item);
    assert_int_equal(memory_transport_request_count(e.mt), 3);
    oai_pager_free(r.pager);
    env_close(&e);
}

/* A walk started at the end hands out nothing and ends with the last page;
 * a failed pager's walk ends with its status. */
static void test_pager_start_edges(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_BLOCKING);
    reply last = {200, PAGE3, 0};
    env_push(&e, &last);
    oai_request *req = oai_request_new("GET", "/things");
    oai_pager *p = oai_pager_new(e.c, req);
    oai_request_free(req);
    const oai_value *item;
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_null(item);
    oai_call *call = oai_pager_start(p, NULL, NULL, NULL, NULL);
    while (!oai_call_is_done(call))
        assert_true(oai_client_poll(e.c, 0) >= 0);
    const oai_event *ev;
    assert_int_equal(oai_call_next_event(call, &ev), OAI_OK);
    assert_null(ev);
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/data/0/id"), "e");
    oai_response_free(res);
    oai_call_free(call);
    oai_pager_free(p);

    /* A pager made from a failed request. */
    req = oai_file_retrieve_request_new("");
    oai_status failed = oai_request_status(req);
    assert_int_not_equal(failed, OAI_OK);
    p = oai_pager_new(e.c, req);
    oai_request_free(req);
    assert_int_equal(oai_pager_status(p), failed);
    call = oai_pager_start(p, NULL, NULL, NULL, NULL);
    assert_non_null(call);
    while (!oai_call_is_done(call))
        assert_true(oai_client_poll(e.c, 0) >= 0);
    assert_int_equal(oai_call_status(call), failed);
    oai_call_free(call);
    oai_pager_free(p);
    /* ... and one without a client cannot start. */
    p = oai_pager_new(NULL, NULL);
    assert_null(oai_pager_start(p, NULL, NULL, NULL, NULL));
    oai_pager_free(p);
    assert_null(oai_pager_start(NULL, NULL, NULL, NULL, NULL));
    assert_int_equal(memory_transport_request_count(e.mt), 1);
    env_close(&e);
}

/* Freeing the handle of a running workflow cancels it; freeing a running
 * call cancels it silently; freeing the client ends every workflow. No
 * callback runs after, nothing leaks, no exchange stays open. */
static void test_freeing_while_running(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_POLLED);
    reply slow_page = {200, PAGE1, 5000};
    env_push(&e, &slow_page);
    oai_request *req = oai_request_new("GET", "/things");
    oai_pager *p = oai_pager_new(e.c, req);
    oai_request_free(req);
    oai_call *call = oai_pager_start(p, NULL, NULL, NULL, NULL);
    frame(&e);
    assert_int_equal(memory_transport_in_flight(e.mt), 1);
    oai_pager_free(p);
    while (!oai_call_is_done(call))
        frame(&e);
    assert_int_equal(oai_call_status(call), OAI_ERR_CANCELLED);
    oai_call_free(call);
    settle(&e);
    assert_int_equal(memory_transport_in_flight(e.mt), 0);

    /* The upload's handle freed during part 1. */
    reply created = {200, CREATED, 0}, slow_part = {200, PART(1), 5000};
    env_push(&e, &created);
    env_push(&e, &slow_part);
    run r;
    memset(&r, 0, sizeof r);
    r.e = &e;
    scenario sc = {.w = W_UPLOAD, .s = S_CANCEL, .retries = -1};
    r.sc = &sc;
    make_handle(&r);
    assert_int_equal(oai_large_upload_set_progress_callback(r.up, on_upload_progress, &r), OAI_OK);
    call = oai_large_upload_start(r.up, on_done, &r, on_event, &r);
    r.call = call;
    oai_call *again = oai_large_upload_start(r.up, NULL, NULL, NULL, NULL); /* one at a time */
    assert_int_equal(oai_large_upload_resume(r.up, "upload_x", NULL, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_set_part_size(r.up, 5), OAI_ERR_INVALID_ARGUMENT);
    oai_response *refused = oai_large_upload_run(r.up);
    assert_int_equal(oai_response_status(refused), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(refused);
    for (int i = 0; i < 5; i++)
        frame(&e);
    expect_refused(again, "already running");
    assert_int_equal(memory_transport_in_flight(e.mt), 1);
    int calls = r.progress_calls;
    oai_large_upload_free(r.up);
    r.up = NULL;
    while (!r.done)
        frame(&e);
    assert_int_equal(oai_response_status(r.res), OAI_ERR_CANCELLED);
    assert_int_equal(r.progress_calls, calls);
    oai_response_free(r.res);
    oai_call_free(call);
    settle(&e);

    /* A follower's call freed while it waits, a waiter's while it asks. */
    reply job = {200, JOB("running"), 0}, events = {200, EVENTS_1, 0}, batch = {200, BATCH("validating"), 5000};
    env_push(&e, &job);
    env_push(&e, &events);
    oai_call *follow = oai_client_start_follow_fine_tuning_job(e.c, "ftjob-w", 30000, NULL, NULL, NULL, NULL);
    for (int i = 0; i < 5; i++)
        frame(&e);
    env_push(&e, &batch);
    oai_call *wait = oai_client_start_wait_for_batch(e.c, "batch_w", 30000, NULL, NULL, NULL, NULL);
    for (int i = 0; i < 5; i++)
        frame(&e);
    assert_int_equal(memory_transport_in_flight(e.mt), 1);
    oai_call_free(follow); /* its events, queued and not taken, go with it */
    oai_call_free(wait);
    settle(&e);
    assert_int_equal(memory_transport_in_flight(e.mt), 0);

    /* The client freed under a running upload with a progress callback, a
     * follower and a pager: their calls end cancelled and stay valid. */
    env_push(&e, &created);
    env_push(&e, &slow_part);
    memset(&r, 0, sizeof r);
    r.e = &e;
    r.sc = &sc;
    make_handle(&r);
    assert_int_equal(oai_large_upload_set_progress_callback(r.up, on_upload_progress, &r), OAI_OK);
    call = oai_large_upload_start(r.up, NULL, NULL, NULL, NULL);
    for (int i = 0; i < 3; i++)
        frame(&e);
    assert_int_equal(oai_large_upload_part_count(r.up), 0);
    reply slow_job = {200, JOB("running"), 5000};
    env_push(&e, &slow_job);
    env_push(&e, &slow_page);
    follow = oai_client_start_follow_fine_tuning_job(e.c, "ftjob-w", 30000, NULL, NULL, NULL, NULL);
    frame(&e);
    req = oai_request_new("GET", "/things");
    p = oai_pager_new(e.c, req);
    oai_request_free(req);
    oai_call *walk = oai_pager_start(p, NULL, NULL, NULL, NULL);
    frame(&e);
    assert_int_equal(memory_transport_in_flight(e.mt), 3);
    oai_client_free(e.c);
    e.c = NULL;
    assert_true(oai_call_is_done(call) && oai_call_is_done(follow) && oai_call_is_done(walk));
    assert_int_equal(oai_call_status(call), OAI_ERR_CANCELLED);
    assert_int_equal(oai_call_status(follow), OAI_ERR_CANCELLED);
    oai_call_free(call);
    oai_call_free(follow);
    oai_call_free(walk);
    oai_pager_free(p);
    oai_large_upload_free(r.up);
    assert_int_equal(memory_transport_in_flight(e.mt), 0);
    assert_int_equal(memory_transport_violations(e.mt), 0);
    memory_transport_free(e.mt);
}

/* A pulled walk whose host does not take its items: the queue stops at its
 * limit (1024, plus at most one step's 64), no further page is fetched,
 * nothing is lost; once the host takes them the walk goes on, in order, to
 * the end. Polled, then in an event loop, which the engine's timer wakes
 * when items have been taken. */
static void test_pager_pull_back_pressure(void **state)
{
    (void)state;
    enum { PAGES = 30, PER_PAGE = 100 };
    static char bodies[PAGES][PER_PAGE * 20 + 64];
    for (int p = 0; p < PAGES; p++) {
        size_t at = (size_t)snprintf(bodies[p], sizeof bodies[p], "{\"data\":[");
        for (int i = 0; i < PER_PAGE; i++)
            at += (size_t)snprintf(bodies[p] + at, sizeof bodies[p] - at, "%s{\"id\":\"i%d\"}", i ? "," : "",
                                   p * PER_PAGE + i);
        snprintf(bodies[p] + at, sizeof bodies[p] - at, "],\"has_more\":%s}", p + 1 < PAGES ? "true" : "false");
    }
    for (int m = M_POLLED; m <= M_EVENT_LOOP; m++) {
        env e;
        env_open(&e, T_MEMORY, (drive_mode)m);
        for (int p = 0; p < PAGES; p++) {
            reply r = {200, bodies[p], 0};
            env_push(&e, &r);
        }
        oai_request *req = oai_request_new("GET", "/things");
        oai_pager *pager = oai_pager_new(e.c, req);
        oai_request_free(req);
        oai_call *call = oai_pager_start(pager, NULL, NULL, NULL, NULL);
        assert_non_null(call);
        /* Many turns of the host's loop that take nothing. */
        for (int turn = 0; turn < 400; turn++) {
            if (m == M_POLLED)
                frame(&e);
            else if (memory_transport_next_event_us(e.mt) != NEVER || e.loop.timer_at != NEVER)
                loop_once(&e);
        }
        assert_false(oai_call_is_done(call));
        size_t fetched = env_request_count(&e);
        print_message("stalled after %zu pages\n", fetched);
        assert_true(fetched <= 1024 / PER_PAGE + 2);
        int next = 0, queued = 0;
        const oai_event *ev;
        while (oai_call_next_event(call, &ev) == OAI_OK && ev) {
            char id[16];
            snprintf(id, sizeof id, "i%d", next++);
            assert_string_equal(oai_value_get_string(oai_event_json(ev), "/id"), id);
            queued++;
        }
        assert_true(queued >= 1024 && queued <= 1024 + 64);
        /* Taken as they come, to the end. */
        for (int turn = 0; !oai_call_is_done(call) || (oai_call_next_event(call, &ev) == OAI_OK && ev); turn++) {
            assert_true(turn < 100000);
            if (!oai_call_is_done(call)) {
                if (m == M_POLLED)
                    frame(&e);
                else
                    loop_once(&e);
            }
            while (oai_call_next_event(call, &ev) == OAI_OK && ev) {
                char id[16];
                snprintf(id, sizeof id, "i%d", next++);
                assert_string_equal(oai_value_get_string(oai_event_json(ev), "/id"), id);
            }
        }
        assert_int_equal(next, PAGES * PER_PAGE);
        assert_int_equal(env_request_count(&e), PAGES);
        assert_int_equal(oai_call_status(call), OAI_OK);
        oai_call_free(call);
        oai_pager_free(pager);
        env_close(&e);
    }
}

/* A log callback that frees the client while a workflow starts one of its
 * requests (inside the engine's step of the workflow): the client goes when
 * the poll returns, not under the running step; the workflow's call ends
 * cancelled and stays the caller's, and so does the pager. */
static void free_client_on_attempt(void *ud, int level, const char *message)
{
    (void)level;
    oai_client **c = ud;
    if (*c && strstr(message, "(attempt 1)")) {
        oai_client_free(*c);
        *c = NULL;
    }
}

static void test_log_callback_frees_client_in_step(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_POLLED);
    reply page = {200, PAGE1, 0};
    env_push(&e, &page);
    oai_request *req = oai_request_new("GET", "/things");
    oai_pager *pager = oai_pager_new(e.c, req);
    oai_request_free(req);
    oai_call *call = oai_pager_start(pager, NULL, NULL, NULL, NULL);
    oai_client *victim = e.c;
    assert_int_equal(oai_client_set_log_level(e.c, OAI_LOG_DEBUG), OAI_OK);
    assert_int_equal(oai_client_set_log_callback2(e.c, free_client_on_attempt, &victim), OAI_OK);
    assert_int_equal(oai_client_poll(e.c, 0), 0); /* the client is gone when it returns */
    assert_null(victim);
    e.c = NULL;
    assert_true(oai_call_is_done(call));
    assert_int_equal(oai_call_status(call), OAI_ERR_CANCELLED);
    oai_call_free(call);
    oai_pager_free(pager); /* after its client: allowed */
    assert_int_equal(memory_transport_in_flight(e.mt), 0);
    assert_int_equal(memory_transport_violations(e.mt), 0);
    memory_transport_free(e.mt);
}

/* An event callback may free the workflow's handle or its call: the
 * workflow stops at once, and no further event reaches the callback. */
typedef struct freeing {
    oai_pager *pager;
    oai_large_upload *up;
    oai_call *call;
    int events;
    int done;
} freeing;

static int free_on_event(void *ud, const oai_event *ev)
{
    (void)ev;
    freeing *f = ud;
    f->events++;
    if (f->pager) {
        oai_pager_free(f->pager);
        f->pager = NULL;
    } else if (f->up) {
        oai_large_upload_free(f->up);
        f->up = NULL;
    } else if (f->call) {
        oai_call_free(f->call);
        f->call = NULL;
    }
    return 0;
}

static void freeing_done(void *ud, oai_call *call, oai_response *res)
{
    freeing *f = ud;
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    f->done = 1;
    oai_response_free(res);
    oai_call_free(call);
}

static void test_callbacks_free_things(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_BLOCKING);
    reply page = {200, PAGE1, 0};
    /* The pager freed by its walk's event callback. */
    env_push(&e, &page);
    oai_request *req = oai_request_new("GET", "/things");
    freeing f = {0};
    f.pager = oai_pager_new(e.c, req);
    assert_non_null(oai_pager_start(f.pager, freeing_done, &f, free_on_event, &f));
    while (!f.done)
        assert_true(oai_client_poll(e.c, -1) >= 0);
    assert_int_equal(f.events, 1);
    /* The walk's call freed by its event callback: no done callback. */
    env_push(&e, &page);
    oai_pager *p = oai_pager_new(e.c, req);
    memset(&f, 0, sizeof f);
    f.call = oai_pager_start(p, freeing_done, &f, free_on_event, &f);
    for (int i = 0; i < 20 && oai_client_poll(e.c, -1) > 0; i++)
        ;
    assert_int_equal(f.events, 1);
    assert_int_equal(f.done, 0);
    oai_pager_free(p);
    oai_request_free(req);
    /* The upload's handle freed by its progress event. */
    reply created = {200, CREATED, 0}, part = {200, PART(1), 0};
    env_push(&e, &created);
    env_push(&e, &part);
    memset(&f, 0, sizeof f);
    f.up = oai_large_upload_new(e.c, upload_path, "batch", NULL);
    assert_int_equal(oai_large_upload_set_part_size(f.up, 10), OAI_OK);
    assert_non_null(oai_large_upload_start(f.up, freeing_done, &f, free_on_event, &f));
    while (!f.done)
        assert_true(oai_client_poll(e.c, -1) >= 0);
    assert_int_equal(f.events, 1);
    assert_int_equal(memory_transport_request_count(e.mt), 4); /* two pages, create, part 1 */
    env_close(&e);
}

/* Bad arguments: NULL handles give no call; an empty id gives a call that
 * ends with OAI_ERR_INVALID_ARGUMENT, like any outcome. */
static void test_bad_arguments(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_POLLED);
    assert_null(oai_client_start_follow_fine_tuning_job(NULL, "ftjob-w", 10, NULL, NULL, NULL, NULL));
    assert_null(oai_client_start_wait_for_batch(NULL, "batch_w", 10, NULL, NULL, NULL, NULL));
    assert_null(oai_large_upload_start(NULL, NULL, NULL, NULL, NULL));
    oai_call *a = oai_client_start_follow_fine_tuning_job(e.c, "", 10, NULL, NULL, NULL, NULL);
    oai_call *b = oai_client_start_wait_for_batch(e.c, NULL, 10, NULL, NULL, NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    while (!oai_call_is_done(a) || !oai_call_is_done(b))
        frame(&e);
    assert_int_equal(oai_call_status(a), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_call_status(b), OAI_ERR_INVALID_ARGUMENT);
    oai_call_free(a);
    oai_call_free(b);
    oai_response *res = oai_client_wait_for_batch(NULL, "batch_w", 10);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    res = oai_client_wait_for_batch(e.c, "", 10);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    /* A failed upload handle: its start ends with its status. */
    oai_large_upload *up = oai_large_upload_new(e.c, "/nonexistent/file.jsonl", "batch", NULL);
    assert_int_equal(oai_large_upload_status(up), OAI_ERR_IO);
    a = oai_large_upload_start(up, NULL, NULL, NULL, NULL);
    while (!oai_call_is_done(a))
        frame(&e);
    res = oai_call_take_response(a);
    assert_int_equal(oai_response_status(res), OAI_ERR_IO);
    assert_non_null(strstr(oai_response_error_message(res), "cannot open"));
    oai_response_free(res);
    oai_call_free(a);
    oai_large_upload_free(up);
    up = oai_large_upload_new(NULL, upload_path, "batch", NULL);
    assert_null(oai_large_upload_start(up, NULL, NULL, NULL, NULL));
    res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    oai_large_upload_free(up);
    assert_int_equal(memory_transport_request_count(e.mt), 0);
    env_close(&e);
}

/* The blocking forms refuse to wait in event-loop mode (their start forms
 * are what such a host uses) and inside the client's own callbacks. */
typedef struct nested {
    oai_client *c;
    oai_status pager, upload, follow, batch;
} nested;

static void nested_done(void *ud, oai_call *call, oai_response *res)
{
    nested *n = ud;
    oai_request *req = oai_request_new("GET", "/things");
    oai_pager *p = oai_pager_new(n->c, req);
    oai_request_free(req);
    const oai_value *item;
    n->pager = oai_pager_next(p, &item);
    oai_pager_free(p);
    oai_large_upload *up = oai_large_upload_new(n->c, upload_path, "batch", NULL);
    oai_response *r = oai_large_upload_run(up);
    n->upload = oai_response_status(r);
    oai_response_free(r);
    oai_large_upload_free(up);
    r = oai_client_follow_fine_tuning_job(n->c, "ftjob-w", 10, NULL, NULL);
    n->follow = oai_response_status(r);
    oai_response_free(r);
    r = oai_client_wait_for_batch(n->c, "batch_w", 10);
    n->batch = oai_response_status(r);
    oai_response_free(r);
    oai_response_free(res);
    oai_call_free(call);
}

static void test_blocking_forms_refuse(void **state)
{
    (void)state;
    for (int where = 0; where < 2; where++) {
        env e;
        env_open(&e, T_MEMORY, where == 0 ? M_EVENT_LOOP : M_POLLED);
        nested n = {e.c, OAI_OK, OAI_OK, OAI_OK, OAI_OK};
        if (where == 0) {
            nested_done(&n, NULL, NULL);
        } else {
            reply batch = {200, BATCH_DONE, 0};
            env_push(&e, &batch);
            oai_call *call = oai_client_start_wait_for_batch(e.c, "batch_w", 10, nested_done, &n, NULL, NULL);
            assert_non_null(call);
            while (n.c == e.c && n.batch == OAI_OK)
                frame(&e);
        }
        assert_int_equal(n.pager, OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(n.upload, OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(n.follow, OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(n.batch, OAI_ERR_INVALID_ARGUMENT);
        settle(&e);
        env_close(&e);
    }
}

/* A follower catching up more events than a page, and a waiter whose
 * event callback stops it, on the simulated clock. */
static void test_follower_pages_and_waiter_stop(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_BLOCKING);
    reply script[] = {
        {200, JOB("running"), 0},
        {200, EVENTS_1, 0},
        {200, JOB("succeeded"), 0},
        {200, "{\"data\":[" EV("e3") "," EV("e2") "],\"has_more\":true}", 0},
        {200, EVENTS_1, 0},
    };
    for (size_t i = 0; i < sizeof script / sizeof *script; i++)
        env_push(&e, &script[i]);
    scenario sc = {.w = W_FOLLOWER, .s = S_SUCCESS, .retries = -1};
    run r;
    memset(&r, 0, sizeof r);
    r.e = &e;
    r.sc = &sc;
    r.call = oai_client_start_follow_fine_tuning_job(e.c, "ftjob-w", 1000, on_done, &r, on_event, &r);
    while (!r.done)
        assert_true(oai_client_poll(e.c, -1) >= 0);
    assert_string_equal(r.items, "e1 e2 e3");
    assert_string_equal(oai_response_get_string(r.res, "/status"), "succeeded");
    assert_string_equal(memory_transport_request(e.mt, 4)->target,
                        "/v1/fine_tuning/jobs/ftjob-w/events?limit=100&after=e2");
    oai_response_free(r.res);
    oai_call_free(r.call);

    /* The waiter stopped by its event callback at the first status. */
    reply batch = {200, BATCH("in_progress"), 0};
    env_push(&e, &batch);
    sc.w = W_BATCH;
    memset(&r, 0, sizeof r);
    r.e = &e;
    r.sc = &sc;
    r.stop_at = 1;
    r.call = oai_client_start_wait_for_batch(e.c, "batch_w", 1000, on_done, &r, on_event, &r);
    while (!r.done)
        assert_true(oai_client_poll(e.c, -1) >= 0);
    assert_int_equal(oai_response_status(r.res), OAI_ERR_CANCELLED);
    assert_string_equal(oai_response_get_string(r.res, "/status"), "in_progress");
    assert_string_equal(oai_response_error_message(r.res), "cancelled by the event callback");
    oai_response_free(r.res);
    oai_call_free(r.call);
    /* An answer without a status is not a batch. */
    reply odd = {200, "{\"id\":\"batch_w\"}", 0};
    env_push(&e, &odd);
    oai_response *res = oai_client_wait_for_batch(e.c, "batch_w", 1000);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    oai_response_free(res);
    env_close(&e);
}

/* ---- out of memory ----------------------------------------------------------------------- */

/* The library's allocator for this whole executable (oai_set_allocator(),
 * set first thing in main()): libc's, with a countdown that fails one
 * chosen allocation, and, while tracking, a set of the blocks allocated
 * and not yet freed. Tracking and failing happen only in
 * test_out_of_memory, on the in-memory transport, when no other thread
 * (no mock server) runs. */
#define LIVE_SLOTS ((size_t)1 << 16)
#define TOMBSTONE ((void *)1)
static void *live[LIVE_SLOTS];
static size_t live_count;
static int tracking;
static long alloc_n, fail_at;       /* fail_at > 0: allocation fail_at fails */
static int failed_once;
static int failed_in_openssl;       /* the failed allocation was OpenSSL's own */

/* Whether the caller is inside libcrypto: OpenSSL keeps process-wide
 * caches (its digest fetch), and one that failed half-way may keep a
 * block until the process ends, which is OpenSSL's to free, not ours. */
static int inside_openssl(void)
{
    void *frames[32];
    int n = backtrace(frames, 32);
    for (int i = 0; i < n; i++) {
        Dl_info info;
        if (dladdr(frames[i], &info) && info.dli_fname && strstr(info.dli_fname, "libcrypto"))
            return 1;
    }
    return 0;
}

static size_t slot_of(const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 17;
    h *= UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 40) & (LIVE_SLOTS - 1);
}

static void live_add(void *p)
{
    size_t i = slot_of(p);
    while (live[i] && live[i] != TOMBSTONE)
        i = (i + 1) & (LIVE_SLOTS - 1);
    live[i] = p;
    live_count++;
    assert_true(live_count < LIVE_SLOTS / 2);
}

static int live_remove(void *p)
{
    for (size_t i = slot_of(p); live[i]; i = (i + 1) & (LIVE_SLOTS - 1))
        if (live[i] == p) {
            live[i] = TOMBSTONE;
            live_count--;
            return 1;
        }
    return 0;
}

static int fails_now(void)
{
    if (fail_at <= 0 && !tracking)
        return 0;
    if (++alloc_n != fail_at)
        return 0;
    failed_once = 1;
    failed_in_openssl = inside_openssl();
    return 1;
}

static void *t_malloc(void *ud, size_t n)
{
    (void)ud;
    if (fails_now())
        return NULL;
    void *p = malloc(n);
    if (p && tracking)
        live_add(p);
    return p;
}

static void *t_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    if (fails_now())
        return NULL;
    int tracked = tracking && (!p || live_remove(p));
    void *q = realloc(p, n);
    if (tracked && (q || p))
        live_add(q ? q : p);
    return q;
}

static void t_free(void *ud, void *p)
{
    (void)ud;
    if (tracking)
        live_remove(p);
    free(p);
}

static const reply *success_replies(workflow_kind w)
{
    for (size_t i = 0; i < SCENARIO_COUNT; i++)
        if (scenarios[i].w == w && scenarios[i].s == S_SUCCESS)
            return scenarios[i].replies;
    return NULL;
}

/* One polled run of the workflow's success scenario with allocation n
 * failing (0: none). Whatever fails, the call ends and its outcome is OK
 * or an error. Returns the allocations the run made; *left gets the
 * blocks it left allocated once everything was freed. */
static long oom_run(workflow_kind w, long n, int track, size_t *left)
{
    env e;
    env_open(&e, T_MEMORY, M_POLLED);
    const reply *replies = success_replies(w);
    for (size_t i = 0; i < MAX_REPLIES && replies[i].status; i++)
        env_push(&e, &replies[i]);
    scenario sc = {.w = w, .s = S_SUCCESS, .retries = -1};
    run r;
    memset(&r, 0, sizeof r);
    r.e = &e;
    r.sc = &sc;
    make_handle(&r);
    memset(live, 0, sizeof live);
    live_count = 0;
    alloc_n = 0;
    failed_once = 0;
    failed_in_openssl = 0;
    tracking = track;
    fail_at = n;
    oai_call *call = start(&r, 0);
    if (call) {
        for (int frames = 0; !oai_call_is_done(call); frames++) {
            if (frames > 100000)
                fail_msg("%s: allocation %ld failed, and the workflow never ended", workflow_names[w], n);
            memory_transport_advance_us(e.mt, MEMORY_FRAME_US);
            memory_transport_deliver(e.mt);
            oai_client_poll(e.c, 0);
            const oai_event *ev;
            while (oai_call_next_event(call, &ev) == OAI_OK && ev)
                ;
        }
        oai_response *res = oai_call_take_response(call);
        if (!failed_once)
            assert_int_equal(oai_response_status(res), OAI_OK);
        oai_response_free(res);
        oai_call_free(call);
    } else {
        assert_true(failed_once);
    }
    fail_at = 0;
    for (int i = 0; i < 1000 && oai_client_poll(e.c, 0) > 0; i++)
        memory_transport_advance_us(e.mt, MEMORY_FRAME_US);
    oai_pager_free(r.pager);
    oai_large_upload_free(r.up);
    env_close(&e);
    tracking = 0;
    *left = failed_in_openssl ? 0 : live_count;
    return alloc_n;
}

/* Every allocation of each workflow's run fails once (every few under
 * valgrind): no crash, no hang, no leak. */
static void test_out_of_memory(void **state)
{
    (void)state;
    /* OAI_TEST_OOM_ONLY=W:N fails only allocation N of workflow W (0-3),
     * untracked, so that valgrind names a leaked block's origin. */
    const char *only = getenv("OAI_TEST_OOM_ONLY");
    int only_w;
    long only_n;
    size_t left;
    if (only && sscanf(only, "%d:%ld", &only_w, &only_n) == 2) {
        oom_run((workflow_kind)only_w, only_n, 0, &left);
        return;
    }
    for (int w = 0; w < 4; w++) {
        oom_run((workflow_kind)w, 0, 0, &left);                /* warm-up: one-time global state */
        long total = oom_run((workflow_kind)w, 0, 1, &left);   /* counts, and checks for leaks */
        assert_int_equal(left, 0);
        long stride = getenv("OAI_TEST_MEMCHECK") ? total / 150 + 1 : 1;
        for (long n = 1; n <= total; n += stride) {
            oom_run((workflow_kind)w, n, 1, &left);
            if (left)
                fail_msg("%s: allocation %ld failed: %zu blocks left allocated", workflow_names[w], n, left);
        }
        print_message("%s: %ld allocations, each failed once%s\n", workflow_names[w], total,
                      stride > 1 ? " (a sample)" : "");
    }
}

/* ---- beyond the table: libcurl and the stateful mock ---------------------------------- */

#if OAI_TEST_WITH_CURL

static char *dup_string(const char *s)
{
    assert_non_null(s);
    char *copy = strdup(s);
    assert_non_null(copy);
    return copy;
}

typedef struct flow {
    int done;
    oai_response *res;
    int progress_events;
    int job_events;
    char statuses[256];
} flow;

static void flow_done(void *ud, oai_call *call, oai_response *res)
{
    flow *f = ud;
    f->res = res;
    f->done = 1;
    oai_call_free(call); /* freeing the call in its own done callback */
}

static int flow_event(void *ud, const oai_event *ev)
{
    flow *f = ud;
    if (oai_event_type_of(ev) == OAI_EVENT_PROGRESS)
        f->progress_events++;
    else if (oai_event_get_string(ev, "/object") && strcmp(oai_event_get_string(ev, "/object"), "batch") == 0) {
        size_t n = strlen(f->statuses);
        snprintf(f->statuses + n, sizeof f->statuses - n, "%s%s", n ? " " : "", oai_event_get_string(ev, "/status"));
    } else
        f->job_events++;
    return 0;
}

/* Developer mode in an event loop: upload training data in parts, start a
 * fine-tuning job on it, follow it to the end; then a batch from its input
 * file to its output file. All through the start forms, against the
 * mock's stateful API, on one client in event-loop mode. */
static void test_stateful_flows_in_event_loop(void **state)
{
    (void)state;
    mock_state_reset();
    env e;
    env_open(&e, T_CURL, M_EVENT_LOOP);
    char path[128];
    snprintf(path, sizeof path, "%s/train.jsonl", upload_dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 40; i++)
        fprintf(fp, "{\"messages\":[{\"role\":\"user\",\"content\":\"q%d\"},{\"role\":\"assistant\",\"content\":\"a%d\"}]}\n",
                i, i);
    fclose(fp);
    oai_large_upload *up = oai_large_upload_new(e.c, path, "fine-tune", "application/jsonl");
    assert_int_equal(oai_large_upload_set_part_size(up, 1000), OAI_OK);
    flow f = {0};
    assert_non_null(oai_large_upload_start(up, flow_done, &f, flow_event, &f));
    loop_until_done(&e, &f.done);
    assert_int_equal(oai_response_status(f.res), OAI_OK);
    assert_string_equal(oai_response_get_string(f.res, "/status"), "completed");
    assert_int_equal((size_t)f.progress_events, oai_large_upload_part_count(up));
    assert_true(f.progress_events >= 3);
    char *file_id = dup_string(oai_response_get_string(f.res, "/file/id"));
    oai_response_free(f.res);
    oai_large_upload_free(up);

    memset(&f, 0, sizeof f);
    oai_request *req = oai_fine_tuning_job_create_request_new("gpt-4o-mini-2024-07-18", file_id);
    assert_non_null(oai_client_start(e.c, req, flow_done, &f));
    oai_request_free(req);
    loop_until_done(&e, &f.done);
    assert_int_equal(oai_response_status(f.res), OAI_OK);
    char *job_id = dup_string(oai_response_get_string(f.res, "/id"));
    oai_response_free(f.res);

    memset(&f, 0, sizeof f);
    assert_non_null(oai_client_start_follow_fine_tuning_job(e.c, job_id, 10, flow_done, &f, flow_event, &f));
    loop_until_done(&e, &f.done);
    assert_int_equal(oai_response_status(f.res), OAI_OK);
    assert_string_equal(oai_response_get_string(f.res, "/status"), "succeeded");
    assert_non_null(oai_response_get_string(f.res, "/fine_tuned_model"));
    assert_true(f.job_events >= 3);
    oai_response_free(f.res);

    /* A batch: its input file, the batch, and the wait (validating ->
     * in_progress -> completed over successive retrievals). */
    static const char batch_input[] =
        "{\"custom_id\":\"r1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\","
        "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";
    memset(&f, 0, sizeof f);
    req = oai_file_create_from_data_request_new(batch_input, strlen(batch_input), "in.jsonl", "batch");
    assert_non_null(oai_client_start(e.c, req, flow_done, &f));
    oai_request_free(req);
    loop_until_done(&e, &f.done);
    char *input_id = dup_string(oai_response_get_string(f.res, "/id"));
    oai_response_free(f.res);
    memset(&f, 0, sizeof f);
    req = oai_batch_create_request_new(input_id, "/v1/chat/completions", NULL);
    assert_non_null(oai_client_start(e.c, req, flow_done, &f));
    oai_request_free(req);
    loop_until_done(&e, &f.done);
    char *batch_id = dup_string(oai_response_get_string(f.res, "/id"));
    oai_response_free(f.res);
    memset(&f, 0, sizeof f);
    assert_non_null(oai_client_start_wait_for_batch(e.c, batch_id, 10, flow_done, &f, flow_event, &f));
    loop_until_done(&e, &f.done);
    assert_int_equal(oai_response_status(f.res), OAI_OK);
    assert_string_equal(oai_response_get_string(f.res, "/status"), "completed");
    assert_string_equal(f.statuses, "in_progress completed");
    assert_non_null(oai_response_get_string(f.res, "/output_file_id"));
    oai_response_free(f.res);
    settle(&e);

    /* The blocking waiter on a second batch, from a blocking client of the
     * same server (its files live in the server's directory). */
    oai_client *b = oai_client_new();
    assert_int_equal(oai_client_set_base_url(b, mock_server_url(e.server)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(b, "sk-workflows"), OAI_OK);
    req = oai_batch_create_request_new(input_id, "/v1/chat/completions", NULL);
    oai_response *res = oai_client_send(b, req);
    oai_request_free(req);
    char *second = dup_string(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    res = oai_client_wait_for_batch(b, second, 10);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    const char *out = oai_response_get_string(res, "/output_file_id");
    assert_non_null(out);
    oai_request *content = oai_file_retrieve_content_request_new(out);
    oai_response *body = oai_client_send(b, content);
    oai_request_free(content);
    assert_int_equal(oai_response_status(body), OAI_OK);
    assert_non_null(strstr(oai_response_body(body), "\"custom_id\":\"r1\""));
    oai_response_free(body);
    oai_response_free(res);
    oai_client_free(b);
    env_close(&e);
    free(second);
    free(batch_id);
    free(input_id);
    free(job_id);
    free(file_id);
    unlink(path);
    mock_state_reset();
}

/* Counts the calls of a progress callback that never stops anything. */
static int on_freed_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    (void)sent;
    (void)send_total;
    (void)received;
    (void)receive_total;
    run *r = ud;
    r->progress_calls++;
    return 0;
}

/* A part's progress callback after its workflow was freed mid-part: the
 * part stops, and nothing of the freed run (nor the caller's callback) is
 * touched (valgrind checks the first, the counter the second). */
static void test_upload_freed_mid_part(void **state)
{
    (void)state;
    mock_state_reset();
    env e;
    env_open(&e, T_CURL, M_POLLED);
    char path[128];
    snprintf(path, sizeof path, "%s/big.bin", upload_dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    static char block[65536];
    memset(block, 'x', sizeof block);
    for (int i = 0; i < 64; i++) /* 4 MiB */
        fwrite(block, 1, sizeof block, fp);
    fclose(fp);
    oai_large_upload *up = oai_large_upload_new(e.c, path, "batch", NULL);
    run r;
    memset(&r, 0, sizeof r);
    assert_int_equal(oai_large_upload_set_part_size(up, 4 * 1024 * 1024), OAI_OK);
    assert_int_equal(oai_large_upload_set_progress_callback(up, on_freed_progress, &r), OAI_OK);
    oai_call *call = oai_large_upload_start(up, NULL, NULL, NULL, NULL);
    int64_t end = host_loop_real_now_us() + 5000000;
    while (r.progress_calls == 0 && host_loop_real_now_us() < end)
        assert_true(oai_client_poll(e.c, 1) >= 0);
    assert_true(r.progress_calls > 0);
    oai_call_free(call);
    int calls = r.progress_calls;
    for (int i = 0; i < 50; i++)
        oai_client_poll(e.c, 1);
    assert_int_equal(r.progress_calls, calls);
    settle(&e);
    oai_large_upload_free(up);
    env_close(&e);
    unlink(path);
    mock_state_reset();
}

#endif

/* ---- main ----------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_LOG");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    snprintf(upload_dir, sizeof upload_dir, "/tmp/oai-workflows-XXXXXX");
    if (!mkdtemp(upload_dir))
        return -1;
    snprintf(upload_path, sizeof upload_path, "%s/data.bin", upload_dir);
    FILE *fp = fopen(upload_path, "wb");
    if (!fp)
        return -1;
    fputs(UPLOAD_BYTES, fp);
    fclose(fp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(upload_path);
    rmdir(upload_dir);
    return 0;
}

int main(void)
{
    enum { WORKFLOWS = 4, TRANSPORTS = 2, MODES = 3 };
    /* Before anything allocates: see test_out_of_memory. */
    if (oai_set_allocator(t_malloc, t_realloc, t_free, NULL) != OAI_OK)
        return 1;
    static cell cells[WORKFLOWS * TRANSPORTS * MODES];
    static char names[WORKFLOWS * TRANSPORTS * MODES][64];
    struct CMUnitTest tests[WORKFLOWS * TRANSPORTS * MODES + 16];
    size_t n = 0;
    for (int t = 0; t < TRANSPORTS; t++) {
#if !OAI_TEST_WITH_CURL
        if (t == T_CURL)
            continue;
#endif
        for (int w = 0; w < WORKFLOWS; w++)
            for (int m = 0; m < MODES; m++) {
                cell *c = &cells[n];
                c->w = (workflow_kind)w;
                c->t = (transport_kind)t;
                c->m = (drive_mode)m;
                snprintf(names[n], sizeof names[n], "%s/%s/%s", workflow_names[w], transport_names[t], mode_names[m]);
                struct CMUnitTest test = {names[n], test_cell, NULL, NULL, c};
                tests[n++] = test;
            }
    }
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_pager_start_then_next),
        cmocka_unit_test(test_pager_start_edges),
        cmocka_unit_test(test_freeing_while_running),
        cmocka_unit_test(test_pager_pull_back_pressure),
        cmocka_unit_test(test_log_callback_frees_client_in_step),
        cmocka_unit_test(test_callbacks_free_things),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_blocking_forms_refuse),
        cmocka_unit_test(test_follower_pages_and_waiter_stop),
        cmocka_unit_test(test_out_of_memory),
#if OAI_TEST_WITH_CURL
        cmocka_unit_test(test_stateful_flows_in_event_loop),
        cmocka_unit_test(test_upload_freed_mid_part),
#endif
    };
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++)
        tests[n++] = extra[i];
    return _cmocka_run_group_tests("workflows", tests, n, group_setup, group_teardown);
}
