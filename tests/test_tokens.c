/*
 * The tokenizers (src/tokens/): Unicode classes, UTF-8 repair, the two
 * pre-tokenizers' splits (including where tiktoken and js-tiktoken differ,
 * which the reference run cannot check), the two merges against each
 * other, counts, chat counts by the cookbook's recipe, model names, bad
 * vocabulary files, a bound on the work of megabyte runs, and allocation
 * failures.
 *
 * The vocabularies come from OAI_TEST_VOCAB_DIR (ctest sets it to the
 * build's vocab/). Without them the tests that need them skip, unless
 * OAI_REQUIRE_VOCAB=1 (scripts/test.sh, CI), where they fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "oai.h"
#include "tokens/tokens.h"

/* ---- helpers ---------------------------------------------------------- */

static const char *vocab_dir(void)
{
    const char *dir = getenv("OAI_TEST_VOCAB_DIR");
    const char *require = getenv("OAI_REQUIRE_VOCAB");
    char path[4096];

    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/o200k_base.tiktoken", dir);
        if (access(path, R_OK) == 0)
            return dir;
    }
    if (require && strcmp(require, "1") == 0)
        fail_msg("no vocabulary in OAI_TEST_VOCAB_DIR=%s and OAI_REQUIRE_VOCAB=1: build with js-tiktoken "
                 "(npm ci --prefix tests/tokens; docs/tokens.md)", dir ? dir : "(unset)");
    print_message("no vocabulary (OAI_TEST_VOCAB_DIR=%s): skipped\n", dir ? dir : "(unset)");
    skip();
    return NULL;
}

static oai_tokenizer *load(const char *encoding)
{
    char path[4096];
    oai_tokenizer *tok;

    snprintf(path, sizeof path, "%s/%s.tiktoken", vocab_dir(), encoding);
    tok = oai_tokenizer_new(encoding, path);
    assert_non_null(tok);
    if (oai_tokenizer_status(tok) != OAI_OK)
        fail_msg("%s", oai_tokenizer_error_message(tok));
    return tok;
}

static int64_t count(oai_tokenizer *tok, const char *text)
{
    int64_t n = -1;
    assert_int_equal(oai_tokenizer_count_text(tok, text, strlen(text), &n), OAI_OK);
    return n;
}

/* The pieces of text, joined with "|". */
static char *split(int pattern, const char *text)
{
    static char out[4096];
    size_t pos = 0, len = strlen(text), o = 0;
    uint64_t steps = 0;

    out[0] = '\0';
    while (pos < len) {
        size_t end = oai__pretokenize_next(pattern, text, len, pos, &steps);
        assert_true(end > pos && end <= len);
        if (o)
            out[o++] = '|';
        memcpy(out + o, text + pos, end - pos);
        o += end - pos;
        pos = end;
    }
    out[o] = '\0';
    return out;
}

/* ---- Unicode and UTF-8 ------------------------------------------------ */

static void test_unicode_categories(void **state)
{
    (void)state;
    assert_int_equal(oai__unicode_category('a'), OAI__UC_LL);
    assert_int_equal(oai__unicode_category('Z'), OAI__UC_LU);
    assert_int_equal(oai__unicode_category('7'), OAI__UC_N);
    assert_int_equal(oai__unicode_category('!'), OAI__UC_OTHER);
    assert_int_equal(oai__unicode_category(0xE9), OAI__UC_LL);    /* é */
    assert_int_equal(oai__unicode_category(0xC9), OAI__UC_LU);    /* É */
    assert_int_equal(oai__unicode_category(0x1C5), OAI__UC_LT);   /* ǅ */
    assert_int_equal(oai__unicode_category(0x2B0), OAI__UC_LM);   /* ʰ */
    assert_int_equal(oai__unicode_category(0x30FC), OAI__UC_LM);  /* ー */
    assert_int_equal(oai__unicode_category(0x4E2D), OAI__UC_LO);  /* 中 */
    assert_int_equal(oai__unicode_category(0x301), OAI__UC_M);    /* combining acute */
    assert_int_equal(oai__unicode_category(0x93F), OAI__UC_M);    /* Devanagari vowel sign I (Mc) */
    assert_int_equal(oai__unicode_category(0xBD), OAI__UC_N);     /* ½ (No) */
    assert_int_equal(oai__unicode_category(0x216B), OAI__UC_N);   /* Ⅻ (Nl) */
    assert_int_equal(oai__unicode_category(0x1F600), OAI__UC_OTHER);
    assert_int_equal(oai__unicode_category(0x10FFFF), OAI__UC_OTHER);
    assert_int_equal(oai__unicode_category(0xE0000), OAI__UC_OTHER); /* unassigned */
    /* White_Space: U+0085 is, U+FEFF and U+200B are not. */
    assert_true(oai__unicode_is_space(0x85));
    assert_true(oai__unicode_is_space(0x3000));
    assert_true(oai__unicode_is_space(0x2028));
    assert_false(oai__unicode_is_space(0xFEFF));
    assert_false(oai__unicode_is_space(0x200B));
    assert_false(oai__unicode_is_space(0x1C));
}

