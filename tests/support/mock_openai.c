/* The mock server's built-in OpenAI-compatible handler: see mock_openai.h. */
#include "mock_openai.h"
#include "mock_azure.h"
#include "mock_state.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fixed so that answers are byte-for-byte reproducible. */
#define MOCK_CREATED 1700000000
#define MOCK_EMBEDDING_DIM 8
#define MOCK_STREAM_PIECES 4
#define MOCK_DEFAULT_MODEL "mock-model"

/* Nine significant digits round-trip a float exactly, so the JSON numbers and
 * the base64 floats of an embedding agree. */
#define MOCK_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(9))
#define MOCK_SSE_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(9))

const char mock_openai_spring_poem[] =
    "春风拂柳绿如烟，燕子归来细雨天。\n桃花一夜开满树，人间处处是春天。";

/* ---- rough tokens ------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A "token" is leading whitespace plus either an ASCII word or a single
 * non-ASCII UTF-8 character (so Chinese counts per character). Returns the
 * end of the token that starts at pos. */
static size_t token_end(const char *s, size_t len, size_t pos)
{
    while (pos < len && is_space(s[pos]))
        pos++;
    if (pos >= len)
        return len;
    if ((unsigned char)s[pos] < 0x80) {
        while (pos < len && (unsigned char)s[pos] < 0x80 && !is_space(s[pos]))
            pos++;
        return pos;
    }
    pos++;
    while (pos < len && ((unsigned char)s[pos] & 0xC0) == 0x80)
        pos++;
    return pos;
}

static size_t count_tokens(const char *s)
{
    size_t len = strlen(s), n = 0, pos = 0;
    for (;;) {
        while (pos < len && is_space(s[pos]))
            pos++;
        if (pos >= len)
            return n;
        pos = token_end(s, len, pos);
        n++;
    }
}

/* Byte length of the first `tokens` tokens of s. */
static size_t tokens_prefix_len(const char *s, size_t tokens)
{
    size_t len = strlen(s), pos = 0;
    for (size_t i = 0; i < tokens && pos < len; i++)
        pos = token_end(s, len, pos);
    return pos;
}

/* ---- reading the request ------------------------------------------------ */

