/* The libcurl transport: the built-in implementation of the transport
 * interface (include/oai/transport.h), written against the same public
 * functions any host's transport uses, and the one file of the library that
 * includes <curl/curl.h> for transfers.
 *
 * One multi handle per transport owns the connection pool, so connections
 * are kept alive and reused across exchanges (and multiplexed over HTTP/2
 * when a server offers it). Share handles add TLS session resumption and
 * a DNS cache across the transport's exchanges, and across the transports
 * of a client and its clones ("Share groups" below). Each exchange runs on
 * an easy handle of its own, taken from a small pool of idle ones when one
 * is there ("Reusing easy handles" below): making and configuring a handle
 * costs about as much as the transfer of a short request.
 *
 * curl forbids removing or adding easy handles from inside its callbacks,
 * while a report to the engine may end the exchange (a cancel, a size
 * limit, [DONE] drained). So while curl is running (`in_curl`), a transfer
 * whose exchange ended is only marked; its callbacks then refuse to go on
 * and it is torn down once curl has returned. Exchanges started during that
 * time are added to the multi handle afterwards.
 *
 * An event loop may drive the transport instead of the run callback: the
 * multi handle then reports its sockets and timer
 * (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), which we forward, and
 * socket_action runs curl_multi_socket_action() under the same `in_curl`
 * rule. We remember the sockets reported as watched, so that freeing the
 * transport can tell the loop to forget the ones curl never removed (idle
 * pooled connections).
 *
 * Request bodies are the exchange's memory, used in place, or pulled with
 * oai_exchange_read_body() (multipart uploads stream from disk).
 *
 * The CA certificates an https transfer verifies with are parsed once per
 * process, not by curl for every client ("Trust stores" below), and
 * oai_client_warm_up() can do that and the first connection ahead of time
 * (curl_warm_up).
 */
#include "transport/transport.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

typedef struct curl_transport curl_transport;
typedef struct transfer transfer;
typedef struct trust trust;

/* What an easy handle keeps from one exchange to the next, besides the
 * options every handle has: a handle is reused as it is only for an
 * exchange with the same profile, else reset first. */
typedef struct handle_profile {
    CURLSH *share;           /* the group's share handle for the trust */
    int https;               /* PIPEWAIT */
    int uses_trust;          /* CA from our trust store (on_ssl_ctx) */
    int isolated;            /* kept out of the pool (see "Trust stores") */
    int own_ca;              /* curl loads a CA file or blob itself: never
                              * reused as it is (rare: see tls_shared()) */
    int64_t connect_ms;      /* 0: curl's default */
    char *proxy;             /* a copy, or NULL: the environment's */
} handle_profile;

struct transfer {
    curl_transport *owner;
    transfer *prev, *next;   /* the transport's live transfers, or its idle ones */
    oai_exchange *ex;        /* NULL once the exchange ended */
    CURL *easy;
    int added;               /* in the multi handle */
    int io_status;           /* reading the body failed: its oai_status */
    int http_url;            /* the URL is http:// or https:// */
    int paused;              /* the engine paused it and has not resumed it */
    header_state headers_at;
    trust *trust;            /* the CA store it verifies with (a reference), or
                              * NULL: curl's own CA set-up */
    CURLSH *share;           /* the group's share handle for that trust */
    int isolated;            /* another trust than the pool's: kept out of it */
    char tls_error[192];     /* why the trust store could not be loaded */
    char errbuf[CURL_ERROR_SIZE];
    /* The request's header lines, a list curl reads (never frees): nodes
     * and text are kept from one exchange to the next and only grow. */
    struct curl_slist *header_nodes;
    size_t node_cap;
    char *header_text;
    size_t text_cap;
    /* What the handle was set up with (valid when `configured`). */
    handle_profile applied;
    int configured;
    int progress_on;         /* NOPROGRESS is off */
    long buffer_size;        /* CURLOPT_BUFFERSIZE set, or 0: curl's default */
};

struct curl_transport {
    oai_transport *base;     /* the transport handed out */
    CURLM *multi;
    oai__share_group *group; /* a reference: the share handles */
    trust *share_trust;      /* the trust of the last share handle used ... */
    CURLSH *share;           /* ... and that handle (the group's), or NULL */
    transfer *first;
    size_t live;             /* transfers on the `first` list */
    transfer *idle;          /* finished transfers whose handle can be reused */
    size_t idle_count;
    unsigned long handles_made, handles_reused, handles_reset; /* for the tests */
    int in_curl;             /* curl is running and may call our callbacks */
    unsigned long dispatched; /* reports delivered so far */
    /* Event-loop driving. */
    oai__socket_report_fn socket_fn;
    oai__timer_report_fn timer_fn;
    void *event_ud;
    curl_socket_t *watched;  /* sockets reported and not yet removed */
    size_t watched_count, watched_cap;
    /* Trust stores (references): the one of the pooled connections and TLS
     * sessions, and the last one warmed up. */
    trust *pool_trust;
    trust *warm_trust;
    pthread_mutex_t wake_lock; /* the multi handle, against curl_wakeup() */
};

/* ------------------------------------------------------------------------ */
/* Global initialisation                                                     */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;

/* libcurl's allocations follow the library's allocator when the host set
 * one (oai_set_allocator(), which must come first). */
static void *curl_hook_malloc(size_t n)
{
    return oai__malloc(n);
}

static void curl_hook_free(void *p)
{
    oai__free(p);
}

static void *curl_hook_realloc(void *p, size_t n)
{
    return oai__realloc(p, n);
}

static char *curl_hook_strdup(const char *s)
{
    return oai__alloc_strdup(s);
}

static void *curl_hook_calloc(size_t count, size_t size)
{
    return oai__calloc(count, size);
}

static void global_init_once(void)
{
    if (oai__allocator_is_custom())
        global_result = curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_hook_malloc, curl_hook_free, curl_hook_realloc,
                                             curl_hook_strdup, curl_hook_calloc);
    else
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
/* Trust stores                                                              */
/*
 * Parsing a CA bundle is most of the cost of a first TLS connection
 * (Debian's, some 140 certificates: tens of milliseconds), and curl does it
 * for every multi handle, i.e. for every client: its CA cache
 * (CURLOPT_CA_CACHE_TIMEOUT) lives in the multi handle. Here the CA
 * settings an https transfer verifies with (the system's, or the client's
 * CA file and/or PEM blob) are a `trust`, parsed once into an X509_STORE
 * and shared, read-only, by every transfer of every client with the same
 * settings: the system's for the life of the process, a custom one while
 * some transport or transfer holds a reference to it.
 *
 * Each https transfer tells curl to load nothing (CAINFO and CAPATH NULL)
 * and installs the store from its SSL_CTX callback as the context's
 * verification store (SSL_CTX_set1_verify_cert_store(), which takes its own
 * reference). By then curl has set up its own store, empty, which it keeps
 * and may cache or change as it likes; ours is never written after it was
 * parsed. Verification stays on (VERIFYPEER, VERIFYHOST), with the flags
 * curl sets on its own stores (TRUSTED_FIRST, PARTIAL_CHAIN). A context
 * whose store curl did fill belongs to an https proxy's handshake
 * (PROXY_CAINFO, which we leave alone) and keeps it.
 *
 * The SSL_CTX crosses from curl to us, so this needs a curl running on the
 * OpenSSL this library is linked with (tls_shared()); with another TLS
 * library, transfers keep curl's own CA loading.
 *
 * curl no longer sees which CA a transfer trusts, so it could hand a
 * connection or a TLS session made under one trust to a transfer with
 * another. A transport therefore has one trust for its pool: a transfer
 * with another one starts a new pool when the transport is idle (new multi
 * and share handles: the idle connections close), else runs isolated (a
 * fresh connection over HTTP/1.1, closed after it, no session cache).
 */

