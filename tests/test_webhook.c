/*
 * Webhook verification and parsing (src/webhooks/webhook.c), and
 * examples/webhook.c run as a child process.
 *
 * The first group reproduces the official SDKs' own webhook tests, with
 * their secret, payload, id, timestamps and expected outcomes:
 *   [node]   openai/openai-node tests/api-resources/webhooks.test.ts
 *            (commit 60323767f01f4ebc036032ba8327b7acae5ce31b)
 *   [python] openai/openai-python tests/lib/test_webhooks.py
 *            (commit 4677fff463bea8e0331c94d1316c7f009af4271d; the same cases
 *            as tests/api_resources/test_webhooks.py of earlier releases)
 *   [go]     openai-go webhooks/webhook_test.go (the same constants)
 * Each test names the case it reproduces. The second group checks the
 * behaviour of openai-python's implementation (src/openai/lib/_webhooks.py:
 * `now - ts > tolerance` is too old, `ts > now + tolerance` too new, the
 * timestamp parsed by int() and signed as received, signatures split on
 * whitespace with an optional "v1," prefix) on deliveries signed here with
 * OpenSSL, and what is ours (statuses, codes, messages, NULL handling).
 *
 * Everything runs without a network and without libcurl.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "oai.h"

#include "child_process.h"

/* The official tests' constants. */
#define TEST_SECRET "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
#define TEST_PAYLOAD                                                                               \
    "{\"id\": \"evt_685c059ae3a481909bdc86819b066fb6\", \"object\": \"event\", \"created_at\": "    \
    "1750861210, \"type\": \"response.completed\", \"data\": {\"id\": \"resp_123\"}}"
#define TEST_TIMESTAMP 1750861210
#define TEST_WEBHOOK_ID "wh_685c059ae39c8190af8c71ed1022a24d"
#define TEST_SIGNATURE "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY="

typedef struct delivery {
    const char *names[4];
    const char *values[4];
    size_t count;
    char timestamp[64];
} delivery;

/* Headers in the order of the official helpers; a NULL value leaves the
 * header out. */
static void make_delivery(delivery *d, const char *signature, const char *timestamp, const char *id)
{
    memset(d, 0, sizeof *d);
    if (signature) {
        d->names[d->count] = "webhook-signature";
        d->values[d->count++] = signature;
    }
    if (timestamp) {
        snprintf(d->timestamp, sizeof d->timestamp, "%s", timestamp);
        d->names[d->count] = "webhook-timestamp";
        d->values[d->count++] = d->timestamp;
    }
    if (id) {
        d->names[d->count] = "webhook-id";
        d->values[d->count++] = id;
    }
}

static void make_official(delivery *d, const char *signature, int64_t timestamp)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)timestamp);
    make_delivery(d, signature, ts, TEST_WEBHOOK_ID);
}

/* A verifier of the official secret whose clock reads TEST_TIMESTAMP (the
 * official tests mock time.time() / Date.now() to it). */
static oai_webhook *official_verifier(void)
{
    oai_webhook *wh = oai_webhook_new(NULL, TEST_SECRET);
    assert_non_null(wh);
    assert_int_equal(oai_webhook_status(wh), OAI_OK);
    assert_int_equal(oai_webhook_set_now_ms(wh, (int64_t)TEST_TIMESTAMP * 1000), OAI_OK);
    return wh;
}

static oai_status verify(oai_webhook *wh, const delivery *d, const char *body)
{
    return oai_webhook_verify(wh, d->names, d->values, d->count, body, strlen(body));
}

static void assert_failure(oai_webhook *wh, oai_status got, oai_status want, const char *code,
                           const char *message_part)
{
    assert_int_equal(got, want);
    assert_non_null(oai_webhook_error_code(wh));
    assert_string_equal(oai_webhook_error_code(wh), code);
    assert_non_null(oai_webhook_error_message(wh));
    if (!strstr(oai_webhook_error_message(wh), message_part))
        fail_msg("expected \"%s\" in \"%s\"", message_part, oai_webhook_error_message(wh));
    /* No secret, body or signature in a message. */
    assert_null(strstr(oai_webhook_error_message(wh), "RdvaYFYU"));
    assert_null(strstr(oai_webhook_error_message(wh), "gUAg4R2h"));
    assert_null(strstr(oai_webhook_error_message(wh), "evt_685c"));
}

/* ---- the official SDKs' cases ------------------------------------------ */

/* [node] unwrap "deserializes the payload object"; [python]
 * test_unwrap_with_secret; [go] TestWebhookService_UnwrapWithToleranceAndTime. */
