/* Tests of the scripted mock server itself (tests/support/mock_server.h),
 * driven with libcurl's easy API and raw sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mock_server.h"

/* ---- helpers ------------------------------------------------------------- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct buffer {
    char *data;
    size_t len;
} buffer;

static void buffer_add(buffer *b, const char *p, size_t n)
{
    b->data = realloc(b->data, b->len + n + 1);
    assert_non_null(b->data);
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* What one transfer produced. */
typedef struct result {
    CURLcode code;
    long status;
    buffer body;
    buffer headers;         /* raw header lines of every response, 1xx included */
    int write_calls;        /* how many times the body arrived in a piece */
    int64_t first_data_ms, last_data_ms, started_ms, ended_ms;
} result;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    result *r = ud;
    int64_t t = now_ms();
    if (r->write_calls++ == 0)
        r->first_data_ms = t;
    r->last_data_ms = t;
    buffer_add(&r->body, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    buffer_add(&((result *)ud)->headers, p, size * n);
    return size * n;
}

static void result_free(result *r)
{
    free(r->body.data);
    free(r->headers.data);
    memset(r, 0, sizeof *r);
}

/* The value of the last response header `name` (copied into out), or NULL. */
static const char *result_header(const result *r, const char *name, char *out, size_t cap)
{
    const char *found = NULL;
    size_t nlen = strlen(name);
    for (const char *line = r->headers.data; line && *line; ) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(line + len - v), v);
            found = out;
        }
        line = eol ? eol + 2 : line + len;
    }
    return found;
}

typedef struct request_opts {
    const char *method;         /* NULL: GET, or POST when body is set */
    const char *body;
    size_t body_len;            /* 0: strlen(body) */
    const char *const *headers; /* NULL-terminated */
    long timeout_ms;
} request_opts;

/* Runs one transfer on `easy` (reused handles keep their connection). */
static void perform_on(CURL *easy, const char *url, const request_opts *o, result *r)
{
    memset(r, 0, sizeof *r);
    struct curl_slist *hdrs = NULL;
    for (size_t i = 0; o && o->headers && o->headers[i]; i++)
        hdrs = curl_slist_append(hdrs, o->headers[i]);
    curl_easy_reset(easy);
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, o && o->timeout_ms ? o->timeout_ms : 20000L);
    if (o && o->body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(o->body_len ? o->body_len : strlen(o->body)));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, o->body);
    }
    if (o && o->method)
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, o->method);
    r->started_ms = now_ms();
    r->code = curl_easy_perform(easy);
    r->ended_ms = now_ms();
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
}

static void perform(const char *url, const request_opts *o, result *r)
{
    CURL *easy = curl_easy_init();
    assert_non_null(easy);
    perform_on(easy, url, o, r);
    curl_easy_cleanup(easy);
}

/* URL of a path on the server: base "http://127.0.0.1:P" + path. */
static char *url_of(const mock_server *ms, const char *path)
{
    static char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", mock_server_port(ms), path);
    return url;
}

static json_t *parse_json(const buffer *b)
{
    json_error_t err;
    json_t *j = json_loadb(b->data ? b->data : "", b->len, 0, &err);
    if (!j)
        fail_msg("invalid JSON (%s): %s", err.text, b->data ? b->data : "");
    return j;
}

/* A POST of a JSON body to the default handler, returning the parsed reply. */
static json_t *post_json(mock_server *ms, const char *path, const char *body, long expect_status)
{
    result r;
    request_opts o = {.body = body};
    perform(url_of(ms, path), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.status, expect_status);
    json_t *j = parse_json(&r.body);
    result_free(&r);
    return j;
}

static const char *jstr(const json_t *j, const char *pointer_like_path)
{
    /* Walks "a.b.0.c" through objects and arrays. */
    char path[256];
    snprintf(path, sizeof path, "%s", pointer_like_path);
    const json_t *cur = j;
    for (char *tok = strtok(path, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
                                 : json_object_get(cur, tok);
    return json_string_value(cur);
}

static json_int_t jint(const json_t *j, const char *a, const char *b)
{
    return json_integer_value(json_object_get(json_object_get(j, a), b));
}

static int setup(void **state)
{
    mock_server *ms = mock_server_start();
    if (!ms)
        return -1;
    *state = ms;
    return 0;
}

static int teardown(void **state)
{
    mock_server_stop(*state);
    return 0;
}

/* ---- scripting ----------------------------------------------------------- */

static void test_scripted_status_headers_body(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 418, .headers = "X-Test: yes\r\nX-Other: 2\r\n",
                        .body = "{\"teapot\":true}", .content_type = "application/x-tea"};
    mock_server_push(ms, &reply);
    assert_int_equal(mock_server_pending(ms), 1);

    result r;
    perform(url_of(ms, "/anything"), NULL, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.status, 418);
    assert_string_equal(r.body.data, "{\"teapot\":true}");
    char v[128];
    assert_string_equal(result_header(&r, "X-Test", v, sizeof v), "yes");
    assert_string_equal(result_header(&r, "x-other", v, sizeof v), "2");
    assert_string_equal(result_header(&r, "Content-Type", v, sizeof v), "application/x-tea");
    assert_string_equal(result_header(&r, "Content-Length", v, sizeof v), "15");
    assert_string_equal(result_header(&r, "x-request-id", v, sizeof v), "req_mock_1");
    assert_int_equal(mock_server_pending(ms), 0);
    result_free(&r);
}

static void test_scripted_body_with_nul_and_explicit_length(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "ab\0cd", .body_len = 5,
                        .headers = "x-request-id: custom\n"};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.body.len, 5);
    assert_memory_equal(r.body.data, "ab\0cd", 5);
    char v[64];
    /* A scripted x-request-id replaces the generated one. */
    assert_string_equal(result_header(&r, "x-request-id", v, sizeof v), "custom");
    result_free(&r);
}

