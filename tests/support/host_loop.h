/* A host's own loops around one client, for the suites that drive the
 * engine in every mode (test_workflows, test_tool_loop): the polled frame
 * and the event loop (sockets and the one timer, as the host's callbacks
 * learn them), on the real clock with poll(2) for libcurl, or on the fake
 * clock of the in-memory transport. Failures are cmocka assertions. */
#ifndef OAI_TEST_HOST_LOOP_H
#define OAI_TEST_HOST_LOOP_H

#include <stdint.h>

#include "memory_transport.h"
#include "oai.h"

#define HOST_LOOP_NEVER INT64_MAX
#define HOST_LOOP_MAX_SOCKETS 64

typedef struct host_loop {
    oai_client *c;
    memory_transport *mt; /* NULL: libcurl, the real clock and poll(2) */
    struct {
        int64_t fd;
        int events;
    } socks[HOST_LOOP_MAX_SOCKETS];
    int sock_count;
    int64_t timer_at; /* HOST_LOOP_NEVER: no timer */
    int running;      /* what the last socket action returned */
} host_loop;

/* Sets the loop up for client c (on the in-memory transport mt, or NULL);
 * with event_loop, installs its socket (libcurl only) and timer callbacks
 * on the client. */
void host_loop_init(host_loop *h, oai_client *c, memory_transport *mt, int event_loop);

/* The monotonic clock, in microseconds. */
int64_t host_loop_real_now_us(void);

/* The loop's clock: the fake one with the in-memory transport. */
int64_t host_loop_now_us(const host_loop *h);

/* One turn of the event loop. libcurl: poll(2) over the watched sockets and
 * the timer (at most 100 ms). Memory: the fake clock moved to the
 * transport's next event or the timer, delivered, the timer acted on. */
void host_loop_once(host_loop *h);

/* One frame of the polled mode: the frame's time passes (memory_frame_us of
 * fake time; 1 ms of real time for libcurl), then one oai_client_poll(c, 0).
 * Returns what the poll returned. */
int host_loop_frame(host_loop *h, int64_t memory_frame_us);

#endif
