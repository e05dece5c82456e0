/* The scripted mock server: lifecycle, connections, script and recording.
 * HTTP details live in mock_http.c, the built-in OpenAI-compatible handler
 * in mock_openai.c.
 *
 * Threads: one accept thread plus one thread per connection. Everything
 * shared (script, recorded requests, connection list, counters) is guarded by
 * `lock`. Stopping writes to a self-pipe that every poll() also watches, and
 * shuts the tracked sockets down, so stop returns promptly even while a
 * connection is idle in keep-alive, sleeping in a delay or stalled.
 */
#include "mock_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mock_http.h"
#include "mock_openai.h"

/* How long a graceful close waits for the client to close its side. */
#define MOCK_LINGER_MS 1000

typedef struct mock_connection {
    mock_server *server;
    int fd;                 /* -1 once closed (under the server lock) */
    int id;
    int finished;           /* the thread is about to return */
    pthread_t thread;
    struct mock_connection *next;
} mock_connection;

typedef struct queued_reply {
    mock_response *response;
    char *method;           /* NULL: any */
    char *path;             /* NULL: any; a final '*' matches any rest */
    int remaining;          /* requests it still answers; -1: for ever */
    struct queued_reply *next;
} queued_reply;

struct mock_server {
    int listen_fd;
    int port;
    char url[64];
    int wake_pipe[2];       /* [0] becomes readable when stopping */
    char data_dir[4096];    /* our temporary directory (spool and files) */
    pthread_t accept_thread;

    pthread_mutex_t lock;
    pthread_cond_t recorded;    /* signalled after each recorded request */
    int stopping;
    int stream_delay_ms;    /* between the built-in handler's stream events */
    int stream_pieces;      /* the built-in handler's default pieces per stream */
    int recording;
    queued_reply *script_head, *script_tail;
    size_t script_len;
    mock_request **requests;
    size_t request_count, request_cap;
    unsigned long request_serial;
    int connection_count;
    mock_connection *connections;
};

/* ---- script and recording -------------------------------------------- */

static void free_queued(queued_reply *q)
{
    mock_response_free(q->response);
    free(q->method);
    free(q->path);
    free(q);
}

static void free_script(mock_server *ms)
{
    while (ms->script_head) {
        queued_reply *q = ms->script_head;
        ms->script_head = q->next;
        free_queued(q);
    }
    ms->script_tail = NULL;
    ms->script_len = 0;
}

static void free_requests(mock_server *ms)
{
    for (size_t i = 0; i < ms->request_count; i++) {
        mock_request_clear(ms->requests[i]);
        free(ms->requests[i]);
    }
    free(ms->requests);
    ms->requests = NULL;
    ms->request_count = ms->request_cap = 0;
}

static int path_matches(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, path, n - 1) == 0;
    return strcmp(pattern, path) == 0;
}

static int entry_matches(const queued_reply *q, const mock_request *req)
{
    return (!q->method || strcmp(q->method, req->method) == 0) &&
           (!q->path || path_matches(q->path, req->path));
}

/* Takes the reply of the first queued entry that matches req (a copy when
 * the entry answers more requests), or NULL when none does. Locked. */
static mock_response *pop_reply(mock_server *ms, const mock_request *req)
{
    queued_reply **link = &ms->script_head, *prev = NULL;
    while (*link && !entry_matches(*link, req)) {
        prev = *link;
        link = &(*link)->next;
    }
    queued_reply *q = *link;
    if (!q)
        return NULL;
    if (q->remaining == -1 || q->remaining > 1) {
        mock_response *copy = mock_response_clone(q->response);
        if (copy && q->remaining > 1)
            q->remaining--;
        return copy;
    }
    *link = q->next;
    if (ms->script_tail == q)
        ms->script_tail = prev;
    ms->script_len--;
    mock_response *r = q->response;
    q->response = NULL;
    free_queued(q);
    return r;
}

/* Appends a copy of req to the record. Locked. */
static void record_request(mock_server *ms, const mock_request *req)
{
    if (ms->request_count == ms->request_cap) {
        size_t cap = ms->request_cap ? ms->request_cap * 2 : 16;
        mock_request **p = realloc(ms->requests, cap * sizeof *p);
        if (!p)
            return;
        ms->requests = p;
        ms->request_cap = cap;
    }
    mock_request *copy = malloc(sizeof *copy);
    if (!copy)
        return;
    if (mock_request_copy(copy, req) != 0) {
        free(copy);
        return;
    }
    ms->requests[ms->request_count++] = copy;
    pthread_cond_broadcast(&ms->recorded);
}

