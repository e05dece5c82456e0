/* URLs without libcurl (see url.h), for builds with OAI_WITH_CURL=OFF.
 *
 * transport/curl_url.c gets its answers from libcurl's URL API; this file must give
 * the same ones, byte for byte and status for status, so that a program
 * behaves the same whichever way liboai was built. It therefore follows
 * libcurl 7.88's parser (lib/urlapi.c) in the few calls curl_url.c makes, quirks
 * included: percent-escapes in a host are decoded, in a path or an added
 * query their hex digits are written in lower case, numeric IPv4 forms
 * ("127.1", "0x7f.1") are normalised, an IPv6 address is rewritten only
 * when that makes it shorter, "." and ".." segments are removed from a
 * parsed path but not from a joined one. tests/test_url_backends.c runs a
 * corpus through both backends and requires identical results.
 *
 * The rules that are oai's own (pre-checks, joining, redaction) are in
 * url_common.c, shared with transport/curl_url.c. */
#include "http/url.h"
#include "http/url_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcurl refuses a URL or a part longer than this (CURL_MAX_INPUT_LENGTH)
 * as malformed, and reports a result that reaches it (its printf and query
 * buffers have the same limit) as out of memory. */
#define URL_MAX_INPUT 8000000

static const char why_too_long[] = "it is longer than 8000000 bytes";
static const char why_no_host[] = "it has no host name";
static const char why_bad_host[] = "the host name contains characters a host name cannot have";
static const char why_bad_ipv6[] = "the IPv6 address is not valid";
static const char why_bad_port[] = "the port is not a number from 0 to 65535";

/* A parsed URL, every part as it is written out (percent-encoded), NULL
 * when absent. The host is decoded already; the writer re-encodes '%'. */
typedef struct url_parts {
    char *scheme;
    char *user;
    char *password;
    char *host;
    char *zoneid; /* of an IPv6 address, without "%25" */
    char *port;
    char *path;   /* NULL is written as "/" */
    char *query;  /* "" when the URL ends in a bare '?' */
    char *fragment;
} url_parts;

