/* The libcurl transport: the one file of the library that includes
 * <curl/curl.h>.
 *
 * One multi handle per transport owns the connection pool, so connections
 * are kept alive and reused across transfers (and multiplexed over HTTP/2
 * when a server offers it). Every transfer gets its own easy handle. A share
 * handle adds TLS session resumption across the transport's transfers.
 *
 * curl forbids removing or adding easy handles from inside its callbacks,
 * while the engine aborts transfers (cancellation, size limits) from inside
 * them. So while curl is running (`in_curl`), abort() only marks the transfer;
 * its callbacks then refuse to go on and it is torn down, without on_done,
 * once curl has returned. Transfers started during that time are added to
 * the multi handle afterwards.
 *
 * An event loop may drive the transport instead of run(): with
 * set_event_callbacks() the multi handle reports its sockets and timer
 * (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), which we forward, and
 * socket_action() runs curl_multi_socket_action() under the same `in_curl`
 * rule. We remember the sockets reported as watched, so that destroy() can
 * tell the loop to forget the ones curl never removed (idle pooled
 * connections).
 *
 * Multipart bodies stream from the caller's memory or from disk through read
 * callbacks: nothing is copied and no file is read whole into memory.
 */
#include "transport/transport.h"

#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#if LIBCURL_VERSION_NUM < 0x074400
#error "libcurl 7.68.0 or later is required (curl_multi_poll, curl_multi_wakeup)"
#endif

/* What a write callback returns to make curl stop the transfer. */
#ifdef CURL_WRITEFUNC_ERROR
#define WRITE_ABORT CURL_WRITEFUNC_ERROR
#else
#define WRITE_ABORT 0
#endif

/* Where the header callback is within the response's header blocks. */
typedef enum header_state {
    HEADERS_AWAIT_STATUS = 0, /* the next line is a status line */
    HEADERS_INTERIM,          /* inside a 1xx block: ignored */
    HEADERS_FINAL,            /* inside the final block: delivered */
    HEADERS_DONE              /* past the final block (trailers are ignored) */
} header_state;

/* The body of one multipart DATA or FILE part, read on demand. */
typedef struct part_source {
    oai__transfer *owner;
    const char *mem; /* DATA: the caller's bytes */
    int fd;          /* FILE: an open descriptor, or -1 */
    int64_t start;   /* FILE: offset of the part's first byte */
    int64_t size;    /* bytes the part sends */
    int64_t pos;     /* bytes already handed to curl */
} part_source;

typedef struct curl_transport curl_transport;

struct oai__transfer {
    curl_transport *owner;
    oai__transfer *prev, *next; /* the transport's live transfers */
    CURL *easy;
    curl_mime *mime;
    struct curl_slist *headers;
    part_source *sources;
    size_t source_count;
    oai__transfer_events ev;
    void *ud;
    int added;     /* in the multi handle */
    int aborted;   /* abort() ran while curl was busy: tear down later */
    int cancelled; /* one of our callbacks returned non-zero */
    int io_errno;  /* reading a multipart file failed (an errno value) */
    int http_url;  /* the URL is http:// or https:// */
    header_state headers_at;
    char errbuf[CURL_ERROR_SIZE];
};

struct curl_transport {
    oai__transport base; /* first: the oai__transport handed out */
    CURLM *multi;
    CURLSH *share;
    oai__transfer *first;
    int in_curl;           /* curl is running and may call our callbacks */
    unsigned long dispatched; /* callbacks delivered to the engine so far */
    /* Event-loop driving (set_event_callbacks). */
    oai__transport_socket_fn socket_fn;
    oai__transport_timer_fn timer_fn;
    void *event_ud;
    curl_socket_t *watched;    /* sockets reported and not yet removed */
    size_t watched_count, watched_cap;
};

/* ------------------------------------------------------------------------ */
/* Global initialisation                                                     */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;

static void global_init_once(void)
{
    global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Runs curl_global_init() exactly once per process. */
oai_status oai__transport_global_init(void)
{
    if (pthread_once(&global_once, global_init_once) != 0)
        return OAI_ERR_CONNECTION;
    if (global_result == CURLE_OK)
        return OAI_OK;
    return global_result == CURLE_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY
                                                : OAI_ERR_CONNECTION;
}

/* ------------------------------------------------------------------------ */
/* Result mapping                                                            */

static int is_tls_failure(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
    case CURLE_SSL_CLIENTCERT:
#endif
        return 1;
    default:
        return 0;
    }
}

