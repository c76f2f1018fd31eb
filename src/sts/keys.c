/*
 * keys.c -- the token service's signing keys (see keys.h).
 *
 * What it owns: the in-memory set of published RSA-2048 keys -- each with
 * its self-signed certificate, its private key parsed once into an
 * EVP_PKEY, and the JWK members (n, e, x5c) computed once -- plus the
 * mident_keyset built from them for verification. The store holds the
 * durable copy (PKCS#8 PEM + certificate PEM per key).
 *
 * How it fits:
 *   - sts.c signs every token through sts_keys_sign and verifies through
 *     sts_keys_verify, which calls libmident's mident_verify with a key set
 *     built from our own JWKS text: there is one verifier in mident.
 *   - endpoints.c serves sts_keys_jwks at the discovery keys URLs.
 *   - `mident keys rotate` (another process) rotates through the store and
 *     bumps the meta value "keys.generation"; running servers call
 *     sts_keys_refresh (rate-limited by the caller) and reload when the
 *     generation they loaded is no longer current.
 *
 * Key life cycle: generated -> active (the newest non-retired key signs)
 * -> retired at the next rotation (still published, still verifies) ->
 * pruned once `max_token_lifetime` has passed since retirement, when no
 * token it signed can still be valid. Pruning is driven by time: every
 * operation checks `next_prune` (one atomic load) and drops expired keys
 * from memory and the store when it is due.
 *
 * Locking: a rwlock guards the key list, the active index, the generation
 * and the key set. Sign, JWKS and verify take it shared; load, rotate and
 * prune take it exclusive. Expensive RSA generation happens outside it.
 *
 * Private key material never leaves this file except as the PEM handed to
 * the store; PEM copies are cleansed before they are freed, and nothing
 * here logs more than a kid.
 */
#include "core/x509util.h"
#include "keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/json.h"
#include "core/log.h"
#include "jwt.h"

#define KEY_BITS 2048
#define CERT_CN "mident token signing"
#define CERT_DAYS (5 * 365)
#define GENERATION_KEY "keys.generation"
#define NO_ACTIVE ((size_t)-1)

typedef struct {
    char kid[64];      /* = x5t = base64url(SHA-1(DER cert)) */
    EVP_PKEY *pkey;    /* private key; also serves the public half */
    char *n;           /* base64url modulus, no leading zero bytes */
    char *e;           /* base64url public exponent */
    char *x5c;         /* standard base64 of the DER certificate */
    int64_t created;
    int64_t retired;   /* 0 while it may sign */
} signing_key;

struct sts_keys {
    mid_store *store;
    int64_t max_lifetime;
    pthread_rwlock_t lock;
    signing_key *keys;      /* published keys, oldest first */
    size_t n;
    size_t active;          /* index of the signing key, or NO_ACTIVE */
    char generation[64];    /* "keys.generation" as of the last load */
    int64_t next_prune;     /* when a retired key is next due to go
                               (atomic; INT64_MAX when none is retired) */
    mident_keyset *keyset;  /* the published keys, for mident_verify */
};

static int64_t now_s(void) { return (int64_t)time(NULL); }

static void signing_key_clear(signing_key *sk)
{
    EVP_PKEY_free(sk->pkey);
    free(sk->n);
    free(sk->e);
    free(sk->x5c);
    memset(sk, 0, sizeof *sk);
}

static void key_array_free(signing_key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        signing_key_clear(&keys[i]);
    free(keys);
}

/* Frees a PEM that may hold private material. */
static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* ---- PEM and certificate helpers ------------------------------------- */

/* The self-signed certificate that carries the key in x5c and names it
 * (its SHA-1 thumbprint is the kid), as Entra ID publishes its keys. */
