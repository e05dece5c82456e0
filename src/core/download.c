/* Downloads replaced only on success (see download.h). */
#include "core/download.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static oai_status io_error(oai__download *d, const char *what, int err)
{
    snprintf(d->message, sizeof d->message, "%s: %s", what, strerror(err));
    return err == ENOMEM ? OAI_ERR_OUT_OF_MEMORY : OAI_ERR_IO;
}

/* "dir/.name.oai-" for target "dir/name"; the caller appends the suffix. */
static char *temp_prefix(const char *target)
{
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    oai__buf b = {0};
    if (oai__buf_append(&b, target, dir_len) != OAI_OK ||
        oai__buf_printf(&b, ".%s.oai-", target + dir_len) != OAI_OK) {
        oai__buf_free(&b);
        return NULL;
    }
    return b.data;
}

oai_status oai__download_open(oai__download *d, const char *target)
{
    memset(d, 0, sizeof *d);
    d->target = target;
    struct stat st;
    int have_target = stat(target, &st) == 0;
    if (have_target && S_ISDIR(st.st_mode)) {
        snprintf(d->message, sizeof d->message, "the output file is a directory");
        return OAI_ERR_IO;
    }
    char *prefix = temp_prefix(target);
    if (!prefix)
        return OAI_ERR_OUT_OF_MEMORY;
    int fd = -1, err = 0;
    for (int attempt = 0; fd < 0 && attempt < 8; attempt++) {
        unsigned char rnd[4];
        oai__buf path = {0};
        if (oai__random_bytes(rnd, sizeof rnd) != OAI_OK ||
            oai__buf_printf(&path, "%s%02x%02x%02x%02x", prefix, rnd[0], rnd[1], rnd[2], rnd[3]) != OAI_OK) {
            oai__buf_free(&path);
            oai__free(prefix);
            return OAI_ERR_OUT_OF_MEMORY;
        }
        fd = open(path.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        err = errno;
        if (fd >= 0)
            d->temp_path = path.data;
        else
            oai__buf_free(&path);
        if (fd < 0 && err != EEXIST)
            break;
    }
    oai__free(prefix);
    if (fd < 0)
        return io_error(d, "cannot create a temporary file beside the output file", err);
    /* A replaced file keeps its permissions (a private 0600 stays private). */
    if (have_target)
        (void)fchmod(fd, st.st_mode & 07777);
    d->file = fdopen(fd, "wb");
    if (!d->file) {
        err = errno;
        close(fd);
        oai__download_discard(d);
        return io_error(d, "cannot open the temporary output file", err);
    }
    return OAI_OK;
}

oai_status oai__download_write(oai__download *d, const void *data, size_t len)
{
    if (!d->file)
        return OAI_ERR_IO;
    if (fwrite(data, 1, len, d->file) != len)
        return io_error(d, "cannot write the output file", errno ? errno : EIO);
    return OAI_OK;
}

oai_status oai__download_commit(oai__download *d)
{
    if (!d->file)
        return OAI_ERR_IO;
    oai_status st = OAI_OK;
    /* The data must be on disk before the name points at it, or a crash
     * could leave an empty file where the old one was. */
    if (fflush(d->file) != 0 || fsync(fileno(d->file)) != 0)
        st = io_error(d, "cannot write the output file", errno);
    if (fclose(d->file) != 0 && st == OAI_OK)
        st = io_error(d, "cannot write the output file", errno);
    d->file = NULL;
    if (st == OAI_OK && rename(d->temp_path, d->target) != 0)
        st = io_error(d, "cannot replace the output file", errno);
    if (st != OAI_OK) {
        oai__download_discard(d);
        return st;
    }
    oai__free(d->temp_path);
    d->temp_path = NULL;
    return OAI_OK;
}

void oai__download_discard(oai__download *d)
{
    if (d->file) {
        fclose(d->file);
        d->file = NULL;
    }
    if (d->temp_path) {
        unlink(d->temp_path);
        oai__free(d->temp_path);
        d->temp_path = NULL;
    }
}
