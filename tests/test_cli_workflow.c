/*
 * The fine-tuning workflow of the `oai` tool (data, files, fine-tune,
 * batch) and examples/fine_tune.c, run as child processes against the mock
 * server and its stateful files / jobs / batches: what they print, their
 * exit statuses, and what the server received.
 *
 * The programs' paths come from OAI_CLI_PATH and OAI_EXAMPLE_FINE_TUNE_PATH
 * (tests/extra.cmake); a test whose program is not built is skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include <oai.h>

#include "child_process.h"
#include "mock_server.h"
#include "recorded_json.h"
#include "mock_state.h"

#ifdef OAI_CLI_PATH
#define CLI_BUILT 1
#else
#define CLI_BUILT 0
#define OAI_CLI_PATH ""
#endif

#ifdef OAI_EXAMPLE_FINE_TUNE_PATH
#define EXAMPLE_BUILT 1
#else
#define EXAMPLE_BUILT 0
#define OAI_EXAMPLE_FINE_TUNE_PATH ""
#endif

#define TEST_KEY "sk-test"
#define MAX_ARGS 32

extern char **environ;

/* Fails with the child's stderr unless it exited with @p code. */
#define assert_exit(r, code)                                                   \
    do {                                                                       \
        if ((r).exit_code != (code))                                           \
            fail_msg("exit %d, expected %d; stdout:\n%s\nstderr:\n%s",         \
                     (r).exit_code, (code), (r).out, (r).err);                 \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Fixtures */

/* A mock server with fresh state, and a scratch directory. */
typedef struct fixture {
    mock_server *ms;
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    mock_state_reset();
    f->ms = mock_server_start();
    snprintf(f->dir, sizeof f->dir, "/tmp/oai-cli-workflow-XXXXXX");
    if (!f->ms || !mkdtemp(f->dir)) {
        mock_server_stop(f->ms);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Removes the scratch directory and what the tests left in it. */
static void remove_dir(const char *dir)
{
    char path[512];
    struct dirent *entry;
    DIR *d = opendir(dir);

    chmod(dir, 0700); /* a test may have made it read-only */
    while (d && (entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (unlink(path) != 0)
            remove_dir(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    fixture *f = *state;

    mock_server_stop(f->ms);
    mock_state_reset();
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Helpers */

/* The path of @p name in the scratch directory (a static buffer per slot). */
static const char *path_in(const fixture *f, const char *name)
{
    static char paths[4][512];
    static int next;
    char *path = paths[next++ % 4];

    snprintf(path, sizeof paths[0], "%s/%s", f->dir, name);
    return path;
}

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *out = fopen(path, "wb");

    assert_non_null(out);
    assert_int_equal(fwrite(content, 1, len, out), len);
    assert_int_equal(fclose(out), 0);
}

/* The whole file, NUL-terminated (free()); *len gets its length. */
static char *read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    char *data;
    long size;

    if (!in)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(in, 0, SEEK_END), 0);
    size = ftell(in);
    rewind(in);
    data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, in), (size_t)size);
    data[size] = '\0';
    fclose(in);
    if (len)
        *len = (size_t)size;
    return data;
}

/* Runs `oai ARGS...` (NULL-terminated) against the fixture's server. */
static void run_cli(run_result *r, const fixture *f, const char *first, ...)
{
    char *argv[MAX_ARGS + 2];
    size_t argc = 0;
    va_list more;

    if (!CLI_BUILT)
        skip();
    argv[argc++] = (char *)OAI_CLI_PATH;
    va_start(more, first);
    for (const char *arg = first; arg; arg = va_arg(more, const char *)) {
        assert_true(argc < MAX_ARGS);
        argv[argc++] = (char *)arg;
    }
    va_end(more);
    argv[argc] = NULL;
    run_program(r, mock_server_url(f->ms), TEST_KEY, NULL, argv);
}

static size_t count_of(const char *haystack, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Parses each line of @p text as JSON into out[]; returns the count. */
static size_t json_lines(const char *text, json_t **out, size_t max)
{
    size_t n = 0;

    while (*text) {
        const char *end = strchr(text, '\n');
        json_error_t error;
        size_t len = end ? (size_t)(end - text) : strlen(text);

        assert_true(n < max);
        out[n] = json_loadb(text, len, 0, &error);
        if (!out[n])
            fail_msg("line %zu is not JSON (%s): %.*s", n + 1, error.text, (int)len, text);
        n++;
        text += len + (end ? 1 : 0);
    }
    return n;
}

static void free_json_lines(json_t **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(items[i]);
}

/* The index of the first recorded request with this method and path. */
static size_t find_request(mock_server *ms, const char *method, const char *path)
{
    for (size_t i = 0; i < mock_server_request_count(ms); i++) {
        const mock_request *req = mock_server_request(ms, i);
        if (strcmp(req->method, method) == 0 && strcmp(req->path, path) == 0)
            return i;
    }
    fail_msg("no %s %s was received", method, path);
    return 0;
}

static size_t count_requests(mock_server *ms, const char *method, const char *path_prefix)
{
    size_t n = 0;

    for (size_t i = 0; i < mock_server_request_count(ms); i++) {
        const mock_request *req = mock_server_request(ms, i);
        if (strcmp(req->method, method) == 0 &&
            strncmp(req->path, path_prefix, strlen(path_prefix)) == 0)
            n++;
    }
    return n;
}

/* The value at a JSON Pointer-like path of keys, e.g. "method/dpo/type". */
static json_t *json_at(json_t *v, const char *path)
{
    char key[64];

    while (v && *path) {
        size_t len = strcspn(path, "/");
        assert_true(len < sizeof key);
        memcpy(key, path, len);
        key[len] = '\0';
        v = json_object_get(v, key);
        path += len + (path[len] == '/');
    }
    return v;
}

static const char *json_str_at(json_t *v, const char *path)
{
    return json_string_value(json_at(v, path));
}

/* The first word of @p text (up to a space or line end), copied. */
static char *first_word(const char *text)
{
    size_t len = strcspn(text, " \n");
    char *word = malloc(len + 1);

    assert_non_null(word);
    memcpy(word, text, len);
    word[len] = '\0';
    return word;
}

/* A valid chat training file of @p count examples (free()). */
static char *training_data(int count)
{
    size_t cap = (size_t)count * 200 + 1, len = 0;
    char *data = malloc(cap);

    assert_non_null(data);
    for (int i = 0; i < count; i++)
        len += (size_t)snprintf(data + len, cap - len,
                                "{\"messages\":[{\"role\":\"user\",\"content\":\"Question %d?\"},"
                                "{\"role\":\"assistant\",\"content\":\"Answer %d.\"}]}\n",
                                i, i);
    return data;
}

/* Line 2 is not JSON, line 4 has an unknown role, line 1 has no answer;
 * and there are too few examples. */
static const char bad_training_data[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n"
    "{not json\n"
    "\n"
    "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"y\"}]}\n";

/* Uploads @p content as the file @p name with `oai files upload`; returns
 * the new file's id (free()). */
static char *upload(const fixture *f, const char *name, const char *content, const char *purpose)
{
    const char *path = path_in(f, name);
    run_result r;
    char *id;

    write_file(path, content, strlen(content));
    run_cli(&r, f, "files", "upload", path, "--purpose", purpose, NULL);
    assert_exit(r, 0);
    assert_string_equal(r.err, "");
    assert_true(strncmp(r.out, "file-", 5) == 0);
    id = first_word(r.out);
    run_result_free(&r);
    return id;
}

/* Uploads training data and starts a job on it; returns the job's id. */
static char *start_job(const fixture *f)
{
    char *data = training_data(10);
    char *file_id = upload(f, "train.jsonl", data, "fine-tune");
    run_result r;
    char *job_id;

    run_cli(&r, f, "fine-tune", "create", "-m", "gpt-4o-mini", "-t", file_id, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, " validating_files\n");
    job_id = first_word(r.out);
    run_result_free(&r);
    free(file_id);
    free(data);
    return job_id;
}

/* ------------------------------------------------------------------------ */
/* oai data validate */

static void test_data_validate_valid_file(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "train.jsonl");
    char *data = training_data(12);
    run_result r;
    json_t *report;
    json_error_t error;

    write_file(path, data, strlen(data));
    run_cli(&r, f, "data", "validate", path, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "examples:              12\n");
    assert_contains(r.out, "assistant messages:    12\n");
    assert_contains(r.out, ": valid\n");
    assert_not_contains(r.out, "not valid");
    assert_string_equal(r.err, "");
    run_result_free(&r);

    run_cli(&r, f, "data", "validate", "--json", path, "--context-limit", "4096", NULL);
    assert_exit(r, 0);
    report = json_loads(r.out, 0, &error);
    assert_non_null(report);
    assert_true(json_is_true(json_object_get(report, "valid")));
    assert_int_equal(json_integer_value(json_object_get(report, "examples")), 12);
    json_decref(report);
    run_result_free(&r);

    /* Validation is local: nothing goes to the server. */
    assert_int_equal(mock_server_request_count(f->ms), 0);
    free(data);
}

static void test_data_validate_invalid_file(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "bad.jsonl");
    char expected[600];
    run_result r;
    json_t *report, *problems;
    json_error_t error;

    write_file(path, bad_training_data, strlen(bad_training_data));
    run_cli(&r, f, "data", "validate", path, NULL);
    assert_exit(r, 10);
    snprintf(expected, sizeof expected, "%s:1: no_assistant_message: ", path);
    assert_contains(r.out, expected);
    snprintf(expected, sizeof expected, "%s:2: invalid_json: ", path);
    assert_contains(r.out, expected);
    snprintf(expected, sizeof expected, "%s:4: unknown_role: ", path);
    assert_contains(r.out, expected);
    snprintf(expected, sizeof expected, "%s: too_few_examples: ", path);
    assert_contains(r.out, expected);
    assert_contains(r.out, "not valid (4 problems)\n");
    run_result_free(&r);

    run_cli(&r, f, "data", "validate", path, "--json", NULL);
    assert_exit(r, 10);
    report = json_loads(r.out, 0, &error);
    if (!report)
        fail_msg("--json printed no JSON: %s\n%s", error.text, r.out);
    assert_false(json_is_true(json_object_get(report, "valid")));
    problems = json_object_get(report, "problems");
    assert_int_equal(json_array_size(problems), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(problems, 1), "line")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(problems, 1), "code")),
                        "invalid_json");
    json_decref(report);
    run_result_free(&r);

    /* The same lines as preference data: every line is wrong. */
    run_cli(&r, f, "data", "validate", path, "--format", "preference", NULL);
    assert_exit(r, 10);
    assert_contains(r.out, "missing_messages");
    run_result_free(&r);
}

