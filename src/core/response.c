/* The response object and its accessors: status, headers, body, parsed
 * JSON, API error fields, generated text and embeddings. */
#include "core/core.h"
#include "json/json.h"

#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

/* The texts oai_response_get_json_text() handed out: an open-addressing table
 * keyed by the value's address, so asking again for the same field (by any
 * pointer) returns the same text instead of keeping a new copy. */
struct json_text_cache {
    const oai_value *value;
    char *text;
};

oai_response *oai__response_new(void)
{
    oai_response *res = oai__calloc(1, sizeof *res);
    if (!res)
        return NULL;
    res->headers.ignore_case = 1;
    res->headers.packed = 1; /* one allocation for all the headers */
    res->retry_after_ms = -1;
    res->first_byte_us = -1;
    return res;
}

OAI_API void oai_response_free(oai_response *res)
{
    if (!res)
        return;
    oai__kvlist_free(&res->headers);
    oai__buf_free(&res->body);
    oai__json_decref(res->tree);
    oai__free(res->error_message);
    oai__free(res->error_type);
    oai__free(res->error_code);
    oai__free(res->error_param);
    oai__free(res->text);
    for (size_t i = 0; i < res->dump_cap; i++)
        oai__free(res->dumps[i].text);
    oai__free(res->dumps);
    for (size_t i = 0; i < res->embedding_slots; i++)
        oai__free(res->embeddings[i]);
    oai__free(res->embeddings);
    oai__free(res->embedding_dims);
    oai__free(res);
}

void oai__response_fail(oai_response *res, oai_status status, const char *message)
{
    res->status = status;
    /* Without memory for the copy, no message is better than an earlier,
     * unrelated one: oai_response_error_message() then gives the status's. */
    if (oai__set_str(&res->error_message, message ? message : oai_status_message(status)) != OAI_OK) {
        oai__free(res->error_message);
        res->error_message = NULL;
    }
}

oai_response *oai__response_new_failed(oai_status status, const char *message)
{
    oai_response *res = oai__response_new();
    if (res)
        oai__response_fail(res, status, message);
    return res;
}

void oai__response_set_json(oai_response *res, oai_value *json)
{
    oai__json_decref(res->tree);
    res->tree = json;
    res->tree_pending = 0;
}

void oai__response_share_json(oai_response *to, const oai_response *from)
{
    oai__response_set_json(to, from->tree ? oai__json_incref(from->tree) : NULL);
    to->tree_pending = from->tree_pending;
    to->chat_content = from->chat_content;
    to->legacy_text = from->legacy_text;
}

/* The response's document: the tree, built now from the validated body if
 * it was not yet. NULL when there is none, or when memory ran out (a later
 * call tries again). */
static oai_value *response_tree(const oai_response *res)
{
    if (!res->tree_pending)
        return res->tree;
    oai_status st = OAI_OK;
    oai_value *doc = oai__json_parse(res->body.data, res->body.len, &st);
    if (!doc && st == OAI_ERR_OUT_OF_MEMORY)
        return NULL;
    /* The cache is logically const: the document was validated already. */
    oai__response_set_json((oai_response *)res, doc);
    return doc;
}

oai_status oai__response_build_tree(oai_response *res)
{
    if (res->tree_pending)
        (void)response_tree(res); /* pending still: memory ran out */
    return res->tree_pending ? OAI_ERR_OUT_OF_MEMORY : OAI_OK;
}

/* Copies a string-or-number field of an error object as text. */
static void copy_error_field(char **slot, const oai_value *err, const char *key)
{
    const oai_value *v = oai__json_object_get(err, key);
    int t = oai_value_type_of(v);
    if (t == OAI_VALUE_STRING) {
        oai__set_str(slot, oai_value_string(v));
    } else if (t == OAI_VALUE_INT || t == OAI_VALUE_NUMBER) {
        char *text = oai__json_dump(v, NULL);
        oai__free(*slot);
        *slot = text;
    }
}

void oai__response_set_api_error(oai_response *res, const oai_value *err)
{
    copy_error_field(&res->error_message, err, "message");
    copy_error_field(&res->error_type, err, "type");
    copy_error_field(&res->error_code, err, "code");
    copy_error_field(&res->error_param, err, "param");
}

