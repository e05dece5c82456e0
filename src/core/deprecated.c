/* The deprecated names of the 0.1 API (include/oai.h, "Deprecated names"),
 * each kept exported and behaving as it did, on top of its replacement. The
 * old constructors still return NULL where their replacements return a
 * failed object. Only the public API is used here. */
#define OAI_NO_DEPRECATED_WARNINGS
#include "oai.h"
#include "oai/transport.h"

#include <stddef.h>

OAI_API oai_status oai_client_set_clock(oai_client *client, oai_clock_fn fn, void *userdata)
{
    return oai_client_set_clock_callback(client, fn, userdata);
}

/* What an 0.1 constructor returned: the request, or NULL when it failed. */
static oai_request *null_if_failed(oai_request *r)
{
    if (oai_request_status(r) == OAI_OK)
        return r;
    oai_request_free(r);
    return NULL;
}

OAI_API oai_request *oai_request_dup(const oai_request *req)
{
    return oai_request_clone(req);
}

OAI_API oai_status oai_request_remove(oai_request *req, const char *pointer)
{
    return oai_request_remove_field(req, pointer);
}

OAI_API oai_status oai_request_on_data(oai_request *req, oai_data_fn fn, void *userdata)
{
    return oai_request_set_data_callback(req, fn, userdata);
}

OAI_API oai_status oai_request_on_progress(oai_request *req, oai_progress_fn fn, void *userdata)
{
    return oai_request_set_progress_callback(req, fn, userdata);
}

OAI_API oai_status oai_request_on_event(oai_request *req, oai_event_fn fn, void *userdata)
{
    return oai_request_set_event_callback(req, fn, userdata);
}

OAI_API oai_status oai_client_set_log_callback(oai_client *client, oai_log_level level, oai_log_fn fn,
                                               void *userdata)
{
    /* The level first: it is the one that can be refused. */
    oai_status st = oai_client_set_log_level(client, (int)level);
    return st == OAI_OK ? oai_client_set_log_callback2(client, fn, userdata) : st;
}

/* ---- endpoint helpers ------------------------------------------------------- */

OAI_API oai_request *oai_chat_request_new(const char *model)
{
    return null_if_failed(oai_chat_completion_create_request_new(model));
}

OAI_API oai_status oai_request_add_message(oai_request *req, const char *role, const char *content)
{
    return oai_chat_request_add_message(req, role, content);
}

OAI_API oai_status oai_request_add_tool(oai_request *req, const char *name, const char *description,
                                        const char *parameters_json)
{
    return oai_chat_request_add_tool(req, name, description, parameters_json);
}

OAI_API oai_status oai_request_add_tool_call(oai_request *req, const char *id, const char *name,
                                             const char *arguments)
{
    return oai_chat_request_add_tool_call(req, id, name, arguments);
}

OAI_API oai_status oai_request_add_tool_result(oai_request *req, const char *tool_call_id, const char *content)
{
    return oai_chat_request_add_tool_result(req, tool_call_id, content);
}

OAI_API oai_request *oai_completion_request_new(const char *model, const char *prompt)
{
    return null_if_failed(oai_completion_create_request_new(model, prompt));
}

OAI_API oai_request *oai_responses_request_new(const char *model, const char *input)
{
    return null_if_failed(oai_response_create_request_new(model, input));
}

OAI_API oai_request *oai_embedding_request_new(const char *model, const char *input)
{
    return null_if_failed(oai_embedding_create_request_new(model, input));
}

OAI_API oai_request *oai_models_list_request_new(void)
{
    return null_if_failed(oai_model_list_request_new());
}

OAI_API oai_request *oai_file_upload_request_new(const char *path, const char *purpose)
{
    return null_if_failed(oai_file_create_request_new(path, purpose));
}

OAI_API oai_request *oai_file_upload_data_request_new(const void *data, size_t len, const char *filename,
                                                      const char *purpose)
{
    return null_if_failed(oai_file_create_from_data_request_new(data, len, filename, purpose));
}

OAI_API oai_request *oai_files_list_request_new(void)
{
    return null_if_failed(oai_file_list_request_new());
}

OAI_API oai_request *oai_file_content_request_new(const char *file_id)
{
    return null_if_failed(oai_file_retrieve_content_request_new(file_id));
}

