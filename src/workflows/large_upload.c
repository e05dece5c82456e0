/* The resumable large upload, as a workflow on the engine: create an
 * upload, stream the file's parts from disk (each part a call of its own,
 * so each is retried alone), complete with the ordered part ids and the
 * file's MD5; resumable from the parts already accepted. The MD5 is
 * computed a slice per step while the parts are sent, so no poll reads
 * the whole file. oai_large_upload_run() is oai_large_upload_start() plus
 * a wait. */
#include "core/core.h"
#include "json/json.h"
#include "workflows/workflow.h"

#include <openssl/evp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PART_SIZE ((int64_t)64 * 1024 * 1024)
#define MD5_CHUNK ((size_t)64 * 1024)
/* The MD5 reads at most this much of the file per step. */
#define MD5_CHUNKS_PER_STEP 4

typedef struct upload_run upload_run;

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
    upload_run *run;             /* the workflow running it now, or NULL */
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
    up->client = client;
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

static void detach_run(oai_large_upload *up);

OAI_API void oai_large_upload_free(oai_large_upload *up)
{
    if (!up)
        return;
    detach_run(up);
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
    if (!up || part_size < 1 || part_size > MAX_PART_SIZE || up->run)
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
    if (!up || !oai__nonempty(upload_id) || (part_count && !part_ids) || up->run)
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


/* ---- the workflow ---------------------------------------------------------------- */

typedef enum upload_phase {
    UP_START,    /* nothing done yet */
    UP_CREATE,   /* creating the upload */
    UP_PARTS,    /* sending the parts, one at a time */
    UP_COMPLETE  /* completing it */
} upload_phase;

struct upload_run {
    oai_large_upload *up;        /* NULL once the handle was freed */
    oai_call *call;              /* the workflow's own call */
    oai_call *child;             /* the request under way */
    upload_phase phase;
    int64_t part_total;
    int64_t part_offset;         /* the part under way */
    int64_t part_length;
    /* The file's MD5, computed a slice per step. */
    FILE *file;
    EVP_MD_CTX *md5;
    unsigned char *chunk;
    int hashed;                  /* the MD5 is in md5_hex (or failed) */
    oai_status hash_status;
    char md5_hex[33];
};

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

/* The part's progress callback turns the part's body progress into the
 * whole file's for the handle's callback. Its userdata is the run: the
 * run frees its part before it goes, and the engine runs no callback of a
 * freed call, so the run outlives every call of this. */
static int on_part_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    (void)send_total;
    (void)received;
    (void)receive_total;
    const upload_run *run = ud;
    const oai_large_upload *up = run->up;
    if (!up)
        return 1; /* the handle was freed: stop the part */
    if (!up->progress_fn)
        return 0;
    /* `sent` counts the multipart framing too; report file bytes only. */
    int64_t file_sent = run->part_offset + (sent < run->part_length ? sent : run->part_length);
    return up->progress_fn(up->progress_ud, file_sent, up->size, 0, 0);
}

/* Starts one of the upload's requests; the request is freed. */
static int64_t start_child(oai_call *call, upload_run *run, oai_request *req);

/* Reads the next slice of the file into the MD5. */
static void hash_some(upload_run *run)
{
    if (run->hashed)
        return;
    oai_status st = OAI_OK;
    for (int i = 0; st == OAI_OK && i < MD5_CHUNKS_PER_STEP; i++) {
        size_t n = fread(run->chunk, 1, MD5_CHUNK, run->file);
        if (n > 0 && EVP_DigestUpdate(run->md5, run->chunk, n) != 1)
            st = OAI_ERR_OUT_OF_MEMORY;
        if (n == MD5_CHUNK)
            continue;
        if (ferror(run->file))
            st = OAI_ERR_IO;
        if (st != OAI_OK)
            break;
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(run->md5, digest, &len) != 1 || len != 16) {
            st = OAI_ERR_OUT_OF_MEMORY;
            break;
        }
        for (unsigned int k = 0; k < len; k++)
            snprintf(run->md5_hex + 2 * k, 3, "%02x", digest[k]);
        run->hashed = 1;
        break;
    }
    if (st != OAI_OK) {
        run->hash_status = st;
        run->hashed = 1;
    }
    if (run->hashed) {
        fclose(run->file);
        run->file = NULL;
    }
}