static char *dup_string(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

/* The text of a message content: a string, or the "text" of each part of an
 * array of parts joined by newlines. Never NULL unless memory ran out. */
static char *content_text(const json_t *content)
{
    if (json_is_string(content))
        return dup_string(json_string_value(content));
    size_t total = 1, i;
    json_t *part;
    json_array_foreach(content, i, part) {
        const char *t = json_string_value(json_object_get(part, "text"));
        total += t ? strlen(t) + 1 : 0;
    }
    char *text = malloc(total);
    if (!text)
        return NULL;
    text[0] = '\0';
    json_array_foreach(content, i, part) {
        const char *t = json_string_value(json_object_get(part, "text"));
        if (!t)
            continue;
        if (text[0])
            strcat(text, "\n");
        strcat(text, t);
    }
    return text;
}

/* The content of the last item whose role is "user" ("" when none). */
static char *last_user_text(const json_t *items)
{
    for (size_t i = json_array_size(items); i-- > 0; ) {
        const json_t *item = json_array_get(items, i);
        const char *role = json_string_value(json_object_get(item, "role"));
        if (role && strcmp(role, "user") == 0)
            return content_text(json_object_get(item, "content"));
    }
    return dup_string("");
}

/* Rough prompt size: the tokens of every item's content. */
static size_t items_tokens(const json_t *items)
{
    size_t n = 0, i;
    json_t *item;
    json_array_foreach(items, i, item) {
        char *t = content_text(json_object_get(item, "content"));
        if (t)
            n += count_tokens(t);
        free(t);
    }
    return n;
}

static const char *model_of(const json_t *body)
{
    const char *m = json_string_value(json_object_get(body, "model"));
    return m ? m : MOCK_DEFAULT_MODEL;
}

/* The first positive integer among the named fields, else 0 (no limit). */
static json_int_t limit_of(const json_t *body, const char *name1, const char *name2)
{
    json_int_t v = json_integer_value(json_object_get(body, name1));
    if (v <= 0 && name2)
        v = json_integer_value(json_object_get(body, name2));
    return v > 0 ? v : 0;
}

static int wants_stream(const json_t *body)
{
    return json_is_true(json_object_get(body, "stream"));
}

static int wants_usage_chunk(const json_t *body)
{
    return json_is_true(json_object_get(json_object_get(body, "stream_options"), "include_usage"));
}

/* ---- the answer ---------------------------------------------------------- */

typedef struct answer {
    char *text;
    int truncated;
    size_t prompt_tokens;
    size_t completion_tokens;
    size_t pieces;          /* stream pieces: MOCK_STREAM_PIECES unless asked */
} answer;

/* The number of pieces a streamed answer is cut into: the extension field
 * "mock_stream_pieces" (1 to 10^7; bench/ asks for many to make a long
 * stream), else MOCK_STREAM_PIECES. */
static size_t stream_pieces(const json_t *body)
{
    json_int_t v = json_integer_value(json_object_get(body, "mock_stream_pieces"));
    return v >= 1 && v <= 10000000 ? (size_t)v : MOCK_STREAM_PIECES;
}

/* Structured output: the JSON Schema the request asks its answer to follow
 * (chat `response_format`, Responses `text.format`), or NULL. */
static const json_t *requested_schema(const json_t *body)
{
    const json_t *rf = json_object_get(body, "response_format");
    const json_t *tf = json_object_get(json_object_get(body, "text"), "format");
    const char *rt = json_string_value(json_object_get(rf, "type"));
    const char *tt = json_string_value(json_object_get(tf, "type"));
    if (rt && strcmp(rt, "json_schema") == 0)
        return json_object_get(json_object_get(rf, "json_schema"), "schema");
    if (tt && strcmp(tt, "json_schema") == 0)
        return json_object_get(tf, "schema");
    return NULL;
}

/* A value that follows a schema: an enum's first value; strings are
 * "Echo: <text>", integers 1, numbers 1.5, booleans true; objects have
 * every listed property; arrays one item. */
static json_t *schema_value(const json_t *schema, const char *user_text, int depth)
{
    const json_t *choices = json_object_get(schema, "enum");
    const char *type = json_string_value(json_object_get(schema, "type"));
    if (json_array_size(choices) > 0)
        return json_deep_copy(json_array_get(choices, 0));
    if (!type || depth > 16)
        return json_null();
    if (strcmp(type, "string") == 0) {
        char *text = malloc(strlen(user_text) + sizeof "Echo: ");
        if (!text)
            return NULL;
        sprintf(text, "Echo: %s", user_text);
        json_t *v = json_string(text);
        free(text);
        return v;
    }
    if (strcmp(type, "integer") == 0)
        return json_integer(1);
    if (strcmp(type, "number") == 0)
        return json_real(1.5);
    if (strcmp(type, "boolean") == 0)
        return json_true();
    if (strcmp(type, "array") == 0) {
        json_t *arr = json_array();
        if (arr)
            json_array_append_new(arr, schema_value(json_object_get(schema, "items"), user_text, depth + 1));
        return arr;
    }
    if (strcmp(type, "object") == 0) {
        json_t *obj = json_object();
        const char *key;
        const json_t *prop;
        json_object_foreach((json_t *)json_object_get(schema, "properties"), key, prop)
            json_object_set_new(obj, key, schema_value(prop, user_text, depth + 1));
        return obj;
    }
    return json_null();
}

static int answer_init(answer *a, const char *user_text, const json_t *body,
                       json_int_t max_tokens, size_t prompt_tokens)
{
    memset(a, 0, sizeof *a);
    a->pieces = stream_pieces(body);
    const json_t *schema = requested_schema(body);
    if (schema) {
        json_t *v = schema_value(schema, user_text, 0);
        a->text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(v);
    } else if (strstr(user_text, "春天")) {
        a->text = dup_string(mock_openai_spring_poem);
    } else {
        a->text = malloc(strlen(user_text) + sizeof "Echo: ");
        if (a->text)
            sprintf(a->text, "Echo: %s", user_text);
    }
    if (!a->text)
        return -1;
    size_t tokens = count_tokens(a->text);
    if (max_tokens > 0 && tokens > (size_t)max_tokens) {
        a->text[tokens_prefix_len(a->text, (size_t)max_tokens)] = '\0';
        tokens = (size_t)max_tokens;
        a->truncated = 1;
    }
    a->prompt_tokens = prompt_tokens;
    a->completion_tokens = tokens;
    return 0;
}

static const char *finish_reason(const answer *a)
{
    return a->truncated ? "length" : "stop";
}

/* Calls emit for each of up to MOCK_STREAM_PIECES consecutive pieces of the
 * answer (whole tokens each). Returns -1 when emit fails. */
static int for_each_piece(const answer *a, int (*emit)(void *ctx, const char *p, size_t n),
                          void *ctx)
{
    size_t len = strlen(a->text);
    size_t per = (a->completion_tokens + a->pieces - 1) / a->pieces;
    if (per == 0)
        per = 1;
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        for (size_t i = 0; i < per && end < len; i++)
            end = token_end(a->text, len, end);
        if (emit(ctx, a->text + start, end - start) != 0)
            return -1;
        start = end;
    }
    return 0;
}

