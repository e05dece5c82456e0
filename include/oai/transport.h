/*
 * oai — bring your own HTTP: the transport interface.
 *
 * SPDX-License-Identifier: MIT
 */
/**
 * @file oai/transport.h
 * @brief The transport interface, for hosts that own their I/O.
 *
 * The engine behind oai.h never does I/O itself. For each HTTP attempt it
 * hands a *transport* one *exchange*: a method, a full URL, the header lines
 * to send (authorization, organization, project, idempotency key, retry
 * count, platform headers: everything), and a body to send, as bytes or
 * pulled piece by piece (a 2 GB upload is never in memory). The transport
 * reports back the status, each header, the body bytes as they arrive (in
 * any chunking) and the end, or the class of a failure. Everything else
 * stays in the engine and behaves the same whatever the transport:
 * retries, backoff and `retry-after`, the timeouts (first byte, idle, the
 * whole request), the response size limit, streaming and accumulation,
 * error mapping, logging and redaction.
 *
 * libcurl is the built-in transport and the default when the library is
 * built with it (`OAI_WITH_CURL`, on by default). A host with its own HTTP
 * stack (a game engine's HTTP module, a console's network library, Qt, a
 * browser's `fetch`, a test double) implements three callbacks:
 *
 * ```c
 * static int my_start(void *ud, oai_exchange *ex)   // send it; answer now or later
 * static void my_cancel(void *ud, oai_exchange *ex) // stop it; forget ex
 * static int my_run(void *ud, int timeout_ms)       // optional: wait for I/O
 *
 * oai_transport *t = oai_transport_new(my_start, my_cancel, my_state);
 * oai_transport_set_run(t, my_run);
 * oai_client_set_transport(client, t);              // the client owns it now
 * ```
 *
 * and answers each exchange with oai_exchange_receive_status(),
 * oai_exchange_receive_header(), oai_exchange_receive_data() and finally
 * oai_exchange_complete() or oai_exchange_fail(). `examples/custom_transport.c`
 * is a complete one; `docs/embedding.md` walks through it.
 *
 * **An exchange's life.** It begins when the engine calls the start callback
 * and ends at exactly one of:
 * - the host calls oai_exchange_complete() or oai_exchange_fail();
 * - a report function (oai_exchange_receive_*(), oai_exchange_report_sent())
 *   returns ::OAI_ERR_CANCELLED: the engine has all it needs, or gave up (a
 *   cancel, a timeout, a size limit, a callback of the caller's that asked
 *   to stop), and the cancel callback is *not* called;
 * - the engine calls the cancel callback (a cancel or a timeout at any other
 *   time, the client being freed).
 * After its end the exchange is gone: the host must not use the pointer
 * again, and should release what it attached to it
 * (oai_exchange_set_host_data()).
 *
 * **Threading.** Every callback runs on the thread that drives the client,
 * inside one of its calls (oai_client_send(), oai_client_poll(),
 * oai_client_start(), oai_call_cancel(), oai_client_free()). The host calls
 * the oai_exchange_*() functions on that same thread, either from inside its
 * callbacks (the start callback may answer the whole exchange before it
 * returns) or from its own loop between library calls; the caller's stream
 * event callbacks then run inside those calls. Only the wakeup callback may
 * be called from another thread.
 *
 * **Waiting.** oai_client_send() and oai_client_poll() with a timeout wait
 * through the run callback: it should wait for I/O at most @p timeout_ms
 * and deliver what arrived. A transport without one answers from its own
 * loop, which then drives the client with oai_client_poll(client, 0); such a
 * client cannot block in oai_client_send() unless the transport answers
 * each exchange inside its start callback.
 */
#ifndef OAI_TRANSPORT_H
#define OAI_TRANSPORT_H

#include "../oai.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A transport: the host's callbacks and their userdata. */
typedef struct oai_transport oai_transport;

/** One HTTP request and its response, owned by the engine. */
typedef struct oai_exchange oai_exchange;

/* ------------------------------------------------------------------------ */
/** @name Transports
 *  @{ */

