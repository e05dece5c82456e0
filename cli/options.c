/*
 * Command-line option parsing for the `oai` tool.
 *
 * A small getopt_long work-alike that is plain C99 (getopt_long is a GNU
 * extension) and that lets every command describe its options in a table.
 * Options and operands may be mixed; operands are moved, in order, to the
 * front of argv (after argv[0]) so the caller finds them together.
 *
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "cli.h"

/* The global options a command's parser also accepts, wherever they stand
 * (`oai chat --base-url URL hi`, as `gh` and `git -c` users expect). */
enum { GLOBAL_VERBOSE = 1, GLOBAL_BASE_URL, GLOBAL_API_KEY, GLOBAL_AZURE, GLOBAL_AZURE_ENDPOINT,
       GLOBAL_AZURE_DEPLOYMENT, GLOBAL_API_VERSION };

static const cli_option global_options[] = {
    { GLOBAL_VERBOSE, 'v', "verbose", 0 },
    { GLOBAL_BASE_URL, 0, "base-url", 1 },
    { GLOBAL_API_KEY, 0, "api-key", 1 },
    { GLOBAL_AZURE, 0, "azure", 0 },
    { GLOBAL_AZURE_ENDPOINT, 0, "azure-endpoint", 1 },
    { GLOBAL_AZURE_DEPLOYMENT, 0, "azure-deployment", 1 },
    { GLOBAL_API_VERSION, 0, "api-version", 1 },
};

/* Where global options found after the command go (main.c's globals), or
 * NULL when they are not accepted. The tool is single-threaded. */
static cli_globals *late_globals;

/* What parse_long()/parse_short() return for a global option they stored. */
#define OPT_GLOBAL_TAKEN (-2)

/** Lets every later parser take the global options into @p globals. */
void cli_accept_global_options(cli_globals *globals)
{
    late_globals = globals;
}

static void set_global_option(cli_globals *globals, int id, const char *value)
{
    switch (id) {
    case GLOBAL_VERBOSE:
        globals->verbose = 1;
        break;
    case GLOBAL_BASE_URL:
        globals->base_url = value;
        break;
    case GLOBAL_API_KEY:
        globals->api_key = value;
        break;
    case GLOBAL_AZURE:
        globals->azure = 1;
        break;
    case GLOBAL_AZURE_ENDPOINT:
        globals->azure_endpoint = value;
        break;
    case GLOBAL_AZURE_DEPLOYMENT:
        globals->azure_deployment = value;
        break;
    case GLOBAL_API_VERSION:
        globals->api_version = value;
        break;
    default:
        break;
    }
}

/** Starts parsing argv[1..argc-1] against @p options. */
void cli_parser_init(cli_parser *p, int argc, char **argv, const char *prog,
                     const cli_option *options, size_t option_count)
{
    memset(p, 0, sizeof *p);
    p->argc = argc;
    p->argv = argv;
    p->prog = prog;
    p->options = options;
    p->option_count = option_count;
    p->next = 1;
}

static const cli_option *find_long_in(const cli_option *options, size_t count, const char *name,
                                      size_t len)
{
    size_t i;
    for (i = 0; i < count; i++) {
        const char *candidate = options[i].long_name;
        if (candidate && strlen(candidate) == len && strncmp(candidate, name, len) == 0)
            return &options[i];
    }
    return NULL;
}

static const cli_option *find_short_in(const cli_option *options, size_t count, char name)
{
    size_t i;
    for (i = 0; i < count; i++)
        if (options[i].short_name != 0 && options[i].short_name == name)
            return &options[i];
    return NULL;
}

#define GLOBAL_OPTION_COUNT (sizeof global_options / sizeof global_options[0])

/* The command's option of that name, else (when accepted) the global one. */
static const cli_option *find_long(const cli_parser *p, const char *name, size_t len)
{
    const cli_option *opt = find_long_in(p->options, p->option_count, name, len);

    if (!opt && late_globals)
        opt = find_long_in(global_options, GLOBAL_OPTION_COUNT, name, len);
    return opt;
}