static void test_script_is_fifo_then_default_handler(void **state)
{
    mock_server *ms = *state;
    mock_server_push_simple(ms, 200, NULL, "{\"n\":1}");
    mock_server_push_simple(ms, 500, "Retry-After: 0\r\n", "{\"n\":2}");
    mock_server_push_simple(ms, 429, NULL, "{\"n\":3}");
    assert_int_equal(mock_server_pending(ms), 3);

    static const long statuses[] = {200, 500, 429};
    static const char *const bodies[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};
    for (int i = 0; i < 3; i++) {
        result r;
        perform(url_of(ms, "/v1/chat/completions"), NULL, &r);
        assert_int_equal(r.code, CURLE_OK);
        assert_int_equal(r.status, statuses[i]);
        assert_string_equal(r.body.data, bodies[i]);
        result_free(&r);
    }
    assert_int_equal(mock_server_pending(ms), 0);
    /* Script empty: the built-in handler answers (GET on a POST route: 404). */
    result r;
    perform(url_of(ms, "/v1/chat/completions"), NULL, &r);
    assert_int_equal(r.status, 404);
    result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 4);
}

static void test_initial_delay(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "late", .delay_ms = 300};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_true(r.ended_ms - r.started_ms >= 280);
    assert_string_equal(r.body.data, "late");
    result_free(&r);
}

static void test_reset_forgets_script_and_requests(void **state)
{
    mock_server *ms = *state;
    mock_server_push_simple(ms, 500, NULL, "{}");
    result r;
    perform(url_of(ms, "/v1/models"), NULL, &r);
    result_free(&r);
    mock_server_push_simple(ms, 500, NULL, "{}");
    assert_int_equal(mock_server_request_count(ms), 1);
    mock_server_reset(ms);
    assert_int_equal(mock_server_request_count(ms), 0);
    assert_int_equal(mock_server_pending(ms), 0);
    assert_null(mock_server_request(ms, 0));
    perform(url_of(ms, "/v1/models"), NULL, &r);
    assert_int_equal(r.status, 200);
    result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 1);
}

/* ---- recording ----------------------------------------------------------- */

static void test_records_method_target_headers_body(void **state)
{
    mock_server *ms = *state;
    mock_server_push_simple(ms, 200, NULL, "{}");
    static const char *const headers[] = {"Authorization: Bearer sk-test",
                                          "X-Custom:   spaced value  ", NULL};
    request_opts o = {.method = "PUT", .body = "{\"hello\":\"world\"}", .headers = headers};
    result r;
    perform(url_of(ms, "/v1/things/42?limit=2&after=x"), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    result_free(&r);

    assert_int_equal(mock_server_request_count(ms), 1);
    const mock_request *req = mock_server_request(ms, 0);
    assert_non_null(req);
    assert_string_equal(req->method, "PUT");
    assert_string_equal(req->target, "/v1/things/42?limit=2&after=x");
    assert_string_equal(req->path, "/v1/things/42");
    assert_string_equal(req->query, "limit=2&after=x");
    assert_string_equal(mock_request_header(req, "authorization"), "Bearer sk-test");
    assert_string_equal(mock_request_header(req, "X-CUSTOM"), "spaced value");
    assert_string_equal(mock_request_header(req, "Content-Length"), "17");
    assert_null(mock_request_header(req, "X-Missing"));
    assert_string_equal(req->body, "{\"hello\":\"world\"}");
    assert_int_equal(req->body_len, 17);
    assert_int_equal(mock_request_body_stored(req), 17);
    assert_int_equal(req->connection_id, 1);
    assert_true(req->header_count >= 4);
    assert_null(mock_server_request(ms, 1));
}

static void test_records_empty_query_and_body(void **state)
{
    mock_server *ms = *state;
    result r;
    request_opts o = {.method = "DELETE"};
    perform(url_of(ms, "/v1/models/ft-abc"), &o, &r);
    assert_int_equal(r.status, 200);
    result_free(&r);
    const mock_request *req = mock_server_request(ms, 0);
    assert_string_equal(req->method, "DELETE");
    assert_string_equal(req->query, "");
    assert_non_null(req->body);
    assert_string_equal(req->body, "");
    assert_int_equal(req->body_len, 0);
}

/* curl sends a body of unknown size with Transfer-Encoding: chunked. */
typedef struct upload {
    const char *data;
    size_t len, pos, step;
} upload;

static size_t read_upload(char *buf, size_t size, size_t n, void *ud)
{
    upload *u = ud;
    size_t take = size * n;
    if (take > u->step)
        take = u->step;
    if (take > u->len - u->pos)
        take = u->len - u->pos;
    memcpy(buf, u->data + u->pos, take);
    u->pos += take;
    return take;
}

static void test_records_chunked_request_body(void **state)
{
    mock_server *ms = *state;
    mock_server_push_simple(ms, 200, NULL, "{}");
    static const char text[] = "first part, second part, third part";
    upload u = {text, sizeof text - 1, 0, 7};
    CURL *easy = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    curl_easy_setopt(easy, CURLOPT_URL, url_of(ms, "/upload"));
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(easy, CURLOPT_READDATA, &u);
    result r;
    memset(&r, 0, sizeof r);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(easy), CURLE_OK);
    curl_slist_free_all(h);
    curl_easy_cleanup(easy);
    result_free(&r);

    const mock_request *req = mock_server_request(ms, 0);
    assert_non_null(req);
    assert_string_equal(mock_request_header(req, "Transfer-Encoding"), "chunked");
    assert_int_equal(req->body_len, sizeof text - 1);
    assert_string_equal(req->body, text);
}

