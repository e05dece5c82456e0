/* The shared scenarios, run through every transport, and the engine
 * behaviour that only a fake clock can test.
 *
 * One table: each scenario scripts the replies (mock_reply, the mock
 * server's own struct), builds a request and states the outcome and what
 * the server must have received. One loop runs each scenario three ways:
 * through the real libcurl transport against the scripted mock server, and
 * through the in-memory transport (tests/support/memory_transport.h) twice,
 * answering from its run callback in whole chunks, and answering inside its
 * start callback one byte at a time. Each run must meet the expectations,
 * and the memory runs must match the real one field by field (status,
 * HTTP status, retries, text, body, error, stream events, and every request
 * as received), so the transports cannot drift apart.
 *
 * Then the memory-only tests: 30 s retry-afters, exponential backoff,
 * 10-minute timeouts and the golden transcripts split at every byte, all
 * in fake time: nothing here sleeps, and no assertion reads a real clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "memory_transport.h"
#include "mock_server.h"
#include "oai.h"
#include "oai/transport.h"

#define API_KEY "sk-test-scenarios"
#define MAX_REPLIES 4
#define MAX_FRAGMENTS 3
#define NEVER INT64_MAX

/* ------------------------------------------------------------------------ */
/* Scripts                                                                   */

#define SSE(json) "data: " json "\n\n"
#define SSE_DONE "data: [DONE]\n\n"
#define CHUNK_HEAD "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
#define ROLE SSE(CHUNK_HEAD "\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}")
#define HELLO SSE(CHUNK_HEAD "\"delta\":{\"content\":\"Hello\"}}]}")
#define THERE SSE(CHUNK_HEAD "\"delta\":{\"content\":\" there\"}}]}")
#define STOP SSE(CHUNK_HEAD "\"delta\":{},\"finish_reason\":\"stop\"}]}")

/* A tool call in three fragments, cut at awkward places across chunks. */
#define TOOL_HEAD "{\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{"
#define TOOL_1 SSE(TOOL_HEAD "\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\"," \
                   "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]}")
#define TOOL_2 SSE(TOOL_HEAD "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}}]}")
#define TOOL_3 SSE(TOOL_HEAD "\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]}")
#define TOOL_END SSE("{\"id\":\"c2\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{}," \
                     "\"finish_reason\":\"tool_calls\"}]}")

#define CHAT_BODY                                                                                                  \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"  \
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hi there\"},\"finish_reason\":\"stop\"}],"                    \
    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}"
#define OK_REPLY {.status = 200, .body = CHAT_BODY}
#define OPENAI_ERROR                                                                                               \
    "{\"error\":{\"message\":\"bad thing\",\"type\":\"invalid_request_error\",\"param\":\"model\","               \
    "\"code\":\"model_not_found\"}}"
#define STREAM_REPLY(...)                                                                                          \
    .status = 200, .content_type = "text/event-stream", .chunks = (const char *const[]){__VA_ARGS__},             \
    .chunk_count = sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), .chunk_delay_ms = 2

#define UPLOAD_BYTES "{\"prompt\":\"p\",\"completion\":\"c\"}\n"

typedef enum request_kind { REQ_CHAT, REQ_CHAT_STREAM, REQ_UPLOAD } request_kind;

/* What the first request must have looked like on arrival. */
typedef struct expected_request {
    const char *method;
    const char *path;
    const char *header;           /* this header ... */
    const char *value;            /* ... has this value (a final '*' matches any rest) */
    const char *body[MAX_FRAGMENTS]; /* fragments the body contains */
} expected_request;

typedef struct scenario {
    const char *name;
    mock_reply replies[MAX_REPLIES]; /* up to the first with status 0 */
    request_kind kind;
    int no_retries;               /* max retries 0 instead of the default 2 */
    int64_t max_response_bytes;   /* 0: the default */
    int64_t first_byte_ms, idle_ms; /* 0: none */
    int cancel_after;             /* the event callback cancels at this event (0: never) */
    /* The outcome. */
    oai_status status;
    int http_status;
    int retries;
    size_t requests;              /* how many requests the server received */
    const char *text;             /* oai_response_text(), or NULL: none */
    const char *pointer, *value;  /* a string in the response's JSON */
    const char *message;          /* in oai_response_error_message() */
    const char *code;             /* oai_response_error_code() */
    const char *events;           /* the stream's events (log_event()), or NULL: none */
    expected_request sent;
} scenario;

#define CHAT_SENT {"POST", "/v1/chat/completions", "authorization", "Bearer " API_KEY, {"\"model\":\"gpt-4o-mini\""}}
#define STREAM_SENT {"POST", "/v1/chat/completions", "accept", "text/event-stream", {"\"stream\":true"}}

