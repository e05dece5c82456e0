/*
 * The `oai` command-line tool, run as a child process against the scripted
 * mock server: what it prints, its exit status, and what the server received.
 *
 * The tool's path comes from OAI_CLI_PATH (tests/extra.cmake); without it
 * (the CLI is not built) every test is skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* Runs `oai ARGS...` with OPENAI_BASE_URL and OPENAI_API_KEY as given
 * (NULL: unset). */
static void run_cli_env(run_result *r, const char *base_url, const char *api_key,
                        const char *first, ...)
{
    va_list more;
    va_start(more, first);
    run_cli_at(r, base_url, api_key, NULL, first, more);
    va_end(more);
}

/* "http://127.0.0.1:PORT/v1" for a port nothing listens on. */
static const char *unused_url(void)
{
    static char url[64];

    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", mock_unused_port());
    return url;
}

/* Sends https traffic through the mock server as a proxy, so that a request
 * the tool must not make (to https://api.openai.com) shows up there as a
 * connection instead of leaving the machine. */
static void proxy_https_through(mock_server *ms)
{
    char url[64];

    snprintf(url, sizeof url, "http://127.0.0.1:%d", mock_server_port(ms));
    setenv("https_proxy", url, 1);
    setenv("HTTPS_PROXY", url, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
}

static void proxy_off(void)
{
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
}

/* Fails with the child's output unless it exited with @p code. */
#define assert_exit(r, code)                                                   \
    do {                                                                       \
        if ((r).exit_code != (code))                                           \
            fail_msg("exit %d, expected %d; stdout:\n%s\nstderr:\n%s",         \
                     (r).exit_code, (code), (r).out, (r).err);                 \
    } while (0)

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
/* What counts as an answer */

/* Scripts a chat completion whose first choice has @p message (a JSON
 * object) and @p finish as its finish reason. */
static void push_chat_answer(mock_server *ms, const char *message, const char *finish)
{
    char body[1024];

    snprintf(body, sizeof body,
             "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
             "\"choices\":[{\"index\":0,\"message\":%s,\"finish_reason\":\"%s\"}]}",
             message, finish);
    mock_server_push_simple(ms, 200, NULL, body);
}

#define MAX_CHUNKS 8

/* Scripts a streamed chat answer: one chunk per delta (a JSON object), one
 * with @p finish as the finish reason, then [DONE]. */
static void push_chat_stream(mock_server *ms, const char *const *deltas, size_t count,
                             const char *finish)
{
    static const char head[] = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                               "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":";
    char chunks[MAX_CHUNKS][512];
    const char *list[MAX_CHUNKS];
    mock_reply reply = { 0 };
    size_t i;

    assert_true(count + 2 <= MAX_CHUNKS);
    for (i = 0; i < count; i++)
        snprintf(chunks[i], sizeof chunks[i], "%s%s,\"finish_reason\":null}]}\n\n", head, deltas[i]);
    snprintf(chunks[i++], sizeof chunks[0], "%s{},\"finish_reason\":\"%s\"}]}\n\n", head, finish);
    snprintf(chunks[i++], sizeof chunks[0], "data: [DONE]\n\n");
    for (size_t j = 0; j < i; j++)
        list[j] = chunks[j];
    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.chunks = list;
    reply.chunk_count = i;
    mock_server_push(ms, &reply);
}

/* A refusal is the model's answer: printed in place of the text, exit 0,
 * streamed or not. */
static void test_chat_refusal_is_an_answer(void **state)
{
    static const char *const deltas[] = {
        "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't \"}",
        "{\"refusal\":\"help with that.\"}",
    };
    mock_server *ms = *state;
    run_result r;

    push_chat_answer(ms, "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't help with that.\"}",
                     "stop");
    run_cli(&r, ms, "chat", "hi", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "I can't help with that.\n");
    assert_string_equal(r.err, "");
    run_result_free(&r);

    push_chat_stream(ms, deltas, 2, "stop");
    run_cli(&r, ms, "chat", "--stream", "hi", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "I can't help with that.\n");
    assert_string_equal(r.err, "");
    run_result_free(&r);
}

/* Tool calls are an answer too: one line each. */
static void test_chat_tool_calls_are_an_answer(void **state)
{
    mock_server *ms = *state;
    run_result r;

    push_chat_answer(ms, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
                         "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                         "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}",
                     "tool_calls");
    run_cli(&r, ms, "chat", "weather?", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "[tool call] get_weather {\"city\":\"Paris\"}\n");
    assert_string_equal(r.err, "");
    run_result_free(&r);
}

