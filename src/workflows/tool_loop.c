/* The tool loop, as a workflow on the engine: sends the conversation, and
 * while the reply calls tools, asks the host's tool function for each
 * result, appends the assistant's turn and the results to its own copy of
 * the request, and sends it again; it ends with the first reply that calls
 * no tool, or at the step limit. Each request is an ordinary call (retries,
 * timeouts, streaming), so the loop runs in every drive mode;
 * oai_client_send_with_tools() is oai_client_start_send_with_tools() plus
 * a wait.
 *
 * The pull form (no tool function; docs/embedding.md): each tool call of a
 * reply is an OAI_EVENT_TOOL_CALL event instead, and the loop waits, doing
 * nothing at its steps, until the host has answered every call of the step
 * with oai_call_answer_tool(); the last answer sends the next step from
 * inside that function (a call started like oai_client_start(), so every
 * drive mode hears of it), or, when it comes from an event callback inside
 * the step, the step sends it. An answer is checked and kept when it comes,
 * so the send cannot fail on it; the next request is built on a copy of the
 * conversation, so a failure (memory) leaves everything as it was and the
 * answer can be given again.
 *
 * A streamed step (a request that streams with no event callback of its
 * own) hands its typed events (text deltas, usage, ...) to the loop's
 * caller as a streamed call would, in order before the step's tool calls:
 * to the loop's event callback as they come, or, pulled, through the
 * step's own queue, which the loop relays into its own at each turn while
 * its own holds fewer than the pull queue's bound (the step's exchange
 * pausing meanwhile, as any pulled stream's does). Two of them are not
 * passed on: the stream's OAI_EVENT_DONE (the loop's own is the last
 * event) and its tool-call fragments (OAI_EVENT_TOOL_CALL, which in the
 * loop is a whole call to answer; the calls come whole after the deltas).
 *
 * The conversation grows with oai_request_add_reply() and
 * oai_request_add_tool_output() (structured.c): for chat, the assistant
 * message and a `tool` message per call; for the Responses API, the output
 * items and a `function_call_output` per call. */
#include "core/core.h"
#include "json/json.h"
#include "workflows/workflow.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_MAX_STEPS 10
#define MAX_MAX_STEPS 1000

/* A tool call of the pull form's current step. */
typedef struct pending_call {
    char *id;
    oai_value *output;           /* a JSON string once answered, else NULL */
} pending_call;

typedef struct tool_loop {
    oai_request *work;           /* the conversation as last sent (before: the caller's copy) */
    int max_steps;
    int steps;                   /* requests sent */
    oai_tool_fn tool_fn;         /* NULL: the pull form */
    void *tool_ud;
    oai_call *child;             /* the request under way */
    /* The pull form: the calls of the last reply that called tools (kept
     * after the next step is sent, so that a second answer is told apart
     * from an unknown id), how many are answered, and whether the loop
     * waits for answers. */
    pending_call *calls;
    size_t call_count, answered;
    oai_request *replied;        /* the conversation with the reply that called them */
    int waiting;
    int in_step;                 /* inside the step: an answer from an event callback leaves the send to it */
    int relay;                   /* streamed steps queue their events, relayed by the step */
    oai_call *self;              /* the loop's call (the forwarder's target) */
} tool_loop;

/* The stream's events the loop's caller gets: not its end, not its
 * tool-call fragments (see above). */
static int passed_on(const oai_event *ev)
{
    int type = oai_event_type_of(ev);
    return type != OAI_EVENT_DONE && type != OAI_EVENT_TOOL_CALL;
}

/* A streamed step's event callback when the loop has one: passed on as it
 * comes. Non-zero from the caller's callback cancels the step and the
 * loop. */
static int forward_event(void *userdata, const oai_event *ev)
{
    tool_loop *t = userdata;
    return passed_on(ev) ? oai__call_emit_event(t->self, ev, 0, NULL) : 0;
}

#define RELAY_PER_TURN 256

/* The pull form: moves the step's queued events into the loop's queue, in
 * order. 1 when the step's queue is empty, 0 when the loop's queue is full
 * (the engine wakes the loop once the host has taken half) or the loop was
 * cancelled, -1 when this turn did its share (the poll's budget, or
 * RELAY_PER_TURN events). */
static int relay_events(oai_call *call, tool_loop *t)
{
    for (int n = 0;; n++) {
        if (oai__call_queue_full(call))
            return 0;
        if (n >= RELAY_PER_TURN || (n > 0 && oai__call_over_budget(call)))
            return -1;
        const oai_event *ev = NULL;
        if (oai_call_next_event(t->child, &ev) != OAI_OK || !ev)
            return 1;
        if (passed_on(ev) && oai__call_emit_event(call, ev, 0, NULL))
            return 0; /* memory ran out: the loop is cancelled, and ends at its next turn */
    }
}

