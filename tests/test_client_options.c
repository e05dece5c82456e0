/* Client-wide defaults: the default query (oai_client_set_query()), copies
 * with overrides (oai_client_clone()) and the token callback
 * (oai_client_set_token_callback()), through the real libcurl transport
 * against the mock server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_server.h"
#include "oai.h"

#define TEST_KEY "sk-test-SECRET-0123456789"

typedef struct fixture {
    mock_server *ms;
    oai_client *c;
} fixture;

static int setup(void **state)
{
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_LOG");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    fixture *f = calloc(1, sizeof *f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    f->c = oai_client_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_set_base_url(f->c, mock_server_url(f->ms)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, TEST_KEY), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(f->c, 1, 5), OAI_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    free(f);
    return 0;
}

static oai_response *send_chat_with(oai_client *c, const char *text)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", text);
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    return res;
}

static const mock_request *last_request(fixture *f)
{
    size_t n = mock_server_request_count(f->ms);
    assert_true(n > 0);
    return mock_server_request(f->ms, n - 1);
}

/* ---- the default query ------------------------------------------------------ */

static void test_default_query_merged(void **state)
{
    fixture *f = *state;
    /* First without: the engine caches this URL; the default must not be lost to it. */
    oai_response *res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(last_request(f)->query, "");

    assert_int_equal(oai_client_set_query(f->c, "tenant", "a b&c"), OAI_OK);
    assert_int_equal(oai_client_set_query(f->c, "region", "eu"), OAI_OK);
    assert_string_equal(oai_client_query(f->c, "tenant"), "a b&c");
    res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    const mock_request *r = last_request(f);
    assert_string_equal(r->path, "/v1/chat/completions");
    assert_string_equal(r->query, "tenant=a+b%26c&region=eu");

    /* A request's own parameter of the same name wins, the others stay. */
    oai_request *req = oai_file_list_request_new();
    assert_int_equal(oai_request_set_query(req, "region", "us"), OAI_OK);
    assert_int_equal(oai_request_set_query(req, "limit", "2"), OAI_OK);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    r = last_request(f);
    assert_string_equal(r->path, "/v1/files");
    assert_string_equal(r->query, "tenant=a+b%26c&region=us&limit=2");

    /* Replaced, then removed. */
    assert_int_equal(oai_client_set_query(f->c, "tenant", "t2"), OAI_OK);
    assert_int_equal(oai_client_set_query(f->c, "region", NULL), OAI_OK);
    assert_null(oai_client_query(f->c, "region"));
    res = send_chat_with(f->c, "hi");
    oai_response_free(res);
    assert_string_equal(last_request(f)->query, "tenant=t2");
    assert_int_equal(oai_client_set_query(f->c, "tenant", NULL), OAI_OK);
    res = send_chat_with(f->c, "hi");
    oai_response_free(res);
    assert_string_equal(last_request(f)->query, "");
}