static void expect_sanitized(const char *in, size_t len, const char *want, size_t want_len)
{
    size_t out_len = 0;
    char *out = oai__utf8_sanitize(in, len, &out_len);

    assert_non_null(out);
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, out_len);
    assert_true(oai__utf8_is_valid(out, out_len));
    oai_free(out);
}

#define FFFD "\xEF\xBF\xBD"
#define EXPECT_SANITIZED(in, want) expect_sanitized(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_utf8_repair(void **state)
{
    (void)state;
    assert_true(oai__utf8_is_valid("", 0));
    assert_true(oai__utf8_is_valid("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 10));
    assert_false(oai__utf8_is_valid("\xC0\x80", 2));          /* overlong */
    assert_false(oai__utf8_is_valid("\xED\xA0\x80", 3));      /* a surrogate */
    assert_false(oai__utf8_is_valid("\xF4\x90\x80\x80", 4));  /* above U+10FFFF */
    assert_false(oai__utf8_is_valid("\xE4\xB8", 2));          /* cut short */
    /* One U+FFFD per maximal invalid subpart (WHATWG, Python's "replace"). */
    EXPECT_SANITIZED("\xC0\x80", FFFD FFFD);
    EXPECT_SANITIZED("\xED\xA0\x80", FFFD FFFD FFFD);
    EXPECT_SANITIZED("a\xE2\x82" "b", "a" FFFD "b");
    EXPECT_SANITIZED("\xF0\x9F\x98", FFFD);
    EXPECT_SANITIZED("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
    EXPECT_SANITIZED("\xFF\xFE" "ok", FFFD FFFD "ok");
    EXPECT_SANITIZED("\xC3\x28", FFFD "(");
    EXPECT_SANITIZED("a\0b", "a\0b");
}

/* ---- pre-tokenization ------------------------------------------------- */

static void test_split_o200k(void **state)
{
    (void)state;
    assert_string_equal(split(OAI__PAT_O200K, "Hello world"), "Hello| world");
    assert_string_equal(split(OAI__PAT_O200K, "I'M don't HelloWorld"), "I'M| don't| Hello|World");
    assert_string_equal(split(OAI__PAT_O200K, "ABCdef ABC"), "ABCdef| ABC");
    assert_string_equal(split(OAI__PAT_O200K, "12345 x"), "123|45| x");
    assert_string_equal(split(OAI__PAT_O200K, "a  b"), "a| | b");
    assert_string_equal(split(OAI__PAT_O200K, "a \n\n b"), "a| \n\n| b");
    assert_string_equal(split(OAI__PAT_O200K, "x!!\n/y"), "x|!!\n/|y");
    assert_string_equal(split(OAI__PAT_O200K, "end  "), "end|  ");
    assert_string_equal(split(OAI__PAT_O200K, " !x"), " !|x");
    /* A mark before upper-case letters: the lower-case alternative gives
     * back everything but the mark. */
    assert_string_equal(split(OAI__PAT_O200K, "\xCC\x81" "AB!"), "\xCC\x81|AB|!");
    /* tiktoken's case-insensitive 's matches U+017F (long s), which
     * js-tiktoken's spelled-out variants do not. */
    assert_string_equal(split(OAI__PAT_O200K, "x'\xC5\xBF y"), "x'\xC5\xBF| y");
    /* U+0085 is whitespace to tiktoken (not to JavaScript's \s), U+FEFF
     * is not (it is to JavaScript's). */
    assert_string_equal(split(OAI__PAT_O200K, "a\xC2\x85\xC2\x85" "b"), "a|\xC2\x85|\xC2\x85" "b");
    assert_string_equal(split(OAI__PAT_O200K, "a\xEF\xBB\xBF\xEF\xBB\xBF" "b"),
                        "a|\xEF\xBB\xBF\xEF\xBB\xBF|b");
}

static void test_split_cl100k(void **state)
{
    (void)state;
    assert_string_equal(split(OAI__PAT_CL100K, "Hello world"), "Hello| world");
    assert_string_equal(split(OAI__PAT_CL100K, "I'M don't"), "I|'M| don|'t");
    assert_string_equal(split(OAI__PAT_CL100K, "they'LL we're"), "they|'LL| we|'re");
    assert_string_equal(split(OAI__PAT_CL100K, "12345"), "123|45");
    assert_string_equal(split(OAI__PAT_CL100K, "x!!\n/y"), "x|!!\n|/y");
    assert_string_equal(split(OAI__PAT_CL100K, "a\r\n\r\n  b"), "a|\r\n\r\n| | b");
    assert_string_equal(split(OAI__PAT_CL100K, "'\xC5\xBF" "a"), "'\xC5\xBF|a");
}

/* ---- the merge -------------------------------------------------------- */

static void test_merges_agree(void **state)
{
    oai_tokenizer *tok = load("o200k_base");
    const char *alphabet[] = { "a", "b", "e", "t", "h", " ", "th", "\xE4\xB8\xAD", "!", "1", "ing" };
    unsigned seed = 12345;
    unsigned char piece[256];
    int k;

    (void)state;
    for (k = 0; k < 3000; k++) {
        size_t len = 0;
        uint64_t w1 = 0, w2 = 0;
        int64_t a, b;
        while (len < 2 + (size_t)(k % 60)) {
            const char *s;
            seed = seed * 1103515245u + 12345u;
            s = alphabet[(seed >> 16) % (sizeof alphabet / sizeof alphabet[0])];
            if (len + strlen(s) > sizeof piece)
                break;
            memcpy(piece + len, s, strlen(s));
            len += strlen(s);
        }
        a = oai__bpe_count_quadratic(oai__tokenizer_vocab(tok), piece, len, &w1);
        b = oai__bpe_count_heap(oai__tokenizer_vocab(tok), piece, len, &w2);
        if (a != b)
            fail_msg("the merges disagree on %.*s: %lld and %lld", (int)len, piece, (long long)a,
                     (long long)b);
    }
    oai_tokenizer_free(tok);
}

/* ---- counts ----------------------------------------------------------- */

static void test_counts(void **state)
{
    oai_tokenizer *o = load("o200k_base"), *c = load("cl100k_base");
    int64_t n = -1;

    (void)state;
    assert_string_equal(oai_tokenizer_name(o), "o200k_base");
    assert_string_equal(oai_tokenizer_name(c), "cl100k_base");
    assert_int_equal(count(o, ""), 0);
    assert_int_equal(count(o, "hello world"), 2);
    assert_int_equal(count(c, "hello world"), 2);
    /* tiktoken: cl100k "tiktoken is great!" is 6 tokens. */
    assert_int_equal(count(c, "tiktoken is great!"), 6);
    /* Bytes after a NUL are counted. */
    assert_int_equal(oai_tokenizer_count_text(o, "a\0b", 3, &n), OAI_OK);
    assert_true(n >= 2);
    /* Special tokens: ordinary text by default (7 tokens), one token when
     * allowed, refused when disallowed. */
    assert_int_equal(count(o, "<|endoftext|>"), 7);
    assert_int_equal(oai_tokenizer_set_special_tokens(o, OAI_TOKENIZER_SPECIAL_ALLOWED), OAI_OK);
    assert_int_equal(count(o, "<|endoftext|>"), 1);
    assert_int_equal(count(o, "a<|endoftext|>b<|endofprompt|>"), 4);
    assert_true(count(o, "<|im_start|>") > 1); /* not a special token of o200k_base */
    assert_int_equal(oai_tokenizer_set_special_tokens(o, OAI_TOKENIZER_SPECIAL_DISALLOWED), OAI_OK);
    assert_int_equal(oai_tokenizer_count_text(o, "x <|endoftext|>", 15, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(n, 0);
    assert_non_null(strstr(oai_tokenizer_error_message(o), "<|endoftext|>"));
    assert_int_equal(count(o, "no special here"), 3);
    assert_int_equal(oai_tokenizer_set_special_tokens(o, 7), OAI_ERR_INVALID_ARGUMENT);
    /* Invalid UTF-8 counts as its repair. */
    assert_int_equal(count(c, "a\xFF" "b"), count(c, "a" FFFD "b"));
    /* NULL arguments. */
    assert_int_equal(oai_tokenizer_count_text(NULL, "a", 1, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_tokenizer_count_text(o, "a", 1, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_tokenizer_count_text(o, NULL, 1, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_tokenizer_count_text(o, NULL, 0, &n), OAI_OK);
    assert_int_equal(n, 0);
    oai_tokenizer_free(o);
    oai_tokenizer_free(c);
}

/* The cookbook's example (How_to_count_tokens_with_tiktoken): 129 prompt
 * tokens with gpt-4 / gpt-3.5-turbo, 124 with gpt-4o and gpt-4o-mini. */
static const char *const cookbook_messages[][3] = {
    { "system", NULL, "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
    { "system", "example_user", "New synergies will help drive top-line growth." },
    { "system", "example_assistant", "Things working well together will increase revenue." },
    { "system", "example_user", "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
    { "system", "example_assistant", "Let's talk later when we're less busy about how to do better." },
    { "user", NULL, "This late pivot means we don't have time to boil the ocean for the client deliverable." },
};

static oai_request *cookbook_request(const char *model)
{
    oai_request *req = oai_chat_completion_create_request_new(model);
    size_t i;
    char pointer[64];

    for (i = 0; i < sizeof cookbook_messages / sizeof cookbook_messages[0]; i++) {
        assert_int_equal(oai_chat_request_add_message(req, cookbook_messages[i][0], cookbook_messages[i][2]), OAI_OK);
        if (cookbook_messages[i][1]) {
            snprintf(pointer, sizeof pointer, "/messages/%zu/name", i);
            assert_int_equal(oai_request_set_string(req, pointer, cookbook_messages[i][1]), OAI_OK);
        }
    }
    return req;
}

static void test_count_chat(void **state)
{
    oai_tokenizer *o, *c;
    oai_request *req;
    int64_t n = -1;
    const char *json = "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello world\"},"
                       "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/y.png\"}}]},"
                       "{\"role\":\"assistant\",\"content\":null,\"weight\":0}]";

    (void)state;
    vocab_dir();
    o = oai_tokenizer_model_new("gpt-4o-mini", vocab_dir());
    c = oai_tokenizer_model_new("gpt-4", vocab_dir());
    assert_int_equal(oai_tokenizer_status(o), OAI_OK);
    assert_int_equal(oai_tokenizer_status(c), OAI_OK);
    req = cookbook_request("gpt-4o-mini");
    assert_int_equal(oai_tokenizer_count_chat(o, req, &n), OAI_OK);
    assert_int_equal(n, 124);
    assert_int_equal(oai_tokenizer_count_chat(c, req, &n), OAI_OK);
    assert_int_equal(n, 129);
    oai_request_free(req);
    /* Content parts count their text; null and numbers add nothing:
     * 3 + "user"(1) + "hello world"(2) + 3 + "assistant"(1) + 3. */
    assert_int_equal(oai_tokenizer_count_messages(o, json, strlen(json), &n), OAI_OK);
    assert_int_equal(n, 13);
    assert_int_equal(oai_tokenizer_count_messages(o, "{}", 2, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_tokenizer_count_messages(o, "[1]", 3, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_tokenizer_count_messages(o, "[", 1, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_tokenizer_count_messages(o, "[]", 2, &n), OAI_OK);
    assert_int_equal(n, 3);
    req = oai_request_new("POST", "/embeddings");
    assert_int_equal(oai_tokenizer_count_chat(o, req, &n), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(req);
    assert_int_equal(oai_tokenizer_count_chat(o, NULL, &n), OAI_ERR_INVALID_ARGUMENT);
    oai_tokenizer_free(o);
    oai_tokenizer_free(c);
}

static void test_models(void **state)
{
    oai_tokenizer *tok;

    (void)state;
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4o"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4o-mini"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4o-2024-08-06"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4.1"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4.1-nano"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("o1"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("o3-mini"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("o4-mini"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("ft:gpt-4o-mini-2024-07-18:org::x1"), "o200k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4"), "cl100k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-4-turbo"), "cl100k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("gpt-3.5-turbo-0125"), "cl100k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("text-embedding-3-small"), "cl100k_base");
    assert_string_equal(oai__tokenizer_encoding_for_model("ft:gpt-3.5-turbo-0125:org::x"), "cl100k_base");
    assert_null(oai__tokenizer_encoding_for_model("davinci"));
    assert_null(oai__tokenizer_encoding_for_model("llama3"));
    assert_null(oai__tokenizer_encoding_for_model(NULL));

    tok = oai_tokenizer_model_new("llama3", "/nonexistent");
    assert_non_null(tok);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "llama3"));
    assert_null(oai_tokenizer_name(tok));
    oai_tokenizer_free(tok);
    tok = oai_tokenizer_model_new("gpt-4o", "/nonexistent/dir");
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_IO);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "/nonexistent/dir/o200k_base.tiktoken"));
    oai_tokenizer_free(tok);
}

static char *write_temp(const char *content)
{
    static char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/oai-test-vocab-%d.tiktoken", (int)getpid());
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    return path;
}

static void test_bad_vocabularies(void **state)
{
    oai_tokenizer *tok;
    int64_t n = 5;
    char path[4096];
    char *tmp;

    (void)state;
    tok = oai_tokenizer_new("p50k_base", NULL);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "p50k_base"));
    /* Every use reports the sticky status. */
    assert_int_equal(oai_tokenizer_count_text(tok, "a", 1, &n), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(n, 0);
    assert_int_equal(oai_tokenizer_set_special_tokens(tok, 0), OAI_ERR_INVALID_ARGUMENT);
    oai_tokenizer_free(tok);

    tok = oai_tokenizer_new("o200k_base", "/nonexistent/o200k_base.tiktoken");
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_IO);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "No such file"));
    oai_tokenizer_free(tok);

    tmp = write_temp("IQ== 0\nnot base64! 1\n");
    tok = oai_tokenizer_new("o200k_base", tmp);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_DATA);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), ":2: "));
    oai_tokenizer_free(tok);
    tmp = write_temp("IQ== 0\nIQ== 1\n");
    tok = oai_tokenizer_new("o200k_base", tmp);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_DATA);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "twice"));
    oai_tokenizer_free(tok);
    tmp = write_temp("IQ== 99999999999\n");
    tok = oai_tokenizer_new("o200k_base", tmp);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_DATA);
    oai_tokenizer_free(tok);
    tmp = write_temp("IQ== 0\nIg== 1\n");
    tok = oai_tokenizer_new("o200k_base", tmp);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_DATA);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "byte-level"));
    oai_tokenizer_free(tok);
    tmp = write_temp("");
    tok = oai_tokenizer_new("cl100k_base", tmp);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_DATA);
    oai_tokenizer_free(tok);
    unlink(tmp);

    /* Another encoding's file. */
    snprintf(path, sizeof path, "%s/cl100k_base.tiktoken", vocab_dir());
    tok = oai_tokenizer_new("o200k_base", path);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_INVALID_DATA);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "another encoding"));
    oai_tokenizer_free(tok);

    /* NULL handles. */
    oai_tokenizer_free(NULL);
    assert_int_equal(oai_tokenizer_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_tokenizer_error_message(NULL));
    assert_null(oai_tokenizer_name(NULL));
    assert_int_equal(oai_tokenizer_set_special_tokens(NULL, 0), OAI_ERR_INVALID_ARGUMENT);
}