struct trust {
    trust *next;                /* in `registry` (not the system's) */
    char *path;                 /* the CA file, or NULL */
    unsigned char *blob;        /* the PEM certificates (a copy), or NULL */
    size_t blob_len;
    unsigned long refs;         /* under registry_lock; unused for the system's */
    pthread_mutex_t load_lock;  /* guards store */
    X509_STORE *store;          /* NULL until parsed; then never changes */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static trust *registry;         /* the custom trusts in use */
static unsigned long parse_count; /* under registry_lock */
static trust system_trust = {NULL, NULL, NULL, 0, 0, PTHREAD_MUTEX_INITIALIZER, NULL};

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_shared_ok;

/* curl's TLS library must be the OpenSSL we are linked with: "OpenSSL/3.x"
 * for our 3.x (one ABI per major version), the same major.minor before 3. */
static void tls_check_once(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    unsigned long ours = OpenSSL_version_num(), major = 0, minor = 0;
    const char *s = v && (v->features & CURL_VERSION_SSL) ? v->ssl_version : NULL;
    if (!s || strncmp(s, "OpenSSL/", 8) != 0)
        return;
    for (s += 8; *s >= '0' && *s <= '9'; s++)
        major = major * 10 + (unsigned long)(*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            minor = minor * 10 + (unsigned long)(*s - '0');
    tls_shared_ok = major == ((ours >> 28) & 0xF) && (major >= 3 || minor == ((ours >> 20) & 0xFF));
}

static int tls_shared(void)
{
    return pthread_once(&tls_once, tls_check_once) == 0 && tls_shared_ok;
}

/* Describes OpenSSL's last error after `what`, then clears the queue, so
 * that curl does not take it for one of its own. */
static void openssl_failure(char *msg, size_t cap, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    snprintf(msg, cap, "%s%s%s", what, reason ? ": " : "", reason ? reason : "");
    ERR_clear_error();
}

/* Adds every certificate and CRL of a PEM blob, as curl does with
 * CURLOPT_CAINFO_BLOB; a blob without any is an error. */
static int load_blob(X509_STORE *store, const unsigned char *blob, size_t len)
{
    BIO *bio = len <= INT_MAX ? BIO_new_mem_buf(blob, (int)len) : NULL;
    STACK_OF(X509_INFO) *infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
    int i, count = 0, ok = infos != NULL;
    for (i = 0; ok && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);
        if (info->x509)
            ok = X509_STORE_add_cert(store, info->x509) == 1 && ++count;
        if (ok && info->crl)
            ok = X509_STORE_add_crl(store, info->crl) == 1 && ++count;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(bio);
    return ok && count > 0;
}

/* curl's own defaults (its built-in CAINFO and CAPATH; the directory is
 * looked up lazily, certificate by certificate, as OpenSSL does), or
 * OpenSSL's when curl has none. */
static int load_system(X509_STORE *store, char *msg, size_t cap)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    const char *file = v && v->age >= CURLVERSION_SEVENTH ? v->cainfo : NULL;
    const char *dir = v && v->age >= CURLVERSION_SEVENTH ? v->capath : NULL;
    char what[128];
    if (!file && !dir) {
        if (X509_STORE_set_default_paths(store) == 1)
            return 1;
        openssl_failure(msg, cap, "cannot load OpenSSL's default CA certificates");
        return 0;
    }
    if ((file && X509_STORE_load_locations(store, file, NULL) != 1) ||
        (dir && X509_STORE_load_locations(store, NULL, dir) != 1)) {
        snprintf(what, sizeof what, "cannot load the system's CA certificates (%.60s)", file ? file : dir);
        openssl_failure(msg, cap, what);
        return 0;
    }
    return 1;
}

/* Parses a trust's certificates into a new store. */
static oai_status parse_trust(const trust *tr, X509_STORE **out, char *msg, size_t cap)
{
    X509_STORE *store = X509_STORE_new();
    char what[128];
    int ok = store != NULL;
    *out = NULL;
    if (!store) {
        snprintf(msg, cap, "out of memory for a CA store");
        return OAI_ERR_OUT_OF_MEMORY;
    }
    if (tr == &system_trust) {
        ok = load_system(store, msg, cap);
    } else {
        if (tr->blob && !(ok = load_blob(store, tr->blob, tr->blob_len)))
            openssl_failure(msg, cap, "the CA blob holds no usable PEM certificate");
        /* As curl: with the blob loaded, an unreadable file is no error. */
        if (ok && tr->path && X509_STORE_load_locations(store, tr->path, NULL) != 1) {
            snprintf(what, sizeof what, "cannot load the CA file %.60s", tr->path);
            openssl_failure(msg, cap, what);
            if ((ok = tr->blob != NULL) != 0)
                msg[0] = '\0';
        }
    }
    if (ok && X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN) != 1) {
        openssl_failure(msg, cap, "cannot set up the CA store");
        ok = 0;
    }
    if (!ok) {
        X509_STORE_free(store);
        return OAI_ERR_TLS;
    }
    pthread_mutex_lock(&registry_lock);
    parse_count++;
    pthread_mutex_unlock(&registry_lock);
    *out = store;
    return OAI_OK;
}

/* The trust's store, parsed on first use. A thread that asks while another
 * parses waits for that parse. A failure is not remembered: the next use
 * tries again (the file may have appeared). */
static oai_status trust_store(trust *tr, X509_STORE **out, char *msg, size_t cap)
{
    oai_status st = OAI_OK;
    pthread_mutex_lock(&tr->load_lock);
    if (!tr->store)
        st = parse_trust(tr, &tr->store, msg, cap);
    *out = tr->store;
    pthread_mutex_unlock(&tr->load_lock);
    return st;
}

static int trust_matches(const trust *tr, const char *path, const void *blob, size_t blob_len)
{
    if (!tr || (tr->path == NULL) != (path == NULL) || (path && strcmp(tr->path, path) != 0) ||
        (tr->blob == NULL) != (blob == NULL))
        return 0;
    return !blob || (tr->blob_len == blob_len && memcmp(tr->blob, blob, blob_len) == 0);
}

static trust *trust_ref(trust *tr)
{
    if (tr != &system_trust) {
        pthread_mutex_lock(&registry_lock);
        tr->refs++;
        pthread_mutex_unlock(&registry_lock);
    }
    return tr;
}

