/* Randomness from OpenSSL's CSPRNG: bytes, jitter, UUIDs (util.h). */
#include "util/util.h"

#include <openssl/rand.h>

#include <stdio.h>

oai_status oai__random_bytes(void *buf, size_t len)
{
    if (len > INT32_MAX || RAND_bytes(buf, (int)len) != 1)
        return OAI_ERR_OUT_OF_MEMORY;
    return OAI_OK;
}

double oai__random_unit(void)
{
    uint64_t r = 0;
    if (oai__random_bytes(&r, sizeof r) != OAI_OK)
        return 0.5; /* no entropy: a fixed mid-range jitter is still safe */
    return (double)(r >> 11) / 9007199254740992.0; /* 53 bits into [0, 1) */
}

oai_status oai__uuid4(char out[37])
{
    unsigned char b[16];
    if (oai__random_bytes(b, sizeof b) != OAI_OK)
        return OAI_ERR_OUT_OF_MEMORY;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
    return OAI_OK;
}
