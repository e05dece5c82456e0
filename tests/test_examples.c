/*
 * The example programs, run as child processes against the scripted mock
 * server: what they print, their exit status, and what the server received.
 *
 * Their paths come from OAI_EXAMPLE_*_PATH (tests/extra.cmake); without them
 * (the examples are not built) every test is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "mock_multipart.h"
#include "mock_openai.h"
#include "mock_server.h"
#include "mock_state.h"
#include "recorded_json.h"

#include "child_process.h"

/* ------------------------------------------------------------------------ */
/* Fixtures and helpers. */

#ifdef OAI_EXAMPLE_CHAT_PATH
#define EXAMPLES_BUILT 1
#else
#define EXAMPLES_BUILT 0
#define OAI_EXAMPLE_CHAT_PATH ""
#define OAI_EXAMPLE_COMPLETION_PATH ""
#define OAI_EXAMPLE_STREAM_PATH ""
#define OAI_EXAMPLE_EVENT_LOOP_PATH ""
#define OAI_EXAMPLE_GAME_LOOP_PATH ""
#endif
#ifndef OAI_EXAMPLE_TOOL_LOOP_PATH
#define OAI_EXAMPLE_TOOL_LOOP_PATH ""
#endif

#define SPRING_PROMPT "写一首关于春天的诗"

static int setup(void **state)
{
    mock_server *ms;

    mock_state_reset(); /* no files left from an earlier test */
    ms = mock_server_start();
    if (!ms)
        return -1;
    *state = ms;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    mock_state_reset();
    return 0;
}

/* Runs an example (with at most one argument) against the mock server. */
static void run_example(run_result *r, mock_server *ms, const char *path, const char *arg)
{
    char *argv[] = { (char *)path, (char *)arg, NULL };

    if (!EXAMPLES_BUILT)
        skip();
    run_program(r, mock_server_url(ms), "sk-test", NULL, argv);
}

static const char *json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The sampling parameters both text examples send. */
static void assert_sampling(const json_t *body)
{
    assert_true(json_is_real(json_object_get(body, "temperature")));
    assert_true(json_real_value(json_object_get(body, "temperature")) == 0.7);
    assert_true(json_is_integer(json_object_get(body, "max_tokens")));
    assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 100);
    assert_false(json_is_true(json_object_get(body, "stream")));
}

/* ------------------------------------------------------------------------ */
/* examples/chat.c */

static void test_chat_example(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body, *messages;
    char expected[512];

    run_example(&r, ms, OAI_EXAMPLE_CHAT_PATH, NULL);
    assert_int_equal(r.exit_code, 0);
    snprintf(expected, sizeof expected, "%s\n", mock_openai_spring_poem);
    assert_string_equal(r.out, expected);
    assert_string_equal(r.err, "");

    assert_int_equal(mock_server_request_count(ms), 1);
    assert_string_equal(mock_server_request(ms, 0)->method, "POST");
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(mock_server_request(ms, 0), "Authorization"),
                        "Bearer sk-test");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "gpt-4o-mini");
    assert_sampling(body);
    messages = json_object_get(body, "messages");
    assert_int_equal(json_array_size(messages), 1);
    assert_string_equal(json_str(json_array_get(messages, 0), "role"), "user");
    assert_string_equal(json_str(json_array_get(messages, 0), "content"), SPRING_PROMPT);
    json_decref(body);
    run_result_free(&r);
}

static void test_chat_example_model_argument(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;

    run_example(&r, ms, OAI_EXAMPLE_CHAT_PATH, "my-model");
    assert_int_equal(r.exit_code, 0);
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "my-model");
    json_decref(body);
    run_result_free(&r);
}

static void test_chat_example_reports_error(void **state)
{
    mock_server *ms = *state;
    run_result r;

    mock_server_push_simple(ms, 401, "x-request-id: req_example401\r\n",
                            "{\"error\":{\"message\":\"Incorrect API key provided: sk-te****.\","
                            "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
    run_example(&r, ms, OAI_EXAMPLE_CHAT_PATH, NULL);
    assert_int_not_equal(r.exit_code, 0);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "Incorrect API key provided: sk-te****.");
    assert_contains(r.err, "req_example401");
    run_result_free(&r);
}