static void clear_calls(tool_loop *t)
{
    for (size_t i = 0; i < t->call_count; i++) {
        oai__free(t->calls[i].id);
        oai__json_decref(t->calls[i].output);
    }
    oai__free(t->calls);
    t->calls = NULL;
    oai_request_free(t->replied);
    t->replied = NULL;
    t->call_count = t->answered = 0;
    t->waiting = 0;
}

/* The last event: {"steps":N,"request":BODY}, the conversation as the loop
 * last sent it (its JSON shared, not copied). What its callback answers
 * does not matter: the loop ends anyway. Nothing when memory ran out. */
static void emit_conversation(oai_call *call, const tool_loop *t)
{
    const oai_value *body = oai_request_get(t->work, "");
    if (!t->steps || !body)
        return;
    oai_value *ev = oai__json_object();
    oai_status st = ev ? oai__json_object_set(ev, "steps", oai__json_int(t->steps)) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = oai__json_object_set(ev, "request", oai__json_incref((oai_value *)body));
    if (st == OAI_OK)
        (void)oai__call_emit(call, OAI_EVENT_DONE, ev);
    oai__json_decref(ev);
}

static int64_t end_with(oai_call *call, const tool_loop *t, oai_response *res)
{
    emit_conversation(call, t);
    oai__call_end(call, res);
    return INT64_MAX;
}

static int64_t end_failed(oai_call *call, const tool_loop *t, oai_response *res, oai_status status,
                          const char *message)
{
    oai__response_fail(res, status, message);
    return end_with(call, t, res);
}

/* An event's JSON: "step", "id", "name", "arguments", and "output" or
 * "index" (a call answered by the tool function, or one the host is to
 * answer). */
static oai_status emit_call(oai_call *call, int step, const char *id, const char *name, const char *arguments,
                            const char *output, size_t index, int *stop)
{
    oai_value *ev = oai__json_object();
    oai_status st = ev ? oai__json_object_set(ev, "step", oai__json_int(step)) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK && !output)
        st = oai__json_object_set(ev, "index", oai__json_int((int64_t)index));
    const char *keys[] = {"id", "name", "arguments", "output"};
    const char *values[] = {id, name, arguments ? arguments : "", output};
    for (size_t i = 0; i < 4 && st == OAI_OK && values[i]; i++) {
        oai_value *s = oai__json_string(values[i], strlen(values[i]));
        st = s ? oai__json_object_set(ev, keys[i], s) : oai__json_string_failure(values[i], strlen(values[i]));
    }
    if (st == OAI_OK)
        *stop = oai__call_emit(call, output ? OAI_EVENT_ITEM : OAI_EVENT_TOOL_CALL, ev);
    oai__json_decref(ev);
    return st;
}

static int64_t add_failed(oai_call *call, const tool_loop *t, oai_response *res, oai_status st)
{
    return end_failed(call, t, res, st,
                      st == OAI_ERR_OUT_OF_MEMORY ? NULL
                                                  : "the tool loop: cannot add a tool call or result to the "
                                                    "conversation (not valid UTF-8?)");
}

/* The pull form's next request: the conversation with every answer of the
 * step, built on a copy and sent; on a failure nothing changed. */
static oai_status send_answers(oai_call *call, tool_loop *t)
{
    oai_request *next = oai_request_clone(t->replied);
    oai_status st = next ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < t->call_count && st == OAI_OK; i++)
        st = oai_request_add_tool_output(next, t->calls[i].id, oai_value_string(t->calls[i].output));
    oai_call *child = st == OAI_OK ? oai__workflow_child(call, next) : NULL;
    if (!child) {
        oai_request_free(next);
        return st == OAI_OK ? OAI_ERR_OUT_OF_MEMORY : st;
    }
    oai_request_free(t->work);
    t->work = next;
    t->child = child;
    t->steps++;
    t->waiting = 0;
    return OAI_OK;
}

/* The pull form: a reply that calls tools becomes one event per call, and
 * the loop waits for the host's answers. */
