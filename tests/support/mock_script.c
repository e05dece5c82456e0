/* Scripts for the mock server from a JSON file: see mock_script.h. Every
 * entry is checked before any is queued, so a bad file changes nothing. */
#include "mock_script.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One reply of the file, ready to queue. Strings are borrowed from the JSON
 * document unless noted. */
typedef struct script_entry {
    mock_reply reply;
    const char *method;
    const char *path;
    int repeat;
    char *headers;          /* owned */
    char *body;             /* owned: a non-string body, serialised */
    const char **chunks;    /* owned array */
    int *delays;            /* owned array */
} script_entry;

/* Where errors go, and what they are about. */
typedef struct script_ctx {
    const char *path;
    size_t index;           /* the reply being read, from 1; 0: the file */
    char *err;
    size_t err_size;
} script_ctx;

__attribute__((format(printf, 2, 3)))
static int fail(script_ctx *cx, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (cx->index > 0)
        snprintf(cx->err, cx->err_size, "%s: reply %zu: %s", cx->path, cx->index, what);
    else
        snprintf(cx->err, cx->err_size, "%s: %s", cx->path, what);
    return -1;
}

static void entry_free(script_entry *e)
{
    free(e->headers);
    free(e->body);
    free(e->chunks);
    free(e->delays);
}

/* Fails on a key of obj that is not in `allowed` (NULL-terminated): a typo
 * would otherwise be silently ignored. */
static int check_keys(script_ctx *cx, json_t *obj, const char *const *allowed, const char *what)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i])
            return fail(cx, "unknown key \"%s\" in %s", key, what);
    }
    return 0;
}

/* obj[key] as an int in [min, max], or `fallback` when absent. */
static int get_int(script_ctx *cx, json_t *obj, const char *key, long min, long max,
                   int fallback, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        *out = fallback;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail(cx, "\"%s\" must be an integer from %ld to %ld", key, min, max);
    *out = (int)json_integer_value(v);
    return 0;
}

/* ---- headers ----------------------------------------------------------- */

static int has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* Appends "text\r\n" to *lines. */
static int append_line(script_ctx *cx, char **lines, const char *name, const char *value)
{
    size_t old = *lines ? strlen(*lines) : 0;
    size_t add = strlen(name) + (value ? strlen(value) + 2 : 0) + 3;
    char *p = realloc(*lines, old + add);
    if (!p)
        return fail(cx, "out of memory");
    snprintf(p + old, add, value ? "%s: %s\r\n" : "%s\r\n", name, value ? value : "");
    *lines = p;
    return 0;
}

static int header_from_member(script_ctx *cx, char **lines, const char *name, json_t *v)
{
    char number[32];
    const char *value = number;
    if (json_is_string(v))
        value = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        return fail(cx, "header \"%s\" must be a string or an integer", name);
    if (!*name || strpbrk(name, ": \t") || has_line_break(name) || has_line_break(value))
        return fail(cx, "header \"%s\" has an invalid name or a line break", name);
    return append_line(cx, lines, name, value);
}

static int header_from_line(script_ctx *cx, char **lines, json_t *v)
{
    const char *line = json_string_value(v);
    const char *colon = line ? strchr(line, ':') : NULL;
    if (!line || !colon || colon == line || has_line_break(line))
        return fail(cx, "each header line must be a string \"Name: value\" (one line)");
    return append_line(cx, lines, line, NULL);
}

static int parse_headers(script_ctx *cx, json_t *v, char **lines)
{
    if (json_is_object(v)) {
        const char *name;
        json_t *value;
        json_object_foreach(v, name, value)
            if (header_from_member(cx, lines, name, value) != 0)
                return -1;
        return 0;
    }
    if (!json_is_array(v))
        return fail(cx, "\"headers\" must be an object or a list of \"Name: value\" lines");
    size_t i;
    json_t *line;
    json_array_foreach(v, i, line)
        if (header_from_line(cx, lines, line) != 0)
            return -1;
    return 0;
}

/* ---- body and chunks ---------------------------------------------------- */

static int parse_body(script_ctx *cx, json_t *v, script_entry *e)
{
    if (json_is_string(v)) {
        e->reply.body = json_string_value(v);
        e->reply.body_len = json_string_length(v);
        return 0;
    }
    e->body = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!e->body)
        return fail(cx, "out of memory");
    e->reply.body = e->body;
    e->reply.body_len = strlen(e->body);
    return 0;
}

