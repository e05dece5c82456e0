/*
 * `oai complete`: one legacy completion (POST /completions), printed as text.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void complete_usage(FILE *out)
{
    fputs("Usage: oai complete -m MODEL [--stream] [-t TEMPERATURE] [--max-tokens N]\n"
          "                    PROMPT...\n"
          "\n"
          "Sends PROMPT to the legacy /completions endpoint (e.g. with\n"
          "gpt-3.5-turbo-instruct, or a local server's base model) and prints the\n"
          "generated text. Several PROMPT words are joined with spaces; \"-\" reads\n"
          "the prompt from standard input.\n"
          "\n"
          "Options:\n"
          "  -m, --model MODEL        Model (required)\n"
          "      --stream             Print the text as it is generated\n"
          "  -t, --temperature T      Sampling temperature, e.g. 0.7\n"
          "      --max-tokens N       Generate at most N tokens\n"
          "  -h, --help               Show this help\n",
          out);
}

typedef struct complete_args {
    const char *model;
    int stream;
    cli_sampling sampling;
    char *prompt; /* owned */
} complete_args;

enum { OPT_HELP = 'h', OPT_MODEL = 'm', OPT_TEMPERATURE = 't', OPT_STREAM = 256, OPT_MAX_TOKENS };

static const cli_option complete_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_TEMPERATURE, 't', "temperature", 1 },
    { OPT_STREAM, 0, "stream", 0 },
    { OPT_MAX_TOKENS, 0, "max-tokens", 1 },
};

/* Handles one option; returns CLI_CONTINUE or the exit status. */
static int complete_option(cli_parser *p, int opt, complete_args *a)
{
    switch (opt) {
    case OPT_HELP:
        complete_usage(stdout);
        return cli_finish_output();
    case OPT_MODEL:
        a->model = p->value;
        return CLI_CONTINUE;
    case OPT_STREAM:
        a->stream = 1;
        return CLI_CONTINUE;
    case OPT_TEMPERATURE:
        return cli_parse_temperature(&cli_cmd_complete, p->value, &a->sampling);
    case OPT_MAX_TOKENS:
        return cli_parse_max_tokens(&cli_cmd_complete, p->value, &a->sampling);
    default: /* CLI_OPT_ERROR, already described */
        return cli_usage_error(&cli_cmd_complete, NULL, NULL);
    }
}

/* Fills @p a from the command line; returns CLI_CONTINUE or the exit status. */
static int parse_complete_args(int argc, char **argv, complete_args *a)
{
    cli_parser p;
    int opt, status;

    memset(a, 0, sizeof *a);
    cli_parser_init(&p, argc, argv, "oai complete", complete_options,
                    sizeof complete_options / sizeof complete_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        status = complete_option(&p, opt, a);
        if (status != CLI_CONTINUE)
            return status;
    }
    /* Legacy models are not chat models: there is no sensible default. */
    if (!a->model)
        return cli_usage_error(&cli_cmd_complete, "missing -m MODEL", NULL);
    if (p.operand_count == 0)
        return cli_usage_error(&cli_cmd_complete, "missing PROMPT", NULL);
    a->prompt = cli_join_text(p.operand_count, cli_operands(&p), &status);
    return a->prompt ? CLI_CONTINUE : status;
}

/* Builds the request, or reports why it cannot be built. */
static oai_request *build_complete_request(const complete_args *a, int *streamed, int *exit_status)
{
    oai_request *req = oai_completion_create_request_new(a->model, a->prompt);
    oai_status status;

    if ((*exit_status = cli_check_request(req)) != CLI_EXIT_OK)
        return NULL;
    status = cli_apply_sampling(req, &a->sampling);
    if (status == OAI_OK && a->stream)
        status = oai_request_set_event_callback(req, cli_print_delta, streamed);
    if (status != OAI_OK) {
        *exit_status = cli_report_status(status, "cannot build the request");
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Prints the generated text, or says there is none (cli_print_answer()). */
static int print_completion(const oai_response *res, void *userdata)
{
    const int *streamed = userdata;

    return cli_print_answer(res, *streamed);
}

static int run_complete(const cli_globals *globals, int argc, char **argv)
{
    complete_args args;
    int streamed = 0;
    oai_request *req;
    int status = parse_complete_args(argc, argv, &args);

    if (status != CLI_CONTINUE)
        return status;
    req = build_complete_request(&args, &streamed, &status);
    if (req) {
        status = cli_run_request(globals, req, print_completion, &streamed);
        oai_request_free(req);
    }
    free(args.prompt);
    return status;
}

/** `oai complete`. */
const cli_command cli_cmd_complete = {
    "complete", "Complete a prompt with a legacy completions model", run_complete, complete_usage
};
