/* The two URL backends give the same answers (issue 8, item 3).
 *
 * liboai parses and builds URLs either with libcurl's URL API
 * (src/transport/curl_url.c) or, in a build with OAI_WITH_CURL=OFF, with its own
 * parser (src/http/url_builtin.c), which follows libcurl 7.88's rules. A
 * program must not behave differently depending on how the library was
 * built, so:
 *
 *   - url_builtin.c is compiled into this test a second time, its three
 *     functions renamed builtin_url_*, so that a build with libcurl has both
 *     backends in one program;
 *   - a corpus of base URLs (valid, odd and hostile) and of request URLs is
 *     checked against a table of expected results, on the builtin backend
 *     and on the library's (so the table also notices a libcurl whose rules
 *     changed); the table was produced with libcurl 7.88.1;
 *   - when the library's backend is libcurl, both backends also run the
 *     corpus crossed with every request path and parameter set, very long
 *     inputs, and some thousands of deterministic mutations of the corpus,
 *     and must agree on every status and every byte;
 *   - the builtin backend runs every call with each of its allocations
 *     failing in turn: out of memory is reported, nothing leaks.
 *
 * A build with OAI_WITH_CURL=OFF runs the table, the long inputs and the
 * allocation failures on the builtin backend alone.
 *
 * Environment: OAI_TEST_URL_MUTATIONS=n sets the number of mutations
 * (20000, 5000 under OAI_TEST_MEMCHECK); OAI_TEST_URL_PRINT=1 prints the
 * table's rows as the library's backend answers them, for new inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/url.h"

/* ------------------------------------------------------------------------ */
/* The builtin backend under other names */

oai_status builtin_url_parse_base(const char *text, char **out, const char **why);
oai_status builtin_url_build(const char *base, const char *path, const oai__kvlist *query, char **out);
char *builtin_url_for_log(const char *url);
const char *builtin_url_backend(void);

#define oai__url_parse_base builtin_url_parse_base
#define oai__url_build builtin_url_build
#define oai__url_for_log builtin_url_for_log
#define oai__url_backend builtin_url_backend
#include "../src/http/url_builtin.c"
#undef oai__url_parse_base
#undef oai__url_build
#undef oai__url_for_log
#undef oai__url_backend

typedef struct backend {
    const char *name;
    oai_status (*parse_base)(const char *text, char **out, const char **why);
    oai_status (*build)(const char *base, const char *path, const oai__kvlist *query, char **out);
    char *(*for_log)(const char *url);
} backend;

static const backend builtin = {"builtin", builtin_url_parse_base, builtin_url_build, builtin_url_for_log};
static const backend library = {"library", oai__url_parse_base, oai__url_build, oai__url_for_log};

/* 1 when the library's backend is libcurl's, so there are two to compare. */
static int library_is_curl(void)
{
    return strcmp(oai__url_backend(), "builtin") != 0;
}

/* ------------------------------------------------------------------------ */
/* Reporting */

