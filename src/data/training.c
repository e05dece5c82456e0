/* Local validation of fine-tuning training files (JSONL), with statistics.
 *
 * The input is streamed: bytes are split into lines as they arrive, a line
 * that lies wholly inside the current chunk is checked in place, and only a
 * line that spans two chunks is copied into a carry buffer. A line longer
 * than the limit is skipped to its end without being stored, so memory stays
 * bounded by the line limit plus one parsed line, whatever the file's size.
 *
 * Each non-blank line is one example: its bytes are checked as UTF-8 here
 * (the JSON parser's own check would only say "invalid JSON"), then parsed
 * through json.h and checked against the rules of the chosen format. Every
 * problem carries its line, a stable code and a short message that quotes at
 * most a few dozen characters of the line. docs/training-data.md lists the
 * rules and codes; keep the two in step. */
#include "util/util.h"
#include "json/json.h"
#include "tokens/tokens.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest line accepted, in bytes without its line end. Override at build
 * time with -DOAI_TRAINING_MAX_LINE=N. */
#ifndef OAI_TRAINING_MAX_LINE
#define OAI_TRAINING_MAX_LINE ((size_t)4 * 1024 * 1024)
#endif
/* The size of the fixed buffer a file is read through. */
#ifndef OAI_TRAINING_READ_CHUNK
#define OAI_TRAINING_READ_CHUNK ((size_t)64 * 1024)
#endif
/* Problems kept with their messages; the rest are only counted. */
#ifndef OAI_TRAINING_MAX_PROBLEMS
#define OAI_TRAINING_MAX_PROBLEMS 1000
#endif
/* OpenAI rejects a training file with fewer examples than this. */
#define MIN_EXAMPLES 10
/* At most this many code points of the input are quoted in a message. */
#define QUOTE_MAX 40
/* Token estimate: framing per example and per message. */
#define TOKENS_PER_EXAMPLE 3
#define TOKENS_PER_MESSAGE 4
/* Exact counts (with a tokenizer) follow OpenAI's cookbook recipe
 * (Chat_finetuning_data_prep, How_to_count_tokens_with_tiktoken): 3 per
 * message plus the tokens of each of its string values, 1 more for a name,
 * 3 per example for the priming of the reply (TOKENS_PER_EXAMPLE). */
#define EXACT_TOKENS_PER_MESSAGE 3
#define EXACT_TOKENS_PER_NAME 1
/* The default number of epochs when n_epochs is "auto", by the cookbook's
 * rule (docs/tokens.md): 3, raised so that the job sees at least 100
 * examples (at most 25 epochs), lowered so that it sees at most 25000 (at
 * least 1 epoch). */
#define TARGET_EPOCHS 3
#define MIN_TARGET_EXAMPLES 100
#define MAX_TARGET_EXAMPLES 25000
#define MIN_DEFAULT_EPOCHS 1
#define MAX_DEFAULT_EPOCHS 25

typedef struct problem {
    int64_t line;
    const char *code; /* a static string */
    char *message;
} problem;

struct oai_training_report {
    int format;
    int64_t lines;
    int64_t examples;
    /* statistics over the examples that parsed as JSON objects */
    int64_t measured;
    int64_t messages_min;
    int64_t messages_max;
    int64_t messages_total;
    int64_t assistant_messages;
    int64_t characters;
    int64_t tokens_estimated; /* the sum, exact or estimated (named before exact counts) */
    int64_t tokens_max;
    int64_t examples_over_context;
    int64_t tokens_total;            /* = tokens_estimated */
    int64_t tokens_exact;            /* 1: counted with a tokenizer */
    int64_t billed_tokens_per_epoch; /* each example's tokens, capped at the context limit */
    int64_t epochs;                  /* the default for n_epochs "auto" */
    int64_t billed_tokens;           /* billed_tokens_per_epoch * epochs */
    const char *encoding;            /* the tokenizer's ("o200k_base", a static string), or NULL */
    /* the first OAI_TRAINING_MAX_PROBLEMS problems, and the count of all */
    problem *problems;
    size_t problem_count;
    int64_t problems_total;
    /* OAI_OK, OAI_ERR_INVALID_DATA, or why the data could not be read */
    oai_status status;
    char *error_message;
};

/* The streaming state: line splitting, the current line, the report. */
typedef struct validator {
    int format;
    int64_t context_limit;
    oai_tokenizer *tok;   /* exact counts, or NULL: the estimate */
    size_t max_line;
    oai_training_report *report;
    oai__buf carry;        /* the start of a line that spans chunks */
    int skipping;         /* the current line is over the limit */
    size_t skipped_bytes; /* its length so far */
    char skipped_last;    /* its last byte so far */
    oai_status fatal;     /* OAI_ERR_OUT_OF_MEMORY once memory ran out */
} validator;

/* What one example adds up to. A "section" is a run of messages whose tokens
 * are summed: a chat's messages, or a DPO input or output. */
typedef struct example {
    int64_t line;
    int64_t messages;
    int64_t assistants;
    int64_t trainable; /* assistant messages with weight 1 (or none) */
    int64_t characters;
} example;

typedef struct section {
    const char *where; /* "messages", "input.messages", "preferred_output" */
    int output;        /* a DPO output: every item must be an assistant message */
    int64_t tokens;
} section;

typedef enum role {
    ROLE_MISSING,
    ROLE_UNKNOWN,
    ROLE_SYSTEM,
    ROLE_DEVELOPER,
    ROLE_USER,
    ROLE_ASSISTANT,
    ROLE_TOOL
} role;

/* ------------------------------------------------------------------------ */
/* Problems */

static const char *format_name(int format)
{
    switch (format) {
    case OAI_TRAINING_CHAT: return "chat";
    case OAI_TRAINING_PREFERENCE: return "preference";
    case OAI_TRAINING_COMPLETION: return "completion";
    default: return "unknown";
    }
}

/* Records a problem; past the cap it is only counted. Memory exhaustion is
 * remembered in v->fatal and ends the run. */
static void add_problem(validator *v, int64_t line, const char *code, const char *fmt, ...)
    OAI_PRINTF(4, 5);

