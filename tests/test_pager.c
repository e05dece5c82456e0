/* The pager: cursor rules, stop rules, max_items and failed page fetches,
 * with scripted list pages from the mock server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_server.h"
#include "oai.h"
#include "sticky.h"

typedef struct fixture {
    mock_server *ms;
    oai_client *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    f->c = oai_client_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_set_base_url(f->c, mock_server_url(f->ms)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, "sk-test"), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(f->c, 1, 5), OAI_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    free(f);
    return 0;
}

/* A pager over GET /things?limit=2. */
static oai_pager *things_pager(fixture *f)
{
    oai_request *req = oai_request_new("GET", "/things");
    assert_non_null(req);
    assert_int_equal(oai_request_set_query(req, "limit", "2"), OAI_OK);
    oai_pager *p = oai_pager_new(f->c, req);
    oai_request_free(req); /* the pager keeps its own copy */
    assert_non_null(p);
    return p;
}

/* Reads every item's id into out (space-separated); returns the final status. */
static oai_status drain(oai_pager *p, char *out, size_t size)
{
    out[0] = '\0';
    for (;;) {
        const oai_value *item = NULL;
        oai_status st = oai_pager_next(p, &item);
        if (st != OAI_OK)
            return st;
        if (!item)
            return OAI_OK;
        const char *id = oai_value_get_string(item, "/id");
        size_t n = strlen(out);
        snprintf(out + n, size - n, "%s%s", n ? " " : "", id ? id : "?");
    }
}

static char *query_of(fixture *f, size_t index)
{
    const mock_request *r = mock_server_request(f->ms, index);
    assert_non_null(r);
    return r->query;
}

static void test_cursor_is_last_item_id(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"object\":\"list\",\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"object\":\"list\",\"data\":[{\"id\":\"c\"}],\"has_more\":false}");
    oai_pager *p = things_pager(f);
    assert_null(oai_pager_response(p));
    char ids[256];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a b c");
    /* At the end, further calls give NULL and fetch nothing. */
    const oai_value *item = (const oai_value *)p;
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_null(item);
    assert_int_equal(mock_server_request_count(f->ms), 2);
    assert_string_equal(mock_server_request(f->ms, 0)->method, "GET");
    assert_string_equal(mock_server_request(f->ms, 0)->path, "/v1/things");
    assert_string_equal(query_of(f, 0), "limit=2");
    assert_string_equal(query_of(f, 1), "limit=2&after=b");
    assert_int_equal(oai_response_http_status(oai_pager_response(p)), 200);
    oai_pager_free(p);
}

static void test_last_id_is_preferred(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true,\"last_id\":\"cursor-9\"}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"c\"}],\"has_more\":false}");
    oai_pager *p = things_pager(f);
    char ids[256];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a b c");
    assert_string_equal(query_of(f, 1), "limit=2&after=cursor-9");
    oai_pager_free(p);
}

static void test_empty_data_stops(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[],\"has_more\":true,\"last_id\":\"x\"}");
    oai_pager *p = things_pager(f);
    char ids[64];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "");
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_pager_free(p);
}

static void test_missing_cursor_stops(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"name\":\"no id\"},{\"id\":\"\"}],\"has_more\":true}");
    oai_pager *p = things_pager(f);
    int n = 0;
    const oai_value *item;
    while (oai_pager_next(p, &item) == OAI_OK && item)
        n++;
    assert_int_equal(n, 2);
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_pager_free(p);
}

/* A body that is not a list yields nothing. */
static void test_not_a_list(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":{\"id\":\"a\"},\"has_more\":true}");
    oai_pager *p = things_pager(f);
    const oai_value *item;
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_null(item);
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_pager_free(p);
}

static void test_max_items(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"c\"},{\"id\":\"d\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"e\"}],\"has_more\":false}");
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, 3), OAI_OK);
    char ids[256];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a b c");
    assert_int_equal(mock_server_request_count(f->ms), 2); /* the third page is never fetched */
    assert_int_equal(mock_server_pending(f->ms), 1);
    oai_pager_free(p);
}

static void test_failed_page_is_retried(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 500, NULL, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"b\"}],\"has_more\":false}");
    oai_pager *p = things_pager(f);
    char ids[64];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a b");
    assert_int_equal(mock_server_request_count(f->ms), 3);
    assert_string_equal(query_of(f, 1), "limit=2&after=a");
    assert_string_equal(query_of(f, 2), "limit=2&after=a");
    assert_int_equal(oai_response_retry_count(oai_pager_response(p)), 1);
    oai_pager_free(p);
}

