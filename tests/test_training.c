/* Tests for the training-data validator (src/training.c): every rule with its
 * code and line, the statistics and the token estimate of each format, line
 * handling (CRLF, blank lines, a byte order mark, no final LF, the line
 * limit, UTF-8 split across the file reader's chunks), the file and buffer
 * entry points agreeing, argument errors, the problem cap and the JSON
 * report. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json/json.h"
#include "oai.h"
#include "sticky.h"

/* The library's default line limit (docs/training-data.md). */
#define MAX_LINE ((size_t)4 * 1024 * 1024)

#define CHAT_OK "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello!\"}]}"
#define PREF_OK                                                                                        \
    "{\"input\":{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]},"                              \
    "\"preferred_output\":[{\"role\":\"assistant\",\"content\":\"Hello!\"}],"                          \
    "\"non_preferred_output\":[{\"role\":\"assistant\",\"content\":\"Go away\"}]}"
#define COMPLETION_OK "{\"prompt\":\"Hi\",\"completion\":\" Hello!\"}"

/* ------------------------------------------------------------------------ */
/* Helpers */

static const char *filler_for(int format)
{
    return format == OAI_TRAINING_CHAT ? CHAT_OK : format == OAI_TRAINING_PREFERENCE ? PREF_OK : COMPLETION_OK;
}

/* Appends to a malloc'd growing string. */
typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->data = realloc(t->data, cap);
        assert_non_null(t->data);
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_str(text *t, const char *s) { text_add(t, s, strlen(s)); }

static void text_repeat(text *t, char c, size_t n)
{
    char block[4096];
    memset(block, c, sizeof block);
    while (n > 0) {
        size_t k = n < sizeof block ? n : sizeof block;
        text_add(t, block, k);
        n -= k;
    }
}

/* `total` lines of the format's valid filler, with `bad` as line `at`. */
static text lines_with(int format, const char *bad, int at, int total, const char *eol)
{
    text t = {NULL, 0, 0};
    for (int line = 1; line <= total; line++) {
        text_str(&t, line == at ? bad : filler_for(format));
        text_str(&t, eol);
    }
    return t;
}

static char *write_temp(const char *data, size_t len)
{
    char path[] = "/tmp/oai_training_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        assert_true(n > 0);
        done += (size_t)n;
    }
    close(fd);
    char *copy = strdup(path);
    assert_non_null(copy);
    return copy;
}

static oai_training_report *validate(const char *data, size_t len, int format, int64_t limit,
                                     oai_status expected)
{
    oai_training_report *r = oai_training_report_buffer_new(data, len, format, limit);
    assert_non_null(r);
    assert_int_equal(oai_training_report_status(r), expected);
    if (expected == OAI_OK)
        assert_null(oai_training_report_error_message(r));
    else
        assert_non_null(oai_training_report_error_message(r));
    return r;
}

/* The file API must give exactly the report the buffer API gives. */
static void assert_file_agrees(const char *data, size_t len, int format, int64_t limit)
{
    oai_training_report *from_buffer = oai_training_report_buffer_new(data, len, format, limit);
    oai_status st_buffer = oai_training_report_status(from_buffer);
    char *path = write_temp(data, len);
    oai_training_report *from_file = oai_training_report_new(path, format, limit);
    oai_status st_file = oai_training_report_status(from_file);
    unlink(path);
    free(path);
    assert_int_equal(st_buffer, st_file);
    char *a = oai_training_report_json_dup(from_buffer);
    char *b = oai_training_report_json_dup(from_file);
    assert_non_null(a);
    assert_non_null(b);
    if (strcmp(a, b) != 0)
        fail_msg("file and buffer reports differ:\n%.400s\n%.400s", a, b);
    oai_free(a);
    oai_free(b);
    oai_training_report_free(from_buffer);
    oai_training_report_free(from_file);
}

static void print_problems(const oai_training_report *r)
{
    for (size_t i = 0; i < oai_training_report_problem_count(r); i++)
        print_message("  line %lld %s: %s\n", (long long)oai_training_report_problem_line(r, i),
                      oai_training_report_problem_code(r, i), oai_training_report_problem_message(r, i));
}

/* The report holds exactly these (line, code) problems, in order. */
typedef struct expected_problem {
    int64_t line;
    const char *code;
} expected_problem;

static void assert_problems(const char *what, const oai_training_report *r, const expected_problem *want,
                            size_t n)
{
    size_t count = oai_training_report_problem_count(r);
    int ok = count == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = oai_training_report_problem_line(r, i) == want[i].line &&
             strcmp(oai_training_report_problem_code(r, i), want[i].code) == 0 &&
             oai_training_report_problem_message(r, i) != NULL;
    if (!ok) {
        print_message("%s: expected %zu problem(s), got:\n", what, n);
        print_problems(r);
        fail_msg("%s: problems differ", what);
    }
    assert_int_equal(oai_training_report_is_valid(r), n == 0);
}

/* ------------------------------------------------------------------------ */
/* Every rule: the bad line sits at line 6 of 11. */

typedef struct rule_case {
    const char *name;
    int format;
    const char *line;
    const char *codes[5]; /* expected on line 6, in order; NULL ends */
} rule_case;

#define USER_HI "{\"role\":\"user\",\"content\":\"Hi\"}"
#define ASSISTANT_OK "{\"role\":\"assistant\",\"content\":\"Ok\"}"
#define MSGS(...) "{\"messages\":[" __VA_ARGS__ "]}"
#define UTF8_LINE(bytes) "{\"messages\":[{\"role\":\"user\",\"content\":\"" bytes "\"}," ASSISTANT_OK "]}"
#define PREF(input, preferred, other)                                                                  \
    "{\"input\":" input ",\"preferred_output\":" preferred ",\"non_preferred_output\":" other "}"
#define PREF_IN "{\"messages\":[" USER_HI "]}"
#define PREF_OUT "[" ASSISTANT_OK "]"