/* Expects "oai: OAI_ERR_IO: cannot VERB 'PATH': strerror(ERR)" on stderr. */
static void assert_file_error(const run_result *r, const char *verb, const char *path, int err)
{
    char expected[700];

    snprintf(expected, sizeof expected, "oai: OAI_ERR_IO: cannot %s '%s': %s\n", verb, path,
             strerror(err));
    assert_string_equal(r->err, expected);
}

/* A file that cannot be read is named, with the system's reason. */
static void test_data_validate_unreadable_file(void **state)
{
    fixture *f = *state;
    const char *missing = path_in(f, "missing.jsonl");
    run_result r;

    run_cli(&r, f, "data", "validate", missing, NULL);
    assert_exit(r, 10);
    assert_string_equal(r.out, "");
    assert_file_error(&r, "read", missing, ENOENT);
    run_result_free(&r);

    run_cli(&r, f, "data", "validate", f->dir, NULL); /* a directory */
    assert_exit(r, 10);
    assert_string_equal(r.out, "");
    assert_file_error(&r, "read", f->dir, EISDIR);
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* oai files */

static void test_files_upload_list_get_download_delete(void **state)
{
    fixture *f = *state;
    char *data = training_data(10);
    char *id = upload(f, "train.jsonl", data, "fine-tune");
    char *second = upload(f, "input.jsonl", "{\"x\":1}\n", "batch");
    const mock_request *req;
    const char *out_path = path_in(f, "downloaded.jsonl");
    json_t *items[8];
    size_t n, len;
    run_result r;
    char *content, content_path[128];

    /* The upload is a multipart POST with the purpose and the bytes. */
    req = mock_server_request(f->ms, find_request(f->ms, "POST", "/v1/files"));
    assert_contains(mock_request_header(req, "Content-Type"), "multipart/form-data");
    assert_contains(req->body, "name=\"purpose\"");
    assert_contains(req->body, "fine-tune");
    assert_contains(req->body, "filename=\"train.jsonl\"");
    assert_contains(req->body, "Question 9?");

    /* Newest first, one file per line. */
    run_cli(&r, f, "files", "list", NULL);
    assert_exit(r, 0);
    assert_int_equal(count_of(r.out, "\n"), 2);
    assert_true(strncmp(r.out, second, strlen(second)) == 0);
    assert_contains(r.out, "  fine-tune  ");
    assert_contains(r.out, "  train.jsonl\n");
    assert_string_equal(r.err, "");
    run_result_free(&r);

    run_cli(&r, f, "files", "list", "--json", NULL);
    assert_exit(r, 0);
    n = json_lines(r.out, items, 8);
    assert_int_equal(n, 2);
    assert_string_equal(json_str_at(items[0], "id"), second);
    assert_string_equal(json_str_at(items[1], "id"), id);
    assert_string_equal(json_str_at(items[1], "object"), "file");
    assert_int_equal(json_integer_value(json_at(items[1], "bytes")), strlen(data));
    free_json_lines(items, n);
    run_result_free(&r);

    /* --limit stops after N items and asks for pages of N. */
    mock_server_reset(f->ms);
    run_cli(&r, f, "files", "list", "--limit", "1", "--json", NULL);
    assert_exit(r, 0);
    n = json_lines(r.out, items, 8);
    assert_int_equal(n, 1);
    assert_string_equal(json_str_at(items[0], "id"), second);
    free_json_lines(items, n);
    assert_contains(mock_server_request(f->ms, 0)->query, "limit=1");
    run_result_free(&r);

    /* Filters go to the server as query parameters. */
    mock_server_reset(f->ms);
    run_cli(&r, f, "files", "list", "--purpose", "fine-tune", "--order", "asc", NULL);
    assert_exit(r, 0);
    assert_int_equal(count_of(r.out, "\n"), 1);
    assert_true(strncmp(r.out, id, strlen(id)) == 0);
    assert_contains(mock_server_request(f->ms, 0)->query, "purpose=fine-tune");
    assert_contains(mock_server_request(f->ms, 0)->query, "order=asc");
    run_result_free(&r);

    run_cli(&r, f, "files", "get", id, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "filename:            train.jsonl\n");
    assert_contains(r.out, "purpose:             fine-tune\n");
    run_result_free(&r);

    /* The download is streamed to the file, byte for byte. */
    mock_server_reset(f->ms);
    run_cli(&r, f, "files", "download", id, "-o", out_path, NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    content = read_file(out_path, &len);
    assert_int_equal(len, strlen(data));
    assert_memory_equal(content, data, len);
    free(content);
    snprintf(content_path, sizeof content_path, "/v1/files/%s/content", id);
    assert_string_equal(mock_server_request(f->ms, 0)->path, content_path);
    run_result_free(&r);

    /* Without -o, to standard output. */
    run_cli(&r, f, "files", "download", id, NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, data);
    run_result_free(&r);

    run_cli(&r, f, "files", "delete", id, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "deleted ");
    assert_contains(r.out, id);
    run_result_free(&r);

    /* Gone: the API's message, exit status 4. */
    run_cli(&r, f, "files", "get", id, NULL);
    assert_exit(r, 4);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "oai: OAI_ERR_NOT_FOUND: No such file: 'file-mock1'");
    run_result_free(&r);

    run_cli(&r, f, "files", "delete", second, "--json", NULL);
    assert_exit(r, 0);
    n = json_lines(r.out, items, 8);
    assert_true(json_is_true(json_at(items[0], "deleted")));
    free_json_lines(items, n);
    run_result_free(&r);

    free(id);
    free(second);
    free(data);
}

static const char file_page_1[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"file-a\",\"object\":\"file\",\"bytes\":1,"
    "\"created_at\":1700000000,\"filename\":\"a.jsonl\",\"purpose\":\"batch\"},"
    "{\"id\":\"file-b\",\"object\":\"file\",\"bytes\":2,\"created_at\":1700000000,"
    "\"filename\":\"b.jsonl\",\"purpose\":\"batch\"}],\"has_more\":true,"
    "\"first_id\":\"file-a\",\"last_id\":\"file-b\"}";
static const char file_page_2[] =
    "{\"object\":\"list\",\"data\":[{\"id\":\"file-c\",\"object\":\"file\",\"bytes\":3,"
    "\"created_at\":1700000000,\"filename\":\"c.jsonl\",\"purpose\":\"batch\"},"
    "{\"id\":\"file-d\",\"object\":\"file\",\"bytes\":4,\"created_at\":1700000000,"
    "\"filename\":\"d.jsonl\",\"purpose\":\"batch\"}],\"has_more\":false}";

/* Lists go through every page, and --limit stops in the middle of one. */
static void test_files_list_pages(void **state)
{
    fixture *f = *state;
    run_result r;

    mock_server_push_simple(f->ms, 200, NULL, file_page_1);
    mock_server_push_simple(f->ms, 200, NULL, file_page_2);
    run_cli(&r, f, "files", "list", NULL);
    assert_exit(r, 0);
    assert_int_equal(count_of(r.out, "\n"), 4);
    assert_true(strncmp(r.out, "file-a  1  batch  2023-11-14T22:13:20Z  a.jsonl\n", 48) == 0);
    assert_contains(r.out, "\nfile-d  4  ");
    assert_int_equal(mock_server_request_count(f->ms), 2);
    assert_not_contains(mock_server_request(f->ms, 0)->query, "after=");
    assert_contains(mock_server_request(f->ms, 1)->query, "after=file-b");
    run_result_free(&r);

    mock_server_reset(f->ms);
    mock_server_push_simple(f->ms, 200, NULL, file_page_1);
    mock_server_push_simple(f->ms, 200, NULL, file_page_2);
    run_cli(&r, f, "files", "list", "--limit", "3", NULL);
    assert_exit(r, 0);
    assert_int_equal(count_of(r.out, "\n"), 3);
    assert_not_contains(r.out, "file-d");
    assert_contains(mock_server_request(f->ms, 0)->query, "limit=3");
    run_result_free(&r);

    /* Pages are at most 100 items, however large the limit. */
    mock_server_reset(f->ms);
    mock_server_push_simple(f->ms, 200, NULL, file_page_2);
    run_cli(&r, f, "files", "list", "--limit", "250", NULL);
    assert_exit(r, 0);
    assert_contains(mock_server_request(f->ms, 0)->query, "limit=100");
    run_result_free(&r);

    /* A page that fails: the API's error, its exit status. */
    mock_server_reset(f->ms);
    mock_server_push_simple(f->ms, 200, NULL, file_page_1);
    mock_server_push_simple(f->ms, 403, "x-request-id: req_page2\r\n",
                            "{\"error\":{\"message\":\"Not allowed to list files.\"}}");
    run_cli(&r, f, "files", "list", NULL);
    assert_exit(r, 3);
    assert_int_equal(count_of(r.out, "\n"), 2); /* the first page was printed */
    assert_contains(r.err, "OAI_ERR_PERMISSION_DENIED: Not allowed to list files. (request id req_page2)");
    run_result_free(&r);
}

/* --large goes through the Uploads API: create, parts, complete. */
static void test_files_upload_large(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "large.jsonl");
    char *data = training_data(10);
    json_t *body;
    run_result r;
    char *id;
    size_t parts, expected_parts = (strlen(data) + 99) / 100;

    write_file(path, data, strlen(data));
    run_cli(&r, f, "files", "upload", path, "-p", "fine-tune", "--part-size", "100", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.err, "");
    assert_true(strncmp(r.out, "file-", 5) == 0);

    body = request_json(f->ms, find_request(f->ms, "POST", "/v1/uploads"));
    assert_string_equal(json_str_at(body, "purpose"), "fine-tune");
    assert_string_equal(json_str_at(body, "filename"), "large.jsonl");
    assert_string_equal(json_str_at(body, "mime_type"), "text/jsonl");
    assert_int_equal(json_integer_value(json_at(body, "bytes")), strlen(data));
    json_decref(body);
    parts = count_requests(f->ms, "POST", "/v1/uploads/upload_mock1/parts");
    assert_int_equal(parts, expected_parts);
    body = request_json(f->ms, find_request(f->ms, "POST", "/v1/uploads/upload_mock1/complete"));
    assert_int_equal(json_array_size(json_at(body, "part_ids")), expected_parts);
    assert_non_null(json_str_at(body, "md5"));
    json_decref(body);

    /* The file it made holds the same bytes. */
    id = first_word(r.out);
    run_result_free(&r);
    run_cli(&r, f, "files", "download", id, "-o", "-", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, data);
    run_result_free(&r);
    free(id);
    free(data);
}

/* A failed download leaves no file behind. */
static void test_files_download_unknown(void **state)
{
    fixture *f = *state;
    const char *out_path = path_in(f, "never.bin");
    struct stat st;
    run_result r;

    run_cli(&r, f, "files", "download", "file-nope", "-o", out_path, NULL);
    assert_exit(r, 4);
    assert_contains(r.err, "No such file: 'file-nope'");
    assert_int_not_equal(stat(out_path, &st), 0);
    run_result_free(&r);

    run_cli(&r, f, "files", "upload", path_in(f, "missing.jsonl"), "-p", "batch", NULL);
    assert_exit(r, 10);
    assert_file_error(&r, "read", path_in(f, "missing.jsonl"), ENOENT);
    run_result_free(&r);
    assert_int_equal(mock_server_request_count(f->ms), 1);
}

/* A target that cannot be written is named, with the system's reason,
 * before anything is sent. */
static void test_files_download_unwritable_target(void **state)
{
    fixture *f = *state;
    const char *plain = path_in(f, "plain.txt");
    char target[600];
    run_result r;

    snprintf(target, sizeof target, "%s/no-such-dir/out.bin", f->dir);
    run_cli(&r, f, "files", "download", "file-x", "-o", target, NULL);
    assert_exit(r, 10);
    assert_file_error(&r, "write", target, ENOENT);
    run_result_free(&r);

    write_file(plain, "x", 1);
    snprintf(target, sizeof target, "%s/out.bin", plain);
    run_cli(&r, f, "files", "download", "file-x", "-o", target, NULL);
    assert_exit(r, 10);
    assert_file_error(&r, "write", target, ENOTDIR);
    run_result_free(&r);

    run_cli(&r, f, "files", "download", "file-x", "-o", f->dir, NULL);
    assert_exit(r, 10);
    assert_file_error(&r, "write", f->dir, EISDIR);
    run_result_free(&r);

    /* A read-only directory (root may write anywhere: not tested as root). */
    if (geteuid() != 0) {
        const char *locked = path_in(f, "locked");
        assert_int_equal(mkdir(locked, 0500), 0);
        snprintf(target, sizeof target, "%s/out.bin", locked);
        run_cli(&r, f, "files", "download", "file-x", "-o", target, NULL);
        assert_exit(r, 10);
        assert_file_error(&r, "write", target, EACCES);
        run_result_free(&r);
    }
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

/* ------------------------------------------------------------------------ */
/* Downloads that fail, are interrupted, or go to standard output */

#define OLD_CONTENT "the old file, which a failed download must leave alone\n"

/* @p size bytes of printable text, no NUL (free()). */
static char *text_of_size(size_t size)
{
    char *data = malloc(size + 1);

    assert_non_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
    data[size] = '\0';
    return data;
}

/* Scripts the content of file-x: @p data, cut by @p fault after
 * @p fault_after bytes, for every request (retries included). */
static void push_content(const fixture *f, const char *data, mock_fault fault, size_t fault_after,
                         int stall_ms)
{
    mock_reply reply = { 0 };

    reply.status = 200;
    reply.content_type = "application/octet-stream";
    reply.body = data;
    reply.fault = fault;
    reply.fault_after = fault_after;
    reply.stall_ms = stall_ms;
    assert_int_equal(mock_server_push_matching(f->ms, &reply, "GET", "/v1/files/file-x/content", -1), 0);
}

/* The temporary files a download to @p dir/@p name may leave
 * (".NAME.oai-XXXXXXXX"): how many there are, and their bytes in all. */
static size_t temp_files(const char *dir, const char *name, off_t *bytes)
{
    char prefix[256], path[1024];
    struct dirent *entry;
    struct stat st;
    size_t count = 0;
    DIR *d = opendir(dir);

    assert_non_null(d);
    snprintf(prefix, sizeof prefix, ".%s.oai-", name);
    if (bytes)
        *bytes = 0;
    while ((entry = readdir(d)) != NULL) {
        if (strncmp(entry->d_name, prefix, strlen(prefix)) != 0)
            continue;
        count++;
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        if (bytes && stat(path, &st) == 0)
            *bytes += st.st_size;
    }
    closedir(d);
    return count;
}

/* The number of entries in @p dir besides "." and "..". */
static size_t entries_in(const char *dir)
{
    struct dirent *entry;
    size_t count = 0;
    DIR *d = opendir(dir);

    assert_non_null(d);
    while ((entry = readdir(d)) != NULL)
        count += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    closedir(d);
    return count;
}

/* Fails unless the file at @p path holds exactly @p expected. */
static void assert_file_holds(const char *path, const char *expected)
{
    size_t len;
    char *content = read_file(path, &len);

    if (len != strlen(expected) || memcmp(content, expected, len) != 0)
        fail_msg("%s holds %zu bytes, not the %zu expected", path, len, strlen(expected));
    free(content);
}

/* A connection that breaks in the middle of the body (after the retries)
 * leaves the existing file as it was, and no temporary file. */
static void test_files_download_failure_keeps_old_file(void **state)
{
    static const mock_fault faults[] = { MOCK_FAULT_CLOSE_MID_BODY, MOCK_FAULT_RESET };
    fixture *f = *state;
    const char *target = path_in(f, "copy.bin");
    char *data = text_of_size(200000);

    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        run_result r;

        write_file(target, OLD_CONTENT, strlen(OLD_CONTENT));
        mock_server_reset(f->ms);
        push_content(f, data, faults[i], 100000, 0);
        run_cli(&r, f, "files", "download", "file-x", "-o", target, NULL);
        assert_exit(r, 8);
        assert_contains(r.err, "oai: OAI_ERR_CONNECTION: ");
        assert_true(mock_server_request_count(f->ms) >= 1);
        assert_file_holds(target, OLD_CONTENT);
        assert_int_equal(temp_files(f->dir, "copy.bin", NULL), 0);
        run_result_free(&r);
    }
    free(data);
}

/* An empty file is a file too: it is created, or replaces the old one. */
static void test_files_download_empty_file(void **state)
{
    fixture *f = *state;
    const char *fresh = path_in(f, "fresh.bin");
    const char *target = path_in(f, "copy.bin");
    run_result r;

    push_content(f, "", MOCK_FAULT_NONE, 0, 0);
    run_cli(&r, f, "files", "download", "file-x", "-o", fresh, NULL);
    assert_exit(r, 0);
    assert_file_holds(fresh, "");
    run_result_free(&r);

    write_file(target, OLD_CONTENT, strlen(OLD_CONTENT));
    run_cli(&r, f, "files", "download", "file-x", "-o", target, NULL);
    assert_exit(r, 0);
    assert_file_holds(target, "");
    assert_int_equal(temp_files(f->dir, "copy.bin", NULL), 0);
    run_result_free(&r);
}

/* Runs @p argv under a file size limit of @p limit bytes, as a full disk
 * would stop it (SIGXFSZ blocked: the write fails with EFBIG instead). */
static void run_with_file_size_limit(run_result *r, const fixture *f, rlim_t limit, char *const argv[])
{
    struct rlimit old, small;
    sigset_t xfsz, old_mask;

    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = limit;
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &xfsz, &old_mask), 0);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    run_program(r, mock_server_url(f->ms), TEST_KEY, NULL, argv);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(pthread_sigmask(SIG_SETMASK, &old_mask, NULL), 0);
}

