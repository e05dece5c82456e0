/*
 * Verifies one OpenAI webhook delivery and prints its event.
 *
 *   OPENAI_WEBHOOK_SECRET=whsec_... \
 *     example_webhook WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE < body.json
 *
 * The three arguments are the values of the delivery's `webhook-id`,
 * `webhook-timestamp` and `webhook-signature` headers; the body is read
 * from standard input exactly as it arrived (verify the raw bytes, before
 * any JSON parsing or re-encoding). Without arguments the headers come from
 * the environment variables WEBHOOK_ID, WEBHOOK_TIMESTAMP and
 * WEBHOOK_SIGNATURE (handy from a CGI script or a shell pipeline).
 *
 * Prints "TYPE DATA_ID" (e.g. "response.completed resp_123") and exits 0
 * when the delivery is authentic and fresh (within 5 minutes of the system
 * clock); otherwise prints the reason to stderr and exits 1. A web server
 * would answer the first case with 2xx and the second with 400.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oai.h>

/* Reads all of stdin; *len gets its size. NULL when memory ran out or
 * reading failed. */
static char *read_stdin(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, stdin);
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            return NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    if (!buf || ferror(stdin)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    const char *names[3] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[3];
    if (argc == 4) {
        values[0] = argv[1];
        values[1] = argv[2];
        values[2] = argv[3];
    } else if (argc == 1) {
        values[0] = getenv("WEBHOOK_ID");
        values[1] = getenv("WEBHOOK_TIMESTAMP");
        values[2] = getenv("WEBHOOK_SIGNATURE");
    } else {
        fprintf(stderr, "usage: %s [WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE] < body\n", argv[0]);
        return 2;
    }

    size_t len = 0;
    char *body = read_stdin(&len);
    if (!body) {
        fprintf(stderr, "cannot read the body from stdin\n");
        return 1;
    }

    /* The secret: OPENAI_WEBHOOK_SECRET (no client needed). NULL header
     * values (unset variables) are skipped, so they count as missing. */
    oai_webhook *wh = oai_webhook_new(NULL, NULL);
    oai_status st = wh ? oai_webhook_unwrap(wh, names, values, 3, body, len) : OAI_ERR_OUT_OF_MEMORY;
    if (st != OAI_OK) {
        fprintf(stderr, "rejected (%s): %s\n", oai_status_name(st),
                wh ? oai_webhook_error_message(wh) : "out of memory");
    } else {
        const char *type = oai_webhook_type(wh);
        const char *id = oai_value_get_string(oai_webhook_data(wh), "/id");
        printf("%s %s\n", type ? type : "-", id ? id : "-");
    }
    oai_webhook_free(wh);
    free(body);
    return st == OAI_OK ? 0 : 1;
}
