/* The Uploads API: request helpers, the large upload (parts, progress,
 * MD5 checked by the mock), a part retried alone, resuming an interrupted
 * upload. With OAI_BIG_TESTS=1, also a 200 MB upload in bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memory_probe.h"
#include "mock_server.h"
#include "mock_state.h"
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
    mock_state_reset();
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
    mock_state_reset();
    free(f);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

/* A temporary file of `len` deterministic bytes; path gets its name. */
static void make_file(char *path, size_t size, size_t len)
{
    snprintf(path, size, "/tmp/oai-upload-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char chunk[4096];
    uint32_t x = 2463534242u;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            chunk[i] = (char)x;
        }
        assert_int_equal(write(fd, chunk, n), (ssize_t)n);
        done += n;
    }
    close(fd);
}

static void md5_of_file(const char *path, char hex[33])
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
    static char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        EVP_DigestUpdate(ctx, chunk, n);
    fclose(f);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len;
    EVP_DigestFinal_ex(ctx, d, &len);
    EVP_MD_CTX_free(ctx);
    for (unsigned int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return data;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The value of multipart field `name` of a recorded request. */
static const char *form_field(const mock_request *r, const char *name, size_t *len)
{
    char needle[128], delim[128];
    snprintf(needle, sizeof needle, "name=\"%s\"", name);
    const char *b = strstr(mock_request_header(r, "Content-Type"), "boundary=");
    assert_non_null(b);
    snprintf(delim, sizeof delim, "\r\n--%s", b + 9);
    const char *end = r->body + mock_request_body_stored(r);
    const char *h = memmem(r->body, mock_request_body_stored(r), needle, strlen(needle));
    assert_non_null(h);
    const char *value = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
    assert_non_null(value);
    value += 4;
    const char *stop = memmem(value, (size_t)(end - value), delim, strlen(delim));
    assert_non_null(stop);
    *len = (size_t)(stop - value);
    return value;
}

static oai_response *send_free(fixture *f, oai_request *req)
{
    assert_non_null(req);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    return res;
}

/* Downloads a file of the mock and compares it with a local file. */
static void assert_same_content(fixture *f, const char *file_id, const char *path)
{
    size_t len;
    char *expected = read_file(path, &len);
    oai_response *res = send_free(f, oai_file_retrieve_content_request_new(file_id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_body_len(res), len);
    assert_memory_equal(oai_response_body(res), expected, len);
    oai_response_free(res);
    free(expected);
}

/* What the progress callback saw. */
typedef struct progress_log {
    int calls;
    int64_t last;
    int64_t total;
    int monotonic;
    int64_t cancel_above;       /* > 0: cancel once sent exceeds it */
    int cancelled;
    mock_server *forget;        /* when set: drop the server's records as parts go by */
} progress_log;

static int on_progress(void *ud, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total)
{
    progress_log *p = ud;
    if (p->calls++ == 0)
        p->monotonic = 1;
    if (sent < p->last)
        p->monotonic = 0;
    p->last = sent;
    p->total = send_total;
    assert_int_equal(received, 0);
    assert_int_equal(receive_total, 0);
    if (p->forget)
        mock_server_reset(p->forget);
    if (p->cancel_above > 0 && sent > p->cancel_above) {
        p->cancelled = 1;
        return 1;
    }
    return 0;
}

/* ---- request helpers ---------------------------------------------------------- */

static void test_helpers_by_hand(void **state)
{
    fixture *f = *state;
    char path[64];
    make_file(path, sizeof path, 10);
    oai_response *res = send_free(f, oai_upload_create_request_new("data.jsonl", "fine-tune", 10, "application/jsonl"));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/object"), "upload");
    assert_string_equal(oai_response_get_string(res, "/status"), "pending");
    char *upload_id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    const mock_request *r = mock_server_request(f->ms, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/v1/uploads");
    assert_string_equal(r->body, "{\"filename\":\"data.jsonl\",\"purpose\":\"fine-tune\",\"bytes\":10,"
                                 "\"mime_type\":\"application/jsonl\"}");

    size_t len;
    char *content = read_file(path, &len);
    const char *part_ids[2];
    char *owned[2];
    for (int i = 0; i < 2; i++) {
        res = send_free(f, oai_upload_add_part_request_new(upload_id, path, i * 6, i ? 4 : 6));
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_string_equal(oai_response_get_string(res, "/object"), "upload.part");
        part_ids[i] = owned[i] = strdup(oai_response_get_string(res, "/id"));
        oai_response_free(res);
        r = mock_server_request(f->ms, 1 + (size_t)i);
        char expected[128];
        snprintf(expected, sizeof expected, "/v1/uploads/%s/parts", upload_id);
        assert_string_equal(r->path, expected);
        size_t n;
        const char *data = form_field(r, "data", &n);
        assert_int_equal(n, i ? 4 : 6);
        assert_memory_equal(data, content + i * 6, n);
        char disposition[128];
        snprintf(disposition, sizeof disposition, "filename=\"%s\"", base_name(path));
        assert_non_null(memmem(r->body, r->body_len, disposition, strlen(disposition)));
    }

    char md5[33];
    md5_of_file(path, md5);
    res = send_free(f, oai_upload_complete_request_new(upload_id, part_ids, 2, md5));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), 10);
    assert_string_equal(oai_response_get_string(res, "/file/filename"), "data.jsonl");
    char *file_id = strdup(oai_response_get_string(res, "/file/id"));
    oai_response_free(res);
    r = mock_server_request(f->ms, 3);
    char body[256];
    snprintf(body, sizeof body, "{\"part_ids\":[\"%s\",\"%s\"],\"md5\":\"%s\"}", part_ids[0], part_ids[1], md5);
    assert_string_equal(r->body, body);
    assert_same_content(f, file_id, path);

    /* Completing twice, or cancelling a completed upload, is refused. */
    res = send_free(f, oai_upload_cancel_request_new(upload_id));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);
    char expected[128];
    snprintf(expected, sizeof expected, "/v1/uploads/%s/cancel", upload_id);
    assert_string_equal(mock_server_request(f->ms, 5)->path, expected);
    assert_string_equal(mock_server_request(f->ms, 5)->method, "POST");

    free(file_id);
    free(owned[0]);
    free(owned[1]);
    free(content);
    free(upload_id);
    unlink(path);
}

