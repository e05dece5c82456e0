/*
 * Helpers shared by the commands of the `oai` tool: exit statuses, error
 * reports, the client, number parsing and output.
 *
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Whether the last byte written to stdout by cli_write_text() left a line
 * open, so an error report or the end of a stream can close it first. The
 * tool is single-threaded. */
static int stdout_line_open;

/* Whether a 404 should ask about /v1: the base URL's path does not end in
 * it (set when the client is made), unless cli_no_base_url_hint() said the
 * base URL plays no part. */
static int base_url_lacks_v1;
static int base_url_hint_off;

static void print_one_line(FILE *out, const char *text);
static void close_stdout_line(void);

/** Prints the problem and the usage to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *problem, const char *detail)
{
    if (problem) {
        fprintf(stderr, "oai%s%s: %s", cmd ? " " : "", cmd ? cmd->name : "", problem);
        if (detail)
            fprintf(stderr, " '%s'", detail);
        fputc('\n', stderr);
    }
    fputc('\n', stderr);
    if (cmd)
        cmd->usage(stderr);
    else
        cli_usage(stderr);
    return CLI_EXIT_USAGE;
}

/* The edit distance between two short words (insertions, deletions,
 * substitutions and swaps of neighbours, ASCII case ignored); words longer
 * than CLI_MAX_WORD count as far apart. */
