/* The client object: options, environment defaults, logging. */
#include "core/core.h"
#include "http/url.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OAI_DEFAULT_BASE_URL "https://api.openai.com/v1"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

static int log_level_from_name(const char *s)
{
    static const char *const names[] = {"off", "error", "warn", "info", "debug"};
    for (int i = 0; s && i < 5; i++)
        if (oai__strcasecmp_ascii(s, names[i]) == 0)
            return i;
    return -1;
}

/* OPENAI_CUSTOM_HEADERS: newline-separated "Name: value" lines. Malformed
 * lines are skipped with a warning rather than failing the client; only
 * running out of memory fails it. */
static oai_status apply_custom_headers(oai_client *c, const char *spec)
{
    char *copy = oai__strdup(spec);
    if (!copy)
        return OAI_ERR_OUT_OF_MEMORY;
    oai_status st = OAI_OK;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && st == OAI_OK; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *name = oai__trim(line), *value = oai__trim(colon + 1);
        st = oai_client_set_header(c, name, value);
        if (st == OAI_ERR_INVALID_ARGUMENT) {
            oai__log(c, OAI_LOG_WARN, "OPENAI_CUSTOM_HEADERS: skipped an invalid header line");
            st = OAI_OK;
        }
    }
    oai__free(copy);
    return st;
}