static const scenario scenarios[] = {
    {.name = "chat success",
     .replies = {OK_REPLY},
     .status = OAI_OK, .http_status = 200, .requests = 1, .text = "Hi there",
     .pointer = "/object", .value = "chat.completion",
     .sent = {"POST", "/v1/chat/completions", "content-type", "application/json",
              {"\"model\":\"gpt-4o-mini\"", "\"content\":\"hello\"", "\"role\":\"user\""}}},
    {.name = "429 with retry-after-ms, then 200",
     .replies = {{.status = 429, .headers = "retry-after-ms: 20\r\n",
                  .body = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_exceeded\"}}"},
                 OK_REPLY},
     .status = OAI_OK, .http_status = 200, .retries = 1, .requests = 2, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "500, 502, then 200",
     .replies = {{.status = 500, .body = "{\"error\":{\"message\":\"oops\"}}"},
                 {.status = 502, .body = "<html>Bad Gateway</html>", .content_type = "text/html"},
                 OK_REPLY},
     .status = OAI_OK, .http_status = 200, .retries = 2, .requests = 3, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "501 is not retried",
     .replies = {{.status = 501, .body = "{\"error\":{\"message\":\"not here\"}}"}, OK_REPLY},
     .status = OAI_ERR_SERVER, .http_status = 501, .requests = 1, .message = "not here", .sent = CHAT_SENT},
    {.name = "400, OpenAI-style error",
     .replies = {{.status = 400, .headers = "x-request-id: req_scripted\r\n", .body = OPENAI_ERROR}},
     .status = OAI_ERR_BAD_REQUEST, .http_status = 400, .requests = 1, .message = "bad thing",
     .code = "model_not_found", .sent = CHAT_SENT},
    {.name = "401, flat vLLM-style error",
     .replies = {{.status = 401, .body = "{\"object\":\"error\",\"message\":\"invalid key\","
                                         "\"type\":\"AuthenticationError\",\"param\":null,\"code\":401}"}},
     .status = OAI_ERR_AUTHENTICATION, .http_status = 401, .requests = 1, .message = "invalid key", .code = "401",
     .sent = CHAT_SENT},
    {.name = "403, Express-style error",
     .replies = {{.status = 403, .body = "{\"error\":\"Forbidden\",\"message\":\"no access to this model\","
                                         "\"status\":403}"}},
     .status = OAI_ERR_PERMISSION_DENIED, .http_status = 403, .requests = 1, .message = "no access to this model",
     .sent = CHAT_SENT},
    {.name = "404, OpenAI-style error",
     .replies = {{.status = 404, .body = OPENAI_ERROR}},
     .status = OAI_ERR_NOT_FOUND, .http_status = 404, .requests = 1, .message = "bad thing",
     .code = "model_not_found", .sent = CHAT_SENT},
    {.name = "409 with retries off, flat vLLM-style error",
     .replies = {{.status = 409, .body = "{\"object\":\"error\",\"message\":\"conflict\",\"type\":\"ConflictError\","
                                         "\"param\":null,\"code\":409}"},
                 OK_REPLY},
     .no_retries = 1,
     .status = OAI_ERR_CONFLICT, .http_status = 409, .requests = 1, .message = "conflict", .code = "409",
     .sent = CHAT_SENT},
    {.name = "422, Express-style error",
     .replies = {{.status = 422, .body = "{\"error\":\"ValidationError\",\"message\":\"messages must not be empty\"}"}},
     .status = OAI_ERR_UNPROCESSABLE, .http_status = 422, .requests = 1, .message = "messages must not be empty",
     .sent = CHAT_SENT},
    {.name = "429 until the retries are exhausted",
     .replies = {{.status = 429, .headers = "retry-after-ms: 5\r\n", .body = "{\"error\":{\"message\":\"slow 1\"}}"},
                 {.status = 429, .headers = "retry-after-ms: 5\r\n", .body = "{\"error\":{\"message\":\"slow 2\"}}"},
                 {.status = 429, .headers = "retry-after-ms: 5\r\n", .body = "{\"error\":{\"message\":\"slow 3\"}}"},
                 OK_REPLY},
     .status = OAI_ERR_RATE_LIMIT, .http_status = 429, .retries = 2, .requests = 3, .message = "slow 3",
     .sent = CHAT_SENT},
    {.name = "500 with retries off, Express-style error",
     .replies = {{.status = 500, .body = "{\"error\":\"Internal Server Error\",\"message\":\"boom\"}"}, OK_REPLY},
     .no_retries = 1,
     .status = OAI_ERR_SERVER, .http_status = 500, .requests = 1, .message = "boom", .sent = CHAT_SENT},
    {.name = "x-should-retry: true makes a 400 retried",
     .replies = {{.status = 400, .headers = "x-should-retry: true\r\n", .body = OPENAI_ERROR}, OK_REPLY},
     .status = OAI_OK, .http_status = 200, .retries = 1, .requests = 2, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "x-should-retry: false stops a 503",
     .replies = {{.status = 503, .headers = "x-should-retry: false\r\n", .body = "{\"error\":{\"message\":\"busy\"}}"},
                 OK_REPLY},
     .status = OAI_ERR_SERVER, .http_status = 503, .requests = 1, .message = "busy", .sent = CHAT_SENT},
    {.name = "reset before the response is retried",
     .replies = {{.status = 200, .fault = MOCK_FAULT_RESET_BEFORE_RESPONSE}, OK_REPLY},
     .status = OAI_OK, .http_status = 200, .retries = 1, .requests = 2, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "close before the response is retried",
     .replies = {{.status = 200, .fault = MOCK_FAULT_CLOSE_BEFORE_RESPONSE}, OK_REPLY},
     .status = OAI_OK, .http_status = 200, .retries = 1, .requests = 2, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "close mid-body of a plain answer is retried",
     .replies = {{.status = 200, .body = CHAT_BODY, .fault = MOCK_FAULT_CLOSE_MID_BODY, .fault_after = 10},
                 OK_REPLY},
     .status = OAI_OK, .http_status = 200, .retries = 1, .requests = 2, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "reset mid-stream is not retried after events",
     .replies = {{STREAM_REPLY(ROLE, HELLO, THERE, STOP, SSE_DONE), .fault = MOCK_FAULT_RESET, .fault_after = 2},
                 OK_REPLY},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_ERR_CONNECTION, .http_status = 200, .requests = 1, .text = "Hello",
     .events = "o|t:Hello", .sent = STREAM_SENT},
    {.name = "a 2xx that is not JSON is a protocol error",
     .replies = {{.status = 200, .body = "<!doctype html><html>Sign in</html>", .content_type = "text/html"}},
     .status = OAI_ERR_PROTOCOL, .http_status = 200, .requests = 1, .message = "expected JSON, got text/html",
     .sent = CHAT_SENT},
    {.name = "max_response_bytes exceeded",
     .replies = {OK_REPLY},
     .max_response_bytes = 64,
     .status = OAI_ERR_TOO_LARGE, .http_status = 200, .requests = 1,
     .message = "the response body exceeds the client's maximum response size", .sent = CHAT_SENT},
    {.name = "streamed text",
     .replies = {{STREAM_REPLY(ROLE HELLO, THERE, STOP SSE_DONE)}},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_OK, .http_status = 200, .requests = 1, .text = "Hello there",
     .events = "o|t:Hello|t: there|o|done", .sent = STREAM_SENT},
    {.name = "streamed tool-call deltas",
     .replies = {{STREAM_REPLY(TOOL_1, TOOL_2 "data: {\"id\":\"c2\",\"obj", "ect\":\"chat.completion.chunk\","
                               "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
                               "{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]}\n", "\n" TOOL_END, SSE_DONE)}},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_OK, .http_status = 200, .requests = 1,
     .pointer = "/choices/0/message/tool_calls/0/function/arguments", .value = "{\"city\":\"Paris\"}",
     .events = "c0#call_1@get_weather:|c0:{\"city\":|c0:\"Paris\"}|o|done", .sent = STREAM_SENT},
    {.name = "a stream cut mid-line",
     .replies = {{STREAM_REPLY(ROLE, HELLO, "data: {\"id\":\"c1\",\"object\":\"chat.compl")}},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_ERR_PROTOCOL, .http_status = 200, .requests = 1, .text = "Hello",
     .message = "the stream ended before completion", .events = "o|t:Hello", .sent = STREAM_SENT},
    {.name = "[DONE] followed by more data",
     .replies = {{STREAM_REPLY(ROLE, HELLO, STOP, SSE_DONE, THERE, "data: not even JSON\n\n")}},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_OK, .http_status = 200, .requests = 1, .text = "Hello",
     .events = "o|t:Hello|o|done", .sent = STREAM_SENT},
    {.name = "[DONE], then a stall: the rest of the body is not awaited",
     .replies = {{STREAM_REPLY(ROLE, HELLO, STOP SSE_DONE), .fault = MOCK_FAULT_STALL, .fault_after = 3,
                  .stall_ms = -1}},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_OK, .http_status = 200, .requests = 1, .text = "Hello",
     .events = "o|t:Hello|o|done", .sent = STREAM_SENT},
    {.name = "multipart file upload",
     .replies = {{.status = 200, .body = "{\"id\":\"file-abc123\",\"object\":\"file\",\"bytes\":33,"
                                         "\"filename\":\"train.jsonl\",\"purpose\":\"fine-tune\"}"}},
     .kind = REQ_UPLOAD,
     .status = OAI_OK, .http_status = 200, .requests = 1, .pointer = "/id", .value = "file-abc123",
     .sent = {"POST", "/v1/files", "content-type", "multipart/form-data; boundary=*",
              {UPLOAD_BYTES, "Content-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n",
               "Content-Disposition: form-data; name=\"file\"; filename=\"train.jsonl\""}}},
    {.name = "first-byte timeout, then a retry",
     .replies = {{.status = 200, .body = CHAT_BODY, .delay_ms = 3000}, OK_REPLY},
     .first_byte_ms = 200,
     .status = OAI_OK, .http_status = 200, .retries = 1, .requests = 2, .text = "Hi there", .sent = CHAT_SENT},
    {.name = "first-byte timeout with retries off",
     .replies = {{.status = 200, .fault = MOCK_FAULT_STALL_BEFORE_RESPONSE, .stall_ms = -1}},
     .first_byte_ms = 200, .no_retries = 1,
     .status = OAI_ERR_TIMEOUT, .requests = 1, .message = "no response within the first-byte timeout",
     .sent = CHAT_SENT},
    {.name = "idle timeout mid-stream",
     /* One chunk before the stall: a slow machine cannot split it. */
     .replies = {{STREAM_REPLY(ROLE HELLO, THERE), .fault = MOCK_FAULT_STALL, .fault_after = 1, .stall_ms = -1}},
     .kind = REQ_CHAT_STREAM, .idle_ms = 200,
     .status = OAI_ERR_TIMEOUT, .http_status = 200, .requests = 1, .text = "Hello",
     .message = "no data within the idle timeout", .events = "o|t:Hello", .sent = STREAM_SENT},
    {.name = "cancelled from the event callback",
     .replies = {{STREAM_REPLY(ROLE HELLO, THERE, STOP, SSE_DONE)}, OK_REPLY},
     .kind = REQ_CHAT_STREAM, .cancel_after = 2,
     .status = OAI_ERR_CANCELLED, .http_status = 200, .requests = 1, .text = "Hello",
     .message = "cancelled by the event callback", .events = "o|t:Hello", .sent = STREAM_SENT},
    {.name = "an error event in the stream",
     .replies = {{STREAM_REPLY(ROLE, HELLO,
                               SSE("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}"))}},
     .kind = REQ_CHAT_STREAM,
     .status = OAI_ERR_API, .http_status = 200, .requests = 1, .text = "Hello", .message = "overloaded",
     .events = "o|t:Hello|e:overloaded", .sent = STREAM_SENT},
};

