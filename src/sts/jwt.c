/*
 * jwt.c -- RS256 compact-JWS signing for the token service (see jwt.h).
 *
 * The token is base64url(header) "." base64url(claims) "." base64url(sig)
 * where sig is RSASSA-PKCS1-v1_5 with SHA-256 over the first two parts --
 * the format Entra ID issues and every Azure resource verifies. The header
 * carries typ, alg, kid and (as v1 tokens do) x5t.
 *
 * Verification is deliberately not here: there is one verifier,
 * mident_verify in lib/verify.c.
 */
#include "jwt.h"

#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/json.h"

/* {"typ":"JWT","alg":"RS256","kid":..,"x5t":..} as compact JSON. */
static char *header_json(const char *kid, const char *x5t)
{
    cJSON *h = cJSON_CreateObject();
    char *text = NULL;
    if (h && json_set_str(h, "typ", "JWT") == 0 &&
        json_set_str(h, "alg", "RS256") == 0 &&
        json_set_str(h, "kid", kid) == 0 &&
        (!x5t || json_set_str(h, "x5t", x5t) == 0))
        text = json_print(h);
    cJSON_Delete(h);
    return text;
}

/* base64url(header) "." base64url(claims) into b. */
static int signing_input(buf *b, const char *kid, const char *x5t,
                         const cJSON *claims)
{
    char *h = header_json(kid, x5t);
    char *c = json_print(claims);
    char *h64 = h ? b64url_encode(h, strlen(h)) : NULL;
    char *c64 = c ? b64url_encode(c, strlen(c)) : NULL;
    int ok = h64 && c64;
    if (ok) {
        buf_puts(b, h64);
        buf_putc(b, '.');
        buf_puts(b, c64);
    }
    free(h);
    free(c);
    free(h64);
    free(c64);
    return ok && !buf_failed(b) ? 0 : -1;
}

/* The PKCS#1 v1.5 / SHA-256 signature of data, malloc'd. */
static unsigned char *rs256_sign(EVP_PKEY *key, const void *data, size_t len,
                                 size_t *sig_len, mident_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    if (!ctx) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    if (EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key, NULL) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
        EVP_DigestSign(ctx, NULL, sig_len, data, len) != 1) {
        mid_fail(err, MIDENT_ECRYPTO, "cannot set up RS256 signing");
        goto done;
    }
    sig = malloc(*sig_len);
    if (!sig) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_DigestSign(ctx, sig, sig_len, data, len) != 1) {
        mid_fail(err, MIDENT_ECRYPTO, "RS256 signing failed");
        free(sig);
        sig = NULL;
    }
done:
    EVP_MD_CTX_free(ctx);
    return sig;
}

char *jwt_sign_rs256(EVP_PKEY *key, const char *kid, const char *x5t,
                     const cJSON *claims, mident_error *err)
{
    if (!key || !kid || !*kid || !cJSON_IsObject(claims)) {
        mid_fail(err, MIDENT_EINVAL, "jwt_sign_rs256: need a key, a kid and a claims object");
        return NULL;
    }
    /* One algorithm per key: an EC or HMAC key must never end up behind an
     * "RS256" header. */
    if (!EVP_PKEY_is_a(key, "RSA")) {
        mid_fail(err, MIDENT_EINVAL, "jwt_sign_rs256: key is not an RSA key");
        return NULL;
    }
    buf b;
    buf_init(&b);
    if (signing_input(&b, kid, x5t, claims) < 0) {
        buf_free(&b);
        mid_fail(err, MIDENT_ENOMEM, "out of memory building the token");
        return NULL;
    }
    size_t sig_len = 0;
    unsigned char *sig = rs256_sign(key, b.data, b.len, &sig_len, err);
    if (!sig) {
        buf_free(&b);
        return NULL;
    }
    char *sig64 = b64url_encode(sig, sig_len);
    free(sig);
    if (sig64) {
        buf_putc(&b, '.');
        buf_puts(&b, sig64);
        free(sig64);
    }
    char *token = sig64 ? buf_steal(&b, NULL) : NULL;
    buf_free(&b);
    if (!token)
        mid_fail(err, MIDENT_ENOMEM, "out of memory building the token");
    return token;
}
