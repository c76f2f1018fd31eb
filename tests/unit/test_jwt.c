/* test_jwt.c -- RS256 signing (sts/jwt.c) against the one verifier
 * (lib/verify.c): round trip, claim accessors, and every way a token must
 * be refused -- algorithm confusion, unknown keys, time, audience, issuer,
 * tenant, tampering, malformed encodings -- plus JWKS parsing. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/json.h"
#include "harness.h"
#include "mident.h"
#include "sts/jwt.h"

#define NOW 1700000000LL
#define AUD "https://vault.azure.net"
#define ISS "https://127.0.0.1:8443/72f988bf-86f1-41af-91ab-2d7cd011db47/"
#define TID "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define KID "nbCwW11w3XkB-xUaXwKRSLjMHGQ"

/* ---- fixtures -------------------------------------------------------- */

static EVP_PKEY *g_key;
static mident_keyset *g_keyset;

/* Frees the shared fixtures at exit, so the sanitizer's leak check sees a
 * clean run whichever tests were selected. */
static void free_fixtures(void)
{
    mident_keyset_free(g_keyset);
    EVP_PKEY_free(g_key);
}

static EVP_PKEY *test_key(void)
{
    if (!g_key) {
        g_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        atexit(free_fixtures);
    }
    return g_key;
}

static char *param_b64url(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(k, name, &bn);
    int n = BN_num_bytes(bn);
    unsigned char *raw = malloc((size_t)n);
    BN_bn2bin(bn, raw);
    char *s = b64url_encode(raw, (size_t)n);
    free(raw);
    BN_free(bn);
    return s;
}

/* {"keys":[{"kty":"RSA","use":"sig","kid":kid,"n":..,"e":..}]} */
static char *jwks_for(EVP_PKEY *k, const char *kid)
{
    char *n = param_b64url(k, OSSL_PKEY_PARAM_RSA_N);
    char *e = param_b64url(k, OSSL_PKEY_PARAM_RSA_E);
    buf b;
    buf_init(&b);
    buf_printf(&b,
               "{\"keys\":[{\"kty\":\"EC\",\"use\":\"sig\",\"kid\":\"ec1\",\"crv\":\"P-256\","
               "\"x\":\"AA\",\"y\":\"AA\"},"
               "{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}]}",
               kid, n, e);
    free(n);
    free(e);
    return buf_steal(&b, NULL);
}

static mident_keyset *test_keyset(void)
{
    if (!g_keyset) {
        char *j = jwks_for(test_key(), KID);
        mident_error err;
        g_keyset = mident_keyset_from_jwks(j, strlen(j), &err);
        free(j);
    }
    return g_keyset;
}

static cJSON *base_claims(void)
{
    cJSON *c = cJSON_CreateObject();
    json_set_str(c, "aud", AUD);
    json_set_str(c, "iss", ISS);
    json_set_str(c, "tid", TID);
    json_set_str(c, "oid", "3975aeed-7d08-453b-b6f4-445f32698091");
    json_set_str(c, "sub", "3975aeed-7d08-453b-b6f4-445f32698091");
    json_set_str(c, "appid", "fad7d5b3-0000-4000-8000-000000000001");
    json_set_str(c, "ver", "1.0");
    json_set_int64(c, "iat", NOW - 10);
    json_set_int64(c, "nbf", NOW - 10);
    json_set_int64(c, "exp", NOW + 3600);
    return c;
}

static const char *const g_auds[] = {AUD, "api://other"};
static const char *const g_isss[] = {"https://elsewhere/", ISS};

static mident_verify_opts base_opts(void)
{
    return (mident_verify_opts){
        .audiences = g_auds,
        .n_audiences = 2,
        .issuers = g_isss,
        .n_issuers = 2,
        .tenant_id = TID,
        .now = NOW,
        .skew_seconds = 300,
    };
}

static char *sign(const cJSON *claims)
{
    mident_error err;
    return jwt_sign_rs256(test_key(), KID, KID, claims, &err);
}

/* Signs base claims after one change made by `edit`. */
static char *sign_with(void (*edit)(cJSON *))
{
    cJSON *c = base_claims();
    if (edit)
        edit(c);
    char *t = sign(c);
    cJSON_Delete(c);
    return t;
}

/* An RS256 signature over "h.p" made here, independent of jwt.c, for
 * tokens with hand-written headers. */
