/* The hand-written helpers for /files: uploads (multipart, from disk or
 * memory). List, retrieve, delete and download are generated from
 * endpoints.def. */
#include "endpoints/endpoints.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* POST /files with the `purpose` field; the caller adds the `file` part. */
static oai_request *upload_request(oai__endpoint_id id, const char *purpose)
{
    if (!oai__nonempty(purpose))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the purpose is NULL or empty");
    oai_request *r = oai__endpoint_request(id, NULL, 0);
    return oai__endpoint_check(id, r, oai_request_add_form_field(r, "purpose", purpose),
                               "the purpose holds a CR or LF");
}

OAI_API oai_request *oai_file_create_request_new(const char *path, const char *purpose)
{
    oai__endpoint_id id = OAI__EP(oai_file_create_request_new);
    if (!oai__nonempty(path))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the path is NULL or empty");
    /* The file part is only stat()ed when added; opening it here reports an
     * unreadable file now rather than at send time. */
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOMEM)
            return NULL;
        return oai__request_failed(OAI_ERR_IO, "oai_file_create_request_new: cannot open %s: %s", path,
                                   strerror(errno));
    }
    fclose(f);
    oai_request *r = upload_request(id, purpose);
    oai_status st = oai_request_add_file_part(r, "file", path, NULL, NULL);
    return oai__endpoint_check(id, r, st,
                               st == OAI_ERR_IO ? "the path is not a regular file" : "the path holds a CR or LF");
}

OAI_API oai_request *oai_file_create_from_data_request_new(const void *data, size_t len,
                                                           const char *filename, const char *purpose)
{
    oai__endpoint_id id = OAI__EP(oai_file_create_from_data_request_new);
    if (!data && len)
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the data is NULL");
    if (!oai__nonempty(filename))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the filename is NULL or empty");
    oai_request *r = upload_request(id, purpose);
    return oai__endpoint_check(id, r, oai_request_add_data_part(r, "file", data, len, filename, NULL),
                               "the filename holds a CR or LF");
}
