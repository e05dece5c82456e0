/* Unit tests of the streaming multipart/form-data encoder
 * (src/http/multipart.c): the exact bytes, the announced length, reads of
 * every size, file ranges, files that are missing, shrink, grow or vanish,
 * rewinds, escaping, the empty form, a 64 MiB file read with no allocation
 * at all, allocation failures in preparation, and a round trip through the
 * mock server's own multipart parser.
 *
 * Allocations are counted (and made to fail) by a small malloc interposer
 * defined below, as in test_alloc_failure.c. Valgrind and the sanitizers
 * replace it, so the checks that need it then skip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/multipart.h"
#include "mock_multipart.h"
#include "util/util.h"

/* ------------------------------------------------------------------------ */
/* The interposer: counts the allocations made while armed, fails the
 * fail_at-th one, and keeps the blocks allocated while armed, so that what
 * is left after clean-up is a leak. Single-threaded, like this suite. */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MT_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                    \
    __has_feature(memory_sanitizer)
#define MT_DISABLED 1
#endif
#endif
#ifndef MT_DISABLED
#define MT_DISABLED 0
#endif

#define MT_SLOTS 1024

static int mt_armed;
static long mt_count;    /* allocations while armed */
static long mt_fail_at;  /* 0: none fails */
static int mt_failed;    /* the fail_at-th allocation happened and failed */
static size_t mt_nlive;  /* blocks in mt_live */

static void mt_arm(long fail_at)
{
    mt_count = 0;
    mt_fail_at = fail_at;
    mt_failed = 0;
    mt_armed = 1;
}

static void mt_disarm(void)
{
    mt_armed = 0;
}

#if !MT_DISABLED
static void *mt_live[MT_SLOTS];

static int mt_should_fail(void)
{
    if (!mt_armed || ++mt_count != mt_fail_at)
        return 0;
    mt_failed = 1;
    errno = ENOMEM;
    return 1;
}

static void mt_add(void *p)
{
    if (p && mt_nlive < MT_SLOTS)
        mt_live[mt_nlive++] = p;
}

static int mt_remove(void *p)
{
    for (size_t i = 0; i < mt_nlive; i++) {
        if (mt_live[i] == p) {
            mt_live[i] = mt_live[--mt_nlive];
            return 1;
        }
    }
    return 0;
}

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

void *malloc(size_t size)
{
    void *p;
    if (mt_should_fail())
        return NULL;
    p = __libc_malloc(size);
    if (mt_armed)
        mt_add(p);
    return p;
}

void *calloc(size_t count, size_t size)
{
    void *p;
    if (mt_should_fail())
        return NULL;
    p = __libc_calloc(count, size);
    if (mt_armed)
        mt_add(p);
    return p;
}

void *realloc(void *ptr, size_t size)
{
    int tracked;
    void *p;
    if (mt_should_fail())
        return NULL; /* ptr lives on, still tracked */
    tracked = ptr && mt_remove(ptr);
    p = __libc_realloc(ptr, size);
    if (!p && tracked)
        mt_add(ptr);
    else if (p && (tracked || mt_armed))
        mt_add(p);
    return p;
}

void free(void *ptr)
{
    if (!ptr)
        return;
    mt_remove(ptr);
    __libc_free(ptr);
}
#endif

/* Whether the allocations above are the ones in use: valgrind replaces the
 * executable's malloc too. */
static int interposer_active(void)
{
    char *p;
    mt_arm(0);
    p = oai__strdup("probe"); /* through the library, not a direct call */
    mt_disarm();
    free(p);
    return mt_count > 0;
}

/* ------------------------------------------------------------------------ */
/* Fixtures: a temporary directory for the files of FILE parts. */

static char tmp_dir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/oai-multipart-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    char path[512];
    (void)state;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
    return rmdir(tmp_dir);
}

