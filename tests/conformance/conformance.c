/* Conformance: sends the request of every endpoint helper to a Prism mock
 * of OpenAI's published OpenAPI spec, which validates method, path, query
 * and body against the spec. Any non-2xx answer is a failure, printed with
 * Prism's validation detail.
 *
 *   conformance BASE_URL [CASE...]     (BASE_URL without /v1, e.g.
 *                                       http://127.0.0.1:4010)
 *
 * Uses the public API only. To cover a new endpoint helper, write a builder
 * below and add one line to the `cases` table; a helper that makes several
 * requests itself (pager, large upload) gets a `flows` entry instead. */
#include <oai.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One conformance case: how to build the request, and a JSON Pointer that
 * must be present in the (mocked) answer, to check it was parsed (NULL when
 * the answer is not JSON). */
typedef struct conformance_case {
    const char *name;
    oai_request *(*build)(void);
    const char *expect_pointer;
} conformance_case;

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
    oai_request *req = oai_chat_request_new("gpt-4o-mini");
    int failed = req == NULL;
    failed = failed || oai_request_add_message(req, "developer", "Answer in one line.") != OAI_OK;
    failed = failed || oai_request_add_message(req, "user", "写一首关于春天的诗") != OAI_OK;
    failed = failed || oai_request_add_message(req, "assistant", "Spring rain on plum blossoms.") != OAI_OK;
    failed = failed || oai_request_add_message(req, "user", "Another one.") != OAI_OK;
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
    oai_request *req = oai_chat_request_new("gpt-4o-mini");
    int failed = req == NULL;
    failed = failed || oai_request_add_message(req, "user", "What is the weather in Paris?") != OAI_OK;
    failed = failed || oai_request_add_tool(req, "get_weather", "Current weather for a city",
                                            weather_schema) != OAI_OK;
    failed = failed || oai_request_add_tool(req, "now", NULL, NULL) != OAI_OK;
    failed = failed || oai_request_set_string(req, "/tool_choice", "auto") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_chat_tool_results(void)
{
    oai_request *req = oai_chat_request_new("gpt-4o-mini");
    int failed = req == NULL;
    failed = failed || oai_request_add_message(req, "user", "What is the weather in Paris?") != OAI_OK;
    failed = failed || oai_request_add_tool(req, "get_weather", NULL, weather_schema) != OAI_OK;
    failed = failed || oai_request_add_tool_call(req, "call_1", "get_weather",
                                                 "{\"city\":\"Paris\"}") != OAI_OK;
    failed = failed || oai_request_add_tool_call(req, "call_2", "get_weather",
                                                 "{\"city\":\"Lyon\"}") != OAI_OK;
    failed = failed || oai_request_add_tool_result(req, "call_1", "{\"celsius\":18}") != OAI_OK;
    failed = failed || oai_request_add_tool_result(req, "call_2", "{\"celsius\":21}") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_completion(void)
{
    oai_request *req = oai_completion_request_new("gpt-3.5-turbo-instruct", "Say this is a test");
    int failed = req == NULL;
    failed = failed || oai_request_set_int(req, "/max_tokens", 16) != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_responses(void)
{
    oai_request *req = oai_responses_request_new("gpt-4o-mini", "Tell me a three sentence story.");
    int failed = req == NULL;
    failed = failed || oai_request_set_string(req, "/instructions", "Be brief.") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_embedding(void)
{
    return oai_embedding_request_new("text-embedding-3-small", "The food was delicious.");
}

static oai_request *build_embedding_batch(void)
{
    oai_request *req = oai_embedding_request_new("text-embedding-3-small", "first");
    int failed = req == NULL;
    failed = failed || oai_request_set_json(req, "/input", "[\"first\",\"second\"]") != OAI_OK;
    failed = failed || oai_request_set_string(req, "/encoding_format", "float") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_models_list(void)
{
    return oai_models_list_request_new();
}

static oai_request *build_model_retrieve(void)
{
    return oai_model_retrieve_request_new("gpt-4o-mini");
}

static oai_request *build_model_delete(void)
{
    return oai_model_delete_request_new("ft:gpt-4o-mini:acme:suffix:abc123");
}

static oai_request *build_file_upload(void)
{
    return oai_file_upload_request_new(training_path, "fine-tune");
}

static oai_request *build_file_upload_data(void)
{
    oai_request *req = oai_file_upload_data_request_new(training_jsonl, sizeof training_jsonl - 1,
                                                        "train.jsonl", "fine-tune");
    int failed = req == NULL;
    failed = failed || oai_request_add_form_field(req, "expires_after[anchor]", "created_at") != OAI_OK;
    failed = failed || oai_request_add_form_field(req, "expires_after[seconds]", "86400") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_files_list(void)
{
    oai_request *req = oai_files_list_request_new();
    int failed = req == NULL;
    failed = failed || oai_request_set_query(req, "purpose", "fine-tune") != OAI_OK;
    failed = failed || oai_request_set_query(req, "limit", "10") != OAI_OK;
    failed = failed || oai_request_set_query(req, "order", "desc") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_file_retrieve(void)
{
    return oai_file_retrieve_request_new("file-abc123");
}

static oai_request *build_file_delete(void)
{
    return oai_file_delete_request_new("file-abc123");
}

/* The helper asks for `Accept: application/binary`, as the official SDKs
 * do; the spec declares the body as application/json, so Prism answers 406
 * to that. Accept anything here: what is checked is the method and path. */
static oai_request *build_file_content(void)
{
    oai_request *req = oai_file_content_request_new("file-abc123");
    int failed = req == NULL;
    failed = failed || oai_request_set_header(req, "Accept", "*/*") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_upload_create(void)
{
    return oai_upload_create_request_new("train.jsonl", "fine-tune",
                                         (int64_t)(sizeof training_jsonl - 1), "text/jsonl");
}

static oai_request *build_upload_part(void)
{
    return oai_upload_part_request_new("upload_abc123", training_path, 0,
                                       (int64_t)(sizeof training_jsonl - 1));
}

static oai_request *build_upload_complete(void)
{
    static const char *const parts[] = {"part_def456", "part_ghi789"};
    return oai_upload_complete_request_new("upload_abc123", parts, 2,
                                           "d41d8cd98f00b204e9800998ecf8427e");
}

static oai_request *build_upload_cancel(void)
{
    return oai_upload_cancel_request_new("upload_abc123");
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

static oai_request *build_fine_tuning_list(void)
{
    oai_request *req = oai_fine_tuning_jobs_list_request_new();
    int failed = req == NULL;
    failed = failed || oai_request_set_query(req, "limit", "5") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_fine_tuning_retrieve(void)
{
    return oai_fine_tuning_job_retrieve_request_new("ftjob-abc123");
}

static oai_request *build_fine_tuning_cancel(void)
{
    return oai_fine_tuning_job_cancel_request_new("ftjob-abc123");
}

static oai_request *build_fine_tuning_pause(void)
{
    return oai_fine_tuning_job_pause_request_new("ftjob-abc123");
}

static oai_request *build_fine_tuning_resume(void)
{
    return oai_fine_tuning_job_resume_request_new("ftjob-abc123");
}

static oai_request *build_fine_tuning_events(void)
{
    return oai_fine_tuning_job_events_request_new("ftjob-abc123");
}

static oai_request *build_fine_tuning_checkpoints(void)
{
    return oai_fine_tuning_job_checkpoints_request_new("ftjob-abc123");
}

static oai_request *build_batch_create(void)
{
    oai_request *req = oai_batch_create_request_new("file-abc123", "/v1/chat/completions", NULL);
    int failed = req == NULL;
    failed = failed || oai_request_set_string(req, "/metadata/purpose", "conformance") != OAI_OK;
    return ok_or_free(req, failed);
}

static oai_request *build_batch_retrieve(void)
{
    return oai_batch_retrieve_request_new("batch_abc123");
}

static oai_request *build_batches_list(void)
{
    return oai_batches_list_request_new();
}

static oai_request *build_batch_cancel(void)
{
    return oai_batch_cancel_request_new("batch_abc123");
}

static const conformance_case cases[] = {
    {"chat.messages", build_chat_messages, "/choices/0/message"},
    {"chat.tools", build_chat_tools, "/choices/0/message"},
    {"chat.tool_results", build_chat_tool_results, "/choices/0/message"},
    {"completions", build_completion, "/choices/0/text"},
    {"responses", build_responses, "/output"},
    {"embeddings", build_embedding, "/data/0/embedding"},
    {"embeddings.batch", build_embedding_batch, "/data/0/embedding"},
    {"models.list", build_models_list, "/data"},
    {"models.retrieve", build_model_retrieve, "/id"},
    {"models.delete", build_model_delete, "/deleted"},
    {"files.upload", build_file_upload, "/id"},
    {"files.upload_data", build_file_upload_data, "/id"},
    {"files.list", build_files_list, "/data"},
    {"files.retrieve", build_file_retrieve, "/id"},
    {"files.delete", build_file_delete, "/deleted"},
    {"files.content", build_file_content, NULL},
    {"uploads.create", build_upload_create, "/id"},
    {"uploads.part", build_upload_part, "/id"},
    {"uploads.complete", build_upload_complete, "/id"},
    {"uploads.cancel", build_upload_cancel, "/id"},
    {"fine_tuning.create", build_fine_tuning_create, "/id"},
    {"fine_tuning.list", build_fine_tuning_list, "/data"},
    {"fine_tuning.retrieve", build_fine_tuning_retrieve, "/id"},
    {"fine_tuning.cancel", build_fine_tuning_cancel, "/id"},
    {"fine_tuning.pause", build_fine_tuning_pause, "/id"},
    {"fine_tuning.resume", build_fine_tuning_resume, "/id"},
    {"fine_tuning.events", build_fine_tuning_events, "/data"},
    {"fine_tuning.checkpoints", build_fine_tuning_checkpoints, "/data"},
    {"batches.create", build_batch_create, "/id"},
    {"batches.retrieve", build_batch_retrieve, "/id"},
    {"batches.list", build_batches_list, "/data"},
    {"batches.cancel", build_batch_cancel, "/id"},
};

/* Pages through the files list with a page size of 2; a few items suffice
 * (the mock's lists always look the same), so stop after 5. */
static int run_pager(oai_client *client)
{
    oai_request *req = oai_files_list_request_new();
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

static int run_case(oai_client *client, const conformance_case *c)
{
    oai_request *req = c->build();
    oai_response *res;
    int http, passed;

    if (req == NULL) {
        printf("FAIL %s: building the request failed\n", c->name);
        return 0;
    }
    res = oai_client_send(client, req);
    http = oai_response_http_status(res);
    passed = oai_response_status(res) == OAI_OK && http >= 200 && http < 300;
    if (!passed) {
        print_failure(c->name, req, res);
    } else if (c->expect_pointer != NULL && oai_response_get(res, c->expect_pointer) == NULL) {
        printf("FAIL %s: HTTP %d but the answer has no %s: %s\n", c->name, http,
               c->expect_pointer, oai_response_body(res));
        passed = 0;
    } else {
        printf("ok   %s: %s %s -> HTTP %d\n", c->name, oai_request_method(req),
               oai_request_path(req), http);
    }
    oai_response_free(res);
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

static int is_selected(const char *name, int argc, char **argv)
{
    int i;
    if (argc <= 2)
        return 1;
    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    oai_client *client;
    size_t i;
    int passed = 0, failed = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s BASE_URL [CASE...]   (BASE_URL without /v1)\ncases:", argv[0]);
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
            fprintf(stderr, " %s", cases[i].name);
        for (i = 0; i < sizeof flows / sizeof flows[0]; i++)
            fprintf(stderr, " %s", flows[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    if (write_training_file() != 0) {
        fprintf(stderr, "conformance: cannot write a temporary file in /tmp\n");
        return 2;
    }
    client = oai_client_new();
    if (client == NULL || oai_client_set_base_url(client, argv[1]) != OAI_OK ||
        oai_client_set_api_key(client, "sk-conformance") != OAI_OK ||
        oai_client_set_max_retries(client, 0) != OAI_OK ||
        oai_client_set_timeout_ms(client, 30000) != OAI_OK) {
        fprintf(stderr, "conformance: cannot set up a client for %s\n", argv[1]);
        oai_client_free(client);
        unlink(training_path);
        return 2;
    }
    if (run_validator_self_check(client))
        passed++;
    else
        failed++;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!is_selected(cases[i].name, argc, argv))
            continue;
        if (run_case(client, &cases[i]))
            passed++;
        else
            failed++;
    }
    for (i = 0; i < sizeof flows / sizeof flows[0]; i++) {
        if (!is_selected(flows[i].name, argc, argv))
            continue;
        if (flows[i].run(client))
            passed++;
        else
            failed++;
    }
    oai_client_free(client);
    unlink(training_path);
    printf("conformance: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
