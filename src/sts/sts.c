/*
 * sts.c -- the token service core: minting, verifying, issuers.
 *
 * Minting a token: look up the principal, build Azure-shaped claims, sign
 * with the active key (keys.c), then append the audit record and wait for
 * it to be durable. The token is returned only after its audit record is
 * on disk: "every token issued is audited" holds even across a crash. The
 * store commits concurrent audit records together, so this costs a shared
 * fsync, not one per token.
 *
 * The HTTP side (discovery, JWKS, token endpoints) is in endpoints.c.
 */
#include "sts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "keys.h"
#include "sts_internal.h"

#define DEFAULT_LIFETIME 86400
#define VERIFY_SKEW 300

sts *sts_new(mid_store *store, const sts_config *cfg, mident_error *err)
{
    sts *s = calloc(1, sizeof *s);
    if (!s) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    s->store = store;
    snprintf(s->public_url, sizeof s->public_url, "%s", cfg->public_url);
    size_t n = strlen(s->public_url);
    while (n > 0 && s->public_url[n - 1] == '/')
        s->public_url[--n] = '\0';
    snprintf(s->tenant_id, sizeof s->tenant_id, "%s", cfg->tenant_id);
    s->lifetime = cfg->token_lifetime > 0 ? cfg->token_lifetime : DEFAULT_LIFETIME;
    sts_issuer(s, STS_V1, s->iss_v1, sizeof s->iss_v1);
    sts_issuer(s, STS_V2, s->iss_v2, sizeof s->iss_v2);
    sts_issuer(s, STS_ADFS, s->iss_adfs, sizeof s->iss_adfs);
    /* Keys stay published for the longest time a token they signed can
     * still be accepted: its lifetime plus the verification skew. */
    s->keys = sts_keys_open(store, s->lifetime + VERIFY_SKEW, err);
    if (!s->keys) {
        free(s);
        return NULL;
    }
    return s;
}

void sts_free(sts *s)
{
    if (!s)
        return;
    sts_keys_free(s->keys);
    free(s);
}

void sts_issuer(const sts *s, sts_token_version v, char *out, size_t n)
{
    switch (v) {
    case STS_V2:
        snprintf(out, n, "%s/%s/v2.0", s->public_url, s->tenant_id);
        break;
    case STS_ADFS:
        snprintf(out, n, "%s/adfs", s->public_url);
        break;
    case STS_V1:
    default:
        snprintf(out, n, "%s/%s/", s->public_url, s->tenant_id);
        break;
    }
}

const char *sts_tenant_id(const sts *s) { return s->tenant_id; }
const char *sts_public_url(const sts *s) { return s->public_url; }

