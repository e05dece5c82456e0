/* Endpoint helpers for /files: upload (multipart, from disk or memory),
 * list, retrieve, delete and download. Each only pre-fills an ordinary
 * request. */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>

/* METHOD /files/{id}{suffix}, the id percent-encoded as one path segment. */
static oai_request *file_request(const char *method, const char *id, const char *suffix)
{
    if (!oai__nonempty(id))
        return NULL;
    char *enc = oai__url_encode(id);
    oai__buf path = {0};
    if (enc)
        oai__buf_printf(&path, "/files/%s%s", enc, suffix);
    free(enc);
    oai_request *r = path.data ? oai_request_new(method, path.data) : NULL;
    oai__buf_free(&path);
    return r;
}

/* POST /files with the `purpose` field; the caller adds the `file` part. */
static oai_request *upload_request(const char *purpose)
{
    if (!oai__nonempty(purpose))
        return NULL;
    oai_request *r = oai_request_new("POST", "/files");
    if (r && oai_request_add_form_field(r, "purpose", purpose) != OAI_OK) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}

/* The file part is only stat()ed when added; opening it here reports an
 * unreadable file now rather than at send time. */
static int readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fclose(f);
    return 1;
}

OAI_API oai_request *oai_file_upload_request_new(const char *path, const char *purpose)
{
    if (!oai__nonempty(path) || !readable(path))
        return NULL;
    oai_request *r = upload_request(purpose);
    if (r && oai_request_add_file_part(r, "file", path, NULL, NULL) != OAI_OK) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}

OAI_API oai_request *oai_file_upload_data_request_new(const void *data, size_t len,
                                                      const char *filename, const char *purpose)
{
    if ((!data && len) || !oai__nonempty(filename))
        return NULL;
    oai_request *r = upload_request(purpose);
    if (r && oai_request_add_data_part(r, "file", data, len, filename, NULL) != OAI_OK) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}

OAI_API oai_request *oai_files_list_request_new(void)
{
    return oai_request_new("GET", "/files");
}

OAI_API oai_request *oai_file_retrieve_request_new(const char *file_id)
{
    return file_request("GET", file_id, "");
}

OAI_API oai_request *oai_file_delete_request_new(const char *file_id)
{
    return file_request("DELETE", file_id, "");
}

OAI_API oai_request *oai_file_content_request_new(const char *file_id)
{
    oai_request *r = file_request("GET", file_id, "/content");
    /* The official SDKs ask for raw bytes, not JSON. */
    if (r && (oai_request_set_header(r, "Accept", "application/binary") != OAI_OK ||
              oai_request_set_raw_response(r, 1) != OAI_OK)) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}
