/* Small internal helpers shared by every module: growable buffers, strings,
 * name/value lists, clocks, randomness, string sets. Nothing here is
 * exported from the shared library. */
#ifndef OAI_UTIL_H
#define OAI_UTIL_H

#include "oai.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define OAI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OAI_PRINTF(a, b)
#endif

/* A growable byte buffer, always NUL-terminated once it holds anything. */
typedef struct oai__buf {
    char *data;
    size_t len;
    size_t cap;
} oai__buf;

/* Appends len bytes; OAI_OK or OAI_ERR_OUT_OF_MEMORY (the buffer is then
 * unchanged). */
oai_status oai__buf_append(oai__buf *b, const void *data, size_t len);
oai_status oai__buf_append_str(oai__buf *b, const char *s);
/* Appends, growing the buffer only to what it needs (rounded up to 64)
 * instead of doubling: for buffers that are emptied often and should not
 * keep twice their content (a call's inbox). */
oai_status oai__buf_append_tight(oai__buf *b, const void *data, size_t len);
oai_status oai__buf_printf(oai__buf *b, const char *fmt, ...) OAI_PRINTF(2, 3);
oai_status oai__buf_vprintf(oai__buf *b, const char *fmt, va_list ap) OAI_PRINTF(2, 0);
void oai__buf_reset(oai__buf *b);  /* len = 0, keeps the memory */
void oai__buf_free(oai__buf *b);
/* Hands the data over (the buffer is emptied); "" is returned for an empty
 * buffer. NULL when memory ran out. */
char *oai__buf_take(oai__buf *b);

char *oai__strdup(const char *s);             /* NULL for NULL or OOM */
char *oai__strndup(const char *s, size_t n);
int oai__strcasecmp_ascii(const char *a, const char *b);
int oai__strncasecmp_ascii(const char *a, const char *b, size_t n);
/* Replaces *slot with a copy of s (NULL clears). OAI_OK or OUT_OF_MEMORY. */
oai_status oai__set_str(char **slot, const char *s);

/* An ordered list of name/value pairs: headers (names compared ignoring
 * case) or query parameters (names compared exactly). A NULL value is kept
 * as a tombstone: "remove this header". */
typedef struct oai__kv {
    char *name;  /* one block holding the name and, after it, the value */
    char *value;
} oai__kv;

typedef struct oai__kvlist {
    oai__kv *items;
    size_t count;
    size_t cap;
    int ignore_case;
    /* Set before the first pair (a response's headers): every pair lives in
     * one growing block, one allocation for all of them. A replaced value
     * stays in the block until the list is freed. */
    int packed;
    char *pack;
    size_t pack_len, pack_cap;
} oai__kvlist;

/* Replaces the first pair with this name (or appends). value may be NULL. */
oai_status oai__kvlist_set(oai__kvlist *l, const char *name, const char *value);
/* Appends without looking for an existing pair (response headers). */
oai_status oai__kvlist_add(oai__kvlist *l, const char *name, size_t name_len,
                          const char *value, size_t value_len);
/* Removes every pair with this name. */
void oai__kvlist_remove(oai__kvlist *l, const char *name);
const oai__kv *oai__kvlist_find(const oai__kvlist *l, const char *name);
oai_status oai__kvlist_copy(oai__kvlist *dst, const oai__kvlist *src);
void oai__kvlist_free(oai__kvlist *l);

/* The library's allocator (util/alloc.c): libc's, or the host's given to
 * oai_set_allocator(). Everything the library allocates comes from these,
 * and everything it frees goes to oai__free(). */
void *oai__malloc(size_t n);
void *oai__calloc(size_t count, size_t size);
void *oai__realloc(void *p, size_t n);
void oai__free(void *p);
char *oai__alloc_strdup(const char *s); /* for libcurl's strdup hook */
int oai__allocator_is_custom(void);
/* Points jansson at the library's allocator (json/json.c). */
oai_status oai__json_use_allocator(void);

int64_t oai__now_us(void);      /* monotonic clock */
int64_t oai__wall_ms(void);     /* Unix time in ms */
/* Sleeps ms milliseconds (resumed when a signal interrupts it). */
void oai__sleep_ms(int64_t ms);
/* Fills buf from OpenSSL's CSPRNG; OAI_OK or OAI_ERR_OUT_OF_MEMORY (no entropy). */
oai_status oai__random_bytes(void *buf, size_t len);
double oai__random_unit(void);  /* uniform in [0, 1) */
/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" into out[37]. */
oai_status oai__uuid4(char out[37]);

/* A set of strings (zero-initialise; strset.c). */
typedef struct oai__strset {
    char **slots;
    size_t cap;
    size_t count;
} oai__strset;

int oai__strset_has(const oai__strset *set, const char *s);
/* Adds a copy of s (no-op when present); OAI_OK or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__strset_add(oai__strset *set, const char *s);
void oai__strset_free(oai__strset *set);

/* Trims ASCII white space at both ends, in place; returns s. */
char *oai__trim(char *s);

/* 1 when s is neither NULL nor "". */
int oai__nonempty(const char *s);

/* The last component of a path ("a/b.jsonl" gives "b.jsonl"; borrowed). */
const char *oai__base_name(const char *path);

#endif
