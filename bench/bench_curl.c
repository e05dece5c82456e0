/* The benchmark workloads written directly on libcurl, the floor oai is
 * measured against: one reused easy handle (sequential, stream) or one
 * multi handle with reused easy handles (concurrent) or an easy handle per
 * call (streams), the request JSON written by hand, and only the answer's
 * "content" string extracted from the response by a minimal scanner (no
 * JSON validation, no other field read).
 *
 * A stream's SSE lines are split in place (memchr for the newline; only a
 * line cut between two writes is copied) and then, by --parse:
 *
 *   scan     the delta's "content" picked out by the scanner and appended
 *            to the answer (impl "libcurl")
 *   lines    nothing more: data lines are counted (impl "libcurl-lines",
 *            the floor "splitting lines only")
 *   jansson  json_loadb() of each data line, choices[0].delta.content
 *            appended to the answer (impl "libcurl-jansson", the floor
 *            "libcurl + jansson per chunk")
 *
 *   bench_curl sequential|stream|concurrent|streams BASE_URL [options]  (see bench_common.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bench_common.h"

/* The implementation's name in messages and RESULT lines (set by main). */
static const char *IMPL = "libcurl";

/* ---- a growable byte buffer ------------------------------------------- */

typedef struct buf {
    char *p;
    size_t len;
    size_t cap;
} buf;

static int buf_reserve(buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = bench_realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_add(buf *b, const char *data, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int buf_addc(buf *b, char c)
{
    return buf_add(b, &c, 1);
}

/* ---- hand-written JSON ------------------------------------------------ */

/* Appends s as a JSON string literal, copying runs that need no escape. */
static int json_add_string(buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (buf_addc(b, '"') != 0)
        return -1;
    for (;;) {
        const char *run = s;
        while ((unsigned char)*s >= 0x20 && *s != '"' && *s != '\\')
            s++;
        if (buf_add(b, run, (size_t)(s - run)) != 0)
            return -1;
        unsigned char c = (unsigned char)*s++;
        if (c == '\0')
            return buf_addc(b, '"');
        char esc[6] = {'\\', (char)c};
        size_t n = 2;
        if (c < 0x20) {
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (buf_add(b, esc, n) != 0)
            return -1;
    }
}

/* {"model":..., "messages":[{"role":"user","content":prompt}] [,"stream":true,...]} */
static int chat_body(buf *b, const char *prompt, int stream, long pieces)
{
    static const char head[] =
        "{\"model\":\"" BENCH_MODEL "\",\"messages\":[{\"role\":\"user\",\"content\":";
    char tail[96];
    if (!stream)
        snprintf(tail, sizeof tail, "}]}");
    else if (pieces > 0)
        snprintf(tail, sizeof tail, "}],\"stream\":true,\"mock_stream_pieces\":%ld}", pieces);
    else
        snprintf(tail, sizeof tail, "}],\"stream\":true}");
    b->len = 0;
    return buf_add(b, head, sizeof head - 1) || json_add_string(b, prompt) ||
                   buf_add(b, tail, strlen(tail))
               ? -1
               : 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at p; -1 when they are not. */
static long hex4(const char *p, const char *end)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = p + i < end ? hex_value(p[i]) : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int add_utf8(buf *out, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return buf_add(out, u, n);
}

/* Decodes the \u escape at p (after the backslash and 'u'), with a following
 * low surrogate when p holds a high one; returns the bytes consumed, or -1. */
static long decode_unicode(const char *p, const char *end, buf *out)
{
    long hi = hex4(p, end);
    if (hi < 0)
        return -1;
    if (hi >= 0xD800 && hi < 0xDC00 && end - p >= 10 && p[4] == '\\' && p[5] == 'u') {
        long lo = hex4(p + 6, end);
        if (lo >= 0xDC00 && lo < 0xE000)
            return add_utf8(out, 0x10000 + (((unsigned long)hi - 0xD800) << 10) +
                                     ((unsigned long)lo - 0xDC00)) ? -1 : 10;
    }
    return add_utf8(out, (unsigned long)hi) ? -1 : 4;
}

static char simple_escape(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'b': return '\b';
    case 'f': return '\f';
    default:  return c; /* '"', '\\', '/' */
    }
}

/* Decodes the JSON string literal starting at p (on its opening quote) and
 * appends it to out. Returns the end of the literal, or NULL. */
static const char *decode_string(const char *p, const char *end, buf *out)
{
    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end; p++) {
        const char *run = p;
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (buf_add(out, run, (size_t)(p - run)) != 0 || p >= end)
            return NULL;
        if (*p == '"')
            return p + 1;
        if (++p >= end)
            return NULL;
        if (*p == 'u') {
            long used = decode_unicode(p + 1, end, out);
            if (used < 0)
                return NULL;
            p += used;
        } else if (buf_addc(out, simple_escape(*p)) != 0) {
            return NULL;
        }
    }
    return NULL;
}

/* Appends the value of the first "content" string after `from` to out.
 * Returns 1 when found, 0 when absent, -1 when malformed. */
static int extract_content(const char *from, const char *end, buf *out)
{
    static const char key[] = "\"content\"";
    const char *k = from;
    for (;;) {
        k = memchr(k, '"', (size_t)(end - k));
        if (!k || (size_t)(end - k) < sizeof key - 1)
            return 0;
        if (memcmp(k, key, sizeof key - 1) == 0)
            break;
        k++;
    }
    const char *p = k + sizeof key - 1;
    while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    if (p < end && *p == 'n') /* null */
        return 1;
    return decode_string(p, end, out) ? 1 : -1;
}

/* ---- the shared easy-handle setup ------------------------------------- */

static size_t write_to_buf(char *data, size_t size, size_t n, void *userdata)
{
    return buf_add(userdata, data, size * n) == 0 ? size * n : 0;
}

static struct curl_slist *json_headers(void)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Authorization: Bearer " BENCH_API_KEY) : NULL;
    if (!h2)
        curl_slist_free_all(h);
    return h2;
}

static int setup_post(CURL *e, const char *url, struct curl_slist *headers, const buf *body)
{
    return curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len) != CURLE_OK ||
           curl_easy_setopt(e, CURLOPT_POSTFIELDS, body->p) != CURLE_OK
               ? -1
               : 0;
}

