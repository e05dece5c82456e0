/* The core objects' layouts, shared by client.c, request.c, response.c,
 * engine.c and the endpoint helpers. Nothing outside src/ sees them. */
#ifndef OAI_CORE_H
#define OAI_CORE_H

#include "http/headers.h"
#include "http/multipart.h"
#include "util/util.h"
#include "retry.h"
#include "transport/transport.h"

#include <stdio.h>

/* One multipart part as the caller described it (strings owned). */
typedef struct oai__req_part {
    int kind;            /* an oai__part_kind */
    char *name;
    char *value;         /* FIELD */
    void *data;          /* DATA */
    size_t len;
    char *path;          /* FILE */
    int64_t offset;
    int64_t length;      /* < 0: to the end */
    char *filename;
    char *mime_type;
} oai__req_part;

struct oai_request {
    char *method;
    char *path;
    int names_inline;            /* method and path are in the request's own block */
    oai_value *body;             /* JSON body, or NULL */
    oai__kvlist query;            /* exact names */
    oai__kvlist headers;          /* names ignoring case; NULL value removes */
    int64_t timeout_ms;          /* < 0: the client's */
    int64_t idle_timeout_ms;
    int64_t first_byte_timeout_ms;
    int max_retries;             /* < 0: the client's */
    char *idempotency_key;       /* NULL: none; "": generate per call */
    char *output_file;
    oai_progress_fn progress_fn;
    void *progress_ud;
    oai_data_fn data_fn;         /* 2xx body bytes go here instead of memory */
    void *data_ud;
    int raw_response;            /* the 2xx body is bytes, not JSON */
    oai__req_part *parts;
    size_t part_count;
    oai_event_fn event_fn;
    void *event_ud;
    int stream_pull;             /* streams with no event callback: events queue */
    int accumulate;
    /* A failed request (its constructor's bad argument or unreadable file):
     * no method, no path; setters return the status, sending reports it. */
    oai_status status;
    char *error_message;
};

struct oai_client {
    oai_status config_status;    /* a refused environment value: calls fail */
    char *config_message;
    char *api_key;
    char *base_url;
    char *organization;
    char *project;
    char *user_agent;
    oai__kvlist headers;          /* default headers; NULL value removes */
    int platform_headers;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    int64_t idle_timeout_ms;
    int64_t first_byte_timeout_ms;
    oai__retry_policy retry;
    oai_retry_fn retry_fn;
    void *retry_ud;
    char *ca_file;
    void *ca_blob;
    size_t ca_blob_len;
    char *proxy;                 /* NULL: environment */
    int64_t max_response_bytes;
    int log_level;
    oai_log_fn log_fn;
    void *log_ud;
    unsigned headers_version;    /* bumped by every setter that changes the
                                    headers a call sends (engine.c caches them) */
    /* Client-wide defaults and Azure OpenAI (client.c, azure.c). */
    oai__kvlist query;           /* default query parameters (exact names) */
    oai_token_fn token_fn;       /* oai_client_set_token_callback() */
    void *token_ud;
    int azure;                   /* made by oai_client_azure_new() */
    char *azure_endpoint;        /* NULL: none (or the base URL was set) */
    char *azure_deployment;      /* NULL: the request's model */
    char *azure_api_version;     /* NULL: none */
    char *azure_ad_token;        /* a fixed Entra ID token, or NULL */
    char *webhook_secret;        /* oai_client_set_webhook_secret() (webhooks/webhook.c) */
    struct oai__engine *engine;  /* calls, transport, clock (engine.c) */
    oai__share_group *share_group; /* a reference: shared with its clones and
                                    handed to the built-in transport */
    int in_callback;             /* inside a user callback: no send/poll, free deferred */
    int free_pending;            /* oai_client_free() was called from a callback */
};

struct oai_response {
    oai_status status;
    int http_status;
    oai__kvlist headers;          /* as received, duplicates kept */
    oai__buf body;
    /* The parsed body. A 2xx JSON body is only validated when it arrives
     * (tree_pending): its tree is built by the first accessor that needs
     * it (response.c: response_tree()), and oai_response_text() reads the
     * generated text from the spans found while validating. Read it with
     * oai_response_json(), never directly. */
    oai_value *tree;
    int tree_pending;
    struct oai__text_span {
        int found;                /* an OAI_JSON_WATCH_ value (json.h) */
        size_t at, len;           /* in the body, still escaped */
    } chat_content, legacy_text; /* /choices/0/message/content, /choices/0/text */
    char *error_message;
    char *error_type;
    char *error_code;
    char *error_param;
    int retries;
    int64_t retry_after_ms;
    int64_t total_us;
    int64_t first_byte_us;
    /* Caches of accessor results, freed with the response. */
    char *text;
    int text_done;
    struct json_text_cache *dumps; /* oai_response_get_json_text(): one text per value */
    size_t dump_count;
    size_t dump_cap;
    double **embeddings;         /* indexed by data[] position */
    size_t *embedding_dims;
    size_t embedding_slots;
};

