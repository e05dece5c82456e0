/* Unit tests of the sans-I/O SSE decoder (src/sse.c): every WHATWG
 * event-stream rule, at every chunk boundary, plus limits, linear time,
 * finish() flushing and cancellation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oai.h"
#include "stream/stream_internal.h"

/* ------------------------------------------------------------------------ */
/* A recorder: each event becomes one line "event|data|id" of a log, with
 * NULL shown as "-" and '\n' in data shown as "\n". */

typedef struct recorder {
    char *log;
    size_t len, cap;
    int events;
    int stop_after; /* cancel on this event (1-based); 0: never */
    size_t last_data_len;
} recorder;

static void rec_append(recorder *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap < r->len + n + 1)
            cap *= 2;
        r->log = realloc(r->log, cap);
        assert_non_null(r->log);
        r->cap = cap;
    }
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static void rec_append_escaped(recorder *r, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '\n')
            rec_append(r, "\\n", 2);
        else if (s[i] == '\0')
            rec_append(r, "\\0", 2);
        else
            rec_append(r, s + i, 1);
    }
}

static int on_event(void *ud, const char *event, const char *data, size_t data_len, const char *id)
{
    recorder *r = ud;

    assert_non_null(data);
    assert_int_equal(data[data_len], '\0');
    r->events++;
    r->last_data_len = data_len;
    if (event)
        rec_append(r, event, strlen(event));
    else
        rec_append(r, "-", 1);
    rec_append(r, "|", 1);
    /* Big events are only counted, not logged. */
    if (data_len <= 4096)
        rec_append_escaped(r, data, data_len);
    rec_append(r, "|", 1);
    if (id)
        rec_append(r, id, strlen(id));
    else
        rec_append(r, "-", 1);
    rec_append(r, "\n", 1);
    return r->stop_after && r->events >= r->stop_after;
}

static void rec_free(recorder *r)
{
    free(r->log);
    memset(r, 0, sizeof(*r));
}

static const char *rec_log(const recorder *r)
{
    return r->log ? r->log : "";
}

static oai_status feed_str(oai_sse *sse, const char *s)
{
    return oai_sse_feed(sse, s, strlen(s));
}

/* Decodes @p in fed in pieces of @p piece bytes (0: in one feed) and
 * finishes; returns the log (caller frees) and the final status. */
static char *decode(const char *in, size_t len, size_t piece, oai_status *status)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    oai_status st = OAI_OK;
    size_t off = 0;
    char *log;

    assert_non_null(sse);
    if (piece == 0)
        piece = len ? len : 1;
    while (off < len && st == OAI_OK) {
        size_t n = len - off < piece ? len - off : piece;
        st = oai_sse_feed(sse, in + off, n);
        off += n;
    }
    if (st == OAI_OK)
        st = oai_sse_finish(sse);
    if (status)
        *status = st;
    oai_sse_free(sse);
    log = strdup(rec_log(&r));
    rec_free(&r);
    return log;
}

/* Decodes @p in split into two feeds at @p split. */
static char *decode_split(const char *in, size_t len, size_t split, oai_status *status)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    oai_status st;
    char *log;

    assert_non_null(sse);
    st = oai_sse_feed(sse, in, split);
    if (st == OAI_OK)
        st = oai_sse_feed(sse, in + split, len - split);
    if (st == OAI_OK)
        st = oai_sse_finish(sse);
    *status = st;
    oai_sse_free(sse);
    log = strdup(rec_log(&r));
    rec_free(&r);
    return log;
}

/* Asserts that @p in decodes to @p want (and status OK) fed whole, split at
 * every byte boundary into two feeds, and one byte at a time. */