static void test_expect_100_continue_large_post(void **state)
{
    mock_server *ms = *state;
    mock_server_push_simple(ms, 200, NULL, "{\"ok\":true}");
    size_t len = 2u * 1024 * 1024;
    char *body = malloc(len);
    assert_non_null(body);
    for (size_t i = 0; i < len; i++)
        body[i] = (char)('a' + i % 26);
    static const char *const headers[] = {"Expect: 100-continue", NULL};
    request_opts o = {.body = body, .body_len = len, .headers = headers};
    result r;
    perform(url_of(ms, "/v1/files"), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_int_equal(r.status, 200);
    /* Without the interim 100 curl would wait a whole second first. */
    assert_true(r.ended_ms - r.started_ms < 900);
    assert_non_null(strstr(r.headers.data, "HTTP/1.1 100 Continue"));
    result_free(&r);

    const mock_request *req = mock_server_request(ms, 0);
    assert_string_equal(mock_request_header(req, "Expect"), "100-continue");
    assert_int_equal(req->body_len, len);
    assert_memory_equal(req->body, body, len);
    free(body);
}

/* Streams `total` bytes of a repeating pattern as the request body. */
typedef struct pattern_upload {
    uint64_t total, sent;
} pattern_upload;

static size_t read_pattern(char *buf, size_t size, size_t n, void *ud)
{
    pattern_upload *u = ud;
    size_t take = size * n;
    if (take > u->total - u->sent)
        take = (size_t)(u->total - u->sent);
    for (size_t i = 0; i < take; i++)
        buf[i] = (char)('A' + (u->sent + i) % 23);
    u->sent += take;
    return take;
}

/* Bodies above MOCK_BODY_RECORD_LIMIT are accepted, counted, and their first
 * 16 MiB recorded. MOCK_TEST_BIG_MB raises the size (e.g. 512). */
static void test_large_body_is_counted_and_truncated(void **state)
{
    mock_server *ms = *state;
    const char *env = getenv("MOCK_TEST_BIG_MB");
    uint64_t total = (uint64_t)(env ? strtoul(env, NULL, 10) : 20) * 1024 * 1024;
    pattern_upload u = {total, 0};
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url_of(ms, "/v1/no-such-route"));
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)total);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, read_pattern);
    curl_easy_setopt(easy, CURLOPT_READDATA, &u);
    result r;
    memset(&r, 0, sizeof r);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &r);
    assert_int_equal(curl_easy_perform(easy), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 404);   /* the default handler knows no such route */
    curl_easy_cleanup(easy);
    result_free(&r);

    const mock_request *req = mock_server_request(ms, 0);
    assert_int_equal(req->body_len, total);
    size_t stored = mock_request_body_stored(req);
    assert_int_equal(stored, total < MOCK_BODY_RECORD_LIMIT ? total : MOCK_BODY_RECORD_LIMIT);
    for (size_t i = 0; i < stored; i += 4099)
        assert_int_equal(req->body[i], (char)('A' + i % 23));
    assert_int_equal(req->body[stored], '\0');
}

/* ---- connections --------------------------------------------------------- */

static void test_keep_alive_reuses_one_connection(void **state)
{
    mock_server *ms = *state;
    CURL *easy = curl_easy_init();
    for (int i = 0; i < 3; i++) {
        result r;
        request_opts o = {.body = "{\"model\":\"m\",\"messages\":[]}"};
        perform_on(easy, url_of(ms, "/v1/chat/completions"), &o, &r);
        assert_int_equal(r.code, CURLE_OK);
        assert_int_equal(r.status, 200);
        result_free(&r);
    }
    assert_int_equal(mock_server_connection_count(ms), 1);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(mock_server_request(ms, i)->connection_id, 1);

    /* "Connection: close" is honoured: the server answers with it and closes,
     * so the next request needs a new connection. */
    static const char *const close_hdr[] = {"Connection: close", NULL};
    request_opts o = {.headers = close_hdr};
    result r;
    perform_on(easy, url_of(ms, "/v1/models"), &o, &r);
    char v[64];
    assert_string_equal(result_header(&r, "Connection", v, sizeof v), "close");
    result_free(&r);
    perform_on(easy, url_of(ms, "/v1/models"), NULL, &r);
    assert_int_equal(r.status, 200);
    result_free(&r);
    curl_easy_cleanup(easy);
    assert_int_equal(mock_server_connection_count(ms), 2);
    assert_int_equal(mock_server_request(ms, 4)->connection_id, 2);
}

