/* Conformance: sends the request of every endpoint helper to a Prism mock
 * of OpenAI's published OpenAPI spec, which validates method, path, query
 * and body against the spec. Any non-2xx answer is a failure, printed with
 * Prism's validation detail.
 *
 *   conformance BASE_URL [CASE...]     (BASE_URL without /v1, e.g.
 *                                       http://127.0.0.1:4010)
 *
 * Uses the public API only. The helpers come from the endpoint table,
 * src/endpoints/endpoints.def, included below: a generated helper is sent
 * with the table's sample argument and needs no edit here; a hand-written
 * one needs a `cases_<function>` array below (the program does not compile
 * without it). Every request must also have the method and the path the
 * table gives. A helper that makes several requests itself (pager, large
 * upload) gets a `flows` entry. */
#include <oai.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One way to build a helper's request, and a JSON Pointer that must be
 * present in the (mocked) answer, to check it was parsed (NULL when the
 * answer is not JSON). variant names it among its helper's cases (NULL for
 * a helper's only case). */
typedef struct conformance_case {
    const char *variant;
    oai_request *(*build)(void);
    const char *expect_pointer;
} conformance_case;

/* A table entry and its cases. */
typedef struct endpoint_cases {
    const char *function;
    const char *method;
    const char *path;            /* template: "/files/{file_id}" */
    const conformance_case *cases;
    size_t count;
} endpoint_cases;

/* A case that drives several requests through a higher-level helper;
 * returns 1 when it passed, printing its own verdict. */
typedef struct conformance_flow {
    const char *name;
    int (*run)(oai_client *client);
} conformance_flow;

/* A small fine-tuning file on disk, for the helpers that stream files. */
static char training_path[] = "/tmp/oai-conformance-XXXXXX";
static const char training_jsonl[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
    "{\"role\":\"assistant\",\"content\":\"Hello!\"}]}\n"
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Bye\"},"
    "{\"role\":\"assistant\",\"content\":\"Goodbye!\"}]}\n";

static int write_training_file(void)
{
    size_t len = sizeof training_jsonl - 1;
    int fd = mkstemp(training_path);
    if (fd < 0)
        return -1;
    if (write(fd, training_jsonl, len) != (ssize_t)len) {
        close(fd);
        unlink(training_path);
        return -1;
    }
    return close(fd);
}

/* Builders report a failed setter by freeing the request and returning NULL. */
static oai_request *ok_or_free(oai_request *req, int failed)
{
    if (failed) {
        oai_request_free(req);
        return NULL;
    }
    return req;
}

static oai_request *build_chat_messages(void)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    int failed = req == NULL;
    failed = failed || oai_chat_request_add_message(req, "developer", "Answer in one line.") != OAI_OK;
    failed = failed || oai_chat_request_add_message(req, "user", "写一首关于春天的诗") != OAI_OK;
    failed = failed || oai_chat_request_add_message(req, "assistant", "Spring rain on plum blossoms.") != OAI_OK;
    failed = failed || oai_chat_request_add_message(req, "user", "Another one.") != OAI_OK;
    failed = failed || oai_request_set_number(req, "/temperature", 0.7) != OAI_OK;
    failed = failed || oai_request_set_int(req, "/max_completion_tokens", 64) != OAI_OK;
    failed = failed || oai_request_set_json(req, "/response_format", "{\"type\":\"text\"}") != OAI_OK;
    failed = failed || oai_request_set_string(req, "/user", "conformance") != OAI_OK;
    return ok_or_free(req, failed);
}

static const char weather_schema[] =
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
    "\"required\":[\"city\"],\"additionalProperties\":false}";

