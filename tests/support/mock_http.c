/* HTTP/1.1 plumbing of the mock server: see mock_http.h. */
#include "mock_http.h"

#include "mock_multipart.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A request head larger than this is refused (the connection is closed). */
#define MOCK_MAX_HEAD (1024u * 1024u)
/* The receive buffer grows to at least this much free space per read. */
#define MOCK_READ_CHUNK (64u * 1024u)

/* ---- interruptible socket I/O ---------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd has `events` or the server stops. timeout_ms < 0: forever.
 * Returns 1 when fd is ready, 0 on timeout, -1 when stopping or on error. */
static int wait_fd(const mock_io *io, short events, int timeout_ms)
{
    struct pollfd p[2];
    p[0].fd = io->fd;
    p[0].events = events;
    p[1].fd = io->wake_fd;
    p[1].events = POLLIN;
    for (;;) {
        p[0].revents = p[1].revents = 0;
        int n = poll(p, 2, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[1].revents)
            return -1;
        if (n == 0)
            return 0;
        return 1;   /* ready, or POLLERR/POLLHUP: the next call reports it */
    }
}

int mock_io_sleep(const mock_io *io, int ms)
{
    if (ms <= 0)
        return 0;
    int64_t deadline = now_ms() + ms;
    struct pollfd p;
    p.fd = io->wake_fd;
    p.events = POLLIN;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        p.revents = 0;
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return -1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* Sends nothing for ms milliseconds (< 0: for ever), but returns as soon as
 * the client closes its side or the server stops: nobody is left to stall,
 * and a long stall must not keep a thread (and a socket) for nothing. */
static void stall(const mock_io *io, int ms)
{
    int64_t deadline = now_ms() + ms;
    struct pollfd p[2] = {{io->fd, POLLRDHUP, 0}, {io->wake_fd, POLLIN, 0}};
    for (;;) {
        int64_t left = deadline - now_ms();
        if (ms >= 0 && left <= 0)
            return;
        p[0].revents = p[1].revents = 0;
        int n = poll(p, 2, ms >= 0 ? (int)left : -1);
        if (n > 0 || (n < 0 && errno != EINTR))
            return;   /* the client closed (or failed), or the server stops */
    }
}

/* Sends everything, never blocking past a stop. 0 on success, -1 on failure. */
static int send_all(mock_io *io, const char *data, size_t len)
{
    while (len > 0) {
        if (wait_fd(io, POLLOUT, -1) != 1)
            return -1;
        ssize_t n = send(io->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads more bytes into io->buf. Returns 1 on data, -1 on EOF/error/stop. */
static int fill(mock_io *io)
{
    if (io->cap - io->len < MOCK_READ_CHUNK) {
        size_t cap = io->cap ? io->cap * 2 : 2 * MOCK_READ_CHUNK;
        while (cap - io->len < MOCK_READ_CHUNK)
            cap *= 2;
        char *p = realloc(io->buf, cap);
        if (!p)
            return -1;
        io->buf = p;
        io->cap = cap;
    }
    for (;;) {
        if (wait_fd(io, POLLIN, -1) != 1)
            return -1;
        ssize_t n = recv(io->fd, io->buf + io->len, io->cap - io->len, MSG_DONTWAIT);
        if (n > 0) {
            io->len += (size_t)n;
            return 1;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        return -1;
    }
}

/* Drops the first n buffered bytes. */
static void consume(mock_io *io, size_t n)
{
    memmove(io->buf, io->buf + n, io->len - n);
    io->len -= n;
}

/* ---- request parsing ------------------------------------------------- */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Collects a request body: everything is counted (and split, when it is
 * multipart), only the first MOCK_BODY_RECORD_LIMIT bytes are kept. */
typedef struct body_sink {
    char *data;
    size_t stored;
    size_t cap;
    size_t total;
    mock_form_tap *tap;     /* NULL unless multipart/form-data */
} body_sink;

static int sink_append(body_sink *s, const char *p, size_t n)
{
    s->total += n;
    if (s->tap && mock_form_tap_feed(s->tap, p, n) != 0)
        return -1;
    size_t room = MOCK_BODY_RECORD_LIMIT - s->stored;
    if (n > room)
        n = room;
    if (n == 0)
        return 0;
    if (s->stored + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->stored + n + 1)
            cap *= 2;
        if (cap > MOCK_BODY_RECORD_LIMIT + 1)
            cap = MOCK_BODY_RECORD_LIMIT + 1;
        char *d = realloc(s->data, cap);
        if (!d)
            return -1;
        s->data = d;
        s->cap = cap;
    }
    memcpy(s->data + s->stored, p, n);
    s->stored += n;
    return 0;
}

/* Moves exactly n body bytes from the connection into the sink. */
static int read_exact(mock_io *io, body_sink *s, uint64_t n)
{
    while (n > 0) {
        if (io->len == 0 && fill(io) != 1)
            return -1;
        size_t take = io->len < n ? io->len : (size_t)n;
        if (sink_append(s, io->buf, take) != 0)
            return -1;
        consume(io, take);
        n -= take;
    }
    return 0;
}

/* Waits for one CRLF- (or LF-) terminated line; returns its length without
 * the terminator and stores the terminator length in *eol. -1 on failure. */
static long read_line(mock_io *io, size_t *eol)
{
    size_t scanned = 0;
    for (;;) {
        char *nl = io->len > scanned ? memchr(io->buf + scanned, '\n', io->len - scanned) : NULL;
        if (nl) {
            size_t end = (size_t)(nl - io->buf);
            *eol = 1;
            if (end > 0 && io->buf[end - 1] == '\r') {
                end--;
                *eol = 2;
            }
            return (long)end;
        }
        scanned = io->len;
        if (io->len > MOCK_MAX_HEAD || fill(io) != 1)
            return -1;
    }
}

/* Decodes a Transfer-Encoding: chunked body (trailers are skipped). */
static int read_chunked(mock_io *io, body_sink *s)
{
    for (;;) {
        size_t eol;
        long n = read_line(io, &eol);
        if (n <= 0)
            return -1;
        char line[40];   /* size digits, maybe ";extensions" (ignored) */
        size_t copy = (size_t)n < sizeof line - 1 ? (size_t)n : sizeof line - 1;
        memcpy(line, io->buf, copy);
        line[copy] = '\0';
        char *end;
        errno = 0;
        unsigned long long size = strtoull(line, &end, 16);
        if (end == line || errno != 0 || !(*end == '\0' || *end == ';' || is_ows(*end)))
            return -1;
        consume(io, (size_t)n + eol);
        if (size == 0)
            break;
        if (read_exact(io, s, size) != 0)
            return -1;
        n = read_line(io, &eol);   /* the CRLF after the chunk data */
        if (n != 0)
            return -1;
        consume(io, eol);
    }
    for (;;) {   /* trailer fields up to the empty line */
        size_t eol;
        long n = read_line(io, &eol);
        if (n < 0)
            return -1;
        consume(io, (size_t)n + eol);
        if (n == 0)
            return 0;
    }
}

/* Finds the end of the request head; returns the offset just past the blank
 * line, or 0 when it has not arrived yet. Accepts bare LF line ends. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static char *dup_range(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Adds one "Name: value" line (not terminated) to req. */
static int add_header_line(mock_request *req, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return -1;
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *vend = line + len;
    while (v < vend && is_ows(*v))
        v++;
    while (vend > v && is_ows(vend[-1]))
        vend--;
    size_t n = req->header_count;
    char **names = realloc(req->header_names, (n + 1) * sizeof *names);
    if (!names)
        return -1;
    req->header_names = names;
    char **values = realloc(req->header_values, (n + 1) * sizeof *values);
    if (!values)
        return -1;
    req->header_values = values;
    names[n] = dup_range(line, name_len);
    values[n] = dup_range(v, (size_t)(vend - v));
    if (!names[n] || !values[n]) {
        free(names[n]);
        free(values[n]);
        return -1;
    }
    req->header_count = n + 1;
    return 0;
}

/* Splits the request target into path and query. */
static int split_target(mock_request *req)
{
    const char *q = strchr(req->target, '?');
    size_t path_len = q ? (size_t)(q - req->target) : strlen(req->target);
    req->path = dup_range(req->target, path_len);
    req->query = q ? strdup(q + 1) : strdup("");
    return req->path && req->query ? 0 : -1;
}

/* Parses "METHOD SP target SP HTTP/1.x". *http10 is set for HTTP/1.0. */
static int parse_request_line(mock_request *req, const char *line, size_t len, int *http10)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1)
        return -1;
    const char *rest = sp1 + 1;
    const char *sp2 = memchr(rest, ' ', (size_t)(line + len - rest));
    if (!sp2 || sp2 == rest)
        return -1;
    const char *version = sp2 + 1;
    size_t vlen = (size_t)(line + len - version);
    if (vlen != 8 || memcmp(version, "HTTP/1.", 7) != 0)
        return -1;
    *http10 = version[7] == '0';
    req->method = dup_range(line, (size_t)(sp1 - line));
    req->target = dup_range(rest, (size_t)(sp2 - rest));
    if (!req->method || !req->target)
        return -1;
    return split_target(req);
}

/* Parses the head in buf[0, len) (which ends with the blank line). */
static int parse_head(mock_request *req, const char *buf, size_t len, int *http10)
{
    int first = 1;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        size_t n = (size_t)(nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        int rc = first ? parse_request_line(req, p, n, http10)
                       : is_ows(*p) ? 0 /* obsolete line folding: ignored */
                                    : add_header_line(req, p, n);
        if (rc != 0)
            return -1;
        first = 0;
        p = nl + 1;
    }
    return first ? -1 : 0;
}

/* Does the comma-separated header value contain token (case-insensitive)? */
static int value_has_token(const char *value, const char *token)
{
    size_t tlen = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ',' || is_ows(*p))
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *e = p;
        while (e > start && is_ows(e[-1]))
            e--;
        if ((size_t)(e - start) == tlen && strncasecmp(start, token, tlen) == 0)
            return 1;
    }
    return 0;
}

