/* The error rule of include/oai.h ("Errors: one rule"): every constructor
 * returns its object, NULL only when memory ran out; an object made from a
 * bad argument or an unreadable file carries a sticky status and a message
 * that every later use reports. Also oai_version_check(). No network: the
 * sending cases are in test_errors_send.c. */
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
#include "sticky.h"

/* ---- oai_version_check() ------------------------------------------------------- */

static void test_version_check(void **state)
{
    (void)state;
    assert_true(oai_version_check(0, 0, 0));
    assert_true(oai_version_check(OAI_VERSION_MAJOR, OAI_VERSION_MINOR, OAI_VERSION_PATCH));
    assert_false(oai_version_check(OAI_VERSION_MAJOR, OAI_VERSION_MINOR, OAI_VERSION_PATCH + 1));
    assert_false(oai_version_check(OAI_VERSION_MAJOR, OAI_VERSION_MINOR + 1, 0));
    assert_false(oai_version_check(OAI_VERSION_MAJOR + 1, 0, 0));
    assert_true(oai_version_check(-1, 99, 99));
    if (OAI_VERSION_MINOR > 0)
        assert_true(oai_version_check(OAI_VERSION_MAJOR, OAI_VERSION_MINOR - 1, 999));
    /* The run-time version and the header agree in this build. */
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", OAI_VERSION_MAJOR, OAI_VERSION_MINOR, OAI_VERSION_PATCH);
    assert_string_equal(oai_version(), want);
}

/* ---- every request constructor ------------------------------------------------------ */

/* The request is failed with STATUS, its message starts with "FUNCTION: " and
 * holds WHAT; it has no method and no path. Frees it. */
static void assert_failed_with(oai_request *r, oai_status status, const char *function, const char *what)
{
    assert_non_null(r);
    assert_int_equal(oai_request_status(r), status);
    const char *msg = oai_request_error_message(r);
    assert_non_null(msg);
    if (strncmp(msg, function, strlen(function)) != 0 || strncmp(msg + strlen(function), ": ", 2) != 0)
        fail_msg("\"%s\" does not start with \"%s: \"", msg, function);
    if (!strstr(msg, what))
        fail_msg("\"%s\" does not say \"%s\"", msg, what);
    assert_null(oai_request_method(r));
    assert_null(oai_request_path(r));
    oai_request_free(r);
}

#define FAILS(call, status, what) assert_failed_with(call, status, #call, what)

/* The function's name alone, from "oai_x(args)" text. */
static void assert_helper_fails(oai_request *r, const char *call_text, oai_status status, const char *what)
{
    char function[96];
    size_t n = strcspn(call_text, "(");
    assert_true(n < sizeof function);
    memcpy(function, call_text, n);
    function[n] = '\0';
    assert_failed_with(r, status, function, what);
}

#define HELPER_FAILS(call, what) assert_helper_fails(call, #call, OAI_ERR_INVALID_ARGUMENT, what)

