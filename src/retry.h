/* The retry policy: pure functions, no I/O, no clock, no randomness of their
 * own. The engine passes in the wall-clock time (for HTTP-date retry-after)
 * and a uniform random number, so tests drive every decision exactly. */
#ifndef OAI_RETRY_H
#define OAI_RETRY_H

#include "oai.h"

typedef struct oai__retry_policy {
    int max_retries;     /* retries allowed after the first attempt */
    int64_t base_ms;     /* first backoff, default 500 */
    int64_t max_ms;      /* backoff ceiling, default 8000 */
    int64_t cap_ms;      /* largest server-requested delay honoured, default 60000 */
} oai__retry_policy;

typedef struct oai__retry_input {
    int retries_done;            /* retries already made: 0 after the first attempt */
    oai_status status;           /* the attempt's outcome class */
    int http_status;             /* 0 when no response arrived */
    const char *should_retry;    /* `x-should-retry` header value, or NULL */
    const char *retry_after_ms;  /* `retry-after-ms` header value, or NULL */
    const char *retry_after;     /* `retry-after` header value, or NULL */
    int64_t now_unix_ms;         /* wall clock, for HTTP-date values */
    double random;               /* uniform in [0, 1) */
    int stream_started;          /* non-zero once a streamed event reached the caller */
} oai__retry_input;

typedef struct oai__retry_decision {
    int retry;                /* non-zero: retry after delay_ms */
    int64_t delay_ms;         /* the wait before the retry */
    int64_t server_delay_ms;  /* the server-requested delay, -1 when none was given
                                 (set even when above the cap) */
    const char *reason;       /* static text for logs, e.g. "status 429",
                                 "retry-after above cap", "x-should-retry: false" */
} oai__retry_decision;

/* Decides whether and when to retry. Order:
 *  0. an outcome no retry can fix -> no retry, whatever the headers say:
 *     OAI_OK, and every local or terminal class (cancelled, invalid
 *     argument, out of memory, I/O, TLS, protocol, too large, type, invalid
 *     data). Only OAI_ERR_CONNECTION, OAI_ERR_TIMEOUT and the HTTP classes
 *     (OAI_ERR_BAD_REQUEST .. OAI_ERR_API) go on to the steps below.
 *  1. stream_started -> no retry.
 *  2. retries_done >= max_retries -> no retry.
 *  3. server delay (retry-after-ms, then retry-after seconds, then HTTP-date;
 *     NaN/inf/negative/unparseable ignored; a past date is 0) above cap_ms ->
 *     no retry (server_delay_ms reports it).
 *  4. x-should-retry "true" -> retry; "false" -> no retry.
 *  5. retryable outcome: OAI_ERR_CONNECTION, OAI_ERR_TIMEOUT, HTTP 408, 409,
 *     429, >= 500. Anything else -> no retry.
 *  Delay: the server delay when given (0 <= d <= cap), else
 *  min(base_ms * 2^retries_done, max_ms) * (1 - 0.25 * random).
 *  server_delay_ms is filled in on every path; delay_ms is 0 when retry is 0.
 *  Header values may carry surrounding spaces or tabs; x-should-retry is
 *  compared exactly ("true"/"false", lowercase). */
void oai__retry_decide(const oai__retry_policy *policy, const oai__retry_input *in,
                      oai__retry_decision *out);

/* The server-requested delay in ms from the two headers, or -1 when neither
 * gives a usable value. Never negative otherwise. Numbers are plain decimals
 * ("2", "1.5", "1e3"); hex, "inf", "nan" and values that overflow a double
 * are unusable. The result is rounded to the nearest ms and saturates at
 * INT64_MAX. */
int64_t oai__retry_server_delay_ms(const char *retry_after_ms, const char *retry_after,
                                  int64_t now_unix_ms);

/* Parses an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"; also the
 * obsolete RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
 * "Sun Nov  6 08:49:37 1994" forms). The whole string must match (no
 * surrounding spaces); names are case-sensitive; the weekday is not checked
 * against the date; a two-digit year is 19xx from 70, else 20xx.
 * Returns 0 and sets *unix_ms, or -1. */
int oai__retry_parse_http_date(const char *s, int64_t *unix_ms);

/* The backoff delay for the n-th retry (n = retries already made). */
int64_t oai__retry_backoff_ms(const oai__retry_policy *policy, int retries_done, double random);

/* Maps an HTTP status to its oai_status class (2xx -> OAI_OK). */
oai_status oai__status_from_http(int http_status);

#endif
