/* The streaming multipart/form-data splitter: see mock_multipart.h.
 *
 * The body is scanned for the delimiter "\r\n--BOUNDARY" (a virtual CRLF
 * is fed first, so that the first delimiter, which has none, matches too).
 * Unprocessed bytes wait in `buf`, which never holds more than one slice of
 * input plus a delimiter's length (or one part's headers), so the splitter
 * uses the same memory whatever the body's size.
 */
#include "mock_multipart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Input is processed in slices of at most this many bytes. */
#define TAP_SLICE ((size_t)64 * 1024)
/* A part's header block larger than this makes the body malformed. */
#define TAP_MAX_HEADERS ((size_t)16 * 1024)
#define TAP_MAX_BOUNDARY 200

typedef enum tap_state {
    TAP_PREAMBLE,       /* before the first delimiter */
    TAP_AFTER_DELIM,    /* "--" ends the body, CRLF starts a part */
    TAP_HEADERS,        /* a part's header lines, up to the blank line */
    TAP_DATA,           /* a part's bytes, up to the next delimiter */
    TAP_EPILOGUE,       /* after the closing delimiter: ignored */
    TAP_BROKEN          /* malformed: the rest is ignored */
} tap_state;

struct mock_form_tap {
    char delim[TAP_MAX_BOUNDARY + 5];   /* "\r\n--" BOUNDARY */
    size_t delim_len;
    char *spool_prefix;                 /* NULL: keep parts in memory */
    tap_state state;
    char *buf;
    size_t len, cap;
    mock_form form;
    mock_form_part *part;               /* the part being received */
    size_t part_cap;                    /* bytes allocated for part->data */
    int fd;                             /* its spool file, or -1 */
    int failed;                         /* out of memory or a write failed */
};

/* ---- parts ------------------------------------------------------------ */

static void part_clear(mock_form_part *p)
{
    if (p->spool_path)
        unlink(p->spool_path);
    free(p->name);
    free(p->filename);
    free(p->data);
    free(p->spool_path);
    memset(p, 0, sizeof *p);
}

void mock_form_clear(mock_form *form)
{
    if (!form)
        return;
    for (size_t i = 0; i < form->count; i++)
        part_clear(&form->parts[i]);
    free(form->parts);
    memset(form, 0, sizeof *form);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

int mock_form_copy(mock_form *dst, const mock_form *src)
{
    memset(dst, 0, sizeof *dst);
    dst->present = src->present;
    dst->complete = src->complete;
    if (src->count == 0)
        return 0;
    dst->parts = calloc(src->count, sizeof *dst->parts);
    if (!dst->parts)
        return -1;
    dst->count = src->count;
    for (size_t i = 0; i < src->count; i++) {
        const mock_form_part *s = &src->parts[i];
        mock_form_part *d = &dst->parts[i];
        d->size = s->size;
        d->name = strdup(s->name);
        d->filename = s->filename ? strdup(s->filename) : NULL;
        d->data = s->data ? dup_bytes(s->data, s->size) : NULL;
        if (!d->name || (s->filename && !d->filename) || (s->data && !d->data)) {
            mock_form_clear(dst);
            return -1;
        }
    }
    return 0;
}

const mock_form_part *mock_form_get(const mock_form *form, const char *name)
{
    for (size_t i = 0; form && i < form->count; i++)
        if (strcmp(form->parts[i].name, name) == 0)
            return &form->parts[i];
    return NULL;
}

/* ---- part headers ----------------------------------------------------- */

/* The value of `key="..."` in a Content-Disposition line (malloc'd), or
 * NULL when absent. */
static char *disposition_value(const char *line, size_t len, const char *key)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i + key_len + 2 <= len; i++) {
        if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == ';') &&
            strncmp(line + i, key, key_len) == 0 && line[i + key_len] == '=' &&
            line[i + key_len + 1] == '"') {
            const char *v = line + i + key_len + 2;
            const char *end = memchr(v, '"', len - (size_t)(v - line));
            return end ? dup_bytes(v, (size_t)(end - v)) : NULL;
        }
    }
    return NULL;
}

