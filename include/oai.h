/*
 * oai — an embeddable C client for the OpenAI API and OpenAI-compatible
 * servers. This is the library's one public header.
 *
 * SPDX-License-Identifier: MIT
 */
/**
 * @file oai.h
 * @brief The public API of liboai.
 *
 * Conventions that hold for every function below, so each doc comment only
 * states what differs:
 *
 * - **Handles** are opaque. Every `*_new()` has a `*_free()`, and `*_free(NULL)`
 *   does nothing.
 * - **Strings passed in** are UTF-8 and are copied: the caller may free them as
 *   soon as the call returns.
 * - **Strings returned** by accessors are borrowed from the object they came
 *   from and live until that object is freed (or, for a request, until it is
 *   changed). Functions named `*_dup` return memory the caller frees with
 *   oai_free().
 * - **Accessors are NULL-safe**: given a NULL handle or a missing field they
 *   return a safe default (NULL, 0, 0.0) and never crash, so a language binding
 *   can chain calls.
 * - **Threading**: the library owns no threads. A handle may be used from any
 *   thread, but from one thread at a time; distinct clients are independent.
 *   Every callback runs on the thread that called into the library, inside that
 *   call. Only oai_client_wakeup() may be called from another thread while a
 *   client is in use.
 *
 * **Errors: one rule.** Every function that can fail tells the caller why.
 * - A function that acts returns an ::oai_status (::OAI_OK is 0).
 * - A function that sends returns an ::oai_response carrying the status and
 *   a message (oai_response_status(), oai_response_error_message()); NULL
 *   only when memory ran out.
 * - A constructor (`*_new`) returns its object, and NULL only when memory ran
 *   out. An object made from bad arguments or an unreadable file is returned
 *   all the same, carrying a *sticky* status and message,
 *   `oai_<noun>_status()` and `oai_<noun>_error_message()`, that every later
 *   use reports: its functions that return an ::oai_status return that
 *   status and change nothing, and a failed request sent (or a pager,
 *   upload or reader made from a failed request or file) ends with a
 *   response or status carrying it. Nothing is sent or written on its
 *   behalf. Check the status right after construction, or let the first use
 *   report it; free the object either way.
 * - A NULL handle is a mistake of the caller's, not an error state: a
 *   function given one does nothing and returns ::OAI_ERR_INVALID_ARGUMENT or
 *   its safe default.
 *
 * **Names: one grammar** (tests/header/check_grammar.pl checks every
 * declaration against it).
 * - `oai_<noun>_<verb>`: the noun is the handle the function acts on, and its
 *   first parameter (`oai_client_send(client, req)`). Nouns: client,
 *   request, response, value, call, event, sse, stream, large_upload, pager,
 *   training_report, batch_writer, batch_reader, transport, exchange,
 *   webhook, tokenizer, and
 *   status for ::oai_status. Library-wide functions have no noun:
 *   oai_version(), oai_version_check(), oai_free(), oai_set_allocator().
 * - Constructors are `oai_<noun>_new` (a variant: `oai_<noun>_<variant>_new`)
 *   and take any arguments; destructors are `oai_<noun>_free`. `_clone`
 *   returns a deep copy of a handle (freed with its `_free`); `_dup` returns
 *   memory the caller frees with oai_free().
 * - Endpoint helpers are constructors of requests named after the API's
 *   resource, always singular, and action:
 *   `oai_<resource>_<action>_request_new` (oai_file_list_request_new(),
 *   oai_chat_completion_create_request_new()). Functions that only make sense
 *   on one kind of request name it: oai_chat_request_add_message().
 * - A plain accessor is named after what it returns, without `get_`
 *   (oai_response_status()); `get_` means "by JSON Pointer"
 *   (oai_response_get_string(res, "/id")), and so does `set_` when a pointer
 *   is its second parameter. `json` is a parsed ::oai_value
 *   (oai_response_json()); `_json_text` is borrowed JSON text, `_json_dup`
 *   owned JSON text; oai_request_set_json() parses the text it is given.
 * - Options are `set_<option>`; `set_<event>_callback(obj, fn, userdata)`
 *   registers a callback (NULL clears it).
 * - Counts end in `_count`. An indexed family is `<item>_count(obj)` with
 *   `<item>_<field>(obj, index)` (oai_response_header_count(),
 *   oai_response_header_name()); the items of a JSON value are
 *   oai_value_count(), oai_value_item() and oai_value_key().
 * - Predicates return 1 or 0 and are `is_<adjective>` (or `has_`/`wants_`).
 * - `_len` is a length in bytes; `_ms` and `_us` are milli- and microseconds.
 *   `_of` is added only where the plain name is a type's
 *   (oai_value_type_of()).
 * - A workflow (work of several requests: paging, a large upload, following
 *   a job, waiting for a batch) starts with `start` and returns an
 *   ::oai_call like oai_client_start(): `oai_<noun>_start` on its handle
 *   (oai_pager_start(), oai_large_upload_start()), or, when it has none,
 *   `oai_client_start_<verb>_<what>` after its blocking form
 *   (oai_client_start_follow_fine_tuning_job() for
 *   oai_client_follow_fine_tuning_job(), oai_client_start_wait_for_batch()
 *   for oai_client_wait_for_batch()). Its events are its items and
 *   progress, its response its result; the blocking form is the same
 *   workflow plus a wait.
 * - A released signature never changes: a replacement takes the same name
 *   with a version digit (oai_client_set_log_callback2()).
 *
 * **Types.** ::oai_status is passed as its enumeration type; every other
 * enumeration (log levels, kinds, formats, event bits) crosses as `int`.
 * Durations are `int64_t` (the one exception: the wait of oai_client_poll()
 * is an `int`, as poll(2)'s is). Sizes of files and bodies and byte limits
 * are `int64_t` (one 0.1 signature predates the rule and keeps its
 * `size_t`: oai_sse_set_max_event_size()); lengths of memory and the
 * indices of a handle's items are `size_t`.
 *
 * **Deprecated names.** The spellings this grammar replaced stay exported
 * and behave as before; they are declared at the end of this file with
 * ::OAI_DEPRECATED, so that compilers name the replacement. Define
 * `OAI_NO_DEPRECATED_WARNINGS` before including this header to silence
 * those warnings.
 */