static char *raw_token(const char *header, const char *payload, EVP_PKEY *key)
{
    char *h = b64url_encode(header, strlen(header));
    char *p = b64url_encode(payload, strlen(payload));
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s.%s", h, p);
    free(h);
    free(p);
    buf_putc(&b, '.');
    if (key) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t len = 0;
        EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL);
        EVP_DigestSign(ctx, NULL, &len, (unsigned char *)b.data, b.len - 1);
        unsigned char *sig = malloc(len);
        EVP_DigestSign(ctx, sig, &len, (unsigned char *)b.data, b.len - 1);
        char *s = b64url_encode(sig, len);
        buf_puts(&b, s);
        free(s);
        free(sig);
        EVP_MD_CTX_free(ctx);
    }
    return buf_steal(&b, NULL);
}

static char *payload_json(void)
{
    cJSON *c = base_claims();
    char *s = json_print(c);
    cJSON_Delete(c);
    return s;
}

/* Verifies with opts; returns the code and leaves the message in *err. */
static mident_code verify_opts(const char *token, const mident_verify_opts *o,
                               mident_error *err)
{
    mident_claims *c = NULL;
    mident_code rc = mident_verify(test_keyset(), token, o, &c, err);
    if ((rc == MIDENT_OK) != (c != NULL))
        rc = MIDENT_EINTERNAL; /* claims iff success */
    mident_claims_free(c);
    return rc;
}

static mident_code verify(const char *token, mident_error *err)
{
    mident_verify_opts o = base_opts();
    return verify_opts(token, &o, err);
}