static oai_request *build_chat_tools(void)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    int failed = req == NULL;
    failed = failed || oai_chat_request_add_message(req, "user", "What is the weather in Paris?") != OAI_OK;
    failed = failed || oai_chat_request_add_tool(req, "get_weather", "Current weather for a city",
                                            weather_schema) != OAI_OK;
    failed = failed || oai_chat_request_add_tool(req, "now", NULL, NULL) != OAI_OK;
    failed = failed || oai_request_set_string(req, "/tool_choice", "auto") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_chat_tool_results(void)
{
    oai_request *req = oai_chat_completion_create_request_new("gpt-4o-mini");
    int failed = req == NULL;
    failed = failed || oai_chat_request_add_message(req, "user", "What is the weather in Paris?") != OAI_OK;
    failed = failed || oai_chat_request_add_tool(req, "get_weather", NULL, weather_schema) != OAI_OK;
    failed = failed || oai_chat_request_add_tool_call(req, "call_1", "get_weather",
                                                 "{\"city\":\"Paris\"}") != OAI_OK;
    failed = failed || oai_chat_request_add_tool_call(req, "call_2", "get_weather",
                                                 "{\"city\":\"Lyon\"}") != OAI_OK;
    failed = failed || oai_chat_request_add_tool_result(req, "call_1", "{\"celsius\":18}") != OAI_OK;
    failed = failed || oai_chat_request_add_tool_result(req, "call_2", "{\"celsius\":21}") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_completion(void)
{
    oai_request *req = oai_completion_create_request_new("gpt-3.5-turbo-instruct", "Say this is a test");
    int failed = req == NULL;
    failed = failed || oai_request_set_int(req, "/max_tokens", 16) != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_responses(void)
{
    oai_request *req = oai_response_create_request_new("gpt-4o-mini", "Tell me a three sentence story.");
    int failed = req == NULL;
    failed = failed || oai_request_set_string(req, "/instructions", "Be brief.") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_embedding(void)
{
    return oai_embedding_create_request_new("text-embedding-3-small", "The food was delicious.");
}

static oai_request *build_embedding_batch(void)
{
    oai_request *req = oai_embedding_create_request_new("text-embedding-3-small", "first");
    int failed = req == NULL;
    failed = failed || oai_request_set_json(req, "/input", "[\"first\",\"second\"]") != OAI_OK;
    failed = failed || oai_request_set_string(req, "/encoding_format", "float") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_file_upload(void)
{
    return oai_file_create_request_new(training_path, "fine-tune");
}

static oai_request *build_file_upload_data(void)
{
    oai_request *req = oai_file_create_from_data_request_new(training_jsonl, sizeof training_jsonl - 1,
                                                        "train.jsonl", "fine-tune");
    int failed = req == NULL;
    failed = failed || oai_request_add_form_field(req, "expires_after[anchor]", "created_at") != OAI_OK;
    failed = failed || oai_request_add_form_field(req, "expires_after[seconds]", "86400") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_upload_create(void)
{
    return oai_upload_create_request_new("train.jsonl", "fine-tune",
                                         (int64_t)(sizeof training_jsonl - 1), "text/jsonl");
}

static oai_request *build_upload_part(void)
{
    return oai_upload_add_part_request_new("upload_abc123", training_path, 0,
                                       (int64_t)(sizeof training_jsonl - 1));
}

static oai_request *build_upload_complete(void)
{
    static const char *const parts[] = {"part_def456", "part_ghi789"};
    return oai_upload_complete_request_new("upload_abc123", parts, 2,
                                           "d41d8cd98f00b204e9800998ecf8427e");
}

static oai_request *build_fine_tuning_create(void)
{
    oai_request *req = oai_fine_tuning_job_create_request_new("gpt-4o-mini-2024-07-18", "file-abc123");
    int failed = req == NULL;
    failed = failed || oai_request_set_string(req, "/suffix", "conformance") != OAI_OK;
    failed = failed || oai_request_set_string(req, "/validation_file", "file-def456") != OAI_OK;
    failed = failed || oai_request_set_string(req, "/method/type", "supervised") != OAI_OK;
    failed = failed || oai_request_set_int(req, "/method/supervised/hyperparameters/n_epochs", 3) != OAI_OK;
    failed = failed || oai_request_set_int(req, "/seed", 42) != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_batch_create(void)
{
    oai_request *req = oai_batch_create_request_new("file-abc123", "/v1/chat/completions", NULL);
    int failed = req == NULL;
    failed = failed || oai_request_set_string(req, "/metadata/purpose", "conformance") != OAI_OK;
    return ok_or_free(req, failed);
}

/* The hand-written helpers' cases, one array per helper of the table. */
static const conformance_case cases_oai_chat_completion_create_request_new[] = {
    {"messages", build_chat_messages, "/choices/0/message"},
    {"tools", build_chat_tools, "/choices/0/message"},
    {"tool_results", build_chat_tool_results, "/choices/0/message"},
};
static const conformance_case cases_oai_completion_create_request_new[] = {
    {NULL, build_completion, "/choices/0/text"},
};
static const conformance_case cases_oai_response_create_request_new[] = {
    {NULL, build_responses, "/output"},
};
static const conformance_case cases_oai_embedding_create_request_new[] = {
    {"one", build_embedding, "/data/0/embedding"},
    {"batch", build_embedding_batch, "/data/0/embedding"},
};
static const conformance_case cases_oai_file_create_request_new[] = {
    {NULL, build_file_upload, "/id"},
};
static const conformance_case cases_oai_file_create_from_data_request_new[] = {
    {NULL, build_file_upload_data, "/id"},
};
static const conformance_case cases_oai_upload_create_request_new[] = {
    {NULL, build_upload_create, "/id"},
};
static const conformance_case cases_oai_upload_add_part_request_new[] = {
    {NULL, build_upload_part, "/id"},
};
static const conformance_case cases_oai_upload_complete_request_new[] = {
    {NULL, build_upload_complete, "/id"},
};
static const conformance_case cases_oai_fine_tuning_job_create_request_new[] = {
    {NULL, build_fine_tuning_create, "/id"},
};
static const conformance_case cases_oai_batch_create_request_new[] = {
    {NULL, build_batch_create, "/id"},
};

/* The generated helpers' cases: each called with the table's sample. */
#define SAMPLE_ANSWER_JSON 0
#define SAMPLE_ANSWER_BINARY 1

/* A helper that asks for `Accept: application/binary` does so as the
 * official SDKs do; the spec declares the body as application/json, so
 * Prism answers 406 to that. Accept anything here: what is checked is the
 * method and path. */
static oai_request *for_mock(oai_request *req, int binary)
{
    return ok_or_free(req, req == NULL || (binary && oai_request_set_header(req, "Accept", "*/*") != OAI_OK));
}

#define OAI_ENDPOINT_0(function, method, path, answer, check)                        \
    static oai_request *sample_##function(void)                                      \
    {                                                                                \
        return for_mock(function(), SAMPLE_ANSWER_##answer);                         \
    }                                                                                \
    static const conformance_case cases_##function[] = {{NULL, sample_##function, check}};
#define OAI_ENDPOINT_1(function, method, path, arg, sample, answer, check)           \
    static oai_request *sample_##function(void)                                      \
    {                                                                                \
        return for_mock(function(sample), SAMPLE_ANSWER_##answer);                   \
    }                                                                                \
    static const conformance_case cases_##function[] = {{NULL, sample_##function, check}};
#define OAI_ENDPOINT_HAND(function, method, path, arguments, note)
#include "../../src/endpoints/endpoints.def"

/* Every entry of the table with its cases. */
#define ENDPOINT_CASES(function, method, path) \
    {#function, method, path, cases_##function, sizeof cases_##function / sizeof cases_##function[0]},
static const endpoint_cases endpoints[] = {
#define OAI_ENDPOINT_0(function, method, path, answer, check) ENDPOINT_CASES(function, method, path)
#define OAI_ENDPOINT_1(function, method, path, arg, sample, answer, check) \
    ENDPOINT_CASES(function, method, path)
#define OAI_ENDPOINT_HAND(function, method, path, arguments, note) ENDPOINT_CASES(function, method, path)
#include "../../src/endpoints/endpoints.def"
};

/* More cases of generated helpers, for what the table's sample does not
 * send (query parameters): "function" must name an entry of the table. */
typedef struct extra_case {
    const char *function;
    conformance_case c;
} extra_case;

static oai_request *build_files_list_query(void)
{
    oai_request *req = oai_file_list_request_new();
    int failed = req == NULL;
    failed = failed || oai_request_set_query(req, "purpose", "fine-tune") != OAI_OK;
    failed = failed || oai_request_set_query(req, "limit", "10") != OAI_OK;
    failed = failed || oai_request_set_query(req, "order", "desc") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_fine_tuning_list_query(void)
{
    oai_request *req = oai_fine_tuning_job_list_request_new();
    int failed = req == NULL;
    failed = failed || oai_request_set_query(req, "limit", "5") != OAI_OK;
    return ok_or_free(req, failed);
}

static const extra_case extras[] = {
    {"oai_file_list_request_new", {"query", build_files_list_query, "/data"}},
    {"oai_fine_tuning_job_list_request_new", {"query", build_fine_tuning_list_query, "/data"}},
};

/* Pages through the files list with a page size of 2; a few items suffice
 * (the mock's lists always look the same), so stop after 5. */
static int run_pager(oai_client *client)
{
    oai_request *req = oai_file_list_request_new();
    oai_pager *pager = NULL;
    const oai_value *item = NULL;
    oai_status status = OAI_ERR_OUT_OF_MEMORY;
    size_t items = 0;

    if (req != NULL && oai_request_set_query(req, "limit", "2") == OAI_OK)
        pager = oai_pager_new(client, req);
    if (pager != NULL && oai_pager_set_max_items(pager, 5) == OAI_OK) {
        while ((status = oai_pager_next(pager, &item)) == OAI_OK && item != NULL)
            items++;
    }
    if (status == OAI_OK) {
        printf("ok   pager.files: %zu items\n", items);
    } else {
        const oai_response *res = oai_pager_response(pager);
        printf("FAIL pager.files: %s, HTTP %d\n  response: %s\n", oai_status_name(status),
               oai_response_http_status(res), oai_response_body(res));
    }
    oai_pager_free(pager);
    oai_request_free(req);
    return status == OAI_OK;
}

/* Creates an upload, sends the training file in 3 parts, completes it. */
static int run_large_upload(oai_client *client)
{
    oai_large_upload *up = oai_large_upload_new(client, training_path, "fine-tune", "text/jsonl");
    oai_response *res = NULL;
    int passed;

    if (up != NULL && oai_large_upload_set_part_size(up, 64) == OAI_OK)
        res = oai_large_upload_run(up);
    passed = res != NULL && oai_response_status(res) == OAI_OK &&
             oai_large_upload_part_count(up) == (sizeof training_jsonl - 1 + 63) / 64;
    if (passed) {
        printf("ok   uploads.large: %zu parts, upload %s\n", oai_large_upload_part_count(up),
               oai_large_upload_id(up));
    } else {
        printf("FAIL uploads.large: %s, HTTP %d, %zu parts accepted\n  response: %s\n",
               oai_status_name(oai_response_status(res)), oai_response_http_status(res),
               oai_large_upload_part_count(up), oai_response_body(res));
    }
    oai_response_free(res);
    oai_large_upload_free(up);
    return passed;
}

static const conformance_flow flows[] = {
    {"pager.files", run_pager},
    {"uploads.large", run_large_upload},
};

static void print_failure(const char *name, const oai_request *req, const oai_response *res)
{
    char *body = oai_request_body_dup(req);
    printf("FAIL %s: %s %s -> %s, HTTP %d\n", name, oai_request_method(req), oai_request_path(req),
           oai_status_name(oai_response_status(res)), oai_response_http_status(res));
    /* Prism's problem+json names the offending field in "validation". */
    printf("  response: %.*s\n", (int)oai_response_body_len(res), oai_response_body(res));
    if (oai_response_error_message(res) != NULL)
        printf("  error: %s\n", oai_response_error_message(res));
    printf("  request body: %s\n", body != NULL ? body : "(none)");
    oai_free(body);
}

/* 1 when path is the table's template with each {placeholder} filled by one
 * non-empty path segment. */
static int path_matches(const char *tpl, const char *path)
{
    while (*tpl != '\0') {
        if (*tpl == '{') {
            const char *close = strchr(tpl, '}');
            size_t segment = strcspn(path, "/");
            if (close == NULL || segment == 0)
                return 0;
            tpl = close + 1;
            path += segment;
        } else if (*tpl++ != *path++) {
            return 0;
        }
    }
    return *path == '\0';
}

/* The helper must build the request its table entry describes: the docs
 * are printed from the table, so a helper that drifted from it would make
 * them wrong even when the spec accepts what it sends. */
static int matches_table(const char *name, const endpoint_cases *ep, const oai_request *req)
{
    if (strcmp(oai_request_method(req), ep->method) == 0 && path_matches(ep->path, oai_request_path(req)))
        return 1;
    printf("FAIL %s: the request is %s %s, the table says %s %s\n", name, oai_request_method(req),
           oai_request_path(req), ep->method, ep->path);
    return 0;
}

/* Sends the request; 1 when the answer is a 2xx holding the expected field. */
static int send_and_check(oai_client *client, const char *name, const conformance_case *c,
                          const oai_request *req)
{
    oai_response *res = oai_client_send(client, req);
    int http = oai_response_http_status(res);
    int passed = oai_response_status(res) == OAI_OK && http >= 200 && http < 300;

    if (!passed) {
        print_failure(name, req, res);
    } else if (c->expect_pointer != NULL && oai_response_get(res, c->expect_pointer) == NULL) {
        printf("FAIL %s: HTTP %d but the answer has no %s: %s\n", name, http,
               c->expect_pointer, oai_response_body(res));
        passed = 0;
    } else {
        printf("ok   %s: %s %s -> HTTP %d\n", name, oai_request_method(req),
               oai_request_path(req), http);
    }
    oai_response_free(res);
    return passed;
}

static int run_case(oai_client *client, const char *name, const endpoint_cases *ep,
                    const conformance_case *c)
{
    oai_request *req = c->build();
    int passed;

    if (req == NULL) {
        printf("FAIL %s: building the request failed\n", name);
        return 0;
    }
    passed = matches_table(name, ep, req) && send_and_check(client, name, c, req);
    oai_request_free(req);
    return passed;
}

/* Proves the mock validates at all: a chat request without `messages` must
 * be refused with 422, or every pass above would mean nothing. */
static int run_validator_self_check(oai_client *client)
{
    oai_request *req = oai_request_new("POST", "/chat/completions");
    oai_response *res;
    int passed;

    if (req == NULL || oai_request_set_string(req, "/model", "gpt-4o-mini") != OAI_OK) {
        oai_request_free(req);
        printf("FAIL validator: building the request failed\n");
        return 0;
    }
    res = oai_client_send(client, req);
    passed = oai_response_status(res) == OAI_ERR_UNPROCESSABLE;
    printf("%s validator: a chat request without messages -> HTTP %d (%s), expected 422\n",
           passed ? "ok  " : "FAIL", oai_response_http_status(res),
           oai_status_name(oai_response_status(res)));
    oai_response_free(res);
    oai_request_free(req);
    return passed;
}

/* A case's name: its helper, then ":variant" when it has several. */
static void case_name(char *out, size_t size, const char *function, const conformance_case *c)
{
    if (c->variant != NULL)
        snprintf(out, size, "%s:%s", function, c->variant);
    else
        snprintf(out, size, "%s", function);
}

/* With no CASE argument every case runs; naming a helper runs all of its
 * cases, naming "helper:variant" one of them. */
static int is_selected(const char *function, const char *name, int argc, char **argv)
{
    int i;
    if (argc <= 2)
        return 1;
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0 || (function != NULL && strcmp(argv[i], function) == 0))
            return 1;
    return 0;
}

typedef struct tally {
    int passed, failed;
} tally;

static void count(tally *t, int passed)
{
    if (passed)
        t->passed++;
    else
        t->failed++;
}

static const endpoint_cases *find_endpoint(const char *function)
{
    size_t i;
    for (i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
        if (strcmp(endpoints[i].function, function) == 0)
            return &endpoints[i];
    return NULL;
}

static void run_one(oai_client *client, tally *t, const endpoint_cases *ep, const conformance_case *c,
                    int argc, char **argv)
{
    char name[160];
    case_name(name, sizeof name, ep->function, c);
    if (is_selected(ep->function, name, argc, argv))
        count(t, run_case(client, name, ep, c));
}

/* Every case of every table entry, then the extra cases, then the flows. */
static void run_all(oai_client *client, tally *t, int argc, char **argv)
{
    size_t i, j;
    for (i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
        for (j = 0; j < endpoints[i].count; j++)
            run_one(client, t, &endpoints[i], &endpoints[i].cases[j], argc, argv);
    for (i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        const endpoint_cases *ep = find_endpoint(extras[i].function);
        if (ep != NULL) {
            run_one(client, t, ep, &extras[i].c, argc, argv);
        } else {
            printf("FAIL %s: no such helper in the endpoint table\n", extras[i].function);
            count(t, 0);
        }
    }
    for (i = 0; i < sizeof flows / sizeof flows[0]; i++)
        if (is_selected(NULL, flows[i].name, argc, argv))
            count(t, flows[i].run(client));
}

static void usage(const char *program)
{
    size_t i, j;
    char name[160];
    fprintf(stderr, "usage: %s BASE_URL [CASE...]   (BASE_URL without /v1)\ncases:", program);
    for (i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
        for (j = 0; j < endpoints[i].count; j++) {
            case_name(name, sizeof name, endpoints[i].function, &endpoints[i].cases[j]);
            fprintf(stderr, " %s", name);
        }
    for (i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        case_name(name, sizeof name, extras[i].function, &extras[i].c);
        fprintf(stderr, " %s", name);
    }
    for (i = 0; i < sizeof flows / sizeof flows[0]; i++)
        fprintf(stderr, " %s", flows[i].name);
    fprintf(stderr, "\n");
}

static oai_client *client_for(const char *base_url)
{
    oai_client *client = oai_client_new();
    if (client == NULL || oai_client_set_base_url(client, base_url) != OAI_OK ||
        oai_client_set_api_key(client, "sk-conformance") != OAI_OK ||
        oai_client_set_max_retries(client, 0) != OAI_OK ||
        oai_client_set_timeout_ms(client, 30000) != OAI_OK) {
        oai_client_free(client);
        return NULL;
    }
    return client;
}

int main(int argc, char **argv)
{
    oai_client *client;
    tally t = {0, 0};

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        usage(argv[0]);
        return 2;
    }
    if (write_training_file() != 0) {
        fprintf(stderr, "conformance: cannot write a temporary file in /tmp\n");
        return 2;
    }
    client = client_for(argv[1]);
    if (client == NULL) {
        fprintf(stderr, "conformance: cannot set up a client for %s\n", argv[1]);
        unlink(training_path);
        return 2;
    }
    count(&t, run_validator_self_check(client));
    run_all(client, &t, argc, argv);
    oai_client_free(client);
    unlink(training_path);
    printf("conformance: %d passed, %d failed\n", t.passed, t.failed);
    return t.failed == 0 ? 0 : 1;
}
