/* The request engine: one state machine per call, driven by the client's
 * transport. attempt -> response or error -> retry decision -> timer ->
 * next attempt -> done. oai_client_send() drives it until its call is done;
 * oai_client_start()/oai_client_poll() expose it to polling loops; the
 * socket and timer callbacks with oai_client_socket_action() hand the
 * waiting itself to the host's event loop. Retries are timers, never sleeps,
 * and every callback runs inside the caller's call. */
#include "core/core.h"
#include "core/download.h"
#include "json/json.h"
#include "stream/stream_internal.h"
#include "http/url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum call_state { CALL_ATTEMPT = 1, CALL_WAIT, CALL_ENDED } call_state;
/* Where a 2xx body goes: memory (then parsed), the stream accumulator, an
 * output file (through a temporary file), or the caller's data callback. */
typedef enum body_mode { BODY_UNDECIDED = 0, BODY_MEMORY, BODY_STREAM, BODY_FILE, BODY_CALLBACK } body_mode;

/* After [DONE] the rest of the body (usually just the chunked encoding's
 * last chunk) is read so that the connection can be reused; a server that
 * keeps sending, or keeps the body open, gets this much before the
 * transfer is cut. */
#define DRAIN_MAX_BYTES 65536
#define DRAIN_MAX_MS 250

struct oai_call {
    oai_client *client;
    oai_request *req;            /* the call's own copy */
    oai_done_fn fn;
    void *ud;
    call_state state;
    struct oai_call *next, *prev;

    /* Resolved once per call. */
    char *url;
    char *log_url;               /* url without user:password@, for logs */
    char *body;
    size_t body_len;
    oai__http_part *parts;
    char *idempotency_key;
    char *authorization;         /* "Bearer KEY", or NULL */
    int max_retries;
    int64_t timeout_ms, idle_ms, first_byte_ms;

    /* The current attempt. */
    oai__transfer *xfer;
    oai_response *res;
    char **header_lines;         /* point into header_text */
    char *header_text;
    size_t header_count;
    body_mode mode;
    oai_stream *stream;
    oai__download download;       /* BODY_FILE */
    int64_t drained;             /* body bytes after the stream completed */
    int64_t drain_until_us;      /* when draining them gives up */
    int64_t attempt_us, last_io_us;
    int64_t sent_us;             /* when the request was fully sent (as far as known) */
    int64_t sent_bytes;
    int got_byte;
    int attempt_over;            /* the transfer ended; conclude() pending */
    oai_status end_status;       /* how the transfer ended */
    char *end_message;
    int stream_complete;         /* [DONE] or a terminal event arrived */

    int retries;
    int events_delivered;
    int cancel_requested;
    int64_t start_us;
    int64_t retry_at_us;
};

/* ---- helpers ------------------------------------------------------------ */

static int64_t deadline_after(int64_t us, int64_t ms);
static int free_if_pending(oai_client *c);

static const char *os_name(void)
{
#if defined(__APPLE__)
    return "MacOS";
#elif defined(__linux__)
    return "Linux";
#elif defined(_WIN32)
    return "Windows";
#elif defined(__FreeBSD__)
    return "FreeBSD";
#elif defined(__OpenBSD__)
    return "OpenBSD";
#else
    return "Unknown";
#endif
}

static const char *arch_name(void)
{
#if defined(__x86_64__) || defined(_M_X64)
    return "x64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    return "arm64";
#elif defined(__i386__) || defined(_M_IX86)
    return "x32";
#elif defined(__arm__)
    return "arm";
#else
    return "unknown";
#endif
}

/* A header as a borrowed name and value; a NULL value removes it. */
typedef struct header_ref {
    const char *name;
    const char *value;
} header_ref;

static void header_set(header_ref *h, size_t *n, const char *name, const char *value)
{
    for (size_t i = 0; i < *n; i++) {
        if (oai__strcasecmp_ascii(h[i].name, name) == 0) {
            h[i].value = value;
            return;
        }
    }
    h[*n].name = name;
    h[*n].value = value;
    (*n)++;
}

/* The library's own headers; at most LIBRARY_HEADERS of them. */
#define LIBRARY_HEADERS 16
static size_t default_headers(const oai_call *call, header_ref *h, char *retries, char *timeout)
{
    const oai_client *c = call->client;
    const oai_request *r = call->req;
    size_t n = 0;
    if (call->authorization)
        header_set(h, &n, "Authorization", call->authorization);
    if (c->organization)
        header_set(h, &n, "OpenAI-Organization", c->organization);
    if (c->project)
        header_set(h, &n, "OpenAI-Project", c->project);
    header_set(h, &n, "User-Agent", c->user_agent ? c->user_agent : "oai/C " OAI_VERSION_STRING);
    header_set(h, &n, "Accept", r->event_fn ? "text/event-stream" : "application/json");
    if (call->body && !r->part_count)
        header_set(h, &n, "Content-Type", "application/json");
    if (c->platform_headers) {
        header_set(h, &n, "X-Stainless-Lang", "c");
        header_set(h, &n, "X-Stainless-Package-Version", OAI_VERSION_STRING);
        header_set(h, &n, "X-Stainless-OS", os_name());
        header_set(h, &n, "X-Stainless-Arch", arch_name());
        header_set(h, &n, "X-Stainless-Runtime", "c");
        header_set(h, &n, "X-Stainless-Retry-Count", retries);
        if (call->timeout_ms > 0)
            header_set(h, &n, "X-Stainless-Timeout", timeout);
    }
    if (call->idempotency_key)
        header_set(h, &n, "Idempotency-Key", call->idempotency_key);
    /* curl would add "Expect: 100-continue" to large bodies: one more round
     * trip, and a 1 s stall behind proxies that ignore it. */
    header_set(h, &n, "Expect", NULL);
    return n;
}

