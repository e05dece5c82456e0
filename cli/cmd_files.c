/*
 * `oai files`: upload, list, show, delete and download files (`/files`,
 * and the Uploads API for large files).
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Files above this size go through the Uploads API in parts: /files takes
 * at most 512 MB in one request. */
#define LARGE_FILE_BYTES ((int64_t)512 * 1024 * 1024)

/* The Uploads API cuts a file into parts of at most 64 MiB. */
#define MAX_PART_BYTES ((int64_t)64 * 1024 * 1024)

static int run_upload(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_list(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_get(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_delete(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);
static int run_download(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);

static const cli_subcommand files_subcommands[] = {
    { "upload", "oai files upload", "PATH --purpose PURPOSE [--large] [--part-size BYTES] [--json]",
      "Uploads a file and prints its id. Files over 512 MB (or with --large) are\n"
      "sent in parts through the Uploads API.\n"
      "\n"
      "Options:\n"
      "  -p, --purpose PURPOSE  fine-tune, batch, assistants, vision, user_data or evals\n"
      "  --large                use the Uploads API whatever the size\n"
      "  --part-size BYTES      the part size of a large upload (at most 64 MiB,\n"
      "                         the default); implies --large\n"
      "  --json                 print the file object\n"
      "  -h, --help             Show this help\n",
      run_upload },
    { "list", "oai files list", "[--purpose PURPOSE] [--limit N] [--order asc|desc] [--json]",
      "Lists the files, newest first: id, size in bytes, purpose, creation time\n"
      "and name, one file per line.\n"
      "\n"
      "Options:\n"
      "  -p, --purpose PURPOSE  only the files of this purpose\n"
      "  --limit N              stop after N files\n"
      "  --order asc|desc       oldest or newest first (default desc)\n"
      "  --json                 print each file object, one per line\n"
      "  -h, --help             Show this help\n",
      run_list },
    { "get", "oai files get", "ID [--json]",
      "Shows a file's details.\n"
      "\n"
      "Options:\n"
      "  --json       print the file object\n"
      "  -h, --help   Show this help\n",
      run_get },
    { "delete", "oai files delete", "ID [--json]",
      "Deletes a file.\n"
      "\n"
      "Options:\n"
      "  --json       print the server's answer\n"
      "  -h, --help   Show this help\n",
      run_delete },
    { "download", "oai files download", "ID [-o PATH]",
      "Downloads a file's content to PATH, or streams it to standard output.\n"
      "PATH is replaced only once the whole content has arrived: a download\n"
      "that fails or is interrupted (Ctrl-C) leaves an existing file as it was.\n"
      "\n"
      "Options:\n"
      "  -o, --output PATH   where to write the content (\"-\": standard output)\n"
      "  -h, --help          Show this help\n",
      run_download },
};

static const cli_group files_group = {
    &cli_cmd_files, files_subcommands, sizeof files_subcommands / sizeof files_subcommands[0]
};

enum {
    OPT_HELP = 'h',
    OPT_OUTPUT = 'o',
    OPT_PURPOSE = 'p',
    OPT_JSON = 256,
    OPT_LARGE,
    OPT_PART_SIZE,
    OPT_LIMIT,
    OPT_ORDER
};

/* ------------------------------------------------------------------------ */
/* upload */

typedef struct upload_args {
    const char *path;
    const char *purpose;
    int large;
    int64_t part_size; /* 0: the library's default */
    int json;
} upload_args;

static const cli_option upload_options[] = {
    { OPT_HELP, 'h', "help", 0 },      { OPT_PURPOSE, 'p', "purpose", 1 },
    { OPT_LARGE, 0, "large", 0 },      { OPT_PART_SIZE, 0, "part-size", 1 },
    { OPT_JSON, 0, "json", 0 },
};

static int parse_upload_args(const cli_subcommand *self, int argc, char **argv, upload_args *a)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, self->prog, upload_options,
                    sizeof upload_options / sizeof upload_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            return cli_subcommand_help(self);
        case OPT_PURPOSE:
            a->purpose = p.value;
            break;
        case OPT_LARGE:
            a->large = 1;
            break;
        case OPT_PART_SIZE:
            if (cli_parse_int(p.value, 1, MAX_PART_BYTES, &a->part_size) != 0)
                return cli_subcommand_usage_error(
                    self, "--part-size needs a number of bytes from 1 to 67108864, not", p.value);
            a->large = 1;
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
                                                                : "missing PATH", NULL);
    if (!a->purpose || !*a->purpose)
        return cli_subcommand_usage_error(self, "--purpose is required", NULL);
    a->path = cli_operands(&p)[0];
    return CLI_CONTINUE;
}

/* The MIME type the Uploads API is told, from the file's extension. */
static const char *guess_mime_type(const char *path)
{
    static const struct {
        const char *extension, *mime_type;
    } types[] = {
        { ".jsonl", "text/jsonl" }, { ".json", "application/json" }, { ".txt", "text/plain" },
        { ".csv", "text/csv" },     { ".pdf", "application/pdf" },
    };
    size_t i, len = strlen(path);

    for (i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t ext_len = strlen(types[i].extension);
        if (len > ext_len && strcmp(path + len - ext_len, types[i].extension) == 0)
            return types[i].mime_type;
    }
    return NULL; /* application/octet-stream */
}

/* Prints the new file: its id, or its object with --json. */
static int print_uploaded(const oai_value *file, int json)
{
    const char *id = oai_value_get_string(file, "/id");

    if (json)
        return cli_print_json_line(file);
    if (!id)
        return cli_report_status(OAI_ERR_PROTOCOL, "the response holds no file id");
    puts(id);
    return CLI_EXIT_OK;
}

/* The status of a finished upload: interrupted, failed or fine. */
static int upload_outcome(const oai_response *res)
{
    if (cli_interrupted() && oai_response_status(res) == OAI_ERR_CANCELLED)
        return cli_report_interrupted();
    return cli_check_response(res);
}

/* POST /files in one request. */
static int upload_small(oai_client *client, const upload_args *a)
{
    oai_request *req;
    cli_progress progress;
    oai_response *res;
    int status;

    errno = 0; /* what the library's failure to open the file leaves, if any */
    req = oai_file_create_request_new(a->path, a->purpose);
    if (oai_request_status(req) == OAI_ERR_IO) {
        oai_request_free(req);
        return cli_report_file_error("read", a->path, errno ? errno : EIO);
    }
    if ((status = cli_check_request(req)) != CLI_EXIT_OK)
        return status;
    cli_progress_init(&progress, 0);
    oai_request_set_progress_callback(req, cli_progress_update, &progress);
    cli_catch_interrupt();
    res = oai_client_send(client, req);
    cli_release_interrupt();
    cli_progress_finish(&progress);
    status = upload_outcome(res);
    if (status == CLI_EXIT_OK)
        status = print_uploaded(oai_response_json(res), a->json);
    oai_response_free(res);
    oai_request_free(req);
    return status;
}

/* After a failed large upload, says which server-side upload is left. */
static void tell_unfinished(const oai_large_upload *up)
{
    const char *id = oai_large_upload_id(up);

    if (id)
        fprintf(stderr, "oai: upload %s was left unfinished after %zu parts (it expires in an hour)\n",
                id, oai_large_upload_part_count(up));
}

/* The Uploads API: create, parts, complete. (oai_client_upload_large_file() does
 * the same, but sets no part size.) */
static int upload_large(oai_client *client, const upload_args *a)
{
    oai_large_upload *up;
    cli_progress progress;
    oai_response *res;
    int status;

    errno = 0;
    up = oai_large_upload_new(client, a->path, a->purpose, guess_mime_type(a->path));
    if (!up)
        return cli_report_file_error("read", a->path, errno ? errno : EIO);
    if (a->part_size > 0 && oai_large_upload_set_part_size(up, a->part_size) != OAI_OK) {
        oai_large_upload_free(up);
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT, "invalid part size");
    }
    cli_progress_init(&progress, 0);
    oai_large_upload_set_progress_callback(up, cli_progress_update, &progress);
    cli_catch_interrupt();
    res = oai_large_upload_run(up);
    cli_release_interrupt();
    cli_progress_finish(&progress);
    status = upload_outcome(res);
    if (status == CLI_EXIT_OK)
        status = print_uploaded(oai_response_get(res, "/file"), a->json);
    else
        tell_unfinished(up);
    oai_response_free(res);
    oai_large_upload_free(up);
    return status;
}

