/* Integration tests of the client, engine and retry policy through the real
 * libcurl transport against the scripted mock server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_server.h"
#include "oai.h"
#include "sticky.h"

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
    /* Keep retry waits short; the policy itself is unit-tested elsewhere. */
    assert_int_equal(oai_client_set_retry_backoff_ms(f->c, 10, 40), OAI_OK);
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

static oai_response *send_chat(fixture *f, const char *text)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", text);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    return res;
}

static void test_chat_success(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_int_equal(oai_chat_request_add_message(req, "developer", "Answer in one line."), OAI_OK);
    assert_int_equal(oai_chat_request_add_message(req, "user", "写一首关于春天的诗"), OAI_OK);
    assert_int_equal(oai_request_set_number(req, "/temperature", 0.7), OAI_OK);
    assert_int_equal(oai_request_set_int(req, "/max_tokens", 100), OAI_OK);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_http_status(res), 200);
    assert_non_null(oai_response_text(res));
    assert_non_null(strstr(oai_response_text(res), "春"));
    assert_non_null(oai_response_request_id(res));
    assert_int_equal(oai_response_retry_count(res), 0);
    assert_true(oai_response_total_time_us(res) > 0);
    assert_true(oai_response_first_byte_time_us(res) >= 0);
    assert_string_equal(oai_response_get_string(res, "/object"), "chat.completion");

    const mock_request *mr = mock_server_request(f->ms, 0);
    assert_string_equal(mr->method, "POST");
    assert_string_equal(mr->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(mr, "authorization"), "Bearer " TEST_KEY);
    assert_string_equal(mock_request_header(mr, "content-type"), "application/json");
    assert_string_equal(mock_request_header(mr, "x-stainless-retry-count"), "0");
    assert_string_equal(mock_request_header(mr, "x-stainless-lang"), "c");
    assert_non_null(strstr(mr->body, "\"temperature\":0.7"));
    assert_non_null(strstr(mr->body, "\"max_tokens\":100"));
    assert_non_null(strstr(mr->body, "\"role\":\"developer\""));
    assert_non_null(strstr(mr->body, "写一首关于春天的诗"));
    assert_null(mock_request_header(mr, "expect"));
    oai_response_free(res);
    oai_request_free(req);
}

static void test_completion_and_models(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_completion_create_request_new("gpt-3.5-turbo-instruct", "Say hi");
    oai_request_set_int(req, "/max_tokens", 100);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_non_null(oai_response_text(res));
    assert_non_null(strstr(oai_response_text(res), "Say hi"));
    oai_response_free(res);
    oai_request_free(req);

    req = oai_model_list_request_new();
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_true(oai_response_get_count(res, "/data") >= 1);
    oai_response_free(res);
    oai_request_free(req);

    req = oai_model_retrieve_request_new("ft:gpt-4o-mini:org/x");
    res = oai_client_send(f->c, req);
    const mock_request *mr = mock_server_request(f->ms, 2);
    assert_string_equal(mr->method, "GET");
    /* curl's URL API writes percent-escapes in lower case. */
    assert_string_equal(mr->path, "/v1/models/ft%3agpt-4o-mini%3aorg%2fx");
    oai_response_free(res);
    oai_request_free(req);

    req = oai_model_delete_request_new("m1");
    res = oai_client_send(f->c, req);
    assert_string_equal(mock_server_request(f->ms, 3)->method, "DELETE");
    oai_response_free(res);
    oai_request_free(req);
}

static void test_embeddings(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_embedding_create_request_new("text-embedding-3-small", "hello");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    size_t dim = 0;
    const double *v = oai_response_embedding(res, 0, &dim);
    assert_non_null(v);
    assert_true(dim > 0);
    float fl[64];
    assert_int_equal(oai_response_embedding_float(res, 0, fl, 64), dim);
    assert_float_equal(fl[0], v[0], 1e-6);
    assert_null(oai_response_embedding(res, 5, &dim));
    assert_int_equal(dim, 0);
    oai_response_free(res);
    oai_request_free(req);

    /* base64: [1.0, -2.5] as little-endian float32 */
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                            "\"embedding\":\"AACAPwAAIMA=\"}]}");
    req = oai_embedding_create_request_new("text-embedding-3-small", "hello");
    oai_request_set_string(req, "/encoding_format", "base64");
    res = oai_client_send(f->c, req);
    v = oai_response_embedding(res, 0, &dim);
    assert_int_equal(dim, 2);
    assert_float_equal(v[0], 1.0, 1e-9);
    assert_float_equal(v[1], -2.5, 1e-9);
    oai_response_free(res);
    oai_request_free(req);
}

typedef struct status_case {
    int http;
    oai_status status;
} status_case;