static const cli_option *find_short(const cli_parser *p, char name)
{
    const cli_option *opt = find_short_in(p->options, p->option_count, name);

    if (!opt && late_globals)
        opt = find_short_in(global_options, GLOBAL_OPTION_COUNT, name);
    return opt;
}

/* Returns the option's id, or stores a global option and says so. Entries
 * of global_options[] are told apart by address (equality only). */
static int found(cli_parser *p, const cli_option *opt)
{
    size_t i;

    for (i = 0; i < GLOBAL_OPTION_COUNT; i++) {
        if (opt == &global_options[i]) {
            set_global_option(late_globals, opt->id, p->value);
            p->value = NULL;
            return OPT_GLOBAL_TAKEN;
        }
    }
    return opt->id;
}

/* Error messages name the option only, never its value: the value may be
 * an API key. */
static int option_error(const cli_parser *p, const char *problem, const char *name, size_t len)
{
    fprintf(stderr, "%s: %s '%.*s'\n", p->prog, problem, (int)len, name);
    return CLI_OPT_ERROR;
}

/* "--name", "--name=value" or "--name value"; @p arg points past "--". */
static int parse_long(cli_parser *p, const char *arg)
{
    const char *equals = strchr(arg, '=');
    size_t name_len = equals ? (size_t)(equals - arg) : strlen(arg);
    const cli_option *opt = find_long(p, arg, name_len);

    if (!opt)
        return option_error(p, "unknown option", arg - 2, name_len + 2);
    if (!opt->takes_value) {
        if (equals)
            return option_error(p, "option takes no value:", arg - 2, name_len + 2);
        return found(p, opt);
    }
    if (equals) {
        p->value = equals + 1;
    } else if (p->next < p->argc) {
        p->value = p->argv[p->next++];
    } else {
        return option_error(p, "option needs a value:", arg - 2, name_len + 2);
    }
    return found(p, opt);
}

/* "-x", "-xVALUE" or "-x VALUE"; flags cannot be bundled. */
static int parse_short(cli_parser *p, const char *arg)
{
    const cli_option *opt = find_short(p, arg[1]);

    if (!opt)
        return option_error(p, "unknown option", arg, 2);
    if (!opt->takes_value) {
        if (arg[2] != '\0')
            return option_error(p, "option takes no value:", arg, 2);
        return found(p, opt);
    }
    if (arg[2] != '\0') {
        p->value = arg + 2;
    } else if (p->next < p->argc) {
        p->value = p->argv[p->next++];
    } else {
        return option_error(p, "option needs a value:", arg, 2);
    }
    return found(p, opt);
}

static int is_option(const cli_parser *p, const char *arg)
{
    /* A lone "-" is an operand (it means standard input). */
    return !p->options_done && arg[0] == '-' && arg[1] != '\0';
}

/** Returns the next option's id, CLI_OPT_END or CLI_OPT_ERROR. */
int cli_next_option(cli_parser *p)
{
    int id;

    p->value = NULL;
    while (p->next < p->argc) {
        char *arg = p->argv[p->next];

        if (!is_option(p, arg)) {
            if (p->stop_at_operand)
                return CLI_OPT_END;
            /* Compacting never overwrites an unread argument: the write
             * position is always at or behind the read position. */
            p->argv[1 + p->operand_count++] = arg;
            p->next++;
            continue;
        }
        p->next++;
        if (strcmp(arg, "--") == 0) {
            p->options_done = 1;
            if (p->stop_at_operand)
                return CLI_OPT_END;
            continue;
        }
        id = arg[1] == '-' ? parse_long(p, arg + 2) : parse_short(p, arg);
        if (id != OPT_GLOBAL_TAKEN)
            return id;
    }
    return CLI_OPT_END;
}

/** The operands found so far, moved to argv[1..operand_count]. */
char **cli_operands(cli_parser *p)
{
    return p->argv + 1;
}
