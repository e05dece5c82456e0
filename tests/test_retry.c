/* Unit tests for the retry policy (src/retry.c): every decision path, the
 * server-requested delay headers, HTTP-date parsing, backoff bounds, and the
 * HTTP status mapping. The policy is pure, so each case is one table row. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "retry.h"

/* Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example date. */
#define EXAMPLE_DATE_MS INT64_C(784111777000)
#define IMF_EXAMPLE "Sun, 06 Nov 1994 08:49:37 GMT"
#define RFC850_EXAMPLE "Sunday, 06-Nov-94 08:49:37 GMT"
#define ASCTIME_EXAMPLE "Sun Nov  6 08:49:37 1994"

static const oai__retry_policy default_policy = {2, 500, 8000, 60000};

/* ------------------------------------------------------------------------ */
/* The decision */

typedef struct decide_case {
    const char *name;
    /* input */
    int retries_done;
    oai_status status;
    int http_status;
    const char *should_retry;
    const char *retry_after_ms;
    const char *retry_after;
    int64_t now_offset_ms; /* now = EXAMPLE_DATE_MS + this */
    int stream_started;
    /* expected */
    int retry;
    int64_t delay_ms;
    int64_t server_delay_ms;
    const char *reason;
} decide_case;

#define NO_HDR NULL, NULL, NULL

