/*
 * oai_tokenizer: exact token counts with OpenAI's o200k_base and
 * cl100k_base encodings (the public side; docs/tokens.md).
 *
 * A count runs in three steps, like tiktoken's: special tokens split the
 * text (when they are allowed), the encoding's pattern splits each part
 * into pieces (pretokenize.c), and byte-pair merging turns each piece into
 * tokens (bpe.c). Only the number of tokens is kept.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "json/json.h"
#include "tokens/tokens.h"
#include "util/util.h"

#ifndef OAI_VOCAB_INSTALL_DIR
#define OAI_VOCAB_INSTALL_DIR "/usr/local/share/oai"
#endif

/* ---- the encodings ---------------------------------------------------- */

typedef struct {
    const char *name;
    int pattern;
    size_t ranks;             /* mergeable ranks in the vocabulary file */
    const char *const *special;
} encoding_desc;

/* tiktoken's special tokens of each encoding (tiktoken_ext/openai_public.py).
 * The chat markers (<|im_start|>, <|im_end|>) belong to other encodings:
 * here they are ordinary text. */
static const char *const o200k_special[] = { "<|endoftext|>", "<|endofprompt|>", NULL };
static const char *const cl100k_special[] = { "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>",
                                              "<|fim_suffix|>", "<|endofprompt|>", NULL };

static const encoding_desc encodings[] = {
    { "o200k_base", OAI__PAT_O200K, 199998, o200k_special },
    { "cl100k_base", OAI__PAT_CL100K, 100256, cl100k_special },
};

static const encoding_desc *find_encoding(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof encodings / sizeof encodings[0]; i++)
        if (strcmp(encodings[i].name, name) == 0)
            return &encodings[i];
    return NULL;
}

/* tiktoken's model table (tiktoken/model.py): exact names first, then
 * prefixes in tiktoken's order. Models of older encodings (r50k, p50k) and
 * of o200k_harmony are not supported and are reported by name. */
static const struct { const char *model, *encoding; } model_names[] = {
    { "o1", "o200k_base" }, { "o3", "o200k_base" }, { "o4-mini", "o200k_base" },
    { "gpt-5", "o200k_base" }, { "gpt-4.1", "o200k_base" }, { "gpt-4o", "o200k_base" },
    { "gpt-4", "cl100k_base" }, { "gpt-3.5-turbo", "cl100k_base" }, { "gpt-3.5", "cl100k_base" },
    { "gpt-35-turbo", "cl100k_base" }, { "davinci-002", "cl100k_base" },
    { "babbage-002", "cl100k_base" }, { "text-embedding-ada-002", "cl100k_base" },
    { "text-embedding-3-small", "cl100k_base" }, { "text-embedding-3-large", "cl100k_base" },
};
static const struct { const char *prefix, *encoding; } model_prefixes[] = {
    { "o1-", "o200k_base" }, { "o3-", "o200k_base" }, { "o4-mini-", "o200k_base" },
    { "gpt-5-", "o200k_base" }, { "gpt-4.5-", "o200k_base" }, { "gpt-4.1-", "o200k_base" },
    { "chatgpt-4o-", "o200k_base" }, { "gpt-4o-", "o200k_base" }, { "gpt-4-", "cl100k_base" },
    { "gpt-3.5-turbo-", "cl100k_base" }, { "gpt-35-turbo-", "cl100k_base" },
    { "ft:gpt-4o", "o200k_base" }, { "ft:gpt-4", "cl100k_base" },
    { "ft:gpt-3.5-turbo", "cl100k_base" }, { "ft:davinci-002", "cl100k_base" },
    { "ft:babbage-002", "cl100k_base" },
    /* Not in tiktoken's table, which names the two models one by one. */
    { "text-embedding-3-", "cl100k_base" },
};

