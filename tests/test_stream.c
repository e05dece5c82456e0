/* Tests of the stream accumulator (src/stream.c): golden transcripts in the
 * shapes real servers send, replayed whole, split at every byte boundary and
 * one byte at a time; and unit tests of accumulation, endings, errors,
 * limits, cancellation and flat memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oai.h"
#include "stream/chunk_scan.h"
#include "stream/stream_internal.h"

#ifndef OAI_SOURCE_DIR
#define OAI_SOURCE_DIR "."
#endif

/* ------------------------------------------------------------------------ */
/* A growable string */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s ? s : "(null)", strlen(s ? s : "(null)"));
}

#if defined(__GNUC__) || defined(__clang__)
static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

static void sb_fmt(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    sb_add(b, tmp, (size_t)n);
}

static char *sb_take(sbuf *b)
{
    char *p = b->p ? b->p : strdup("");
    memset(b, 0, sizeof(*b));
    return p;
}

static char *dup_or_null(const char *s)
{
    return strdup(s ? s : "(null)");
}

static char *json_text(const oai_value *v)
{
    char *s = oai_value_json_dup(v);
    char *out = dup_or_null(s);
    oai_free(s);
    return out;
}

/* ------------------------------------------------------------------------ */
/* An event recorder */

static char type_letter(int type)
{
    switch (type) {
    case OAI_EVENT_TEXT: return 'T';
    case OAI_EVENT_REFUSAL: return 'F';
    case OAI_EVENT_REASONING: return 'R';
    case OAI_EVENT_TOOL_CALL: return 'C';
    case OAI_EVENT_USAGE: return 'U';
    case OAI_EVENT_DONE: return 'D';
    case OAI_EVENT_ERROR: return 'E';
    case OAI_EVENT_OTHER: return 'O';
    default: return '?';
    }
}

typedef struct recorder {
    sbuf log;   /* one line per event, every field */
    sbuf json;  /* one line per event: its JSON (so lazy JSON is compared) */
    sbuf types; /* one letter per event */
    int count;
    int cancel_at; /* cancel on this event (1-based), 0: never */
} recorder;

static int record(void *ud, const oai_event *ev)
{
    recorder *r = ud;
    const char *text = oai_event_text(ev);
    char letter = type_letter(oai_event_type_of(ev));

    char *json = json_text(oai_event_json(ev));

    r->count++;
    sb_add(&r->types, &letter, 1);
    sb_fmt(&r->log, "%c c=%d t=%d st=%d json=%d dlen=%zu id=", letter, oai_event_choice_index(ev),
           oai_event_tool_index(ev), (int)oai_event_error_status(ev), oai_event_json(ev) != NULL,
           oai_event_data_len(ev));
    sb_str(&r->json, json);
    sb_str(&r->json, "\n");
    free(json);
    sb_str(&r->log, oai_event_tool_id(ev));
    sb_str(&r->log, " name=");
    sb_str(&r->log, oai_event_tool_name(ev));
    sb_str(&r->log, " ev=");
    sb_str(&r->log, oai_event_name(ev));
    sb_str(&r->log, " text=");
    if (text)
        sb_add(&r->log, text, oai_event_text_len(ev));
    else
        sb_str(&r->log, NULL);
    sb_str(&r->log, "\n");
    if (oai_event_data(ev))
        assert_int_equal(oai_event_data(ev)[oai_event_data_len(ev)], '\0');
    return r->cancel_at && r->count >= r->cancel_at;
}

static void rec_free(recorder *r)
{
    free(r->log.p);
    free(r->json.p);
    free(r->types.p);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------ */
/* Replaying a byte stream */

typedef struct outcome {
    char *log, *json, *types, *result, *text, *error, *message;
    oai_status status;
    int done;
} outcome;

static void outcome_free(outcome *o)
{
    free(o->log);
    free(o->json);
    free(o->types);
    free(o->result);
    free(o->text);
    free(o->error);
    free(o->message);
    memset(o, 0, sizeof(*o));
}

static void outcome_take(outcome *o, oai_stream *s, recorder *r, oai_status st)
{
    o->status = st;
    o->done = oai_stream_is_done(s);
    o->log = sb_take(&r->log);
    o->json = sb_take(&r->json);
    o->types = sb_take(&r->types);
    o->result = json_text(oai_stream_result(s));
    o->text = dup_or_null(oai_stream_text(s));
    o->error = json_text(oai_stream_error(s));
    o->message = dup_or_null(oai_stream_error_message(s));
    assert_int_equal(oai_stream_status(s), st);
}

/* Whether the streams the replays make use the fast path (chunk_scan.c). */
static int fast_path = 1;

/* Feeds @p len bytes in two feeds split at @p split (piece 0), or in
 * pieces of @p piece bytes, then finishes. */
static void replay(const char *in, size_t len, int kind, size_t split, size_t piece, outcome *o)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(kind, record, &r);
    oai_status st = OAI_OK;
    size_t off = 0;

    assert_non_null(s);
    assert_int_equal(oai__stream_set_fast_path(s, fast_path), OAI_OK);
    if (piece == 0) {
        st = oai_stream_feed(s, in, split);
        if (st == OAI_OK)
            st = oai_stream_feed(s, in + split, len - split);
    } else {
        while (off < len && st == OAI_OK) {
            size_t n = len - off < piece ? len - off : piece;
            st = oai_stream_feed(s, in + off, n);
            off += n;
        }
    }
    if (st == OAI_OK)
        st = oai_stream_finish(s);
    else
        assert_int_equal(oai_stream_finish(s), st);
    outcome_take(o, s, &r, st);
    oai_stream_free(s);
    rec_free(&r);
}

static void assert_same_outcome(const outcome *want, const outcome *got, const char *what, size_t at)
{
    if (want->status != got->status || want->done != got->done || strcmp(want->log, got->log) != 0 ||
        strcmp(want->json, got->json) != 0 ||
        strcmp(want->result, got->result) != 0 || strcmp(want->text, got->text) != 0 ||
        strcmp(want->error, got->error) != 0 || strcmp(want->message, got->message) != 0)
        fail_msg("%s %zu differs from one feed:\n--- one feed (status %d)\n%s%s\n--- here (status %d)\n%s%s",
                 what, at, want->status, want->log, want->result, got->status, got->log, got->result);
}