static void test_official_unwrap(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_official(&d, TEST_SIGNATURE, TEST_TIMESTAMP);
    assert_int_equal(oai_webhook_unwrap(wh, d.names, d.values, d.count, TEST_PAYLOAD, strlen(TEST_PAYLOAD)),
                     OAI_OK);
    assert_null(oai_webhook_error_message(wh));
    assert_null(oai_webhook_error_code(wh));
    const oai_value *ev = oai_webhook_json(wh);
    assert_string_equal(oai_value_get_string(ev, "/id"), "evt_685c059ae3a481909bdc86819b066fb6");
    assert_string_equal(oai_value_get_string(ev, "/object"), "event");
    assert_int_equal(oai_value_get_int(ev, "/created_at"), 1750861210);
    assert_string_equal(oai_webhook_type(wh), "response.completed");
    assert_string_equal(oai_value_get_string(oai_webhook_data(wh), "/id"), "resp_123");
    assert_int_equal(oai_value_count(ev), 5);
    oai_webhook_free(wh);
}

/* [node] "should pass for valid signature"; [python]
 * test_verify_signature_valid; [go] ..._ValidSignature. */
static void test_official_valid(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_official(&d, TEST_SIGNATURE, TEST_TIMESTAMP);
    assert_int_equal(verify(wh, &d, TEST_PAYLOAD), OAI_OK);
    /* Verifying only parses nothing. */
    assert_null(oai_webhook_json(wh));
    assert_null(oai_webhook_type(wh));
    oai_webhook_free(wh);
}

/* [python] test_verify_signature_payload_bytes: the body as bytes, here a
 * slice of a larger buffer that is not NUL-terminated after it. */
static void test_official_payload_bytes(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    char buf[sizeof TEST_PAYLOAD + 8];
    memcpy(buf, TEST_PAYLOAD, sizeof TEST_PAYLOAD - 1);
    memcpy(buf + sizeof TEST_PAYLOAD - 1, "trailing", 8);
    make_official(&d, TEST_SIGNATURE, TEST_TIMESTAMP);
    assert_int_equal(oai_webhook_verify(wh, d.names, d.values, d.count, buf, sizeof TEST_PAYLOAD - 1),
                     OAI_OK);
    /* One byte more is another body. */
    assert_failure(wh, oai_webhook_verify(wh, d.names, d.values, d.count, buf, sizeof TEST_PAYLOAD),
                   OAI_ERR_INVALID_DATA, "signature_mismatch", "does not match");
    oai_webhook_free(wh);
}

/* [node] "should throw an error for invalid secret format" (no secret);
 * [python] test_unwrap_without_secret, test_verify_signature_invalid_secret_format;
 * [go] ..._MissingSecret. */
static void test_official_missing_secret(void **state)
{
    (void)state;
    unsetenv("OPENAI_WEBHOOK_SECRET");
    oai_client *c = oai_client_new();
    assert_non_null(c);
    oai_webhook *from_client = oai_webhook_new(c, NULL);
    oai_webhook *from_env = oai_webhook_new(NULL, NULL);
    oai_webhook *empty = oai_webhook_new(NULL, "");
    oai_webhook *all[] = {from_client, from_env, empty};
    delivery d;
    make_official(&d, TEST_SIGNATURE, TEST_TIMESTAMP);
    for (size_t i = 0; i < 3; i++) {
        assert_non_null(all[i]);
        assert_int_equal(oai_webhook_status(all[i]), OAI_ERR_INVALID_ARGUMENT);
        assert_string_equal(oai_webhook_error_code(all[i]), "missing_secret");
        assert_non_null(strstr(oai_webhook_error_message(all[i]), "OPENAI_WEBHOOK_SECRET"));
        /* Sticky: every use reports it. */
        assert_failure(all[i], verify(all[i], &d, TEST_PAYLOAD), OAI_ERR_INVALID_ARGUMENT,
                       "missing_secret", "no webhook secret");
        assert_int_equal(oai_webhook_unwrap(all[i], d.names, d.values, d.count, TEST_PAYLOAD,
                                            strlen(TEST_PAYLOAD)),
                         OAI_ERR_INVALID_ARGUMENT);
        assert_null(oai_webhook_json(all[i]));
        assert_int_equal(oai_webhook_set_tolerance_ms(all[i], 1000), OAI_ERR_INVALID_ARGUMENT);
        oai_webhook_free(all[i]);
    }
    oai_client_free(c);
}

/* [python] test_verify_signature_invalid (secret "invalid_secret"); [node]
 * "should throw for invalid signature" (a raw secret, the base64 of
 * 'not-the-correct-secret-but-long-enough'). */
