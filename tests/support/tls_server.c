/* The HTTPS test server (tls_server.h). */
#include "tls_server.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define REQUEST_MAX 65536

typedef struct connection {
    tls_server *server;
    int fd;
    pthread_t thread;
    int done;                    /* the thread has finished (under the lock) */
} connection;

struct tls_server {
    int listen_fd;
    int port;
    int stop_pipe[2];
    pthread_t accept_thread;
    SSL_CTX *ctx;
    char *cert_pem;
    pthread_mutex_t lock;        /* guards what follows */
    int stopping;
    unsigned connections, handshakes, requests, resumed;
    connection *conns[MAX_CONNECTIONS];
    int conn_count;
};

static const char chat_body[] =
    "{\"id\":\"chatcmpl-tls\",\"object\":\"chat.completion\",\"created\":1700000000,"
    "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
    "\"content\":\"hello over tls\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":3,\"total_tokens\":4}}";
static const char models_body[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o-mini\",\"object\":\"model\",\"created\":0,"
    "\"owned_by\":\"system\"}]}";
static const char missing_body[] =
    "{\"error\":{\"message\":\"not found\",\"type\":\"invalid_request_error\",\"param\":null,"
    "\"code\":null}}";

/* ---- the certificate ------------------------------------------------------- */

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx, NID_X9_62_prime256v1) <= 0 ||
        EVP_PKEY_keygen(kctx, &key) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(kctx);
    return key;
}

