/*
 * `oai data validate FILE`: check a fine-tuning training file locally,
 * before uploading it, with the library's validator (no network).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_validate(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);

static const cli_subcommand data_subcommands[] = {
    { "validate", "oai data validate",
      "FILE [--format chat|preference|completion] [-m MODEL | -e ENCODING]\n"
      "       [--context-limit N] [--epochs N] [--estimate] [--vocab-dir DIR] [--json]",
      "Checks a JSONL training file line by line and prints each problem as\n"
      "FILE:LINE: CODE: MESSAGE, then statistics: examples, messages, tokens\n"
      "(exact, counted as tiktoken counts them, when the vocabulary files are\n"
      "installed; else estimated, and the report says so) and the tokens a\n"
      "fine-tuning job on the file is billed for. Nothing is sent over the network.\n"
      "Exit status 0 when the file is valid, 10 when it is not or cannot be read.\n"
      "\n"
      "Options:\n"
      "  --format FORMAT       chat (default), preference (DPO) or completion\n"
      "  -m, --model MODEL     the model to fine-tune: its encoding and, without\n"
      "                        --context-limit, its limit of tokens per example\n"
      "  -e, --encoding NAME   o200k_base (the default) or cl100k_base\n"
      "  --context-limit N     report examples above N tokens (and bill at most N each)\n"
      "  --epochs N            the job's n_epochs (default: the rule for \"auto\")\n"
      "  --estimate            estimate the tokens, even with a vocabulary\n"
      "  --vocab-dir DIR       where the .tiktoken files are (default:\n"
      "                        $OAI_VOCAB_DIR, else the install directory)\n"
      "  --json                print the report as one JSON object\n"
      "  -h, --help            Show this help\n",
      run_validate },
};

static const cli_group data_group = {
    &cli_cmd_data, data_subcommands, sizeof data_subcommands / sizeof data_subcommands[0]
};

enum {
    OPT_HELP = 'h', OPT_MODEL = 'm', OPT_ENCODING = 'e', OPT_FORMAT = 256, OPT_CONTEXT_LIMIT, OPT_JSON,
    OPT_EPOCHS, OPT_ESTIMATE, OPT_VOCAB_DIR
};

static const cli_option validate_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_FORMAT, 0, "format", 1 },
    { OPT_CONTEXT_LIMIT, 0, "context-limit", 1 },
    { OPT_JSON, 0, "json", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_ENCODING, 'e', "encoding", 1 },
    { OPT_EPOCHS, 0, "epochs", 1 },
    { OPT_ESTIMATE, 0, "estimate", 0 },
    { OPT_VOCAB_DIR, 0, "vocab-dir", 1 },
};

/* What the command line asked for. */
typedef struct validate_args {
    const char *path;
    int format;
    int64_t context_limit;
    int json;
    const char *model;
    const char *encoding;
    const char *vocab_dir;
    int64_t epochs; /* 0: the default rule */
    int estimate;
    const char *tokenizer_note; /* why the tokens are estimated, or NULL */
} validate_args;

/* The tokens one training example may hold, by the model fine-tuned (the
 * fine-tuning guide's table; by prefix, so snapshots and fine-tunes of a
 * model inherit its limit). docs/tokens.md lists where each comes from. */
static int64_t model_context_limit(const char *model)
{
    static const struct { const char *prefix; int64_t limit; } limits[] = {
        { "gpt-4.1", 65536 }, { "gpt-4o-mini", 65536 }, { "gpt-4o", 65536 },
        { "gpt-4-0613", 8192 }, { "gpt-3.5-turbo-0613", 4096 }, { "gpt-3.5-turbo", 16385 },
        { "davinci-002", 16384 }, { "babbage-002", 16384 },
    };
    size_t i;

    if (strncmp(model, "ft:", 3) == 0)
        model += 3;
    for (i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (strncmp(model, limits[i].prefix, strlen(limits[i].prefix)) == 0)
            return limits[i].limit;
    return 0;
}

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
        case OPT_MODEL:
            a->model = p.value;
            break;
        case OPT_ENCODING:
            a->encoding = p.value;
            break;
        case OPT_VOCAB_DIR:
            a->vocab_dir = p.value;
            break;
        case OPT_ESTIMATE:
            a->estimate = 1;
            break;
        case OPT_EPOCHS:
            if (cli_parse_int(p.value, 1, 100000, &a->epochs) != 0)
                return cli_subcommand_usage_error(self, "--epochs needs a number of epochs, not", p.value);
            break;
        default:
            return cli_subcommand_usage_error(self, NULL, NULL);
        }
    }
    if (p.operand_count != 1)
        return cli_subcommand_usage_error(self, p.operand_count ? "too many arguments"
                                                                : "missing FILE", NULL);
    if (a->model && a->encoding)
        return cli_subcommand_usage_error(self, "give -m MODEL or -e ENCODING, not both", NULL);
    if (a->model && a->context_limit == 0)
        a->context_limit = model_context_limit(a->model);
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