static void add_problem(validator *v, int64_t line, const char *code, const char *fmt, ...)
{
    oai_training_report *r = v->report;
    r->problems_total++;
    if (r->problem_count >= OAI_TRAINING_MAX_PROBLEMS)
        return;
    if (r->problems == NULL) {
        r->problems = oai__calloc(OAI_TRAINING_MAX_PROBLEMS, sizeof *r->problems);
        if (r->problems == NULL) {
            v->fatal = OAI_ERR_OUT_OF_MEMORY;
            return;
        }
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char *message = oai__strdup(text);
    if (message == NULL) {
        v->fatal = OAI_ERR_OUT_OF_MEMORY;
        return;
    }
    problem *p = &r->problems[r->problem_count++];
    p->line = line;
    p->code = code;
    p->message = message;
}

/* "a string", "an array", ... for messages about a value of the wrong type. */
static const char *type_phrase(const oai_value *value)
{
    switch (oai_value_type_of(value)) {
    case OAI_VALUE_NULL: return "null";
    case OAI_VALUE_BOOL: return "a boolean";
    case OAI_VALUE_INT:
    case OAI_VALUE_NUMBER: return "a number";
    case OAI_VALUE_STRING: return "a string";
    case OAI_VALUE_ARRAY: return "an array";
    case OAI_VALUE_OBJECT: return "an object";
    default: return "missing";
    }
}

/* Length of the UTF-8 sequence that starts with byte c (valid input). */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0x80) return 1;
    if (c >= 0xF0) return 4;
    if (c >= 0xE0) return 3;
    return 2;
}

/* Copies at most QUOTE_MAX code points of valid UTF-8 into out, escaping
 * control characters, and marks a cut with "...". out must hold QUOTE_BYTES. */
#define QUOTE_BYTES (QUOTE_MAX * 4 + 8)
static const char *quote_text(const char *s, size_t len, char out[QUOTE_BYTES])
{
    size_t in = 0, o = 0;
    int points = 0;
    while (in < len && points < QUOTE_MAX) {
        unsigned char c = (unsigned char)s[in];
        size_t n = utf8_seq_len(c);
        if (n > len - in)
            break;
        if (c < 0x20 || c == 0x7F) {
            snprintf(out + o, 5, "\\x%02X", c);
            o += 4;
        } else {
            memcpy(out + o, s + in, n);
            o += n;
        }
        in += n;
        points++;
    }
    if (in < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* ------------------------------------------------------------------------ */
/* UTF-8 */

/* Checks that s[0..len) is well-formed UTF-8 (Unicode table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF). On failure stores the
 * offset of the bad sequence and a reason, and returns 0. */
static int utf8_check(const char *s, size_t len, size_t *bad_at, const char **why)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* ASCII runs dominate: skip 8 bytes at a time. */
        if (len - i >= 8) {
            uint64_t word;
            memcpy(&word, p + i, 8);
            if ((word & UINT64_C(0x8080808080808080)) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
        *bad_at = i;
        if (c < 0xC0) {
            *why = "unexpected continuation byte";
            return 0;
        } else if (c < 0xC2) {
            *why = "overlong encoding";
            return 0;
        } else if (c < 0xE0) {
            need = 1;
        } else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c < 0xF5) {
            need = 3;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            *why = c < 0xF8 ? "code point above U+10FFFF" : "byte that never occurs in UTF-8";
            return 0;
        }
        if (i + 1 < len) {
            unsigned char second = p[i + 1];
            if ((second & 0xC0) == 0x80 && (second < lo || second > hi)) {
                if (c == 0xED)
                    *why = "UTF-16 surrogate (U+D800..U+DFFF)";
                else if (c == 0xF4)
                    *why = "code point above U+10FFFF";
                else
                    *why = "overlong encoding";
                return 0;
            }
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= len) {
                *why = "sequence cut short by the end of the line";
                return 0;
            }
            if ((p[i + k] & 0xC0) != 0x80) {
                *why = "sequence cut short by a byte that is no continuation byte";
                return 0;
            }
        }
        i += need + 1;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Text measures and the token estimate */

/* The exact tokens of a text with the validator's tokenizer; a failure
 * (memory) ends the run. */
static int64_t exact_tokens(validator *v, const char *s, size_t len)
{
    int64_t n = 0;
    oai_status st = oai__tokenizer_count(v->tok, s ? s : "", s ? len : 0, &n);
    if (st != OAI_OK) {
        v->fatal = st == OAI_ERR_OUT_OF_MEMORY ? st : OAI_ERR_INVALID_DATA;
        return 0;
    }
    return n;
}

/* Adds a string's code points to the example and returns its tokens:
 * exact with a tokenizer, else estimated as ceil(ASCII bytes / 4) plus one
 * per non-ASCII code point (so CJK, where tiktoken spends about a token per
 * character, is not undercounted). */
static int64_t measure_text(validator *v, example *ex, const char *s, size_t len)
{
    int64_t ascii = 0, other = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80)
            ascii++;
        else if ((c & 0xC0) != 0x80)
            other++;
    }
    if (ex != NULL)
        ex->characters += ascii + other;
    if (v->tok != NULL)
        return exact_tokens(v, s, len);
    return (ascii + 3) / 4 + other;
}

static int64_t measure_string(validator *v, example *ex, const oai_value *str)
{
    return measure_text(v, ex, oai_value_string(str), oai_value_string_len(str));
}

/* Tool definitions cost what their compact JSON text costs. They are no
 * "text content", so they add no characters. */
static int64_t tools_tokens(validator *v, const oai_value *tools)
{
    size_t len = 0;
    char *text = oai__json_dump(tools, &len);
    if (text == NULL) {
        v->fatal = OAI_ERR_OUT_OF_MEMORY;
        return 0;
    }
    int64_t tokens = measure_text(v, NULL, text, len);
    oai__free(text);
    return tokens;
}

/* ------------------------------------------------------------------------ */
/* Messages */

static const oai_value *member(const oai_value *obj, const char *key)
{
    return oai__json_object_get(obj, key);
}

static int is_type(const oai_value *value, int type)
{
    return oai_value_type_of(value) == type;
}

static int is_nonempty_string(const oai_value *value)
{
    return is_type(value, OAI_VALUE_STRING) && oai_value_string_len(value) > 0;
}

