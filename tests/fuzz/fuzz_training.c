/* libFuzzer target for the training-data validator (src/training.c).
 *
 * Feeds the input to oai_training_report_buffer_new() in every format (with a
 * context limit when the input's length is odd) and checks that each report is consistent with
 * itself and with its JSON form. Any inconsistency aborts, so the fuzzer
 * records the input.
 *
 * Build (from the source root):
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *     src/training.c src/json.c src/util.c src/status.c \
 *     tests/fuzz/fuzz_training.c -ljansson -lcrypto -o fuzz_training
 *   ./fuzz_training -max_total_time=60 tests/fuzz/corpus/fuzz_training
 * Add -DOAI_TRAINING_MAX_LINE=64 -DOAI_TRAINING_MAX_PROBLEMS=5 to reach the
 * line limit and the problem cap with small inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "oai.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library's cap on stored problems; build both with the same
 * -DOAI_TRAINING_MAX_PROBLEMS=N to fuzz the cap with small inputs. */
#ifndef OAI_TRAINING_MAX_PROBLEMS
#define OAI_TRAINING_MAX_PROBLEMS 1000
#endif

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "fuzz_training: check failed: %s (line %d)\n", #cond, __LINE__);           \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static int64_t stat_of(const oai_training_report *r, const char *name)
{
    return oai_training_report_stat(r, name);
}

static void check_problems(const oai_training_report *r)
{
    size_t n = oai_training_report_problem_count(r);
    int64_t lines = stat_of(r, "lines");
    CHECK(n <= OAI_TRAINING_MAX_PROBLEMS);
    CHECK((int64_t)n <= stat_of(r, "problems_total"));
    CHECK(n == (size_t)stat_of(r, "problems_total") || n == OAI_TRAINING_MAX_PROBLEMS);
    for (size_t i = 0; i < n; i++) {
        const char *code = oai_training_report_problem_code(r, i);
        const char *message = oai_training_report_problem_message(r, i);
        int64_t line = oai_training_report_problem_line(r, i);
        CHECK(code != NULL && code[0] != '\0');
        CHECK(message != NULL && message[0] != '\0');
        CHECK(strlen(message) < 512);
        CHECK(line >= 0 && line <= lines);
        if (line == 0)
            CHECK(strcmp(code, "empty_file") == 0 || strcmp(code, "too_few_examples") == 0);
    }
    CHECK(oai_training_report_problem_code(r, n) == NULL);
}

static void check_stats(const oai_training_report *r)
{
    int64_t examples = oai_training_report_example_count(r);
    CHECK(examples >= 0 && examples <= stat_of(r, "lines"));
    CHECK(stat_of(r, "examples") == examples);
    CHECK(stat_of(r, "messages_min") >= 0);
    CHECK(stat_of(r, "messages_min") <= stat_of(r, "messages_max"));
    CHECK(stat_of(r, "messages_max") <= stat_of(r, "messages_total"));
    CHECK(stat_of(r, "assistant_messages") <= stat_of(r, "messages_total"));
    CHECK(stat_of(r, "characters") >= 0);
    CHECK(stat_of(r, "tokens_max") >= 0);
    CHECK(stat_of(r, "tokens_max") <= stat_of(r, "tokens_estimated"));
    CHECK(stat_of(r, "examples_over_context") >= 0);
    CHECK(stat_of(r, "examples_over_context") <= examples);
}

static void check_json(const oai_training_report *r)
{
    char *text = oai_training_report_json_dup(r);
    CHECK(text != NULL);
    oai_value *doc = oai__json_parse(text, strlen(text), NULL);
    CHECK(doc != NULL);
    CHECK(oai_value_get_bool(doc, "/valid") == oai_training_report_is_valid(r));
    CHECK(oai_value_get_int(doc, "/examples") == oai_training_report_example_count(r));
    CHECK(oai_value_get_count(doc, "/problems") == oai_training_report_problem_count(r));
    CHECK(oai_value_get_bool(doc, "/truncated") ==
          (stat_of(r, "problems_total") > (int64_t)oai_training_report_problem_count(r)));
    CHECK(oai_value_get_int(doc, "/problems_total") == stat_of(r, "problems_total"));
    CHECK(oai_value_get_int(doc, "/stats/tokens_estimated") == stat_of(r, "tokens_estimated"));
    oai__json_decref(doc);
    oai_free(text);
}

static void check_one(const uint8_t *data, size_t size, int format, int64_t context_limit)
{
    oai_training_report *r = oai_training_report_buffer_new((const char *)data, size, format, context_limit);
    if (r == NULL) /* memory ran out: the one case without a report */
        return;
    oai_status st = oai_training_report_status(r);
    CHECK(st == OAI_OK || st == OAI_ERR_INVALID_DATA);
    CHECK(r != NULL);
    int valid = oai_training_report_is_valid(r);
    CHECK(valid == (st == OAI_OK));
    CHECK(valid == (oai_training_report_problem_count(r) == 0));
    CHECK(valid == (stat_of(r, "problems_total") == 0));
    if (context_limit == 0)
        CHECK(stat_of(r, "examples_over_context") == 0);
    check_problems(r);
    check_stats(r);
    check_json(r);
    oai_training_report_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int formats[] = {OAI_TRAINING_CHAT, OAI_TRAINING_PREFERENCE, OAI_TRAINING_COMPLETION};
    /* The input's length picks the context limit: one pass per format keeps
     * the fuzzer fast. */
    int64_t context_limit = (size & 1) ? 16 : 0;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        check_one(data, size, formats[i], context_limit);
    return 0;
}