static void test_request_constructors(void **state)
{
    (void)state;
    assert_helper_fails(oai_request_new("get", "/x"), "oai_request_new", OAI_ERR_INVALID_ARGUMENT, "method");
    assert_helper_fails(oai_request_new("GET", "x"), "oai_request_new", OAI_ERR_INVALID_ARGUMENT, "path");
    assert_helper_fails(oai_request_new(NULL, NULL), "oai_request_new", OAI_ERR_INVALID_ARGUMENT, "method");

    HELPER_FAILS(oai_chat_completion_create_request_new(NULL), "the model is NULL or empty");
    HELPER_FAILS(oai_completion_create_request_new("m", NULL), "the prompt is NULL");
    HELPER_FAILS(oai_completion_create_request_new("", "p"), "the model is NULL or empty");
    HELPER_FAILS(oai_response_create_request_new("m", NULL), "the input is NULL");
    HELPER_FAILS(oai_embedding_create_request_new(NULL, "x"), "the model is NULL or empty");
    HELPER_FAILS(oai_embedding_create_request_new("m", "\xff"), "the input is not valid UTF-8");
    HELPER_FAILS(oai_model_retrieve_request_new(NULL), "the model is NULL or empty");
    HELPER_FAILS(oai_model_delete_request_new(""), "the model is NULL or empty");
    HELPER_FAILS(oai_file_create_request_new(NULL, "batch"), "the path is NULL or empty");
    HELPER_FAILS(oai_file_create_from_data_request_new(NULL, 2, "f", "batch"), "the data is NULL");
    HELPER_FAILS(oai_file_create_from_data_request_new("ab", 2, "f", ""), "the purpose is NULL or empty");
    HELPER_FAILS(oai_file_retrieve_request_new(NULL), "the file_id is NULL or empty");
    HELPER_FAILS(oai_file_delete_request_new(""), "the file_id is NULL or empty");
    HELPER_FAILS(oai_file_retrieve_content_request_new(NULL), "the file_id is NULL or empty");
    HELPER_FAILS(oai_upload_create_request_new("f", "batch", -1, NULL), "negative");
    HELPER_FAILS(oai_upload_add_part_request_new(NULL, "/etc/hostname", 0, 1), "the upload_id is NULL or empty");
    HELPER_FAILS(oai_upload_complete_request_new("u", NULL, 2, NULL), "the part ids are NULL");
    HELPER_FAILS(oai_upload_cancel_request_new(NULL), "the upload_id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_create_request_new("m", NULL), "the training file id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_retrieve_request_new(NULL), "the fine_tuning_job_id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_cancel_request_new(NULL), "the fine_tuning_job_id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_pause_request_new(NULL), "the fine_tuning_job_id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_resume_request_new(NULL), "the fine_tuning_job_id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_list_events_request_new(NULL), "the fine_tuning_job_id is NULL or empty");
    HELPER_FAILS(oai_fine_tuning_job_list_checkpoints_request_new(NULL), "the fine_tuning_job_id is NULL or empty");
    HELPER_FAILS(oai_batch_create_request_new("file", NULL, NULL), "the endpoint is NULL or empty");
    HELPER_FAILS(oai_batch_retrieve_request_new(NULL), "the batch_id is NULL or empty");
    HELPER_FAILS(oai_batch_cancel_request_new(""), "the batch_id is NULL or empty");

    /* An unreadable file is OAI_ERR_IO, with the system's reason. */
    assert_helper_fails(oai_file_create_request_new("/nonexistent/oai/train.jsonl", "fine-tune"),
                        "oai_file_create_request_new", OAI_ERR_IO,
                        "cannot open /nonexistent/oai/train.jsonl: No such file or directory");
    assert_helper_fails(oai_upload_add_part_request_new("u", "/nonexistent/oai/part", 0, 1),
                        "oai_upload_add_part_request_new", OAI_ERR_IO, "cannot be read");

    /* The helpers that take no argument cannot fail but for memory. */
    oai_request *list = oai_file_list_request_new();
    assert_int_equal(oai_request_status(list), OAI_OK);
    assert_null(oai_request_error_message(list));
    oai_request_free(list);
    assert_int_equal(oai_request_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_request_error_message(NULL));
}

/* Every function of a failed request that returns a status returns its
 * status, and none changes it. */
static int on_event(void *ud, const oai_event *ev)
{
    (void)ud;
    (void)ev;
    return 0;
}

