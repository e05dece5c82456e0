/* The hand-written helper for /fine_tuning/jobs: create, with its body. The
 * others are generated from endpoints.def; workflows/job_follower.c follows
 * a job until it ends. */
#include "endpoints/endpoints.h"

OAI_API oai_request *oai_fine_tuning_job_create_request_new(const char *model, const char *training_file_id)
{
    oai__endpoint_id id = OAI__EP(oai_fine_tuning_job_create_request_new);
    if (!oai__nonempty(model))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the model is NULL or empty");
    if (!oai__nonempty(training_file_id))
        return oai__endpoint_failed(id, OAI_ERR_INVALID_ARGUMENT, "the training file id is NULL or empty");
    oai_request *r = oai__endpoint_request(id, NULL, 0);
    oai_status st = oai_request_set_string(r, "/model", model);
    if (st == OAI_OK)
        st = oai_request_set_string(r, "/training_file", training_file_id);
    return oai__endpoint_check(id, r, st, "a string is not valid UTF-8");
}
