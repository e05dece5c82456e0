/*
 * Compares the C tokenizer's counts with the reference counts that
 * tests/tokens/reference.mjs wrote with js-tiktoken; every item must match.
 *
 *   check_reference VOCAB_DIR REFERENCE_FILE
 *
 * Exits 0 when every item matches (and the corpus is not suspiciously
 * small), 1 otherwise, naming each mismatch.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oai.h"

#define MIN_ITEMS 3000

static int b64(int c)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

static size_t decode(const char *s, unsigned char *out)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;

    if (strcmp(s, "-") == 0)
        return 0;
    for (; *s && *s != '='; s++) {
        int v = b64(*s);
        if (v < 0)
            break;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

static void show(const unsigned char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n && i < 160; i++)
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\')
            putchar(b[i]);
        else
            printf("\\x%02x", b[i]);
    if (n > 160)
        printf("...(%zu bytes)", n);
    putchar('\n');
}

int main(int argc, char **argv)
{
    static char line[1 << 20];
    static unsigned char bytes[1 << 20];
    oai_tokenizer *tok[4];
    const char *names[4] = { "o200k_base", "cl100k_base", "o200k_base", "cl100k_base" };
    char path[4096];
    FILE *f;
    long items = 0, mismatches = 0;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: check_reference VOCAB_DIR REFERENCE_FILE\n");
        return 2;
    }
    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s.tiktoken", argv[1], names[i]);
        tok[i] = oai_tokenizer_new(names[i], path);
        if (oai_tokenizer_status(tok[i]) != OAI_OK) {
            fprintf(stderr, "check_reference: %s\n", oai_tokenizer_error_message(tok[i]));
            return 1;
        }
        if (i >= 2)
            oai_tokenizer_set_special_tokens(tok[i], OAI_TOKENIZER_SPECIAL_ALLOWED);
    }
    f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        char label[256], data[sizeof line];
        long long want[4];
        size_t n;
        if (sscanf(line, "%255s %s %lld %lld %lld %lld", label, data, &want[0], &want[1], &want[2],
                   &want[3]) != 6) {
            fprintf(stderr, "check_reference: bad line %ld\n", items + 1);
            return 1;
        }
        n = decode(data, bytes);
        items++;
        for (i = 0; i < 4; i++) {
            int64_t got = -1;
            oai_status st = oai_tokenizer_count_text(tok[i], (const char *)bytes, n, &got);
            if (st != OAI_OK || got != want[i]) {
                mismatches++;
                printf("MISMATCH %s %s%s: C %lld (%s), js-tiktoken %lld: ", label, names[i],
                       i >= 2 ? " (special allowed)" : "", (long long)got, oai_status_name(st), want[i]);
                show(bytes, n);
            }
        }
    }
    fclose(f);
    for (i = 0; i < 4; i++)
        oai_tokenizer_free(tok[i]);
    printf("check_reference: %ld items x 4 counts, %ld mismatches\n", items, mismatches);
    if (items < MIN_ITEMS) {
        printf("check_reference: the corpus has fewer than %d items: it was not built whole\n", MIN_ITEMS);
        return 1;
    }
    return mismatches ? 1 : 0;
}
