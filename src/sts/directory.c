/*
 * directory.c -- tenant, subscription and service principals; see
 * directory.h.
 *
 * Client secrets: 32 random bytes (256 bits) base64url-encoded, so the
 * secret is 43 characters. Only SHA-256(secret) is stored. A random
 * 256-bit secret cannot be brute-forced from its hash, so a slow password
 * hash would buy nothing and cost a login round trip.
 */
#include "directory.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rand.h"

#define SECRET_BYTES 32

static int sha256_hex(const char *s, char out[65], mident_error *err)
{
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return mid_fail(err, MIDENT_ECRYPTO, "SHA-256 failed");
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Loads meta key into out, or creates it with a fresh UUID. */
static int meta_uuid(mid_store *s, const char *key, char out[37], int *created,
                     mident_error *err)
{
    char *val = NULL;
    if (store_meta_get(s, key, &val, err) == 0) {
        snprintf(out, 37, "%s", val);
        free(val);
        return 0;
    }
    if (err && err->code != MIDENT_ENOTFOUND)
        return -1;
    if (uuid_v4(out, err) < 0 || store_meta_put(s, key, out, err) < 0)
        return -1;
    if (created)
        *created = 1;
    return 0;
}

int directory_bootstrap(mid_store *s, directory_info *out, char **admin_secret,
                        mident_error *err)
{
    *admin_secret = NULL;
    memset(out, 0, sizeof *out);
    if (store_begin(s, err) < 0)
        return -1;
    int created = 0;
    if (meta_uuid(s, "tenant_id", out->tenant_id, NULL, err) < 0 ||
        meta_uuid(s, "subscription_id", out->subscription_id, NULL, err) < 0)
        goto fail;
    char *admin = NULL;
    if (store_meta_get(s, "admin_object_id", &admin, err) == 0) {
        store_principal p;
        int rc = store_principal_get(s, admin, &p, err);
        free(admin);
        if (rc < 0)
            goto fail;
        snprintf(out->admin_object_id, 37, "%s", p.object_id);
        snprintf(out->admin_app_id, 37, "%s", p.app_id);
    } else {
        if (err && err->code != MIDENT_ENOTFOUND)
            goto fail;
        store_principal p;
        if (directory_create_application(s, "mident admin", &p, admin_secret,
                                         err) < 0 ||
            store_meta_put(s, "admin_object_id", p.object_id, err) < 0)
            goto fail;
        snprintf(out->admin_object_id, 37, "%s", p.object_id);
        snprintf(out->admin_app_id, 37, "%s", p.app_id);
        created = 1;
    }
    (void)created;
    if (store_commit(s, err) < 0)
        goto fail_nolock;
    return 0;
fail:
    store_rollback(s);
fail_nolock:
    if (*admin_secret) {
        OPENSSL_cleanse(*admin_secret, strlen(*admin_secret));
        free(*admin_secret);
        *admin_secret = NULL;
    }
    return -1;
}

static int new_principal(const char *type, const char *display_name,
                         const char *resource_id, store_principal *p,
                         mident_error *err)
{
    memset(p, 0, sizeof *p);
    if (uuid_v4(p->object_id, err) < 0 || uuid_v4(p->app_id, err) < 0)
        return -1;
    snprintf(p->display_name, sizeof p->display_name, "%s",
             display_name ? display_name : "");
    snprintf(p->type, sizeof p->type, "%s", type);
    snprintf(p->resource_id, sizeof p->resource_id, "%s",
             resource_id ? resource_id : "");
    p->created = (int64_t)time(NULL);
    return 0;
}

int directory_new_secret(char **secret, char hash[65], mident_error *err)
{
    *secret = rand_secret(SECRET_BYTES, err);
    if (!*secret)
        return -1;
    if (sha256_hex(*secret, hash, err) < 0) {
        OPENSSL_cleanse(*secret, strlen(*secret));
        free(*secret);
        *secret = NULL;
        return -1;
    }
    return 0;
}

int directory_secret_matches(const char *secret, const char *hash)
{
    char want[65];
    if (!secret || !hash || strlen(hash) != 64 || sha256_hex(secret, want, NULL) < 0)
        return 0;
    return CRYPTO_memcmp(hash, want, 64) == 0;
}

int directory_add_secret(mid_store *s, const char *object_id, char **secret,
                         mident_error *err)
{
    *secret = NULL;
    store_credential c;
    memset(&c, 0, sizeof c);
    char *sec = NULL;
    if (directory_new_secret(&sec, c.hash, err) < 0)
        return -1;
    if (uuid_v4(c.key_id, err) < 0)
        goto fail;
    snprintf(c.hint, sizeof c.hint, "%.3s", sec);
    c.created = (int64_t)time(NULL);
    if (store_credential_add(s, object_id, &c, err) < 0)
        goto fail;
    *secret = sec;
    return 0;
fail:
    OPENSSL_cleanse(sec, strlen(sec));
    free(sec);
    return -1;
}

int directory_create_application(mid_store *s, const char *display_name,
                                 store_principal *out, char **secret,
                                 mident_error *err)
{
    *secret = NULL;
    if (new_principal(PRINCIPAL_APPLICATION, display_name, NULL, out, err) < 0)
        return -1;
    if (store_begin(s, err) < 0)
        return -1;
    if (store_principal_put(s, out, err) < 0 ||
        directory_add_secret(s, out->object_id, secret, err) < 0) {
        store_rollback(s);
        return -1;
    }
    if (store_commit(s, err) < 0) {
        OPENSSL_cleanse(*secret, strlen(*secret));
        free(*secret);
        *secret = NULL;
        return -1;
    }
    return 0;
}

int directory_check_secret(mid_store *s, const char *app_id, const char *secret,
                           store_principal *out, mident_error *err)
{
    static const char *const bad = "invalid client secret or unknown client";
    if (!app_id || !secret || !*secret)
        return mid_fail(err, MIDENT_EAUTH, "%s", bad);
    char want[65];
    if (sha256_hex(secret, want, err) < 0)
        return -1;
    mident_error e2;
    if (store_principal_get_by_app(s, app_id, out, &e2) < 0) {
        if (e2.code == MIDENT_ENOTFOUND)
            return mid_fail(err, MIDENT_EAUTH, "%s", bad);
        if (err)
            *err = e2;
        return -1;
    }
    store_credential *creds = NULL;
    size_t n = 0;
    if (store_credential_list(s, out->object_id, &creds, &n, err) < 0)
        return -1;
    int64_t now = (int64_t)time(NULL);
    int ok = 0;
    for (size_t i = 0; i < n; i++) {
        /* Compare every credential, so the time taken does not say which
         * one matched. */
        int same = CRYPTO_memcmp(creds[i].hash, want, 64) == 0;
        int live = creds[i].expires == 0 || creds[i].expires > now;
        ok |= same & live;
    }
    free(creds);
    if (!ok)
        return mid_fail(err, MIDENT_EAUTH, "%s", bad);
    return 0;
}

int directory_create_managed_identity(mid_store *s, const char *display_name,
                                      const char *resource_id,
                                      store_principal *out, mident_error *err)
{
    if (new_principal(PRINCIPAL_MANAGED_IDENTITY, display_name, resource_id, out,
                      err) < 0)
        return -1;
    return store_principal_put(s, out, err);
}

int directory_delete_principal(mid_store *s, const char *object_id,
                               mident_error *err)
{
    return store_principal_delete(s, object_id, err);
}