static void expect_events_n(const char *in, size_t len, const char *want)
{
    oai_status st;
    size_t split;
    char *got = decode(in, len, 0, &st);

    assert_int_equal(st, OAI_OK);
    assert_string_equal(got, want);
    free(got);
    for (split = 0; split <= len; split++) {
        got = decode_split(in, len, split, &st);
        assert_int_equal(st, OAI_OK);
        if (strcmp(got, want) != 0)
            fail_msg("split at %zu: got \"%s\", want \"%s\"", split, got, want);
        free(got);
    }
    got = decode(in, len, 1, &st);
    assert_int_equal(st, OAI_OK);
    assert_string_equal(got, want);
    free(got);
}

static void expect_events(const char *in, const char *want)
{
    expect_events_n(in, strlen(in), want);
}

/* ------------------------------------------------------------------------ */
/* Line ends */

static void test_lf_line_ends(void **state)
{
    (void)state;
    expect_events("data: hello\n\n", "-|hello|-\n");
    expect_events("data: a\n\ndata: b\n\n", "-|a|-\n-|b|-\n");
}

static void test_cr_line_ends(void **state)
{
    (void)state;
    expect_events("data: hello\r\r", "-|hello|-\n");
    expect_events("data: a\rdata: b\r\rdata: c\r\r", "-|a\\nb|-\n-|c|-\n");
}

static void test_crlf_line_ends(void **state)
{
    (void)state;
    expect_events("data: hello\r\n\r\n", "-|hello|-\n");
    expect_events("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n", "-|a\\nb|-\n-|c|-\n");
}

static void test_mixed_line_ends(void **state)
{
    (void)state;
    expect_events("data: a\rdata: b\ndata: c\r\n\n", "-|a\\nb\\nc|-\n");
    /* CR then LF-LF: the LF belongs to the CR, the next LF is the blank line. */
    expect_events("data: a\r\n\ndata: b\n\r\n", "-|a|-\n-|b|-\n");
}

static void test_crlf_split_across_feeds(void **state)
{
    oai_status st;
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);

    (void)state;
    assert_non_null(sse);
    /* If the LF after the CR were taken for a blank line, "a" would be
     * dispatched alone before "b" arrives. */
    assert_int_equal(oai_sse_feed(sse, "data: a\r", 8), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "\n", 1), OAI_OK);
    assert_int_equal(r.events, 0);
    assert_int_equal(oai_sse_feed(sse, "data: b\r", 8), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "\n\r", 2), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "\n", 1), OAI_OK);
    assert_string_equal(rec_log(&r), "-|a\\nb|-\n");
    st = oai_sse_finish(sse);
    assert_int_equal(st, OAI_OK);
    assert_int_equal(r.events, 1);
    oai_sse_free(sse);
    rec_free(&r);
}

/* ------------------------------------------------------------------------ */
/* BOM */

static void test_bom_skipped(void **state)
{
    (void)state;
    expect_events("\xEF\xBB\xBF" "data: x\n\n", "-|x|-\n");
}

static void test_bom_split_across_feeds(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);

    (void)state;
    assert_int_equal(oai_sse_feed(sse, "\xEF", 1), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "\xBB", 1), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "\xBF" "da", 3), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "ta: x\n\n", 7), OAI_OK);
    assert_string_equal(rec_log(&r), "-|x|-\n");
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_bom_only_once(void **state)
{
    (void)state;
    /* A second BOM is part of the first field name, which is unknown. */
    expect_events("\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\ndata: y\n\n", "-|y|-\n");
    /* A BOM in the middle of the stream is data. */
    expect_events("data: a\n\n\xEF\xBB\xBF" "data: b\n\n", "-|a|-\n");
    expect_events("data: \xEF\xBB\xBF\n\n", "-|\xEF\xBB\xBF|-\n");
}

static void test_bom_prefix_that_is_not_a_bom(void **state)
{
    (void)state;
    /* EF BB followed by something else: those bytes are ordinary input. */
    expect_events("\xEF\xBB" "X: 1\ndata: y\n\n", "-|y|-\n");
    expect_events("\xEF" "\n" "data: y\n\n", "-|y|-\n");
    /* A lone partial BOM at end of input is flushed as a (useless) line. */
    expect_events("\xEF\xBB", "");
}

