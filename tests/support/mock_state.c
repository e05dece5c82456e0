/* The mock server's stateful endpoints: see mock_state.h. */
#include "mock_state.h"

#include "mock_multipart.h"
#include "mock_openai.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOCK_EPOCH 1700000000
#define MAX_SEGMENTS 6
/* Files are copied (uploads joined) through a buffer of this size. */
#define COPY_BUFFER ((size_t)1024 * 1024)
/* A batch's input file is read whole: at most this large. */
#define BATCH_INPUT_LIMIT MOCK_BODY_RECORD_LIMIT

/* ---- MD5 (RFC 1321) ----------------------------------------------------------
 * Written out here because the test support library, which also builds the
 * standalone mock server, links no crypto library. */

typedef struct md5_ctx {
    uint32_t h[4];
    uint64_t total;
    unsigned char block[64];
    size_t used;
} md5_ctx;

static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static const unsigned char md5_shift[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static void md5_init(md5_ctx *c)
{
    c->h[0] = 0x67452301;
    c->h[1] = 0xefcdab89;
    c->h[2] = 0x98badcfe;
    c->h[3] = 0x10325476;
    c->total = 0;
    c->used = 0;
}

static uint32_t rotl32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void md5_block(md5_ctx *c, const unsigned char *p)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g, round = i / 16;
        if (round == 0) {
            f = (b & cc) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (d & b) | (~d & cc);
            g = (5 * i + 1) % 16;
        } else if (round == 2) {
            f = b ^ cc ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = cc ^ (b | ~d);
            g = (7 * i) % 16;
        }
        uint32_t t = d;
        d = cc;
        cc = b;
        b = b + rotl32(a + f + md5_k[i] + m[g], md5_shift[round * 4 + i % 4]);
        a = t;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
}

static void md5_update(md5_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    c->total += len;
    while (len > 0) {
        size_t n = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, n);
        c->used += n;
        p += n;
        len -= n;
        if (c->used == 64) {
            md5_block(c, c->block);
            c->used = 0;
        }
    }
}

/* Finishes a copy, so the running context can go on. */
static void md5_hex(const md5_ctx *running, char hex[33])
{
    md5_ctx c = *running;
    uint64_t bits = c.total * 8;
    unsigned char pad[72] = {0x80};
    size_t pad_len = (c.used < 56 ? 56 : 120) - c.used;
    for (int i = 0; i < 8; i++)
        pad[pad_len + (size_t)i] = (unsigned char)(bits >> (8 * i));
    md5_update(&c, pad, pad_len + 8);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned)(c.h[i / 4] >> (8 * (i % 4))) & 0xffu);
}

/* ---- replies ------------------------------------------------------------------- */

/* A JSON reply; takes the reference to obj. */
static mock_response *json_reply(int status, json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    mock_response *r = text ? mock_response_new(status) : NULL;
    if (r && mock_response_set_body(r, text, strlen(text)) != 0) {
        mock_response_free(r);
        r = NULL;
    }
    free(text);
    return r;
}

static mock_response *error_reply(int status, const char *message, const char *param, const char *code)
{
    return json_reply(status, json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "message", message,
                                        "type", "invalid_request_error", "param", param, "code", code));
}

static mock_response *not_found_reply(const char *what, const char *id)
{
    char message[256];
    snprintf(message, sizeof message, "No such %s: '%.150s'", what, id);
    return error_reply(404, message, NULL, "not_found");
}

static mock_response *storage_error_reply(const char *what)
{
    char message[256];
    snprintf(message, sizeof message, "The mock server could not %s: %s.", what, strerror(errno));
    return json_reply(500, json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", message, "type",
                                     "server_error", "param", "code", "mock_storage_error"));
}

/* A 200 whose body is the content of the file at path, streamed from disk. */
static mock_response *file_reply(const char *path)
{
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return storage_error_reply("read the file's content");
    mock_response *r = mock_response_new(200);
    if (!r || mock_response_set_content_type(r, "application/octet-stream") != 0) {
        close(fd);
        mock_response_free(r);
        return NULL;
    }
    if (mock_response_set_body_file(r, fd) != 0) {
        mock_response_free(r);
        return storage_error_reply("read the file's content");
    }
    return r;
}

/* ---- content on disk ------------------------------------------------------- *
 * Every file's and every upload part's bytes live in a file named after its
 * id in the server's directory (mock_request.data_dir), so their size never
 * shows in memory. */

/* "<data_dir>/<name>" (malloc'd), or NULL without a directory. */
static char *content_path(const mock_request *req, const char *name)
{
    if (!req->data_dir)
        return NULL;
    size_t n = strlen(req->data_dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", req->data_dir, name);
    return path;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    int rc = write_all(fd, data, len);
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

/* Puts a form part's bytes at path: moves its spool file there, or writes
 * its in-memory bytes. -1 when the part was only counted, or on failure. */
static int store_part(const mock_form_part *part, const char *path)
{
    if (part->spool_path)
        return rename(part->spool_path, path);
    if (part->data)
        return write_file(path, part->data, part->size);
    errno = EFBIG;
    return -1;
}

/* The content of a file of at most `limit` bytes (malloc'd, NUL-terminated,
 * *len its length), or NULL when it is missing, unreadable or larger. */
static char *read_small_file(const char *path, size_t limit, size_t *len)
{
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st;
    if (fd < 0)
        return NULL;
    char *data = NULL;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size <= limit)
        data = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (data && got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(data);
            data = NULL;
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (data) {
        data[got] = '\0';
        *len = got;
    }
    return data;
}

/* ---- reading requests -------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes n bytes ('+' is a space in queries); malloc'd. */
static char *percent_decode(const char *s, size_t n, int plus_is_space)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            *o++ = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            *o++ = (plus_is_space && s[i] == '+') ? ' ' : s[i];
        }
    }
    *o = '\0';
    return out;
}

/* The decoded value of a query parameter (malloc'd), or NULL. */
static char *query_param(const mock_request *req, const char *name)
{
    size_t name_len = strlen(name);
    for (const char *p = req->query; p && *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t key_len = eq ? (size_t)(eq - p) : len;
        if (key_len == name_len && strncmp(p, name, name_len) == 0)
            return eq ? percent_decode(eq + 1, len - key_len - 1, 1) : percent_decode("", 0, 1);
        p += len;
        if (*p == '&')
            p++;
    }
    return NULL;
}

