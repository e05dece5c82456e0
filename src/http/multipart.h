/* A sans-I/O, streaming multipart/form-data encoder (RFC 7578, laid out as
 * the WHATWG HTML form encoding and libcurl's curl_mime lay it out), so that
 * every transport sends the same bytes: the engine hands a transport a pull
 * reader over this encoder instead of a list of parts.
 *
 * The encoding of parts P1..Pn with boundary B is
 *
 *   --B CRLF
 *   Content-Disposition: form-data; name="NAME"[; filename="FILENAME"] CRLF
 *   [Content-Type: TYPE CRLF]                      DATA and FILE parts only
 *   CRLF
 *   the part's bytes CRLF
 *   ... the same for every part ...
 *   --B-- CRLF
 *
 * In NAME and FILENAME, '"', CR and LF become %22, %0D and %0A (WHATWG, and
 * curl's default); nothing else is changed, so UTF-8 names go out as UTF-8.
 * TYPE is the part's mime_type, or application/octet-stream. FIELD values
 * and DATA bytes are sent exactly as given (no newline normalisation).
 * With no parts at all the body is only "--B--" CRLF, as curl sends it.
 *
 * B is "------------------------oai" and 24 hex digits (96 bits) from the
 * CSPRNG: the data is never scanned for it (files are not read ahead), so
 * it must be unguessable rather than merely absent.
 *
 * Memory stays flat whatever the files' sizes: the part headers are built
 * once, file bytes are read straight into the caller's buffer, and a file
 * is open only while its bytes are being read.
 */
#ifndef OAI_HTTP_MULTIPART_H
#define OAI_HTTP_MULTIPART_H

/* For the oai__multipart typedef: transport.h declares it, since an
 * exchange's spec points to an encoder (a second typedef here would be a
 * C11 feature, which clang warns about in C99). */
#include "transport/transport.h"

#include <stddef.h>
#include <stdint.h>

typedef enum oai__part_kind {
    OAI_PART_FIELD = 1, /* text field: name=value */
    OAI_PART_DATA = 2,  /* bytes from memory: data/len */
    OAI_PART_FILE = 3   /* bytes from a file: path, from offset, length bytes
                           (length < 0: to the end of the file) */
} oai__part_kind;

/* One part, as the engine hands it over (everything borrowed). */
typedef struct oai__http_part {
    int kind;               /* an oai__part_kind */
    const char *name;       /* form field name */
    const char *value;      /* FIELD: NUL-terminated text (NULL: "") */
    const void *data;       /* DATA */
    size_t len;             /* DATA */
    const char *path;       /* FILE */
    int64_t offset;         /* FILE */
    int64_t length;         /* FILE; < 0 means to the end */
    const char *filename;   /* DATA/FILE: the name sent; NULL for none */
    const char *mime_type;  /* DATA/FILE: NULL for application/octet-stream */
} oai__http_part;

/* Prepares the encoding of `count` parts (the array and what it points to
 * stay valid until oai__multipart_free; parts may be NULL when count is 0).
 * Picks a random boundary, opens and stats each FILE part to know its length
 * (the range offset/length as oai__http_part documents it; length < 0 runs to
 * the end of the file), and so the total length. Files must be regular
 * files. On failure *out is NULL and `why` (why_cap bytes, may be NULL) says
 * which part and why, e.g. `part 2 ("file"): cannot open "x.jsonl": No such
 * file or directory` (parts are counted from 1, as a user counts them); it
 * never holds file contents.
 * OAI_OK; OAI_ERR_IO (a file missing, unreadable, not a regular file or
 * shorter than its range); OAI_ERR_INVALID_ARGUMENT (NULL out, NULL parts
 * with count > 0, an unknown kind, a NULL or empty name, NULL data with
 * len > 0, a NULL path, a negative offset, CR or LF in mime_type, a total
 * length over INT64_MAX); OAI_ERR_OUT_OF_MEMORY (also when the CSPRNG has
 * no entropy, as oai__random_bytes reports it). */
oai_status oai__multipart_new(const oai__http_part *parts, size_t count, oai__multipart **out,
                              char *why, size_t why_cap);

/* "multipart/form-data; boundary=..." (borrowed, valid until _free; ""
 * for NULL). */
const char *oai__multipart_content_type(const oai__multipart *m);

/* The exact number of bytes the encoding has (the Content-Length; -1 for
 * NULL). */
int64_t oai__multipart_length(const oai__multipart *m);

/* Copies the next bytes into buf: > 0 bytes (as many as fit: min(cap, what
 * is left)), 0 at the end (or when cap is 0; buf may then be NULL), or a
 * negative oai_status: -OAI_ERR_INVALID_ARGUMENT (NULL m, NULL buf with
 * cap > 0); -OAI_ERR_IO when a file can no longer be opened or read, or
 * became shorter than its range, since the encoding would no longer match
 * its announced length (the bytes of that call are dropped). A file that
 * grew is read only up to the announced length. Files are read straight
 * into buf, in chunks of at most `cap` bytes, each opened only while its
 * part is being sent; reading allocates nothing. An error sticks: every
 * later read returns it until a rewind. */
int64_t oai__multipart_read(oai__multipart *m, char *buf, size_t cap);

/* Why the last read failed, naming the part (like `why` above), or "" when
 * it did not. Borrowed, valid until the next read, rewind or free. */
const char *oai__multipart_error(const oai__multipart *m);

/* Starts again from the first byte (for a transport that must resend the
 * body) and clears a read error. Files are reopened when their parts come
 * round again, so a resend notices a file that changed meanwhile.
 * OAI_OK, or OAI_ERR_INVALID_ARGUMENT for a NULL m. (OAI_ERR_IO is reserved:
 * no file is touched here.) */
oai_status oai__multipart_rewind(oai__multipart *m);

/* Frees the encoder and closes its open file, if any (NULL: no-op). */
void oai__multipart_free(oai__multipart *m);

#endif