/* ------------------------------------------------------------------------ */
/* Fields */

static void test_comments_ignored(void **state)
{
    (void)state;
    expect_events(": keep-alive\n\n", "");
    expect_events(":\n: OPENROUTER PROCESSING\ndata: x\n: mid\n\n", "-|x|-\n");
    expect_events(":data: not data\n\ndata: y\n\n", "-|y|-\n");
}

static void test_field_split_at_first_colon(void **state)
{
    (void)state;
    expect_events("data: a:b: c\n\n", "-|a:b: c|-\n");
    expect_events("data:x\n\n", "-|x|-\n");
    /* Only one leading space is stripped. */
    expect_events("data:  two\n\n", "-| two|-\n");
    expect_events("data:\tx\n\n", "-|\tx|-\n");
    expect_events("data: x \n\n", "-|x |-\n");
}

static void test_line_without_colon(void **state)
{
    (void)state;
    /* "data" alone is a data line with an empty value. */
    expect_events("data\n\n", "-||-\n");
    expect_events("data\ndata\n\n", "-|\\n|-\n");
    /* "event" alone sets an empty name, which is no name. */
    expect_events("event\ndata: x\n\n", "-|x|-\n");
}

static void test_multiline_data(void **state)
{
    (void)state;
    expect_events("data: a\ndata: b\ndata: c\n\n", "-|a\\nb\\nc|-\n");
    expect_events("data:\ndata:\n\n", "-|\\n|-\n");
    expect_events("data: {\"a\":\ndata: 1}\n\n", "-|{\"a\":\\n1}|-\n");
}

static void test_event_name(void **state)
{
    (void)state;
    expect_events("event: response.created\ndata: {}\n\n", "response.created|{}|-\n");
    /* The name resets after dispatch. */
    expect_events("event: a\ndata: 1\n\ndata: 2\n\n", "a|1|-\n-|2|-\n");
    /* The last event line wins. */
    expect_events("event: a\nevent: b\ndata: 1\n\n", "b|1|-\n");
}

static void test_dispatch_rules(void **state)
{
    (void)state;
    /* A named event without data is dispatched with empty data. */
    expect_events("event: ping\n\n", "ping||-\n");
    /* Blocks with neither data nor a name are not. */
    expect_events("id: 7\n\n", "");
    expect_events("retry: 10\n\n", "");
    expect_events("\n\n\n", "");
    expect_events("foo: bar\n\n", "");
    /* Extra blank lines after an id deliver nothing more. */
    expect_events("id: 1\ndata: a\n\n\n\n", "-|a|1\n");
}

static void test_id_persists(void **state)
{
    (void)state;
    expect_events("id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n",
                  "-|a|1\n-|b|1\n-|c|2\n");
    /* An empty id clears it. */
    expect_events("id: 1\ndata: a\n\nid\ndata: b\n\n", "-|a|1\n-|b|-\n");
    /* The id applies to the event it appears in even after the data. */
    expect_events("data: a\nid: 9\n\n", "-|a|9\n");
}

static void test_id_with_nul_ignored(void **state)
{
    static const char in[] = "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n";
    (void)state;
    expect_events_n(in, sizeof(in) - 1, "-|a|1\n-|b|1\n");
}

static void test_nul_in_data_kept(void **state)
{
    static const char in[] = "data: a\0b\n\n";
    (void)state;
    expect_events_n(in, sizeof(in) - 1, "-|a\\0b|-\n");
}

