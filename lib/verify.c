/*
 * verify.c -- libmident's access-token verifier: JWKS key sets and strict
 * RS256 compact-JWS verification (see mident.h).
 *
 * This is the single verification code path of mident: resource servers
 * (vault/, third-party C programs) call it with a key set fetched from the
 * token service's JWKS, and the token service itself (sts_keys_verify)
 * builds a key set from its own published keys and calls the same
 * function.
 *
 * What "strict" means here, in the order the checks run:
 *   1. the token is at most MIDENT_TOKEN_MAX bytes and has exactly three
 *      non-empty base64url segments (no padding, no stray characters,
 *      canonical trailing bits);
 *   2. the header is a JSON object (no duplicate keys) whose `alg` is
 *      exactly "RS256" -- never "none", never an HMAC (an HS256 token
 *      "signed" with the RSA public key as secret is the classic
 *      key-confusion attack), never another RSA hash -- with no `crit`
 *      extensions and a `kid` that names a key of the set;
 *   3. the signature is RSASSA-PKCS1-v1_5 with SHA-256 over
 *      "header.payload", checked with EVP_DigestVerify before any claim is
 *      looked at;
 *   4. the claims: exp (required), nbf, iat with bounded skew; aud against
 *      the accepted audiences; iss against the accepted issuers; tid.
 *
 * Ownership and threads: a key set is immutable after construction and can
 * be shared by any number of verifying threads (EVP_PKEY is safe for
 * concurrent verification; each call uses its own EVP_MD_CTX).
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/err.h"
#include "core/json.h"
#include "mident.h"

/* Entra ID tokens are 1.5-3 KB; anything far larger is not a token we
 * issued and is refused before any decoding work. */
#define MIDENT_TOKEN_MAX (16 * 1024)
/* A JWKS document is a handful of keys; bound the parse work. */
#define MIDENT_JWKS_MAX (1024 * 1024)
/* Longest kid we keep (Entra's are 27-43 characters). */
#define KID_MAX 255
/* RSA modulus size bounds: below 2048 bits is too weak to trust, above
 * 8192 bits makes every verification a denial-of-service lever. */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

typedef struct {
    char *kid;
    EVP_PKEY *pkey;
} keyset_entry;

struct mident_keyset {
    keyset_entry *keys;
    size_t n;
};

struct mident_claims {
    cJSON *root;  /* parsed payload */
    char *json;   /* decoded payload text, NUL-terminated */
    char *kid;
};

/* ---- small helpers ------------------------------------------------------ */

/* Copies an attacker-controlled string into an error message safely:
 * truncated, and with anything but printable ASCII replaced by '?', so a
 * hostile kid or aud cannot forge log lines or break a JSON error body. */
static const char *printable(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    out[i] = '\0';
    if (s && s[i] && n > 4)
        memcpy(out + n - 4, "...", 4);
    return out;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- key sets ------------------------------------------------------------ */

/* Decodes a base64url JWK member into a BIGNUM. NULL when absent or not
 * strict base64url. */
static BIGNUM *jwk_bignum(const cJSON *jwk, const char *name, size_t *nbytes)
{
    const char *s = json_get_str(jwk, name);
    if (!s || !*s)
        return NULL;
    size_t len = 0;
    unsigned char *raw = b64url_decode(s, strlen(s), &len);
    if (!raw)
        return NULL;
    BIGNUM *bn = len ? BN_bin2bn(raw, (int)len, NULL) : NULL;
    free(raw);
    if (nbytes)
        *nbytes = len;
    return bn;
}

/* Builds an RSA public EVP_PKEY from n and e with the OpenSSL 3 provider
 * API (no deprecated RSA_* calls). */
static EVP_PKEY *rsa_from_n_e(const BIGNUM *n, const BIGNUM *e)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    OSSL_PARAM *params = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pkey = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* Turns one JWK into a key-set entry. Returns 1 when the key is usable,
 * 0 when it is skipped (with the reason in *why), -1 on out of memory. */
static int jwk_to_entry(const cJSON *jwk, keyset_entry *out, const char **why)
{
    if (!cJSON_IsObject(jwk)) {
        *why = "a key is not a JSON object";
        return 0;
    }
    const char *kty = json_get_str(jwk, "kty");
    if (!kty || strcmp(kty, "RSA") != 0) {
        *why = "no RSA key";
        return 0;
    }
    /* `use` may be absent (RFC 7517 4.2); if present it must be "sig". */
    const cJSON *use = cJSON_GetObjectItemCaseSensitive(jwk, "use");
    if (use && (!cJSON_IsString(use) || strcmp(use->valuestring, "sig") != 0)) {
        *why = "no signature key (use != \"sig\")";
        return 0;
    }
    /* One algorithm per kid: a key declared for another algorithm is not
     * one we would ever verify RS256 with. */
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(jwk, "alg");
    if (alg && (!cJSON_IsString(alg) || strcmp(alg->valuestring, "RS256") != 0)) {
        *why = "no RS256 key";
        return 0;
    }
    const char *kid = json_get_str(jwk, "kid");
    if (!kid || !*kid || strlen(kid) > KID_MAX) {
        *why = "an RSA key has no usable kid";
        return 0;
    }
    size_t n_len = 0, e_len = 0;
    BIGNUM *n = jwk_bignum(jwk, "n", &n_len);
    BIGNUM *e = jwk_bignum(jwk, "e", &e_len);
    int rc = 0;
    if (!n || !e) {
        *why = "an RSA key has a missing or malformed n or e";
        goto done;
    }
    int bits = BN_num_bits(n);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
        *why = "an RSA key has an unsupported modulus size";
        goto done;
    }
    if (e_len > 8 || !BN_is_odd(e) || BN_is_one(e)) {
        *why = "an RSA key has an invalid public exponent";
        goto done;
    }
    out->pkey = rsa_from_n_e(n, e);
    out->kid = dup_str(kid);
    if (!out->pkey || !out->kid) {
        EVP_PKEY_free(out->pkey);
        free(out->kid);
        out->pkey = NULL;
        out->kid = NULL;
        rc = -1;
        goto done;
    }
    rc = 1;
done:
    BN_free(n);
    BN_free(e);
    return rc;
}