/* Checks that token is refused with EAUTH and a message containing want. */
#define CHECK_REFUSED(token, want)                                          \
    do {                                                                    \
        mident_error e_;                                                    \
        mident_code rc_ = verify((token), &e_);                             \
        CHECK_EQ_INT(rc_, MIDENT_EAUTH);                                    \
        if (rc_ == MIDENT_EAUTH && !strstr(e_.message, (want))) {           \
            fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", e_.message,  \
                    (want));                                                \
            CHECK(0);                                                       \
        }                                                                   \
    } while (0)

/* ---- round trip and accessors ---------------------------------------- */

TEST(sign_then_verify_round_trip)
{
    CHECK(test_key() != NULL);
    CHECK(test_keyset() != NULL);
    CHECK_EQ_INT(mident_keyset_count(test_keyset()), 1);
    char *t = sign_with(NULL);
    CHECK(t != NULL);
    mident_verify_opts o = base_opts();
    mident_claims *c = NULL;
    mident_error err;
    CHECK_EQ_INT(mident_verify(test_keyset(), t, &o, &c, &err), MIDENT_OK);
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ_STR(mident_claims_string(c, "oid"),
                     "3975aeed-7d08-453b-b6f4-445f32698091");
        CHECK_EQ_STR(mident_claims_string(c, "aud"), AUD);
        CHECK(mident_claims_string(c, "missing") == NULL);
        CHECK(mident_claims_string(c, "exp") == NULL); /* not a string */
        CHECK_EQ_INT(mident_claims_int(c, "exp", -1), NOW + 3600);
        CHECK_EQ_INT(mident_claims_int(c, "oid", -7), -7);
        CHECK_EQ_INT(mident_claims_int(c, "nope", 42), 42);
        CHECK_EQ_STR(mident_claims_kid(c), KID);
        cJSON *j = cJSON_Parse(mident_claims_json(c));
        CHECK(j && strcmp(json_get_str(j, "tid"), TID) == 0);
        cJSON_Delete(j);
    }
    mident_claims_free(c);
    free(t);
}

TEST(header_has_typ_alg_kid_x5t)
{
    char *t = sign_with(NULL);
    const char *dot = strchr(t, '.');
    size_t n = 0;
    char *h = (char *)b64url_decode(t, (size_t)(dot - t), &n);
    CHECK_EQ_STR(h, "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"" KID
                    "\",\"x5t\":\"" KID "\"}");
    free(h);
    free(t);
    /* x5t is optional. */
    cJSON *c = base_claims();
    mident_error err;
    t = jwt_sign_rs256(test_key(), KID, NULL, c, &err);
    dot = strchr(t, '.');
    h = (char *)b64url_decode(t, (size_t)(dot - t), &n);
    CHECK(h && !strstr(h, "x5t"));
    CHECK_EQ_INT(verify(t, &err), MIDENT_OK);
    free(h);
    free(t);
    cJSON_Delete(c);
}

TEST(sign_refuses_bad_input)
{
    mident_error err;
    cJSON *c = base_claims();
    CHECK(jwt_sign_rs256(NULL, KID, NULL, c, &err) == NULL);
    CHECK(jwt_sign_rs256(test_key(), NULL, NULL, c, &err) == NULL);
    cJSON *arr = cJSON_CreateArray();
    CHECK(jwt_sign_rs256(test_key(), KID, NULL, arr, &err) == NULL);
    /* An EC key must never sit behind an RS256 header. */
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(jwt_sign_rs256(ec, KID, NULL, c, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    EVP_PKEY_free(ec);
    cJSON_Delete(arr);
    cJSON_Delete(c);
}

static void set_big_exp(cJSON *c) { json_set_int64(c, "exp", 5000000000LL); }

TEST(exp_beyond_2038_reads_as_int64)
{
    char *t = sign_with(set_big_exp);
    mident_verify_opts o = base_opts();
    mident_claims *c = NULL;
    mident_error err;
    CHECK_EQ_INT(mident_verify(test_keyset(), t, &o, &c, &err), MIDENT_OK);
    CHECK_EQ_INT(mident_claims_int(c, "exp", 0), 5000000000LL);
    mident_claims_free(c);
    free(t);
}

/* ---- algorithm confusion ---------------------------------------------- */

TEST(rejects_alg_none)
{
    char *p = payload_json();
    char *t = raw_token("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}", p,
                        NULL);
    CHECK_REFUSED(t, "not signed");
    free(t);
    /* Even with a (bogus) signature segment, "none" is refused. */
    t = raw_token("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}", p,
                  test_key());
    CHECK_REFUSED(t, "algorithm 'none'");
    free(t);
    t = raw_token("{\"alg\":\"None\",\"kid\":\"" KID "\"}", p, test_key());
    CHECK_REFUSED(t, "algorithm");
    free(t);
    free(p);
}

/* HMAC-SHA256 over the signing input with `secret` as the key. */
static char *hs256_token(const void *secret, size_t secret_len)
{
    char *p = payload_json();
    char *t = raw_token("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" KID "\"}", p,
                        NULL);
    size_t in_len = strlen(t) - 1; /* without the trailing '.' */
    unsigned char mac[32];
    size_t mac_len = 0;
    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, secret_len,
              (unsigned char *)t, in_len, mac, sizeof mac, &mac_len);
    char *m = b64url_encode(mac, mac_len);
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s%s", t, m);
    free(m);
    free(t);
    free(p);
    return buf_steal(&b, NULL);
}

TEST(rejects_hs256_key_confusion)
{
    /* The attacker knows the public key and MACs the token with it, hoping
     * the verifier feeds "the key" to HMAC. Try the PEM and the DER. */
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, test_key());
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    char *t = hs256_token(pem, (size_t)pem_len);
    CHECK_REFUSED(t, "algorithm 'HS256'");
    free(t);
    BIO_free(bio);

    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(test_key(), &der);
    t = hs256_token(der, (size_t)der_len);
    CHECK_REFUSED(t, "algorithm 'HS256'");
    free(t);
    OPENSSL_free(der);
}

TEST(rejects_other_algorithms_and_bad_headers)
{
    char *p = payload_json();
    static const char *const headers[] = {
        "{\"alg\":\"RS384\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"PS256\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"ES256\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"rs256\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"RS256 \",\"kid\":\"" KID "\"}",
        "{\"kid\":\"" KID "\"}",                           /* no alg */
        "{\"alg\":256,\"kid\":\"" KID "\"}",                /* alg not a string */
        "{\"alg\":\"RS256\"}",                             /* no kid */
        "{\"alg\":\"RS256\",\"kid\":\"\"}",                /* empty kid */
        "{\"alg\":\"RS256\",\"kid\":7}",                   /* kid not a string */
        "{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"crit\":[\"exp\"]}",
        /* duplicate alg: a parser that keeps the last one would see "none" */
        "{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"" KID "\"}",
        "[\"RS256\"]",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        char *t = raw_token(headers[i], p, test_key());
        mident_error e;
        CHECK_EQ_INT(verify(t, &e), MIDENT_EAUTH);
        free(t);
    }
    /* The same token with a clean header is fine (the harness is sound). */
    char *t = raw_token("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}", p, test_key());
    mident_error e;
    CHECK_EQ_INT(verify(t, &e), MIDENT_OK);
    free(t);
    free(p);
}

TEST(rejects_unknown_kid)
{
    cJSON *c = base_claims();
    mident_error err;
    char *t = jwt_sign_rs256(test_key(), "someone-elses-key", NULL, c, &err);
    CHECK_REFUSED(t, "token signed with unknown key 'someone-elses-key'");
    free(t);
    /* A hostile kid does not end up raw in the message. */
    t = jwt_sign_rs256(test_key(), "x'\n\"evil", NULL, c, &err);
    mident_error e;
    CHECK_EQ_INT(verify(t, &e), MIDENT_EAUTH);
    CHECK(!strchr(e.message, '\n'));
    free(t);
    cJSON_Delete(c);
}

TEST(rejects_token_signed_by_another_key_under_our_kid)
{
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    cJSON *c = base_claims();
    mident_error err;
    char *t = jwt_sign_rs256(other, KID, KID, c, &err);
    CHECK_REFUSED(t, "signature is invalid");
    free(t);
    cJSON_Delete(c);
    EVP_PKEY_free(other);
}

/* ---- time --------------------------------------------------------------- */

static void exp_past_skew(cJSON *c) { json_set_int64(c, "exp", NOW - 301); }
static void exp_at_skew(cJSON *c) { json_set_int64(c, "exp", NOW - 300); }
static void exp_within_skew(cJSON *c) { json_set_int64(c, "exp", NOW - 299); }
static void exp_missing(cJSON *c) { cJSON_DeleteItemFromObject(c, "exp"); }
static void exp_string(cJSON *c) { json_set_str(c, "exp", "1800000000"); }
static void exp_fraction(cJSON *c)
{
    json_set(c, "exp", cJSON_CreateNumber((double)NOW + 3600.5));
}
static void nbf_future(cJSON *c) { json_set_int64(c, "nbf", NOW + 301); }
static void nbf_within_skew(cJSON *c) { json_set_int64(c, "nbf", NOW + 300); }
static void nbf_string(cJSON *c) { json_set_str(c, "nbf", "x"); }
static void nbf_missing(cJSON *c) { cJSON_DeleteItemFromObject(c, "nbf"); }
static void iat_future(cJSON *c) { json_set_int64(c, "iat", NOW + 301); }
static void iat_within_skew(cJSON *c) { json_set_int64(c, "iat", NOW + 300); }

static mident_code verify_edit(void (*edit)(cJSON *))
{
    char *t = sign_with(edit);
    mident_error e;
    mident_code rc = verify(t, &e);
    free(t);
    return rc;
}

TEST(rejects_expired)
{
    char *t = sign_with(exp_past_skew);
    CHECK_REFUSED(t, "token expired");
    free(t);
    t = sign_with(exp_at_skew);
    CHECK_REFUSED(t, "token expired");
    free(t);
    CHECK_EQ_INT(verify_edit(exp_within_skew), MIDENT_OK);
    t = sign_with(exp_missing);
    CHECK_REFUSED(t, "no exp");
    free(t);
    CHECK_EQ_INT(verify_edit(exp_string), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(exp_fraction), MIDENT_EAUTH);
}

TEST(skew_is_configurable_and_never_negative)
{
    char *t = sign_with(exp_within_skew);
    mident_verify_opts o = base_opts();
    mident_error e;
    o.skew_seconds = 0;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_EAUTH);
    o.skew_seconds = -1000; /* would otherwise extend nothing or worse */
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_EAUTH);
    o.skew_seconds = 600;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_OK);
    free(t);
}

