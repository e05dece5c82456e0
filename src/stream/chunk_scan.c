/* The fast path of the stream accumulator: a validating scanner over the
 * JSON text of a chat or completions chunk that extracts the members the
 * accumulator reads (see chunk_scan.h) without building a jansson tree.
 *
 * It follows the grammar and the limits of the full parser (json/json.c)
 * exactly where it accepts, and declines (returns 0) wherever it is not sure
 * to agree with it: the caller then parses the text the usual way, so every
 * error, and every shape the scanner does not know, behaves as before. In
 * particular it declines on
 *   - anything the parser refuses (bad syntax, bad escapes, lone surrogates,
 *     raw control characters, invalid UTF-8, trailing bytes);
 *   - a leading byte order mark, or a top-level value that is not an object;
 *   - nesting deeper than OAI__SCAN_MAX_DEPTH;
 *   - an integer of more than 18 digits, a real whose magnitude could
 *     approach the double range (int digits + exponent > 300, or an exponent
 *     of more than 4 digits);
 *   - a key with an escape (it could spell a member it reads, or hold NUL);
 *   - a member it reads that appears twice in its object (the parser keeps
 *     the last);
 *   - an error payload (a top-level "error" object or string, "object" or
 *     "type" equal to "error"), a "usage" object, a "logprobs" object,
 *     tool-call "arguments" that are neither a string nor null;
 *   - more than OAI__SCAN_MAX_CHOICES choices or OAI__SCAN_MAX_TOOLS tool
 *     calls in one chunk. */
#include <stdint.h>
#include <string.h>

#include "json/json_text.h"
#include "stream/chunk_scan.h"

/* Bytes that stand for themselves inside a string: printable ASCII but for
 * '"' and '\\'. The rest need a look: the end, an escape, a control byte
 * (refused) or the lead of a UTF-8 sequence. */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The small helpers run once or more per member: inlined, they cost a few
 * instructions instead of a call each. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

/* The first byte at or after p that is not plain (or end). Eight bytes at a
 * time where the byte order allows: a byte is special when it is below
 * 0x20, '"', '\\' or has its high bit set. Each of the tests below is exact
 * up to the lowest byte it flags (a borrow only carries upwards from a real
 * hit), so the lowest flagged byte of the union is the first special one. */
