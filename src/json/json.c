/* The JSON codec over jansson: parsing, constructors, JSON Pointer (RFC 6901),
 * compact serialisation, and the public read-only oai_value accessors.
 *
 * This is the only library file that includes <jansson.h>. An oai_value is a
 * json_t under another name; the two helpers below do the casts, so the rest
 * of the file reads as plain jansson.
 */
#include "json/json.h"
#include "json/json_text.h"
#include "util/util.h"

#include <jansson.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The const cast is deliberate: read-only callers hand in const values, and
 * the jansson getters they reach do not modify anything. */
static json_t *as_json(const oai_value *v) { return (json_t *)v; }
static oai_value *as_value(json_t *j) { return (oai_value *)j; }

/* ------------------------------------------------------------------------ */
/* UTF-8 validation. jansson validates too, but it reports a bad string and
 * an exhausted allocator with the same -1; checking first lets us tell the
 * caller which one happened. */

static int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = oai__utf8_lead_length(p[i]);
        if (n == 0 || n > len - i || !oai__utf8_tail_valid(p + i, n)) return 0;
        i += n;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Parsing. Our own recursive-descent parser, building jansson values with
 * jansson's constructors. jansson's json_loadb() is not safe when memory
 * runs out: its lexer drops a byte whenever its token buffer cannot grow
 * (lex_save() ignores the failure), after which it either aborts on an
 * assert or reads and writes past the end of a heap buffer (jansson issue
 * #362, unfixed in 2.14). It also gives no reliable way to tell an
 * exhausted allocator from bad JSON. Here every allocation is checked and
 * reported as OAI_ERR_OUT_OF_MEMORY. */

/* OAI_JSON_MAX_DEPTH (json.h): deeper than any API document, shallow enough
 * for a 128 KiB thread stack (about 140 bytes of stack per level). */

typedef struct parser {
    const char *p, *end;
    int depth;
    oai_status status; /* the first failure */
    char *scratch;     /* decoded strings, keys and number text, used as a stack */
    size_t top, cap;
    /* 0: only validate (oai__json_scan()): the leaves are read and
     * checked, and no value is made. */
    int build;
} parser;

/* What the reading functions return for a value read in validation mode:
 * not NULL (success), never dereferenced nor freed. */
static char scanned_marker;
#define SCANNED ((json_t *)(void *)&scanned_marker)

static json_t *parse_fail(parser *ps, oai_status status)
{
    if (ps->status == OAI_OK) ps->status = status;
    return NULL;
}

/* Eight bytes at p as one word (any alignment). */
static uint64_t word_at(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

#define BYTES_OF(c) (0x0101010101010101u * (uint64_t)(c))
/* Non-zero when a byte of w is below n (n <= 128) or has its top bit set
 * (the usual word-at-a-time test, exact as a yes or no). */
#define ANY_BELOW_OR_HIGH(w, n) ((((w) - BYTES_OF(n)) | (w)) & BYTES_OF(0x80))
#define ANY_ZERO(w) (((w) - BYTES_OF(1)) & ~(w) & BYTES_OF(0x80))

/* How many bytes of a word precede the first one flagged (its top bit
 * set) in `mask`, the result of the tests above, whose lowest flag is
 * always exact (a false flag only ever follows a true one); 0 where the
 * byte order or the compiler does not tell, which is only slower. */
static size_t bytes_before_flag(uint64_t mask)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_ctzll(mask) / 8;
#else
    (void)mask;
    return 0;
#endif
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static void skip_some_space(parser *ps)
{
    const unsigned char *p = (const unsigned char *)ps->p, *end = (const unsigned char *)ps->end;

    /* ": " */
    if (end - p >= 2 && p[0] == ' ' && p[1] > ' ') {
        ps->p = (const char *)p + 1;
        return;
    }
    /* Pretty-printed documents indent with runs of spaces: a word at a
     * time, then the byte that ends the run. */
    while (end - p >= 8) {
        uint64_t not_space = word_at(p) ^ BYTES_OF(' ');
        if (not_space == 0) {
            p += 8;
            continue;
        }
        p += bytes_before_flag((not_space | (not_space + BYTES_OF(0x7f))) & BYTES_OF(0x80));
        if (!is_space(*p)) {
            ps->p = (const char *)p;
            return;
        }
        p++;
    }
    while (p < end && is_space(*p)) p++;
    ps->p = (const char *)p;
}

static inline void skip_space(parser *ps)
{
    if (ps->p < ps->end && (unsigned char)*ps->p > ' ') return; /* the common case: no space at all */
    skip_some_space(ps);
}

/* Makes room for `extra` more bytes above the scratch top; 0 or -1 (and the
 * parser's status set) when memory ran out. */
static int scratch_reserve(parser *ps, size_t extra)
{
    size_t cap = ps->cap != 0 ? ps->cap : 256;
    char *grown;

    if (extra <= ps->cap - ps->top) return 0;
    while (extra > cap - ps->top) {
        if (cap > SIZE_MAX / 2) {
            parse_fail(ps, OAI_ERR_OUT_OF_MEMORY);
            return -1;
        }
        cap *= 2;
    }
    grown = oai__realloc(ps->scratch, cap);
    if (grown == NULL) {
        parse_fail(ps, OAI_ERR_OUT_OF_MEMORY);
        return -1;
    }
    ps->scratch = grown;
    ps->cap = cap;
    return 0;
}

/* What a byte is inside a JSON string. Plain bytes (printable ASCII but the
 * quote and the backslash) are skipped a run at a time; the others stop the
 * run. */
enum { CH_PLAIN = 0, CH_QUOTE, CH_ESCAPE, CH_CONTROL, CH_NON_ASCII };

#define ROW_CONTROL 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3
#define ROW_PLAIN 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define ROW_NON_ASCII 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4
static const unsigned char string_byte[256] = {
    ROW_CONTROL, ROW_CONTROL,
    0, 0, CH_QUOTE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,        /* 0x20: '"' */
    ROW_PLAIN, ROW_PLAIN,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CH_ESCAPE, 0, 0, 0,       /* 0x50: '\\' */
    ROW_PLAIN, ROW_PLAIN,
    ROW_NON_ASCII, ROW_NON_ASCII, ROW_NON_ASCII, ROW_NON_ASCII,
    ROW_NON_ASCII, ROW_NON_ASCII, ROW_NON_ASCII, ROW_NON_ASCII,
};
#undef ROW_CONTROL
#undef ROW_PLAIN
#undef ROW_NON_ASCII

/* A string's decoded text: in place in the input when it holds no escape
 * (the common case: nothing is copied), else on the scratch stack at `at`
 * (NUL-terminated there). Either way `len` bytes. An offset, not a pointer,
 * since the scratch space may move while a key waits for its value. */
typedef struct text_ref {
    const char *in_place; /* or NULL: on the scratch stack */
    size_t at, len;
} text_ref;

static const char *text_of(const parser *ps, const text_ref *t)
{
    return t->in_place != NULL ? t->in_place : ps->scratch + t->at;
}

/* The escaped string whose decoding stopped at the backslash `p`, with the
 * bytes from `start` (after the opening quote) valid and plain: decodes it
 * onto the scratch stack above its top (which does not move). */
static int decode_escaped_string(parser *ps, const char *start, const char *p, text_ref *out)
{
    const char *close = p;
    char *to;

    /* The closing quote first: the decoded text is never longer. */
    while (close < ps->end && *close != '"')
        close += *close == '\\' && close + 1 < ps->end ? 2 : 1;
    if (close >= ps->end) {
        parse_fail(ps, OAI_ERR_PROTOCOL);
        return -1;
    }
    if (scratch_reserve(ps, (size_t)(close - start) + 1) != 0) return -1;
    out->in_place = NULL;
    out->at = ps->top;
    to = ps->scratch + ps->top;
    memcpy(to, start, (size_t)(p - start));
    to += p - start;
    while (p < close) {
        const char *run = p;
        size_t n = 0, used;
        while (run < close && string_byte[(unsigned char)*run] == CH_PLAIN) run++;
        if (run > p) { /* a run of plain bytes, copied at once */
            memcpy(to, p, (size_t)(run - p));
            to += run - p;
            p = run;
            continue;
        }
        switch (string_byte[(unsigned char)*p]) {
        case CH_ESCAPE:
            used = oai__json_unescape((const unsigned char *)p + 1, (const unsigned char *)close, to, &n);
            used = used != 0 ? used + 1 : 0;
            break;
        case CH_NON_ASCII:
            n = used = oai__utf8_sequence_at((const unsigned char *)p, (const unsigned char *)close);
            if (used != 0) memcpy(to, p, n);
            break;
        default: /* a raw control character (the quote is `close`) */
            used = 0;
        }
        if (used == 0) {
            parse_fail(ps, OAI_ERR_PROTOCOL);
            return -1;
        }
        to += n;
        p += used;
    }
    *to = '\0';
    out->len = (size_t)(to - (ps->scratch + out->at));
    ps->p = close + 1;
    return 0;
}

/* Reads the string at the opening quote. Returns 0, or -1 with the status
 * set. Text without escapes (valid UTF-8, no control byte) stays where it
 * is; one pass checks it. */
static int parse_string_text(parser *ps, text_ref *out)
{
    const unsigned char *start = (const unsigned char *)ps->p + 1, *p = start;
    const unsigned char *end = (const unsigned char *)ps->end;

    for (;;) {
        size_t n;
        /* Eight plain bytes at a time (no control byte, no byte >= 0x80,
         * no quote, no backslash), then one at a time. */
        while (end - p >= 8) {
            uint64_t w = word_at(p);
            uint64_t stop = ANY_BELOW_OR_HIGH(w, 0x20) | ANY_ZERO(w ^ BYTES_OF('"')) | ANY_ZERO(w ^ BYTES_OF('\\'));
            if (stop != 0) {
                p += bytes_before_flag(stop);
                break;
            }
            p += 8;
        }
        while (p < end && string_byte[*p] == CH_PLAIN) p++;
        if (p >= end) break;
        switch (string_byte[*p]) {
        case CH_QUOTE:
            out->in_place = (const char *)start;
            out->at = 0;
            out->len = (size_t)(p - start);
            ps->p = (const char *)p + 1;
            return 0;
        case CH_NON_ASCII:
            n = oai__utf8_sequence_at(p, end);
            if (n == 0) break;
            p += n;
            continue;
        case CH_ESCAPE:
            return decode_escaped_string(ps, (const char *)start, (const char *)p, out);
        default: /* a raw control character */
            break;
        }
        break;
    }
    parse_fail(ps, OAI_ERR_PROTOCOL);
    return -1;
}

/* A constructor's result; NULL from it means memory ran out. */
static json_t *made(parser *ps, json_t *v)
{
    return v != NULL ? v : parse_fail(ps, OAI_ERR_OUT_OF_MEMORY);
}

static json_t *parse_string(parser *ps)
{
    text_ref t;

    if (parse_string_text(ps, &t) != 0) return NULL;
    return made(ps, json_stringn_nocheck(text_of(ps, &t), t.len));
}

static const char *skip_digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9') p++;
    return p;
}

/* The exact value of a real whose digits, without leading zeros, are at
 * most 15 and whose decimal exponent is within 22 (most reals a server
 * sends: an embedding's "-0.0069292834", a temperature, a log
 * probability): then the digits and the power of ten are both exact
 * doubles, and one multiplication or division rounds correctly, giving
 * what strtod() gives (Clinger's fast path). 0 for any other text (or
 * where doubles are evaluated with more precision: FLT_EVAL_METHOD), which
 * strtod() reads. The text is a valid JSON number. */
static int exact_real(const char *p, const char *end, double *out)
{
    static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int64_t digits = 0, exp10 = 0, exp = 0;
    int negative = 0, significant = 0, exp_negative = 0, exp_digits = 0;
    double d;

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
    return 0;
#endif
    if (*p == '-') {
        negative = 1;
        p++;
    }
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        digits = digits * 10 + (*p - '0');
        if (digits != 0 && ++significant > 15) return 0;
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            digits = digits * 10 + (*p - '0');
            exp10--;
            if (digits != 0 && ++significant > 15) return 0;
        }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            exp = exp * 10 + (*p - '0');
            if (exp != 0 && ++exp_digits > 4) return 0;
        }
        exp10 += exp_negative ? -exp : exp;
    }
    if (digits == 0) {
        *out = negative ? -0.0 : 0.0;
        return 1;
    }
    if (exp10 < -22 || exp10 > 22) return 0;
    d = (double)digits;
    d = exp10 < 0 ? d / powers[-exp10] : d * powers[exp10];
    *out = negative ? -d : d;
    return 1;
}

