/* The error rule, on the sending side: a failed request (its constructor's
 * bad argument or unreadable file) sent with oai_client_send() or
 * oai_client_start() ends at once with a response carrying the request's
 * own status and message, and nothing reaches the transport. Runs on the
 * in-memory transport (no network).
 *
 * The engine (src/core/engine.c) must check oai__request_failure() before
 * anything else of a call; until it does, this suite is registered DISABLED
 * in tests/extra.cmake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "memory_transport.h"
#include "oai.h"

typedef struct fixture {
    oai_client *c;
    memory_transport *mt;
} fixture;

static int setup(void **state)
{
    static fixture f;
    f.c = oai_client_new();
    assert_non_null(f.c);
    assert_int_equal(oai_client_set_base_url(f.c, "http://127.0.0.1:9/v1"), OAI_OK);
    f.mt = memory_transport_new();
    assert_non_null(f.mt);
    assert_int_equal(memory_transport_attach(f.mt, f.c), OAI_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    memory_transport_free(f->mt);
    return 0;
}

static void assert_answered_with_request_error(const oai_response *res, const oai_request *req)
{
    assert_non_null(res);
    assert_int_equal(oai_response_status(res), oai_request_status(req));
    assert_string_equal(oai_response_error_message(res), oai_request_error_message(req));
    assert_int_equal(oai_response_http_status(res), 0);
    assert_int_equal(oai_response_retry_count(res), 0);
}

static void test_send(void **state)
{
    fixture *f = *state;
    oai_request *bad[] = {
        oai_chat_completion_create_request_new(NULL),
        oai_request_new("get", "/models"),
        oai_file_create_request_new("/nonexistent/oai/train.jsonl", "fine-tune"),
        oai_file_retrieve_request_new(""),
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_not_equal(oai_request_status(bad[i]), OAI_OK);
        oai_response *res = oai_client_send(f->c, bad[i]);
        assert_answered_with_request_error(res, bad[i]);
        oai_response_free(res);
        oai_request_free(bad[i]);
    }
    assert_int_equal(memory_transport_request_count(f->mt), 0);
}

typedef struct done_state {
    int calls;
    oai_response *res;
} done_state;

static void on_done(void *ud, oai_call *call, oai_response *res)
{
    (void)call;
    done_state *d = ud;
    d->calls++;
    d->res = res;
}

static void test_start(void **state)
{
    fixture *f = *state;
    oai_request *bad = oai_file_create_request_new("/nonexistent/oai/train.jsonl", "fine-tune");
    assert_int_equal(oai_request_status(bad), OAI_ERR_IO);
    done_state d = {0, NULL};
    oai_call *call = oai_client_start(f->c, bad, on_done, &d);
    assert_non_null(call);
    while (d.calls == 0)
        assert_true(oai_client_poll(f->c, 0) >= 0);
    assert_int_equal(d.calls, 1);
    assert_answered_with_request_error(d.res, bad);
    oai_response_free(d.res);
    oai_call_free(call);

    /* The pull form: no callback, the response waits in the call. */
    call = oai_client_start(f->c, bad, NULL, NULL);
    assert_non_null(call);
    while (!oai_call_is_done(call))
        assert_true(oai_client_poll(f->c, 0) >= 0);
    assert_int_equal(oai_call_status(call), OAI_ERR_IO);
    oai_response *res = oai_call_take_response(call);
    assert_answered_with_request_error(res, bad);
    oai_response_free(res);
    oai_call_free(call);
    oai_request_free(bad);
    assert_int_equal(memory_transport_request_count(f->mt), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_send, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