HOT const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    while (end - p >= 8) {
        uint64_t x, q, b, special;
        memcpy(&x, p, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        special = (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & highs;
        if (special)
            return p + (__builtin_ctzll(special) >> 3);
        p += 8;
    }
#endif
    while (p < end && plain_byte[*p])
        p++;
    return p;
}

typedef const unsigned char *pos; /* a position in the text; NULL: decline */

typedef struct scanner {
    pos end;
    char *out; /* where the next decoded string goes */
    int chat;
    oai__scan_chunk *chunk;
} scanner;

/* The position travels in a local (a register) from function to function:
 * kept in the scanner struct, it would be reloaded after every byte written
 * to the scratch space (a char store may alias anything). */

HOT pos skip_space(pos p, pos end)
{
    /* Compact JSON has none: one comparison says so. */
    while (p < end && *p <= ' ' && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Strings, as json.c decodes them (json/json_text.h: the same UTF-8 and
 * escape readers) */

/* Copies a run of plain bytes: short runs without a call (the scratch space
 * has 16 bytes of slack for that; the text is only read within bounds). */
HOT char *copy_run(char *out, pos run, size_t n, pos end)
{
    if (n <= 16 && end - run >= 16)
        memcpy(out, run, 16);
    else
        memcpy(out, run, n);
    return out + n;
}

/* Scans the string whose opening quote is at p. With @p dst, decodes it
 * into the scratch space (NUL-terminated) and points dst at it; without,
 * only validates it. Returns the position after the closing quote. */
static pos scan_string(scanner *sc, pos p, oai__scan_str *dst)
{
    pos end = sc->end;
    char *out = dst ? sc->out : NULL, *start = out;

    p++; /* the opening quote */
    for (;;) {
        pos run = p;
        size_t n = 0, used;

        p = skip_plain(p, end);
        if (out && p > run)
            out = copy_run(out, run, (size_t)(p - run), end);
        if (p >= end)
            return NULL;
        if (*p == '"')
            break;
        if (*p == '\\') {
            used = oai__json_unescape(p + 1, end, out, &n);
            if (used == 0)
                return NULL;
            p += 1 + used;
        } else if (*p < 0x20) {
            return NULL; /* a raw control character */
        } else {
            n = oai__utf8_sequence_at(p, end);
            if (n == 0)
                return NULL;
            if (out)
                memcpy(out, p, n);
            p += n;
        }
        if (out)
            out += n;
    }
    if (dst) {
        *out = '\0';
        dst->p = start;
        dst->len = (size_t)(out - start);
        sc->out = out + 1;
    }
    return p + 1;
}

/* Reads a key (white space first) and its colon, without decoding: a key
 * with an escape declines. Returns the position after the colon. */
HOT pos scan_key(pos p, pos end, const char **key, size_t *len)
{
    pos start;

    p = skip_space(p, end);
    if (p >= end || *p != '"')
        return NULL;
    start = ++p;
    for (;;) {
        size_t n;

        p = skip_plain(p, end);
        if (p >= end || *p == '\\' || *p < 0x20)
            return NULL;
        if (*p == '"')
            break;
        n = oai__utf8_sequence_at(p, end);
        if (n == 0)
            return NULL;
        p += n;
    }
    *key = (const char *)start;
    *len = (size_t)(p - start);
    p++;
    if (p < end && *p == ':')
        return p + 1;
    p = skip_space(p, end);
    return p < end && *p == ':' ? p + 1 : NULL;
}

/* ------------------------------------------------------------------------ */
/* Numbers and literals */

static pos skip_digits(pos p, pos end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as json.c reads it, within
 * the ranges where it surely gives the same value (see the top). */
static pos scan_number(pos p, pos end, oai__scan_int *dst)
{
    pos digits;
    size_t int_digits;
    int negative = 0, real = 0;
    long exponent = 0;
    uint64_t value = 0;

    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        value = value * 10 + (uint64_t)(*p - '0'); /* only used within 18 digits */
        p++;
    }
    int_digits = (size_t)(p - digits);
    if (int_digits == 0 || (*digits == '0' && int_digits > 1))
        return NULL;
    if (p < end && *p == '.') {
        pos frac = ++p;
        p = skip_digits(p, end);
        if (p == frac)
            return NULL;
        real = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        pos exp;
        int exp_negative = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            exp_negative = *p++ == '-';
        exp = p;
        p = skip_digits(p, end);
        if (p == exp || p - exp > 4)
            return NULL;
        for (pos d = exp; d < p; d++)
            exponent = exponent * 10 + (*d - '0');
        if (exp_negative)
            exponent = -exponent;
        real = 1;
    }
    if (real) {
        /* Below 10^301 a double never overflows (strtod's ERANGE with
         * HUGE_VAL, which the parser refuses); underflow it accepts. */
        if ((long)int_digits + exponent > 300)
            return NULL;
    } else if (int_digits > 18) {
        return NULL; /* the parser's int64_t range is decided by it */
    }
    if (dst) {
        dst->is_int = !real;
        if (!real)
            dst->value = negative ? -(int64_t)value : (int64_t)value;
    }
    return p;
}

HOT pos scan_literal(pos p, pos end, const char *word, size_t n)
{
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
        return NULL;
    return p + n;
}

/* ------------------------------------------------------------------------ */
/* Objects, arrays, and values the accumulator does not read: validated and
 * skipped */

/* What comes after a member of an object (white space first): *end is 1 at
 * the object's end, 0 before the next member. */
HOT pos after_member(pos p, pos end, int *closed)
{
    if (p < end && *p == ',') {
        *closed = 0;
        return p + 1;
    }
    p = skip_space(p, end);
    if (p >= end)
        return NULL;
    if (*p == '}') {
        *closed = 1;
        return p + 1;
    }
    if (*p == ',') {
        *closed = 0;
        return p + 1;
    }
    return NULL;
}

/* The same after an item of an array. */
HOT pos after_item(pos p, pos end, int *closed)
{
    p = skip_space(p, end);
    if (p >= end)
        return NULL;
    if (*p == ']') {
        *closed = 1;
        return p + 1;
    }
    if (*p == ',') {
        *closed = 0;
        return p + 1;
    }
    return NULL;
}

/* Opens a container at p ('{' or '['): *closed is 1 when it is empty
 * (and closed, the position after it), 0 when members follow. */
HOT pos open_container(pos p, pos end, unsigned char close, int *closed)
{
    p = skip_space(p + 1, end);
    *closed = p < end && *p == close;
    return *closed ? p + 1 : p;
}

static pos skip_value(scanner *sc, pos p, int depth);

static pos skip_object(scanner *sc, pos p, int depth)
{
    int closed;

    p = open_container(p, sc->end, '}', &closed);
    while (!closed) {
        const char *key;
        size_t len;
        if (!(p = scan_key(p, sc->end, &key, &len)) || !(p = skip_value(sc, p, depth)) ||
            !(p = after_member(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

static pos skip_array(scanner *sc, pos p, int depth)
{
    int closed;

    p = open_container(p, sc->end, ']', &closed);
    while (!closed) {
        if (!(p = skip_value(sc, p, depth)) || !(p = after_item(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

/* A value inside a container at nesting @p depth (the top object is 1),
 * white space first. */
static pos skip_value(scanner *sc, pos p, int depth)
{
    pos end = sc->end;

    p = skip_space(p, end);
    if (p >= end)
        return NULL;
    switch (*p) {
    case '"': return scan_string(sc, p, NULL);
    case 't': return scan_literal(p, end, "true", 4);
    case 'f': return scan_literal(p, end, "false", 5);
    case 'n': return scan_literal(p, end, "null", 4);
    case '{': return depth >= OAI__SCAN_MAX_DEPTH ? NULL : skip_object(sc, p, depth + 1);
    case '[': return depth >= OAI__SCAN_MAX_DEPTH ? NULL : skip_array(sc, p, depth + 1);
    default: return scan_number(p, end, NULL);
    }
}

/* The first byte of the value at p (after white space), 0 at the end. */
HOT unsigned char peek(pos *p, pos end)
{
    *p = skip_space(*p, end);
    return *p < end ? **p : 0;
}

/* A member the accumulator reads as a string: decoded when it is one,
 * otherwise skipped (dst stays absent). */
static pos string_member(scanner *sc, pos p, oai__scan_str *dst, int depth)
{
    if (peek(&p, sc->end) == '"')
        return scan_string(sc, p, dst);
    return skip_value(sc, p, depth);
}

/* A member read as an integer: its value when it is one. */
static pos int_member(scanner *sc, pos p, oai__scan_int *dst, int depth)
{
    unsigned char c = peek(&p, sc->end);

    if (c == '-' || (c >= '0' && c <= '9'))
        return scan_number(p, sc->end, dst);
    return skip_value(sc, p, depth);
}

/* A member whose string value is compared with "error": *is_error says
 * whether it is that. */
static pos member_says_error(scanner *sc, pos p, int depth, int *is_error)
{
    oai__scan_str s = {NULL, 0};
    char *mark = sc->out;

    *is_error = 0;
    /* Only a string that begins with an 'e' or an escape (\u0065 is an 'e')
     * can decode to "error": the others are validated and skipped, not
     * decoded. */
    if (peek(&p, sc->end) != '"' || sc->end - p < 2 || (p[1] != 'e' && p[1] != '\\'))
        return skip_value(sc, p, depth);
    if (!(p = scan_string(sc, p, &s)))
        return NULL;
    /* Compared as a C string, as the tree path does ("error\u0000x" is
     * "error" there). */
    *is_error = strcmp(s.p, "error") == 0;
    sc->out = mark; /* the text is not kept */
    return p;
}

HOT int key_is(const char *key, size_t len, const char *want, size_t want_len)
{
    return len == want_len && memcmp(key, want, want_len) == 0;
}

#define KEY(name) key_is(key, len, name, sizeof(name) - 1)

/* Marks a member read as seen; a second one declines (the parser would keep
 * the last, and the scanner has used the first). */
HOT int first_time(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return 0;
    *seen |= bit;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* The chunk's shape */

/* delta.tool_calls[i].function, at its '{' */
static pos scan_function(scanner *sc, pos p, oai__scan_tool *tool, int depth)
{
    unsigned seen = 0;
    int closed;

    p = open_container(p, sc->end, '}', &closed);
    while (!closed) {
        const char *key;
        size_t len;
        if (!(p = scan_key(p, sc->end, &key, &len)))
            return NULL;
        if (KEY("name")) {
            p = first_time(&seen, 1) ? string_member(sc, p, &tool->name, depth) : NULL;
        } else if (KEY("arguments")) {
            unsigned char c = peek(&p, sc->end);
            if (!first_time(&seen, 2))
                return NULL;
            if (c == '"')
                p = scan_string(sc, p, &tool->arguments);
            else if (c == 'n')
                p = scan_literal(p, sc->end, "null", 4);
            else
                return NULL; /* arguments as JSON: the tree path dumps them */
        } else {
            p = skip_value(sc, p, depth);
        }
        if (!p || !(p = after_member(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

/* One object of delta.tool_calls, at its '{' */
static pos scan_tool(scanner *sc, pos p, int depth)
{
    oai__scan_chunk *k = sc->chunk;
    oai__scan_tool *tool;
    unsigned seen = 0;
    int closed;

    if (k->ntools >= OAI__SCAN_MAX_TOOLS)
        return NULL;
    tool = &k->tools[k->ntools++];
    memset(tool, 0, sizeof(*tool));
    p = open_container(p, sc->end, '}', &closed);
    while (!closed) {
        const char *key;
        size_t len;
        if (!(p = scan_key(p, sc->end, &key, &len)))
            return NULL;
        if (KEY("index")) {
            p = first_time(&seen, 1) ? int_member(sc, p, &tool->index, depth) : NULL;
        } else if (KEY("id")) {
            p = first_time(&seen, 2) ? string_member(sc, p, &tool->id, depth) : NULL;
        } else if (KEY("type")) {
            p = first_time(&seen, 4) ? string_member(sc, p, &tool->type, depth) : NULL;
        } else if (KEY("function")) {
            if (!first_time(&seen, 8))
                return NULL;
            if (peek(&p, sc->end) == '{')
                p = depth >= OAI__SCAN_MAX_DEPTH ? NULL : scan_function(sc, p, tool, depth + 1);
            else
                p = skip_value(sc, p, depth);
        } else {
            p = skip_value(sc, p, depth);
        }
        if (!p || !(p = after_member(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

/* delta.tool_calls, at its '[' */
static pos scan_tool_calls(scanner *sc, pos p, int depth)
{
    int closed;

    p = open_container(p, sc->end, ']', &closed);
    while (!closed) {
        if (peek(&p, sc->end) == '{')
            p = depth >= OAI__SCAN_MAX_DEPTH ? NULL : scan_tool(sc, p, depth + 1);
        else
            p = skip_value(sc, p, depth);
        if (!p || !(p = after_item(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

/* choices[i].delta (chat), at its '{' */
static pos scan_delta(scanner *sc, pos p, oai__scan_choice *ch, int depth)
{
    unsigned seen = 0;
    int closed;

    ch->first_tool = sc->chunk->ntools;
    p = open_container(p, sc->end, '}', &closed);
    while (!closed) {
        const char *key;
        size_t len;
        if (!(p = scan_key(p, sc->end, &key, &len)))
            return NULL;
        if (KEY("content")) {
            p = first_time(&seen, 1) ? string_member(sc, p, &ch->content, depth) : NULL;
        } else if (KEY("role")) {
            p = first_time(&seen, 2) ? string_member(sc, p, &ch->role, depth) : NULL;
        } else if (KEY("refusal")) {
            p = first_time(&seen, 4) ? string_member(sc, p, &ch->refusal, depth) : NULL;
        } else if (KEY("reasoning_content")) {
            p = first_time(&seen, 8) ? string_member(sc, p, &ch->reasoning_content, depth) : NULL;
        } else if (KEY("reasoning")) {
            p = first_time(&seen, 16) ? string_member(sc, p, &ch->reasoning, depth) : NULL;
        } else if (KEY("tool_calls")) {
            if (!first_time(&seen, 32))
                return NULL;
            if (peek(&p, sc->end) == '[')
                p = depth >= OAI__SCAN_MAX_DEPTH ? NULL : scan_tool_calls(sc, p, depth + 1);
            else
                p = skip_value(sc, p, depth);
        } else {
            p = skip_value(sc, p, depth);
        }
        if (!p || !(p = after_member(p, sc->end, &closed)))
            return NULL;
    }
    ch->ntools = sc->chunk->ntools - ch->first_tool;
    return p;
}

static void choice_init(oai__scan_choice *ch, size_t position, int first_tool)
{
    static const oai__scan_str none = {NULL, 0};

    ch->position = position;
    ch->index.is_int = 0;
    ch->index.value = 0;
    ch->finish_reason = ch->text = none;
    ch->role = ch->content = ch->refusal = ch->reasoning_content = ch->reasoning = none;
    ch->first_tool = first_tool;
    ch->ntools = 0;
}

/* One object of choices, at its '{' */
static pos scan_choice(scanner *sc, pos p, size_t position, int depth)
{
    oai__scan_chunk *k = sc->chunk;
    oai__scan_choice *ch;
    unsigned seen = 0;
    int closed;

    if (k->nchoices >= OAI__SCAN_MAX_CHOICES)
        return NULL;
    ch = &k->choices[k->nchoices++];
    choice_init(ch, position, k->ntools);
    p = open_container(p, sc->end, '}', &closed);
    while (!closed) {
        const char *key;
        size_t len;
        if (!(p = scan_key(p, sc->end, &key, &len)))
            return NULL;
        if (KEY("index")) {
            p = first_time(&seen, 1) ? int_member(sc, p, &ch->index, depth) : NULL;
        } else if (KEY("finish_reason")) {
            p = first_time(&seen, 2) ? string_member(sc, p, &ch->finish_reason, depth) : NULL;
        } else if (KEY("logprobs")) {
            /* Logprobs are merged from the tree. */
            p = first_time(&seen, 4) && peek(&p, sc->end) != '{' ? skip_value(sc, p, depth) : NULL;
        } else if (!sc->chat && KEY("text")) {
            p = first_time(&seen, 8) ? string_member(sc, p, &ch->text, depth) : NULL;
        } else if (sc->chat && KEY("delta")) {
            if (!first_time(&seen, 16))
                return NULL;
            if (peek(&p, sc->end) == '{')
                p = depth >= OAI__SCAN_MAX_DEPTH ? NULL : scan_delta(sc, p, ch, depth + 1);
            else
                p = skip_value(sc, p, depth);
        } else {
            p = skip_value(sc, p, depth);
        }
        if (!p || !(p = after_member(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

/* choices, at its '[' */
static pos scan_choices(scanner *sc, pos p, int depth)
{
    oai__scan_chunk *k = sc->chunk;
    size_t position = 0;
    int closed;

    p = open_container(p, sc->end, ']', &closed);
    for (; !closed; position++) {
        if (peek(&p, sc->end) == '{') {
            int at = k->nchoices;
            p = depth >= OAI__SCAN_MAX_DEPTH ? NULL : scan_choice(sc, p, position, depth + 1);
            if (p && position == 0) {
                const oai__scan_int *ix = &k->choices[at].index;
                k->first_choice_index = ix->is_int && ix->value >= 0 && ix->value <= 0x7FFFFFFF
                                            ? (int)ix->value : 0;
            }
        } else {
            p = skip_value(sc, p, depth);
        }
        if (!p || !(p = after_item(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

/* The top-level object, at its '{' */
static pos scan_top(scanner *sc, pos p)
{
    oai__scan_chunk *k = sc->chunk;
    unsigned seen = 0;
    int closed, depth = 1;

    p = open_container(p, sc->end, '}', &closed);
    while (!closed) {
        const char *key;
        size_t len;
        int is_error = 0;
        if (!(p = scan_key(p, sc->end, &key, &len)))
            return NULL;
        if (KEY("id")) {
            p = first_time(&seen, 1) ? string_member(sc, p, &k->id, depth) : NULL;
        } else if (KEY("object")) {
            p = first_time(&seen, 2) ? member_says_error(sc, p, depth, &is_error) : NULL;
        } else if (KEY("created")) {
            p = first_time(&seen, 4) ? int_member(sc, p, &k->created, depth) : NULL;
        } else if (KEY("model")) {
            p = first_time(&seen, 8) ? string_member(sc, p, &k->model, depth) : NULL;
        } else if (KEY("system_fingerprint")) {
            p = first_time(&seen, 16) ? string_member(sc, p, &k->system_fingerprint, depth) : NULL;
        } else if (KEY("choices")) {
            if (!first_time(&seen, 32))
                return NULL;
            if (peek(&p, sc->end) == '[')
                p = scan_choices(sc, p, depth + 1);
            else
                p = skip_value(sc, p, depth);
        } else if (KEY("usage")) {
            /* A usage object is kept as a tree (and makes a USAGE event). */
            p = first_time(&seen, 64) && peek(&p, sc->end) != '{' ? skip_value(sc, p, depth) : NULL;
        } else if (KEY("error")) {
            unsigned char c = peek(&p, sc->end);
            /* An error object or string makes the chunk an error payload. */
            p = first_time(&seen, 128) && c != '{' && c != '"' ? skip_value(sc, p, depth) : NULL;
        } else if (KEY("type")) {
            p = first_time(&seen, 256) ? member_says_error(sc, p, depth, &is_error) : NULL;
        } else {
            p = skip_value(sc, p, depth);
        }
        if (!p || is_error || !(p = after_member(p, sc->end, &closed)))
            return NULL;
    }
    return p;
}

int oai__chunk_scan(const char *text, size_t len, int chat, char *scratch, oai__scan_chunk *out)
{
    static const oai__scan_str none = {NULL, 0};
    scanner sc;
    pos p = (pos)text, end = p + len;

    sc.end = end;
    sc.out = scratch;
    sc.chat = chat;
    sc.chunk = out;
    out->id = out->model = out->system_fingerprint = none;
    out->created.is_int = 0;
    out->created.value = 0;
    out->first_choice_index = 0;
    out->nchoices = out->ntools = 0;
    p = skip_space(p, end);
    if (p >= end || *p != '{' || !(p = scan_top(&sc, p)))
        return 0;
    return skip_space(p, end) == end;
}