static X509 *self_signed_cert(EVP_PKEY *pkey)
{
    X509 *cert = X509_new();
    if (!cert)
        return NULL;
    X509_NAME *name = X509_get_subject_name(cert);
    int ok = X509_set_version(cert, X509_VERSION_3) == 1 && x509_random_serial(cert) &&
             X509_gmtime_adj(X509_getm_notBefore(cert), -300) &&
             X509_gmtime_adj(X509_getm_notAfter(cert), (long)CERT_DAYS * 86400) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        (const unsigned char *)CERT_CN, -1, -1,
                                        0) == 1 &&
             X509_set_issuer_name(cert, name) == 1 &&
             X509_set_pubkey(cert, pkey) == 1 &&
             x509_add_ext(cert, cert, NID_basic_constraints, "critical,CA:FALSE") &&
             x509_add_ext(cert, cert, NID_key_usage, "critical,digitalSignature") &&
             x509_add_ext(cert, cert, NID_subject_key_identifier, "hash") &&
             X509_sign(cert, pkey, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* kid = x5t = base64url(SHA-1(DER)); out has 64 bytes. Also returns the
 * DER (malloc'd) for x5c when der/der_len are non-NULL. */
static int cert_thumbprint(X509 *cert, char out[64], unsigned char **der,
                           size_t *der_len)
{
    unsigned char *d = NULL;
    int len = i2d_X509(cert, &d);
    if (len <= 0)
        return -1;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = EVP_Digest(d, (size_t)len, md, &md_len, EVP_sha1(), NULL) == 1;
    char *t = ok ? b64url_encode(md, md_len) : NULL;
    if (t)
        snprintf(out, 64, "%s", t);
    free(t);
    if (t && der) {
        *der = d;
        *der_len = (size_t)len;
    } else {
        OPENSSL_free(d);
    }
    return t ? 0 : -1;
}

/* base64url of an RSA parameter, big-endian without leading zeros. */
static char *rsa_param_b64url(EVP_PKEY *pkey, const char *param)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
        return NULL;
    int len = BN_num_bytes(bn);
    unsigned char *raw = malloc(len > 0 ? (size_t)len : 1);
    char *out = NULL;
    if (raw && BN_bn2bin(bn, raw) == len)
        out = b64url_encode(raw, (size_t)len);
    free(raw);
    BN_free(bn);
    return out;
}

/* ---- key generation and parsing -------------------------------------- */

/* A new key pair and certificate as a store row (PEMs malloc'd; release
 * with store_key_release). */
static int generate_store_key(store_key *out, mident_error *err)
{
    memset(out, 0, sizeof *out);
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)KEY_BITS);
    if (!pkey)
        return mid_fail(err, MIDENT_ECRYPTO, "RSA key generation failed");
    X509 *cert = self_signed_cert(pkey);
    int rc = -1;
    if (!cert) {
        mid_fail(err, MIDENT_ECRYPTO, "cannot create the signing certificate");
        goto done;
    }
    if (cert_thumbprint(cert, out->kid, NULL, NULL) < 0 ||
        !(out->private_pem = x509_key_pem(pkey)) ||
        !(out->cert_pem = x509_cert_pem(cert))) {
        mid_fail(err, MIDENT_ECRYPTO, "cannot encode the new signing key");
        goto done;
    }
    out->created = now_s();
    rc = 0;
done:
    if (rc < 0) {
        free_secret(out->private_pem);
        free(out->cert_pem);
        out->private_pem = out->cert_pem = NULL;
    }
    X509_free(cert);
    EVP_PKEY_free(pkey);
    return rc;
}

static void store_key_release(store_key *sk)
{
    free_secret(sk->private_pem);
    free(sk->cert_pem);
    sk->private_pem = sk->cert_pem = NULL;
}

/* Parses a stored key once: private key, certificate, and the JWK members.
 * Refuses a row whose certificate does not match its key or whose kid is
 * not the certificate's thumbprint (a corrupted or tampered store). */