static void test_retry(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);

    (void)state;
    assert_int_equal(oai_sse_retry_ms(sse), -1);
    assert_int_equal(oai_sse_feed(sse, "retry: 3000\n", 12), OAI_OK);
    assert_int_equal(oai_sse_retry_ms(sse), 3000);
    assert_int_equal(oai_sse_feed(sse, "retry: 30x0\n", 12), OAI_OK);
    assert_int_equal(oai_sse_retry_ms(sse), 3000);
    assert_int_equal(oai_sse_feed(sse, "retry:\n", 7), OAI_OK);
    assert_int_equal(oai_sse_retry_ms(sse), 3000);
    assert_int_equal(oai_sse_feed(sse, "retry: -5\n", 10), OAI_OK);
    assert_int_equal(oai_sse_retry_ms(sse), 3000);
    assert_int_equal(oai_sse_feed(sse, "retry: 1.5\n", 11), OAI_OK);
    assert_int_equal(oai_sse_retry_ms(sse), 3000);
    assert_int_equal(oai_sse_feed(sse, "retry:0\n", 8), OAI_OK);
    assert_int_equal(oai_sse_retry_ms(sse), 0);
    assert_int_equal(feed_str(sse, "retry: 99999999999999999999999\n"), OAI_OK);
    assert_true(oai_sse_retry_ms(sse) == INT64_MAX);
    assert_int_equal(r.events, 0);
    assert_int_equal(oai_sse_retry_ms(NULL), -1);
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_unknown_fields_ignored(void **state)
{
    (void)state;
    expect_events("foo: 1\ndata: x\nbar\n\n", "-|x|-\n");
    /* Field names are case-sensitive. */
    expect_events("Data: x\nDATA: y\ndata: z\n\n", "-|z|-\n");
    expect_events("data : x\n\n", "");
}

static int on_field(void *ud, const char *name, size_t name_len, const char *value, size_t value_len)
{
    recorder *r = ud;
    rec_append(r, "field:", 6);
    rec_append(r, name, name_len);
    rec_append(r, "=", 1);
    rec_append(r, value, value_len);
    rec_append(r, "\n", 1);
    return value_len == 4 && memcmp(value, "stop", 4) == 0;
}

static void test_unknown_field_callback(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    static const char in[] = "error: {\"code\":500}\n\ndata: x\n\nfoo:bar\nerror: stop\n\ndata: y\n\n";

    (void)state;
    oai__sse_set_field_callback(sse, on_field, &r);
    assert_int_equal(oai_sse_feed(sse, in, sizeof(in) - 1), OAI_ERR_CANCELLED);
    assert_string_equal(rec_log(&r), "field:error={\"code\":500}\n-|x|-\nfield:foo=bar\nfield:error=stop\n");
    oai__sse_set_field_callback(NULL, on_field, &r); /* NULL-safe */
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_utf8_split_survives(void **state)
{
    (void)state;
    /* Every split lands inside a multibyte sequence at some point. */
    expect_events("data: 写一首关于春天的诗 🌸\n\n", "-|写一首关于春天的诗 🌸|-\n");
    /* U+2028 is not a line break. */
    expect_events("data: a\xE2\x80\xA8" "b\n\n", "-|a\xE2\x80\xA8" "b|-\n");
}

static void test_every_split_complex_stream(void **state)
{
    (void)state;
    expect_events("\xEF\xBB\xBF: hi\r\nid: 1\r\nevent: e\r\ndata: a\r\ndata:b\r\n\r\n"
                  "retry: 5\rdata: c\r\rid\nevent: ping\n\n: bye\n",
                  "e|a\\nb|1\n-|c|1\nping||-\n");
}

/* ------------------------------------------------------------------------ */
/* finish() */

static void test_finish_flushes_unterminated_event(void **state)
{
    (void)state;
    expect_events("data: x", "-|x|-\n");
    expect_events("data: x\n", "-|x|-\n");
    expect_events("data: x\r", "-|x|-\n");
    expect_events("data: a\n\ndata: b\ndata: c", "-|a|-\n-|b\\nc|-\n");
    expect_events("event: response.completed\ndata: {}", "response.completed|{}|-\n");
    /* A pending comment or id does not make an event. */
    expect_events("data: a\n\n: comment", "-|a|-\n");
    expect_events("id: 3", "");
}

static void test_finish_twice_and_empty(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);

    (void)state;
    assert_int_equal(oai_sse_finish(sse), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "data: x", 7), OAI_OK);
    assert_int_equal(oai_sse_finish(sse), OAI_OK);
    assert_int_equal(oai_sse_finish(sse), OAI_OK);
    assert_int_equal(r.events, 1);
    assert_int_equal(oai_sse_feed(sse, "", 0), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, NULL, 0), OAI_OK);
    oai_sse_free(sse);
    rec_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Limits */

