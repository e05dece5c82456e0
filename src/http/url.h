/* URLs: the base URL's validation, each request's full URL, and the form
 * logs may show. Everything is parsed and assembled by a URL parser, never
 * by string concatenation, so a base URL's query survives (Azure's
 * ?api-version=) and odd input is refused instead of producing a URL
 * nobody meant.
 *
 * Two backends implement this interface with the same results: transport/curl_url.c with
 * libcurl's URL API (curl_url), and url_builtin.c, which follows libcurl's
 * rules without libcurl, for builds with OAI_WITH_CURL=OFF. What they
 * share is in url_common.c; tests/test_url_backends.c holds them to the
 * same answers. */
#ifndef OAI_URL_H
#define OAI_URL_H

#include "util/util.h"

/* Parses a base URL: an absolute http:// or https:// URL with a host, no
 * fragment, no white space or control characters. On success *out gets the
 * normalised URL (scheme and host as curl writes them, the path without
 * trailing '/', the query kept), owned by the caller. On failure *why (when
 * not NULL) gets a static reason such as "the scheme must be http or https"
 * (never the URL itself, which may hold a password).
 * OAI_OK, OAI_ERR_INVALID_ARGUMENT or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__url_parse_base(const char *text, char **out, const char **why);

/* The full URL of a request: the base URL's path followed by `path` (which
 * may carry its own "?query"), or `path` alone when it is an absolute
 * http(s) URL; then the base's query, the path's query and the `query`
 * parameters (percent-encoded here), in that order. *out is owned by the
 * caller. OAI_OK, OAI_ERR_INVALID_ARGUMENT (a path curl refuses, an
 * absolute URL of another scheme) or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__url_build(const char *base, const char *path, const oai__kvlist *query, char **out);

/* The URL as logs may show it: without user name and password, and with
 * the values of query parameters whose names look like credentials (key,
 * token, secret, signature, ...) replaced by "[redacted]". A URL that does
 * not parse gives "[unparsable URL]". NULL only when memory ran out. */
char *oai__url_for_log(const char *url);

/* Which backend this build has: curl_version() ("libcurl/7.88.1 ...") for
 * transport/curl_url.c, "builtin" for url_builtin.c. For tests and diagnostics. */
const char *oai__url_backend(void);

/* 1 when a query parameter or header name looks like it carries a
 * credential ("api-key", "X-Session-Token", "sig", ...). */
int oai__name_looks_secret(const char *name);

#endif
