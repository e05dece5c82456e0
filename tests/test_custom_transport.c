/*
 * examples/custom_transport.c, run as a child process against the scripted
 * mock server: a host transport written only against the public headers
 * drives a chat, a stream, a retry, an upload and a pager. It needs no
 * libcurl, so this suite runs in the build without it too
 * (OAI_WITH_CURL=OFF), showing that such a liboai works end to end.
 *
 * The example's path comes from OAI_EXAMPLE_CUSTOM_TRANSPORT_PATH
 * (tests/extra.cmake); without it (the examples are not built) every test
 * is skipped.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "mock_multipart.h"
#include "mock_server.h"
#include "mock_state.h"
#include "recorded_json.h"

#include "child_process.h"

#ifdef OAI_EXAMPLE_CUSTOM_TRANSPORT_PATH
#define EXAMPLES_BUILT 1
#else
#define EXAMPLES_BUILT 0
#define OAI_EXAMPLE_CUSTOM_TRANSPORT_PATH ""
#endif

static const char *json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

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

/* ------------------------------------------------------------------------ */
/* examples/custom_transport.c: a host transport over raw sockets, driving
 * five calls. Each run checks what it printed and what the server saw. */

/* The training file the example writes and uploads. */
static const char custom_transport_jsonl[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"},"
    "{\"role\":\"assistant\",\"content\":\"Hi! How can I help?\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Bye\"},"
    "{\"role\":\"assistant\",\"content\":\"Goodbye!\"}]}\n";

static const char rate_limit_body[] =
    "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini\",\"type\":\"requests\","
    "\"code\":\"rate_limit_exceeded\"}}";

/* Answers the example's third call (the only one on /v1/responses) with a
 * 429 that asks for a 20 ms wait, `times` times (-1: always). */
static void push_rate_limit(mock_server *ms, int times)
{
    mock_reply reply;

    memset(&reply, 0, sizeof reply);
    reply.status = 429;
    reply.headers = "retry-after-ms: 20\r\nx-request-id: req_ct429\r\n";
    reply.body = rate_limit_body;
    assert_int_equal(mock_server_push_matching(ms, &reply, "POST", "/v1/responses", times), 0);
}

/* Runs the example, the base URL given as its argument (url_arg) or in
 * OPENAI_BASE_URL (env_url). */
static void run_custom_transport(run_result *r, const char *url_arg, const char *env_url)
{
    char *argv[] = { (char *)OAI_EXAMPLE_CUSTOM_TRANSPORT_PATH, (char *)url_arg, NULL };

    if (!EXAMPLES_BUILT)
        skip();
    run_program(r, env_url, "sk-test", NULL, argv);
}

/* The line of `out` that starts with `prefix`, copied into line[size]
 * without its newline; fails the test when there is none. */
static void output_line(const char *out, const char *prefix, char *line, size_t size)
{
    const char *p = out;
    size_t len;

    while (p && strncmp(p, prefix, strlen(prefix)) != 0) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p || !*p)
        fail_msg("no line starting with \"%s\" in:\n%s", prefix, out);
    len = strcspn(p, "\n");
    assert_true(len < size);
    memcpy(line, p, len);
    line[len] = '\0';
}

/* "2. stream deltas: [a][b][c]": at least two deltas, which together make
 * `text`. */
static void assert_deltas(const char *line, const char *text)
{
    const char *p = line + strlen("2. stream deltas: ");
    char joined[256] = "";
    size_t n = 0;
    int deltas = 0;

    while (*p == '[') {
        const char *close = strchr(p, ']');
        assert_non_null(close);
        assert_true(n + (size_t)(close - p - 1) < sizeof joined);
        memcpy(joined + n, p + 1, (size_t)(close - p - 1));
        n += (size_t)(close - p - 1);
        joined[n] = '\0';
        deltas++;
        p = close + 1;
    }
    assert_string_equal(p, "");
    assert_true(deltas >= 2);
    assert_string_equal(joined, text);
}