/* A download that cannot be written (a full disk) names the file and
 * leaves the existing one as it was. */
static void test_files_download_write_failure_keeps_old_file(void **state)
{
    fixture *f = *state;
    const char *target = path_in(f, "copy.bin");
    char *data = text_of_size(3000000);
    char *argv[] = { (char *)OAI_CLI_PATH, "files", "download", "file-x", "-o", (char *)target, NULL };
    char expected[700];
    run_result r;

    if (!CLI_BUILT) {
        free(data);
        skip();
    }
    write_file(target, OLD_CONTENT, strlen(OLD_CONTENT));
    push_content(f, data, MOCK_FAULT_NONE, 0, 0);
    run_with_file_size_limit(&r, f, 1024 * 1024, argv);
    assert_exit(r, 10);
    snprintf(expected, sizeof expected, "oai: OAI_ERR_IO: cannot write '%s': ", target);
    assert_contains(r.err, expected);
    assert_contains(r.err, strerror(EFBIG));
    assert_file_holds(target, OLD_CONTENT);
    assert_int_equal(temp_files(f->dir, "copy.bin", NULL), 0);
    run_result_free(&r);
    free(data);
}

/* Our environment without OPENAI_*, plus the fixture's server and key, in
 * @p env (at most @p max entries, NULL-terminated); @p vars holds the
 * added strings. */
