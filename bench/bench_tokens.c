/*
 * The C tokenizer's speed (bench/tokens.sh): counts the tokens of a file
 * ROUNDS times after one warm-up round and prints one line:
 *
 *   c ENCODING BYTES TOKENS SECONDS_PER_ROUND TOKENS_PER_SECOND
 *
 *   bench_tokens VOCAB_DIR ENCODING FILE ROUNDS
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "oai.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char path[4096];
    oai_tokenizer *tok;
    FILE *f;
    char *text;
    long size;
    int64_t count = 0;
    int rounds, i;
    double start, elapsed;

    if (argc != 5) {
        fprintf(stderr, "usage: bench_tokens VOCAB_DIR ENCODING FILE ROUNDS\n");
        return 2;
    }
    rounds = atoi(argv[4]);
    snprintf(path, sizeof path, "%s/%s.tiktoken", argv[1], argv[2]);
    tok = oai_tokenizer_new(argv[2], path);
    if (oai_tokenizer_status(tok) != OAI_OK) {
        fprintf(stderr, "bench_tokens: %s\n", oai_tokenizer_error_message(tok));
        return 1;
    }
    f = fopen(argv[3], "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        perror(argv[3]);
        return 1;
    }
    text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, f) != (size_t)size) {
        perror(argv[3]);
        return 1;
    }
    fclose(f);
    if (oai_tokenizer_count_text(tok, text, (size_t)size, &count) != OAI_OK) /* warm-up */
        return 1;
    start = now();
    for (i = 0; i < rounds; i++)
        oai_tokenizer_count_text(tok, text, (size_t)size, &count);
    elapsed = (now() - start) / rounds;
    printf("c %s %ld %lld %.6f %.0f\n", argv[2], size, (long long)count, elapsed, (double)count / elapsed);
    free(text);
    oai_tokenizer_free(tok);
    return 0;
}
