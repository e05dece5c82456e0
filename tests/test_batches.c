/* Batches: request helpers, the JSONL writer and reader, and the whole
 * flow (write -> upload -> create -> retrieve until completed -> download
 * the output -> read it) against the mock's stateful batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
    char path[64];              /* a scratch file */
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
    snprintf(f->path, sizeof f->path, "/tmp/oai-batch-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    mock_state_reset();
    unlink(f->path);
    free(f);
    return 0;
}

static oai_response *send_free(fixture *f, oai_request *req)
{
    assert_non_null(req);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    return res;
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static oai_request *chat(const char *text)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    assert_non_null(req);
    assert_int_equal(oai_chat_request_add_message(req, "user", text), OAI_OK);
    return req;
}

/* Writes n chat requests "req-1".."req-n" asking "Hello i". */
static void write_chat_batch(const char *path, int n)
{
    oai_batch_writer *w = oai_batch_writer_new(path);
    assert_non_null(w);
    for (int i = 1; i <= n; i++) {
        char id[32], text[32];
        snprintf(id, sizeof id, "req-%d", i);
        snprintf(text, sizeof text, "Hello %d", i);
        oai_request *req = chat(text);
        assert_int_equal(oai_batch_writer_add(w, id, req), OAI_OK);
        oai_request_free(req);
    }
    assert_int_equal(oai_batch_writer_finish(w), OAI_OK);
    assert_int_equal(oai_batch_writer_finish(w), OAI_ERR_INVALID_ARGUMENT); /* once */
    oai_batch_writer_free(w);
}

static char *upload(fixture *f, const char *path)
{
    oai_response *res = send_free(f, oai_file_create_request_new(path, "batch"));
    assert_int_equal(oai_response_status(res), OAI_OK);
    char *id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    return id;
}

static char *create_batch(fixture *f, const char *file_id)
{
    oai_response *res = send_free(f, oai_batch_create_request_new(file_id, "/v1/chat/completions", NULL));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "validating");
    char *id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    return id;
}

/* ---- writer and reader ------------------------------------------------------- */

static void test_writer_lines(void **state)
{
    fixture *f = *state;
    write_chat_batch(f->path, 2);
    assert_string_equal(read_text(f->path),
                        "{\"custom_id\":\"req-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello 1\"}]}}\n"
                        "{\"custom_id\":\"req-2\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                        "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello 2\"}]}}\n");
}