/* The failure class of a curl result; network errors and anything unknown
 * count as connection errors (the engine may retry those). */
static oai_status status_from_curl_code(CURLcode rc)
{
    if (is_tls_failure(rc))
        return OAI_ERR_TLS;
    switch (rc) {
    case CURLE_OK:
        return OAI_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return OAI_ERR_TIMEOUT;
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR:
        return OAI_ERR_CANCELLED;
    case CURLE_READ_ERROR:
    case CURLE_FILE_COULDNT_READ_FILE:
        return OAI_ERR_IO;
    case CURLE_OUT_OF_MEMORY:
        return OAI_ERR_OUT_OF_MEMORY;
    case CURLE_UNSUPPORTED_PROTOCOL: /* see transfer_outcome() */
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
        return OAI_ERR_INVALID_ARGUMENT;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP_RETURNED_ERROR:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_RANGE_ERROR:
        return OAI_ERR_PROTOCOL;
    default:
        return OAI_ERR_CONNECTION;
    }
}

static oai_status status_from_multi_code(CURLMcode rc)
{
    if (rc == CURLM_OK)
        return OAI_OK;
    return rc == CURLM_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_CONNECTION;
}

/* The outcome of a finished transfer: our own callbacks' verdicts come
 * before curl's code, which only says that some callback stopped it. */
static oai_status transfer_outcome(const oai__transfer *x, CURLcode rc,
                                   char *msg, size_t cap)
{
    size_t n;
    if (x->cancelled) {
        snprintf(msg, cap, "cancelled by a callback");
        return OAI_ERR_CANCELLED;
    }
    if (x->io_errno) {
        snprintf(msg, cap, "reading a multipart file failed: %s",
                 strerror(x->io_errno));
        return OAI_ERR_IO;
    }
    /* curl's texts name hosts and options, never request headers. */
    n = strlen(x->errbuf);
    while (n > 0 && (x->errbuf[n - 1] == '\n' || x->errbuf[n - 1] == '\r'))
        n--;
    /* curl before 8.6 reports a response header line over its 100 KiB
     * limit as running out of memory, with no message: the server's doing.
     * Inside a header block curl allocates only to store header lines, so
     * "out of memory" there is taken for that limit (a real allocation
     * failure at that point reads the same, and curl cannot tell them
     * apart). */
    if (rc == CURLE_OUT_OF_MEMORY &&
        (x->headers_at == HEADERS_FINAL || x->headers_at == HEADERS_INTERIM)) {
        snprintf(msg, cap, "a response header line is larger than libcurl accepts (100 KiB)%s%.*s",
                 n ? ": " : "", (int)n, x->errbuf);
        return OAI_ERR_TOO_LARGE;
    }
    /* For an http(s) URL this is curl refusing what the server sent
     * ("Received HTTP/0.9 when not allowed"), not the caller's URL. */
    if (rc == CURLE_UNSUPPORTED_PROTOCOL && x->http_url) {
        snprintf(msg, cap, "the server's reply is not HTTP/1.x or HTTP/2%s%.*s", n ? ": " : "", (int)n, x->errbuf);
        return OAI_ERR_PROTOCOL;
    }
    if (n > 0)
        snprintf(msg, cap, "%s: %.*s", curl_easy_strerror(rc), (int)n, x->errbuf);
    else
        snprintf(msg, cap, "%s", curl_easy_strerror(rc));
    return status_from_curl_code(rc);
}

/* ------------------------------------------------------------------------ */
/* Response callbacks                                                        */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*s)[*len - 1]))
        (*len)--;
}

/* "HTTP/1.1 200 OK", "HTTP/2 200": the status code, or -1. */
static int parse_status_line(const char *line, size_t len)
{
    size_t i = 5;
    int code = 0, digits = 0;
    if (len < 5 || memcmp(line, "HTTP/", 5) != 0)
        return -1;
    while (i < len && line[i] != ' ')
        i++;
    while (i < len && line[i] == ' ')
        i++;
    for (; i < len && digits < 3 && line[i] >= '0' && line[i] <= '9'; i++, digits++)
        code = code * 10 + (line[i] - '0');
    return digits == 3 ? code : -1;
}

