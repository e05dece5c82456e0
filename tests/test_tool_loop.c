/* The tool loop (issue 11, item 5): oai_client_send_with_tools() and
 * oai_client_start_send_with_tools(), a scripted tool-calling conversation
 * in each of the three drive modes, as tests/test_workflows.c runs the
 * other workflows:
 *
 *   blocking    oai_client_send_with_tools()
 *   polled      the start form with no callback, oai_client_poll(c, 0) per
 *               frame, events by oai_call_next_event(), the outcome by
 *               oai_call_take_response()
 *   event loop  the start form with done and event callbacks, driven by the
 *               host's timer (and sockets with libcurl)
 *   pulled      the pull form (no tool function, no callback at all): tool
 *               calls are OAI_EVENT_TOOL_CALL events, answered (in reverse
 *               order) with oai_call_answer_tool(), polled per frame
 *   pulled, event loop
 *               the same, the host's event loop driving (timer and
 *               sockets), the answers given between its turns
 *
 * on the in-memory transport (simulated clock) and, with libcurl, the real
 * transport against the mock server. Scenarios: chat and Responses
 * conversations that end with text, the step limit, a failed step, and a
 * tool function that stops the loop; then streamed steps (their deltas
 * passed on in order, within the pull queue's bound), an event callback
 * that stops, and bad arguments. */
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
#include "oai.h"

#define NEVER INT64_MAX
#define MEMORY_FRAME_US 50000

typedef enum transport_kind { T_MEMORY, T_CURL } transport_kind;
typedef enum drive_mode { M_BLOCKING, M_POLLED, M_EVENT_LOOP, M_PULLED, M_PULLED_EVENT_LOOP, M_COUNT } drive_mode;
static const char *const transport_names[] = {"memory", "curl"};
static const char *const mode_names[] = {"blocking", "polled", "event-loop", "pulled", "pulled-event-loop"};

static int event_loop_mode(drive_mode m)
{
    return m == M_EVENT_LOOP || m == M_PULLED_EVENT_LOOP;
}

static int pulled_mode(drive_mode m)
{
    return m == M_PULLED || m == M_PULLED_EVENT_LOOP;
}

/* ---- the conversation ------------------------------------------------------------ */

#define CHAT_CALLS                                                                                               \
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," \
    "\"content\":null,\"tool_calls\":["                                                                           \
    "{\"id\":\"call_w\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"              \
    "\"{\\\"city\\\":\\\"Paris\\\"}\"}},"                                                                          \
    "{\"id\":\"call_t\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"     \
    "\"finish_reason\":\"tool_calls\"}]}"
#define CHAT_ANSWER                                                                                              \
    "{\"id\":\"c2\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," \
    "\"content\":\"21 C in Paris at noon.\"},\"finish_reason\":\"stop\"}]}"
#define RESP_CALLS                                                                                                 \
    "{\"id\":\"r1\",\"object\":\"response\",\"status\":\"completed\",\"output\":["                                 \
    "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"                                                      \
    "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_w\",\"name\":\"get_weather\",\"arguments\":" \
    "\"{\\\"city\\\":\\\"Paris\\\"}\",\"status\":\"completed\"}]}"
#define RESP_ANSWER                                                                                                \
    "{\"id\":\"r2\",\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"message\","           \
    "\"id\":\"m1\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"21 C in Paris.\"}]}]}"
#define BAD "{\"error\":{\"message\":\"tool message out of order\",\"type\":\"invalid_request_error\"}}"

typedef enum scenario_kind { S_CHAT, S_RESPONSES, S_LIMIT, S_FAILED, S_TOOL_STOPS } scenario_kind;
static const char *const scenario_names[] = {"chat", "responses", "limit", "failed", "tool-stops"};

typedef struct scenario {
    int responses;          /* a Responses request */
    int max_steps;
    const char *replies[3];
    int statuses[3];        /* 0: 200 */
    oai_status status;
    const char *text;       /* the final text, or the error message's start */
    int requests;
    const char *tools;      /* the tool calls answered, as the tool function saw them */
    int items;              /* events */
} scenario;

static const scenario scenarios[] = {
    [S_CHAT] = {0, 0, {CHAT_CALLS, CHAT_ANSWER}, {0}, OAI_OK, "21 C in Paris at noon.", 2,
                "call_w get_weather {\"city\":\"Paris\"};call_t get_time {};", 2},
    [S_RESPONSES] = {1, 0, {RESP_CALLS, RESP_ANSWER}, {0}, OAI_OK, "21 C in Paris.", 2,
                     "call_w get_weather {\"city\":\"Paris\"};", 1},
    [S_LIMIT] = {0, 2, {CHAT_CALLS, CHAT_CALLS, CHAT_ANSWER}, {0}, OAI_ERR_TOO_LARGE,
                 "the tool loop reached its limit of 2 steps", 2,
                 "call_w get_weather {\"city\":\"Paris\"};call_t get_time {};", 2},
    [S_FAILED] = {0, 0, {CHAT_CALLS, BAD}, {0, 400}, OAI_ERR_BAD_REQUEST, "tool message out of order", 2,
                  "call_w get_weather {\"city\":\"Paris\"};call_t get_time {};", 2},
    [S_TOOL_STOPS] = {0, 0, {CHAT_CALLS, CHAT_ANSWER}, {0}, OAI_ERR_CANCELLED,
                      "the tool loop: the tool function returned NULL", 1,
                      "call_w get_weather {\"city\":\"Paris\"};call_t get_time {};", 1},
};

/* ---- the host's loops (tests/support/host_loop.h) --------------------------------- */

typedef struct env {
    transport_kind t;
    drive_mode m;
    oai_client *c;
    memory_transport *mt;
    mock_server *server;
    host_loop loop; /* the host's frame and event loop (host_loop.h) */
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
    assert_int_equal(oai_client_set_api_key(e->c, "sk-tools"), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(e->c, 0), OAI_OK);
    if (t == T_MEMORY) {
        assert_int_equal(oai_client_set_base_url(e->c, "http://127.0.0.1:9/v1"), OAI_OK);
        e->mt = memory_transport_new();
        assert_non_null(e->mt);
        memory_transport_set_has_run(e->mt, m == M_BLOCKING);
        memory_transport_set_answer_in_start(e->mt, event_loop_mode(m));
        assert_int_equal(memory_transport_attach(e->mt, e->c), OAI_OK);
    } else {
        e->server = mock_server_start();
        assert_non_null(e->server);
        assert_int_equal(oai_client_set_base_url(e->c, mock_server_url(e->server)), OAI_OK);
    }
    host_loop_init(&e->loop, e->c, e->mt, event_loop_mode(m));
}

