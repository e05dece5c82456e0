/* The libcurl transport, driven directly through the exchanges of
 * src/transport/transport.h (the engine's side of include/oai/transport.h)
 * against the scripted mock server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_server.h"
#include "tls_server.h"
#include "http/multipart.h"
#include "transport/transport.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

typedef struct buf {
    char *p;
    size_t len;
} buf;

static void buf_add(buf *b, const void *data, size_t len)
{
    char *grown = realloc(b->p, b->len + len + 1);
    assert_non_null(grown);
    b->p = grown;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static const char *buf_str(const buf *b)
{
    return b->p ? b->p : "";
}

static int contains(const void *hay, size_t hay_len, const void *needle, size_t needle_len)
{
    return hay && memmem(hay, hay_len, needle, needle_len) != NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Where a test makes a callback react. */
typedef enum point {
    AT_NONE = 0,
    AT_STATUS,
    AT_HEADER,
    AT_DATA,
    AT_PROGRESS
} point;

/* What a test asks to send; start() turns it into an exchange. */
typedef struct test_request {
    const char *method;
    const char *url;
    const char *const *headers;     /* "Name: value" lines */
    size_t header_count;
    const char *body;
    size_t body_len;
    const oai__http_part *parts;    /* encoded with http/multipart.c */
    size_t part_count;
    int64_t connect_timeout_ms;
    const char *ca_file;
    const void *ca_blob;
    size_t ca_blob_len;
    const char *proxy;
    int no_progress;                /* the engine does not want progress */
} test_request;

#define MAX_HEADERS 8

/* Everything one exchange reported. */
typedef struct result {
    oai_transport *t;
    oai_exchange *x;                /* NULL once it ended or was released */
    int status_calls, header_calls, data_calls, progress_calls;
    int http_status;
    buf headers; /* "Name: value\n" per header */
    buf body;
    int64_t sent, send_total;
    int done;
    oai_status done_status;
    char message[512];
    point abort_at; /* release the exchange there */
    point pause_at; /* pause the exchange there (once) */
    int paused;
    int reactions;
    void (*then)(struct result *r); /* runs inside on_end */
    /* What the exchange points to. */
    char names[MAX_HEADERS][64];
    char values[MAX_HEADERS][4096];
    const char *name_ptrs[MAX_HEADERS];
    const char *value_ptrs[MAX_HEADERS];
    char content_type[128];
    oai__multipart *multipart;
} result;

static void result_init(result *r, oai_transport *t)
{
    memset(r, 0, sizeof *r);
    r->t = t;
}

static void result_free(result *r)
{
    free(r->headers.p);
    free(r->body.p);
    oai__multipart_free(r->multipart);
    r->multipart = NULL;
}

/* The engine lets go of the exchange, as it does on a cancel. */
static void release(result *r)
{
    oai_exchange *x = r->x;
    r->x = NULL;
    oai__exchange_release(x);
}

static void react(result *r, point here)
{
    if (r->pause_at == here && r->x && !r->paused) {
        r->paused = 1;
        oai__exchange_pause(r->x, 1);
    }
    if (r->abort_at == here && r->x) {
        r->reactions++;
        release(r);
    }
}

static void on_status(void *ud, int http_status)
{
    result *r = ud;
    r->status_calls++;
    r->http_status = http_status;
    react(r, AT_STATUS);
}

static void on_header(void *ud, const char *name, size_t name_len, const char *value, size_t value_len)
{
    result *r = ud;
    r->header_calls++;
    buf_add(&r->headers, name, name_len);
    buf_add(&r->headers, ": ", 2);
    buf_add(&r->headers, value, value_len);
    buf_add(&r->headers, "\n", 1);
    react(r, AT_HEADER);
}

static void on_data(void *ud, const char *data, size_t len)
{
    result *r = ud;
    r->data_calls++;
    buf_add(&r->body, data, len);
    react(r, AT_DATA);
}

static void on_sent(void *ud, int64_t sent, int64_t send_total)
{
    result *r = ud;
    r->progress_calls++;
    r->sent = sent;
    r->send_total = send_total;
    /* React once the response is arriving: progress is reported before the
     * request is even sent, and the reply must not be left queued. */
    if (r->body.len > 0)
        react(r, AT_PROGRESS);
}

static void on_end(void *ud, oai_status status, const char *message)
{
    result *r = ud;
    r->done++;
    r->done_status = status;
    snprintf(r->message, sizeof r->message, "%s", message ? message : "(null)");
    r->x = NULL;
    if (r->then)
        r->then(r);
}

static const oai__exchange_sink events = {on_status, on_header, on_data, on_sent, on_end};

typedef struct fixture {
    mock_server *ms;
    oai_transport *t;
    char url[256];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(oai__transport_global_init(), OAI_OK);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    oai_status st = OAI_ERR_INVALID_ARGUMENT;
    f->t = oai_transport_curl_new(&st);
    assert_non_null(f->t);
    assert_int_equal(st, OAI_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_transport_free(f->t);
    mock_server_stop(f->ms);
    free(f);
    return 0;
}

/* The mock server's URL plus path ("/models" → "http://127.0.0.1:P/v1/models"). */
static const char *url_of(fixture *f, const char *path)
{
    snprintf(f->url, sizeof f->url, "%s%s", mock_server_url(f->ms), path);
    return f->url;
}

static void request_init(test_request *req, const char *method, const char *url)
{
    memset(req, 0, sizeof *req);
    req->method = method;
    req->url = url;
}

/* Splits "Name: value" (or "Name;" for an empty value) into the result's
 * storage, as the engine hands headers over. */
static void split_headers(result *r, const test_request *req, oai__exchange_spec *spec)
{
    assert_true(req->header_count <= MAX_HEADERS - 1);
    for (size_t i = 0; i < req->header_count; i++) {
        const char *line = req->headers[i];
        size_t n = strcspn(line, ":;");
        const char *v = line[n] ? line + n + 1 : "";
        while (*v == ' ')
            v++;
        snprintf(r->names[i], sizeof r->names[i], "%.*s", (int)n, line);
        snprintf(r->values[i], sizeof r->values[i], "%s", v);
        r->name_ptrs[i] = r->names[i];
        r->value_ptrs[i] = r->values[i];
    }
    spec->header_names = r->name_ptrs;
    spec->header_values = r->value_ptrs;
    spec->header_count = req->header_count;
}

/* Starts an exchange; the status of oai__exchange_start(). */
static oai_status try_start(fixture *f, const test_request *req, const oai__exchange_sink *sink, result *r)
{
    oai__exchange_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.method = req->method;
    spec.url = req->url;
    split_headers(r, req, &spec);
    if (req->part_count > 0) {
        assert_int_equal(oai__multipart_new(req->parts, req->part_count, &r->multipart, NULL, 0), OAI_OK);
        spec.multipart = r->multipart;
        snprintf(r->names[spec.header_count], sizeof r->names[0], "Content-Type");
        snprintf(r->content_type, sizeof r->content_type, "%s", oai__multipart_content_type(r->multipart));
        r->name_ptrs[spec.header_count] = r->names[spec.header_count];
        r->value_ptrs[spec.header_count] = r->content_type;
        spec.header_count++;
    } else {
        spec.body = req->body;
        spec.body_len = req->body_len;
    }
    spec.connect_timeout_ms = req->connect_timeout_ms;
    spec.ca_file = req->ca_file;
    spec.ca_blob = req->ca_blob;
    spec.ca_blob_len = req->ca_blob_len;
    spec.proxy = req->proxy;
    spec.want_progress = !req->no_progress; /* the AT_PROGRESS reactions and upload checks */
    oai_exchange *x = oai__exchange_new(&spec, sink, r);
    assert_non_null(x);
    r->x = x;
    oai_status st = oai__exchange_start(f->t, x, NULL);
    if (st != OAI_OK)
        r->x = NULL;
    return st;
}

static void start(fixture *f, const test_request *req, result *r)
{
    assert_int_equal(try_start(f, req, &events, r), OAI_OK);
    assert_non_null(r->x);
}

/* Runs the transport until every result is done or ms have passed. */
static void run_until_done(fixture *f, result **rs, size_t n, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        size_t i, done = 0;
        for (i = 0; i < n; i++)
            done += rs[i]->done > 0;
        if (done == n || now_ms() > deadline)
            return;
        assert_int_equal(oai__transport_run(f->t, 50), OAI_OK);
    }
}

