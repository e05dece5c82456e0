/* Structured outputs and tool calls (issue 11, items 4 and 5): the request
 * side (oai_request_set_json_schema() on chat and Responses requests) and
 * the readers (oai_response_parsed(), oai_response_refusal(), the tool-call
 * accessors), through the real libcurl transport against the mock server,
 * for plain replies and streamed ones (the recorded transcripts and
 * scripted streams), and on the in-memory transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory_transport.h"
#include "mock_server.h"
#include "oai.h"

typedef struct fixture {
    mock_server *ms;       /* NULL on the in-memory transport */
    memory_transport *mt;
    oai_client *c;
} fixture;

#if OAI_TEST_WITH_CURL
static int setup_curl(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    f->c = oai_client_new();
    oai_client_set_base_url(f->c, mock_server_url(f->ms));
    oai_client_set_api_key(f->c, "sk-test");
    *state = f;
    return 0;
}
#endif

static int setup_memory(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->mt = memory_transport_new();
    f->c = oai_client_new();
    oai_client_set_base_url(f->c, "http://mock.invalid/v1");
    oai_client_set_api_key(f->c, "sk-test");
    assert_int_equal(memory_transport_attach(f->mt, f->c), OAI_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    memory_transport_free(f->mt);
    if (f->ms)
        mock_server_stop(f->ms);
    free(f);
    return 0;
}

static void push(fixture *f, const char *body, const char *content_type)
{
    mock_reply r = {0};
    r.status = 200;
    r.body = body;
    r.content_type = content_type;
    if (f->ms)
        mock_server_push(f->ms, &r);
    else
        assert_int_equal(memory_transport_push(f->mt, &r), 0);
}

static int count_event(void *ud, const oai_event *ev)
{
    (void)ev;
    (*(int *)ud)++;
    return 0;
}

/* Sends req answered by body; a streamed request when `sse`. */
static oai_response *answer(fixture *f, oai_request *req, const char *body, int sse, int *events)
{
    push(f, body, sse ? "text/event-stream" : NULL);
    if (sse)
        assert_int_equal(oai_request_set_event_callback(req, count_event, events), OAI_OK);
    oai_response *res = oai_client_send(f->c, req);
    assert_non_null(res);
    return res;
}

static const char *last_body(fixture *f)
{
    if (f->ms) {
        size_t n = mock_server_request_count(f->ms);
        return mock_server_request(f->ms, n - 1)->body;
    }
    size_t n = memory_transport_request_count(f->mt);
    return memory_transport_request(f->mt, n - 1)->body;
}

static char *read_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/transcripts/%s", OAI_SOURCE_DIR, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

#define SCHEMA "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"temp\":{\"type\":\"integer\"}}," \
               "\"required\":[\"city\",\"temp\"],\"additionalProperties\":false}"

#define CHAT_WITH(message, finish)                                                                         \
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0," \
    "\"message\":" message ",\"finish_reason\":\"" finish "\"}]}"
#define CHAT_JSON CHAT_WITH("{\"role\":\"assistant\",\"content\":\"{\\\"city\\\":\\\"Paris\\\",\\\"temp\\\":21}\"," \
                            "\"refusal\":null}", "stop")
#define CHAT_REFUSAL CHAT_WITH("{\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't help with that.\"}", \
                               "stop")
