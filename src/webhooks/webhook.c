/* Webhook deliveries: verification (Standard Webhooks, as OpenAI signs them)
 * and the parsed event. Pure computation: no I/O, no clock but the wall
 * clock (or the caller's "now").
 *
 * What is signed: HMAC-SHA256, keyed with the secret (the base64 after
 * "whsec_", or the raw bytes of any other secret), over
 * "<webhook-id>.<webhook-timestamp>.<body>", where the timestamp is the
 * header's text as received. The signature header holds whitespace-separated
 * entries, each "v1,<base64>" (or a bare <base64>, which the official SDKs
 * also accept); any match passes. The timestamp must lie within the
 * tolerance of now, both ways, bounds included. The order of the checks and
 * their outcomes are the official Python SDK's (src/openai/lib/_webhooks.py):
 * the headers (signature, timestamp, id), the timestamp's format, too old,
 * too new, then the signatures. */
#include "core/core.h"
#include "json/json.h"
#include "util/util.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TOLERANCE_MS ((int64_t)300 * 1000)
#define SIGNATURE_B64_LEN 44 /* base64 of a 32-byte SHA-256 HMAC */
/* Timestamps beyond this (about 73 billion years) saturate: the window
 * arithmetic then stays within int64_t and the outcome is the same. */
#define TIMESTAMP_LIMIT ((int64_t)1 << 61)

struct oai_webhook {
    oai_status sticky;          /* a missing or bad secret: every use fails */
    const char *sticky_code;
    char *sticky_message;
    unsigned char *key;         /* the decoded secret */
    size_t key_len;
    int64_t tolerance_ms;
    int64_t now_ms;             /* < 0: the system clock */
    /* The last verify or unwrap. */
    const char *code;           /* NULL after a success */
    char message[192];
    oai_value *event;           /* the last unwrapped event */
};

/* The shared HMAC context's users (below). */
static void hmac_use(void);
static void hmac_release(void);

/* ---- the secret -------------------------------------------------------- */

static void set_sticky(oai_webhook *wh, oai_status st, const char *code, const char *message)
{
    wh->sticky = st;
    wh->sticky_code = code;
    wh->sticky_message = oai__strdup(message);
    /* Without memory for the message the status still tells. */
}

/* Strict standard base64 with padding, as Python's base64.b64decode()
 * requires it; OpenSSL decodes (EVP_DecodeBlock ignores surrounding
 * whitespace and refuses characters outside the alphabet). Returns the
 * decoded length, or -1. */
static int decode_base64(const char *text, size_t len, unsigned char **out)
{
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r'
                       || text[len - 1] == '\n'))
        len--;
    while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')) {
        text++;
        len--;
    }
    if (len == 0 || len % 4 != 0 || len > (size_t)1 << 20)
        return -1;
    size_t pad = 0;
    while (pad < 2 && text[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len - pad; i++)
        if (text[i] == '=')
            return -1;
    unsigned char *buf = oai__malloc(len / 4 * 3 + 1);
    if (!buf) {
        *out = NULL;
        return -2;
    }
    int n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
    if (n < 0 || (size_t)n != len / 4 * 3) {
        OPENSSL_cleanse(buf, len / 4 * 3 + 1);
        oai__free(buf);
        return -1;
    }
    *out = buf;
    return n - (int)pad;
}

static void load_secret(oai_webhook *wh, const char *secret)
{
    static const char prefix[] = "whsec_";
    size_t len = strlen(secret);
    if (strncmp(secret, prefix, sizeof prefix - 1) == 0) {
        unsigned char *key = NULL;
        int n = decode_base64(secret + sizeof prefix - 1, len - (sizeof prefix - 1), &key);
        if (n == -2) {
            wh->sticky = OAI_ERR_OUT_OF_MEMORY;
            wh->sticky_code = "out_of_memory";
            return;
        }
        if (n <= 0) {
            oai__free(key); /* NULL unless the key decoded to nothing */
            set_sticky(wh, OAI_ERR_INVALID_ARGUMENT, "invalid_secret",
                       n == 0 ? "the webhook secret is invalid: it decodes to an empty key"
                              : "the webhook secret is invalid: the part after \"whsec_\" is not valid base64");
            return;
        }
        wh->key = key;
        wh->key_len = (size_t)n;
        return;
    }
    wh->key = oai__malloc(len);
    if (!wh->key) {
        wh->sticky = OAI_ERR_OUT_OF_MEMORY;
        wh->sticky_code = "out_of_memory";
        return;
    }
    memcpy(wh->key, secret, len);
    wh->key_len = len;
}