static void run_one(fixture *f, result *r)
{
    run_until_done(f, &r, 1, 15000);
    assert_int_equal(r->done, 1);
}

static void run_for(fixture *f, int ms)
{
    int64_t deadline = now_ms() + ms;
    while (now_ms() < deadline)
        assert_int_equal(oai__transport_run(f->t, 20), OAI_OK);
}

static void get_ok(fixture *f, const char *body)
{
    test_request req;
    result r;
    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, body);
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(r.http_status, 200);
    assert_string_equal(buf_str(&r.body), body);
    result_free(&r);
}

static const mock_request *last_request(fixture *f)
{
    size_t n = mock_server_request_count(f->ms);
    assert_true(n > 0);
    return mock_server_request(f->ms, n - 1);
}

/* ------------------------------------------------------------------------ */
/* Requests and responses                                                    */

static void test_get_headers_and_body(void **state)
{
    fixture *f = *state;
    const char *headers[] = { "X-Test: yes", "Authorization: Bearer sk-test-secret" };
    const mock_request *seen;
    test_request req;
    result r;

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, "X-Custom-Header:   Value1  \r\nx-request-id: req_123\r\n",
                            "{\"ok\":true}");
    request_init(&req, "GET", url_of(f, "/models?limit=2"));
    req.headers = headers;
    req.header_count = 2;
    start(f, &req, &r);
    run_one(f, &r);

    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(r.status_calls, 1);
    assert_int_equal(r.http_status, 200);
    assert_string_equal(buf_str(&r.body), "{\"ok\":true}");
    /* Case as sent, values trimmed, no status line, no blank line. */
    assert_non_null(strstr(buf_str(&r.headers), "X-Custom-Header: Value1\n"));
    assert_non_null(strstr(buf_str(&r.headers), "x-request-id: req_123\n"));
    assert_null(strstr(buf_str(&r.headers), "HTTP/"));
    assert_null(strstr(buf_str(&r.headers), "\n\n"));
    assert_true(r.header_calls >= 4); /* the two above, Content-Type, Content-Length */

    seen = last_request(f);
    assert_string_equal(seen->method, "GET");
    assert_string_equal(seen->target, "/v1/models?limit=2");
    assert_string_equal(mock_request_header(seen, "X-Test"), "yes");
    assert_string_equal(mock_request_header(seen, "Authorization"), "Bearer sk-test-secret");
    /* Bodies are kept as sent: no compression is negotiated. */
    assert_null(mock_request_header(seen, "Accept-Encoding"));
    assert_int_equal(seen->body_len, 0);
    result_free(&r);
}

static void test_post_body_intact(void **state)
{
    fixture *f = *state;
    static const char body[] = "{\"model\":\"m\",\"bytes\":\"\0\x01\xff\"}";
    const char *headers[] = { "Content-Type: application/json" };
    const mock_request *seen;
    test_request req;
    result r;

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 201, NULL, "{\"created\":true}");
    request_init(&req, "POST", url_of(f, "/chat/completions"));
    req.headers = headers;
    req.header_count = 1;
    req.body = body;
    req.body_len = sizeof body - 1;
    start(f, &req, &r);
    run_one(f, &r);

    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(r.http_status, 201);
    seen = last_request(f);
    assert_string_equal(seen->method, "POST");
    assert_string_equal(seen->path, "/v1/chat/completions");
    assert_string_equal(mock_request_header(seen, "Content-Type"), "application/json");
    assert_int_equal(seen->body_len, sizeof body - 1);
    assert_memory_equal(seen->body, body, sizeof body - 1);
    result_free(&r);
}

static void test_other_methods(void **state)
{
    fixture *f = *state;
    const mock_request *seen;
    test_request req;
    result r;

    /* DELETE without a body. */
    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{\"deleted\":true}");
    request_init(&req, "DELETE", url_of(f, "/models/ft-1"));
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    seen = last_request(f);
    assert_string_equal(seen->method, "DELETE");
    assert_int_equal(seen->body_len, 0);
    result_free(&r);

    /* PATCH with a body. */
    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "PATCH", url_of(f, "/things/1"));
    req.body = "{\"a\":1}";
    req.body_len = 7;
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    seen = last_request(f);
    assert_string_equal(seen->method, "PATCH");
    assert_int_equal(seen->body_len, 7);
    assert_memory_equal(seen->body, "{\"a\":1}", 7);
    result_free(&r);

    /* POST without a body still says how long it is. */
    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "POST", url_of(f, "/batches/b1/cancel"));
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    seen = last_request(f);
    assert_string_equal(seen->method, "POST");
    assert_string_equal(mock_request_header(seen, "Content-Length"), "0");
    result_free(&r);
}

/* No body in memory waits for 100-continue, whatever its size: a small
 * one has no "Expect:" line in curl's list (curl would add none), a large
 * one has it (curl would add one). */
