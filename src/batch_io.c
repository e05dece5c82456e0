/* Batch API files: a writer of JSONL input files (one request per line)
 * and a reader of output and error files (one result per line), both
 * streaming: memory holds one line at a time, whatever the file's size. */
#include "core.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK 8192

/* ---- writer ---------------------------------------------------------------- */

struct oai_batch_writer {
    FILE *f;
    oai_strset ids;
    int failed;                  /* a write failed: the file is incomplete */
};

OAI_API oai_batch_writer *oai_batch_writer_open(const char *path)
{
    if (!path || !*path)
        return NULL;
    oai_batch_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->f = fopen(path, "wb");
    if (!w->f) {
        free(w);
        return NULL;
    }
    return w;
}

static oai_status put_string(oai_value *obj, const char *key, const char *value)
{
    oai_value *v = oai_json_string(value, strlen(value));
    if (!v)
        return oai_json_string_failure(value, strlen(value));
    return oai_json_object_set(obj, key, v);
}

/* {"custom_id","method","url","body"}; the body is shared, not copied. */
static oai_status build_line(const char *custom_id, const oai_request *req, oai_value **out)
{
    oai_buf url = {0};
    oai_value *line = oai_json_object();
    oai_status st = line ? oai_buf_printf(&url, "/v1%s", req->path) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK)
        st = put_string(line, "custom_id", custom_id);
    if (st == OAI_OK)
        st = put_string(line, "method", req->method);
    if (st == OAI_OK)
        st = put_string(line, "url", url.data);
    if (st == OAI_OK)
        st = oai_json_object_set(line, "body", oai_json_incref(req->body));
    oai_buf_free(&url);
    if (st != OAI_OK) {
        oai_json_decref(line);
        return st;
    }
    *out = line;
    return OAI_OK;
}

static oai_status write_line(oai_batch_writer *w, const oai_value *line)
{
    size_t len = 0;
    char *text = oai_json_dump(line, &len);
    if (!text)
        return OAI_ERR_OUT_OF_MEMORY;
    int ok = fwrite(text, 1, len, w->f) == len && fputc('\n', w->f) != EOF;
    free(text);
    if (!ok) {
        w->failed = 1;
        return OAI_ERR_IO;
    }
    return OAI_OK;
}

OAI_API oai_status oai_batch_writer_add(oai_batch_writer *w, const char *custom_id, const oai_request *req)
{
    if (!w || !custom_id || !*custom_id || !req || !req->body || req->part_count)
        return OAI_ERR_INVALID_ARGUMENT;
    /* A batch line names an endpoint below /v1, never a full URL. */
    if (req->path[0] != '/')
        return OAI_ERR_INVALID_ARGUMENT;
    if (oai_strset_has(&w->ids, custom_id))
        return OAI_ERR_INVALID_ARGUMENT;
    oai_value *line = NULL;
    oai_status st = build_line(custom_id, req, &line);
    /* The id is taken before writing: a line that failed to write leaves
     * the file incomplete anyway (closing reports it). */
    if (st == OAI_OK)
        st = oai_strset_add(&w->ids, custom_id);
    if (st == OAI_OK)
        st = write_line(w, line);
    oai_json_decref(line);
    return st;
}

OAI_API oai_status oai_batch_writer_close(oai_batch_writer *w)
{
    if (!w)
        return OAI_OK;
    int failed = w->failed;
    failed |= fflush(w->f) != 0;
    failed |= ferror(w->f) != 0;
    failed |= fclose(w->f) != 0;
    oai_strset_free(&w->ids);
    free(w);
    return failed ? OAI_ERR_IO : OAI_OK;
}

/* ---- reader ---------------------------------------------------------------- */

struct oai_batch_reader {
    FILE *f;
    oai_buf line;
    oai_value *current;          /* the line handed out last */
};

OAI_API oai_batch_reader *oai_batch_reader_open(const char *path)
{
    if (!path || !*path)
        return NULL;
    oai_batch_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->f = fopen(path, "rb");
    if (!r->f) {
        free(r);
        return NULL;
    }
    return r;
}

OAI_API void oai_batch_reader_free(oai_batch_reader *r)
{
    if (!r)
        return;
    fclose(r->f);
    oai_buf_free(&r->line);
    oai_json_decref(r->current);
    free(r);
}

/* Reads the next line (without its end) into r->line, byte by byte from
 * stdio's buffer, so a NUL inside a line cannot hide its end. Returns 1
 * when a line was read, 0 at the end of the file, or a negative
 * oai_status. */
static int read_line(oai_batch_reader *r)
{
    char chunk[READ_CHUNK];
    size_t n = 0;
    int c, got = 0;
    oai_buf_reset(&r->line);
    while ((c = getc(r->f)) != EOF) {
        got = 1;
        if (c == '\n')
            break;
        chunk[n++] = (char)c;
        if (n == sizeof chunk) {
            if (oai_buf_append(&r->line, chunk, n) != OAI_OK)
                return -(int)OAI_ERR_OUT_OF_MEMORY;
            n = 0;
        }
    }
    if (ferror(r->f))
        return -(int)OAI_ERR_IO;
    if (n && oai_buf_append(&r->line, chunk, n) != OAI_OK)
        return -(int)OAI_ERR_OUT_OF_MEMORY;
    return got;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || !strchr(" \t\r\f\v", s[i]))
            return 0;
    return 1;
}

OAI_API oai_status oai_batch_reader_next(oai_batch_reader *r, const oai_value **line)
{
    if (line)
        *line = NULL;
    if (!r || !line)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_json_decref(r->current);
    r->current = NULL;
    for (;;) {
        int rc = read_line(r);
        if (rc <= 0)
            return rc == 0 ? OAI_OK : (oai_status)-rc;
        if (!is_blank(r->line.data, r->line.len))
            break;
    }
    oai_status st = OAI_OK;
    oai_value *v = oai_json_parse(r->line.data, r->line.len, &st);
    if (!v)
        return st == OAI_ERR_OUT_OF_MEMORY ? st : OAI_ERR_PROTOCOL;
    if (oai_value_type_of(v) != OAI_VALUE_OBJECT) {
        oai_json_decref(v);
        return OAI_ERR_PROTOCOL;
    }
    r->current = v;
    *line = v;
    return OAI_OK;
}
