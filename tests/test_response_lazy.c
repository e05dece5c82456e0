/* A response's JSON is validated when it arrives and its tree built only
 * when an accessor needs it (issue 10); oai_response_text() reads the
 * generated text without a tree. These tests hold the lazy response to
 * what an eagerly parsed one gives: the same status and message for every
 * body (valid, malformed, not JSON, declared or not), the same document
 * from oai_response_json() whichever accessor comes first, the same text
 * (escapes, duplicate members, null content, the legacy and Responses API
 * shapes), and the same again on a workflow's copy of the response.
 *
 * Every case runs through the in-memory transport, whole and split at
 * every byte, and, where libcurl is built in, through the real transport
 * to the mock server on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "memory_transport.h"
#include "mock_server.h"
#include "oai.h"
#include "workflows/workflow.h"

static mock_server *server; /* NULL without libcurl */

typedef struct lazy_case {
    const char *name;
    const char *body;
    const char *content_type; /* NULL: application/json */
    oai_status status;
    const char *message;      /* the error message (exact), for a failure */
    const char *text;         /* oai_response_text(), or NULL */
} lazy_case;

static const lazy_case cases[] = {
    {"chat", "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"}}]}",
     NULL, OAI_OK, NULL, "Hello"},
    {"pretty", "{\n  \"id\": \"c2\",\n  \"choices\": [\n    {\n      \"message\": {\n        \"content\": \"Pretty\"\n"
               "      }\n    }\n  ],\n  \"usage\": {\"total_tokens\": 3}\n}\n",
     NULL, OAI_OK, NULL, "Pretty"},
    {"escapes", "{\"choices\":[{\"message\":{\"content\":\"a\\nb \\\"q\\\" \\u00e9\\uD83D\\uDE00 \\/ \\\\\"}}]}", NULL,
     OAI_OK, NULL, "a\nb \"q\" \xc3\xa9\xf0\x9f\x98\x80 / \\"},
    {"nul in content", "{\"choices\":[{\"message\":{\"content\":\"before\\u0000after\"}}]}", NULL, OAI_OK, NULL,
     "before"},
    {"duplicate content", "{\"choices\":[{\"message\":{\"content\":\"first\",\"content\":\"last\"}}]}", NULL, OAI_OK,
     NULL, "last"},
    {"duplicate choices", "{\"choices\":[{\"message\":{\"content\":\"gone\"}}],\"choices\":[{\"text\":\"legacy\"}]}",
     NULL, OAI_OK, NULL, "legacy"},
    {"null content, legacy text", "{\"choices\":[{\"message\":{\"content\":null},\"text\":\"t\"}]}", NULL, OAI_OK,
     NULL, "t"},
    {"tool call", "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"x\"}]}}]}", NULL, OAI_OK,
     NULL, NULL},
    {"legacy completion", "{\"object\":\"text_completion\",\"choices\":[{\"text\":\"old style\",\"index\":0}]}", NULL,
     OAI_OK, NULL, "old style"},
    {"choices by name", "{\"choices\":{\"0\":{\"message\":{\"content\":\"member zero\"}}}}", NULL, OAI_OK, NULL,
     "member zero"},
    {"responses api",
     "{\"object\":\"response\",\"output\":[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":"
     "\"part one, \"},{\"type\":\"refusal\"},{\"type\":\"output_text\",\"text\":\"part two\"}]}]}",
     NULL, OAI_OK, NULL, "part one, part two"},
    {"flat output_text", "{\"object\":\"response\",\"output_text\":\"flat\"}", NULL, OAI_OK, NULL, "flat"},
    {"list", "{\"object\":\"list\",\"data\":[{\"id\":\"m1\"},{\"id\":\"m2\"}],\"has_more\":false}", NULL, OAI_OK, NULL,
     NULL},
    {"byte order mark", "\xef\xbb\xbf{\"choices\":[{\"message\":{\"content\":\"bom\"}}]}", NULL, OAI_OK, NULL, "bom"},
    {"top-level array", "[1,2,{\"a\":\"b\"}]", NULL, OAI_OK, NULL, NULL},
    {"bare string, declared", "\"just a string\"", NULL, OAI_OK, NULL, NULL},
    {"object, undeclared", "{\"choices\":[{\"message\":{\"content\":\"sniffed\"}}]}", "text/plain", OAI_OK, NULL,
     "sniffed"},
    {"bare word, undeclared", "true", "text/plain", OAI_ERR_PROTOCOL, "expected JSON, got text/plain", NULL},
    {"html", "<html><body>Bad gateway</body></html>", "text/html; charset=utf-8", OAI_ERR_PROTOCOL,
     "expected JSON, got text/html", NULL},
    {"truncated", "{\"choices\":[{\"message\":{\"content\":\"cut", NULL, OAI_ERR_PROTOCOL,
     "the server answered 2xx with a body that is not valid JSON", NULL},
    {"trailing garbage", "{\"a\":1} x", NULL, OAI_ERR_PROTOCOL,
     "the server answered 2xx with a body that is not valid JSON", NULL},
    {"bad utf-8", "{\"choices\":[{\"message\":{\"content\":\"\xc0\xaf\"}}]}", NULL, OAI_ERR_PROTOCOL,
     "the server answered 2xx with a body that is not valid JSON", NULL},
    {"integer overflow", "{\"n\":9223372036854775808}", NULL, OAI_ERR_PROTOCOL,
     "the server answered 2xx with a body that is not valid JSON", NULL},
    {"real overflow", "{\"n\":1e999}", NULL, OAI_ERR_PROTOCOL,
     "the server answered 2xx with a body that is not valid JSON", NULL},
    {"nul in a key", "{\"k\\u0000\":1}", NULL, OAI_ERR_PROTOCOL,
     "the server answered 2xx with a body that is not valid JSON", NULL},
    {"malformed, undeclared", "{\"a\":", "text/plain", OAI_ERR_PROTOCOL, "expected JSON, got text/plain", NULL},
};

