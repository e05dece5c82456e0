/* The leaves of JSON text that the parser (json.c) and the stream's chunk
 * scanner (stream/chunk_scan.c) both read: UTF-8 sequences and string
 * escapes. One definition, so that the scanner accepts and decodes exactly
 * what the parser does; inline, because both read them in their hot loops.
 * Internal. */
#ifndef OAI_JSON_TEXT_H
#define OAI_JSON_TEXT_H

#include <stddef.h>

/* The length of the UTF-8 sequence a lead byte starts (1 for ASCII); 0 for
 * a continuation byte, an overlong lead (C0, C1) or one beyond U+10FFFF. */
static inline size_t oai__utf8_lead_length(unsigned char lead)
{
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

/* Whether the n bytes at p (n from oai__utf8_lead_length()) are a valid
 * sequence: continuation bytes, and no overlong form, surrogate or code
 * point beyond U+10FFFF (the second byte's range tells). */
static inline int oai__utf8_tail_valid(const unsigned char *p, size_t n)
{
    size_t i;
    for (i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    if (p[0] == 0xE0 && p[1] < 0xA0) return 0;
    if (p[0] == 0xED && p[1] > 0x9F) return 0;
    if (p[0] == 0xF0 && p[1] < 0x90) return 0;
    if (p[0] == 0xF4 && p[1] > 0x8F) return 0;
    return 1;
}

/* The length of the valid UTF-8 sequence at p (before end), or 0. */
static inline size_t oai__utf8_sequence_at(const unsigned char *p, const unsigned char *end)
{
    size_t n = oai__utf8_lead_length(*p);
    return n != 0 && n <= (size_t)(end - p) && oai__utf8_tail_valid(p, n) ? n : 0;
}

/* Writes a code point (no surrogate) as UTF-8 into out (4 bytes of room);
 * returns its length. */
static inline size_t oai__utf8_put(unsigned long cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The 4 hex digits of a \u escape at p; -1 when they are not. */
static inline long oai__json_hex4(const unsigned char *p, const unsigned char *end)
{
    long v = 0;
    int i;
    if (end - p < 4) return -1;
    for (i = 0; i < 4; i++) {
        unsigned char c = p[i];
        int h = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
              : -1;
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Decodes the escape whose letter is at p (after the backslash) into out (4
 * bytes of room; NULL only validates); *n gets the decoded length. Returns
 * the bytes the escape takes after the backslash, or 0 when it is invalid
 * (an unknown letter, bad hex digits, a lone or unpaired surrogate). */
static inline size_t oai__json_unescape(const unsigned char *p, const unsigned char *end, char *out, size_t *n)
{
    char tmp[4];
    long hi, lo;

    if (!out) out = tmp;
    if (p >= end) return 0;
    *n = 1;
    switch (*p) {
    case '"': *out = '"'; return 1;
    case '\\': *out = '\\'; return 1;
    case '/': *out = '/'; return 1;
    case 'b': *out = '\b'; return 1;
    case 'f': *out = '\f'; return 1;
    case 'n': *out = '\n'; return 1;
    case 'r': *out = '\r'; return 1;
    case 't': *out = '\t'; return 1;
    case 'u': break;
    default: return 0;
    }
    hi = oai__json_hex4(p + 1, end);
    if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF)) return 0; /* not hex, or a lone low surrogate */
    if (hi < 0xD800 || hi > 0xDBFF) {
        *n = oai__utf8_put((unsigned long)hi, out);
        return 5;
    }
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u') return 0; /* a high surrogate needs its low half */
    lo = oai__json_hex4(p + 7, end);
    if (lo < 0xDC00 || lo > 0xDFFF) return 0;
    *n = oai__utf8_put(0x10000 + (((unsigned long)hi - 0xD800) << 10) + ((unsigned long)lo - 0xDC00), out);
    return 11;
}

#endif