#define SCENARIO_COUNT (sizeof scenarios / sizeof *scenarios)

/* ------------------------------------------------------------------------ */
/* Recording what a run saw                                                  */

/* A growing string. */
typedef struct text {
    char *s;
    size_t len;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    char *grown = realloc(t->s, t->len + n + 1);
    assert_non_null(grown);
    t->s = grown;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_puts(text *t, const char *s)
{
    text_add(t, s ? s : "(null)", s ? strlen(s) : 6);
}

static const char *text_str(const text *t)
{
    return t->s ? t->s : "";
}

/* The stream's events, compactly: "t:Hello" text, "c0#id@name:args" a tool
 * call, "o" other, "done", "e:message" an error, "u<total>" usage, "z:" and
 * "r:" reasoning and refusal; '|' between events. */
typedef struct recorder {
    text log;
    int count;
    int cancel_after;
} recorder;

static void log_event(text *t, const oai_event *ev)
{
    int type = oai_event_type_of(ev);
    char head[64];
    static const char *const kinds[] = {"?", "t", "r", "z", "c", "u", "done", "e", "o"};
    const char *kind = type >= 1 && type <= 8 ? kinds[type] : "?";
    if (type == OAI_EVENT_TOOL_CALL)
        snprintf(head, sizeof head, "c%d", oai_event_tool_index(ev));
    else if (type == OAI_EVENT_USAGE)
        snprintf(head, sizeof head, "u%lld", (long long)oai_event_get_int(ev, "/usage/total_tokens"));
    else
        snprintf(head, sizeof head, "%s", kind);
    text_puts(t, head);
    if (oai_event_tool_id(ev)) {
        text_puts(t, "#");
        text_puts(t, oai_event_tool_id(ev));
    }
    if (oai_event_tool_name(ev)) {
        text_puts(t, "@");
        text_puts(t, oai_event_tool_name(ev));
    }
    if (oai_event_text(ev)) {
        text_puts(t, ":");
        text_add(t, oai_event_text(ev), oai_event_text_len(ev));
    }
}

static int record_event(void *ud, const oai_event *ev)
{
    recorder *r = ud;
    if (r->count++)
        text_puts(&r->log, "|");
    log_event(&r->log, ev);
    return r->cancel_after && r->count >= r->cancel_after;
}

/* What a run produced, to compare the transports. */
typedef struct outcome {
    oai_status status;
    int http_status, retries;
    size_t requests;
    text summary;   /* everything else, one field a line */
} outcome;

/* Headers the transport itself owns (framing, connection), which the
 * engine never sets and a transport may add. */
static int transport_header(const char *name)
{
    static const char *const own[] = {"host", "content-length", "transfer-encoding", "connection", "expect",
                                      "accept-encoding", "te", "keep-alive"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (strcasecmp(name, own[i]) == 0)
            return 1;
    return 0;
}

static int is_multipart(const mock_request *req)
{
    const char *ct = mock_request_header(req, "content-type");
    return ct && strncmp(ct, "multipart/form-data;", 20) == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The engine's headers of a request, as sorted "name: value" lines with
 * lower-case names (the multipart boundary is random, so it is hidden). */
static char **canonical_headers(const mock_request *req, size_t *count)
{
    char **lines = calloc(req->header_count + 1, sizeof *lines);
    size_t n = 0;
    assert_non_null(lines);
    for (size_t i = 0; i < req->header_count; i++) {
        const char *name = req->header_names[i], *value = req->header_values[i];
        if (transport_header(name))
            continue;
        if (strcasecmp(name, "content-type") == 0 && is_multipart(req))
            value = "multipart/form-data; boundary=(boundary)";
        lines[n] = malloc(strlen(name) + strlen(value) + 4);
        assert_non_null(lines[n]);
        sprintf(lines[n], "%s: %s", name, value);
        for (char *p = lines[n]; *p != ':'; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        n++;
    }
    qsort(lines, n, sizeof *lines, compare_names);
    *count = n;
    return lines;
}

/* The body, with a multipart body's random boundary replaced by a fixed
 * word, so that two encodings of the same parts compare byte for byte. */
static void add_body(text *t, const mock_request *req)
{
    const char *body = req->body ? req->body : "", *end = body + req->body_len;
    const char *boundary = is_multipart(req) ? strstr(mock_request_header(req, "content-type"), "boundary=") : NULL;
    if (!boundary) {
        text_add(t, body, req->body_len);
        return;
    }
    boundary += 9;
    size_t blen = strlen(boundary);
    for (const char *at; (at = memmem(body, (size_t)(end - body), boundary, blen)) != NULL; body = at + blen) {
        text_add(t, body, (size_t)(at - body));
        text_puts(t, "(boundary)");
    }
    text_add(t, body, (size_t)(end - body));
}

/* A request as received, in a canonical form: method, target, the
 * engine's headers, the body. */
static void describe_request(text *t, const mock_request *req)
{
    size_t n;
    char **lines = canonical_headers(req, &n);
    text_puts(t, req->method);
    text_puts(t, " ");
    text_puts(t, req->target);
    text_puts(t, "\n");
    for (size_t i = 0; i < n; i++) {
        text_puts(t, lines[i]);
        text_puts(t, "\n");
        free(lines[i]);
    }
    free(lines);
    add_body(t, req);
    text_puts(t, "\n");
}

/* ------------------------------------------------------------------------ */
/* Running a scenario                                                        */

typedef enum way { WAY_CURL, WAY_MEMORY_RUN, WAY_MEMORY_START_BYTES, WAY_COUNT } way;

static const char *const way_names[] = {"libcurl + mock server", "memory, answered in run",
                                        "memory, answered in start, byte by byte"};

/* The suite's shared fixtures. */
static mock_server *server;
static int have_curl;
static char upload_dir[64];
static char upload_path[128];

/* One run of a scenario. */
typedef struct run {
    way how;
    memory_transport *mt;       /* the memory ways */
    oai_client *c;
    recorder rec;
} run;

static size_t request_count(const run *r)
{
    return r->mt ? memory_transport_request_count(r->mt) : mock_server_request_count(server);
}

static const mock_request *request_at(const run *r, size_t i)
{
    return r->mt ? memory_transport_request(r->mt, i) : mock_server_request(server, i);
}

static void push_replies(const scenario *s, run *r)
{
    for (size_t i = 0; i < MAX_REPLIES && s->replies[i].status; i++) {
        if (r->mt)
            assert_int_equal(memory_transport_push(r->mt, &s->replies[i]), 0);
        else
            mock_server_push(server, &s->replies[i]);
    }
}

static oai_client *new_client(const scenario *s, const char *base_url)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, base_url), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, API_KEY), OAI_OK);
    /* Short backoffs keep the real runs fast; the policy itself is tested
     * in fake time below. */
    assert_int_equal(oai_client_set_retry_backoff_ms(c, 1, 4), OAI_OK);
    if (s->no_retries)
        assert_int_equal(oai_client_set_max_retries(c, 0), OAI_OK);
    if (s->max_response_bytes)
        assert_int_equal(oai_client_set_max_response_bytes(c, s->max_response_bytes), OAI_OK);
    if (s->first_byte_ms)
        assert_int_equal(oai_client_set_first_byte_timeout_ms(c, s->first_byte_ms), OAI_OK);
    if (s->idle_ms)
        assert_int_equal(oai_client_set_idle_timeout_ms(c, s->idle_ms), OAI_OK);
    return c;
}

