/*
 * custom_transport.c — bring your own HTTP stack.
 *
 * liboai never does network I/O itself. For each HTTP attempt its engine
 * hands a *transport* one *exchange*: a method, a full URL, the header lines
 * to send and a body. The transport sends it however it likes and reports
 * back the status, the headers, the body bytes and the end (or a failure).
 * Everything else stays in the library and works the same whatever the
 * transport: retries and retry-after, timeouts, streaming and accumulation,
 * error mapping, logging.
 *
 * libcurl is the built-in transport. This file is a whole other one, written
 * only against the public headers <oai.h> and <oai/transport.h>, the way a
 * game engine plugs in its own HTTP module. To stay self-contained it speaks
 * HTTP/1.1 itself, over POSIX non-blocking sockets:
 *
 *   - plain http:// only. TLS is the job of your engine's HTTP stack (Unreal's
 *     FHttpModule, Godot's HTTPClient, a console SDK): this file shows the
 *     shape of the glue, not a TLS implementation. An https:// URL is refused
 *     with a clear message;
 *   - one connection per request ("Connection: close"): no keep-alive, no
 *     proxy, no HTTP/2 (again, your HTTP stack's business);
 *   - responses framed by Content-Length, by chunked transfer coding, or by
 *     the server closing the connection;
 *   - name resolution with getaddrinfo(), which blocks: instant for
 *     127.0.0.1, but a real HTTP module resolves names asynchronously.
 *
 * In an engine, each of the three callbacks maps onto your HTTP module:
 *
 *   transport_start   create the engine's request object, copy the method,
 *                     URL, headers and body into it, and send it
 *                     (Unreal: FHttpModule::Get().CreateRequest(), SetVerb,
 *                     SetURL, SetHeader, SetContent, ProcessRequest;
 *                     Godot: HTTPClient.connect_to_host() then request_raw()).
 *   transport_cancel  abort that request object (Unreal: CancelRequest();
 *                     Godot: HTTPClient.close()).
 *   transport_run     let the module make progress for up to timeout_ms and
 *                     pass on what arrived (Godot: HTTPClient.poll() and
 *                     read_response_body_chunk()). A module that progresses
 *                     on its own (Unreal's is ticked by the engine) needs no
 *                     run callback: report from its completion and progress
 *                     delegates, and drive the client with
 *                     oai_client_poll(client, 0) once per frame.
 *
 * main() then uses the client exactly as with the default transport:
 *
 *   1. a chat completion, with the blocking oai_client_send() (it waits
 *      inside our run callback);
 *   2. a streamed chat: each delta printed as it arrives, then the text the
 *      library accumulated from them;
 *   3. a request started with oai_client_start() and driven from a "frame
 *      loop" with oai_client_poll(client, 0), which never waits. If the
 *      server answers 429 with retry-after-ms, the library waits out the
 *      delay as a timer while the frames go on, then retries;
 *   4. a multipart/form-data file upload, pulled from disk piece by piece
 *      through the transport;
 *   5. a pager over the list of files.
 *
 * Run it against any plain-HTTP OpenAI-compatible server, for example the
 * project's mock server:
 *
 *   oai-mock-server --port 8080 &
 *   ./example_custom_transport http://127.0.0.1:8080/v1
 *
 * (or set OPENAI_BASE_URL instead of the argument; OPENAI_API_KEY is sent as
 * usual). It prints one line per step and exits non-zero, with a message on
 * stderr, when a step fails.
 *
 * The rules of the interface, in short (docs/embedding.md has the long
 * version): every callback runs on the thread that drives the client, inside
 * one of its calls; the host reports on that same thread; an exchange ends
 * with exactly one of complete, fail, a report that returns
 * OAI_ERR_CANCELLED, or the cancel callback, and after that the pointer
 * must never be used again.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <oai.h>
#include <oai/transport.h>

/* A write to a connection the server closed must fail with EPIPE rather than
 * kill the process with SIGPIPE. Where send() has no MSG_NOSIGNAL (macOS),
 * set the SO_NOSIGPIPE socket option instead. */
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* ======================================================================== */
/* Part 1: the transport                                                    */
/* ======================================================================== */

#define MAX_CONNECTIONS 8   /* exchanges in flight at once */
#define IN_BUFFER 32768     /* received bytes not yet parsed; also the
                               largest response head we accept */
#define BODY_PIECE 16384    /* bytes of a pulled request body sent at once */

/* Where a connection is in its exchange. */
typedef enum phase {
    PHASE_CONNECTING, /* a non-blocking connect() is under way */
    PHASE_SENDING,    /* writing the request head, then its body */
    PHASE_HEAD,       /* reading the status line and the headers */
    PHASE_BODY        /* reading the body */
} phase;

/* How the response body ends (RFC 9112, section 6.3). */
typedef enum framing {
    BODY_NONE,       /* no body: HEAD, 204, 304 */
    BODY_LENGTH,     /* after Content-Length bytes */
    BODY_CHUNKED,    /* at the last chunk of Transfer-Encoding: chunked */
    BODY_UNTIL_CLOSE /* neither: when the server closes the connection */
} framing;

