/* The streaming multipart/form-data encoder: see multipart.h.
 *
 * The encoding is a sequence of segments, walked by a small state machine:
 * for each part its header block (built once, in _new), its body (the
 * caller's memory, or a file range read with pread) and the CRLF that ends
 * it; then the closing delimiter. `phase` and `at` say which segment comes
 * next and `pos` how much of it was already handed out, so a read may stop
 * anywhere and the next one resumes there.
 *
 * Files are checked twice: in _new (to announce a length, and to fail before
 * anything is sent when a file is missing or too short), and again when
 * their part comes round (a file may change meanwhile: a short read must
 * become an error, never a body shorter than its Content-Length).
 */
#include "http/multipart.h"

#include "http/headers.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define BOUNDARY_PREFIX "------------------------oai"
#define BOUNDARY_RANDOM 12 /* bytes, so 24 hex digits */
#define BOUNDARY_LEN (sizeof BOUNDARY_PREFIX - 1 + 2 * BOUNDARY_RANDOM)
#define CONTENT_TYPE_PREFIX "multipart/form-data; boundary="
#define DEFAULT_TYPE "application/octet-stream"

typedef enum mp_phase {
    PHASE_HEAD,  /* the current part's header block */
    PHASE_BODY,  /* its bytes */
    PHASE_CRLF,  /* the CRLF that ends it */
    PHASE_CLOSE, /* the closing delimiter */
    PHASE_DONE
} mp_phase;

typedef struct mp_part {
    const oai__http_part *src;
    char *head;      /* "--B\r\nContent-Disposition: ...\r\n\r\n" */
    size_t head_len;
    int64_t start;   /* FILE: the offset of the first byte sent */
    int64_t size;    /* the body's length */
} mp_part;

struct oai__multipart {
    mp_part *parts;
    size_t count;
    char content_type[sizeof CONTENT_TYPE_PREFIX + BOUNDARY_LEN];
    char boundary[BOUNDARY_LEN + 1];
    char close[BOUNDARY_LEN + 7]; /* "--B--\r\n" */
    size_t close_len;
    int64_t length;
    /* Where reading stands. */
    size_t at;          /* the part being sent */
    mp_phase phase;
    int64_t pos;        /* bytes of the current segment already handed out */
    int fd;             /* the open file of part `at`, or -1 */
    oai_status error;   /* a sticky read error, or OAI_OK */
    char message[512];  /* why it failed */
};

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */

/* "part N ("NAME"): " + what; parts are numbered from 1, as a user counts. */
static void describe(char *out, size_t cap, size_t index, const oai__http_part *p,
                     const char *what, const char *detail)
{
    if (!out || cap == 0)
        return;
    snprintf(out, cap, "part %zu (\"%s\"): %s%s%s", index + 1,
             p && p->name ? p->name : "", what, detail ? ": " : "", detail ? detail : "");
}

