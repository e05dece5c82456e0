/* A scripted HTTP/1.1 server for the tests, and the local demo server
 * (oai-mock-server, docs/testing-your-app.md).
 *
 * It runs in a background thread of the test process, listening on
 * 127.0.0.1 on an ephemeral port, one thread per connection, keep-alive.
 * Each request is answered by the first scripted reply still queued that
 * matches it (replies pushed with mock_server_push() match every request,
 * so those are used in FIFO order); when none does, the built-in
 * OpenAI-compatible handler answers (deterministic chat completions,
 * completions, responses, embeddings and models; SSE when the body has
 * "stream": true; files, uploads, fine-tuning jobs and batches, see
 * mock_state.h).
 *
 * Replies are queued from C with mock_server_push*(), or from a JSON file
 * with mock_script_load() (mock_script.h; oai-mock-server --script).
 *
 * Every request is recorded (method, target, headers, body) so tests can
 * assert what the client sent.
 *
 * Each server owns a temporary directory (under $TMPDIR, else /tmp),
 * removed when it stops: large multipart parts are spooled there as they
 * arrive, and uploaded files are kept there, so neither memory use nor the
 * size of a file the server can take and give back depends on the size of
 * a body.
 */
#ifndef OAI_MOCK_SERVER_H
#define OAI_MOCK_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct mock_server mock_server;

typedef enum mock_fault {
    MOCK_FAULT_NONE = 0,
    MOCK_FAULT_CLOSE_BEFORE_RESPONSE, /* read the request, close without answering */
    MOCK_FAULT_CLOSE_MID_BODY,        /* send headers and part of the body, then close */
    MOCK_FAULT_RESET,                 /* send headers and part of the body, then RST (SO_LINGER 0) */
    MOCK_FAULT_STALL,                 /* send headers and part of the body, then send nothing
                                         for stall_ms (default 10 s), then close */
    MOCK_FAULT_RESET_BEFORE_RESPONSE, /* read the request, RST without answering */
    MOCK_FAULT_STALL_BEFORE_RESPONSE  /* read the request, send nothing for stall_ms,
                                         then close */
} mock_fault;

/* One scripted reply. Strings are copied when pushed. */
typedef struct mock_reply {
    int status;                 /* HTTP status, e.g. 200 */
    const char *headers;        /* extra header lines "Name: value\r\n...", or NULL */
    const char *body;           /* the body, or NULL */
    size_t body_len;            /* 0: strlen(body) */
    const char *content_type;   /* NULL: application/json */
    int delay_ms;               /* wait before sending the status line */
    /* Chunked delivery (Transfer-Encoding: chunked, each chunk flushed
     * separately): when chunks is set, body is ignored. */
    const char *const *chunks;
    size_t chunk_count;
    int chunk_delay_ms;         /* wait between chunks */
    mock_fault fault;
    size_t fault_after;         /* body bytes sent before the fault (or chunks, with chunks) */
    int stall_ms;               /* stall duration; 0: 10000; -1: until the client
                                   closes the connection (or the server stops). A
                                   stall always ends early when the client closes. */
    /* With chunks: chunk_delays_ms[i] >= 0 is the wait before chunk i (the
     * first one included, after the head); -1 (or no array) keeps
     * chunk_delay_ms between chunks. */
    const int *chunk_delays_ms;
} mock_reply;

/* Request bodies of any size are accepted (the server streams them through a
 * fixed buffer), but only the first MOCK_BODY_RECORD_LIMIT bytes (16 MiB) are
 * recorded: for a larger body, mock_request.body holds those first bytes
 * (NUL-terminated) and body_len still gives the full length received. Use
 * mock_request_body_stored() for the number of bytes actually in `body`.
 * A multipart/form-data body is also split into its parts as it arrives
 * (mock_request.form), whatever its size. */
#define MOCK_BODY_RECORD_LIMIT ((size_t)16 * 1024 * 1024)

/* One part of a multipart/form-data body. */
typedef struct mock_form_part {
    char *name;             /* the Content-Disposition name ("" when none) */
    char *filename;         /* its filename, or NULL for a plain field */
    size_t size;            /* the part's full length */
    char *data;             /* its bytes (NUL-terminated) when they stayed in
                               memory (small parts), else NULL */
    char *spool_path;       /* else the file in the server's directory that
                               holds them; NULL in recorded copies, and when
                               the part could only be counted */
} mock_form_part;