static void test_connection_ids_follow_accept_order(void **state)
{
    mock_server *ms = *state;
    CURL *a = curl_easy_init(), *b = curl_easy_init();
    result r;
    perform_on(a, url_of(ms, "/v1/models"), NULL, &r);
    result_free(&r);
    perform_on(b, url_of(ms, "/v1/models"), NULL, &r);
    result_free(&r);
    perform_on(a, url_of(ms, "/v1/models"), NULL, &r);
    result_free(&r);
    assert_int_equal(mock_server_connection_count(ms), 2);
    assert_int_equal(mock_server_request(ms, 0)->connection_id, 1);
    assert_int_equal(mock_server_request(ms, 1)->connection_id, 2);
    assert_int_equal(mock_server_request(ms, 2)->connection_id, 1);
    curl_easy_cleanup(a);
    curl_easy_cleanup(b);
}

static int connect_raw(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

/* Reads until `needle` has arrived (or EOF / 5 s). */
static void read_until(int fd, buffer *b, const char *needle)
{
    int64_t deadline = now_ms() + 5000;
    while (!(b->data && strstr(b->data, needle)) && now_ms() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0)
            break;
        buffer_add(b, tmp, (size_t)n);
    }
}

static void send_text(int fd, const char *text)
{
    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

static void test_pipelined_requests_on_raw_socket(void **state)
{
    mock_server *ms = *state;
    mock_server_push_simple(ms, 200, NULL, "one");
    mock_server_push_simple(ms, 201, NULL, "two");
    int fd = connect_raw(mock_server_port(ms));
    send_text(fd, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                  "GET /b?q=1 HTTP/1.1\r\nhost: x\r\n\r\n");
    buffer b = {0};
    read_until(fd, &b, "two");
    close(fd);
    assert_non_null(b.data);
    char *first = strstr(b.data, "HTTP/1.1 200 OK\r\n");
    char *second = strstr(b.data, "HTTP/1.1 201 Created\r\n");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    free(b.data);
    assert_int_equal(mock_server_request_count(ms), 2);
    assert_string_equal(mock_server_request(ms, 0)->body, "abc");
    assert_string_equal(mock_server_request(ms, 1)->query, "q=1");
}

static void test_wait_requests(void **state)
{
    mock_server *ms = *state;
    mock_reply slow = {.status = 200, .body = "x", .delay_ms = 200};
    mock_server_push(ms, &slow);
    int fd = connect_raw(mock_server_port(ms));
    send_text(fd, "GET /w HTTP/1.1\r\nHost: x\r\n\r\n");
    /* Recorded as soon as it is read, before the (delayed) reply. */
    assert_int_equal(mock_server_wait_requests(ms, 1, 5000), 0);
    assert_string_equal(mock_server_request(ms, 0)->path, "/w");
    int64_t t0 = now_ms();
    assert_int_equal(mock_server_wait_requests(ms, 2, 150), -1);
    assert_true(now_ms() - t0 >= 140);
    buffer b = {0};
    read_until(fd, &b, "\r\n\r\nx");
    assert_non_null(b.data);
    free(b.data);
    close(fd);
}

static void test_nothing_listens_on_unused_port(void **state)
{
    (void)state;
    int port = mock_unused_port();
    assert_true(port > 0 && port < 65536);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/models", port);
    result r;
    perform(url, NULL, &r);
    assert_int_equal(r.code, CURLE_COULDNT_CONNECT);
    result_free(&r);
}

static void test_start_on_given_port(void **state)
{
    (void)state;
    int port = mock_unused_port();
    mock_server *ms = mock_server_start_port(port);
    assert_non_null(ms);
    assert_int_equal(mock_server_port(ms), port);
    char expect[64];
    snprintf(expect, sizeof expect, "http://127.0.0.1:%d/v1", port);
    assert_string_equal(mock_server_url(ms), expect);
    result r;
    char url[128];
    snprintf(url, sizeof url, "%s/models", mock_server_url(ms));
    perform(url, NULL, &r);
    assert_int_equal(r.status, 200);
    result_free(&r);
    mock_server_stop(ms);
}

/* ---- chunked replies and faults ----------------------------------------- */

static void test_chunked_reply_arrives_in_pieces(void **state)
{
    mock_server *ms = *state;
    static const char *const chunks[] = {"alpha,", "beta,", "gamma"};
    mock_reply reply = {.status = 200, .chunks = chunks, .chunk_count = 3,
                        .chunk_delay_ms = 150, .content_type = "text/plain"};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/stream"), NULL, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_string_equal(r.body.data, "alpha,beta,gamma");
    assert_true(r.write_calls >= 3);
    assert_true(r.last_data_ms - r.first_data_ms >= 250);
    char v[64];
    assert_string_equal(result_header(&r, "Transfer-Encoding", v, sizeof v), "chunked");
    assert_null(result_header(&r, "Content-Length", v, sizeof v));
    result_free(&r);
}

static void test_fault_close_before_response(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "never", .fault = MOCK_FAULT_CLOSE_BEFORE_RESPONSE};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_GOT_NOTHING);
    result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 1);
}

static void test_fault_close_mid_body(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "0123456789abcdefghij",
                        .fault = MOCK_FAULT_CLOSE_MID_BODY, .fault_after = 8};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_PARTIAL_FILE);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, 8);
    assert_memory_equal(r.body.data, "01234567", 8);
    result_free(&r);
}

