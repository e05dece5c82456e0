/* The in-memory transport (memory_transport.h). Only the public headers are
 * used: this file is also the proof that a host can write a transport. */
#include "memory_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Where the fake clock starts: far from 0, so that nothing in the engine
 * can pass for right by assuming time starts at zero. */
#define CLOCK_START_US ((int64_t)1000000000000)
#define NEVER INT64_MAX
#define BODY_READ_SIZE 65536

/* A scripted reply, deep-copied from a mock_reply. */
typedef struct reply {
    int status;
    char *headers;              /* "Name: value\r\n" lines, never NULL */
    char *content_type;         /* "" sends none */
    char *body;
    size_t body_len;
    int chunked;
    char **chunks;
    size_t chunk_count;
    int *chunk_delays_ms;       /* -1: chunk_delay_ms between chunks */
    int delay_ms, chunk_delay_ms;
    mock_fault fault;
    size_t fault_after;
    int stall_ms;               /* -1: for ever */
    struct reply *next;
} reply;

/* Where an exchange's answer has got to. */
typedef enum phase {
    PHASE_HEAD,                 /* the status and headers are next */
    PHASE_CHUNK,                /* chunk `next_chunk` is next */
    PHASE_FINISH,               /* the body is out: complete, or the fault */
    PHASE_STALL                 /* stalled: fail when the stall ends */
} phase;

/* One exchange under way. */
typedef struct pending {
    memory_transport *mt;
    oai_exchange *ex;
    reply *r;
    unsigned long serial;
    phase at;
    size_t next_chunk, chunk_limit;
    int64_t due_us;             /* when the next step is due (NEVER: none) */
    int paused;                 /* the engine asked for no more body for now */
    struct pending *next;
} pending;

/* A recorded request and when it started. */
typedef struct record {
    mock_request req;
    int64_t at_us;
} record;

struct memory_transport {
    int refs;                   /* the test's, and the client's once attached */
    int attached;
    int64_t now_us;
    reply *script, *script_tail;
    pending *exchanges;         /* in start order */
    record *records;
    size_t record_count, record_cap;
    unsigned long serial;
    int fail_starts;
    oai_status fail_status;
    int answer_in_start, split_bytes, has_run, has_pause;
    int cancels, stuck, violations, pauses, resumes;
};

/* ---- small helpers ------------------------------------------------------------ */

static char *dup_mem(const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static char *dup_str(const char *s)
{
    return dup_mem(s ? s : "", s ? strlen(s) : 0);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* now + ms, where ms < 0 means never. */
static int64_t after_ms(const memory_transport *mt, int64_t ms)
{
    return ms < 0 ? NEVER : mt->now_us + ms * 1000;
}

/* ---- the script ------------------------------------------------------------------ */

static void reply_free(reply *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->chunk_count; i++)
        free(r->chunks[i]);
    free(r->chunks);
    free(r->chunk_delays_ms);
    free(r->headers);
    free(r->content_type);
    free(r->body);
    free(r);
}

static int copy_chunks(reply *r, const mock_reply *src)
{
    r->chunked = 1;
    r->chunk_count = src->chunk_count;
    r->chunks = calloc(src->chunk_count + 1, sizeof *r->chunks);
    r->chunk_delays_ms = calloc(src->chunk_count + 1, sizeof *r->chunk_delays_ms);
    if (!r->chunks || !r->chunk_delays_ms)
        return -1;
    for (size_t i = 0; i < src->chunk_count; i++) {
        r->chunks[i] = dup_str(src->chunks[i]);
        r->chunk_delays_ms[i] = src->chunk_delays_ms && src->chunk_delays_ms[i] >= 0 ? src->chunk_delays_ms[i] : -1;
        if (!r->chunks[i])
            return -1;
    }
    return 0;
}

static reply *reply_copy(const mock_reply *src)
{
    reply *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->status = src->status;
    r->delay_ms = src->delay_ms;
    r->chunk_delay_ms = src->chunk_delay_ms;
    r->fault = src->fault;
    r->fault_after = src->fault_after;
    /* The mock server's rule: 0 (or any other negative) means 10 s. */
    r->stall_ms = src->stall_ms > 0 || src->stall_ms == -1 ? src->stall_ms : 10000;
    r->headers = dup_str(src->headers);
    r->content_type = dup_str(src->content_type ? src->content_type : "application/json");
    int failed = !r->headers || !r->content_type;
    if (!failed && src->chunks)
        failed = copy_chunks(r, src) != 0;
    else if (!failed && src->body)
        failed = !(r->body = dup_mem(src->body, src->body_len ? src->body_len : strlen(src->body)));
    if (r->body)
        r->body_len = src->body_len ? src->body_len : strlen(src->body);
    if (failed) {
        reply_free(r);
        return NULL;
    }
    return r;
}

int memory_transport_push(memory_transport *mt, const mock_reply *src)
{
    reply *r = reply_copy(src);
    if (!r)
        return -1;
    if (mt->script_tail)
        mt->script_tail->next = r;
    else
        mt->script = r;
    mt->script_tail = r;
    return 0;
}

size_t memory_transport_pending(const memory_transport *mt)
{
    size_t n = 0;
    for (const reply *r = mt->script; r; r = r->next)
        n++;
    return n;
}

/* The built-in answer when nothing is scripted. */
static reply *not_found_reply(const mock_request *req)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"error\":{\"message\":\"memory transport: nothing scripted for %s %s\","
             "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"unknown_url\"}}",
             req->method, req->path);
    mock_reply r = {.status = 404, .body = body};
    return reply_copy(&r);
}

