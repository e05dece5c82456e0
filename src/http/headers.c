/* What every transport needs from us about headers: validation, which
 * values may be logged, percent-encoding (headers.h). */
#include "http/headers.h"

#include <stdlib.h>
#include <string.h>

int oai__header_name_ok(const char *name)
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

int oai__header_value_ok(const char *value)
{
    return value && !strpbrk(value, "\r\n");
}

int oai__header_is_loggable(const char *name)
{
    /* Credentials travel under names no list of bad ones can foresee
     * (api-key, Ocp-Apim-Subscription-Key, X-Api-Credential, X-Session,
     * ...): only these are shown. */
    static const char *const harmless[] = {
        "accept", "accept-encoding", "accept-language", "cache-control", "connection",
        "content-length", "content-type", "expect", "idempotency-key", "openai-beta",
        "openai-organization", "openai-project", "user-agent", "x-request-id",
    };
    if (oai__strncasecmp_ascii(name, "x-stainless-", 12) == 0)
        return 1;
    for (size_t i = 0; i < sizeof harmless / sizeof *harmless; i++)
        if (oai__strcasecmp_ascii(name, harmless[i]) == 0)
            return 1;
    return 0;
}

char *oai__url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    oai__buf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int unreserved = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                         (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (oai__buf_append(&b, unreserved ? (const char *)p : enc, unreserved ? 1 : 3) != OAI_OK) {
            oai__buf_free(&b);
            return NULL;
        }
    }
    return oai__buf_take(&b);
}