static void test_cancel_and_mismatches(void **state)
{
    fixture *f = *state;
    char path[64];
    make_file(path, sizeof path, 100);
    oai_response *res = send_free(f, oai_upload_create_request_new("x.bin", "batch", 100, NULL));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_non_null(strstr(mock_server_request(f->ms, 0)->body, "\"mime_type\":\"application/octet-stream\""));
    char *id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    res = send_free(f, oai_upload_add_part_request_new(id, path, 0, 100));
    const char *part = oai_response_get_string(res, "/id");
    assert_non_null(part);

    /* A wrong MD5 is refused by the mock. */
    oai_response *bad = send_free(f, oai_upload_complete_request_new(id, &part, 1, "00000000000000000000000000000000"));
    assert_int_equal(oai_response_status(bad), OAI_ERR_BAD_REQUEST);
    assert_string_equal(oai_response_error_code(bad), "md5_mismatch");
    oai_response_free(bad);
    /* So is a part list that does not add up to the declared size. */
    bad = send_free(f, oai_upload_complete_request_new(id, NULL, 0, NULL));
    assert_int_equal(oai_response_status(bad), OAI_ERR_BAD_REQUEST);
    assert_string_equal(mock_server_request(f->ms, 3)->body, "{\"part_ids\":[]}");
    oai_response_free(bad);
    oai_response_free(res);

    res = send_free(f, oai_upload_cancel_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "cancelled");
    oai_response_free(res);
    res = send_free(f, oai_upload_add_part_request_new(id, path, 0, 1));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);
    free(id);
    unlink(path);
}