static char *read_file(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    char *buf;
    long n;

    snprintf(path, sizeof(path), "%s/tests/transcripts/%s", OAI_SOURCE_DIR, name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Golden transcripts */

typedef struct transcript {
    const char *file;
    int kind;
    oai_status status;
    const char *types;     /* the event types, one letter each */
    const char *text;      /* oai_stream_text() */
    const char *message;   /* oai_stream_error_message() */
    const char *checks[16]; /* "pointer=json" on the result; "!pointer=json" on the error */
} transcript;

static void check_value(const oai_value *root, const char *check, const char *file)
{
    const char *eq = strchr(check, '=');
    char pointer[256];
    char *got;

    assert_non_null(eq);
    assert_true((size_t)(eq - check) < sizeof(pointer));
    memcpy(pointer, check, (size_t)(eq - check));
    pointer[eq - check] = '\0';
    got = json_text(oai_value_get(root, pointer));
    if (strcmp(got, eq + 1) != 0)
        fail_msg("%s: %s is %s, want %s", file, pointer, got, eq + 1);
    free(got);
}

/* One feed: check the table's expectations on the live stream. */
static void check_transcript(const transcript *t, const char *in, size_t len, outcome *o)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(t->kind, record, &r);
    oai_status st;
    size_t i;

    assert_int_equal(oai__stream_set_fast_path(s, fast_path), OAI_OK);
    st = oai_stream_feed(s, in, len);
    if (st == OAI_OK)
        st = oai_stream_finish(s);
    if (st != t->status)
        fail_msg("%s: status %s (%s), want %s", t->file, oai_status_name(st),
                 oai_stream_error_message(s) ? oai_stream_error_message(s) : "", oai_status_name(t->status));
    assert_true(oai_stream_is_done(s));
    if (strcmp(r.types.p ? r.types.p : "", t->types) != 0)
        fail_msg("%s: events %s, want %s\n%s", t->file, r.types.p, t->types, r.log.p);
    if (t->text)
        assert_string_equal(oai_stream_text(s), t->text);
    else
        assert_null(oai_stream_text(s));
    if (t->message)
        assert_string_equal(oai_stream_error_message(s), t->message);
    else
        assert_null(oai_stream_error_message(s));
    for (i = 0; t->checks[i]; i++) {
        if (t->checks[i][0] == '!')
            check_value(oai_stream_error(s), t->checks[i] + 1, t->file);
        else
            check_value(oai_stream_result(s), t->checks[i], t->file);
    }
    outcome_take(o, s, &r, st);
    oai_stream_free(s);
    rec_free(&r);
}

/* Every split point is replayed, except under valgrind (some fifty times
 * slower), where every 7th is: that still puts splits at every kind of
 * place within lines and events, and keeps the suite within its timeout.
 * OAI_TEST_SPLIT_STRIDE overrides. */
static size_t split_stride(void)
{
    const char *env = getenv("OAI_TEST_SPLIT_STRIDE");
    const char *preload = getenv("LD_PRELOAD");

    if (env && atoi(env) > 0)
        return (size_t)atoi(env);
    if (preload && strstr(preload, "vgpreload"))
        return 7;
    return 1;
}

/* The table's expectations hold with and without the fast path, and every
 * split with the fast path gives exactly what one feed gives without it
 * (every event with its JSON, the result, the text, the error). */
static void run_transcript(const transcript *t)
{
    size_t len, split, stride = split_stride();
    char *in = read_file(t->file, &len);
    outcome whole, got;

    fast_path = 0;
    check_transcript(t, in, len, &whole);
    fast_path = 1;
    check_transcript(t, in, len, &got);
    assert_same_outcome(&whole, &got, "the fast path, one feed", 0);
    outcome_free(&got);
    for (split = 0; split <= len; split += stride) {
        replay(in, len, t->kind, split, 0, &got);
        assert_same_outcome(&whole, &got, "split at", split);
        outcome_free(&got);
    }
    replay(in, len, t->kind, 0, 1, &got);
    assert_same_outcome(&whole, &got, "one byte at a time, piece", 1);
    outcome_free(&got);
    outcome_free(&whole);
    free(in);
}

static const transcript openai_chat_text = {
    "openai_chat_text.sse", OAI_STREAM_CHAT, OAI_OK, "OTTTTTTTTOD",
    "Spring breeze, 春风拂面 🌸 — café.", NULL,
    {"/id=\"chatcmpl-BkR2xq4Vd8sNpW7eZt3Yc9LmQa1Fh\"", "/object=\"chat.completion\"",
     "/created=1750167241", "/model=\"gpt-4o-mini-2024-07-18\"",
     "/system_fingerprint=\"fp_34a54ae93c\"",
     "/choices/0={\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Spring breeze, 春风拂面 🌸 — café.\"},\"finish_reason\":\"stop\"}",
     "/usage=null", "/obfuscation=(null)", NULL}};

static const transcript openai_chat_tools = {
    "openai_chat_tools_parallel.sse", OAI_STREAM_CHAT, OAI_OK, "CCCCCCCCCOD", NULL, NULL,
    {"/choices/0/message/content=null", "/choices/0/finish_reason=\"tool_calls\"",
     "/choices/0/message/tool_calls/0={\"id\":\"call_Vx3kP8qL2mN7\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\": \\\"Paris, France\\\"}\"}}",
     "/choices/0/message/tool_calls/1={\"id\":\"call_Hq9sR4tW1zY6\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"location\\\": \\\"東京, 日本\\\"}\"}}",
     "/choices/0/message/tool_calls/2=(null)", NULL}};

static const transcript openai_chat_usage = {
    "openai_chat_usage.sse", OAI_STREAM_CHAT, OAI_OK, "OTTTTTTTOUD", "Hello! How can I help?", NULL,
    {"/usage/total_tokens=26", "/usage/prompt_tokens=19", "/system_fingerprint=\"fp_62a23a81ef\"",
     "/choices/0/logprobs/content/0/token=\"Hello\"", "/choices/0/logprobs/content/6/token=\"?\"",
     "/choices/0/logprobs/content/7=(null)", "/choices/0/logprobs/refusal=null",
     "/choices/1=(null)", NULL}};

static const transcript openai_responses = {
    "openai_responses.sse", OAI_STREAM_RESPONSES, OAI_OK, "OOOOTTTTTTOOOOCCCCCCOOUD",
    "I'll check the weather in Paris for you.", NULL,
    {"/object=\"response\"", "/status=\"completed\"", "/usage/total_tokens=88",
     "/output/1/call_id=\"call_Zt7yU2iO9pQw\"", "/output/1/arguments=\"{\\\"location\\\":\\\"Paris, France\\\"}\"",
     NULL}};

static const transcript llamacpp_old_error = {
    "llamacpp_error_old.sse", OAI_STREAM_CHAT, OAI_ERR_SERVER, "OTTTE", "Once upon a",
    "Input prompt is too big compared to KV size. Please try increasing KV size.",
    {"/choices/0/message/content=\"Once upon a\"", "/choices/0/finish_reason=null",
     "!/code=500", "!/type=\"server_error\"", "!/param=null",
     "!/message=\"Input prompt is too big compared to KV size. Please try increasing KV size.\"", NULL}};

static const transcript llamacpp_new_error = {
    "llamacpp_error_new.sse", OAI_STREAM_CHAT, OAI_ERR_SERVER, "OTTE", "Sure, here",
    "failed to decode the batch, n_batch = 2048, ret = -3",
    {"/model=\"gpt-oss-20b\"", "!/code=500", "!/type=\"server_error\"", NULL}};

static const transcript llamacpp_reasoning = {
    "llamacpp_reasoning.sse", OAI_STREAM_CHAT, OAI_OK, "ORRRRRTTTUD", "Hi! 👋 How can I help?", NULL,
    {"/choices/0/message={\"role\":\"assistant\",\"content\":\"Hi! 👋 How can I help?\",\"reasoning_content\":\"The user greets me. Reply briefly.\"}",
     "/usage/total_tokens=27", "/system_fingerprint=\"b5851-a3c4e2f1\"", "/timings=(null)", NULL}};

static const transcript vllm_chat = {
    "vllm_chat.sse", OAI_STREAM_CHAT, OAI_OK, "OOTTTTTTOTOUD", "Red roses bloom", NULL,
    {"/choices/0/message/content=\"Red roses bloom\"", "/choices/0/finish_reason=\"stop\"",
     "/choices/1/message/content=\"Blue skies above.\"", "/choices/1/finish_reason=\"length\"",
     "/choices/1/index=1", "/usage/completion_tokens=8", "/system_fingerprint=null", NULL}};

static const transcript vllm_flat_error = {
    "vllm_error_flat.sse", OAI_STREAM_CHAT, OAI_ERR_BAD_REQUEST, "OTE", "The",
    "This model's maximum context length is 32768 tokens. However, you requested 33012 tokens "
    "(1012 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.",
    {"!/type=\"BadRequestError\"", "!/code=400", "!/param=null", "/choices/0/message/content=\"The\"", NULL}};

static const transcript ollama_tools = {
    "ollama_tools.sse", OAI_STREAM_CHAT, OAI_OK, "CCOD", "", NULL,
    {"/choices/0/message/tool_calls/0/id=\"call_4z9ubw2k\"",
     "/choices/0/message/tool_calls/0/function/arguments=\"{\\\"format\\\":\\\"celsius\\\",\\\"location\\\":\\\"Paris, FR\\\"}\"",
     "/choices/0/message/tool_calls/1/id=\"call_h1x7vq3m\"",
     "/choices/0/message/tool_calls/1/function/name=\"get_current_weather\"",
     "/choices/0/message/tool_calls/2=(null)", "/choices/0/finish_reason=\"tool_calls\"", NULL}};

static const transcript azure_filter = {
    "azure_filter.sse", OAI_STREAM_CHAT, OAI_OK, "OOTTTTTOOD", "Hello! I'm here to help.", NULL,
    {"/id=\"chatcmpl-AqZ7mN3bV9cX1zL5kJ8hG2fD4sA6\"", "/model=\"gpt-4o-2024-11-20\"", "/created=1735689600",
     "/choices/0/finish_reason=\"stop\"", "/choices/1=(null)", "/prompt_filter_results=(null)", NULL}};

static const transcript openai_completions = {
    "openai_completions.sse", OAI_STREAM_COMPLETION, OAI_OK, "TTTTTTD", "\n\nThis is a test.", NULL,
    {"/object=\"text_completion\"",
     "/choices/0={\"index\":0,\"text\":\"\\n\\nThis is a test.\",\"finish_reason\":\"length\",\"logprobs\":null}",
     "/model=\"gpt-3.5-turbo-instruct:20230824-v2\"", "/usage=null", NULL}};

static const transcript openrouter_crlf = {
    "openrouter_reasoning_crlf.sse", OAI_STREAM_CHAT, OAI_OK, "RRTUD", "4", NULL,
    {"/choices/0/message/reasoning_content=\"Two plus two is four.\"", "/usage/total_tokens=21", NULL}};

static void test_transcript_openai_chat_text(void **state) { (void)state; run_transcript(&openai_chat_text); }
static void test_transcript_openai_chat_tools(void **state) { (void)state; run_transcript(&openai_chat_tools); }
static void test_transcript_openai_chat_usage(void **state) { (void)state; run_transcript(&openai_chat_usage); }
static void test_transcript_openai_responses(void **state) { (void)state; run_transcript(&openai_responses); }
static void test_transcript_llamacpp_old_error(void **state) { (void)state; run_transcript(&llamacpp_old_error); }
static void test_transcript_llamacpp_new_error(void **state) { (void)state; run_transcript(&llamacpp_new_error); }
static void test_transcript_llamacpp_reasoning(void **state) { (void)state; run_transcript(&llamacpp_reasoning); }
static void test_transcript_vllm_chat(void **state) { (void)state; run_transcript(&vllm_chat); }
static void test_transcript_vllm_flat_error(void **state) { (void)state; run_transcript(&vllm_flat_error); }
static void test_transcript_ollama_tools(void **state) { (void)state; run_transcript(&ollama_tools); }
static void test_transcript_azure_filter(void **state) { (void)state; run_transcript(&azure_filter); }
static void test_transcript_openai_completions(void **state) { (void)state; run_transcript(&openai_completions); }
static void test_transcript_openrouter_crlf(void **state) { (void)state; run_transcript(&openrouter_crlf); }

/* ------------------------------------------------------------------------ */
/* Helpers for the unit tests */

static oai_status feed_str(oai_stream *s, const char *bytes)
{
    return oai_stream_feed(s, bytes, strlen(bytes));
}

static oai_status feed_json(oai_stream *s, const char *event, const char *json)
{
    return oai_stream_feed_event(s, event, json, strlen(json));
}

static void assert_result(const oai_stream *s, const char *pointer, const char *want)
{
    char *got = json_text(oai_value_get(oai_stream_result(s), pointer));
    if (strcmp(got, want) != 0)
        fail_msg("%s is %s, want %s", pointer, got, want);
    free(got);
}

static void assert_error_field(const oai_stream *s, const char *pointer, const char *want)
{
    char *got = json_text(oai_value_get(oai_stream_error(s), pointer));
    if (strcmp(got, want) != 0)
        fail_msg("error %s is %s, want %s", pointer, got, want);
    free(got);
}

#define CHUNK(choices) "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":" choices "}"

/* ------------------------------------------------------------------------ */
/* Chat accumulation */

static void test_tool_call_merge(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
                                              "\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                                              "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]")), OAI_OK);
    /* Fragments for two calls interleaved; a resent id or name is not appended. */
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_2\","
                                              "\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"b\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
                                              "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
                                              "\"function\":{\"arguments\":\"\\\":2}\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]")), OAI_OK);
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_result(s, "/choices/0/message/tool_calls",
                  "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}},"
                  "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{\\\"b\\\":2}\"}}]");
    assert_result(s, "/choices/0/message/content", "null");
    assert_string_equal(r.types.p, "CCCCOD");
    assert_non_null(strstr(r.log.p, "C c=0 t=1 st=0 json=1 dlen="));
    assert_non_null(strstr(r.log.p, "id=call_2 name=g ev=(null) text={\"b\n"));
    assert_non_null(strstr(r.log.p, "id=(null) name=(null) ev=(null) text=\":2}\n"));
    oai_stream_free(s);
    rec_free(&r);
}