/* A positive integer query parameter within [1, max], else `fallback`. */
static long query_limit(const mock_request *req, long fallback, long max)
{
    char *text = query_param(req, "limit");
    long v = text ? strtol(text, NULL, 10) : fallback;
    free(text);
    if (v < 1)
        v = fallback;
    return v > max ? max : v;
}

/* The body as a JSON object, or NULL. */
static json_t *json_body(const mock_request *req)
{
    if (req->body_len > MOCK_BODY_RECORD_LIMIT)
        return NULL;
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static mock_response *bad_json_reply(void)
{
    return error_reply(400, "We could not parse the JSON body of your request: expected a JSON object.",
                       NULL, NULL);
}

static const char *string_field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- state ------------------------------------------------------------------- */

typedef struct vec {
    void **items;
    size_t count, cap;
} vec;

static int vec_push(vec *v, void *item)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void **p = realloc(v->items, cap * sizeof *p);
        if (!p)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    v->items[v->count++] = item;
    return 0;
}

static void vec_remove(vec *v, size_t index)
{
    memmove(&v->items[index], &v->items[index + 1], (v->count - index - 1) * sizeof *v->items);
    v->count--;
}

typedef struct file_rec {
    json_t *obj;
    char *path;                 /* its content (removed with the record) */
} file_rec;

typedef struct part_rec {
    char *id;
    int64_t size;
    char *path;                 /* its bytes; NULL once the upload completed */
} part_rec;

typedef struct upload_rec {
    json_t *obj;
    vec parts;                  /* part_rec *, in arrival order */
} upload_rec;

typedef struct job_rec {
    json_t *obj;
    json_t *events;             /* oldest first */
    json_t *checkpoints;        /* oldest first */
    char paused_from[32];
} job_rec;

typedef struct batch_rec {
    json_t *obj;
} batch_rec;

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static vec files, uploads, jobs, batches;
static long clock_now = MOCK_EPOCH;
static unsigned long serial;

static long tick(void)
{
    return ++clock_now;
}

/* A fresh id "PREFIX<serial>". */
static void new_id(char *out, size_t size, const char *prefix)
{
    snprintf(out, size, "%s%lu", prefix, ++serial);
}

static const char *id_of(const json_t *obj)
{
    return string_field(obj, "id");
}

/* Frees a path and removes the file it names. */
static void remove_content(char *path)
{
    if (path)
        unlink(path);
    free(path);
}

static void free_file(file_rec *f)
{
    json_decref(f->obj);
    remove_content(f->path);
    free(f);
}

static void free_upload(upload_rec *u)
{
    for (size_t i = 0; i < u->parts.count; i++) {
        part_rec *p = u->parts.items[i];
        free(p->id);
        remove_content(p->path);
        free(p);
    }
    free(u->parts.items);
    json_decref(u->obj);
    free(u);
}

static void free_job(job_rec *j)
{
    json_decref(j->obj);
    json_decref(j->events);
    json_decref(j->checkpoints);
    free(j);
}

static void free_batch(batch_rec *b)
{
    json_decref(b->obj);
    free(b);
}

void mock_state_reset(void)
{
    pthread_mutex_lock(&state_lock);
    for (size_t i = 0; i < files.count; i++)
        free_file(files.items[i]);
    for (size_t i = 0; i < uploads.count; i++)
        free_upload(uploads.items[i]);
    for (size_t i = 0; i < jobs.count; i++)
        free_job(jobs.items[i]);
    for (size_t i = 0; i < batches.count; i++)
        free_batch(batches.items[i]);
    free(files.items);
    free(uploads.items);
    free(jobs.items);
    free(batches.items);
    memset(&files, 0, sizeof files);
    memset(&uploads, 0, sizeof uploads);
    memset(&jobs, 0, sizeof jobs);
    memset(&batches, 0, sizeof batches);
    clock_now = MOCK_EPOCH;
    serial = 0;
    pthread_mutex_unlock(&state_lock);
}

/* The record whose obj has this id, and its index. */
static void *find(const vec *v, const char *id, size_t *index)
{
    for (size_t i = 0; i < v->count; i++) {
        json_t *obj = *(json_t **)v->items[i]; /* every record starts with obj */
        if (strcmp(id_of(obj), id) == 0) {
            if (index)
                *index = i;
            return v->items[i];
        }
    }
    return NULL;
}

/* ---- lists ---------------------------------------------------------------------- */

/* {"object":"list","data":[...],"has_more",("first_id","last_id")}: items
 * of v (in the order given by `newest_first`) after the item `after`, at
 * most `limit`, optionally filtered. */
typedef int (*list_filter)(const json_t *obj, const void *arg);

static json_t *list_page(const vec *v, int newest_first, const char *after, long limit,
                         list_filter keep, const void *arg, int with_ids)
{
    json_t *data = json_array();
    int started = after == NULL, more = 0;
    for (size_t k = 0; data && k < v->count; k++) {
        json_t *obj = *(json_t **)v->items[newest_first ? v->count - 1 - k : k];
        if (keep && !keep(obj, arg))
            continue;
        if (!started) {
            started = strcmp(id_of(obj), after) == 0;
            continue;
        }
        if ((long)json_array_size(data) == limit) {
            more = 1;
            break;
        }
        json_array_append(data, obj);
    }
    json_t *page = json_pack("{s:s, s:o, s:b}", "object", "list", "data", data, "has_more", more);
    if (page && with_ids) {
        size_t n = json_array_size(data);
        json_object_set_new(page, "first_id", n ? json_string(id_of(json_array_get(data, 0))) : json_null());
        json_object_set_new(page, "last_id", n ? json_string(id_of(json_array_get(data, n - 1))) : json_null());
    }
    return page;
}

/* The same over a JSON array kept oldest first (events, checkpoints). */
static json_t *array_page(const json_t *items, const char *after, long limit)
{
    json_t *data = json_array();
    int started = after == NULL, more = 0;
    for (size_t k = json_array_size(items); data && k-- > 0;) {
        json_t *obj = json_array_get(items, k);
        if (!started) {
            started = strcmp(id_of(obj), after) == 0;
            continue;
        }
        if ((long)json_array_size(data) == limit) {
            more = 1;
            break;
        }
        json_array_append(data, obj);
    }
    return json_pack("{s:s, s:o, s:b}", "object", "list", "data", data, "has_more", more);
}