/**
 * Sends an exchange. The host reads what to send with the accessors below
 * and answers now or later.
 * @param userdata the pointer given to oai_transport_new()
 * @param ex the exchange, valid until its end (see the file's description)
 * @return 0 when the exchange is under way, or the ::oai_status of a
 *         failure to start it, one of the classes oai_exchange_fail() takes
 *         (::OAI_ERR_CONNECTION, ::OAI_ERR_OUT_OF_MEMORY, ...; anything else
 *         counts as ::OAI_ERR_CONNECTION): the exchange then ends at once
 *         with that failure (retried as the engine's policy says) and is not
 *         cancelled later. A start callback that already answered the whole
 *         exchange returns 0.
 */
typedef int (*oai_transport_start_fn)(void *userdata, oai_exchange *ex);

/**
 * Stops an exchange that has not ended. After it returns the exchange is
 * gone: the host drops every reference to it and sends no more reports.
 * @param userdata the pointer given to oai_transport_new()
 */
typedef void (*oai_transport_cancel_fn)(void *userdata, oai_exchange *ex);

/**
 * Waits at most @p timeout_ms for I/O (0: do not wait; negative: until
 * something happens or a wakeup) and reports what arrived through the
 * oai_exchange_*() functions. Returning early is fine.
 * @param userdata the pointer given to oai_transport_new()
 * @return 0, or an ::oai_status when the transport itself failed (the
 *         waiting library call returns it)
 */
typedef int (*oai_transport_run_fn)(void *userdata, int timeout_ms);

/**
 * Makes a running or upcoming run callback return early. Called from any
 * thread (oai_client_wakeup()).
 * @param userdata the pointer given to oai_transport_new()
 */
typedef void (*oai_transport_wakeup_fn)(void *userdata);

/**
 * Asks the host to stop delivering an exchange's response body (@p paused
 * non-zero) or to go on (0): back-pressure, when the caller takes streamed
 * events more slowly than they arrive or a poll budget leaves data waiting.
 * A pause may be asked from inside the host's oai_exchange_receive_data()
 * for that exchange (the data it reported is taken); a resume only between
 * reports. While paused
 * the host should not call oai_exchange_receive_data() for @p ex (data it
 * already holds waits; the end may still be reported); a host that delivers
 * anyway is buffered, up to the client's response size limit.
 * @param userdata the pointer given to oai_transport_new()
 */
typedef void (*oai_transport_pause_fn)(void *userdata, oai_exchange *ex, int paused);

/**
 * Releases the host's state when the transport is freed (with its client,
 * or by oai_transport_free()), after every exchange has ended.
 * @param userdata the pointer given to oai_transport_new()
 */
typedef void (*oai_transport_free_fn)(void *userdata);

/**
 * Creates a transport from the host's callbacks.
 * @param start sends an exchange (required)
 * @param cancel stops one (required)
 * @param userdata passed to every callback
 * @return the transport, or NULL when @p start or @p cancel is NULL or
 *         memory ran out
 */
OAI_API oai_transport *oai_transport_new(oai_transport_start_fn start, oai_transport_cancel_fn cancel,
                                         void *userdata);

/** Sets the callback that waits for I/O (NULL: none).
 *  @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT for a NULL transport. */
OAI_API oai_status oai_transport_set_run(oai_transport *transport, oai_transport_run_fn fn);

/** Sets the callback that wakes the run callback (NULL: none).
 *  @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT for a NULL transport. */
OAI_API oai_status oai_transport_set_wakeup(oai_transport *transport, oai_transport_wakeup_fn fn);

/** Sets the callback that pauses and resumes an exchange's body (NULL:
 *  none; the engine then buffers what arrives).
 *  @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT for a NULL transport. */
OAI_API oai_status oai_transport_set_pause(oai_transport *transport, oai_transport_pause_fn fn);

/** Sets the callback that releases the host's state (NULL: none).
 *  @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT for a NULL transport. */
OAI_API oai_status oai_transport_set_free(oai_transport *transport, oai_transport_free_fn fn);

/**
 * Creates the built-in libcurl transport: connections kept alive and reused,
 * HTTP/2 where the server offers it, TLS verification always on, and
 * event-loop driving (oai_client_set_socket_callback()).
 * @param status receives ::OAI_OK, ::OAI_ERR_OUT_OF_MEMORY, or
 *        ::OAI_ERR_INVALID_ARGUMENT when the library was built without
 *        libcurl (may be NULL)
 * @return the transport, or NULL
 */