static int parse_stored_key(const store_key *row, signing_key *out,
                            mident_error *err)
{
    memset(out, 0, sizeof *out);
    BIO *kb = BIO_new_mem_buf(row->private_pem ? row->private_pem : "", -1);
    BIO *cb = BIO_new_mem_buf(row->cert_pem ? row->cert_pem : "", -1);
    X509 *cert = NULL;
    unsigned char *der = NULL;
    size_t der_len = 0;
    int rc = -1;
    if (!kb || !cb) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto done;
    }
    out->pkey = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    if (!out->pkey || !cert || !EVP_PKEY_is_a(out->pkey, "RSA")) {
        mid_fail(err, MIDENT_ECRYPTO, "signing key '%s' in the store is unreadable",
                 row->kid);
        goto done;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), out->pkey) != 1) {
        mid_fail(err, MIDENT_ECRYPTO,
                 "signing key '%s': certificate does not match the key", row->kid);
        goto done;
    }
    if (cert_thumbprint(cert, out->kid, &der, &der_len) < 0) {
        mid_fail(err, MIDENT_ECRYPTO, "signing key '%s': cannot hash certificate",
                 row->kid);
        goto done;
    }
    if (strcmp(out->kid, row->kid) != 0) {
        mid_fail(err, MIDENT_ECRYPTO,
                 "signing key '%s': kid is not the certificate thumbprint",
                 row->kid);
        goto done;
    }
    out->n = rsa_param_b64url(out->pkey, OSSL_PKEY_PARAM_RSA_N);
    out->e = rsa_param_b64url(out->pkey, OSSL_PKEY_PARAM_RSA_E);
    out->x5c = b64_encode(der, der_len);
    if (!out->n || !out->e || !out->x5c) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto done;
    }
    out->created = row->created;
    out->retired = row->retired;
    rc = 0;
done:
    if (rc < 0)
        signing_key_clear(out);
    OPENSSL_free(der);
    X509_free(cert);
    BIO_free(kb);
    BIO_free(cb);
    return rc;
}

/* A second reference to an already parsed key (no re-parsing on reload). */
static int share_key(const signing_key *from, const store_key *row,
                     signing_key *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->kid, sizeof out->kid, "%s", from->kid);
    out->n = strdup(from->n);
    out->e = strdup(from->e);
    out->x5c = strdup(from->x5c);
    if (!out->n || !out->e || !out->x5c || EVP_PKEY_up_ref(from->pkey) != 1) {
        signing_key_clear(out);
        return -1;
    }
    out->pkey = from->pkey;
    out->created = row->created;
    out->retired = row->retired;
    return 0;
}

/* ---- JWKS and the verification key set -------------------------------- */

static cJSON *jwk_of(const signing_key *sk, const char *issuer)
{
    cJSON *jwk = cJSON_CreateObject();
    if (!jwk || json_set_str(jwk, "kty", "RSA") < 0 ||
        json_set_str(jwk, "use", "sig") < 0 || json_set_str(jwk, "kid", sk->kid) < 0 ||
        json_set_str(jwk, "x5t", sk->kid) < 0 || json_set_str(jwk, "n", sk->n) < 0 ||
        json_set_str(jwk, "e", sk->e) < 0 ||
        json_set(jwk, "x5c", cJSON_CreateArray()) < 0 ||
        !cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(jwk, "x5c"),
                              cJSON_CreateString(sk->x5c)) ||
        (issuer && json_set_str(jwk, "issuer", issuer) < 0)) {
        cJSON_Delete(jwk);
        return NULL;
    }
    return jwk;
}

static cJSON *jwks_locked(const sts_keys *k, const char *issuer)
{
    cJSON *doc = cJSON_CreateObject();
    if (!doc || json_set(doc, "keys", cJSON_CreateArray()) < 0) {
        cJSON_Delete(doc);
        return NULL;
    }
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "keys");
    /* Newest first, as Entra lists the current key first. */
    for (size_t i = k->n; i-- > 0;) {
        cJSON *jwk = jwk_of(&k->keys[i], issuer);
        if (!jwk || !cJSON_AddItemToArray(arr, jwk)) {
            cJSON_Delete(jwk);
            cJSON_Delete(doc);
            return NULL;
        }
    }
    return doc;
}

/* The verification key set is built from the JWKS text, exactly as an
 * outside resource server builds it. */
static int rebuild_keyset_locked(sts_keys *k, mident_error *err)
{
    cJSON *doc = jwks_locked(k, NULL);
    char *text = doc ? json_print(doc) : NULL;
    cJSON_Delete(doc);
    if (!text)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    mident_keyset *ks = mident_keyset_from_jwks(text, strlen(text), err);
    free(text);
    if (!ks)
        return mid_err_wrap(err, "building the verification key set");
    mident_keyset_free(k->keyset);
    k->keyset = ks;
    return 0;
}