/* A real from the number's text: exactly when exact_real() can, else with
 * strtod(), after turning '.' into the locale's decimal point (strtod
 * follows LC_NUMERIC, which a host program may have set). The text goes on
 * the scratch stack, NUL-terminated. */
static json_t *parse_real(parser *ps, const char *text, size_t n)
{
    const char *point, *dot;
    size_t plen, before;
    char *buf;
    double d;

    if (exact_real(text, text + n, &d)) return ps->build ? made(ps, json_real(d)) : SCANNED;
    point = localeconv()->decimal_point;
    dot = memchr(text, '.', n);
    before = dot != NULL ? (size_t)(dot - text) : n;
    if (point == NULL || *point == '\0') point = ".";
    plen = strlen(point);
    if (scratch_reserve(ps, n + plen + 1) != 0) return NULL;
    buf = ps->scratch + ps->top;
    memcpy(buf, text, before);
    if (dot != NULL) {
        memcpy(buf + before, point, plen);
        memcpy(buf + before + plen, dot + 1, n - before - 1);
        buf[n - 1 + plen] = '\0';
    } else {
        buf[n] = '\0';
    }
    errno = 0;
    d = strtod(buf, NULL);
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) return parse_fail(ps, OAI_ERR_PROTOCOL);
    return ps->build ? made(ps, json_real(d)) : SCANNED;
}

/* An integer's digits (no sign, at most 20), as json_int_t; -1 when it is
 * outside the type, as in jansson. Up to 18 digits cannot overflow and are
 * summed directly; longer ones go through strtoll. */