static void trust_release(trust *tr)
{
    trust **p;
    if (!tr || tr == &system_trust)
        return;
    pthread_mutex_lock(&registry_lock);
    if (--tr->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    for (p = &registry; *p != tr; p = &(*p)->next)
        ;
    *p = tr->next;
    pthread_mutex_unlock(&registry_lock);
    X509_STORE_free(tr->store);
    pthread_mutex_destroy(&tr->load_lock);
    oai__free(tr->path);
    oai__free(tr->blob);
    oai__free(tr);
}

static trust *trust_new(const char *path, const void *blob, size_t blob_len)
{
    trust *tr = oai__calloc(1, sizeof *tr);
    if (!tr)
        return NULL;
    tr->refs = 1;
    tr->path = path ? oai__malloc(strlen(path) + 1) : NULL;
    tr->blob = blob ? oai__malloc(blob_len ? blob_len : 1) : NULL;
    if ((path && !tr->path) || (blob && !tr->blob) || pthread_mutex_init(&tr->load_lock, NULL) != 0) {
        oai__free(tr->path);
        oai__free(tr->blob);
        oai__free(tr);
        return NULL;
    }
    if (path)
        strcpy(tr->path, path);
    if (blob)
        memcpy(tr->blob, blob, blob_len);
    tr->blob_len = blob_len;
    return tr;
}

/* The trust for these CA settings, with a reference for the caller (the
 * transport's own first, then the process's); NULL when memory ran out. */
static trust *trust_for(curl_transport *t, const char *path, const void *blob, size_t blob_len)
{
    trust *tr;
    if (!path && !blob)
        return &system_trust;
    if (trust_matches(t->pool_trust, path, blob, blob_len))
        return trust_ref(t->pool_trust);
    if (trust_matches(t->warm_trust, path, blob, blob_len))
        return trust_ref(t->warm_trust);
    pthread_mutex_lock(&registry_lock);
    for (tr = registry; tr && !trust_matches(tr, path, blob, blob_len); tr = tr->next)
        ;
    if (tr) {
        tr->refs++;
    } else if ((tr = trust_new(path, blob, blob_len)) != NULL) {
        tr->next = registry;
        registry = tr;
    }
    pthread_mutex_unlock(&registry_lock);
    return tr;
}

/* CURLOPT_SSL_CTX_FUNCTION: verify with the transfer's trust. */
static CURLcode on_ssl_ctx(CURL *easy, void *ssl_ctx, void *arg)
{
    transfer *x = arg;
    SSL_CTX *ctx = ssl_ctx;
    X509_STORE *own = SSL_CTX_get_cert_store(ctx), *store = NULL;
    oai_status st;
    (void)easy;
    if (!x->trust || (own && sk_X509_OBJECT_num(X509_STORE_get0_objects(own)) > 0))
        return CURLE_OK; /* curl filled it: an https proxy's handshake */
    st = trust_store(x->trust, &store, x->tls_error, sizeof x->tls_error);
    if (st == OAI_OK && SSL_CTX_set1_verify_cert_store(ctx, store) != 1) {
        openssl_failure(x->tls_error, sizeof x->tls_error, "cannot use the CA store");
        st = OAI_ERR_OUT_OF_MEMORY;
    }
    if (st == OAI_OK) {
        x->tls_error[0] = '\0';
        return CURLE_OK;
    }
    return st == OAI_ERR_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_SSL_CACERT_BADFILE;
}

/* ------------------------------------------------------------------------ */
/* Share groups                                                              */

/*
 * A client and its clones (transport.h: oai__share_group) share DNS answers
 * and TLS sessions, so that a clone's first connection resumes the session
 * its source negotiated: an abbreviated handshake instead of a full one.
 * Their transports may run on different threads at once, so each share
 * handle locks what it shares (a mutex per kind of data, as curl asks).
 * Connections are not shared (CURL_LOCK_DATA_CONNECT): libcurl does not
 * support a connection cache used by handles of concurrent threads, and a
 * pooled connection belongs to one multi handle (one event loop's sockets).
 *
 * A TLS session resumed skips the certificate check: it stands for the
 * verification done when it was made. So sessions are kept apart by trust
 * store: a group holds one share handle per trust its transfers verified
 * with (one, nearly always), and a transfer uses the one of its own trust.
 * The NULL trust is that of http:// transfers and of curl's own CA set-up,
 * whose session cache tells CA settings apart itself. A group keeps a
 * reference to each trust it has a handle for, so that no other trust can
 * take its address while the group lives. Share handles are made at their
 * first use and go with the group, after every transport of the group
 * (and so every easy handle that used them) has gone.
 */
typedef struct group_share {
    struct group_share *next;
    trust *trust;            /* a reference, or NULL (see above) */
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
} group_share;

struct oai__share_group {
    pthread_mutex_t lock;    /* guards what follows */
    unsigned long refs;
    group_share *shares;
};

static void share_lock(CURL *easy, curl_lock_data data, curl_lock_access access, void *ud)
{
    group_share *gs = ud;
    (void)easy;
    (void)access;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&gs->locks[data]);
}

static void share_unlock(CURL *easy, curl_lock_data data, void *ud)
{
    group_share *gs = ud;
    (void)easy;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&gs->locks[data]);
}

static void group_share_free(group_share *gs, int locks)
{
    int i;
    if (gs->share && curl_share_cleanup(gs->share) != CURLSHE_OK)
        return; /* still in use (cannot happen): better leaked than freed */
    for (i = 0; i < locks; i++)
        pthread_mutex_destroy(&gs->locks[i]);
    trust_release(gs->trust);
    oai__free(gs);
}