/* ---- loading, pruning, generation -------------------------------------- */

static int published(const signing_key *sk, int64_t now, int64_t lifetime)
{
    return sk->retired == 0 || sk->retired >= now - lifetime;
}

static void update_next_prune_locked(sts_keys *k)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < k->n; i++)
        if (k->keys[i].retired && k->keys[i].retired + k->max_lifetime + 1 < next)
            next = k->keys[i].retired + k->max_lifetime + 1;
    __atomic_store_n(&k->next_prune, next, __ATOMIC_RELEASE);
}

/* The newest key that is not retired (created, then store order). */
static size_t pick_active(const signing_key *keys, size_t n)
{
    size_t best = NO_ACTIVE;
    for (size_t i = 0; i < n; i++)
        if (keys[i].retired == 0 &&
            (best == NO_ACTIVE || keys[i].created >= keys[best].created))
            best = i;
    return best;
}

static int read_generation(mid_store *store, char out[64], mident_error *err)
{
    char *val = NULL;
    mident_error e;
    if (store_meta_get(store, GENERATION_KEY, &val, &e) < 0) {
        if (e.code != MIDENT_ENOTFOUND) {
            if (err)
                *err = e;
            return -1;
        }
        out[0] = '\0';
        return 0;
    }
    snprintf(out, 64, "%s", val);
    free(val);
    return 0;
}

/* Increments "keys.generation" (inside the caller's transaction). */
static int bump_generation(mid_store *store, mident_error *err)
{
    char cur[64];
    if (read_generation(store, cur, err) < 0)
        return -1;
    long long g = cur[0] ? strtoll(cur, NULL, 10) : 0;
    char next[32];
    snprintf(next, sizeof next, "%lld", g + 1);
    return store_meta_put(store, GENERATION_KEY, next, err);
}

/* Replaces the in-memory keys with the store's published ones. Keys that
 * are already loaded are shared, not re-parsed. On failure nothing
 * changes. Leaves k->active == NO_ACTIVE when no key may sign. */
static int load_locked(sts_keys *k, mident_error *err)
{
    char gen[64];
    /* Generation first: a rotation racing with the listing then shows as a
     * newer generation at the next refresh, never as a missed one. */
    if (read_generation(k->store, gen, err) < 0)
        return -1;
    int64_t now = now_s();
    mident_error perr;
    if (store_key_prune(k->store, now - k->max_lifetime, &perr) < 0)
        log_warn("sts", "pruning retired signing keys: %s", perr.message);
    store_key *rows = NULL;
    size_t nrows = 0;
    if (store_key_list(k->store, &rows, &nrows, err) < 0)
        return mid_err_wrap(err, "loading signing keys");
    signing_key *keys = calloc(nrows ? nrows : 1, sizeof *keys);
    size_t n = 0;
    int rc = -1;
    if (!keys) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nrows; i++) {
        signing_key probe = {.retired = rows[i].retired};
        if (!published(&probe, now, k->max_lifetime))
            continue;
        const signing_key *have = NULL;
        for (size_t j = 0; j < k->n && !have; j++)
            if (strcmp(k->keys[j].kid, rows[i].kid) == 0)
                have = &k->keys[j];
        if (have ? share_key(have, &rows[i], &keys[n]) < 0
                 : parse_stored_key(&rows[i], &keys[n], err) < 0) {
            if (have)
                mid_fail(err, MIDENT_ENOMEM, "out of memory");
            goto done;
        }
        n++;
    }
    signing_key *old = k->keys;
    size_t old_n = k->n;
    mident_keyset *old_ks = k->keyset;
    k->keys = keys;
    k->n = n;
    k->keyset = NULL;
    if (n > 0 && rebuild_keyset_locked(k, err) < 0) {
        k->keys = old; /* roll back: nothing changes on failure */
        k->n = old_n;
        k->keyset = old_ks;
        goto done;
    }
    mident_keyset_free(old_ks);
    key_array_free(old, old_n);
    keys = NULL;
    n = 0;
    k->active = pick_active(k->keys, k->n);
    snprintf(k->generation, sizeof k->generation, "%s", gen);
    update_next_prune_locked(k);
    rc = 0;
