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
#include "sticky.h"

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
    assert_int_equal(oai_request_remove_field(r, "/a"), OAI_OK);
    assert_int_equal(oai_request_remove_field(r, "/a"), OAI_ERR_NOT_FOUND);
    assert_int_equal(oai_request_set_json(r, "", "{\"only\":1}"), OAI_OK);
    assert_body(r, "{\"only\":1}");
    oai_request_free(r);
}

static void test_dup_is_deep(void **state)
{
    (void)state;
    oai_request *r = oai_chat_completion_create_request_new("m");
    oai_chat_request_add_message(r, "user", "one");
    oai_request_set_query(r, "q", "1");
    oai_request_set_header(r, "X-H", "v");
    oai_request *d = oai_request_clone(r);
    oai_chat_request_add_message(r, "user", "two");
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
    oai_request *r = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_int_equal(oai_chat_request_add_message(r, "developer", "be brief"), OAI_OK);
    assert_int_equal(oai_chat_request_add_message(r, "user", "weather?"), OAI_OK);
    assert_int_equal(oai_chat_request_add_tool(r, "get_weather", "Get the weather",
                                          "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"),
                     OAI_OK);
    assert_int_equal(oai_chat_request_add_tool(r, "bad", NULL, "[1]"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_chat_request_add_tool_call(r, "call_1", "get_weather", "{\"city\":\"Oslo\"}"), OAI_OK);
    assert_int_equal(oai_chat_request_add_tool_call(r, "call_2", "get_weather", "{\"city\":\"Rome\"}"), OAI_OK);
    assert_int_equal(oai_chat_request_add_tool_result(r, "call_1", "cold"), OAI_OK);
    assert_int_equal(oai_chat_request_add_tool_result(r, "call_2", "warm"), OAI_OK);
    assert_int_equal(oai_chat_request_add_message(r, "assistant", NULL), OAI_OK);
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
    assert_int_equal(oai_chat_request_add_message(r, NULL, "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_chat_request_add_tool_result(r, "", "x"), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(r);
}

static void test_other_helpers(void **state)
{
    (void)state;
    oai_request *r = oai_completion_create_request_new("gpt-3.5-turbo-instruct", "Say this is a test");
    assert_string_equal(oai_request_path(r), "/completions");
    assert_body(r, "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"Say this is a test\"}");
    oai_request_free(r);
    r = oai_embedding_create_request_new("text-embedding-3-small", "hi");
    assert_body(r, "{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}");
    oai_request_free(r);
    r = oai_response_create_request_new("gpt-4o", "hi");
    assert_string_equal(oai_request_path(r), "/responses");
    oai_request_free(r);
    r = oai_model_retrieve_request_new("a/b c");
    assert_string_equal(oai_request_path(r), "/models/a%2Fb%20c");
    oai_request_free(r);
    assert_request_failed(oai_completion_create_request_new("m", NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_model_delete_request_new(""), OAI_ERR_INVALID_ARGUMENT);
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
    oai_request *r = oai_chat_completion_create_request_new("m");
    assert_int_equal(oai_request_set_event_callback(r, noop_event, NULL), OAI_OK);
    assert_body(r, "{\"model\":\"m\",\"messages\":[],\"stream\":true}");
    assert_int_equal(oai_request_set_event_callback(r, NULL, NULL), OAI_OK);
    assert_body(r, "{\"model\":\"m\",\"messages\":[]}");
    oai_request_free(r);
    r = oai_request_new("GET", "/models");
    assert_int_equal(oai_request_set_event_callback(r, noop_event, NULL), OAI_OK);
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
    oai_request *d = oai_request_clone(r);
    assert_non_null(d);
    oai_request_free(d);
    oai_request_free(r);
}

/* ---- nesting limit (issue 7, item 8) ------------------------------------- */

/* The deepest document a request body may hold, in nested containers: the
 * parser's limit (docs: oai_request_set_string), so every body the library
 * builds also parses back. */
#define MAX_DEPTH 512

/* "/a/a/.../a" with `levels` tokens (malloc'd). */
static char *deep_pointer(size_t levels)
{
    char *p = malloc(2 * levels + 1);
    assert_non_null(p);
    for (size_t i = 0; i < levels; i++)
        memcpy(p + 2 * i, "/a", 2);
    p[2 * levels] = '\0';
    return p;
}

/* `levels` nested arrays around 1: "[[1]]" for 2 (malloc'd). */
static char *nested_arrays(size_t levels)
{
    char *s = malloc(2 * levels + 2);
    assert_non_null(s);
    memset(s, '[', levels);
    s[levels] = '1';
    memset(s + levels + 1, ']', levels);
    s[2 * levels + 1] = '\0';
    return s;
}

/* The body that a pointer of `levels` "a" tokens holding 1 serialises to. */
static char *nested_objects_body(size_t levels)
{
    char *s = malloc(6 * levels + 2);
    assert_non_null(s);
    size_t n = 0;
    for (size_t i = 0; i < levels; i++) {
        memcpy(s + n, "{\"a\":", 5);
        n += 5;
    }
    s[n++] = '1';
    memset(s + n, '}', levels);
    s[n + levels] = '\0';
    return s;
}

/* A 100,000-level pointer used to be accepted, and serialising (or even
 * freeing) the body then overflowed the stack. Every setter refuses it and
 * leaves the body as it was. */
static void test_deep_pointer_refused(void **state)
{
    (void)state;
    char *deep = deep_pointer(100000);
    oai_request *r = oai_request_new("POST", "/anything");
    assert_int_equal(oai_request_set_int(r, deep, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_request_body_dup(r));
    assert_int_equal(oai_request_set_string(r, "/kept", "yes"), OAI_OK);
    assert_int_equal(oai_request_set_int(r, deep, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, deep, "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string_len(r, deep, "x", 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_number(r, deep, 0.5), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_bool(r, deep, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_null(r, deep), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json(r, deep, "{}"), OAI_ERR_INVALID_ARGUMENT);
    /* Below an existing member, too. */
    size_t below_len = strlen(deep) + 8;
    char *below = malloc(below_len);
    assert_non_null(below);
    snprintf(below, below_len, "/kept%s", deep);
    assert_int_equal(oai_request_set_int(r, below, 1), OAI_ERR_INVALID_ARGUMENT);
    free(below);
    assert_body(r, "{\"kept\":\"yes\"}");
    oai_request *d = oai_request_clone(r);
    assert_body(d, "{\"kept\":\"yes\"}");
    oai_request_free(d);
    oai_request_free(r);
    free(deep);
}

/* A pointer of exactly the limit works and serialises; one more token is
 * refused. */
static void test_pointer_at_depth_limit(void **state)
{
    (void)state;
    char *at_limit = deep_pointer(MAX_DEPTH);
    char *over = deep_pointer(MAX_DEPTH + 1);
    char *want = nested_objects_body(MAX_DEPTH);
    oai_request *r = oai_request_new("POST", "/anything");
    assert_int_equal(oai_request_set_int(r, over, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_request_body_dup(r));
    assert_int_equal(oai_request_set_int(r, at_limit, 1), OAI_OK);
    assert_body(r, want);
    /* The body parses back: as the value of a set at "" (nesting 512). */
    char *body = oai_request_body_dup(r);
    oai_request *copy = oai_request_new("POST", "/anything");
    assert_int_equal(oai_request_set_json(copy, "", body), OAI_OK);
    assert_body(copy, want);
    oai_free(body);
    oai_request_free(copy);
    /* A container at the deepest level would be level 513. */
    assert_int_equal(oai_request_set_json(r, at_limit, "{}"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json(r, at_limit, "[]"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_string(r, at_limit, "scalar fits"), OAI_OK);
    oai_request_free(r);
    free(at_limit);
    free(over);
    free(want);
}

/* oai_request_set_json(): the pointer's depth plus the value's own nesting
 * must stay within the limit. */
static void test_set_json_combined_depth(void **state)
{
    (void)state;
    char *pointer = deep_pointer(500);
    char *fits = nested_arrays(MAX_DEPTH - 500);     /* 500 + 12 = 512 */
    char *too_deep = nested_arrays(MAX_DEPTH - 499); /* 500 + 13 = 513 */
    char *deepest = nested_arrays(MAX_DEPTH);        /* parses; fits only at "" */
    oai_request *r = oai_request_new("POST", "/anything");
    assert_int_equal(oai_request_set_json(r, pointer, too_deep), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_request_body_dup(r));
    assert_int_equal(oai_request_set_json(r, pointer, fits), OAI_OK);
    assert_int_equal(oai_request_set_json(r, pointer, too_deep), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json(r, "/x", deepest), OAI_ERR_INVALID_ARGUMENT);
    char *below_limit = nested_arrays(MAX_DEPTH - 1);
    assert_int_equal(oai_request_set_json(r, "/x", below_limit), OAI_OK); /* 1 + 511 */
    free(below_limit);
    assert_int_equal(oai_request_set_json(r, "", deepest), OAI_OK);
    assert_body(r, deepest);
    oai_request_free(r);
    free(pointer);
    free(fits);
    free(too_deep);
    free(deepest);
}

/* A tool's parameters schema sits four levels down (tools, the tool, its
 * function, parameters): its nesting counts with them. */
static void test_tool_parameters_depth(void **state)
{
    (void)state;
    /* {"a":{"a":...{}}}: `levels` nested objects. */
    char schema[6 * MAX_DEPTH + 4];
    size_t levels = MAX_DEPTH - 4, n = 0;
    for (size_t i = 0; i + 1 < levels; i++) {
        memcpy(schema + n, "{\"a\":", 5);
        n += 5;
    }
    memcpy(schema + n, "{}", 2);
    n += 2;
    memset(schema + n, '}', levels - 1);
    schema[n + levels - 1] = '\0';
    oai_request *r = oai_chat_completion_create_request_new("m");
    assert_int_equal(oai_chat_request_add_tool(r, "fits", NULL, schema), OAI_OK);
    /* One level more ({"a": schema}) is refused, and no tool is added. */
    char deeper[sizeof schema + 8];
    snprintf(deeper, sizeof deeper, "{\"a\":%s}", schema);
    assert_int_equal(oai_chat_request_add_tool(r, "too_deep", NULL, deeper), OAI_ERR_INVALID_ARGUMENT);
    char *body = oai_request_body_dup(r);
    assert_non_null(body);
    assert_null(strstr(body, "too_deep"));
    assert_non_null(strstr(body, "\"fits\""));
    oai_free(body);
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
        cmocka_unit_test(test_deep_pointer_refused),
        cmocka_unit_test(test_pointer_at_depth_limit),
        cmocka_unit_test(test_set_json_combined_depth),
        cmocka_unit_test(test_tool_parameters_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
