/* Batch API files: a writer of JSONL input files (one request per line)
 * and a reader of output and error files (one result per line), both
 * streaming: memory holds one line at a time, whatever the file's size. */
#include "core/core.h"
#include "json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 8192

/* ---- writer ---------------------------------------------------------------- */

struct oai_batch_writer {
    FILE *f;                     /* NULL once finished, or for a failed writer */
    oai__strset ids;
    int failed;                  /* a write failed: the file is incomplete */
    int finished;
    oai_status status;           /* sticky: why oai_batch_writer_new() failed */
    char error[256];
};

/* Records the writer's error; returns st. */
static oai_status writer_fail(oai_batch_writer *w, oai_status st, const char *what, const char *detail)
{
    snprintf(w->error, sizeof w->error, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return st;
}

OAI_API oai_batch_writer *oai_batch_writer_new(const char *path)
{
    oai_batch_writer *w = oai__calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (!path || !*path) {
        w->status = writer_fail(w, OAI_ERR_INVALID_ARGUMENT, "oai_batch_writer_new: the path is NULL or empty",
                                NULL);
        return w;
    }
    w->f = fopen(path, "wb");
    if (!w->f) {
        if (errno == ENOMEM) {
            oai__free(w);
            return NULL;
        }
        char what[192];
        snprintf(what, sizeof what, "oai_batch_writer_new: cannot create %s", path);
        w->status = writer_fail(w, OAI_ERR_IO, what, strerror(errno));
    }
    return w;
}

OAI_API oai_status oai_batch_writer_status(const oai_batch_writer *w)
{
    if (!w)
        return OAI_ERR_INVALID_ARGUMENT;
    return w->status != OAI_OK ? w->status : w->failed ? OAI_ERR_IO : OAI_OK;
}

OAI_API const char *oai_batch_writer_error_message(const oai_batch_writer *w)
{
    return w && oai_batch_writer_status(w) != OAI_OK ? w->error : NULL;
}

static oai_status put_string(oai_value *obj, const char *key, const char *value)
{
    oai_value *v = oai__json_string(value, strlen(value));
    if (!v)
        return oai__json_string_failure(value, strlen(value));
    return oai__json_object_set(obj, key, v);
}

/* {"custom_id","method","url","body"}; the body is shared, not copied. */
static oai_status build_line(const char *custom_id, const oai_request *req, oai_value **out)
{
    oai__buf url = {0};
    oai_value *line = oai__json_object();
    oai_status st = line ? oai__buf_printf(&url, "/v1%s", req->path) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = put_string(line, "custom_id", custom_id);
    if (st == OAI_OK)
        st = put_string(line, "method", req->method);
    if (st == OAI_OK)
        st = put_string(line, "url", url.data);
    if (st == OAI_OK)
        st = oai__json_object_set(line, "body", oai__json_incref(req->body));
    oai__buf_free(&url);
    if (st != OAI_OK) {
        oai__json_decref(line);
        return st;
    }
    *out = line;
    return OAI_OK;
}

static oai_status write_line(oai_batch_writer *w, const oai_value *line)
{
    size_t len = 0;
    char *text = oai__json_dump(line, &len);
    if (!text)
        return OAI_ERR_OUT_OF_MEMORY;
    int ok = fwrite(text, 1, len, w->f) == len && fputc('\n', w->f) != EOF;
    oai__free(text);
    if (!ok) {
        w->failed = 1;
        return writer_fail(w, OAI_ERR_IO, "a line could not be written", strerror(errno));
    }
    return OAI_OK;
}

OAI_API oai_status oai_batch_writer_add(oai_batch_writer *w, const char *custom_id, const oai_request *req)
{
    if (w && w->status != OAI_OK)
        return w->status;
    if (!w || w->finished || !custom_id || !*custom_id || !req || req->status != OAI_OK || !req->body ||
        req->part_count)
        return OAI_ERR_INVALID_ARGUMENT;
    /* A batch line names an endpoint below /v1, never a full URL. */
    if (req->path[0] != '/')
        return OAI_ERR_INVALID_ARGUMENT;
    if (oai__strset_has(&w->ids, custom_id))
        return OAI_ERR_INVALID_ARGUMENT;
    /* The line holds the body one level down: it must still parse back. */
    if (!oai__json_nesting_within(req->body, OAI_JSON_MAX_DEPTH - 1))
        return OAI_ERR_INVALID_ARGUMENT;
    oai_value *line = NULL;
    oai_status st = build_line(custom_id, req, &line);
    /* The id is taken before writing: a line that failed to write leaves
     * the file incomplete anyway (closing reports it). */
    if (st == OAI_OK)
        st = oai__strset_add(&w->ids, custom_id);
    if (st == OAI_OK)
        st = write_line(w, line);
    oai__json_decref(line);
    return st;
}

OAI_API oai_status oai_batch_writer_finish(oai_batch_writer *w)
{
    if (w && w->status != OAI_OK)
        return w->status;
    if (!w || w->finished)
        return OAI_ERR_INVALID_ARGUMENT;
    int was_failed = w->failed;
    w->failed |= fflush(w->f) != 0;
    w->failed |= ferror(w->f) != 0;
    w->failed |= fclose(w->f) != 0;
    w->f = NULL;
    w->finished = 1;
    if (w->failed && !was_failed)
        writer_fail(w, OAI_ERR_IO, "the file could not be written to the end", strerror(errno));
    return w->failed ? OAI_ERR_IO : OAI_OK;
}

OAI_API void oai_batch_writer_free(oai_batch_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    oai__strset_free(&w->ids);
    oai__free(w);
}

/* ---- reader ---------------------------------------------------------------- */

/* The longest line kept by default, in bytes without its line end: far above
 * any real result line, low enough that a file without newlines (or a
 * hostile one) cannot take the process's memory. */
#define DEFAULT_MAX_LINE ((size_t)16 * 1024 * 1024)

struct oai_batch_reader {
    FILE *f;                     /* NULL for a failed reader */
    oai_status status;           /* sticky: why oai_batch_reader_new() failed */
    oai__buf line;
    oai_value *current;          /* the line handed out last */
    size_t max_line;             /* bytes a line may hold, without its line end */
    int64_t line_number;         /* of the line read last; 0 before the first */
    int in_long_line;            /* the last call stopped inside an over-long line */
    int has_error;
    char error[256];             /* why the last call failed, naming the line */
};

OAI_API oai_batch_reader *oai_batch_reader_new(const char *path)
{
    oai_batch_reader *r = oai__calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->max_line = DEFAULT_MAX_LINE;
    if (!path || !*path) {
        r->status = OAI_ERR_INVALID_ARGUMENT;
        snprintf(r->error, sizeof r->error, "oai_batch_reader_new: the path is NULL or empty");
    } else if (!(r->f = fopen(path, "rb"))) {
        if (errno == ENOMEM) {
            oai__free(r);
            return NULL;
        }
        r->status = OAI_ERR_IO;
        snprintf(r->error, sizeof r->error, "oai_batch_reader_new: cannot open %s: %s", path, strerror(errno));
    }
    r->has_error = r->status != OAI_OK;
    return r;
}

OAI_API oai_status oai_batch_reader_status(const oai_batch_reader *r)
{
    return r ? r->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API void oai_batch_reader_free(oai_batch_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    oai__buf_free(&r->line);
    oai__json_decref(r->current);
    oai__free(r);
}

OAI_API oai_status oai_batch_reader_set_max_line_bytes(oai_batch_reader *r, int64_t max_bytes)
{
    if (r && r->status != OAI_OK)
        return r->status;
    if (!r || max_bytes <= 0)
        return OAI_ERR_INVALID_ARGUMENT;
    /* Room for the line, its CR and the buffer's NUL must stay countable. */
    uint64_t cap = (uint64_t)(SIZE_MAX - 2);
    r->max_line = (uint64_t)max_bytes > cap ? (size_t)cap : (size_t)max_bytes;
    return OAI_OK;
}

OAI_API int64_t oai_batch_reader_line_number(const oai_batch_reader *r)
{
    return r ? r->line_number : 0;
}

OAI_API const char *oai_batch_reader_error_message(const oai_batch_reader *r)
{
    return r && r->has_error ? r->error : NULL;
}

/* Records why this call fails, prefixed with the line's number. */
static oai_status fail_line(oai_batch_reader *r, oai_status st, const char *fmt, ...) OAI_PRINTF(3, 4);
static oai_status fail_line(oai_batch_reader *r, oai_status st, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->error, sizeof r->error, "line %lld: ", (long long)r->line_number);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof r->error)
        vsnprintf(r->error + n, sizeof r->error - (size_t)n, fmt, ap);
    va_end(ap);
    r->has_error = 1;
    return st;
}

