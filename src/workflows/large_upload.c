/* The resumable large upload: create an upload, stream the file's parts
 * from disk (each retried on its own), complete with the ordered part ids
 * and the file's MD5; resumable from the parts already accepted. */
#include "core/core.h"
#include "json/json.h"

#include <openssl/evp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PART_SIZE ((int64_t)64 * 1024 * 1024)
#define MD5_CHUNK ((size_t)64 * 1024)

/* ---- the resumable large upload -------------------------------------------- */

struct oai_large_upload {
    oai_client *client;
    char *path;
    char *purpose;
    char *mime_type;
    int64_t size;                /* the file's size when the handle was made */
    int64_t part_size;
    oai_progress_fn progress_fn;
    void *progress_ud;
    char *upload_id;             /* NULL until created (or resumed) */
    char **part_ids;             /* accepted parts, in file order */
    size_t part_count;
    size_t part_cap;
    oai_status status;           /* sticky: why oai_large_upload_new() failed */
    char *error_message;
};

/* Makes `up` a failed handle: NULL when memory ran out. */
static oai_large_upload *failed_upload(oai_large_upload *up, oai_status status, const char *message)
{
    oai__buf msg = {0};
    if (oai__buf_printf(&msg, "oai_large_upload_new: %s", message) != OAI_OK) {
        oai__buf_free(&msg);
        oai_large_upload_free(up);
        return NULL;
    }
    up->status = status;
    up->error_message = msg.data;
    return up;
}

OAI_API oai_large_upload *oai_large_upload_new(oai_client *client, const char *path,
                                               const char *purpose, const char *mime_type)
{
    struct stat sb;
    FILE *f = NULL;
    oai_large_upload *up = oai__calloc(1, sizeof *up);
    if (!up)
        return NULL;
    if (!client)
        return failed_upload(up, OAI_ERR_INVALID_ARGUMENT, "NULL client");
    if (!oai__nonempty(path))
        return failed_upload(up, OAI_ERR_INVALID_ARGUMENT, "the path is NULL or empty");
    if (!oai__nonempty(purpose))
        return failed_upload(up, OAI_ERR_INVALID_ARGUMENT, "the purpose is NULL or empty");
    if (mime_type && !*mime_type)
        return failed_upload(up, OAI_ERR_INVALID_ARGUMENT, "the MIME type is empty");
    if (stat(path, &sb) != 0 || !(f = fopen(path, "rb"))) {
        char why[512];
        snprintf(why, sizeof why, "cannot open %s: %s", path, strerror(errno));
        return failed_upload(up, OAI_ERR_IO, why);
    }
    fclose(f);
    if (!S_ISREG(sb.st_mode))
        return failed_upload(up, OAI_ERR_IO, "the path is not a regular file");
    up->client = client;
    up->size = (int64_t)sb.st_size;
    up->part_size = MAX_PART_SIZE;
    up->path = oai__strdup(path);
    up->purpose = oai__strdup(purpose);
    up->mime_type = oai__strdup(mime_type ? mime_type : "application/octet-stream");
    if (!up->path || !up->purpose || !up->mime_type) {
        oai_large_upload_free(up);
        return NULL;
    }
    return up;
}