static void setup_run(const scenario *s, run *r, way how)
{
    memset(r, 0, sizeof *r);
    r->how = how;
    r->rec.cancel_after = s->cancel_after;
    if (how == WAY_CURL) {
        mock_server_reset(server);
        r->c = new_client(s, mock_server_url(server));
    } else {
        /* The same URL shape as the mock server's, so targets compare. */
        r->c = new_client(s, "http://127.0.0.1:9/v1");
        r->mt = memory_transport_new();
        assert_non_null(r->mt);
        memory_transport_set_answer_in_start(r->mt, how == WAY_MEMORY_START_BYTES);
        memory_transport_set_split_bytes(r->mt, how == WAY_MEMORY_START_BYTES);
        assert_int_equal(memory_transport_attach(r->mt, r->c), OAI_OK);
    }
    push_replies(s, r);
}

static oai_request *build_request(const scenario *s, recorder *rec)
{
    oai_request *req;
    if (s->kind == REQ_UPLOAD) {
        req = oai_file_create_request_new(upload_path, "fine-tune");
        assert_non_null(req);
        return req;
    }
    req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    assert_int_equal(oai_chat_request_add_message(req, "user", "hello"), OAI_OK);
    if (s->kind == REQ_CHAT_STREAM)
        assert_int_equal(oai_request_set_event_callback(req, record_event, rec), OAI_OK);
    return req;
}

static void check_string(const char *what, const char *got, const char *want)
{
    if (!want)
        return;
    if (!got)
        fail_msg("%s: got NULL, want \"%s\"", what, want);
    assert_string_equal(got, want);
}

/* The expectations on the first request as received, and on the retry
 * count each attempt announced. */
static void check_sent(const scenario *s, const run *r)
{
    const expected_request *e = &s->sent;
    const mock_request *req = request_at(r, 0);
    assert_non_null(req);
    assert_string_equal(req->method, e->method);
    assert_string_equal(req->path, e->path);
    const char *value = mock_request_header(req, e->header);
    assert_non_null(value);
    size_t n = strlen(e->value);
    if (n && e->value[n - 1] == '*')
        assert_int_equal(strncmp(value, e->value, n - 1), 0);
    else
        assert_string_equal(value, e->value);
    for (size_t i = 0; i < MAX_FRAGMENTS && e->body[i]; i++)
        if (!req->body || !memmem(req->body, req->body_len, e->body[i], strlen(e->body[i])))
            fail_msg("the body lacks %s", e->body[i]);
    for (size_t i = 0; i < request_count(r); i++) {
        char want[24];
        snprintf(want, sizeof want, "%zu", i);
        check_string("x-stainless-retry-count", mock_request_header(request_at(r, i), "x-stainless-retry-count"),
                     want);
    }
}