static void test_failed_request_is_sticky(void **state)
{
    (void)state;
    oai_request *r = oai_chat_completion_create_request_new(NULL);
    const oai_status st = OAI_ERR_INVALID_ARGUMENT;
    assert_int_equal(oai_request_status(r), st);
    assert_int_equal(oai_request_set_string(r, "/model", "m"), st);
    assert_int_equal(oai_request_set_string_len(r, "/a", "ab", 2), st);
    assert_int_equal(oai_request_set_int(r, "/n", 1), st);
    assert_int_equal(oai_request_set_number(r, "/x", 0.5), st);
    assert_int_equal(oai_request_set_bool(r, "/b", 1), st);
    assert_int_equal(oai_request_set_null(r, "/z"), st);
    assert_int_equal(oai_request_set_json(r, "/j", "{}"), st);
    assert_int_equal(oai_request_remove_field(r, "/j"), st);
    assert_int_equal(oai_request_set_query(r, "limit", "1"), st);
    assert_int_equal(oai_request_set_header(r, "X-A", "b"), st);
    assert_int_equal(oai_request_set_timeout_ms(r, 5), st);
    assert_int_equal(oai_request_set_idle_timeout_ms(r, 5), st);
    assert_int_equal(oai_request_set_first_byte_timeout_ms(r, 5), st);
    assert_int_equal(oai_request_set_max_retries(r, 1), st);
    assert_int_equal(oai_request_set_idempotency_key(r, "k"), st);
    assert_int_equal(oai_request_set_output_file(r, "/tmp/x"), st);
    assert_int_equal(oai_request_set_raw_response(r, 1), st);
    assert_int_equal(oai_request_set_event_callback(r, on_event, NULL), st);
    assert_int_equal(oai_request_set_stream(r, 1), st);
    assert_int_equal(oai_request_set_accumulate(r, 0), st);
    assert_int_equal(oai_request_set_progress_callback(r, NULL, NULL), st);
    assert_int_equal(oai_request_set_data_callback(r, NULL, NULL), st);
    assert_int_equal(oai_request_add_form_field(r, "a", "b"), st);
    assert_int_equal(oai_request_add_data_part(r, "file", "ab", 2, "f", NULL), st);
    assert_int_equal(oai_request_add_file_part(r, "file", "/etc/hostname", NULL, NULL), st);
    assert_int_equal(oai_chat_request_add_message(r, "user", "hi"), st);
    assert_int_equal(oai_chat_request_add_tool(r, "f", NULL, NULL), st);
    assert_int_equal(oai_chat_request_add_tool_call(r, "id", "f", "{}"), st);
    assert_int_equal(oai_chat_request_add_tool_result(r, "id", "x"), st);
    /* Nothing changed. */
    assert_null(oai_request_body_dup(r));
    assert_null(oai_request_get(r, ""));
    assert_null(oai_request_query(r, "limit"));
    assert_null(oai_request_method(r));
    assert_string_equal(oai_request_error_message(r),
                        "oai_chat_completion_create_request_new: the model is NULL or empty");

    /* A clone keeps the failure. */
    oai_request *copy = oai_request_clone(r);
    assert_non_null(copy);
    assert_int_equal(oai_request_status(copy), st);
    assert_string_equal(oai_request_error_message(copy), oai_request_error_message(r));
    oai_request_free(copy);

    /* A pager made from it is failed the same way, and so is its response. */
    oai_client *c = oai_client_new();
    assert_non_null(c);
    oai_pager *p = oai_pager_new(c, r);
    assert_int_equal(oai_pager_status(p), st);
    assert_string_equal(oai_pager_error_message(p), oai_request_error_message(r));
    const oai_value *item = (const oai_value *)1;
    assert_int_equal(oai_pager_next(p, &item), st);
    assert_null(item);
    assert_int_equal(oai_pager_next(p, &item), st); /* sticky */
    assert_int_equal(oai_pager_set_max_items(p, 3), st);
    assert_int_equal(oai_response_status(oai_pager_response(p)), st);
    assert_string_equal(oai_response_error_message(oai_pager_response(p)), oai_request_error_message(r));
    oai_pager_free(p);
    oai_client_free(c);

    /* A batch file will not take it. */
    char path[] = "/tmp/oai-errors-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    oai_batch_writer *w = oai_batch_writer_new(path);
    assert_int_equal(oai_batch_writer_status(w), OAI_OK);
    assert_int_equal(oai_batch_writer_add(w, "a", r), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_writer_finish(w), OAI_OK);
    oai_batch_writer_free(w);
    unlink(path);
    oai_request_free(r);
}

/* ---- the other constructors -------------------------------------------------------- */

static void test_batch_files(void **state)
{
    (void)state;
    oai_request *req = oai_embedding_create_request_new("m", "x");
    oai_batch_writer *w = oai_batch_writer_new("/nonexistent/oai/in.jsonl");
    assert_non_null(w);
    assert_int_equal(oai_batch_writer_status(w), OAI_ERR_IO);
    assert_string_equal(oai_batch_writer_error_message(w),
                        "oai_batch_writer_new: cannot create /nonexistent/oai/in.jsonl: No such file or directory");
    assert_int_equal(oai_batch_writer_add(w, "a", req), OAI_ERR_IO);
    assert_int_equal(oai_batch_writer_add(w, "b", req), OAI_ERR_IO);
    assert_int_equal(oai_batch_writer_finish(w), OAI_ERR_IO);
    oai_batch_writer_free(w);

    oai_batch_reader *r = oai_batch_reader_new("/nonexistent/oai/out.jsonl");
    assert_non_null(r);
    assert_int_equal(oai_batch_reader_status(r), OAI_ERR_IO);
    assert_string_equal(oai_batch_reader_error_message(r),
                        "oai_batch_reader_new: cannot open /nonexistent/oai/out.jsonl: No such file or directory");
    const oai_value *line = (const oai_value *)1;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(oai_batch_reader_next(r, &line), OAI_ERR_IO);
        assert_null(line);
        assert_non_null(oai_batch_reader_error_message(r));
    }
    assert_int_equal(oai_batch_reader_set_max_line_bytes(r, 10), OAI_ERR_IO);
    assert_int_equal(oai_batch_reader_line_number(r), 0);
    oai_batch_reader_free(r);

    r = oai_batch_reader_new("");
    assert_int_equal(oai_batch_reader_status(r), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_ERR_INVALID_ARGUMENT);
    oai_batch_reader_free(r);

    /* A good writer: status OK; after finish, adding is refused. */
    char path[] = "/tmp/oai-errors-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    w = oai_batch_writer_new(path);
    assert_int_equal(oai_batch_writer_status(w), OAI_OK);
    assert_null(oai_batch_writer_error_message(w));
    assert_int_equal(oai_batch_writer_add(w, "a", req), OAI_OK);
    assert_int_equal(oai_batch_writer_finish(w), OAI_OK);
    assert_int_equal(oai_batch_writer_add(w, "b", req), OAI_ERR_INVALID_ARGUMENT);
    oai_batch_writer_free(w);
    /* Freed without finishing: the file is closed all the same. */
    w = oai_batch_writer_new(path);
    assert_int_equal(oai_batch_writer_add(w, "a", req), OAI_OK);
    oai_batch_writer_free(w);
    r = oai_batch_reader_new(path);
    assert_int_equal(oai_batch_reader_status(r), OAI_OK);
    assert_null(oai_batch_reader_error_message(r));
    oai_batch_reader_free(r);
    unlink(path);
    oai_request_free(req);
    assert_int_equal(oai_batch_writer_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_reader_status(NULL), OAI_ERR_INVALID_ARGUMENT);
}

