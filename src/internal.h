/* Small internal helpers shared by the core modules: growable buffers,
 * string and header lists, clocks, randomness, logging. Nothing here is
 * exported from the shared library. */
#ifndef OAI_INTERNAL_H
#define OAI_INTERNAL_H

#include "oai.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define OAI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OAI_PRINTF(a, b)
#endif

/* A growable byte buffer, always NUL-terminated once it holds anything. */
typedef struct oai_buf {
    char *data;
    size_t len;
    size_t cap;
} oai_buf;

/* Appends len bytes; OAI_OK or OAI_ERR_OUT_OF_MEMORY (the buffer is then
 * unchanged). */
oai_status oai_buf_append(oai_buf *b, const void *data, size_t len);
oai_status oai_buf_append_str(oai_buf *b, const char *s);
oai_status oai_buf_printf(oai_buf *b, const char *fmt, ...) OAI_PRINTF(2, 3);
void oai_buf_reset(oai_buf *b);  /* len = 0, keeps the memory */
void oai_buf_free(oai_buf *b);
/* Hands the data over (the buffer is emptied); "" is returned for an empty
 * buffer. NULL when memory ran out. */
char *oai_buf_take(oai_buf *b);

char *oai_strdup(const char *s);             /* NULL for NULL or OOM */
char *oai_strndup(const char *s, size_t n);
int oai_strcasecmp_ascii(const char *a, const char *b);
int oai_strncasecmp_ascii(const char *a, const char *b, size_t n);
/* Replaces *slot with a copy of s (NULL clears). OAI_OK or OUT_OF_MEMORY. */
oai_status oai_set_str(char **slot, const char *s);

/* An ordered list of name/value pairs: headers (names compared ignoring
 * case) or query parameters (names compared exactly). A NULL value is kept
 * as a tombstone: "remove this header". */
typedef struct oai_kv {
    char *name;
    char *value;
} oai_kv;

typedef struct oai_kvlist {
    oai_kv *items;
    size_t count;
    size_t cap;
    int ignore_case;
} oai_kvlist;

/* Replaces the first pair with this name (or appends). value may be NULL. */
oai_status oai_kvlist_set(oai_kvlist *l, const char *name, const char *value);
/* Appends without looking for an existing pair (response headers). */
oai_status oai_kvlist_add(oai_kvlist *l, const char *name, size_t name_len,
                          const char *value, size_t value_len);
/* Removes every pair with this name. */
void oai_kvlist_remove(oai_kvlist *l, const char *name);
const oai_kv *oai_kvlist_find(const oai_kvlist *l, const char *name);
oai_status oai_kvlist_copy(oai_kvlist *dst, const oai_kvlist *src);
void oai_kvlist_free(oai_kvlist *l);

/* Header checks: a token name (no ':', white space or control characters),
 * a value without CR, LF or NUL. */
int oai_header_name_ok(const char *name);
int oai_header_value_ok(const char *value);
/* 1 for a header whose value may be logged: only headers known to carry
 * no credential (Accept, Content-Type, User-Agent, X-Stainless-*, ...);
 * every other value is redacted. */
int oai_header_is_loggable(const char *name);

/* Percent-encodes everything but RFC 3986 unreserved characters. */
char *oai_url_encode(const char *s);

int64_t oai_now_us(void);      /* monotonic clock */
int64_t oai_wall_ms(void);     /* Unix time in ms */
/* Fills buf from OpenSSL's CSPRNG; OAI_OK or OAI_ERR_OUT_OF_MEMORY (no entropy). */
oai_status oai_random_bytes(void *buf, size_t len);
double oai_random_unit(void);  /* uniform in [0, 1) */
/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" into out[37]. */
oai_status oai_uuid4(char out[37]);

/* A set of strings (zero-initialise; strset.c). */
typedef struct oai_strset {
    char **slots;
    size_t cap;
    size_t count;
} oai_strset;

int oai_strset_has(const oai_strset *set, const char *s);
/* Adds a copy of s (no-op when present); OAI_OK or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai_strset_add(oai_strset *set, const char *s);
void oai_strset_free(oai_strset *set);

/* Trims ASCII white space at both ends, in place; returns s. */
char *oai_trim(char *s);

#endif
