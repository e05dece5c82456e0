/* The tool's API commands of issue 11 (item 8): `oai responses`,
 * `oai embeddings`, `oai chat --json` and `oai chat --schema FILE` (and
 * `oai responses --schema`), run as a child process against the mock
 * server: what they send, what they print, and how they fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child_process.h"
#include "mock_server.h"

#ifdef OAI_CLI_PATH
#define CLI_BUILT 1
#else
#define CLI_BUILT 0
#define OAI_CLI_PATH ""
#endif

#define MAX_ARGS 20

static char schema_dir[64];
static char schema_path[128];     /* weather report.json: a space, made '_' */
static char bad_schema_path[128]; /* not an object */

static int group_setup(void **state)
{
    (void)state;
    snprintf(schema_dir, sizeof schema_dir, "/tmp/oai-cli-api-XXXXXX");
    if (!mkdtemp(schema_dir))
        return -1;
    snprintf(schema_path, sizeof schema_path, "%s/weather report.json", schema_dir);
    snprintf(bad_schema_path, sizeof bad_schema_path, "%s/bad.json", schema_dir);
    FILE *fp = fopen(schema_path, "w");
    if (!fp)
        return -1;
    fputs("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],"
          "\"additionalProperties\":false}\n",
          fp);
    fclose(fp);
    fp = fopen(bad_schema_path, "w");
    if (!fp)
        return -1;
    fputs("[1, 2]\n", fp);
    fclose(fp);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(schema_path);
    unlink(bad_schema_path);
    rmdir(schema_dir);
    return 0;
}

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

/* Runs `oai ARGS...` (NULL-terminated) against the mock, @p input on stdin. */
static void run_cli_input(run_result *r, mock_server *ms, const char *input, const char *first, ...)
{
    char *argv[MAX_ARGS + 2];
    size_t argc = 0;
    va_list more;

    if (!CLI_BUILT)
        skip();
    argv[argc++] = (char *)OAI_CLI_PATH;
    va_start(more, first);
    for (const char *arg = first; arg; arg = va_arg(more, const char *)) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = (char *)arg;
    }
    va_end(more);
    argv[argc] = NULL;
    run_program(r, mock_server_url(ms), "sk-test", input, argv);
}

#define run_cli(r, ms, ...) run_cli_input(r, ms, NULL, __VA_ARGS__)

static const char *last_body(mock_server *ms)
{
    size_t n = mock_server_request_count(ms);
    assert_true(n > 0);
    return mock_server_request(ms, n - 1)->body;
}

static const char *last_path(mock_server *ms)
{
    return mock_server_request(ms, mock_server_request_count(ms) - 1)->path;
}

static void push_sse(mock_server *ms, const char *body)
{
    mock_reply r = {.status = 200, .body = body, .content_type = "text/event-stream"};
    mock_server_push(ms, &r);
}

/* ---- oai responses --------------------------------------------------------------- */

static void test_responses_text(void **state)
{
    mock_server *ms = *state;
    run_result r;
    /* The built-in handler answers /responses with "Echo: <input>". */
    run_cli(&r, ms, "responses", "-m", "mock-model", "-i", "Be brief.", "--max-tokens", "50", "Hello", "there",
            NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: Hello there\n");
    assert_string_equal(last_path(ms), "/v1/responses");
    assert_contains(last_body(ms), "\"model\":\"mock-model\"");
    assert_contains(last_body(ms), "\"input\":\"Hello there\"");
    assert_contains(last_body(ms), "\"instructions\":\"Be brief.\"");
    assert_contains(last_body(ms), "\"max_output_tokens\":50");
    assert_not_contains(last_body(ms), "\"stream\"");
    run_result_free(&r);

    run_cli(&r, ms, "responses", "--stream", "Hi", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: Hi\n");
    assert_contains(last_body(ms), "\"stream\":true");
    run_result_free(&r);
}

static void test_responses_json_calls_refusal(void **state)
{
    mock_server *ms = *state;
    run_result r;
    run_cli(&r, ms, "responses", "--json", "Hello", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\"object\":\"response\"");
    assert_contains(r.out, "\"text\":\"Echo: Hello\"");
    assert_non_null(strchr(r.out, '\n'));
    assert_int_equal(strchr(r.out, '\n')[1], '\0'); /* one line */
    run_result_free(&r);

    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":"
                            "\"function_call\",\"call_id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":"
                            "\"{\\\"city\\\":\\\"Oslo\\\"}\"}]}");
    run_cli(&r, ms, "responses", "weather?", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "[tool call] get_weather {\"city\":\"Oslo\"}\n");
    run_result_free(&r);

    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"message\","
                            "\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"No.\"}]}]}");
    run_cli(&r, ms, "responses", "something bad", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "No.\n");
    run_result_free(&r);

    mock_server_push_simple(ms, 200, NULL, "{\"object\":\"response\",\"status\":\"incomplete\",\"output\":[]}");
    run_cli(&r, ms, "responses", "x", NULL);
    assert_int_equal(r.exit_code, 11);
    assert_contains(r.err, "no answer");
    assert_contains(r.err, "incomplete");
    run_result_free(&r);

    run_cli(&r, ms, "responses", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "missing PROMPT");
    run_result_free(&r);
}

