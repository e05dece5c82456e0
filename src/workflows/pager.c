/* Auto-pagination over cursor-paginated lists (files, batches, fine-tuning
 * jobs, events, checkpoints, ...), as a workflow on the engine: each page
 * is a call of its own (a copy of the list request with `after` set), so
 * it goes through the retry policy, and the walk runs in every drive mode.
 *
 * One state machine serves both forms. pager_peek() says, from the pager's
 * state alone, what comes next: an item of the current page, the need for
 * another page, the end, or a failure. The workflow's step fetches pages
 * and, for oai_pager_start(), hands out every item as an OAI_EVENT_ITEM;
 * for oai_pager_next() it fetches only up to the next item (or the end),
 * and the item is then taken from the pager's page. So the blocking
 * iteration is the same workflow plus a wait, and fetches a page only when
 * the caller asks for an item beyond the pages already fetched.
 *
 * The stop rules are chosen so that no server can keep the pager fetching
 * forever: only `has_more: true` asks for another page (a missing or null
 * `has_more` ends the list, as in the Node SDK, so a `/models` answer from
 * llama-server or any one-page list is one request); an empty `data` or a
 * missing cursor stops too; and a cursor that was already used (a server
 * that ignores `after`, such as a mock answering the same generated page
 * every time) ends the walk with OAI_ERR_PROTOCOL rather than re-fetching
 * the same pages in a loop. */
#include "core/core.h"
#include "json/json.h"
#include "workflows/workflow.h"

#include <stdlib.h>

/* At most this many items are handed out per step, fewer when the poll's
 * budget is spent, so that one poll does bounded work; the rest follow at
 * the next poll. */
#define ITEMS_PER_STEP 64

typedef struct pager_run pager_run;

struct oai_pager {
    oai_client *client;
    oai_request *req;            /* the list request; `after` is set per page */
    oai_response *page;          /* the last page fetched (or the failed fetch) */
    oai_response *previous;      /* kept so the item handed out last stays valid */
    size_t index;                /* next item of page's data */
    size_t max_items;            /* 0: no limit */
    size_t delivered;
    int planned;                 /* the next page's cursor is set on req */
    int last_page;               /* no page follows `page` */
    oai__strset cursors;          /* every `after` the pager has sent */
    oai_status ended;            /* OAI_OK, or why the walk ended for good */
    oai_status status;           /* sticky: why oai_pager_new() failed */
    pager_run *run;              /* the workflow walking it now, or NULL */
};

/* A pager that failed to be made: its page is a response carrying the
 * failure, and every next() returns it. NULL when memory ran out. */
static oai_pager *failed_pager(oai_pager *p, oai_status status, const char *message)
{
    p->page = oai__response_new_failed(status, message);
    if (!p->page) {
        oai__free(p);
        return NULL;
    }
    p->status = p->ended = status;
    return p;
}

OAI_API oai_pager *oai_pager_new(oai_client *client, const oai_request *list_request)
{
    oai_pager *p = oai__calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->client = client;
    if (!client || !list_request)
        return failed_pager(p, OAI_ERR_INVALID_ARGUMENT, "oai_pager_new: NULL client or list request");
    if (oai_request_status(list_request) != OAI_OK)
        return failed_pager(p, oai_request_status(list_request), oai_request_error_message(list_request));
    p->req = oai_request_clone(list_request);
    if (!p->req) {
        oai__free(p);
        return NULL;
    }
    return p;
}