static const rule_case rule_cases[] = {
    /* every line */
    {"invalid json", OAI_TRAINING_CHAT, "{\"messages\": [", {"invalid_json"}},
    {"trailing garbage", OAI_TRAINING_CHAT, CHAT_OK " x", {"invalid_json"}},
    {"two objects", OAI_TRAINING_CHAT, CHAT_OK CHAT_OK, {"invalid_json"}},
    {"raw control char", OAI_TRAINING_CHAT, UTF8_LINE("a\x01" "b"), {"invalid_json"}},
    {"array line", OAI_TRAINING_CHAT, "[1,2]", {"not_object"}},
    {"string line", OAI_TRAINING_CHAT, "\"text\"", {"not_object"}},
    {"null line", OAI_TRAINING_COMPLETION, "null", {"not_object"}},
    {"overlong 2-byte", OAI_TRAINING_CHAT, UTF8_LINE("\xC0\xAF"), {"invalid_utf8"}},
    {"overlong C1", OAI_TRAINING_CHAT, UTF8_LINE("\xC1\xBF"), {"invalid_utf8"}},
    {"overlong 3-byte", OAI_TRAINING_CHAT, UTF8_LINE("\xE0\x80\xAF"), {"invalid_utf8"}},
    {"overlong 4-byte", OAI_TRAINING_CHAT, UTF8_LINE("\xF0\x80\x80\xAF"), {"invalid_utf8"}},
    {"surrogate", OAI_TRAINING_CHAT, UTF8_LINE("\xED\xA0\x80"), {"invalid_utf8"}},
    {"low surrogate", OAI_TRAINING_CHAT, UTF8_LINE("\xED\xBF\xBF"), {"invalid_utf8"}},
    {"above U+10FFFF", OAI_TRAINING_CHAT, UTF8_LINE("\xF4\x90\x80\x80"), {"invalid_utf8"}},
    {"F5 lead", OAI_TRAINING_CHAT, UTF8_LINE("\xF5\x80\x80\x80"), {"invalid_utf8"}},
    {"FF byte", OAI_TRAINING_CHAT, UTF8_LINE("\xFF"), {"invalid_utf8"}},
    {"lone continuation", OAI_TRAINING_CHAT, UTF8_LINE("a\x80"), {"invalid_utf8"}},
    {"cut short", OAI_TRAINING_CHAT, UTF8_LINE("\xE4\xB8"), {"invalid_utf8"}},
    {"cut at line end", OAI_TRAINING_CHAT, "{\"a\":\"\xF0\x9F\x98", {"invalid_utf8"}},
    {"invalid utf8 in completion", OAI_TRAINING_COMPLETION, "{\"prompt\":\"\xC3\",\"completion\":\"x\"}",
     {"invalid_utf8"}},
    /* chat */
    {"no messages", OAI_TRAINING_CHAT, "{\"prompt\":\"a\",\"completion\":\"b\"}", {"missing_messages"}},
    {"messages not array", OAI_TRAINING_CHAT, "{\"messages\":{}}", {"missing_messages"}},
    {"empty object", OAI_TRAINING_CHAT, "{}", {"missing_messages"}},
    {"empty messages", OAI_TRAINING_CHAT, MSGS(""), {"empty_messages"}},
    {"message not object", OAI_TRAINING_CHAT, MSGS("1," ASSISTANT_OK), {"invalid_message"}},
    {"unknown role", OAI_TRAINING_CHAT, MSGS("{\"role\":\"bot\",\"content\":\"x\"}," ASSISTANT_OK),
     {"unknown_role"}},
    {"role case matters", OAI_TRAINING_CHAT, MSGS("{\"role\":\"User\",\"content\":\"x\"}," ASSISTANT_OK),
     {"unknown_role"}},
    {"no role", OAI_TRAINING_CHAT, MSGS("{\"content\":\"x\"}," ASSISTANT_OK), {"unknown_role"}},
    {"role not string", OAI_TRAINING_CHAT, MSGS("{\"role\":1,\"content\":\"x\"}," ASSISTANT_OK),
     {"unknown_role"}},
    {"no content", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\"}," ASSISTANT_OK), {"missing_content"}},
    {"null content", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\",\"content\":null}," ASSISTANT_OK),
     {"missing_content"}},
    {"assistant null content", OAI_TRAINING_CHAT, MSGS(USER_HI ",{\"role\":\"assistant\",\"content\":null}"),
     {"missing_content"}},
    {"content number", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\",\"content\":5}," ASSISTANT_OK),
     {"missing_content"}},
    {"empty content", OAI_TRAINING_CHAT, MSGS("{\"role\":\"system\",\"content\":\"\"}," USER_HI "," ASSISTANT_OK),
     {"empty_content"}},
    {"empty parts", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\",\"content\":[]}," ASSISTANT_OK),
     {"empty_content"}},
    {"empty text part", OAI_TRAINING_CHAT,
     MSGS("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\"}]}," ASSISTANT_OK), {"empty_content"}},
    {"text part without text", OAI_TRAINING_CHAT,
     MSGS("{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}," ASSISTANT_OK), {"missing_content"}},
    {"part without type", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}," ASSISTANT_OK),
     {"invalid_content_part"}},
    {"part not object", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\",\"content\":[\"a\"]}," ASSISTANT_OK),
     {"invalid_content_part"}},
    {"weight on user", OAI_TRAINING_CHAT, MSGS("{\"role\":\"user\",\"content\":\"x\",\"weight\":1}," ASSISTANT_OK),
     {"bad_weight"}},
    {"weight 2", OAI_TRAINING_CHAT,
     MSGS(USER_HI "," ASSISTANT_OK "," USER_HI ",{\"role\":\"assistant\",\"content\":\"x\",\"weight\":1},"
                  "{\"role\":\"assistant\",\"content\":\"y\",\"weight\":2}"),
     {"bad_weight"}},
    {"weight 0.5", OAI_TRAINING_CHAT,
     MSGS(USER_HI "," ASSISTANT_OK ",{\"role\":\"assistant\",\"content\":\"y\",\"weight\":0.5}"), {"bad_weight"}},
    {"weight string", OAI_TRAINING_CHAT,
     MSGS(USER_HI "," ASSISTANT_OK ",{\"role\":\"assistant\",\"content\":\"y\",\"weight\":\"1\"}"), {"bad_weight"}},
    {"no assistant", OAI_TRAINING_CHAT, MSGS(USER_HI), {"no_assistant_message"}},
    {"all weight 0", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"content\":\"y\",\"weight\":0}"), {"no_assistant_message"}},
    {"tool call without id", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"tool_calls\":[{\"type\":\"function\",\"function\":"
                  "{\"name\":\"f\",\"arguments\":\"{}\"}}]}"),
     {"tool_call_missing_id"}},
    {"tool call without name", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":"
                  "{\"arguments\":\"{}\"}}]}"),
     {"tool_call_missing_name"}},
    {"tool call without function", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\"}]}"), {"tool_call_missing_name"}},
    {"tool call arguments object", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":"
                  "{\"name\":\"f\",\"arguments\":{}}}]}"),
     {"bad_tool_call"}},
    {"tool_calls not array", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":{}}"), {"bad_tool_call"}},
    {"tool call not object", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"content\":\"x\",\"tool_calls\":[1]}"), {"bad_tool_call"}},
    {"empty tool_calls needs content", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"tool_calls\":[]}"), {"missing_content"}},
    {"tool message without id", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"tool\",\"content\":\"sunny\"}," ASSISTANT_OK), {"tool_message_missing_id"}},
    {"tools object", OAI_TRAINING_CHAT, "{\"messages\":[" USER_HI "," ASSISTANT_OK "],\"tools\":{}}", {"bad_tools"}},
    {"tools item not object", OAI_TRAINING_CHAT, "{\"messages\":[" USER_HI "," ASSISTANT_OK "],\"tools\":[1]}",
     {"bad_tools"}},
    {"several problems", OAI_TRAINING_CHAT,
     MSGS("{\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"\",\"weight\":3}"),
     {"missing_content", "empty_content", "bad_weight", "no_assistant_message"}},
    /* preference */
    {"no input", OAI_TRAINING_PREFERENCE, "{\"preferred_output\":" PREF_OUT ",\"non_preferred_output\":" PREF_OUT "}",
     {"missing_messages"}},
    {"input not object", OAI_TRAINING_PREFERENCE, PREF("[]", PREF_OUT, PREF_OUT), {"missing_messages"}},
    {"input without messages", OAI_TRAINING_PREFERENCE, PREF("{}", PREF_OUT, PREF_OUT), {"missing_messages"}},
    {"input empty messages", OAI_TRAINING_PREFERENCE, PREF("{\"messages\":[]}", PREF_OUT, PREF_OUT),
     {"empty_messages"}},
    {"input unknown role", OAI_TRAINING_PREFERENCE,
     PREF("{\"messages\":[{\"role\":\"human\",\"content\":\"x\"}]}", PREF_OUT, PREF_OUT), {"unknown_role"}},
    {"input bad tools", OAI_TRAINING_PREFERENCE,
     PREF("{\"messages\":[" USER_HI "],\"tools\":\"f\"}", PREF_OUT, PREF_OUT), {"bad_tools"}},
    {"no preferred", OAI_TRAINING_PREFERENCE,
     "{\"input\":" PREF_IN ",\"non_preferred_output\":" PREF_OUT "}", {"missing_preferred_output"}},
    {"preferred not array", OAI_TRAINING_PREFERENCE, PREF(PREF_IN, ASSISTANT_OK, PREF_OUT),
     {"missing_preferred_output"}},
    {"preferred empty", OAI_TRAINING_PREFERENCE, PREF(PREF_IN, "[]", PREF_OUT), {"missing_preferred_output"}},
    {"no non-preferred", OAI_TRAINING_PREFERENCE, "{\"input\":" PREF_IN ",\"preferred_output\":" PREF_OUT "}",
     {"missing_non_preferred_output"}},
    {"non-preferred empty", OAI_TRAINING_PREFERENCE, PREF(PREF_IN, PREF_OUT, "[]"),
     {"missing_non_preferred_output"}},
    {"output user role", OAI_TRAINING_PREFERENCE, PREF(PREF_IN, "[" USER_HI "]", PREF_OUT), {"bad_output"}},
    {"output without role", OAI_TRAINING_PREFERENCE, PREF(PREF_IN, PREF_OUT, "[{\"content\":\"x\"}]"),
     {"bad_output"}},
    {"output not object", OAI_TRAINING_PREFERENCE, PREF(PREF_IN, "[\"x\"]", PREF_OUT), {"bad_output"}},
    {"output empty content", OAI_TRAINING_PREFERENCE,
     PREF(PREF_IN, PREF_OUT, "[{\"role\":\"assistant\",\"content\":\"\"}]"), {"empty_content"}},
    {"chat line as preference", OAI_TRAINING_PREFERENCE, CHAT_OK,
     {"missing_messages", "missing_preferred_output", "missing_non_preferred_output"}},
    /* completion */
    {"no prompt", OAI_TRAINING_COMPLETION, "{\"completion\":\"x\"}", {"missing_prompt"}},
    {"prompt number", OAI_TRAINING_COMPLETION, "{\"prompt\":1,\"completion\":\"x\"}", {"missing_prompt"}},
    {"no completion", OAI_TRAINING_COMPLETION, "{\"prompt\":\"x\"}", {"missing_completion"}},
    {"completion null", OAI_TRAINING_COMPLETION, "{\"prompt\":\"x\",\"completion\":null}", {"missing_completion"}},
    {"empty completion", OAI_TRAINING_COMPLETION, "{\"prompt\":\"x\",\"completion\":\"\"}", {"empty_completion"}},
    {"chat line as completion", OAI_TRAINING_COMPLETION, CHAT_OK, {"missing_prompt", "missing_completion"}},
    {"completion invalid json", OAI_TRAINING_COMPLETION, "{\"prompt\":\"x\",}", {"invalid_json"}},
};