/* --epochs, else the report's default for "auto". */
static int64_t epochs_of(const validate_args *a, const oai_training_report *report)
{
    return a->epochs ? a->epochs : stat_of(report, "epochs");
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
    if (stat_of(report, "tokens_exact"))
        printf("tokens:                %lld exact, %s (at most %lld in one example)\n",
               (long long)stat_of(report, "tokens_total"), a->encoding, (long long)stat_of(report, "tokens_max"));
    else
        printf("estimated tokens:      %lld (at most %lld in one example)\n",
               (long long)stat_of(report, "tokens_estimated"), (long long)stat_of(report, "tokens_max"));
    if (a->context_limit > 0)
        printf("over the context:      %lld examples (limit %lld tokens)\n",
               (long long)stat_of(report, "examples_over_context"), (long long)a->context_limit);
    printf("billed tokens:         %lld%s (%lld per epoch x %lld epochs%s%s)\n",
           (long long)(stat_of(report, "billed_tokens_per_epoch") * epochs_of(a, report)),
           stat_of(report, "tokens_exact") ? "" : " estimated",
           (long long)stat_of(report, "billed_tokens_per_epoch"), (long long)epochs_of(a, report),
           a->epochs ? "" : ", the default for n_epochs \"auto\"",
           a->context_limit > 0 ? ", each example at most the context limit" : "");
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

/* The library's JSON report; with --epochs, two more members before its
 * closing brace: "n_epochs" and "billed_tokens_for_n_epochs". */
static int print_json_report(const validate_args *a, const oai_training_report *report)
{
    char *json = oai_training_report_json_dup(report);
    size_t len;

    if (!json)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    len = strlen(json);
    if (a->epochs && len > 0 && json[len - 1] == '}') {
        json[len - 1] = '\0';
        printf("%s,\"n_epochs\":%lld,\"billed_tokens_for_n_epochs\":%lld}\n", json, (long long)a->epochs,
               (long long)(stat_of(report, "billed_tokens_per_epoch") * a->epochs));
    } else {
        puts(json);
    }
    oai_free(json);
    return CLI_EXIT_OK;
}

/* The tokenizer for exact counts, or NULL for the estimate: with
 * --estimate, or when the encoding's vocabulary cannot be loaded (then
 * a->tokenizer_note says why). *status is set to a usage error for an
 * unknown encoding. */
static oai_tokenizer *open_tokenizer(const cli_subcommand *self, validate_args *a, int *status)
{
    static char note[700];
    char path[4096];
    oai_tokenizer *tok;
    oai_status st;

    *status = CLI_CONTINUE;
    if (a->estimate)
        return NULL;
    if (a->model) {
        tok = oai_tokenizer_model_new(a->model, a->vocab_dir);
    } else {
        if (!a->encoding)
            a->encoding = "o200k_base";
        if (a->vocab_dir) {
            snprintf(path, sizeof path, "%s/%s.tiktoken", a->vocab_dir, a->encoding);
            tok = oai_tokenizer_new(a->encoding, path);
        } else {
            tok = oai_tokenizer_new(a->encoding, NULL);
        }
    }
    st = tok ? oai_tokenizer_status(tok) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_OK) {
        a->encoding = oai_tokenizer_name(tok);
        return tok;
    }
    if (st == OAI_ERR_INVALID_ARGUMENT && !a->model) { /* an unknown -e */
        *status = cli_subcommand_usage_error(self, oai_tokenizer_error_message(tok), NULL);
    } else {
        /* No vocabulary, or a model of no known encoding: estimate. */
        snprintf(note, sizeof note, "%s", tok && oai_tokenizer_error_message(tok)
                                              ? oai_tokenizer_error_message(tok) : oai_status_message(st));
        a->tokenizer_note = note;
    }
    oai_tokenizer_free(tok);
    return NULL;
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
    validate_args a = { NULL, OAI_TRAINING_CHAT, 0, 0, NULL, NULL, NULL, 0, 0, NULL };
    oai_training_report *report = NULL;
    oai_tokenizer *tok;
    oai_status st;
    int asked_exact;
    int status = parse_validate_args(self, argc, argv, &a);

    (void)globals;
    if (status != CLI_CONTINUE)
        return status;
    status = cli_check_readable_file(a.path); /* names the file and the reason */
    if (status != CLI_EXIT_OK)
        return status;
    asked_exact = a.model || a.encoding || a.vocab_dir;
    tok = open_tokenizer(self, &a, &status);
    if (status != CLI_CONTINUE)
        return status;
    /* Said on stderr when exact counts were asked for by name; the report
     * says "estimated" either way. */
    if (a.tokenizer_note && asked_exact) {
        fputs("oai data validate: token counts are estimates: ", stderr);
        cli_print_safe(stderr, a.tokenizer_note);
        fputs(" (docs/tokens.md)\n", stderr);
    }
    report = oai_training_report_exact_new(a.path, a.format, a.context_limit, tok);
    oai_tokenizer_free(tok);
    st = report ? oai_training_report_status(report) : OAI_ERR_OUT_OF_MEMORY;
    if (st != OAI_OK && st != OAI_ERR_INVALID_DATA) {
        oai_training_report_free(report);
        return report_unreadable(a.path, st);
    }
    status = a.json ? print_json_report(&a, report) : print_human_report(&a, report);
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
