/* oai-mock-server as users run it: the real program, started with
 * --script, driven over loopback by the library as an application would
 * be (rate-limit storms, a stream reset mid-way, a truncated body, a stall,
 * a reset before any answer), then the built-in handler once the script is
 * used up; bad script files exit 2 with a message; the example script of
 * docs/testing-your-app.md does what the page says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child_process.h"
#include "mock_openai.h"
#include "mock_script.h"
#include "mock_server.h"
#include "oai.h"

#ifndef OAI_MOCK_SERVER_PATH
#error "tests/CMakeLists.txt defines OAI_MOCK_SERVER_PATH"
#endif

/* ---- the server as a child process --------------------------------------- */

typedef struct server {
    background bg;
    char script[64];
    char port_file[64];
    char url[64];
} server;

static void temp_path(char *path, size_t size, const char *prefix)
{
    snprintf(path, size, "/tmp/%s-XXXXXX", prefix);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* The port once the server wrote it whole ("PORT\n"), else 0. */
static int read_port(const char *path)
{
    char text[16] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return n > 1 && text[n - 1] == '\n' ? atoi(text) : 0;
}

/* Waits for the server to listen; fails, with its stderr, if it exits. */
static void wait_listening(server *s)
{
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000; i++) {
        int port = read_port(s->port_file);
        if (port > 0) {
            snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1", port);
            return;
        }
        if (!background_running(&s->bg)) {
            run_result r;
            background_stop(&s->bg, &r);
            fail_msg("oai-mock-server exited with %d: %s", r.exit_code, r.err);
        }
        nanosleep(&pause, NULL);
    }
    fail_msg("oai-mock-server did not write its port");
}

/* Starts oai-mock-server with `script` (JSON text, or NULL for none) and
 * the NULL-terminated extra arguments `extra` (or NULL). */
static void server_start(server *s, const char *script, const char *const *extra)
{
    char *argv[16];
    int argc = 0;
    memset(s, 0, sizeof *s);
    temp_path(s->port_file, sizeof s->port_file, "oai-port");
    unlink(s->port_file);   /* it appears once the server listens */
    argv[argc++] = (char *)OAI_MOCK_SERVER_PATH;
    argv[argc++] = (char *)"--port-file";
    argv[argc++] = s->port_file;
    if (script) {
        temp_path(s->script, sizeof s->script, "oai-script");
        write_text(s->script, script);
        argv[argc++] = (char *)"--script";
        argv[argc++] = s->script;
    }
    for (size_t i = 0; extra && extra[i] && argc < 15; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    background_start(&s->bg, argv);
    wait_listening(s);
}

/* Stops it with SIGTERM: it must exit 0 and say nothing on stderr. */
static void server_stop(server *s)
{
    run_result r;
    background_stop(&s->bg, &r);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "");
    char line[80];
    snprintf(line, sizeof line, "%s\n", s->url);
    assert_string_equal(r.out, line);   /* the base URL, nothing else */
    run_result_free(&r);
    unlink(s->port_file);
    if (s->script[0])
        unlink(s->script);
}

/* The script `json` (stolen) as text. */
static char *script_text(json_t *json)
{
    assert_non_null(json);
    char *text = json_dumps(json, JSON_INDENT(1));
    json_decref(json);
    assert_non_null(text);
    return text;
}

static void server_start_json(server *s, json_t *json)
{
    char *text = script_text(json);
    server_start(s, text, NULL);
    free(text);
}

/* ---- the library as the application ---------------------------------------- */

static oai_client *client_for(const server *s)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, s->url), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-test"), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(c, 1, 5), OAI_OK);
    return c;
}

static oai_request *chat(const char *text)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    assert_int_equal(oai_chat_request_add_message(req, "user", text), OAI_OK);
    return req;
}

/* What the retry callback saw. */
typedef struct retries_seen {
    int count;
    int http_status[8];
    int reason[8];
    int64_t delay_ms[8];
} retries_seen;

static int on_retry(void *ud, int retry, int64_t delay_ms, int reason, int http_status)
{
    retries_seen *seen = ud;
    assert_int_equal(retry, seen->count + 1);
    if (seen->count < 8) {
        seen->http_status[seen->count] = http_status;
        seen->reason[seen->count] = reason;
        seen->delay_ms[seen->count] = delay_ms;
    }
    seen->count++;
    return 0;
}

/* The text of a streamed call, as the application's callback saw it. */
typedef struct streamed {
    char text[256];
    int text_events;
} streamed;