static const keyset_entry *keyset_find(const mident_keyset *ks, const char *kid)
{
    for (size_t i = 0; i < ks->n; i++)
        if (strcmp(ks->keys[i].kid, kid) == 0)
            return &ks->keys[i];
    return NULL;
}

mident_keyset *mident_keyset_from_jwks(const char *json, size_t len,
                                       mident_error *err)
{
    if (!json) {
        mid_fail(err, MIDENT_EINVAL, "no JWKS document");
        return NULL;
    }
    if (len > MIDENT_JWKS_MAX) {
        mid_fail(err, MIDENT_ETOOBIG, "JWKS document is larger than %d bytes",
                 MIDENT_JWKS_MAX);
        return NULL;
    }
    cJSON *root = json_parse(json, len, err);
    if (!root) {
        mid_err_wrap(err, "JWKS");
        return NULL;
    }
    mident_keyset *ks = NULL;
    const cJSON *keys = cJSON_IsObject(root) ? json_get_arr(root, "keys") : NULL;
    if (!keys) {
        mid_fail(err, MIDENT_EINVAL, "JWKS: no \"keys\" array");
        goto fail;
    }
    ks = calloc(1, sizeof *ks);
    int count = cJSON_GetArraySize(keys);
    if (!ks || !(ks->keys = calloc(count > 0 ? (size_t)count : 1, sizeof *ks->keys))) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto fail;
    }
    const char *why = "the \"keys\" array is empty";
    const cJSON *jwk;
    cJSON_ArrayForEach(jwk, keys) {
        keyset_entry e = {0};
        int rc = jwk_to_entry(jwk, &e, &why);
        if (rc < 0) {
            mid_fail(err, MIDENT_ENOMEM, "out of memory");
            goto fail;
        }
        if (rc == 0)
            continue;
        /* Two keys under one kid would make key selection ambiguous. */
        if (keyset_find(ks, e.kid)) {
            char shown[72];
            mid_fail(err, MIDENT_EINVAL, "JWKS: duplicate kid '%s'",
                     printable(e.kid, shown, sizeof shown));
            EVP_PKEY_free(e.pkey);
            free(e.kid);
            goto fail;
        }
        ks->keys[ks->n++] = e;
    }
    if (ks->n == 0) {
        mid_fail(err, MIDENT_EINVAL, "JWKS holds no usable RSA signing key (%s)",
                 why);
        goto fail;
    }
    cJSON_Delete(root);
    return ks;
fail:
    cJSON_Delete(root);
    mident_keyset_free(ks);
    return NULL;
}

void mident_keyset_free(mident_keyset *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        EVP_PKEY_free(ks->keys[i].pkey);
        free(ks->keys[i].kid);
    }
    free(ks->keys);
    free(ks);
}

size_t mident_keyset_count(const mident_keyset *ks) { return ks ? ks->n : 0; }