/* Where the chunked decoder is. */
typedef enum chunk_phase {
    CHUNK_SIZE,     /* reading "1a2b;ext\r\n" */
    CHUNK_DATA,     /* passing on chunk_left bytes */
    CHUNK_DATA_END, /* the CRLF after the data */
    CHUNK_TRAILER   /* trailer lines, until an empty one */
} chunk_phase;

/* One exchange in flight over one TCP connection. */
typedef struct connection {
    oai_exchange *ex; /* NULL: this slot is free */
    int fd;           /* -1 when closed */
    phase phase;

    /* Connecting: the resolved addresses, tried in turn. */
    struct addrinfo *addrs;
    struct addrinfo *addr;
    long long connect_deadline_ms; /* 0: no connect timeout */

    /* Sending: `out` is what is being written, the head first, then the
     * body: borrowed from the exchange when it is in memory, else pulled
     * into `piece` one piece at a time. */
    char *head;
    const char *out;
    size_t out_len, out_pos;
    int sending_body;
    int64_t body_sent, body_total;
    char piece[BODY_PIECE];

    /* Receiving. */
    int is_head_request;
    framing framing;
    int64_t body_left; /* BODY_LENGTH: bytes still to come */
    chunk_phase chunk;
    int64_t chunk_left;
    char in[IN_BUFFER];
    size_t in_len;
} connection;

/* The transport's state: the userdata of every callback. */
typedef struct host_transport {
    connection conns[MAX_CONNECTIONS];
    int wake_pipe[2]; /* oai_client_wakeup() writes a byte to wake poll() */
} host_transport;

/* The three parts of an http:// URL we need. */
typedef struct url_parts {
    char host[256];      /* without the brackets of an IPv6 literal */
    char port[8];
    char authority[300]; /* host[:port] as written: the Host header */
    const char *target;  /* path and query, "/v1/files?limit=2" */
} url_parts;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- small parsing helpers ------------------------------------------------ */

/* Splits "http://[user@]host[:port]/path?query". Returns 0, or -1 for
 * anything else (https://, a missing host, a host too long). */
static int parse_url(const char *url, url_parts *u)
{
    const char *authority, *end, *host, *host_end, *port = NULL;

    if (strncasecmp(url, "http://", 7) != 0)
        return -1;
    authority = url + 7;
    end = authority + strcspn(authority, "/?#");
    u->target = end;
    for (const char *p = authority; p < end; p++) /* skip "user:password@" */
        if (*p == '@')
            authority = p + 1;
    if ((size_t)(end - authority) >= sizeof u->authority)
        return -1;
    memcpy(u->authority, authority, (size_t)(end - authority));
    u->authority[end - authority] = '\0';

    host = authority;
    if (*host == '[') { /* an IPv6 literal: [::1]:8080 */
        host++;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (!host_end)
            return -1;
        if (host_end + 1 < end && host_end[1] == ':')
            port = host_end + 2;
    } else {
        host_end = memchr(host, ':', (size_t)(end - host));
        if (host_end)
            port = host_end + 1;
        else
            host_end = end;
    }
    if (host_end == host || (size_t)(host_end - host) >= sizeof u->host)
        return -1;
    memcpy(u->host, host, (size_t)(host_end - host));
    u->host[host_end - host] = '\0';
    if (!port || port == end) {
        strcpy(u->port, "80");
    } else if ((size_t)(end - port) < sizeof u->port) {
        memcpy(u->port, port, (size_t)(end - port));
        u->port[end - port] = '\0';
    } else {
        return -1;
    }
    return 0;
}

/* The first "\r\n" in buf[0..len), or NULL. */
static const char *find_crlf(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n')
            return buf + i;
    return NULL;
}

/* The first "\r\n\r\n" (the end of a response head) in buf[0..len), or NULL. */
static const char *find_head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i;
    return NULL;
}

/* Whether the header value (not NUL-terminated) names `token`, e.g.
 * "gzip, chunked" names "chunked". */
static int value_has_token(const char *value, size_t len, const char *token)
{
    size_t n = strlen(token);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(value + i, token, n) == 0)
            return 1;
    return 0;
}

/* A growing string, for the request head. */
typedef struct text {
    char *data;
    size_t len, cap;
} text;

static int text_add(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *data = realloc(t->data, cap);
        if (!data)
            return -1;
        t->data = data;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n + 1);
    t->len += n;
    return 0;
}

/* ---- connections ------------------------------------------------------------ */

/* Releases everything a connection holds and frees its slot. It never calls
 * the library: the caller decides whether the exchange hears about it. */
static void conn_close(connection *c)
{
    if (c->fd >= 0)
        close(c->fd);
    if (c->addrs)
        freeaddrinfo(c->addrs);
    free(c->head);
    c->fd = -1;
    c->addrs = c->addr = NULL;
    c->head = NULL;
    c->ex = NULL;
}

/* Ends the exchange with a failure. The slot is freed *before* the report,
 * because the report runs the library's code, which may start a new exchange
 * (a retry) in a free slot straight away. */
static void conn_fail(connection *c, oai_status status, const char *message)
{
    oai_exchange *ex = c->ex;
    conn_close(c);
    oai_exchange_fail(ex, status, message);
}