/* Passes "Name: value" to on_header; returns its verdict. */
static int deliver_header(oai__transfer *x, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    const char *name = line, *value;
    size_t name_len, value_len;
    if (!colon || !x->ev.on_header)
        return 0; /* not a header (e.g. obsolete line folding) */
    name_len = (size_t)(colon - line);
    value = colon + 1;
    value_len = len - name_len - 1;
    trim(&name, &name_len);
    trim(&value, &value_len);
    if (name_len == 0)
        return 0;
    x->owner->dispatched++;
    return x->ev.on_header(x->ud, name, name_len, value, value_len);
}

/* Steps through status lines, header lines and the blank lines between
 * header blocks; only the final (non-1xx) block reaches the engine. */
static int handle_header_line(oai__transfer *x, const char *line, size_t len)
{
    int status;
    trim(&line, &len);
    if (len == 0) {
        if (x->headers_at == HEADERS_FINAL)
            x->headers_at = HEADERS_DONE;
        else if (x->headers_at == HEADERS_INTERIM)
            x->headers_at = HEADERS_AWAIT_STATUS;
        return 0;
    }
    if (x->headers_at == HEADERS_FINAL)
        return deliver_header(x, line, len);
    if (x->headers_at != HEADERS_AWAIT_STATUS)
        return 0;
    status = parse_status_line(line, len);
    if (status < 0)
        return 0;
    if (status < 200) {
        x->headers_at = HEADERS_INTERIM;
        return 0;
    }
    x->headers_at = HEADERS_FINAL;
    if (!x->ev.on_status)
        return 0;
    x->owner->dispatched++;
    return x->ev.on_status(x->ud, status);
}

/* A non-zero verdict from the engine stops the transfer as cancelled; an
 * abort() made inside the callback stops it silently. Returns 1 to stop. */
static int must_stop(oai__transfer *x, int verdict)
{
    if (x->aborted)
        return 1;
    if (verdict != 0) {
        x->cancelled = 1;
        return 1;
    }
    return 0;
}

static size_t on_curl_header(char *buf, size_t size, size_t count, void *arg)
{
    oai__transfer *x = arg;
    size_t len = size * count;
    if (x->aborted)
        return 0;
    if (must_stop(x, handle_header_line(x, buf, len)))
        return 0;
    return len;
}

static size_t on_curl_write(char *buf, size_t size, size_t count, void *arg)
{
    oai__transfer *x = arg;
    size_t len = size * count;
    int verdict = 0;
    if (x->aborted)
        return WRITE_ABORT;
    if (x->ev.on_data && len > 0) {
        x->owner->dispatched++;
        verdict = x->ev.on_data(x->ud, buf, len);
    }
    return must_stop(x, verdict) ? WRITE_ABORT : len;
}