static group_share *group_share_new(trust *tr)
{
    group_share *gs = oai__calloc(1, sizeof *gs);
    int locks = 0;
    if (!gs)
        return NULL;
    while (locks < CURL_LOCK_DATA_LAST && pthread_mutex_init(&gs->locks[locks], NULL) == 0)
        locks++;
    if (locks < CURL_LOCK_DATA_LAST || !(gs->share = curl_share_init()) ||
        curl_share_setopt(gs->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(gs->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(gs->share, CURLSHOPT_USERDATA, (void *)gs) != CURLSHE_OK ||
        curl_share_setopt(gs->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        curl_share_setopt(gs->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
        group_share_free(gs, locks);
        return NULL;
    }
    gs->trust = tr ? trust_ref(tr) : NULL;
    return gs;
}

oai_status oai__share_group_new(oai__share_group **out)
{
    oai__share_group *g = oai__calloc(1, sizeof *g);
    *out = NULL;
    if (!g)
        return OAI_ERR_OUT_OF_MEMORY;
    if (pthread_mutex_init(&g->lock, NULL) != 0) {
        oai__free(g);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    g->refs = 1;
    *out = g;
    return OAI_OK;
}

oai__share_group *oai__share_group_ref(oai__share_group *g)
{
    if (g) {
        pthread_mutex_lock(&g->lock);
        g->refs++;
        pthread_mutex_unlock(&g->lock);
    }
    return g;
}

void oai__share_group_release(oai__share_group *g)
{
    unsigned long left;
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    left = --g->refs;
    pthread_mutex_unlock(&g->lock);
    if (left > 0)
        return;
    while (g->shares) {
        group_share *gs = g->shares;
        g->shares = gs->next;
        group_share_free(gs, CURL_LOCK_DATA_LAST);
    }
    pthread_mutex_destroy(&g->lock);
    oai__free(g);
}

/* The share handle of the transport's group for transfers that verify with
 * tr (NULL: none); NULL when memory ran out. The last one is remembered:
 * the group's handles live as long as the transport's reference. */
static CURLSH *share_for(curl_transport *t, trust *tr)
{
    group_share *gs;
    if (t->share && t->share_trust == tr)
        return t->share;
    pthread_mutex_lock(&t->group->lock);
    for (gs = t->group->shares; gs && gs->trust != tr; gs = gs->next)
        ;
    if (!gs && (gs = group_share_new(tr)) != NULL) {
        gs->next = t->group->shares;
        t->group->shares = gs;
    }
    pthread_mutex_unlock(&t->group->lock);
    if (!gs)
        return NULL;
    t->share_trust = tr;
    t->share = gs->share;
    return gs->share;
}

static int has_scheme(const char *url, const char *scheme);
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp);
static void remove_watched(curl_transport *t);
static void free_idle(curl_transport *t);

/* Replaces the multi handle, closing the idle connections of the old pool
 * (its TLS sessions stay with the group, under their trust). Only while no
 * transfer is live and curl is not running. */
static oai_status new_pool(curl_transport *t)
{
    CURLM *multi = curl_multi_init(), *old_multi;
    int loop = t->socket_fn || t->timer_fn;
    if (!multi ||
        curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
        (loop && (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
                  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, (void *)t) != CURLM_OK ||
                  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
                  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, (void *)t) != CURLM_OK))) {
        if (multi)
            curl_multi_cleanup(multi);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    /* As when the transport is freed: the loop forgets the idle sockets
     * before they close. */
    remove_watched(t);
    if (loop) {
        curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, (curl_socket_callback)NULL);
        curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, (curl_multi_timer_callback)NULL);
    }
    pthread_mutex_lock(&t->wake_lock);
    old_multi = t->multi;
    t->multi = multi;
    pthread_mutex_unlock(&t->wake_lock);
    curl_multi_cleanup(old_multi);
    free_idle(t); /* set up for the old pool's trust */
    return OAI_OK;
}

/* 1 when a transfer that verifies with tr may use the pool (which may now
 * be a new one), 0 when it must stay out of it. */
static int pool_accepts(curl_transport *t, trust *tr)
{
    if (t->pool_trust == tr)
        return 1;
    if (t->pool_trust && (t->first || t->in_curl || new_pool(t) != OAI_OK))
        return 0;
    trust_release(t->pool_trust);
    t->pool_trust = trust_ref(tr);
    return 1;
}

/* Picks the trust of an https transfer (a reference in *tr, or NULL), before
 * a handle is chosen: a new pool frees the idle handles of the old one. */
static oai_status choose_trust(curl_transport *t, const oai_exchange *ex, trust **tr, int *isolated)
{
    size_t blob_len = 0;
    const void *blob = oai_exchange_ca_blob(ex, &blob_len);
    *tr = NULL;
    *isolated = 0;
    if (!has_scheme(oai_exchange_url(ex), "https://") || !tls_shared())
        return OAI_OK;
    *tr = trust_for(t, oai_exchange_ca_file(ex), blob, blob_len);
    if (!*tr)
        return OAI_ERR_OUT_OF_MEMORY;
    *isolated = !pool_accepts(t, *tr);
    return OAI_OK;
}

/* For the tests (transport.h). */
unsigned long oai__tls_parse_count(void)
{
    unsigned long n;
    pthread_mutex_lock(&registry_lock);
    n = parse_count;
    pthread_mutex_unlock(&registry_lock);
    return n;
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

/* The outcome of a finished transfer whose exchange is still open: a
 * failure to read the body comes before curl's code, which only says that
 * the read callback stopped it. */
static oai_status transfer_outcome(const transfer *x, CURLcode rc, char *msg, size_t cap)
{
    size_t n;
    if (x->io_status) {
        snprintf(msg, cap, "reading the request body failed: %s", oai_status_message((oai_status)x->io_status));
        return (oai_status)x->io_status;
    }
    /* The trust store could not be loaded (on_ssl_ctx): curl only says
     * that the callback refused. */
    if (x->tls_error[0] && rc != CURLE_OK) {
        snprintf(msg, cap, "%s", x->tls_error);
        return rc == CURLE_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_TLS;
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
/* Reports to the engine                                                     */

/* Forwards a report's outcome: 0 to go on; 1 when the exchange ended (the
 * engine let go: the transfer stops and is torn down, without a report). */
static int report(transfer *x, oai_status st)
{
    x->owner->dispatched++;
    if (st == OAI_OK)
        return 0;
    x->ex = NULL;
    return 1;
}

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

/* Reports "Name: value"; 1 when the exchange ended. */
static int deliver_header(transfer *x, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    const char *name = line, *value;
    size_t name_len, value_len;
    if (!colon)
        return 0; /* not a header (e.g. obsolete line folding) */
    name_len = (size_t)(colon - line);
    value = colon + 1;
    value_len = len - name_len - 1;
    /* The line is trimmed already: the name can only end in spaces, the
     * value only start with them. */
    while (name_len > 0 && is_space(name[name_len - 1]))
        name_len--;
    while (value_len > 0 && is_space(*value)) {
        value++;
        value_len--;
    }
    if (name_len == 0)
        return 0;
    return report(x, oai_exchange_receive_header(x->ex, name, name_len, value, value_len));
}

/* Steps through status lines, header lines and the blank lines between
 * header blocks; only the final (non-1xx) block is reported. */
static int handle_header_line(transfer *x, const char *line, size_t len)
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
    return report(x, oai_exchange_receive_status(x->ex, status));
}

static size_t on_curl_header(char *buf, size_t size, size_t count, void *arg)
{
    transfer *x = arg;
    size_t len = size * count;
    if (!x->ex || handle_header_line(x, buf, len))
        return 0;
    return len;
}

static size_t on_curl_write(char *buf, size_t size, size_t count, void *arg)
{
    transfer *x = arg;
    size_t len = size * count;
    if (!x->ex)
        return WRITE_ABORT;
    if (len > 0 && report(x, oai_exchange_receive_data(x->ex, buf, len)))
        return WRITE_ABORT;
    return len;
}

/* curl calls it on every round, changed or not: each call lets the engine
 * time the upload and lets the caller's progress callback cancel. Progress
 * alone does not count as news for run(): curl reports it all the time,
 * which is no reason to skip a wait; an ended exchange is. */
static int on_curl_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                            curl_off_t ulnow)
{
    transfer *x = arg;
    (void)dltotal;
    (void)dlnow;
    if (!x->ex)
        return 1;
    if (oai_exchange_report_sent(x->ex, (int64_t)ulnow, (int64_t)ultotal) == OAI_OK)
        return 0;
    x->ex = NULL;
    x->owner->dispatched++;
    return 1;
}

/* Pulls the next bytes of a body that is not in memory. */
static size_t on_curl_read(char *buf, size_t size, size_t count, void *arg)
{
    transfer *x = arg;
    int64_t got;
    if (!x->ex)
        return CURL_READFUNC_ABORT;
    got = oai_exchange_read_body(x->ex, buf, size * count);
    if (got < 0) {
        x->io_status = (int)-got;
        return CURL_READFUNC_ABORT;
    }
    return (size_t)got;
}

/* curl rewinds the body when it must send it again, e.g. when a reused
 * connection turned out to be closed. Only back to the start is needed. */
static int on_curl_seek(void *arg, curl_off_t offset, int origin)
{
    transfer *x = arg;
    if (!x->ex || offset != 0 || origin != SEEK_SET)
        return CURL_SEEKFUNC_CANTSEEK;
    return oai_exchange_rewind_body(x->ex) == OAI_OK ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

/* ------------------------------------------------------------------------ */
/* Configuring a transfer                                                    */
/*
 * Reusing easy handles. A finished transfer whose exchange completed
 * normally keeps its easy handle, set up, in the transport's idle list (at
 * most IDLE_MAX, and never more than the transfers that once ran at the
 * same time), and the next exchange takes it. A handle is made once with
 * everything that never changes (the callbacks, whose data is the transfer
 * itself, the share handle, the safety options) and with the options of its
 * profile (handle_profile: TLS, proxy, connect timeout); an exchange with
 * the same profile then only sets what each exchange has of its own: the
 * URL, the header list, the method and body, progress. Each of those is set
 * on every exchange, both ways (POSTFIELDS back to NULL for a GET, NOBODY
 * back to 0 after a HEAD, CUSTOMREQUEST back to NULL), so nothing of the
 * previous exchange carries over. An exchange with another profile resets
 * the handle (curl_easy_reset(): every option back to its default) and sets
 * it up again. A transfer that did not end normally (cancelled, failed,
 * paused at its end, its body unreadable) frees its handle instead: curl
 * versions differ in what such a handle carries into its next transfer
 * (pause state, a half-read upload), and those ends are rare.
 */

/* The most idle handles a transport keeps. */
#define IDLE_MAX 64

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

static int has_scheme(const char *url, const char *scheme)
{
    return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

/* The profile an exchange needs of a handle, for a transfer whose trust
 * and isolation are chosen. The proxy is borrowed from the exchange. */
static void profile_of(const transfer *x, const oai_exchange *ex, handle_profile *p)
{
    size_t blob_len = 0;
    p->share = x->share;
    p->https = has_scheme(oai_exchange_url(ex), "https:");
    p->uses_trust = x->trust != NULL;
    p->isolated = x->isolated;
    p->own_ca = !x->trust && (oai_exchange_ca_file(ex) || oai_exchange_ca_blob(ex, &blob_len));
    p->connect_ms = oai_exchange_connect_timeout_ms(ex) > 0 ? oai_exchange_connect_timeout_ms(ex) : 0;
    p->proxy = (char *)oai_exchange_proxy(ex);
}

static int same_profile(const handle_profile *a, const handle_profile *b)
{
    if (a->own_ca || b->own_ca || a->share != b->share || a->https != b->https ||
        a->uses_trust != b->uses_trust || a->isolated != b->isolated || a->connect_ms != b->connect_ms)
        return 0;
    if (!a->proxy || !b->proxy)
        return a->proxy == b->proxy;
    return strcmp(a->proxy, b->proxy) == 0;
}

/* The callbacks, whose data is the transfer, and what every handle has. */
static CURLcode set_fixed_options(transfer *x)
{
    CURL *e = x->easy;
    TRY(curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf));
    TRY(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_curl_header));
    TRY(curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_curl_write));
    TRY(curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)x));
    /* Progress is switched on per exchange (NOPROGRESS); the body is read
     * with these only when it is not in memory (POSTFIELDS NULL). */
    TRY(curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_curl_progress));
    TRY(curl_easy_setopt(e, CURLOPT_XFERINFODATA, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_READFUNCTION, on_curl_read));
    TRY(curl_easy_setopt(e, CURLOPT_READDATA, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_curl_seek));
    TRY(curl_easy_setopt(e, CURLOPT_SEEKDATA, (void *)x));
    TRY(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L));
    /* A proxy's CONNECT reply is not the server's response. */
    TRY(curl_easy_setopt(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
#if LIBCURL_VERSION_NUM >= 0x075500
    TRY(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    TRY(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
#else
    TRY(curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
    TRY(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
#endif
    /* Verification is never switched off. */
    TRY(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L));
    TRY(curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYPEER, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYHOST, 2L));
    return CURLE_OK;
}

/* Connection behaviour, TLS and proxy: a profile. A custom CA replaces the
 * system's trust store instead of adding to it. With a trust
 * (choose_trust()), curl loads no CA at all and on_ssl_ctx() hands it the
 * shared store. */
static CURLcode set_profile_options(transfer *x, const oai_exchange *ex, const handle_profile *p)
{
    CURL *e = x->easy;
    size_t blob_len = 0;
    const void *blob_data = oai_exchange_ca_blob(ex, &blob_len);
    const char *ca_file = oai_exchange_ca_file(ex);
    TRY(curl_easy_setopt(e, CURLOPT_SHARE, p->share));
    /* A burst of https transfers waits for the first TLS handshake and then
     * shares its connection when ALPN picked HTTP/2, instead of opening one
     * connection each. Not on http://, where curl would only learn that the
     * connection cannot multiplex once a response arrives. */
    if (p->https && !p->isolated)
        TRY(curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L));
    TRY(curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                         (long)(p->isolated ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS)));
    /* The engine times the request itself (first byte, idle, whole); only
     * connecting is curl's to time. */
    if (p->connect_ms > 0)
        TRY(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(p->connect_ms)));
    if (p->uses_trust) {
        TRY(curl_easy_setopt(e, CURLOPT_CAINFO, (char *)NULL));
        TRY(curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL));
        TRY(curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx));
        TRY(curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, (void *)x));
        ca_file = NULL;
        blob_data = NULL;
    }
    if (p->isolated) { /* see "Trust stores" */
        TRY(curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L));
        TRY(curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L));
        TRY(curl_easy_setopt(e, CURLOPT_SSL_SESSIONID_CACHE, 0L));
    }
    if (ca_file)
        TRY(curl_easy_setopt(e, CURLOPT_CAINFO, ca_file));
    if (blob_data) {
#if LIBCURL_VERSION_NUM >= 0x074d00
        struct curl_blob blob;
        blob.data = (void *)blob_data;
        blob.len = blob_len;
        blob.flags = CURL_BLOB_COPY;
        TRY(curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob));
