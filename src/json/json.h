/* Internal JSON codec over jansson. json.c is the only file that includes
 * <jansson.h>; everything else handles JSON through these functions.
 *
 * Values are the public `oai_value` type, reference counted. Functions that
 * take a value "stolen" take over the caller's reference even when they fail,
 * so a caller never has to clean up after a failed set. Borrowed results live
 * as long as the container they came from. Returned text from
 * oai__json_dump() is malloc'd (free with free()).
 */
#ifndef OAI_JSON_H
#define OAI_JSON_H

#include "oai.h"

/* The deepest nesting of containers a document may have ([] is 1, [[]] 2).
 * The parser refuses deeper text, and oai__json_pointer_set() refuses to
 * build a deeper document, so the recursive functions that walk a document
 * (the writer, jansson's copy and free) stay within a small thread stack and
 * everything the library builds also parses back. */
#define OAI_JSON_MAX_DEPTH 512

/* Whether v's containers nest at most `levels` deep (a scalar: 0 levels).
 * Looks no deeper than that, whatever v holds. */
int oai__json_nesting_within(const oai_value *v, int levels);

/* Parsing. Returns NULL and sets *status (OAI_ERR_PROTOCOL on bad JSON,
 * OAI_ERR_OUT_OF_MEMORY, OAI_ERR_INVALID_ARGUMENT for NULL text) on failure;
 * an integer outside int64_t, a real that overflows a double (jansson's
 * limits) or nesting deeper than OAI_JSON_MAX_DEPTH counts as bad JSON. `status` may be NULL. Duplicate keys keep
 * the last. Accepts any JSON value at the top level (not only objects), and
 * skips a leading UTF-8 byte order mark. Strings may hold NUL (\u0000). */
oai_value *oai__json_parse(const char *text, size_t len, oai_status *status);

/* Validation without a tree: oai__json_scan() accepts and refuses exactly
 * what oai__json_parse() does (the same code reads the text), builds
 * nothing, and on the way notes where a few values are, each named by the
 * decoded tokens of a JSON Pointer (the pointer "/choices/0/text" is the
 * tokens "choices", "0", "text"), with the meaning oai__json_pointer_get()
 * gives them: a token names an object's member, or an array's item when it
 * is an index. When a member appears twice, the last one counts, as in a
 * parsed document. */
#define OAI__JSON_WATCH_MAX_TOKENS 8
enum { OAI_JSON_WATCH_ABSENT = 0, OAI_JSON_WATCH_STRING, OAI_JSON_WATCH_OTHER };
typedef struct oai__json_watch {
    const char *const *tokens; /* in: count tokens (1 to OAI__JSON_WATCH_MAX_TOKENS) */
    size_t count;
    int found;                 /* out: an OAI_JSON_WATCH_ value */
    size_t at, len;            /* out, for a string: its text between the quotes, still
                                  escaped, as an offset into the text scanned and a length */
    int escaped;               /* out: the string holds an escape */
    long long indices[OAI__JSON_WATCH_MAX_TOKENS]; /* the scanner's own */
    size_t lengths[OAI__JSON_WATCH_MAX_TOKENS];
} oai__json_watch;

/* Scans a document: OAI_OK, or the status oai__json_parse() would give
 * (OAI_ERR_PROTOCOL; OAI_ERR_OUT_OF_MEMORY only where the parser needs
 * memory too: a string with escapes, a long real). *type (may be NULL)
 * gets the top-level value's OAI_VALUE_ type. At most 32 watches; a watch
 * of no tokens, or of too many, is OAI_ERR_INVALID_ARGUMENT. Allocates
 * nothing unless the text holds escapes or long reals. */
oai_status oai__json_scan(const char *text, size_t len, int *type, oai__json_watch *watches, size_t count);
/* The decoded text of a string that oai__json_scan() found in `text`
 * (its `at` and `len`): malloc'd (oai__free()), NUL-terminated (it may also
 * hold NULs: *out_len, when not NULL, gets its length). NULL when memory
 * ran out, or for a span that is no string of the text. */
