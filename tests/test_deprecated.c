/* The deprecated 0.1 names (include/oai.h, "Deprecated names") keep their
 * symbols and their behaviour: each is called here as a 0.1 program would,
 * including the old failure shapes (NULL constructors, the out-parameter
 * validator, the closing writer). The one suite that uses them on purpose,
 * hence OAI_NO_DEPRECATED_WARNINGS. */
#define OAI_NO_DEPRECATED_WARNINGS
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oai.h"
#include "oai/transport.h"

static int on_event(void *ud, const oai_event *ev)
{
    (void)ud;
    (void)ev;
    return 0;
}

static int on_data(void *ud, const char *data, size_t len)
{
    (void)ud, (void)data, (void)len;
    return 0;
}

static int on_progress(void *ud, int64_t a, int64_t b, int64_t c, int64_t d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return 0;
}

static void on_log(void *ud, int level, const char *message)
{
    (void)ud, (void)level, (void)message;
}

static int64_t fixed_clock(void *ud)
{
    (void)ud;
    return 42;
}

static void assert_body(const oai_request *req, const char *want)
{
    char *body = oai_request_body_dup(req);
    assert_non_null(body);
    assert_string_equal(body, want);
    oai_free(body);
}

static void test_request_aliases(void **state)
{
    (void)state;
    oai_request *r = oai_chat_request_new("m");
    assert_non_null(r);
    assert_string_equal(oai_request_path(r), "/chat/completions");
    assert_int_equal(oai_request_add_message(r, "user", "hi"), OAI_OK);
    assert_int_equal(oai_request_add_tool(r, "f", "does f", "{\"type\":\"object\"}"), OAI_OK);
    assert_int_equal(oai_request_add_tool_call(r, "call_1", "f", "{}"), OAI_OK);
    assert_int_equal(oai_request_add_tool_result(r, "call_1", "done"), OAI_OK);
    assert_int_equal(oai_request_get_count(r, "/messages"), 3);
    assert_int_equal(oai_request_on_event(r, on_event, NULL), OAI_OK);
    assert_int_equal(oai_request_get_bool(r, "/stream"), 1);
    assert_int_equal(oai_request_on_event(r, NULL, NULL), OAI_OK);
    assert_null(oai_request_get(r, "/stream"));
    assert_int_equal(oai_request_on_data(r, on_data, NULL), OAI_OK);
    assert_int_equal(oai_request_on_progress(r, on_progress, NULL), OAI_OK);
    assert_int_equal(oai_request_set_int(r, "/n", 2), OAI_OK);
    assert_int_equal(oai_request_remove(r, "/n"), OAI_OK);
    assert_int_equal(oai_request_remove(r, "/n"), OAI_ERR_NOT_FOUND);
    oai_request *copy = oai_request_dup(r);
    assert_non_null(copy);
    char *a = oai_request_body_dup(r), *b = oai_request_body_dup(copy);
    assert_string_equal(a, b);
    oai_free(a);
    oai_free(b);
    oai_request_free(copy);
    oai_request_free(r);

    /* The 0.1 constructors return NULL where the new ones return a failed
     * request. */
    assert_null(oai_chat_request_new(NULL));
    assert_null(oai_completion_request_new("m", NULL));
    assert_null(oai_responses_request_new("", "x"));
    assert_null(oai_embedding_request_new(NULL, "x"));
    assert_null(oai_file_upload_request_new("/nonexistent/oai/f", "batch"));
    assert_null(oai_file_upload_data_request_new(NULL, 1, "f", "batch"));
    assert_null(oai_file_content_request_new(NULL));
    assert_null(oai_upload_part_request_new(NULL, "/nonexistent", 0, 1));
    assert_null(oai_fine_tuning_job_events_request_new(""));
    assert_null(oai_fine_tuning_job_checkpoints_request_new(NULL));

    struct {
        oai_request *req;
        const char *method, *path;
    } made[] = {
        {oai_completion_request_new("m", "p"), "POST", "/completions"},
        {oai_responses_request_new("m", "i"), "POST", "/responses"},
        {oai_embedding_request_new("m", "i"), "POST", "/embeddings"},
        {oai_models_list_request_new(), "GET", "/models"},
        {oai_files_list_request_new(), "GET", "/files"},
        {oai_file_upload_data_request_new("ab", 2, "f.jsonl", "batch"), "POST", "/files"},
        {oai_file_content_request_new("file-1"), "GET", "/files/file-1/content"},
        {oai_fine_tuning_jobs_list_request_new(), "GET", "/fine_tuning/jobs"},
        {oai_fine_tuning_job_events_request_new("ft-1"), "GET", "/fine_tuning/jobs/ft-1/events"},
        {oai_fine_tuning_job_checkpoints_request_new("ft-1"), "GET", "/fine_tuning/jobs/ft-1/checkpoints"},
        {oai_batches_list_request_new(), "GET", "/batches"},
    };
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        assert_non_null(made[i].req);
        assert_string_equal(oai_request_method(made[i].req), made[i].method);
        assert_string_equal(oai_request_path(made[i].req), made[i].path);
        oai_request_free(made[i].req);
    }
    r = oai_completion_request_new("m", "p");
    assert_body(r, "{\"model\":\"m\",\"prompt\":\"p\"}");
    oai_request_free(r);
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/oai-deprecated-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_training_aliases(void **state)
{
    (void)state;
    oai_training_report *r = (oai_training_report *)1;
    assert_int_equal(oai_training_validate_buffer("{}\n", 3, OAI_TRAINING_CHAT, 0, &r), OAI_ERR_INVALID_DATA);
    assert_non_null(r);
    assert_int_equal(oai_training_report_valid(r), 0);
    assert_int_equal(oai_training_report_examples(r), 1);
    oai_training_report_free(r);
    r = (oai_training_report *)1;
    assert_int_equal(oai_training_validate_buffer("x", 1, 9, 0, &r), OAI_ERR_INVALID_ARGUMENT);
    assert_null(r);
    assert_int_equal(oai_training_validate_buffer("x", 1, OAI_TRAINING_CHAT, 0, NULL), OAI_ERR_INVALID_ARGUMENT);
    r = (oai_training_report *)1;
    assert_int_equal(oai_training_validate_file("/nonexistent/oai/t.jsonl", OAI_TRAINING_CHAT, 0, &r), OAI_ERR_IO);
    assert_null(r);

    char *path = write_temp("");
    assert_int_equal(oai_training_validate_file(path, OAI_TRAINING_CHAT, 0, &r), OAI_ERR_INVALID_DATA);
    assert_non_null(r);
    assert_string_equal(oai_training_report_problem_code(r, 0), "empty_file");
    oai_training_report_free(r);
    unlink(path);
    free(path);
}

