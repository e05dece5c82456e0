/* Prints docs/endpoints.md from the endpoint table,
 * src/endpoints/endpoints.def, so the endpoint list of the docs is never
 * written by hand.
 *
 *   endpoints_doc                  the page, on stdout
 *   endpoints_doc --check FILE     exit 1 when FILE is not that page (the
 *                                  docs_endpoints test), with the command
 *                                  that regenerates it
 *
 * Both also check the table itself: a path starts with '/', a generated
 * helper's path has as many {placeholders} as the helper has arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char page_head[] =
    "# Endpoints\n"
    "\n"
    "<!-- Generated from src/endpoints/endpoints.def by tests/conformance/endpoints_doc.c:\n"
    "     edit the table, not this page. The docs_endpoints test fails when the page is\n"
    "     out of date; regenerate it with (from the repository, after a build in build/)\n"
    "     build/tests/endpoints_doc > docs/endpoints.md -->\n"
    "\n"
    "Every request helper of `oai.h`, and the request it builds. Each returns a\n"
    "new `oai_request` to send with `oai_client_send()` or `oai_client_start()`\n"
    "and to free with `oai_request_free()`; NULL only when memory ran out. A\n"
    "required argument that is NULL or empty (or a file that cannot be read)\n"
    "gives a failed request: `oai_request_status()` and\n"
    "`oai_request_error_message()` say why, and sending it answers with that\n"
    "status and message without sending anything. Names follow\n"
    "`oai_<resource>_<action>_request_new`, with the resource singular.\n"
    "Optional body fields and query parameters are set on the request\n"
    "afterwards (`oai_request_set_string()`,\n"
    "`oai_request_set_query()`, ...), and any other endpoint is reachable with\n"
    "`oai_request_new(method, path)`.\n"
    "\n"
    "Paths are relative to the base URL (`https://api.openai.com/v1` by\n"
    "default). A `{placeholder}` is the helper's id argument, percent-encoded\n"
    "as one path segment.\n";

static const char table_head[] =
    "| Function | Method | Path | Required arguments | Request |\n"
    "|---|---|---|---|---|\n";

static int table_errors;

static size_t placeholders(const char *path)
{
    size_t n = 0;
    for (; *path != '\0'; path++)
        n += *path == '{';
    return n;
}

/* A mistake in the table fails the check (and so the test), named. */
static void check_entry(const char *function, const char *path, int arity)
{
    if (path[0] != '/' || (arity >= 0 && placeholders(path) != (size_t)arity)) {
        fprintf(stderr, "endpoints.def: %s: the path %s does not fit the helper\n", function, path);
        table_errors++;
    }
}

static void group(FILE *out, const char *title)
{
    fprintf(out, "\n## %s\n\n%s", title, table_head);
}

/* "a, b" as "`a`, `b`". */
static void code_list(FILE *out, const char *list)
{
    while (*list != '\0') {
        size_t n = strcspn(list, ",");
        fprintf(out, "`%.*s`", (int)n, list);
        list += n;
        if (*list == ',') {
            fputs(", ", out);
            list += strspn(list, ", ");
        }
    }
}

static void row(FILE *out, const char *function, const char *method, const char *path,
                const char *arguments, const char *request)
{
    fprintf(out, "| `%s()` | %s | `%s` | ", function, method, path);
    if (*arguments != '\0')
        code_list(out, arguments);
    else
        fputs("none", out);
    fprintf(out, " | %s |\n", request);
}

/* The Request column of a generated helper, from its answer column. */
#define ANSWER_NOTE_JSON "no body"
#define ANSWER_NOTE_BINARY "no body; the answer is raw bytes (`Accept: application/binary`)"

static void print_page(FILE *out)
{
    fputs(page_head, out);
#define OAI_ENDPOINT_GROUP(title) group(out, title);
#define OAI_ENDPOINT_0(function, method, path, answer, check) \
    check_entry(#function, path, 0);                          \
    row(out, #function, method, path, "", ANSWER_NOTE_##answer);
#define OAI_ENDPOINT_1(function, method, path, arg, sample, answer, check) \
    check_entry(#function, path, 1);                                        \
    row(out, #function, method, path, #arg, ANSWER_NOTE_##answer);
#define OAI_ENDPOINT_HAND(function, method, path, arguments, note) \
    check_entry(#function, path, -1);                              \
    row(out, #function, method, path, arguments, note);
#include "../../src/endpoints/endpoints.def"
}

/* The whole of a file, NUL-terminated, or NULL. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, n;
    *len = 0;
    if (f == NULL)
        return NULL;
    do {
        char *grown = realloc(data, cap + 4096 + 1);
        if (grown == NULL) {
            free(data);
            fclose(f);
            return NULL;
        }
        data = grown;
        cap += 4096;
        n = fread(data + *len, 1, cap - *len, f);
        *len += n;
    } while (n > 0 && *len == cap);
    fclose(f);
    data[*len] = '\0';
    return data;
}

static int check_doc(const char *program, const char *doc)
{
    char *want = NULL, *have;
    size_t want_len = 0, have_len;
    FILE *out = open_memstream(&want, &want_len);
    int same;

    if (out == NULL)
        return 2;
    print_page(out);
    fclose(out);
    have = read_file(doc, &have_len);
    same = have != NULL && have_len == want_len && memcmp(have, want, want_len) == 0;
    if (!same)
        fprintf(stderr, "%s is not what the endpoint table gives; regenerate it:\n  %s > %s\n", doc,
                program, doc);
    free(have);
    free(want);
    return same && table_errors == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--check") == 0)
        return check_doc(argv[0], argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--check DOC]\n", argv[0]);
        return 2;
    }
    print_page(stdout);
    return table_errors == 0 ? 0 : 1;
}