static void test_writer_rejects(void **state)
{
    fixture *f = *state;
    oai_batch_writer *w = oai_batch_writer_new(f->path);
    assert_non_null(w);
    oai_request *req = chat("x");
    assert_int_equal(oai_batch_writer_add(w, "a", req), OAI_OK);
    assert_int_equal(oai_batch_writer_add(w, "a", req), OAI_ERR_INVALID_ARGUMENT); /* repeated */
    assert_int_equal(oai_batch_writer_add(w, "", req), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_writer_add(w, NULL, req), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_writer_add(w, "b", NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_writer_add(NULL, "b", req), OAI_ERR_INVALID_ARGUMENT);
    oai_request *models = oai_model_list_request_new(); /* no JSON body */
    assert_int_equal(oai_batch_writer_add(w, "b", models), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(models);
    oai_request *absolute = oai_request_new("POST", "https://example.com/v1/embeddings");
    oai_request_set_string(absolute, "/input", "x");
    assert_int_equal(oai_batch_writer_add(w, "c", absolute), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(absolute);
    /* Many ids (the set grows) and ids that differ only late. */
    for (int i = 0; i < 500; i++) {
        char id[32];
        snprintf(id, sizeof id, "id-%d", i);
        assert_int_equal(oai_batch_writer_add(w, id, req), OAI_OK);
    }
    assert_int_equal(oai_batch_writer_add(w, "id-499", req), OAI_ERR_INVALID_ARGUMENT);
    oai_request_free(req);
    assert_int_equal(oai_batch_writer_finish(w), OAI_OK);
    assert_int_equal(oai_batch_writer_finish(w), OAI_ERR_INVALID_ARGUMENT); /* once */
    oai_batch_writer_free(w);
    assert_int_equal(oai_batch_writer_finish(NULL), OAI_ERR_INVALID_ARGUMENT);
    oai_batch_writer_free(NULL);
    assert_failed_object(oai_batch_writer, oai_batch_writer_new("/nonexistent/dir/x.jsonl"), OAI_ERR_IO, oai_batch_writer_status, oai_batch_writer_error_message, oai_batch_writer_free);
    assert_failed_object(oai_batch_writer, oai_batch_writer_new(NULL), OAI_ERR_INVALID_ARGUMENT, oai_batch_writer_status, oai_batch_writer_error_message, oai_batch_writer_free);

    oai_batch_reader *r = oai_batch_reader_new(f->path);
    const oai_value *line;
    int n = 0;
    while (oai_batch_reader_next(r, &line) == OAI_OK && line)
        n++;
    assert_int_equal(n, 501);
    oai_batch_reader_free(r);
}

static void test_reader_lines(void **state)
{
    fixture *f = *state;
    /* A line longer than the reader's chunk, blank lines, CRLF, a bad line
     * and a last line without its newline. */
    char *big = malloc(30000);
    assert_non_null(big);
    memset(big, 'x', 29999);
    big[29999] = '\0';
    FILE *fp = fopen(f->path, "wb");
    fprintf(fp, "{\"custom_id\":\"a\",\"response\":{\"status_code\":200,\"body\":{\"t\":\"%s\"}},\"error\":null}\n", big);
    fputs("\n   \r\n", fp);
    fputs("{\"custom_id\":\"b\",\"response\":null,\"error\":{\"code\":\"x\",\"message\":\"bad\"}}\r\n", fp);
    fputs("not json\n", fp);
    fwrite("{\"custom_id\":\"nul\"}\0x\n", 1, 22, fp); /* a NUL must not hide the line's end */
    fputs("[1,2]\n", fp);
    fputs("{\"custom_id\":\"c\"}", fp);
    fclose(fp);
    free(big);

    oai_batch_reader *r = oai_batch_reader_new(f->path);
    assert_non_null(r);
    const oai_value *line;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), "a");
    assert_int_equal(oai_value_string_len(oai_value_get(line, "/response/body/t")), 29999);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), "b");
    assert_string_equal(oai_value_get_string(line, "/error/message"), "bad");
    assert_int_equal(oai_value_type_of(oai_value_get(line, "/response")), OAI_VALUE_NULL);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_ERR_PROTOCOL);
    assert_null(line);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_ERR_PROTOCOL); /* the NUL line */
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_ERR_PROTOCOL); /* an array is no result */
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), "c");
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_null(line);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_null(line);
    assert_int_equal(oai_batch_reader_next(r, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_reader_next(NULL, &line), OAI_ERR_INVALID_ARGUMENT);
    oai_batch_reader_free(r);
    oai_batch_reader_free(NULL);
    assert_failed_object(oai_batch_reader, oai_batch_reader_new("/nonexistent/x.jsonl"), OAI_ERR_IO, oai_batch_reader_status, oai_batch_reader_error_message, oai_batch_reader_free);

    write_text(f->path, "");
    r = oai_batch_reader_new(f->path);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_null(line);
    oai_batch_reader_free(r);
}

/* ---- the reader's line limit (issue 7, item 6) ------------------------------- */

/* A JSON object line of exactly `len` bytes: {"custom_id":"ID","pad":"xxx..."} */
static void put_object_line(FILE *fp, const char *id, size_t len, const char *end)
{
    size_t fixed = strlen("{\"custom_id\":\"\",\"pad\":\"\"}") + strlen(id);
    assert_true(len >= fixed);
    fprintf(fp, "{\"custom_id\":\"%s\",\"pad\":\"", id);
    for (size_t i = fixed; i < len; i++)
        fputc('x', fp);
    fprintf(fp, "\"}%s", end);
}

static void expect_result(oai_batch_reader *r, const char *custom_id, int64_t line_number)
{
    const oai_value *line = NULL;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_non_null(line);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), custom_id);
    assert_int_equal(oai_batch_reader_line_number(r), line_number);
    assert_null(oai_batch_reader_error_message(r));
}

static void expect_failure(oai_batch_reader *r, oai_status want, int64_t line_number, const char *message)
{
    const oai_value *line = (const oai_value *)r;
    assert_int_equal(oai_batch_reader_next(r, &line), want);
    assert_null(line);
    assert_int_equal(oai_batch_reader_line_number(r), line_number);
    assert_non_null(oai_batch_reader_error_message(r));
    assert_string_equal(oai_batch_reader_error_message(r), message);
}

/* Lines over a configured limit are refused one by one, naming their line,
 * and reading goes on with the next line; a line of exactly the limit (with
 * or without a CR before its LF) is read. */
