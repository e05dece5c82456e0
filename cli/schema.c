/*
 * What `oai chat` and `oai responses` share: reading the prompt, the
 * stream's printer, and structured output (--schema: loading the schema
 * file, printing the parsed answer).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_prompt_operands(const cli_command *cmd, cli_parser *p, const char *schema, const char *schema_name,
                        char **prompt)
{
    int status = CLI_CONTINUE;

    if (p->operand_count == 0)
        return cli_usage_error(cmd, "missing PROMPT", NULL);
    if (schema_name && !schema)
        return cli_usage_error(cmd, "--schema-name needs --schema", NULL);
    *prompt = cli_join_text(p->operand_count, cli_operands(p), &status);
    return *prompt ? CLI_CONTINUE : status;
}

/* Takes streamed events without printing them. */
static int quiet_event(void *userdata, const oai_event *ev)
{
    (void)userdata;
    (void)ev;
    return 0;
}

oai_event_fn cli_stream_printer(int print_at_end)
{
    return print_at_end ? quiet_event : cli_print_delta;
}

/* The schema's name from the file's name: its base name without the
 * extension, every character the API does not allow in a name made '_',
 * at most 64 characters; "schema" when nothing is left. */
static void name_from_path(const char *path, char name[65])
{
    const char *base = strrchr(path, '/');
    size_t n = 0;

    base = base ? base + 1 : path;
    for (const char *p = base; *p && *p != '.' && n < 64; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 ch == '_';
        name[n++] = ok ? ch : '_';
    }
    name[n] = '\0';
    if (n == 0)
        strcpy(name, "schema");
}

int cli_apply_schema(oai_request *req, const char *path, const char *name)
{
    char derived[65];
    FILE *fp;
    char *text;
    oai_status status;
    int exit_status = cli_check_readable_file(path);

    if (exit_status != CLI_EXIT_OK)
        return exit_status;
    fp = fopen(path, "rb");
    if (!fp)
        return cli_report_file_error("open", path, errno);
    text = cli_read_all(fp);
    fclose(fp);
    if (!text)
        return cli_report_file_error("read", path, errno ? errno : EIO);
    if (!name) {
        name_from_path(path, derived);
        name = derived;
    }
    status = oai_request_set_json_schema(req, name, text, 1);
    free(text);
    if (status == OAI_ERR_INVALID_ARGUMENT) {
        fprintf(stderr, "oai: OAI_ERR_INVALID_ARGUMENT: ");
        if (!name[0] || strlen(name) > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                          "0123456789_-") != strlen(name))
            fprintf(stderr, "the schema name must be 1 to 64 of a-z, A-Z, 0-9, '_' and '-'\n");
        else {
            fputs("the schema file '", stderr);
            cli_print_safe(stderr, path);
            fputs("' does not hold a JSON object\n", stderr);
        }
        return CLI_EXIT_USAGE;
    }
    if (status != OAI_OK)
        return cli_report_status(status, "cannot set the schema");
    return CLI_EXIT_OK;
}

int cli_print_parsed(const oai_response *res)
{
    oai_status status = oai_response_parsed_status(res);
    const char *refusal;

    if (status == OAI_OK)
        return cli_print_json_line(oai_response_parsed(res));
    refusal = oai_response_refusal(res);
    if (status == OAI_ERR_TYPE && refusal) {
        fputs("oai: no answer: the model refused: ", stderr);
        cli_print_safe(stderr, refusal);
        fputc('\n', stderr);
        return CLI_EXIT_NO_ANSWER;
    }
    if (status == OAI_ERR_TYPE) {
        fprintf(stderr, "oai: no answer: %s\n", oai_response_parsed_error_message(res));
        return CLI_EXIT_NO_ANSWER;
    }
    return cli_report_status(status, oai_response_parsed_error_message(res));
}
