/*
 * Helpers shared by the commands of the `oai` tool: exit statuses, error
 * reports, the client, number parsing and output.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Whether the last byte written to stdout by cli_write_text() left a line
 * open, so an error report or the end of a stream can close it first. The
 * tool is single-threaded. */
static int stdout_line_open;

/** Prints the problem and the usage to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *problem, const char *detail)
{
    if (problem) {
        fprintf(stderr, "oai%s%s: %s", cmd ? " " : "", cmd ? cmd->name : "", problem);
        if (detail)
            fprintf(stderr, " '%s'", detail);
        fputc('\n', stderr);
    }
    fputc('\n', stderr);
    if (cmd)
        cmd->usage(stderr);
    else
        cli_usage(stderr);
    return CLI_EXIT_USAGE;
}

/** The exit status for a library status (the table in docs/cli.md). */
int cli_exit_status(oai_status status)
{
    switch (status) {
    case OAI_OK:
        return CLI_EXIT_OK;
    case OAI_ERR_AUTHENTICATION:
    case OAI_ERR_PERMISSION_DENIED:
        return CLI_EXIT_AUTH;
    case OAI_ERR_NOT_FOUND:
        return CLI_EXIT_NOT_FOUND;
    case OAI_ERR_BAD_REQUEST:
    case OAI_ERR_CONFLICT:
    case OAI_ERR_UNPROCESSABLE:
        return CLI_EXIT_BAD_REQUEST;
    case OAI_ERR_RATE_LIMIT:
        return CLI_EXIT_RATE_LIMIT;
    case OAI_ERR_SERVER:
    case OAI_ERR_API:
        return CLI_EXIT_SERVER;
    case OAI_ERR_CONNECTION:
    case OAI_ERR_TIMEOUT:
    case OAI_ERR_TLS:
        return CLI_EXIT_CONNECTION;
    case OAI_ERR_PROTOCOL:
    case OAI_ERR_TOO_LARGE:
    case OAI_ERR_TYPE:
        return CLI_EXIT_PROTOCOL;
    case OAI_ERR_INVALID_ARGUMENT:
    case OAI_ERR_OUT_OF_MEMORY:
    case OAI_ERR_IO:
    case OAI_ERR_CANCELLED:
    case OAI_ERR_INVALID_DATA:
        return CLI_EXIT_LOCAL;
    }
    return CLI_EXIT_SERVER; /* a status newer than this tool */
}

/* Writes server-supplied text on one line, with control characters (line
 * breaks, terminal escapes) replaced by spaces. */
static void print_one_line(FILE *out, const char *text)
{
    for (; *text; text++)
        fputc((unsigned char)*text < 0x20 || *text == 0x7f ? ' ' : *text, out);
}

/* Puts the error on a line of its own on a terminal that shows stdout and
 * stderr together. */
static void close_stdout_line(void)
{
    cli_end_line();
    fflush(stdout);
}

/** Prints "oai: OAI_ERR_X: MESSAGE" and returns the status's exit status. */
int cli_report_status(oai_status status, const char *message)
{
    close_stdout_line();
    fprintf(stderr, "oai: %s: ", oai_status_name(status));
    print_one_line(stderr, message ? message : oai_status_message(status));
    fputc('\n', stderr);
    return cli_exit_status(status);
}

/** Returns 0 for a successful response, else reports it (message and
 *  request id) and returns its exit status. */
int cli_check_response(const oai_response *res)
{
    oai_status status = oai_response_status(res);
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);

    if (status == OAI_OK)
        return CLI_EXIT_OK;
    close_stdout_line();
    fprintf(stderr, "oai: %s: ", oai_status_name(status));
    print_one_line(stderr, message && *message ? message : oai_status_message(status));
    if (request_id && *request_id) {
        fputs(" (request id ", stderr);
        print_one_line(stderr, request_id);
        fputc(')', stderr);
    }
    fputc('\n', stderr);
    return cli_exit_status(status);
}

/* Applies the global options over the environment's defaults. A bad value
 * is a usage error; the API key itself is never echoed. */
static int apply_globals(oai_client *client, const cli_globals *globals)
{
    if (globals->verbose &&
        oai_client_set_log_callback(client, OAI_LOG_DEBUG, NULL, NULL) != OAI_OK)
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT, "cannot enable logging");
    if (globals->base_url && oai_client_set_base_url(client, globals->base_url) != OAI_OK)
        return cli_usage_error(NULL, "invalid --base-url (an http:// or https:// URL is needed):",
                               globals->base_url);
    if (globals->api_key && oai_client_set_api_key(client, globals->api_key) != OAI_OK)
        return cli_usage_error(NULL, "invalid --api-key (it must be one line)", NULL);
    return CLI_EXIT_OK;
}

