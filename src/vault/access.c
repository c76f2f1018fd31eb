/*
 * access.c -- who may do what at a vault, decided on every request.
 *
 * Authentication: the request must carry "Authorization: Bearer <JWT>".
 * The token is verified by the token service's verifier (sts_verify, which
 * is libmident's mident_verify over the published key set: RS256 only,
 * key by kid, exp/nbf/iat with bounded skew, iss = one of mident's
 * issuers) for the audience https://vault.azure.net (with or without a
 * trailing '/'); then its tid must be the vault's tenantId. Any failure is
 * 401 with the challenge, before the body is looked at.
 *
 * Authorization, with the vault document read afresh for this request:
 *   access-policy mode: an access policy whose tenantId is the token's tid
 *     and whose objectId is its oid (and, when the policy names an
 *     applicationId, whose appid matches) must list the permission in
 *     permissions.secrets (or "all");
 *   RBAC mode (enableRbacAuthorization): a role assignment of the caller at
 *     the vault or above must grant the data action (Key Vault Secrets
 *     User: getSecret + readMetadata; Secrets Officer: secrets/ *;
 *     Administrator: vaults/ *), evaluated by arm/authz.
 * Otherwise 403 Forbidden in Key Vault's shape.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/log.h"
#include "vault/vault_int.h"

static const struct {
    const char *perm;
    const char *data_action;
} ops[] = {
    [VOP_GET] = {"get", "Microsoft.KeyVault/vaults/secrets/getSecret/action"},
    [VOP_LIST] = {"list", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"},
    [VOP_SET] = {"set", "Microsoft.KeyVault/vaults/secrets/setSecret/action"},
    [VOP_UPDATE] = {"set", "Microsoft.KeyVault/vaults/secrets/update/action"},
    [VOP_DELETE] = {"delete", "Microsoft.KeyVault/vaults/secrets/delete"},
};

void vault_doc_free(vault_doc *d)
{
    cJSON_Delete(d->root);
    memset(d, 0, sizeof *d);
}

int vault_load(vault_call *c)
{
    store_resource r = {0};
    if (store_resource_get(c->l->sh->store, c->l->id, &r, &c->err) < 0) {
        if (c->err.code == MIDENT_ENOTFOUND)
            return vault_fail(c, MIDENT_ENOTFOUND, "VaultNotFound",
                              "The vault served here no longer exists.");
        return -1;
    }
    vault_doc *d = &c->doc;
    d->root = json_parse(r.body, strlen(r.body), &c->err);
    store_resource_free(&r);
    const cJSON *props = d->root ? json_get_ci(d->root, "properties") : NULL;
    const char *tenant = json_get_str(props, "tenantId");
    const char *key = json_get_str(props, VAULT_KEY_PROP);
    const char *uri = json_get_str(props, "vaultUri");
    const char *name = json_get_str(d->root, "name");
    if (!tenant || !key || !uri || !name || strcmp(key, c->l->key) != 0)
        return vault_fail(c, MIDENT_EINTERNAL, NULL,
                          "stored vault document %s is not usable", c->l->id);
    snprintf(d->tenant, sizeof d->tenant, "%s", tenant);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->base, sizeof d->base, "%s", uri);
    size_t n = strlen(d->base);
    while (n > 0 && d->base[n - 1] == '/')
        d->base[--n] = '\0';
    d->rbac = json_get_bool(props, "enableRbacAuthorization", 0);
    d->policies = json_get_ci(props, "accessPolicies");
    return 0;
}

int vault_authenticate(vault_call *c)
{
    const char *h = http_req_header(c->req, "Authorization");
    if (!h || !*h)
        return vault_fail(c, MIDENT_EAUTH, "Unauthorized",
                          "AKV10000: Request is missing a Bearer or PoP token.");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return vault_fail(c, MIDENT_EAUTH, "Unauthorized",
                          "AKV10000: Request is missing a Bearer or PoP token.");
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    const char *const auds[] = {VAULT_RESOURCE};
    mident_claims *cl = NULL;
    mident_error e;
    if (sts_verify(c->l->sh->sts, tok, auds, 1, &cl, &e) != MIDENT_OK) {
        if (e.code != MIDENT_EAUTH && e.code != MIDENT_EINVAL) {
            c->err = e;
            return -1;
        }
        log_info("vault", "%s: token refused: %s", c->doc.name, e.message);
        return vault_fail(c, MIDENT_EAUTH, "Unauthorized",
                          "AKV10022: Invalid token: %s", e.message);
    }
    const char *tid = mident_claims_string(cl, "tid");
    const char *oid = mident_claims_string(cl, "oid");
    const char *appid = mident_claims_string(cl, "appid");
    if (!appid)
        appid = mident_claims_string(cl, "azp");
    int rc = 0;
    if (!tid || strcasecmp(tid, c->doc.tenant) != 0)
        rc = vault_fail(c, MIDENT_EAUTH, "Unauthorized",
                        "AKV10032: Invalid issuer. Expected one of the "
                        "vault's tenant %s.", c->doc.tenant);
    else if (!oid || !*oid || strlen(oid) >= sizeof c->oid)
        rc = vault_fail(c, MIDENT_EAUTH, "Unauthorized",
                        "AKV10000: The token has no usable oid claim.");
    if (rc == 0) {
        snprintf(c->oid, sizeof c->oid, "%s", oid);
        snprintf(c->appid, sizeof c->appid, "%s",
                 appid && strlen(appid) < sizeof c->appid ? appid : "");
    }
    mident_claims_free(cl);
    return rc;
}

static int has_perm(const cJSON *arr, const char *perm)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) {
        if (cJSON_IsString(v) && (strcasecmp(v->valuestring, perm) == 0 ||
                                  strcasecmp(v->valuestring, "all") == 0))
            return 1;
    }
    return 0;
}

static int policy_allows(const vault_call *c, const char *perm)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, c->doc.policies) {
        const char *t = json_get_str(p, "tenantId");
        const char *o = json_get_str(p, "objectId");
        const char *a = json_get_str(p, "applicationId");
        if (!t || !o || strcasecmp(t, c->doc.tenant) != 0 ||
            strcasecmp(o, c->oid) != 0)
            continue;
        if (a && *a && strcasecmp(a, c->appid) != 0)
            continue;
        if (has_perm(json_get_ci(json_get_ci(p, "permissions"), "secrets"), perm))
            return 1;
    }
    return 0;
}

int vault_authorize(vault_call *c, vault_op op)
{
    if (c->doc.rbac) {
        int ok = authz_check(c->l->sh->authz, c->oid, c->l->id,
                             ops[op].data_action, 1, &c->err);
        if (ok < 0)
            return -1;
        if (ok)
            return 0;
        snprintf(c->inner, sizeof c->inner, "ForbiddenByRbac");
        log_info("vault", "%s: %s denied to %s (rbac)", c->doc.name,
                 ops[op].data_action, c->oid);
        return vault_fail(c, MIDENT_EFORBIDDEN, "Forbidden",
                          "Caller is not authorized to perform action on "
                          "resource. If role assignments, deny assignments or "
                          "role definitions were changed recently, please "
                          "observe propagation time. Caller: appid=%s;oid=%s. "
                          "Action: '%s'. Resource: '%.400s'. Assignment: (not "
                          "found). Vault: %s.",
                          c->appid, c->oid, ops[op].data_action, c->l->id,
                          c->doc.name);
    }
    if (policy_allows(c, ops[op].perm))
        return 0;
    snprintf(c->inner, sizeof c->inner, "AccessDenied");
    log_info("vault", "%s: secrets %s denied to %s (access policy)",
             c->doc.name, ops[op].perm, c->oid);
    return vault_fail(c, MIDENT_EFORBIDDEN, "Forbidden",
                      "The user, group or application 'appid=%s;oid=%s' does "
                      "not have secrets %s permission on key vault '%s'. For "
                      "help resolving this issue, please see "
                      "https://go.microsoft.com/fwlink/?linkid=2125287",
                      c->appid, c->oid, ops[op].perm, c->doc.name);
}