static oai_status fail_part(char *why, size_t cap, size_t index, const oai__http_part *p,
                            oai_status st, const char *what, const char *detail)
{
    describe(why, cap, index, p, what, detail);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */

static oai_status open_status(int err)
{
    return err == ENOMEM ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_IO;
}

/* Opens a FILE part's file and reads its size. On failure *fd is -1 and
 * `what` (what_cap bytes) says why, naming the path. */
static oai_status open_regular(const char *path, int *fd, int64_t *size, char *what,
                               size_t what_cap)
{
    struct stat st;
    int err;
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer. It
     * changes nothing for a regular file. */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (*fd < 0) {
        err = errno;
        snprintf(what, what_cap, "cannot open \"%s\": %s", path, strerror(err));
        return open_status(err);
    }
    if (fstat(*fd, &st) != 0) {
        snprintf(what, what_cap, "cannot stat \"%s\": %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        /* Only a regular file has a size to announce and can be re-read. */
        snprintf(what, what_cap, "\"%s\" is not a regular file", path);
    } else {
        *size = (int64_t)st.st_size;
        return OAI_OK;
    }
    close(*fd);
    *fd = -1;
    return OAI_ERR_IO;
}

/* Works out the byte range a FILE part sends, from the file as it is now. */
static oai_status measure_file(mp_part *mp, size_t index, char *why, size_t cap)
{
    const oai__http_part *p = mp->src;
    char what[320];
    int64_t file_size = 0;
    int fd;
    oai_status st = open_regular(p->path, &fd, &file_size, what, sizeof what);
    if (st != OAI_OK)
        return fail_part(why, cap, index, p, st, what, NULL);
    close(fd);
    if (p->offset > file_size || (p->length >= 0 && p->length > file_size - p->offset)) {
        snprintf(what, sizeof what,
                 "\"%s\" is shorter than the part's range (%lld bytes; the range needs "
                 "%lld from offset %lld)",
                 p->path, (long long)file_size, (long long)(p->length >= 0 ? p->length : 0),
                 (long long)p->offset);
        return fail_part(why, cap, index, p, OAI_ERR_IO, what, NULL);
    }
    mp->start = p->offset;
    mp->size = p->length >= 0 ? p->length : file_size - p->offset;
    return OAI_OK;
}

/* ------------------------------------------------------------------------ */
/* Header blocks                                                             */

/* Appends s with '"', CR and LF percent-encoded, as browsers (WHATWG) and
 * curl encode names and filenames: a quote would end the parameter early
 * and a line break would start a header of the caller's choosing. */
static oai_status append_escaped(oai__buf *b, const char *s)
{
    oai_status st = OAI_OK;
    while (*s && st == OAI_OK) {
        size_t run = strcspn(s, "\"\r\n");
        st = oai__buf_append(b, s, run);
        s += run;
        if (st != OAI_OK || !*s)
            break;
        st = oai__buf_append_str(b, *s == '"' ? "%22" : *s == '\r' ? "%0D" : "%0A");
        s++;
    }
    return st;
}

static oai_status build_head(oai__buf *b, const char *boundary, const oai__http_part *p)
{
    oai_status st = oai__buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"", boundary);
    if (st == OAI_OK)
        st = append_escaped(b, p->name);
    if (st == OAI_OK)
        st = oai__buf_append_str(b, "\"");
    if (st == OAI_OK && p->kind != OAI_PART_FIELD && p->filename) {
        st = oai__buf_append_str(b, "; filename=\"");
        if (st == OAI_OK)
            st = append_escaped(b, p->filename);
        if (st == OAI_OK)
            st = oai__buf_append_str(b, "\"");
    }
    if (st == OAI_OK && p->kind != OAI_PART_FIELD)
        st = oai__buf_printf(b, "\r\nContent-Type: %s", p->mime_type ? p->mime_type : DEFAULT_TYPE);
    if (st == OAI_OK)
        st = oai__buf_append_str(b, "\r\n\r\n");
    return st;
}

/* ------------------------------------------------------------------------ */
/* Preparation                                                               */

/* The checks that need no file system. */
static oai_status check_part(const oai__http_part *p, size_t index, char *why, size_t cap)
{
    const char *bad = NULL;
    if (p->kind != OAI_PART_FIELD && p->kind != OAI_PART_DATA && p->kind != OAI_PART_FILE)
        bad = "unknown part kind";
    else if (!p->name || !*p->name)
        bad = "no name";
    else if (p->kind == OAI_PART_DATA && !p->data && p->len > 0)
        bad = "no data";
    else if (p->kind == OAI_PART_DATA && (uint64_t)p->len > (uint64_t)INT64_MAX)
        bad = "too long";
    else if (p->kind == OAI_PART_FILE && (!p->path || p->offset < 0))
        bad = p->path ? "negative offset" : "no path";
    else if (p->kind != OAI_PART_FIELD && p->mime_type && !oai__header_value_ok(p->mime_type))
        bad = "CR or LF in the content type";
    if (bad)
        return fail_part(why, cap, index, p, OAI_ERR_INVALID_ARGUMENT, bad, NULL);
    return OAI_OK;
}

static int64_t body_size(const mp_part *mp)
{
    const oai__http_part *p = mp->src;
    if (p->kind == OAI_PART_FIELD)
        return (int64_t)(p->value ? strlen(p->value) : 0);
    if (p->kind == OAI_PART_DATA)
        return (int64_t)p->len;
    return mp->size;
}

/* Validates part `index`, measures its body and builds its header block. */
static oai_status prepare_part(oai__multipart *m, size_t index, char *why, size_t cap)
{
    mp_part *mp = &m->parts[index];
    oai__buf head = {0};
    oai_status st = check_part(mp->src, index, why, cap);
    if (st == OAI_OK && mp->src->kind == OAI_PART_FILE)
        st = measure_file(mp, index, why, cap);
    if (st != OAI_OK)
        return st;
    if (build_head(&head, m->boundary, mp->src) != OAI_OK) {
        oai__buf_free(&head);
        return fail_part(why, cap, index, mp->src, OAI_ERR_OUT_OF_MEMORY, "out of memory", NULL);
    }
    mp->head = head.data;
    mp->head_len = head.len;
    mp->size = body_size(mp);
    return OAI_OK;
}

/* *total += n, unless that would pass INT64_MAX (n >= 0). */
static int add_length(int64_t *total, int64_t n)
{
    if (*total > INT64_MAX - n)
        return -1;
    *total += n;
    return 0;
}

static oai_status sum_length(oai__multipart *m, char *why, size_t cap)
{
    int64_t total = (int64_t)m->close_len;
    for (size_t i = 0; i < m->count; i++) {
        const mp_part *mp = &m->parts[i];
        if (add_length(&total, (int64_t)mp->head_len) != 0 || add_length(&total, mp->size) != 0 ||
            add_length(&total, 2) != 0)
            return fail_part(why, cap, i, mp->src, OAI_ERR_INVALID_ARGUMENT,
                             "the body would be longer than 2^63 bytes", NULL);
    }
    m->length = total;
    return OAI_OK;
}

static oai_status pick_boundary(oai__multipart *m, char *why, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[BOUNDARY_RANDOM];
    char *d;
    if (oai__random_bytes(r, sizeof r) != OAI_OK) {
        if (why && cap)
            snprintf(why, cap, "no randomness for the multipart boundary");
        return OAI_ERR_OUT_OF_MEMORY;
    }
    memcpy(m->boundary, BOUNDARY_PREFIX, sizeof BOUNDARY_PREFIX - 1);
    d = m->boundary + sizeof BOUNDARY_PREFIX - 1;
    for (size_t i = 0; i < sizeof r; i++) {
        *d++ = hex[r[i] >> 4];
        *d++ = hex[r[i] & 15];
    }
    *d = '\0';
    snprintf(m->content_type, sizeof m->content_type, CONTENT_TYPE_PREFIX "%s", m->boundary);
    m->close_len = (size_t)snprintf(m->close, sizeof m->close, "--%s--\r\n", m->boundary);
    return OAI_OK;
}

static oai__multipart *alloc_encoder(const oai__http_part *parts, size_t count)
{
    oai__multipart *m = oai__calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->fd = -1;
    m->count = count;
    if (count > 0) {
        m->parts = oai__calloc(count, sizeof *m->parts);
        if (!m->parts) {
            oai__free(m);
            return NULL;
        }
    }
    for (size_t i = 0; i < count; i++)
        m->parts[i].src = &parts[i];
    return m;
}

oai_status oai__multipart_new(const oai__http_part *parts, size_t count, oai__multipart **out,
                              char *why, size_t why_cap)
{
    oai__multipart *m;
    oai_status st;
    if (why && why_cap)
        why[0] = '\0';
    if (out)
        *out = NULL;
    if (!out || (!parts && count > 0)) {
        if (why && why_cap)
            snprintf(why, why_cap, "no parts or no place for the encoder");
        return OAI_ERR_INVALID_ARGUMENT;
    }
    m = alloc_encoder(parts, count);
    if (!m) {
        if (why && why_cap)
            snprintf(why, why_cap, "out of memory");
        return OAI_ERR_OUT_OF_MEMORY;
    }
    st = pick_boundary(m, why, why_cap);
    for (size_t i = 0; st == OAI_OK && i < count; i++)
        st = prepare_part(m, i, why, why_cap);
    if (st == OAI_OK)
        st = sum_length(m, why, why_cap);
    if (st != OAI_OK) {
        oai__multipart_free(m);
        return st;
    }
    oai__multipart_rewind(m);
    *out = m;
    return OAI_OK;
}

/* ------------------------------------------------------------------------ */
/* Accessors, rewind, free                                                   */

const char *oai__multipart_content_type(const oai__multipart *m)
{
    return m ? m->content_type : "";
}

int64_t oai__multipart_length(const oai__multipart *m)
{
    return m ? m->length : -1;
}

const char *oai__multipart_error(const oai__multipart *m)
{
    return m && m->error != OAI_OK ? m->message : "";
}

static void close_file(oai__multipart *m)
{
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

oai_status oai__multipart_rewind(oai__multipart *m)
{
    if (!m)
        return OAI_ERR_INVALID_ARGUMENT;
    close_file(m);
    m->at = 0;
    m->phase = m->count > 0 ? PHASE_HEAD : PHASE_CLOSE;
    m->pos = 0;
    m->error = OAI_OK;
    m->message[0] = '\0';
    return OAI_OK;
}

void oai__multipart_free(oai__multipart *m)
{
    if (!m)
        return;
    close_file(m);
    for (size_t i = 0; i < m->count; i++)
        oai__free(m->parts[i].head);
    oai__free(m->parts);
    oai__free(m);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

/* Records a read failure of the current part; returns -OAI_ERR_IO. */
static int64_t read_failed(oai__multipart *m, const char *what, const char *detail)
{
    close_file(m);
    describe(m->message, sizeof m->message, m->at, m->parts[m->at].src, what, detail);
    m->error = OAI_ERR_IO;
    return -(int64_t)OAI_ERR_IO;
}

/* Hands out up to `room` bytes of the in-memory segment src[0, len); when
 * it is used up, moves on to `next`. */
static int64_t copy_segment(oai__multipart *m, char *dst, int64_t room, const char *src,
                            int64_t len, mp_phase next)
{
    int64_t n = len - m->pos < room ? len - m->pos : room;
    if (n > 0)
        memcpy(dst, src + m->pos, (size_t)n);
    m->pos += n;
    if (m->pos == len) {
        m->phase = next;
        m->pos = 0;
    }
    return n;
}

/* Opens the current FILE part again and checks that its range is still
 * there: a file that shrank since _new fails here rather than mid-body. */
static int64_t reopen_file(oai__multipart *m, const mp_part *mp)
{
    char what[320];
    int64_t file_size = 0;
    if (open_regular(mp->src->path, &m->fd, &file_size, what, sizeof what) != OAI_OK)
        return read_failed(m, what, NULL);
    if (file_size - mp->start < mp->size)
        return read_failed(m, "the file became shorter than its range", NULL);
    return 0;
}

static ssize_t read_at(int fd, char *buf, size_t len, int64_t at)
{
    ssize_t got;
    do
        got = pread(fd, buf, len, (off_t)at);
    while (got < 0 && errno == EINTR);
    return got;
}

/* Reads the next bytes of the current FILE part straight into dst. */
static int64_t file_segment(oai__multipart *m, const mp_part *mp, char *dst, int64_t room)
{
    int64_t want = mp->size - m->pos < room ? mp->size - m->pos : room;
    ssize_t got = 0;
    if (m->fd < 0 && reopen_file(m, mp) < 0)
        return -(int64_t)OAI_ERR_IO;
    if (want > SSIZE_MAX)
        want = SSIZE_MAX;
    if (want > 0) {
        got = read_at(m->fd, dst, (size_t)want, mp->start + m->pos);
        if (got < 0)
            return read_failed(m, "cannot read the file", strerror(errno));
        if (got == 0)
            return read_failed(m, "the file became shorter than its range", NULL);
    }
    m->pos += got;
    if (m->pos == mp->size) {
        close_file(m); /* so only one file is ever open */
        m->phase = PHASE_CRLF;
        m->pos = 0;
    }
    return got;
}

static int64_t body_segment(oai__multipart *m, char *dst, int64_t room)
{
    const mp_part *mp = &m->parts[m->at];
    const oai__http_part *p = mp->src;
    if (p->kind == OAI_PART_FILE)
        return file_segment(m, mp, dst, room);
    return copy_segment(m, dst, room, p->kind == OAI_PART_FIELD ? p->value : p->data,
                        mp->size, PHASE_CRLF);
}

/* One step: at most `room` bytes of the current segment (possibly 0 when
 * only the phase moves on), or a negative status. */
static int64_t step(oai__multipart *m, char *dst, int64_t room)
{
    int64_t n;
    switch (m->phase) {
    case PHASE_HEAD:
        return copy_segment(m, dst, room, m->parts[m->at].head,
                            (int64_t)m->parts[m->at].head_len, PHASE_BODY);
    case PHASE_BODY:
        return body_segment(m, dst, room);
    case PHASE_CRLF:
        n = copy_segment(m, dst, room, "\r\n", 2, PHASE_HEAD);
        if (m->phase == PHASE_HEAD && ++m->at == m->count)
            m->phase = PHASE_CLOSE;
        return n;
    case PHASE_CLOSE:
        return copy_segment(m, dst, room, m->close, (int64_t)m->close_len, PHASE_DONE);
    case PHASE_DONE:
        break;
    }
    return 0;
}

int64_t oai__multipart_read(oai__multipart *m, char *buf, size_t cap)
{
    int64_t room, done = 0;
    if (!m || (!buf && cap > 0))
        return -(int64_t)OAI_ERR_INVALID_ARGUMENT;
    if (m->error != OAI_OK)
        return -(int64_t)m->error;
    if (cap == 0)
        return 0;
    room = (uint64_t)cap > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)cap;
    /* Fill the buffer across segments: fewer, larger writes for the
     * transport. On an error the bytes already copied are dropped: the
     * body is broken anyway, and the error must not wait for a next call
     * that a transport may never make. */
    while (done < room && m->phase != PHASE_DONE) {
        int64_t n = step(m, buf + done, room - done);
        if (n < 0)
            return n;
        done += n;
    }
    return done;
}
