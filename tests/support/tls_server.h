/* A small HTTPS server on 127.0.0.1 for the TLS tests (tests/test_tls.c)
 * and the first-connection benchmark (bench/bench_tls.c), on OpenSSL.
 *
 * Each server makes its own self-signed certificate when it starts (an EC
 * P-256 key; CN "oai test server N", subjectAltName localhost and
 * 127.0.0.1, CA:TRUE, valid for a day), so that a client trusts it only
 * through a CA file or blob holding that certificate. It listens on an
 * ephemeral port, serves each connection on its own thread, keeps
 * connections alive (HTTP/1.1, no ALPN; a request with "Connection: close"
 * gets that header back, and the connection closes), and answers:
 *   POST /v1/chat/completions  200, a chat completion whose content is
 *                              "hello over tls"
 *   GET /v1/models             200, a list of one model
 *   anything else              404, an API error
 * HEAD gets the same status and headers without the body. It counts the
 * TCP connections it accepted, the TLS handshakes that succeeded (and of
 * those, the ones that resumed an earlier session: OpenSSL's defaults, two
 * TLS 1.3 tickets sent at the end of each full handshake) and the requests
 * it answered.
 *
 * It needs neither cmocka nor liboai. Starting a server ignores SIGPIPE in
 * the process (a client may close a connection while the server writes).
 */
#ifndef OAI_TEST_TLS_SERVER_H
#define OAI_TEST_TLS_SERVER_H

typedef struct tls_server tls_server;

/* A running server, or NULL (the reason on stderr). */
tls_server *tls_server_start(void);

/* Stops the server: closes every connection and joins its threads. NULL is
 * a no-op. */
void tls_server_stop(tls_server *s);

int tls_server_port(const tls_server *s);

/* The server's certificate, PEM (borrowed from the server). */
const char *tls_server_cert_pem(const tls_server *s);

/* Writes a CA file that trusts the server: the content of `first` (a PEM
 * bundle, e.g. the system's; NULL for none), then the server's certificate.
 * 0 on success. */
int tls_server_write_ca_file(const tls_server *s, const char *path, const char *first);

unsigned tls_server_connections(const tls_server *s); /* TCP connections accepted */
unsigned tls_server_handshakes(const tls_server *s);  /* TLS handshakes completed */
unsigned tls_server_requests(const tls_server *s);    /* requests answered */
unsigned tls_server_resumed(const tls_server *s);     /* handshakes that resumed a session */

#endif