static void parts_free(url_parts *u)
{
    oai__free(u->scheme);
    oai__free(u->user);
    oai__free(u->password);
    oai__free(u->host);
    oai__free(u->zoneid);
    oai__free(u->port);
    oai__free(u->path);
    oai__free(u->query);
    oai__free(u->fragment);
    memset(u, 0, sizeof *u);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Replaces *slot with a copy of n bytes of s; OAI_OK or out of memory. */
static oai_status set_part(char **slot, const char *s, size_t n)
{
    char *copy = oai__strndup(s, n);
    if (!copy)
        return OAI_ERR_OUT_OF_MEMORY;
    oai__free(*slot);
    *slot = copy;
    return OAI_OK;
}

/* ---- escapes -------------------------------------------------------------- */

/* The byte a "%XX" at p stands for; -1 when p does not start with one. */
static int escape_value(const char *p)
{
    int hi = p[0] == '%' ? oai__url_hex_value(p[1]) : -1;
    int lo = hi >= 0 ? oai__url_hex_value(p[2]) : -1;
    return lo >= 0 ? hi * 16 + lo : -1;
}

/* curl stores a path or query it is given with the hex digits of its
 * %XX escapes in lower case ("%3A" becomes "%3a"). */
static void lower_escapes(char *s)
{
    for (char *p = s; *p; p++) {
        if (escape_value(p) >= 0) {
            for (int i = 1; i <= 2; i++)
                if (p[i] >= 'A' && p[i] <= 'F')
                    p[i] = (char)(p[i] - 'A' + 'a');
            p += 2;
        }
    }
}

static int is_unreserved(unsigned char c)
{
    return is_alnum((char)c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* A query parameter as CURLU_APPENDQUERY | CURLU_URLENCODE encodes it:
 * space as '+', the first '=' kept, every other byte but the RFC 3986
 * unreserved ones as lower-case %xx. */
static oai_status encode_param(const char *text, oai__buf *out)
{
    static const char hex[] = "0123456789abcdef";
    int equals_kept = 0;
    oai_status st = oai__buf_append(out, "", 0);
    for (const unsigned char *p = (const unsigned char *)text; st == OAI_OK && *p; p++) {
        if (*p == ' ') {
            st = oai__buf_append(out, "+", 1);
        } else if (is_unreserved(*p) || (*p == '=' && !equals_kept)) {
            equals_kept |= *p == '=';
            st = oai__buf_append(out, p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            st = oai__buf_append(out, esc, 3);
        }
    }
    return st;
}

/* Decodes %XX escapes of a host name in place. A decoded control
 * character refuses the host, as curl does. */
static oai_status decode_host(char *host, const char **why)
{
    char *out = host;
    for (const char *p = host; *p;) {
        int escaped = escape_value(p);
        unsigned char c = escaped >= 0 ? (unsigned char)escaped : (unsigned char)*p;
        p += escaped >= 0 ? 3 : 1;
        if (c < 0x20) {
            *why = why_bad_host;
            return OAI_ERR_INVALID_ARGUMENT;
        }
        *out++ = (char)c;
    }
    *out = '\0';
    return OAI_OK;
}

/* ---- dot segments --------------------------------------------------------- */

/* Removes the last segment and its '/' from out (RFC 3986 5.2.4 C). */
static void drop_last_segment(char *out, size_t *len)
{
    while (*len > 0 && out[--*len] != '/')
        ;
    out[*len] = '\0';
}

/* Handles a dot segment at in (which starts with '/'), as curl's
 * dedotdotify() does; returns the bytes consumed, 0 when in does not start
 * with one. *done is set when the path ended with it. */
static size_t dot_segment(const char *in, char *out, size_t *len, int *done)
{
    if (strncmp(in, "/./", 3) == 0)
        return 2;
    if (strcmp(in, "/.") == 0) {
        out[(*len)++] = '/';
        out[*len] = '\0';
        *done = 1;
        return 2;
    }
    if (strncmp(in, "/../", 4) == 0) {
        drop_last_segment(out, len);
        return 3;
    }
    if (strcmp(in, "/..") == 0) {
        drop_last_segment(out, len);
        out[(*len)++] = '/';
        out[*len] = '\0';
        *done = 1;
        return 3;
    }
    return 0;
}

/* "." and ".." segments removed from a parsed path (which starts with
 * '/'); a new string, or NULL when memory ran out. */
static char *remove_dot_segments(const char *path)
{
    size_t n = strlen(path), len = 0;
    char *out = oai__malloc(n + 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    const char *in = path;
    int done = 0;
    while (*in && !done) {
        size_t used = dot_segment(in, out, &len, &done);
        if (used) {
            in += used;
            continue;
        }
        /* Moves one segment: its '/' and what follows up to the next. */
        do
            out[len++] = *in++;
        while (*in && *in != '/');
        out[len] = '\0';
    }
    return out;
}

/* ---- IPv4 ----------------------------------------------------------------- */

/* One number of a numeric IPv4 host, read as strtoul(..., 0) reads it
 * (0x hex, 0 octal, else decimal). 0 when it does not start with a digit
 * or exceeds 32 bits. */
static int ipv4_number(const char **s, unsigned long *value)
{
    const char *p = *s;
    unsigned base = 10;
    if (!is_digit(*p))
        return 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && oai__url_hex_value(p[2]) >= 0) {
        base = 16;
        p += 2;
    } else if (p[0] == '0') {
        base = 8;
    }
    unsigned long v = 0;
    int d;
    while ((d = oai__url_hex_value(*p)) >= 0 && (unsigned)d < base) {
        v = v * base + (unsigned)d;
        if (v > 0xffffffffUL)
            return 0;
        p++;
    }
    *s = p;
    *value = v;
    return 1;
}

/* curl accepts "a", "a.b", "a.b.c" and "a.b.c.d" with the last number
 * filling the remaining bytes, and writes them as four decimals. 1 and
 * out (16 bytes) filled when host is such an address. */
static int ipv4_normalize(const char *host, char *out)
{
    unsigned long part[4] = {0, 0, 0, 0};
    int n = 0;
    const char *p = host;
    for (;;) {
        if (!ipv4_number(&p, &part[n]))
            return 0;
        if (*p == '\0')
            break;
        if (*p != '.' || n == 3)
            return 0;
        n++;
        p++;
    }
    /* The last number holds the low 32 - 8 * n bits. */
    unsigned long last_max = 0xffffffffUL >> (8 * n);
    for (int i = 0; i < n; i++)
        if (part[i] > 0xff)
            return 0;
    if (part[n] > last_max)
        return 0;
    unsigned long addr = part[n];
    for (int i = 0; i < n; i++)
        addr |= part[i] << (24 - 8 * i);
    snprintf(out, 16, "%lu.%lu.%lu.%lu", (addr >> 24) & 0xff, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
             addr & 0xff);
    return 1;
}

/* ---- IPv6 ----------------------------------------------------------------- */

/* A dotted IPv4 address at the end of an IPv6 one, as inet_pton() reads
 * it: four decimals of at most 255, no leading zeros. */
static int ipv6_tail_ipv4(const char *s, const char *end, unsigned char *dst)
{
    int octets = 0, digits = 0;
    unsigned value = 0;
    for (; s < end; s++) {
        if (is_digit(*s)) {
            if (digits && value == 0)
                return 0;
            value = value * 10 + (unsigned)(*s - '0');
            if (value > 255 || (!digits && ++octets > 4))
                return 0;
            digits = 1;
            dst[octets - 1] = (unsigned char)value;
        } else if (*s == '.' && digits && octets < 4) {
            digits = 0;
            value = 0;
        } else {
            return 0;
        }
    }
    return octets == 4 && digits;
}

/* Puts a group of hex digits in; 0 when there is no room. */
static int ipv6_group(unsigned char *tmp, size_t *tp, unsigned value)
{
    if (*tp + 2 > 16)
        return 0;
    tmp[(*tp)++] = (unsigned char)(value >> 8);
    tmp[(*tp)++] = (unsigned char)(value & 0xff);
    return 1;
}

/* Widens "::" to the zeros it stands for; 0 when it would stand for none. */
static int ipv6_expand(unsigned char *tmp, size_t tp, long colon)
{
    if (colon < 0)
        return tp == 16;
    if (tp == 16)
        return 0;
    size_t n = tp - (size_t)colon;
    memmove(tmp + 16 - n, tmp + colon, n);
    memset(tmp + colon, 0, 16 - n - (size_t)colon);
    return 1;
}

/* The IPv6 address of len bytes at src into dst[16], with the rules of
 * inet_pton(AF_INET6), which curl uses (a portable copy: this backend is
 * for hosts without libcurl, possibly without inet_pton too). */
static int ipv6_parse(const char *src, size_t len, unsigned char dst[16])
{
    unsigned char tmp[16] = {0};
    const char *end = src + len, *token;
    size_t tp = 0, digits = 0;
    long colon = -1;
    unsigned value = 0;
    if (src == end || (*src == ':' && (++src == end || *src != ':')))
        return 0;
    for (token = src; src < end;) {
        char c = *src++;
        if (oai__url_hex_value(c) >= 0) {
            if (digits++ == 4)
                return 0;
            value = value << 4 | (unsigned)oai__url_hex_value(c);
        } else if (c == ':' && digits == 0) {
            if (colon >= 0)
                return 0;
            colon = (long)tp;
            token = src;
        } else if (c == ':') {
            if (src == end || !ipv6_group(tmp, &tp, value))
                return 0;
            digits = value = 0;
            token = src;
        } else if (c == '.' && tp + 4 <= 16 && ipv6_tail_ipv4(token, end, tmp + tp)) {
            tp += 4;
            digits = 0;
            break;
        } else {
            return 0;
        }
    }
    if (digits && !ipv6_group(tmp, &tp, value))
        return 0;
    if (!ipv6_expand(tmp, tp, colon))
        return 0;
    memcpy(dst, tmp, 16);
    return 1;
}

/* The longest run of two or more zero groups (the first of equal ones);
 * *base is -1 when there is none. */
static void ipv6_zero_run(const unsigned words[8], int *base, int *len)
{
    *base = -1;
    *len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && words[j] == 0)
            j++;
        if (j - i > *len && j - i >= 2) {
            *base = i;
            *len = j - i;
        }
        i = j > i ? j : i + 1;
    }
}

/* Writes addr as inet_ntop(AF_INET6) does: lower-case hex, the longest
 * zero run as "::", an IPv4-mapped or -compatible tail as dotted decimal.
 * out holds at least 46 bytes. */
static void ipv6_format(const unsigned char addr[16], char *out)
{
    unsigned words[8];
    int base, len;
    for (int i = 0; i < 8; i++)
        words[i] = (unsigned)addr[2 * i] << 8 | addr[2 * i + 1];
    ipv6_zero_run(words, &base, &len);
    char *p = out;
    for (int i = 0; i < 8; i++) {
        if (base >= 0 && i >= base && i < base + len) {
            if (i == base)
                *p++ = ':';
            continue;
        }
        if (i != 0)
            *p++ = ':';
        if (i == 6 && base == 0 && (len == 6 || (len == 5 && words[5] == 0xffff))) {
            p += sprintf(p, "%u.%u.%u.%u", addr[12], addr[13], addr[14], addr[15]);
            break;
        }
        p += sprintf(p, "%x", words[i]);
    }
    if (base >= 0 && base + len == 8)
        *p++ = ':';
    *p = '\0';
}

/* A zone after '%' in "[addr%zone]": an optional "25" (the encoded '%'),
 * then 1 to 15 bytes up to ']'. Kept apart; the writer puts it back. */
static oai_status ipv6_zone(url_parts *u, const char *z)
{
    if (strncmp(z, "25", 2) == 0 && z[2] && z[2] != ']')
        z += 2;
    size_t n = 0;
    while (z[n] && z[n] != ']' && n < 15)
        n++;
    if (n == 0 || z[n] != ']')
        return OAI_ERR_INVALID_ARGUMENT;
    return set_part(&u->zoneid, z, n);
}

/* Checks a bracketed IPv6 host (after decoding) and rewrites it the way
 * curl does: "[addr]" with the zone kept apart, and the address in its
 * canonical form only when that is shorter than what was written. */
static oai_status ipv6_host(url_parts *u, char *host)
{
    size_t hlen = strlen(host);
    if (hlen < 4)
        return OAI_ERR_INVALID_ARGUMENT;
    char *addr = host + 1;
    size_t len = strspn(addr, "0123456789abcdefABCDEF:.");
    /* Bytes other than those of an address: a zone, or a refusal. */
    if (len != hlen - 2) {
        oai_status st = addr[len] == '%' ? ipv6_zone(u, addr + len + 1) : OAI_ERR_INVALID_ARGUMENT;
        if (st != OAI_OK)
            return st;
    }
    unsigned char bin[16];
    char canon[64];
    if (!ipv6_parse(addr, len, bin))
        return OAI_ERR_INVALID_ARGUMENT;
    ipv6_format(bin, canon);
    if (strlen(canon) < len) {
        len = strlen(canon);
        memcpy(addr, canon, len);
    }
    addr[len] = ']';
    addr[len + 1] = '\0';
    return OAI_OK;
}

/* ---- the authority -------------------------------------------------------- */

/* Moves "user[:password]@" (up to the first '@') out of the host. */
static oai_status split_login(url_parts *u, char *host)
{
    char *at = strchr(host, '@');
    if (!at)
        return OAI_OK;
    char *colon = memchr(host, ':', (size_t)(at - host));
    size_t user_len = (size_t)((colon ? colon : at) - host);
    oai_status st = set_part(&u->user, host, user_len);
    if (st == OAI_OK && colon)
        st = set_part(&u->password, colon + 1, (size_t)(at - colon - 1));
    if (st == OAI_OK)
        memmove(host, at + 1, strlen(at + 1) + 1);
    return st;
}

/* The digits after "host:": decimal, at most 65535, written without
 * leading zeros; nothing at all is no port (browsers ignore such a ':'). */
static oai_status parse_port(url_parts *u, const char *p, const char **why)
{
    unsigned long port = 0;
    const char *d = p;
    if (*p == '\0')
        return OAI_OK;
    while (is_digit(*d) && port <= 0xffff)
        port = port * 10 + (unsigned long)(*d++ - '0');
    if (!is_digit(*p) || *d || port > 0xffff) {
        *why = why_bad_port;
        return OAI_ERR_INVALID_ARGUMENT;
    }
    char digits[8];
    snprintf(digits, sizeof digits, "%lu", port);
    return set_part(&u->port, digits, strlen(digits));
}

/* Cuts the port off the host: after the first ':', or for an IPv6 host
 * after the first ']', where only ':' may follow. */
static oai_status split_port(url_parts *u, char *host, const char **why)
{
    char *sep = strchr(host, ':');
    if (host[0] == '[') {
        char *close = strchr(host, ']');
        sep = close && close[1] ? close + 1 : NULL;
        if (!close || (sep && *sep != ':')) {
            *why = !close ? why_bad_ipv6 : why_bad_port;
            return OAI_ERR_INVALID_ARGUMENT;
        }
    }
    if (!sep)
        return OAI_OK;
    *sep = '\0';
    return parse_port(u, sep + 1, why);
}

/* A host name (not a number, not IPv6) may hold anything but these. */
static int host_name_ok(const char *name)
{
    return strcspn(name, " \r\n\t/:#?!@{}[]\\$'\"^`*<>=;,+&()") == strlen(name);
}

/* The host after login and port are gone: a numeric IPv4 form rewritten,
 * a name decoded and checked, an IPv6 address checked. *host may be
 * replaced (a normalised IPv4 address can be longer than what was
 * written: "0" is "0.0.0.0"). */
static oai_status check_host(url_parts *u, char **host, const char **why)
{
    char ipv4[16];
    if (ipv4_normalize(*host, ipv4))
        return set_part(host, ipv4, strlen(ipv4));
    oai_status st = (*host)[0] != '[' ? decode_host(*host, why) : OAI_OK;
    if (st != OAI_OK)
        return st;
    if ((*host)[0] == '\0') {
        *why = why_no_host;
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if ((*host)[0] == '[') {
        st = ipv6_host(u, *host);
        *why = st == OAI_ERR_INVALID_ARGUMENT ? why_bad_ipv6 : *why;
        return st;
    }
    if (host_name_ok(*host))
        return OAI_OK;
    *why = why_bad_host;
    return OAI_ERR_INVALID_ARGUMENT;
}

/* "[user[:password]@]host[:port]", len bytes at auth. */
static oai_status parse_authority(url_parts *u, const char *auth, size_t len, const char **why)
{
    char *host = oai__strndup(auth, len);
    if (!host)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_status st = split_login(u, host);
    if (st == OAI_OK)
        st = split_port(u, host, why);
    if (st == OAI_OK)
        st = check_host(u, &host, why);
    if (st == OAI_OK)
        u->host = host;
    else
        oai__free(host);
    return st;
}

/* ---- the whole URL -------------------------------------------------------- */

/* The scheme (letters, digits, '+', '-', '.' up to ':', as curl reads it,
 * in lower case, http or https only) and the one to three slashes after
 * it. *rest gets where the authority starts. */
static oai_status parse_scheme(url_parts *u, const char *text, const char **rest, const char **why)
{
    size_t n = 0;
    while (n < 40 && (is_alnum(text[n]) || text[n] == '+' || text[n] == '-' || text[n] == '.'))
        n++;
    size_t slashes = 0;
    while (n && text[n] == ':' && slashes < 4 && text[n + 1 + slashes] == '/')
        slashes++;
    if (!n || text[n] != ':' || slashes < 1 || slashes > 3) {
        *why = oai__url_why_not_http;
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if (!((n == 4 && oai__strncasecmp_ascii(text, "http", 4) == 0) ||
          (n == 5 && oai__strncasecmp_ascii(text, "https", 5) == 0))) {
        *why = oai__url_why_scheme;
        return OAI_ERR_INVALID_ARGUMENT;
    }
    *rest = text + n + 1 + slashes;
    return set_part(&u->scheme, n == 4 ? "http" : "https", n);
}

/* What follows the authority: the path (dot segments removed), the query
 * up to '#' ("" for a bare '?') and the fragment (none for a bare '#'). */
static oai_status parse_tail(url_parts *u, const char *tail)
{
    const char *hash = strchr(tail, '#');
    const char *q = strchr(tail, '?');
    if (q && hash && q > hash)
        q = NULL;
    size_t path_len = (size_t)((q ? q : hash ? hash : tail + strlen(tail)) - tail);
    oai_status st = OAI_OK;
    if (hash && hash[1])
        st = set_part(&u->fragment, hash + 1, strlen(hash + 1));
    if (st == OAI_OK && q)
        st = set_part(&u->query, q + 1, (size_t)((hash ? hash : q + strlen(q)) - q - 1));
    /* "" and "/" are no path: written as "/". */
    if (st == OAI_OK && path_len > 1)
        st = set_part(&u->path, tail, path_len);
    if (st == OAI_OK && u->path && strchr(u->path, '.')) {
        char *clean = remove_dot_segments(u->path);
        if (!clean)
            return OAI_ERR_OUT_OF_MEMORY;
        oai__free(u->path);
        u->path = clean;
    }
    return st;
}

/* Parses an absolute http(s) URL as curl_url.c's curl_url_set(CURLUPART_URL)
 * does, after the same pre-check for an empty authority. */
static oai_status parse_url(const char *text, url_parts *u, const char **why)
{
    const char *rest = NULL;
    oai_status st = OAI_ERR_INVALID_ARGUMENT;
    memset(u, 0, sizeof *u);
    if (!oai__url_has_authority(text))
        *why = oai__url_why_not_http;
    else if (strlen(text) > URL_MAX_INPUT)
        *why = why_too_long;
    else if (oai__url_has_control_or_space(text))
        *why = oai__url_why_space;
    else
        st = parse_scheme(u, text, &rest, why);
    size_t auth_len = rest ? strcspn(rest, "/?#") : 0;
    if (st == OAI_OK && auth_len == 0) {
        *why = why_no_host;
        st = OAI_ERR_INVALID_ARGUMENT;
    }
    if (st == OAI_OK)
        st = parse_authority(u, rest, auth_len, why);
    if (st == OAI_OK)
        st = parse_tail(u, rest + auth_len);
    if (st != OAI_OK)
        parts_free(u);
    return st;
}

/* The host as written: '%' (from a decoded "%25") encoded again, an IPv6
 * zone put back inside the brackets as "%25zone". */
static oai_status write_host(const url_parts *u, oai__buf *out)
{
    const char *h = u->host;
    oai_status st = OAI_OK;
    if (h[0] == '[' && u->zoneid) {
        st = oai__buf_append(out, h, strlen(h) - 1);
        if (st == OAI_OK)
            st = oai__buf_append(out, "%25", 3);
        if (st == OAI_OK)
            st = oai__buf_append_str(out, u->zoneid);
        return st == OAI_OK ? oai__buf_append(out, "]", 1) : st;
    }
    if (h[0] == '[')
        return oai__buf_append_str(out, h);
    for (; st == OAI_OK && *h; h++)
        st = *h == '%' ? oai__buf_append(out, "%25", 3) : oai__buf_append(out, h, 1);
    return st;
}

/* Appends prefix and s when s is not NULL. */
static oai_status put(oai__buf *b, oai_status st, const char *prefix, const char *s)
{
    if (st == OAI_OK && s)
        st = oai__buf_append_str(b, prefix);
    if (st == OAI_OK && s)
        st = oai__buf_append_str(b, s);
    return st;
}

/* scheme://[user[:password]@]host[:port]path[?query][#fragment], the
 * layout curl_url_get(CURLUPART_URL) writes. */
static oai_status write_url(const url_parts *u, char **out)
{
    oai__buf b = {0};
    oai_status st = put(&b, OAI_OK, "", u->scheme);
    st = put(&b, st, "://", u->user ? u->user : "");
    st = put(&b, st, ":", u->password);
    st = put(&b, st, "@", u->user || u->password ? "" : NULL);
    if (st == OAI_OK)
        st = write_host(u, &b);
    st = put(&b, st, ":", u->port);
    st = put(&b, st, "/", !u->path || u->path[0] != '/' ? "" : NULL);
    st = put(&b, st, "", u->path);
    st = put(&b, st, "?", u->query && *u->query ? u->query : NULL);
    st = put(&b, st, "#", u->fragment);
    /* curl's printf buffer has the same limit as its input. */
    if (st == OAI_OK && b.len >= URL_MAX_INPUT)
        st = OAI_ERR_OUT_OF_MEMORY;
    *out = st == OAI_OK ? oai__buf_take(&b) : NULL;
    if (st == OAI_OK && !*out)
        st = OAI_ERR_OUT_OF_MEMORY;
    oai__buf_free(&b);
    return st;
}

/* ---- the interface of url.h ----------------------------------------------- */

oai_status oai__url_parse_base(const char *text, char **out, const char **why)
{
    const char *ignored;
    url_parts u;
    if (!why)
        why = &ignored;
    *out = NULL;
    *why = NULL;
    if (!text || oai__url_has_control_or_space(text)) {
        *why = oai__url_why_space;
        return OAI_ERR_INVALID_ARGUMENT;
    }
    oai_status st = parse_url(text, &u, why);
    if (st != OAI_OK)
        return st;
    if (strchr(text, '#')) {
        *why = oai__url_why_fragment;
        st = OAI_ERR_INVALID_ARGUMENT;
    }
    /* Without trailing '/'; a path of slashes only stays as it is (curl
     * is not asked to set an empty one). */
    size_t trimmed = oai__url_trimmed_length(u.path);
    if (st == OAI_OK && trimmed) {
        u.path[trimmed] = '\0';
        lower_escapes(u.path);
    }
    if (st == OAI_OK)
        st = write_url(&u, out);
    parts_free(&u);
    return st;
}

/* Sets a path or query curl_url.c gives curl unencoded: refused over curl's
 * input limit, stored with lower-case escapes. */
static oai_status take_raw(const char *text, size_t len, char **copy)
{
    if (len > URL_MAX_INPUT)
        return OAI_ERR_INVALID_ARGUMENT;
    if (!(*copy = oai__strndup(text, len)))
        return OAI_ERR_OUT_OF_MEMORY;
    lower_escapes(*copy);
    return OAI_OK;
}

/* Appends to the query as CURLU_APPENDQUERY does: '&' between unless the
 * query ends with one; an absent or empty query is replaced. Takes text. */
static oai_status append_query(url_parts *u, char *text)
{
    size_t have = u->query ? strlen(u->query) : 0;
    if (have == 0) {
        oai__free(u->query);
        u->query = text;
        return OAI_OK;
    }
    oai__buf b = {0};
    oai_status st = oai__buf_append(&b, u->query, have);
    if (st == OAI_OK && u->query[have - 1] != '&')
        st = oai__buf_append(&b, "&", 1);
    if (st == OAI_OK)
        st = oai__buf_append_str(&b, text);
    oai__free(text);
    /* curl builds the merged query in a buffer with its input limit. */
    if (st == OAI_OK && b.len >= URL_MAX_INPUT)
        st = OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK) {
        oai__free(u->query);
        u->query = b.data;
        return OAI_OK;
    }
    oai__buf_free(&b);
    return st;
}

/* Puts the request's path (with its own query, if any) below the base's. */
static oai_status join_path(url_parts *u, const char *path)
{
    size_t path_len;
    const char *query = oai__url_split_query(path, &path_len);
    oai__buf joined = {0};
    char *text = NULL;
    oai_status st = oai__url_join_path(&joined, u->path ? u->path : "/", path, path_len);
    if (st == OAI_OK)
        st = take_raw(joined.data, joined.len, &text);
    if (st == OAI_OK) {
        oai__free(u->path);
        u->path = text;
    }
    oai__buf_free(&joined);
    if (st == OAI_OK && query)
        st = take_raw(query, strlen(query), &text);
    if (st == OAI_OK && query)
        st = append_query(u, text);
    return st;
}

static oai_status append_params(url_parts *u, const oai__kvlist *query)
{
    oai__buf pair = {0}, encoded = {0};
    oai_status st = OAI_OK;
    for (size_t i = 0; query && st == OAI_OK && i < query->count; i++) {
        const oai__kv *kv = &query->items[i];
        if (!kv->value)
            continue;
        oai__buf_reset(&pair);
        st = oai__url_param_text(&pair, kv);
        if (st == OAI_OK && pair.len > URL_MAX_INPUT)
            st = OAI_ERR_INVALID_ARGUMENT;
        if (st == OAI_OK)
            st = encode_param(pair.data, &encoded);
        char *text = st == OAI_OK ? oai__buf_take(&encoded) : NULL;
        if (st == OAI_OK)
            st = text ? append_query(u, text) : OAI_ERR_OUT_OF_MEMORY;
    }
    oai__buf_free(&pair);
    oai__buf_free(&encoded);
    return st;
}

oai_status oai__url_build(const char *base, const char *path, const oai__kvlist *query, char **out)
{
    const char *why = NULL;
    url_parts u;
    *out = NULL;
    if (!path || oai__url_has_control_or_space(path))
        return OAI_ERR_INVALID_ARGUMENT;
    int absolute = oai__url_is_absolute(path);
    oai_status st = parse_url(absolute ? path : base, &u, &why);
    if (st != OAI_OK)
        return st;
    if (!absolute)
        st = join_path(&u, path);
    if (st == OAI_OK)
        st = append_params(&u, query);
    if (st == OAI_OK)
        st = write_url(&u, out);
    parts_free(&u);
    return st;
}

/* The query with credential-like values redacted, set back as url.c sets
 * it (a plain curl_url_set: escapes in lower case, the input limit). */
static oai_status redact_query(url_parts *u)
{
    oai__buf redacted = {0};
    char *text = NULL;
    oai_status st = oai__url_redact_query(u->query, &redacted);
    if (st == OAI_OK)
        st = take_raw(redacted.data, redacted.len, &text);
    if (st == OAI_OK) {
        oai__free(u->query);
        u->query = text;
    }
    oai__buf_free(&redacted);
    return st;
}

char *oai__url_for_log(const char *url)
{
    const char *why;
    url_parts u;
    oai_status st = parse_url(url ? url : "", &u, &why);
    if (st == OAI_ERR_INVALID_ARGUMENT)
        return oai__strdup(oai__url_unparsable);
    if (st != OAI_OK)
        return NULL;
    oai__free(u.user);
    oai__free(u.password);
    u.user = u.password = NULL;
    if (u.query && *u.query)
        st = redact_query(&u);
    char *text = NULL;
    if (st == OAI_OK)
        st = write_url(&u, &text);
    parts_free(&u);
    return text;
}

const char *oai__url_backend(void)
{
    return "builtin";
}
