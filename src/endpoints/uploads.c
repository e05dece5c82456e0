/* The hand-written helpers of the Uploads API (/uploads): create, add a
 * part, complete, each with its body. Cancel is generated from
 * endpoints.def; workflows/large_upload.c drives them all. */
#include "endpoints/endpoints.h"

static oai_request *fail_free(oai_request *r)
{
    oai_request_free(r);
    return NULL;
}

OAI_API oai_request *oai_upload_create_request_new(const char *filename, const char *purpose,
                                                   int64_t bytes, const char *mime_type)
{
    if (!oai__nonempty(filename) || !oai__nonempty(purpose) || bytes < 0)
        return NULL;
    oai_request *r = oai__endpoint_request(OAI__EP(oai_upload_create_request_new), NULL, 0);
    if (!r)
        return NULL;
    if (oai_request_set_string(r, "/filename", filename) != OAI_OK ||
        oai_request_set_string(r, "/purpose", purpose) != OAI_OK ||
        oai_request_set_int(r, "/bytes", bytes) != OAI_OK ||
        oai_request_set_string(r, "/mime_type", oai__nonempty(mime_type) ? mime_type
                                                                   : "application/octet-stream") != OAI_OK)
        return fail_free(r);
    return r;
}

OAI_API oai_request *oai_upload_part_request_new(const char *upload_id, const char *path,
                                                 int64_t offset, int64_t length)
{
    if (!oai__nonempty(path) || offset < 0 || length < 0)
        return NULL;
    oai_request *r = oai__endpoint_request(OAI__EP(oai_upload_part_request_new), &upload_id, 1);
    if (r && oai_request_add_file_range_part(r, "data", path, offset, length, oai__base_name(path),
                                             NULL) != OAI_OK)
        return fail_free(r);
    return r;
}

OAI_API oai_request *oai_upload_complete_request_new(const char *upload_id,
                                                     const char *const *part_ids,
                                                     size_t part_count, const char *md5_hex)
{
    if (part_count && !part_ids)
        return NULL;
    oai_request *r = oai__endpoint_request(OAI__EP(oai_upload_complete_request_new), &upload_id, 1);
    if (!r)
        return NULL;
    if (oai_request_set_json(r, "/part_ids", "[]") != OAI_OK)
        return fail_free(r);
    for (size_t i = 0; i < part_count; i++)
        if (!oai__nonempty(part_ids[i]) || oai_request_set_string(r, "/part_ids/-", part_ids[i]) != OAI_OK)
            return fail_free(r);
    if (md5_hex && oai_request_set_string(r, "/md5", md5_hex) != OAI_OK)
        return fail_free(r);
    return r;
}
