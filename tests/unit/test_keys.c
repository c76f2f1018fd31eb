/* test_keys.c -- the token service's signing keys (sts/keys.c) over the
 * real store: first-key generation, kid = x5t = thumbprint, persistence,
 * rotation, pruning, cross-process refresh, and concurrent signing. */
#include "sts/keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/json.h"
#include "core/log.h"
#include "harness.h"

#define AUD "https://vault.azure.net"
#define ISS "https://127.0.0.1:8443/tenant/"

/* ---- fixtures ---------------------------------------------------------- */

typedef struct {
    char dir[64];
    char db[128];
} tmp_db;

static void tmp_db_init(tmp_db *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/mident-test-keys.XXXXXX");
    if (!mkdtemp(t->dir))
        t->dir[0] = '\0';
    snprintf(t->db, sizeof t->db, "%s/mident.db", t->dir);
}

static void tmp_db_remove(tmp_db *t)
{
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[200];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", t->db, suffixes[i]);
        unlink(path);
    }
    rmdir(t->dir);
}

static mid_store *open_store(const tmp_db *t)
{
    mident_error err;
    mid_store *s = store_open(t->db, &err);
    if (!s)
        fprintf(stderr, "  store_open: %s\n", err.message);
    return s;
}

static cJSON *claims(void)
{
    cJSON *c = cJSON_CreateObject();
    int64_t now = (int64_t)time(NULL);
    json_set_str(c, "aud", AUD);
    json_set_str(c, "iss", ISS);
    json_set_str(c, "oid", "3975aeed-7d08-453b-b6f4-445f32698091");
    json_set_int64(c, "iat", now);
    json_set_int64(c, "nbf", now);
    json_set_int64(c, "exp", now + 3600);
    return c;
}

static char *sign(sts_keys *k)
{
    cJSON *c = claims();
    mident_error err;
    char *t = sts_keys_sign(k, c, &err);
    if (!t)
        fprintf(stderr, "  sign: %s\n", err.message);
    cJSON_Delete(c);
    return t;
}

static const char *const g_auds[] = {AUD};
static const char *const g_isss[] = {ISS};

/* Verifies through sts_keys_verify; returns the code and the token's kid
 * in kid_out (if non-NULL and verified). */
static mident_code verify(sts_keys *k, const char *token, char kid_out[64])
{
    mident_verify_opts o = {.audiences = g_auds, .n_audiences = 1,
                            .issuers = g_isss, .n_issuers = 1,
                            .skew_seconds = 300};
    mident_claims *c = NULL;
    mident_error err;
    mident_code rc = sts_keys_verify(k, token, &o, &c, &err);
    if (kid_out)
        snprintf(kid_out, 64, "%s", c ? mident_claims_kid(c) : "");
    mident_claims_free(c);
    return rc;
}

static int jwks_count(sts_keys *k)
{
    cJSON *j = sts_keys_jwks(k, NULL);
    int n = cJSON_GetArraySize(json_get_arr(j, "keys"));
    cJSON_Delete(j);
    return n;
}

static size_t stored_keys(mid_store *s)
{
    store_key *keys = NULL;
    size_t n = 0;
    mident_error err;
    if (store_key_list(s, &keys, &n, &err) < 0)
        return (size_t)-1;
    store_key_list_free(keys, n);
    return n;
}

static char *b64url_of_bn_param(EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    EVP_PKEY_get_bn_param(pkey, name, &bn);
    int len = BN_num_bytes(bn);
    unsigned char *raw = malloc((size_t)len);
    BN_bn2bin(bn, raw);
    char *s = b64url_encode(raw, (size_t)len);
    free(raw);
    BN_free(bn);
    return s;
}

/* ---- tests ------------------------------------------------------------- */