/* client.c */
/* Frees the client at once (oai_client_free() defers it inside callbacks). */
void oai__client_destroy(oai_client *c);
/* Records a configuration error ("WHAT: WHY"): every call on the client
 * fails with it until a setter clears it. OAI_OK or OAI_ERR_OUT_OF_MEMORY. */
oai_status oai__client_config_error(oai_client *c, oai_status status, const char *what, const char *why);
/* azure.c: the Azure client's variables (oai_client_azure_new()). */
oai_status oai__azure_apply_environment(oai_client *c);
void oai__log(const oai_client *c, int level, const char *fmt, ...) OAI_PRINTF(3, 4);
int oai__log_enabled(const oai_client *c, int level);

/* azure.c: what a call of the client sends, beyond the engine's defaults. */
/* The full URL of a request: its path under the client's base URL (for an
 * Azure deployments client, under /deployments/{deployment} when the path
 * is deployment-scoped), then the client's default query (Azure's
 * api-version last), then the request's query, which wins over a default
 * of the same name. On failure *message may get a static reason. */
oai_status oai__client_url(const oai_client *c, const oai_request *r, char **url, const char **message);
/* 1 when oai__client_url() may give two requests with the same path and
 * no query different URLs, or differs from oai__url_build() (the engine's
 * URL cache is then not used). */
int oai__client_url_custom(const oai_client *c);
/* The client's own credential header, fixed for its options: ("api-key",
 * KEY) for Azure, ("Authorization", "Bearer ...") otherwise; *name is NULL
 * when there is none (none set, or a token callback supplies it per
 * attempt). *value is filled in (the caller frees it). */
oai_status oai__client_auth_header(const oai_client *c, const char **name, oai__buf *value);
/* Asks the token callback (when the client uses one) for this attempt's
 * token: *authorization gets "Bearer TOKEN" (owned; NULL when the client
 * has no callback). A failure carries the callback's status, or
 * OAI_ERR_AUTHENTICATION for no usable token, with a static message. */
oai_status oai__client_fetch_token(oai_client *c, char **authorization, const char **message);

/* request.c */
/* A failed request carrying status and a message (printf format). NULL
 * when memory ran out, or when status is OAI_ERR_OUT_OF_MEMORY. */
oai_request *oai__request_failed(oai_status status, const char *fmt, ...) OAI_PRINTF(2, 3);
/* What a constructor that built r step by step returns when step `st`
 * failed: r unchanged for OAI_OK; NULL (r freed) for OAI_ERR_OUT_OF_MEMORY;
 * else a failed request (r freed) whose message is "FUNCTION: WHAT". */
oai_request *oai__request_check(oai_request *r, oai_status st, const char *function, const char *what);
/* The sticky status of a failed request (OAI_OK otherwise); *message gets
 * its message. engine.c calls it before anything else of a call. */
oai_status oai__request_failure(const oai_request *r, const char **message);
/* A path's stream kind from its endpoint (OAI_STREAM_CHAT, ...). */
int oai__request_stream_kind(const oai_request *req);
/* What a started call keeps of its request, so that the caller may change
 * or free it at once (engine.c): one block holding the method, the path,
 * the headers, the output file, the parts (with their bytes) and the
 * callbacks and options. No body (the call serialises it at its start), no
 * query (it is in the call's URL). Freed with oai__free(), never with
 * oai_request_free(). NULL when memory ran out. */
oai_request *oai__request_snapshot(const oai_request *req);

/* response.c */
oai_response *oai__response_new(void);
/* A new response that carries only a local failure (NULL when memory ran
 * out). */
oai_response *oai__response_new_failed(oai_status status, const char *message);
/* Records an error on the response: status and a message (copied). */
void oai__response_fail(oai_response *res, oai_status status, const char *message);
/* Sets the status from the HTTP status and parses the body: a non-2xx API
 * error body, or a 2xx body that must be JSON when expect_json is set (it
 * is 0 for raw responses: a body that went to a file or a callback, or
 * was asked for as bytes). An empty 2xx body is accepted when empty_ok is
 * set (204, 205, HEAD); otherwise a 2xx body that is not JSON is
 * OAI_ERR_PROTOCOL. */