/* Picks up a rotation done by another process, at most once a second. */
void sts_refresh_keys(sts *s)
{
    int64_t now = (int64_t)time(NULL);
    int64_t last = __atomic_load_n(&s->last_refresh, __ATOMIC_RELAXED);
    if (now == last ||
        !__atomic_compare_exchange_n(&s->last_refresh, &last, now, 0,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    mident_error err;
    if (sts_keys_refresh(s->keys, &err) < 0)
        log_warn("sts", "reloading signing keys: %s", err.message);
}

static int new_token_id(char out[32], mident_error *err)
{
    unsigned char b[16];
    if (rand_bytes(b, sizeof b, err) < 0)
        return -1;
    char *s = b64url_encode(b, sizeof b);
    if (!s)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    snprintf(out, 32, "%s", s);
    free(s);
    return 0;
}

/* The claims of an Azure access token for principal p (see
 * azure-wire-protocols.md §4.1). v1 and ADFS tokens carry appid/appidacr;
 * v2 tokens carry azp/azpacr. */
static cJSON *build_claims(const sts *s, const store_principal *p,
                           const sts_mint_req *req, const sts_token *t)
{
    int mi = strcmp(p->type, PRINCIPAL_MANAGED_IDENTITY) == 0;
    /* "2": the client proved itself with a certificate-like platform
     * credential (managed identities); "1": with a client secret. */
    const char *acr = mi ? "2" : "1";
    const char *iss = req->version == STS_V2     ? s->iss_v2
                      : req->version == STS_ADFS ? s->iss_adfs
                                                 : s->iss_v1;
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return NULL;
    int bad = 0;
    bad |= json_set_str(c, "aud", req->audience);
    bad |= json_set_str(c, "iss", iss);
    bad |= json_set_int64(c, "iat", t->iat);
    bad |= json_set_int64(c, "nbf", t->nbf);
    bad |= json_set_int64(c, "exp", t->exp);
    if (req->version == STS_V2) {
        bad |= json_set_str(c, "azp", p->app_id);
        bad |= json_set_str(c, "azpacr", acr);
    } else {
        bad |= json_set_str(c, "appid", p->app_id);
        bad |= json_set_str(c, "appidacr", acr);
        bad |= json_set_str(c, "idp", iss);
    }
    bad |= json_set_str(c, "idtyp", "app");
    bad |= json_set_str(c, "oid", p->object_id);
    bad |= json_set_str(c, "sub", p->object_id);
    bad |= json_set_str(c, "tid", s->tenant_id);
    bad |= json_set_str(c, "uti", t->token_id);
    bad |= json_set_str(c, "jti", t->token_id);
    bad |= json_set_str(c, "ver", req->version == STS_V2 ? "2.0" : "1.0");
    if (mi && p->resource_id[0])
        bad |= json_set_str(c, "xms_mirid", p->resource_id);
    if (bad) {
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

int sts_mint(sts *s, const sts_mint_req *req, sts_token *out, mident_error *err)
{
    memset(out, 0, sizeof *out);
    if (!req->object_id || !req->audience || !*req->audience)
        return mid_fail(err, MIDENT_EINVAL, "a token needs a principal and an audience");
    store_principal p;
    if (store_principal_get(s->store, req->object_id, &p, err) < 0)
        return -1;
    sts_refresh_keys(s);

    out->iat = out->nbf = (int64_t)time(NULL);
    out->exp = out->iat + s->lifetime;
    snprintf(out->client_id, sizeof out->client_id, "%s", p.app_id);
    if (new_token_id(out->token_id, err) < 0)
        return -1;
    cJSON *claims = build_claims(s, &p, req, out);
    if (!claims)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory building claims");
    out->access_token = sts_keys_sign(s->keys, claims, err);
    cJSON_Delete(claims);
    if (!out->access_token)
        return -1;

    store_audit_rec rec = {
        .time = out->iat,
        .token_id = out->token_id,
        .object_id = p.object_id,
        .client_id = p.app_id,
        .audience = req->audience,
        .grant = req->grant ? req->grant : "client_credentials",
        .identity_resource_id = p.resource_id[0] ? p.resource_id : NULL,
        .app_resource_id = req->app_resource_id,
        .replica = req->replica,
        .node = req->node,
    };
    if (store_audit_append(s->store, &rec, err) < 0) {
        /* An unaudited token must not leave the service. */
        sts_token_free(out);
        return mid_err_wrap(err, "recording the token in the audit log");
    }
    log_debug("sts", "issued token %s for %s aud %s", out->token_id, p.object_id,
              req->audience);
    return 0;
}

void sts_token_free(sts_token *t)
{
    free(t->access_token);
    t->access_token = NULL;
}

mident_code sts_verify(sts *s, const char *token, const char *const *audiences,
                       size_t n_audiences, mident_claims **out,
                       mident_error *err)
{
    const char *issuers[] = {s->iss_v1, s->iss_v2, s->iss_adfs};
    mident_verify_opts o = {
        .audiences = audiences,
        .n_audiences = n_audiences,
        .issuers = issuers,
        .n_issuers = 3,
        .tenant_id = s->tenant_id,
        .skew_seconds = VERIFY_SKEW,
    };
    sts_refresh_keys(s);
    return sts_keys_verify(s->keys, token, &o, out, err);
}

int sts_rotate_keys(sts *s, mident_error *err)
{
    return sts_keys_rotate(s->keys, err);
}