#else
        return CURLE_NOT_BUILT_IN;
#endif
    }
    if (ca_file || blob_data)
        TRY(curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL));
    if (p->proxy) /* "" switches off the proxy, the environment's too */
        TRY(curl_easy_setopt(e, CURLOPT_PROXY, p->proxy));
    return CURLE_OK;
}

/* Which of curl's own default headers the exchange sends itself. */
enum { SENDS_ACCEPT = 1, SENDS_CONTENT_TYPE = 2, SENDS_EXPECT = 4 };

static int default_bit(const char *name, size_t len)
{
    if (len == 6 && strncasecmp(name, "Accept", 6) == 0)
        return SENDS_ACCEPT;
    if (len == 12 && strncasecmp(name, "Content-Type", 12) == 0)
        return SENDS_CONTENT_TYPE;
    if (len == 6 && strncasecmp(name, "Expect", 6) == 0)
        return SENDS_EXPECT;
    return 0;
}

/* The lines that keep curl from adding its own Accept, Content-Type or
 * Expect (100-continue costs a round trip per upload and a 1 s stall behind
 * proxies that ignore it), in SENDS_* bit order. */
static const char *const default_off[] = {"Accept:", "Content-Type:", "Expect:"};

/* Makes room for `lines` nodes and `bytes` of text. */
static int reserve_headers(transfer *x, size_t lines, size_t bytes)
{
    if (lines > x->node_cap) {
        struct curl_slist *nodes = oai__realloc(x->header_nodes, lines * sizeof *nodes);
        if (!nodes)
            return -1;
        x->header_nodes = nodes;
        x->node_cap = lines;
    }
    if (bytes > x->text_cap) {
        size_t cap = (bytes + 63) & ~(size_t)63; /* the same lines at every attempt, mostly */
        char *text;
        text = oai__realloc(x->header_text, cap);
        if (!text)
            return -1;
        x->header_text = text;
        x->text_cap = cap;
    }
    return 0;
}

/* The exchange's headers are the whole list: "Name: value", or "Name;" for
 * an empty value (curl's spelling), then "Name:" for each of curl's
 * defaults the exchange does not send itself. The list is built in the
 * transfer's own memory, with no allocation once it is large enough. */
static CURLcode set_headers(transfer *x, const oai_exchange *ex)
{
    size_t i, n = oai_exchange_header_count(ex), lines = 0, bytes = 0;
    int sent = 0;
    char *at;
    for (i = 0; i < n; i++) {
        const char *name = oai_exchange_header_name(ex, i);
        size_t name_len = strlen(name);
        sent |= default_bit(name, name_len);
        bytes += name_len + strlen(oai_exchange_header_value(ex, i)) + 3;
    }
    /* curl asks only an upload over 1 KiB (over 1 MiB in recent versions)
     * or of unknown length to wait for 100-continue: for a small body in
     * memory, "Expect:" would only cost curl a comparison with every line
     * it checks. */
    if (oai_exchange_body_length(ex) >= 0 && oai_exchange_body_length(ex) <= 1024 &&
        (oai_exchange_body(ex) || oai_exchange_body_length(ex) == 0))
        sent |= SENDS_EXPECT;
    for (i = 0; i < 3; i++)
        if (!(sent & (1 << i)))
            bytes += strlen(default_off[i]) + 1;
    if (reserve_headers(x, n + 3, bytes) != 0)
        return CURLE_OUT_OF_MEMORY;
    at = x->header_text;
    for (i = 0; i < n; i++) {
        const char *name = oai_exchange_header_name(ex, i), *value = oai_exchange_header_value(ex, i);
        size_t name_len = strlen(name), value_len = strlen(value);
        x->header_nodes[lines++].data = at;
        memcpy(at, name, name_len);
        at += name_len;
        if (value_len) {
            memcpy(at, ": ", 2);
            memcpy(at + 2, value, value_len + 1);
            at += value_len + 3;
        } else {
            memcpy(at, ";", 2);
            at += 2;
        }
    }
    for (i = 0; i < 3; i++) {
        size_t len;
        if (sent & (1 << i))
            continue;
        len = strlen(default_off[i]) + 1;
        x->header_nodes[lines++].data = at;
        memcpy(at, default_off[i], len);
        at += len;
    }
    for (i = 0; i < lines; i++)
        x->header_nodes[i].next = i + 1 < lines ? &x->header_nodes[i + 1] : NULL;
    return curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, lines ? x->header_nodes : NULL);
}

/* The method and the body: the exchange's memory used in place, else
 * pulled (on_curl_read). Every option a previous exchange of the handle may
 * have set is set again, so a GET after a POST sends no body and a POST
 * after a HEAD waits for its answer's body. curl's own verb for the mode is
 * POST with a body, HEAD without one, GET otherwise; CUSTOMREQUEST names
 * any other method. */