static int on_event(void *ud, const oai_event *ev)
{
    streamed *s = ud;
    if (oai_event_type_of(ev) == OAI_EVENT_TEXT) {
        size_t used = strlen(s->text);
        snprintf(s->text + used, sizeof s->text - used, "%.*s", (int)oai_event_text_len(ev),
                 oai_event_text(ev));
        s->text_events++;
    }
    return 0;
}

static oai_response *send_streamed(oai_client *c, const char *text, streamed *out)
{
    memset(out, 0, sizeof *out);
    oai_request *req = chat(text);
    assert_int_equal(oai_request_set_event_callback(req, on_event, out), OAI_OK);
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    assert_non_null(res);
    return res;
}

static oai_response *send_chat(oai_client *c, const char *text)
{
    oai_request *req = chat(text);
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    assert_non_null(res);
    return res;
}

/* A chat.completion.chunk event carrying `content`. */
static char *sse_delta(const char *content)
{
    json_t *chunk = json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:{s:s}, s:n}]}", "id", "chatcmpl-s",
                              "object", "chat.completion.chunk", "created", 1700000000, "model",
                              "gpt-4o-mini", "choices", "index", 0, "delta", "content", content,
                              "finish_reason");
    char *data = json_dumps(chunk, JSON_COMPACT);
    json_decref(chunk);
    assert_non_null(data);
    char *event = NULL;
    assert_true(asprintf(&event, "data: %s\n\n", data) > 0);
    free(data);
    return event;
}

/* ---- rate limits --------------------------------------------------------------- */

static json_t *rate_limit_reply(int repeat, json_t *headers)
{
    return json_pack("{s:{s:s, s:s}, s:i, s:i, s:o, s:{s:{s:s, s:s, s:s}}}", "match", "method",
                     "POST", "path", "/v1/chat/completions", "repeat", repeat, "status", 429,
                     "headers", headers, "body", "error", "message", "Rate limit reached",
                     "type", "requests", "code", "rate_limit_exceeded");
}

/* Three 429s with retry-after-ms, then the built-in handler: a client that
 * retries three times gets the answer, having waited what the server
 * asked. */
static void test_rate_limit_storm_then_success(void **state)
{
    (void)state;
    server s;
    server_start_json(&s, json_pack("[o]", rate_limit_reply(3, json_pack("{s:i}", "retry-after-ms", 7))));
    oai_client *c = client_for(&s);
    retries_seen seen = {0};
    assert_int_equal(oai_client_set_max_retries(c, 3), OAI_OK);
    assert_int_equal(oai_client_set_retry_callback(c, on_retry, &seen), OAI_OK);

    oai_response *res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: hi");
    assert_int_equal(oai_response_retry_count(res), 3);
    assert_int_equal(seen.count, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(seen.http_status[i], 429);
        assert_int_equal(seen.delay_ms[i], 7);   /* the server's retry-after-ms */
    }
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);
}

/* A storm that outlasts the retries: the application gets the 429 and the
 * server's message (headers given as lines this time). */
static void test_rate_limit_storm_exhausts_retries(void **state)
{
    (void)state;
    server s;
    server_start_json(&s, json_pack("[o]", rate_limit_reply(-1, json_pack("[s]", "retry-after-ms: 1"))));
    oai_client *c = client_for(&s);

    oai_response *res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_RATE_LIMIT);
    assert_int_equal(oai_response_http_status(res), 429);
    assert_int_equal(oai_response_retry_count(res), 2);    /* the default */
    assert_string_equal(oai_response_error_message(res), "Rate limit reached");
    oai_response_free(res);
    /* Other paths are not matched: the built-in handler answers them. */
    oai_request *models = oai_request_new("GET", "/models");
    res = oai_client_send(c, models);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(models);
    oai_client_free(c);
    server_stop(&s);
}

/* ---- broken answers --------------------------------------------------------------- */

/* Two events reach the application, then the connection is reset: the call
 * fails, and is not retried (the text was already shown). */
static void test_stream_reset_midway(void **state)
{
    (void)state;
    char *hel = sse_delta("Hel"), *lo = sse_delta("lo"), *rest = sse_delta(" world");
    server s;
    server_start_json(&s, json_pack("[{s:[s, {s:s, s:i}, s], s:{s:s, s:i}}]", "chunks", hel,
                                    "data", lo, "delay_ms", 20, rest, "fault", "type", "reset",
                                    "after_chunks", 2));
    oai_client *c = client_for(&s);
    streamed got;

    oai_response *res = send_streamed(c, "hi", &got);
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    assert_string_equal(got.text, "Hello");
    assert_int_equal(oai_response_retry_count(res), 0);
    oai_response_free(res);
    /* The script is used up: the built-in handler streams the answer. */
    res = send_streamed(c, "hi", &got);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(got.text, "Echo: hi");
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);
    free(hel);
    free(lo);
    free(rest);
}