static void cli_environment(const fixture *f, char *env[], size_t max, char vars[2][160])
{
    size_t n = 0;

    for (size_t i = 0; environ[i] && n + 3 < max; i++)
        if (strncmp(environ[i], "OPENAI_", 7) != 0)
            env[n++] = environ[i];
    snprintf(vars[0], 160, "OPENAI_BASE_URL=%s", mock_server_url(f->ms));
    snprintf(vars[1], 160, "OPENAI_API_KEY=%s", TEST_KEY);
    env[n++] = vars[0];
    env[n++] = vars[1];
    env[n] = NULL;
}

/* Starts @p argv with stdout and stderr in the given files, SIGINT at its
 * default action and unblocked (whatever the test runner did with it). */
static pid_t start_cli(const fixture *f, char *const argv[], FILE *out, FILE *err)
{
    char *env[512], vars[2][160];
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    sigset_t sigint, none;
    pid_t pid;

    cli_environment(f, env, 512, vars);
    sigemptyset(&sigint);
    sigaddset(&sigint, SIGINT);
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigdefault(&attr, &sigint);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fileno(out), 1);
    posix_spawn_file_actions_adddup2(&actions, fileno(err), 2);
    assert_int_equal(posix_spawn(&pid, argv[0], &actions, &attr, argv, env), 0);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return pid;
}

/* Waits up to a minute for the child; its wait status. */
static int wait_child(pid_t pid)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    int status = 0;

    for (int waited_ms = 0; waited_ms < 60000; waited_ms += 10) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        nanosleep(&pause, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("the child did not finish within a minute");
    return status;
}

/* Reads what a child wrote to @p file (free()). */
static char *read_back(FILE *file)
{
    long size;
    char *text;

    fflush(file);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    size = ftell(file);
    rewind(file);
    text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, file), (size_t)size);
    text[size] = '\0';
    return text;
}

/* Waits (up to 30 s) until part of the body has reached the disk: the
 * temporary file has bytes, or the target changed (as an unsafe download
 * would change it). Fails if the child ends first. */
static void wait_for_body(const fixture *f, pid_t pid, const char *target)
{
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    int status;

    for (int waited_ms = 0; waited_ms < 30000; waited_ms += 10) {
        off_t bytes;
        size_t len;
        char *now;
        int changed;

        temp_files(f->dir, "copy.bin", &bytes);
        now = read_file(target, &len);
        changed = len != strlen(OLD_CONTENT) || memcmp(now, OLD_CONTENT, len) != 0;
        free(now);
        if (bytes > 0 || changed)
            return;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("the download ended (status %d) before SIGINT", status);
        nanosleep(&pause, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("no part of the body arrived within 30 s");
}

/* Ctrl-C in the middle of a download cancels it: exit 130, the old file
 * untouched, no temporary file left. */
static void test_files_download_interrupted(void **state)
{
    fixture *f = *state;
    const char *target = path_in(f, "copy.bin");
    char *data = text_of_size(1000000);
    char *argv[] = { (char *)OAI_CLI_PATH, "files", "download", "file-x", "-o", (char *)target, NULL };
    FILE *out = tmpfile(), *err = tmpfile();
    char *err_text;
    int status;
    pid_t pid;

    if (!CLI_BUILT) {
        free(data);
        fclose(out);
        fclose(err);
        skip();
    }
    assert_non_null(out);
    assert_non_null(err);
    write_file(target, OLD_CONTENT, strlen(OLD_CONTENT));
    /* Part of the body, then silence until the server stops. */
    push_content(f, data, MOCK_FAULT_STALL, 300000, 120000);
    pid = start_cli(f, argv, out, err);
    wait_for_body(f, pid, target);
    assert_int_equal(kill(pid, SIGINT), 0);
    status = wait_child(pid);
    err_text = read_back(err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 130)
        fail_msg("wait status %d, expected exit 130; stderr:\n%s", status, err_text);
    assert_string_equal(err_text, "oai: interrupted\n");
    assert_file_holds(target, OLD_CONTENT);
    assert_int_equal(temp_files(f->dir, "copy.bin", NULL), 0);
    free(err_text);
    fclose(out);
    fclose(err);
    free(data);
}

/* Ctrl-C while an upload waits for its answer cancels it too: exit 130. */
static void test_files_upload_interrupted(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "input.jsonl");
    char *argv[] = { (char *)OAI_CLI_PATH, "files", "upload", (char *)path, "-p", "batch", NULL };
    FILE *out = tmpfile(), *err = tmpfile();
    mock_reply reply = { 0 };
    char *out_text, *err_text;
    int status;
    pid_t pid;

    if (!CLI_BUILT) {
        fclose(out);
        fclose(err);
        skip();
    }
    assert_non_null(out);
    assert_non_null(err);
    write_file(path, "{\"x\":1}\n", 8);
    reply.status = 200;
    reply.body = "{\"id\":\"file-late\",\"object\":\"file\"}";
    reply.delay_ms = 120000; /* no answer until the server stops */
    mock_server_push(f->ms, &reply);
    pid = start_cli(f, argv, out, err);
    if (mock_server_wait_requests(f->ms, 1, 30000) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the upload did not arrive within 30 s");
    }
    assert_int_equal(kill(pid, SIGINT), 0);
    status = wait_child(pid);
    out_text = read_back(out);
    err_text = read_back(err);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 130)
        fail_msg("wait status %d, expected exit 130; stderr:\n%s", status, err_text);
    assert_string_equal(err_text, "oai: interrupted\n");
    assert_string_equal(out_text, "");
    free(out_text);
    free(err_text);
    fclose(out);
    fclose(err);
}