/* The next scripted reply for req (owned by the caller). */
static reply *next_reply(memory_transport *mt, const mock_request *req)
{
    reply *r = mt->script;
    if (!r)
        return not_found_reply(req);
    mt->script = r->next;
    if (!mt->script)
        mt->script_tail = NULL;
    r->next = NULL;
    return r;
}

/* ---- recording requests -------------------------------------------------------- */

static void request_clear(mock_request *req)
{
    free(req->method);
    free(req->target);
    free(req->path);
    free(req->query);
    for (size_t i = 0; i < req->header_count; i++) {
        free(req->header_names[i]);
        free(req->header_values[i]);
    }
    free(req->header_names);
    free(req->header_values);
    free(req->body);
}

/* method, target, path and query from the exchange's full URL. */
static int record_target(mock_request *req, const oai_exchange *ex)
{
    const char *url = oai_exchange_url(ex);
    const char *host = strstr(url, "://");
    const char *target = host ? strchr(host + 3, '/') : NULL;
    if (!target)
        target = "/";
    const char *q = strchr(target, '?');
    req->method = dup_str(oai_exchange_method(ex));
    req->target = dup_str(target);
    req->path = q ? dup_mem(target, (size_t)(q - target)) : dup_str(target);
    req->query = dup_str(q ? q + 1 : "");
    return req->method && req->target && req->path && req->query ? 0 : -1;
}

static int record_headers(mock_request *req, const oai_exchange *ex)
{
    size_t n = oai_exchange_header_count(ex);
    req->header_names = calloc(n + 1, sizeof *req->header_names);
    req->header_values = calloc(n + 1, sizeof *req->header_values);
    if (!req->header_names || !req->header_values)
        return -1;
    for (size_t i = 0; i < n; i++) {
        req->header_names[i] = dup_str(oai_exchange_header_name(ex, i));
        req->header_values[i] = dup_str(oai_exchange_header_value(ex, i));
        req->header_count = i + 1;
        if (!req->header_names[i] || !req->header_values[i])
            return -1;
    }
    return 0;
}

/* Pulls the whole body, as a transport sending it would. OAI_OK, or the
 * status to fail the start with. */
static oai_status record_body(memory_transport *mt, mock_request *req, oai_exchange *ex)
{
    size_t len = 0, cap = BODY_READ_SIZE;
    char *body = malloc(cap + 1);
    for (;;) {
        if (!body)
            return OAI_ERR_OUT_OF_MEMORY;
        int64_t n = oai_exchange_read_body(ex, body + len, cap - len);
        if (n < 0) {
            free(body);
            return (oai_status)-n;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == cap) {
            char *grown = realloc(body, 2 * cap + 1);
            if (!grown)
                free(body);
            body = grown;
            cap *= 2;
        }
    }
    body[len] = '\0';
    req->body = body;
    req->body_len = len;
    /* The length announced must be the length sent. */
    if ((int64_t)len != oai_exchange_body_length(ex))
        mt->violations++;
    return OAI_OK;
}

