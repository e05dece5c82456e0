/*
 * What the resource commands of the `oai` tool (data, files, fine-tune,
 * batch) share: groups of sub-commands, listing through the pager, printing
 * API objects, and file transfers with a progress bar on stderr.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* ------------------------------------------------------------------------ */
/* Groups of sub-commands */

/** Prints the group's usage and the synopsis of each sub-command. */
void cli_group_usage(const cli_group *group, FILE *out)
{
    size_t i;

    fprintf(out, "Usage: oai %s COMMAND [ARGS...]\n\n%s.\n\nCommands:\n",
            group->command->name, group->command->summary);
    for (i = 0; i < group->count; i++)
        fprintf(out, "  %s %s\n", group->subcommands[i].prog, group->subcommands[i].synopsis);
    fprintf(out, "\nRun 'oai %s COMMAND --help' for the options of a command.\n",
            group->command->name);
}

static void subcommand_usage(const cli_subcommand *sub, FILE *out)
{
    fprintf(out, "Usage: %s %s\n\n%s", sub->prog, sub->synopsis, sub->help);
}

/** Prints the sub-command's usage on stdout. */
int cli_subcommand_help(const cli_subcommand *sub)
{
    subcommand_usage(sub, stdout);
    return cli_finish_output();
}

/** Prints the problem and the sub-command's usage to stderr. */
int cli_subcommand_usage_error(const cli_subcommand *sub, const char *problem, const char *detail)
{
    if (problem) {
        fprintf(stderr, "%s: %s", sub->prog, problem);
        if (detail)
            fprintf(stderr, " '%s'", detail);
        fputc('\n', stderr);
    }
    fputc('\n', stderr);
    subcommand_usage(sub, stderr);
    return CLI_EXIT_USAGE;
}

static const cli_option group_options[] = {
    { 'h', 'h', "help", 0 },
};

/* "oai files: unknown command 'uplod'", with the sub-commands that are
 * close to it. */
static int unknown_subcommand(const cli_group *group, const char *prog, const char *name)
{
    const char *names[32];
    size_t i, count = group->count < 32 ? group->count : 32;

    for (i = 0; i < count; i++)
        names[i] = group->subcommands[i].name;
    return cli_unknown_command(prog, name, names, count);
}

/** Dispatches to the sub-command named by the first operand; global
 *  options may come before it (`oai files -v list`). */
int cli_group_run(const cli_group *group, const cli_globals *globals, int argc, char **argv)
{
    char prog[64];
    cli_parser p;
    size_t i;
    int opt;

    snprintf(prog, sizeof prog, "oai %s", group->command->name);
    cli_parser_init(&p, argc, argv, prog, group_options, sizeof group_options / sizeof group_options[0]);
    p.stop_at_operand = 1;
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt != 'h')
            return cli_usage_error(group->command, NULL, NULL);
        cli_group_usage(group, stdout);
        return cli_finish_output();
    }
    if (p.next >= argc)
        return cli_usage_error(group->command, "missing command", NULL);
    argc -= p.next;
    argv += p.next;
    for (i = 0; i < group->count; i++)
        if (strcmp(group->subcommands[i].name, argv[0]) == 0)
            return group->subcommands[i].run(&group->subcommands[i], globals, argc, argv);
    return unknown_subcommand(group, prog, argv[0]);
}

enum { OPT_HELP = 'h', OPT_JSON = 256 };

static const cli_option id_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_JSON, 0, "json", 0 },
};

/** Parses "ID [--json]". */
int cli_parse_id_args(const cli_subcommand *sub, int argc, char **argv, const char **id, int *json)
{
    cli_parser p;
    int opt;

    *json = 0;
    cli_parser_init(&p, argc, argv, sub->prog, id_options, sizeof id_options / sizeof id_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(sub);
        if (opt != OPT_JSON)
            return cli_subcommand_usage_error(sub, NULL, NULL);
        *json = 1;
    }
    if (p.operand_count == 0)
        return cli_subcommand_usage_error(sub, "missing ID", NULL);
    if (p.operand_count > 1)
        return cli_subcommand_usage_error(sub, "too many arguments", NULL);
    *id = cli_operands(&p)[0];
    return CLI_CONTINUE;
}

