/* The engine's side of the transport interface (include/oai/transport.h).
 *
 * A transport is a set of host callbacks (start, cancel, run, wakeup, free)
 * plus, for the built-in libcurl transport only, event-loop driving. The
 * engine creates one exchange per HTTP attempt from a spec (what to send)
 * and a sink (where the reports go), starts it on the transport, and
 * releases it when it no longer wants it. The host reports through the
 * public oai_exchange_*() functions, which this module forwards to the sink.
 *
 * Ownership: an exchange is freed when both sides let go of it. The engine
 * lets go with oai__exchange_release() (or when the sink's on_end ran); the
 * host when it ends the exchange (complete, fail), when a report tells it
 * the exchange ended (OAI_ERR_CANCELLED), or when its cancel callback
 * returns. So a report may run the engine's code that ends the exchange
 * without freeing it under the host's feet, and the cancel callback is
 * never called from inside one of the host's own reports.
 *
 * Threading: everything runs on the thread that drives the client; only
 * oai__transport_wakeup() may be called from another. */
#ifndef OAI_TRANSPORT_INTERNAL_H
#define OAI_TRANSPORT_INTERNAL_H

#include "oai.h"
#include "oai/transport.h"
#include "util/util.h"

typedef struct oai__multipart oai__multipart;


/* Where an exchange's reports go. Called only while the engine holds the
 * exchange; each may end it with oai__exchange_release(). on_end is the
 * last call (OAI_OK: the whole response arrived; else the failure class and
 * a message without secrets, valid during the call); after it the engine
 * no longer holds the exchange. */
typedef struct oai__exchange_sink {
    void (*on_status)(void *ud, int http_status);
    void (*on_header)(void *ud, const char *name, size_t name_len, const char *value, size_t value_len);
    void (*on_data)(void *ud, const char *data, size_t len);
    void (*on_sent)(void *ud, int64_t sent, int64_t total);
    void (*on_end)(void *ud, oai_status status, const char *message);
} oai__exchange_sink;

/* What to send. Everything is borrowed and must outlive the exchange. */
typedef struct oai__exchange_spec {
    const char *method;
    const char *url;
    const char *const *header_names;
    const char *const *header_values;
    size_t header_count;
    const char *body;              /* in memory (may hold NUL), or NULL */
    size_t body_len;
    oai__multipart *multipart;     /* or pulled from this, or neither */
    int64_t connect_timeout_ms;
    const char *proxy;
    const char *ca_file;
    const void *ca_blob;
    size_t ca_blob_len;
    int want_progress;             /* the engine uses report_sent() */
} oai__exchange_spec;

/* Event-loop driving, which only the built-in transport offers: it reports
 * the sockets to watch and the timer to set, and socket_action() performs
 * what is ready (curl's multi_socket shape). */
typedef void (*oai__socket_report_fn)(void *ud, int64_t fd, int events);
typedef void (*oai__timer_report_fn)(void *ud, int64_t timeout_ms);
typedef struct oai__transport_loop {
    /* Switches event-loop driving on (both callbacks set) or off (NULL);
     * only while no exchange is under way. */
    oai_status (*set_callbacks)(void *transport_ud, oai__socket_report_fn socket_fn,
                                oai__timer_report_fn timer_fn, void *ud);
    /* fd is ready for `events` (OAI_POLL_* bits), or OAI_SOCKET_TIMEOUT. */
    oai_status (*socket_action)(void *transport_ud, int64_t fd, int events);
} oai__transport_loop;

/* The warm-up of oai_client_warm_up(), which only the built-in transport
 * offers (NULL elsewhere): the OAI_WARM_UP_* flags for the server of
 * spec->url (a HEAD of it, with spec's proxy, CA and connect timeout,
 * when a connection is asked for). Blocking. On failure *message (cap
 * bytes) says why, without secrets. */
typedef oai_status (*oai__transport_warm_up_fn)(void *transport_ud, const oai__exchange_spec *spec, int flags,
                                                char *message, size_t cap);

struct oai_transport {
    oai_transport_start_fn start;
    oai_transport_cancel_fn cancel;
    oai_transport_run_fn run;
    oai_transport_wakeup_fn wakeup;
    oai_transport_free_fn free_fn;
    oai_transport_pause_fn pause;
    void *ud;
    const oai__transport_loop *loop; /* NULL: no event-loop driving */
    oai__transport_warm_up_fn warm_up; /* NULL: nothing to warm up */
};

