/* Endpoint helpers for /models. */
#include "core/core.h"

#include <stdlib.h>

/* METHOD /models/{id}, the id percent-encoded as one path segment. */
static oai_request *model_request(const char *method, const char *id)
{
    if (!id || !*id)
        return NULL;
    char *enc = oai__url_encode(id);
    oai__buf path = {0};
    if (enc)
        oai__buf_printf(&path, "/models/%s", enc);
    free(enc);
    oai_request *r = path.data ? oai_request_new(method, path.data) : NULL;
    oai__buf_free(&path);
    return r;
}

OAI_API oai_request *oai_models_list_request_new(void)
{
    return oai_request_new("GET", "/models");
}

OAI_API oai_request *oai_model_retrieve_request_new(const char *model_id)
{
    return model_request("GET", model_id);
}

OAI_API oai_request *oai_model_delete_request_new(const char *model_id)
{
    return model_request("DELETE", model_id);
}