/* Content-Length announces the whole body, half of it comes: an error,
 * every attempt. */
static void test_truncated_body(void **state)
{
    (void)state;
    server s;
    server_start(&s,
                 "[{\"match\": {\"path\": \"/v1/chat/completions\"}, \"repeat\": -1,\n"
                 "  \"body\": {\"id\": \"chatcmpl-t\", \"object\": \"chat.completion\",\n"
                 "           \"choices\": [{\"index\": 0, \"finish_reason\": \"stop\",\n"
                 "           \"message\": {\"role\": \"assistant\", \"content\": \"cut\"}}]},\n"
                 "  \"fault\": \"truncate\"}]\n",
                 NULL);
    oai_client *c = client_for(&s);
    retries_seen seen = {0};
    assert_int_equal(oai_client_set_retry_callback(c, on_retry, &seen), OAI_OK);

    oai_response *res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    assert_null(oai_response_text(res));
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.reason[0], OAI_ERR_CONNECTION);
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);
}

/* Headers, then silence for as long as the client waits: its idle timeout
 * ends the call. */
static void test_stall_forever(void **state)
{
    (void)state;
    server s;
    server_start(&s, "[{\"body\": \"{}\", \"fault\": {\"type\": \"stall\", \"after_bytes\": 0}}]",
                 NULL);
    oai_client *c = client_for(&s);
    assert_int_equal(oai_client_set_max_retries(c, 0), OAI_OK);
    assert_int_equal(oai_client_set_idle_timeout_ms(c, 200), OAI_OK);

    oai_response *res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_TIMEOUT);
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);   /* the stalled connection does not hold the server */
}

/* A reset before any answer is a connection error, retried: the retry
 * finds the script used up and gets the built-in answer. */
static void test_reset_at_once_then_builtin(void **state)
{
    (void)state;
    server s;
    server_start(&s, "[{\"fault\": \"reset\"}]", NULL);
    oai_client *c = client_for(&s);
    retries_seen seen = {0};
    assert_int_equal(oai_client_set_retry_callback(c, on_retry, &seen), OAI_OK);

    oai_response *res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: hi");
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.reason[0], OAI_ERR_CONNECTION);
    assert_int_equal(seen.http_status[0], 0);
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);
}

/* A scripted stream that completes, each chunk its own event; then the
 * built-in handler's stream, paced and cut finer by the options. */
static void test_scripted_stream_and_stream_delay(void **state)
{
    (void)state;
    char *a = sse_delta("Scripted"), *b = sse_delta(" stream");
    server s;
    char *text = script_text(json_pack("[{s:{s:s}, s:[s, {s:s, s:i}, s]}]", "headers",
                                       "x-request-id", "req_scripted", "chunks", a, "data", b,
                                       "delay_ms", 5, "data: [DONE]\n\n"));
    static const char *const pacing[] = {"--stream-delay-ms", "5", "--stream-pieces", "1000", NULL};
    server_start(&s, text, pacing);
    oai_client *c = client_for(&s);
    streamed got;

    oai_response *res = send_streamed(c, "hi", &got);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(got.text, "Scripted stream");
    assert_int_equal(got.text_events, 2);
    assert_string_equal(oai_response_text(res), "Scripted stream");
    assert_string_equal(oai_response_request_id(res), "req_scripted");
    oai_response_free(res);
    res = send_streamed(c, "春天", &got);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(got.text, mock_openai_spring_poem);
    assert_true(got.text_events > 4);   /* finer than the default 4 pieces */
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);
    free(text);
    free(a);
    free(b);
}

/* ---- bad scripts ------------------------------------------------------------------ */

typedef struct bad_script {
    const char *text;       /* NULL: a file that does not exist */
    const char *message;    /* expected in stderr, after the file name */
} bad_script;