#define CLI_MAX_WORD 63

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t d[CLI_MAX_WORD + 1][CLI_MAX_WORD + 1];

    if (la > CLI_MAX_WORD || lb > CLI_MAX_WORD)
        return (size_t)-1;
    for (i = 0; i <= la; i++)
        d[i][0] = i;
    for (j = 0; j <= lb; j++)
        d[0][j] = j;
    for (i = 1; i <= la; i++) {
        for (j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1; /* "caht" for "chat" is one slip */
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/* Whether @p candidate is worth suggesting for the mistyped @p typed: no
 * more than @p best edits away (the closest candidates' distance, at most
 * two), or starting with it ("fine" for "fine-tune"). */
static int is_suggestion(const char *typed, const char *candidate, size_t best)
{
    size_t len = strlen(typed);

    if (edit_distance(typed, candidate) <= best)
        return 1;
    return len >= 3 && strncmp(candidate, typed, len) == 0;
}

/** Prints "PROG: unknown command 'NAME'", a "did you mean" line when a
 *  candidate is close, and where to find the commands. */
int cli_unknown_command(const char *prog, const char *name, const char *const *candidates,
                        size_t count)
{
    size_t i, shown = 0, matches = 0, best = 2;

    for (i = 0; i < count; i++)
        if (edit_distance(name, candidates[i]) < best)
            best = edit_distance(name, candidates[i]);
    close_stdout_line();
    fprintf(stderr, "%s: unknown command '", prog);
    print_one_line(stderr, name);
    fputs("'\n", stderr);
    for (i = 0; i < count; i++)
        matches += is_suggestion(name, candidates[i], best);
    for (i = 0; i < count && matches > 0; i++) {
        if (!is_suggestion(name, candidates[i], best))
            continue;
        fprintf(stderr, "%s'%s'", shown == 0 ? "Did you mean " : shown + 1 == matches ? " or " : ", ",
                candidates[i]);
        shown++;
    }
    if (shown > 0)
        fputs("?\n", stderr);
    fprintf(stderr, "Run '%s --help' for the list of commands.\n", prog);
    return CLI_EXIT_USAGE;
}

/** The exit status for a library status (the table in docs/cli.md). */
int cli_exit_status(oai_status status)
{
    switch (status) {
    case OAI_OK:
        return CLI_EXIT_OK;
    case OAI_ERR_AUTHENTICATION:
    case OAI_ERR_PERMISSION_DENIED:
        return CLI_EXIT_AUTH;
    case OAI_ERR_NOT_FOUND:
        return CLI_EXIT_NOT_FOUND;
    case OAI_ERR_BAD_REQUEST:
    case OAI_ERR_CONFLICT:
    case OAI_ERR_UNPROCESSABLE:
        return CLI_EXIT_BAD_REQUEST;
    case OAI_ERR_RATE_LIMIT:
        return CLI_EXIT_RATE_LIMIT;
    case OAI_ERR_SERVER:
    case OAI_ERR_API:
        return CLI_EXIT_SERVER;
    case OAI_ERR_CONNECTION:
    case OAI_ERR_TIMEOUT:
    case OAI_ERR_TLS:
        return CLI_EXIT_CONNECTION;
    case OAI_ERR_PROTOCOL:
    case OAI_ERR_TOO_LARGE:
    case OAI_ERR_TYPE:
        return CLI_EXIT_PROTOCOL;
    case OAI_ERR_INVALID_ARGUMENT:
    case OAI_ERR_OUT_OF_MEMORY:
    case OAI_ERR_IO:
    case OAI_ERR_CANCELLED:
    case OAI_ERR_INVALID_DATA:
        return CLI_EXIT_LOCAL;
    }
    return CLI_EXIT_SERVER; /* a status newer than this tool */
}

/* Writes server-supplied text on one line, with control characters (line
 * breaks, terminal escapes) replaced by spaces. */
static void print_one_line(FILE *out, const char *text)
{
    for (; *text; text++)
        fputc((unsigned char)*text < 0x20 || *text == 0x7f ? ' ' : *text, out);
}

/* Puts the error on a line of its own on a terminal that shows stdout and
 * stderr together. */
static void close_stdout_line(void)
{
    cli_end_line();
    fflush(stdout);
}

/** Prints "oai: OAI_ERR_X: MESSAGE" and returns the status's exit status. */
int cli_report_status(oai_status status, const char *message)
{
    close_stdout_line();
    fprintf(stderr, "oai: %s: ", oai_status_name(status));
    print_one_line(stderr, message ? message : oai_status_message(status));
    fputc('\n', stderr);
    return cli_exit_status(status);
}

int cli_check_request(oai_request *req)
{
    int status;

    if (!req)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    if (oai_request_status(req) == OAI_OK)
        return CLI_EXIT_OK;
    status = cli_report_status(oai_request_status(req), oai_request_error_message(req));
    oai_request_free(req);
    return status;
}

/** Reports "cannot VERB 'PATH': REASON" (strerror(@p err)) as an I/O
 *  error; returns its exit status. */
int cli_report_file_error(const char *verb, const char *path, int err)
{
    char message[600];

    snprintf(message, sizeof message, "cannot %s '%.400s': %s", verb, path, strerror(err));
    return cli_report_status(OAI_ERR_IO, message);
}

/** Checks that @p path is a regular file this process can read; otherwise
 *  reports why (naming it) and returns the exit status. */
int cli_check_readable_file(const char *path)
{
    struct stat st;
    FILE *f;

    if (stat(path, &st) != 0)
        return cli_report_file_error("read", path, errno);
    if (S_ISDIR(st.st_mode))
        return cli_report_file_error("read", path, EISDIR);
    f = fopen(path, "rb");
    if (!f)
        return cli_report_file_error("read", path, errno);
    fclose(f);
    return CLI_EXIT_OK;
}

/** Checks that a file can be written at @p path: not a directory, in a
 *  directory that exists and is writable. Otherwise reports why and
 *  returns the exit status. Nothing is created. */
int cli_check_writable_target(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_report_file_error("write", path, EISDIR);
    if (!slash)
        strcpy(dir, ".");
    else if (slash == path)
        strcpy(dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return cli_report_file_error("write", path, ENAMETOOLONG);
    if (stat(dir, &st) != 0)
        return cli_report_file_error("write", path, errno);
    if (!S_ISDIR(st.st_mode))
        return cli_report_file_error("write", path, ENOTDIR);
    if (access(dir, W_OK) != 0)
        return cli_report_file_error("write", path, errno);
    return CLI_EXIT_OK;
}

/** Returns 0 for a successful response, else reports it (message and
 *  request id) and returns its exit status. */
int cli_check_response(const oai_response *res)
{
    oai_status status = oai_response_status(res);
    const char *message = oai_response_error_message(res);
    const char *request_id = oai_response_request_id(res);

    if (status == OAI_OK)
        return CLI_EXIT_OK;
    close_stdout_line();
    fprintf(stderr, "oai: %s: ", oai_status_name(status));
    print_one_line(stderr, message && *message ? message : oai_status_message(status));
    if (request_id && *request_id) {
        fputs(" (request id ", stderr);
        print_one_line(stderr, request_id);
        fputc(')', stderr);
    }
    if (status == OAI_ERR_NOT_FOUND && base_url_lacks_v1)
        fputs(" (does the base URL need /v1?)", stderr);
    fputc('\n', stderr);
    return cli_exit_status(status);
}

/* OpenAI's own API: without a key nothing there can succeed. */
#define OPENAI_DEFAULT_BASE_URL "https://api.openai.com/v1"

/* Whether a query parameter of this name probably holds a secret. */
static int is_secret_name(const char *name, size_t len)
{
    static const char *const words[] = { "key", "token", "secret", "sig", "pass", "auth", "cred" };
    size_t i, j;

    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t wlen = strlen(words[i]);
        for (j = 0; j + wlen <= len; j++) {
            size_t k = 0;
            while (k < wlen && tolower((unsigned char)name[j + k]) == words[i][k])
                k++;
            if (k == wlen)
                return 1;
        }
    }
    return 0;
}

/* Prints @p len bytes of @p text on one line (control characters become
 * spaces). */
static void print_span(FILE *out, const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        fputc((unsigned char)text[i] < 0x20 || text[i] == 0x7f ? ' ' : text[i], out);
}

/* Prints a query ("?a=1&key=x#f") with the values of secret-looking
 * parameters replaced by "***". */
static void print_redacted_query(FILE *out, const char *query)
{
    const char *p = query;

    while (*p && *p != '#') {
        size_t pair_len = strcspn(p + 1, "&#") + 1; /* with its leading '?' or '&' */
        size_t name_len = strcspn(p + 1, "=&#");

        if (name_len + 1 < pair_len && is_secret_name(p + 1, name_len)) {
            print_span(out, p, name_len + 1);
            fputs("=***", out);
        } else {
            print_span(out, p, pair_len);
        }
        p += pair_len;
    }
    print_one_line(out, p);
}

/* Prints @p url on one line with its secrets replaced by "***": the
 * password of `user:pass@host` (the last '@' of the authority ends it, so
 * a password holding '@' stays hidden), and query values whose names look
 * like keys, tokens or signatures. */
static void print_redacted_url(FILE *out, const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *authority = scheme_end ? scheme_end + 3 : url;
    size_t authority_len = strcspn(authority, "/?#");
    const char *at = NULL, *rest, *query;
    size_t i;

    for (i = 0; i < authority_len; i++)
        if (authority[i] == '@')
            at = authority + i;
    print_span(out, url, (size_t)(authority - url));
    rest = authority;
    if (at) {
        size_t user_len = strcspn(authority, ":@");
        print_span(out, authority, user_len);
        if (authority + user_len < at)
            fputs(":***", out);
        rest = at;
    }
    query = strchr(rest, '?');
    if (!query) {
        print_one_line(out, rest);
        return;
    }
    print_span(out, rest, (size_t)(query - rest));
    print_redacted_query(out, query);
}

/** Prints the one message for a base URL the library refused, wherever it
 *  came from; returns CLI_EXIT_USAGE. */
static int invalid_base_url(const char *url, const char *source)
{
    close_stdout_line();
    fputs("oai: invalid base URL '", stderr);
    print_redacted_url(stderr, url ? url : "");
    fprintf(stderr, "' from %s: an absolute http:// or https:// URL with a host (and no "
                    "#fragment) is needed\n", source);
    return CLI_EXIT_USAGE;
}

/* Whether the path of @p url (before its query) ends in "/v1". */
static int path_ends_in_v1(const char *url)
{
    size_t len = strcspn(url, "?#");

    while (len > 0 && url[len - 1] == '/')
        len--;
    return len >= 3 && strncmp(url + len - 3, "/v1", 3) == 0;
}

/* Whether the key the client will send is set (an empty one is none). */
static int have_api_key(const cli_globals *globals)
{
    const char *env_key = getenv("OPENAI_API_KEY");

    if (globals->api_key)
        return *globals->api_key != '\0';
    return env_key && *env_key;
}

/* Whether the client is an Azure OpenAI one: an Azure option, or
 * OPENAI_API_TYPE=azure as the official Python module reads it. */
static int wants_azure(const cli_globals *globals)
{
    const char *type = getenv("OPENAI_API_TYPE");

    return globals->azure || globals->azure_endpoint || globals->azure_deployment ||
           globals->api_version || (type && strcmp(type, "azure") == 0);
}

/* The Azure options over AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION;
 * the library says what is still missing when a request is sent. */
static int apply_azure(oai_client *client, const cli_globals *globals)
{
    if (globals->azure_endpoint && oai_client_set_azure_endpoint(client, globals->azure_endpoint) != OAI_OK)
        return invalid_base_url(globals->azure_endpoint, "--azure-endpoint");
    if (oai_client_status(client) != OAI_OK)
        return invalid_base_url(getenv("AZURE_OPENAI_ENDPOINT"), "AZURE_OPENAI_ENDPOINT");
    if (globals->api_version && oai_client_set_azure_api_version(client, globals->api_version) != OAI_OK)
        return cli_usage_error(NULL, "invalid --api-version", NULL);
    if (globals->azure_deployment && oai_client_set_azure_deployment(client, globals->azure_deployment) != OAI_OK)
        return cli_usage_error(NULL, "invalid --azure-deployment (a name without '/')", NULL);
    if (globals->api_key && oai_client_set_api_key(client, globals->api_key) != OAI_OK)
        return cli_usage_error(NULL, "invalid --api-key (it must be one line)", NULL);
    if (globals->base_url && oai_client_set_base_url(client, globals->base_url) != OAI_OK)
        return invalid_base_url(globals->base_url, "--base-url");
    base_url_lacks_v1 = 0;
    return CLI_EXIT_OK;
}

/* Applies the global options over the environment's defaults. A bad value
 * is a usage error; the API key itself is never echoed. */
static int apply_globals(oai_client *client, const cli_globals *globals)
{
    if (globals->verbose && oai_client_set_log_level(client, OAI_LOG_DEBUG) != OAI_OK)
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT, "cannot enable logging");
    if (oai_client_is_azure(client))
        return apply_azure(client, globals);
    /* A valid --base-url also clears the error an invalid OPENAI_BASE_URL
     * left on the client. */
    if (globals->base_url && oai_client_set_base_url(client, globals->base_url) != OAI_OK)
        return invalid_base_url(globals->base_url, "--base-url");
    if (oai_client_status(client) != OAI_OK)
        return invalid_base_url(getenv("OPENAI_BASE_URL"), "OPENAI_BASE_URL");
    if (globals->api_key && oai_client_set_api_key(client, globals->api_key) != OAI_OK)
        return cli_usage_error(NULL, "invalid --api-key (it must be one line)", NULL);
    if (!have_api_key(globals) && strcmp(oai_client_base_url(client), OPENAI_DEFAULT_BASE_URL) == 0) {
        /* What the official SDKs refuse at once, rather than wait for a 401. */
        close_stdout_line();
        fputs("oai: no API key: set the OPENAI_API_KEY environment variable or pass --api-key\n"
              "(a local server needs no key: point --base-url or OPENAI_BASE_URL at it)\n",
              stderr);
        return CLI_EXIT_AUTH;
    }
    base_url_lacks_v1 = !base_url_hint_off && !path_ends_in_v1(oai_client_base_url(client));
    return CLI_EXIT_OK;
}

/** Creates the client from the environment and the global options. */
oai_client *cli_client_new(const cli_globals *globals, int *exit_status)
{
    oai_client *client = wants_azure(globals) ? oai_client_azure_new() : oai_client_new();

    if (!client) {
        *exit_status = cli_report_status(OAI_ERR_OUT_OF_MEMORY, "cannot create the client");
        return NULL;
    }
    *exit_status = apply_globals(client, globals);
    if (*exit_status != CLI_EXIT_OK) {
        oai_client_free(client);
        return NULL;
    }
    return client;
}

/** Leaves the "(does the base URL need /v1?)" hint out of 404 reports (for
 *  requests to a full URL, where the base URL plays no part). */
void cli_no_base_url_hint(void)
{
    base_url_hint_off = 1;
    base_url_lacks_v1 = 0;
}

/** Sends @p req and prints the outcome; returns the exit status. */
int cli_run_request(const cli_globals *globals, const oai_request *req,
                    cli_print_fn print, void *userdata)
{
    int status;
    oai_client *client = cli_client_new(globals, &status);
    oai_response *res;

    if (!client)
        return status;
    res = oai_client_send(client, req);
    status = cli_check_response(res);
    if (status == CLI_EXIT_OK && print)
        status = print(res, userdata);
    oai_response_free(res);
    oai_client_free(client);
    if (status == CLI_EXIT_OK)
        status = cli_finish_output();
    return status;
}

/** Parses a finite number; 0 on success, -1 otherwise. */
int cli_parse_number(const char *text, double *out)
{
    char *end;
    double value;

    errno = 0;
    value = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value))
        return -1;
    *out = value;
    return 0;
}