TEST(first_open_generates_one_key)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    CHECK(s != NULL);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    CHECK(k != NULL);
    CHECK_EQ_INT(jwks_count(k), 1);
    CHECK_EQ_INT(stored_keys(s), 1);
    /* Stored as PKCS#8 PEM + certificate PEM; kid as published. */
    store_key *keys = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_key_list(s, &keys, &n, &err), 0);
    char kid[64];
    sts_keys_active_kid(k, kid);
    if (n == 1) {
        CHECK(strncmp(keys[0].private_pem, "-----BEGIN PRIVATE KEY-----", 27) == 0);
        CHECK(strncmp(keys[0].cert_pem, "-----BEGIN CERTIFICATE-----", 27) == 0);
        CHECK_EQ_STR(keys[0].kid, kid);
        CHECK_EQ_INT(keys[0].retired, 0);
    }
    store_key_list_free(keys, n);
    /* The generation is published so other processes notice. */
    char *gen = NULL;
    CHECK_EQ_INT(store_meta_get(s, "keys.generation", &gen, &err), 0);
    CHECK_EQ_STR(gen, "1");
    free(gen);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

TEST(jwks_kid_is_sha1_thumbprint_of_x5c)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    cJSON *jwks = sts_keys_jwks(k, "https://issuer.example/v2.0");
    const cJSON *jwk = cJSON_GetArrayItem(json_get_arr(jwks, "keys"), 0);
    CHECK(jwk != NULL);
    CHECK_EQ_STR(json_get_str(jwk, "kty"), "RSA");
    CHECK_EQ_STR(json_get_str(jwk, "use"), "sig");
    CHECK_EQ_STR(json_get_str(jwk, "issuer"), "https://issuer.example/v2.0");
    CHECK_EQ_STR(json_get_str(jwk, "e"), "AQAB");
    const char *kid = json_get_str(jwk, "kid");
    CHECK_EQ_STR(kid, json_get_str(jwk, "x5t"));
    char active[64];
    sts_keys_active_kid(k, active);
    CHECK_EQ_STR(kid, active);

    /* Recompute the thumbprint from x5c[0] (standard base64 DER). */
    const cJSON *x5c = json_get_arr(jwk, "x5c");
    CHECK_EQ_INT(cJSON_GetArraySize(x5c), 1);
    const char *der64 = cJSON_GetStringValue(cJSON_GetArrayItem(x5c, 0));
    size_t der_len = 0;
    unsigned char *der = der64 ? b64_decode(der64, strlen(der64), &der_len) : NULL;
    CHECK(der != NULL);
    if (der) {
        unsigned char md[20];
        unsigned int md_len = 0;
        EVP_Digest(der, der_len, md, &md_len, EVP_sha1(), NULL);
        char *x5t = b64url_encode(md, md_len);
        CHECK_EQ_STR(x5t, kid);
        free(x5t);
        /* n and e are the certificate's key; n has no leading zero. */
        const unsigned char *p = der;
        X509 *cert = d2i_X509(NULL, &p, (long)der_len);
        CHECK(cert != NULL);
        if (cert) {
            char *n = b64url_of_bn_param(X509_get0_pubkey(cert), OSSL_PKEY_PARAM_RSA_N);
            CHECK_EQ_STR(json_get_str(jwk, "n"), n);
            free(n);
            CHECK_EQ_INT(EVP_PKEY_get_bits(X509_get0_pubkey(cert)), 2048);
            char cn[128];
            X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
                                      cn, sizeof cn);
            CHECK_EQ_STR(cn, "mident token signing");
            /* Valid for years, not days. */
            int days = 0, secs = 0;
            ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
            CHECK(days > 4 * 365);
            X509_free(cert);
        }
        size_t n_len = 0;
        const char *n64 = json_get_str(jwk, "n");
        unsigned char *n_raw = b64url_decode(n64, strlen(n64), &n_len);
        CHECK(n_raw && n_len == 256 && n_raw[0] != 0);
        free(n_raw);
    }
    free(der);
    /* No issuer asked for, none published. */
    cJSON *plain = sts_keys_jwks(k, NULL);
    CHECK(json_get_str(cJSON_GetArrayItem(json_get_arr(plain, "keys"), 0),
                       "issuer") == NULL);
    /* An outside verifier using the JWKS text accepts our tokens. */
    char *text = json_print(plain);
    mident_keyset *ks = mident_keyset_from_jwks(text, strlen(text), &err);
    CHECK(ks && mident_keyset_count(ks) == 1);
    char *tok = sign(k);
    mident_verify_opts o = {.audiences = g_auds, .n_audiences = 1};
    mident_claims *c = NULL;
    CHECK_EQ_INT(mident_verify(ks, tok, &o, &c, &err), MIDENT_OK);
    CHECK_EQ_STR(mident_claims_kid(c), kid);
    mident_claims_free(c);
    free(tok);
    mident_keyset_free(ks);
    free(text);
    cJSON_Delete(plain);
    cJSON_Delete(jwks);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