static void run_rule_case(const rule_case *c, const char *eol)
{
    text t = lines_with(c->format, c->line, 6, 11, eol);
    oai_training_report *r = oai_training_report_buffer_new(t.data, t.len, c->format, 0);
    oai_status st = oai_training_report_status(r);
    expected_problem want[5] = {{0, NULL}};
    size_t n = 0;
    while (n < 5 && c->codes[n] != NULL) {
        want[n].line = 6;
        want[n].code = c->codes[n];
        n++;
    }
    assert_non_null(r);
    assert_problems(c->name, r, want, n);
    assert_int_equal(st, n ? OAI_ERR_INVALID_DATA : OAI_OK);
    assert_int_equal(oai_training_report_example_count(r), 11);
    oai_training_report_free(r);
    assert_file_agrees(t.data, t.len, c->format, 0);
    free(t.data);
}

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rule_cases / sizeof *rule_cases; i++)
        run_rule_case(&rule_cases[i], "\n");
}

static void test_rules_crlf(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rule_cases / sizeof *rule_cases; i++)
        run_rule_case(&rule_cases[i], "\r\n");
}

/* Lines that look unusual but are valid. */
static const rule_case valid_cases[] = {
    {"assistant tool call, null content", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                  "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c\","
                  "\"content\":\"r\"}," ASSISTANT_OK),
     {NULL}},
    {"assistant tool call, no content", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"f\","
                  "\"arguments\":\"\"}}]}"),
     {NULL}},
    {"legacy function_call", OAI_TRAINING_CHAT,
     MSGS(USER_HI ",{\"role\":\"assistant\",\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\"}}"), {NULL}},
    {"content parts", OAI_TRAINING_CHAT,
     MSGS("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},{\"type\":\"image_url\","
          "\"image_url\":{\"url\":\"https://x/y.png\"}}]}," ASSISTANT_OK),
     {NULL}},
    {"developer and weights", OAI_TRAINING_CHAT,
     MSGS("{\"role\":\"developer\",\"content\":\"d\"}," USER_HI ",{\"role\":\"assistant\",\"content\":\"a\","
          "\"weight\":0}," USER_HI ",{\"role\":\"assistant\",\"content\":\"b\",\"weight\":1}"),
     {NULL}},
    {"extra fields", OAI_TRAINING_CHAT,
     "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"name\":\"bob\"}," ASSISTANT_OK
     "],\"parallel_tool_calls\":false,\"tools\":[],\"metadata\":{}}",
     {NULL}},
    {"edge UTF-8", OAI_TRAINING_CHAT,
     UTF8_LINE("\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"),
     {NULL}},
    {"escaped NUL", OAI_TRAINING_CHAT, UTF8_LINE("a\\u0000b"), {NULL}},
    {"leading spaces", OAI_TRAINING_CHAT, "   " CHAT_OK "\t ", {NULL}},
    {"preference multi-turn", OAI_TRAINING_PREFERENCE,
     PREF("{\"messages\":[{\"role\":\"system\",\"content\":\"s\"}," USER_HI "," ASSISTANT_OK "," USER_HI
          "],\"tools\":[]}",
          PREF_OUT, PREF_OUT),
     {NULL}},
    {"empty prompt", OAI_TRAINING_COMPLETION, "{\"prompt\":\"\",\"completion\":\"x\"}", {NULL}},
};

