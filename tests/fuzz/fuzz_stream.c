/* libFuzzer target for the SSE decoder and the stream accumulator.
 *
 * Input layout:
 *   byte 0  kind = 1 + (b % 3) (chat, completions, responses);
 *           bit 0x10: accumulation off; bit 0x20: tight limits
 *           (2 choices, 2 tool calls, 256-byte events)
 *   byte 1  feed size: the rest is fed in pieces of this many bytes
 *           (0: one feed)
 *   rest    the event-stream bytes
 *
 * The stream is replayed twice, in pieces and in one feed, and the two runs
 * must agree. Invariants: no crash or sanitizer report, the stream is done
 * after finish(), an error status has a message, the result and the error
 * serialise to JSON that parses back, and feeding after the end changes
 * nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "oai.h"
#include "stream/stream_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond))                                                                              \
            abort();                                                                              \
    } while (0)

typedef struct run {
    oai_status status;
    char *result;
    char *text;
    size_t events;
} run;

/* Reads n bytes, so the sanitizers check they are in bounds. */
static void touch(const char *p, size_t n)
{
    volatile unsigned sum = 0;
    size_t i;

    for (i = 0; i < n; i++)
        sum += (unsigned char)p[i];
    (void)sum;
}

/* Reads every accessor of every event, so the sanitizers see them used. */
static int on_event(void *userdata, const oai_event *ev)
{
    size_t *events = userdata;
    const char *text = oai_event_text(ev);
    const char *data = oai_event_data(ev);
    char *json = oai_value_json_dup(oai_event_json(ev));
    int type = oai_event_type_of(ev);

    CHECK(type >= OAI_EVENT_TEXT && type <= OAI_EVENT_OTHER);
    if (text)
        touch(text, oai_event_text_len(ev));
    if (data) {
        touch(data, oai_event_data_len(ev));
        CHECK(data[oai_event_data_len(ev)] == '\0');
    }
    if (type == OAI_EVENT_ERROR)
        CHECK(oai_event_error_status(ev) != OAI_OK && text != NULL);
    else
        CHECK(oai_event_error_status(ev) == OAI_OK);
    CHECK(oai_event_tool_index(ev) >= -1);
    (void)oai_event_tool_id(ev);
    (void)oai_event_tool_name(ev);
    (void)oai_event_name(ev);
    (void)oai_event_choice_index(ev);
    (void)oai_event_get_string(ev, "/id");
    (void)oai_event_get_int(ev, "/created");
    free(json);
    (*events)++;
    return 0;
}

/* Serialises a value and checks the text parses back. */
static char *dump_checked(const oai_value *v)
{
    size_t len = 0;
    char *text;
    oai_value *back;

    if (!v)
        return NULL;
    text = oai__json_dump(v, &len);
    CHECK(text != NULL);
    back = oai__json_parse(text, len, NULL);
    CHECK(back != NULL);
    oai__json_decref(back);
    return text;
}

static void check_finished(oai_stream *s, oai_status status)
{
    const oai_value *err = oai_stream_error(s);
    char *err_text = dump_checked(err);

    CHECK(oai_stream_is_done(s));
    CHECK(oai_stream_status(s) == status);
    if (status == OAI_OK)
        CHECK(oai_stream_error_message(s) == NULL && err == NULL);
    else
        CHECK(oai_stream_error_message(s) != NULL);
    if (err)
        CHECK(oai_value_count(err) == 4 && oai_value_get_string(err, "/message") != NULL);
    free(err_text);
    /* After the end, input changes nothing. */
    CHECK(oai_stream_feed(s, "data: {}\n\n", 10) == status);
    CHECK(oai_stream_finish(s) == status);
}

static void replay(const uint8_t *data, size_t size, int kind, int flags, size_t piece, run *out)
{
    oai_stream *s;
    oai_status st = OAI_OK;
    size_t off = 0;
    const char *text;

    memset(out, 0, sizeof(*out));
    s = oai_stream_new(kind, on_event, &out->events);
    if (!s)
        abort();
    if (flags & 0x10)
        CHECK(oai_stream_set_accumulate(s, 0) == OAI_OK);
    if (flags & 0x20) {
        CHECK(oai_stream_set_limits(s, 2, 2) == OAI_OK);
        CHECK(oai__stream_set_max_event_size(s, 256) == OAI_OK);
    }
    if (piece == 0)
        piece = size ? size : 1;
    while (off < size && st == OAI_OK) {
        size_t n = size - off < piece ? size - off : piece;
        st = oai_stream_feed(s, (const char *)data + off, n);
        off += n;
    }
    st = oai_stream_finish(s);
    check_finished(s, st);
    out->status = st;
    out->result = dump_checked(oai_stream_result(s));
    text = oai_stream_text(s);
    out->text = text ? strdup(text) : NULL;
    if (oai__stream_retained_bytes(s) > 4 * size + 64 * 1024 && (flags & 0x10))
        abort(); /* accumulation off must not hold more than the input */
    oai_stream_free(s);
}

static int same_text(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int kind, flags;
    size_t piece;
    run pieces, whole;

    if (size < 2)
        return 0;
    kind = 1 + data[0] % 3;
    flags = data[0] & 0x30;
    piece = data[1];
    replay(data + 2, size - 2, kind, flags, piece, &pieces);
    replay(data + 2, size - 2, kind, flags, 0, &whole);
    CHECK(pieces.status == whole.status);
    CHECK(pieces.events == whole.events);
    CHECK(same_text(pieces.result, whole.result));
    CHECK(same_text(pieces.text, whole.text));
    free(pieces.result);
    free(pieces.text);
    free(whole.result);
    free(whole.text);
    return 0;
}