char *oai__json_string_decode(const char *text, size_t at, size_t len, size_t *out_len);

/* Constructors; NULL when memory ran out (or, for strings, invalid UTF-8). */
oai_value *oai__json_object(void);
oai_value *oai__json_array(void);
oai_value *oai__json_string(const char *s, size_t len);
/* Why oai__json_string(s, len) returned NULL: OAI_ERR_INVALID_ARGUMENT for
 * text that is not UTF-8, else OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__json_string_failure(const char *s, size_t len);
oai_value *oai__json_int(int64_t v);
oai_value *oai__json_number(double v); /* NULL for NaN/inf */
oai_value *oai__json_bool(int v);
oai_value *oai__json_null(void);

oai_value *oai__json_incref(oai_value *v);  /* returns v */
void oai__json_decref(oai_value *v);        /* NULL is a no-op */
oai_value *oai__json_deep_copy(const oai_value *v);

/* JSON Pointer (RFC 6901). Set creates intermediate containers: an array when
 * the next token is "-" or all digits, else an object. "-" appends. An index
 * equal to the array's length appends; past it is OAI_ERR_INVALID_ARGUMENT.
 * An existing member or item is replaced. The pointer "" replaces *root; a
 * NULL *root is an empty document and gets a container made for the first
 * token. `value` is stolen (a NULL value is OAI_ERR_INVALID_ARGUMENT). A path
 * through a scalar, a token on an array that is no index ("x", "01"), a bad
 * escape ("~2") or a non-UTF-8 pointer is OAI_ERR_INVALID_ARGUMENT, and so
 * is a document that would nest deeper than OAI_JSON_MAX_DEPTH: the
 * pointer's token count plus the value's own nesting. On any failure the
 * document is left as it was. */
oai_status oai__json_pointer_set(oai_value **root, const char *pointer, oai_value *value);
/* Borrowed; NULL when absent, or when the pointer is malformed. */
oai_value *oai__json_pointer_get(const oai_value *root, const char *pointer);
/* OAI_OK, OAI_ERR_NOT_FOUND (a missing member, item or intermediate),
 * OAI_ERR_INVALID_ARGUMENT ("" cannot be removed; malformed pointer; path
 * through a scalar; a token on an array that is no index). */
oai_status oai__json_pointer_remove(oai_value *root, const char *pointer);

/* Compact serialisation (no spaces, keys in insertion order, UTF-8 kept
 * as is, a real in the fewest digits that read back exactly, always with a
 * '.' or exponent). malloc'd, NUL-terminated; *len (if non-NULL) gets the
 * length. NULL for a NULL value or when memory ran out. */
char *oai__json_dump(const oai_value *v, size_t *len);

/* Object and array helpers (used by the stream accumulator and responses).
 * They do not know how deep their container sits, so they do not check
 * nesting: a caller that nests values it did not build (a parsed value)
 * checks with oai__json_nesting_within() or goes through
 * oai__json_pointer_set().
 * Errors: OAI_ERR_INVALID_ARGUMENT for NULL arguments (or a non-UTF-8 key),
 * OAI_ERR_TYPE when the container has another type, OAI_ERR_NOT_FOUND for a
 * missing key, OAI_ERR_OUT_OF_MEMORY. Stolen values are released on failure. */
oai_value *oai__json_object_get(const oai_value *obj, const char *key);   /* borrowed */
oai_status oai__json_object_set(oai_value *obj, const char *key, oai_value *v); /* steals v */
oai_status oai__json_object_del(oai_value *obj, const char *key);
size_t oai__json_array_size(const oai_value *arr);
oai_value *oai__json_array_get(const oai_value *arr, size_t index);      /* borrowed */
oai_status oai__json_array_append(oai_value *arr, oai_value *v);         /* steals v */
oai_status oai__json_array_extend(oai_value *arr, const oai_value *other); /* appends copies of other's items */
/* Replaces a string value's contents in place (OAI_ERR_TYPE if not a string). */
oai_status oai__json_string_set(oai_value *str, const char *s, size_t len);

#endif