static int add_ext(X509 *cert, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
    int ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static X509 *new_certificate(EVP_PKEY *key)
{
    static pthread_mutex_t serial_lock = PTHREAD_MUTEX_INITIALIZER;
    static unsigned serial;
    char cn[64];
    unsigned n;
    X509 *cert = X509_new();
    X509_NAME *name;
    X509V3_CTX v3;
    pthread_mutex_lock(&serial_lock);
    n = ++serial;
    pthread_mutex_unlock(&serial_lock);
    snprintf(cn, sizeof cn, "oai test server %u", n);
    if (!cert)
        return NULL;
    name = X509_get_subject_name(cert);
    if (X509_set_version(cert, 2) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)((unsigned)getpid() * 1000u + n)) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert), 86400) || X509_set_pubkey(cert, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_issuer_name(cert, name) != 1) {
        X509_free(cert);
        return NULL;
    }
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    if (!add_ext(cert, &v3, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(cert, &v3, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
        !add_ext(cert, &v3, NID_subject_key_identifier, "hash") ||
        !add_ext(cert, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
        X509_sign(cert, key, EVP_sha256()) <= 0) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static char *pem_of(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, *copy = NULL;
    long len;
    if (bio && PEM_write_bio_X509(bio, cert) == 1 && (len = BIO_get_mem_data(bio, &data)) > 0 &&
        (copy = malloc((size_t)len + 1)) != NULL) {
        memcpy(copy, data, (size_t)len);
        copy[len] = '\0';
    }
    BIO_free(bio);
    return copy;
}

static SSL_CTX *new_context(char **pem)
{
    EVP_PKEY *key = new_key();
    X509 *cert = key ? new_certificate(key) : NULL;
    SSL_CTX *ctx = cert ? SSL_CTX_new(TLS_server_method()) : NULL;
    *pem = NULL;
    if (ctx && (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
                !(*pem = pem_of(cert)))) {
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
}

/* ---- HTTP over one connection --------------------------------------------------- */

static int write_all(SSL *ssl, const char *data, size_t len)
{
    while (len > 0) {
        int n = SSL_write(ssl, data, len > 65536 ? 65536 : (int)len);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The value of a header in a header block, as a number; -1 when absent. */
static long header_number(const char *head, const char *name)
{
    size_t name_len = strlen(name);
    const char *line = strstr(head, "\r\n");
    while (line && line[2] != '\r') {
        line += 2;
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':')
            return strtol(line + name_len + 1, NULL, 10);
        line = strstr(line, "\r\n");
    }
    return -1;
}

static int wants_close(const char *head)
{
    const char *line = strstr(head, "\r\n");
    while (line && line[2] != '\r') {
        line += 2;
        if (strncasecmp(line, "Connection:", 11) == 0) {
            const char *v = line + 11;
            while (*v == ' ')
                v++;
            return strncasecmp(v, "close", 5) == 0;
        }
        line = strstr(line, "\r\n");
    }
    return 0;
}

static int answer(tls_server *s, SSL *ssl, const char *head)
{
    char method[16] = "", path[256] = "", reply[512];
    const char *body = missing_body, *status = "404 Not Found";
    int n;
    if (sscanf(head, "%15s %255s", method, path) != 2)
        return -1;
    if (strcmp(method, "POST") == 0 && strncmp(path, "/v1/chat/completions", 20) == 0) {
        body = chat_body;
        status = "200 OK";
    } else if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && strncmp(path, "/v1/models", 10) == 0) {
        body = models_body;
        status = "200 OK";
    }
    /* A connection closed after the answer says so, as HTTP/1.1 asks. */
    n = snprintf(reply, sizeof reply,
                 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "x-request-id: req_tls\r\n%s\r\n",
                 status, strlen(body), wants_close(head) ? "Connection: close\r\n" : "");
    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);
    if (write_all(ssl, reply, (size_t)n) != 0)
        return -1;
    if (strcmp(method, "HEAD") != 0 && write_all(ssl, body, strlen(body)) != 0)
        return -1;
    return 0;
}

/* Reads requests and answers them until the peer closes. */
static void serve(tls_server *s, SSL *ssl)
{
    char *buf = malloc(REQUEST_MAX + 1);
    size_t have = 0;
    if (!buf)
        return;
    for (;;) {
        char *end;
        long body_len;
        size_t head_len, total;
        int n, close_after;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (!end) {
            if (have == REQUEST_MAX)
                break;
            n = SSL_read(ssl, buf + have, (int)(REQUEST_MAX - have));
            if (n <= 0)
                break;
            have += (size_t)n;
            continue;
        }
        head_len = (size_t)(end - buf) + 4;
        body_len = header_number(buf, "Content-Length");
        total = head_len + (size_t)(body_len > 0 ? body_len : 0);
        if (total > REQUEST_MAX)
            break;
        while (have < total) {
            n = SSL_read(ssl, buf + have, (int)(REQUEST_MAX - have));
            if (n <= 0)
                goto out;
            have += (size_t)n;
        }
        buf[head_len - 2] = '\0'; /* the head alone, ending in one CRLF */
        close_after = wants_close(buf);
        if (answer(s, ssl, buf) != 0 || close_after)
            break;
        memmove(buf, buf + total, have - total);
        have -= total;
    }
out:
    free(buf);
}

static void *connection_main(void *arg)
{
    connection *c = arg;
    tls_server *s = c->server;
    SSL *ssl = SSL_new(s->ctx);
    if (ssl && SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1) {
        pthread_mutex_lock(&s->lock);
        s->handshakes++;
        if (SSL_session_reused(ssl))
            s->resumed++;
        pthread_mutex_unlock(&s->lock);
        serve(s, ssl);
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ERR_clear_error();
    pthread_mutex_lock(&s->lock);
    c->done = 1;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Joins the connection threads that have finished (the accept thread only,
 * with the lock held). */
static void reap(tls_server *s)
{
    int i = 0;
    while (i < s->conn_count) {
        connection *c = s->conns[i];
        if (!c->done) {
            i++;
            continue;
        }
        pthread_join(c->thread, NULL);
        close(c->fd);
        free(c);
        s->conns[i] = s->conns[--s->conn_count];
    }
}

static void *accept_main(void *arg)
{
    tls_server *s = arg;
    for (;;) {
        struct pollfd pfd[2] = {{s->listen_fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
        connection *c;
        int fd;
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents)
            break;
        fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        /* No Nagle delay between the handshake's last records and the
         * answer (40 ms of delayed ACK on loopback otherwise). */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
        c = calloc(1, sizeof *c);
        pthread_mutex_lock(&s->lock);
        reap(s);
        if (!c || s->stopping || s->conn_count == MAX_CONNECTIONS) {
            pthread_mutex_unlock(&s->lock);
            close(fd);
            free(c);
            continue;
        }
        c->server = s;
        c->fd = fd;
        s->connections++;
        if (pthread_create(&c->thread, NULL, connection_main, c) != 0) {
            pthread_mutex_unlock(&s->lock);
            close(fd);
            free(c);
            continue;
        }
        s->conns[s->conn_count++] = c;
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

/* ---- the server ---------------------------------------------------------------- */

tls_server *tls_server_start(void)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    tls_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    signal(SIGPIPE, SIG_IGN);
    s->listen_fd = -1;
    s->stop_pipe[0] = s->stop_pipe[1] = -1;
    pthread_mutex_init(&s->lock, NULL);
    s->ctx = new_context(&s->cert_pem);
    if (!s->ctx) {
        fprintf(stderr, "tls_server: cannot make a certificate\n");
        goto fail;
    }
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(s->listen_fd, 64) != 0 || getsockname(s->listen_fd, (struct sockaddr *)&addr, &len) != 0 ||
        pipe(s->stop_pipe) != 0) {
        perror("tls_server: listen");
        goto fail;
    }
    s->port = ntohs(addr.sin_port);
    if (pthread_create(&s->accept_thread, NULL, accept_main, s) != 0) {
        fprintf(stderr, "tls_server: cannot start a thread\n");
        goto fail;
    }
    return s;
fail:
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->stop_pipe[0] >= 0) {
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
    }
    SSL_CTX_free(s->ctx);
    free(s->cert_pem);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return NULL;
}

void tls_server_stop(tls_server *s)
{
    int i;
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    if (write(s->stop_pipe[1], "x", 1) != 1)
        perror("tls_server: stop");
    pthread_join(s->accept_thread, NULL);
    /* The accept thread is gone: the list no longer changes. */
    for (i = 0; i < s->conn_count; i++)
        shutdown(s->conns[i]->fd, SHUT_RDWR);
    for (i = 0; i < s->conn_count; i++) {
        pthread_join(s->conns[i]->thread, NULL);
        close(s->conns[i]->fd);
        free(s->conns[i]);
    }
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    SSL_CTX_free(s->ctx);
    free(s->cert_pem);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int tls_server_port(const tls_server *s)
{
    return s->port;
}

const char *tls_server_cert_pem(const tls_server *s)
{
    return s->cert_pem;
}

int tls_server_write_ca_file(const tls_server *s, const char *path, const char *first)
{
    FILE *out = fopen(path, "wb");
    int ok = out != NULL;
    if (ok && first) {
        char buf[16384];
        size_t n;
        FILE *in = fopen(first, "rb");
        ok = in != NULL;
        while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
            ok = fwrite(buf, 1, n, out) == n;
        if (in)
            fclose(in);
        if (ok)
            ok = fputc('\n', out) != EOF;
    }
    if (ok)
        ok = fputs(s->cert_pem, out) != EOF;
    if (out && fclose(out) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static unsigned counter(const tls_server *s, const unsigned *field)
{
    unsigned n;
    pthread_mutex_lock((pthread_mutex_t *)&s->lock);
    n = *field;
    pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
    return n;
}

unsigned tls_server_connections(const tls_server *s)
{
    return counter(s, &s->connections);
}

unsigned tls_server_handshakes(const tls_server *s)
{
    return counter(s, &s->handshakes);
}

unsigned tls_server_requests(const tls_server *s)
{
    return counter(s, &s->requests);
}

unsigned tls_server_resumed(const tls_server *s)
{
    return counter(s, &s->resumed);
}
