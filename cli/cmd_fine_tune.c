/*
 * `oai fine-tune`: create fine-tuning jobs, follow them to the end, and
 * list, show, pause, resume or cancel them (`/fine_tuning/jobs`).
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "cli.h"

/* How often `events --follow` asks by default: jobs take minutes. */
#define DEFAULT_INTERVAL_MS 5000

static int run_create(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_list(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_get(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_action(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_events(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_checkpoints(const cli_subcommand *self, const cli_globals *globals, int argc,
                           char **argv);

#define ACTION_HELP(what)                                                       \
    what " and prints its id and new status.\n"                                 \
    "\n"                                                                        \
    "Options:\n"                                                                \
    "  --json       print the job object\n"                                     \
    "  -h, --help   Show this help\n"

static const cli_subcommand fine_tune_subcommands[] = {
    { "create", "oai fine-tune create",
      "-m MODEL -t TRAINING_FILE_ID [OPTIONS]",
      "Starts a fine-tuning job and prints its id and status. With --method the\n"
      "hyperparameters are sent under method.<type>.hyperparameters; without, in\n"
      "the legacy hyperparameters object.\n"
      "\n"
      "Options:\n"
      "  -m, --model MODEL                 the base model, e.g. gpt-4o-mini-2024-07-18\n"
      "  -t, --training-file ID            the id of the uploaded training file\n"
      "  --validation-file ID              the id of an uploaded validation file\n"
      "  --suffix S                        added to the fine-tuned model's name\n"
      "  --seed N                          for reproducible jobs\n"
      "  --method supervised|dpo           the training method\n"
      "  --epochs N|auto                   n_epochs\n"
      "  --batch-size N|auto               batch_size\n"
      "  --learning-rate-multiplier X|auto learning_rate_multiplier\n"
      "  --beta X|auto                     beta (with --method dpo only)\n"
      "  --json                            print the job object\n"
      "  -h, --help                        Show this help\n",
      run_create },
    { "list", "oai fine-tune list", "[--limit N] [--json]",
      "Lists the fine-tuning jobs, newest first: id, status, base model and\n"
      "fine-tuned model, one job per line.\n"
      "\n"
      "Options:\n"
      "  --limit N    stop after N jobs\n"
      "  --json       print each job object, one per line\n"
      "  -h, --help   Show this help\n",
      run_list },
    { "get", "oai fine-tune get", "ID [--json]",
      "Shows a job's details.\n"
      "\n"
      "Options:\n"
      "  --json       print the job object\n"
      "  -h, --help   Show this help\n",
      run_get },
    { "cancel", "oai fine-tune cancel", "ID [--json]", ACTION_HELP("Cancels a job"), run_action },
    { "pause", "oai fine-tune pause", "ID [--json]", ACTION_HELP("Pauses a running job"), run_action },
    { "resume", "oai fine-tune resume", "ID [--json]", ACTION_HELP("Resumes a paused job"), run_action },
    { "events", "oai fine-tune events", "ID [--follow] [--interval MS] [--limit N] [--json]",
      "Prints a job's events as TIME LEVEL MESSAGE, newest first. With --follow,\n"
      "prints them oldest first as they come until the job ends, then its status\n"
      "and fine-tuned model; the exit status is then 0 if the job succeeded, 7 if\n"
      "it failed and 10 if it was cancelled.\n"
      "\n"
      "Options:\n"
      "  -f, --follow     wait for new events until the job ends\n"
      "  --interval MS    how often to ask, with --follow (default 5000)\n"
      "  --limit N        stop after N events (not with --follow)\n"
      "  --json           print each event object (and, with --follow, the job\n"
      "                   at the end), one per line\n"
      "  -h, --help       Show this help\n",
      run_events },
    { "checkpoints", "oai fine-tune checkpoints", "ID [--limit N] [--json]",
      "Lists a job's checkpoints, newest first: id, step and checkpoint model.\n"
      "\n"
      "Options:\n"
      "  --limit N    stop after N checkpoints\n"
      "  --json       print each checkpoint object, one per line\n"
      "  -h, --help   Show this help\n",
      run_checkpoints },
};

static const cli_group fine_tune_group = {
    &cli_cmd_fine_tune, fine_tune_subcommands,
    sizeof fine_tune_subcommands / sizeof fine_tune_subcommands[0]
};

enum {
    OPT_HELP = 'h',
    OPT_MODEL = 'm',
    OPT_TRAINING_FILE = 't',
    OPT_FOLLOW = 'f',
    OPT_JSON = 256,
    OPT_VALIDATION_FILE,
    OPT_SUFFIX,
    OPT_SEED,
    OPT_METHOD,
    OPT_EPOCHS,
    OPT_BATCH_SIZE,
    OPT_LEARNING_RATE,
    OPT_BETA,
    OPT_LIMIT,
    OPT_INTERVAL
};

/* "ftjob-abc validating_files" */
static void print_job_status(const oai_value *job)
{
    cli_print_safe(stdout, oai_value_get_string(job, "/id"));
    putchar(' ');
    cli_print_safe(stdout, oai_value_get_string(job, "/status"));
    putchar('\n');
}

/* ------------------------------------------------------------------------ */
/* create */

typedef struct create_args {
    const char *model, *training_file, *validation_file, *suffix, *method;
    int has_seed;
    int64_t seed;
    /* Hyperparameters as typed: "auto" or a number already checked. */
    const char *epochs, *batch_size, *learning_rate, *beta;
    int json;
} create_args;

static const cli_option create_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_TRAINING_FILE, 't', "training-file", 1 },
    { OPT_VALIDATION_FILE, 0, "validation-file", 1 },
    { OPT_SUFFIX, 0, "suffix", 1 },
    { OPT_SEED, 0, "seed", 1 },
    { OPT_METHOD, 0, "method", 1 },
    { OPT_EPOCHS, 0, "epochs", 1 },
    { OPT_BATCH_SIZE, 0, "batch-size", 1 },
    { OPT_LEARNING_RATE, 0, "learning-rate-multiplier", 1 },
    { OPT_BETA, 0, "beta", 1 },
    { OPT_JSON, 0, "json", 0 },
};

static int is_auto(const char *value)
{
    return strcmp(value, "auto") == 0;
}

/* "auto" or a positive integer. */
static int valid_count(const char *value)
{
    int64_t n;
    return is_auto(value) || cli_parse_int(value, 1, INT32_MAX, &n) == 0;
}

/* "auto" or a positive number. */
static int valid_factor(const char *value)
{
    double x;
    return is_auto(value) || (cli_parse_number(value, &x) == 0 && x > 0);
}

/* Stores a hyperparameter's value once checked. */
static int take_hyperparameter(const cli_subcommand *self, const char *option, const char *value,
                               int integer, const char **slot)
{
    char problem[96];

    if (!(integer ? valid_count(value) : valid_factor(value))) {
        snprintf(problem, sizeof problem, "%s needs \"auto\" or a positive %s, not", option,
                 integer ? "integer" : "number");
        return cli_subcommand_usage_error(self, problem, value);
    }
    *slot = value;
    return CLI_CONTINUE;
}

static int take_create_option(const cli_subcommand *self, int opt, const char *value, create_args *a)
{
    switch (opt) {
    case OPT_MODEL: a->model = value; break;
    case OPT_TRAINING_FILE: a->training_file = value; break;
    case OPT_VALIDATION_FILE: a->validation_file = value; break;
    case OPT_SUFFIX: a->suffix = value; break;
    case OPT_JSON: a->json = 1; break;
    case OPT_SEED:
        if (cli_parse_int(value, 0, INT32_MAX, &a->seed) != 0)
            return cli_subcommand_usage_error(self, "--seed needs an integer from 0, not", value);
        a->has_seed = 1;
        break;
    case OPT_METHOD:
        if (strcmp(value, "supervised") != 0 && strcmp(value, "dpo") != 0)
            return cli_subcommand_usage_error(self, "--method must be supervised or dpo, not", value);
        a->method = value;
        break;
    case OPT_EPOCHS: return take_hyperparameter(self, "--epochs", value, 1, &a->epochs);
    case OPT_BATCH_SIZE: return take_hyperparameter(self, "--batch-size", value, 1, &a->batch_size);
    case OPT_LEARNING_RATE:
        return take_hyperparameter(self, "--learning-rate-multiplier", value, 0, &a->learning_rate);
    case OPT_BETA: return take_hyperparameter(self, "--beta", value, 0, &a->beta);
    default: return cli_subcommand_usage_error(self, NULL, NULL);
    }
    return CLI_CONTINUE;
}

static int parse_create_args(const cli_subcommand *self, int argc, char **argv, create_args *a)
{
    cli_parser p;
    int opt, status = CLI_CONTINUE;

    cli_parser_init(&p, argc, argv, self->prog, create_options,
                    sizeof create_options / sizeof create_options[0]);
    while (status == CLI_CONTINUE && (opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        status = take_create_option(self, opt, p.value, a);
    }
    if (status != CLI_CONTINUE)
        return status;
    if (p.operand_count > 0)
        return cli_subcommand_usage_error(self, "unexpected argument", cli_operands(&p)[0]);
    if (!a->model || !*a->model)
        return cli_subcommand_usage_error(self, "-m MODEL is required", NULL);
    if (!a->training_file || !*a->training_file)
        return cli_subcommand_usage_error(self, "-t TRAINING_FILE_ID is required", NULL);
    if (a->beta && !(a->method && strcmp(a->method, "dpo") == 0))
        return cli_subcommand_usage_error(self, "--beta needs --method dpo", NULL);
    return CLI_CONTINUE;
}

/* Sets PREFIX/NAME to "auto", an integer or a number. */
static oai_status set_hyperparameter(oai_request *req, const char *prefix, const char *name,
                                     const char *value, int integer)
{
    char pointer[96];
    int64_t n = 0;
    double x = 0;

    if (!value)
        return OAI_OK;
    snprintf(pointer, sizeof pointer, "%s/%s", prefix, name);
    if (is_auto(value))
        return oai_request_set_string(req, pointer, "auto");
    if (integer)
        return cli_parse_int(value, 1, INT32_MAX, &n) == 0 ? oai_request_set_int(req, pointer, n)
                                                           : OAI_ERR_INVALID_ARGUMENT;
    return cli_parse_number(value, &x) == 0 ? oai_request_set_number(req, pointer, x)
                                            : OAI_ERR_INVALID_ARGUMENT;
}

/* The optional fields; hyperparameters under method.<type> when a method
 * is named (the current API), else under the legacy `hyperparameters`. */
static oai_status fill_create_request(oai_request *req, const create_args *a)
{
    char prefix[64] = "/hyperparameters";
    oai_status st = OAI_OK;

    if (a->validation_file)
        st = oai_request_set_string(req, "/validation_file", a->validation_file);
    if (st == OAI_OK && a->suffix)
        st = oai_request_set_string(req, "/suffix", a->suffix);
    if (st == OAI_OK && a->has_seed)
        st = oai_request_set_int(req, "/seed", a->seed);
    if (st == OAI_OK && a->method) {
        st = oai_request_set_string(req, "/method/type", a->method);
        snprintf(prefix, sizeof prefix, "/method/%s/hyperparameters", a->method);
    }
    if (st == OAI_OK)
        st = set_hyperparameter(req, prefix, "n_epochs", a->epochs, 1);
    if (st == OAI_OK)
        st = set_hyperparameter(req, prefix, "batch_size", a->batch_size, 1);
    if (st == OAI_OK)
        st = set_hyperparameter(req, prefix, "learning_rate_multiplier", a->learning_rate, 0);
    if (st == OAI_OK)
        st = set_hyperparameter(req, prefix, "beta", a->beta, 0);
    return st;
}

static int run_create(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    create_args a;
    oai_request *req;
    int status;

    memset(&a, 0, sizeof a);
    status = parse_create_args(self, argc, argv, &a);
    if (status != CLI_CONTINUE)
        return status;
    req = oai_fine_tuning_job_create_request_new(a.model, a.training_file);
    if (req && fill_create_request(req, &a) != OAI_OK) {
        oai_request_free(req);
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT,
                                 "cannot build the request (is every value valid UTF-8?)");
    }
    return cli_show_object(globals, req, a.json, print_job_status);
}

/* ------------------------------------------------------------------------ */
/* list, get, cancel, pause, resume */

static const cli_option list_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_LIMIT, 0, "limit", 1 },
    { OPT_JSON, 0, "json", 0 },
};

/* Parses [--limit N] [--json]; the operands are left in @p p. */
static int parse_list_args(const cli_subcommand *self, int argc, char **argv, int64_t *limit,
                           int *json, cli_parser *p)
{
    int opt, status = CLI_CONTINUE;

    cli_parser_init(p, argc, argv, self->prog, list_options, sizeof list_options / sizeof list_options[0]);
    while (status == CLI_CONTINUE && (opt = cli_next_option(p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        if (opt == OPT_LIMIT)
            status = cli_parse_limit(self, p->value, limit);
        else if (opt == OPT_JSON)
            *json = 1;
        else
            return cli_subcommand_usage_error(self, NULL, NULL);
    }
    return status;
}

/* "ftjob-abc  succeeded  gpt-4o-mini  ft:gpt-4o-mini:org::abc" */
static void print_job_line(const oai_value *job)
{
    cli_print_safe(stdout, oai_value_get_string(job, "/id"));
    fputs("  ", stdout);
    cli_print_safe(stdout, oai_value_get_string(job, "/status"));
    fputs("  ", stdout);
    cli_print_safe(stdout, oai_value_get_string(job, "/model"));
    fputs("  ", stdout);
    cli_print_safe(stdout, oai_value_get_string(job, "/fine_tuned_model"));
    putchar('\n');
}

static int run_list(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    int64_t limit = 0;
    int json = 0;
    cli_parser p;
    int status = parse_list_args(self, argc, argv, &limit, &json, &p);

    if (status != CLI_CONTINUE)
        return status;
    if (p.operand_count > 0)
        return cli_subcommand_usage_error(self, "too many arguments", NULL);
    return cli_list(globals, oai_fine_tuning_job_list_request_new(), limit, json, print_job_line);
}

/* The hyperparameters in use: the method's, else the legacy object. */
static const oai_value *job_hyperparameters(const oai_value *job)
{
    const char *type = oai_value_get_string(job, "/method/type");
    const oai_value *method = oai_value_get(job, "/method");
    const oai_value *hp = NULL;
    size_t i;

    for (i = 0; type && i < oai_value_count(method); i++)
        if (strcmp(oai_value_key(method, i), type) == 0)
            hp = oai_value_get(oai_value_item(method, i), "/hyperparameters");
    return hp ? hp : oai_value_get(job, "/hyperparameters");
}

static void print_field_json(const char *name, const oai_value *v)
{
    char *json = oai_value_type_of(v) == OAI_VALUE_NONE ? NULL : oai_value_json_dup(v);

    cli_print_field(name, json);
    oai_free(json);
}

static void print_job(const oai_value *job)
{
    cli_print_field("id:", oai_value_get_string(job, "/id"));
    cli_print_field("status:", oai_value_get_string(job, "/status"));
    cli_print_field("model:", oai_value_get_string(job, "/model"));
    cli_print_field("fine_tuned_model:", oai_value_get_string(job, "/fine_tuned_model"));
    cli_print_field("training_file:", oai_value_get_string(job, "/training_file"));
    cli_print_field("validation_file:", oai_value_get_string(job, "/validation_file"));
    cli_print_field("method:", oai_value_get_string(job, "/method/type"));
    print_field_json("hyperparameters:", job_hyperparameters(job));
    cli_print_field_int("seed:", oai_value_get(job, "/seed"));
    cli_print_field_int("trained_tokens:", oai_value_get(job, "/trained_tokens"));
    cli_print_field_time("created_at:", oai_value_get(job, "/created_at"));
    cli_print_field_time("finished_at:", oai_value_get(job, "/finished_at"));
    if (oai_value_get_string(job, "/error/message"))
        cli_print_field("error:", oai_value_get_string(job, "/error/message"));
}

static int run_get(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *id;
    int json, status = cli_parse_id_args(self, argc, argv, &id, &json);

    if (status != CLI_CONTINUE)
        return status;
    return cli_show_object(globals, oai_fine_tuning_job_retrieve_request_new(id), json, print_job);
}

/* cancel, pause and resume: the same but for the request. */
static int run_action(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *id;
    oai_request *req;
    int json, status = cli_parse_id_args(self, argc, argv, &id, &json);

    if (status != CLI_CONTINUE)
        return status;
    if (strcmp(self->name, "cancel") == 0)
        req = oai_fine_tuning_job_cancel_request_new(id);
    else if (strcmp(self->name, "pause") == 0)
        req = oai_fine_tuning_job_pause_request_new(id);
    else
        req = oai_fine_tuning_job_resume_request_new(id);
    return cli_show_object(globals, req, json, print_job_status);
}

/* ------------------------------------------------------------------------ */
/* events, checkpoints */

/* "2024-05-01T12:00:00Z info Fine-tuning job started" */
static void print_event(const oai_value *event)
{
    char when[64];

    printf("%s ", cli_format_time(oai_value_get(event, "/created_at"), when, sizeof when));
    cli_print_safe(stdout, oai_value_get_string(event, "/level"));
    putchar(' ');
    cli_print_safe(stdout, oai_value_get_string(event, "/message"));
    putchar('\n');
}

/* How `events --follow` prints. */
typedef struct follow_output {
    int json;
    int status; /* an exit status, once printing failed */
} follow_output;

/* An oai_job_event_fn: prints each event as it comes. */
static int on_job_event(void *userdata, const oai_value *event)
{
    follow_output *out = userdata;

    if (out->json)
        out->status = cli_print_json_line(event);
    else
        print_event(event);
    if (out->status == CLI_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout)))
        out->status = cli_report_status(OAI_ERR_IO, "cannot write to standard output");
    return out->status != CLI_EXIT_OK;
}

/* The end of a followed job: its status and model; the exit status says
 * how it ended. */
static int report_job_end(const oai_response *res, const char *id, int json)
{
    const char *status = oai_response_get_string(res, "/status");
    const char *message = oai_response_get_string(res, "/error/message");
    int exit_status;

    if (json) {
        exit_status = cli_print_json_line(oai_response_json(res));
    } else {
        cli_print_field("status:", status);
        cli_print_field("fine_tuned_model:", oai_response_get_string(res, "/fine_tuned_model"));
        exit_status = CLI_EXIT_OK;
    }
    if (exit_status != CLI_EXIT_OK || (exit_status = cli_finish_output()) != CLI_EXIT_OK)
        return exit_status;
    if (status && strcmp(status, "succeeded") == 0)
        return CLI_EXIT_OK;
    fprintf(stderr, "oai: fine-tuning job ");
    cli_print_safe(stderr, id);
    if (status && strcmp(status, "cancelled") == 0) {
        fputs(" was cancelled\n", stderr);
        return CLI_EXIT_LOCAL;
    }
    fputs(" failed", stderr);
    if (message) {
        fputs(": ", stderr);
        cli_print_safe(stderr, message);
    }
    fputc('\n', stderr);
    return CLI_EXIT_SERVER;
}

static int follow_job(const cli_globals *globals, const char *id, int64_t interval_ms, int json)
{
    follow_output out = { json, CLI_EXIT_OK };
    oai_client *client;
    oai_response *res;
    int status;

    client = cli_client_new(globals, &status);
    if (!client)
        return status;
    res = oai_client_follow_fine_tuning_job(client, id, interval_ms, on_job_event, &out);
    if (out.status != CLI_EXIT_OK)
        status = out.status; /* printing failed, already said */
    else if ((status = cli_check_response(res)) == CLI_EXIT_OK)
        status = report_job_end(res, id, json);
    oai_response_free(res);
    oai_client_free(client);
    return status;
}

static const cli_option events_options[] = {
    { OPT_HELP, 'h', "help", 0 },     { OPT_FOLLOW, 'f', "follow", 0 },
    { OPT_INTERVAL, 0, "interval", 1 }, { OPT_LIMIT, 0, "limit", 1 },
    { OPT_JSON, 0, "json", 0 },
};

static int parse_interval(const cli_subcommand *self, const char *value, int64_t *interval_ms)
{
    if (cli_parse_int(value, 10, INT32_MAX, interval_ms) != 0)
        return cli_subcommand_usage_error(self, "--interval needs milliseconds (10 or more), not",
                                          value);
    return CLI_CONTINUE;
}

static int run_events(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    int64_t limit = 0, interval_ms = DEFAULT_INTERVAL_MS;
    int follow = 0, json = 0, opt, status = CLI_CONTINUE;
    const char *id;
    cli_parser p;

    cli_parser_init(&p, argc, argv, self->prog, events_options,
                    sizeof events_options / sizeof events_options[0]);
    while (status == CLI_CONTINUE && (opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        if (opt == OPT_FOLLOW)
            follow = 1;
        else if (opt == OPT_JSON)
            json = 1;
        else if (opt == OPT_LIMIT)
            status = cli_parse_limit(self, p.value, &limit);
        else if (opt == OPT_INTERVAL)
            status = parse_interval(self, p.value, &interval_ms);
        else
            return cli_subcommand_usage_error(self, NULL, NULL);
    }
    if (status != CLI_CONTINUE)
        return status;
    if (p.operand_count != 1)
        return cli_subcommand_usage_error(self, p.operand_count ? "too many arguments"
                                                                : "missing ID", NULL);
    if (follow && limit > 0)
        return cli_subcommand_usage_error(self, "--limit cannot be used with --follow", NULL);
    id = cli_operands(&p)[0];
    if (follow)
        return follow_job(globals, id, interval_ms, json);
    return cli_list(globals, oai_fine_tuning_job_list_events_request_new(id), limit, json, print_event);
}

/* "ftckpt-abc  step 10  ft:gpt-4o-mini:org::abc:ckpt-step-10" */
static void print_checkpoint(const oai_value *checkpoint)
{
    cli_print_safe(stdout, oai_value_get_string(checkpoint, "/id"));
    printf("  step %lld  ", (long long)oai_value_get_int(checkpoint, "/step_number"));
    cli_print_safe(stdout, oai_value_get_string(checkpoint, "/fine_tuned_model_checkpoint"));
    putchar('\n');
}

static int run_checkpoints(const cli_subcommand *self, const cli_globals *globals, int argc,
                           char **argv)
{
    int64_t limit = 0;
    int json = 0;
    cli_parser p;
    int status = parse_list_args(self, argc, argv, &limit, &json, &p);

    if (status != CLI_CONTINUE)
        return status;
    if (p.operand_count != 1)
        return cli_subcommand_usage_error(self, p.operand_count ? "too many arguments"
                                                                : "missing ID", NULL);
    return cli_list(globals, oai_fine_tuning_job_list_checkpoints_request_new(cli_operands(&p)[0]), limit,
                    json, print_checkpoint);
}

static void fine_tune_usage(FILE *out)
{
    cli_group_usage(&fine_tune_group, out);
}

static int run_fine_tune(const cli_globals *globals, int argc, char **argv)
{
    return cli_group_run(&fine_tune_group, globals, argc, argv);
}

/** `oai fine-tune`. */
const cli_command cli_cmd_fine_tune = {
    "fine-tune", "Create, follow and manage fine-tuning jobs", run_fine_tune, fine_tune_usage
};
