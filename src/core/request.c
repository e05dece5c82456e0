/* The request object: method, path, query, headers, a JSON body edited by
 * JSON Pointer, multipart parts and per-request options. */
#include "core/core.h"
#include "json/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A failed request's setters change nothing and return its status. */
#define RETURN_IF_FAILED(r)                                                    \
    do {                                                                       \
        if ((r) && (r)->status != OAI_OK)                                      \
            return (r)->status;                                                \
    } while (0)

static int method_ok(const char *m)
{
    if (!m || !*m)
        return 0;
    for (; *m; m++)
        if (*m < 'A' || *m > 'Z')
            return 0;
    return 1;
}

static int path_ok(const char *p)
{
    if (!p)
        return 0;
    int absolute = strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0;
    if (p[0] != '/' && !absolute)
        return 0;
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c <= 32 || *c == 127)
            return 0;
    return 1;
}

static void init_defaults(oai_request *r)
{
    r->query.ignore_case = 0;
    r->headers.ignore_case = 1;
    r->timeout_ms = -1;
    r->idle_timeout_ms = -1;
    r->first_byte_timeout_ms = -1;
    r->max_retries = -1;
    r->accumulate = 1;
}

oai_request *oai__request_failed(oai_status status, const char *fmt, ...)
{
    if (status == OAI_OK || status == OAI_ERR_OUT_OF_MEMORY)
        return NULL;
    oai_request *r = oai__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    init_defaults(r);
    r->status = status;
    oai__buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    oai_status st = oai__buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (st != OAI_OK) {
        oai__buf_free(&msg);
        oai__free(r);
        return NULL;
    }
    r->error_message = msg.data;
    return r;
}

oai_request *oai__request_check(oai_request *r, oai_status st, const char *function, const char *what)
{
    if (st == OAI_OK && r)
        return r;
    oai_request_free(r);
    if (st == OAI_OK || st == OAI_ERR_OUT_OF_MEMORY)
        return NULL;
    return oai__request_failed(st, "%s: %s", function, what);
}

