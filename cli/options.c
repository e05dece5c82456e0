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

static const cli_option *find_long(const cli_parser *p, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < p->option_count; i++) {
        const char *candidate = p->options[i].long_name;
        if (candidate && strlen(candidate) == len && strncmp(candidate, name, len) == 0)
            return &p->options[i];
    }
    return NULL;
}

static const cli_option *find_short(const cli_parser *p, char name)
{
    size_t i;
    for (i = 0; i < p->option_count; i++)
        if (p->options[i].short_name != 0 && p->options[i].short_name == name)
            return &p->options[i];
    return NULL;
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
        return opt->id;
    }
    if (equals) {
        p->value = equals + 1;
    } else if (p->next < p->argc) {
        p->value = p->argv[p->next++];
    } else {
        return option_error(p, "option needs a value:", arg - 2, name_len + 2);
    }
    return opt->id;
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
        return opt->id;
    }
    if (arg[2] != '\0') {
        p->value = arg + 2;
    } else if (p->next < p->argc) {
        p->value = p->argv[p->next++];
    } else {
        return option_error(p, "option needs a value:", arg, 2);
    }
    return opt->id;
}

static int is_option(const cli_parser *p, const char *arg)
{
    /* A lone "-" is an operand (it means standard input). */
    return !p->options_done && arg[0] == '-' && arg[1] != '\0';
}

/** Returns the next option's id, CLI_OPT_END or CLI_OPT_ERROR. */
int cli_next_option(cli_parser *p)
{
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
        return arg[1] == '-' ? parse_long(p, arg + 2) : parse_short(p, arg);
    }
    return CLI_OPT_END;
}

/** The operands found so far, moved to argv[1..operand_count]. */
char **cli_operands(cli_parser *p)
{
    return p->argv + 1;
}