static void test_chat_example_connection_refused(void **state)
{
    char url[64];
    run_result r;
    char *argv[] = { (char *)OAI_EXAMPLE_CHAT_PATH, NULL };

    (void)state;
    if (!EXAMPLES_BUILT)
        skip();
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", mock_unused_port());
    run_program(&r, url, "sk-test", NULL, argv);
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.err, "OAI_ERR_CONNECTION");
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* examples/completion.c */

static void test_completion_example(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;
    char expected[512];

    run_example(&r, ms, OAI_EXAMPLE_COMPLETION_PATH, NULL);
    assert_int_equal(r.exit_code, 0);
    snprintf(expected, sizeof expected, "%s\n", mock_openai_spring_poem);
    assert_string_equal(r.out, expected);
    assert_string_equal(r.err, "");

    assert_int_equal(mock_server_request_count(ms), 1);
    assert_string_equal(mock_server_request(ms, 0)->path, "/v1/completions");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "gpt-3.5-turbo-instruct");
    assert_string_equal(json_str(body, "prompt"), SPRING_PROMPT);
    assert_sampling(body);
    json_decref(body);
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* examples/stream.c */

#define CHUNK_HEAD "data: {\"id\":\"chatcmpl-s\",\"object\":\"chat.completion.chunk\"," \
                   "\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"

/* The first answer: a call of get_weather, its arguments in two pieces. */
static const char *const tool_call_stream[] = {
    CHUNK_HEAD "\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
    "\"id\":\"call_w1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
    "\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
    "\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: [DONE]\n\n",
};

/* The second answer: text, in pieces. */
static const char *const text_stream[] = {
    CHUNK_HEAD "\"delta\":{\"role\":\"assistant\",\"content\":\"It is \"},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"content\":\"sunny in Paris, \"},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"content\":\"18 °C.\"},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
};

static void push_stream(mock_server *ms, const char *const *chunks, size_t count)
{
    mock_reply reply;

    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.headers = "x-request-id: req_stream\r\n";
    reply.chunks = chunks;
    reply.chunk_count = count;
    reply.chunk_delay_ms = 5;
    mock_server_push(ms, &reply);
}

/* The first request offers the tool and streams. */
static void assert_first_stream_request(const json_t *body)
{
    const json_t *tool = json_array_get(json_object_get(body, "tools"), 0);
    const json_t *params = json_object_get(json_object_get(tool, "function"), "parameters");

    assert_true(json_is_true(json_object_get(body, "stream")));
    assert_string_equal(json_str(tool, "type"), "function");
    assert_string_equal(json_str(json_object_get(tool, "function"), "name"), "get_weather");
    assert_string_equal(json_str(params, "type"), "object");
    assert_non_null(json_object_get(json_object_get(params, "properties"), "city"));
    assert_int_equal(json_array_size(json_object_get(body, "messages")), 1);
}

/* The second request replays the assistant's call and carries the result. */
static void assert_follow_up_request(const json_t *body)
{
    const json_t *messages = json_object_get(body, "messages");
    const json_t *assistant = json_array_get(messages, 1);
    const json_t *tool = json_array_get(messages, 2);
    const json_t *call = json_array_get(json_object_get(assistant, "tool_calls"), 0);

    assert_true(json_is_true(json_object_get(body, "stream")));
    assert_int_equal(json_array_size(messages), 3);
    assert_string_equal(json_str(json_array_get(messages, 0), "role"), "user");
    assert_string_equal(json_str(assistant, "role"), "assistant");
    assert_int_equal(json_array_size(json_object_get(assistant, "tool_calls")), 1);
    assert_string_equal(json_str(call, "id"), "call_w1");
    assert_string_equal(json_str(call, "type"), "function");
    assert_string_equal(json_str(json_object_get(call, "function"), "name"), "get_weather");
    assert_string_equal(json_str(json_object_get(call, "function"), "arguments"),
                        "{\"city\":\"Paris\"}");
    assert_string_equal(json_str(tool, "role"), "tool");
    assert_string_equal(json_str(tool, "tool_call_id"), "call_w1");
    assert_contains(json_str(tool, "content"), "sunny");
}

static void test_stream_example_with_tool_call(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;

    push_stream(ms, tool_call_stream, sizeof tool_call_stream / sizeof tool_call_stream[0]);
    push_stream(ms, text_stream, sizeof text_stream / sizeof text_stream[0]);
    run_example(&r, ms, OAI_EXAMPLE_STREAM_PATH, NULL);
    if (r.exit_code != 0)
        fail_msg("exit %d; stderr:\n%s", r.exit_code, r.err);
    assert_string_equal(r.out, "[calling get_weather] {\"city\":\"Paris\"}\n"
                               "It is sunny in Paris, 18 °C.\n");
    assert_string_equal(r.err, "");

    assert_int_equal(mock_server_request_count(ms), 2);
    body = request_json(ms, 0);
    assert_first_stream_request(body);
    json_decref(body);
    body = request_json(ms, 1);
    assert_follow_up_request(body);
    json_decref(body);
    run_result_free(&r);
}