static oai_status fail_too_long(oai_batch_reader *r)
{
    return fail_line(r, OAI_ERR_TOO_LARGE, "longer than the line limit of %zu bytes", r->max_line);
}

static oai_status fail_read(oai_batch_reader *r)
{
    return fail_line(r, OAI_ERR_IO, "cannot read the file: %s", strerror(errno));
}

/* The bytes a line may take in the buffer: the line, the CR of a CRLF end
 * (the parser takes it as white space) and the NUL. */
static size_t line_room(const oai_batch_reader *r)
{
    return r->max_line + 2;
}

/* Appends to r->line, growing it by doubling but never past line_room(), so
 * the buffer stays within the limit instead of within twice it. */
static oai_status append_capped(oai_batch_reader *r, const char *data, size_t n)
{
    oai__buf *b = &r->line;
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need && cap < line_room(r))
            cap = cap > line_room(r) / 2 ? line_room(r) : cap * 2;
        if (cap < need)
            cap = need;
        char *p = oai__realloc(b->data, cap);
        if (!p)
            return OAI_ERR_OUT_OF_MEMORY;
        b->data = p;
        b->cap = cap;
    }
    return oai__buf_append(b, data, n);
}

/* Reads on to the end of the over-long line the last call stopped in,
 * holding none of it. */