/** Creates the client from the environment and the global options. */
oai_client *cli_client_new(const cli_globals *globals, int *exit_status)
{
    oai_client *client = oai_client_new();

    if (!client) {
        *exit_status = cli_report_status(OAI_ERR_OUT_OF_MEMORY, "cannot create the client");
        return NULL;
    }
    *exit_status = apply_globals(client, globals);
    if (*exit_status != CLI_EXIT_OK) {
        oai_client_free(client);
        return NULL;
    }
    return client;
}

/** Sends @p req and prints the outcome; returns the exit status. */
int cli_run_request(const cli_globals *globals, const oai_request *req,
                    cli_print_fn print, void *userdata)
{
    int status;
    oai_client *client = cli_client_new(globals, &status);
    oai_response *res;

    if (!client)
        return status;
    res = oai_client_send(client, req);
    status = cli_check_response(res);
    if (status == CLI_EXIT_OK && print)
        status = print(res, userdata);
    oai_response_free(res);
    oai_client_free(client);
    if (status == CLI_EXIT_OK)
        status = cli_finish_output();
    return status;
}

/** Parses a finite number; 0 on success, -1 otherwise. */
int cli_parse_number(const char *text, double *out)
{
    char *end;
    double value;

    errno = 0;
    value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value))
        return -1;
    *out = value;
    return 0;
}

/** Parses a decimal integer in [min, max]; 0 on success, -1 otherwise. */
int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long value;

    errno = 0;
    value = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || value < min || value > max)
        return -1;
    *out = (int64_t)value;
    return 0;
}

/** Parses a -t value (0 to 2 for OpenAI; any finite number is passed on). */
int cli_parse_temperature(const cli_command *cmd, const char *value, cli_sampling *s)
{
    if (cli_parse_number(value, &s->temperature) != 0)
        return cli_usage_error(cmd, "-t needs a number, not", value);
    s->has_temperature = 1;
    return CLI_CONTINUE;
}

/** Parses a --max-tokens value: a positive integer. */
int cli_parse_max_tokens(const cli_command *cmd, const char *value, cli_sampling *s)
{
    if (cli_parse_int(value, 1, INT32_MAX, &s->max_tokens) != 0)
        return cli_usage_error(cmd, "--max-tokens needs a positive integer, not", value);
    return CLI_CONTINUE;
}

/** Sets the sampling fields that were given on the command line. */
oai_status cli_apply_sampling(oai_request *req, const cli_sampling *s)
{
    oai_status status = OAI_OK;

    if (s->has_temperature)
        status = oai_request_set_number(req, "/temperature", s->temperature);
    if (status == OAI_OK && s->max_tokens > 0)
        status = oai_request_set_int(req, "/max_tokens", s->max_tokens);
    return status;
}

/* Reads all of @p in into a new NUL-terminated string, or NULL. */
static char *read_all(FILE *in)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);

    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, in);
        len += got;
        if (got == 0)
            break;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf)
        return NULL;
    if (ferror(in)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/** Joins the operands with spaces, or reads stdin for a lone "-". */
char *cli_join_text(int count, char **operands, int *exit_status)
{
    size_t total = 1;
    char *text;
    int i;

    if (count == 1 && strcmp(operands[0], "-") == 0) {
        text = read_all(stdin);
        if (!text)
            *exit_status = cli_report_status(OAI_ERR_IO, "cannot read standard input");
        return text;
    }
    for (i = 0; i < count; i++)
        total += strlen(operands[i]) + 1;
    text = malloc(total);
    if (!text) {
        *exit_status = cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
        return NULL;
    }
    text[0] = '\0';
    for (i = 0; i < count; i++) {
        if (i > 0)
            strcat(text, " ");
        strcat(text, operands[i]);
    }
    return text;
}

/** Writes text to stdout at once (flushing), tracking the open line. */
void cli_write_text(const char *text, size_t len)
{
    if (!text || len == 0)
        return;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    stdout_line_open = text[len - 1] != '\n';
}

/** Ends the current stdout line if one is open. */
void cli_end_line(void)
{
    if (stdout_line_open)
        fputc('\n', stdout);
    stdout_line_open = 0;
}

/** Prints text and refusal deltas as they arrive. */
int cli_print_delta(void *userdata, const oai_event *ev)
{
    int type = oai_event_type_of(ev);

    if (type == OAI_EVENT_TEXT || type == OAI_EVENT_REFUSAL) {
        cli_write_text(oai_event_text(ev), oai_event_text_len(ev));
        if (userdata && oai_event_text_len(ev) > 0)
            *(int *)userdata = 1;
    }
    return 0;
}

/** Writes the raw body to stdout, ending it with a newline. */
int cli_print_body(const oai_response *res)
{
    size_t len = oai_response_body_len(res);
    const char *body = oai_response_body(res);

    if (len == 0)
        return CLI_EXIT_OK;
    cli_write_text(body, len);
    cli_end_line();
    return CLI_EXIT_OK;
}

/** Flushes stdout, reporting a write error (full disk, closed pipe). */
int cli_finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_report_status(OAI_ERR_IO, "cannot write to standard output");
    return CLI_EXIT_OK;
}
