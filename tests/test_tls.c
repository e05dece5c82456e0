/* TLS through the built-in transport, against a local HTTPS server with a
 * certificate made at test time (support/tls_server.c): oai_client_warm_up(),
 * the CA store shared by the clients of the process, a client's own CA file
 * or blob, a client whose CA changes between requests, and the TLS sessions
 * a client shares with its clones (oai_client_clone()), from one thread or
 * two. Real sockets on loopback, ephemeral ports, no internet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "oai.h"
#include "oai/transport.h"
#include "tls_server.h"
#include "transport/transport.h"

typedef struct fixture {
    tls_server *a;           /* the server the requests go to */
    tls_server *b;           /* another one, with another certificate */
    char dir[64];
    char ca_a[128];          /* a CA file with a's certificate */
    char ca_b[128];          /* one with b's */
    char url[64];            /* https://127.0.0.1:PORT/v1 of a */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->a = tls_server_start();
    f->b = tls_server_start();
    assert_non_null(f->a);
    assert_non_null(f->b);
    strcpy(f->dir, "/tmp/oai-test-tls-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->ca_a, sizeof f->ca_a, "%s/a.pem", f->dir);
    snprintf(f->ca_b, sizeof f->ca_b, "%s/b.pem", f->dir);
    assert_int_equal(tls_server_write_ca_file(f->a, f->ca_a, NULL), 0);
    assert_int_equal(tls_server_write_ca_file(f->b, f->ca_b, NULL), 0);
    snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/v1", tls_server_port(f->a));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tls_server_stop(f->a);
    tls_server_stop(f->b);
    unlink(f->ca_a);
    unlink(f->ca_b);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A client of server a, with the CA file given (NULL: the system's). */
static oai_client *client_of(const fixture *f, const char *ca_file)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, f->url), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-test"), OAI_OK);
    assert_int_equal(oai_client_set_max_retries(c, 0), OAI_OK);
    assert_int_equal(oai_client_set_proxy(c, ""), OAI_OK);
    if (ca_file)
        assert_int_equal(oai_client_set_ca_file(c, ca_file), OAI_OK);
    return c;
}

static oai_request *chat_request(void)
{
    oai_request *req = oai_request_new("POST", "/chat/completions");
    assert_non_null(req);
    assert_int_equal(oai_request_set_string(req, "/model", "gpt-4o-mini"), OAI_OK);
    assert_int_equal(oai_request_set_json(req, "/messages", "[{\"role\":\"user\",\"content\":\"hi\"}]"), OAI_OK);
    return req;
}

/* Sends a chat request; its status (and, on success, checks the answer). */
static oai_status send_chat(oai_client *c)
{
    oai_request *req = chat_request();
    oai_response *res = oai_client_send(c, req);
    oai_status st = oai_response_status(res);
    if (st == OAI_OK)
        assert_string_equal(oai_response_get_string(res, "/choices/0/message/content"), "hello over tls");
    oai_response_free(res);
    oai_request_free(req);
    return st;
}

/* The same on a connection the server closes after its answer, so that
 * the client's next request makes a new one. */
static oai_status send_chat_closing(oai_client *c)
{
    oai_request *req = chat_request();
    assert_int_equal(oai_request_set_header(req, "Connection", "close"), OAI_OK);
    oai_response *res = oai_client_send(c, req);
    oai_status st = oai_response_status(res);
    oai_response_free(res);
    oai_request_free(req);
    return st;
}

/* The client's store, as its transport holds it. */
static const void *store_of(oai_client *c)
{
    oai_status st;
    oai_transport *t = oai__engine_transport(c->engine, &st);
    assert_non_null(t);
    return oai__transport_tls_store(t);
}

/* ---- nothing to do, and refusals --------------------------------------------- */

static int t_start(void *ud, oai_exchange *ex)
{
    (void)ud;
    oai_exchange_fail(ex, OAI_ERR_CONNECTION, "not here");
    return 0;
}

static void t_cancel(void *ud, oai_exchange *ex)
{
    (void)ud;
    (void)ex;
}

