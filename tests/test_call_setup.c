/* What a call works out once instead of at every attempt (issue 10): the
 * client's headers formatted once per set of options, the URL cached per
 * base URL and path, and a started call's own snapshot of its request
 * instead of a deep copy.
 *
 * The headers are checked against a reference: the per-attempt merge the
 * engine did before (the library's headers, then the client's, then the
 * request's, each replacing a header of the same name in place or going at
 * the end, a NULL value removing), written out here over the client's and
 * the request's own lists, for every combination of client headers that
 * replace, remove or add, bodies that are there or not, timeouts,
 * idempotency keys, two attempts, and both the blocking and the started
 * call. Names, spellings, values and order must match exactly. Everything
 * runs on the in-memory transport, which records each request's headers in
 * the order the exchange lists them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "memory_transport.h"
#include "oai.h"

/* ---- the reference merge ----------------------------------------------------- */

#define GENERATED_KEY "<generated key>"
#define MULTIPART_TYPE "<multipart type>"
#define MAX_REF 64

typedef struct ref_list {
    char *names[MAX_REF];
    char *values[MAX_REF];
    size_t n;
} ref_list;

static int same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static void ref_free(ref_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->names[i]);
        free(l->values[i]);
    }
    l->n = 0;
}

static void ref_add(ref_list *l, const char *name, const char *value)
{
    assert_true(l->n < MAX_REF);
    l->names[l->n] = strdup(name);
    l->values[l->n] = strdup(value);
    l->n++;
}

/* What the engine's header_set() did: replace the first header of that
 * name (taking the new spelling), append, or remove with NULL. */
static void ref_put(ref_list *l, const char *name, const char *value)
{
    size_t i = 0;
    while (i < l->n && !same_name(l->names[i], name))
        i++;
    if (i < l->n && !value) {
        free(l->names[i]);
        free(l->values[i]);
        memmove(l->names + i, l->names + i + 1, (l->n - i - 1) * sizeof *l->names);
        memmove(l->values + i, l->values + i + 1, (l->n - i - 1) * sizeof *l->values);
        l->n--;
        return;
    }
    if (!value)
        return;
    if (i == l->n) {
        ref_add(l, name, value);
        return;
    }
    free(l->names[i]);
    free(l->values[i]);
    l->names[i] = strdup(name);
    l->values[i] = strdup(value);
}

static const char *ref_os(void)
{
#if defined(__APPLE__)
    return "MacOS";
#elif defined(__linux__)
    return "Linux";
#elif defined(_WIN32)
    return "Windows";
#elif defined(__FreeBSD__)
    return "FreeBSD";
#elif defined(__OpenBSD__)
    return "OpenBSD";
#else
    return "Unknown";
#endif
}

static const char *ref_arch(void)
{
#if defined(__x86_64__) || defined(_M_X64)
    return "x64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    return "arm64";
#elif defined(__i386__) || defined(_M_IX86)
    return "x32";
#elif defined(__arm__)
    return "arm";
#else
    return "unknown";
#endif
}

/* The headers of attempt `retries` of r on c, as the engine merged them
 * per attempt before issue 10. */
static void ref_headers(ref_list *l, const oai_client *c, const oai_request *r, int retries)
{
    char text[512];
    l->n = 0;
    if (c->api_key) {
        snprintf(text, sizeof text, "Bearer %s", c->api_key);
        ref_add(l, "Authorization", text);
    }
    if (c->organization)
        ref_add(l, "OpenAI-Organization", c->organization);
    if (c->project)
        ref_add(l, "OpenAI-Project", c->project);
    ref_add(l, "User-Agent", c->user_agent ? c->user_agent : "oai/C " OAI_VERSION_STRING);
    ref_add(l, "Accept", r->event_fn || r->stream_pull ? "text/event-stream" : "application/json");
    if (r->part_count)
        ref_add(l, "Content-Type", MULTIPART_TYPE);
    else if (r->body)
        ref_add(l, "Content-Type", "application/json");
    int64_t timeout_ms = r->timeout_ms >= 0 ? r->timeout_ms : c->timeout_ms;
    if (c->platform_headers) {
        ref_add(l, "X-Stainless-Lang", "c");
        ref_add(l, "X-Stainless-Package-Version", OAI_VERSION_STRING);
        ref_add(l, "X-Stainless-OS", ref_os());
        ref_add(l, "X-Stainless-Arch", ref_arch());
        ref_add(l, "X-Stainless-Runtime", "c");
        snprintf(text, sizeof text, "%d", retries);
        ref_add(l, "X-Stainless-Retry-Count", text);
        if (timeout_ms > 0) {
            snprintf(text, sizeof text, "%lld", (long long)(timeout_ms / 1000));
            ref_add(l, "X-Stainless-Timeout", text);
        }
    }
    if (r->idempotency_key)
        ref_add(l, "Idempotency-Key", *r->idempotency_key ? r->idempotency_key : GENERATED_KEY);
    for (size_t i = 0; i < c->headers.count; i++)
        ref_put(l, c->headers.items[i].name, c->headers.items[i].value);
    for (size_t i = 0; i < r->headers.count; i++)
        ref_put(l, r->headers.items[i].name, r->headers.items[i].value);
}