/* Reads name and filename from the header block h[0, len). */
static void parse_part_headers(mock_form_part *part, const char *h, size_t len)
{
    while (len > 0) {
        const char *eol = memmem(h, len, "\r\n", 2);
        size_t line_len = eol ? (size_t)(eol - h) : len;
        if (line_len > 20 && strncasecmp(h, "Content-Disposition:", 20) == 0) {
            free(part->name);
            free(part->filename);
            part->name = disposition_value(h, line_len, "name");
            part->filename = disposition_value(h, line_len, "filename");
        }
        if (!eol)
            break;
        len -= line_len + 2;
        h = eol + 2;
    }
}

/* ---- the splitter ------------------------------------------------------ */

/* The boundary parameter of a multipart/form-data Content-Type. */
static int form_boundary(const char *content_type, char *out, size_t size)
{
    const char *b = content_type ? strstr(content_type, "boundary=") : NULL;
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0 || !b)
        return -1;
    b += 9;
    int quoted = *b == '"';
    b += quoted;
    size_t n = strcspn(b, quoted ? "\"" : "; \t");
    if (n == 0 || n + 1 > size)
        return -1;
    memcpy(out, b, n);
    out[n] = '\0';
    return 0;
}

mock_form_tap *mock_form_tap_new(const char *content_type, const char *spool_prefix)
{
    char boundary[TAP_MAX_BOUNDARY + 1];
    if (form_boundary(content_type, boundary, sizeof boundary) != 0)
        return NULL;
    mock_form_tap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->delim_len = (size_t)snprintf(t->delim, sizeof t->delim, "\r\n--%s", boundary);
    t->fd = -1;
    t->cap = TAP_SLICE + TAP_MAX_HEADERS + sizeof t->delim;
    t->buf = malloc(t->cap);
    t->spool_prefix = spool_prefix ? strdup(spool_prefix) : NULL;
    t->form.present = 1;
    if (!t->buf || (spool_prefix && !t->spool_prefix)) {
        mock_form_tap_free(t);
        return NULL;
    }
    memcpy(t->buf, "\r\n", 2);   /* lets the first delimiter match */
    t->len = 2;
    return t;
}

static void consume(mock_form_tap *t, size_t n)
{
    memmove(t->buf, t->buf + n, t->len - n);
    t->len -= n;
}