static void env_close(env *e)
{
    oai_client_free(e->c);
    if (e->t == T_MEMORY) {
        assert_int_equal(memory_transport_in_flight(e->mt), 0);
        memory_transport_free(e->mt);
    } else {
        assert_int_equal(e->loop.sock_count, 0);
        mock_server_stop(e->server);
    }
}

static void env_push(env *e, int status, const char *body, const char *content_type)
{
    mock_reply m = {.status = status ? status : 200, .body = body, .content_type = content_type};
    if (e->t == T_MEMORY)
        assert_int_equal(memory_transport_push(e->mt, &m), 0);
    else
        mock_server_push(e->server, &m);
}

static size_t env_request_count(env *e)
{
    return e->t == T_MEMORY ? memory_transport_request_count(e->mt) : mock_server_request_count(e->server);
}

static const char *env_body(env *e, size_t i)
{
    return (e->t == T_MEMORY ? memory_transport_request(e->mt, i) : mock_server_request(e->server, i))->body;
}

/* ---- one run ---------------------------------------------------------------------- */

typedef struct run {
    env *e;
    const scenario *sc;
    char tools[512];        /* "id name args;" per call answered */
    int tool_calls;
    int stop_tool_at;       /* the tool function returns NULL at this call (0: never) */
    int items;
    char outputs[512];      /* the events' outputs, ';'-separated */
    int stop_event_at;      /* the event callback stops at this event (0: never) */
    oai_response *res;
    int done;
    char result[64];
    int dones;              /* OAI_EVENT_DONE events */
    char *conversation;     /* the JSON of the last one's /request */
    int tool_stopped;       /* the pulled host gave up (its tool function returned NULL) */
    char seq[64];           /* the events' order: t text deltas, c tool calls, D the end (runs collapsed) */
    char streamed[16384];    /* the text deltas, '|' between steps */
    int stream_events;      /* a streamed step's events passed on */
} run;

static void note(run *r, char kind)
{
    size_t n = strlen(r->seq);
    if ((n == 0 || r->seq[n - 1] != kind) && n + 1 < sizeof r->seq) {
        r->seq[n] = kind;
        r->seq[n + 1] = '\0';
    }
}

static const char *tool(void *ud, const char *id, const char *name, const char *arguments)
{
    run *r = ud;
    r->tool_calls++;
    size_t n = strlen(r->tools);
    snprintf(r->tools + n, sizeof r->tools - n, "%s %s %s;", id, name, arguments);
    if (r->stop_tool_at && r->tool_calls >= r->stop_tool_at)
        return NULL;
    /* A buffer of the host's, reused: the library copies the result. */
    snprintf(r->result, sizeof r->result, strcmp(name, "get_time") == 0 ? "12:00" : "{\"temp_c\":%d}", 21);
    return r->result;
}

static int record(run *r, const oai_event *ev)
{
    int type = oai_event_type_of(ev);
    if (type != OAI_EVENT_DONE && type != OAI_EVENT_TOOL_CALL && type != OAI_EVENT_ITEM) {
        /* A streamed step's own event, before the loop's end. */
        assert_int_equal(r->dones, 0);
        r->stream_events++;
        if (type == OAI_EVENT_TEXT) {
            size_t n = strlen(r->streamed), len = oai_event_text_len(ev);
            const char *text = oai_event_text(ev);
            if (strchr(r->seq, 'c') && r->seq[strlen(r->seq) - 1] == 'c' && n + 1 < sizeof r->streamed)
                r->streamed[n++] = '|';
            assert_true(n + len < sizeof r->streamed);
            memcpy(r->streamed + n, text, len);
            r->streamed[n + len] = '\0';
            note(r, 't');
        }
        return 0;
    }
    note(r, type == OAI_EVENT_DONE ? 'D' : 'c');
    if (type == OAI_EVENT_DONE) {
        /* The conversation as the loop last sent it, once, last. */
        r->dones++;
        assert_true(oai_event_get_int(ev, "/steps") >= 1);
        assert_non_null(oai_event_get(ev, "/request"));
        free(r->conversation);
        char *json = oai_value_json_dup(oai_event_get(ev, "/request"));
        assert_non_null(json);
        r->conversation = strdup(json);
        oai_free(json);
        return 0;
    }
    assert_int_equal(r->dones, 0);
    if (pulled_mode(r->e->m)) {
        assert_int_equal(oai_event_type_of(ev), OAI_EVENT_TOOL_CALL);
        r->items++;
        assert_true(oai_event_get_int(ev, "/step") >= 1);
        assert_true(oai_event_get_int(ev, "/index") >= 0);
        assert_non_null(oai_event_get_string(ev, "/id"));
        assert_non_null(oai_event_get_string(ev, "/name"));
        assert_non_null(oai_event_get_string(ev, "/arguments"));
        assert_null(oai_event_get(ev, "/output"));
        return 0;
    }
    assert_int_equal(oai_event_type_of(ev), OAI_EVENT_ITEM);
    r->items++;
    assert_true(oai_event_get_int(ev, "/step") >= 1);
    assert_non_null(oai_event_get_string(ev, "/id"));
    assert_non_null(oai_event_get_string(ev, "/name"));
    assert_non_null(oai_event_get_string(ev, "/arguments"));
    size_t n = strlen(r->outputs);
    snprintf(r->outputs + n, sizeof r->outputs - n, "%s;", oai_event_get_string(ev, "/output"));
    return r->stop_event_at && r->items >= r->stop_event_at;
}

static int on_event(void *ud, const oai_event *ev)
{
    return record(ud, ev);
}

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    run *r = ud;
    (void)call;
    r->res = res;
    r->done = 1;
}