/* A non-JSON error body (a proxy's HTML page, plain text) becomes a short,
 * printable message. Without memory for all of it there is none (never a
 * message with bytes missing): oai_response_error_message() then gives the
 * status's. */
static void set_text_error(oai_response *res)
{
    oai__buf msg = {0};
    size_t n = res->body.len < 200 ? res->body.len : 200;
    /* Cut before a UTF-8 character the limit would split. */
    if (n < res->body.len)
        while (n > 0 && ((unsigned char)res->body.data[n] & 0xC0) == 0x80)
            n--;
    oai_status st = oai__buf_printf(&msg, "HTTP %d%s", res->http_status, n ? ": " : "");
    for (size_t i = 0; st == OAI_OK && i < n; i++) {
        unsigned char ch = (unsigned char)res->body.data[i];
        char c = (ch < 32 || ch == 127) ? ' ' : (char)ch;
        st = oai__buf_append(&msg, &c, 1);
    }
    oai__free(res->error_message);
    res->error_message = NULL;
    if (st == OAI_OK)
        res->error_message = msg.data;
    else
        oai__buf_free(&msg);
}

static int is_json_content(const oai_response *res)
{
    const char *ct = oai_response_header(res, "content-type");
    /* JSON Lines (batch results, training files) is not one JSON document. */
    if (ct && (strstr(ct, "jsonl") || strstr(ct, "ndjson") || strstr(ct, "json-seq")))
        return 0;
    if (ct)
        return strstr(ct, "json") != NULL;
    /* No Content-Type: sniff. */
    size_t i = 0;
    while (i < res->body.len && strchr(" \t\r\n", res->body.data[i]))
        i++;
    return i < res->body.len && (res->body.data[i] == '{' || res->body.data[i] == '[');
}

static void finish_error_body(oai_response *res)
{
    res->status = oai__status_from_http(res->http_status);
    oai_value *doc = res->body.len ? oai__json_parse(res->body.data, res->body.len, NULL) : NULL;
    const oai_value *err = NULL;
    if (doc) {
        oai__response_set_json(res, doc);
        const oai_value *nested = oai__json_object_get(doc, "error");
        if (oai_value_type_of(nested) == OAI_VALUE_OBJECT)
            err = nested;
        else if (oai_value_type_of(nested) == OAI_VALUE_STRING)
            /* Express: {"error":"Not Found","message":"Cannot POST /v1/x"}
             * says more in its message than in its error. */
            oai__set_str(&res->error_message, oai_value_get_string(doc, "/message")
                                                 ? oai_value_get_string(doc, "/message")
                                                 : oai_value_string(nested));
        else if (oai__json_object_get(doc, "message"))
            err = doc; /* flat body: vLLM, some gateways */
    }
    if (err)
        oai__response_set_api_error(res, err);
    if (!res->error_message && doc && oai__json_object_get(doc, "detail")) {
        /* FastAPI-style {"detail": "..."} bodies. */
        const char *d = oai_value_get_string(doc, "/detail");
        if (d)
            oai__set_str(&res->error_message, d);
    }
    if (!res->error_message)
        set_text_error(res);
}

/* A 2xx body that is not what a JSON endpoint answers: a web UI's or a
 * captive portal's HTML page, an event stream, plain text. */
static void fail_not_json(oai_response *res)
{
    const char *ct = oai_response_header(res, "content-type");
    oai__buf msg = {0};
    oai_status st;
    if (res->body.len == 0)
        st = oai__buf_append_str(&msg, "expected JSON, got an empty body");
    else if (ct && *ct)
        st = oai__buf_printf(&msg, "expected JSON, got %.*s", (int)strcspn(ct, "; \t"), ct);
    else
        st = oai__buf_append_str(&msg, "expected JSON, got a body that is not JSON");
    oai__response_fail(res, OAI_ERR_PROTOCOL, st == OAI_OK ? msg.data : NULL);
    oai__buf_free(&msg);
}