static CURLcode set_method(transfer *x, const oai_exchange *ex)
{
    CURL *e = x->easy;
    const char *method = oai_exchange_method(ex), *verb;
    const char *body = oai_exchange_body(ex);
    int64_t len = oai_exchange_body_length(ex);
    if (len > 0 || strcmp(method, "POST") == 0) {
        TRY(curl_easy_setopt(e, CURLOPT_NOBODY, 0L));
        if (body || len == 0) { /* POST without a body: Content-Length 0 */
            TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len));
            TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : ""));
        } else {
            TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDS, (char *)NULL));
            TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len));
            TRY(curl_easy_setopt(e, CURLOPT_POST, 1L));
        }
        verb = "POST";
    } else {
        TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDS, (char *)NULL));
        TRY(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1));
        if (strcmp(method, "HEAD") == 0) {
            TRY(curl_easy_setopt(e, CURLOPT_NOBODY, 1L)); /* or curl waits for a body */
            verb = "HEAD";
        } else {
            TRY(curl_easy_setopt(e, CURLOPT_NOBODY, 0L));
            TRY(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
            verb = "GET";
        }
    }
    return curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, verb) != 0 ? method : (char *)NULL);
}

static oai_status setopt_result(CURLcode rc)
{
    if (rc == CURLE_OK)
        return OAI_OK;
    return rc == CURLE_OUT_OF_MEMORY ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_INVALID_ARGUMENT;
}

/* Sets the handle up for the profile: as it is when it already has it,
 * else from its defaults (a new handle, or a reset one). */
static oai_status apply_profile(transfer *x, const oai_exchange *ex)
{
    handle_profile want;
    char *proxy = NULL;
    oai_status st;
    profile_of(x, ex, &want);
    if (x->configured && same_profile(&x->applied, &want))
        return OAI_OK;
    if (x->configured) {
        curl_easy_reset(x->easy);
        x->owner->handles_reset++;
    }
    x->configured = 0;
    x->progress_on = 0;
    x->buffer_size = 0;
    if (want.proxy && !(proxy = oai__strdup(want.proxy)))
        return OAI_ERR_OUT_OF_MEMORY;
    st = setopt_result(set_fixed_options(x));
    if (st == OAI_OK)
        st = setopt_result(set_profile_options(x, ex, &want));
    oai__free(x->applied.proxy);
    x->applied = want;
    x->applied.proxy = proxy;
    x->configured = st == OAI_OK;
    return st;
}

/* The receive buffer: curl's default (16 KiB) for a few transfers, a
 * small one when many run at once. Memory per transfer then matters more
 * than reads per transfer: curl keeps the buffer for the whole transfer,
 * and a read lands at once in the engine's inbox, where a stream's bytes
 * wait for process() (which pauses a call that has more than a slice
 * waiting among many, see engine.c). Throughput is unchanged where it
 * counts: a single stream reads 16 KiB at a time. */
#define MANY_TRANSFERS 16
#define SMALL_BUFFER 2048L

static CURLcode set_buffer_size(transfer *x)
{
    long want = x->owner->live >= MANY_TRANSFERS ? SMALL_BUFFER : 0;
    if (want == x->buffer_size)
        return CURLE_OK;
    TRY(curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, want ? want : (long)CURL_MAX_WRITE_SIZE));
    x->buffer_size = want;
    return CURLE_OK;
}

/* Makes the handle ready for the exchange. On failure the handle is in no
 * state to reuse: the caller frees the transfer. */
static oai_status configure(transfer *x, const oai_exchange *ex)
{
    int progress = oai_exchange_wants_progress(ex) != 0;
    oai_status st = apply_profile(x, ex);
    if (st == OAI_OK)
        st = setopt_result(set_buffer_size(x));
    if (st == OAI_OK)
        st = setopt_result(curl_easy_setopt(x->easy, CURLOPT_URL, oai_exchange_url(ex)));
    if (st == OAI_OK)
        st = setopt_result(set_headers(x, ex));
    if (st == OAI_OK)
        st = setopt_result(set_method(x, ex));
    if (st == OAI_OK && progress != x->progress_on) {
        st = setopt_result(curl_easy_setopt(x->easy, CURLOPT_NOPROGRESS, progress ? 0L : 1L));
        x->progress_on = progress;
    }
    return st;
}

/* ------------------------------------------------------------------------ */
/* Transfer lifetime                                                         */

static void link_transfer(transfer **list, transfer *x)
{
    x->prev = NULL;
    x->next = *list;
    if (*list)
        (*list)->prev = x;
    *list = x;
}

static void unlink_transfer(transfer **list, transfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else if (*list == x)
        *list = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

/* Frees a transfer that is in no list; the easy handle first, since it
 * still refers to the header list. */
static void free_transfer(transfer *x)
{
    if (x->added)
        curl_multi_remove_handle(x->owner->multi, x->easy);
    if (x->easy)
        curl_easy_cleanup(x->easy);
    oai__free(x->header_nodes);
    oai__free(x->header_text);
    oai__free(x->applied.proxy);
    trust_release(x->trust);
    oai__free(x);
}

/* A transfer for an exchange with this trust: an idle one, with the same
 * profile if there is one, else a new one. NULL when memory ran out. */
static transfer *take_transfer(curl_transport *t, const oai_exchange *ex, trust *tr, int isolated)
{
    transfer *x = t->idle;
    CURLSH *share = share_for(t, tr);
    if (!share)
        return NULL;
    if (x && (x->next || x->applied.own_ca)) { /* several, or one to reset: look for a match */
        transfer probe;
        handle_profile want;
        transfer *y;
        memset(&probe, 0, sizeof probe);
        probe.owner = t;
        probe.trust = tr;
        probe.share = share;
        probe.isolated = isolated;
        profile_of(&probe, ex, &want);
        for (y = t->idle; y; y = y->next)
            if (same_profile(&y->applied, &want)) {
                x = y;
                break;
            }
    }
    if (x) {
        unlink_transfer(&t->idle, x);
        t->idle_count--;
        t->handles_reused++;
    } else {
        x = oai__calloc(1, sizeof *x);
        if (!x)
            return NULL;
        x->owner = t;
        x->easy = curl_easy_init();
        if (!x->easy) {
            oai__free(x);
            return NULL;
        }
        t->handles_made++;
    }
    x->trust = tr;
    x->share = share;
    x->isolated = isolated;
    x->io_status = 0;
    x->paused = 0;
    x->headers_at = HEADERS_AWAIT_STATUS;
    x->tls_error[0] = '\0';
    x->errbuf[0] = '\0';
    return x;
}

/* Frees the idle transfers. */
static void free_idle(curl_transport *t)
{
    while (t->idle) {
        transfer *x = t->idle;
        unlink_transfer(&t->idle, x);
        free_transfer(x);
    }
    t->idle_count = 0;
}

/* Ends a live transfer: its handle goes back to the idle list when the
 * exchange ended normally (see "Reusing easy handles"), else it is freed. */
static void retire_transfer(curl_transport *t, transfer *x, int reusable)
{
    unlink_transfer(&t->first, x);
    t->live--;
    if (!reusable || x->paused || x->io_status || !x->configured || t->idle_count >= IDLE_MAX) {
        free_transfer(x);
        return;
    }
    if (x->added)
        curl_multi_remove_handle(t->multi, x->easy);
    x->added = 0;
    x->ex = NULL;
    trust_release(x->trust);
    x->trust = NULL;
    link_transfer(&t->idle, x);
    t->idle_count++;
}

static void destroy_transfer(curl_transport *t, transfer *x)
{
    retire_transfer(t, x, 0);
}

/* Ends a finished transfer's exchange. The transfer is retired first, so
 * the engine's code that runs inside may start or cancel anything else. */
static void finish_transfer(curl_transport *t, transfer *x, CURLcode rc)
{
    char msg[CURL_ERROR_SIZE + 128];
    oai_exchange *ex = x->ex;
    oai_status status = ex ? transfer_outcome(x, rc, msg, sizeof msg) : OAI_OK;
    retire_transfer(t, x, ex && rc == CURLE_OK && status == OAI_OK);
    if (!ex)
        return;
    t->dispatched++;
    if (status == OAI_OK)
        oai_exchange_complete(ex);
    else
        oai_exchange_fail(ex, status, msg);
}

static transfer *transfer_of(CURL *easy)
{
    char *p = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
    return (transfer *)(void *)p;
}

/* Ends every finished transfer. One message at a time: removing a handle
 * (an exchange cancelled by the engine meanwhile) drops its queued
 * message. */
static void drain_finished(curl_transport *t)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(t->multi, &left)) != NULL) {
        transfer *x;
        if (m->msg != CURLMSG_DONE)
            continue;
        x = transfer_of(m->easy_handle);
        if (x)
            finish_transfer(t, x, m->data.result);
    }
}

