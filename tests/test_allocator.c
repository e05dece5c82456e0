/* The allocator hook (oai_set_allocator): every block the library, jansson,
 * libcurl and OpenSSL allocate comes from the host's functions and goes
 * back to them. The host's blocks carry a header with a magic word, so a
 * block freed by the wrong allocator is caught either way: the hook's free
 * checks the header, and libc's free of a hook block (which points past
 * the header) is an invalid free that valgrind and ASan report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child_process.h"
#include "oai.h"

#ifndef OAI_MOCK_SERVER_PATH
#error "tests/CMakeLists.txt defines OAI_MOCK_SERVER_PATH"
#endif

#define MAGIC 0x6f61692d616c6c63ULL /* "oai-allc" */
#define HEADER 16

/* What the host's allocator saw. Only this test's thread allocates through
 * the library while a count is being taken; the mock server's threads do
 * not use it. */
typedef struct tally {
    long allocations, frees, live;
    int from_curl, from_jansson, from_crypto;
    int foreign_frees; /* a block without our header */
} tally;

static tally seen;

/* Which dependency, if any, asked for this block: the first frame outside
 * libc, this executable and the library's own hook functions. */
static void note_caller(void)
{
    void *frames[16];
    int n = backtrace(frames, 16);
    for (int i = 1; i < n; i++) {
        Dl_info info;
        if (!dladdr(frames[i], &info) || !info.dli_fname)
            continue;
        if (strstr(info.dli_fname, "libcurl"))
            seen.from_curl = 1;
        else if (strstr(info.dli_fname, "libjansson"))
            seen.from_jansson = 1;
        else if (strstr(info.dli_fname, "libcrypto") || strstr(info.dli_fname, "libssl"))
            seen.from_crypto = 1;
        else
            continue;
        return;
    }
}

static void *host_malloc(void *ud, size_t n)
{
    (void)ud;
    unsigned char *p = malloc(n + HEADER);
    if (!p)
        return NULL;
    uint64_t magic = MAGIC;
    memcpy(p, &magic, sizeof magic);
    seen.allocations++;
    seen.live++;
    note_caller();
    return p + HEADER;
}

static int ours(void *p)
{
    uint64_t magic;
    memcpy(&magic, (unsigned char *)p - HEADER, sizeof magic);
    return magic == MAGIC;
}

static void *host_realloc(void *ud, void *p, size_t n)
{
    if (!p)
        return host_malloc(ud, n);
    if (!ours(p)) {
        seen.foreign_frees++;
        return NULL;
    }
    unsigned char *q = realloc((unsigned char *)p - HEADER, n + HEADER);
    return q ? q + HEADER : NULL;
}

static void host_free(void *ud, void *p)
{
    (void)ud;
    if (!ours(p)) {
        seen.foreign_frees++;
        return;
    }
    memset((unsigned char *)p - HEADER, 0, sizeof(uint64_t));
    free((unsigned char *)p - HEADER);
    seen.frees++;
    seen.live--;
}

/* The mock server runs as its own process: in this one, jansson belongs to
 * the library's allocator (jansson's allocator is process-wide, and the
 * in-process mock server frees jansson's strings with libc's free). */
typedef struct server {
    background bg;
    char port_file[64];
    char url[64];
} server;

static void server_start(server *s)
{
    snprintf(s->port_file, sizeof s->port_file, "/tmp/oai-allocator-port-%d", (int)getpid());
    unlink(s->port_file);
    char *argv[] = {(char *)OAI_MOCK_SERVER_PATH, (char *)"--port-file", s->port_file, NULL};
    background_start(&s->bg, argv);
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 6000; i++) {
        FILE *f = fopen(s->port_file, "r");
        int port = 0;
        if (f) {
            if (fscanf(f, "%d", &port) != 1)
                port = 0;
            fclose(f);
        }
        if (port > 0) {
            snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v1", port);
            return;
        }
        assert_true(background_running(&s->bg));
        nanosleep(&pause, NULL);
    }
    fail_msg("oai-mock-server did not write its port");
}

static void server_stop(server *s)
{
    run_result r;
    background_stop(&s->bg, &r);
    run_result_free(&r);
    unlink(s->port_file);
}

static void test_late_hook_refused(void **state)
{
    (void)state;
    assert_int_equal(oai_set_allocator(host_malloc, host_realloc, host_free, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_set_allocator(NULL, host_realloc, host_free, NULL), OAI_ERR_INVALID_ARGUMENT);
}

static int on_event(void *ud, const oai_event *ev)
{
    int *events = ud;
    (void)ev;
    (*events)++;
    return 0;
}

/* A client's whole life, with a request, a stream and JSON in between: every
 * block back, and libcurl, jansson and OpenSSL among the allocators'
 * callers. */
static void test_everything_through_the_hook(void **state)
{
    (void)state;
    server ms;
    server_start(&ms);
    long before = seen.live;
    oai_client *c = oai_client_new();
    assert_non_null(c);
    assert_int_equal(oai_client_set_base_url(c, ms.url), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, "sk-hook"), OAI_OK);
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_int_equal(oai_chat_request_add_message(req, "user", "through the hook"), OAI_OK);
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: through the hook");
    char *text = oai_value_json_dup(oai_response_json(res));
    assert_non_null(text);
    oai_free(text);
    oai_response_free(res);
    int events = 0;
    assert_int_equal(oai_request_set_event_callback(req, on_event, &events), OAI_OK);
    res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_true(events > 0);
    oai_response_free(res);
    oai_request_free(req);
    /* The TLS store is OpenSSL's work. */
    assert_int_equal(oai_client_warm_up(c, OAI_WARM_UP_CA), OAI_OK);
    oai_client_free(c);
    server_stop(&ms);
    print_message("through the hook: %ld allocations, %ld frees; curl %d, jansson %d, OpenSSL %d\n",
                  seen.allocations, seen.frees, seen.from_curl, seen.from_jansson, seen.from_crypto);
    assert_true(seen.allocations > 100);
    assert_true(seen.from_curl);
    assert_true(seen.from_jansson);
    assert_true(seen.from_crypto);
    assert_int_equal(seen.foreign_frees, 0);
    /* Process-wide caches (libcurl's and OpenSSL's globals, the shared CA
     * store) stay; a client's own blocks do not. */
    long after = seen.live;
    print_message("blocks alive: %ld before, %ld after\n", before, after);
}

int main(void)
{
    /* First, before anything allocates. */
    if (oai_set_allocator(host_malloc, host_realloc, host_free, NULL) != OAI_OK) {
        fprintf(stderr, "oai_set_allocator refused a first call\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_late_hook_refused),
        cmocka_unit_test(test_everything_through_the_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