static void test_reader_line_limit(void **state)
{
    fixture *f = *state;
    FILE *fp = fopen(f->path, "wb");
    assert_non_null(fp);
    put_object_line(fp, "a", 40, "\n");        /* 1 */
    put_object_line(fp, "long", 5000, "\n");   /* 2: far over */
    put_object_line(fp, "b", 100, "\n");       /* 3: exactly the limit */
    fputs("\n", fp);                           /* 4: blank */
    put_object_line(fp, "c", 100, "\r\n");     /* 5: the CR is the line end's */
    put_object_line(fp, "d", 101, "\n");       /* 6: one byte over */
    put_object_line(fp, "e", 101, "\r\n");     /* 7: one byte over, CRLF */
    fputs("not json\n", fp);                   /* 8 */
    fputs("[1,2]\n", fp);                      /* 9 */
    put_object_line(fp, "f", 30, "\n");        /* 10 */
    put_object_line(fp, "tail", 300, "");      /* 11: over, and no newline */
    fclose(fp);

    oai_batch_reader *r = oai_batch_reader_new(f->path);
    assert_non_null(r);
    assert_int_equal(oai_batch_reader_line_number(r), 0);
    assert_null(oai_batch_reader_error_message(r));
    assert_int_equal(oai_batch_reader_set_max_line_bytes(r, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_reader_set_max_line_bytes(r, -5), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_reader_set_max_line_bytes(NULL, 100), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_reader_set_max_line_bytes(r, 100), OAI_OK);

    expect_result(r, "a", 1);
    expect_failure(r, OAI_ERR_TOO_LARGE, 2, "line 2: longer than the line limit of 100 bytes");
    expect_result(r, "b", 3);
    expect_result(r, "c", 5);
    expect_failure(r, OAI_ERR_TOO_LARGE, 6, "line 6: longer than the line limit of 100 bytes");
    expect_failure(r, OAI_ERR_TOO_LARGE, 7, "line 7: longer than the line limit of 100 bytes");
    expect_failure(r, OAI_ERR_PROTOCOL, 8, "line 8: not valid JSON");
    expect_failure(r, OAI_ERR_PROTOCOL, 9, "line 9: an array, not a JSON object");
    expect_result(r, "f", 10);
    expect_failure(r, OAI_ERR_TOO_LARGE, 11, "line 11: longer than the line limit of 100 bytes");
    const oai_value *line = (const oai_value *)r;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_null(line);
    assert_int_equal(oai_batch_reader_line_number(r), 11);
    assert_null(oai_batch_reader_error_message(r));
    oai_batch_reader_free(r);

    /* The default limit (16 MiB) takes the 5000-byte line. */
    r = oai_batch_reader_new(f->path);
    expect_result(r, "a", 1);
    expect_result(r, "long", 2);
    oai_batch_reader_free(r);

    /* The accessors are NULL-safe. */
    assert_int_equal(oai_batch_reader_line_number(NULL), 0);
    assert_null(oai_batch_reader_error_message(NULL));
}

/* A "file" with no newline at all: refused as soon as the limit is passed,
 * in memory near the limit (it used to grow until the process died). */
static void test_reader_endless_line(void **state)
{
    (void)state;
    const int64_t limit = 1024 * 1024;
    oai_batch_reader *r = oai_batch_reader_new("/dev/zero");
    assert_non_null(r);
    assert_int_equal(oai_batch_reader_set_max_line_bytes(r, limit), OAI_OK);
    long before = peak_rss_kb(1);
    const oai_value *line = (const oai_value *)r;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_ERR_TOO_LARGE);
    long after = peak_rss_kb(0);
    assert_null(line);
    assert_int_equal(oai_batch_reader_line_number(r), 1);
    assert_string_equal(oai_batch_reader_error_message(r), "line 1: longer than the line limit of 1048576 bytes");
    print_message("/dev/zero with a 1 MiB line limit: peak RSS %ld kB before, %ld kB after, growth %ld kB\n",
                  before, after, after - before);
    assert_true(before > 0 && after > 0);
    if (memory_bound_checked())
        assert_true(after - before < 8 * 1024);
    oai_batch_reader_free(r);
}

/* ---- the writer's nesting limit (issue 7, item 8) ---------------------------- */

/* "/a/a/..." with `levels` tokens (malloc'd). */
static char *deep_pointer(size_t levels)
{
    char *p = malloc(2 * levels + 1);
    assert_non_null(p);
    for (size_t i = 0; i < levels; i++)
        memcpy(p + 2 * i, "/a", 2);
    p[2 * levels] = '\0';
    return p;
}

/* A batch line holds the body one level down, so a body at the nesting
 * limit (512) would make a line that no reader can parse: it is refused; one
 * level less is written and reads back. */
