/* The retry policy: whether a failed attempt is tried again, and after how
 * long. Pure functions: the engine passes in the clock and the randomness,
 * so every decision can be replayed exactly by the tests.
 *
 * The rules follow the official SDKs (see the project's reference notes):
 * retry-after-ms, then retry-after as seconds, then as an HTTP-date; a
 * server delay above the cap means "do not retry" (Python's choice), because
 * a client that waits less than the server asked only earns another 429.
 */
#include "retry.h"
#include "util/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Header values */

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* Copies `s` without surrounding spaces and tabs into `buf`. Returns -1 when
 * it does not fit (no valid header value we read is that long). */
static int trim_copy(const char *s, char *buf, size_t size)
{
    size_t len;

    while (is_ows(*s)) s++;
    len = strlen(s);
    while (len > 0 && is_ows(s[len - 1])) len--;
    if (len >= size) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return 0;
}

static size_t count_digits(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') n++;
    return n;
}

/* Whether `s` is a plain decimal number: [+-] digits [. digits] [e [+-] digits],
 * with digits on at least one side of the point. strtod() alone would also
 * take hex, "inf", "nan" and leading spaces, none of which a server means. */
static int is_decimal_number(const char *s)
{
    size_t int_digits, frac_digits = 0;

    if (*s == '+' || *s == '-') s++;
    int_digits = count_digits(s);
    s += int_digits;
    if (*s == '.') {
        frac_digits = count_digits(s + 1);
        s += 1 + frac_digits;
    }
    if (int_digits + frac_digits == 0) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (count_digits(s) == 0) return 0;
        s += count_digits(s);
    }
    return *s == '\0';
}

/* Parses a header value holding a decimal number. Returns 0 and sets *out,
 * or -1 for anything else, including values that overflow a double. */
static int parse_number(const char *value, double *out)
{
    char buf[64];
    double d;

    if (trim_copy(value, buf, sizeof buf) != 0 || !is_decimal_number(buf)) return -1;
    errno = 0;
    d = strtod(buf, NULL);
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) return -1;
    if (!isfinite(d)) return -1;
    *out = d;
    return 0;
}

/* Milliseconds as an int64_t, rounded to the nearest and saturating (a cast
 * of an out-of-range double is undefined behaviour). `ms` is finite, >= 0. */
static int64_t ms_from_double(double ms)
{
    if (ms >= 9223372036854775807.0) return INT64_MAX;
    return (int64_t)(ms + 0.5);
}

/* A non-negative, finite count of `unit_ms` milliseconds, or -1. */
static int64_t delay_from_number(const char *value, double unit_ms)
{
    double d;
    if (value == NULL || parse_number(value, &d) != 0 || d < 0) return -1;
    return ms_from_double(d * unit_ms); /* d * 1000 may be inf: saturates */
}

static int64_t delay_from_http_date(const char *value, int64_t now_unix_ms)
{
    char buf[64];
    int64_t date_ms;

    if (value == NULL || trim_copy(value, buf, sizeof buf) != 0 ||
        oai__retry_parse_http_date(buf, &date_ms) != 0)
        return -1;
    if (date_ms <= now_unix_ms) return 0; /* already past: retry now */
    /* Only an absurd clock could make the difference overflow; saturate. */
    if (date_ms >= 0 && now_unix_ms < date_ms - INT64_MAX) return INT64_MAX;
    return date_ms - now_unix_ms;
}

int64_t oai__retry_server_delay_ms(const char *retry_after_ms, const char *retry_after,
                                  int64_t now_unix_ms)
{
    int64_t delay = delay_from_number(retry_after_ms, 1.0);
    if (delay < 0) delay = delay_from_number(retry_after, 1000.0);
    if (delay < 0) delay = delay_from_http_date(retry_after, now_unix_ms);
    return delay;
}

/* ------------------------------------------------------------------------ */
/* HTTP-date (RFC 9110 section 5.6.7) */

/* Days from 1970-01-01 to the given proleptic Gregorian date. The year is
 * shifted to start in March so the leap day falls at the end of a year;
 * then whole 400-year eras (146097 days) are counted. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
    int64_t era, year_of_era, day_of_year, day_of_era;
    int shifted_month = month > 2 ? month - 3 : month + 9; /* March = 0 */

    if (month <= 2) year--;
    era = (year >= 0 ? year : year - 399) / 400;
    year_of_era = year - era * 400;                           /* 0..399 */
    day_of_year = (153 * shifted_month + 2) / 5 + day - 1;     /* 0..365 */
    day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468; /* 719468: 0000-03-01 to 1970-01-01 */
}

static int is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

typedef struct http_date {
    int year, month, day, hour, minute, second;
} http_date;

/* A cursor over the text being parsed; every reader advances it only on
 * success and reports failure with 0. */
typedef struct cursor {
    const char *p;
} cursor;