/* ---- building responses -------------------------------------------------- */

/* A JSON response; takes the reference to obj. */
static mock_response *json_response(int status, json_t *obj)
{
    if (!obj)
        return NULL;
    char *text = json_dumps(obj, MOCK_JSON_FLAGS);
    json_decref(obj);
    mock_response *r = text ? mock_response_new(status) : NULL;
    if (r && mock_response_set_body(r, text, strlen(text)) != 0) {
        mock_response_free(r);
        r = NULL;
    }
    free(text);
    return r;
}

static mock_response *error_response(int status, const char *message, const char *param,
                                     const char *code)
{
    return json_response(status, json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error",
                                           "message", message,
                                           "type", "invalid_request_error",
                                           "param", param, "code", code));
}

/* Server-Sent Events, one event per HTTP chunk. */
typedef struct sse_writer {
    mock_response *resp;
    int failed;
    json_int_t sequence;    /* responses events number themselves */
} sse_writer;

static void sse_begin(sse_writer *w)
{
    w->failed = 0;
    w->sequence = 0;
    w->resp = mock_response_new(200);
    if (!w->resp || mock_response_set_content_type(w->resp, "text/event-stream") != 0 ||
        mock_response_add_headers(w->resp, "Cache-Control: no-cache") != 0)
        w->failed = 1;
    else
        w->resp->chunked = 1;
}

static void sse_raw(sse_writer *w, const char *text)
{
    if (!w->failed && mock_response_add_chunk(w->resp, text, strlen(text)) != 0)
        w->failed = 1;
}

/* Adds "event: <event>\n" (when event is set) and "data: <json>\n\n"; takes
 * the reference to obj. */
static void sse_json(sse_writer *w, const char *event, json_t *obj)
{
    char *data = obj && !w->failed ? json_dumps(obj, MOCK_SSE_FLAGS) : NULL;
    json_decref(obj);
    if (!data) {
        w->failed = 1;
        return;
    }
    size_t cap = strlen(data) + (event ? strlen(event) : 0) + 32;
    char *frame = malloc(cap);
    if (frame) {
        if (event)
            snprintf(frame, cap, "event: %s\ndata: %s\n\n", event, data);
        else
            snprintf(frame, cap, "data: %s\n\n", data);
        sse_raw(w, frame);
    } else {
        w->failed = 1;
    }
    free(frame);
    free(data);
}

static mock_response *sse_end(sse_writer *w)
{
    if (w->failed) {
        mock_response_free(w->resp);
        return NULL;
    }
    return w->resp;
}

/* ---- chat completions ---------------------------------------------------- */