/* Ends the exchange: the whole response has arrived. */
static void conn_complete(connection *c)
{
    oai_exchange *ex = c->ex;
    conn_close(c);
    oai_exchange_complete(ex);
}

/* Checks what a report function returned. OAI_OK: go on. Anything else
 * (OAI_ERR_CANCELLED: the library has all it needs, or gave up) means the
 * exchange has ended: drop it without another word (the cancel callback
 * is not called in that case) and return -1. */
static int report_ok(connection *c, oai_status st)
{
    if (st == OAI_OK)
        return 0;
    conn_close(c);
    return -1;
}

/* Builds the request head: the request line, the headers this protocol
 * needs (Host, Connection, Content-Length), then every header the
 * exchange lists, in its order. Those already include Authorization,
 * Content-Type (with the multipart boundary), the retry count and the
 * idempotency key: a transport adds nothing else. */
static char *build_head(oai_exchange *ex, const url_parts *u, int64_t body_len)
{
    const char *method = oai_exchange_method(ex);
    text t = {NULL, 0, 0};
    char length[64];
    int ok = 1;

    ok = ok && text_add(&t, method) == 0 && text_add(&t, " ") == 0;
    if (*u->target != '/') /* "http://host" or "http://host?x=1" */
        ok = ok && text_add(&t, "/") == 0;
    ok = ok && text_add(&t, u->target) == 0 && text_add(&t, " HTTP/1.1\r\nHost: ") == 0 &&
         text_add(&t, u->authority) == 0 && text_add(&t, "\r\nConnection: close\r\n") == 0;
    /* A body announces its length; so does a POST without one. */
    if (body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
        strcmp(method, "PATCH") == 0) {
        snprintf(length, sizeof length, "Content-Length: %lld\r\n", (long long)body_len);
        ok = ok && text_add(&t, length) == 0;
    }
    for (size_t i = 0; ok && i < oai_exchange_header_count(ex); i++)
        ok = text_add(&t, oai_exchange_header_name(ex, i)) == 0 && text_add(&t, ": ") == 0 &&
             text_add(&t, oai_exchange_header_value(ex, i)) == 0 && text_add(&t, "\r\n") == 0;
    ok = ok && text_add(&t, "\r\n") == 0;
    if (!ok) {
        free(t.data);
        return NULL;
    }
    return t.data;
}

/* Starts a non-blocking connect() to the next address that takes one.
 * Returns 0 when one is under way, -1 when every address failed. */
static int connect_next(connection *c)
{
    for (; c->addr; c->addr = c->addr->ai_next) {
        int fd = socket(c->addr->ai_family, c->addr->ai_socktype, c->addr->ai_protocol);
        if (fd < 0)
            continue;
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 &&
            (connect(fd, c->addr->ai_addr, c->addr->ai_addrlen) == 0 || errno == EINPROGRESS)) {
            c->fd = fd;
            c->phase = PHASE_CONNECTING;
            return 0;
        }
        close(fd);
    }
    return -1;
}

/* ---- sending ---------------------------------------------------------------- */

/* Chooses the next bytes to write once `out` is all written. Returns 1 when
 * there are more, 0 when the whole request is out, -1 when the exchange
 * ended (it failed, or the library ended it). */
static int next_output(connection *c)
{
    const char *body = oai_exchange_body(c->ex);
    int64_t n;

    if (c->body_sent == c->body_total)
        return 0;
    c->sending_body = 1;
    c->out_pos = 0;
    if (body) {
        /* A JSON body is in memory: send it from there, no copy. It stays
         * valid until the exchange ends. */
        c->out = body;
        c->out_len = (size_t)c->body_total;
        return 1;
    }
    /* A multipart upload is pulled, one piece at a time, so a 2 GB file is
     * never in memory: the library reads it from disk as we ask. */
    n = oai_exchange_read_body(c->ex, c->piece, sizeof c->piece);
    if (n < 0) {
        conn_fail(c, (oai_status)-n, "cannot read the request body");
        return -1;
    }
    if (n == 0) {
        conn_fail(c, OAI_ERR_IO, "the request body ended before its announced length");
        return -1;
    }
    c->out = c->piece;
    c->out_len = (size_t)n;
    return 1;
}

/* Writes as much of the request as the socket takes. When it is all out,
 * the connection waits for the response. */
static void send_some(connection *c)
{
    for (;;) {
        ssize_t n;
        if (c->out_pos == c->out_len) {
            int more = next_output(c);
            if (more < 0)
                return;
            if (more == 0) {
                c->phase = PHASE_HEAD;
                return;
            }
        }
        n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* the socket is full: poll() says when to go on */
        if (n < 0) {
            conn_fail(c, OAI_ERR_CONNECTION, strerror(errno));
            return;
        }
        c->out_pos += (size_t)n;
        if (c->sending_body) {
            /* Optional, but it keeps the idle timeout quiet during a slow
             * upload, and starts the first-byte timeout when all is sent. */
            c->body_sent += n;
            if (report_ok(c, oai_exchange_report_sent(c->ex, c->body_sent, c->body_total)) != 0)
                return;
        }
    }
}