OAI_API oai_webhook *oai_webhook_new(const oai_client *client, const char *secret)
{
    oai_webhook *wh = oai__calloc(1, sizeof *wh);
    if (!wh)
        return NULL;
    wh->tolerance_ms = DEFAULT_TOLERANCE_MS;
    wh->now_ms = -1;
    hmac_use();
    if (!secret || !*secret)
        secret = client ? client->webhook_secret : getenv("OPENAI_WEBHOOK_SECRET");
    if (!secret || !*secret)
        set_sticky(wh, OAI_ERR_INVALID_ARGUMENT, "missing_secret",
                   "no webhook secret: pass one to oai_webhook_new(), set it on the client "
                   "(oai_client_set_webhook_secret()) or in OPENAI_WEBHOOK_SECRET");
    else
        load_secret(wh, secret);
    return wh;
}

OAI_API void oai_webhook_free(oai_webhook *wh)
{
    if (!wh)
        return;
    if (wh->key) {
        OPENSSL_cleanse(wh->key, wh->key_len);
        oai__free(wh->key);
    }
    oai__free(wh->sticky_message);
    oai__json_decref(wh->event);
    oai__free(wh);
    hmac_release();
}

OAI_API oai_status oai_webhook_status(const oai_webhook *wh)
{
    return wh ? wh->sticky : OAI_ERR_INVALID_ARGUMENT;
}

OAI_API const char *oai_webhook_error_message(const oai_webhook *wh)
{
    if (!wh)
        return NULL;
    if (wh->sticky != OAI_OK)
        return wh->sticky_message ? wh->sticky_message : oai_status_message(wh->sticky);
    return wh->code ? wh->message : NULL;
}

OAI_API const char *oai_webhook_error_code(const oai_webhook *wh)
{
    if (!wh)
        return NULL;
    return wh->sticky != OAI_OK ? wh->sticky_code : wh->code;
}

OAI_API oai_status oai_webhook_set_tolerance_ms(oai_webhook *wh, int64_t tolerance_ms)
{
    if (!wh || tolerance_ms < 0)
        return OAI_ERR_INVALID_ARGUMENT;
    if (wh->sticky != OAI_OK)
        return wh->sticky;
    wh->tolerance_ms = tolerance_ms;
    return OAI_OK;
}

OAI_API oai_status oai_webhook_set_now_ms(oai_webhook *wh, int64_t now_ms)
{
    if (!wh)
        return OAI_ERR_INVALID_ARGUMENT;
    if (wh->sticky != OAI_OK)
        return wh->sticky;
    wh->now_ms = now_ms < 0 ? -1 : now_ms;
    return OAI_OK;
}

OAI_API oai_status oai_client_set_webhook_secret(oai_client *client, const char *secret)
{
    if (!client)
        return OAI_ERR_INVALID_ARGUMENT;
    char *copy = NULL;
    if (secret && *secret && !(copy = oai__strdup(secret)))
        return OAI_ERR_OUT_OF_MEMORY;
    if (client->webhook_secret) {
        OPENSSL_cleanse(client->webhook_secret, strlen(client->webhook_secret));
        oai__free(client->webhook_secret);
    }
    client->webhook_secret = copy;
    return OAI_OK;
}

/* ---- the delivery ------------------------------------------------------ */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static oai_status fail(oai_webhook *wh, oai_status st, const char *code, const char *message)
{
    wh->code = code;
    snprintf(wh->message, sizeof wh->message, "%s", message);
    return st;
}

/* The first value of the header @p name (any case), or NULL. An empty value
 * counts as present, as in the official SDKs. */
static const char *find_header(const char *const *names, const char *const *values, size_t count,
                               const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (names[i] && values[i] && oai__strcasecmp_ascii(names[i], name) == 0)
            return values[i];
    return NULL;
}

/* Python's int(): surrounding whitespace, an optional sign, decimal digits
 * (leading zeros allowed). Saturates at +-TIMESTAMP_LIMIT. 0 on success. */
