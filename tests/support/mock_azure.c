/* The mock server's Azure OpenAI mode: see mock_azure.h. */
#include "mock_azure.h"
#include "mock_openai.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* openai-python lib/azure.py: _deployments_endpoints. */
static const char *const deployment_paths[] = {
    "completions",        "chat/completions", "embeddings",         "audio/transcriptions",
    "audio/translations", "audio/speech",     "images/generations", "images/edits",
};

static int is_deployment_scoped(const char *rest)
{
    for (size_t i = 0; i < sizeof deployment_paths / sizeof *deployment_paths; i++)
        if (strcmp(rest, deployment_paths[i]) == 0)
            return 1;
    return 0;
}

/* Azure's error shape: {"error": {"code": CODE, "message": MESSAGE}}. */
static mock_response *azure_error(int status, const char *code, const char *message)
{
    mock_response *r = mock_response_new(status);
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!r || !text || mock_response_set_body(r, text, strlen(text)) != 0) {
        free(text);
        mock_response_free(r);
        return NULL;
    }
    free(text);
    return r;
}

/* The value of query parameter `name` in a raw query (not decoded; the
 * tests' values need none), copied into out; 0 when absent. */
static int query_value(const char *query, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *end = p + strcspn(p, "&");
        if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t len = (size_t)(end - p) - n - 1;
            if (len >= cap)
                len = cap - 1;
            memcpy(out, p + n + 1, len);
            out[len] = '\0';
            return 1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* api-key, or Authorization: Bearer with a token that has not "expired"
 * (the tests' expired tokens start with "expired"). NULL when accepted. */
static mock_response *check_auth(const mock_request *req)
{
    const char *key = mock_request_header(req, "api-key");
    const char *auth = mock_request_header(req, "authorization");
    if (key && *key)
        return NULL;
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && auth[7]) {
        if (strncmp(auth + 7, "expired", 7) == 0)
            return azure_error(401, "401",
                               "Unauthorized. Access token is missing, invalid, audience is incorrect, or have "
                               "expired.");
        return NULL;
    }
    return azure_error(401, "401",
                       "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
                       "provide a valid key for an active subscription and use a correct regional API "
                       "endpoint for your resource.");
}

/* The answer of the OpenAI handler for /v1/REST. */
static mock_response *forward(const mock_request *req, const char *rest)
{
    char path[1024];
    if (snprintf(path, sizeof path, "/v1/%s", rest) >= (int)sizeof path)
        return azure_error(404, "404", "Resource not found");
    mock_request copy = *req;
    copy.path = path;
    return mock_openai_respond(&copy);
}

mock_response *mock_azure_respond(const mock_request *req)
{
    const char *rest = req->path + strlen(MOCK_AZURE_PREFIX);
    char version[128] = "";
    int has_version = query_value(req->query, "api-version", version, sizeof version);
    mock_response *denied = check_auth(req);
    if (denied)
        return denied;
    if (strncmp(rest, "v1/", 3) == 0) {
        /* The v1 API: OpenAI's paths, no api-version (but "preview", "latest"). */
        if (has_version && strcmp(version, "preview") != 0 && strcmp(version, "latest") != 0)
            return azure_error(400, "BadRequest",
                               "The v1 API takes no api-version query parameter (but 'preview' or 'latest').");
        if (strncmp(rest + 3, "deployments/", 12) == 0)
            return azure_error(404, "404", "Resource not found");
        return forward(req, rest + 3);
    }
    if (!has_version || !*version)
        return azure_error(404, "404", "Resource not found (the mock: no api-version query parameter)");
    if (strncmp(rest, "deployments/", 12) == 0) {
        const char *deployment = rest + 12, *slash = strchr(deployment, '/');
        if (!slash || slash == deployment || !is_deployment_scoped(slash + 1))
            return azure_error(404, "DeploymentNotFound",
                               "The API deployment for this resource does not exist (the mock: not a "
                               "deployment-scoped path).");
        return forward(req, slash + 1);
    }
    if (is_deployment_scoped(rest))
        return azure_error(404, "404",
                           "Resource not found (the mock: the deployments API serves this path under "
                           "/openai/deployments/{deployment}/)");
    return forward(req, rest);
}
