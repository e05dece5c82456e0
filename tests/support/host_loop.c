/* A host's own loops around one client (host_loop.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host_loop.h"

int64_t host_loop_real_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t host_loop_now_us(const host_loop *h)
{
    return h->mt ? memory_transport_now_us(h->mt) : host_loop_real_now_us();
}

static int find_sock(const host_loop *h, int64_t fd)
{
    for (int i = 0; i < h->sock_count; i++)
        if (h->socks[i].fd == fd)
            return i;
    return -1;
}

static int on_socket(void *ud, int64_t fd, int events)
{
    host_loop *h = ud;
    int i = find_sock(h, fd);
    if (events & OAI_POLL_REMOVE) {
        if (i >= 0)
            h->socks[i] = h->socks[--h->sock_count];
        return 0;
    }
    if (i < 0) {
        assert_true(h->sock_count < HOST_LOOP_MAX_SOCKETS);
        i = h->sock_count++;
        h->socks[i].fd = fd;
    }
    h->socks[i].events = events;
    return 0;
}

static int on_timer(void *ud, int64_t timeout_ms)
{
    host_loop *h = ud;
    h->timer_at = timeout_ms < 0 ? HOST_LOOP_NEVER : host_loop_now_us(h) + timeout_ms * 1000;
    return 0;
}

void host_loop_init(host_loop *h, oai_client *c, memory_transport *mt, int event_loop)
{
    memset(h, 0, sizeof *h);
    h->c = c;
    h->mt = mt;
    h->timer_at = HOST_LOOP_NEVER;
    if (event_loop) {
        if (!mt)
            assert_int_equal(oai_client_set_socket_callback(c, on_socket, h), OAI_OK);
        assert_int_equal(oai_client_set_timer_callback(c, on_timer, h), OAI_OK);
    }
}

static void action(host_loop *h, int64_t fd, int events)
{
    int rc = oai_client_socket_action(h->c, fd, events);
    assert_true(rc >= 0);
    h->running = rc;
}

void host_loop_once(host_loop *h)
{
    if (h->mt) {
        int64_t io_at = memory_transport_next_event_us(h->mt);
        int64_t at = io_at < h->timer_at ? io_at : h->timer_at;
        assert_true(at != HOST_LOOP_NEVER);
        int64_t now = memory_transport_now_us(h->mt);
        if (at > now)
            memory_transport_advance_us(h->mt, at - now);
        memory_transport_deliver(h->mt); /* no run callback: the host's I/O */
        if (h->timer_at <= memory_transport_now_us(h->mt)) {
            h->timer_at = HOST_LOOP_NEVER;
            action(h, OAI_SOCKET_TIMEOUT, 0);
        }
        return;
    }
    struct pollfd pfds[HOST_LOOP_MAX_SOCKETS];
    int n = h->sock_count;
    for (int i = 0; i < n; i++) {
        pfds[i].fd = (int)h->socks[i].fd;
        pfds[i].events = (short)(((h->socks[i].events & OAI_POLL_IN) ? POLLIN : 0) |
                                 ((h->socks[i].events & OAI_POLL_OUT) ? POLLOUT : 0));
        pfds[i].revents = 0;
    }
    int wait = 100;
    if (h->timer_at != HOST_LOOP_NEVER) {
        int64_t left = (h->timer_at - host_loop_real_now_us() + 999) / 1000;
        if (left < wait)
            wait = left < 0 ? 0 : (int)left;
    }
    int ready = poll(pfds, (nfds_t)n, wait);
    assert_true(ready >= 0);
    for (int i = 0; ready > 0 && i < n; i++) {
        if (!pfds[i].revents || find_sock(h, pfds[i].fd) < 0)
            continue;
        int events = 0;
        if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
            events |= OAI_POLL_IN;
        if (pfds[i].revents & POLLOUT)
            events |= OAI_POLL_OUT;
        action(h, pfds[i].fd, events);
    }
    if (h->timer_at != HOST_LOOP_NEVER && host_loop_real_now_us() >= h->timer_at) {
        h->timer_at = HOST_LOOP_NEVER;
        action(h, OAI_SOCKET_TIMEOUT, 0);
    }
}

int host_loop_frame(host_loop *h, int64_t memory_frame_us)
{
    if (h->mt) {
        memory_transport_advance_us(h->mt, memory_frame_us);
        memory_transport_deliver(h->mt);
    } else {
        usleep(1000);
    }
    int rc = oai_client_poll(h->c, 0);
    assert_true(rc >= 0);
    return rc;
}