/* The socket became writable while connecting: the connect() finished. */
static void finish_connect(connection *c)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0) {
        /* This address refused (localhost may be ::1 first while the server
         * listens on 127.0.0.1 only): try the next one. */
        close(c->fd);
        c->fd = -1;
        c->addr = c->addr->ai_next;
        if (connect_next(c) != 0)
            conn_fail(c, OAI_ERR_CONNECTION, strerror(err));
        return;
    }
    freeaddrinfo(c->addrs);
    c->addrs = c->addr = NULL;
    c->phase = PHASE_SENDING;
    send_some(c);
}

/* ---- receiving ---------------------------------------------------------------- */

/* Passes body bytes on. Streamed events reach the caller's callback from
 * inside this report. Returns 0, or -1 when the exchange ended. */
static int deliver(connection *c, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    return report_ok(c, oai_exchange_receive_data(c->ex, data, len));
}

/* Reports the headers of the head in c->in[0..head_len) and decides how
 * the body ends. Returns 0, or -1 when the exchange ended. */
static int report_headers(connection *c, int status, size_t head_len)
{
    const char *line = find_crlf(c->in, head_len) + 2; /* after the status line */
    const char *end = c->in + head_len;
    int chunked = 0, has_length = 0;
    long long length = 0;

    while (line < end) {
        const char *eol = find_crlf(line, (size_t)(end - line));
        const char *colon, *value;
        size_t name_len, value_len;

        if (!eol || eol == line) /* the empty line that ends the head */
            break;
        colon = memchr(line, ':', (size_t)(eol - line));
        if (colon) {
            name_len = (size_t)(colon - line);
            value = colon + 1;
            while (value < eol && (*value == ' ' || *value == '\t'))
                value++;
            value_len = (size_t)(eol - value);
            while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
                value_len--;
            if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
                char digits[32] = "";
                memcpy(digits, value, value_len < sizeof digits - 1 ? value_len : sizeof digits - 1);
                length = strtoll(digits, NULL, 10);
                has_length = length >= 0;
            } else if (name_len == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
                chunked = value_has_token(value, value_len, "chunked");
            }
            if (report_ok(c, oai_exchange_receive_header(c->ex, line, name_len, value, value_len)) != 0)
                return -1;
        }
        line = eol + 2;
    }

    if (c->is_head_request || status == 204 || status == 304) {
        c->framing = BODY_NONE;
    } else if (chunked) {
        c->framing = BODY_CHUNKED;
        c->chunk = CHUNK_SIZE;
    } else if (has_length) {
        c->framing = BODY_LENGTH;
        c->body_left = length;
    } else {
        c->framing = BODY_UNTIL_CLOSE;
    }
    return 0;
}

/* Parses the response head once it is all in c->in. Returns 1 when it was
 * (the body follows), 0 when more bytes are needed, -1 when the exchange
 * ended. */
static int parse_head(connection *c)
{
    for (;;) {
        const char *end = find_head_end(c->in, c->in_len);
        size_t head_len;
        int status;

        if (!end)
            return 0;
        head_len = (size_t)(end - c->in) + 4;
        /* "HTTP/1.1 200 OK" */
        if (head_len < 12 || memcmp(c->in, "HTTP/1.", 7) != 0 || c->in[8] != ' ' ||
            sscanf(c->in + 9, "%3d", &status) != 1 || status < 100) {
            conn_fail(c, OAI_ERR_PROTOCOL, "the server's answer is not HTTP/1.x");
            return -1;
        }
        if (status < 200) {
            /* An interim answer (100 Continue, 103 Early Hints): skip it,
             * the final one follows. */
            memmove(c->in, c->in + head_len, c->in_len - head_len);
            c->in_len -= head_len;
            continue;
        }
        if (report_ok(c, oai_exchange_receive_status(c->ex, status)) != 0 ||
            report_headers(c, status, head_len) != 0)
            return -1;
        memmove(c->in, c->in + head_len, c->in_len - head_len);
        c->in_len -= head_len;
        c->phase = PHASE_BODY;
        return 1;
    }
}

/* Decodes Transfer-Encoding: chunked from c->in, passing the data on.
 * Returns 0 when it needs more bytes, -1 when the exchange ended (the last
 * chunk arrived, or it failed). */