struct oai_exchange {
    oai__exchange_spec spec;
    int64_t body_pos;              /* bytes of an in-memory body read */
    const oai__exchange_sink *sink;
    void *sink_ud;
    oai_transport *transport;      /* set when started */
    void *host_data;
    int reported;                  /* how far the reports got (report_stage) */
    int in_report;                 /* depth of the host's report calls */
    int in_start;                  /* inside the start callback */
    int ended;                     /* no more reports reach the sink */
    int engine_holds;              /* the engine has not let go */
    int host_holds;                /* the host has not let go */
};

/* A new exchange, not yet started; NULL when memory ran out. */
oai_exchange *oai__exchange_new(const oai__exchange_spec *spec, const oai__exchange_sink *sink, void *sink_ud);

/* Starts the exchange on t. OAI_OK: it is under way, or the host already
 * answered it inside its start callback (the sink may even have heard
 * on_end). Otherwise it could not start: the sink heard nothing, the
 * exchange is freed, and *message (when not NULL) says so. */
oai_status oai__exchange_start(oai_transport *t, oai_exchange *ex, const char **message);

/* The engine lets go: the sink hears nothing more; an exchange under way is
 * cancelled at the host (unless one of the host's reports is running: that
 * report then returns OAI_ERR_CANCELLED). NULL is a no-op. */
void oai__exchange_release(oai_exchange *ex);

/* Asks the host to pause or resume the exchange's body (between reports;
 * a no-op for a transport without a pause callback, or an exchange that
 * has ended). 1 when the host was asked. */
int oai__exchange_pause(oai_exchange *ex, int paused);

/* Waits for the transport's I/O at most timeout_ms (the run callback), or
 * OAI_ERR_INVALID_ARGUMENT when it has none. */
oai_status oai__transport_run(oai_transport *t, int timeout_ms);
void oai__transport_wakeup(oai_transport *t);

/* A share group: what the built-in transports of a client and of its
 * clones share across threads (curl.c: DNS answers and TLS sessions,
 * never connections). Opaque to the engine and the client; reference
 * counted, and safe to take and release from any thread. A client makes
 * one in its constructor and hands it to the built-in transport the engine
 * makes for it, and a clone takes a reference to its source's, so a
 * transport made before the clone shares with it too.
 *
 * oai__share_group_new(): OAI_OK with *out a new group (one reference),
 * or NULL in a build without libcurl (nothing to share);
 * OAI_ERR_OUT_OF_MEMORY. _ref() returns g (NULL-safe); _release() frees it
 * with its last reference (NULL is a no-op). */
typedef struct oai__share_group oai__share_group;
oai_status oai__share_group_new(oai__share_group **out);
oai__share_group *oai__share_group_ref(oai__share_group *g);
void oai__share_group_release(oai__share_group *g);

/* The built-in transport (transport/curl.c), or NULL with *status set:
 * OAI_ERR_INVALID_ARGUMENT in a build without libcurl. Its transfers
 * share through `group` (it takes a reference), or, with NULL, through a
 * group of its own (oai_transport_curl_new(): a host's transport). */
oai_transport *oai__transport_default(oai__share_group *group, oai_status *status);

/* Process-wide set-up of the built-in transport (curl_global_init), done
 * once; OAI_OK in a build without it. */
oai_status oai__transport_global_init(void);

/* For the tests, built-in transport only (curl.c): how many CA bundles this
 * process has parsed into a trust store, and the store a transport holds
 * for its connections or from its last warm-up (NULL: none loaded, or
 * curl does its own TLS set-up: its TLS library is not the OpenSSL oai is
 * linked with). */
unsigned long oai__tls_parse_count(void);
const void *oai__transport_tls_store(const oai_transport *t);

/* For the tests, built-in transport only (curl.c): how its easy handles
 * were used. -1 (and zeros) for another transport. */
typedef struct oai__handle_stats {
    unsigned long made;   /* easy handles created */
    unsigned long reused; /* exchanges that took an idle handle */
    unsigned long reset;  /* of those, handles reset for another profile */
    size_t idle;          /* idle handles kept now */
} oai__handle_stats;
int oai__transport_handle_stats(const oai_transport *t, oai__handle_stats *out);

#endif