static void test_tool_call_without_index(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    /* Ollama: whole calls, no index. A bare fragment continues the last call;
     * a fragment repeating a known id goes to that call; -1 means "none". */
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"}\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":-1,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":\"[\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"arguments\":\" \"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"b\",\"function\":{\"arguments\":\"]\"}}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"h\",\"arguments\":{\"x\":1}}}]}}]")), OAI_OK);
    assert_result(s, "/choices/0/message/tool_calls/0/function/arguments", "\"{} \"");
    assert_result(s, "/choices/0/message/tool_calls/1/function/arguments", "\"[]\"");
    assert_result(s, "/choices/0/message/tool_calls/1/id", "\"b\"");
    /* Arguments sent as a JSON object are taken as their JSON text. */
    assert_result(s, "/choices/0/message/tool_calls/2/function", "{\"name\":\"h\",\"arguments\":\"{\\\"x\\\":1}\"}");
    assert_result(s, "/choices/0/message/tool_calls/2/id", "\"\"");
    assert_non_null(strstr(r.log.p, "C c=0 t=2 st=0 json=1"));
    oai_stream_free(s);
    rec_free(&r);
}

static void test_content_refusal_reasoning(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"refusal\":null}}]")), OAI_OK);
    /* No text yet, and neither a refusal nor tool calls: "" (as in the
     * result's content), not NULL. */
    assert_string_equal(oai_stream_text(s), "");
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"reasoning\":\"think\"}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"reasoning_content\":\"ing\",\"reasoning\":\"ing\"}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"refusal\":\"I can't\"}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"refusal\":\" help.\"}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"\"}}]")), OAI_OK);
    assert_string_equal(oai_stream_text(s), "");
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]")), OAI_OK);
    assert_int_equal(feed_str(s, "data: [DONE]\n\n"), OAI_OK);
    assert_result(s, "/choices/0/message",
                  "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":\"I can't help.\",\"reasoning_content\":\"thinking\"}");
    assert_string_equal(r.types.p, "ORRFFOOD");
    oai_stream_free(s);
    rec_free(&r);
}

static void test_usage_and_fingerprint(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_null(oai_stream_result(s));
    assert_int_equal(feed_json(s, NULL, "{\"id\":\"x\",\"system_fingerprint\":\"fp_1\",\"choices\":[],\"usage\":{\"total_tokens\":5}}"), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{\"id\":\"x\",\"system_fingerprint\":\"fp_2\",\"choices\":[],\"usage\":null}"), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{\"id\":\"y\",\"system_fingerprint\":null,\"choices\":[]}"), OAI_OK);
    assert_result(s, "/usage", "{\"total_tokens\":5}");
    assert_result(s, "/system_fingerprint", "\"fp_2\"");
    assert_result(s, "/id", "\"x\"");
    assert_result(s, "/choices", "[]");
    oai_stream_free(s);
}

static void test_logprobs_appended(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"},\"logprobs\":{\"content\":[{\"token\":\"a\"}],\"refusal\":null}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"b\"},\"logprobs\":null}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"refusal\":\"c\"},\"logprobs\":{\"content\":null,\"refusal\":[{\"token\":\"c\"}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"d\"},\"logprobs\":{\"content\":[{\"token\":\"d\"}]}}]")), OAI_OK);
    assert_result(s, "/choices/0/logprobs", "{\"content\":[{\"token\":\"a\"},{\"token\":\"d\"}],\"refusal\":[{\"token\":\"c\"}]}");
    oai_stream_free(s);
}

static void test_completions_logprobs(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_COMPLETION, NULL, NULL);

    (void)state;
    assert_int_equal(feed_json(s, NULL, "{\"id\":\"cmpl\",\"choices\":[{\"text\":\"a\",\"index\":0,\"logprobs\":{\"tokens\":[\"a\"],\"token_logprobs\":[-1],\"top_logprobs\":null,\"text_offset\":[0]},\"finish_reason\":null}]}"), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{\"id\":\"cmpl\",\"choices\":[{\"text\":\"b\",\"index\":0,\"logprobs\":{\"tokens\":[\"b\"],\"token_logprobs\":[-2],\"top_logprobs\":null,\"text_offset\":[1]},\"finish_reason\":\"stop\"}]}"), OAI_OK);
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_result(s, "/choices/0", "{\"index\":0,\"text\":\"ab\",\"finish_reason\":\"stop\",\"logprobs\":"
                                   "{\"tokens\":[\"a\",\"b\"],\"token_logprobs\":[-1,-2],\"top_logprobs\":null,\"text_offset\":[0,1]}}");
    assert_string_equal(oai_stream_text(s), "ab");
    oai_stream_free(s);
}

static void test_choice_without_index_uses_position(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"delta\":{\"content\":\"a\"}},{\"delta\":{\"content\":\"b\"}}]")), OAI_OK);
    assert_result(s, "/choices/1/message/content", "\"b\"");
    assert_result(s, "/choices/1/index", "1");
    oai_stream_free(s);
}

static void test_result_mid_stream_and_text_pointer(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    const oai_value *first;

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]")), OAI_OK);
    first = oai_stream_result(s);
    assert_non_null(first);
    /* No change: the cached result is returned as is. */
    assert_ptr_equal(oai_stream_result(s), first);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"b\"}}]")), OAI_OK);
    assert_result(s, "/choices/0/message/content", "\"ab\"");
    assert_string_equal(oai_stream_text(s), "ab");
    oai_stream_free(s);
}

/* ------------------------------------------------------------------------ */
/* Endings */

static void test_truncated_chat_stream(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"par\"}}]") "\n\n"), OAI_OK);
    assert_false(oai_stream_is_done(s));
    assert_int_equal(oai_stream_finish(s), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_stream_error_message(s), "the stream ended before completion");
    assert_true(oai_stream_is_done(s));
    assert_null(oai_stream_error(s));
    /* What arrived stays readable. */
    assert_string_equal(oai_stream_text(s), "par");
    assert_result(s, "/choices/0/finish_reason", "null");
    assert_string_equal(r.types.p, "T");
    /* Further input is refused with the same status. */
    assert_int_equal(feed_str(s, "data: [DONE]\n\n"), OAI_ERR_PROTOCOL);
    assert_int_equal(oai_stream_finish(s), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
    rec_free(&r);
}

static void test_truncated_when_one_choice_unfinished(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":1,\"delta\":{\"content\":\"b\"}}]")), OAI_OK);
    assert_int_equal(oai_stream_finish(s), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
}

static void test_empty_streams_are_truncated(void **state)
{
    int kinds[] = {OAI_STREAM_CHAT, OAI_STREAM_COMPLETION, OAI_STREAM_RESPONSES};
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        oai_stream *s = oai_stream_new(kinds[i], NULL, NULL);
        assert_int_equal(feed_str(s, ": keep-alive\n\n"), OAI_OK);
        assert_int_equal(oai_stream_finish(s), OAI_ERR_PROTOCOL);
        assert_null(oai_stream_result(s));
        oai_stream_free(s);
    }
}

static void test_finish_reason_without_done_is_complete(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]")), OAI_OK);
    /* The last event had no blank line: finish() delivers it. */
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_true(oai_stream_is_done(s));
    assert_string_equal(r.types.p, "TD");
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_string_equal(r.types.p, "TD");
    oai_stream_free(s);
    rec_free(&r);
}

