/* Azure OpenAI (oai_client_azure_new()): the v1 API and the deployments
 * API through the real libcurl transport against the mock server's Azure
 * mode (tests/support/mock_azure.h), which checks the paths, the
 * api-version query and the credential headers Azure expects; and through
 * the in-memory transport (also in a build without libcurl, where the URL
 * is built without curl's URL API). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory_transport.h"
#include "mock_server.h"
#include "oai.h"

#define AZURE_KEY "azure-key-SECRET-0123"
#define VERSION "2024-10-21"

typedef struct fixture {
    mock_server *ms;
    char endpoint[128]; /* http://127.0.0.1:PORT, as https://RESOURCE.openai.azure.com */
    oai_client *c;
} fixture;

static const char *const azure_vars[] = {"AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT",
                                         "OPENAI_API_VERSION",   "OPENAI_API_KEY",        "OPENAI_BASE_URL",
                                         "OPENAI_LOG",           "OPENAI_CUSTOM_HEADERS", "OPENAI_ORG_ID",
                                         "OPENAI_PROJECT_ID"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof azure_vars / sizeof *azure_vars; i++)
        unsetenv(azure_vars[i]);
}

#if OAI_TEST_WITH_CURL
static int setup(void **state)
{
    clear_env();
    fixture *f = calloc(1, sizeof *f);
    f->ms = mock_server_start();
    assert_non_null(f->ms);
    snprintf(f->endpoint, sizeof f->endpoint, "http://127.0.0.1:%d", mock_server_port(f->ms));
    f->c = oai_client_azure_new();
    assert_non_null(f->c);
    assert_int_equal(oai_client_is_azure(f->c), 1);
    assert_int_equal(oai_client_set_azure_endpoint(f->c, f->endpoint), OAI_OK);
    assert_int_equal(oai_client_set_azure_api_version(f->c, VERSION), OAI_OK);
    assert_int_equal(oai_client_set_api_key(f->c, AZURE_KEY), OAI_OK);
    assert_int_equal(oai_client_set_retry_backoff_ms(f->c, 1, 5), OAI_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    oai_client_free(f->c);
    mock_server_stop(f->ms);
    free(f);
    clear_env();
    return 0;
}

static oai_response *send_chat(oai_client *c, const char *model)
{
    oai_request *req = oai_chat_completion_create_request_new(model);
    oai_chat_request_add_message(req, "user", "hello azure");
    oai_response *res = oai_client_send(c, req);
    oai_request_free(req);
    return res;
}

static const mock_request *last_request(fixture *f)
{
    size_t n = mock_server_request_count(f->ms);
    assert_true(n > 0);
    return mock_server_request(f->ms, n - 1);
}

#endif

static void assert_api_key_only(const mock_request *r, const char *key)
{
    assert_string_equal(mock_request_header(r, "api-key"), key);
    assert_null(mock_request_header(r, "authorization"));
}

#if OAI_TEST_WITH_CURL
/* ---- the deployments API --------------------------------------------------------- */

static void test_deployments_chat(void **state)
{
    fixture *f = *state;
    char base[160];
    snprintf(base, sizeof base, "%s/openai", f->endpoint);
    assert_string_equal(oai_client_base_url(f->c), base);
    oai_response *res = send_chat(f->c, "my-gpt4o");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: hello azure");
    oai_response_free(res);
    const mock_request *r = last_request(f);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, "/openai/deployments/my-gpt4o/chat/completions");
    assert_string_equal(r->query, "api-version=" VERSION);
    assert_api_key_only(r, AZURE_KEY);
    /* The body is OpenAI's, model included (Azure ignores it). */
    assert_non_null(strstr(r->body, "\"model\":\"my-gpt4o\""));
}

static void test_deployments_other_endpoints(void **state)
{
    fixture *f = *state;
    /* Embeddings: deployment-scoped, the model names the deployment
     * (percent-encoded as one path segment). */
    oai_request *req = oai_embedding_create_request_new("emb small", "hi");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/deployments/emb%20small/embeddings");

    /* Files: not deployment-scoped; the request's query joins api-version. */
    req = oai_file_list_request_new();
    oai_request_set_query(req, "limit", "3");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/files");
    assert_string_equal(last_request(f)->query, "api-version=" VERSION "&limit=3");

    /* A multipart request names its deployment in its model field. */
    req = oai_request_new("POST", "/audio/transcriptions");
    oai_request_add_form_field(req, "model", "whisper-1");
    oai_request_add_data_part(req, "file", "RIFF", 4, "a.wav", "audio/wav");
    res = oai_client_send(f->c, req);
    oai_response_free(res); /* the mock has no audio: only the route matters */
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/deployments/whisper-1/audio/transcriptions");
    assert_string_equal(last_request(f)->query, "api-version=" VERSION);

    /* A streamed chat. */
    req = oai_chat_completion_create_request_new("dep-stream");
    oai_chat_request_add_message(req, "user", "stream me");
    oai_request_set_stream(req, 1);
    oai_request_set_bool(req, "/stream", 1);
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "Echo: stream me");
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/deployments/dep-stream/chat/completions");
}