static void test_official_wrong_secret(void **state)
{
    (void)state;
    static const char *const secrets[] = {"invalid_secret",
                                          "bm90LXRoZS1jb3JyZWN0LXNlY3JldC1idXQtbG9uZy1lbm91Z2g="};
    for (size_t i = 0; i < 2; i++) {
        oai_webhook *wh = oai_webhook_new(NULL, secrets[i]);
        assert_int_equal(oai_webhook_status(wh), OAI_OK);
        assert_int_equal(oai_webhook_set_now_ms(wh, (int64_t)TEST_TIMESTAMP * 1000), OAI_OK);
        delivery d;
        make_official(&d, TEST_SIGNATURE, TEST_TIMESTAMP);
        assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch",
                       "the given webhook signature does not match the expected signature");
        oai_webhook_free(wh);
    }
}

/* [node] "should throw for missing webhook-signature/-timestamp/-id
 * header"; [python] test_verify_signature_missing_webhook_*_header. Also
 * the order in which a missing header is reported. */
static void test_official_missing_headers(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_delivery(&d, NULL, "1750861210", TEST_WEBHOOK_ID);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "missing_header",
                   "missing required header: webhook-signature");
    make_delivery(&d, TEST_SIGNATURE, NULL, TEST_WEBHOOK_ID);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "missing_header",
                   "missing required header: webhook-timestamp");
    make_delivery(&d, TEST_SIGNATURE, "1750861210", NULL);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "missing_header",
                   "missing required header: webhook-id");
    /* No headers at all: the signature is reported first, as in Python. */
    assert_failure(wh, oai_webhook_verify(wh, NULL, NULL, 0, TEST_PAYLOAD, strlen(TEST_PAYLOAD)),
                   OAI_ERR_INVALID_DATA, "missing_header", "webhook-signature");
    oai_webhook_free(wh);
}

/* [python] test_unwrap_with_client_secret: the secret set on the client. */
static void test_official_client_secret(void **state)
{
    (void)state;
    unsetenv("OPENAI_WEBHOOK_SECRET");
    oai_client *c = oai_client_new();
    assert_int_equal(oai_client_set_webhook_secret(c, TEST_SECRET), OAI_OK);
    oai_webhook *wh = oai_webhook_new(c, NULL);
    assert_int_equal(oai_webhook_status(wh), OAI_OK);
    oai_client_free(c); /* the verifier keeps its own copy */
    assert_int_equal(oai_webhook_set_now_ms(wh, (int64_t)TEST_TIMESTAMP * 1000), OAI_OK);
    delivery d;
    make_official(&d, TEST_SIGNATURE, TEST_TIMESTAMP);
    assert_int_equal(oai_webhook_unwrap(wh, d.names, d.values, d.count, TEST_PAYLOAD, strlen(TEST_PAYLOAD)),
                     OAI_OK);
    assert_string_equal(oai_value_get_string(oai_webhook_json(wh), "/id"),
                        "evt_685c059ae3a481909bdc86819b066fb6");
    assert_int_equal(oai_value_get_int(oai_webhook_json(wh), "/created_at"), 1750861210);
    oai_webhook_free(wh);
    assert_int_equal(oai_client_set_webhook_secret(NULL, "x"), OAI_ERR_INVALID_ARGUMENT);
}

/* [node] "should throw for timestamp too old" / "too new"; [python]
 * test_verify_signature_timestamp_too_old / _too_new; [go] the same. */
static void test_official_too_old_too_new(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_official(&d, "v1,dummy_signature", TEST_TIMESTAMP - 400);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "timestamp_too_old",
                   "webhook timestamp is too old");
    assert_non_null(strstr(oai_webhook_error_message(wh), "400 s before now"));
    make_official(&d, "v1,dummy_signature", TEST_TIMESTAMP + 400);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "timestamp_too_new",
                   "webhook timestamp is too new");
    oai_webhook_free(wh);
}

/* [node] "should pass with custom tolerance"; [python]
 * test_verify_signature_custom_tolerance; [go] ..._CustomTolerance. */
static void test_official_custom_tolerance(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_official(&d, "v1,dummy_signature", TEST_TIMESTAMP - 400);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "timestamp_too_old", "too old");
    assert_int_equal(oai_webhook_set_tolerance_ms(wh, 600 * 1000), OAI_OK);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch",
                   "does not match");
    oai_webhook_free(wh);
}

/* [python] test_verify_signature_recent_timestamp_succeeds (a fresh
 * timestamp with a dummy signature fails on the signature); [go]
 * ..._SignatureWithoutV1Prefix (a bare signature that does not match). */
