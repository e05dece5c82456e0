/* Differential libFuzzer target: the stream accumulator's fast path
 * (src/stream/chunk_scan.c) against the full parser (the tree path).
 *
 * Input layout (as fuzz_stream's):
 *   byte 0  kind = 1 + (b % 3) (chat, completions, responses);
 *           bit 0x10: accumulation off; bit 0x20: tight limits
 *           (2 choices, 2 tool calls, 256-byte events, 64-byte
 *           accumulation); bit 0x40: events read their JSON only through a
 *           copy (oai__event_dup), never the original; bit 0x80: pieces are
 *           fed through oai_stream_feed_event() (the input split into
 *           events at blank lines) instead of oai_stream_feed()
 *   byte 1  feed size: the rest is fed in pieces of this many bytes
 *           (0: one feed)
 *   rest    the event-stream bytes
 *
 * The same input runs twice, with the fast path and with it switched off
 * (oai__stream_set_fast_path), and everything a caller can observe must be
 * identical: every event's type, indexes, text, tool id and name, name,
 * data, error status and the dump of oai_event_json() (from the event and
 * from a copy of it), then the status, the error message and object, the
 * result (its JSON dump) and the text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "oai.h"
#include "stream/stream_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__);                     \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* A growable log of everything observed. */
typedef struct log_buf {
    char *p;
    size_t len, cap;
} log_buf;