static int integer_value(const char *start, const char *digits, const char *end, json_int_t *out)
{
    char buf[32];
    long long v;

    if (end - digits <= 18) {
        json_int_t sum = 0;
        const char *d;
        for (d = digits; d < end; d++) sum = sum * 10 + (*d - '0');
        *out = digits != start ? -sum : sum; /* after a '-' */
        return 0;
    }
    if ((size_t)(end - start) >= sizeof buf) return -1; /* > 20 digits */
    memcpy(buf, start, (size_t)(end - start));
    buf[end - start] = '\0';
    errno = 0;
    v = strtoll(buf, NULL, 10);
    if (errno == ERANGE) return -1;
    *out = (json_int_t)v;
    return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; an integer outside
 * json_int_t, or a real that overflows, is bad JSON as in jansson. */
static json_t *parse_number(parser *ps)
{
    const char *start = ps->p, *p = start, *end = ps->end, *digits;
    int real = 0;
    json_int_t v;

    if (p < end && *p == '-') p++;
    digits = p;
    p = skip_digits(p, end);
    if (p == digits || (*digits == '0' && p - digits > 1)) return parse_fail(ps, OAI_ERR_PROTOCOL);
    if (p < end && *p == '.') {
        const char *frac = ++p;
        p = skip_digits(p, end);
        if (p == frac) return parse_fail(ps, OAI_ERR_PROTOCOL);
        real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *exp;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        exp = p;
        p = skip_digits(p, end);
        if (p == exp) return parse_fail(ps, OAI_ERR_PROTOCOL);
        real = 1;
    }
    ps->p = p;
    if (real) return parse_real(ps, start, (size_t)(p - start));
    if (integer_value(start, digits, p, &v) != 0) return parse_fail(ps, OAI_ERR_PROTOCOL);
    return ps->build ? made(ps, json_integer(v)) : SCANNED;
}

static json_t *parse_value(parser *ps);
static int pointer_parse_index(const char *token, size_t *index);

static json_t *parse_array(parser *ps)
{
    json_t *arr = made(ps, json_array());

    ps->p++; /* '[' */
    skip_space(ps);
    if (arr != NULL && ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }
    while (arr != NULL) {
        json_t *item = parse_value(ps);
        if (item == NULL) break;
        if (json_array_append_new(arr, item) != 0) {
            parse_fail(ps, OAI_ERR_OUT_OF_MEMORY);
            break;
        }
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return arr;
        }
        if (ps->p >= ps->end || *ps->p != ',') break;
        ps->p++;
    }
    json_decref(arr);
    return parse_fail(ps, OAI_ERR_PROTOCOL); /* unless something failed first */
}

/* jansson 2.14 takes a key with its length, so a key can stay in place in
 * the input; before, keys are C strings and go on the scratch stack. */
#if JANSSON_VERSION_HEX >= 0x020e00
#define KEYS_WITH_LENGTH 1
#else
#define KEYS_WITH_LENGTH 0
#endif

/* Keeps the key on the scratch stack while its value is parsed (a key in
 * place needs nothing). 0, or -1 with the status set. */
static int hold_key(parser *ps, text_ref *key)
{
    if (key->in_place != NULL && !KEYS_WITH_LENGTH) { /* copy it for a C string */
        if (scratch_reserve(ps, key->len + 1) != 0) return -1;
        memcpy(ps->scratch + ps->top, key->in_place, key->len);
        ps->scratch[ps->top + key->len] = '\0';
        key->in_place = NULL;
        key->at = ps->top;
    }
    if (key->in_place == NULL) {
        /* jansson keys are C strings: one holding NUL (\u0000) is refused,
         * as jansson's parser does. (A key in place holds no NUL: control
         * bytes end a string.) */
        if (memchr(ps->scratch + key->at, '\0', key->len) != NULL) {
            parse_fail(ps, OAI_ERR_PROTOCOL);
            return -1;
        }
        ps->top = key->at + key->len + 1;
    }
    return 0;
}

/* Sets the member (value stolen); 0, or -1 when memory ran out. */
static int set_member(parser *ps, json_t *obj, const text_ref *key, json_t *value)
{
#if KEYS_WITH_LENGTH
    return json_object_setn_new_nocheck(obj, text_of(ps, key), key->len, value);
#else
    return json_object_set_new_nocheck(obj, text_of(ps, key), value);
#endif
}

static json_t *parse_object(parser *ps)
{
    json_t *obj = made(ps, json_object());

    ps->p++; /* '{' */
    skip_space(ps);
    if (obj != NULL && ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }
    while (obj != NULL) {
        size_t top = ps->top;
        text_ref key;
        json_t *value;
        int failed;
        if (ps->p >= ps->end || *ps->p != '"' || parse_string_text(ps, &key) != 0 || hold_key(ps, &key) != 0) break;
        skip_space(ps);
        if (ps->p >= ps->end || *ps->p != ':') break;
        ps->p++;
        value = parse_value(ps);
        failed = value == NULL || set_member(ps, obj, &key, value) != 0;
        ps->top = top;
        if (failed) {
            parse_fail(ps, OAI_ERR_OUT_OF_MEMORY); /* unless the value failed first */
            break;
        }
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return obj;
        }
        if (ps->p >= ps->end || *ps->p != ',') break;
        ps->p++;
        skip_space(ps);
    }
    json_decref(obj);
    return parse_fail(ps, OAI_ERR_PROTOCOL); /* unless something failed first */
}

static json_t *parse_literal(parser *ps, const char *word, size_t n, json_t *(*make)(void))
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return parse_fail(ps, OAI_ERR_PROTOCOL);
    ps->p += n;
    return ps->build ? made(ps, make()) : SCANNED;
}

static json_t *make_true(void) { return json_true(); }
static json_t *make_false(void) { return json_false(); }

static json_t *parse_value(parser *ps)
{
    json_t *v;

    skip_space(ps);
    if (ps->p >= ps->end) return parse_fail(ps, OAI_ERR_PROTOCOL);
    switch (*ps->p) {
    case '"': return parse_string(ps);
    case 't': return parse_literal(ps, "true", 4, make_true);
    case 'f': return parse_literal(ps, "false", 5, make_false);
    case 'n': return parse_literal(ps, "null", 4, json_null);
    case '[':
    case '{':
        if (++ps->depth > OAI_JSON_MAX_DEPTH) return parse_fail(ps, OAI_ERR_PROTOCOL);
        v = *ps->p == '[' ? parse_array(ps) : parse_object(ps);
        ps->depth--;
        return v;
    default:
        return parse_number(ps);
    }
}

/* RFC 8259 lets a parser ignore a byte order mark; some Windows servers
 * and proxies send one. */