static void test_writer_nesting_limit(void **state)
{
    fixture *f = *state;
    char *at_limit = deep_pointer(512);
    oai_request *deepest = oai_request_new("POST", "/chat/completions");
    assert_int_equal(oai_request_set_int(deepest, at_limit, 1), OAI_OK);
    oai_request *fits = oai_request_new("POST", "/chat/completions");
    assert_int_equal(oai_request_set_int(fits, at_limit + 2, 1), OAI_OK); /* 511 levels */
    oai_batch_writer *w = oai_batch_writer_new(f->path);
    assert_non_null(w);
    assert_int_equal(oai_batch_writer_add(w, "deep", deepest), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_batch_writer_add(w, "fits", fits), OAI_OK);
    assert_int_equal(oai_batch_writer_finish(w), OAI_OK);
    assert_int_equal(oai_batch_writer_finish(w), OAI_ERR_INVALID_ARGUMENT); /* once */
    oai_batch_writer_free(w);
    oai_request_free(deepest);
    oai_request_free(fits);

    oai_batch_reader *r = oai_batch_reader_new(f->path);
    assert_non_null(r);
    const oai_value *line = NULL;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), "fits");
    char deepest_field[2 * 512 + 8];
    snprintf(deepest_field, sizeof deepest_field, "/body%s", at_limit + 2);
    assert_int_equal(oai_value_get_int(line, deepest_field), 1);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_null(line);
    oai_batch_reader_free(r);
    free(at_limit);
}

/* ---- helpers ------------------------------------------------------------------ */