/* Without a tool call, the streamed answer is all there is. */
static void test_stream_example_plain_answer(void **state)
{
    mock_server *ms = *state;
    run_result r;

    push_stream(ms, text_stream, sizeof text_stream / sizeof text_stream[0]);
    run_example(&r, ms, OAI_EXAMPLE_STREAM_PATH, "some-model");
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "It is sunny in Paris, 18 °C.\n");
    assert_int_equal(mock_server_request_count(ms), 1);
    run_result_free(&r);
}

/* The default handler streams too: an echo of the question. */
static void test_stream_example_default_server(void **state)
{
    mock_server *ms = *state;
    run_result r;

    run_example(&r, ms, OAI_EXAMPLE_STREAM_PATH, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: What's the weather like in Paris?\n");
    run_result_free(&r);
}

static void test_stream_example_reports_error(void **state)
{
    mock_server *ms = *state;
    run_result r;

    mock_server_push_simple(ms, 404, "x-request-id: req_stream404\r\n",
                            "{\"error\":{\"message\":\"The model 'nope' does not exist\","
                            "\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}");
    run_example(&r, ms, OAI_EXAMPLE_STREAM_PATH, "nope");
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.err, "The model 'nope' does not exist");
    assert_contains(r.err, "req_stream404");
    run_result_free(&r);
}