static oai_status feed_pieces(oai_sse *sse, const char *in, size_t len, size_t piece)
{
    oai_status st = OAI_OK;
    size_t off = 0;
    while (off < len && st == OAI_OK) {
        size_t n = len - off < piece ? len - off : piece;
        st = oai_sse_feed(sse, in + off, n);
        off += n;
    }
    return st;
}

static void test_event_size_limit(void **state)
{
    size_t piece;

    (void)state;
    for (piece = 1; piece <= 40; piece++) {
        recorder r = {0};
        oai_sse *sse = oai_sse_new(on_event, &r);
        static const char ok[] = "data: 0123456789\n\n";           /* line of 16 bytes */
        static const char big[] = "data: 0123456789A\n\ndata: z\n\n"; /* 17 bytes */

        assert_int_equal(oai_sse_set_max_event_size(sse, 16), OAI_OK);
        assert_int_equal(feed_pieces(sse, ok, sizeof(ok) - 1, piece), OAI_OK);
        assert_int_equal(r.events, 1);
        assert_int_equal(feed_pieces(sse, big, sizeof(big) - 1, piece), OAI_ERR_PROTOCOL);
        assert_int_equal(r.events, 1);
        /* The decoder now refuses everything with the same status. */
        assert_int_equal(oai_sse_feed(sse, "data: y\n\n", 9), OAI_ERR_PROTOCOL);
        assert_int_equal(oai_sse_finish(sse), OAI_ERR_PROTOCOL);
        assert_int_equal(r.events, 1);
        oai_sse_free(sse);
        rec_free(&r);
    }
}

static void test_event_size_limit_counts_all_lines(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    oai_status st;

    (void)state;
    assert_int_equal(oai_sse_set_max_event_size(sse, 50), OAI_OK);
    /* Many small data lines add up: the fifth line (16 bytes) on top of 43
     * bytes of data passes 50. */
    st = feed_str(sse, "data: 0123456789\ndata: 0123456789\ndata: 0123456789\n"
                       "data: 0123456789\ndata: 0123456789\n\n");
    assert_int_equal(st, OAI_ERR_PROTOCOL);
    assert_int_equal(r.events, 0);
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_event_size_limit_on_unterminated_line(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    char chunk[1000];
    size_t i;
    oai_status st = OAI_OK;

    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    assert_int_equal(oai_sse_set_max_event_size(sse, 10000), OAI_OK);
    /* A line that never ends must not grow memory past the limit. */
    for (i = 0; i < 100 && st == OAI_OK; i++)
        st = oai_sse_feed(sse, chunk, sizeof(chunk));
    assert_int_equal(st, OAI_ERR_PROTOCOL);
    assert_true(i <= 11);
    assert_true(oai__sse_retained_bytes(sse) <= 2 * 10000 + 256);
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_long_comment_not_limited(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    char chunk[1000];
    size_t i;

    (void)state;
    memset(chunk, 'p', sizeof(chunk));
    chunk[0] = ':';
    assert_int_equal(oai_sse_set_max_event_size(sse, 100), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, chunk, sizeof(chunk)), OAI_OK);
    chunk[0] = 'p';
    for (i = 0; i < 100; i++)
        assert_int_equal(oai_sse_feed(sse, chunk, sizeof(chunk)), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "\ndata: x\n\n", 10), OAI_OK);
    assert_string_equal(rec_log(&r), "-|x|-\n");
    /* Comment padding is not kept. */
    assert_true(oai__sse_retained_bytes(sse) < 1024);
    oai_sse_free(sse);
    rec_free(&r);
}