/* tmp_dir/name, in a static buffer (one at a time is enough). */
static const char *tmp_path(const char *name)
{
    static char path[2][512];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmp_dir, name);
    return path[which];
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void append_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fputs(data, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Descriptors open in this process. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Helpers */

typedef struct bytes {
    char *data;
    size_t len;
} bytes;

static void bytes_add(bytes *b, const void *p, size_t n)
{
    char *d = realloc(b->data, b->len + n + 1);
    assert_non_null(d);
    b->data = d;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/* The boundary, read back from the Content-Type. */
static const char *boundary_of(const oai__multipart *m)
{
    static const char prefix[] = "multipart/form-data; boundary=";
    const char *ct = oai__multipart_content_type(m);
    assert_memory_equal(ct, prefix, sizeof prefix - 1);
    return ct + sizeof prefix - 1;
}

/* The template t[0, n) with every "{B}" replaced by the boundary. */
static bytes expand(const char *t, size_t n, const char *boundary)
{
    bytes b = {0};
    size_t i = 0;
    while (i < n) {
        if (i + 3 <= n && memcmp(t + i, "{B}", 3) == 0) {
            bytes_add(&b, boundary, strlen(boundary));
            i += 3;
        } else {
            bytes_add(&b, t + i, 1);
            i++;
        }
    }
    return b;
}
#define EXPAND(lit, boundary) expand(lit, sizeof lit - 1, boundary)

/* Reads the whole encoding with reads of `cap` bytes; every read must give
 * between 1 and cap bytes until the end, and nothing after it. */
static bytes read_all(oai__multipart *m, size_t cap)
{
    bytes out = {0};
    char *buf = malloc(cap);
    int64_t n;
    assert_non_null(buf);
    while ((n = oai__multipart_read(m, buf, cap)) > 0) {
        assert_true((size_t)n <= cap);
        bytes_add(&out, buf, (size_t)n);
    }
    assert_int_equal(n, 0);
    assert_int_equal(oai__multipart_read(m, buf, cap), 0);
    free(buf);
    if (!out.data)
        bytes_add(&out, "", 0);
    return out;
}

/* Reads until a read fails; returns that (negative) status. */
static int64_t read_until_error(oai__multipart *m, size_t cap)
{
    char buf[4096];
    int64_t n;
    assert_true(cap <= sizeof buf);
    while ((n = oai__multipart_read(m, buf, cap)) > 0)
        ;
    return n;
}

static void assert_bytes_equal(const bytes *got, const bytes *want)
{
    if (got->len != want->len || memcmp(got->data, want->data, want->len) != 0) {
        print_error("got %zu bytes:\n%.*s\nwanted %zu bytes:\n%.*s\n", got->len, (int)got->len,
                    got->data, want->len, (int)want->len, want->data);
        fail();
    }
}

static oai__multipart *new_ok(const oai__http_part *parts, size_t count)
{
    oai__multipart *m = NULL;
    char why[256];
    oai_status st = oai__multipart_new(parts, count, &m, why, sizeof why);
    if (st != OAI_OK)
        print_error("oai__multipart_new: %s: %s\n", oai_status_name(st), why);
    assert_int_equal(st, OAI_OK);
    assert_string_equal(why, "");
    assert_non_null(m);
    return m;
}

static oai__http_part field(const char *name, const char *value)
{
    oai__http_part p;
    memset(&p, 0, sizeof p);
    p.kind = OAI_PART_FIELD;
    p.name = name;
    p.value = value;
    return p;
}

static oai__http_part data_part(const char *name, const void *data, size_t len,
                                const char *filename, const char *mime_type)
{
    oai__http_part p;
    memset(&p, 0, sizeof p);
    p.kind = OAI_PART_DATA;
    p.name = name;
    p.data = data;
    p.len = len;
    p.filename = filename;
    p.mime_type = mime_type;
    return p;
}

static oai__http_part file_part(const char *name, const char *path, int64_t offset,
                                int64_t length, const char *filename, const char *mime_type)
{
    oai__http_part p;
    memset(&p, 0, sizeof p);
    p.kind = OAI_PART_FILE;
    p.name = name;
    p.path = path;
    p.offset = offset;
    p.length = length;
    p.filename = filename;
    p.mime_type = mime_type;
    return p;
}

/* Encodes parts, checks the announced length, and compares the bytes with
 * the template. */
static void check_encoding(const oai__http_part *parts, size_t count, const char *t, size_t n)
{
    oai__multipart *m = new_ok(parts, count);
    bytes want = expand(t, n, boundary_of(m));
    bytes got = read_all(m, 4096);
    assert_bytes_equal(&got, &want);
    assert_int_equal(oai__multipart_length(m), (int64_t)got.len);
    free(want.data);
    free(got.data);
    oai__multipart_free(m);
}
#define CHECK_ENCODING(parts, count, lit) check_encoding(parts, count, lit, sizeof lit - 1)

/* A mix of every kind, used by several tests. */
static size_t mixed_parts(oai__http_part *parts)
{
    static const char blob[] = {'a', '\0', 'b'};
    const char *path = write_file("train.jsonl", "{\"a\":1}\n", 8);
    parts[0] = field("purpose", "fine-tune");
    parts[1] = data_part("blob", blob, sizeof blob, "x.bin", NULL);
    parts[2] = file_part("file", path, 0, -1, "train.jsonl", "application/jsonl");
    parts[3] = data_part("note", "hi", 2, NULL, "text/plain");
    return 4;
}

static const char mixed_expected[] =
    "--{B}\r\n"
    "Content-Disposition: form-data; name=\"purpose\"\r\n"
    "\r\n"
    "fine-tune\r\n"
    "--{B}\r\n"
    "Content-Disposition: form-data; name=\"blob\"; filename=\"x.bin\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "a\0b\r\n"
    "--{B}\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"train.jsonl\"\r\n"
    "Content-Type: application/jsonl\r\n"
    "\r\n"
    "{\"a\":1}\n\r\n"
    "--{B}\r\n"
    "Content-Disposition: form-data; name=\"note\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hi\r\n"
    "--{B}--\r\n";

/* ------------------------------------------------------------------------ */
/* The bytes */

static void test_exact_encoding(void **state)
{
    oai__http_part parts[4];
    size_t n = mixed_parts(parts);
    (void)state;
    CHECK_ENCODING(parts, n, mixed_expected);
}

static void test_boundary_shape(void **state)
{
    oai__http_part p = field("a", "b");
    oai__multipart *m1 = new_ok(&p, 1), *m2 = new_ok(&p, 1);
    const char *b1 = boundary_of(m1), *b2 = boundary_of(m2);
    (void)state;
    /* 24 dashes, "oai", 24 lowercase hex digits: curl's shape, under the
     * 70 characters RFC 2046 allows, and needing no quotes. */
    assert_int_equal(strlen(b1), 51);
    assert_memory_equal(b1, "------------------------oai", 27);
    assert_int_equal(strspn(b1 + 27, "0123456789abcdef"), 24);
    assert_string_not_equal(b1, b2); /* random, not a counter or a constant */
    oai__multipart_free(m1);
    oai__multipart_free(m2);
}

static void test_length_matches_bytes(void **state)
{
    oai__http_part parts[4];
    size_t n = mixed_parts(parts);
    oai__multipart *m = new_ok(parts, n);
    bytes got = read_all(m, 4096);
    (void)state;
    assert_int_equal(oai__multipart_length(m), (int64_t)got.len);
    free(got.data);
    oai__multipart_free(m);
}

static void test_every_buffer_size(void **state)
{
    oai__http_part parts[4];
    size_t n = mixed_parts(parts);
    oai__multipart *m = new_ok(parts, n);
    bytes want = read_all(m, 4096);
    (void)state;
    for (size_t cap = 1; cap <= 64; cap++) {
        assert_int_equal(oai__multipart_rewind(m), OAI_OK);
        bytes got = read_all(m, cap);
        assert_bytes_equal(&got, &want);
        free(got.data);
    }
    free(want.data);
    oai__multipart_free(m);
}

static void test_field_without_value_and_empty_data(void **state)
{
    oai__http_part parts[3];
    (void)state;
    parts[0] = field("empty", NULL);
    parts[1] = data_part("nothing", NULL, 0, "e.txt", "text/plain");
    parts[2] = field("utf8", "\xe6\x98\xa5");
    CHECK_ENCODING(parts, 3,
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"empty\"\r\n"
                   "\r\n"
                   "\r\n"
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"nothing\"; filename=\"e.txt\"\r\n"
                   "Content-Type: text/plain\r\n"
                   "\r\n"
                   "\r\n"
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"utf8\"\r\n"
                   "\r\n"
                   "\xe6\x98\xa5\r\n"
                   "--{B}--\r\n");
}

/* Field values go out as given: no newline normalisation (curl did none). */
static void test_values_sent_verbatim(void **state)
{
    oai__http_part p = field("text", "a\nb\r\nc\"d");
    (void)state;
    CHECK_ENCODING(&p, 1,
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"text\"\r\n"
                   "\r\n"
                   "a\nb\r\nc\"d\r\n"
                   "--{B}--\r\n");
}

static void test_escaping(void **state)
{
    oai__http_part parts[2];
    (void)state;
    parts[0] = data_part("a\"b\r\nc%", "x", 1, "f\"\n\r.txt", NULL);
    parts[1] = field("q\"", "v");
    CHECK_ENCODING(parts, 2,
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"a%22b%0D%0Ac%\"; "
                   "filename=\"f%22%0A%0D.txt\"\r\n"
                   "Content-Type: application/octet-stream\r\n"
                   "\r\n"
                   "x\r\n"
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"q%22\"\r\n"
                   "\r\n"
                   "v\r\n"
                   "--{B}--\r\n");
}

/* No parts: only the closing delimiter, as curl sends an empty mime. */
static void test_empty_form(void **state)
{
    oai__multipart *m = new_ok(NULL, 0);
    bytes want = EXPAND("--{B}--\r\n", boundary_of(m));
    bytes got = read_all(m, 5);
    (void)state;
    assert_bytes_equal(&got, &want);
    assert_int_equal(oai__multipart_length(m), 57);
    free(want.data);
    free(got.data);
    oai__multipart_free(m);
}

/* ------------------------------------------------------------------------ */
/* Files */

static void test_file_ranges(void **state)
{
    const char *path = write_file("digits", "0123456789", 10);
    oai__http_part parts[4];
    (void)state;
    parts[0] = file_part("mid", path, 3, 4, NULL, NULL);
    parts[1] = file_part("tail", path, 7, -1, NULL, NULL);
    parts[2] = file_part("end", path, 10, -1, NULL, NULL);
    parts[3] = file_part("none", path, 0, 0, "z", NULL);
    CHECK_ENCODING(parts, 4,
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"mid\"\r\n"
                   "Content-Type: application/octet-stream\r\n"
                   "\r\n"
                   "3456\r\n"
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"tail\"\r\n"
                   "Content-Type: application/octet-stream\r\n"
                   "\r\n"
                   "789\r\n"
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"end\"\r\n"
                   "Content-Type: application/octet-stream\r\n"
                   "\r\n"
                   "\r\n"
                   "--{B}\r\n"
                   "Content-Disposition: form-data; name=\"none\"; filename=\"z\"\r\n"
                   "Content-Type: application/octet-stream\r\n"
                   "\r\n"
                   "\r\n"
                   "--{B}--\r\n");
}

/* _new fails with `status`, *out NULL and a message that contains `part`
 * and `reason`. */
static void expect_new_fails(const oai__http_part *parts, size_t count, oai_status status,
                             const char *part, const char *reason)
{
    oai__multipart *m = (oai__multipart *)&m; /* not NULL: must be cleared */
    char why[256];
    assert_int_equal(oai__multipart_new(parts, count, &m, why, sizeof why), status);
    assert_null(m);
    if (part && !strstr(why, part))
        fail_msg("\"%s\" does not name %s", why, part);
    if (reason && !strstr(why, reason))
        fail_msg("\"%s\" does not say %s", why, reason);
}

static void test_missing_file(void **state)
{
    oai__http_part parts[2];
    (void)state;
    parts[0] = field("purpose", "batch");
    parts[1] = file_part("file", tmp_path("no-such-file"), 0, -1, "x.jsonl", NULL);
    expect_new_fails(parts, 2, OAI_ERR_IO, "part 2 (\"file\")", "No such file");
}

static void test_unreadable_file(void **state)
{
    const char *path = write_file("secret", "s", 1);
    oai__http_part p = file_part("file", path, 0, -1, NULL, NULL);
    (void)state;
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() == 0) { /* root reads it anyway */
        oai__multipart_free(new_ok(&p, 1));
        return;
    }
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"file\")", "cannot open");
}