static oai_request *make_request(const scenario *sc)
{
    oai_request *req;
    if (sc->responses) {
        req = oai_response_create_request_new("gpt-4o", "Weather in Paris?");
        oai_request_set_json(req, "/tools",
                             "[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}]");
    } else {
        req = oai_chat_completion_create_request_new("gpt-4o");
        oai_chat_request_add_message(req, "user", "Weather and time in Paris?");
        oai_chat_request_add_tool(req, "get_weather", "The weather", "{\"type\":\"object\"}");
        oai_chat_request_add_tool(req, "get_time", NULL, NULL);
    }
    assert_int_equal(oai_request_status(req), OAI_OK);
    return req;
}

/* The pulled host's turn: takes the waiting events, asks its tool function
 * for each call (in order), then answers them in reverse order; a NULL
 * result makes it cancel the loop. */
static void answer_pulled(run *r, oai_call *call)
{
    const oai_event *ev = NULL;
    char ids[8][64], outputs[8][64];
    int n = 0;
    while (oai_call_next_event(call, &ev) == OAI_OK && ev) {
        record(r, ev);
        if (oai_event_type_of(ev) != OAI_EVENT_TOOL_CALL || r->tool_stopped)
            continue;
        const char *output = tool(r, oai_event_get_string(ev, "/id"), oai_event_get_string(ev, "/name"),
                                  oai_event_get_string(ev, "/arguments"));
        if (!output) {
            r->tool_stopped = 1;
            oai_call_cancel(call);
            continue;
        }
        assert_true(n < 8);
        snprintf(ids[n], sizeof ids[n], "%s", oai_event_get_string(ev, "/id"));
        snprintf(outputs[n], sizeof outputs[n], "%s", output);
        n++;
    }
    /* The answers come after the events were taken, from the host's own
     * copies, last call first. */
    while (n-- > 0 && !r->tool_stopped)
        assert_int_equal(oai_call_answer_tool(call, ids[n], outputs[n]), OAI_OK);
}

static void drive(run *r, oai_request *req, int max_steps)
{
    env *e = r->e;
    if (pulled_mode(e->m)) {
        oai_call *call = oai_client_start_send_with_tools(e->c, req, max_steps, NULL, NULL, NULL, NULL, NULL, NULL);
        assert_non_null(call);
        int64_t end = host_loop_real_now_us() + 10 * 1000000;
        for (int frames = 0;; frames++) {
            answer_pulled(r, call);
            if (oai_call_is_done(call))
                break;
            assert_true(frames < 100000 && host_loop_real_now_us() < end);
            if (e->m == M_PULLED)
                frame(e);
            else
                loop_once(e);
        }
        answer_pulled(r, call); /* the events queued with the end */
        r->res = oai_call_take_response(call);
        assert_int_equal(oai_call_status(call), oai_response_status(r->res));
        /* Too late now. */
        assert_int_equal(oai_call_answer_tool(call, "call_w", "x"), OAI_ERR_INVALID_ARGUMENT);
        oai_call_free(call);
        r->done = 1;
    } else if (e->m == M_BLOCKING) {
        r->res = oai_client_send_with_tools(e->c, req, max_steps, tool, r);
        r->done = 1;
    } else if (e->m == M_POLLED) {
        oai_call *call = oai_client_start_send_with_tools(e->c, req, max_steps, tool, r, NULL, NULL, NULL, NULL);
        assert_non_null(call);
        for (int frames = 0;; frames++) {
            const oai_event *ev = NULL;
            while (oai_call_next_event(call, &ev) == OAI_OK && ev)
                if (record(r, ev))
                    oai_call_cancel(call);
            if (oai_call_is_done(call))
                break;
            assert_true(frames < 100000);
            frame(e);
        }
        r->res = oai_call_take_response(call);
        assert_int_equal(oai_call_status(call), oai_response_status(r->res));
        oai_call_free(call);
        r->done = 1;
    } else {
        oai_call *call = oai_client_start_send_with_tools(e->c, req, max_steps, tool, r, on_done, r, on_event, r);
        assert_non_null(call);
        int64_t end = host_loop_real_now_us() + 10 * 1000000;
        while (!r->done) {
            assert_true(host_loop_real_now_us() < end);
            loop_once(e);
        }
        assert_null(oai_call_take_response(call));
        oai_call_free(call);
    }
    assert_non_null(r->res);
}