static void test_valid_variants(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid_cases / sizeof *valid_cases; i++) {
        run_rule_case(&valid_cases[i], "\n");
        run_rule_case(&valid_cases[i], "\r\n");
    }
}

/* Problem messages are precise and quote little. */
static void test_messages(void **state)
{
    (void)state;
    text t = lines_with(OAI_TRAINING_CHAT, UTF8_LINE("\xC0\xAF"), 2, 11, "\n");
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    const char *m = oai_training_report_problem_message(r, 0);
    assert_non_null(strstr(m, "byte 40 "));
    assert_non_null(strstr(m, "0xC0"));
    assert_non_null(strstr(m, "overlong"));
    oai_training_report_free(r);
    free(t.data);

    /* A long bad line and a long role are quoted in ~40 characters. */
    text bad = {NULL, 0, 0};
    text_str(&bad, "{\"messages\":[{\"role\":\"");
    text_repeat(&bad, 'r', 5000);
    text_str(&bad, "\",\"content\":\"x\"}," ASSISTANT_OK "]}");
    text_str(&bad, "\n{\"messages\": \x01");
    text_repeat(&bad, 'j', 10000);
    text_str(&bad, "\n");
    r = validate(bad.data, bad.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_string_equal(oai_training_report_problem_code(r, 0), "unknown_role");
    assert_true(strlen(oai_training_report_problem_message(r, 0)) < 160);
    assert_non_null(strstr(oai_training_report_problem_message(r, 0), "messages[0]"));
    assert_string_equal(oai_training_report_problem_code(r, 1), "invalid_json");
    m = oai_training_report_problem_message(r, 1);
    assert_true(strlen(m) < 120);
    assert_non_null(strstr(m, "{\"messages\": \\x01jjj"));
    assert_non_null(strstr(m, "..."));
    oai_training_report_free(r);
    free(bad.data);

    /* The index of the failing message is named. */
    t = lines_with(OAI_TRAINING_CHAT,
                   MSGS(USER_HI "," ASSISTANT_OK ",{\"role\":\"tool\",\"content\":\"x\"}," ASSISTANT_OK), 1, 10, "\n");
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_string_equal(oai_training_report_problem_message(r, 0), "messages[2] (tool) has no string \"tool_call_id\"");
    oai_training_report_free(r);
    free(t.data);
}

/* ------------------------------------------------------------------------ */
/* Whole-file rules and line handling */

static void test_whole_file(void **state)
{
    (void)state;
    static const expected_problem empty[] = {{0, "empty_file"}};
    static const expected_problem few[] = {{0, "too_few_examples"}};
    static const expected_problem few_and_bad[] = {{2, "invalid_json"}, {0, "too_few_examples"}};
    oai_training_report *r = validate("", 0, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_problems("empty", r, empty, 1);
    oai_training_report_free(r);
    r = validate(NULL, 0, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_problems("NULL, 0", r, empty, 1);
    oai_training_report_free(r);
    r = validate("\n  \r\n\t\n\r\n", 8, OAI_TRAINING_COMPLETION, 0, OAI_ERR_INVALID_DATA);
    assert_problems("blank", r, empty, 1);
    assert_int_equal(oai_training_report_example_count(r), 0);
    oai_training_report_free(r);

    text t = lines_with(OAI_TRAINING_CHAT, "", 0, 9, "\n");
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_problems("nine", r, few, 1);
    assert_non_null(strstr(oai_training_report_problem_message(r, 0), "9 examples"));
    oai_training_report_free(r);
    free(t.data);

    t = lines_with(OAI_TRAINING_COMPLETION, "{", 2, 3, "\n");
    r = validate(t.data, t.len, OAI_TRAINING_COMPLETION, 0, OAI_ERR_INVALID_DATA);
    assert_problems("three", r, few_and_bad, 2);
    oai_training_report_free(r);
    free(t.data);

    t = lines_with(OAI_TRAINING_PREFERENCE, "", 0, 10, "\n");
    r = validate(t.data, t.len, OAI_TRAINING_PREFERENCE, 0, OAI_OK);
    assert_problems("ten", r, NULL, 0);
    oai_training_report_free(r);
    free(t.data);
}

static void test_blank_lines_and_line_ends(void **state)
{
    (void)state;
    /* Blank lines count as lines, not as examples. The last line has no LF.
     * A byte order mark opens the file. */
    text t = {NULL, 0, 0};
    text_str(&t, "\xEF\xBB\xBF" CHAT_OK "\r\n\r\n   \n");
    for (int i = 0; i < 8; i++)
        text_str(&t, CHAT_OK "\n");
    text_str(&t, "\t\n" MSGS(USER_HI) "\n\n" CHAT_OK "\r\n{\"messages\":1}");
    static const expected_problem want[] = {{13, "no_assistant_message"}, {16, "missing_messages"}};
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_problems("blank lines", r, want, 2);
    assert_int_equal(oai_training_report_example_count(r), 12);
    assert_int_equal(oai_training_report_stat(r, "lines"), 16);
    oai_training_report_free(r);
    assert_file_agrees(t.data, t.len, OAI_TRAINING_CHAT, 0);
    free(t.data);

    /* A byte order mark anywhere but at the start is no white space. */
    t = lines_with(OAI_TRAINING_CHAT, "\xEF\xBB\xBF", 3, 11, "\n");
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_int_equal(oai_training_report_problem_line(r, 0), 3);
    oai_training_report_free(r);
    free(t.data);
}

/* A chat line of exactly `len` bytes (without its line end). */
static void add_chat_line_of(text *t, size_t len)
{
    static const char head[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"";
    static const char tail[] = "\"}," ASSISTANT_OK "]}";
    size_t frame = strlen(head) + strlen(tail);
    assert_true(len > frame);
    text_str(t, head);
    text_repeat(t, 'a', len - frame);
    text_str(t, tail);
}

static void test_line_limit(void **state)
{
    (void)state;
    /* Lines at the limit pass (with LF or CRLF); one byte more does not, and
     * later line numbers stay right. */
    text t = {NULL, 0, 0};
    text_str(&t, CHAT_OK "\n");
    add_chat_line_of(&t, MAX_LINE);
    text_str(&t, "\n");
    add_chat_line_of(&t, MAX_LINE);
    text_str(&t, "\r\n");
    add_chat_line_of(&t, MAX_LINE + 1);
    text_str(&t, "\n");
    text_repeat(&t, 'x', 3 * MAX_LINE); /* over several carry refills */
    text_str(&t, "\r\n");
    for (int i = 0; i < 8; i++)
        text_str(&t, CHAT_OK "\n");
    text_str(&t, "{}\n");
    text_repeat(&t, '{', MAX_LINE + 100); /* the last line, without LF */
    static const expected_problem want[] = {
        {4, "line_too_long"}, {5, "line_too_long"}, {14, "missing_messages"}, {15, "line_too_long"}};
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_problems("line limit", r, want, 4);
    assert_int_equal(oai_training_report_example_count(r), 15);
    char expect[128];
    snprintf(expect, sizeof expect, "the line is %zu bytes long", MAX_LINE + 1);
    assert_non_null(strstr(oai_training_report_problem_message(r, 0), expect));
    snprintf(expect, sizeof expect, "the line is %zu bytes long", 3 * MAX_LINE); /* without its CR */
    assert_non_null(strstr(oai_training_report_problem_message(r, 1), expect));
    oai_training_report_free(r);
    assert_file_agrees(t.data, t.len, OAI_TRAINING_CHAT, 0);
    free(t.data);
}

/* A line whose user content puts `seq` at file offset `at`. */
static void add_line_with_sequence_at(text *t, size_t at, const char *seq)
{
    static const char head[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"";
    size_t start = t->len + strlen(head);
    assert_true(at >= start);
    text_str(t, head);
    text_repeat(t, 'p', at - start);
    text_str(t, seq);
    text_str(t, "\"}," ASSISTANT_OK "]}\n");
}

static void test_utf8_across_read_chunks(void **state)
{
    (void)state;
    /* Multi-byte characters straddle every multiple of 4 KiB up to 1 MiB,
     * so whatever power-of-two chunk size the reader uses, some sequence is
     * split by a chunk end, after each of its bytes in turn. One invalid
     * sequence straddles 64 KiB. */
    static const char *const valid[] = {"\xE4\xBD\xA0", "\xF0\x9F\x98\x80", "\xC3\xA9"};
    text t = {NULL, 0, 0};
    text_str(&t, CHAT_OK "\n");
    int64_t line = 1, bad_line = 0;
    size_t k = 0;
    for (size_t boundary = 4096; boundary <= 1024 * 1024; boundary += 4096, k++) {
        const char *seq = valid[k % 3];
        size_t before = 1 + (k / 3) % (strlen(seq) - 1);
        line++;
        if (boundary == 65536) {
            add_line_with_sequence_at(&t, boundary - 1, "\xE4\xBD" "(");
            bad_line = line;
        } else {
            add_line_with_sequence_at(&t, boundary - before, seq);
        }
    }
    expected_problem want[] = {{bad_line, "invalid_utf8"}};
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_problems("utf8 at chunk edges", r, want, 1);
    assert_non_null(strstr(oai_training_report_problem_message(r, 0), "cut short"));
    oai_training_report_free(r);
    assert_file_agrees(t.data, t.len, OAI_TRAINING_CHAT, 0);
    free(t.data);
}

/* ------------------------------------------------------------------------ */
/* Statistics and the token estimate */

typedef struct stats {
    int64_t examples, messages_min, messages_max, messages_total, assistant_messages, characters,
        tokens_estimated, tokens_max, examples_over_context;
} stats;

static void assert_stats(const oai_training_report *r, const stats *s)
{
    assert_int_equal(oai_training_report_example_count(r), s->examples);
    assert_int_equal(oai_training_report_stat(r, "examples"), s->examples);
    assert_int_equal(oai_training_report_stat(r, "messages_min"), s->messages_min);
    assert_int_equal(oai_training_report_stat(r, "messages_max"), s->messages_max);
    assert_int_equal(oai_training_report_stat(r, "messages_total"), s->messages_total);
    assert_int_equal(oai_training_report_stat(r, "assistant_messages"), s->assistant_messages);
    assert_int_equal(oai_training_report_stat(r, "characters"), s->characters);
    assert_int_equal(oai_training_report_stat(r, "tokens_estimated"), s->tokens_estimated);
    assert_int_equal(oai_training_report_stat(r, "tokens_max"), s->tokens_max);
    assert_int_equal(oai_training_report_stat(r, "examples_over_context"), s->examples_over_context);
}

#define TOOLS_JSON "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}]"

/* Nine plain lines (14 tokens, 9 characters each), a mixed-script line (21
 * tokens, 15 characters) and a tool-calling line (32 tokens + the tools). */
static text chat_stats_file(void)
{
    text t = {NULL, 0, 0};
    for (int i = 0; i < 9; i++)
        text_str(&t, MSGS("{\"role\":\"user\",\"content\":\"abcd\"},{\"role\":\"assistant\",\"content\":\"efghi\"}") "\n");
    /* system: 2 CJK = 2 tokens; user: "héllo" = ceil(4/4) + 1; assistant: 8 ASCII = 2 */
    text_str(&t, MSGS("{\"role\":\"system\",\"content\":\"\xE4\xBD\xA0\xE5\xA5\xBD\"},{\"role\":\"user\",\"content\":"
                      "\"h\xC3\xA9llo\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"abcdefgh\"}]}")
                     "\n");
    /* user "w?" 1; call: name 11 bytes = 3, arguments 16 bytes = 4; tool "sunny" 2; "It is sunny." 3 */
    text_str(&t, "{\"messages\":[{\"role\":\"user\",\"content\":\"w?\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":"
                 "\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":"
                 "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sunny\"},"
                 "{\"role\":\"assistant\",\"content\":\"It is sunny.\"}],\"tools\":" TOOLS_JSON "}\n");
    return t;
}

static void test_chat_stats(void **state)
{
    (void)state;
    text t = chat_stats_file();
    int64_t tools = (int64_t)(strlen(TOOLS_JSON) + 3) / 4;
    int64_t last = 3 + 5 + (4 + 3 + 4) + 6 + 7 + tools;
    stats want = {11, 2, 4, 9 * 2 + 3 + 4, 9 + 1 + 2, 9 * 9 + 15 + (2 + 27 + 5 + 12), 9 * 14 + 21 + last, last, 0};
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_OK);
    assert_stats(r, &want);
    oai_training_report_free(r);

    /* The context limit: the estimate must not exceed it. */
    static const expected_problem over[] = {{10, "over_context_limit"}, {11, "over_context_limit"}};
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, 20, OAI_ERR_INVALID_DATA);
    assert_problems("context 20", r, over, 2);
    want.examples_over_context = 2;
    assert_stats(r, &want);
    assert_non_null(strstr(oai_training_report_problem_message(r, 0), "about 21 tokens"));
    oai_training_report_free(r);
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, last - 1, OAI_ERR_INVALID_DATA);
    assert_int_equal(oai_training_report_problem_count(r), 1);
    assert_int_equal(oai_training_report_problem_line(r, 0), 11);
    oai_training_report_free(r);
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, last, OAI_OK);
    oai_training_report_free(r);
    assert_file_agrees(t.data, t.len, OAI_TRAINING_CHAT, 20);
    free(t.data);
}

static void test_preference_and_completion_stats(void **state)
{
    (void)state;
    text t = {NULL, 0, 0};
    for (int i = 0; i < 10; i++)
        text_str(&t, PREF("{\"messages\":[{\"role\":\"user\",\"content\":\"abcd\"}]}",
                          "[{\"role\":\"assistant\",\"content\":\"abcdefgh\"}]",
                          "[{\"role\":\"assistant\",\"content\":\"ab\"}]") "\n");
    /* 3 + input 5 + the longer output 6 */
    stats pref = {10, 3, 3, 30, 20, 140, 140, 14, 0};
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_PREFERENCE, 0, OAI_OK);
    assert_stats(r, &pref);
    oai_training_report_free(r);
    free(t.data);

    t.data = NULL;
    t.len = t.cap = 0;
    for (int i = 0; i < 10; i++)
        text_str(&t, "{\"prompt\":\"abcd\",\"completion\":\"abcdefghi\"}\n");
    stats completion = {10, 0, 0, 0, 0, 130, 70, 7, 0};
    r = validate(t.data, t.len, OAI_TRAINING_COMPLETION, 0, OAI_OK);
    assert_stats(r, &completion);
    oai_training_report_free(r);
    free(t.data);
}