static const decide_case decide_cases[] = {
    /* Outcome classes, no headers, first retry: backoff 500 (random 0). */
    {"connection", 0, OAI_ERR_CONNECTION, 0, NO_HDR, 0, 0, 1, 500, -1, "connection error"},
    {"timeout", 0, OAI_ERR_TIMEOUT, 0, NO_HDR, 0, 0, 1, 500, -1, "timeout"},
    {"timeout after headers", 0, OAI_ERR_TIMEOUT, 200, NO_HDR, 0, 0, 1, 500, -1, "timeout"},
    {"408", 0, OAI_ERR_API, 408, NO_HDR, 0, 0, 1, 500, -1, "status 408"},
    {"409", 0, OAI_ERR_CONFLICT, 409, NO_HDR, 0, 0, 1, 500, -1, "status 409"},
    {"429", 0, OAI_ERR_RATE_LIMIT, 429, NO_HDR, 0, 0, 1, 500, -1, "status 429"},
    {"500", 0, OAI_ERR_SERVER, 500, NO_HDR, 0, 0, 1, 500, -1, "status >= 500"},
    {"502", 0, OAI_ERR_SERVER, 502, NO_HDR, 0, 0, 1, 500, -1, "status >= 500"},
    {"503", 0, OAI_ERR_SERVER, 503, NO_HDR, 0, 0, 1, 500, -1, "status >= 500"},
    {"504", 0, OAI_ERR_SERVER, 504, NO_HDR, 0, 0, 1, 500, -1, "status >= 500"},
    {"599", 0, OAI_ERR_SERVER, 599, NO_HDR, 0, 0, 1, 500, -1, "status >= 500"},
    {"429 class only", 0, OAI_ERR_RATE_LIMIT, 0, NO_HDR, 0, 0, 1, 500, -1, "status 429"},
    {"400", 0, OAI_ERR_BAD_REQUEST, 400, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"401", 0, OAI_ERR_AUTHENTICATION, 401, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"403", 0, OAI_ERR_PERMISSION_DENIED, 403, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"404", 0, OAI_ERR_NOT_FOUND, 404, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"422", 0, OAI_ERR_UNPROCESSABLE, 422, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"418", 0, OAI_ERR_API, 418, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"stream error event", 0, OAI_ERR_API, 200, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"success", 0, OAI_OK, 200, NO_HDR, 0, 0, 0, 0, -1, "success"},
    {"tls", 0, OAI_ERR_TLS, 0, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"cancelled", 0, OAI_ERR_CANCELLED, 0, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"protocol", 0, OAI_ERR_PROTOCOL, 200, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"too large", 0, OAI_ERR_TOO_LARGE, 200, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"out of memory", 0, OAI_ERR_OUT_OF_MEMORY, 0, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"invalid argument", 0, OAI_ERR_INVALID_ARGUMENT, 0, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},
    {"io", 0, OAI_ERR_IO, 0, NO_HDR, 0, 0, 0, 0, -1, "not retryable"},

    /* Retry budget and streams. */
    {"second retry", 1, OAI_ERR_RATE_LIMIT, 429, NO_HDR, 0, 0, 1, 1000, -1, "status 429"},
    {"max retries reached", 2, OAI_ERR_RATE_LIMIT, 429, NO_HDR, 0, 0, 0, 0, -1, "max retries reached"},
    {"beyond max retries", 7, OAI_ERR_CONNECTION, 0, NO_HDR, 0, 0, 0, 0, -1, "max retries reached"},
    {"stream started", 0, OAI_ERR_SERVER, 500, NO_HDR, 0, 1, 0, 0, -1, "stream started"},
    {"stream started, connection", 0, OAI_ERR_CONNECTION, 200, NO_HDR, 0, 1, 0, 0, -1, "stream started"},

    /* x-should-retry overrides the status class, exact strings only. */
    {"should-retry true on 400", 0, OAI_ERR_BAD_REQUEST, 400, "true", NULL, NULL, 0, 0, 1, 500, -1, "x-should-retry: true"},
    {"should-retry false on 500", 0, OAI_ERR_SERVER, 500, "false", NULL, NULL, 0, 0, 0, 0, -1, "x-should-retry: false"},
    {"should-retry false on 429", 0, OAI_ERR_RATE_LIMIT, 429, "false", "100", NULL, 0, 0, 0, 0, 100, "x-should-retry: false"},
    {"should-retry TRUE ignored", 0, OAI_ERR_BAD_REQUEST, 400, "TRUE", NULL, NULL, 0, 0, 0, 0, -1, "not retryable"},
    {"should-retry 1 ignored", 0, OAI_ERR_BAD_REQUEST, 400, "1", NULL, NULL, 0, 0, 0, 0, -1, "not retryable"},
    {"should-retry False ignored", 0, OAI_ERR_SERVER, 500, "False", NULL, NULL, 0, 0, 1, 500, -1, "status >= 500"},
    {"should-retry true, max reached", 2, OAI_ERR_BAD_REQUEST, 400, "true", NULL, NULL, 0, 0, 0, 0, -1, "max retries reached"},
    {"should-retry true, stream started", 0, OAI_ERR_BAD_REQUEST, 400, "true", NULL, NULL, 0, 1, 0, 0, -1, "stream started"},
    {"should-retry true, cancelled", 0, OAI_ERR_CANCELLED, 400, "true", NULL, NULL, 0, 0, 0, 0, -1, "not retryable"},
    {"should-retry true, success", 0, OAI_OK, 200, "true", NULL, NULL, 0, 0, 0, 0, -1, "success"},
    {"should-retry true, above cap", 0, OAI_ERR_BAD_REQUEST, 400, "true", NULL, "61", 0, 0, 0, 0, 61000, "retry-after above cap"},
    {"should-retry true with delay", 0, OAI_ERR_BAD_REQUEST, 400, "true", "250", NULL, 0, 0, 1, 250, 250, "x-should-retry: true"},

    /* retry-after-ms: milliseconds, floats allowed. */
    {"ms 300", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "300", NULL, 0, 0, 1, 300, 300, "status 429"},
    {"ms 300.4", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "300.4", NULL, 0, 0, 1, 300, 300, "status 429"},
    {"ms 0.6", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "0.6", NULL, 0, 0, 1, 1, 1, "status 429"},
    {"ms 0", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "0", NULL, 0, 0, 1, 0, 0, "status 429"},
    {"ms at cap", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "60000", NULL, 0, 0, 1, 60000, 60000, "status 429"},
    {"ms above cap", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "60001", NULL, 0, 0, 0, 0, 60001, "retry-after above cap"},
    {"ms wins over seconds", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "100", "5", 0, 0, 1, 100, 100, "status 429"},
    {"ms wins over a date", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "100", IMF_EXAMPLE, -5000, 0, 1, 100, 100, "status 429"},
    {"bad ms, seconds used", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "abc", "3", 0, 0, 1, 3000, 3000, "status 429"},
    {"negative ms, seconds used", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "-5", "3", 0, 0, 1, 3000, 3000, "status 429"},
    {"huge ms, seconds used", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "1e400", "2", 0, 0, 1, 2000, 2000, "status 429"},
    {"nan ms, date used", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "NaN", IMF_EXAMPLE, -1500, 0, 1, 1500, 1500, "status 429"},
    {"negative ms alone", 0, OAI_ERR_RATE_LIMIT, 429, NULL, "-5", NULL, 0, 0, 1, 500, -1, "status 429"},
    {"ms on a connection error", 0, OAI_ERR_CONNECTION, 0, NULL, "700", NULL, 0, 0, 1, 700, 700, "connection error"},

    /* retry-after as seconds. */
    {"seconds 2", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "2", 0, 0, 1, 2000, 2000, "status 429"},
    {"seconds 1.5", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "1.5", 0, 0, 1, 1500, 1500, "status 429"},
    {"seconds .25", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, ".25", 0, 0, 1, 250, 250, "status 429"},
    {"seconds 2.", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "2.", 0, 0, 1, 2000, 2000, "status 429"},
    {"seconds +2", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "+2", 0, 0, 1, 2000, 2000, "status 429"},
    {"seconds 1e1", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "1e1", 0, 0, 1, 10000, 10000, "status 429"},
    {"seconds with spaces", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, " \t3 ", 0, 0, 1, 3000, 3000, "status 429"},
    {"seconds 0: immediate", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "0", 0, 0, 1, 0, 0, "status 429"},
    {"seconds -0", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "-0", 0, 0, 1, 0, 0, "status 429"},
    {"seconds at cap", 0, OAI_ERR_SERVER, 503, NULL, NULL, "60", 0, 0, 1, 60000, 60000, "status >= 500"},
    {"seconds just above cap", 0, OAI_ERR_SERVER, 503, NULL, NULL, "60.001", 0, 0, 0, 0, 60001, "retry-after above cap"},
    {"an hour", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "3600", 0, 0, 0, 0, 3600000, "retry-after above cap"},
    {"1e300 seconds", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "1e300", 0, 0, 0, 0, INT64_MAX, "retry-after above cap"},
    {"seconds -1 ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "-1", 0, 0, 1, 500, -1, "status 429"},
    {"seconds NaN ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "NaN", 0, 0, 1, 500, -1, "status 429"},
    {"seconds nan ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "nan", 0, 0, 1, 500, -1, "status 429"},
    {"seconds inf ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "inf", 0, 0, 1, 500, -1, "status 429"},
    {"seconds Infinity ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "Infinity", 0, 0, 1, 500, -1, "status 429"},
    {"seconds 1e400 ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "1e400", 0, 0, 1, 500, -1, "status 429"},
    {"seconds abc ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "abc", 0, 0, 1, 500, -1, "status 429"},
    {"seconds empty ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "", 0, 0, 1, 500, -1, "status 429"},
    {"seconds blank ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "  ", 0, 0, 1, 500, -1, "status 429"},
    {"seconds hex ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "0x10", 0, 0, 1, 500, -1, "status 429"},
    {"seconds 2s ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "2s", 0, 0, 1, 500, -1, "status 429"},
    {"seconds 1,5 ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "1,5", 0, 0, 1, 500, -1, "status 429"},
    {"seconds . ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, ".", 0, 0, 1, 500, -1, "status 429"},
    {"seconds 1e ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "1e", 0, 0, 1, 500, -1, "status 429"},
    {"ignored value, second retry", 1, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "abc", 0, 0, 1, 1000, -1, "status 429"},

    /* retry-after as an HTTP-date: exact milliseconds to a future date, 0
     * for a past one, each of the three formats. */
    {"imf future", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, IMF_EXAMPLE, -5000, 0, 1, 5000, 5000, "status 429"},
    {"imf future, ms offset", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, IMF_EXAMPLE, -4250, 0, 1, 4250, 4250, "status 429"},
    {"imf now", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, IMF_EXAMPLE, 0, 0, 1, 0, 0, "status 429"},
    {"imf past", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, IMF_EXAMPLE, 10000, 0, 1, 0, 0, "status 429"},
    {"imf far past", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "Thu, 01 Jan 1970 00:00:00 GMT", 0, 0, 1, 0, 0, "status 429"},
    {"imf above cap", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, IMF_EXAMPLE, -120000, 0, 0, 0, 120000, "retry-after above cap"},
    {"imf at cap", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, IMF_EXAMPLE, -60000, 0, 1, 60000, 60000, "status 429"},
    {"rfc850 future", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, RFC850_EXAMPLE, -7000, 0, 1, 7000, 7000, "status 429"},
    {"rfc850 past", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, RFC850_EXAMPLE, 1, 0, 1, 0, 0, "status 429"},
    {"asctime future", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, ASCTIME_EXAMPLE, -999, 0, 1, 999, 999, "status 429"},
    {"asctime past", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, ASCTIME_EXAMPLE, 86400000, 0, 1, 0, 0, "status 429"},
    {"date with spaces", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "  " IMF_EXAMPLE " ", -3000, 0, 1, 3000, 3000, "status 429"},
    {"bad date ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "Sun, 06 Nov 1994 08:49:37 UTC", -5000, 0, 1, 500, -1, "status 429"},
    {"impossible date ignored", 0, OAI_ERR_RATE_LIMIT, 429, NULL, NULL, "Sun, 31 Nov 1994 08:49:37 GMT", -5000, 0, 1, 500, -1, "status 429"},
};

static void test_decide_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof decide_cases / sizeof decide_cases[0]; i++) {
        const decide_case *c = &decide_cases[i];
        oai__retry_input in;
        oai__retry_decision out;

        memset(&in, 0, sizeof in);
        in.retries_done = c->retries_done;
        in.status = c->status;
        in.http_status = c->http_status;
        in.should_retry = c->should_retry;
        in.retry_after_ms = c->retry_after_ms;
        in.retry_after = c->retry_after;
        in.now_unix_ms = EXAMPLE_DATE_MS + c->now_offset_ms;
        in.random = 0.0;
        in.stream_started = c->stream_started;
        memset(&out, 0xA5, sizeof out); /* every field must be written */
        oai__retry_decide(&default_policy, &in, &out);

        print_message("case: %s\n", c->name);
        assert_int_equal(out.retry, c->retry);
        assert_true(out.delay_ms == c->delay_ms);
        assert_true(out.server_delay_ms == c->server_delay_ms);
        assert_non_null(out.reason);
        assert_string_equal(out.reason, c->reason);
    }
}

/* The jitter reaches the decision's delay, and a server delay is used as is. */
static void test_decide_uses_random_only_for_backoff(void **state)
{
    oai__retry_input in;
    oai__retry_decision out;

    (void)state;
    memset(&in, 0, sizeof in);
    in.status = OAI_ERR_SERVER;
    in.http_status = 500;
    in.random = 0.5;
    oai__retry_decide(&default_policy, &in, &out);
    assert_int_equal(out.retry, 1);
    assert_true(out.delay_ms == 500 - 62); /* 500 - trunc(500 * 0.25 * 0.5) */

    in.retry_after = "2";
    oai__retry_decide(&default_policy, &in, &out);
    assert_true(out.delay_ms == 2000);
}

/* A policy with custom numbers: the cap and the backoff follow it. */
static void test_decide_custom_policy(void **state)
{
    const oai__retry_policy policy = {5, 100, 1000, 2000};
    oai__retry_input in;
    oai__retry_decision out;

    (void)state;
    memset(&in, 0, sizeof in);
    in.status = OAI_ERR_RATE_LIMIT;
    in.http_status = 429;
    in.retries_done = 4;
    oai__retry_decide(&policy, &in, &out);
    assert_int_equal(out.retry, 1);
    assert_true(out.delay_ms == 1000); /* 100 * 2^4 = 1600, capped at 1000 */

    in.retry_after = "2.5"; /* above this policy's 2 s cap */
    oai__retry_decide(&policy, &in, &out);
    assert_int_equal(out.retry, 0);
    assert_true(out.server_delay_ms == 2500);
    assert_string_equal(out.reason, "retry-after above cap");

    in.retries_done = 5;
    in.retry_after = NULL;
    oai__retry_decide(&policy, &in, &out);
    assert_int_equal(out.retry, 0);
    assert_string_equal(out.reason, "max retries reached");

    /* max_retries 0: never retry. */
    {
        const oai__retry_policy none = {0, 500, 8000, 60000};
        in.retries_done = 0;
        oai__retry_decide(&none, &in, &out);
        assert_int_equal(out.retry, 0);
    }
}

static void test_decide_null_safe(void **state)
{
    oai__retry_input in;
    oai__retry_decision out;

    (void)state;
    memset(&in, 0, sizeof in);
    in.status = OAI_ERR_SERVER;
    oai__retry_decide(NULL, &in, &out);
    assert_int_equal(out.retry, 0);
    assert_true(out.server_delay_ms == -1);
    oai__retry_decide(&default_policy, NULL, &out);
    assert_int_equal(out.retry, 0);
    oai__retry_decide(&default_policy, &in, NULL); /* nothing to write: no crash */
    assert_true(oai__retry_backoff_ms(NULL, 0, 0.0) == 0);
}

/* ------------------------------------------------------------------------ */
/* Server delay, directly */

static void test_server_delay(void **state)
{
    (void)state;
    assert_true(oai__retry_server_delay_ms(NULL, NULL, 0) == -1);
    assert_true(oai__retry_server_delay_ms("", "", 0) == -1);
    assert_true(oai__retry_server_delay_ms("12", NULL, 0) == 12);
    assert_true(oai__retry_server_delay_ms(NULL, "12", 0) == 12000);
    assert_true(oai__retry_server_delay_ms("inf", "-inf", 0) == -1);
    assert_true(oai__retry_server_delay_ms("1e-400", NULL, 0) == 0); /* underflow is 0 */
    assert_true(oai__retry_server_delay_ms("1e18", NULL, 0) == INT64_C(1000000000000000000));
    assert_true(oai__retry_server_delay_ms("1e19", NULL, 0) == INT64_MAX); /* saturates */
    /* Far too long to be a number we read: ignored, not truncated. */
    assert_true(oai__retry_server_delay_ms(
                    "1000000000000000000000000000000000000000000000000000000000000000000000",
                    NULL, 0) == -1);
    /* A date far in the future against an absurd clock saturates. */
    assert_true(oai__retry_server_delay_ms(NULL, IMF_EXAMPLE, INT64_MIN) == INT64_MAX);
    assert_true(oai__retry_server_delay_ms(NULL, IMF_EXAMPLE, INT64_MAX) == 0);
}

/* ------------------------------------------------------------------------ */
/* HTTP-date */

typedef struct date_case {
    const char *text;
    int ok;
    int64_t unix_s;
} date_case;

static void test_parse_http_date(void **state)
{
    static const date_case cases[] = {
        {IMF_EXAMPLE, 1, 784111777},
        {RFC850_EXAMPLE, 1, 784111777},
        {ASCTIME_EXAMPLE, 1, 784111777},
        {"Sun Nov 06 08:49:37 1994", 1, 784111777}, /* asctime, zero-padded day */
        {"Thu, 01 Jan 1970 00:00:00 GMT", 1, 0},
        {"Tue, 29 Feb 2000 12:00:00 GMT", 1, 951825600},      /* leap (divisible by 400) */
        {"Fri, 01 Mar 2024 00:00:00 GMT", 1, 1709251200},
        {"Fri, 31 Dec 9999 23:59:59 GMT", 1, 253402300799},
        {"Fri, 01 Jan 1960 00:00:00 GMT", 1, -315619200},      /* before the epoch */
        {"Wed, 01 Mar 1600 00:00:00 GMT", 1, -11670912000},
        {"Sun, 28 Feb 2100 00:00:00 GMT", 1, 4107456000},
        {"Tuesday, 01-Jan-69 00:00:00 GMT", 1, 3124224000},   /* 69 -> 2069 */
        {"Thursday, 01-Jan-70 00:00:00 GMT", 1, 0},           /* 70 -> 1970 */
        {"Mon, 06 Nov 1994 08:49:37 GMT", 1, 784111777},     /* weekday not cross-checked */
        {"Sun, 06 Nov 1994 23:59:60 GMT", 1, 784166400},     /* leap second */
        {"Sun Nov  6 08:49:37 1994x", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT ", 0, 0},           /* the parser wants it trimmed */
        {" Sun, 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37 UTC", 0, 0},
        {"Sun, 06 Nov 1994 08:49:37", 0, 0},
        {"Sun, 6 Nov 1994 08:49:37 GMT", 0, 0},             /* one-digit day */
        {"Sun, 06 Nov 94 08:49:37 GMT", 0, 0},              /* two-digit year in IMF */
        {"sun, 06 nov 1994 08:49:37 GMT", 0, 0},            /* names are case-sensitive */
        {"Sun, 06 Foo 1994 08:49:37 GMT", 0, 0},
        {"Sun 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Xyz, 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 00 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun, 31 Nov 1994 08:49:37 GMT", 0, 0},
        {"Wed, 29 Feb 1995 00:00:00 GMT", 0, 0},            /* not a leap year */
        {"Mon, 29 Feb 2100 00:00:00 GMT", 0, 0},            /* century, not a leap year */
        {"Sun, 06 Nov 1994 24:00:00 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:60:00 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:49:61 GMT", 0, 0},
        {"Sun, 06 Nov 1994 8:49:37 GMT", 0, 0},
        {"Sun, 06 Nov 1994 08:49 GMT", 0, 0},
        {"Sunday, 06-Nov-1994 08:49:37 GMT", 0, 0},          /* RFC 850 wants 2 digits */
        {"Sun, 06-Nov-94 08:49:37 GMT", 0, 0},               /* RFC 850 wants the long name */
        {"Sunday, 06 Nov 1994 08:49:37 GMT", 0, 0},
        {"Sun Nov 6 08:49:37 1994", 0, 0},                  /* asctime pads the day */
        {"Sun Nov  6 08:49:37 94", 0, 0},
        {"Sun Nov  6 08:49:37 1994 GMT", 0, 0},
        {"1994-11-06T08:49:37Z", 0, 0},
        {"", 0, 0},
        {"120", 0, 0},
    };
    size_t i;
    int64_t ms;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("date: \"%s\"\n", cases[i].text);
        ms = -42;
        assert_int_equal(oai__retry_parse_http_date(cases[i].text, &ms), cases[i].ok ? 0 : -1);
        if (cases[i].ok) assert_true(ms == cases[i].unix_s * 1000);
    }
    assert_int_equal(oai__retry_parse_http_date(NULL, &ms), -1);
    assert_int_equal(oai__retry_parse_http_date(IMF_EXAMPLE, NULL), -1);
}

/* Every day from 1969 to 2101 parses to the day after the one before, so
 * the civil-date arithmetic has no gap or overlap at any month or year. */
static void test_parse_http_date_every_day(void **state)
{
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int year, month, day;
    int64_t previous = INT64_MIN;
    char text[64];
    long days = 0;

    (void)state;
    for (year = 1969; year <= 2101; year++) {
        for (month = 0; month < 12; month++) {
            for (day = 1; day <= 31; day++) {
                int64_t ms;
                snprintf(text, sizeof text, "Mon, %02d %s %04d 00:00:00 GMT", day, months[month], year);
                if (oai__retry_parse_http_date(text, &ms) != 0) {
                    assert_true(day >= 29); /* only month ends may be refused */
                    continue;
                }
                if (previous != INT64_MIN) assert_true(ms - previous == 86400000);
                previous = ms;
                days++;
                if (year == 1970 && month == 0 && day == 1) assert_true(ms == 0);
            }
        }
    }
    /* 133 years, 32 of them leap years (1972..2096, 2000 included; 2100 not). */
    assert_int_equal(days, 133 * 365 + 32);
}

/* ------------------------------------------------------------------------ */
/* Backoff */

static void test_backoff_default_bounds(void **state)
{
    static const int64_t nominal[] = {500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000, 8000, 8000};
    int n;

    (void)state;
    for (n = 0; n <= 10; n++) {
        int64_t low = oai__retry_backoff_ms(&default_policy, n, 0.999999);
        int64_t high = oai__retry_backoff_ms(&default_policy, n, 0.0);
        print_message("n = %d\n", n);
        assert_true(high == nominal[n]);
        /* The jitter shortens by at most a quarter, and 0.999999 nearly that. */
        assert_true(low >= nominal[n] * 3 / 4);
        assert_true(low <= nominal[n] * 3 / 4 + 1);
        assert_true(oai__retry_backoff_ms(&default_policy, n, 0.5) ==
                    nominal[n] - nominal[n] / 8);
    }
    /* Huge n: no overflow, still the ceiling. */
    assert_true(oai__retry_backoff_ms(&default_policy, 1000, 0.0) == 8000);
    assert_true(oai__retry_backoff_ms(&default_policy, 1000, 0.999999) == 6001);
    assert_true(oai__retry_backoff_ms(&default_policy, INT_MAX, 0.0) == 8000);
    assert_true(oai__retry_backoff_ms(&default_policy, -1, 0.0) == 500);
}

static void test_backoff_custom(void **state)
{
    const oai__retry_policy small = {3, 100, 1000, 60000};
    const oai__retry_policy base_above_max = {3, 5000, 1000, 60000};
    const oai__retry_policy unbounded = {3, 1, INT64_MAX, 60000};
    const oai__retry_policy zero = {3, 0, 8000, 60000};
    const oai__retry_policy negative = {3, -5, -1, 60000};
    static const int64_t expected[] = {100, 200, 400, 800, 1000, 1000};
    int n;

    (void)state;
    for (n = 0; n < 6; n++) assert_true(oai__retry_backoff_ms(&small, n, 0.0) == expected[n]);
    assert_true(oai__retry_backoff_ms(&base_above_max, 0, 0.0) == 1000);
    assert_true(oai__retry_backoff_ms(&unbounded, 62, 0.0) == (INT64_C(1) << 62));
    assert_true(oai__retry_backoff_ms(&unbounded, 63, 0.0) == INT64_MAX);
    assert_true(oai__retry_backoff_ms(&unbounded, 1000, 0.0) == INT64_MAX);
    assert_true(oai__retry_backoff_ms(&unbounded, 1000, 0.999999) >= INT64_MAX / 4 * 3);
    assert_true(oai__retry_backoff_ms(&zero, 5, 0.5) == 0);
    assert_true(oai__retry_backoff_ms(&negative, 5, 0.5) == 0);
    /* Out-of-range random numbers are treated as 0: no jitter, no surprise. */
    assert_true(oai__retry_backoff_ms(&small, 0, -1.0) == 100);
    assert_true(oai__retry_backoff_ms(&small, 0, 1.0) == 100);
    assert_true(oai__retry_backoff_ms(&small, 0, 7.0) == 100);
    assert_true(oai__retry_backoff_ms(&small, 0, NAN) == 100);
}

/* ------------------------------------------------------------------------ */
/* HTTP status classes */

static void test_status_from_http(void **state)
{
    static const struct {
        int http;
        oai_status status;
    } cases[] = {
        {200, OAI_OK}, {201, OAI_OK}, {204, OAI_OK}, {299, OAI_OK},
        {400, OAI_ERR_BAD_REQUEST}, {401, OAI_ERR_AUTHENTICATION},
        {403, OAI_ERR_PERMISSION_DENIED}, {404, OAI_ERR_NOT_FOUND},
        {409, OAI_ERR_CONFLICT}, {422, OAI_ERR_UNPROCESSABLE}, {429, OAI_ERR_RATE_LIMIT},
        {500, OAI_ERR_SERVER}, {502, OAI_ERR_SERVER}, {503, OAI_ERR_SERVER},
        {504, OAI_ERR_SERVER}, {599, OAI_ERR_SERVER}, {600, OAI_ERR_SERVER},
        {100, OAI_ERR_API}, {101, OAI_ERR_API}, {199, OAI_ERR_API}, {300, OAI_ERR_API},
        {301, OAI_ERR_API}, {304, OAI_ERR_API}, {402, OAI_ERR_API}, {405, OAI_ERR_API},
        {408, OAI_ERR_API}, {410, OAI_ERR_API}, {413, OAI_ERR_API}, {418, OAI_ERR_API},
        {499, OAI_ERR_API}, {0, OAI_ERR_API}, {-1, OAI_ERR_API},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        print_message("http %d\n", cases[i].http);
        assert_int_equal(oai__status_from_http(cases[i].http), cases[i].status);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide_table),
        cmocka_unit_test(test_decide_uses_random_only_for_backoff),
        cmocka_unit_test(test_decide_custom_policy),
        cmocka_unit_test(test_decide_null_safe),
        cmocka_unit_test(test_server_delay),
        cmocka_unit_test(test_parse_http_date),
        cmocka_unit_test(test_parse_http_date_every_day),
        cmocka_unit_test(test_backoff_default_bounds),
        cmocka_unit_test(test_backoff_custom),
        cmocka_unit_test(test_status_from_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
