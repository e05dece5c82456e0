/* libFuzzer target for the tokenizers (src/tokens/).
 *
 * For any bytes: the UTF-8 repair gives valid UTF-8 and leaves valid text
 * alone; both pre-tokenizers advance by at least one character and tile the
 * text; with the vocabularies (OAI_FUZZ_VOCAB_DIR, built by the fuzz build
 * when js-tiktoken is there) both encodings count it in every special-token
 * mode, and the quadratic and heap merges agree on every piece. Any
 * failure aborts, so the fuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"
#include "tokens/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "fuzz_tokens: check failed: %s (line %d)\n", #cond, __LINE__);             \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static oai_tokenizer *tokenizers[2];
static int loaded;

static void load(void)
{
    static const char *const names[2] = { "o200k_base", "cl100k_base" };
    char path[4096];
    int i;

    loaded = 1;
    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s.tiktoken", OAI_FUZZ_VOCAB_DIR, names[i]);
        tokenizers[i] = oai_tokenizer_new(names[i], path);
        if (oai_tokenizer_status(tokenizers[i]) != OAI_OK) {
            oai_tokenizer_free(tokenizers[i]);
            tokenizers[i] = NULL;
        }
    }
}

static void check_pieces(int pattern, const char *text, size_t len, const oai_tokenizer *tok)
{
    size_t pos = 0;
    uint64_t steps = 0, w1 = 0, w2 = 0;

    while (pos < len) {
        size_t end = oai__pretokenize_next(pattern, text, len, pos, &steps);
        CHECK(end > pos && end <= len);
        if (tok && end - pos <= 256) {
            const oai__vocab *v = oai__tokenizer_vocab(tok);
            int64_t a = oai__bpe_count_quadratic(v, (const unsigned char *)text + pos, end - pos, &w1);
            int64_t b = oai__bpe_count_heap(v, (const unsigned char *)text + pos, end - pos, &w2);
            CHECK(a == b && a >= 1 && a <= (int64_t)(end - pos));
        }
        pos = end;
    }
    CHECK(steps <= 8 * (uint64_t)len + 16); /* linear: a run is scanned a few times at most */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t clean_len = 0;
    char *clean;
    int i, mode;

    if (!loaded)
        load();
    clean = oai__utf8_sanitize(text, size, &clean_len);
    CHECK(clean != NULL);
    CHECK(oai__utf8_is_valid(clean, clean_len));
    if (oai__utf8_is_valid(text, size))
        CHECK(clean_len == size && memcmp(clean, text, size) == 0);
    check_pieces(OAI__PAT_O200K, clean, clean_len, tokenizers[0]);
    check_pieces(OAI__PAT_CL100K, clean, clean_len, tokenizers[1]);
    for (i = 0; i < 2; i++) {
        if (!tokenizers[i])
            continue;
        for (mode = 0; mode <= 2; mode++) {
            int64_t n = -1, m = -1;
            oai_status st;
            CHECK(oai_tokenizer_set_special_tokens(tokenizers[i], mode) == OAI_OK);
            st = oai_tokenizer_count_text(tokenizers[i], text, size, &n);
            CHECK(st == OAI_OK || (mode == 2 && st == OAI_ERR_INVALID_ARGUMENT));
            if (st != OAI_OK)
                continue;
            CHECK(n >= 0 && n <= (int64_t)clean_len);
            /* The raw bytes count as their repair. */
            CHECK(oai_tokenizer_count_text(tokenizers[i], clean, clean_len, &m) == OAI_OK && m == n);
        }
    }
    oai_free(clean);
    return 0;
}