static void test_status_mapping(void **state)
{
    fixture *f = *state;
    static const status_case cases[] = {
        {400, OAI_ERR_BAD_REQUEST},   {401, OAI_ERR_AUTHENTICATION}, {403, OAI_ERR_PERMISSION_DENIED},
        {404, OAI_ERR_NOT_FOUND},     {409, OAI_ERR_CONFLICT},       {422, OAI_ERR_UNPROCESSABLE},
        {429, OAI_ERR_RATE_LIMIT},    {500, OAI_ERR_SERVER},         {503, OAI_ERR_SERVER},
        {418, OAI_ERR_API},
    };
    oai_client_set_max_retries(f->c, 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mock_server_push_simple(f->ms, cases[i].http, "x-request-id: req_err\r\n",
                                "{\"error\":{\"message\":\"bad thing\",\"type\":\"invalid_request_error\","
                                "\"param\":\"model\",\"code\":\"model_not_found\"}}");
        oai_response *res = send_chat(f, "hi");
        assert_int_equal(oai_response_status(res), cases[i].status);
        assert_int_equal(oai_response_http_status(res), cases[i].http);
        assert_string_equal(oai_response_error_message(res), "bad thing");
        assert_string_equal(oai_response_error_type(res), "invalid_request_error");
        assert_string_equal(oai_response_error_code(res), "model_not_found");
        assert_string_equal(oai_response_error_param(res), "model");
        assert_string_equal(oai_response_request_id(res), "req_err");
        oai_response_free(res);
    }
}

static void test_error_body_shapes(void **state)
{
    fixture *f = *state;
    oai_client_set_max_retries(f->c, 0);
    /* vLLM's flat body with a numeric code. */
    mock_server_push_simple(f->ms, 400, NULL,
                            "{\"object\":\"error\",\"message\":\"flat msg\",\"type\":\"BadRequestError\","
                            "\"param\":null,\"code\":400}");
    oai_response *res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    assert_string_equal(oai_response_error_message(res), "flat msg");
    assert_string_equal(oai_response_error_code(res), "400");
    assert_null(oai_response_error_param(res));
    oai_response_free(res);

    /* A proxy's plain-text page. */
    mock_reply r = {.status = 502, .body = "<html>Bad Gateway</html>", .content_type = "text/html"};
    mock_server_push(f->ms, &r);
    res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_non_null(strstr(oai_response_error_message(res), "Bad Gateway"));
    assert_string_equal(oai_response_body(res), "<html>Bad Gateway</html>");
    oai_response_free(res);
}

static int retry_calls;
static int on_retry(void *ud, int retry, int64_t delay_ms, int reason, int http_status)
{
    (void)ud;
    retry_calls++;
    check_expected(retry);
    check_expected(http_status);
    (void)delay_ms;
    (void)reason;
    return 0;
}

/* The acceptance scenario: 429 (retry-after-ms: 300), 500, 200. */
static void test_retry_429_500_200(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 429, "retry-after-ms: 300\r\n",
                            "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
    mock_server_push_simple(f->ms, 500, NULL, "{\"error\":{\"message\":\"oops\"}}");
    oai_client_set_retry_callback(f->c, on_retry, NULL);
    expect_value(on_retry, retry, 1);
    expect_value(on_retry, http_status, 429);
    expect_value(on_retry, retry, 2);
    expect_value(on_retry, http_status, 500);
    retry_calls = 0;
    oai_response *res = send_chat(f, "hello");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 2);
    assert_int_equal(retry_calls, 2);
    /* The 300 ms server delay was honoured. */
    assert_true(oai_response_total_time_us(res) >= 300000);
    assert_int_equal(mock_server_request_count(f->ms), 3);
    for (int i = 0; i < 3; i++) {
        char want[4];
        snprintf(want, sizeof want, "%d", i);
        assert_string_equal(mock_request_header(mock_server_request(f->ms, (size_t)i),
                                                "x-stainless-retry-count"), want);
    }
    oai_response_free(res);
}

static void test_should_retry_false(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 500, "x-should-retry: false\r\n", "{\"error\":{\"message\":\"no\"}}");
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_int_equal(oai_response_retry_count(res), 0);
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_response_free(res);

    /* x-should-retry: true makes a 400 retryable. */
    mock_server_push_simple(f->ms, 400, "x-should-retry: true\r\n", "{\"error\":{\"message\":\"no\"}}");
    res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
}

static void test_retries_exhausted_and_cap(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 3; i++)
        mock_server_push_simple(f->ms, 503, NULL, "{\"error\":{\"message\":\"busy\"}}");
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_int_equal(oai_response_retry_count(res), 2);
    assert_int_equal(mock_server_request_count(f->ms), 3);
    oai_response_free(res);

    /* A server delay above the cap: no retry, the delay is exposed. */
    mock_server_push_simple(f->ms, 429, "retry-after: 3600\r\n", "{\"error\":{\"message\":\"later\"}}");
    res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_RATE_LIMIT);
    assert_int_equal(oai_response_retry_count(res), 0);
    assert_int_equal(oai_response_retry_after_ms(res), 3600000);
    oai_response_free(res);

    /* Per-request max retries. */
    mock_server_push_simple(f->ms, 500, NULL, "{}");
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_request_set_max_retries(req, 0);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_int_equal(oai_response_retry_count(res), 0);
    oai_response_free(res);
    oai_request_free(req);
}