const char *oai__tokenizer_encoding_for_model(const char *model)
{
    size_t i;

    if (!model)
        return NULL;
    for (i = 0; i < sizeof model_names / sizeof model_names[0]; i++)
        if (strcmp(model, model_names[i].model) == 0)
            return model_names[i].encoding;
    for (i = 0; i < sizeof model_prefixes / sizeof model_prefixes[0]; i++)
        if (strncmp(model, model_prefixes[i].prefix, strlen(model_prefixes[i].prefix)) == 0)
            return model_prefixes[i].encoding;
    return NULL;
}

/* ---- the handle ------------------------------------------------------- */

struct oai_tokenizer {
    oai_status status;          /* sticky: construction failed */
    char message[640];          /* of the sticky status, or of the last failed count */
    int has_message;
    const encoding_desc *enc;
    oai__vocab *vocab;
    int special;                /* OAI_TOKENIZER_SPECIAL_* */
    uint64_t work;
};

static void set_message(oai_tokenizer *tok, const char *fmt, ...) OAI_PRINTF(2, 3);
static void set_message(oai_tokenizer *tok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tok->message, sizeof tok->message, fmt, ap);
    va_end(ap);
    tok->has_message = 1;
}

static oai_status fail(oai_tokenizer *tok, oai_status st)
{
    tok->status = st;
    if (!tok->has_message)
        set_message(tok, "%s", oai_status_message(st));
    return st;
}

/* ---- loading ---------------------------------------------------------- */

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes standard base64 (padding optional) into out; returns the length,
 * or -1 when the text is not base64. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    size_t i, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    while (n > 0 && s[n - 1] == '=')
        n--;
    for (i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits >= 6) /* one leftover character cannot be */
        return -1;
    return (long)o;
}

static oai_status read_file(oai_tokenizer *tok, const char *path, oai__buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (!f) {
        set_message(tok, "cannot read the vocabulary file %.400s: %s", path, strerror(errno));
        return OAI_ERR_IO;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (oai__buf_append(out, chunk, n) != OAI_OK) {
            fclose(f);
            return OAI_ERR_OUT_OF_MEMORY;
        }
    }
    if (ferror(f)) {
        set_message(tok, "cannot read the vocabulary file %.400s: %s", path, strerror(errno));
        fclose(f);
        return OAI_ERR_IO;
    }
    fclose(f);
    return OAI_OK;
}

static oai_status bad_vocab(oai_tokenizer *tok, const char *path, size_t line, const char *why)
{
    set_message(tok, "%.400s:%zu: %s (a vocabulary has one token a line: base64 bytes, a space, the rank)",
                path, line, why);
    return OAI_ERR_INVALID_DATA;
}

static oai_status alloc_vocab(oai__vocab *v, size_t lines, size_t bytes)
{
    size_t slots = 1, i;

    while (slots < lines * 2)
        slots <<= 1;
    v->arena = oai__malloc(bytes ? bytes : 1);
    v->off = oai__calloc(lines ? lines : 1, sizeof *v->off);
    v->len = oai__calloc(lines ? lines : 1, sizeof *v->len);
    v->rank = oai__calloc(lines ? lines : 1, sizeof *v->rank);
    v->slots = oai__calloc(slots, sizeof *v->slots);
    if (!v->arena || !v->off || !v->len || !v->rank || !v->slots)
        return OAI_ERR_OUT_OF_MEMORY;
    v->mask = slots - 1;
    for (i = 0; i < 256; i++)
        v->byte_rank[i] = UINT32_MAX;
    return OAI_OK;
}