/* ---- files ------------------------------------------------------------------------ */

/* A new file record, last in `files`, whose content is still to be put at
 * f->path (drop_new_file() takes it back when that fails). */
static file_rec *add_file(const mock_request *req, const char *filename, const char *purpose,
                          int64_t bytes)
{
    char id[64];
    new_id(id, sizeof id, "file-mock");
    file_rec *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->obj = json_pack("{s:s, s:s, s:I, s:i, s:n, s:s, s:s, s:s, s:n}", "id", id, "object", "file",
                       "bytes", (json_int_t)bytes, "created_at", (int)tick(), "expires_at",
                       "filename", filename, "purpose", purpose, "status", "processed",
                       "status_details");
    f->path = content_path(req, id);
    if (!f->obj || !f->path || vec_push(&files, f) != 0) {
        free_file(f);
        return NULL;
    }
    return f;
}

/* Forgets the file add_file() just made (and its content, if any). */
static void drop_new_file(void)
{
    free_file(files.items[--files.count]);
}

static int multipart_ok(const mock_request *req)
{
    return req->form.present && req->form.complete;
}

static mock_response *upload_file(const mock_request *req, const char *unused)
{
    (void)unused;
    if (!multipart_ok(req))
        return error_reply(400, "Expected a multipart/form-data body.", NULL, NULL);
    const mock_form_part *purpose = mock_form_get(&req->form, "purpose");
    const mock_form_part *file = mock_form_get(&req->form, "file");
    if (!purpose || !purpose->data || !*purpose->data)
        return error_reply(400, "Missing required parameter: 'purpose'.", "purpose", NULL);
    if (!file || !file->filename)
        return error_reply(400, "Missing required parameter: 'file'.", "file", NULL);
    file_rec *f = add_file(req, file->filename, purpose->data, (int64_t)file->size);
    if (!f)
        return NULL;
    if (store_part(file, f->path) != 0) {
        mock_response *r = storage_error_reply("store the file");
        drop_new_file();
        return r;
    }
    return json_reply(200, json_incref(f->obj));
}

static int purpose_matches(const json_t *obj, const void *purpose)
{
    return strcmp(string_field(obj, "purpose"), purpose) == 0;
}

static mock_response *list_files(const mock_request *req, const char *unused)
{
    (void)unused;
    char *after = query_param(req, "after");
    char *order = query_param(req, "order");
    char *purpose = query_param(req, "purpose");
    mock_response *r;
    if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
        r = error_reply(400, "'order' must be 'asc' or 'desc'.", "order", NULL);
    else
        r = json_reply(200, list_page(&files, !order || strcmp(order, "desc") == 0, after,
                                      query_limit(req, 10000, 10000), purpose ? purpose_matches : NULL,
                                      purpose, 1));
    free(after);
    free(order);
    free(purpose);
    return r;
}

static mock_response *get_file(const mock_request *req, const char *id)
{
    (void)req;
    file_rec *f = find(&files, id, NULL);
    return f ? json_reply(200, json_incref(f->obj)) : not_found_reply("file", id);
}

static mock_response *delete_file(const mock_request *req, const char *id)
{
    (void)req;
    size_t index;
    file_rec *f = find(&files, id, &index);
    if (!f)
        return not_found_reply("file", id);
    vec_remove(&files, index);
    free_file(f);
    return json_reply(200, json_pack("{s:s, s:s, s:b}", "id", id, "object", "file", "deleted", 1));
}

static mock_response *file_content(const mock_request *req, const char *id)
{
    (void)req;
    file_rec *f = find(&files, id, NULL);
    if (!f)
        return not_found_reply("file", id);
    return file_reply(f->path);
}

/* ---- uploads ----------------------------------------------------------------------- */

static mock_response *create_upload(const mock_request *req, const char *unused)
{
    (void)unused;
    json_t *body = json_body(req);
    if (!body)
        return bad_json_reply();
    const char *filename = string_field(body, "filename"), *purpose = string_field(body, "purpose");
    const char *mime = string_field(body, "mime_type");
    json_t *bytes = json_object_get(body, "bytes");
    mock_response *r = NULL;
    if (!filename || !purpose || !mime || !json_is_integer(bytes) || json_integer_value(bytes) < 0) {
        r = error_reply(400, "'filename', 'purpose', 'bytes' and 'mime_type' are required.", NULL, NULL);
    } else {
        char id[64];
        new_id(id, sizeof id, "upload_mock");
        long now = tick();
        upload_rec *u = calloc(1, sizeof *u);
        if (u) {
            u->obj = json_pack("{s:s, s:s, s:I, s:i, s:i, s:s, s:s, s:s, s:n}", "id", id, "object",
                               "upload", "bytes", json_integer_value(bytes), "created_at", (int)now,
                               "expires_at", (int)(now + 3600), "filename", filename, "purpose",
                               purpose, "status", "pending", "file");
        }
        if (u && u->obj && vec_push(&uploads, u) == 0)
            r = json_reply(200, json_incref(u->obj));
        else if (u)
            free_upload(u);
    }
    json_decref(body);
    return r;
}

static int upload_pending(const upload_rec *u)
{
    return strcmp(string_field(u->obj, "status"), "pending") == 0;
}

static mock_response *not_pending_reply(const upload_rec *u)
{
    char message[128];
    snprintf(message, sizeof message, "The upload is %s, not pending.", string_field(u->obj, "status"));
    return error_reply(400, message, NULL, NULL);
}

