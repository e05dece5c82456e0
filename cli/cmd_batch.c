/*
 * `oai batch`: create batches from an uploaded JSONL file of requests,
 * list, show and cancel them, and download their results (`/batches`).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_create(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_list(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_get(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_cancel(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_results(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);

static const cli_subcommand batch_subcommands[] = {
    { "create", "oai batch create", "--input-file ID --endpoint PATH [--window 24h] [--json]",
      "Starts a batch over an uploaded JSONL file of requests (purpose batch)\n"
      "and prints its id and status.\n"
      "\n"
      "Options:\n"
      "  -i, --input-file ID   the id of the uploaded input file\n"
      "  -e, --endpoint PATH   the endpoint of every request, e.g.\n"
      "                        /v1/chat/completions (\"/v1\" is added if missing)\n"
      "  --window WINDOW       the completion window (default 24h)\n"
      "  --json                print the batch object\n"
      "  -h, --help            Show this help\n",
      run_create },
    { "list", "oai batch list", "[--limit N] [--json]",
      "Lists the batches, newest first: id, status, endpoint and the requests\n"
      "completed out of the total, one batch per line.\n"
      "\n"
      "Options:\n"
      "  --limit N    stop after N batches\n"
      "  --json       print each batch object, one per line\n"
      "  -h, --help   Show this help\n",
      run_list },
    { "get", "oai batch get", "ID [--json]",
      "Shows a batch's details.\n"
      "\n"
      "Options:\n"
      "  --json       print the batch object\n"
      "  -h, --help   Show this help\n",
      run_get },
    { "cancel", "oai batch cancel", "ID [--json]",
      "Cancels a batch and prints its id and new status.\n"
      "\n"
      "Options:\n"
      "  --json       print the batch object\n"
      "  -h, --help   Show this help\n",
      run_cancel },
    { "results", "oai batch results", "ID [-o PATH] [--errors]",
      "Downloads the batch's output file (one JSON result per line) to PATH or\n"
      "standard output. Exit status 10 when the batch has no output file yet.\n"
      "\n"
      "Options:\n"
      "  -o, --output PATH   where to write the results (\"-\": standard output)\n"
      "  --errors            download the error file (failed requests) instead\n"
      "  -h, --help          Show this help\n",
      run_results },
};

static const cli_group batch_group = {
    &cli_cmd_batch, batch_subcommands, sizeof batch_subcommands / sizeof batch_subcommands[0]
};

enum {
    OPT_HELP = 'h',
    OPT_INPUT_FILE = 'i',
    OPT_ENDPOINT = 'e',
    OPT_OUTPUT = 'o',
    OPT_JSON = 256,
    OPT_WINDOW,
    OPT_LIMIT,
    OPT_ERRORS
};

/* "batch_abc validating" */
static void print_batch_status(const oai_value *batch)
{
    cli_print_safe(stdout, oai_value_get_string(batch, "/id"));
    putchar(' ');
    cli_print_safe(stdout, oai_value_get_string(batch, "/status"));
    putchar('\n');
}

/* ------------------------------------------------------------------------ */
/* create */

static const cli_option create_options[] = {
    { OPT_HELP, 'h', "help", 0 },         { OPT_INPUT_FILE, 'i', "input-file", 1 },
    { OPT_ENDPOINT, 'e', "endpoint", 1 }, { OPT_WINDOW, 0, "window", 1 },
    { OPT_JSON, 0, "json", 0 },
};

typedef struct create_args {
    const char *input_file, *endpoint, *window;
    int json;
} create_args;