/* The default directory: $OAI_VOCAB_DIR. */
static void test_default_dir(void **state)
{
    const char *dir = vocab_dir();
    oai_tokenizer *tok;

    (void)state;
    setenv("OAI_VOCAB_DIR", dir, 1);
    tok = oai_tokenizer_new("cl100k_base", NULL);
    assert_int_equal(oai_tokenizer_status(tok), OAI_OK);
    assert_int_equal(count(tok, "hello world"), 2);
    oai_tokenizer_free(tok);
    setenv("OAI_VOCAB_DIR", "/nonexistent", 1);
    tok = oai_tokenizer_model_new("gpt-4o", NULL);
    assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_IO);
    assert_non_null(strstr(oai_tokenizer_error_message(tok), "/nonexistent/o200k_base.tiktoken"));
    oai_tokenizer_free(tok);
    /* Without it: the install directory (DATADIR/oai), where
     * tokens_installed checks that `cmake --install` puts the files. */
    unsetenv("OAI_VOCAB_DIR");
    tok = oai_tokenizer_new("o200k_base", NULL);
    if (oai_tokenizer_status(tok) != OAI_OK) {
        assert_int_equal(oai_tokenizer_status(tok), OAI_ERR_IO);
        assert_non_null(strstr(oai_tokenizer_error_message(tok), OAI_TEST_VOCAB_INSTALL_DIR "/o200k_base.tiktoken"));
    }
    oai_tokenizer_free(tok);
}

