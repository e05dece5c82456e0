/* Header rules shared by the engine and every transport: validation of
 * names and values, which values logs may show, percent-encoding. */
#ifndef OAI_HTTP_HEADERS_H
#define OAI_HTTP_HEADERS_H

#include "util/util.h"

/* Header checks: a token name (no ':', white space or control characters),
 * a value without CR, LF or NUL. */
int oai__header_name_ok(const char *name);
int oai__header_value_ok(const char *value);
/* 1 for a header whose value may be logged: only headers known to carry
 * no credential (Accept, Content-Type, User-Agent, X-Stainless-*, ...);
 * every other value is redacted. */
int oai__header_is_loggable(const char *name);

/* Percent-encodes everything but RFC 3986 unreserved characters. */
char *oai__url_encode(const char *s);

#endif
