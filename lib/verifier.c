/*
 * verifier.c -- token verification against an authority (see mident.h):
 * the discovery document gives the issuer and jwks_uri, the JWKS gives a
 * mident_keyset, and mident_verify (verify.c, the one verification code
 * path) does the checking.
 *
 * Key cache: the key set is replaced when it is older than jwks_max_age,
 * and fetched again once when a token's kid is not in it (the authority
 * rotated its keys) -- at most once every REFETCH_GAP seconds, so tokens
 * with made-up kids cannot turn the verifier into a JWKS flood. A failed
 * refetch keeps the old set.
 *
 * Threads: verifications hold a read lock on the key set for the length
 * of mident_verify; a refetch downloads without any lock and swaps the new
 * set in under the write lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/err.h"
#include "core/json.h"
#include "fetch.h"
#include "mident.h"

#define REFETCH_GAP 5
#define MAX_AUD 16
#define MAX_ISS 16

struct mident_verifier {
    char *jwks_uri;
    char *ca_path;
    long timeout_ms;
    int max_age;
    char *aud[MAX_AUD];
    size_t n_aud;
    char *iss[MAX_ISS];
    size_t n_iss;
    char *tenant;
    int skew;
    pthread_rwlock_t lock;    /* guards ks and fetched */
    mident_keyset *ks;
    int64_t fetched;
    pthread_mutex_t fetch_mu; /* one refetch at a time; guards last_try */
    int64_t last_try;
};

static int64_t now_s(void) { return (int64_t)time(NULL); }

void mident_verifier_free(mident_verifier *v)
{
    if (!v)
        return;
    free(v->jwks_uri);
    free(v->ca_path);
    for (size_t i = 0; i < v->n_aud; i++)
        free(v->aud[i]);
    for (size_t i = 0; i < v->n_iss; i++)
        free(v->iss[i]);
    free(v->tenant);
    mident_keyset_free(v->ks);
    pthread_rwlock_destroy(&v->lock);
    pthread_mutex_destroy(&v->fetch_mu);
    free(v);
}

/* Downloads the JWKS into a new key set. */
static mident_keyset *download(mident_verifier *v, mident_error *err)
{
    long status = 0;
    cJSON *doc = NULL;
    const char *hdrs[] = {"Accept: application/json", NULL};
    if (lib_fetch("GET", v->jwks_uri, hdrs, NULL, v->ca_path, v->timeout_ms,
                  &status, &doc, err) < 0)
        return NULL;
    mident_keyset *ks = NULL;
    char *text = doc && status == 200 ? json_print(doc) : NULL;
    if (!text)
        mid_fail(err, MIDENT_EUNAVAILABLE, "JWKS %s answered HTTP %ld",
                 v->jwks_uri, status);
    else
        ks = mident_keyset_from_jwks(text, strlen(text), err);
    free(text);
    cJSON_Delete(doc);
    return ks;
}

/* Refetches (subject to REFETCH_GAP unless force); 0 when the set was
 * replaced or is fresh enough, -1 otherwise. */
static int refetch(mident_verifier *v, int force, mident_error *err)
{
    pthread_mutex_lock(&v->fetch_mu);
    int64_t now = now_s();
    /* The first fetch (force) does not count against the gap: a rotation
     * right after start-up is still picked up. */
    if (!force) {
        if (v->last_try && now - v->last_try < REFETCH_GAP) {
            pthread_mutex_unlock(&v->fetch_mu);
            return mid_fail(err, MIDENT_EUNAVAILABLE, "JWKS fetched moments ago");
        }
        v->last_try = now;
    }
    mident_keyset *ks = download(v, err);
    if (ks) {
        pthread_rwlock_wrlock(&v->lock);
        mident_keyset *old = v->ks;
        v->ks = ks;
        v->fetched = now;
        pthread_rwlock_unlock(&v->lock);
        mident_keyset_free(old);
    }
    pthread_mutex_unlock(&v->fetch_mu);
    return ks ? 0 : -1;
}