static void test_done_stops_parsing(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"x\"}}]") "\n\n"
                                 "data: [DONE]\n\ndata: {not json\n\ndata: " CHUNK("[]") "\n\n"), OAI_OK);
    assert_true(oai_stream_is_done(s));
    assert_string_equal(r.types.p, "TD");
    assert_non_null(strstr(r.log.p, "D c=0 t=-1 st=0 json=0 dlen=6 id=(null) name=(null) ev=(null) text=(null)\n"));
    assert_int_equal(feed_str(s, "data: {still not json\n\n"), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{bad"), OAI_OK);
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_string_equal(r.types.p, "TD");
    assert_null(oai_stream_error_message(s));
    oai_stream_free(s);
    rec_free(&r);
}

static void test_done_with_trailing_data_is_an_error(void **state)
{
    static const char *const inputs[] = {
        "data: [DONE]x\n\n",
        "data: [DONE]\ndata: {\"choices\":[]}\n\n",
        "data: [DONE] \n\n",
    };
    size_t i;

    (void)state;
    for (i = 0; i < 3; i++) {
        oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
        assert_int_equal(feed_str(s, inputs[i]), OAI_ERR_PROTOCOL);
        assert_string_equal(oai_stream_error_message(s), "the stream sent data after [DONE]");
        assert_true(oai_stream_is_done(s));
        oai_stream_free(s);
    }
}

static void test_done_sentinel_wins_over_error_event(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_str(s, "event: error\ndata: [DONE]\n\n"), OAI_OK);
    assert_true(oai_stream_is_done(s));
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    oai_stream_free(s);
}

static void test_keepalives_skipped(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_str(s, ": ping\n\ndata:\n\nevent: ping\n\ndata: \n\ndata:  \t\ndata:\n\n"), OAI_OK);
    assert_int_equal(r.count, 0);
    assert_int_equal(oai_stream_feed_event(s, "ping", "", 0), OAI_OK);
    assert_int_equal(oai_stream_feed_event(s, NULL, NULL, 0), OAI_OK);
    assert_int_equal(r.count, 0);
    assert_false(oai_stream_is_done(s));
    oai_stream_free(s);
    rec_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Malformed data */

static void test_non_json_message_hides_payload(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    assert_int_equal(feed_str(s, "data: {\"api_key\": \"sk-SECRET-123\", oops\n\n"), OAI_ERR_PROTOCOL);
    assert_non_null(oai_stream_error_message(s));
    assert_null(strstr(oai_stream_error_message(s), "SECRET"));
    assert_null(strstr(oai_stream_error_message(s), "api_key"));
    assert_string_equal(oai_stream_error_message(s), "a stream event's data is not valid JSON");
    assert_int_equal(r.count, 0);
    assert_null(oai_stream_error(s));
    oai_stream_free(s);
    rec_free(&r);
}

static void test_non_object_json_is_protocol_error(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_str(s, "data: [1,2]\n\n"), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
    s = oai_stream_new(OAI_STREAM_RESPONSES, NULL, NULL);
    assert_int_equal(feed_json(s, NULL, "\"text\""), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
}

static void test_event_size_limit(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(oai__stream_set_max_event_size(s, 32), OAI_OK);
    assert_int_equal(feed_str(s, "data: {\"choices\":[],\"padding\":\"0123456789\"}\n\n"), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_stream_error_message(s), "a stream event exceeds the size limit");
    assert_int_equal(oai__stream_set_max_event_size(NULL, 32), OAI_ERR_INVALID_ARGUMENT);
    oai_stream_free(s);
}

static void test_choice_and_tool_limits(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(oai_stream_set_limits(s, 2, 2), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"a\"}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":2,\"id\":\"b\"}]}}]")), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_stream_error_message(s), "too many tool calls in one choice of the stream");
    oai_stream_free(s);

    s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    assert_int_equal(oai_stream_set_limits(s, 2, 2), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":2,\"delta\":{\"content\":\"x\"}}]")), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_stream_error_message(s), "too many choices in the stream");
    oai_stream_free(s);

    /* Index-less tool calls count against the limit too. */
    s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    assert_int_equal(oai_stream_set_limits(s, 1, 2), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"delta\":{\"tool_calls\":[{\"id\":\"a\"},{\"id\":\"b\"}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"delta\":{\"tool_calls\":[{\"id\":\"c\"}]}}]")), OAI_ERR_PROTOCOL);
    oai_stream_free(s);

    /* The defaults are 128 each. */
    s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":127,\"delta\":{\"tool_calls\":[{\"index\":127}]}}]")), OAI_OK);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":128,\"delta\":{}}]")), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
    s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":128}]}}]")), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
    s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":-1,\"delta\":{}}]")), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
    s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":99999999999,\"delta\":{}}]")), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
}

/* ------------------------------------------------------------------------ */
/* Server errors, in every shape */

typedef struct error_case {
    int kind;
    const char *bytes;
    oai_status status;
    const char *message;
    const char *type;  /* JSON text of error.type */
    const char *code;  /* JSON text of error.code */
    const char *param; /* JSON text of error.param */
} error_case;

static const error_case error_cases[] = {
    /* OpenAI nested error, string code */
    {OAI_STREAM_CHAT, "data: {\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}\n\n",
     OAI_ERR_API, "Rate limit reached", "\"requests\"", "\"rate_limit_exceeded\"", "null"},
    /* llama.cpp nested error, numeric HTTP-like code */
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":503,\"message\":\"Loading model\",\"type\":\"unavailable_error\"}}\n\n",
     OAI_ERR_SERVER, "Loading model", "\"unavailable_error\"", "503", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":429,\"message\":\"slow down\"}}\n\n",
     OAI_ERR_RATE_LIMIT, "slow down", "null", "429", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":401,\"message\":\"m\"}}\n\n", OAI_ERR_AUTHENTICATION, "m", "null", "401", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":403,\"message\":\"m\"}}\n\n", OAI_ERR_PERMISSION_DENIED, "m", "null", "403", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":404,\"message\":\"m\"}}\n\n", OAI_ERR_NOT_FOUND, "m", "null", "404", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":409,\"message\":\"m\"}}\n\n", OAI_ERR_CONFLICT, "m", "null", "409", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":422,\"message\":\"m\"}}\n\n", OAI_ERR_UNPROCESSABLE, "m", "null", "422", "null"},
    /* Not HTTP-like: the generic class */
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":450,\"message\":\"m\"}}\n\n", OAI_ERR_API, "m", "null", "450", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":600,\"message\":\"m\"}}\n\n", OAI_ERR_API, "m", "null", "600", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":\"500\",\"message\":\"m\"}}\n\n", OAI_ERR_API, "m", "null", "\"500\"", "null"},
    /* vLLM flat body */
    {OAI_STREAM_CHAT, "data: {\"object\":\"error\",\"message\":\"bad\",\"type\":\"BadRequestError\",\"param\":\"temperature\",\"code\":400}\n\n",
     OAI_ERR_BAD_REQUEST, "bad", "\"BadRequestError\"", "400", "\"temperature\""},
    /* Responses `event: error`, flat */
    {OAI_STREAM_RESPONSES, "event: error\ndata: {\"type\":\"error\",\"code\":\"ERR_SOMETHING\",\"message\":\"Something went wrong\",\"param\":null,\"sequence_number\":1}\n\n",
     OAI_ERR_API, "Something went wrong", "null", "\"ERR_SOMETHING\"", "null"},
    /* ...the same without the event line */
    {OAI_STREAM_RESPONSES, "data: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"oops\",\"param\":null}\n\n",
     OAI_ERR_API, "oops", "null", "\"server_error\"", "null"},
    /* ...and nested under an `error` event */
    {OAI_STREAM_RESPONSES, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"code\":\"x\",\"message\":\"nested\",\"param\":\"input\"}}\n\n",
     OAI_ERR_API, "nested", "\"invalid_request_error\"", "\"x\"", "\"input\""},
    /* A chat stream with an `error` event name */
    {OAI_STREAM_CHAT, "event: error\ndata: {\"message\":\"named\",\"code\":500}\n\n", OAI_ERR_SERVER, "named", "null", "500", "null"},
    /* An error event without JSON: the payload is not echoed */
    {OAI_STREAM_CHAT, "event: error\ndata: Internal Server Error\n\n", OAI_ERR_API,
     "the server sent an error event without a JSON body", "null", "null", "null"},
    /* An error that is only a string, or has no message */
    {OAI_STREAM_CHAT, "data: {\"error\":\"overloaded\"}\n\n", OAI_ERR_API, "overloaded", "null", "null", "null"},
    {OAI_STREAM_CHAT, "data: {\"error\":{\"code\":502}}\n\n", OAI_ERR_SERVER, "the server streamed an error", "null", "502", "null"},
    /* Old llama.cpp `error:` line */
    {OAI_STREAM_CHAT, "error: {\"code\":500,\"message\":\"KV cache full\",\"type\":\"server_error\"}\n\n",
     OAI_ERR_SERVER, "KV cache full", "\"server_error\"", "500", "null"},
    {OAI_STREAM_CHAT, "error: something broke\n\n", OAI_ERR_API, "the server sent an error line", "null", "null", "null"},
    /* Responses response.failed */
    {OAI_STREAM_RESPONSES, "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"failed\","
                           "\"error\":{\"code\":\"server_error\",\"message\":\"The model failed\"},\"output\":[]}}\n\n",
     OAI_ERR_API, "The model failed", "null", "\"server_error\"", "null"},
    {OAI_STREAM_RESPONSES, "data: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":null}}\n\n",
     OAI_ERR_API, "the response failed", "null", "null", "null"},
};