static void test_fault_close_mid_chunked_body(void **state)
{
    mock_server *ms = *state;
    static const char *const chunks[] = {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"};
    mock_reply reply = {.status = 200, .chunks = chunks, .chunk_count = 3,
                        .content_type = "text/event-stream",
                        .fault = MOCK_FAULT_CLOSE_MID_BODY, .fault_after = 2};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_not_equal(r.code, CURLE_OK);
    assert_string_equal(r.body.data, "data: 1\n\ndata: 2\n\n");
    result_free(&r);
}

static void test_fault_reset(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "0123456789", .fault = MOCK_FAULT_RESET,
                        .fault_after = 4};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_RECV_ERROR);
    result_free(&r);
}

static void test_fault_reset_before_response(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "never", .fault = MOCK_FAULT_RESET_BEFORE_RESPONSE};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_RECV_ERROR);
    assert_int_equal(r.status, 0);
    assert_null(r.headers.data);
    result_free(&r);
    assert_int_equal(mock_server_request_count(ms), 1);
}

/* Waits (at most 20 s, a guard against a hang) until the server closes fd,
 * collecting what it sent; returns 1 on EOF. */
static int read_to_eof(int fd, buffer *b)
{
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20000) <= 0)
            return 0;
        char tmp[4096];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0)
            return n == 0;
        buffer_add(b, tmp, (size_t)n);
    }
}

/* A stall without an end (stall_ms -1) ends when the client closes its
 * side: nobody is left waiting, and the thread must not linger. */