static void test_official_dummy_signatures(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_official(&d, "v1,dummy_signature", TEST_TIMESTAMP);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch",
                   "does not match");
    make_official(&d, "9WlByKQUfBVM08XRYmo3WqR/dQXtjGJkV1edShZZ+C0=", TEST_TIMESTAMP);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch",
                   "does not match");
    oai_webhook_free(wh);
}

/* [node]/[python] "multiple signatures when one is valid" / "when all are
 * invalid"; [go] ..._MultipleSignaturesOneValid / _AllInvalid. */
static void test_official_multiple_signatures(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    delivery d;
    make_official(&d, "v1,invalid_signature " TEST_SIGNATURE, TEST_TIMESTAMP);
    assert_int_equal(verify(wh, &d, TEST_PAYLOAD), OAI_OK);
    make_official(&d, TEST_SIGNATURE " v1,invalid_signature", TEST_TIMESTAMP);
    assert_int_equal(verify(wh, &d, TEST_PAYLOAD), OAI_OK);
    make_official(&d, "v1,invalid_signature1 v1,invalid_signature2", TEST_TIMESTAMP);
    assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch",
                   "does not match");
    oai_webhook_free(wh);
}

/* [node] "should throw for invalid timestamp format" ('not-a-number');
 * [go] ..._InvalidTimestampFormat ('not_a_number'), ..._ForInvalidTimestamp. */
static void test_official_invalid_timestamp(void **state)
{
    (void)state;
    oai_webhook *wh = official_verifier();
    static const char *const bad[] = {"not-a-number", "not_a_number", "invalid"};
    for (size_t i = 0; i < 3; i++) {
        delivery d;
        make_delivery(&d, TEST_SIGNATURE, bad[i], TEST_WEBHOOK_ID);
        assert_failure(wh, verify(wh, &d, TEST_PAYLOAD), OAI_ERR_INVALID_DATA, "invalid_timestamp",
                       "invalid webhook timestamp format");
    }
    oai_webhook_free(wh);
}

/* ---- the behaviour of openai-python's implementation -------------------- */

#define NOW 1750000000
#define PAYLOAD "{\"type\":\"batch.completed\",\"data\":{\"id\":\"batch_1\",\"caf\xc3\xa9\":true}}"
#define WEBHOOK_ID "evt_synthetic"
#define RAW_SECRET "synthetic-webhook-secret"

/* "v1,<base64 HMAC-SHA256 of ID.TIMESTAMP.BODY>" into out (>= 48 bytes). */
static void sign(char *out, const void *key, size_t key_len, const char *id, const char *timestamp,
                 const char *body, size_t body_len)
{
    size_t n = strlen(id) + strlen(timestamp) + body_len + 2;
    char *msg = malloc(n + 1);
    assert_non_null(msg);
    snprintf(msg, n + 1, "%s.%s.", id, timestamp);
    memcpy(msg + strlen(id) + strlen(timestamp) + 2, body, body_len);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, n, mac, &mac_len));
    assert_int_equal(mac_len, 32);
    memcpy(out, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)mac_len);
    free(msg);
}

static void signed_delivery(delivery *d, char *sig, const char *timestamp, const void *key, size_t key_len)
{
    sign(sig, key, key_len, WEBHOOK_ID, timestamp, PAYLOAD, strlen(PAYLOAD));
    make_delivery(d, sig, timestamp, WEBHOOK_ID);
}

static oai_webhook *synthetic_verifier(const char *secret)
{
    oai_webhook *wh = oai_webhook_new(NULL, secret);
    assert_int_equal(oai_webhook_status(wh), OAI_OK);
    assert_int_equal(oai_webhook_set_now_ms(wh, (int64_t)NOW * 1000), OAI_OK);
    return wh;
}

/* A raw secret signs with its bytes; "whsec_" + base64 of the same bytes is
 * the same key. Signatures may be bare, and be separated by any whitespace;
 * header names match in any case. */