static void test_directory_is_not_a_file(void **state)
{
    oai__http_part p = file_part("file", tmp_dir, 0, -1, NULL, NULL);
    (void)state;
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"file\")", "not a regular file");
}

/* Opening a FIFO must not wait for a writer. */
static void test_fifo_is_not_a_file(void **state)
{
    const char *path = tmp_path("fifo");
    oai__http_part p = file_part("file", path, 0, -1, NULL, NULL);
    (void)state;
    assert_int_equal(mkfifo(path, 0600), 0);
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"file\")", "not a regular file");
    unlink(path);
}

static void test_file_shorter_than_range(void **state)
{
    const char *path = write_file("ten", "0123456789", 10);
    oai__http_part p;
    (void)state;
    p = file_part("data", path, 5, 6, NULL, NULL);
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"data\")", "shorter");
    p = file_part("data", path, 11, -1, NULL, NULL);
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"data\")", "shorter");
    p = file_part("data", path, 0, 11, NULL, NULL);
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"data\")", "shorter");
    p = file_part("data", path, 5, INT64_MAX, NULL, NULL); /* no overflow */
    expect_new_fails(&p, 1, OAI_ERR_IO, "part 1 (\"data\")", "shorter");
}

/* The message never carries what is in the files. */
static void test_messages_hold_no_contents(void **state)
{
    const char *path = write_file("private", "TOP-SECRET", 10);
    oai__http_part p = file_part("file", path, 0, 20, NULL, NULL);
    char why[256];
    oai__multipart *m;
    (void)state;
    assert_int_equal(oai__multipart_new(&p, 1, &m, why, sizeof why), OAI_ERR_IO);
    assert_null(strstr(why, "TOP-SECRET"));
}