/* One chunk: "text" or {"data": "text", "delay_ms": N}. */
static int parse_chunk(script_ctx *cx, json_t *v, size_t i, script_entry *e)
{
    static const char *const keys[] = {"data", "delay_ms", NULL};
    json_t *data = v;
    e->delays[i] = -1;
    if (json_is_object(v)) {
        if (check_keys(cx, v, keys, "a chunk") != 0 ||
            get_int(cx, v, "delay_ms", 0, 3600000, -1, &e->delays[i]) != 0)
            return -1;
        data = json_object_get(v, "data");
    }
    if (!json_is_string(data))
        return fail(cx, "chunk %zu must be a string or {\"data\": string, \"delay_ms\": N}", i + 1);
    /* A zero-size chunk would end the body early, and the chunks are sent
     * as C strings. */
    if (json_string_length(data) == 0 || strlen(json_string_value(data)) != json_string_length(data))
        return fail(cx, "chunk %zu is empty or contains a NUL character", i + 1);
    e->chunks[i] = json_string_value(data);
    return 0;
}

static int parse_chunks(script_ctx *cx, json_t *v, script_entry *e)
{
    if (!json_is_array(v))
        return fail(cx, "\"chunks\" must be a list");
    size_t n = json_array_size(v);
    e->chunks = calloc(n ? n : 1, sizeof *e->chunks);
    e->delays = calloc(n ? n : 1, sizeof *e->delays);
    if (!e->chunks || !e->delays)
        return fail(cx, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (parse_chunk(cx, json_array_get(v, i), i, e) != 0)
            return -1;
    e->reply.chunks = e->chunks;
    e->reply.chunk_count = n;
    e->reply.chunk_delays_ms = e->delays;
    e->reply.content_type = "text/event-stream";
    return 0;
}

/* ---- match and fault ------------------------------------------------------ */

static int parse_match(script_ctx *cx, json_t *v, script_entry *e)
{
    static const char *const keys[] = {"method", "path", NULL};
    if (!json_is_object(v) || check_keys(cx, v, keys, "\"match\"") != 0)
        return json_is_object(v) ? -1 : fail(cx, "\"match\" must be an object");
    json_t *method = json_object_get(v, "method"), *path = json_object_get(v, "path");
    if ((method && !json_is_string(method)) || (path && !json_is_string(path)))
        return fail(cx, "\"match\" method and path must be strings");
    e->method = json_string_value(method);
    e->path = json_string_value(path);
    if (e->path && e->path[0] != '/')
        return fail(cx, "\"match\" path must start with '/' (e.g. \"/v1/chat/completions\")");
    return 0;
}

typedef struct fault_kind {
    const char *name;
    mock_fault at_once;     /* without after_bytes/after_chunks */
    mock_fault after;       /* with them */
} fault_kind;

static const fault_kind fault_kinds[] = {
    {"reset", MOCK_FAULT_RESET_BEFORE_RESPONSE, MOCK_FAULT_RESET},
    {"close", MOCK_FAULT_CLOSE_BEFORE_RESPONSE, MOCK_FAULT_CLOSE_MID_BODY},
    {"stall", MOCK_FAULT_STALL_BEFORE_RESPONSE, MOCK_FAULT_STALL},
    {"truncate", MOCK_FAULT_CLOSE_MID_BODY, MOCK_FAULT_CLOSE_MID_BODY},
};

static const fault_kind *find_fault(const char *name)
{
    for (size_t i = 0; name && i < sizeof fault_kinds / sizeof fault_kinds[0]; i++)
        if (strcmp(fault_kinds[i].name, name) == 0)
            return &fault_kinds[i];
    return NULL;
}

/* The body's size in the unit `after_*` counts: bytes or chunks. */
static size_t body_units(const script_entry *e)
{
    return e->reply.chunks ? e->reply.chunk_count : e->reply.body ? e->reply.body_len : 0;
}

/* after_bytes / after_chunks: whichever fits the body; -1 when absent. */
static int parse_after(script_ctx *cx, json_t *v, const script_entry *e, long *after)
{
    const char *right = e->reply.chunks ? "after_chunks" : "after_bytes";
    const char *wrong = e->reply.chunks ? "after_bytes" : "after_chunks";
    int value = -1;
    if (json_object_get(v, wrong))
        return fail(cx, "use \"%s\" for a reply with %s", right,
                    e->reply.chunks ? "\"chunks\"" : "a \"body\"");
    if (get_int(cx, v, right, 0, 1L << 30, -1, &value) != 0)
        return -1;
    *after = value;
    return 0;
}

/* Truncating sends less than the body, never all of it. */
static int truncate_after(script_ctx *cx, const script_entry *e, long after, size_t *out)
{
    size_t units = body_units(e);
    if (units == 0)
        return fail(cx, "\"truncate\" needs a non-empty \"body\" or \"chunks\"");
    if (after >= 0 && (size_t)after >= units)
        return fail(cx, "\"truncate\" must send less than the whole body (%zu %s)", units,
                    e->reply.chunks ? "chunks" : "bytes");
    *out = after >= 0 ? (size_t)after : units / 2;
    return 0;
}

static int parse_fault(script_ctx *cx, json_t *v, script_entry *e)
{
    static const char *const keys[] = {"type", "after_bytes", "after_chunks", "ms", NULL};
    json_t *obj = json_is_string(v) ? NULL : v;
    if (obj && (!json_is_object(obj) || check_keys(cx, obj, keys, "\"fault\"") != 0))
        return json_is_object(obj) ? -1 : fail(cx, "\"fault\" must be a string or an object");
    const fault_kind *kind = find_fault(json_string_value(obj ? json_object_get(obj, "type") : v));
    if (!kind)
        return fail(cx, "the fault type must be \"reset\", \"close\", \"stall\" or \"truncate\"");
    long after = -1;
    int ms = -1;
    if (obj && (parse_after(cx, obj, e, &after) != 0 ||
                get_int(cx, obj, "ms", 1, 86400000, -1, &ms) != 0))
        return -1;
    if (ms != -1 && kind->at_once != MOCK_FAULT_STALL_BEFORE_RESPONSE)
        return fail(cx, "\"ms\" applies to \"stall\" only");
    e->reply.fault = after >= 0 ? kind->after : kind->at_once;
    e->reply.fault_after = after >= 0 ? (size_t)after : 0;
    e->reply.stall_ms = ms;
    if (strcmp(kind->name, "truncate") == 0)
        return truncate_after(cx, e, after, &e->reply.fault_after);
    return 0;
}

/* ---- entries ----------------------------------------------------------- */

static int parse_payload(script_ctx *cx, json_t *obj, script_entry *e)
{
    json_t *body = json_object_get(obj, "body"), *chunks = json_object_get(obj, "chunks");
    json_t *headers = json_object_get(obj, "headers");
    if (body && chunks)
        return fail(cx, "give \"body\" or \"chunks\", not both");
    if ((body && parse_body(cx, body, e) != 0) || (chunks && parse_chunks(cx, chunks, e) != 0))
        return -1;
    if (headers && parse_headers(cx, headers, &e->headers) != 0)
        return -1;
    e->reply.headers = e->headers;
    return 0;
}

static int parse_entry(script_ctx *cx, json_t *obj, script_entry *e)
{
    static const char *const keys[] = {"status", "headers", "body", "chunks", "chunk_delay_ms",
                                       "delay_ms", "match", "repeat", "fault", NULL};
    memset(e, 0, sizeof *e);
    if (!json_is_object(obj))
        return fail(cx, "each reply must be a JSON object");
    if (check_keys(cx, obj, keys, "the reply") != 0 ||
        get_int(cx, obj, "status", 200, 599, 200, &e->reply.status) != 0 ||
        get_int(cx, obj, "delay_ms", 0, 3600000, 0, &e->reply.delay_ms) != 0 ||
        get_int(cx, obj, "chunk_delay_ms", 0, 3600000, 0, &e->reply.chunk_delay_ms) != 0 ||
        get_int(cx, obj, "repeat", -1, 1000000000, 1, &e->repeat) != 0 ||
        parse_payload(cx, obj, e) != 0)
        return -1;
    if (e->repeat == 0)
        return fail(cx, "\"repeat\" must be -1 (every request) or at least 1");
    json_t *match = json_object_get(obj, "match"), *fault = json_object_get(obj, "fault");
    if (match && parse_match(cx, match, e) != 0)
        return -1;
    return fault ? parse_fault(cx, fault, e) : 0;
}

static json_t *load_json(script_ctx *cx)
{
    FILE *f = fopen(cx->path, "r");
    if (!f) {
        fail(cx, "cannot read the script: %s", strerror(errno));
        return NULL;
    }
    json_error_t error;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &error);
    fclose(f);
    if (!root)
        snprintf(cx->err, cx->err_size, "%s:%d:%d: invalid JSON: %s", cx->path, error.line,
                 error.column, error.text);
    else if (!json_is_array(root)) {
        fail(cx, "the script must be a JSON list of replies ([{\"status\": 429}, ...])");
        json_decref(root);
        root = NULL;
    }
    return root;
}

static int queue_entries(script_ctx *cx, mock_server *ms, script_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        script_entry *e = &entries[i];
        if (mock_server_push_matching(ms, &e->reply, e->method, e->path, e->repeat) != 0) {
            cx->index = i + 1;
            return fail(cx, "out of memory");
        }
    }
    return 0;
}

int mock_script_load(mock_server *ms, const char *path, char *err, size_t err_size)
{
    script_ctx cx = {path, 0, err, err_size};
    json_t *root = load_json(&cx);
    if (!root)
        return -1;
    size_t n = json_array_size(root), parsed = 0;
    script_entry *entries = calloc(n ? n : 1, sizeof *entries);
    int rc = entries ? 0 : fail(&cx, "out of memory");
    while (rc == 0 && parsed < n) {
        cx.index = parsed + 1;
        rc = parse_entry(&cx, json_array_get(root, parsed), &entries[parsed]);
        parsed++;
    }
    if (rc == 0)
        rc = queue_entries(&cx, ms, entries, n);
    for (size_t i = 0; i < parsed; i++)
        entry_free(&entries[i]);
    free(entries);
    json_decref(root);
    return rc == 0 ? (int)n : -1;
}