/** Parses a decimal integer in [min, max]; 0 on success, -1 otherwise. */
int cli_parse_int(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long value;

    errno = 0;
    value = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || value < min || value > max)
        return -1;
    *out = (int64_t)value;
    return 0;
}

/** Parses a -t value (0 to 2 for OpenAI; any finite number is passed on). */
int cli_parse_temperature(const cli_command *cmd, const char *value, cli_sampling *s)
{
    if (cli_parse_number(value, &s->temperature) != 0)
        return cli_usage_error(cmd, "-t needs a number, not", value);
    s->has_temperature = 1;
    return CLI_CONTINUE;
}

/** Parses a --max-tokens value: a positive integer. */
int cli_parse_max_tokens(const cli_command *cmd, const char *value, cli_sampling *s)
{
    if (cli_parse_int(value, 1, INT32_MAX, &s->max_tokens) != 0)
        return cli_usage_error(cmd, "--max-tokens needs a positive integer, not", value);
    return CLI_CONTINUE;
}

/** Sets the sampling fields that were given on the command line. */
oai_status cli_apply_sampling(oai_request *req, const cli_sampling *s)
{
    oai_status status = OAI_OK;

    if (s->has_temperature)
        status = oai_request_set_number(req, "/temperature", s->temperature);
    if (status == OAI_OK && s->max_tokens > 0)
        status = oai_request_set_int(req, "/max_tokens", s->max_tokens);
    return status;
}