done:
    key_array_free(keys, n);
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].private_pem)
            OPENSSL_cleanse(rows[i].private_pem, strlen(rows[i].private_pem));
    store_key_list_free(rows, nrows);
    return rc;
}

/* Makes `fresh` the signing key in one store transaction: every key still
 * signing is retired now, the new key is added, and the generation is
 * bumped so other processes reload. */
static int install_key(mid_store *store, const store_key *fresh, mident_error *err)
{
    if (store_begin(store, err) < 0)
        return -1;
    store_key *rows = NULL;
    size_t nrows = 0;
    int64_t now = now_s();
    if (store_key_list(store, &rows, &nrows, err) < 0)
        goto fail;
    for (size_t i = 0; i < nrows; i++) {
        if (rows[i].retired == 0 &&
            store_key_retire(store, rows[i].kid, now, err) < 0)
            goto fail;
    }
    if (store_key_add(store, fresh, err) < 0 || bump_generation(store, err) < 0)
        goto fail;
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].private_pem)
            OPENSSL_cleanse(rows[i].private_pem, strlen(rows[i].private_pem));
    store_key_list_free(rows, nrows);
    return store_commit(store, err);
fail:
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].private_pem)
            OPENSSL_cleanse(rows[i].private_pem, strlen(rows[i].private_pem));
    store_key_list_free(rows, nrows);
    store_rollback(store);
    return -1;
}

/* Generates, stores and loads a new signing key. Caller holds the write
 * lock (or is the only user, at open). */
static int rotate_locked(sts_keys *k, store_key *fresh, mident_error *err)
{
    if (install_key(k->store, fresh, err) < 0)
        return mid_err_wrap(err, "storing the new signing key");
    log_info("sts", "signing key %s is now active", fresh->kid);
    return load_locked(k, err);
}

/* Drops keys whose retirement is older than the longest token lifetime. */
static void prune_locked(sts_keys *k, int64_t now)
{
    size_t w = 0;
    int dropped = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (published(&k->keys[i], now, k->max_lifetime)) {
            if (w != i)
                k->keys[w] = k->keys[i];
            if (k->active == i)
                k->active = w;
            w++;
        } else {
            log_info("sts", "signing key %s is no longer published", k->keys[i].kid);
            signing_key_clear(&k->keys[i]);
            dropped = 1;
        }
    }
    k->n = w;
    if (!dropped)
        return;
    mident_error err;
    if (store_key_prune(k->store, now - k->max_lifetime, &err) < 0)
        log_warn("sts", "pruning retired signing keys: %s", err.message);
    if (k->n == 0) {
        mident_keyset_free(k->keyset);
        k->keyset = NULL;
    } else if (rebuild_keyset_locked(k, &err) < 0) {
        log_error("sts", "%s", err.message);
    }
    update_next_prune_locked(k);
}

/* Cheap check on every operation; the write lock is taken only when a
 * retired key is actually due to leave the JWKS. */
static void prune_if_due(sts_keys *k)
{
    int64_t now = now_s();
    if (now < __atomic_load_n(&k->next_prune, __ATOMIC_ACQUIRE))
        return;
    pthread_rwlock_wrlock(&k->lock);
    if (now >= k->next_prune) /* another thread may have done it */
        prune_locked(k, now);
    pthread_rwlock_unlock(&k->lock);
}

/* ---- public API -------------------------------------------------------- */

/* glibc's rwlocks prefer readers by default, so under steady signing load
 * a rotation could wait forever; prefer the writer. No code path takes the
 * read lock twice in one thread, which that mode requires. */
static int init_lock(pthread_rwlock_t *lock)
{
#ifdef __GLIBC__
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0)
        return -1;
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return rc;
#else
    return pthread_rwlock_init(lock, NULL);
#endif
}

