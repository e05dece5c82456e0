/*
 * `oai tokens count [-m MODEL | -e ENCODING] [FILE|-]`: the exact number of
 * tokens of a text, locally (docs/tokens.md). Prints one integer.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_count(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv);

static const cli_subcommand tokens_subcommands[] = {
    { "count", "oai tokens count",
      "[-m MODEL | -e ENCODING] [--vocab-dir DIR] [--special] [FILE|-]",
      "Prints the number of tokens of the text of FILE (standard input when\n"
      "it is - or missing) as one integer, counted exactly as OpenAI's\n"
      "tiktoken counts them. Nothing is sent over the network.\n"
      "Exit status 0, 2 for a bad command line, 10 when the file or the\n"
      "vocabulary cannot be read.\n"
      "\n"
      "Options:\n"
      "  -m, --model MODEL     the model's encoding (gpt-4o: o200k_base, gpt-4:\n"
      "                        cl100k_base, ...); the default is gpt-4o\n"
      "  -e, --encoding NAME   o200k_base or cl100k_base\n"
      "  --vocab-dir DIR       where the .tiktoken files are (default:\n"
      "                        $OAI_VOCAB_DIR, else the install directory)\n"
      "  --special             count <|endoftext|> and the encoding's other\n"
      "                        special tokens as one token each (default: as text)\n"
      "  -h, --help            Show this help\n",
      run_count },
};

static const cli_group tokens_group = {
    &cli_cmd_tokens, tokens_subcommands, sizeof tokens_subcommands / sizeof tokens_subcommands[0]
};

enum { OPT_HELP = 'h', OPT_MODEL = 'm', OPT_ENCODING = 'e', OPT_VOCAB_DIR = 256, OPT_SPECIAL };

static const cli_option count_options[] = {
    { OPT_HELP, 'h', "help", 0 },
    { OPT_MODEL, 'm', "model", 1 },
    { OPT_ENCODING, 'e', "encoding", 1 },
    { OPT_VOCAB_DIR, 0, "vocab-dir", 1 },
    { OPT_SPECIAL, 0, "special", 0 },
};

typedef struct count_args {
    const char *model;
    const char *encoding;
    const char *vocab_dir;
    const char *path; /* NULL or "-": standard input */
    int special;
} count_args;

static int parse_count_args(const cli_subcommand *self, int argc, char **argv, count_args *a)
{
    cli_parser p;
    int opt;

    cli_parser_init(&p, argc, argv, self->prog, count_options,
                    sizeof count_options / sizeof count_options[0]);
    while ((opt = cli_next_option(&p)) != CLI_OPT_END) {
        switch (opt) {
        case OPT_HELP:
            return cli_subcommand_help(self);
        case OPT_MODEL:
            a->model = p.value;
            break;
        case OPT_ENCODING:
            a->encoding = p.value;
            break;
        case OPT_VOCAB_DIR:
            a->vocab_dir = p.value;
            break;
        case OPT_SPECIAL:
            a->special = 1;
            break;
        default:
            return cli_subcommand_usage_error(self, NULL, NULL);
        }
    }
    if (a->model && a->encoding)
        return cli_subcommand_usage_error(self, "give -m MODEL or -e ENCODING, not both", NULL);
    if (p.operand_count > 1)
        return cli_subcommand_usage_error(self, "too many arguments", NULL);
    a->path = p.operand_count ? cli_operands(&p)[0] : NULL;
    return CLI_CONTINUE;
}

/* Reads the whole of f into *data (malloc'd) and *len. */
static int read_all(FILE *f, char **data, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);

    if (!buf)
        return ENOMEM;
    for (;;) {
        size_t got;
        if (n == cap) {
            char *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return ENOMEM;
            }
            buf = grown;
            cap *= 2;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int err = errno ? errno : EIO;
        free(buf);
        return err;
    }
    *data = buf;
    *len = n;
    return 0;
}

static int read_text(const count_args *a, char **data, size_t *len)
{
    int from_stdin = !a->path || strcmp(a->path, "-") == 0;
    FILE *f;
    int err, status;

    if (!from_stdin && (status = cli_check_readable_file(a->path)) != CLI_EXIT_OK)
        return status;
    f = from_stdin ? stdin : fopen(a->path, "rb");
    if (!f)
        return cli_report_file_error("read", a->path, errno);
    err = read_all(f, data, len);
    if (!from_stdin)
        fclose(f);
    if (err)
        return cli_report_file_error("read", from_stdin ? "standard input" : a->path, err);
    return CLI_EXIT_OK;
}

static oai_tokenizer *open_tokenizer(const count_args *a)
{
    char path[4096];
    const char *dir = a->vocab_dir;

    if (a->encoding) {
        if (!dir)
            return oai_tokenizer_new(a->encoding, NULL);
        snprintf(path, sizeof path, "%s/%s.tiktoken", dir, a->encoding);
        return oai_tokenizer_new(a->encoding, path);
    }
    return oai_tokenizer_model_new(a->model ? a->model : "gpt-4o", dir);
}

static int run_count(const cli_subcommand *self, const cli_globals *globals, int argc, char **argv)
{
    count_args a = { NULL, NULL, NULL, NULL, 0 };
    oai_tokenizer *tok;
    char *text = NULL;
    size_t len = 0;
    int64_t count = 0;
    oai_status st;
    int status = parse_count_args(self, argc, argv, &a);

    (void)globals;
    if (status != CLI_CONTINUE)
        return status;
    tok = open_tokenizer(&a);
    st = tok ? oai_tokenizer_status(tok) : OAI_ERR_OUT_OF_MEMORY;
    if (st == OAI_ERR_INVALID_ARGUMENT) {
        status = cli_subcommand_usage_error(self, oai_tokenizer_error_message(tok), NULL);
        oai_tokenizer_free(tok);
        return status;
    }
    if (st == OAI_OK && a.special)
        st = oai_tokenizer_set_special_tokens(tok, OAI_TOKENIZER_SPECIAL_ALLOWED);
    if (st != OAI_OK) {
        status = cli_report_status(st, tok ? oai_tokenizer_error_message(tok) : NULL);
        oai_tokenizer_free(tok);
        return status;
    }
    status = read_text(&a, &text, &len);
    if (status == CLI_EXIT_OK) {
        st = oai_tokenizer_count_text(tok, text, len, &count);
        if (st != OAI_OK)
            status = cli_report_status(st, oai_tokenizer_error_message(tok));
        else {
            printf("%lld\n", (long long)count);
            status = cli_finish_output();
        }
    }
    free(text);
    oai_tokenizer_free(tok);
    return status;
}

static void tokens_usage(FILE *out)
{
    cli_group_usage(&tokens_group, out);
}

static int run_tokens(const cli_globals *globals, int argc, char **argv)
{
    return cli_group_run(&tokens_group, globals, argc, argv);
}

/** `oai tokens`. */
const cli_command cli_cmd_tokens = {
    "tokens", "Count tokens exactly, locally (o200k_base, cl100k_base)", run_tokens, tokens_usage
};