static void check_outcome(const scenario *s, const run *r, const oai_response *res)
{
    assert_int_equal(oai_response_status(res), s->status);
    assert_int_equal(oai_response_http_status(res), s->http_status);
    assert_int_equal(oai_response_retry_count(res), s->retries);
    assert_int_equal(request_count(r), s->requests);
    if (s->text)
        check_string("text", oai_response_text(res), s->text);
    else
        assert_null(oai_response_text(res));
    if (s->pointer)
        check_string(s->pointer, oai_response_get_string(res, s->pointer), s->value);
    if (s->message && !strstr(oai_response_error_message(res) ? oai_response_error_message(res) : "", s->message))
        fail_msg("error message \"%s\" lacks \"%s\"", oai_response_error_message(res), s->message);
    check_string("error code", oai_response_error_code(res), s->code);
    check_string("events", text_str(&r->rec.log), s->events ? s->events : "");
    check_sent(s, r);
}

static int body_is_whole(oai_status st)
{
    return st != OAI_ERR_TOO_LARGE && st != OAI_ERR_TIMEOUT && st != OAI_ERR_CONNECTION && st != OAI_ERR_CANCELLED;
}

/* Everything the run produced beyond the table's expectations. The error
 * message of a broken connection is the transport's own wording. */
static void capture(outcome *o, const run *r, const oai_response *res)
{
    memset(o, 0, sizeof *o);
    o->status = oai_response_status(res);
    o->http_status = oai_response_http_status(res);
    o->retries = oai_response_retry_count(res);
    o->requests = request_count(r);
    text *t = &o->summary;
    text_puts(t, "text: ");
    text_puts(t, oai_response_text(res));
    /* How much of a body that was cut (a size limit, a timeout, a broken
     * connection, a cancel) arrived depends on how it was chunked. */
    text_puts(t, "\nbody: ");
    if (body_is_whole(o->status))
        text_add(t, oai_response_body(res) ? oai_response_body(res) : "", oai_response_body_len(res));
    text_puts(t, "\nmessage: ");
    text_puts(t, o->status == OAI_ERR_CONNECTION ? "(the transport's)" : oai_response_error_message(res));
    text_puts(t, "\ntype: ");
    text_puts(t, oai_response_error_type(res));
    text_puts(t, "\ncontent-type: ");
    text_puts(t, oai_response_header(res, "content-type"));
    text_puts(t, "\nevents: ");
    text_puts(t, text_str(&r->rec.log));
    text_puts(t, "\n");
    for (size_t i = 0; i < o->requests; i++)
        describe_request(t, request_at(r, i));
}

static void compare(const outcome *got, const outcome *want)
{
    assert_int_equal(got->status, want->status);
    assert_int_equal(got->http_status, want->http_status);
    assert_int_equal(got->retries, want->retries);
    assert_int_equal(got->requests, want->requests);
    assert_string_equal(text_str(&got->summary), text_str(&want->summary));
}

/* The memory transport saw a correct engine: no exchange left, no broken
 * rule, no wait for ever. */
static void check_memory_transport(const run *r)
{
    assert_int_equal(memory_transport_in_flight(r->mt), 0);
    assert_int_equal(memory_transport_violations(r->mt), 0);
    assert_int_equal(memory_transport_stuck(r->mt), 0);
}

static void run_once(const scenario *s, way how, outcome *o)
{
    run r;
    print_message("  %s\n", way_names[how]);
    setup_run(s, &r, how);
    oai_request *req = build_request(s, &r.rec);
    oai_response *res = oai_client_send(r.c, req);
    check_outcome(s, &r, res);
    capture(o, &r, res);
    if (r.mt)
        check_memory_transport(&r);
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(r.c);
    if (r.mt) {
        /* The client has freed its transport: every exchange ended. */
        assert_int_equal(memory_transport_violations(r.mt), 0);
        memory_transport_free(r.mt);
    }
    free(r.rec.log.s);
}

/* The one loop body: a scenario, every way, each compared with the first. */
static void test_scenario(void **state)
{
    const scenario *s = *state;
    outcome first = {0};
    int have_first = 0;
    for (int how = 0; how < WAY_COUNT; how++) {
        outcome o;
        if (how == WAY_CURL && !have_curl)
            continue; /* a liboai built without libcurl */
        run_once(s, (way)how, &o);
        if (have_first) {
            compare(&o, &first);
            free(o.summary.s);
        } else {
            first = o;
            have_first = 1;
        }
    }
    free(first.summary.s);
}

/* ------------------------------------------------------------------------ */
/* Memory only: what a fake clock makes testable                             */

/* A client on a fresh memory transport. */
typedef struct fake {
    memory_transport *mt;
    oai_client *c;
    int64_t t0;                   /* the fake time at the start */
} fake;

static void fake_open(fake *f, int has_run, int answer_in_start)
{
    f->c = oai_client_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_set_base_url(f->c, "http://127.0.0.1:9/v1"), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, API_KEY), OAI_OK);
    f->mt = memory_transport_new();
    assert_non_null(f->mt);
    memory_transport_set_has_run(f->mt, has_run);
    memory_transport_set_answer_in_start(f->mt, answer_in_start);
    assert_int_equal(memory_transport_attach(f->mt, f->c), OAI_OK);
    f->t0 = memory_transport_now_us(f->mt);
}

static void fake_close(fake *f)
{
    assert_int_equal(memory_transport_in_flight(f->mt), 0);
    assert_int_equal(memory_transport_stuck(f->mt), 0);
    oai_client_free(f->c);
    assert_int_equal(memory_transport_violations(f->mt), 0);
    memory_transport_free(f->mt);
}

static int64_t fake_elapsed_us(const fake *f)
{
    return memory_transport_now_us(f->mt) - f->t0;
}

static void push(fake *f, const mock_reply *reply)
{
    assert_int_equal(memory_transport_push(f->mt, reply), 0);
}

static oai_response *send_chat(fake *f, oai_request **out)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    oai_chat_request_add_message(req, "user", "hello");
    oai_response *res = oai_client_send(f->c, req);
    if (out)
        *out = req;
    else
        oai_request_free(req);
    return res;
}

/* A server's 30 s retry-after, in either header, is waited out in fake
 * time: the clock moves by exactly that much between the attempts. */
static void test_retry_after_30_seconds(void **state)
{
    static const char *const headers[] = {"retry-after-ms: 30000\r\n", "retry-after: 30\r\n"};
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        fake f;
        fake_open(&f, 1, 0);
        mock_reply busy = {.status = 429, .headers = headers[i], .body = "{\"error\":{\"message\":\"wait\"}}"};
        mock_reply ok = OK_REPLY;
        push(&f, &busy);
        push(&f, &ok);
        oai_response *res = send_chat(&f, NULL);
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_int_equal(oai_response_retry_count(res), 1);
        assert_int_equal(memory_transport_request_count(f.mt), 2);
        int64_t gap = memory_transport_request_time_us(f.mt, 1) - memory_transport_request_time_us(f.mt, 0);
        assert_true(gap >= 30000000);
        assert_true(gap < 30001000);
        assert_true(fake_elapsed_us(&f) >= 30000000);
        oai_response_free(res);
        fake_close(&f);
    }
}