TEST(reopen_loads_the_same_key)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    char kid1[64], kid2[64], tok_kid[64];
    sts_keys_active_kid(k, kid1);
    char *tok = sign(k);
    sts_keys_free(k);
    store_close(s);

    s = open_store(&t);
    k = sts_keys_open(s, 3600, &err);
    sts_keys_active_kid(k, kid2);
    CHECK_EQ_STR(kid1, kid2);
    CHECK_EQ_INT(jwks_count(k), 1);
    CHECK_EQ_INT(stored_keys(s), 1);
    CHECK_EQ_INT(verify(k, tok, tok_kid), MIDENT_OK);
    CHECK_EQ_STR(tok_kid, kid1);
    free(tok);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

TEST(rotate_publishes_both_and_signs_with_new)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    char old_kid[64], new_kid[64], tok_kid[64];
    sts_keys_active_kid(k, old_kid);
    char *before = sign(k);
    CHECK_EQ_INT(sts_keys_rotate(k, &err), 0);
    sts_keys_active_kid(k, new_kid);
    CHECK(strcmp(old_kid, new_kid) != 0);
    CHECK_EQ_INT(jwks_count(k), 2);
    /* The current key is listed first. */
    cJSON *jwks = sts_keys_jwks(k, NULL);
    CHECK_EQ_STR(json_get_str(cJSON_GetArrayItem(json_get_arr(jwks, "keys"), 0), "kid"),
                 new_kid);
    cJSON_Delete(jwks);
    char *after = sign(k);
    CHECK_EQ_INT(verify(k, after, tok_kid), MIDENT_OK);
    CHECK_EQ_STR(tok_kid, new_kid);
    /* A token signed before the rotation still verifies. */
    CHECK_EQ_INT(verify(k, before, tok_kid), MIDENT_OK);
    CHECK_EQ_STR(tok_kid, old_kid);
    /* The store agrees: old key retired, new one not. */
    store_key *keys = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_key_list(s, &keys, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].kid, old_kid) == 0)
            CHECK(keys[i].retired > 0);
        else
            CHECK(keys[i].retired == 0 && strcmp(keys[i].kid, new_kid) == 0);
    }
    store_key_list_free(keys, n);
    char *gen = NULL;
    CHECK_EQ_INT(store_meta_get(s, "keys.generation", &gen, &err), 0);
    CHECK_EQ_STR(gen, "2");
    free(gen);
    /* Reopening keeps both and picks the new key. */
    sts_keys_free(k);
    k = sts_keys_open(s, 3600, &err);
    char reopened[64];
    sts_keys_active_kid(k, reopened);
    CHECK_EQ_STR(reopened, new_kid);
    CHECK_EQ_INT(jwks_count(k), 2);
    CHECK_EQ_INT(verify(k, before, NULL), MIDENT_OK);
    free(before);
    free(after);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

TEST(retired_key_is_pruned_after_max_lifetime)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 1, &err); /* tokens live at most 1 s */
    char *before = sign(k);
    CHECK_EQ_INT(sts_keys_rotate(k, &err), 0);
    CHECK_EQ_INT(jwks_count(k), 2);
    CHECK_EQ_INT(verify(k, before, NULL), MIDENT_OK);
    sleep(2); /* the retired key's last token is now past its lifetime */
    CHECK_EQ_INT(jwks_count(k), 1);
    CHECK_EQ_INT(stored_keys(s), 1);
    mident_claims *c = NULL;
    mident_verify_opts o = {.audiences = g_auds, .n_audiences = 1,
                            .skew_seconds = 300};
    CHECK_EQ_INT(sts_keys_verify(k, before, &o, &c, &err), MIDENT_EAUTH);
    CHECK(strstr(err.message, "unknown key") != NULL);
    /* Signing goes on with the active key. */
    char *after = sign(k);
    CHECK(after && verify(k, after, NULL) == MIDENT_OK);
    free(before);
    free(after);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

