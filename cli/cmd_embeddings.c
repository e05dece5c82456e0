/*
 * `oai embeddings`: embeddings of one or more texts (POST /embeddings),
 * printed one vector per line as a JSON array, or the whole response.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_EMBEDDINGS_MODEL "text-embedding-3-small"

static void embeddings_usage(FILE *out)
{
    fputs("Usage: oai embeddings [-m MODEL] [--dimensions N] [--json] TEXT...\n"
          "\n"
          "Sends each TEXT as one input to /embeddings and prints each embedding\n"
          "on its own line, as a JSON array of numbers, in the order of the\n"
          "inputs. \"-\" reads inputs from standard input, one per non-empty line.\n"
          "\n"
          "Options:\n"
          "  -m, --model MODEL        Model (default " DEFAULT_EMBEDDINGS_MODEL ")\n"
          "      --dimensions N       Ask for N dimensions (text-embedding-3 models)\n"
          "      --json               Print the whole response as JSON\n"
          "  -h, --help               Show this help\n",
          out);
}

enum { OPT_HELP = 'h', OPT_MODEL = 'm', OPT_DIMENSIONS = 256, OPT_JSON };

static const cli_option embeddings_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_DIMENSIONS, 0, "dimensions", 1 },
    { OPT_JSON, 0, "json", 0 },
};

typedef struct embeddings_args {
    const char *model;
    int64_t dimensions; /* 0: not given */
    int json;
    int count;
    char **texts;
} embeddings_args;

/* Appends each non-empty line of standard input as an input. */
static oai_status add_stdin_lines(oai_request *req, int *exit_status)
{
    char *text = cli_read_all(stdin);
    oai_status status = OAI_OK;

    if (!text) {
        *exit_status = cli_report_status(OAI_ERR_IO, "cannot read standard input");
        return OAI_ERR_IO;
    }
    for (char *line = strtok(text, "\r\n"); line && status == OAI_OK; line = strtok(NULL, "\r\n"))
        status = oai_request_set_string(req, "/input/-", line);
    free(text);
    return status;
}

static oai_request *build_embeddings_request(const embeddings_args *a, int *exit_status)
{
    oai_request *req = oai_embedding_create_request_new(a->model, "");
    oai_status status;

    *exit_status = CLI_EXIT_OK;
    if ((*exit_status = cli_check_request(req)) != CLI_EXIT_OK)
        return NULL;
    status = oai_request_set_json(req, "/input", "[]");
    for (int i = 0; i < a->count && status == OAI_OK; i++) {
        if (strcmp(a->texts[i], "-") == 0)
            status = add_stdin_lines(req, exit_status);
        else
            status = oai_request_set_string(req, "/input/-", a->texts[i]);
    }
    if (status == OAI_OK && oai_request_get_count(req, "/input") == 0) {
        oai_request_free(req);
        *exit_status = cli_usage_error(&cli_cmd_embeddings, "no input text", NULL);
        return NULL;
    }
    if (status == OAI_OK && a->dimensions > 0)
        status = oai_request_set_int(req, "/dimensions", a->dimensions);
    if (status != OAI_OK) {
        if (*exit_status == CLI_EXIT_OK)
            *exit_status = cli_report_status(status, "cannot build the request (is the text valid UTF-8?)");
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* One line per embedding: the server's array as it sent it, or the decoded
 * vector of a base64 answer. */
static int print_embeddings(const oai_response *res, void *userdata)
{
    const embeddings_args *a = userdata;
    size_t n = oai_response_embedding_count(res);

    if (a->json)
        return cli_print_json_line(oai_response_json(res));
    for (size_t i = 0; i < n; i++) {
        char pointer[64];
        const char *text;

        snprintf(pointer, sizeof pointer, "/data/%zu/embedding", i);
        text = oai_value_type_of(oai_response_get(res, pointer)) == OAI_VALUE_ARRAY
                   ? oai_response_get_json_text(res, pointer)
                   : NULL;
        if (text) {
            puts(text);
            continue;
        }
        size_t dim = 0;
        const double *v = oai_response_embedding(res, i, &dim);
        if (!v)
            return cli_report_status(OAI_ERR_PROTOCOL, "an item of the answer holds no embedding");
        putchar('[');
        for (size_t k = 0; k < dim; k++)
            printf(k ? ",%.9g" : "%.9g", v[k]);
        puts("]");
    }
    if (n == 0)
        return cli_report_status(OAI_ERR_PROTOCOL, "the answer holds no embedding");
    return cli_finish_output();
}

static int run_embeddings(const cli_globals *globals, int argc, char **argv)
{
    embeddings_args args;
    cli_parser p;
    int opt, status;
    oai_request *req;

    memset(&args, 0, sizeof args);
    args.model = DEFAULT_EMBEDDINGS_MODEL;
    cli_parser_init(&p, argc, argv, "oai embeddings", embeddings_options,
                    sizeof embeddings_options / sizeof embeddings_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            embeddings_usage(stdout);
            return cli_finish_output();
        case OPT_MODEL:
            args.model = p.value;
            break;
        case OPT_JSON:
            args.json = 1;
            break;
        case OPT_DIMENSIONS:
            if (cli_parse_int(p.value, 1, 1000000, &args.dimensions) != 0)
                return cli_usage_error(&cli_cmd_embeddings, "--dimensions needs a positive integer", p.value);
            break;
        default:
            return cli_usage_error(&cli_cmd_embeddings, NULL, NULL);
        }
    }
    if (p.operand_count == 0)
        return cli_usage_error(&cli_cmd_embeddings, "missing TEXT", NULL);
    args.count = p.operand_count;
    args.texts = cli_operands(&p);
    req = build_embeddings_request(&args, &status);
    if (!req)
        return status;
    status = cli_run_request(globals, req, print_embeddings, &args);
    oai_request_free(req);
    return status;
}

/** `oai embeddings`. */
const cli_command cli_cmd_embeddings = {
    "embeddings", "Embed texts: print one vector per input", run_embeddings, embeddings_usage
};