/* Without -o the body streams straight to stdout: no temporary file in
 * TMPDIR or the working directory, the same bytes; a body cut off midway
 * has already shown its first part (it was not held back), once (a retry
 * would repeat it). */
static void test_files_download_to_stdout_streams(void **state)
{
    fixture *f = *state;
    char *data = text_of_size(200000);
    char tmp[600], work[600], cwd[PATH_MAX];
    char *old_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    run_result r;

    snprintf(tmp, sizeof tmp, "%s/tmp", f->dir);
    snprintf(work, sizeof work, "%s/work", f->dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    assert_int_equal(mkdir(work, 0700), 0);
    assert_non_null(getcwd(cwd, sizeof cwd));
    push_content(f, data, MOCK_FAULT_NONE, 0, 0);
    setenv("TMPDIR", tmp, 1);
    assert_int_equal(chdir(work), 0);
    run_cli(&r, f, "files", "download", "file-x", NULL);
    assert_int_equal(chdir(cwd), 0);
    if (old_tmpdir)
        setenv("TMPDIR", old_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(old_tmpdir);
    assert_exit(r, 0);
    assert_string_equal(r.out, data);
    assert_string_equal(r.err, "");
    assert_int_equal(entries_in(tmp), 0);
    assert_int_equal(entries_in(work), 0);
    run_result_free(&r);

    mock_server_reset(f->ms);
    push_content(f, data, MOCK_FAULT_CLOSE_MID_BODY, 80000, 0);
    run_cli(&r, f, "files", "download", "file-x", NULL);
    assert_exit(r, 8);
    assert_int_equal(strlen(r.out), 80000);
    assert_memory_equal(r.out, data, 80000);
    assert_contains(r.err, "oai: OAI_ERR_CONNECTION: ");
    assert_int_equal(mock_server_request_count(f->ms), 1);
    run_result_free(&r);
    free(data);
}

/* ------------------------------------------------------------------------ */
/* oai fine-tune */

static void test_fine_tune_create_with_method(void **state)
{
    fixture *f = *state;
    char *data = training_data(10);
    char *file_id = upload(f, "train.jsonl", data, "fine-tune");
    char *valid_id = upload(f, "valid.jsonl", data, "fine-tune");
    json_t *body, *hp;
    run_result r;

    mock_server_reset(f->ms);
    run_cli(&r, f, "fine-tune", "create", "-m", "gpt-4o-mini-2024-07-18", "-t", file_id,
            "--validation-file", valid_id, "--suffix", "capitals", "--seed", "7", "--method", "dpo",
            "--epochs", "3", "--batch-size", "auto", "--learning-rate-multiplier", "0.5",
            "--beta", "auto", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "ftjob-mock3 validating_files\n");
    assert_string_equal(r.err, "");

    assert_int_equal(mock_server_request_count(f->ms), 1);
    assert_string_equal(mock_server_request(f->ms, 0)->path, "/v1/fine_tuning/jobs");
    body = request_json(f->ms, 0);
    assert_string_equal(json_str_at(body, "model"), "gpt-4o-mini-2024-07-18");
    assert_string_equal(json_str_at(body, "training_file"), file_id);
    assert_string_equal(json_str_at(body, "validation_file"), valid_id);
    assert_string_equal(json_str_at(body, "suffix"), "capitals");
    assert_int_equal(json_integer_value(json_at(body, "seed")), 7);
    assert_string_equal(json_str_at(body, "method/type"), "dpo");
    hp = json_at(body, "method/dpo/hyperparameters");
    assert_true(json_is_integer(json_object_get(hp, "n_epochs")));
    assert_int_equal(json_integer_value(json_object_get(hp, "n_epochs")), 3);
    assert_string_equal(json_string_value(json_object_get(hp, "batch_size")), "auto");
    assert_true(json_real_value(json_object_get(hp, "learning_rate_multiplier")) == 0.5);
    assert_string_equal(json_string_value(json_object_get(hp, "beta")), "auto");
    assert_null(json_object_get(body, "hyperparameters"));
    json_decref(body);
    run_result_free(&r);

    /* Without --method: the legacy hyperparameters object. */
    mock_server_reset(f->ms);
    run_cli(&r, f, "fine-tune", "create", "--model=gpt-4o-mini", "--training-file", file_id,
            "--epochs", "auto", "--batch-size", "4", "--json", NULL);
    assert_exit(r, 0);
    body = json_loads(r.out, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_str_at(body, "object"), "fine_tuning.job");
    json_decref(body);
    body = request_json(f->ms, 0);
    assert_null(json_object_get(body, "method"));
    assert_string_equal(json_str_at(body, "hyperparameters/n_epochs"), "auto");
    assert_int_equal(json_integer_value(json_at(body, "hyperparameters/batch_size")), 4);
    assert_null(json_at(body, "hyperparameters/learning_rate_multiplier"));
    json_decref(body);
    run_result_free(&r);

    /* A training file the server does not know: its 400, exit 5. */
    run_cli(&r, f, "fine-tune", "create", "-m", "gpt-4o-mini", "-t", "file-unknown", NULL);
    assert_exit(r, 5);
    assert_contains(r.err, "invalid training_file: file-unknown");
    run_result_free(&r);

    free(file_id);
    free(valid_id);
    free(data);
}

/* Follows a job to its end: each event once, in order, then the outcome. */
static void test_fine_tune_follow_to_success(void **state)
{
    static const char *const messages[] = {
        "Created fine-tuning job: ",
        "Validating training file: ",
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
        "Step 10/10: training loss=0.42",
        "New fine-tuned model created: ",
        "The job has successfully completed",
    };
    fixture *f = *state;
    char *job = start_job(f);
    char path[128], expected[256];
    const char *previous;
    run_result r;

    run_cli(&r, f, "fine-tune", "events", job, "--follow", "--interval", "10", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.err, "");
    previous = r.out;
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        const char *at = strstr(r.out, messages[i]);
        if (!at || at < previous)
            fail_msg("event \"%s\" missing or out of order in:\n%s", messages[i], r.out);
        assert_int_equal(count_of(r.out, messages[i]), 1);
        previous = at;
    }
    /* TIME LEVEL MESSAGE */
    assert_true(strncmp(r.out, "2023-11-14T22:13:", 17) == 0);
    assert_contains(r.out, "Z info Created fine-tuning job: ");
    snprintf(expected, sizeof expected,
             "status:              succeeded\nfine_tuned_model:    ft:gpt-4o-mini:mock::%s\n",
             job + strlen("ftjob-"));
    assert_contains(r.out, expected);
    snprintf(path, sizeof path, "/v1/fine_tuning/jobs/%s/events", job);
    assert_true(count_requests(f->ms, "GET", path) >= 3);
    run_result_free(&r);

    run_cli(&r, f, "fine-tune", "get", job, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "status:              succeeded\n");
    assert_contains(r.out, "trained_tokens:      1234\n");
    run_result_free(&r);

    run_cli(&r, f, "fine-tune", "list", NULL);
    assert_exit(r, 0);
    snprintf(expected, sizeof expected, "%s  succeeded  gpt-4o-mini  ft:gpt-4o-mini:mock::", job);
    assert_contains(r.out, expected);
    run_result_free(&r);

    run_cli(&r, f, "fine-tune", "checkpoints", job, NULL);
    assert_exit(r, 0);
    assert_int_equal(count_of(r.out, "\n"), 1);
    assert_contains(r.out, "  step 10  ft:gpt-4o-mini:mock::");
    assert_contains(r.out, ":ckpt-step-10\n");
    run_result_free(&r);

    /* Without --follow: newest first; --limit takes the newest N. */
    run_cli(&r, f, "fine-tune", "events", job, "--limit", "2", NULL);
    assert_exit(r, 0);
    assert_int_equal(count_of(r.out, "\n"), 2);
    assert_true(strstr(r.out, "successfully completed") < strstr(r.out, "New fine-tuned model"));
    run_result_free(&r);

    /* A finished job cannot be cancelled: the API's 400, exit 5. */
    run_cli(&r, f, "fine-tune", "cancel", job, NULL);
    assert_exit(r, 5);
    assert_contains(r.err, "Cannot cancel a job that is succeeded.");
    run_result_free(&r);
    free(job);
}

static void test_fine_tune_follow_json(void **state)
{
    fixture *f = *state;
    char *job = start_job(f);
    json_t *items[32];
    size_t n;
    run_result r;

    run_cli(&r, f, "fine-tune", "events", job, "-f", "--interval=10", "--json", NULL);
    assert_exit(r, 0);
    n = json_lines(r.out, items, 32);
    assert_int_equal(n, 8); /* seven events, then the job */
    for (size_t i = 0; i + 1 < n; i++)
        assert_string_equal(json_str_at(items[i], "object"), "fine_tuning.job.event");
    assert_string_equal(json_str_at(items[n - 1], "object"), "fine_tuning.job");
    assert_string_equal(json_str_at(items[n - 1], "status"), "succeeded");
    free_json_lines(items, n);
    run_result_free(&r);
    free(job);
}

static void test_fine_tune_pause_resume_cancel(void **state)
{
    fixture *f = *state;
    char *job = start_job(f);
    char expected[128], path[128];
    run_result r;

    run_cli(&r, f, "fine-tune", "pause", job, NULL);
    assert_exit(r, 0);
    snprintf(expected, sizeof expected, "%s paused\n", job);
    assert_string_equal(r.out, expected);
    snprintf(path, sizeof path, "/v1/fine_tuning/jobs/%s/pause", job);
    find_request(f->ms, "POST", path);
    run_result_free(&r);

    run_cli(&r, f, "fine-tune", "resume", job, NULL);
    assert_exit(r, 0);
    snprintf(expected, sizeof expected, "%s validating_files\n", job);
    assert_string_equal(r.out, expected);
    snprintf(path, sizeof path, "/v1/fine_tuning/jobs/%s/resume", job);
    find_request(f->ms, "POST", path);
    run_result_free(&r);

    run_cli(&r, f, "fine-tune", "resume", job, NULL); /* not paused */
    assert_exit(r, 5);
    run_result_free(&r);

    run_cli(&r, f, "fine-tune", "cancel", job, "--json", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "\"status\":\"cancelled\"");
    run_result_free(&r);

    /* Following a cancelled job: its events, then exit status 10. */
    run_cli(&r, f, "fine-tune", "events", job, "--follow", "--interval", "10", NULL);
    assert_exit(r, 10);
    assert_contains(r.out, "info Job was paused\n");
    assert_contains(r.out, "info Job was resumed\n");
    assert_contains(r.out, "info Job was cancelled\n");
    assert_contains(r.out, "status:              cancelled\n");
    assert_contains(r.out, "fine_tuned_model:    -\n");
    assert_contains(r.err, "was cancelled");
    run_result_free(&r);
    free(job);
}

/* A job that fails: its error events, its message, exit status 7. */
static void test_fine_tune_follow_failed_job(void **state)
{
    fixture *f = *state;
    run_result r;

    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"object\":\"fine_tuning.job\",\"id\":\"ftjob-bad\",\"status\":\"failed\","
                            "\"model\":\"gpt-4o-mini\",\"fine_tuned_model\":null,"
                            "\"error\":{\"code\":\"invalid_training_file\",\"message\":"
                            "\"The training file has too few examples.\",\"param\":\"training_file\"}}");
    mock_server_push_simple(f->ms, 200, NULL,
                            "{\"object\":\"list\",\"has_more\":false,\"data\":["
                            "{\"object\":\"fine_tuning.job.event\",\"id\":\"ev2\",\"created_at\":1700000100,"
                            "\"level\":\"error\",\"message\":\"Training failed\\nbadly\"},"
                            "{\"object\":\"fine_tuning.job.event\",\"id\":\"ev1\",\"created_at\":1700000000,"
                            "\"level\":\"info\",\"message\":\"Created fine-tuning job\"}]}");
    run_cli(&r, f, "fine-tune", "events", "ftjob-bad", "--follow", "--interval", "10", NULL);
    assert_exit(r, 7);
    assert_string_equal(r.out,
                        "2023-11-14T22:13:20Z info Created fine-tuning job\n"
                        "2023-11-14T22:15:00Z error Training failed badly\n"
                        "status:              failed\n"
                        "fine_tuned_model:    -\n");
    assert_contains(r.err, "ftjob-bad failed: The training file has too few examples.");
    run_result_free(&r);

    /* An unknown job: the API's 404 message, exit 4. */
    run_cli(&r, f, "fine-tune", "events", "ftjob-nope", "--follow", "--interval", "10", NULL);
    assert_exit(r, 4);
    assert_contains(r.err, "No such fine-tuning job: 'ftjob-nope'");
    run_result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* oai batch */

static const char batch_input[] =
    "{\"custom_id\":\"q1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
    "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}}\n"
    "{\"custom_id\":\"q2\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
    "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"bye\"}]}}\n";

static void test_batch_workflow(void **state)
{
    fixture *f = *state;
    char *file_id = upload(f, "batch.jsonl", batch_input, "batch");
    const char *out_path = path_in(f, "results.jsonl");
    json_t *body, *items[8];
    char *batch, *results;
    run_result r;
    size_t n;

    mock_server_reset(f->ms);
    run_cli(&r, f, "batch", "create", "--input-file", file_id, "--endpoint", "/chat/completions", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, " validating\n");
    batch = first_word(r.out);
    body = request_json(f->ms, 0);
    assert_string_equal(mock_server_request(f->ms, 0)->path, "/v1/batches");
    assert_string_equal(json_str_at(body, "input_file_id"), file_id);
    assert_string_equal(json_str_at(body, "endpoint"), "/v1/chat/completions");
    assert_string_equal(json_str_at(body, "completion_window"), "24h");
    json_decref(body);
    run_result_free(&r);

    /* Not done yet (this look moves the mock batch to in_progress). */
    run_cli(&r, f, "batch", "results", batch, NULL);
    assert_exit(r, 10);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "has no output file");
    assert_contains(r.err, "in_progress");
    run_result_free(&r);

    run_cli(&r, f, "batch", "get", batch, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "status:              completed\n");
    assert_contains(r.out, "requests_completed:  2\n");
    run_result_free(&r);

    run_cli(&r, f, "batch", "results", batch, "-o", out_path, NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, "");
    results = read_file(out_path, NULL);
    n = json_lines(results, items, 8);
    assert_int_equal(n, 2);
    assert_string_equal(json_str_at(items[0], "custom_id"), "q1");
    assert_int_equal(json_integer_value(json_at(items[0], "response/status_code")), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(
                            json_at(items[0], "response/body/choices"), 0), "message"), "content")),
                        "Echo: hello");
    free_json_lines(items, n);
    run_result_free(&r);

    /* To standard output, the same bytes. */
    run_cli(&r, f, "batch", "results", batch, NULL);
    assert_exit(r, 0);
    assert_string_equal(r.out, results);
    run_result_free(&r);
    free(results);

    run_cli(&r, f, "batch", "results", batch, "--errors", NULL);
    assert_exit(r, 10);
    assert_contains(r.err, "has no error file");
    run_result_free(&r);

    run_cli(&r, f, "batch", "list", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "  completed  /v1/chat/completions  2/2\n");
    run_result_free(&r);

    run_cli(&r, f, "batch", "list", "--json", "--limit", "5", NULL);
    assert_exit(r, 0);
    n = json_lines(r.out, items, 8);
    assert_int_equal(n, 1);
    assert_string_equal(json_str_at(items[0], "id"), batch);
    free_json_lines(items, n);
    run_result_free(&r);

    run_cli(&r, f, "batch", "cancel", batch, NULL);
    assert_exit(r, 5);
    assert_contains(r.err, "Cannot cancel a batch that is completed.");
    run_result_free(&r);
    free(batch);

    /* A new batch can be cancelled. */
    run_cli(&r, f, "batch", "create", "-i", file_id, "-e", "/v1/chat/completions", "--json", NULL);
    assert_exit(r, 0);
    body = json_loads(r.out, 0, NULL);
    assert_non_null(body);
    batch = strdup(json_str_at(body, "id"));
    json_decref(body);
    run_result_free(&r);
    run_cli(&r, f, "batch", "cancel", batch, NULL);
    assert_exit(r, 0);
    assert_contains(r.out, " cancelling\n");
    run_result_free(&r);

    run_cli(&r, f, "batch", "get", "batch_nope", NULL);
    assert_exit(r, 4);
    assert_contains(r.err, "No such batch: 'batch_nope'");
    run_result_free(&r);
    free(batch);
    free(file_id);
}