/* Records a configuration error: every call on the client fails with it. */
static oai_status set_config_error(oai_client *c, oai_status status, const char *what, const char *why)
{
    oai__buf msg = {0};
    if (oai__buf_printf(&msg, "%s: %s", what, why) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    oai__free(c->config_message);
    c->config_message = msg.data;
    c->config_status = status;
    return OAI_OK;
}

oai_status oai__client_config_error(oai_client *c, oai_status status, const char *what, const char *why)
{
    return set_config_error(c, status, what, why);
}

/* OPENAI_BASE_URL: an invalid value never falls back to the default
 * server (that would send the prompt and the key somewhere the user did not
 * name); the client carries the error instead. */
static oai_status apply_base_url_variable(oai_client *c)
{
    const char *value = getenv("OPENAI_BASE_URL");
    char *url = NULL;
    const char *why = NULL;
    char *text = oai__strdup(value ? value : "");
    if (!text)
        return OAI_ERR_OUT_OF_MEMORY;
    oai__trim(text);
    oai_status st = *text ? oai__url_parse_base(text, &url, &why) : OAI_OK;
    oai__free(text);
    if (st == OAI_ERR_INVALID_ARGUMENT)
        return set_config_error(c, st, "OPENAI_BASE_URL is not a valid base URL", why);
    if (st == OAI_OK && url) {
        oai__free(c->base_url);
        c->base_url = url;
    }
    return st;
}

/* Values a setter refuses are skipped with a warning, except the base URL
 * (above); running out of memory fails the client, so that it never goes
 * out half configured. */
static oai_status apply_environment(oai_client *c)
{
    const char *level = env("OPENAI_LOG");
    if (level) {
        int l = log_level_from_name(level);
        c->log_level = l >= 0 ? l : OAI_LOG_WARN;
        if (l < 0)
            oai__log(c, OAI_LOG_WARN, "OPENAI_LOG: unknown level (use off, error, warn, info or debug)");
    }
    /* An Azure client reads its key and endpoint from AZURE_OPENAI_* (azure.c). */
    if (!c->azure && env("OPENAI_API_KEY") && oai_client_set_api_key(c, env("OPENAI_API_KEY")) == OAI_ERR_OUT_OF_MEMORY)
        return OAI_ERR_OUT_OF_MEMORY;
    /* A blank base URL means the default, as in the official SDKs. */
    oai_status st = c->azure ? OAI_OK : apply_base_url_variable(c);
    if (st != OAI_OK)
        return st;
    if (env("OPENAI_ORG_ID") && oai_client_set_organization(c, env("OPENAI_ORG_ID")) == OAI_ERR_OUT_OF_MEMORY)
        return OAI_ERR_OUT_OF_MEMORY;
    if (env("OPENAI_PROJECT_ID") && oai_client_set_project(c, env("OPENAI_PROJECT_ID")) == OAI_ERR_OUT_OF_MEMORY)
        return OAI_ERR_OUT_OF_MEMORY;
    if (env("OPENAI_WEBHOOK_SECRET")
        && oai_client_set_webhook_secret(c, env("OPENAI_WEBHOOK_SECRET")) == OAI_ERR_OUT_OF_MEMORY)
        return OAI_ERR_OUT_OF_MEMORY;
    return env("OPENAI_CUSTOM_HEADERS") ? apply_custom_headers(c, env("OPENAI_CUSTOM_HEADERS")) : OAI_OK;
}

static oai_client *client_new(int azure)
{
    if (oai__transport_global_init() != OAI_OK)
        return NULL;
    oai_client *c = oai__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->azure = azure;
    c->headers.ignore_case = 1;
    c->platform_headers = 1;
    c->timeout_ms = 600000;
    c->connect_timeout_ms = 5000;
    c->retry.max_retries = 2;
    c->retry.base_ms = 500;
    c->retry.max_ms = 8000;
    c->retry.cap_ms = 60000;
    c->max_response_bytes = (int64_t)256 << 20;
    c->log_level = OAI_LOG_OFF;
    c->engine = oai__engine_new(c);
    /* An Azure client has no base URL until it has an endpoint. */
    c->base_url = azure ? NULL : oai__strdup(OAI_DEFAULT_BASE_URL);
    if (!c->engine || (!azure && !c->base_url) || oai__share_group_new(&c->share_group) != OAI_OK ||
        apply_environment(c) != OAI_OK ||
        (azure && oai__azure_apply_environment(c) != OAI_OK)) {
        oai_client_free(c);
        return NULL;
    }
    return c;
}

OAI_API oai_client *oai_client_new(void)
{
    return client_new(0);
}

OAI_API oai_client *oai_client_azure_new(void)
{
    return client_new(1);
}

OAI_API void oai_client_free(oai_client *c)
{
    if (!c)
        return;
    /* From inside one of its callbacks, the engine is still walking the
     * client: it frees it when the outermost library call returns. */
    if (c->in_callback) {
        c->free_pending = 1;
        return;
    }
    oai__client_destroy(c);
}

void oai__client_destroy(oai_client *c)
{
    oai__engine_free(c->engine); /* its transport lets go of the group first */
    oai__share_group_release(c->share_group);
    oai__free(c->api_key);
    oai__free(c->base_url);
    oai__free(c->organization);
    oai__free(c->project);
    oai__free(c->user_agent);
    oai__kvlist_free(&c->headers);
    oai__free(c->ca_file);
    oai__free(c->ca_blob);
    oai__free(c->proxy);
    oai__kvlist_free(&c->query);
    oai__free(c->azure_endpoint);
    oai__free(c->azure_deployment);
    oai__free(c->azure_api_version);
    oai__free(c->azure_ad_token);
    oai_client_set_webhook_secret(c, NULL); /* wipes it */
    oai__free(c->config_message);
    oai__free(c);
}

/* The headers every call sends changed: the engine formats them again for
 * the next call (calls already started keep theirs). */
static void headers_changed(oai_client *c)
{
    c->headers_version++;
}

/* Sets an optional header-like string: NULL or "" clears it. */
static oai_status set_header_string(oai_client *c, char **slot, const char *value)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    if (value && !oai__header_value_ok(value))
        return OAI_ERR_INVALID_ARGUMENT;
    headers_changed(c);
    return oai__set_str(slot, (value && *value) ? value : NULL);
}

OAI_API oai_status oai_client_set_api_key(oai_client *c, const char *api_key)
{
    return set_header_string(c, c ? &c->api_key : NULL, api_key);
}

OAI_API oai_status oai_client_set_organization(oai_client *c, const char *organization)
{
    return set_header_string(c, c ? &c->organization : NULL, organization);
}

OAI_API oai_status oai_client_set_project(oai_client *c, const char *project)
{
    return set_header_string(c, c ? &c->project : NULL, project);
}