static json_t *chat_usage(const answer *a)
{
    return json_pack("{s:I, s:I, s:I, s:{s:i}, s:{s:i}}",
                     "prompt_tokens", (json_int_t)a->prompt_tokens,
                     "completion_tokens", (json_int_t)a->completion_tokens,
                     "total_tokens", (json_int_t)(a->prompt_tokens + a->completion_tokens),
                     "prompt_tokens_details", "cached_tokens", 0,
                     "completion_tokens_details", "reasoning_tokens", 0);
}

static mock_response *chat_object(const answer *a, const char *model)
{
    return json_response(200, json_pack(
        "{s:s, s:s, s:i, s:s, s:[{s:i, s:{s:s, s:s, s:n}, s:n, s:s}], s:o, s:s}",
        "id", "chatcmpl-mock-1", "object", "chat.completion", "created", MOCK_CREATED,
        "model", model,
        "choices", "index", 0, "message", "role", "assistant", "content", a->text,
        "refusal", "logprobs", "finish_reason", finish_reason(a),
        "usage", chat_usage(a), "system_fingerprint", "fp_mock"));
}

typedef struct chat_stream_ctx {
    sse_writer *w;
    const char *model;
    int with_usage;
} chat_stream_ctx;

/* One chat.completion.chunk with the given delta and finish reason; takes
 * the reference to delta. */
static void chat_chunk(chat_stream_ctx *c, json_t *delta, const char *finish)
{
    json_t *chunk = json_pack("{s:s, s:s, s:i, s:s, s:s, s:[{s:i, s:o, s:n, s:s?}]}",
                              "id", "chatcmpl-mock-1", "object", "chat.completion.chunk",
                              "created", MOCK_CREATED, "model", c->model,
                              "system_fingerprint", "fp_mock",
                              "choices", "index", 0, "delta", delta, "logprobs",
                              "finish_reason", finish);
    if (chunk && c->with_usage)
        json_object_set_new(chunk, "usage", json_null());
    sse_json(c->w, NULL, chunk);
}

static int chat_piece(void *ctx, const char *p, size_t n)
{
    chat_chunk(ctx, json_pack("{s:s%}", "content", p, n), NULL);
    return 0;
}

static mock_response *chat_stream(const answer *a, const char *model, int with_usage)
{
    sse_writer w;
    sse_begin(&w);
    chat_stream_ctx c = {&w, model, with_usage};
    chat_chunk(&c, json_pack("{s:s, s:s, s:n}", "role", "assistant", "content", "",
                             "refusal"), NULL);
    for_each_piece(a, chat_piece, &c);
    chat_chunk(&c, json_object(), finish_reason(a));
    if (with_usage)
        sse_json(&w, NULL, json_pack("{s:s, s:s, s:i, s:s, s:s, s:[], s:o}",
                                     "id", "chatcmpl-mock-1",
                                     "object", "chat.completion.chunk",
                                     "created", MOCK_CREATED, "model", model,
                                     "system_fingerprint", "fp_mock", "choices",
                                     "usage", chat_usage(a)));
    sse_raw(&w, "data: [DONE]\n\n");
    return sse_end(&w);
}

static mock_response *chat_completions(const json_t *body)
{
    const json_t *messages = json_object_get(body, "messages");
    char *user = last_user_text(messages);
    answer a;
    if (!user || answer_init(&a, user, body, limit_of(body, "max_completion_tokens", "max_tokens"),
                             items_tokens(messages)) != 0) {
        free(user);
        return NULL;
    }
    mock_response *r = wants_stream(body)
                           ? chat_stream(&a, model_of(body), wants_usage_chunk(body))
                           : chat_object(&a, model_of(body));
    free(a.text);
    free(user);
    return r;
}

/* ---- legacy completions -------------------------------------------------- */

static json_t *completion_usage(const answer *a)
{
    return json_pack("{s:I, s:I, s:I}", "prompt_tokens", (json_int_t)a->prompt_tokens,
                     "completion_tokens", (json_int_t)a->completion_tokens,
                     "total_tokens", (json_int_t)(a->prompt_tokens + a->completion_tokens));
}