/* ---- token structure and signature ------------------------------------- */

/* Splits "h.p.s" into its three segments; fails on any other count or an
 * empty segment. */
static int split_token(const char *tok, size_t len, const char *seg[3],
                       size_t seg_len[3], mident_error *err)
{
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (!d1 || !d2)
        return mid_fail(err, MIDENT_EAUTH,
                        "malformed token: expected 3 dot-separated segments");
    if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)))
        return mid_fail(err, MIDENT_EAUTH,
                        "malformed token: more than 3 segments");
    seg[0] = tok;
    seg_len[0] = (size_t)(d1 - tok);
    seg[1] = d1 + 1;
    seg_len[1] = (size_t)(d2 - d1 - 1);
    seg[2] = d2 + 1;
    seg_len[2] = len - (size_t)(d2 + 1 - tok);
    if (seg_len[0] == 0 || seg_len[1] == 0)
        return mid_fail(err, MIDENT_EAUTH, "malformed token: empty segment");
    if (seg_len[2] == 0)
        return mid_fail(err, MIDENT_EAUTH, "token is not signed");
    return 0;
}

/* Decodes a base64url segment into JSON text and parses it as an object. */
static cJSON *decode_json_segment(const char *seg, size_t len, const char *what,
                                  char **text, mident_error *err)
{
    size_t n = 0;
    unsigned char *raw = b64url_decode(seg, len, &n);
    if (!raw) {
        mid_fail(err, MIDENT_EAUTH, "malformed token: %s is not base64url", what);
        return NULL;
    }
    mident_error perr;
    cJSON *obj = n ? json_parse((const char *)raw, n, &perr) : NULL;
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        free(raw);
        mid_fail(err, MIDENT_EAUTH, "malformed token: %s is not a JSON object",
                 what);
        return NULL;
    }
    /* The payload text is kept as mident_claims_json(); the header's is
     * not needed. The decoder NUL-terminates, so raw is a C string -- but
     * one with an embedded NUL would differ from what was parsed. */
    if (text && strlen((const char *)raw) == n) {
        *text = (char *)raw;
    } else if (text) {
        cJSON_Delete(obj);
        free(raw);
        mid_fail(err, MIDENT_EAUTH, "malformed token: %s contains NUL", what);
        return NULL;
    } else {
        free(raw);
    }
    return obj;
}

/* Validates the JOSE header and picks the key it names. */
static const keyset_entry *check_header(const mident_keyset *ks,
                                        const cJSON *hdr, mident_error *err)
{
    char shown[72];
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
    if (!cJSON_IsString(alg)) {
        mid_fail(err, MIDENT_EAUTH, "token header has no alg");
        return NULL;
    }
    /* Exact, case-sensitive match: "none", "HS256", "rs256", "RS384" all
     * fail here, before any key is touched. */
    if (strcmp(alg->valuestring, "RS256") != 0) {
        mid_fail(err, MIDENT_EAUTH, "token algorithm '%s' is not accepted (RS256 only)",
                 printable(alg->valuestring, shown, sizeof shown));
        return NULL;
    }
    /* RFC 7515 4.1.11: extensions listed in crit must be understood; we
     * understand none. */
    if (cJSON_GetObjectItemCaseSensitive(hdr, "crit")) {
        mid_fail(err, MIDENT_EAUTH, "token header has unsupported critical extensions");
        return NULL;
    }
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(hdr, "kid");
    if (!cJSON_IsString(kid) || !kid->valuestring[0]) {
        mid_fail(err, MIDENT_EAUTH, "token header has no kid");
        return NULL;
    }
    const keyset_entry *key = keyset_find(ks, kid->valuestring);
    if (!key)
        mid_fail(err, MIDENT_EAUTH, "token signed with unknown key '%s'",
                 printable(kid->valuestring, shown, sizeof shown));
    return key;
}

/* RSASSA-PKCS1-v1_5 / SHA-256 over the signing input. */
static int check_signature(const keyset_entry *key, const char *input,
                           size_t input_len, const char *sig_b64,
                           size_t sig_b64_len, mident_error *err)
{
    size_t sig_len = 0;
    unsigned char *sig = b64url_decode(sig_b64, sig_b64_len, &sig_len);
    if (!sig)
        return mid_fail(err, MIDENT_EAUTH,
                        "malformed token: signature is not base64url");
    int rc = -1;
    /* A PKCS#1 v1.5 signature is exactly the modulus size. */
    if (sig_len != (size_t)EVP_PKEY_get_size(key->pkey)) {
        mid_fail(err, MIDENT_EAUTH, "token signature is invalid (wrong length)");
        goto done;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (!ctx) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, key->pkey,
                                NULL) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        mid_fail(err, MIDENT_ECRYPTO, "cannot set up RS256 verification");
    } else if (EVP_DigestVerify(ctx, sig, sig_len, (const unsigned char *)input,
                                input_len) != 1) {
        mid_fail(err, MIDENT_EAUTH, "token signature is invalid");
    } else {
        rc = 0;
    }
    EVP_MD_CTX_free(ctx);