static void test_error_shapes(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const error_case *e = &error_cases[i];
        recorder r = {0};
        oai_stream *s = oai_stream_new(e->kind, record, &r);
        oai_status st;

        st = feed_str(s, e->bytes);
        if (st != e->status)
            fail_msg("case %zu: status %s, want %s", i, oai_status_name(st), oai_status_name(e->status));
        assert_true(oai_stream_is_done(s));
        assert_int_equal(oai_stream_finish(s), e->status);
        assert_string_equal(oai_stream_error_message(s), e->message);
        oai_stream_free(s);
        rec_free(&r);
    }
}

static void test_error_event_delivered_first(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const error_case *e = &error_cases[i];
        recorder r = {0};
        oai_stream *s = oai_stream_new(e->kind, record, &r);
        char want[512];

        feed_str(s, e->bytes);
        assert_string_equal(r.types.p, "E");
        snprintf(want, sizeof(want), "E c=0 t=-1 st=%d ", (int)e->status);
        if (strncmp(r.log.p, want, strlen(want)) != 0)
            fail_msg("case %zu: event %s, want prefix %s", i, r.log.p, want);
        snprintf(want, sizeof(want), " text=%s\n", e->message);
        assert_non_null(strstr(r.log.p, want));
        oai_stream_free(s);
        rec_free(&r);
    }
}

static void test_error_object_normalised(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const error_case *e = &error_cases[i];
        oai_stream *s = oai_stream_new(e->kind, NULL, NULL);
        char msg[512];

        feed_str(s, e->bytes);
        assert_int_equal(oai_value_count(oai_stream_error(s)), 4);
        snprintf(msg, sizeof(msg), "\"%s\"", e->message);
        assert_error_field(s, "/message", msg);
        assert_error_field(s, "/type", e->type);
        assert_error_field(s, "/code", e->code);
        assert_error_field(s, "/param", e->param);
        oai_stream_free(s);
    }
}

static void test_error_after_content_keeps_result(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"part\"}}]") "\n\n"
                                 "data: {\"error\":{\"message\":\"boom\",\"code\":500}}\n\n"
                                 "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"more\"}}]") "\n\n"),
                     OAI_ERR_SERVER);
    assert_string_equal(oai_stream_text(s), "part");
    assert_result(s, "/choices/0/message/content", "\"part\"");
    assert_int_equal(feed_str(s, "data: [DONE]\n\n"), OAI_ERR_SERVER);
    oai_stream_free(s);
}

/* An own SSE decoder drops llama.cpp's `error:` line: the stream then ends
 * truncated, which is still an error. */
static void test_old_error_line_through_own_decoder(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(feed_json(s, NULL, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]")), OAI_OK);
    assert_int_equal(oai_stream_finish(s), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
}

/* ------------------------------------------------------------------------ */
/* Responses */

static void test_responses_text_mid_stream(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_RESPONSES, record, &r);

    (void)state;
    assert_null(oai_stream_result(s));
    assert_int_equal(feed_str(s, "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"output\":[]}}\n\n"), OAI_OK);
    assert_null(oai_stream_text(s));
    assert_result(s, "/status", "\"in_progress\"");
    /* The type comes from the data when there is no event line. */
    assert_int_equal(feed_str(s, "data: {\"type\":\"response.output_text.delta\",\"output_index\":2,\"delta\":\"Hel\"}\n\n"), OAI_OK);
    assert_int_equal(feed_str(s, "event: response.output_text.delta\ndata: {\"output_index\":2,\"delta\":\"lo\"}\n\n"), OAI_OK);
    assert_string_equal(oai_stream_text(s), "Hello");
    assert_int_equal(feed_str(s, "event: response.refusal.delta\ndata: {\"output_index\":3,\"delta\":\"no\"}\n\n"), OAI_OK);
    assert_int_equal(feed_str(s, "event: response.reasoning_summary_text.delta\ndata: {\"output_index\":0,\"delta\":\"hmm\"}\n\n"), OAI_OK);
    assert_int_equal(feed_str(s, "event: response.reasoning_text.delta\ndata: {\"output_index\":0,\"delta\":\"...\"}\n\n"), OAI_OK);
    assert_string_equal(oai_stream_text(s), "Hello");
    assert_int_equal(feed_str(s, "event: response.in_progress\ndata: {\"type\":\"response.in_progress\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"n\":2}}\n\n"), OAI_OK);
    assert_result(s, "/n", "2");
    assert_int_equal(oai_stream_finish(s), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_stream_error_message(s), "the stream ended before completion");
    assert_string_equal(r.types.p, "OTTFRRO");
    assert_non_null(strstr(r.log.p, "T c=2 t=-1 st=0 json=1"));
    assert_non_null(strstr(r.log.p, "ev=response.created text=(null)"));
    oai_stream_free(s);
    rec_free(&r);
}

static void test_responses_incomplete_and_usage_event(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_RESPONSES, record, &r);
    static const char completed[] =
        "event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"id\":\"r\",\"status\":\"incomplete\","
        "\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"output\":[{\"type\":\"message\",\"content\":["
        "{\"type\":\"output_text\",\"text\":\"A\"},{\"type\":\"refusal\",\"refusal\":\"x\"},{\"type\":\"output_text\",\"text\":\"B\"}]}],"
        "\"usage\":{\"input_tokens\":1,\"output_tokens\":2,\"total_tokens\":3}}}\n\n";

    (void)state;
    assert_int_equal(feed_str(s, "event: response.output_text.delta\ndata: {\"output_index\":0,\"delta\":\"A\"}\n\n"), OAI_OK);
    assert_int_equal(feed_str(s, completed), OAI_OK);
    assert_true(oai_stream_is_done(s));
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_string_equal(r.types.p, "TUD");
    /* The final response's text wins over the deltas. */
    assert_string_equal(oai_stream_text(s), "AB");
    assert_result(s, "/incomplete_details/reason", "\"max_output_tokens\"");
    oai_stream_free(s);
    rec_free(&r);
}

static int check_usage_event(void *ud, const oai_event *ev)
{
    int *seen = ud;
    if (oai_event_type_of(ev) == OAI_EVENT_USAGE) {
        assert_int_equal(oai_event_get_int(ev, "/usage/total_tokens"), 3);
        (*seen)++;
    }
    if (oai_event_type_of(ev) == OAI_EVENT_DONE)
        assert_string_equal(oai_event_get_string(ev, "/type"), "response.completed");
    return 0;
}

static void test_responses_usage_pointer(void **state)
{
    int seen = 0;
    oai_stream *s = oai_stream_new(OAI_STREAM_RESPONSES, check_usage_event, &seen);

    (void)state;
    assert_int_equal(feed_json(s, "response.completed", "{\"type\":\"response.completed\",\"response\":{\"usage\":{\"total_tokens\":3}}}"), OAI_OK);
    assert_int_equal(seen, 1);
    oai_stream_free(s);

    seen = 0;
    s = oai_stream_new(OAI_STREAM_CHAT, check_usage_event, &seen);
    assert_int_equal(feed_json(s, NULL, "{\"choices\":[],\"usage\":{\"total_tokens\":3}}"), OAI_OK);
    assert_int_equal(seen, 1);
    oai_stream_free(s);
}

static void test_responses_function_call_carries_id_and_name(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_RESPONSES, record, &r);

    (void)state;
    assert_int_equal(feed_json(s, "response.output_item.added", "{\"output_index\":1,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_1\",\"name\":\"f\"}}"), OAI_OK);
    assert_int_equal(feed_json(s, "response.output_item.added", "{\"output_index\":2,\"item\":{\"type\":\"function_call\",\"id\":\"fc_2\",\"name\":\"g\"}}"), OAI_OK);
    assert_int_equal(feed_json(s, "response.function_call_arguments.delta", "{\"output_index\":1,\"delta\":\"{}\"}"), OAI_OK);
    assert_int_equal(feed_json(s, "response.function_call_arguments.delta", "{\"output_index\":2,\"delta\":\"[\"}"), OAI_OK);
    assert_int_equal(feed_json(s, "response.function_call_arguments.delta", "{\"output_index\":7,\"delta\":\"?\"}"), OAI_OK);
    assert_string_equal(r.types.p, "OOCCC");
    assert_non_null(strstr(r.log.p, "C c=1 t=1 st=0 json=1 dlen=31 id=call_1 name=f ev=response.function_call_arguments.delta text={}\n"));
    assert_non_null(strstr(r.log.p, "C c=2 t=2 st=0 json=1 dlen=30 id=fc_2 name=g ev=response.function_call_arguments.delta text=[\n"));
    assert_non_null(strstr(r.log.p, "C c=7 t=7 st=0 json=1 dlen=30 id=(null) name=(null)"));
    oai_stream_free(s);
    rec_free(&r);

    /* The number of function calls is limited too. */
    s = oai_stream_new(OAI_STREAM_RESPONSES, NULL, NULL);
    assert_int_equal(oai_stream_set_limits(s, 1, 1), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"function_call\"}}"), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"type\":\"function_call\"}}"), OAI_OK);
    assert_int_equal(feed_json(s, NULL, "{\"type\":\"response.output_item.added\",\"output_index\":1,\"item\":{\"type\":\"function_call\"}}"), OAI_ERR_PROTOCOL);
    oai_stream_free(s);
}

static void test_responses_failed_keeps_response(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_RESPONSES, NULL, NULL);

    (void)state;
    assert_int_equal(feed_json(s, "response.failed", "{\"type\":\"response.failed\",\"response\":{\"id\":\"r\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"slow\"}}}"), OAI_ERR_API);
    assert_result(s, "/status", "\"failed\"");
    assert_string_equal(oai_stream_error_message(s), "slow");
    oai_stream_free(s);
}

