/* The URL rules both backends share (url_common.h): no libcurl here. */
#include "http/url_common.h"

#include <string.h>

const char oai__url_why_space[] = "it contains white space or control characters";
const char oai__url_why_not_http[] = "it is not an absolute http:// or https:// URL";
const char oai__url_why_scheme[] = "the scheme must be http or https";
const char oai__url_why_fragment[] = "a base URL cannot have a fragment ('#')";
const char oai__url_unparsable[] = "[unparsable URL]";

int oai__url_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int oai__url_has_control_or_space(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 32 || *p == 127)
            return 1;
    return 0;
}

int oai__url_has_authority(const char *text)
{
    const char *sep = text ? strstr(text, "://") : NULL;
    return sep && sep[3] != '/' && sep[3] != '\0';
}

int oai__url_is_absolute(const char *path)
{
    return oai__strncasecmp_ascii(path, "http://", 7) == 0 ||
           oai__strncasecmp_ascii(path, "https://", 8) == 0;
}

size_t oai__url_trimmed_length(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    while (n > 0 && path[n - 1] == '/')
        n--;
    return n;
}

const char *oai__url_split_query(const char *path, size_t *path_len)
{
    const char *q = strchr(path, '?');
    *path_len = q ? (size_t)(q - path) : strlen(path);
    return q && q[1] ? q + 1 : NULL;
}

oai_status oai__url_join_path(oai__buf *out, const char *base_path, const char *path, size_t path_len)
{
    oai_status st = oai__buf_append(out, base_path ? base_path : "", oai__url_trimmed_length(base_path));
    if (st == OAI_OK && (path_len == 0 || path[0] != '/'))
        st = oai__buf_append(out, "/", 1);
    if (st == OAI_OK)
        st = oai__buf_append(out, path, path_len);
    return st;
}

oai_status oai__url_param_text(oai__buf *out, const oai__kv *kv)
{
    oai_status st = oai__buf_append_str(out, kv->name);
    if (st == OAI_OK)
        st = oai__buf_append(out, "=", 1);
    if (st == OAI_OK)
        st = oai__buf_append_str(out, kv->value);
    return st;
}

int oai__name_looks_secret(const char *name)
{
    static const char *const hints[] = {"auth", "key", "token", "secret", "pass", "cookie",
                                        "sig", "credential", "session", "jwt", "bearer"};
    size_t n = strlen(name);
    for (size_t h = 0; h < sizeof hints / sizeof *hints; h++) {
        size_t m = strlen(hints[h]);
        for (size_t i = 0; i + m <= n; i++)
            if (oai__strncasecmp_ascii(name + i, hints[h], m) == 0)
                return 1;
    }
    return 0;
}

/* Decodes %XX escapes and '+' of a query name into out (truncated to
 * cap - 1: the hints are short, and a name that long is still checked on
 * its first bytes). */
static void decode_name(const char *name, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        char c = name[i];
        int hi = c == '%' && i + 2 < len ? oai__url_hex_value(name[i + 1]) : -1;
        int lo = hi >= 0 ? oai__url_hex_value(name[i + 2]) : -1;
        if (lo >= 0) {
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
}

oai_status oai__url_redact_query(const char *query, oai__buf *out)
{
    size_t start = out->len;
    oai_status st = oai__buf_append(out, "", 0);
    const char *p = query;
    while (st == OAI_OK && *p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t name_len = eq ? (size_t)(eq - p) : len;
        char name[128];
        decode_name(p, name_len, name, sizeof name);
        if (out->len > start)
            st = oai__buf_append(out, "&", 1);
        if (st == OAI_OK && eq && oai__name_looks_secret(name)) {
            st = oai__buf_append(out, p, name_len);
            if (st == OAI_OK)
                st = oai__buf_append_str(out, "=[redacted]");
        } else if (st == OAI_OK) {
            st = oai__buf_append(out, p, len);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return st;
}