OAI_API oai_request *oai_upload_part_request_new(const char *upload_id, const char *path, int64_t offset,
                                                 int64_t length)
{
    return null_if_failed(oai_upload_add_part_request_new(upload_id, path, offset, length));
}

OAI_API oai_request *oai_fine_tuning_jobs_list_request_new(void)
{
    return null_if_failed(oai_fine_tuning_job_list_request_new());
}

OAI_API oai_request *oai_fine_tuning_job_events_request_new(const char *job_id)
{
    return null_if_failed(oai_fine_tuning_job_list_events_request_new(job_id));
}

OAI_API oai_request *oai_fine_tuning_job_checkpoints_request_new(const char *job_id)
{
    return null_if_failed(oai_fine_tuning_job_list_checkpoints_request_new(job_id));
}

OAI_API oai_request *oai_batches_list_request_new(void)
{
    return null_if_failed(oai_batch_list_request_new());
}

/* ---- responses and values ------------------------------------------------------ */

OAI_API const char *oai_response_get_json(const oai_response *res, const char *pointer)
{
    return oai_response_get_json_text(res, pointer);
}

OAI_API int oai_response_retries(const oai_response *res)
{
    return oai_response_retry_count(res);
}

OAI_API const oai_value *oai_value_at(const oai_value *v, size_t index)
{
    return oai_value_item(v, index);
}

OAI_API const char *oai_value_key_at(const oai_value *v, size_t index)
{
    return oai_value_key(v, index);
}

/* ---- workflows ------------------------------------------------------------------- */

OAI_API oai_status oai_large_upload_on_progress(oai_large_upload *up, oai_progress_fn fn, void *userdata)
{
    return oai_large_upload_set_progress_callback(up, fn, userdata);
}

OAI_API oai_response *oai_file_upload_large(oai_client *client, const char *path, const char *purpose,
                                            const char *mime_type, oai_progress_fn progress, void *userdata)
{
    return oai_client_upload_large_file(client, path, purpose, mime_type, progress, userdata);
}

OAI_API oai_response *oai_fine_tuning_job_follow(oai_client *client, const char *job_id,
                                                 int64_t poll_interval_ms, oai_job_event_fn fn, void *userdata)
{
    return oai_client_follow_fine_tuning_job(client, job_id, poll_interval_ms, fn, userdata);
}

/* ---- training data ------------------------------------------------------------------ */

/* The 0.1 contract: the report whenever the data could be read (valid or
 * not), else NULL; the status either way. */
static oai_status hand_over(oai_training_report *made, oai_training_report **report)
{
    oai_status st = made ? oai_training_report_status(made) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK || st == OAI_ERR_INVALID_DATA) {
        *report = made;
    } else {
        oai_training_report_free(made);
        *report = NULL;
    }
    return st;
}

OAI_API oai_status oai_training_validate_file(const char *path, int format, int64_t context_limit,
                                              oai_training_report **report)
{
    if (!report)
        return OAI_ERR_INVALID_ARGUMENT;
    return hand_over(oai_training_report_new(path, format, context_limit), report);
}

OAI_API oai_status oai_training_validate_buffer(const char *data, size_t len, int format,
                                                int64_t context_limit, oai_training_report **report)
{
    if (!report)
        return OAI_ERR_INVALID_ARGUMENT;
    return hand_over(oai_training_report_buffer_new(data, len, format, context_limit), report);
}

OAI_API int oai_training_report_valid(const oai_training_report *report)
{
    return oai_training_report_is_valid(report);
}

OAI_API int64_t oai_training_report_examples(const oai_training_report *report)
{
    return oai_training_report_example_count(report);
}

/* ---- batch files ---------------------------------------------------------------------- */

OAI_API oai_batch_writer *oai_batch_writer_open(const char *path)
{
    oai_batch_writer *w = oai_batch_writer_new(path);
    if (oai_batch_writer_status(w) == OAI_OK)
        return w;
    oai_batch_writer_free(w);
    return NULL;
}

OAI_API oai_status oai_batch_writer_close(oai_batch_writer *w)
{
    if (!w)
        return OAI_OK;
    oai_status st = oai_batch_writer_finish(w);
    oai_batch_writer_free(w);
    return st;
}

OAI_API oai_batch_reader *oai_batch_reader_open(const char *path)
{
    oai_batch_reader *r = oai_batch_reader_new(path);
    if (oai_batch_reader_status(r) == OAI_OK)
        return r;
    oai_batch_reader_free(r);
    return NULL;
}