static void run_scenario(transport_kind t, drive_mode m, scenario_kind k)
{
    const scenario *sc = &scenarios[k];
    env e;
    env_open(&e, t, m);
    for (int i = 0; i < 3 && sc->replies[i]; i++)
        env_push(&e, sc->statuses[i], sc->replies[i], NULL);
    run r = {.e = &e, .sc = sc, .stop_tool_at = k == S_TOOL_STOPS ? 2 : 0};
    oai_request *req = make_request(sc);
    char *before = oai_request_body_dup(req);
    drive(&r, req, sc->max_steps);

    /* The pulled host stops by cancelling, after both calls were events. */
    int host_stops = k == S_TOOL_STOPS && pulled_mode(m);
    assert_int_equal(oai_response_status(r.res), sc->status);
    if (sc->status == OAI_OK)
        assert_string_equal(oai_response_text(r.res), sc->text);
    else if (host_stops)
        assert_string_equal(oai_response_error_message(r.res), "cancelled by the caller");
    else
        assert_memory_equal(oai_response_error_message(r.res), sc->text, strlen(sc->text));
    assert_int_equal(env_request_count(&e), (size_t)sc->requests);
    assert_string_equal(r.tools, sc->tools);
    if (m != M_BLOCKING) { /* the blocking form hands out no events */
        assert_int_equal(r.items, host_stops ? 2 : sc->items);
        /* The last event is the conversation as last sent, unless the
         * host cancelled. */
        assert_int_equal(r.dones, host_stops ? 0 : 1);
        if (!host_stops)
            assert_string_equal(r.conversation, env_body(&e, (size_t)sc->requests - 1));
    }
    /* The caller's request is not changed. */
    char *after = oai_request_body_dup(req);
    assert_string_equal(before, after);
    oai_free(before);
    oai_free(after);

    if (k == S_LIMIT) /* the last reply's calls stay readable */
        assert_int_equal(oai_response_tool_call_count(r.res), 2);
    if (sc->requests >= 2) {
        /* The second request carries the assistant's turn and the results. */
        const char *body = env_body(&e, 1);
        if (sc->responses) {
            assert_non_null(strstr(body, "\"input\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                                         "{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"
                                         "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_w\""));
            assert_non_null(strstr(body, "{\"type\":\"function_call_output\",\"call_id\":\"call_w\","
                                         "\"output\":\"{\\\"temp_c\\\":21}\"}]"));
        } else {
            assert_non_null(strstr(body, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                                         "{\"id\":\"call_w\",\"type\":\"function\",\"function\":{\"name\":"
                                         "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
                                         "{\"id\":\"call_t\",\"type\":\"function\",\"function\":{\"name\":"
                                         "\"get_time\",\"arguments\":\"{}\"}}]},"
                                         "{\"role\":\"tool\",\"tool_call_id\":\"call_w\",\"content\":"
                                         "\"{\\\"temp_c\\\":21}\"},"
                                         "{\"role\":\"tool\",\"tool_call_id\":\"call_t\",\"content\":\"12:00\"}]"));
            assert_null(strstr(body, "parsed"));
        }
    }
    if (m != M_BLOCKING && !pulled_mode(m) && sc->items)
        assert_string_equal(r.outputs, sc->items == 1 ? "{\"temp_c\":21};" : "{\"temp_c\":21};12:00;");
    free(r.conversation);
    oai_response_free(r.res);
    oai_request_free(req);
    env_close(&e);
}

typedef struct cell {
    transport_kind t;
    drive_mode m;
    scenario_kind k;
} cell;

static void test_cell(void **state)
{
    const cell *c = *state;
    run_scenario(c->t, c->m, c->k);
}

/* ---- beyond the table -------------------------------------------------------------- */

static int count_stream_event(void *ud, const oai_event *ev)
{
    (void)ev;
    (*(int *)ud)++;
    return 0;
}

static char *read_transcript(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/transcripts/%s", OAI_SOURCE_DIR, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

#define STREAM_ANSWER                                                                                   \
    "data: {\"id\":\"s2\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"   \
    "{\"role\":\"assistant\",\"content\":\"Sunny in both.\"},\"finish_reason\":null}]}\n\n"            \
    "data: {\"id\":\"s2\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{}," \
    "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"

/* Streamed steps: an event callback sees every step's deltas; a request
 * that streams into the pull queue (no event callback) does not stall the
 * loop. */
static void streamed(transport_kind t, drive_mode m, int with_callback)
{
    env e;
    env_open(&e, t, m);
    char *calls = read_transcript("openai_chat_tools_parallel.sse");
    env_push(&e, 0, calls, "text/event-stream");
    env_push(&e, 0, STREAM_ANSWER, "text/event-stream");
    run r = {.e = &e};
    oai_request *req = make_request(&scenarios[S_CHAT]);
    int deltas = 0;
    if (with_callback)
        oai_request_set_event_callback(req, count_stream_event, &deltas);
    else
        oai_request_set_stream(req, 1);
    drive(&r, req, 0);
    assert_int_equal(oai_response_status(r.res), OAI_OK);
    assert_string_equal(oai_response_text(r.res), "Sunny in both.");
    assert_string_equal(r.tools, "call_Vx3kP8qL2mN7 get_weather {\"location\": \"Paris, France\"};"
                                 "call_Hq9sR4tW1zY6 get_weather {\"location\": \"東京, 日本\"};");
    if (with_callback)
        assert_true(deltas >= 12);
    assert_non_null(strstr(env_body(&e, 1), "\"stream\":true"));
    assert_non_null(strstr(env_body(&e, 1), "{\"role\":\"tool\",\"tool_call_id\":\"call_Hq9sR4tW1zY6\""));
    free(r.conversation);
    oai_response_free(r.res);
    oai_request_free(req);
    free(calls);
    env_close(&e);
}

static void test_streamed_steps(void **state)
{
    (void)state;
    streamed(T_MEMORY, M_BLOCKING, 1);
    streamed(T_MEMORY, M_POLLED, 0);
    streamed(T_MEMORY, M_EVENT_LOOP, 1);
    streamed(T_MEMORY, M_PULLED, 0);
    streamed(T_MEMORY, M_PULLED_EVENT_LOOP, 0);
#if OAI_TEST_WITH_CURL
    streamed(T_CURL, M_BLOCKING, 1);
    streamed(T_CURL, M_POLLED, 0);
    streamed(T_CURL, M_PULLED, 0);
#endif
}

#define CHUNK(delta, finish)                                                                                   \
    "data: {\"id\":\"s\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":" delta \
    ",\"finish_reason\":" finish "}]}\n\n"
/* A step that says something, then calls a tool (its arguments in two
 * fragments); the next one answers in three deltas. */
#define STREAM_TEXT_CALL                                                                                       \
    CHUNK("{\"role\":\"assistant\",\"content\":\"Let me \"}", "null")                                            \
    CHUNK("{\"content\":\"check.\"}", "null")                                                                    \
    CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_w\",\"type\":\"function\",\"function\":{\"name\":"          \
          "\"get_weather\",\"arguments\":\"{\\\"city\\\":\"}}]}", "null")                                          \
    CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}", "null")             \
    CHUNK("{}", "\"tool_calls\"") "data: [DONE]\n\n"
#define STREAM_TEXT_ANSWER                                                                                     \
    CHUNK("{\"role\":\"assistant\",\"content\":\"Sunny\"}", "null")                                              \
    CHUNK("{\"content\":\" in \"}", "null") CHUNK("{\"content\":\"Paris.\"}", "null")                               \
    CHUNK("{}", "\"stop\"") "data: [DONE]\n\n"

/* A streamed request with no event callback of its own: each step's
 * typed events reach the loop's caller (pulled, or its event callback) in
 * order: the deltas of step 1, its tool call, the deltas of step 2, the
 * end; the stream's own tool-call fragments and ends are not passed on. */
static void streamed_deltas(transport_kind t, drive_mode m)
{
    env e;
    env_open(&e, t, m);
    env_push(&e, 0, STREAM_TEXT_CALL, "text/event-stream");
    env_push(&e, 0, STREAM_TEXT_ANSWER, "text/event-stream");
    run r = {.e = &e};
    oai_request *req = make_request(&scenarios[S_CHAT]);
    assert_int_equal(oai_request_set_stream(req, 1), OAI_OK);
    drive(&r, req, 0);
    assert_int_equal(oai_response_status(r.res), OAI_OK);
    assert_string_equal(oai_response_text(r.res), "Sunny in Paris.");
    assert_string_equal(r.tools, "call_w get_weather {\"city\":\"Paris\"};");
    assert_string_equal(r.streamed, "Let me check.|Sunny in Paris.");
    assert_string_equal(r.seq, "tctD");
    assert_int_equal(r.dones, 1);
    assert_true(r.stream_events >= 5); /* the text deltas, and the chunks' other events */
    assert_non_null(strstr(env_body(&e, 1), "{\"role\":\"assistant\",\"content\":\"Let me check.\""));
    free(r.conversation);
    oai_response_free(r.res);
    oai_request_free(req);
    env_close(&e);
}