static void test_connection_refused(void **state)
{
    fixture *f = *state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", mock_unused_port());
    oai_client_set_base_url(f->c, url);
    oai_client_set_retry_backoff_ms(f->c, 1, 2);
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    assert_int_equal(oai_response_http_status(res), 0);
    assert_int_equal(oai_response_retry_count(res), 2);
    assert_non_null(oai_response_error_message(res));
    oai_response_free(res);
}

static void test_timeout(void **state)
{
    fixture *f = *state;
    oai_client_set_max_retries(f->c, 0);
    mock_reply r = {.status = 200, .body = "{}", .delay_ms = 2000};
    mock_server_push(f->ms, &r);
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_request_set_timeout_ms(req, 200);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    oai_response_free(res);

    /* A stalled body trips the idle timeout, and the retry then succeeds. */
    mock_reply stall = {.status = 200, .body = "{\"choices\":[]}", .fault = MOCK_FAULT_STALL,
                        .fault_after = 3, .stall_ms = 3000};
    mock_server_push(f->ms, &stall);
    oai_request_set_timeout_ms(req, -1);
    oai_request_set_idle_timeout_ms(req, 200);
    oai_request_set_max_retries(req, 1);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    oai_request_free(req);
}

static void test_close_mid_body(void **state)
{
    fixture *f = *state;
    oai_client_set_max_retries(f->c, 0);
    mock_reply r = {.status = 200, .body = "{\"choices\":[{\"message\":{\"content\":\"hello\"}}]}",
                    .fault = MOCK_FAULT_CLOSE_MID_BODY, .fault_after = 10};
    mock_server_push(f->ms, &r);
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    oai_response_free(res);
}

static void test_malformed_json(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"choices\": [ oops");
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    assert_int_equal(oai_response_retry_count(res), 0);
    assert_int_equal(oai_response_http_status(res), 200);
    assert_string_equal(oai_response_body(res), "{\"choices\": [ oops");
    oai_response_free(res);
}

static void test_keepalive_100_requests(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_chat_request_add_message(req, "user", "ping");
    for (int i = 0; i < 100; i++) {
        oai_response *res = oai_client_send(f->c, req); /* the same request, reused */
        assert_int_equal(oai_response_status(res), OAI_OK);
        oai_response_free(res);
    }
    assert_int_equal(mock_server_request_count(f->ms), 100);
    assert_int_equal(mock_server_connection_count(f->ms), 1);
    oai_request_free(req);
}