OAI_API oai_status oai_large_upload_status(const oai_large_upload *up)
{
    return up ? up->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_large_upload_error_message(const oai_large_upload *up)
{
    return up ? up->error_message : NULL;
}

static void clear_parts(oai_large_upload *up)
{
    for (size_t i = 0; i < up->part_count; i++)
        oai__free(up->part_ids[i]);
    up->part_count = 0;
}

OAI_API void oai_large_upload_free(oai_large_upload *up)
{
    if (!up)
        return;
    clear_parts(up);
    oai__free(up->part_ids);
    oai__free(up->upload_id);
    oai__free(up->path);
    oai__free(up->purpose);
    oai__free(up->mime_type);
    oai__free(up->error_message);
    oai__free(up);
}

OAI_API oai_status oai_large_upload_set_part_size(oai_large_upload *up, int64_t part_size)
{
    if (up && up->status != OAI_OK)
        return up->status;
    if (!up || part_size < 1 || part_size > MAX_PART_SIZE)
        return OAI_ERR_INVALID_ARGUMENT;
    up->part_size = part_size;
    return OAI_OK;
}

OAI_API oai_status oai_large_upload_set_progress_callback(oai_large_upload *up, oai_progress_fn fn, void *userdata)
{
    if (!up)
        return OAI_ERR_INVALID_ARGUMENT;
    if (up->status != OAI_OK)
        return up->status;
    up->progress_fn = fn;
    up->progress_ud = fn ? userdata : NULL;
    return OAI_OK;
}

static oai_status add_part_id(oai_large_upload *up, const char *id)
{
    if (up->part_count == up->part_cap) {
        size_t cap = up->part_cap ? up->part_cap * 2 : 16;
        char **p = oai__realloc(up->part_ids, cap * sizeof *p);
        if (!p)
            return OAI_ERR_OUT_OF_MEMORY;
        up->part_ids = p;
        up->part_cap = cap;
    }
    char *copy = oai__strdup(id);
    if (!copy)
        return OAI_ERR_OUT_OF_MEMORY;
    up->part_ids[up->part_count++] = copy;
    return OAI_OK;
}

OAI_API oai_status oai_large_upload_resume(oai_large_upload *up, const char *upload_id,
                                           const char *const *part_ids, size_t part_count)
{
    if (up && up->status != OAI_OK)
        return up->status;
    if (!up || !oai__nonempty(upload_id) || (part_count && !part_ids))
        return OAI_ERR_INVALID_ARGUMENT;
    for (size_t i = 0; i < part_count; i++)
        if (!oai__nonempty(part_ids[i]))
            return OAI_ERR_INVALID_ARGUMENT;
    oai_status st = oai__set_str(&up->upload_id, upload_id);
    clear_parts(up);
    for (size_t i = 0; st == OAI_OK && i < part_count; i++)
        st = add_part_id(up, part_ids[i]);
    if (st != OAI_OK)
        clear_parts(up);
    return st;
}

OAI_API const char *oai_large_upload_id(const oai_large_upload *up)
{
    return up ? up->upload_id : NULL;
}

OAI_API size_t oai_large_upload_part_count(const oai_large_upload *up)
{
    return up ? up->part_count : 0;
}

OAI_API const char *oai_large_upload_part_id(const oai_large_upload *up, size_t index)
{
    return (up && index < up->part_count) ? up->part_ids[index] : NULL;
}

/* A response carrying a local failure (NULL only when memory ran out). */
/* Turns a response into a failure when it lacks the string at `pointer`
 * (a 2xx answer without the id we need cannot be continued from). */
static const char *require_string(oai_response *res, const char *pointer, const char *message)
{
    const char *s = oai_response_get_string(res, pointer);
    if (!oai__nonempty(s)) {
        oai__response_fail(res, OAI_ERR_PROTOCOL, message);
        return NULL;
    }
    return s;
}

static oai_response *create_upload(oai_large_upload *up)
{
    oai_request *req = oai_upload_create_request_new(oai__base_name(up->path), up->purpose, up->size,
                                                     up->mime_type);
    if (!req)
        return oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
    oai_response *res = oai_client_send(up->client, req);
    oai_request_free(req);
    if (oai_response_status(res) != OAI_OK)
        return res;
    const char *id = require_string(res, "/id", "the created upload has no id");
    if (id && oai__set_str(&up->upload_id, id) != OAI_OK)
        oai__response_fail(res, OAI_ERR_OUT_OF_MEMORY, NULL);
    return res;
}

/* Turns one part request's body progress into whole-file progress. */
typedef struct part_progress {
    oai_large_upload *up;
    int64_t offset;
    int64_t length;
} part_progress;

static int on_part_progress(void *ud, int64_t sent, int64_t send_total, int64_t received,
                            int64_t receive_total)
{
    (void)send_total;
    (void)received;
    (void)receive_total;
    part_progress *p = ud;
    /* `sent` counts the multipart framing too; report file bytes only. */
    int64_t file_sent = p->offset + (sent < p->length ? sent : p->length);
    return p->up->progress_fn(p->up->progress_ud, file_sent, p->up->size, 0, 0);
}

static oai_response *send_part(oai_large_upload *up, int64_t offset, int64_t length)
{
    oai_request *req = oai_upload_add_part_request_new(up->upload_id, up->path, offset, length);
    if (!req)
        return oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
    if (oai_request_status(req) != OAI_OK) {
        /* The part request checks the file: it can no longer be read. */
        oai_response *failed = oai__response_new_failed(oai_request_status(req), oai_request_error_message(req));
        oai_request_free(req);
        return failed;
    }
    part_progress pp = {up, offset, length};
    if (up->progress_fn)
        oai_request_set_progress_callback(req, on_part_progress, &pp);
    oai_response *res = oai_client_send(up->client, req);
    oai_request_free(req);
    if (oai_response_status(res) != OAI_OK)
        return res;
    const char *id = require_string(res, "/id", "the accepted part has no id");
    if (id && add_part_id(up, id) != OAI_OK)
        oai__response_fail(res, OAI_ERR_OUT_OF_MEMORY, NULL);
    return res;
}

/* Hashes the file in fixed-size chunks; hex receives 32 digits and a NUL. */
static oai_status file_md5_hex(const char *path, char hex[33])
{
    FILE *f = fopen(path, "rb");
    unsigned char *chunk = oai__malloc(MD5_CHUNK);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    oai_status st = (f && chunk && ctx) ? OAI_OK : (!f ? OAI_ERR_IO : OAI_ERR_OUT_OF_MEMORY);
    if (st == OAI_OK && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
        st = OAI_ERR_OUT_OF_MEMORY;
    size_t n;
    while (st == OAI_OK && (n = fread(chunk, 1, MD5_CHUNK, f)) > 0)
        if (EVP_DigestUpdate(ctx, chunk, n) != 1)
            st = OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK && ferror(f))
        st = OAI_ERR_IO;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (st == OAI_OK && (EVP_DigestFinal_ex(ctx, digest, &len) != 1 || len != 16))
        st = OAI_ERR_OUT_OF_MEMORY;
    for (unsigned int i = 0; st == OAI_OK && i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    EVP_MD_CTX_free(ctx);
    oai__free(chunk);
    if (f)
        fclose(f);
    return st;
}

static oai_response *complete_upload(oai_large_upload *up)
{
    char md5[33];
    oai_status st = file_md5_hex(up->path, md5);
    if (st != OAI_OK)
        return oai__response_new_failed(st, st == OAI_ERR_IO ? "cannot read the file to hash it" : NULL);
    oai_request *req = oai_upload_complete_request_new(up->upload_id, (const char *const *)up->part_ids,
                                                       up->part_count, md5);
    if (!req)
        return oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
    oai_response *res = oai_client_send(up->client, req);
    oai_request_free(req);
    return res;
}

/* The parts already accepted must be the first ones of the file as it is
 * now, cut at the part size. */
static oai_response *check_file(const oai_large_upload *up, int64_t part_total)
{
    struct stat sb;
    if (stat(up->path, &sb) != 0)
        return oai__response_new_failed(OAI_ERR_IO, "cannot stat the file");
    if ((int64_t)sb.st_size != up->size)
        return oai__response_new_failed(OAI_ERR_IO, "the file changed size since the upload was prepared");
    if ((int64_t)up->part_count > part_total)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT,
                             "more parts were resumed than the file has at this part size");
    return NULL;
}

OAI_API oai_response *oai_large_upload_run(oai_large_upload *up)
{
    if (!up)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL upload");
    if (up->status != OAI_OK)
        return oai__response_new_failed(up->status, up->error_message);
    int64_t part_total = (up->size + up->part_size - 1) / up->part_size;
    oai_response *res = check_file(up, part_total);
    if (res)
        return res;
    if (!up->upload_id) {
        res = create_upload(up);
        if (oai_response_status(res) != OAI_OK)
            return res;
        oai_response_free(res);
    }
    for (int64_t i = (int64_t)up->part_count; i < part_total; i++) {
        int64_t offset = i * up->part_size;
        int64_t length = up->size - offset < up->part_size ? up->size - offset : up->part_size;
        res = send_part(up, offset, length);
        if (oai_response_status(res) != OAI_OK)
            return res;
        oai_response_free(res);
    }
    return complete_upload(up);
}

OAI_API oai_response *oai_client_upload_large_file(oai_client *client, const char *path, const char *purpose,
                                            const char *mime_type, oai_progress_fn progress,
                                            void *userdata)
{
    oai_large_upload *up = oai_large_upload_new(client, path, purpose, mime_type);
    if (!up)
        return NULL;
    oai_large_upload_set_progress_callback(up, progress, userdata);
    oai_response *res = oai_large_upload_run(up);
    oai_large_upload_free(up);
    return res;
}
