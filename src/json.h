/* Internal JSON codec over jansson. json.c is the only file that includes
 * <jansson.h>; everything else handles JSON through these functions.
 *
 * Values are the public `oai_value` type, reference counted. Functions that
 * take a value "stolen" take over the caller's reference even when they fail,
 * so a caller never has to clean up after a failed set. Borrowed results live
 * as long as the container they came from. Returned text from
 * oai_json_dump() is malloc'd (free with free()).
 */
#ifndef OAI_JSON_H
#define OAI_JSON_H

#include "oai.h"

/* Parsing. Returns NULL and sets *status (OAI_ERR_PROTOCOL on bad JSON,
 * OAI_ERR_OUT_OF_MEMORY) on failure. `status` may be NULL. Duplicate keys keep
 * the last. Accepts any JSON value at the top level (not only objects). */
oai_value *oai_json_parse(const char *text, size_t len, oai_status *status);

/* Constructors; NULL when memory ran out (or, for strings, invalid UTF-8). */
oai_value *oai_json_object(void);
oai_value *oai_json_array(void);
oai_value *oai_json_string(const char *s, size_t len);
oai_value *oai_json_int(int64_t v);
oai_value *oai_json_number(double v); /* NULL for NaN/inf */
oai_value *oai_json_bool(int v);
oai_value *oai_json_null(void);

oai_value *oai_json_incref(oai_value *v);  /* returns v */
void oai_json_decref(oai_value *v);        /* NULL is a no-op */
oai_value *oai_json_deep_copy(const oai_value *v);

/* JSON Pointer (RFC 6901). Set creates intermediate containers: an array when
 * the next token is "-" or all digits, else an object. "-" appends. An index
 * equal to the array's length appends; past it is OAI_ERR_INVALID_ARGUMENT.
 * The pointer "" replaces *root. `value` is stolen. A path through a scalar
 * is OAI_ERR_INVALID_ARGUMENT. */
oai_status oai_json_pointer_set(oai_value **root, const char *pointer, oai_value *value);
/* Borrowed; NULL when absent, or when the pointer is malformed. */
oai_value *oai_json_pointer_get(const oai_value *root, const char *pointer);
/* OAI_OK, OAI_ERR_NOT_FOUND, OAI_ERR_INVALID_ARGUMENT ("" cannot be removed). */
oai_status oai_json_pointer_remove(oai_value *root, const char *pointer);

/* Compact serialisation (no spaces, keys in insertion order, UTF-8 kept
 * as is). malloc'd, NUL-terminated; *len (if non-NULL) gets the length. */
char *oai_json_dump(const oai_value *v, size_t *len);

/* Object and array helpers (used by the stream accumulator and responses). */
oai_value *oai_json_object_get(const oai_value *obj, const char *key);   /* borrowed */
oai_status oai_json_object_set(oai_value *obj, const char *key, oai_value *v); /* steals v */
oai_status oai_json_object_del(oai_value *obj, const char *key);
size_t oai_json_array_size(const oai_value *arr);
oai_value *oai_json_array_get(const oai_value *arr, size_t index);      /* borrowed */
oai_status oai_json_array_append(oai_value *arr, oai_value *v);         /* steals v */
oai_status oai_json_array_extend(oai_value *arr, const oai_value *other); /* appends copies of other's items */
/* Replaces a string value's contents in place (OAI_ERR_TYPE if not a string). */
oai_status oai_json_string_set(oai_value *str, const char *s, size_t len);

#endif