static int parse_chunked(connection *c)
{
    size_t pos = 0;
    int rc = 0;

    while (rc == 0) {
        const char *buf = c->in + pos;
        size_t avail = c->in_len - pos;
        const char *eol;

        if (c->chunk == CHUNK_DATA) {
            size_t n = avail < (uint64_t)c->chunk_left ? avail : (size_t)c->chunk_left;
            if (n == 0)
                break;
            if (deliver(c, buf, n) != 0)
                return -1;
            pos += n;
            c->chunk_left -= (int64_t)n;
            if (c->chunk_left == 0)
                c->chunk = CHUNK_DATA_END;
            continue;
        }
        if (c->chunk == CHUNK_DATA_END) {
            if (avail < 2)
                break;
            if (buf[0] != '\r' || buf[1] != '\n') {
                conn_fail(c, OAI_ERR_PROTOCOL, "malformed chunked body");
                return -1;
            }
            pos += 2;
            c->chunk = CHUNK_SIZE;
            continue;
        }
        eol = find_crlf(buf, avail); /* a size line or a trailer line */
        if (!eol)
            break;
        pos += (size_t)(eol - buf) + 2;
        if (c->chunk == CHUNK_SIZE) {
            char *digits_end;
            c->chunk_left = (int64_t)strtoll(buf, &digits_end, 16); /* "1a2b;ext" */
            if (digits_end == buf || c->chunk_left < 0) {
                conn_fail(c, OAI_ERR_PROTOCOL, "malformed chunk size");
                return -1;
            }
            c->chunk = c->chunk_left == 0 ? CHUNK_TRAILER : CHUNK_DATA;
        } else if (eol == buf) { /* the empty line after the trailers */
            conn_complete(c);
            rc = -1;
        }
    }
    if (rc == 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    return rc;
}

/* Passes on the body bytes in c->in. Returns 0 to go on reading, -1 when
 * the exchange ended. */
static int parse_body(connection *c)
{
    size_t n = c->in_len;

    switch (c->framing) {
    case BODY_NONE:
        conn_complete(c);
        return -1;
    case BODY_CHUNKED:
        return parse_chunked(c);
    case BODY_LENGTH:
        if ((uint64_t)n > (uint64_t)c->body_left)
            n = (size_t)c->body_left; /* ignore anything after the body */
        if (deliver(c, c->in, n) != 0)
            return -1;
        c->body_left -= (int64_t)n;
        c->in_len = 0;
        if (c->body_left == 0) {
            conn_complete(c);
            return -1;
        }
        return 0;
    case BODY_UNTIL_CLOSE:
    default:
        if (deliver(c, c->in, n) != 0)
            return -1;
        c->in_len = 0;
        return 0;
    }
}

/* The server closed the connection. */
static void on_end_of_stream(connection *c)
{
    if (c->phase == PHASE_BODY && c->framing == BODY_UNTIL_CLOSE)
        conn_complete(c); /* that is how such a body ends */
    else if (c->phase == PHASE_HEAD && c->in_len == 0)
        conn_fail(c, OAI_ERR_CONNECTION, "the server closed the connection without answering");
    else
        conn_fail(c, OAI_ERR_CONNECTION, "the server closed the connection before the response ended");
}

/* Reads what the socket has and reports it. */
static void receive_some(connection *c)
{
    for (;;) {
        ssize_t n;
        if (c->in_len == sizeof c->in) {
            /* Only a head (or a chunk-size line) can fill the buffer: the
             * body is passed on as it comes. */
            conn_fail(c, OAI_ERR_TOO_LARGE, "the response head is too large");
            return;
        }
        n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* nothing more for now */
        if (n < 0) {
            conn_fail(c, OAI_ERR_CONNECTION, strerror(errno));
            return;
        }
        if (n == 0) {
            on_end_of_stream(c);
            return;
        }
        c->in_len += (size_t)n;
        if (c->phase == PHASE_HEAD) {
            int parsed = parse_head(c);
            if (parsed < 0)
                return;
            if (parsed == 0)
                continue;
        }
        if (parse_body(c) != 0)
            return;
    }
}

/* ---- the callbacks ---------------------------------------------------------------- */

/*
 * start: the library wants one HTTP request sent. Read what to send from the
 * exchange, start sending, and return 0; the answer comes later, from
 * transport_run(). Here, a failure to even begin (an https:// URL, a name
 * that does not resolve) is reported with oai_exchange_fail(), which ends
 * the exchange at once with our message; returning an oai_status instead
 * would do the same with a generic one. Either way the retry policy
 * decides what happens next (connection failures are retried).
 */
static int transport_start(void *userdata, oai_exchange *ex)
{
    host_transport *t = userdata;
    connection *c = NULL;
    struct addrinfo hints;
    url_parts url;
    int64_t connect_timeout_ms;

    for (int i = 0; i < MAX_CONNECTIONS && !c; i++)
        if (!t->conns[i].ex)
            c = &t->conns[i];
    if (!c) {
        oai_exchange_fail(ex, OAI_ERR_CONNECTION, "too many requests in flight");
        return 0;
    }
    if (parse_url(oai_exchange_url(ex), &url) != 0) {
        oai_exchange_fail(ex, OAI_ERR_INVALID_ARGUMENT,
                          "this transport speaks plain http:// only: TLS is the job of "
                          "your engine's HTTP stack");
        return 0;
    }

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    memset(c, 0, sizeof *c);
    c->fd = -1;
    if (getaddrinfo(url.host, url.port, &hints, &c->addrs) != 0) {
        c->addrs = NULL;
        oai_exchange_fail(ex, OAI_ERR_CONNECTION, "cannot resolve the server's name");
        return 0;
    }
    c->ex = ex;
    c->addr = c->addrs;
    c->body_total = oai_exchange_body_length(ex);
    c->is_head_request = strcmp(oai_exchange_method(ex), "HEAD") == 0;
    c->head = build_head(ex, &url, c->body_total);
    if (!c->head) {
        conn_fail(c, OAI_ERR_OUT_OF_MEMORY, NULL);
        return 0;
    }
    c->out = c->head;
    c->out_len = strlen(c->head);

    /* The connect timeout is the transport's to enforce (0: our default);
     * the library keeps every other timeout itself. */
    connect_timeout_ms = oai_exchange_connect_timeout_ms(ex);
    c->connect_deadline_ms = now_ms() + (connect_timeout_ms > 0 ? connect_timeout_ms : 10000);
    if (connect_next(c) != 0) {
        conn_fail(c, OAI_ERR_CONNECTION, "cannot connect to the server");
        return 0;
    }

    /* Remember which connection carries the exchange, for transport_cancel. */
    oai_exchange_set_host_data(ex, c);
    return 0;
}

/*
 * cancel: the library no longer wants this exchange (the caller cancelled,
 * a timeout fired, the client is being freed). Stop it and forget it. No
 * oai_exchange_*() report may follow: after this returns, `ex` is gone.
 */
static void transport_cancel(void *userdata, oai_exchange *ex)
{
    connection *c = oai_exchange_host_data(ex);
    (void)userdata;
    if (c && c->ex == ex)
        conn_close(c);
}

/*
 * run: wait at most timeout_ms for any of our sockets (0: just look;
 * negative: until something happens or a wakeup), then report whatever
 * arrived. oai_client_send() and oai_client_poll() call it whenever they
 * would wait: this is where all of this transport's I/O happens. The
 * library computes timeout_ms from its own timers (a retry's delay, the
 * request's timeouts), so returning when it expires is enough.
 */
static int transport_run(void *userdata, int timeout_ms)
{
    host_transport *t = userdata;
    struct pollfd fds[MAX_CONNECTIONS + 1];
    connection *owner[MAX_CONNECTIONS + 1];
    nfds_t n = 0;
    long long now = now_ms();

    fds[n].fd = t->wake_pipe[0];
    fds[n].events = POLLIN;
    owner[n++] = NULL;
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        connection *c = &t->conns[i];
        if (!c->ex)
            continue;
        fds[n].fd = c->fd;
        fds[n].events = c->phase == PHASE_CONNECTING || c->phase == PHASE_SENDING ? POLLOUT : POLLIN;
        owner[n++] = c;
        /* Wake up in time to enforce a connect timeout. */
        if (c->phase == PHASE_CONNECTING) {
            long long left = c->connect_deadline_ms - now;
            if (left < 0)
                left = 0;
            if (timeout_ms < 0 || left < timeout_ms)
                timeout_ms = (int)left;
        }
    }

    if (poll(fds, n, timeout_ms) < 0) {
        if (errno == EINTR) /* a signal: returning early is fine */
            return 0;
        return OAI_ERR_CONNECTION; /* the waiting library call returns it */
    }

    if (fds[0].revents & POLLIN) { /* oai_client_wakeup(): drain the pipe */
        char drain[64];
        while (read(t->wake_pipe[0], drain, sizeof drain) > 0)
            ;
    }
    for (nfds_t i = 1; i < n; i++) {
        connection *c = owner[i];
        /* Reporting on one connection runs the library's code, which may
         * end or start other exchanges: skip a slot that changed hands.
         * A spurious wakeup is harmless, since every socket is
         * non-blocking. */
        if (!c->ex || c->fd != fds[i].fd || fds[i].revents == 0)
            continue;
        if (c->phase == PHASE_CONNECTING)
            finish_connect(c);
        else if (c->phase == PHASE_SENDING)
            send_some(c);
        else
            receive_some(c);
    }

    now = now_ms();
    for (int i = 0; i < MAX_CONNECTIONS; i++) {
        connection *c = &t->conns[i];
        if (c->ex && c->phase == PHASE_CONNECTING && now >= c->connect_deadline_ms)
            conn_fail(c, OAI_ERR_TIMEOUT, "connect timeout");
    }
    return 0;
}