static int read_head(mock_io *io, mock_request *req, int *http10)
{
    size_t end;
    for (;;) {
        while (io->len >= 2 && io->buf[0] == '\r' && io->buf[1] == '\n')
            consume(io, 2);   /* stray CRLFs between requests are allowed */
        end = head_end(io->buf, io->len);
        if (end)
            break;
        if (io->len > MOCK_MAX_HEAD || fill(io) != 1)
            return -1;
    }
    int rc = parse_head(req, io->buf, end, http10);
    consume(io, end);
    return rc;
}

static int send_continue_if_expected(mock_io *io, const mock_request *req)
{
    const char *expect = mock_request_header(req, "Expect");
    if (!expect || strcasecmp(expect, "100-continue") != 0)
        return 0;
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    return send_all(io, interim, sizeof interim - 1);
}

/* A splitter for a multipart body, spooling to "<dir>/in-<conn>-<n>-<part>". */
static mock_form_tap *form_tap_for(mock_io *io, const mock_request *req)
{
    const char *ct = mock_request_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
        return NULL;
    char prefix[4096];
    const char *spool = NULL;
    if (io->data_dir) {
        snprintf(prefix, sizeof prefix, "%s/in-%d-%lu-", io->data_dir, io->connection_id,
                 io->requests);
        spool = prefix;
    }
    return mock_form_tap_new(ct, spool);
}