static void test_no_expect_for_bodies_in_memory(void **state)
{
    fixture *f = *state;
    static const size_t sizes[] = {0, 1, 1024, 1025, 2 * 1024 * 1024};
    char *body = malloc(sizes[4]);
    size_t i;
    assert_non_null(body);
    memset(body, 'x', sizes[4]);
    for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const mock_request *seen;
        test_request req;
        result r;
        char want[32];
        result_init(&r, f->t);
        mock_server_push_simple(f->ms, 200, NULL, "{}");
        request_init(&req, "POST", url_of(f, "/files"));
        req.body = body;
        req.body_len = sizes[i];
        start(f, &req, &r);
        run_one(f, &r);
        assert_int_equal(r.done_status, OAI_OK);
        seen = last_request(f);
        assert_null(mock_request_header(seen, "Expect"));
        snprintf(want, sizeof want, "%zu", sizes[i]);
        assert_string_equal(mock_request_header(seen, "Content-Length"), want);
        assert_int_equal(seen->body_len, sizes[i]);
        result_free(&r);
    }
    free(body);
}

static void test_header_removal(void **state)
{
    fixture *f = *state;
    /* The exchange's list is the whole list: curl adds no Accept of its
     * own, and an empty value goes out empty. */
    const char *headers[] = { "X-Empty;", "X-Keep: 1" };
    const mock_request *seen;
    test_request req;
    result r;

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "GET", url_of(f, "/models"));
    req.headers = headers;
    req.header_count = 2;
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    seen = last_request(f);
    assert_null(mock_request_header(seen, "Accept"));
    assert_null(mock_request_header(seen, "Expect"));
    assert_string_equal(mock_request_header(seen, "X-Empty"), "");
    assert_string_equal(mock_request_header(seen, "X-Keep"), "1");
    result_free(&r);
}

static void test_error_status_is_a_complete_response(void **state)
{
    fixture *f = *state;
    test_request req;
    result r;

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 429, "Retry-After: 1\r\n",
                            "{\"error\":{\"message\":\"slow down\"}}");
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(r.http_status, 429);
    assert_non_null(strstr(buf_str(&r.headers), "Retry-After: 1\n"));
    assert_non_null(strstr(buf_str(&r.body), "slow down"));
    result_free(&r);
}

static void test_chunked_body_in_pieces(void **state)
{
    fixture *f = *state;
    const char *chunks[] = { "data: first\n\n", "data: second\n\n", "data: [DONE]\n\n" };
    mock_reply reply;
    test_request req;
    result r;

    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.chunks = chunks;
    reply.chunk_count = 3;
    reply.chunk_delay_ms = 80;
    mock_server_push(f->ms, &reply);

    result_init(&r, f->t);
    request_init(&req, "POST", url_of(f, "/chat/completions"));
    req.body = "{\"stream\":true}";
    req.body_len = strlen(req.body);
    start(f, &req, &r);
    run_one(f, &r);

    assert_int_equal(r.done_status, OAI_OK);
    assert_true(r.data_calls >= 3);
    assert_string_equal(buf_str(&r.body), "data: first\n\ndata: second\n\ndata: [DONE]\n\n");
    assert_non_null(strstr(buf_str(&r.headers), "Content-Type: text/event-stream"));
    result_free(&r);
}

static void test_keep_alive_reuses_one_connection(void **state)
{
    fixture *f = *state;
    size_t i;
    for (i = 0; i < 100; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"n\":%zu}", i);
        get_ok(f, body);
    }
    assert_int_equal(mock_server_request_count(f->ms), 100);
    assert_int_equal(mock_server_connection_count(f->ms), 1);
    assert_int_equal(mock_server_request(f->ms, 99)->connection_id, 1);
}

/* ------------------------------------------------------------------------ */
/* Multipart                                                                 */

/* A temporary file holding text; the path is written to path_out. */
static void write_temp_file(char *path_out, size_t cap, const void *data, size_t len)
{
    int fd;
    snprintf(path_out, cap, "/tmp/oai-test-transport-XXXXXX");
    fd = mkstemp(path_out);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void test_multipart_parts_arrive_intact(void **state)
{
    fixture *f = *state;
    static const char blob[] = "\0\x01 binary \xff";
    char path[64];
    oai__http_part parts[4];
    const mock_request *seen;
    const char *type;
    test_request req;
    result r;

    write_temp_file(path, sizeof path, "0123456789ABCDEFGHIJ", 20);
    memset(parts, 0, sizeof parts);
    parts[0].kind = OAI_PART_FIELD;
    parts[0].name = "purpose";
    parts[0].value = "fine-tune";
    parts[1].kind = OAI_PART_DATA;
    parts[1].name = "blob";
    parts[1].data = blob;
    parts[1].len = sizeof blob - 1;
    parts[1].filename = "blob.bin";
    parts[1].mime_type = "application/x-test";
    parts[2].kind = OAI_PART_FILE;
    parts[2].name = "file";
    parts[2].path = path;
    parts[2].offset = 5;
    parts[2].length = 10;
    parts[2].filename = "slice.jsonl";
    parts[3].kind = OAI_PART_FILE;
    parts[3].name = "rest";
    parts[3].path = path;
    parts[3].offset = 15;
    parts[3].length = -1;
    parts[3].filename = "rest.txt";
    parts[3].mime_type = "text/plain";

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{\"id\":\"file-1\"}");
    request_init(&req, "POST", url_of(f, "/files"));
    req.parts = parts;
    req.part_count = 4;
    req.body = "ignored when parts are set";
    req.body_len = strlen(req.body);
    start(f, &req, &r);
    run_one(f, &r);
    unlink(path);
    assert_int_equal(r.done_status, OAI_OK);

    seen = last_request(f);
    type = mock_request_header(seen, "Content-Type");
    assert_non_null(type);
    assert_true(strncmp(type, "multipart/form-data; boundary=", 30) == 0);
#define BODY_HAS(lit) assert_true(contains(seen->body, seen->body_len, lit, sizeof lit - 1))
    BODY_HAS("name=\"purpose\"\r\n\r\nfine-tune\r\n--");
    BODY_HAS("name=\"blob\"; filename=\"blob.bin\"\r\nContent-Type: application/x-test\r\n\r\n"
             "\0\x01 binary \xff\r\n--");
    BODY_HAS("name=\"file\"; filename=\"slice.jsonl\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n56789ABCDE\r\n--");
    BODY_HAS("name=\"rest\"; filename=\"rest.txt\"\r\nContent-Type: text/plain\r\n\r\nFGHIJ\r\n--");
#undef BODY_HAS
    assert_false(contains(seen->body, seen->body_len, "ignored", 7));
    result_free(&r);
}

/* A request that asks for "Expect: 100-continue" gets the interim 100,
 * which must not be reported as the status. The file is streamed with
 * progress. */
static void test_large_file_upload_with_progress(void **state)
{
    fixture *f = *state;
    const size_t size = 3u << 20;
    char path[64];
    char *content = malloc(size);
    oai__http_part part;
    const mock_request *seen;
    test_request req;
    result r;
    size_t i;

    assert_non_null(content);
    for (i = 0; i < size; i++)
        content[i] = (char)('a' + (i * 7 + i / 4096) % 26);
    write_temp_file(path, sizeof path, content, size);
    memset(&part, 0, sizeof part);
    part.kind = OAI_PART_FILE;
    part.name = "data";
    part.path = path;
    part.length = -1;
    part.filename = "big.bin";

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{\"ok\":1}");
    request_init(&req, "POST", url_of(f, "/uploads/u1/parts"));
    const char *expect[] = { "Expect: 100-continue" };
    req.parts = &part;
    req.part_count = 1;
    req.headers = expect;
    req.header_count = 1;
    start(f, &req, &r);
    run_one(f, &r);
    unlink(path);

    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(r.status_calls, 1);
    assert_int_equal(r.http_status, 200);
    assert_true(r.progress_calls > 0);
    assert_true(r.send_total > (int64_t)size);
    assert_int_equal(r.sent, r.send_total);
    seen = last_request(f);
    assert_string_equal(mock_request_header(seen, "Expect"), "100-continue");
    assert_true(seen->body_len > size);
    assert_true(contains(seen->body, seen->body_len, content, size));
    free(content);
    result_free(&r);
}

/* A file that shrinks after start() fails the transfer as an I/O error. */
static void test_file_shrinking_during_upload(void **state)
{
    fixture *f = *state;
    const size_t size = 100000;
    char path[64];
    char *content = calloc(1, size);
    oai__http_part part;
    test_request req;
    result r;

    assert_non_null(content);
    write_temp_file(path, sizeof path, content, size);
    free(content);
    memset(&part, 0, sizeof part);
    part.kind = OAI_PART_FILE;
    part.name = "file";
    part.path = path;
    part.length = -1;
    part.filename = "train.jsonl";

    result_init(&r, f->t);
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "POST", url_of(f, "/files"));
    req.parts = &part;
    req.part_count = 1;
    start(f, &req, &r);
    assert_int_equal(truncate(path, 10), 0);
    run_one(f, &r);
    unlink(path);
    assert_int_equal(r.done_status, OAI_ERR_IO);
    assert_non_null(strstr(r.message, "reading the request body failed"));
    result_free(&r);
    mock_server_reset(f->ms);
    get_ok(f, "{}");
}