/* ---- the training-data validator's exact counts ----------------------- */

/* 12 examples of 43 tokens by the cookbook's recipe with o200k_base (js-tiktoken agrees). */
static char *chat_file(void)
{
    static const char line[] =
        "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a happy assistant.\"},"
        "{\"role\":\"user\",\"content\":\"I fell off my bike today, \xE5\x86\x99\xE4\xB8\x80\xE9\xA6\x96\xE8\xAF\x97.\"},"
        "{\"role\":\"assistant\",\"name\":\"bot\",\"content\":\"It's great that you're getting exercise outdoors!\"}]}\n";
    char *data = malloc(12 * (sizeof line - 1) + 1);
    size_t i;

    assert_non_null(data);
    data[0] = '\0';
    for (i = 0; i < 12; i++)
        strcat(data, line);
    return data;
}

static void test_training_exact(void **state)
{
    oai_tokenizer *tok = load("o200k_base");
    char *data = chat_file(), *json;
    oai_training_report *r;

    (void)state;
    r = oai_training_report_buffer_exact_new(data, strlen(data), OAI_TRAINING_CHAT, 65536, tok);
    assert_int_equal(oai_training_report_status(r), OAI_OK);
    assert_int_equal(oai_training_report_stat(r, "tokens_exact"), 1);
    assert_int_equal(oai_training_report_stat(r, "tokens_total"), 12 * 43);
    assert_int_equal(oai_training_report_stat(r, "tokens_estimated"), 12 * 43);
    assert_int_equal(oai_training_report_stat(r, "tokens_max"), 43);
    assert_int_equal(oai_training_report_stat(r, "billed_tokens_per_epoch"), 12 * 43);
    assert_int_equal(oai_training_report_stat(r, "epochs"), 8); /* 100 / 12 */
    assert_int_equal(oai_training_report_stat(r, "billed_tokens"), 8 * 12 * 43);
    json = oai_training_report_json_dup(r);
    assert_non_null(strstr(json, "\"token_count\":\"exact\""));
    assert_non_null(strstr(json, "\"encoding\":\"o200k_base\""));
    assert_non_null(strstr(json, "\"billed_tokens\":4128"));
    oai_free(json);
    oai_training_report_free(r);

    /* Over a limit of 40: every example, each billed for 40. */
    r = oai_training_report_buffer_exact_new(data, strlen(data), OAI_TRAINING_CHAT, 40, tok);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_DATA);
    assert_int_equal(oai_training_report_stat(r, "examples_over_context"), 12);
    assert_int_equal(oai_training_report_stat(r, "billed_tokens_per_epoch"), 12 * 40);
    assert_string_equal(oai_training_report_problem_code(r, 0), "over_context_limit");
    assert_non_null(strstr(oai_training_report_problem_message(r, 0), "has 43 tokens (o200k_base)"));
    oai_training_report_free(r);

    /* Without a tokenizer: the estimate, and the report says so. */
    r = oai_training_report_buffer_exact_new(data, strlen(data), OAI_TRAINING_CHAT, 0, NULL);
    assert_int_equal(oai_training_report_status(r), OAI_OK);
    assert_int_equal(oai_training_report_stat(r, "tokens_exact"), 0);
    assert_int_not_equal(oai_training_report_stat(r, "tokens_total"), 12 * 43);
    assert_int_equal(oai_training_report_stat(r, "billed_tokens"),
                     8 * oai_training_report_stat(r, "tokens_total"));
    json = oai_training_report_json_dup(r);
    assert_non_null(strstr(json, "\"token_count\":\"estimate\""));
    assert_non_null(strstr(json, "\"encoding\":null"));
    oai_free(json);
    oai_training_report_free(r);
    oai_tokenizer_free(tok);

    /* A tokenizer that could not be made is refused. */
    tok = oai_tokenizer_new("nope", NULL);
    r = oai_training_report_buffer_exact_new(data, strlen(data), OAI_TRAINING_CHAT, 0, tok);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_training_report_error_message(r), "tokenizer"));
    oai_training_report_free(r);
    r = oai_training_report_exact_new("/nonexistent.jsonl", OAI_TRAINING_CHAT, 0, tok);
    assert_int_equal(oai_training_report_status(r), OAI_ERR_INVALID_ARGUMENT);
    oai_training_report_free(r);
    oai_tokenizer_free(tok);
    free(data);
}

