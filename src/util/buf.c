/* Growable byte buffers (util.h). */
#include "util/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

oai_status oai__buf_append(oai__buf *b, const void *data, size_t len)
{
    if (len > SIZE_MAX - b->len - 1)
        return OAI_ERR_OUT_OF_MEMORY;
    size_t need = b->len + len + 1;
    if (need > b->cap) {
        /* An empty buffer gets what it needs at once (a 16 KiB read is
         * not given 32 KiB); a growing one doubles. */
        size_t cap = b->cap ? b->cap : need > 64 ? need : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = oai__realloc(b->data, cap);
        if (!p)
            return OAI_ERR_OUT_OF_MEMORY;
        b->data = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return OAI_OK;
}

oai_status oai__buf_append_tight(oai__buf *b, const void *data, size_t len)
{
    if (len > SIZE_MAX - b->len - 64)
        return OAI_ERR_OUT_OF_MEMORY;
    size_t need = b->len + len + 1;
    if (need > b->cap) {
        size_t cap = (need + 63) & ~(size_t)63;
        char *p = oai__realloc(b->data, cap);
        if (!p)
            return OAI_ERR_OUT_OF_MEMORY;
        b->data = p;
        b->cap = cap;
    }
    return oai__buf_append(b, data, len);
}

oai_status oai__buf_append_str(oai__buf *b, const char *s)
{
    return oai__buf_append(b, s, strlen(s));
}

oai_status oai__buf_vprintf(oai__buf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0 || (size_t)n < sizeof small) {
        va_end(again);
        return n < 0 ? OAI_ERR_INVALID_ARGUMENT : oai__buf_append(b, small, (size_t)n);
    }
    char *big = oai__malloc((size_t)n + 1);
    if (big)
        vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    if (!big)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_status st = oai__buf_append(b, big, (size_t)n);
    oai__free(big);
    return st;
}

oai_status oai__buf_printf(oai__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    oai_status st = oai__buf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

void oai__buf_reset(oai__buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void oai__buf_free(oai__buf *b)
{
    oai__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *oai__buf_take(oai__buf *b)
{
    char *p = b->data;
    if (!p)
        p = oai__strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