static int never_progress(void *ud, int64_t a, int64_t b, int64_t c, int64_t d)
{
    (void)ud, (void)a, (void)b, (void)c, (void)d;
    return 0;
}

static void test_large_upload(void **state)
{
    (void)state;
    oai_client *c = oai_client_new();
    assert_non_null(c);
    oai_large_upload *up = oai_large_upload_new(c, "/nonexistent/oai/big.jsonl", "fine-tune", NULL);
    assert_non_null(up);
    assert_int_equal(oai_large_upload_status(up), OAI_ERR_IO);
    assert_string_equal(oai_large_upload_error_message(up),
                        "oai_large_upload_new: cannot open /nonexistent/oai/big.jsonl: No such file or directory");
    assert_int_equal(oai_large_upload_set_part_size(up, 1024), OAI_ERR_IO);
    assert_int_equal(oai_large_upload_set_progress_callback(up, never_progress, NULL), OAI_ERR_IO);
    const char *ids[] = {"part_1"};
    assert_int_equal(oai_large_upload_resume(up, "upload_1", ids, 1), OAI_ERR_IO);
    assert_null(oai_large_upload_id(up));
    assert_int_equal(oai_large_upload_part_count(up), 0);
    for (int i = 0; i < 2; i++) {
        oai_response *res = oai_large_upload_run(up);
        assert_int_equal(oai_response_status(res), OAI_ERR_IO);
        assert_string_equal(oai_response_error_message(res), oai_large_upload_error_message(up));
        assert_int_equal(oai_response_http_status(res), 0);
        oai_response_free(res);
    }
    oai_large_upload_free(up);

    /* The one-call form says the same, and sends nothing. */
    oai_response *res = oai_client_upload_large_file(c, "/nonexistent/oai/big.jsonl", "fine-tune", NULL, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_IO);
    assert_non_null(strstr(oai_response_error_message(res), "No such file or directory"));
    oai_response_free(res);
    res = oai_client_upload_large_file(NULL, "/etc/hostname", "fine-tune", NULL, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_string_equal(oai_response_error_message(res), "oai_large_upload_new: NULL client");
    oai_response_free(res);

    assert_int_equal(oai_large_upload_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_large_upload_error_message(NULL));
    oai_client_free(c);
}

static void test_pager_arguments(void **state)
{
    (void)state;
    oai_request *list = oai_file_list_request_new();
    oai_pager *p = oai_pager_new(NULL, list);
    assert_int_equal(oai_pager_status(p), OAI_ERR_INVALID_ARGUMENT);
    assert_string_equal(oai_pager_error_message(p), "oai_pager_new: NULL client or list request");
    oai_pager_free(p);
    oai_request_free(list);
    assert_int_equal(oai_pager_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_pager_error_message(NULL));
}

static void test_training_report(void **state)
{
    (void)state;
    oai_training_report *r = oai_training_report_new("/nonexistent/oai/t.jsonl", OAI_TRAINING_CHAT, 0);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_IO);
    assert_non_null(strstr(oai_training_report_error_message(r), "oai_training_report_new: cannot open"));
    assert_false(oai_training_report_is_valid(r));
    oai_training_report_free(r);
    r = oai_training_report_buffer_new("x", 1, 42, 0);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_training_report_error_message(r), "unknown format"));
    oai_training_report_free(r);
}

/* oai_client_status(): the client's own sticky status (a bad
 * OPENAI_BASE_URL), the model the other objects follow. */
static void test_client_status(void **state)
{
    (void)state;
    setenv("OPENAI_BASE_URL", "ftp://example.com", 1);
    oai_client *c = oai_client_new();
    unsetenv("OPENAI_BASE_URL");
    assert_non_null(c);
    assert_int_equal(oai_client_status(c), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_client_error_message(c), "OPENAI_BASE_URL"));
    oai_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_check),
        cmocka_unit_test(test_request_constructors),
        cmocka_unit_test(test_failed_request_is_sticky),
        cmocka_unit_test(test_batch_files),
        cmocka_unit_test(test_large_upload),
        cmocka_unit_test(test_pager_arguments),
        cmocka_unit_test(test_training_report),
        cmocka_unit_test(test_client_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