/* One text_completion object (a whole answer or a stream chunk). */
static json_t *completion_json(const char *model, const char *text, size_t len,
                               const char *finish)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:[{s:s%, s:i, s:n, s:s?}]}",
                     "id", "cmpl-mock-1", "object", "text_completion",
                     "created", MOCK_CREATED, "model", model,
                     "choices", "text", text, len, "index", 0, "logprobs",
                     "finish_reason", finish);
}

typedef struct completion_stream_ctx {
    sse_writer *w;
    const char *model;
} completion_stream_ctx;

static int completion_piece(void *ctx, const char *p, size_t n)
{
    completion_stream_ctx *c = ctx;
    sse_json(c->w, NULL, completion_json(c->model, p, n, NULL));
    return 0;
}

static mock_response *completion_stream(const answer *a, const char *model, int with_usage)
{
    sse_writer w;
    sse_begin(&w);
    completion_stream_ctx c = {&w, model};
    for_each_piece(a, completion_piece, &c);
    sse_json(&w, NULL, completion_json(model, "", 0, finish_reason(a)));
    if (with_usage)
        sse_json(&w, NULL, json_pack("{s:s, s:s, s:i, s:s, s:[], s:o}",
                                     "id", "cmpl-mock-1", "object", "text_completion",
                                     "created", MOCK_CREATED, "model", model,
                                     "choices", "usage", completion_usage(a)));
    sse_raw(&w, "data: [DONE]\n\n");
    return sse_end(&w);
}

/* `prompt` is a string or an array whose first string is used. */
static const char *prompt_of(const json_t *body)
{
    const json_t *prompt = json_object_get(body, "prompt");
    if (json_is_array(prompt))
        prompt = json_array_get(prompt, 0);
    const char *s = json_string_value(prompt);
    return s ? s : "";
}

static mock_response *completions(const json_t *body)
{
    const char *prompt = prompt_of(body);
    answer a;
    if (answer_init(&a, prompt, body, limit_of(body, "max_tokens", NULL), count_tokens(prompt)) != 0)
        return NULL;
    const char *model = model_of(body);
    mock_response *r;
    if (wants_stream(body)) {
        r = completion_stream(&a, model, wants_usage_chunk(body));
    } else {
        json_t *obj = completion_json(model, a.text, strlen(a.text), finish_reason(&a));
        if (obj)
            json_object_set_new(obj, "usage", completion_usage(&a));
        r = json_response(200, obj);
    }
    free(a.text);
    return r;
}

/* ---- responses ----------------------------------------------------------- */

static json_t *output_text_part(const char *text)
{
    return json_pack("{s:s, s:s, s:[]}", "type", "output_text", "text", text, "annotations");
}

static json_t *message_item(const char *text, const char *status)
{
    json_t *content = text ? json_pack("[o]", output_text_part(text)) : json_array();
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", "msg_mock_1", "type", "message",
                     "status", status, "role", "assistant", "content", content);
}

/* The response object; `final` 0 gives the in-progress snapshot of a stream. */
static json_t *response_json(const answer *a, const json_t *body, int final)
{
    const char *status = !final ? "in_progress" : a->truncated ? "incomplete" : "completed";
    json_t *incomplete = final && a->truncated
                             ? json_pack("{s:s}", "reason", "max_output_tokens") : json_null();
    json_t *output = final ? json_pack("[o]", message_item(a->text, status)) : json_array();
    json_t *usage = final ? json_pack("{s:I, s:{s:i}, s:I, s:{s:i}, s:I}",
                                      "input_tokens", (json_int_t)a->prompt_tokens,
                                      "input_tokens_details", "cached_tokens", 0,
                                      "output_tokens", (json_int_t)a->completion_tokens,
                                      "output_tokens_details", "reasoning_tokens", 0,
                                      "total_tokens",
                                      (json_int_t)(a->prompt_tokens + a->completion_tokens))
                          : json_null();
    json_t *r = json_pack("{s:s, s:s, s:i, s:s, s:n, s:o, s:O, s:s, s:o, s:s, s:o}",
                          "id", "resp_mock_1", "object", "response", "created_at", MOCK_CREATED,
                          "status", status, "error", "incomplete_details", incomplete,
                          "instructions", json_object_get(body, "instructions")
                                              ? json_object_get(body, "instructions")
                                              : json_null(),
                          "model", model_of(body), "output", output,
                          "output_text", final ? a->text : "", "usage", usage);
    return r;
}