/* The recorded request carries exactly the reference's headers; a
 * generated idempotency key is returned through *key (the same on every
 * attempt). */
static void assert_headers(const mock_request *got, const ref_list *want, char **key, const char *what)
{
    if (got->header_count != want->n) {
        for (size_t i = 0; i < got->header_count; i++)
            print_message("  got  %s: %s\n", got->header_names[i], got->header_values[i]);
        for (size_t i = 0; i < want->n; i++)
            print_message("  want %s: %s\n", want->names[i], want->values[i]);
        fail_msg("%s: %zu headers sent, %zu expected", what, got->header_count, want->n);
    }
    for (size_t i = 0; i < want->n; i++) {
        const char *name = got->header_names[i], *value = got->header_values[i];
        if (strcmp(name, want->names[i]) != 0)
            fail_msg("%s: header %zu is %s, expected %s", what, i, name, want->names[i]);
        if (strcmp(want->values[i], MULTIPART_TYPE) == 0) {
            assert_true(strncmp(value, "multipart/form-data; boundary=", 30) == 0);
        } else if (strcmp(want->values[i], GENERATED_KEY) == 0) {
            assert_true(strncmp(value, "oai-c-retry-", 12) == 0);
            if (*key)
                assert_string_equal(value, *key);
            else
                *key = strdup(value);
        } else if (strcmp(value, want->values[i]) != 0) {
            fail_msg("%s: %s is \"%s\", expected \"%s\"", what, name, value, want->values[i]);
        }
    }
}

/* ---- the matrix ------------------------------------------------------------------ */

static oai_client *memory_client(memory_transport **mt)
{
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, "http://127.0.0.1:9/v1"), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(c, 1, 2), OAI_OK);
    *mt = memory_transport_new();
    assert_non_null(*mt);
    assert_int_equal(memory_transport_attach(*mt, c), OAI_OK);
    return c;
}

static void close_memory(memory_transport *mt, oai_client *c)
{
    oai_client_free(c);
    assert_int_equal(memory_transport_violations(mt), 0);
    memory_transport_free(mt);
}

/* Client set-ups: options, then headers set in this order (NULL removes). */
typedef struct client_setup {
    const char *key, *org, *project, *agent;
    int platform;
    int64_t timeout_ms;
    const char *headers[8][2];
} client_setup;

static const client_setup clients[] = {
    {"sk-a", NULL, NULL, NULL, 1, -1, {{NULL, NULL}}},
    {"sk-b", "org-1", "proj-1", "my-app/1.0", 1, -1, {{"X-Custom", "a"}}},
    {"sk-c", NULL, NULL, NULL, 1, -1, {{"accept", "text/plain"}, {"X-After", "z"}}},
    {"sk-d", NULL, NULL, NULL, 1, -1, {{"Content-Type", "text/plain"}, {"X-After", "z"}}},
    {"sk-e", "org-1", NULL, NULL, 1, -1, {{"content-type", NULL}, {"X-After", "z"}}},
    {"sk-f", NULL, NULL, NULL, 1, -1, {{"X-Stainless-Timeout", "99"}, {"X-After", "z"}}},
    {"sk-g", NULL, NULL, NULL, 1, 0, {{"X-Stainless-Timeout", "99"}, {"X-After", "z"}}},
    {"sk-h", NULL, "proj-1", NULL, 1, -1, {{"Idempotency-Key", "client-key"}, {"X-After", "z"}}},
    {"sk-i", NULL, NULL, NULL, 1, -1, {{"X-Stainless-Retry-Count", NULL}, {"authorization", NULL}}},
    {"sk-j", NULL, NULL, "ua", 1, -1, {{"Authorization", "Basic abc"}, {"user-agent", "ua2"}, {"x-stainless-lang", NULL}}},
    {NULL, NULL, NULL, NULL, 0, -1, {{"X-A", "1"}, {"X-B", "2"}, {"x-a", NULL}, {"X-C", NULL}, {"X-D", ""}}},
    {NULL, "org-2", NULL, NULL, 0, -1, {{"Authorization", "Basic xyz"}, {"Content-Type", "x/y"}, {"Accept", "*/*"}}},
    {"sk-k", NULL, NULL, NULL, 1, 5000, {{"X-Stainless-Timeout", NULL}, {"Idempotency-Key", NULL}, {"X-Stainless-Os", "Plan9"}}},
};

