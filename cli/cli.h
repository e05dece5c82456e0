/*
 * The `oai` command-line tool: what its files share.
 *
 * Each command group lives in its own file (cmd_chat.c, cmd_models.c, ...)
 * and exports one ::cli_command; main.c holds the table of commands. To add
 * a group: write cli/cmd_<name>.c defining `const cli_command cli_cmd_<name>`,
 * declare it below and list it in the table in main.c (CMake picks up every
 * .c file in cli/).
 *
 * The tool uses the public API only (<oai.h>).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef OAI_CLI_H
#define OAI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <oai.h>

/** Exit statuses, one per class of error (documented in docs/cli.md). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_AUTH = 3,        /* 401, 403 */
    CLI_EXIT_NOT_FOUND = 4,   /* 404 */
    CLI_EXIT_BAD_REQUEST = 5, /* 400, 409, 422 */
    CLI_EXIT_RATE_LIMIT = 6,  /* 429 */
    CLI_EXIT_SERVER = 7,      /* >= 500, or any other API error */
    CLI_EXIT_CONNECTION = 8,  /* connection, TLS, timeout */
    CLI_EXIT_PROTOCOL = 9,    /* malformed or oversized response */
    CLI_EXIT_LOCAL = 10,      /* I/O, memory, invalid argument, cancelled */
    CLI_CONTINUE = -1         /* not an exit status: "go on" (from parsers) */
};

/** The global options, given before the command. */
typedef struct cli_globals {
    const char *base_url; /* --base-url, or NULL to keep the environment's */
    const char *api_key;  /* --api-key, or NULL to keep the environment's */
    int verbose;          /* -v: debug logging to stderr */
} cli_globals;

/** One command (or command group) of the tool. */
typedef struct cli_command {
    const char *name;    /* as typed: "chat" */
    const char *summary; /* one line for the tool's --help */
    /* Runs the command. argv[0] is the command's name, argv[1..] its
     * arguments; argv may be reordered. Returns an exit status. */
    int (*run)(const cli_globals *globals, int argc, char **argv);
    /* Prints the command's usage (for --help on stdout, on errors to stderr). */
    void (*usage)(FILE *out);
} cli_command;

extern const cli_command cli_cmd_chat;
extern const cli_command cli_cmd_complete;
extern const cli_command cli_cmd_models;
extern const cli_command cli_cmd_api;

/* ------------------------------------------------------------------------ */
/* Option parsing: short (-m VALUE, -mVALUE) and long (--model VALUE,
 * --model=VALUE) options, mixed freely with operands; "--" ends the options. */

/** Describes one option. Several entries may share an id (aliases). */
typedef struct cli_option {
    int id;                /* returned by cli_next_option(); must be > 0 */
    char short_name;       /* 'm' for -m, or 0 */
    const char *long_name; /* "model" for --model, or NULL */
    int takes_value;       /* non-zero: the option needs a value */
} cli_option;

/** What cli_next_option() returns besides an option's id. */
enum { CLI_OPT_END = 0, CLI_OPT_ERROR = -1 };

/** The state of one pass over a command line. */
typedef struct cli_parser {
    int argc;
    char **argv;              /* argv[0] is skipped (the program or command) */
    const char *prog;         /* "oai chat", for error messages */
    const cli_option *options;
    size_t option_count;
    int stop_at_operand;      /* non-zero: stop at the first operand (global options) */
    int next;                 /* index of the next argument to read */
    int operand_count;        /* operands found so far, moved to argv[1..] */
    int options_done;         /* "--" was seen */
    const char *value;        /* the value of the option just returned, or NULL */
} cli_parser;

/** Starts parsing argv[1..argc-1] against @p options. */
void cli_parser_init(cli_parser *p, int argc, char **argv, const char *prog,
                     const cli_option *options, size_t option_count);

/**
 * Returns the next option's id (its value, if any, in p->value), CLI_OPT_END
 * when the arguments are used up (or, with stop_at_operand, at the first
 * operand), or CLI_OPT_ERROR after printing the problem to stderr.
 */