static int on_socket(void *ud, int64_t fd, int events)
{
    (void)ud;
    (void)fd;
    (void)events;
    return 0;
}

static int on_timer(void *ud, int64_t timeout_ms)
{
    (void)ud;
    (void)timeout_ms;
    return 0;
}

static void test_nothing_to_do_and_refusals(void **state)
{
    fixture *f = *state;
    unsigned long parses = oai__tls_parse_count();
    oai_client *c = oai_client_new();
    assert_non_null(c);

    assert_int_equal(oai_client_warm_up(NULL, OAI_WARM_UP_CA), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_warm_up(c, 4), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_warm_up(c, -1), OAI_ERR_INVALID_ARGUMENT);

    /* Plain http: no TLS, nothing parsed, nothing connected. */
    assert_int_equal(oai_client_set_base_url(c, "http://127.0.0.1:1/v1"), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA | OAI_WARM_UP_CONNECT), OAI_OK);
    assert_int_equal(oai_client_set_ca_file(c, "/nonexistent/oai/ca.pem"), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_OK);

    /* A host transport: TLS is the host's. */
    assert_int_equal(oai_client_set_base_url(c, f->url), OAI_OK);
    assert_int_equal(oai_client_set_transport(c, oai_transport_new(t_start, t_cancel, NULL)), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA | OAI_WARM_UP_CONNECT), OAI_OK);
    oai_client_free(c);
    assert_int_equal(oai__tls_parse_count(), parses);
    assert_int_equal(tls_server_connections(f->a), 0);

    /* A client whose OPENAI_BASE_URL was refused carries that error. */
    setenv("OPENAI_BASE_URL", "not a url", 1);
    c = oai_client_new();
    unsetenv("OPENAI_BASE_URL");
    assert_non_null(c);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), oai_client_status(c));
    oai_client_free(c);

    /* Connecting ahead needs the transport to itself: not while a call
     * runs, not in event-loop mode. The CA alone is fine then. */
    c = client_of(f, f->ca_a);
    oai_request *req = chat_request();
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    assert_non_null(call);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CONNECT), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_OK);
    while (!oai_call_is_done(call))
        assert_true(oai_client_poll(c, 100) >= 0);
    assert_int_equal(oai_call_status(call), OAI_OK);
    oai_call_free(call);
    oai_request_free(req);
    oai_client_free(c);

    c = client_of(f, f->ca_a);
    assert_int_equal(oai_client_set_socket_callback(c, on_socket, NULL), OAI_OK);
    assert_int_equal(oai_client_set_timer_callback(c, on_timer, NULL), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CONNECT), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_OK);
    oai_client_free(c);
}

/* ---- warm-up, then the first request ----------------------------------------- */

static void test_ca_warm_up_then_request(void **state)
{
    fixture *f = *state;
    unsigned long parses = oai__tls_parse_count();
    oai_client *c = client_of(f, f->ca_a);

    assert_null(store_of(c));
    assert_int_equal(oai_client_warm_up(c, 0), OAI_OK); /* 0: the CA */
    assert_int_equal(oai__tls_parse_count(), parses + 1);
    assert_non_null(store_of(c));
    assert_int_equal(tls_server_connections(f->a), 0); /* no connection asked for */

    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(oai__tls_parse_count(), parses + 1); /* nothing parsed again */
    assert_int_equal(tls_server_handshakes(f->a), 1);   /* the second request reused it */
    oai_client_free(c);
}