static void configure(oai_client *c, const client_setup *s)
{
    assert_int_equal(oai_client_set_api_key(c, s->key), OAI_OK);
    assert_int_equal(oai_client_set_organization(c, s->org), OAI_OK);
    assert_int_equal(oai_client_set_project(c, s->project), OAI_OK);
    assert_int_equal(oai_client_set_user_agent(c, s->agent), OAI_OK);
    assert_int_equal(oai_client_set_platform_headers(c, s->platform), OAI_OK);
    if (s->timeout_ms >= 0)
        assert_int_equal(oai_client_set_timeout_ms(c, s->timeout_ms), OAI_OK);
    for (size_t i = 0; i < 8 && s->headers[i][0]; i++)
        assert_int_equal(oai_client_set_header(c, s->headers[i][0], s->headers[i][1]), OAI_OK);
}

static int ignore_event(void *ud, const oai_event *ev)
{
    (void)ud;
    (void)ev;
    return 0;
}

enum { REQUEST_KINDS = 7 };

/* Request kinds: no body, JSON, a stream without request timeout, multipart
 * with a generated key, request headers replacing and removing, ... */
static oai_request *make_request(int kind)
{
    oai_request *r = NULL;
    switch (kind) {
    case 0:
        r = oai_request_new("GET", "/models");
        break;
    case 1:
        r = oai_chat_completion_create_request_new("gpt-4o-mini");
        assert_int_equal(oai_chat_request_add_message(r, "user", "hi"), OAI_OK);
        break;
    case 2:
        r = oai_chat_completion_create_request_new("gpt-4o-mini");
        assert_int_equal(oai_chat_request_add_message(r, "user", "stream"), OAI_OK);
        assert_int_equal(oai_request_set_event_callback(r, ignore_event, NULL), OAI_OK);
        assert_int_equal(oai_request_set_timeout_ms(r, 0), OAI_OK);
        break;
    case 3:
        r = oai_request_new("POST", "/files");
        assert_int_equal(oai_request_add_form_field(r, "purpose", "fine-tune"), OAI_OK);
        assert_int_equal(oai_request_add_data_part(r, "file", "{}\n", 3, "a.jsonl", NULL), OAI_OK);
        assert_int_equal(oai_request_set_idempotency_key(r, ""), OAI_OK);
        break;
    case 4:
        r = oai_chat_completion_create_request_new("gpt-4o-mini");
        assert_int_equal(oai_chat_request_add_message(r, "user", "headers"), OAI_OK);
        assert_int_equal(oai_request_set_idempotency_key(r, "given-key"), OAI_OK);
        assert_int_equal(oai_request_set_header(r, "x-custom", "r"), OAI_OK);
        assert_int_equal(oai_request_set_header(r, "Content-Type", NULL), OAI_OK);
        assert_int_equal(oai_request_set_header(r, "X-New", "n"), OAI_OK);
        break;
    case 5:
        r = oai_request_new("POST", "/responses");
        assert_int_equal(oai_request_set_header(r, "accept", "*/*"), OAI_OK);
        assert_int_equal(oai_request_set_header(r, "x-stainless-timeout", "5"), OAI_OK);
        assert_int_equal(oai_request_set_timeout_ms(r, 1500), OAI_OK);
        break;
    default:
        r = oai_chat_completion_create_request_new("gpt-4o-mini");
        assert_int_equal(oai_chat_request_add_message(r, "user", "pull"), OAI_OK);
        assert_int_equal(oai_request_set_stream(r, 1), OAI_OK);
        assert_int_equal(oai_request_set_idempotency_key(r, ""), OAI_OK);
        assert_int_equal(oai_request_set_header(r, "Idempotency-Key", NULL), OAI_OK);
        assert_int_equal(oai_request_set_header(r, "X-After", "from the request"), OAI_OK);
        break;
    }
    assert_non_null(r);
    assert_int_equal(oai_request_status(r), OAI_OK);
    return r;
}