static void test_small_or_missing_why(void **state)
{
    oai__http_part p = file_part("file", tmp_path("absent"), 0, -1, NULL, NULL);
    oai__multipart *m;
    char why[8];
    (void)state;
    memset(why, 'x', sizeof why);
    assert_int_equal(oai__multipart_new(&p, 1, &m, why, sizeof why), OAI_ERR_IO);
    assert_int_equal(strlen(why), sizeof why - 1);
    assert_int_equal(oai__multipart_new(&p, 1, &m, NULL, 0), OAI_ERR_IO);
    assert_null(m);
}

static void test_file_shrinks_before_its_part(void **state)
{
    static const char content[] = "0123456789abcdef";
    const char *path = write_file("shrinks", content, 16);
    oai__http_part parts[2];
    oai__multipart *m;
    char buf[64];
    (void)state;
    parts[0] = field("purpose", "assistants");
    parts[1] = file_part("file", path, 0, -1, NULL, NULL);
    m = new_ok(parts, 2);
    assert_int_equal(truncate(path, 8), 0);
    assert_int_equal(read_until_error(m, 7), -(int64_t)OAI_ERR_IO);
    /* The error sticks, and says which part. */
    assert_int_equal(oai__multipart_read(m, buf, sizeof buf), -(int64_t)OAI_ERR_IO);
    assert_non_null(strstr(oai__multipart_error(m), "part 2 (\"file\")"));
    assert_non_null(strstr(oai__multipart_error(m), "shorter"));
    /* Restored, a rewind sends it whole. */
    write_file("shrinks", content, 16);
    assert_int_equal(oai__multipart_rewind(m), OAI_OK);
    assert_string_equal(oai__multipart_error(m), "");
    bytes got = read_all(m, 64);
    assert_int_equal((int64_t)got.len, oai__multipart_length(m));
    assert_non_null(memmem(got.data, got.len, content, 16));
    free(got.data);
    oai__multipart_free(m);
}