static void test_request_helpers(void **state)
{
    fixture *f = *state;
    oai_request *req = oai_batch_create_request_new("file-1", "/v1/embeddings", NULL);
    char *body = oai_request_body_dup(req);
    assert_string_equal(body, "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\"}");
    oai_free(body);
    assert_string_equal(oai_request_method(req), "POST");
    assert_string_equal(oai_request_path(req), "/batches");
    oai_request_free(req);
    req = oai_batch_create_request_new("file-1", "/v1/embeddings", "48h");
    assert_non_null(strstr(body = oai_request_body_dup(req), "\"completion_window\":\"48h\""));
    oai_free(body);
    oai_request_free(req);
    assert_request_failed(oai_batch_create_request_new(NULL, "/v1/embeddings", NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_batch_create_request_new("file-1", "", NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_batch_create_request_new("file-1", "/v1/embeddings", ""), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_batch_retrieve_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_batch_cancel_request_new(""), OAI_ERR_INVALID_ARGUMENT);
    req = oai_batch_cancel_request_new("batch 1");
    assert_string_equal(oai_request_path(req), "/batches/batch%201/cancel");
    oai_request_free(req);

    /* Creating needs an existing input file. */
    oai_response *res = send_free(f, oai_batch_create_request_new("file-nope", "/v1/chat/completions", NULL));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    assert_string_equal(oai_response_error_param(res), "input_file_id");
    oai_response_free(res);
    const mock_request *r = mock_server_request(f->ms, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/v1/batches");
}

/* ---- the whole flow ----------------------------------------------------------- */

static void test_end_to_end(void **state)
{
    fixture *f = *state;
    write_chat_batch(f->path, 3);
    char *input = upload(f, f->path);
    char *batch = create_batch(f, input);
    char body[256];
    snprintf(body, sizeof body, "{\"input_file_id\":\"%s\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
             input);
    assert_string_equal(mock_server_request(f->ms, 1)->body, body);

    /* Retrieve until completed: validating -> in_progress -> completed. */
    const char *expected[] = {"in_progress", "completed"};
    oai_response *res = NULL;
    for (int i = 0; i < 2; i++) {
        oai_response_free(res);
        res = send_free(f, oai_batch_retrieve_request_new(batch));
        assert_int_equal(oai_response_status(res), OAI_OK);
        assert_string_equal(oai_response_get_string(res, "/status"), expected[i]);
        assert_int_equal(oai_response_get_int(res, "/request_counts/total"), 3);
    }
    char path[64];
    snprintf(path, sizeof path, "/v1/batches/%s", batch);
    assert_string_equal(mock_server_request(f->ms, 2)->path, path);
    assert_string_equal(mock_server_request(f->ms, 2)->method, "GET");
    assert_int_equal(oai_response_get_int(res, "/request_counts/completed"), 3);
    assert_int_equal(oai_response_get_int(res, "/request_counts/failed"), 0);
    assert_null(oai_response_get_string(res, "/error_file_id"));
    const char *output = oai_response_get_string(res, "/output_file_id");
    assert_non_null(output);

    /* Download the output and match every result to its request. */
    oai_request *download = oai_file_retrieve_content_request_new(output);
    oai_request_set_output_file(download, f->path);
    oai_response *got = send_free(f, download);
    assert_int_equal(oai_response_status(got), OAI_OK);
    oai_response_free(got);
    oai_response_free(res);
    oai_batch_reader *r = oai_batch_reader_new(f->path);
    int matched[4] = {0};
    const oai_value *line;
    while (oai_batch_reader_next(r, &line) == OAI_OK && line) {
        const char *custom_id = oai_value_get_string(line, "/custom_id");
        assert_non_null(custom_id);
        int i = atoi(custom_id + 4);
        assert_true(i >= 1 && i <= 3);
        matched[i]++;
        assert_int_equal(oai_value_get_int(line, "/response/status_code"), 200);
        assert_non_null(oai_value_get_string(line, "/response/request_id"));
        assert_int_equal(oai_value_type_of(oai_value_get(line, "/error")), OAI_VALUE_NULL);
        char answer[32];
        snprintf(answer, sizeof answer, "Echo: Hello %d", i);
        assert_string_equal(oai_value_get_string(line, "/response/body/choices/0/message/content"), answer);
    }
    oai_batch_reader_free(r);
    assert_int_equal(matched[1], 1);
    assert_int_equal(matched[2], 1);
    assert_int_equal(matched[3], 1);

    /* A completed batch cannot be cancelled; it is listed. */
    res = send_free(f, oai_batch_cancel_request_new(batch));
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);
    oai_request *list = oai_batch_list_request_new();
    oai_request_set_query(list, "limit", "5");
    res = send_free(f, list);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/data/0/id"), batch);
    assert_false(oai_response_get_bool(res, "/has_more"));
    oai_response_free(res);
    size_t last = mock_server_request_count(f->ms) - 1;
    assert_string_equal(mock_server_request(f->ms, last)->path, "/v1/batches");
    assert_string_equal(mock_server_request(f->ms, last)->query, "limit=5");
    free(batch);
    free(input);
}

/* Lines the mock cannot run land in the error file. */
static void test_error_file(void **state)
{
    fixture *f = *state;
    write_text(f->path,
               "{\"custom_id\":\"ok\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
               "\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n"
               "{\"custom_id\":\"wrong-url\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"input\":\"x\"}}\n"
               "not json\n");
    char *input = upload(f, f->path);
    char *batch = create_batch(f, input);
    oai_response *res = NULL;
    for (int i = 0; i < 2; i++) {
        oai_response_free(res);
        res = send_free(f, oai_batch_retrieve_request_new(batch));
    }
    assert_string_equal(oai_response_get_string(res, "/status"), "completed");
    assert_int_equal(oai_response_get_int(res, "/request_counts/completed"), 1);
    assert_int_equal(oai_response_get_int(res, "/request_counts/failed"), 2);
    const char *errors = oai_response_get_string(res, "/error_file_id");
    assert_non_null(errors);
    oai_request *download = oai_file_retrieve_content_request_new(errors);
    oai_request_set_output_file(download, f->path);
    oai_response_free(send_free(f, download));
    oai_response_free(res);
    oai_batch_reader *r = oai_batch_reader_new(f->path);
    const oai_value *line;
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_string_equal(oai_value_get_string(line, "/custom_id"), "wrong-url");
    assert_string_equal(oai_value_get_string(line, "/error/code"), "invalid_url");
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_int_equal(oai_value_type_of(oai_value_get(line, "/custom_id")), OAI_VALUE_NULL);
    assert_int_equal(oai_batch_reader_next(r, &line), OAI_OK);
    assert_null(line);
    oai_batch_reader_free(r);
    free(batch);
    free(input);
}

static void test_cancel(void **state)
{
    fixture *f = *state;
    write_chat_batch(f->path, 1);
    char *input = upload(f, f->path);
    char *batch = create_batch(f, input);
    oai_response *res = send_free(f, oai_batch_cancel_request_new(batch));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/status"), "cancelling");
    oai_response_free(res);
    char path[64];
    snprintf(path, sizeof path, "/v1/batches/%s/cancel", batch);
    assert_string_equal(mock_server_request(f->ms, 2)->path, path);
    assert_string_equal(mock_server_request(f->ms, 2)->method, "POST");
    res = send_free(f, oai_batch_retrieve_request_new(batch));
    assert_string_equal(oai_response_get_string(res, "/status"), "cancelled");
    oai_response_free(res);
    res = send_free(f, oai_batch_retrieve_request_new("batch_nope"));
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    oai_response_free(res);
    free(batch);
    free(input);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writer_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_line_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_endless_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_nesting_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