/* Runs one request to its end (a 500, then a 200) by oai_client_send() or
 * oai_client_start() with the request freed at once. */
static void run_one(oai_client *c, memory_transport *mt, oai_request *req, int started)
{
    mock_reply fail = {.status = 500, .body = "{\"error\":{\"message\":\"try again\"}}"};
    mock_reply ok = {.status = 200, .body = "{\"object\":\"list\",\"data\":[]}"};
    assert_int_equal(memory_transport_push(mt, &fail), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    oai_response *res;
    if (started) {
        oai_call *call = oai_client_start(c, req, NULL, NULL);
        assert_non_null(call);
        oai_request_free(req);
        while (!oai_call_is_done(call))
            assert_true(oai_client_poll(c, -1) >= 0);
        res = oai_call_take_response(call);
        oai_call_free(call);
    } else {
        res = oai_client_send(c, req);
        oai_request_free(req);
    }
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
}

static void test_headers_match_the_per_attempt_merge(void **state)
{
    (void)state;
    int combinations = 0;
    for (size_t s = 0; s < sizeof clients / sizeof *clients; s++) {
        for (int kind = 0; kind < REQUEST_KINDS; kind++) {
            for (int started = 0; started <= 1; started++) {
                memory_transport *mt;
                oai_client *c = memory_client(&mt);
                configure(c, &clients[s]);
                oai_request *req = make_request(kind);
                ref_list want[2] = {{{0}, {0}, 0}, {{0}, {0}, 0}};
                ref_headers(&want[0], c, req, 0);
                ref_headers(&want[1], c, req, 1);
                run_one(c, mt, req, started);
                assert_int_equal(memory_transport_request_count(mt), 2);
                char what[96], *key = NULL;
                for (int a = 0; a < 2; a++) {
                    snprintf(what, sizeof what, "client %zu, request %d, %s, attempt %d", s, kind,
                             started ? "started" : "sent", a + 1);
                    assert_headers(memory_transport_request(mt, (size_t)a), &want[a], &key, what);
                    ref_free(&want[a]);
                }
                free(key);
                close_memory(mt, c);
                combinations++;
            }
        }
    }
    print_message("%d combinations, 2 attempts each\n", combinations);
}

/* ---- the cache follows the client's setters ------------------------------------- */

static const char *header_of(const mock_request *r, const char *name)
{
    for (size_t i = 0; i < r->header_count; i++)
        if (same_name(r->header_names[i], name))
            return r->header_values[i];
    return NULL;
}

static oai_response *send_models(oai_client *c, memory_transport *mt, int status)
{
    mock_reply reply = {.status = status, .body = "{\"object\":\"list\",\"data\":[]}"};
    assert_int_equal(memory_transport_push(mt, &reply), 0);
    oai_request *req = oai_request_new("GET", "/models");
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    return res;
}

/* Every setter that changes the headers is seen by the next call; a call
 * under way keeps the headers it started with, on every attempt. */
static void test_setters_reach_the_next_call(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    assert_int_equal(oai_client_set_api_key(c, "sk-one"), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 0), "authorization"), "Bearer sk-one");

    /* Each setter, then a call that must show it. */
    assert_int_equal(oai_client_set_api_key(c, "sk-two"), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 1), "authorization"), "Bearer sk-two");
    assert_int_equal(oai_client_set_organization(c, "org-x"), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 2), "openai-organization"), "org-x");
    assert_int_equal(oai_client_set_project(c, "proj-x"), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 3), "openai-project"), "proj-x");
    assert_int_equal(oai_client_set_user_agent(c, "agent/2"), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 4), "user-agent"), "agent/2");
    assert_int_equal(oai_client_set_header(c, "X-Team", "blue"), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 5), "x-team"), "blue");
    assert_int_equal(oai_client_set_header(c, "x-team", NULL), OAI_OK);
    assert_int_equal(oai_client_set_platform_headers(c, 0), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_null(header_of(memory_transport_request(mt, 6), "x-team"));
    assert_null(header_of(memory_transport_request(mt, 6), "x-stainless-lang"));
    assert_int_equal(oai_client_set_api_key(c, NULL), OAI_OK);
    oai_response_free(send_models(c, mt, 200));
    assert_null(header_of(memory_transport_request(mt, 7), "authorization"));

    /* A call under way keeps its headers across a retry. */
    assert_int_equal(oai_client_set_api_key(c, "sk-before"), OAI_OK);
    mock_reply fail = {.status = 500, .body = "{}"};
    mock_reply ok = {.status = 200, .body = "{}"};
    assert_int_equal(memory_transport_push(mt, &fail), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    oai_request *req = oai_request_new("GET", "/models");
    oai_call *call = oai_client_start(c, req, NULL, NULL);
    oai_request_free(req);
    assert_int_equal(oai_client_set_api_key(c, "sk-after"), OAI_OK);
    assert_int_equal(oai_client_set_header(c, "X-Late", "late"), OAI_OK);
    while (!oai_call_is_done(call))
        assert_true(oai_client_poll(c, -1) >= 0);
    assert_int_equal(oai_call_status(call), OAI_OK);
    oai_call_free(call);
    assert_int_equal(memory_transport_request_count(mt), 10);
    assert_string_equal(header_of(memory_transport_request(mt, 8), "authorization"), "Bearer sk-before");
    assert_string_equal(header_of(memory_transport_request(mt, 9), "authorization"), "Bearer sk-before");
    assert_null(header_of(memory_transport_request(mt, 9), "x-late"));
    oai_response_free(send_models(c, mt, 200));
    assert_string_equal(header_of(memory_transport_request(mt, 10), "authorization"), "Bearer sk-after");
    assert_string_equal(header_of(memory_transport_request(mt, 10), "x-late"), "late");
    close_memory(mt, c);
}

/* ---- URLs ------------------------------------------------------------------------- */

static void send_path(oai_client *c, memory_transport *mt, const char *path, const char *query_value)
{
    mock_reply reply = {.status = 200, .body = "{}"};
    assert_int_equal(memory_transport_push(mt, &reply), 0);
    oai_request *req = oai_request_new("GET", path);
    if (query_value)
        assert_int_equal(oai_request_set_query(req, "after", query_value), OAI_OK);
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
}

/* URLs come from a small cache keyed by base URL and path: more paths than
 * it holds, a base URL that changes, queries (never cached) and absolute
 * paths all go where they should. */
static void test_urls_follow_base_and_path(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    static const char *const paths[] = {"/a", "/b", "/c", "/d", "/e", "/f", "/a", "/e", "/b"};
    size_t n = 0;
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
            send_path(c, mt, paths[i], NULL);
            char want[64];
            snprintf(want, sizeof want, "%s%s", round ? "/v2" : "/v1", paths[i]);
            assert_string_equal(memory_transport_request(mt, n++)->target, want);
        }
        send_path(c, mt, "/a", "cursor-1");
        assert_string_equal(memory_transport_request(mt, n++)->target, round ? "/v2/a?after=cursor-1" : "/v1/a?after=cursor-1");
        send_path(c, mt, "/a", "cursor-2");
        assert_string_equal(memory_transport_request(mt, n++)->target, round ? "/v2/a?after=cursor-2" : "/v1/a?after=cursor-2");
        send_path(c, mt, "/a", NULL);
        assert_string_equal(memory_transport_request(mt, n++)->target, round ? "/v2/a" : "/v1/a");
        assert_int_equal(oai_client_set_base_url(c, "http://127.0.0.1:9/v2"), OAI_OK);
    }
    send_path(c, mt, "http://127.0.0.1:9/elsewhere/x", NULL);
    assert_string_equal(memory_transport_request(mt, n++)->target, "/elsewhere/x");
    /* A base URL with a query of its own (Azure's api-version). */
    assert_int_equal(oai_client_set_base_url(c, "http://127.0.0.1:9/v3?api-version=1"), OAI_OK);
    send_path(c, mt, "/a", NULL);
    assert_string_equal(memory_transport_request(mt, n++)->target, "/v3/a?api-version=1");
    close_memory(mt, c);
}

