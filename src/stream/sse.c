/* Incremental Server-Sent Events decoder (WHATWG HTML "event stream
 * interpretation"), sans-I/O: bytes in, events out, at any chunk boundary.
 *
 * Linear time whatever the chunking: every input byte is examined once,
 * line ends are found with memchr() (word at a time in the C library), not
 * byte by byte. A line that is still incomplete at the end of a feed is
 * copied into a growable buffer and never scanned again; the next feed only
 * scans the new bytes for the line end. Buffers grow by doubling, so copying is amortised
 * O(1) per byte too. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"
#include "util/util.h"
#include "stream/stream_internal.h"

#define SSE_DEFAULT_MAX_EVENT ((size_t)16 * 1024 * 1024)
/* After dispatching an event whose buffer grew beyond this, give the memory
 * back, so one huge event does not pin it for the rest of the stream. */
#define SSE_SHRINK_ABOVE ((size_t)1024 * 1024)

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

/* A growable byte buffer, kept NUL-terminated once allocated. */
typedef struct sse_buf {
    char *p;
    size_t len;
    size_t cap;
} sse_buf;

struct oai_sse {
    oai_sse_fn fn;
    void *userdata;
    oai__sse_field_fn field_fn;
    void *field_userdata;
    size_t max_event;
    oai_status status;     /* sticky: once set, every feed returns it */
    int bom_matched;       /* BOM bytes matched so far; -1 once the check is over */
    int skip_lf;           /* the last line ended in CR: an LF right after it is part of it */
    int line_is_comment;   /* the pending partial line starts with ':' (not buffered) */
    sse_buf line;          /* a partial line awaiting its end */
    sse_buf data;          /* data lines joined with '\n' */
    int has_data;          /* at least one data line since the last dispatch */
    sse_buf event;         /* the event name, "" when none */
    sse_buf id;            /* the last event id, persists across events */
    int64_t retry_ms;
    uint64_t scanned;
};