/* Non-zero when the answer is the mock's echo of prompt. */
static int is_echo(const buf *text, const char *prompt)
{
    size_t plen = sizeof BENCH_ECHO_PREFIX - 1;
    return text->len == plen + strlen(prompt) && memcmp(text->p, BENCH_ECHO_PREFIX, plen) == 0 &&
           memcmp(text->p + plen, prompt, text->len - plen) == 0;
}

/* Checks one finished non-streamed call: HTTP 200 and the echo. */
static int check_answer(CURL *e, CURLcode rc, const buf *body, buf *text)
{
    long http = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
    text->len = 0;
    if (rc != CURLE_OK || http != 200 ||
        extract_content(body->p, body->p + body->len, text) != 1 ||
        !is_echo(text, BENCH_SHORT_PROMPT)) {
        fprintf(stderr, "bench %s: %s (HTTP %ld)\n", IMPL, curl_easy_strerror(rc), http);
        return -1;
    }
    return 0;
}

/* ---- sequential ------------------------------------------------------- */

typedef struct seq_ctx {
    CURL *easy;
    struct curl_slist *headers;
    char *url;
    buf body, response, text;
} seq_ctx;

static int seq_once(seq_ctx *s)
{
    s->response.len = 0;
    if (chat_body(&s->body, BENCH_SHORT_PROMPT, 0, 0) != 0 ||
        setup_post(s->easy, s->url, s->headers, &s->body) != 0)
        return -1;
    CURLcode rc = curl_easy_perform(s->easy);
    return check_answer(s->easy, rc, &s->response, &s->text);
}

static int seq_loop(seq_ctx *s, const bench_options *opt, bench_result *r)
{
    if (seq_once(s) != 0) /* warm-up: opens the keep-alive connection */
        return -1;
    bench_clock timer;
    bench_clock_start(&timer);
    for (long i = 0; i < opt->requests; i++) {
        if (seq_once(s) != 0)
            return -1;
        r->requests++;
    }
    bench_clock_stop(&timer, r);
    return 0;
}