static int on_curl_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
                            curl_off_t ultotal, curl_off_t ulnow)
{
    oai__transfer *x = arg;
    int verdict;
    if (x->aborted)
        return 1;
    /* Progress alone is not counted in `dispatched`: curl reports it on
     * every round, which is no reason for run() to skip its wait. A stop is:
     * the engine has news to act on, and nothing else may wake the wait. */
    verdict = x->ev.on_progress(x->ud, (int64_t)ulnow, (int64_t)ultotal,
                                (int64_t)dlnow, (int64_t)dltotal);
    if (must_stop(x, verdict)) {
        x->owner->dispatched++;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Multipart part sources                                                    */

static ssize_t read_file_at(int fd, char *buf, size_t len, int64_t at)
{
    ssize_t got;
    do
        got = pread(fd, buf, len, (off_t)at);
    while (got < 0 && errno == EINTR);
    return got;
}

static size_t on_part_read(char *buf, size_t size, size_t count, void *arg)
{
    part_source *s = arg;
    size_t want = size * count;
    ssize_t got;
    if (s->owner->aborted)
        return CURL_READFUNC_ABORT;
    if ((int64_t)want > s->size - s->pos)
        want = (size_t)(s->size - s->pos);
    if (want == 0)
        return 0;
    if (s->mem) {
        memcpy(buf, s->mem + s->pos, want);
        s->pos += (int64_t)want;
        return want;
    }
    got = read_file_at(s->fd, buf, want, s->start + s->pos);
    if (got <= 0) { /* 0: the file shrank since the transfer started */
        s->owner->io_errno = got < 0 ? errno : EIO;
        return CURL_READFUNC_ABORT;
    }
    s->pos += got;
    return (size_t)got;
}

/* curl rewinds a part when it must send the body again, e.g. when a reused
 * connection turned out to be closed or the server refused to continue. */
static int on_part_seek(void *arg, curl_off_t offset, int origin)
{
    part_source *s = arg;
    int64_t base = origin == SEEK_SET ? 0 : origin == SEEK_CUR ? s->pos : s->size;
    int64_t target = base + (int64_t)offset;
    if (target < 0 || target > s->size)
        return CURL_SEEKFUNC_FAIL;
    s->pos = target;
    return CURL_SEEKFUNC_OK;
}

/* Opens a FILE part and works out how many bytes it sends. */
static oai_status open_file_source(part_source *s, const oai__http_part *p)
{
    struct stat st;
    int64_t available;
    if (!p->path || p->offset < 0)
        return OAI_ERR_INVALID_ARGUMENT;
    s->fd = open(p->path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0)
        return errno == ENOMEM ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_IO;
    /* Only a regular file has a size to announce and can be re-read. */
    if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return OAI_ERR_IO;
    available = (int64_t)st.st_size - p->offset;
    if (available < 0 || (p->length >= 0 && p->length > available))
        return OAI_ERR_IO;
    s->start = p->offset;
    s->size = p->length >= 0 ? p->length : available;
    return OAI_OK;
}

static oai_status mime_result(CURLcode rc)
{
    if (rc == CURLE_OK)
        return OAI_OK;
    return rc == CURLE_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_INVALID_ARGUMENT;
}

/* A DATA or FILE part: streamed through on_part_read. */
static oai_status add_streamed_part(curl_mimepart *mp, part_source *s,
                                    const oai__http_part *p)
{
    oai_status st = OAI_OK;
    if (p->kind == OAI_PART_DATA) {
        if (!p->data && p->len > 0)
            return OAI_ERR_INVALID_ARGUMENT;
        s->mem = p->data ? p->data : "";
        s->size = (int64_t)p->len;
    } else {
        st = open_file_source(s, p);
    }
    if (st == OAI_OK)
        st = mime_result(curl_mime_data_cb(mp, (curl_off_t)s->size, on_part_read,
                                           on_part_seek, NULL, s));
    if (st == OAI_OK && p->filename)
        st = mime_result(curl_mime_filename(mp, p->filename));
    if (st == OAI_OK)
        st = mime_result(curl_mime_type(mp, p->mime_type ? p->mime_type
                                                         : "application/octet-stream"));
    return st;
}

static oai_status add_part(oai__transfer *x, const oai__http_part *p, part_source *s)
{
    curl_mimepart *mp;
    oai_status st;
    if (!p->name)
        return OAI_ERR_INVALID_ARGUMENT;
    if (p->kind != OAI_PART_FIELD && p->kind != OAI_PART_DATA && p->kind != OAI_PART_FILE)
        return OAI_ERR_INVALID_ARGUMENT;
    mp = curl_mime_addpart(x->mime);
    if (!mp)
        return OAI_ERR_OUT_OF_MEMORY;
    st = mime_result(curl_mime_name(mp, p->name));
    if (st != OAI_OK)
        return st;
    if (p->kind == OAI_PART_FIELD)
        return mime_result(curl_mime_data(mp, p->value ? p->value : "",
                                          CURL_ZERO_TERMINATED));
    return add_streamed_part(mp, s, p);
}

static oai_status build_mime(oai__transfer *x, const oai__http_request *req)
{
    size_t i;
    oai_status st;
    x->sources = calloc(req->part_count, sizeof *x->sources);
    x->mime = curl_mime_init(x->easy);
    if (!x->sources || !x->mime)
        return OAI_ERR_OUT_OF_MEMORY;
    x->source_count = req->part_count;
    for (i = 0; i < req->part_count; i++) {
        x->sources[i].owner = x;
        x->sources[i].fd = -1;
    }
    for (i = 0; i < req->part_count; i++) {
        st = add_part(x, &req->parts[i], &x->sources[i]);
        if (st != OAI_OK)
            return st;
    }
    return OAI_OK;
}

/* ------------------------------------------------------------------------ */
/* Easy handle setup                                                         */

#define TRY(expr)                                                              \
    do {                                                                       \
        CURLcode try_rc_ = (expr);                                             \
        if (try_rc_ != CURLE_OK)                                               \
            return try_rc_;                                                    \
    } while (0)

static long clamp_ms(int64_t ms)
{
    return ms > (int64_t)LONG_MAX ? LONG_MAX : (long)ms;
}

static int is_https(const char *url)
{
    static const char scheme[] = "https:";
    size_t i;
    for (i = 0; i < sizeof scheme - 1; i++)
        if (url[i] == '\0' || (url[i] | 0x20) != scheme[i])
            return 0;
    return 1;
}

/* Callbacks, safety and connection behaviour common to every transfer. */
static CURLcode set_common_options(oai__transfer *x, const oai__http_request *req)
{
    CURL *e = x->easy;
    TRY(curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf));
    TRY(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_curl_header));
    TRY(curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_curl_write));
    TRY(curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)x));
    if (req->want_progress && x->ev.on_progress) {
        TRY(curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_curl_progress));
        TRY(curl_easy_setopt(e, CURLOPT_XFERINFODATA, (void *)x));
        TRY(curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L));
    }
    TRY(curl_easy_setopt(e, CURLOPT_SHARE, x->owner->share));
    TRY(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L));
    /* A burst of https transfers waits for the first TLS handshake and then
     * shares its connection when ALPN picked HTTP/2, instead of opening one
     * connection each. Not on http://, where curl would only learn that the
     * connection cannot multiplex once a response arrives. */
    if (is_https(req->url))
        TRY(curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L));
    TRY(curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS));
    /* A proxy's CONNECT reply is not the server's response. */
    TRY(curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
#if LIBCURL_VERSION_NUM >= 0x075500
    TRY(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    TRY(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
#else
    TRY(curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
    TRY(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
    if (req->timeout_ms > 0)
        TRY(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, clamp_ms(req->timeout_ms)));
    if (req->connect_timeout_ms > 0)
        TRY(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(req->connect_timeout_ms)));
    return CURLE_OK;
}

/* Verification is never switched off; a custom CA replaces the system's
 * trust store instead of adding to it. */
static CURLcode set_tls_and_proxy(CURL *e, const oai__http_request *req)
{
    TRY(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L));
    TRY(curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYPEER, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYHOST, 2L));
    if (req->ca_file)
        TRY(curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file));
    if (req->ca_blob) {
#if LIBCURL_VERSION_NUM >= 0x074d00
        struct curl_blob blob;
        blob.data = (void *)req->ca_blob;
        blob.len = req->ca_blob_len;
        blob.flags = CURL_BLOB_COPY;
        TRY(curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob));