sts_keys *sts_keys_open(mid_store *store, int64_t max_token_lifetime,
                        mident_error *err)
{
    if (!store || max_token_lifetime <= 0) {
        mid_fail(err, MIDENT_EINVAL, "sts_keys_open: need a store and a lifetime");
        return NULL;
    }
    sts_keys *k = calloc(1, sizeof *k);
    if (!k) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    k->store = store;
    k->max_lifetime = max_token_lifetime;
    k->active = NO_ACTIVE;
    k->next_prune = INT64_MAX;
    if (init_lock(&k->lock) != 0) {
        free(k);
        mid_fail(err, MIDENT_EINTERNAL, "cannot create the signing keys lock");
        return NULL;
    }
    if (load_locked(k, err) < 0)
        goto fail;
    if (k->active == NO_ACTIVE) {
        store_key fresh;
        if (generate_store_key(&fresh, err) < 0)
            goto fail;
        int rc = rotate_locked(k, &fresh, err);
        store_key_release(&fresh);
        if (rc < 0)
            goto fail;
    }
    return k;
fail:
    sts_keys_free(k);
    return NULL;
}

void sts_keys_free(sts_keys *k)
{
    if (!k)
        return;
    key_array_free(k->keys, k->n);
    mident_keyset_free(k->keyset);
    pthread_rwlock_destroy(&k->lock);
    free(k);
}

int sts_keys_rotate(sts_keys *k, mident_error *err)
{
    /* RSA generation takes tens of milliseconds: do it before locking so
     * signing goes on meanwhile. */
    store_key fresh;
    if (generate_store_key(&fresh, err) < 0)
        return -1;
    pthread_rwlock_wrlock(&k->lock);
    int rc = rotate_locked(k, &fresh, err);
    pthread_rwlock_unlock(&k->lock);
    store_key_release(&fresh);
    return rc;
}

int sts_keys_refresh(sts_keys *k, mident_error *err)
{
    prune_if_due(k);
    char gen[64];
    if (read_generation(k->store, gen, err) < 0)
        return -1;
    pthread_rwlock_rdlock(&k->lock);
    int same = strcmp(gen, k->generation) == 0;
    pthread_rwlock_unlock(&k->lock);
    if (same)
        return 0;
    pthread_rwlock_wrlock(&k->lock);
    int rc = load_locked(k, err);
    if (rc == 0)
        log_info("sts", "reloaded signing keys (generation %s)", k->generation);
    pthread_rwlock_unlock(&k->lock);
    return rc;
}

char *sts_keys_sign(sts_keys *k, const cJSON *claims, mident_error *err)
{
    prune_if_due(k);
    pthread_rwlock_rdlock(&k->lock);
    char *token = NULL;
    if (k->active == NO_ACTIVE) {
        mid_fail(err, MIDENT_EUNAVAILABLE, "no active signing key");
    } else {
        const signing_key *sk = &k->keys[k->active];
        token = jwt_sign_rs256(sk->pkey, sk->kid, sk->kid, claims, err);
    }
    pthread_rwlock_unlock(&k->lock);
    return token;
}

cJSON *sts_keys_jwks(sts_keys *k, const char *issuer)
{
    prune_if_due(k);
    pthread_rwlock_rdlock(&k->lock);
    cJSON *doc = jwks_locked(k, issuer);
    pthread_rwlock_unlock(&k->lock);
    return doc;
}

mident_code sts_keys_verify(sts_keys *k, const char *token,
                            const mident_verify_opts *opts, mident_claims **out,
                            mident_error *err)
{
    prune_if_due(k);
    pthread_rwlock_rdlock(&k->lock);
    mident_code rc;
    if (!k->keyset) {
        if (out)
            *out = NULL;
        mid_fail(err, MIDENT_EUNAVAILABLE, "no published signing key");
        rc = MIDENT_EUNAVAILABLE;
    } else {
        rc = mident_verify(k->keyset, token, opts, out, err);
    }
    pthread_rwlock_unlock(&k->lock);
    return rc;
}

void sts_keys_active_kid(sts_keys *k, char out[64])
{
    pthread_rwlock_rdlock(&k->lock);
    snprintf(out, 64, "%s", k->active == NO_ACTIVE ? "" : k->keys[k->active].kid);
    pthread_rwlock_unlock(&k->lock);
}
