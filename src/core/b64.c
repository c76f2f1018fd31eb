/* b64.c -- base64 / base64url codecs; see b64.h. */
#include "b64.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char STD[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *encode(const unsigned char *in, size_t len, const char *alpha,
                    int pad)
{
    size_t out_len = (len / 3) * 4 + 4 + 1;
    char *out = malloc(out_len);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = alpha[(v >> 18) & 63];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

char *b64url_encode(const void *data, size_t len)
{
    return encode(data, len, URL, 0);
}

char *b64_encode(const void *data, size_t len)
{
    return encode(data, len, STD, 1);
}

/* Reverse tables, built once: -1 for bytes outside the alphabet. A table
 * lookup per character, because token verification decodes every request. */
static signed char REV_STD[256], REV_URL[256];

static void build_reverse(signed char rev[256], const char *alpha)
{
    memset(rev, -1, 256);
    for (int i = 0; i < 64; i++)
        rev[(unsigned char)alpha[i]] = (signed char)i;
}

static pthread_once_t rev_once = PTHREAD_ONCE_INIT;

static void build_tables(void)
{
    build_reverse(REV_STD, STD);
    build_reverse(REV_URL, URL);
}

static int value_of(char c, const char *alpha)
{
    return (alpha == URL ? REV_URL : REV_STD)[(unsigned char)c];
}

static unsigned char *decode(const char *s, size_t slen, size_t *outlen,
                             const char *alpha)
{
    pthread_once(&rev_once, build_tables);
    if (slen % 4 == 1)
        return NULL;
    unsigned char *out = malloc(slen / 4 * 3 + 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < slen; i++) {
        int v = value_of(s[i], alpha);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { /* non-canonical trailing bits */
        free(out);
        return NULL;
    }
    out[o] = 0;
    if (outlen)
        *outlen = o;
    return out;
}

unsigned char *b64url_decode(const char *s, size_t slen, size_t *outlen)
{
    return decode(s, slen, outlen, URL);
}

unsigned char *b64_decode(const char *s, size_t slen, size_t *outlen)
{
    while (slen > 0 && s[slen - 1] == '=')
        slen--;
    return decode(s, slen, outlen, STD);
}