#define CHAT_CUT CHAT_WITH("{\"role\":\"assistant\",\"content\":\"{\\\"city\\\":\\\"Par\"}", "length")
#define CHAT_PROSE CHAT_WITH("{\"role\":\"assistant\",\"content\":\"Paris, 21 degrees\"}", "stop")
#define CHAT_TOOLS                                                                                                \
    CHAT_WITH("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["                                        \
              "{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","                  \
              "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"                                                  \
              "{\"id\":\"call_2\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","                     \
              "\"arguments\":\"{\\\"tz\\\":\"}}]}",                                                                \
              "tool_calls")

#define CHUNK(delta, finish)                                                                                     \
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0," \
    "\"delta\":" delta ",\"finish_reason\":" finish "}]}\n\n"
#define STREAM_JSON                                                                                            \
    CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null")                                                 \
    CHUNK("{\"content\":\"{\\\"city\\\":\"}", "null")                                                          \
    CHUNK("{\"content\":\"\\\"Oslo\\\",\\\"temp\\\":\"}", "null")                                              \
    CHUNK("{\"content\":\"-3}\"}", "null") CHUNK("{}", "\"stop\"") "data: [DONE]\n\n"
#define STREAM_REFUSAL                                                                                         \
    CHUNK("{\"role\":\"assistant\",\"content\":null,\"refusal\":\"\"}", "null")                                \
    CHUNK("{\"refusal\":\"I can't \"}", "null") CHUNK("{\"refusal\":\"do that.\"}", "null")                   \
    CHUNK("{}", "\"stop\"") "data: [DONE]\n\n"
#define STREAM_BAD                                                                                             \
    CHUNK("{\"role\":\"assistant\",\"content\":\"{\\\"city\\\":\"}", "null")                                   \
    CHUNK("{}", "\"length\"") "data: [DONE]\n\n"

#define RESP_WITH(output)                                                                                        \
    "{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"completed\",\"model\":\"gpt-4o\",\"output\":[" output \
    "]}"
#define RESP_MESSAGE(part) "{\"type\":\"message\",\"id\":\"msg_1\",\"role\":\"assistant\",\"content\":[" part "]}"
#define RESP_JSON RESP_WITH(RESP_MESSAGE("{\"type\":\"output_text\",\"text\":\"{\\\"city\\\":\\\"Lima\\\",\\\"temp\\\":18}\",\"annotations\":[]}"))
#define RESP_REFUSAL RESP_WITH(RESP_MESSAGE("{\"type\":\"refusal\",\"refusal\":\"No.\"}"))
#define RESP_CALLS                                                                                              \
    RESP_WITH("{\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[]},"                                        \
              "{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_a\",\"name\":\"get_weather\","     \
              "\"arguments\":\"{\\\"city\\\":\\\"Lima\\\"}\",\"status\":\"completed\"},"                         \
              "{\"type\":\"function_call\",\"id\":\"fc_2\",\"call_id\":\"call_b\",\"name\":\"get_time\","        \
              "\"arguments\":\"not json\",\"status\":\"completed\"}")

/* ---- the request side ---------------------------------------------------------------- */

static void test_schema_on_chat_request(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    assert_int_equal(oai_request_set_json_schema(req, "weather", SCHEMA, 1), OAI_OK);
    assert_string_equal(oai_request_get_string(req, "/response_format/type"), "json_schema");
    assert_string_equal(oai_request_get_string(req, "/response_format/json_schema/name"), "weather");
    assert_int_equal(oai_request_get_bool(req, "/response_format/json_schema/strict"), 1);
    assert_string_equal(oai_request_get_string(req, "/response_format/json_schema/schema/properties/city/type"),
                        "string");
    /* Replaced, not merged; strict false is said. */
    assert_int_equal(oai_request_set_json_schema(req, "w-2", "{\"type\":\"object\"}", 0), OAI_OK);
    assert_string_equal(oai_request_get_string(req, "/response_format/json_schema/name"), "w-2");
    assert_int_equal(oai_value_type_of(oai_request_get(req, "/response_format/json_schema/strict")), OAI_VALUE_BOOL);
    assert_int_equal(oai_request_get_bool(req, "/response_format/json_schema/strict"), 0);
    assert_null(oai_request_get(req, "/response_format/json_schema/schema/properties"));
    assert_null(oai_request_get(req, "/text"));

    /* What goes over the wire. */
    assert_int_equal(oai_request_set_json_schema(req, "weather", SCHEMA, 1), OAI_OK);
    oai_response *res = answer(f, req, CHAT_JSON, 0, NULL);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_non_null(strstr(last_body(f), "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
                                         "{\"name\":\"weather\",\"schema\":{\"type\":\"object\""));
    assert_non_null(strstr(last_body(f), "\"strict\":true}"));
    oai_response_free(res);
    oai_request_free(req);
}

static void test_schema_on_responses_request(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_response_create_request_new("gpt-4o", "Weather in Lima?");
    assert_int_equal(oai_request_set_json_schema(req, "weather", SCHEMA, 1), OAI_OK);
    assert_string_equal(oai_request_get_string(req, "/text/format/type"), "json_schema");
    assert_string_equal(oai_request_get_string(req, "/text/format/name"), "weather");
    assert_int_equal(oai_request_get_bool(req, "/text/format/strict"), 1);
    assert_int_equal(oai_request_get_count(req, "/text/format/schema/required"), 2);
    assert_null(oai_request_get(req, "/response_format"));

    /* The value form copies the schema. */
    oai_request *other = oai_response_create_request_new("gpt-4o", "x");
    assert_int_equal(oai_request_set_json_schema_value(other, "copied", oai_request_get(req, "/text/format/schema"), 0),
                     OAI_OK);
    assert_string_equal(oai_request_get_string(other, "/text/format/schema/properties/temp/type"), "integer");
    oai_request_free(other);

    oai_response *res = answer(f, req, RESP_JSON, 0, NULL);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_non_null(strstr(last_body(f), "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"weather\""));
    oai_response_free(res);
    oai_request_free(req);
}

static void test_schema_bad_arguments(void **state)
{
    (void)state;
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    assert_int_equal(oai_request_set_json_schema(NULL, "a", SCHEMA, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema(req, NULL, SCHEMA, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema(req, "", SCHEMA, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema(req, "has space", SCHEMA, 1), OAI_ERR_INVALID_ARGUMENT);
    char longname[80];
    memset(longname, 'a', 65);
    longname[65] = '\0';
    assert_int_equal(oai_request_set_json_schema(req, longname, SCHEMA, 1), OAI_ERR_INVALID_ARGUMENT);
    longname[64] = '\0';
    assert_int_equal(oai_request_set_json_schema(req, longname, SCHEMA, 1), OAI_OK);
    assert_int_equal(oai_request_set_json_schema(req, "a", NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema(req, "a", "{\"type\":", 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema(req, "a", "[1,2]", 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema_value(req, "a", NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    /* The earlier good format is untouched by the refusals. */
    assert_string_equal(oai_request_get_string(req, "/response_format/json_schema/name"), longname);
    oai_request_free(req);

    /* A failed request reports its sticky status. */
    oai_request *failed = oai_chat_completion_create_request_new(NULL);
    assert_int_equal(oai_request_status(failed), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_set_json_schema(failed, "a", SCHEMA, 1), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(failed);
}

/* ---- parsed output, refusals ------------------------------------------------------ */

static void test_chat_parsed(void **state)
{
    fixture *f = *state;
    for (int sse = 0; sse <= 1; sse++) {
        oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
        oai_chat_request_add_message(req, "user", "weather?");
        oai_request_set_json_schema(req, "weather", SCHEMA, 1);
        int events = 0;
        oai_response *res = answer(f, req, sse ? STREAM_JSON : CHAT_JSON, sse, &events);
        assert_int_equal(oai_response_status(res), OAI_OK);
        if (sse)
            assert_true(events >= 4);
        const oai_value *v = oai_response_parsed(res);
        assert_non_null(v);
        assert_int_equal(oai_value_type_of(v), OAI_VALUE_OBJECT);
        assert_string_equal(oai_value_get_string(v, "/city"), sse ? "Oslo" : "Paris");
        assert_int_equal(oai_value_get_int(v, "/temp"), sse ? -3 : 21);
        /* Kept in the response, the same value every time. */
        assert_ptr_equal(oai_response_parsed(res), v);
        assert_ptr_equal(oai_response_get(res, "/choices/0/message/parsed"), v);
        assert_int_equal(oai_response_parsed_status(res), OAI_OK);
        assert_null(oai_response_parsed_error_message(res));
        assert_null(oai_response_refusal(res));
        assert_int_equal(oai_response_tool_call_count(res), 0);
        oai_response_free(res);
        oai_request_free(req);
    }
}

static void test_chat_refusal(void **state)
{
    fixture *f = *state;
    for (int sse = 0; sse <= 1; sse++) {
        oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
        oai_request_set_json_schema(req, "weather", SCHEMA, 1);
        int events = 0;
        oai_response *res = answer(f, req, sse ? STREAM_REFUSAL : CHAT_REFUSAL, sse, &events);
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_string_equal(oai_response_refusal(res), sse ? "I can't do that." : "I can't help with that.");
        assert_null(oai_response_parsed(res));
        assert_int_equal(oai_response_parsed_status(res), OAI_ERR_TYPE);
        assert_non_null(strstr(oai_response_parsed_error_message(res), "refused"));
        oai_response_free(res);
        oai_request_free(req);
    }
}

static void test_chat_not_json(void **state)
{
    fixture *f = *state;
    const char *bodies[] = {CHAT_CUT, STREAM_BAD, CHAT_PROSE};
    for (int i = 0; i < 3; i++) {
        oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
        int events = 0;
        oai_response *res = answer(f, req, bodies[i], i == 1, &events);
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_null(oai_response_parsed(res));
        assert_int_equal(oai_response_parsed_status(res), OAI_ERR_PROTOCOL);
        const char *why = oai_response_parsed_error_message(res);
        assert_non_null(strstr(why, "not valid JSON"));
        if (i < 2)
            assert_non_null(strstr(why, "cut off at the token limit"));
        else
            assert_null(strstr(why, "cut off"));
        assert_null(oai_response_get(res, "/choices/0/message/parsed"));
        oai_response_free(res);
        oai_request_free(req);
    }
}

static void test_failed_response(void **state)
{
    fixture *f = *state;
    mock_reply r = {0};
    r.status = 400;
    r.body = "{\"error\":{\"message\":\"Invalid schema for response_format 'weather'\",\"type\":\"invalid_request_error\"}}";
    if (f->ms)
        mock_server_push(f->ms, &r);
    else
        memory_transport_push(f->mt, &r);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    assert_null(oai_response_parsed(res));
    assert_int_equal(oai_response_parsed_status(res), OAI_ERR_BAD_REQUEST);
    assert_string_equal(oai_response_parsed_error_message(res), "Invalid schema for response_format 'weather'");
    assert_int_equal(oai_response_tool_call_count(res), 0);
    assert_null(oai_response_tool_call_id(res, 0));
    oai_response_free(res);
    oai_request_free(req);
}

static void test_responses_parsed_and_refusal(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_response_create_request_new("gpt-4o", "Weather in Lima?");
    oai_response *res = answer(f, req, RESP_JSON, 0, NULL);
    const oai_value *v = oai_response_parsed(res);
    assert_non_null(v);
    assert_string_equal(oai_value_get_string(v, "/city"), "Lima");
    assert_ptr_equal(oai_response_get(res, "/output_parsed"), v);
    assert_null(oai_response_refusal(res));
    oai_response_free(res);

    res = answer(f, req, RESP_REFUSAL, 0, NULL);
    assert_string_equal(oai_response_refusal(res), "No.");
    assert_null(oai_response_parsed(res));
    assert_int_equal(oai_response_parsed_status(res), OAI_ERR_TYPE);
    oai_response_free(res);
    oai_request_free(req);
}

/* ---- tool calls ----------------------------------------------------------------------- */

static void test_chat_tool_calls(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    oai_response *res = answer(f, req, CHAT_TOOLS, 0, NULL);
    assert_int_equal(oai_response_tool_call_count(res), 2);
    assert_string_equal(oai_response_tool_call_id(res, 0), "call_1");
    assert_string_equal(oai_response_tool_call_name(res, 0), "get_weather");
    assert_string_equal(oai_response_tool_call_arguments(res, 0), "{\"city\":\"Paris\"}");
    const oai_value *args = oai_response_tool_call_arguments_json(res, 0);
    assert_string_equal(oai_value_get_string(args, "/city"), "Paris");
    assert_ptr_equal(oai_response_tool_call_arguments_json(res, 0), args);
    assert_ptr_equal(oai_response_get(res, "/choices/0/message/tool_calls/0/function/parsed_arguments"), args);
    assert_int_equal(oai_response_tool_call_arguments_status(res, 0), OAI_OK);

    assert_string_equal(oai_response_tool_call_id(res, 1), "call_2");
    assert_string_equal(oai_response_tool_call_arguments(res, 1), "{\"tz\":");
    assert_null(oai_response_tool_call_arguments_json(res, 1));
    assert_int_equal(oai_response_tool_call_arguments_status(res, 1), OAI_ERR_PROTOCOL);

    assert_null(oai_response_tool_call_id(res, 2));
    assert_null(oai_response_tool_call_name(res, 2));
    assert_null(oai_response_tool_call_arguments(res, 2));
    assert_null(oai_response_tool_call_arguments_json(res, 2));
    assert_int_equal(oai_response_tool_call_arguments_status(res, 2), OAI_ERR_INVALID_ARGUMENT);
    /* Only tool calls: nothing to parse, and the reason says so. */
    assert_int_equal(oai_response_parsed_status(res), OAI_ERR_TYPE);
    assert_non_null(strstr(oai_response_parsed_error_message(res), "only calls tools"));
    oai_response_free(res);
    oai_request_free(req);
}

static void test_chat_tool_calls_streamed(void **state)
{
    fixture *f = *state;
    char *sse = read_file("openai_chat_tools_parallel.sse");
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    int events = 0;
    oai_response *res = answer(f, req, sse, 1, &events);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_tool_call_count(res), 2);
    assert_string_equal(oai_response_tool_call_id(res, 0), "call_Vx3kP8qL2mN7");
    assert_string_equal(oai_response_tool_call_name(res, 1), "get_weather");
    assert_string_equal(oai_response_tool_call_arguments(res, 0), "{\"location\": \"Paris, France\"}");
    assert_string_equal(oai_value_get_string(oai_response_tool_call_arguments_json(res, 1), "/location"),
                        "東京, 日本");
    oai_response_free(res);
    oai_request_free(req);
    free(sse);
}

static void test_responses_function_calls(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_response_create_request_new("gpt-4o", "Weather in Lima?");
    oai_response *res = answer(f, req, RESP_CALLS, 0, NULL);
    assert_int_equal(oai_response_tool_call_count(res), 2);
    assert_string_equal(oai_response_tool_call_id(res, 0), "call_a");
    assert_string_equal(oai_response_tool_call_name(res, 0), "get_weather");
    assert_string_equal(oai_value_get_string(oai_response_tool_call_arguments_json(res, 0), "/city"), "Lima");
    assert_ptr_equal(oai_response_get(res, "/output/1/parsed_arguments"), oai_response_tool_call_arguments_json(res, 0));
    assert_string_equal(oai_response_tool_call_id(res, 1), "call_b");
    assert_int_equal(oai_response_tool_call_arguments_status(res, 1), OAI_ERR_PROTOCOL);
    assert_null(oai_response_tool_call_name(res, 2));
    oai_response_free(res);

    /* Streamed: the recorded transcript's text and function call. */
    char *sse = read_file("openai_responses.sse");
    int events = 0;
    res = answer(f, req, sse, 1, &events);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_tool_call_count(res), 1);
    assert_string_equal(oai_response_tool_call_id(res, 0), "call_Zt7yU2iO9pQw");
    assert_string_equal(oai_response_tool_call_name(res, 0), "get_weather");
    assert_string_equal(oai_value_get_string(oai_response_tool_call_arguments_json(res, 0), "/location"),
                        "Paris, France");
    /* Its text is prose: not JSON. */
    assert_int_equal(oai_response_parsed_status(res), OAI_ERR_PROTOCOL);
    oai_response_free(res);
    oai_request_free(req);
    free(sse);
}

static void test_null_safety(void **state)
{
    (void)state;
    assert_null(oai_response_parsed(NULL));
    assert_int_equal(oai_response_parsed_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(oai_response_parsed_error_message(NULL));
    assert_null(oai_response_refusal(NULL));
    assert_int_equal(oai_response_tool_call_count(NULL), 0);
    assert_null(oai_response_tool_call_id(NULL, 0));
    assert_null(oai_response_tool_call_name(NULL, 0));
    assert_null(oai_response_tool_call_arguments(NULL, 0));
    assert_null(oai_response_tool_call_arguments_json(NULL, 0));
    assert_int_equal(oai_response_tool_call_arguments_status(NULL, 0), OAI_ERR_INVALID_ARGUMENT);
}

/* A document nested as deep as the parser allows cannot be kept inside the
 * response (it would nest deeper than the library's limit): a clear
 * protocol error, no crash. */
static void test_too_deep(void **state)
{
    fixture *f = *state;
    size_t depth = 510, n = 0;
    char *content = malloc(depth * 2 + 1);
    for (size_t i = 0; i < depth; i++)
        content[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        content[n++] = ']';
    content[n] = '\0';
    char *body = malloc(n + 256);
    snprintf(body, n + 256,
             "{\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
             "\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}",
             content);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    oai_response *res = answer(f, req, body, 0, NULL);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_null(oai_response_parsed(res));
    assert_int_equal(oai_response_parsed_status(res), OAI_ERR_PROTOCOL);
    assert_non_null(strstr(oai_response_parsed_error_message(res), "nested too deeply"));
    oai_response_free(res);
    oai_request_free(req);
    free(body);
    free(content);
}

/* ---- the reply back into the conversation ------------------------------------------ */

static void test_add_reply_and_outputs(void **state)
{
    fixture *f = *state;
    /* Chat: only what the API takes back goes back. */
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o");
    oai_chat_request_add_message(req, "user", "weather?");
    oai_response *res = answer(f, req,
                               CHAT_WITH("{\"role\":\"assistant\",\"content\":\"Let me look.\",\"reasoning_content\":"
                                         "\"hmm\",\"annotations\":[],\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
                                         "\"function\",\"index\":0,\"function\":{\"name\":\"get_weather\","
                                         "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]}",
                                         "tool_calls"),
                               0, NULL);
    assert_non_null(oai_response_tool_call_arguments_json(res, 0)); /* adds parsed_arguments to the reply */
    assert_int_equal(oai_request_add_reply(req, res), OAI_OK);
    assert_int_equal(oai_request_add_tool_output(req, oai_response_tool_call_id(res, 0), "{\"temp_c\":-3}"), OAI_OK);
    char *body = oai_request_body_dup(req);
    assert_non_null(strstr(body, "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"},"
                                 "{\"role\":\"assistant\",\"content\":\"Let me look.\",\"tool_calls\":[{\"id\":"
                                 "\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                                 "\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}}]},"
                                 "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"temp_c\\\":-3}\"}]"));
    assert_null(strstr(body, "reasoning_content"));
    assert_null(strstr(body, "parsed"));
    assert_null(strstr(body, "annotations"));
    oai_free(body);
    oai_response_free(res);

    /* A refusal goes back as the refusal. */
    res = answer(f, req, CHAT_REFUSAL, 0, NULL);
    assert_int_equal(oai_request_add_reply(req, res), OAI_OK);
    assert_string_equal(oai_request_get_string(req, "/messages/3/refusal"), "I can't help with that.");
    assert_int_equal(oai_value_type_of(oai_request_get(req, "/messages/3/content")), OAI_VALUE_NULL);
    oai_response_free(res);

    /* Bad arguments change nothing. */
    size_t before = oai_request_get_count(req, "/messages");
    assert_int_equal(oai_request_add_reply(NULL, res), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_reply(req, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_tool_output(req, "", "x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_tool_output(req, "id", NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_request_add_tool_output(req, "id", "\xff"), OAI_ERR_INVALID_ARGUMENT);
    mock_reply bad = {.status = 500, .body = "{\"error\":{\"message\":\"boom\"}}"};
    oai_client_set_max_retries(f->c, 0);
    if (f->ms)
        mock_server_push(f->ms, &bad);
    else
        memory_transport_push(f->mt, &bad);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_int_equal(oai_request_add_reply(req, res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    res = answer(f, req, RESP_CALLS, 0, NULL); /* a Responses reply to a chat request */
    assert_int_equal(oai_request_add_reply(req, res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    assert_int_equal(oai_request_get_count(req, "/messages"), before);
    oai_request_free(req);

    /* Responses: a string input becomes a list; output items go back as
     * they came (without what the readers added), then the outputs. */
    req = oai_response_create_request_new("gpt-4o", "Weather in Lima?");
    res = answer(f, req, RESP_CALLS, 0, NULL);
    assert_non_null(oai_response_tool_call_arguments_json(res, 0));
    assert_int_equal(oai_request_add_reply(req, res), OAI_OK);
    for (size_t i = 0; i < oai_response_tool_call_count(res); i++)
        assert_int_equal(oai_request_add_tool_output(req, oai_response_tool_call_id(res, i), "done"), OAI_OK);
    assert_int_equal(oai_request_get_count(req, "/input"), 6);
    assert_string_equal(oai_request_get_string(req, "/input/0/role"), "user");
    assert_string_equal(oai_request_get_string(req, "/input/0/content"), "Weather in Lima?");
    assert_string_equal(oai_request_get_string(req, "/input/1/type"), "reasoning");
    assert_string_equal(oai_request_get_string(req, "/input/2/call_id"), "call_a");
    assert_null(oai_request_get(req, "/input/2/parsed_arguments"));
    assert_string_equal(oai_request_get_string(req, "/input/4/type"), "function_call_output");
    assert_string_equal(oai_request_get_string(req, "/input/4/call_id"), "call_a");
    assert_string_equal(oai_request_get_string(req, "/input/5/call_id"), "call_b");
    assert_string_equal(oai_request_get_string(req, "/input/5/output"), "done");
    oai_response_free(res);
    res = answer(f, req, CHAT_JSON, 0, NULL); /* a chat reply to a Responses request */
    assert_int_equal(oai_request_add_reply(req, res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    oai_request_free(req);

    /* An output on a Responses request with a string input. */
    req = oai_response_create_request_new("gpt-4o", "x");
    assert_int_equal(oai_request_add_tool_output(req, "call_z", "out"), OAI_OK);
    assert_string_equal(oai_request_get_string(req, "/input/0/content"), "x");
    assert_string_equal(oai_request_get_string(req, "/input/1/call_id"), "call_z");
    oai_request_free(req);

    /* A failed request keeps its status. */
    req = oai_chat_completion_create_request_new(NULL);
    assert_int_equal(oai_request_add_tool_output(req, "a", "b"), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(req);
}

#define ON_MEMORY(fn)                                                                          \
    cmocka_unit_test_setup_teardown(fn, setup_memory, teardown)

int main(void)
{
    const struct CMUnitTest memory_tests[] = {
        ON_MEMORY(test_schema_on_chat_request),
        ON_MEMORY(test_schema_on_responses_request),
        ON_MEMORY(test_schema_bad_arguments),
        ON_MEMORY(test_chat_parsed),
        ON_MEMORY(test_chat_refusal),
        ON_MEMORY(test_chat_not_json),
        ON_MEMORY(test_failed_response),
        ON_MEMORY(test_responses_parsed_and_refusal),
        ON_MEMORY(test_chat_tool_calls),
        ON_MEMORY(test_chat_tool_calls_streamed),
        ON_MEMORY(test_responses_function_calls),
        ON_MEMORY(test_too_deep),
        ON_MEMORY(test_add_reply_and_outputs),
        cmocka_unit_test(test_null_safety),
    };
    int failed = cmocka_run_group_tests_name("structured/memory", memory_tests, NULL, NULL);
#if OAI_TEST_WITH_CURL
    const struct CMUnitTest curl_tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_on_chat_request, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_schema_on_responses_request, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_chat_parsed, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_chat_refusal, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_chat_not_json, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_failed_response, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_responses_parsed_and_refusal, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_chat_tool_calls, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_chat_tool_calls_streamed, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_responses_function_calls, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_too_deep, setup_curl, teardown),
        cmocka_unit_test_setup_teardown(test_add_reply_and_outputs, setup_curl, teardown),
    };
    failed += cmocka_run_group_tests_name("structured/curl", curl_tests, NULL, NULL);
#endif
    return failed;
}
