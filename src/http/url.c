/* URLs through libcurl's URL API (see url.h). */
#include "http/url.h"

#include <curl/curl.h>

#include <stdlib.h>
#include <string.h>

static oai_status status_from_uc(CURLUcode uc)
{
    if (uc == CURLUE_OK)
        return OAI_OK;
    return uc == CURLUE_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_INVALID_ARGUMENT;
}

static int is_http_scheme(const char *scheme)
{
    return scheme && (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
}

/* Fetches one part; *value is NULL (and OAI_OK) when the part is absent. */
static oai_status get_part(CURLU *u, CURLUPart part, char **value)
{
    *value = NULL;
    CURLUcode uc = curl_url_get(u, part, value, 0);
    switch (uc) {
    case CURLUE_OK:
    case CURLUE_NO_SCHEME:
    case CURLUE_NO_USER:
    case CURLUE_NO_PASSWORD:
    case CURLUE_NO_OPTIONS:
    case CURLUE_NO_HOST:
    case CURLUE_NO_PORT:
    case CURLUE_NO_QUERY:
    case CURLUE_NO_FRAGMENT:
#if LIBCURL_VERSION_NUM >= 0x074500
    case CURLUE_NO_ZONEID:
#endif
        return OAI_OK;
    default:
        return status_from_uc(uc);
    }
}

/* Parses an absolute http(s) URL into a new handle. */
static oai_status parse_http_url(const char *text, CURLU **out, const char **why)
{
    static const char *const bad_url = "it is not an absolute http:// or https:// URL";
    *out = NULL;
    const char *authority = strstr(text, "://");
    /* curl reads "http:///v1" as the host "v1": refuse an empty authority. */
    if (!authority || authority[3] == '/' || authority[3] == '\0') {
        *why = bad_url;
        return OAI_ERR_INVALID_ARGUMENT;
    }
    CURLU *u = curl_url();
    if (!u)
        return OAI_ERR_OUT_OF_MEMORY;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, text, 0);
    char *scheme = NULL;
    oai_status st = status_from_uc(uc);
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_SCHEME, &scheme);
    if (st == OAI_OK && !is_http_scheme(scheme)) {
        st = OAI_ERR_INVALID_ARGUMENT;
        *why = "the scheme must be http or https";
    } else if (st == OAI_ERR_INVALID_ARGUMENT) {
        *why = uc == CURLUE_UNSUPPORTED_SCHEME || uc == CURLUE_BAD_SCHEME ? bad_url : curl_url_strerror(uc);
    }
    curl_free(scheme);
    if (st != OAI_OK) {
        curl_url_cleanup(u);
        return st;
    }
    *out = u;
    return OAI_OK;
}

static int has_control_or_space(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 32 || *p == 127)
            return 1;
    return 0;
}

/* The path without trailing slashes (a new string). */
static char *path_without_trailing_slash(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    while (n > 0 && path[n - 1] == '/')
        n--;
    return oai__strndup(path ? path : "", n);
}

/* Hands curl's string over as one of ours (curl_free vs free). */
static char *take_curl_string(char *s)
{
    char *copy = oai__strdup(s);
    curl_free(s);
    return copy;
}

oai_status oai__url_parse_base(const char *text, char **out, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    *out = NULL;
    *why = NULL;
    if (!text || has_control_or_space(text)) {
        *why = "it contains white space or control characters";
        return OAI_ERR_INVALID_ARGUMENT;
    }
    CURLU *u;
    oai_status st = parse_http_url(text, &u, why);
    if (st != OAI_OK)
        return st;
    char *fragment = NULL, *path = NULL, *trimmed = NULL, *url = NULL;
    st = get_part(u, CURLUPART_FRAGMENT, &fragment);
    if (st == OAI_OK && (fragment || strchr(text, '#'))) {
        st = OAI_ERR_INVALID_ARGUMENT;
        *why = "a base URL cannot have a fragment ('#')";
    }
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_PATH, &path);
    if (st == OAI_OK && !(trimmed = path_without_trailing_slash(path)))
        st = OAI_ERR_OUT_OF_MEMORY;
    /* curl writes an empty path as "/": keep the host's root as is. */
    if (st == OAI_OK && *trimmed)
        st = status_from_uc(curl_url_set(u, CURLUPART_PATH, trimmed, 0));
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_URL, &url);
    if (st == OAI_OK && !(*out = take_curl_string(url)))
        st = OAI_ERR_OUT_OF_MEMORY;
    else if (st != OAI_OK)
        curl_free(url);
    curl_free(fragment);
    curl_free(path);
    free(trimmed);
    curl_url_cleanup(u);
    return st;
}

static int is_absolute(const char *path)
{
    return oai__strncasecmp_ascii(path, "http://", 7) == 0 || oai__strncasecmp_ascii(path, "https://", 8) == 0;
}

