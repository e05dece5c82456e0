/*
 * `oai tokens count` run as a child process: the integer it prints equals
 * the library's count, for files and standard input, by model and by
 * encoding; its errors and exit statuses.
 *
 * The tool's path comes from OAI_CLI_PATH (tests/tokens/tokens.cmake), the
 * vocabularies from OAI_TEST_VOCAB_DIR; without the vocabularies the tests
 * skip, or fail when OAI_REQUIRE_VOCAB=1 (CI).
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

#include "child_process.h"

#ifdef OAI_CLI_PATH
#define CLI_BUILT 1
#else
#define CLI_BUILT 0
#define OAI_CLI_PATH ""
#endif

#define MAX_ARGS 12

static const char *vocab_dir(void)
{
    const char *dir = getenv("OAI_TEST_VOCAB_DIR");
    const char *require = getenv("OAI_REQUIRE_VOCAB");
    char path[4096];

    if (!CLI_BUILT)
        skip();
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/o200k_base.tiktoken", dir);
        if (access(path, R_OK) == 0)
            return dir;
    }
    if (require && strcmp(require, "1") == 0)
        fail_msg("no vocabulary in OAI_TEST_VOCAB_DIR and OAI_REQUIRE_VOCAB=1 (docs/tokens.md)");
    skip();
    return NULL;
}

/* Runs `oai tokens count ARGS...` (NULL-terminated) with @p input on stdin
 * and OAI_VOCAB_DIR pointing at the build's vocabularies. */
static void run_count(run_result *r, const char *input, const char *first, ...)
{
    char *argv[MAX_ARGS + 4];
    size_t argc = 0;
    va_list more;

    setenv("OAI_VOCAB_DIR", vocab_dir(), 1);
    argv[argc++] = (char *)OAI_CLI_PATH;
    argv[argc++] = "tokens";
    argv[argc++] = "count";
    va_start(more, first);
    for (const char *arg = first; arg; arg = va_arg(more, const char *)) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = (char *)arg;
    }
    va_end(more);
    argv[argc] = NULL;
    run_program(r, NULL, NULL, input, argv);
}

static int64_t library_count(const char *encoding, const char *text, size_t len, int special)
{
    char path[4096];
    oai_tokenizer *tok;
    int64_t n = -1;

    snprintf(path, sizeof path, "%s/%s.tiktoken", vocab_dir(), encoding);
    tok = oai_tokenizer_new(encoding, path);
    assert_int_equal(oai_tokenizer_status(tok), OAI_OK);
    if (special)
        assert_int_equal(oai_tokenizer_set_special_tokens(tok, OAI_TOKENIZER_SPECIAL_ALLOWED), OAI_OK);
    assert_int_equal(oai_tokenizer_count_text(tok, text, len, &n), OAI_OK);
    oai_tokenizer_free(tok);
    return n;
}

static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/oai-test-cli-tokens-%d-%s", (int)getpid(), name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return path;
}

static void assert_prints(const run_result *r, int64_t want)
{
    char expected[32];

    snprintf(expected, sizeof expected, "%lld\n", (long long)want);
    if (r->exit_code != 0)
        fail_msg("exit %d: %s", r->exit_code, r->err);
    assert_string_equal(r->out, expected);
    assert_string_equal(r->err, "");
}

static const char sample[] =
    "Exact token counts: 写一首关于春天的诗 👨‍👩‍👧‍👦 It's 12345 tokens?\r\n\tdon't\n";

static void test_stdin_and_file(void **state)
{
    run_result r;
    const char *path;
    int64_t o200k = library_count("o200k_base", sample, sizeof sample - 1, 0);
    int64_t cl100k = library_count("cl100k_base", sample, sizeof sample - 1, 0);

    (void)state;
    assert_int_not_equal(o200k, cl100k);
    run_count(&r, sample, NULL);                 /* stdin, the default model gpt-4o */
    assert_prints(&r, o200k);
    run_result_free(&r);
    run_count(&r, sample, "-", NULL);
    assert_prints(&r, o200k);
    run_result_free(&r);
    path = write_file("sample.txt", sample, sizeof sample - 1);
    run_count(&r, NULL, "-m", "gpt-4o-mini", path, NULL);
    assert_prints(&r, o200k);
    run_result_free(&r);
    run_count(&r, NULL, "-m", "gpt-4", path, NULL);
    assert_prints(&r, cl100k);
    run_result_free(&r);
    run_count(&r, NULL, "--encoding=cl100k_base", path, NULL);
    assert_prints(&r, cl100k);
    run_result_free(&r);
    unlink(path);

    path = write_file("empty.txt", "", 0);
    run_count(&r, NULL, path, NULL);
    assert_prints(&r, 0);
    run_result_free(&r);
    unlink(path);
}

static void test_special_and_binary(void **state)
{
    run_result r;
    const char text[] = "<|endoftext|>a\0\xFF<|endofprompt|>";
    const char *path = write_file("special.txt", text, sizeof text - 1);

    (void)state;
    run_count(&r, NULL, "-e", "o200k_base", path, NULL);
    assert_prints(&r, library_count("o200k_base", text, sizeof text - 1, 0));
    run_result_free(&r);
    run_count(&r, NULL, "--special", "-e", "o200k_base", path, NULL);
    assert_prints(&r, library_count("o200k_base", text, sizeof text - 1, 1));
    run_result_free(&r);
    unlink(path);
}

