/* Following a fine-tuning job, as a workflow on the engine: each round
 * retrieves the job, then its events back to the last one reported, hands
 * out each new event once, oldest first (OAI_EVENT_ITEM), and ends when
 * the job has reached `succeeded`, `failed` or `cancelled`. The wait
 * between rounds is the step's timer on the engine's clock, never a sleep,
 * so following runs in every drive mode; oai_client_follow_fine_tuning_job()
 * is oai_client_start_follow_fine_tuning_job() plus a wait. */
#include "core/core.h"
#include "json/json.h"
#include "workflows/workflow.h"

#include <stdlib.h>
#include <string.h>

/* Events are fetched newest first; a round reads pages of this many until
 * it meets an event it already reported. */
#define EVENTS_PAGE_LIMIT "100"
/* Bounds one round's catch-up (100 pages of 100 events). */
#define MAX_EVENT_PAGES 100

typedef enum follow_phase {
    FOLLOW_WAITING, /* until the next round */
    FOLLOW_JOB,     /* retrieving the job */
    FOLLOW_EVENTS   /* reading its events, newest first */
} follow_phase;

typedef struct follower {
    char *job_id;
    int64_t interval_us;
    follow_phase phase;
    int64_t next_round_us;       /* FOLLOW_WAITING: when (0: at once) */
    oai_call *child;             /* the request under way */
    oai_response *job;           /* this round's job */
    oai_response *pages[MAX_EVENT_PAGES]; /* this round's event pages */
    size_t page_count;
    oai__strset seen;            /* the ids of the events handed out */
} follower;

static void free_pages(follower *f)
{
    for (size_t i = 0; i < f->page_count; i++)
        oai_response_free(f->pages[i]);
    f->page_count = 0;
}

/* The page's events (newest first), or NULL when it holds no list. */
static const oai_value *events_of(const oai_response *page)
{
    const oai_value *data = oai_response_get(page, "/data");
    return oai_value_type_of(data) == OAI_VALUE_ARRAY ? data : NULL;
}

/* 1 when the page holds an event already reported, or is the last page. */
static int page_reaches_seen(const follower *f, const oai_response *page)
{
    const oai_value *data = events_of(page);
    size_t n = oai_value_count(data);
    for (size_t i = 0; i < n; i++) {
        const char *id = oai_value_get_string(oai_value_item(data, i), "/id");
        if (id && oai__strset_has(&f->seen, id))
            return 1;
    }
    const oai_value *has_more = oai_response_get(page, "/has_more");
    return n == 0 || oai_value_type_of(has_more) != OAI_VALUE_BOOL || !oai_value_bool(has_more);
}

/* Hands out one event unless it was handed out before. 1 when the caller
 * asked to stop, -1 when memory ran out. */
static int report_event(oai_call *call, follower *f, const oai_value *event)
{
    const char *id = oai_value_get_string(event, "/id");
    if (id) {
        if (oai__strset_has(&f->seen, id))
            return 0;
        if (oai__strset_add(&f->seen, id) != OAI_OK)
            return -1;
    }
    return oai__call_emit(call, OAI_EVENT_ITEM, event) ? 1 : 0;
}

/* Hands out the new events of this round oldest first: pages were read
 * newest first, and each page lists its events newest first. */
static int report_new_events(oai_call *call, follower *f)
{
    for (size_t p = f->page_count; p-- > 0;) {
        const oai_value *data = events_of(f->pages[p]);
        for (size_t i = oai_value_count(data); i-- > 0;) {
            int rc = report_event(call, f, oai_value_item(data, i));
            if (rc)
                return rc;
            if (oai__call_cancelled(call))
                return 0; /* the callback cancelled or freed the call */
        }
    }
    return 0;
}

static int is_terminal(const char *status)
{
    return status && (strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
                      strcmp(status, "cancelled") == 0);
}

static int64_t end_with(oai_call *call, oai_response *res)
{
    oai__call_end(call, res);
    return INT64_MAX;
}