void oai__response_finish_body(oai_response *res, int expect_json, int empty_ok)
{
    if (res->http_status < 200 || res->http_status > 299) {
        finish_error_body(res);
        return;
    }
    res->status = OAI_OK;
    if (!expect_json || (res->body.len == 0 && empty_ok))
        return;
    int declared = is_json_content(res);
    /* The body is validated, not parsed: most callers read only the text,
     * so the tree is built when an accessor first needs it. The generated
     * text's place is noted on the way. */
    static const char *const content_path[] = {"choices", "0", "message", "content"};
    static const char *const text_path[] = {"choices", "0", "text"};
    oai__json_watch watches[2];
    memset(watches, 0, sizeof watches);
    watches[0].tokens = content_path;
    watches[0].count = 4;
    watches[1].tokens = text_path;
    watches[1].count = 3;
    int type = OAI_VALUE_NONE;
    oai_status st = res->body.len ? oai__json_scan(res->body.data, res->body.len, &type, watches, 2)
                                  : OAI_ERR_PROTOCOL;
    if (st == OAI_ERR_OUT_OF_MEMORY) {
        oai__response_fail(res, st, NULL);
        return;
    }
    /* Like the official SDKs, a body that parses is taken whatever its
     * Content-Type says, but only an object or an array when the type does
     * not say JSON: a bare word or number is no API answer. */
    if (st == OAI_OK && (declared || type == OAI_VALUE_OBJECT || type == OAI_VALUE_ARRAY)) {
        oai__response_set_json(res, NULL);
        res->tree_pending = 1;
        res->chat_content = (struct oai__text_span){watches[0].found, watches[0].at, watches[0].len};
        res->legacy_text = (struct oai__text_span){watches[1].found, watches[1].at, watches[1].len};
        return;
    }
    if (declared && res->body.len)
        oai__response_fail(res, OAI_ERR_PROTOCOL, "the server answered 2xx with a body that is not valid JSON");
    else
        fail_not_json(res);
}

OAI_API oai_status oai_response_status(const oai_response *res)
{
    return res ? res->status : OAI_ERR_OUT_OF_MEMORY;
}

OAI_API int oai_response_http_status(const oai_response *res)
{
    return res ? res->http_status : 0;
}

OAI_API const char *oai_response_header(const oai_response *res, const char *name)
{
    const oai__kv *kv = (res && name) ? oai__kvlist_find(&res->headers, name) : NULL;
    return kv ? kv->value : NULL;
}

OAI_API size_t oai_response_header_count(const oai_response *res)
{
    return res ? res->headers.count : 0;
}

OAI_API const char *oai_response_header_name(const oai_response *res, size_t index)
{
    return (res && index < res->headers.count) ? res->headers.items[index].name : NULL;
}

OAI_API const char *oai_response_header_value(const oai_response *res, size_t index)
{
    return (res && index < res->headers.count) ? res->headers.items[index].value : NULL;
}

OAI_API const char *oai_response_body(const oai_response *res)
{
    return (res && res->body.data) ? res->body.data : "";
}

OAI_API size_t oai_response_body_len(const oai_response *res)
{
    return res ? res->body.len : 0;
}

OAI_API const oai_value *oai_response_json(const oai_response *res)
{
    return res ? response_tree(res) : NULL;
}

OAI_API const oai_value *oai_response_get(const oai_response *res, const char *pointer)
{
    return (res && pointer) ? oai_value_get(response_tree(res), pointer) : NULL;
}

OAI_API const char *oai_response_get_string(const oai_response *res, const char *pointer)
{
    return oai_value_string(oai_response_get(res, pointer));
}

OAI_API int64_t oai_response_get_int(const oai_response *res, const char *pointer)
{
    return oai_value_int(oai_response_get(res, pointer));
}

OAI_API double oai_response_get_number(const oai_response *res, const char *pointer)
{
    return oai_value_number(oai_response_get(res, pointer));
}

OAI_API int oai_response_get_bool(const oai_response *res, const char *pointer)
{
    return oai_value_bool(oai_response_get(res, pointer));
}

OAI_API size_t oai_response_get_count(const oai_response *res, const char *pointer)
{
    return oai_value_count(oai_response_get(res, pointer));
}

static size_t cache_slot(const struct json_text_cache *t, size_t cap, const oai_value *v)
{
    size_t i = (size_t)(((uintptr_t)v >> 4) * 2654435761u) & (cap - 1);
    while (t[i].value && t[i].value != v)
        i = (i + 1) & (cap - 1);
    return i;
}