/* ------------------------------------------------------------------------ */
/* Cancellation, accumulation off, arguments */

static void test_cancel_from_callback(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, record, &r);

    (void)state;
    r.cancel_at = 2;
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "\n\n"
                                 "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"b\"}}]") "\n\n"
                                 "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"c\"}}]") "\n\n"),
                     OAI_ERR_CANCELLED);
    assert_int_equal(r.count, 2);
    assert_true(oai_stream_is_done(s));
    assert_string_equal(oai_stream_error_message(s), "cancelled by the event callback");
    /* What was accumulated stays readable. */
    assert_string_equal(oai_stream_text(s), "ab");
    assert_int_equal(feed_str(s, "data: [DONE]\n\n"), OAI_ERR_CANCELLED);
    assert_int_equal(oai_stream_finish(s), OAI_ERR_CANCELLED);
    assert_int_equal(r.count, 2);
    oai_stream_free(s);
    rec_free(&r);
}

static void test_cancel_on_other_event(void **state)
{
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_RESPONSES, record, &r);

    (void)state;
    r.cancel_at = 1;
    assert_int_equal(feed_json(s, "response.created", "{\"response\":{}}"), OAI_ERR_CANCELLED);
    oai_stream_free(s);
    rec_free(&r);
}

static void test_accumulate_off_keeps_memory_flat(void **state)
{
    static const char chunk[] = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                                "\"delta\":{\"content\":\"0123456789abcdef0123456789abcdef\",\"tool_calls\":"
                                "[{\"index\":0,\"function\":{\"arguments\":\"0123456789\"}}]}}],\"usage\":null}\n\n";
    recorder r = {0};
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, &r);
    size_t fed = 0, max_retained = 0;

    (void)state;
    assert_int_equal(oai_stream_set_accumulate(s, 0), OAI_OK);
    while (fed < (size_t)10 * 1024 * 1024) {
        size_t retained;
        /* Split each chunk so the decoder buffers partial lines too. */
        assert_int_equal(oai_stream_feed(s, chunk, 50), OAI_OK);
        assert_int_equal(oai_stream_feed(s, chunk + 50, sizeof(chunk) - 1 - 50), OAI_OK);
        fed += sizeof(chunk) - 1;
        retained = oai__stream_retained_bytes(s);
        if (retained > max_retained)
            max_retained = retained;
    }
    assert_true(max_retained < 4096);
    assert_null(oai_stream_text(s));
    /* The result is the last chunk. */
    assert_result(s, "/object", "\"chat.completion.chunk\"");
    assert_result(s, "/choices/0/delta/content", "\"0123456789abcdef0123456789abcdef\"");
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]") "\n\n"), OAI_OK);
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_result(s, "/choices/0/finish_reason", "\"stop\"");
    oai_stream_free(s);
    rec_free(&r);
}

static void test_accumulate_on_grows(void **state)
{
    static const char chunk[] = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"0123456789\"}}]}\n\n";
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);
    size_t i;

    (void)state;
    for (i = 0; i < 10000; i++)
        assert_int_equal(oai_stream_feed(s, chunk, sizeof(chunk) - 1), OAI_OK);
    assert_true(oai__stream_retained_bytes(s) >= 100000);
    assert_int_equal(strlen(oai_stream_text(s)), 100000);
    oai_stream_free(s);
}

