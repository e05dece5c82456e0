/* Endpoint helpers for /batches. Each only pre-fills an ordinary request;
 * the JSONL input writer and output reader live in batch_io.c. */
#include "core/core.h"

#include <stdlib.h>

/* METHOD /batches/{id}{suffix}, the id percent-encoded as one path segment. */
static oai_request *batch_request(const char *method, const char *id, const char *suffix)
{
    if (!oai__nonempty(id))
        return NULL;
    char *enc = oai__url_encode(id);
    oai__buf path = {0};
    if (enc)
        oai__buf_printf(&path, "/batches/%s%s", enc, suffix);
    free(enc);
    oai_request *r = path.data ? oai_request_new(method, path.data) : NULL;
    oai__buf_free(&path);
    return r;
}

OAI_API oai_request *oai_batch_create_request_new(const char *input_file_id, const char *endpoint,
                                                  const char *completion_window)
{
    if (!oai__nonempty(input_file_id) || !oai__nonempty(endpoint) || (completion_window && !*completion_window))
        return NULL;
    oai_request *r = oai_request_new("POST", "/batches");
    if (r && (oai_request_set_string(r, "/input_file_id", input_file_id) != OAI_OK ||
              oai_request_set_string(r, "/endpoint", endpoint) != OAI_OK ||
              oai_request_set_string(r, "/completion_window",
                                     completion_window ? completion_window : "24h") != OAI_OK)) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}

OAI_API oai_request *oai_batch_retrieve_request_new(const char *batch_id)
{
    return batch_request("GET", batch_id, "");
}

OAI_API oai_request *oai_batches_list_request_new(void)
{
    return oai_request_new("GET", "/batches");
}

OAI_API oai_request *oai_batch_cancel_request_new(const char *batch_id)
{
    return batch_request("POST", batch_id, "/cancel");
}