/* A 50 MB event fed one byte at a time: each byte is examined once. */
static void test_linear_time_one_byte_feeds(void **state)
{
    const size_t payload = (size_t)50 * 1000 * 1000;
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    uint64_t fed = 0;
    size_t i;
    char c = 'x';

    (void)state;
    assert_int_equal(oai_sse_set_max_event_size(sse, (size_t)64 * 1024 * 1024), OAI_OK);
    assert_int_equal(oai_sse_feed(sse, "data: ", 6), OAI_OK);
    fed += 6;
    for (i = 0; i < payload; i++) {
        if (oai_sse_feed(sse, &c, 1) != OAI_OK)
            fail_msg("feed failed at byte %zu", i);
    }
    fed += payload;
    assert_int_equal(oai_sse_feed(sse, "\n\n", 2), OAI_OK);
    fed += 2;
    assert_int_equal(r.events, 1);
    assert_int_equal(r.last_data_len, payload);
    assert_true(oai__sse_bytes_scanned(sse) == fed);
    /* The big buffers are given back after the event. */
    assert_true(oai__sse_retained_bytes(sse) < 1024 * 1024);
    oai_sse_free(sse);
    rec_free(&r);
}

/* Many events with lines split at random-ish places: still one scan per byte. */
static void test_linear_time_many_split_lines(void **state)
{
    static const char ev[] = "data: {\"choices\":[{\"delta\":{\"content\":\"abc\"}}]}\r\n\r\n";
    const size_t n = sizeof(ev) - 1;
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    uint64_t fed = 0;
    size_t i;

    (void)state;
    for (i = 0; i < 20000; i++) {
        size_t cut = 1 + i % (n - 1);
        assert_int_equal(oai_sse_feed(sse, ev, cut), OAI_OK);
        assert_int_equal(oai_sse_feed(sse, ev + cut, n - cut), OAI_OK);
        fed += n;
    }
    assert_int_equal(r.events, 20000);
    assert_true(oai__sse_bytes_scanned(sse) == fed);
    assert_int_equal(oai__sse_bytes_scanned(NULL), 0);
    oai_sse_free(sse);
    rec_free(&r);
}

/* ------------------------------------------------------------------------ */
/* The memchr() scanner against a byte-at-a-time reference */

/* A deliberately naive decoder, a byte at a time, for the whole input at
 * once: what the scanner must agree with however the input is cut. */
static char *reference_decode(const char *in, size_t len)
{
    recorder r = {0};
    char *data = malloc(len + 1), *event = malloc(len + 1), *id = malloc(len + 1), *log;
    size_t data_len = 0, event_len = 0, id_len = 0, i = 0, start;
    int has_data = 0, has_id = 0;

    assert_true(data && event && id);
    if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len) {
        const char *line, *colon, *value;
        size_t n, name_len, value_len;
        int ended = 0;

        start = i;
        while (i < len && in[i] != '\r' && in[i] != '\n')
            i++;
        line = in + start;
        n = i - start;
        if (i < len) {
            ended = 1;
            if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
                i++;
            i++;
        }
        (void)ended; /* a last line without its end is a line at finish */
        if (n == 0) {
            if (has_data || event_len) {
                data[data_len] = event[event_len] = id[id_len] = '\0';
                on_event(&r, event_len ? event : NULL, data, data_len, has_id && id_len ? id : NULL);
            }
            data_len = event_len = 0;
            has_data = 0;
            continue;
        }
        if (line[0] == ':')
            continue;
        colon = memchr(line, ':', n);
        name_len = colon ? (size_t)(colon - line) : n;
        value = colon ? colon + 1 : line + n;
        value_len = n - (size_t)(value - line);
        if (value_len && value[0] == ' ') {
            value++;
            value_len--;
        }
        if (name_len == 4 && memcmp(line, "data", 4) == 0) {
            if (has_data)
                data[data_len++] = '\n';
            memcpy(data + data_len, value, value_len);
            data_len += value_len;
            has_data = 1;
        } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
            memcpy(event, value, value_len);
            event_len = value_len;
        } else if (name_len == 2 && memcmp(line, "id", 2) == 0 && !memchr(value, '\0', value_len)) {
            memcpy(id, value, value_len);
            id_len = value_len;
            has_id = 1;
        }
    }
    if (has_data || event_len) {
        data[data_len] = event[event_len] = id[id_len] = '\0';
        on_event(&r, event_len ? event : NULL, data, data_len, has_id && id_len ? id : NULL);
    }
    free(data);
    free(event);
    free(id);
    log = strdup(rec_log(&r));
    rec_free(&r);
    return log;
}