/* ---- structured output ------------------------------------------------------------ */

static void test_chat_schema(void **state)
{
    mock_server *ms = *state;
    run_result r;
    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                            "\"assistant\",\"content\":\"{\\\"city\\\": \\\"Paris\\\"}\"},\"finish_reason\":\"stop\"}]}");
    run_cli(&r, ms, "chat", "--schema", schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"city\":\"Paris\"}\n");
    assert_contains(last_body(ms), "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
                                   "\"weather_report\",\"schema\":{\"type\":\"object\"");
    assert_contains(last_body(ms), "\"strict\":true");
    run_result_free(&r);

    /* Streamed, named by the flag. */
    push_sse(ms, "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"{\\\"city\\\":\"}}]}\n\n"
                 "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\\"Rome\\\"}\"},\"finish_reason\":\"stop\"}]}\n\n"
                 "data: [DONE]\n\n");
    run_cli(&r, ms, "chat", "--stream", "--schema", schema_path, "--schema-name", "city", "Where?", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"city\":\"Rome\"}\n");
    assert_contains(last_body(ms), "\"json_schema\":{\"name\":\"city\"");
    run_result_free(&r);

    /* A refusal: no answer, said on stderr. */
    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                            "\"assistant\",\"content\":null,\"refusal\":\"I can't.\"},\"finish_reason\":\"stop\"}]}");
    run_cli(&r, ms, "chat", "--schema", schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 11);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "the model refused: I can't.");
    run_result_free(&r);

    /* Not JSON: a protocol error. */
    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                            "\"assistant\",\"content\":\"{\\\"city\\\":\"},\"finish_reason\":\"length\"}]}");
    run_cli(&r, ms, "chat", "--schema", schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 9);
    assert_contains(r.err, "OAI_ERR_PROTOCOL");
    assert_contains(r.err, "cut off at the token limit");
    run_result_free(&r);

    /* Bad schema files and names: usage errors, nothing sent. */
    size_t sent = mock_server_request_count(ms);
    run_cli(&r, ms, "chat", "--schema", bad_schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "does not hold a JSON object");
    run_result_free(&r);
    run_cli(&r, ms, "chat", "--schema", schema_path, "--schema-name", "a b", "Where?", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "schema name");
    run_result_free(&r);
    run_cli(&r, ms, "chat", "--schema", "/nonexistent/x.json", "Where?", NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "/nonexistent/x.json");
    run_result_free(&r);
    run_cli(&r, ms, "chat", "--schema-name", "x", "Where?", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "--schema-name needs --schema");
    run_result_free(&r);
    /* The same checks for both prompt commands (cli_prompt_operands()). */
    run_cli(&r, ms, "responses", "--schema-name", "x", "Where?", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "oai responses");
    assert_contains(r.err, "--schema-name needs --schema");
    run_result_free(&r);
    run_cli(&r, ms, "chat", "--json", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "missing PROMPT");
    run_result_free(&r);
    assert_int_equal(mock_server_request_count(ms), sent);
}

/* The built-in handler answers a schema with JSON that follows it. */
static void test_schema_against_builtin_mock(void **state)
{
    mock_server *ms = *state;
    run_result r;
    run_cli(&r, ms, "chat", "--schema", schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"city\":\"Echo: Where?\"}\n");
    run_result_free(&r);
    run_cli(&r, ms, "responses", "--stream", "--schema", schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"city\":\"Echo: Where?\"}\n");
    run_result_free(&r);
    /* Cut off by the token limit: not JSON any more. */
    run_cli(&r, ms, "chat", "--max-tokens", "1", "--schema", schema_path, "Where is it?", NULL);
    assert_int_equal(r.exit_code, 9);
    assert_contains(r.err, "cut off at the token limit");
    run_result_free(&r);
}

