/* What the workflows (pager.c, large_upload.c, job_follower.c,
 * batch_waiter.c) share: each is a call on the engine (core.h,
 * oai__workflow_start()) whose step function starts its own calls with
 * oai__workflow_child(), looks at them when the engine steps it, and ends
 * with oai__call_end(). Nothing here waits or sleeps; timers are the step
 * function's return value on the engine's clock.
 *
 * While its call runs, a step function returns its own timer or
 * INT64_MAX: the engine steps it again when that call ends (whenever it
 * ends, even inside the transport's start callback), and at every poll
 * meanwhile. A pulled workflow whose queue is full
 * (oai__call_queue_full()) waits the same way until the host has taken
 * events; one over the poll's budget (oai__call_over_budget()) returns 0
 * and goes on at the next poll. */
#ifndef OAI_WORKFLOW_H
#define OAI_WORKFLOW_H

#include "core/core.h"

/* The shortest and longest poll interval of a follower or a waiter. */
#define OAI__WORKFLOW_MIN_INTERVAL_MS 10
#define OAI__WORKFLOW_MAX_INTERVAL_MS ((int64_t)24 * 3600 * 1000)

/* The response of a workflow's own call once it has ended, taken over by
 * the caller (a failure carrying OAI_ERR_OUT_OF_MEMORY when it had none),
 * the call freed and *child cleared; NULL while it runs (or when *child is
 * NULL). */
oai_response *oai__workflow_take(oai_call **child);

/* Frees a workflow's own call, cancelling it if it still runs. NULL is a
 * no-op; *child is cleared. */
void oai__workflow_drop(oai_call **child);

/* A copy of a response (its JSON shared, reference counted), so that a
 * workflow can hand out a response it keeps too (the pager's last page).
 * NULL when memory ran out. */
oai_response *oai__workflow_response_copy(const oai_response *res);

/* A poll interval in milliseconds clamped to the bounds above, in µs. */
int64_t oai__workflow_interval_us(int64_t interval_ms);

/* An event callback that takes every event and does nothing: the blocking
 * forms use it so that their events do not pile up in the pull queue. */
int oai__workflow_ignore_event(void *userdata, const oai_event *ev);

/* Starts a workflow that ends at its first step with this failure, so
 * that a bad argument reaches the caller as any outcome does (the done
 * callback or oai_call_take_response()). NULL when memory ran out. */
oai_call *oai__workflow_start_failed(oai_client *c, oai_status status, const char *message, oai_done_fn fn,
                                     void *userdata, oai_event_fn event_fn, void *event_userdata);

/* The JSON `{"done":done,"total":total}` of an OAI_EVENT_PROGRESS (a new
 * reference), or NULL when memory ran out. */
oai_value *oai__workflow_progress_json(int64_t done, int64_t total);

#endif