oai_status oai__request_failure(const oai_request *r, const char **message)
{
    *message = r ? r->error_message : NULL;
    return r ? r->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API oai_status oai_request_status(const oai_request *r)
{
    return r ? r->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_request_error_message(const oai_request *r)
{
    return r ? r->error_message : NULL;
}

OAI_API oai_request *oai_request_new(const char *method, const char *path)
{
    if (!method_ok(method))
        return oai__request_failed(OAI_ERR_INVALID_ARGUMENT,
                                   "oai_request_new: the method must be upper-case letters, like \"POST\"");
    if (!path_ok(path))
        return oai__request_failed(OAI_ERR_INVALID_ARGUMENT,
                                   "oai_request_new: the path must start with '/' (or be a full http(s) URL) "
                                   "and hold no space or control character");
    /* The method and the path live after the request, in its block. */
    size_t method_len = strlen(method) + 1, path_len = strlen(path) + 1;
    if (path_len > SIZE_MAX - sizeof(oai_request) - method_len)
        return NULL;
    oai_request *r = oai__calloc(1, sizeof *r + method_len + path_len);
    if (!r)
        return NULL;
    init_defaults(r);
    r->method = memcpy((char *)(r + 1), method, method_len);
    r->path = memcpy(r->method + method_len, path, path_len);
    r->names_inline = 1;
    return r;
}

static void free_part(oai__req_part *p)
{
    oai__free(p->name);
    oai__free(p->value);
    oai__free(p->data);
    oai__free(p->path);
    oai__free(p->filename);
    oai__free(p->mime_type);
}

OAI_API void oai_request_free(oai_request *r)
{
    if (!r)
        return;
    if (!r->names_inline) {
        oai__free(r->method);
        oai__free(r->path);
    }
    oai__json_decref(r->body);
    oai__kvlist_free(&r->query);
    oai__kvlist_free(&r->headers);
    oai__free(r->idempotency_key);
    oai__free(r->output_file);
    for (size_t i = 0; i < r->part_count; i++)
        free_part(&r->parts[i]);
    oai__free(r->parts);
    oai__free(r->error_message);
    oai__free(r);
}

static int copy_part(oai__req_part *dst, const oai__req_part *src)
{
    *dst = *src;
    dst->name = oai__strdup(src->name);
    dst->value = oai__strdup(src->value);
    dst->path = oai__strdup(src->path);
    dst->filename = oai__strdup(src->filename);
    dst->mime_type = oai__strdup(src->mime_type);
    dst->data = NULL;
    if (src->data && (dst->data = oai__malloc(src->len ? src->len : 1)))
        memcpy(dst->data, src->data, src->len);
    return (src->name && !dst->name) || (src->value && !dst->value) ||
                   (src->path && !dst->path) || (src->filename && !dst->filename) ||
                   (src->mime_type && !dst->mime_type) || (src->data && !dst->data)
               ? -1
               : 0;
}

OAI_API oai_request *oai_request_clone(const oai_request *src)
{
    if (!src)
        return NULL;
    oai_request *r = oai__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    *r = *src;
    r->names_inline = 0;
    r->method = r->path = r->idempotency_key = r->output_file = r->error_message = NULL;
    r->body = NULL;
    memset(&r->query, 0, sizeof r->query);
    memset(&r->headers, 0, sizeof r->headers);
    r->parts = NULL;
    r->part_count = 0;
    /* A failed request has no method and no path. */
    int fail = (src->method && !(r->method = oai__strdup(src->method))) ||
               (src->path && !(r->path = oai__strdup(src->path)));
    fail |= src->error_message && !(r->error_message = oai__strdup(src->error_message));
    fail |= src->idempotency_key && !(r->idempotency_key = oai__strdup(src->idempotency_key));
    fail |= src->output_file && !(r->output_file = oai__strdup(src->output_file));
    fail |= src->body && !(r->body = oai__json_deep_copy(src->body));
    fail |= oai__kvlist_copy(&r->query, &src->query) != OAI_OK;
    fail |= oai__kvlist_copy(&r->headers, &src->headers) != OAI_OK;
    if (!fail && src->part_count) {
        r->parts = oai__calloc(src->part_count, sizeof *r->parts);
        fail = !r->parts;
        for (size_t i = 0; !fail && i < src->part_count; i++) {
            fail = copy_part(&r->parts[i], &src->parts[i]) != 0;
            r->part_count = i + 1;
        }
    }
    if (fail) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}

/* ---- what a started call keeps ------------------------------------------- */

/* Where the next piece of a snapshot goes: counting (out == NULL), then
 * copying into one block. */
typedef struct arena {
    char *out;
    size_t used;
} arena;

/* The strictest alignment the pieces need (C99 has no max_align_t). */
typedef union strictest {
    void *p;
    long long ll;
    double d;
    long double ld;
} strictest;

static size_t round_up(size_t n)
{
    size_t a = sizeof(strictest);
    return (n + a - 1) / a * a;
}

/* Room for n bytes (not aligned: strings and bytes); NULL while counting. */
static char *arena_take(arena *a, size_t n)
{
    char *p = a->out ? a->out + a->used : NULL;
    a->used += n;
    return p;
}

static char *arena_str(arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = arena_take(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Lays the snapshot out: the request, its headers, its parts, then the
 * strings and part bytes. Returns the size it needs. */
static size_t snapshot_layout(const oai_request *src, arena *a, oai_request **out)
{
    size_t headers_at = round_up(sizeof(oai_request));
    size_t parts_at = headers_at + round_up(src->headers.count * sizeof(oai__kv));
    a->used = parts_at + round_up(src->part_count * sizeof(oai__req_part));
    oai_request *r = a->out ? (oai_request *)(void *)a->out : NULL;
    if (r) {
        memset(r, 0, sizeof *r);
        r->query.ignore_case = 0;
        r->headers.ignore_case = 1;
        r->headers.items = src->headers.count ? (oai__kv *)(void *)(a->out + headers_at) : NULL;
        r->headers.count = r->headers.cap = src->headers.count;
        r->parts = src->part_count ? (oai__req_part *)(void *)(a->out + parts_at) : NULL;
        r->part_count = src->part_count;
        r->timeout_ms = src->timeout_ms;
        r->idle_timeout_ms = src->idle_timeout_ms;
        r->first_byte_timeout_ms = src->first_byte_timeout_ms;
        r->max_retries = src->max_retries;
        r->progress_fn = src->progress_fn;
        r->progress_ud = src->progress_ud;
        r->data_fn = src->data_fn;
        r->data_ud = src->data_ud;
        r->raw_response = src->raw_response;
        r->event_fn = src->event_fn;
        r->event_ud = src->event_ud;
        r->stream_pull = src->stream_pull;
        r->accumulate = src->accumulate;
    }
    char *method = arena_str(a, src->method), *path = arena_str(a, src->path);
    char *output_file = arena_str(a, src->output_file);
    if (r) {
        r->method = method;
        r->path = path;
        r->output_file = output_file;
    }
    for (size_t i = 0; i < src->headers.count; i++) {
        char *name = arena_str(a, src->headers.items[i].name);
        char *value = arena_str(a, src->headers.items[i].value);
        if (r)
            r->headers.items[i] = (oai__kv){name, value};
    }
    for (size_t i = 0; i < src->part_count; i++) {
        const oai__req_part *p = &src->parts[i];
        oai__req_part copy = *p;
        copy.name = arena_str(a, p->name);
        copy.value = arena_str(a, p->value);
        copy.path = arena_str(a, p->path);
        copy.filename = arena_str(a, p->filename);
        copy.mime_type = arena_str(a, p->mime_type);
        if (p->data) {
            copy.data = arena_take(a, p->len ? p->len : 1);
            if (copy.data && p->len)
                memcpy(copy.data, p->data, p->len);
        }
        if (r)
            r->parts[i] = copy;
    }
    *out = r;
    return a->used;
}

oai_request *oai__request_snapshot(const oai_request *src)
{
    arena a = {NULL, 0};
    oai_request *r = NULL;
    /* Everything counted is held in the request's own allocations, so the
     * sum cannot wrap. */
    size_t size = snapshot_layout(src, &a, &r);
    a.out = oai__malloc(size);
    if (!a.out)
        return NULL;
    snapshot_layout(src, &a, &r);
    return r;
}

OAI_API const char *oai_request_method(const oai_request *r)
{
    return r ? r->method : NULL;
}

OAI_API const char *oai_request_path(const oai_request *r)
{
    return r ? r->path : NULL;
}

/* Every body setter funnels through here; `value` is stolen. */
static oai_status set_value(oai_request *r, const char *pointer, oai_value *value, int made)
{
    if (!r || !pointer) {
        oai__json_decref(value);
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if (!made)
        return OAI_ERR_OUT_OF_MEMORY;
    return oai__json_pointer_set(&r->body, pointer, value);
}

OAI_API oai_status oai_request_set_string_len(oai_request *r, const char *pointer,
                                              const char *value, size_t len)
{
    RETURN_IF_FAILED(r);
    if (!value)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_value *v = oai__json_string(value, len);
    if (!v && r && pointer)
        return oai__json_string_failure(value, len);
    return set_value(r, pointer, v, v != NULL);
}

OAI_API oai_status oai_request_set_string(oai_request *r, const char *pointer, const char *value)
{
    return oai_request_set_string_len(r, pointer, value, value ? strlen(value) : 0);
}

OAI_API oai_status oai_request_set_int(oai_request *r, const char *pointer, int64_t value)
{
    RETURN_IF_FAILED(r);
    oai_value *v = oai__json_int(value);
    return set_value(r, pointer, v, v != NULL);
}

OAI_API oai_status oai_request_set_number(oai_request *r, const char *pointer, double value)
{
    RETURN_IF_FAILED(r);
    if (!isfinite(value))
        return OAI_ERR_INVALID_ARGUMENT;
    oai_value *v = oai__json_number(value);
    return set_value(r, pointer, v, v != NULL);
}

OAI_API oai_status oai_request_set_bool(oai_request *r, const char *pointer, int value)
{
    RETURN_IF_FAILED(r);
    oai_value *v = oai__json_bool(value);
    return set_value(r, pointer, v, v != NULL);
}

OAI_API oai_status oai_request_set_null(oai_request *r, const char *pointer)
{
    RETURN_IF_FAILED(r);
    oai_value *v = oai__json_null();
    return set_value(r, pointer, v, v != NULL);
}

OAI_API oai_status oai_request_set_json(oai_request *r, const char *pointer, const char *json)
{
    RETURN_IF_FAILED(r);
    if (!json)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_status st = OAI_OK;
    oai_value *v = oai__json_parse(json, strlen(json), &st);
    if (!v)
        return st == OAI_ERR_OUT_OF_MEMORY ? st : OAI_ERR_INVALID_ARGUMENT;
    return set_value(r, pointer, v, 1);
}

OAI_API oai_status oai_request_remove_field(oai_request *r, const char *pointer)
{
    if (!r || !pointer)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    if (!r->body)
        return OAI_ERR_NOT_FOUND;
    return oai__json_pointer_remove(r->body, pointer);
}

OAI_API const oai_value *oai_request_get(const oai_request *r, const char *pointer)
{
    return r ? oai_value_get(r->body, pointer) : NULL;
}

OAI_API const char *oai_request_get_string(const oai_request *r, const char *pointer)
{
    return oai_value_string(oai_request_get(r, pointer));
}

OAI_API int64_t oai_request_get_int(const oai_request *r, const char *pointer)
{
    return oai_value_int(oai_request_get(r, pointer));
}

OAI_API double oai_request_get_number(const oai_request *r, const char *pointer)
{
    return oai_value_number(oai_request_get(r, pointer));
}

OAI_API int oai_request_get_bool(const oai_request *r, const char *pointer)
{
    return oai_value_bool(oai_request_get(r, pointer));
}

OAI_API size_t oai_request_get_count(const oai_request *r, const char *pointer)
{
    return oai_value_count(oai_request_get(r, pointer));
}

OAI_API char *oai_request_body_dup(const oai_request *r)
{
    return (r && r->body) ? oai__json_dump(r->body, NULL) : NULL;
}

OAI_API oai_status oai_request_set_query(oai_request *r, const char *name, const char *value)
{
    if (!r || !name || !*name)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    if (!value) {
        oai__kvlist_remove(&r->query, name);
        return OAI_OK;
    }
    return oai__kvlist_set(&r->query, name, value);
}

OAI_API const char *oai_request_query(const oai_request *r, const char *name)
{
    const oai__kv *kv = (r && name) ? oai__kvlist_find(&r->query, name) : NULL;
    return kv ? kv->value : NULL;
}

OAI_API oai_status oai_request_set_header(oai_request *r, const char *name, const char *value)
{
    if (!r || !oai__header_name_ok(name) || (value && !oai__header_value_ok(value)))
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    return oai__kvlist_set(&r->headers, name, value);
}

static oai_status set_override(oai_request *r, int64_t *slot, int64_t ms)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    *slot = ms < 0 ? -1 : ms;
    return OAI_OK;
}

OAI_API oai_status oai_request_set_timeout_ms(oai_request *r, int64_t ms)
{
    return set_override(r, r ? &r->timeout_ms : NULL, ms);
}

OAI_API oai_status oai_request_set_idle_timeout_ms(oai_request *r, int64_t ms)
{
    return set_override(r, r ? &r->idle_timeout_ms : NULL, ms);
}

OAI_API oai_status oai_request_set_first_byte_timeout_ms(oai_request *r, int64_t ms)
{
    return set_override(r, r ? &r->first_byte_timeout_ms : NULL, ms);
}

OAI_API oai_status oai_request_set_max_retries(oai_request *r, int max_retries)
{
    if (!r || max_retries > 100)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    r->max_retries = max_retries < 0 ? -1 : max_retries;
    return OAI_OK;
}

OAI_API oai_status oai_request_set_idempotency_key(oai_request *r, const char *key)
{
    if (!r || (key && !oai__header_value_ok(key)))
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    return oai__set_str(&r->idempotency_key, key);
}

OAI_API oai_status oai_request_set_output_file(oai_request *r, const char *path)
{
    if (!r || (path && !*path))
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    return oai__set_str(&r->output_file, path);
}

OAI_API oai_status oai_request_set_progress_callback(oai_request *r, oai_progress_fn fn, void *userdata)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    r->progress_fn = fn;
    r->progress_ud = fn ? userdata : NULL;
    return OAI_OK;
}

OAI_API oai_status oai_request_set_data_callback(oai_request *r, oai_data_fn fn, void *userdata)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    r->data_fn = fn;
    r->data_ud = fn ? userdata : NULL;
    return OAI_OK;
}

OAI_API oai_status oai_request_set_raw_response(oai_request *r, int enabled)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    r->raw_response = enabled != 0;
    return OAI_OK;
}

static oai_status add_part(oai_request *r, const oai__req_part *tmpl)
{
    oai__req_part *p = oai__realloc(r->parts, (r->part_count + 1) * sizeof *p);
    if (!p)
        return OAI_ERR_OUT_OF_MEMORY;
    r->parts = p;
    if (copy_part(&p[r->part_count], tmpl) != 0) {
        free_part(&p[r->part_count]);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    r->part_count++;
    return OAI_OK;
}

static int part_strings_ok(const char *name, const char *filename, const char *mime)
{
    return name && *name && oai__header_value_ok(name) && (!filename || oai__header_value_ok(filename)) &&
           (!mime || oai__header_value_ok(mime));
}

OAI_API oai_status oai_request_add_form_field(oai_request *r, const char *name, const char *value)
{
    if (!r || !value || !part_strings_ok(name, NULL, NULL))
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    oai__req_part p = {.kind = OAI_PART_FIELD, .name = (char *)name, .value = (char *)value};
    return add_part(r, &p);
}

OAI_API oai_status oai_request_add_data_part(oai_request *r, const char *name, const void *data,
                                             size_t len, const char *filename, const char *mime_type)
{
    if (!r || (!data && len) || !part_strings_ok(name, filename, mime_type))
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    static const char empty[1] = {0};
    oai__req_part p = {.kind = OAI_PART_DATA, .name = (char *)name, .data = (void *)(data ? data : empty),
                      .len = len, .filename = (char *)filename, .mime_type = (char *)mime_type};
    return add_part(r, &p);
}

OAI_API oai_status oai_request_add_file_range_part(oai_request *r, const char *name, const char *path,
                                                   int64_t offset, int64_t length,
                                                   const char *filename, const char *mime_type)
{
    if (!r || !path || !*path || offset < 0 || !part_strings_ok(name, filename, mime_type))
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return OAI_ERR_IO;
    if (offset > (int64_t)st.st_size || (length >= 0 && offset + length > (int64_t)st.st_size))
        return OAI_ERR_INVALID_ARGUMENT;
    oai__req_part p = {.kind = OAI_PART_FILE, .name = (char *)name, .path = (char *)path,
                      .offset = offset, .length = length,
                      .filename = (char *)(filename ? filename : oai__base_name(path)),
                      .mime_type = (char *)mime_type};
    return add_part(r, &p);
}

OAI_API oai_status oai_request_add_file_part(oai_request *r, const char *name, const char *path,
                                             const char *filename, const char *mime_type)
{
    return oai_request_add_file_range_part(r, name, path, 0, -1, filename, mime_type);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int oai__request_stream_kind(const oai_request *r)
{
    char path[512];
    size_t n = strcspn(r->path, "?");
    if (n >= sizeof path)
        n = sizeof path - 1;
    memcpy(path, r->path, n);
    path[n] = '\0';
    if (ends_with(path, "/chat/completions"))
        return OAI_STREAM_CHAT;
    if (ends_with(path, "/completions"))
        return OAI_STREAM_COMPLETION;
    if (ends_with(path, "/responses"))
        return OAI_STREAM_RESPONSES;
    return 0;
}

OAI_API oai_status oai_request_set_event_callback(oai_request *r, oai_event_fn fn, void *userdata)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    if (oai__request_stream_kind(r) && (fn || r->body)) {
        oai_status st = fn ? oai_request_set_bool(r, "/stream", 1)
                           : oai_request_remove_field(r, "/stream");
        if (st != OAI_OK && st != OAI_ERR_NOT_FOUND)
            return st;
    }
    r->event_fn = fn;
    r->event_ud = fn ? userdata : NULL;
    if (!fn)
        r->stream_pull = 0;
    return OAI_OK;
}

OAI_API oai_status oai_request_set_stream(oai_request *r, int enabled)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    if (oai__request_stream_kind(r) && (enabled || r->body)) {
        oai_status st = enabled ? oai_request_set_bool(r, "/stream", 1) : oai_request_remove_field(r, "/stream");
        if (st != OAI_OK && st != OAI_ERR_NOT_FOUND)
            return st;
    }
    r->stream_pull = enabled != 0;
    if (!enabled) {
        r->event_fn = NULL;
        r->event_ud = NULL;
    }
    return OAI_OK;
}

OAI_API oai_status oai_request_set_accumulate(oai_request *r, int enabled)
{
    if (!r)
        return OAI_ERR_INVALID_ARGUMENT;
    RETURN_IF_FAILED(r);
    r->accumulate = enabled != 0;
    return OAI_OK;
}
