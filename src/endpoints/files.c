/* The hand-written helpers for /files: uploads (multipart, from disk or
 * memory). List, retrieve, delete and download are generated from
 * endpoints.def. */
#include "endpoints/endpoints.h"

#include <stdio.h>

/* POST /files with the `purpose` field; the caller adds the `file` part. */
static oai_request *upload_request(oai__endpoint_id id, const char *purpose)
{
    if (!oai__nonempty(purpose))
        return NULL;
    oai_request *r = oai__endpoint_request(id, NULL, 0);
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
    oai_request *r = upload_request(OAI__EP(oai_file_upload_request_new), purpose);
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
    oai_request *r = upload_request(OAI__EP(oai_file_upload_data_request_new), purpose);
    if (r && oai_request_add_data_part(r, "file", data, len, filename, NULL) != OAI_OK) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}