static mock_response *add_upload_part(const mock_request *req, const char *id)
{
    upload_rec *u = find(&uploads, id, NULL);
    if (!u)
        return not_found_reply("upload", id);
    if (!upload_pending(u))
        return not_pending_reply(u);
    const mock_form_part *data = multipart_ok(req) ? mock_form_get(&req->form, "data") : NULL;
    if (!data)
        return error_reply(400, "Missing required parameter: 'data'.", "data", NULL);
    char part_id[64];
    new_id(part_id, sizeof part_id, "part_mock");
    part_rec *p = calloc(1, sizeof *p);
    if (!p || !(p->id = strdup(part_id)) || !(p->path = content_path(req, part_id)) ||
        vec_push(&u->parts, p) != 0) {
        if (p)
            free(p->id);
        free(p ? p->path : NULL);
        free(p);
        return NULL;
    }
    p->size = (int64_t)data->size;
    if (store_part(data, p->path) != 0) {
        mock_response *r = storage_error_reply("store the part");
        u->parts.count--;
        free(p->id);
        remove_content(p->path);
        free(p);
        return r;
    }
    return json_reply(200, json_pack("{s:s, s:s, s:i, s:s}", "id", p->id, "object", "upload.part",
                                     "created_at", (int)tick(), "upload_id", id));
}

static part_rec *find_part(const upload_rec *u, const char *id, size_t *index)
{
    for (size_t i = 0; i < u->parts.count; i++) {
        part_rec *p = u->parts.items[i];
        if (strcmp(p->id, id) == 0) {
            *index = i;
            return p;
        }
    }
    return NULL;
}

/* Checks the listed parts: all of this upload, each once. Fills `order`
 * with their arrival indexes; returns an error message or NULL. */
static const char *check_part_ids(const upload_rec *u, const json_t *ids, size_t *order)
{
    if (!json_is_array(ids) || json_array_size(ids) > u->parts.count)
        return "'part_ids' must list the upload's parts.";
    for (size_t i = 0; i < json_array_size(ids); i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        if (!id || !find_part(u, id, &order[i]))
            return "'part_ids' names a part that is not in this upload.";
        for (size_t j = 0; j < i; j++)
            if (order[j] == order[i])
                return "'part_ids' lists a part twice.";
    }
    return NULL;
}

/* Copies every byte of the file at `from` (which must hold `size`) to fd,
 * adding them to the MD5. */
static int append_part(int fd, const char *from, int64_t size, md5_ctx *md5, char *buf)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int64_t copied = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, COPY_BUFFER);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        md5_update(md5, buf, (size_t)n);
        copied += n;
        if (write_all(fd, buf, (size_t)n) != 0) {
            rc = -1;
            break;
        }
    }
    close(in);
    if (rc == 0 && copied != size) {
        errno = EIO;
        rc = -1;
    }
    return rc;
}

/* Writes the parts, in part_ids order, to the file at path and computes the
 * MD5 of the result, one buffer at a time whatever the parts' sizes. */
static int join_parts(const upload_rec *u, const size_t *order, size_t n, const char *path, char hex[33])
{
    char *buf = malloc(COPY_BUFFER);
    int fd = buf ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    int rc = fd >= 0 ? 0 : -1;
    md5_ctx md5;
    md5_init(&md5);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const part_rec *p = u->parts.items[order[i]];
        rc = append_part(fd, p->path, p->size, &md5, buf);
    }
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    free(buf);
    if (rc == 0) {
        md5_hex(&md5, hex);
    } else {
        int saved = errno;
        unlink(path);
        errno = saved;
    }
    return rc;
}

/* Once the upload is a file, its parts are not needed any more. */
static void remove_parts(upload_rec *u)
{
    for (size_t i = 0; i < u->parts.count; i++) {
        part_rec *p = u->parts.items[i];
        remove_content(p->path);
        p->path = NULL;
    }
}

static mock_response *finish_upload(const mock_request *req, upload_rec *u, const json_t *body,
                                    const size_t *order, size_t n)
{
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ((const part_rec *)u->parts.items[order[i]])->size;
    if (total != (int64_t)json_integer_value(json_object_get(u->obj, "bytes")))
        return error_reply(400, "The parts' total size does not match the upload's 'bytes'.", "part_ids",
                           NULL);
    char name[96], hex[33];
    snprintf(name, sizeof name, "%s.joined", id_of(u->obj));
    char *joined = content_path(req, name);
    if (!joined || join_parts(u, order, n, joined, hex) != 0) {
        mock_response *r = joined ? storage_error_reply("join the parts") : NULL;
        free(joined);
        return r;
    }
    const char *md5 = string_field(body, "md5");
    if (md5 && strcasecmp(md5, hex) != 0) {
        remove_content(joined);
        return error_reply(400, "The MD5 checksum does not match the uploaded parts.", "md5", "md5_mismatch");
    }
    file_rec *f = add_file(req, string_field(u->obj, "filename"), string_field(u->obj, "purpose"), total);
    if (!f || rename(joined, f->path) != 0) {
        mock_response *r = f ? storage_error_reply("store the file") : NULL;
        if (f)
            drop_new_file();
        remove_content(joined);
        return r;
    }
    free(joined);
    remove_parts(u);
    json_object_set_new(u->obj, "status", json_string("completed"));
    json_object_set(u->obj, "file", f->obj);
    return json_reply(200, json_incref(u->obj));
}

static mock_response *complete_upload(const mock_request *req, const char *id)
{
    upload_rec *u = find(&uploads, id, NULL);
    if (!u)
        return not_found_reply("upload", id);
    if (!upload_pending(u))
        return not_pending_reply(u);
    json_t *body = json_body(req);
    if (!body)
        return bad_json_reply();
    size_t *order = calloc(u->parts.count + 1, sizeof *order);
    const char *problem = order ? check_part_ids(u, json_object_get(body, "part_ids"), order) : NULL;
    mock_response *r = NULL;
    if (problem)
        r = error_reply(400, problem, "part_ids", NULL);
    else if (order)
        r = finish_upload(req, u, body, order, json_array_size(json_object_get(body, "part_ids")));
    free(order);
    json_decref(body);
    return r;
}

static mock_response *cancel_upload(const mock_request *req, const char *id)
{
    (void)req;
    upload_rec *u = find(&uploads, id, NULL);
    if (!u)
        return not_found_reply("upload", id);
    if (!upload_pending(u))
        return not_pending_reply(u);
    json_object_set_new(u->obj, "status", json_string("cancelled"));
    remove_parts(u);
    return json_reply(200, json_incref(u->obj));
}

/* ---- fine-tuning jobs -------------------------------------------------------------- */

static void add_event(job_rec *j, const char *level, const char *message, const char *type, json_t *data)
{
    char id[64];
    new_id(id, sizeof id, "ftevent-mock");
    json_t *ev = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o}", "object", "fine_tuning.job.event",
                           "id", id, "created_at", (int)tick(), "level", level, "message", message,
                           "type", type, "data", data ? data : json_object());
    json_array_append_new(j->events, ev);
}

