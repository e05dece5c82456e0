/* What both URL backends share (url_common.c): the rules of oai's own that
 * sit around the parser, so that transport/curl_url.c (libcurl's URL API) and
 * http/url_builtin.c (no libcurl) cannot drift apart on them. Nothing here
 * parses a URL; that is each backend's job. */
#ifndef OAI_URL_COMMON_H
#define OAI_URL_COMMON_H

#include "http/url.h"

/* The reasons oai__url_parse_base() gives for refusing a base URL that both
 * backends detect the same way. Static text, never the URL (it may hold a
 * password). */
extern const char oai__url_why_space[];     /* white space or control characters */
extern const char oai__url_why_not_http[];  /* no "scheme://authority" */
extern const char oai__url_why_scheme[];    /* a scheme other than http(s) */
extern const char oai__url_why_fragment[];  /* a '#' in a base URL */
/* What oai__url_for_log() gives for a URL that does not parse. */
extern const char oai__url_unparsable[];

/* The value of a hex digit (either case), -1 for any other byte. */
int oai__url_hex_value(char c);

/* 1 when s holds a byte curl's parser refuses: a space, a control
 * character or DEL. */
int oai__url_has_control_or_space(const char *s);

/* 1 when text has "://" followed by something other than '/' or the end.
 * curl reads "http:///v1" as the host "v1" (it allows up to three
 * slashes): an empty authority is refused before either parser runs. */
int oai__url_has_authority(const char *text);

/* 1 when a request path is itself an absolute http:// or https:// URL
 * (either case), which then replaces the base URL. */
int oai__url_is_absolute(const char *path);

/* The length of path without its trailing '/'s ("/v1//" gives 3). */
size_t oai__url_trimmed_length(const char *path);

/* A request path is split at its first '?': *path_len gets the length of
 * the part before it. Returns the query to merge after the base URL's, or
 * NULL when there is none or it is empty ("/x?"). */
const char *oai__url_split_query(const char *path, size_t *path_len);

/* The path a request goes to: the base URL's path without trailing '/',
 * then '/' unless the request path starts with one, then the request path
 * (path_len bytes). Appended to out. */
oai_status oai__url_join_path(oai__buf *out, const char *base_path, const char *path, size_t path_len);

/* "name=value" for one query parameter, before percent-encoding (which
 * keeps the first '=' only, so a '=' or '&' in a value stays in it).
 * OAI_OK, or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__url_param_text(oai__buf *out, const oai__kv *kv);

/* The query with the values of credential-like names replaced by
 * "[redacted]" (names are compared after decoding %XX and '+'). Appended
 * to out, which is left NUL-terminated even for an empty result. */
oai_status oai__url_redact_query(const char *query, oai__buf *out);

#endif
