/* The stream accumulator's fast path (chunk_scan.c): what a chat or legacy
 * completions chunk holds for the typed events and the accumulator, read
 * straight from its JSON text, without building a tree.
 *
 * The scanner is a validator first: it accepts a text only when the full
 * parser (json/json.c) would accept it too, and would give the members it
 * extracts the same values. Anything else (invalid JSON, nesting deeper than
 * it expects, numbers near the edges of their range, keys with escapes, a
 * member it reads given twice, more choices or tool calls than it keeps, and
 * the shapes the accumulator needs the tree for: an error payload, a usage
 * or logprobs object, tool-call arguments that are not a string) makes it
 * decline, and the caller parses the text the usual way. */
#ifndef OAI_STREAM_CHUNK_SCAN_H
#define OAI_STREAM_CHUNK_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* What the fast path keeps of one chunk; more declines. */
#define OAI__SCAN_MAX_CHOICES 8
#define OAI__SCAN_MAX_TOOLS 16
/* The scratch space needed beyond the text's length (short copies are made
 * 16 bytes at a time). */
#define OAI__SCAN_SLACK 16

/* The deepest nesting it walks (the full parser allows OAI_JSON_MAX_DEPTH). */
#define OAI__SCAN_MAX_DEPTH 64

/* A string member: its decoded text, NUL-terminated, in the caller's
 * scratch space. p is NULL when the member is absent or not a string. */
typedef struct oai__scan_str {
    const char *p;
    size_t len;
} oai__scan_str;

/* A number member: is_int when it is a JSON integer (no fraction, no
 * exponent), with its value; 0 when absent or of another type. */
typedef struct oai__scan_int {
    int is_int;
    int64_t value;
} oai__scan_int;

/* One element of delta.tool_calls that is an object. */
typedef struct oai__scan_tool {
    oai__scan_int index;
    oai__scan_str id, type;
    oai__scan_str name, arguments; /* of "function", when it is an object */
} oai__scan_tool;

/* One element of choices that is an object. */
typedef struct oai__scan_choice {
    size_t position; /* its position in the array (non-objects count) */
    oai__scan_int index;
    oai__scan_str finish_reason;
    oai__scan_str text; /* completions */
    /* chat: the members of "delta", when it is an object */
    oai__scan_str role, content, refusal, reasoning_content, reasoning;
    int first_tool, ntools; /* its tool calls in oai__scan_chunk.tools */
} oai__scan_choice;

typedef struct oai__scan_chunk {
    oai__scan_str id, model, system_fingerprint;
    oai__scan_int created;
    int first_choice_index; /* choices[0]'s index if usable, else 0 */
    int nchoices;
    oai__scan_choice choices[OAI__SCAN_MAX_CHOICES];
    int ntools;
    oai__scan_tool tools[OAI__SCAN_MAX_TOOLS];
} oai__scan_chunk;

/* Scans @p len bytes of JSON text as a chunk of a chat (@p chat non-zero) or
 * legacy completions stream. Returns 1 and fills *out when the fast path can
 * take it; 0 when the caller must use the full parser (*out is then
 * undefined). @p scratch must have room for len + OAI__SCAN_SLACK bytes:
 * the decoded strings go there. */
int oai__chunk_scan(const char *text, size_t len, int chat, char *scratch, oai__scan_chunk *out);

#endif