static void test_vocab_dir(void **state)
{
    run_result r;
    char *argv[] = { (char *)OAI_CLI_PATH, "tokens", "count", "--vocab-dir", NULL, "-", NULL };
    const char *dir = vocab_dir();

    (void)state;
    argv[4] = (char *)dir;
    setenv("OAI_VOCAB_DIR", "/nonexistent", 1);
    run_program(&r, NULL, NULL, "hello world", argv);
    assert_prints(&r, 2);
    run_result_free(&r);
    /* Without --vocab-dir, the directory of OAI_VOCAB_DIR is named. */
    argv[3] = "-";
    argv[4] = NULL;
    run_program(&r, NULL, NULL, "hello world", argv);
    assert_int_equal(r.exit_code, 10);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "/nonexistent/o200k_base.tiktoken"));
    run_result_free(&r);
}

static void test_errors(void **state)
{
    run_result r;

    (void)state;
    run_count(&r, NULL, "-m", "llama-3", "-", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "llama-3"));
    assert_string_equal(r.out, "");
    run_result_free(&r);
    run_count(&r, NULL, "-e", "p50k_base", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "p50k_base"));
    run_result_free(&r);
    run_count(&r, NULL, "-m", "gpt-4", "-e", "cl100k_base", NULL);
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);
    run_count(&r, NULL, "a", "b", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "too many"));
    run_result_free(&r);
    run_count(&r, NULL, "/nonexistent/file.txt", NULL);
    assert_int_equal(r.exit_code, 10);
    assert_non_null(strstr(r.err, "/nonexistent/file.txt"));
    assert_string_equal(r.out, "");
    run_result_free(&r);
    run_count(&r, NULL, "--bogus", NULL);
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);
    run_count(&r, NULL, "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "oai tokens count"));
    run_result_free(&r);
}

/* `oai data validate` counts exactly with the vocabulary, estimates
 * without it, and reports the billed tokens. */
static void test_data_validate(void **state)
{
    static const char line[] =
        "{\"messages\":[{\"role\":\"system\",\"content\":\"You are a happy assistant.\"},"
        "{\"role\":\"user\",\"content\":\"I fell off my bike today, \xE5\x86\x99\xE4\xB8\x80\xE9\xA6\x96\xE8\xAF\x97.\"},"
        "{\"role\":\"assistant\",\"name\":\"bot\",\"content\":\"It's great that you're getting exercise outdoors!\"}]}\n";
    char data[12 * sizeof line];
    char *argv[] = { (char *)OAI_CLI_PATH, "data", "validate", NULL, "-m", "gpt-4o-mini", NULL, NULL, NULL };
    const char *path;
    run_result r;
    size_t i;

    (void)state;
    setenv("OAI_VOCAB_DIR", vocab_dir(), 1);
    data[0] = '\0';
    for (i = 0; i < 12; i++)
        strcat(data, line);
    path = write_file("chat.jsonl", data, strlen(data));
    argv[3] = (char *)path;
    run_program(&r, NULL, NULL, NULL, argv);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    /* 43 tokens an example (js-tiktoken and the cookbook's recipe agree);
     * 12 examples: 100 / 12 = 8 epochs by default. */
    assert_contains(r.out, "tokens:                516 exact, o200k_base (at most 43 in one example)\n");
    assert_contains(r.out, "over the context:      0 examples (limit 65536 tokens)\n");
    assert_contains(r.out, "billed tokens:         4128 (516 per epoch x 8 epochs, the default for n_epochs \"auto\"");
    assert_string_equal(r.err, "");
    run_result_free(&r);

    argv[6] = "--json";
    argv[7] = "--epochs=2";
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\"tokens_total\":516");
    assert_contains(r.out, "\"tokens_exact\":1");
    assert_contains(r.out, "\"token_count\":\"exact\"");
    assert_contains(r.out, "\"n_epochs\":2,\"billed_tokens_for_n_epochs\":1032}");
    run_result_free(&r);

    /* A context limit below the examples: each is reported and billed for
     * the limit. */
    argv[4] = "--context-limit=40";
    argv[5] = NULL;
    argv[6] = NULL;
    argv[7] = NULL;
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.out, ":1: over_context_limit: the example has 43 tokens (o200k_base), more than the context limit of 40");
    assert_contains(r.out, "billed tokens:         3840 (480 per epoch x 8 epochs");
    run_result_free(&r);

    /* No vocabulary: the estimate, said in the report; and on stderr when
     * a model asked for exact counts. */
    argv[4] = NULL;
    setenv("OAI_VOCAB_DIR", "/nonexistent", 1);
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "estimated tokens:");
    assert_contains(r.out, " estimated (");
    assert_string_equal(r.err, "");
    run_result_free(&r);
    argv[4] = "-m";
    argv[5] = "gpt-4o-mini";
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "estimated tokens:");
    assert_contains(r.err, "token counts are estimates");
    assert_contains(r.err, "/nonexistent/o200k_base.tiktoken");
    run_result_free(&r);
    argv[5] = NULL;

    /* --estimate asks for it. */
    setenv("OAI_VOCAB_DIR", vocab_dir(), 1);
    argv[4] = "--estimate";
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "estimated tokens:");
    assert_string_equal(r.err, "");
    run_result_free(&r);

    argv[4] = "-e";
    argv[5] = "p50k_base";
    argv[6] = NULL;
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "p50k_base");
    run_result_free(&r);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stdin_and_file),
        cmocka_unit_test(test_special_and_binary),
        cmocka_unit_test(test_vocab_dir),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_data_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