static void test_header_injection(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_chat_completion_create_request_new("m");
    assert_int_equal(oai_request_set_header(req, "X-Evil", "a\r\nInjected: 1"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_header(req, "X-Evil\r\nA", "b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_header(req, "Bad Name", "b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_header(req, "", "b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_header(f->c, "X-Evil", "a\nb"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_api_key(f->c, "sk-\r\nX: y"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_organization(f->c, "o\n"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_idempotency_key(req, "k\r"), OAI_ERR_INVALID_ARGUMENT);
    oai_response *res = oai_client_send(f->c, req);
    const mock_request *mr = mock_server_request(f->ms, 0);
    assert_null(mock_request_header(mr, "injected"));
    assert_null(mock_request_header(mr, "x-evil"));
    oai_response_free(res);
    oai_request_free(req);
}

static void test_headers_override_and_remove(void **state)
{
    fixture *f = *state;
    oai_client_set_organization(f->c, "org-1");
    oai_client_set_project(f->c, "proj-1");
    oai_client_set_header(f->c, "X-Client", "c");
    oai_client_set_header(f->c, "X-Both", "client");
    oai_client_set_header(f->c, "X-Stainless-OS", NULL);
    oai_client_set_user_agent(f->c, "my-app/1.0");
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_request_set_header(req, "x-both", "request");
    oai_request_set_header(req, "X-Empty", "");
    oai_request_set_idempotency_key(req, "");
    oai_request_set_query(req, "api-version", "2024-10-21");
    oai_request_set_query(req, "q", "a b&c");
    mock_server_push_simple(f->ms, 500, NULL, "{}");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    const mock_request *a = mock_server_request(f->ms, 0), *b = mock_server_request(f->ms, 1);
    assert_string_equal(mock_request_header(a, "openai-organization"), "org-1");
    assert_string_equal(mock_request_header(a, "openai-project"), "proj-1");
    assert_string_equal(mock_request_header(a, "x-client"), "c");
    assert_string_equal(mock_request_header(a, "x-both"), "request");
    assert_string_equal(mock_request_header(a, "x-empty"), "");
    assert_string_equal(mock_request_header(a, "user-agent"), "my-app/1.0");
    assert_null(mock_request_header(a, "x-stainless-os"));
    assert_string_equal(a->query, "api-version=2024-10-21&q=a+b%26c");
    const char *key = mock_request_header(a, "idempotency-key");
    assert_non_null(key);
    assert_true(strncmp(key, "oai-c-retry-", 12) == 0);
    /* The same key on the retry. */
    assert_string_equal(mock_request_header(b, "idempotency-key"), key);
    oai_response_free(res);

    oai_client_set_platform_headers(f->c, 0);
    res = oai_client_send(f->c, req);
    assert_null(mock_request_header(mock_server_request(f->ms, 2), "x-stainless-lang"));
    assert_null(mock_request_header(mock_server_request(f->ms, 2), "x-stainless-retry-count"));
    oai_response_free(res);
    oai_request_free(req);
}

typedef struct log_capture {
    char text[65536];
    size_t len;
} log_capture;

static void capture_log(void *ud, int level, const char *message)
{
    log_capture *cap = ud;
    (void)level;
    int n = snprintf(cap->text + cap->len, sizeof cap->text - cap->len, "%s\n", message);
    if (n > 0 && cap->len + (size_t)n < sizeof cap->text)
        cap->len += (size_t)n;
}

static void test_redacted_logs(void **state)
{
    fixture *f = *state;
    log_capture *cap = calloc(1, sizeof *cap);
    oai_client_set_log_level(f->c, OAI_LOG_DEBUG);
    oai_client_set_log_callback2(f->c, capture_log, cap);
    oai_client_set_header(f->c, "api-key", "azure-SECRET-key");
    mock_server_push_simple(f->ms, 429, "retry-after-ms: 1\r\nx-request-id: req_abc\r\n", "{}");
    oai_response *res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_null(strstr(cap->text, "SECRET"));
    assert_non_null(strstr(cap->text, "[redacted]"));
    assert_non_null(strstr(cap->text, "POST"));
    assert_non_null(strstr(cap->text, "/v1/chat/completions"));
    assert_non_null(strstr(cap->text, "HTTP 429"));
    assert_non_null(strstr(cap->text, "req_abc"));
    assert_non_null(strstr(cap->text, "retry"));
    assert_null(strstr(oai_response_body(res), "SECRET"));
    oai_response_free(res);
    free(cap);
}

static void test_max_response_size(void **state)
{
    fixture *f = *state;
    oai_client_set_max_response_bytes(f->c, 100);
    char big[1024];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char body[1100];
    snprintf(body, sizeof body, "{\"x\":\"%s\"}", big);
    mock_server_push_simple(f->ms, 200, NULL, body);
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_ERR_TOO_LARGE);
    assert_int_equal(oai_response_retry_count(res), 0);
    oai_response_free(res);
    /* The client still works afterwards. */
    oai_client_set_max_response_bytes(f->c, 0);
    res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
}

typedef struct async_state {
    int done;
    oai_status status;
    char text[256];
} async_state;

static void async_done(void *ud, oai_call *call, oai_response *res)
{
    async_state *s = ud;
    s->done++;
    s->status = oai_response_status(res);
    snprintf(s->text, sizeof s->text, "%s", oai_response_text(res) ? oai_response_text(res) : "");
    oai_response_free(res);
    oai_call_free(call); /* the caller's, freed from its own callback */
}

static void test_async_poll(void **state)
{
    fixture *f = *state;
    async_state s[3] = {{0}};
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_chat_request_add_message(req, "user", "async");
    for (int i = 0; i < 3; i++)
        assert_non_null(oai_client_start(f->c, req, async_done, &s[i]));
    oai_request_free(req); /* calls keep their own copy */
    int loops = 0;
    while (oai_client_poll(f->c, 0) > 0 && loops < 100000) {
        loops++;
        oai_client_poll(f->c, 10);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s[i].done, 1);
        assert_int_equal(s[i].status, OAI_OK);
        assert_string_equal(s[i].text, "Echo: async");
    }
}

static void test_async_cancel_during_retry_wait(void **state)
{
    fixture *f = *state;
    oai_client_set_retry_backoff_ms(f->c, 5000, 5000);
    mock_server_push_simple(f->ms, 500, NULL, "{}");
    async_state s = {0};
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_call *call = oai_client_start(f->c, req, async_done, &s);
    oai_request_free(req);
    /* Let the 500 arrive and the 5 s retry timer start. */
    for (int i = 0; i < 50 && !s.done; i++)
        oai_client_poll(f->c, 10);
    assert_int_equal(s.done, 0);
    oai_call_cancel(call);
    while (oai_client_poll(f->c, 10) > 0)
        ;
    assert_int_equal(s.done, 1);
    assert_int_equal(s.status, OAI_ERR_CANCELLED);
    assert_int_equal(mock_server_request_count(f->ms), 1);
}

static void test_environment(void **state)
{
    fixture *f = *state;
    setenv("OPENAI_API_KEY", "sk-env", 1);
    setenv("OPENAI_BASE_URL", "  ", 1);
    setenv("OPENAI_ORG_ID", "org-env", 1);
    setenv("OPENAI_PROJECT_ID", "proj-env", 1);
    setenv("OPENAI_CUSTOM_HEADERS", "X-One: 1\nX-Two:  two  \nbroken line\n", 1);
    oai_client *c = oai_client_new();
    assert_string_equal(oai_client_base_url(c), "https://api.openai.com/v1");
    char url[128];
    snprintf(url, sizeof url, "  %s/  ", mock_server_url(f->ms));
    setenv("OPENAI_BASE_URL", url, 1);
    oai_client_free(c);
    c = oai_client_new();
    assert_string_equal(oai_client_base_url(c), mock_server_url(f->ms));
    oai_request *req = oai_model_list_request_new();
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    const mock_request *mr = mock_server_request(f->ms, 0);
    assert_string_equal(mock_request_header(mr, "authorization"), "Bearer sk-env");
    assert_string_equal(mock_request_header(mr, "openai-organization"), "org-env");
    assert_string_equal(mock_request_header(mr, "openai-project"), "proj-env");
    assert_string_equal(mock_request_header(mr, "x-one"), "1");
    assert_string_equal(mock_request_header(mr, "x-two"), "two");
    assert_null(mock_request_header(mr, "content-type")); /* GET: no body */
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(c);
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_ORG_ID");
    unsetenv("OPENAI_PROJECT_ID");
    unsetenv("OPENAI_CUSTOM_HEADERS");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    assert_request_failed(oai_request_new("post", "/x"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_request_new("POST", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_request_new("POST", "/a b"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_chat_completion_create_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_chat_completion_create_request_new(""), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(NULL, "http://x"), OAI_ERR_INVALID_ARGUMENT);
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_set_base_url(c, "ftp://x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_max_retries(c, -1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_timeout_ms(c, -5), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_retry_backoff_ms(c, 100, 50), OAI_ERR_INVALID_ARGUMENT);
    oai_response *res = oai_client_send(c, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    oai_client_free(c);
    /* NULL-safety of every accessor. */
    assert_int_equal(oai_response_status(NULL), OAI_ERR_OUT_OF_MEMORY);
    assert_null(oai_response_text(NULL));
    assert_null(oai_response_header(NULL, "x"));
    assert_string_equal(oai_response_body(NULL), "");
    assert_int_equal(oai_response_get_int(NULL, "/x"), 0);
    assert_null(oai_response_request_id(NULL));
    assert_int_equal(oai_response_retry_after_ms(NULL), -1);
    oai_client_free(NULL);
    oai_request_free(NULL);
    oai_response_free(NULL);
    assert_string_equal(oai_status_name(OAI_ERR_RATE_LIMIT), "OAI_ERR_RATE_LIMIT");
    assert_string_equal(oai_status_name((oai_status)999), "OAI_ERR_UNKNOWN");
    assert_string_equal(oai_version(), OAI_VERSION_STRING);
}

static void test_output_file(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/oai-test-out-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    mock_reply r = {.status = 200, .body = "binary\001content", .content_type = "application/octet-stream"};
    mock_server_push(f->ms, &r);
    oai_request *req = oai_request_new("GET", "/files/file-1/content");
    oai_request_set_output_file(req, path);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_body_len(res), 0);
    FILE *fp = fopen(path, "rb");
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_int_equal(n, 14);
    assert_memory_equal(buf, "binary\001content", 14);
    oai_response_free(res);

    /* An empty 2xx body still creates (truncates) the file. */
    mock_reply empty = {.status = 200, .body = "", .content_type = "application/octet-stream"};
    mock_server_push(f->ms, &empty);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(buf, 1, sizeof buf, fp), 0);
    fclose(fp);
    oai_response_free(res);
    oai_request_free(req);
    unlink(path);
}

static int cancel_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    (void)sent;
    (void)send_total;
    (void)received;
    (void)receive_total;
    int *calls = ud;
    return ++*calls >= 2;
}

static void test_progress_cancel(void **state)
{
    fixture *f = *state;
    mock_reply slow = {.status = 200, .body = "{}", .delay_ms = 3000};
    mock_server_push(f->ms, &slow);
    int calls = 0;
    oai_request *req = oai_chat_completion_create_request_new("m");
    oai_request_set_progress_callback(req, cancel_progress, &calls);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    assert_int_equal(oai_response_retry_count(res), 0);
    assert_true(oai_response_total_time_us(res) < 2000000);
    assert_int_equal(calls, 2);
    oai_response_free(res);
    oai_request_free(req);
}

static void test_raw_bodies_not_parsed(void **state)
{
    fixture *f = *state;
    const char *jsonl = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n";
    mock_reply r = {.status = 200, .body = jsonl, .content_type = "application/jsonl"};
    mock_server_push(f->ms, &r);
    mock_server_push(f->ms, &r);
    oai_request *req = oai_request_new("GET", "/anything");
    /* By default a 2xx body must be one JSON document... */
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    assert_string_equal(oai_response_error_message(res), "expected JSON, got application/jsonl");
    assert_string_equal(oai_response_body(res), jsonl);
    oai_response_free(res);
    /* ...unless the request asks for the raw bytes. */
    assert_int_equal(oai_request_set_raw_response(req, 1), OAI_OK);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_null(oai_response_json(res));
    assert_string_equal(oai_response_body(res), jsonl);
    oai_response_free(res);
    oai_request_free(req);

    /* A download asks for application/binary: its body stays raw even when
     * a server labels it JSON. */
    mock_reply lying = {.status = 200, .body = jsonl, .content_type = "application/json"};
    mock_server_push(f->ms, &lying);
    req = oai_file_retrieve_content_request_new("file-abc");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_null(oai_response_json(res));
    assert_int_equal(oai_response_body_len(res), strlen(jsonl));
    oai_response_free(res);
    oai_request_free(req);
}

typedef struct free_state {
    oai_client *client;
    int calls;
} free_state;

static void free_client_when_done(void *ud, oai_call *call, oai_response *res)
{
    (void)call;
    free_state *fs = ud;
    fs->calls++;
    oai_response_free(res);
    oai_client_free(fs->client); /* deferred until the poll returns */
}

/* A done callback may free the client; the other calls then end without
 * their callbacks, as oai_client_free() documents. */
static void test_free_client_from_callback(void **state)
{
    fixture *f = *state;
    free_state fs = {f->c, 0};
    oai_request *req = oai_model_list_request_new();
    oai_call *calls[2];
    calls[0] = oai_client_start(f->c, req, free_client_when_done, &fs);
    calls[1] = oai_client_start(f->c, req, free_client_when_done, &fs);
    assert_non_null(calls[0]);
    assert_non_null(calls[1]);
    oai_request_free(req);
    int running = 1;
    while (running > 0)
        running = oai_client_poll(f->c, 100);
    assert_int_equal(running, 0);
    assert_int_equal(fs.calls, 1);
    f->c = NULL; /* freed by the callback */
    /* The calls outlive their client: ended, and still the caller's. */
    for (int i = 0; i < 2; i++) {
        assert_true(oai_call_is_done(calls[i]));
        oai_call_free(calls[i]);
    }
}

static oai_client *reentry_client;
static int reentry_status;

static int send_from_retry_callback(void *ud, int retry, int64_t delay_ms, int reason, int http_status)
{
    (void)ud;
    (void)retry;
    (void)delay_ms;
    (void)reason;
    (void)http_status;
    oai_request *req = oai_model_list_request_new();
    oai_response *res = oai_client_send(reentry_client, req);
    reentry_status = oai_response_status(res);
    oai_response_free(res);
    oai_request_free(req);
    return oai_client_poll(reentry_client, 0) != -(int)OAI_ERR_INVALID_ARGUMENT;
}

/* Sending or polling from inside a callback is refused, not recursed into. */
static void test_reentry_refused(void **state)
{
    fixture *f = *state;
    reentry_client = f->c;
    reentry_status = OAI_OK;
    oai_client_set_retry_callback(f->c, send_from_retry_callback, NULL);
    mock_server_push_simple(f->ms, 500, NULL, "{}");
    oai_response *res = send_chat(f, "x");
    assert_int_equal(reentry_status, OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
}

static int slow_uplink(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    (void)ud;
    (void)sent;
    (void)send_total;
    (void)received;
    (void)receive_total;
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    return 0;
}

/* Bytes going out keep the idle timeout from firing during a slow upload,
 * and a timeout of INT64_MAX means never. */
static void test_idle_timeout_during_upload(void **state)
{
    fixture *f = *state;
    size_t len = 2u << 20;
    char *data = malloc(len);
    memset(data, 'u', len);
    oai_request *req = oai_request_new("POST", "/files");
    oai_request_add_form_field(req, "purpose", "batch");
    oai_request_add_data_part(req, "file", data, len, "big.jsonl", NULL);
    oai_request_set_progress_callback(req, slow_uplink, NULL);
    oai_request_set_idle_timeout_ms(req, 300);
    oai_request_set_max_retries(req, 0);
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"file-1\"}");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_true(oai_response_total_time_us(res) > 300000);
    oai_response_free(res);
    oai_request_free(req);
    free(data);

    oai_client_set_idle_timeout_ms(f->c, INT64_MAX);
    oai_client_set_first_byte_timeout_ms(f->c, INT64_MAX);
    res = send_chat(f, "never times out");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
}

static void test_logs_hide_url_credentials(void **state)
{
    fixture *f = *state;
    log_capture *cap = calloc(1, sizeof *cap);
    char url[128];
    snprintf(url, sizeof url, "http://user:s3cret@127.0.0.1:%d/v1", mock_server_port(f->ms));
    assert_int_equal(oai_client_set_base_url(f->c, url), OAI_OK);
    oai_client_set_log_level(f->c, OAI_LOG_DEBUG);
    oai_client_set_log_callback2(f->c, capture_log, cap);
    oai_client_set_header(f->c, "Ocp-Apim-Subscription-Key", "apim-s3cret");
    oai_response *res = send_chat(f, "x");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_null(strstr(cap->text, "s3cret"));
    assert_non_null(strstr(cap->text, "http://127.0.0.1:"));
    assert_non_null(strstr(cap->text, "Ocp-Apim-Subscription-Key: [redacted]"));
    oai_response_free(res);
    free(cap);
}


/* ---- answers that are not what they claim (issue 7) ---------------------- */

/* Item 3: a 2xx answer that is not JSON (a web UI's page, a captive
 * portal, an event stream sent to a plain request) is a protocol error,
 * not a success without text. */
static void test_2xx_not_json_is_protocol_error(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *content_type;
        const char *body;
        const char *message;
    } cases[] = {
        {"text/html; charset=utf-8", "<!doctype html><html><body>Sign in</body></html>",
         "expected JSON, got text/html"},
        {"text/event-stream", "data: {\"choices\":[]}\n\ndata: [DONE]\n\n", "expected JSON, got text/event-stream"},
        {"text/plain", "OK", "expected JSON, got text/plain"},
        {"application/json", "<html>", "the server answered 2xx with a body that is not valid JSON"},
        {"application/json", "", "expected JSON, got an empty body"},
        {"text/plain", "42", "expected JSON, got text/plain"},
    };
    oai_client_set_max_retries(f->c, 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mock_reply r = {.status = 200, .body = cases[i].body, .content_type = cases[i].content_type};
        mock_server_push(f->ms, &r);
        oai_response *res = send_chat(f, "hi");
        assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
        assert_string_equal(oai_response_error_message(res), cases[i].message);
        assert_int_equal(oai_response_http_status(res), 200);
        assert_null(oai_response_text(res));
        assert_string_equal(oai_response_body(res), cases[i].body);
        oai_response_free(res);
    }
    /* JSON under another label is still JSON, as in the official SDKs. */
    mock_reply labelled = {.status = 200, .body = "{\"choices\":[{\"message\":{\"content\":\"ok\"}}]}",
                           .content_type = "text/plain"};
    mock_server_push(f->ms, &labelled);
    oai_response *res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "ok");
    oai_response_free(res);
    /* 204 carries no body. */
    mock_server_push_simple(f->ms, 204, NULL, "");
    oai_request *req = oai_request_new("DELETE", "/things/1");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
}

typedef struct byte_sink {
    char data[256];
    size_t len;
    int calls;
} byte_sink;

static int collect_bytes(void *ud, const char *data, size_t len)
{
    byte_sink *sink = ud;
    sink->calls++;
    if (sink->len + len <= sizeof sink->data) {
        memcpy(sink->data + sink->len, data, len);
        sink->len += len;
    }
    return 0;
}

/* Item 3: raw content is asked for, and then not parsed: a data callback
 * gets the bytes as they come, and the response keeps none. */
static void test_data_callback_gets_raw_body(void **state)
{
    fixture *f = *state;
    const char *page = "<html>not json, and that is fine</html>";
    mock_reply r = {.status = 200, .body = page, .content_type = "text/html"};
    mock_server_push(f->ms, &r);
    byte_sink sink = {0};
    oai_request *req = oai_request_new("GET", "/anything");
    assert_int_equal(oai_request_set_data_callback(req, collect_bytes, &sink), OAI_OK);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_body_len(res), 0);
    assert_int_equal(sink.len, strlen(page));
    assert_memory_equal(sink.data, page, sink.len);
    oai_response_free(res);
    /* An error body is kept and parsed as usual, not handed to the callback. */
    sink.len = 0;
    sink.calls = 0;
    mock_server_push_simple(f->ms, 404, NULL, "{\"error\":{\"message\":\"no such thing\"}}");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    assert_string_equal(oai_response_error_message(res), "no such thing");
    assert_int_equal(sink.calls, 0);
    oai_response_free(res);
    oai_request_free(req);
}

/* Item 10: 501 (and 505, 511) answer the same however often one asks. */
static void test_not_implemented_not_retried(void **state)
{
    fixture *f = *state;
    static const int statuses[] = {501, 505, 511};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        mock_server_reset(f->ms);
        mock_server_push_simple(f->ms, statuses[i], NULL, "{\"error\":{\"message\":\"not here\"}}");
        mock_server_push_simple(f->ms, 200, NULL, "{\"choices\":[]}");
        oai_response *res = send_chat(f, "hi");
        assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
        assert_int_equal(oai_response_http_status(res), statuses[i]);
        assert_int_equal(oai_response_retry_count(res), 0);
        assert_int_equal(mock_server_request_count(f->ms), 1);
        oai_response_free(res);
    }
    /* Other 5xx still are. */
    mock_server_reset(f->ms);
    mock_server_push_simple(f->ms, 502, NULL, "{}");
    oai_response *res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
}