static int grow_records(memory_transport *mt)
{
    if (mt->record_count < mt->record_cap)
        return 0;
    size_t cap = mt->record_cap ? 2 * mt->record_cap : 8;
    record *grown = realloc(mt->records, cap * sizeof *grown);
    if (!grown)
        return -1;
    mt->records = grown;
    mt->record_cap = cap;
    return 0;
}

/* Records the exchange's request; OAI_OK or the status to fail with. */
static oai_status record_request(memory_transport *mt, oai_exchange *ex, unsigned long serial)
{
    if (grow_records(mt) != 0)
        return OAI_ERR_OUT_OF_MEMORY;
    record *rec = &mt->records[mt->record_count];
    memset(rec, 0, sizeof *rec);
    rec->at_us = mt->now_us;
    rec->req.connection_id = (int)serial;
    oai_status st = OAI_ERR_OUT_OF_MEMORY;
    if (record_target(&rec->req, ex) == 0 && record_headers(&rec->req, ex) == 0)
        st = record_body(mt, &rec->req, ex);
    if (st != OAI_OK) {
        request_clear(&rec->req);
        return st;
    }
    mt->record_count++;
    return OAI_OK;
}

/* ---- exchanges under way ---------------------------------------------------------- */

static void pending_unlink(pending *p)
{
    pending **at = &p->mt->exchanges;
    while (*at && *at != p)
        at = &(*at)->next;
    if (*at)
        *at = p->next;
}

/* The exchange ended (either side): forget it. */
static void pending_free(pending *p)
{
    pending_unlink(p);
    reply_free(p->r);
    free(p);
}

/* Ends the exchange from this side. p is forgotten first: the engine's
 * code runs inside the call. */
static void fail_exchange(pending *p, oai_status status, const char *message)
{
    oai_exchange *ex = p->ex;
    pending_free(p);
    oai_exchange_fail(ex, status, message);
}

/* A report's outcome: 0 to go on; -1 when the exchange is over: the engine
 * ended it (OAI_ERR_CANCELLED: it is gone), or refused a report made in
 * order, which breaks the contract (the exchange is failed then, so that
 * nobody waits for it). */
static int reported(pending *p, oai_status st)
{
    if (st == OAI_OK)
        return 0;
    if (st == OAI_ERR_CANCELLED) {
        pending_free(p);
        return -1;
    }
    p->mt->violations++;
    fail_exchange(p, OAI_ERR_PROTOCOL, "memory transport: a report was refused");
    return -1;
}

static void complete_exchange(pending *p)
{
    oai_exchange *ex = p->ex;
    pending_free(p);
    oai_exchange_complete(ex);
}

/* Body bytes, in one report or one per byte. */
static int send_data(pending *p, const char *data, size_t len)
{
    if (!p->mt->split_bytes || len <= 1)
        return reported(p, oai_exchange_receive_data(p->ex, data, len));
    for (size_t i = 0; i < len; i++)
        if (reported(p, oai_exchange_receive_data(p->ex, data + i, 1)) != 0)
            return -1;
    return 0;
}

static int send_header(pending *p, const char *name, const char *value)
{
    return reported(p, oai_exchange_receive_header(p->ex, name, strlen(name), value, strlen(value)));
}

/* Whether the scripted lines set this header themselves. */
static int scripted_header(const reply *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':')
            return 1;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return 0;
}

/* One "Name: value" line of the script (up to its end), trimmed. */
static int send_scripted_line(pending *p, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return 0; /* not a header line: the mock server would send it as is */
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return reported(p, oai_exchange_receive_header(p->ex, line, (size_t)(colon - line), v, (size_t)(end - v)));
}

static int send_scripted_headers(pending *p)
{
    for (const char *line = p->r->headers; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (send_scripted_line(p, line, len) != 0)
            return -1;
        line += len + (nl ? 1 : 0);
    }
    return 0;
}

/* The status line and the headers, as the mock server sends them. */
static int send_head(pending *p)
{
    const reply *r = p->r;
    char length[32], request_id[48];
    snprintf(length, sizeof length, "%zu", r->body_len);
    snprintf(request_id, sizeof request_id, "req_memory_%lu", p->serial);
    if (reported(p, oai_exchange_receive_status(p->ex, r->status)) != 0)
        return -1;
    if (!scripted_header(r, "Content-Type") && r->content_type[0] &&
        send_header(p, "Content-Type", r->content_type) != 0)
        return -1;
    if (r->chunked ? send_header(p, "Transfer-Encoding", "chunked") != 0
                   : send_header(p, "Content-Length", length) != 0)
        return -1;
    if (!scripted_header(r, "x-request-id") && send_header(p, "x-request-id", request_id) != 0)
        return -1;
    return send_scripted_headers(p);
}

