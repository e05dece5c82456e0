/* Helpers shared by the workflows (workflow.h). */
#include "workflows/workflow.h"
#include "json/json.h"

#include <stdlib.h>

oai_response *oai__workflow_take(oai_call **child)
{
    if (!*child || !oai_call_is_done(*child))
        return NULL;
    oai_response *res = oai_call_take_response(*child);
    oai_call_free(*child);
    *child = NULL;
    /* A workflow reads its child's document: built now, so that memory
     * running out is the child's failure, not a document that reads as
     * empty. */
    if (res && oai__response_build_tree(res) != OAI_OK)
        oai__response_fail(res, OAI_ERR_OUT_OF_MEMORY, NULL);
    return res ? res : oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
}

void oai__workflow_drop(oai_call **child)
{
    oai_call_free(*child);
    *child = NULL;
}

static oai_status copy_str(char **slot, const char *s)
{
    return s ? oai__set_str(slot, s) : OAI_OK;
}

oai_response *oai__workflow_response_copy(const oai_response *res)
{
    if (!res)
        return NULL;
    oai_response *copy = oai__response_new();
    if (!copy)
        return NULL;
    copy->status = res->status;
    copy->http_status = res->http_status;
    copy->retries = res->retries;
    copy->retry_after_ms = res->retry_after_ms;
    copy->total_us = res->total_us;
    copy->first_byte_us = res->first_byte_us;
    oai__response_share_json(copy, res);
    oai_status st = oai__kvlist_copy(&copy->headers, &res->headers);
    if (st == OAI_OK && res->body.len)
        st = oai__buf_append(&copy->body, res->body.data, res->body.len);
    if (st == OAI_OK)
        st = copy_str(&copy->error_message, res->error_message);
    if (st == OAI_OK)
        st = copy_str(&copy->error_type, res->error_type);
    if (st == OAI_OK)
        st = copy_str(&copy->error_code, res->error_code);
    if (st == OAI_OK)
        st = copy_str(&copy->error_param, res->error_param);
    if (st != OAI_OK) {
        oai_response_free(copy);
        return NULL;
    }
    return copy;
}

int64_t oai__workflow_interval_us(int64_t interval_ms)
{
    if (interval_ms < OAI__WORKFLOW_MIN_INTERVAL_MS)
        interval_ms = OAI__WORKFLOW_MIN_INTERVAL_MS;
    if (interval_ms > OAI__WORKFLOW_MAX_INTERVAL_MS)
        interval_ms = OAI__WORKFLOW_MAX_INTERVAL_MS;
    return interval_ms * 1000;
}

int oai__workflow_ignore_event(void *userdata, const oai_event *ev)
{
    (void)userdata;
    (void)ev;
    return 0;
}

/* ---- a workflow that only reports a failure ------------------------------------ */

typedef struct failed_state {
    oai_response *res;
} failed_state;

static int64_t failed_step(oai_call *call, void *state, int64_t now)
{
    failed_state *f = state;
    (void)now;
    oai__call_end(call, f->res);
    f->res = NULL;
    return INT64_MAX;
}

static void failed_free(void *state)
{
    failed_state *f = state;
    oai_response_free(f->res);
    oai__free(f);
}

static const oai__workflow_ops failed_ops = {failed_step, failed_free};

oai_call *oai__workflow_start_failed(oai_client *c, oai_status status, const char *message, oai_done_fn fn,
                                     void *userdata, oai_event_fn event_fn, void *event_userdata)
{
    failed_state *f = oai__calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->res = oai__response_new_failed(status, message);
    if (!f->res) {
        oai__free(f);
        return NULL;
    }
    return oai__workflow_start(c, &failed_ops, f, fn, userdata, event_fn, event_userdata);
}

oai_value *oai__workflow_progress_json(int64_t done, int64_t total)
{
    oai_value *obj = oai__json_object();
    if (!obj)
        return NULL;
    if (oai__json_object_set(obj, "done", oai__json_int(done)) != OAI_OK ||
        oai__json_object_set(obj, "total", oai__json_int(total)) != OAI_OK) {
        oai__json_decref(obj);
        return NULL;
    }
    return obj;
}