static int parse_timestamp(const char *s, int64_t *out)
{
    while (is_space(*s))
        s++;
    int negative = 0;
    if (*s == '+' || *s == '-')
        negative = *s++ == '-';
    if (*s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v <= TIMESTAMP_LIMIT / 10 ? v * 10 + (*s - '0') : TIMESTAMP_LIMIT + 1;
        s++;
    }
    while (is_space(*s))
        s++;
    if (*s)
        return -1;
    if (v > TIMESTAMP_LIMIT)
        v = TIMESTAMP_LIMIT;
    *out = negative ? -v : v;
    return 0;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* OpenSSL's HMAC-SHA256: a context with the algorithm and digest fetched
 * once and kept while any verifier lives (as OpenSSL keeps them in its
 * method store anyway), copied for each verification. A fetch allocates
 * every time, and one that fails for want of memory can leave a block
 * behind; a copy only takes references. A set-up that fails is tried again
 * next time. The last oai_webhook_free() frees the context, so nothing of
 * it outlives the verifiers (a host that unloads the library after freeing
 * them, as LuaJIT does at exit, leaves nothing behind). */
static pthread_mutex_t hmac_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC_CTX *hmac_template;
static size_t hmac_users; /* live oai_webhook objects */

static void hmac_use(void)
{
    pthread_mutex_lock(&hmac_lock);
    hmac_users++;
    pthread_mutex_unlock(&hmac_lock);
}

static void hmac_release(void)
{
    EVP_MAC_CTX *t = NULL;
    pthread_mutex_lock(&hmac_lock);
    if (hmac_users > 0 && --hmac_users == 0) {
        t = hmac_template;
        hmac_template = NULL;
    }
    pthread_mutex_unlock(&hmac_lock);
    EVP_MAC_CTX_free(t);
}

static EVP_MAC_CTX *hmac_ctx_new(void)
{
    EVP_MAC_CTX *ctx = NULL;
    pthread_mutex_lock(&hmac_lock);
    if (!hmac_template) {
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end(),
        };
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *t = mac ? EVP_MAC_CTX_new(mac) : NULL;
        EVP_MAC_free(mac); /* the context holds its own reference */
        if (t && EVP_MAC_CTX_set_params(t, params) == 1)
            hmac_template = t;
        else
            EVP_MAC_CTX_free(t);
    }
    if (hmac_template)
        ctx = EVP_MAC_CTX_dup(hmac_template);
    pthread_mutex_unlock(&hmac_lock);
    return ctx;
}

static int hmac_update(EVP_MAC_CTX *ctx, const void *data, size_t len)
{
    return len == 0 || EVP_MAC_update(ctx, data, len) == 1;
}

/* The expected signature, base64 (44 characters and a NUL). */
static oai_status sign(const oai_webhook *wh, const char *id, const char *timestamp, const char *body,
                       size_t body_len, char out[SIGNATURE_B64_LEN + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    oai_status st = OAI_ERR_OUT_OF_MEMORY; /* what OpenSSL fails on here */
    EVP_MAC_CTX *ctx = hmac_ctx_new();
    if (ctx && EVP_MAC_init(ctx, wh->key, wh->key_len, NULL) == 1 && hmac_update(ctx, id, strlen(id))
        && hmac_update(ctx, ".", 1) && hmac_update(ctx, timestamp, strlen(timestamp))
        && hmac_update(ctx, ".", 1) && hmac_update(ctx, body, body_len)
        && EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) == 1 && mac_len == 32) {
        EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
        st = OAI_OK;
    } else {
        ERR_clear_error(); /* leave nothing on the caller's error queue */
    }
    OPENSSL_cleanse(mac, sizeof mac);
    EVP_MAC_CTX_free(ctx);
    return st;
}

/* Whether any entry of the signature header matches, each compared in
 * constant time. Every entry is compared (no early exit). */
static int signature_matches(const char *header, const char *expected)
{
    int match = 0;
    const char *p = header;
    while (*p) {
        while (is_space(*p))
            p++;
        const char *start = p;
        while (*p && !is_space(*p))
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0)
            break;
        if (len >= 3 && memcmp(start, "v1,", 3) == 0) {
            start += 3;
            len -= 3;
        }
        if (len == SIGNATURE_B64_LEN && CRYPTO_memcmp(start, expected, SIGNATURE_B64_LEN) == 0)
            match = 1;
    }
    return match;
}