/* A responses stream event: {"type", "sequence_number", ...fields}; takes
 * the reference to fields. */
static void response_event(sse_writer *w, const char *type, json_t *fields)
{
    json_t *ev = json_pack("{s:s, s:I}", "type", type, "sequence_number", w->sequence++);
    if (ev && fields && json_object_update(ev, fields) != 0) {
        json_decref(ev);
        ev = NULL;
    }
    json_decref(fields);
    sse_json(w, type, ev);
}

static json_t *text_location(void)
{
    return json_pack("{s:s, s:i, s:i}", "item_id", "msg_mock_1", "output_index", 0,
                     "content_index", 0);
}

static int response_piece(void *ctx, const char *p, size_t n)
{
    json_t *fields = text_location();
    if (fields)
        json_object_set_new(fields, "delta", json_stringn(p, n));
    response_event(ctx, "response.output_text.delta", fields);
    return 0;
}

static mock_response *response_stream(const answer *a, const json_t *body)
{
    sse_writer w;
    sse_begin(&w);
    response_event(&w, "response.created", json_pack("{s:o}", "response", response_json(a, body, 0)));
    response_event(&w, "response.in_progress", json_pack("{s:o}", "response", response_json(a, body, 0)));
    response_event(&w, "response.output_item.added", json_pack("{s:i, s:o}", "output_index", 0,
                                                               "item", message_item(NULL, "in_progress")));
    json_t *f = text_location();
    if (f)
        json_object_set_new(f, "part", output_text_part(""));
    response_event(&w, "response.content_part.added", f);
    for_each_piece(a, response_piece, &w);
    f = text_location();
    if (f)
        json_object_set_new(f, "text", json_string(a->text));
    response_event(&w, "response.output_text.done", f);
    f = text_location();
    if (f)
        json_object_set_new(f, "part", output_text_part(a->text));
    response_event(&w, "response.content_part.done", f);
    const char *status = a->truncated ? "incomplete" : "completed";
    response_event(&w, "response.output_item.done", json_pack("{s:i, s:o}", "output_index", 0,
                                                              "item", message_item(a->text, status)));
    response_event(&w, a->truncated ? "response.incomplete" : "response.completed",
                   json_pack("{s:o}", "response", response_json(a, body, 1)));
    return sse_end(&w);
}

/* `input` is a string, or an array of input items (the last user one counts). */
static char *response_input_text(const json_t *input, size_t *tokens)
{
    if (json_is_array(input)) {
        *tokens = items_tokens(input);
        return last_user_text(input);
    }
    const char *s = json_string_value(input);
    *tokens = s ? count_tokens(s) : 0;
    return dup_string(s ? s : "");
}

static mock_response *responses(const json_t *body)
{
    size_t prompt_tokens = 0;
    char *user = response_input_text(json_object_get(body, "input"), &prompt_tokens);
    answer a;
    if (!user || answer_init(&a, user, body, limit_of(body, "max_output_tokens", NULL),
                             prompt_tokens) != 0) {
        free(user);
        return NULL;
    }
    mock_response *r = wants_stream(body) ? response_stream(&a, body)
                                          : json_response(200, response_json(&a, body, 1));
    free(a.text);
    free(user);
    return r;
}

/* ---- embeddings ---------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* Square root by Newton's method: the test support library does not link
 * libm. */
static double square_root(double x)
{
    if (x <= 0)
        return 0;
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 64; i++)
        r = 0.5 * (r + x / r);
    return r;
}