static int read_body(mock_io *io, mock_request *req)
{
    body_sink sink = {0};
    io->requests++;
    sink.tap = form_tap_for(io, req);
    const char *te = mock_request_header(req, "Transfer-Encoding");
    const char *cl = mock_request_header(req, "Content-Length");
    int chunked = te && value_has_token(te, "chunked");
    uint64_t length = 0;
    if (!chunked && cl) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (end == cl || *end != '\0' || errno != 0 || cl[0] == '-')
            return -1;
        length = v;
    }
    int rc = 0;
    if (chunked || length > 0)
        rc = send_continue_if_expected(io, req);
    if (rc == 0)
        rc = chunked ? read_chunked(io, &sink) : read_exact(io, &sink, length);
    if (rc == 0 && !sink.data) {
        sink.data = malloc(1);
        if (!sink.data)
            rc = -1;
    }
    if (rc != 0) {
        free(sink.data);
        mock_form_tap_free(sink.tap);
        return -1;
    }
    if (sink.tap)
        mock_form_tap_finish(sink.tap, &req->form);
    sink.data[sink.stored] = '\0';
    req->body = sink.data;
    req->body_len = sink.total;
    return 0;
}

static int wants_keep_alive(const mock_request *req, int http10)
{
    const char *conn = mock_request_header(req, "Connection");
    if (conn && value_has_token(conn, "close"))
        return 0;
    if (http10)
        return conn && value_has_token(conn, "keep-alive");
    return 1;
}