/* Keeps the table at most half full. */
static int cache_grow(oai_response *res)
{
    if ((res->dump_count + 1) * 2 <= res->dump_cap)
        return 0;
    size_t cap = res->dump_cap ? res->dump_cap * 2 : 16;
    struct json_text_cache *t = oai__calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < res->dump_cap; i++)
        if (res->dumps[i].value)
            t[cache_slot(t, cap, res->dumps[i].value)] = res->dumps[i];
    oai__free(res->dumps);
    res->dumps = t;
    res->dump_cap = cap;
    return 0;
}

OAI_API const char *oai_response_get_json_text(const oai_response *res, const char *pointer)
{
    const oai_value *v = oai_response_get(res, pointer);
    if (!v)
        return NULL;
    /* The cache is logically const: it only keeps memory alive. */
    oai_response *mut = (oai_response *)res;
    if (mut->dump_cap) {
        size_t i = cache_slot(mut->dumps, mut->dump_cap, v);
        if (mut->dumps[i].value)
            return mut->dumps[i].text;
    }
    if (cache_grow(mut) != 0)
        return NULL;
    char *text = oai__json_dump(v, NULL);
    if (!text)
        return NULL;
    size_t i = cache_slot(mut->dumps, mut->dump_cap, v);
    mut->dumps[i].value = v;
    mut->dumps[i].text = text;
    mut->dump_count++;
    return text;
}

/* The Responses API: concatenate every output_text part of every message.
 * NULL when there is none, or when memory ran out (*oom is then set). */
static char *responses_text(const oai_value *doc, int *oom)
{
    const oai_value *output = oai_value_get(doc, "/output");
    oai__buf b = {0};
    int found = 0;
    char *text;
    for (size_t i = 0; i < oai_value_count(output); i++) {
        const oai_value *content = oai_value_get(oai_value_item(output, i), "/content");
        for (size_t j = 0; j < oai_value_count(content); j++) {
            const oai_value *part = oai_value_item(content, j);
            const char *type = oai_value_get_string(part, "/type");
            const oai_value *piece = oai_value_get(part, "/text");
            if (!type || strcmp(type, "output_text") != 0 || !oai_value_string(piece))
                continue;
            found = 1;
            if (oai__buf_append(&b, oai_value_string(piece), oai_value_string_len(piece)) != OAI_OK) {
                oai__buf_free(&b);
                *oom = 1;
                return NULL;
            }
        }
    }
    if (!found) {
        const char *flat = oai_value_get_string(doc, "/output_text");
        text = flat ? oai__strdup(flat) : NULL;
        *oom = flat && !text;
        return text;
    }
    text = oai__buf_take(&b);
    *oom = !text;
    return text;
}

/* The text of a string the validation of the body found: decoded once,
 * kept in the text cache. */
static const char *span_text(oai_response *res, const struct oai__text_span *span)
{
    res->text = oai__json_string_decode(res->body.data, span->at, span->len, NULL);
    res->text_done = res->text != NULL; /* after a failure, the next call tries again */
    return res->text;
}

OAI_API const char *oai_response_text(const oai_response *res)
{
    if (!res)
        return NULL;
    oai_response *mut = (oai_response *)res;
    if (mut->text_done)
        return mut->text;
    if (res->tree_pending) {
        /* What the tree would give, without building it. */
        if (res->chat_content.found == OAI_JSON_WATCH_STRING)
            return span_text(mut, &res->chat_content);
        if (res->legacy_text.found == OAI_JSON_WATCH_STRING)
            return span_text(mut, &res->legacy_text);
    }
    const oai_value *doc = response_tree(res);
    if (!doc)
        return NULL;
    const char *s = oai_value_get_string(doc, "/choices/0/message/content");
    if (!s)
        s = oai_value_get_string(doc, "/choices/0/text");
    if (s)
        return s;
    int oom = 0;
    mut->text = responses_text(doc, &oom);
    mut->text_done = !oom; /* after a failure, the next call tries again */
    return mut->text;
}