static int string_equals(const oai_value *value, const char *s)
{
    size_t n = strlen(s);
    return is_type(value, OAI_VALUE_STRING) && oai_value_string_len(value) == n &&
           memcmp(oai_value_string(value), s, n) == 0;
}

static role role_of(const oai_value *msg)
{
    static const struct {
        const char *name;
        role value;
    } roles[] = {{"system", ROLE_SYSTEM}, {"developer", ROLE_DEVELOPER}, {"user", ROLE_USER},
                 {"assistant", ROLE_ASSISTANT}, {"tool", ROLE_TOOL}};
    const oai_value *r = member(msg, "role");
    if (!is_type(r, OAI_VALUE_STRING))
        return ROLE_MISSING;
    for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
        if (string_equals(r, roles[i].name))
            return roles[i].value;
    return ROLE_UNKNOWN;
}

/* The role as the message shows it, for messages: "user", or "no role". */
static const char *role_label(const oai_value *msg, char out[QUOTE_BYTES])
{
    const oai_value *r = member(msg, "role");
    if (!is_type(r, OAI_VALUE_STRING))
        return "no role";
    return quote_text(oai_value_string(r), oai_value_string_len(r), out);
}

static void check_role(validator *v, example *ex, const section *sec, size_t i, const oai_value *msg,
                       role r)
{
    char q[QUOTE_BYTES];
    if (sec->output && r != ROLE_ASSISTANT) {
        if (r == ROLE_MISSING)
            add_problem(v, ex->line, "bad_output", "%s[%zu] has no string \"role\"; it must be an assistant message",
                        sec->where, i);
        else
            add_problem(v, ex->line, "bad_output", "%s[%zu] must be an assistant message, not role \"%s\"",
                        sec->where, i, role_label(msg, q));
    } else if (r == ROLE_MISSING) {
        const oai_value *rv = member(msg, "role");
        if (rv == NULL)
            add_problem(v, ex->line, "unknown_role", "%s[%zu] has no \"role\"", sec->where, i);
        else
            add_problem(v, ex->line, "unknown_role", "%s[%zu].role must be a string, not %s", sec->where,
                        i, type_phrase(rv));
    } else if (r == ROLE_UNKNOWN) {
        add_problem(v, ex->line, "unknown_role",
                    "%s[%zu] has role \"%s\"; expected system, developer, user, assistant or tool",
                    sec->where, i, role_label(msg, q));
    }
}

/* Checks one content part; returns its tokens. */
static int64_t check_content_part(validator *v, example *ex, const section *sec, size_t i, size_t k,
                                  const oai_value *part)
{
    const oai_value *type = member(part, "type");
    if (!is_type(part, OAI_VALUE_OBJECT) || !is_type(type, OAI_VALUE_STRING)) {
        add_problem(v, ex->line, "invalid_content_part",
                    "%s[%zu].content[%zu] must be an object with a string \"type\"", sec->where, i, k);
        return 0;
    }
    if (!string_equals(type, "text"))
        return 0; /* images and other parts: their type is all we can check */
    const oai_value *text = member(part, "text");
    if (!is_type(text, OAI_VALUE_STRING))
        add_problem(v, ex->line, "missing_content", "%s[%zu].content[%zu] is a text part without a string \"text\"",
                    sec->where, i, k);
    else if (oai_value_string_len(text) == 0)
        add_problem(v, ex->line, "empty_content", "%s[%zu].content[%zu] has an empty \"text\"", sec->where, i, k);
    return measure_string(v, ex, text);
}

/* Checks "content"; returns its tokens. may_be_empty: an assistant message
 * that calls tools needs no content. */
static int64_t check_content(validator *v, example *ex, const section *sec, size_t i, const oai_value *msg,
                             int may_be_empty)
{
    const oai_value *content = member(msg, "content");
    int type = oai_value_type_of(content);
    char q[QUOTE_BYTES];
    if (type == OAI_VALUE_NONE || type == OAI_VALUE_NULL) {
        if (!may_be_empty)
            add_problem(v, ex->line, "missing_content", "%s[%zu] (%s) has no \"content\"", sec->where, i,
                        role_label(msg, q));
        return 0;
    }
    if (type == OAI_VALUE_STRING) {
        if (oai_value_string_len(content) == 0 && !may_be_empty)
            add_problem(v, ex->line, "empty_content", "%s[%zu] (%s) has an empty \"content\"", sec->where, i,
                        role_label(msg, q));
        return measure_string(v, ex, content);
    }
    if (type != OAI_VALUE_ARRAY) {
        add_problem(v, ex->line, "missing_content",
                    "%s[%zu].content must be a string or an array of content parts, not %s", sec->where, i,
                    type_phrase(content));
        return 0;
    }
    size_t parts = oai__json_array_size(content);
    if (parts == 0 && !may_be_empty)
        add_problem(v, ex->line, "empty_content", "%s[%zu] (%s) has an empty \"content\" array", sec->where, i,
                    role_label(msg, q));
    int64_t tokens = 0;
    for (size_t k = 0; k < parts && !v->fatal; k++)
        tokens += check_content_part(v, ex, sec, i, k, oai__json_array_get(content, k));
    return tokens;
}

/* Checks one entry of an assistant's "tool_calls"; returns its tokens. */
static int64_t check_tool_call(validator *v, example *ex, const section *sec, size_t i, size_t k,
                               const oai_value *call)
{
    if (!is_type(call, OAI_VALUE_OBJECT)) {
        add_problem(v, ex->line, "bad_tool_call", "%s[%zu].tool_calls[%zu] must be an object, not %s",
                    sec->where, i, k, type_phrase(call));
        return 0;
    }
    if (!is_nonempty_string(member(call, "id")))
        add_problem(v, ex->line, "tool_call_missing_id", "%s[%zu].tool_calls[%zu] has no string \"id\"",
                    sec->where, i, k);
    const oai_value *fn = member(call, "function");
    const oai_value *name = member(fn, "name");
    if (!is_nonempty_string(name)) {
        add_problem(v, ex->line, "tool_call_missing_name",
                    "%s[%zu].tool_calls[%zu] has no \"function\" object with a string \"name\"", sec->where, i,
                    k);
        return 0;
    }
    const oai_value *args = member(fn, "arguments");
    if (!is_type(args, OAI_VALUE_STRING)) {
        add_problem(v, ex->line, "bad_tool_call",
                    "%s[%zu].tool_calls[%zu].function.arguments must be a string of JSON, not %s", sec->where,
                    i, k, type_phrase(args));
        return measure_string(v, ex, name);
    }
    return measure_string(v, ex, name) + measure_string(v, ex, args);
}