/* The header lines of one attempt: the library's defaults, then the
 * client's headers, then the request's (a NULL value removes), written in
 * curl's conventions into one block: "Name: value", "Name;" for an empty
 * value, "Name:" to keep curl from adding that header. */
static oai_status build_headers(oai_call *call)
{
    const oai_client *c = call->client;
    const oai_request *r = call->req;
    size_t cap = LIBRARY_HEADERS + c->headers.count + r->headers.count;
    header_ref *h = malloc(cap * sizeof *h);
    char **lines = malloc(cap * sizeof *lines);
    char retries[24], timeout[24];
    snprintf(retries, sizeof retries, "%d", call->retries);
    snprintf(timeout, sizeof timeout, "%lld", (long long)(call->timeout_ms / 1000));
    size_t n = h ? default_headers(call, h, retries, timeout) : 0;
    for (size_t i = 0; h && i < c->headers.count; i++)
        header_set(h, &n, c->headers.items[i].name, c->headers.items[i].value);
    for (size_t i = 0; h && i < r->headers.count; i++)
        header_set(h, &n, r->headers.items[i].name, r->headers.items[i].value);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(h[i].name) + (h[i].value ? strlen(h[i].value) + 2 : 1) + 1;
    char *text = (h && lines) ? malloc(total ? total : 1) : NULL;
    if (!text) {
        free(h);
        free(lines);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    char *p = text;
    for (size_t i = 0; i < n; i++) {
        size_t name_len = strlen(h[i].name);
        lines[i] = p;
        memcpy(p, h[i].name, name_len);
        p += name_len;
        if (!h[i].value) {
            *p++ = ':';
        } else if (!*h[i].value) {
            *p++ = ';';
        } else {
            size_t value_len = strlen(h[i].value);
            memcpy(p, ": ", 2);
            memcpy(p + 2, h[i].value, value_len);
            p += 2 + value_len;
        }
        *p++ = '\0';
    }
    free(h);
    call->header_lines = lines;
    call->header_text = text;
    call->header_count = n;
    return OAI_OK;
}

static void free_header_lines(oai_call *call)
{
    free(call->header_lines);
    free(call->header_text);
    call->header_lines = NULL;
    call->header_text = NULL;
    call->header_count = 0;
}

/* Header values are logged only for headers known to carry no secret:
 * credentials hide under too many names (api-key, X-Session, ...) for a
 * list of bad ones to be safe. */
static void log_request_headers(const oai_call *call)
{
    if (!oai__log_enabled(call->client, OAI_LOG_DEBUG))
        return;
    for (size_t i = 0; i < call->header_count; i++) {
        const char *line = call->header_lines[i];
        size_t name_len = strcspn(line, ":;");
        if (line[name_len] == ':' && line[name_len + 1] == '\0')
            continue; /* "Name:" only tells curl to leave a header out */
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(name_len < 127 ? name_len : 127), line);
        if (oai__header_is_loggable(name))
            oai__log(call->client, OAI_LOG_DEBUG, "  %s", line);
        else
            oai__log(call->client, OAI_LOG_DEBUG, "  %s: [redacted]", name);
    }
}

/* ---- the attempt's transfer callbacks ------------------------------------ */

static void end_attempt(oai_call *call, oai_status status, const char *message)
{
    if (call->attempt_over)
        return;
    call->attempt_over = 1;
    call->end_status = status;
    oai__set_str(&call->end_message, message);
}

/* Ends the attempt from inside one of its own transfer callbacks. */
static int end_and_abort(oai_call *call, oai_status status, const char *message)
{
    end_attempt(call, status, message);
    if (call->xfer) {
        oai__transport *t = call->client->transport;
        t->ops->abort(t, call->xfer);
        call->xfer = NULL;
    }
    return 1;
}

static int on_user_event(void *ud, const oai_event *ev)
{
    oai_call *call = ud;
    call->events_delivered++;
    call->client->in_callback++;
    int stop = call->req->event_fn(call->req->event_ud, ev);
    call->client->in_callback--;
    return stop;
}

static int is_2xx(int status)
{
    return status >= 200 && status <= 299;
}

