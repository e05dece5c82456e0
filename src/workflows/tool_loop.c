/* The tool loop, as a workflow on the engine: sends the conversation, and
 * while the reply calls tools, asks the host's tool function for each
 * result, appends the assistant's turn and the results to its own copy of
 * the request, and sends it again; it ends with the first reply that calls
 * no tool, or at the step limit. Each request is an ordinary call (retries,
 * timeouts, streaming), so the loop runs in every drive mode;
 * oai_client_send_with_tools() is oai_client_start_send_with_tools() plus
 * a wait.
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

typedef struct tool_loop {
    oai_request *work;           /* the conversation so far */
    int max_steps;
    int steps;                   /* requests sent */
    oai_tool_fn tool_fn;
    void *tool_ud;
    oai_call *child;             /* the request under way */
} tool_loop;

static int64_t end_with(oai_call *call, oai_response *res)
{
    oai__call_end(call, res);
    return INT64_MAX;
}

static int64_t end_failed(oai_call *call, oai_response *res, oai_status status, const char *message)
{
    oai__response_fail(res, status, message);
    return end_with(call, res);
}

/* The event of an answered call: {"step","id","name","arguments","output"}. */
static oai_status emit_answer(oai_call *call, int step, const char *id, const char *name, const char *arguments,
                              const char *output, int *stop)
{
    oai_value *ev = oai__json_object();
    oai_status st = ev ? oai__json_object_set(ev, "step", oai__json_int(step)) : OAI_ERR_OUT_OF_MEMORY;
    const char *keys[] = {"id", "name", "arguments", "output"};
    const char *values[] = {id, name, arguments ? arguments : "", output};
    for (size_t i = 0; i < 4 && st == OAI_OK; i++) {
        oai_value *s = oai__json_string(values[i], strlen(values[i]));
        st = s ? oai__json_object_set(ev, keys[i], s) : oai__json_string_failure(values[i], strlen(values[i]));
    }
    if (st == OAI_OK)
        *stop = oai__call_emit(call, OAI_EVENT_ITEM, ev);
    oai__json_decref(ev);
    return st;
}

/* A reply that calls tools: answer every call, extend the conversation. */
static int64_t answer_calls(oai_call *call, tool_loop *t, oai_response *res)
{
    size_t n = oai_response_tool_call_count(res);
    for (size_t i = 0; i < n; i++) {
        if (!oai__nonempty(oai_response_tool_call_id(res, i)) || !oai__nonempty(oai_response_tool_call_name(res, i)))
            return end_failed(call, res, OAI_ERR_PROTOCOL, "the tool loop: a tool call without an id or a name");
    }
    oai_status st = oai_request_add_reply(t->work, res);
    for (size_t i = 0; i < n && st == OAI_OK; i++) {
        const char *id = oai_response_tool_call_id(res, i), *name = oai_response_tool_call_name(res, i);
        const char *args = oai_response_tool_call_arguments(res, i);
        const char *output = t->tool_fn(t->tool_ud, id, name, args ? args : "");
        if (!output)
            return end_failed(call, res, OAI_ERR_CANCELLED, "the tool loop: the tool function returned NULL");
        int stop = 0;
        st = oai_request_add_tool_output(t->work, id, output);
        if (st == OAI_OK)
            st = emit_answer(call, t->steps, id, name, args, output, &stop);
        if (st == OAI_OK && stop)
            return end_failed(call, res, OAI_ERR_CANCELLED, "cancelled by the event callback");
    }
    if (st != OAI_OK)
        return end_failed(call, res, st,
                          st == OAI_ERR_OUT_OF_MEMORY ? NULL : "the tool loop: cannot add a tool call or result "
                                                               "to the conversation (not valid UTF-8?)");
    oai_response_free(res);
    return 0; /* send the next step at once */
}

static int64_t take_reply(oai_call *call, tool_loop *t, oai_response *res)
{
    if (oai_response_status(res) != OAI_OK || oai_response_tool_call_count(res) == 0)
        return end_with(call, res);
    if (t->steps >= t->max_steps) {
        char message[96];
        snprintf(message, sizeof message, "the tool loop reached its limit of %d steps with the model still calling tools",
                 t->max_steps);
        return end_failed(call, res, OAI_ERR_TOO_LARGE, message);
    }
    return answer_calls(call, t, res);
}

static int64_t loop_step(oai_call *call, void *state, int64_t now)
{
    tool_loop *t = state;
    (void)now;
    if (t->child) {
        oai_response *res = oai__workflow_take(&t->child);
        return res ? take_reply(call, t, res) : INT64_MAX;
    }
    t->child = oai__workflow_child(call, t->work);
    if (!t->child)
        return end_with(call, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    t->steps++;
    return INT64_MAX; /* woken when it ends (see workflow.h) */
}

static void loop_free(void *state)
{
    tool_loop *t = state;
    oai__workflow_drop(&t->child);
    oai_request_free(t->work);
    oai__free(t);
}

static const oai__workflow_ops loop_ops = {loop_step, loop_free};

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
    if (!tool_fn || max_steps < 0 || max_steps > MAX_MAX_STEPS)
        return oai__workflow_start_failed(client, OAI_ERR_INVALID_ARGUMENT,
                                          "oai_client_start_send_with_tools: NULL tool function, or max_steps "
                                          "not within 0 to 1000",
                                          fn, userdata, event_fn, event_userdata);
    tool_loop *t = oai__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->work = oai_request_clone(req);
    if (!t->work) {
        oai__free(t);
        return NULL;
    }
    /* A streamed step without an event callback would queue its events in
     * a call the loop never reads: take them and drop them instead. */
    if (t->work->stream_pull && !t->work->event_fn)
        oai_request_set_event_callback(t->work, oai__workflow_ignore_event, NULL);
    t->max_steps = max_steps ? max_steps : DEFAULT_MAX_STEPS;
    t->tool_fn = tool_fn;
    t->tool_ud = tool_userdata;
    return oai__workflow_start(client, &loop_ops, t, fn, userdata, event_fn, event_userdata);
}

OAI_API oai_response *oai_client_send_with_tools(oai_client *client, const oai_request *req, int max_steps,
                                                 oai_tool_fn fn, void *userdata)
{
    if (!client || !req)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or request");
    oai_call *call = oai_client_start_send_with_tools(client, req, max_steps, fn, userdata, NULL, NULL,
                                                      oai__workflow_ignore_event, NULL);
    return call ? oai__call_wait(call) : NULL;
}
