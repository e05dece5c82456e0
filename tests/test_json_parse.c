/* The JSON parser (src/json/json.c) against jansson's own, and its reals
 * against strtod().
 *
 * oai__json_parse() is our recursive-descent parser building jansson
 * values (docs/architecture.md says why it is not json_loadb()). Its fast
 * paths (strings without escapes read in place, runs of plain bytes copied
 * at once, integers summed without strtoll(), reals read exactly without
 * strtod() when their digits allow) must change nothing:
 *
 *   - generated documents (every kind of string, escape, number and
 *     nesting, in several white-space styles) and some thousands of
 *     deterministic mutations of them parse to the same values as
 *     json_loadb() gives, and fail where it fails;
 *   - reals, printed every way a server prints them, read as the same
 *     double as strtod() reads (bit for bit, -0.0 included);
 *   - with each allocation failing in turn, a parse reports
 *     OAI_ERR_OUT_OF_MEMORY (never bad JSON) or succeeds, and leaks
 *     nothing.
 *
 * Environment: OAI_TEST_JSON_MUTATIONS=n sets the number of mutations
 * (20000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

/* ------------------------------------------------------------------------ */
/* An allocator that can fail the Nth allocation and counts what is live    */

static long alloc_countdown; /* 0: never fail; n: the nth allocation from now fails */
static long alloc_live;

static int alloc_should_fail(void)
{
    return alloc_countdown > 0 && --alloc_countdown == 0;
}

static void *hook_malloc(void *ud, size_t n)
{
    void *p;
    (void)ud;
    if (alloc_should_fail())
        return NULL;
    p = malloc(n ? n : 1);
    if (p)
        alloc_live++;
    return p;
}

static void *hook_realloc(void *ud, void *old, size_t n)
{
    void *p;
    (void)ud;
    if (alloc_should_fail())
        return NULL;
    p = realloc(old, n ? n : 1);
    if (p && !old)
        alloc_live++;
    return p;
}

static void hook_free(void *ud, void *p)
{
    (void)ud;
    if (p)
        alloc_live--;
    free(p);
}

/* ------------------------------------------------------------------------ */
/* Deterministic randomness                                                  */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static uint32_t below(uint32_t n)
{
    return n ? rnd() % n : 0;
}

/* ------------------------------------------------------------------------ */
/* Text buffers                                                              */

typedef struct tbuf {
    char *p;
    size_t len, cap;
} tbuf;