typedef struct mock_form {
    mock_form_part *parts;
    size_t count;
    int present;            /* the body was multipart/form-data */
    int complete;           /* ... and well-formed up to its closing delimiter */
} mock_form;

/* A recorded request. */
typedef struct mock_request {
    char *method;
    char *target;           /* path with query, as sent ("/v1/chat/completions?x=1") */
    char *path;             /* without the query */
    char *query;            /* after '?', or "" */
    char **header_names;
    char **header_values;
    size_t header_count;
    char *body;             /* NUL-terminated (may contain NUL); at most
                               MOCK_BODY_RECORD_LIMIT bytes are kept (above) */
    size_t body_len;        /* the full body length as received */
    int connection_id;      /* which accepted connection carried it (1, 2, ...) */
    mock_form form;         /* its parts, when the body is multipart/form-data */
    const char *data_dir;   /* the server's directory (not owned; NULL in
                               recorded copies) */
    int stream_pieces;      /* the server's mock_server_set_stream_pieces()
                               (0 in recorded copies) */
} mock_request;

/* Starts the server on 127.0.0.1:0. NULL on failure. */
mock_server *mock_server_start(void);
/* Starts on a given port (0: ephemeral). */
mock_server *mock_server_start_port(int port);
void mock_server_stop(mock_server *ms);   /* joins every thread, frees everything */

int mock_server_port(const mock_server *ms);
/* "http://127.0.0.1:PORT/v1" (owned by the server). */
const char *mock_server_url(const mock_server *ms);

/* Queue a reply (copied). */
void mock_server_push(mock_server *ms, const mock_reply *reply);
/* Queue a reply (copied) that answers only requests with this method
 * (NULL: any) and path (without the query; NULL: any; a final '*' matches
 * any rest), `repeat` times (-1: for ever). Returns 0, or -1 when memory ran
 * out or repeat is 0 or below -1. */
int mock_server_push_matching(mock_server *ms, const mock_reply *reply, const char *method,
                              const char *path, int repeat);
/* Shorthand: status, extra header lines (or NULL), JSON body. */
void mock_server_push_simple(mock_server *ms, int status, const char *headers, const char *body);
/* Number of scripted replies not yet used up (an entry that repeats counts
 * once). */
size_t mock_server_pending(mock_server *ms);

/* Milliseconds the built-in handler waits between the events of a stream
 * (default 0; the demo uses a few tens so that streaming shows). */
void mock_server_set_stream_delay_ms(mock_server *ms, int delay_ms);
/* How many events the built-in handler cuts a streamed answer into when
 * the request does not say ("mock_stream_pieces"); at most one per token.
 * 0 (the default): 4. The demo asks for one per token. */
void mock_server_set_stream_pieces(mock_server *ms, int pieces);
/* Whether requests are recorded (default 1). A long-running standalone
 * server turns it off so that its memory does not grow with its traffic. */
void mock_server_set_recording(mock_server *ms, int on);
/* The server's temporary directory (owned by the server). */
const char *mock_server_data_dir(const mock_server *ms);

/* Recorded requests, in arrival order. The pointer stays valid until
 * mock_server_reset() or mock_server_stop(). */
size_t mock_server_request_count(mock_server *ms);
const mock_request *mock_server_request(mock_server *ms, size_t index);
/* Waits until at least `count` requests are recorded (since the last reset)
 * or timeout_ms passes; for clients that run asynchronously. Returns 0 when
 * they arrived, -1 on timeout. */
int mock_server_wait_requests(mock_server *ms, size_t count, int timeout_ms);
/* Case-insensitive header lookup on a recorded request, or NULL. */
const char *mock_request_header(const mock_request *req, const char *name);
/* Bytes of the body held in req->body: min(body_len, MOCK_BODY_RECORD_LIMIT). */
size_t mock_request_body_stored(const mock_request *req);
/* Number of TCP connections accepted so far. */
int mock_server_connection_count(mock_server *ms);
/* Forget recorded requests and scripted replies (not connections). */
void mock_server_reset(mock_server *ms);

/* A port on 127.0.0.1 that nothing listens on (bound then closed). */
int mock_unused_port(void);

#endif