/* ------------------------------------------------------------------------ */
/* Help and usage errors */

static void expect_help(const fixture *f, const char *expected, const char *first, ...)
{
    char *argv[MAX_ARGS + 2];
    size_t argc = 0;
    run_result r;
    va_list more;

    if (!CLI_BUILT)
        skip();
    argv[argc++] = (char *)OAI_CLI_PATH;
    va_start(more, first);
    for (const char *arg = first; arg; arg = va_arg(more, const char *))
        argv[argc++] = (char *)arg;
    va_end(more);
    argv[argc] = NULL;
    run_program(&r, mock_server_url(f->ms), TEST_KEY, NULL, argv);
    assert_exit(r, 0);
    assert_contains(r.out, expected);
    assert_string_equal(r.err, "");
    run_result_free(&r);
}

static void test_help_at_every_level(void **state)
{
    fixture *f = *state;

    expect_help(f, "fine-tune", "--help", NULL);
    expect_help(f, "Usage: oai files COMMAND", "files", "--help", NULL);
    expect_help(f, "oai files upload PATH --purpose", "files", "-h", NULL);
    expect_help(f, "Usage: oai files upload PATH", "files", "upload", "--help", NULL);
    expect_help(f, "--part-size BYTES", "files", "upload", "-h", NULL);
    expect_help(f, "Usage: oai files download ID", "files", "download", "--help", NULL);
    expect_help(f, "Usage: oai fine-tune COMMAND", "help", "fine-tune", NULL);
    expect_help(f, "--learning-rate-multiplier", "fine-tune", "create", "--help", NULL);
    expect_help(f, "--follow", "fine-tune", "events", "-h", NULL);
    expect_help(f, "Usage: oai fine-tune pause ID", "fine-tune", "pause", "--help", NULL);
    expect_help(f, "Usage: oai batch results ID", "batch", "results", "--help", NULL);
    expect_help(f, "Usage: oai batch COMMAND", "batch", "--help", NULL);
    expect_help(f, "--context-limit", "data", "validate", "--help", NULL);
    expect_help(f, "Usage: oai data COMMAND", "help", "data", NULL);
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

static void expect_usage_error(const fixture *f, const char *first, ...)
{
    char *argv[MAX_ARGS + 2];
    size_t argc = 0;
    run_result r;
    va_list more;

    if (!CLI_BUILT)
        skip();
    argv[argc++] = (char *)OAI_CLI_PATH;
    va_start(more, first);
    for (const char *arg = first; arg; arg = va_arg(more, const char *))
        argv[argc++] = (char *)arg;
    va_end(more);
    argv[argc] = NULL;
    run_program(&r, mock_server_url(f->ms), TEST_KEY, NULL, argv);
    if (r.exit_code != 2)
        fail_msg("exit %d for a usage error (%s %s ...); stderr:\n%s", r.exit_code, first,
                 argv[2] ? argv[2] : "", r.err);
    assert_contains(r.err, "Usage: oai");
    assert_string_equal(r.out, "");
    run_result_free(&r);
}

static void test_usage_errors(void **state)
{
    fixture *f = *state;

    expect_usage_error(f, "files", NULL);
    expect_usage_error(f, "files", "upload", NULL);
    expect_usage_error(f, "files", "upload", "x.jsonl", NULL);             /* no purpose */
    expect_usage_error(f, "files", "upload", "x.jsonl", "-p", "batch", "--part-size", "0", NULL);
    expect_usage_error(f, "files", "upload", "x.jsonl", "-p", "batch", "--part-size",
                       "100000000", NULL);
    expect_usage_error(f, "files", "list", "--order", "sideways", NULL);
    expect_usage_error(f, "files", "list", "--limit", "0", NULL);
    expect_usage_error(f, "files", "list", "--limit", "ten", NULL);
    expect_usage_error(f, "files", "list", "extra", NULL);
    expect_usage_error(f, "files", "get", NULL);
    expect_usage_error(f, "files", "get", "a", "b", NULL);
    expect_usage_error(f, "files", "delete", "--frob", "a", NULL);
    expect_usage_error(f, "files", "download", "a", "-o", NULL);
    expect_usage_error(f, "fine-tune", NULL);
    expect_usage_error(f, "fine-tune", "create", "-t", "file-1", NULL);    /* no model */
    expect_usage_error(f, "fine-tune", "create", "-m", "m", NULL);         /* no file */
    expect_usage_error(f, "fine-tune", "create", "-m", "m", "-t", "f", "--epochs", "0", NULL);
    expect_usage_error(f, "fine-tune", "create", "-m", "m", "-t", "f", "--epochs", "many", NULL);
    expect_usage_error(f, "fine-tune", "create", "-m", "m", "-t", "f", "--learning-rate-multiplier",
                       "-1", NULL);
    expect_usage_error(f, "fine-tune", "create", "-m", "m", "-t", "f", "--method", "magic", NULL);
    expect_usage_error(f, "fine-tune", "create", "-m", "m", "-t", "f", "--beta", "0.1", NULL);
    expect_usage_error(f, "fine-tune", "create", "-m", "m", "-t", "f", "--seed", "-3", NULL);
    expect_usage_error(f, "fine-tune", "events", NULL);
    expect_usage_error(f, "fine-tune", "events", "j", "--follow", "--limit", "3", NULL);
    expect_usage_error(f, "fine-tune", "events", "j", "--follow", "--interval", "5", NULL);
    expect_usage_error(f, "fine-tune", "checkpoints", NULL);
    expect_usage_error(f, "fine-tune", "cancel", NULL);
    expect_usage_error(f, "batch", "create", "--input-file", "file-1", NULL);
    expect_usage_error(f, "batch", "create", "--endpoint", "/v1/chat/completions", NULL);
    expect_usage_error(f, "batch", "create", "-i", "f", "-e", "chat/completions", NULL);
    expect_usage_error(f, "batch", "results", NULL);
    expect_usage_error(f, "data", NULL);
    expect_usage_error(f, "data", "validate", NULL);
    expect_usage_error(f, "data", "validate", "a", "b", NULL);
    expect_usage_error(f, "data", "validate", "a", "--format", "yaml", NULL);
    expect_usage_error(f, "data", "validate", "a", "--context-limit", "-1", NULL);
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

/* An unknown sub-command: one line, a suggestion when one is close, and
 * where to look; exit 2. */
static void expect_unknown(const fixture *f, const char *group, const char *name,
                           const char *expected_err)
{
    run_result r;

    run_cli(&r, f, group, name, NULL);
    assert_exit(r, 2);
    assert_string_equal(r.err, expected_err);
    assert_string_equal(r.out, "");
    run_result_free(&r);
}

static void test_unknown_subcommands(void **state)
{
    fixture *f = *state;

    expect_unknown(f, "files", "frobnicate",
                   "oai files: unknown command 'frobnicate'\n"
                   "Run 'oai files --help' for the list of commands.\n");
    expect_unknown(f, "files", "dowload",
                   "oai files: unknown command 'dowload'\n"
                   "Did you mean 'download'?\n"
                   "Run 'oai files --help' for the list of commands.\n");
    expect_unknown(f, "fine-tune", "evnts",
                   "oai fine-tune: unknown command 'evnts'\n"
                   "Did you mean 'events'?\n"
                   "Run 'oai fine-tune --help' for the list of commands.\n");
    expect_unknown(f, "batch", "frob",
                   "oai batch: unknown command 'frob'\n"
                   "Run 'oai batch --help' for the list of commands.\n");
    expect_unknown(f, "data", "validat",
                   "oai data: unknown command 'validat'\n"
                   "Did you mean 'validate'?\n"
                   "Run 'oai data --help' for the list of commands.\n");
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

/* ------------------------------------------------------------------------ */
/* The progress bar, on a terminal */

/* Runs `oai ARGS` with stderr on a pseudo-terminal; returns what the
 * terminal showed (free()), and the child's stdout in *out. */
static char *run_on_terminal(const fixture *f, char *const args[], int *exit_code, char **out)
{
    char *env[512], vars[2][160];
    size_t len = 0, cap = 65536;
    posix_spawn_file_actions_t actions;
    FILE *stdout_file = tmpfile();
    char *shown = malloc(cap);
    int master, status = 0;
    pid_t pid;

    assert_non_null(stdout_file);
    assert_non_null(shown);
    master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    cli_environment(f, env, 512, vars);

    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fileno(stdout_file), 1);
    posix_spawn_file_actions_addopen(&actions, 2, ptsname(master), O_RDWR | O_NOCTTY, 0);
    assert_int_equal(posix_spawn(&pid, args[0], &actions, NULL, args, env), 0);
    posix_spawn_file_actions_destroy(&actions);

    /* Read the terminal while the child runs, so it never blocks on it. */
    for (int waited_ms = 0;; waited_ms += 10) {
        struct pollfd pfd = { master, POLLIN, 0 };
        pid_t done;

        while (poll(&pfd, 1, 10) > 0 && (pfd.revents & POLLIN)) {
            ssize_t got = read(master, shown + len, cap - len - 1);
            if (got <= 0)
                break;
            len += (size_t)got;
        }
        done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (waited_ms > 60000) {
            kill(pid, SIGKILL);
            fail_msg("the child did not finish within a minute");
        }
    }
    for (;;) { /* what is left after it exited */
        struct pollfd pfd = { master, POLLIN, 0 };
        ssize_t got;
        if (poll(&pfd, 1, 50) <= 0 || !(pfd.revents & POLLIN))
            break;
        got = read(master, shown + len, cap - len - 1);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    shown[len] = '\0';
    close(master);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    {
        long size;
        assert_int_equal(fseek(stdout_file, 0, SEEK_END), 0);
        size = ftell(stdout_file);
        rewind(stdout_file);
        *out = malloc((size_t)size + 1);
        assert_non_null(*out);
        assert_int_equal(fread(*out, 1, (size_t)size, stdout_file), (size_t)size);
        (*out)[size] = '\0';
    }
    fclose(stdout_file);
    return shown;
}

/* Whether this system offers pseudo-terminals (a minimal container may not). */
static int have_terminals(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);

    if (master < 0)
        return 0;
    close(master);
    return 1;
}

/* The bar shows the time left while it runs ("ETA 0:04", or "ETA --:--"
 * before the rate is known), and ends with the size, the average rate and
 * the time taken: "] 100% 3.0/3.0 MB  41.5 MB/s  in 0:00". */
static void assert_bar_with_rate(const char *shown)
{
    static const char done[] = "] 100% 3.0/3.0 MB  ";
    const char *last = NULL;
    double rate = 0;
    char unit[2];
    int minutes, seconds;

    assert_contains(shown, "  ETA ");
    for (const char *at = strstr(shown, done); at; at = strstr(at + 1, done))
        last = at;
    if (!last || sscanf(last + strlen(done), "%lf %1[kMG]B/s  in %d:%d", &rate, unit, &minutes,
                        &seconds) != 4)
        fail_msg("no final bar with a rate and a time in:\n%s", shown);
    assert_true(rate > 0);
}

static void test_progress_bar_on_terminal(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "big.bin");
    const char *copy = path_in(f, "copy.bin");
    size_t size = 3 * 1000 * 1000;
    char *data = malloc(size), *shown, *out, *id;
    char *upload_args[] = { (char *)OAI_CLI_PATH, "files", "upload", (char *)path, "-p", "batch", NULL };
    char *download_args[] = { (char *)OAI_CLI_PATH, "files", "download", NULL, "-o", (char *)copy, NULL };
    int code;

    if (!CLI_BUILT || !have_terminals()) {
        free(data);
        skip();
    }
    assert_non_null(data);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)('a' + i % 26);
    write_file(path, data, size);

    shown = run_on_terminal(f, upload_args, &code, &out);
    if (code != 0)
        fail_msg("exit %d; terminal:\n%s", code, shown);
    assert_contains(shown, "\r[");
    assert_bar_with_rate(shown);
    assert_contains(shown, "\n");     /* the bar's line is ended */
    assert_not_contains(shown, "file-"); /* the id went to stdout */
    id = first_word(out);
    free(shown);
    free(out);

    download_args[3] = id;
    shown = run_on_terminal(f, download_args, &code, &out);
    if (code != 0)
        fail_msg("exit %d; terminal:\n%s", code, shown);
    assert_bar_with_rate(shown);
    assert_string_equal(out, "");
    free(shown);
    free(out);
    free(id);
    free(data);
}