/* The first request, polled frame by frame, uses the warm-up's connection. */
static void test_connect_warm_up_is_reused(void **state)
{
    fixture *f = *state;
    oai_client *c = client_of(f, NULL);
    const char *pem = tls_server_cert_pem(f->a);
    assert_int_equal(oai_client_set_ca_blob(c, pem, strlen(pem)), OAI_OK);

    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA | OAI_WARM_UP_CONNECT), OAI_OK);
    assert_int_equal(tls_server_connections(f->a), 1);
    assert_int_equal(tls_server_handshakes(f->a), 1);
    assert_int_equal(tls_server_requests(f->a), 1); /* the HEAD */

    oai_request *req = chat_request();
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    assert_non_null(call);
    for (int frames = 0; !oai_call_is_done(call); frames++) {
        assert_true(frames < 5000);
        assert_true(oai_client_poll(c, 0) >= 0);
        usleep(1000);
    }
    oai_response *res = oai_call_take_response(call);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/choices/0/message/content"), "hello over tls");
    oai_response_free(res);
    oai_call_free(call);
    oai_request_free(req);

    assert_int_equal(tls_server_connections(f->a), 1); /* the same connection */
    assert_int_equal(tls_server_handshakes(f->a), 1);
    assert_int_equal(tls_server_requests(f->a), 2);
    oai_client_free(c);
}

/* CONNECT alone (without the CA flag) loads the store too. */
static void test_connect_alone(void **state)
{
    fixture *f = *state;
    oai_client *c = client_of(f, f->ca_a);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CONNECT), OAI_OK);
    assert_non_null(store_of(c));
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 1);
    oai_client_free(c);
}

static void test_connect_failures(void **state)
{
    fixture *f = *state;
    oai_client *c = client_of(f, f->ca_b); /* b's certificate does not vouch for a */
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CONNECT), OAI_ERR_TLS);
    assert_int_equal(send_chat(c), OAI_ERR_TLS); /* and the client is still usable */

    /* Nobody listening. */
    assert_int_equal(oai_client_set_base_url(c, "https://127.0.0.1:1/v1"), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CONNECT), OAI_ERR_CONNECTION);
    oai_client_free(c);
}

/* ---- the store is the process's ------------------------------------------------ */

