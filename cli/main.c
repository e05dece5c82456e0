/*
 * `oai`: a command-line client for the OpenAI API and compatible servers,
 * built on liboai's public API.
 *
 *   oai [--base-url URL] [--api-key KEY] [-v] COMMAND [ARGS...]
 *
 * This file parses the global options and dispatches to a command from the
 * table below; each command lives in its own cmd_*.c file.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "cli.h"

/* The commands, in the order --help lists them. */
static const cli_command *const commands[] = {
    &cli_cmd_chat,
    &cli_cmd_complete,
    &cli_cmd_responses,
    &cli_cmd_embeddings,
    &cli_cmd_models,
    &cli_cmd_data,
    &cli_cmd_tokens,
    &cli_cmd_files,
    &cli_cmd_fine_tune,
    &cli_cmd_batch,
    &cli_cmd_webhook,
    &cli_cmd_api,
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

/** Prints the tool's usage, its commands and its exit statuses. */
void cli_usage(FILE *out)
{
    size_t i;

    fputs("Usage: oai [--base-url URL] [--api-key KEY] [-v] COMMAND [ARGS...]\n"
          "\n"
          "A command-line client for the OpenAI API and compatible servers.\n"
          "\n"
          "Commands:\n",
          out);
    for (i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fputs("  help       Show the usage of a command: oai help COMMAND\n"
          "\n"
          "Global options (before the command, or among its arguments):\n"
          "  --base-url URL  API base URL (default $OPENAI_BASE_URL, else\n"
          "                  https://api.openai.com/v1)\n"
          "  --api-key KEY   API key (default $OPENAI_API_KEY)\n"
          "  --azure         Azure OpenAI (also OPENAI_API_TYPE=azure; docs/azure.md):\n"
          "                  key $AZURE_OPENAI_API_KEY, or $AZURE_OPENAI_AD_TOKEN\n"
          "  --azure-endpoint URL  https://RESOURCE.openai.azure.com (default\n"
          "                  $AZURE_OPENAI_ENDPOINT)\n"
          "  --api-version V Azure API version: v1, or a date such as 2024-10-21\n"
          "                  (default $OPENAI_API_VERSION)\n"
          "  --azure-deployment NAME  the deployment (default: the model)\n"
          "  -v, --verbose   Log each HTTP attempt to stderr (credentials redacted)\n"
          "  --version       Print the version and exit\n"
          "  -h, --help      Show this help and exit\n"
          "\n"
          "Environment: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID,\n"
          "OPENAI_PROJECT_ID, OPENAI_CUSTOM_HEADERS, OPENAI_LOG,\n"
          "OPENAI_WEBHOOK_SECRET (oai webhook verify).\n"
          "\n"
          "Exit status:\n"
          "   0  success\n"
          "   2  usage error\n"
          "   3  authentication or permission error (HTTP 401, 403)\n"
          "   4  not found (HTTP 404)\n"
          "   5  bad request, conflict or unprocessable (HTTP 400, 409, 422)\n"
          "   6  rate limited (HTTP 429)\n"
          "   7  server error (HTTP 5xx) or another API error\n"
          "   8  connection, TLS or timeout error\n"
          "   9  protocol error (malformed response)\n"
          "  10  local error (I/O, memory, invalid argument or data, cancelled)\n"
          "  11  chat, complete: the answer holds no text, refusal or tool call\n"
          " 130  interrupted (Ctrl-C during an upload or download)\n",
          out);
}

static const cli_command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* "oai: unknown command 'chta'", "Did you mean 'chat'?" and where to look,
 * instead of the whole usage. */
static int unknown_command(const char *name)
{
    const char *names[COMMAND_COUNT + 1];
    size_t i;

    for (i = 0; i < COMMAND_COUNT; i++)
        names[i] = commands[i]->name;
    names[COMMAND_COUNT] = "help";
    return cli_unknown_command("oai", name, names, COMMAND_COUNT + 1);
}

/* `oai help [COMMAND]`: the usage on stdout. */
static int run_help(int argc, char **argv)
{
    const cli_command *cmd;

    if (argc < 2) {
        cli_usage(stdout);
        return cli_finish_output();
    }
    if (argc > 2)
        return cli_usage_error(NULL, "help: too many arguments", NULL);
    cmd = find_command(argv[1]);
    if (!cmd)
        return unknown_command(argv[1]);
    cmd->usage(stdout);
    return cli_finish_output();
}

enum { OPT_HELP = 'h', OPT_VERBOSE = 'v', OPT_BASE_URL = 256, OPT_API_KEY, OPT_VERSION, OPT_AZURE,
       OPT_AZURE_ENDPOINT, OPT_AZURE_DEPLOYMENT, OPT_API_VERSION };

static const cli_option global_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_VERBOSE, 'v', "verbose", 0 },
    { OPT_BASE_URL, 0, "base-url", 1 },
    { OPT_API_KEY, 0, "api-key", 1 },
    { OPT_VERSION, 0, "version", 0 },
    { OPT_AZURE, 0, "azure", 0 },
    { OPT_AZURE_ENDPOINT, 0, "azure-endpoint", 1 },
    { OPT_AZURE_DEPLOYMENT, 0, "azure-deployment", 1 },
    { OPT_API_VERSION, 0, "api-version", 1 },
};

/* Reads the global options; returns CLI_CONTINUE, or the exit status when
 * the tool is done (--help, --version, a usage error). p->next is left at
 * the command. */
static int parse_globals(cli_parser *p, cli_globals *globals)
{
    int opt;

    while ((opt = cli_next_option(p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            cli_usage(stdout);
            return cli_finish_output();
        case OPT_VERSION:
            printf("oai %s\n", oai_version());
            return cli_finish_output();
        case OPT_VERBOSE:
            globals->verbose = 1;
            break;
        case OPT_BASE_URL:
            globals->base_url = p->value;
            break;
        case OPT_API_KEY:
            globals->api_key = p->value;
            break;
        case OPT_AZURE: /* Azure OpenAI (docs/azure.md) */
            globals->azure = 1;
            break;
        case OPT_AZURE_ENDPOINT:
            globals->azure_endpoint = p->value;
            break;
        case OPT_AZURE_DEPLOYMENT:
            globals->azure_deployment = p->value;
            break;
        case OPT_API_VERSION:
            globals->api_version = p->value;
            break;
        default: /* CLI_OPT_ERROR, already described */
            return cli_usage_error(NULL, NULL, NULL);
        }
    }
    return CLI_CONTINUE;
}

/** Parses the global options and runs the command. */
int main(int argc, char **argv)
{
    cli_globals globals = { 0 };
    cli_parser parser;
    const cli_command *cmd;
    int status;

    cli_parser_init(&parser, argc, argv, "oai", global_options,
                    sizeof global_options / sizeof global_options[0]);
    parser.stop_at_operand = 1;
    status = parse_globals(&parser, &globals);
    if (status != CLI_CONTINUE)
        return status;
    if (parser.next >= argc)
        return cli_usage_error(NULL, "missing command", NULL);

    argc -= parser.next;
    argv += parser.next;
    if (strcmp(argv[0], "help") == 0)
        return run_help(argc, argv);
    cmd = find_command(argv[0]);
    if (!cmd)
        return unknown_command(argv[0]);
    cli_accept_global_options(&globals);
    return cmd->run(&globals, argc, argv);
}