/** Parses a --limit value: a positive integer. */
int cli_parse_limit(const cli_subcommand *sub, const char *value, int64_t *limit)
{
    if (cli_parse_int(value, 1, INT32_MAX, limit) != 0)
        return cli_subcommand_usage_error(sub, "--limit needs a positive integer, not", value);
    return CLI_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Printing API objects */

/** Prints a value as one line of compact JSON. */
int cli_print_json_line(const oai_value *value)
{
    char *text = oai_value_json_dup(value);

    if (!text)
        return cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    puts(text);
    oai_free(text);
    return CLI_EXIT_OK;
}

/** Writes server text on one line, control characters replaced. */
void cli_print_safe(FILE *out, const char *text)
{
    if (!text) {
        fputc('-', out);
        return;
    }
    for (; *text; text++)
        fputc((unsigned char)*text < 0x20 || *text == 0x7f ? ' ' : *text, out);
}

static int is_number(const oai_value *v)
{
    return oai_value_type_of(v) == OAI_VALUE_INT || oai_value_type_of(v) == OAI_VALUE_NUMBER;
}

/** Formats a Unix time in UTC, ISO 8601, or "-". */
char *cli_format_time(const oai_value *v, char *buf, size_t size)
{
    time_t t = (time_t)oai_value_int(v);
    struct tm tm;

    if (!is_number(v))
        snprintf(buf, size, "-");
    else if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)oai_value_int(v));
    return buf;
}

/* Field names are padded so that the values line up. */
static void print_name(const char *name)
{
    printf("%-20s ", name);
}

/** Prints "NAME: value". */
void cli_print_field(const char *name, const char *value)
{
    print_name(name);
    cli_print_safe(stdout, value);
    putchar('\n');
}

/** Prints an integer field, or "-". */
void cli_print_field_int(const char *name, const oai_value *v)
{
    print_name(name);
    if (is_number(v))
        printf("%lld\n", (long long)oai_value_int(v));
    else
        puts("-");
}

/** Prints a time field, or "-". */
void cli_print_field_time(const char *name, const oai_value *v)
{
    char buf[64];

    print_name(name);
    puts(cli_format_time(v, buf, sizeof buf));
}

/* ------------------------------------------------------------------------ */
/* One object, or a whole list */

/** Sends the request and prints the object it returns. */
int cli_show_object(const cli_globals *globals, oai_request *req, int json, cli_object_fn print)
{
    int status;
    oai_client *client;
    oai_response *res;

    if ((status = cli_check_request(req)) != CLI_EXIT_OK)
        return status;
    client = cli_client_new(globals, &status);
    if (!client) {
        oai_request_free(req);
        return status;
    }
    res = oai_client_send(client, req);
    status = cli_check_response(res);
    if (status == CLI_EXIT_OK) {
        if (json)
            status = cli_print_json_line(oai_response_json(res));
        else
            print(oai_response_json(res));
    }
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(client);
    return status == CLI_EXIT_OK ? cli_finish_output() : status;
}

/* The API's own pages hold at most 100 items for most lists. */
#define MAX_PAGE_SIZE 100

/* Walks the pages and prints each item; returns the exit status. */
static int print_items(oai_pager *pager, int json, cli_object_fn print)
{
    const oai_value *item;
    oai_status st;
    int status = CLI_EXIT_OK;

    while (status == CLI_EXIT_OK && (st = oai_pager_next(pager, &item)) == OAI_OK && item) {
        if (json)
            status = cli_print_json_line(item);
        else
            print(item);
    }
    if (status != CLI_EXIT_OK)
        return status;
    if (st == OAI_OK)
        return cli_finish_output();
    /* A failed fetch is the pager's last response; anything else (memory)
     * has no response to tell about. */
    if (oai_response_status(oai_pager_response(pager)) != OAI_OK)
        return cli_check_response(oai_pager_response(pager));
    return cli_report_status(st, NULL);
}

/** Prints every item of a list, page by page. */
int cli_list(const cli_globals *globals, oai_request *req, int64_t limit, int json,
             cli_object_fn print)
{
    char page_size[32];
    int status;
    oai_client *client;
    oai_pager *pager = NULL;

    if ((status = cli_check_request(req)) != CLI_EXIT_OK)
        return status;
    snprintf(page_size, sizeof page_size, "%lld",
             (long long)(limit < MAX_PAGE_SIZE ? limit : MAX_PAGE_SIZE));
    client = cli_client_new(globals, &status);
    if (client && (limit <= 0 || oai_request_set_query(req, "limit", page_size) == OAI_OK))
        pager = oai_pager_new(client, req);
    if (pager && limit > 0)
        oai_pager_set_max_items(pager, (size_t)limit);
    if (pager)
        status = print_items(pager, json, print);
    else if (client)
        status = cli_report_status(OAI_ERR_OUT_OF_MEMORY, NULL);
    oai_pager_free(pager);
    oai_client_free(client);
    oai_request_free(req);
    return status;
}

/* ------------------------------------------------------------------------ */
/* The progress bar */

