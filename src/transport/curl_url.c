/* URLs through libcurl's URL API (the interface is http/url.h): part of
 * the libcurl transport, so that libcurl stays inside src/transport/. The
 * rules around the parser (pre-checks, path joining, redaction) are in
 * http/url_common.c, shared with http/url_builtin.c, the backend for builds
 * without libcurl. */
#include "http/url.h"
#include "http/url_common.h"

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
    *out = NULL;
    if (!oai__url_has_authority(text)) {
        *why = oai__url_why_not_http;
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
        *why = oai__url_why_scheme;
    } else if (st == OAI_ERR_INVALID_ARGUMENT) {
        *why = uc == CURLUE_UNSUPPORTED_SCHEME || uc == CURLUE_BAD_SCHEME ? oai__url_why_not_http
                                                                          : curl_url_strerror(uc);
    }
    curl_free(scheme);
    if (st != OAI_OK) {
        curl_url_cleanup(u);
        return st;
    }
    *out = u;
    return OAI_OK;
}

/* ------------------------------------------------------------------------ */
/* Plain URLs. Going through the URL API (a handle, a parse, a join, the
 * URL written back) costs some 15,000 instructions, a tenth of a whole short
 * request, and every request builds its URL and the URL its log lines show.
 * Most URLs are plain ("https://api.openai.com/v1" and "/chat/completions"),
 * and for a plain URL curl's result is the text as it is, so these skip the
 * URL API. A URL is plain when it is:
 *   - "http://" or "https://", in lowercase (curl lowercases the scheme);
 *   - a host name: labels of letters, digits, '-' and '_' joined by single
 *     dots; when a label starts with a digit, only four decimal octets
 *     without leading zeros (curl rewrites the other numeric forms);
 *   - an optional port: digits without a leading zero, at most 65535;
 *   - a path of segments of unreserved characters (letters, digits, '-',
 *     '.', '_', '~'), none empty, "." or "..";
 *   - no user, password, query or fragment;
 *   - shorter than PLAIN_MAX (curl has limits on long URLs: 8,000,000
 *     bytes of input or output).
 * Anything else goes through curl. test_url_backends holds both ways to the
 * builtin backend's answers, over its corpus and its mutations. */

#define PLAIN_MAX 65536

static int is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal octet: 0 to 255, no leading zero. */
static int is_octet(const char *s, size_t n)
{
    size_t i;
    unsigned v = 0;
    if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
        return 0;
    for (i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= 255;
}

/* The length of a plain host at s (up to ':', '/' or the end), or 0. */
static size_t plain_host(const char *s)
{
    size_t n = 0, labels = 0, octets = 0, numeric = 0;
    while (s[n] && s[n] != ':' && s[n] != '/') {
        size_t start = n;
        while (s[n] && s[n] != '.' && s[n] != ':' && s[n] != '/') {
            unsigned char c = (unsigned char)s[n];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c == '-' || c == '_'))
                return 0;
            n++;
        }
        if (n == start)
            return 0; /* an empty label */
        labels++;
        numeric |= is_digit(s[start]);
        octets += is_octet(s + start, n - start);
        if (s[n] == '.' && (!s[n + 1] || s[n + 1] == ':' || s[n + 1] == '/'))
            return 0; /* a trailing dot */
        if (s[n] == '.')
            n++;
    }
    if (numeric && (labels != 4 || octets != 4))
        return 0;
    return n;
}

/* The length of "scheme://host[:port]" when that much of url is plain, or 0. */
static size_t plain_authority(const char *url)
{
    size_t n = strncmp(url, "http://", 7) == 0 ? 7 : strncmp(url, "https://", 8) == 0 ? 8 : 0;
    size_t host = n ? plain_host(url + n) : 0;
    if (!host)
        return 0;
    n += host;
    if (url[n] == ':') {
        size_t digits = 0;
        unsigned long port = 0;
        for (n++; is_digit(url[n]) && digits < 6; n++, digits++)
            port = port * 10 + (unsigned long)(url[n] - '0');
        if (digits == 0 || url[n - digits] == '0' || port > 65535)
            return 0;
    }
    return url[n] == '\0' || url[n] == '/' ? n : 0;
}

