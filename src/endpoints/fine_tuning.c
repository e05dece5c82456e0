/* The hand-written helper for /fine_tuning/jobs: create, with its body. The
 * others are generated from endpoints.def; workflows/job_follower.c follows
 * a job until it ends. */
#include "endpoints/endpoints.h"

OAI_API oai_request *oai_fine_tuning_job_create_request_new(const char *model, const char *training_file_id)
{
    if (!oai__nonempty(model) || !oai__nonempty(training_file_id))
        return NULL;
    oai_request *r = oai__endpoint_request(OAI__EP(oai_fine_tuning_job_create_request_new), NULL, 0);
    if (r && (oai_request_set_string(r, "/model", model) != OAI_OK ||
              oai_request_set_string(r, "/training_file", training_file_id) != OAI_OK)) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}
