/* Fine-tuning: job requests (method, hyperparameters, legacy
 * hyperparameters), list/retrieve/cancel/pause/resume/events/checkpoints,
 * and following a job to its end, against the mock's stateful jobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock_server.h"
#include "mock_state.h"
#include "oai.h"
#include "sticky.h"

#define MODEL "gpt-4o-mini-2024-07-18"

typedef struct fixture {
    mock_server *ms;
    oai_client *c;
    char *training_file;
} fixture;

static oai_response *send_free(fixture *f, oai_request *req)
{
    assert_non_null(req);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    return res;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    mock_state_reset();
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    f->c = oai_client_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_set_base_url(f->c, mock_server_url(f->ms)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, "sk-test"), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(f->c, 1, 5), OAI_OK);
    static const char data[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                               "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";
    oai_response *res = send_free(f, oai_file_create_from_data_request_new(data, sizeof data - 1, "train.jsonl", "fine-tune"));
    assert_int_equal(oai_response_status(res), OAI_OK);
    f->training_file = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    mock_server_reset(f->ms);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    mock_state_reset();
    free(f->training_file);
    free(f);
    return 0;
}

/* The recorded body of request `index`, parsed. */
static json_t *recorded_json(fixture *f, size_t index)
{
    const mock_request *r = mock_server_request(f->ms, index);
    assert_non_null(r);
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

static void assert_request(fixture *f, size_t index, const char *method, const char *path, const char *query)
{
    const mock_request *r = mock_server_request(f->ms, index);
    assert_non_null(r);
    assert_string_equal(r->method, method);
    assert_string_equal(r->path, path);
    assert_string_equal(r->query, query);
}

/* Creates a job with only the required fields; returns its id (malloc'd). */
static char *create_job(fixture *f)
{
    oai_response *res = send_free(f, oai_fine_tuning_job_create_request_new(MODEL, f->training_file));
    assert_int_equal(oai_response_status(res), OAI_OK);
    char *id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    return id;
}

static char *job_path(const char *id, const char *suffix)
{
    static char path[256];
    snprintf(path, sizeof path, "/v1/fine_tuning/jobs/%s%s", id, suffix);
    return path;
}

/* ---- create ------------------------------------------------------------------ */

static void test_create_with_method(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_fine_tuning_job_create_request_new(MODEL, f->training_file);
    assert_int_equal(oai_request_set_string(req, "/validation_file", f->training_file), OAI_OK);
    assert_int_equal(oai_request_set_string(req, "/suffix", "mine"), OAI_OK);
    assert_int_equal(oai_request_set_int(req, "/seed", 7), OAI_OK);
    assert_int_equal(oai_request_set_string(req, "/method/type", "supervised"), OAI_OK);
    assert_int_equal(oai_request_set_int(req, "/method/supervised/hyperparameters/n_epochs", 3), OAI_OK);
    assert_int_equal(oai_request_set_string(req, "/method/supervised/hyperparameters/batch_size", "auto"), OAI_OK);
    assert_int_equal(oai_request_set_number(req, "/method/supervised/hyperparameters/learning_rate_multiplier", 0.5), OAI_OK);
    oai_response *res = send_free(f, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/object"), "fine_tuning.job");
    assert_string_equal(oai_response_get_string(res, "/status"), "validating_files");
    assert_string_equal(oai_response_get_string(res, "/model"), MODEL);
    assert_string_equal(oai_response_get_string(res, "/training_file"), f->training_file);
    assert_int_equal(oai_response_get_int(res, "/hyperparameters/n_epochs"), 3);
    assert_string_equal(oai_response_get_string(res, "/hyperparameters/batch_size"), "auto");
    assert_string_equal(oai_response_get_string(res, "/method/type"), "supervised");
    assert_null(oai_response_get_string(res, "/fine_tuned_model"));
    oai_response_free(res);

    assert_request(f, 0, "POST", "/v1/fine_tuning/jobs", "");
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 0), "Content-Type"), "application/json");
    json_t *body = recorded_json(f, 0);
    json_t *expected = json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:s, s:{s:{s:i, s:s, s:f}}}}", "model", MODEL,
                                 "training_file", f->training_file, "validation_file", f->training_file,
                                 "suffix", "mine", "seed", 7, "method", "type", "supervised", "supervised",
                                 "hyperparameters", "n_epochs", 3, "batch_size", "auto",
                                 "learning_rate_multiplier", 0.5);
    assert_true(json_equal(body, expected));
    json_decref(body);
    json_decref(expected);
}

