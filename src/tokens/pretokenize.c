/*
 * The pre-tokenizers of o200k_base and cl100k_base: hand-written matchers
 * for exactly the two regular expressions tiktoken splits text with, with
 * the same leftmost-first, backtracking semantics (docs/tokens.md spells the
 * patterns out and shows how each alternative is decided here).
 *
 * Every function takes valid UTF-8 (tokenizer.c replaces invalid sequences
 * first) and never looks more than one run of a class ahead, so a text is
 * split in time linear in its length.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "tokens/tokens.h"
#include "util/util.h"

#define NONE ((size_t)-1)

/* ---- Unicode ---------------------------------------------------------- */

int oai__unicode_category(uint32_t cp)
{
    size_t lo = 0, hi = oai__unicode_range_count;

    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return cp >= 'a' ? OAI__UC_LL : OAI__UC_LU;
        return cp >= '0' && cp <= '9' ? OAI__UC_N : OAI__UC_OTHER;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < oai__unicode_ranges[mid].lo)
            hi = mid;
        else if (cp > oai__unicode_ranges[mid].hi)
            lo = mid + 1;
        else
            return oai__unicode_ranges[mid].cat;
    }
    return OAI__UC_OTHER;
}

/* Unicode's White_Space property (PropList.txt), what \s is to the regex
 * engine tiktoken uses. */
