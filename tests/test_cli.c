/*
 * The `oai` command-line tool, run as a child process against the scripted
 * mock server: what it prints, its exit status, and what the server received.
 *
 * The tool's path comes from OAI_CLI_PATH (tests/extra.cmake); without it
 * (the CLI is not built) every test is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "mock_server.h"
#include "recorded_json.h"

#include "child_process.h"

/* ------------------------------------------------------------------------ */
/* Fixtures and helpers for the CLI. */

#ifdef OAI_CLI_PATH
#define CLI_BUILT 1
#else
#define CLI_BUILT 0
#define OAI_CLI_PATH ""
#endif

#define TEST_KEY "sk-test"
#define MAX_ARGS 16

static int setup(void **state)
{
    mock_server *ms = mock_server_start();
    if (!ms)
        return -1;
    *state = ms;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    return 0;
}

/* Runs `oai ARGS...` (NULL-terminated) against @p base_url. */
static void run_cli_at(run_result *r, const char *base_url, const char *api_key,
                       const char *input, const char *first, va_list more)
{
    char *argv[MAX_ARGS + 2];
    size_t argc = 0;

    if (!CLI_BUILT)
        skip();
    argv[argc++] = (char *)OAI_CLI_PATH;
    for (const char *arg = first; arg; arg = va_arg(more, const char *)) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = (char *)arg;
    }
    argv[argc] = NULL;
    run_program(r, base_url, api_key, input, argv);
}

/* Runs `oai ARGS...` against the mock server with the test key. */
static void run_cli(run_result *r, mock_server *ms, const char *first, ...)
{
    va_list more;
    va_start(more, first);
    run_cli_at(r, mock_server_url(ms), TEST_KEY, NULL, first, more);
    va_end(more);
}

static const char *json_str(const json_t *obj, const char *path_key)
{
    return json_string_value(json_object_get(obj, path_key));
}

/* ------------------------------------------------------------------------ */
/* oai chat */

static void test_chat_prints_answer_and_sends_options(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body, *messages;

    run_cli(&r, ms, "chat", "-m", "test-model", "-s", "Answer briefly.", "-t", "0.5",
            "--max-tokens", "20", "Hello", "there", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: Hello there\n");
    assert_string_equal(r.err, "");

    assert_int_equal(mock_server_request_count(ms), 1);
    assert_string_equal(mock_server_request(ms, 0)->method, "POST");
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(mock_server_request(ms, 0), "Authorization"),
                        "Bearer " TEST_KEY);
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "test-model");
    assert_true(json_number_value(json_object_get(body, "temperature")) == 0.5);
    assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 20);
    assert_false(json_is_true(json_object_get(body, "stream")));
    messages = json_object_get(body, "messages");
    assert_int_equal(json_array_size(messages), 2);
    assert_string_equal(json_str(json_array_get(messages, 0), "role"), "developer");
    assert_string_equal(json_str(json_array_get(messages, 0), "content"), "Answer briefly.");
    assert_string_equal(json_str(json_array_get(messages, 1), "role"), "user");
    assert_string_equal(json_str(json_array_get(messages, 1), "content"), "Hello there");
    json_decref(body);
    run_result_free(&r);
}

static void test_chat_defaults(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;

    /* Without options the body holds the model and the message only. */
    run_cli(&r, ms, "chat", "写一首关于春天的诗", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "春");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "gpt-4o-mini");
    assert_null(json_object_get(body, "temperature"));
    assert_null(json_object_get(body, "max_tokens"));
    assert_int_equal(json_array_size(json_object_get(body, "messages")), 1);
    json_decref(body);
    run_result_free(&r);
}

/* "--" ends the options: what follows is the prompt, dashes and all. */
static void test_chat_double_dash(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;

    run_cli(&r, ms, "chat", "-mmodel-x", "--", "-v", "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: -v --help\n");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "model-x");
    json_decref(body);
    run_result_free(&r);
}