static void test_secret_forms_and_signature_forms(void **state)
{
    (void)state;
    static const char *const secrets[] = {RAW_SECRET, "whsec_c3ludGhldGljLXdlYmhvb2stc2VjcmV0"};
    char ts[32], sig[64], header[256];
    snprintf(ts, sizeof ts, "%d", NOW);
    for (size_t i = 0; i < 2; i++) {
        oai_webhook *wh = synthetic_verifier(secrets[i]);
        delivery d;
        signed_delivery(&d, sig, ts, RAW_SECRET, strlen(RAW_SECRET));
        assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
        /* bare */
        d.values[0] = sig + 3;
        assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
        /* several, separated by a tab, a space and a newline */
        snprintf(header, sizeof header, "v1,invalid\t%s v1,also-invalid\n", sig + 3);
        d.values[0] = header;
        assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
        /* other versions never match, even with the right digest */
        snprintf(header, sizeof header, "v2,%s", sig + 3);
        assert_failure(wh, verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch", "match");
        /* empty header value: present, and matching nothing */
        d.values[0] = "";
        assert_failure(wh, verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA, "signature_mismatch", "match");
        /* header names in any case */
        d.values[0] = sig;
        d.names[0] = "WEBHOOK-SIGNATURE";
        d.names[1] = "Webhook-Timestamp";
        d.names[2] = "Webhook-Id";
        assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
        oai_webhook_free(wh);
    }
}

/* The replay window: bounds included, both ways, whole seconds. */
static void test_window_boundaries(void **state)
{
    (void)state;
    static const struct {
        int delta;
        int64_t tolerance_ms;
        const char *code;
    } cases[] = {
        {0, 0, NULL},
        {-300, 300000, NULL},
        {300, 300000, NULL},
        {-301, 300000, "timestamp_too_old"},
        {301, 300000, "timestamp_too_new"},
        {-1, 0, "timestamp_too_old"},
        {1, 0, "timestamp_too_new"},
        {-1, 999, "timestamp_too_old"},
        {-1, 1000, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        oai_webhook *wh = synthetic_verifier(RAW_SECRET);
        char ts[32], sig[64];
        delivery d;
        snprintf(ts, sizeof ts, "%d", NOW + cases[i].delta);
        signed_delivery(&d, sig, ts, RAW_SECRET, strlen(RAW_SECRET));
        assert_int_equal(oai_webhook_set_tolerance_ms(wh, cases[i].tolerance_ms), OAI_OK);
        oai_status st = verify(wh, &d, PAYLOAD);
        if (!cases[i].code) {
            assert_int_equal(st, OAI_OK);
        } else {
            assert_int_equal(st, OAI_ERR_INVALID_DATA);
            assert_string_equal(oai_webhook_error_code(wh), cases[i].code);
        }
        oai_webhook_free(wh);
    }
    /* "now" is floored to whole seconds, as int(time.time()) is. */
    oai_webhook *wh = synthetic_verifier(RAW_SECRET);
    char ts[32], sig[64];
    delivery d;
    snprintf(ts, sizeof ts, "%d", NOW);
    signed_delivery(&d, sig, ts, RAW_SECRET, strlen(RAW_SECRET));
    assert_int_equal(oai_webhook_set_tolerance_ms(wh, 0), OAI_OK);
    assert_int_equal(oai_webhook_set_now_ms(wh, (int64_t)NOW * 1000 + 999), OAI_OK);
    assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
    assert_int_equal(oai_webhook_set_now_ms(wh, (int64_t)NOW * 1000 - 1), OAI_OK);
    assert_int_equal(verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA);
    assert_string_equal(oai_webhook_error_code(wh), "timestamp_too_new");
    /* The system clock again: NOW (2025) is long past. */
    assert_int_equal(oai_webhook_set_now_ms(wh, -1), OAI_OK);
    assert_int_equal(oai_webhook_set_tolerance_ms(wh, 300000), OAI_OK);
    assert_int_equal(verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA);
    assert_string_equal(oai_webhook_error_code(wh), "timestamp_too_old");
    assert_int_equal(oai_webhook_set_tolerance_ms(wh, -1), OAI_ERR_INVALID_ARGUMENT);
    oai_webhook_free(wh);
}

/* The timestamp is read as Python's int() reads it, and signed as received. */
static void test_timestamp_text(void **state)
{
    (void)state;
    static const char *const accepted[] = {"01750000000", "+1750000000", " 1750000000 ", "\t1750000000\n"};
    static const char *const refused[] = {"", " ", "1.5", "1750000000x", "0x10", "1_750_000_000", "+",
                                          "- 1", "1750000000 1"};
    oai_webhook *wh = synthetic_verifier(RAW_SECRET);
    char sig[64];
    delivery d;
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        signed_delivery(&d, sig, accepted[i], RAW_SECRET, strlen(RAW_SECRET));
        assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
        /* signed over the text as received: another spelling fails */
        make_delivery(&d, sig, "1750000000", WEBHOOK_ID);
        assert_int_equal(verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA);
        assert_string_equal(oai_webhook_error_code(wh), "signature_mismatch");
    }
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        signed_delivery(&d, sig, refused[i], RAW_SECRET, strlen(RAW_SECRET));
        assert_failure(wh, verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA, "invalid_timestamp",
                       "invalid webhook timestamp format");
    }
    /* Far outside int64_t: too new or too old, never an overflow. */
    make_delivery(&d, "v1,x", "99999999999999999999999999999999", WEBHOOK_ID);
    assert_failure(wh, verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA, "timestamp_too_new", "too new");
    make_delivery(&d, "v1,x", "-99999999999999999999999999999999", WEBHOOK_ID);
    assert_failure(wh, verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA, "timestamp_too_old", "too old");
    make_delivery(&d, "v1,x", "-0", WEBHOOK_ID);
    assert_failure(wh, verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA, "timestamp_too_old", "too old");
    oai_webhook_free(wh);
}

