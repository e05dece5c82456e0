/* The hand-written helper for /batches: create, with its body and the
 * default completion window. The others are generated from endpoints.def;
 * the JSONL input writer and output reader live in data/batch_files.c. */
#include "endpoints/endpoints.h"

OAI_API oai_request *oai_batch_create_request_new(const char *input_file_id, const char *endpoint,
                                                  const char *completion_window)
{
    oai__endpoint_id id = OAI__EP(oai_batch_create_request_new);
    if (!oai__nonempty(input_file_id))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the input file id is NULL or empty");
    if (!oai__nonempty(endpoint))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the endpoint is NULL or empty");
    if (completion_window && !*completion_window)
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the completion window is empty");
    oai_request *r = oai__endpoint_request(id, NULL, 0);
    oai_status st = oai_request_set_string(r, "/input_file_id", input_file_id);
    if (st == OAI_OK)
        st = oai_request_set_string(r, "/endpoint", endpoint);
    if (st == OAI_OK)
        st = oai_request_set_string(r, "/completion_window", completion_window ? completion_window : "24h");
    return oai__endpoint_check(id, r, st, "a string is not valid UTF-8");
}