/* Whether s is well-formed UTF-8. */
static int is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

/* Item 13: a text error body is cut at 200 bytes, but never inside a
 * UTF-8 character. */
static void test_text_error_cut_at_character(void **state)
{
    fixture *f = *state;
    char body[400];
    /* 199 ASCII bytes, then 3-byte characters: byte 200 is inside one. */
    memset(body, 'a', 199);
    size_t n = 199;
    while (n + 3 < sizeof body) {
        memcpy(body + n, "\xe6\x98\xa5", 3); /* 春 */
        n += 3;
    }
    body[n] = '\0';
    for (int shift = 0; shift < 3; shift++) {
        mock_reply r = {.status = 400, .body = body + shift, .content_type = "text/plain"};
        mock_server_push(f->ms, &r);
        oai_response *res = send_chat(f, "hi");
        assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
        const char *msg = oai_response_error_message(res);
        assert_true(is_utf8(msg));
        assert_non_null(strstr(msg, "aaaa"));
        oai_response_free(res);
    }
}

/* Item 14: Express and similar servers put the useful text in `message`
 * beside a short `error` string. */
static void test_express_error_bodies(void **state)
{
    fixture *f = *state;
    static const struct {
        int status;
        const char *body;
        const char *message;
        oai_status want;
    } cases[] = {
        {404, "{\"error\":\"Not Found\",\"message\":\"Cannot POST /v1/x\",\"status\":404}", "Cannot POST /v1/x",
         OAI_ERR_NOT_FOUND},
        {413, "{\"error\":\"PayloadTooLargeError\",\"message\":\"request entity too large\",\"status\":413}",
         "request entity too large", OAI_ERR_API},
        {400, "{\"error\":\"TypeError\",\"message\":\"Cannot read properties of undefined\"}",
         "Cannot read properties of undefined", OAI_ERR_BAD_REQUEST},
        {400, "{\"error\":\"only a short error\"}", "only a short error", OAI_ERR_BAD_REQUEST},
    };
    oai_client_set_max_retries(f->c, 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mock_server_push_simple(f->ms, cases[i].status, NULL, cases[i].body);
        oai_response *res = send_chat(f, "hi");
        assert_int_equal(oai_response_status(res), cases[i].want);
        assert_string_equal(oai_response_error_message(res), cases[i].message);
        oai_response_free(res);
    }
}