/* The delays the retry callback hears, one per retry. */
typedef struct delays {
    int64_t ms[16];
    int count;
} delays;

static int note_delay(void *ud, int retry, int64_t delay_ms, int reason, int http_status)
{
    delays *d = ud;
    (void)reason;
    assert_int_equal(retry, d->count + 1);
    assert_int_equal(http_status, 503);
    d->ms[d->count++] = delay_ms;
    return 0;
}

/* Without a server delay, the n-th retry waits min(0.5 s * 2^n, 8 s)
 * scaled by a factor in (0.75, 1], and the clock moves by exactly that. */
static void test_exponential_backoff(void **state)
{
    (void)state;
    enum { RETRIES = 7 };
    fake f;
    fake_open(&f, 1, 0);
    delays d = {{0}, 0};
    assert_int_equal(oai_client_set_max_retries(f.c, RETRIES), OAI_OK);
    assert_int_equal(oai_client_set_retry_callback(f.c, note_delay, &d), OAI_OK);
    mock_reply busy = {.status = 503, .body = "{\"error\":{\"message\":\"busy\"}}"};
    for (int i = 0; i <= RETRIES; i++)
        push(&f, &busy);
    oai_response *res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_int_equal(oai_response_retry_count(res), RETRIES);
    assert_int_equal(d.count, RETRIES);
    for (int i = 0; i < RETRIES; i++) {
        int64_t nominal = 500LL << i;
        if (nominal > 8000)
            nominal = 8000;
        assert_true(d.ms[i] * 4 > nominal * 3); /* factor > 0.75 */
        assert_true(d.ms[i] <= nominal);
        int64_t gap = memory_transport_request_time_us(f.mt, (size_t)i + 1) -
                      memory_transport_request_time_us(f.mt, (size_t)i);
        assert_int_equal(gap, d.ms[i] * 1000);
    }
    oai_response_free(res);
    fake_close(&f);
}

static char *read_whole_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static oai_request *transcript_request(const char *name, recorder *rec)
{
    oai_request *req = strstr(name, "completions") ? oai_completion_create_request_new("m", "p")
                       : strstr(name, "responses") ? oai_response_create_request_new("m", "i")
                                                   : oai_chat_completion_create_request_new("m");
    assert_non_null(req);
    assert_int_equal(oai_request_set_event_callback(req, record_event, rec), OAI_OK);
    assert_int_equal(oai_request_set_max_retries(req, 0), OAI_OK);
    return req;
}

/* A transcript through the engine: its status, and its events and
 * result JSON as one string. */
static oai_status stream_transcript(const char *name, const char *data, size_t len, int split, text *out)
{
    fake f;
    recorder rec = {{0}, 0, 0};
    fake_open(&f, 1, split);
    memory_transport_set_split_bytes(f.mt, split);
    mock_reply r = {.status = 200, .content_type = "text/event-stream", .body = data, .body_len = len};
    push(&f, &r);
    oai_request *req = transcript_request(name, &rec);
    oai_response *res = oai_client_send(f.c, req);
    oai_status st = oai_response_status(res);
    char *json = oai_value_json_dup(oai_response_json(res));
    text_puts(out, text_str(&rec.log));
    text_puts(out, "\n");
    text_puts(out, json ? json : "(no JSON)");
    oai_free(json);
    free(rec.log.s);
    oai_response_free(res);
    oai_request_free(req);
    fake_close(&f);
    return st;
}

/* Every golden transcript gives the same events, result and status split
 * at every byte as in one piece. */
static void test_transcripts_split_at_every_byte(void **state)
{
    (void)state;
    const char *dir = OAI_SOURCE_DIR "/tests/transcripts";
    DIR *d = opendir(dir);
    assert_non_null(d);
    int seen = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!strstr(e->d_name, ".sse"))
            continue;
        char path[1024];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data = read_whole_file(path, &len);
        text whole = {0}, bytes = {0};
        oai_status want = stream_transcript(e->d_name, data, len, 0, &whole);
        oai_status got = stream_transcript(e->d_name, data, len, 1, &bytes);
        print_message("%s: %s\n", e->d_name, oai_status_name(got));
        assert_int_equal(got, want);
        assert_string_equal(text_str(&bytes), text_str(&whole));
        assert_true(whole.len > 20); /* events were seen */
        free(whole.s);
        free(bytes.s);
        free(data);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 8);
}

/* What a done callback received. */
typedef struct done_state {
    int done;
    oai_response *res;
} done_state;

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    done_state *s = ud;
    s->done++;
    s->res = res;
    oai_call_free(call);
}

/* The debug log's state transitions. */
static void keep_log(void *ud, int level, const char *message)
{
    (void)level;
    if (strstr(message, " -> ")) {
        text_puts(ud, message);
        text_puts(ud, "\n");
    }
}

/* A call cancelled while it waits out a retry-after ends at once, without
 * the wait and without another request. */
static void test_cancel_in_backoff(void **state)
{
    (void)state;
    fake f;
    text log = {0};
    done_state s = {0, NULL};
    fake_open(&f, 1, 0);
    assert_int_equal(oai_client_set_log_level(f.c, OAI_LOG_DEBUG), OAI_OK);
    assert_int_equal(oai_client_set_log_callback2(f.c, keep_log, &log), OAI_OK);
    mock_reply busy = {.status = 429, .headers = "retry-after-ms: 30000\r\n", .body = "{}"};
    mock_reply ok = OK_REPLY;
    push(&f, &busy);
    push(&f, &ok);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_call *call = oai_client_start(f.c, req, on_done, &s);
    assert_non_null(call);
    assert_int_equal(oai_client_poll(f.c, 0), 1); /* the 429 arrives: BACKOFF */
    assert_non_null(strstr(text_str(&log), "CONCLUDING -> BACKOFF"));
    assert_int_equal(s.done, 0);
    oai_call_cancel(call);
    assert_int_equal(oai_client_poll(f.c, 0), 0);
    assert_int_equal(s.done, 1);
    assert_int_equal(oai_response_status(s.res), OAI_ERR_CANCELLED);
    assert_non_null(strstr(text_str(&log), "BACKOFF -> DONE"));
    assert_int_equal(memory_transport_request_count(f.mt), 1);
    assert_int_equal(memory_transport_pending(f.mt), 1);
    assert_true(fake_elapsed_us(&f) < 30000000);
    oai_response_free(s.res);
    oai_request_free(req);
    fake_close(&f);
    free(log.s);
}