/* Starts one request of the round (the request is freed). */
static int64_t start_child(oai_call *call, follower *f, oai_request *req)
{
    f->child = req ? oai__workflow_child(call, req) : NULL;
    oai_request_free(req);
    if (!f->child)
        return end_with(call, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    return INT64_MAX; /* woken when it ends (see workflow.h) */
}

/* Asks for one page of events older than `after` (NULL: the newest). */
static int64_t fetch_events(oai_call *call, follower *f, const char *after)
{
    oai_request *req = oai_fine_tuning_job_list_events_request_new(f->job_id);
    if (req && (oai_request_set_query(req, "limit", EVENTS_PAGE_LIMIT) != OAI_OK ||
                (after && oai_request_set_query(req, "after", after) != OAI_OK))) {
        oai_request_free(req);
        req = NULL;
    }
    f->phase = FOLLOW_EVENTS;
    return start_child(call, f, req);
}

/* The round's events are all read: hand them out, then end or wait. */
static int64_t end_round(oai_call *call, follower *f, int64_t now)
{
    int rc = report_new_events(call, f);
    free_pages(f);
    oai_response *job = f->job;
    f->job = NULL;
    if (rc < 0) {
        oai__response_fail(job, OAI_ERR_OUT_OF_MEMORY, NULL);
        return end_with(call, job);
    }
    if (rc > 0) {
        oai__response_fail(job, OAI_ERR_CANCELLED, "cancelled by the event callback");
        return end_with(call, job);
    }
    if (is_terminal(oai_response_get_string(job, "/status")))
        return end_with(call, job);
    oai_response_free(job);
    f->phase = FOLLOW_WAITING;
    f->next_round_us = now + f->interval_us;
    return f->next_round_us;
}

/* A request of the round answered. */
static int64_t take_answer(oai_call *call, follower *f, oai_response *res, int64_t now)
{
    if (oai_response_status(res) != OAI_OK)
        return end_with(call, res); /* this round's job, if any, goes with the state */
    if (f->phase == FOLLOW_JOB) {
        f->job = res;
        return fetch_events(call, f, NULL);
    }
    f->pages[f->page_count++] = res;
    const char *after = NULL;
    if (!page_reaches_seen(f, res) && f->page_count < MAX_EVENT_PAGES) {
        const oai_value *data = events_of(res);
        after = oai_value_get_string(oai_value_item(data, oai_value_count(data) - 1), "/id");
    }
    return after ? fetch_events(call, f, after) : end_round(call, f, now);
}

static int64_t follow_step(oai_call *call, void *state, int64_t now)
{
    follower *f = state;
    if (f->child) {
        oai_response *res = oai__workflow_take(&f->child);
        return res ? take_answer(call, f, res, now) : INT64_MAX;
    }
    if (now < f->next_round_us)
        return f->next_round_us;
    f->phase = FOLLOW_JOB;
    return start_child(call, f, oai_fine_tuning_job_retrieve_request_new(f->job_id));
}

static void follower_free(void *state)
{
    follower *f = state;
    oai__workflow_drop(&f->child);
    oai_response_free(f->job);
    free_pages(f);
    oai__strset_free(&f->seen);
    oai__free(f->job_id);
    oai__free(f);
}

static const oai__workflow_ops follower_ops = {follow_step, follower_free};

OAI_API oai_call *oai_client_start_follow_fine_tuning_job(oai_client *client, const char *job_id,
                                                          int64_t poll_interval_ms, oai_done_fn fn, void *userdata,
                                                          oai_event_fn event_fn, void *event_userdata)
{
    if (!client)
        return NULL;
    if (!oai__nonempty(job_id))
        return oai__workflow_start_failed(client, OAI_ERR_INVALID_ARGUMENT,
                                          "oai_client_start_follow_fine_tuning_job: empty job id", fn, userdata,
                                          event_fn, event_userdata);
    follower *f = oai__calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->job_id = oai__strdup(job_id);
    if (!f->job_id) {
        oai__free(f);
        return NULL;
    }
    f->interval_us = oai__workflow_interval_us(poll_interval_ms);
    return oai__workflow_start(client, &follower_ops, f, fn, userdata, event_fn, event_userdata);
}

/* The blocking form's event callback: each event's object to the
 * caller's oai_job_event_fn. */
typedef struct job_event_relay {
    oai_job_event_fn fn;
    void *userdata;
} job_event_relay;

static int relay_job_event(void *userdata, const oai_event *ev)
{
    const job_event_relay *r = userdata;
    return r->fn(r->userdata, oai_event_json(ev));
}

OAI_API oai_response *oai_client_follow_fine_tuning_job(oai_client *client, const char *job_id,
                                                        int64_t poll_interval_ms, oai_job_event_fn fn,
                                                        void *userdata)
{
    if (!client || !oai__nonempty(job_id))
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or empty job id");
    job_event_relay relay = {fn, userdata};
    oai_call *call = oai_client_start_follow_fine_tuning_job(client, job_id, poll_interval_ms, NULL, NULL,
                                                             fn ? relay_job_event : oai__workflow_ignore_event,
                                                             fn ? &relay : NULL);
    return call ? oai__call_wait(call) : NULL;
}