done:
    free(sig);
    return rc;
}

/* ---- claims -------------------------------------------------------------- */

/* A NumericDate claim. Returns 1 and sets *out when present and integral,
 * 0 when absent, -1 when present but not a usable number. */
static int numeric_date(const cJSON *claims, const char *name, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(claims, name);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v))
        return -1;
    /* Read as a double (json_get_int64), never cJSON's int valueint, which
     * would overflow in 2038 and saturate for large values. */
    int64_t sentinel = INT64_MIN;
    int64_t t = json_get_int64(claims, name, sentinel);
    if (t == sentinel)
        return -1;
    *out = t;
    return 1;
}

static int check_times(const cJSON *c, int64_t now, int64_t skew,
                       mident_error *err)
{
    int64_t exp = 0, nbf = 0, iat = 0;
    int has = numeric_date(c, "exp", &exp);
    if (has == 0)
        return mid_fail(err, MIDENT_EAUTH, "token has no exp claim");
    if (has < 0)
        return mid_fail(err, MIDENT_EAUTH, "token exp claim is not a number");
    if (now >= exp + skew)
        return mid_fail(err, MIDENT_EAUTH, "token expired");
    has = numeric_date(c, "nbf", &nbf);
    if (has < 0)
        return mid_fail(err, MIDENT_EAUTH, "token nbf claim is not a number");
    if (has && now < nbf - skew)
        return mid_fail(err, MIDENT_EAUTH, "token is not yet valid (nbf)");
    has = numeric_date(c, "iat", &iat);
    if (has < 0)
        return mid_fail(err, MIDENT_EAUTH, "token iat claim is not a number");
    if (has && iat > now + skew)
        return mid_fail(err, MIDENT_EAUTH, "token issued in the future (iat)");
    return 0;
}

/* a equals b, or one of them is the other plus a single trailing '/'
 * ("https://vault.azure.net" vs "https://vault.azure.net/"). */
static int audience_matches(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb)
        return memcmp(a, b, la) == 0;
    if (la == lb + 1)
        return a[lb] == '/' && memcmp(a, b, lb) == 0;
    if (lb == la + 1)
        return b[la] == '/' && memcmp(a, b, la) == 0;
    return 0;
}

static int audience_accepted(const char *aud, const mident_verify_opts *o)
{
    for (size_t i = 0; i < o->n_audiences; i++)
        if (o->audiences[i] && audience_matches(aud, o->audiences[i]))
            return 1;
    return 0;
}

static int check_audience(const cJSON *c, const mident_verify_opts *o,
                          mident_error *err)
{
    char shown[72];
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(c, "aud");
    if (cJSON_IsString(aud)) {
        if (audience_accepted(aud->valuestring, o))
            return 0;
        return mid_fail(err, MIDENT_EAUTH, "audience '%s' is not accepted",
                        printable(aud->valuestring, shown, sizeof shown));
    }
    if (!cJSON_IsArray(aud))
        return mid_fail(err, MIDENT_EAUTH, "token has no aud claim");
    /* RFC 7519 4.1.3: the verifier must identify itself with one of the
     * values; every element must still be a string. */
    int found = 0, n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, aud) {
        if (!cJSON_IsString(v))
            return mid_fail(err, MIDENT_EAUTH, "token aud array holds a non-string");
        n++;
        if (audience_accepted(v->valuestring, o))
            found = 1;
    }
    if (n == 0)
        return mid_fail(err, MIDENT_EAUTH, "token aud array is empty");
    if (!found)
        return mid_fail(err, MIDENT_EAUTH,
                        "none of the token's audiences is accepted");
    return 0;
}