static void test_file_shrinks_while_read(void **state)
{
    static char content[100000];
    const char *path;
    oai__multipart *m;
    oai__http_part p;
    char buf[1000];
    (void)state;
    memset(content, 'x', sizeof content);
    path = write_file("shrinks-mid", content, sizeof content);
    p = file_part("file", path, 0, -1, "big.bin", NULL);
    m = new_ok(&p, 1);
    /* The first read ends inside the body: the file is now open. */
    assert_int_equal(oai__multipart_read(m, buf, sizeof buf), (int64_t)sizeof buf);
    assert_int_equal(truncate(path, 500), 0);
    assert_int_equal(read_until_error(m, sizeof buf), -(int64_t)OAI_ERR_IO);
    assert_non_null(strstr(oai__multipart_error(m), "part 1 (\"file\")"));
    oai__multipart_free(m);
}

static void test_file_deleted(void **state)
{
    const char *path = write_file("deleted", "abc", 3);
    oai__http_part p = file_part("file", path, 0, -1, NULL, NULL);
    oai__multipart *m = new_ok(&p, 1);
    (void)state;
    assert_int_equal(unlink(path), 0);
    assert_int_equal(read_until_error(m, 16), -(int64_t)OAI_ERR_IO);
    assert_non_null(strstr(oai__multipart_error(m), "No such file"));
    oai__multipart_free(m);
}