static void test_arguments_and_null_safety(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    for (int kind = 0; kind <= 4; kind += 4) { /* a failed stream, not NULL */
        oai_stream *failed = oai_stream_new(kind, NULL, NULL);
        assert_non_null(failed);
        assert_int_equal(oai_stream_status(failed), OAI_ERR_INVALID_ARGUMENT);
        assert_non_null(strstr(oai_stream_error_message(failed), "oai_stream_new: unknown stream kind"));
        assert_int_equal(oai_stream_feed(failed, "data: {}\n\n", 10), OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(oai_stream_feed_event(failed, NULL, "{}", 2), OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(oai_stream_finish(failed), OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(oai_stream_set_limits(failed, 1, 1), OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(oai_stream_set_max_bytes(failed, 1), OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(oai_stream_set_accumulate(failed, 0), OAI_ERR_INVALID_ARGUMENT);
        assert_int_equal(oai_stream_is_done(failed), 1);
        assert_null(oai_stream_result(failed));
        oai_stream_free(failed);
    }
    assert_int_equal(oai_stream_feed(NULL, "x", 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_feed(s, NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_feed_event(NULL, NULL, "x", 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_feed_event(s, NULL, NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_finish(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_set_limits(NULL, 1, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_set_limits(s, 0, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_set_limits(s, 1, -1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_set_accumulate(NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_set_accumulate(s, 1), OAI_OK);
    assert_int_equal(oai_stream_feed(s, "", 0), OAI_OK);
    /* Too late once input was fed. */
    assert_int_equal(oai_stream_set_accumulate(s, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_stream_status(s), OAI_OK);
    assert_int_equal(oai_stream_is_done(NULL), 0);
    assert_null(oai_stream_result(NULL));
    assert_null(oai_stream_text(NULL));
    assert_null(oai_stream_error(NULL));
    assert_null(oai_stream_error_message(NULL));
    assert_null(oai_stream_error_message(s));
    assert_int_equal(oai__stream_retained_bytes(NULL), 0);
    oai_stream_free(NULL);
    oai_stream_free(s);

    assert_int_equal(oai_event_type_of(NULL), 0);
    assert_null(oai_event_text(NULL));
    assert_int_equal(oai_event_text_len(NULL), 0);
    assert_int_equal(oai_event_choice_index(NULL), 0);
    assert_int_equal(oai_event_tool_index(NULL), -1);
    assert_null(oai_event_tool_id(NULL));
    assert_null(oai_event_tool_name(NULL));
    assert_null(oai_event_name(NULL));
    assert_null(oai_event_data(NULL));
    assert_int_equal(oai_event_data_len(NULL), 0);
    assert_null(oai_event_json(NULL));
    assert_null(oai_event_get_string(NULL, "/x"));
    assert_int_equal(oai_event_get_int(NULL, "/x"), 0);
    assert_int_equal(oai_event_error_status(NULL), OAI_OK);
}

static int check_event_accessors(void *ud, const oai_event *ev)
{
    int *calls = ud;
    (*calls)++;
    assert_int_equal(oai_event_type_of(ev), OAI_EVENT_TEXT);
    assert_int_equal(oai_event_text_len(ev), 3);
    assert_memory_equal(oai_event_text(ev), "a\0b", 3);
    assert_string_equal(oai_event_name(ev), "chunk");
    assert_int_equal(oai_event_data_len(ev), strlen(oai_event_data(ev)));
    assert_string_equal(oai_event_get_string(ev, "/model"), "m");
    assert_int_equal(oai_event_get_int(ev, "/created"), 1);
    assert_int_equal(oai_event_choice_index(ev), 3);
    assert_int_equal(oai_event_tool_index(ev), -1);
    assert_int_equal(oai_event_error_status(ev), OAI_OK);
    assert_int_equal(oai_value_type_of(oai_event_json(ev)), OAI_VALUE_OBJECT);
    return 0;
}

static void test_event_accessors(void **state)
{
    int calls = 0;
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, check_event_accessors, &calls);

    (void)state;
    assert_int_equal(feed_str(s, "event: chunk\ndata: " CHUNK("[{\"index\":3,\"delta\":{\"content\":\"a\\u0000b\"}}]") "\n\n"), OAI_OK);
    assert_int_equal(calls, 1);
    oai_stream_free(s);
}

/* Turning accumulation off changes memory, never the events: index-less
 * tool-call fragments that repeat an id keep that call's index. */
static void test_accumulate_off_same_events(void **state)
{
    (void)state;
    static const char input[] =
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n"
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"call_1\","
        "\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n"
        "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\","
        "\"logprobs\":{\"content\":[],\"junk\":1}}]}\n\n"
        "data: [DONE]\n\n";
    recorder on = {0}, off = {0};
    oai_stream *a = oai_stream_new(OAI_STREAM_CHAT, record, &on);
    oai_stream *b = oai_stream_new(OAI_STREAM_CHAT, record, &off);
    assert_int_equal(oai_stream_set_accumulate(b, 0), OAI_OK);
    assert_int_equal(oai_stream_feed(a, input, sizeof input - 1), OAI_OK);
    assert_int_equal(oai_stream_feed(b, input, sizeof input - 1), OAI_OK);
    assert_string_equal(on.log.p, off.log.p);
    assert_string_equal(oai_value_get_string(oai_stream_result(a), "/choices/0/message/tool_calls/0/function/arguments"),
                        "{\"a\":1}");
    assert_int_equal(oai_value_get_count(oai_stream_result(a), "/choices/0/message/tool_calls"), 1);
    oai_stream_free(a);
    oai_stream_free(b);
    rec_free(&on);
    rec_free(&off);
}

/* ------------------------------------------------------------------------ */
/* The fast path (chunk_scan.c) and lazy event JSON */

/* Scans @p json as a chunk; 1 when the fast path takes it. The strings in
 * *k live until the next call. */
static int scan_takes(int chat, const char *json, oai__scan_chunk *k)
{
    static char scratch[4096];
    size_t len = strlen(json);

    assert_true(len + OAI__SCAN_SLACK <= sizeof scratch);
    return oai__chunk_scan(json, len, chat, scratch, k);
}

typedef struct scan_case {
    int chat;
    const char *json;
    int taken;
} scan_case;

static void test_fast_path_decisions(void **state)
{
    static const scan_case cases[] = {
        /* the shapes of real servers */
        {1, CHUNK("[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"logprobs\":null,\"finish_reason\":null}]"), 1},
        {1, "{\"choices\":[],\"usage\":null,\"obfuscation\":\"x\",\"timings\":{\"a\":1.5,\"b\":[1,2e3]}}", 1},
        {1, "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":null}}]}}]}", 1},
        {1, " \t\r\n{ \"choices\" : [ ] } \r\n", 1},
        {0, "{\"choices\":[{\"text\":\"x\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}", 1},
        {1, "{\"choices\":[{\"delta\":{\"content\":\"\\n\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\r\\t\"}}]}", 1},
        {1, "{\"error\":null,\"object\":\"chat.completion.chunk\",\"type\":5,\"choices\":[]}", 1},
        {1, "{\"x\":[[[[[[[[[[]]]]]]]]]],\"choices\":[]}", 1},
        {1, "{\"x\":123456789012345678,\"y\":-0,\"z\":1e299,\"w\":0.5E-999,\"v\":-12.5e+3}", 1},
        {1, "{\"unknown\":1,\"unknown\":2}", 1}, /* duplicates the accumulator never reads */
        /* what needs the tree */
        {1, "{\"choices\":[],\"usage\":{\"total_tokens\":3}}", 0},
        {1, "{\"choices\":[{\"index\":0,\"logprobs\":{\"content\":[]}}]}", 0},
        {1, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":{\"a\":1}}}]}}]}", 0},
        {1, "{\"error\":{\"message\":\"m\"}}", 0},
        {1, "{\"error\":\"m\"}", 0},
        {1, "{\"object\":\"error\",\"message\":\"m\"}", 0},
        {1, "{\"type\":\"error\",\"message\":\"m\"}", 0},
        {1, "{\"type\":\"error\\u0000x\"}", 0}, /* "error" as a C string */
        {1, "[]", 0},
        {1, "\"x\"", 0},
        {1, "\xEF\xBB\xBF{}", 0}, /* a byte order mark: the parser's business */
        /* a member it reads, twice */
        {1, "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}", 0},
        {1, "{\"id\":\"a\",\"id\":\"b\"}", 0},
        {1, "{\"choices\":[{\"index\":0,\"index\":1}]}", 0},
        /* keys with escapes */
        {1, "{\"choices\":[{\"delta\":{\"cont\\u0065nt\":\"a\"}}]}", 0},
        {1, "{\"x\":{\"a\\\"b\":1}}", 0},
        /* numbers near the edges */
        {1, "{\"created\":1234567890123456789}", 0},
        {1, "{\"x\":1e301}", 0},
        {1, "{\"x\":1e00001}", 0},
        /* nesting deeper than the fast path walks */
        {1, "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0},
        /* more than it keeps */
        {1, "{\"choices\":[{},{},{},{},{},{},{},{},{}]}", 0},
        {1, "{\"choices\":[{\"delta\":{\"tool_calls\":[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]}}]}", 0},
        /* invalid JSON: the parser reports it */
        {1, "", 0},
        {1, "{", 0},
        {1, "{}x", 0},
        {1, "{\"a\":01}", 0},
        {1, "{\"a\":1.}", 0},
        {1, "{\"a\":[1,]}", 0},
        {1, "{\"a\":1,}", 0},
        {1, "{\"a\":nul}", 0},
        {1, "{\"a\":\"\\x\"}", 0},
        {1, "{\"a\":\"\\ud800\"}", 0},
        {1, "{\"a\":\"\\udc00\"}", 0},
        {1, "{\"a\":\"\xff\"}", 0},
        {1, "{\"a\":\"\xed\xa0\x80\"}", 0},
        {1, "{\"a\":\"\t\"}", 0},
        {1, "{'a':1}", 0},
    };
    oai__scan_chunk k;

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (scan_takes(cases[i].chat, cases[i].json, &k) != cases[i].taken)
            fail_msg("case %zu: %s: the fast path should %s it", i, cases[i].json,
                     cases[i].taken ? "take" : "decline");
        /* Whatever the scanner says, the stream behaves as without it. */
    }
}

static void test_fast_path_extracts(void **state)
{
    oai__scan_chunk k;

    (void)state;
    assert_int_equal(scan_takes(1, "{\"id\":\"i\",\"created\":-7,\"model\":\"m\",\"system_fingerprint\":\"f\","
                                   "\"choices\":[7,{\"index\":2,\"finish_reason\":\"stop\",\"delta\":{\"role\":\"r\","
                                   "\"content\":\"a\\u0000b\",\"reasoning\":\"x\",\"tool_calls\":[{\"index\":1,\"id\":"
                                   "\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"\"}}]}}]}",
                                &k), 1);
    assert_string_equal(k.id.p, "i");
    assert_string_equal(k.model.p, "m");
    assert_string_equal(k.system_fingerprint.p, "f");
    assert_true(k.created.is_int && k.created.value == -7);
    assert_int_equal(k.first_choice_index, 0); /* choices[0] is no object */
    assert_int_equal(k.nchoices, 1);
    assert_int_equal(k.choices[0].position, 1);
    assert_true(k.choices[0].index.is_int && k.choices[0].index.value == 2);
    assert_string_equal(k.choices[0].finish_reason.p, "stop");
    assert_string_equal(k.choices[0].role.p, "r");
    assert_int_equal(k.choices[0].content.len, 3);
    assert_memory_equal(k.choices[0].content.p, "a\0b", 4);
    assert_string_equal(k.choices[0].reasoning.p, "x");
    assert_null(k.choices[0].reasoning_content.p);
    assert_null(k.choices[0].refusal.p);
    assert_int_equal(k.choices[0].ntools, 1);
    assert_true(k.tools[k.choices[0].first_tool].index.is_int);
    assert_string_equal(k.tools[0].id.p, "c");
    assert_string_equal(k.tools[0].type.p, "function");
    assert_string_equal(k.tools[0].name.p, "f");
    assert_string_equal(k.tools[0].arguments.p, "{\"");
    /* A real index is no integer; a string is not read as a number. */
    assert_int_equal(scan_takes(1, "{\"created\":1.0,\"choices\":[{\"index\":\"0\"}]}", &k), 1);
    assert_false(k.created.is_int);
    assert_false(k.choices[0].index.is_int);
}

/* Streams the same input with and without the fast path; every event (with
 * its JSON), the result and the error must agree. Returns the fast path's
 * count of chunks it took and of chunks it left to the parser. */
static void same_both_ways(int kind, int accumulate, const char *input, uint64_t *fast, uint64_t *tree)
{
    recorder r[2];
    outcome o[2];

    memset(r, 0, sizeof r);
    for (int path = 0; path < 2; path++) {
        oai_stream *s = oai_stream_new(kind, record, &r[path]);
        oai_status st;
        assert_int_equal(oai__stream_set_fast_path(s, path), OAI_OK);
        assert_int_equal(oai_stream_set_accumulate(s, accumulate), OAI_OK);
        st = feed_str(s, input);
        if (st == OAI_OK)
            st = oai_stream_finish(s);
        outcome_take(&o[path], s, &r[path], st);
        if (path == 1)
            oai__stream_path_counts(s, fast, tree);
        oai_stream_free(s);
        rec_free(&r[path]);
    }
    assert_same_outcome(&o[0], &o[1], "the fast path", 0);
    outcome_free(&o[0]);
    outcome_free(&o[1]);
}

static void test_fast_path_fallbacks_behave_as_before(void **state)
{
    static const char *const inputs[] = {
        /* the usage chunk and a logprobs chunk need the tree; the rest not */
        "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"logprobs\":{\"content\":[{\"token\":\"b\"}]}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        "data: {\"choices\":[],\"usage\":{\"total_tokens\":3}}\n\ndata: [DONE]\n\n",
        /* duplicates, escapes in keys, an error payload */
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"cont\\u0065nt\":\"c\"}}]}\n\n"
        "data: {\"error\":{\"message\":\"boom\",\"code\":429}}\n\n",
        /* invalid JSON after good chunks: the same error */
        "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud800\"}}]}\n\n",
        /* limits hold on the fast path */
        "data: {\"choices\":[{\"index\":128,\"delta\":{\"content\":\"a\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"a\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":128}]}}]}\n\n",
        /* an unterminated last event, cut off */
        "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "\n\ndata: {\"choices\":[",
    };
    uint64_t fast, tree;

    (void)state;
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        same_both_ways(OAI_STREAM_CHAT, 1, inputs[i], &fast, &tree);
        same_both_ways(OAI_STREAM_CHAT, 0, inputs[i], &fast, &tree);
    }
    same_both_ways(OAI_STREAM_CHAT, 1, inputs[0], &fast, &tree);
    assert_int_equal(fast, 2);
    assert_int_equal(tree, 2);
    same_both_ways(OAI_STREAM_CHAT, 1, inputs[1], &fast, &tree);
    assert_int_equal(fast, 0);
    assert_int_equal(tree, 3);
}

/* The common chunks of every server's transcript take the fast path. */
static void test_fast_path_takes_transcripts(void **state)
{
    static const struct {
        const char *file;
        int kind;
        uint64_t tree; /* the chunks that need the parser */
    } cases[] = {
        {"openai_chat_text.sse", OAI_STREAM_CHAT, 0},
        {"openai_chat_tools_parallel.sse", OAI_STREAM_CHAT, 0},
        {"openai_chat_usage.sse", OAI_STREAM_CHAT, 0}, /* logprobs: see below */
        {"llamacpp_reasoning.sse", OAI_STREAM_CHAT, 1},  /* the usage on the last chunk */
        {"vllm_chat.sse", OAI_STREAM_CHAT, 1}, /* usage */
        {"ollama_tools.sse", OAI_STREAM_CHAT, 0},
        {"azure_filter.sse", OAI_STREAM_CHAT, 0},
        {"openai_completions.sse", OAI_STREAM_COMPLETION, 0},
        {"openrouter_reasoning_crlf.sse", OAI_STREAM_CHAT, 1}, /* usage */
        {"vllm_error_flat.sse", OAI_STREAM_CHAT, 1},           /* the error */
        {"llamacpp_error_new.sse", OAI_STREAM_CHAT, 1},        /* the error */
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *in = read_file(cases[i].file, &len);
        oai_stream *s = oai_stream_new(cases[i].kind, NULL, NULL);
        uint64_t fast = 0, tree = 0;
        oai_stream_feed(s, in, len);
        oai__stream_path_counts(s, &fast, &tree);
        if (strcmp(cases[i].file, "openai_chat_usage.sse") == 0) {
            /* Logprobs objects are merged from the tree; the finish reason's
             * chunk (logprobs null) is the one the fast path takes. */
            assert_int_equal(fast, 1);
        } else {
            if (tree != cases[i].tree || fast == 0)
                fail_msg("%s: %llu chunks took the fast path, %llu the parser (want %llu)", cases[i].file,
                         (unsigned long long)fast, (unsigned long long)tree, (unsigned long long)cases[i].tree);
        }
        oai_stream_free(s);
        free(in);
    }
}

/* Copies of fast-path events (the engine's pull queue) parse their own
 * data, after the chunk is gone, or share the tree built already. */
typedef struct copies {
    oai_event *copy[8];
    size_t bytes[8];
    int n;
    int ask_first; /* read the original's JSON before copying */
} copies;

static int keep_copy(void *ud, const oai_event *ev)
{
    copies *c = ud;
    const oai_value *json = c->ask_first ? oai_event_json(ev) : NULL;

    assert_true(c->n < 8);
    c->copy[c->n] = oai__event_dup(ev, &c->bytes[c->n]);
    assert_non_null(c->copy[c->n]);
    assert_int_equal(c->bytes[c->n], oai__event_size(ev));
    if (json)
        assert_ptr_equal(oai_event_json(c->copy[c->n]), json); /* shared */
    c->n++;
    return 0;
}

static void test_lazy_json_through_copies(void **state)
{
    static const char input[] =
        "data: {\"id\":\"c1\",\"created\":5,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"refusal\":\"r\"}}]}\n\n"
        "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

    (void)state;
    for (int ask_first = 0; ask_first < 2; ask_first++) {
        copies c;
        memset(&c, 0, sizeof c);
        c.ask_first = ask_first;
        oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, keep_copy, &c);
        uint64_t fast = 0;

        assert_int_equal(feed_str(s, input), OAI_OK);
        oai__stream_path_counts(s, &fast, NULL);
        assert_int_equal(fast, 2);
        oai_stream_free(s); /* the copies outlive the stream */
        assert_int_equal(c.n, 3);
        for (int i = 0; i < c.n; i++) {
            /* The size is the same before and after the tree is built. */
            assert_int_equal(oai__event_size(c.copy[i]), c.bytes[i]);
            assert_string_equal(oai_event_get_string(c.copy[i], "/id"), "c1");
            assert_int_equal(oai_event_get_count(c.copy[i], "/choices"), 1);
            assert_int_equal(oai__event_size(c.copy[i]), c.bytes[i]);
            /* A copy of a copy works the same. */
            oai_event *again = oai__event_dup(c.copy[i], NULL);
            assert_non_null(again);
            assert_ptr_equal(oai_event_json(again), oai_event_json(c.copy[i]));
            oai__event_free(again);
        }
        assert_int_equal(oai_event_get_int(c.copy[0], "/created"), 5);
        assert_string_equal(oai_event_text(c.copy[0]), "a");
        assert_string_equal(oai_event_text(c.copy[1]), "r");
        assert_int_equal(oai_event_type_of(c.copy[2]), OAI_EVENT_OTHER);
        assert_string_equal(oai_event_get_string(c.copy[2], "/choices/0/finish_reason"), "stop");
        for (int i = 0; i < c.n; i++)
            oai__event_free(c.copy[i]);
    }
}

/* Accumulation off: a fast-path chunk is kept as text and parsed when the
 * result is read; a chunk of the tree path replaces it. */
static void test_accumulate_off_lazy_last_chunk(void **state)
{
    oai_stream *s = oai_stream_new(OAI_STREAM_CHAT, NULL, NULL);

    (void)state;
    assert_int_equal(oai_stream_set_accumulate(s, 0), OAI_OK);
    assert_null(oai_stream_result(s));
    assert_int_equal(feed_str(s, "data: " CHUNK("[{\"index\":0,\"delta\":{\"content\":\"a\"}}]") "\n\n"), OAI_OK);
    assert_result(s, "/choices/0/delta/content", "\"a\"");
    assert_int_equal(feed_str(s, "data: {\"choices\":[],\"usage\":{\"total_tokens\":3}}\n\n"), OAI_OK);
    assert_result(s, "/usage/total_tokens", "3");
    assert_int_equal(feed_str(s, "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"),
                     OAI_OK);
    assert_int_equal(feed_str(s, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"z\"}}]}\n\n"), OAI_OK);
    assert_result(s, "/choices/0/delta/content", "\"z\"");
    assert_result(s, "/usage", "(null)");
    assert_int_equal(oai_stream_finish(s), OAI_OK);
    assert_result(s, "/choices/0/delta/content", "\"z\"");
    oai_stream_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcript_openai_chat_text),
        cmocka_unit_test(test_accumulate_off_same_events),
        cmocka_unit_test(test_transcript_openai_chat_tools),
        cmocka_unit_test(test_transcript_openai_chat_usage),
        cmocka_unit_test(test_transcript_openai_responses),
        cmocka_unit_test(test_transcript_llamacpp_old_error),
        cmocka_unit_test(test_transcript_llamacpp_new_error),
        cmocka_unit_test(test_transcript_llamacpp_reasoning),
        cmocka_unit_test(test_transcript_vllm_chat),
        cmocka_unit_test(test_transcript_vllm_flat_error),
        cmocka_unit_test(test_transcript_ollama_tools),
        cmocka_unit_test(test_transcript_azure_filter),
        cmocka_unit_test(test_transcript_openai_completions),
        cmocka_unit_test(test_transcript_openrouter_crlf),
        cmocka_unit_test(test_tool_call_merge),
        cmocka_unit_test(test_tool_call_without_index),
        cmocka_unit_test(test_content_refusal_reasoning),
        cmocka_unit_test(test_usage_and_fingerprint),
        cmocka_unit_test(test_logprobs_appended),
        cmocka_unit_test(test_completions_logprobs),
        cmocka_unit_test(test_choice_without_index_uses_position),
        cmocka_unit_test(test_result_mid_stream_and_text_pointer),
        cmocka_unit_test(test_truncated_chat_stream),
        cmocka_unit_test(test_truncated_when_one_choice_unfinished),
        cmocka_unit_test(test_empty_streams_are_truncated),
        cmocka_unit_test(test_finish_reason_without_done_is_complete),
        cmocka_unit_test(test_done_stops_parsing),
        cmocka_unit_test(test_done_with_trailing_data_is_an_error),
        cmocka_unit_test(test_done_sentinel_wins_over_error_event),
        cmocka_unit_test(test_keepalives_skipped),
        cmocka_unit_test(test_non_json_message_hides_payload),
        cmocka_unit_test(test_non_object_json_is_protocol_error),
        cmocka_unit_test(test_event_size_limit),
        cmocka_unit_test(test_choice_and_tool_limits),
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_error_event_delivered_first),
        cmocka_unit_test(test_error_object_normalised),
        cmocka_unit_test(test_error_after_content_keeps_result),
        cmocka_unit_test(test_old_error_line_through_own_decoder),
        cmocka_unit_test(test_responses_text_mid_stream),
        cmocka_unit_test(test_responses_incomplete_and_usage_event),
        cmocka_unit_test(test_responses_usage_pointer),
        cmocka_unit_test(test_responses_function_call_carries_id_and_name),
        cmocka_unit_test(test_responses_failed_keeps_response),
        cmocka_unit_test(test_cancel_from_callback),
        cmocka_unit_test(test_cancel_on_other_event),
        cmocka_unit_test(test_accumulate_off_keeps_memory_flat),
        cmocka_unit_test(test_accumulate_on_grows),
        cmocka_unit_test(test_arguments_and_null_safety),
        cmocka_unit_test(test_event_accessors),
        cmocka_unit_test(test_fast_path_decisions),
        cmocka_unit_test(test_fast_path_extracts),
        cmocka_unit_test(test_fast_path_fallbacks_behave_as_before),
        cmocka_unit_test(test_fast_path_takes_transcripts),
        cmocka_unit_test(test_lazy_json_through_copies),
        cmocka_unit_test(test_accumulate_off_lazy_last_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