/* Prints s with control and non-ASCII bytes as \xNN, long ones cut. */
static void print_text(const char *label, const char *s)
{
    fprintf(stderr, "  %-9s", label);
    if (!s) {
        fprintf(stderr, "NULL\n");
        return;
    }
    size_t n = strlen(s);
    fputc('"', stderr);
    for (size_t i = 0; i < n && i < 300; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
    fprintf(stderr, n > 300 ? "\"... (%zu bytes)\n" : "\"\n", n);
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int mismatches;

/* Records a mismatch unless status and text agree; prints the first few. */
static void expect_same(const char *what, const char *input, const char *path, const char *const names[2],
                        const oai_status st[2], const char *text[2])
{
    if (st[0] == st[1] && same_text(text[0], text[1]))
        return;
    if (++mismatches > 20)
        return;
    fprintf(stderr, "%s differs:\n", what);
    print_text("input", input);
    if (path)
        print_text("path", path);
    for (int i = 0; i < 2; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s %d", names[i], (int)st[i]);
        print_text(label, text[i]);
    }
}

static void end_of_comparisons(const char *what)
{
    if (mismatches)
        fprintf(stderr, "%s: %d mismatch(es); library backend: %s\n", what, mismatches, oai__url_backend());
    assert_int_equal(mismatches, 0);
}

/* ------------------------------------------------------------------------ */
/* Parameter sets for oai__url_build() */

/* 0: none; 1: a value with a space and '&'; 2: '=', '#', a removed
 * parameter, UTF-8 and an escape in the name and value; 3: a key, an empty
 * name, a plain number. */
static void make_params(oai__kvlist *q, int set)
{
    memset(q, 0, sizeof *q);
    if (set == 1)
        assert_int_equal(oai__kvlist_set(q, "after", "file a&b"), OAI_OK);
    if (set == 2) {
        assert_int_equal(oai__kvlist_set(q, "k", "v=1&x#y"), OAI_OK);
        assert_int_equal(oai__kvlist_set(q, "gone", NULL), OAI_OK);
        assert_int_equal(oai__kvlist_set(q, "\303\251 ~*", "%4A +/?"), OAI_OK);
    }
    if (set == 3) {
        assert_int_equal(oai__kvlist_set(q, "api-key", "K"), OAI_OK);
        assert_int_equal(oai__kvlist_set(q, "", ""), OAI_OK);
        assert_int_equal(oai__kvlist_set(q, "limit", "10"), OAI_OK);
    }
}

/* ------------------------------------------------------------------------ */
/* The corpus and its expected results (libcurl 7.88.1) */

#define OK OAI_OK
#define BAD OAI_ERR_INVALID_ARGUMENT
#define NOMEM OAI_ERR_OUT_OF_MEMORY
#define UNPARSABLE "[unparsable URL]"

/* Stands for "the input itself" in the expected columns. */
static const char SAME[] = "(same as the input)";

typedef struct base_case {
    const char *input;
    oai_status status; /* of oai__url_parse_base() */
    const char *base;  /* its result, NULL when refused */
    const char *log;   /* oai__url_for_log(input) */
} base_case;

typedef struct build_case {
    const char *base;
    const char *path;
    int params; /* make_params() set */
    oai_status status;
    const char *url;
} build_case;

static const base_case base_cases[] = {
    {"http://h/v1", OK, SAME, SAME},
    {"https://h/v1", OK, SAME, SAME},
    {"HTTP://h/v1", OK, "http://h/v1", "http://h/v1"},
    {"HtTpS://h/v1", OK, "https://h/v1", "https://h/v1"},
    {"ftp://h/v1", BAD, NULL, UNPARSABLE},
    {"file:///etc/passwd", BAD, NULL, UNPARSABLE},
    {"ws://h/v1", BAD, NULL, UNPARSABLE},
    {"foo://h/v1", BAD, NULL, UNPARSABLE},
    {"https+x://h/", BAD, NULL, UNPARSABLE},
    {"http:h/v1", BAD, NULL, UNPARSABLE},
    {"http:/h/v1", BAD, NULL, UNPARSABLE},
    {"http:///h/v1", BAD, NULL, UNPARSABLE},
    {"http:////h/v1", BAD, NULL, UNPARSABLE},
    {"//h/v1", BAD, NULL, UNPARSABLE},
    {"h/v1", BAD, NULL, UNPARSABLE},
    {"localhost:11434/v1", BAD, NULL, UNPARSABLE},
    {"localhost:8080", BAD, NULL, UNPARSABLE},
    {"://h/v1", BAD, NULL, UNPARSABLE},
    {"http//h/v1", BAD, NULL, UNPARSABLE},
    {"http:\\\\h\\v1", BAD, NULL, UNPARSABLE},
    {"1http://h/", BAD, NULL, UNPARSABLE},
    {"http:/x://y", OK, "http://x//y", "http://x//y"},
    {"http:/h/v1?u=a://b", OK, "http://h/v1?u=a://b", "http://h/v1?u=a://b"},
    {"https:x://y", BAD, NULL, UNPARSABLE},
    {"http:", BAD, NULL, UNPARSABLE},
    {"http://", BAD, NULL, UNPARSABLE},
    {"https://", BAD, NULL, UNPARSABLE},
    {"http://?", BAD, NULL, UNPARSABLE},
    {"http://#", BAD, NULL, UNPARSABLE},
    {"http:///", BAD, NULL, UNPARSABLE},
    {"", BAD, NULL, UNPARSABLE},
    {"h", BAD, NULL, UNPARSABLE},
    {"http", BAD, NULL, UNPARSABLE},
    {"mailto:a@b.c", BAD, NULL, UNPARSABLE},
    {"data:text/plain,hi", BAD, NULL, UNPARSABLE},
    {"javascript:alert(1)", BAD, NULL, UNPARSABLE},
    {"http://h:", OK, "http://h/", "http://h/"},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx://h/", BAD, NULL, UNPARSABLE},
    {"http://localhost/", OK, SAME, SAME},
    {"http://localhost", OK, "http://localhost/", "http://localhost/"},
    {"http://Example.COM/", OK, SAME, SAME},
    {"http://example.com./v1", OK, SAME, SAME},
    {"http://a.b.c.d.e/", OK, SAME, SAME},
    {"http://under_score.example/", OK, SAME, SAME},
    {"http://-dash-.example/", OK, SAME, SAME},
    {"http://a~b/", OK, SAME, SAME},
    {"http://a|b/", OK, SAME, SAME},
    {"http://a%2eb/", OK, "http://a.b/", "http://a.b/"},
    {"http://ex%61mple.com/", OK, "http://example.com/", "http://example.com/"},
    {"http://%65%78%61%6D%70%6C%65.com/", OK, "http://example.com/", "http://example.com/"},
    {"http://a%25b/", OK, SAME, SAME},
    {"http://a%/", OK, "http://a%25/", "http://a%25/"},
    {"http://a%zz/", OK, "http://a%25zz/", "http://a%25zz/"},
    {"http://a%2/", OK, "http://a%252/", "http://a%252/"},
    {"http://%41%42/v1", OK, "http://AB/v1", "http://AB/v1"},
    {"http://a%20b/", BAD, NULL, UNPARSABLE},
    {"http://a%2Fb/", BAD, NULL, UNPARSABLE},
    {"http://a%00b/", BAD, NULL, UNPARSABLE},
    {"http://a%1fb/", BAD, NULL, UNPARSABLE},
    {"http://a%7fb/", OK, "http://a\177b/", "http://a\177b/"},
    {"http://%7f/", OK, "http://\177/", "http://\177/"},
    {"http://a%40b/", BAD, NULL, UNPARSABLE},
    {"http://a%3Ab/", BAD, NULL, UNPARSABLE},
    {"http://%5B%3A%3A1%5D/", OK, "http://[::1]/", "http://[::1]/"},
    {"http://%5B%3A%3A1x/", OK, "http://[::1]/", "http://[::1]/"},
    {"http://%5B%3A%3A1%25eth0%5Dxyz/", OK, "http://[::1%25eth0]/", "http://[::1%25eth0]/"},
    {"http://a!b/", BAD, NULL, UNPARSABLE},
    {"http://a$b/", BAD, NULL, UNPARSABLE},
    {"http://a'b/", BAD, NULL, UNPARSABLE},
    {"http://a*b/", BAD, NULL, UNPARSABLE},
    {"http://a,b/", BAD, NULL, UNPARSABLE},
    {"http://a;b/", BAD, NULL, UNPARSABLE},
    {"http://a=b/", BAD, NULL, UNPARSABLE},
    {"http://a+b/", BAD, NULL, UNPARSABLE},
    {"http://a&b/", BAD, NULL, UNPARSABLE},
    {"http://a(b)/", BAD, NULL, UNPARSABLE},
    {"http://a{b}/", BAD, NULL, UNPARSABLE},
    {"http://a^b/", BAD, NULL, UNPARSABLE},
    {"http://a`b/", BAD, NULL, UNPARSABLE},
    {"http://a<b>/", BAD, NULL, UNPARSABLE},
    {"http://a\"b/", BAD, NULL, UNPARSABLE},
    {"http://a\\b/", BAD, NULL, UNPARSABLE},
    {"http://a[b]/", BAD, NULL, UNPARSABLE},
    {"http://[h]/", BAD, NULL, UNPARSABLE},
    {"http://a]/", BAD, NULL, UNPARSABLE},
    {"http://\303\251xample.com/v1", OK, SAME, SAME},
    {"http://\344\276\213\343\201\210.jp/", OK, SAME, SAME},
    {"http://xn--r8jz45g.jp/", OK, SAME, SAME},
    {"http://\377/", OK, SAME, SAME},
    {"http://\303/", OK, SAME, SAME},
    {"http://%C3%A9/", OK, "http://\303\251/", "http://\303\251/"},
    {"http://%c3%a9/", OK, "http://\303\251/", "http://\303\251/"},
    {"http://h%2ecom/", OK, "http://h.com/", "http://h.com/"},
    {"http://127.0.0.1/", OK, SAME, SAME},
    {"http://127.1/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://127.0.1/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://0/", OK, "http://0.0.0.0/", "http://0.0.0.0/"},
    {"http://1/", OK, "http://0.0.0.1/", "http://0.0.0.1/"},
    {"http://4294967295/", OK, "http://255.255.255.255/", "http://255.255.255.255/"},
    {"http://4294967296/", OK, SAME, SAME},
    {"http://2130706433/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://0x7f000001/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://0x7f.1/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://0X7F.0.0.1/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://0177.0.0.1/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://0177.1/", OK, "http://127.0.0.1/", "http://127.0.0.1/"},
    {"http://08.1.1.1/", OK, SAME, SAME},
    {"http://09/", OK, SAME, SAME},
    {"http://0x/", OK, SAME, SAME},
    {"http://0xg/", OK, SAME, SAME},
    {"http://1.2.3.4.5/", OK, SAME, SAME},
    {"http://1..2/", OK, SAME, SAME},
    {"http://1.2.3./", OK, SAME, SAME},
    {"http://.1.2.3/", OK, SAME, SAME},
    {"http://256.1.1.1/", OK, SAME, SAME},
    {"http://1.256.1.1/", OK, SAME, SAME},
    {"http://1.2.65535/", OK, "http://1.2.255.255/", "http://1.2.255.255/"},
    {"http://1.2.65536/", OK, SAME, SAME},
    {"http://1.16777215/", OK, "http://1.255.255.255/", "http://1.255.255.255/"},
    {"http://1.16777216/", OK, SAME, SAME},
    {"http://255.255.255.255/", OK, SAME, SAME},
    {"http://00000000000000000000001/", OK, "http://0.0.0.1/", "http://0.0.0.1/"},
    {"http://0x00000000000000000001/", OK, "http://0.0.0.1/", "http://0.0.0.1/"},
    {"http://99999999999999999999/", OK, SAME, SAME},
    {"http://1.2.3.4:80/", OK, SAME, SAME},
    {"http://1e3/", OK, SAME, SAME},
    {"http://%31.2.3.4/", OK, "http://1.2.3.4/", "http://1.2.3.4/"},
    {"http://%30x7f.1/", OK, "http://0x7f.1/", "http://0x7f.1/"},
    {"http://+1/", BAD, NULL, UNPARSABLE},
    {"http://1.+2/", BAD, NULL, UNPARSABLE},
    {"http://0x7fffffff/", OK, "http://127.255.255.255/", "http://127.255.255.255/"},
    {"http://0xffffffff/", OK, "http://255.255.255.255/", "http://255.255.255.255/"},
    {"http://0x100000000/", OK, SAME, SAME},
    {"http://[::1]/", OK, SAME, SAME},
    {"http://[::1]:8080/v1", OK, SAME, SAME},
    {"http://[::1]", OK, "http://[::1]/", "http://[::1]/"},
    {"http://[::]/", OK, SAME, SAME},
    {"http://[0:0:0:0:0:0:0:1]/", OK, "http://[::1]/", "http://[::1]/"},
    {"http://[0:0:0:0:0:0:0:0]/", OK, "http://[::]/", "http://[::]/"},
    {"http://[::ABCD]/", OK, SAME, SAME},
    {"http://[::abcd]/", OK, SAME, SAME},
    {"http://[ABCD::]/", OK, SAME, SAME},
    {"http://[2001:DB8::1]/", OK, SAME, SAME},
    {"http://[2001:db8:0:0:0:0:0:1]/", OK, "http://[2001:db8::1]/", "http://[2001:db8::1]/"},
    {"http://[2001:0db8:0000:0000:0000:0000:0000:0001]/",
     OK,
     "http://[2001:db8::1]/",
     "http://[2001:db8::1]/"},
    {"http://[1:0:0:2:0:0:3:4]/", OK, "http://[1::2:0:0:3:4]/", "http://[1::2:0:0:3:4]/"},
    {"http://[1:0:0:1:0:0:0:1]/", OK, "http://[1:0:0:1::1]/", "http://[1:0:0:1::1]/"},
    {"http://[1:2:3:4:5:6:7:8]/", OK, SAME, SAME},
    {"http://[1:2:3:4:5:6:7:8:9]/", BAD, NULL, UNPARSABLE},
    {"http://[1:2:3:4:5:6:7]/", BAD, NULL, UNPARSABLE},
    {"http://[1::2::3]/", BAD, NULL, UNPARSABLE},
    {"http://[:::]/", BAD, NULL, UNPARSABLE},
    {"http://[:1::]/", BAD, NULL, UNPARSABLE},
    {"http://[1::2:]/", BAD, NULL, UNPARSABLE},
    {"http://[12345::]/", BAD, NULL, UNPARSABLE},
    {"http://[g::]/", BAD, NULL, UNPARSABLE},
    {"http://[::ffff:1.2.3.4]/", OK, SAME, SAME},
    {"http://[::FFFF:1.2.3.4]/", OK, SAME, SAME},
    {"http://[0:0:0:0:0:ffff:1.2.3.4]/", OK, "http://[::ffff:1.2.3.4]/", "http://[::ffff:1.2.3.4]/"},
    {"http://[::ffff:0102:0304]/", OK, "http://[::ffff:1.2.3.4]/", "http://[::ffff:1.2.3.4]/"},
    {"http://[::1.2.3.4]/", OK, SAME, SAME},
    {"http://[::0.0.0.2]/", OK, "http://[::2]/", "http://[::2]/"},
    {"http://[::01.2.3.4]/", BAD, NULL, UNPARSABLE},
    {"http://[::256.2.3.4]/", BAD, NULL, UNPARSABLE},
    {"http://[::1.2.3]/", BAD, NULL, UNPARSABLE},
    {"http://[1.2.3.4]/", BAD, NULL, UNPARSABLE},
    {"http://[::ffff:0:1.2.3.4]/", OK, SAME, SAME},
    {"http://[fe80::1%25eth0]/", OK, SAME, SAME},
    {"http://[fe80::1%eth0]/", OK, "http://[fe80::1%25eth0]/", "http://[fe80::1%25eth0]/"},
    {"http://[fe80::1%25]/", OK, "http://[fe80::1%2525]/", "http://[fe80::1%2525]/"},
    {"http://[fe80::1%]/", BAD, NULL, UNPARSABLE},
    {"http://[fe80::1%25%25]/", OK, SAME, SAME},
    {"http://[fe80::1%25abcdefghijklmno]/", OK, SAME, SAME},
    {"http://[fe80::1%25abcdefghijklmnop]/", BAD, NULL, UNPARSABLE},
    {"http://[FE80::0:1%25en0]:1/x", OK, "http://[fe80::1%25en0]:1/x", "http://[fe80::1%25en0]:1/x"},
    {"http://[::1]:/", OK, "http://[::1]/", "http://[::1]/"},
    {"http://[::1]x/", BAD, NULL, UNPARSABLE},
    {"http://[::1]:99999/", BAD, NULL, UNPARSABLE},
    {"http://[::1/", BAD, NULL, UNPARSABLE},
    {"http://[]/", BAD, NULL, UNPARSABLE},
    {"http://[:]/", BAD, NULL, UNPARSABLE},
    {"http://[::1]:80:80/", BAD, NULL, UNPARSABLE},
    {"http://x[::1]/", BAD, NULL, UNPARSABLE},
    {"http://[::1]@h/", OK, SAME, "http://h/"},
    {"http://u@[::1]/", OK, SAME, "http://[::1]/"},
    {"http://[::1]]/", BAD, NULL, UNPARSABLE},
    {"http://[0000::0000:0001]/", OK, "http://[::1]/", "http://[::1]/"},
    {"http://[::0:0:1]/", OK, "http://[::1]/", "http://[::1]/"},
    {"http://[1:0::0:1]/", OK, "http://[1::1]/", "http://[1::1]/"},
    {"http://h:0/", OK, SAME, SAME},
    {"http://h:1/", OK, SAME, SAME},
    {"http://h:80/", OK, SAME, SAME},
    {"http://h:0080/", OK, "http://h:80/", "http://h:80/"},
    {"http://h:65535/", OK, SAME, SAME},
    {"http://h:65536/", BAD, NULL, UNPARSABLE},
    {"http://h:99999999999999999999/", BAD, NULL, UNPARSABLE},
    {"http://h:-1/", BAD, NULL, UNPARSABLE},
    {"http://h:+80/", BAD, NULL, UNPARSABLE},
    {"http://h:8a/", BAD, NULL, UNPARSABLE},
    {"http://h:a8/", BAD, NULL, UNPARSABLE},
    {"http://h:80:90/", BAD, NULL, UNPARSABLE},
    {"http://h:/", OK, "http://h/", "http://h/"},
    {"http://:80/", BAD, NULL, UNPARSABLE},
    {"http://h: 80/", BAD, NULL, UNPARSABLE},
    {"http://h:00000000000000000000000001/", OK, "http://h:1/", "http://h:1/"},
    {"http://h:0x50/", BAD, NULL, UNPARSABLE},
    {"http://h:8080?x=1", OK, "http://h:8080/?x=1", "http://h:8080/?x=1"},
    {"http://h:8080#f", BAD, NULL, "http://h:8080/#f"},
    {"http://h:%38%30/", BAD, NULL, UNPARSABLE},
    {"http://u@h/", OK, SAME, "http://h/"},
    {"http://u:p@h/", OK, SAME, "http://h/"},
    {"http://u:@h/", OK, SAME, "http://h/"},
    {"http://:p@h/", OK, SAME, "http://h/"},
    {"http://@h/", OK, SAME, "http://h/"},
    {"http://:@h/", OK, SAME, "http://h/"},
    {"http://u:p:q@h/", OK, SAME, "http://h/"},
    {"http://u:p@ss@h/v1", BAD, NULL, UNPARSABLE},
    {"http://u:pa%40ss@h/v1", OK, SAME, "http://h/v1"},
    {"http://user:pa%40ss-TAIL@127.0.0.1:8080/v1?api-key=QUERY-SECRET&api-version=1",
     OK,
     SAME,
     "http://127.0.0.1:8080/v1?api-key=[redacted]&api-version=1"},
    {"http://u%3Ap@h/", OK, SAME, "http://h/"},
    {"http://u@/", BAD, NULL, UNPARSABLE},
    {"http://u@:80/", BAD, NULL, UNPARSABLE},
    {"http://u:p@[::1]:8/", OK, SAME, "http://[::1]:8/"},
    {"http://u;o@h/", OK, SAME, "http://h/"},
    {"http://u:p;o@h/", OK, SAME, "http://h/"},
    {"http://%40@h/", OK, SAME, "http://h/"},
    {"http://u:%E2%82%AC@h/", OK, SAME, "http://h/"},
    {"http://\303\251:\303\251@h/", OK, SAME, "http://h/"},
    {"http://u@h@h/", BAD, NULL, UNPARSABLE},
    {"http://u:p@/v1", BAD, NULL, UNPARSABLE},
    {"http://u:s3cret@127.0.0.1:9/v1", OK, SAME, "http://127.0.0.1:9/v1"},
    {"http://user:pass@h:8080/v1?token=t", OK, SAME, "http://h:8080/v1?token=[redacted]"},
    {"http://h", OK, "http://h/", "http://h/"},
    {"http://h/", OK, SAME, SAME},
    {"http://h//", OK, SAME, SAME},
    {"http://h///", OK, SAME, SAME},
    {"http://h/v1/", OK, "http://h/v1", SAME},
    {"http://h/v1//", OK, "http://h/v1", SAME},
    {"http://h//v1//", OK, "http://h//v1", SAME},
    {"http://h/v1/chat/completions", OK, SAME, SAME},
    {"http://h/openai/deployments/gpt4o/", OK, "http://h/openai/deployments/gpt4o", SAME},
    {"http://h/a/../b", OK, "http://h/b", "http://h/b"},
    {"http://h/a/./b", OK, "http://h/a/b", "http://h/a/b"},
    {"http://h/..", OK, "http://h/", "http://h/"},
    {"http://h/.", OK, "http://h/", "http://h/"},
    {"http://h/../", OK, "http://h/", "http://h/"},
    {"http://h/./", OK, "http://h/", "http://h/"},
    {"http://h/../../x", OK, "http://h/x", "http://h/x"},
    {"http://h/a/b/..", OK, "http://h/a", "http://h/a/"},
    {"http://h/a/b/../", OK, "http://h/a", "http://h/a/"},
    {"http://h/a/b/.", OK, "http://h/a/b", "http://h/a/b/"},
    {"http://h/a/..b/", OK, "http://h/a/..b", SAME},
    {"http://h/a/.b/", OK, "http://h/a/.b", SAME},
    {"http://h/a/b../", OK, "http://h/a/b..", SAME},
    {"http://h/a//../b", OK, "http://h/a/b", "http://h/a/b"},
    {"http://h/.../", OK, "http://h/...", SAME},
    {"http://h/%2e%2e/", OK, "http://h/%2e%2e", SAME},
    {"http://h/%2E/", OK, "http://h/%2e", SAME},
    {"http://h/a%2F..%2Fb", OK, "http://h/a%2f..%2fb", SAME},
    {"http://h/A%2fB/", OK, "http://h/A%2fB", SAME},
    {"http://h/%4A%4a%4G%zz%/", OK, "http://h/%4a%4a%4G%zz%", SAME},
    {"http://h/%", OK, SAME, SAME},
    {"http://h/%%41", OK, SAME, SAME},
    {"http://h/%ab%AB%aB", OK, "http://h/%ab%ab%ab", SAME},
    {"http://h/v1/%E2%82%AC", OK, "http://h/v1/%e2%82%ac", SAME},
    {"http://h/v1/\342\202\254", OK, SAME, SAME},
    {"http://h/\377\376/", OK, "http://h/\377\376", SAME},
    {"http://h/~user/", OK, "http://h/~user", SAME},
    {"http://h/a;b=c/", OK, "http://h/a;b=c", SAME},
    {"http://h/a:b@c/", OK, "http://h/a:b@c", SAME},
    {"http://h/!$&'()*+,;=", OK, SAME, SAME},
    {"http://h/[x]", OK, SAME, SAME},
    {"http://h/{x}|^`", OK, SAME, SAME},
    {"http://h/a\\b", OK, SAME, SAME},
    {"http://h/\"q\"", OK, SAME, SAME},
    {"http://h/<x>", OK, SAME, SAME},
    {"http://h/v1/.well-known/", OK, "http://h/v1/.well-known", SAME},
    {"http://h/./../a/./b/../c", OK, "http://h/a/c", "http://h/a/c"},
    {"http://h/v1?api-version=2024-10-21", OK, SAME, SAME},
    {"http://h/v1/?api-version=2024-10-21", OK, "http://h/v1?api-version=2024-10-21", SAME},
    {"http://h?x=1", OK, "http://h/?x=1", "http://h/?x=1"},
    {"http://h?", OK, "http://h/", "http://h/"},
    {"http://h/v1?", OK, "http://h/v1", "http://h/v1"},
    {"http://h/v1?\?", OK, SAME, SAME},
    {"http://h/v1?&", OK, SAME, "http://h/v1"},
    {"http://h/v1?a=1&", OK, SAME, "http://h/v1?a=1"},
    {"http://h/v1?&a=1", OK, SAME, "http://h/v1?a=1"},
    {"http://h/v1?a&b", OK, SAME, SAME},
    {"http://h/v1?a=1&&b=2", OK, SAME, SAME},
    {"http://h/v1?a==b", OK, SAME, SAME},
    {"http://h/v1?=x", OK, SAME, SAME},
    {"http://h/v1?key=1", OK, SAME, "http://h/v1?key=[redacted]"},
    {"http://h/v1?KEY=1", OK, SAME, "http://h/v1?KEY=[redacted]"},
    {"http://h/v1?api_key=1&x=2", OK, SAME, "http://h/v1?api_key=[redacted]&x=2"},
    {"http://h/v1?api%2Dkey=1", OK, SAME, "http://h/v1?api%2dkey=[redacted]"},
    {"http://h/v1?api%2dkey=1", OK, SAME, "http://h/v1?api%2dkey=[redacted]"},
    {"http://h/v1?ap%69-key=1", OK, SAME, "http://h/v1?ap%69-key=[redacted]"},
    {"http://h/v1?my+token=1", OK, SAME, "http://h/v1?my+token=[redacted]"},
    {"http://h/v1?sig=abc&se=2025", OK, SAME, "http://h/v1?sig=[redacted]&se=2025"},
    {"http://h/v1?X-Amz-Signature=a&X-Amz-Credential=b",
     OK,
     SAME,
     "http://h/v1?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]"},
    {"http://h/v1?session=1&sessionid=2", OK, SAME, "http://h/v1?session=[redacted]&sessionid=[redacted]"},
    {"http://h/v1?password", OK, SAME, SAME},
    {"http://h/v1?password=", OK, SAME, "http://h/v1?password=[redacted]"},
    {"http://h/v1?a=%4A%4a", OK, SAME, "http://h/v1?a=%4a%4a"},
    {"http://h/v1?a=%4A&key=%4B", OK, SAME, "http://h/v1?a=%4a&key=[redacted]"},
    {"http://h/v1?q=a/b?c", OK, SAME, SAME},
    {"http://h/v1?q=\303\251", OK, SAME, SAME},
    {"http://h/v1?q=%C3%A9", OK, SAME, "http://h/v1?q=%c3%a9"},
    {"http://h/v1?a=1#", BAD, NULL, "http://h/v1?a=1"},
    {"http://h/v1?a=1#f", BAD, NULL, SAME},
    {"http://h/v1#f?a=1", BAD, NULL, SAME},
    {"http://h/v1?a=1#f#g", BAD, NULL, SAME},
    {"http://h/v1?k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&"
     "k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&",
     OK,
     SAME,
     "http://h/v1?k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&"
     "k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v&k=v"},
    {"http://h/v1?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaakey=1",
     OK,
     SAME,
     SAME},
    {"http://h/v1?xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxkey=1",
     OK,
     SAME,
     SAME},
    {"http://h/v1?xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxkey=1",
     OK,
     SAME,
     SAME},
    {"http://h/v1?bearer=x&Cookie=y&JWT=z&auth=w&cred=c&credential=d",
     OK,
     SAME,
     "http://h/v1?bearer=[redacted]&Cookie=[redacted]&JWT=[redacted]&auth=[redacted]&cred=c&cr"
     "edential=[redacted]"},
    {"http://h/v1?%=1&%%=2&%4=3", OK, SAME, SAME},
    {"http://h/v1?%00key=1", OK, SAME, SAME},
    {"http://h/v1?k%65y=1", OK, SAME, "http://h/v1?k%65y=[redacted]"},
    {"http://h/v1#", BAD, NULL, "http://h/v1"},
    {"http://h/v1#x", BAD, NULL, SAME},
    {"http://h#", BAD, NULL, "http://h/"},
    {"http://h#x", BAD, NULL, "http://h/#x"},
    {"http://h/v1#x#y", BAD, NULL, SAME},
    {"http://h/#/?x", BAD, NULL, SAME},
    {"http://h/v1#\303\251", BAD, NULL, SAME},
    {"http://h/v1#%4A", BAD, NULL, SAME},
    {" http://h/v1", BAD, NULL, UNPARSABLE},
    {"http://h/v1 ", BAD, NULL, UNPARSABLE},
    {"http://h /v1", BAD, NULL, UNPARSABLE},
    {"http://h/v 1", BAD, NULL, UNPARSABLE},
    {"http://h/v1?a=b c", BAD, NULL, UNPARSABLE},
    {"http://h/v1#a b", BAD, NULL, UNPARSABLE},
    {"http://h\011/v1", BAD, NULL, UNPARSABLE},
    {"http://h/v1\012", BAD, NULL, UNPARSABLE},
    {"\011http://h/v1", BAD, NULL, UNPARSABLE},
    {"http://h/\001", BAD, NULL, UNPARSABLE},
    {"http://\177h/", BAD, NULL, UNPARSABLE},
    {"http://h/\177", BAD, NULL, UNPARSABLE},
    {"http://h/v1\015\012", BAD, NULL, UNPARSABLE},
    {"http://u:p\001@h/", BAD, NULL, UNPARSABLE},
    {"http://h:8\0130/", BAD, NULL, UNPARSABLE},
    {"http://h/%20", OK, SAME, SAME},
    {"http://h/v1?a=%20", OK, SAME, SAME},
    {"http://u:SECRET@bad host/", BAD, NULL, UNPARSABLE},
    {"http://u:SECRET@h:99999/", BAD, NULL, UNPARSABLE},
    {"http://u:SECRET@[::g]/", BAD, NULL, UNPARSABLE},
    {"http://u:SECRET@h%00/", BAD, NULL, UNPARSABLE},
    {"http://u:SECRET@h/v1#frag", BAD, NULL, "http://h/v1#frag"},
    {"ftp://u:SECRET@h/", BAD, NULL, UNPARSABLE},
    {"http://u:SECRET@/", BAD, NULL, UNPARSABLE},
    {"http://u:SECRET@h:x/", BAD, NULL, UNPARSABLE},
};

static const build_case build_cases[] = {
    {NULL, NULL, 0, BAD, NULL},
    {NULL, "/chat/completions", 1, BAD, NULL},
    {NULL, "chat/completions", 2, BAD, NULL},
    {NULL, "", 3, BAD, NULL},
    {NULL, "/", 0, BAD, NULL},
    {NULL, "//", 1, BAD, NULL},
    {NULL, "?", 2, BAD, NULL},
    {NULL, "?\?", 3, BAD, NULL},
    {NULL, "/files?purpose=batch", 0, BAD, NULL},
    {NULL, "/files?", 1, BAD, NULL},
    {NULL, "/files?a=1&", 2, BAD, NULL},
    {NULL, "/files?&", 3, BAD, NULL},
    {NULL, "/models/ft%3Agpt-4o-mini%3Aorg%2Fx", 0, BAD, NULL},
    {NULL, "/x/../y/./z", 1, BAD, NULL},
    {NULL, "/a#b?c", 2, BAD, NULL},
    {NULL, "/a?b#c", 3, BAD, NULL},
    {NULL, "/\303\251/%C3%A9", 0, BAD, NULL},
    {NULL, "/a b", 1, BAD, NULL},
    {NULL, "/a\011b", 2, BAD, NULL},
    {NULL,
     "HTTP://Other.example:81/p/../q?x=%4A",
     3,
     OK,
     "http://Other.example:81/q?x=%4A&api-key=K&=&limit=10"},
    {NULL, "https://", 0, BAD, NULL},
    {NULL, "http://", 1, BAD, NULL},
    {NULL, "https:///x", 2, BAD, NULL},
    {NULL, "httpx://h/", 3, BAD, NULL},
    {NULL, "http:/h", 0, BAD, NULL},
    {NULL, "/%zz%4a%", 1, BAD, NULL},
    {NULL, "?only=query", 2, BAD, NULL},
    {NULL, "/files?purpose=batch&api-key=K", 3, BAD, NULL},
    {NULL, "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f", 0, OK, "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f"},
    {"http://h/v1", NULL, 1, BAD, NULL},
    {"http://h/v1",
     "/chat/completions",
     2,
     OK,
     "http://h/v1/chat/completions?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1", "chat/completions", 3, OK, "http://h/v1/chat/completions?api-key=K&=&limit=10"},
    {"http://h/v1", "", 0, OK, "http://h/v1/"},
    {"http://h/v1", "/", 1, OK, "http://h/v1/?after=file+a%26b"},
    {"http://h/v1", "//", 2, OK, "http://h/v1//?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1", "?", 3, OK, "http://h/v1/?api-key=K&=&limit=10"},
    {"http://h/v1", "?\?", 0, OK, "http://h/v1/?\?"},
    {"http://h/v1", "/files?purpose=batch", 1, OK, "http://h/v1/files?purpose=batch&after=file+a%26b"},
    {"http://h/v1", "/files?", 2, OK, "http://h/v1/files?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1", "/files?a=1&", 3, OK, "http://h/v1/files?a=1&api-key=K&=&limit=10"},
    {"http://h/v1", "/files?&", 0, OK, "http://h/v1/files?&"},
    {"http://h/v1",
     "/models/ft%3Agpt-4o-mini%3Aorg%2Fx",
     1,
     OK,
     "http://h/v1/models/ft%3agpt-4o-mini%3aorg%2fx?after=file+a%26b"},
    {"http://h/v1",
     "/x/../y/./z",
     2,
     OK,
     "http://h/v1/x/../y/./z?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1", "/a#b?c", 3, OK, "http://h/v1/a#b?c&api-key=K&=&limit=10"},
    {"http://h/v1", "/a?b#c", 0, OK, "http://h/v1/a?b#c"},
    {"http://h/v1", "/\303\251/%C3%A9", 1, OK, "http://h/v1/\303\251/%c3%a9?after=file+a%26b"},
    {"http://h/v1", "/a b", 2, BAD, NULL},
    {"http://h/v1", "/a\011b", 3, BAD, NULL},
    {"http://h/v1", "HTTP://Other.example:81/p/../q?x=%4A", 0, OK, "http://Other.example:81/q?x=%4A"},
    {"http://h/v1", "https://", 1, BAD, NULL},
    {"http://h/v1", "http://", 2, BAD, NULL},
    {"http://h/v1", "https:///x", 3, BAD, NULL},
    {"http://h/v1", "httpx://h/", 0, OK, "http://h/v1/httpx://h/"},
    {"http://h/v1", "http:/h", 1, OK, "http://h/v1/http:/h?after=file+a%26b"},
    {"http://h/v1", "/%zz%4a%", 2, OK, "http://h/v1/%zz%4a%?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1", "?only=query", 3, OK, "http://h/v1/?only=query&api-key=K&=&limit=10"},
    {"http://h/v1", "/files?purpose=batch&api-key=K", 0, OK, "http://h/v1/files?purpose=batch&api-key=K"},
    {"http://h/v1",
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f",
     1,
     OK,
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1&after=file+a%26b#f"},
    {"https://api.openai.com/v1/", NULL, 2, BAD, NULL},
    {"https://api.openai.com/v1/",
     "/chat/completions",
     3,
     OK,
     "https://api.openai.com/v1/chat/completions?api-key=K&=&limit=10"},
    {"https://api.openai.com/v1/", "chat/completions", 0, OK, "https://api.openai.com/v1/chat/completions"},
    {"https://api.openai.com/v1/", "", 1, OK, "https://api.openai.com/v1/?after=file+a%26b"},
    {"https://api.openai.com/v1/",
     "/",
     2,
     OK,
     "https://api.openai.com/v1/?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"https://api.openai.com/v1/", "//", 3, OK, "https://api.openai.com/v1//?api-key=K&=&limit=10"},
    {"https://api.openai.com/v1/", "?", 0, OK, "https://api.openai.com/v1/"},
    {"https://api.openai.com/v1/", "?\?", 1, OK, "https://api.openai.com/v1/?\?&after=file+a%26b"},
    {"https://api.openai.com/v1/",
     "/files?purpose=batch",
     2,
     OK,
     "https://api.openai.com/v1/files?purpose=batch&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3"
     "f"},
    {"https://api.openai.com/v1/", "/files?", 3, OK, "https://api.openai.com/v1/files?api-key=K&=&limit=10"},
    {"https://api.openai.com/v1/", "/files?a=1&", 0, OK, "https://api.openai.com/v1/files?a=1&"},
    {"https://api.openai.com/v1/", "/files?&", 1, OK, "https://api.openai.com/v1/files?&after=file+a%26b"},
    {"https://api.openai.com/v1/",
     "/models/ft%3Agpt-4o-mini%3Aorg%2Fx",
     2,
     OK,
     "https://api.openai.com/v1/models/ft%3agpt-4o-mini%3aorg%2fx?k=v%3d1%26x%23y&%c3%a9+~%2a="
     "%254A+%2b%2f%3f"},
    {"https://api.openai.com/v1/",
     "/x/../y/./z",
     3,
     OK,
     "https://api.openai.com/v1/x/../y/./z?api-key=K&=&limit=10"},
    {"https://api.openai.com/v1/", "/a#b?c", 0, OK, "https://api.openai.com/v1/a#b?c"},
    {"https://api.openai.com/v1/", "/a?b#c", 1, OK, "https://api.openai.com/v1/a?b#c&after=file+a%26b"},
    {"https://api.openai.com/v1/",
     "/\303\251/%C3%A9",
     2,
     OK,
     "https://api.openai.com/v1/\303\251/%c3%a9?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"https://api.openai.com/v1/", "/a b", 3, BAD, NULL},
    {"https://api.openai.com/v1/", "/a\011b", 0, BAD, NULL},
    {"https://api.openai.com/v1/",
     "HTTP://Other.example:81/p/../q?x=%4A",
     1,
     OK,
     "http://Other.example:81/q?x=%4A&after=file+a%26b"},
    {"https://api.openai.com/v1/", "https://", 2, BAD, NULL},
    {"https://api.openai.com/v1/", "http://", 3, BAD, NULL},
    {"https://api.openai.com/v1/", "https:///x", 0, BAD, NULL},
    {"https://api.openai.com/v1/",
     "httpx://h/",
     1,
     OK,
     "https://api.openai.com/v1/httpx://h/?after=file+a%26b"},
    {"https://api.openai.com/v1/",
     "http:/h",
     2,
     OK,
     "https://api.openai.com/v1/http:/h?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"https://api.openai.com/v1/",
     "/%zz%4a%",
     3,
     OK,
     "https://api.openai.com/v1/%zz%4a%?api-key=K&=&limit=10"},
    {"https://api.openai.com/v1/", "?only=query", 0, OK, "https://api.openai.com/v1/?only=query"},
    {"https://api.openai.com/v1/",
     "/files?purpose=batch&api-key=K",
     1,
     OK,
     "https://api.openai.com/v1/files?purpose=batch&api-key=K&after=file+a%26b"},
    {"https://api.openai.com/v1/",
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f",
     2,
     OK,
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f#f"},
    {"http://h", NULL, 3, BAD, NULL},
    {"http://h", "", 2, OK, "http://h/?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h", "?", 1, OK, "http://h/?after=file+a%26b"},
    {"http://h", "/files?", 0, OK, "http://h/files"},
    {"http://h",
     "/models/ft%3Agpt-4o-mini%3Aorg%2Fx",
     3,
     OK,
     "http://h/models/ft%3agpt-4o-mini%3aorg%2fx?api-key=K&=&limit=10"},
    {"http://h", "/a?b#c", 2, OK, "http://h/a?b#c&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h", "/a\011b", 1, BAD, NULL},
    {"http://h", "http://", 0, BAD, NULL},
    {"http://h", "http:/h", 3, OK, "http://h/http:/h?api-key=K&=&limit=10"},
    {"http://h",
     "/files?purpose=batch&api-key=K",
     2,
     OK,
     "http://h/files?purpose=batch&api-key=K&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h//",
     "chat/completions",
     2,
     OK,
     "http://h/chat/completions?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h//", "//", 1, OK, "http://h//?after=file+a%26b"},
    {"http://h//", "/files?purpose=batch", 0, OK, "http://h/files?purpose=batch"},
    {"http://h//", "/files?&", 3, OK, "http://h/files?&api-key=K&=&limit=10"},
    {"http://h//", "/a#b?c", 2, OK, "http://h/a#b?c&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h//", "/a b", 1, BAD, NULL},
    {"http://h//", "https://", 0, BAD, NULL},
    {"http://h//", "httpx://h/", 3, OK, "http://h/httpx://h/?api-key=K&=&limit=10"},
    {"http://h//", "?only=query", 2, OK, "http://h/?only=query&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "/chat/completions",
     2,
     OK,
     "http://h/openai/deployments/x/chat/completions?api-version=2024-10-21&k=v%3d1%26x%23y&%c"
     "3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "/",
     1,
     OK,
     "http://h/openai/deployments/x/?api-version=2024-10-21&after=file+a%26b"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "?\?",
     0,
     OK,
     "http://h/openai/deployments/x/?api-version=2024-10-21&?"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "/files?a=1&",
     3,
     OK,
     "http://h/openai/deployments/x/files?api-version=2024-10-21&a=1&api-key=K&=&limit=10"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "/x/../y/./z",
     2,
     OK,
     "http://h/openai/deployments/x/x/../y/./z?api-version=2024-10-21&k=v%3d1%26x%23y&%c3%a9+~"
     "%2a=%254A+%2b%2f%3f"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "/\303\251/%C3%A9",
     1,
     OK,
     "http://h/openai/deployments/x/\303\251/%c3%a9?api-version=2024-10-21&after=file+a%26b"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "HTTP://Other.example:81/p/../q?x=%4A",
     0,
     OK,
     "http://Other.example:81/q?x=%4A"},
    {"http://h/openai/deployments/x?api-version=2024-10-21", "https:///x", 3, BAD, NULL},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "/%zz%4a%",
     2,
     OK,
     "http://h/openai/deployments/x/%zz%4a%?api-version=2024-10-21&k=v%3d1%26x%23y&%c3%a9+~%2a"
     "=%254A+%2b%2f%3f"},
    {"http://h/openai/deployments/x?api-version=2024-10-21",
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f",
     1,
     OK,
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1&after=file+a%26b#f"},
    {"http://h/v1?a=1&", NULL, 2, BAD, NULL},
    {"http://h/v1?a=1&", "", 1, OK, "http://h/v1/?a=1&after=file+a%26b"},
    {"http://h/v1?a=1&", "?", 0, OK, "http://h/v1/?a=1&"},
    {"http://h/v1?a=1&", "/files?", 3, OK, "http://h/v1/files?a=1&api-key=K&=&limit=10"},
    {"http://h/v1?a=1&",
     "/models/ft%3Agpt-4o-mini%3Aorg%2Fx",
     2,
     OK,
     "http://h/v1/models/ft%3agpt-4o-mini%3aorg%2fx?a=1&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%"
     "2f%3f"},
    {"http://h/v1?a=1&", "/a?b#c", 1, OK, "http://h/v1/a?a=1&b#c&after=file+a%26b"},
    {"http://h/v1?a=1&", "/a\011b", 0, BAD, NULL},
    {"http://h/v1?a=1&", "http://", 3, BAD, NULL},
    {"http://h/v1?a=1&",
     "http:/h",
     2,
     OK,
     "http://h/v1/http:/h?a=1&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1?a=1&",
     "/files?purpose=batch&api-key=K",
     1,
     OK,
     "http://h/v1/files?a=1&purpose=batch&api-key=K&after=file+a%26b"},
    {"http://h/v1?", "chat/completions", 1, OK, "http://h/v1/chat/completions?after=file+a%26b"},
    {"http://h/v1?", "//", 0, OK, "http://h/v1//"},
    {"http://h/v1?", "/files?purpose=batch", 3, OK, "http://h/v1/files?purpose=batch&api-key=K&=&limit=10"},
    {"http://h/v1?", "/files?&", 2, OK, "http://h/v1/files?&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1?", "/a#b?c", 1, OK, "http://h/v1/a#b?c&after=file+a%26b"},
    {"http://h/v1?", "/a b", 0, BAD, NULL},
    {"http://h/v1?", "https://", 3, BAD, NULL},
    {"http://h/v1?",
     "httpx://h/",
     2,
     OK,
     "http://h/v1/httpx://h/?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/v1?", "?only=query", 1, OK, "http://h/v1/?only=query&after=file+a%26b"},
    {"http://u:p@[::1]:8080/v1",
     "/chat/completions",
     1,
     OK,
     "http://u:p@[::1]:8080/v1/chat/completions?after=file+a%26b"},
    {"http://u:p@[::1]:8080/v1", "/", 0, OK, "http://u:p@[::1]:8080/v1/"},
    {"http://u:p@[::1]:8080/v1", "?\?", 3, OK, "http://u:p@[::1]:8080/v1/?\?&api-key=K&=&limit=10"},
    {"http://u:p@[::1]:8080/v1",
     "/files?a=1&",
     2,
     OK,
     "http://u:p@[::1]:8080/v1/files?a=1&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://u:p@[::1]:8080/v1",
     "/x/../y/./z",
     1,
     OK,
     "http://u:p@[::1]:8080/v1/x/../y/./z?after=file+a%26b"},
    {"http://u:p@[::1]:8080/v1", "/\303\251/%C3%A9", 0, OK, "http://u:p@[::1]:8080/v1/\303\251/%c3%a9"},
    {"http://u:p@[::1]:8080/v1",
     "HTTP://Other.example:81/p/../q?x=%4A",
     3,
     OK,
     "http://Other.example:81/q?x=%4A&api-key=K&=&limit=10"},
    {"http://u:p@[::1]:8080/v1", "https:///x", 2, BAD, NULL},
    {"http://u:p@[::1]:8080/v1", "/%zz%4a%", 1, OK, "http://u:p@[::1]:8080/v1/%zz%4a%?after=file+a%26b"},
    {"http://u:p@[::1]:8080/v1",
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f",
     0,
     OK,
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f"},
    {"http://h/A%2F/..%2f/", NULL, 1, BAD, NULL},
    {"http://h/A%2F/..%2f/", "", 0, OK, "http://h/A%2f/..%2f/"},
    {"http://h/A%2F/..%2f/", "?", 3, OK, "http://h/A%2f/..%2f/?api-key=K&=&limit=10"},
    {"http://h/A%2F/..%2f/",
     "/files?",
     2,
     OK,
     "http://h/A%2f/..%2f/files?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://h/A%2F/..%2f/",
     "/models/ft%3Agpt-4o-mini%3Aorg%2Fx",
     1,
     OK,
     "http://h/A%2f/..%2f/models/ft%3agpt-4o-mini%3aorg%2fx?after=file+a%26b"},
    {"http://h/A%2F/..%2f/", "/a?b#c", 0, OK, "http://h/A%2f/..%2f/a?b#c"},
    {"http://h/A%2F/..%2f/", "/a\011b", 3, BAD, NULL},
    {"http://h/A%2F/..%2f/", "http://", 2, BAD, NULL},
    {"http://h/A%2F/..%2f/", "http:/h", 1, OK, "http://h/A%2f/..%2f/http:/h?after=file+a%26b"},
    {"http://h/A%2F/..%2f/",
     "/files?purpose=batch&api-key=K",
     0,
     OK,
     "http://h/A%2f/..%2f/files?purpose=batch&api-key=K"},
    {"http://h/v1#frag", "chat/completions", 0, OK, "http://h/v1/chat/completions#frag"},
    {"http://h/v1#frag", "//", 3, OK, "http://h/v1//?api-key=K&=&limit=10#frag"},
    {"http://h/v1#frag",
     "/files?purpose=batch",
     2,
     OK,
     "http://h/v1/files?purpose=batch&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f#frag"},
    {"http://h/v1#frag", "/files?&", 1, OK, "http://h/v1/files?&after=file+a%26b#frag"},
    {"http://h/v1#frag", "/a#b?c", 0, OK, "http://h/v1/a#b?c#frag"},
    {"http://h/v1#frag", "/a b", 3, BAD, NULL},
    {"http://h/v1#frag", "https://", 2, BAD, NULL},
    {"http://h/v1#frag", "httpx://h/", 1, OK, "http://h/v1/httpx://h/?after=file+a%26b#frag"},
    {"http://h/v1#frag", "?only=query", 0, OK, "http://h/v1/?only=query#frag"},
    {"ftp://h/v1", "/chat/completions", 0, BAD, NULL},
    {"ftp://h/v1", "/", 3, BAD, NULL},
    {"ftp://h/v1", "?\?", 2, BAD, NULL},
    {"ftp://h/v1", "/files?a=1&", 1, BAD, NULL},
    {"ftp://h/v1", "/x/../y/./z", 0, BAD, NULL},
    {"ftp://h/v1", "/\303\251/%C3%A9", 3, BAD, NULL},
    {"ftp://h/v1",
     "HTTP://Other.example:81/p/../q?x=%4A",
     2,
     OK,
     "http://Other.example:81/q?x=%4A&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"ftp://h/v1", "https:///x", 1, BAD, NULL},
    {"ftp://h/v1", "/%zz%4a%", 0, BAD, NULL},
    {"ftp://h/v1",
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f",
     3,
     OK,
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1&api-key=K&=&limit=10#f"},
    {"http://bad base/", NULL, 0, BAD, NULL},
    {"http://bad base/", "", 3, BAD, NULL},
    {"http://bad base/", "?", 2, BAD, NULL},
    {"http://bad base/", "/files?", 1, BAD, NULL},
    {"http://bad base/", "/models/ft%3Agpt-4o-mini%3Aorg%2Fx", 0, BAD, NULL},
    {"http://bad base/", "/a?b#c", 3, BAD, NULL},
    {"http://bad base/", "/a\011b", 2, BAD, NULL},
    {"http://bad base/", "http://", 1, BAD, NULL},
    {"http://bad base/", "http:/h", 0, BAD, NULL},
    {"http://bad base/", "/files?purpose=batch&api-key=K", 3, BAD, NULL},
    {"http:///v1", "chat/completions", 3, BAD, NULL},
    {"http:///v1", "//", 2, BAD, NULL},
    {"http:///v1", "/files?purpose=batch", 1, BAD, NULL},
    {"http:///v1", "/files?&", 0, BAD, NULL},
    {"http:///v1", "/a#b?c", 3, BAD, NULL},
    {"http:///v1", "/a b", 2, BAD, NULL},
    {"http:///v1", "https://", 1, BAD, NULL},
    {"http:///v1", "httpx://h/", 0, BAD, NULL},
    {"http:///v1", "?only=query", 3, BAD, NULL},
    {"http://0x7f.1/a/../v1",
     "/chat/completions",
     3,
     OK,
     "http://127.0.0.1/v1/chat/completions?api-key=K&=&limit=10"},
    {"http://0x7f.1/a/../v1", "/", 2, OK, "http://127.0.0.1/v1/?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://0x7f.1/a/../v1", "?\?", 1, OK, "http://127.0.0.1/v1/?\?&after=file+a%26b"},
    {"http://0x7f.1/a/../v1", "/files?a=1&", 0, OK, "http://127.0.0.1/v1/files?a=1&"},
    {"http://0x7f.1/a/../v1", "/x/../y/./z", 3, OK, "http://127.0.0.1/v1/x/../y/./z?api-key=K&=&limit=10"},
    {"http://0x7f.1/a/../v1",
     "/\303\251/%C3%A9",
     2,
     OK,
     "http://127.0.0.1/v1/\303\251/%c3%a9?k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f"},
    {"http://0x7f.1/a/../v1",
     "HTTP://Other.example:81/p/../q?x=%4A",
     1,
     OK,
     "http://Other.example:81/q?x=%4A&after=file+a%26b"},
    {"http://0x7f.1/a/../v1", "https:///x", 0, BAD, NULL},
    {"http://0x7f.1/a/../v1", "/%zz%4a%", 3, OK, "http://127.0.0.1/v1/%zz%4a%?api-key=K&=&limit=10"},
    {"http://0x7f.1/a/../v1",
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1#f",
     2,
     OK,
     "https://u:p@[::FFFF:1.2.3.4]:443/v1?x=1&k=v%3d1%26x%23y&%c3%a9+~%2a=%254A+%2b%2f%3f#f"},
};

/* ------------------------------------------------------------------------ */
/* The table */

static const char *expected_text(const char *value, const char *input)
{
    return value == SAME ? input : value;
}

/* A refusal's reason is static text that never repeats the URL, which
 * may hold a password (short inputs such as "http:" can occur in a reason
 * by chance); an answer has none. */
static void check_why(const backend *b, const char *input, oai_status st, const char *why)
{
    int echoes = why && ((strlen(input) > 20 && strstr(why, input)) || strstr(why, "SECRET"));
    int ok = st == OAI_OK ? why == NULL : st != OAI_ERR_INVALID_ARGUMENT || (why && *why && !echoes);
    if (ok || ++mismatches > 20)
        return;
    fprintf(stderr, "the reason given by the %s backend is wrong:\n", b->name);
    print_text("input", input);
    print_text("why", why);
}

static void check_base_case(const backend *b, const base_case *c)
{
    const char *names[2] = {"expected", b->name};
    char *out = NULL;
    const char *why = NULL;
    oai_status st[2] = {c->status, b->parse_base(c->input, &out, &why)};
    const char *text[2] = {expected_text(c->base, c->input), out};
    expect_same("oai__url_parse_base", c->input, NULL, names, st, text);
    check_why(b, c->input, st[1], why);
    free(out);
    char *log = b->for_log(c->input);
    oai_status none[2] = {OAI_OK, OAI_OK};
    text[0] = expected_text(c->log, c->input);
    text[1] = log;
    expect_same("oai__url_for_log", c->input, NULL, names, none, text);
    free(log);
}

static void check_build_case(const backend *b, const build_case *c)
{
    const char *names[2] = {"expected", b->name};
    oai__kvlist q;
    make_params(&q, c->params);
    char *out = NULL;
    oai_status st[2] = {c->status, b->build(c->base, c->path, c->params ? &q : NULL, &out)};
    const char *text[2] = {c->url, out};
    expect_same("oai__url_build", c->base, c->path, names, st, text);
    free(out);
    oai__kvlist_free(&q);
}

static void check_table(const backend *b)
{
    mismatches = 0;
    for (size_t i = 0; i < sizeof base_cases / sizeof *base_cases; i++)
        check_base_case(b, &base_cases[i]);
    for (size_t i = 0; i < sizeof build_cases / sizeof *build_cases; i++)
        check_build_case(b, &build_cases[i]);
    end_of_comparisons(b->name);
}

static void test_builtin_gives_the_table(void **state)
{
    (void)state;
    check_table(&builtin);
}

/* A table row's string as C source: octal escapes for bytes outside
 * printable ASCII, and "?\?" so that no trigraph forms. */
static void print_c_string(const char *s, const char *input)
{
    if (!s || s == input) {
        printf("%s", !s ? "NULL" : "SAME");
        return;
    }
    if (strcmp(s, UNPARSABLE) == 0) {
        printf("UNPARSABLE");
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\' || (*p == '?' && p > (const unsigned char *)s && p[-1] == '?'))
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\%03o", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static const char *const status_names[] = {"OK", "BAD", "NOMEM"};

/* OAI_TEST_URL_PRINT=1: prints the table rows as the library's backend
 * answers them, to paste above after adding inputs (with libcurl; check
 * each new row by eye before trusting it). */
static void print_table(void)
{
    for (size_t i = 0; i < sizeof base_cases / sizeof *base_cases; i++) {
        const char *in = base_cases[i].input;
        char *out = NULL, *log = oai__url_for_log(in);
        oai_status st = oai__url_parse_base(in, &out, NULL);
        printf("    {");
        print_c_string(in, NULL);
        printf(", %s, ", status_names[st <= 2 ? st : 1]);
        print_c_string(out && strcmp(out, in) == 0 ? in : out, in);
        printf(", ");
        print_c_string(log && strcmp(log, in) == 0 ? in : log, in);
        printf("},\n");
        free(out);
        free(log);
    }
    for (size_t i = 0; i < sizeof build_cases / sizeof *build_cases; i++) {
        const build_case *c = &build_cases[i];
        oai__kvlist q;
        make_params(&q, c->params);
        char *out = NULL;
        oai_status st = oai__url_build(c->base, c->path, c->params ? &q : NULL, &out);
        printf("    {");
        print_c_string(c->base, NULL);
        printf(", ");
        print_c_string(c->path, NULL);
        printf(", %d, %s, ", c->params, status_names[st <= 2 ? st : 1]);
        print_c_string(out, NULL);
        printf("},\n");
        free(out);
        oai__kvlist_free(&q);
    }
}

/* With libcurl, a failure here and none above means libcurl's rules
 * changed: url_builtin.c must follow, and the table be regenerated. */
static void test_library_gives_the_table(void **state)
{
    (void)state;
    print_message("library backend: %s\n", oai__url_backend());
    if (getenv("OAI_TEST_URL_PRINT"))
        print_table();
    check_table(&library);
}

/* ------------------------------------------------------------------------ */
/* Very long inputs, near libcurl's 8000000-byte limits */

/* prefix, then unit count times, then suffix; prefix NULL: no string. */
typedef struct repeat {
    const char *prefix;
    const char *unit;
    size_t count;
    const char *suffix;
} repeat;

static char *make_repeat(const repeat *r)
{
    if (!r->prefix)
        return NULL;
    size_t p = strlen(r->prefix), u = strlen(r->unit), s = strlen(r->suffix);
    char *text = malloc(p + u * r->count + s + 1);
    assert_non_null(text);
    memcpy(text, r->prefix, p);
    for (size_t i = 0; i < r->count; i++)
        memcpy(text + p + i * u, r->unit, u);
    memcpy(text + p + u * r->count, r->suffix, s + 1);
    return text;
}

typedef struct long_case {
    repeat input;
    oai_status status;
    repeat base;
    repeat log;
} long_case;

#define M 8000000
static const long_case long_cases[] = {
    /* The longest base URL libcurl writes out: 7999999 bytes. */
    {{"http://h/", "a", M - 10, ""}, OK, {"http://h/", "a", M - 10, ""}, {"http://h/", "a", M - 10, ""}},
    /* 8000000 bytes parse, but do not fit the output buffer. */
    {{"http://h/", "a", M - 9, ""}, NOMEM, {NULL, "", 0, ""}, {NULL, "", 0, ""}},
    {{"http://h/", "a", M - 8, ""}, BAD, {NULL, "", 0, ""}, {UNPARSABLE, "", 0, ""}},
    /* "0" is written "0.0.0.0": 6 bytes more. */
    {{"http://0/", "a", M - 16, ""}, OK, {"http://0.0.0.0/", "a", M - 16, ""}, {"http://0.0.0.0/", "a", M - 16, ""}},
    {{"http://0/", "a", M - 15, ""}, NOMEM, {NULL, "", 0, ""}, {NULL, "", 0, ""}},
    {{"http://", "h", 1000000, "/v1"}, OK, {"http://", "h", 1000000, "/v1"}, {"http://", "h", 1000000, "/v1"}},
    {{"http://u:", "p", 500000, "@h/v1"}, OK, {"http://u:", "p", 500000, "@h/v1"}, {"http://h/v1", "", 0, ""}},
    {{"http://h", "/a/..", 100000, "/v1/"}, OK, {"http://h/v1", "", 0, ""}, {"http://h/v1/", "", 0, ""}},
    {{"http://h", "//", 100000, ""}, OK, {"http://h", "//", 100000, ""}, {"http://h", "//", 100000, ""}},
    {{"http://h/v1?", "api-key=x&", 10000, "v=1"},
     OK,
     {"http://h/v1?", "api-key=x&", 10000, "v=1"},
     {"http://h/v1?", "api-key=[redacted]&", 10000, "v=1"}},
    {{"http://h/v1?", "%4A", 100000, ""}, OK, {"http://h/v1?", "%4A", 100000, ""}, {"http://h/v1?", "%4a", 100000, ""}},
};

typedef struct long_build_case {
    const char *base;
    repeat path;
    repeat value; /* of the parameter "k", when prefix is not NULL */
    oai_status status;
    repeat url;
} long_build_case;

static const long_build_case long_build_cases[] = {
    /* The joined path "/v1/ppp..." over the input limit. */
    {"http://h/v1", {"/", "p", M, ""}, {NULL, "", 0, ""}, BAD, {NULL, "", 0, ""}},
    {"http://h/v1", {"/", "p", M - 4, ""}, {NULL, "", 0, ""}, NOMEM, {NULL, "", 0, ""}},
    {"http://h/v1", {"/", "p", M - 20, ""}, {NULL, "", 0, ""}, OK, {"http://h/v1/", "p", M - 20, ""}},
    /* The path's query over the limit, then merged past it. */
    {"http://h/v1", {"/x?", "q", M + 1, ""}, {NULL, "", 0, ""}, BAD, {NULL, "", 0, ""}},
    {"http://h/v1?a", {"/x?", "q", M - 2, ""}, {NULL, "", 0, ""}, NOMEM, {NULL, "", 0, ""}},
    /* A parameter over the limit before encoding, and one that encoding
     * takes past it. */
    {"http://h/v1", {"/x", "", 0, ""}, {"", "v", M - 1, ""}, BAD, {NULL, "", 0, ""}},
    {"http://h/v1", {"/x", "", 0, ""}, {"", "/", M / 3, ""}, NOMEM, {NULL, "", 0, ""}},
    {"http://h/v1", {"/x", "", 0, ""}, {"", "\303\251", 100000, ""}, OK, {"http://h/v1/x?k=", "%c3%a9", 100000, ""}},
};
#undef M

static void check_long_case(const backend *b, const long_case *c)
{
    const char *names[2] = {"expected", b->name};
    char *input = make_repeat(&c->input), *base = make_repeat(&c->base), *log = make_repeat(&c->log);
    char *out = NULL;
    const char *why = NULL;
    oai_status st[2] = {c->status, b->parse_base(input, &out, &why)};
    const char *text[2] = {base, out};
    expect_same("oai__url_parse_base", input, NULL, names, st, text);
    free(out);
    st[1] = OAI_OK;
    st[0] = OAI_OK;
    text[0] = log;
    text[1] = out = b->for_log(input);
    expect_same("oai__url_for_log", input, NULL, names, st, text);
    free(out);
    free(input);
    free(base);
    free(log);
}

static void check_long_build_case(const backend *b, const long_build_case *c)
{
    const char *names[2] = {"expected", b->name};
    char *path = make_repeat(&c->path), *value = make_repeat(&c->value), *url = make_repeat(&c->url);
    oai__kvlist q = {0};
    if (value)
        assert_int_equal(oai__kvlist_set(&q, "k", value), OAI_OK);
    char *out = NULL;
    oai_status st[2] = {c->status, b->build(c->base, path, &q, &out)};
    const char *text[2] = {url, out};
    expect_same("oai__url_build", c->base, path, names, st, text);
    free(out);
    free(path);
    free(value);
    free(url);
    oai__kvlist_free(&q);
}

static void test_long_inputs(void **state)
{
    (void)state;
    const backend *both[2] = {&builtin, &library};
    mismatches = 0;
    for (int b = 0; b < (library_is_curl() ? 2 : 1); b++) {
        for (size_t i = 0; i < sizeof long_cases / sizeof *long_cases; i++)
            check_long_case(both[b], &long_cases[i]);
        for (size_t i = 0; i < sizeof long_build_cases / sizeof *long_build_cases; i++)
            check_long_build_case(both[b], &long_build_cases[i]);
    }
    end_of_comparisons("long inputs");
}

/* ------------------------------------------------------------------------ */
/* Both backends side by side */

static const char *const backend_names[2] = {"libcurl", "builtin"};

static void compare_parse(const char *input)
{
    char *out[2] = {NULL, NULL};
    const char *why[2] = {NULL, NULL};
    oai_status st[2] = {library.parse_base(input, &out[0], &why[0]), builtin.parse_base(input, &out[1], &why[1])};
    const char *text[2] = {out[0], out[1]};
    expect_same("oai__url_parse_base", input, NULL, backend_names, st, text);
    check_why(&builtin, input, st[1], why[1]);
    free(out[0]);
    free(out[1]);
    char *log[2] = {library.for_log(input), builtin.for_log(input)};
    oai_status none[2] = {OAI_OK, OAI_OK};
    text[0] = log[0];
    text[1] = log[1];
    expect_same("oai__url_for_log", input, NULL, backend_names, none, text);
    free(log[0]);
    free(log[1]);
}

static void compare_build(const char *base, const char *path, const oai__kvlist *q)
{
    char *out[2] = {NULL, NULL};
    oai_status st[2] = {library.build(base, path, q, &out[0]), builtin.build(base, path, q, &out[1])};
    const char *text[2] = {out[0], out[1]};
    expect_same("oai__url_build", base, path, backend_names, st, text);
    free(out[0]);
    free(out[1]);
}

/* Valgrind runs this suite 50 times slower (scripts/test.sh sets
 * OAI_TEST_MEMCHECK): the comparisons below then take every few cases
 * only, still through every code path. */
static size_t stride(size_t normal)
{
    return getenv("OAI_TEST_MEMCHECK") ? normal * 4 : normal;
}

/* One input every way: as a base URL, as a URL to log, as the base of
 * each request path, as a request path below a few bases, as a parameter
 * name and value. */
static void compare_everywhere(const char *input, size_t salt)
{
    static const char *const bases[] = {"http://h/v1", "http://h/v1?a=1&", "https://u:p@[::1]:8443/"};
    oai__kvlist q[4];
    for (int i = 0; i < 4; i++)
        make_params(&q[i], i);
    compare_parse(input);
    for (size_t i = salt % 7; i < sizeof build_cases / sizeof *build_cases; i += stride(7))
        compare_build(input, build_cases[i].path, &q[(i + salt) % 4]);
    for (size_t i = 0; i < sizeof bases / sizeof *bases; i++)
        compare_build(bases[i], input, &q[(i + salt) % 4]);
    oai__kvlist own = {0};
    assert_int_equal(oai__kvlist_set(&own, input, input), OAI_OK);
    assert_int_equal(oai__kvlist_set(&own, "v", input), OAI_OK);
    compare_build("http://h/v1?x=1", "/p?y=%AA", &own);
    oai__kvlist_free(&own);
    for (int i = 0; i < 4; i++)
        oai__kvlist_free(&q[i]);
}

static void test_backends_agree_on_the_corpus(void **state)
{
    (void)state;
    if (!library_is_curl()) {
        print_message("the library's URL backend is the builtin one: nothing to compare it with\n");
        skip();
    }
    mismatches = 0;
    for (size_t i = 0; i < sizeof base_cases / sizeof *base_cases; i++)
        compare_everywhere(base_cases[i].input, i);
    for (size_t i = 0; i < sizeof build_cases / sizeof *build_cases; i++) {
        oai__kvlist q;
        make_params(&q, build_cases[i].params);
        compare_build(build_cases[i].base, build_cases[i].path, &q);
        for (size_t j = i % 5; j < sizeof base_cases / sizeof *base_cases; j += stride(5))
            compare_build(base_cases[j].input, build_cases[i].path, &q);
        oai__kvlist_free(&q);
    }
    end_of_comparisons("corpus");
}

/* xorshift64: the same mutations on every run and every machine. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Pieces that matter to a URL parser, inserted or substituted. */
static const char *const pieces[] = {
    "://", ":", "/", "//", "?", "#", "@", "[", "]", "%", "%25", "%2F", "%2e", "%4A", "%4a", "%00", "%7F", "%5B",
    "%5D", "%3A", ".", "..", "/../", "/./", "&", "=", "+", "~", "_", "-", "a", "Z", "0", "1", "9", "0x", "07", "255",
    "256", "4294967296", "65536", "::", "::1", "ffff", "1.2.3.4", "\303\251", "\377", " ", "\t", "\177", "key=",
    "sig=s", "!", "$", "'", "*", ",", ";", "(", "|", "\\", "{", "`", "^", "<", "\"", "HTTP://", "https://",
};

/* Inserts, replaces or deletes a piece or a byte at a random place. */
static void mutate(char *buf, size_t cap, uint64_t *seed)
{
    size_t len = strlen(buf), at = len ? next_random(seed) % (len + 1) : 0;
    const char *piece = pieces[next_random(seed) % (sizeof pieces / sizeof *pieces)];
    char byte[2] = {(char)(1 + next_random(seed) % 255), 0};
    size_t plen = strlen(piece), cut = 0;
    switch (next_random(seed) % 4) {
    case 0: /* insert */
        break;
    case 1: /* replace one byte */
        cut = at < len ? 1 : 0;
        break;
    case 2: /* delete a byte */
        plen = 0;
        cut = at < len ? 1 : 0;
        break;
    default: /* a byte of any value but NUL */
        piece = byte;
        plen = 1;
        break;
    }
    if (len - cut + plen >= cap)
        return;
    memmove(buf + at + plen, buf + at + cut, len - at - cut + 1);
    memcpy(buf + at, piece, plen);
}

static void test_backends_agree_on_mutations(void **state)
{
    (void)state;
    if (!library_is_curl()) {
        print_message("the library's URL backend is the builtin one: nothing to compare it with\n");
        skip();
    }
    /* OAI_TEST_URL_MUTATIONS=n for a longer hunt. */
    const char *env = getenv("OAI_TEST_URL_MUTATIONS");
    long rounds = env ? atol(env) : 20000 / (long)stride(5) * 5;
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
    size_t n = sizeof base_cases / sizeof *base_cases;
    mismatches = 0;
    for (long r = 0; r < rounds; r++) {
        char buf[512];
        const char *from = base_cases[next_random(&seed) % n].input;
        snprintf(buf, sizeof buf, "%s", from);
        for (uint64_t k = 1 + next_random(&seed) % 4; k > 0; k--)
            mutate(buf, sizeof buf, &seed);
        compare_everywhere(buf, (size_t)r);
    }
    end_of_comparisons("mutations");
}

/* ------------------------------------------------------------------------ */
/* Allocation failures in the builtin backend */

/* This executable's malloc family forwards to glibc's and, while armed,
 * fails the n-th allocation and counts blocks still alive. Under a
 * sanitizer or valgrind (which put their own allocator in place) the
 * interposer is not in use, and the test skips. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OOM_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define OOM_DISABLED 1
#endif
#endif
#if !defined(OOM_DISABLED) && defined(__GLIBC__)
#define OOM_DISABLED 0
#else
#undef OOM_DISABLED
#define OOM_DISABLED 1
#endif

static int oom_armed;
static long oom_count, oom_fail_at, oom_live;
static int oom_failed;

#if !OOM_DISABLED
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

static int oom_hit(void)
{
    if (!oom_armed || ++oom_count != oom_fail_at)
        return 0;
    oom_failed = 1;
    return 1;
}

void *malloc(size_t size)
{
    void *p = oom_hit() ? NULL : __libc_malloc(size);
    oom_live += p && oom_armed;
    return p;
}

void *calloc(size_t count, size_t size)
{
    void *p = oom_hit() ? NULL : __libc_calloc(count, size);
    oom_live += p && oom_armed;
    return p;
}

void *realloc(void *ptr, size_t size)
{
    void *p = oom_hit() ? NULL : __libc_realloc(ptr, size);
    oom_live += p && !ptr && oom_armed;
    return p;
}

void free(void *ptr)
{
    oom_live -= ptr && oom_armed;
    __libc_free(ptr);
}
#endif

/* One call of the builtin backend; its result as text, "status:text". */
typedef struct oom_call {
    int fn; /* 0 parse_base, 1 build, 2 for_log */
    const char *a;
    const char *b;
    int params;
} oom_call;

static oai_status run_call(const oom_call *c, const oai__kvlist *q, char **out)
{
    const char *why;
    if (c->fn == 0)
        return builtin_url_parse_base(c->a, out, &why);
    if (c->fn == 1)
        return builtin_url_build(c->a, c->b, q, out);
    *out = builtin_url_for_log(c->a);
    return *out ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

/* Runs c armed, failing allocation fail_at (0: none); frees the result
 * inside, so that what is left alive is a leak. Returns the status and
 * copies the text to keep (when keep is not NULL). */
static oai_status run_armed(const oom_call *c, const oai__kvlist *q, long fail_at, char *keep, size_t cap)
{
    char *out = NULL;
    oom_count = oom_live = 0;
    oom_failed = 0;
    oom_fail_at = fail_at;
    oom_armed = 1;
    oai_status st = run_call(c, q, &out);
    if (keep)
        snprintf(keep, cap, "%s", out ? out : "(null)");
    free(out);
    oom_armed = 0;
    return st;
}

static void check_allocation_failures(const oom_call *c)
{
    oai__kvlist q;
    make_params(&q, c->params);
    char want[1024], got[1024];
    oai_status want_st = run_armed(c, &q, 0, want, sizeof want);
    long n = oom_count;
    assert_int_equal(oom_live, 0);
    for (long i = 1; i <= n; i++) {
        oai_status st = run_armed(c, &q, i, got, sizeof got);
        if (oom_live != 0 || (oom_failed && st != OAI_ERR_OUT_OF_MEMORY) ||
            (!oom_failed && (st != want_st || strcmp(got, want) != 0))) {
            fprintf(stderr, "allocation %ld of %ld failing: status %d (leaked %ld)\n", i, n, (int)st, oom_live);
            print_text("input", c->a);
            fail();
        }
    }
    oai__kvlist_free(&q);
}

static void test_builtin_allocation_failures(void **state)
{
    (void)state;
    static const oom_call calls[] = {
        {0, "http://u:p@[fe80::1%25eth0]:8443/a/../v1//?api-version=1", NULL, 0},
        {0, "HTTP://%65x.com:0080/A%2fb/./c/", NULL, 0},
        {0, "http://0x7f.1", NULL, 0},
        {0, "http://h/v1#f", NULL, 0},
        {0, "http://[::ffff:1.2.3.4]/", NULL, 0},
        {1, "http://h/v1?a=1", "/files?purpose=batch&x=%4A", 2},
        {1, "http://h/v1", "HTTPS://o.example/p/../q?k=v#f", 1},
        {1, "http://h", "chat", 3},
        {1, "not a url", "/x", 1},
        {2, "http://user:pw@h:1/v1?api-key=K&x=%4A&", NULL, 0},
        {2, "ftp://h/", NULL, 0},
        {2, "http://a%25b/", NULL, 0},
    };
    if (OOM_DISABLED) {
        print_message("skipped: a sanitizer replaces malloc in this build\n");
        skip();
    }
    oom_call probe = {0, "http://h/", NULL, 0};
    run_armed(&probe, NULL, 0, NULL, 0);
    if (oom_count == 0) {
        print_message("skipped: this executable's malloc is not the one in use (valgrind?)\n");
        skip();
    }
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        check_allocation_failures(&calls[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_gives_the_table),
        cmocka_unit_test(test_library_gives_the_table),
        cmocka_unit_test(test_long_inputs),
        cmocka_unit_test(test_backends_agree_on_the_corpus),
        cmocka_unit_test(test_backends_agree_on_mutations),
        cmocka_unit_test(test_builtin_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