#ifndef OAI_H
#define OAI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Version
 *  The version lives here and only here; CMake reads it from these macros.
 *  @{ */
#define OAI_VERSION_MAJOR 0 /**< Major version: changes when the ABI breaks. */
#define OAI_VERSION_MINOR 1 /**< Minor version: new functions, same ABI. */
#define OAI_VERSION_PATCH 0 /**< Patch version: fixes only. */
/** The version as a string, "MAJOR.MINOR.PATCH". */
#define OAI_VERSION_STRING "0.1.0"
/** The version as one comparable number: 0xMMmmpp. */
#define OAI_VERSION_NUM                                                        \
    ((OAI_VERSION_MAJOR << 16) | (OAI_VERSION_MINOR << 8) | OAI_VERSION_PATCH)
/** @} */

/** Marks an exported symbol. The library is built with hidden visibility, so
 *  only what carries this macro is visible to a program that links it. */
#if defined(_WIN32) && defined(OAI_BUILDING_SHARED)
#define OAI_API __declspec(dllexport)
#elif defined(_WIN32) && defined(OAI_USING_SHARED)
#define OAI_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define OAI_API __attribute__((visibility("default")))
#else
#define OAI_API
#endif

/** Marks a deprecated function: a call to it makes the compiler warn with
 *  @p msg, which names the replacement. Deprecated functions stay exported
 *  and keep working. Define `OAI_NO_DEPRECATED_WARNINGS` before including
 *  this header to turn the warnings off. */
#if defined(OAI_NO_DEPRECATED_WARNINGS)
#define OAI_DEPRECATED(msg)
#elif defined(_MSC_VER)
#define OAI_DEPRECATED(msg) __declspec(deprecated(msg))
#elif defined(__clang__) || (defined(__GNUC__) && (__GNUC__ > 4 || (__GNUC__ == 4 && __GNUC_MINOR__ >= 5)))
#define OAI_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(__GNUC__)
#define OAI_DEPRECATED(msg) __attribute__((deprecated))
#else
#define OAI_DEPRECATED(msg)
#endif

/* ------------------------------------------------------------------------ */
/** @name Statuses
 *  @{ */

/**
 * The outcome of a call. 0 is success; every other value is an error class.
 * The numeric values are part of the ABI and never change.
 */
typedef enum oai_status {
    OAI_OK = 0,                     /**< Success. */
    OAI_ERR_INVALID_ARGUMENT = 1,   /**< A parameter was NULL, malformed or out of range. */
    OAI_ERR_OUT_OF_MEMORY = 2,      /**< An allocation failed. */
    OAI_ERR_IO = 3,                 /**< A local file could not be read or written. */
    OAI_ERR_CONNECTION = 4,         /**< The server could not be reached, or the connection broke. */
    OAI_ERR_TIMEOUT = 5,            /**< A connect, request, first-byte or idle timeout expired. */
    OAI_ERR_TLS = 6,                /**< The TLS handshake or certificate verification failed. */
    OAI_ERR_PROTOCOL = 7,           /**< The server's answer was malformed (bad JSON, bad stream). */
    OAI_ERR_CANCELLED = 8,          /**< The caller cancelled the call (a callback returned non-zero). */
    OAI_ERR_TOO_LARGE = 9,          /**< The response exceeded the configured maximum size. */
    OAI_ERR_BAD_REQUEST = 10,       /**< HTTP 400. */
    OAI_ERR_AUTHENTICATION = 11,    /**< HTTP 401. */
    OAI_ERR_PERMISSION_DENIED = 12, /**< HTTP 403. */
    OAI_ERR_NOT_FOUND = 13,         /**< HTTP 404. */
    OAI_ERR_CONFLICT = 14,          /**< HTTP 409. */
    OAI_ERR_UNPROCESSABLE = 15,     /**< HTTP 422. */
    OAI_ERR_RATE_LIMIT = 16,        /**< HTTP 429. */
    OAI_ERR_SERVER = 17,            /**< HTTP 500 and above. */
    OAI_ERR_API = 18,               /**< Any other non-2xx HTTP status, or an error event in a stream. */
    OAI_ERR_TYPE = 19,              /**< A JSON value had another type than the one asked for. */
    OAI_ERR_INVALID_DATA = 20       /**< Local data (e.g. a training file, a webhook delivery) failed validation. */
} oai_status;

/**
 * The status's constant name, e.g. "OAI_ERR_RATE_LIMIT".
 * @return a static string; "OAI_ERR_UNKNOWN" for a value not in ::oai_status.
 */
OAI_API const char *oai_status_name(oai_status status);

/**
 * A one-line English description of the status, e.g. "rate limit exceeded".
 * @return a static string, never NULL.
 */
OAI_API const char *oai_status_message(oai_status status);

/**
 * The library's version at run time, e.g. "0.1.0" (compare with
 * ::OAI_VERSION_STRING to detect a header/library mismatch).
 * @return a static string.
 */
OAI_API const char *oai_version(void);

/**
 * Whether the library running is at least version MAJOR.MINOR.PATCH, e.g.
 * to check at start-up that the shared library found at run time has the
 * functions a program (or a language binding loading it) needs:
 * `if (!oai_version_check(0, 2, 0)) ...`. A program built against this
 * header can pass ::OAI_VERSION_MAJOR, ::OAI_VERSION_MINOR and
 * ::OAI_VERSION_PATCH.
 * @return 1 when the library's version is that version or a later one,
 *         else 0.
 */
OAI_API int oai_version_check(int major, int minor, int patch);

/** An allocation function of the host: @p size bytes (never 0), or NULL. */
typedef void *(*oai_malloc_fn)(void *userdata, size_t size);
/** A reallocation function of the host (@p ptr may be NULL; @p size never
 *  0), or NULL when it failed (the old block is then untouched). */
typedef void *(*oai_realloc_fn)(void *userdata, void *ptr, size_t size);
/** The host's free function (@p ptr never NULL). */
typedef void (*oai_free_fn)(void *userdata, void *ptr);

/**
 * Routes every allocation of the library, of jansson and of libcurl (and
 * of OpenSSL, when it has not allocated anything yet) through the host's
 * functions, as game engines require (Unreal's FMemory, a console's heaps).
 * Call it once, first, before any other function of the library allocates
 * (before oai_client_new() and any constructor), and before other threads
 * use the library. jansson's and libcurl's allocators are process-wide: a
 * program that uses them directly shares the hooks. The functions must be
 * thread-safe if clients live on several threads, and must not call back
 * into the library.
 * @param userdata passed to each function
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT when a function is NULL, an
 *         allocator was set already, or the library has already allocated.
 */
OAI_API oai_status oai_set_allocator(oai_malloc_fn malloc_fn, oai_realloc_fn realloc_fn, oai_free_fn free_fn,
                                     void *userdata);

/**
 * Frees memory the library returned from a `*_dup` function. NULL is a no-op.
 * Use this, not free(), so that a program built against another C runtime
 * frees with the allocator that allocated.
 */
OAI_API void oai_free(void *ptr);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Handles
 *  @{ */

/** A client: credentials, base URL, defaults and a connection pool. */
typedef struct oai_client oai_client;
/** A request: method, path, query, headers, a JSON (or multipart) body and
 *  per-request options. Reusable: it may be sent any number of times. */
typedef struct oai_request oai_request;
/** The outcome of one request: status, headers, body, parsed JSON, error. */
typedef struct oai_response oai_response;
/** A read-only view of a JSON value, borrowed from the response, event, stream
 *  or pager it came from. */
typedef struct oai_value oai_value;
/** An asynchronous call started with oai_client_start(). */
typedef struct oai_call oai_call;
/** One streamed event (a typed delta) passed to an ::oai_event_fn. */
typedef struct oai_event oai_event;
/** @} */

/* ------------------------------------------------------------------------ */
/** @name Logging
 *  @{ */

/** Log verbosity, from nothing to per-attempt detail. */
typedef enum oai_log_level {
    OAI_LOG_OFF = 0,   /**< Log nothing. */
    OAI_LOG_ERROR = 1, /**< Failed calls. */
    OAI_LOG_WARN = 2,  /**< Retries and recoverable problems. */
    OAI_LOG_INFO = 3,  /**< One line per completed call. */
    OAI_LOG_DEBUG = 4  /**< One line per attempt: method, URL, status, duration,
                            retry decision, request id (credentials redacted). */
} oai_log_level;

/**
 * Receives one log line (no trailing newline). Credentials are already
 * redacted. The message is valid only during the call.
 * @param userdata the pointer given to oai_client_set_log_callback2()
 * @param level an ::oai_log_level
 * @param message the line, UTF-8
 */
typedef void (*oai_log_fn)(void *userdata, int level, const char *message);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Client
 *  @{ */

/**
 * Creates a client configured from the environment:
 * `OPENAI_API_KEY`; `OPENAI_BASE_URL` (trimmed; unset or blank means
 * `https://api.openai.com/v1`); `OPENAI_ORG_ID`; `OPENAI_PROJECT_ID`;
 * `OPENAI_CUSTOM_HEADERS` (newline-separated `Name: value` lines);
 * `OPENAI_LOG` (`off`, `error`, `warn`, `info` or `debug`; logs go to stderr
 * unless a log callback is set). Setters called later override these.
 *
 * An `OPENAI_BASE_URL` that oai_client_set_base_url() would refuse never
 * falls back to the default server: the client is created with that error
 * as its status (oai_client_status(), oai_client_error_message(), naming
 * the variable), and every call on it fails with that status and message
 * without sending anything, until oai_client_set_base_url() succeeds.
 *
 * Defaults: 2 retries, request timeout 600 s, connect timeout 5 s, backoff
 * 0.5 s doubling to 8 s, retry-after cap 60 s, response limit 256 MiB.
 *
 * @return a new client owned by the caller (free with oai_client_free()), or
 *         NULL if memory ran out or the transport could not be initialised.
 */
OAI_API oai_client *oai_client_new(void);

/**
 * The client's configuration status: ::OAI_OK, or the error a refused
 * environment value left (::OAI_ERR_INVALID_ARGUMENT for an invalid
 * `OPENAI_BASE_URL`). While it is not ::OAI_OK every call on the client
 * fails with it. ::OAI_ERR_INVALID_ARGUMENT for a NULL client.
 */
OAI_API oai_status oai_client_status(const oai_client *client);

/**
 * A description of the client's configuration error (borrowed from the
 * client, e.g. "OPENAI_BASE_URL is not a valid http(s) URL: ..."), or NULL
 * when oai_client_status() is ::OAI_OK. Never contains credentials.
 */
OAI_API const char *oai_client_error_message(const oai_client *client);

/**
 * Frees a client, aborting its unfinished asynchronous calls (their callbacks
 * are not run) and closing its connections. NULL is a no-op. Called from
 * inside one of the client's callbacks, the free is deferred until the
 * library call that ran the callback returns (oai_client_poll() then
 * returns 0, oai_client_send() a response with ::OAI_ERR_CANCELLED); do not
 * use the client after calling it.
 */
OAI_API void oai_client_free(oai_client *client);

/**
 * Sets the API key sent as `Authorization: Bearer KEY` (by an Azure client,
 * oai_client_azure_new(), as `api-key: KEY`). NULL or "" sends no
 * Authorization header. The key is never logged.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (NULL client, CR/LF in the key),
 *         ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_api_key(oai_client *client, const char *api_key);

/**
 * Sets the base URL that request paths are appended to, e.g.
 * `http://127.0.0.1:8080/v1`. Surrounding white space and a trailing `/` are
 * removed. NULL or blank restores `https://api.openai.com/v1`. The URL is
 * parsed with libcurl's URL parser: it must be an absolute `http://` or
 * `https://` URL with a host and no fragment. A query is kept and merged
 * with each request's query, so
 * `https://x.openai.azure.com/openai/deployments/d?api-version=2024-10-21`
 * sends `.../deployments/d/chat/completions?api-version=2024-10-21`.
 * Success clears a configuration error of the client (oai_client_status()).
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (not an absolute http(s) URL,
 *         no host, a fragment, control characters or spaces),
 *         ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_base_url(oai_client *client, const char *base_url);

/**
 * The base URL in use (borrowed from the client). NULL for a NULL client.
 */
OAI_API const char *oai_client_base_url(const oai_client *client);

/**
 * Sets the `OpenAI-Organization` header; NULL or "" removes it.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_organization(oai_client *client, const char *organization);

/**
 * Sets the `OpenAI-Project` header; NULL or "" removes it.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_project(oai_client *client, const char *project);

/**
 * Adds or replaces a header sent with every request of this client. The name
 * is matched case-insensitively. A NULL value removes the header from every
 * request, including the headers the library adds itself (for example
 * `X-Stainless-OS`, which some proxies reject). Per-request headers win over
 * these.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (empty name, a name with ':' or
 *         white space, CR or LF in name or value), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_header(oai_client *client, const char *name, const char *value);

/**
 * Sets the User-Agent header (default `oai/C VERSION`). NULL restores the
 * default.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_user_agent(oai_client *client, const char *user_agent);

/**
 * Turns the `X-Stainless-*` platform headers (language, version, OS, arch,
 * retry count, timeout hint) on (non-zero, the default) or off.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL client).
 */
OAI_API oai_status oai_client_set_platform_headers(oai_client *client, int enabled);

/**
 * Sets the per-attempt timeout: the whole exchange, from connecting to the
 * last byte, must finish within it. 0 means none. Default 600000 ms.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (negative, NULL client).
 */
OAI_API oai_status oai_client_set_timeout_ms(oai_client *client, int64_t timeout_ms);

/**
 * Sets the connect timeout (TCP and TLS handshake). 0 means the
 * transport's default. Default 5000 ms.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_client_set_connect_timeout_ms(oai_client *client, int64_t timeout_ms);

/**
 * Sets how long a response may go without receiving any byte once the
 * request is sent (the stream idle timeout; it also bounds a stalled
 * non-streamed body). 0 (the default) means no idle limit beyond the request
 * timeout.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_client_set_idle_timeout_ms(oai_client *client, int64_t timeout_ms);

/**
 * Sets how long to wait, after the request is sent, for the first byte of the
 * response. 0 (the default) means no limit beyond the request timeout.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_client_set_first_byte_timeout_ms(oai_client *client, int64_t timeout_ms);

/**
 * Sets how many times a failed attempt is retried (default 2; 0 disables).
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (negative or above 100).
 */
OAI_API oai_status oai_client_set_max_retries(oai_client *client, int max_retries);

/**
 * Sets the exponential backoff: the n-th retry waits min(base·2^n, max),
 * scaled by a random factor in (0.75, 1]. Defaults 500 and 8000 ms.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (negative, or max < base).
 */
OAI_API oai_status oai_client_set_retry_backoff_ms(oai_client *client, int64_t base_ms, int64_t max_ms);

/**
 * Sets the largest server-requested delay (`retry-after-ms` / `retry-after`)
 * that is honoured. A longer requested delay is not retried: the response is
 * returned at once and oai_response_retry_after_ms() tells the caller how
 * long the server asked to wait. Default 60000 ms.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_client_set_retry_after_cap_ms(oai_client *client, int64_t cap_ms);

/**
 * Called before each retry, on the caller's thread, inside the call that
 * drives the request.
 * @param userdata the pointer given with the callback
 * @param retry the retry about to be made, 1 for the first
 * @param delay_ms how long the engine will wait before it
 * @param reason why the previous attempt failed (::oai_status)
 * @param http_status the previous attempt's HTTP status, 0 if none
 * @return 0 to retry; non-zero to give up and return the failed response now
 */
typedef int (*oai_retry_fn)(void *userdata, int retry, int64_t delay_ms, int reason, int http_status);

/**
 * Sets (or, with NULL, clears) the on-retry callback.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL client).
 */
OAI_API oai_status oai_client_set_retry_callback(oai_client *client, oai_retry_fn fn, void *userdata);

/**
 * Uses the PEM certificate bundle at @p path to verify servers, instead of
 * the system's. NULL restores the system bundle. Peer and host verification
 * are always on.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_ca_file(oai_client *client, const char *path);

/**
 * Uses the PEM certificate bundle in memory (@p len bytes, copied) to verify
 * servers. NULL restores the system bundle.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_ca_blob(oai_client *client, const void *pem, size_t len);

/**
 * Sends requests through a proxy, e.g. `http://proxy:3128` or
 * `socks5h://127.0.0.1:1080`. NULL uses the environment's proxy settings
 * (`https_proxy`, `no_proxy`, ...); "" disables proxies.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_proxy(oai_client *client, const char *proxy_url);

/** Flag of oai_client_warm_up(): parse the CA certificates the client
 *  verifies servers with. */
#define OAI_WARM_UP_CA 1
/** Flag of oai_client_warm_up(): also connect to the base URL's host (name
 *  lookup, TCP, TLS handshake) and keep the connection for the first
 *  request; implies ::OAI_WARM_UP_CA. */
#define OAI_WARM_UP_CONNECT 2

/**
 * Does the one-time work of the client's first HTTPS connection now, so
 * that it does not land in a frame later: call it at a loading screen (or
 * on the thread that will drive the client, before the game loop starts),
 * after the base URL, CA and proxy are set. Without it, with the built-in
 * transport, the poll that starts the first TLS handshake also parses the
 * whole CA bundle (Debian's: tens of milliseconds, see docs/embedding.md).
 *
 * ::OAI_WARM_UP_CA parses the CA certificates: the system's bundle, or what
 * oai_client_set_ca_file() and oai_client_set_ca_blob() gave. The result is
 * shared, read-only, by every client of the process with the same CA
 * settings: the system's store is parsed once per process and kept until
 * it exits, so a second client (warmed up or not) has nothing left to
 * parse; a custom one is kept while a client uses it (a change to the file
 * after that is seen once no client holds it any more).
 * ::OAI_WARM_UP_CONNECT also connects, completes the TLS handshake and
 * sends one `HEAD` of the base URL (no API key, no body; any HTTP answer
 * will do), so that the connection is known good and waiting in the
 * client's pool: the first request then reuses it, if the server keeps it
 * open (servers close idle connections after a while, some after seconds).
 *
 * Blocking: the CA alone takes as long as parsing it; a connection at most
 * the connect timeout plus 5 s (30 s plus 5 s without a connect timeout).
 * Nothing is retried. Whatever the outcome, the client stays usable.
 * Nothing changes hands: the connection belongs to the client, and the
 * store to the process (each client holds a reference, dropped by
 * oai_client_free()).
 *
 * Nothing to do, ::OAI_OK at once: a plain `http://` base URL (requests to
 * absolute `https://` URLs then load the CA at their first connection), a
 * client with a host transport (oai_client_set_transport(): TLS is the
 * host's). With a libcurl built on another TLS library than this library's
 * OpenSSL, curl loads the CA itself at each client's first connection:
 * ::OAI_WARM_UP_CA then does nothing and ::OAI_WARM_UP_CONNECT is the way
 * to warm up.
 *
 * Threading: from the thread that drives the client, like every function
 * on it. Clients on different threads may warm up at the same moment: the
 * shared store is parsed once, and the other threads wait for that parse.
 *
 * @param flags ::OAI_WARM_UP_CA, ::OAI_WARM_UP_CONNECT, or both; 0 means
 *        ::OAI_WARM_UP_CA
 * @return ::OAI_OK;
 *         ::OAI_ERR_INVALID_ARGUMENT: NULL client, an unknown flag, called
 *         from inside one of the client's callbacks, or
 *         ::OAI_WARM_UP_CONNECT while a request of the client is in
 *         flight or in event-loop mode (warm up before setting the socket
 *         callback), or a build without libcurl whose client has no
 *         transport;
 *         the client's configuration error (oai_client_status());
 *         ::OAI_ERR_TLS: the CA file or blob cannot be used, or the
 *         handshake failed (an untrusted certificate);
 *         ::OAI_ERR_CONNECTION, ::OAI_ERR_TIMEOUT: the server could not be
 *         reached in time; ::OAI_ERR_OUT_OF_MEMORY. The reason of a failure
 *         is logged at the warn level (oai_client_set_log_callback2()).
 */
OAI_API oai_status oai_client_warm_up(oai_client *client, int flags);

/**
 * Sets the largest response body accepted in memory; a larger one ends the
 * call with ::OAI_ERR_TOO_LARGE. The same limit bounds what a streamed call
 * accumulates (oai_stream_set_max_bytes()). Bodies written to an output
 * file or handed to oai_request_set_data_callback() are not limited. 0 means no
 * limit. Default 256 MiB.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_client_set_max_response_bytes(oai_client *client, int64_t max_bytes);

/**
 * Sets the level of the lines logged: those at or above @p level (an
 * ::oai_log_level) go to the log callback, or to stderr when none is set.
 * It overrides `OPENAI_LOG`; the default is ::OAI_LOG_OFF.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL client, not a level).
 */
OAI_API oai_status oai_client_set_log_level(oai_client *client, int level);

/**
 * Sets (or, with NULL, clears) the log callback, which then receives the
 * lines that oai_client_set_log_level() lets through; without one they go
 * to stderr.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL client).
 */
OAI_API oai_status oai_client_set_log_callback2(oai_client *client, oai_log_fn fn, void *userdata);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Client-wide defaults, copies and Azure OpenAI
 *  What the official SDKs' clients offer besides the options above: a
 *  default query (`default_query`), a copy with overrides (`with_options`),
 *  a token callback (a credential fetched before every attempt), and the
 *  Azure OpenAI client (docs/azure.md).
 *  @{ */

/**
 * Sets a query parameter sent with every request of the client (the official
 * SDKs' `default_query`), percent-encoded by the library. A request's own
 * parameter of the same name (oai_request_set_query()) wins. A NULL value
 * removes the default; setting an existing name replaces its value.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (NULL client, NULL or empty
 *         name), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_query(oai_client *client, const char *name, const char *value);

/** The client's default query parameter @p name (borrowed), or NULL. */
OAI_API const char *oai_client_query(const oai_client *client, const char *name);

/**
 * A copy of the client to change without touching the original (the
 * official SDKs' `with_options`): every option set with an
 * `oai_client_set_*` function of this section or of "Client" (key, base
 * URL, organization, project, headers, default query, timeouts, retries and
 * the retry callback, CA, proxy, limits, log level and log callback, token
 * callback, Azure settings) and the configuration status. Not copied:
 * what drives the client (its transport, clock, event-loop callbacks and
 * poll budget; a clone uses the built-in transport until given another)
 * and its calls.
 *
 * Sharing: a client and all its clones (and their clones) form one group
 * whose built-in transports share a DNS cache and a TLS session cache, so
 * the clone's first connection to a server the original already talked to
 * resumes its TLS session (an abbreviated handshake) instead of making a
 * full one. Sessions are kept apart by CA settings: a session verified
 * under one CA is never resumed by a client that trusts another. The group
 * lives until the last of its clients is freed, in any order. A host's own
 * transport (oai_client_set_transport()) takes no part.
 *
 * Threading: the clone is a client of its own, usable from another thread
 * than the original, at the same time (the shared caches are locked). It
 * therefore has its own connection pool: libcurl does not support a
 * connection cache shared by handles used from concurrent threads, and a
 * pooled connection belongs to the client whose event loop watches it.
 * What every client shares is the CA store, parsed once per process.
 * Callbacks' userdata pointers are copied as they are.
 * @return a new client (free with oai_client_free()), or NULL for a NULL
 *         client or when memory ran out.
 */
OAI_API oai_client *oai_client_clone(const oai_client *client);

/** The room a token callback may write into, its terminating NUL included. */
#define OAI_TOKEN_MAX 16384

/**
 * Supplies a bearer token (an Entra ID token for Azure OpenAI, or any
 * short-lived credential). Called before every attempt of every request,
 * retries included, on the thread that drives the client, so a callback
 * that caches its token can hand out a fresh one when it nears expiry.
 * @param userdata the pointer given with the callback
 * @param token where to write the token, NUL-terminated, without "Bearer "
 * @param size the room at @p token (::OAI_TOKEN_MAX), the NUL included
 * @return ::OAI_OK when a token was written; any other status ends the call
 *         with that status, without sending and without a retry
 */
typedef oai_status (*oai_token_fn)(void *userdata, char *token, size_t size);

/**
 * Sets (or, with NULL, clears) the token callback. While one is set every
 * attempt sends `Authorization: Bearer TOKEN` with the token it returns,
 * instead of the API key (an Azure client's fixed Entra ID token,
 * oai_client_set_azure_ad_token(), still wins, as in the official client),
 * unless the request sets (or removes) its own `Authorization` header; then
 * the callback is not called. An attempt that sent a token and was answered
 * with HTTP 401 is retried once at once with a new token (within the
 * retries allowed), since a cached token may have expired. The call
 * fails with the callback's status when it returns one, or with
 * ::OAI_ERR_AUTHENTICATION when it writes an empty or unterminated token or
 * one with control characters. Tokens are never logged.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL client).
 */
OAI_API oai_status oai_client_set_token_callback(oai_client *client, oai_token_fn fn, void *userdata);

/**
 * Creates an Azure OpenAI client, configured from the environment as the
 * official `AzureOpenAI` client is: `AZURE_OPENAI_API_KEY` (sent as the
 * `api-key` header), `AZURE_OPENAI_AD_TOKEN` (a fixed Entra ID token, sent
 * as `Authorization: Bearer`), `AZURE_OPENAI_ENDPOINT`
 * (`https://RESOURCE.openai.azure.com`) and `OPENAI_API_VERSION`; and, as
 * oai_client_new(), `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID`,
 * `OPENAI_CUSTOM_HEADERS` and `OPENAI_LOG`. `OPENAI_API_KEY` and
 * `OPENAI_BASE_URL` are not read.
 *
 * Two APIs, chosen by the API version:
 * - `v1`, `preview` or `latest` (or an endpoint ending in `/openai/v1`):
 *   the v1 API, requests go to `ENDPOINT/openai/v1/PATH` with the model in
 *   the body, and `api-version` is sent for any version but `v1`.
 * - a dated version (`2024-10-21`): the deployments API, requests go to
 *   `ENDPOINT/openai/PATH?api-version=VERSION`, and the deployment-scoped
 *   paths (`/chat/completions`, `/completions`, `/embeddings`,
 *   `/audio/speech`, `/audio/transcriptions`, `/audio/translations`,
 *   `/images/generations`, `/images/edits`) to
 *   `ENDPOINT/openai/deployments/DEPLOYMENT/PATH`, where DEPLOYMENT is the
 *   client's (oai_client_set_azure_deployment()) or else the request's
 *   model (its JSON `model`, or its multipart `model` field).
 *
 * What is missing (an endpoint, the API version of the deployments API, a
 * credential, the deployment of a deployment-scoped request) fails each
 * call with ::OAI_ERR_INVALID_ARGUMENT and a message naming the variable
 * and the setter, sending nothing. An `AZURE_OPENAI_ENDPOINT` that is not
 * a valid URL leaves the client with that configuration error
 * (oai_client_status()), like `OPENAI_BASE_URL` for oai_client_new().
 * @return a new client (free with oai_client_free()), or NULL if memory ran
 *         out or the transport could not be initialised.
 */
OAI_API oai_client *oai_client_azure_new(void);

/** 1 for a client made by oai_client_azure_new() (or a clone of one), else 0. */
OAI_API int oai_client_is_azure(const oai_client *client);

/**
 * Sets the Azure resource's endpoint, e.g. `https://RESOURCE.openai.azure.com`
 * (the base URL becomes `ENDPOINT/openai`, or `ENDPOINT/openai/v1` for the
 * API version `v1`); an endpoint that already ends in `/openai` or
 * `/openai/v1` is used as it is. oai_client_set_base_url() instead sets the
 * base URL itself (then a path containing `/deployments` is not routed
 * again); the last of the two wins. Success clears a configuration error.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (not an Azure client, not an
 *         absolute http(s) URL), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_azure_endpoint(oai_client *client, const char *endpoint);

/**
 * Sets the deployment that the deployment-scoped requests of the
 * deployments API go to, whatever their model; NULL uses each request's
 * model. As in the official client, the other paths (files, batches,
 * fine-tuning, models) stay under `ENDPOINT/openai`.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (not an Azure client, an
 *         empty name or one with '/'), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_azure_deployment(oai_client *client, const char *deployment);

/**
 * Sets the API version: `v1` for the v1 API (no `api-version` parameter),
 * `preview` or `latest` for the v1 API's previews, or a dated version of
 * the deployments API (`2024-10-21`); all but `v1` are sent as the
 * `api-version` query parameter of every request. NULL clears it.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (not an Azure client, an
 *         empty version), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_azure_api_version(oai_client *client, const char *api_version);

/**
 * Sets a fixed Entra ID token, sent as `Authorization: Bearer TOKEN`
 * instead of the `api-key` header; it wins over a token callback. NULL or
 * "" clears it. For tokens that expire, use oai_client_set_token_callback().
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (not an Azure client, CR/LF
 *         in the token), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_azure_ad_token(oai_client *client, const char *token);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Requests
 *  @{ */

/**
 * Creates a request for any endpoint.
 * @param method "GET", "POST", "DELETE", ... (upper case, no white space)
 * @param path the path below the client's base URL, starting with '/'
 *        (e.g. "/chat/completions"), or a full http(s) URL
 * @return a new request owned by the caller; NULL only when memory ran out.
 *         A bad method or path gives a failed request (oai_request_status()):
 *         it has no method and no path, and sending it fails with its status
 *         and message.
 */
OAI_API oai_request *oai_request_new(const char *method, const char *path);

/**
 * The request's sticky status: ::OAI_OK, or why its constructor failed
 * (::OAI_ERR_INVALID_ARGUMENT for a bad argument, ::OAI_ERR_IO for a file
 * that cannot be read). A failed request's setters return that status and
 * change nothing, and oai_client_send() and oai_client_start() answer it
 * with a response carrying the status and message, sending nothing.
 * ::OAI_ERR_INVALID_ARGUMENT for NULL.
 */
OAI_API oai_status oai_request_status(const oai_request *req);

/**
 * Why the request's constructor failed (borrowed from the request, e.g.
 * "oai_file_create_request_new: cannot open train.jsonl: No such file or
 * directory"), or NULL when oai_request_status() is ::OAI_OK.
 */
OAI_API const char *oai_request_error_message(const oai_request *req);

/** Frees a request. NULL is a no-op. A request may be freed as soon as the
 *  call that sends it has started: calls keep their own copy. */
OAI_API void oai_request_free(oai_request *req);

/** Returns a deep copy of the request (owned by the caller: oai_request_free()),
 *  failed status included; NULL only when memory ran out (or for NULL). */
OAI_API oai_request *oai_request_clone(const oai_request *req);

/** The request's method (borrowed), or NULL. */
OAI_API const char *oai_request_method(const oai_request *req);
/** The request's path or URL (borrowed), or NULL. */
OAI_API const char *oai_request_path(const oai_request *req);

/**
 * Sets a string in the JSON body at a JSON Pointer (RFC 6901). Intermediate
 * objects are created (an array where the next token is "-" or a number);
 * "-" appends to an array; `~1` stands for '/' and `~0` for '~'. The pointer
 * "" is the whole body.
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT (bad pointer, an array index
 *         past the end, a path through a string or number, invalid UTF-8);
 *         ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_string(oai_request *req, const char *pointer, const char *value);

/** Like oai_request_set_string(), for @p len bytes that may hold NUL. */
OAI_API oai_status oai_request_set_string_len(oai_request *req, const char *pointer, const char *value, size_t len);

/** Sets an integer at a JSON Pointer; see oai_request_set_string(). */
OAI_API oai_status oai_request_set_int(oai_request *req, const char *pointer, int64_t value);

/** Sets a number at a JSON Pointer; NaN and infinities are
 *  ::OAI_ERR_INVALID_ARGUMENT. See oai_request_set_string(). */
OAI_API oai_status oai_request_set_number(oai_request *req, const char *pointer, double value);

/** Sets true (non-zero) or false at a JSON Pointer; see oai_request_set_string(). */
OAI_API oai_status oai_request_set_bool(oai_request *req, const char *pointer, int value);

/** Sets null at a JSON Pointer; see oai_request_set_string(). */
OAI_API oai_status oai_request_set_null(oai_request *req, const char *pointer);

/**
 * Parses @p json (any JSON value) and sets it at a JSON Pointer.
 * @return as oai_request_set_string(), plus ::OAI_ERR_INVALID_ARGUMENT when
 *         @p json does not parse.
 */
OAI_API oai_status oai_request_set_json(oai_request *req, const char *pointer, const char *json);

/**
 * Removes the body field at a JSON Pointer.
 * @return ::OAI_OK, ::OAI_ERR_NOT_FOUND (no such field),
 *         ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_request_remove_field(oai_request *req, const char *pointer);

/** The body's value at a JSON Pointer ("" is the whole body), borrowed from
 *  the request until it is changed or freed; NULL if absent. */
OAI_API const oai_value *oai_request_get(const oai_request *req, const char *pointer);
/** The body's string at a JSON Pointer, or NULL if absent or not a string. */
OAI_API const char *oai_request_get_string(const oai_request *req, const char *pointer);
/** The body's integer at a JSON Pointer (a number is truncated), or 0. */
OAI_API int64_t oai_request_get_int(const oai_request *req, const char *pointer);
/** The body's number at a JSON Pointer, or 0.0. */
OAI_API double oai_request_get_number(const oai_request *req, const char *pointer);
/** 1 if the body's value at a JSON Pointer is true, else 0. */
OAI_API int oai_request_get_bool(const oai_request *req, const char *pointer);
/** The length of the body's array (or the member count of its object) at a
 *  JSON Pointer, or 0. */
OAI_API size_t oai_request_get_count(const oai_request *req, const char *pointer);

/**
 * The JSON body, serialised compactly (owned by the caller: oai_free()), or
 * NULL when the request has no JSON body.
 */
OAI_API char *oai_request_body_dup(const oai_request *req);

/**
 * Sets a query parameter (percent-encoded by the library); a NULL value
 * removes it. Setting an existing name replaces its value.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_query(oai_request *req, const char *name, const char *value);

/** The value of a query parameter (borrowed), or NULL. */
OAI_API const char *oai_request_query(const oai_request *req, const char *name);

/**
 * Sets a header for this request, overriding the client's (matched
 * case-insensitively). A NULL value removes the header, including one the
 * library would add.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (bad name; CR or LF in name or
 *         value), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_header(oai_request *req, const char *name, const char *value);

/** Overrides the client's per-attempt timeout for this request (0: none;
 *  negative: use the client's). @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_request_set_timeout_ms(oai_request *req, int64_t timeout_ms);

/** Overrides the client's idle timeout for this request (0: none; negative:
 *  use the client's). @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_request_set_idle_timeout_ms(oai_request *req, int64_t timeout_ms);

/** Overrides the client's first-byte timeout for this request (0: none;
 *  negative: use the client's). @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_request_set_first_byte_timeout_ms(oai_request *req, int64_t timeout_ms);

/** Overrides the client's max retries for this request (negative: use the
 *  client's). @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (above 100). */
OAI_API oai_status oai_request_set_max_retries(oai_request *req, int max_retries);

/**
 * Sends `Idempotency-Key: KEY` with every attempt of this request. NULL
 * removes it; "" generates a random key (`oai-c-retry-<uuid4>`) once per call,
 * reused across its retries.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_idempotency_key(oai_request *req, const char *key);

/**
 * Writes a successful (2xx) response body to the file at @p path instead of
 * memory, as it arrives, so memory does not grow with the body. The body
 * goes to a new temporary file in the same directory (`.NAME.oai-XXXXXXXX`,
 * created with the process's umask), which is renamed over @p path only
 * when the whole body has arrived: on any failure (a dropped connection, a
 * full disk, a cancel, a non-2xx answer) an existing file at @p path is left
 * untouched and the temporary file is removed. NULL keeps bodies in memory.
 * The body is raw: it is not parsed as JSON (see
 * oai_request_set_raw_response()).
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_output_file(oai_request *req, const char *path);

/**
 * Receives the bytes of a successful (2xx) response body as they arrive.
 * @param userdata the pointer given with the callback
 * @param data the next bytes (valid during the call only)
 * @param len their number, > 0
 * @return 0 to go on; non-zero cancels the call (::OAI_ERR_CANCELLED)
 */
typedef int (*oai_data_fn)(void *userdata, const char *data, size_t len);

/**
 * Hands a successful (2xx) response body to @p fn as it arrives instead of
 * keeping it (e.g. to stream a file download to standard output): the
 * response's body stays empty, and the body is raw (not parsed as JSON).
 * Error bodies are still kept and parsed. The bytes of an attempt that
 * fails midway have already been delivered: a retry delivers the body again
 * from the start, so a callback that cannot take that should set
 * oai_request_set_max_retries(req, 0). NULL clears it. Takes precedence
 * over oai_request_set_output_file().
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_request_set_data_callback(oai_request *req, oai_data_fn fn, void *userdata);

/**
 * Asks for the 2xx response body as raw bytes (enabled non-zero) instead of
 * a JSON document. By default a 2xx body must be JSON (an object or an
 * array): anything else, such as a web server's HTML page or an event
 * stream sent to a request that did not ask for one, ends the call with
 * ::OAI_ERR_PROTOCOL ("expected JSON, got text/html"). An empty body is
 * accepted with 204 and 205 and for `HEAD`. Raw mode is implied by
 * oai_request_set_output_file(), oai_request_set_data_callback(), an `Accept` header
 * that names no JSON type, and the file-content helpers.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_request_set_raw_response(oai_request *req, int enabled);

/**
 * Reports transfer progress; called on the driving thread.
 * @param userdata the pointer given with the callback
 * @param sent bytes of the request body sent so far
 * @param send_total the body's size, 0 if unknown
 * @param received bytes of the response body received so far
 * @param receive_total the body's announced size, 0 if unknown
 * @return 0 to go on; non-zero cancels the call (::OAI_ERR_CANCELLED)
 */
typedef int (*oai_progress_fn)(void *userdata, int64_t sent, int64_t send_total, int64_t received, int64_t receive_total);

/** Sets (or, with NULL, clears) the progress callback.
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_request_set_progress_callback(oai_request *req, oai_progress_fn fn, void *userdata);

/**
 * Adds a text field to a multipart/form-data body. A request with any part
 * is sent as multipart; its JSON body, if any, is ignored.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_add_form_field(oai_request *req, const char *name, const char *value);

/**
 * Adds a file part streamed from disk when sent (the file is not read into
 * memory; a retry re-reads it from the start).
 * @param name the form field name, e.g. "file"
 * @param path the file to send
 * @param filename the name sent to the server; NULL uses the path's base name
 * @param mime_type the part's Content-Type; NULL for application/octet-stream
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_IO (cannot open
 *         or stat the file), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_add_file_part(oai_request *req, const char *name, const char *path, const char *filename, const char *mime_type);

/**
 * Adds a file part from memory (@p len bytes, copied).
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_add_data_part(oai_request *req, const char *name, const void *data, size_t len, const char *filename, const char *mime_type);

/**
 * Adds a file part of @p length bytes read from @p path starting at byte
 * @p offset (used for the parts of a large upload).
 * @return as oai_request_add_file_part().
 */
OAI_API oai_status oai_request_add_file_range_part(oai_request *req, const char *name, const char *path, int64_t offset, int64_t length, const char *filename, const char *mime_type);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Endpoint helpers
 *  Each creates an ordinary request with the method, path and required
 *  fields filled in; anything else is set with the oai_request_set_* calls.
 *  Each returns NULL only when memory ran out: a bad argument (a NULL or
 *  empty id, a negative size) or a file that cannot be read gives a failed
 *  request, whose oai_request_status() and oai_request_error_message() say
 *  why and which sending reports (see "Errors" at the top of this file).
 *  @{ */

/** `POST /chat/completions` with `model` and an empty `messages` array. */
OAI_API oai_request *oai_chat_completion_create_request_new(const char *model);

/**
 * Appends `{"role": ROLE, "content": CONTENT}` to `messages`. Any role is
 * accepted (`developer`, `system`, `user`, `assistant`, `tool`, ...). A NULL
 * content is sent as null (an assistant message that only calls tools).
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_chat_request_add_message(oai_request *req, const char *role, const char *content);

/**
 * Appends a function tool to `tools`:
 * `{"type":"function","function":{"name","description","parameters"}}`.
 * @param description may be NULL
 * @param parameters_json a JSON Schema object as text; NULL for none
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (also when the schema does not
 *         parse), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_chat_request_add_tool(oai_request *req, const char *name, const char *description, const char *parameters_json);

/**
 * Records a tool call the assistant made: appends
 * `{"id","type":"function","function":{"name","arguments"}}` to the
 * `tool_calls` of the last message when it is an assistant message, or to a
 * new assistant message with null content otherwise. Use it to replay the
 * assistant's turn before oai_chat_request_add_tool_result().
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_chat_request_add_tool_call(oai_request *req, const char *id, const char *name, const char *arguments);

/**
 * Appends a tool result: `{"role":"tool","tool_call_id","content"}`.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_chat_request_add_tool_result(oai_request *req, const char *tool_call_id, const char *content);

/** `POST /completions` (legacy) with `model` and `prompt`. */
OAI_API oai_request *oai_completion_create_request_new(const char *model, const char *prompt);

/** `POST /responses` (the Responses API) with `model` and a string `input`. */
OAI_API oai_request *oai_response_create_request_new(const char *model, const char *input);

/** `POST /embeddings` with `model` and a string `input` (set `/input` to an
 *  array for several inputs). */
OAI_API oai_request *oai_embedding_create_request_new(const char *model, const char *input);

/** `GET /models`. */
OAI_API oai_request *oai_model_list_request_new(void);
/** `GET /models/{id}` (the id is percent-encoded). */
OAI_API oai_request *oai_model_retrieve_request_new(const char *model_id);
/** `DELETE /models/{id}` (deletes a fine-tuned model you own). */
OAI_API oai_request *oai_model_delete_request_new(const char *model_id);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Sending
 *  @{ */

/**
 * Sends a request and waits for its outcome, retrying per the retry policy.
 * Retry delays are timers of the client's engine; other asynchronous calls on
 * this client progress (and their callbacks run) while this call waits. Do
 * not call it from inside a callback of the same client, nor on a client in
 * event-loop mode (the response then carries ::OAI_ERR_INVALID_ARGUMENT).
 * @return a response owned by the caller (oai_response_free()); it carries
 *         the outcome in oai_response_status(). NULL only when memory ran
 *         out (oai_response_status(NULL) is ::OAI_ERR_OUT_OF_MEMORY).
 */
OAI_API oai_response *oai_client_send(oai_client *client, const oai_request *req);

/**
 * Receives the outcome of an asynchronous call.
 * @param userdata the pointer given to oai_client_start()
 * @param call the finished call (still the caller's: free it with
 *        oai_call_free(), here or later)
 * @param res the response, owned by the callback's code from now on: free it
 *        with oai_response_free(). NULL only when memory ran out.
 */
typedef void (*oai_done_fn)(void *userdata, oai_call *call, oai_response *res);

/**
 * Starts a request without waiting: it progresses inside oai_client_poll()
 * (or oai_client_send(), or oai_client_socket_action() in event-loop mode)
 * on the caller's thread. The request is copied, so
 * the caller may free or change it at once.
 *
 * Two ways to learn the outcome: a done callback, or the pull API, which
 * needs no callback at all (for FFI hosts such as LuaJIT, Python, C#):
 * oai_call_is_done(), oai_call_take_response(), and for a streamed request
 * without an event callback (oai_request_set_stream()),
 * oai_call_next_event().
 * @param fn called once, when the call ends (success, error or cancel),
 *        with the response; NULL: the response waits in the call for
 *        oai_call_take_response()
 * @return a call owned by the caller until oai_call_free(), valid after it
 *         ended too; NULL only for a NULL client or request (the rule for
 *         NULL handles) or when memory ran out. Anything else wrong (a
 *         failed request, an invalid URL, the client's configuration)
 *         gives a call that ends with that status and message.
 */
OAI_API oai_call *oai_client_start(oai_client *client, const oai_request *req, oai_done_fn fn, void *userdata);

/**
 * Frees a call. A running call is cancelled first, silently: its done
 * callback does not run. Safe on a finished call, inside the call's own
 * callbacks (the call is freed once the callback returns), and after
 * oai_client_free() (which ends every call it still has). NULL is a no-op.
 * Threading: the client's thread.
 */
OAI_API void oai_call_free(oai_call *call);

/** 1 when the call has ended (its response is final), else 0; 1 for NULL. */
OAI_API int oai_call_is_done(const oai_call *call);

/**
 * Hands over a finished call's response (success, error or cancel), which
 * the caller then owns (oai_response_free()).
 * @return the response; NULL while the call runs, once the response was
 *         taken or given to the done callback, and when memory ran out
 *         (oai_call_status() tells which).
 */
OAI_API oai_response *oai_call_take_response(oai_call *call);

/** The call's outcome once it has ended (the status its response carries),
 *  ::OAI_ERR_INVALID_ARGUMENT for NULL; ::OAI_OK while it runs. */
OAI_API oai_status oai_call_status(const oai_call *call);

/**
 * Takes the next queued event of a streamed call whose request has no event
 * callback (oai_request_set_stream()): the same events an event callback
 * would get, in order, ending with ::OAI_EVENT_DONE or ::OAI_EVENT_ERROR.
 * Events queue while the client is polled; take them at any pace: when
 * 1024 are waiting, the client stops reading that call's body (the
 * transport's back-pressure) until the queue is drained below half, so
 * nothing is lost and memory stays bounded. (A host transport without a
 * pause callback keeps delivering; the queue then grows up to the client's
 * oai_client_set_max_response_bytes(), and the call fails with
 * ::OAI_ERR_TOO_LARGE beyond it.)
 * @param event receives the event, valid until the next call on this
 *        oai_call (or its free), or NULL when none is waiting now
 * @return ::OAI_OK (check *event), ::OAI_ERR_INVALID_ARGUMENT (NULL
 *         arguments)
 */
OAI_API oai_status oai_call_next_event(oai_call *call, const oai_event **event);

/**
 * Advances every running call: performs I/O that is ready, fires due retry
 * timers and runs callbacks, waiting at most @p timeout_ms for something to
 * happen (0: do not wait, as in a game loop calling it once per frame;
 * negative: wait until something happens).
 * @return the number of calls still running (0 when all are done), or a
 *         negative ::oai_status value on a transport failure
 *         (-::OAI_ERR_INVALID_ARGUMENT for a client in event-loop mode, see
 *         oai_client_set_socket_callback(), or when called from inside one
 *         of the client's callbacks).
 */
OAI_API int oai_client_poll(oai_client *client, int timeout_ms);

/**
 * Bounds the work one poll does (and one oai_client_socket_action()):
 * the poll's I/O comes first, then it hands out streamed events and data
 * until @p budget_us microseconds have passed since it began, and returns;
 * what is left waits, in order, for the next poll (and the client stops
 * reading bodies that pile up beyond that, see oai_call_next_event()). A
 * poll also begins at most one new exchange per 200 µs of budget (one at
 * least): calls started beyond that (a hundred at once, say) wait in the
 * order they were started, so their connections and requests are spread
 * over the next polls. For a game loop that polls once per frame. I/O
 * already under way is not interrupted, so a poll may run a little over.
 * 0 (the default): no limit.
 * @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT (NULL client, negative).
 */
OAI_API oai_status oai_client_set_poll_budget_us(oai_client *client, int64_t budget_us);

/**
 * Makes a concurrent or upcoming oai_client_poll() return early. The one
 * function that may be called from any thread while another thread is inside
 * the client. Has no use in event-loop mode, where the host wakes its own
 * loop.
 */
OAI_API void oai_client_wakeup(oai_client *client);

/**
 * Cancels a running call: its transfer is aborted and its done callback runs
 * (with ::OAI_ERR_CANCELLED) during the next poll (in event-loop mode: the
 * client asks for a 0 ms timer and the callback runs in the
 * oai_client_socket_action() that follows). NULL is a no-op.
 */
OAI_API void oai_call_cancel(oai_call *call);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Driving the client from an event loop
 *  The third way to drive the engine, in the shape of libcurl's multi_socket
 *  API, for hosts that own the loop (libuv, libevent, asio, Qt, a game
 *  engine's reactor): the client tells the host which sockets to watch and
 *  when to wake it, and the host tells the client what happened.
 *
 *  Set both callbacks before the client's first call; the client is then in
 *  *event-loop mode*. Start calls with oai_client_start(). Whenever the host
 *  sees a watched socket ready, or the timer expire, it calls
 *  oai_client_socket_action(); every callback of the client (done, event,
 *  progress, retry, log, and the socket and timer callbacks themselves) runs
 *  inside that call or inside oai_client_start(), oai_call_cancel() or
 *  oai_client_free(). In this mode oai_client_poll() and oai_client_send()
 *  (and the blocking workflows: oai_pager_next(), oai_large_upload_run(),
 *  oai_client_follow_fine_tuning_job(), oai_client_wait_for_batch())
 *  refuse to run, since they would wait on their own; start the workflows
 *  instead (oai_pager_start(), oai_large_upload_start(),
 *  oai_client_start_follow_fine_tuning_job(),
 *  oai_client_start_wait_for_batch()), which the loop drives like any
 *  call. oai_client_wakeup() is not needed: the host's own loop is the
 *  one to wake.
 *
 *  The socket and timer callbacks must not call back into the client; they
 *  only record what to wait for.
 *
 *  Sockets belong to the built-in libcurl transport. A client given a
 *  host's own transport (oai/transport.h) has no sockets to report: set
 *  only the timer callback, and call oai_client_socket_action(client,
 *  ::OAI_SOCKET_TIMEOUT, 0) when it expires; the host's transport reports
 *  from the host's loop, and each report that moves a deadline re-arms the
 *  timer.
 *  @{ */

/** Bits of the @p events argument of ::oai_socket_fn and
 *  oai_client_socket_action(). */
typedef enum oai_poll_event {
    OAI_POLL_IN = 1,     /**< The socket is (to be watched for being) readable. */
    OAI_POLL_OUT = 2,    /**< The socket is (to be watched for being) writable. */
    OAI_POLL_REMOVE = 4  /**< Stop watching the socket (it may close right after). */
} oai_poll_event;

/** The @p fd to pass to oai_client_socket_action() when the timer expired. */
#define OAI_SOCKET_TIMEOUT (-1)

/**
 * Tells the host which socket to watch. Called whenever the set changes: a
 * later call for the same @p fd replaces its events; ::OAI_POLL_REMOVE ends
 * the watch. Every socket watched gets its ::OAI_POLL_REMOVE, at the latest
 * during oai_client_free() (connections kept alive between calls stay
 * watched until then).
 * @param userdata the pointer given to oai_client_set_socket_callback()
 * @param fd the socket (a file descriptor; a SOCKET on Windows)
 * @param events ::OAI_POLL_IN and/or ::OAI_POLL_OUT to watch for, or
 *        ::OAI_POLL_REMOVE alone
 * @return 0 (other values are reserved)
 */
typedef int (*oai_socket_fn)(void *userdata, int64_t fd, int events);

/**
 * Sets the host's one timer. When it expires the host calls
 * oai_client_socket_action(client, ::OAI_SOCKET_TIMEOUT, 0). The timer is
 * one-shot and each call replaces the previous setting. It covers libcurl's
 * own timeouts and the client's (retry delays, first-byte and idle timeouts,
 * a cancelled call to conclude), so the host needs no other clock.
 * @param userdata the pointer given to oai_client_set_timer_callback()
 * @param timeout_ms milliseconds from now (0: as soon as possible, from the
 *        loop rather than from inside this callback), or -1 to delete the
 *        timer
 * @return 0 (other values are reserved)
 */
typedef int (*oai_timer_fn)(void *userdata, int64_t timeout_ms);

/**
 * Sets the callback that tells the host which sockets to watch (NULL, with
 * a NULL timer callback too, leaves event-loop mode). Only while no call
 * runs.
 * @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT for a NULL client, while
 *         calls are running, or when the client's transport reports no
 *         sockets (a host's own); ::OAI_ERR_INVALID_ARGUMENT also in a build
 *         without libcurl before a transport is set.
 */
OAI_API oai_status oai_client_set_socket_callback(oai_client *client, oai_socket_fn fn, void *userdata);

/**
 * Sets the callback that sets the host's timer (NULL, with a NULL socket
 * callback too, leaves event-loop mode). Only while no call runs.
 * @return ::OAI_OK, or ::OAI_ERR_INVALID_ARGUMENT for a NULL client or while
 *         calls are running.
 */
OAI_API oai_status oai_client_set_timer_callback(oai_client *client, oai_timer_fn fn, void *userdata);

/**
 * Tells a client in event-loop mode that @p fd is ready, or with
 * ::OAI_SOCKET_TIMEOUT that its timer expired. Performs the I/O that is
 * ready, advances every call (retries whose delay is over, timeouts,
 * cancellations, finished calls) and runs their callbacks on the caller's
 * thread; then updates the sockets and the timer through the callbacks. Do
 * not call it from inside a callback of the same client.
 * @param fd a socket given to the socket callback, or ::OAI_SOCKET_TIMEOUT
 * @param events the ::OAI_POLL_IN / ::OAI_POLL_OUT bits that are ready, or
 *        0 when unknown (ignored with ::OAI_SOCKET_TIMEOUT)
 * @return the number of calls still running, or a negative ::oai_status
 *         value: -::OAI_ERR_INVALID_ARGUMENT when the client is not in
 *         event-loop mode or the call is nested in a callback, another
 *         value on a transport failure.
 */
OAI_API int oai_client_socket_action(oai_client *client, int64_t fd, int events);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Responses
 *  @{ */

/** Frees a response and everything borrowed from it. NULL is a no-op. */
OAI_API void oai_response_free(oai_response *res);

/**
 * The outcome: ::OAI_OK for a 2xx answer whose body is what the request
 * expects (a JSON document by default; any bytes for raw responses, see
 * oai_request_set_raw_response()), else the error class: a 2xx body that is
 * not JSON (an HTML page, an event stream sent to a plain request) is
 * ::OAI_ERR_PROTOCOL. ::OAI_ERR_OUT_OF_MEMORY for a NULL response.
 */
OAI_API oai_status oai_response_status(const oai_response *res);

/** The HTTP status of the last attempt, or 0 when no answer was received. */
OAI_API int oai_response_http_status(const oai_response *res);

/** The value of a response header (first occurrence, name matched
 *  case-insensitively; borrowed), or NULL. */
OAI_API const char *oai_response_header(const oai_response *res, const char *name);

/** The number of response headers. */
OAI_API size_t oai_response_header_count(const oai_response *res);
/** The name of header @p index (as the server spelled it), or NULL. */
OAI_API const char *oai_response_header_name(const oai_response *res, size_t index);
/** The value of header @p index, or NULL. */
OAI_API const char *oai_response_header_value(const oai_response *res, size_t index);

/** The raw response body (NUL-terminated for convenience; may hold NUL
 *  bytes, see oai_response_body_len()), "" when there is none. */
OAI_API const char *oai_response_body(const oai_response *res);
/** The raw body's length in bytes. */
OAI_API size_t oai_response_body_len(const oai_response *res);

/** The parsed JSON body (or, after a stream, the accumulated result), or
 *  NULL when the body is not JSON. */
OAI_API const oai_value *oai_response_json(const oai_response *res);

/** The value at a JSON Pointer in the body, or NULL. */
OAI_API const oai_value *oai_response_get(const oai_response *res, const char *pointer);
/** The string at a JSON Pointer, or NULL if absent or not a string. */
OAI_API const char *oai_response_get_string(const oai_response *res, const char *pointer);
/** The integer at a JSON Pointer (a number is truncated), or 0. */
OAI_API int64_t oai_response_get_int(const oai_response *res, const char *pointer);
/** The number at a JSON Pointer, or 0.0. */
OAI_API double oai_response_get_number(const oai_response *res, const char *pointer);
/** 1 if the value at a JSON Pointer is true, else 0. */
OAI_API int oai_response_get_bool(const oai_response *res, const char *pointer);
/** The length of the array (or the member count of the object) at a JSON
 *  Pointer, or 0. */
OAI_API size_t oai_response_get_count(const oai_response *res, const char *pointer);
/** The compact JSON text of the value at a JSON Pointer (borrowed from the
 *  response), or NULL. */
OAI_API const char *oai_response_get_json_text(const oai_response *res, const char *pointer);

/**
 * The generated text: `choices[0].message.content` of a chat completion,
 * `choices[0].text` of a legacy completion, or the concatenated
 * `output_text` parts of a Responses API result. NULL when there is none.
 */
OAI_API const char *oai_response_text(const oai_response *res);

/** The number of embeddings (the length of `data`), or 0. */
OAI_API size_t oai_response_embedding_count(const oai_response *res);

/**
 * The embedding at `data[index].embedding` as doubles (borrowed from the
 * response; base64-encoded embeddings are decoded too).
 * @param dim receives the vector's length (0 when absent); may be NULL
 * @return the vector, or NULL.
 */
OAI_API const double *oai_response_embedding(const oai_response *res, size_t index, size_t *dim);

/**
 * Copies the embedding at `data[index]` into @p out as floats.
 * @return the vector's full length (copying at most @p capacity values), or 0.
 */
OAI_API size_t oai_response_embedding_float(const oai_response *res, size_t index, float *out, size_t capacity);

/** The error message: the API's `error.message` (nested or flat body), or a
 *  description of a transport or local failure. NULL on success. */
OAI_API const char *oai_response_error_message(const oai_response *res);
/** The API error's `type`, or NULL. */
OAI_API const char *oai_response_error_type(const oai_response *res);
/** The API error's `code` (a numeric code is given as its decimal text), or NULL. */
OAI_API const char *oai_response_error_code(const oai_response *res);
/** The API error's `param`, or NULL. */
OAI_API const char *oai_response_error_param(const oai_response *res);

/** The `x-request-id` response header, or NULL. */
OAI_API const char *oai_response_request_id(const oai_response *res);

/** How many retries were made (0 when the first attempt decided). */
OAI_API int oai_response_retry_count(const oai_response *res);

/** The delay the server last asked for (`retry-after-ms`/`retry-after`) in
 *  milliseconds, or -1 when it asked for none. Set also when the delay was
 *  above the cap and so not waited for. */
OAI_API int64_t oai_response_retry_after_ms(const oai_response *res);

/** Microseconds from the call's start to its end, retries included. */
OAI_API int64_t oai_response_total_time_us(const oai_response *res);
/** Microseconds from the last attempt's start to its first response byte,
 *  or -1 when none arrived. */
OAI_API int64_t oai_response_first_byte_time_us(const oai_response *res);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name JSON values
 *  Read-only views into a parsed document, borrowed from their owner.
 *  @{ */

/** The type of an ::oai_value. */
typedef enum oai_value_type {
    OAI_VALUE_NONE = 0,   /**< No value (a NULL handle or a missing field). */
    OAI_VALUE_NULL = 1,   /**< JSON null. */
    OAI_VALUE_BOOL = 2,   /**< true or false. */
    OAI_VALUE_INT = 3,    /**< A number without fraction or exponent. */
    OAI_VALUE_NUMBER = 4, /**< Any other number. */
    OAI_VALUE_STRING = 5, /**< A string. */
    OAI_VALUE_ARRAY = 6,  /**< An array. */
    OAI_VALUE_OBJECT = 7  /**< An object. */
} oai_value_type;

/** The value's type (an ::oai_value_type). */
OAI_API int oai_value_type_of(const oai_value *v);
/** The value at a JSON Pointer below @p v ("" is @p v itself), or NULL. */
OAI_API const oai_value *oai_value_get(const oai_value *v, const char *pointer);
/** The string, or NULL if @p v is not a string. */
OAI_API const char *oai_value_string(const oai_value *v);
/** The string's length in bytes (it may hold NUL), or 0. */
OAI_API size_t oai_value_string_len(const oai_value *v);
/** The integer (a number is truncated; true is 1), or 0. */
OAI_API int64_t oai_value_int(const oai_value *v);
/** The number (an integer is converted), or 0.0. */
OAI_API double oai_value_number(const oai_value *v);
/** 1 if @p v is true, else 0. */
OAI_API int oai_value_bool(const oai_value *v);
/** The array's length or the object's member count, else 0. */
OAI_API size_t oai_value_count(const oai_value *v);
/** The array's item, or the object's member value, at @p index; or NULL. */
OAI_API const oai_value *oai_value_item(const oai_value *v, size_t index);
/** The object's member key at @p index (borrowed), or NULL. */
OAI_API const char *oai_value_key(const oai_value *v, size_t index);
/** Shorthand for oai_value_string(oai_value_get(v, pointer)). */
OAI_API const char *oai_value_get_string(const oai_value *v, const char *pointer);
/** Shorthand for oai_value_int(oai_value_get(v, pointer)). */
OAI_API int64_t oai_value_get_int(const oai_value *v, const char *pointer);
/** Shorthand for oai_value_number(oai_value_get(v, pointer)). */
OAI_API double oai_value_get_number(const oai_value *v, const char *pointer);
/** Shorthand for oai_value_bool(oai_value_get(v, pointer)). */
OAI_API int oai_value_get_bool(const oai_value *v, const char *pointer);
/** Shorthand for oai_value_count(oai_value_get(v, pointer)). */
OAI_API size_t oai_value_get_count(const oai_value *v, const char *pointer);
/** The value as compact JSON text, owned by the caller (oai_free()), or NULL. */
OAI_API char *oai_value_json_dup(const oai_value *v);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Streaming
 *  @{ */

/** The kind of a streamed event. */
typedef enum oai_event_type {
    OAI_EVENT_TEXT = 1,      /**< A piece of generated text (oai_event_text()). */
    OAI_EVENT_REFUSAL = 2,   /**< A piece of a refusal. */
    OAI_EVENT_REASONING = 3, /**< A piece of reasoning (`reasoning_content`, or a
                                  Responses reasoning summary delta). */
    OAI_EVENT_TOOL_CALL = 4, /**< A tool-call fragment: index, and id/name (set
                                  once) and/or an arguments fragment. From a
                                  tool loop in the pull form, a whole call to
                                  answer, in its JSON (oai_call_answer_tool()). */
    OAI_EVENT_USAGE = 5,     /**< Token usage (oai_event_get_int(ev, "/usage/total_tokens")). */
    OAI_EVENT_DONE = 6,      /**< The stream ended normally. */
    OAI_EVENT_ERROR = 7,     /**< The server sent an error; the call ends with it. */
    OAI_EVENT_OTHER = 8,     /**< Any other event (role, finish reason, a Responses
                                  lifecycle event, ...): read its JSON. */
    OAI_EVENT_ITEM = 9,      /**< A workflow's item (oai_event_json()): a list's
                                  item, a fine-tuning job's event, a batch's
                                  state as it changes. */
    OAI_EVENT_PROGRESS = 10  /**< A workflow's progress (oai_event_json():
                                  `{"done":N,"total":M}`, e.g. bytes uploaded). */
} oai_event_type;

/**
 * Receives each streamed event, on the driving thread, in order.
 * @param userdata the pointer given with the callback
 * @param ev the event, valid during the callback only
 * @return 0 to go on; non-zero cancels the call (::OAI_ERR_CANCELLED), keeping
 *         what was accumulated so far readable in the response.
 */
typedef int (*oai_event_fn)(void *userdata, const oai_event *ev);

/**
 * Makes the request stream: sets `"stream": true` in the body (for chat,
 * completions and responses) and calls @p fn with each event. After the
 * stream, the response's JSON is the accumulated result in the shape a
 * non-streamed call returns, so oai_response_text() works. NULL @p fn turns
 * streaming off again.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_event_callback(oai_request *req, oai_event_fn fn, void *userdata);

/**
 * Makes the request stream (non-zero) without an event callback: the
 * events queue in the call for oai_call_next_event(), and the response is
 * the accumulated result as with a callback. 0 turns streaming off. An
 * event callback set later takes the events instead.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_request_set_stream(oai_request *req, int enabled);

/**
 * Turns accumulation of a streamed response on (non-zero, the default) or
 * off. Off, memory stays flat however long the stream, and the response's
 * JSON holds only the last chunk.
 * @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_request_set_accumulate(oai_request *req, int enabled);

/** The event's type (an ::oai_event_type), or 0 for NULL. */
OAI_API int oai_event_type_of(const oai_event *ev);
/** The delta's text (text, refusal, reasoning, or a tool call's arguments
 *  fragment), or NULL. For ::OAI_EVENT_ERROR, the error message. */
OAI_API const char *oai_event_text(const oai_event *ev);
/** The length of oai_event_text() in bytes. */
OAI_API size_t oai_event_text_len(const oai_event *ev);
/** The choice index (chat/completions) or output index (Responses), or 0. */
OAI_API int oai_event_choice_index(const oai_event *ev);
/** The tool call's index within its choice, or -1. */
OAI_API int oai_event_tool_index(const oai_event *ev);
/** The tool call's id when this fragment carries it, or NULL. */
OAI_API const char *oai_event_tool_id(const oai_event *ev);
/** The tool's function name when this fragment carries it, or NULL. */
OAI_API const char *oai_event_tool_name(const oai_event *ev);
/** The SSE event name (`event:` field), or NULL when the server sent none. */
OAI_API const char *oai_event_name(const oai_event *ev);
/** The raw `data` of the SSE event, or NULL. */
OAI_API const char *oai_event_data(const oai_event *ev);
/** The length of oai_event_data() in bytes. */
OAI_API size_t oai_event_data_len(const oai_event *ev);
/** The event's parsed JSON data, or NULL. */
OAI_API const oai_value *oai_event_json(const oai_event *ev);
/** The value at a JSON Pointer in the event's data ("" is the data itself),
 *  borrowed like the event, or NULL. */
OAI_API const oai_value *oai_event_get(const oai_event *ev, const char *pointer);
/** The string at a JSON Pointer in the event's data, or NULL. */
OAI_API const char *oai_event_get_string(const oai_event *ev, const char *pointer);
/** The integer at a JSON Pointer in the event's data, or 0. */
OAI_API int64_t oai_event_get_int(const oai_event *ev, const char *pointer);
/** The number at a JSON Pointer in the event's data, or 0.0. */
OAI_API double oai_event_get_number(const oai_event *ev, const char *pointer);
/** 1 if the value at a JSON Pointer in the event's data is true, else 0. */
OAI_API int oai_event_get_bool(const oai_event *ev, const char *pointer);
/** The length of the array (or the member count of the object) at a JSON
 *  Pointer in the event's data, or 0. */
OAI_API size_t oai_event_get_count(const oai_event *ev, const char *pointer);
/** For ::OAI_EVENT_ERROR: the error's status class (::OAI_ERR_API unless the
 *  error carries an HTTP-like status); else ::OAI_OK. */
OAI_API oai_status oai_event_error_status(const oai_event *ev);

/**
 * @name Server-Sent Events decoder (sans-I/O)
 * For programs that do their own HTTP: feed the bytes of an event stream in
 * chunks of any size and receive complete events. WHATWG rules: CR, LF and
 * CRLF line ends (a CRLF may be split between feeds), a leading BOM,
 * comments, multi-line `data`, `event`, `id` (persists), `retry`. One
 * deliberate difference: an event with an `event:` name but no `data` is
 * delivered (with empty data) rather than dropped, so a named event without
 * payload is not lost.
 * @{ */

/** An SSE decoder. */
typedef struct oai_sse oai_sse;

/**
 * Receives one decoded event; all pointers are valid during the call only.
 * @param userdata the pointer given to oai_sse_new()
 * @param event the `event` field, or NULL when absent
 * @param data the `data` lines joined with '\\n' (NUL-terminated)
 * @param data_len the length of @p data
 * @param id the last event id seen, or NULL
 * @return 0 to go on; non-zero stops decoding (the feed returns ::OAI_ERR_CANCELLED)
 */
typedef int (*oai_sse_fn)(void *userdata, const char *event, const char *data, size_t data_len, const char *id);

/** Creates a decoder calling @p fn for each event; NULL only when memory
 *  ran out. A NULL @p fn gives a failed decoder (oai_sse_status()) whose
 *  every feed returns ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_sse *oai_sse_new(oai_sse_fn fn, void *userdata);
/** The decoder's status: ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT for a decoder
 *  made without a callback; or the error that stopped it (an event over the
 *  limit, a callback's stop, memory), which every later feed returns.
 *  ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_sse_status(const oai_sse *sse);
/** A description of oai_sse_status() when it is not ::OAI_OK (static), or
 *  NULL. */
OAI_API const char *oai_sse_error_message(const oai_sse *sse);
/** Frees a decoder. NULL is a no-op. */
OAI_API void oai_sse_free(oai_sse *sse);
/** Limits one event (its buffered line plus data) to @p max_bytes (default
 *  16 MiB). @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (0 or NULL). */
OAI_API oai_status oai_sse_set_max_event_size(oai_sse *sse, size_t max_bytes);
/**
 * Feeds bytes, dispatching every event they complete.
 * @return ::OAI_OK; ::OAI_ERR_PROTOCOL (an event over the size limit; the
 *         decoder then refuses further input); ::OAI_ERR_CANCELLED (the
 *         callback returned non-zero); ::OAI_ERR_OUT_OF_MEMORY;
 *         ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_status oai_sse_feed(oai_sse *sse, const char *bytes, size_t len);
/** Signals the end of input: an event left without its closing blank line
 *  is dispatched. @return as oai_sse_feed(). */
OAI_API oai_status oai_sse_finish(oai_sse *sse);
/** The value of the last `retry` field, or -1. */
OAI_API int64_t oai_sse_retry_ms(const oai_sse *sse);
/** @} */

/**
 * @name Stream accumulator (sans-I/O)
 * Turns the SSE events of a chat, completions or Responses stream into typed
 * ::oai_event deltas and accumulates them into the final object. The engine
 * uses it for oai_request_set_event_callback(); programs with their own HTTP stack can
 * use it directly.
 * @{ */

/** A stream accumulator. */
typedef struct oai_stream oai_stream;

/** Which API produced the stream. */
typedef enum oai_stream_kind {
    OAI_STREAM_CHAT = 1,       /**< `/chat/completions` chunks. */
    OAI_STREAM_COMPLETION = 2, /**< `/completions` (legacy) chunks. */
    OAI_STREAM_RESPONSES = 3   /**< `/responses` typed events. */
} oai_stream_kind;

/** Creates an accumulator for a stream of @p kind (an ::oai_stream_kind),
 *  calling @p fn (may be NULL) with each typed event. NULL only when memory
 *  ran out: an unknown kind gives a failed stream, whose oai_stream_status()
 *  and oai_stream_error_message() say so and whose feeds, finish and
 *  setters return ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_stream *oai_stream_new(int kind, oai_event_fn fn, void *userdata);
/** Frees an accumulator and everything borrowed from it. NULL is a no-op. */
OAI_API void oai_stream_free(oai_stream *s);
/** Turns accumulation on (default) or off; off, memory stays flat and the
 *  result is only the last chunk. Call it before the first feed.
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL, or after a feed). */
OAI_API oai_status oai_stream_set_accumulate(oai_stream *s, int enabled);
/** Limits the number of choices and of tool calls per choice (default 128
 *  each); exceeding them is ::OAI_ERR_PROTOCOL.
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_stream_set_limits(oai_stream *s, int max_choices, int max_tool_calls);
/** Limits the bytes the accumulated result may hold (text, refusals,
 *  reasoning, tool-call arguments, logprobs; default 256 MiB, 0: no limit);
 *  exceeding it ends the stream with ::OAI_ERR_TOO_LARGE, memory staying
 *  near the limit. The engine sets it to the client's
 *  oai_client_set_max_response_bytes(). Without accumulation nothing grows
 *  and the limit does not apply.
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL, negative). */
OAI_API oai_status oai_stream_set_max_bytes(oai_stream *s, int64_t max_bytes);
/**
 * Feeds one decoded SSE event.
 * @param event the SSE event name, or NULL
 * @param data the event's data, @p len bytes
 * @return ::OAI_OK; ::OAI_ERR_CANCELLED (the event callback returned non-zero);
 *         ::OAI_ERR_PROTOCOL (non-JSON data, data after `[DONE]`, a limit);
 *         the error's class (usually ::OAI_ERR_API) when the server streamed
 *         an error; ::OAI_ERR_OUT_OF_MEMORY. After an error the stream is
 *         finished and further feeds return the same status.
 */
OAI_API oai_status oai_stream_feed_event(oai_stream *s, const char *event, const char *data, size_t len);
/** Feeds raw event-stream bytes through a built-in SSE decoder.
 *  @return as oai_stream_feed_event(). */
OAI_API oai_status oai_stream_feed(oai_stream *s, const char *bytes, size_t len);
/**
 * Signals the end of input. A chat or completions stream that ended with
 * neither `[DONE]` nor a finish reason, or a Responses stream without a
 * terminal event, is truncated: ::OAI_ERR_PROTOCOL.
 * @return ::OAI_OK or the stream's error status.
 */
OAI_API oai_status oai_stream_finish(oai_stream *s);
/** 1 once the stream ended (`[DONE]`, a terminal event, or an error). */
OAI_API int oai_stream_is_done(const oai_stream *s);
/** The accumulated object (the shape of a non-streamed response), borrowed
 *  from the stream until its next feed, finish or free; NULL before the
 *  first chunk or when memory ran out. */
OAI_API const oai_value *oai_stream_result(const oai_stream *s);
/** The accumulated generated text of choice 0 (or of the Responses output),
 *  borrowed like oai_stream_result(), or NULL. */
OAI_API const char *oai_stream_text(const oai_stream *s);
/** The stream's error status (::OAI_OK if none). */
OAI_API oai_status oai_stream_status(const oai_stream *s);
/** The error object the server streamed (`{"message","type","code","param"}`),
 *  or NULL. */
OAI_API const oai_value *oai_stream_error(const oai_stream *s);
/** A description of the stream's error (the server's message, or why the
 *  stream was malformed), or NULL. */
OAI_API const char *oai_stream_error_message(const oai_stream *s);
/** @} */

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Structured outputs, tool calls and the tool loop
 *  Ask for JSON that follows a schema and read it back parsed; read the
 *  tool calls of a reply; let the library answer tool calls in a loop.
 *  Every reader works on a plain response and on a streamed one (its
 *  accumulated result) alike, for chat completions and the Responses API.
 *  What they parse is kept in the response's own JSON, where the official
 *  Python SDK puts it (`/choices/0/message/parsed`, `/output_parsed`, a
 *  tool call's `parsed_arguments`), and lives as long as the response.
 *  @{ */

/**
 * Asks for structured output that follows a JSON Schema: on a chat request
 * sets `/response_format` to
 * `{"type":"json_schema","json_schema":{"name","schema","strict"}}`; on a
 * Responses API request (path `/responses`) sets `/text/format` to
 * `{"type":"json_schema","name","schema","strict"}`. Replaces an earlier
 * format. Read the answer with oai_response_parsed().
 * @param name the schema's name: 1 to 64 of `a-z A-Z 0-9 _ -`
 * @param schema_json the schema, a JSON object as text
 * @param strict non-zero: `"strict": true` (the model must follow the
 *        schema exactly; the API then requires every property listed in
 *        `required` and `"additionalProperties": false`)
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT (NULL request, a bad name,
 *         a schema that is not a JSON object); ::OAI_ERR_OUT_OF_MEMORY; a
 *         failed request's sticky status.
 */
OAI_API oai_status oai_request_set_json_schema(oai_request *req, const char *name, const char *schema_json, int strict);

/** As oai_request_set_json_schema(), with the schema as a value (copied),
 *  e.g. one read from another document. */
OAI_API oai_status oai_request_set_json_schema_value(oai_request *req, const char *name, const oai_value *schema, int strict);

/**
 * The reply's text parsed as JSON (structured outputs): the text of
 * oai_response_text() (`choices[0].message.content`, or a Responses
 * result's output text), parsed once and kept in the response, borrowed
 * from it. NULL when there is none: oai_response_parsed_status() says why.
 */
OAI_API const oai_value *oai_response_parsed(const oai_response *res);

/**
 * Why oai_response_parsed() is NULL, or ::OAI_OK when it is not.
 * @return ::OAI_OK; the response's own status when it failed;
 *         ::OAI_ERR_TYPE when the reply has no text to parse (the model
 *         refused: see oai_response_refusal(); or it only calls tools);
 *         ::OAI_ERR_PROTOCOL when the text is not valid JSON (a reply cut
 *         off at the token limit, a model that ignored the format);
 *         ::OAI_ERR_OUT_OF_MEMORY; ::OAI_ERR_INVALID_ARGUMENT for NULL.
 */
OAI_API oai_status oai_response_parsed_status(const oai_response *res);

/** A one-line English description of oai_response_parsed_status() when it
 *  is not ::OAI_OK (borrowed from the response, or static), else NULL. */
OAI_API const char *oai_response_parsed_error_message(const oai_response *res);

/** The refusal text when the model refused: `choices[0].message.refusal`,
 *  or the first `refusal` part of a Responses result's output; NULL when
 *  it did not refuse. */
OAI_API const char *oai_response_refusal(const oai_response *res);

/** The number of tool calls in the reply: `choices[0].message.tool_calls`
 *  of a chat completion, or the `function_call` items of a Responses
 *  result's output; 0 when none. */
OAI_API size_t oai_response_tool_call_count(const oai_response *res);
/** The id of tool call @p index: the id its result is sent back with
 *  (chat: `id`; Responses: `call_id`), or NULL. */
OAI_API const char *oai_response_tool_call_id(const oai_response *res, size_t index);
/** The function name of tool call @p index, or NULL. */
OAI_API const char *oai_response_tool_call_name(const oai_response *res, size_t index);
/** The arguments of tool call @p index as the model wrote them (JSON text,
 *  not checked), or NULL. */
OAI_API const char *oai_response_tool_call_arguments(const oai_response *res, size_t index);
/** The arguments of tool call @p index parsed (once; kept in the response
 *  beside them as `parsed_arguments`), or NULL:
 *  oai_response_tool_call_arguments_status() says why. */
OAI_API const oai_value *oai_response_tool_call_arguments_json(const oai_response *res, size_t index);
/** Why oai_response_tool_call_arguments_json() is NULL, or ::OAI_OK.
 *  @return ::OAI_OK; ::OAI_ERR_PROTOCOL (the arguments are not valid
 *  JSON); ::OAI_ERR_TYPE (the call has no arguments text);
 *  ::OAI_ERR_INVALID_ARGUMENT (NULL response, no call at @p index);
 *  ::OAI_ERR_OUT_OF_MEMORY. */
OAI_API oai_status oai_response_tool_call_arguments_status(const oai_response *res, size_t index);

/**
 * Appends a reply to a conversation, to send it on: on a chat request the
 * reply's message (`choices[0].message`: role, content, refusal and the
 * tool calls' id, type, name and arguments; nothing else, since servers
 * refuse fields they do not take back) to `messages`; on a Responses
 * request (path `/responses`) the reply's output items to `input`, a
 * string `input` becoming a user message first. Follow it with one
 * oai_request_add_tool_output() per tool call. Done whole or not at all.
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT (NULL arguments, a failed
 *         response, a response with no reply of the request's kind);
 *         ::OAI_ERR_OUT_OF_MEMORY; a failed request's sticky status.
 */
OAI_API oai_status oai_request_add_reply(oai_request *req, const oai_response *res);

/**
 * Appends the result of a tool call: on a chat request
 * `{"role":"tool","tool_call_id","content"}` to `messages` (as
 * oai_chat_request_add_tool_result()); on a Responses request
 * `{"type":"function_call_output","call_id","output"}` to `input`.
 * @param call_id oai_response_tool_call_id() of the call answered
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT (NULL or empty id, NULL
 *         output, text that is not UTF-8); ::OAI_ERR_OUT_OF_MEMORY; a
 *         failed request's sticky status.
 */
OAI_API oai_status oai_request_add_tool_output(oai_request *req, const char *call_id, const char *output);

/**
 * Answers one tool call of the tool loop (oai_client_send_with_tools()).
 * Runs on the client's thread inside the library call that drives the
 * loop: it must not send, poll or free on the same client (use another
 * client for work of its own).
 * @param userdata the pointer given with the function
 * @param id the call's id; @p name the function's name; @p arguments its
 *        arguments as the model wrote them (JSON text, not checked: parse
 *        it yourself and return an error text the model can read when it
 *        is wrong). All three valid during the call only.
 * @return the result text sent back to the model (copied at once: it need
 *         only stay valid until the function is called again or the loop
 *         ends); NULL stops the loop (::OAI_ERR_CANCELLED).
 */
typedef const char *(*oai_tool_fn)(void *userdata, const char *id, const char *name, const char *arguments);

/**
 * The tool loop: sends @p req (a chat or Responses request that offers
 * tools), and while the reply calls tools, answers each call with @p fn
 * (non-NULL here; its pull form, for hosts that take no callback, is
 * oai_client_start_send_with_tools() with oai_call_answer_tool()),
 * appends the assistant's turn and one result per call to the
 * conversation (chat: the assistant message with its `tool_calls` and a
 * `tool` message per call; Responses: the output items and a
 * `function_call_output` per call, `input` becoming a list), and sends it
 * again; until the model answers without calling tools, or @p max_steps
 * requests were sent. @p req is not changed. Each request goes through the
 * retry policy; a streamed request streams every step (its event callback
 * sees every step's events). It is oai_client_start_send_with_tools() plus
 * a wait, so it refuses (::OAI_ERR_INVALID_ARGUMENT) where oai_client_send()
 * does.
 * @param max_steps the most requests to send (1 to 1000; 0: 10)
 * @return the last reply: the model's answer; or, when it still called
 *         tools after @p max_steps requests, that reply carrying
 *         ::OAI_ERR_TOO_LARGE ("the tool loop reached its limit of N
 *         steps"; its tool calls stay readable); or the failure of a step
 *         (::OAI_ERR_PROTOCOL for a tool call without an id or name,
 *         ::OAI_ERR_CANCELLED when @p fn returned NULL; the error of a
 *         request); a failed request's own status; and
 *         ::OAI_ERR_INVALID_ARGUMENT for a NULL client or request, a NULL
 *         @p fn, a @p max_steps out of range. NULL only when memory ran
 *         out.
 */
OAI_API oai_response *oai_client_send_with_tools(oai_client *client, const oai_request *req, int max_steps, oai_tool_fn fn, void *userdata);

/**
 * The tool loop without blocking: the asynchronous form of
 * oai_client_send_with_tools(), a workflow on the engine driven like any
 * call (oai_client_poll(), an event loop, or a blocking wait on the same
 * client); @p tool_fn runs inside those.
 *
 * **The pull form**: with a NULL @p tool_fn no C function answers; each
 * tool call of a reply becomes an ::OAI_EVENT_TOOL_CALL event whose JSON
 * is `{"step":S,"index":I,"id","name","arguments"}` (read it with
 * oai_event_get_string(ev, "/id"), "/name", "/arguments"; the streaming
 * accessors oai_event_tool_id() and oai_event_tool_name() are NULL for
 * it), and the loop waits until the host has answered every call of the
 * step with oai_call_answer_tool(); the last answer sends the next step.
 * A host (an FFI binding, a game loop) then drives the whole loop without
 * any C→host callback: start with NULL callbacks, poll, pull events,
 * answer, take the response (docs/embedding.md). Cancel the call to give
 * up on a step.
 *
 * Events (to @p event_fn, or with NULL to oai_call_next_event()): with a
 * tool function, one ::OAI_EVENT_ITEM per tool call answered, its JSON
 * `{"step":S,"id","name","arguments","output"}` (S from 1); in the pull
 * form, the ::OAI_EVENT_TOOL_CALL events above. A request that streams
 * with no event callback of its own (oai_request_set_stream()) adds each
 * step's typed events (text deltas, usage, ...), before that step's tool
 * calls, as a streamed call gives them but for the step's own
 * ::OAI_EVENT_DONE and its tool-call fragments; pulled, within the pull
 * queue's bound (the step's exchange pauses while the host falls behind).
 * Last, when the loop ends
 * by itself after sending a request, one ::OAI_EVENT_DONE whose JSON is
 * `{"steps":N,"request":BODY}`: the conversation as the loop last sent it
 * (continue it with oai_request_set_json(req, "", ...) on a new request,
 * then oai_request_add_reply() with the final response). An event
 * callback returning non-zero (but for ::OAI_EVENT_DONE) stops the loop
 * (::OAI_ERR_CANCELLED). The response (to @p fn, or
 * oai_call_take_response()) is what oai_client_send_with_tools() returns;
 * a reply with two tool calls of one id ends the pull form with
 * ::OAI_ERR_PROTOCOL. Threading: the client's thread.
 * @return a call owned by the caller until oai_call_free(); NULL for a
 *         NULL client or request, or when memory ran out. Bad arguments
 *         give a call that ends with ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_call *oai_client_start_send_with_tools(oai_client *client, const oai_request *req, int max_steps, oai_tool_fn tool_fn, void *tool_userdata, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);

/**
 * Answers one tool call of a tool loop started in the pull form
 * (oai_client_start_send_with_tools() with a NULL tool function): @p output
 * is the result sent back to the model for the call whose id is
 * @p tool_call_id (the `/id` of its ::OAI_EVENT_TOOL_CALL event). Answers
 * may come in any order, at any time (between polls, or from an event
 * callback); when the last call of the step is answered, the next request
 * goes out (started as oai_client_start() starts one: the next poll, or
 * the event loop's timer, carries it on). Threading: the client's thread,
 * not inside another thread's use of the client.
 * @param output the result text, UTF-8 (copied)
 * @return ::OAI_OK (the answer is kept; on the step's last answer, the
 *         next request was started); ::OAI_ERR_NOT_FOUND when no call of
 *         the current step has this id; ::OAI_ERR_CONFLICT when that call
 *         was answered already; ::OAI_ERR_INVALID_ARGUMENT for NULL
 *         arguments, text that is not UTF-8, or a call that is not a tool
 *         loop in the pull form still running (it has a tool function, or
 *         it ended: done, cancelled, freed); ::OAI_ERR_OUT_OF_MEMORY (the
 *         answer is then not kept: give it again). Never changes a call on
 *         a failure.
 */
OAI_API oai_status oai_call_answer_tool(oai_call *call, const char *tool_call_id, const char *output);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Files
 *  Helpers for `/files`. Use oai_request_set_query() for list parameters
 *  (`after`, `limit`, `order`, `purpose`) and oai_request_set_output_file()
 *  to stream a download to disk.
 *  @{ */

/**
 * `POST /files` as multipart/form-data: the field `purpose` and the file at
 * @p path, streamed from disk when sent (never read whole into memory; a
 * retry re-reads it from the start). Add an expiry with
 * oai_request_add_form_field(req, "expires_after[anchor]", "created_at") and
 * oai_request_add_form_field(req, "expires_after[seconds]", "86400").
 * @param purpose `fine-tune`, `batch`, `assistants`, `vision`, `user_data` or `evals`
 * @return a new request; NULL only when memory ran out. A file that cannot
 *         be opened gives a request failed with ::OAI_ERR_IO, a bad argument
 *         one failed with ::OAI_ERR_INVALID_ARGUMENT (oai_request_status()).
 */
OAI_API oai_request *oai_file_create_request_new(const char *path, const char *purpose);

/** `POST /files` with the file's @p len bytes taken (copied) from memory and
 *  sent as @p filename. */
OAI_API oai_request *oai_file_create_from_data_request_new(const void *data, size_t len, const char *filename, const char *purpose);

/** `GET /files`. */
OAI_API oai_request *oai_file_list_request_new(void);
/** `GET /files/{id}`. */
OAI_API oai_request *oai_file_retrieve_request_new(const char *file_id);
/** `DELETE /files/{id}`. */
OAI_API oai_request *oai_file_delete_request_new(const char *file_id);
/** `GET /files/{id}/content`; the body is the file's bytes (combine with
 *  oai_request_set_output_file() for large files). */
OAI_API oai_request *oai_file_retrieve_content_request_new(const char *file_id);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Large uploads (the Uploads API)
 *  A file of up to 8 GB is sent as parts of at most 64 MiB: create an upload,
 *  add parts, complete it with the ordered part ids and the file's MD5.
 *  @{ */

/** `POST /uploads` with `filename`, `purpose`, `bytes` and `mime_type`. */
OAI_API oai_request *oai_upload_create_request_new(const char *filename, const char *purpose, int64_t bytes, const char *mime_type);
/** `POST /uploads/{id}/parts`: the multipart field `data` holds @p length
 *  bytes of the file at @p path from @p offset, streamed from disk. */
OAI_API oai_request *oai_upload_add_part_request_new(const char *upload_id, const char *path, int64_t offset, int64_t length);
/** `POST /uploads/{id}/complete` with the ordered `part_ids` and, when
 *  @p md5_hex is not NULL, `md5`. */
OAI_API oai_request *oai_upload_complete_request_new(const char *upload_id, const char *const *part_ids, size_t part_count, const char *md5_hex);
/** `POST /uploads/{id}/cancel`. */
OAI_API oai_request *oai_upload_cancel_request_new(const char *upload_id);

/** A resumable large upload of one file. */
typedef struct oai_large_upload oai_large_upload;

/**
 * Prepares a large upload of the file at @p path (nothing is sent yet).
 * @param mime_type e.g. "application/jsonl"; NULL for
 *        "application/octet-stream"
 * @return a new handle (oai_large_upload_free()); NULL only when memory ran
 *         out. A bad argument or a file that cannot be read gives a failed
 *         handle (oai_large_upload_status()), whose oai_large_upload_run()
 *         answers with that status and message. The client must outlive
 *         its use; oai_large_upload_free() alone may come after
 *         oai_client_free() (as oai_call_free() may), so a garbage
 *         collector may finalize the two in any order.
 */
OAI_API oai_large_upload *oai_large_upload_new(oai_client *client, const char *path, const char *purpose, const char *mime_type);
/** Frees the handle (not the server-side upload), before or after its
 *  client; a running oai_large_upload_start() call ends with
 *  ::OAI_ERR_CANCELLED. NULL is a no-op. */
OAI_API void oai_large_upload_free(oai_large_upload *up);
/** The handle's sticky status: ::OAI_OK, or why oai_large_upload_new()
 *  failed (::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_IO).
 *  ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_large_upload_status(const oai_large_upload *up);
/** Why oai_large_upload_new() failed (borrowed), or NULL. */
OAI_API const char *oai_large_upload_error_message(const oai_large_upload *up);
/** Sets the part size (default 64 MiB; at least 1 byte, at most 64 MiB).
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_large_upload_set_part_size(oai_large_upload *up, int64_t part_size);
/** Reports bytes of the file sent so far (received/receive_total are 0);
 *  returning non-zero cancels. @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_large_upload_set_progress_callback(oai_large_upload *up, oai_progress_fn fn, void *userdata);
/**
 * Resumes an upload that was interrupted: @p upload_id is the id of the
 * upload created earlier and @p part_ids the ids of its parts already
 * accepted, in file order (parts are cut at multiples of the part size, so
 * use the same part size as before). oai_large_upload_run() then sends only
 * the remaining parts.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT, ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_large_upload_resume(oai_large_upload *up, const char *upload_id, const char *const *part_ids, size_t part_count);
/**
 * Runs the upload to its end, blocking: creates it (unless resumed), sends
 * each remaining part (each part retried alone per the retry policy),
 * computes the file's MD5 and completes it. It is oai_large_upload_start()
 * plus a wait, so it refuses (::OAI_ERR_INVALID_ARGUMENT) where
 * oai_client_send() does: in event-loop mode and inside the client's
 * callbacks; and while a call of oai_large_upload_start() runs the upload.
 * @return the response of the last request made: on success the completed
 *         Upload object, whose `/file/id` is the new file's id. After a
 *         failure, oai_large_upload_id() and oai_large_upload_part_id() tell
 *         what to pass to oai_large_upload_resume(). NULL only when memory
 *         ran out.
 */
OAI_API oai_response *oai_large_upload_run(oai_large_upload *up);
/**
 * Starts the upload without waiting: the asynchronous form of
 * oai_large_upload_run(), driven like any call (oai_client_poll(), an
 * event loop, or a blocking wait on the same client). The MD5 is computed
 * a slice per poll while the parts are sent.
 *
 * Events (to @p event_fn, or with NULL to oai_call_next_event()): one
 * ::OAI_EVENT_PROGRESS per part accepted, whose oai_event_json() is
 * `{"done":BYTES,"total":SIZE}` (bytes of the file accepted so far). The
 * handle's progress callback (oai_large_upload_set_progress_callback())
 * still reports the bytes sent as they go. An event callback returning
 * non-zero ends the upload with ::OAI_ERR_CANCELLED.
 *
 * The response (to @p fn, or oai_call_take_response()) is what
 * oai_large_upload_run() returns: the completed Upload object, or the
 * failure. While the call runs, the handle's accessors show its progress;
 * oai_large_upload_resume(), oai_large_upload_set_part_size(),
 * oai_large_upload_run() and another start are refused. Freeing the handle
 * cancels the call (it ends with ::OAI_ERR_CANCELLED); cancelling or
 * freeing the call leaves the upload resumable as after a failure.
 * Threading: the client's thread.
 * @param fn called once when the upload ends, with its response; NULL:
 *        the response waits in the call
 * @param event_fn receives the progress events; NULL: they queue in the
 *        call
 * @return a call owned by the caller until oai_call_free(); NULL only for
 *         a NULL handle, one made without a client (no client, no call), or
 *         when memory ran out. A failed handle (oai_large_upload_status())
 *         gives a call that ends with its status, and one already running a
 *         call that ends with ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_call *oai_large_upload_start(oai_large_upload *up, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);
/** The upload's id once created (borrowed), or NULL. */
OAI_API const char *oai_large_upload_id(const oai_large_upload *up);
/** The number of parts accepted so far. */
OAI_API size_t oai_large_upload_part_count(const oai_large_upload *up);
/** The id of accepted part @p index (borrowed), or NULL. */
OAI_API const char *oai_large_upload_part_id(const oai_large_upload *up, size_t index);

/**
 * Uploads a large file in one call: oai_large_upload_new(),
 * oai_large_upload_set_progress_callback(), oai_large_upload_run(),
 * oai_large_upload_free().
 * @return as oai_large_upload_run(); NULL only when memory ran out.
 */
OAI_API oai_response *oai_client_upload_large_file(oai_client *client, const char *path, const char *purpose, const char *mime_type, oai_progress_fn progress, void *userdata);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Pagination
 *  @{ */

/** Walks every item of a cursor-paginated list. */
typedef struct oai_pager oai_pager;

/**
 * Creates a pager over a list request (e.g. oai_file_list_request_new()).
 * Pages are fetched on demand, each as a call of the client (so with the
 * retry policy); the next page repeats the request with `after` set to the page's
 * `last_id`, or else to the last item's `id`. Only `has_more: true` asks
 * for another page: a false or missing `has_more` (a one-page list such as
 * `/models`), an empty `data` or a missing cursor ends the list. A cursor
 * that was already sent (a server that ignores `after`) ends the walk with
 * ::OAI_ERR_PROTOCOL instead of fetching the same pages forever. A `limit`
 * query parameter on the request sets the page size.
 * @return a new pager (the request is copied; the client must outlive its
 *         use, though oai_pager_free() alone may come after
 *         oai_client_free()); NULL only when memory ran out. A NULL client or request,
 *         or a failed request (oai_request_status()), gives a failed pager:
 *         oai_pager_status() and every oai_pager_next() return that status,
 *         and oai_pager_response() is a response carrying it.
 */
OAI_API oai_pager *oai_pager_new(oai_client *client, const oai_request *list_request);
/** Frees the pager and the items borrowed from it, before or after its
 *  client; a running oai_pager_start() call ends with ::OAI_ERR_CANCELLED.
 *  NULL is a no-op. */
OAI_API void oai_pager_free(oai_pager *pager);
/** The pager's sticky status: ::OAI_OK, or why oai_pager_new() failed.
 *  ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_pager_status(const oai_pager *pager);
/** Why oai_pager_new() failed (borrowed), or NULL. */
OAI_API const char *oai_pager_error_message(const oai_pager *pager);
/** Stops after @p max_items items in all (0, the default: no limit).
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT. */
OAI_API oai_status oai_pager_set_max_items(oai_pager *pager, size_t max_items);
/**
 * Gives the next item, blocking while a page is fetched (the workflow of
 * oai_pager_start() run up to the next item, plus a wait: it refuses with
 * ::OAI_ERR_INVALID_ARGUMENT where oai_client_send() does, in event-loop
 * mode and inside the client's callbacks).
 * @param item receives the item, borrowed from the pager and valid until the
 *        next call or oai_pager_free(); NULL at the end of the list
 * @return ::OAI_OK (check *item), the status of a failed page fetch (see
 *         oai_pager_response(); calling again retries that page), or
 *         ::OAI_ERR_PROTOCOL when the cursor did not advance (for good: the
 *         response's message says which cursor repeated);
 *         ::OAI_ERR_INVALID_ARGUMENT while a call of oai_pager_start()
 *         walks the pager.
 */
OAI_API oai_status oai_pager_next(oai_pager *pager, const oai_value **item);
/** The response of the last page fetched (borrowed), or NULL. */
OAI_API const oai_response *oai_pager_response(const oai_pager *pager);
/**
 * Walks the rest of the list without waiting: the asynchronous form of
 * oai_pager_next(), driven like any call (oai_client_poll(), an event
 * loop, or a blocking wait on the same client). The walk starts where the
 * pager stands (after the items oai_pager_next() gave) and follows the
 * same rules (cursor, stop rules, oai_pager_set_max_items()).
 *
 * Events (to @p event_fn, or with NULL to oai_call_next_event()): one
 * ::OAI_EVENT_ITEM per item, in order, whose oai_event_json() is the item
 * (with a callback, valid during the callback; pulled, until the next call
 * on the call). At most 64 are handed out per poll, fewer once the poll's
 * budget (oai_client_set_poll_budget_us()) is spent. An event callback
 * returning non-zero ends the walk with ::OAI_ERR_CANCELLED. Pulled items
 * wait in the call's queue; when 1024 wait, the walk pauses (no item is
 * dropped and no page fetched) until the host has taken half of them.
 *
 * The response (to @p fn, or oai_call_take_response()) is a copy of the
 * last page fetched (the pager keeps its own, oai_pager_response()), or the
 * failure that ended the walk (a page's, after the retry policy gave up;
 * ::OAI_ERR_PROTOCOL for a repeated cursor). A later oai_pager_start() or
 * oai_pager_next() goes on from there (after a failed page: that page
 * again).
 *
 * While the call runs, oai_pager_next() and another start are refused;
 * freeing the pager cancels the call (it ends with ::OAI_ERR_CANCELLED).
 * Threading: the client's thread.
 * @param fn called once when the walk ends, with its response; NULL: the
 *        response waits in the call
 * @param event_fn receives the items; NULL: they queue in the call
 * @return a call owned by the caller until oai_call_free(); NULL only for
 *         a NULL pager, one made without a client (no client, no call), or
 *         when memory ran out. A failed pager gives a call that ends with
 *         its status, and one already walking a call that ends with
 *         ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_call *oai_pager_start(oai_pager *pager, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Training data validation (local, no network)
 *  @{ */

/** The format of a fine-tuning training file. */
typedef enum oai_training_format {
    OAI_TRAINING_CHAT = 1,       /**< `{"messages": [...], "tools"?: [...]}` per line. */
    OAI_TRAINING_PREFERENCE = 2, /**< DPO: `input`, `preferred_output`, `non_preferred_output`. */
    OAI_TRAINING_COMPLETION = 3  /**< Legacy `{"prompt": ..., "completion": ...}`. */
} oai_training_format;

/** The outcome of validating a training file: problems and statistics. */
typedef struct oai_training_report oai_training_report;

/**
 * Validates a JSONL training file line by line, in bounded memory, and
 * returns the report.
 * @param format an ::oai_training_format
 * @param context_limit tokens allowed per example (0: do not check)
 * @return a new report (oai_training_report_free()); NULL only when memory
 *         ran out. oai_training_report_status() tells the outcome.
 */
OAI_API oai_training_report *oai_training_report_new(const char *path, int format, int64_t context_limit);
/** The same on @p len bytes in memory. */
OAI_API oai_training_report *oai_training_report_buffer_new(const char *data, size_t len, int format, int64_t context_limit);
/** Frees a report. NULL is a no-op. */
OAI_API void oai_training_report_free(oai_training_report *report);
/**
 * The outcome: ::OAI_OK when the data is valid, ::OAI_ERR_INVALID_DATA when
 * the report lists problems; or the sticky status of a report that could
 * not be made, which then holds no problem and no statistic: ::OAI_ERR_IO
 * (the file cannot be read), ::OAI_ERR_INVALID_ARGUMENT (a NULL path, an
 * unknown format, a negative context limit), ::OAI_ERR_OUT_OF_MEMORY
 * (memory ran out during the validation). ::OAI_ERR_INVALID_ARGUMENT for
 * NULL.
 */
OAI_API oai_status oai_training_report_status(const oai_training_report *report);
/** A one-line description of a status other than ::OAI_OK (e.g. "3
 *  problems; the first, line 2: ..."; or "cannot open data.jsonl: No such
 *  file or directory"), borrowed from the report; NULL when valid. */
OAI_API const char *oai_training_report_error_message(const oai_training_report *report);
/** 1 when the data was read and no problem was found, else 0. */
OAI_API int oai_training_report_is_valid(const oai_training_report *report);
/** The number of problems kept in the report (each line may have several;
 *  at most the first 1000 are kept, see the "problems_total" statistic). */
OAI_API size_t oai_training_report_problem_count(const oai_training_report *report);
/** The 1-based line of problem @p index, or 0 for a whole-file problem. */
OAI_API int64_t oai_training_report_problem_line(const oai_training_report *report, size_t index);
/** A short stable code of problem @p index, e.g. "invalid_json", "unknown_role". */
OAI_API const char *oai_training_report_problem_code(const oai_training_report *report, size_t index);
/** The human-readable reason of problem @p index (borrowed), or NULL. */
OAI_API const char *oai_training_report_problem_message(const oai_training_report *report, size_t index);
/** The number of examples (non-blank lines). */
OAI_API int64_t oai_training_report_example_count(const oai_training_report *report);
/** The statistic named @p name, or 0: "examples", "lines",
 *  "messages_min", "messages_max", "messages_total", "characters",
 *  "tokens_estimated", "tokens_max", "examples_over_context",
 *  "assistant_messages", "problems_total"; and "tokens_total" (the same as
 *  "tokens_estimated"), "tokens_exact" (1 when counted with a tokenizer:
 *  oai_training_report_exact_new()), "billed_tokens_per_epoch", "epochs",
 *  "billed_tokens" (docs/tokens.md). */
OAI_API int64_t oai_training_report_stat(const oai_training_report *report, const char *name);
/** The whole report as JSON text (owned by the caller: oai_free()), or NULL. */
OAI_API char *oai_training_report_json_dup(const oai_training_report *report);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Token counts (local, no network)
 *  Exact token counts with OpenAI's `o200k_base` (GPT-4o, GPT-4.1, o1, o3,
 *  o4-mini) and `cl100k_base` (GPT-4, GPT-3.5 Turbo, text-embedding-3)
 *  encodings, identical to tiktoken's. The vocabularies are files (the
 *  `.tiktoken` format, one `BASE64 RANK` a line) installed with the
 *  library; docs/tokens.md tells how they are made and found. A tokenizer
 *  is read-only once made except for its options: use it from one thread
 *  at a time, or one per thread.
 *  @{ */

/** A loaded encoding: its vocabulary and its rules. */
typedef struct oai_tokenizer oai_tokenizer;

/** How text that spells a special token (`<|endoftext|>`) is counted. */
typedef enum oai_tokenizer_special {
    /** As ordinary text, like tiktoken's encode_ordinary() (the default). */
    OAI_TOKENIZER_SPECIAL_ORDINARY = 0,
    /** As the one special token, like encode(text, allowed_special="all"). */
    OAI_TOKENIZER_SPECIAL_ALLOWED = 1,
    /** Refused with ::OAI_ERR_INVALID_ARGUMENT, like encode(text). */
    OAI_TOKENIZER_SPECIAL_DISALLOWED = 2
} oai_tokenizer_special;

/**
 * Loads an encoding from a vocabulary file.
 * @param encoding "o200k_base" or "cl100k_base" (its pattern and special
 *        tokens are built in; the file holds its ranks)
 * @param path the `.tiktoken` file; NULL: `ENCODING.tiktoken` in the
 *        directory `$OAI_VOCAB_DIR`, else the install directory
 *        (`DATADIR/oai`, where `cmake --install` puts both files)
 * @return the tokenizer (oai_tokenizer_free()); NULL only when memory ran
 *         out. Its sticky status: ::OAI_ERR_INVALID_ARGUMENT (unknown
 *         encoding), ::OAI_ERR_IO (the file cannot be read),
 *         ::OAI_ERR_INVALID_DATA (not a vocabulary, or another encoding's:
 *         the message names the line), ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_tokenizer *oai_tokenizer_new(const char *encoding, const char *path);
/**
 * Loads the encoding a model uses, by tiktoken's model table: "gpt-4o",
 * "gpt-4o-mini", "gpt-4.1*", "o1*", "o3*", "o4-mini*", "gpt-5*" and their
 * fine-tunes (`ft:gpt-4o...`) use o200k_base; "gpt-4*", "gpt-3.5-turbo*",
 * "text-embedding-3-*", "text-embedding-ada-002" use cl100k_base.
 * @param vocab_dir the directory of the `.tiktoken` files, or NULL for the
 *        default of oai_tokenizer_new()
 * @return as oai_tokenizer_new(); ::OAI_ERR_INVALID_ARGUMENT for a model
 *         of no known or of an unsupported encoding.
 */
OAI_API oai_tokenizer *oai_tokenizer_model_new(const char *model, const char *vocab_dir);
/** Frees a tokenizer. NULL is a no-op. */
OAI_API void oai_tokenizer_free(oai_tokenizer *tok);
/** ::OAI_OK, or the sticky status of a tokenizer that could not be made.
 *  ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_tokenizer_status(const oai_tokenizer *tok);
/** Why the tokenizer could not be made, else why the last count failed
 *  (borrowed; never holds the text counted); NULL when nothing failed. */
OAI_API const char *oai_tokenizer_error_message(const oai_tokenizer *tok);
/** The encoding's name ("o200k_base"), or NULL when none was found. */
OAI_API const char *oai_tokenizer_name(const oai_tokenizer *tok);
/** How special-token text is counted: an ::oai_tokenizer_special.
 *  ::OAI_ERR_INVALID_ARGUMENT for another value. */
OAI_API oai_status oai_tokenizer_set_special_tokens(oai_tokenizer *tok, int mode);
/**
 * Counts the tokens of @p len bytes of UTF-8 text (NUL bytes included).
 * Invalid UTF-8 is counted as the text with U+FFFD in place of each invalid
 * sequence (Python's `bytes.decode("utf-8", "replace")`). Time grows as
 * n log n at worst (a megabyte of one repeated character included), memory
 * as n; nothing is allocated for valid text of short pieces.
 * @param count receives the count (0 on failure)
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT (NULL tokenizer or count,
 *         NULL text with a length, a special token under
 *         ::OAI_TOKENIZER_SPECIAL_DISALLOWED, one run above 1 GiB that is a
 *         single piece); ::OAI_ERR_OUT_OF_MEMORY; the sticky status.
 */
OAI_API oai_status oai_tokenizer_count_text(oai_tokenizer *tok, const char *text, size_t len, int64_t *count);
/**
 * Counts the prompt tokens of a chat request's `/messages` the way
 * OpenAI's cookbook does (How_to_count_tokens_with_tiktoken): 3 per
 * message, the tokens of each of its values (role, content, name, ...),
 * 1 more per `name`, and 3 for the priming of the reply. Content parts
 * count their `text`; images, audio and files add nothing; other objects
 * (tool_calls) count as their JSON text. An estimate of what the API
 * bills (tools and response formats are not counted), exact for text
 * messages.
 * @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT (no `/messages` array, a
 *         message that is not an object); a failed request's status; as
 *         oai_tokenizer_count_text().
 */
OAI_API oai_status oai_tokenizer_count_chat(oai_tokenizer *tok, const oai_request *req, int64_t *count);
/** The same for @p len bytes of JSON text holding the messages array.
 *  ::OAI_ERR_INVALID_ARGUMENT when it is not JSON. */
OAI_API oai_status oai_tokenizer_count_messages(oai_tokenizer *tok, const char *json, size_t len, int64_t *count);

/**
 * oai_training_report_new() with exact token counts: each example counted
 * with @p tok by the cookbook's recipe (oai_tokenizer_count_chat(); tools
 * by their JSON text), examples over @p context_limit reported with their
 * exact count, and the statistics "tokens_total", "tokens_max",
 * "billed_tokens_per_epoch" (each example's tokens capped at the context
 * limit, summed), "epochs" (the default for `n_epochs: "auto"`) and
 * "billed_tokens" (their product) exact; "tokens_exact" is 1 and the JSON
 * report says `"token_count": "exact"` and names the encoding. The
 * tokenizer is used during the call only. docs/tokens.md tells the rules.
 * @param tok a tokenizer, or NULL for the estimate (as
 *        oai_training_report_new())
 * @return as oai_training_report_new(); a tokenizer that could not be made
 *         gives a report with ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_training_report *oai_training_report_exact_new(const char *path, int format, int64_t context_limit,
                                                           oai_tokenizer *tok);
/** The same on @p len bytes in memory. */
OAI_API oai_training_report *oai_training_report_buffer_exact_new(const char *data, size_t len, int format,
                                                                  int64_t context_limit, oai_tokenizer *tok);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Fine-tuning
 *  Set optional create parameters by JSON Pointer, e.g.
 *  `oai_request_set_string(req, "/suffix", "mine")`,
 *  `oai_request_set_string(req, "/method/type", "dpo")`,
 *  `oai_request_set_int(req, "/method/dpo/hyperparameters/n_epochs", 3)` or
 *  `oai_request_set_string(req, "/hyperparameters/batch_size", "auto")`.
 *  @{ */

/** `POST /fine_tuning/jobs` with `model` and `training_file`. */
OAI_API oai_request *oai_fine_tuning_job_create_request_new(const char *model, const char *training_file_id);
/** `GET /fine_tuning/jobs`. */
OAI_API oai_request *oai_fine_tuning_job_list_request_new(void);
/** `GET /fine_tuning/jobs/{id}`. */
OAI_API oai_request *oai_fine_tuning_job_retrieve_request_new(const char *job_id);
/** `POST /fine_tuning/jobs/{id}/cancel`. */
OAI_API oai_request *oai_fine_tuning_job_cancel_request_new(const char *job_id);
/** `POST /fine_tuning/jobs/{id}/pause`. */
OAI_API oai_request *oai_fine_tuning_job_pause_request_new(const char *job_id);
/** `POST /fine_tuning/jobs/{id}/resume`. */
OAI_API oai_request *oai_fine_tuning_job_resume_request_new(const char *job_id);
/** `GET /fine_tuning/jobs/{id}/events`. */
OAI_API oai_request *oai_fine_tuning_job_list_events_request_new(const char *job_id);
/** `GET /fine_tuning/jobs/{id}/checkpoints`. */
OAI_API oai_request *oai_fine_tuning_job_list_checkpoints_request_new(const char *job_id);

/**
 * Receives each new event of a followed job once, oldest first.
 * @param userdata the pointer given to oai_client_follow_fine_tuning_job()
 * @param event the event object (`id`, `created_at`, `level`, `message`,
 *        `type`, `data`), valid during the call
 * @return 0 to go on; non-zero stops following (::OAI_ERR_CANCELLED)
 */
typedef int (*oai_job_event_fn)(void *userdata, const oai_value *event);

/**
 * Follows a fine-tuning job until it reaches `succeeded`, `failed` or
 * `cancelled`: every @p poll_interval_ms (minimum 10) it fetches new events
 * (reporting each once) and the job. Waiting happens in the client's engine
 * (a timer, as with oai_client_poll()), so the client's other asynchronous
 * calls progress meanwhile. Each fetch goes through the retry policy. It is
 * oai_client_start_follow_fine_tuning_job() plus a wait, so it refuses
 * (::OAI_ERR_INVALID_ARGUMENT) where oai_client_send() does: in event-loop
 * mode and inside the client's callbacks.
 * @return the last job retrieval's response (its `/status` and
 *         `/fine_tuned_model` tell the outcome), or a response carrying
 *         ::OAI_ERR_CANCELLED when @p fn stopped it. NULL only when memory ran out.
 */
OAI_API oai_response *oai_client_follow_fine_tuning_job(oai_client *client, const char *job_id, int64_t poll_interval_ms, oai_job_event_fn fn, void *userdata);

/**
 * Follows a fine-tuning job without waiting: the asynchronous form of
 * oai_client_follow_fine_tuning_job(), driven like any call
 * (oai_client_poll(), an event loop, or a blocking wait on the same
 * client). The interval between rounds (minimum 10 ms, maximum a day) is a
 * timer of the engine, never a sleep: a frame loop polling with 0 never
 * waits, and a client with a simulated clock (oai_client_set_clock_callback())
 * lets it pass at once.
 *
 * Events (to @p event_fn, or with NULL to oai_call_next_event()): each new
 * event of the job once, oldest first, as an ::OAI_EVENT_ITEM whose
 * oai_event_json() is the event object (`id`, `created_at`, `level`,
 * `message`, `type`, `data`). An event callback returning non-zero stops
 * following: the response is then the job as last seen, carrying
 * ::OAI_ERR_CANCELLED.
 *
 * The response (to @p fn, or oai_call_take_response()) is the last job
 * retrieval (its `/status` and `/fine_tuned_model` tell the outcome), or
 * the failure that ended following (a retrieval's, after the retry policy
 * gave up). Cancelling the call ends it with ::OAI_ERR_CANCELLED (the job
 * itself goes on: cancel it with oai_fine_tuning_job_cancel_request_new()).
 * Threading: the client's thread.
 * @param fn called once when following ends, with its response; NULL: the
 *        response waits in the call
 * @param event_fn receives the job's events; NULL: they queue in the call
 * @return a call owned by the caller until oai_call_free(); NULL for a
 *         NULL client or when memory ran out. An empty @p job_id gives a
 *         call that ends with ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_call *oai_client_start_follow_fine_tuning_job(oai_client *client, const char *job_id, int64_t poll_interval_ms, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Batches
 *  @{ */

/** `POST /batches` with `input_file_id`, `endpoint` (e.g.
 *  "/v1/chat/completions") and `completion_window` (NULL: "24h"). */
OAI_API oai_request *oai_batch_create_request_new(const char *input_file_id, const char *endpoint, const char *completion_window);
/** `GET /batches/{id}`. */
OAI_API oai_request *oai_batch_retrieve_request_new(const char *batch_id);
/** `GET /batches`. */
OAI_API oai_request *oai_batch_list_request_new(void);
/** `POST /batches/{id}/cancel`. */
OAI_API oai_request *oai_batch_cancel_request_new(const char *batch_id);

/**
 * Waits for a batch to end: retrieves it every @p poll_interval_ms
 * (minimum 10, maximum a day) until its status is `completed`, `failed`,
 * `expired` or `cancelled`. Each retrieval goes through the retry policy;
 * waiting happens in the client's engine (a timer), so the client's other
 * asynchronous calls progress meanwhile. It is
 * oai_client_start_wait_for_batch() plus a wait, so it refuses
 * (::OAI_ERR_INVALID_ARGUMENT) where oai_client_send() does: in event-loop
 * mode and inside the client's callbacks.
 * @return the last retrieval's response: the batch, whose `/status` tells
 *         how it ended and whose `/output_file_id` and `/error_file_id`
 *         (oai_response_get_string()) name its result files; or the
 *         failure of a retrieval (::OAI_ERR_NOT_FOUND for an unknown
 *         batch; ::OAI_ERR_PROTOCOL for an answer without a status).
 *         NULL only when memory ran out.
 */
OAI_API oai_response *oai_client_wait_for_batch(oai_client *client, const char *batch_id, int64_t poll_interval_ms);

/**
 * Waits for a batch without blocking: the asynchronous form of
 * oai_client_wait_for_batch(), driven like any call (oai_client_poll(), an
 * event loop, or a blocking wait on the same client). The interval is a
 * timer of the engine, never a sleep.
 *
 * Events (to @p event_fn, or with NULL to oai_call_next_event()): the batch
 * object, as an ::OAI_EVENT_ITEM (oai_event_json()), after the first
 * retrieval and whenever its `status` changes (`validating`,
 * `in_progress`, `finalizing`, ...; the last one is the final status). An
 * event callback returning non-zero stops waiting: the response is then
 * the batch as last seen, carrying ::OAI_ERR_CANCELLED.
 *
 * The response (to @p fn, or oai_call_take_response()) is what
 * oai_client_wait_for_batch() returns. Cancelling the call ends it with
 * ::OAI_ERR_CANCELLED (the batch itself goes on: cancel it with
 * oai_batch_cancel_request_new()). Threading: the client's thread.
 * @param fn called once when waiting ends, with its response; NULL: the
 *        response waits in the call
 * @param event_fn receives the batch's changes; NULL: they queue in the
 *        call
 * @return a call owned by the caller until oai_call_free(); NULL for a
 *         NULL client or when memory ran out. An empty @p batch_id gives
 *         a call that ends with ::OAI_ERR_INVALID_ARGUMENT.
 */
OAI_API oai_call *oai_client_start_wait_for_batch(oai_client *client, const char *batch_id, int64_t poll_interval_ms, oai_done_fn fn, void *userdata, oai_event_fn event_fn, void *event_userdata);

/** Writes a batch input file, one request per line. */
typedef struct oai_batch_writer oai_batch_writer;
/**
 * Creates (or truncates) the JSONL file at @p path.
 * @return a new writer (oai_batch_writer_free()); NULL only when memory ran
 *         out. A NULL or empty path or a file that cannot be created gives a
 *         failed writer (oai_batch_writer_status()): oai_batch_writer_add()
 *         and oai_batch_writer_finish() return its status.
 */
OAI_API oai_batch_writer *oai_batch_writer_new(const char *path);
/**
 * Appends `{"custom_id","method","url":"/v1"+path,"body"}` built from
 * @p req (which is not sent).
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (empty or repeated custom id,
 *         no JSON body, a failed request), ::OAI_ERR_IO,
 *         ::OAI_ERR_OUT_OF_MEMORY; a failed writer's status.
 */
OAI_API oai_status oai_batch_writer_add(oai_batch_writer *w, const char *custom_id, const oai_request *req);
/**
 * Flushes and closes the file; later adds fail with ::OAI_ERR_INVALID_ARGUMENT.
 * Call it before handing the file on: its status is the only one that tells
 * that every line reached the disk.
 * @return ::OAI_OK; ::OAI_ERR_IO when a line could not be written (the file
 *         is incomplete); a failed writer's status;
 *         ::OAI_ERR_INVALID_ARGUMENT for NULL or a second call.
 */
OAI_API oai_status oai_batch_writer_finish(oai_batch_writer *w);
/** Frees the writer, closing the file if oai_batch_writer_finish() did not
 *  (without telling whether every line reached the disk). NULL is a no-op. */
OAI_API void oai_batch_writer_free(oai_batch_writer *w);
/** The writer's status: ::OAI_OK; why oai_batch_writer_new() failed
 *  (::OAI_ERR_IO, ::OAI_ERR_INVALID_ARGUMENT); or ::OAI_ERR_IO once a line
 *  could not be written. ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_batch_writer_status(const oai_batch_writer *w);
/** A description of oai_batch_writer_status() when it is not ::OAI_OK
 *  (borrowed), or NULL. */
OAI_API const char *oai_batch_writer_error_message(const oai_batch_writer *w);

/** Reads a batch output or error file, one result per line. */
typedef struct oai_batch_reader oai_batch_reader;
/**
 * Opens the JSONL file at @p path.
 * @return a new reader (oai_batch_reader_free()); NULL only when memory ran
 *         out. A NULL or empty path or a file that cannot be opened gives a
 *         failed reader (oai_batch_reader_status()): every
 *         oai_batch_reader_next() returns its status.
 */
OAI_API oai_batch_reader *oai_batch_reader_new(const char *path);
/** The reader's sticky status: ::OAI_OK, or why oai_batch_reader_new()
 *  failed (::OAI_ERR_IO, ::OAI_ERR_INVALID_ARGUMENT); the errors of single
 *  lines are not sticky (see oai_batch_reader_next()).
 *  ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_batch_reader_status(const oai_batch_reader *r);
/** Limits one line to @p max_bytes (default 16 MiB, without its line end):
 *  memory holds at most that much, whatever the file holds.
 *  @return ::OAI_OK or ::OAI_ERR_INVALID_ARGUMENT (NULL reader, 0 or negative). */
OAI_API oai_status oai_batch_reader_set_max_line_bytes(oai_batch_reader *r, int64_t max_bytes);
/**
 * Reads the next result line: `{"id","custom_id","response":{"status_code",
 * "request_id","body"}|null,"error":{"code","message"}|null}`.
 * @param line receives the parsed line, borrowed until the next call; NULL
 *        at the end of the file
 * @return ::OAI_OK, ::OAI_ERR_PROTOCOL (a line that is not a JSON object;
 *         reading may go on), ::OAI_ERR_TOO_LARGE (a line over the limit,
 *         skipped without being held in memory; reading may go on),
 *         ::OAI_ERR_IO, ::OAI_ERR_OUT_OF_MEMORY. After an error,
 *         oai_batch_reader_error_message() names the line.
 */
OAI_API oai_status oai_batch_reader_next(oai_batch_reader *r, const oai_value **line);
/** The 1-based number of the line the last oai_batch_reader_next() read
 *  (0 before the first). */
OAI_API int64_t oai_batch_reader_line_number(const oai_batch_reader *r);
/** Why the last oai_batch_reader_next() failed, naming the line (e.g.
 *  "line 3: longer than the line limit of 16777216 bytes"), borrowed until
 *  the next call; NULL after a success. For a failed reader, why it could
 *  not be opened (e.g. "cannot open out.jsonl: No such file or directory"). */
OAI_API const char *oai_batch_reader_error_message(const oai_batch_reader *r);
/** Closes and frees the reader. NULL is a no-op. */
OAI_API void oai_batch_reader_free(oai_batch_reader *r);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Webhooks (local, no network)
 *  Verifying and parsing OpenAI's webhook deliveries (Standard Webhooks), as
 *  the official SDKs' `webhooks.unwrap()` and `webhooks.verify_signature()`
 *  do: the headers `webhook-id`, `webhook-timestamp` and
 *  `webhook-signature`; HMAC-SHA256 over `ID.TIMESTAMP.BODY` keyed with the
 *  secret (the base64 after `whsec_`, or the raw bytes of any other
 *  secret); one or more whitespace-separated `v1,SIGNATURE` entries, any
 *  match passing, compared in constant time; a timestamp at most the
 *  tolerance (300 s by default, bounds included) before or after now.
 *  docs/webhooks.md.
 *
 *  A verifier is pure computation: no I/O, no client needed. One verifier
 *  may check any number of deliveries, from one thread at a time.
 *  @{ */

/** A webhook verifier: the secret, the tolerance, and the last delivery it
 *  checked (its outcome and, after oai_webhook_unwrap(), its event). */
typedef struct oai_webhook oai_webhook;

/**
 * Makes a verifier for the secret @p secret (`whsec_...` as the dashboard
 * shows it, or any other string, used as raw bytes). NULL or "" takes the
 * secret of @p client (oai_client_set_webhook_secret(), or
 * `OPENAI_WEBHOOK_SECRET` when the client was made), or, when @p client is
 * NULL too, the environment's `OPENAI_WEBHOOK_SECRET`. The secret is copied
 * (and wiped from memory by oai_webhook_free()); it never appears in a
 * message.
 * @return a new verifier (oai_webhook_free()); NULL only when memory ran
 *         out. Without a secret, or with a `whsec_` secret whose rest is not
 *         padded standard base64 (or decodes to nothing), the verifier
 *         carries the sticky status ::OAI_ERR_INVALID_ARGUMENT
 *         (oai_webhook_error_code() "missing_secret" or "invalid_secret")
 *         that every verification returns.
 */
OAI_API oai_webhook *oai_webhook_new(const oai_client *client, const char *secret);

/** Frees the verifier and its event, wiping the secret. NULL is a no-op. */
OAI_API void oai_webhook_free(oai_webhook *wh);

/** The verifier's sticky status: ::OAI_OK, or why oai_webhook_new() could
 *  not take a secret. ::OAI_ERR_INVALID_ARGUMENT for NULL. */
OAI_API oai_status oai_webhook_status(const oai_webhook *wh);

/** Why the verifier failed (its sticky status), or why the last
 *  oai_webhook_verify() or oai_webhook_unwrap() failed (e.g. "webhook
 *  timestamp is too old: 400 s before now, outside the tolerance of 300000
 *  ms"); NULL after a success. Borrowed until the next call. Never holds
 *  the secret, the body or a signature. */
OAI_API const char *oai_webhook_error_message(const oai_webhook *wh);

/**
 * A stable code for the failure oai_webhook_error_message() describes, for
 * programs to branch on (static string; NULL after a success):
 * "missing_secret", "invalid_secret" (the verifier's sticky status),
 * "missing_header", "invalid_timestamp", "timestamp_too_old",
 * "timestamp_too_new", "signature_mismatch" (::OAI_ERR_INVALID_DATA),
 * "invalid_json" (::OAI_ERR_PROTOCOL), "invalid_argument",
 * "out_of_memory".
 */
OAI_API const char *oai_webhook_error_code(const oai_webhook *wh);

/** How far the delivery's timestamp may lie from now, either way, bounds
 *  included (default 300000: 5 minutes). Timestamps are whole seconds: a
 *  delivery passes when |now - timestamp| * 1000 <= @p tolerance_ms.
 *  @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT for NULL or a negative
 *          tolerance; the sticky status of a failed verifier. */
OAI_API oai_status oai_webhook_set_tolerance_ms(oai_webhook *wh, int64_t tolerance_ms);

/** Uses @p now_ms (Unix time in milliseconds, floored to whole seconds) as
 *  the time of verification instead of the system clock, for tests and
 *  for checking a delivery stored earlier; a negative value returns to the
 *  system clock.
 *  @return ::OAI_OK; ::OAI_ERR_INVALID_ARGUMENT for NULL; the sticky status
 *          of a failed verifier. */
OAI_API oai_status oai_webhook_set_now_ms(oai_webhook *wh, int64_t now_ms);

/**
 * Verifies a delivery: its headers, as @p header_count names and values
 * (names compared without regard to case; the first of repeated names
 * counts; NULL entries are skipped) and its body exactly as received
 * (@p body_len bytes, not re-encoded; NULL with 0 is an empty body).
 * Checks, in the official SDKs' order: the three headers (signature,
 * timestamp, id), the timestamp's format (an integer, optional sign and
 * surrounding whitespace), too old, too new, then the signatures.
 * Forgets the previous delivery's event.
 * @return ::OAI_OK when the delivery is authentic and fresh;
 *         ::OAI_ERR_INVALID_DATA when it is not (a missing header, a bad
 *         timestamp, too old, too new, no matching signature: answer it
 *         with HTTP 400); ::OAI_ERR_INVALID_ARGUMENT (NULL verifier, NULL
 *         arrays or body with a non-zero count or length, or the sticky
 *         status of a verifier without a usable secret);
 *         ::OAI_ERR_OUT_OF_MEMORY. oai_webhook_error_message() and
 *         oai_webhook_error_code() tell which.
 */
OAI_API oai_status oai_webhook_verify(oai_webhook *wh, const char *const *header_names,
                                      const char *const *header_values, size_t header_count,
                                      const char *body, size_t body_len);

/**
 * Verifies a delivery as oai_webhook_verify() does, then parses its body
 * into the event (oai_webhook_json(), oai_webhook_type(),
 * oai_webhook_data()), kept until the next verification or
 * oai_webhook_free().
 * @return the statuses of oai_webhook_verify(), or ::OAI_ERR_PROTOCOL for
 *         an authentic body that is not a JSON object ("invalid_json").
 */
OAI_API oai_status oai_webhook_unwrap(oai_webhook *wh, const char *const *header_names,
                                      const char *const *header_values, size_t header_count,
                                      const char *body, size_t body_len);

/** The event of the last successful oai_webhook_unwrap() (borrowed, e.g.
 *  `{"id":"evt_...","object":"event","created_at":...,"type":
 *  "response.completed","data":{"id":"resp_..."}}`), or NULL. */
OAI_API const oai_value *oai_webhook_json(const oai_webhook *wh);

/** The event's `type` (borrowed), e.g. "response.completed",
 *  "batch.completed", "fine_tuning.job.succeeded"; NULL without an event
 *  or a string type. */
OAI_API const char *oai_webhook_type(const oai_webhook *wh);

/** The event's `data` object (borrowed; e.g. `{"id":"resp_123"}`), or NULL. */
OAI_API const oai_value *oai_webhook_data(const oai_webhook *wh);

/**
 * Sets the secret oai_webhook_new() takes when given none (the official
 * SDKs' `webhook_secret` client option); oai_client_new() sets it from
 * `OPENAI_WEBHOOK_SECRET`. NULL or "" clears it. The secret is checked when
 * a verifier is made, never sent and never logged.
 * @return ::OAI_OK, ::OAI_ERR_INVALID_ARGUMENT (NULL client),
 *         ::OAI_ERR_OUT_OF_MEMORY.
 */
OAI_API oai_status oai_client_set_webhook_secret(oai_client *client, const char *secret);

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Deprecated names
 *  The 0.1 spellings that the naming grammar and the error rule (see the top
 *  of this file) replaced. Each stays exported and behaves as it did; a call
 *  makes the compiler warn with the replacement's name (define
 *  `OAI_NO_DEPRECATED_WARNINGS` to silence it). They will be removed when
 *  the major version changes.
 *  @{ */

/** @deprecated Use oai_request_clone(). */
OAI_DEPRECATED("use oai_request_clone") OAI_API oai_request *oai_request_dup(const oai_request *req);
/** @deprecated Use oai_request_remove_field(). */
OAI_DEPRECATED("use oai_request_remove_field") OAI_API oai_status oai_request_remove(oai_request *req, const char *pointer);
/** @deprecated Use oai_request_set_data_callback(). */
OAI_DEPRECATED("use oai_request_set_data_callback") OAI_API oai_status oai_request_on_data(oai_request *req, oai_data_fn fn, void *userdata);
/** @deprecated Use oai_request_set_progress_callback(). */
OAI_DEPRECATED("use oai_request_set_progress_callback") OAI_API oai_status oai_request_on_progress(oai_request *req, oai_progress_fn fn, void *userdata);
/** @deprecated Use oai_request_set_event_callback(). */
OAI_DEPRECATED("use oai_request_set_event_callback") OAI_API oai_status oai_request_on_event(oai_request *req, oai_event_fn fn, void *userdata);
/** @deprecated Use oai_client_set_log_level() and oai_client_set_log_callback2(). */
OAI_DEPRECATED("use oai_client_set_log_level and oai_client_set_log_callback2") OAI_API oai_status oai_client_set_log_callback(oai_client *client, oai_log_level level, oai_log_fn fn, void *userdata);

/** @deprecated Use oai_chat_completion_create_request_new(). */
OAI_DEPRECATED("use oai_chat_completion_create_request_new") OAI_API oai_request *oai_chat_request_new(const char *model);
/** @deprecated Use oai_chat_request_add_message(). */
OAI_DEPRECATED("use oai_chat_request_add_message") OAI_API oai_status oai_request_add_message(oai_request *req, const char *role, const char *content);
/** @deprecated Use oai_chat_request_add_tool(). */
OAI_DEPRECATED("use oai_chat_request_add_tool") OAI_API oai_status oai_request_add_tool(oai_request *req, const char *name, const char *description, const char *parameters_json);
/** @deprecated Use oai_chat_request_add_tool_call(). */
OAI_DEPRECATED("use oai_chat_request_add_tool_call") OAI_API oai_status oai_request_add_tool_call(oai_request *req, const char *id, const char *name, const char *arguments);
/** @deprecated Use oai_chat_request_add_tool_result(). */
OAI_DEPRECATED("use oai_chat_request_add_tool_result") OAI_API oai_status oai_request_add_tool_result(oai_request *req, const char *tool_call_id, const char *content);
/** @deprecated Use oai_completion_create_request_new(). */
OAI_DEPRECATED("use oai_completion_create_request_new") OAI_API oai_request *oai_completion_request_new(const char *model, const char *prompt);
/** @deprecated Use oai_response_create_request_new(). */
OAI_DEPRECATED("use oai_response_create_request_new") OAI_API oai_request *oai_responses_request_new(const char *model, const char *input);
/** @deprecated Use oai_embedding_create_request_new(). */
OAI_DEPRECATED("use oai_embedding_create_request_new") OAI_API oai_request *oai_embedding_request_new(const char *model, const char *input);
/** @deprecated Use oai_model_list_request_new(). */
OAI_DEPRECATED("use oai_model_list_request_new") OAI_API oai_request *oai_models_list_request_new(void);
/** @deprecated Use oai_file_create_request_new(). */
OAI_DEPRECATED("use oai_file_create_request_new") OAI_API oai_request *oai_file_upload_request_new(const char *path, const char *purpose);
/** @deprecated Use oai_file_create_from_data_request_new(). */
OAI_DEPRECATED("use oai_file_create_from_data_request_new") OAI_API oai_request *oai_file_upload_data_request_new(const void *data, size_t len, const char *filename, const char *purpose);
/** @deprecated Use oai_file_list_request_new(). */
OAI_DEPRECATED("use oai_file_list_request_new") OAI_API oai_request *oai_files_list_request_new(void);
/** @deprecated Use oai_file_retrieve_content_request_new(). */
OAI_DEPRECATED("use oai_file_retrieve_content_request_new") OAI_API oai_request *oai_file_content_request_new(const char *file_id);
/** @deprecated Use oai_upload_add_part_request_new(). */
OAI_DEPRECATED("use oai_upload_add_part_request_new") OAI_API oai_request *oai_upload_part_request_new(const char *upload_id, const char *path, int64_t offset, int64_t length);
/** @deprecated Use oai_fine_tuning_job_list_request_new(). */
OAI_DEPRECATED("use oai_fine_tuning_job_list_request_new") OAI_API oai_request *oai_fine_tuning_jobs_list_request_new(void);
/** @deprecated Use oai_fine_tuning_job_list_events_request_new(). */
OAI_DEPRECATED("use oai_fine_tuning_job_list_events_request_new") OAI_API oai_request *oai_fine_tuning_job_events_request_new(const char *job_id);
/** @deprecated Use oai_fine_tuning_job_list_checkpoints_request_new(). */
OAI_DEPRECATED("use oai_fine_tuning_job_list_checkpoints_request_new") OAI_API oai_request *oai_fine_tuning_job_checkpoints_request_new(const char *job_id);
/** @deprecated Use oai_batch_list_request_new(). */
OAI_DEPRECATED("use oai_batch_list_request_new") OAI_API oai_request *oai_batches_list_request_new(void);

/** @deprecated Use oai_response_get_json_text(). */
OAI_DEPRECATED("use oai_response_get_json_text") OAI_API const char *oai_response_get_json(const oai_response *res, const char *pointer);
/** @deprecated Use oai_response_retry_count(). */
OAI_DEPRECATED("use oai_response_retry_count") OAI_API int oai_response_retries(const oai_response *res);
/** @deprecated Use oai_value_item(). */
OAI_DEPRECATED("use oai_value_item") OAI_API const oai_value *oai_value_at(const oai_value *v, size_t index);
/** @deprecated Use oai_value_key(). */
OAI_DEPRECATED("use oai_value_key") OAI_API const char *oai_value_key_at(const oai_value *v, size_t index);

/** @deprecated Use oai_large_upload_set_progress_callback(). */
OAI_DEPRECATED("use oai_large_upload_set_progress_callback") OAI_API oai_status oai_large_upload_on_progress(oai_large_upload *up, oai_progress_fn fn, void *userdata);
/** @deprecated Use oai_client_upload_large_file(). */
OAI_DEPRECATED("use oai_client_upload_large_file") OAI_API oai_response *oai_file_upload_large(oai_client *client, const char *path, const char *purpose, const char *mime_type, oai_progress_fn progress, void *userdata);
/** @deprecated Use oai_client_follow_fine_tuning_job(). */
OAI_DEPRECATED("use oai_client_follow_fine_tuning_job") OAI_API oai_response *oai_fine_tuning_job_follow(oai_client *client, const char *job_id, int64_t poll_interval_ms, oai_job_event_fn fn, void *userdata);

/** @deprecated Use oai_training_report_new(): it returns the report, whose
 *  oai_training_report_status() is what this function returns. */
OAI_DEPRECATED("use oai_training_report_new") OAI_API oai_status oai_training_validate_file(const char *path, int format, int64_t context_limit, oai_training_report **report);
/** @deprecated Use oai_training_report_buffer_new(). */
OAI_DEPRECATED("use oai_training_report_buffer_new") OAI_API oai_status oai_training_validate_buffer(const char *data, size_t len, int format, int64_t context_limit, oai_training_report **report);
/** @deprecated Use oai_training_report_is_valid(). */
OAI_DEPRECATED("use oai_training_report_is_valid") OAI_API int oai_training_report_valid(const oai_training_report *report);
/** @deprecated Use oai_training_report_example_count(). */
OAI_DEPRECATED("use oai_training_report_example_count") OAI_API int64_t oai_training_report_examples(const oai_training_report *report);

/** @deprecated Use oai_batch_writer_new(); it returns a failed writer, not
 *  NULL, when the file cannot be created. */
OAI_DEPRECATED("use oai_batch_writer_new") OAI_API oai_batch_writer *oai_batch_writer_open(const char *path);
/** @deprecated Use oai_batch_writer_finish(), then oai_batch_writer_free(). */
OAI_DEPRECATED("use oai_batch_writer_finish and oai_batch_writer_free") OAI_API oai_status oai_batch_writer_close(oai_batch_writer *w);
/** @deprecated Use oai_batch_reader_new(); it returns a failed reader, not
 *  NULL, when the file cannot be opened. */
OAI_DEPRECATED("use oai_batch_reader_new") OAI_API oai_batch_reader *oai_batch_reader_open(const char *path);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* OAI_H */