static void test_responses_schema(void **state)
{
    mock_server *ms = *state;
    run_result r;
    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"response\",\"status\":\"completed\",\"output\":[{\"type\":\"message\","
                            "\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":"
                            "\"{\\\"city\\\":\\\"Lima\\\"}\"}]}]}");
    run_cli(&r, ms, "responses", "--schema", schema_path, "Where?", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "{\"city\":\"Lima\"}\n");
    assert_contains(last_body(ms), "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"weather_report\"");
    run_result_free(&r);
}

/* ---- oai chat --json ------------------------------------------------------------------ */

static void test_chat_json(void **state)
{
    mock_server *ms = *state;
    run_result r;
    run_cli(&r, ms, "chat", "--json", "Hello", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\"object\":\"chat.completion\"");
    assert_contains(r.out, "\"content\":\"Echo: Hello\"");
    assert_contains(r.out, "\"usage\":{");
    run_result_free(&r);

    /* Streamed: nothing printed until the accumulated response. */
    run_cli(&r, ms, "chat", "--stream", "--json", "Hello", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_true(strncmp(r.out, "{\"id\":", 6) == 0);
    assert_contains(r.out, "\"content\":\"Echo: Hello\"");
    assert_int_equal(strchr(r.out, '\n')[1], '\0');
    assert_contains(last_body(ms), "\"stream\":true");
    run_result_free(&r);

    /* An API error is still an error, not JSON on stdout. */
    mock_server_push_simple(ms, 400, NULL, "{\"error\":{\"message\":\"bad model\",\"type\":\"invalid_request_error\"}}");
    run_cli(&r, ms, "chat", "--json", "Hello", NULL);
    assert_int_equal(r.exit_code, 5);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "bad model");
    run_result_free(&r);
}

/* ---- oai embeddings ------------------------------------------------------------------- */

static void test_embeddings(void **state)
{
    mock_server *ms = *state;
    run_result r;
    run_cli(&r, ms, "embeddings", "first text", "second", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(last_body(ms), "\"input\":[\"first text\",\"second\"]");
    assert_contains(last_body(ms), "\"model\":\"text-embedding-3-small\"");
    /* Two lines, each an array of the mock's 8 numbers. */
    char *second = strchr(r.out, '\n');
    assert_non_null(second);
    assert_int_equal(r.out[0], '[');
    assert_int_equal(second[1], '[');
    assert_non_null(strchr(second + 1, '\n'));
    assert_int_equal(strchr(second + 1, '\n')[1], '\0');
    int commas = 0;
    for (const char *p = r.out; p < second; p++)
        commas += *p == ',';
    assert_int_equal(commas, 7);
    run_result_free(&r);

    run_cli_input(&r, ms, "one\n\ntwo\r\nthree\n", "embeddings", "-m", "mock-embed", "--dimensions", "8", "-", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(last_body(ms), "\"input\":[\"one\",\"two\",\"three\"]");
    assert_contains(last_body(ms), "\"dimensions\":8");
    assert_contains(last_body(ms), "\"model\":\"mock-embed\"");
    int lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    run_result_free(&r);

    run_cli(&r, ms, "embeddings", "--json", "x", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\"object\":\"list\"");
    assert_contains(r.out, "\"embedding\":[");
    run_result_free(&r);

    /* A base64 answer is decoded. */
    mock_server_push_simple(ms, 200, NULL,
                            "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                            "\"embedding\":\"AACAPwAAAMA=\"}]}");
    run_cli(&r, ms, "embeddings", "x", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "[1,-2]\n");
    run_result_free(&r);

    run_cli(&r, ms, "embeddings", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "missing TEXT");
    run_result_free(&r);
    run_cli(&r, ms, "embeddings", "--dimensions", "0", "x", NULL);
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);
    run_cli_input(&r, ms, "\n\n", "embeddings", "-", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "no input text");
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_responses_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_responses_json_calls_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_responses_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_against_builtin_mock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_embeddings, setup, teardown),
    };
    return cmocka_run_group_tests_name("cli_api", tests, group_setup, group_teardown);
}
