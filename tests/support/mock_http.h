/* HTTP/1.1 plumbing of the mock server: interruptible socket I/O, request
 * parsing (Content-Length and chunked bodies, Expect: 100-continue) and
 * response writing (Content-Length or chunked, scripted faults).
 *
 * Every wait in here also watches the server's wake descriptor, which becomes
 * readable when the server stops, so no connection thread can outlive
 * mock_server_stop() by more than one poll.
 */
#ifndef OAI_MOCK_HTTP_H
#define OAI_MOCK_HTTP_H

#include <stddef.h>

#include "mock_server.h"

/* One connection's socket plus the bytes received but not yet consumed
 * (keep-alive and pipelining leave the next request's bytes here). */
typedef struct mock_io {
    int fd;
    int wake_fd;    /* readable once the server is stopping */
    char *buf;
    size_t len;
    size_t cap;
    const char *data_dir;   /* where large multipart parts are spooled, or NULL */
    int connection_id;      /* with `requests`, makes spool file names unique */
    unsigned long requests; /* requests read on this connection */
} mock_io;

/* A reply the server owns: a deep copy of a scripted mock_reply, or an answer
 * built by the default handler. */
typedef struct mock_response {
    int status;
    char *headers;          /* extra header lines, normalised to CRLF; "" for none */
    char *content_type;
    char *body;
    size_t body_len;
    int body_fd;            /* >= 0: the body is body_len bytes of this file,
                               read from its start (closed on free) */
    int chunked;            /* send `chunks` with Transfer-Encoding: chunked */
    char **chunks;
    size_t *chunk_lens;
    size_t chunk_count;
    int *chunk_delays;      /* per chunk: the wait before it, -1: chunk_delay_ms
                               (none before the first) */
    int delay_ms;
    int chunk_delay_ms;
    mock_fault fault;
    size_t fault_after;
    int stall_ms;
} mock_response;

/* What the connection should do after a response went out. */
typedef enum mock_after_send {
    MOCK_AFTER_KEEP_ALIVE,  /* read the next request */
    MOCK_AFTER_CLOSE,       /* close gracefully (FIN) */
    MOCK_AFTER_RESET        /* close with RST */
} mock_after_send;

/* Sleeps ms milliseconds unless the server stops first. Returns 0 when the
 * time elapsed, -1 when woken by the stop. */
int mock_io_sleep(const mock_io *io, int ms);

/* Reads the next request into *req (fields allocated; free with
 * mock_request_clear). A multipart/form-data body is split into req->form
 * as it arrives, large parts spooled to files in io->data_dir.
 * *keep_alive tells whether the client allows another request on this
 * connection. Returns 0 on success, -1 on EOF, error, malformed input or
 * stop. */
int mock_http_read_request(mock_io *io, mock_request *req, int *keep_alive);

/* Frees what a mock_request points to (not the struct itself), and removes
 * its spool files that a handler did not move away. */
void mock_request_clear(mock_request *req);

/* Deep copy of *src into *dst; 0 on success, -1 on allocation failure
 * (then *dst holds nothing to free). */
int mock_request_copy(mock_request *dst, const mock_request *src);

/* A new response with the given status, JSON content type and no body;
 * NULL on allocation failure. */
mock_response *mock_response_new(int status);

/* Deep copy of a scripted reply; NULL on allocation failure. */
mock_response *mock_response_from_reply(const mock_reply *reply);

/* Deep copy of a response (a body file is shared through dup()); NULL on
 * failure. */
mock_response *mock_response_clone(const mock_response *resp);

/* Makes the body the content of the open file fd (taken: closed on free);
 * 0 on success, -1 when fd is not a readable regular file (fd is closed). */
int mock_response_set_body_file(mock_response *resp, int fd);

/* Replaces the body (copied); 0 on success, -1 on allocation failure. */
int mock_response_set_body(mock_response *resp, const char *body, size_t len);

/* Replaces the content type (copied); 0 on success, -1 on failure. */
int mock_response_set_content_type(mock_response *resp, const char *type);

/* Appends extra header lines "Name: value\r\n..." (copied, normalised);
 * 0 on success, -1 on allocation failure. */
int mock_response_add_headers(mock_response *resp, const char *lines);

/* Appends one chunk (copied) and switches the response to chunked delivery;
 * empty chunks are ignored, since a zero-size chunk ends the body.
 * 0 on success, -1 on allocation failure. */
int mock_response_add_chunk(mock_response *resp, const char *data, size_t len);
/* The same with the wait before this chunk (-1: chunk_delay_ms). */
int mock_response_add_chunk_delayed(mock_response *resp, const char *data, size_t len,
                                    int delay_ms);

void mock_response_free(mock_response *resp);

/* Sends resp on io, applying its delay and fault. `request_id` is sent as
 * x-request-id unless the reply's extra headers carry one; `keep_alive` 0
 * adds "Connection: close"; `head_only` omits the body (HEAD requests). */
mock_after_send mock_http_send_response(mock_io *io, const mock_response *resp,
                                        const char *request_id, int keep_alive,
                                        int head_only);

/* Case-insensitive search for a header line `name` in CRLF-separated lines. */
int mock_header_lines_have(const char *lines, const char *name);

#endif