static void test_client_deployment_wins(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_azure_deployment(f->c, "fixed"), OAI_OK);
    oai_response *res = send_chat(f->c, "gpt-4o");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/deployments/fixed/chat/completions");
    /* Other paths stay where they are. */
    oai_request *req = oai_request_new("GET", "/models");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/models");
    assert_int_equal(oai_client_set_azure_deployment(f->c, "a/b"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_deployment(f->c, ""), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_deployment(f->c, NULL), OAI_OK);
    res = send_chat(f->c, "gpt-4o");
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/deployments/gpt-4o/chat/completions");
}

/* A base URL that already names a deployment is not routed again; a
 * request's own api-version wins over the client's. */
static void test_base_url_with_deployment(void **state)
{
    fixture *f = *state;
    char base[200];
    snprintf(base, sizeof base, "%s/openai/deployments/pinned", f->endpoint);
    assert_int_equal(oai_client_set_base_url(f->c, base), OAI_OK);
    oai_request *req = oai_chat_completion_create_request_new("ignored");
    oai_chat_request_add_message(req, "user", "x");
    oai_request_set_query(req, "api-version", "2025-01-01-preview");
    oai_response *res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/deployments/pinned/chat/completions");
    assert_string_equal(last_request(f)->query, "api-version=2025-01-01-preview");
    /* Setting the endpoint again replaces the base URL. */
    assert_int_equal(oai_client_set_azure_endpoint(f->c, f->endpoint), OAI_OK);
    res = send_chat(f->c, "again");
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/deployments/again/chat/completions");
}

/* ---- the v1 API ---------------------------------------------------------------- */