TEST(rejects_not_yet_valid)
{
    char *t = sign_with(nbf_future);
    CHECK_REFUSED(t, "not yet valid");
    free(t);
    CHECK_EQ_INT(verify_edit(nbf_within_skew), MIDENT_OK);
    CHECK_EQ_INT(verify_edit(nbf_missing), MIDENT_OK);
    CHECK_EQ_INT(verify_edit(nbf_string), MIDENT_EAUTH);
}

TEST(rejects_iat_in_the_future)
{
    char *t = sign_with(iat_future);
    CHECK_REFUSED(t, "issued in the future");
    free(t);
    CHECK_EQ_INT(verify_edit(iat_within_skew), MIDENT_OK);
}

TEST(now_zero_means_current_time)
{
    char *t = sign_with(NULL); /* exp in 2023: long expired in real time */
    mident_verify_opts o = base_opts();
    o.now = 0;
    mident_error e;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_EAUTH);
    CHECK(strstr(e.message, "expired") != NULL);
    free(t);
}

/* ---- audience, issuer, tenant -------------------------------------------- */

static void aud_wrong(cJSON *c) { json_set_str(c, "aud", "https://management.azure.com/"); }
static void aud_slash(cJSON *c) { json_set_str(c, "aud", AUD "/"); }
static void aud_two_slashes(cJSON *c) { json_set_str(c, "aud", AUD "//"); }
static void aud_extra_char(cJSON *c) { json_set_str(c, "aud", AUD "x"); }
static void aud_prefix(cJSON *c) { json_set_str(c, "aud", "https://vault.azure.ne"); }
static void aud_case(cJSON *c) { json_set_str(c, "aud", "https://VAULT.azure.net"); }
static void aud_missing(cJSON *c) { cJSON_DeleteItemFromObject(c, "aud"); }
static void aud_number(cJSON *c) { json_set_int64(c, "aud", 5); }
static void aud_array_ok(cJSON *c)
{
    const char *v[] = {"https://management.azure.com/", "api://other/"};
    json_set(c, "aud", cJSON_CreateStringArray(v, 2));
}
static void aud_array_wrong(cJSON *c)
{
    const char *v[] = {"https://management.azure.com/", "api://another"};
    json_set(c, "aud", cJSON_CreateStringArray(v, 2));
}
static void aud_array_empty(cJSON *c) { json_set(c, "aud", cJSON_CreateArray()); }
static void aud_array_mixed(cJSON *c)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString(AUD));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(1));
    json_set(c, "aud", a);
}