#else
        return CURLE_NOT_BUILT_IN;
#endif
    }
    if (req->ca_file || req->ca_blob)
        TRY(curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL));
    if (req->proxy) /* "" switches off the proxy, the environment's too */
        TRY(curl_easy_setopt(e, CURLOPT_PROXY, req->proxy));
    return CURLE_OK;
}

static CURLcode set_headers(oai__transfer *x, const oai__http_request *req)
{
    size_t i;
    for (i = 0; i < req->header_count; i++) {
        struct curl_slist *grown = curl_slist_append(x->headers, req->headers[i]);
        if (!grown)
            return CURLE_OUT_OF_MEMORY;
        x->headers = grown;
    }
    if (x->headers)
        TRY(curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers));
    return CURLE_OK;
}

/* The body is the caller's memory, used in place. */
static CURLcode set_body(CURL *e, const char *body, size_t len)
{
    TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len));
    return curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
}

/* Picks the body mode, then names the method when curl's own verb for that
 * mode (POST with a body, HEAD without one, GET otherwise) differs. */
static CURLcode set_method(oai__transfer *x, const oai__http_request *req)
{
    CURL *e = x->easy;
    const char *verb;
    if (x->mime) {
        TRY(curl_easy_setopt(e, CURLOPT_MIMEPOST, x->mime));
        verb = "POST";
    } else if (req->body || strcmp(req->method, "POST") == 0) {
        TRY(set_body(e, req->body, req->body_len)); /* no body: Content-Length 0 */
        verb = "POST";
    } else if (strcmp(req->method, "HEAD") == 0) {
        TRY(curl_easy_setopt(e, CURLOPT_NOBODY, 1L)); /* or curl waits for a body */
        verb = "HEAD";
    } else {
        TRY(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
        verb = "GET";
    }
    if (strcmp(req->method, verb) != 0)
        TRY(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method));
    return CURLE_OK;
}

static oai_status setopt_result(CURLcode rc)
{
    if (rc == CURLE_OK)
        return OAI_OK;
    return rc == CURLE_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_INVALID_ARGUMENT;
}