static void test_create_dpo_and_legacy_hyperparameters(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_fine_tuning_job_create_request_new(MODEL, f->training_file);
    oai_request_set_string(req, "/method/type", "dpo");
    oai_request_set_number(req, "/method/dpo/hyperparameters/beta", 0.1);
    oai_request_set_string(req, "/method/dpo/hyperparameters/n_epochs", "auto");
    oai_response *res = send_free(f, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_true(oai_response_get_number(res, "/hyperparameters/beta") > 0.09);
    assert_string_equal(oai_response_get_string(res, "/method/type"), "dpo");
    oai_response_free(res);
    json_t *body = recorded_json(f, 0);
    json_t *expected = json_pack("{s:s, s:s, s:{s:s, s:{s:{s:f, s:s}}}}", "model", MODEL, "training_file",
                                 f->training_file, "method", "type", "dpo", "dpo", "hyperparameters", "beta",
                                 0.1, "n_epochs", "auto");
    assert_true(json_equal(body, expected));
    json_decref(body);
    json_decref(expected);

    /* The deprecated top-level hyperparameters. */
    req = oai_fine_tuning_job_create_request_new(MODEL, f->training_file);
    oai_request_set_string(req, "/hyperparameters/n_epochs", "auto");
    oai_request_set_int(req, "/hyperparameters/batch_size", 4);
    oai_request_set_number(req, "/hyperparameters/learning_rate_multiplier", 1.8);
    res = send_free(f, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_int(res, "/hyperparameters/batch_size"), 4);
    oai_response_free(res);
    body = recorded_json(f, 1);
    expected = json_pack("{s:s, s:s, s:{s:s, s:i, s:f}}", "model", MODEL, "training_file", f->training_file,
                         "hyperparameters", "n_epochs", "auto", "batch_size", 4, "learning_rate_multiplier", 1.8);
    assert_true(json_equal(body, expected));
    json_decref(body);
    json_decref(expected);
}

static void test_create_with_unknown_file(void **state)
{
    fixture *f = *state;
    oai_response *res = send_free(f, oai_fine_tuning_job_create_request_new(MODEL, "file-nope"));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    assert_string_equal(oai_response_error_param(res), "training_file");
    assert_non_null(strstr(oai_response_error_message(res), "file-nope"));
    oai_response_free(res);
}

static void test_request_arguments(void **state)
{
    (void)state;
    assert_request_failed(oai_fine_tuning_job_create_request_new(NULL, "file"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_create_request_new("m", ""), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_retrieve_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_cancel_request_new(""), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_pause_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_resume_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_list_events_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_fine_tuning_job_list_checkpoints_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    oai_request *req = oai_fine_tuning_job_list_events_request_new("ftjob/1");
    assert_string_equal(oai_request_method(req), "GET");
    assert_string_equal(oai_request_path(req), "/fine_tuning/jobs/ftjob%2F1/events");
    oai_request_free(req);
    req = oai_fine_tuning_job_list_request_new();
    assert_string_equal(oai_request_path(req), "/fine_tuning/jobs");
    oai_request_free(req);
    oai_response *res = oai_client_follow_fine_tuning_job(NULL, "x", 10, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
}

/* ---- the job's lifecycle ----------------------------------------------------- */

static void test_lifecycle_endpoints(void **state)
{
    fixture *f = *state;
    char *id = create_job(f);
    char *other = create_job(f);

    oai_request *list = oai_fine_tuning_job_list_request_new();
    oai_request_set_query(list, "limit", "1");
    oai_response *res = send_free(f, list);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_count(res, "/data"), 1);
    assert_string_equal(oai_response_get_string(res, "/data/0/id"), other); /* newest first */
    assert_true(oai_response_get_bool(res, "/has_more"));
    oai_response_free(res);
    assert_request(f, 2, "GET", "/v1/fine_tuning/jobs", "limit=1");

    res = send_free(f, oai_fine_tuning_job_retrieve_request_new(id));
    assert_string_equal(oai_response_get_string(res, "/status"), "queued");
    oai_response_free(res);
    assert_request(f, 3, "GET", job_path(id, ""), "");

    res = send_free(f, oai_fine_tuning_job_pause_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "paused");
    oai_response_free(res);
    assert_request(f, 4, "POST", job_path(id, "/pause"), "");

    res = send_free(f, oai_fine_tuning_job_retrieve_request_new(id)); /* a paused job stays paused */
    assert_string_equal(oai_response_get_string(res, "/status"), "paused");
    oai_response_free(res);

    res = send_free(f, oai_fine_tuning_job_resume_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "queued");
    oai_response_free(res);
    assert_request(f, 6, "POST", job_path(id, "/resume"), "");

    res = send_free(f, oai_fine_tuning_job_resume_request_new(id)); /* not paused */
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);

    res = send_free(f, oai_fine_tuning_job_retrieve_request_new(id));
    assert_string_equal(oai_response_get_string(res, "/status"), "running");
    oai_response_free(res);

    res = send_free(f, oai_fine_tuning_job_list_checkpoints_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_count(res, "/data"), 1);
    assert_string_equal(oai_response_get_string(res, "/data/0/object"), "fine_tuning.job.checkpoint");
    assert_string_equal(oai_response_get_string(res, "/data/0/fine_tuning_job_id"), id);
    assert_int_equal(oai_response_get_int(res, "/data/0/step_number"), 10);
    oai_response_free(res);
    assert_request(f, 9, "GET", job_path(id, "/checkpoints"), "");

    oai_request *events = oai_fine_tuning_job_list_events_request_new(id);
    oai_request_set_query(events, "limit", "2");
    res = send_free(f, events);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_count(res, "/data"), 2);
    assert_true(oai_response_get_bool(res, "/has_more"));
    assert_string_equal(oai_response_get_string(res, "/data/0/type"), "metrics"); /* newest first */
    assert_int_equal(oai_response_get_int(res, "/data/0/data/step"), 10);
    oai_response_free(res);
    assert_request(f, 10, "GET", job_path(id, "/events"), "limit=2");

    res = send_free(f, oai_fine_tuning_job_cancel_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "cancelled");
    oai_response_free(res);
    assert_request(f, 11, "POST", job_path(id, "/cancel"), "");

    res = send_free(f, oai_fine_tuning_job_cancel_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);
    res = send_free(f, oai_fine_tuning_job_pause_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);
    res = send_free(f, oai_fine_tuning_job_retrieve_request_new("ftjob-nope"));
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    oai_response_free(res);
    free(id);
    free(other);
}

/* ---- follow -------------------------------------------------------------------- */

typedef struct seen_events {
    char ids[64][64];
    char messages[64][128];
    int64_t created[64];
    int count;
    int stop_after;             /* > 0: stop once this many were seen */
} seen_events;

static int on_event(void *ud, const oai_value *event)
{
    seen_events *s = ud;
    assert_true(s->count < 64);
    const char *id = oai_value_get_string(event, "/id");
    const char *message = oai_value_get_string(event, "/message");
    assert_non_null(id);
    assert_non_null(message);
    snprintf(s->ids[s->count], sizeof s->ids[0], "%s", id);
    snprintf(s->messages[s->count], sizeof s->messages[0], "%s", message);
    s->created[s->count] = oai_value_get_int(event, "/created_at");
    s->count++;
    return s->stop_after > 0 && s->count >= s->stop_after;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_follow_to_success(void **state)
{
    fixture *f = *state;
    char *id = create_job(f);
    seen_events seen = {0};
    int64_t start = now_ms();
    oai_response *res = oai_client_follow_fine_tuning_job(f->c, id, 30, on_event, &seen);
    int64_t elapsed = now_ms() - start;
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "succeeded");
    char expected[256];
    snprintf(expected, sizeof expected, "ft:%s:mock::%s", MODEL, id + strlen("ftjob-"));
    assert_string_equal(oai_response_get_string(res, "/fine_tuned_model"), expected);
    oai_response_free(res);
    /* Three rounds (the job becomes queued, running, succeeded) with two
     * waits of 30 ms between them. */
    assert_true(elapsed >= 60);

    /* Every event exactly once, oldest first: the same as the whole list
     * reversed. */
    oai_request *events = oai_fine_tuning_job_list_events_request_new(id);
    oai_request_set_query(events, "limit", "100");
    res = send_free(f, events);
    size_t n = oai_response_get_count(res, "/data");
    assert_int_equal(seen.count, (int)n);
    for (size_t i = 0; i < n; i++) {
        char pointer[32];
        snprintf(pointer, sizeof pointer, "/data/%zu/id", n - 1 - i);
        assert_string_equal(seen.ids[i], oai_response_get_string(res, pointer));
        if (i > 0)
            assert_true(seen.created[i] > seen.created[i - 1]);
    }
    oai_response_free(res);
    assert_true(strncmp(seen.messages[0], "Created fine-tuning job", 23) == 0);
    assert_string_equal(seen.messages[seen.count - 1], "The job has successfully completed");

    /* Each round: retrieve the job, then its events with limit=100. */
    /* create, three rounds, and the listing above */
    assert_int_equal(mock_server_request_count(f->ms), 1 + 2 * 3 + 1);
    for (size_t i = 1; i < 1 + 2 * 3; i += 2) {
        assert_request(f, i, "GET", job_path(id, ""), "");
        assert_request(f, i + 1, "GET", job_path(id, "/events"), "limit=100");
    }
    free(id);
}

static void test_follow_cancelled_by_callback(void **state)
{
    fixture *f = *state;
    char *id = create_job(f);
    seen_events seen = {0};
    seen.stop_after = 2;
    oai_response *res = oai_client_follow_fine_tuning_job(f->c, id, 10, on_event, &seen);
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    assert_string_equal(oai_response_get_string(res, "/status"), "queued"); /* the job as last seen */
    assert_non_null(oai_response_error_message(res));
    oai_response_free(res);
    assert_int_equal(seen.count, 2);
    assert_int_equal(mock_server_request_count(f->ms), 3); /* create, job, events: nothing after */
    free(id);
}

static void test_follow_unknown_job(void **state)
{
    fixture *f = *state;
    oai_response *res = oai_client_follow_fine_tuning_job(f->c, "ftjob-nope", 10, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    oai_response_free(res);
}

/* More new events than one page: the follower reads back page by page to
 * the last event it reported, and reports each once, oldest first. */
static void test_follow_catches_up_across_pages(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"ftjob-s\",\"status\":\"running\"}");
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"data\":[{\"id\":\"e2\",\"message\":\"two\"},{\"id\":\"e1\",\"message\":\"one\"}],\"has_more\":false}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"ftjob-s\",\"status\":\"succeeded\"}");
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"data\":[{\"id\":\"e4\",\"message\":\"four\"},{\"id\":\"e3\",\"message\":\"three\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"data\":[{\"id\":\"e2\",\"message\":\"two\"},{\"id\":\"e1\",\"message\":\"one\"}],\"has_more\":false}");
    seen_events seen = {0};
    oai_response *res = oai_client_follow_fine_tuning_job(f->c, "ftjob-s", 10, on_event, &seen);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "succeeded");
    oai_response_free(res);
    assert_int_equal(seen.count, 4);
    assert_string_equal(seen.messages[0], "one");
    assert_string_equal(seen.messages[1], "two");
    assert_string_equal(seen.messages[2], "three");
    assert_string_equal(seen.messages[3], "four");
    assert_int_equal(mock_server_request_count(f->ms), 5);
    assert_request(f, 4, "GET", "/v1/fine_tuning/jobs/ftjob-s/events", "limit=100&after=e3");
}

/* A failed events fetch ends following with that failure. */
static void test_follow_events_failure(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_max_retries(f->c, 0), OAI_OK);
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"ftjob-s\",\"status\":\"running\"}");
    mock_server_push_simple(f->ms, 500, NULL, "{\"error\":{\"message\":\"events down\"}}");
    oai_response *res = oai_client_follow_fine_tuning_job(f->c, "ftjob-s", 10, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_string_equal(oai_response_error_message(res), "events down");
    oai_response_free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_with_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_dpo_and_legacy_hyperparameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_with_unknown_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle_endpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_to_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_cancelled_by_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_unknown_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_catches_up_across_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follow_events_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