static void test_system_store_shared(void **state)
{
    (void)state;
    unsigned long parses = oai__tls_parse_count();
    oai_client *c1 = oai_client_new(), *c2 = oai_client_new();
    assert_non_null(c1);
    assert_non_null(c2);
    assert_int_equal(oai_client_set_base_url(c1, "https://127.0.0.1:1/v1"), OAI_OK);
    assert_int_equal(oai_client_set_base_url(c2, "https://localhost:2/v1"), OAI_OK);
    oai_status st = oai_client_warm_up(c1, OAI_WARM_UP_CA);
    if (st == OAI_ERR_TLS) { /* no system bundle on this machine */
        oai_client_free(c1);
        oai_client_free(c2);
        skip();
    }
    assert_int_equal(st, OAI_OK);
    unsigned long after_first = oai__tls_parse_count();
    assert_true(after_first - parses <= 1); /* 0 when an earlier test loaded it */
    assert_int_equal(oai_client_warm_up(c2, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(oai__tls_parse_count(), after_first);
    assert_non_null(store_of(c1));
    assert_ptr_equal(store_of(c1), store_of(c2));
    oai_client_free(c1);

    /* It outlives its clients: a new one finds it loaded. */
    c1 = oai_client_new();
    assert_non_null(c1);
    assert_int_equal(oai_client_set_base_url(c1, "https://127.0.0.1:1/v1"), OAI_OK);
    assert_int_equal(oai_client_warm_up(c1, OAI_WARM_UP_CA), OAI_OK);
    assert_ptr_equal(store_of(c1), store_of(c2));
    assert_int_equal(oai__tls_parse_count(), after_first);
    oai_client_free(c1);
    oai_client_free(c2);
}

static void test_custom_store_shared_while_used(void **state)
{
    fixture *f = *state;
    unsigned long parses = oai__tls_parse_count();
    oai_client *c1 = client_of(f, f->ca_a), *c2 = client_of(f, f->ca_a), *c3 = client_of(f, f->ca_b);

    assert_int_equal(oai_client_warm_up(c1, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(oai_client_warm_up(c2, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(oai__tls_parse_count(), parses + 1);
    assert_ptr_equal(store_of(c1), store_of(c2));
    assert_int_equal(oai_client_warm_up(c3, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(oai__tls_parse_count(), parses + 2);
    assert_ptr_not_equal(store_of(c3), store_of(c1));

    /* Requests of the second client need no parse either. */
    assert_int_equal(send_chat(c2), OAI_OK);
    assert_int_equal(oai__tls_parse_count(), parses + 2);

    /* Once no client holds it, it is freed: the file is read again. */
    oai_client_free(c1);
    oai_client_free(c2);
    c1 = client_of(f, f->ca_a);
    assert_int_equal(oai_client_warm_up(c1, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(oai__tls_parse_count(), parses + 3);
    oai_client_free(c1);
    oai_client_free(c3);
}

typedef struct racer {
    const fixture *f;
    pthread_barrier_t *start;
    oai_status status;
    const void *store;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    oai_client *c = oai_client_new();
    if (!c || oai_client_set_base_url(c, r->f->url) != OAI_OK || oai_client_set_ca_file(c, r->f->ca_b) != OAI_OK) {
        r->status = OAI_ERR_OUT_OF_MEMORY;
        oai_client_free(c);
        return NULL;
    }
    pthread_barrier_wait(r->start);
    r->status = oai_client_warm_up(c, OAI_WARM_UP_CA);
    oai_status st;
    r->store = oai__transport_tls_store(oai__engine_transport(c->engine, &st));
    pthread_barrier_wait(r->start); /* every client still holds it */
    oai_client_free(c);
    return NULL;
}

/* Clients on four threads warm up at once: one parse, one store. */
static void test_warm_up_from_threads(void **state)
{
    enum { N = 4 };
    fixture *f = *state;
    pthread_barrier_t start;
    pthread_t threads[N];
    racer racers[N];
    unsigned long parses = oai__tls_parse_count();
    assert_int_equal(pthread_barrier_init(&start, NULL, N), 0);
    for (int i = 0; i < N; i++) {
        racers[i] = (racer){f, &start, OAI_ERR_INVALID_ARGUMENT, NULL};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N; i++) {
        assert_int_equal(racers[i].status, OAI_OK);
        assert_non_null(racers[i].store);
        assert_ptr_equal(racers[i].store, racers[0].store);
    }
    assert_int_equal(oai__tls_parse_count(), parses + 1);
}

/* ---- whose CA ------------------------------------------------------------------- */

static void test_own_ca_only(void **state)
{
    fixture *f = *state;
    oai_client *sys = client_of(f, NULL), *own = client_of(f, f->ca_a), *other = client_of(f, f->ca_b);

    /* The system's store does not know the test certificate... */
    assert_int_equal(send_chat(sys), OAI_ERR_TLS);
    /* ...a client's own file does, and only that file counts: b's
     * certificate does not vouch for a. */
    assert_int_equal(send_chat(own), OAI_OK);
    assert_int_equal(send_chat(other), OAI_ERR_TLS);
    /* The shared system store took nothing from the custom one. */
    assert_int_equal(send_chat(sys), OAI_ERR_TLS);
    assert_ptr_not_equal(store_of(sys), store_of(own));
    oai_client_free(sys);
    oai_client_free(own);
    oai_client_free(other);
}

static void test_bad_ca(void **state)
{
    static const char garbage[] = "-----BEGIN CERTIFICATE-----\nnot base64\n";
    fixture *f = *state;
    oai_client *c = client_of(f, "/nonexistent/oai/ca.pem");
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_ERR_TLS);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CONNECT), OAI_ERR_TLS);
    assert_int_equal(send_chat(c), OAI_ERR_TLS);
    assert_int_equal(tls_server_requests(f->a), 0);

    assert_int_equal(oai_client_set_ca_file(c, NULL), OAI_OK);
    assert_int_equal(oai_client_set_ca_blob(c, garbage, sizeof garbage - 1), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_ERR_TLS);
    assert_int_equal(send_chat(c), OAI_ERR_TLS);

    /* Fixed, the same client works. */
    const char *pem = tls_server_cert_pem(f->a);
    assert_int_equal(oai_client_set_ca_blob(c, pem, strlen(pem)), OAI_OK);
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_OK);
    assert_int_equal(send_chat(c), OAI_OK);
    oai_client_free(c);
}

/* A pooled connection, or a TLS session, verified under one CA must not
 * serve a request that trusts another. */
static void test_ca_changed_between_requests(void **state)
{
    fixture *f = *state;
    oai_client *c = client_of(f, f->ca_a);
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 1);

    assert_int_equal(oai_client_set_ca_file(c, f->ca_b), OAI_OK);
    assert_int_equal(send_chat(c), OAI_ERR_TLS);
    assert_int_equal(oai_client_set_ca_file(c, f->ca_a), OAI_OK);
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 2); /* a new pool, then reused */

    /* The same while another call of the old CA is under way: the new one
     * runs apart from the pool. */
    oai_request *req = chat_request();
    oai_call *first = oai_client_start(c, req, NULL, NULL);
    assert_non_null(first);
    assert_int_equal(oai_client_set_ca_file(c, f->ca_b), OAI_OK);
    oai_call *second = oai_client_start(c, req, NULL, NULL);
    assert_non_null(second);
    while (!oai_call_is_done(first) || !oai_call_is_done(second))
        assert_true(oai_client_poll(c, 100) >= 0);
    assert_int_equal(oai_call_status(first), OAI_OK);
    assert_int_equal(oai_call_status(second), OAI_ERR_TLS);
    oai_call_free(first);
    oai_call_free(second);

    /* And the old pool is still good for the old CA. */
    assert_int_equal(oai_client_set_ca_file(c, f->ca_a), OAI_OK);
    unsigned handshakes = tls_server_handshakes(f->a);
    assert_int_equal(send_chat(c), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), handshakes);
    oai_request_free(req);
    oai_client_free(c);
}

/* ---- clones share TLS sessions ---------------------------------------------- */

/* A clone's first connection resumes the session its source negotiated
 * (the TLS 1.3 tickets arrived with the source's first answer), whether
 * the source's transport was made before the clone or not; an unrelated
 * client's does not. The source freed first, its clones still share. */
static void test_clone_resumes_session(void **state)
{
    fixture *f = *state;
    oai_client *src = client_of(f, f->ca_a);
    assert_int_equal(send_chat(src), OAI_OK); /* its transport is made here */
    assert_int_equal(tls_server_handshakes(f->a), 1);
    assert_int_equal(tls_server_resumed(f->a), 0);

    oai_client *clone = oai_client_clone(src);
    assert_non_null(clone);
    assert_int_equal(send_chat(clone), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 2); /* a connection of its own */
    assert_int_equal(tls_server_resumed(f->a), 1);    /* the source's session */
    assert_int_equal(send_chat(clone), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 2); /* and kept alive */

    oai_client *other = client_of(f, f->ca_a);
    assert_int_equal(send_chat(other), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 3);
    assert_int_equal(tls_server_resumed(f->a), 1); /* nothing to resume */
    oai_client_free(other);

    /* A clone of the clone is in the same group; then the source goes. */
    oai_client *grand = oai_client_clone(clone);
    assert_non_null(grand);
    oai_client_free(src);
    assert_int_equal(send_chat(grand), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 4);
    assert_int_equal(tls_server_resumed(f->a), 2);
    oai_client *late = oai_client_clone(grand);
    assert_non_null(late);
    oai_client_free(grand);
    assert_int_equal(send_chat(late), OAI_OK);
    assert_int_equal(tls_server_resumed(f->a), 3);
    oai_client_free(clone);
    oai_client_free(late);
}

/* Cloned before either has a transport; the clone connects first and is
 * freed first: the source resumes the clone's session, before and after. */
static void test_clone_freed_first(void **state)
{
    fixture *f = *state;
    oai_client *src = client_of(f, f->ca_a);
    oai_client *clone = oai_client_clone(src);
    assert_non_null(clone);
    assert_int_equal(send_chat(clone), OAI_OK);
    assert_int_equal(send_chat(src), OAI_OK);
    assert_int_equal(tls_server_handshakes(f->a), 2);
    assert_int_equal(tls_server_resumed(f->a), 1);
    oai_client_free(clone);
    assert_int_equal(send_chat_closing(src), OAI_OK); /* its pooled connection */
    assert_int_equal(send_chat(src), OAI_OK);         /* a new one, resumed */
    assert_int_equal(tls_server_handshakes(f->a), 3);
    assert_int_equal(tls_server_resumed(f->a), 2);
    oai_client_free(src);
}

/* A session stands for a certificate check under one trust: a clone given
 * another CA makes a full handshake and fails it, rather than resume the
 * source's session; given back the source's CA, it resumes. */
static void test_clone_with_other_ca_does_not_resume(void **state)
{
    fixture *f = *state;
    oai_client *src = client_of(f, f->ca_a);
    assert_int_equal(send_chat(src), OAI_OK);
    oai_client *clone = oai_client_clone(src);
    assert_non_null(clone);
    assert_int_equal(oai_client_set_ca_file(clone, f->ca_b), OAI_OK);
    assert_int_equal(send_chat(clone), OAI_ERR_TLS);
    assert_int_equal(tls_server_resumed(f->a), 0);
    assert_int_equal(oai_client_set_ca_file(clone, f->ca_a), OAI_OK);
    assert_int_equal(send_chat(clone), OAI_OK);
    assert_int_equal(tls_server_resumed(f->a), 1);
    oai_client_free(src);
    oai_client_free(clone);
}

typedef struct clone_runner {
    oai_client *client;      /* freed by the runner */
    pthread_barrier_t *start;
    int rounds;
    int failures;
} clone_runner;

/* New connections, one per request: each looks up and stores sessions in
 * the group's cache while the other thread does the same. */
static void *run_clone(void *arg)
{
    clone_runner *r = arg;
    pthread_barrier_wait(r->start);
    for (int i = 0; i < r->rounds; i++) {
        oai_request *req = oai_request_new("POST", "/chat/completions");
        oai_response *res = NULL;
        if (req && oai_request_set_string(req, "/model", "gpt-4o-mini") == OAI_OK &&
            oai_request_set_header(req, "Connection", "close") == OAI_OK)
            res = oai_client_send(r->client, req);
        if (!res || oai_response_status(res) != OAI_OK) {
            fprintf(stderr, "round %d: %s\n", i, oai_response_error_message(res));
            r->failures++;
        }
        oai_response_free(res);
        oai_request_free(req);
    }
    oai_client_free(r->client); /* while the other thread may free its own */
    return NULL;
}

/* A source and its clone, each driven on its own thread at once, share one
 * session cache; each frees its client when done. */
static void test_clone_on_another_thread(void **state)
{
    enum { ROUNDS = 12 };
    fixture *f = *state;
    pthread_barrier_t start;
    pthread_t threads[2];
    clone_runner runners[2];
    oai_client *src = client_of(f, f->ca_a);
    assert_int_equal(send_chat(src), OAI_OK);
    oai_client *clone = oai_client_clone(src);
    assert_non_null(clone);
    assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
    runners[0] = (clone_runner){src, &start, ROUNDS, 0};
    runners[1] = (clone_runner){clone, &start, ROUNDS, 0};
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, run_clone, &runners[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    pthread_barrier_destroy(&start);
    assert_int_equal(runners[0].failures, 0);
    assert_int_equal(runners[1].failures, 0);
    /* Every request but the source's first (on its pooled connection)
     * had a connection of its own, and nearly every one resumed a session,
     * whichever thread stored it (all of them in nine runs out of ten; now
     * and then one makes a full handshake when the threads race). */
    assert_int_equal(tls_server_handshakes(f->a), 2 * ROUNDS);
    assert_true(tls_server_resumed(f->a) >= 2 * ROUNDS - 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nothing_to_do_and_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_warm_up_then_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_warm_up_is_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_system_store_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_store_shared_while_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warm_up_from_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_ca_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_changed_between_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_resumes_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_freed_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_with_other_ca_does_not_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clone_on_another_thread, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
