/* The hand-written helper for /batches: create, with its body and the
 * default completion window. The others are generated from endpoints.def;
 * the JSONL input writer and output reader live in data/batch_files.c. */
#include "endpoints/endpoints.h"

OAI_API oai_request *oai_batch_create_request_new(const char *input_file_id, const char *endpoint,
                                                  const char *completion_window)
{
    if (!oai__nonempty(input_file_id) || !oai__nonempty(endpoint) || (completion_window && !*completion_window))
        return NULL;
    oai_request *r = oai__endpoint_request(OAI__EP(oai_batch_create_request_new), NULL, 0);
    if (r && (oai_request_set_string(r, "/input_file_id", input_file_id) != OAI_OK ||
              oai_request_set_string(r, "/endpoint", endpoint) != OAI_OK ||
              oai_request_set_string(r, "/completion_window",
                                     completion_window ? completion_window : "24h") != OAI_OK)) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}
