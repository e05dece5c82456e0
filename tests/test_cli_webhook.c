/*
 * `oai webhook verify` (cli/cmd_webhook.c), run as a child process: the
 * official SDKs' test delivery (see tests/test_webhook.c for its source),
 * deliveries signed here with OpenSSL, every way of failing and its exit
 * status, and the secret never shown. No network.
 *
 * The tool's path comes from OAI_CLI_PATH (tests/extra.cmake); the suite is
 * built only where the tool is (tests/CMakeLists.txt lists it among the
 * suites that need libcurl).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "child_process.h"

#ifdef OAI_CLI_PATH
#define CLI_BUILT 1
#else
#define CLI_BUILT 0 /* -DOAI_BUILD_CLI=OFF: every test skips */
#define OAI_CLI_PATH ""
#endif

#define TEST_SECRET "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
#define TEST_PAYLOAD                                                                               \
    "{\"id\": \"evt_685c059ae3a481909bdc86819b066fb6\", \"object\": \"event\", \"created_at\": "    \
    "1750861210, \"type\": \"response.completed\", \"data\": {\"id\": \"resp_123\"}}"
#define TEST_TIMESTAMP "1750861210"
#define TEST_WEBHOOK_ID "wh_685c059ae39c8190af8c71ed1022a24d"
#define TEST_SIGNATURE "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY="

#define MAX_ARGS 24

/* Runs `oai webhook verify ARGS...` (NULL-terminated), with @p env_secret
 * as OPENAI_WEBHOOK_SECRET when not NULL, @p input on stdin. */
static void run_verify(run_result *r, const char *env_secret, const char *input, ...)
{
    char *argv[MAX_ARGS];
    char env_arg[256];
    int n = 0;
    va_list ap;

    if (!CLI_BUILT)
        skip();
    if (env_secret) {
        snprintf(env_arg, sizeof env_arg, "OPENAI_WEBHOOK_SECRET=%s", env_secret);
        argv[n++] = "/usr/bin/env";
        argv[n++] = env_arg;
    }
    argv[n++] = (char *)OAI_CLI_PATH;
    argv[n++] = "webhook";
    argv[n++] = "verify";
    va_start(ap, input);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < MAX_ARGS - 1;)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    run_program(r, NULL, NULL, input, argv);
    assert_not_contains(r->out, "RdvaYFYU");
    assert_not_contains(r->err, "RdvaYFYU");
}

/* The official delivery at its own time: the event type on stdout. */
static void test_valid_official(void **state)
{
    (void)state;
    run_result r;
    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--now", "1750861210", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "response.completed\n");
    assert_string_equal(r.err, "");
    run_result_free(&r);

    /* "-" is stdin too; --json prints the whole event; the secret from the
     * environment. */
    run_verify(&r, TEST_SECRET, TEST_PAYLOAD, "--id", TEST_WEBHOOK_ID, "--timestamp", TEST_TIMESTAMP,
               "--signature", "v1,invalid " TEST_SIGNATURE, "--now", "1750861210", "--json", "-", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "\"id\":\"evt_685c059ae3a481909bdc86819b066fb6\"");
    assert_contains(r.out, "\"data\":{\"id\":\"resp_123\"}");
    run_result_free(&r);
}

/* The body from a file, read as bytes. */
static void test_valid_from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/oai_webhook_body_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, TEST_PAYLOAD, strlen(TEST_PAYLOAD)), (ssize_t)strlen(TEST_PAYLOAD));
    close(fd);
    run_result r;
    run_verify(&r, NULL, NULL, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--now", "1750861210", path, NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "response.completed\n");
    run_result_free(&r);
    unlink(path);

    run_verify(&r, NULL, NULL, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, path, NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "OAI_ERR_IO");
    assert_contains(r.err, path);
    run_result_free(&r);
}

/* On the system clock the official delivery (June 2025) is too old, unless
 * the tolerance covers it. */
