/* Internal helpers: buffers, strings, name/value lists, clocks, randomness. */
#include "internal.h"

#include <openssl/rand.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

oai_status oai_buf_append(oai_buf *b, const void *data, size_t len)
{
    if (len > SIZE_MAX - b->len - 1)
        return OAI_ERR_OUT_OF_MEMORY;
    size_t need = b->len + len + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = realloc(b->data, cap);
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

oai_status oai_buf_append_str(oai_buf *b, const char *s)
{
    return oai_buf_append(b, s, strlen(s));
}

oai_status oai_buf_printf(oai_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return OAI_ERR_INVALID_ARGUMENT;
    if ((size_t)n < sizeof small)
        return oai_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return OAI_ERR_OUT_OF_MEMORY;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    oai_status st = oai_buf_append(b, big, (size_t)n);
    free(big);
    return st;
}

void oai_buf_reset(oai_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void oai_buf_free(oai_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *oai_buf_take(oai_buf *b)
{
    char *p = b->data;
    if (!p)
        p = oai_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

char *oai_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *oai_strdup(const char *s)
{
    return s ? oai_strndup(s, strlen(s)) : NULL;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int oai_strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = lower((unsigned char)a[i]), cb = lower((unsigned char)b[i]);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

int oai_strcasecmp_ascii(const char *a, const char *b)
{
    return oai_strncasecmp_ascii(a, b, SIZE_MAX);
}

oai_status oai_set_str(char **slot, const char *s)
{
    char *copy = NULL;
    if (s && !(copy = oai_strdup(s)))
        return OAI_ERR_OUT_OF_MEMORY;
    free(*slot);
    *slot = copy;
    return OAI_OK;
}

static int kv_name_eq(const oai_kvlist *l, const char *a, const char *b)
{
    return l->ignore_case ? oai_strcasecmp_ascii(a, b) == 0 : strcmp(a, b) == 0;
}

static oai_status kvlist_grow(oai_kvlist *l)
{
    if (l->count < l->cap)
        return OAI_OK;
    size_t cap = l->cap ? l->cap * 2 : 8;
    oai_kv *p = realloc(l->items, cap * sizeof *p);
    if (!p)
        return OAI_ERR_OUT_OF_MEMORY;
    l->items = p;
    l->cap = cap;
    return OAI_OK;
}

oai_status oai_kvlist_add(oai_kvlist *l, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
    if (kvlist_grow(l) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    char *n = oai_strndup(name, name_len);
    char *v = value ? oai_strndup(value, value_len) : NULL;
    if (!n || (value && !v)) {
        free(n);
        free(v);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    l->items[l->count].name = n;
    l->items[l->count].value = v;
    l->count++;
    return OAI_OK;
}

oai_status oai_kvlist_set(oai_kvlist *l, const char *name, const char *value)
{
    for (size_t i = 0; i < l->count; i++) {
        if (kv_name_eq(l, l->items[i].name, name)) {
            char *v = NULL;
            if (value && !(v = oai_strdup(value)))
                return OAI_ERR_OUT_OF_MEMORY;
            free(l->items[i].value);
            l->items[i].value = v;
            return OAI_OK;
        }
    }
    return oai_kvlist_add(l, name, strlen(name), value, value ? strlen(value) : 0);
}

void oai_kvlist_remove(oai_kvlist *l, const char *name)
{
    size_t out = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (kv_name_eq(l, l->items[i].name, name)) {
            free(l->items[i].name);
            free(l->items[i].value);
        } else {
            l->items[out++] = l->items[i];
        }
    }
    l->count = out;
}

const oai_kv *oai_kvlist_find(const oai_kvlist *l, const char *name)
{
    for (size_t i = 0; l && i < l->count; i++)
        if (kv_name_eq(l, l->items[i].name, name))
            return &l->items[i];
    return NULL;
}

oai_status oai_kvlist_copy(oai_kvlist *dst, const oai_kvlist *src)
{
    dst->ignore_case = src->ignore_case;
    for (size_t i = 0; i < src->count; i++) {
        const oai_kv *kv = &src->items[i];
        if (oai_kvlist_add(dst, kv->name, strlen(kv->name), kv->value,
                           kv->value ? strlen(kv->value) : 0) != OAI_OK)
            return OAI_ERR_OUT_OF_MEMORY;
    }
    return OAI_OK;
}

void oai_kvlist_free(oai_kvlist *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}

int oai_header_name_ok(const char *name)
{
    if (!name || !*name)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* RFC 9110 token characters. */
        if (*p <= 32 || *p >= 127 || strchr("\"(),/:;<=>?@[\\]{}", *p))
            return 0;
    }
    return 1;
}

int oai_header_value_ok(const char *value)
{
    return value && !strpbrk(value, "\r\n");
}

int oai_header_is_loggable(const char *name)
{
    /* Credentials travel under names no list of bad ones can foresee
     * (api-key, Ocp-Apim-Subscription-Key, X-Api-Credential, X-Session,
     * ...): only these are shown. */
    static const char *const harmless[] = {
        "accept", "accept-encoding", "accept-language", "cache-control", "connection",
        "content-length", "content-type", "expect", "idempotency-key", "openai-beta",
        "openai-organization", "openai-project", "user-agent", "x-request-id",
    };
    if (oai_strncasecmp_ascii(name, "x-stainless-", 12) == 0)
        return 1;
    for (size_t i = 0; i < sizeof harmless / sizeof *harmless; i++)
        if (oai_strcasecmp_ascii(name, harmless[i]) == 0)
            return 1;
    return 0;
}

char *oai_url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    oai_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int unreserved = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                         (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (oai_buf_append(&b, unreserved ? (const char *)p : enc, unreserved ? 1 : 3) != OAI_OK) {
            oai_buf_free(&b);
            return NULL;
        }
    }
    return oai_buf_take(&b);
}

int64_t oai_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t oai_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

oai_status oai_random_bytes(void *buf, size_t len)
{
    if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
        return OAI_ERR_OUT_OF_MEMORY;
    return OAI_OK;
}

double oai_random_unit(void)
{
    uint64_t r = 0;
    if (oai_random_bytes(&r, sizeof r) != OAI_OK)
        return 0.5; /* no entropy: a fixed mid-range jitter is still safe */
    return (double)(r >> 11) / 9007199254740992.0; /* 53 bits into [0, 1) */
}

oai_status oai_uuid4(char out[37])
{
    unsigned char b[16];
    if (oai_random_bytes(b, sizeof b) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
    return OAI_OK;
}

char *oai_trim(char *s)
{
    if (!s)
        return s;
    char *start = s;
    while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
        start++;
    size_t n = strlen(start);
    while (n && (start[n - 1] == ' ' || start[n - 1] == '\t' || start[n - 1] == '\r' ||
                 start[n - 1] == '\n'))
        n--;
    memmove(s, start, n);
    s[n] = '\0';
    return s;
}
