/* An in-memory transport for the tests: no sockets, no threads, no sleeping.
 *
 * It is written only against the public headers (oai.h, oai/transport.h),
 * as a host would write one, and is scripted with the mock server's own
 * mock_reply (mock_server.h), so one scenario script drives both the real
 * libcurl transport against the mock server and this transport.
 *
 * Time is a fake clock, installed on the client with the transport. The
 * run callback delivers everything that is due; when nothing is, it moves
 * the clock to the next scripted event or by the timeout the engine gave it,
 * whichever comes first. So a client waiting out a 30 s retry-after, or a
 * 10-minute first-byte timeout, finishes at once in real time, and every
 * delay a test observes is exact.
 *
 * What a reply becomes, mirroring the mock server (tests/support/mock_http.c):
 * - after delay_ms, the status and the headers: Content-Type (from
 *   content_type, default application/json, unless the scripted lines have
 *   one), Content-Length or Transfer-Encoding: chunked, x-request-id
 *   (req_memory_N unless scripted), then the scripted header lines;
 * - the body in one oai_exchange_receive_data() call, or each chunk in one
 *   call, the first after its own delay, the others chunk_delay_ms apart;
 * - faults: closed or reset before the response, or mid-body (after
 *   fault_after body bytes, or chunks) -> oai_exchange_fail(OAI_ERR_CONNECTION);
 *   a stall sends nothing for stall_ms (default 10 s, -1 for ever), then
 *   fails the same way, unless the engine's timers end the exchange first.
 * When nothing is scripted, a request gets 404 with an OpenAI-style error.
 *
 * Ownership: memory_transport_new() gives the test a reference; attaching
 * gives the client another, dropped when the client frees its transport.
 * Either may go first. The fake clock stays the client's until it is freed:
 * do not replace the transport of a client it is attached to.
 */
#ifndef OAI_MEMORY_TRANSPORT_H
#define OAI_MEMORY_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mock_server.h"
#include "oai.h"
#include "oai/transport.h"

typedef struct memory_transport memory_transport;

/* A new transport with an empty script; the fake clock starts at an
 * arbitrary non-zero time. NULL when memory ran out. */
memory_transport *memory_transport_new(void);

/* Drops the test's reference (NULL is a no-op). */
void memory_transport_free(memory_transport *mt);

/* Makes @p client send through this transport and read time from its fake
 * clock: oai_client_set_transport() and oai_client_set_clock_callback(). At most
 * once per transport, while the client runs no call. */
oai_status memory_transport_attach(memory_transport *mt, oai_client *client);

/* ---- the script ------------------------------------------------------------ */

/* Queues a reply (copied); requests take them in FIFO order. 0, or -1 when
 * memory ran out. */
int memory_transport_push(memory_transport *mt, const mock_reply *reply);

/* Replies queued and not yet used. */
size_t memory_transport_pending(const memory_transport *mt);

/* The next @p count starts fail with @p status (the transport's start
 * callback returns it: the engine sees a transport that could not send). */
void memory_transport_fail_starts(memory_transport *mt, int count, oai_status status);

/* ---- modes (set before the exchanges they should affect) ------------------- */

/* Answers inside the start callback whatever is due at once (a reply with no
 * delay is then answered completely before the start callback returns),
 * instead of waiting for the next run. */
void memory_transport_set_answer_in_start(memory_transport *mt, int on);

/* Delivers every body and chunk one byte per oai_exchange_receive_data(). */
void memory_transport_set_split_bytes(memory_transport *mt, int on);

/* Whether the transport attached next has a run callback (default 1).
 * Without one, oai_client_send() can wait only on exchanges answered inside
 * the start callback; a polling host drives the client with
 * oai_client_poll(client, 0) and moves the clock itself. */
void memory_transport_set_has_run(memory_transport *mt, int on);

/* Whether the transport attached next has a pause callback (default 1):
 * a paused exchange gets no more chunks until resumed. */
void memory_transport_set_has_pause(memory_transport *mt, int on);

/* ---- the fake clock ---------------------------------------------------------- */

int64_t memory_transport_now_us(const memory_transport *mt);

/* Moves the clock forward (a frame of a polling host's loop); delivers
 * nothing by itself: the next run or poll does. */
void memory_transport_advance_us(memory_transport *mt, int64_t us);

/* Delivers whatever is due now, as a host's own loop would between polls;
 * returns the number of steps taken. */
int memory_transport_deliver(memory_transport *mt);

/* When the next scripted event is due (INT64_MAX: none), for a host loop
 * that waits on its own I/O and the engine's timer. */
int64_t memory_transport_next_event_us(const memory_transport *mt);

/* ---- what happened -------------------------------------------------------- */

/* Requests received (each exchange that started), in order, recorded like
 * the mock server records them: method, target, path, query, headers, and
 * the body pulled with oai_exchange_read_body(). connection_id numbers the
 * exchanges (1, 2, ...); form is not parsed. */
size_t memory_transport_request_count(const memory_transport *mt);
const mock_request *memory_transport_request(const memory_transport *mt, size_t index);

/* The fake time at which request @p index started. */
int64_t memory_transport_request_time_us(const memory_transport *mt, size_t index);

/* Exchanges under way (started, not yet ended). */
size_t memory_transport_in_flight(const memory_transport *mt);

/* How often the engine cancelled an exchange through the cancel callback. */
int memory_transport_cancels(const memory_transport *mt);

/* How often the run callback was asked to wait for ever with nothing
 * scripted to come (it then returns OAI_ERR_TIMEOUT instead of hanging). */
int memory_transport_stuck(const memory_transport *mt);

/* How often the engine paused and resumed an exchange (back-pressure). */
int memory_transport_pauses(const memory_transport *mt);
int memory_transport_resumes(const memory_transport *mt);

/* Breaches of the transport contract seen from the host's side: a cancel of
 * an unknown or ended exchange, a report made in order but refused, a body
 * longer or shorter than oai_exchange_body_length(), the transport freed
 * with exchanges under way. 0 in a correct engine. */
int memory_transport_violations(const memory_transport *mt);

#endif
