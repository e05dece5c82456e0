/* libFuzzer target for webhook verification (src/webhooks/webhook.c): the
 * secret's decoding, the header lookup, the timestamp's parsing and window,
 * the signature list, and the event's parsing.
 *
 * Input: four lines, then the body (any bytes):
 *   SECRET \n WEBHOOK-ID \n WEBHOOK-TIMESTAMP \n WEBHOOK-SIGNATURE \n BODY
 * A missing line leaves its header out. "Now" is 1750861210 (the official
 * test vector's time), so the seed corpus' official delivery passes.
 *
 * Checks, aborting on any violation:
 * - every outcome is one of the documented statuses and codes, with a
 *   message exactly when it failed, never holding the secret;
 * - a success of unwrap leaves a JSON object, a failure none;
 * - verify and unwrap agree on everything but the JSON;
 * - a differential check: the input's signature header plus the correct
 *   signature (computed here with OpenSSL's one-shot HMAC, for raw secrets)
 *   never fails with "signature_mismatch".
 *
 * Build: cmake -B build-fuzz -DCMAKE_C_COMPILER=clang -DOAI_FUZZ=ON
 *        cmake --build build-fuzz --target fuzz_webhook
 *        build-fuzz/tests/fuzz/fuzz_webhook -max_total_time=60 tests/fuzz/corpus/fuzz_webhook
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "oai.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_S 1750861210

#define CHECK(cond)                                                                                    \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            fprintf(stderr, "fuzz_webhook: check failed: %s (line %d)\n", #cond, __LINE__);            \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

static const char *const codes[] = {"missing_secret", "invalid_secret", "missing_header",
                                    "invalid_timestamp", "timestamp_too_old", "timestamp_too_new",
                                    "signature_mismatch", "invalid_json", "invalid_argument",
                                    "out_of_memory"};

/* The next line of [*p, end) as a new NUL-terminated string, or NULL at the
 * end of the input. NUL bytes end the string early, as a C caller's would. */
static char *next_line(const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return NULL;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(len + 1);
    if (!s)
        abort();
    memcpy(s, *p, len);
    s[len] = '\0';
    *p += len + (nl ? 1 : 0);
    return s;
}

static void check_outcome(const oai_webhook *wh, oai_status st, const char *secret)
{
    const char *code = oai_webhook_error_code(wh);
    const char *message = oai_webhook_error_message(wh);
    if (st == OAI_OK) {
        CHECK(code == NULL && message == NULL);
        return;
    }
    CHECK(st == OAI_ERR_INVALID_DATA || st == OAI_ERR_INVALID_ARGUMENT || st == OAI_ERR_PROTOCOL
          || st == OAI_ERR_OUT_OF_MEMORY);
    CHECK(code != NULL && message != NULL && message[0] != '\0');
    CHECK(strlen(message) < 192);
    int known = 0;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        known |= strcmp(code, codes[i]) == 0;
    CHECK(known);
    if (strlen(secret) >= 12)
        CHECK(strstr(message, secret) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *secret = next_line(&p, end);
    char *id = next_line(&p, end);
    char *timestamp = next_line(&p, end);
    char *signature = next_line(&p, end);
    const char *body = (const char *)p;
    size_t body_len = (size_t)(end - p);

    const char *names[3], *values[3];
    size_t count = 0;
    if (signature) {
        names[count] = "webhook-signature";
        values[count++] = signature;
    }
    if (timestamp) {
        names[count] = "Webhook-Timestamp";
        values[count++] = timestamp;
    }
    if (id) {
        names[count] = "WEBHOOK-ID";
        values[count++] = id;
    }

    oai_webhook *wh = oai_webhook_new(NULL, secret ? secret : "");
    if (!wh)
        goto done;
    oai_status sticky = oai_webhook_status(wh);
    CHECK(sticky == OAI_OK || sticky == OAI_ERR_INVALID_ARGUMENT || sticky == OAI_ERR_OUT_OF_MEMORY);
    if (sticky == OAI_OK)
        CHECK(oai_webhook_set_now_ms(wh, (int64_t)NOW_S * 1000) == OAI_OK);

    oai_status v = oai_webhook_verify(wh, names, values, count, body, body_len);
    check_outcome(wh, v, secret ? secret : "");
    CHECK(oai_webhook_json(wh) == NULL);
    const char *verify_code = oai_webhook_error_code(wh);

    oai_status u = oai_webhook_unwrap(wh, names, values, count, body, body_len);
    check_outcome(wh, u, secret ? secret : "");
    if (v != OAI_OK) {
        CHECK(u == v);
        CHECK(strcmp(oai_webhook_error_code(wh), verify_code) == 0);
    } else {
        CHECK(u == OAI_OK || u == OAI_ERR_PROTOCOL || u == OAI_ERR_OUT_OF_MEMORY);
    }
    if (u == OAI_OK)
        CHECK(oai_value_type_of(oai_webhook_json(wh)) == OAI_VALUE_OBJECT);
    else
        CHECK(oai_webhook_json(wh) == NULL);

    /* The differential check, for raw secrets and all three headers. */
    if (sticky == OAI_OK && secret && strncmp(secret, "whsec_", 6) != 0 && id && timestamp && signature) {
        size_t id_len = strlen(id), ts_len = strlen(timestamp);
        size_t msg_len = id_len + ts_len + 2 + body_len;
        unsigned char *msg = malloc(msg_len + 1);
        if (!msg)
            abort();
        memcpy(msg, id, id_len);
        msg[id_len] = '.';
        memcpy(msg + id_len + 1, timestamp, ts_len);
        msg[id_len + 1 + ts_len] = '.';
        if (body_len)
            memcpy(msg + id_len + ts_len + 2, body, body_len);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned mac_len = 0;
        if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, msg_len, mac, &mac_len)) {
            size_t sig_len = strlen(signature);
            char *both = malloc(sig_len + 64);
            if (!both)
                abort();
            memcpy(both, signature, sig_len);
            memcpy(both + sig_len, " v1,", 4);
            EVP_EncodeBlock((unsigned char *)both + sig_len + 4, mac, (int)mac_len);
            const char *values2[3] = {both, timestamp, id};
            const char *names2[3] = {"webhook-signature", "webhook-timestamp", "webhook-id"};
            oai_status d = oai_webhook_verify(wh, names2, values2, 3, body, body_len);
            check_outcome(wh, d, secret);
            if (d != OAI_OK)
                CHECK(strcmp(oai_webhook_error_code(wh), "signature_mismatch") != 0);
            free(both);
        }
        free(msg);
    }
    oai_webhook_free(wh);
done:
    free(secret);
    free(id);
    free(timestamp);
    free(signature);
    return 0;
}