static oai_status verify(oai_webhook *wh, const char *const *header_names,
                         const char *const *header_values, size_t header_count, const char *body,
                         size_t body_len)
{
    if (!wh)
        return OAI_ERR_INVALID_ARGUMENT;
    if (wh->event) {
        oai__json_decref(wh->event);
        wh->event = NULL;
    }
    wh->code = NULL;
    wh->message[0] = '\0';
    if (wh->sticky != OAI_OK)
        return wh->sticky;
    if ((header_count > 0 && (!header_names || !header_values)) || (!body && body_len > 0))
        return fail(wh, OAI_ERR_INVALID_ARGUMENT, "invalid_argument",
                    "NULL header arrays or body with a non-zero count or length");
    if (!body)
        body = "";

    const char *signature = find_header(header_names, header_values, header_count, "webhook-signature");
    if (!signature)
        return fail(wh, OAI_ERR_INVALID_DATA, "missing_header", "missing required header: webhook-signature");
    const char *timestamp = find_header(header_names, header_values, header_count, "webhook-timestamp");
    if (!timestamp)
        return fail(wh, OAI_ERR_INVALID_DATA, "missing_header", "missing required header: webhook-timestamp");
    const char *id = find_header(header_names, header_values, header_count, "webhook-id");
    if (!id)
        return fail(wh, OAI_ERR_INVALID_DATA, "missing_header", "missing required header: webhook-id");

    int64_t ts;
    if (parse_timestamp(timestamp, &ts) != 0)
        return fail(wh, OAI_ERR_INVALID_DATA, "invalid_timestamp",
                    "invalid webhook timestamp format (webhook-timestamp is not an integer)");
    int64_t now_ms = wh->now_ms >= 0 ? wh->now_ms : oai__wall_ms();
    int64_t now = floor_div(now_ms, 1000);
    if (now > TIMESTAMP_LIMIT)
        now = TIMESTAMP_LIMIT;
    /* (now - ts) s against the tolerance in ms: d * 1000 > T <=> d > floor(T / 1000). */
    int64_t limit = floor_div(wh->tolerance_ms, 1000);
    if (now - ts > limit) {
        snprintf(wh->message, sizeof wh->message,
                 "webhook timestamp is too old: %lld s before now, outside the tolerance of %lld ms",
                 (long long)(now - ts), (long long)wh->tolerance_ms);
        wh->code = "timestamp_too_old";
        return OAI_ERR_INVALID_DATA;
    }
    if (ts - now > limit) {
        snprintf(wh->message, sizeof wh->message,
                 "webhook timestamp is too new: %lld s after now, outside the tolerance of %lld ms",
                 (long long)(ts - now), (long long)wh->tolerance_ms);
        wh->code = "timestamp_too_new";
        return OAI_ERR_INVALID_DATA;
    }

    char expected[SIGNATURE_B64_LEN + 1];
    oai_status st = sign(wh, id, timestamp, body, body_len, expected);
    if (st != OAI_OK)
        return fail(wh, st, "out_of_memory", "out of memory while computing the signature");
    int match = signature_matches(signature, expected);
    OPENSSL_cleanse(expected, sizeof expected);
    if (!match)
        return fail(wh, OAI_ERR_INVALID_DATA, "signature_mismatch",
                    "the given webhook signature does not match the expected signature");
    return OAI_OK;
}

OAI_API oai_status oai_webhook_verify(oai_webhook *wh, const char *const *header_names,
                                      const char *const *header_values, size_t header_count,
                                      const char *body, size_t body_len)
{
    return verify(wh, header_names, header_values, header_count, body, body_len);
}

OAI_API oai_status oai_webhook_unwrap(oai_webhook *wh, const char *const *header_names,
                                      const char *const *header_values, size_t header_count,
                                      const char *body, size_t body_len)
{
    oai_status st = verify(wh, header_names, header_values, header_count, body, body_len);
    if (st != OAI_OK)
        return st;
    oai_value *event = oai__json_parse(body ? body : "", body_len, &st);
    if (!event) {
        if (st == OAI_ERR_OUT_OF_MEMORY)
            return fail(wh, st, "out_of_memory", "out of memory while parsing the webhook payload");
        return fail(wh, OAI_ERR_PROTOCOL, "invalid_json",
                    "the webhook payload is signed but is not valid JSON");
    }
    if (oai_value_type_of(event) != OAI_VALUE_OBJECT) {
        oai__json_decref(event);
        return fail(wh, OAI_ERR_PROTOCOL, "invalid_json",
                    "the webhook payload is signed but is not a JSON object");
    }
    wh->event = event;
    return OAI_OK;
}

OAI_API const oai_value *oai_webhook_json(const oai_webhook *wh)
{
    return wh ? wh->event : NULL;
}

OAI_API const char *oai_webhook_type(const oai_webhook *wh)
{
    return wh ? oai_value_get_string(wh->event, "/type") : NULL;
}

OAI_API const oai_value *oai_webhook_data(const oai_webhook *wh)
{
    return wh ? oai_value_get(wh->event, "/data") : NULL;
}