static void test_helper_arguments(void **state)
{
    (void)state;
    assert_request_failed(oai_upload_create_request_new(NULL, "batch", 1, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_create_request_new("a", "", 1, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_create_request_new("a", "batch", -1, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_add_part_request_new("up", "/nonexistent/file", 0, 1), OAI_ERR_IO);
    char path[64];
    make_file(path, sizeof path, 10);
    assert_request_failed(oai_upload_add_part_request_new(NULL, path, 0, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_add_part_request_new("up", path, -1, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_add_part_request_new("up", path, 0, -1), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_add_part_request_new("up", path, 5, 6), OAI_ERR_INVALID_ARGUMENT); /* past the end */
    oai_request *req = oai_upload_add_part_request_new("up/1", path, 5, 5);
    assert_string_equal(oai_request_path(req), "/uploads/up%2F1/parts");
    oai_request_free(req);
    const char *ids[] = {"p1", ""};
    assert_request_failed(oai_upload_complete_request_new("up", ids, 2, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_complete_request_new("up", NULL, 1, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_complete_request_new("", ids, 1, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_upload_cancel_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);

    assert_failed_object(oai_large_upload, oai_large_upload_new(NULL, path, "batch", NULL), OAI_ERR_INVALID_ARGUMENT, oai_large_upload_status, oai_large_upload_error_message, oai_large_upload_free);
    oai_client *c = oai_client_new();
    assert_failed_object(oai_large_upload, oai_large_upload_new(c, "/nonexistent/file", "batch", NULL), OAI_ERR_IO, oai_large_upload_status, oai_large_upload_error_message, oai_large_upload_free);
    assert_failed_object(oai_large_upload, oai_large_upload_new(c, "/tmp", "batch", NULL), OAI_ERR_IO, oai_large_upload_status, oai_large_upload_error_message, oai_large_upload_free);
    assert_failed_object(oai_large_upload, oai_large_upload_new(c, path, NULL, NULL), OAI_ERR_INVALID_ARGUMENT, oai_large_upload_status, oai_large_upload_error_message, oai_large_upload_free);
    assert_failed_object(oai_large_upload, oai_large_upload_new(c, path, "batch", ""), OAI_ERR_INVALID_ARGUMENT, oai_large_upload_status, oai_large_upload_error_message, oai_large_upload_free);
    oai_large_upload *up = oai_large_upload_new(c, path, "batch", NULL);
    assert_non_null(up);
    assert_int_equal(oai_large_upload_set_part_size(up, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_set_part_size(up, (int64_t)64 * 1024 * 1024 + 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_set_part_size(up, (int64_t)64 * 1024 * 1024), OAI_OK);
    assert_int_equal(oai_large_upload_set_part_size(NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_set_progress_callback(NULL, NULL, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_resume(up, NULL, NULL, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_resume(up, "up", NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_resume(up, "up", ids, 2), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_large_upload_resume(up, "up", ids, 1), OAI_OK);
    assert_string_equal(oai_large_upload_id(up), "up");
    assert_int_equal(oai_large_upload_part_count(up), 1);
    assert_string_equal(oai_large_upload_part_id(up, 0), "p1");
    assert_null(oai_large_upload_part_id(up, 1));
    assert_null(oai_large_upload_id(NULL));
    assert_int_equal(oai_large_upload_part_count(NULL), 0);
    assert_null(oai_large_upload_part_id(NULL, 0));
    oai_large_upload_free(up);
    oai_large_upload_free(NULL);

    oai_response *res = oai_client_upload_large_file(c, "/nonexistent/file", "batch", NULL, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_IO);
    oai_response_free(res);
    res = oai_client_upload_large_file(c, path, NULL, NULL, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    res = oai_large_upload_run(NULL);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    oai_client_free(c);
    unlink(path);
}

/* ---- the large upload ---------------------------------------------------------- */

static void test_large_upload_three_parts(void **state)
{
    fixture *f = *state;
    char path[64];
    make_file(path, sizeof path, 2500);
    oai_large_upload *up = oai_large_upload_new(f->c, path, "fine-tune", "application/jsonl");
    assert_non_null(up);
    assert_int_equal(oai_large_upload_set_part_size(up, 1000), OAI_OK);
    progress_log log = {0};
    assert_int_equal(oai_large_upload_set_progress_callback(up, on_progress, &log), OAI_OK);
    oai_response *res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), 2500);
    assert_string_equal(oai_response_get_string(res, "/file/filename"), base_name(path));
    assert_string_equal(oai_response_get_string(res, "/file/purpose"), "fine-tune");
    char *file_id = strdup(oai_response_get_string(res, "/file/id"));
    oai_response_free(res);

    assert_true(log.calls > 0);
    assert_true(log.monotonic);
    assert_int_equal(log.last, 2500);
    assert_int_equal(log.total, 2500);
    assert_int_equal(oai_large_upload_part_count(up), 3);
    assert_non_null(oai_large_upload_id(up));

    /* create, three parts of 1000, 1000 and 500 bytes, complete */
    assert_int_equal(mock_server_request_count(f->ms), 5);
    const mock_request *r = mock_server_request(f->ms, 0);
    char body[512];
    snprintf(body, sizeof body, "{\"filename\":\"%s\",\"purpose\":\"fine-tune\",\"bytes\":2500,\"mime_type\":\"application/jsonl\"}",
             base_name(path));
    assert_string_equal(r->body, body);
    size_t len;
    char *content = read_file(path, &len);
    for (size_t i = 0; i < 3; i++) {
        r = mock_server_request(f->ms, 1 + i);
        char expected[128];
        snprintf(expected, sizeof expected, "/v1/uploads/%s/parts", oai_large_upload_id(up));
        assert_string_equal(r->path, expected);
        size_t n;
        const char *data = form_field(r, "data", &n);
        assert_int_equal(n, i < 2 ? 1000 : 500);
        assert_memory_equal(data, content + i * 1000, n);
    }
    char md5[33];
    md5_of_file(path, md5);
    snprintf(body, sizeof body, "{\"part_ids\":[\"%s\",\"%s\",\"%s\"],\"md5\":\"%s\"}", oai_large_upload_part_id(up, 0),
             oai_large_upload_part_id(up, 1), oai_large_upload_part_id(up, 2), md5);
    assert_string_equal(mock_server_request(f->ms, 4)->body, body);
    assert_same_content(f, file_id, path);
    oai_large_upload_free(up);
    free(content);
    free(file_id);
    unlink(path);
}

/* A part answered 500 is sent again, alone; nothing else is repeated. */
static void test_failed_part_is_retried_alone(void **state)
{
    fixture *f = *state;
    char path[64];
    make_file(path, sizeof path, 30);
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"upload_s\",\"object\":\"upload\",\"status\":\"pending\"}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"part_1\",\"object\":\"upload.part\"}");
    mock_server_push_simple(f->ms, 500, NULL, "{\"error\":{\"message\":\"try again\"}}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"part_2\",\"object\":\"upload.part\"}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"part_3\",\"object\":\"upload.part\"}");
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"id\":\"upload_s\",\"object\":\"upload\",\"status\":\"completed\",\"file\":{\"id\":\"file-s\"}}");
    oai_large_upload *up = oai_large_upload_new(f->c, path, "batch", NULL);
    oai_large_upload_set_part_size(up, 10);
    oai_response *res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/file/id"), "file-s");
    oai_response_free(res);

    assert_int_equal(mock_server_request_count(f->ms), 6);
    const char *paths[] = {"/v1/uploads", "/v1/uploads/upload_s/parts", "/v1/uploads/upload_s/parts",
                           "/v1/uploads/upload_s/parts", "/v1/uploads/upload_s/parts",
                           "/v1/uploads/upload_s/complete"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(mock_server_request(f->ms, i)->path, paths[i]);
    size_t n1, n2;
    const char *first = form_field(mock_server_request(f->ms, 2), "data", &n1);
    const char *again = form_field(mock_server_request(f->ms, 3), "data", &n2);
    assert_int_equal(n1, 10);
    assert_int_equal(n2, 10);
    assert_memory_equal(first, again, 10);
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 3), "X-Stainless-Retry-Count"), "1");
    char md5[33], body[256];
    md5_of_file(path, md5);
    snprintf(body, sizeof body, "{\"part_ids\":[\"part_1\",\"part_2\",\"part_3\"],\"md5\":\"%s\"}", md5);
    assert_string_equal(mock_server_request(f->ms, 5)->body, body);
    oai_large_upload_free(up);
    unlink(path);
}

static void test_failure_keeps_progress_for_resume(void **state)
{
    fixture *f = *state;
    char path[64];
    make_file(path, sizeof path, 30);
    assert_int_equal(oai_client_set_max_retries(f->c, 0), OAI_OK);
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"upload_s\"}");
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"part_1\"}");
    mock_server_push_simple(f->ms, 503, NULL, "{\"error\":{\"message\":\"down\"}}");
    oai_large_upload *up = oai_large_upload_new(f->c, path, "batch", NULL);
    oai_large_upload_set_part_size(up, 10);
    oai_response *res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_ERR_SERVER);
    assert_string_equal(oai_large_upload_id(up), "upload_s");
    assert_int_equal(oai_large_upload_part_count(up), 1);
    assert_string_equal(oai_large_upload_part_id(up, 0), "part_1");
    oai_response_free(res);
    oai_large_upload_free(up);

    /* A failed create leaves nothing to resume. */
    mock_server_push_simple(f->ms, 400, NULL, "{\"error\":{\"message\":\"bad purpose\"}}");
    up = oai_large_upload_new(f->c, path, "batch", NULL);
    res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    assert_null(oai_large_upload_id(up));
    assert_int_equal(oai_large_upload_part_count(up), 0);
    oai_response_free(res);
    /* A 2xx answer without an id is a protocol error. */
    mock_server_push_simple(f->ms, 200, NULL, "{\"object\":\"upload\"}");
    res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_ERR_PROTOCOL);
    oai_response_free(res);
    oai_large_upload_free(up);
    unlink(path);
}

/* The first run is cancelled by its progress callback during part 2; a new
 * handle resumes with the upload id and part 1's id and sends only parts 2
 * and 3, then completes. */
static void test_resume_after_interruption(void **state)
{
    fixture *f = *state;
    const int64_t part = (int64_t)3 * 1024 * 1024;
    char path[64];
    make_file(path, sizeof path, (size_t)(2 * part + part / 2));
    oai_large_upload *up = oai_large_upload_new(f->c, path, "fine-tune", NULL);
    oai_large_upload_set_part_size(up, part);
    progress_log log = {0};
    log.cancel_above = part;
    oai_large_upload_set_progress_callback(up, on_progress, &log);
    oai_response *res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    assert_true(log.cancelled);
    oai_response_free(res);
    assert_non_null(oai_large_upload_id(up));
    assert_int_equal(oai_large_upload_part_count(up), 1);
    /* What a caller would persist. */
    char *upload_id = strdup(oai_large_upload_id(up));
    char *part_id = strdup(oai_large_upload_part_id(up, 0));
    oai_large_upload_free(up);

    mock_server_reset(f->ms);
    up = oai_large_upload_new(f->c, path, "fine-tune", NULL);
    oai_large_upload_set_part_size(up, part);
    const char *ids[] = {part_id};
    assert_int_equal(oai_large_upload_resume(up, upload_id, ids, 1), OAI_OK);
    progress_log log2 = {0};
    oai_large_upload_set_progress_callback(up, on_progress, &log2);
    res = oai_large_upload_run(up);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/id"), upload_id);
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), 2 * part + part / 2);
    char *file_id = strdup(oai_response_get_string(res, "/file/id"));
    oai_response_free(res);
    assert_true(log2.monotonic);
    assert_int_equal(log2.last, 2 * part + part / 2);

    /* Only the two missing parts, then complete. */
    assert_int_equal(mock_server_request_count(f->ms), 3);
    char expected[128];
    snprintf(expected, sizeof expected, "/v1/uploads/%s/parts", upload_id);
    assert_string_equal(mock_server_request(f->ms, 0)->path, expected);
    assert_string_equal(mock_server_request(f->ms, 1)->path, expected);
    snprintf(expected, sizeof expected, "/v1/uploads/%s/complete", upload_id);
    assert_string_equal(mock_server_request(f->ms, 2)->path, expected);
    size_t n;
    form_field(mock_server_request(f->ms, 0), "data", &n);
    assert_int_equal(n, part);
    form_field(mock_server_request(f->ms, 1), "data", &n);
    assert_int_equal(n, part / 2);
    assert_int_equal(oai_large_upload_part_count(up), 3);
    assert_string_equal(oai_large_upload_part_id(up, 0), part_id);
    assert_same_content(f, file_id, path);
    oai_large_upload_free(up);
    free(file_id);
    free(upload_id);
    free(part_id);
    unlink(path);
}

static void test_one_call_upload(void **state)
{
    fixture *f = *state;
    char path[64];
    make_file(path, sizeof path, 777);
    progress_log log = {0};
    oai_response *res = oai_client_upload_large_file(f->c, path, "assistants", "text/plain", on_progress, &log);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), 777);
    assert_int_equal(log.last, 777);
    assert_same_content(f, oai_response_get_string(res, "/file/id"), path);
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 4); /* create, one part, complete, download */

    /* An empty file is created and completed with no part. */
    char empty[64];
    make_file(empty, sizeof empty, 0);
    res = oai_client_upload_large_file(f->c, empty, "assistants", NULL, NULL, NULL);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), 0);
    oai_response_free(res);
    unlink(empty);
    unlink(path);
}