/* ------------------------------------------------------------------------ */
/* Failures                                                                  */

static void expect_failure(fixture *f, const char *url, oai_status expected)
{
    const char *headers[] = { "Authorization: Bearer sk-never-printed" };
    test_request req;
    result r;
    result_init(&r, f->t);
    request_init(&req, "GET", url);
    req.headers = headers;
    req.header_count = 1;
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, expected);
    assert_true(strlen(r.message) > 0);
    assert_null(strstr(r.message, "sk-never-printed"));
    result_free(&r);
}

static void test_connection_refused(void **state)
{
    fixture *f = *state;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/models", mock_unused_port());
    expect_failure(f, url, OAI_ERR_CONNECTION);
}

static void push_fault(fixture *f, mock_fault fault, size_t after, int stall_ms)
{
    mock_reply reply;
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = "0123456789012345678901234567890123456789";
    reply.fault = fault;
    reply.fault_after = after;
    reply.stall_ms = stall_ms;
    mock_server_push(f->ms, &reply);
}

static void test_broken_connections(void **state)
{
    fixture *f = *state;
    push_fault(f, MOCK_FAULT_CLOSE_MID_BODY, 10, 0);
    expect_failure(f, url_of(f, "/models"), OAI_ERR_CONNECTION);
    push_fault(f, MOCK_FAULT_RESET, 10, 0);
    expect_failure(f, url_of(f, "/models"), OAI_ERR_CONNECTION);
    push_fault(f, MOCK_FAULT_CLOSE_BEFORE_RESPONSE, 0, 0);
    expect_failure(f, url_of(f, "/models"), OAI_ERR_CONNECTION);
    /* The transport recovers on a new connection. */
    get_ok(f, "{\"after\":\"faults\"}");
}

/* A listener that answers every connection with fixed bytes and closes
 * it: by default a plain-text HTTP line at once (a TLS client fails its
 * handshake); with `reply` set, those bytes after reading the request, for
 * replies the scripted mock server cannot produce (garbage, HTTP/0.9). */
typedef struct plain_talker {
    int fd;
    int port;
    pthread_t thread;
    const char *reply;
    size_t reply_len;
} plain_talker;

static void *plain_talker_loop(void *arg)
{
    plain_talker *pt = arg;
    static const char line[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    int c;
    while ((c = accept(pt->fd, NULL, NULL)) >= 0) {
        const char *out = pt->reply ? pt->reply : line;
        size_t left = pt->reply ? pt->reply_len : sizeof line - 1;
        char request[4096];
        if (pt->reply && read(c, request, sizeof request) <= 0)
            left = 0;
        while (left > 0) {
            ssize_t n = write(c, out, left);
            if (n <= 0)
                break;
            out += n;
            left -= (size_t)n;
        }
        shutdown(c, SHUT_WR);
        while (pt->reply && read(c, request, sizeof request) > 0)
            ; /* until the client closes: no reset before it read the reply */
        close(c);
    }
    return NULL;
}

static void plain_talker_start(plain_talker *pt)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pt->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(pt->fd >= 0);
    assert_int_equal(bind(pt->fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(pt->fd, 8), 0);
    assert_int_equal(getsockname(pt->fd, (struct sockaddr *)&addr, &len), 0);
    pt->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&pt->thread, NULL, plain_talker_loop, pt), 0);
}

static void plain_talker_stop(plain_talker *pt)
{
    shutdown(pt->fd, SHUT_RDWR); /* makes accept() fail */
    pthread_join(pt->thread, NULL);
    close(pt->fd);
}

/* Replies that are not HTTP are the server's fault: OAI_ERR_PROTOCOL; a
 * header over curl's 100 KiB limit is OAI_ERR_TOO_LARGE, not a lack of
 * memory. */
static void expect_reply_failure(fixture *f, const char *reply, size_t len, oai_status expected)
{
    plain_talker pt = {0};
    char url[64];
    pt.reply = reply;
    pt.reply_len = len;
    plain_talker_start(&pt);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/models", pt.port);
    expect_failure(f, url, expected);
    plain_talker_stop(&pt);
}