/* What every request through the example's transport carries. */
static void assert_transport_headers(mock_server *ms, const mock_request *req)
{
    char host[64];

    snprintf(host, sizeof host, "127.0.0.1:%d", mock_server_port(ms));
    assert_string_equal(mock_request_header(req, "Host"), host);
    assert_string_equal(mock_request_header(req, "Authorization"), "Bearer sk-test");
    assert_string_equal(mock_request_header(req, "Connection"), "close"); /* not curl's */
    assert_non_null(mock_request_header(req, "User-Agent"));
    if (req->body_len > 0 || strcmp(req->method, "POST") == 0) {
        char length[32];
        snprintf(length, sizeof length, "%zu", req->body_len);
        assert_string_equal(mock_request_header(req, "Content-Length"), length);
    }
}

/* The multipart upload arrived whole: the purpose and the file's bytes. */
static void assert_upload_request(const mock_request *req)
{
    const mock_form_part *purpose = mock_form_get(&req->form, "purpose");
    const mock_form_part *file = mock_form_get(&req->form, "file");

    assert_string_equal(req->method, "POST");
    assert_string_equal(req->path, "/v1/files");
    assert_true(strncmp(mock_request_header(req, "Content-Type"), "multipart/form-data; boundary=",
                        strlen("multipart/form-data; boundary=")) == 0);
    assert_true(req->form.present);
    assert_true(req->form.complete);
    assert_non_null(purpose);
    assert_string_equal(purpose->data, "fine-tune");
    assert_non_null(file);
    assert_string_equal(file->filename, "train.jsonl");
    assert_int_equal(file->size, strlen(custom_transport_jsonl));
    assert_non_null(file->data);
    assert_memory_equal(file->data, custom_transport_jsonl, file->size);
}

static void test_custom_transport_example(void **state)
{
    mock_server *ms = *state;
    run_result r;
    json_t *body;
    char line[512], file_id[64], expected[2048];
    int frames = -1;
    const mock_request *req;

    push_rate_limit(ms, 1);
    run_custom_transport(&r, mock_server_url(ms), NULL); /* the URL as the argument */
    if (r.exit_code != 0)
        fail_msg("exit %d; stderr:\n%s\nstdout:\n%s", r.exit_code, r.err, r.out);
    assert_string_equal(r.err, "");

    /* What it printed: the parts that vary are the streamed pieces, the
     * file id and the number of frames the loop drew while it waited. */
    output_line(r.out, "2. stream deltas: ", line, sizeof line);
    assert_deltas(line, "Echo: Count to five.");
    output_line(r.out, "3. frame loop: ", expected, sizeof expected);
    assert_int_equal(sscanf(expected, "3. frame loop: Echo: Are you still there? (retries: 1, frames: %d)",
                            &frames), 1);
    assert_true(frames >= 1);
    output_line(r.out, "4. upload: ", expected, sizeof expected);
    assert_int_equal(sscanf(expected, "4. upload: %63s", file_id), 1);
    assert_true(strncmp(file_id, "file-", 5) == 0);
    snprintf(expected, sizeof expected,
             "1. chat: Echo: Say hello.\n"
             "%s\n"
             "2. stream text: Echo: Count to five.\n"
             "   retry 1 in 20 ms after OAI_ERR_RATE_LIMIT (HTTP 429)\n"
             "3. frame loop: Echo: Are you still there? (retries: 1, frames: %d)\n"
             "4. upload: %s (train.jsonl, %zu bytes)\n"
             "5. file: %s (train.jsonl)\n"
             "5. files listed: 1\n",
             line, frames, file_id, strlen(custom_transport_jsonl), file_id);
    assert_string_equal(r.out, expected);

    /* What the server saw: six requests, each with every header the
     * library lists, framed by the example's own HTTP/1.1 code. */
    assert_int_equal(mock_server_request_count(ms), 6);
    for (size_t i = 0; i < 6; i++)
        assert_transport_headers(ms, mock_server_request(ms, i));

    req = mock_server_request(ms, 0); /* 1. the chat completion */
    assert_string_equal(req->method, "POST");
    assert_string_equal(req->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(req, "Content-Type"), "application/json");
    body = request_json(ms, 0);
    assert_string_equal(json_str(body, "model"), "gpt-4o-mini");
    assert_string_equal(json_str(json_array_get(json_object_get(body, "messages"), 0), "content"),
                        "Say hello.");
    assert_false(json_is_true(json_object_get(body, "stream")));
    json_decref(body);

    req = mock_server_request(ms, 1); /* 2. the streamed chat */
    assert_string_equal(req->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(req, "Accept"), "text/event-stream");
    body = request_json(ms, 1);
    assert_true(json_is_true(json_object_get(body, "stream")));
    json_decref(body);

    /* 3. the 429, then the retry: the same request, its retry count sent */
    for (size_t i = 2; i <= 3; i++) {
        req = mock_server_request(ms, i);
        assert_string_equal(req->method, "POST");
        assert_string_equal(req->path, "/v1/responses");
        assert_string_equal(mock_request_header(req, "x-stainless-retry-count"), i == 2 ? "0" : "1");
        body = request_json(ms, i);
        assert_string_equal(json_str(body, "input"), "Are you still there?");
        json_decref(body);
    }
    assert_string_equal(mock_server_request(ms, 2)->body, mock_server_request(ms, 3)->body);

    assert_upload_request(mock_server_request(ms, 4)); /* 4. the upload */

    req = mock_server_request(ms, 5); /* 5. the one page of the list */
    assert_string_equal(req->method, "GET");
    assert_string_equal(req->path, "/v1/files");
    assert_string_equal(req->query, "limit=2");
    assert_int_equal(req->body_len, 0);
    assert_int_equal(mock_server_pending(ms), 0);
    run_result_free(&r);
}