/* Whether path[0..n) is a plain path ('/' first, or as if there were one). */
static int plain_path(const char *path, size_t n)
{
    size_t i = 0;
    if (n > 0 && path[0] == '/')
        i = 1;
    while (i < n) {
        size_t start = i;
        while (i < n && path[i] != '/') {
            if (!is_unreserved((unsigned char)path[i]))
                return 0;
            i++;
        }
        if (i == start || (i - start == 1 && path[start] == '.') ||
            (i - start == 2 && path[start] == '.' && path[start + 1] == '.'))
            return 0;
        if (i < n)
            i++; /* the '/' */
        if (i == n && path[n - 1] == '/')
            return 0; /* an empty last segment */
    }
    return 1;
}

/* Whether a URL is plain, path and all, with a path. */
static int plain_url(const char *url)
{
    size_t n = plain_authority(url), len = n ? strlen(url) : 0;
    return n && len < PLAIN_MAX && url[n] == '/' && plain_path(url + n, len - n);
}

/* The URL of a relative request path without a query on a plain base, with
 * no parameters, joined as curl joins it; NULL in *out when the URL is not
 * plain. OAI_OK or OAI_ERR_OUT_OF_MEMORY. */
static oai_status build_plain(const char *base, const char *path, const oai__kvlist *query, char **out)
{
    size_t authority = plain_authority(base), base_path, path_len, i;
    char *url;
    *out = NULL;
    for (i = 0; query && i < query->count; i++)
        if (query->items[i].value)
            return OAI_OK;
    if (!authority || strchr(path, '?'))
        return OAI_OK;
    base_path = oai__url_trimmed_length(base + authority);
    path_len = strlen(path);
    if (authority + base_path + path_len >= PLAIN_MAX - 1 || !plain_path(base + authority, base_path) ||
        !plain_path(path, path_len))
        return OAI_OK;
    url = oai__malloc(authority + base_path + 1 + path_len + 1);
    if (!url)
        return OAI_ERR_OUT_OF_MEMORY;
    memcpy(url, base, authority + base_path);
    i = authority + base_path;
    if (path_len == 0 || path[0] != '/')
        url[i++] = '/';
    memcpy(url + i, path, path_len + 1);
    *out = url;
    return OAI_OK;
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
    if (!text || oai__url_has_control_or_space(text)) {
        *why = oai__url_why_space;
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
        *why = oai__url_why_fragment;
    }
    if (st == OAI_OK)
        st = get_part(u, CURLUPART_PATH, &path);
    if (st == OAI_OK && !(trimmed = oai__strndup(path ? path : "", oai__url_trimmed_length(path))))
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
    oai__free(trimmed);
    curl_url_cleanup(u);
    return st;
}

/* Puts the request's path (with its own query, if any) below the base's. */
static oai_status join_path(CURLU *u, const char *path)
{
    size_t path_len;
    const char *query = oai__url_split_query(path, &path_len);
    char *base_path = NULL;
    oai__buf joined = {0};
    oai_status st = get_part(u, CURLUPART_PATH, &base_path);
    if (st == OAI_OK)
        st = oai__url_join_path(&joined, base_path, path, path_len);
    if (st == OAI_OK)
        st = status_from_uc(curl_url_set(u, CURLUPART_PATH, joined.data, 0));
    if (st == OAI_OK && query)
        st = status_from_uc(curl_url_set(u, CURLUPART_QUERY, query, CURLU_APPENDQUERY));
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
        st = oai__url_param_text(&pair, kv);
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
    if (!path || oai__url_has_control_or_space(path))
        return OAI_ERR_INVALID_ARGUMENT;
    int absolute = oai__url_is_absolute(path);
    oai_status st = absolute || !base ? OAI_OK : build_plain(base, path, query, out);
    if (st != OAI_OK || *out)
        return st;
    CURLU *u;
    st = parse_http_url(absolute ? path : base, &u, &why);
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

char *oai__url_for_log(const char *url)
{
    const char *why;
    CURLU *u;
    if (url && plain_url(url))
        return oai__strdup(url); /* nothing to redact, nothing curl would change */
    oai_status st = parse_http_url(url ? url : "", &u, &why);
    if (st == OAI_ERR_INVALID_ARGUMENT)
        return oai__strdup(oai__url_unparsable);
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
        st = oai__url_redact_query(query, &redacted);
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

const char *oai__url_backend(void)
{
    /* The library loaded at run time: its rules are the ones in force. */
    return curl_version();
}