/* Decodes a base64 embedding: little-endian float32 values. */
static double *decode_base64_floats(const char *b64, size_t b64_len, size_t *dim)
{
    if (b64_len % 4 != 0 || b64_len > 0x7ffffff0u)
        return NULL;
    unsigned char *raw = oai__malloc(b64_len / 4 * 3 + 1);
    if (!raw)
        return NULL;
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64_len);
    if (n < 0) {
        oai__free(raw);
        return NULL;
    }
    /* EVP_DecodeBlock counts padding bytes as data; remove them. */
    if (b64_len >= 1 && b64[b64_len - 1] == '=')
        n--;
    if (b64_len >= 2 && b64[b64_len - 2] == '=')
        n--;
    size_t count = (size_t)n / 4;
    double *out = oai__malloc((count ? count : 1) * sizeof *out);
    for (size_t i = 0; out && i < count; i++) {
        uint32_t bits = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                        (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
        float f;
        memcpy(&f, &bits, sizeof f);
        out[i] = f;
    }
    oai__free(raw);
    *dim = count;
    return out;
}

static double *decode_embedding(const oai_value *emb, size_t *dim)
{
    if (oai_value_type_of(emb) == OAI_VALUE_STRING)
        return decode_base64_floats(oai_value_string(emb), oai_value_string_len(emb), dim);
    size_t n = oai_value_count(emb);
    if (oai_value_type_of(emb) != OAI_VALUE_ARRAY)
        return NULL;
    double *out = oai__malloc((n ? n : 1) * sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = oai_value_number(oai_value_item(emb, i));
    *dim = n;
    return out;
}

OAI_API size_t oai_response_embedding_count(const oai_response *res)
{
    return oai_response_get_count(res, "/data");
}

OAI_API const double *oai_response_embedding(const oai_response *res, size_t index, size_t *dim)
{
    if (dim)
        *dim = 0;
    size_t items = oai_response_get_count(res, "/data");
    if (!res || index >= items)
        return NULL;
    oai_response *mut = (oai_response *)res;
    if (!mut->embeddings) {
        mut->embeddings = oai__calloc(items, sizeof *mut->embeddings);
        mut->embedding_dims = oai__calloc(items, sizeof *mut->embedding_dims);
        if (!mut->embeddings || !mut->embedding_dims) {
            oai__free(mut->embeddings);
            oai__free(mut->embedding_dims);
            mut->embeddings = NULL;
            mut->embedding_dims = NULL;
            return NULL;
        }
        mut->embedding_slots = items;
    }
    if (!mut->embeddings[index]) {
        const oai_value *item = oai_value_item(oai_response_get(res, "/data"), index);
        mut->embeddings[index] = decode_embedding(oai_value_get(item, "/embedding"),
                                                  &mut->embedding_dims[index]);
    }
    if (dim && mut->embeddings[index])
        *dim = mut->embedding_dims[index];
    return mut->embeddings[index];
}

OAI_API size_t oai_response_embedding_float(const oai_response *res, size_t index, float *out,
                                            size_t capacity)
{
    size_t dim = 0;
    const double *v = oai_response_embedding(res, index, &dim);
    for (size_t i = 0; v && out && i < dim && i < capacity; i++)
        out[i] = (float)v[i];
    return v ? dim : 0;
}

OAI_API const char *oai_response_error_message(const oai_response *res)
{
    if (!res)
        return oai_status_message(OAI_ERR_OUT_OF_MEMORY);
    if (res->status == OAI_OK)
        return NULL;
    return res->error_message ? res->error_message : oai_status_message(res->status);
}

OAI_API const char *oai_response_error_type(const oai_response *res)
{
    return res ? res->error_type : NULL;
}

OAI_API const char *oai_response_error_code(const oai_response *res)
{
    return res ? res->error_code : NULL;
}

OAI_API const char *oai_response_error_param(const oai_response *res)
{
    return res ? res->error_param : NULL;
}

OAI_API const char *oai_response_request_id(const oai_response *res)
{
    return oai_response_header(res, "x-request-id");
}

OAI_API int oai_response_retry_count(const oai_response *res)
{
    return res ? res->retries : 0;
}

OAI_API int64_t oai_response_retry_after_ms(const oai_response *res)
{
    return res ? res->retry_after_ms : -1;
}

OAI_API int64_t oai_response_total_time_us(const oai_response *res)
{
    return res ? res->total_us : 0;
}

OAI_API int64_t oai_response_first_byte_time_us(const oai_response *res)
{
    return res ? res->first_byte_us : -1;
}