/* Checks "tool_calls"; returns its tokens and sets *calls_tools when the
 * message calls at least one tool. */
static int64_t check_tool_calls(validator *v, example *ex, const section *sec, size_t i, const oai_value *msg,
                                int *calls_tools)
{
    const oai_value *calls = member(msg, "tool_calls");
    int type = oai_value_type_of(calls);
    *calls_tools = 0;
    if (type == OAI_VALUE_NONE || type == OAI_VALUE_NULL)
        return 0;
    if (type != OAI_VALUE_ARRAY) {
        add_problem(v, ex->line, "bad_tool_call", "%s[%zu].tool_calls must be an array, not %s", sec->where, i,
                    type_phrase(calls));
        return 0;
    }
    size_t n = oai__json_array_size(calls);
    int64_t tokens = 0;
    for (size_t k = 0; k < n && !v->fatal; k++)
        tokens += check_tool_call(v, ex, sec, i, k, oai__json_array_get(calls, k));
    *calls_tools = n > 0;
    return tokens;
}

/* Checks "weight"; returns 1 when the message is trained on (weight absent
 * or 1), else 0. */
static int check_weight(validator *v, example *ex, const section *sec, size_t i, const oai_value *msg, role r)
{
    const oai_value *weight = member(msg, "weight");
    char q[QUOTE_BYTES];
    if (weight == NULL)
        return 1;
    if (r != ROLE_ASSISTANT) {
        add_problem(v, ex->line, "bad_weight", "%s[%zu] (%s) has a \"weight\"; only assistant messages may",
                    sec->where, i, role_label(msg, q));
        return 0;
    }
    int type = oai_value_type_of(weight);
    double w = oai_value_number(weight);
    if ((type != OAI_VALUE_INT && type != OAI_VALUE_NUMBER) || (w != 0.0 && w != 1.0)) {
        if (type == OAI_VALUE_INT || type == OAI_VALUE_NUMBER)
            add_problem(v, ex->line, "bad_weight", "%s[%zu].weight must be 0 or 1, not %g", sec->where, i, w);
        else
            add_problem(v, ex->line, "bad_weight", "%s[%zu].weight must be 0 or 1, not %s", sec->where, i,
                        type_phrase(weight));
        return 0;
    }
    return w == 1.0;
}

/* The cookbook's recipe for what a message costs besides its content and
 * tool calls: 3, the tokens of its other string values (role, name,
 * tool_call_id), and 1 more for a name. */
static int64_t exact_message_overhead(validator *v, const oai_value *msg)
{
    int64_t tokens = EXACT_TOKENS_PER_MESSAGE;
    size_t n = oai_value_count(msg);
    for (size_t k = 0; k < n && !v->fatal; k++) {
        const char *key = oai_value_key(msg, k);
        const oai_value *value = oai_value_item(msg, k);
        if (strcmp(key, "content") == 0 || !is_type(value, OAI_VALUE_STRING))
            continue;
        tokens += exact_tokens(v, oai_value_string(value), oai_value_string_len(value));
        if (strcmp(key, "name") == 0)
            tokens += EXACT_TOKENS_PER_NAME;
    }
    return tokens;
}

/* Checks one message of a section and adds it to the example. */
static void check_message(validator *v, example *ex, section *sec, size_t i, const oai_value *msg)
{
    if (!is_type(msg, OAI_VALUE_OBJECT)) {
        add_problem(v, ex->line, sec->output ? "bad_output" : "invalid_message",
                    "%s[%zu] must be an object, not %s", sec->where, i, type_phrase(msg));
        return;
    }
    role r = role_of(msg);
    check_role(v, ex, sec, i, msg, r);
    int calls_tools = 0;
    int64_t tokens = v->tok ? exact_message_overhead(v, msg) : TOKENS_PER_MESSAGE;
    if (r == ROLE_ASSISTANT) {
        tokens += check_tool_calls(v, ex, sec, i, msg, &calls_tools);
        ex->assistants++;
    }
    int legacy_call = r == ROLE_ASSISTANT && is_type(member(msg, "function_call"), OAI_VALUE_OBJECT);
    tokens += check_content(v, ex, sec, i, msg, calls_tools || legacy_call);
    if (check_weight(v, ex, sec, i, msg, r) && r == ROLE_ASSISTANT)
        ex->trainable++;
    if (r == ROLE_TOOL && !is_nonempty_string(member(msg, "tool_call_id")))
        add_problem(v, ex->line, "tool_message_missing_id", "%s[%zu] (tool) has no string \"tool_call_id\"",
                    sec->where, i);
    sec->tokens += tokens;
}

static void check_messages(validator *v, example *ex, section *sec, const oai_value *msgs)
{
    size_t n = oai__json_array_size(msgs);
    ex->messages += (int64_t)n;
    for (size_t i = 0; i < n && !v->fatal; i++)
        check_message(v, ex, sec, i, oai__json_array_get(msgs, i));
}

/* Checks the optional "tools" array; returns its tokens. */
static int64_t check_tools(validator *v, example *ex, const char *where, const oai_value *tools)
{
    int type = oai_value_type_of(tools);
    if (type == OAI_VALUE_NONE || type == OAI_VALUE_NULL)
        return 0;
    if (type != OAI_VALUE_ARRAY) {
        add_problem(v, ex->line, "bad_tools", "\"%s\" must be an array, not %s", where, type_phrase(tools));
        return 0;
    }
    size_t n = oai__json_array_size(tools);
    for (size_t k = 0; k < n; k++)
        if (!is_type(oai__json_array_get(tools, k), OAI_VALUE_OBJECT)) {
            add_problem(v, ex->line, "bad_tools", "%s[%zu] must be an object, not %s", where, k,
                        type_phrase(oai__json_array_get(tools, k)));
            return 0;
        }
    return n ? tools_tokens(v, tools) : 0;
}