/* Decodes @p in cut at the @p ncuts offsets in @p cuts (ascending). */
static char *decode_cuts(const char *in, size_t len, const size_t *cuts, size_t ncuts)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    size_t off = 0;
    char *log;

    assert_non_null(sse);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        assert_int_equal(oai_sse_feed(sse, in + off, to - off), OAI_OK);
        off = to;
    }
    assert_int_equal(oai_sse_finish(sse), OAI_OK);
    assert_true(oai__sse_bytes_scanned(sse) == len);
    oai_sse_free(sse);
    log = strdup(rec_log(&r));
    rec_free(&r);
    return log;
}

static void test_random_line_ends_and_cuts(void **state)
{
    static const char *const lines[] = {
        "data: x", "data:yy", "data", "event: e", "event:", "id: 7", "id", ": comment", ":",
        "retry: 9", "", "", "fo:o", "data: \xE5\x86\x99 \xF0\x9F\x8C\xB8",
        "data: a long line that crosses the width of any vector the C library's memchr uses, "
        "so that a line end is found in the middle of a block and not only at its start",
    };
    static const char *const ends[] = {"\n", "\r", "\r\n", "\n", "\r\n"};
    unsigned seed = 12345;
    int rounds = getenv("OAI_TEST_MEMCHECK") ? 60 : 600;

    (void)state;
    for (int round = 0; round < rounds; round++) {
        char in[4096];
        size_t len = 0, cuts[16], ncuts;
        char *want, *got;
        int nlines;

        seed = seed * 1103515245u + 12345u;
        if (seed >> 30 == 0) {
            memcpy(in, "\xEF\xBB\xBF", 3);
            len = 3;
        }
        nlines = 1 + (int)((seed >> 8) % 20);
        for (int i = 0; i < nlines; i++) {
            const char *line, *end;
            seed = seed * 1103515245u + 12345u;
            line = lines[(seed >> 8) % (sizeof lines / sizeof *lines)];
            end = ends[(seed >> 20) % (sizeof ends / sizeof *ends)];
            if (len + strlen(line) + 2 >= sizeof in)
                break;
            memcpy(in + len, line, strlen(line));
            len += strlen(line);
            /* Sometimes the last line has no end (finish() ends it). */
            if (i + 1 < nlines || (seed >> 28) != 0) {
                memcpy(in + len, end, strlen(end));
                len += strlen(end);
            }
        }
        want = reference_decode(in, len);
        for (int cutting = 0; cutting < 8; cutting++) {
            seed = seed * 1103515245u + 12345u;
            ncuts = (seed >> 8) % 16;
            for (size_t i = 0; i < ncuts; i++) {
                seed = seed * 1103515245u + 12345u;
                cuts[i] = len ? (seed >> 8) % (len + 1) : 0;
            }
            /* Ascending; a CR right before a cut is the classic case. */
            for (size_t i = 1; i < ncuts; i++) {
                for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
                    size_t t = cuts[j];
                    cuts[j] = cuts[j - 1];
                    cuts[j - 1] = t;
                }
            }
            got = decode_cuts(in, len, cuts, ncuts);
            if (strcmp(got, want) != 0)
                fail_msg("round %d: got \"%s\", want \"%s\"", round, got, want);
            free(got);
        }
        free(want);
    }
}

/* ------------------------------------------------------------------------ */
/* Cancellation and arguments */