static void test_file_grows(void **state)
{
    const char *path = write_file("grows", "abc", 3);
    oai__http_part p = file_part("file", path, 0, -1, "g.txt", "text/plain");
    oai__multipart *m = new_ok(&p, 1);
    bytes want = EXPAND("--{B}\r\n"
                        "Content-Disposition: form-data; name=\"file\"; filename=\"g.txt\"\r\n"
                        "Content-Type: text/plain\r\n"
                        "\r\n"
                        "abc\r\n"
                        "--{B}--\r\n",
                        boundary_of(m));
    char buf[512];
    bytes got = {0};
    size_t want_first;
    int64_t n;
    (void)state;
    append_file(path, "more");
    got = read_all(m, 3);
    assert_bytes_equal(&got, &want);
    free(got.data);
    /* Growing while the part is being read changes nothing either. */
    assert_int_equal(oai__multipart_rewind(m), OAI_OK);
    got.data = NULL;
    got.len = 0;
    /* All but the body's last two bytes and what follows it: the file is
     * open when it grows. */
    want_first = (size_t)oai__multipart_length(m) - 2 - 2 - 57;
    n = oai__multipart_read(m, buf, want_first);
    assert_int_equal(n, (int64_t)want_first);
    bytes_add(&got, buf, (size_t)n);
    append_file(path, "and more");
    bytes rest = read_all(m, 7);
    bytes_add(&got, rest.data, rest.len);
    assert_bytes_equal(&got, &want);
    free(rest.data);
    free(got.data);
    free(want.data);
    oai__multipart_free(m);
}

/* A file is open only while its part's bytes are read. */
static void test_one_file_open_at_a_time(void **state)
{
    const char *a = write_file("a", "AAAA", 4);
    oai__http_part parts[2];
    oai__multipart *m;
    int base;
    char buf[256];
    int64_t n;
    (void)state;
    parts[0] = file_part("a", a, 0, -1, NULL, NULL);
    parts[1] = file_part("b", write_file("b", "BBBB", 4), 0, -1, NULL, NULL);
    base = open_fds();
    if (base < 0)
        skip();
    m = new_ok(parts, 2);
    assert_int_equal(open_fds(), base);
    int max_open = 0;
    while ((n = oai__multipart_read(m, buf, 1)) > 0) {
        int now = open_fds() - base;
        if (now > max_open)
            max_open = now;
    }
    assert_int_equal(n, 0);
    assert_int_equal(max_open, 1);
    assert_int_equal(open_fds(), base);
    /* Freed in the middle of a file: closed. */
    assert_int_equal(oai__multipart_rewind(m), OAI_OK);
    do
        n = oai__multipart_read(m, buf, 1);
    while (n > 0 && buf[0] != 'A');
    assert_int_equal(open_fds(), base + 1);
    oai__multipart_free(m);
    assert_int_equal(open_fds(), base);
}

/* ------------------------------------------------------------------------ */
/* Rewind */

static void test_rewind(void **state)
{
    oai__http_part parts[4];
    size_t count = mixed_parts(parts);
    oai__multipart *m = new_ok(parts, count);
    bytes want = read_all(m, 4096), got;
    char buf[32];
    (void)state;
    /* After the end. */
    assert_int_equal(oai__multipart_rewind(m), OAI_OK);
    got = read_all(m, 13);
    assert_bytes_equal(&got, &want);
    free(got.data);
    /* From every point in the middle (inside headers, bodies, the file). */
    for (size_t stop = 1; stop < want.len; stop += 9) {
        size_t done = 0;
        assert_int_equal(oai__multipart_rewind(m), OAI_OK);
        while (done < stop) {
            size_t cap = stop - done < sizeof buf ? stop - done : sizeof buf;
            int64_t n = oai__multipart_read(m, buf, cap);
            assert_true(n > 0);
            done += (size_t)n;
        }
        assert_int_equal(oai__multipart_rewind(m), OAI_OK);
        got = read_all(m, 64);
        assert_bytes_equal(&got, &want);
        free(got.data);
    }
    free(want.data);
    oai__multipart_free(m);
}

/* ------------------------------------------------------------------------ */
/* A large file */

#define LARGE_SIZE ((int64_t)64 * 1024 * 1024)
#define CHUNK ((size_t)64 * 1024)

