/* Waiting for a batch, as a workflow on the engine: retrieves the batch
 * every poll interval, hands out the batch object (OAI_EVENT_ITEM) each
 * time its status changes, and ends with the batch once it is `completed`,
 * `failed`, `expired` or `cancelled` (its `output_file_id` and
 * `error_file_id` then name the result files). The wait between retrievals
 * is the step's timer on the engine's clock, so waiting runs in every
 * drive mode; oai_client_wait_for_batch() is
 * oai_client_start_wait_for_batch() plus a wait. */
#include "core/core.h"
#include "workflows/workflow.h"

#include <stdlib.h>
#include <string.h>

typedef struct batch_waiter {
    char *batch_id;
    int64_t interval_us;
    int64_t next_poll_us;        /* when to retrieve it next (0: at once) */
    oai_call *child;             /* the retrieval under way */
    char *last_status;           /* the status handed out last, or NULL */
} batch_waiter;

static int is_terminal(const char *status)
{
    return status && (strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
                      strcmp(status, "expired") == 0 || strcmp(status, "cancelled") == 0);
}

static int64_t end_with(oai_call *call, oai_response *res)
{
    oai__call_end(call, res);
    return INT64_MAX;
}

/* A retrieval answered: hand out a changed status, then end or wait. */
static int64_t take_batch(oai_call *call, batch_waiter *w, oai_response *res, int64_t now)
{
    if (oai_response_status(res) != OAI_OK)
        return end_with(call, res);
    const char *status = oai_response_get_string(res, "/status");
    if (!status) {
        oai__response_fail(res, OAI_ERR_PROTOCOL, "the batch has no status");
        return end_with(call, res);
    }
    if (!w->last_status || strcmp(w->last_status, status) != 0) {
        if (oai__set_str(&w->last_status, status) != OAI_OK) {
            oai__response_fail(res, OAI_ERR_OUT_OF_MEMORY, NULL);
            return end_with(call, res);
        }
        if (oai__call_emit(call, OAI_EVENT_ITEM, oai_response_json(res))) {
            oai__response_fail(res, OAI_ERR_CANCELLED, "cancelled by the event callback");
            return end_with(call, res);
        }
    }
    if (is_terminal(status))
        return end_with(call, res);
    oai_response_free(res);
    w->next_poll_us = now + w->interval_us;
    return w->next_poll_us;
}

static int64_t waiter_step(oai_call *call, void *state, int64_t now)
{
    batch_waiter *w = state;
    if (w->child) {
        oai_response *res = oai__workflow_take(&w->child);
        return res ? take_batch(call, w, res, now) : INT64_MAX;
    }
    if (now < w->next_poll_us)
        return w->next_poll_us;
    oai_request *req = oai_batch_retrieve_request_new(w->batch_id);
    w->child = req ? oai__workflow_child(call, req) : NULL;
    oai_request_free(req);
    if (!w->child)
        return end_with(call, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    return INT64_MAX; /* woken when it ends (see workflow.h) */
}

static void waiter_free(void *state)
{
    batch_waiter *w = state;
    oai__workflow_drop(&w->child);
    oai__free(w->last_status);
    oai__free(w->batch_id);
    oai__free(w);
}

static const oai__workflow_ops waiter_ops = {waiter_step, waiter_free};

OAI_API oai_call *oai_client_start_wait_for_batch(oai_client *client, const char *batch_id, int64_t poll_interval_ms,
                                                  oai_done_fn fn, void *userdata, oai_event_fn event_fn,
                                                  void *event_userdata)
{
    if (!client)
        return NULL;
    if (!oai__nonempty(batch_id))
        return oai__workflow_start_failed(client, OAI_ERR_INVALID_ARGUMENT,
                                          "oai_client_start_wait_for_batch: empty batch id", fn, userdata, event_fn,
                                          event_userdata);
    batch_waiter *w = oai__calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->batch_id = oai__strdup(batch_id);
    if (!w->batch_id) {
        oai__free(w);
        return NULL;
    }
    w->interval_us = oai__workflow_interval_us(poll_interval_ms);
    return oai__workflow_start(client, &waiter_ops, w, fn, userdata, event_fn, event_userdata);
}

OAI_API oai_response *oai_client_wait_for_batch(oai_client *client, const char *batch_id, int64_t poll_interval_ms)
{
    if (!client || !oai__nonempty(batch_id))
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or empty batch id");
    oai_call *call =
        oai_client_start_wait_for_batch(client, batch_id, poll_interval_ms, NULL, NULL, oai__workflow_ignore_event, NULL);
    return call ? oai__call_wait(call) : NULL;
}