static void test_default_epochs(void **state)
{
    (void)state;
    /* 3 epochs; fewer than 100 examples seen: 100 / n (at most 25); more
     * than 25000: 25000 / n (at least 1). */
    assert_int_equal(oai__training_default_epochs(0), 0);
    assert_int_equal(oai__training_default_epochs(1), 25);
    assert_int_equal(oai__training_default_epochs(3), 25);
    assert_int_equal(oai__training_default_epochs(4), 25);
    assert_int_equal(oai__training_default_epochs(5), 20);
    assert_int_equal(oai__training_default_epochs(10), 10);
    assert_int_equal(oai__training_default_epochs(33), 3);
    assert_int_equal(oai__training_default_epochs(34), 3);
    assert_int_equal(oai__training_default_epochs(8333), 3);
    assert_int_equal(oai__training_default_epochs(8334), 2);
    assert_int_equal(oai__training_default_epochs(12500), 2);
    assert_int_equal(oai__training_default_epochs(12501), 1);
    assert_int_equal(oai__training_default_epochs(1000000), 1);
}

/* ---- long inputs: a bound on work ------------------------------------- */

/* A megabyte (an eighth under valgrind); a quarter of that for the runs
 * after the first. */
static size_t big_size(int whole)
{
    const char *memcheck = getenv("OAI_TEST_MEMCHECK");
    size_t n = memcheck && strcmp(memcheck, "1") == 0 ? (size_t)128 * 1024 : (size_t)1024 * 1024;
    return whole ? n : n / 4;
}