int mock_http_read_request(mock_io *io, mock_request *req, int *keep_alive)
{
    int http10 = 0;
    memset(req, 0, sizeof *req);
    if (read_head(io, req, &http10) != 0 || read_body(io, req) != 0) {
        mock_request_clear(req);
        return -1;
    }
    *keep_alive = wants_keep_alive(req, http10);
    return 0;
}

void mock_request_clear(mock_request *req)
{
    if (!req)
        return;
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
    mock_form_clear(&req->form);
    memset(req, 0, sizeof *req);
}

int mock_request_copy(mock_request *dst, const mock_request *src)
{
    memset(dst, 0, sizeof *dst);
    size_t stored = mock_request_body_stored(src);
    dst->method = strdup(src->method);
    dst->target = strdup(src->target);
    dst->path = strdup(src->path);
    dst->query = strdup(src->query);
    dst->body = dup_range(src->body, stored);
    dst->body_len = src->body_len;
    dst->connection_id = src->connection_id;
    size_t n = src->header_count;
    dst->header_names = calloc(n ? n : 1, sizeof(char *));
    dst->header_values = calloc(n ? n : 1, sizeof(char *));
    int ok = dst->method && dst->target && dst->path && dst->query && dst->body &&
             dst->header_names && dst->header_values && mock_form_copy(&dst->form, &src->form) == 0;
    if (ok)
        dst->header_count = n;   /* zeroed slots: safe to clear on failure */
    for (size_t i = 0; ok && i < n; i++) {
        dst->header_names[i] = strdup(src->header_names[i]);
        dst->header_values[i] = strdup(src->header_values[i]);
        ok = dst->header_names[i] && dst->header_values[i];
    }
    if (!ok) {
        mock_request_clear(dst);
        return -1;
    }
    return 0;
}

/* ---- responses ------------------------------------------------------- */

mock_response *mock_response_new(int status)
{
    mock_response *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->status = status;
    r->body_fd = -1;
    r->headers = strdup("");
    r->content_type = strdup("application/json");
    if (!r->headers || !r->content_type) {
        mock_response_free(r);
        return NULL;
    }
    return r;
}

int mock_response_set_body(mock_response *resp, const char *body, size_t len)
{
    char *copy = dup_range(body ? body : "", body ? len : 0);
    if (!copy)
        return -1;
    free(resp->body);
    if (resp->body_fd >= 0)
        close(resp->body_fd);
    resp->body_fd = -1;
    resp->body = copy;
    resp->body_len = body ? len : 0;
    return 0;
}

