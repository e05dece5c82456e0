/* oai_client_follow_fine_tuning_job(): polls a fine-tuning job and its events
 * until the job ends, reporting each event once, oldest first. */
#include "core/core.h"
#include "json/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_POLL_INTERVAL_MS 10
#define MAX_POLL_INTERVAL_MS ((int64_t)24 * 3600 * 1000)
/* Events are fetched newest first; a follow round reads pages of this many
 * until it meets an event it already reported. */
#define EVENTS_PAGE_LIMIT "100"
/* Bounds one round's catch-up (100 pages of 100 events). */
#define MAX_EVENT_PAGES 100

/* ---- following a job ------------------------------------------------------- */

typedef struct follower {
    oai_client *client;
    const char *job_id;
    oai_job_event_fn fn;
    void *ud;
    oai__strset seen;
    oai_response **pages;        /* event pages of the current round */
    size_t page_count;
} follower;

static void free_pages(follower *f)
{
    for (size_t i = 0; i < f->page_count; i++)
        oai_response_free(f->pages[i]);
    f->page_count = 0;
}

static oai_response *send_job_request(follower *f, oai_request *req)
{
    if (!req)
        return NULL;
    oai_response *res = oai_client_send(f->client, req);
    oai_request_free(req);
    return res;
}

/* Fetches one page of events older than `after` (NULL: the newest). */
static oai_response *fetch_events(follower *f, const char *after)
{
    oai_request *req = oai_fine_tuning_job_list_events_request_new(f->job_id);
    if (req && (oai_request_set_query(req, "limit", EVENTS_PAGE_LIMIT) != OAI_OK ||
                (after && oai_request_set_query(req, "after", after) != OAI_OK))) {
        oai_request_free(req);
        req = NULL;
    }
    return send_job_request(f, req);
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

/* Reads pages of events, newest first, back to the first one already
 * reported. Returns NULL, or the failed response of a page. */
static oai_response *collect_new_events(follower *f)
{
    const char *after = NULL;
    for (size_t i = 0; i < MAX_EVENT_PAGES; i++) {
        oai_response *page = fetch_events(f, after);
        if (oai_response_status(page) != OAI_OK)
            return page ? page : oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
        f->pages[f->page_count++] = page;
        if (page_reaches_seen(f, page))
            break;
        const oai_value *data = events_of(page);
        after = oai_value_get_string(oai_value_item(data, oai_value_count(data) - 1), "/id");
        if (!after)
            break;
    }
    return NULL;
}

/* Reports one event unless it was reported before. 1 when fn asked to stop,
 * -1 when memory ran out. */
static int report_event(follower *f, const oai_value *event)
{
    const char *id = oai_value_get_string(event, "/id");
    if (id) {
        if (oai__strset_has(&f->seen, id))
            return 0;
        if (oai__strset_add(&f->seen, id) != OAI_OK)
            return -1;
    }
    return f->fn && f->fn(f->ud, event) != 0 ? 1 : 0;
}

/* Reports the new events of this round oldest first: pages were read
 * newest first, and each page lists its events newest first. */
static int report_new_events(follower *f)
{
    for (size_t p = f->page_count; p-- > 0;) {
        const oai_value *data = events_of(f->pages[p]);
        for (size_t i = oai_value_count(data); i-- > 0;) {
            int rc = report_event(f, oai_value_item(data, i));
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int is_terminal(const char *status)
{
    return status && (strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
                      strcmp(status, "cancelled") == 0);
}

/* Waits in the client's engine, so its other calls progress meanwhile. The
 * engine returns at once when it has no call running: then sleep. */
static void wait_between_rounds(oai_client *client, int64_t interval_ms)
{
    int64_t deadline = oai__now_us() + interval_ms * 1000;
    for (;;) {
        int64_t now = oai__now_us();
        if (now >= deadline)
            return;
        int64_t left = (deadline - now + 999) / 1000;
        int ms = left > 0x7fffffff ? 0x7fffffff : (int)left;
        if (oai_client_poll(client, ms) <= 0) {
            now = oai__now_us();
            if (now < deadline)
                oai__sleep_ms((deadline - now + 999) / 1000);
            return;
        }
    }
}

/* One round: the job, then the events up to now. Returns 1 when following
 * must end (terminal status, failure or cancel) with *out the response to
 * return (NULL only when memory ran out), else 0. */
static int follow_round(follower *f, oai_response **out)
{
    oai_response *job = send_job_request(f, oai_fine_tuning_job_retrieve_request_new(f->job_id));
    *out = job;
    if (oai_response_status(job) != OAI_OK)
        return 1;
    oai_response *failed = collect_new_events(f);
    int rc = failed ? 0 : report_new_events(f);
    free_pages(f);
    if (failed) {
        oai_response_free(job);
        *out = failed;
        return 1;
    }
    if (rc < 0)
        oai__response_fail(job, OAI_ERR_OUT_OF_MEMORY, NULL);
    else if (rc > 0)
        oai__response_fail(job, OAI_ERR_CANCELLED, "cancelled by the event callback");
    if (rc || is_terminal(oai_response_get_string(job, "/status")))
        return 1;
    oai_response_free(job);
    *out = NULL;
    return 0;
}

OAI_API oai_response *oai_client_follow_fine_tuning_job(oai_client *client, const char *job_id,
                                                 int64_t poll_interval_ms, oai_job_event_fn fn,
                                                 void *userdata)
{
    if (!client || !oai__nonempty(job_id))
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or empty job id");
    if (poll_interval_ms < MIN_POLL_INTERVAL_MS)
        poll_interval_ms = MIN_POLL_INTERVAL_MS;
    if (poll_interval_ms > MAX_POLL_INTERVAL_MS)
        poll_interval_ms = MAX_POLL_INTERVAL_MS;
    follower f = {client, job_id, fn, userdata, {NULL, 0, 0}, NULL, 0};
    f.pages = oai__calloc(MAX_EVENT_PAGES, sizeof *f.pages);
    if (!f.pages)
        return NULL;
    oai_response *res = NULL;
    while (!follow_round(&f, &res))
        wait_between_rounds(client, poll_interval_ms);
    oai__free(f.pages);
    oai__strset_free(&f.seen);
    return res;
}