static void test_failed_page_returns_status(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_max_retries(f->c, 1), OAI_OK);
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 500, NULL, "{\"error\":{\"message\":\"boom 1\"}}");
    mock_server_push_simple(f->ms, 503, NULL, "{\"error\":{\"message\":\"boom 2\"}}");
    oai_pager *p = things_pager(f);
    const oai_value *item;
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_string_equal(oai_value_get_string(item, "/id"), "a");
    assert_int_equal(oai_pager_next(p, &item), OAI_ERR_SERVER);
    assert_null(item);
    const oai_response *res = oai_pager_response(p);
    assert_int_equal(oai_response_http_status(res), 503);
    assert_string_equal(oai_response_error_message(res), "boom 2");
    assert_int_equal(mock_server_request_count(f->ms), 3);
    /* Calling again tries the same page again. */
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"b\"}],\"has_more\":false}");
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_string_equal(oai_value_get_string(item, "/id"), "b");
    assert_string_equal(query_of(f, 3), "limit=2&after=a");
    assert_int_equal(oai_pager_next(p, &item), OAI_OK);
    assert_null(item);
    oai_pager_free(p);
}

/* A 4xx is not retried, and the first page's failure is reported too. */
static void test_first_page_not_found(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 404, NULL, "{\"error\":{\"message\":\"no such list\"}}");
    oai_pager *p = things_pager(f);
    const oai_value *item;
    assert_int_equal(oai_pager_next(p, &item), OAI_ERR_NOT_FOUND);
    assert_null(item);
    assert_int_equal(oai_response_status(oai_pager_response(p)), OAI_ERR_NOT_FOUND);
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_pager_free(p);
}

/* The caller's own `after` starts the walk there. */
static void test_caller_after_is_kept_for_first_page(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"k\"}],\"has_more\":false}");
    oai_request *req = oai_request_new("GET", "/things");
    oai_request_set_query(req, "after", "j");
    oai_pager *p = oai_pager_new(f->c, req);
    oai_request_free(req);
    char ids[64];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "k");
    assert_string_equal(query_of(f, 0), "after=j");
    oai_pager_free(p);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_request_new("GET", "/things");
    assert_failed_object(oai_pager, oai_pager_new(NULL, req), OAI_ERR_INVALID_ARGUMENT, oai_pager_status, oai_pager_error_message, oai_pager_free);
    assert_failed_object(oai_pager, oai_pager_new(f->c, NULL), OAI_ERR_INVALID_ARGUMENT, oai_pager_status, oai_pager_error_message, oai_pager_free);
    oai_request_free(req);
    const oai_value *item = (const oai_value *)f;
    assert_int_equal(oai_pager_next(NULL, &item), OAI_ERR_INVALID_ARGUMENT);
    assert_null(item);
    assert_int_equal(oai_pager_set_max_items(NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_pager_response(NULL));
    oai_pager_free(NULL);
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_next(p, NULL), OAI_ERR_INVALID_ARGUMENT);
    oai_pager_free(p);
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

/* ---- stop rules for servers whose cursor never advances (issue 7, item 9) ---- */

/* Every test below sets a max-items guard: a pager that loops again fails
 * on the request count instead of hanging. */
#define GUARD_ITEMS 50

/* Prism's generated list body: `has_more: true` and the same last id on
 * every page, whatever `after` says. The second page repeats the cursor:
 * the pager ends with OAI_ERR_PROTOCOL instead of fetching it forever, and
 * the repeated page's items are not handed out again. */
static void test_repeated_cursor_stops(void **state)
{
    fixture *f = *state;
    static const char prism_page[] =
        "{\"data\":[{\"id\":\"string\",\"object\":\"batch\",\"status\":\"validating\"}],"
        "\"first_id\":\"string\",\"last_id\":\"string\",\"has_more\":true,\"object\":\"list\"}";
    for (int i = 0; i < 5; i++)
        mock_server_push_simple(f->ms, 200, NULL, prism_page);
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[1024];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_ERR_PROTOCOL);
    assert_string_equal(ids, "string");
    assert_int_equal(mock_server_request_count(f->ms), 2);
    assert_string_equal(query_of(f, 1), "limit=2&after=string");
    const oai_response *res = oai_pager_response(p);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    assert_int_equal(oai_response_http_status(res), 200);
    assert_string_equal(oai_response_error_message(res),
                        "the list's cursor did not advance: the page after \"string\" ends at \"string\", "
                        "a cursor already used (the server seems to ignore `after`)");
    /* It stays ended: no further request. */
    const oai_value *item = (const oai_value *)p;
    assert_int_equal(oai_pager_next(p, &item), OAI_ERR_PROTOCOL);
    assert_null(item);
    assert_int_equal(mock_server_request_count(f->ms), 2);
    oai_pager_free(p);
}