void oai__response_finish_body(oai_response *res, int expect_json, int empty_ok);
/* Sets the error fields from an error object ({"message","type","code","param"}). */
void oai__response_set_api_error(oai_response *res, const oai_value *err);
/* Takes over a JSON value as the response's document. */
void oai__response_set_json(oai_response *res, oai_value *json);
/* Gives `to` (a copy of `from` with the same body bytes) the same
 * document: the same tree (shared), or the same tree still to be built. */
void oai__response_share_json(oai_response *to, const oai_response *from);
/* Builds the document's tree now if it waits to be built: OAI_OK, or
 * OAI_ERR_OUT_OF_MEMORY (the response is left as it was). */
oai_status oai__response_build_tree(oai_response *res);

/* engine.c: workflows, calls whose work is other calls (src/workflows/).
 * The engine steps a workflow at every poll (and when it asked to be woken);
 * its step function looks at its own calls (started with
 * oai__workflow_child(), owned and freed by the workflow), hands out events
 * with oai__call_emit(), and ends with oai__call_end(). The state is freed
 * with the call (its free function frees, and so cancels, its calls). */
typedef struct oai__workflow_ops {
    /* Returns when it wants to be stepped again on the engine's clock
     * (INT64_MAX: only when something moves; 0: at once). */
    int64_t (*step)(oai_call *call, void *state, int64_t now);
    void (*free)(void *state);
} oai__workflow_ops;

/* Starts a workflow call; NULL when memory ran out (the state is freed).
 * Events go to event_fn, or with NULL to the call's pull queue. */
oai_call *oai__workflow_start(oai_client *c, const oai__workflow_ops *ops, void *state, oai_done_fn fn, void *ud,
                              oai_event_fn event_fn, void *event_ud);
/* Starts one of the workflow's own calls (no done callback: the workflow
 * takes its response); NULL when memory ran out. */
oai_call *oai__workflow_child(oai_call *workflow, const oai_request *req);
/* Hands out an event (OAI_EVENT_ITEM, OAI_EVENT_PROGRESS) with this JSON;
 * non-zero when the caller's callback asked to stop (the workflow then ends
 * cancelled). */
int oai__call_emit(oai_call *call, int type, const oai_value *json);
/* The same with an event of another call (a workflow's own streamed call,
 * taken from its queue or handed to its callback), passed on as it is;
 * with ev NULL, oai__call_emit(). */
int oai__call_emit_event(oai_call *call, const oai_event *ev, int type, const oai_value *json);
/* Ends the workflow with its response (taken; NULL: out of memory). */
void oai__call_end(oai_call *call, oai_response *res);
/* Non-zero when the workflow's pull queue is full (the host has not taken
 * its events): the workflow hands out no more and waits; the engine wakes
 * it once the host has taken half. Always 0 with an event callback. */
int oai__call_queue_full(oai_call *call);
/* Non-zero when this poll's budget (oai_client_set_poll_budget_us()) is
 * spent: a workflow leaves the rest of its work for the next poll. */
int oai__call_over_budget(const oai_call *call);
int oai__call_cancelled(const oai_call *call);
int64_t oai__call_now(const oai_call *call);
oai_client *oai__call_client(const oai_call *call);
/* The state of a running workflow started with these ops (so a public
 * function given an oai_call can reach its own workflow: the tool loop's
 * oai_call_answer_tool()); NULL for another call, a NULL one, or once it
 * ended or was freed by its caller. */
void *oai__workflow_state(const oai_call *call, const oai__workflow_ops *ops);
/* The blocking form of a call with no done callback: waits for it, hands
 * over its response and frees the call. */
oai_response *oai__call_wait(oai_call *call);

/* engine.c: the engine behind a client (its calls, transport and clock). */
typedef struct oai__engine oai__engine;
oai__engine *oai__engine_new(oai_client *c); /* NULL when memory ran out */
/* Ends every call without callbacks (the client is being freed), deletes
 * the host's timer in event-loop mode, and frees the transport. */
void oai__engine_free(oai__engine *e);
/* The client's transport, the built-in one made if it has none yet; NULL
 * with *status set when none can be made. */
oai_transport *oai__engine_transport(oai__engine *e, oai_status *status);
/* For the tests: how many times the engine has looked at one of its calls
 * while it processed a poll (a step, a timer, a slice, a pause check, a
 * hand-back), since the client was made. A poll's share grows with the
 * calls that had something to do, not with the calls in flight. */
unsigned long oai__engine_visits(const oai_client *c);

#endif