/* A hint for a chat line that looks like another format. */
static const char *format_hint(const oai_value *obj)
{
    if (member(obj, "prompt") != NULL)
        return " (this looks like a completion-format example)";
    if (member(obj, "input") != NULL || member(obj, "preferred_output") != NULL)
        return " (this looks like a preference-format example)";
    return "";
}

/* Checks a "messages" array that must be present and non-empty; returns 1
 * when its messages could be checked. */
static int check_messages_array(validator *v, example *ex, section *sec, const oai_value *owner,
                                const char *hint)
{
    const oai_value *msgs = member(owner, "messages");
    if (msgs == NULL) {
        add_problem(v, ex->line, "missing_messages", "\"%s\" is missing%s", sec->where, hint);
        return 0;
    }
    if (!is_type(msgs, OAI_VALUE_ARRAY)) {
        add_problem(v, ex->line, "missing_messages", "\"%s\" must be an array, not %s", sec->where,
                    type_phrase(msgs));
        return 0;
    }
    if (oai__json_array_size(msgs) == 0) {
        add_problem(v, ex->line, "empty_messages", "\"%s\" is empty", sec->where);
        return 0;
    }
    check_messages(v, ex, sec, msgs);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* The three formats; each returns the example's estimated tokens. */

static int64_t check_chat(validator *v, example *ex, const oai_value *obj)
{
    section sec = {"messages", 0, 0};
    if (check_messages_array(v, ex, &sec, obj, format_hint(obj))) {
        if (ex->assistants == 0)
            add_problem(v, ex->line, "no_assistant_message", "no assistant message to learn from");
        else if (ex->trainable == 0)
            add_problem(v, ex->line, "no_assistant_message",
                        "every assistant message has weight 0: nothing to learn from");
    }
    int64_t tools = check_tools(v, ex, "tools", member(obj, "tools"));
    return TOKENS_PER_EXAMPLE + sec.tokens + tools;
}

/* Checks preferred_output or non_preferred_output; returns its tokens. */
static int64_t check_output(validator *v, example *ex, const oai_value *obj, const char *key,
                            const char *missing_code)
{
    section sec = {key, 1, 0};
    const oai_value *out = member(obj, key);
    if (out == NULL)
        add_problem(v, ex->line, missing_code, "\"%s\" is missing", key);
    else if (!is_type(out, OAI_VALUE_ARRAY))
        add_problem(v, ex->line, missing_code, "\"%s\" must be an array of assistant messages, not %s", key,
                    type_phrase(out));
    else if (oai__json_array_size(out) == 0)
        add_problem(v, ex->line, missing_code, "\"%s\" is empty; it needs an assistant message", key);
    else
        check_messages(v, ex, &sec, out);
    return sec.tokens;
}

/* The context must hold the input and either output, one at a time. */
static int64_t check_preference(validator *v, example *ex, const oai_value *obj)
{
    section sec = {"input.messages", 0, 0};
    const oai_value *input = member(obj, "input");
    int64_t tools = 0;
    if (input == NULL)
        add_problem(v, ex->line, "missing_messages", "\"input\" is missing; it holds the \"messages\" array");
    else if (!is_type(input, OAI_VALUE_OBJECT))
        add_problem(v, ex->line, "missing_messages", "\"input\" must be an object with a \"messages\" array, not %s",
                    type_phrase(input));
    else {
        check_messages_array(v, ex, &sec, input, "");
        tools = check_tools(v, ex, "input.tools", member(input, "tools"));
    }
    int64_t preferred = check_output(v, ex, obj, "preferred_output", "missing_preferred_output");
    int64_t other = check_output(v, ex, obj, "non_preferred_output", "missing_non_preferred_output");
    return TOKENS_PER_EXAMPLE + sec.tokens + tools + (preferred > other ? preferred : other);
}

static int64_t check_completion(validator *v, example *ex, const oai_value *obj)
{
    const oai_value *prompt = member(obj, "prompt");
    const oai_value *completion = member(obj, "completion");
    if (prompt == NULL)
        add_problem(v, ex->line, "missing_prompt", "\"prompt\" is missing");
    else if (!is_type(prompt, OAI_VALUE_STRING))
        add_problem(v, ex->line, "missing_prompt", "\"prompt\" must be a string, not %s", type_phrase(prompt));
    if (completion == NULL)
        add_problem(v, ex->line, "missing_completion", "\"completion\" is missing");
    else if (!is_type(completion, OAI_VALUE_STRING))
        add_problem(v, ex->line, "missing_completion", "\"completion\" must be a string, not %s",
                    type_phrase(completion));
    else if (oai_value_string_len(completion) == 0)
        add_problem(v, ex->line, "empty_completion", "\"completion\" is empty");
    return TOKENS_PER_EXAMPLE + measure_string(v, ex, prompt) + measure_string(v, ex, completion);
}

/* ------------------------------------------------------------------------ */
/* One line */

static void add_example_stats(validator *v, const example *ex, int64_t tokens)
{
    oai_training_report *r = v->report;
    if (r->measured == 0 || ex->messages < r->messages_min)
        r->messages_min = ex->messages;
    if (ex->messages > r->messages_max)
        r->messages_max = ex->messages;
    r->measured++;
    r->messages_total += ex->messages;
    r->assistant_messages += ex->assistants;
    r->characters += ex->characters;
    r->tokens_estimated += tokens;
    r->tokens_total += tokens;
    if (tokens > r->tokens_max)
        r->tokens_max = tokens;
    r->billed_tokens_per_epoch += v->context_limit > 0 && tokens > v->context_limit ? v->context_limit : tokens;
    if (v->context_limit > 0 && tokens > v->context_limit) {
        r->examples_over_context++;
        if (v->tok)
            add_problem(v, ex->line, "over_context_limit",
                        "the example has %lld tokens (%s), more than the context limit of %lld",
                        (long long)tokens, r->encoding, (long long)v->context_limit);
        else
            add_problem(v, ex->line, "over_context_limit",
                        "the example has about %lld tokens (estimated), more than the context limit of %lld",
                        (long long)tokens, (long long)v->context_limit);
    }
}

static void check_object(validator *v, int64_t line, const oai_value *obj)
{
    example ex;
    memset(&ex, 0, sizeof ex);
    ex.line = line;
    int64_t tokens;
    if (v->format == OAI_TRAINING_CHAT)
        tokens = check_chat(v, &ex, obj);
    else if (v->format == OAI_TRAINING_PREFERENCE)
        tokens = check_preference(v, &ex, obj);
    else
        tokens = check_completion(v, &ex, obj);
    add_example_stats(v, &ex, tokens);
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* A line over the limit counts as an example that has a problem. */
static void report_long_line(validator *v, int64_t line, size_t len)
{
    v->report->examples++;
    add_problem(v, line, "line_too_long", "the line is %zu bytes long, more than the limit of %zu bytes", len,
                v->max_line);
}

/* The current line went past the limit while it was read: it was skipped,
 * never stored. */
static void finish_skipped_line(validator *v)
{
    size_t len = v->skipped_bytes - (v->skipped_last == '\r'); /* the CR belongs to the line end */
    report_long_line(v, ++v->report->lines, len);
    v->skipping = 0;
    v->skipped_bytes = 0;
    v->skipped_last = 0;
}

/* Checks one complete line (without its LF). */
static void check_line(validator *v, const char *s, size_t len)
{
    oai_training_report *r = v->report;
    int64_t line = ++r->lines;
    size_t bom = 0;
    if (line == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        bom = 3; /* a byte order mark opens many files saved on Windows */
        s += bom;
        len -= bom;
    }
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (bom + len > v->max_line) {
        report_long_line(v, line, bom + len); /* it was kept only for its possible CR */
        return;
    }
    if (is_blank(s, len))
        return;
    r->examples++;
    size_t bad_at;
    const char *why;
    if (!utf8_check(s, len, &bad_at, &why)) {
        add_problem(v, line, "invalid_utf8", "invalid UTF-8 at byte %zu of the line (0x%02X): %s", bom + bad_at + 1,
                    (unsigned)(unsigned char)s[bad_at], why);
        return;
    }
    oai_status st;
    oai_value *doc = oai__json_parse(s, len, &st);
    if (doc == NULL) {
        char q[QUOTE_BYTES];
        if (st == OAI_ERR_OUT_OF_MEMORY)
            v->fatal = st;
        else
            add_problem(v, line, "invalid_json", "the line is not valid JSON: %s", quote_text(s, len, q));
        return;
    }
    if (!is_type(doc, OAI_VALUE_OBJECT))
        add_problem(v, line, "not_object", "each line must be a JSON object, not %s", type_phrase(doc));
    else
        check_object(v, line, doc);
    oai__json_decref(doc);
}


/* A line is kept while it may still fit: its bytes up to the limit plus one
 * for the CR of a CRLF line end. */
static int too_long(const validator *v, size_t len)
{
    return len > v->max_line + 1;
}

/* Handles the bytes of one line segment: the whole line, or the part of it
 * inside this chunk. `ended` says whether its LF was seen. */
static void take_segment(validator *v, const char *seg, size_t len, int ended)
{
    if (!v->skipping && too_long(v, v->carry.len + len)) {
        v->skipping = 1;
        v->skipped_bytes = v->carry.len;
        oai__buf_reset(&v->carry);
    }
    if (v->skipping) {
        v->skipped_bytes += len;
        if (len > 0)
            v->skipped_last = seg[len - 1];
        if (ended)
            finish_skipped_line(v);
        return;
    }
    if (ended && v->carry.len == 0) {
        check_line(v, seg, len); /* the common case: no copy */
        return;
    }
    if (oai__buf_append(&v->carry, seg, len) != OAI_OK) {
        v->fatal = OAI_ERR_OUT_OF_MEMORY;
        return;
    }
    if (ended) {
        check_line(v, v->carry.data, v->carry.len);
        oai__buf_reset(&v->carry);
    }
}

/* Feeds a chunk of the input. */
static void feed(validator *v, const char *data, size_t len)
{
    while (len > 0 && !v->fatal) {
        const char *nl = memchr(data, '\n', len);
        size_t seg = nl ? (size_t)(nl - data) : len;
        take_segment(v, data, seg, nl != NULL);
        if (nl == NULL)
            break;
        data += seg + 1;
        len -= seg + 1;
    }
}

/* Handles a last line without LF, then the whole-file rules (line 0). */
static void finish(validator *v)
{
    oai_training_report *r = v->report;
    if (!v->fatal && v->skipping)
        finish_skipped_line(v);
    else if (!v->fatal && v->carry.len > 0)
        check_line(v, v->carry.data, v->carry.len);
    oai__buf_free(&v->carry);
    if (v->fatal)
        return;
    if (r->examples == 0)
        add_problem(v, 0, "empty_file", "the file holds no examples");
    else if (r->examples < MIN_EXAMPLES)
        add_problem(v, 0, "too_few_examples", "the file holds %lld example%s; fine-tuning needs at least %d",
                    (long long)r->examples, r->examples == 1 ? "" : "s", MIN_EXAMPLES);
    r->epochs = oai__training_default_epochs(r->examples);
    r->billed_tokens = r->billed_tokens_per_epoch * r->epochs;
}

int64_t oai__training_default_epochs(int64_t examples)
{
    if (examples <= 0)
        return 0;
    if (examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES) {
        int64_t n = MIN_TARGET_EXAMPLES / examples;
        return n < MAX_DEFAULT_EPOCHS ? n : MAX_DEFAULT_EPOCHS;
    }
    if (examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES) {
        int64_t n = MAX_TARGET_EXAMPLES / examples;
        return n > MIN_DEFAULT_EPOCHS ? n : MIN_DEFAULT_EPOCHS;
    }
    return TARGET_EPOCHS;
}

/* ------------------------------------------------------------------------ */
/* Entry points */

/* A report that could not be made: status and message, no problem and no
 * statistic. NULL when memory ran out. */
static oai_training_report *failed_report(int format, oai_status status, const char *fmt, ...) OAI_PRINTF(3, 4);
static oai_training_report *failed_report(int format, oai_status status, const char *fmt, ...)
{
    if (status == OAI_ERR_OUT_OF_MEMORY)
        return NULL;
    oai_training_report *r = oai__calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    oai__buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    oai_status st = oai__buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (st != OAI_OK) {
        oai__buf_free(&msg);
        oai__free(r);
        return NULL;
    }
    r->format = format;
    r->status = status;
    r->error_message = msg.data;
    return r;
}

/* Why the arguments cannot be validated, or NULL. */
static const char *bad_arguments(int format, int64_t context_limit)
{
    if (format < OAI_TRAINING_CHAT || format > OAI_TRAINING_COMPLETION)
        return "unknown format (expected an oai_training_format)";
    if (context_limit < 0)
        return "negative context limit";
    return NULL;
}

static oai_status start(validator *v, int format, int64_t context_limit, oai_tokenizer *tok)
{
    memset(v, 0, sizeof *v);
    v->format = format;
    v->context_limit = context_limit;
    v->tok = tok;
    v->max_line = OAI_TRAINING_MAX_LINE;
    v->report = oai__calloc(1, sizeof *v->report);
    if (v->report == NULL)
        return OAI_ERR_OUT_OF_MEMORY;
    v->report->format = format;
    v->report->tokens_exact = tok != NULL;
    v->report->encoding = tok ? oai_tokenizer_name(tok) : NULL;
    return OAI_OK;
}

/* Why a tokenizer cannot count, or NULL (a NULL tokenizer: the estimate). */
static const char *bad_tokenizer(const oai_tokenizer *tok)
{
    if (tok == NULL || oai_tokenizer_status(tok) == OAI_OK)
        return NULL;
    return "the tokenizer could not be made (see oai_tokenizer_error_message())";
}

/* Hands the report over with its status and a one-line summary; NULL when
 * memory ran out. A read error (st) replaces it by a failed report. */
static oai_training_report *conclude(validator *v, oai_status st, const char *function, const char *path)
{
    oai_training_report *r = v->report;
    oai__buf_free(&v->carry);
    if (st == OAI_OK && v->fatal)
        st = v->fatal;
    if (st != OAI_OK) {
        int format = r->format;
        oai_training_report_free(r);
        return failed_report(format, st, "%s: cannot read %s", function, path);
    }
    if (r->problems_total == 0)
        return r;
    oai__buf msg = {0};
    st = oai__buf_printf(&msg, "%lld problem%s", (long long)r->problems_total, r->problems_total == 1 ? "" : "s");
    if (st == OAI_OK && r->problem_count > 0 && r->problems[0].line > 0)
        st = oai__buf_printf(&msg, "; the first, line %lld: %s", (long long)r->problems[0].line,
                             r->problems[0].message);
    else if (st == OAI_OK && r->problem_count > 0)
        st = oai__buf_printf(&msg, "; the first: %s", r->problems[0].message);
    if (st != OAI_OK) {
        oai__buf_free(&msg);
        oai_training_report_free(r);
        return NULL;
    }
    r->status = OAI_ERR_INVALID_DATA;
    r->error_message = msg.data;
    return r;
}

static oai_status feed_file(validator *v, FILE *f)
{
    char *chunk = oai__malloc(OAI_TRAINING_READ_CHUNK);
    if (chunk == NULL)
        return OAI_ERR_OUT_OF_MEMORY;
    size_t n;
    while (!v->fatal && (n = fread(chunk, 1, OAI_TRAINING_READ_CHUNK, f)) > 0)
        feed(v, chunk, n);
    oai_status st = ferror(f) ? OAI_ERR_IO : OAI_OK;
    oai__free(chunk);
    return st;
}

/* The file and buffer validations, with or without a tokenizer. */
static oai_training_report *report_file(const char *fn, const char *path, int format, int64_t context_limit,
                                        oai_tokenizer *tok)
{
    validator v;
    const char *bad = path == NULL ? "the path is NULL" : bad_arguments(format, context_limit);
    if (bad == NULL)
        bad = bad_tokenizer(tok);
    if (bad != NULL)
        return failed_report(format, OAI_ERR_INVALID_ARGUMENT, "%s: %s", fn, bad);
    FILE *f = fopen(path, "rb");
    if (f == NULL) { /* fopen() allocates its FILE */
        int err = errno;
        return failed_report(format, err == ENOMEM ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_IO, "%s: cannot open %s: %s",
                             fn, path, strerror(err));
    }
    oai_status st = start(&v, format, context_limit, tok);
    if (st != OAI_OK) {
        fclose(f);
        oai__free(v.report);
        return NULL;
    }
    st = feed_file(&v, f);
    if (fclose(f) != 0 && st == OAI_OK)
        st = OAI_ERR_IO;
    if (st == OAI_OK)
        finish(&v);
    return conclude(&v, st, fn, path);
}

static oai_training_report *report_buffer(const char *fn, const char *data, size_t len, int format,
                                          int64_t context_limit, oai_tokenizer *tok)
{
    validator v;
    const char *bad = data == NULL && len > 0 ? "the data is NULL" : bad_arguments(format, context_limit);
    if (bad == NULL)
        bad = bad_tokenizer(tok);
    if (bad != NULL)
        return failed_report(format, OAI_ERR_INVALID_ARGUMENT, "%s: %s", fn, bad);
    if (start(&v, format, context_limit, tok) != OAI_OK) {
        oai__free(v.report);
        return NULL;
    }
    if (len > 0)
        feed(&v, data, len);
    finish(&v);
    return conclude(&v, OAI_OK, fn, "the buffer");
}

OAI_API oai_training_report *oai_training_report_new(const char *path, int format, int64_t context_limit)
{
    return report_file("oai_training_report_new", path, format, context_limit, NULL);
}

OAI_API oai_training_report *oai_training_report_buffer_new(const char *data, size_t len, int format,
                                                            int64_t context_limit)
{
    return report_buffer("oai_training_report_buffer_new", data, len, format, context_limit, NULL);
}

OAI_API oai_training_report *oai_training_report_exact_new(const char *path, int format, int64_t context_limit,
                                                           oai_tokenizer *tok)
{
    return report_file("oai_training_report_exact_new", path, format, context_limit, tok);
}

OAI_API oai_training_report *oai_training_report_buffer_exact_new(const char *data, size_t len, int format,
                                                                  int64_t context_limit, oai_tokenizer *tok)
{
    return report_buffer("oai_training_report_buffer_exact_new", data, len, format, context_limit, tok);
}

OAI_API void oai_training_report_free(oai_training_report *report)
{
    if (report == NULL)
        return;
    for (size_t i = 0; i < report->problem_count; i++)
        oai__free(report->problems[i].message);
    oai__free(report->problems);
    oai__free(report->error_message);
    oai__free(report);
}

/* ------------------------------------------------------------------------ */
/* Accessors */

OAI_API oai_status oai_training_report_status(const oai_training_report *report)
{
    return report ? report->status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_training_report_error_message(const oai_training_report *report)
{
    return report ? report->error_message : NULL;
}

OAI_API int oai_training_report_is_valid(const oai_training_report *report)
{
    return report != NULL && report->status == OAI_OK;
}

OAI_API size_t oai_training_report_problem_count(const oai_training_report *report)
{
    return report ? report->problem_count : 0;
}

static const problem *problem_at(const oai_training_report *report, size_t index)
{
    return (report && index < report->problem_count) ? &report->problems[index] : NULL;
}

OAI_API int64_t oai_training_report_problem_line(const oai_training_report *report, size_t index)
{
    const problem *p = problem_at(report, index);
    return p ? p->line : 0;
}

OAI_API const char *oai_training_report_problem_code(const oai_training_report *report, size_t index)
{
    const problem *p = problem_at(report, index);
    return p ? p->code : NULL;
}

OAI_API const char *oai_training_report_problem_message(const oai_training_report *report, size_t index)
{
    const problem *p = problem_at(report, index);
    return p ? p->message : NULL;
}

OAI_API int64_t oai_training_report_example_count(const oai_training_report *report)
{
    return report ? report->examples : 0;
}

/* The statistics by name, in the order the JSON report lists them. */
typedef struct stat_field {
    const char *name;
    size_t offset;
} stat_field;

#define STAT(field) {#field, offsetof(oai_training_report, field)}
static const stat_field stat_fields[] = {
    STAT(messages_min),   STAT(messages_max),       STAT(messages_total), STAT(assistant_messages),
    STAT(characters),     STAT(tokens_estimated),   STAT(tokens_max),     STAT(examples_over_context),
    STAT(tokens_total),   STAT(tokens_exact),       STAT(billed_tokens_per_epoch), STAT(epochs),
    STAT(billed_tokens),
    STAT(examples),       STAT(lines),              STAT(problems_total),
};
#undef STAT
#define STAT_FIELDS_IN_JSON 13 /* examples, lines and problems_total sit elsewhere */

static int64_t stat_value(const oai_training_report *report, const stat_field *f)
{
    int64_t value;
    memcpy(&value, (const char *)report + f->offset, sizeof value);
    return value;
}

OAI_API int64_t oai_training_report_stat(const oai_training_report *report, const char *name)
{
    if (report == NULL || name == NULL)
        return 0;
    for (size_t i = 0; i < sizeof stat_fields / sizeof *stat_fields; i++)
        if (strcmp(name, stat_fields[i].name) == 0)
            return stat_value(report, &stat_fields[i]);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The JSON report */

/* Sets obj[key] = value, stealing value; 0 when memory ran out. */
static int put(oai_value *obj, const char *key, oai_value *value)
{
    return value != NULL && oai__json_object_set(obj, key, value) == OAI_OK;
}

static oai_value *problem_json(const problem *p)
{
    oai_value *obj = oai__json_object();
    if (obj == NULL)
        return NULL;
    if (put(obj, "line", oai__json_int(p->line)) && put(obj, "code", oai__json_string(p->code, strlen(p->code))) &&
        put(obj, "message", oai__json_string(p->message, strlen(p->message))))
        return obj;
    oai__json_decref(obj);
    return NULL;
}

static oai_value *problems_json(const oai_training_report *report)
{
    oai_value *arr = oai__json_array();
    for (size_t i = 0; arr != NULL && i < report->problem_count; i++) {
        oai_value *item = problem_json(&report->problems[i]);
        if (item == NULL || oai__json_array_append(arr, item) != OAI_OK) {
            oai__json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static oai_value *stats_json(const oai_training_report *report)
{
    oai_value *obj = oai__json_object();
    for (size_t i = 0; obj != NULL && i < STAT_FIELDS_IN_JSON; i++)
        if (!put(obj, stat_fields[i].name, oai__json_int(stat_value(report, &stat_fields[i])))) {
            oai__json_decref(obj);
            return NULL;
        }
    return obj;
}

static oai_value *report_json(const oai_training_report *report)
{
    const char *format = format_name(report->format);
    oai_value *obj = oai__json_object();
    if (obj == NULL)
        return NULL;
    int ok = put(obj, "valid", oai__json_bool(report->status == OAI_OK)) &&
             put(obj, "format", oai__json_string(format, strlen(format))) &&
             put(obj, "examples", oai__json_int(report->examples)) &&
             put(obj, "lines", oai__json_int(report->lines)) && put(obj, "stats", stats_json(report)) &&
             put(obj, "problems", problems_json(report)) &&
             put(obj, "problems_total", oai__json_int(report->problems_total)) &&
             put(obj, "token_count", oai__json_string(report->tokens_exact ? "exact" : "estimate",
                                                      report->tokens_exact ? 5 : 8)) &&
             put(obj, "encoding", report->encoding ? oai__json_string(report->encoding, strlen(report->encoding))
                                                   : oai__json_null()) &&
             put(obj, "truncated", oai__json_bool((size_t)report->problems_total > report->problem_count));
    if (ok)
        return obj;
    oai__json_decref(obj);
    return NULL;
}

OAI_API char *oai_training_report_json_dup(const oai_training_report *report)
{
    if (report == NULL)
        return NULL;
    oai_value *obj = report_json(report);
    if (obj == NULL)
        return NULL;
    char *text = oai__json_dump(obj, NULL);
    oai__json_decref(obj);
    return text;
}