static void test_default_query_bad_arguments(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_query(NULL, "a", "b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_query(f->c, NULL, "b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_query(f->c, "", "b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_query(f->c, "absent", NULL), OAI_OK);
    assert_null(oai_client_query(NULL, "a"));
    assert_null(oai_client_query(f->c, NULL));
}

/* Asynchronous calls take the default query too (oai_client_start()). */
static void test_default_query_async(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_query(f->c, "k", "v"), OAI_OK);
    oai_request *req = oai_embedding_create_request_new("text-embedding-3-small", "hello");
    oai_call *call = oai_client_start(f->c, req, NULL, NULL);
    oai_request_free(req);
    assert_non_null(call);
    while (!oai_call_is_done(call))
        oai_client_poll(f->c, 100);
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_call_free(call);
    assert_string_equal(last_request(f)->path, "/v1/embeddings");
    assert_string_equal(last_request(f)->query, "k=v");
}

/* ---- copies ---------------------------------------------------------------- */

static int retries_seen;
static int on_retry(void *ud, int retry, int64_t delay_ms, int reason, int http_status)
{
    (void)ud, (void)retry, (void)delay_ms, (void)reason, (void)http_status;
    retries_seen++;
    return 0;
}

static void test_clone_with_overrides(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_header(f->c, "X-Team", "blue"), OAI_OK);
    assert_int_equal(oai_client_set_query(f->c, "tenant", "one"), OAI_OK);
    assert_int_equal(oai_client_set_organization(f->c, "org-1"), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(f->c, 1), OAI_OK);
    assert_int_equal(oai_client_set_retry_callback(f->c, on_retry, NULL), OAI_OK);
    assert_int_equal(oai_client_set_user_agent(f->c, "agent/1"), OAI_OK);

    oai_client *copy = oai_client_clone(f->c);
    assert_non_null(copy);
    assert_int_equal(oai_client_is_azure(copy), 0);
    assert_string_equal(oai_client_base_url(copy), oai_client_base_url(f->c));
    assert_string_equal(oai_client_query(copy, "tenant"), "one");
    /* Overrides on the copy leave the original alone. */
    assert_int_equal(oai_client_set_api_key(copy, "sk-copy"), OAI_OK);
    assert_int_equal(oai_client_set_header(copy, "X-Team", "red"), OAI_OK);
    assert_int_equal(oai_client_set_query(copy, "tenant", "two"), OAI_OK);

    oai_response *res = send_chat_with(f->c, "original");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    const mock_request *r = last_request(f);
    assert_string_equal(mock_request_header(r, "authorization"), "Bearer " TEST_KEY);
    assert_string_equal(mock_request_header(r, "x-team"), "blue");
    assert_string_equal(mock_request_header(r, "openai-organization"), "org-1");
    assert_string_equal(mock_request_header(r, "user-agent"), "agent/1");
    assert_string_equal(r->query, "tenant=one");
    int original_connection = r->connection_id;

    /* The copy keeps what it did not override, including the retry policy
     * and its callback; it outlives the original. */
    oai_client_free(f->c);
    f->c = NULL;
    mock_reply busy = {.status = 503, .body = "{\"error\":{\"message\":\"busy\"}}"};
    mock_server_push(f->ms, &busy);
    mock_server_push(f->ms, &busy);
    retries_seen = 0;
    res = send_chat_with(copy, "copy");
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_int_equal(oai_response_retry_count(res), 1);
    assert_int_equal(retries_seen, 1);
    oai_response_free(res);
    res = send_chat_with(copy, "copy");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    r = last_request(f);
    assert_string_equal(mock_request_header(r, "authorization"), "Bearer sk-copy");
    assert_string_equal(mock_request_header(r, "x-team"), "red");
    assert_string_equal(mock_request_header(r, "openai-organization"), "org-1");
    assert_string_equal(mock_request_header(r, "user-agent"), "agent/1");
    assert_string_equal(r->query, "tenant=two");
    /* Its own connection pool (docs: libcurl shares none across threads). */
    assert_int_not_equal(r->connection_id, original_connection);
    oai_client_free(copy);
}

static void test_clone_keeps_configuration_error(void **state)
{
    (void)state;
    assert_null(oai_client_clone(NULL));
    setenv("OPENAI_BASE_URL", "ftp://nope", 1);
    oai_client *c = oai_client_new();
    unsetenv("OPENAI_BASE_URL");
    assert_non_null(c);
    assert_int_equal(oai_client_status(c), OAI_ERR_INVALID_ARGUMENT);
    oai_client *copy = oai_client_clone(c);
    assert_non_null(copy);
    assert_int_equal(oai_client_status(copy), OAI_ERR_INVALID_ARGUMENT);
    assert_string_equal(oai_client_error_message(copy), oai_client_error_message(c));
    oai_response *res = send_chat_with(copy, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    oai_client_free(c);
    oai_client_free(copy);
}

/* ---- the token callback ------------------------------------------------------ */

typedef struct token_source {
    int calls;
    oai_status fail;        /* returned instead of a token when not OAI_OK */
    const char *fixed;      /* written as is when set */
} token_source;

static oai_status give_token(void *ud, char *token, size_t size)
{
    token_source *t = ud;
    t->calls++;
    assert_int_equal(size, OAI_TOKEN_MAX);
    if (t->fail != OAI_OK)
        return t->fail;
    if (t->fixed) {
        snprintf(token, size, "%s", t->fixed);
        return OAI_OK;
    }
    snprintf(token, size, "token-%d", t->calls);
    return OAI_OK;
}

static void test_token_callback_every_attempt(void **state)
{
    fixture *f = *state;
    token_source t = {0};
    assert_int_equal(oai_client_set_token_callback(f->c, give_token, &t), OAI_OK);
    mock_reply busy = {.status = 500, .body = "{\"error\":{\"message\":\"busy\"}}"};
    mock_server_push(f->ms, &busy);
    oai_response *res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    assert_int_equal(t.calls, 2);
    assert_int_equal(mock_server_request_count(f->ms), 2);
    /* The token replaces the API key, and is fetched again for the retry. */
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 0), "authorization"), "Bearer token-1");
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 1), "authorization"), "Bearer token-2");

    /* A request's own Authorization header wins. */
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "x");
    oai_request_set_header(req, "Authorization", "Bearer mine");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(mock_request_header(last_request(f), "authorization"), "Bearer mine");
    assert_int_equal(t.calls, 2); /* not asked for a token it would not send */

    /* Cleared: the API key again. */
    assert_int_equal(oai_client_set_token_callback(f->c, NULL, NULL), OAI_OK);
    res = send_chat_with(f->c, "hi");
    oai_response_free(res);
    assert_string_equal(mock_request_header(last_request(f), "authorization"), "Bearer " TEST_KEY);
    assert_int_equal(oai_client_set_token_callback(NULL, give_token, &t), OAI_ERR_INVALID_ARGUMENT);
}

