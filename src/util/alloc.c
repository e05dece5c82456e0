/* The library's allocator: libc's, or the host's (oai_set_allocator()).
 * Every allocation of the library goes through oai__malloc() and its kin;
 * jansson, libcurl and OpenSSL are pointed at the same functions, so an
 * engine that must account for its memory (Unreal's FMemory, a console's
 * heaps) sees all of it. */
#include "util/util.h"

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

static oai_malloc_fn host_malloc;
static oai_realloc_fn host_realloc;
static oai_free_fn host_free;
static void *host_ud;
/* The library allocated with libc's allocator: too late to change it. */
static int allocated;

void *oai__malloc(size_t n)
{
    if (host_malloc)
        return host_malloc(host_ud, n ? n : 1);
    allocated = 1;
    return malloc(n);
}

void *oai__calloc(size_t count, size_t size)
{
    if (!host_malloc) {
        allocated = 1;
        return calloc(count, size);
    }
    if (size && count > (size_t)-1 / size)
        return NULL;
    size_t total = count * size;
    void *p = host_malloc(host_ud, total > 0 ? total : 1);
    if (p)
        memset(p, 0, total);
    return p;
}

void *oai__realloc(void *p, size_t n)
{
    if (host_realloc)
        return host_realloc(host_ud, p, n ? n : 1);
    allocated = 1;
    return realloc(p, n);
}

void oai__free(void *p)
{
    if (!p)
        return;
    if (host_free)
        host_free(host_ud, p);
    else
        free(p);
}

char *oai__alloc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = oai__malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

int oai__allocator_is_custom(void)
{
    return host_malloc != NULL;
}

/* OpenSSL's hooks take the call site; ours do not need it. */
static void *openssl_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return oai__malloc(n);
}

static void *openssl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return oai__realloc(p, n);
}

static void openssl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    oai__free(p);
}

OAI_API oai_status oai_set_allocator(oai_malloc_fn malloc_fn, oai_realloc_fn realloc_fn, oai_free_fn free_fn,
                                     void *userdata)
{
    if (!malloc_fn || !realloc_fn || !free_fn || allocated || host_malloc)
        return OAI_ERR_INVALID_ARGUMENT;
    host_malloc = malloc_fn;
    host_realloc = realloc_fn;
    host_free = free_fn;
    host_ud = userdata;
    /* OpenSSL takes new functions only before its first allocation; a
     * program that used it already keeps OpenSSL on libc's allocator. */
    (void)CRYPTO_set_mem_functions(openssl_malloc, openssl_realloc, openssl_free);
    return oai__json_use_allocator();
}