OAI_API oai_status oai_pager_status(const oai_pager *p)
{
    return p ? p->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_pager_error_message(const oai_pager *p)
{
    return p && p->status != OAI_OK ? oai_response_error_message(p->page) : NULL;
}

OAI_API oai_status oai_pager_set_max_items(oai_pager *p, size_t max_items)
{
    if (!p)
        return OAI_ERR_INVALID_ARGUMENT;
    if (p->status != OAI_OK)
        return p->status;
    p->max_items = max_items;
    return OAI_OK;
}

OAI_API const oai_response *oai_pager_response(const oai_pager *p)
{
    return p ? p->page : NULL;
}

/* ---- the walk's rules ------------------------------------------------------------ */

/* The page's `data` array, or NULL (a failed fetch, or not a list). */
static const oai_value *page_items(const oai_response *page)
{
    const oai_value *data = oai_response_get(page, "/data");
    if (oai_response_status(page) != OAI_OK || oai_value_type_of(data) != OAI_VALUE_ARRAY)
        return NULL;
    return data;
}

/* Whether the page asks for another: only an explicit `has_more: true`. */
static int page_has_more(const oai_response *page)
{
    const oai_value *has_more = oai_response_get(page, "/has_more");
    return oai_value_type_of(has_more) == OAI_VALUE_BOOL && oai_value_bool(has_more);
}

/* The cursor of the next page: the page's `last_id`, else its last item's
 * `id`; NULL when it has neither. */
static const char *next_cursor(const oai_response *page, const oai_value *data, size_t count)
{
    const char *cursor = oai_response_get_string(page, "/last_id");
    if (!cursor || !*cursor)
        cursor = oai_value_get_string(oai_value_item(data, count - 1), "/id");
    return cursor && *cursor ? cursor : NULL;
}

/* Ends the walk on a page whose cursor was sent before: the server ignored
 * `after`, and following it would fetch the same pages forever. The page is
 * marked failed, so its items (a repeat) are not handed out and
 * oai_pager_response() tells why. */
static oai_status end_on_repeated_cursor(oai_pager *p, const char *cursor)
{
    const char *sent = oai_request_query(p->req, "after");
    oai__buf msg = {0};
    oai_status st = oai__buf_printf(&msg,
                                   "the list's cursor did not advance: the page after \"%s\" ends at \"%s\", "
                                   "a cursor already used (the server seems to ignore `after`)",
                                   sent ? sent : "", cursor);
    oai__response_fail(p->page, OAI_ERR_PROTOCOL, st == OAI_OK ? msg.data : NULL);
    oai__buf_free(&msg);
    p->ended = OAI_ERR_PROTOCOL;
    return OAI_ERR_PROTOCOL;
}

/* Decides, from the page just fetched, whether another follows, and sets
 * its cursor on the request. */
static oai_status plan_next_page(oai_pager *p)
{
    const oai_value *data = page_items(p->page);
    size_t count = oai_value_count(data);
    const char *cursor = count ? next_cursor(p->page, data, count) : NULL;
    if (!page_has_more(p->page) || !cursor) {
        p->last_page = 1;
        return OAI_OK;
    }
    if (oai__strset_has(&p->cursors, cursor))
        return end_on_repeated_cursor(p, cursor);
    /* Remembered only once sent: after a failure here the next call plans
     * again and must not take its own cursor for a repeat. */
    oai_status st = oai_request_set_query(p->req, "after", cursor);
    if (st == OAI_OK)
        st = oai__strset_add(&p->cursors, cursor);
    return st;
}

/* What comes next in the walk. */
typedef enum peek {
    PEEK_ITEM,   /* *item: the next item of the current page */
    PEEK_FETCH,  /* the next page must be fetched (again, after a failure) */
    PEEK_END,    /* the list (or max_items) is done */
    PEEK_FAILED  /* *status: the walk cannot go on now */
} peek;

static peek pager_peek(oai_pager *p, const oai_value **item, oai_status *status)
{
    *item = NULL;
    *status = OAI_OK;
    if (p->ended != OAI_OK) {
        *status = p->ended;
        return PEEK_FAILED;
    }
    if (p->max_items && p->delivered >= p->max_items)
        return PEEK_END;
    if (p->page && oai_response_status(p->page) == OAI_OK && !p->planned) {
        oai_status st = plan_next_page(p);
        if (st != OAI_OK) {
            *status = st; /* ended, or out of memory: the next call plans again */
            return PEEK_FAILED;
        }
        p->planned = 1;
    }
    const oai_value *data = page_items(p->page);
    if (p->index < oai_value_count(data)) {
        *item = oai_value_item(data, p->index);
        return PEEK_ITEM;
    }
    return p->last_page ? PEEK_END : PEEK_FETCH;
}

/* Hands out the item pager_peek() gave. */
static void pager_consume(oai_pager *p)
{
    p->index++;
    p->delivered++;
}

/* A page fetched (or its failure) becomes the current page; the one before
 * is kept until the next, so the item handed out last stays valid. After a
 * failure the request is unchanged, so the next fetch asks for the same
 * page again. */
static void install_page(oai_pager *p, oai_response *res)
{
    oai_response_free(p->previous);
    p->previous = p->page;
    p->page = res;
    p->index = 0;
    p->planned = 0;
}

/* ---- the workflow ---------------------------------------------------------------- */

struct pager_run {
    oai_pager *pager;            /* NULL once the pager was freed */
    oai_call *call;              /* the workflow's own call */
    oai_call *fetch;             /* the page being fetched */
    int until_item;              /* for oai_pager_next(): stop before an item */
};

/* The response a finished walk ends with: the last page (a copy; the pager
 * keeps its own), or the failure. */
static oai_response *walk_response(const oai_pager *p, oai_status status)
{
    if (p->page && (status == OAI_OK || oai_response_status(p->page) == status))
        return oai__workflow_response_copy(p->page);
    return status == OAI_OK ? oai__response_new() : oai__response_new_failed(status, NULL);
}

/* Ends the run: oai_pager_next() needs only the status (the page stays in
 * the pager), oai_pager_start()'s caller gets the page. */
static int64_t end_run(oai_call *call, pager_run *run, oai_status status)
{
    oai_pager *p = run->pager;
    if (run->until_item)
        oai__call_end(call, status == OAI_OK ? oai__response_new() : oai__response_new_failed(status, NULL));
    else
        oai__call_end(call, walk_response(p, status));
    return INT64_MAX;
}

static int64_t pager_step(oai_call *call, void *state, int64_t now)
{
    pager_run *run = state;
    oai_pager *p = run->pager;
    (void)now;
    if (!p) {
        oai__call_end(call, oai__response_new_failed(OAI_ERR_CANCELLED, "the pager was freed"));
        return INT64_MAX;
    }
    if (run->fetch) {
        oai_response *res = oai__workflow_take(&run->fetch);
        if (!res)
            return INT64_MAX; /* still fetching */
        install_page(p, res);
        if (oai_response_status(res) != OAI_OK)
            return end_run(call, run, oai_response_status(res));
    }
    for (int handed = 0;;) {
        const oai_value *item;
        oai_status st;
        switch (pager_peek(p, &item, &st)) {
        case PEEK_ITEM:
            if (run->until_item)
                return end_run(call, run, OAI_OK);
            if (oai__call_queue_full(call))
                return INT64_MAX; /* woken when the host has taken items */
            if (handed == ITEMS_PER_STEP || (handed > 0 && oai__call_over_budget(call)))
                return 0; /* the rest at the next poll */
            pager_consume(p);
            handed++;
            if (oai__call_emit(call, OAI_EVENT_ITEM, item)) {
                oai_response *res = walk_response(p, OAI_OK);
                if (res)
                    oai__response_fail(res, OAI_ERR_CANCELLED, "cancelled by the event callback");
                oai__call_end(call, res);
                return INT64_MAX;
            }
            /* The callback may have freed the pager, or cancelled or freed
             * the call: the engine ends it at once. */
            if (!run->pager || oai__call_cancelled(call))
                return 0;
            break;
        case PEEK_FETCH:
            run->fetch = oai__workflow_child(call, p->req);
            if (!run->fetch)
                return end_run(call, run, OAI_ERR_OUT_OF_MEMORY);
            return INT64_MAX; /* woken when it ends (see workflow.h) */
        case PEEK_END:
            return end_run(call, run, OAI_OK);
        case PEEK_FAILED:
            return end_run(call, run, st);
        }
    }
}

static void pager_run_free(void *state)
{
    pager_run *run = state;
    oai__workflow_drop(&run->fetch);
    if (run->pager)
        run->pager->run = NULL;
    oai__free(run);
}

static const oai__workflow_ops pager_ops = {pager_step, pager_run_free};

/* Starts a walk of the pager; NULL when memory ran out. */
static oai_call *start_run(oai_pager *p, int until_item, oai_done_fn fn, void *userdata, oai_event_fn event_fn,
                           void *event_userdata)
{
    pager_run *run = oai__calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->pager = p;
    run->until_item = until_item;
    /* Without memory for the call, the run is freed already. */
    oai_call *call = oai__workflow_start(p->client, &pager_ops, run, fn, userdata, event_fn, event_userdata);
    if (call) {
        run->call = call;
        p->run = run;
    }
    return call;
}

OAI_API oai_call *oai_pager_start(oai_pager *p, oai_done_fn fn, void *userdata, oai_event_fn event_fn,
                                  void *event_userdata)
{
    /* A failed pager made with a client starts, and ends with its status;
     * so does one already walking, with its own. */
    if (!p || !p->client)
        return NULL;
    if (p->run)
        return oai__workflow_start_failed(p->client, OAI_ERR_INVALID_ARGUMENT,
                                          "the pager is already walking (oai_pager_start())", fn, userdata, event_fn,
                                          event_userdata);
    return start_run(p, 0, fn, userdata, event_fn, event_userdata);
}

OAI_API void oai_pager_free(oai_pager *p)
{
    if (!p)
        return;
    if (p->run) {
        /* The walk's call is its caller's: it ends, cancelled, at the next
         * poll, and frees its state then. */
        p->run->pager = NULL;
        oai_call_cancel(p->run->call);
        p->run = NULL;
    }
    oai_request_free(p->req);
    oai_response_free(p->page);
    oai_response_free(p->previous);
    oai__strset_free(&p->cursors);
    oai__free(p);
}

OAI_API oai_status oai_pager_next(oai_pager *p, const oai_value **item)
{
    if (item)
        *item = NULL;
    if (!p || !item || p->run)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_status st;
    peek next = pager_peek(p, item, &st);
    if (next == PEEK_FETCH) {
        /* The workflow, until the next item or the end, plus a wait. */
        const oai_response *before = p->page;
        oai_call *call = start_run(p, 1, NULL, NULL, oai__workflow_ignore_event, NULL);
        if (!call)
            return OAI_ERR_OUT_OF_MEMORY;
        oai_response *res = oai__call_wait(call);
        st = oai_response_status(res);
        if (st != OAI_OK && p->page == before) {
            /* The fetch never ran (the wait was refused, the client
             * freed): its failure is the page, as a failed fetch's is. */
            install_page(p, res);
            return st;
        }
        oai_response_free(res);
        if (st != OAI_OK)
            return st;
        next = pager_peek(p, item, &st);
    }
    switch (next) {
    case PEEK_ITEM:
        pager_consume(p);
        return OAI_OK;
    case PEEK_FAILED:
        return st;
    default:
        *item = NULL;
        return OAI_OK;
    }
}