int mock_response_set_content_type(mock_response *resp, const char *type)
{
    char *copy = strdup(type);
    if (!copy)
        return -1;
    free(resp->content_type);
    resp->content_type = copy;
    return 0;
}

int mock_response_add_headers(mock_response *resp, const char *lines)
{
    if (!lines)
        return 0;
    /* Each input line becomes "line\r\n", whatever its original ending. */
    size_t old = strlen(resp->headers), extra = 2 * strlen(lines) + 3;
    char *h = realloc(resp->headers, old + extra);
    if (!h)
        return -1;
    resp->headers = h;
    char *out = h + old;
    const char *p = lines;
    while (*p) {
        size_t n = strcspn(p, "\r\n");
        if (n > 0) {
            memcpy(out, p, n);
            out += n;
            *out++ = '\r';
            *out++ = '\n';
        }
        p += n;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    *out = '\0';
    return 0;
}

int mock_response_add_chunk_delayed(mock_response *resp, const char *data, size_t len,
                                    int delay_ms)
{
    resp->chunked = 1;
    if (len == 0)
        return 0;
    size_t n = resp->chunk_count;
    char **chunks = realloc(resp->chunks, (n + 1) * sizeof *chunks);
    if (!chunks)
        return -1;
    resp->chunks = chunks;
    size_t *lens = realloc(resp->chunk_lens, (n + 1) * sizeof *lens);
    if (!lens)
        return -1;
    resp->chunk_lens = lens;
    int *delays = realloc(resp->chunk_delays, (n + 1) * sizeof *delays);
    if (!delays)
        return -1;
    resp->chunk_delays = delays;
    chunks[n] = dup_range(data, len);
    if (!chunks[n])
        return -1;
    lens[n] = len;
    delays[n] = delay_ms < 0 ? -1 : delay_ms;
    resp->chunk_count = n + 1;
    return 0;
}

int mock_response_add_chunk(mock_response *resp, const char *data, size_t len)
{
    return mock_response_add_chunk_delayed(resp, data, len, -1);
}

void mock_response_free(mock_response *resp)
{
    if (!resp)
        return;
    free(resp->headers);
    free(resp->content_type);
    free(resp->body);
    if (resp->body_fd >= 0)
        close(resp->body_fd);
    for (size_t i = 0; i < resp->chunk_count; i++)
        free(resp->chunks[i]);
    free(resp->chunks);
    free(resp->chunk_lens);
    free(resp->chunk_delays);
    free(resp);
}

static int copy_reply_payload(mock_response *r, const mock_reply *reply)
{
    if (reply->content_type && mock_response_set_content_type(r, reply->content_type) != 0)
        return -1;
    if (mock_response_add_headers(r, reply->headers) != 0)
        return -1;
    if (reply->chunks) {
        r->chunked = 1;
        for (size_t i = 0; i < reply->chunk_count; i++) {
            const char *c = reply->chunks[i] ? reply->chunks[i] : "";
            int delay = reply->chunk_delays_ms ? reply->chunk_delays_ms[i] : -1;
            if (mock_response_add_chunk_delayed(r, c, strlen(c), delay) != 0)
                return -1;
        }
        return 0;
    }
    if (reply->body) {
        size_t len = reply->body_len ? reply->body_len : strlen(reply->body);
        return mock_response_set_body(r, reply->body, len);
    }
    return 0;
}

mock_response *mock_response_from_reply(const mock_reply *reply)
{
    mock_response *r = mock_response_new(reply->status);
    if (!r)
        return NULL;
    if (copy_reply_payload(r, reply) != 0) {
        mock_response_free(r);
        return NULL;
    }
    r->delay_ms = reply->delay_ms;
    r->chunk_delay_ms = reply->chunk_delay_ms;
    r->fault = reply->fault;
    r->fault_after = reply->fault_after;
    r->stall_ms = reply->stall_ms > 0 || reply->stall_ms == -1 ? reply->stall_ms : 10000;
    return r;
}

int mock_response_set_body_file(mock_response *resp, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    if (resp->body_fd >= 0)
        close(resp->body_fd);
    free(resp->body);
    resp->body = NULL;
    resp->body_fd = fd;
    resp->body_len = (size_t)st.st_size;
    return 0;
}

mock_response *mock_response_clone(const mock_response *src)
{
    mock_response *r = mock_response_new(src->status);
    if (!r)
        return NULL;
    int ok = mock_response_set_content_type(r, src->content_type) == 0 &&
             mock_response_add_headers(r, src->headers) == 0;
    if (ok && src->body)
        ok = mock_response_set_body(r, src->body, src->body_len) == 0;
    if (ok && src->body_fd >= 0) {
        r->body_fd = dup(src->body_fd);
        r->body_len = src->body_len;
        ok = r->body_fd >= 0;
    }
    for (size_t i = 0; ok && i < src->chunk_count; i++)
        ok = mock_response_add_chunk_delayed(r, src->chunks[i], src->chunk_lens[i],
                                             src->chunk_delays[i]) == 0;
    if (!ok) {
        mock_response_free(r);
        return NULL;
    }
    r->chunked = src->chunked;
    r->delay_ms = src->delay_ms;
    r->chunk_delay_ms = src->chunk_delay_ms;
    r->fault = src->fault;
    r->fault_after = src->fault_after;
    r->stall_ms = src->stall_ms;
    return r;
}

int mock_header_lines_have(const char *lines, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = lines;
    while (p && *p) {
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':')
            return 1;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

static const char *reason_phrase(int status)
{
    static const struct { int code; const char *text; } table[] = {
        {200, "OK"}, {201, "Created"}, {202, "Accepted"}, {204, "No Content"},
        {301, "Moved Permanently"}, {302, "Found"}, {304, "Not Modified"},
        {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
        {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"},
        {404, "Not Found"}, {405, "Method Not Allowed"}, {408, "Request Timeout"},
        {409, "Conflict"}, {413, "Payload Too Large"}, {415, "Unsupported Media Type"},
        {422, "Unprocessable Entity"}, {429, "Too Many Requests"},
        {500, "Internal Server Error"}, {502, "Bad Gateway"},
        {503, "Service Unavailable"}, {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].code == status)
            return table[i].text;
    return "Status";
}

/* Status line and headers, ending with the blank line; NULL on failure. */
static char *format_head(const mock_response *r, const char *request_id, int keep_alive)
{
    size_t cap = strlen(r->headers) + strlen(r->content_type) + strlen(request_id) + 256;
    char *h = malloc(cap);
    if (!h)
        return NULL;
    int n = snprintf(h, cap, "HTTP/1.1 %d %s\r\n", r->status, reason_phrase(r->status));
    if (!mock_header_lines_have(r->headers, "Content-Type") && r->content_type[0])
        n += snprintf(h + n, cap - (size_t)n, "Content-Type: %s\r\n", r->content_type);
    if (r->chunked)
        n += snprintf(h + n, cap - (size_t)n, "Transfer-Encoding: chunked\r\n");
    else
        n += snprintf(h + n, cap - (size_t)n, "Content-Length: %zu\r\n", r->body_len);
    if (!mock_header_lines_have(r->headers, "x-request-id"))
        n += snprintf(h + n, cap - (size_t)n, "x-request-id: %s\r\n", request_id);
    if (!keep_alive)
        n += snprintf(h + n, cap - (size_t)n, "Connection: close\r\n");
    snprintf(h + n, cap - (size_t)n, "%s\r\n", r->headers);
    return h;
}

/* One chunk in chunked framing, sent with a single send() so that it leaves
 * as its own segment (TCP_NODELAY is set on every connection). */
static int send_chunk(mock_io *io, const char *data, size_t len)
{
    char *frame = malloc(len + 32);
    if (!frame)
        return -1;
    int n = snprintf(frame, 32, "%zx\r\n", len);
    memcpy(frame + n, data, len);
    memcpy(frame + n + len, "\r\n", 2);
    int rc = send_all(io, frame, (size_t)n + len + 2);
    free(frame);
    return rc;
}

static int has_body_fault(const mock_response *r)
{
    return r->fault == MOCK_FAULT_CLOSE_MID_BODY || r->fault == MOCK_FAULT_RESET ||
           r->fault == MOCK_FAULT_STALL;
}

/* The wait before chunk i: its own, else chunk_delay_ms between chunks. */
static int chunk_wait(const mock_response *r, size_t i)
{
    if (r->chunk_delays[i] >= 0)
        return r->chunk_delays[i];
    return i > 0 ? r->chunk_delay_ms : 0;
}

/* Sends the chunks (or the first fault_after of them). */
static int send_chunks(mock_io *io, const mock_response *r)
{
    size_t count = r->chunk_count;
    if (has_body_fault(r) && r->fault_after < count)
        count = r->fault_after;
    for (size_t i = 0; i < count; i++) {
        if (mock_io_sleep(io, chunk_wait(r, i)) != 0)
            return -1;
        if (send_chunk(io, r->chunks[i], r->chunk_lens[i]) != 0)
            return -1;
    }
    if (has_body_fault(r))
        return 0;
    return send_all(io, "0\r\n\r\n", 5);
}

/* Sends the first len bytes of the body file, one buffer at a time. */
static int send_file_body(mock_io *io, int fd, size_t len)
{
    size_t size = len < MOCK_READ_CHUNK ? len : MOCK_READ_CHUNK;
    char *chunk = malloc(size ? size : 1);
    int rc = chunk ? 0 : -1;
    for (off_t offset = 0; rc == 0 && len > 0;) {
        ssize_t n = pread(fd, chunk, len < size ? len : size, offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = -1;   /* the file shrank: the client sees a short body */
            break;
        }
        rc = send_all(io, chunk, (size_t)n);
        offset += n;
        len -= (size_t)n;
    }
    free(chunk);
    return rc;
}

static int send_body(mock_io *io, const mock_response *r)
{
    size_t len = r->body_len;
    if (has_body_fault(r) && r->fault_after < len)
        len = r->fault_after;
    if (len == 0)
        return 0;
    return r->body_fd >= 0 ? send_file_body(io, r->body_fd, len) : send_all(io, r->body, len);
}

mock_after_send mock_http_send_response(mock_io *io, const mock_response *resp,
                                        const char *request_id, int keep_alive,
                                        int head_only)
{
    if (mock_io_sleep(io, resp->delay_ms) != 0)
        return MOCK_AFTER_CLOSE;
    switch (resp->fault) {
    case MOCK_FAULT_CLOSE_BEFORE_RESPONSE:
        return MOCK_AFTER_CLOSE;
    case MOCK_FAULT_RESET_BEFORE_RESPONSE:
        return MOCK_AFTER_RESET;
    case MOCK_FAULT_STALL_BEFORE_RESPONSE:
        stall(io, resp->stall_ms);
        return MOCK_AFTER_CLOSE;
    default:
        break;
    }
    char *head = format_head(resp, request_id, keep_alive);
    int rc = head ? send_all(io, head, strlen(head)) : -1;
    free(head);
    if (rc == 0 && !head_only)
        rc = resp->chunked ? send_chunks(io, resp) : send_body(io, resp);
    if (rc != 0)
        return MOCK_AFTER_CLOSE;
    switch (resp->fault) {
    case MOCK_FAULT_RESET:
        return MOCK_AFTER_RESET;
    case MOCK_FAULT_STALL:
        stall(io, resp->stall_ms);
        return MOCK_AFTER_CLOSE;
    case MOCK_FAULT_CLOSE_MID_BODY:
        return MOCK_AFTER_CLOSE;
    default:
        return keep_alive ? MOCK_AFTER_KEEP_ALIVE : MOCK_AFTER_CLOSE;
    }
}