/* Item 16: freeing the client from the log callback during a send is a
 * cancel, wherever in the call the log line comes from. */
typedef struct freeing_log {
    oai_client *client;
    int countdown; /* free on this log line (1-based) */
    int lines;
} freeing_log;

static void free_client_on_log(void *ud, int level, const char *message)
{
    freeing_log *fl = ud;
    (void)level;
    (void)message;
    if (++fl->lines == fl->countdown)
        oai_client_free(fl->client);
}

static void test_free_client_from_log_callback(void **state)
{
    fixture *f = *state;
    /* How many lines one retried call logs. */
    freeing_log count = {NULL, 0, 0};
    oai_client_set_log_level(f->c, OAI_LOG_DEBUG);
    oai_client_set_log_callback2(f->c, free_client_on_log, &count);
    mock_server_push_simple(f->ms, 500, NULL, "{}");
    oai_response *res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_true(count.lines > 3);
    oai_client_free(f->c);
    f->c = NULL;

    for (int line = 1; line <= count.lines; line++) {
        oai_client *c = oai_client_new();
        oai_client_set_base_url(c, mock_server_url(f->ms));
        oai_client_set_api_key(c, TEST_KEY);
        oai_client_set_retry_backoff_ms(c, 1, 2);
        freeing_log fl = {c, line, 0};
        oai_client_set_log_level(c, OAI_LOG_DEBUG);
        oai_client_set_log_callback2(c, free_client_on_log, &fl);
        mock_server_push_simple(f->ms, 500, NULL, "{}");
        oai_request *req = oai_chat_completion_create_request_new("m");
        oai_chat_request_add_message(req, "user", "hi");
        res = oai_client_send(c, req);
        if (oai_response_status(res) != OAI_ERR_CANCELLED)
            fail_msg("freed on log line %d: %s (%s)", line, oai_status_name(oai_response_status(res)),
                     oai_response_error_message(res) ? oai_response_error_message(res) : "");
        oai_response_free(res);
        oai_request_free(req);
        mock_server_reset(f->ms);
    }
}