/* An expired token: the 401 brings one more attempt with a new token, once. */
static void test_token_refreshed_after_401(void **state)
{
    fixture *f = *state;
    token_source t = {0};
    assert_int_equal(oai_client_set_token_callback(f->c, give_token, &t), OAI_OK);
    mock_reply denied = {.status = 401, .body = "{\"error\":{\"message\":\"token expired\"}}"};
    mock_server_push(f->ms, &denied);
    oai_response *res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    assert_int_equal(t.calls, 2);
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 1), "authorization"), "Bearer token-2");
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 1), "x-stainless-retry-count"), "1");

    /* Twice in a row: the second 401 is the answer. */
    mock_server_reset(f->ms);
    mock_server_push(f->ms, &denied);
    mock_server_push(f->ms, &denied);
    res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_AUTHENTICATION);
    assert_int_equal(oai_response_http_status(res), 401);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 2);

    /* Without a token callback a 401 is final, as before. */
    assert_int_equal(oai_client_set_token_callback(f->c, NULL, NULL), OAI_OK);
    mock_server_reset(f->ms);
    mock_server_push(f->ms, &denied);
    res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_AUTHENTICATION);
    assert_int_equal(oai_response_retry_count(res), 0);
    oai_response_free(res);

    /* With no retries allowed, no refresh either. */
    assert_int_equal(oai_client_set_token_callback(f->c, give_token, &t), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(f->c, 0), OAI_OK);
    mock_server_reset(f->ms);
    mock_server_push(f->ms, &denied);
    res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_AUTHENTICATION);
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 1);
}

static void expect_token_failure(fixture *f, token_source *t, oai_status status, const char *words)
{
    mock_server_reset(f->ms);
    assert_int_equal(oai_client_set_token_callback(f->c, give_token, t), OAI_OK);
    oai_response *res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), status);
    assert_non_null(oai_response_error_message(res));
    assert_non_null(strstr(oai_response_error_message(res), words));
    assert_int_equal(oai_response_retry_count(res), 0);
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 0); /* nothing sent */
}

static void test_token_callback_failures(void **state)
{
    fixture *f = *state;
    token_source failing = {.fail = OAI_ERR_CONNECTION};
    expect_token_failure(f, &failing, OAI_ERR_CONNECTION, "token callback failed");
    assert_int_equal(failing.calls, 1); /* not retried */
    token_source unknown = {.fail = (oai_status)999};
    expect_token_failure(f, &unknown, OAI_ERR_AUTHENTICATION, "token callback failed");
    token_source empty = {.fixed = ""};
    expect_token_failure(f, &empty, OAI_ERR_AUTHENTICATION, "empty token");
    token_source injected = {.fixed = "abc\r\nX-Evil: 1"};
    expect_token_failure(f, &injected, OAI_ERR_AUTHENTICATION, "control characters");
}

static oai_status fill_token(void *ud, char *token, size_t size)
{
    (void)ud;
    memset(token, 'a', size); /* no terminating NUL */
    return OAI_OK;
}

static void test_token_unterminated(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_token_callback(f->c, fill_token, NULL), OAI_OK);
    oai_response *res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_AUTHENTICATION);
    assert_non_null(strstr(oai_response_error_message(res), "NUL"));
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

typedef struct log_capture {
    char text[65536];
    size_t len;
} log_capture;

static void capture_log(void *ud, int level, const char *line)
{
    (void)level;
    log_capture *l = ud;
    l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s\n", line);
    if (l->len >= sizeof l->text)
        l->len = sizeof l->text - 1;
}

/* Tokens never reach the log, even at debug level. */
static void test_token_not_logged(void **state)
{
    fixture *f = *state;
    static log_capture log;
    memset(&log, 0, sizeof log);
    token_source t = {.fixed = "eyJ-SECRET-TOKEN"};
    assert_int_equal(oai_client_set_token_callback(f->c, give_token, &t), OAI_OK);
    assert_int_equal(oai_client_set_log_level(f->c, OAI_LOG_DEBUG), OAI_OK);
    assert_int_equal(oai_client_set_log_callback2(f->c, capture_log, &log), OAI_OK);
    oai_response *res = send_chat_with(f->c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(mock_request_header(last_request(f), "authorization"), "Bearer eyJ-SECRET-TOKEN");
    assert_non_null(strstr(log.text, "Authorization: [redacted]"));
    assert_null(strstr(log.text, "SECRET"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_query_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_query_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_query_async, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_with_overrides, setup, teardown),
        cmocka_unit_test(test_clone_keeps_configuration_error),
        cmocka_unit_test_setup_teardown(test_token_callback_every_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_refreshed_after_401, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_callback_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_unterminated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_not_logged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
