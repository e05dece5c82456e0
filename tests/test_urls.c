/* Base URLs and request URLs through the real transport (issue 7, items 1,
 * 2 and 19): an invalid OPENAI_BASE_URL never falls back to OpenAI's
 * server, a base URL's query is kept and merged with each request's, and
 * what the debug log shows of URLs and headers holds no credential. */
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

typedef struct fixture {
    mock_server *ms;
} fixture;

static int setup(void **state)
{
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_LOG");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    setenv("OPENAI_API_KEY", "sk-url-test", 1);
    fixture *f = calloc(1, sizeof *f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mock_server_stop(f->ms);
    free(f);
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    return 0;
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

static oai_response *send_models(oai_client *c)
{
    oai_request *req = oai_model_list_request_new();
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    return res;
}

/* ---- item 1: an invalid OPENAI_BASE_URL ---------------------------------- */

typedef struct done_state {
    int calls;
    oai_status status;
    char message[256];
} done_state;

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    done_state *d = ud;
    d->calls++;
    oai_call_free(call);
    d->status = oai_response_status(res);
    snprintf(d->message, sizeof d->message, "%s",
             oai_response_error_message(res) ? oai_response_error_message(res) : "");
    oai_response_free(res);
}

/* The mock server stands in as an HTTP proxy: a client that fell back to
 * https://api.openai.com/v1 would connect to it (CONNECT), so "nothing is
 * sent anywhere" is observable without the internet. */
static void test_invalid_env_base_url_sends_nothing(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {
        "localhost:11434/v1", "ftp://example.com/v1", "http:///v1", "http://host/v1#frag", "http://a b/v1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("OPENAI_BASE_URL", bad[i], 1);
        oai_client *c = oai_client_new();
        assert_non_null(c);
        assert_int_equal(oai_client_status(c), OAI_ERR_INVALID_ARGUMENT);
        assert_non_null(strstr(oai_client_error_message(c), "OPENAI_BASE_URL"));
        assert_int_equal(oai_client_set_proxy(c, mock_server_url(f->ms)), OAI_OK);

        oai_response *res = send_models(c);
        assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
        assert_non_null(strstr(oai_response_error_message(res), "OPENAI_BASE_URL"));
        assert_null(strstr(oai_response_error_message(res), "sk-url-test"));
        assert_int_equal(oai_response_http_status(res), 0);
        oai_response_free(res);

        /* Asynchronously: the call ends with the same error in its callback. */
        done_state d = {0};
        oai_request *req = oai_model_list_request_new();
        oai_call *call = oai_client_start(c, req, on_done, &d);
        assert_non_null(call);
        for (int n = 0; n < 100 && d.calls == 0; n++)
            oai_client_poll(c, 10);
        assert_int_equal(d.calls, 1);
        assert_int_equal(d.status, OAI_ERR_INVALID_ARGUMENT);
        assert_non_null(strstr(d.message, "OPENAI_BASE_URL"));
        oai_request_free(req);
        oai_client_free(c);
    }
    assert_int_equal(mock_server_connection_count(f->ms), 0);
}

/* A valid base URL set afterwards clears the error; a blank variable still
 * means the default server. */
static void test_env_error_cleared_by_setter(void **state)
{
    fixture *f = *state;
    setenv("OPENAI_BASE_URL", "localhost:11434/v1", 1);
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_status(c), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(c, "also not a url"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_status(c), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(c, mock_server_url(f->ms)), OAI_OK);
    assert_int_equal(oai_client_status(c), OAI_OK);
    assert_null(oai_client_error_message(c));
    oai_response *res = send_models(c);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_client_free(c);

    setenv("OPENAI_BASE_URL", " \t", 1);
    c = oai_client_new();
    assert_int_equal(oai_client_status(c), OAI_OK);
    assert_string_equal(oai_client_base_url(c), "https://api.openai.com/v1");
    oai_client_free(c);
    assert_int_equal(oai_client_status(NULL), OAI_ERR_INVALID_ARGUMENT);
}

/* ---- item 2: a base URL's query ------------------------------------------ */

static void test_base_url_query_is_merged(void **state)
{
    fixture *f = *state;
    char base[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/openai/deployments/gpt4o/?api-version=2024-10-21",
             mock_server_port(f->ms));
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_set_base_url(c, base), OAI_OK);
    mock_server_push_simple(f->ms, 200, NULL, "{\"choices\":[{\"message\":{\"content\":\"ok\"}}]}");
    oai_request *req = oai_chat_completion_create_request_new("ignored");
    assert_int_equal(oai_chat_request_add_message(req, "user", "hi"), OAI_OK);
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    const mock_request *mr = mock_server_request(f->ms, 0);
    assert_string_equal(mr->path, "/openai/deployments/gpt4o/chat/completions");
    assert_string_equal(mr->query, "api-version=2024-10-21");

    /* The path's own query and the request's parameters follow the base's. */
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    req = oai_request_new("GET", "/files?purpose=batch");
    assert_int_equal(oai_request_set_query(req, "after", "file a&b"), OAI_OK);
    res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    mr = mock_server_request(f->ms, 1);
    assert_string_equal(mr->path, "/openai/deployments/gpt4o/files");
    assert_string_equal(mr->query, "api-version=2024-10-21&purpose=batch&after=file+a%26b");
    oai_client_free(c);
}

