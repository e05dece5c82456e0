/* Auto-pagination over cursor-paginated lists (files, batches, fine-tuning
 * jobs, events, checkpoints, ...). Each page is one oai_client_send() of a
 * copy of the list request with `after` set, so it goes through the retry
 * policy. The stop rules follow the official Python SDK: `has_more: false`
 * stops, a missing `has_more` does not; an empty `data` or a missing cursor
 * stops too. */
#include "core.h"
#include "json.h"

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
};

OAI_API oai_pager *oai_pager_new(oai_client *client, const oai_request *list_request)
{
    if (!client || !list_request)
        return NULL;
    oai_pager *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->client = client;
    p->req = oai_request_dup(list_request);
    if (!p->req) {
        free(p);
        return NULL;
    }
    return p;
}

OAI_API void oai_pager_free(oai_pager *p)
{
    if (!p)
        return;
    oai_request_free(p->req);
    oai_response_free(p->page);
    oai_response_free(p->previous);
    free(p);
}

OAI_API oai_status oai_pager_set_max_items(oai_pager *p, size_t max_items)
{
    if (!p)
        return OAI_ERR_INVALID_ARGUMENT;
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

/* Decides, from the page just fetched, whether another follows, and sets
 * its cursor on the request. */
static oai_status plan_next_page(oai_pager *p)
{
    const oai_value *has_more = oai_response_get(p->page, "/has_more");
    const oai_value *data = page_items(p->page);
    size_t count = oai_value_count(data);
    if ((oai_value_type_of(has_more) == OAI_VALUE_BOOL && !oai_value_bool(has_more)) || count == 0) {
        p->last_page = 1;
        return OAI_OK;
    }
    const char *cursor = oai_response_get_string(p->page, "/last_id");
    if (!cursor || !*cursor)
        cursor = oai_value_get_string(oai_value_at(data, count - 1), "/id");
    if (!cursor || !*cursor) {
        p->last_page = 1;
        return OAI_OK;
    }
    return oai_request_set_query(p->req, "after", cursor);
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
    while (!p->max_items || p->delivered < p->max_items) {
        const oai_value *data = page_items(p->page);
        if (p->page && oai_response_status(p->page) == OAI_OK && !p->planned) {
            oai_status st = plan_next_page(p);
            if (st != OAI_OK)
                return st; /* out of memory: the next call plans again */
            p->planned = 1;
        }
        if (p->index < oai_value_count(data)) {
            *item = oai_value_at(data, p->index++);
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