TEST(rejects_wrong_audience)
{
    char *t = sign_with(aud_wrong);
    CHECK_REFUSED(t, "audience 'https://management.azure.com/' is not accepted");
    free(t);
    CHECK_EQ_INT(verify_edit(aud_two_slashes), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(aud_prefix), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(aud_extra_char), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(aud_case), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(aud_missing), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(aud_number), MIDENT_EAUTH);
}

TEST(audience_matches_with_or_without_trailing_slash)
{
    /* token "…net/" vs accepted "…net" */
    CHECK_EQ_INT(verify_edit(aud_slash), MIDENT_OK);
    /* token "…net" vs accepted "…net/" */
    char *t = sign_with(NULL);
    const char *auds[] = {AUD "/"};
    mident_verify_opts o = base_opts();
    o.audiences = auds;
    o.n_audiences = 1;
    mident_error e;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_OK);
    free(t);
    /* ...but accepted "…net/" does not make "…netx" acceptable. */
    t = sign_with(aud_extra_char);
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_EAUTH);
    free(t);
}

TEST(audience_array)
{
    CHECK_EQ_INT(verify_edit(aud_array_ok), MIDENT_OK);
    char *t = sign_with(aud_array_wrong);
    CHECK_REFUSED(t, "audiences");
    free(t);
    CHECK_EQ_INT(verify_edit(aud_array_empty), MIDENT_EAUTH);
    CHECK_EQ_INT(verify_edit(aud_array_mixed), MIDENT_EAUTH);
}

TEST(no_accepted_audience_is_a_caller_error)
{
    char *t = sign_with(NULL);
    mident_verify_opts o = base_opts();
    o.n_audiences = 0;
    mident_error e;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_EINVAL);
    free(t);
}

static void iss_wrong(cJSON *c) { json_set_str(c, "iss", "https://sts.windows.net/" TID "/"); }
static void iss_no_slash(cJSON *c)
{
    json_set_str(c, "iss", "https://127.0.0.1:8443/" TID);
}
static void iss_missing(cJSON *c) { cJSON_DeleteItemFromObject(c, "iss"); }
static void tid_wrong(cJSON *c) { json_set_str(c, "tid", "00000000-0000-0000-0000-000000000000"); }
static void tid_missing(cJSON *c) { cJSON_DeleteItemFromObject(c, "tid"); }

