/*
 * `oai chat`: one chat completion, printed as text (or streamed).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_CHAT_MODEL "gpt-4o-mini"

static void chat_usage(FILE *out)
{
    fputs("Usage: oai chat [-m MODEL] [-s DEVELOPER_PROMPT] [--system SYSTEM_PROMPT]\n"
          "                [--stream] [-t TEMPERATURE] [--max-tokens N] [--json]\n"
          "                [--schema FILE [--schema-name NAME]] PROMPT...\n"
          "\n"
          "Sends PROMPT as a user message to /chat/completions and prints the\n"
          "answer. Several PROMPT words are joined with spaces; \"-\" reads the\n"
          "prompt from standard input.\n"
          "\n"
          "Options:\n"
          "  -m, --model MODEL        Model (default " DEFAULT_CHAT_MODEL ")\n"
          "  -s, --developer TEXT     Instructions, sent first as a \"developer\" message\n"
          "      --system TEXT        The same as a \"system\" message, for servers that\n"
          "                           do not know the developer role\n"
          "      --stream             Print the answer as it is generated\n"
          "  -t, --temperature T      Sampling temperature, e.g. 0.7\n"
          "      --max-tokens N       Limit the answer to N tokens\n"
          "      --json               Print the whole response as JSON (after a stream:\n"
          "                           the accumulated response)\n"
          "      --schema FILE        Structured output: ask for JSON that follows the\n"
          "                           JSON Schema in FILE (strict), print it parsed, on\n"
          "                           one line\n"
          "      --schema-name NAME   The schema's name (default: FILE's base name)\n"
          "  -h, --help               Show this help\n",
          out);
}

typedef struct chat_args {
    const char *model;
    const char *developer;
    const char *system;
    int stream;
    int json;
    const char *schema;
    const char *schema_name;
    cli_sampling sampling;
    char *prompt; /* owned */
} chat_args;

enum { OPT_HELP = 'h', OPT_MODEL = 'm', OPT_DEVELOPER = 's', OPT_TEMPERATURE = 't',
       OPT_STREAM = 256, OPT_MAX_TOKENS, OPT_SYSTEM, OPT_JSON, OPT_SCHEMA, OPT_SCHEMA_NAME };

static const cli_option chat_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_DEVELOPER, 's', "developer", 1 },
    { OPT_SYSTEM, 0, "system", 1 },
    { OPT_TEMPERATURE, 't', "temperature", 1 },
    { OPT_STREAM, 0, "stream", 0 },
    { OPT_MAX_TOKENS, 0, "max-tokens", 1 },
    { OPT_JSON, 0, "json", 0 },
    { OPT_SCHEMA, 0, "schema", 1 },
    { OPT_SCHEMA_NAME, 0, "schema-name", 1 },
};

/* Handles one option; returns CLI_CONTINUE or the exit status. */
static int chat_option(cli_parser *p, int opt, chat_args *a)
{
    switch (opt) {
    case OPT_HELP:
        chat_usage(stdout);
        return cli_finish_output();
    case OPT_MODEL:
        a->model = p->value;
        return CLI_CONTINUE;
    case OPT_DEVELOPER:
        a->developer = p->value;
        return CLI_CONTINUE;
    case OPT_SYSTEM:
        a->system = p->value;
        return CLI_CONTINUE;
    case OPT_STREAM:
        a->stream = 1;
        return CLI_CONTINUE;
    case OPT_JSON:
        a->json = 1;
        return CLI_CONTINUE;
    case OPT_SCHEMA:
        a->schema = p->value;
        return CLI_CONTINUE;
    case OPT_SCHEMA_NAME:
        a->schema_name = p->value;
        return CLI_CONTINUE;
    case OPT_TEMPERATURE:
        return cli_parse_temperature(&cli_cmd_chat, p->value, &a->sampling);
    case OPT_MAX_TOKENS:
        return cli_parse_max_tokens(&cli_cmd_chat, p->value, &a->sampling);
    default: /* CLI_OPT_ERROR, already described */
        return cli_usage_error(&cli_cmd_chat, NULL, NULL);
    }
}

/* Fills @p a from the command line; returns CLI_CONTINUE or the exit status. */
static int parse_chat_args(int argc, char **argv, chat_args *a)
{
    cli_parser p;
    int opt, status;

    memset(a, 0, sizeof *a);
    a->model = DEFAULT_CHAT_MODEL;
    cli_parser_init(&p, argc, argv, "oai chat", chat_options,
                    sizeof chat_options / sizeof chat_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        status = chat_option(&p, opt, a);
        if (status != CLI_CONTINUE)
            return status;
    }
    return cli_prompt_operands(&cli_cmd_chat, &p, a->schema, a->schema_name, &a->prompt);
}

/* Whether anything was printed while streaming, and what to print. */
typedef struct chat_output {
    int streamed_text;
    int json;          /* --json: the whole response */
    int parsed;        /* --schema: the answer parsed */
} chat_output;

/* Builds the request, or reports why it cannot be built. */
static oai_request *build_chat_request(const chat_args *a, chat_output *out, int *exit_status)
{
    oai_request *req = oai_chat_completion_create_request_new(a->model);
    oai_status status = OAI_OK;

    if ((*exit_status = cli_check_request(req)) != CLI_EXIT_OK)
        return NULL;
    if (a->system)
        status = oai_chat_request_add_message(req, "system", a->system);
    if (status == OAI_OK && a->developer)
        status = oai_chat_request_add_message(req, "developer", a->developer);
    if (status == OAI_OK)
        status = oai_chat_request_add_message(req, "user", a->prompt);
    if (status == OAI_OK)
        status = cli_apply_sampling(req, &a->sampling);
    if (status == OAI_OK && a->stream)
        status = oai_request_set_event_callback(req, cli_stream_printer(a->json || a->schema != NULL),
                                                &out->streamed_text);
    if (status == OAI_OK && a->schema) {
        *exit_status = cli_apply_schema(req, a->schema, a->schema_name);
        if (*exit_status != CLI_EXIT_OK) {
            oai_request_free(req);
            return NULL;
        }
    }
    out->json = a->json;
    out->parsed = a->schema != NULL;
    if (status != OAI_OK) {
        *exit_status = cli_report_status(status, "cannot build the request (is the text valid UTF-8?)");
        oai_request_free(req);
        return NULL;
    }
    return req;
}

/* Prints the answer (text, or tool calls), or says there is none: a
 * refusal, reasoning only, or an empty answer (cli_print_answer()). */
static int print_answer(const oai_response *res, void *userdata)
{
    const chat_output *out = userdata;

    if (out->json)
        return cli_print_json_line(oai_response_json(res));
    if (out->parsed)
        return cli_print_parsed(res);
    return cli_print_answer(res, out->streamed_text);
}

static int run_chat(const cli_globals *globals, int argc, char **argv)
{
    chat_args args;
    chat_output out = { 0 };
    oai_request *req;
    int status = parse_chat_args(argc, argv, &args);

    if (status != CLI_CONTINUE)
        return status;
    req = build_chat_request(&args, &out, &status);
    if (req) {
        status = cli_run_request(globals, req, print_answer, &out);
        oai_request_free(req);
    }
    free(args.prompt);
    return status;
}

/** `oai chat`. */
const cli_command cli_cmd_chat = {
    "chat", "Chat with a model: print the answer to a prompt", run_chat, chat_usage
};