static void decide_body_mode(oai_call *call)
{
    const oai_request *r = call->req;
    oai_response *res = call->res;
    call->mode = BODY_MEMORY;
    if (!is_2xx(res->http_status))
        return;
    const char *ct = oai_response_header(res, "content-type");
    int kind = oai__request_stream_kind(r);
    if (r->event_fn && !(ct && strstr(ct, "application/json"))) {
        call->stream = oai_stream_new(kind ? kind : OAI_STREAM_CHAT, on_user_event, call);
        if (!call->stream) {
            end_and_abort(call, OAI_ERR_OUT_OF_MEMORY, NULL);
            return;
        }
        oai_stream_set_accumulate(call->stream, r->accumulate);
        oai_stream_set_max_bytes(call->stream, call->client->max_response_bytes);
        call->mode = BODY_STREAM;
    } else if (r->data_fn) {
        call->mode = BODY_CALLBACK;
    } else if (r->output_file) {
        oai_status st = oai__download_open(&call->download, r->output_file);
        if (st != OAI_OK) {
            end_and_abort(call, st, st == OAI_ERR_IO ? call->download.message : NULL);
            return;
        }
        call->mode = BODY_FILE;
    }
}

static int cb_status(void *ud, int http_status)
{
    oai_call *call = ud;
    call->res->http_status = http_status;
    return 0;
}

static int cb_header(void *ud, const char *name, size_t name_len, const char *value, size_t value_len)
{
    oai_call *call = ud;
    if (oai__kvlist_add(&call->res->headers, name, name_len, value, value_len) != OAI_OK)
        return end_and_abort(call, OAI_ERR_OUT_OF_MEMORY, NULL);
    return 0;
}

static int feed_stream(oai_call *call, const char *data, size_t len)
{
    if (call->stream_complete) {
        /* Past [DONE]: read the body's end, so the connection is reused. */
        call->drained += (int64_t)len;
        return call->drained > DRAIN_MAX_BYTES ? end_and_abort(call, OAI_OK, NULL) : 0;
    }
    oai_status st = oai_stream_feed(call->stream, data, len);
    if (st != OAI_OK)
        return end_and_abort(call, st, NULL);
    if (oai_stream_is_done(call->stream)) {
        /* [DONE] or a terminal event: nothing after it matters, but the
         * transfer ends normally (within DRAIN_MAX_MS) to keep the
         * connection alive. */
        call->stream_complete = 1;
        call->drain_until_us = deadline_after(oai__now_us(), DRAIN_MAX_MS);
    }
    return 0;
}

static int deliver_data(oai_call *call, const char *data, size_t len)
{
    const oai_request *r = call->req;
    oai_client *c = call->client;
    c->in_callback++;
    int stop = r->data_fn(r->data_ud, data, len);
    c->in_callback--;
    return stop ? end_and_abort(call, OAI_ERR_CANCELLED, "cancelled by the data callback") : 0;
}

static int cb_data(void *ud, const char *data, size_t len)
{
    oai_call *call = ud;
    int64_t now = oai__now_us();
    if (!call->got_byte) {
        call->got_byte = 1;
        call->res->first_byte_us = now - call->attempt_us;
    }
    call->last_io_us = now;
    if (call->mode == BODY_UNDECIDED)
        decide_body_mode(call);
    if (call->attempt_over)
        return 1;
    switch (call->mode) {
    case BODY_STREAM:
        return feed_stream(call, data, len);
    case BODY_CALLBACK:
        return deliver_data(call, data, len);
    case BODY_FILE:
        if (oai__download_write(&call->download, data, len) != OAI_OK)
            return end_and_abort(call, OAI_ERR_IO, call->download.message);
        return 0;
    default: {
        int64_t max = call->client->max_response_bytes;
        if (max > 0 && (int64_t)(call->res->body.len + len) > max)
            return end_and_abort(call, OAI_ERR_TOO_LARGE,
                                 "the response body exceeds the client's maximum response size");
        if (oai__buf_append(&call->res->body, data, len) != OAI_OK)
            return end_and_abort(call, OAI_ERR_OUT_OF_MEMORY, NULL);
        return 0;
    }
    }
}

static int cb_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    oai_call *call = ud;
    oai_client *c = call->client;
    const oai_request *r = call->req;
    /* Bytes going out count as activity for the idle timeout, and the
     * first-byte clock starts once the whole request is sent. */
    if (sent > call->sent_bytes) {
        int64_t now = oai__now_us();
        call->sent_bytes = sent;
        call->last_io_us = now;
        if (send_total > 0 && sent >= send_total)
            call->sent_us = now;
    }
    if (!r->progress_fn)
        return 0;
    c->in_callback++;
    int stop = r->progress_fn(r->progress_ud, sent, send_total, received, receive_total);
    c->in_callback--;
    return stop ? end_and_abort(call, OAI_ERR_CANCELLED, "cancelled by the progress callback") : 0;
}

static void cb_done(void *ud, oai_status status, const char *message)
{
    oai_call *call = ud;
    call->xfer = NULL;
    if (status == OAI_OK && call->mode == BODY_UNDECIDED)
        decide_body_mode(call);
    end_attempt(call, status, message);
}

static const oai__transfer_events transfer_events = {
    cb_status, cb_header, cb_data, cb_progress, cb_done,
};

/* ---- attempts ------------------------------------------------------------ */