TEST(rejects_wrong_issuer)
{
    char *t = sign_with(iss_wrong);
    CHECK_REFUSED(t, "issuer 'https://sts.windows.net/");
    free(t);
    CHECK_EQ_INT(verify_edit(iss_no_slash), MIDENT_EAUTH); /* exact match */
    CHECK_EQ_INT(verify_edit(iss_missing), MIDENT_EAUTH);
    /* No issuers configured: iss is not checked. */
    t = sign_with(iss_wrong);
    mident_verify_opts o = base_opts();
    o.n_issuers = 0;
    mident_error e;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_OK);
    free(t);
}

TEST(rejects_wrong_tenant)
{
    char *t = sign_with(tid_wrong);
    CHECK_REFUSED(t, "tenant");
    free(t);
    CHECK_EQ_INT(verify_edit(tid_missing), MIDENT_EAUTH);
    t = sign_with(tid_wrong);
    mident_verify_opts o = base_opts();
    o.tenant_id = NULL;
    mident_error e;
    CHECK_EQ_INT(verify_opts(t, &o, &e), MIDENT_OK);
    free(t);
}

/* ---- tampering and malformed tokens -------------------------------------- */

TEST(rejects_tampered_payload)
{
    char *t = sign_with(NULL);
    char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
    size_t n = 0;
    char *payload = (char *)b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &n);
    cJSON *c = cJSON_Parse(payload);
    json_set_str(c, "oid", "00000000-0000-0000-0000-0000000000ad");
    char *forged = json_print(c);
    char *f64 = b64url_encode(forged, strlen(forged));
    buf b;
    buf_init(&b);
    buf_printf(&b, "%.*s.%s%s", (int)(d1 - t), t, f64, d2);
    CHECK_REFUSED(b.data, "signature is invalid");
    buf_free(&b);
    free(f64);
    free(forged);
    cJSON_Delete(c);
    free(payload);
    free(t);
}

TEST(rejects_tampered_signature)
{
    char *t = sign_with(NULL);
    char *sig = strrchr(t, '.') + 1;
    sig[5] = sig[5] == 'A' ? 'B' : 'A';
    CHECK_REFUSED(t, "signature is invalid");
    free(t);
    /* Signature of the right token appended to a different header. */
    t = sign_with(NULL);
    char *p = payload_json();
    char *other = raw_token("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"x\":1}", p,
                            NULL);
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s%s", other, strrchr(t, '.') + 1);
    CHECK_REFUSED(b.data, "signature is invalid");
    buf_free(&b);
    free(other);
    free(p);
    free(t);
}

TEST(rejects_truncated_tokens)
{
    char *t = sign_with(NULL);
    char *last = strrchr(t, '.');
    *last = '\0'; /* two segments */
    CHECK_REFUSED(t, "3 dot-separated segments");
    *last = '.';
    size_t len = strlen(t);
    t[len - 10] = '\0'; /* cut mid-signature */
    CHECK_REFUSED(t, "signature");
    t[len - 11] = '\0'; /* another cut: a length base64 cannot have or short */
    CHECK_REFUSED(t, "signature");
    free(t);
    CHECK_REFUSED("", "segments");
    CHECK_REFUSED("abc", "segments");
    CHECK_REFUSED("a.b", "segments");
    CHECK_REFUSED("..", "empty segment");
    CHECK_REFUSED("a.b.c.d", "more than 3");
    t = sign_with(NULL);
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s.", t); /* four segments, the last empty */
    CHECK_REFUSED(b.data, "more than 3");
    buf_free(&b);
    free(t);
}

TEST(rejects_garbage_base64)
{
    char *t = sign_with(NULL);
    t[3] = '*';
    CHECK_REFUSED(t, "header is not base64url");
    free(t);
    t = sign_with(NULL);
    char *d1 = strchr(t, '.');
    d1[4] = '+';
    CHECK_REFUSED(t, "signature is invalid"); /* payload checked by signature */
    free(t);
    t = sign_with(NULL);
    char *sig = strrchr(t, '.') + 1;
    sig[2] = '/';
    CHECK_REFUSED(t, "signature is not base64url");
    free(t);
    t = sign_with(NULL);
    buf b;
    buf_init(&b);
    buf_printf(&b, "%s==", t); /* padding is not base64url */
    CHECK_REFUSED(b.data, "signature is not base64url");
    buf_free(&b);
    free(t);
}