/* A unit-length vector seeded by the text (xorshift64*). */
static void embed(const char *text, float *v, size_t dim)
{
    uint64_t x = fnv1a(text) | 1;
    double norm = 0;
    for (size_t i = 0; i < dim; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        double u = (double)((x * 2685821657736338717ull) >> 11) / 9007199254740992.0;
        v[i] = (float)(2.0 * u - 1.0);
        norm += (double)v[i] * v[i];
    }
    norm = square_root(norm);
    for (size_t i = 0; i < dim && norm > 0; i++)
        v[i] = (float)(v[i] / norm);
}

static char *base64(const unsigned char *p, size_t n)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = abc[w >> 18 & 63];
        *o++ = abc[w >> 12 & 63];
        *o++ = i + 1 < n ? abc[w >> 6 & 63] : '=';
        *o++ = i + 2 < n ? abc[w & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* The embedding of one input, as a JSON array or (base64) a string of
 * little-endian float32s. */
static json_t *embedding_value(const char *text, size_t dim, int as_base64)
{
    float v[MOCK_EMBEDDING_DIM];
    embed(text, v, dim);
    if (as_base64) {
        unsigned char bytes[MOCK_EMBEDDING_DIM * 4];
        for (size_t i = 0; i < dim; i++) {
            uint32_t w;
            memcpy(&w, &v[i], 4);
            for (int b = 0; b < 4; b++)
                bytes[i * 4 + (size_t)b] = (unsigned char)(w >> (8 * b));
        }
        char *s = base64(bytes, dim * 4);
        json_t *j = s ? json_string(s) : NULL;
        free(s);
        return j;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < dim; i++)
        json_array_append_new(arr, json_real(v[i]));
    return arr;
}

/* Inputs: a string, an array of strings, one token array, or an array of
 * token arrays; non-strings are keyed by their compact JSON text. */
static int embedding_inputs(const json_t *input, const json_t **items, size_t *count)
{
    if (json_is_string(input) ||
        (json_is_array(input) && json_is_integer(json_array_get(input, 0)))) {
        items[0] = input;
        *count = 1;
        return 0;
    }
    if (!json_is_array(input) || json_array_size(input) == 0)
        return -1;
    *count = json_array_size(input);
    for (size_t i = 0; i < *count; i++)
        items[i] = json_array_get(input, i);
    return 0;
}

static json_t *embedding_data(const json_t *const *items, size_t count, int as_base64,
                              size_t *tokens)
{
    json_t *data = json_array();
    for (size_t i = 0; data && i < count; i++) {
        char *key = json_is_string(items[i]) ? dup_string(json_string_value(items[i]))
                                             : json_dumps(items[i], JSON_COMPACT | JSON_ENCODE_ANY);
        if (!key) {
            json_decref(data);
            return NULL;
        }
        *tokens += json_is_string(items[i]) ? count_tokens(key) : json_array_size(items[i]);
        json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding",
                                              "index", (json_int_t)i, "embedding",
                                              embedding_value(key, MOCK_EMBEDDING_DIM, as_base64)));
        free(key);
    }
    return data;
}

static mock_response *embeddings(const json_t *body)
{
    const json_t *input = json_object_get(body, "input");
    size_t count = json_is_array(input) ? json_array_size(input) : 1;
    const json_t **items = malloc((count ? count : 1) * sizeof *items);
    if (!items)
        return NULL;
    if (embedding_inputs(input, items, &count) != 0) {
        free(items);
        return error_response(400, "'input' must be a string or a non-empty array", "input",
                              NULL);
    }
    const char *format = json_string_value(json_object_get(body, "encoding_format"));
    size_t tokens = 0;
    json_t *data = embedding_data(items, count, format && strcmp(format, "base64") == 0, &tokens);
    free(items);
    return json_response(200, json_pack("{s:s, s:o, s:s, s:{s:I, s:I}}", "object", "list",
                                        "data", data, "model", model_of(body), "usage",
                                        "prompt_tokens", (json_int_t)tokens,
                                        "total_tokens", (json_int_t)tokens));
}

