/* rand.c -- see rand.h. */
#include "rand.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

int rand_bytes(void *out, size_t n, mident_error *err)
{
    if (RAND_bytes(out, (int)n) != 1)
        return mid_fail(err, MIDENT_ECRYPTO, "random number generator failed");
    return 0;
}

int uuid_v4(char out[UUID_STR_LEN], mident_error *err)
{
    unsigned char b[16];
    if (rand_bytes(b, sizeof b, err) < 0)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, UUID_STR_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
    return 0;
}

int uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

char *rand_secret(size_t nbytes, mident_error *err)
{
    unsigned char b[128];
    if (nbytes > sizeof b) {
        mid_fail(err, MIDENT_EINVAL, "secret too long");
        return NULL;
    }
    if (rand_bytes(b, nbytes, err) < 0)
        return NULL;
    char *s = b64url_encode(b, nbytes);
    OPENSSL_cleanse(b, sizeof b);
    if (!s)
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
    return s;
}

int rand_hex(char *out, size_t n, mident_error *err)
{
    unsigned char b[64];
    if (n > sizeof b)
        return mid_fail(err, MIDENT_EINVAL, "too many random bytes");
    if (rand_bytes(b, n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

int secret_equal(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return 0; /* lengths of our secrets are public */
    return CRYPTO_memcmp(a, b, la) == 0;
}