/* A first-byte timeout of 10 minutes fires, in fake time, exactly then. */
static void test_first_byte_timeout_of_10_minutes(void **state)
{
    (void)state;
    fake f;
    fake_open(&f, 1, 0);
    assert_int_equal(oai_client_set_first_byte_timeout_ms(f.c, 600000), OAI_OK);
    assert_int_equal(oai_client_set_timeout_ms(f.c, 0), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(f.c, 0), OAI_OK);
    mock_reply silent = {.status = 200, .fault = MOCK_FAULT_STALL_BEFORE_RESPONSE, .stall_ms = -1};
    push(&f, &silent);
    oai_response *res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    assert_string_equal(oai_response_error_message(res), "no response within the first-byte timeout");
    assert_int_equal(fake_elapsed_us(&f), 600000000);
    assert_int_equal(memory_transport_cancels(f.mt), 1);
    oai_response_free(res);
    fake_close(&f);
}

/* The engine's own timers on a slow stream: chunks 4 s apart pass an idle
 * timeout of 5 s, and the request timeout of 10 s ends the call; a gap of
 * 6 s trips the idle timeout. */
static void test_request_and_idle_timeouts(void **state)
{
    (void)state;
    fake f;
    recorder rec = {{0}, 0, 0};
    fake_open(&f, 1, 0);
    mock_reply slow = {STREAM_REPLY(ROLE, HELLO, THERE, HELLO, THERE, STOP, SSE_DONE)};
    slow.chunk_delay_ms = 4000;
    push(&f, &slow);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_request_set_event_callback(req, record_event, &rec);
    oai_request_set_timeout_ms(req, 10000);
    oai_request_set_idle_timeout_ms(req, 5000);
    oai_response *res = oai_client_send(f.c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    assert_string_equal(oai_response_error_message(res), "the request timeout expired");
    assert_string_equal(text_str(&rec.log), "o|t:Hello|t: there");
    assert_int_equal(fake_elapsed_us(&f), 10000000);
    oai_response_free(res);

    slow.chunk_delay_ms = 6000;
    push(&f, &slow);
    free(rec.log.s);
    memset(&rec, 0, sizeof rec);
    oai_request_set_timeout_ms(req, 60000);
    res = oai_client_send(f.c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    assert_string_equal(oai_response_error_message(res), "no data within the idle timeout");
    assert_string_equal(text_str(&rec.log), "o");
    assert_int_equal(fake_elapsed_us(&f), 15000000);
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log.s);
    fake_close(&f);
}

/* A transport that cannot start an exchange: a connection failure is
 * retried, a request it cannot send is not. */
static void test_start_fails(void **state)
{
    (void)state;
    fake f;
    fake_open(&f, 1, 0);
    mock_reply ok = OK_REPLY;
    push(&f, &ok);
    memory_transport_fail_starts(f.mt, 1, OAI_ERR_CONNECTION);
    oai_response *res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    assert_int_equal(memory_transport_request_count(f.mt), 1);
    oai_response_free(res);

    memory_transport_fail_starts(f.mt, 3, OAI_ERR_CONNECTION);
    res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    assert_int_equal(oai_response_retry_count(res), 2);
    assert_string_equal(oai_response_error_message(res), "the transport could not start the request");
    oai_response_free(res);

    memory_transport_fail_starts(f.mt, 1, OAI_ERR_INVALID_ARGUMENT);
    res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_response_retry_count(res), 0);
    oai_response_free(res);
    assert_int_equal(memory_transport_request_count(f.mt), 1);
    fake_close(&f);
}

/* A start callback's code outside the failure classes counts as a
 * connection failure, as it does for oai_exchange_fail(): never an HTTP
 * class without an HTTP status, nor a value outside oai_status. */
static void test_start_failure_codes_are_classes(void **state)
{
    static const int codes[] = {OAI_ERR_RATE_LIMIT, OAI_ERR_CANCELLED, 40, -1};
    (void)state;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        fake f;
        fake_open(&f, 1, 0);
        assert_int_equal(oai_client_set_max_retries(f.c, 0), OAI_OK);
        memory_transport_fail_starts(f.mt, 1, (oai_status)codes[i]);
        oai_response *res = send_chat(&f, NULL);
        assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
        assert_int_equal(oai_response_http_status(res), 0);
        oai_response_free(res);
        fake_close(&f);
    }
}

/* A transport without a run callback that answers inside its start
 * callback: oai_client_send() works; one that would answer later cannot be
 * waited on, and its exchange is cancelled. */
static void test_answer_inside_start(void **state)
{
    (void)state;
    fake f;
    recorder rec = {{0}, 0, 0};
    fake_open(&f, 0, 1);
    mock_reply ok = OK_REPLY;
    mock_reply stream = {STREAM_REPLY(ROLE HELLO THERE STOP SSE_DONE)};
    push(&f, &ok);
    push(&f, &stream);
    oai_response *res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Hi there");
    oai_response_free(res);

    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_request_set_event_callback(req, record_event, &rec);
    res = oai_client_send(f.c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Hello there");
    assert_string_equal(text_str(&rec.log), "o|t:Hello|t: there|o|done");
    oai_response_free(res);
    oai_request_free(req);
    free(rec.log.s);

    mock_reply later = {.status = 200, .body = CHAT_BODY, .delay_ms = 10};
    push(&f, &later);
    res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_response_error_message(res), "no run callback"));
    assert_int_equal(memory_transport_cancels(f.mt), 1);
    oai_response_free(res);

    /* A retry delay on the simulated clock cannot pass while the engine
     * waits without a run callback to move it: refused, not a hang. */
    mock_reply busy = {.status = 429, .headers = "retry-after-ms: 5000\r\n", .body = "{}"};
    push(&f, &busy);
    push(&f, &ok);
    res = send_chat(&f, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_response_error_message(res), "no run callback"));
    oai_response_free(res);
    fake_close(&f);
}

/* A frame loop: oai_client_start(), then one oai_client_poll(c, 0) per
 * 16 ms frame of fake time, through a 1 s retry-after and a stream whose
 * chunks come 100 ms apart. With a run callback the poll delivers; without
 * one the host's own loop does. */