static int read_literal(cursor *c, const char *literal)
{
    size_t n = strlen(literal);
    if (strncmp(c->p, literal, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* Exactly `width` digits (or 1..width when `min_width` is smaller). */
static int read_digits(cursor *c, int min_width, int width, int *out)
{
    int n = 0, value = 0;
    while (n < width && c->p[n] >= '0' && c->p[n] <= '9') {
        value = value * 10 + (c->p[n] - '0');
        n++;
    }
    if (n < min_width) return 0;
    c->p += n;
    *out = value;
    return 1;
}

/* Reads one of `names` (case-sensitive, as the grammar says); *index is its
 * position. */
static int read_name(cursor *c, const char *const *names, int count, int *index)
{
    int i;
    for (i = 0; i < count; i++) {
        if (read_literal(c, names[i])) {
            *index = i;
            return 1;
        }
    }
    return 0;
}

static const char *const short_days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const long_days[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};
static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int read_month(cursor *c, int *month)
{
    if (!read_name(c, months, 12, month)) return 0;
    (*month)++;
    return 1;
}

/* "HH:MM:SS" */
static int read_time(cursor *c, http_date *d)
{
    return read_digits(c, 2, 2, &d->hour) && read_literal(c, ":") &&
           read_digits(c, 2, 2, &d->minute) && read_literal(c, ":") &&
           read_digits(c, 2, 2, &d->second);
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
static int parse_imf_fixdate(cursor *c, http_date *d)
{
    int weekday;
    return read_name(c, short_days, 7, &weekday) && read_literal(c, ", ") &&
           read_digits(c, 2, 2, &d->day) && read_literal(c, " ") && read_month(c, &d->month) &&
           read_literal(c, " ") && read_digits(c, 4, 4, &d->year) && read_literal(c, " ") &&
           read_time(c, d) && read_literal(c, " GMT");
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". A two-digit year 70..99 is
 * 19xx and 00..69 is 20xx: RFC 9110's "not more than 50 years ahead" rule
 * needs the current year, and this pivot agrees with it until 2070. */
static int parse_rfc850_date(cursor *c, http_date *d)
{
    int weekday;
    if (!(read_name(c, long_days, 7, &weekday) && read_literal(c, ", ") &&
          read_digits(c, 2, 2, &d->day) && read_literal(c, "-") && read_month(c, &d->month) &&
          read_literal(c, "-") && read_digits(c, 2, 2, &d->year) && read_literal(c, " ") &&
          read_time(c, d) && read_literal(c, " GMT")))
        return 0;
    d->year += d->year < 70 ? 2000 : 1900;
    return 1;
}

/* asctime: "Sun Nov  6 08:49:37 1994" (the day is space-padded). */
static int parse_asctime_date(cursor *c, http_date *d)
{
    int weekday;
    if (!(read_name(c, short_days, 7, &weekday) && read_literal(c, " ") &&
          read_month(c, &d->month) && read_literal(c, " ")))
        return 0;
    if (*c->p == ' ') {
        c->p++;
        if (!read_digits(c, 1, 1, &d->day)) return 0;
    } else if (!read_digits(c, 2, 2, &d->day)) {
        return 0;
    }
    return read_literal(c, " ") && read_time(c, d) && read_literal(c, " ") &&
           read_digits(c, 4, 4, &d->year);
}

static int http_date_fields_valid(const http_date *d)
{
    /* second 60 is allowed: the grammar admits a leap second. */
    return d->month >= 1 && d->month <= 12 && d->day >= 1 &&
           d->day <= days_in_month(d->year, d->month) && d->hour <= 23 && d->minute <= 59 &&
           d->second <= 60;
}

/* Tries one format against the whole of `s`. */
static int parse_whole(const char *s, int (*format)(cursor *, http_date *), http_date *d)
{
    cursor c;
    c.p = s;
    return format(&c, d) && *c.p == '\0' && http_date_fields_valid(d);
}

int oai__retry_parse_http_date(const char *s, int64_t *unix_ms)
{
    http_date d;
    int64_t seconds;

    if (s == NULL || unix_ms == NULL) return -1;
    memset(&d, 0, sizeof d);
    if (!parse_whole(s, parse_imf_fixdate, &d) && !parse_whole(s, parse_rfc850_date, &d) &&
        !parse_whole(s, parse_asctime_date, &d))
        return -1;
    seconds = days_from_civil(d.year, d.month, d.day) * 86400 + d.hour * 3600 + d.minute * 60 +
              d.second;
    *unix_ms = seconds * 1000;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Backoff and the decision */

int64_t oai__retry_backoff_ms(const oai__retry_policy *policy, int retries_done, double random)
{
    int64_t base, max, nominal, jitter;
    int n;

    if (policy == NULL) return 0;
    base = policy->base_ms > 0 ? policy->base_ms : 0;
    max = policy->max_ms > 0 ? policy->max_ms : 0;
    nominal = base < max ? base : max;

    /* Double until the ceiling: at most 63 steps whatever retries_done is,
     * and never past max, so nothing overflows. */
    for (n = 0; n < retries_done && nominal > 0 && nominal < max; n++)
        nominal = nominal > max / 2 ? max : nominal * 2;

    /* The jitter only shortens the delay, by up to a quarter. */
    if (!(random > 0.0)) random = 0.0; /* also catches NaN */
    if (random >= 1.0) random = 0.0;
    jitter = (int64_t)((double)nominal * 0.25 * random);
    return nominal - jitter;
}

/* Outcomes for which a retry could help at all. The rest (success, the
 * caller's cancel, bad arguments, memory, local I/O, TLS, a malformed or
 * oversized answer) would fail the same way again, whatever the headers say. */
static int outcome_can_retry(oai_status status)
{
    switch (status) {
    case OAI_ERR_CONNECTION:
    case OAI_ERR_TIMEOUT:
    case OAI_ERR_BAD_REQUEST:
    case OAI_ERR_AUTHENTICATION:
    case OAI_ERR_PERMISSION_DENIED:
    case OAI_ERR_NOT_FOUND:
    case OAI_ERR_CONFLICT:
    case OAI_ERR_UNPROCESSABLE:
    case OAI_ERR_RATE_LIMIT:
    case OAI_ERR_SERVER:
    case OAI_ERR_API:
        return 1;
    default:
        return 0;
    }
}

/* The reason text when the outcome class alone decides; NULL when it is not
 * retryable. The status class and the HTTP status are both looked at, so a
 * caller that fills in only one of them still gets the right answer. */
static const char *retryable_reason(oai_status status, int http_status)
{
    if (status == OAI_ERR_CONNECTION) return "connection error";
    if (status == OAI_ERR_TIMEOUT) return "timeout";
    if (http_status == 408) return "status 408";
    if (status == OAI_ERR_CONFLICT || http_status == 409) return "status 409";
    if (status == OAI_ERR_RATE_LIMIT || http_status == 429) return "status 429";
    /* 501 (not implemented), 505 (HTTP version not supported) and 511 (a
     * captive portal's login) answer the same however often one asks. */
    if (http_status == 501 || http_status == 505 || http_status == 511) return NULL;
    if (status == OAI_ERR_SERVER || http_status >= 500) return "status >= 500";
    return NULL;
}

static void decide_no(oai__retry_decision *out, const char *reason)
{
    out->retry = 0;
    out->delay_ms = 0;
    out->reason = reason;
}

void oai__retry_decide(const oai__retry_policy *policy, const oai__retry_input *in,
                      oai__retry_decision *out)
{
    int64_t server_delay;
    const char *reason;

    if (out == NULL) return;
    if (policy == NULL || in == NULL) {
        out->server_delay_ms = -1;
        decide_no(out, "invalid input");
        return;
    }
    server_delay = oai__retry_server_delay_ms(in->retry_after_ms, in->retry_after, in->now_unix_ms);
    out->server_delay_ms = server_delay;

    if (!outcome_can_retry(in->status)) {
        decide_no(out, in->status == OAI_OK ? "success" : "not retryable");
        return;
    }
    if (in->stream_started) {
        decide_no(out, "stream started");
        return;
    }
    if (in->retries_done >= policy->max_retries) {
        decide_no(out, "max retries reached");
        return;
    }
    if (server_delay > policy->cap_ms) {
        decide_no(out, "retry-after above cap");
        return;
    }
    if (in->should_retry != NULL && strcmp(in->should_retry, "false") == 0) {
        decide_no(out, "x-should-retry: false");
        return;
    }
    if (in->should_retry != NULL && strcmp(in->should_retry, "true") == 0) {
        reason = "x-should-retry: true";
    } else {
        reason = retryable_reason(in->status, in->http_status);
        if (reason == NULL) {
            decide_no(out, "not retryable");
            return;
        }
    }
    out->retry = 1;
    out->delay_ms = server_delay >= 0 ? server_delay
                                      : oai__retry_backoff_ms(policy, in->retries_done, in->random);
    out->reason = reason;
}

oai_status oai__status_from_http(int http_status)
{
    if (http_status >= 200 && http_status <= 299) return OAI_OK;
    if (http_status >= 500) return OAI_ERR_SERVER;
    switch (http_status) {
    case 400: return OAI_ERR_BAD_REQUEST;
    case 401: return OAI_ERR_AUTHENTICATION;
    case 403: return OAI_ERR_PERMISSION_DENIED;
    case 404: return OAI_ERR_NOT_FOUND;
    case 409: return OAI_ERR_CONFLICT;
    case 422: return OAI_ERR_UNPROCESSABLE;
    case 429: return OAI_ERR_RATE_LIMIT;
    default: return OAI_ERR_API;
    }
}