int oai__unicode_is_space(uint32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* One step of the WHATWG UTF-8 decoder over s[i..len): returns the length
 * of a valid sequence at i and sets *cp, or 0 when the bytes at i are
 * invalid, with *bad the length of the maximal invalid subpart (>= 1). */
static size_t utf8_step(const unsigned char *s, size_t len, size_t i, uint32_t *cp, size_t *bad)
{
    unsigned b = s[i], lower = 0x80, upper = 0xBF;
    size_t need, k;
    uint32_t c;

    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        c = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        c = b & 0x0F;
        if (b == 0xE0)
            lower = 0xA0;
        if (b == 0xED)
            upper = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        c = b & 0x07;
        if (b == 0xF0)
            lower = 0x90;
        if (b == 0xF4)
            upper = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (k = 1; k <= need; k++) {
        unsigned t;
        if (i + k >= len) {
            *bad = k;
            return 0;
        }
        t = s[i + k];
        if (t < lower || t > upper) {
            *bad = k;
            return 0;
        }
        lower = 0x80;
        upper = 0xBF;
        c = (c << 6) | (t & 0x3F);
    }
    *cp = c;
    return need + 1;
}

int oai__utf8_is_valid(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, bad;
    uint32_t cp;

    while (i < len) {
        size_t n;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        n = utf8_step(s, len, i, &cp, &bad);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

char *oai__utf8_sanitize(const char *text, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, o = 0, bad;
    uint32_t cp;
    char *out;

    /* The exact size first: each invalid subpart becomes 3 bytes. */
    while (i < len) {
        size_t n = utf8_step(s, len, i, &cp, &bad);
        size_t add = n ? n : 3;
        if (o > (size_t)-1 - 1 - add)
            return NULL;
        o += add;
        i += n ? n : bad;
    }
    out = oai__malloc(o + 1);
    if (!out)
        return NULL;
    i = o = 0;
    while (i < len) {
        size_t n = utf8_step(s, len, i, &cp, &bad);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* ---- the matchers ----------------------------------------------------- */

typedef struct {
    const unsigned char *s;
    size_t len;
    uint64_t steps;
} cursor;

/* Decodes the (valid) code point at i; returns the offset after it. */
static size_t next_cp(cursor *c, size_t i, uint32_t *cp)
{
    const unsigned char *s = c->s;
    unsigned b = s[i];

    c->steps++;
    if (b < 0x80) {
        *cp = b;
        return i + 1;
    }
    if (b < 0xE0) {
        *cp = ((uint32_t)(b & 0x1F) << 6) | (s[i + 1] & 0x3F);
        return i + 2;
    }
    if (b < 0xF0) {
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
        return i + 3;
    }
    *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
          ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
    return i + 4;
}

static int is_letter(int cat) { return cat >= OAI__UC_LU && cat <= OAI__UC_LO; }
/* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
static int is_upperish(int cat)
{
    return cat == OAI__UC_LU || cat == OAI__UC_LT || cat == OAI__UC_LM || cat == OAI__UC_LO ||
           cat == OAI__UC_M;
}
/* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
static int is_lowerish(int cat)
{
    return cat == OAI__UC_LL || cat == OAI__UC_LM || cat == OAI__UC_LO || cat == OAI__UC_M;
}
/* [^\r\n\p{L}\p{N}] */
static int is_prefix(uint32_t cp, int cat)
{
    return cp != '\r' && cp != '\n' && !is_letter(cat) && cat != OAI__UC_N;
}
/* [^\s\p{L}\p{N}] */
static int is_symbol(uint32_t cp, int cat)
{
    return !oai__unicode_is_space(cp) && !is_letter(cat) && cat != OAI__UC_N;
}

static int fold_is(unsigned char b, char lower) { return (b | 0x20) == (unsigned char)lower; }

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at i: the end of the match, or NONE. Case
 * folding is Unicode's: 's also matches U+017F (LATIN SMALL LETTER LONG S,
 * C5 BF), which folds to s; no other letter of these folds to a non-ASCII
 * one. */
static size_t contraction(const cursor *c, size_t i)
{
    const unsigned char *s = c->s;
    size_t n = c->len - i;

    if (n < 2 || s[i] != '\'')
        return NONE;
    if (fold_is(s[i + 1], 's') || fold_is(s[i + 1], 't') || fold_is(s[i + 1], 'm') ||
        fold_is(s[i + 1], 'd'))
        return i + 2;
    if (n >= 3 && s[i + 1] == 0xC5 && s[i + 2] == 0xBF)
        return i + 3;
    if (n >= 3 && ((fold_is(s[i + 1], 'r') && fold_is(s[i + 2], 'e')) ||
                   (fold_is(s[i + 1], 'v') && fold_is(s[i + 2], 'e')) ||
                   (fold_is(s[i + 1], 'l') && fold_is(s[i + 2], 'l'))))
        return i + 3;
    return NONE;
}

static size_t with_contraction(const cursor *c, size_t end)
{
    size_t e = end < c->len ? contraction(c, end) : NONE;
    return e == NONE ? end : e;
}

/* o200k's first alternative without its optional prefix:
 * [upperish]*[lowerish]+ then an optional contraction. The greedy star
 * keeps the longest run whose next character starts the plus; failing
 * that, it gives back characters until one of its own is lowerish too
 * (Lm, Lo, M), which the plus then takes alone. */
static size_t o200k_lower_word(cursor *c, size_t s)
{
    size_t q = s, last_lowerish = NONE, after_last = NONE;
    uint32_t cp;

    while (q < c->len) {
        size_t n = next_cp(c, q, &cp);
        int cat = oai__unicode_category(cp);
        if (!is_upperish(cat)) {
            if (!is_lowerish(cat))
                break;
            /* The star ends at q; the plus runs over lowerish characters. */
            q = n;
            while (q < c->len) {
                n = next_cp(c, q, &cp);
                if (!is_lowerish(oai__unicode_category(cp)))
                    break;
                q = n;
            }
            return with_contraction(c, q);
        }
        if (is_lowerish(cat)) {
            last_lowerish = q;
            after_last = n;
        }
        q = n;
    }
    if (last_lowerish == NONE)
        return NONE;
    return with_contraction(c, after_last);
}

/* o200k's second alternative without its prefix:
 * [upperish]+[lowerish]* then an optional contraction. */
static size_t o200k_upper_word(cursor *c, size_t s)
{
    size_t q = s;
    uint32_t cp;

    while (q < c->len) {
        size_t n = next_cp(c, q, &cp);
        if (!is_upperish(oai__unicode_category(cp)))
            break;
        q = n;
    }
    if (q == s)
        return NONE;
    while (q < c->len) {
        size_t n = next_cp(c, q, &cp);
        if (!is_lowerish(oai__unicode_category(cp)))
            break;
        q = n;
    }
    return with_contraction(c, q);
}

/* \p{N}{1,3}: the caller saw a number at p. */
static size_t numbers(cursor *c, size_t p)
{
    size_t q = p;
    int k;
    uint32_t cp;

    for (k = 0; k < 3 && q < c->len; k++) {
        size_t n = next_cp(c, q, &cp);
        if (oai__unicode_category(cp) != OAI__UC_N)
            break;
        q = n;
    }
    return q;
}

/* " ?[^\s\p{L}\p{N}]+" followed by "[\r\n]*" (cl100k) or "[\r\n/]*"
 * (o200k). */
static size_t symbols(cursor *c, size_t p, int slash)
{
    size_t q = p, start;
    uint32_t cp;

    if (c->s[q] == ' ')
        q++;
    start = q;
    while (q < c->len) {
        size_t n = next_cp(c, q, &cp);
        if (!is_symbol(cp, oai__unicode_category(cp)))
            break;
        q = n;
    }
    if (q == start)
        return NONE;
    while (q < c->len && (c->s[q] == '\r' || c->s[q] == '\n' || (slash && c->s[q] == '/'))) {
        c->steps++;
        q++;
    }
    return q;
}

/* The three whitespace alternatives both patterns end with, at a
 * whitespace character p:
 *   \s*[\r\n]+   up to the last \r or \n of the run (the star gives back
 *                until a newline follows, the plus cannot go past it);
 *   \s+(?!\S)    the run, or all of it but its last character when
 *                something other than whitespace follows;
 *   \s+          the one character otherwise. */
static size_t whitespace(cursor *c, size_t p)
{
    size_t q = p, last_start = p, after_newline = NONE, count = 0;
    uint32_t cp;

    while (q < c->len) {
        size_t n = next_cp(c, q, &cp);
        if (!oai__unicode_is_space(cp))
            break;
        if (cp == '\r' || cp == '\n')
            after_newline = n;
        last_start = q;
        count++;
        q = n;
    }
    if (after_newline != NONE)
        return after_newline;
    if (q == c->len || count == 1)
        return q;
    return last_start;
}

/* [^\r\n\p{L}\p{N}]? before a word: tries the word after a prefix
 * character first, then the word at p itself (regex backtracking). */
static size_t o200k_word(cursor *c, size_t p, uint32_t cp, int cat, size_t after_p,
                         size_t (*word)(cursor *, size_t))
{
    size_t e;

    if (is_prefix(cp, cat) && after_p < c->len) {
        e = word(c, after_p);
        if (e != NONE)
            return e;
    }
    return word(c, p);
}

static size_t o200k_next(cursor *c, size_t p)
{
    uint32_t cp;
    size_t after = next_cp(c, p, &cp), e;
    int cat = oai__unicode_category(cp);

    if ((e = o200k_word(c, p, cp, cat, after, o200k_lower_word)) != NONE)
        return e;
    if ((e = o200k_word(c, p, cp, cat, after, o200k_upper_word)) != NONE)
        return e;
    if (cat == OAI__UC_N)
        return numbers(c, p);
    if ((e = symbols(c, p, 1)) != NONE)
        return e;
    if (oai__unicode_is_space(cp))
        return whitespace(c, p);
    return after; /* unreachable: every character has a class above */
}

/* \p{L}+ from s. */
static size_t letters(cursor *c, size_t s)
{
    size_t q = s;
    uint32_t cp;

    while (q < c->len) {
        size_t n = next_cp(c, q, &cp);
        if (!is_letter(oai__unicode_category(cp)))
            break;
        q = n;
    }
    return q == s ? NONE : q;
}

static size_t cl100k_next(cursor *c, size_t p)
{
    uint32_t cp;
    size_t after = next_cp(c, p, &cp), e;
    int cat = oai__unicode_category(cp);

    if ((e = contraction(c, p)) != NONE)
        return e;
    /* [^\r\n\p{L}\p{N}]?\p{L}+: a prefix character is never a letter, so
     * giving it back cannot help. */
    if (is_letter(cat))
        return letters(c, p);
    if (is_prefix(cp, cat) && after < c->len && (e = letters(c, after)) != NONE)
        return e;
    if (cat == OAI__UC_N)
        return numbers(c, p);
    if ((e = symbols(c, p, 0)) != NONE)
        return e;
    if (oai__unicode_is_space(cp))
        return whitespace(c, p);
    return after; /* unreachable */
}

size_t oai__pretokenize_next(int pattern, const char *text, size_t len, size_t pos, uint64_t *steps)
{
    cursor c;
    size_t end;

    c.s = (const unsigned char *)text;
    c.len = len;
    c.steps = 0;
    end = pattern == OAI__PAT_O200K ? o200k_next(&c, pos) : cl100k_next(&c, pos);
    if (steps)
        *steps += c.steps;
    return end;
}