/* ------------------------------------------------------------------------ */
/* Arguments, files, the cap and the JSON report */

static void test_arguments(void **state)
{
    (void)state;
    oai_training_report *r;
    /* Bad arguments give a report that says so and holds nothing else. */
    r = oai_training_report_buffer_new(NULL, 3, OAI_TRAINING_CHAT, 0);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_training_report_error_message(r), "oai_training_report_buffer_new: the data is NULL"));
    assert_int_equal(oai_training_report_is_valid(r), 0);
    assert_int_equal(oai_training_report_problem_count(r), 0);
    assert_int_equal(oai_training_report_example_count(r), 0);
    oai_training_report_free(r);
    assert_failed_object(oai_training_report, oai_training_report_buffer_new("x", 1, 0, 0), OAI_ERR_INVALID_ARGUMENT,
                         oai_training_report_status, oai_training_report_error_message, oai_training_report_free);
    assert_failed_object(oai_training_report, oai_training_report_buffer_new("x", 1, 4, 0), OAI_ERR_INVALID_ARGUMENT,
                         oai_training_report_status, oai_training_report_error_message, oai_training_report_free);
    assert_failed_object(oai_training_report, oai_training_report_buffer_new("x", 1, OAI_TRAINING_CHAT, -1),
                         OAI_ERR_INVALID_ARGUMENT, oai_training_report_status, oai_training_report_error_message,
                         oai_training_report_free);
    assert_failed_object(oai_training_report, oai_training_report_new(NULL, OAI_TRAINING_CHAT, 0),
                         OAI_ERR_INVALID_ARGUMENT, oai_training_report_status, oai_training_report_error_message,
                         oai_training_report_free);
    assert_failed_object(oai_training_report, oai_training_report_new("/tmp", 9, 0), OAI_ERR_INVALID_ARGUMENT,
                         oai_training_report_status, oai_training_report_error_message, oai_training_report_free);
    /* An empty buffer is no bad argument: it is invalid data. */
    r = oai_training_report_buffer_new(NULL, 0, OAI_TRAINING_CHAT, 0);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_DATA);
    oai_training_report_free(r);

    /* NULL-safe accessors */
    oai_training_report_free(NULL);
    assert_int_equal(oai_training_report_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_training_report_error_message(NULL));
    assert_int_equal(oai_training_report_is_valid(NULL), 0);
    assert_int_equal(oai_training_report_problem_count(NULL), 0);
    assert_int_equal(oai_training_report_problem_line(NULL, 0), 0);
    assert_null(oai_training_report_problem_code(NULL, 0));
    assert_null(oai_training_report_problem_message(NULL, 0));
    assert_int_equal(oai_training_report_example_count(NULL), 0);
    assert_int_equal(oai_training_report_stat(NULL, "characters"), 0);
    assert_null(oai_training_report_json_dup(NULL));

    r = validate("{}", 2, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_null(oai_training_report_problem_code(r, 99));
    assert_null(oai_training_report_problem_message(r, 99));
    assert_int_equal(oai_training_report_problem_line(r, 99), 0);
    assert_int_equal(oai_training_report_stat(r, NULL), 0);
    assert_int_equal(oai_training_report_stat(r, "no_such_stat"), 0);
    oai_training_report_free(r);
}

