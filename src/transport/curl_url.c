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

char *oai__url_for_log(const char *url)
{
    const char *why;
    CURLU *u;
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