/* Tears down transfers whose exchange ended while curl was busy. */
static void reap_ended(curl_transport *t)
{
    transfer *x = t->first, *next;
    for (; x; x = next) {
        next = x->next;
        if (!x->ex)
            destroy_transfer(t, x);
    }
}

/* Adds the transfers started while curl was busy. One that cannot be added
 * fails its exchange, which may change the list: start over then. */
static void add_deferred(curl_transport *t)
{
    transfer *x = t->first;
    while (x) {
        CURLMcode mc;
        if (x->added || !x->ex) {
            x = x->next;
            continue;
        }
        mc = curl_multi_add_handle(t->multi, x->easy);
        if (mc == CURLM_OK) {
            x->added = 1;
            x = x->next;
        } else {
            oai_exchange *ex = x->ex;
            destroy_transfer(t, x);
            oai_exchange_fail(ex, status_from_multi_code(mc), curl_multi_strerror(mc));
            x = t->first;
        }
    }
}

/* After curl returned: the bookkeeping its callbacks could not do. */
static void after_curl(curl_transport *t)
{
    reap_ended(t);
    add_deferred(t);
    drain_finished(t);
}

/* One curl_multi_perform and everything it finished. */
static oai_status perform_round(curl_transport *t)
{
    int still_running = 0;
    CURLMcode mc;
    t->in_curl = 1;
    mc = curl_multi_perform(t->multi, &still_running);
    t->in_curl = 0;
    after_curl(t);
    return status_from_multi_code(mc);
}

/* ------------------------------------------------------------------------ */
/* The transport's callbacks                                                 */

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

static int curl_start(void *ud, oai_exchange *ex)
{
    curl_transport *t = ud;
    transfer *x;
    trust *tr;
    int isolated;
    oai_status st;
    if (!is_method_token(oai_exchange_method(ex)))
        return OAI_ERR_INVALID_ARGUMENT;
    st = choose_trust(t, ex, &tr, &isolated);
    if (st != OAI_OK)
        return (int)st;
    x = take_transfer(t, ex, tr, isolated);
    if (!x) {
        trust_release(tr);
        return OAI_ERR_OUT_OF_MEMORY;
    }
    x->ex = ex;
    x->http_url = has_scheme(oai_exchange_url(ex), "http://") || has_scheme(oai_exchange_url(ex), "https://");
    st = configure(x, ex);
    /* From inside a curl callback the handle is added after curl returns. */
    if (st == OAI_OK && !t->in_curl) {
        st = status_from_multi_code(curl_multi_add_handle(t->multi, x->easy));
        x->added = st == OAI_OK;
    }
    if (st != OAI_OK) {
        free_transfer(x);
        return (int)st;
    }
    link_transfer(&t->first, x);
    t->live++;
    oai_exchange_set_host_data(ex, x);
    return 0;
}

static void curl_cancel(void *ud, oai_exchange *ex)
{
    curl_transport *t = ud;
    transfer *x = oai_exchange_host_data(ex);
    if (!x)
        return;
    x->ex = NULL;
    if (!t->in_curl)
        destroy_transfer(t, x); /* else torn down once curl returns */
}

static int curl_run(void *ud, int timeout_ms)
{
    curl_transport *t = ud;
    unsigned long before;
    oai_status st;
    CURLMcode mc;
    if (t->in_curl)
        return OAI_ERR_INVALID_ARGUMENT;
    before = t->dispatched;
    st = perform_round(t);
    /* Reports already ran: the caller has news, so do not wait. */
    if (st != OAI_OK || timeout_ms == 0 || t->dispatched != before)
        return (int)st;
    mc = curl_multi_poll(t->multi, NULL, 0, timeout_ms < 0 ? INT_MAX : timeout_ms, NULL);
    if (mc != CURLM_OK)
        return (int)status_from_multi_code(mc);
    return (int)perform_round(t);
}

/* Back-pressure from the engine. A pause may come from inside this
 * transfer's own write callback, which curl allows. Resuming happens
 * between reports, and may make curl deliver what it holds at once, from
 * inside curl_easy_pause(): the usual in_curl rule and the bookkeeping
 * after it apply. */
static void curl_pause(void *ud, oai_exchange *ex, int paused)
{
    curl_transport *t = ud;
    transfer *x = oai_exchange_host_data(ex);
    if (!x || !x->easy)
        return;
    if (t->in_curl) {
        if (paused) {
            curl_easy_pause(x->easy, CURLPAUSE_RECV);
            x->paused = 1;
        }
        return;
    }
    x->paused = paused != 0;
    t->in_curl = 1;
    curl_easy_pause(x->easy, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
    t->in_curl = 0;
    after_curl(t);
}

static void curl_wakeup(void *ud)
{
    curl_transport *t = ud;
    pthread_mutex_lock(&t->wake_lock); /* new_pool() may replace the handle */
    curl_multi_wakeup(t->multi);
    pthread_mutex_unlock(&t->wake_lock);
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
 * socket; only the final removal when the transport is freed would miss it. */
static void remember_socket(curl_transport *t, curl_socket_t s)
{
    if (watched_index(t, s) < t->watched_count)
        return;
    if (t->watched_count == t->watched_cap) {
        size_t cap = t->watched_cap ? t->watched_cap * 2 : 8;
        curl_socket_t *grown = oai__realloc(t->watched, cap * sizeof *grown);
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

static oai_status curl_set_loop_callbacks(void *ud, oai__socket_report_fn socket_fn,
                                          oai__timer_report_fn timer_fn, void *cb_ud)
{
    curl_transport *t = ud;
    int on = socket_fn || timer_fn;
    if (t->in_curl || t->first)
        return OAI_ERR_INVALID_ARGUMENT;
    remove_watched(t);
    t->socket_fn = socket_fn;
    t->timer_fn = timer_fn;
    t->event_ud = cb_ud;
    if (curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on ? on_curl_socket : NULL) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, (void *)t) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on ? on_curl_timer : NULL) != CURLM_OK ||
        curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, (void *)t) != CURLM_OK)
        return OAI_ERR_INVALID_ARGUMENT;
    return OAI_OK;
}

static oai_status curl_socket_action(void *ud, int64_t fd, int events)
{
    curl_transport *t = ud;
    int mask = 0, still_running = 0;
    CURLMcode mc;
    if (t->in_curl || (!t->socket_fn && !t->timer_fn))
        return OAI_ERR_INVALID_ARGUMENT;
    if (events & OAI_POLL_IN)
        mask |= CURL_CSELECT_IN;
    if (events & OAI_POLL_OUT)
        mask |= CURL_CSELECT_OUT;
    t->in_curl = 1;
    mc = curl_multi_socket_action(t->multi, fd < 0 ? CURL_SOCKET_TIMEOUT : (curl_socket_t)fd, mask,
                                  &still_running);
    t->in_curl = 0;
    after_curl(t);
    /* A socket curl no longer knows about is not an error of the others. */
    return mc == CURLM_BAD_SOCKET ? OAI_OK : status_from_multi_code(mc);
}

static const oai__transport_loop curl_loop = {curl_set_loop_callbacks, curl_socket_action};

/* ------------------------------------------------------------------------ */
/* Warm-up (oai_client_warm_up())                                            */

/* How long the warm-up's HEAD may take after connecting, and the connect
 * timeout when the client has none. */
#define WARM_UP_ANSWER_MS 5000
#define WARM_UP_CONNECT_MS 30000