/* The event-loop example streams its answer through a poll(2) loop. */
static void test_event_loop_example(void **state)
{
    mock_server *ms = *state;
    run_result r;

    run_example(&r, ms, OAI_EXAMPLE_EVENT_LOOP_PATH, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "Echo: Say hello in five languages.\n");
    assert_int_equal(mock_server_request_count(ms), 1);
    assert_contains(mock_server_request(ms, 0)->body, "\"stream\":true");
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* examples/tool_loop.c */

/* The first answer says something, then calls get_weather. */
static const char *const text_and_tool_call_stream[] = {
    CHUNK_HEAD "\"delta\":{\"role\":\"assistant\",\"content\":\"Let me \"},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"content\":\"look that up.\"},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"tool_calls\":[{\"index\":0,"
    "\"id\":\"call_w1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
    "\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}\n\n",
    CHUNK_HEAD "\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
    "data: [DONE]\n\n",
};

/* The pulled tool loop in a frame loop: the streamed text of both steps,
 * the tool call between them, answered from the example's table. */
static void test_tool_loop_example(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;
    const json_t *assistant;

    push_stream(ms, text_and_tool_call_stream,
                sizeof text_and_tool_call_stream / sizeof text_and_tool_call_stream[0]);
    push_stream(ms, text_stream, sizeof text_stream / sizeof text_stream[0]);
    run_example(&r, ms, OAI_EXAMPLE_TOOL_LOOP_PATH, NULL);
    if (r.exit_code != 0)
        fail_msg("exit %d; stderr:\n%s", r.exit_code, r.err);
    assert_string_equal(r.out, "Let me look that up.\n"
                               "[get_weather {\"city\":\"Paris\"}]\n"
                               "It is sunny in Paris, 18 °C.\n");
    assert_string_equal(r.err, "");

    assert_int_equal(mock_server_request_count(ms), 2);
    body = request_json(ms, 0);
    assert_first_stream_request(body);
    json_decref(body);
    body = request_json(ms, 1);
    assert_follow_up_request(body); /* the result: the table's line for Paris */
    assistant = json_array_get(json_object_get(body, "messages"), 1);
    assert_string_equal(json_str(assistant, "content"), "Let me look that up.");
    assert_string_equal(json_str(json_array_get(json_object_get(body, "messages"), 2), "content"),
                        "{\"city\":\"Paris\",\"temperature_c\":18,\"condition\":\"sunny\"}");
    json_decref(body);
    run_result_free(&r);
}

/* A failed step: the example says why and exits non-zero. */
static void test_tool_loop_example_reports_error(void **state)
{
    mock_server *ms = *state;
    run_result r;

    push_stream(ms, text_and_tool_call_stream,
                sizeof text_and_tool_call_stream / sizeof text_and_tool_call_stream[0]);
    mock_server_push_simple(ms, 400, "x-request-id: req_tools400\r\n",
                            "{\"error\":{\"message\":\"tool message out of order\","
                            "\"type\":\"invalid_request_error\"}}");
    run_example(&r, ms, OAI_EXAMPLE_TOOL_LOOP_PATH, NULL);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.out, "Let me look that up.\n[get_weather {\"city\":\"Paris\"}]\n");
    assert_contains(r.err, "tool message out of order");
    assert_contains(r.err, "req_tools400");
    assert_int_equal(mock_server_request_count(ms), 2);
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* examples/game_loop.c */

/* The prompts of its first chats, in order, as the mock echoes them. */
static const char *const game_loop_answers[] = {
    "Echo: Name three colours of a sunset.",
    "Echo: Give a knight a battle cry.",
    "Echo: Describe a tavern in one sentence.",
    "Echo: What does a dragon hoard?",
};

static size_t count_of(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static size_t count_requests(mock_server *ms, const char *method, const char *path)
{
    size_t n = 0;
    for (size_t i = 0; i < mock_server_request_count(ms); i++) {
        const mock_request *req = mock_server_request(ms, i);
        if (strcmp(req->method, method) == 0 && strcmp(req->path, path) == 0)
            n++;
    }
    return n;
}

/* The number of entries of a directory, "." and ".." aside. */
static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    int n = 0;

    if (!d)
        return -1;
    while ((entry = readdir(d)) != NULL)
        n += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Runs the game loop with @p argv (argv[0] is set here) and TMPDIR in a
 * fresh directory, which it must leave empty (its training file removed).
 * The base URL goes in OPENAI_BASE_URL unless @p url_in_argv. */
static void run_game_loop(run_result *r, mock_server *ms, char **argv, int url_in_argv)
{
    char tmp[64] = "/tmp/oai-game-loop-XXXXXX";
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;

    if (!EXAMPLES_BUILT)
        skip();
    assert_non_null(mkdtemp(tmp));
    setenv("TMPDIR", tmp, 1);
    argv[0] = (char *)OAI_EXAMPLE_GAME_LOOP_PATH;
    run_program(r, url_in_argv ? NULL : mock_server_url(ms), "sk-test", NULL, argv);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    assert_int_equal(entries_in(tmp), 0);
    assert_int_equal(rmdir(tmp), 0);
}

/* Four streamed chats, an upload and a fine-tuning job from one frame
 * loop, all pulled: every chat complete, the job followed to success. */
static void test_game_loop_example(void **state)
{
    mock_server *ms = *state;
    char *argv[] = { NULL, NULL };
    char expected[256];
    run_result r;
    json_t *body;
    size_t i;

    /* Slow, fine streams, so that their text grows over several frames. */
    mock_server_set_stream_delay_ms(ms, 10);
    mock_server_set_stream_pieces(ms, 8);
    run_game_loop(&r, ms, argv, 0);
    if (r.exit_code != 0)
        fail_msg("exit %d; stdout:\n%s\nstderr:\n%s", r.exit_code, r.out, r.err);
    assert_string_equal(r.err, "");
    assert_contains(r.out, "4 streamed chats, an upload and a fine-tuning job at 60 frames/s; "
                           "poll budget 1000 us\n");
    for (i = 0; i < 4; i++) {
        snprintf(expected, sizeof expected, "\nchat %zu: %s\n", i + 1, game_loop_answers[i]);
        assert_contains(r.out, expected);
        snprintf(expected, sizeof expected, " chat %zu done (%zu bytes)\n", i + 1,
                 strlen(game_loop_answers[i]));
        assert_contains(r.out, expected);
        /* One line per frame in which the answer grew: more than one. */
        snprintf(expected, sizeof expected, " chat %zu | ", i + 1);
        if (count_of(r.out, expected) < 2)
            fail_msg("chat %zu grew in one frame only:\n%s", i + 1, r.out);
    }
    assert_contains(r.out, " upload: shopkeeper.jsonl is file-mock1\n");
    assert_contains(r.out, " job ftjob-mock2: validating_files\n");
    assert_contains(r.out, " job event [info] Fine-tuning job started\n");
    assert_contains(r.out, " job event [info] The job has successfully completed\n");
    assert_int_equal(count_of(r.out, "job event [info] Fine-tuning job started"), 1);
    assert_contains(r.out, "\nsummary\n  frames:               ");
    assert_contains(r.out, "  library time / frame: worst ");
    assert_contains(r.out, "  streams:              4 of 4 finished, 141 characters\n");
    assert_contains(r.out, "  job:                  succeeded\n"
                           "  fine-tuned model:     ft:gpt-4o-mini-2024-07-18:mock::mock2\n");

    /* What the server saw: four streams, the upload, the job, its checks. */
    assert_int_equal(count_requests(ms, "POST", "/v1/chat/completions"), 4);
    for (i = 0; i < mock_server_request_count(ms); i++)
        if (strcmp(mock_server_request(ms, i)->path, "/v1/chat/completions") == 0)
            assert_contains(mock_server_request(ms, i)->body, "\"stream\":true");
    assert_int_equal(count_requests(ms, "POST", "/v1/files"), 1);
    assert_int_equal(count_requests(ms, "POST", "/v1/fine_tuning/jobs"), 1);
    for (i = 0; i < mock_server_request_count(ms); i++)
        if (strcmp(mock_server_request(ms, i)->path, "/v1/fine_tuning/jobs") == 0)
            break;
    body = request_json(ms, i);
    assert_string_equal(json_str(body, "training_file"), "file-mock1");
    assert_string_equal(json_str(body, "model"), "gpt-4o-mini-2024-07-18");
    json_decref(body);
    /* validating_files -> queued -> running -> succeeded: three checks. */
    assert_int_equal(count_requests(ms, "GET", "/v1/fine_tuning/jobs/ftjob-mock2"), 3);
    run_result_free(&r);
}

/* A job the server refuses: the chats still finish, the exit status says
 * the job failed. The base URL comes from the command line here, and the
 * poll has no budget. */
static void test_game_loop_example_job_refused(void **state)
{
    mock_server *ms = *state;
    char *argv[] = { NULL, "--streams", "2", "--budget-us", "0", (char *)mock_server_url(ms), NULL };
    mock_reply reply;
    run_result r;

    memset(&reply, 0, sizeof reply);
    reply.status = 400;
    reply.headers = "x-request-id: req_job400\r\n";
    reply.body = "{\"error\":{\"message\":\"Model gpt-4o-mini-2024-07-18 is not available for fine-tuning\","
                 "\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_available\"}}";
    assert_int_equal(mock_server_push_matching(ms, &reply, "POST", "/v1/fine_tuning/jobs", 1), 0);
    run_game_loop(&r, ms, argv, 1);
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, "poll budget 0 us\n");
    assert_contains(r.out, "  streams:              2 of 2 finished, ");
    assert_contains(r.out, "  job:                  unknown (see the error above)\n"
                           "  fine-tuned model:     none\n");
    assert_contains(r.err, "error: create the fine-tuning job: OAI_ERR_BAD_REQUEST: Model "
                           "gpt-4o-mini-2024-07-18 is not available for fine-tuning (request id req_job400)\n");
    assert_int_equal(count_requests(ms, "POST", "/v1/chat/completions"), 2);
    run_result_free(&r);
}

/* A chat that fails makes the run fail, though the job succeeds. */
static void test_game_loop_example_chat_fails(void **state)
{
    mock_server *ms = *state;
    char *argv[] = { NULL, NULL };
    mock_reply reply;
    run_result r;

    memset(&reply, 0, sizeof reply);
    reply.status = 404;
    reply.body = "{\"error\":{\"message\":\"The model does not exist\",\"type\":\"invalid_request_error\","
                 "\"code\":\"model_not_found\"}}";
    assert_int_equal(mock_server_push_matching(ms, &reply, "POST", "/v1/chat/completions", 1), 0);
    run_game_loop(&r, ms, argv, 0);
    assert_int_equal(r.exit_code, 1);
    assert_contains(r.out, " FAILED (0 bytes)\n");
    assert_contains(r.out, "  streams:              3 of 4 finished, ");
    assert_contains(r.out, "  job:                  succeeded\n");
    assert_contains(r.err, ": OAI_ERR_NOT_FOUND: The model does not exist (request id ");
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chat_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_example_model_argument, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_example_reports_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chat_example_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_completion_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_example_with_tool_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_example_plain_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_example_default_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_example_reports_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_loop_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tool_loop_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tool_loop_example_reports_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_game_loop_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_game_loop_example_job_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_game_loop_example_chat_fails, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