static int64_t ask_host(oai_call *call, tool_loop *t, oai_response *res)
{
    size_t n = oai_response_tool_call_count(res);
    clear_calls(t);
    t->calls = oai__calloc(n, sizeof *t->calls);
    if (!t->calls)
        return end_failed(call, t, res, OAI_ERR_OUT_OF_MEMORY, NULL);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->calls[j].id, oai_response_tool_call_id(res, i)) == 0)
                return end_failed(call, t, res, OAI_ERR_PROTOCOL, "the tool loop: two tool calls with one id");
        t->calls[i].id = oai__strdup(oai_response_tool_call_id(res, i));
        if (!t->calls[i].id) {
            t->call_count = i;
            return end_failed(call, t, res, OAI_ERR_OUT_OF_MEMORY, NULL);
        }
        t->call_count = i + 1;
    }
    t->replied = oai_request_clone(t->work);
    oai_status st = t->replied ? oai_request_add_reply(t->replied, res) : OAI_ERR_OUT_OF_MEMORY;
    if (st != OAI_OK)
        return add_failed(call, t, res, st);
    t->waiting = 1;
    t->in_step = 1;
    for (size_t i = 0; i < n && st == OAI_OK; i++) {
        int stop = 0;
        st = emit_call(call, t->steps, t->calls[i].id, oai_response_tool_call_name(res, i),
                       oai_response_tool_call_arguments(res, i), NULL, i, &stop);
        if (st == OAI_OK && stop) {
            t->in_step = 0;
            return end_failed(call, t, res, OAI_ERR_CANCELLED, "cancelled by the event callback");
        }
    }
    t->in_step = 0;
    if (st != OAI_OK)
        return add_failed(call, t, res, st);
    oai_response_free(res);
    /* Every call answered from an event callback already: send now. */
    if (t->answered == t->call_count && (st = send_answers(call, t)) != OAI_OK)
        return end_with(call, t, oai__response_new_failed(st, NULL));
    return INT64_MAX; /* woken by the answers, or by the request they sent */
}

/* A reply that calls tools: answer every call, extend the conversation. */
static int64_t answer_calls(oai_call *call, tool_loop *t, oai_response *res)
{
    size_t n = oai_response_tool_call_count(res);
    for (size_t i = 0; i < n; i++) {
        if (!oai__nonempty(oai_response_tool_call_id(res, i)) || !oai__nonempty(oai_response_tool_call_name(res, i)))
            return end_failed(call, t, res, OAI_ERR_PROTOCOL, "the tool loop: a tool call without an id or a name");
    }
    if (!t->tool_fn)
        return ask_host(call, t, res);
    /* The next request grows on a copy: until it is sent, the loop's
     * conversation is the one last sent (its OAI_EVENT_DONE). */
    oai_request *next = oai_request_clone(t->work);
    oai_status st = next ? oai_request_add_reply(next, res) : OAI_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < n && st == OAI_OK; i++) {
        const char *id = oai_response_tool_call_id(res, i), *name = oai_response_tool_call_name(res, i);
        const char *args = oai_response_tool_call_arguments(res, i);
        const char *output = t->tool_fn(t->tool_ud, id, name, args ? args : "");
        if (!output) {
            oai_request_free(next);
            return end_failed(call, t, res, OAI_ERR_CANCELLED, "the tool loop: the tool function returned NULL");
        }
        int stop = 0;
        st = oai_request_add_tool_output(next, id, output);
        if (st == OAI_OK)
            st = emit_call(call, t->steps, id, name, args, output, i, &stop);
        if (st == OAI_OK && stop) {
            oai_request_free(next);
            return end_failed(call, t, res, OAI_ERR_CANCELLED, "cancelled by the event callback");
        }
    }
    if (st != OAI_OK) {
        oai_request_free(next);
        return add_failed(call, t, res, st);
    }
    oai_request_free(t->work);
    t->work = next;
    oai_response_free(res);
    return 0; /* send the next step at once */
}

static int64_t take_reply(oai_call *call, tool_loop *t, oai_response *res)
{
    if (oai_response_status(res) != OAI_OK || oai_response_tool_call_count(res) == 0)
        return end_with(call, t, res);
    if (t->steps >= t->max_steps) {
        char message[96];
        snprintf(message, sizeof message, "the tool loop reached its limit of %d steps with the model still calling tools",
                 t->max_steps);
        return end_failed(call, t, res, OAI_ERR_TOO_LARGE, message);
    }
    return answer_calls(call, t, res);
}

