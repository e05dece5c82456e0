/*
 * `oai data validate FILE`: check a fine-tuning training file locally,
 * before uploading it, with the library's validator (no network).
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "cli.h"

static int run_validate(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);

static const cli_subcommand data_subcommands[] = {
    { "validate", "oai data validate",
      "FILE [--format chat|preference|completion] [--context-limit N] [--json]",
      "Checks a JSONL training file line by line and prints each problem as\n"
      "FILE:LINE: CODE: MESSAGE, then statistics (examples, messages, an\n"
      "estimate of the tokens). Nothing is sent over the network.\n"
      "Exit status 0 when the file is valid, 10 when it is not or cannot be read.\n"
      "\n"
      "Options:\n"
      "  --format FORMAT       chat (default), preference (DPO) or completion\n"
      "  --context-limit N     report examples estimated above N tokens\n"
      "  --json                print the report as one JSON object\n"
      "  -h, --help            Show this help\n",
      run_validate },
};

static const cli_group data_group = {
    &cli_cmd_data, data_subcommands, sizeof data_subcommands / sizeof data_subcommands[0]
};

enum { OPT_HELP = 'h', OPT_FORMAT = 256, OPT_CONTEXT_LIMIT, OPT_JSON };

static const cli_option validate_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_FORMAT, 0, "format", 1 },
    { OPT_CONTEXT_LIMIT, 0, "context-limit", 1 },
    { OPT_JSON, 0, "json", 0 },
};

/* What the command line asked for. */
typedef struct validate_args {
    const char *path;
    int format;
    int64_t context_limit;
    int json;
} validate_args;

static int parse_format(const char *name)
{
    if (strcmp(name, "chat") == 0)
        return OAI_TRAINING_CHAT;
    if (strcmp(name, "preference") == 0 || strcmp(name, "dpo") == 0)
        return OAI_TRAINING_PREFERENCE;
    if (strcmp(name, "completion") == 0)
        return OAI_TRAINING_COMPLETION;
    return 0;
}

static int parse_validate_args(const cli_subcommand *self, int argc, char **argv, validate_args *a)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, self->prog, validate_options,
                    sizeof validate_options / sizeof validate_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            return cli_subcommand_help(self);
        case OPT_FORMAT:
            a->format = parse_format(p.value);
            if (!a->format)
                return cli_subcommand_usage_error(self, "unknown --format", p.value);
            break;
        case OPT_CONTEXT_LIMIT:
            if (cli_parse_int(p.value, 0, INT64_MAX, &a->context_limit) != 0)
                return cli_subcommand_usage_error(self, "--context-limit needs a number of tokens, not",
                                                  p.value);
            break;
        case OPT_JSON:
            a->json = 1;
            break;
        default:
            return cli_subcommand_usage_error(self, NULL, NULL);
        }
    }
    if (p.operand_count != 1)
        return cli_subcommand_usage_error(self, p.operand_count ? "too many arguments"
                                                                : "missing FILE", NULL);
    a->path = cli_operands(&p)[0];
    return CLI_CONTINUE;
}

/* "FILE:LINE: code: message" for each problem kept, "FILE: ..." for the
 * whole file, and a note when more were found than kept. */
static void print_problems(const char *path, const oai_training_report *report)
{
    size_t i, count = oai_training_report_problem_count(report);
    int64_t total = oai_training_report_stat(report, "problems_total");

    for (i = 0; i < count; i++) {
        int64_t line = oai_training_report_problem_line(report, i);
        cli_print_safe(stdout, path);
        if (line > 0)
            printf(":%lld", (long long)line);
        printf(": %s: ", oai_training_report_problem_code(report, i));
        cli_print_safe(stdout, oai_training_report_problem_message(report, i));
        putchar('\n');
    }
    if (total > (int64_t)count)
        printf("... and %lld more problems (the first %zu are listed)\n",
               (long long)(total - (int64_t)count), count);
}

static int64_t stat_of(const oai_training_report *report, const char *name)
{
    return oai_training_report_stat(report, name);
}

static void print_statistics(const validate_args *a, const oai_training_report *report)
{
    printf("examples:              %lld\n", (long long)oai_training_report_example_count(report));
    if (a->format != OAI_TRAINING_COMPLETION) {
        printf("messages per example:  %lld to %lld (%lld in all)\n",
               (long long)stat_of(report, "messages_min"), (long long)stat_of(report, "messages_max"),
               (long long)stat_of(report, "messages_total"));
        printf("assistant messages:    %lld\n", (long long)stat_of(report, "assistant_messages"));
    }
    printf("characters:            %lld\n", (long long)stat_of(report, "characters"));
    printf("estimated tokens:      %lld (at most %lld in one example)\n",
           (long long)stat_of(report, "tokens_estimated"), (long long)stat_of(report, "tokens_max"));
    if (a->context_limit > 0)
        printf("over the context:      %lld examples (limit %lld tokens)\n",
               (long long)stat_of(report, "examples_over_context"), (long long)a->context_limit);
}

static int print_human_report(const validate_args *a, const oai_training_report *report)
{
    int64_t problems = stat_of(report, "problems_total");

    print_problems(a->path, report);
    if (problems > 0)
        putchar('\n');
    print_statistics(a, report);
    putchar('\n');
    cli_print_safe(stdout, a->path);
    if (oai_training_report_is_valid(report))
        puts(": valid");
    else
        printf(": not valid (%lld problem%s)\n", (long long)problems, problems == 1 ? "" : "s");
    return CLI_EXIT_OK;
}

static int print_json_report(const oai_training_report *report)
{
    char *json = oai_training_report_json_dup(report);

    if (!json)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    puts(json);
    oai_free(json);
    return CLI_EXIT_OK;
}

/* The file could not be validated at all (missing, a directory, memory). */
static int report_unreadable(const char *path, oai_status st)
{
    char message[512];

    if (st != OAI_ERR_IO)
        return cli_report_status(st, NULL);
    snprintf(message, sizeof message, "cannot read '%.400s'", path);
    return cli_report_status(st, message);
}

static int run_validate(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    validate_args a = { NULL, OAI_TRAINING_CHAT, 0, 0 };
    oai_training_report *report = NULL;
    oai_status st;
    int status = parse_validate_args(self, argc, argv, &a);

    (void)globals;
    if (status != CLI_CONTINUE)
        return status;
    status = cli_check_readable_file(a.path); /* names the file and the reason */
    if (status != CLI_EXIT_OK)
        return status;
    report = oai_training_report_new(a.path, a.format, a.context_limit);
    st = report ? oai_training_report_status(report) : OAI_ERR_OUT_OF_MEMORY;
    if (st != OAI_OK && st != OAI_ERR_INVALID_DATA) {
        oai_training_report_free(report);
        return report_unreadable(a.path, st);
    }
    status = a.json ? print_json_report(report) : print_human_report(&a, report);
    if (status == CLI_EXIT_OK)
        status = cli_finish_output();
    if (status == CLI_EXIT_OK && !oai_training_report_is_valid(report))
        status = CLI_EXIT_LOCAL; /* invalid data */
    oai_training_report_free(report);
    return status;
}

static void data_usage(FILE *out)
{
    cli_group_usage(&data_group, out);
}

static int run_data(const cli_globals *globals, int argc, char **argv)
{
    return cli_group_run(&data_group, globals, argc, argv);
}

/** `oai data`. */
const cli_command cli_cmd_data = {
    "data", "Check training data locally before uploading it", run_data, data_usage
};