static char *endpoint_url(const char *base)
{
    char *url = malloc(strlen(base) + sizeof "/chat/completions");
    if (url)
        sprintf(url, "%s/chat/completions", base);
    return url;
}

static int run_sequential(const bench_options *opt, bench_result *r)
{
    seq_ctx s;
    memset(&s, 0, sizeof s);
    s.easy = curl_easy_init();
    s.headers = json_headers();
    s.url = endpoint_url(opt->base_url);
    int rc = -1;
    if (s.easy && s.headers && s.url &&
        curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, write_to_buf) == CURLE_OK &&
        curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, (void *)&s.response) == CURLE_OK)
        rc = seq_loop(&s, opt, r);
    curl_easy_cleanup(s.easy);
    curl_slist_free_all(s.headers);
    free(s.url);
    bench_free(s.body.p);
    bench_free(s.response.p);
    bench_free(s.text.p);
    return rc;
}

/* ---- stream and streams ----------------------------------------------- */

/* streams: how many calls are receiving (had data, not ended), and the most. */
typedef struct receiving_count {
    long now;
    long peak;
} receiving_count;

typedef struct sse_ctx {
    bench_parse parse;
    receiving_count *receiving; /* streams only */
    int received;   /* data arrived */
    buf partial;    /* the start of a line cut between two writes */
    buf text;       /* the accumulated answer (scan, jansson) */
    long events;    /* data lines before [DONE] */
    int done;       /* [DONE] seen */
    int failed;
} sse_ctx;

static void sse_free(sse_ctx *s)
{
    bench_free(s->partial.p);
    bench_free(s->text.p);
}

/* scan: the first "content" string after "delta" in the line. */
static void scan_delta(sse_ctx *s, const char *line, size_t len)
{
    static const char delta[] = "\"delta\"";
    const char *end = line + len;
    for (const char *p = line; (p = memchr(p, '"', (size_t)(end - p))) != NULL; p++) {
        if ((size_t)(end - p) >= sizeof delta - 1 && memcmp(p, delta, sizeof delta - 1) == 0) {
            if (extract_content(p + sizeof delta - 1, end, &s->text) < 0)
                s->failed = 1;
            return;
        }
    }
}

/* jansson: the whole chunk parsed, choices[0].delta.content taken. */
static void jansson_delta(sse_ctx *s, const char *line, size_t len)
{
    json_error_t error;
    json_t *chunk = json_loadb(line, len, 0, &error);
    if (!chunk) {
        s->failed = 1;
        return;
    }
    json_t *delta = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
    json_t *content = json_object_get(delta, "content");
    if (json_is_string(content) &&
        buf_add(&s->text, json_string_value(content), json_string_length(content)) != 0)
        s->failed = 1;
    json_decref(chunk);
}

/* Handles one complete line: "data: {...}" is an event. */
static void sse_line(sse_ctx *s, const char *line, size_t len)
{
    static const char data[] = "data: ";
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len < sizeof data - 1 || memcmp(line, data, sizeof data - 1) != 0 || s->done)
        return;
    line += sizeof data - 1;
    len -= sizeof data - 1;
    if (len == 6 && memcmp(line, "[DONE]", 6) == 0) {
        s->done = 1;
        return;
    }
    s->events++;
    if (s->parse == BENCH_PARSE_SCAN)
        scan_delta(s, line, len);
    else if (s->parse == BENCH_PARSE_JANSSON)
        jansson_delta(s, line, len);
}

/* Splits the bytes into lines where they lie; only a line cut between two
 * writes is copied, to be completed by the next. */
