/* Downloads into a file that is replaced only on success: the body goes to
 * a temporary file beside the target, which is renamed over it once the
 * whole body has arrived, so a dropped connection, a full disk or a cancel
 * never leaves the target truncated or half written. */
#ifndef OAI_DOWNLOAD_H
#define OAI_DOWNLOAD_H

#include "util/util.h"

#include <stdio.h>

typedef struct oai__download {
    FILE *file;          /* the temporary file, NULL when none is open */
    char *temp_path;
    const char *target;  /* borrowed from the request */
    char message[160];   /* why the last step failed (no secrets, no path) */
} oai__download;

/* Creates the temporary file `DIR/.NAME.oai-XXXXXXXX` next to target (with
 * the target's permissions when it exists, else 0666 less the umask).
 * OAI_OK, OAI_ERR_IO (d->message says why) or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__download_open(oai__download *d, const char *target);

/* Appends bytes. OAI_OK or OAI_ERR_IO. */
oai_status oai__download_write(oai__download *d, const void *data, size_t len);

/* Flushes the temporary file to disk and renames it over the target. On
 * failure the temporary file is removed and the target is untouched.
 * OAI_OK or OAI_ERR_IO. */
oai_status oai__download_commit(oai__download *d);

/* Closes and removes the temporary file, if any; the target is untouched. */
void oai__download_discard(oai__download *d);

#endif