/*
 * wakeup: make a running (or the next) transport_run return early. The one
 * callback called from another thread (oai_client_wakeup()), so it only
 * writes a byte to a pipe that poll() watches. A full pipe already holds a
 * wakeup, so a failed write is fine.
 */
static void transport_wakeup(void *userdata)
{
    host_transport *t = userdata;
    ssize_t ignored = write(t->wake_pipe[1], "x", 1);
    (void)ignored;
}

/* free: the client is being freed, after every exchange ended. */
static void transport_free(void *userdata)
{
    host_transport *t = userdata;
    for (int i = 0; i < MAX_CONNECTIONS; i++)
        if (t->conns[i].ex)
            conn_close(&t->conns[i]);
    close(t->wake_pipe[0]);
    close(t->wake_pipe[1]);
    free(t);
}

/* Creates the transport; give it to a client with oai_client_set_transport(),
 * which then owns it (and calls transport_free() with the client). */
static oai_transport *host_transport_new(void)
{
    host_transport *t = calloc(1, sizeof *t);
    oai_transport *transport;

    if (!t)
        return NULL;
    if (pipe(t->wake_pipe) != 0) {
        free(t);
        return NULL;
    }
    for (int i = 0; i < 2; i++)
        fcntl(t->wake_pipe[i], F_SETFL, fcntl(t->wake_pipe[i], F_GETFL) | O_NONBLOCK);
    for (int i = 0; i < MAX_CONNECTIONS; i++)
        t->conns[i].fd = -1;

    transport = oai_transport_new(transport_start, transport_cancel, t);
    if (!transport) {
        transport_free(t);
        return NULL;
    }
    oai_transport_set_run(transport, transport_run);
    oai_transport_set_wakeup(transport, transport_wakeup);
    oai_transport_set_free(transport, transport_free);
    return transport;
}

