/* A streaming multipart/form-data splitter for the mock server.
 *
 * The request body passes through it as it arrives, in pieces of any size,
 * so a part of any length is split out without the body ever being held
 * whole: a part's bytes stay in memory while they are few (at most
 * MOCK_FORM_MEMORY_LIMIT), and move to a spool file in the server's data
 * directory once they outgrow that. The handler then finds each part's name,
 * filename, size and bytes (in memory or in a file) in mock_request.form.
 */
#ifndef OAI_MOCK_MULTIPART_H
#define OAI_MOCK_MULTIPART_H

#include <stddef.h>

#include "mock_server.h"

/* A part larger than this is written to a spool file instead of memory. */
#define MOCK_FORM_MEMORY_LIMIT ((size_t)256 * 1024)
/* A body with more parts than this is treated as malformed. */
#define MOCK_FORM_MAX_PARTS 64

typedef struct mock_form_tap mock_form_tap;

/* A splitter for a body of this Content-Type, or NULL when it is not
 * multipart/form-data with a boundary (or memory ran out). Spool files are
 * named "<spool_prefix><n>", so the prefix must be unique to the request;
 * a NULL prefix keeps every part in memory, up to MOCK_BODY_RECORD_LIMIT
 * (larger parts are then only counted). */
mock_form_tap *mock_form_tap_new(const char *content_type, const char *spool_prefix);

/* Feeds the next body bytes. Returns 0, or -1 when memory ran out or a
 * spool file could not be written (malformed input is not an error here:
 * it leaves the form incomplete). */
int mock_form_tap_feed(mock_form_tap *tap, const char *data, size_t len);

/* Ends the body: moves what was split into *form (form->complete tells
 * whether the closing delimiter was seen) and frees the tap. */
void mock_form_tap_finish(mock_form_tap *tap, mock_form *form);

/* Abandons a body: removes its spool files and frees the tap (NULL: no-op). */
void mock_form_tap_free(mock_form_tap *tap);

/* Frees what form points to and removes the spool files still there (a
 * handler that keeps a part's file renames it away first). */
void mock_form_clear(mock_form *form);

/* A copy without the spool paths (a recorded request owns no files);
 * 0 on success, -1 on allocation failure (then *dst holds nothing). */
int mock_form_copy(mock_form *dst, const mock_form *src);

/* The part named `name`, or NULL. */
const mock_form_part *mock_form_get(const mock_form *form, const char *name);

#endif