static void test_broken_replies_are_protocol_errors(void **state)
{
    fixture *f = *state;
    static const char garbage[] = "\x16\x03\x01 this is not HTTP at all\r\n\r\n";
    static const char http09[] = "{\"id\":\"no status line\"}";
    static const char status000[] = "HTTP/1.1 000 OK\r\nContent-Length: 2\r\n\r\n{}";
    expect_reply_failure(f, garbage, sizeof garbage - 1, OAI_ERR_PROTOCOL);
    expect_reply_failure(f, http09, sizeof http09 - 1, OAI_ERR_PROTOCOL);
    expect_reply_failure(f, status000, sizeof status000 - 1, OAI_ERR_PROTOCOL);

    size_t big = 150 * 1024;
    char *huge = malloc(big + 128);
    assert_non_null(huge);
    int n = snprintf(huge, 128, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(huge + n, 'a', big);
    n += (int)big;
    n += snprintf(huge + n, 64, "\r\nContent-Length: 2\r\n\r\n{}");
    expect_reply_failure(f, huge, (size_t)n, OAI_ERR_TOO_LARGE);
    free(huge);
}

static void test_tls_failures(void **state)
{
    fixture *f = *state;
    static const char garbage[] = "-----BEGIN CERTIFICATE-----\nnot base64\n";
    plain_talker pt = {0};
    char url[64];
    test_request req;
    result r;

    plain_talker_start(&pt);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/v1/models", pt.port);
    /* TLS to a server speaking plain HTTP fails the handshake. */
    expect_failure(f, url, OAI_ERR_TLS);

    /* An unreadable CA file or a CA blob without certificates. */
    result_init(&r, f->t);
    request_init(&req, "GET", url);
    req.ca_file = "/nonexistent/oai/ca.pem";
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_ERR_TLS);
    result_free(&r);

    result_init(&r, f->t);
    request_init(&req, "GET", url);
    req.ca_blob = garbage;
    req.ca_blob_len = sizeof garbage - 1;
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_ERR_TLS);
    result_free(&r);
    plain_talker_stop(&pt);
}

static void test_invalid_arguments(void **state)
{
    fixture *f = *state;
    test_request req;
    result r;

    /* A method that is no token never reaches the wire. */
    result_init(&r, f->t);
    request_init(&req, "GET /evil HTTP/1.1\r\nX:", url_of(f, "/models"));
    assert_int_equal(try_start(f, &req, &events, &r), OAI_ERR_INVALID_ARGUMENT);
    request_init(&req, "", url_of(f, "/models"));
    assert_int_equal(try_start(f, &req, &events, &r), OAI_ERR_INVALID_ARGUMENT);
    assert_null(r.x);
    assert_int_equal(r.done, 0);
    assert_int_equal(mock_server_request_count(f->ms), 0);
    result_free(&r);

    /* Only http and https are spoken. */
    expect_failure(f, "file:///etc/passwd", OAI_ERR_INVALID_ARGUMENT);
    expect_failure(f, "ftp://127.0.0.1/x", OAI_ERR_INVALID_ARGUMENT);
}

static void test_proxy_setting(void **state)
{
    fixture *f = *state;
    char proxy[64];
    test_request req;
    result r;

    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", mock_unused_port());

    /* An explicit proxy is used... */
    result_init(&r, f->t);
    request_init(&req, "GET", url_of(f, "/models"));
    req.proxy = proxy;
    start(f, &req, &r);
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_ERR_CONNECTION);
    result_free(&r);

    /* ...and "" overrides the environment's. */
    setenv("http_proxy", proxy, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    result_init(&r, f->t);
    request_init(&req, "GET", url_of(f, "/models"));
    req.proxy = "";
    start(f, &req, &r);
    run_one(f, &r);
    unsetenv("http_proxy");
    assert_int_equal(r.done_status, OAI_OK);
    result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Cancellation                                                              */

static void push_slow_chunks(fixture *f)
{
    static const char *const chunks[] = { "one ", "two ", "three" };
    mock_reply reply;
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.chunks = chunks;
    reply.chunk_count = 3;
    reply.chunk_delay_ms = 100;
    mock_server_push(f->ms, &reply);
}

static void test_abort_inside_callbacks(void **state)
{
    fixture *f = *state;
    point at;
    for (at = AT_STATUS; at <= AT_PROGRESS; at++) {
        test_request req;
        result r;
        result_init(&r, f->t);
        r.abort_at = at;
        push_slow_chunks(f);
        request_init(&req, "GET", url_of(f, "/models"));
        start(f, &req, &r);
        run_for(f, 500);
        assert_int_equal(r.reactions, 1);
        assert_int_equal(r.done, 0);
            if (at == AT_DATA)
            assert_string_equal(buf_str(&r.body), "one ");
        result_free(&r);
        /* The transport keeps working. */
        get_ok(f, "{\"still\":\"working\"}");
    }
}

static void test_abort_from_outside(void **state)
{
    fixture *f = *state;
    mock_reply reply;
    test_request req;
    result r;

    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = "{}";
    reply.delay_ms = 300;
    mock_server_push(f->ms, &reply);
    result_init(&r, f->t);
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &r);
    run_for(f, 100);
    release(&r);
    run_for(f, 400);
    assert_int_equal(r.done, 0);
    result_free(&r);
    get_ok(f, "{\"next\":1}");
}

/* ------------------------------------------------------------------------ */
/* Concurrency and re-entrancy                                               */

static void push_delayed(fixture *f, const char *body, int delay_ms)
{
    mock_reply reply;
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = body;
    reply.delay_ms = delay_ms;
    mock_server_push(f->ms, &reply);
}

static void test_three_concurrent_transfers(void **state)
{
    fixture *f = *state;
    result r[3];
    result *all[3] = { &r[0], &r[1], &r[2] };
    test_request req;
    int64_t began = now_ms();
    int i;

    for (i = 0; i < 3; i++) {
        push_delayed(f, "{\"same\":true}", 400);
        result_init(&r[i], f->t);
        request_init(&req, "GET", url_of(f, "/models"));
        start(f, &req, &r[i]);
    }
    run_until_done(f, all, 3, 10000);
    /* Served side by side, not one after another. */
    assert_true(now_ms() - began < 1100);
    for (i = 0; i < 3; i++) {
        assert_int_equal(r[i].done, 1);
        assert_int_equal(r[i].done_status, OAI_OK);
        assert_string_equal(buf_str(&r[i].body), "{\"same\":true}");
        result_free(&r[i]);
    }
    assert_int_equal(mock_server_request_count(f->ms), 3);
}

/* on_done of the first transfer aborts the second and starts a third. */
static fixture *chain_fixture;
static result chain_second, chain_third;

static void chain_next(result *r)
{
    test_request req;
    (void)r;
    release(&chain_second);
    request_init(&req, "GET", url_of(chain_fixture, "/models"));
    mock_server_push_simple(chain_fixture->ms, 200, NULL, "{\"third\":1}");
    start(chain_fixture, &req, &chain_third);
}