/* ======================================================================== */
/* Part 2: using the client, as with any transport                          */
/* ======================================================================== */

/* Says why a step failed, on stderr. Returns 1, for main()'s exit status. */
static int report_failure(const char *step, const oai_response *res)
{
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);
    fprintf(stderr, "custom_transport: %s failed: %s: %s (request %s)\n", step,
            oai_status_name(oai_response_status(res)),
            message ? message : oai_status_message(oai_response_status(res)),
            request_id ? request_id : "-");
    return 1;
}

static int setup_failure(const char *step)
{
    fprintf(stderr, "custom_transport: %s: cannot set up the request\n", step);
    return 1;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Called before each retry, whichever step it happens in. */
static int on_retry(void *userdata, int retry, int64_t delay_ms, int reason, int http_status)
{
    (void)userdata;
    printf("   retry %d in %lld ms after %s (HTTP %d)\n", retry, (long long)delay_ms,
           oai_status_name((oai_status)reason), http_status);
    return 0; /* go ahead */
}

/* 1. A chat completion. oai_client_send() blocks: it waits in our
 *    transport_run() until the exchange completes. */
static int chat_completion(oai_client *client)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_response *res;
    int failed;

    if (!req || oai_chat_request_add_message(req, "user", "Say hello.") != OAI_OK) {
        oai_request_free(req);
        return setup_failure("chat completion");
    }
    res = oai_client_send(client, req);
    failed = oai_response_status(res) != OAI_OK;
    if (failed)
        report_failure("chat completion", res);
    else
        printf("1. chat: %s\n", or_empty(oai_response_text(res)));
    oai_response_free(res);
    oai_request_free(req);
    return failed;
}

/* Each streamed piece of text, as it arrives: from inside our
 * oai_exchange_receive_data() report, in transport_run(). */
static int print_delta(void *userdata, const oai_event *ev)
{
    (void)userdata;
    if (oai_event_type_of(ev) == OAI_EVENT_TEXT) {
        printf("[%.*s]", (int)oai_event_text_len(ev), or_empty(oai_event_text(ev)));
        fflush(stdout);
    }
    return 0; /* non-zero would cancel the call */
}

/* 2. A streamed chat: the deltas, then the text accumulated from them. */
static int streamed_chat(oai_client *client)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    oai_response *res;
    int failed;

    if (!req || oai_chat_request_add_message(req, "user", "Count to five.") != OAI_OK ||
        oai_request_set_event_callback(req, print_delta, NULL) != OAI_OK) {
        oai_request_free(req);
        return setup_failure("streamed chat");
    }
    printf("2. stream deltas: ");
    res = oai_client_send(client, req);
    printf("\n");
    failed = oai_response_status(res) != OAI_OK;
    if (failed)
        report_failure("streamed chat", res);
    else
        printf("2. stream text: %s\n", or_empty(oai_response_text(res)));
    oai_response_free(res);
    oai_request_free(req);
    return failed;
}

/* What the frame loop learns when its call ends. */
typedef struct frame_call {
    int done;
    oai_response *res;
} frame_call;

/* Runs inside oai_client_poll(), on the frame loop's thread. */
static void on_frame_call_done(void *userdata, oai_call *call, oai_response *res)
{
    frame_call *fc = userdata;
    fc->done = 1;
    fc->res = res;       /* ours to free */
    oai_call_free(call); /* so is the call; freeing it here is allowed */
}

/* Stands for a game's rendering: about one 60 Hz frame. */
static void draw_frame(void)
{
    struct timespec frame = {0, 16 * 1000000L};
    nanosleep(&frame, NULL);
}

/* 3. A call driven from a frame loop: oai_client_poll(client, 0) once per
 *    frame never waits. If the server answers 429 with retry-after-ms, the
 *    library turns the delay into a timer and the frames go on meanwhile;
 *    on the frame after it expires, the retry goes out. The Responses API
 *    here, so that a test can script the 429 for this step alone. */