static int run_upload(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    upload_args a = { NULL, NULL, 0, 0, 0 };
    struct stat st;
    oai_client *client;
    int status = parse_upload_args(self, argc, argv, &a);

    if (status != CLI_CONTINUE)
        return status;
    status = cli_check_readable_file(a.path);
    if (status != CLI_EXIT_OK)
        return status;
    if (stat(a.path, &st) != 0)
        return cli_report_file_error("read", a.path, errno);
    if (!S_ISREG(st.st_mode)) /* its size must be known before sending */
        return cli_report_status(OAI_ERR_IO, "the file to upload is not a regular file");
    client = cli_client_new(globals, &status);
    if (!client)
        return status;
    if (a.large || (int64_t)st.st_size > LARGE_FILE_BYTES)
        status = upload_large(client, &a);
    else
        status = upload_small(client, &a);
    oai_client_free(client);
    return status == CLI_EXIT_OK ? cli_finish_output() : status;
}

/* ------------------------------------------------------------------------ */
/* list, get, delete */

static const cli_option list_options[] = {
    { OPT_HELP, 'h', "help", 0 },   { OPT_PURPOSE, 'p', "purpose", 1 },
    { OPT_LIMIT, 0, "limit", 1 },   { OPT_ORDER, 0, "order", 1 },
    { OPT_JSON, 0, "json", 0 },
};

