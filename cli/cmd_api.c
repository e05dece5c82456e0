/*
 * `oai api METHOD PATH [JSON]`: call any endpoint and print the response body.
 *
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void api_usage(FILE *out)
{
    fputs("Usage: oai api [-H 'NAME: VALUE']... [-i] [--input FILE] METHOD PATH [JSON]\n"
          "\n"
          "Calls any endpoint and prints the response body as the server sent it,\n"
          "also when the answer is an error (the error line goes to stderr).\n"
          "PATH is relative to the base URL (\"/models\", \"/files?purpose=batch\")\n"
          "or a full http(s) URL; query values are percent-decoded, then encoded\n"
          "again when sent. JSON, if given, is the request body; \"-\" reads it from\n"
          "standard input.\n"
          "\n"
          "Examples:\n"
          "  oai api GET /models\n"
          "  oai api POST /embeddings '{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}'\n"
          "  oai api -i -H 'OpenAI-Beta: assistants=v2' GET /assistants\n"
          "  oai api POST /moderations --input request.json\n"
          "  oai api DELETE /files/file-abc123\n"
          "\n"
          "Options:\n"
          "  -H, --header 'NAME: VALUE'  Send this header too (repeatable)\n"
          "  -i, --include               Print the status line and the headers first\n"
          "      --input FILE            Read the JSON body from FILE (\"-\": standard input)\n"
          "  -h, --help                  Show this help\n",
          out);
}

enum { OPT_HELP = 'h', OPT_HEADER = 'H', OPT_INCLUDE = 'i', OPT_INPUT = 256 };

static const cli_option api_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_HEADER, 'H', "header", 1 },
    { OPT_INCLUDE, 'i', "include", 0 },
    { OPT_INPUT, 0, "input", 1 },
};

/* What the command line asked for. */
typedef struct api_args {
    const char **headers; /* the -H values, in order (malloc'd array) */
    size_t header_count;
    int include;
    const char *input; /* --input FILE, or NULL */
    char **operands;
    int operand_count;
} api_args;

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes %XX escapes in place (a malformed escape is kept as it is). */
static void percent_decode(char *s)
{
    char *out = s;

    for (; *s; s++) {
        int hi, lo;
        if (*s == '%' && (hi = hex_digit((unsigned char)s[1])) >= 0 &&
            (lo = hex_digit((unsigned char)s[2])) >= 0) {
            *out++ = (char)(hi * 16 + lo);
            s += 2;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* Moves each "name=value" pair of @p query (modified) onto the request. */
static oai_status set_query(oai_request *req, char *query)
{
    char *pair = query;

    while (pair && *pair) {
        char *next = strchr(pair, '&');
        char *equals;
        oai_status status;

        if (next)
            *next++ = '\0';
        equals = strchr(pair, '=');
        if (equals)
            *equals++ = '\0';
        percent_decode(pair);
        if (equals)
            percent_decode(equals);
        status = *pair ? oai_request_set_query(req, pair, equals ? equals : "") : OAI_OK;
        if (status != OAI_OK)
            return status;
        pair = next;
    }
    return OAI_OK;
}

/* Creates the request for METHOD and PATH (with its query moved to the
 * request's query parameters); NULL when the library refuses them. */
static oai_request *new_api_request(const char *method, const char *path)
{
    char upper[32];
    char *copy = malloc(strlen(path) + 1);
    char *query;
    oai_request *req = NULL;
    size_t i;

    if (!copy || strlen(method) >= sizeof upper) {
        free(copy);
        return NULL;
    }
    for (i = 0; method[i]; i++)
        upper[i] = (char)toupper((unsigned char)method[i]);
    upper[i] = '\0';
    strcpy(copy, path);
    query = strchr(copy, '?');
    if (query)
        *query++ = '\0';
    req = oai_request_new(upper, copy);
    if (req && query && set_query(req, query) != OAI_OK) {
        oai_request_free(req);
        req = NULL;
    }
    free(copy);
    return req;
}

/* Reads the file at @p path (or stdin for "-") into a new string, or
 * reports why it cannot. */
static char *read_input(const char *path, int *exit_status)
{
    char *dash = "-";
    FILE *in;
    char *text;

    if (strcmp(path, "-") == 0)
        return cli_join_text(1, &dash, exit_status);
    in = fopen(path, "rb");
    if (!in) {
        *exit_status = cli_report_file_error("read", path, errno);
        return NULL;
    }
    errno = 0;
    text = cli_read_all(in);
    if (!text)
        *exit_status = ferror(in) ? cli_report_file_error("read", path, errno ? errno : EIO)
                                  : cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    fclose(in);
    return text;
}

/* Sets the JSON body from the argument ("-": stdin) or the --input file. */
static int set_body(oai_request *req, const api_args *a)
{
    int status = CLI_EXIT_OK;
    char *json = a->input ? read_input(a->input, &status)
                          : cli_join_text(1, &a->operands[2], &status);

    if (!json)
        return status;
    if (oai_request_set_json(req, "", json) != OAI_OK)
        status = cli_usage_error(&cli_cmd_api, a->input ? "the --input file is not JSON:" : "JSON does not parse",
                                 a->input);
    free(json);
    return status;
}

/* Sets one -H 'Name: value'. Values are never echoed: they may be keys. */
static int set_header(oai_request *req, const char *spec)
{
    const char *colon = strchr(spec, ':');
    const char *value;
    char name[256];
    size_t len;

    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof name)
        return cli_usage_error(&cli_cmd_api, "-H needs 'NAME: VALUE'", NULL);
    len = (size_t)(colon - spec);
    memcpy(name, spec, len);
    name[len] = '\0';
    for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
        ;
    if (oai_request_set_header(req, name, value) != OAI_OK)
        return cli_usage_error(&cli_cmd_api, "invalid header", name);
    return CLI_EXIT_OK;
}

/* The reason phrase of common statuses, for -i's status line. */
static const char *reason_phrase(int status)
{
    static const struct {
        int status;
        const char *phrase;
    } phrases[] = {
        { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
        { 301, "Moved Permanently" }, { 302, "Found" }, { 304, "Not Modified" },
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
        { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 408, "Request Timeout" },
        { 409, "Conflict" }, { 413, "Payload Too Large" }, { 415, "Unsupported Media Type" },
        { 422, "Unprocessable Entity" }, { 429, "Too Many Requests" },
        { 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
        { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
    };
    size_t i;

    for (i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (phrases[i].status == status)
            return phrases[i].phrase;
    return "";
}

/* -i: "HTTP 200 OK", the headers as received, and a blank line. (The
 * library does not expose the protocol version, so none is shown.) */
static void print_head(const oai_response *res)
{
    size_t i, count = oai_response_header_count(res);
    int status = oai_response_http_status(res);
    const char *phrase = reason_phrase(status);

    printf("HTTP %d%s%s\n", status, *phrase ? " " : "", phrase);
    for (i = 0; i < count; i++) {
        cli_print_safe(stdout, oai_response_header_name(res, i));
        fputs(": ", stdout);
        cli_print_safe(stdout, oai_response_header_value(res, i));
        putchar('\n');
    }
    putchar('\n');
}

/* Sends the request and prints what came back: with -i the head, then
 * the body, whether the answer is a success or an API error (whose line
 * also goes to stderr). */
static int send_and_print(const cli_globals *globals, const oai_request *req, const api_args *a)
{
    int status;
    oai_client *client = cli_client_new(globals, &status);
    oai_response *res;

    if (!client)
        return status;
    res = oai_client_send(client, req);
    if (oai_response_http_status(res) != 0) { /* an answer came, whatever it says */
        if (a->include)
            print_head(res);
        cli_print_body(res);
    }
    status = cli_check_response(res);
    oai_response_free(res);
    oai_client_free(client);
    if (status == CLI_EXIT_OK)
        return cli_finish_output();
    fflush(stdout);
    return status;
}

/* Reads the options and operands into @p a; CLI_CONTINUE or the exit
 * status. */
static int parse_api_args(int argc, char **argv, api_args *a)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, "oai api", api_options,
                    sizeof api_options / sizeof api_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            api_usage(stdout);
            return cli_finish_output();
        case OPT_HEADER:
            a->headers[a->header_count++] = p.value;
            break;
        case OPT_INCLUDE:
            a->include = 1;
            break;
        case OPT_INPUT:
            a->input = p.value;
            break;
        default: /* CLI_OPT_ERROR, already described */
            return cli_usage_error(&cli_cmd_api, NULL, NULL);
        }
    }
    a->operands = cli_operands(&p);
    a->operand_count = p.operand_count;
    if (p.operand_count < 2)
        return cli_usage_error(&cli_cmd_api, "missing METHOD or PATH", NULL);
    if (p.operand_count > 3)
        return cli_usage_error(&cli_cmd_api, "too many arguments", NULL);
    if (p.operand_count == 3 && a->input)
        return cli_usage_error(&cli_cmd_api, "give the body as JSON or with --input, not both", NULL);
    return CLI_CONTINUE;
}

/* Builds the request from @p a; NULL after reporting why it cannot be. */
static oai_request *build_api_request(const api_args *a, int *exit_status)
{
    oai_request *req = new_api_request(a->operands[0], a->operands[1]);
    size_t i;

    *exit_status = CLI_EXIT_OK;
    if (!req || oai_request_status(req) != OAI_OK) {
        *exit_status = req ? cli_usage_error(&cli_cmd_api, "invalid METHOD or PATH (PATH starts with '/')", NULL)
                           : cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
        oai_request_free(req);
        return NULL;
    }
    /* The body is printed as it came, whatever it is (JSON or not). */
    if (oai_request_set_raw_response(req, 1) != OAI_OK)
        *exit_status = cli_report_status(OAI_ERR_INVALID_ARGUMENT, "cannot build the request");
    for (i = 0; *exit_status == CLI_EXIT_OK && i < a->header_count; i++)
        *exit_status = set_header(req, a->headers[i]);
    if (*exit_status == CLI_EXIT_OK && (a->operand_count == 3 || a->input))
        *exit_status = set_body(req, a);
    if (*exit_status != CLI_EXIT_OK) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

static int run_api(const cli_globals *globals, int argc, char **argv)
{
    api_args a;
    oai_request *req;
    int status;

    memset(&a, 0, sizeof a);
    a.headers = malloc((size_t)argc * sizeof *a.headers); /* at most one -H per argument */
    if (!a.headers)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    status = parse_api_args(argc, argv, &a);
    if (status == CLI_CONTINUE) {
        req = build_api_request(&a, &status);
        if (req) {
            if (strstr(a.operands[1], "://"))
                cli_no_base_url_hint(); /* a full URL: the base URL plays no part */
            status = send_and_print(globals, req, &a);
            oai_request_free(req);
        }
    }
    free(a.headers);
    return status;
}

/** `oai api`. */
const cli_command cli_cmd_api = {
    "api", "Call any endpoint: oai api METHOD PATH [JSON]", run_api, api_usage
};