static size_t on_sse_bytes(char *data, size_t size, size_t n, void *userdata)
{
    sse_ctx *s = userdata;
    const char *p = data, *end = data + size * n;
    if (!s->received) {
        s->received = 1;
        if (s->receiving && ++s->receiving->now > s->receiving->peak)
            s->receiving->peak = s->receiving->now;
    }
    if (s->partial.len > 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (buf_add(&s->partial, p, (size_t)((nl ? nl : end) - p)) != 0)
            return 0;
        if (!nl)
            return size * n;
        sse_line(s, s->partial.p, s->partial.len);
        s->partial.len = 0;
        p = nl + 1;
    }
    for (const char *nl; (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1)
        sse_line(s, p, (size_t)(nl - p));
    if (p < end && buf_add(&s->partial, p, (size_t)(end - p)) != 0)
        return 0;
    return s->failed ? 0 : size * n;
}

/* Checks one finished stream: HTTP 200, [DONE], and the expected answer
 * (lines: at least one event, since nothing is accumulated). */
static int check_stream(CURL *e, CURLcode cc, const sse_ctx *s, const bench_options *opt)
{
    long http = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
    int answer_ok = s->parse == BENCH_PARSE_LINES
                        ? s->events > 0
                        : bench_is_stream_echo(s->text.p, s->text.len, opt->stream_bytes);
    int ok = cc == CURLE_OK && http == 200 && s->done && !s->failed && answer_ok;
    if (!ok)
        fprintf(stderr, "bench %s: %s (HTTP %ld, %ld events, %s)\n", IMPL,
                curl_easy_strerror(cc), http, s->events, s->done ? "ended" : "no [DONE]");
    return ok ? 0 : -1;
}

/* The body of a streamed chat: the prompt of bench_stream_prompt(), and
 * for the mock the number of pieces. */
static int stream_body(buf *body, const bench_options *opt)
{
    char *prompt = bench_stream_prompt(opt);
    long pieces = opt->server == BENCH_SERVER_MOCK ? opt->stream_pieces : 0;
    int rc = prompt ? chat_body(body, prompt, 1, pieces) : -1;
    free(prompt);
    return rc;
}

static int stream_once(CURL *e, const char *url, const bench_options *opt, sse_ctx *s)
{
    buf body = {NULL, 0, 0};
    struct curl_slist *headers = json_headers();
    int rc = -1;
    if (headers && stream_body(&body, opt) == 0 && setup_post(e, url, headers, &body) == 0 &&
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_sse_bytes) == CURLE_OK &&
        curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)s) == CURLE_OK)
        rc = check_stream(e, curl_easy_perform(e), s, opt);
    curl_slist_free_all(headers);
    bench_free(body.p);
    return rc;
}

static int run_stream(const bench_options *opt, bench_result *r)
{
    char *url = endpoint_url(opt->base_url);
    sse_ctx s;
    memset(&s, 0, sizeof s);
    s.parse = opt->parse;
    bench_clock timer;
    bench_clock_start(&timer);
    CURL *e = curl_easy_init();
    int rc = url && e ? stream_once(e, url, opt, &s) : -1;
    curl_easy_cleanup(e);
    bench_clock_stop(&timer, r);
    r->requests = 1;
    r->events = s.events;
    r->bytes = (long)s.text.len;
    sse_free(&s);
    free(url);
    return rc;
}

/* streams: every call its own easy handle and SSE state, made when the
 * call starts and freed when it ends, as an application would. */
typedef struct stream_call {
    CURL *easy;
    sse_ctx sse;
} stream_call;

typedef struct streams_ctx {
    CURLM *multi;
    struct curl_slist *headers;
    char *url;
    buf body;       /* the same request for every call */
    const bench_options *opt;
    long events;
    long bytes;
    receiving_count receiving;
} streams_ctx;

static void end_call(streams_ctx *m, stream_call *call)
{
    if (call->sse.received)
        m->receiving.now--;
    curl_multi_remove_handle(m->multi, call->easy);
    curl_easy_cleanup(call->easy);
    sse_free(&call->sse);
    call->easy = NULL;
}