static void log_add(log_buf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        CHECK(b->p != NULL);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* A string with its length and a marker for NULL, so that NULL, "" and
 * text with NUL bytes all log differently. */
static void log_str(log_buf *b, const char *tag, const char *s, size_t n)
{
    char head[64];
    int k = s ? snprintf(head, sizeof head, " %s[%zu]=", tag, n) : snprintf(head, sizeof head, " %s=NULL", tag);
    log_add(b, head, (size_t)k);
    if (s)
        log_add(b, s, n);
}

static void log_cstr(log_buf *b, const char *tag, const char *s)
{
    log_str(b, tag, s, s ? strlen(s) : 0);
}

static void log_int(log_buf *b, const char *tag, long long v)
{
    char tmp[64];
    int k = snprintf(tmp, sizeof tmp, " %s=%lld", tag, v);
    log_add(b, tmp, (size_t)k);
}

static void log_json(log_buf *b, const char *tag, const oai_value *v)
{
    size_t len = 0;
    char *text = v ? oai__json_dump(v, &len) : NULL;
    CHECK(!v || text != NULL);
    log_str(b, tag, text, len);
    free(text);
}

typedef struct run {
    log_buf log;
    int via_copy;
    unsigned events;
} run;

static void log_event(log_buf *b, const oai_event *ev)
{
    log_int(b, "type", oai_event_type_of(ev));
    log_int(b, "choice", oai_event_choice_index(ev));
    log_int(b, "tool", oai_event_tool_index(ev));
    log_int(b, "status", oai_event_error_status(ev));
    log_str(b, "text", oai_event_text(ev), oai_event_text_len(ev));
    log_cstr(b, "id", oai_event_tool_id(ev));
    log_cstr(b, "fn", oai_event_tool_name(ev));
    log_cstr(b, "name", oai_event_name(ev));
    log_str(b, "data", oai_event_data(ev), oai_event_data_len(ev));
}

static int on_event(void *userdata, const oai_event *ev)
{
    run *r = userdata;
    size_t bytes = 0;
    oai_event *copy = oai__event_dup(ev, &bytes);

    CHECK(copy != NULL);
    CHECK(bytes == oai__event_size(ev));
    log_add(&r->log, "\nevent", 6);
    log_event(&r->log, ev);
    /* Odd events read the JSON from the event first (the copy then shares
     * the tree); the others from the copy alone, unless via_copy says the
     * original is never asked. */
    if (!r->via_copy && r->events % 2)
        log_json(&r->log, "json", oai_event_json(ev));
    log_json(&r->log, "copy", oai_event_json(copy));
    if (!r->via_copy && r->events % 2 == 0)
        log_json(&r->log, "json", oai_event_json(ev));
    CHECK(oai__event_size(copy) == bytes);
    log_add(&r->log, "\n copy:", 7);
    log_event(&r->log, copy);
    /* The getters go through the same lazy tree. */
    log_cstr(&r->log, "get_id", oai_event_get_string(r->via_copy ? copy : ev, "/id"));
    log_int(&r->log, "get_created", oai_event_get_int(copy, "/created"));
    oai__event_free(copy);
    r->events++;
    return 0;
}

/* Splits the input into events at blank lines ("\n\n"), each event's
 * "data:" lines joined (a rough decoder: both runs see the same events). */
static void feed_events(oai_stream *s, const char *in, size_t len)
{
    size_t off = 0;

    while (off < len && !oai_stream_is_done(s)) {
        const char *end = NULL, *p = in + off;
        size_t n;
        for (size_t i = off; i + 1 < len; i++) {
            if (in[i] == '\n' && in[i + 1] == '\n') {
                end = in + i;
                break;
            }
        }
        n = end ? (size_t)(end - p) : len - off;
        if (n > 6 && memcmp(p, "data: ", 6) == 0) {
            char *copy = malloc(n - 6 + 1);
            CHECK(copy != NULL);
            memcpy(copy, p + 6, n - 6);
            copy[n - 6] = '\0';
            oai_stream_feed_event(s, NULL, copy, n - 6);
            free(copy);
        } else {
            oai_stream_feed_event(s, NULL, p, n);
        }
        off += n + 2;
    }
}

static void replay(const uint8_t *data, size_t size, int kind, int flags, size_t piece, int fast, run *r)
{
    oai_stream *s = oai_stream_new(kind, on_event, r);
    oai_status st = OAI_OK;
    size_t off = 0;
    uint64_t nfast = 0, ntree = 0;

    CHECK(s != NULL);
    CHECK(oai__stream_set_fast_path(s, fast) == OAI_OK);
    r->via_copy = (flags & 0x40) != 0;
    if (flags & 0x10)
        CHECK(oai_stream_set_accumulate(s, 0) == OAI_OK);
    if (flags & 0x20) {
        CHECK(oai_stream_set_limits(s, 2, 2) == OAI_OK);
        CHECK(oai__stream_set_max_event_size(s, 256) == OAI_OK);
        CHECK(oai_stream_set_max_bytes(s, 64) == OAI_OK);
    }
    if (flags & 0x80) {
        feed_events(s, (const char *)data, size);
    } else {
        if (piece == 0)
            piece = size ? size : 1;
        while (off < size && st == OAI_OK) {
            size_t n = size - off < piece ? size - off : piece;
            st = oai_stream_feed(s, (const char *)data + off, n);
            off += n;
            /* The result may be read mid-stream. */
            if (off * 2 >= size && off * 2 - n < size)
                log_json(&r->log, "\nmid", oai_stream_result(s));
        }
    }
    st = oai_stream_finish(s);
    log_int(&r->log, "\nstatus", st);
    log_int(&r->log, "done", oai_stream_is_done(s));
    log_cstr(&r->log, "message", oai_stream_error_message(s));
    log_json(&r->log, "error", oai_stream_error(s));
    log_json(&r->log, "result", oai_stream_result(s));
    log_cstr(&r->log, "text", oai_stream_text(s));
    oai__stream_path_counts(s, &nfast, &ntree);
    if (!fast)
        CHECK(nfast == 0);
    oai_stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int kind, flags;
    run fast, tree;

    if (size < 2)
        return 0;
    kind = 1 + data[0] % 3;
    flags = data[0] & 0xF0;
    memset(&fast, 0, sizeof fast);
    memset(&tree, 0, sizeof tree);
    replay(data + 2, size - 2, kind, flags, data[1], 1, &fast);
    replay(data + 2, size - 2, kind, flags, data[1], 0, &tree);
    if (fast.log.len != tree.log.len || memcmp(fast.log.p, tree.log.p, fast.log.len) != 0) {
        fprintf(stderr, "--- fast path\n%s\n--- tree path\n%s\n", fast.log.p, tree.log.p);
        abort();
    }
    free(fast.log.p);
    free(tree.log.p);
    return 0;
}