/* ---- the 200 MB upload (OAI_BIG_TESTS=1) ----------------------------------------- */

#define BIG_SIZE ((size_t)200 * 1024 * 1024)
/* The mock keeps bodies of up to 16 MiB whole; the multipart framing of a
 * part takes a few hundred bytes, so parts stay just below 16 MiB. */
#define BIG_PART ((int64_t)16 * 1024 * 1024 - 4096)

static void test_big_upload(void **state)
{
    fixture *f = *state;
    const char *v = getenv("OAI_BIG_TESTS");
    if (!v || strcmp(v, "1") != 0) {
        print_message("skipped: set OAI_BIG_TESTS=1 to run the 200 MB upload\n");
        skip();
    }
    char path[64];
    make_file(path, sizeof path, BIG_SIZE);
    /* The server records every request; dropping those records as the
     * upload goes keeps the test process's own memory bounded. */
    progress_log log = {0};
    log.forget = f->ms;
    long before = peak_rss_kb(1);
    oai_large_upload *up = oai_large_upload_new(f->c, path, "batch", "application/jsonl");
    oai_large_upload_set_part_size(up, BIG_PART);
    oai_large_upload_set_progress_callback(up, on_progress, &log);
    oai_response *res = oai_large_upload_run(up);
    long after = peak_rss_kb(0);
    assert_int_equal(oai_response_status(res), OAI_OK); /* the mock checked sizes and MD5 */
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    assert_int_equal(oai_response_get_int(res, "/file/bytes"), BIG_SIZE);
    assert_int_equal(oai_large_upload_part_count(up), (BIG_SIZE + (size_t)BIG_PART - 1) / (size_t)BIG_PART);
    assert_int_equal(log.last, BIG_SIZE);
    oai_response_free(res);
    oai_large_upload_free(up);
    print_message("200 MB upload (%zu parts of %lld bytes): peak RSS %ld kB before, %ld kB after, growth %ld kB\n",
                  (BIG_SIZE + (size_t)BIG_PART - 1) / (size_t)BIG_PART, (long long)BIG_PART, before, after,
                  after - before);
    assert_true(before > 0 && after > 0);
    if (memory_bound_checked())
        assert_true(after - before < 64 * 1024);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_big_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_helpers_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_mismatches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_helper_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_upload_three_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_part_is_retried_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_keeps_progress_for_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_after_interruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_call_upload, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