static void test_v1_api(void **state)
{
    fixture *f = *state;
    assert_int_equal(oai_client_set_azure_api_version(f->c, "v1"), OAI_OK);
    char base[160];
    snprintf(base, sizeof base, "%s/openai/v1", f->endpoint);
    assert_string_equal(oai_client_base_url(f->c), base);
    oai_response *res = send_chat(f->c, "gpt-4o-mini");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    const mock_request *r = last_request(f);
    assert_string_equal(r->path, "/openai/v1/chat/completions");
    assert_string_equal(r->query, "");
    assert_api_key_only(r, AZURE_KEY);
    assert_non_null(strstr(r->body, "\"model\":\"gpt-4o-mini\""));

    /* An endpoint copied from the portal with /openai/v1/, and the preview
     * version: sent as api-version=preview. */
    snprintf(base, sizeof base, "%s/openai/v1/", f->endpoint);
    assert_int_equal(oai_client_set_azure_endpoint(f->c, base), OAI_OK);
    assert_int_equal(oai_client_set_azure_api_version(f->c, "preview"), OAI_OK);
    oai_request *req = oai_request_new("GET", "/models");
    res = oai_client_send(f->c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_request_free(req);
    assert_string_equal(last_request(f)->path, "/openai/v1/models");
    assert_string_equal(last_request(f)->query, "api-version=preview");

    /* "latest" with a bare endpoint: the v1 API too, and no deployment route. */
    assert_int_equal(oai_client_set_azure_endpoint(f->c, f->endpoint), OAI_OK);
    assert_int_equal(oai_client_set_azure_api_version(f->c, "latest"), OAI_OK);
    res = send_chat(f->c, "gpt-4o");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/v1/chat/completions");
    assert_string_equal(last_request(f)->query, "api-version=latest");
    /* A v1 request with a dated version is refused by the mock, as by Azure. */
    snprintf(base, sizeof base, "%s/openai/v1", f->endpoint);
    assert_int_equal(oai_client_set_base_url(f->c, base), OAI_OK);
    assert_int_equal(oai_client_set_azure_api_version(f->c, VERSION), OAI_OK);
    res = send_chat(f->c, "gpt-4o");
    assert_int_equal(oai_response_status(res), OAI_ERR_BAD_REQUEST);
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/v1/chat/completions");
}

/* ---- credentials --------------------------------------------------------------- */

typedef struct provider {
    int calls;
    const char *tokens[4];  /* handed out in turn */
    oai_status fail;
} provider;

static oai_status provide(void *ud, char *token, size_t size)
{
    provider *p = ud;
    int i = p->calls++;
    if (p->fail != OAI_OK)
        return p->fail;
    snprintf(token, size, "%s", p->tokens[i < 4 && p->tokens[i] ? i : 0]);
    return OAI_OK;
}

static void test_entra_token_provider(void **state)
{
    fixture *f = *state;
    /* The first token has expired: the mock answers 401, and the retry asks
     * the provider again. */
    provider p = {.tokens = {"expired-1", "fresh-2"}};
    assert_int_equal(oai_client_set_token_callback(f->c, provide, &p), OAI_OK);
    oai_response *res = send_chat(f->c, "dep");
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    assert_int_equal(p.calls, 2);
    assert_int_equal(mock_server_request_count(f->ms), 2);
    for (size_t i = 0; i < 2; i++)
        assert_null(mock_request_header(mock_server_request(f->ms, i), "api-key"));
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 0), "authorization"), "Bearer expired-1");
    assert_string_equal(mock_request_header(mock_server_request(f->ms, 1), "authorization"), "Bearer fresh-2");

    /* The provider fails: a clear status, nothing sent. */
    mock_server_reset(f->ms);
    provider broken = {.fail = OAI_ERR_PERMISSION_DENIED};
    assert_int_equal(oai_client_set_token_callback(f->c, provide, &broken), OAI_OK);
    res = send_chat(f->c, "dep");
    assert_int_equal(oai_response_status(res), OAI_ERR_PERMISSION_DENIED);
    assert_non_null(strstr(oai_response_error_message(res), "token callback"));
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 0);

    /* A fixed Entra ID token wins over the provider, which is not called. */
    provider unused = {.tokens = {"never"}};
    assert_int_equal(oai_client_set_token_callback(f->c, provide, &unused), OAI_OK);
    assert_int_equal(oai_client_set_azure_ad_token(f->c, "ad-token-3"), OAI_OK);
    res = send_chat(f->c, "dep");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_int_equal(unused.calls, 0);
    assert_string_equal(mock_request_header(last_request(f), "authorization"), "Bearer ad-token-3");
    assert_null(mock_request_header(last_request(f), "api-key"));
    /* Cleared: the provider again, then the key. */
    assert_int_equal(oai_client_set_azure_ad_token(f->c, NULL), OAI_OK);
    res = send_chat(f->c, "dep");
    oai_response_free(res);
    assert_int_equal(unused.calls, 1);
    assert_int_equal(oai_client_set_token_callback(f->c, NULL, NULL), OAI_OK);
    res = send_chat(f->c, "dep");
    oai_response_free(res);
    assert_api_key_only(last_request(f), AZURE_KEY);
}

/* ---- what is missing -------------------------------------------------------------- */

static void expect_refused(fixture *f, oai_client *c, const char *model, const char *words)
{
    mock_server_reset(f->ms);
    oai_response *res = send_chat(c, model);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(oai_response_error_message(res));
    assert_non_null(strstr(oai_response_error_message(res), words));
    assert_null(strstr(oai_response_error_message(res), AZURE_KEY));
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 0);
}