static void test_file_errors(void **state)
{
    (void)state;
    oai_training_report *r = oai_training_report_new("/nonexistent/oai/train.jsonl", OAI_TRAINING_CHAT, 0);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_IO);
    assert_string_equal(oai_training_report_error_message(r),
                        "oai_training_report_new: cannot open /nonexistent/oai/train.jsonl: No such file or directory");
    assert_int_equal(oai_training_report_is_valid(r), 0);
    assert_int_equal(oai_training_report_problem_count(r), 0);
    char *json = oai_training_report_json_dup(r);
    assert_non_null(strstr(json, "\"valid\":false"));
    oai_free(json);
    oai_training_report_free(r);
    assert_failed_object(oai_training_report, oai_training_report_new("/tmp", OAI_TRAINING_CHAT, 0), /* a directory */
                         OAI_ERR_IO, oai_training_report_status, oai_training_report_error_message,
                         oai_training_report_free);

    char *path = write_temp("", 0);
    r = oai_training_report_new(path, OAI_TRAINING_CHAT, 0);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_DATA);
    assert_non_null(strstr(oai_training_report_error_message(r), "1 problem; the first: the file holds no examples"));
    assert_string_equal(oai_training_report_problem_code(r, 0), "empty_file");
    oai_training_report_free(r);
    unlink(path);
    free(path);
}