/* No text, refusal or tool call: nothing on stdout, a reason on stderr,
 * exit 11 (chat and complete, streamed or not). */
static void test_empty_answer_exits_11(void **state)
{
    mock_server *ms = *state;
    run_result r;

    push_chat_answer(ms, "{\"role\":\"assistant\",\"content\":\"\"}", "length");
    run_cli(&r, ms, "chat", "hi", NULL);
    assert_exit(r, 11);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "oai: no answer: the response holds no text (finish reason: length)\n");
    run_result_free(&r);

    push_chat_stream(ms, NULL, 0, "length");
    run_cli(&r, ms, "chat", "--stream", "hi", NULL);
    assert_exit(r, 11);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: no answer: ");
    run_result_free(&r);

    mock_server_push_simple(ms, 200, NULL,
                            "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\","
                            "\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"stop\"}]}");
    run_cli(&r, ms, "complete", "-m", "m", "hi", NULL);
    assert_exit(r, 11);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: no answer: the response holds no text");
    run_result_free(&r);
}

/* A reasoning model that ran out of tokens before answering: its reasoning
 * goes to stderr, marked, and the exit status says there is no answer. */
static void test_reasoning_only_answer(void **state)
{
    static const char *const deltas[] = {
        "{\"role\":\"assistant\",\"reasoning_content\":\"Let me think \"}",
        "{\"reasoning_content\":\"about it.\"}",
    };
    static const char expected_err[] =
        "[reasoning]\nLet me think about it.\n"
        "oai: no answer: the response holds no text, only reasoning (finish reason: length)\n";
    mock_server *ms = *state;
    run_result r;

    push_chat_answer(ms, "{\"role\":\"assistant\",\"content\":\"\","
                         "\"reasoning_content\":\"Let me think about it.\"}",
                     "length");
    run_cli(&r, ms, "chat", "hi", NULL);
    assert_exit(r, 11);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, expected_err);
    run_result_free(&r);

    push_chat_stream(ms, deltas, 2, "length");
    run_cli(&r, ms, "chat", "--stream", "hi", NULL);
    assert_exit(r, 11);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, expected_err);
    run_result_free(&r);
}

/* A 2xx answer that is not JSON (a web page, a stream the request did not
 * ask for) is a protocol error, exit 9, not an empty answer. */
static void test_non_json_answer_is_protocol_error(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = { 0 };
    run_result r;

    reply.status = 200;
    reply.content_type = "text/html; charset=utf-8";
    reply.body = "<!doctype html><html><body>Please log in</body></html>";
    mock_server_push(ms, &reply);
    run_cli(&r, ms, "chat", "hi", NULL);
    assert_exit(r, 9);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: OAI_ERR_PROTOCOL: expected JSON, got text/html");
    run_result_free(&r);

    reply.content_type = "text/event-stream";
    reply.body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n";
    mock_server_push(ms, &reply);
    run_cli(&r, ms, "complete", "-m", "m", "hi", NULL);
    assert_exit(r, 9);
    assert_contains(r.err, "oai: OAI_ERR_PROTOCOL: expected JSON, got text/event-stream");
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

/* -H headers reach the server; -i prints the status line and headers
 * before the body. */
static void test_api_headers_and_include(void **state)
{
    mock_server *ms = *state;
    const mock_request *req;
    run_result r;

    mock_server_push_simple(ms, 201, "X-Custom: yes\r\n", "{\"ok\":true}");
    run_cli(&r, ms, "api", "-H", "X-Trace: abc 123", "--header=OpenAI-Beta:assistants=v2", "-i",
            "GET", "/things", NULL);
    assert_exit(r, 0);
    req = mock_server_request(ms, 0);
    assert_string_equal(mock_request_header(req, "X-Trace"), "abc 123");
    assert_string_equal(mock_request_header(req, "OpenAI-Beta"), "assistants=v2");
    assert_true(strncmp(r.out, "HTTP 201 Created\n", 17) == 0);
    assert_contains(r.out, "\nX-Custom: yes\n");
    assert_contains(r.out, "\n\n{\"ok\":true}\n"); /* a blank line, then the body */
    assert_string_equal(r.err, "");
    run_result_free(&r);

    /* Without -i, the body only. */
    mock_server_push_simple(ms, 200, "X-Custom: yes\r\n", "{\"ok\":true}");
    run_cli(&r, ms, "api", "GET", "/things", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "{\"ok\":true}\n");
    run_result_free(&r);

    /* A header without "NAME:" is a usage error; nothing is sent. */
    run_cli(&r, ms, "api", "-H", "no colon here", "GET", "/things", NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "-H needs 'NAME: VALUE'");
    run_result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 2);
}