/* Parses .tiktoken text: "BASE64 RANK" a line (tiktoken's format). */
static oai_status parse_vocab(oai_tokenizer *tok, const char *path, const char *text, size_t len,
                              oai__vocab *v)
{
    size_t lines = 0, i, pos = 0, line_no = 0, arena_len = 0;
    oai_status st;

    if (len > UINT32_MAX) { /* offsets and entries are 32-bit */
        set_message(tok, "%.400s is larger than 4 GiB: not a vocabulary", path);
        return OAI_ERR_INVALID_DATA;
    }
    for (i = 0; i < len; i++)
        lines += text[i] == '\n';
    lines++;
    if ((st = alloc_vocab(v, lines, len)) != OAI_OK)
        return st;
    while (pos < len) {
        const char *line = text + pos, *end = memchr(line, '\n', len - pos), *space;
        size_t n = end ? (size_t)(end - line) : len - pos;
        unsigned long long rank = 0;
        long bytes;
        const char *p;

        pos += n + (end != NULL);
        line_no++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        space = memchr(line, ' ', n);
        if (!space || space == line || space + 1 == line + n)
            return bad_vocab(tok, path, line_no, "not a token and a rank");
        for (p = space + 1; p < line + n; p++) {
            if (*p < '0' || *p > '9' || rank > UINT32_MAX / 10)
                return bad_vocab(tok, path, line_no, "the rank is not a number below 2^32");
            rank = rank * 10 + (unsigned)(*p - '0');
        }
        if (rank >= UINT32_MAX)
            return bad_vocab(tok, path, line_no, "the rank is not a number below 2^32");
        bytes = b64_decode(line, (size_t)(space - line), v->arena + arena_len);
        if (bytes <= 0)
            return bad_vocab(tok, path, line_no, "the token is not base64 of one byte or more");
        v->off[v->count] = (uint32_t)arena_len;
        v->len[v->count] = (uint32_t)bytes;
        v->rank[v->count] = (uint32_t)rank;
        if (oai__vocab_insert(v, (uint32_t)v->count) != OAI_OK)
            return bad_vocab(tok, path, line_no, "the token is listed twice");
        arena_len += (size_t)bytes;
        v->count++;
    }
    for (i = 0; i < 256; i++)
        if (v->byte_rank[i] == UINT32_MAX) {
            set_message(tok, "%.400s: byte 0x%02zx is no token: not a byte-level BPE vocabulary",
                        path, i);
            return OAI_ERR_INVALID_DATA;
        }
    if (v->count != tok->enc->ranks) {
        set_message(tok, "%.400s has %zu tokens; %s has %zu (is it another encoding's file?)", path,
                    v->count, tok->enc->name, tok->enc->ranks);
        return OAI_ERR_INVALID_DATA;
    }
    return OAI_OK;
}

static oai_status load_vocab(oai_tokenizer *tok, const char *path)
{
    oai__buf text = { 0 };
    oai_status st;

    tok->vocab = oai__calloc(1, sizeof *tok->vocab);
    if (!tok->vocab)
        return OAI_ERR_OUT_OF_MEMORY;
    st = read_file(tok, path, &text);
    if (st == OAI_OK)
        st = parse_vocab(tok, path, text.data ? text.data : "", text.len, tok->vocab);
    oai__buf_free(&text);
    return st;
}

/* Where the vocabularies are when no path is given: $OAI_VOCAB_DIR, else
 * the install directory (CMake's DATADIR/oai). */
static const char *default_vocab_dir(void)
{
    const char *dir = getenv("OAI_VOCAB_DIR");

    return dir && *dir ? dir : OAI_VOCAB_INSTALL_DIR;
}

static oai_tokenizer *tokenizer_alloc(void)
{
    oai_tokenizer *tok = oai__calloc(1, sizeof *tok);

    if (tok)
        tok->special = OAI_TOKENIZER_SPECIAL_ORDINARY;
    return tok;
}

static void open_encoding(oai_tokenizer *tok, const char *encoding, const char *path,
                          const char *dir)
{
    char built[1024];
    oai_status st;

    tok->enc = find_encoding(encoding);
    if (!tok->enc) {
        set_message(tok, "unknown encoding '%.100s' (o200k_base and cl100k_base are supported)",
                    encoding ? encoding : "(null)");
        fail(tok, OAI_ERR_INVALID_ARGUMENT);
        return;
    }
    if (!path) {
        int n = snprintf(built, sizeof built, "%s/%s.tiktoken", dir ? dir : default_vocab_dir(),
                         tok->enc->name);
        if (n < 0 || (size_t)n >= sizeof built) {
            set_message(tok, "the vocabulary directory's name is too long");
            fail(tok, OAI_ERR_INVALID_ARGUMENT);
            return;
        }
        path = built;
    }
    st = load_vocab(tok, path);
    if (st != OAI_OK) {
        oai__vocab_free(tok->vocab);
        tok->vocab = NULL;
        fail(tok, st);
    }
}

