/* Auto-pagination over cursor-paginated lists (files, batches, fine-tuning
 * jobs, events, checkpoints, ...). Each page is one oai_client_send() of a
 * copy of the list request with `after` set, so it goes through the retry
 * policy.
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

#include <stdlib.h>

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
    if (!client || !list_request)
        return failed_pager(p, OAI_ERR_INVALID_ARGUMENT, "oai_pager_new: NULL client or list request");
    if (oai_request_status(list_request) != OAI_OK)
        return failed_pager(p, oai_request_status(list_request), oai_request_error_message(list_request));
    p->client = client;
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

OAI_API void oai_pager_free(oai_pager *p)
{
    if (!p)
        return;
    oai_request_free(p->req);
    oai_response_free(p->page);
    oai_response_free(p->previous);
    oai__strset_free(&p->cursors);
    oai__free(p);
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

/* Fetches the next page. After a failure the request is unchanged, so a
 * later call fetches the same page again. */
static oai_status fetch_page(oai_pager *p)
{
    oai_response *res = oai_client_send(p->client, p->req);
    if (!res)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_response_free(p->previous);
    p->previous = p->page;
    p->page = res;
    p->index = 0;
    p->planned = 0;
    return oai_response_status(res);
}

OAI_API oai_status oai_pager_next(oai_pager *p, const oai_value **item)
{
    if (item)
        *item = NULL;
    if (!p || !item)
        return OAI_ERR_INVALID_ARGUMENT;
    if (p->ended != OAI_OK)
        return p->ended;
    while (!p->max_items || p->delivered < p->max_items) {
        if (p->page && oai_response_status(p->page) == OAI_OK && !p->planned) {
            oai_status st = plan_next_page(p);
            if (st != OAI_OK)
                return st; /* ended, or out of memory: the next call plans again */
            p->planned = 1;
        }
        const oai_value *data = page_items(p->page);
        if (p->index < oai_value_count(data)) {
            *item = oai_value_item(data, p->index++);
            p->delivered++;
            return OAI_OK;
        }
        if (p->last_page)
            return OAI_OK;
        oai_status st = fetch_page(p);
        if (st != OAI_OK)
            return st;
    }
    return OAI_OK;
}