static void test_streamed_deltas(void **state)
{
    (void)state;
    for (drive_mode m = M_POLLED; m < M_COUNT; m++) {
        streamed_deltas(T_MEMORY, m);
#if OAI_TEST_WITH_CURL
        streamed_deltas(T_CURL, m);
#endif
    }
}

/* The bound: a step of 3000 deltas pulled by a host that takes nothing
 * for a while finds at most the queue's 1024 events waiting (the step's
 * exchange waits meanwhile), and then every delta, in order. */
static void test_streamed_bound(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_PULLED);
    enum { DELTAS = 3000 };
    size_t cap = (size_t)DELTAS * 160 + 1024;
    char *body = malloc(cap), *expected = malloc((size_t)DELTAS * 8 + 1);
    assert_non_null(body);
    assert_non_null(expected);
    size_t n = 0, x = 0;
    for (int i = 0; i < DELTAS; i++) {
        n += (size_t)snprintf(body + n, cap - n, CHUNK("{\"content\":\"%d \"}", "null"), i);
        x += (size_t)sprintf(expected + x, "%d ", i);
    }
    snprintf(body + n, cap - n, CHUNK("{}", "\"stop\"") "data: [DONE]\n\n");
    env_push(&e, 0, body, "text/event-stream");
    oai_request *req = make_request(&scenarios[S_CHAT]);
    assert_int_equal(oai_request_set_stream(req, 1), OAI_OK);
    oai_call *call = oai_client_start_send_with_tools(e.c, req, 0, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_non_null(call);
    for (int i = 0; i < 100; i++)
        frame(&e);
    run r = {.e = &e};
    const oai_event *ev = NULL;
    int waiting = 0;
    while (oai_call_next_event(call, &ev) == OAI_OK && ev) {
        record(&r, ev);
        waiting++;
    }
    assert_true(waiting >= 512 && waiting <= 1024);
    assert_false(oai_call_is_done(call));
    for (int frames = 0; !oai_call_is_done(call); frames++) {
        assert_true(frames < 10000);
        frame(&e);
        while (oai_call_next_event(call, &ev) == OAI_OK && ev)
            record(&r, ev);
    }
    while (oai_call_next_event(call, &ev) == OAI_OK && ev)
        record(&r, ev);
    assert_string_equal(r.streamed, expected);
    assert_string_equal(r.seq, "tD");
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), expected);
    oai_response_free(res);
    oai_call_free(call);
    free(r.conversation);
    oai_request_free(req);
    free(body);
    free(expected);
    env_close(&e);
}

/* Promptly: pulled from an event loop, a step's first delta is there to
 * take as soon as its chunk arrived (the engine wakes the loop to relay
 * it), not only with the next chunk 10 s later. On the simulated clock. */
static void test_streamed_promptly(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_PULLED_EVENT_LOOP);
    static const char *const chunks[] = {
        CHUNK("{\"role\":\"assistant\",\"content\":\"Let me \"}", "null"),
        CHUNK("{\"content\":\"check.\"}", "null") CHUNK("{}", "\"stop\"") "data: [DONE]\n\n",
    };
    mock_reply m = {.status = 200, .content_type = "text/event-stream", .chunks = chunks, .chunk_count = 2,
                    .chunk_delay_ms = 10000};
    assert_int_equal(memory_transport_push(e.mt, &m), 0);
    oai_request *req = make_request(&scenarios[S_CHAT]);
    assert_int_equal(oai_request_set_stream(req, 1), OAI_OK);
    int64_t t0 = memory_transport_now_us(e.mt), first_at = -1;
    oai_call *call = oai_client_start_send_with_tools(e.c, req, 0, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_non_null(call);
    run r = {.e = &e};
    for (int turns = 0; !oai_call_is_done(call); turns++) {
        assert_true(turns < 1000);
        loop_once(&e);
        answer_pulled(&r, call);
        if (first_at < 0 && r.streamed[0])
            first_at = memory_transport_now_us(e.mt);
    }
    answer_pulled(&r, call);
    assert_string_equal(r.streamed, "Let me check.");
    assert_string_equal(r.seq, "tD");
    assert_true(first_at >= t0 && first_at - t0 < 10 * 1000000);
    oai_response *res = oai_call_take_response(call);
    assert_string_equal(oai_response_text(res), "Let me check.");
    oai_response_free(res);
    oai_call_free(call);
    free(r.conversation);
    oai_request_free(req);
    env_close(&e);
}

static const char *never(void *ud, const char *id, const char *name, const char *arguments);

/* The pull form's answers: every wrong one has its own status and changes
 * nothing; the right ones, in any order, send the next step. */
