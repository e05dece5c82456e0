/* The internal transport interface: the engine starts HTTP attempts through
 * it and drives its I/O. transport_curl.c implements it over a curl multi
 * handle (the only file that includes <curl/curl.h>); a test double may
 * implement it too.
 *
 * Memory: everything an oai__http_request points to must stay valid until the
 * transfer has ended (on_done ran) or was aborted. The transport copies
 * nothing it does not have to.
 *
 * Threading: all callbacks run inside run() or socket_action() (or inside
 * start()/abort(), which may report a socket or timer change), on the
 * caller's thread. Only wakeup() may be called from another thread.
 *
 * Two ways to drive the I/O: run() waits by itself; or, after
 * set_event_callbacks(), the transport reports the sockets to watch and the
 * timer to set, and the owner calls socket_action() when one of them fires
 * (curl's multi_socket shape). A transport is driven one way at a time.
 */
#ifndef OAI_TRANSPORT_H
#define OAI_TRANSPORT_H

#include "oai.h"

typedef enum oai__part_kind {
    OAI_PART_FIELD = 1, /* text field: name=value */
    OAI_PART_DATA = 2,  /* bytes from memory: data/len */
    OAI_PART_FILE = 3   /* bytes from a file: path, from offset, length bytes
                           (length < 0: to the end of the file) */
} oai__part_kind;

typedef struct oai__http_part {
    int kind;               /* an oai__part_kind */
    const char *name;       /* form field name */
    const char *value;      /* FIELD: NUL-terminated text */
    const void *data;       /* DATA */
    size_t len;             /* DATA */
    const char *path;       /* FILE */
    int64_t offset;         /* FILE */
    int64_t length;         /* FILE; < 0 means to the end */
    const char *filename;   /* DATA/FILE: the name sent; NULL for none */
    const char *mime_type;  /* DATA/FILE: NULL for application/octet-stream */
} oai__http_part;

typedef struct oai__http_request {
    const char *method;               /* "GET", "POST", ... */
    const char *url;                  /* absolute, query included */
    const char *const *headers;       /* "Name: value" lines, already validated;
                                         "Name:" (empty after the colon) removes a
                                         header the transport would add itself */
    size_t header_count;
    const char *body;                 /* request body, or NULL */
    size_t body_len;
    const oai__http_part *parts;       /* multipart/form-data parts, or NULL; when
                                         set, body is ignored */
    size_t part_count;
    int64_t timeout_ms;               /* whole attempt; 0: none */
    int64_t connect_timeout_ms;       /* 0: transport default */
    const char *ca_file;              /* NULL: system bundle */
    const void *ca_blob;              /* PEM in memory, or NULL */
    size_t ca_blob_len;
    const char *proxy;                /* NULL: environment; "": no proxy */
    int want_progress;                /* non-zero: call on_progress */
} oai__http_request;

typedef struct oai__transfer_events {
    /* The final status line is known (1xx interim responses are skipped). */
    int (*on_status)(void *ud, int http_status);
    /* One header of the final response; name and value are trimmed and not
     * NUL-terminated. */
    int (*on_header)(void *ud, const char *name, size_t name_len,
                     const char *value, size_t value_len);
    /* Body bytes as they arrive (transfer-decoded). */
    int (*on_data)(void *ud, const char *data, size_t len);
    /* Progress (may be NULL). */
    int (*on_progress)(void *ud, int64_t sent, int64_t send_total,
                       int64_t received, int64_t receive_total);
    /* The transfer ended. OAI_OK means a complete HTTP response was
     * received (any HTTP status). Otherwise the status is the failure class:
     * OAI_ERR_CONNECTION, OAI_ERR_TIMEOUT, OAI_ERR_TLS, OAI_ERR_IO,
     * OAI_ERR_OUT_OF_MEMORY, OAI_ERR_PROTOCOL, or OAI_ERR_CANCELLED when a
     * callback above returned non-zero. `message` is a short description
     * without secrets (valid during the call). After on_done the transfer
     * handle is gone. */
    void (*on_done)(void *ud, oai_status status, const char *message);
} oai__transfer_events;

typedef struct oai__transport oai__transport;
typedef struct oai__transfer oai__transfer;

/* Watch fd for `events` (OAI_POLL_IN/OAI_POLL_OUT bits), or stop watching it
 * (OAI_POLL_REMOVE). */
typedef void (*oai__transport_socket_fn)(void *ud, int64_t fd, int events);
/* Call socket_action(OAI_SOCKET_TIMEOUT) in timeout_ms (0: at once); -1
 * deletes the timer. The timer is one-shot. */
typedef void (*oai__transport_timer_fn)(void *ud, int64_t timeout_ms);

typedef struct oai__transport_ops {
    /* Starts a transfer; *out gets its handle. On failure nothing is started
     * and on_done is never called. */
    oai_status (*start)(oai__transport *t, const oai__http_request *req,
                        const oai__transfer_events *ev, void *ud, oai__transfer **out);
    /* Stops and frees a transfer that has not ended; on_done is not called.
     * Safe to call from inside one of the transfer's own callbacks other
     * than on_done (the transfer is then torn down once the callback
     * returns). */
    void (*abort)(oai__transport *t, oai__transfer *x);
    /* Waits at most timeout_ms (0: no wait; < 0: until something happens)
     * for I/O or a wakeup, performs it and runs callbacks. Returns OAI_OK or
     * a failure status of the transport itself. */
    oai_status (*run)(oai__transport *t, int timeout_ms);
    /* Makes a concurrent or upcoming run() return early. Thread-safe. */
    void (*wakeup)(oai__transport *t);
    /* Number of transfers running. */
    int (*running)(oai__transport *t);
    /* Aborts everything and frees the transport. Sockets still reported as
     * watched get an OAI_POLL_REMOVE first. */
    void (*destroy)(oai__transport *t);
    /* Switches to event-loop driving: from now on socket_fn and timer_fn
     * (with ud) report what to wait for, and run() must not be used. Both
     * NULL switches back. Only while no transfer runs. */
    oai_status (*set_event_callbacks)(oai__transport *t, oai__transport_socket_fn socket_fn,
                                      oai__transport_timer_fn timer_fn, void *ud);
    /* fd is ready for `events` (OAI_POLL_IN/OUT bits, 0: unknown), or with
     * fd = OAI_SOCKET_TIMEOUT the timer expired: performs the I/O and runs
     * callbacks. Returns OAI_OK or a failure of the transport itself. */
    oai_status (*socket_action)(oai__transport *t, int64_t fd, int events);
} oai__transport_ops;

struct oai__transport {
    const oai__transport_ops *ops;
};

/* The libcurl transport: one multi handle, connections kept alive and
 * reused across transfers, HTTP/2 multiplexing where the server offers it,
 * TLS peer and host verification always on. NULL on failure. */
oai__transport *oai__transport_curl_new(void);

/* One-time global initialisation of libcurl (thread-safe, idempotent). */
oai_status oai__transport_global_init(void);

#endif