static void test_on_done_starts_and_aborts(void **state)
{
    fixture *f = *state;
    result first;
    result *all[2] = { &first, &chain_third };
    test_request req;

    chain_fixture = f;
    result_init(&first, f->t);
    result_init(&chain_second, f->t);
    result_init(&chain_third, f->t);
    first.then = chain_next;
    push_delayed(f, "{\"second\":1}", 1000);
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &chain_second);
    run_for(f, 50); /* the second transfer takes the slow reply */
    push_delayed(f, "{\"first\":1}", 100);
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &first);
    run_until_done(f, all, 2, 5000);
    assert_int_equal(first.done_status, OAI_OK);
    assert_string_equal(buf_str(&first.body), "{\"first\":1}");
    assert_int_equal(chain_third.done, 1);
    assert_int_equal(chain_third.done_status, OAI_OK);
    assert_string_equal(buf_str(&chain_third.body), "{\"third\":1}");
    run_for(f, 100);
    assert_int_equal(chain_second.done, 0);
    result_free(&first);
    result_free(&chain_second);
    result_free(&chain_third);
}

/* A callback inside curl starts a transfer and aborts another one. */
static result reentrant_slow, reentrant_started;

static void reentrant_on_status(void *ud, int http_status)
{
    result *r = ud;
    test_request req;
    r->status_calls++;
    r->http_status = http_status;
    release(&reentrant_slow);
    request_init(&req, "GET", url_of(chain_fixture, "/models"));
    assert_int_equal(try_start(chain_fixture, &req, &events, &reentrant_started), OAI_OK);
}

static void test_start_and_abort_inside_curl(void **state)
{
    fixture *f = *state;
    oai__exchange_sink ev = events;
    result first;
    result *all[2] = { &first, &reentrant_started };
    test_request req;

    chain_fixture = f;
    ev.on_status = reentrant_on_status;
    result_init(&first, f->t);
    result_init(&reentrant_slow, f->t);
    result_init(&reentrant_started, f->t);
    push_delayed(f, "{\"slow\":1}", 800);
    push_delayed(f, "{\"first\":1}", 100);
    mock_server_push_simple(f->ms, 200, NULL, "{\"started\":1}");

    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &reentrant_slow);
    run_for(f, 50); /* takes the 800 ms reply */
    request_init(&req, "GET", url_of(f, "/models"));
    assert_int_equal(try_start(f, &req, &ev, &first), OAI_OK);
    run_until_done(f, all, 2, 5000);
    assert_int_equal(first.done_status, OAI_OK);
    assert_int_equal(reentrant_started.done_status, OAI_OK);
    assert_string_equal(buf_str(&reentrant_started.body), "{\"started\":1}");
    run_for(f, 100);
    assert_int_equal(reentrant_slow.done, 0);
    result_free(&first);
    result_free(&reentrant_slow);
    result_free(&reentrant_started);
}

static void *wake_later(void *arg)
{
    oai_transport *t = arg;
    usleep(200 * 1000);
    oai__transport_wakeup(t);
    return NULL;
}

static void test_wakeup_from_another_thread(void **state)
{
    fixture *f = *state;
    pthread_t thread;
    int64_t began = now_ms(), took;

    assert_int_equal(pthread_create(&thread, NULL, wake_later, f->t), 0);
    assert_int_equal(oai__transport_run(f->t, -1), OAI_OK);
    took = now_ms() - began;
    pthread_join(thread, NULL);
    assert_true(took >= 150);
    assert_true(took < 5000);

    /* A wakeup ahead of run() makes it return at once. */
    oai__transport_wakeup(f->t);
    began = now_ms();
    assert_int_equal(oai__transport_run(f->t, 5000), OAI_OK);
    assert_true(now_ms() - began < 1000);
}

static void test_run_waits_for_activity(void **state)
{
    fixture *f = *state;
    test_request req;
    result r;
    int rounds = 0;

    result_init(&r, f->t);
    push_delayed(f, "{}", 200);
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &r);
    while (!r.done && rounds < 100) {
        assert_int_equal(oai__transport_run(f->t, -1), OAI_OK);
        rounds++;
    }
    assert_int_equal(r.done_status, OAI_OK);
    assert_true(rounds < 50); /* it slept instead of spinning */

    /* A zero timeout never waits. */
    int64_t began = now_ms();
    assert_int_equal(oai__transport_run(f->t, 0), OAI_OK);
    assert_true(now_ms() - began < 100);
    result_free(&r);
}