static int buf_reserve(sse_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = oai__realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_append(sse_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int buf_set(sse_buf *b, const char *s, size_t n)
{
    b->len = 0;
    return buf_append(b, s, n);
}

static void buf_clear(sse_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

/* Empties a buffer, and frees it when one large event made it big. */
static void buf_reset_shrink(sse_buf *b)
{
    if (b->cap > SSE_SHRINK_ABOVE) {
        oai__free(b->p);
        b->p = NULL;
        b->cap = 0;
        b->len = 0;
    } else {
        buf_clear(b);
    }
}

static void buf_free(sse_buf *b)
{
    oai__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static oai_status sse_fail(oai_sse *sse, oai_status status)
{
    if (sse->status == OAI_OK)
        sse->status = status;
    return sse->status;
}

/* Would an event holding @p line_len more bytes of line pass the limit? */
static int over_limit(const oai_sse *sse, size_t line_len)
{
    size_t held = sse->data.len + sse->event.len;
    return line_len > sse->max_event || held > sse->max_event - line_len;
}

static int field_is(const char *name, size_t len, const char *want)
{
    size_t n = strlen(want);
    return len == n && memcmp(name, want, n) == 0;
}

/* `retry` takes only ASCII digits; anything else is ignored. Saturates. */
static void set_retry(oai_sse *sse, const char *v, size_t n)
{
    int64_t ms = 0;
    size_t i;

    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return;
    }
    for (i = 0; i < n; i++) {
        int digit = v[i] - '0';
        if (ms > (INT64_MAX - digit) / 10) {
            ms = INT64_MAX;
            break;
        }
        ms = ms * 10 + digit;
    }
    sse->retry_ms = ms;
}

static oai_status dispatch(oai_sse *sse)
{
    int stop;

    /* Dispatch only an event with data lines or a name (a bare `id:` or
     * `retry:` block, or a stray blank line, delivers nothing). */
    if (!sse->has_data && sse->event.len == 0)
        return OAI_OK;
    stop = sse->fn(sse->userdata, sse->event.len ? sse->event.p : NULL,
                   sse->data.p ? sse->data.p : "", sse->data.len,
                   sse->id.len ? sse->id.p : NULL);
    buf_reset_shrink(&sse->data);
    sse->has_data = 0;
    buf_clear(&sse->event);
    if (stop)
        return sse_fail(sse, OAI_ERR_CANCELLED);
    return OAI_OK;
}

static oai_status process_field(oai_sse *sse, const char *name, size_t name_len,
                                const char *value, size_t value_len)
{
    int failed = 0;

    if (field_is(name, name_len, "data")) {
        if (sse->has_data)
            failed = buf_append(&sse->data, "\n", 1);
        if (!failed)
            failed = buf_append(&sse->data, value, value_len);
        sse->has_data = 1;
    } else if (field_is(name, name_len, "event")) {
        failed = buf_set(&sse->event, value, value_len);
    } else if (field_is(name, name_len, "id")) {
        if (!memchr(value, '\0', value_len))
            failed = buf_set(&sse->id, value, value_len);
    } else if (field_is(name, name_len, "retry")) {
        set_retry(sse, value, value_len);
    } else if (sse->field_fn) {
        if (sse->field_fn(sse->field_userdata, name, name_len, value, value_len))
            return sse_fail(sse, OAI_ERR_CANCELLED);
    }
    return failed ? sse_fail(sse, OAI_ERR_OUT_OF_MEMORY) : OAI_OK;
}

static oai_status process_line(oai_sse *sse, const char *line, size_t len)
{
    const char *colon, *value;
    size_t name_len, value_len;

    if (len == 0)
        return dispatch(sse);
    if (line[0] == ':')
        return OAI_OK; /* a comment, e.g. a keep-alive */
    colon = memchr(line, ':', len);
    name_len = colon ? (size_t)(colon - line) : len;
    value = colon ? colon + 1 : line + len;
    value_len = len - (size_t)(value - line);
    if (value_len && value[0] == ' ') {
        value++;
        value_len--;
    }
    return process_field(sse, line, name_len, value, value_len);
}

/* Keeps the start of a line whose end has not arrived yet. */
static oai_status hold_partial_line(oai_sse *sse, const char *p, size_t n)
{
    if (n == 0)
        return OAI_OK;
    if (sse->line.len == 0 && !sse->line_is_comment && p[0] == ':')
        sse->line_is_comment = 1;
    if (sse->line_is_comment)
        return OAI_OK; /* comments are dropped, so there is nothing to keep */
    if (over_limit(sse, sse->line.len + n))
        return sse_fail(sse, OAI_ERR_PROTOCOL);
    if (buf_append(&sse->line, p, n) != 0)
        return sse_fail(sse, OAI_ERR_OUT_OF_MEMORY);
    return OAI_OK;
}

/* A line end was found: the line is the held part (if any) plus p[0..n). */
static oai_status complete_line(oai_sse *sse, const char *p, size_t n)
{
    oai_status st;

    if (sse->line_is_comment) {
        sse->line_is_comment = 0;
        return OAI_OK;
    }
    if (sse->line.len == 0) {
        if (n > 0 && p[0] == ':')
            return OAI_OK; /* a comment: never kept, so never over the limit */
        if (over_limit(sse, n))
            return sse_fail(sse, OAI_ERR_PROTOCOL);
        return process_line(sse, p, n);
    }
    if (over_limit(sse, sse->line.len + n))
        return sse_fail(sse, OAI_ERR_PROTOCOL);
    if (buf_append(&sse->line, p, n) != 0)
        return sse_fail(sse, OAI_ERR_OUT_OF_MEMORY);
    st = process_line(sse, sse->line.p, sse->line.len);
    buf_reset_shrink(&sse->line);
    return st;
}

/* The first line end (CR or LF) in [p, end), or end. *lf and *cr cache the
 * next LF and the next CR found so far (NULL: not searched yet); a cached
 * position is searched again only once p has passed it, so memchr() looks
 * at each byte at most once per character, and a stream without CRs costs
 * one memchr() over the whole feed to learn it. */
static const char *line_end(const char *p, const char *end, const char **lf, const char **cr)
{
    if (!*lf || *lf < p) {
        *lf = memchr(p, '\n', (size_t)(end - p));
        if (!*lf)
            *lf = end;
    }
    if (!*cr || *cr < p) {
        *cr = memchr(p, '\r', (size_t)(end - p));
        if (!*cr)
            *cr = end;
    }
    return *lf < *cr ? *lf : *cr;
}

/* Splits bytes into lines, finding line ends with memchr(); each byte is
 * consumed once (the `scanned` count). */
static oai_status scan(oai_sse *sse, const char *p, const char *end)
{
    const char *lf = NULL, *cr = NULL;

    while (p < end && sse->status == OAI_OK) {
        const char *q;

        if (sse->skip_lf) {
            sse->skip_lf = 0;
            if (*p == '\n') {
                sse->scanned++;
                p++;
                continue;
            }
        }
        q = line_end(p, end, &lf, &cr);
        sse->scanned += (uint64_t)(q - p);
        if (q == end)
            return hold_partial_line(sse, p, (size_t)(q - p));
        sse->scanned++;
        sse->skip_lf = (*q == '\r');
        complete_line(sse, p, (size_t)(q - p));
        p = q + 1;
    }
    return sse->status;
}

/* Bytes of a BOM prefix that turned out not to be a BOM are ordinary input. */
static oai_status end_bom_check(oai_sse *sse)
{
    int matched = sse->bom_matched;

    sse->bom_matched = -1;
    if (matched <= 0)
        return OAI_OK;
    return scan(sse, (const char *)utf8_bom, (const char *)utf8_bom + matched);
}

/* Skips a leading UTF-8 BOM, which may arrive split across feeds. */
static const char *skip_bom(oai_sse *sse, const char *p, const char *end)
{
    while (sse->bom_matched >= 0 && p < end) {
        if ((unsigned char)*p != utf8_bom[sse->bom_matched]) {
            end_bom_check(sse);
            break;
        }
        sse->scanned++;
        p++;
        if (++sse->bom_matched == 3)
            sse->bom_matched = -1;
    }
    return p;
}

/** Creates a decoder; see oai.h. */
OAI_API oai_sse *oai_sse_new(oai_sse_fn fn, void *userdata)
{
    oai_sse *sse;

    sse = oai__calloc(1, sizeof(*sse));
    if (!sse)
        return NULL;
    if (!fn) {
        /* A failed decoder (oai.h, "Errors"): every feed returns this. */
        sse->status = OAI_ERR_INVALID_ARGUMENT;
        return sse;
    }
    sse->fn = fn;
    sse->userdata = userdata;
    sse->max_event = SSE_DEFAULT_MAX_EVENT;
    sse->retry_ms = -1;
    return sse;
}

/** Frees a decoder; see oai.h. */
OAI_API void oai_sse_free(oai_sse *sse)
{
    if (!sse)
        return;
    buf_free(&sse->line);
    buf_free(&sse->data);
    buf_free(&sse->event);
    buf_free(&sse->id);
    oai__free(sse);
}

/** Sets the per-event size limit; see oai.h. */
OAI_API oai_status oai_sse_set_max_event_size(oai_sse *sse, size_t max_bytes)
{
    if (sse && !sse->fn)
        return sse->status; /* a failed decoder */
    if (!sse || max_bytes == 0)
        return OAI_ERR_INVALID_ARGUMENT;
    sse->max_event = max_bytes;
    return OAI_OK;
}

/** Feeds bytes; see oai.h. */
OAI_API oai_status oai_sse_feed(oai_sse *sse, const char *bytes, size_t len)
{
    const char *p, *end;

    if (!sse || (!bytes && len))
        return OAI_ERR_INVALID_ARGUMENT;
    if (sse->status != OAI_OK || len == 0)
        return sse->status;
    p = bytes;
    end = bytes + len;
    p = skip_bom(sse, p, end);
    if (sse->status != OAI_OK)
        return sse->status;
    return scan(sse, p, end);
}

/** Ends the input, dispatching an unterminated event; see oai.h. */
OAI_API oai_status oai_sse_status(const oai_sse *sse)
{
    return sse ? sse->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_sse_error_message(const oai_sse *sse)
{
    if (!sse || sse->status == OAI_OK)
        return NULL;
    return sse->fn ? oai_status_message(sse->status) : "oai_sse_new: NULL event callback";
}

OAI_API oai_status oai_sse_finish(oai_sse *sse)
{
    if (!sse)
        return OAI_ERR_INVALID_ARGUMENT;
    if (sse->status != OAI_OK)
        return sse->status;
    if (end_bom_check(sse) != OAI_OK)
        return sse->status;
    sse->skip_lf = 0;
    if (sse->line.len || sse->line_is_comment) {
        /* The partial line is a whole line now: it ends at end of input. */
        if (complete_line(sse, "", 0) != OAI_OK)
            return sse->status;
    }
    return dispatch(sse);
}

/** The last `retry` value; see oai.h. */
OAI_API int64_t oai_sse_retry_ms(const oai_sse *sse)
{
    return sse ? sse->retry_ms : -1;
}

/** Sets the unknown-field callback; see stream_internal.h. */
void oai__sse_set_field_callback(oai_sse *sse, oai__sse_field_fn fn, void *userdata)
{
    if (!sse)
        return;
    sse->field_fn = fn;
    sse->field_userdata = userdata;
}

/** Bytes examined so far; see stream_internal.h. */
uint64_t oai__sse_bytes_scanned(const oai_sse *sse)
{
    return sse ? sse->scanned : 0;
}

/** Bytes held in buffers; see stream_internal.h. */
size_t oai__sse_retained_bytes(const oai_sse *sse)
{
    if (!sse)
        return 0;
    return sse->line.cap + sse->data.cap + sse->event.cap + sse->id.cap;
}