static void test_pulled_answers(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_PULLED);
    env_push(&e, 0, CHAT_CALLS, NULL);
    env_push(&e, 0, CHAT_ANSWER, NULL);
    oai_request *req = make_request(&scenarios[S_CHAT]);
    oai_call *call = oai_client_start_send_with_tools(e.c, req, 0, NULL, NULL, NULL, NULL, NULL, NULL);
    assert_non_null(call);
    /* Before the reply: no call awaits an answer. */
    assert_int_equal(oai_call_answer_tool(call, "call_w", "x"), OAI_ERR_NOT_FOUND);
    int events = 0;
    const oai_event *ev;
    for (int frames = 0; events < 2; frames++) {
        assert_true(frames < 1000);
        frame(&e);
        while (oai_call_next_event(call, &ev) == OAI_OK && ev) {
            assert_int_equal(oai_event_type_of(ev), OAI_EVENT_TOOL_CALL);
            assert_int_equal(oai_event_get_int(ev, "/index"), events);
            assert_int_equal(oai_event_get_int(ev, "/step"), 1);
            assert_null(oai_event_tool_id(ev));
            events++;
        }
    }
    /* Nothing moves while the host thinks. */
    for (int i = 0; i < 5; i++)
        frame(&e);
    assert_int_equal(env_request_count(&e), 1);
    assert_false(oai_call_is_done(call));

    assert_int_equal(oai_call_answer_tool(NULL, "call_w", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_call_answer_tool(call, NULL, "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_call_answer_tool(call, "call_w", NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "bad \xff utf-8"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_call_answer_tool(call, "call_x", "x"), OAI_ERR_NOT_FOUND);
    assert_int_equal(oai_call_answer_tool(call, "", "x"), OAI_ERR_NOT_FOUND);
    assert_int_equal(oai_call_answer_tool(call, "call_t", "12:00"), OAI_OK);
    assert_int_equal(oai_call_answer_tool(call, "call_t", "13:00"), OAI_ERR_CONFLICT);
    assert_int_equal(env_request_count(&e), 1);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "{\"temp_c\":21}"), OAI_OK);
    /* The step's last answer sent the next request; a second answer is
     * still told apart from an unknown id. */
    assert_int_equal(oai_call_answer_tool(call, "call_w", "again"), OAI_ERR_CONFLICT);
    for (int frames = 0; !oai_call_is_done(call); frames++) {
        assert_true(frames < 1000);
        frame(&e);
    }
    assert_int_equal(env_request_count(&e), 2);
    /* In the order of the calls, whatever the order of the answers; the
     * rejected answers left no trace. */
    assert_non_null(strstr(env_body(&e, 1), "{\"role\":\"tool\",\"tool_call_id\":\"call_w\",\"content\":"
                                            "\"{\\\"temp_c\\\":21}\"},{\"role\":\"tool\",\"tool_call_id\":"
                                            "\"call_t\",\"content\":\"12:00\"}]"));
    assert_int_equal(oai_call_next_event(call, &ev), OAI_OK);
    assert_int_equal(oai_event_type_of(ev), OAI_EVENT_DONE);
    assert_int_equal(oai_event_get_int(ev, "/steps"), 2);
    assert_int_equal(oai_event_get_count(ev, "/request/messages"), 4);
    /* The conversation goes on in a new request. */
    char *conv = oai_value_json_dup(oai_event_get(ev, "/request"));
    oai_request *next = oai_chat_completion_create_request_new("gpt-4o");
    assert_int_equal(oai_request_set_json(next, "", conv), OAI_OK);
    oai_response *res = oai_call_take_response(call);
    assert_string_equal(oai_response_text(res), "21 C in Paris at noon.");
    assert_int_equal(oai_request_add_reply(next, res), OAI_OK);
    assert_int_equal(oai_value_count(oai_request_get(next, "/messages")), 5);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "x"), OAI_ERR_INVALID_ARGUMENT);
    oai_free(conv);
    oai_request_free(next);
    oai_response_free(res);
    oai_call_free(call);

    /* A loop with a tool function, and an ordinary call, take no answers. */
    env_push(&e, 0, CHAT_ANSWER, NULL);
    call = oai_client_start_send_with_tools(e.c, req, 0, never, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "x"), OAI_ERR_INVALID_ARGUMENT);
    oai_call_free(call);
    call = oai_client_start(e.c, req, NULL, NULL);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "x"), OAI_ERR_INVALID_ARGUMENT);
    oai_call_free(call);
    /* The blocking form needs a tool function. */
    res = oai_client_send_with_tools(e.c, req, 0, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_response_error_message(res), "oai_call_answer_tool"));
    oai_response_free(res);
    oai_request_free(req);
    env_close(&e);
}

/* A pulled loop answered from an event callback inside the step (the step
 * sends), and two tool calls with one id (a protocol error, not a hang). */
static int answer_at_once(void *ud, const oai_event *ev)
{
    oai_call **call = ud;
    if (oai_event_type_of(ev) == OAI_EVENT_TOOL_CALL)
        assert_int_equal(oai_call_answer_tool(*call, oai_event_get_string(ev, "/id"), "ok"), OAI_OK);
    return 0;
}

static void test_pulled_from_callback(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_PULLED);
    env_push(&e, 0, CHAT_CALLS, NULL);
    env_push(&e, 0, CHAT_ANSWER, NULL);
    oai_request *req = make_request(&scenarios[S_CHAT]);
    oai_call *call = NULL;
    call = oai_client_start_send_with_tools(e.c, req, 0, NULL, NULL, NULL, NULL, answer_at_once, &call);
    for (int frames = 0; !oai_call_is_done(call); frames++) {
        assert_true(frames < 1000);
        frame(&e);
    }
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(env_request_count(&e), 2);
    oai_response_free(res);
    oai_call_free(call);

    env_push(&e, 0,
             "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
             "{\"id\":\"x\",\"type\":\"function\",\"function\":{\"name\":\"a\",\"arguments\":\"{}\"}},"
             "{\"id\":\"x\",\"type\":\"function\",\"function\":{\"name\":\"b\",\"arguments\":\"{}\"}}]},"
             "\"finish_reason\":\"tool_calls\"}]}",
             NULL);
    call = oai_client_start_send_with_tools(e.c, req, 0, NULL, NULL, NULL, NULL, NULL, NULL);
    for (int frames = 0; !oai_call_is_done(call); frames++) {
        assert_true(frames < 1000);
        frame(&e);
    }
    assert_int_equal(oai_call_status(call), OAI_ERR_PROTOCOL);
    oai_call_free(call);
    oai_request_free(req);
    env_close(&e);
}

/* Giving up while answers are awaited: a cancel ends the loop, a freed call
 * or a freed client leave nothing behind (valgrind checks). */
static oai_call *pulled_waiting(env *e, const oai_request *req)
{
    env_push(e, 0, CHAT_CALLS, NULL);
    oai_call *call = oai_client_start_send_with_tools(e->c, req, 0, NULL, NULL, NULL, NULL, NULL, NULL);
    const oai_event *ev;
    for (int frames = 0; frames < 1000; frames++) {
        frame(e);
        if (oai_call_next_event(call, &ev) == OAI_OK && ev)
            return call;
    }
    fail_msg("no tool call event");
    return NULL;
}