/* ------------------------------------------------------------------------ */
/* examples/fine_tune.c */

/* Runs the example with the given arguments (NULL-terminated). */
static void run_example(run_result *r, const fixture *f, const char *first, ...)
{
    char *argv[8];
    size_t argc = 0;
    va_list more;

    if (!EXAMPLE_BUILT)
        skip();
    argv[argc++] = (char *)OAI_EXAMPLE_FINE_TUNE_PATH;
    va_start(more, first);
    for (const char *arg = first; arg; arg = va_arg(more, const char *)) {
        assert_true(argc < 7);
        argv[argc++] = (char *)arg;
    }
    va_end(more);
    argv[argc] = NULL;
    run_program(r, mock_server_url(f->ms), TEST_KEY, NULL, argv);
}

static void test_example_fine_tune_end_to_end(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "capitals.jsonl");
    oai_training_report *report = NULL;
    mock_server *ms = f->ms;
    size_t last, job_index;
    json_t *body;
    run_result r;

    /* The file does not exist: the example writes its sample data there. */
    run_example(&r, f, path, "base-model-x", "20", NULL);
    assert_exit(r, 0);
    assert_string_equal(r.err, "");
    assert_contains(r.out, "12 examples");
    assert_contains(r.out, "uploaded ");
    assert_contains(r.out, "  [info] Created fine-tuning job: ");
    assert_int_equal(count_of(r.out, "Fine-tuning job started"), 1);
    assert_contains(r.out, "job succeeded: ft:base-model-x:mock::");
    assert_contains(r.out, "Q: What is the capital of Portugal?\n"
                           "A: Echo: What is the capital of Portugal?\n");
    report = oai_training_report_new(path, OAI_TRAINING_CHAT, 0);
    assert_int_equal(oai_training_report_status(report), OAI_OK);
    assert_int_equal(oai_training_report_example_count(report), 12);
    oai_training_report_free(report);

    /* What the server saw: the upload, the job, the chat with the new model. */
    assert_contains(mock_server_request(ms, find_request(ms, "POST", "/v1/files"))->body, "fine-tune");
    job_index = find_request(ms, "POST", "/v1/fine_tuning/jobs");
    body = request_json(ms, job_index);
    assert_string_equal(json_str_at(body, "model"), "base-model-x");
    assert_string_equal(json_str_at(body, "training_file"), "file-mock1");
    assert_string_equal(json_str_at(body, "method/type"), "supervised");
    assert_int_equal(json_integer_value(json_at(body, "method/supervised/hyperparameters/n_epochs")), 3);
    json_decref(body);
    last = mock_server_request_count(ms) - 1;
    assert_string_equal(mock_server_request(ms, last)->path, "/v1/chat/completions");
    body = request_json(ms, last);
    assert_string_equal(json_str_at(body, "model"), "ft:base-model-x:mock::mock2");
    json_decref(body);
    run_result_free(&r);
}

static void test_example_fine_tune_stops_on_invalid_data(void **state)
{
    fixture *f = *state;
    const char *path = path_in(f, "bad.jsonl");
    char expected[600];
    run_result r;

    write_file(path, bad_training_data, strlen(bad_training_data));
    run_example(&r, f, path, NULL);
    assert_exit(r, 1);
    snprintf(expected, sizeof expected, "%s:2: invalid_json: ", path);
    assert_contains(r.err, expected);
    assert_not_contains(r.out, "uploaded");
    assert_int_equal(mock_server_request_count(f->ms), 0);
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_data_validate_valid_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_validate_invalid_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_validate_unreadable_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_upload_list_get_download_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_list_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_upload_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_unwritable_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_failure_keeps_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_write_failure_keeps_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_download_to_stdout_streams, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_upload_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fine_tune_create_with_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fine_tune_follow_to_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fine_tune_follow_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fine_tune_pause_resume_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fine_tune_follow_failed_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_workflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_at_every_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_subcommands, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_bar_on_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_fine_tune_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_example_fine_tune_stops_on_invalid_data, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