#define BAR_WIDTH 30
#define REDRAW_INTERVAL_US 100000 /* at most ten redraws a second */

static int64_t monotonic_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/** Prepares a bar; it draws only when stderr is a terminal. */
void cli_progress_init(cli_progress *p, int downloading)
{
    memset(p, 0, sizeof *p);
    p->enabled = isatty(2);
    p->downloading = downloading;
    p->start_us = monotonic_us();
}

/* Picks a unit that suits the size: kB, MB or GB (powers of 1000). */
static double in_unit(double bytes, double scale_of, const char **unit)
{
    if (scale_of >= 1e9) {
        *unit = "GB";
        return bytes / 1e9;
    }
    if (scale_of >= 1e6) {
        *unit = "MB";
        return bytes / 1e6;
    }
    *unit = "kB";
    return bytes / 1e3;
}

/* Formats a duration as "m:ss", or "h:mm:ss" from an hour on. */
static void format_duration(char *buf, size_t size, int64_t seconds)
{
    if (seconds >= 3600)
        snprintf(buf, size, "%lld:%02d:%02d", (long long)(seconds / 3600),
                 (int)(seconds / 60 % 60), (int)(seconds % 60));
    else
        snprintf(buf, size, "%d:%02d", (int)(seconds / 60), (int)(seconds % 60));
}

/* The average rate since the start in bytes per second, or 0 while too
 * little time has passed to tell. */
static double rate_of(const cli_progress *p, int64_t now_us)
{
    int64_t elapsed_us = now_us - p->start_us;

    if (elapsed_us <= 0 || p->done <= 0)
        return 0;
    return (double)p->done * 1e6 / (double)elapsed_us;
}

/* "  4.1 MB/s" and, while running, "  ETA 0:04" (or "ETA --:--" before
 * the rate is known); at the end, "  in 0:07". */
static void draw_rate(const cli_progress *p, int finished)
{
    int64_t now = monotonic_us();
    double rate = rate_of(p, now), shown;
    const char *unit;
    char when[32];

    if (rate > 0) {
        shown = in_unit(rate, rate, &unit);
        fprintf(stderr, "  %.1f %s/s", shown, unit);
    }
    if (finished) {
        format_duration(when, sizeof when, (now - p->start_us) / 1000000);
        fprintf(stderr, "  in %s", when);
    } else if (p->total > 0) {
        if (rate > 0 && p->done <= p->total)
            format_duration(when, sizeof when, (int64_t)((double)(p->total - p->done) / rate + 0.5));
        else
            snprintf(when, sizeof when, "--:--");
        fprintf(stderr, "  ETA %s", when);
    }
}

/* "\r[#####     ]  45% 12.3/27.0 MB  4.1 MB/s  ETA 0:04", or
 * "\r12.3 MB  4.1 MB/s" when the size is unknown. */
static void draw(cli_progress *p, int finished)
{
    char bar[BAR_WIDTH + 1];
    const char *unit;
    double done, total;
    int64_t filled, percent;

    if (p->total <= 0) {
        done = in_unit((double)p->done, (double)p->done, &unit);
        fprintf(stderr, "\r%.1f %s", done, unit);
    } else {
        int64_t now = p->done < p->total ? p->done : p->total;
        filled = now * BAR_WIDTH / p->total;
        percent = now * 100 / p->total;
        memset(bar, '#', (size_t)filled);
        memset(bar + filled, ' ', (size_t)(BAR_WIDTH - filled));
        bar[BAR_WIDTH] = '\0';
        total = in_unit((double)p->total, (double)p->total, &unit);
        done = in_unit((double)now, (double)p->total, &unit);
        fprintf(stderr, "\r[%s] %3d%% %.1f/%.1f %s", bar, (int)percent, done, total, unit);
    }
    draw_rate(p, finished);
    fputs("   ", stderr); /* clears what a longer previous line left */
    fflush(stderr);
    p->drawn = 1;
}

/** Records the progress and redraws when it is time to; cancels the
 *  transfer once Ctrl-C was pressed. */
int cli_progress_update(void *userdata, int64_t sent, int64_t send_total, int64_t received,
                        int64_t receive_total)
{
    cli_progress *p = userdata;
    int64_t now;

    if (cli_interrupted())
        return 1;
    if (!p->enabled)
        return 0;
    p->done = p->downloading ? received : sent;
    p->total = p->downloading ? receive_total : send_total;
    if (p->done == 0 && p->total <= 0)
        return 0; /* nothing known yet */
    now = monotonic_us();
    if (p->drawn && now - p->last_draw_us < REDRAW_INTERVAL_US)
        return 0;
    p->last_draw_us = now;
    draw(p, 0);
    return 0;
}

