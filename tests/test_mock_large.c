/* The mock server with files and upload parts above its 16 MiB record
 * limit (MOCK_BODY_RECORD_LIMIT), through the library over loopback: a
 * large upload in 20 MiB parts completes with its MD5 checked, and files
 * uploaded either way download byte-identical. (The CLI's default large
 * upload sends 64 MiB parts; the mock used to hash and keep only the first
 * 16 MiB of a body.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_server.h"
#include "mock_state.h"
#include "oai.h"

#define MIB ((size_t)1024 * 1024)

typedef struct fixture {
    mock_server *ms;
    oai_client *c;
    char upload[64];    /* the local file sent */
    char download[80];  /* where it comes back */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    mock_state_reset();
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    /* Recorded copies would hold 16 MiB per request: not needed here. */
    mock_server_set_recording(f->ms, 0);
    f->c = oai_client_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_set_base_url(f->c, mock_server_url(f->ms)), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, "sk-test"), OAI_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    mock_state_reset();
    if (f->upload[0])
        unlink(f->upload);
    if (f->download[0])
        unlink(f->download);
    free(f);
    return 0;
}

/* A temporary file of `len` pseudo-random bytes (no repeating pattern, so
 * a misplaced or repeated block shows). */
static void make_file(char *path, size_t size, size_t len)
{
    snprintf(path, size, "/tmp/oai-large-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static char block[1 << 16];
    uint32_t x = 2463534242u;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof block ? len - done : sizeof block;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            block[i] = (char)x;
        }
        assert_int_equal(write(fd, block, n), (ssize_t)n);
        done += n;
    }
    close(fd);
}

/* Fails at the first byte where the two files differ, or on a length
 * difference. */
static void assert_same_file(const char *expected, const char *actual)
{
    FILE *a = fopen(expected, "rb"), *b = fopen(actual, "rb");
    assert_non_null(a);
    assert_non_null(b);
    static char block_a[1 << 16], block_b[1 << 16];
    size_t offset = 0, na, nb;
    do {
        na = fread(block_a, 1, sizeof block_a, a);
        nb = fread(block_b, 1, sizeof block_b, b);
        if (na != nb || memcmp(block_a, block_b, na) != 0)
            fail_msg("%s differs from %s near byte %zu", actual, expected, offset);
        offset += na;
    } while (na > 0);
    fclose(a);
    fclose(b);
}

/* Downloads file_id into f->download and compares it with f->upload. */
static void assert_downloads_back(fixture *f, const char *file_id)
{
    snprintf(f->download, sizeof f->download, "%s.back", f->upload);
    oai_request *req = oai_file_retrieve_content_request_new(file_id);
    assert_non_null(req);
    assert_int_equal(oai_request_set_output_file(req, f->download), OAI_OK);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_same_file(f->upload, f->download);
}

/* 40 MiB and a bit in parts of 20 MiB: every part is over 16 MiB. The mock
 * checks the part sizes and the MD5 the library sends on completion. */
static void test_upload_parts_over_16_mib(void **state)
{
    fixture *f = *state;
    const size_t size = 40 * MIB + 12345;
    make_file(f->upload, sizeof f->upload, size);
    oai_large_upload *up = oai_large_upload_new(f->c, f->upload, "batch", "application/jsonl");
    assert_non_null(up);
    assert_int_equal(oai_large_upload_set_part_size(up, (int64_t)(20 * MIB)), OAI_OK);

    oai_response *res = oai_large_upload_run(up);
    if (oai_response_status(res) != OAI_OK)
        fail_msg("%s: %s", oai_status_name(oai_response_status(res)), oai_response_error_message(res));
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), size);
    assert_int_equal(oai_large_upload_part_count(up), 3);
    char *file_id = strdup(oai_response_get_string(res, "/file/id"));
    oai_response_free(res);
    oai_large_upload_free(up);

    assert_downloads_back(f, file_id);
    free(file_id);
}

/* POST /files with a file over 16 MiB, then its content, byte for byte. */
static void test_file_over_16_mib_round_trip(void **state)
{
    fixture *f = *state;
    const size_t size = 17 * MIB + 777;
    make_file(f->upload, sizeof f->upload, size);
    oai_request *req = oai_file_create_request_new(f->upload, "batch");
    assert_non_null(req);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    if (oai_response_status(res) != OAI_OK)
        fail_msg("%s: %s", oai_status_name(oai_response_status(res)), oai_response_error_message(res));
    assert_int_equal(oai_response_get_int(res, "/bytes"), size);
    char *file_id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);

    assert_downloads_back(f, file_id);
    free(file_id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upload_parts_over_16_mib, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_over_16_mib_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
