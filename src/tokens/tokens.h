/*
 * The tokenizers' internals: Unicode categories, the pre-tokenizers of
 * o200k_base and cl100k_base, and the byte-pair merge. The public side is
 * the oai_tokenizer section of include/oai.h (tokenizer.c).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef OAI_TOKENS_TOKENS_H
#define OAI_TOKENS_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "oai.h"

/* General categories, as far as the patterns distinguish them. */
enum {
    OAI__UC_OTHER = 0,
    OAI__UC_LU, /* uppercase letter */
    OAI__UC_LL, /* lowercase letter */
    OAI__UC_LT, /* titlecase letter */
    OAI__UC_LM, /* modifier letter */
    OAI__UC_LO, /* other letter */
    OAI__UC_M,  /* mark: Mn, Mc, Me */
    OAI__UC_N   /* number: Nd, Nl, No */
};

typedef struct {
    uint32_t lo, hi;
    uint8_t cat;
} oai__unicode_range;

extern const char oai__unicode_version[];
extern const size_t oai__unicode_range_count;
extern const oai__unicode_range oai__unicode_ranges[];

/* The category of a code point (OAI__UC_OTHER for anything unassigned). */
int oai__unicode_category(uint32_t cp);
/* Unicode's White_Space property (what \s means to tiktoken's regex). */
int oai__unicode_is_space(uint32_t cp);

/* The two pre-tokenization patterns. */
enum { OAI__PAT_O200K = 1, OAI__PAT_CL100K = 2 };

/* The end (a byte offset) of the pattern's match that starts at byte pos of
 * text, which must be valid UTF-8 and pos < len; every position has a
 * match. *steps grows by the code points examined (a bound on work). */
size_t oai__pretokenize_next(int pattern, const char *text, size_t len, size_t pos,
                             uint64_t *steps);

/* Whether text is valid UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF). */
int oai__utf8_is_valid(const char *text, size_t len);
/* A copy of text with every maximal invalid subsequence replaced by U+FFFD
 * (the WHATWG decoder's rule, also Python's "replace"); NULL when memory ran
 * out. *out_len receives its length. Free with oai__free(). */
char *oai__utf8_sanitize(const char *text, size_t len, size_t *out_len);

/* A vocabulary: token bytes -> rank, an open-addressing table over one
 * arena of bytes (bpe.c). Single bytes have their own array. */
typedef struct oai__vocab {
    unsigned char *arena;
    uint32_t *off, *len, *rank; /* per entry */
    uint32_t *slots;            /* entry + 1; 0 is empty */
    size_t mask;                /* slots - 1 (a power of two minus one) */
    size_t count, max_len;
    uint32_t byte_rank[256];    /* UINT32_MAX: not a token */
} oai__vocab;

/* The rank of these bytes, or UINT32_MAX when they are no token. */
uint32_t oai__vocab_rank(const oai__vocab *v, const unsigned char *bytes, size_t n);
/* Adds entry (its off, len and rank set) to the table; OAI_ERR_INVALID_DATA
 * when the same bytes are there already. */
oai_status oai__vocab_insert(oai__vocab *v, uint32_t entry);
void oai__vocab_free(oai__vocab *v);

/* The number of tokens BPE makes of one piece (1 when the piece is a
 * token). The quadratic merge serves short pieces, the heap merge long
 * ones; both give tiktoken's result (lowest rank first, leftmost on ties).
 * Returns -1 when memory ran out. *work grows by the lookups and heap
 * operations done. */
int64_t oai__bpe_count(const oai__vocab *v, const unsigned char *piece, size_t len,
                       uint64_t *work);
int64_t oai__bpe_count_quadratic(const oai__vocab *v, const unsigned char *piece, size_t len,
                                 uint64_t *work);
int64_t oai__bpe_count_heap(const oai__vocab *v, const unsigned char *piece, size_t len,
                            uint64_t *work);

/* The work (pre-tokenizer steps, lookups, heap operations) a tokenizer has
 * done since it was made: tests bound it to prove there is no quadratic
 * case. */
uint64_t oai__tokenizer_work(const oai_tokenizer *tok);
/* The tokenizer's vocabulary (NULL when it has none). */
const oai__vocab *oai__tokenizer_vocab(const oai_tokenizer *tok);

/* Adds the tokens of text (any bytes) to *count: what
 * oai_tokenizer_count_text() does, without its checks. */
oai_status oai__tokenizer_count(oai_tokenizer *tok, const char *text, size_t len, int64_t *count);
/* Adds the tokens of a messages array by the cookbook's recipe. */
oai_status oai__tokenizer_count_messages(oai_tokenizer *tok, const oai_value *messages, int64_t *count);

/* The encoding a model uses ("o200k_base", "cl100k_base"), or NULL. */
const char *oai__tokenizer_encoding_for_model(const char *model);
/* The training-data validator's default epochs for n_epochs "auto", by
 * the number of examples (data/training.c). */
int64_t oai__training_default_epochs(int64_t examples);

#endif