OAI_API oai_status oai_client_set_user_agent(oai_client *c, const char *user_agent)
{
    return set_header_string(c, c ? &c->user_agent : NULL, user_agent);
}

OAI_API oai_status oai_client_set_base_url(oai_client *c, const char *base_url)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    char *text = oai__strdup(base_url ? base_url : "");
    if (!text)
        return OAI_ERR_OUT_OF_MEMORY;
    oai__trim(text);
    char *url = NULL;
    oai_status st = *text ? oai__url_parse_base(text, &url, NULL) : OAI_OK;
    oai__free(text);
    /* Blank: the default; an Azure client's has none (its endpoint gives it). */
    if (st == OAI_OK && !url && !c->azure && !(url = oai__strdup(OAI_DEFAULT_BASE_URL)))
        st = OAI_ERR_OUT_OF_MEMORY;
    if (st != OAI_OK)
        return st;
    oai__free(c->base_url);
    c->base_url = url;
    oai__free(c->azure_endpoint); /* the base URL wins over an earlier endpoint */
    c->azure_endpoint = NULL;
    /* The only configuration error is a refused OPENAI_BASE_URL. */
    oai__free(c->config_message);
    c->config_message = NULL;
    c->config_status = OAI_OK;
    return OAI_OK;
}

OAI_API const char *oai_client_base_url(const oai_client *c)
{
    return c ? c->base_url : NULL;
}

OAI_API oai_status oai_client_status(const oai_client *c)
{
    return c ? c->config_status : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_client_error_message(const oai_client *c)
{
    if (!c)
        return oai_status_message(OAI_ERR_INVALID_ARGUMENT);
    return c->config_status == OAI_OK ? NULL : c->config_message;
}

OAI_API oai_status oai_client_set_header(oai_client *c, const char *name, const char *value)
{
    if (!c || !oai__header_name_ok(name) || (value && !oai__header_value_ok(value)))
        return OAI_ERR_INVALID_ARGUMENT;
    headers_changed(c);
    return oai__kvlist_set(&c->headers, name, value);
}

OAI_API oai_status oai_client_set_platform_headers(oai_client *c, int enabled)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    c->platform_headers = enabled != 0;
    headers_changed(c);
    return OAI_OK;
}