static void test_cancel_from_callback(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);
    static const char in[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

    (void)state;
    r.stop_after = 2;
    assert_int_equal(oai_sse_feed(sse, in, sizeof(in) - 1), OAI_ERR_CANCELLED);
    assert_int_equal(r.events, 2);
    assert_int_equal(oai_sse_feed(sse, in, sizeof(in) - 1), OAI_ERR_CANCELLED);
    assert_int_equal(oai_sse_finish(sse), OAI_ERR_CANCELLED);
    assert_int_equal(r.events, 2);
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_cancel_in_finish(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);

    (void)state;
    r.stop_after = 1;
    assert_int_equal(oai_sse_feed(sse, "data: 1", 7), OAI_OK);
    assert_int_equal(oai_sse_finish(sse), OAI_ERR_CANCELLED);
    assert_int_equal(r.events, 1);
    oai_sse_free(sse);
    rec_free(&r);
}

static void test_invalid_arguments(void **state)
{
    recorder r = {0};
    oai_sse *sse = oai_sse_new(on_event, &r);

    (void)state;
    oai_sse *failed = oai_sse_new(NULL, NULL); /* a failed decoder, not NULL */
    assert_non_null(failed);
    assert_int_equal(oai_sse_status(failed), OAI_ERR_INVALID_ARGUMENT);
    assert_string_equal(oai_sse_error_message(failed), "oai_sse_new: NULL event callback");
    assert_int_equal(oai_sse_feed(failed, "data: x\n\n", 9), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_finish(failed), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_set_max_event_size(failed, 10), OAI_ERR_INVALID_ARGUMENT);
    oai_sse_free(failed);
    assert_int_equal(oai_sse_status(sse), OAI_OK);
    assert_null(oai_sse_error_message(sse));
    assert_int_equal(oai_sse_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_feed(NULL, "x", 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_feed(sse, NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_finish(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_set_max_event_size(sse, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_sse_set_max_event_size(NULL, 10), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai__sse_retained_bytes(NULL), 0);
    oai_sse_free(NULL);
    oai_sse_free(sse);
    rec_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lf_line_ends),
        cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_crlf_line_ends),
        cmocka_unit_test(test_mixed_line_ends),
        cmocka_unit_test(test_crlf_split_across_feeds),
        cmocka_unit_test(test_bom_skipped),
        cmocka_unit_test(test_bom_split_across_feeds),
        cmocka_unit_test(test_bom_only_once),
        cmocka_unit_test(test_bom_prefix_that_is_not_a_bom),
        cmocka_unit_test(test_comments_ignored),
        cmocka_unit_test(test_field_split_at_first_colon),
        cmocka_unit_test(test_line_without_colon),
        cmocka_unit_test(test_multiline_data),
        cmocka_unit_test(test_event_name),
        cmocka_unit_test(test_dispatch_rules),
        cmocka_unit_test(test_id_persists),
        cmocka_unit_test(test_id_with_nul_ignored),
        cmocka_unit_test(test_nul_in_data_kept),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_unknown_field_callback),
        cmocka_unit_test(test_utf8_split_survives),
        cmocka_unit_test(test_every_split_complex_stream),
        cmocka_unit_test(test_random_line_ends_and_cuts),
        cmocka_unit_test(test_finish_flushes_unterminated_event),
        cmocka_unit_test(test_finish_twice_and_empty),
        cmocka_unit_test(test_event_size_limit),
        cmocka_unit_test(test_event_size_limit_counts_all_lines),
        cmocka_unit_test(test_event_size_limit_on_unterminated_line),
        cmocka_unit_test(test_long_comment_not_limited),
        cmocka_unit_test(test_linear_time_one_byte_feeds),
        cmocka_unit_test(test_linear_time_many_split_lines),
        cmocka_unit_test(test_cancel_from_callback),
        cmocka_unit_test(test_cancel_in_finish),
        cmocka_unit_test(test_invalid_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
