/* Endpoint helpers for /fine_tuning/jobs. workflows/job_follower.c follows
 * a job until it ends. */
#include "core/core.h"
#include "json/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* METHOD /fine_tuning/jobs/{id}{suffix}, the id percent-encoded. */
static oai_request *job_request(const char *method, const char *id, const char *suffix)
{
    if (!oai__nonempty(id))
        return NULL;
    char *enc = oai__url_encode(id);
    oai__buf path = {0};
    if (enc)
        oai__buf_printf(&path, "/fine_tuning/jobs/%s%s", enc, suffix);
    free(enc);
    oai_request *r = path.data ? oai_request_new(method, path.data) : NULL;
    oai__buf_free(&path);
    return r;
}

OAI_API oai_request *oai_fine_tuning_job_create_request_new(const char *model, const char *training_file_id)
{
    if (!oai__nonempty(model) || !oai__nonempty(training_file_id))
        return NULL;
    oai_request *r = oai_request_new("POST", "/fine_tuning/jobs");
    if (r && (oai_request_set_string(r, "/model", model) != OAI_OK ||
              oai_request_set_string(r, "/training_file", training_file_id) != OAI_OK)) {
        oai_request_free(r);
        return NULL;
    }
    return r;
}

OAI_API oai_request *oai_fine_tuning_jobs_list_request_new(void)
{
    return oai_request_new("GET", "/fine_tuning/jobs");
}

OAI_API oai_request *oai_fine_tuning_job_retrieve_request_new(const char *job_id)
{
    return job_request("GET", job_id, "");
}

OAI_API oai_request *oai_fine_tuning_job_cancel_request_new(const char *job_id)
{
    return job_request("POST", job_id, "/cancel");
}

OAI_API oai_request *oai_fine_tuning_job_pause_request_new(const char *job_id)
{
    return job_request("POST", job_id, "/pause");
}

OAI_API oai_request *oai_fine_tuning_job_resume_request_new(const char *job_id)
{
    return job_request("POST", job_id, "/resume");
}

OAI_API oai_request *oai_fine_tuning_job_events_request_new(const char *job_id)
{
    return job_request("GET", job_id, "/events");
}

OAI_API oai_request *oai_fine_tuning_job_checkpoints_request_new(const char *job_id)
{
    return job_request("GET", job_id, "/checkpoints");
}