/* Moves the part's in-memory bytes to a new spool file. */
static int spill_to_file(mock_form_tap *t, mock_form_part *p)
{
    char *path = malloc(strlen(t->spool_prefix) + 24);
    if (!path)
        return -1;
    sprintf(path, "%s%zu", t->spool_prefix, t->form.count);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        free(path);
        return -1;
    }
    p->spool_path = path;   /* from here on, clearing the part removes it */
    t->fd = fd;
    for (size_t done = 0; done < p->size;) {
        ssize_t n = write(fd, p->data + done, p->size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += (size_t)n;
    }
    free(p->data);
    p->data = NULL;
    t->part_cap = 0;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Keeps n bytes of the current part: in memory while it is small, else
 * in its spool file (or, without a spool directory, only counted once it
 * passes MOCK_BODY_RECORD_LIMIT). */
static int part_append(mock_form_tap *t, const char *p, size_t n)
{
    mock_form_part *part = t->part;
    if (n == 0)
        return 0;
    if (t->fd < 0 && part->data && t->spool_prefix && part->size + n > MOCK_FORM_MEMORY_LIMIT &&
        spill_to_file(t, part) != 0)
        return -1;
    if (t->fd >= 0) {
        part->size += n;
        return write_all(t->fd, p, n);
    }
    if (!part->data || part->size + n > MOCK_BODY_RECORD_LIMIT) {
        free(part->data);   /* counted only */
        part->data = NULL;
        part->size += n;
        return 0;
    }
    if (part->size + n + 1 > t->part_cap) {
        size_t cap = t->part_cap * 2;
        while (cap < part->size + n + 1)
            cap *= 2;
        char *d = realloc(part->data, cap);
        if (!d)
            return -1;
        part->data = d;
        t->part_cap = cap;
    }
    memcpy(part->data + part->size, p, n);
    part->size += n;
    part->data[part->size] = '\0';
    return 0;
}

/* Starts a part whose header block is h[0, len). */
static int part_begin(mock_form_tap *t, const char *h, size_t len)
{
    if (t->form.count == MOCK_FORM_MAX_PARTS)
        return 1;   /* too many: malformed */
    if (!t->form.parts) {
        t->form.parts = calloc(MOCK_FORM_MAX_PARTS, sizeof *t->form.parts);
        if (!t->form.parts)
            return -1;
    }
    mock_form_part *p = &t->form.parts[t->form.count++];
    parse_part_headers(p, h, len);
    t->part = p;
    t->part_cap = 64;
    p->data = malloc(t->part_cap);
    if (!p->name)
        p->name = strdup("");
    if (!p->data || !p->name)
        return -1;
    p->data[0] = '\0';
    return 0;
}

static int part_end(mock_form_tap *t)
{
    int rc = 0;
    if (t->fd >= 0 && close(t->fd) != 0)
        rc = -1;
    t->fd = -1;
    t->part = NULL;
    return rc;
}

/* One step of the state machine over buf. Returns 1 to go on, 0 when it
 * needs more input, -1 on failure. */
static int step(mock_form_tap *t)
{
    const char *hit;
    switch (t->state) {
    case TAP_PREAMBLE:
    case TAP_DATA:
        hit = memmem(t->buf, t->len, t->delim, t->delim_len);
        if (!hit) {
            /* The last delim_len - 1 bytes may begin a delimiter. */
            size_t safe = t->len >= t->delim_len ? t->len - (t->delim_len - 1) : 0;
            if (t->state == TAP_DATA && part_append(t, t->buf, safe) != 0)
                return -1;
            consume(t, safe);
            return 0;
        }
        if (t->state == TAP_DATA &&
            (part_append(t, t->buf, (size_t)(hit - t->buf)) != 0 || part_end(t) != 0))
            return -1;
        consume(t, (size_t)(hit - t->buf) + t->delim_len);
        t->state = TAP_AFTER_DELIM;
        return 1;
    case TAP_AFTER_DELIM:
        if (t->len < 2)
            return 0;
        if (memcmp(t->buf, "--", 2) == 0) {
            t->state = TAP_EPILOGUE;
            t->form.complete = 1;
        } else if (memcmp(t->buf, "\r\n", 2) == 0) {
            consume(t, 2);
            t->state = TAP_HEADERS;
        } else {
            t->state = TAP_BROKEN;
        }
        return 1;
    case TAP_HEADERS: {
        size_t end;
        if (t->len >= 2 && memcmp(t->buf, "\r\n", 2) == 0) {
            end = 0;   /* no header lines at all */
        } else {
            hit = memmem(t->buf, t->len, "\r\n\r\n", 4);
            if (!hit) {
                if (t->len > TAP_MAX_HEADERS)
                    t->state = TAP_BROKEN;
                return t->state == TAP_BROKEN;
            }
            end = (size_t)(hit - t->buf) + 2;
        }
        int rc = part_begin(t, t->buf, end);
        if (rc < 0)
            return -1;
        consume(t, end + 2);
        t->state = rc == 0 ? TAP_DATA : TAP_BROKEN;
        return 1;
    }
    case TAP_EPILOGUE:
    case TAP_BROKEN:
        t->len = 0;
        return 0;
    }
    return 0;
}

int mock_form_tap_feed(mock_form_tap *tap, const char *data, size_t len)
{
    if (tap->failed)
        return -1;
    while (len > 0) {
        size_t n = len < TAP_SLICE ? len : TAP_SLICE;
        memcpy(tap->buf + tap->len, data, n);   /* buf always has a slice free */
        tap->len += n;
        data += n;
        len -= n;
        int rc;
        while ((rc = step(tap)) == 1)
            ;
        if (rc < 0) {
            tap->failed = 1;
            return -1;
        }
    }
    return 0;
}

void mock_form_tap_finish(mock_form_tap *tap, mock_form *form)
{
    if (tap->state == TAP_DATA)
        part_end(tap);   /* cut off: the form stays incomplete */
    *form = tap->form;
    memset(&tap->form, 0, sizeof tap->form);
    mock_form_tap_free(tap);
}

void mock_form_tap_free(mock_form_tap *tap)
{
    if (!tap)
        return;
    if (tap->fd >= 0)
        close(tap->fd);
    mock_form_clear(&tap->form);
    free(tap->spool_prefix);
    free(tap->buf);
    free(tap);
}
