/*
 * `oai responses`: one Responses API call (POST /responses), printed as
 * text (or streamed), as JSON, or as structured output.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_RESPONSES_MODEL "gpt-4o-mini"

static void responses_usage(FILE *out)
{
    fputs("Usage: oai responses [-m MODEL] [-i INSTRUCTIONS] [--stream] [-t TEMPERATURE]\n"
          "                     [--max-tokens N] [--json] [--schema FILE [--schema-name NAME]]\n"
          "                     PROMPT...\n"
          "\n"
          "Sends PROMPT as the input of a Responses API call (/responses) and prints\n"
          "the output text. Several PROMPT words are joined with spaces; \"-\" reads\n"
          "the prompt from standard input.\n"
          "\n"
          "Options:\n"
          "  -m, --model MODEL        Model (default " DEFAULT_RESPONSES_MODEL ")\n"
          "  -i, --instructions TEXT  Instructions (the `instructions` field)\n"
          "      --stream             Print the answer as it is generated\n"
          "  -t, --temperature T      Sampling temperature, e.g. 0.7\n"
          "      --max-tokens N       Limit the answer to N tokens (max_output_tokens)\n"
          "      --json               Print the whole response as JSON (after a stream:\n"
          "                           the final response)\n"
          "      --schema FILE        Structured output: ask for JSON that follows the\n"
          "                           JSON Schema in FILE (strict), print it parsed, on\n"
          "                           one line\n"
          "      --schema-name NAME   The schema's name (default: FILE's base name)\n"
          "  -h, --help               Show this help\n",
          out);
}

typedef struct responses_args {
    const char *model;
    const char *instructions;
    int stream;
    int json;
    const char *schema;
    const char *schema_name;
    cli_sampling sampling;
    char *prompt; /* owned */
} responses_args;

enum { OPT_HELP = 'h', OPT_MODEL = 'm', OPT_INSTRUCTIONS = 'i', OPT_TEMPERATURE = 't',
       OPT_STREAM = 256, OPT_MAX_TOKENS, OPT_JSON, OPT_SCHEMA, OPT_SCHEMA_NAME };

static const cli_option responses_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_INSTRUCTIONS, 'i', "instructions", 1 },
    { OPT_TEMPERATURE, 't', "temperature", 1 },
    { OPT_STREAM, 0, "stream", 0 },
    { OPT_MAX_TOKENS, 0, "max-tokens", 1 },
    { OPT_JSON, 0, "json", 0 },
    { OPT_SCHEMA, 0, "schema", 1 },
    { OPT_SCHEMA_NAME, 0, "schema-name", 1 },
};

static int responses_option(cli_parser *p, int opt, responses_args *a)
{
    switch (opt) {
    case OPT_HELP:
        responses_usage(stdout);
        return cli_finish_output();
    case OPT_MODEL:
        a->model = p->value;
        return CLI_CONTINUE;
    case OPT_INSTRUCTIONS:
        a->instructions = p->value;
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
        return cli_parse_temperature(&cli_cmd_responses, p->value, &a->sampling);
    case OPT_MAX_TOKENS:
        return cli_parse_max_tokens(&cli_cmd_responses, p->value, &a->sampling);
    default: /* CLI_OPT_ERROR, already described */
        return cli_usage_error(&cli_cmd_responses, NULL, NULL);
    }
}

static int parse_responses_args(int argc, char **argv, responses_args *a)
{
    cli_parser p;
    int opt, status;

    memset(a, 0, sizeof *a);
    a->model = DEFAULT_RESPONSES_MODEL;
    cli_parser_init(&p, argc, argv, "oai responses", responses_options,
                    sizeof responses_options / sizeof responses_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        status = responses_option(&p, opt, a);
        if (status != CLI_CONTINUE)
            return status;
    }
    return cli_prompt_operands(&cli_cmd_responses, &p, a->schema, a->schema_name, &a->prompt);
}

typedef struct responses_output {
    int streamed_text;
    int json;
    int parsed;
} responses_output;

static oai_request *build_responses_request(const responses_args *a, responses_output *out, int *exit_status)
{
    oai_request *req = oai_response_create_request_new(a->model, a->prompt);
    oai_status status = OAI_OK;

    if ((*exit_status = cli_check_request(req)) != CLI_EXIT_OK)
        return NULL;
    if (a->instructions)
        status = oai_request_set_string(req, "/instructions", a->instructions);
    if (status == OAI_OK && a->sampling.has_temperature)
        status = oai_request_set_number(req, "/temperature", a->sampling.temperature);
    if (status == OAI_OK && a->sampling.max_tokens > 0)
        status = oai_request_set_int(req, "/max_output_tokens", a->sampling.max_tokens);
    if (status == OAI_OK && a->stream)
        status = oai_request_set_event_callback(req, cli_stream_printer(a->json || a->schema != NULL),
                                                &out->streamed_text);
    if (status != OAI_OK) {
        *exit_status = cli_report_status(status, "cannot build the request (is the text valid UTF-8?)");
        oai_request_free(req);
        return NULL;
    }
    if (a->schema && (*exit_status = cli_apply_schema(req, a->schema, a->schema_name)) != CLI_EXIT_OK) {
        oai_request_free(req);
        return NULL;
    }
    out->json = a->json;
    out->parsed = a->schema != NULL;
    return req;
}

/* The output text; function calls as "[tool call] NAME ARGUMENTS"; a
 * refusal in place of the text; or "no answer". */
static int print_output(const oai_response *res, void *userdata)
{
    const responses_output *out = userdata;
    const char *text, *refusal;
    size_t calls;

    if (out->json)
        return cli_print_json_line(oai_response_json(res));
    if (out->parsed)
        return cli_print_parsed(res);
    text = oai_response_text(res);
    if (!out->streamed_text && text && *text)
        cli_write_text(text, strlen(text));
    cli_end_line();
    calls = oai_response_tool_call_count(res);
    for (size_t i = 0; i < calls; i++) {
        fputs("[tool call] ", stdout);
        cli_print_safe(stdout, oai_response_tool_call_name(res, i));
        fputc(' ', stdout);
        cli_print_safe(stdout, oai_response_tool_call_arguments(res, i));
        fputc('\n', stdout);
    }
    if (out->streamed_text || (text && *text) || calls)
        return cli_finish_output();
    refusal = oai_response_refusal(res);
    if (refusal && *refusal) {
        cli_write_text(refusal, strlen(refusal));
        cli_end_line();
        return cli_finish_output();
    }
    fflush(stdout);
    fputs("oai: no answer: the response holds no output text", stderr);
    if (oai_response_get_string(res, "/status")) {
        fputs(" (status: ", stderr);
        cli_print_safe(stderr, oai_response_get_string(res, "/status"));
        fputc(')', stderr);
    }
    fputc('\n', stderr);
    return CLI_EXIT_NO_ANSWER;
}

static int run_responses(const cli_globals *globals, int argc, char **argv)
{
    responses_args args;
    responses_output out = { 0 };
    oai_request *req;
    int status = parse_responses_args(argc, argv, &args);

    if (status != CLI_CONTINUE)
        return status;
    req = build_responses_request(&args, &out, &status);
    if (req) {
        status = cli_run_request(globals, req, print_output, &out);
        oai_request_free(req);
    }
    free(args.prompt);
    return status;
}

/** `oai responses`. */
const cli_command cli_cmd_responses = {
    "responses", "Call the Responses API: print the output for a prompt", run_responses, responses_usage
};