static int start_call(streams_ctx *m, stream_call *call)
{
    memset(call, 0, sizeof *call);
    call->sse.parse = m->opt->parse;
    call->sse.receiving = &m->receiving;
    call->easy = curl_easy_init();
    if (!call->easy || setup_post(call->easy, m->url, m->headers, &m->body) != 0 ||
        curl_easy_setopt(call->easy, CURLOPT_PRIVATE, (void *)call) != CURLE_OK ||
        curl_easy_setopt(call->easy, CURLOPT_WRITEFUNCTION, on_sse_bytes) != CURLE_OK ||
        curl_easy_setopt(call->easy, CURLOPT_WRITEDATA, (void *)&call->sse) != CURLE_OK ||
        curl_multi_add_handle(m->multi, call->easy) != CURLM_OK) {
        curl_easy_cleanup(call->easy);
        call->easy = NULL;
        return -1;
    }
    return 0;
}

/* Starts n streamed calls at once and drives them until all have ended. */
static int streams_round(streams_ctx *m, long n)
{
    stream_call *calls = bench_calloc((size_t)n, sizeof *calls);
    long started = 0, finished = 0;
    int rc = calls ? 0 : -1;
    for (; rc == 0 && started < n; started++)
        rc = start_call(m, &calls[started]);
    while (rc == 0 && finished < n) {
        int running = 0, left;
        if (curl_multi_perform(m->multi, &running) != CURLM_OK)
            rc = -1;
        CURLMsg *msg;
        while (rc == 0 && (msg = curl_multi_info_read(m->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            stream_call *call = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&call);
            rc = check_stream(call->easy, msg->data.result, &call->sse, m->opt);
            m->events += call->sse.events;
            m->bytes += (long)call->sse.text.len;
            end_call(m, call);
            finished++;
        }
        if (rc == 0 && finished < n && curl_multi_poll(m->multi, NULL, 0, 1000, NULL) != CURLM_OK)
            rc = -1;
    }
    for (long i = 0; calls && i < started; i++)
        if (calls[i].easy)
            end_call(m, &calls[i]);
    bench_free(calls);
    return rc;
}

static int run_streams(const bench_options *opt, bench_result *r)
{
    streams_ctx m;
    memset(&m, 0, sizeof m);
    m.opt = opt;
    m.multi = curl_multi_init();
    m.headers = json_headers();
    m.url = endpoint_url(opt->base_url);
    /* warm-up: one stream, which opens a connection */
    int rc = m.multi && m.headers && m.url && stream_body(&m.body, opt) == 0 &&
                     streams_round(&m, 1) == 0
                 ? 0
                 : -1;
    m.events = m.bytes = 0;
    m.receiving.peak = 0;
    bench_clock timer;
    size_t base = bench_heap_mark();
    bench_clock_start(&timer);
    if (rc == 0)
        rc = streams_round(&m, opt->concurrency);
    bench_clock_stop(&timer, r);
    r->heap_kb = (long)((bench_heap_peak() - base) / 1024);
    r->receiving_peak = m.receiving.peak;
    r->requests = opt->concurrency;
    r->events = m.events;
    r->bytes = m.bytes;
    curl_multi_cleanup(m.multi);
    curl_slist_free_all(m.headers);
    free(m.url);
    bench_free(m.body.p);
    return rc;
}

/* ---- concurrent ------------------------------------------------------- */

typedef struct slot {
    CURL *easy;
    buf body, response, text;
} slot;

typedef struct multi_ctx {
    CURLM *multi;
    struct curl_slist *headers;
    char *url;
    slot *slots;
    long n;
} multi_ctx;

static int start_slot(multi_ctx *m, slot *s)
{
    s->response.len = 0;
    if (chat_body(&s->body, BENCH_SHORT_PROMPT, 0, 0) != 0 ||
        setup_post(s->easy, m->url, m->headers, &s->body) != 0)
        return -1;
    return curl_multi_add_handle(m->multi, s->easy) == CURLM_OK ? 0 : -1;
}

/* Checks every finished transfer and detaches it. Returns the number that
 * finished, or -1 when one failed. */
static long collect_finished(multi_ctx *m)
{
    long finished = 0;
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        slot *s = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(m->multi, s->easy);
        if (check_answer(s->easy, rc, &s->response, &s->text) != 0)
            return -1;
        finished++;
    }
    return finished;
}