TEST(rejects_header_not_json)
{
    char *p = payload_json();
    char *t = raw_token("not json", p, test_key());
    CHECK_REFUSED(t, "header is not a JSON object");
    free(t);
    t = raw_token("{\"alg\":\"RS256\",\"kid\":\"" KID "\"} trailing", p, test_key());
    CHECK_REFUSED(t, "header is not a JSON object");
    free(t);
    t = raw_token("\"RS256\"", p, test_key());
    CHECK_REFUSED(t, "header is not a JSON object");
    free(t);
    free(p);
}

TEST(rejects_payload_not_json_even_if_signed)
{
    char *t = raw_token("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}", "[1,2]",
                        test_key());
    CHECK_REFUSED(t, "payload is not a JSON object");
    free(t);
    t = raw_token("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}",
                  "{\"aud\":\"x\",\"aud\":\"" AUD "\"}", test_key());
    CHECK_REFUSED(t, "payload is not a JSON object"); /* duplicate keys */
    free(t);
}

static void huge_claim(cJSON *c)
{
    char *big = malloc(20000);
    memset(big, 'a', 19999);
    big[19999] = '\0';
    json_set_str(c, "padding", big);
    free(big);
}

TEST(rejects_oversize_token)
{
    char *t = sign_with(huge_claim);
    CHECK(t && strlen(t) > 16384);
    CHECK_REFUSED(t, "larger than");
    free(t);
}

TEST(rejects_missing_arguments)
{
    mident_verify_opts o = base_opts();
    mident_claims *c = (mident_claims *)1;
    mident_error e;
    CHECK_EQ_INT(mident_verify(test_keyset(), NULL, &o, &c, &e), MIDENT_EINVAL);
    CHECK(c == NULL);
    CHECK_EQ_INT(mident_verify(NULL, "a.b.c", &o, &c, &e), MIDENT_EINVAL);
    CHECK_EQ_INT(mident_verify(test_keyset(), "a.b.c", NULL, &c, &e), MIDENT_EINVAL);
    /* err may be NULL */
    CHECK_EQ_INT(mident_verify(test_keyset(), "a.b", &o, &c, NULL), MIDENT_EAUTH);
}

/* ---- JWKS parsing --------------------------------------------------------- */

static mident_keyset *parse_jwks(const char *j, mident_error *err)
{
    return mident_keyset_from_jwks(j, strlen(j), err);
}

TEST(jwks_parse_errors)
{
    mident_error e;
    CHECK(parse_jwks("not json", &e) == NULL);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK(parse_jwks("[]", &e) == NULL);
    CHECK(parse_jwks("{}", &e) == NULL);
    CHECK(strstr(e.message, "keys") != NULL);
    CHECK(parse_jwks("{\"keys\":{}}", &e) == NULL);
    CHECK(parse_jwks("{\"keys\":[]}", &e) == NULL);
    CHECK(strstr(e.message, "no usable") != NULL);
    CHECK(parse_jwks("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"AAAA\"}]}",
                     &e) == NULL);
    CHECK(parse_jwks("{\"keys\":[1,\"x\"]}", &e) == NULL);
    CHECK(mident_keyset_from_jwks(NULL, 0, &e) == NULL);
    CHECK(parse_jwks("{\"keys\":[]} x", &e) == NULL);
}

/* Replaces the first occurrence of `from` in s (malloc'd result). */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    buf b;
    buf_init(&b);
    buf_append(&b, s, (size_t)(at - s));
    buf_puts(&b, to);
    buf_puts(&b, at + strlen(from));
    return buf_steal(&b, NULL);
}