/* Puts the request's path (with its own query, if any) below the base's. */
static oai_status join_path(CURLU *u, const char *path)
{
    const char *q = strchr(path, '?');
    size_t path_len = q ? (size_t)(q - path) : strlen(path);
    char *base_path = NULL;
    oai_status st = get_part(u, CURLUPART_PATH, &base_path);
    oai__buf joined = {0};
    if (st == OAI_OK) {
        size_t base_len = base_path ? strlen(base_path) : 0;
        while (base_len > 0 && base_path[base_len - 1] == '/')
            base_len--;
        st = oai__buf_append(&joined, base_path ? base_path : "", base_len);
        if (st == OAI_OK && (path_len == 0 || path[0] != '/'))
            st = oai__buf_append(&joined, "/", 1);
        if (st == OAI_OK)
            st = oai__buf_append(&joined, path, path_len);
    }
    if (st == OAI_OK)
        st = status_from_uc(curl_url_set(u, CURLUPART_PATH, joined.data, 0));
    if (st == OAI_OK && q && q[1])
        st = status_from_uc(curl_url_set(u, CURLUPART_QUERY, q + 1, CURLU_APPENDQUERY));
    curl_free(base_path);
    oai__buf_free(&joined);
    return st;
}

static oai_status append_params(CURLU *u, const oai__kvlist *query)
{
    oai__buf pair = {0};
    oai_status st = OAI_OK;
    for (size_t i = 0; query && st == OAI_OK && i < query->count; i++) {
        const oai__kv *kv = &query->items[i];
        if (!kv->value)
            continue;
        oai__buf_reset(&pair);
        st = oai__buf_printf(&pair, "%s=%s", kv->name, kv->value);
        /* URLENCODE encodes everything but the first '=': a value holding
         * '&' or '#' stays one value. */
        if (st == OAI_OK)
            st = status_from_uc(curl_url_set(u, CURLUPART_QUERY, pair.data, CURLU_APPENDQUERY | CURLU_URLENCODE));
    }
    oai__buf_free(&pair);
    return st;
}

oai_status oai__url_build(const char *base, const char *path, const oai__kvlist *query, char **out)
{
    const char *why = NULL;
    *out = NULL;
    if (!path || has_control_or_space(path))
        return OAI_ERR_INVALID_ARGUMENT;
    int absolute = is_absolute(path);
    CURLU *u;
    oai_status st = parse_http_url(absolute ? path : base, &u, &why);
    if (st != OAI_OK)
        return st;
    if (!absolute)
        st = join_path(u, path);
    if (st == OAI_OK)
        st = append_params(u, query);
    char *url = NULL;
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_URL, &url);
    if (st == OAI_OK && !(*out = take_curl_string(url)))
        st = OAI_ERR_OUT_OF_MEMORY;
    else if (st != OAI_OK)
        curl_free(url);
    curl_url_cleanup(u);
    return st;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Decodes %XX escapes of a query name into out (truncated to cap - 1). */
static void decode_name(const char *name, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        char c = name[i];
        if (c == '%' && i + 2 < len && is_hex(name[i + 1]) && is_hex(name[i + 2])) {
            char hex[3] = {name[i + 1], name[i + 2], 0};
            c = (char)strtol(hex, NULL, 16);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        out[o++] = c;
    }
    out[o] = '\0';
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

/* The query with credential-like values replaced. */
static oai_status redact_query(const char *query, oai__buf *out)
{
    oai_status st = OAI_OK;
    const char *p = query;
    while (st == OAI_OK && *p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t name_len = eq ? (size_t)(eq - p) : len;
        char name[128];
        decode_name(p, name_len, name, sizeof name);
        if (out->len)
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

char *oai__url_for_log(const char *url)
{
    const char *why;
    CURLU *u;
    oai_status st = parse_http_url(url ? url : "", &u, &why);
    if (st == OAI_ERR_INVALID_ARGUMENT)
        return oai__strdup("[unparsable URL]");
    if (st != OAI_OK)
        return NULL;
    char *query = NULL, *text = NULL;
    oai__buf redacted = {0};
    st = status_from_uc(curl_url_set(u, CURLUPART_USER, NULL, 0));
    if (st == OAI_OK)
        st = status_from_uc(curl_url_set(u, CURLUPART_PASSWORD, NULL, 0));
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_QUERY, &query);
    if (st == OAI_OK && query && *query) {
        st = redact_query(query, &redacted);
        if (st == OAI_OK)
            st = status_from_uc(curl_url_set(u, CURLUPART_QUERY, redacted.data, 0));
    }
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_URL, &text);
    char *result = st == OAI_OK ? take_curl_string(text) : NULL;
    if (st != OAI_OK)
        curl_free(text);
    curl_free(query);
    oai__buf_free(&redacted);
    curl_url_cleanup(u);
    return result;
}