static oai_status configure(oai__transfer *x, const oai__http_request *req)
{
    oai_status st;
    if (req->parts && req->part_count > 0) {
        st = build_mime(x, req);
        if (st != OAI_OK)
            return st;
    }
    st = setopt_result(curl_easy_setopt(x->easy, CURLOPT_URL, req->url));
    if (st == OAI_OK)
        st = setopt_result(set_common_options(x, req));
    if (st == OAI_OK)
        st = setopt_result(set_tls_and_proxy(x->easy, req));
    if (st == OAI_OK)
        st = setopt_result(set_headers(x, req));
    if (st == OAI_OK)
        st = setopt_result(set_method(x, req));
    return st;
}

/* ------------------------------------------------------------------------ */
/* Transfer lifetime                                                         */

static void link_transfer(curl_transport *t, oai__transfer *x)
{
    x->prev = NULL;
    x->next = t->first;
    if (t->first)
        t->first->prev = x;
    t->first = x;
}

static void unlink_transfer(curl_transport *t, oai__transfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else if (t->first == x)
        t->first = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

/* Frees a transfer that is in no list. The easy handle goes first: it
 * still refers to the mime tree, the header list and the part sources. */
static void free_transfer(oai__transfer *x)
{
    size_t i;
    if (x->added)
        curl_multi_remove_handle(x->owner->multi, x->easy);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_mime_free(x->mime);
    curl_slist_free_all(x->headers);
    for (i = 0; i < x->source_count; i++)
        if (x->sources[i].fd >= 0)
            close(x->sources[i].fd);
    free(x->sources);
    free(x);
}

static void destroy_transfer(curl_transport *t, oai__transfer *x)
{
    unlink_transfer(t, x);
    free_transfer(x);
}

/* Reports the end of a transfer. The transfer is freed before on_done runs,
 * so on_done may start, abort or finish anything else. */
static void report_end(curl_transport *t, oai__transfer *x, oai_status status,
                       const char *msg)
{
    oai__transfer_events ev = x->ev;
    void *ud = x->ud;
    destroy_transfer(t, x);
    t->dispatched++;
    if (ev.on_done)
        ev.on_done(ud, status, msg);
}

static void finish_transfer(curl_transport *t, oai__transfer *x, CURLcode rc)
{
    char msg[CURL_ERROR_SIZE + 128];
    oai_status status = transfer_outcome(x, rc, msg, sizeof msg);
    report_end(t, x, status, msg);
}

static oai__transfer *transfer_of(CURL *easy)
{
    char *p = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
    return (oai__transfer *)(void *)p;
}

/* Reports every finished transfer. One message at a time: removing a handle
 * (an on_done aborting another transfer) drops its queued message. */
static void drain_finished(curl_transport *t)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(t->multi, &left)) != NULL) {
        oai__transfer *x;
        if (m->msg != CURLMSG_DONE)
            continue;
        x = transfer_of(m->easy_handle);
        if (!x)
            continue;
        if (x->aborted)
            destroy_transfer(t, x);
        else
            finish_transfer(t, x, m->data.result);
    }
}

/* Tears down transfers aborted while curl was busy. */
static void reap_aborted(curl_transport *t)
{
    oai__transfer *x = t->first, *next;
    for (; x; x = next) {
        next = x->next;
        if (x->aborted)
            destroy_transfer(t, x);
    }
}

/* Adds the transfers started while curl was busy. One that cannot be added
 * ends through on_done, which may change the list: start over then. */
static void add_deferred(curl_transport *t)
{
    oai__transfer *x = t->first;
    while (x) {
        CURLMcode mc;
        if (x->added) {
            x = x->next;
            continue;
        }
        mc = curl_multi_add_handle(t->multi, x->easy);
        if (mc == CURLM_OK) {
            x->added = 1;
            x = x->next;
        } else {
            report_end(t, x, status_from_multi_code(mc), curl_multi_strerror(mc));
            x = t->first;
        }
    }
}

/* One curl_multi_perform and everything it finished. */
static oai_status perform_round(curl_transport *t)
{
    int still_running = 0;
    CURLMcode mc;
    t->in_curl = 1;
    mc = curl_multi_perform(t->multi, &still_running);
    t->in_curl = 0;
    reap_aborted(t);
    add_deferred(t);
    drain_finished(t);
    return status_from_multi_code(mc);
}

