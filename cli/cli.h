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
    CLI_EXIT_NO_ANSWER = 11,  /* chat/complete: no text, refusal or tool call (empty, or reasoning only) */
    CLI_EXIT_INTERRUPTED = 130, /* SIGINT (Ctrl-C) stopped a transfer: 128 + 2, as shells do */
    CLI_CONTINUE = -1         /* not an exit status: "go on" (from parsers) */
};

/** The global options, given before the command or among its arguments
 *  (every command's parser accepts them: cli_accept_global_options()). */
typedef struct cli_globals {
    const char *base_url; /* --base-url, or NULL to keep the environment's */
    const char *api_key;  /* --api-key, or NULL to keep the environment's */
    int verbose;          /* -v: debug logging to stderr */
    /* Azure OpenAI (docs/azure.md): any of these, or OPENAI_API_TYPE=azure,
     * makes the client an Azure one (oai_client_azure_new()). */
    int azure;                    /* --azure */
    const char *azure_endpoint;   /* --azure-endpoint, or NULL: the environment's */
    const char *azure_deployment; /* --azure-deployment, or NULL: the model */
    const char *api_version;      /* --api-version, or NULL: the environment's */
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
extern const cli_command cli_cmd_data;
extern const cli_command cli_cmd_files;
extern const cli_command cli_cmd_fine_tune;
extern const cli_command cli_cmd_batch;
extern const cli_command cli_cmd_webhook;
extern const cli_command cli_cmd_responses;
extern const cli_command cli_cmd_embeddings;
extern const cli_command cli_cmd_tokens;

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

/** From now on, every parser also accepts the global options --base-url,
 *  --api-key and -v/--verbose (when its own table has no option of that
 *  name) and stores them in @p globals, so `oai chat --base-url URL hi`
 *  works. main() calls it once, before running the command. */
void cli_accept_global_options(cli_globals *globals);

/* ------------------------------------------------------------------------ */
/* Helpers shared by the commands. */

/** Prints the tool's own usage (defined in main.c). */
void cli_usage(FILE *out);

/** Prints "oai CMD: PROBLEM[ 'DETAIL']" and the usage of @p cmd (of the
 *  tool when NULL) to stderr; returns CLI_EXIT_USAGE. @p detail may be NULL;
 *  a NULL @p problem (one already printed, by the option parser) prints the
 *  usage only. */
int cli_usage_error(const cli_command *cmd, const char *problem, const char *detail);

/** Prints "PROG: unknown command 'NAME'", then "Did you mean 'X'?" for
 *  the @p candidates within two edits of NAME (or starting with it), then
 *  "Run 'PROG --help' for the list of commands." to stderr; returns
 *  CLI_EXIT_USAGE. */
int cli_unknown_command(const char *prog, const char *name, const char *const *candidates,
                        size_t count);

/** The exit status for a library status. */
int cli_exit_status(oai_status status);

/** Reports "oai: OAI_ERR_IO: cannot VERB 'PATH': REASON" (strerror(@p err));
 *  returns CLI_EXIT_LOCAL. */
int cli_report_file_error(const char *verb, const char *path, int err);

/** CLI_EXIT_OK when @p path is a regular file that can be read; otherwise
 *  reports why, naming the file, and returns the exit status. */
int cli_check_readable_file(const char *path);

/** CLI_EXIT_OK when a file can be written at @p path (not a directory, in
 *  an existing writable directory); otherwise reports why and returns the
 *  exit status. Creates nothing. */
int cli_check_writable_target(const char *path);

/** Prints "oai: OAI_ERR_X: MESSAGE" to stderr and returns the exit status
 *  for @p status. A NULL @p message uses oai_status_message(). */
int cli_report_status(oai_status status, const char *message);

/** Returns 0 when @p req was made (oai_request_status() is ::OAI_OK);
 *  otherwise prints why it was not (the library's message, or out of
 *  memory for NULL), frees it, and returns the exit status. */
int cli_check_request(oai_request *req);

/** Returns 0 when @p res succeeded; otherwise prints the API's message and
 *  request id to stderr and returns the exit status of the error. A 404
 *  from a base URL whose path does not end in /v1 adds "(does the base URL
 *  need /v1?)". */
int cli_check_response(const oai_response *res);

/** Creates the client: environment defaults, then the global options.
 *  On failure prints why, sets *exit_status and returns NULL: an invalid
 *  base URL (from --base-url or OPENAI_BASE_URL, exit 2), or no API key for
 *  OpenAI's own base URL (exit 3). */
oai_client *cli_client_new(const cli_globals *globals, int *exit_status);

/** Leaves the /v1 hint out of later 404 reports (a request to a full URL). */
void cli_no_base_url_hint(void);

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

/** Reads the rest of @p in into a new NUL-terminated string (free()), or
 *  NULL when memory ran out or reading failed (ferror(@p in) tells). */
char *cli_read_all(FILE *in);

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

/** An ::oai_event_fn that prints text deltas to stdout as they arrive
 *  (refusals and reasoning are told at the end, by cli_print_answer()).
 *  @p userdata, if not NULL, is an int set to 1 once something is printed. */
int cli_print_delta(void *userdata, const oai_event *ev);

/**
 * Prints the answer of a chat completion or legacy completion (streamed
 * or not) the same way: its text on stdout (unless @p streamed_text says
 * it was printed already), tool calls as "[tool call] NAME ARGUMENTS" lines
 * on stdout; without either, a refusal on stdout in place of the text.
 * With none of these (an empty text is none), any reasoning goes to stderr
 * after a "[reasoning]" line, then "oai: no answer: ..." and
 * CLI_EXIT_NO_ANSWER is returned.
 */
int cli_print_answer(const oai_response *res, int streamed_text);

/* What `oai chat` and `oai responses` share: the prompt, the stream's
 * printer, structured output (schema.c). */

/** After a prompt command's options: checks that there is a PROMPT and
 *  that --schema-name came with --schema, and joins the operands into
 *  *prompt (cli_join_text()). Returns CLI_CONTINUE, or reports the problem
 *  and returns the exit status. */
int cli_prompt_operands(const cli_command *cmd, cli_parser *p, const char *schema, const char *schema_name,
                        char **prompt);

/** The event callback of a streamed prompt command: cli_print_delta(), or,
 *  when the result is printed whole at the end (--json, --schema), one that
 *  prints nothing. */
oai_event_fn cli_stream_printer(int print_at_end);


/** Reads the JSON Schema in the file at @p path and asks @p req for output
 *  that follows it (oai_request_set_json_schema(), strict), named @p name
 *  or, when NULL, after the file (its base name without the extension).
 *  Returns CLI_EXIT_OK, or reports the problem and returns the exit
 *  status. */
int cli_apply_schema(oai_request *req, const char *path, const char *name);

/** Prints the answer parsed as JSON (oai_response_parsed()) on one line;
 *  a refusal or a reply without text says so on stderr (CLI_EXIT_NO_ANSWER),
 *  text that is not JSON is CLI_EXIT_PROTOCOL. Returns the exit status. */
int cli_print_parsed(const oai_response *res);

/** Writes the response body to stdout, adding a final newline if it lacks
 *  one. Returns 0, or CLI_EXIT_LOCAL when stdout failed. */
int cli_print_body(const oai_response *res);

/** Flushes stdout; returns 0, or CLI_EXIT_LOCAL (after saying so) on a
 *  write error such as a full disk or a closed pipe. */
int cli_finish_output(void);

/* ------------------------------------------------------------------------ */
/* What the resource commands (data, files, fine-tune, batch) share: groups
 * of sub-commands, listing through the pager, one-object output, downloads
 * and the progress bar. Defined in progress.c. */

/** One sub-command of a group, e.g. `oai files upload`. */
typedef struct cli_subcommand {
    const char *name;     /* as typed: "upload" */
    const char *prog;     /* "oai files upload", for messages */
    const char *synopsis; /* the arguments: "PATH --purpose PURPOSE [--large]" */
    const char *help;     /* what it does, and its options, for --help */
    /* Runs it: argv[0] is the sub-command's name. Returns an exit status. */
    int (*run)(const struct cli_subcommand *self, const cli_globals *globals,
               int argc, char **argv);
} cli_subcommand;

/** A command made of sub-commands. */
typedef struct cli_group {
    const cli_command *command;
    const cli_subcommand *subcommands;
    size_t count;
} cli_group;

/** Runs the sub-command named by argv[1] (argv[0] is the group's name);
 *  handles -h/--help and usage errors at the group level. */
int cli_group_run(const cli_group *group, const cli_globals *globals, int argc, char **argv);

/** Prints the group's usage: each sub-command's synopsis. */
void cli_group_usage(const cli_group *group, FILE *out);

/** Prints "SUB --help" on stdout; returns the exit status. */
int cli_subcommand_help(const cli_subcommand *sub);

/** Prints "PROG: PROBLEM[ 'DETAIL']" and the sub-command's usage to stderr;
 *  returns CLI_EXIT_USAGE. A NULL @p problem prints the usage only. */
int cli_subcommand_usage_error(const cli_subcommand *sub, const char *problem,
                               const char *detail);

/** Parses the arguments of a sub-command that takes one ID and --json:
 *  returns CLI_CONTINUE with *id and *json set, or the exit status. */
int cli_parse_id_args(const cli_subcommand *sub, int argc, char **argv,
                      const char **id, int *json);

/** Parses a --limit value (a positive integer) into @p limit; returns
 *  CLI_CONTINUE or a usage error. */
int cli_parse_limit(const cli_subcommand *sub, const char *value, int64_t *limit);

/** Prints one object in the human form of a sub-command. */
typedef void (*cli_object_fn)(const oai_value *object);

/**
 * Sends @p req (taken: freed here; NULL means it could not be made) and
 * prints the object it returns: compact JSON on one line with @p json, else
 * through @p print. Returns the exit status.
 */
int cli_show_object(const cli_globals *globals, oai_request *req, int json, cli_object_fn print);

/**
 * Prints every item of a list request (taken: freed here), paging with the
 * pager: one compact JSON object per line with @p json, else through
 * @p print. A @p limit above 0 stops after that many items, and sets the
 * page size (`limit`, at most 100). Returns the exit status.
 */
int cli_list(const cli_globals *globals, oai_request *req, int64_t limit, int json,
             cli_object_fn print);

/** Prints @p value as compact JSON and a newline; returns the exit status. */
int cli_print_json_line(const oai_value *value);

/** Writes server text to @p out on one line: control characters (line
 *  breaks, terminal escapes) become spaces; NULL prints "-". */
void cli_print_safe(FILE *out, const char *text);

/** Prints "NAME:" padded, then the value (cli_print_safe) and a newline. */
void cli_print_field(const char *name, const char *value);

/** Prints an integer field; @p v absent or null prints "-". */
void cli_print_field_int(const char *name, const oai_value *v);

/** Prints a Unix time field as UTC ISO 8601; absent or null prints "-". */
void cli_print_field_time(const char *name, const oai_value *v);

/** Formats a Unix time (a number value) as "2024-05-01T12:00:00Z" into
 *  @p buf (at least 32 bytes), or "-" when @p v is absent, null or not a
 *  number; returns @p buf. */
char *cli_format_time(const oai_value *v, char *buf, size_t size);

/** The state of a progress bar on stderr. */
typedef struct cli_progress {
    int enabled;          /* stderr is a terminal */
    int downloading;      /* count received bytes, not sent ones */
    int drawn;            /* the bar is on screen, its line open */
    int64_t done, total;  /* the last values reported */
    int64_t start_us;     /* when the transfer started (monotonic clock) */
    int64_t last_draw_us; /* when it was last drawn */
} cli_progress;

/** Prepares a bar for an upload (@p downloading 0) or a download. It draws
 *  only when stderr is a terminal. */
void cli_progress_init(cli_progress *p, int downloading);

/** An ::oai_progress_fn; @p userdata is a cli_progress. Redraws at most ten
 *  times a second: bar, percentage, bytes, rate and time left. Returns
 *  non-zero (cancel) once SIGINT arrived (cli_catch_interrupt()), else 0. */
int cli_progress_update(void *userdata, int64_t sent, int64_t send_total,
                        int64_t received, int64_t receive_total);

/** Draws the final state and ends the bar's line (if it was drawn). */
void cli_progress_finish(cli_progress *p);

/**
 * Sends a file-content request (@p req, taken: freed here) and writes the
 * body to the file at @p path (through the library's temporary file, renamed
 * over @p path only when the whole body arrived), or streams it to stdout
 * when @p path is NULL (no temporary file, memory stays flat), with a
 * progress bar. A failed or interrupted download leaves an existing file
 * untouched and no new file. Ctrl-C cancels it (exit 130). Returns the exit
 * status.
 */
int cli_download(oai_client *client, oai_request *req, const char *path);

/* ------------------------------------------------------------------------ */
/* Ctrl-C during transfers (interrupt.c) */

/** Turns SIGINT into a flag that the transfer callbacks check, so the call
 *  is cancelled cleanly (the library removes its temporary file). A second
 *  SIGINT kills the process as usual; an ignored SIGINT stays ignored. */
void cli_catch_interrupt(void);

/** Restores the action SIGINT had before cli_catch_interrupt(). */
void cli_release_interrupt(void);

/** Whether SIGINT arrived since cli_catch_interrupt(). */
int cli_interrupted(void);

/** After a call that was cancelled by SIGINT: ends the progress line, says
 *  "oai: interrupted" and returns CLI_EXIT_INTERRUPTED. */
int cli_report_interrupted(void);

#endif /* OAI_CLI_H */