/* Counts n bytes of unit repeated; asserts that the work stayed within
 * 40 n log2(n) (a quadratic merge would do n^2 / 2) and that the count is
 * what the tokens of the unit predict when given. */
static void check_run(oai_tokenizer *tok, const char *unit, int whole, int64_t min_tokens,
                      int64_t max_tokens)
{
    size_t n = big_size(whole), u = strlen(unit), i, log2n = 0;
    char *text = malloc(n);
    uint64_t before = oai__tokenizer_work(tok), work;
    int64_t got = -1;

    assert_non_null(text);
    for (i = 0; i + u <= n; i += u)
        memcpy(text + i, unit, u);
    n = i;
    while (((size_t)1 << log2n) < n)
        log2n++;
    assert_int_equal(oai_tokenizer_count_text(tok, text, n, &got), OAI_OK);
    work = oai__tokenizer_work(tok) - before;
    if (work > (uint64_t)40 * n * log2n)
        fail_msg("%zu bytes of \"%s\": %llu steps of work, above 40 n log n", n, unit,
                 (unsigned long long)work);
    if (got < min_tokens || got > max_tokens)
        fail_msg("%zu bytes of \"%s\": %lld tokens, expected %lld to %lld", n, unit, (long long)got,
                 (long long)min_tokens, (long long)max_tokens);
    free(text);
}