/* ------------------------------------------------------------------------ */
/* The transport operations                                                  */

/* An HTTP method is a token: no spaces, separators or control bytes. */
static int is_method_token(const char *m)
{
    if (!m || !*m)
        return 0;
    for (; *m; m++) {
        unsigned char c = (unsigned char)*m;
        if (c <= ' ' || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c))
            return 0;
    }
    return 1;
}

static oai_status curl_start(oai__transport *base, const oai__http_request *req,
                             const oai__transfer_events *ev, void *ud,
                             oai__transfer **out)
{
    curl_transport *t = (curl_transport *)base;
    oai__transfer *x;
    oai_status st;
    if (out)
        *out = NULL;
    if (!t || !req || !ev || !out || !req->url || !is_method_token(req->method) ||
        (req->header_count > 0 && !req->headers) || (req->part_count > 0 && !req->parts))
        return OAI_ERR_INVALID_ARGUMENT;
    x = calloc(1, sizeof *x);
    if (!x)
        return OAI_ERR_OUT_OF_MEMORY;
    x->owner = t;
    x->ev = *ev;
    x->ud = ud;
    x->http_url = strncasecmp(req->url, "http://", 7) == 0 || strncasecmp(req->url, "https://", 8) == 0;
    x->easy = curl_easy_init();
    st = x->easy ? configure(x, req) : OAI_ERR_OUT_OF_MEMORY;
    /* From inside a curl callback the handle is added after curl returns. */
    if (st == OAI_OK && !t->in_curl) {
        st = status_from_multi_code(curl_multi_add_handle(t->multi, x->easy));
        x->added = st == OAI_OK;
    }
    if (st != OAI_OK) {
        free_transfer(x);
        return st;
    }
    link_transfer(t, x);
    *out = x;
    return OAI_OK;
}

static void curl_abort(oai__transport *base, oai__transfer *x)
{
    curl_transport *t = (curl_transport *)base;
    if (!t || !x || x->owner != t || x->aborted)
        return;
    if (t->in_curl)
        x->aborted = 1; /* torn down once curl returns */
    else
        destroy_transfer(t, x);
}

static oai_status curl_run(oai__transport *base, int timeout_ms)
{
    curl_transport *t = (curl_transport *)base;
    unsigned long before;
    oai_status st;
    CURLMcode mc;
    if (!t || t->in_curl)
        return OAI_ERR_INVALID_ARGUMENT;
    before = t->dispatched;
    st = perform_round(t);
    /* Callbacks already ran: the caller has news, so do not wait. */
    if (st != OAI_OK || timeout_ms == 0 || t->dispatched != before)
        return st;
    mc = curl_multi_poll(t->multi, NULL, 0, timeout_ms < 0 ? INT_MAX : timeout_ms, NULL);
    if (mc != CURLM_OK)
        return status_from_multi_code(mc);
    return perform_round(t);
}

static void curl_wakeup(oai__transport *base)
{
    curl_transport *t = (curl_transport *)base;
    if (t)
        curl_multi_wakeup(t->multi);
}

static int curl_running(oai__transport *base)
{
    curl_transport *t = (curl_transport *)base;
    const oai__transfer *x;
    int n = 0;
    if (!t)
        return 0;
    for (x = t->first; x; x = x->next)
        n += !x->aborted;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Event-loop driving                                                        */

static size_t watched_index(const curl_transport *t, curl_socket_t s)
{
    size_t i;
    for (i = 0; i < t->watched_count; i++)
        if (t->watched[i] == s)
            break;
    return i;
}

/* Records s as watched. Without memory the loop still learns about the
 * socket; only the final removal in destroy() would miss it. */
static void remember_socket(curl_transport *t, curl_socket_t s)
{
    if (watched_index(t, s) < t->watched_count)
        return;
    if (t->watched_count == t->watched_cap) {
        size_t cap = t->watched_cap ? t->watched_cap * 2 : 8;
        curl_socket_t *grown = realloc(t->watched, cap * sizeof *grown);
        if (!grown)
            return;
        t->watched = grown;
        t->watched_cap = cap;
    }
    t->watched[t->watched_count++] = s;
}

static void forget_socket(curl_transport *t, curl_socket_t s)
{
    size_t i = watched_index(t, s);
    if (i < t->watched_count)
        t->watched[i] = t->watched[--t->watched_count];
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    curl_transport *t = userp;
    int events = 0;
    (void)easy;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        forget_socket(t, s);
        events = OAI_POLL_REMOVE;
    } else {
        remember_socket(t, s);
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
            events |= OAI_POLL_IN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
            events |= OAI_POLL_OUT;
    }
    if (t->socket_fn)
        t->socket_fn(t->event_ud, (int64_t)s, events);
    return 0; /* -1 would make the multi handle unusable */
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    curl_transport *t = userp;
    (void)multi;
    if (t->timer_fn)
        t->timer_fn(t->event_ud, timeout_ms < 0 ? -1 : (int64_t)timeout_ms);
    return 0;
}

