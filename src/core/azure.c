/* What a client's calls send beyond the engine's defaults: the full URL
 * (the client's default query, and Azure OpenAI's deployment routing and
 * api-version), the credential header, and a token callback's token per
 * attempt; and the Azure OpenAI client's options and environment
 * (docs/azure.md).
 *
 * Azure OpenAI has two APIs. The v1 API is OpenAI's, under
 * ENDPOINT/openai/v1, with the `api-key` header. The deployments API puts
 * the deployment in the path of the deployment-scoped endpoints
 * (ENDPOINT/openai/deployments/DEPLOYMENT/chat/completions) and wants an
 * `api-version` query parameter on every request. As in the official
 * AzureOpenAI client, the deployment is the request's model unless the
 * client names one, and a base URL that already holds `/deployments` is
 * not routed again. */
#include "core/core.h"
#include "http/url.h"

#include <stdlib.h>
#include <string.h>

/* The paths the deployments API serves under /deployments/{deployment}
 * (openai-python, lib/azure.py: _deployments_endpoints). */
static const char *const deployment_paths[] = {
    "completions",      "chat/completions",    "embeddings",        "audio/transcriptions",
    "audio/translations", "audio/speech",      "images/generations", "images/edits",
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

/* The path of a base URL (after its host, before its query). */
static void base_path(const char *base, const char **path, size_t *len)
{
    const char *p = base ? strstr(base, "://") : NULL;
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p) {
        *path = "";
        *len = 0;
        return;
    }
    *path = p;
    *len = strcspn(p, "?");
}

static int base_path_ends_with(const char *base, const char *suffix)
{
    const char *p;
    size_t len, n = strlen(suffix);
    base_path(base, &p, &len);
    return len >= n && memcmp(p + len - n, suffix, n) == 0;
}

static int base_path_contains(const char *base, const char *what)
{
    const char *p;
    size_t len, n = strlen(what);
    base_path(base, &p, &len);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, what, n) == 0)
            return 1;
    return 0;
}

/* The version "v1": the v1 API, and no api-version parameter. */
static int version_is_v1(const oai_client *c)
{
    return c->azure_api_version && strcmp(c->azure_api_version, "v1") == 0;
}

/* A version of the v1 API: "v1", or "preview" and "latest", which the
 * official client does not route to deployments either (sent as they are). */
static int version_of_v1_api(const oai_client *c)
{
    const char *v = c->azure_api_version;
    return v && (strcmp(v, "v1") == 0 || oai__strcasecmp_ascii(v, "preview") == 0 ||
                 oai__strcasecmp_ascii(v, "latest") == 0);
}

/* The v1 API: one of its versions, or a base URL ending in /openai/v1. */
static int azure_v1(const oai_client *c)
{
    return version_of_v1_api(c) || base_path_ends_with(c->base_url, "/openai/v1");
}

/* The deployments API, with a base URL not already under a deployment. */
static int routes_deployments(const oai_client *c)
{
    return c->azure && c->base_url && !azure_v1(c) && !base_path_contains(c->base_url, "/deployments");
}

static int is_deployment_scoped(const char *path)
{
    size_t len = strcspn(path, "?");
    if (len && path[0] == '/') {
        path++;
        len--;
    }
    for (size_t i = 0; i < sizeof deployment_paths / sizeof *deployment_paths; i++)
        if (strlen(deployment_paths[i]) == len && memcmp(deployment_paths[i], path, len) == 0)
            return 1;
    return 0;
}

/* The request's model: its JSON body's, or its multipart "model" field. */
static const char *request_model(const oai_request *r)
{
    const char *model = oai_request_get_string(r, "/model");
    for (size_t i = 0; !model && i < r->part_count; i++)
        if (r->parts[i].kind == OAI_PART_FIELD && r->parts[i].name && strcmp(r->parts[i].name, "model") == 0)
            model = r->parts[i].value;
    return model;
}

static int has_header(const oai__kvlist *l, const char *name)
{
    const oai__kv *kv = oai__kvlist_find(l, name);
    return kv && kv->value;
}

/* What an Azure client cannot send without, said before anything is. */
static oai_status azure_check(const oai_client *c, const oai_request *r, const char **message)
{
    if (!c->base_url) {
        *message = "Azure OpenAI: no endpoint: set AZURE_OPENAI_ENDPOINT or call oai_client_set_azure_endpoint()";
        return OAI_ERR_INVALID_ARGUMENT;
    }
    int has_version = c->azure_api_version || strstr(c->base_url, "api-version=") ||
                      oai__kvlist_find(&c->query, "api-version") || oai__kvlist_find(&r->query, "api-version");
    if (!azure_v1(c) && !has_version) {
        *message = "Azure OpenAI: no API version: set OPENAI_API_VERSION or call "
                   "oai_client_set_azure_api_version() (\"v1\" for the v1 API)";
        return OAI_ERR_INVALID_ARGUMENT;
    }
    if (!c->api_key && !c->azure_ad_token && !c->token_fn && !has_header(&c->headers, "api-key") &&
        !has_header(&c->headers, "authorization") && !has_header(&r->headers, "api-key") &&
        !has_header(&r->headers, "authorization")) {
        *message = "Azure OpenAI: no credentials: set AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN, or call "
                   "oai_client_set_api_key(), oai_client_set_azure_ad_token() or oai_client_set_token_callback()";
        return OAI_ERR_INVALID_ARGUMENT;
    }
    return OAI_OK;
}