OAI_API oai_transport *oai_transport_curl_new(oai_status *status);

/** Frees a transport that was not given to a client. NULL is a no-op. */
OAI_API void oai_transport_free(oai_transport *transport);

/**
 * Makes the client send through @p transport, which it owns from now on
 * (it frees the one it had). Only while no call runs, and outside the
 * client's callbacks. A client made by oai_client_new() uses the libcurl
 * transport unless another is set before its first call; one built without
 * libcurl has none, and its calls fail with ::OAI_ERR_INVALID_ARGUMENT until
 * one is set.
 * @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT (NULL argument, calls
 *         running, inside a callback); the transport is freed on failure.
 */
OAI_API oai_status oai_client_set_transport(oai_client *client, oai_transport *transport);

/**
 * A monotonic clock in microseconds. The engine measures every delay and
 * timeout (retry waits, first-byte, idle and request timeouts) with it.
 * @param userdata the pointer given to oai_client_set_clock_callback()
 */
typedef int64_t (*oai_clock_fn)(void *userdata);

/**
 * Replaces the engine's clock (NULL: the system's monotonic clock), e.g.
 * with a simulated one, so that a test double of a transport can let a 30 s
 * `retry-after` pass in microseconds (its run callback advances the clock by
 * the timeout it is given). Only while no call runs. Waiting then needs a
 * run callback that moves the clock: without one, oai_client_send() fails
 * with ::OAI_ERR_INVALID_ARGUMENT rather than sleep on a clock that does
 * not move.
 * @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT (NULL client, calls
 *         running).
 */