/* Tells the loop to stop watching every socket it still watches. */
static void remove_watched(curl_transport *t)
{
    while (t->watched_count > 0) {
        curl_socket_t s = t->watched[--t->watched_count];
        if (t->socket_fn)
            t->socket_fn(t->event_ud, (int64_t)s, OAI_POLL_REMOVE);
    }
}

static oai_status curl_set_event_callbacks(oai__transport *base, oai__transport_socket_fn socket_fn,
                                           oai__transport_timer_fn timer_fn, void *ud)
{
    curl_transport *t = (curl_transport *)base;
    int on = socket_fn || timer_fn;
    if (!t || t->in_curl || curl_running(base) > 0)
        return OAI_ERR_INVALID_ARGUMENT;
    remove_watched(t);
    t->socket_fn = socket_fn;
    t->timer_fn = timer_fn;
    t->event_ud = ud;
    if (curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on ? on_curl_socket : NULL) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, (void *)t) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on ? on_curl_timer : NULL) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, (void *)t) != CURLM_OK)
        return OAI_ERR_INVALID_ARGUMENT;
    return OAI_OK;
}

static oai_status curl_socket_action(oai__transport *base, int64_t fd, int events)
{
    curl_transport *t = (curl_transport *)base;
    int mask = 0, still_running = 0;
    CURLMcode mc;
    if (!t || t->in_curl || (!t->socket_fn && !t->timer_fn))
        return OAI_ERR_INVALID_ARGUMENT;
    if (events & OAI_POLL_IN)
        mask |= CURL_CSELECT_IN;
    if (events & OAI_POLL_OUT)
        mask |= CURL_CSELECT_OUT;
    t->in_curl = 1;
    mc = curl_multi_socket_action(t->multi, fd < 0 ? CURL_SOCKET_TIMEOUT : (curl_socket_t)fd,
                                  mask, &still_running);
    t->in_curl = 0;
    reap_aborted(t);
    add_deferred(t);
    drain_finished(t);
    /* A socket curl no longer knows about is not an error of the others. */
    return mc == CURLM_BAD_SOCKET ? OAI_OK : status_from_multi_code(mc);
}

static void curl_destroy(oai__transport *base)
{
    curl_transport *t = (curl_transport *)base;
    if (!t)
        return;
    while (t->first)
        destroy_transfer(t, t->first);
    /* Idle pooled connections stay open until the multi handle goes: the
     * loop must stop watching them before their descriptors close. */
    remove_watched(t);
    if (t->multi && (t->socket_fn || t->timer_fn)) {
        curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, (curl_socket_callback)NULL);
        curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, (curl_multi_timer_callback)NULL);
    }
    free(t->watched);
    if (t->multi)
        curl_multi_cleanup(t->multi);
    if (t->share)
        curl_share_cleanup(t->share);
    free(t);
}

static const oai__transport_ops curl_ops = {
    curl_start, curl_abort, curl_run, curl_wakeup, curl_running, curl_destroy,
    curl_set_event_callbacks, curl_socket_action
};

/* The share handle lets new connections resume TLS sessions of earlier ones
 * and share DNS answers. All use is on the run() thread, so no locks. */
static CURLSH *new_share(void)
{
    CURLSH *sh = curl_share_init();
    if (!sh)
        return NULL;
    if (curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        curl_share_cleanup(sh);
        return NULL;
    }
    return sh;
}

/* Creates a libcurl transport (see transport.h). */
oai__transport *oai__transport_curl_new(void)
{
    curl_transport *t;
    if (oai__transport_global_init() != OAI_OK)
        return NULL;
    t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.ops = &curl_ops;
    t->multi = curl_multi_init();
    t->share = new_share();
    if (!t->multi || !t->share ||
        curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK) {
        curl_destroy(&t->base);
        return NULL;
    }
    return &t->base;
}