static void test_problem_cap(void **state)
{
    (void)state;
    text t = {NULL, 0, 0};
    for (int i = 0; i < 1500; i++)
        text_str(&t, "x\n");
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_ERR_INVALID_DATA);
    assert_int_equal(oai_training_report_problem_count(r), 1000);
    assert_int_equal(oai_training_report_stat(r, "problems_total"), 1500);
    assert_int_equal(oai_training_report_problem_line(r, 999), 1000);
    assert_int_equal(oai_training_report_is_valid(r), 0);
    char *json = oai_training_report_json_dup(r);
    oai_value *doc = oai__json_parse(json, strlen(json), NULL);
    assert_non_null(doc);
    assert_int_equal(oai_value_get_count(doc, "/problems"), 1000);
    assert_int_equal(oai_value_get_int(doc, "/problems_total"), 1500);
    assert_int_equal(oai_value_get_bool(doc, "/truncated"), 1);
    oai__json_decref(doc);
    oai_free(json);
    oai_training_report_free(r);
    free(t.data);
}

/* The JSON report says what the accessors say. */
static void assert_json_matches(const oai_training_report *r, const char *format)
{
    static const char *const names[] = {"messages_min", "messages_max", "messages_total", "assistant_messages",
                                        "characters", "tokens_estimated", "tokens_max", "examples_over_context"};
    char *json = oai_training_report_json_dup(r);
    assert_non_null(json);
    oai_status st;
    oai_value *doc = oai__json_parse(json, strlen(json), &st);
    assert_non_null(doc);
    assert_int_equal(oai_value_type_of(oai_value_get(doc, "/valid")), OAI_VALUE_BOOL);
    assert_int_equal(oai_value_get_bool(doc, "/valid"), oai_training_report_is_valid(r));
    assert_string_equal(oai_value_get_string(doc, "/format"), format);
    assert_int_equal(oai_value_get_int(doc, "/examples"), oai_training_report_example_count(r));
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char pointer[64];
        snprintf(pointer, sizeof pointer, "/stats/%s", names[i]);
        assert_int_equal(oai_value_type_of(oai_value_get(doc, pointer)), OAI_VALUE_INT);
        assert_int_equal(oai_value_get_int(doc, pointer), oai_training_report_stat(r, names[i]));
    }
    size_t n = oai_training_report_problem_count(r);
    assert_int_equal(oai_value_get_count(doc, "/problems"), n);
    assert_int_equal(oai_value_get_int(doc, "/problems_total"), (int64_t)n);
    assert_int_equal(oai_value_get_bool(doc, "/truncated"), 0);
    for (size_t i = 0; i < n; i++) {
        const oai_value *p = oai_value_item(oai_value_get(doc, "/problems"), i);
        assert_int_equal(oai_value_get_int(p, "/line"), oai_training_report_problem_line(r, i));
        assert_string_equal(oai_value_get_string(p, "/code"), oai_training_report_problem_code(r, i));
        assert_string_equal(oai_value_get_string(p, "/message"), oai_training_report_problem_message(r, i));
    }
    oai__json_decref(doc);
    oai_free(json);
}

