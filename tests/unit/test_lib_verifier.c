/*
 * test_lib_verifier.c -- libmident's authority verifier against a fake
 * authority (core/http server on loopback serving OpenID discovery and a
 * JWKS whose keys the test rotates): discovery, the claims checks through
 * mident_verify, the JWKS fetched again once on an unknown kid (key
 * rotation), and that refetch rate-limited against made-up kids.
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/http.h"
#include "harness.h"
#include "mident.h"

static struct {
    http_server *http;
    char base[128];
    pthread_mutex_t mu;
    char jwks[4096];
    int jwks_hits;
} A = {.mu = PTHREAD_MUTEX_INITIALIZER};

static EVP_PKEY *k1, *k2;

static void handler(void *ctx, const http_req *req, http_res *res)
{
    (void)ctx;
    char body[4096];
    pthread_mutex_lock(&A.mu);
    if (strcmp(req->path, "/t1/.well-known/openid-configuration") == 0) {
        snprintf(body, sizeof body, "{\"issuer\":\"%s/t1/\",\"jwks_uri\":\"%s/t1/keys\"}",
                 A.base, A.base);
    } else if (strcmp(req->path, "/t1/keys") == 0) {
        A.jwks_hits++;
        snprintf(body, sizeof body, "%s", A.jwks);
    } else {
        pthread_mutex_unlock(&A.mu);
        http_res_text(res, 404, "application/json", "{}");
        return;
    }
    pthread_mutex_unlock(&A.mu);
    http_res_text(res, 200, "application/json", body);
}

static char *bn_b64(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(k, name, &bn);
    unsigned char raw[1024];
    int n = BN_bn2bin(bn, raw);
    BN_free(bn);
    return b64url_encode(raw, (size_t)n);
}

static void publish(EVP_PKEY *a, const char *kida, EVP_PKEY *b, const char *kidb)
{
    char one[2][1400];
    EVP_PKEY *ks[2] = {a, b};
    const char *kids[2] = {kida, kidb};
    for (int i = 0; i < 2; i++) {
        one[i][0] = '\0';
        if (!ks[i])
            continue;
        char *n = bn_b64(ks[i], OSSL_PKEY_PARAM_RSA_N), *e = bn_b64(ks[i], OSSL_PKEY_PARAM_RSA_E);
        snprintf(one[i], sizeof one[i], "{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}",
                 kids[i], n, e);
        free(n);
        free(e);
    }
    pthread_mutex_lock(&A.mu);
    snprintf(A.jwks, sizeof A.jwks, "{\"keys\":[%s%s%s]}", one[0],
             one[0][0] && one[1][0] ? "," : "", one[1]);
    pthread_mutex_unlock(&A.mu);
}

static char *sign(EVP_PKEY *k, const char *kid, const char *aud, const char *iss,
                  const char *tid)
{
    char hdr[256], pl[1024], input[2048];
    long now = (long)time(NULL);
    snprintf(hdr, sizeof hdr, "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
    snprintf(pl, sizeof pl, "{\"aud\":\"%s\",\"iss\":\"%s\",\"tid\":\"%s\",\"oid\":\"o-1\","
             "\"iat\":%ld,\"nbf\":%ld,\"exp\":%ld}", aud, iss, tid, now, now, now + 600);
    char *h = b64url_encode(hdr, strlen(hdr)), *p = b64url_encode(pl, strlen(pl));
    snprintf(input, sizeof input, "%s.%s", h, p);
    free(h);
    free(p);
    unsigned char sig[512];
    size_t sl = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k);
    EVP_DigestSign(ctx, sig, &sl, (unsigned char *)input, strlen(input));
    EVP_MD_CTX_free(ctx);
    char *s = b64url_encode(sig, sl);
    char *tok = malloc(strlen(input) + strlen(s) + 2);
    sprintf(tok, "%s.%s", input, s);
    free(s);
    return tok;
}

static void setup(void)
{
    if (A.http)
        return;
    mident_error err;
    http_server_opts o = {.bind_addr = "127.0.0.1", .threads = 2, .handler = handler};
    A.http = http_server_start(&o, &err);
    if (!A.http)
        exit(1);
    snprintf(A.base, sizeof A.base, "http://127.0.0.1:%d", http_server_port(A.http));
    k1 = EVP_RSA_gen(2048);
    k2 = EVP_RSA_gen(2048);
    publish(k1, "kid-1", NULL, NULL);
}

static mident_verifier *verifier(void)
{
    static const char *aud[] = {"https://vault.azure.net"};
    char authority[200];
    snprintf(authority, sizeof authority, "%s/t1", A.base);
    mident_verifier_opts o = {.authority = authority, .audiences = aud, .n_audiences = 1,
                              .tenant_id = "t1"};
    mident_error err;
    mident_verifier *v = mident_verifier_new(&o, &err);
    if (!v)
        fprintf(stderr, "verifier: %s\n", err.message);
    return v;
}

TEST(verifies_with_discovered_keys_and_checks_claims)
{
    setup();
    mident_verifier *v = verifier();
    CHECK(v != NULL);
    char iss[200];
    snprintf(iss, sizeof iss, "%s/t1/", A.base);
    char *good = sign(k1, "kid-1", "https://vault.azure.net/", iss, "t1");
    mident_claims *c = NULL;
    mident_error err;
    CHECK_EQ_INT(mident_verifier_verify(v, good, &c, &err), MIDENT_OK);
    CHECK_EQ_STR(mident_claims_string(c, "oid"), "o-1");
    mident_claims_free(c);
    char *bad[] = {sign(k1, "kid-1", "https://management.azure.com", iss, "t1"),
                   sign(k1, "kid-1", "https://vault.azure.net", "https://evil/t1/", "t1"),
                   sign(k1, "kid-1", "https://vault.azure.net", iss, "t2")};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(mident_verifier_verify(v, bad[i], &c, &err), MIDENT_EAUTH);
        CHECK(c == NULL);
        free(bad[i]);
    }
    free(good);
    mident_verifier_free(v);
}

TEST(rotation_refetches_once_and_unknown_kids_are_rate_limited)
{
    setup();
    publish(k1, "kid-1", NULL, NULL);
    mident_verifier *v = verifier();
    pthread_mutex_lock(&A.mu);
    int before = A.jwks_hits;
    pthread_mutex_unlock(&A.mu);
    char iss[200];
    snprintf(iss, sizeof iss, "%s/t1/", A.base);
    /* the authority rotates to kid-2 */
    publish(k1, "kid-1", k2, "kid-2");
    char *t2 = sign(k2, "kid-2", "https://vault.azure.net", iss, "t1");
    mident_claims *c = NULL;
    mident_error err;
    CHECK_EQ_INT(mident_verifier_verify(v, t2, &c, &err), MIDENT_OK);
    mident_claims_free(c);
    CHECK_EQ_INT(mident_verifier_verify(v, t2, &c, &err), MIDENT_OK);
    mident_claims_free(c);
    pthread_mutex_lock(&A.mu);
    CHECK_EQ_INT(A.jwks_hits - before, 1);
    pthread_mutex_unlock(&A.mu);
    /* made-up kids: refused, and no JWKS flood */
    char *forged = sign(k2, "kid-nope", "https://vault.azure.net", iss, "t1");
    for (int i = 0; i < 20; i++) {
        CHECK_EQ_INT(mident_verifier_verify(v, forged, &c, &err), MIDENT_EAUTH);
    }
    CHECK(strstr(err.message, "unknown key") != NULL);
    pthread_mutex_lock(&A.mu);
    CHECK(A.jwks_hits - before <= 2);
    pthread_mutex_unlock(&A.mu);
    free(t2);
    free(forged);
    mident_verifier_free(v);
}

TEST(unreachable_authority_is_an_error_at_creation)
{
    static const char *aud[] = {"x"};
    mident_verifier_opts o = {.authority = "http://127.0.0.1:1/t1", .audiences = aud,
                              .n_audiences = 1};
    mident_error err;
    CHECK(mident_verifier_new(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EUNAVAILABLE);
    o.n_audiences = 0;
    CHECK(mident_verifier_new(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
}