/* --input FILE is the body; a file that cannot be read is named, with the
 * reason. */
static void test_api_input_file(void **state)
{
    static const char body_text[] = "{\"model\":\"m\",\"input\":\"from a file\"}";
    mock_server *ms = *state;
    char path[] = "/tmp/oai-cli-input-XXXXXX";
    char missing[64], expected[256];
    json_t *body;
    run_result r;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, body_text, strlen(body_text)), (ssize_t)strlen(body_text));
    close(fd);
    mock_server_push_simple(ms, 200, NULL, "{\"ok\":true}");
    run_cli(&r, ms, "api", "POST", "/embeddings", "--input", path, NULL);
    assert_exit(r, 0);
    assert_string_equal(mock_server_request(ms, 0)->method, "POST");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "input"), "from a file");
    json_decref(body);
    run_result_free(&r);

    snprintf(missing, sizeof missing, "%s.missing", path);
    snprintf(expected, sizeof expected, "oai: OAI_ERR_IO: cannot read '%s': %s\n", missing,
             strerror(ENOENT));
    run_cli(&r, ms, "api", "POST", "/embeddings", "--input", missing, NULL);
    assert_exit(r, 10);
    assert_string_equal(r.err, expected);
    run_result_free(&r);
    unlink(path);
    assert_int_equal(mock_server_request_count(ms), 1);
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
    assert_int_equal(mock_server_request_count(ms), 0);
}

/* An unknown command gets one line, a suggestion within two edits (or
 * for a prefix) and where to look; not the whole usage. Exit 2. */
static void expect_unknown_command(mock_server *ms, const char *expected_err, const char *first, ...)
{
    va_list more;
    run_result r;

    va_start(more, first);
    run_cli_at(&r, mock_server_url(ms), TEST_KEY, NULL, first, more);
    va_end(more);
    assert_exit(r, 2);
    assert_string_equal(r.err, expected_err);
    assert_string_equal(r.out, "");
    run_result_free(&r);
}

