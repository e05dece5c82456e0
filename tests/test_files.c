/* Files: upload (from a path and from memory), list and paging, retrieve,
 * delete and download (to memory and to a file), through the real
 * transport against the mock server's stateful files API. With
 * OAI_BIG_TESTS=1, also a 200 MB download to a file in bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* Writes data to a new temporary file named /tmp/oai-files-XXXXXX<suffix>. */
static void temp_file(char *path, size_t size, const char *suffix, const void *data, size_t len)
{
    snprintf(path, size, "/tmp/oai-files-XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The value of multipart field `name` in a recorded body, and its part's
 * headers (both point into the body). */
static const char *form_field(const mock_request *r, const char *name, size_t *len, const char **headers)
{
    char needle[128];
    snprintf(needle, sizeof needle, "name=\"%s\"", name);
    const char *h = memmem(r->body, mock_request_body_stored(r), needle, strlen(needle));
    assert_non_null(h);
    const char *end = r->body + mock_request_body_stored(r);
    const char *value = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
    assert_non_null(value);
    value += 4;
    const char *ct = mock_request_header(r, "Content-Type");
    assert_non_null(ct);
    const char *b = strstr(ct, "boundary=");
    assert_non_null(b);
    char delim[128];
    snprintf(delim, sizeof delim, "\r\n--%s", b + 9);
    const char *stop = memmem(value, (size_t)(end - value), delim, strlen(delim));
    assert_non_null(stop);
    *len = (size_t)(stop - value);
    if (headers)
        *headers = h;
    return value;
}

static void assert_field(const mock_request *r, const char *name, const char *expected)
{
    size_t len;
    const char *v = form_field(r, name, &len, NULL);
    assert_int_equal(len, strlen(expected));
    assert_memory_equal(v, expected, len);
}

static oai_response *send_free(fixture *f, oai_request *req)
{
    assert_non_null(req);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    return res;
}

/* Uploads bytes from memory; returns the new file's id (malloc'd). */
static char *upload_bytes(fixture *f, const char *data, size_t len, const char *filename, const char *purpose)
{
    oai_response *res = send_free(f, oai_file_create_from_data_request_new(data, len, filename, purpose));
    assert_int_equal(oai_response_status(res), OAI_OK);
    char *id = strdup(oai_response_get_string(res, "/id"));
    oai_response_free(res);
    return id;
}

static size_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

/* ---- tests -------------------------------------------------------------------- */

static void test_upload_from_path(void **state)
{
    fixture *f = *state;
    static const char content[] = "{\"messages\":[]}\n{\"messages\":[]}\n";
    char path[64];
    temp_file(path, sizeof path, ".jsonl", content, sizeof content - 1);
    oai_request *req = oai_file_create_request_new(path, "fine-tune");
    assert_non_null(req);
    assert_int_equal(oai_request_add_form_field(req, "expires_after[anchor]", "created_at"), OAI_OK);
    assert_int_equal(oai_request_add_form_field(req, "expires_after[seconds]", "3600"), OAI_OK);
    oai_response *res = send_free(f, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/object"), "file");
    assert_string_equal(oai_response_get_string(res, "/filename"), base_name(path));
    assert_string_equal(oai_response_get_string(res, "/purpose"), "fine-tune");
    assert_int_equal(oai_response_get_int(res, "/bytes"), sizeof content - 1);
    assert_non_null(oai_response_get_string(res, "/id"));

    const mock_request *r = mock_server_request(f->ms, 0);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/v1/files");
    assert_string_equal(r->query, "");
    assert_true(strncmp(mock_request_header(r, "Content-Type"), "multipart/form-data; boundary=", 30) == 0);
    assert_field(r, "purpose", "fine-tune");
    assert_field(r, "file", content);
    assert_field(r, "expires_after[anchor]", "created_at");
    assert_field(r, "expires_after[seconds]", "3600");
    size_t len;
    const char *headers;
    form_field(r, "file", &len, &headers);
    char disposition[128];
    snprintf(disposition, sizeof disposition, "name=\"file\"; filename=\"%s\"", base_name(path));
    assert_true(strncmp(headers, disposition, strlen(disposition)) == 0);
    assert_non_null(strstr(headers, "Content-Type: application/octet-stream"));
    oai_response_free(res);
    unlink(path);
}

static void test_upload_from_memory_and_download(void **state)
{
    fixture *f = *state;
    static const char data[] = "bin\0ary\r\n--not-a-boundary\xff";
    char *id = upload_bytes(f, data, sizeof data - 1, "data.bin", "user_data");
    const mock_request *r = mock_server_request(f->ms, 0);
    assert_field(r, "purpose", "user_data");
    size_t len;
    const char *headers;
    const char *v = form_field(r, "file", &len, &headers);
    assert_true(strncmp(headers, "name=\"file\"; filename=\"data.bin\"", 32) == 0);
    assert_int_equal(len, sizeof data - 1);
    assert_memory_equal(v, data, len);

    /* Into memory. */
    oai_response *res = send_free(f, oai_file_retrieve_content_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_body_len(res), sizeof data - 1);
    assert_memory_equal(oai_response_body(res), data, sizeof data - 1);
    assert_null(oai_response_json(res));
    oai_response_free(res);
    r = mock_server_request(f->ms, 1);
    assert_string_equal(r->method, "GET");
    char expected[128];
    snprintf(expected, sizeof expected, "/v1/files/%s/content", id);
    assert_string_equal(r->path, expected);
    assert_string_equal(mock_request_header(r, "Accept"), "application/binary");

    /* Into a file. */
    char out[64];
    temp_file(out, sizeof out, ".out", "old", 3);
    oai_request *req = oai_file_retrieve_content_request_new(id);
    assert_int_equal(oai_request_set_output_file(req, out), OAI_OK);
    res = send_free(f, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_body_len(res), 0);
    assert_int_equal(file_size(out), sizeof data - 1);
    char back[64];
    FILE *fp = fopen(out, "rb");
    assert_int_equal(fread(back, 1, sizeof back, fp), sizeof data - 1);
    fclose(fp);
    assert_memory_equal(back, data, sizeof data - 1);
    oai_response_free(res);
    unlink(out);
    free(id);
}

static void test_retrieve_and_delete(void **state)
{
    fixture *f = *state;
    char *id = upload_bytes(f, "x", 1, "x.txt", "assistants");
    oai_response *res = send_free(f, oai_file_retrieve_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_get_string(res, "/id"), id);
    assert_string_equal(oai_response_get_string(res, "/filename"), "x.txt");
    assert_string_equal(oai_response_get_string(res, "/status"), "processed");
    oai_response_free(res);

    res = send_free(f, oai_file_delete_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_true(oai_response_get_bool(res, "/deleted"));
    oai_response_free(res);
    const mock_request *r = mock_server_request(f->ms, 2);
    assert_string_equal(r->method, "DELETE");
    char expected[128];
    snprintf(expected, sizeof expected, "/v1/files/%s", id);
    assert_string_equal(r->path, expected);
    assert_string_equal(mock_server_request(f->ms, 1)->method, "GET");
    assert_string_equal(mock_server_request(f->ms, 1)->path, expected);

    res = send_free(f, oai_file_retrieve_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    assert_int_equal(oai_response_http_status(res), 404);
    oai_response_free(res);
    res = send_free(f, oai_file_retrieve_content_request_new(id));
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    oai_response_free(res);
    free(id);
}

/* Ids are one percent-encoded path segment. */
static void test_ids_are_encoded(void **state)
{
    fixture *f = *state;
    oai_response *res = send_free(f, oai_file_retrieve_request_new("file/../x y"));
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    assert_non_null(strstr(oai_response_error_message(res), "file/../x y"));
    oai_response_free(res);
    assert_string_equal(mock_server_request(f->ms, 0)->target, "/v1/files/file%2f..%2fx%20y");
    oai_request *req = oai_file_delete_request_new("a?b");
    assert_string_equal(oai_request_path(req), "/files/a%3Fb");
    oai_request_free(req);
}

static void test_list_pages_through_25_files(void **state)
{
    fixture *f = *state;
    char *ids[25];
    for (int i = 0; i < 25; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%02d.jsonl", i);
        ids[i] = upload_bytes(f, "{}\n", 3, name, "batch");
    }
    free(upload_bytes(f, "other", 5, "other.txt", "assistants"));
    mock_server_reset(f->ms);

    oai_request *list = oai_file_list_request_new();
    assert_string_equal(oai_request_method(list), "GET");
    assert_string_equal(oai_request_path(list), "/files");
    oai_request_set_query(list, "purpose", "batch");
    oai_request_set_query(list, "limit", "10");
    oai_request_set_query(list, "order", "asc");
    oai_pager *p = oai_pager_new(f->c, list);
    oai_request_free(list);
    const oai_value *item;
    int n = 0;
    while (oai_pager_next(p, &item) == OAI_OK && item) {
        assert_true(n < 25);
        assert_string_equal(oai_value_get_string(item, "/id"), ids[n]);
        assert_string_equal(oai_value_get_string(item, "/purpose"), "batch");
        n++;
    }
    assert_int_equal(n, 25);
    assert_false(oai_response_get_bool(oai_pager_response(p), "/has_more"));
    oai_pager_free(p);

    assert_int_equal(mock_server_request_count(f->ms), 3);
    char expected[128];
    assert_string_equal(mock_server_request(f->ms, 0)->query, "purpose=batch&limit=10&order=asc");
    snprintf(expected, sizeof expected, "purpose=batch&limit=10&order=asc&after=%s", ids[9]);
    assert_string_equal(mock_server_request(f->ms, 1)->query, expected);
    snprintf(expected, sizeof expected, "purpose=batch&limit=10&order=asc&after=%s", ids[19]);
    assert_string_equal(mock_server_request(f->ms, 2)->query, expected);
    for (int i = 0; i < 3; i++)
        assert_string_equal(mock_server_request(f->ms, (size_t)i)->path, "/v1/files");

    /* The default order is newest first; one page of everything. */
    oai_response *res = send_free(f, oai_file_list_request_new());
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_get_count(res, "/data"), 26);
    assert_string_equal(oai_response_get_string(res, "/data/0/filename"), "other.txt");
    assert_string_equal(oai_response_get_string(res, "/last_id"), ids[0]);
    oai_response_free(res);
    for (int i = 0; i < 25; i++)
        free(ids[i]);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    (void)f;
    assert_request_failed(oai_file_create_request_new(NULL, "batch"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_create_request_new("/nonexistent/oai-file", "batch"), OAI_ERR_IO);
    assert_request_failed(oai_file_create_request_new("/tmp", "batch"), OAI_ERR_IO);
    char path[64];
    temp_file(path, sizeof path, ".txt", "x", 1);
    assert_request_failed(oai_file_create_request_new(path, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_create_request_new(path, ""), OAI_ERR_INVALID_ARGUMENT);
    unlink(path);
    assert_request_failed(oai_file_create_from_data_request_new(NULL, 3, "a", "batch"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_create_from_data_request_new("abc", 3, NULL, "batch"), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_create_from_data_request_new("abc", 3, "a", NULL), OAI_ERR_INVALID_ARGUMENT);
    oai_request *empty = oai_file_create_from_data_request_new(NULL, 0, "empty.txt", "batch");
    assert_non_null(empty);
    oai_request_free(empty);
    assert_request_failed(oai_file_retrieve_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_retrieve_request_new(""), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_delete_request_new(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_request_failed(oai_file_retrieve_content_request_new(""), OAI_ERR_INVALID_ARGUMENT);
}

/* ---- the 200 MB download (OAI_BIG_TESTS=1) ---------------------------------- */

#define BIG_SIZE ((size_t)200 * 1024 * 1024)
#define IO_CHUNK ((size_t)1024 * 1024)

static int big_tests_enabled(void)
{
    const char *v = getenv("OAI_BIG_TESTS");
    return v && strcmp(v, "1") == 0;
}

/* Writes BIG_SIZE pseudo-random bytes, one chunk at a time. */
static void make_big_file(char *path, size_t size)
{
    snprintf(path, size, "/tmp/oai-big-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unsigned char *chunk = malloc(IO_CHUNK);
    assert_non_null(chunk);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t done = 0; done < BIG_SIZE; done += IO_CHUNK) {
        for (size_t i = 0; i < IO_CHUNK; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk[i] = (unsigned char)x;
        }
        assert_int_equal(write(fd, chunk, IO_CHUNK), (ssize_t)IO_CHUNK);
    }
    free(chunk);
    close(fd);
}

/* The mock server keeps every reply in memory, so the big body comes from a
 * minimal one-shot server that streams the file from disk. */
typedef struct file_server {
    int listen_fd;
    int port;
    const char *path;
    pthread_t thread;
} file_server;

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *serve_file(void *arg)
{
    file_server *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    char head[8192];
    size_t got = 0;
    while (got < sizeof head - 1 && !memmem(head, got, "\r\n\r\n", 4)) {
        ssize_t n = recv(fd, head + got, sizeof head - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    char status[256];
    int n = snprintf(status, sizeof status,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     BIG_SIZE);
    send_all(fd, status, (size_t)n);
    FILE *in = fopen(s->path, "rb");
    char *chunk = malloc(IO_CHUNK);
    size_t r;
    while (in && chunk && (r = fread(chunk, 1, IO_CHUNK, in)) > 0)
        send_all(fd, chunk, r);
    free(chunk);
    if (in)
        fclose(in);
    shutdown(fd, SHUT_WR);
    while (recv(fd, head, sizeof head, 0) > 0)
        ;
    close(fd);
    return NULL;
}

static void file_server_start(file_server *s, const char *path)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    s->path = path;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(s->listen_fd, 1), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve_file, s), 0);
}

static int files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    char *ca = malloc(IO_CHUNK), *cb = malloc(IO_CHUNK);
    int same = fa && fb && ca && cb;
    while (same) {
        size_t na = fread(ca, 1, IO_CHUNK, fa), nb = fread(cb, 1, IO_CHUNK, fb);
        same = na == nb && memcmp(ca, cb, na) == 0;
        if (na == 0)
            break;
    }
    free(ca);
    free(cb);
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void test_big_download_to_file(void **state)
{
    fixture *f = *state;
    if (!big_tests_enabled()) {
        print_message("skipped: set OAI_BIG_TESTS=1 to run the 200 MB download\n");
        skip();
    }
    char src[64], out[96];
    make_big_file(src, sizeof src);
    snprintf(out, sizeof out, "%s.download", src);
    file_server server;
    file_server_start(&server, src);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", server.port);
    assert_int_equal(oai_client_set_base_url(f->c, url), OAI_OK);

    long before = peak_rss_kb(1);
    oai_request *req = oai_file_retrieve_content_request_new("file-big");
    assert_int_equal(oai_request_set_output_file(req, out), OAI_OK);
    oai_response *res = send_free(f, req);
    long after = peak_rss_kb(0);
    pthread_join(server.thread, NULL);
    close(server.listen_fd);

    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_body_len(res), 0);
    oai_response_free(res);
    assert_int_equal(file_size(out), BIG_SIZE);
    assert_true(files_equal(src, out));
    print_message("200 MB download to a file: peak RSS %ld kB before, %ld kB after, growth %ld kB\n",
                  before, after, after - before);
    assert_true(before > 0 && after > 0);
    if (memory_bound_checked())
        assert_true(after - before < 64 * 1024);
    unlink(out);
    unlink(src);
}

/* A retried upload sends the whole file again, from its first byte. */
static void test_upload_retry_resends_file(void **state)
{
    fixture *f = *state;
    char path[64];
    char data[3000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    temp_file(path, sizeof path, ".jsonl", data, sizeof data);
    mock_server_push_simple(f->ms, 503, NULL, "{\"error\":{\"message\":\"busy\"}}");
    oai_response *res = send_free(f, oai_file_create_request_new(path, "fine-tune"));
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    assert_int_equal(mock_server_request_count(f->ms), 2);
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        const char *v = form_field(mock_server_request(f->ms, i), "file", &len, NULL);
        assert_int_equal(len, sizeof data);
        assert_memory_equal(v, data, sizeof data);
    }
    oai_response_free(res);
    unlink(path);
}


/* ---- downloads replace the target only on success (issue 7, item 7) ------- */

/* A fresh directory holding `name` with the content OLD (mode 0600). */
static void make_target(char *dir, size_t dir_size, char *target, size_t target_size)
{
    snprintf(dir, dir_size, "/tmp/oai-dl-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(target, target_size, "%s/result.jsonl", dir);
    FILE *fp = fopen(target, "wb");
    assert_non_null(fp);
    fputs("OLD", fp);
    fclose(fp);
    assert_int_equal(chmod(target, 0600), 0);
}

static char *file_content(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* The number of entries in dir besides . and .. */
static int entries_in(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static void remove_dir(const char *dir, const char *target)
{
    unlink(target);
    assert_int_equal(rmdir(dir), 0); /* fails when a temporary file was left */
}

static oai_response *download_to(fixture *f, const char *target, int retries)
{
    oai_request *req = oai_file_retrieve_content_request_new("file-x");
    assert_int_equal(oai_request_set_output_file(req, target), OAI_OK);
    assert_int_equal(oai_request_set_max_retries(req, retries), OAI_OK);
    oai_response *res = oai_client_send(f->c, req);
    oai_request_free(req);
    return res;
}

static const char new_body[] = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n{\"custom_id\":\"c\"}\n";

static void test_failed_download_keeps_target(void **state)
{
    fixture *f = *state;
    char dir[64], target[128];
    make_target(dir, sizeof dir, target, sizeof target);

    /* The connection drops mid-body. */
    mock_reply cut = {.status = 200, .body = new_body, .content_type = "application/octet-stream",
                      .fault = MOCK_FAULT_CLOSE_MID_BODY, .fault_after = 10};
    mock_server_push(f->ms, &cut);
    oai_response *res = download_to(f, target, 0);
    assert_int_not_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(file_content(target), "OLD");
    assert_int_equal(entries_in(dir), 1);

    /* An error answer. */
    mock_server_push_simple(f->ms, 404, NULL, "{\"error\":{\"message\":\"No such file\"}}");
    res = download_to(f, target, 0);
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    oai_response_free(res);
    assert_string_equal(file_content(target), "OLD");
    assert_int_equal(entries_in(dir), 1);

    /* A retry after a broken first attempt writes the whole body once. */
    mock_server_push(f->ms, &cut);
    mock_reply whole = {.status = 200, .body = new_body, .content_type = "application/octet-stream"};
    mock_server_push(f->ms, &whole);
    res = download_to(f, target, 2);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    assert_string_equal(file_content(target), new_body);
    assert_int_equal(entries_in(dir), 1);
    /* The replaced file keeps its permissions. */
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    remove_dir(dir, target);
}

static int cancel_on_first_bytes(void *ud, int64_t sent, int64_t send_total, int64_t received,
                                 int64_t receive_total)
{
    (void)ud;
    (void)sent;
    (void)send_total;
    (void)receive_total;
    return received > 0;
}

static void test_cancelled_download_keeps_target(void **state)
{
    fixture *f = *state;
    char dir[64], target[128];
    make_target(dir, sizeof dir, target, sizeof target);
    const char *const chunks[] = {"{\"custom_id\":\"a\"}\n", "{\"custom_id\":\"b\"}\n", "{\"custom_id\":\"c\"}\n"};
    mock_reply slow = {.status = 200, .content_type = "application/octet-stream", .chunks = chunks,
                       .chunk_count = 3, .chunk_delay_ms = 200};
    mock_server_push(f->ms, &slow);
    oai_request *req = oai_file_retrieve_content_request_new("file-x");
    oai_request_set_output_file(req, target);
    oai_request_set_progress_callback(req, cancel_on_first_bytes, NULL);
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_CANCELLED);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(file_content(target), "OLD");
    assert_int_equal(entries_in(dir), 1);
    remove_dir(dir, target);
}

/* A download into a directory that does not exist, or onto a directory,
 * fails when the body begins, and says why. */
static void test_download_target_problems(void **state)
{
    fixture *f = *state;
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    oai_response *res = download_to(f, "/nonexistent-oai-dir/out.bin", 0);
    assert_int_equal(oai_response_status(res), OAI_ERR_IO);
    assert_non_null(strstr(oai_response_error_message(res), "No such file or directory"));
    oai_response_free(res);
    mock_server_push_simple(f->ms, 200, NULL, "{}");
    res = download_to(f, "/tmp", 0);
    assert_int_equal(oai_response_status(res), OAI_ERR_IO);
    assert_non_null(strstr(oai_response_error_message(res), "directory"));
    oai_response_free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_big_download_to_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_from_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_from_memory_and_download, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retrieve_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_retry_resends_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_are_encoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_pages_through_25_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_download_keeps_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancelled_download_keeps_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_download_target_problems, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