static void test_base_url_forms(void **state)
{
    (void)state;
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_set_base_url(c, "http://h/v1#x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(c, "http://h/v1?a=1#"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(c, "localhost:8080"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(c, "http://"), OAI_ERR_INVALID_ARGUMENT);
    /* curl's parser refuses an unescaped '@' in the password. */
    assert_int_equal(oai_client_set_base_url(c, "http://u:p@ss@h/v1"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_base_url(c, "HTTPS://Example.COM:8443/v1//"), OAI_OK);
    assert_string_equal(oai_client_base_url(c), "https://Example.COM:8443/v1");
    assert_int_equal(oai_client_set_base_url(c, "http://h:8080"), OAI_OK);
    assert_string_equal(oai_client_base_url(c), "http://h:8080/");
    assert_int_equal(oai_client_set_base_url(c, "http://h/o?api-version=1"), OAI_OK);
    assert_string_equal(oai_client_base_url(c), "http://h/o?api-version=1");
    oai_client_free(c);
}

/* ---- item 19: what logs show -------------------------------------------- */

static void test_logs_redact_passwords_headers_and_query_keys(void **state)
{
    fixture *f = *state;
    log_capture *cap = calloc(1, sizeof *cap);
    char base[256];
    /* A password holding '@' (percent-encoded, as curl requires), and a
     * key in the base URL's query. */
    snprintf(base, sizeof base, "http://user:pa%%40ss-TAIL@127.0.0.1:%d/v1?api-key=QUERY-SECRET&api-version=1",
             mock_server_port(f->ms));
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_set_base_url(c, base), OAI_OK);
    oai_client_set_log_level(c, OAI_LOG_DEBUG);
    oai_client_set_log_callback2(c, capture_log, cap);
    assert_int_equal(oai_client_set_header(c, "X-Api-Credential", "cred-SECRET"), OAI_OK);
    assert_int_equal(oai_client_set_header(c, "X-Session", "session-SECRET"), OAI_OK);
    assert_int_equal(oai_client_set_header(c, "OpenAI-Beta", "assistants=v2"), OAI_OK);
    oai_request *req = oai_model_list_request_new();
    assert_int_equal(oai_request_set_query(req, "sig", "SIG-SECRET"), OAI_OK);
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    /* The server did get them all. */
    const mock_request *mr = mock_server_request(f->ms, 0);
    assert_string_equal(mock_request_header(mr, "x-session"), "session-SECRET");
    assert_non_null(strstr(mr->query, "QUERY-SECRET"));

    assert_null(strstr(cap->text, "SECRET"));
    assert_null(strstr(cap->text, "TAIL"));
    assert_null(strstr(cap->text, "pa%40ss"));
    assert_null(strstr(cap->text, "sk-url-test"));
    assert_non_null(strstr(cap->text, "X-Api-Credential: [redacted]"));
    assert_non_null(strstr(cap->text, "X-Session: [redacted]"));
    assert_non_null(strstr(cap->text, "OpenAI-Beta: assistants=v2"));
    assert_non_null(strstr(cap->text, "api-key=[redacted]"));
    assert_non_null(strstr(cap->text, "api-version=1"));
    assert_non_null(strstr(cap->text, "sig=[redacted]"));
    oai_client_free(c);
    free(cap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_invalid_env_base_url_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_error_cleared_by_setter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_url_query_is_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_redact_passwords_headers_and_query_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
