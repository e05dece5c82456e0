/*
 * event_loop.c — stream a chat answer from your own event loop.
 *
 * Programs built around an event loop (libuv, libevent, asio, Qt, a game
 * engine's reactor) must never block in a library. Here the loop owns the
 * waiting: the client says which sockets to watch and when to wake it, the
 * loop waits with poll(2) and tells the client what happened. A libuv or
 * asio integration has the same shape, with uv_poll_t/uv_timer_t or
 * asio's socket and timer objects in place of the arrays below. (POSIX;
 * on Windows use WSAPoll or your framework.)
 *
 *   export OPENAI_API_KEY=sk-...
 *   ./example_event_loop [MODEL]
 *
 * Set OPENAI_BASE_URL to talk to a local OpenAI-compatible server.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <poll.h>
#include <stdio.h>
#include <time.h>

#include <oai.h>

#define MAX_WATCHED 16

/* What the loop waits for: sockets with their events, and one timer. */
typedef struct loop {
    struct pollfd fds[MAX_WATCHED];
    int count;
    long long timer_at_ms; /* -1: no timer */
    int failed;            /* more sockets than we have room for */
} loop;

/* Everything the finished call leaves for main(). */
typedef struct outcome {
    int done;
    oai_status status;
    char message[256];
} outcome;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The client asks to watch a socket for reading and/or writing, or to stop
 * watching it. We only record it: no calls into the client from here. */
static int on_socket(void *userdata, int64_t fd, int events)
{
    loop *l = userdata;
    int i;
    for (i = 0; i < l->count && l->fds[i].fd != (int)fd; i++)
        ;
    if (events & OAI_POLL_REMOVE) {
        if (i < l->count)
            l->fds[i] = l->fds[--l->count];
        return 0;
    }
    if (i == l->count) {
        if (l->count == MAX_WATCHED) {
            l->failed = 1;
            return 0;
        }
        l->count++;
        l->fds[i].fd = (int)fd;
    }
    l->fds[i].events = (short)(((events & OAI_POLL_IN) ? POLLIN : 0) |
                               ((events & OAI_POLL_OUT) ? POLLOUT : 0));
    return 0;
}

/* The client sets the loop's one timer (-1: delete it). It covers the
 * client's retry delays and timeouts as well as the network library's. */
static int on_timer(void *userdata, int64_t timeout_ms)
{
    loop *l = userdata;
    l->timer_at_ms = timeout_ms < 0 ? -1 : now_ms() + (long long)timeout_ms;
    return 0;
}

/* Streamed text arrives piece by piece, from inside oai_client_socket_action(). */
static int on_event(void *userdata, const oai_event *ev)
{
    (void)userdata;
    if (oai_event_type_of(ev) == OAI_EVENT_TEXT && oai_event_text(ev)) {
        fwrite(oai_event_text(ev), 1, oai_event_text_len(ev), stdout);
        fflush(stdout);
    }
    return 0; /* non-zero would cancel the call */
}

/* The call ended: remember how, and free the response and the call, which
 * we own. */
static void on_done(void *userdata, oai_call *call, oai_response *res)
{
    outcome *out = userdata;
    const char *message = oai_response_error_message(res);
    out->done = 1;
    out->status = oai_response_status(res);
    snprintf(out->message, sizeof out->message, "%s",
             message ? message : oai_status_message(out->status));
    oai_response_free(res);
    oai_call_free(call);
}

/* One turn of the loop: wait for a socket or the timer, then report. */
static int run_once(loop *l, oai_client *client)
{
    struct pollfd ready[MAX_WATCHED];
    int n = l->count, i, wait_ms = -1;
    if (l->timer_at_ms >= 0) {
        long long left = l->timer_at_ms - now_ms();
        wait_ms = left > 0 ? (int)left : 0;
    }
    /* A copy: reporting one socket may change the watched set. */
    for (i = 0; i < n; i++)
        ready[i] = l->fds[i];
    if (poll(ready, (nfds_t)n, wait_ms) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        int events = 0;
        if (ready[i].revents & (POLLIN | POLLHUP | POLLERR))
            events |= OAI_POLL_IN;
        if (ready[i].revents & POLLOUT)
            events |= OAI_POLL_OUT;
        if (events && oai_client_socket_action(client, ready[i].fd, events) < 0)
            return -1;
    }
    if (l->timer_at_ms >= 0 && now_ms() >= l->timer_at_ms) {
        l->timer_at_ms = -1; /* the timer is one-shot */
        if (oai_client_socket_action(client, OAI_SOCKET_TIMEOUT, 0) < 0)
            return -1;
    }
    return l->failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *model = argc > 1 ? argv[1] : "gpt-4o-mini";
    loop l = {{{0, 0, 0}}, 0, -1, 0};
    outcome out = {0, OAI_OK, ""};
    oai_client *client = oai_client_new();
    oai_request *req = oai_chat_completion_create_request_new(model);
    int ok = client && req;

    /* Hand the waiting to our loop; this must come before the first call. */
    ok = ok && oai_client_set_socket_callback(client, on_socket, &l) == OAI_OK &&
         oai_client_set_timer_callback(client, on_timer, &l) == OAI_OK;
    ok = ok && oai_chat_request_add_message(req, "user", "Say hello in five languages.") == OAI_OK &&
         oai_request_set_event_callback(req, on_event, NULL) == OAI_OK; /* streams */
    ok = ok && oai_client_start(client, req, on_done, &out) != NULL;
    oai_request_free(req); /* the call has its own copy */
    if (!ok) {
        fprintf(stderr, "error: cannot set up the client or the request\n");
        oai_client_free(client);
        return 1;
    }

    /* A real program would serve its other sockets and timers here too. */
    while (!out.done) {
        if (run_once(&l, client) != 0) {
            fprintf(stderr, "error: the event loop failed\n");
            oai_client_free(client);
            return 1;
        }
    }
    printf("\n");
    if (out.status != OAI_OK)
        fprintf(stderr, "error: %s: %s\n", oai_status_name(out.status), out.message);

    /* Freeing the client also removes its sockets from the loop. */
    oai_client_free(client);
    return out.status == OAI_OK ? 0 : 1;
}