static void reset_attempt(oai_call *call)
{
    if (call->xfer) {
        oai__transport *t = call->client->transport;
        t->ops->abort(t, call->xfer);
        call->xfer = NULL;
    }
    oai__download_discard(&call->download);
    oai_stream_free(call->stream);
    call->stream = NULL;
    free_header_lines(call);
    free(call->end_message);
    call->end_message = NULL;
    call->attempt_over = 0;
    call->stream_complete = 0;
    call->drained = 0;
    call->mode = BODY_UNDECIDED;
    call->got_byte = 0;
}

static void end_call(oai_call *call, oai_status status, const char *message)
{
    if (!call->res)
        call->res = oai__response_new();
    if (call->res && status != OAI_OK)
        oai__response_fail(call->res, status, message);
    call->state = CALL_ENDED;
}

static void begin_attempt(oai_call *call)
{
    oai_client *c = call->client;
    reset_attempt(call);
    oai_response_free(call->res);
    call->res = oai__response_new();
    if (!call->res || build_headers(call) != OAI_OK) {
        end_call(call, OAI_ERR_OUT_OF_MEMORY, NULL);
        return;
    }
    call->res->retries = call->retries;
    oai__http_request hr = {
        .method = call->req->method,
        .url = call->url,
        .headers = (const char *const *)call->header_lines,
        .header_count = call->header_count,
        .body = call->body,
        .body_len = call->body_len,
        .parts = call->parts,
        .part_count = call->req->part_count,
        .timeout_ms = call->timeout_ms,
        .connect_timeout_ms = c->connect_timeout_ms,
        .ca_file = c->ca_file,
        .ca_blob = c->ca_blob,
        .ca_blob_len = c->ca_blob_len,
        .proxy = c->proxy,
        .want_progress = call->req->progress_fn != NULL || call->idle_ms > 0 || call->first_byte_ms > 0,
    };
    oai__log(c, OAI_LOG_DEBUG, "%s %s (attempt %d)", hr.method, call->log_url, call->retries + 1);
    log_request_headers(call);
    call->attempt_us = call->last_io_us = call->sent_us = oai__now_us();
    call->sent_bytes = 0;
    call->state = CALL_ATTEMPT;
    oai_status st = c->transport->ops->start(c->transport, &hr, &transfer_events, call, &call->xfer);
    if (st != OAI_OK) {
        call->xfer = NULL;
        end_attempt(call, st, st == OAI_ERR_IO ? "cannot read a file part" : NULL);
    }
}

/* A request whose Accept header names no JSON type (a file download asks
 * for application/binary) gets its 2xx body raw, even if it looks like JSON. */
static int accepts_json(const oai_request *r)
{
    const oai__kv *accept = oai__kvlist_find(&r->headers, "accept");
    return !accept || !accept->value || strstr(accept->value, "json") || strstr(accept->value, "*/*");
}

/* Must the 2xx body be a JSON document? */
static int expects_json(const oai_call *call)
{
    return call->mode == BODY_MEMORY && !call->req->raw_response && accepts_json(call->req);
}

/* 204 and 205 carry no body, nor does the answer to HEAD. */
static int empty_body_ok(const oai_call *call)
{
    int http = call->res->http_status;
    return http == 204 || http == 205 || strcmp(call->req->method, "HEAD") == 0;
}

/* Fills the response from how the attempt's transfer ended. */
static void conclude_body(oai_call *call)
{
    oai_response *res = call->res;
    if (call->download.file) {
        if (call->end_status == OAI_OK && is_2xx(res->http_status)) {
            oai_status st = oai__download_commit(&call->download);
            if (st != OAI_OK) {
                call->end_status = st;
                oai__set_str(&call->end_message, call->download.message);
            }
        } else {
            oai__download_discard(&call->download);
        }
    }
    if (call->mode == BODY_STREAM) {
        /* Once [DONE] arrived, how the rest of the body went is moot. */
        if (call->stream_complete)
            call->end_status = OAI_OK;
        oai_status st = oai_stream_status(call->stream);
        if (st == OAI_OK && call->end_status == OAI_OK && !call->stream_complete)
            st = oai_stream_finish(call->stream);
        const oai_value *result = NULL;
        oai_status built = oai__stream_get_result(call->stream, &result);
        if (result)
            oai__response_set_json(res, oai__json_incref((oai_value *)result));
        if (st == OAI_OK && call->end_status == OAI_OK)
            st = built; /* a success without its result is no success */
        if (st != OAI_OK) {
            const char *msg = oai_stream_error_message(call->stream);
            oai__response_fail(res, st, st == OAI_ERR_CANCELLED ? "cancelled by the event callback" : msg);
            if (oai_stream_error(call->stream))
                oai__response_set_api_error(res, oai_stream_error(call->stream));
        } else if (call->end_status != OAI_OK) {
            oai__response_fail(res, call->end_status, call->end_message);
        } else {
            res->status = OAI_OK;
        }
        return;
    }
    if (call->end_status == OAI_OK)
        oai__response_finish_body(res, expects_json(call), empty_body_ok(call));
    else
        oai__response_fail(res, call->end_status, call->end_message);
}