/* Bad secrets: refused when the verifier is made, never echoed. */
static void test_bad_secrets(void **state)
{
    (void)state;
    static const char *const bad[] = {"whsec_a", "whsec_YQ", "whsec_", "whsec_!!!!", "whsec_YQ==YQ==",
                                      "whsec_Y===", "whsec_c2VjcmV0-"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        oai_webhook *wh = oai_webhook_new(NULL, bad[i]);
        assert_non_null(wh);
        assert_int_equal(oai_webhook_status(wh), OAI_ERR_INVALID_ARGUMENT);
        assert_string_equal(oai_webhook_error_code(wh), "invalid_secret");
        assert_non_null(strstr(oai_webhook_error_message(wh), "webhook secret is invalid"));
        if (strlen(bad[i]) > 9)
            assert_null(strstr(oai_webhook_error_message(wh), bad[i] + 6));
        assert_int_equal(oai_webhook_verify(wh, NULL, NULL, 0, NULL, 0), OAI_ERR_INVALID_ARGUMENT);
        oai_webhook_free(wh);
    }
    /* Padded base64 with surrounding whitespace (a secret read from a file). */
    oai_webhook *wh = synthetic_verifier("whsec_c3ludGhldGljLXdlYmhvb2stc2VjcmV0\n");
    char ts[32], sig[64];
    delivery d;
    snprintf(ts, sizeof ts, "%d", NOW);
    signed_delivery(&d, sig, ts, RAW_SECRET, strlen(RAW_SECRET));
    assert_int_equal(verify(wh, &d, PAYLOAD), OAI_OK);
    oai_webhook_free(wh);
    /* A raw secret is its bytes, whitespace and all. */
    wh = synthetic_verifier(" " RAW_SECRET);
    assert_int_equal(verify(wh, &d, PAYLOAD), OAI_ERR_INVALID_DATA);
    oai_webhook_free(wh);
}

/* OPENAI_WEBHOOK_SECRET: read by oai_client_new(), and by oai_webhook_new()
 * without a client; an explicit secret wins. */
static void test_environment(void **state)
{
    (void)state;
    char ts[32], sig[64];
    delivery d;
    snprintf(ts, sizeof ts, "%d", NOW);
    signed_delivery(&d, sig, ts, RAW_SECRET, strlen(RAW_SECRET));

    setenv("OPENAI_WEBHOOK_SECRET", RAW_SECRET, 1);
    oai_client *c = oai_client_new();
    unsetenv("OPENAI_WEBHOOK_SECRET");
    oai_webhook *from_client = oai_webhook_new(c, NULL);
    assert_int_equal(oai_webhook_set_now_ms(from_client, (int64_t)NOW * 1000), OAI_OK);
    assert_int_equal(verify(from_client, &d, PAYLOAD), OAI_OK);
    oai_webhook_free(from_client);

    setenv("OPENAI_WEBHOOK_SECRET", "whsec_c3ludGhldGljLXdlYmhvb2stc2VjcmV0", 1);
    oai_webhook *from_env = synthetic_verifier(NULL);
    assert_int_equal(verify(from_env, &d, PAYLOAD), OAI_OK);
    oai_webhook_free(from_env);
    oai_webhook *explicit_secret = synthetic_verifier("another-secret");
    assert_int_equal(verify(explicit_secret, &d, PAYLOAD), OAI_ERR_INVALID_DATA);
    oai_webhook_free(explicit_secret);
    unsetenv("OPENAI_WEBHOOK_SECRET");

    /* Clearing the client's secret. */
    assert_int_equal(oai_client_set_webhook_secret(c, NULL), OAI_OK);
    oai_webhook *none = oai_webhook_new(c, NULL);
    assert_string_equal(oai_webhook_error_code(none), "missing_secret");
    oai_webhook_free(none);
    oai_client_free(c);
}

/* unwrap: an authentic body that is not a JSON object is a protocol error;
 * a failure forgets the previous event. */