static int parse_create_args(const cli_subcommand *self, int argc, char **argv, create_args *a)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, self->prog, create_options,
                    sizeof create_options / sizeof create_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP: return cli_subcommand_help(self);
        case OPT_INPUT_FILE: a->input_file = p.value; break;
        case OPT_ENDPOINT: a->endpoint = p.value; break;
        case OPT_WINDOW: a->window = p.value; break;
        case OPT_JSON: a->json = 1; break;
        default: return cli_subcommand_usage_error(self, NULL, NULL);
        }
    }
    if (p.operand_count > 0)
        return cli_subcommand_usage_error(self, "unexpected argument", cli_operands(&p)[0]);
    if (!a->input_file || !*a->input_file)
        return cli_subcommand_usage_error(self, "--input-file is required", NULL);
    if (!a->endpoint || a->endpoint[0] != '/')
        return cli_subcommand_usage_error(self, "--endpoint needs a path such as /v1/chat/completions",
                                          NULL);
    if (a->window && !*a->window)
        return cli_subcommand_usage_error(self, "--window needs a value such as 24h", NULL);
    return CLI_CONTINUE;
}

/* The API wants the endpoint with its version ("/v1/chat/completions"),
 * unlike request paths, which are relative to the base URL: add it. */
static char *full_endpoint(const char *endpoint)
{
    size_t len = strlen(endpoint) + 4;
    char *full = malloc(len);

    if (!full)
        return NULL;
    if (strncmp(endpoint, "/v1/", 4) == 0)
        snprintf(full, len, "%s", endpoint);
    else
        snprintf(full, len, "/v1%s", endpoint);
    return full;
}

static int run_create(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    create_args a = { NULL, NULL, NULL, 0 };
    char *endpoint;
    oai_request *req;
    int status = parse_create_args(self, argc, argv, &a);

    if (status != CLI_CONTINUE)
        return status;
    endpoint = full_endpoint(a.endpoint);
    if (!endpoint)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    req = oai_batch_create_request_new(a.input_file, endpoint, a.window);
    free(endpoint);
    return cli_show_object(globals, req, a.json, print_batch_status);
}

/* ------------------------------------------------------------------------ */
/* list, get, cancel */

static const cli_option list_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_LIMIT, 0, "limit", 1 },
    { OPT_JSON, 0, "json", 0 },
};

/* "batch_abc  completed  /v1/chat/completions  2/3" */
static void print_batch_line(const oai_value *batch)
{
    cli_print_safe(stdout, oai_value_get_string(batch, "/id"));
    fputs("  ", stdout);
    cli_print_safe(stdout, oai_value_get_string(batch, "/status"));
    fputs("  ", stdout);
    cli_print_safe(stdout, oai_value_get_string(batch, "/endpoint"));
    printf("  %lld/%lld\n", (long long)oai_value_get_int(batch, "/request_counts/completed"),
           (long long)oai_value_get_int(batch, "/request_counts/total"));
}

static int run_list(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    int64_t limit = 0;
    int json = 0, opt, status = CLI_CONTINUE;
    cli_parser p;

    cli_parser_init(&p, argc, argv, self->prog, list_options, sizeof list_options / sizeof list_options[0]);
    while (status == CLI_CONTINUE && (opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        if (opt == OPT_LIMIT)
            status = cli_parse_limit(self, p.value, &limit);
        else if (opt == OPT_JSON)
            json = 1;
        else
            return cli_subcommand_usage_error(self, NULL, NULL);
    }
    if (status != CLI_CONTINUE)
        return status;
    if (p.operand_count > 0)
        return cli_subcommand_usage_error(self, "too many arguments", NULL);
    return cli_list(globals, oai_batch_list_request_new(), limit, json, print_batch_line);
}

static void print_batch(const oai_value *batch)
{
    cli_print_field("id:", oai_value_get_string(batch, "/id"));
    cli_print_field("status:", oai_value_get_string(batch, "/status"));
    cli_print_field("endpoint:", oai_value_get_string(batch, "/endpoint"));
    cli_print_field("input_file_id:", oai_value_get_string(batch, "/input_file_id"));
    cli_print_field("output_file_id:", oai_value_get_string(batch, "/output_file_id"));
    cli_print_field("error_file_id:", oai_value_get_string(batch, "/error_file_id"));
    cli_print_field("completion_window:", oai_value_get_string(batch, "/completion_window"));
    cli_print_field_int("requests_total:", oai_value_get(batch, "/request_counts/total"));
    cli_print_field_int("requests_completed:", oai_value_get(batch, "/request_counts/completed"));
    cli_print_field_int("requests_failed:", oai_value_get(batch, "/request_counts/failed"));
    cli_print_field_time("created_at:", oai_value_get(batch, "/created_at"));
    cli_print_field_time("completed_at:", oai_value_get(batch, "/completed_at"));
    cli_print_field_time("expires_at:", oai_value_get(batch, "/expires_at"));
    if (oai_value_get_string(batch, "/errors/data/0/message"))
        cli_print_field("error:", oai_value_get_string(batch, "/errors/data/0/message"));
}

static int run_get(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *id;
    int json, status = cli_parse_id_args(self, argc, argv, &id, &json);

    if (status != CLI_CONTINUE)
        return status;
    return cli_show_object(globals, oai_batch_retrieve_request_new(id), json, print_batch);
}

static int run_cancel(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *id;
    int json, status = cli_parse_id_args(self, argc, argv, &id, &json);

    if (status != CLI_CONTINUE)
        return status;
    return cli_show_object(globals, oai_batch_cancel_request_new(id), json, print_batch_status);
}

/* ------------------------------------------------------------------------ */
/* results */

static const cli_option results_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_OUTPUT, 'o', "output", 1 },
    { OPT_ERRORS, 0, "errors", 0 },
};