static int frame_loop_call(oai_client *client)
{
    oai_request *req = oai_response_create_request_new("gpt-4o-mini", "Are you still there?");
    frame_call fc = {0, NULL};
    int frames = 0, failed;

    if (!req || !oai_client_start(client, req, on_frame_call_done, &fc)) {
        oai_request_free(req);
        return setup_failure("frame loop call");
    }
    oai_request_free(req); /* the call has its own copy */

    while (!fc.done) {
        int running = oai_client_poll(client, 0); /* does what is ready; never waits */
        if (running < 0) {
            fprintf(stderr, "custom_transport: oai_client_poll failed: %s\n",
                    oai_status_name((oai_status)-running));
            return 1; /* oai_client_free() aborts the call */
        }
        draw_frame();
        frames++;
    }

    failed = oai_response_status(fc.res) != OAI_OK;
    if (failed)
        report_failure("frame loop call", fc.res);
    else
        printf("3. frame loop: %s (retries: %d, frames: %d)\n", or_empty(oai_response_text(fc.res)),
               oai_response_retry_count(fc.res), frames);
    oai_response_free(fc.res);
    return failed;
}

/* Two lines of chat-format training data. */
static const char training_jsonl[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"},"
    "{\"role\":\"assistant\",\"content\":\"Hi! How can I help?\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Bye\"},"
    "{\"role\":\"assistant\",\"content\":\"Goodbye!\"}]}\n";

/* Writes training_jsonl to DIR/train.jsonl in a new temporary directory. */
static int write_training_file(char *dir, size_t dir_size, char *path, size_t path_size)
{
    const char *tmp = getenv("TMPDIR");
    FILE *f;
    int ok;

    snprintf(dir, dir_size, "%s/oai-example-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, path_size, "%s/train.jsonl", dir);
    f = fopen(path, "w");
    if (!f) {
        rmdir(dir);
        return -1;
    }
    ok = fputs(training_jsonl, f) >= 0;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        remove(path);
        rmdir(dir);
        return -1;
    }
    return 0;
}

/* 4. A multipart/form-data upload of a file. The library encodes the body
 *    and reads the file as our transport pulls it (oai_exchange_read_body). */
static int upload_file(oai_client *client)
{
    char dir[512], path[600];
    oai_request *req;
    oai_response *res;
    int failed;

    if (write_training_file(dir, sizeof dir, path, sizeof path) != 0) {
        fprintf(stderr, "custom_transport: cannot write a temporary file\n");
        return 1;
    }
    req = oai_file_create_request_new(path, "fine-tune");
    if (oai_request_status(req) != OAI_OK) {
        oai_request_free(req);
        remove(path);
        rmdir(dir);
        return setup_failure("file upload");
    }
    res = oai_client_send(client, req);
    failed = oai_response_status(res) != OAI_OK;
    if (failed)
        report_failure("file upload", res);
    else
        printf("4. upload: %s (%s, %lld bytes)\n", or_empty(oai_response_get_string(res, "/id")),
               or_empty(oai_response_get_string(res, "/filename")),
               (long long)oai_response_get_int(res, "/bytes"));
    oai_response_free(res);
    oai_request_free(req);
    remove(path);
    rmdir(dir);
    return failed;
}

/* 5. Every file, page by page: the pager sends each page's request through
 *    oai_client_send(), so through our transport too. */
static int list_files(oai_client *client)
{
    oai_request *req = oai_file_list_request_new();
    oai_pager *pager = NULL;
    const oai_value *item = NULL;
    oai_status st;
    int count = 0;

    if (req && oai_request_set_query(req, "limit", "2") == OAI_OK) /* 2 per page */
        pager = oai_pager_new(client, req);
    oai_request_free(req); /* the pager has its own copy */
    if (!pager)
        return setup_failure("file list");

    while ((st = oai_pager_next(pager, &item)) == OAI_OK && item) {
        printf("5. file: %s (%s)\n", or_empty(oai_value_get_string(item, "/id")),
               or_empty(oai_value_get_string(item, "/filename")));
        count++;
    }
    if (st != OAI_OK)
        report_failure("file list", oai_pager_response(pager));
    else
        printf("5. files listed: %d\n", count);
    oai_pager_free(pager);
    return st != OAI_OK;
}

int main(int argc, char **argv)
{
    const char *base_url = argc > 1 ? argv[1] : getenv("OPENAI_BASE_URL");
    oai_client *client;
    oai_transport *transport;
    int failed;

    if (!base_url || !*base_url) {
        fprintf(stderr, "usage: %s http://HOST:PORT/v1 (or set OPENAI_BASE_URL)\n", argv[0]);
        return 2;
    }

    /* A client as usual (OPENAI_API_KEY is read here)... */
    client = oai_client_new();
    if (!client) {
        fprintf(stderr, "custom_transport: cannot create the client\n");
        return 1;
    }
    if (oai_client_set_base_url(client, base_url) != OAI_OK) {
        fprintf(stderr, "custom_transport: not a valid base URL: %s\n", base_url);
        oai_client_free(client);
        return 1;
    }
    /* ...that sends through our transport. Set it before the first call;
     * the client owns it from here on, even when this fails. */
    transport = host_transport_new();
    if (!transport || oai_client_set_transport(client, transport) != OAI_OK) {
        fprintf(stderr, "custom_transport: cannot set up the transport\n");
        oai_client_free(client);
        return 1;
    }
    oai_client_set_retry_callback(client, on_retry, NULL);

    failed = chat_completion(client) || streamed_chat(client) || frame_loop_call(client) ||
             upload_file(client) || list_files(client);

    oai_client_free(client); /* frees the transport too: transport_free() */
    return failed;
}