/* ---- a started call needs nothing of its request ---------------------------------- */

static int rewrite_file(void *ud, int retry, int64_t delay_ms, int reason, int http_status)
{
    (void)retry;
    (void)delay_ms;
    (void)reason;
    (void)http_status;
    FILE *f = fopen((const char *)ud, "w");
    assert_non_null(f);
    fputs("second version\n", f);
    fclose(f);
    return 0;
}

static int contains(const mock_request *r, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i + n <= r->body_len; i++)
        if (memcmp(r->body + i, text, n) == 0)
            return 1;
    return 0;
}

/* A request freed right after oai_client_start(): its multipart parts are
 * encoded afresh at every attempt (a file read again), a JSON body goes out
 * the same on every attempt, and a generated idempotency key stays. */
static void test_request_freed_after_start(void **state)
{
    (void)state;
    memory_transport *mt;
    oai_client *c = memory_client(&mt);
    char path[] = "/tmp/oai-test-call-setup-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "first version\n", 14), 14);
    close(fd);
    assert_int_equal(oai_client_set_retry_callback(c, rewrite_file, path), OAI_OK);

    mock_reply fail = {.status = 500, .body = "{}"};
    mock_reply ok = {.status = 200, .body = "{\"id\":\"file-1\"}"};
    /* Both calls fail once (the replies go in the order asked for). */
    assert_int_equal(memory_transport_push(mt, &fail), 0);
    assert_int_equal(memory_transport_push(mt, &fail), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    oai_request *upload = oai_request_new("POST", "/files");
    assert_int_equal(oai_request_add_form_field(upload, "purpose", "batch"), OAI_OK);
    assert_int_equal(oai_request_add_file_part(upload, "file", path, "data.jsonl", "application/jsonl"), OAI_OK);
    assert_int_equal(oai_request_add_data_part(upload, "extra", "bytes\0here", 10, NULL, NULL), OAI_OK);
    assert_int_equal(oai_request_set_idempotency_key(upload, ""), OAI_OK);
    assert_int_equal(oai_request_set_header(upload, "X-Upload", "yes"), OAI_OK);
    oai_call *a = oai_client_start(c, upload, NULL, NULL);
    assert_non_null(a);
    oai_request_free(upload);

    oai_request *chat = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_int_equal(oai_chat_request_add_message(chat, "user", "the same bytes twice"), OAI_OK);
    assert_int_equal(oai_request_set_idempotency_key(chat, "chat-key"), OAI_OK);
    oai_call *b = oai_client_start(c, chat, NULL, NULL);
    assert_non_null(b);
    char *chat_body = oai_request_body_dup(chat);
    oai_request_free(chat);

    while (!oai_call_is_done(a) || !oai_call_is_done(b))
        assert_true(oai_client_poll(c, -1) >= 0);
    assert_int_equal(oai_call_status(a), OAI_OK);
    assert_int_equal(oai_call_status(b), OAI_OK);
    assert_int_equal(memory_transport_request_count(mt), 4);
    const mock_request *ups[2], *chats[2];
    size_t nu = 0, nc = 0;
    for (size_t i = 0; i < 4; i++) {
        const mock_request *r = memory_transport_request(mt, i);
        if (strcmp(r->path, "/v1/files") == 0)
            ups[nu++] = r;
        else
            chats[nc++] = r;
    }
    assert_int_equal(nu, 2);
    assert_int_equal(nc, 2);
    assert_true(contains(ups[0], "first version"));
    assert_true(contains(ups[1], "second version")); /* the file, read again */
    for (int i = 0; i < 2; i++) {
        assert_true(contains(ups[i], "name=\"purpose\""));
        assert_true(contains(ups[i], "filename=\"data.jsonl\""));
        assert_true(contains(ups[i], "application/jsonl"));
        assert_true(contains(ups[i], "name=\"extra\""));
        assert_string_equal(header_of(ups[i], "x-upload"), "yes");
        assert_string_equal(chats[i]->body, chat_body);
        assert_string_equal(header_of(chats[i], "idempotency-key"), "chat-key");
    }
    assert_true(strncmp(header_of(ups[0], "idempotency-key"), "oai-c-retry-", 12) == 0);
    assert_string_equal(header_of(ups[0], "idempotency-key"), header_of(ups[1], "idempotency-key"));
    free(chat_body);
    oai_call_free(a);
    oai_call_free(b);
    unlink(path);
    close_memory(mt, c);
}

int main(void)
{
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_ORG_ID");
    unsetenv("OPENAI_PROJECT_ID");
    unsetenv("OPENAI_CUSTOM_HEADERS");
    unsetenv("OPENAI_LOG");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_match_the_per_attempt_merge),
        cmocka_unit_test(test_setters_reach_the_next_call),
        cmocka_unit_test(test_urls_follow_base_and_path),
        cmocka_unit_test(test_request_freed_after_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