/* The pager follows the cursor page after page, through the transport;
 * the base URL comes from OPENAI_BASE_URL. */
static void test_custom_transport_example_pages(void **state)
{
    mock_server *ms = *state;
    run_result r;
    mock_reply page;
    const mock_request *req;

    memset(&page, 0, sizeof page);
    page.status = 200;
    page.body = "{\"object\":\"list\",\"data\":[{\"id\":\"file-a\",\"object\":\"file\",\"filename\":\"a.jsonl\"},"
                "{\"id\":\"file-b\",\"object\":\"file\",\"filename\":\"b.jsonl\"}],"
                "\"has_more\":true,\"first_id\":\"file-a\",\"last_id\":\"file-b\"}";
    assert_int_equal(mock_server_push_matching(ms, &page, "GET", "/v1/files", 1), 0);
    page.body = "{\"object\":\"list\",\"data\":[{\"id\":\"file-c\",\"object\":\"file\",\"filename\":\"c.jsonl\"}],"
                "\"has_more\":false,\"first_id\":\"file-c\",\"last_id\":\"file-c\"}";
    assert_int_equal(mock_server_push_matching(ms, &page, "GET", "/v1/files", 1), 0);

    run_custom_transport(&r, NULL, mock_server_url(ms));
    if (r.exit_code != 0)
        fail_msg("exit %d; stderr:\n%s", r.exit_code, r.err);
    assert_contains(r.out, "3. frame loop: Echo: Are you still there? (retries: 0, frames: ");
    assert_not_contains(r.out, "retry 1");
    assert_contains(r.out, "5. file: file-a (a.jsonl)\n"
                           "5. file: file-b (b.jsonl)\n"
                           "5. file: file-c (c.jsonl)\n"
                           "5. files listed: 3\n");

    assert_int_equal(mock_server_request_count(ms), 6); /* no retry, two pages */
    req = mock_server_request(ms, 4);
    assert_string_equal(req->path, "/v1/files");
    assert_string_equal(req->query, "limit=2");
    req = mock_server_request(ms, 5);
    assert_string_equal(req->path, "/v1/files");
    assert_contains(req->query, "limit=2");
    assert_contains(req->query, "after=file-b");
    run_result_free(&r);
}