/* ---- connections ----------------------------------------------------- */

/* Closes the connection's socket: RST when `reset`, otherwise a graceful
 * close that first lets the client read everything we sent. */
static void close_connection(mock_connection *c, mock_io *io, int reset)
{
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else {
        /* Closing with unread input would send RST and could destroy data
         * still in flight, so half-close and drain until the client closes. */
        shutdown(c->fd, SHUT_WR);
        char sink[4096];
        struct pollfd p[2] = {{c->fd, POLLIN, 0}, {io->wake_fd, POLLIN, 0}};
        while (poll(p, 2, MOCK_LINGER_MS) > 0 && !p[1].revents &&
               recv(c->fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
            p[0].revents = 0;
    }
    pthread_mutex_lock(&c->server->lock);
    close(c->fd);
    c->fd = -1;
    pthread_mutex_unlock(&c->server->lock);
}

/* Records the request and takes the reply for it (script first, then the
 * built-in handler). */
static mock_response *reply_for(mock_connection *c, mock_request *req, char *request_id,
                                size_t id_size)
{
    mock_server *ms = c->server;
    req->connection_id = c->id;
    pthread_mutex_lock(&ms->lock);
    unsigned long serial = ++ms->request_serial;
    if (ms->recording)
        record_request(ms, req);
    mock_response *resp = pop_reply(ms, req);
    int stream_delay_ms = ms->stream_delay_ms;
    req->stream_pieces = ms->stream_pieces;
    pthread_mutex_unlock(&ms->lock);
    snprintf(request_id, id_size, "req_mock_%lu", serial);
    if (resp)
        return resp;
    req->data_dir = ms->data_dir;
    resp = mock_openai_respond(req);
    if (resp && resp->chunked && resp->chunk_delay_ms == 0)
        resp->chunk_delay_ms = stream_delay_ms;
    return resp;
}

/* Serves one request; returns how the connection continues. */
static mock_after_send serve_one(mock_connection *c, mock_io *io)
{
    mock_request req;
    int keep_alive = 0;
    if (mock_http_read_request(io, &req, &keep_alive) != 0)
        return MOCK_AFTER_CLOSE;
    char request_id[32];
    mock_response *resp = reply_for(c, &req, request_id, sizeof request_id);
    mock_after_send next = MOCK_AFTER_CLOSE;
    if (resp)
        next = mock_http_send_response(io, resp, request_id, keep_alive,
                                       strcmp(req.method, "HEAD") == 0);
    mock_response_free(resp);
    mock_request_clear(&req);
    return next;
}

static void *connection_main(void *arg)
{
    mock_connection *c = arg;
    mock_io io = {c->fd, c->server->wake_pipe[0], NULL, 0, 0, c->server->data_dir, c->id, 0};
    mock_after_send next;
    do
        next = serve_one(c, &io);
    while (next == MOCK_AFTER_KEEP_ALIVE);
    close_connection(c, &io, next == MOCK_AFTER_RESET);
    free(io.buf);
    pthread_mutex_lock(&c->server->lock);
    c->finished = 1;
    pthread_mutex_unlock(&c->server->lock);
    return NULL;
}

/* Joins and frees the connections whose threads have finished. Locked; a
 * finished thread never takes the lock again, so joining here is safe. */
static void reap_finished(mock_server *ms)
{
    mock_connection **link = &ms->connections;
    while (*link) {
        mock_connection *c = *link;
        if (c->finished) {
            pthread_join(c->thread, NULL);
            *link = c->next;
            free(c);
        } else {
            link = &c->next;
        }
    }
}

/* Starts a thread for an accepted socket. Locked. */
static void start_connection(mock_server *ms, int fd)
{
    mock_connection *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->server = ms;
    c->fd = fd;
    c->id = ++ms->connection_count;
    if (pthread_create(&c->thread, NULL, connection_main, c) != 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = ms->connections;
    ms->connections = c;
}

static void *accept_main(void *arg)
{
    mock_server *ms = arg;
    struct pollfd p[2] = {{ms->listen_fd, POLLIN, 0}, {ms->wake_pipe[0], POLLIN, 0}};
    for (;;) {
        p[0].revents = p[1].revents = 0;
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!p[0].revents)
            continue;
        int fd = accept4(ms->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                poll(&p[1], 1, 10);   /* out of resources: do not spin */
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&ms->lock);
        reap_finished(ms);
        if (ms->stopping)
            close(fd);
        else
            start_connection(ms, fd);
        pthread_mutex_unlock(&ms->lock);
    }
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------- */

static int listen_on(int port, int *bound_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((uint16_t)port);
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 128) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    *bound_port = ntohs(addr.sin_port);
    return fd;
}

/* Timed waits use the monotonic clock, immune to wall-clock changes. */
static void init_monotonic_cond(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* Creates the server's private directory under $TMPDIR (else /tmp). */
static int make_data_dir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int n = snprintf(out, size, "%s/oai-mock-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= size || !mkdtemp(out))
        return -1;
    return 0;
}

/* Removes the directory and the files in it (it holds no subdirectories). */
static void remove_data_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[4096 + 256];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

mock_server *mock_server_start_port(int port)
{
    if (port < 0 || port > 65535)
        return NULL;
    mock_server *ms = calloc(1, sizeof *ms);
    if (!ms)
        return NULL;
    ms->recording = 1;
    if (make_data_dir(ms->data_dir, sizeof ms->data_dir) != 0) {
        free(ms);
        return NULL;
    }
    ms->listen_fd = listen_on(port, &ms->port);
    if (ms->listen_fd < 0 || pipe2(ms->wake_pipe, O_CLOEXEC) != 0) {
        if (ms->listen_fd >= 0)
            close(ms->listen_fd);
        remove_data_dir(ms->data_dir);
        free(ms);
        return NULL;
    }
    snprintf(ms->url, sizeof ms->url, "http://127.0.0.1:%d/v1", ms->port);
    pthread_mutex_init(&ms->lock, NULL);
    init_monotonic_cond(&ms->recorded);
    if (pthread_create(&ms->accept_thread, NULL, accept_main, ms) != 0) {
        pthread_cond_destroy(&ms->recorded);
        pthread_mutex_destroy(&ms->lock);
        close(ms->listen_fd);
        close(ms->wake_pipe[0]);
        close(ms->wake_pipe[1]);
        remove_data_dir(ms->data_dir);
        free(ms);
        return NULL;
    }
    return ms;
}

mock_server *mock_server_start(void)
{
    return mock_server_start_port(0);
}

/* Wakes every poll, then shuts the live sockets down so that nothing can
 * stay blocked in the kernel either. */
static void wake_everything(mock_server *ms)
{
    pthread_mutex_lock(&ms->lock);
    ms->stopping = 1;
    pthread_mutex_unlock(&ms->lock);
    ssize_t n;
    do
        n = write(ms->wake_pipe[1], "x", 1);
    while (n < 0 && errno == EINTR);
}

void mock_server_stop(mock_server *ms)
{
    if (!ms)
        return;
    wake_everything(ms);
    pthread_join(ms->accept_thread, NULL);
    pthread_mutex_lock(&ms->lock);
    for (mock_connection *c = ms->connections; c; c = c->next)
        if (c->fd >= 0)
            shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_unlock(&ms->lock);
    /* No new connection can appear now that the accept thread is gone. */
    while (ms->connections) {
        mock_connection *c = ms->connections;
        ms->connections = c->next;
        pthread_join(c->thread, NULL);
        free(c);
    }
    close(ms->listen_fd);
    close(ms->wake_pipe[0]);
    close(ms->wake_pipe[1]);
    free_script(ms);
    free_requests(ms);
    remove_data_dir(ms->data_dir);
    pthread_cond_destroy(&ms->recorded);
    pthread_mutex_destroy(&ms->lock);
    free(ms);
}

int mock_server_port(const mock_server *ms)
{
    return ms->port;
}

const char *mock_server_url(const mock_server *ms)
{
    return ms->url;
}

const char *mock_server_data_dir(const mock_server *ms)
{
    return ms->data_dir;
}

void mock_server_set_stream_delay_ms(mock_server *ms, int delay_ms)
{
    pthread_mutex_lock(&ms->lock);
    ms->stream_delay_ms = delay_ms > 0 ? delay_ms : 0;
    pthread_mutex_unlock(&ms->lock);
}

void mock_server_set_stream_pieces(mock_server *ms, int pieces)
{
    pthread_mutex_lock(&ms->lock);
    ms->stream_pieces = pieces > 0 ? pieces : 0;
    pthread_mutex_unlock(&ms->lock);
}

void mock_server_set_recording(mock_server *ms, int on)
{
    pthread_mutex_lock(&ms->lock);
    ms->recording = on != 0;
    pthread_mutex_unlock(&ms->lock);
}

/* ---- script API ------------------------------------------------------ */

int mock_server_push_matching(mock_server *ms, const mock_reply *reply, const char *method,
                              const char *path, int repeat)
{
    if (repeat == 0 || repeat < -1)
        return -1;
    queued_reply *q = calloc(1, sizeof *q);
    if (!q)
        return -1;
    q->remaining = repeat;
    q->response = mock_response_from_reply(reply);
    q->method = method ? strdup(method) : NULL;
    q->path = path ? strdup(path) : NULL;
    if (!q->response || (method && !q->method) || (path && !q->path)) {
        free_queued(q);
        return -1;
    }
    pthread_mutex_lock(&ms->lock);
    if (ms->script_tail)
        ms->script_tail->next = q;
    else
        ms->script_head = q;
    ms->script_tail = q;
    ms->script_len++;
    pthread_mutex_unlock(&ms->lock);
    return 0;
}

void mock_server_push(mock_server *ms, const mock_reply *reply)
{
    mock_server_push_matching(ms, reply, NULL, NULL, 1);
}

void mock_server_push_simple(mock_server *ms, int status, const char *headers, const char *body)
{
    mock_reply r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.headers = headers;
    r.body = body;
    mock_server_push(ms, &r);
}

size_t mock_server_pending(mock_server *ms)
{
    pthread_mutex_lock(&ms->lock);
    size_t n = ms->script_len;
    pthread_mutex_unlock(&ms->lock);
    return n;
}

/* ---- recording API --------------------------------------------------- */

size_t mock_server_request_count(mock_server *ms)
{
    pthread_mutex_lock(&ms->lock);
    size_t n = ms->request_count;
    pthread_mutex_unlock(&ms->lock);
    return n;
}

const mock_request *mock_server_request(mock_server *ms, size_t index)
{
    pthread_mutex_lock(&ms->lock);
    const mock_request *r = index < ms->request_count ? ms->requests[index] : NULL;
    pthread_mutex_unlock(&ms->lock);
    return r;
}

int mock_server_wait_requests(mock_server *ms, size_t count, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ms->lock);
    int rc = 0;
    while (ms->request_count < count && rc == 0)
        rc = pthread_cond_timedwait(&ms->recorded, &ms->lock, &deadline);
    int arrived = ms->request_count >= count;
    pthread_mutex_unlock(&ms->lock);
    return arrived ? 0 : -1;
}

const char *mock_request_header(const mock_request *req, const char *name)
{
    if (!req || !name)
        return NULL;
    for (size_t i = 0; i < req->header_count; i++)
        if (strcasecmp(req->header_names[i], name) == 0)
            return req->header_values[i];
    return NULL;
}

size_t mock_request_body_stored(const mock_request *req)
{
    return req->body_len < MOCK_BODY_RECORD_LIMIT ? req->body_len : MOCK_BODY_RECORD_LIMIT;
}

int mock_server_connection_count(mock_server *ms)
{
    pthread_mutex_lock(&ms->lock);
    int n = ms->connection_count;
    pthread_mutex_unlock(&ms->lock);
    return n;
}

void mock_server_reset(mock_server *ms)
{
    pthread_mutex_lock(&ms->lock);
    free_script(ms);
    free_requests(ms);
    pthread_mutex_unlock(&ms->lock);
}

int mock_unused_port(void)
{
    int port = 0;
    int fd = listen_on(0, &port);
    if (fd < 0)
        return -1;
    close(fd);
    return port;
}
