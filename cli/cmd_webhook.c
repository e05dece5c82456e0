/*
 * `oai webhook verify`: verify an OpenAI webhook delivery locally (no
 * network) with the library's verifier, and print its event type.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_verify(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);

static const cli_subcommand webhook_subcommands[] = {
    { "verify", "oai webhook verify",
      "--id ID --timestamp TS --signature SIG [--secret S] [FILE|-]",
      "Verifies a webhook delivery: the values of its webhook-id,\n"
      "webhook-timestamp and webhook-signature headers, and its body exactly as\n"
      "received, read from FILE (or standard input for - or no FILE). Prints\n"
      "the event's type on stdout and exits 0 when the delivery is authentic\n"
      "and fresh; otherwise prints the reason on stderr and exits non-zero\n"
      "(10: not authentic or not fresh; 9: authentic but not a JSON object;\n"
      "2: no usable secret or a bad option). Nothing is sent over the network.\n"
      "\n"
      "Options:\n"
      "  --secret S         the endpoint's signing secret (whsec_...); default\n"
      "                     $OPENAI_WEBHOOK_SECRET (preferred: a command line is\n"
      "                     visible to other users of the machine)\n"
      "  --id ID            the webhook-id header\n"
      "  --timestamp TS     the webhook-timestamp header\n"
      "  --signature SIG    the webhook-signature header (v1,... entries)\n"
      "  --tolerance SECS   how far the timestamp may be from now (default 300)\n"
      "  --now EPOCH        verify as if the time were EPOCH (Unix seconds)\n"
      "  --json             print the whole event as one JSON line instead\n"
      "  -h, --help         Show this help\n",
      run_verify },
};

static const cli_group webhook_group = {
    &cli_cmd_webhook, webhook_subcommands, sizeof webhook_subcommands / sizeof webhook_subcommands[0]
};

enum {
    OPT_HELP = 'h',
    OPT_SECRET = 256,
    OPT_ID,
    OPT_TIMESTAMP,
    OPT_SIGNATURE,
    OPT_TOLERANCE,
    OPT_NOW,
    OPT_JSON
};

static const cli_option verify_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_SECRET, 0, "secret", 1 },
    { OPT_ID, 0, "id", 1 },
    { OPT_TIMESTAMP, 0, "timestamp", 1 },
    { OPT_SIGNATURE, 0, "signature", 1 },
    { OPT_TOLERANCE, 0, "tolerance", 1 },
    { OPT_NOW, 0, "now", 1 },
    { OPT_JSON, 0, "json", 0 },
};

typedef struct verify_args {
    const char *secret;
    const char *id, *timestamp, *signature;
    const char *path; /* NULL: stdin */
    int64_t tolerance_s; /* -1: the library's default */
    int64_t now_s;       /* -1: the system clock */
    int json;
} verify_args;

static int parse_verify_args(const cli_subcommand *self, int argc, char **argv, verify_args *a)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, self->prog, verify_options,
                    sizeof verify_options / sizeof verify_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            return cli_subcommand_help(self);
        case OPT_SECRET:
            a->secret = p.value;
            break;
        case OPT_ID:
            a->id = p.value;
            break;
        case OPT_TIMESTAMP:
            a->timestamp = p.value;
            break;
        case OPT_SIGNATURE:
            a->signature = p.value;
            break;
        case OPT_TOLERANCE:
            if (cli_parse_int(p.value, 0, INT64_MAX / 1000, &a->tolerance_s) != 0)
                return cli_subcommand_usage_error(self, "--tolerance needs a number of seconds, not",
                                                  p.value);
            break;
        case OPT_NOW:
            if (cli_parse_int(p.value, 0, INT64_MAX / 1000, &a->now_s) != 0)
                return cli_subcommand_usage_error(self, "--now needs a Unix time in seconds, not",
                                                  p.value);
            break;
        case OPT_JSON:
            a->json = 1;
            break;
        default:
            return cli_subcommand_usage_error(self, NULL, NULL);
        }
    }
    if (p.operand_count > 1)
        return cli_subcommand_usage_error(self, "too many arguments", NULL);
    if (p.operand_count == 1 && strcmp(cli_operands(&p)[0], "-") != 0)
        a->path = cli_operands(&p)[0];
    /* The headers are checked by the library (a missing one is a rejected
     * delivery, not a usage error), so that the tool and the library agree. */
    return CLI_CONTINUE;
}

/* Reads a whole stream, NUL bytes included; NULL when memory ran out or
 * reading failed (ferror() tells). */
static char *read_body(FILE *in, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, in);
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger)
            break;
        buf = bigger;
        cap *= 2;
    }
    if (!buf || n == cap || ferror(in)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int run_verify(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    verify_args a = { NULL, NULL, NULL, NULL, NULL, -1, -1, 0 };
    int status;

    (void)globals;
    if ((status = parse_verify_args(self, argc, argv, &a)) != CLI_CONTINUE)
        return status;

    oai_webhook *wh = oai_webhook_new(NULL, a.secret); /* NULL: OPENAI_WEBHOOK_SECRET */
    if (!wh)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    if (oai_webhook_status(wh) != OAI_OK) {
        status = cli_subcommand_usage_error(self, oai_webhook_error_message(wh), NULL);
        oai_webhook_free(wh);
        return status;
    }
    if (a.tolerance_s >= 0)
        oai_webhook_set_tolerance_ms(wh, a.tolerance_s * 1000);
    if (a.now_s >= 0)
        oai_webhook_set_now_ms(wh, a.now_s * 1000);

    FILE *in = stdin;
    if (a.path && !(in = fopen(a.path, "rb"))) {
        oai_webhook_free(wh);
        return cli_report_file_error("open", a.path, errno);
    }
    size_t len = 0;
    char *body = read_body(in, &len);
    int read_errno = errno;
    if (in != stdin)
        fclose(in);
    if (!body) {
        oai_webhook_free(wh);
        return cli_report_file_error("read", a.path ? a.path : "-", read_errno ? read_errno : ENOMEM);
    }

    const char *names[] = { "webhook-id", "webhook-timestamp", "webhook-signature" };
    const char *values[] = { a.id, a.timestamp, a.signature };
    oai_status st = oai_webhook_unwrap(wh, names, values, 3, body, len);
    if (st != OAI_OK) {
        status = cli_report_status(st, oai_webhook_error_message(wh));
    } else if (a.json) {
        status = cli_print_json_line(oai_webhook_json(wh));
    } else {
        const char *type = oai_webhook_type(wh);
        cli_print_safe(stdout, type);
        fputc('\n', stdout);
        status = cli_finish_output();
    }
    free(body);
    oai_webhook_free(wh);
    return status;
}

static void webhook_usage(FILE *out)
{
    cli_group_usage(&webhook_group, out);
}

static int run_webhook(const cli_globals *globals, int argc, char **argv)
{
    return cli_group_run(&webhook_group, globals, argc, argv);
}

/** `oai webhook`. */
const cli_command cli_cmd_webhook = {
    "webhook", "Verify webhook deliveries locally", run_webhook, webhook_usage
};