static int check_issuer_and_tenant(const cJSON *c, const mident_verify_opts *o,
                                   mident_error *err)
{
    char shown[72];
    if (o->n_issuers > 0) {
        const char *iss = json_get_str(c, "iss");
        if (!iss)
            return mid_fail(err, MIDENT_EAUTH, "token has no iss claim");
        size_t i = 0;
        while (i < o->n_issuers && !(o->issuers[i] && strcmp(iss, o->issuers[i]) == 0))
            i++;
        if (i == o->n_issuers)
            return mid_fail(err, MIDENT_EAUTH, "issuer '%s' is not accepted",
                            printable(iss, shown, sizeof shown));
    }
    if (o->tenant_id) {
        const char *tid = json_get_str(c, "tid");
        if (!tid)
            return mid_fail(err, MIDENT_EAUTH, "token has no tid claim");
        if (strcmp(tid, o->tenant_id) != 0)
            return mid_fail(err, MIDENT_EAUTH, "tenant '%s' is not accepted",
                            printable(tid, shown, sizeof shown));
    }
    return 0;
}

/* ---- mident_verify ------------------------------------------------------- */

/* The checks proper; fails with e filled. */
static mident_claims *verify_token(const mident_keyset *ks, const char *token,
                                   const mident_verify_opts *opts,
                                   mident_error *e)
{
    size_t len = strnlen(token, MIDENT_TOKEN_MAX + 1);
    if (len > MIDENT_TOKEN_MAX) {
        mid_fail(e, MIDENT_EAUTH, "token is larger than %d bytes",
                 MIDENT_TOKEN_MAX);
        return NULL;
    }
    const char *seg[3] = {0};
    size_t seg_len[3] = {0};
    if (split_token(token, len, seg, seg_len, e) < 0)
        return NULL;

    mident_claims *c = NULL;
    cJSON *hdr = decode_json_segment(seg[0], seg_len[0], "header", NULL, e);
    if (!hdr)
        return NULL;
    const keyset_entry *key = check_header(ks, hdr, e);
    if (!key)
        goto fail;
    if (check_signature(key, token, seg_len[0] + 1 + seg_len[1], seg[2],
                        seg_len[2], e) < 0)
        goto fail;

    /* Only now, with the signature good, are the claims worth reading. */
    c = calloc(1, sizeof *c);
    if (!c || !(c->kid = dup_str(key->kid))) {
        mid_fail(e, MIDENT_ENOMEM, "out of memory");
        goto fail;
    }
    c->root = decode_json_segment(seg[1], seg_len[1], "payload", &c->json, e);
    if (!c->root)
        goto fail;
    int64_t now = opts->now ? opts->now : (int64_t)time(NULL);
    int64_t skew = opts->skew_seconds > 0 ? opts->skew_seconds : 0;
    if (check_times(c->root, now, skew, e) < 0 ||
        check_audience(c->root, opts, e) < 0 ||
        check_issuer_and_tenant(c->root, opts, e) < 0)
        goto fail;
    cJSON_Delete(hdr);
    return c;
fail:
    cJSON_Delete(hdr);
    mident_claims_free(c);
    return NULL;
}

mident_code mident_verify(const mident_keyset *ks, const char *token,
                          const mident_verify_opts *opts, mident_claims **out,
                          mident_error *err)
{
    mident_error e;
    mid_err_clear(&e);
    if (out)
        *out = NULL;
    if (!ks || !token || !opts || !out) {
        mid_fail(&e, MIDENT_EINVAL, "mident_verify: missing argument");
    } else if (opts->n_audiences == 0 || !opts->audiences) {
        /* A verifier that accepts every audience accepts tokens minted for
         * some other resource: refuse the configuration, not the token. */
        mid_fail(&e, MIDENT_EINVAL,
                 "mident_verify: no accepted audience configured");
    } else {
        *out = verify_token(ks, token, opts, &e);
        if (!*out && e.code == MIDENT_OK)
            mid_fail(&e, MIDENT_EINTERNAL, "token verification failed");
    }
    if (err)
        *err = e;
    return e.code;
}

/* ---- claims accessors ---------------------------------------------------- */

const char *mident_claims_string(const mident_claims *c, const char *name)
{
    return c && name ? json_get_str(c->root, name) : NULL;
}

int64_t mident_claims_int(const mident_claims *c, const char *name, int64_t dflt)
{
    return c && name ? json_get_int64(c->root, name, dflt) : dflt;
}

const char *mident_claims_json(const mident_claims *c)
{
    return c ? c->json : NULL;
}

const char *mident_claims_kid(const mident_claims *c)
{
    return c ? c->kid : NULL;
}

void mident_claims_free(mident_claims *c)
{
    if (!c)
        return;
    cJSON_Delete(c->root);
    free(c->json);
    free(c->kid);
    free(c);
}

int mident_keyset_has_kid(const mident_keyset *ks, const char *kid)
{
    return ks && kid && keyset_find(ks, kid) != NULL;
}