/* ---- checks ------------------------------------------------------------------ */

/* The document as an eager parse gives it, serialised; NULL when it does
 * not parse. */
static char *reference_dump(const char *body)
{
    oai_status st;
    oai_value *doc = oai__json_parse(body, strlen(body), &st);
    char *text = doc ? oai__json_dump(doc, NULL) : NULL;
    oai__json_decref(doc);
    return text;
}

static void expect_document(const lazy_case *c, const oai_response *res)
{
    char *want = c->status == OAI_OK ? reference_dump(c->body) : NULL;
    const oai_value *doc = oai_response_json(res);
    if (!want) {
        if (doc)
            fail_msg("%s: a failed response has a document", c->name);
        return;
    }
    if (!doc)
        fail_msg("%s: no document", c->name);
    char *got = oai__json_dump(doc, NULL);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: document\n  got  %s\n  want %s", c->name, got, want);
    assert_ptr_equal(oai_response_json(res), doc); /* built once */
    oai_free(got);
    oai_free(want);
}

static void expect_text(const lazy_case *c, const oai_response *res)
{
    const char *text = oai_response_text(res);
    if (!c->text) {
        if (text)
            fail_msg("%s: text \"%s\", want none", c->name, text);
        return;
    }
    if (!text || strcmp(text, c->text) != 0)
        fail_msg("%s: text \"%s\", want \"%s\"", c->name, text ? text : "(null)", c->text);
    assert_ptr_equal(oai_response_text(res), text); /* the same string every time */
}

static void expect_outcome(const lazy_case *c, const oai_response *res)
{
    assert_non_null(res);
    if (oai_response_status(res) != c->status)
        fail_msg("%s: status %s, want %s (%s)", c->name, oai_status_name(oai_response_status(res)),
                 oai_status_name(c->status), oai_response_error_message(res) ? oai_response_error_message(res) : "");
    assert_int_equal(oai_response_http_status(res), 200);
    if (c->message && strcmp(oai_response_error_message(res), c->message) != 0)
        fail_msg("%s: message \"%s\", want \"%s\"", c->name, oai_response_error_message(res), c->message);
}

/* One case's response, read in one of three orders: the text first, the
 * document first, or a field by pointer first (and, on a workflow's copy
 * of it, all again). */