static void log_outcome(const oai_call *call, const oai__retry_decision *d, int retry)
{
    const oai_client *c = call->client;
    const oai_response *res = call->res;
    const char *rid = oai_response_request_id(res);
    int64_t ms = (oai__now_us() - call->attempt_us) / 1000;
    char what[64];
    if (res->http_status)
        snprintf(what, sizeof what, "HTTP %d", res->http_status);
    else
        snprintf(what, sizeof what, "%s", oai_status_name(res->status));
    oai__log(c, OAI_LOG_DEBUG, "%s %s -> %s in %lld ms, request id %s; %s%s%s", call->req->method,
            call->log_url, what, (long long)ms, rid ? rid : "-",
            retry ? "retrying: " : (res->status == OAI_OK ? "done" : "not retrying: "),
            res->status == OAI_OK ? "" : d->reason, "");
    if (retry)
        oai__log(c, OAI_LOG_WARN, "retry %d of %s %s in %lld ms (%s)", call->retries + 1,
                call->req->method, call->log_url, (long long)d->delay_ms, d->reason);
    else if (res->status != OAI_OK)
        oai__log(c, OAI_LOG_ERROR, "%s %s failed: %s (%s)", call->req->method, call->log_url,
                oai_status_name(res->status), rid ? rid : "no request id");
    else
        oai__log(c, OAI_LOG_INFO, "%s %s -> %s (%d retries)", call->req->method, call->log_url, what,
                call->retries);
}

/* The attempt is over: decide between done and a retry timer. */
static void conclude_attempt(oai_call *call)
{
    oai_client *c = call->client;
    oai_response *res = call->res;
    conclude_body(call);
    oai__retry_decision d = {0, 0, -1, "success"};
    int retry = 0;
    if (res->status != OAI_OK && res->status != OAI_ERR_CANCELLED) {
        oai__retry_policy policy = c->retry;
        policy.max_retries = call->max_retries;
        oai__retry_input in = {
            .retries_done = call->retries,
            .status = res->status,
            .http_status = res->http_status,
            .should_retry = oai_response_header(res, "x-should-retry"),
            .retry_after_ms = oai_response_header(res, "retry-after-ms"),
            .retry_after = oai_response_header(res, "retry-after"),
            .now_unix_ms = oai__wall_ms(),
            .random = oai__random_unit(),
            .stream_started = call->events_delivered > 0,
        };
        oai__retry_decide(&policy, &in, &d);
        res->retry_after_ms = d.server_delay_ms;
        retry = d.retry && !call->cancel_requested;
        if (retry && c->retry_fn) {
            c->in_callback++;
            int declined = c->retry_fn(c->retry_ud, call->retries + 1, d.delay_ms, (int)res->status,
                                       res->http_status);
            c->in_callback--;
            if (declined) {
                retry = 0;
                d.reason = "the retry callback declined";
            }
        }
    }
    res->total_us = oai__now_us() - call->start_us;
    log_outcome(call, &d, retry);
    if (!retry) {
        reset_attempt(call);
        call->state = CALL_ENDED;
        return;
    }
    reset_attempt(call);
    oai_response_free(call->res);
    call->res = NULL;
    call->retries++;
    call->state = CALL_WAIT;
    call->retry_at_us = deadline_after(oai__now_us(), d.delay_ms);
}

/* ---- timers and cancellation ---------------------------------------------- */

/* us + ms, saturating: a binding may pass INT64_MAX to mean "never". */
static int64_t deadline_after(int64_t us, int64_t ms)
{
    return ms >= (INT64_MAX - us) / 1000 ? INT64_MAX : us + ms * 1000;
}

/* The first-byte deadline counts from the end of the request's upload; the
 * idle deadline from the last byte that moved either way. */
static int64_t first_byte_deadline(const oai_call *call)
{
    return (call->first_byte_ms > 0 && !call->got_byte) ? deadline_after(call->sent_us, call->first_byte_ms)
                                                         : INT64_MAX;
}

static int64_t idle_deadline(const oai_call *call)
{
    return call->idle_ms > 0 ? deadline_after(call->last_io_us, call->idle_ms) : INT64_MAX;
}

static int64_t attempt_deadline(const oai_call *call)
{
    if (call->stream_complete)
        return call->drain_until_us;
    int64_t a = first_byte_deadline(call), b = idle_deadline(call);
    return a < b ? a : b;
}

static void check_attempt(oai_call *call, int64_t now)
{
    if (call->attempt_over)
        return;
    if (call->stream_complete) {
        /* The result is whole: a cancel or the drain's end only stop
         * waiting for the rest of the body. */
        if (call->cancel_requested || now >= call->drain_until_us)
            end_and_abort(call, OAI_OK, NULL);
    } else if (call->cancel_requested)
        end_and_abort(call, OAI_ERR_CANCELLED, "cancelled by the caller");
    else if (now >= first_byte_deadline(call))
        end_and_abort(call, OAI_ERR_TIMEOUT, "no response within the first-byte timeout");
    else if (now >= idle_deadline(call))
        end_and_abort(call, OAI_ERR_TIMEOUT, "no data within the idle timeout");
}