TEST(jwks_skips_unusable_rsa_keys)
{
    char *good = jwks_for(test_key(), KID);
    mident_error e;
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"\"use\":\"sig\",\"kid\":\"" KID, "\"use\":\"enc\",\"kid\":\"" KID},
        {"\"kid\":\"" KID "\"", "\"alg\":\"RS384\",\"kid\":\"" KID "\""},
        {"\"kid\":\"" KID "\",", ""},                     /* no kid */
        {"\"kty\":\"RSA\"", "\"kty\":\"rsa\""},
        {"\"e\":\"AQAB\"", "\"e\":\"AQA+\""},             /* bad base64url */
        {"\"e\":\"AQAB\"", "\"e\":\"AQ==\""},             /* padded */
        {"\"e\":\"AQAB\"", "\"e\":\"AQ\""},               /* e = 1 */
        {"\"e\":\"AQAB\"", "\"e\":\"AAAB\""},             /* 1 with a zero byte */
        {"\"e\":\"AQAB\"", "\"e\":\"AQAA\""},             /* even */
        {"\"n\":\"", "\"n\":\"*"},                        /* bad character in n */
        {"\"n\":\"", "\"n\":\"AQAB\",\"x\":\""},            /* tiny modulus */
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *j = replace(good, edits[i].from, edits[i].to);
        mident_keyset *ks = parse_jwks(j, &e);
        if (ks)
            fprintf(stderr, "  edit %zu unexpectedly accepted\n", i);
        CHECK(ks == NULL);
        mident_keyset_free(ks);
        free(j);
    }
    /* The unedited document has one usable key (the EC key is skipped), and
     * an absent `use` is allowed. */
    mident_keyset *ks = parse_jwks(good, &e);
    CHECK(ks && mident_keyset_count(ks) == 1);
    mident_keyset_free(ks);
    char *nouse = replace(good, "\"use\":\"sig\",\"kid\":\"" KID, "\"kid\":\"" KID);
    ks = parse_jwks(nouse, &e);
    CHECK(ks && mident_keyset_count(ks) == 1);
    mident_keyset_free(ks);
    free(nouse);
    free(good);
}

TEST(jwks_rejects_weak_modulus)
{
    EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    char *j = jwks_for(weak, "weak");
    mident_error e;
    CHECK(parse_jwks(j, &e) == NULL);
    CHECK(strstr(e.message, "modulus") != NULL);
    free(j);
    EVP_PKEY_free(weak);
}

TEST(jwks_rejects_duplicate_kid_and_keys)
{
    char *one = jwks_for(test_key(), KID);
    /* {"keys":[EC, RSA]} -> {"keys":[EC, RSA, RSA]} with the same kid */
    const char *rsa = strstr(one, "{\"kty\":\"RSA\"");
    buf b;
    buf_init(&b);
    buf_append(&b, one, strlen(one) - 2);
    buf_printf(&b, ",%.*s]}", (int)(strlen(rsa) - 2), rsa);
    mident_error e;
    CHECK(parse_jwks(b.data, &e) == NULL);
    CHECK(strstr(e.message, "duplicate kid") != NULL);
    buf_free(&b);
    /* Duplicate JSON member names are refused by the JSON layer. */
    char *dup = replace(one, "{\"keys\":", "{\"keys\":[],\"keys\":");
    CHECK(parse_jwks(dup, &e) == NULL);
    free(dup);
    free(one);
}

TEST(jwks_with_two_keys_verifies_both)
{
    EVP_PKEY *second = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *a = jwks_for(test_key(), KID);
    char *b2 = jwks_for(second, "second");
    const char *rsa2 = strstr(b2, "{\"kty\":\"RSA\"");
    buf b;
    buf_init(&b);
    buf_append(&b, a, strlen(a) - 2);
    buf_printf(&b, ",%s", rsa2);
    mident_error e;
    mident_keyset *ks = parse_jwks(b.data, &e);
    CHECK(ks && mident_keyset_count(ks) == 2);
    cJSON *c = base_claims();
    char *t1 = jwt_sign_rs256(test_key(), KID, NULL, c, &e);
    char *t2 = jwt_sign_rs256(second, "second", NULL, c, &e);
    char *t3 = jwt_sign_rs256(second, KID, NULL, c, &e); /* wrong key for kid */
    mident_verify_opts o = base_opts();
    mident_claims *cl = NULL;
    CHECK_EQ_INT(mident_verify(ks, t1, &o, &cl, &e), MIDENT_OK);
    mident_claims_free(cl);
    CHECK_EQ_INT(mident_verify(ks, t2, &o, &cl, &e), MIDENT_OK);
    CHECK_EQ_STR(mident_claims_kid(cl), "second");
    mident_claims_free(cl);
    CHECK_EQ_INT(mident_verify(ks, t3, &o, &cl, &e), MIDENT_EAUTH);
    free(t1);
    free(t2);
    free(t3);
    cJSON_Delete(c);
    mident_keyset_free(ks);
    buf_free(&b);
    free(a);
    free(b2);
    EVP_PKEY_free(second);
}
