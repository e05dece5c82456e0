/* Streaming through the real transport: the recorded-shape transcripts of
 * tests/transcripts/ are served by the mock server in small HTTP chunks and
 * must give exactly the events and result that feeding them straight into
 * the sans-I/O accumulator gives; plus cancellation, faults mid-stream,
 * timeouts, retries before the first event, and flat memory with
 * accumulation off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "memory_probe.h"
#include "mock_server.h"
#include "oai.h"

typedef struct fixture {
    mock_server *ms;
    oai_client *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    f->c = oai_client_new();
    oai_client_set_base_url(f->c, mock_server_url(f->ms));
    oai_client_set_api_key(f->c, "sk-test");
    oai_client_set_retry_backoff_ms(f->c, 5, 10);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    free(f);
    return 0;
}

/* Events serialised one per line, to compare two runs. */
typedef struct recorder {
    char *log;
    size_t len, cap;
    int count;
    int cancel_after; /* cancel when this many events have arrived (0: never) */
} recorder;

static void rec_append(recorder *r, const char *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        r->cap = (r->len + n + 1) * 2;
        r->log = realloc(r->log, r->cap);
    }
    memcpy(r->log + r->len, s, n);
    r->len += n;
    r->log[r->len] = '\0';
}

static int record_event(void *ud, const oai_event *ev)
{
    recorder *r = ud;
    char head[256];
    const char *id = oai_event_tool_id(ev), *name = oai_event_tool_name(ev), *ename = oai_event_name(ev);
    int n = snprintf(head, sizeof head, "%d|%d|%d|%s|%s|%s|", oai_event_type_of(ev),
                     oai_event_choice_index(ev), oai_event_tool_index(ev), id ? id : "-",
                     name ? name : "-", ename ? ename : "-");
    rec_append(r, head, (size_t)n);
    if (oai_event_text(ev))
        rec_append(r, oai_event_text(ev), oai_event_text_len(ev));
    rec_append(r, "\n", 1);
    r->count++;
    return r->cancel_after && r->count >= r->cancel_after;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int kind_of(const char *name)
{
    if (strstr(name, "completions"))
        return OAI_STREAM_COMPLETION;
    if (strstr(name, "responses"))
        return OAI_STREAM_RESPONSES;
    return OAI_STREAM_CHAT;
}

static oai_request *stream_request(int kind, recorder *rec)
{
    oai_request *req = kind == OAI_STREAM_COMPLETION ? oai_completion_create_request_new("m", "p")
                       : kind == OAI_STREAM_RESPONSES ? oai_response_create_request_new("m", "i")
                                                      : oai_chat_completion_create_request_new("m");
    assert_int_equal(oai_request_set_event_callback(req, record_event, rec), OAI_OK);
    return req;
}

/* Serves `data` in chunks of 1..29 bytes (varying, so every kind of split
 * occurs), 1 ms apart, with Content-Type text/event-stream. */
static void push_chunked(mock_server *ms, const char *data, size_t len, int fault, size_t fault_after,
                         int stall_ms)
{
    size_t cap = len + 1, n = 0;
    char **chunks = calloc(cap, sizeof *chunks);
    for (size_t off = 0, step = 1; off < len; off += step, step = step % 29 + 1) {
        if (off + step > len)
            step = len - off;
        chunks[n++] = strndup(data + off, step);
    }
    mock_reply r = {.status = 200, .content_type = "text/event-stream", .chunks = (const char *const *)chunks,
                    .chunk_count = n, .chunk_delay_ms = 1, .fault = (mock_fault)fault, .fault_after = fault_after,
                    .stall_ms = stall_ms};
    mock_server_push(ms, &r);
    for (size_t i = 0; i < n; i++)
        free(chunks[i]);
    free(chunks);
}

static void test_transcripts_through_transport(void **state)
{
    fixture *f = *state;
    const char *dir = OAI_SOURCE_DIR "/tests/transcripts";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".sse"))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *data = read_file(path, &len);
        int kind = kind_of(e->d_name);

        /* The oracle: the whole transcript fed at once, no transport. */
        recorder direct = {0};
        oai_stream *s = oai_stream_new(kind, record_event, &direct);
        oai_status want = oai_stream_feed(s, data, len);
        if (want == OAI_OK && !oai_stream_is_done(s))
            want = oai_stream_finish(s);
        char *want_json = oai_value_json_dup(oai_stream_result(s));

        recorder wire = {0};
        push_chunked(f->ms, data, len, MOCK_FAULT_NONE, 0, 0);
        oai_request *req = stream_request(kind, &wire);
        oai_request_set_max_retries(req, 0);
        oai_response *res = oai_client_send(f->c, req);
        print_message("%s: %s, %d events\n", e->d_name, oai_status_name(oai_response_status(res)), wire.count);
        assert_int_equal(oai_response_status(res), want);
        assert_string_equal(wire.log ? wire.log : "", direct.log ? direct.log : "");
        char *got_json = oai_value_json_dup(oai_response_json(res));
        if (want_json || got_json)
            assert_string_equal(got_json ? got_json : "(none)", want_json ? want_json : "(none)");
        if (want != OAI_OK)
            assert_non_null(oai_response_error_message(res));
        if (want == OAI_OK && kind != OAI_STREAM_RESPONSES)
            assert_non_null(oai_response_get(res, "/choices"));
        oai_free(got_json);
        oai_free(want_json);
        oai_response_free(res);
        oai_request_free(req);
        oai_stream_free(s);
        free(direct.log);
        free(wire.log);
        free(data);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 8);
}