static void test_polled_frame_loop(void **state)
{
    (void)state;
    for (int has_run = 0; has_run <= 1; has_run++) {
        fake f;
        recorder rec = {{0}, 0, 0};
        done_state s = {0, NULL};
        fake_open(&f, has_run, 0);
        mock_reply busy = {.status = 429, .headers = "retry-after-ms: 1000\r\n", .body = "{}"};
        mock_reply stream = {STREAM_REPLY(ROLE, HELLO, THERE, STOP, SSE_DONE)};
        stream.chunk_delay_ms = 100;
        push(&f, &busy);
        push(&f, &stream);
        oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
        oai_request_set_event_callback(req, record_event, &rec);
        assert_non_null(oai_client_start(f.c, req, on_done, &s));
        int frames = 0;
        while (!s.done && frames < 1000) {
            memory_transport_advance_us(f.mt, 16000);
            if (!has_run)
                memory_transport_deliver(f.mt);
            assert_true(oai_client_poll(f.c, 0) >= 0);
            frames++;
        }
        assert_int_equal(s.done, 1);
        assert_int_equal(oai_response_status(s.res), OAI_OK);
        assert_int_equal(oai_response_retry_count(s.res), 1);
        assert_string_equal(oai_response_text(s.res), "Hello there");
        assert_string_equal(text_str(&rec.log), "o|t:Hello|t: there|o|done");
        /* 1 s of backoff and 0.4 s of stream, 16 ms a frame; each of the
         * seven steps (the 429, the retry, five chunks) may come up to a
         * frame late, and the next delay counts from then. */
        assert_in_range(frames, 1400 / 16, 1400 / 16 + 7);
        oai_response_free(s.res);
        oai_request_free(req);
        free(rec.log.s);
        fake_close(&f);
    }
}

/* A host's event loop over its own transport: one timer from the engine
 * (oai_client_set_timer_callback()), and the host's I/O. */
typedef struct host_loop {
    const memory_transport *mt;
    int64_t timer_at;             /* fake time the timer expires, or NEVER */
} host_loop;

static int set_host_timer(void *ud, int64_t timeout_ms)
{
    host_loop *h = ud;
    h->timer_at = timeout_ms < 0 ? NEVER : memory_transport_now_us(h->mt) + timeout_ms * 1000;
    return 0;
}

/* Runs the loop until the call is done: wait for the transport's next
 * event or the timer, whichever is first; deliver the I/O; on the timer,
 * oai_client_socket_action(). Returns the number of iterations. */
static int run_host_loop(fake *f, host_loop *h, const done_state *s)
{
    int turns = 0;
    while (!s->done && turns++ < 100) {
        int64_t io_at = memory_transport_next_event_us(f->mt);
        int64_t at = io_at < h->timer_at ? io_at : h->timer_at;
        assert_true(at != NEVER);
        memory_transport_advance_us(f->mt, at - memory_transport_now_us(f->mt));
        memory_transport_deliver(f->mt);
        if (h->timer_at <= memory_transport_now_us(f->mt)) {
            h->timer_at = NEVER;
            assert_true(oai_client_socket_action(f->c, OAI_SOCKET_TIMEOUT, 0) >= 0);
        }
    }
    return turns;
}

/* Event-loop mode on a host transport: what the host's loop delivers
 * between library calls reaches the engine, and the engine's timer then
 * says when to act. An exchange that ends there must move the timer up: a
 * finished call does not wait for the old deadline (the request timeout),
 * and a retry waits exactly its delay. */
static void test_event_loop_on_host_transport(void **state)
{
    (void)state;
    fake f;
    recorder rec = {{0}, 0, 0};
    done_state s = {0, NULL};
    host_loop h = {NULL, NEVER};
    fake_open(&f, 0, 0);
    h.mt = f.mt;
    assert_int_equal(oai_client_set_timer_callback(f.c, set_host_timer, &h), OAI_OK);
    mock_reply busy = {.status = 429, .headers = "retry-after-ms: 1000\r\n", .body = "{}"};
    mock_reply stream = {STREAM_REPLY(ROLE, HELLO, THERE, STOP, SSE_DONE)};
    stream.chunk_delay_ms = 100;
    push(&f, &busy);
    push(&f, &stream);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_request_set_event_callback(req, record_event, &rec);
    assert_non_null(oai_client_start(f.c, req, on_done, &s));
    run_host_loop(&f, &h, &s);
    assert_int_equal(s.done, 1);
    assert_int_equal(oai_response_status(s.res), OAI_OK);
    assert_int_equal(oai_response_retry_count(s.res), 1);
    assert_string_equal(text_str(&rec.log), "o|t:Hello|t: there|o|done");
    /* The retry-after, then four gaps between chunks: nothing more. */
    assert_int_equal(fake_elapsed_us(&f), 1400000);
    oai_response_free(s.res);
    oai_request_free(req);
    free(rec.log.s);
    fake_close(&f);
}

/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_LOG");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    oai_status st;
    oai_transport *probe = oai_transport_curl_new(&st);
    have_curl = probe != NULL;
    oai_transport_free(probe);
    if (have_curl && !(server = mock_server_start()))
        return -1;
    snprintf(upload_dir, sizeof upload_dir, "/tmp/oai-scenarios-XXXXXX");
    if (!mkdtemp(upload_dir))
        return -1;
    snprintf(upload_path, sizeof upload_path, "%s/train.jsonl", upload_dir);
    FILE *fp = fopen(upload_path, "wb");
    if (!fp)
        return -1;
    fputs(UPLOAD_BYTES, fp);
    fclose(fp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (server)
        mock_server_stop(server);
    unlink(upload_path);
    rmdir(upload_dir);
    return 0;
}

static const struct CMUnitTest memory_tests[] = {
    cmocka_unit_test(test_retry_after_30_seconds),
    cmocka_unit_test(test_exponential_backoff),
    cmocka_unit_test(test_transcripts_split_at_every_byte),
    cmocka_unit_test(test_cancel_in_backoff),
    cmocka_unit_test(test_first_byte_timeout_of_10_minutes),
    cmocka_unit_test(test_request_and_idle_timeouts),
    cmocka_unit_test(test_start_fails),
    cmocka_unit_test(test_start_failure_codes_are_classes),
    cmocka_unit_test(test_answer_inside_start),
    cmocka_unit_test(test_polled_frame_loop),
    cmocka_unit_test(test_event_loop_on_host_transport),
};

#define MEMORY_TEST_COUNT (sizeof memory_tests / sizeof *memory_tests)

int main(void)
{
    /* One cmocka test per scenario, named after it, then the memory-only
     * tests. */
    static struct CMUnitTest tests[SCENARIO_COUNT + MEMORY_TEST_COUNT];
    for (size_t i = 0; i < SCENARIO_COUNT; i++) {
        struct CMUnitTest t = {scenarios[i].name, test_scenario, NULL, NULL, (void *)&scenarios[i]};
        tests[i] = t;
    }
    for (size_t i = 0; i < MEMORY_TEST_COUNT; i++)
        tests[SCENARIO_COUNT + i] = memory_tests[i];
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