/* "/deployments/{deployment}" in front of a deployment-scoped path. */
static oai_status route_path(const oai_client *c, const oai_request *r, oai__buf *out, const char **message)
{
    const char *deployment = c->azure_deployment ? c->azure_deployment : request_model(r);
    if (!deployment || !*deployment) {
        *message = "Azure OpenAI: this path is deployment-scoped: set the request's model (the deployment's "
                   "name) or call oai_client_set_azure_deployment()";
        return OAI_ERR_INVALID_ARGUMENT;
    }
    char *segment = oai__url_encode(deployment);
    if (!segment)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_status st = oai__buf_printf(out, "/deployments/%s%s%s", segment, r->path[0] == '/' ? "" : "/", r->path);
    oai__free(segment);
    return st;
}

/* The client's default query with Azure's api-version, then the request's
 * parameters over them. */
static oai_status merge_query(const oai_client *c, const oai_request *r, oai__kvlist *out)
{
    oai_status st = oai__kvlist_copy(out, &c->query);
    if (st == OAI_OK && c->azure && c->azure_api_version && !version_is_v1(c))
        st = oai__kvlist_set(out, "api-version", c->azure_api_version);
    for (size_t i = 0; st == OAI_OK && i < r->query.count; i++)
        st = oai__kvlist_set(out, r->query.items[i].name, r->query.items[i].value);
    return st;
}

int oai__client_url_custom(const oai_client *c)
{
    return c->azure || c->query.count > 0;
}

oai_status oai__client_url(const oai_client *c, const oai_request *r, char **url, const char **message)
{
    oai_status st = OAI_OK;
    const char *path = r->path;
    oai__buf routed = {0};
    oai__kvlist query = {0};
    const oai__kvlist *q = &r->query;
    if (c->azure && (st = azure_check(c, r, message)) != OAI_OK)
        return st;
    if (routes_deployments(c) && is_deployment_scoped(r->path)) {
        if ((st = route_path(c, r, &routed, message)) != OAI_OK)
            goto out;
        path = routed.data;
    }
    if (oai__client_url_custom(c)) {
        if ((st = merge_query(c, r, &query)) != OAI_OK)
            goto out;
        q = &query;
    }
    st = oai__url_build(c->base_url, path, q, url);
    if (st == OAI_ERR_INVALID_ARGUMENT)
        *message = "the request's path and query do not make a valid http(s) URL";
out:
    oai__buf_free(&routed);
    oai__kvlist_free(&query);
    return st;
}

oai_status oai__client_auth_header(const oai_client *c, const char **name, oai__buf *value)
{
    *name = NULL;
    if (c->azure && c->azure_ad_token) {
        *name = "Authorization";
        return oai__buf_printf(value, "Bearer %s", c->azure_ad_token);
    }
    if (c->token_fn || !c->api_key)
        return OAI_OK; /* the token comes per attempt, or nothing is sent */
    *name = c->azure ? "api-key" : "Authorization";
    return c->azure ? oai__buf_append_str(value, c->api_key) : oai__buf_printf(value, "Bearer %s", c->api_key);
}

/* A status the callback may end a call with (not OAI_OK, not unknown). */
static int is_failure_status(oai_status st)
{
    return st != OAI_OK && strcmp(oai_status_name(st), "OAI_ERR_UNKNOWN") != 0;
}

oai_status oai__client_fetch_token(oai_client *c, char **authorization, const char **message)
{
    *authorization = NULL;
    if (!c->token_fn || (c->azure && c->azure_ad_token))
        return OAI_OK;
    char *token = oai__calloc(1, OAI_TOKEN_MAX);
    if (!token)
        return OAI_ERR_OUT_OF_MEMORY;
    c->in_callback++;
    oai_status st = c->token_fn(c->token_ud, token, OAI_TOKEN_MAX);
    c->in_callback--;
    if (st != OAI_OK) {
        *message = "the token callback failed";
        if (!is_failure_status(st))
            st = OAI_ERR_AUTHENTICATION;
    } else if (!memchr(token, '\0', OAI_TOKEN_MAX)) {
        *message = "the token callback wrote a token without its terminating NUL";
        st = OAI_ERR_AUTHENTICATION;
    } else if (!*token) {
        *message = "the token callback returned an empty token";
        st = OAI_ERR_AUTHENTICATION;
    } else if (!oai__header_value_ok(token)) {
        *message = "the token callback returned a token with control characters";
        st = OAI_ERR_AUTHENTICATION;
    } else {
        oai__buf b = {0};
        st = oai__buf_printf(&b, "Bearer %s", token);
        *authorization = b.data;
    }
    memset(token, 0, OAI_TOKEN_MAX);
    oai__free(token);
    return st;
}