static void test_json_report(void **state)
{
    (void)state;
    text t = chat_stats_file();
    oai_training_report *r = validate(t.data, t.len, OAI_TRAINING_CHAT, 0, OAI_OK);
    assert_json_matches(r, "chat");
    oai_training_report_free(r);
    r = validate(t.data, t.len, OAI_TRAINING_CHAT, 20, OAI_ERR_INVALID_DATA);
    assert_json_matches(r, "chat");
    oai_training_report_free(r);
    free(t.data);

    /* Problems quoting odd bytes still make valid JSON. */
    t = lines_with(OAI_TRAINING_PREFERENCE, "{\"input\":\"\x7F\\\"\\\\\\u0000\xE4\xBD\xA0\"", 3, 5, "\n");
    r = validate(t.data, t.len, OAI_TRAINING_PREFERENCE, 0, OAI_ERR_INVALID_DATA);
    assert_json_matches(r, "preference");
    oai_training_report_free(r);
    free(t.data);

    r = validate("{\"prompt\":\"a\",\"completion\":\"b\"}", 31, OAI_TRAINING_COMPLETION, 0, OAI_ERR_INVALID_DATA);
    assert_json_matches(r, "completion");
    oai_training_report_free(r);
}

/* ------------------------------------------------------------------------ */
/* Size: 20 MB through the file API, in bounded memory. */

static void test_large_file(void **state)
{
    (void)state;
    char path[] = "/tmp/oai_training_large_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    int64_t examples = 0;
    size_t written = 0;
    while (written < 20u * 1000 * 1000) {
        int n = fprintf(f,
                        "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
                        "{\"role\":\"user\",\"content\":\"Question %lld: what is %lld + %lld? \xE4\xBD\xA0\xE5\xA5\xBD\"},"
                        "{\"role\":\"assistant\",\"content\":\"It is %lld. Let me explain the arithmetic step "
                        "by step so that the answer is easy to follow.\"}]}\n",
                        (long long)examples, (long long)examples, (long long)examples * 3,
                        (long long)examples * 4);
        assert_true(n > 0);
        written += (size_t)n;
        examples++;
    }
    assert_int_equal(fclose(f), 0);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    oai_training_report *r = oai_training_report_new(path, OAI_TRAINING_CHAT, 4096);
    assert_int_equal(oai_training_report_status(r), OAI_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unlink(path);
    assert_int_equal(oai_training_report_example_count(r), examples);
    assert_int_equal(oai_training_report_stat(r, "messages_total"), 3 * examples);
    assert_int_equal(oai_training_report_stat(r, "assistant_messages"), examples);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("validated %zu bytes, %lld examples in %.2f s\n", written, (long long)examples, seconds);
    oai_training_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rules_crlf),
        cmocka_unit_test(test_valid_variants),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_whole_file),
        cmocka_unit_test(test_blank_lines_and_line_ends),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_utf8_across_read_chunks),
        cmocka_unit_test(test_chat_stats),
        cmocka_unit_test(test_preference_and_completion_stats),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_problem_cap),
        cmocka_unit_test(test_json_report),
        cmocka_unit_test(test_large_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