static void test_unknown_command(void **state)
{
    mock_server *ms = *state;

    expect_unknown_command(ms,
                           "oai: unknown command 'chta'\n"
                           "Did you mean 'chat'?\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "chta", "hello", NULL);
    expect_unknown_command(ms,
                           "oai: unknown command 'modles'\n"
                           "Did you mean 'models'?\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "modles", NULL);
    expect_unknown_command(ms, /* two edits away */
                           "oai: unknown command 'compelte'\n"
                           "Did you mean 'complete'?\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "compelte", NULL);
    expect_unknown_command(ms, /* two edits from one, a prefix of the other */
                           "oai: unknown command 'fine'\n"
                           "Did you mean 'files' or 'fine-tune'?\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "fine", NULL);
    expect_unknown_command(ms, /* a prefix only */
                           "oai: unknown command 'fine-t'\n"
                           "Did you mean 'fine-tune'?\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "fine-t", NULL);
    expect_unknown_command(ms, /* three edits: no suggestion */
                           "oai: unknown command 'chatxyz'\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "chatxyz", NULL);
    expect_unknown_command(ms,
                           "oai: unknown command 'frobnicate'\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "frobnicate", NULL);
    expect_unknown_command(ms,
                           "oai: unknown command 'chta'\n"
                           "Did you mean 'chat'?\n"
                           "Run 'oai --help' for the list of commands.\n",
                           "help", "chta", NULL);
    expect_unknown_command(ms,
                           "oai files: unknown command 'uplod'\n"
                           "Did you mean 'upload'?\n"
                           "Run 'oai files --help' for the list of commands.\n",
                           "files", "uplod", "x.jsonl", NULL);
    assert_int_equal(mock_server_request_count(ms), 0);
}

/* Global options are accepted after the command too, as in gh and git. */
static void test_global_options_after_command(void **state)
{
    mock_server *ms = *state;
    char glued[128];
    run_result r;

    /* The environment points nowhere: only --base-url reaches the server. */
    run_cli_env(&r, unused_url(), TEST_KEY, "chat", "--base-url", mock_server_url(ms), "hi", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "Echo: hi\n");
    assert_int_equal(mock_server_request_count(ms), 1);
    run_result_free(&r);

    run_cli_env(&r, unused_url(), TEST_KEY, "models", "-v", "--api-key=sk-late-key",
                "--base-url", mock_server_url(ms), NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "gpt-4o-mini\nmock-model\n");
    assert_string_equal(mock_request_header(mock_server_request(ms, 1), "Authorization"),
                        "Bearer sk-late-key");
    assert_true(strlen(r.err) > 0); /* -v logged the attempt */
    assert_not_contains(r.err, "sk-late-key");
    run_result_free(&r);

    /* In a group: before and after the sub-command. */
    run_cli_env(&r, unused_url(), TEST_KEY, "files", "--base-url", mock_server_url(ms), "list", NULL);
    assert_exit(r, 0);
    run_result_free(&r);
    snprintf(glued, sizeof glued, "--base-url=%s", mock_server_url(ms));
    run_cli_env(&r, unused_url(), TEST_KEY, "files", "list", "--json", glued, NULL);
    assert_exit(r, 0);
    run_result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 4);
}

/* A 404 from a base URL whose path does not end in /v1 asks whether it
 * should; not when it does, nor for a full URL given to `oai api`. */
static void test_not_found_asks_about_v1(void **state)
{
    static const char hint[] = " (does the base URL need /v1?)";
    mock_server *ms = *state;
    char root[64], full[128];
    run_result r;

    snprintf(root, sizeof root, "http://127.0.0.1:%d", mock_server_port(ms));
    run_cli_env(&r, root, TEST_KEY, "models", NULL);
    assert_exit(r, 4);
    assert_string_equal(mock_server_request(ms, 0)->path, "/models");
    assert_contains(r.err, "oai: OAI_ERR_NOT_FOUND: ");
    assert_contains(r.err, hint);
    assert_int_equal(r.err[strlen(r.err) - 1], '\n');
    run_result_free(&r);

    run_cli(&r, ms, "models", "no-such-model", NULL);
    assert_exit(r, 4);
    assert_not_contains(r.err, hint);
    run_result_free(&r);

    snprintf(full, sizeof full, "%s/v1/nothing-here", root);
    run_cli_env(&r, root, TEST_KEY, "api", "GET", full, NULL);
    assert_exit(r, 4);
    assert_not_contains(r.err, hint);
    run_result_free(&r);
}

/* Without a key, OpenAI's own API cannot answer: the tool says so and
 * sends nothing (the official SDKs do the same). A local server needs no
 * key. */
static void test_no_api_key_for_openai(void **state)
{
    mock_server *ms = *state;
    run_result r;

    proxy_https_through(ms);
    run_cli_env(&r, NULL, NULL, "chat", "hi", NULL);
    proxy_off();
    assert_exit(r, 3);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: no API key: set the OPENAI_API_KEY environment variable or pass --api-key");
    assert_int_equal(mock_server_connection_count(ms), 0);

    run_result_free(&r);
    run_cli_env(&r, mock_server_url(ms), NULL, "chat", "hi", NULL);
    assert_exit(r, 0);
    assert_null(mock_request_header(mock_server_request(ms, 0), "Authorization"));
    run_result_free(&r);
}

/* A copy of @p text with the first @p from replaced by @p to (free()). */
static char *replace_first(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    char *out;

    assert_non_null(at);
    out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
    assert_non_null(out);
    sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

/* An invalid OPENAI_BASE_URL is the same usage error as an invalid
 * --base-url (exit 2, the same message but for where the URL came from),
 * and nothing is sent anywhere: not to OpenAI instead. */
static void test_invalid_base_url_from_environment(void **state)
{
    static const char key[] = "sk-secret-env-key";
    mock_server *ms = *state;
    run_result from_env, from_option;
    char *same;

    proxy_https_through(ms);
    run_cli_env(&from_env, "localhost:11434/v1", key, "chat", "hi", NULL);
    run_cli_env(&from_option, NULL, key, "--base-url", "localhost:11434/v1", "chat", "hi", NULL);
    proxy_off();
    assert_exit(from_env, 2);
    assert_exit(from_option, 2);
    assert_contains(from_env.err, "oai: invalid base URL 'localhost:11434/v1' from OPENAI_BASE_URL");
    same = replace_first(from_env.err, "OPENAI_BASE_URL", "--base-url");
    assert_string_equal(same, from_option.err);
    assert_int_equal(strchr(from_env.err, '\n') - from_env.err + 1, strlen(from_env.err)); /* one line */
    assert_not_contains(from_env.err, key);
    assert_string_equal(from_env.out, "");
    assert_int_equal(mock_server_connection_count(ms), 0);
    free(same);
    run_result_free(&from_env);
    run_result_free(&from_option);

    /* Any scheme but http(s) is refused too. */
    run_cli_env(&from_option, NULL, key, "--base-url", "ftp://example.com", "models", NULL);
    assert_exit(from_option, 2);
    assert_string_equal(from_option.err, "oai: invalid base URL 'ftp://example.com' from --base-url: "
                                         "an absolute http:// or https:// URL with a host (and no "
                                         "#fragment) is needed\n");
    run_result_free(&from_option);

    /* A password or a key in the URL is not shown. */
    run_cli_env(&from_env, "http://user:hunter2@localhost:11434/v1?api-key=sk-in-query#part", key,
                "models", NULL);
    assert_exit(from_env, 2);
    assert_contains(from_env.err, "'http://user:***@localhost:11434/v1?api-key=***#part' "
                                  "from OPENAI_BASE_URL");
    assert_not_contains(from_env.err, "hunter2");
    assert_not_contains(from_env.err, "sk-in-query");
    run_result_free(&from_env);

    /* A valid --base-url stands in for it. */
    run_cli_env(&from_env, "localhost:11434/v1", key, "--base-url", mock_server_url(ms), "models", NULL);
    assert_exit(from_env, 0);
    run_result_free(&from_env);
    assert_int_equal(mock_server_request_count(ms), 1);
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

/* Azure OpenAI (docs/azure.md): the flags, and the official client's
 * variables (OPENAI_API_TYPE and OPENAI_API_VERSION through env(1), since
 * run_program() drops OPENAI_*). OPENAI_API_KEY is never sent to Azure. */
static void test_azure_flags_and_environment(void **state)
{
    mock_server *ms = *state;
    char endpoint[64];
    run_result r;
    const mock_request *q;
    char *flags[] = { (char *)OAI_CLI_PATH, "--azure-endpoint", endpoint, "--api-version", "2024-10-21",
                      "--api-key", "az-key", "chat", "-m", "dep-1", "hi", NULL };
    char *env_v1[] = { "/usr/bin/env", "OPENAI_API_TYPE=azure", "OPENAI_API_VERSION=v1", (char *)OAI_CLI_PATH,
                       "chat", "-m", "gpt-4o", "hi", NULL };
    char *late[] = { "/usr/bin/env", "OPENAI_API_VERSION=2024-10-21", (char *)OAI_CLI_PATH, "embeddings",
                     "--azure-deployment", "emb", "hello", NULL };
    char *no_key[] = { (char *)OAI_CLI_PATH, "--azure", "--api-version", "v1", "models", NULL };

    if (!CLI_BUILT)
        skip();
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", mock_server_port(ms));
    run_program(&r, NULL, TEST_KEY, NULL, flags);
    assert_exit(r, 0);
    assert_string_equal(r.out, "Echo: hi\n");
    run_result_free(&r);
    q = mock_server_request(ms, 0);
    assert_string_equal(q->path, "/openai/deployments/dep-1/chat/completions");
    assert_string_equal(q->query, "api-version=2024-10-21");
    assert_string_equal(mock_request_header(q, "api-key"), "az-key");
    assert_null(mock_request_header(q, "authorization"));

    setenv("AZURE_OPENAI_ENDPOINT", endpoint, 1);
    setenv("AZURE_OPENAI_API_KEY", "az-env-key", 1);
    run_program(&r, NULL, TEST_KEY, NULL, env_v1);
    assert_exit(r, 0);
    run_result_free(&r);
    q = mock_server_request(ms, 1);
    assert_string_equal(q->path, "/openai/v1/chat/completions");
    assert_string_equal(q->query, "");
    assert_string_equal(mock_request_header(q, "api-key"), "az-env-key");
    assert_null(mock_request_header(q, "authorization"));

    run_program(&r, NULL, NULL, NULL, late);
    assert_exit(r, 0);
    run_result_free(&r);
    q = mock_server_request(ms, 2);
    assert_string_equal(q->path, "/openai/deployments/emb/embeddings");

    unsetenv("AZURE_OPENAI_API_KEY");
    run_program(&r, NULL, TEST_KEY, NULL, no_key);
    unsetenv("AZURE_OPENAI_ENDPOINT");
    assert_exit(r, 10);
    assert_contains(r.err, "AZURE_OPENAI_API_KEY");
    assert_not_contains(r.err, TEST_KEY);
    run_result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 3);
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
        /* `oai api` shows the error body too, on stdout. */
        assert_true(strncmp(r.out, body, strlen(body)) == 0);
        assert_string_equal(r.out + strlen(body), "\n");
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

/* A listener that answers each connection with fixed bytes, after reading
 * the request, then closes it: replies the mock server cannot produce
 * because they are not HTTP. */
typedef struct raw_server {
    int fd;
    int port;
    pthread_t thread;
    const char *reply;
} raw_server;

static void *raw_server_loop(void *arg)
{
    raw_server *rs = arg;
    char request[4096];
    int c;

    while ((c = accept(rs->fd, NULL, NULL)) >= 0) {
        if (read(c, request, sizeof request) > 0 &&
            write(c, rs->reply, strlen(rs->reply)) == (ssize_t)strlen(rs->reply))
            shutdown(c, SHUT_WR);
        while (read(c, request, sizeof request) > 0)
            ; /* until the client closes: no reset before it read the reply */
        close(c);
    }
    return NULL;
}

static void raw_server_start(raw_server *rs, const char *reply)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rs->reply = reply;
    rs->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(rs->fd >= 0);
    assert_int_equal(bind(rs->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(rs->fd, 8), 0);
    assert_int_equal(getsockname(rs->fd, (struct sockaddr *)&addr, &len), 0);
    rs->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&rs->thread, NULL, raw_server_loop, rs), 0);
}

static void raw_server_stop(raw_server *rs)
{
    shutdown(rs->fd, SHUT_RDWR); /* makes accept() fail */
    pthread_join(rs->thread, NULL);
    close(rs->fd);
}

/* A reply that is not HTTP is the server's fault: exit 9, as for any
 * malformed response. */
static void test_garbage_reply_is_protocol_error(void **state)
{
    static const char *const replies[] = {
        "\x16\x03\x01 this is not HTTP at all\r\n\r\n",
        "{\"id\":\"no status line\"}",          /* HTTP/0.9 */
        "HTTP/1.1 000 OK\r\nContent-Length: 2\r\n\r\n{}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
        raw_server rs;
        char url[64];
        run_result r;

        raw_server_start(&rs, replies[i]);
        snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", rs.port);
        run_cli_env(&r, url, TEST_KEY, "models", NULL);
        raw_server_stop(&rs);
        if (r.exit_code != 9)
            fail_msg("reply %zu: exit %d, expected 9; stderr:\n%s", i, r.exit_code, r.err);
        assert_contains(r.err, "oai: OAI_ERR_PROTOCOL: ");
        assert_string_equal(r.out, "");
        run_result_free(&r);
    }
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
        cmocka_unit_test_setup_teardown(test_chat_refusal_is_an_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_tool_calls_are_an_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_answer_exits_11, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasoning_only_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_json_answer_is_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_complete_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_retrieve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_models_retrieve_unknown_is_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_get_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_post_with_query_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_headers_and_include, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_input_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_options_after_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found_asks_about_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_api_key_for_openai, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_base_url_from_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_url_option_overrides_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_azure_flags_and_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_status_per_error_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_response_is_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_reply_is_protocol_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_key_is_never_printed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