mident_verifier *mident_verifier_new(const mident_verifier_opts *o,
                                     mident_error *err)
{
    if (!o || (!o->authority && !o->discovery_url) || !o->audiences ||
        o->n_audiences == 0 || o->n_audiences > MAX_AUD ||
        o->n_extra_issuers > MAX_ISS - 1) {
        mid_fail(err, MIDENT_EINVAL, "mident_verifier_new: an authority or "
                 "discovery URL and 1-%d audiences are required", MAX_AUD);
        return NULL;
    }
    mident_verifier *v = calloc(1, sizeof *v);
    if (!v) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_rwlock_init(&v->lock, NULL);
    pthread_mutex_init(&v->fetch_mu, NULL);
    v->timeout_ms = o->timeout_ms;
    v->max_age = o->jwks_max_age > 0 ? o->jwks_max_age : 3600;
    v->skew = o->skew_seconds > 0 ? o->skew_seconds : 300;
    v->ca_path = o->ca_path ? strdup(o->ca_path) : NULL;
    v->tenant = o->tenant_id ? strdup(o->tenant_id) : NULL;
    for (size_t i = 0; i < o->n_audiences; i++)
        if (o->audiences[i])
            v->aud[v->n_aud++] = strdup(o->audiences[i]);
    for (size_t i = 0; i < o->n_extra_issuers; i++)
        if (o->extra_issuers[i])
            v->iss[v->n_iss++] = strdup(o->extra_issuers[i]);

    char url[2048];
    if (o->discovery_url) {
        snprintf(url, sizeof url, "%s", o->discovery_url);
    } else {
        size_t n = strlen(o->authority);
        while (n > 0 && o->authority[n - 1] == '/')
            n--;
        snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration",
                 (int)n, o->authority);
    }
    long status = 0;
    cJSON *doc = NULL;
    const char *hdrs[] = {"Accept: application/json", NULL};
    if (lib_fetch("GET", url, hdrs, NULL, v->ca_path, v->timeout_ms, &status,
                  &doc, err) < 0) {
        mid_err_wrap(err, "OpenID discovery");
        goto fail;
    }
    const char *issuer = json_get_str(doc, "issuer");
    const char *jwks = json_get_str(doc, "jwks_uri");
    if (status != 200 || !issuer || !jwks) {
        mid_fail(err, MIDENT_EUNAVAILABLE, "OpenID discovery at %.500s answered "
                 "HTTP %ld without issuer and jwks_uri", url, status);
        cJSON_Delete(doc);
        goto fail;
    }
    v->iss[v->n_iss++] = strdup(issuer);
    v->jwks_uri = strdup(jwks);
    cJSON_Delete(doc);
    if (!v->jwks_uri || refetch(v, 1, err) < 0)
        goto fail;
    return v;
fail:
    mident_verifier_free(v);
    return NULL;
}

/* The kid of a compact JWS's header into out ("" when unreadable). */
static void token_kid(const char *token, char *out, size_t n)
{
    out[0] = '\0';
    const char *dot = strchr(token, '.');
    if (!dot || (size_t)(dot - token) > 4096)
        return;
    size_t len = 0;
    unsigned char *raw = b64url_decode(token, (size_t)(dot - token), &len);
    cJSON *h = raw ? json_parse((const char *)raw, len, NULL) : NULL;
    const char *kid = json_get_str(h, "kid");
    if (kid)
        snprintf(out, n, "%s", kid);
    cJSON_Delete(h);
    free(raw);
}

mident_code mident_verifier_verify(mident_verifier *v, const char *token,
                                   mident_claims **out, mident_error *err)
{
    if (!v || !token || !out) {
        mid_fail(err, MIDENT_EINVAL, "mident_verifier_verify: missing argument");
        return MIDENT_EINVAL;
    }
    mident_verify_opts o = {
        .audiences = (const char *const *)v->aud,
        .n_audiences = v->n_aud,
        .issuers = (const char *const *)v->iss,
        .n_issuers = v->n_iss,
        .tenant_id = v->tenant,
        .skew_seconds = v->skew,
    };
    /* Stale set, or a kid we do not know: fetch again first. */
    char kid[256];
    token_kid(token, kid, sizeof kid);
    pthread_rwlock_rdlock(&v->lock);
    int stale = now_s() - v->fetched > v->max_age;
    int unknown = kid[0] && !mident_keyset_has_kid(v->ks, kid);
    pthread_rwlock_unlock(&v->lock);
    if (stale || unknown)
        refetch(v, 0, NULL); /* failure: verify with what we have */
    pthread_rwlock_rdlock(&v->lock);
    mident_code rc = mident_verify(v->ks, token, &o, out, err);
    pthread_rwlock_unlock(&v->lock);
    return rc;
}