static size_t bom_length(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

oai_value *oai__json_parse(const char *text, size_t len, oai_status *status)
{
    parser ps;
    json_t *root = NULL;

    memset(&ps, 0, sizeof ps);
    ps.build = 1;
    if (text == NULL) {
        ps.status = OAI_ERR_INVALID_ARGUMENT;
    } else {
        ps.p = text + bom_length(text, len);
        ps.end = text + len;
        root = parse_value(&ps);
        skip_space(&ps);
        if (root != NULL && ps.p != ps.end) { /* something after the value */
            json_decref(root);
            root = parse_fail(&ps, OAI_ERR_PROTOCOL);
        }
        oai__free(ps.scratch);
    }
    if (status != NULL) *status = ps.status;
    return as_value(root);
}

/* ------------------------------------------------------------------------ */
/* Validation without a tree (oai__json_scan()). The structure is walked
 * without recursion, a level per open container; the leaves (strings,
 * numbers, literals) are read by the parser's own functions in validation
 * mode (build = 0), so that the scan refuses exactly what the parser
 * refuses: the same grammar, the same limits (nesting, integer range, a
 * real that overflows, a key holding NUL), in the same order. */

typedef struct scan {
    parser ps;
    const char *base; /* the text given: watch offsets count from here */
    oai__json_watch *watches;
    size_t watch_count;
} scan;

/* The watches of `live` whose path goes on through the member named
 * `name` (len bytes), or the item `index` when name is NULL, of the
 * container whose own path has `level` tokens. A member read again (a
 * duplicate key) replaces what was found under it before, as the last
 * duplicate wins in a built document. */
static unsigned watches_entering(scan *sc, unsigned live, size_t level, const char *name, size_t len, size_t index)
{
    unsigned out = 0;
    size_t w;

    for (w = 0; w < sc->watch_count; w++) {
        oai__json_watch *wt = &sc->watches[w];
        if (!(live & (1u << w)) || level >= wt->count) continue;
        if (name != NULL ? wt->lengths[level] == len && memcmp(wt->tokens[level], name, len) == 0
                         : wt->indices[level] == (long long)index) {
            out |= 1u << w;
            wt->found = OAI_JSON_WATCH_ABSENT;
        }
    }
    return out;
}

/* Records the value at `start` (just read when it is a string; just
 * opened when a container), whose path has `level` tokens, for the
 * watches of `live` that end at it. */
static void watches_record(scan *sc, unsigned live, size_t level, const char *start)
{
    size_t w;

    for (w = 0; w < sc->watch_count; w++) {
        oai__json_watch *wt = &sc->watches[w];
        if (!(live & (1u << w)) || wt->count != level) continue;
        if (*start != '"') {
            wt->found = OAI_JSON_WATCH_OTHER;
            continue;
        }
        wt->found = OAI_JSON_WATCH_STRING;
        /* The parser stands after the closing quote. */
        const char *close = sc->ps.p - 1;
        wt->at = (size_t)(start + 1 - sc->base);
        wt->len = close > start ? (size_t)(close - start - 1) : 0;
        wt->escaped = wt->len > 0 && memchr(start + 1, '\\', wt->len) != NULL;
    }
}

#define SCAN_FAIL(sc) ((sc)->ps.status != OAI_OK ? (sc)->ps.status : OAI_ERR_PROTOCOL)

static oai_status scan_document(scan *sc, const char *text, size_t len, unsigned live)
{
    parser *ps = &sc->ps;
    /* Per open container: whether it is an object; for those on a watch's
     * path (never deeper than a watch's tokens), the watches on it and the
     * index of the item being read. */
    unsigned char is_object[OAI_JSON_MAX_DEPTH + 1];
    unsigned lives[OAI__JSON_WATCH_MAX_TOKENS + 1];
    size_t indexes[OAI__JSON_WATCH_MAX_TOKENS + 1];
    size_t depth = 0;
    const char *start;
    text_ref t;

    ps->p = text + bom_length(text, len);
    ps->end = text + len;
value: /* a value, whose path has `depth` tokens, on the watches of `live` */
    skip_space(ps);
    if (ps->p >= ps->end) return OAI_ERR_PROTOCOL;
    start = ps->p;
    switch (*ps->p) {
    case '{':
    case '[':
        if (depth + 1 > OAI_JSON_MAX_DEPTH) return OAI_ERR_PROTOCOL;
        if (live) watches_record(sc, live, depth, start);
        depth++;
        is_object[depth] = *ps->p == '{';
        if (depth <= OAI__JSON_WATCH_MAX_TOKENS) {
            lives[depth] = live;
            indexes[depth] = 0;
        }
        ps->p++;
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == (is_object[depth] ? '}' : ']')) {
            ps->p++;
            depth--;
            goto after;
        }
        if (is_object[depth]) goto member;
        live = depth <= OAI__JSON_WATCH_MAX_TOKENS && lives[depth] ? watches_entering(sc, lives[depth], depth - 1, NULL, 0, 0) : 0;
        goto value;
    case '"':
        if (parse_string_text(ps, &t) != 0) return SCAN_FAIL(sc);
        break;
    case 't':
        if (parse_literal(ps, "true", 4, make_true) == NULL) return SCAN_FAIL(sc);
        break;
    case 'f':
        if (parse_literal(ps, "false", 5, make_false) == NULL) return SCAN_FAIL(sc);
        break;
    case 'n':
        if (parse_literal(ps, "null", 4, json_null) == NULL) return SCAN_FAIL(sc);
        break;
    default:
        if (parse_number(ps) == NULL) return SCAN_FAIL(sc);
    }
    if (live) watches_record(sc, live, depth, start);
after: /* a value ended: what follows it in its container */
    skip_space(ps);
    if (depth == 0) return ps->p == ps->end ? OAI_OK : OAI_ERR_PROTOCOL;
    if (ps->p >= ps->end) return OAI_ERR_PROTOCOL;
    if (*ps->p == (is_object[depth] ? '}' : ']')) {
        ps->p++;
        depth--;
        goto after;
    }
    if (*ps->p != ',') return OAI_ERR_PROTOCOL;
    ps->p++;
    if (is_object[depth]) {
        skip_space(ps);
        goto member;
    }
    live = 0;
    if (depth <= OAI__JSON_WATCH_MAX_TOKENS && lives[depth])
        live = watches_entering(sc, lives[depth], depth - 1, NULL, 0, ++indexes[depth]);
    goto value;
member: /* a member's key, then its value */
    if (ps->p >= ps->end || *ps->p != '"' || parse_string_text(ps, &t) != 0 || hold_key(ps, &t) != 0)
        return SCAN_FAIL(sc);
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p != ':') return OAI_ERR_PROTOCOL;
    ps->p++;
    live = 0;
    if (depth <= OAI__JSON_WATCH_MAX_TOKENS && lives[depth])
        live = watches_entering(sc, lives[depth], depth - 1, text_of(ps, &t), t.len, 0);
    ps->top = 0; /* the key is done with */
    goto value;
}