static int body_fault(const reply *r)
{
    return r->fault == MOCK_FAULT_CLOSE_MID_BODY || r->fault == MOCK_FAULT_RESET || r->fault == MOCK_FAULT_STALL;
}

/* The wait before chunk i: its own, else chunk_delay_ms between chunks. */
static int chunk_wait_ms(const reply *r, size_t i)
{
    if (r->chunk_delays_ms[i] >= 0)
        return r->chunk_delays_ms[i];
    return i > 0 ? r->chunk_delay_ms : 0;
}

/* A fault before any response: closed or reset at once, or a stall. */
static void step_fault_before_response(pending *p)
{
    if (p->r->fault == MOCK_FAULT_STALL_BEFORE_RESPONSE) {
        p->at = PHASE_STALL;
        p->due_us = after_ms(p->mt, p->r->stall_ms);
        return;
    }
    fail_exchange(p, OAI_ERR_CONNECTION, p->r->fault == MOCK_FAULT_RESET_BEFORE_RESPONSE
                         ? "memory transport: connection reset before the response"
                         : "memory transport: connection closed before the response");
}

/* PHASE_HEAD: the head, then a whole body at once, or the first chunk's
 * time. */
static void step_head(pending *p, int head_only)
{
    const reply *r = p->r;
    if (r->fault == MOCK_FAULT_CLOSE_BEFORE_RESPONSE || r->fault == MOCK_FAULT_RESET_BEFORE_RESPONSE ||
        r->fault == MOCK_FAULT_STALL_BEFORE_RESPONSE) {
        step_fault_before_response(p);
        return;
    }
    if (send_head(p) != 0)
        return;
    if (r->chunked && !head_only) {
        p->chunk_limit = body_fault(r) && r->fault_after < r->chunk_count ? r->fault_after : r->chunk_count;
        p->next_chunk = 0;
        p->at = p->chunk_limit ? PHASE_CHUNK : PHASE_FINISH;
        p->due_us = p->chunk_limit ? after_ms(p->mt, chunk_wait_ms(r, 0)) : p->mt->now_us;
        return;
    }
    size_t len = head_only ? 0 : r->body_len;
    /* A body sent whole (its Content-Length reached) is complete whatever
     * follows, as it is for the real client. */
    int cut = !head_only && body_fault(r) && r->fault_after < len;
    if (cut)
        len = r->fault_after;
    if (len && send_data(p, r->body, len) != 0)
        return;
    if (!cut) {
        complete_exchange(p);
        return;
    }
    p->at = PHASE_FINISH;
    p->due_us = p->mt->now_us;
}

static void step_chunk(pending *p)
{
    const char *chunk = p->r->chunks[p->next_chunk];
    if (*chunk && send_data(p, chunk, strlen(chunk)) != 0)
        return;
    p->next_chunk++;
    if (p->next_chunk < p->chunk_limit) {
        p->due_us = after_ms(p->mt, chunk_wait_ms(p->r, p->next_chunk));
    } else {
        p->at = PHASE_FINISH;
        p->due_us = p->mt->now_us;
    }
}

/* PHASE_FINISH: the end of the body, or its fault. */
static void step_finish(pending *p)
{
    switch (p->r->fault) {
    case MOCK_FAULT_CLOSE_MID_BODY:
        fail_exchange(p, OAI_ERR_CONNECTION, "memory transport: connection closed mid-body");
        break;
    case MOCK_FAULT_RESET:
        fail_exchange(p, OAI_ERR_CONNECTION, "memory transport: connection reset mid-body");
        break;
    case MOCK_FAULT_STALL:
        p->at = PHASE_STALL;
        p->due_us = after_ms(p->mt, p->r->stall_ms);
        break;
    default:
        complete_exchange(p);
        break;
    }
}

/* Takes the exchange's next step (it is due); p may be freed. */
static void step(pending *p)
{
    switch (p->at) {
    case PHASE_HEAD:
        step_head(p, strcmp(oai_exchange_method(p->ex), "HEAD") == 0);
        break;
    case PHASE_CHUNK:
        step_chunk(p);
        break;
    case PHASE_FINISH:
        step_finish(p);
        break;
    case PHASE_STALL:
        fail_exchange(p, OAI_ERR_CONNECTION, "memory transport: connection closed after a stall");
        break;
    }
}