/* "file-abc  1234  fine-tune  2024-05-01T12:00:00Z  train.jsonl" */
static void print_file_line(const oai_value *file)
{
    char when[64];

    cli_print_safe(stdout, oai_value_get_string(file, "/id"));
    printf("  %lld  ", (long long)oai_value_get_int(file, "/bytes"));
    cli_print_safe(stdout, oai_value_get_string(file, "/purpose"));
    printf("  %s  ", cli_format_time(oai_value_get(file, "/created_at"), when, sizeof when));
    cli_print_safe(stdout, oai_value_get_string(file, "/filename"));
    putchar('\n');
}

/* Sets a query parameter, or says why it could not be. */
static int set_query(oai_request *req, const char *name, const char *value)
{
    if (value && oai_request_set_query(req, name, value) != OAI_OK)
        return cli_report_status(OAI_ERR_INVALID_ARGUMENT, "invalid query parameter");
    return CLI_EXIT_OK;
}

static int run_list(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *purpose = NULL, *order = NULL;
    int64_t limit = 0;
    int json = 0, opt, status = CLI_CONTINUE;
    oai_request *req;
    cli_parser p;

    cli_parser_init(&p, argc, argv, self->prog, list_options, sizeof list_options / sizeof list_options[0]);
    while (status == CLI_CONTINUE && (opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        else if (opt == OPT_PURPOSE)
            purpose = p.value;
        else if (opt == OPT_LIMIT)
            status = cli_parse_limit(self, p.value, &limit);
        else if (opt == OPT_ORDER && (strcmp(p.value, "asc") == 0 || strcmp(p.value, "desc") == 0))
            order = p.value;
        else if (opt == OPT_ORDER)
            return cli_subcommand_usage_error(self, "--order must be asc or desc, not", p.value);
        else if (opt == OPT_JSON)
            json = 1;
        else
            return cli_subcommand_usage_error(self, NULL, NULL);
    }
    if (status != CLI_CONTINUE)
        return status;
    if (p.operand_count > 0)
        return cli_subcommand_usage_error(self, "too many arguments", NULL);
    req = oai_file_list_request_new();
    if (req && (set_query(req, "purpose", purpose) != CLI_EXIT_OK ||
                set_query(req, "order", order) != CLI_EXIT_OK)) {
        oai_request_free(req);
        return CLI_EXIT_LOCAL;
    }
    return cli_list(globals, req, limit, json, print_file_line);
}

static void print_file(const oai_value *file)
{
    cli_print_field("id:", oai_value_get_string(file, "/id"));
    cli_print_field("filename:", oai_value_get_string(file, "/filename"));
    cli_print_field("purpose:", oai_value_get_string(file, "/purpose"));
    cli_print_field_int("bytes:", oai_value_get(file, "/bytes"));
    cli_print_field_time("created_at:", oai_value_get(file, "/created_at"));
    cli_print_field_time("expires_at:", oai_value_get(file, "/expires_at"));
    if (oai_value_get_string(file, "/status"))
        cli_print_field("status:", oai_value_get_string(file, "/status"));
}

static int run_get(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *id;
    int json, status = cli_parse_id_args(self, argc, argv, &id, &json);

    if (status != CLI_CONTINUE)
        return status;
    return cli_show_object(globals, oai_file_retrieve_request_new(id), json, print_file);
}

/* "deleted file-abc" */
static void print_deleted(const oai_value *answer)
{
    printf("%s ", oai_value_get_bool(answer, "/deleted") ? "deleted" : "not deleted:");
    cli_print_safe(stdout, oai_value_get_string(answer, "/id"));
    putchar('\n');
}

static int run_delete(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *id;
    int json, status = cli_parse_id_args(self, argc, argv, &id, &json);

    if (status != CLI_CONTINUE)
        return status;
    return cli_show_object(globals, oai_file_delete_request_new(id), json, print_deleted);
}

/* ------------------------------------------------------------------------ */
/* download */

static const cli_option download_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_OUTPUT, 'o', "output", 1 },
};

static int run_download(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    const char *output = NULL;
    oai_client *client;
    cli_parser p;
    int opt, status;

    cli_parser_init(&p, argc, argv, self->prog, download_options,
                    sizeof download_options / sizeof download_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        if (opt == OPT_HELP)
            return cli_subcommand_help(self);
        if (opt != OPT_OUTPUT)
            return cli_subcommand_usage_error(self, NULL, NULL);
        output = p.value;
    }
    if (p.operand_count != 1)
        return cli_subcommand_usage_error(self, p.operand_count ? "too many arguments"
                                                                : "missing ID", NULL);
    if (output && !*output)
        return cli_subcommand_usage_error(self, "-o needs a path", NULL);
    if (output && strcmp(output, "-") == 0)
        output = NULL; /* "-o -": standard output */
    client = cli_client_new(globals, &status);
    if (!client)
        return status;
    status = cli_download(client, oai_file_retrieve_content_request_new(cli_operands(&p)[0]), output);
    oai_client_free(client);
    return status;
}

static void files_usage(FILE *out)
{
    cli_group_usage(&files_group, out);
}

static int run_files(const cli_globals *globals, int argc, char **argv)
{
    return cli_group_run(&files_group, globals, argc, argv);
}

/** `oai files`. */
const cli_command cli_cmd_files = {
    "files", "Upload, list, show, delete and download files", run_files, files_usage
};