static void test_bad_script_exits_2(void **state)
{
    (void)state;
    static const bad_script cases[] = {
        {NULL, ": cannot read the script: No such file or directory"},
        {"[{\"status\": 429,}]", ":1:17: invalid JSON: "},
        {"{\"status\": 429}", ": the script must be a JSON list of replies"},
        {"[{\"status\": 200}, {\"stauts\": 429}]", ": reply 2: unknown key \"stauts\""},
        {"[{\"status\": 42}]", ": reply 1: \"status\" must be an integer from 200 to 599"},
        {"[{\"body\": \"x\", \"chunks\": [\"a\"]}]", ": reply 1: give \"body\" or \"chunks\", not both"},
        {"[{\"fault\": \"explode\"}]", ": reply 1: the fault type must be"},
        {"[{\"body\": \"abc\", \"fault\": {\"type\": \"truncate\", \"after_bytes\": 3}}]",
         ": reply 1: \"truncate\" must send less than the whole body"},
        {"[{\"chunks\": [\"a\"], \"fault\": {\"type\": \"reset\", \"after_bytes\": 1}}]",
         ": reply 1: use \"after_chunks\""},
        {"[{\"headers\": [\"no colon\"]}]", ": reply 1: each header line must be"},
        {"[{\"repeat\": 0}]", ": reply 1: \"repeat\" must be -1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[64] = "/tmp/oai-no-such-script.json";
        if (cases[i].text) {
            temp_path(path, sizeof path, "oai-bad-script");
            write_text(path, cases[i].text);
        }
        char expected[512];
        snprintf(expected, sizeof expected, "oai-mock-server: %s%s", path, cases[i].message);
        char *argv[] = {(char *)OAI_MOCK_SERVER_PATH, (char *)"--script", path, NULL};
        run_result r;
        run_program(&r, NULL, NULL, NULL, argv);
        assert_int_equal(r.exit_code, 2);
        assert_contains(r.err, expected);
        assert_string_equal(r.out, "");   /* it never served */
        run_result_free(&r);
        if (cases[i].text)
            unlink(path);
    }
}

/* A bad reply anywhere in the file queues none of the others. */
static void test_bad_script_queues_nothing(void **state)
{
    (void)state;
    char path[64], err[512];
    temp_path(path, sizeof path, "oai-bad-script");
    write_text(path, "[{\"status\": 429}, {\"status\": 200, \"fault\": \"melt\"}]");
    mock_server *ms = mock_server_start();
    assert_non_null(ms);
    assert_int_equal(mock_script_load(ms, path, err, sizeof err), -1);
    assert_contains(err, ": reply 2: the fault type must be");
    assert_int_equal(mock_server_pending(ms), 0);
    write_text(path, "[{\"status\": 429}, {\"status\": 200, \"repeat\": -1}]");
    assert_int_equal(mock_script_load(ms, path, err, sizeof err), 2);
    assert_int_equal(mock_server_pending(ms), 2);
    mock_server_stop(ms);
    unlink(path);
}

/* ---- the example of docs/testing-your-app.md --------------------------------------- */

/* The first ```json block of the page. */
static char *docs_example(void)
{
    FILE *f = fopen(OAI_SOURCE_DIR "/docs/testing-your-app.md", "r");
    assert_non_null(f);
    static char page[64 * 1024];
    size_t n = fread(page, 1, sizeof page - 1, f);
    fclose(f);
    page[n] = '\0';
    char *start = strstr(page, "```json\n");
    assert_non_null(start);
    start += 8;
    char *end = strstr(start, "```");
    assert_non_null(end);
    return strndup(start, (size_t)(end - start));
}

/* As the page tells: the first call meets the 429 storm and, after oai's
 * two retries, reports it; the second call's stream breaks after "Hello";
 * the third gets the built-in answer. */
static void test_docs_example_script(void **state)
{
    (void)state;
    char *example = docs_example();
    server s;
    server_start(&s, example, NULL);
    oai_client *c = client_for(&s);
    streamed got;

    oai_response *res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_ERR_RATE_LIMIT);
    assert_int_equal(oai_response_retry_count(res), 2);
    oai_response_free(res);
    res = send_streamed(c, "hi", &got);
    assert_int_equal(oai_response_status(res), OAI_ERR_CONNECTION);
    assert_string_equal(got.text, "Hello");
    oai_response_free(res);
    res = send_chat(c, "hi");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: hi");
    oai_response_free(res);
    oai_client_free(c);
    server_stop(&s);
    free(example);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_limit_storm_then_success),
        cmocka_unit_test(test_rate_limit_storm_exhausts_retries),
        cmocka_unit_test(test_stream_reset_midway),
        cmocka_unit_test(test_truncated_body),
        cmocka_unit_test(test_stall_forever),
        cmocka_unit_test(test_reset_at_once_then_builtin),
        cmocka_unit_test(test_scripted_stream_and_stream_delay),
        cmocka_unit_test(test_bad_script_exits_2),
        cmocka_unit_test(test_bad_script_queues_nothing),
        cmocka_unit_test(test_docs_example_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