/* A paused exchange sends no more body until it is resumed. */
static int64_t due_of(const pending *p)
{
    return p->paused && p->at == PHASE_CHUNK ? NEVER : p->due_us;
}

/* The exchange due first, if any is due now. Found afresh before each step:
 * a step runs the engine's code, which may start or end exchanges. */
static pending *first_due(const memory_transport *mt)
{
    pending *best = NULL;
    for (pending *p = mt->exchanges; p; p = p->next)
        if (due_of(p) <= mt->now_us && (!best || due_of(p) < due_of(best)))
            best = p;
    return best;
}

int memory_transport_deliver(memory_transport *mt)
{
    int steps = 0;
    for (pending *p; (p = first_due(mt)) != NULL; steps++)
        step(p);
    return steps;
}

int64_t memory_transport_next_event_us(const memory_transport *mt)
{
    int64_t next = NEVER;
    for (const pending *p = mt->exchanges; p; p = p->next)
        next = min64(next, due_of(p));
    return next;
}

/* The exchange under way that ex is, or NULL. */
static pending *find_exchange(const memory_transport *mt, const oai_exchange *ex)
{
    for (pending *p = mt->exchanges; p; p = p->next)
        if (p->ex == ex)
            return p;
    return NULL;
}

/* Inside the start callback: the exchange's own steps that are due now.
 * It is looked up afresh after each step, which may have ended it. */
static void answer_now(memory_transport *mt, const oai_exchange *ex)
{
    for (pending *p; (p = find_exchange(mt, ex)) != NULL && p->due_us <= mt->now_us;)
        step(p);
}

/* ---- the transport's callbacks ---------------------------------------------------- */

static pending *pending_new(memory_transport *mt, oai_exchange *ex, const mock_request *req, unsigned long serial)
{
    pending *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->mt = mt;
    p->ex = ex;
    p->serial = serial;
    p->r = next_reply(mt, req);
    if (!p->r) {
        free(p);
        return NULL;
    }
    p->at = PHASE_HEAD;
    p->due_us = after_ms(mt, p->r->delay_ms);
    pending **tail = &mt->exchanges;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    return p;
}

static int mt_start(void *ud, oai_exchange *ex)
{
    memory_transport *mt = ud;
    if (mt->fail_starts > 0) {
        mt->fail_starts--;
        return (int)mt->fail_status;
    }
    unsigned long serial = ++mt->serial;
    oai_status st = record_request(mt, ex, serial);
    if (st != OAI_OK)
        return (int)st;
    pending *p = pending_new(mt, ex, &mt->records[mt->record_count - 1].req, serial);
    if (!p)
        return (int)OAI_ERR_OUT_OF_MEMORY;
    oai_exchange_set_host_data(ex, p);
    /* The request has gone out: the engine's first-byte clock starts. */
    int64_t total = oai_exchange_body_length(ex);
    if (total > 0 && reported(p, oai_exchange_report_sent(ex, total, total)) != 0)
        return 0;
    if (mt->answer_in_start)
        answer_now(mt, ex);
    return 0;
}

static void mt_cancel(void *ud, oai_exchange *ex)
{
    memory_transport *mt = ud;
    pending *p = find_exchange(mt, ex);
    mt->cancels++;
    if (!p || oai_exchange_host_data(ex) != p) {
        mt->violations++; /* not under way: ended, or never started */
        return;
    }
    pending_free(p);
}

/* Back-pressure: no more chunks for this exchange until resumed. */
static void mt_pause(void *ud, oai_exchange *ex, int paused)
{
    memory_transport *mt = ud;
    pending *p = find_exchange(mt, ex);
    if (!p || p->paused == (paused != 0)) {
        mt->violations++; /* unknown, or no change */
        return;
    }
    p->paused = paused != 0;
    if (paused)
        mt->pauses++;
    else
        mt->resumes++;
}

/* Delivers what is due; when nothing is, moves the clock to the next
 * scripted event or by timeout_ms, whichever is sooner. Never sleeps. */