/* Frees what a call resolved at its start (its attempt must be reset). */
static void free_call(oai_call *call)
{
    oai_request_free(call->req);
    free(call->url);
    free(call->log_url);
    free(call->body);
    free(call->parts);
    free(call->idempotency_key);
    free(call->authorization);
    free(call);
}

/* Advances every call's state; returns how many callbacks ran. */
static int process(oai_client *c)
{
    int64_t now = oai__now_us();
    for (oai_call *call = c->calls; call; call = call->next) {
        if (call->state == CALL_ATTEMPT) {
            check_attempt(call, now);
            if (call->attempt_over)
                conclude_attempt(call);
        }
        if (call->state == CALL_WAIT) {
            if (call->cancel_requested)
                end_call(call, OAI_ERR_CANCELLED, "cancelled by the caller");
            else if (now >= call->retry_at_us)
                begin_attempt(call);
            if (call->state == CALL_ATTEMPT && call->attempt_over)
                conclude_attempt(call);
        }
    }
    /* Detach finished calls first, so their callbacks may start or cancel
     * other calls freely. */
    oai_call *done = NULL;
    for (oai_call *call = c->calls, *next; call; call = next) {
        next = call->next;
        if (call->state != CALL_ENDED)
            continue;
        if (call->prev)
            call->prev->next = call->next;
        else
            c->calls = call->next;
        if (call->next)
            call->next->prev = call->prev;
        call->next = done;
        done = call;
        c->running--;
    }
    int ran = 0;
    while (done) {
        oai_call *call = done;
        done = call->next;
        oai_response *res = call->res;
        call->res = NULL;
        if (res && res->total_us == 0)
            res->total_us = oai__now_us() - call->start_us;
        if (call->fn && !c->free_pending) {
            c->in_callback++;
            call->fn(call->ud, call, res);
            c->in_callback--;
        } else {
            /* No callback once a callback asked for oai_client_free(): the
             * client's calls end silently, as that function promises. */
            oai_response_free(res);
        }
        ran++;
        reset_attempt(call);
        free_call(call);
    }
    return ran;
}

/* The engine's nearest deadline (µs of oai__now_us()): 0 when a call needs
 * processing now, INT64_MAX when nothing is timed. */
static int64_t next_deadline_us(const oai_client *c)
{
    int64_t next = INT64_MAX;
    for (const oai_call *call = c->calls; call; call = call->next) {
        int64_t d = INT64_MAX;
        if (call->cancel_requested || call->attempt_over || call->state == CALL_ENDED)
            d = 0;
        else if (call->state == CALL_WAIT)
            d = call->retry_at_us;
        else if (call->state == CALL_ATTEMPT)
            d = attempt_deadline(call);
        if (d < next)
            next = d;
    }
    return next;
}