static void add_info(job_rec *j, const char *message)
{
    add_event(j, "info", message, "message", NULL);
}

/* The default hyperparameters, or the ones given (legacy field first, then
 * the method's). */
static json_t *job_hyperparameters(const json_t *body)
{
    const json_t *legacy = json_object_get(body, "hyperparameters");
    const json_t *method = json_object_get(body, "method");
    const char *type = string_field(method, "type");
    const json_t *hp = type ? json_object_get(json_object_get(method, type), "hyperparameters") : NULL;
    if (json_is_object(legacy))
        return json_deep_copy(legacy);
    if (json_is_object(hp))
        return json_deep_copy(hp);
    return json_pack("{s:s, s:s, s:s}", "n_epochs", "auto", "batch_size", "auto",
                     "learning_rate_multiplier", "auto");
}

static json_t *copy_or_null(const json_t *v)
{
    return v ? json_deep_copy(v) : json_null();
}

static json_t *job_json(const char *id, const json_t *body)
{
    const json_t *method = json_object_get(body, "method");
    const json_t *seed = json_object_get(body, "seed");
    json_t *job = json_pack(
        "{s:s, s:s, s:s, s:i, s:n, s:n, s:s, s:[], s:s, s:o, s:s, s:o, s:n, s:n, s:o, s:o, s:o, s:[], s:n}",
        "object", "fine_tuning.job", "id", id, "model", string_field(body, "model"), "created_at",
        (int)tick(), "finished_at", "fine_tuned_model", "organization_id", "org-mock", "result_files",
        "status", "validating_files", "validation_file", copy_or_null(json_object_get(body, "validation_file")),
        "training_file", string_field(body, "training_file"), "hyperparameters", job_hyperparameters(body),
        "trained_tokens", "error", "seed", seed ? json_deep_copy(seed) : json_integer(42), "suffix",
        copy_or_null(json_object_get(body, "suffix")), "metadata", copy_or_null(json_object_get(body, "metadata")),
        "integrations", "estimated_finish");
    if (job)
        json_object_set_new(job, "method", method ? json_deep_copy(method)
                                                  : json_pack("{s:s}", "type", "supervised"));
    return job;
}

static int file_exists(const char *id)
{
    return id && find(&files, id, NULL) != NULL;
}

static mock_response *create_job(const mock_request *req, const char *unused)
{
    (void)unused;
    json_t *body = json_body(req);
    if (!body)
        return bad_json_reply();
    const char *model = string_field(body, "model"), *training = string_field(body, "training_file");
    const json_t *validation = json_object_get(body, "validation_file");
    mock_response *r = NULL;
    char message[256];
    if (!model || !*model) {
        r = error_reply(400, "Missing required parameter: 'model'.", "model", NULL);
    } else if (!file_exists(training)) {
        snprintf(message, sizeof message, "invalid training_file: %.150s", training ? training : "(none)");
        r = error_reply(400, message, "training_file", "invalid_training_file");
    } else if (validation && !json_is_null(validation) && !file_exists(json_string_value(validation))) {
        r = error_reply(400, "invalid validation_file", "validation_file", "invalid_validation_file");
    } else {
        char id[64];
        new_id(id, sizeof id, "ftjob-mock");
        job_rec *j = calloc(1, sizeof *j);
        if (j) {
            j->obj = job_json(id, body);
            j->events = json_array();
            j->checkpoints = json_array();
        }
        if (j && j->obj && j->events && j->checkpoints && vec_push(&jobs, j) == 0) {
            snprintf(message, sizeof message, "Created fine-tuning job: %s", id);
            add_info(j, message);
            r = json_reply(200, json_incref(j->obj));
        } else if (j) {
            free_job(j);
        }
    }
    json_decref(body);
    return r;
}

static const char *job_status(const job_rec *j)
{
    return string_field(j->obj, "status");
}

static void set_status(json_t *obj, const char *status)
{
    json_object_set_new(obj, "status", json_string(status));
}

/* "ft:<model>:mock:<suffix>:<job id without 'ftjob-'>" */
static void fine_tuned_name(const job_rec *j, char *out, size_t size)
{
    const char *id = id_of(j->obj);
    const char *suffix = string_field(j->obj, "suffix");
    snprintf(out, size, "ft:%s:mock:%s:%s", string_field(j->obj, "model"), suffix ? suffix : "",
             strncmp(id, "ftjob-", 6) == 0 ? id + 6 : id);
}

static void start_running(job_rec *j)
{
    char name[256], ckpt_id[64], ckpt_name[300];
    set_status(j->obj, "running");
    add_info(j, "Fine-tuning job started");
    add_event(j, "info", "Step 10/10: training loss=0.42", "metrics",
              json_pack("{s:i, s:i, s:f, s:f}", "step", 10, "total_steps", 10, "train_loss", 0.42,
                        "train_mean_token_accuracy", 0.87));
    fine_tuned_name(j, name, sizeof name);
    snprintf(ckpt_name, sizeof ckpt_name, "%s:ckpt-step-10", name);
    new_id(ckpt_id, sizeof ckpt_id, "ftckpt-mock");
    json_array_append_new(
        j->checkpoints,
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}}", "object",
                  "fine_tuning.job.checkpoint", "id", ckpt_id, "created_at", (int)tick(),
                  "fine_tuned_model_checkpoint", ckpt_name, "fine_tuning_job_id", id_of(j->obj),
                  "step_number", 10, "metrics", "step", 10.0, "train_loss", 0.42,
                  "train_mean_token_accuracy", 0.87, "valid_loss", 0.45, "valid_mean_token_accuracy",
                  0.85, "full_valid_loss", 0.46, "full_valid_mean_token_accuracy", 0.84));
}

static void succeed(job_rec *j)
{
    char name[256], message[300];
    fine_tuned_name(j, name, sizeof name);
    set_status(j->obj, "succeeded");
    json_object_set_new(j->obj, "fine_tuned_model", json_string(name));
    json_object_set_new(j->obj, "finished_at", json_integer(tick()));
    json_object_set_new(j->obj, "trained_tokens", json_integer(1234));
    snprintf(message, sizeof message, "New fine-tuned model created: %s", name);
    add_info(j, message);
    add_info(j, "The job has successfully completed");
}