static void test_long_runs(void **state)
{
    oai_tokenizer *o = load("o200k_base"), *c = load("cl100k_base");
    int64_t m = (int64_t)big_size(1), n = (int64_t)big_size(0);

    (void)state;
    /* One piece of a megabyte of one letter: the heap merge. Tokens of
     * more than 1 byte and at most 128. */
    check_run(o, "a", 1, m / 128, m / 2);
    check_run(c, "a", 0, n / 128, n / 2);
    check_run(o, " ", 0, n / 256, n);
    check_run(c, "\n", 0, n / 256, n);
    check_run(o, "\xE4\xB8\xAD", 0, 1, n / 3);   /* 中 */
    check_run(o, "A", 0, n / 128, n / 2);
    check_run(o, "\xCC\x81", 0, 1, n / 2);         /* a combining mark */
    check_run(c, "!", 0, 1, n);
    check_run(o, "ab ", 0, n / 3, n / 3 + 1);      /* " ab" is a token: one a piece */
    check_run(c, "7", 0, n / 3, n / 3 + 1);        /* numbers: pieces of 3 */
    check_run(o, "\xFF", 0, 1, n);                 /* invalid: U+FFFD each */
    oai_tokenizer_free(o);
    oai_tokenizer_free(c);
}

/* ---- allocation failures ---------------------------------------------- */