static void test_unwrap_invalid_json(void **state)
{
    (void)state;
    static const char *const bodies[] = {"", "not json", "{\"type\":", "[1,2]", "\"event\"", "{} {}"};
    oai_webhook *wh = synthetic_verifier(RAW_SECRET);
    char ts[32], sig[64];
    snprintf(ts, sizeof ts, "%d", NOW);
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        delivery d;
        sign(sig, RAW_SECRET, strlen(RAW_SECRET), WEBHOOK_ID, ts, bodies[i], strlen(bodies[i]));
        make_delivery(&d, sig, ts, WEBHOOK_ID);
        assert_int_equal(verify(wh, &d, bodies[i]), OAI_OK);
        assert_failure(wh, oai_webhook_unwrap(wh, d.names, d.values, d.count, bodies[i], strlen(bodies[i])),
                       OAI_ERR_PROTOCOL, "invalid_json", "not");
        assert_null(oai_webhook_json(wh));
    }
    /* An event without type or data is still an event. */
    delivery d;
    sign(sig, RAW_SECRET, strlen(RAW_SECRET), WEBHOOK_ID, ts, "{}", 2);
    make_delivery(&d, sig, ts, WEBHOOK_ID);
    assert_int_equal(oai_webhook_unwrap(wh, d.names, d.values, d.count, "{}", 2), OAI_OK);
    assert_non_null(oai_webhook_json(wh));
    assert_null(oai_webhook_type(wh));
    assert_null(oai_webhook_data(wh));
    /* The next verification forgets it, success or not. */
    signed_delivery(&d, sig, ts, RAW_SECRET, strlen(RAW_SECRET));
    assert_int_equal(oai_webhook_unwrap(wh, d.names, d.values, d.count, PAYLOAD, strlen(PAYLOAD)), OAI_OK);
    assert_string_equal(oai_webhook_type(wh), "batch.completed");
    assert_int_equal(oai_value_get_bool(oai_webhook_data(wh), "/caf\xc3\xa9"), 1);
    assert_int_equal(verify(wh, &d, "tampered"), OAI_ERR_INVALID_DATA);
    assert_null(oai_webhook_json(wh));
    oai_webhook_free(wh);
}

/* NULL handles and arguments; repeated and NULL header entries. */
static void test_arguments(void **state)
{
    (void)state;
    const char *names[] = {NULL, "webhook-signature", "webhook-signature", "webhook-timestamp", "x",
                           "webhook-id"};
    const char *values[] = {"ignored", NULL, "v1,first-wins", "1750000000", NULL, WEBHOOK_ID};
    assert_int_equal(oai_webhook_verify(NULL, NULL, NULL, 0, NULL, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_webhook_unwrap(NULL, NULL, NULL, 0, NULL, 0), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_webhook_status(NULL), OAI_ERR_INVALID_ARGUMENT);
    assert_null(oai_webhook_error_message(NULL));
    assert_null(oai_webhook_error_code(NULL));
    assert_null(oai_webhook_json(NULL));
    assert_null(oai_webhook_type(NULL));
    assert_null(oai_webhook_data(NULL));
    assert_int_equal(oai_webhook_set_tolerance_ms(NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    assert_int_equal(oai_webhook_set_now_ms(NULL, 1), OAI_ERR_INVALID_ARGUMENT);
    oai_webhook_free(NULL);

    oai_webhook *wh = synthetic_verifier(RAW_SECRET);
    assert_failure(wh, oai_webhook_verify(wh, NULL, values, 1, "", 0), OAI_ERR_INVALID_ARGUMENT,
                   "invalid_argument", "NULL");
    assert_failure(wh, oai_webhook_verify(wh, names, NULL, 1, "", 0), OAI_ERR_INVALID_ARGUMENT,
                   "invalid_argument", "NULL");
    assert_failure(wh, oai_webhook_verify(wh, names, values, 6, NULL, 3), OAI_ERR_INVALID_ARGUMENT,
                   "invalid_argument", "NULL");
    /* The first usable "webhook-signature" counts: a wrong one. */
    char sig[64];
    sign(sig, RAW_SECRET, strlen(RAW_SECRET), WEBHOOK_ID, "1750000000", "", 0);
    assert_int_equal(oai_webhook_verify(wh, names, values, 6, NULL, 0), OAI_ERR_INVALID_DATA);
    values[2] = sig;
    assert_int_equal(oai_webhook_verify(wh, names, values, 6, NULL, 0), OAI_OK);
    oai_webhook_free(wh);
}

/* ---- examples/webhook.c ------------------------------------------------- */

#ifdef OAI_EXAMPLE_WEBHOOK_PATH
static void run_example(run_result *r, const char *secret, const char *id, const char *ts,
                        const char *sig, const char *body)
{
    char env_secret[256];
    snprintf(env_secret, sizeof env_secret, "OPENAI_WEBHOOK_SECRET=%s", secret);
    char *argv[] = {"/usr/bin/env", env_secret, OAI_EXAMPLE_WEBHOOK_PATH, (char *)id, (char *)ts,
                    (char *)sig, NULL};
    run_program(r, NULL, NULL, body, argv);
}

/* A fresh delivery passes on the system clock; a stale, a forged or a
 * tampered one fails with the reason on stderr. */
static void test_example(void **state)
{
    (void)state;
    run_result r;
    char ts[32], old[32], sig[64], old_sig[64];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    snprintf(old, sizeof old, "%lld", (long long)time(NULL) - 3600);
    sign(sig, RAW_SECRET, strlen(RAW_SECRET), WEBHOOK_ID, ts, PAYLOAD, strlen(PAYLOAD));
    sign(old_sig, RAW_SECRET, strlen(RAW_SECRET), WEBHOOK_ID, old, PAYLOAD, strlen(PAYLOAD));

    run_example(&r, "whsec_c3ludGhldGljLXdlYmhvb2stc2VjcmV0", WEBHOOK_ID, ts, sig, PAYLOAD);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "batch.completed");
    assert_contains(r.out, "batch_1");
    run_result_free(&r);

    run_example(&r, RAW_SECRET, WEBHOOK_ID, old, old_sig, PAYLOAD);
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.err, "too old");
    assert_string_equal(r.out, "");
    run_result_free(&r);

    run_example(&r, RAW_SECRET, WEBHOOK_ID, ts, sig, "{\"type\":\"forged\"}");
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.err, "does not match");
    run_result_free(&r);

    run_example(&r, "whsec_a", WEBHOOK_ID, ts, sig, PAYLOAD);
    assert_int_not_equal(r.exit_code, 0);
    assert_contains(r.err, "secret");
    run_result_free(&r);
}
#endif