static void test_default_server_stream(void **state)
{
    fixture *f = *state;
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_chat_request_add_message(req, "user", "hello world");
    oai_request_set_json(req, "/stream_options", "{\"include_usage\":true}");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: hello world");
    assert_true(oai_response_get_int(res, "/usage/total_tokens") > 0);
    assert_string_equal(oai_response_get_string(res, "/choices/0/finish_reason"), "stop");
    assert_non_null(strstr(rec.log, "Echo"));
    const mock_request *mr = mock_server_request(f->ms, 0);
    assert_string_equal(mock_request_header(mr, "accept"), "text/event-stream");
    assert_non_null(strstr(mr->body, "\"stream\":true"));
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

static const char chat_stream[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"}}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

static void test_cancel_from_callback(void **state)
{
    fixture *f = *state;
    mock_reply r = {.status = 200, .content_type = "text/event-stream",
                    .chunks = (const char *const[]){
                        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}\n\n",
                        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" more\"}}]}\n\n"},
                    .chunk_count = 2, .chunk_delay_ms = 50, .fault = MOCK_FAULT_STALL, .fault_after = 2,
                    .stall_ms = 5000};
    mock_server_push(f->ms, &r);
    recorder rec = {.cancel_after = 1};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    assert_int_equal(rec.count, 1);
    assert_int_equal(oai_response_retry_count(res), 0);
    /* What was accumulated before the cancel stays readable. */
    assert_string_equal(oai_response_text(res), "Hello");
    assert_true(oai_response_total_time_us(res) < 4000000);
    oai_response_free(res);
    free(rec.log);
    /* The client keeps working; the aborted connection was not leaked. */
    oai_request_set_event_callback(req, NULL, NULL);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
}

static void test_reset_mid_stream_not_retried(void **state)
{
    fixture *f = *state;
    size_t len = strlen(chat_stream);
    push_chunked(f->ms, chat_stream, len, MOCK_FAULT_RESET, 20, 0);
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_response *res = oai_client_send(f->c, req);
    assert_true(rec.count >= 1);
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    assert_int_equal(oai_response_retry_count(res), 0); /* events were delivered: never retried */
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

static void test_reset_before_first_event_is_retried(void **state)
{
    fixture *f = *state;
    size_t len = strlen(chat_stream);
    push_chunked(f->ms, chat_stream, len, MOCK_FAULT_RESET, 3, 0); /* 3 chunks: no event complete */
    push_chunked(f->ms, chat_stream, len, MOCK_FAULT_NONE, 0, 0);
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    assert_string_equal(oai_response_text(res), "Hello there");
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 1), "x-stainless-retry-count"), "1");
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

static void test_stall_past_idle_timeout(void **state)
{
    fixture *f = *state;
    size_t len = strlen(chat_stream);
    push_chunked(f->ms, chat_stream, len, MOCK_FAULT_STALL, 20, 5000);
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_request_set_idle_timeout_ms(req, 300);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    assert_int_equal(oai_response_retry_count(res), 0);
    assert_true(oai_response_total_time_us(res) < 3000000);
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);

    /* The client-level idle timeout applies too. */
    push_chunked(f->ms, chat_stream, len, MOCK_FAULT_STALL, 20, 5000);
    oai_client_set_idle_timeout_ms(f->c, 300);
    recorder rec2 = {0};
    req = stream_request(OAI_STREAM_CHAT, &rec2);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    oai_response_free(res);
    oai_request_free(req);
    free(rec2.log);
}

