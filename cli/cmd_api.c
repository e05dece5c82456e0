/*
 * `oai api METHOD PATH [JSON]`: call any endpoint and print the response body.
 *
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void api_usage(FILE *out)
{
    fputs("Usage: oai api METHOD PATH [JSON]\n"
          "\n"
          "Calls any endpoint and prints the response body as the server sent it.\n"
          "PATH is relative to the base URL (\"/models\", \"/files?purpose=batch\")\n"
          "or a full http(s) URL; query values are percent-decoded, then encoded\n"
          "again when sent. JSON, if given, is the request body; \"-\" reads it from\n"
          "standard input.\n"
          "\n"
          "Examples:\n"
          "  oai api GET /models\n"
          "  oai api POST /embeddings '{\"model\":\"text-embedding-3-small\",\"input\":\"hi\"}'\n"
          "  oai api DELETE /files/file-abc123\n"
          "\n"
          "Options:\n"
          "  -h, --help   Show this help\n",
          out);
}

static const cli_option api_options[] = {
    { 'h', 'h', "help", 0 },
};

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

/* Sets the JSON body from the argument or, for "-", from stdin. */
static int set_body(oai_request *req, char *json_arg)
{
    int status = CLI_EXIT_OK;
    char *json = cli_join_text(1, &json_arg, &status);

    if (!json)
        return status;
    if (oai_request_set_json(req, "", json) != OAI_OK)
        status = cli_usage_error(&cli_cmd_api, "JSON does not parse", NULL);
    free(json);
    return status;
}

static int print_body(const oai_response *res, void *userdata)
{
    (void)userdata;
    return cli_print_body(res);
}

static int run_api(const cli_globals *globals, int argc, char **argv)
{
    cli_parser p;
    char **operands;
    oai_request *req;
    int opt, status = CLI_EXIT_OK;

    cli_parser_init(&p, argc, argv, "oai api", api_options,
                    sizeof api_options / sizeof api_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt != 'h')
            return cli_usage_error(&cli_cmd_api, NULL, NULL);
        api_usage(stdout);
        return cli_finish_output();
    }
    if (p.operand_count < 2 || p.operand_count > 3)
        return cli_usage_error(&cli_cmd_api, p.operand_count < 2 ? "missing METHOD or PATH"
                                                                  : "too many arguments", NULL);
    operands = cli_operands(&p);
    req = new_api_request(operands[0], operands[1]);
    if (!req)
        return cli_usage_error(&cli_cmd_api, "invalid METHOD or PATH (PATH starts with '/')", NULL);
    if (p.operand_count == 3)
        status = set_body(req, operands[2]);
    if (status == CLI_EXIT_OK)
        status = cli_run_request(globals, req, print_body, NULL);
    oai_request_free(req);
    return status;
}

/** `oai api`. */
const cli_command cli_cmd_api = {
    "api", "Call any endpoint: oai api METHOD PATH [JSON]", run_api, api_usage
};