static oai_status set_ms(oai_client *c, int64_t *slot, int64_t ms)
{
    if (!c || ms < 0)
        return OAI_ERR_INVALID_ARGUMENT;
    *slot = ms;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_timeout_ms(oai_client *c, int64_t ms)
{
    return set_ms(c, c ? &c->timeout_ms : NULL, ms);
}

OAI_API oai_status oai_client_set_connect_timeout_ms(oai_client *c, int64_t ms)
{
    return set_ms(c, c ? &c->connect_timeout_ms : NULL, ms);
}

OAI_API oai_status oai_client_set_idle_timeout_ms(oai_client *c, int64_t ms)
{
    return set_ms(c, c ? &c->idle_timeout_ms : NULL, ms);
}

OAI_API oai_status oai_client_set_first_byte_timeout_ms(oai_client *c, int64_t ms)
{
    return set_ms(c, c ? &c->first_byte_timeout_ms : NULL, ms);
}

OAI_API oai_status oai_client_set_max_retries(oai_client *c, int max_retries)
{
    if (!c || max_retries < 0 || max_retries > 100)
        return OAI_ERR_INVALID_ARGUMENT;
    c->retry.max_retries = max_retries;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_retry_backoff_ms(oai_client *c, int64_t base_ms, int64_t max_ms)
{
    if (!c || base_ms < 0 || max_ms < base_ms)
        return OAI_ERR_INVALID_ARGUMENT;
    c->retry.base_ms = base_ms;
    c->retry.max_ms = max_ms;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_retry_after_cap_ms(oai_client *c, int64_t cap_ms)
{
    return set_ms(c, c ? &c->retry.cap_ms : NULL, cap_ms);
}

OAI_API oai_status oai_client_set_retry_callback(oai_client *c, oai_retry_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    c->retry_fn = fn;
    c->retry_ud = fn ? userdata : NULL;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_ca_file(oai_client *c, const char *path)
{
    if (!c || (path && !*path))
        return OAI_ERR_INVALID_ARGUMENT;
    return oai__set_str(&c->ca_file, path);
}

OAI_API oai_status oai_client_set_ca_blob(oai_client *c, const void *pem, size_t len)
{
    if (!c || (pem && !len))
        return OAI_ERR_INVALID_ARGUMENT;
    void *copy = NULL;
    if (pem) {
        if (!(copy = oai__malloc(len)))
            return OAI_ERR_OUT_OF_MEMORY;
        memcpy(copy, pem, len);
    }
    oai__free(c->ca_blob);
    c->ca_blob = copy;
    c->ca_blob_len = pem ? len : 0;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_proxy(oai_client *c, const char *proxy_url)
{
    if (!c || (proxy_url && !oai__header_value_ok(proxy_url)))
        return OAI_ERR_INVALID_ARGUMENT;
    return oai__set_str(&c->proxy, proxy_url);
}

/* The first HTTPS connection's one-time work, ahead of time: the transport
 * does it (transport/curl.c: the shared CA store and a pooled connection),
 * for the server of the base URL with the client's CA, proxy and connect
 * timeout. */
OAI_API oai_status oai_client_warm_up(oai_client *c, int flags)
{
    if (!c || (flags & ~(OAI_WARM_UP_CA | OAI_WARM_UP_CONNECT)) || c->in_callback)
        return OAI_ERR_INVALID_ARGUMENT;
    if (c->config_status != OAI_OK)
        return c->config_status;
    if (!c->base_url || oai__strncasecmp_ascii(c->base_url, "https://", 8) != 0)
        return OAI_OK;
    oai_status st;
    oai_transport *t = oai__engine_transport(c->engine, &st);
    if (!t)
        return st;
    if (!t->warm_up)
        return OAI_OK; /* a host transport: TLS is the host's */
    const char *name = "User-Agent";
    const char *agent = c->user_agent ? c->user_agent : "oai/C " OAI_VERSION_STRING;
    oai__exchange_spec spec = {
        .method = "HEAD",
        .url = c->base_url,
        .header_names = &name,
        .header_values = &agent,
        .header_count = 1,
        .connect_timeout_ms = c->connect_timeout_ms,
        .proxy = c->proxy,
        .ca_file = c->ca_file,
        .ca_blob = c->ca_blob,
        .ca_blob_len = c->ca_blob_len,
    };
    char message[256] = "";
    int64_t started = oai__now_us();
    st = t->warm_up(t->ud, &spec, flags ? flags : OAI_WARM_UP_CA, message, sizeof message);
    if (st != OAI_OK)
        oai__log(c, OAI_LOG_WARN, "warm-up failed (%s): %s", oai_status_name(st), message);
    else
        oai__log(c, OAI_LOG_DEBUG, "warm-up done in %lld ms", (long long)((oai__now_us() - started) / 1000));
    return st;
}

OAI_API oai_status oai_client_set_max_response_bytes(oai_client *c, int64_t max_bytes)
{
    return set_ms(c, c ? &c->max_response_bytes : NULL, max_bytes);
}

OAI_API oai_status oai_client_set_log_level(oai_client *c, int level)
{
    if (!c || level < OAI_LOG_OFF || level > OAI_LOG_DEBUG)
        return OAI_ERR_INVALID_ARGUMENT;
    c->log_level = level;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_log_callback2(oai_client *c, oai_log_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    c->log_fn = fn;
    c->log_ud = fn ? userdata : NULL;
    return OAI_OK;
}

int oai__log_enabled(const oai_client *c, int level)
{
    return c && level > OAI_LOG_OFF && level <= c->log_level;
}

void oai__log(const oai_client *c, int level, const char *fmt, ...)
{
    if (!oai__log_enabled(c, level))
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (c->log_fn) {
        oai_client *mut = (oai_client *)c; /* the guard is not logical state */
        mut->in_callback++;
        c->log_fn(c->log_ud, level, line);
        mut->in_callback--;
    } else {
        static const char *const names[] = {"", "error", "warn", "info", "debug"};
        fprintf(stderr, "oai %s: %s\n", names[level], line);
    }
}

/* ---- client-wide defaults and copies ------------------------------------------ */

OAI_API oai_status oai_client_set_query(oai_client *c, const char *name, const char *value)
{
    if (!c || !name || !*name)
        return OAI_ERR_INVALID_ARGUMENT;
    if (!value) {
        oai__kvlist_remove(&c->query, name);
        return OAI_OK;
    }
    return oai__kvlist_set(&c->query, name, value);
}

OAI_API const char *oai_client_query(const oai_client *c, const char *name)
{
    const oai__kv *kv = (c && name) ? oai__kvlist_find(&c->query, name) : NULL;
    return kv ? kv->value : NULL;
}

OAI_API oai_status oai_client_set_token_callback(oai_client *c, oai_token_fn fn, void *userdata)
{
    if (!c)
        return OAI_ERR_INVALID_ARGUMENT;
    c->token_fn = fn;
    c->token_ud = fn ? userdata : NULL;
    headers_changed(c); /* the API key is no longer sent, or is again */
    return OAI_OK;
}

/* Everything a setter put in the client (a new option's field belongs
 * here too); not the engine's (transport, clock, event loop, budget). */
static oai_status copy_options(oai_client *d, const oai_client *c)
{
    d->config_status = c->config_status;
    d->platform_headers = c->platform_headers;
    d->timeout_ms = c->timeout_ms;
    d->connect_timeout_ms = c->connect_timeout_ms;
    d->idle_timeout_ms = c->idle_timeout_ms;
    d->first_byte_timeout_ms = c->first_byte_timeout_ms;
    d->retry = c->retry;
    d->retry_fn = c->retry_fn;
    d->retry_ud = c->retry_ud;
    d->max_response_bytes = c->max_response_bytes;
    d->log_level = c->log_level;
    d->log_fn = c->log_fn;
    d->log_ud = c->log_ud;
    d->token_fn = c->token_fn;
    d->token_ud = c->token_ud;
    oai__kvlist_free(&d->headers);
    oai__kvlist_free(&d->query);
    d->headers.ignore_case = 1;
    if (oai__set_str(&d->config_message, c->config_message) != OAI_OK || oai__set_str(&d->api_key, c->api_key) != OAI_OK ||
        oai__set_str(&d->base_url, c->base_url) != OAI_OK || oai__set_str(&d->organization, c->organization) != OAI_OK ||
        oai__set_str(&d->project, c->project) != OAI_OK || oai__set_str(&d->user_agent, c->user_agent) != OAI_OK ||
        oai__set_str(&d->ca_file, c->ca_file) != OAI_OK || oai__set_str(&d->proxy, c->proxy) != OAI_OK ||
        oai__set_str(&d->webhook_secret, c->webhook_secret) != OAI_OK ||
        oai__set_str(&d->azure_endpoint, c->azure_endpoint) != OAI_OK ||
        oai__set_str(&d->azure_deployment, c->azure_deployment) != OAI_OK ||
        oai__set_str(&d->azure_api_version, c->azure_api_version) != OAI_OK ||
        oai__set_str(&d->azure_ad_token, c->azure_ad_token) != OAI_OK ||
        oai__kvlist_copy(&d->headers, &c->headers) != OAI_OK || oai__kvlist_copy(&d->query, &c->query) != OAI_OK ||
        oai_client_set_ca_blob(d, c->ca_blob, c->ca_blob_len) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    headers_changed(d);
    return OAI_OK;
}

OAI_API oai_client *oai_client_clone(const oai_client *c)
{
    if (!c)
        return NULL;
    /* A fresh client of the same kind (its engine, defaults), without the
     * environment: the original's options replace everything it read. */
    oai_client *d = oai__calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->azure = c->azure;
    d->headers.ignore_case = 1;
    d->engine = oai__engine_new(d);
    /* The source's share group: its built-in transport, made already or
     * not, and the clone's share DNS answers and TLS sessions. */
    d->share_group = oai__share_group_ref(c->share_group);
    if (!d->engine || copy_options(d, c) != OAI_OK) {
        oai_client_free(d);
        return NULL;
    }
    return d;
}