OAI_API oai_tokenizer *oai_tokenizer_new(const char *encoding, const char *path)
{
    oai_tokenizer *tok = tokenizer_alloc();

    if (tok)
        open_encoding(tok, encoding, path, NULL);
    return tok;
}

OAI_API oai_tokenizer *oai_tokenizer_model_new(const char *model, const char *vocab_dir)
{
    oai_tokenizer *tok = tokenizer_alloc();
    const char *encoding;

    if (!tok)
        return NULL;
    encoding = oai__tokenizer_encoding_for_model(model);
    if (!encoding) {
        set_message(tok, "no known encoding for the model '%.100s' (docs/tokens.md lists the models)",
                    model ? model : "(null)");
        fail(tok, OAI_ERR_INVALID_ARGUMENT);
        return tok;
    }
    open_encoding(tok, encoding, NULL, vocab_dir);
    return tok;
}

OAI_API void oai_tokenizer_free(oai_tokenizer *tok)
{
    if (!tok)
        return;
    oai__vocab_free(tok->vocab);
    oai__free(tok);
}

OAI_API oai_status oai_tokenizer_status(const oai_tokenizer *tok)
{
    return tok ? tok->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_tokenizer_error_message(const oai_tokenizer *tok)
{
    return tok && tok->has_message ? tok->message : NULL;
}

OAI_API const char *oai_tokenizer_name(const oai_tokenizer *tok)
{
    return tok && tok->enc ? tok->enc->name : NULL;
}

OAI_API oai_status oai_tokenizer_set_special_tokens(oai_tokenizer *tok, int mode)
{
    if (!tok)
        return OAI_ERR_INVALID_ARGUMENT;
    if (tok->status != OAI_OK)
        return tok->status;
    if (mode != OAI_TOKENIZER_SPECIAL_ORDINARY && mode != OAI_TOKENIZER_SPECIAL_ALLOWED &&
        mode != OAI_TOKENIZER_SPECIAL_DISALLOWED) {
        set_message(tok, "unknown special-token mode %d", mode);
        return OAI_ERR_INVALID_ARGUMENT;
    }
    tok->special = mode;
    return OAI_OK;
}

uint64_t oai__tokenizer_work(const oai_tokenizer *tok)
{
    return tok ? tok->work : 0;
}

const oai__vocab *oai__tokenizer_vocab(const oai_tokenizer *tok)
{
    return tok ? tok->vocab : NULL;
}

/* ---- counting --------------------------------------------------------- */

/* Pieces longer than this are refused: the merge indexes parts with 32
 * bits. A text may be longer; one run of one class may not. */
#define MAX_PIECE ((size_t)1 << 30)

static oai_status count_ordinary(oai_tokenizer *tok, const char *text, size_t len, int64_t *count)
{
    size_t pos = 0;

    while (pos < len) {
        size_t end = oai__pretokenize_next(tok->enc->pattern, text, len, pos, &tok->work);
        int64_t n;
        if (end - pos > MAX_PIECE) {
            set_message(tok, "the text has a run of %zu bytes that is one piece; at most %zu are counted",
                        end - pos, MAX_PIECE);
            return OAI_ERR_INVALID_ARGUMENT;
        }
        n = oai__bpe_count(tok->vocab, (const unsigned char *)text + pos, end - pos, &tok->work);
        if (n < 0)
            return OAI_ERR_OUT_OF_MEMORY;
        *count += n;
        pos = end;
    }
    return OAI_OK;
}

/* The first special token of the encoding in text[from..len), as tiktoken
 * finds it (leftmost; none is a prefix of another); NULL when none. */
static const char *find_special(const oai_tokenizer *tok, const char *text, size_t len, size_t from,
                                size_t *at, size_t *special_len)
{
    size_t i;

    for (i = from; i + 1 < len; i++) {
        const char *const *s;
        if (text[i] != '<' || text[i + 1] != '|')
            continue;
        for (s = tok->enc->special; *s; s++) {
            size_t n = strlen(*s);
            if (n <= len - i && memcmp(text + i, *s, n) == 0) {
                *at = i;
                *special_len = n;
                return *s;
            }
        }
    }
    return NULL;
}

static oai_status count_valid(oai_tokenizer *tok, const char *text, size_t len, int64_t *count)
{
    size_t pos = 0, at, n;
    const char *special;
    oai_status st;

    if (tok->special == OAI_TOKENIZER_SPECIAL_ORDINARY)
        return count_ordinary(tok, text, len, count);
    while ((special = find_special(tok, text, len, pos, &at, &n)) != NULL) {
        if (tok->special == OAI_TOKENIZER_SPECIAL_DISALLOWED) {
            set_message(tok, "the text holds the special token %s, which is not allowed", special);
            return OAI_ERR_INVALID_ARGUMENT;
        }
        if ((st = count_ordinary(tok, text + pos, at - pos, count)) != OAI_OK)
            return st;
        (*count)++;
        pos = at + n;
    }
    return count_ordinary(tok, text + pos, len - pos, count);
}

oai_status oai__tokenizer_count(oai_tokenizer *tok, const char *text, size_t len, int64_t *count)
{
    char *clean;
    size_t clean_len;
    oai_status st;

    if (oai__utf8_is_valid(text, len))
        return count_valid(tok, text, len, count);
    /* Counted as the text with U+FFFD for each invalid sequence, as
     * tiktoken counts bytes.decode("utf-8", "replace"). */
    clean = oai__utf8_sanitize(text, len, &clean_len);
    if (!clean)
        return OAI_ERR_OUT_OF_MEMORY;
    st = count_valid(tok, clean, clean_len, count);
    oai__free(clean);
    return st;
}

static oai_status check_counting(oai_tokenizer *tok, int64_t *count)
{
    if (count)
        *count = 0;
    if (!tok || !count)
        return OAI_ERR_INVALID_ARGUMENT;
    return tok->status;
}

OAI_API oai_status oai_tokenizer_count_text(oai_tokenizer *tok, const char *text, size_t len,
                                            int64_t *count)
{
    int64_t n = 0;
    oai_status st = check_counting(tok, count);

    if (st != OAI_OK)
        return st;
    if (!text && len > 0) {
        set_message(tok, "the text is NULL");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    st = oai__tokenizer_count(tok, text ? text : "", len, &n);
    if (st == OAI_OK)
        *count = n;
    return st;
}

/* ---- chat messages ---------------------------------------------------- */

#define TOKENS_PER_MESSAGE 3 /* <|start|>{role/name}\n{content}<|end|>\n */
#define TOKENS_PER_NAME 1
#define TOKENS_REPLY_PRIMING 3 /* <|start|>assistant<|message|> */

static oai_status count_value(oai_tokenizer *tok, const oai_value *v, int64_t *count);

static oai_status count_json_text(oai_tokenizer *tok, const oai_value *v, int64_t *count)
{
    char *json = oai_value_json_dup(v);
    oai_status st;

    if (!json)
        return OAI_ERR_OUT_OF_MEMORY;
    st = oai__tokenizer_count(tok, json, strlen(json), count);
    oai_free(json);
    return st;
}

/* A message's value: a string's tokens; for an array of content parts, the
 * tokens of each part's "text" (other parts, images and audio, are not
 * text); any other object or array (tool_calls, function_call) by its JSON
 * text; numbers, booleans and null add nothing. */
static oai_status count_value(oai_tokenizer *tok, const oai_value *v, int64_t *count)
{
    size_t i, n;

    switch (oai_value_type_of(v)) {
    case OAI_VALUE_STRING:
        return oai__tokenizer_count(tok, oai_value_string(v), oai_value_string_len(v), count);
    case OAI_VALUE_ARRAY:
        n = oai_value_count(v);
        for (i = 0; i < n; i++) {
            const oai_value *part = oai_value_item(v, i);
            const oai_value *text = oai_value_get(part, "/text");
            oai_status st;
            if (oai_value_type_of(part) == OAI_VALUE_OBJECT && oai_value_type_of(text) == OAI_VALUE_STRING)
                st = count_value(tok, text, count);
            else if (oai_value_type_of(part) == OAI_VALUE_OBJECT && oai_value_get(part, "/type"))
                st = OAI_OK; /* an image, audio or file part */
            else
                st = count_json_text(tok, part, count);
            if (st != OAI_OK)
                return st;
        }
        return OAI_OK;
    case OAI_VALUE_OBJECT:
        return count_json_text(tok, v, count);
    default:
        return OAI_OK;
    }
}

oai_status oai__tokenizer_count_messages(oai_tokenizer *tok, const oai_value *messages, int64_t *count)
{
    size_t i, n;
    oai_status st;

    if (oai_value_type_of(messages) != OAI_VALUE_ARRAY) {
        set_message(tok, "the messages are not an array");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    n = oai_value_count(messages);
    for (i = 0; i < n; i++) {
        const oai_value *msg = oai_value_item(messages, i);
        size_t k, keys = oai_value_count(msg);
        if (oai_value_type_of(msg) != OAI_VALUE_OBJECT) {
            set_message(tok, "message %zu is not an object", i);
            return OAI_ERR_INVALID_ARGUMENT;
        }
        *count += TOKENS_PER_MESSAGE;
        for (k = 0; k < keys; k++) {
            if ((st = count_value(tok, oai_value_item(msg, k), count)) != OAI_OK)
                return st;
            if (strcmp(oai_value_key(msg, k), "name") == 0)
                *count += TOKENS_PER_NAME;
        }
    }
    *count += TOKENS_REPLY_PRIMING;
    return OAI_OK;
}

OAI_API oai_status oai_tokenizer_count_chat(oai_tokenizer *tok, const oai_request *req, int64_t *count)
{
    int64_t n = 0;
    oai_status st = check_counting(tok, count);
    const oai_value *messages;

    if (st != OAI_OK)
        return st;
    if (!req) {
        set_message(tok, "the request is NULL");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if (req->status != OAI_OK) {
        set_message(tok, "the request carries an error: %s", oai_status_message(req->status));
        return req->status;
    }
    messages = oai_value_get(req->body, "/messages");
    if (!messages) {
        set_message(tok, "the request has no /messages");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    st = oai__tokenizer_count_messages(tok, messages, &n);
    if (st == OAI_OK)
        *count = n;
    return st;
}

OAI_API oai_status oai_tokenizer_count_messages(oai_tokenizer *tok, const char *json, size_t len,
                                                int64_t *count)
{
    int64_t n = 0;
    oai_status st = check_counting(tok, count);
    oai_value *messages;

    if (st != OAI_OK)
        return st;
    if (!json) {
        set_message(tok, "the messages' JSON is NULL");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    messages = oai__json_parse(json, len, &st);
    if (!messages) {
        if (st != OAI_ERR_OUT_OF_MEMORY) {
            set_message(tok, "the messages are not valid JSON (%s)", oai_status_name(st));
            st = OAI_ERR_INVALID_ARGUMENT;
        }
        return st;
    }
    st = oai__tokenizer_count_messages(tok, messages, &n);
    oai__json_decref(messages);
    if (st == OAI_OK)
        *count = n;
    return st;
}