/* The allocator hook is set once, first thing in main(); it fails the
 * fail_at-th allocation counted from when a test sets allocations to 0. */
static long fail_at = -1, allocations = 0;

static void *failing_malloc(void *ud, size_t n)
{
    (void)ud;
    return ++allocations == fail_at ? NULL : malloc(n);
}
static void *failing_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    return ++allocations == fail_at ? NULL : realloc(p, n);
}
static void failing_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

static void test_allocation_failures(void **state)
{
    char last_message[700];
    /* Made before allocations fail: a message with parts and tool calls
     * (counted through their JSON text, which allocates). */
    oai_request *req = oai_chat_completion_create_request_new("gpt-4");
    char path[4096];
    char *text;
    size_t len = 3000, i;
    long k;
    int succeeded = 0;

    (void)state;
    snprintf(path, sizeof path, "%s/cl100k_base.tiktoken", vocab_dir());
    text = malloc(len);
    assert_non_null(text);
    for (i = 0; i < len; i++)
        text[i] = i < 2000 ? 'a' : (char)(0x80 + i % 64); /* a long piece, then invalid UTF-8 */
    assert_int_equal(oai_request_set_json(req, "/messages",
                                          "[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
                                          "[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
                                          "{\"name\":\"f\",\"arguments\":\"{}\"}}]}]"), OAI_OK);
    for (k = 1; !succeeded && k < 200; k++) {
        oai_tokenizer *tok;
        int64_t n = -1;
        oai_status st;
        allocations = 0;
        fail_at = k;
        tok = oai_tokenizer_new("cl100k_base", path);
        if (!tok) {
            fail_at = -1;
            continue;
        }
        st = oai_tokenizer_status(tok);
        if (st == OAI_OK)
            st = oai_tokenizer_count_text(tok, text, len, &n);
        if (st == OAI_OK)
            st = oai_tokenizer_count_chat(tok, req, &n);
        snprintf(last_message, sizeof last_message, "%s",
                 oai_tokenizer_error_message(tok) ? oai_tokenizer_error_message(tok) : "");
        oai_tokenizer_free(tok);
        fail_at = -1;
        if (st == OAI_OK)
            succeeded = allocations < k; /* nothing failed */
        else if (st != OAI_ERR_OUT_OF_MEMORY)
            fail_msg("allocation %ld failed: %s (%s)", k, oai_status_name(st), last_message);
    }
    if (!succeeded)
        fail_msg("still failing after %ld allocations (last: %s)", k, last_message);
    oai_request_free(req);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unicode_categories),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_split_o200k),
        cmocka_unit_test(test_split_cl100k),
        cmocka_unit_test(test_merges_agree),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_count_chat),
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_bad_vocabularies),
        cmocka_unit_test(test_default_dir),
        cmocka_unit_test(test_training_exact),
        cmocka_unit_test(test_default_epochs),
        cmocka_unit_test(test_long_runs),
        cmocka_unit_test(test_allocation_failures),
    };
    if (oai_set_allocator(failing_malloc, failing_realloc, failing_free, NULL) != OAI_OK) {
        fprintf(stderr, "test_tokens: cannot set the allocator\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