OAI_API oai_status oai_client_set_clock_callback(oai_client *client, oai_clock_fn fn, void *userdata);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name What to send
 *  Borrowed from the exchange and valid until its end.
 *  @{ */

/** The method: "GET", "POST", "DELETE", ... ("" for a NULL exchange). */
OAI_API const char *oai_exchange_method(const oai_exchange *ex);

/** The full URL, query included ("" for a NULL exchange). */
OAI_API const char *oai_exchange_url(const oai_exchange *ex);

/** The number of header lines to send. The list is complete: the transport
 *  adds none of its own beyond what its protocol needs (Host,
 *  Content-Length or Transfer-Encoding, Connection). */
OAI_API size_t oai_exchange_header_count(const oai_exchange *ex);

/** The name of header @p index, or NULL past the end. */
OAI_API const char *oai_exchange_header_name(const oai_exchange *ex, size_t index);

/** The value of header @p index (may be ""), or NULL past the end. */
OAI_API const char *oai_exchange_header_value(const oai_exchange *ex, size_t index);

/** The request body's length in bytes: 0 when there is none. */
OAI_API int64_t oai_exchange_body_length(const oai_exchange *ex);

/**
 * The whole request body when it is held in memory (a JSON body), or NULL
 * when it must be pulled with oai_exchange_read_body() (a multipart upload,
 * read from its files as it is sent) or there is none.
 */
OAI_API const char *oai_exchange_body(const oai_exchange *ex);

/**
 * Copies the next bytes of the request body into @p buf. Works for every
 * body, in memory or not; a host can therefore always pull.
 * @return the number of bytes copied (0 at the end of the body), or a
 *         negative ::oai_status value (-::OAI_ERR_IO when a file of a
 *         multipart upload cannot be read, for example): fail the exchange
 *         with that status
 */
OAI_API int64_t oai_exchange_read_body(oai_exchange *ex, char *buf, size_t cap);

/**
 * Starts the request body again from its first byte, for a transport that
 * must send it again (a kept-alive connection that turned out to be closed
 * before the request went out, for example).
 * @return ::OAI_OK, ::OAI_ERR_IO (a file of a multipart upload can no
 *         longer be read), ::OAI_ERR_INVALID_ARGUMENT (NULL exchange)
 */
OAI_API oai_status oai_exchange_rewind_body(oai_exchange *ex);

/** The connect timeout the client was given, in ms (0: the transport's own
 *  default). The engine enforces every other timeout itself. */
OAI_API int64_t oai_exchange_connect_timeout_ms(const oai_exchange *ex);

/** The proxy the client was given: NULL to follow the environment, "" for
 *  none. A host transport may honour it or ignore it. */
OAI_API const char *oai_exchange_proxy(const oai_exchange *ex);

/** The CA bundle file the client was given, or NULL for the system's. */
OAI_API const char *oai_exchange_ca_file(const oai_exchange *ex);

/** The CA certificates (PEM) the client was given in memory, or NULL;
 *  @p len (may be NULL) receives their length. */
OAI_API const void *oai_exchange_ca_blob(const oai_exchange *ex, size_t *len);

/** 1 when the engine wants oai_exchange_report_sent() calls during this
 *  exchange (the caller watches progress, or a timeout counts upload
 *  activity), 0 when a transport may skip them. */
OAI_API int oai_exchange_wants_progress(const oai_exchange *ex);

/** Attaches the host's own pointer to the exchange (its request object). */
OAI_API void oai_exchange_set_host_data(oai_exchange *ex, void *data);

/** The pointer set with oai_exchange_set_host_data(), or NULL. */
OAI_API void *oai_exchange_host_data(const oai_exchange *ex);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name What came back
 *  The host reports the response in this order: the status, the headers,
 *  the body in any number of pieces, then the end. Each function returns
 *  ::OAI_OK to go on; ::OAI_ERR_CANCELLED when the engine has ended the
 *  exchange (stop, and do not use @p ex again); ::OAI_ERR_INVALID_ARGUMENT
 *  for a NULL exchange or a report out of order.
 *  @{ */

/** The final HTTP status (200, 404, ...; interim 1xx answers are not
 *  reported). */
OAI_API oai_status oai_exchange_receive_status(oai_exchange *ex, int http_status);

/** One response header, as received (the name in any case; neither needs a
 *  NUL terminator). */
OAI_API oai_status oai_exchange_receive_header(oai_exchange *ex, const char *name, size_t name_len,
                                               const char *value, size_t value_len);

/** The next bytes of the response body, transfer-decoded (no chunk framing,
 *  no content encoding), in any chunking. */
OAI_API oai_status oai_exchange_receive_data(oai_exchange *ex, const void *data, size_t len);

/** How much of the request body has gone out (optional: it keeps the idle
 *  timeout from firing during a slow upload, starts the first-byte timeout
 *  when the body is all sent, and lets the caller's progress callback
 *  cancel; worth calling only when oai_exchange_wants_progress() says so).
 *  It may be called repeatedly with the same values. @p total is the
 *  body's length. */
OAI_API oai_status oai_exchange_report_sent(oai_exchange *ex, int64_t sent, int64_t total);

/** The whole response has arrived. The exchange ends. */
OAI_API void oai_exchange_complete(oai_exchange *ex);

/**
 * The exchange failed. It ends.
 * @param status the class: ::OAI_ERR_CONNECTION (could not connect, the
 *        connection broke), ::OAI_ERR_TIMEOUT (the connect timeout),
 *        ::OAI_ERR_TLS, ::OAI_ERR_PROTOCOL (the peer's answer is not HTTP),
 *        ::OAI_ERR_TOO_LARGE (a header beyond the host's limits),
 *        ::OAI_ERR_IO (the request body could not be read),
 *        ::OAI_ERR_OUT_OF_MEMORY, ::OAI_ERR_INVALID_ARGUMENT (the host
 *        cannot send such a request: a URL scheme or option it does not
 *        support); anything else counts as ::OAI_ERR_CONNECTION. Only
 *        connection failures and timeouts are retried.
 * @param message a short description without secrets (copied; may be NULL)
 */
OAI_API void oai_exchange_fail(oai_exchange *ex, oai_status status, const char *message);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Deprecated names
 *  The 0.1 spellings the naming grammar of oai.h replaced; see "Deprecated
 *  names" there.
 *  @{ */

/** @deprecated Use oai_client_set_clock_callback(). */
OAI_DEPRECATED("use oai_client_set_clock_callback") OAI_API oai_status oai_client_set_clock(oai_client *client, oai_clock_fn fn, void *userdata);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* OAI_TRANSPORT_H */