static void test_pulled_give_up(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_PULLED);
    oai_request *req = make_request(&scenarios[S_CHAT]);
    oai_call *call = pulled_waiting(&e, req);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "half"), OAI_OK);
    oai_call_cancel(call);
    for (int frames = 0; !oai_call_is_done(call); frames++) {
        assert_true(frames < 1000);
        frame(&e);
    }
    assert_int_equal(oai_call_status(call), OAI_ERR_CANCELLED);
    assert_int_equal(oai_call_answer_tool(call, "call_t", "late"), OAI_ERR_INVALID_ARGUMENT);
    oai_call_free(call);

    call = pulled_waiting(&e, req);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "half"), OAI_OK);
    oai_call_free(call); /* while it waits */
    frame(&e);

    call = pulled_waiting(&e, req);
    oai_client_free(e.c); /* the call outlives its client, ended */
    e.c = NULL;
    assert_true(oai_call_is_done(call));
    assert_int_equal(oai_call_status(call), OAI_ERR_CANCELLED);
    assert_int_equal(oai_call_answer_tool(call, "call_w", "late"), OAI_ERR_INVALID_ARGUMENT);
    oai_call_free(call);
    assert_int_equal(env_request_count(&e), 3);
    oai_request_free(req);
    env_close(&e);
}

/* An event callback returning non-zero stops the loop after that call. */
static void test_event_callback_stops(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_EVENT_LOOP);
    env_push(&e, 0, CHAT_CALLS, NULL);
    env_push(&e, 0, CHAT_ANSWER, NULL);
    run r = {.e = &e, .stop_event_at = 1};
    oai_request *req = make_request(&scenarios[S_CHAT]);
    drive(&r, req, 0);
    assert_int_equal(oai_response_status(r.res), OAI_ERR_CANCELLED);
    assert_int_equal(r.items, 1);
    assert_int_equal(r.dones, 1);
    free(r.conversation);
    assert_int_equal(r.tool_calls, 1);
    assert_int_equal(env_request_count(&e), 1);
    oai_response_free(r.res);
    oai_request_free(req);
    env_close(&e);
}

static const char *never(void *ud, const char *id, const char *name, const char *arguments)
{
    (void)ud, (void)id, (void)name, (void)arguments;
    fail_msg("the tool function must not run");
    return NULL;
}

static void expect_invalid(oai_client *c, const oai_request *req, int max_steps, oai_tool_fn fn, oai_status want)
{
    oai_response *res = oai_client_send_with_tools(c, req, max_steps, fn, NULL);
    assert_non_null(res);
    assert_int_equal(oai_response_status(res), want);
    assert_non_null(oai_response_error_message(res));
    oai_response_free(res);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    env e;
    env_open(&e, T_MEMORY, M_BLOCKING);
    oai_request *req = make_request(&scenarios[S_CHAT]);
    expect_invalid(e.c, req, 0, NULL, OAI_ERR_INVALID_ARGUMENT);
    expect_invalid(e.c, req, -1, never, OAI_ERR_INVALID_ARGUMENT);
    expect_invalid(e.c, req, 1001, never, OAI_ERR_INVALID_ARGUMENT);
    expect_invalid(e.c, NULL, 0, never, OAI_ERR_INVALID_ARGUMENT);
    expect_invalid(NULL, req, 0, never, OAI_ERR_INVALID_ARGUMENT);
    oai_request *failed = oai_chat_completion_create_request_new("");
    expect_invalid(e.c, failed, 0, never, OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_client_start_send_with_tools(NULL, req, 0, never, NULL, NULL, NULL, NULL, NULL));
    assert_null(oai_client_start_send_with_tools(e.c, NULL, 0, never, NULL, NULL, NULL, NULL, NULL));
    assert_int_equal(env_request_count(&e), 0);

    /* A tool call without a name: a protocol error, the tool not called. */
    env_push(&e, 0,
             "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
             "[{\"id\":\"x\",\"type\":\"function\",\"function\":{\"arguments\":\"{}\"}}]},\"finish_reason\":"
             "\"tool_calls\"}]}",
             NULL);
    oai_response *res = oai_client_send_with_tools(e.c, req, 0, never, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    assert_non_null(strstr(oai_response_error_message(res), "without an id or a name"));
    oai_response_free(res);

    /* Cancelling the loop's call ends it with OAI_ERR_CANCELLED. */
    env_push(&e, 0, CHAT_CALLS, NULL);
    oai_call *call = oai_client_start_send_with_tools(e.c, req, 0, never, NULL, NULL, NULL, NULL, NULL);
    oai_call_cancel(call);
    while (!oai_call_is_done(call))
        oai_client_poll(e.c, 0);
    assert_int_equal(oai_call_status(call), OAI_ERR_CANCELLED);
    oai_call_free(call);
    oai_request_free(failed);
    oai_request_free(req);
    env_close(&e);
}

/* ---- out of memory ------------------------------------------------------------------ */

/* The library's allocator for this executable (oai_set_allocator(), set
 * first thing in main()), as in tests/test_workflows.c: libc's, with a
 * countdown that fails one chosen allocation, and while tracking, the set
 * of blocks allocated and not yet freed. Only test_out_of_memory tracks
 * and fails, on the in-memory transport (no other thread runs). */
#define LIVE_SLOTS ((size_t)1 << 16)
#define TOMBSTONE ((void *)1)
static void *live[LIVE_SLOTS];
static size_t live_count;
static int tracking;
static long alloc_n, fail_at;
static int failed_once, failed_in_openssl;

/* OpenSSL's process-wide caches may keep a block after a failure half-way:
 * OpenSSL's to free, not ours. */
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

#define JSON_ANSWER                                                                                              \
    "{\"id\":\"c2\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," \
    "\"content\":\"{\\\"temp_c\\\":21}\"},\"finish_reason\":\"stop\"}]}"

/* One polled run of a chat or Responses loop, then the readers, with
 * allocation n failing (0: none). Returns the allocations made; *left gets
 * the blocks left allocated once everything was freed. */
#define STREAM_JSON_ANSWER                                                                                     \
    CHUNK("{\"role\":\"assistant\",\"content\":\"{\\\"temp_c\\\":\"}", "null")                                  \
    CHUNK("{\"content\":\"21}\"}", "null") CHUNK("{}", "\"stop\"") "data: [DONE]\n\n"

/* pulled: 1 the pull form, 2 the pull form with streamed steps (chat). */
static long oom_run(int responses, int pulled, long n, int track, size_t *left)
{
    env e;
    env_open(&e, T_MEMORY, M_POLLED);
    if (pulled == 2) {
        env_push(&e, 0, STREAM_TEXT_CALL, "text/event-stream");
        env_push(&e, 0, STREAM_JSON_ANSWER, "text/event-stream");
    } else {
        env_push(&e, 0, responses ? RESP_CALLS : CHAT_CALLS, NULL);
        env_push(&e, 0, responses ? RESP_ANSWER : JSON_ANSWER, NULL);
    }
    run r = {.e = &e};
    oai_request *req = make_request(&scenarios[responses ? S_RESPONSES : S_CHAT]);
    if (pulled == 2)
        assert_int_equal(oai_request_set_stream(req, 1), OAI_OK);
    memset(live, 0, sizeof live);
    live_count = 0;
    alloc_n = 0;
    failed_once = failed_in_openssl = 0;
    tracking = track;
    fail_at = n;
    oai_call *call = oai_client_start_send_with_tools(e.c, req, 0, pulled ? NULL : tool, &r, NULL, NULL, NULL, NULL);
    if (call) {
        for (int frames = 0; !oai_call_is_done(call); frames++) {
            if (frames > 100000)
                fail_msg("allocation %ld failed, and the loop never ended", n);
            memory_transport_advance_us(e.mt, MEMORY_FRAME_US);
            memory_transport_deliver(e.mt);
            oai_client_poll(e.c, 0);
            const oai_event *ev;
            while (oai_call_next_event(call, &ev) == OAI_OK && ev) {
                if (oai_event_type_of(ev) != OAI_EVENT_TOOL_CALL)
                    continue;
                /* An answer refused for memory is not kept: give it again. */
                oai_status st = oai_call_answer_tool(call, oai_event_get_string(ev, "/id"), "{\"temp_c\":21}");
                if (st == OAI_ERR_OUT_OF_MEMORY)
                    st = oai_call_answer_tool(call, oai_event_get_string(ev, "/id"), "{\"temp_c\":21}");
                /* (or the loop ended at this allocation: no answer wanted) */
                if (st != OAI_OK && !(st == OAI_ERR_INVALID_ARGUMENT && oai_call_is_done(call)))
                    fail_msg("allocation %ld failed: the answer for %s: %s", n, oai_event_get_string(ev, "/id"),
                             oai_status_name(st));
            }
        }
        oai_response *res = oai_call_take_response(call);
        if (!failed_once)
            assert_int_equal(oai_response_status(res), OAI_OK);
        /* The readers on whatever came back. */
        oai_response_parsed(res);
        oai_response_parsed_status(res);
        oai_response_parsed_error_message(res);
        oai_response_refusal(res);
        for (size_t i = 0; i < oai_response_tool_call_count(res); i++)
            oai_response_tool_call_arguments_json(res, i);
        if (!failed_once && !responses)
            assert_int_equal(oai_value_get_int(oai_response_parsed(res), "/temp_c"), 21);
        oai_response_free(res);
        oai_call_free(call);
    } else {
        assert_true(failed_once);
    }
    /* And the request side. */
    oai_request_set_json_schema(req, "oom", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}}", 1);
    fail_at = 0;
    for (int i = 0; i < 1000 && oai_client_poll(e.c, 0) > 0; i++)
        memory_transport_advance_us(e.mt, MEMORY_FRAME_US);
    oai_request_free(req);
    env_close(&e);
    tracking = 0;
    *left = failed_in_openssl ? 0 : live_count;
    return alloc_n;
}