static void test_missing_settings(void **state)
{
    fixture *f = *state;
    oai_client *c = oai_client_azure_new();
    assert_null(oai_client_base_url(c));
    expect_refused(f, c, "dep", "AZURE_OPENAI_ENDPOINT");
    assert_int_equal(oai_client_set_azure_endpoint(c, f->endpoint), OAI_OK);
    expect_refused(f, c, "dep", "OPENAI_API_VERSION");
    assert_int_equal(oai_client_set_azure_api_version(c, VERSION), OAI_OK);
    expect_refused(f, c, "dep", "AZURE_OPENAI_API_KEY");
    assert_int_equal(oai_client_set_api_key(c, AZURE_KEY), OAI_OK);
    /* A deployment-scoped request without a model or a client deployment. */
    oai_request *req = oai_request_new("POST", "/chat/completions");
    oai_request_set_string(req, "/input", "x");
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_response_error_message(res), "deployment"));
    oai_response_free(res);
    oai_request_free(req);
    assert_int_equal(mock_server_request_count(f->ms), 0);
    res = send_chat(c, "dep");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    oai_client_free(c);

    /* Azure settings belong to Azure clients; bad values are refused. */
    oai_client *plain = oai_client_new();
    assert_int_equal(oai_client_is_azure(plain), 0);
    assert_int_equal(oai_client_set_azure_endpoint(plain, f->endpoint), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_deployment(plain, "d"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_api_version(plain, VERSION), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_ad_token(plain, "t"), OAI_ERR_INVALID_ARGUMENT);
    oai_client_free(plain);
    assert_int_equal(oai_client_is_azure(NULL), 0);
    assert_int_equal(oai_client_set_azure_endpoint(NULL, f->endpoint), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_endpoint(f->c, "ftp://x"), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_endpoint(f->c, "https://x.openai.azure.com?api-version=1"),
                     OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_endpoint(f->c, NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_api_version(f->c, ""), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_client_set_azure_ad_token(f->c, "a\nb"), OAI_ERR_INVALID_ARGUMENT);
}

/* The mock refuses what Azure refuses, so the tests above can fail: a
 * client that sends OpenAI's paths to an Azure resource gets 404s. */
static void test_mock_checks(void **state)
{
    fixture *f = *state;
    char base[160];
    snprintf(base, sizeof base, "%s/openai", f->endpoint);
    oai_client *plain = oai_client_new();
    assert_int_equal(oai_client_set_base_url(plain, base), OAI_OK);
    assert_int_equal(oai_client_set_header(plain, "api-key", AZURE_KEY), OAI_OK);
    /* No /deployments/, no api-version. */
    oai_response *res = send_chat(plain, "dep");
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    oai_response_free(res);
    assert_int_equal(oai_client_set_query(plain, "api-version", VERSION), OAI_OK);
    res = send_chat(plain, "dep");
    assert_int_equal(oai_response_status(res), OAI_ERR_NOT_FOUND);
    assert_non_null(strstr(oai_response_error_message(res), "deployments"));
    oai_response_free(res);
    /* No credential. */
    assert_int_equal(oai_client_set_header(plain, "api-key", NULL), OAI_OK);
    oai_request *req = oai_file_list_request_new();
    res = oai_client_send(plain, req);
    assert_int_equal(oai_response_status(res), OAI_ERR_AUTHENTICATION);
    oai_response_free(res);
    oai_request_free(req);
    oai_client_free(plain);
}

/* ---- the environment ------------------------------------------------------------ */

static void test_environment(void **state)
{
    fixture *f = *state;
    setenv("AZURE_OPENAI_API_KEY", "env-azure-key", 1);
    setenv("AZURE_OPENAI_ENDPOINT", f->endpoint, 1);
    setenv("OPENAI_API_VERSION", VERSION, 1);
    setenv("OPENAI_API_KEY", "sk-openai-must-not-go-to-azure", 1);
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1", 1);
    setenv("OPENAI_ORG_ID", "org-env", 1);
    oai_client *c = oai_client_azure_new();
    assert_int_equal(oai_client_status(c), OAI_OK);
    oai_response *res = send_chat(c, "env-dep");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    const mock_request *r = last_request(f);
    assert_string_equal(r->path, "/openai/deployments/env-dep/chat/completions");
    assert_string_equal(r->query, "api-version=" VERSION);
    assert_api_key_only(r, "env-azure-key");
    assert_string_equal(mock_request_header(r, "openai-organization"), "org-env");

    /* A copy is an Azure client with the same settings. */
    oai_client *copy = oai_client_clone(c);
    assert_int_equal(oai_client_is_azure(copy), 1);
    assert_int_equal(oai_client_set_azure_deployment(copy, "copy-dep"), OAI_OK);
    res = send_chat(copy, "x");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/deployments/copy-dep/chat/completions");
    assert_api_key_only(last_request(f), "env-azure-key");
    oai_client_free(copy);
    oai_client_free(c);

    /* AZURE_OPENAI_AD_TOKEN beats AZURE_OPENAI_API_KEY, as in the official client. */
    setenv("AZURE_OPENAI_AD_TOKEN", "env-ad-token", 1);
    c = oai_client_azure_new();
    res = send_chat(c, "env-dep");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(mock_request_header(last_request(f), "authorization"), "Bearer env-ad-token");
    assert_null(mock_request_header(last_request(f), "api-key"));
    oai_client_free(c);

    /* OPENAI_API_VERSION=v1: the v1 API. */
    setenv("OPENAI_API_VERSION", "v1", 1);
    unsetenv("AZURE_OPENAI_AD_TOKEN");
    c = oai_client_azure_new();
    res = send_chat(c, "gpt-4o");
    assert_int_equal(oai_response_status(res), OAI_OK);
    oai_response_free(res);
    assert_string_equal(last_request(f)->path, "/openai/v1/chat/completions");
    oai_client_free(c);

    /* An endpoint that is no URL: the client carries the error. */
    setenv("AZURE_OPENAI_ENDPOINT", "not a url", 1);
    c = oai_client_azure_new();
    assert_int_equal(oai_client_status(c), OAI_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(oai_client_error_message(c), "AZURE_OPENAI_ENDPOINT"));
    mock_server_reset(f->ms);
    res = send_chat(c, "dep");
    assert_int_equal(oai_response_status(res), OAI_ERR_INVALID_ARGUMENT);
    oai_response_free(res);
    assert_int_equal(mock_server_request_count(f->ms), 0);
    assert_int_equal(oai_client_set_azure_endpoint(c, f->endpoint), OAI_OK);
    assert_int_equal(oai_client_status(c), OAI_OK);
    oai_client_free(c);

    /* A plain client reads none of the Azure variables. */
    c = oai_client_new();
    assert_int_equal(oai_client_is_azure(c), 0);
    assert_string_equal(oai_client_base_url(c), "http://127.0.0.1:1/v1");
    oai_client_free(c);
}

#endif /* OAI_TEST_WITH_CURL */

/* ---- through the in-memory transport ---------------------------------------------- */

static const char chat_answer[] =
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"from memory\"},\"finish_reason\":\"stop\"}]}";

static oai_status memory_token(void *ud, char *token, size_t size)
{
    int *calls = ud;
    snprintf(token, size, "entra-%d", ++*calls);
    return OAI_OK;
}

/* The deployments API's URL with the client's default query and a
 * request's query, and a token refreshed after a 401, on a fake clock. */
static void test_memory_transport(void **state)
{
    (void)state;
    clear_env();
    memory_transport *mt = memory_transport_new();
    oai_client *c = oai_client_azure_new();
    assert_non_null(mt);
    assert_non_null(c);
    assert_int_equal(memory_transport_attach(mt, c), OAI_OK);
    assert_int_equal(oai_client_set_azure_endpoint(c, "https://res.openai.azure.com/"), OAI_OK);
    assert_string_equal(oai_client_base_url(c), "https://res.openai.azure.com/openai");
    assert_int_equal(oai_client_set_azure_api_version(c, VERSION), OAI_OK);
    assert_int_equal(oai_client_set_api_key(c, AZURE_KEY), OAI_OK);
    assert_int_equal(oai_client_set_query(c, "tenant", "t 1"), OAI_OK);
    mock_reply ok = {.status = 200, .body = chat_answer};
    mock_reply denied = {.status = 401, .body = "{\"error\":{\"code\":\"401\",\"message\":\"expired\"}}"};
    assert_int_equal(memory_transport_push(mt, &ok), 0);

    oai_request *req = oai_chat_completion_create_request_new("dep/1");
    oai_chat_request_add_message(req, "user", "hi");
    oai_request_set_query(req, "extra", "x");
    oai_response *res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_string_equal(oai_response_text(res), "from memory");
    oai_response_free(res);
    const mock_request *r = memory_transport_request(mt, 0);
    assert_string_equal(r->path, "/openai/deployments/dep%2f1/chat/completions");
    assert_string_equal(r->query, "tenant=t+1&api-version=" VERSION "&extra=x");
    assert_api_key_only(r, AZURE_KEY);

    int calls = 0;
    assert_int_equal(oai_client_set_token_callback(c, memory_token, &calls), OAI_OK);
    assert_int_equal(memory_transport_push(mt, &denied), 0);
    assert_int_equal(memory_transport_push(mt, &ok), 0);
    res = oai_client_send(c, req);
    assert_int_equal(oai_response_status(res), OAI_OK);
    assert_int_equal(oai_response_retry_count(res), 1);
    oai_response_free(res);
    assert_int_equal(calls, 2);
    assert_int_equal(memory_transport_request_count(mt), 3);
    assert_string_equal(mock_request_header(memory_transport_request(mt, 1), "authorization"), "Bearer entra-1");
    assert_string_equal(mock_request_header(memory_transport_request(mt, 2), "authorization"), "Bearer entra-2");
    assert_null(mock_request_header(memory_transport_request(mt, 2), "api-key"));
    /* Retried at once: no backoff on the fake clock. */
    assert_true(memory_transport_request_time_us(mt, 2) == memory_transport_request_time_us(mt, 1));
    assert_int_equal(memory_transport_violations(mt), 0);
    oai_request_free(req);
    oai_client_free(c);
    memory_transport_free(mt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_transport),
#if OAI_TEST_WITH_CURL
        cmocka_unit_test_setup_teardown(test_deployments_chat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deployments_other_endpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_deployment_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_url_with_deployment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entra_token_provider, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mock_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment, setup, teardown),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