/* ---- the Azure client's options ------------------------------------------------ */

/* The base URL from the endpoint and the API version: ENDPOINT/openai, or
 * ENDPOINT/openai/v1 for the v1 API's versions; an endpoint that ends in
 * one of them is kept. */
static oai_status update_base(oai_client *c)
{
    if (!c->azure_endpoint)
        return OAI_OK;
    const char *e = c->azure_endpoint;
    const char *suffix = "";
    if (base_path_ends_with(e, "/openai/v1"))
        suffix = "";
    else if (base_path_ends_with(e, "/openai"))
        suffix = version_of_v1_api(c) ? "/v1" : "";
    else
        suffix = version_of_v1_api(c) ? "/openai/v1" : "/openai";
    size_t len = strlen(e);
    while (len && e[len - 1] == '/') /* a bare host keeps its "/" */
        len--;
    oai__buf b = {0};
    if (oai__buf_printf(&b, "%.*s%s", (int)len, e, suffix) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    oai__free(c->base_url);
    c->base_url = b.data;
    return OAI_OK;
}

OAI_API int oai_client_is_azure(const oai_client *c)
{
    return c && c->azure;
}

/* An endpoint: an absolute http(s) URL without a query. *why gets a
 * static reason on failure. */
static oai_status parse_endpoint(const char *text, char **out, const char **why)
{
    char *copy = oai__strdup(text ? text : "");
    if (!copy)
        return OAI_ERR_OUT_OF_MEMORY;
    oai__trim(copy);
    oai_status st = OAI_ERR_INVALID_ARGUMENT;
    if (!*copy)
        *why = "it is empty";
    else if (strchr(copy, '?'))
        *why = "an endpoint has no query (the API version is set on its own)";
    else
        st = oai__url_parse_base(copy, out, why);
    oai__free(copy);
    return st;
}

static oai_status set_endpoint(oai_client *c, const char *endpoint, const char **why)
{
    char *url = NULL;
    oai_status st = parse_endpoint(endpoint, &url, why);
    if (st != OAI_OK)
        return st;
    oai__free(c->azure_endpoint);
    c->azure_endpoint = url;
    if ((st = update_base(c)) != OAI_OK)
        return st;
    oai__free(c->config_message);
    c->config_message = NULL;
    c->config_status = OAI_OK;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_azure_endpoint(oai_client *c, const char *endpoint)
{
    const char *why = NULL;
    if (!c || !c->azure || !endpoint)
        return OAI_ERR_INVALID_ARGUMENT;
    return set_endpoint(c, endpoint, &why);
}

OAI_API oai_status oai_client_set_azure_deployment(oai_client *c, const char *deployment)
{
    if (!c || !c->azure || (deployment && (!*deployment || strchr(deployment, '/'))))
        return OAI_ERR_INVALID_ARGUMENT;
    return oai__set_str(&c->azure_deployment, deployment);
}

OAI_API oai_status oai_client_set_azure_api_version(oai_client *c, const char *api_version)
{
    if (!c || !c->azure || (api_version && (!*api_version || !oai__header_value_ok(api_version))))
        return OAI_ERR_INVALID_ARGUMENT;
    oai_status st = oai__set_str(&c->azure_api_version, api_version);
    return st == OAI_OK ? update_base(c) : st;
}

OAI_API oai_status oai_client_set_azure_ad_token(oai_client *c, const char *token)
{
    if (!c || !c->azure || (token && !oai__header_value_ok(token)))
        return OAI_ERR_INVALID_ARGUMENT;
    c->headers_version++; /* the credential header changes */
    return oai__set_str(&c->azure_ad_token, (token && *token) ? token : NULL);
}

/* The official AzureOpenAI client's variables. A value a setter refuses is
 * skipped with a warning, except the endpoint: an invalid one becomes the
 * client's configuration error (a request must not go elsewhere). */
oai_status oai__azure_apply_environment(oai_client *c)
{
    struct {
        const char *name;
        oai_status (*set)(oai_client *, const char *);
    } const vars[] = {
        {"AZURE_OPENAI_API_KEY", oai_client_set_api_key},
        {"AZURE_OPENAI_AD_TOKEN", oai_client_set_azure_ad_token},
        {"OPENAI_API_VERSION", oai_client_set_azure_api_version},
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *value = env(vars[i].name);
        oai_status st = value ? vars[i].set(c, value) : OAI_OK;
        if (st == OAI_ERR_OUT_OF_MEMORY)
            return st;
        if (st != OAI_OK)
            oai__log(c, OAI_LOG_WARN, "%s: invalid value skipped", vars[i].name);
    }
    const char *endpoint = env("AZURE_OPENAI_ENDPOINT");
    const char *why = NULL;
    oai_status st = endpoint ? set_endpoint(c, endpoint, &why) : OAI_OK;
    if (st == OAI_ERR_INVALID_ARGUMENT)
        return oai__client_config_error(c, st, "AZURE_OPENAI_ENDPOINT is not a valid endpoint URL",
                                        why ? why : "invalid");
    return st;
}