static void test_chat_stream(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;

    run_cli(&r, ms, "chat", "--stream", "Tell me a story about streams", "--model", "m1", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: Tell me a story about streams\n");
    assert_string_equal(r.err, "");
    body = request_json(ms, 0);
    assert_true(json_is_true(json_object_get(body, "stream")));
    assert_string_equal(json_str(body, "model"), "m1");
    json_decref(body);
    run_result_free(&r);
}

/* Deltas arrive in separate chunks and are printed as they come. */
static void test_chat_stream_scripted_chunks(void **state)
{
    static const char *const chunks[] = {
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},"
        "\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo, world\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    };
    mock_server *ms = *state;
    mock_reply reply = { 0 };
    run_result r;

    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.chunks = chunks;
    reply.chunk_count = sizeof chunks / sizeof chunks[0];
    reply.chunk_delay_ms = 20;
    mock_server_push(ms, &reply);
    run_cli(&r, ms, "chat", "--stream", "hi", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Hello, world\n");
    run_result_free(&r);
}

/* An error in the middle of a stream: what was printed stays, its line is
 * ended, and the error is reported with the API's message. */
static void test_chat_stream_error_event(void **state)
{
    static const char *const chunks[] = {
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial\"},\"finish_reason\":null}]}\n\n",
        "data: {\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\"}}\n\n",
    };
    mock_server *ms = *state;
    mock_reply reply = { 0 };
    run_result r;

    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.headers = "x-request-id: req_midstream\r\n";
    reply.chunks = chunks;
    reply.chunk_count = sizeof chunks / sizeof chunks[0];
    mock_server_push(ms, &reply);
    run_cli(&r, ms, "chat", "--stream", "hi", NULL);
    assert_int_equal(r.exit_code, 7);
    assert_string_equal(r.out, "Partial\n");
    assert_string_equal(r.err, "oai: OAI_ERR_API: The server is overloaded (request id req_midstream)\n");
    run_result_free(&r);
}

/* The connection breaks after the first delta: no retry (text was shown). */
static void test_chat_stream_cut_off(void **state)
{
    static const char *const chunks[] = {
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Half an ans\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"wer\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    };
    mock_server *ms = *state;
    mock_reply reply = { 0 };
    run_result r;

    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.chunks = chunks;
    reply.chunk_count = sizeof chunks / sizeof chunks[0];
    reply.fault = MOCK_FAULT_CLOSE_MID_BODY;
    reply.fault_after = 1;
    mock_server_push(ms, &reply);
    run_cli(&r, ms, "chat", "--stream", "hi", NULL);
    assert_int_equal(r.exit_code, 8);
    assert_string_equal(r.out, "Half an ans\n");
    assert_contains(r.err, "oai: OAI_ERR_CONNECTION: ");
    assert_int_equal(mock_server_request_count(ms), 1);
    run_result_free(&r);
}

static void test_chat_prompt_from_stdin(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;
    char *argv[] = { (char *)OAI_CLI_PATH, "chat", "-", NULL };

    if (!CLI_BUILT)
        skip();
    run_program(&r, mock_server_url(ms), TEST_KEY, "from standard input", argv);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: from standard input\n");
    body = request_json(ms, 0);
    assert_string_equal(json_str(json_array_get(json_object_get(body, "messages"), 0), "content"),
                        "from standard input");
    json_decref(body);
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* oai complete, models, api */

static void test_complete(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;

    run_cli(&r, ms, "complete", "-m", "gpt-3.5-turbo-instruct", "--max-tokens", "7", "-t", "0",
            "Say hi", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: Say hi\n");
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/completions");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "gpt-3.5-turbo-instruct");
    assert_string_equal(json_str(body, "prompt"), "Say hi");
    assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 7);
    assert_true(json_number_value(json_object_get(body, "temperature")) == 0.0);
    json_decref(body);
    run_result_free(&r);
}

static void test_complete_stream(void **state)
{
    mock_server *ms = *state;
    run_result r;

    run_cli(&r, ms, "complete", "--stream", "-m", "mock-model", "one two three four five", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: one two three four five\n");
    run_result_free(&r);
}

static void test_models_list(void **state)
{
    mock_server *ms = *state;
    run_result r;

    run_cli(&r, ms, "models", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "gpt-4o-mini\nmock-model\n");
    assert_string_equal(mock_server_request(ms, 0)->method, "GET");
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/models");
    run_result_free(&r);
}

static void test_models_retrieve(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *model;
    json_error_t error;

    run_cli(&r, ms, "models", "gpt-4o-mini", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/models/gpt-4o-mini");
    model = json_loads(r.out, 0, &error);
    assert_non_null(model);
    assert_string_equal(json_str(model, "id"), "gpt-4o-mini");
    assert_string_equal(json_str(model, "object"), "model");
    assert_int_equal(r.out[strlen(r.out) - 1], '\n');
    json_decref(model);
    run_result_free(&r);
}

static void test_models_retrieve_unknown_is_not_found(void **state)
{
    mock_server *ms = *state;
    run_result r;

    run_cli(&r, ms, "models", "no-such-model", NULL);
    assert_int_equal(r.exit_code, 4);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: OAI_ERR_NOT_FOUND: The model 'no-such-model' does not exist");
    run_result_free(&r);
}

static void test_api_get_models(void **state)
{
    static const char list[] = "{\"object\":\"list\",\"data\":[{\"id\":\"only\",\"object\":\"model\"}]}";
    mock_server *ms = *state;
    run_result r;

    mock_server_push_simple(ms, 200, NULL, list);
    run_cli(&r, ms, "api", "GET", "/models", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"object\":\"list\",\"data\":[{\"id\":\"only\",\"object\":\"model\"}]}\n");
    assert_string_equal(mock_server_request(ms, 0)->method, "GET");
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/models");
    run_result_free(&r);
}

static void test_api_post_with_query_and_body(void **state)
{
    mock_server *ms = *state;
    const mock_request *req;
    run_result r;
    json_t *body;

    mock_server_push_simple(ms, 200, NULL, "{\"ok\":true}");
    run_cli(&r, ms, "api", "post", "/embeddings?note=a%20b&limit=2",
            "{\"model\":\"m\",\"input\":\"hi\"}", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"ok\":true}\n");
    req = mock_server_request(ms, 0);
    assert_string_equal(req->method, "POST");
    assert_string_equal(req->path, "/v1/embeddings");
    assert_contains(req->query, "limit=2");
    assert_contains(req->query, "note=a");
    assert_not_contains(req->query, "%25"); /* decoded once, encoded once */
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "m");
    assert_string_equal(json_str(body, "input"), "hi");
    json_decref(body);
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Help, usage errors, global options */

static void expect_help(mock_server *ms, const char *expected, const char *first, ...)
{
    va_list more;
    run_result r;

    va_start(more, first);
    run_cli_at(&r, mock_server_url(ms), TEST_KEY, NULL, first, more);
    va_end(more);
    if (r.exit_code != 0)
        fail_msg("exit %d for help; stderr:\n%s", r.exit_code, r.err);
    assert_contains(r.out, expected);
    assert_string_equal(r.err, "");
    run_result_free(&r);
}

static void test_help_at_every_level(void **state)
{
    mock_server *ms = *state;

    expect_help(ms, "Usage: oai [--base-url URL]", "--help", NULL);
    expect_help(ms, "Exit status", "-h", NULL);
    expect_help(ms, "Usage: oai chat", "chat", "--help", NULL);
    expect_help(ms, "Usage: oai chat", "chat", "-h", NULL);
    expect_help(ms, "Usage: oai complete", "complete", "--help", NULL);
    expect_help(ms, "Usage: oai models", "models", "-h", NULL);
    expect_help(ms, "Usage: oai api", "api", "--help", NULL);
    expect_help(ms, "Usage: oai chat", "help", "chat", NULL);
    expect_help(ms, "Usage: oai [--base-url URL]", "help", NULL);
    expect_help(ms, "oai 0.", "--version", NULL);
    assert_int_equal(mock_server_request_count(ms), 0);
}

static void expect_usage_error(mock_server *ms, const char *first, ...)
{
    va_list more;
    run_result r;

    va_start(more, first);
    run_cli_at(&r, mock_server_url(ms), TEST_KEY, NULL, first, more);
    va_end(more);
    if (r.exit_code != 2)
        fail_msg("exit %d for a usage error (%s ...); stderr:\n%s", r.exit_code,
                 first ? first : "", r.err);
    assert_contains(r.err, "Usage: oai");
    assert_string_equal(r.out, "");
    run_result_free(&r);
}

static void test_usage_errors(void **state)
{
    mock_server *ms = *state;

    expect_usage_error(ms, NULL);
    expect_usage_error(ms, "frobnicate", NULL);
    expect_usage_error(ms, "--no-such-option", "chat", "hi", NULL);
    expect_usage_error(ms, "--base-url", NULL);
    expect_usage_error(ms, "chat", NULL);
    expect_usage_error(ms, "chat", "--frob", "hi", NULL);
    expect_usage_error(ms, "chat", "-t", "warm", "hi", NULL);
    expect_usage_error(ms, "chat", "--max-tokens", "0", "hi", NULL);
    expect_usage_error(ms, "chat", "--stream=yes", "hi", NULL);
    expect_usage_error(ms, "chat", "hi", "-m", NULL);
    expect_usage_error(ms, "complete", "no model given", NULL);
    expect_usage_error(ms, "models", "a", "b", NULL);
    expect_usage_error(ms, "api", "GET", NULL);
    expect_usage_error(ms, "api", "GET", "models", NULL);
    expect_usage_error(ms, "api", "POST", "/chat/completions", "{not json", NULL);
    expect_usage_error(ms, "help", "frobnicate", NULL);
    expect_usage_error(ms, "--base-url", "ftp://example.com", "models", NULL);
    assert_int_equal(mock_server_request_count(ms), 0);
}

static void test_base_url_option_overrides_environment(void **state)
{
    mock_server *ms = *state;
    char unused[64];
    run_result r;
    char *argv[] = { (char *)OAI_CLI_PATH, "--base-url", NULL, "models", NULL };

    if (!CLI_BUILT)
        skip();
    argv[2] = (char *)mock_server_url(ms);
    snprintf(unused, sizeof unused, "http://127.0.0.1:%d/v1", mock_unused_port());
    run_program(&r, unused, TEST_KEY, NULL, argv);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "gpt-4o-mini\nmock-model\n");
    assert_int_equal(mock_server_request_count(ms), 1);
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Errors and exit statuses */

static void test_authentication_error(void **state)
{
    mock_server *ms = *state;
    run_result r;

    mock_server_push_simple(ms, 401, "x-request-id: req_401abc\r\n",
                            "{\"error\":{\"message\":\"Incorrect API key provided: sk-te****. "
                            "You can find your API key at https://platform.openai.com.\","
                            "\"type\":\"invalid_request_error\",\"param\":null,"
                            "\"code\":\"invalid_api_key\"}}");
    run_cli(&r, ms, "chat", "hello", NULL);
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: OAI_ERR_AUTHENTICATION: Incorrect API key provided: sk-te****.");
    assert_contains(r.err, " (request id req_401abc)");
    assert_int_equal(mock_server_request_count(ms), 1); /* 401 is not retried */
    run_result_free(&r);
}

/* Each HTTP error class has its exit status. */
static void test_exit_status_per_error_class(void **state)
{
    static const struct {
        int http_status;
        int exit_code;
        const char *status_name;
    } cases[] = {
        { 400, 5, "OAI_ERR_BAD_REQUEST" },     { 403, 3, "OAI_ERR_PERMISSION_DENIED" },
        { 404, 4, "OAI_ERR_NOT_FOUND" },       { 409, 5, "OAI_ERR_CONFLICT" },
        { 422, 5, "OAI_ERR_UNPROCESSABLE" },   { 429, 6, "OAI_ERR_RATE_LIMIT" },
        { 500, 7, "OAI_ERR_SERVER" },          { 503, 7, "OAI_ERR_SERVER" },
        { 418, 7, "OAI_ERR_API" },
    };
    mock_server *ms = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_result r;
        char body[128], expected[128];

        snprintf(body, sizeof body, "{\"error\":{\"message\":\"scripted %d\",\"type\":\"x\"}}",
                 cases[i].http_status);
        snprintf(expected, sizeof expected, "oai: %s: scripted %d (request id req_class)\n",
                 cases[i].status_name, cases[i].http_status);
        /* x-should-retry: false keeps 409, 429 and 5xx from being retried. */
        mock_server_push_simple(ms, cases[i].http_status,
                                "x-should-retry: false\r\nx-request-id: req_class\r\n", body);
        run_cli(&r, ms, "api", "GET", "/anything", NULL);
        if (r.exit_code != cases[i].exit_code)
            fail_msg("HTTP %d: exit %d, expected %d; stderr: %s", cases[i].http_status,
                     r.exit_code, cases[i].exit_code, r.err);
        assert_string_equal(r.err, expected);
        assert_string_equal(r.out, "");
        run_result_free(&r);
    }
    assert_int_equal(mock_server_request_count(ms), sizeof cases / sizeof cases[0]);
}

static void test_connection_refused(void **state)
{
    char url[64];
    run_result r;
    char *argv[] = { (char *)OAI_CLI_PATH, "chat", "hello", NULL };

    (void)state;
    if (!CLI_BUILT)
        skip();
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", mock_unused_port());
    run_program(&r, url, TEST_KEY, NULL, argv);
    assert_int_equal(r.exit_code, 8);
    assert_contains(r.err, "oai: OAI_ERR_CONNECTION: ");
    assert_string_equal(r.out, "");
    run_result_free(&r);
}

static void test_malformed_response_is_protocol_error(void **state)
{
    mock_server *ms = *state;
    run_result r;

    mock_server_push_simple(ms, 200, NULL, "this is not JSON");
    run_cli(&r, ms, "chat", "hello", NULL);
    assert_int_equal(r.exit_code, 9);
    assert_contains(r.err, "oai: OAI_ERR_PROTOCOL: ");
    run_result_free(&r);
}

/* The key given with --api-key (or from the environment) is sent, and never
 * printed, even with -v and even when the call fails. */
static void test_api_key_is_never_printed(void **state)
{
    static const char key[] = "sk-secret-cli-key-0123456789";
    static const char env_key[] = "sk-secret-env-key-9876543210";
    mock_server *ms = *state;
    run_result r;
    char *argv[] = { (char *)OAI_CLI_PATH, "--api-key", (char *)key, "-v", "chat", "hello", NULL };
    char *argv_env[] = { (char *)OAI_CLI_PATH, "-v", "chat", "hello", NULL };
    char *argv_typo[] = { (char *)OAI_CLI_PATH, "--api-kye=sk-secret-typo", "chat", "hi", NULL };

    if (!CLI_BUILT)
        skip();
    run_program(&r, mock_server_url(ms), env_key, NULL, argv);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(mock_request_header(mock_server_request(ms, 0), "Authorization"),
                        "Bearer sk-secret-cli-key-0123456789");
    assert_not_contains(r.out, "secret");
    assert_not_contains(r.err, "secret");
    assert_true(strlen(r.err) > 0); /* -v logged something */
    run_result_free(&r);

    mock_server_push_simple(ms, 401, "x-request-id: req_key\r\n",
                            "{\"error\":{\"message\":\"Incorrect API key provided.\"}}");
    run_program(&r, mock_server_url(ms), env_key, NULL, argv);
    assert_int_equal(r.exit_code, 3);
    assert_not_contains(r.out, "secret");
    assert_not_contains(r.err, "secret");
    run_result_free(&r);

    run_program(&r, mock_server_url(ms), env_key, NULL, argv_env);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(mock_request_header(mock_server_request(ms, 2), "Authorization"),
                        "Bearer sk-secret-env-key-9876543210");
    assert_not_contains(r.err, "secret");
    run_result_free(&r);

    /* A mistyped option does not echo the value given with it. */
    run_program(&r, mock_server_url(ms), env_key, NULL, argv_typo);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "--api-kye");
    assert_not_contains(r.err, "secret");
    run_result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chat_prints_answer_and_sends_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_double_dash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_stream_scripted_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_stream_error_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_stream_cut_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_prompt_from_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_retrieve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_retrieve_unknown_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_get_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_post_with_query_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_url_option_overrides_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_status_per_error_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_response_is_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_key_is_never_printed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