static int mt_run(void *ud, int timeout_ms)
{
    memory_transport *mt = ud;
    if (memory_transport_deliver(mt) > 0)
        return 0;
    int64_t next = memory_transport_next_event_us(mt);
    int64_t limit = timeout_ms < 0 ? NEVER : mt->now_us + (int64_t)timeout_ms * 1000;
    int64_t to = min64(next, limit);
    if (to == NEVER) {
        /* A real transport would block for ever here. */
        mt->stuck++;
        return (int)OAI_ERR_TIMEOUT;
    }
    if (to > mt->now_us)
        mt->now_us = to;
    memory_transport_deliver(mt);
    return 0;
}

static int64_t mt_clock(void *ud)
{
    const memory_transport *mt = ud;
    return mt->now_us;
}

static void release(memory_transport *mt)
{
    if (--mt->refs > 0)
        return;
    while (mt->exchanges)
        pending_free(mt->exchanges);
    while (mt->script) {
        reply *r = mt->script;
        mt->script = r->next;
        reply_free(r);
    }
    for (size_t i = 0; i < mt->record_count; i++)
        request_clear(&mt->records[i].req);
    free(mt->records);
    free(mt);
}

/* The client freed its transport: every exchange must have ended. */
static void mt_transport_free(void *ud)
{
    memory_transport *mt = ud;
    if (mt->exchanges)
        mt->violations++;
    release(mt);
}

/* ---- the test's side ------------------------------------------------------------ */

memory_transport *memory_transport_new(void)
{
    memory_transport *mt = calloc(1, sizeof *mt);
    if (!mt)
        return NULL;
    mt->refs = 1;
    mt->now_us = CLOCK_START_US;
    mt->has_run = 1;
    mt->has_pause = 1;
    return mt;
}

void memory_transport_free(memory_transport *mt)
{
    if (mt)
        release(mt);
}

oai_status memory_transport_attach(memory_transport *mt, oai_client *client)
{
    if (!mt || !client || mt->attached)
        return OAI_ERR_INVALID_ARGUMENT;
    oai_transport *t = oai_transport_new(mt_start, mt_cancel, mt);
    if (!t)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_transport_set_free(t, mt_transport_free);
    if (mt->has_run)
        oai_transport_set_run(t, mt_run);
    if (mt->has_pause)
        oai_transport_set_pause(t, mt_pause);
    /* From here the transport's free callback drops the client's reference,
     * even when oai_client_set_transport() fails and frees it. */
    mt->refs++;
    oai_status st = oai_client_set_transport(client, t);
    if (st != OAI_OK)
        return st;
    mt->attached = 1;
    return oai_client_set_clock_callback(client, mt_clock, mt);
}

void memory_transport_fail_starts(memory_transport *mt, int count, oai_status status)
{
    mt->fail_starts = count;
    mt->fail_status = status;
}

void memory_transport_set_answer_in_start(memory_transport *mt, int on)
{
    mt->answer_in_start = on;
}

void memory_transport_set_split_bytes(memory_transport *mt, int on)
{
    mt->split_bytes = on;
}

void memory_transport_set_has_run(memory_transport *mt, int on)
{
    mt->has_run = on;
}

int64_t memory_transport_now_us(const memory_transport *mt)
{
    return mt->now_us;
}

void memory_transport_advance_us(memory_transport *mt, int64_t us)
{
    if (us > 0)
        mt->now_us += us;
}

size_t memory_transport_request_count(const memory_transport *mt)
{
    return mt->record_count;
}

const mock_request *memory_transport_request(const memory_transport *mt, size_t index)
{
    return index < mt->record_count ? &mt->records[index].req : NULL;
}

int64_t memory_transport_request_time_us(const memory_transport *mt, size_t index)
{
    return index < mt->record_count ? mt->records[index].at_us : -1;
}

size_t memory_transport_in_flight(const memory_transport *mt)
{
    size_t n = 0;
    for (const pending *p = mt->exchanges; p; p = p->next)
        n++;
    return n;
}

int memory_transport_cancels(const memory_transport *mt)
{
    return mt->cancels;
}

int memory_transport_stuck(const memory_transport *mt)
{
    return mt->stuck;
}

int memory_transport_violations(const memory_transport *mt)
{
    return mt->violations;
}

void memory_transport_set_has_pause(memory_transport *mt, int on)
{
    mt->has_pause = on != 0;
}

int memory_transport_pauses(const memory_transport *mt)
{
    return mt->pauses;
}

int memory_transport_resumes(const memory_transport *mt)
{
    return mt->resumes;
}