static void check_response(const lazy_case *c, const oai_response *res, int order)
{
    expect_outcome(c, res);
    switch (order % 3) {
    case 0:
        expect_text(c, res);
        expect_document(c, res);
        break;
    case 1:
        expect_document(c, res);
        expect_text(c, res);
        break;
    default: {
        char *want = c->status == OAI_OK ? reference_dump(c->body) : NULL;
        const char *id = oai_response_get_string(res, "/id");
        oai_status st;
        oai_value *ref = want ? oai__json_parse(want, strlen(want), &st) : NULL;
        const char *want_id = oai_value_get_string(ref, "/id");
        if ((id == NULL) != (want_id == NULL) || (id && strcmp(id, want_id) != 0))
            fail_msg("%s: /id \"%s\", want \"%s\"", c->name, id ? id : "(null)", want_id ? want_id : "(null)");
        oai__json_decref(ref);
        oai_free(want);
        expect_text(c, res);
        expect_document(c, res);
    }
    }
}

static oai_client *new_client(const char *base_url)
{
    oai_client *client = oai_client_new();
    assert_non_null(client);
    assert_int_equal(oai_client_set_base_url(client, base_url), OAI_OK);
    assert_int_equal(oai_client_set_api_key(client, "sk-test-lazy"), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(client, 0), OAI_OK);
    return client;
}

static oai_request *chat_request(void)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    assert_int_equal(oai_chat_request_add_message(req, "user", "hi"), OAI_OK);
    return req;
}

static mock_reply reply_of(const lazy_case *c)
{
    mock_reply reply;
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = c->body;
    reply.content_type = c->content_type;
    return reply;
}

/* ---- the tests --------------------------------------------------------------- */

static void run_memory(int split)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const lazy_case *c = &cases[i];
        oai_client *client = new_client("http://127.0.0.1:9/v1");
        memory_transport *mt = memory_transport_new();
        assert_non_null(mt);
        memory_transport_set_split_bytes(mt, split);
        assert_int_equal(memory_transport_attach(mt, client), OAI_OK);
        mock_reply reply = reply_of(c);
        assert_int_equal(memory_transport_push(mt, &reply), 0);
        oai_request *req = chat_request();
        oai_response *res = oai_client_send(client, req);
        check_response(c, res, (int)i + split);
        oai_response_free(res);
        oai_request_free(req);
        oai_client_free(client);
        memory_transport_free(mt);
    }
}

static void test_memory_transport(void **state)
{
    (void)state;
    run_memory(0);
}

static void test_memory_transport_every_byte_split(void **state)
{
    (void)state;
    run_memory(1);
}

static void test_curl_transport(void **state)
{
    (void)state;
    if (!server) {
        print_message("built without libcurl: the in-memory transport's runs stand for this one\n");
        return;
    }
    oai_client *client = new_client(mock_server_url(server));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const lazy_case *c = &cases[i];
        mock_server_reset(server);
        mock_reply reply = reply_of(c);
        mock_server_push(server, &reply);
        oai_request *req = chat_request();
        oai_response *res = oai_client_send(client, req);
        check_response(c, res, (int)i + 2);
        oai_response_free(res);
        oai_request_free(req);
    }
    oai_client_free(client);
}

/* A workflow hands out a copy of its call's response (the pager's page,
 * the batch waiter's batch): the copy has the same document, still to be
 * built or already built, and the same text. */
static void test_workflow_copy(void **state)
{
    (void)state;
    for (int built = 0; built < 2; built++) {
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            const lazy_case *c = &cases[i];
            oai_client *client = new_client("http://127.0.0.1:9/v1");
            memory_transport *mt = memory_transport_new();
            assert_non_null(mt);
            assert_int_equal(memory_transport_attach(mt, client), OAI_OK);
            mock_reply reply = reply_of(c);
            assert_int_equal(memory_transport_push(mt, &reply), 0);
            oai_request *req = chat_request();
            oai_response *res = oai_client_send(client, req);
            if (built)
                (void)oai_response_json(res);
            oai_response *copy = oai__workflow_response_copy(res);
            assert_non_null(copy);
            oai_response_free(res); /* the copy stands alone */
            check_response(c, copy, (int)i);
            oai_response_free(copy);
            oai_request_free(req);
            oai_client_free(client);
            memory_transport_free(mt);
        }
    }
}

static int group_setup(void **state)
{
    (void)state;
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_LOG");
    oai_status st;
    oai_transport *probe = oai_transport_curl_new(&st);
    int have_curl = probe != NULL;
    oai_transport_free(probe);
    if (have_curl && !(server = mock_server_start()))
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (server)
        mock_server_stop(server);
    server = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_transport),
        cmocka_unit_test(test_memory_transport_every_byte_split),
        cmocka_unit_test(test_curl_transport),
        cmocka_unit_test(test_workflow_copy),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