static void test_first_byte_timeout_retried(void **state)
{
    fixture *f = *state;
    mock_reply slow = {.status = 200, .body = "{}", .delay_ms = 3000};
    mock_server_push(f->ms, &slow);
    push_chunked(f->ms, chat_stream, strlen(chat_stream), MOCK_FAULT_NONE, 0, 0);
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_client_set_first_byte_timeout_ms(f->c, 300);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    assert_string_equal(oai_response_text(res), "Hello there");
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

static void test_truncated_stream(void **state)
{
    fixture *f = *state;
    /* Two content chunks, then EOF: neither [DONE] nor a finish reason. */
    const char *partial = strstr(chat_stream, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},");
    push_chunked(f->ms, chat_stream, (size_t)(partial - chat_stream), MOCK_FAULT_NONE, 0, 0);
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_request_set_max_retries(req, 0);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_response_text(res), "Hello there");
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

static void test_error_status_and_json_fallback(void **state)
{
    fixture *f = *state;
    /* An error status on a streaming request is an ordinary error, retried. */
    mock_server_push_simple(f->ms, 429, "retry-after-ms: 1\r\n", "{\"error\":{\"message\":\"slow\"}}");
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_chat_request_add_message(req, "user", "abc");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    assert_string_equal(oai_response_text(res), "Echo: abc");
    oai_response_free(res);

    /* A server that ignores "stream" and answers JSON still gives the text. */
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                            "{\"role\":\"assistant\",\"content\":\"plain\"},\"finish_reason\":\"stop\"}]}");
    int before = rec.count;
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "plain");
    assert_int_equal(rec.count, before);
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

static int count_event(void *ud, const oai_event *ev)
{
    size_t *bytes = ud;
    *bytes += oai_event_text_len(ev);
    return 0;
}