static void test_large_sparse_file(void **state)
{
    const char *path = write_file("sparse", "", 0);
    static char buf[CHUNK];
    oai__http_part parts[2];
    oai__multipart *m;
    int64_t total = 0, n, nonzero = 0;
    int fd = open(path, O_WRONLY);
    int counted = interposer_active();
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)LARGE_SIZE), 0);
    assert_int_equal(close(fd), 0);
    parts[0] = field("purpose", "batch");
    parts[1] = file_part("file", path, 0, -1, "big.jsonl", "application/jsonl");
    m = new_ok(parts, 2);
    assert_true(oai__multipart_length(m) > LARGE_SIZE);
    /* Memory stays flat: reading allocates nothing at all. */
    if (counted)
        mt_arm(0);
    while ((n = oai__multipart_read(m, buf, sizeof buf)) > 0) {
        assert_true((size_t)n <= sizeof buf);
        for (int64_t i = 0; i < n; i++)
            nonzero += buf[i] != 0;
        total += n;
    }
    if (counted) {
        mt_disarm();
        assert_int_equal(mt_count, 0);
    }
    assert_int_equal(n, 0);
    assert_int_equal(total, oai__multipart_length(m));
    /* Every byte outside the file's range is text; the file is all zeros. */
    assert_int_equal(nonzero, total - LARGE_SIZE);
    oai__multipart_free(m);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* What the mock server's parser makes of it */

static void test_parsed_by_mock_server(void **state)
{
    static const char tricky[] = "line\r\n--not-the-boundary\r\n--\r\n";
    const char *path = write_file("upload.jsonl", "{\"x\":1}\n{\"x\":2}\n", 16);
    oai__http_part parts[5];
    oai__multipart *m;
    mock_form form;
    bytes body;
    (void)state;
    parts[0] = field("purpose", "fine-tune");
    parts[1] = file_part("file", path, 0, -1, "upload.jsonl", "application/jsonl");
    parts[2] = data_part("data", tricky, sizeof tricky - 1, "part.bin", NULL);
    parts[3] = data_part("zeros", "\0\0\0", 3, "z.bin", NULL);
    parts[4] = field("empty", "");
    m = new_ok(parts, 5);
    body = read_all(m, 4096);
    /* Fed in odd slices, so delimiters straddle them. */
    for (size_t slice = 1; slice <= 13; slice += 4) {
        mock_form_tap *tap = mock_form_tap_new(oai__multipart_content_type(m), NULL);
        assert_non_null(tap);
        for (size_t at = 0; at < body.len; at += slice) {
            size_t len = body.len - at < slice ? body.len - at : slice;
            assert_int_equal(mock_form_tap_feed(tap, body.data + at, len), 0);
        }
        mock_form_tap_finish(tap, &form);
        assert_true(form.present);
        assert_true(form.complete);
        assert_int_equal(form.count, 5);
        for (size_t i = 0; i < 5; i++) {
            const mock_form_part *got = &form.parts[i];
            const oai__http_part *p = &parts[i];
            assert_string_equal(got->name, p->name);
            if (p->kind == OAI_PART_FIELD) {
                assert_null(got->filename);
                assert_int_equal(got->size, strlen(p->value));
                assert_memory_equal(got->data, p->value, got->size);
            } else if (p->kind == OAI_PART_DATA) {
                assert_string_equal(got->filename, p->filename);
                assert_int_equal(got->size, p->len);
                assert_memory_equal(got->data, p->data, p->len);
            } else {
                assert_string_equal(got->filename, "upload.jsonl");
                assert_int_equal(got->size, 16);
                assert_memory_equal(got->data, "{\"x\":1}\n{\"x\":2}\n", 16);
            }
        }
        mock_form_clear(&form);
    }
    free(body.data);
    oai__multipart_free(m);
}

/* ------------------------------------------------------------------------ */
/* Arguments and allocation failures */