/* One step of the job's life per retrieve. */
static void advance_job(job_rec *j)
{
    const char *status = job_status(j);
    char message[256];
    if (strcmp(status, "validating_files") == 0) {
        snprintf(message, sizeof message, "Validating training file: %s",
                 string_field(j->obj, "training_file"));
        add_info(j, message);
        set_status(j->obj, "queued");
        add_info(j, "Files validated, moving job to queued state");
    } else if (strcmp(status, "queued") == 0) {
        start_running(j);
    } else if (strcmp(status, "running") == 0) {
        succeed(j);
    }
}

static mock_response *list_jobs(const mock_request *req, const char *unused)
{
    (void)unused;
    char *after = query_param(req, "after");
    mock_response *r = json_reply(200, list_page(&jobs, 1, after, query_limit(req, 20, 100), NULL, NULL, 0));
    free(after);
    return r;
}

static mock_response *get_job(const mock_request *req, const char *id)
{
    (void)req;
    job_rec *j = find(&jobs, id, NULL);
    if (!j)
        return not_found_reply("fine-tuning job", id);
    advance_job(j);
    return json_reply(200, json_incref(j->obj));
}

static int is_terminal_job(const char *status)
{
    return strcmp(status, "succeeded") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "cancelled") == 0;
}

static mock_response *job_state_error(const job_rec *j, const char *action)
{
    char message[200];
    snprintf(message, sizeof message, "Cannot %s a job that is %s.", action, job_status(j));
    return error_reply(400, message, NULL, NULL);
}

static mock_response *cancel_job(const mock_request *req, const char *id)
{
    (void)req;
    job_rec *j = find(&jobs, id, NULL);
    if (!j)
        return not_found_reply("fine-tuning job", id);
    if (is_terminal_job(job_status(j)))
        return job_state_error(j, "cancel");
    set_status(j->obj, "cancelled");
    json_object_set_new(j->obj, "finished_at", json_integer(tick()));
    add_info(j, "Job was cancelled");
    return json_reply(200, json_incref(j->obj));
}

static mock_response *pause_job(const mock_request *req, const char *id)
{
    (void)req;
    job_rec *j = find(&jobs, id, NULL);
    if (!j)
        return not_found_reply("fine-tuning job", id);
    if (is_terminal_job(job_status(j)) || strcmp(job_status(j), "paused") == 0)
        return job_state_error(j, "pause");
    snprintf(j->paused_from, sizeof j->paused_from, "%s", job_status(j));
    set_status(j->obj, "paused");
    add_info(j, "Job was paused");
    return json_reply(200, json_incref(j->obj));
}

static mock_response *resume_job(const mock_request *req, const char *id)
{
    (void)req;
    job_rec *j = find(&jobs, id, NULL);
    if (!j)
        return not_found_reply("fine-tuning job", id);
    if (strcmp(job_status(j), "paused") != 0)
        return job_state_error(j, "resume");
    set_status(j->obj, j->paused_from);
    add_info(j, "Job was resumed");
    return json_reply(200, json_incref(j->obj));
}

static mock_response *job_events(const mock_request *req, const char *id)
{
    job_rec *j = find(&jobs, id, NULL);
    if (!j)
        return not_found_reply("fine-tuning job", id);
    char *after = query_param(req, "after");
    mock_response *r = json_reply(200, array_page(j->events, after, query_limit(req, 20, 100)));
    free(after);
    return r;
}

static mock_response *job_checkpoints(const mock_request *req, const char *id)
{
    job_rec *j = find(&jobs, id, NULL);
    if (!j)
        return not_found_reply("fine-tuning job", id);
    char *after = query_param(req, "after");
    mock_response *r = json_reply(200, array_page(j->checkpoints, after, query_limit(req, 10, 100)));
    free(after);
    return r;
}

/* ---- batches ------------------------------------------------------------------------ */

static const char *const batch_endpoints[] = {
    "/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations",
};

static int batch_endpoint_ok(const char *endpoint)
{
    for (size_t i = 0; endpoint && i < sizeof batch_endpoints / sizeof batch_endpoints[0]; i++)
        if (strcmp(endpoint, batch_endpoints[i]) == 0)
            return 1;
    return 0;
}

static json_t *batch_json(const char *id, const json_t *body)
{
    long now = tick();
    return json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:n, s:n, s:i, s:n, s:i, s:n, s:n, s:n, s:n, "
                     "s:n, s:n, s:n, s:{s:i, s:i, s:i}, s:o}",
                     "id", id, "object", "batch", "endpoint", string_field(body, "endpoint"), "errors",
                     "input_file_id", string_field(body, "input_file_id"), "completion_window",
                     string_field(body, "completion_window"), "status", "validating", "output_file_id",
                     "error_file_id", "created_at", (int)now, "in_progress_at", "expires_at",
                     (int)(now + 86400), "finalizing_at", "completed_at", "failed_at", "expired_at",
                     "cancelling_at", "cancelled_at", "model", "request_counts", "total", 0, "completed",
                     0, "failed", 0, "metadata", copy_or_null(json_object_get(body, "metadata")));
}

static mock_response *create_batch(const mock_request *req, const char *unused)
{
    (void)unused;
    json_t *body = json_body(req);
    if (!body)
        return bad_json_reply();
    const char *input = string_field(body, "input_file_id");
    const char *window = string_field(body, "completion_window");
    mock_response *r = NULL;
    if (!file_exists(input)) {
        r = error_reply(400, "The input file does not exist.", "input_file_id", "invalid_file");
    } else if (!batch_endpoint_ok(string_field(body, "endpoint"))) {
        r = error_reply(400, "Unsupported 'endpoint'.", "endpoint", NULL);
    } else if (!window || strcmp(window, "24h") != 0) {
        r = error_reply(400, "'completion_window' must be '24h'.", "completion_window", NULL);
    } else {
        char id[64];
        new_id(id, sizeof id, "batch_mock");
        batch_rec *b = calloc(1, sizeof *b);
        if (b)
            b->obj = batch_json(id, body);
        if (b && b->obj && vec_push(&batches, b) == 0)
            r = json_reply(200, json_incref(b->obj));
        else if (b)
            free_batch(b);
    }
    json_decref(body);
    return r;
}