static void test_destroy_with_transfers_running(void **state)
{
    fixture *f = *state;
    test_request req;
    result r[2];
    int i;

    for (i = 0; i < 2; i++) {
        push_delayed(f, "{}", 500);
        result_init(&r[i], f->t);
        request_init(&req, "GET", url_of(f, "/models"));
        start(f, &req, &r[i]);
    }
    run_for(f, 50);
    /* As the engine does when a client is freed: every exchange is let go
     * (cancelled at the transport), then the transport is freed. */
    for (i = 0; i < 2; i++)
        release(&r[i]);
    oai_transport_free(f->t);
    f->t = NULL;
    for (i = 0; i < 2; i++) {
        assert_int_equal(r[i].done, 0);
        result_free(&r[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* Reused easy handles                                                       */

static oai__handle_stats stats_of(fixture *f)
{
    oai__handle_stats s;
    assert_int_equal(oai__transport_handle_stats(f->t, &s), 0);
    return s;
}

/* Runs one exchange of req to completion; its outcome in r (result_free()
 * is the caller's). */
static void exchange(fixture *f, const test_request *req, result *r)
{
    result_init(r, f->t);
    start(f, req, r);
    run_one(f, r);
}

/* What one exchange sent (method, headers, body) does not follow its easy
 * handle into the next: every exchange here runs on the same handle. */
static void test_reused_handle_carries_nothing_over(void **state)
{
    fixture *f = *state;
    static char long_value[3000];
    const char *first[] = {"Content-Type: application/json", "X-First: 1", "Accept: text/plain", NULL};
    const char *second[] = {"X-Second: 2"};
    const mock_request *seen;
    test_request req;
    result r;

    memset(long_value, 'v', sizeof long_value - 1);
    char long_header[3100];
    snprintf(long_header, sizeof long_header, "X-Long: %s", long_value);
    first[3] = long_header; /* the header text grows past its first size */

    /* A POST with a body and headers. */
    mock_server_push_simple(f->ms, 200, NULL, "{\"posted\":true}");
    request_init(&req, "POST", url_of(f, "/chat/completions"));
    req.headers = first;
    req.header_count = 4;
    req.body = "{\"a\":1}";
    req.body_len = 7;
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    seen = last_request(f);
    assert_string_equal(seen->method, "POST");
    assert_int_equal(seen->body_len, 7);
    assert_string_equal(mock_request_header(seen, "X-Long"), long_value);
    assert_string_equal(mock_request_header(seen, "Accept"), "text/plain");
    result_free(&r);

    /* A GET: no body, no Content-Length, none of the POST's headers, and
     * still none of curl's defaults. */
    mock_server_push_simple(f->ms, 200, NULL, "{\"got\":true}");
    request_init(&req, "GET", url_of(f, "/models"));
    req.headers = second;
    req.header_count = 1;
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_string_equal(buf_str(&r.body), "{\"got\":true}");
    seen = last_request(f);
    assert_string_equal(seen->method, "GET");
    assert_int_equal(seen->body_len, 0);
    assert_null(mock_request_header(seen, "Content-Length"));
    assert_null(mock_request_header(seen, "Content-Type"));
    assert_null(mock_request_header(seen, "X-First"));
    assert_null(mock_request_header(seen, "X-Long"));
    assert_null(mock_request_header(seen, "Accept"));
    assert_string_equal(mock_request_header(seen, "X-Second"), "2");
    result_free(&r);

    /* A HEAD, then a POST that must wait for its body again. */
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "HEAD", url_of(f, "/models"));
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_string_equal(last_request(f)->method, "HEAD");
    assert_int_equal(r.body.len, 0);
    result_free(&r);

    mock_server_push_simple(f->ms, 201, NULL, "{\"after_head\":true}");
    request_init(&req, "POST", url_of(f, "/things"));
    req.body = "{\"b\":2}";
    req.body_len = 7;
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(r.http_status, 201);
    assert_string_equal(buf_str(&r.body), "{\"after_head\":true}");
    assert_memory_equal(last_request(f)->body, "{\"b\":2}", 7);
    result_free(&r);

    /* A custom method, then a GET that is a GET again. */
    mock_server_push_simple(f->ms, 200, NULL, "{\"deleted\":true}");
    request_init(&req, "DELETE", url_of(f, "/models/ft-1"));
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_string_equal(last_request(f)->method, "DELETE");
    result_free(&r);

    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "GET", url_of(f, "/models"));
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_string_equal(last_request(f)->method, "GET");
    result_free(&r);

    /* A POST without a body after all that: Content-Length 0. */
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "POST", url_of(f, "/batches/b1/cancel"));
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    seen = last_request(f);
    assert_string_equal(seen->method, "POST");
    assert_string_equal(mock_request_header(seen, "Content-Length"), "0");
    result_free(&r);

    oai__handle_stats s = stats_of(f);
    assert_int_equal(s.made, 1);
    assert_int_equal(s.reused, 6);
    assert_int_equal(s.reset, 0);
    assert_int_equal(s.idle, 1);
}

/* A body pulled through the read callback (multipart), then bodies in
 * memory, then none, on one handle. */
static void test_reused_handle_after_an_upload(void **state)
{
    fixture *f = *state;
    oai__http_part part;
    test_request req;
    result r;

    memset(&part, 0, sizeof part);
    part.kind = OAI_PART_FIELD;
    part.name = "purpose";
    part.value = "fine-tune";
    mock_server_push_simple(f->ms, 200, NULL, "{\"uploaded\":true}");
    request_init(&req, "POST", url_of(f, "/files"));
    req.parts = &part;
    req.part_count = 1;
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_true(last_request(f)->form.present);
    result_free(&r);

    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "POST", url_of(f, "/chat/completions"));
    req.body = "{\"in\":\"memory\"}";
    req.body_len = strlen(req.body);
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(last_request(f)->body_len, strlen(req.body));
    assert_memory_equal(last_request(f)->body, req.body, req.body_len);
    assert_false(last_request(f)->form.present);
    result_free(&r);

    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "GET", url_of(f, "/files"));
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_int_equal(last_request(f)->body_len, 0);
    result_free(&r);

    assert_int_equal(stats_of(f).made, 1);
}

/* Progress reports follow each exchange's wish, not the handle's past. */
static void test_progress_is_set_per_exchange(void **state)
{
    fixture *f = *state;
    test_request req;
    result r;
    int i;

    for (i = 0; i < 4; i++) {
        mock_server_push_simple(f->ms, 200, NULL, "{}");
        request_init(&req, "POST", url_of(f, "/chat/completions"));
        req.body = "{}";
        req.body_len = 2;
        req.no_progress = i % 2;
        exchange(f, &req, &r);
        assert_int_equal(r.done_status, OAI_OK);
        if (i % 2)
            assert_int_equal(r.progress_calls, 0);
        else
            assert_true(r.progress_calls > 0);
        result_free(&r);
    }
    assert_int_equal(stats_of(f).made, 1);
}

/* A cancelled transfer frees its handle, paused or not; one paused and
 * resumed that then completes gives it back. Either way the next exchange
 * is whole. */
static void test_cancelled_and_paused_transfers(void **state)
{
    fixture *f = *state;
    const char *chunks[] = {"data: one\n\n", "data: two\n\n", "data: three\n\n"};
    mock_reply reply;
    test_request req;
    result r;
    oai__handle_stats s;

    get_ok(f, "{\"first\":1}");
    assert_int_equal(stats_of(f).made, 1);

    /* Cancelled while waiting for the reply. */
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.body = "{}";
    reply.delay_ms = 300;
    mock_server_push(f->ms, &reply);
    result_init(&r, f->t);
    request_init(&req, "GET", url_of(f, "/models"));
    start(f, &req, &r);
    run_for(f, 100);
    release(&r);
    s = stats_of(f);
    assert_int_equal(s.reused, 1);
    assert_int_equal(s.idle, 0); /* its handle was freed */
    run_for(f, 400);
    result_free(&r);
    get_ok(f, "{\"after_cancel\":1}");
    assert_int_equal(stats_of(f).made, 2);

    /* Paused at the first bytes, resumed, completed: the handle is kept. */
    memset(&reply, 0, sizeof reply);
    reply.status = 200;
    reply.content_type = "text/event-stream";
    reply.chunks = chunks;
    reply.chunk_count = 3;
    reply.chunk_delay_ms = 30;
    mock_server_push(f->ms, &reply);
    result_init(&r, f->t);
    r.pause_at = AT_DATA;
    request_init(&req, "POST", url_of(f, "/chat/completions"));
    req.body = "{\"stream\":true}";
    req.body_len = strlen(req.body);
    start(f, &req, &r);
    while (!r.paused)
        assert_int_equal(oai__transport_run(f->t, 50), OAI_OK);
    run_for(f, 150);
    assert_int_equal(r.done, 0); /* nothing ends while paused */
    assert_true(oai__exchange_pause(r.x, 0));
    run_one(f, &r);
    assert_int_equal(r.done_status, OAI_OK);
    assert_string_equal(buf_str(&r.body), "data: one\n\ndata: two\n\ndata: three\n\n");
    result_free(&r);
    assert_int_equal(stats_of(f).idle, 1);

    /* Paused, then cancelled while paused: the handle goes. */
    mock_server_push(f->ms, &reply);
    result_init(&r, f->t);
    r.pause_at = AT_DATA;
    start(f, &req, &r);
    while (!r.paused)
        assert_int_equal(oai__transport_run(f->t, 50), OAI_OK);
    release(&r);
    assert_int_equal(stats_of(f).idle, 0);
    result_free(&r);

    s = stats_of(f);
    get_ok(f, "{\"after_pause\":1}");
    assert_int_equal(stats_of(f).made, s.made + 1);
    get_ok(f, "{\"and_again\":1}");
    assert_int_equal(stats_of(f).made, s.made + 1);
}

