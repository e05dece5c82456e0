/* Strings: copies, ASCII case-insensitive comparison, trimming (util.h). */
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

char *oai__strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = oai__malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *oai__strdup(const char *s)
{
    return s ? oai__strndup(s, strlen(s)) : NULL;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int oai__strncasecmp_ascii(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = lower((unsigned char)a[i]), cb = lower((unsigned char)b[i]);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

int oai__strcasecmp_ascii(const char *a, const char *b)
{
    return oai__strncasecmp_ascii(a, b, SIZE_MAX);
}

oai_status oai__set_str(char **slot, const char *s)
{
    char *copy = NULL;
    if (s && !(copy = oai__strdup(s)))
        return OAI_ERR_OUT_OF_MEMORY;
    oai__free(*slot);
    *slot = copy;
    return OAI_OK;
}

char *oai__trim(char *s)
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

int oai__nonempty(const char *s)
{
    return s && *s;
}

const char *oai__base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