/* Opens the file for the MD5 (failures surface at completion, where the
 * MD5 is needed). */
static void start_hash(upload_run *run)
{
    run->file = fopen(run->up->path, "rb");
    run->chunk = oai__malloc(MD5_CHUNK);
    run->md5 = EVP_MD_CTX_new();
    run->hash_status = !run->file ? OAI_ERR_IO
                       : (run->chunk && run->md5 && EVP_DigestInit_ex(run->md5, EVP_md5(), NULL) == 1)
                           ? OAI_OK
                           : OAI_ERR_OUT_OF_MEMORY;
    if (run->hash_status != OAI_OK) {
        run->hashed = 1;
        if (run->file)
            fclose(run->file);
        run->file = NULL;
    }
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

static int64_t end_with(oai_call *call, oai_response *res)
{
    oai__call_end(call, res);
    return INT64_MAX;
}

/* What the first step does: checks, then creates the upload (unless it is
 * resumed). */
static int64_t begin(oai_call *call, upload_run *run)
{
    oai_large_upload *up = run->up;
    if (up->status != OAI_OK)
        return end_with(call, oai__response_new_failed(up->status, up->error_message));
    run->part_total = (up->size + up->part_size - 1) / up->part_size;
    oai_response *res = check_file(up, run->part_total);
    if (res)
        return end_with(call, res);
    start_hash(run);
    if (up->upload_id) {
        run->phase = UP_PARTS;
        return -1; /* go on with the parts */
    }
    run->phase = UP_CREATE;
    return start_child(call, run,
                       oai_upload_create_request_new(oai__base_name(up->path), up->purpose, up->size, up->mime_type));
}

/* Takes the finished request's response; -1 to go on. */
static int64_t take_answer(oai_call *call, upload_run *run, oai_response *res)
{
    oai_large_upload *up = run->up;
    if (oai_response_status(res) != OAI_OK || run->phase == UP_COMPLETE)
        return end_with(call, res);
    if (run->phase == UP_CREATE) {
        const char *id = require_string(res, "/id", "the created upload has no id");
        if (!id)
            return end_with(call, res);
        if (oai__set_str(&up->upload_id, id) != OAI_OK) {
            oai__response_fail(res, OAI_ERR_OUT_OF_MEMORY, NULL);
            return end_with(call, res);
        }
        run->phase = UP_PARTS;
        oai_response_free(res);
        return -1;
    }
    const char *id = require_string(res, "/id", "the accepted part has no id");
    if (!id || add_part_id(up, id) != OAI_OK) {
        if (id)
            oai__response_fail(res, OAI_ERR_OUT_OF_MEMORY, NULL);
        return end_with(call, res);
    }
    oai_response_free(res);
    oai_value *progress = oai__workflow_progress_json(run->part_offset + run->part_length, up->size);
    if (!progress)
        return end_with(call, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    int stop = oai__call_emit(call, OAI_EVENT_PROGRESS, progress);
    oai__json_decref(progress);
    if (stop)
        return end_with(call, oai__response_new_failed(OAI_ERR_CANCELLED, "cancelled by the event callback"));
    /* The callback may have freed the handle, or cancelled or freed the
     * call: the engine ends it at once. */
    if (!run->up || oai__call_cancelled(call))
        return 0;
    return -1;
}

static int64_t start_child(oai_call *call, upload_run *run, oai_request *req)
{
    if (!req)
        return end_with(call, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    if (oai_request_status(req) != OAI_OK) {
        /* The part request checks the file: it can no longer be read. */
        oai_response *failed = oai__response_new_failed(oai_request_status(req), oai_request_error_message(req));
        oai_request_free(req);
        return end_with(call, failed);
    }
    run->child = oai__workflow_child(call, req);
    oai_request_free(req);
    if (!run->child)
        return end_with(call, oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL));
    return INT64_MAX; /* woken when it ends (see workflow.h) */
}

/* Sends the next part, or completes the upload once every part is in and
 * the MD5 is known. */
static int64_t next_request(oai_call *call, upload_run *run)
{
    oai_large_upload *up = run->up;
    int64_t i = (int64_t)up->part_count;
    if (i < run->part_total) {
        run->part_offset = i * up->part_size;
        run->part_length = up->size - run->part_offset < up->part_size ? up->size - run->part_offset : up->part_size;
        oai_request *req = oai_upload_add_part_request_new(up->upload_id, up->path, run->part_offset, run->part_length);
        if (req && oai_request_status(req) == OAI_OK && up->progress_fn &&
            oai_request_set_progress_callback(req, on_part_progress, run) != OAI_OK) {
            oai_request_free(req);
            req = NULL;
        }
        return start_child(call, run, req);
    }
    hash_some(run);
    if (!run->hashed)
        return 0; /* the rest of the file at the next step */
    if (run->hash_status != OAI_OK)
        return end_with(call, oai__response_new_failed(run->hash_status, run->hash_status == OAI_ERR_IO
                                                                             ? "cannot read the file to hash it"
                                                                             : NULL));
    run->phase = UP_COMPLETE;
    return start_child(call, run,
                       oai_upload_complete_request_new(up->upload_id, (const char *const *)up->part_ids,
                                                       up->part_count, run->md5_hex));
}

static int64_t upload_step(oai_call *call, void *state, int64_t now)
{
    upload_run *run = state;
    (void)now;
    if (!run->up)
        return end_with(call, oai__response_new_failed(OAI_ERR_CANCELLED, "the upload's handle was freed"));
    int64_t wake = -1;
    if (run->child) {
        oai_response *res = oai__workflow_take(&run->child);
        if (!res) {
            /* The request runs: meanwhile, the MD5. */
            hash_some(run);
            return run->hashed ? INT64_MAX : 0;
        }
        wake = take_answer(call, run, res);
    } else if (run->phase == UP_START) {
        wake = begin(call, run);
    }
    return wake >= 0 ? wake : next_request(call, run);
}

static void upload_run_free(void *state)
{
    upload_run *run = state;
    oai__workflow_drop(&run->child); /* first: no callback of it runs after this */
    if (run->file)
        fclose(run->file);
    EVP_MD_CTX_free(run->md5);
    oai__free(run->chunk);
    if (run->up)
        run->up->run = NULL;
    oai__free(run);
}

static const oai__workflow_ops upload_ops = {upload_step, upload_run_free};

/* A freed handle cancels its running workflow (whose call is its
 * caller's: it ends at the next poll). */
static void detach_run(oai_large_upload *up)
{
    if (!up->run)
        return;
    up->run->up = NULL;
    oai_call_cancel(up->run->call);
    up->run = NULL;
}

OAI_API oai_call *oai_large_upload_start(oai_large_upload *up, oai_done_fn fn, void *userdata,
                                         oai_event_fn event_fn, void *event_userdata)
{
    /* A failed handle made with a client starts, and ends with its status;
     * so does one already running, with its own. */
    if (!up || !up->client)
        return NULL;
    if (up->run)
        return oai__workflow_start_failed(up->client, OAI_ERR_INVALID_ARGUMENT, "the upload is already running",
                                          fn, userdata, event_fn, event_userdata);
    upload_run *run = oai__calloc(1, sizeof *run);
    if (!run)
        return NULL;
    run->up = up;
    /* Without memory for the call, the run is freed already. */
    oai_call *call = oai__workflow_start(up->client, &upload_ops, run, fn, userdata, event_fn, event_userdata);
    if (call) {
        run->call = call;
        up->run = run;
    }
    return call;
}

OAI_API oai_response *oai_large_upload_run(oai_large_upload *up)
{
    if (!up)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL upload");
    if (!up->client)
        return oai__response_new_failed(up->status, up->error_message);
    if (up->run)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "the upload is already running");
    oai_call *call = oai_large_upload_start(up, NULL, NULL, oai__workflow_ignore_event, NULL);
    return call ? oai__call_wait(call) : NULL;
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