static void put(tbuf *t, const void *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->p = realloc(t->p, cap);
        assert_non_null(t->p);
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void puts_(tbuf *t, const char *s)
{
    put(t, s, strlen(s));
}

static void putf(tbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(tbuf *t, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    put(t, buf, (size_t)n);
}

/* ------------------------------------------------------------------------ */
/* Generated documents                                                       */

/* A UTF-8 character of 1 to 4 bytes, raw. */
static void gen_utf8_char(tbuf *t)
{
    static const char *const samples[] = {"a", "Z", " ", "~", "\xc3\xa9", "\xd0\xb6", "\xe6\x98\xa5", "\xe5\xa4\xa9",
                                          "\xe2\x82\xac", "\xef\xbf\xbd", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
                                          "\xc2\x80", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xf0\x90\x80\x80"};
    puts_(t, samples[below(sizeof samples / sizeof *samples)]);
}

static void gen_escape(tbuf *t)
{
    static const char *const escapes[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
                                          "\\u0041", "\\u00e9", "\\u4e2d", "\\uD83D\\uDE00", "\\u001f",
                                          "\\u0000", "\\uffff", "\\uDBFF\\uDFFF", "\\u20AC"};
    puts_(t, escapes[below(sizeof escapes / sizeof *escapes)]);
}

/* A string: plain runs, UTF-8, escapes; long ones now and then. */
static void gen_string(tbuf *t, int allow_nul_escape)
{
    size_t n = below(8) == 0 ? below(300) : below(12), i;
    put(t, "\"", 1);
    for (i = 0; i < n; i++) {
        uint32_t k = below(10);
        if (k < 6) {
            char c = (char)(' ' + below(95));
            if (c == '"' || c == '\\')
                c = 'x';
            put(t, &c, 1);
        } else if (k < 8) {
            gen_utf8_char(t);
        } else {
            size_t before = t->len;
            gen_escape(t);
            if (!allow_nul_escape && strstr(t->p + before, "\\u0000")) {
                t->len = before;
                t->p[t->len] = '\0';
                put(t, "q", 1);
            }
        }
    }
    put(t, "\"", 1);
}

static void gen_number(tbuf *t)
{
    switch (below(8)) {
    case 0: putf(t, "%d", (int)below(10)); break;
    case 1: putf(t, "-%u", below(1000000)); break;
    case 2: putf(t, "%lld", (long long)((int64_t)rnd() << 31 | rnd())); break;
    case 3: putf(t, "%s", below(2) ? "9223372036854775807" : "-9223372036854775808"); break;
    case 4: putf(t, "%.*g", (int)(1 + below(17)), ((double)rnd() - 2147483648.0) / (1 + below(100000))); break;
    case 5: putf(t, "%s0.%0*u", below(2) ? "-" : "", (int)(1 + below(12)), below(100000000)); break;
    case 6: putf(t, "%u.%ue%s%u", below(100), below(1000), below(2) ? "-" : "+", below(40)); break;
    default: putf(t, "%.17g", (double)rnd() * 1e-9 * (below(2) ? -1 : 1)); break;
    }
}

static void gen_space(tbuf *t, int style)
{
    static const char *const styles[] = {"", " ", "\n  ", "\t", "\r\n    "};
    if (style)
        puts_(t, styles[(size_t)style % (sizeof styles / sizeof *styles)]);
}

/* When set, keys come from a small pool (some spelled with escapes), so
 * that documents repeat keys and name array indices: the watches of
 * oai__json_scan() meet duplicates and members named "0". */
static int small_keys;

static void gen_key(tbuf *t)
{
    static const char *const pool[] = {"\"a\"", "\"b\"", "\"\\u0061\"", "\"0\"", "\"1\"", "\"choices\"",
                                       "\"a~b\"", "\"a/b\"", "\"\xc3\xa9\"", "\"\\u00e9\""};
    if (small_keys)
        puts_(t, pool[below(sizeof pool / sizeof *pool)]);
    else
        gen_string(t, 0); /* jansson refuses a key holding NUL */
}

static void gen_value(tbuf *t, int depth, int style)
{
    uint32_t k = below(depth > 6 ? 6 : 9);
    size_t i, n;
    switch (k) {
    case 0: puts_(t, "true"); break;
    case 1: puts_(t, "false"); break;
    case 2: puts_(t, "null"); break;
    case 3:
    case 4: gen_number(t); break;
    case 5: gen_string(t, 1); break;
    case 6:
    case 7:
        n = below(6);
        put(t, "{", 1);
        for (i = 0; i < n; i++) {
            if (i)
                put(t, ",", 1);
            gen_space(t, style);
            gen_key(t);
            put(t, ":", 1);
            gen_space(t, style == 2 ? 1 : 0);
            gen_value(t, depth + 1, style);
        }
        gen_space(t, style);
        put(t, "}", 1);
        break;
    default:
        n = below(6);
        put(t, "[", 1);
        for (i = 0; i < n; i++) {
            if (i)
                put(t, ",", 1);
            gen_space(t, style);
            gen_value(t, depth + 1, style);
        }
        gen_space(t, style);
        put(t, "]", 1);
    }
}

/* ------------------------------------------------------------------------ */
/* Comparing with jansson                                                    */

/* Bit-for-bit equality, reals included (json_equal() takes -0.0 for 0.0). */
static int same_value(json_t *a, json_t *b)
{
    size_t i;
    const char *key;
    json_t *v;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach(a, key, v) {
            json_t *w = json_object_get(b, key);
            if (!w || !same_value(v, w))
                return 0;
        }
        return 1;
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (i = 0; i < json_array_size(a); i++)
            if (!same_value(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default:
        return json_equal(a, b);
    }
}

/* The scan without a tree refuses what the parser refuses, with the same
 * status, and gives the top-level type of what it accepts. */
static int scan_agrees(const char *s, size_t len, const oai_value *parsed, oai_status parse_status)
{
    int type = -1;
    oai_status st = oai__json_scan(s, len, &type, NULL, 0);
    if (st == parse_status && (st != OAI_OK || type == oai_value_type_of(parsed)))
        return 1;
    print_message("scan disagrees (scan status %d, type %d; parse status %d, type %d) on %zu bytes: %.*s\n",
                  (int)st, type, (int)parse_status, oai_value_type_of(parsed), len, (int)(len < 400 ? len : 400), s);
    return 0;
}

/* Parses with both; returns 1 when they agree (both fail, or both give the
 * same value), printing the text when they do not. The scan must agree as
 * well. */
static int agrees_with_jansson(const char *s, size_t len)
{
    oai_status st = OAI_OK;
    json_error_t err;
    oai_value *ours = oai__json_parse(s, len, &st);
    json_t *theirs = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    int ok;
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) { /* we skip a BOM; jansson does not */
        json_decref(theirs);
        theirs = json_loadb(s + 3, len - 3, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    }
    if (!ours || !theirs)
        ok = !ours && !theirs && st == OAI_ERR_PROTOCOL;
    else
        ok = st == OAI_OK && same_value((json_t *)ours, theirs);
    if (!ok)
        print_message("disagree (ours %s, status %d; jansson %s: %s) on %zu bytes: %.*s\n", ours ? "ok" : "failed",
                      (int)st, theirs ? "ok" : "failed", theirs ? "" : err.text, len, (int)(len < 400 ? len : 400),
                      s);
    ok = scan_agrees(s, len, ours, st) && ok;
    oai__json_decref(ours);
    json_decref(theirs);
    return ok;
}

static void test_generated_documents(void **state)
{
    int i, bad = 0;
    (void)state;
    for (i = 0; i < 3000; i++) {
        tbuf t = {0};
        gen_space(&t, i % 5);
        gen_value(&t, 0, i % 5);
        gen_space(&t, i % 5);
        bad += !agrees_with_jansson(t.p, t.len);
        free(t.p);
    }
    assert_int_equal(bad, 0);
}

/* Byte flips, insertions, deletions and truncations of generated text. */
static void test_mutated_documents(void **state)
{
    static const char alphabet[] = "\"\\{}[]:,0123456789-+.eEtrufalsn u\x01\x1f\x7f\x80\xbf\xc0\xc3\xe2\xed\xf0\xf4\xf5\xff";
    const char *env = getenv("OAI_TEST_JSON_MUTATIONS");
    long count = env ? atol(env) : 20000, i;
    int bad = 0;
    (void)state;
    for (i = 0; i < count && bad < 10; i++) {
        tbuf t = {0};
        int edits = 1 + (int)below(3), e;
        gen_value(&t, 0, (int)(i % 5));
        for (e = 0; e < edits && t.len > 0; e++) {
            size_t at = below((uint32_t)t.len);
            char c = alphabet[below(sizeof alphabet - 1)];
            switch (below(4)) {
            case 0: t.p[at] = c; break;
            case 1: /* insert */
                put(&t, "", 1);
                memmove(t.p + at + 1, t.p + at, t.len - at - 1);
                t.p[at] = c;
                break;
            case 2: /* delete */
                memmove(t.p + at, t.p + at + 1, t.len - at - 1);
                t.len--;
                break;
            default: t.len = at; /* truncate */
            }
        }
        bad += !agrees_with_jansson(t.p ? t.p : "", t.len);
        free(t.p);
    }
    assert_int_equal(bad, 0);
}

/* Hand-picked edges of the fast paths. */
static void test_edges(void **state)
{
    static const char *const docs[] = {
        "\"\"", "\"plain\"", "\"a\\\"b\"", "\"\\\\\"", "\"tab\\there\"", "\"\\u0000\"", "\"x\\u0000y\"",
        "\"\xe6\x98\xa5\\n\xe5\xa4\xa9\"", "\"\xf0\x9f\x98\x80\"", "\"\\uD83D\\uDE00\"", "\"\\uD83D\"", "\"\\uDE00\"",
        "\"\\uD83Dx\"", "\"\\u12\"", "\"\\x\"", "\"a\nb\"", "\"a\x7f b\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xe6\x98\"", "\"abc", "\"abc\\", "\"abc\\\"", "{\"k\\u0000\":1}",
        "{\"k\\n\":1,\"k\\n\":2}", "{\"a\":1,\"a\":2}", "{\"\xe6\x98\xa5\":[]}", "{\"esc\\\"aped\":{\"x\":\"y\\/z\"}}",
        "0", "-0", "-0.0", "0.0", "1e5", "1E+5", "1e-5", "-1.5e-300", "1e308", "1e309", "-1e309", "4.9e-324",
        "2.2250738585072014e-308", "0.1", "0.30000000000000004", "123456789012345", "1234567890123456",
        "0.123456789012345", "0.1234567890123456", "1e22", "1e23", "1e-22", "1e-23", "9007199254740993",
        "9007199254740993.0", "18446744073709551615", "9223372036854775808", "-9223372036854775809",
        "-9223372036854775808", "999999999999999999", "1000000000000000000", "01", "1.", ".5", "1e", "1e+",
        "--1", "+1", "0x10", "1.0e0000000000000000000001", "0.000000000000000000000000000001", "1e-0", "[1,]",
        "{\"a\":1,}", "[", "]", "{\"a\"}", "{\"a\" 1}", "{1:2}", "nul", "truex", "[true false]", " \t\r\n[] \n",
        "\xef\xbb\xbf{}", "[\"\\ud800\\udc00\",\"\\uDBFF\\uDFFF\"]", "[1e-7,-2.5E+3,1.7976931348623157e308]",
    };
    size_t i;
    int bad = 0;
    (void)state;
    for (i = 0; i < sizeof docs / sizeof *docs; i++)
        bad += !agrees_with_jansson(docs[i], strlen(docs[i]));
    assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------------ */
/* Watches: where the scan finds a value, against the parsed tree           */

#define MAX_PATH 4

/* The value at the tokens, read as JSON Pointer reads them: a member of an
 * object, or an item of an array when the token is an index ("0", or
 * digits without a leading zero). */
static json_t *walk(json_t *v, char tokens[][32], size_t n)
{
    size_t i;
    for (i = 0; v && i < n; i++) {
        const char *tok = tokens[i], *p;
        size_t index = 0;
        if (json_is_object(v)) {
            v = json_object_get(v, tok);
            continue;
        }
        if (!json_is_array(v) || !*tok || (tok[0] == '0' && tok[1]))
            return NULL;
        for (p = tok; *p; p++) {
            if (*p < '0' || *p > '9')
                return NULL;
            index = index * 10 + (size_t)(*p - '0');
        }
        v = json_array_get(v, index);
    }
    return v;
}

/* A path of 1 to MAX_PATH tokens down the document, mostly through what
 * is there, now and then through what is not. */
static size_t pick_path(json_t *v, char tokens[][32])
{
    static const char *const others[] = {"a", "b", "0", "1", "2", "choices", "01", "-", "z"};
    size_t n = 0, want = 1 + below(MAX_PATH);
    while (n < want && (n == 0 || v == NULL || json_is_object(v) || json_is_array(v))) {
        if (json_is_object(v) && json_object_size(v) && below(5)) {
            size_t k = below((uint32_t)json_object_size(v)), i = 0;
            const char *key;
            json_t *item;
            json_object_foreach(v, key, item) {
                if (i++ == k) {
                    snprintf(tokens[n], sizeof tokens[n], "%s", key);
                    v = item;
                    break;
                }
            }
        } else if (json_is_array(v) && json_array_size(v) && below(5)) {
            size_t k = below((uint32_t)json_array_size(v));
            snprintf(tokens[n], sizeof tokens[n], "%zu", k);
            v = json_array_get(v, k);
        } else {
            snprintf(tokens[n], sizeof tokens[n], "%s", others[below(sizeof others / sizeof *others)]);
            v = NULL;
        }
        n++;
    }
    return n;
}

/* For many generated documents with repeated keys, three watches on paths
 * picked from the parsed tree: the scan must find what the tree holds
 * there (the last of duplicate members), a string with the same bytes. */
static void test_watches_find_what_the_tree_holds(void **state)
{
    int i, bad = 0, strings = 0;
    (void)state;
    small_keys = 1;
    for (i = 0; i < 4000 && bad < 10; i++) {
        tbuf t = {0};
        char tokens[3][MAX_PATH][32];
        const char *ptrs[3][MAX_PATH];
        oai__json_watch watches[3];
        oai_status st;
        size_t w, k;
        gen_space(&t, i % 5);
        gen_value(&t, 0, i % 5);
        json_t *doc = (json_t *)oai__json_parse(t.p, t.len, &st);
        if (!doc) {
            free(t.p);
            continue;
        }
        memset(watches, 0, sizeof watches);
        for (w = 0; w < 3; w++) {
            watches[w].count = pick_path(doc, tokens[w]);
            for (k = 0; k < watches[w].count; k++)
                ptrs[w][k] = tokens[w][k];
            watches[w].tokens = ptrs[w];
        }
        assert_int_equal(oai__json_scan(t.p, t.len, NULL, watches, 3), OAI_OK);
        for (w = 0; w < 3; w++) {
            json_t *want = walk(doc, tokens[w], watches[w].count);
            int want_found = !want ? OAI_JSON_WATCH_ABSENT
                                   : json_is_string(want) ? OAI_JSON_WATCH_STRING : OAI_JSON_WATCH_OTHER;
            int same = watches[w].found == want_found;
            if (same && want_found == OAI_JSON_WATCH_STRING) {
                size_t len = 0;
                char *text = oai__json_string_decode(t.p, watches[w].at, watches[w].len, &len);
                assert_non_null(text);
                same = len == json_string_length(want) && memcmp(text, json_string_value(want), len) == 0 &&
                       watches[w].escaped == (memchr(t.p + watches[w].at, '\\', watches[w].len) != NULL);
                oai_free(text);
                strings++;
            }
            if (!same) {
                bad++;
                print_message("watch %zu (%zu tokens, first \"%s\"): found %d, want %d, in: %.*s\n", w,
                              watches[w].count, tokens[w][0], watches[w].found, want_found,
                              (int)(t.len < 400 ? t.len : 400), t.p);
            }
        }
        oai__json_decref((oai_value *)doc);
        free(t.p);
    }
    small_keys = 0;
    print_message("%d strings found by watches\n", strings);
    assert_int_equal(bad, 0);
    assert_true(strings > 100); /* the test looked at strings, not only at absences */
}

/* Hand-picked: duplicates (the last wins, also over a whole subtree), a
 * member named like an index, escapes in keys and values, a BOM, the
 * limits of the watch table. */
static void test_watch_edges(void **state)
{
    static const char *const content[] = {"choices", "0", "message", "content"};
    static const struct {
        const char *doc;
        int found;
        const char *text;
    } cases[] = {
        {"{\"choices\":[{\"message\":{\"content\":\"hi\"}}]}", OAI_JSON_WATCH_STRING, "hi"},
        {"\xef\xbb\xbf {\"choices\":[{\"message\":{\"content\":\"bom\"}}]}", OAI_JSON_WATCH_STRING, "bom"},
        {"{\"choices\":[{\"message\":{\"content\":\"a\",\"content\":\"b\"}}]}", OAI_JSON_WATCH_STRING, "b"},
        {"{\"choices\":[{\"message\":{\"content\":\"a\"}}],\"choices\":[{\"text\":\"b\"}]}", OAI_JSON_WATCH_ABSENT, NULL},
        {"{\"choices\":[{\"message\":{\"content\":\"a\"}}],\"choices\":5}", OAI_JSON_WATCH_ABSENT, NULL},
        {"{\"choices\":{\"0\":{\"message\":{\"content\":\"by name\"}}}}", OAI_JSON_WATCH_STRING, "by name"},
        {"{\"choices\":[{},{\"message\":{\"content\":\"second\"}}]}", OAI_JSON_WATCH_ABSENT, NULL},
        {"{\"choices\":[{\"message\":{\"content\":null}}]}", OAI_JSON_WATCH_OTHER, NULL},
        {"{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\"}]}}]}", OAI_JSON_WATCH_OTHER, NULL},
        {"{\"ch\\u006fices\":[{\"message\":{\"content\":\"escaped key\"}}]}", OAI_JSON_WATCH_STRING, "escaped key"},
        {"{\"choices\":[{\"message\":{\"content\":\"line\\n\\\"q\\\" \\u00e9\\uD83D\\uDE00\"}}]}", OAI_JSON_WATCH_STRING,
         "line\n\"q\" \xc3\xa9\xf0\x9f\x98\x80"},
        {"{\"choices\":[{\"message\":{\"content\":\"a\"}}],\"x\":[[[[[[[[[[1]]]]]]]]]]}", OAI_JSON_WATCH_STRING, "a"},
        {"[{\"choices\":[{\"message\":{\"content\":\"not at the top\"}}]}]", OAI_JSON_WATCH_ABSENT, NULL},
    };
    oai__json_watch w;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&w, 0, sizeof w);
        w.tokens = content;
        w.count = 4;
        assert_int_equal(oai__json_scan(cases[i].doc, strlen(cases[i].doc), NULL, &w, 1), OAI_OK);
        if (w.found != cases[i].found)
            fail_msg("case %zu: found %d, want %d", i, w.found, cases[i].found);
        if (cases[i].text) {
            char *text = oai__json_string_decode(cases[i].doc, w.at, w.len, NULL);
            assert_non_null(text);
            assert_string_equal(text, cases[i].text);
            oai_free(text);
        }
    }
    /* A refused document refuses its watches too; bad watch tables are
     * the caller's mistake. */
    memset(&w, 0, sizeof w);
    w.tokens = content;
    w.count = 4;
    assert_int_equal(oai__json_scan("{\"choices\":[{\"message\":{\"content\":\"x\"}}]", 37, NULL, &w, 1),
                     OAI_ERR_PROTOCOL);
    w.count = 0;
    assert_int_equal(oai__json_scan("{}", 2, NULL, &w, 1), OAI_ERR_INVALID_ARGUMENT);
    w.count = OAI__JSON_WATCH_MAX_TOKENS + 1;
    assert_int_equal(oai__json_scan("{}", 2, NULL, &w, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai__json_scan(NULL, 0, NULL, NULL, 0), OAI_ERR_INVALID_ARGUMENT);
}

/* Nesting at the limit and past it, for the scan as for the parser. */
static void test_scan_nesting(void **state)
{
    tbuf t = {0};
    int depth;
    (void)state;
    for (depth = OAI_JSON_MAX_DEPTH - 1; depth <= OAI_JSON_MAX_DEPTH + 1; depth++) {
        int i;
        t.len = 0;
        for (i = 0; i < depth; i++)
            put(&t, i % 2 ? "{\"k\":" : "[", i % 2 ? 5 : 1);
        put(&t, "1", 1);
        for (i = depth - 1; i >= 0; i--)
            put(&t, i % 2 ? "}" : "]", 1);
        if (depth <= OAI_JSON_MAX_DEPTH) /* jansson's own limit is 2048 */
            assert_true(agrees_with_jansson(t.p, t.len));
        oai_status st;
        oai_value *v = oai__json_parse(t.p, t.len, &st);
        assert_int_equal(oai__json_scan(t.p, t.len, NULL, NULL, 0), st);
        assert_int_equal(st, depth <= OAI_JSON_MAX_DEPTH ? OAI_OK : OAI_ERR_PROTOCOL);
        oai__json_decref(v);
    }
    free(t.p);
}

/* ------------------------------------------------------------------------ */
/* Reals                                                                     */

static int real_matches_strtod(const char *num)
{
    char doc[96];
    oai_status st;
    oai_value *v;
    double ours, want = strtod(num, NULL);
    int ok;
    snprintf(doc, sizeof doc, "[%s]", num);
    v = oai__json_parse(doc, strlen(doc), &st);
    if (!v)
        return isinf(want); /* overflow is bad JSON, as in jansson */
    ours = oai_value_number(oai_value_item(v, 0));
    ok = memcmp(&ours, &want, sizeof want) == 0;
    if (!ok)
        print_message("%s: read %.17g, strtod %.17g\n", num, ours, want);
    oai__json_decref(v);
    return ok;
}

static void test_reals_match_strtod(void **state)
{
    char num[64];
    int i, bad = 0;
    (void)state;
    for (i = 0; i < 200000 && bad < 10; i++) {
        double d;
        switch (i % 6) {
        case 0: /* an embedding's value */
            snprintf(num, sizeof num, "%s0.%0*u", below(2) ? "-" : "", (int)(1 + below(10)), below(4000000000u));
            break;
        case 1: /* a double printed shortest-ish */
            memcpy(&d, &(uint64_t){(uint64_t)rnd() << 32 | rnd()}, sizeof d);
            if (!isfinite(d))
                d = 1.0 / (1 + below(1000));
            snprintf(num, sizeof num, "%.*g", (int)(1 + below(17)), d);
            break;
        case 2: /* digits and an exponent around the fast path's edges */
            snprintf(num, sizeof num, "%u%ue%d", below(100000000), below(10000000), (int)below(61) - 30);
            break;
        case 3:
            snprintf(num, sizeof num, "%u.%05ue-%u", below(1000), below(100000), below(30));
            break;
        case 4: /* 15 and 16 significant digits */
            snprintf(num, sizeof num, "%u%07u.%u", 1 + below(99999999), below(10000000), below(10));
            break;
        default:
            snprintf(num, sizeof num, "-%u.%ue%u", below(10), below(1000000000), below(25));
        }
        /* Only JSON numbers: "1e+05" is fine, "inf", "nan" and "1." are not. */
        if (strpbrk(num, "ni") || strstr(num, ".e") || num[strlen(num) - 1] == '.')
            continue;
        bad += !real_matches_strtod(num);
    }
    assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------------ */
/* Allocation failures                                                       */

static void test_allocation_failures(void **state)
{
    static const char doc[] =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"esc\\\"key\":\"esc\\\"value \\u00e9\\uD83D\\uDE00\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"\xe6\x98\xa5 \\n line\","
        "\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,"
        "\"total\":1.5e3,\"big\":12345678901234567890e-10,\"neg\":-0.0069292834},\"nested\":[[[{\"k\\tk\":[]}]]],"
        "\"long\":\"a very long string with an escape at the end, so that the scratch space has to grow more "
        "than once before it is done: 0123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890123456789\\\\\"}";
    oai_status st;
    long n, live_before;
    char *golden;
    oai_value *v = oai__json_parse(doc, sizeof doc - 1, &st);
    (void)state;
    assert_non_null(v);
    golden = oai__json_dump(v, NULL);
    assert_non_null(golden);
    oai__json_decref(v);
    for (n = 1;; n++) {
        char *dumped;
        live_before = alloc_live;
        alloc_countdown = n;
        st = OAI_OK;
        v = oai__json_parse(doc, sizeof doc - 1, &st);
        if (alloc_countdown > 0) { /* nothing failed: done */
            alloc_countdown = 0;
            assert_non_null(v);
            oai__json_decref(v);
            break;
        }
        alloc_countdown = 0;
        if (v) { /* the failure was survived: the same document */
            dumped = oai__json_dump(v, NULL);
            assert_non_null(dumped);
            assert_string_equal(dumped, golden);
            oai_free(dumped);
            oai__json_decref(v);
        } else if (st != OAI_ERR_OUT_OF_MEMORY) {
            fail_msg("allocation %ld failed: status %d, not out of memory", n, (int)st);
        }
        if (alloc_live != live_before)
            fail_msg("allocation %ld failed: %ld allocations leaked", n, alloc_live - live_before);
    }
    print_message("%ld allocations per parse\n", n - 1);
    oai_free(golden);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_generated_documents),
        cmocka_unit_test(test_mutated_documents),
        cmocka_unit_test(test_reals_match_strtod),
        cmocka_unit_test(test_watches_find_what_the_tree_holds),
        cmocka_unit_test(test_watch_edges),
        cmocka_unit_test(test_scan_nesting),
        cmocka_unit_test(test_allocation_failures),
    };
    if (oai_set_allocator(hook_malloc, hook_realloc, hook_free, NULL) != OAI_OK) {
        fprintf(stderr, "oai_set_allocator failed before any allocation\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