/* There is no such file (yet): say why, with the batch's status. */
static int no_result_file(const char *batch_id, const char *which, const char *status)
{
    fputs("oai batch results: batch ", stderr);
    cli_print_safe(stderr, batch_id);
    fprintf(stderr, " has no %s file", which);
    if (status) {
        fputs(" (status ", stderr);
        cli_print_safe(stderr, status);
        fputc(')', stderr);
    }
    fputs(status && strcmp(status, "completed") == 0 ? "\n" : "; try again once it is completed\n",
          stderr);
    return CLI_EXIT_LOCAL;
}

/* Looks the batch up, then downloads its output (or error) file. */
static int download_results(oai_client *client, const char *batch_id, int errors, const char *output)
{
    oai_request *req = oai_batch_retrieve_request_new(batch_id);
    oai_response *res;
    const char *file_id;
    int status;

    if ((status = cli_check_request(req)) != CLI_EXIT_OK)
        return status;
    res = oai_client_send(client, req);
    oai_request_free(req);
    status = cli_check_response(res);
    if (status == CLI_EXIT_OK) {
        file_id = oai_response_get_string(res, errors ? "/error_file_id" : "/output_file_id");
        if (!file_id || !*file_id)
            status = no_result_file(batch_id, errors ? "error" : "output",
                                    oai_response_get_string(res, "/status"));
        else
            status = cli_download(client, oai_file_retrieve_content_request_new(file_id), output);
    }
    oai_response_free(res);
    return status;
}

static int run_results(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *output = NULL;
    int errors = 0, opt, status;
    oai_client *client;
    cli_parser p;

    cli_parser_init(&p, argc, argv, self->prog, results_options,
                    sizeof results_options / sizeof results_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        if (opt == OPT_OUTPUT)
            output = p.value;
        else if (opt == OPT_ERRORS)
            errors = 1;
        else
            return cli_subcommand_usage_error(self, NULL, NULL);
    }
    if (p.operand_count != 1)
        return cli_subcommand_usage_error(self, p.operand_count ? "too many arguments"
                                                                : "missing ID", NULL);
    if (output && !*output)
        return cli_subcommand_usage_error(self, "-o needs a path", NULL);
    if (output && strcmp(output, "-") == 0)
        output = NULL;
    client = cli_client_new(globals, &status);
    if (!client)
        return status;
    status = download_results(client, cli_operands(&p)[0], errors, output);
    oai_client_free(client);
    return status;
}

static void batch_usage(FILE *out)
{
    cli_group_usage(&batch_group, out);
}

static int run_batch(const cli_globals *globals, int argc, char **argv)
{
    return cli_group_run(&batch_group, globals, argc, argv);
}

/** `oai batch`. */
const cli_command cli_cmd_batch = {
    "batch", "Run many requests at once through the Batch API", run_batch, batch_usage
};