static oai_status skip_rest_of_line(oai_batch_reader *r)
{
    int c;
    while ((c = getc(r->f)) != EOF && c != '\n')
        ;
    r->in_long_line = 0;
    return ferror(r->f) ? fail_read(r) : OAI_OK;
}

/* Whether a line that ended at `len` bytes is over the limit: a CR before
 * its LF belongs to the line end. */
static int ended_too_long(const oai_batch_reader *r)
{
    const oai__buf *b = &r->line;
    size_t len = b->len;
    if (len > 0 && b->data[len - 1] == '\r')
        len--;
    return len > r->max_line;
}

/* Reads the next line (without its LF) into r->line, byte by byte from
 * stdio's buffer, so a NUL inside a line cannot hide its end. A line over
 * the limit ends the call as soon as the limit is passed, so a file without
 * newlines (/dev/zero) is refused at once; the next call skips its rest.
 * Returns 1 when a line was read, 0 at the end of the file, or a negative
 * oai_status (with r->error set). */
static int read_line(oai_batch_reader *r)
{
    char chunk[READ_CHUNK];
    size_t n = 0;
    int c, got = 0;
    if (r->in_long_line && skip_rest_of_line(r) != OAI_OK)
        return -(int)OAI_ERR_IO;
    oai__buf_reset(&r->line);
    while ((c = getc(r->f)) != EOF) {
        if (!got) {
            got = 1;
            r->line_number++;
        }
        if (c == '\n')
            break;
        if (r->line.len + n > r->max_line) { /* this byte is one past the limit plus a CR */
            oai__buf_reset(&r->line);
            r->in_long_line = 1;
            return -(int)fail_too_long(r);
        }
        chunk[n++] = (char)c;
        if (n == sizeof chunk) {
            if (append_capped(r, chunk, n) != OAI_OK)
                return -(int)fail_line(r, OAI_ERR_OUT_OF_MEMORY, "out of memory");
            n = 0;
        }
    }
    if (ferror(r->f)) {
        if (!got)
            r->line_number++; /* the line it tried to read */
        return -(int)fail_read(r);
    }
    if (n && append_capped(r, chunk, n) != OAI_OK)
        return -(int)fail_line(r, OAI_ERR_OUT_OF_MEMORY, "out of memory");
    if (got && ended_too_long(r)) {
        oai__buf_reset(&r->line);
        return -(int)fail_too_long(r);
    }
    return got;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || !strchr(" \t\r\f\v", s[i]))
            return 0;
    return 1;
}

static const char *type_phrase(const oai_value *v)
{
    switch (oai_value_type_of(v)) {
    case OAI_VALUE_ARRAY: return "an array";
    case OAI_VALUE_STRING: return "a string";
    case OAI_VALUE_INT:
    case OAI_VALUE_NUMBER: return "a number";
    case OAI_VALUE_BOOL: return "a boolean";
    case OAI_VALUE_NULL: return "null";
    default: return "not an object";
    }
}

OAI_API oai_status oai_batch_reader_next(oai_batch_reader *r, const oai_value **line)
{
    if (line)
        *line = NULL;
    if (!r || !line)
        return OAI_ERR_INVALID_ARGUMENT;
    if (r->status != OAI_OK)
        return r->status;
    oai__json_decref(r->current);
    r->current = NULL;
    r->has_error = 0;
    for (;;) {
        int rc = read_line(r);
        if (rc <= 0)
            return rc == 0 ? OAI_OK : (oai_status)-rc;
        if (!is_blank(r->line.data, r->line.len))
            break;
    }
    oai_status st = OAI_OK;
    oai_value *v = oai__json_parse(r->line.data, r->line.len, &st);
    if (!v && st == OAI_ERR_OUT_OF_MEMORY)
        return fail_line(r, st, "out of memory");
    if (!v)
        return fail_line(r, OAI_ERR_PROTOCOL, "not valid JSON");
    if (oai_value_type_of(v) != OAI_VALUE_OBJECT) {
        fail_line(r, OAI_ERR_PROTOCOL, "%s, not a JSON object", type_phrase(v));
        oai__json_decref(v);
        return OAI_ERR_PROTOCOL;
    }
    r->current = v;
    *line = v;
    return OAI_OK;
}