static void test_invalid_arguments(void **state)
{
    const char *path = write_file("ok", "x", 1);
    oai__http_part p;
    oai__multipart *m;
    char buf[4];
    (void)state;
    p = field("a", "b");
    assert_int_equal(oai__multipart_new(&p, 1, NULL, NULL, 0), OAI_ERR_INVALID_ARGUMENT);
    expect_new_fails(NULL, 1, OAI_ERR_INVALID_ARGUMENT, NULL, NULL);
    p.kind = 0;
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1", "kind");
    p = field(NULL, "b");
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1", "no name");
    p = field("", "b");
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1", "no name");
    p = data_part("d", NULL, 5, NULL, NULL);
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1 (\"d\")", "no data");
    p = data_part("d", "x", 1, NULL, "text/plain\r\nX-Evil: 1");
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1 (\"d\")", "content type");
    p = file_part("f", NULL, 0, -1, NULL, NULL);
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1 (\"f\")", "no path");
    p = file_part("f", path, -1, -1, NULL, NULL);
    expect_new_fails(&p, 1, OAI_ERR_INVALID_ARGUMENT, "part 1 (\"f\")", "offset");

    assert_int_equal(oai__multipart_read(NULL, buf, sizeof buf), -(int64_t)OAI_ERR_INVALID_ARGUMENT);
    assert_string_equal(oai__multipart_content_type(NULL), "");
    assert_int_equal(oai__multipart_length(NULL), -1);
    assert_string_equal(oai__multipart_error(NULL), "");
    assert_int_equal(oai__multipart_rewind(NULL), OAI_ERR_INVALID_ARGUMENT);
    oai__multipart_free(NULL);

    p = field("a", "b");
    m = new_ok(&p, 1);
    assert_int_equal(oai__multipart_read(m, NULL, 4), -(int64_t)OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai__multipart_read(m, NULL, 0), 0); /* nothing asked, nothing read */
    assert_int_equal(oai__multipart_read(m, buf, 0), 0);
    assert_int_equal(oai__multipart_read(m, buf, sizeof buf), 4); /* nothing was lost */
    assert_memory_equal(buf, "--", 2);
    oai__multipart_free(m);
}

/* The total length is checked for overflow before it is announced. */
static void test_length_overflow(void **state)
{
    oai__http_part parts[2];
    (void)state;
    parts[0] = data_part("a", "x", (size_t)INT64_MAX - 10, NULL, NULL);
    parts[1] = data_part("b", "x", (size_t)INT64_MAX - 10, NULL, NULL);
    expect_new_fails(parts, 2, OAI_ERR_INVALID_ARGUMENT, "part 1 (\"a\")", "longer");
}

/* Every allocation of _new failing in turn: OUT_OF_MEMORY, nothing left
 * behind; or success with exactly the undisturbed bytes. */
static void test_allocation_failures(void **state)
{
    oai__http_part parts[4];
    size_t count = mixed_parts(parts);
    oai__multipart *m;
    long total;
    char why[128];
    (void)state;
    if (!interposer_active())
        skip();
    oai__multipart_free(new_ok(parts, count)); /* warm up OpenSSL's RNG */
    mt_arm(0);
    m = new_ok(parts, count);
    mt_disarm();
    total = mt_count;
    assert_true(total > 0);
    oai__multipart_free(m);
    for (long at = 1; at <= total; at++) {
        oai_status st;
        mt_nlive = 0;
        mt_arm(at);
        st = oai__multipart_new(parts, count, &m, why, sizeof why);
        mt_disarm();
        assert_true(mt_failed);
        if (st == OAI_OK) { /* e.g. a failed realloc that was only a reserve */
            bytes want = expand(mixed_expected, sizeof mixed_expected - 1, boundary_of(m));
            bytes got = read_all(m, 100);
            assert_bytes_equal(&got, &want);
            free(want.data);
            free(got.data);
            oai__multipart_free(m);
        } else {
            assert_int_equal(st, OAI_ERR_OUT_OF_MEMORY);
            assert_null(m);
            assert_true(why[0] != '\0');
        }
        if (mt_nlive != 0)
            fail_msg("allocation %ld failing leaks %zu blocks", at, mt_nlive);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_encoding),
        cmocka_unit_test(test_boundary_shape),
        cmocka_unit_test(test_length_matches_bytes),
        cmocka_unit_test(test_every_buffer_size),
        cmocka_unit_test(test_field_without_value_and_empty_data),
        cmocka_unit_test(test_values_sent_verbatim),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_empty_form),
        cmocka_unit_test(test_file_ranges),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_directory_is_not_a_file),
        cmocka_unit_test(test_fifo_is_not_a_file),
        cmocka_unit_test(test_file_shorter_than_range),
        cmocka_unit_test(test_messages_hold_no_contents),
        cmocka_unit_test(test_small_or_missing_why),
        cmocka_unit_test(test_file_shrinks_before_its_part),
        cmocka_unit_test(test_file_shrinks_while_read),
        cmocka_unit_test(test_file_deleted),
        cmocka_unit_test(test_file_grows),
        cmocka_unit_test(test_one_file_open_at_a_time),
        cmocka_unit_test(test_rewind),
        cmocka_unit_test(test_large_sparse_file),
        cmocka_unit_test(test_parsed_by_mock_server),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_length_overflow),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