/** Reads all of @p in into a new NUL-terminated string, or NULL. */
char *cli_read_all(FILE *in)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);

    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, in);
        len += got;
        if (got == 0)
            break;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
        }
    }
    if (!buf)
        return NULL;
    if (ferror(in)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/** Joins the operands with spaces, or reads stdin for a lone "-". */
char *cli_join_text(int count, char **operands, int *exit_status)
{
    size_t total = 1;
    char *text;
    int i;

    if (count == 1 && strcmp(operands[0], "-") == 0) {
        text = cli_read_all(stdin);
        if (!text)
            *exit_status = cli_report_status(OAI_ERR_IO, "cannot read standard input");
        return text;
    }
    for (i = 0; i < count; i++)
        total += strlen(operands[i]) + 1;
    text = malloc(total);
    if (!text) {
        *exit_status = cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
        return NULL;
    }
    text[0] = '\0';
    for (i = 0; i < count; i++) {
        if (i > 0)
            strcat(text, " ");
        strcat(text, operands[i]);
    }
    return text;
}

/** Writes text to stdout at once (flushing), tracking the open line. */
void cli_write_text(const char *text, size_t len)
{
    if (!text || len == 0)
        return;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    stdout_line_open = text[len - 1] != '\n';
}

/** Ends the current stdout line if one is open. */
void cli_end_line(void)
{
    if (stdout_line_open)
        fputc('\n', stdout);
    stdout_line_open = 0;
}

/** Prints text deltas as they arrive. */
int cli_print_delta(void *userdata, const oai_event *ev)
{
    int type = oai_event_type_of(ev);

    if (type == OAI_EVENT_TEXT) {
        cli_write_text(oai_event_text(ev), oai_event_text_len(ev));
        if (userdata && oai_event_text_len(ev) > 0)
            *(int *)userdata = 1;
    }
    return 0;
}

/* The string at @p pointer when it is not empty, else NULL. */
static const char *nonempty_string(const oai_response *res, const char *pointer)
{
    const char *text = oai_response_get_string(res, pointer);
    return text && *text ? text : NULL;
}

/* "[tool call] NAME ARGUMENTS" for each tool call of the first choice;
 * returns how many there were. */
static size_t print_tool_calls(const oai_response *res)
{
    const oai_value *calls = oai_response_get(res, "/choices/0/message/tool_calls");
    size_t i, count = oai_value_count(calls);

    for (i = 0; i < count; i++) {
        const oai_value *call = oai_value_item(calls, i);
        fputs("[tool call] ", stdout);
        cli_print_safe(stdout, oai_value_get_string(call, "/function/name"));
        fputc(' ', stdout);
        cli_print_safe(stdout, oai_value_get_string(call, "/function/arguments"));
        fputc('\n', stdout);
    }
    return count;
}

/* Writes "[LABEL]" and the model's text (as it is, several lines maybe)
 * to stderr. */
static void print_marked(const char *label, const char *text)
{
    size_t len = strlen(text);

    fprintf(stderr, "[%s]\n%s%s", label, text, len > 0 && text[len - 1] == '\n' ? "" : "\n");
}

/** Prints the answer, or says there is none; see cli.h. */
int cli_print_answer(const oai_response *res, int streamed_text)
{
    const char *text = oai_response_text(res);
    const char *refusal, *reasoning, *finish;
    int has_text = streamed_text || (text && *text);

    if (has_text && !streamed_text)
        cli_write_text(text, strlen(text));
    cli_end_line();
    if (print_tool_calls(res) > 0 || has_text)
        return CLI_EXIT_OK;
    /* A refusal is the model's answer: it stands in for the text. */
    refusal = nonempty_string(res, "/choices/0/message/refusal");
    if (refusal) {
        cli_write_text(refusal, strlen(refusal));
        cli_end_line();
        return CLI_EXIT_OK;
    }
    fflush(stdout);
    /* llama.cpp's and DeepSeek's field, then vLLM's. */
    reasoning = nonempty_string(res, "/choices/0/message/reasoning_content");
    if (!reasoning)
        reasoning = nonempty_string(res, "/choices/0/message/reasoning");
    if (reasoning)
        print_marked("reasoning", reasoning);
    fprintf(stderr, "oai: no answer: the response holds no text%s",
            reasoning ? ", only reasoning" : "");
    finish = nonempty_string(res, "/choices/0/finish_reason");
    if (finish) {
        fputs(" (finish reason: ", stderr);
        print_one_line(stderr, finish);
        fputc(')', stderr);
    }
    fputc('\n', stderr);
    return CLI_EXIT_NO_ANSWER;
}

/** Writes the raw body to stdout, ending it with a newline. */
int cli_print_body(const oai_response *res)
{
    size_t len = oai_response_body_len(res);
    const char *body = oai_response_body(res);

    if (len == 0)
        return CLI_EXIT_OK;
    cli_write_text(body, len);
    cli_end_line();
    return CLI_EXIT_OK;
}

/** Flushes stdout, reporting a write error (full disk, closed pipe). */
int cli_finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_report_status(OAI_ERR_IO, "cannot write to standard output");
    return CLI_EXIT_OK;
}