/* A response cut short (Content-Length announced, connection closed) is a
 * connection failure the transport reports; the library retries it. */
static void test_custom_transport_example_broken_response(void **state)
{
    mock_server *ms = *state;
    run_result r;
    mock_reply reply;
    char body[256];

    snprintf(body, sizeof body,
             "{\"id\":\"chatcmpl-x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
             "\"message\":{\"role\":\"assistant\",\"content\":\"never seen whole\"}}]}");
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = body;
    reply.fault = MOCK_FAULT_CLOSE_MID_BODY;
    reply.fault_after = 20;
    assert_int_equal(mock_server_push_matching(ms, &reply, "POST", "/v1/chat/completions", 1), 0);

    run_custom_transport(&r, mock_server_url(ms), NULL);
    if (r.exit_code != 0)
        fail_msg("exit %d; stderr:\n%s", r.exit_code, r.err);
    assert_true(strncmp(r.out, "   retry 1 in ", strlen("   retry 1 in ")) == 0);
    assert_contains(r.out, " ms after OAI_ERR_CONNECTION (HTTP 200)\n1. chat: Echo: Say hello.\n");
    assert_contains(r.out, "5. files listed: 1\n");
    assert_int_equal(mock_server_request_count(ms), 6); /* the chat twice, then four */
    assert_string_equal(mock_server_request(ms, 1)->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(mock_server_request(ms, 1), "x-stainless-retry-count"), "1");
    run_result_free(&r);
}

/* A step that fails for good ends the program with its reason. */
static void test_custom_transport_example_reports_error(void **state)
{
    mock_server *ms = *state;
    run_result r;

    push_rate_limit(ms, -1);
    run_custom_transport(&r, mock_server_url(ms), NULL);
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.out, "   retry 1 in 20 ms after OAI_ERR_RATE_LIMIT (HTTP 429)\n"
                           "   retry 2 in 20 ms after OAI_ERR_RATE_LIMIT (HTTP 429)\n");
    assert_not_contains(r.out, "3. frame loop");
    assert_not_contains(r.out, "4. upload");
    assert_contains(r.err, "frame loop call failed: OAI_ERR_RATE_LIMIT: Rate limit reached for gpt-4o-mini "
                           "(request req_ct429)");
    assert_int_equal(mock_server_request_count(ms), 5); /* two, then three tries */
    run_result_free(&r);
}

/* TLS is the host's HTTP stack's job: this transport refuses https://. */
static void test_custom_transport_example_refuses_https(void **state)
{
    run_result r;

    (void)state;
    run_custom_transport(&r, "https://127.0.0.1:1/v1", NULL);
    assert_int_not_equal(r.exit_code, 0);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "chat completion failed: OAI_ERR_INVALID_ARGUMENT");
    assert_contains(r.err, "plain http:// only");
    run_result_free(&r);
}

/* Nothing listens: the connect fails, is retried, and is reported. */
static void test_custom_transport_example_connection_refused(void **state)
{
    char url[64];
    run_result r;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", mock_unused_port());
    run_custom_transport(&r, url, NULL);
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.out, "   retry 2 in ");
    assert_contains(r.err, "chat completion failed: OAI_ERR_CONNECTION");
    run_result_free(&r);
}

/* Without a base URL it says how to run it. */
static void test_custom_transport_example_usage(void **state)
{
    run_result r;

    (void)state;
    run_custom_transport(&r, NULL, NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "usage: ");
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_custom_transport_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_transport_example_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_transport_example_broken_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_transport_example_reports_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_transport_example_refuses_https, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_transport_example_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_transport_example_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