static void test_tolerance_and_clock(void **state)
{
    (void)state;
    run_result r;
    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, NULL);
    assert_int_equal(r.exit_code, 10);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "OAI_ERR_INVALID_DATA: webhook timestamp is too old");
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--tolerance", "3000000000", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "response.completed\n");
    run_result_free(&r);

    /* 400 s either way of --now, as in the official tests. */
    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--now", "1750861610", NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "too old");
    run_result_free(&r);
    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--now", "1750860810", NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "too new");
    run_result_free(&r);
    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--now", "1750860810", "--tolerance", "400",
               NULL);
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
}

/* Rejected deliveries: the reason on stderr, exit 10. */
static void test_rejected(void **state)
{
    (void)state;
    run_result r;
    run_verify(&r, NULL, TEST_PAYLOAD "\n", "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID,
               "--timestamp", TEST_TIMESTAMP, "--signature", TEST_SIGNATURE, "--now", "1750861210", NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "does not match the expected signature");
    assert_not_contains(r.err, "gUAg4R2h");
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               TEST_TIMESTAMP, "--now", "1750861210", NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "missing required header: webhook-signature");
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", TEST_SECRET, "--id", TEST_WEBHOOK_ID, "--timestamp",
               "not-a-number", "--signature", TEST_SIGNATURE, NULL);
    assert_int_equal(r.exit_code, 10);
    assert_contains(r.err, "invalid webhook timestamp format");
    run_result_free(&r);
}

/* An authentic body that is not JSON: exit 9. */
static void test_signed_not_json(void **state)
{
    (void)state;
    static const char secret[] = "raw-secret-for-the-cli";
    static const char body[] = "not json";
    char ts[32], msg[128], sig[64];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    int n = snprintf(msg, sizeof msg, "evt_1.%s.%s", ts, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, (size_t)n, mac,
                         &mac_len));
    memcpy(sig, "v1,", 3);
    EVP_EncodeBlock((unsigned char *)sig + 3, mac, (int)mac_len);
    run_result r;
    run_verify(&r, secret, body, "--id", "evt_1", "--timestamp", ts, "--signature", sig, NULL);
    assert_int_equal(r.exit_code, 9);
    assert_contains(r.err, "OAI_ERR_PROTOCOL");
    assert_contains(r.err, "not valid JSON");
    assert_not_contains(r.err, secret);
    run_result_free(&r);
}

/* No usable secret, bad options: usage errors (exit 2). */
static void test_usage_errors(void **state)
{
    (void)state;
    run_result r;
    run_verify(&r, NULL, TEST_PAYLOAD, "--id", TEST_WEBHOOK_ID, "--timestamp", TEST_TIMESTAMP,
               "--signature", TEST_SIGNATURE, NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "OPENAI_WEBHOOK_SECRET");
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", "whsec_not!base64", "--id", "x", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "webhook secret is invalid");
    assert_not_contains(r.err, "not!base64");
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", "s", "--tolerance", "five", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "--tolerance");
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", "s", "--now", "-5", NULL);
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);

    run_verify(&r, NULL, TEST_PAYLOAD, "--secret", "s", "a", "b", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "too many arguments");
    run_result_free(&r);

    run_verify(&r, NULL, NULL, "--help", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "--signature");
    assert_contains(r.out, "OPENAI_WEBHOOK_SECRET");
    run_result_free(&r);

    char *argv[] = {(char *)OAI_CLI_PATH, "webhook", NULL};
    run_program(&r, NULL, NULL, NULL, argv);
    assert_int_equal(r.exit_code, 2);
    assert_contains(r.err, "verify");
    run_result_free(&r);

    char *help[] = {(char *)OAI_CLI_PATH, "--help", NULL};
    run_program(&r, NULL, NULL, NULL, help);
    assert_int_equal(r.exit_code, 0);
    assert_contains(r.out, "webhook");
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_official),
        cmocka_unit_test(test_valid_from_file),
        cmocka_unit_test(test_tolerance_and_clock),
        cmocka_unit_test(test_rejected),
        cmocka_unit_test(test_signed_not_json),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