static void set_now(json_t *obj, const char *key)
{
    json_object_set_new(obj, key, json_integer(tick()));
}

static void set_counts(json_t *batch, size_t total, size_t completed, size_t failed)
{
    json_object_set_new(batch, "request_counts",
                        json_pack("{s:I, s:I, s:I}", "total", (json_int_t)total, "completed",
                                  (json_int_t)completed, "failed", (json_int_t)failed));
}

/* Calls f on each non-blank line of a file's content. */
static void for_each_line(const char *data, size_t size, void (*fn)(void *ctx, const char *line, size_t len),
                          void *ctx)
{
    const char *p = data, *end = data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t k = 0;
        while (k < len && strchr(" \t\r", p[k]))
            k++;
        if (k < len)
            fn(ctx, p, len);
        p += len + 1;
    }
}

static void count_line(void *ctx, const char *line, size_t len)
{
    (void)line;
    (void)len;
    ++*(size_t *)ctx;
}

/* Runs the input lines of a batch into an output and an error file. */
typedef struct batch_run {
    const char *endpoint;
    json_t *output;             /* lines, as objects */
    json_t *errors;
    size_t completed, failed;
} batch_run;

static json_t *line_error(const char *custom_id, const char *code, const char *message)
{
    char id[64];
    new_id(id, sizeof id, "batch_req_mock");
    return json_pack("{s:s, s:s?, s:n, s:{s:s, s:s}}", "id", id, "custom_id", custom_id, "response",
                     "error", "code", code, "message", message);
}

/* Answers one request line through the built-in handler. */
static json_t *answer_line(const json_t *line)
{
    char *body = json_dumps(json_object_get(line, "body"), JSON_COMPACT);
    char *path = strdup(string_field(line, "url"));
    char *method = strdup(string_field(line, "method"));
    char empty[1] = "";
    mock_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.target = path;
    req.path = path;
    req.query = empty;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    mock_response *resp = body && path && method ? mock_openai_respond(&req) : NULL;
    json_t *answer = resp && !resp->chunked ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    char id[64], request_id[64];
    new_id(id, sizeof id, "batch_req_mock");
    snprintf(request_id, sizeof request_id, "req_mock_batch_%lu", serial);
    json_t *out = answer ? json_pack("{s:s, s:s, s:{s:i, s:s, s:o}, s:n}", "id", id, "custom_id",
                                     string_field(line, "custom_id"), "response", "status_code",
                                     resp->status, "request_id", request_id, "body", answer, "error")
                         : NULL;
    mock_response_free(resp);
    free(body);
    free(path);
    free(method);
    return out;
}

static void run_line(void *ctx, const char *text, size_t len)
{
    batch_run *run = ctx;
    json_t *line = json_loadb(text, len, 0, NULL);
    const char *custom_id = string_field(line, "custom_id");
    const char *url = string_field(line, "url");
    json_t *out = NULL;
    if (!json_is_object(line) || !custom_id || !string_field(line, "method") ||
        !json_is_object(json_object_get(line, "body")))
        out = line_error(custom_id, "invalid_request", "Each line needs custom_id, method, url and body.");
    else if (!url || strcmp(url, run->endpoint) != 0)
        out = line_error(custom_id, "invalid_url", "The line's url does not match the batch's endpoint.");
    else if (json_is_true(json_object_get(json_object_get(line, "body"), "stream")))
        out = line_error(custom_id, "invalid_request", "Streaming is not supported in batches.");
    else
        out = answer_line(line);
    if (!out)
        out = line_error(custom_id, "server_error", "The mock could not answer this line.");
    json_int_t code = json_integer_value(json_object_get(json_object_get(out, "response"), "status_code"));
    int ok = code >= 200 && code <= 299;
    json_array_append_new(ok ? run->output : run->errors, out);
    if (ok)
        run->completed++;
    else
        run->failed++;
    json_decref(line);
}

/* Writes JSON lines to a new file of the batch; returns its id or NULL. */
static const char *store_lines(const mock_request *req, const json_t *batch, const json_t *lines,
                               const char *kind)
{
    size_t cap = 1, len = 0;
    char *data = malloc(cap);
    for (size_t i = 0; data && i < json_array_size(lines); i++) {
        char *text = json_dumps(json_array_get(lines, i), JSON_COMPACT);
        size_t n = text ? strlen(text) : 0;
        char *grown = text ? realloc(data, len + n + 2) : NULL;
        if (!grown) {
            free(text);
            free(data);
            return NULL;
        }
        data = grown;
        memcpy(data + len, text, n);
        data[len + n] = '\n';
        len += n + 1;
        free(text);
    }
    char filename[128];
    snprintf(filename, sizeof filename, "%s_%s.jsonl", id_of(batch), kind);
    file_rec *f = data ? add_file(req, filename, "batch_output", (int64_t)len) : NULL;
    if (f && write_file(f->path, data, len) != 0) {
        drop_new_file();
        f = NULL;
    }
    free(data);
    return f ? id_of(f->obj) : NULL;
}

static void complete_batch(const mock_request *req, batch_rec *b, const char *input, size_t input_len)
{
    batch_run run = {string_field(b->obj, "endpoint"), json_array(), json_array(), 0, 0};
    if (run.output && run.errors)
        for_each_line(input, input_len, run_line, &run);
    set_now(b->obj, "finalizing_at");
    if (json_array_size(run.output)) {
        const char *id = store_lines(req, b->obj, run.output, "output");
        json_object_set_new(b->obj, "output_file_id", id ? json_string(id) : json_null());
    }
    if (json_array_size(run.errors)) {
        const char *id = store_lines(req, b->obj, run.errors, "error");
        json_object_set_new(b->obj, "error_file_id", id ? json_string(id) : json_null());
    }
    set_counts(b->obj, run.completed + run.failed, run.completed, run.failed);
    set_status(b->obj, "completed");
    set_now(b->obj, "completed_at");
    json_decref(run.output);
    json_decref(run.errors);
}

static void fail_batch(batch_rec *b, const char *message)
{
    json_object_set_new(b->obj, "errors",
                        json_pack("{s:s, s:[{s:s, s:s, s:n, s:n}]}", "object", "list", "data", "code",
                                  "invalid_input_file", "message", message, "param", "line"));
    set_status(b->obj, "failed");
    set_now(b->obj, "failed_at");
}