/** Draws the last state and ends the line. */
void cli_progress_finish(cli_progress *p)
{
    if (!p->enabled || !p->drawn)
        return;
    if (!cli_interrupted())
        draw(p, 1);
    fputc('\n', stderr);
    p->drawn = 0;
}

/* ------------------------------------------------------------------------ */
/* Downloads */

/* Sends a download request with a progress bar and Ctrl-C handling;
 * returns the response. */
static oai_response *send_download(oai_client *client, oai_request *req, int to_stdout)
{
    cli_progress progress;
    oai_response *res;

    cli_progress_init(&progress, 1);
    if (to_stdout && isatty(1))
        progress.enabled = 0; /* the bar would be drawn into the content */
    oai_request_set_progress_callback(req, cli_progress_update, &progress);
    cli_catch_interrupt();
    res = oai_client_send(client, req);
    cli_release_interrupt();
    cli_progress_finish(&progress);
    return res;
}

/* The status of a finished download: interrupted, failed or fine. */
static int download_outcome(const oai_response *res)
{
    if (cli_interrupted() && oai_response_status(res) == OAI_ERR_CANCELLED)
        return cli_report_interrupted();
    return cli_check_response(res);
}

/* The library's message for a file it could not write does not name the
 * file: say which. */
static int report_write_error(const char *target, const char *message)
{
    char text[800];

    snprintf(text, sizeof text, "cannot write '%.400s': %s", target,
             message && *message ? message : oai_status_message(OAI_ERR_IO));
    return cli_report_status(OAI_ERR_IO, text);
}

/* Writes the body to @p target: the library downloads to a temporary file
 * next to it and renames it over @p target only when the whole body has
 * arrived, so a failure or Ctrl-C leaves an existing file as it was. */
static int download_to_file(oai_client *client, oai_request *req, const char *target)
{
    oai_response *res;
    int status = cli_check_writable_target(target);

    if (status != CLI_EXIT_OK)
        return status;
    if (oai_request_set_output_file(req, target) != OAI_OK)
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT, "invalid output path");
    res = send_download(client, req, 0);
    if (oai_response_status(res) == OAI_ERR_IO) /* writing failed: a full disk, a size limit */
        status = report_write_error(target, oai_response_error_message(res));
    else
        status = download_outcome(res);
    oai_response_free(res);
    return status;
}

/* Streaming to stdout: what was written, and whether writing failed. */
typedef struct stdout_sink {
    int64_t written;
    int write_failed;
} stdout_sink;

/* An ::oai_data_fn: each piece of the body goes straight to stdout. */
static int write_to_stdout(void *userdata, const char *data, size_t len)
{
    stdout_sink *sink = userdata;

    if (cli_interrupted())
        return 1;
    if (fwrite(data, 1, len, stdout) != len) {
        sink->write_failed = 1;
        return 1;
    }
    sink->written += (int64_t)len;
    return 0;
}

/* An ::oai_retry_fn: a retry would send the body again from its start, so
 * once bytes reached stdout the download cannot be retried. */
static int retry_unless_written(void *userdata, int retry, int64_t delay_ms, int reason,
                                int http_status)
{
    const stdout_sink *sink = userdata;

    (void)retry;
    (void)delay_ms;
    (void)reason;
    (void)http_status;
    return sink->written > 0;
}

/* Streams the body to stdout as it arrives: no temporary file, and memory
 * does not grow with the body. */
static int download_to_stdout(oai_client *client, oai_request *req)
{
    stdout_sink sink = { 0, 0 };
    oai_response *res;
    int status;

    if (oai_request_set_data_callback(req, write_to_stdout, &sink) != OAI_OK ||
        oai_client_set_retry_callback(client, retry_unless_written, &sink) != OAI_OK)
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT, "cannot stream to standard output");
    res = send_download(client, req, 1);
    oai_client_set_retry_callback(client, NULL, NULL);
    if (sink.write_failed)
        status = cli_report_status(OAI_ERR_IO, "cannot write to standard output");
    else
        status = download_outcome(res);
    oai_response_free(res);
    return status == CLI_EXIT_OK ? cli_finish_output() : status;
}

/** Downloads to @p path, or to stdout when it is NULL. */
int cli_download(oai_client *client, oai_request *req, const char *path)
{
    int status;

    if ((status = cli_check_request(req)) != CLI_EXIT_OK)
        return status;
    status = path ? download_to_file(client, req, path) : download_to_stdout(client, req);
    oai_request_free(req);
    return status;
}