static int64_t loop_step(oai_call *call, void *state, int64_t now)
{
    tool_loop *t = state;
    (void)now;
    if (t->waiting)
        return INT64_MAX; /* the pull form: the host has calls to answer */
    if (t->child) {
        int relayed = t->relay ? relay_events(call, t) : 1;
        if (relayed <= 0)
            return relayed ? 0 : INT64_MAX;
        oai_response *res = oai__workflow_take(&t->child);
        return res ? take_reply(call, t, res) : INT64_MAX;
    }
    t->child = oai__workflow_child(call, t->work);
    if (!t->child)
        return end_with(call, t, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    t->steps++;
    return INT64_MAX; /* woken when it ends (see workflow.h) */
}

static void loop_free(void *state)
{
    tool_loop *t = state;
    oai__workflow_drop(&t->child);
    clear_calls(t);
    oai_request_free(t->work);
    oai__free(t);
}

static const oai__workflow_ops loop_ops = {loop_step, loop_free};

OAI_API oai_status oai_call_answer_tool(oai_call *call, const char *tool_call_id, const char *output)
{
    if (!call || !tool_call_id || !output)
        return OAI_ERR_INVALID_ARGUMENT;
    tool_loop *t = oai__workflow_state(call, &loop_ops);
    if (!t || t->tool_fn)
        return OAI_ERR_INVALID_ARGUMENT; /* not a tool loop in the pull form, or it ended */
    pending_call *p = NULL;
    for (size_t i = 0; i < t->call_count && !p; i++)
        if (strcmp(t->calls[i].id, tool_call_id) == 0)
            p = &t->calls[i];
    if (!p)
        return OAI_ERR_NOT_FOUND;
    if (p->output)
        return OAI_ERR_CONFLICT;
    size_t len = strlen(output);
    p->output = oai__json_string(output, len);
    if (!p->output)
        return oai__json_string_failure(output, len);
    t->answered++;
    if (t->answered < t->call_count || !t->waiting || t->in_step)
        return OAI_OK;
    oai_status st = send_answers(call, t);
    if (st != OAI_OK) { /* as if this answer had not come: it may come again */
        oai__json_decref(p->output);
        p->output = NULL;
        t->answered--;
    }
    return st;
}

OAI_API oai_call *oai_client_start_send_with_tools(oai_client *client, const oai_request *req, int max_steps,
                                                   oai_tool_fn tool_fn, void *tool_userdata, oai_done_fn fn,
                                                   void *userdata, oai_event_fn event_fn, void *event_userdata)
{
    if (!client || !req)
        return NULL;
    const char *why = NULL;
    oai_status failed = oai__request_failure(req, &why);
    if (failed != OAI_OK)
        return oai__workflow_start_failed(client, failed, why, fn, userdata, event_fn, event_userdata);
    if (max_steps < 0 || max_steps > MAX_MAX_STEPS)
        return oai__workflow_start_failed(client, OAI_ERR_INVALID_ARGUMENT,
                                          "oai_client_start_send_with_tools: max_steps not within 0 to 1000", fn,
                                          userdata, event_fn, event_userdata);
    tool_loop *t = oai__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->work = oai_request_clone(req);
    if (!t->work) {
        oai__free(t);
        return NULL;
    }
    /* A streamed step without an event callback of its own: its events go
     * to the loop's callback, or queue in the step for the loop to relay
     * (the pull form); the blocking form drops them. */
    if (t->work->stream_pull && !t->work->event_fn) {
        oai_status st = OAI_OK;
        if (event_fn == oai__workflow_ignore_event)
            st = oai_request_set_event_callback(t->work, oai__workflow_ignore_event, NULL);
        else if (event_fn)
            st = oai_request_set_event_callback(t->work, forward_event, t);
        else
            t->relay = 1;
        if (st != OAI_OK) { /* memory */
            oai_request_free(t->work);
            oai__free(t);
            return NULL;
        }
    }
    t->max_steps = max_steps ? max_steps : DEFAULT_MAX_STEPS;
    t->tool_fn = tool_fn;
    t->tool_ud = tool_userdata;
    oai_call *call = oai__workflow_start(client, &loop_ops, t, fn, userdata, event_fn, event_userdata);
    if (call)
        t->self = call; /* before its first step, the first event's source */
    return call;
}

OAI_API oai_response *oai_client_send_with_tools(oai_client *client, const oai_request *req, int max_steps,
                                                 oai_tool_fn fn, void *userdata)
{
    if (!client || !req)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or request");
    if (!fn) /* nobody could answer: the pull form needs the start form */
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT,
                                        "oai_client_send_with_tools: NULL tool function (the pull form, "
                                        "oai_call_answer_tool(), needs oai_client_start_send_with_tools())");
    oai_call *call = oai_client_start_send_with_tools(client, req, max_steps, fn, userdata, NULL, NULL,
                                                      oai__workflow_ignore_event, NULL);
    return call ? oai__call_wait(call) : NULL;
}