/* A cursor that comes back after other pages (a -> b -> a) is caught too. */
static void test_cursor_cycle_stops(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"b\"}],\"has_more\":true}");
    for (int i = 0; i < 5; i++)
        mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"}],\"has_more\":true}");
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[1024];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_ERR_PROTOCOL);
    assert_string_equal(ids, "a b");
    assert_int_equal(mock_server_request_count(f->ms), 3);
    assert_string_equal(oai_response_error_message(oai_pager_response(p)),
                        "the list's cursor did not advance: the page after \"b\" ends at \"a\", "
                        "a cursor already used (the server seems to ignore `after`)");
    oai_pager_free(p);
}

/* llama-server and mock-llm answer /models with no has_more and ignore
 * `after`; the official SDKs read such a list as one page (Node: a missing
 * has_more is false; /models is not cursor-paginated at all). */
static void test_missing_has_more_is_one_page(void **state)
{
    fixture *f = *state;
    static const char models[] =
        "{\"object\":\"list\",\"data\":[{\"id\":\"qwen2.5-0.5b-instruct-q4_k_m.gguf\",\"object\":\"model\","
        "\"owned_by\":\"llamacpp\"},{\"id\":\"second\",\"object\":\"model\"}]}";
    for (int i = 0; i < 5; i++)
        mock_server_push_simple(f->ms, 200, NULL, models);
    oai_request *req = oai_model_list_request_new();
    oai_pager *p = oai_pager_new(f->c, req);
    oai_request_free(req);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[2048];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "qwen2.5-0.5b-instruct-q4_k_m.gguf second");
    assert_int_equal(mock_server_request_count(f->ms), 1);
    assert_string_equal(mock_server_request(f->ms, 0)->path, "/v1/models");
    oai_pager_free(p);
}

/* A cursor page whose has_more is absent or null counts as the last page. */
static void test_missing_has_more_stops(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"}]}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"never\"}],\"has_more\":false}");
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[256];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a");
    assert_int_equal(mock_server_request_count(f->ms), 1);
    mock_server_reset(f->ms);
    oai_pager_free(p);

    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"b\"}],\"has_more\":null,\"last_id\":\"b\"}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"never\"}],\"has_more\":false}");
    p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "b");
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_pager_free(p);
}

/* The mock's own /models (no has_more, `after` ignored), unscripted: one
 * request, each model once. */
static void test_builtin_models_list_is_one_page(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_model_list_request_new();
    oai_pager *p = oai_pager_new(f->c, req);
    oai_request_free(req);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[2048];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_non_null(strstr(ids, "gpt-4o-mini"));
    assert_null(strstr(strstr(ids, "gpt-4o-mini") + 1, "gpt-4o-mini"));
    assert_int_equal(mock_server_request_count(f->ms), 1);
    oai_pager_free(p);
}

/* An empty page stops, whatever has_more says, after earlier pages too. */
static void test_empty_page_after_items_stops(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true}");
    for (int i = 0; i < 5; i++)
        mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[],\"has_more\":true,\"last_id\":\"b\"}");
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[256];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a b");
    assert_int_equal(mock_server_request_count(f->ms), 2);
    oai_pager_free(p);
}

/* The normal case still walks every page: three pages, distinct cursors. */
static void test_three_pages(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"c\"},{\"id\":\"d\"}],\"has_more\":true}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"data\":[{\"id\":\"e\"}],\"has_more\":false}");
    oai_pager *p = things_pager(f);
    assert_int_equal(oai_pager_set_max_items(p, GUARD_ITEMS), OAI_OK);
    char ids[256];
    assert_int_equal(drain(p, ids, sizeof ids), OAI_OK);
    assert_string_equal(ids, "a b c d e");
    assert_int_equal(mock_server_request_count(f->ms), 3);
    assert_string_equal(query_of(f, 1), "limit=2&after=b");
    assert_string_equal(query_of(f, 2), "limit=2&after=d");
    oai_pager_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cursor_is_last_item_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_id_is_preferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_has_more_is_one_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_has_more_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builtin_models_list_is_one_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_cursor_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_cycle_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_page_after_items_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_data_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_cursor_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_page_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_page_returns_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_page_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_after_is_kept_for_first_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