/* A 10 MB stream of chat chunks with accumulation off: memory stays flat. */
static void test_long_stream_flat_memory(void **state)
{
    fixture *f = *state;
    enum { CHUNKS = 10000 };
    char text[1001];
    memset(text, 'x', 1000);
    text[1000] = '\0';
    char **chunks = calloc(CHUNKS + 2, sizeof *chunks);
    size_t total = 0;
    for (int i = 0; i < CHUNKS; i++) {
        size_t n = strlen(text) + 128;
        chunks[i] = malloc(n);
        snprintf(chunks[i], n, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", text);
        total += strlen(chunks[i]);
    }
    chunks[CHUNKS] = strdup("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    chunks[CHUNKS + 1] = strdup("data: [DONE]\n\n");
    mock_reply r = {.status = 200, .content_type = "text/event-stream",
                    .chunks = (const char *const *)chunks, .chunk_count = CHUNKS + 2};
    mock_server_push(f->ms, &r);
    for (int i = 0; i < CHUNKS + 2; i++)
        free(chunks[i]);
    free(chunks);
    long before = peak_rss_kb(1);
    size_t text_bytes = 0;
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_request_set_event_callback(req, count_event, &text_bytes);
    oai_request_set_accumulate(req, 0);
    oai_response *res = oai_client_send(f->c, req);
    long after = peak_rss_kb(0);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(text_bytes, (size_t)CHUNKS * 1000);
    print_message("10 MB stream (%zu bytes on the wire), accumulation off: peak RSS grew by %ld KiB\n",
                  total, after - before);
    assert_true(total > 10000000);
    if (memory_bound_checked())
        assert_true(before > 0 && after - before < 2048);
    oai_response_free(res);
    oai_request_free(req);
}


/* ---- issue 7 ------------------------------------------------------------- */

/* `count` chunks whose deltas carry `piece` (a content text or, with
 * `tool`, a tool call's argument fragment), then a finish and [DONE]. */
static void push_big_stream(mock_server *ms, int count, const char *piece, int tool)
{
    char **chunks = calloc((size_t)count + 2, sizeof *chunks);
    for (int i = 0; i < count; i++) {
        size_t n = strlen(piece) + 256;
        chunks[i] = malloc(n);
        if (tool)
            snprintf(chunks[i], n,
                     "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,%s"
                     "\"function\":{%s\"arguments\":\"%s\"}}]}}]}\n\n",
                     i == 0 ? "\"id\":\"call_1\",\"type\":\"function\"," : "", i == 0 ? "\"name\":\"f\"," : "", piece);
        else
            snprintf(chunks[i], n, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n",
                     piece);
    }
    chunks[count] = strdup("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    chunks[count + 1] = strdup("data: [DONE]\n\n");
    mock_reply r = {.status = 200, .content_type = "text/event-stream",
                    .chunks = (const char *const *)chunks, .chunk_count = (size_t)count + 2};
    mock_server_push(ms, &r);
    for (int i = 0; i < count + 2; i++)
        free(chunks[i]);
    free(chunks);
}

/* Item 5: what a stream accumulates counts against the client's
 * max_response_bytes, for content and for tool-call arguments, and memory
 * stays near that limit. */
static void test_accumulation_is_bounded(void **state)
{
    fixture *f = *state;
    enum { CHUNKS = 8000, LIMIT = 1 << 20 };
    char piece[1001];
    memset(piece, 'x', 1000);
    piece[1000] = '\0';
    assert_int_equal(oai_client_set_max_response_bytes(f->c, LIMIT), OAI_OK);
    for (int tool = 0; tool <= 1; tool++) {
        push_big_stream(f->ms, CHUNKS, piece, tool);
        size_t text_bytes = 0;
        oai_request *req = oai_chat_completion_create_request_new("m");
        oai_request_set_event_callback(req, count_event, &text_bytes);
        long before = peak_rss_kb(1);
        oai_response *res = oai_client_send(f->c, req);
        long after = peak_rss_kb(0);
        assert_int_equal(oai_response_status(res), OAI_ERR_TOO_LARGE);
        assert_non_null(strstr(oai_response_error_message(res), "maximum response size"));
        assert_int_equal(oai_response_retry_count(res), 0);
        print_message("8 MB of %s deltas with a 1 MiB limit: peak RSS grew by %ld KiB\n",
                      tool ? "tool-argument" : "content", after - before);
        if (memory_bound_checked())
            assert_true(before > 0 && after - before < 4096);
        oai_response_free(res);
        oai_request_free(req);
    }
    /* Without accumulation nothing grows, and nothing is limited. */
    push_big_stream(f->ms, CHUNKS, piece, 0);
    size_t text_bytes = 0;
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_request_set_event_callback(req, count_event, &text_bytes);
    oai_request_set_accumulate(req, 0);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(text_bytes, (size_t)CHUNKS * 1000);
    oai_response_free(res);
    oai_request_free(req);
}

/* Item 11: after [DONE] the body is read to its end, so the connection is
 * kept: five streamed calls on one client use one connection. */
static void test_streamed_calls_reuse_connection(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++) {
        recorder rec = {0};
        oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
        oai_chat_request_add_message(req, "user", "again");
        oai_response *res = oai_client_send(f->c, req);
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_string_equal(oai_response_text(res), "Echo: again");
        oai_response_free(res);
        oai_request_free(req);
        free(rec.log);
    }
    /* Scripted streams too, with [DONE] in the middle of an HTTP chunk. */
    for (int i = 0; i < 3; i++) {
        push_chunked(f->ms, chat_stream, strlen(chat_stream), MOCK_FAULT_NONE, 0, 0);
        recorder rec = {0};
        oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
        oai_response *res = oai_client_send(f->c, req);
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_string_equal(oai_response_text(res), "Hello there");
        oai_response_free(res);
        oai_request_free(req);
        free(rec.log);
    }
    assert_int_equal(mock_server_request_count(f->ms), 8);
    assert_int_equal(mock_server_connection_count(f->ms), 1);
}

/* Item 15: a stream that stops in the middle of a line says that it ended
 * early, not that its data is not JSON. */
static void test_stream_cut_mid_line(void **state)
{
    fixture *f = *state;
    const char *second = strstr(chat_stream, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"");
    size_t cut = (size_t)(second - chat_stream) + 40; /* inside the JSON */
    push_chunked(f->ms, chat_stream, cut, MOCK_FAULT_NONE, 0, 0);
    recorder rec = {0};
    oai_request *req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_request_set_max_retries(req, 0);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    assert_non_null(strstr(oai_response_error_message(res), "the stream ended before completion"));
    assert_null(strstr(oai_response_error_message(res), "not valid JSON"));
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log);
}

/* Item 17: an answer with reasoning only has the same shape streamed and
 * not: content "", so oai_response_text() is "" both ways. */
static void test_reasoning_only_same_both_ways(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                            "\"content\":\"\",\"reasoning_content\":\"hmm\"},\"finish_reason\":\"length\"}]}");
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_response *plain = oai_client_send(f->c, req);
    oai_request_free(req);
    static const char stream[] =
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n"
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n"
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"m\"}}]}\n\n"
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
        "data: [DONE]\n\n";
    push_chunked(f->ms, stream, strlen(stream), MOCK_FAULT_NONE, 0, 0);
    recorder rec = {0};
    req = stream_request(OAI_STREAM_CHAT, &rec);
    oai_response *streamed = oai_client_send(f->c, req);
    oai_request_free(req);
    free(rec.log);
    oai_response *both[2] = {plain, streamed};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(oai_response_status(both[i]), OAI_OK);
        assert_non_null(oai_response_text(both[i]));
        assert_string_equal(oai_response_text(both[i]), "");
        assert_string_equal(oai_response_get_json_text(both[i], "/choices/0/message/content"), "\"\"");
        assert_string_equal(oai_response_get_string(both[i], "/choices/0/message/reasoning_content"), "hmm");
        oai_response_free(both[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_long_stream_flat_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transcripts_through_transport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_server_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_mid_stream_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_before_first_event_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_past_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_byte_timeout_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_status_and_json_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accumulation_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_calls_reuse_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_cut_mid_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasoning_only_same_both_ways, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