oai_status oai__json_scan(const char *text, size_t len, int *type, oai__json_watch *watches, size_t count)
{
    scan sc;
    size_t w, i;
    unsigned live = 0;
    oai_status st;

    memset(&sc, 0, sizeof sc);
    if (type != NULL) *type = OAI_VALUE_NULL;
    if (text == NULL || count > sizeof live * CHAR_BIT || (count != 0 && watches == NULL))
        return OAI_ERR_INVALID_ARGUMENT;
    for (w = 0; w < count; w++) {
        if (watches[w].count == 0 || watches[w].count > OAI__JSON_WATCH_MAX_TOKENS) return OAI_ERR_INVALID_ARGUMENT;
        watches[w].found = OAI_JSON_WATCH_ABSENT;
        watches[w].at = watches[w].len = 0;
        watches[w].escaped = 0;
        for (i = 0; i < watches[w].count; i++) {
            size_t index;
            watches[w].lengths[i] = strlen(watches[w].tokens[i]);
            watches[w].indices[i] = pointer_parse_index(watches[w].tokens[i], &index) == 0 && index < (size_t)LLONG_MAX
                                        ? (long long)index
                                        : -1;
        }
        live |= 1u << w;
    }
    sc.watches = watches;
    sc.watch_count = count;
    sc.base = text;
    st = scan_document(&sc, text, len, live);
    oai__free(sc.ps.scratch);
    if (st != OAI_OK) return st;
    if (type != NULL) {
        const char *p = text + bom_length(text, len);
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        switch (*p) {
        case '{': *type = OAI_VALUE_OBJECT; break;
        case '[': *type = OAI_VALUE_ARRAY; break;
        case '"': *type = OAI_VALUE_STRING; break;
        case 'n': *type = OAI_VALUE_NULL; break;
        case 't':
        case 'f': *type = OAI_VALUE_BOOL; break;
        default: /* a number: an integer unless it has a fraction or an exponent */
            *type = OAI_VALUE_INT;
            for (; p < text + len && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r'; p++)
                if (*p == '.' || *p == 'e' || *p == 'E') *type = OAI_VALUE_NUMBER;
        }
    }
    return OAI_OK;
}

char *oai__json_string_decode(const char *text, size_t at, size_t len, size_t *out_len)
{
    parser ps;
    text_ref t;
    char *out;

    if (text == NULL) return NULL;
    memset(&ps, 0, sizeof ps);
    ps.p = text + at - 1; /* the opening quote */
    ps.end = text + at + len + 1;
    if (at == 0 || parse_string_text(&ps, &t) != 0 || t.len > len) {
        oai__free(ps.scratch);
        return NULL;
    }
    out = oai__malloc(t.len + 1);
    if (out != NULL) {
        memcpy(out, text_of(&ps, &t), t.len);
        out[t.len] = '\0';
        if (out_len != NULL) *out_len = t.len;
    }
    oai__free(ps.scratch);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Constructors and reference counting */

oai_value *oai__json_object(void) { return as_value(json_object()); }
oai_value *oai__json_array(void) { return as_value(json_array()); }
oai_value *oai__json_int(int64_t v) { return as_value(json_integer((json_int_t)v)); }
oai_value *oai__json_bool(int v) { return as_value(json_boolean(v)); }
oai_value *oai__json_null(void) { return as_value(json_null()); }

oai_value *oai__json_string(const char *s, size_t len)
{
    if (s == NULL) return len == 0 ? as_value(json_stringn("", 0)) : NULL;
    return as_value(json_stringn(s, len)); /* NULL on invalid UTF-8 */
}

/* jansson's allocations follow the library's allocator (oai_set_allocator). */
static void *jansson_malloc(size_t n)
{
    return oai__malloc(n);
}

static void jansson_free(void *p)
{
    oai__free(p);
}

oai_status oai__json_use_allocator(void)
{
    json_set_alloc_funcs(jansson_malloc, jansson_free);
    return OAI_OK;
}

oai_status oai__json_string_failure(const char *s, size_t len)
{
    if (s == NULL) return len == 0 ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_INVALID_ARGUMENT;
    return utf8_valid(s, len) ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_INVALID_ARGUMENT;
}

oai_value *oai__json_number(double v)
{
    return isfinite(v) ? as_value(json_real(v)) : NULL;
}

oai_value *oai__json_incref(oai_value *v)
{
    json_incref(as_json(v));
    return v;
}

void oai__json_decref(oai_value *v) { json_decref(as_json(v)); }

oai_value *oai__json_deep_copy(const oai_value *v)
{
    return v == NULL ? NULL : as_value(json_deep_copy(as_json(v)));
}

/* ------------------------------------------------------------------------ */
/* Nesting */

static int nesting_within(json_t *v, int levels)
{
    size_t i;
    void *it;

    if (!json_is_object(v) && !json_is_array(v)) return 1;
    if (levels <= 0) return 0;
    if (json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++)
            if (!nesting_within(json_array_get(v, i), levels - 1)) return 0;
        return 1;
    }
    for (it = json_object_iter(v); it != NULL; it = json_object_iter_next(v, it))
        if (!nesting_within(json_object_iter_value(it), levels - 1)) return 0;
    return 1;
}

int oai__json_nesting_within(const oai_value *v, int levels)
{
    return nesting_within(as_json(v), levels);
}

/* ------------------------------------------------------------------------ */
/* JSON Pointer tokens */

/* Decodes the reference token that follows the '/' at `p` into `out`
 * (NUL-terminated; never longer than the raw token). Returns the position
 * of the next '/' or of the terminating NUL, or NULL on a bad escape. */
static const char *pointer_next_token(const char *p, char *out)
{
    for (p++; *p != '\0' && *p != '/'; p++) {
        if (*p != '~') {
            *out++ = *p;
        } else if (p[1] == '0') {
            *out++ = '~';
            p++;
        } else if (p[1] == '1') {
            *out++ = '/';
            p++;
        } else {
            return NULL;
        }
    }
    *out = '\0';
    return p;
}

/* The array index a token names: "0" or digits without a leading zero.
 * Returns 0 and sets *index, or -1 ("-", other text, or a size_t overflow). */
static int pointer_parse_index(const char *token, size_t *index)
{
    size_t value = 0;
    const char *p;

    if (token[0] == '\0' || (token[0] == '0' && token[1] != '\0')) return -1;
    for (p = token; *p != '\0'; p++) {
        size_t digit = (size_t)(*p - '0');
        if (*p < '0' || *p > '9') return -1;
        if (value > (SIZE_MAX - digit) / 10) return -1;
        value = value * 10 + digit;
    }
    *index = value;
    return 0;
}

static int token_is_append(const char *token) { return strcmp(token, "-") == 0; }

/* A pointer split into its decoded tokens. Both allocations are freed by
 * pointer_tokens_free(). */
typedef struct pointer_tokens {
    char *text;    /* the decoded tokens, each NUL-terminated, back to back */
    char **tokens; /* count entries pointing into text */
    size_t count;
    /* Short pointers (the common case: "/messages/-") need no allocation. */
    char small_text[128];
    char *small_tokens[16];
} pointer_tokens;

static void pointer_tokens_free(pointer_tokens *pt)
{
    if (pt->text != pt->small_text) oai__free(pt->text);
    if (pt->tokens != pt->small_tokens) oai__free((void *)pt->tokens);
}

/* Splits a non-empty pointer. OAI_ERR_INVALID_ARGUMENT for one that does not
 * start with '/', has a bad escape, or is not UTF-8. */
static oai_status pointer_split(const char *pointer, pointer_tokens *pt)
{
    size_t len = strlen(pointer), count = 0, i;
    const char *p;
    char *out;

    pt->text = NULL;
    pt->tokens = NULL;
    pt->count = 0;
    if (pointer[0] != '/' || !utf8_valid(pointer, len)) return OAI_ERR_INVALID_ARGUMENT;
    for (p = pointer; *p != '\0'; p++)
        if (*p == '/') count++;
    pt->text = len < sizeof pt->small_text ? pt->small_text : oai__malloc(len + 1);
    pt->tokens = count <= sizeof pt->small_tokens / sizeof *pt->small_tokens
                     ? pt->small_tokens
                     : oai__malloc(count * sizeof *pt->tokens);
    if (pt->text == NULL || pt->tokens == NULL) {
        pointer_tokens_free(pt);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    out = pt->text;
    for (p = pointer, i = 0; *p != '\0'; i++) {
        pt->tokens[i] = out;
        p = pointer_next_token(p, out);
        if (p == NULL) {
            pointer_tokens_free(pt);
            return OAI_ERR_INVALID_ARGUMENT;
        }
        out += strlen(out) + 1;
    }
    pt->count = count;
    return OAI_OK;
}

/* The child of a container named by a token; NULL when absent, when the
 * token is no valid index for an array, or when `parent` is a scalar. */
static json_t *container_child(json_t *parent, const char *token)
{
    size_t index;

    if (json_is_object(parent)) return json_object_get(parent, token);
    if (json_is_array(parent) && pointer_parse_index(token, &index) == 0)
        return json_array_get(parent, index);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* JSON Pointer: get */

oai_value *oai__json_pointer_get(const oai_value *root, const char *pointer)
{
    char small[256];
    char *token;
    const char *p;
    json_t *cur = as_json(root);
    size_t len;

    if (root == NULL || pointer == NULL) return NULL;
    if (pointer[0] == '\0') return as_value(cur);
    if (pointer[0] != '/') return NULL;

    /* One scratch buffer holds each decoded token in turn; short pointers,
     * the common case, need no allocation. */
    len = strlen(pointer);
    token = len < sizeof small ? small : oai__malloc(len + 1);
    if (token == NULL) return NULL;
    for (p = pointer; cur != NULL && *p != '\0';) {
        p = pointer_next_token(p, token);
        cur = p == NULL ? NULL : container_child(cur, token);
    }
    if (token != small) oai__free(token);
    return as_value(cur);
}

/* ------------------------------------------------------------------------ */
/* JSON Pointer: set */

/* Puts `value` (stolen) into `container` under `token`: an object member is
 * added or replaced; an array item is replaced, or appended for "-" or an
 * index equal to the length. */
static oai_status container_put(json_t *container, const char *token, json_t *value)
{
    size_t index, size;

    if (json_is_object(container)) {
        if (json_object_set_new(container, token, value) != 0) return OAI_ERR_OUT_OF_MEMORY;
        return OAI_OK;
    }
    if (!json_is_array(container)) {
        json_decref(value);
        return OAI_ERR_INVALID_ARGUMENT;
    }
    size = json_array_size(container);
    if (token_is_append(token)) index = size;
    else if (pointer_parse_index(token, &index) != 0 || index > size) {
        json_decref(value);
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if (index == size)
        return json_array_append_new(container, value) == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
    return json_array_set_new(container, index, value) == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

/* Whether a token reads as an array position: "-" or a run of digits. A run
 * with a leading zero ("01") counts too, so that container_put() rejects it
 * instead of it silently becoming an object key. */
static int token_names_position(const char *token)
{
    return token_is_append(token) ||
           (token[0] != '\0' && strspn(token, "0123456789") == strlen(token));
}

/* The container to create for a path that continues with `next_token`. */
static json_t *container_for_token(const char *next_token)
{
    return token_names_position(next_token) ? json_array() : json_object();
}

/* Builds, detached from any document, the containers that tokens[first..]
 * need (first < count), ending in `value` (stolen). The chain is attached
 * only once complete, so a failure never leaves half a path behind. */
static oai_status build_chain(const pointer_tokens *pt, size_t first, json_t *value, json_t **chain)
{
    json_t *top, *holder;
    size_t i;
    oai_status st;

    *chain = NULL;
    top = container_for_token(pt->tokens[first]);
    if (top == NULL) {
        json_decref(value);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    holder = top;
    for (i = first; i + 1 < pt->count; i++) {
        json_t *next = container_for_token(pt->tokens[i + 1]);
        if (next == NULL) {
            st = OAI_ERR_OUT_OF_MEMORY;
            goto fail;
        }
        st = container_put(holder, pt->tokens[i], next);
        if (st != OAI_OK) goto fail;
        holder = next; /* borrowed: `top` owns it now */
    }
    st = container_put(holder, pt->tokens[pt->count - 1], value);
    value = NULL; /* container_put() took it in every case */
    if (st != OAI_OK) goto fail;
    *chain = top;
    return OAI_OK;
fail:
    json_decref(value);
    json_decref(top);
    return st;
}

/* Walks the existing containers along every token but the last. Stops at
 * the first token whose child is missing; *parent is then the container
 * that lacks it and *missing that token's index (count - 1 when every
 * intermediate exists). A path through a scalar, or a token that is no
 * array position on an array, is OAI_ERR_INVALID_ARGUMENT. */
static oai_status walk_existing(json_t *root, const pointer_tokens *pt, json_t **parent, size_t *missing)
{
    json_t *cur = root;
    size_t i, index;

    for (i = 0; i < pt->count; i++) {
        const char *token = pt->tokens[i];
        json_t *child;
        if (!json_is_object(cur) && !json_is_array(cur)) return OAI_ERR_INVALID_ARGUMENT;
        if (json_is_array(cur) && !token_is_append(token) && pointer_parse_index(token, &index) != 0)
            return OAI_ERR_INVALID_ARGUMENT;
        if (i + 1 == pt->count) break;
        child = container_child(cur, token);
        if (child == NULL) break;
        cur = child;
    }
    *parent = cur;
    *missing = i;
    return OAI_OK;
}

static oai_status pointer_set_tokens(json_t **root, const pointer_tokens *pt, json_t *value)
{
    json_t *parent, *chain;
    size_t missing;
    oai_status st;

    if (*root == NULL) { /* an empty document: the whole path is missing */
        st = build_chain(pt, 0, value, &chain);
        if (st == OAI_OK) *root = chain;
        return st;
    }
    st = walk_existing(*root, pt, &parent, &missing);
    if (st != OAI_OK) {
        json_decref(value);
        return st;
    }
    if (missing + 1 == pt->count) /* every intermediate exists */
        return container_put(parent, pt->tokens[missing], value);
    st = build_chain(pt, missing + 1, value, &chain);
    if (st != OAI_OK) return st;
    return container_put(parent, pt->tokens[missing], chain);
}

/* The number of reference tokens in a pointer: one per '/'. */
static size_t pointer_depth(const char *pointer)
{
    size_t n = 0;

    for (; *pointer != '\0'; pointer++)
        if (*pointer == '/') n++;
    return n;
}

/* Whether `value` set at `pointer` keeps the document within
 * OAI_JSON_MAX_DEPTH: each token is one container above the value. */
static int set_keeps_depth(const char *pointer, const oai_value *value)
{
    size_t above = pointer_depth(pointer);

    return above <= OAI_JSON_MAX_DEPTH &&
           oai__json_nesting_within(value, OAI_JSON_MAX_DEPTH - (int)above);
}

oai_status oai__json_pointer_set(oai_value **root, const char *pointer, oai_value *value)
{
    pointer_tokens pt;
    oai_status st;

    if (root == NULL || pointer == NULL || value == NULL || !set_keeps_depth(pointer, value)) {
        oai__json_decref(value);
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if (pointer[0] == '\0') {
        oai__json_decref(*root);
        *root = value;
        return OAI_OK;
    }
    st = pointer_split(pointer, &pt);
    if (st != OAI_OK) {
        oai__json_decref(value);
        return st;
    }
    {
        json_t *doc = as_json(*root);
        st = pointer_set_tokens(&doc, &pt, as_json(value));
        *root = as_value(doc);
    }
    pointer_tokens_free(&pt);
    return st;
}

/* ------------------------------------------------------------------------ */
/* JSON Pointer: remove */

static oai_status container_remove(json_t *container, const char *token)
{
    size_t index;

    if (json_is_object(container))
        return json_object_del(container, token) == 0 ? OAI_OK : OAI_ERR_NOT_FOUND;
    if (!json_is_array(container)) return OAI_ERR_INVALID_ARGUMENT;
    if (token_is_append(token)) return OAI_ERR_NOT_FOUND;
    if (pointer_parse_index(token, &index) != 0) return OAI_ERR_INVALID_ARGUMENT;
    if (index >= json_array_size(container)) return OAI_ERR_NOT_FOUND;
    return json_array_remove(container, index) == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

oai_status oai__json_pointer_remove(oai_value *root, const char *pointer)
{
    pointer_tokens pt;
    json_t *parent;
    size_t missing;
    oai_status st;

    if (root == NULL || pointer == NULL || pointer[0] == '\0') return OAI_ERR_INVALID_ARGUMENT;
    st = pointer_split(pointer, &pt);
    if (st != OAI_OK) return st;
    st = walk_existing(as_json(root), &pt, &parent, &missing);
    if (st == OAI_OK)
        st = missing + 1 == pt.count ? container_remove(parent, pt.tokens[missing])
                                     : OAI_ERR_NOT_FOUND;
    pointer_tokens_free(&pt);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Serialisation. Our own writer rather than json_dumps(), for two reasons:
 * jansson prints reals with 17 significant digits (0.7 becomes
 * 0.69999999999999996 in every request body), and its output comes from
 * jansson's allocator while our callers release it with oai__free(). */

typedef struct text_buffer {
    char *data;
    size_t len, cap;
    int failed;
} text_buffer;

static void buffer_append_slow(text_buffer *b, const char *s, size_t n);

/* Most appends fit: they copy and return (a failed buffer has cap 0 left
 * as it was, and takes the slow path, which ignores them). */
static inline void buffer_append(text_buffer *b, const char *s, size_t n)
{
    if (n < b->cap - b->len && !b->failed) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        return;
    }
    buffer_append_slow(b, s, n);
}

static inline void buffer_put_char(text_buffer *b, char c)
{
    if (b->cap - b->len > 1 && !b->failed) {
        b->data[b->len++] = c;
        return;
    }
    buffer_append_slow(b, &c, 1);
}

static void buffer_append_slow(text_buffer *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (n >= b->cap - b->len) {
        size_t cap = b->cap != 0 ? b->cap : 256; /* a chat request's body, at once */
        char *data;
        while (n >= cap - b->len) {
            if (cap > SIZE_MAX / 2) {
                b->failed = 1;
                return;
            }
            cap *= 2;
        }
        data = oai__realloc(b->data, cap);
        if (data == NULL) {
            b->failed = 1;
            return;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n; /* the NUL is written at the end (oai__json_dump()) */
}

static void buffer_append_str(text_buffer *b, const char *s) { buffer_append(b, s, strlen(s)); }

static void write_string(text_buffer *b, const char *s, size_t len)
{
    size_t i, run = 0;

    buffer_put_char(b, '"');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c >= 0x20 && c != '"' && c != '\\') continue; /* copied in runs */
        buffer_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': buffer_append(b, "\\\"", 2); break;
        case '\\': buffer_append(b, "\\\\", 2); break;
        case '\b': buffer_append(b, "\\b", 2); break;
        case '\f': buffer_append(b, "\\f", 2); break;
        case '\n': buffer_append(b, "\\n", 2); break;
        case '\r': buffer_append(b, "\\r", 2); break;
        case '\t': buffer_append(b, "\\t", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
            buffer_append(b, esc, 6);
        }
    }
    buffer_append(b, s + run, len - run);
    buffer_put_char(b, '"');
}

/* Replaces the locale's decimal separator (snprintf and strtod follow
 * LC_NUMERIC, which a host program may have set) with '.'. */
static void decimal_point_to_dot(char *buf)
{
    const char *point = localeconv()->decimal_point;
    size_t n = point != NULL ? strlen(point) : 0;
    char *at;

    if (n == 0 || strcmp(point, ".") == 0) return;
    at = strstr(buf, point);
    if (at == NULL) return;
    *at = '.';
    memmove(at + 1, at + n, strlen(at + n) + 1);
}

/* The shortest %g form (15 to 17 digits) that reads back as the same
 * double, always with a '.' or an exponent so it reads back as a real. */
static void write_real(text_buffer *b, double d)
{
    char buf[40];
    int precision;

    if (!isfinite(d)) {
        b->failed = 1; /* jansson never holds one; JSON has no spelling for it */
        return;
    }
    for (precision = 15; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (strtod(buf, NULL) == d) break;
    }
    decimal_point_to_dot(buf);
    buffer_append_str(b, buf);
    if (strpbrk(buf, ".eE") == NULL) buffer_append(b, ".0", 2);
}

static void write_value(text_buffer *b, json_t *v);

static void write_object(text_buffer *b, json_t *obj)
{
    void *it;
    int first = 1;

    buffer_put_char(b, '{');
    for (it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        if (!first) buffer_put_char(b, ',');
        first = 0;
        write_string(b, key, strlen(key));
        buffer_put_char(b, ':');
        write_value(b, json_object_iter_value(it));
    }
    buffer_put_char(b, '}');
}

static void write_array(text_buffer *b, json_t *arr)
{
    size_t i, n = json_array_size(arr);

    buffer_put_char(b, '[');
    for (i = 0; i < n; i++) {
        if (i > 0) buffer_put_char(b, ',');
        write_value(b, json_array_get(arr, i));
    }
    buffer_put_char(b, ']');
}

static void write_value(text_buffer *b, json_t *v)
{
    char buf[32];

    switch (json_typeof(v)) {
    case JSON_OBJECT: write_object(b, v); break;
    case JSON_ARRAY: write_array(b, v); break;
    case JSON_STRING: write_string(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        buffer_append_str(b, buf);
        break;
    case JSON_REAL: write_real(b, json_real_value(v)); break;
    case JSON_TRUE: buffer_append(b, "true", 4); break;
    case JSON_FALSE: buffer_append(b, "false", 5); break;
    case JSON_NULL: buffer_append(b, "null", 4); break;
    }
}

char *oai__json_dump(const oai_value *v, size_t *len)
{
    text_buffer b = {NULL, 0, 0, 0};

    if (len != NULL) *len = 0;
    if (v == NULL) return NULL;
    write_value(&b, as_json(v));
    buffer_append(&b, "", 0); /* room for the NUL */
    if (b.failed) {
        oai__free(b.data);
        return NULL;
    }
    b.data[b.len] = '\0';
    if (len != NULL) *len = b.len;
    return b.data;
}

/* ------------------------------------------------------------------------ */
/* Object and array helpers */

oai_value *oai__json_object_get(const oai_value *obj, const char *key)
{
    if (key == NULL || !json_is_object(as_json(obj))) return NULL;
    return as_value(json_object_get(as_json(obj), key));
}

oai_status oai__json_object_set(oai_value *obj, const char *key, oai_value *v)
{
    oai_status st = OAI_OK;

    if (obj == NULL || key == NULL || v == NULL || v == obj || !utf8_valid(key, strlen(key)))
        st = OAI_ERR_INVALID_ARGUMENT;
    else if (!json_is_object(as_json(obj)))
        st = OAI_ERR_TYPE;
    if (st != OAI_OK) {
        oai__json_decref(v);
        return st;
    }
    return json_object_set_new(as_json(obj), key, as_json(v)) == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

oai_status oai__json_object_del(oai_value *obj, const char *key)
{
    if (obj == NULL || key == NULL) return OAI_ERR_INVALID_ARGUMENT;
    if (!json_is_object(as_json(obj))) return OAI_ERR_TYPE;
    return json_object_del(as_json(obj), key) == 0 ? OAI_OK : OAI_ERR_NOT_FOUND;
}

size_t oai__json_array_size(const oai_value *arr) { return json_array_size(as_json(arr)); }

oai_value *oai__json_array_get(const oai_value *arr, size_t index)
{
    return as_value(json_array_get(as_json(arr), index));
}

oai_status oai__json_array_append(oai_value *arr, oai_value *v)
{
    oai_status st = OAI_OK;

    if (arr == NULL || v == NULL || v == arr) st = OAI_ERR_INVALID_ARGUMENT;
    else if (!json_is_array(as_json(arr))) st = OAI_ERR_TYPE;
    if (st != OAI_OK) {
        oai__json_decref(v);
        return st;
    }
    return json_array_append_new(as_json(arr), as_json(v)) == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

oai_status oai__json_array_extend(oai_value *arr, const oai_value *other)
{
    json_t *copy;
    int rc;

    if (arr == NULL || other == NULL) return OAI_ERR_INVALID_ARGUMENT;
    if (!json_is_array(as_json(arr)) || !json_is_array(as_json(other))) return OAI_ERR_TYPE;
    /* Copy first and extend in one step, so a failure leaves `arr` as it was
     * (and extending an array with itself works). */
    copy = json_deep_copy(as_json(other));
    if (copy == NULL) return OAI_ERR_OUT_OF_MEMORY;
    rc = json_array_extend(as_json(arr), copy);
    json_decref(copy);
    return rc == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

oai_status oai__json_string_set(oai_value *str, const char *s, size_t len)
{
    if (str == NULL || (s == NULL && len != 0)) return OAI_ERR_INVALID_ARGUMENT;
    if (!json_is_string(as_json(str))) return OAI_ERR_TYPE;
    if (s == NULL) s = "";
    if (!utf8_valid(s, len)) return OAI_ERR_INVALID_ARGUMENT;
    return json_string_setn(as_json(str), s, len) == 0 ? OAI_OK : OAI_ERR_OUT_OF_MEMORY;
}

/* ------------------------------------------------------------------------ */
/* Public read-only accessors (include/oai.h). Each is NULL-safe. */

OAI_API int oai_value_type_of(const oai_value *v)
{
    if (v == NULL) return OAI_VALUE_NONE;
    switch (json_typeof(as_json(v))) {
    case JSON_OBJECT: return OAI_VALUE_OBJECT;
    case JSON_ARRAY: return OAI_VALUE_ARRAY;
    case JSON_STRING: return OAI_VALUE_STRING;
    case JSON_INTEGER: return OAI_VALUE_INT;
    case JSON_REAL: return OAI_VALUE_NUMBER;
    case JSON_TRUE:
    case JSON_FALSE: return OAI_VALUE_BOOL;
    case JSON_NULL: return OAI_VALUE_NULL;
    }
    return OAI_VALUE_NONE;
}

OAI_API const oai_value *oai_value_get(const oai_value *v, const char *pointer)
{
    return oai__json_pointer_get(v, pointer);
}

OAI_API const char *oai_value_string(const oai_value *v)
{
    return json_string_value(as_json(v)); /* NULL for NULL and non-strings */
}

OAI_API size_t oai_value_string_len(const oai_value *v)
{
    return json_string_length(as_json(v));
}

/* A real truncated toward zero, saturating at the int64_t range (a plain
 * cast of an out-of-range double is undefined behaviour). */
static int64_t real_to_int64(double d)
{
    if (d != d) return 0;
    if (d >= 9223372036854775808.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

OAI_API int64_t oai_value_int(const oai_value *v)
{
    if (json_is_integer(as_json(v))) return (int64_t)json_integer_value(as_json(v));
    if (json_is_real(as_json(v))) return real_to_int64(json_real_value(as_json(v)));
    return json_is_true(as_json(v)) ? 1 : 0;
}

OAI_API double oai_value_number(const oai_value *v)
{
    return json_number_value(as_json(v)); /* 0.0 for NULL and non-numbers */
}

OAI_API int oai_value_bool(const oai_value *v) { return json_is_true(as_json(v)) ? 1 : 0; }

OAI_API size_t oai_value_count(const oai_value *v)
{
    if (json_is_array(as_json(v))) return json_array_size(as_json(v));
    return json_object_size(as_json(v)); /* 0 for anything but an object */
}

/* The object iterator at position `index` (insertion order), or NULL.
 * jansson has no indexed access to members, so this walks. */
static void *object_iter_at(json_t *obj, size_t index)
{
    void *it = json_object_iter(obj);
    while (it != NULL && index-- > 0) it = json_object_iter_next(obj, it);
    return it;
}

OAI_API const oai_value *oai_value_item(const oai_value *v, size_t index)
{
    if (json_is_array(as_json(v))) return as_value(json_array_get(as_json(v), index));
    if (json_is_object(as_json(v))) {
        void *it = object_iter_at(as_json(v), index);
        return it != NULL ? as_value(json_object_iter_value(it)) : NULL;
    }
    return NULL;
}

OAI_API const char *oai_value_key(const oai_value *v, size_t index)
{
    void *it;
    if (!json_is_object(as_json(v))) return NULL;
    it = object_iter_at(as_json(v), index);
    return it != NULL ? json_object_iter_key(it) : NULL;
}

OAI_API const char *oai_value_get_string(const oai_value *v, const char *pointer)
{
    return oai_value_string(oai_value_get(v, pointer));
}

OAI_API int64_t oai_value_get_int(const oai_value *v, const char *pointer)
{
    return oai_value_int(oai_value_get(v, pointer));
}

OAI_API double oai_value_get_number(const oai_value *v, const char *pointer)
{
    return oai_value_number(oai_value_get(v, pointer));
}

OAI_API int oai_value_get_bool(const oai_value *v, const char *pointer)
{
    return oai_value_bool(oai_value_get(v, pointer));
}

OAI_API size_t oai_value_get_count(const oai_value *v, const char *pointer)
{
    return oai_value_count(oai_value_get(v, pointer));
}

OAI_API char *oai_value_json_dup(const oai_value *v) { return oai__json_dump(v, NULL); }
