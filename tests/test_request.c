/* Unit tests of the request object and the endpoint helpers' bodies (no
 * network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"

static void assert_body(const oai_request *req, const char *want)
{
    char *body = oai_request_body_dup(req);
    assert_non_null(body);
    assert_string_equal(body, want);
    oai_free(body);
}

static void test_pointer_setters(void **state)
{
    (void)state;
    oai_request *r = oai_request_new("POST", "/anything");
    assert_null(oai_request_body_dup(r));
    assert_int_equal(oai_request_set_string(r, "/a/b", "x"), OAI_OK);
    assert_int_equal(oai_request_set_int(r, "/n", -9007199254740993LL), OAI_OK);
    assert_int_equal(oai_request_set_number(r, "/f", 0.5), OAI_OK);
    assert_int_equal(oai_request_set_bool(r, "/t", 7), OAI_OK);
    assert_int_equal(oai_request_set_null(r, "/z"), OAI_OK);
    assert_int_equal(oai_request_set_json(r, "/arr", "[1,2]"), OAI_OK);
    assert_int_equal(oai_request_set_int(r, "/arr/-", 3), OAI_OK);
    assert_int_equal(oai_request_set_string(r, "/x~1y~0z", "esc"), OAI_OK);
    assert_int_equal(oai_request_set_string_len(r, "/nul", "a\0b", 3), OAI_OK);
    assert_body(r, "{\"a\":{\"b\":\"x\"},\"n\":-9007199254740993,\"f\":0.5,\"t\":true,\"z\":null,"
                   "\"arr\":[1,2,3],\"x/y~z\":\"esc\",\"nul\":\"a\\u0000b\"}");
    assert_int_equal(oai_request_set_number(r, "/f", NAN), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_number(r, "/f", INFINITY), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json(r, "/bad", "{nope"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, "/a/b/c", "through a string"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, "no-slash", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, "/arr/9", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, "/s", "\xff\xfe"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(NULL, "/s", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, NULL, "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_remove(r, "/a"), OAI_OK);
    assert_int_equal(oai_request_remove(r, "/a"), OAI_ERR_NOT_FOUND);
    assert_int_equal(oai_request_set_json(r, "", "{\"only\":1}"), OAI_OK);
    assert_body(r, "{\"only\":1}");
    oai_request_free(r);
}

static void test_dup_is_deep(void **state)
{
    (void)state;
    oai_request *r = oai_chat_request_new("m");
    oai_request_add_message(r, "user", "one");
    oai_request_set_query(r, "q", "1");
    oai_request_set_header(r, "X-H", "v");
    oai_request *d = oai_request_dup(r);
    oai_request_add_message(r, "user", "two");
    oai_request_set_query(r, "q", "2");
    assert_body(d, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"}]}");
    assert_string_equal(oai_request_query(d, "q"), "1");
    assert_string_equal(oai_request_query(r, "q"), "2");
    assert_string_equal(oai_request_method(d), "POST");
    assert_string_equal(oai_request_path(d), "/chat/completions");
    assert_int_equal(oai_request_set_query(r, "q", NULL), OAI_OK);
    assert_null(oai_request_query(r, "q"));
    oai_request_free(r);
    oai_request_free(d);
}

static void test_chat_helpers(void **state)
{
    (void)state;
    oai_request *r = oai_chat_request_new("gpt-4o-mini");
    assert_int_equal(oai_request_add_message(r, "developer", "be brief"), OAI_OK);
    assert_int_equal(oai_request_add_message(r, "user", "weather?"), OAI_OK);
    assert_int_equal(oai_request_add_tool(r, "get_weather", "Get the weather",
                                          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"),
                     OAI_OK);
    assert_int_equal(oai_request_add_tool(r, "bad", NULL, "[1]"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_tool_call(r, "call_1", "get_weather", "{\"city\":\"Oslo\"}"), OAI_OK);
    assert_int_equal(oai_request_add_tool_call(r, "call_2", "get_weather", "{\"city\":\"Rome\"}"), OAI_OK);
    assert_int_equal(oai_request_add_tool_result(r, "call_1", "cold"), OAI_OK);
    assert_int_equal(oai_request_add_tool_result(r, "call_2", "warm"), OAI_OK);
    assert_int_equal(oai_request_add_message(r, "assistant", NULL), OAI_OK);
    assert_body(r,
                "{\"model\":\"gpt-4o-mini\",\"messages\":["
                "{\"role\":\"developer\",\"content\":\"be brief\"},"
                "{\"role\":\"user\",\"content\":\"weather?\"},"
                "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}},"
                "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}]},"
                "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"cold\"},"
                "{\"role\":\"tool\",\"tool_call_id\":\"call_2\",\"content\":\"warm\"},"
                "{\"role\":\"assistant\",\"content\":null}],"
                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get the weather\","
                "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]}");
    assert_int_equal(oai_request_add_message(r, NULL, "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_tool_result(r, "", "x"), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(r);
}

static void test_other_helpers(void **state)
{
    (void)state;
    oai_request *r = oai_completion_request_new("gpt-3.5-turbo-instruct", "Say this is a test");
    assert_string_equal(oai_request_path(r), "/completions");
    assert_body(r, "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\"}");
    oai_request_free(r);
    r = oai_embedding_request_new("text-embedding-3-small", "hi");
    assert_body(r, "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}");
    oai_request_free(r);
    r = oai_responses_request_new("gpt-4o", "hi");
    assert_string_equal(oai_request_path(r), "/responses");
    oai_request_free(r);
    r = oai_model_retrieve_request_new("a/b c");
    assert_string_equal(oai_request_path(r), "/models/a%2Fb%20c");
    oai_request_free(r);
    assert_null(oai_completion_request_new("m", NULL));
    assert_null(oai_model_delete_request_new(""));
}

static int noop_event(void *ud, const oai_event *ev)
{
    (void)ud;
    (void)ev;
    return 0;
}

static void test_on_event_sets_stream(void **state)
{
    (void)state;
    oai_request *r = oai_chat_request_new("m");
    assert_int_equal(oai_request_on_event(r, noop_event, NULL), OAI_OK);
    assert_body(r, "{\"model\":\"m\",\"messages\":[],\"stream\":true}");
    assert_int_equal(oai_request_on_event(r, NULL, NULL), OAI_OK);
    assert_body(r, "{\"model\":\"m\",\"messages\":[]}");
    oai_request_free(r);
    r = oai_request_new("GET", "/models");
    assert_int_equal(oai_request_on_event(r, noop_event, NULL), OAI_OK);
    assert_null(oai_request_body_dup(r));
    oai_request_free(r);
}

static void test_parts(void **state)
{
    (void)state;
    oai_request *r = oai_request_new("POST", "/files");
    assert_int_equal(oai_request_add_form_field(r, "purpose", "fine-tune"), OAI_OK);
    assert_int_equal(oai_request_add_data_part(r, "file", "abc", 3, "a.jsonl", NULL), OAI_OK);
    assert_int_equal(oai_request_add_file_part(r, "file", "/nonexistent/file", NULL, NULL), OAI_ERR_IO);
    assert_int_equal(oai_request_add_form_field(r, "", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_data_part(r, "file", NULL, 3, NULL, NULL), OAI_ERR_INVALID_ARGUMENT);
    oai_request *d = oai_request_dup(r);
    assert_non_null(d);
    oai_request_free(d);
    oai_request_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointer_setters),
        cmocka_unit_test(test_dup_is_deep),
        cmocka_unit_test(test_chat_helpers),
        cmocka_unit_test(test_other_helpers),
        cmocka_unit_test(test_on_event_sets_stream),
        cmocka_unit_test(test_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