/* The batch's input file's content (malloc'd), or NULL when the file is
 * gone or too large for the mock to run. */
static char *batch_input(const batch_rec *b, size_t *len)
{
    const file_rec *input = find(&files, string_field(b->obj, "input_file_id"), NULL);
    return input ? read_small_file(input->path, BATCH_INPUT_LIMIT, len) : NULL;
}

/* One step of the batch's life per retrieve. */
static void advance_batch(const mock_request *req, batch_rec *b)
{
    const char *status = string_field(b->obj, "status");
    size_t len = 0;
    char *input = NULL;
    if (strcmp(status, "validating") == 0) {
        if (!(input = batch_input(b, &len))) {
            fail_batch(b, "The input file is missing or larger than the mock runs (16 MiB).");
            return;
        }
        size_t total = 0;
        for_each_line(input, len, count_line, &total);
        set_counts(b->obj, total, 0, 0);
        set_status(b->obj, "in_progress");
        set_now(b->obj, "in_progress_at");
    } else if (strcmp(status, "in_progress") == 0) {
        if ((input = batch_input(b, &len)) != NULL)
            complete_batch(req, b, input, len);
        else
            fail_batch(b, "The input file was deleted.");
    } else if (strcmp(status, "cancelling") == 0) {
        set_status(b->obj, "cancelled");
        set_now(b->obj, "cancelled_at");
    }
    free(input);
}

static mock_response *get_batch(const mock_request *req, const char *id)
{
    batch_rec *b = find(&batches, id, NULL);
    if (!b)
        return not_found_reply("batch", id);
    advance_batch(req, b);
    return json_reply(200, json_incref(b->obj));
}

static mock_response *list_batches(const mock_request *req, const char *unused)
{
    (void)unused;
    char *after = query_param(req, "after");
    mock_response *r = json_reply(200, list_page(&batches, 1, after, query_limit(req, 20, 100), NULL, NULL, 1));
    free(after);
    return r;
}

static mock_response *cancel_batch(const mock_request *req, const char *id)
{
    (void)req;
    batch_rec *b = find(&batches, id, NULL);
    if (!b)
        return not_found_reply("batch", id);
    const char *status = string_field(b->obj, "status");
    if (strcmp(status, "validating") != 0 && strcmp(status, "in_progress") != 0 &&
        strcmp(status, "cancelling") != 0) {
        char message[128];
        snprintf(message, sizeof message, "Cannot cancel a batch that is %s.", status);
        return error_reply(400, message, NULL, NULL);
    }
    if (strcmp(status, "cancelling") != 0) {
        set_status(b->obj, "cancelling");
        set_now(b->obj, "cancelling_at");
    }
    return json_reply(200, json_incref(b->obj));
}

/* ---- routing ------------------------------------------------------------------------ */

typedef mock_response *(*route_fn)(const mock_request *req, const char *id);

/* Patterns below /v1/; "*" matches the one id segment. */
static const struct route {
    const char *method;
    const char *pattern;
    route_fn fn;
} routes[] = {
    {"GET", "files", list_files},
    {"POST", "files", upload_file},
    {"GET", "files/*", get_file},
    {"DELETE", "files/*", delete_file},
    {"GET", "files/*/content", file_content},
    {"POST", "uploads", create_upload},
    {"POST", "uploads/*/parts", add_upload_part},
    {"POST", "uploads/*/complete", complete_upload},
    {"POST", "uploads/*/cancel", cancel_upload},
    {"GET", "fine_tuning/jobs", list_jobs},
    {"POST", "fine_tuning/jobs", create_job},
    {"GET", "fine_tuning/jobs/*", get_job},
    {"POST", "fine_tuning/jobs/*/cancel", cancel_job},
    {"POST", "fine_tuning/jobs/*/pause", pause_job},
    {"POST", "fine_tuning/jobs/*/resume", resume_job},
    {"GET", "fine_tuning/jobs/*/events", job_events},
    {"GET", "fine_tuning/jobs/*/checkpoints", job_checkpoints},
    {"GET", "batches", list_batches},
    {"POST", "batches", create_batch},
    {"GET", "batches/*", get_batch},
    {"POST", "batches/*/cancel", cancel_batch},
};

/* Matches path (below /v1/) against a pattern; *id gets the decoded id
 * segment (malloc'd) when the pattern has one. */
static int route_matches(const char *pattern, const char *path, char **id)
{
    *id = NULL;
    for (;;) {
        size_t plen = strcspn(pattern, "/"), len = strcspn(path, "/");
        if (plen == 1 && pattern[0] == '*') {
            if (len == 0)
                break;
            free(*id);
            *id = percent_decode(path, len, 0);
        } else if (plen != len || strncmp(pattern, path, len) != 0) {
            break;
        }
        pattern += plen;
        path += len;
        if (!*pattern && !*path)
            return 1;
        if (*pattern != '/' || *path != '/')
            break;
        pattern++;
        path++;
    }
    free(*id);
    *id = NULL;
    return 0;
}

static int handled_prefix(const char *path)
{
    static const char *const prefixes[] = {"/v1/files", "/v1/uploads", "/v1/fine_tuning/", "/v1/batches"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], n) == 0 && (path[n] == '\0' || path[n] == '/' || prefixes[i][n - 1] == '/'))
            return 1;
    }
    return 0;
}

mock_response *mock_state_respond(const mock_request *req)
{
    /* Checked before locking: batch lines are answered by calling back into
     * the built-in handler while the lock is held. */
    if (!req || !req->path || !handled_prefix(req->path))
        return NULL;
    const char *below = req->path + 4; /* after "/v1/" */
    int path_known = 0, served = 0;
    mock_response *r = NULL;
    pthread_mutex_lock(&state_lock);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !served; i++) {
        char *id = NULL;
        if (!route_matches(routes[i].pattern, below, &id))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, req->method) == 0) {
            r = routes[i].fn(req, id);
            served = 1;
        }
        free(id);
    }
    pthread_mutex_unlock(&state_lock);
    if (!served && path_known)
        r = error_reply(405, "Method not allowed for this URL.", NULL, "method_not_allowed");
    return r;
}