/* A proxy setting (here "", which overrides the environment's proxy) is
 * part of a handle's profile: the next exchange without one uses the
 * environment's again. */
static void test_proxy_does_not_carry_over(void **state)
{
    fixture *f = *state;
    char proxy[64];
    test_request req;
    result r;

    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", mock_unused_port());
    setenv("http_proxy", proxy, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");

    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "GET", url_of(f, "/models"));
    req.proxy = "";
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    result_free(&r);

    request_init(&req, "GET", url_of(f, "/models"));
    exchange(f, &req, &r); /* through the environment's proxy: nobody there */
    assert_int_equal(r.done_status, OAI_ERR_CONNECTION);
    result_free(&r);

    mock_server_push_simple(f->ms, 200, NULL, "{}");
    request_init(&req, "GET", url_of(f, "/models"));
    req.proxy = "";
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    result_free(&r);
    unsetenv("http_proxy");
    assert_true(stats_of(f).reset >= 1);
}

/* https (our trust store, from curl's SSL_CTX callback) and plain http on
 * the same handles, in turns, each with what it needs and nothing else. */
static void test_tls_then_plain(void **state)
{
    fixture *f = *state;
    tls_server *tls = tls_server_start();
    char ca[256], url[256];
    test_request req;
    result r;
    int i;

    assert_non_null(tls);
    snprintf(ca, sizeof ca, "%s/oai-test-transport-ca-%d.pem", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    assert_int_equal(tls_server_write_ca_file(tls, ca, NULL), 0);
    snprintf(url, sizeof url, "https://127.0.0.1:%d/v1/models", tls_server_port(tls));
    for (i = 0; i < 6; i++) {
        if (i % 2 == 0) {
            request_init(&req, "GET", url);
            req.ca_file = ca;
        } else {
            mock_server_push_simple(f->ms, 200, NULL, "{\"plain\":true}");
            request_init(&req, "GET", url_of(f, "/models"));
        }
        exchange(f, &req, &r);
        assert_int_equal(r.done_status, OAI_OK);
        assert_int_equal(r.http_status, 200);
        if (i % 2)
            assert_string_equal(buf_str(&r.body), "{\"plain\":true}");
        else
            assert_non_null(strstr(buf_str(&r.body), "\"object\""));
        result_free(&r);
    }
    /* An https exchange that does not trust the server fails... */
    request_init(&req, "GET", url);
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_ERR_TLS);
    result_free(&r);
    /* ...and the next one that does still gets through. */
    request_init(&req, "GET", url);
    req.ca_file = ca;
    exchange(f, &req, &r);
    assert_int_equal(r.done_status, OAI_OK);
    result_free(&r);

    /* One handle for the first six, which kept their https connection
     * alive; then each change of CA started a new pool ("Trust stores" in
     * curl.c), which frees the idle handles of the old one. */
    oai__handle_stats s = stats_of(f);
    assert_int_equal(s.made, 3);
    assert_int_equal(s.reset, 5);
    assert_int_equal(tls_server_handshakes(tls), 2);
    tls_server_stop(tls);
    unlink(ca);
}

/* Idle handles are bounded, and reused when the load comes back. */
static void test_idle_handles_are_bounded(void **state)
{
    fixture *f = *state;
    enum { N = 70 };
    result *rs = calloc(N, sizeof *rs), *ptrs[N];
    test_request req;
    oai__handle_stats s;
    int round, i;

    assert_non_null(rs);
    for (round = 0; round < 2; round++) {
        for (i = 0; i < N; i++) {
            mock_reply reply;
            memset(&reply, 0, sizeof reply);
            reply.status = 200;
            reply.body = "{}";
            reply.delay_ms = 50; /* so that all of them are under way at once */
            mock_server_push(f->ms, &reply);
        }
        for (i = 0; i < N; i++) {
            result_init(&rs[i], f->t);
            request_init(&req, "GET", url_of(f, "/models"));
            start(f, &req, &rs[i]);
            ptrs[i] = &rs[i];
        }
        run_until_done(f, ptrs, N, 30000);
        for (i = 0; i < N; i++) {
            assert_int_equal(rs[i].done_status, OAI_OK);
            result_free(&rs[i]);
        }
        s = stats_of(f);
        assert_true(s.idle <= 64);
        assert_true(s.idle > 0);
    }
    assert_int_equal(s.made, N + (N - s.idle)); /* the second round took every idle one */
    free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_broken_replies_are_protocol_errors),
        T(test_get_headers_and_body),
        T(test_post_body_intact),
        T(test_other_methods),
        T(test_no_expect_for_bodies_in_memory),
        T(test_header_removal),
        T(test_error_status_is_a_complete_response),
        T(test_chunked_body_in_pieces),
        T(test_keep_alive_reuses_one_connection),
        T(test_multipart_parts_arrive_intact),
        T(test_large_file_upload_with_progress),
        T(test_file_shrinking_during_upload),
        T(test_connection_refused),
        T(test_broken_connections),
        T(test_tls_failures),
        T(test_invalid_arguments),
        T(test_proxy_setting),
        T(test_abort_inside_callbacks),
        T(test_abort_from_outside),
        T(test_three_concurrent_transfers),
        T(test_on_done_starts_and_aborts),
        T(test_start_and_abort_inside_curl),
        T(test_wakeup_from_another_thread),
        T(test_run_waits_for_activity),
        T(test_destroy_with_transfers_running),
        T(test_reused_handle_carries_nothing_over),
        T(test_reused_handle_after_an_upload),
        T(test_progress_is_set_per_exchange),
        T(test_cancelled_and_paused_transfers),
        T(test_proxy_does_not_carry_over),
        T(test_tls_then_plain),
        T(test_idle_handles_are_bounded),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
