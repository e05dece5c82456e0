/* The retry policy: pure functions, no I/O, no clock, no randomness of their
 * own. The engine passes in the wall-clock time (for HTTP-date retry-after)
 * and a uniform random number, so tests drive every decision exactly. */
#ifndef OAI_RETRY_H
#define OAI_RETRY_H

#include "oai.h"

typedef struct oai_retry_policy {
    int max_retries;     /* retries allowed after the first attempt */
    int64_t base_ms;     /* first backoff, default 500 */
    int64_t max_ms;      /* backoff ceiling, default 8000 */
    int64_t cap_ms;      /* largest server-requested delay honoured, default 60000 */
} oai_retry_policy;

typedef struct oai_retry_input {
    int retries_done;            /* retries already made: 0 after the first attempt */
    oai_status status;           /* the attempt's outcome class */
    int http_status;             /* 0 when no response arrived */
    const char *should_retry;    /* `x-should-retry` header value, or NULL */
    const char *retry_after_ms;  /* `retry-after-ms` header value, or NULL */
    const char *retry_after;     /* `retry-after` header value, or NULL */
    int64_t now_unix_ms;         /* wall clock, for HTTP-date values */
    double random;               /* uniform in [0, 1) */
    int stream_started;          /* non-zero once a streamed event reached the caller */
} oai_retry_input;

typedef struct oai_retry_decision {
    int retry;                /* non-zero: retry after delay_ms */
    int64_t delay_ms;         /* the wait before the retry */
    int64_t server_delay_ms;  /* the server-requested delay, -1 when none was given
                                 (set even when above the cap) */
    const char *reason;       /* static text for logs, e.g. "status 429",
                                 "retry-after above cap", "x-should-retry: false" */
} oai_retry_decision;

/* Decides whether and when to retry. Order:
 *  1. stream_started -> no retry.
 *  2. retries_done >= max_retries -> no retry.
 *  3. server delay (retry-after-ms, then retry-after seconds, then HTTP-date;
 *     NaN/inf/negative/unparseable ignored; a past date is 0) above cap_ms ->
 *     no retry (server_delay_ms reports it).
 *  4. x-should-retry "true" -> retry; "false" -> no retry.
 *  5. retryable outcome: OAI_ERR_CONNECTION, OAI_ERR_TIMEOUT, HTTP 408, 409,
 *     429, >= 500. Anything else -> no retry.
 *  Delay: the server delay when given (0 <= d <= cap), else
 *  min(base_ms * 2^retries_done, max_ms) * (1 - 0.25 * random). */
void oai_retry_decide(const oai_retry_policy *policy, const oai_retry_input *in,
                      oai_retry_decision *out);

/* The server-requested delay in ms from the two headers, or -1 when neither
 * gives a usable value. Never negative otherwise. */
int64_t oai_retry_server_delay_ms(const char *retry_after_ms, const char *retry_after,
                                  int64_t now_unix_ms);

/* Parses an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT"; also the
 * obsolete RFC 850 and asctime forms). Returns 0 and sets *unix_ms, or -1. */
int oai_retry_parse_http_date(const char *s, int64_t *unix_ms);

/* The backoff delay for the n-th retry (n = retries already made). */
int64_t oai_retry_backoff_ms(const oai_retry_policy *policy, int retries_done, double random);

/* Maps an HTTP status to its oai_status class (2xx -> OAI_OK). */
oai_status oai_status_from_http(int http_status);

#endif