/* ---- models -------------------------------------------------------------- */

static const struct {
    const char *id;
    int created;
    const char *owned_by;
} known_models[] = {
    {"gpt-4o-mini", 1721172741, "system"},
    {MOCK_DEFAULT_MODEL, MOCK_CREATED, "mock"},
};

#define KNOWN_MODEL_COUNT (sizeof known_models / sizeof known_models[0])

static json_t *model_json(size_t i)
{
    return json_pack("{s:s, s:s, s:i, s:s}", "id", known_models[i].id, "object", "model",
                     "created", known_models[i].created, "owned_by", known_models[i].owned_by);
}

static mock_response *list_models(void)
{
    json_t *data = json_array();
    for (size_t i = 0; data && i < KNOWN_MODEL_COUNT; i++)
        json_array_append_new(data, model_json(i));
    return json_response(200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

static mock_response *get_model(const char *id)
{
    for (size_t i = 0; i < KNOWN_MODEL_COUNT; i++)
        if (strcmp(known_models[i].id, id) == 0)
            return json_response(200, model_json(i));
    char message[256];
    snprintf(message, sizeof message, "The model '%.200s' does not exist", id);
    return error_response(404, message, "model", "model_not_found");
}

static mock_response *delete_model(const char *id)
{
    return json_response(200, json_pack("{s:s, s:s, s:b}", "id", id, "object", "model",
                                        "deleted", 1));
}

/* ---- routing ------------------------------------------------------------- */

typedef mock_response *(*json_route)(const json_t *body);

static const struct {
    const char *path;
    json_route handler;
} post_routes[] = {
    {"/v1/chat/completions", chat_completions},
    {"/v1/completions", completions},
    {"/v1/responses", responses},
    {"/v1/embeddings", embeddings},
};

static mock_response *not_found(const mock_request *req)
{
    char message[512];
    snprintf(message, sizeof message, "Unknown request URL: %.20s %.400s", req->method,
             req->path);
    return error_response(404, message, NULL, "not_found");
}

/* Parses the body as a JSON object and runs the handler, or answers 400. */
static mock_response *with_json_body(const mock_request *req, json_route handler)
{
    json_error_t err;
    json_t *body = NULL;
    if (req->body_len <= MOCK_BODY_RECORD_LIMIT)
        body = json_loadb(req->body, req->body_len, 0, &err);
    if (!json_is_object(body)) {
        json_decref(body);
        return error_response(400,
                              "We could not parse the JSON body of your request: expected a "
                              "JSON object.", NULL, NULL);
    }
    /* The server's default applies when the request names none. */
    if (req->stream_pieces > 0 && !json_object_get(body, "mock_stream_pieces"))
        json_object_set_new(body, "mock_stream_pieces", json_integer(req->stream_pieces));
    mock_response *r = handler(body);
    json_decref(body);
    return r;
}

mock_response *mock_openai_respond(const mock_request *req)
{
    /* Azure OpenAI's paths (mock_azure.h), checked, then answered here. */
    if (strncmp(req->path, MOCK_AZURE_PREFIX, strlen(MOCK_AZURE_PREFIX)) == 0)
        return mock_azure_respond(req);
    mock_response *r = mock_state_respond(req);
    if (r)
        return r;
    static const char models_prefix[] = "/v1/models/";
    const size_t plen = sizeof models_prefix - 1;
    if (strcmp(req->method, "POST") == 0)
        for (size_t i = 0; i < sizeof post_routes / sizeof post_routes[0]; i++)
            if (strcmp(req->path, post_routes[i].path) == 0)
                return with_json_body(req, post_routes[i].handler);
    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/v1/models") == 0)
        return list_models();
    if (strncmp(req->path, models_prefix, plen) == 0 && req->path[plen] &&
        !strchr(req->path + plen, '/')) {
        if (strcmp(req->method, "GET") == 0)
            return get_model(req->path + plen);
        if (strcmp(req->method, "DELETE") == 0)
            return delete_model(req->path + plen);
    }
    return not_found(req);
}