/* Milliseconds until the next timer, capped by the caller's timeout. */
static int wait_ms(const oai_client *c, int timeout_ms)
{
    int64_t now = oai__now_us(), next = next_deadline_us(c);
    if (next == INT64_MAX)
        return timeout_ms;
    int64_t ms = next <= now ? 0 : (next - now + 999) / 1000;
    if (timeout_ms >= 0 && ms > timeout_ms)
        ms = timeout_ms;
    return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* ---- event-loop mode ------------------------------------------------------ */

static int in_event_loop_mode(const oai_client *c)
{
    return c->socket_fn != NULL || c->timer_fn != NULL;
}

/* Sets the host's timer to the earlier of the engine's and the transport's
 * deadlines, when that changed. Inside oai_client_socket_action() this
 * waits for its end, so the host hears one final value. */
static void update_host_timer(oai_client *c)
{
    if (!in_event_loop_mode(c) || c->in_socket_action)
        return;
    int64_t at = next_deadline_us(c);
    if (c->transport_timer_at < at)
        at = c->transport_timer_at;
    if (at == c->host_timer_at)
        return;
    c->host_timer_at = at;
    if (!c->timer_fn)
        return;
    int64_t now = oai__now_us();
    int64_t ms = at == INT64_MAX ? -1 : at <= now ? 0 : (at - now + 999) / 1000;
    c->timer_fn(c->timer_ud, ms);
}

/* The transport's socket changes go straight to the host. */
static void on_transport_socket(void *ud, int64_t fd, int events)
{
    oai_client *c = ud;
    if (c->socket_fn)
        c->socket_fn(c->socket_ud, fd, events);
}

/* The transport's timer is only recorded: it reaches the host merged with
 * the engine's deadlines, at the end of the entry point that changed it. */
static void on_transport_timer(void *ud, int64_t timeout_ms)
{
    oai_client *c = ud;
    if (timeout_ms < 0)
        c->transport_timer_at = INT64_MAX;
    else if (timeout_ms == 0)
        c->transport_timer_at = 0;
    else
        c->transport_timer_at = oai__now_us() + timeout_ms * 1000;
}

/* Installs one of the host's callbacks; entering or leaving event-loop mode
 * switches how the transport is driven. */
static oai_status set_event_callback(oai_client *c, oai_socket_fn socket_fn, void *socket_ud,
                                     oai_timer_fn timer_fn, void *timer_ud)
{
    if (c->calls || c->in_callback || c->in_socket_action)
        return OAI_ERR_INVALID_ARGUMENT;
    int was_on = in_event_loop_mode(c), on = socket_fn || timer_fn;
    if (on != was_on) {
        oai__transport *t = c->transport;
        oai_status st = on ? t->ops->set_event_callbacks(t, on_transport_socket, on_transport_timer, c)
                           : t->ops->set_event_callbacks(t, NULL, NULL, NULL);
        if (st != OAI_OK)
            return st;
        c->transport_timer_at = INT64_MAX;
        c->host_timer_at = INT64_MAX;
    }
    c->socket_fn = socket_fn;
    c->socket_ud = socket_ud;
    c->timer_fn = timer_fn;
    c->timer_ud = timer_ud;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_socket_callback(oai_client *c, oai_socket_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    return set_event_callback(c, fn, fn ? userdata : NULL, c->timer_fn, c->timer_ud);
}

OAI_API oai_status oai_client_set_timer_callback(oai_client *c, oai_timer_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    return set_event_callback(c, c->socket_fn, c->socket_ud, fn, fn ? userdata : NULL);
}

OAI_API int oai_client_socket_action(oai_client *c, int64_t fd, int events)
{
    if (!c || !in_event_loop_mode(c) || c->in_socket_action || c->in_callback ||
        (fd < 0 && fd != OAI_SOCKET_TIMEOUT))
        return -(int)OAI_ERR_INVALID_ARGUMENT;
    c->in_socket_action = 1;
    if (fd == OAI_SOCKET_TIMEOUT) {
        /* The host's one-shot timer fired; curl re-reports a timer it still
         * needs after a timeout action. */
        c->host_timer_at = INT64_MAX;
        c->transport_timer_at = INT64_MAX;
    }
    /* Conclude what is already over (cancels, failed starts) before I/O. */
    process(c);
    oai__transport *t = c->transport;
    oai_status st = t->ops->socket_action(t, fd, events);
    process(c);
    c->in_socket_action = 0;
    if (free_if_pending(c))
        return 0;
    update_host_timer(c);
    if (st != OAI_OK)
        return -(int)st;
    return c->running;
}

/* ---- public API ---------------------------------------------------------- */

/* Works out what every attempt of the call shares; on failure *message
 * may get a description (borrowed). */
static oai_status resolve_call(oai_call *call, const char **message)
{
    oai_client *c = call->client;
    oai_request *r = call->req;
    *message = NULL;
    if (c->config_status != OAI_OK) {
        /* Nothing is sent with a configuration the user did not mean. */
        *message = c->config_message;
        return c->config_status;
    }
    oai_status st = oai__url_build(c->base_url, r->path, &r->query, &call->url);
    if (st == OAI_ERR_INVALID_ARGUMENT)
        *message = "the request's path and query do not make a valid http(s) URL";
    if (st != OAI_OK)
        return st;
    call->log_url = oai__url_for_log(call->url);
    if (!call->log_url)
        return OAI_ERR_OUT_OF_MEMORY;
    if (c->api_key) {
        oai__buf auth = {0};
        if (oai__buf_printf(&auth, "Bearer %s", c->api_key) != OAI_OK)
            return OAI_ERR_OUT_OF_MEMORY;
        call->authorization = auth.data;
    }
    if (r->body && !r->part_count) {
        call->body = oai__json_dump(r->body, &call->body_len);
        if (!call->body)
            return OAI_ERR_OUT_OF_MEMORY;
    }
    if (r->part_count) {
        call->parts = calloc(r->part_count, sizeof *call->parts);
        if (!call->parts)
            return OAI_ERR_OUT_OF_MEMORY;
        for (size_t i = 0; i < r->part_count; i++) {
            const oai__req_part *p = &r->parts[i];
            call->parts[i] = (oai__http_part){p->kind, p->name, p->value, p->data, p->len, p->path,
                                             p->offset, p->length, p->filename, p->mime_type};
        }
    }
    if (r->idempotency_key && *r->idempotency_key) {
        call->idempotency_key = oai__strdup(r->idempotency_key);
    } else if (r->idempotency_key) {
        char uuid[37];
        if (oai__uuid4(uuid) != OAI_OK)
            return OAI_ERR_OUT_OF_MEMORY;
        oai__buf b = {0};
        oai__buf_printf(&b, "oai-c-retry-%s", uuid);
        call->idempotency_key = b.data;
    }
    if (r->idempotency_key && !call->idempotency_key)
        return OAI_ERR_OUT_OF_MEMORY;
    call->max_retries = r->max_retries >= 0 ? r->max_retries : c->retry.max_retries;
    call->timeout_ms = r->timeout_ms >= 0 ? r->timeout_ms : c->timeout_ms;
    call->idle_ms = r->idle_timeout_ms >= 0 ? r->idle_timeout_ms : c->idle_timeout_ms;
    call->first_byte_ms = r->first_byte_timeout_ms >= 0 ? r->first_byte_timeout_ms : c->first_byte_timeout_ms;
    return OAI_OK;
}


/* Starts a call. *out gets it, or NULL when memory for the call itself ran
 * out. A call whose set-up failed (an invalid URL, the client's
 * configuration error, memory) starts already ended, so its outcome reaches
 * the done callback like any other. OAI_ERR_CANCELLED when a callback run
 * meanwhile (the log's) freed the client: do not touch it then. */
static oai_status start_call(oai_client *c, const oai_request *req, oai_done_fn fn, void *userdata,
                             oai_call **out)
{
    *out = NULL;
    oai_call *call = calloc(1, sizeof *call);
    if (!call)
        return OAI_ERR_OUT_OF_MEMORY;
    call->client = c;
    call->fn = fn;
    call->ud = userdata;
    call->start_us = oai__now_us();
    call->req = oai_request_dup(req);
    const char *message = NULL;
    oai_status st = call->req ? resolve_call(call, &message) : OAI_ERR_OUT_OF_MEMORY;
    call->next = c->calls;
    if (c->calls)
        c->calls->prev = call;
    c->calls = call;
    c->running++;
    if (st == OAI_OK)
        begin_attempt(call);
    else
        end_call(call, st, message);
    update_host_timer(c);
    if (free_if_pending(c))
        return OAI_ERR_CANCELLED;
    *out = call;
    return OAI_OK;
}

OAI_API oai_call *oai_client_start(oai_client *c, const oai_request *req, oai_done_fn fn, void *userdata)
{
    oai_call *call = NULL;
    if (c && req)
        start_call(c, req, fn, userdata, &call);
    return call;
}

/* Ends a public entry point: when a callback asked for oai_client_free()
 * meanwhile, the client is freed now, and 1 tells the caller not to touch
 * it again. */
static int free_if_pending(oai_client *c)
{
    if (!c->free_pending || c->in_callback)
        return 0;
    oai__client_destroy(c);
    return 1;
}

/* oai_client_poll() for the engine's own loops; *freed tells whether a
 * callback freed the client. */
static int poll_once(oai_client *c, int timeout_ms, int *freed)
{
    *freed = 0;
    int ran = process(c);
    oai_status st = OAI_OK;
    if (c->calls && !c->free_pending) {
        st = c->transport->ops->run(c->transport, ran ? 0 : wait_ms(c, timeout_ms));
        process(c);
    }
    if ((*freed = free_if_pending(c)))
        return 0;
    return st != OAI_OK ? -(int)st : c->running;
}

OAI_API int oai_client_poll(oai_client *c, int timeout_ms)
{
    if (!c || in_event_loop_mode(c) || c->in_callback)
        return -(int)OAI_ERR_INVALID_ARGUMENT;
    int freed;
    return poll_once(c, timeout_ms, &freed);
}

OAI_API void oai_client_wakeup(oai_client *c)
{
    if (c && c->transport)
        c->transport->ops->wakeup(c->transport);
}

OAI_API void oai_call_cancel(oai_call *call)
{
    if (!call)
        return;
    call->cancel_requested = 1;
    /* An event loop learns through a 0 ms timer that there is work. */
    update_host_timer(call->client);
}

typedef struct sync_state {
    int done;
    oai_response *res;
} sync_state;

static void sync_done(void *ud, oai_call *call, oai_response *res)
{
    (void)call;
    sync_state *s = ud;
    s->done = 1;
    s->res = res;
}

OAI_API oai_response *oai_client_send(oai_client *c, const oai_request *req)
{
    if (!c || !req)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT, "NULL client or request");
    if (c->in_callback)
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT,
                               "oai_client_send() called from inside a callback of the same client");
    if (in_event_loop_mode(c))
        return oai__response_new_failed(OAI_ERR_INVALID_ARGUMENT,
                               "oai_client_send() cannot wait on a client driven by an event loop");
    sync_state s = {0, NULL};
    oai_call *call = NULL;
    if (start_call(c, req, sync_done, &s, &call) == OAI_ERR_CANCELLED)
        return oai__response_new_failed(OAI_ERR_CANCELLED, "a callback freed the client during the call");
    if (!call)
        return oai__response_new_failed(OAI_ERR_OUT_OF_MEMORY, NULL);
    while (!s.done) {
        int freed;
        if (poll_once(c, -1, &freed) < 0 && !s.done)
            oai_call_cancel(call);
        if (freed)
            return oai__response_new_failed(OAI_ERR_CANCELLED, "a callback freed the client during the call");
    }
    return s.res;
}

void oai__engine_abort_all(oai_client *c)
{
    while (c->calls) {
        oai_call *call = c->calls;
        c->calls = call->next;
        reset_attempt(call);
        oai_response_free(call->res);
        free_call(call);
    }
    c->running = 0;
    if (in_event_loop_mode(c) && c->timer_fn && c->host_timer_at != INT64_MAX) {
        c->host_timer_at = INT64_MAX;
        c->timer_fn(c->timer_ud, -1);
    }
}