static size_t discard(char *buf, size_t size, size_t count, void *arg)
{
    (void)buf;
    (void)arg;
    return size * count;
}

/* Connects to the server as an exchange of this spec would, TLS and all,
 * with a HEAD of its URL, and leaves the connection in the pool for the
 * next exchange. Blocking; only while nothing else runs on the transport
 * (the multi handle is driven here, outside the engine). */
static oai_status warm_up_connection(curl_transport *t, const oai__exchange_spec *spec, char *msg, size_t cap)
{
    static const oai__exchange_sink no_sink;
    int64_t connect_ms = spec->connect_timeout_ms > 0 ? spec->connect_timeout_ms : WARM_UP_CONNECT_MS;
    oai_exchange *ex;
    transfer *x;
    oai_status st;
    CURLcode rc = CURLE_OK;
    int done = 0;
    if (t->in_curl || t->first || t->socket_fn || t->timer_fn) {
        snprintf(msg, cap, "cannot connect ahead while requests are under way or in event-loop mode");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    x = oai__calloc(1, sizeof *x);
    ex = oai__exchange_new(spec, &no_sink, NULL);
    if (!x || !ex) {
        oai__free(x);
        oai__exchange_release(ex);
        snprintf(msg, cap, "out of memory");
        return OAI_ERR_OUT_OF_MEMORY;
    }
    x->owner = t;
    x->http_url = 1;
    /* The exchange is only read, for the options every exchange gets; it is
     * never started, and x->ex stays NULL: nothing is reported. The handle
     * is not kept for reuse: it is set up differently. */
    st = choose_trust(t, ex, &x->trust, &x->isolated);
    x->share = st == OAI_OK ? share_for(t, x->trust) : NULL;
    x->easy = x->share ? curl_easy_init() : NULL;
    st = x->easy ? configure(x, ex) : OAI_ERR_OUT_OF_MEMORY;
    oai__exchange_release(ex);
    if (st == OAI_OK &&
        (curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, discard) != CURLE_OK ||
         curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
         curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(connect_ms)) != CURLE_OK ||
         curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, clamp_ms(connect_ms + WARM_UP_ANSWER_MS)) != CURLE_OK))
        st = OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK) {
        st = status_from_multi_code(curl_multi_add_handle(t->multi, x->easy));
        x->added = st == OAI_OK;
    }
    if (st != OAI_OK) {
        free_transfer(x);
        snprintf(msg, cap, "cannot set up the connection: %s", oai_status_message(st));
        return st;
    }
    while (!done && st == OAI_OK) {
        CURLMsg *m;
        int running = 0, left;
        t->in_curl = 1;
        st = status_from_multi_code(curl_multi_perform(t->multi, &running));
        t->in_curl = 0;
        while ((m = curl_multi_info_read(t->multi, &left)) != NULL)
            if (m->msg == CURLMSG_DONE && m->easy_handle == x->easy) {
                rc = m->data.result;
                done = 1;
            }
        if (!done && st == OAI_OK)
            st = status_from_multi_code(curl_multi_poll(t->multi, NULL, 0, 1000, NULL));
    }
    if (st != OAI_OK)
        snprintf(msg, cap, "libcurl failed: %s", oai_status_message(st));
    else if (rc != CURLE_OK)
        st = transfer_outcome(x, rc, msg, cap); /* any HTTP status will do */
    free_transfer(x); /* the connection stays in the pool */
    return st;
}

/* OpenSSL 3 fetches and caches its algorithms the first time a TLS
 * context is made (about a millisecond); one thrown away does it here. */
static pthread_once_t tls_library_once = PTHREAD_ONCE_INIT;

static void tls_library_warm_up(void)
{
    SSL_CTX_free(SSL_CTX_new(TLS_client_method()));
    ERR_clear_error();
}

static oai_status curl_warm_up(void *ud, const oai__exchange_spec *spec, int flags, char *msg, size_t cap)
{
    curl_transport *t = ud;
    if (cap)
        msg[0] = '\0';
    if (!spec->url || !has_scheme(spec->url, "https://"))
        return OAI_OK; /* no TLS to prepare */
    if ((flags & OAI_WARM_UP_CA) && tls_shared()) {
        X509_STORE *store;
        oai_status st;
        trust *tr = trust_for(t, spec->ca_file, spec->ca_blob, spec->ca_blob_len);
        if (!tr) {
            snprintf(msg, cap, "out of memory");
            return OAI_ERR_OUT_OF_MEMORY;
        }
        st = trust_store(tr, &store, msg, cap);
        if (st != OAI_OK) {
            trust_release(tr);
            return st;
        }
        trust_release(t->warm_trust);
        t->warm_trust = tr; /* keeps a custom store loaded for the client */
        pthread_once(&tls_library_once, tls_library_warm_up);
    }
    return flags & OAI_WARM_UP_CONNECT ? warm_up_connection(t, spec, msg, cap) : OAI_OK;
}

/* Called when the transport is freed: by then the engine has ended every
 * exchange, so only torn-down transfers can remain. */
static void free_transport(void *ud)
{
    curl_transport *t = ud;
    while (t->first)
        destroy_transfer(t, t->first);
    free_idle(t); /* before the share handle they hold */
    /* Idle pooled connections stay open until the multi handle goes: the
     * loop must stop watching them before their descriptors close. */
    remove_watched(t);
    if (t->multi && (t->socket_fn || t->timer_fn)) {
        curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, (curl_socket_callback)NULL);
        curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, (curl_multi_timer_callback)NULL);
    }
    oai__free(t->watched);
    if (t->multi)
        curl_multi_cleanup(t->multi);
    oai__share_group_release(t->group); /* no handle of ours uses it now */
    trust_release(t->pool_trust);
    trust_release(t->warm_trust);
    pthread_mutex_destroy(&t->wake_lock);
    oai__free(t);
}

/* The built-in transport (transport.h). */
oai_transport *oai__transport_default(oai__share_group *group, oai_status *status)
{
    curl_transport *t;
    *status = oai__transport_global_init();
    if (*status != OAI_OK)
        return NULL;
    *status = OAI_ERR_OUT_OF_MEMORY;
    t = oai__calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (pthread_mutex_init(&t->wake_lock, NULL) != 0) {
        oai__free(t);
        return NULL;
    }
    t->multi = curl_multi_init();
    if (group)
        t->group = oai__share_group_ref(group);
    else if (oai__share_group_new(&t->group) != OAI_OK)
        t->group = NULL;
    t->base = oai_transport_new(curl_start, curl_cancel, t);
    if (!t->multi || !t->group || !t->base ||
        curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK) {
        oai__free(t->base);
        free_transport(t);
        return NULL;
    }
    oai_transport_set_run(t->base, curl_run);
    oai_transport_set_wakeup(t->base, curl_wakeup);
    oai_transport_set_pause(t->base, curl_pause);
    oai_transport_set_free(t->base, free_transport);
    t->base->loop = &curl_loop;
    t->base->warm_up = curl_warm_up;
    *status = OAI_OK;
    return t->base;
}

/* For the tests (transport.h). */
const void *oai__transport_tls_store(const oai_transport *base)
{
    const curl_transport *t;
    trust *tr;
    const void *store;
    if (!base || base->start != curl_start)
        return NULL;
    t = base->ud;
    tr = t->pool_trust ? t->pool_trust : t->warm_trust;
    if (!tr)
        return NULL;
    pthread_mutex_lock(&tr->load_lock);
    store = tr->store;
    pthread_mutex_unlock(&tr->load_lock);
    return store;
}

/* For the tests (transport.h). */
int oai__transport_handle_stats(const oai_transport *base, oai__handle_stats *out)
{
    const curl_transport *t;
    memset(out, 0, sizeof *out);
    if (!base || base->start != curl_start)
        return -1;
    t = base->ud;
    out->made = t->handles_made;
    out->reused = t->handles_reused;
    out->reset = t->handles_reset;
    out->idle = t->idle_count;
    return 0;
}