int cli_next_option(cli_parser *p);

/** The operands found (valid after CLI_OPT_END): p->operand_count of them. */
char **cli_operands(cli_parser *p);

/* ------------------------------------------------------------------------ */
/* Helpers shared by the commands. */

/** Prints the tool's own usage (defined in main.c). */
void cli_usage(FILE *out);

/** Prints "oai CMD: PROBLEM[ 'DETAIL']" and the usage of @p cmd (of the
 *  tool when NULL) to stderr; returns CLI_EXIT_USAGE. @p detail may be NULL;
 *  a NULL @p problem (one already printed, by the option parser) prints the
 *  usage only. */
int cli_usage_error(const cli_command *cmd, const char *problem, const char *detail);

/** The exit status for a library status. */
int cli_exit_status(oai_status status);

/** Prints "oai: OAI_ERR_X: MESSAGE" to stderr and returns the exit status
 *  for @p status. A NULL @p message uses oai_status_message(). */
int cli_report_status(oai_status status, const char *message);

/** Returns 0 when @p res succeeded; otherwise prints the API's message and
 *  request id to stderr and returns the exit status of the error. */
int cli_check_response(const oai_response *res);

/** Creates the client: environment defaults, then the global options.
 *  On failure prints why, sets *exit_status and returns NULL. */
oai_client *cli_client_new(const cli_globals *globals, int *exit_status);

/** Prints a successful response; returns an exit status. */
typedef int (*cli_print_fn)(const oai_response *res, void *userdata);

/**
 * Creates the client, sends @p req, and on success calls @p print (may be
 * NULL); on failure prints the error. Frees what it made.
 * @return the exit status.
 */
int cli_run_request(const cli_globals *globals, const oai_request *req,
                    cli_print_fn print, void *userdata);

/** Parses a finite number. Returns 0 on success, -1 if @p text is not one. */
int cli_parse_number(const char *text, double *out);

/** Parses an integer in [min, max]. Returns 0 on success, -1 otherwise. */
int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *out);

/** Sampling options shared by the text-generating commands. */
typedef struct cli_sampling {
    int has_temperature; /* -t given */
    double temperature;
    int64_t max_tokens;  /* --max-tokens; 0 when not given */
} cli_sampling;

/** Parses a -t value into @p s. Returns CLI_CONTINUE, or a usage error. */
int cli_parse_temperature(const cli_command *cmd, const char *value, cli_sampling *s);

/** Parses a --max-tokens value into @p s. Returns CLI_CONTINUE, or a usage
 *  error. */
int cli_parse_max_tokens(const cli_command *cmd, const char *value, cli_sampling *s);

/** Sets `temperature` and `max_tokens` on @p req when they were given. */
oai_status cli_apply_sampling(oai_request *req, const cli_sampling *s);

/**
 * Joins the operands with single spaces into a new string (free()). A lone
 * "-" reads standard input instead. NULL if memory ran out or stdin could
 * not be read (the problem is printed; *exit_status is set).
 */
char *cli_join_text(int count, char **operands, int *exit_status);

/** Writes text to stdout and flushes it (for streamed deltas), remembering
 *  whether the line is left open. */
void cli_write_text(const char *text, size_t len);

/** Ends the current stdout line if text was written without a newline. */
void cli_end_line(void);

/** An ::oai_event_fn that prints text and refusal deltas as they arrive.
 *  @p userdata, if not NULL, is an int set to 1 once something is printed. */
int cli_print_delta(void *userdata, const oai_event *ev);

/** Writes the response body to stdout, adding a final newline if it lacks
 *  one. Returns 0, or CLI_EXIT_LOCAL when stdout failed. */
int cli_print_body(const oai_response *res);

/** Flushes stdout; returns 0, or CLI_EXIT_LOCAL (after saying so) on a
 *  write error such as a full disk or a closed pipe. */
int cli_finish_output(void);

#endif /* OAI_CLI_H */