/* Item 18: asking again for the same field's JSON gives the same text
 * instead of keeping one more copy. */
static void test_get_json_cached_per_value(void **state)
{
    fixture *f = *state;
    oai_response *res = send_chat(f, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    const char *first = oai_response_get_json_text(res, "/choices/0/message");
    assert_non_null(first);
    const char *whole = oai_response_get_json_text(res, "");
    assert_non_null(whole);
    for (int i = 0; i < 100000; i++)
        assert_ptr_equal(oai_response_get_json_text(res, "/choices/0/message"), first);
    assert_ptr_equal(oai_response_get_json_text(res, ""), whole);
    assert_ptr_not_equal(first, whole);
    assert_non_null(strstr(first, "\"role\""));
    assert_non_null(strstr(whole, first));
    oai_response_free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chat_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_completion_and_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_embeddings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_body_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_429_500_200, setup, teardown),
        cmocka_unit_test_setup_teardown(test_should_retry_false, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_exhausted_and_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_mid_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_100_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_override_and_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redacted_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_response_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_poll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_cancel_during_retry_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_bodies_not_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_client_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reentry_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout_during_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_hide_url_credentials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_2xx_not_json_is_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_callback_gets_raw_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_implemented_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_error_cut_at_character, setup, teardown),
        cmocka_unit_test_setup_teardown(test_express_error_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_client_from_log_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_json_cached_per_value, setup, teardown),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
