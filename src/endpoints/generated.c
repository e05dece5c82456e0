/* The endpoint table as data, the path builder every request helper shares,
 * and the helpers that only fill a method and a path, generated from
 * endpoints.def (the hand-written ones are in the other files here). */
#include "endpoints/endpoints.h"

#include <stdlib.h>
#include <string.h>

const oai__endpoint oai__endpoints[OAI__EP_COUNT] = {
#define OAI_ENDPOINT_0(function, method, path, answer, check) \
    [OAI__EP(function)] = {#function, method, path, OAI__ANSWER_##answer},
#define OAI_ENDPOINT_1(function, method, path, arg, sample, answer, check) \
    [OAI__EP(function)] = {#function, method, path, OAI__ANSWER_##answer},
#define OAI_ENDPOINT_HAND(function, method, path, arguments, note) \
    [OAI__EP(function)] = {#function, method, path, OAI__ANSWER_JSON},
#include "endpoints/endpoints.def"
};

/* Appends one id as one path segment. NULL and "" are refused: an empty
 * segment would turn "/files/{id}" into the collection "/files/". */
static oai_status append_id(oai__buf *path, const char *id)
{
    if (!oai__nonempty(id))
        return OAI_ERR_INVALID_ARGUMENT;
    char *enc = oai__url_encode(id);
    oai_status st = enc ? oai__buf_append_str(path, enc) : OAI_ERR_OUT_OF_MEMORY;
    oai__free(enc);
    return st;
}

/* Copies the template into path, each {placeholder} replaced by the next
 * id. A count of ids that does not match the template is a mistake in the
 * table or in a hand-written helper: refused rather than half-filled. On
 * a NULL or empty id, *empty points to its {placeholder}. */
static oai_status expand(oai__buf *path, const char *tpl, const char *const *ids, size_t n, const char **empty)
{
    size_t used = 0;
    oai_status st = OAI_OK;
    *empty = NULL;
    while (st == OAI_OK && *tpl) {
        const char *open = strchr(tpl, '{');
        size_t literal = open ? (size_t)(open - tpl) : strlen(tpl);
        st = oai__buf_append(path, tpl, literal);
        tpl += literal;
        if (st != OAI_OK || !open)
            continue;
        const char *close = strchr(open, '}');
        if (!close || used == n)
            return OAI_ERR_INVALID_ARGUMENT;
        st = append_id(path, ids[used++]);
        if (st == OAI_ERR_INVALID_ARGUMENT)
            *empty = open;
        tpl = close + 1;
    }
    return st == OAI_OK && used != n ? OAI_ERR_INVALID_ARGUMENT : st;
}

oai_request *oai__endpoint_failed(oai__endpoint_id id, oai_status status, const char *what)
{
    return oai__request_failed(status, "%s: %s", oai__endpoints[id].function, what);
}

oai_request *oai__endpoint_check(oai__endpoint_id id, oai_request *r, oai_status st, const char *what)
{
    if (!r)
        return NULL; /* memory ran out already */
    if (r->status != OAI_OK)
        return r; /* failed already: its own message says why */
    return oai__request_check(r, st, oai__endpoints[id].function, what);
}

/* What the `answer` column asks of the request. */
static oai_status apply_answer(oai_request *r, oai__answer answer)
{
    if (answer != OAI__ANSWER_BINARY)
        return OAI_OK;
    /* The official SDKs ask for raw bytes, not JSON, and so do we. */
    oai_status st = oai_request_set_header(r, "Accept", "application/binary");
    return st == OAI_OK ? oai_request_set_raw_response(r, 1) : st;
}

oai_request *oai__endpoint_request(oai__endpoint_id id, const char *const *ids, size_t n)
{
    const oai__endpoint *ep = &oai__endpoints[id];
    oai__buf path = {0};
    const char *empty = NULL;
    oai_status st = expand(&path, ep->path, ids, n, &empty);
    oai_request *r = NULL;
    if (st == OAI_OK && path.data)
        r = oai_request_new(ep->method, path.data);
    oai__buf_free(&path);
    if (st == OAI_ERR_INVALID_ARGUMENT) {
        size_t len = empty ? strcspn(empty + 1, "}") : 0;
        return oai__request_failed(st, "%s: %s%.*s%s", ep->function, empty ? "the " : "",
                                   (int)len, empty ? empty + 1 : "",
                                   empty ? " is NULL or empty" : "the path template and the ids do not match");
    }
    return oai__endpoint_check(id, r, r ? apply_answer(r, ep->answer) : st, "cannot set the Accept header");
}

/* The generated helpers: each is the entry's request, nothing more. */
#define OAI_ENDPOINT_0(function, method, path, answer, check) \
    OAI_API oai_request *function(void)                          \
    {                                                            \
        return oai__endpoint_request(OAI__EP(function), NULL, 0); \
    }
#define OAI_ENDPOINT_1(function, method, path, arg, sample, answer, check) \
    OAI_API oai_request *function(const char *arg)                          \
    {                                                                       \
        return oai__endpoint_request(OAI__EP(function), &arg, 1);           \
    }
#define OAI_ENDPOINT_HAND(function, method, path, arguments, note)
#include "endpoints/endpoints.def"