static void test_batch_aliases(void **state)
{
    (void)state;
    assert_null(oai_batch_writer_open("/nonexistent/oai/in.jsonl"));
    assert_null(oai_batch_writer_open(NULL));
    assert_null(oai_batch_reader_open("/nonexistent/oai/out.jsonl"));
    assert_int_equal(oai_batch_writer_close(NULL), OAI_OK);

    char *path = write_temp("");
    oai_batch_writer *w = oai_batch_writer_open(path);
    assert_non_null(w);
    oai_request *req = oai_embedding_create_request_new("m", "x");
    assert_int_equal(oai_batch_writer_add(w, "a", req), OAI_OK);
    oai_request_free(req);
    assert_int_equal(oai_batch_writer_close(w), OAI_OK); /* flushes, closes and frees */
    oai_batch_reader *r = oai_batch_reader_open(path);
    assert_non_null(r);
    const oai_value *line = NULL;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), "a");
    assert_string_equal(oai_value_key_at(line, 0), "custom_id");
    assert_string_equal(oai_value_string(oai_value_at(line, 0)), "a");
    oai_batch_reader_free(r);
    unlink(path);
    free(path);
}

static void test_client_and_workflow_aliases(void **state)
{
    (void)state;
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_log_callback(c, OAI_LOG_DEBUG, on_log, NULL), OAI_OK);
    assert_int_equal(oai_client_set_log_callback(c, (oai_log_level)9, on_log, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_log_callback(NULL, OAI_LOG_OFF, NULL, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_clock(c, fixed_clock, NULL), OAI_OK);
    assert_int_equal(oai_client_set_clock(c, NULL, NULL), OAI_OK);
    assert_int_equal(oai_client_set_clock_callback(c, NULL, NULL), OAI_OK);

    /* The runners: arguments they refuse before sending anything. */
    oai_response *res = oai_file_upload_large(c, "/nonexistent/oai/big", "batch", NULL, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_IO);
    assert_int_equal(oai_response_retries(res), 0);
    assert_null(oai_response_get_json(res, "/x"));
    oai_response_free(res);
    res = oai_fine_tuning_job_follow(c, "", 10, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);

    char *path = write_temp("{}\n");
    oai_large_upload *up = oai_large_upload_new(c, path, "batch", NULL);
    assert_int_equal(oai_large_upload_on_progress(up, on_progress, NULL), OAI_OK);
    oai_large_upload_free(up);
    unlink(path);
    free(path);
    oai_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_aliases),
        cmocka_unit_test(test_training_aliases),
        cmocka_unit_test(test_batch_aliases),
        cmocka_unit_test(test_client_and_workflow_aliases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
