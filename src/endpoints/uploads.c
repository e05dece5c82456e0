/* The hand-written helpers of the Uploads API (/uploads): create, add a
 * part, complete, each with its body. Cancel is generated from
 * endpoints.def; workflows/large_upload.c drives them all. */
#include "endpoints/endpoints.h"

OAI_API oai_request *oai_upload_create_request_new(const char *filename, const char *purpose,
                                                   int64_t bytes, const char *mime_type)
{
    oai__endpoint_id id = OAI__EP(oai_upload_create_request_new);
    if (!oai__nonempty(filename))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the filename is NULL or empty");
    if (!oai__nonempty(purpose))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the purpose is NULL or empty");
    if (bytes < 0)
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the size in bytes is negative");
    oai_request *r = oai__endpoint_request(id, NULL, 0);
    oai_status st = oai_request_set_string(r, "/filename", filename);
    if (st == OAI_OK)
        st = oai_request_set_string(r, "/purpose", purpose);
    if (st == OAI_OK)
        st = oai_request_set_int(r, "/bytes", bytes);
    if (st == OAI_OK)
        st = oai_request_set_string(r, "/mime_type",
                                    oai__nonempty(mime_type) ? mime_type : "application/octet-stream");
    return oai__endpoint_check(id, r, st, "a string is not valid UTF-8");
}

OAI_API oai_request *oai_upload_add_part_request_new(const char *upload_id, const char *path,
                                                     int64_t offset, int64_t length)
{
    oai__endpoint_id id = OAI__EP(oai_upload_add_part_request_new);
    if (!oai__nonempty(path))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the path is NULL or empty");
    if (offset < 0 || length < 0)
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the offset or the length is negative");
    oai_request *r = oai__endpoint_request(id, &upload_id, 1);
    oai_status st = oai_request_add_file_range_part(r, "data", path, offset, length, oai__base_name(path), NULL);
    if (st == OAI_ERR_IO)
        return oai__endpoint_check(id, r, st, "the file cannot be read, or is not a regular file");
    return oai__endpoint_check(id, r, st, "the range is past the end of the file, or the path holds a CR or LF");
}

OAI_API oai_request *oai_upload_complete_request_new(const char *upload_id,
                                                     const char *const *part_ids,
                                                     size_t part_count, const char *md5_hex)
{
    oai__endpoint_id id = OAI__EP(oai_upload_complete_request_new);
    if (part_count && !part_ids)
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the part ids are NULL");
    for (size_t i = 0; i < part_count; i++)
        if (!oai__nonempty(part_ids[i]))
            return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "a part id is NULL or empty");
    oai_request *r = oai__endpoint_request(id, &upload_id, 1);
    oai_status st = oai_request_set_json(r, "/part_ids", "[]");
    for (size_t i = 0; st == OAI_OK && i < part_count; i++)
        st = oai_request_set_string(r, "/part_ids/-", part_ids[i]);
    if (st == OAI_OK && md5_hex)
        st = oai_request_set_string(r, "/md5", md5_hex);
    return oai__endpoint_check(id, r, st, "a part id or the MD5 is not valid UTF-8");
}