/* Every allocation of a chat and a Responses loop fails once (a sample
 * under valgrind): no crash, no hang, no leak. */
static void test_out_of_memory(void **state)
{
    (void)state;
    size_t left;
    for (int kind = 0; kind < 5; kind++) {
        int responses = kind & 1, pulled = kind == 4 ? 2 : kind >> 1;
        const char *name = kind == 4 ? "pulled streamed chat"
                           : responses ? (pulled ? "pulled responses" : "responses")
                                       : (pulled ? "pulled chat" : "chat");
        oom_run(responses, pulled, 0, 0, &left); /* warm-up: one-time global state */
        long total = oom_run(responses, pulled, 0, 1, &left);
        assert_int_equal(left, 0);
        long stride = getenv("OAI_TEST_MEMCHECK") ? total / 150 + 1 : 1;
        for (long n = 1; n <= total; n += stride) {
            oom_run(responses, pulled, n, 1, &left);
            if (left)
                fail_msg("%s: allocation %ld failed: %zu blocks left allocated", name, n, left);
        }
        print_message("%s loop: %ld allocations, each failed once%s\n", name, total, stride > 1 ? " (a sample)" : "");
    }
}

int main(void)
{
    /* Before anything allocates: see test_out_of_memory. */
    if (oai_set_allocator(t_malloc, t_realloc, t_free, NULL) != OAI_OK)
        return 1;
    static cell cells[2 * M_COUNT * 5];
    static char names[2 * M_COUNT * 5][64];
    struct CMUnitTest tests[2 * M_COUNT * 5 + 16];
    size_t n = 0;
    for (int t = 0; t < 2; t++) {
        if (t == T_CURL && !OAI_TEST_WITH_CURL)
            continue;
        for (int m = 0; m < M_COUNT; m++)
            for (int k = 0; k < 5; k++) {
                cells[n] = (cell){(transport_kind)t, (drive_mode)m, (scenario_kind)k};
                snprintf(names[n], sizeof names[n], "tool_loop/%s/%s/%s", scenario_names[k], transport_names[t],
                         mode_names[m]);
                tests[n] = (struct CMUnitTest){names[n], test_cell, NULL, NULL, &cells[n]};
                n++;
            }
    }
    tests[n++] = (struct CMUnitTest){"streamed_steps", test_streamed_steps, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"streamed_deltas", test_streamed_deltas, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"streamed_bound", test_streamed_bound, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"streamed_promptly", test_streamed_promptly, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"event_callback_stops", test_event_callback_stops, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"pulled_answers", test_pulled_answers, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"pulled_from_callback", test_pulled_from_callback, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"pulled_give_up", test_pulled_give_up, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"bad_arguments", test_bad_arguments, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"out_of_memory", test_out_of_memory, NULL, NULL, NULL};
    return _cmocka_run_group_tests("tool_loop", tests, n, NULL, NULL);
}