static void test_fault_stall_forever_ends_when_client_closes(void **state)
{
    mock_server *ms = *state;
    mock_reply at_once = {.status = 200, .body = "never", .stall_ms = -1,
                          .fault = MOCK_FAULT_STALL_BEFORE_RESPONSE};
    mock_reply after_head = {.status = 200, .body = "0123456789", .stall_ms = -1,
                             .fault = MOCK_FAULT_STALL, .fault_after = 2};
    mock_server_push(ms, &at_once);
    mock_server_push(ms, &after_head);
    for (int i = 0; i < 2; i++) {
        int fd = connect_raw(mock_server_port(ms));
        send_text(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_int_equal(mock_server_wait_requests(ms, (size_t)i + 1, 20000), 0);
        buffer b = {0};
        if (i == 1)
            read_until(fd, &b, "\r\n\r\n01");
        shutdown(fd, SHUT_WR);
        assert_true(read_to_eof(fd, &b));
        if (i == 0)
            assert_null(b.data);   /* nothing at all was sent */
        else
            assert_non_null(strstr(b.data, "Content-Length: 10\r\n"));
        free(b.data);
        close(fd);
    }
}

/* Per-chunk waits (chunk_delays_ms) keep the chunks and their order. */
static void test_chunk_delays(void **state)
{
    mock_server *ms = *state;
    static const char *const chunks[] = {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"};
    static const int delays[] = {5, -1, 20};
    mock_reply reply = {.status = 200, .chunks = chunks, .chunk_count = 3, .chunk_delay_ms = 1,
                        .chunk_delays_ms = delays, .content_type = "text/event-stream"};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_string_equal(r.body.data, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
    result_free(&r);
}

static void test_fault_stall_times_out_client(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "0123456789", .fault = MOCK_FAULT_STALL,
                        .fault_after = 3, .stall_ms = 5000};
    mock_server_push(ms, &reply);
    request_opts o = {.timeout_ms = 400};
    result r;
    perform(url_of(ms, "/"), &o, &r);
    assert_int_equal(r.code, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(r.body.len, 3);
    assert_true(r.ended_ms - r.started_ms < 3000);
    result_free(&r);
}

static void test_fault_stall_then_close(void **state)
{
    mock_server *ms = *state;
    mock_reply reply = {.status = 200, .body = "0123456789", .fault = MOCK_FAULT_STALL,
                        .fault_after = 5, .stall_ms = 300};
    mock_server_push(ms, &reply);
    result r;
    perform(url_of(ms, "/"), NULL, &r);
    assert_int_equal(r.code, CURLE_PARTIAL_FILE);
    assert_true(r.ended_ms - r.started_ms >= 280);
    result_free(&r);
}

/* ---- stopping ------------------------------------------------------------ */

static void test_stop_while_client_holds_connection(void **state)
{
    (void)state;
    mock_server *ms = mock_server_start();
    assert_non_null(ms);
    int idle = connect_raw(mock_server_port(ms));       /* sends nothing at all */
    int kept = connect_raw(mock_server_port(ms));       /* keep-alive after one request */
    send_text(kept, "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
    buffer b = {0};
    read_until(kept, &b, "mock-model");
    assert_non_null(b.data);
    free(b.data);
    int64_t t0 = now_ms();
    mock_server_stop(ms);
    assert_true(now_ms() - t0 < 2000);
    close(idle);
    close(kept);
}

static void test_stop_while_stalled_or_delayed(void **state)
{
    (void)state;
    mock_server *ms = mock_server_start();
    assert_non_null(ms);
    mock_reply stall = {.status = 200, .body = "0123456789", .fault = MOCK_FAULT_STALL,
                        .fault_after = 2, .stall_ms = 60000};
    mock_reply slow = {.status = 200, .body = "x", .delay_ms = 60000};
    mock_server_push(ms, &stall);
    mock_server_push(ms, &slow);
    int a = connect_raw(mock_server_port(ms));
    send_text(a, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    buffer b = {0};
    read_until(a, &b, "\r\n\r\n01");
    assert_non_null(b.data);
    free(b.data);
    int c = connect_raw(mock_server_port(ms));
    send_text(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    int64_t deadline = now_ms() + 5000;
    while (mock_server_pending(ms) > 0 && now_ms() < deadline)
        usleep(10000);
    int64_t t0 = now_ms();
    mock_server_stop(ms);
    assert_true(now_ms() - t0 < 2000);
    close(a);
    close(c);
}

/* ---- the built-in OpenAI-compatible handler ----------------------------- */

static void test_default_chat_completion_echo(void **state)
{
    mock_server *ms = *state;
    json_t *j = post_json(ms, "/v1/chat/completions",
                          "{\"model\":\"gpt-4o-mini\",\"messages\":["
                          "{\"role\":\"system\",\"content\":\"be brief\"},"
                          "{\"role\":\"user\",\"content\":\"first\"},"
                          "{\"role\":\"assistant\",\"content\":\"ok\"},"
                          "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello mock\"}]}]}",
                          200);
    assert_string_equal(jstr(j, "id"), "chatcmpl-mock-1");
    assert_string_equal(jstr(j, "object"), "chat.completion");
    assert_string_equal(jstr(j, "model"), "gpt-4o-mini");
    assert_true(json_is_integer(json_object_get(j, "created")));
    assert_string_equal(jstr(j, "choices.0.message.role"), "assistant");
    assert_string_equal(jstr(j, "choices.0.message.content"), "Echo: hello mock");
    assert_string_equal(jstr(j, "choices.0.finish_reason"), "stop");
    assert_int_equal(jint(j, "usage", "completion_tokens"), 3);
    assert_int_equal(jint(j, "usage", "total_tokens"),
                     jint(j, "usage", "prompt_tokens") + jint(j, "usage", "completion_tokens"));
    json_decref(j);

    const mock_request *req = mock_server_request(ms, 0);
    assert_string_equal(req->path, "/v1/chat/completions");
}

static void test_default_chat_spring_poem_and_max_tokens(void **state)
{
    mock_server *ms = *state;
    json_t *j = post_json(ms, "/v1/chat/completions",
                          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                          "\"content\":\"写一首关于春天的诗\"}]}", 200);
    const char *poem = jstr(j, "choices.0.message.content");
    assert_non_null(poem);
    assert_non_null(strstr(poem, "春"));
    assert_null(strstr(poem, "Echo"));
    json_decref(j);

    j = post_json(ms, "/v1/chat/completions",
                  "{\"model\":\"m\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\","
                  "\"content\":\"one two three four five\"}]}", 200);
    assert_string_equal(jstr(j, "choices.0.message.content"), "Echo: one two");
    assert_string_equal(jstr(j, "choices.0.finish_reason"), "length");
    assert_int_equal(jint(j, "usage", "completion_tokens"), 3);
    json_decref(j);

    j = post_json(ms, "/v1/chat/completions",
                  "{\"model\":\"m\",\"max_completion_tokens\":4,\"messages\":[{\"role\":\"user\","
                  "\"content\":\"春天\"}]}", 200);
    assert_string_equal(jstr(j, "choices.0.finish_reason"), "length");
    assert_int_equal(strlen(jstr(j, "choices.0.message.content")), 4 * 3); /* 4 CJK chars */
    json_decref(j);
}

static void test_default_chat_has_request_id(void **state)
{
    mock_server *ms = *state;
    result r;
    static const char *const auth[] = {"Authorization: Bearer sk-mock", NULL};
    request_opts o = {.body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                      .headers = auth};
    perform(url_of(ms, "/v1/chat/completions"), &o, &r);
    result_free(&r);
    perform(url_of(ms, "/v1/chat/completions"), &o, &r);   /* second request: n = 2 */
    assert_int_equal(r.status, 200);
    char v[64];
    assert_string_equal(result_header(&r, "x-request-id", v, sizeof v), "req_mock_2");
    assert_string_equal(result_header(&r, "Content-Type", v, sizeof v), "application/json");
    result_free(&r);
    /* No auth is required, but the header is recorded like any other. */
    assert_string_equal(mock_request_header(mock_server_request(ms, 1), "authorization"),
                        "Bearer sk-mock");
}

/* Splits an SSE body into its "data: " payloads. */
static size_t sse_data(const char *body, char **out, size_t max)
{
    size_t n = 0;
    const char *p = body;
    while (p && *p && n < max) {
        const char *end = strstr(p, "\n\n");
        assert_non_null(end);                   /* every event is complete */
        const char *d = strstr(p, "data: ");
        assert_true(d && d < end);
        d += 6;
        out[n++] = strndup(d, (size_t)(end - d));
        p = end + 2;
    }
    return n;
}

static void test_default_chat_stream(void **state)
{
    mock_server *ms = *state;
    request_opts o = {.body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
                              "\"stream_options\":{\"include_usage\":true},"
                              "\"messages\":[{\"role\":\"user\",\"content\":\"a b c d e f g\"}]}"};
    result r;
    perform(url_of(ms, "/v1/chat/completions"), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    char v[64];
    assert_string_equal(result_header(&r, "Content-Type", v, sizeof v), "text/event-stream");
    assert_string_equal(result_header(&r, "Transfer-Encoding", v, sizeof v), "chunked");

    char *events[32];
    size_t n = sse_data(r.body.data, events, 32);
    assert_true(n >= 5);
    assert_string_equal(events[n - 1], "[DONE]");
    buffer text = {0};
    int saw_finish = 0, saw_usage = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        json_error_t err;
        json_t *c = json_loads(events[i], 0, &err);
        assert_non_null(c);
        assert_string_equal(jstr(c, "object"), "chat.completion.chunk");
        assert_string_equal(jstr(c, "id"), "chatcmpl-mock-1");
        assert_string_equal(jstr(c, "model"), "gpt-4o-mini");
        json_t *choices = json_object_get(c, "choices");
        if (i == 0) {
            assert_string_equal(jstr(c, "choices.0.delta.role"), "assistant");
            assert_string_equal(jstr(c, "choices.0.delta.content"), "");
        }
        if (json_array_size(choices) == 0) {
            saw_usage = 1;
            assert_int_equal(i, n - 2);   /* usage comes last, before [DONE] */
            assert_int_equal(jint(c, "usage", "completion_tokens"), 8);
        } else if (jstr(c, "choices.0.finish_reason")) {
            saw_finish = 1;
            assert_string_equal(jstr(c, "choices.0.finish_reason"), "stop");
        } else if (jstr(c, "choices.0.delta.content")) {
            const char *piece = jstr(c, "choices.0.delta.content");
            buffer_add(&text, piece, strlen(piece));
        }
        json_decref(c);
    }
    assert_true(saw_finish && saw_usage);
    assert_string_equal(text.data, "Echo: a b c d e f g");
    assert_true(n - 4 >= 2);   /* the answer came in several pieces */
    for (size_t i = 0; i < n; i++)
        free(events[i]);
    free(text.data);
    result_free(&r);
}

/* mock_server_set_stream_pieces(): the built-in streams cut finer (at most
 * one event per token), unless the request says otherwise. */
static void test_default_stream_pieces(void **state)
{
    mock_server *ms = *state;
    mock_server_set_stream_pieces(ms, 1000);
    request_opts o = {.body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,"
                              "\"messages\":[{\"role\":\"user\",\"content\":\"a b c d e f g\"}]}"};
    result r;
    perform(url_of(ms, "/v1/chat/completions"), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    int content_events = 0;
    for (const char *p = r.body.data; (p = strstr(p, "\"content\":\"")) != NULL; p++)
        content_events++;
    /* "Echo: a b c d e f g" is 8 words: one event each (plus the role's
     * empty content, if any). */
    assert_true(content_events >= 8);
    result_free(&r);
    o.body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"mock_stream_pieces\":1,"
             "\"messages\":[{\"role\":\"user\",\"content\":\"a b c d e f g\"}]}";
    perform(url_of(ms, "/v1/chat/completions"), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_non_null(strstr(r.body.data, "\"content\":\"Echo: a b c d e f g\""));
    result_free(&r);
}

static void test_default_chat_stream_without_usage(void **state)
{
    mock_server *ms = *state;
    request_opts o = {.body = "{\"model\":\"m\",\"stream\":true,\"messages\":"
                              "[{\"role\":\"user\",\"content\":\"hi\"}]}"};
    result r;
    perform(url_of(ms, "/v1/chat/completions"), &o, &r);
    assert_int_equal(r.code, CURLE_OK);
    assert_null(strstr(r.body.data, "\"usage\""));
    assert_non_null(strstr(r.body.data, "\"finish_reason\":\"stop\""));
    assert_non_null(strstr(r.body.data, "data: [DONE]\n\n"));
    result_free(&r);
}

static void test_default_legacy_completion(void **state)
{
    mock_server *ms = *state;
    json_t *j = post_json(ms, "/v1/completions",
                          "{\"model\":\"gpt-3.5-turbo-instruct\",\"prompt\":\"say this\"}", 200);
    assert_string_equal(jstr(j, "object"), "text_completion");
    assert_string_equal(jstr(j, "choices.0.text"), "Echo: say this");
    assert_string_equal(jstr(j, "choices.0.finish_reason"), "stop");
    assert_string_equal(jstr(j, "model"), "gpt-3.5-turbo-instruct");
    json_decref(j);

    result r;
    request_opts o = {.body = "{\"model\":\"m\",\"stream\":true,\"prompt\":\"x y\"}"};
    perform(url_of(ms, "/v1/completions"), &o, &r);
    assert_non_null(strstr(r.body.data, "\"text\":\"Echo:\""));
    assert_non_null(strstr(r.body.data, "data: [DONE]\n\n"));
    result_free(&r);
}

static void test_default_responses(void **state)
{
    mock_server *ms = *state;
    json_t *j = post_json(ms, "/v1/responses", "{\"model\":\"m\",\"input\":\"tell me\"}", 200);
    assert_string_equal(jstr(j, "object"), "response");
    assert_string_equal(jstr(j, "status"), "completed");
    assert_string_equal(jstr(j, "output.0.type"), "message");
    assert_string_equal(jstr(j, "output.0.content.0.type"), "output_text");
    assert_string_equal(jstr(j, "output.0.content.0.text"), "Echo: tell me");
    assert_string_equal(jstr(j, "output_text"), "Echo: tell me");
    json_decref(j);

    result r;
    request_opts o = {.body = "{\"model\":\"m\",\"stream\":true,\"input\":\"go\"}"};
    perform(url_of(ms, "/v1/responses"), &o, &r);
    assert_non_null(strstr(r.body.data, "event: response.created\n"));
    assert_non_null(strstr(r.body.data, "event: response.output_text.delta\n"));
    assert_non_null(strstr(r.body.data, "event: response.completed\n"));
    result_free(&r);
}

static void test_default_embeddings(void **state)
{
    mock_server *ms = *state;
    json_t *one = post_json(ms, "/v1/embeddings",
                            "{\"model\":\"text-embedding-3-small\",\"input\":\"abc\"}", 200);
    json_t *two = post_json(ms, "/v1/embeddings",
                            "{\"model\":\"text-embedding-3-small\",\"input\":[\"abc\",\"xyz\"]}", 200);
    assert_string_equal(jstr(one, "object"), "list");
    assert_string_equal(jstr(one, "data.0.object"), "embedding");
    json_t *data = json_object_get(two, "data");
    assert_int_equal(json_array_size(data), 2);
    json_t *v1 = json_object_get(json_array_get(json_object_get(one, "data"), 0), "embedding");
    json_t *v2a = json_object_get(json_array_get(data, 0), "embedding");
    json_t *v2b = json_object_get(json_array_get(data, 1), "embedding");
    assert_int_equal(json_array_size(v1), 8);
    assert_true(json_equal(v1, v2a));          /* deterministic */
    assert_false(json_equal(v2a, v2b));        /* depends on the input */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(data, 1), "index")), 1);
    json_decref(one);
    json_decref(two);
}

static void test_default_models(void **state)
{
    mock_server *ms = *state;
    result r;
    perform(url_of(ms, "/v1/models"), NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = parse_json(&r.body);
    assert_string_equal(jstr(j, "object"), "list");
    assert_string_equal(jstr(j, "data.0.id"), "gpt-4o-mini");
    assert_string_equal(jstr(j, "data.1.id"), "mock-model");
    json_decref(j);
    result_free(&r);

    perform(url_of(ms, "/v1/models/mock-model"), NULL, &r);
    j = parse_json(&r.body);
    assert_string_equal(jstr(j, "id"), "mock-model");
    assert_string_equal(jstr(j, "object"), "model");
    json_decref(j);
    result_free(&r);

    request_opts o = {.method = "DELETE"};
    perform(url_of(ms, "/v1/models/ft:gpt-4o-mini:org::abc"), &o, &r);
    j = parse_json(&r.body);
    assert_string_equal(jstr(j, "id"), "ft:gpt-4o-mini:org::abc");
    assert_true(json_is_true(json_object_get(j, "deleted")));
    json_decref(j);
    result_free(&r);
}

static void test_default_errors(void **state)
{
    mock_server *ms = *state;
    json_t *j = post_json(ms, "/v1/unknown", "{}", 404);
    assert_string_equal(jstr(j, "error.type"), "invalid_request_error");
    assert_string_equal(jstr(j, "error.code"), "not_found");
    assert_non_null(jstr(j, "error.message"));
    assert_true(json_is_null(json_object_get(json_object_get(j, "error"), "param")));
    json_decref(j);

    j = post_json(ms, "/v1/chat/completions", "{not json", 400);
    assert_string_equal(jstr(j, "error.type"), "invalid_request_error");
    assert_non_null(jstr(j, "error.message"));
    json_decref(j);

    j = post_json(ms, "/chat/completions", "{}", 404);   /* no /v1 prefix */
    json_decref(j);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_scripted_status_headers_body),
        T(test_scripted_body_with_nul_and_explicit_length),
        T(test_script_is_fifo_then_default_handler),
        T(test_initial_delay),
        T(test_reset_forgets_script_and_requests),
        T(test_records_method_target_headers_body),
        T(test_records_empty_query_and_body),
        T(test_records_chunked_request_body),
        T(test_expect_100_continue_large_post),
        T(test_large_body_is_counted_and_truncated),
        T(test_keep_alive_reuses_one_connection),
        T(test_connection_ids_follow_accept_order),
        T(test_pipelined_requests_on_raw_socket),
        T(test_wait_requests),
        cmocka_unit_test(test_nothing_listens_on_unused_port),
        cmocka_unit_test(test_start_on_given_port),
        T(test_chunked_reply_arrives_in_pieces),
        T(test_fault_close_before_response),
        T(test_fault_close_mid_body),
        T(test_fault_close_mid_chunked_body),
        T(test_fault_reset),
        T(test_fault_reset_before_response),
        T(test_fault_stall_forever_ends_when_client_closes),
        T(test_chunk_delays),
        T(test_fault_stall_times_out_client),
        T(test_fault_stall_then_close),
        cmocka_unit_test(test_stop_while_client_holds_connection),
        cmocka_unit_test(test_stop_while_stalled_or_delayed),
        T(test_default_chat_completion_echo),
        T(test_default_chat_spring_poem_and_max_tokens),
        T(test_default_chat_has_request_id),
        T(test_default_chat_stream),
        T(test_default_chat_stream_without_usage),
        T(test_default_stream_pieces),
        T(test_default_legacy_completion),
        T(test_default_responses),
        T(test_default_embeddings),
        T(test_default_models),
        T(test_default_errors),
    };
#undef T
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