TEST(key_retired_long_ago_is_pruned_at_open)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    char old_kid[64];
    sts_keys_active_kid(k, old_kid);
    CHECK_EQ_INT(sts_keys_rotate(k, &err), 0);
    sts_keys_free(k);
    /* Pretend the rotation happened two hours ago. */
    CHECK_EQ_INT(store_key_retire(s, old_kid, (int64_t)time(NULL) - 7200, &err), 0);
    k = sts_keys_open(s, 3600, &err);
    CHECK_EQ_INT(jwks_count(k), 1);
    CHECK_EQ_INT(stored_keys(s), 1);
    char kid[64];
    sts_keys_active_kid(k, kid);
    CHECK(strcmp(kid, old_kid) != 0);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

TEST(refresh_picks_up_rotation_by_another_handle)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s1 = open_store(&t);
    mid_store *s2 = open_store(&t); /* as another process would */
    if (!s1 || !s2)
        return;
    mident_error err;
    sts_keys *server = sts_keys_open(s1, 3600, &err);
    sts_keys *cli = sts_keys_open(s2, 3600, &err);
    char a[64], b[64];
    sts_keys_active_kid(server, a);
    sts_keys_active_kid(cli, b);
    CHECK_EQ_STR(a, b); /* the second open found the first key */
    CHECK_EQ_INT(sts_keys_refresh(server, &err), 0); /* nothing changed */
    CHECK_EQ_INT(sts_keys_rotate(cli, &err), 0);
    char rotated[64];
    sts_keys_active_kid(cli, rotated);
    char *tok = sign(cli);
    /* Before refresh the server does not know the new key... */
    sts_keys_active_kid(server, a);
    CHECK(strcmp(a, rotated) != 0);
    CHECK_EQ_INT(verify(server, tok, NULL), MIDENT_EAUTH);
    /* ...after it, it signs with it and verifies its tokens. */
    CHECK_EQ_INT(sts_keys_refresh(server, &err), 0);
    sts_keys_active_kid(server, a);
    CHECK_EQ_STR(a, rotated);
    CHECK_EQ_INT(jwks_count(server), 2);
    CHECK_EQ_INT(verify(server, tok, NULL), MIDENT_OK);
    char *tok2 = sign(server);
    char kid[64];
    CHECK_EQ_INT(verify(cli, tok2, kid), MIDENT_OK);
    CHECK_EQ_STR(kid, rotated);
    free(tok);
    free(tok2);
    sts_keys_free(server);
    sts_keys_free(cli);
    store_close(s1);
    store_close(s2);
    tmp_db_remove(&t);
}

TEST(sign_refuses_non_object_claims)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    cJSON *arr = cJSON_CreateArray();
    CHECK(sts_keys_sign(k, arr, &err) == NULL);
    CHECK(sts_keys_sign(k, NULL, &err) == NULL);
    cJSON_Delete(arr);
    CHECK(sts_keys_open(s, 0, &err) == NULL);
    CHECK(sts_keys_open(NULL, 3600, &err) == NULL);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

/* Signers and verifiers on several threads while keys rotate. */
typedef struct {
    sts_keys *k;
    int failures;
} worker_arg;

static void *sign_and_verify_loop(void *p)
{
    worker_arg *w = p;
    for (int i = 0; i < 40; i++) {
        char *tok = sign(w->k);
        if (!tok || verify(w->k, tok, NULL) != MIDENT_OK)
            w->failures++;
        free(tok);
        cJSON *j = sts_keys_jwks(w->k, NULL);
        if (!j)
            w->failures++;
        cJSON_Delete(j);
    }
    return NULL;
}

TEST(concurrent_sign_verify_during_rotation)
{
    tmp_db t;
    tmp_db_init(&t);
    mid_store *s = open_store(&t);
    if (!s)
        return;
    mident_error err;
    sts_keys *k = sts_keys_open(s, 3600, &err);
    pthread_t th[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){k, 0};
        pthread_create(&th[i], NULL, sign_and_verify_loop, &args[i]);
    }
    CHECK_EQ_INT(sts_keys_rotate(k, &err), 0);
    CHECK_EQ_INT(sts_keys_rotate(k, &err), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].failures, 0);
    }
    CHECK_EQ_INT(jwks_count(k), 3);
    sts_keys_free(k);
    store_close(s);
    tmp_db_remove(&t);
}

/* Quiet the info lines about key activation. */
__attribute__((constructor)) static void quiet_logs(void) { log_set_level(LOG_WARN); }