#ifdef OAI_SHARED_LIBRARY_PATH
#include <dlfcn.h>

/* A host that loads the library, verifies, frees its verifiers and unloads
 * it (LuaJIT at exit, a game's hot reload) leaves nothing behind: the HMAC
 * context shared by the verifiers goes with the last of them. Under
 * valgrind (scripts/test.sh's memcheck phase) a block left behind is
 * "definitely lost" once the library is unloaded, and fails the suite. */
static void test_unload_after_free(void **state)
{
    (void)state;
    void *lib = dlopen(OAI_SHARED_LIBRARY_PATH, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    oai_webhook *(*make)(const oai_client *, const char *);
    oai_status (*now)(oai_webhook *, int64_t);
    oai_status (*check)(oai_webhook *, const char *const *, const char *const *, size_t, const char *,
                         size_t);
    void (*release)(oai_webhook *);
    *(void **)&make = dlsym(lib, "oai_webhook_new");
    *(void **)&now = dlsym(lib, "oai_webhook_set_now_ms");
    *(void **)&check = dlsym(lib, "oai_webhook_verify");
    *(void **)&release = dlsym(lib, "oai_webhook_free");
    assert_true(make && now && check && release);
    const char *names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
    const char *values[] = {"wh_1", "1", "v1,AAAA"};
    for (int i = 0; i < 2; i++) { /* the context made, freed, made again */
        oai_webhook *wh = make(NULL, "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=");
        assert_non_null(wh);
        assert_int_equal(now(wh, 1000), OAI_OK);
        assert_int_equal(check(wh, names, values, 3, "{}", 2), OAI_ERR_INVALID_DATA); /* a wrong signature */
        release(wh);
    }
    assert_int_equal(dlclose(lib), 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_official_unwrap),
        cmocka_unit_test(test_official_valid),
        cmocka_unit_test(test_official_payload_bytes),
        cmocka_unit_test(test_official_missing_secret),
        cmocka_unit_test(test_official_wrong_secret),
        cmocka_unit_test(test_official_missing_headers),
        cmocka_unit_test(test_official_client_secret),
        cmocka_unit_test(test_official_too_old_too_new),
        cmocka_unit_test(test_official_custom_tolerance),
        cmocka_unit_test(test_official_dummy_signatures),
        cmocka_unit_test(test_official_multiple_signatures),
        cmocka_unit_test(test_official_invalid_timestamp),
        cmocka_unit_test(test_secret_forms_and_signature_forms),
        cmocka_unit_test(test_window_boundaries),
        cmocka_unit_test(test_timestamp_text),
        cmocka_unit_test(test_bad_secrets),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_unwrap_invalid_json),
        cmocka_unit_test(test_arguments),
#ifdef OAI_EXAMPLE_WEBHOOK_PATH
        cmocka_unit_test(test_example),
#endif
#ifdef OAI_SHARED_LIBRARY_PATH
        cmocka_unit_test(test_unload_after_free),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