static int multi_round(multi_ctx *m)
{
    for (long i = 0; i < m->n; i++)
        if (start_slot(m, &m->slots[i]) != 0)
            return -1;
    long finished = 0;
    while (finished < m->n) {
        int running = 0;
        if (curl_multi_perform(m->multi, &running) != CURLM_OK)
            return -1;
        long got = collect_finished(m);
        if (got < 0)
            return -1;
        finished += got;
        if (finished < m->n && curl_multi_poll(m->multi, NULL, 0, 1000, NULL) != CURLM_OK)
            return -1;
    }
    return 0;
}

static int multi_init(multi_ctx *m, const bench_options *opt)
{
    m->n = opt->concurrency;
    m->multi = curl_multi_init();
    m->headers = json_headers();
    m->url = endpoint_url(opt->base_url);
    m->slots = calloc((size_t)m->n, sizeof *m->slots);
    if (!m->multi || !m->headers || !m->url || !m->slots ||
        curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, m->n) != CURLM_OK)
        return -1;
    for (long i = 0; i < m->n; i++) {
        slot *s = &m->slots[i];
        s->easy = curl_easy_init();
        if (!s->easy || curl_easy_setopt(s->easy, CURLOPT_PRIVATE, (void *)s) != CURLE_OK ||
            curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, write_to_buf) != CURLE_OK ||
            curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, (void *)&s->response) != CURLE_OK)
            return -1;
    }
    return 0;
}

static void multi_cleanup(multi_ctx *m)
{
    for (long i = 0; m->slots && i < m->n; i++) {
        slot *s = &m->slots[i];
        if (s->easy)
            curl_multi_remove_handle(m->multi, s->easy);
        curl_easy_cleanup(s->easy);
        bench_free(s->body.p);
        bench_free(s->response.p);
        bench_free(s->text.p);
    }
    free(m->slots);
    curl_multi_cleanup(m->multi);
    curl_slist_free_all(m->headers);
    free(m->url);
}

static int run_concurrent(const bench_options *opt, bench_result *r)
{
    multi_ctx m;
    memset(&m, 0, sizeof m);
    int rc = multi_init(&m, opt) == 0 && multi_round(&m) == 0 ? 0 : -1; /* warm-up */
    bench_clock timer;
    bench_clock_start(&timer);
    for (long i = 0; rc == 0 && i < opt->rounds; i++) {
        rc = multi_round(&m);
        r->requests += m.n;
    }
    bench_clock_stop(&timer, r);
    multi_cleanup(&m);
    return rc;
}

int main(int argc, char **argv)
{
    bench_options opt;
    if (bench_parse_args(argc, argv, &opt) != 0)
        return 2;
    if (opt.workload == BENCH_STREAM || opt.workload == BENCH_STREAMS)
        IMPL = opt.parse == BENCH_PARSE_LINES     ? "libcurl-lines"
               : opt.parse == BENCH_PARSE_JANSSON ? "libcurl-jansson"
                                                  : "libcurl";
    /* streams counts the heap: libcurl's, jansson's and ours */
    if (opt.workload == BENCH_STREAMS) {
        bench_heap_start();
        json_set_alloc_funcs(bench_malloc, bench_free);
    }
    CURLcode init = bench_heap_on()
                        ? curl_global_init_mem(CURL_GLOBAL_DEFAULT, bench_malloc, bench_free,
                                               bench_realloc, bench_strdup, bench_calloc)
                        : curl_global_init(CURL_GLOBAL_DEFAULT);
    if (init != CURLE_OK)
        return bench_fail(IMPL, "curl_global_init failed");
    bench_result r;
    bench_result_init(&r);
    int rc = opt.workload == BENCH_SEQUENTIAL ? run_sequential(&opt, &r)
             : opt.workload == BENCH_STREAM   ? run_stream(&opt, &r)
             : opt.workload == BENCH_STREAMS  ? run_streams(&opt, &r)
                                              : run_concurrent(&opt, &r);
    curl_global_cleanup();
    if (rc != 0)
        return bench_fail(IMPL, "a call failed or returned an unexpected answer");
    bench_print_result(IMPL, &opt, &r);
    return 0;
}
