/*
 * vaults.c -- Microsoft.KeyVault/vaults: the control plane of mident's
 * Key Vault-compatible secret store (the data plane is src/vault/).
 *
 * A vault is a tracked resource:
 *   properties.tenantId                the tenant whose tokens it accepts
 *                                      (default: mident's tenant)
 *   properties.sku                     {family: "A", name: standard|premium}
 *   properties.enableRbacAuthorization false: access policies decide;
 *                                      true: Key Vault role assignments
 *   properties.accessPolicies[]        {tenantId, objectId, applicationId?,
 *                                       permissions: {secrets: [...], keys,
 *                                       certificates, storage}}
 *   properties.vaultUri                https://HOST:PORT/ -- read-only,
 *                                      allocated at creation (a free TCP
 *                                      port of its own) and never changed
 *   properties.provisioningState       "Succeeded"
 * plus properties.midentKey (VAULT_KEY_PROP), the vault's internal key,
 * stored but never shown (render drops it).
 *
 * Access-policy edits: PUT .../vaults/{v}/accessPolicies/{add|replace|
 * remove} with {"properties":{"accessPolicies":[...]}}; entries are matched
 * by tenantId + objectId (+ applicationId). add unions permissions,
 * replace sets them, remove takes the listed permissions away (an entry
 * left with none, or a remove naming none, drops the entry).
 *
 * Deleting a vault purges its secrets in the same transaction (can_delete);
 * vaults deleted with their resource group are purged by vault/'s
 * follower, and their keys are never reused in any case.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/form.h"
#include "arm/arm_int.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "vault/vault.h"

#define MAX_POLICIES 1024

static const char *const secret_perms[] = {
    "all", "get", "list", "set", "delete", "backup", "restore", "recover",
    "purge", NULL};

/* Key Vault names: 3-24 of [a-zA-Z0-9-], starting with a letter, ending
 * with a letter or digit, no "--". */
static int vault_name(const char *name, mident_error *err)
{
    size_t n = strlen(name);
    int ok = n >= 3 && n <= 24 && isalpha((unsigned char)name[0]) &&
             isalnum((unsigned char)name[n - 1]);
    for (size_t i = 0; ok && i < n; i++)
        if (!(isalnum((unsigned char)name[i]) ||
              (name[i] == '-' && name[i + 1] != '-')))
            ok = 0;
    if (!ok)
        return mid_fail(err, MIDENT_EINVAL,
                        "The vault name '%.64s' is invalid. A vault's name "
                        "must be between 3-24 alphanumeric characters. The "
                        "name must begin with a letter, end with a letter or "
                        "digit, and not contain consecutive hyphens.", name);
    return 0;
}

/* ---- vaultUri ----------------------------------------------------------- */

/* The host of the public URL ("https://127.0.0.1:8443" -> "127.0.0.1",
 * "https://[::1]:8443" -> "[::1]"). */
static void public_host(const char *url, char *out, size_t n)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t len = strcspn(h, "/");
    if (h[0] == '[') {
        const char *close = memchr(h, ']', len);
        if (close)
            len = (size_t)(close - h) + 1;
    } else {
        const char *colon = memchr(h, ':', len);
        if (colon)
            len = (size_t)(colon - h);
    }
    snprintf(out, n, "%.*s", (int)len, h);
}

/* A TCP port that is free now and used by no other vault. */
static int allocate_port(arm_call *c, int *port)
{
    store_resources l = {0};
    if (store_resource_list(c->a->store, NULL, VAULT_TYPE, &l, &c->err) < 0)
        return -1;
    int found = 0;
    for (int attempt = 0; attempt < 32 && !found; attempt++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            break;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t sl = sizeof sa;
        int p = 0;
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
            p = ntohs(sa.sin_port);
        close(fd);
        if (!p)
            continue;
        int used = 0;
        for (size_t i = 0; i < l.n && !used; i++) {
            cJSON *d = json_parse(l.items[i].body, strlen(l.items[i].body), NULL);
            used = url_port(json_get_str(json_get_ci(d, "properties"),
                                         "vaultUri")) == p;
            cJSON_Delete(d);
        }
        if (!used) {
            *port = p;
            found = 1;
        }
    }
    store_resource_list_free(&l);
    if (!found)
        return arm_fail(c, MIDENT_EUNAVAILABLE, "VaultPortUnavailable",
                        "No free TCP port for the vault's endpoint.");
    return 0;
}

/* ---- access policies ----------------------------------------------------- */

/* A lower-cased copy of a permission list, validated for secrets. */
static int copy_perms(arm_call *c, const cJSON *in, const char *what,
                      const char *const *allowed, cJSON **out)
{
    *out = cJSON_CreateArray();
    if (!*out)
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    if (!in || cJSON_IsNull(in))
        return 0;
    if (!cJSON_IsArray(in))
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "permissions.%s must be an array of strings.", what);
    const cJSON *v;
    cJSON_ArrayForEach(v, in) {
        if (!cJSON_IsString(v) || !v->valuestring[0] ||
            strlen(v->valuestring) > 64)
            return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                            "permissions.%s must be an array of strings.", what);
        char lc[65];
        size_t i = 0;
        for (; v->valuestring[i]; i++)
            lc[i] = (char)tolower((unsigned char)v->valuestring[i]);
        lc[i] = '\0';
        int ok = !allowed;
        for (const char *const *a = allowed; a && *a && !ok; a++)
            ok = strcmp(*a, lc) == 0;
        if (!ok)
            return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                            "Invalid value '%s' in permissions.%s; allowed: "
                            "all, get, list, set, delete, backup, restore, "
                            "recover, purge.", lc, what);
        int dup = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, *out) dup |= strcmp(e->valuestring, lc) == 0;
        if (!dup)
            cJSON_AddItemToArray(*out, cJSON_CreateString(lc));
    }
    return 0;
}

static const char *const perm_kinds[] = {"keys", "secrets", "certificates",
                                         "storage", NULL};

/* A validated, normalized copy of one access policy entry. */
static int norm_policy(arm_call *c, const cJSON *in, cJSON **out)
{
    *out = NULL;
    if (!cJSON_IsObject(in))
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "Each access policy must be an object.");
    const cJSON *t = json_get_ci(in, "tenantId");
    const cJSON *o = json_get_ci(in, "objectId");
    const cJSON *a = json_get_ci(in, "applicationId");
    if (!cJSON_IsString(t) || !uuid_valid(t->valuestring))
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "An access policy's tenantId must be a GUID.");
    if (!cJSON_IsString(o) || !o->valuestring[0] || strlen(o->valuestring) > 64)
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "An access policy needs an objectId.");
    if (a && !cJSON_IsNull(a) &&
        (!cJSON_IsString(a) || (a->valuestring[0] && !uuid_valid(a->valuestring))))
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "An access policy's applicationId must be a GUID.");
    const cJSON *perms = json_get_ci(in, "permissions");
    if (perms && !cJSON_IsObject(perms) && !cJSON_IsNull(perms))
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "An access policy's permissions must be an object.");
    cJSON *p = cJSON_CreateObject(), *np = cJSON_CreateObject();
    json_set_str(p, "tenantId", t->valuestring);
    json_set_str(p, "objectId", o->valuestring);
    if (cJSON_IsString(a) && a->valuestring[0])
        json_set_str(p, "applicationId", a->valuestring);
    json_set(p, "permissions", np);
    for (const char *const *k = perm_kinds; *k; k++) {
        cJSON *arr = NULL;
        if (copy_perms(c, json_get_ci(perms, *k), *k,
                       strcmp(*k, "secrets") == 0 ? secret_perms : NULL, &arr) < 0) {
            cJSON_Delete(arr);
            cJSON_Delete(p);
            return -1;
        }
        json_set(np, *k, arr);
    }
    *out = p;
    return 0;
}

static int norm_policies(arm_call *c, const cJSON *in, cJSON **out)
{
    *out = cJSON_CreateArray();
    if (!*out)
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    if (!in || cJSON_IsNull(in))
        return 0;
    if (!cJSON_IsArray(in) || cJSON_GetArraySize(in) > MAX_POLICIES)
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "properties.accessPolicies must be an array of at "
                        "most %d policies.", MAX_POLICIES);
    const cJSON *e;
    cJSON_ArrayForEach(e, in) {
        cJSON *p = NULL;
        if (norm_policy(c, e, &p) < 0)
            return -1;
        cJSON_AddItemToArray(*out, p);
    }
    return 0;
}

static int same_entry(const cJSON *a, const cJSON *b)
{
    const char *aa = json_get_str(a, "applicationId");
    const char *ba = json_get_str(b, "applicationId");
    return strcasecmp(json_get_str(a, "tenantId"), json_get_str(b, "tenantId")) == 0 &&
           strcasecmp(json_get_str(a, "objectId"), json_get_str(b, "objectId")) == 0 &&
           strcasecmp(aa ? aa : "", ba ? ba : "") == 0;
}

static int has_str(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (strcmp(e->valuestring, s) == 0) return 1;
    return 0;
}

/* ---- the vault kind ------------------------------------------------------ */

static int vault_apply(arm_call *c, arm_write *w)
{
    cJSON *props = json_get_ci(w->doc, "properties");
    if (!cJSON_IsObject(props))
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "The vault's 'properties' (with tenantId and sku) are "
                        "required.");
    const cJSON *curprops = w->cur ? json_get_ci(w->cur, "properties") : NULL;

    /* Copied out: w->doc's members are replaced below. */
    const cJSON *t = json_get_ci(props, "tenantId");
    char tenant[UUID_STR_LEN];
    snprintf(tenant, sizeof tenant, "%s", c->a->tenant_id);
    if (t && !cJSON_IsNull(t)) {
        if (!cJSON_IsString(t) || !uuid_valid(t->valuestring))
            return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                            "properties.tenantId must be a GUID.");
        snprintf(tenant, sizeof tenant, "%s", t->valuestring);
    } else if (uuid_valid(json_get_str(curprops, "tenantId") ?
                          json_get_str(curprops, "tenantId") : "")) {
        snprintf(tenant, sizeof tenant, "%s", json_get_str(curprops, "tenantId"));
    }

    const cJSON *sku = json_get_ci(props, "sku");
    const char *sku_name = "standard";
    if (sku && !cJSON_IsNull(sku)) {
        const cJSON *sn = json_get_ci(sku, "name");
        if (!cJSON_IsObject(sku) || !cJSON_IsString(sn) ||
            (strcasecmp(sn->valuestring, "standard") != 0 &&
             strcasecmp(sn->valuestring, "premium") != 0))
            return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                            "properties.sku.name must be 'standard' or "
                            "'premium'.");
        sku_name = strcasecmp(sn->valuestring, "premium") == 0 ? "premium"
                                                               : "standard";
    } else if (json_get_str(json_get_ci(curprops, "sku"), "name")) {
        sku_name = json_get_str(json_get_ci(curprops, "sku"), "name");
    }

    const cJSON *rb = json_get_ci(props, "enableRbacAuthorization");
    int rbac = 0;
    if (rb && !cJSON_IsNull(rb)) {
        if (!cJSON_IsBool(rb))
            return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                            "properties.enableRbacAuthorization must be a "
                            "boolean.");
        rbac = cJSON_IsTrue(rb);
    } else {
        rbac = json_get_bool(curprops, "enableRbacAuthorization", 0);
    }

    cJSON *policies = NULL;
    const cJSON *ap = json_get_ci(props, "accessPolicies");
    if (ap && !cJSON_IsNull(ap)) {
        if (norm_policies(c, ap, &policies) < 0) {
            cJSON_Delete(policies);
            return -1;
        }
    } else {
        const cJSON *cp = json_get_ci(curprops, "accessPolicies");
        policies = cp ? cJSON_Duplicate(cp, 1) : cJSON_CreateArray();
    }

    /* Identity of the vault: its key and endpoint never change. */
    char key[UUID_STR_LEN], uri[600];
    const char *ck = json_get_str(curprops, VAULT_KEY_PROP);
    const char *cu = json_get_str(curprops, "vaultUri");
    if (ck && cu) {
        snprintf(key, sizeof key, "%s", ck);
        snprintf(uri, sizeof uri, "%s", cu);
    } else {
        int port = 0;
        char host[300];
        if (uuid_v4(key, &c->err) < 0 || allocate_port(c, &port) < 0) {
            cJSON_Delete(policies);
            return -1;
        }
        public_host(c->a->public_url, host, sizeof host);
        snprintf(uri, sizeof uri, "https://%s:%d/", host, port);
        log_info("arm", "vault %s: endpoint %s", w->id, uri);
    }

    const cJSON *flags[] = {json_get_ci(props, "enabledForDeployment"),
                            json_get_ci(props, "enabledForDiskEncryption"),
                            json_get_ci(props, "enabledForTemplateDeployment")};
    const char *flag_names[] = {"enabledForDeployment",
                                "enabledForDiskEncryption",
                                "enabledForTemplateDeployment"};
    int flag_vals[3];
    for (int i = 0; i < 3; i++)
        flag_vals[i] = cJSON_IsBool(flags[i])
                           ? cJSON_IsTrue(flags[i])
                           : json_get_bool(curprops, flag_names[i], 0);

    /* The stored document: the envelope plus exactly these properties. */
    while (w->doc->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(w->doc, w->doc->child));
    cJSON *np = cJSON_AddObjectToObject(w->doc, "properties");
    cJSON *nsku = cJSON_AddObjectToObject(np, "sku");
    cJSON_AddStringToObject(nsku, "family", "A");
    cJSON_AddStringToObject(nsku, "name", sku_name);
    cJSON_AddStringToObject(np, "tenantId", tenant);
    cJSON_AddItemToObject(np, "accessPolicies", policies);
    for (int i = 0; i < 3; i++)
        cJSON_AddBoolToObject(np, flag_names[i], flag_vals[i]);
    cJSON_AddBoolToObject(np, "enableSoftDelete", 0);
    cJSON_AddBoolToObject(np, "enableRbacAuthorization", rbac);
    cJSON_AddStringToObject(np, "vaultUri", uri);
    cJSON_AddStringToObject(np, "provisioningState", "Succeeded");
    cJSON_AddStringToObject(np, "publicNetworkAccess", "Enabled");
    cJSON_AddStringToObject(np, VAULT_KEY_PROP, key);
    return 0;
}

static void vault_render(cJSON *doc)
{
    cJSON *props = json_get_ci(doc, "properties");
    if (props)
        cJSON_DeleteItemFromObjectCaseSensitive(props, VAULT_KEY_PROP);
}

static int vault_can_delete(arm_call *c, const char *id, const cJSON *doc)
{
    (void)id;
    const char *key = json_get_str(json_get_ci(doc, "properties"), VAULT_KEY_PROP);
    if (key && store_secret_purge_vault(c->a->store, key, &c->err) < 0)
        return -1;
    return 0;
}

const arm_kind arm_kind_vault = {
    .ns = "Microsoft.KeyVault",
    .type = "vaults",
    .full_type = VAULT_TYPE,
    .tracked = 1,
    .check_name = vault_name,
    .apply = vault_apply,
    .render = vault_render,
    .can_delete = vault_can_delete,
};

/* ---- accessPolicies/{add|replace|remove} --------------------------------- */

typedef struct {
    const char *kind;    /* "add" | "replace" | "remove" */
    cJSON *changes;      /* normalized policies from the body */
    cJSON *result;       /* the vault's policies after the change */
} policy_edit;

static int edit_policies(arm_call *c, cJSON *doc, void *ctx)
{
    policy_edit *pe = ctx;
    cJSON *props = json_get_ci(doc, "properties");
    cJSON *list = json_get_ci(props, "accessPolicies");
    if (!cJSON_IsObject(props))
        return arm_fail(c, MIDENT_EINTERNAL, NULL, "stored vault has no properties");
    if (!cJSON_IsArray(list)) {
        list = cJSON_CreateArray();
        json_set(props, "accessPolicies", list);
    }
    const cJSON *ch;
    cJSON_ArrayForEach(ch, pe->changes) {
        cJSON *e = list->child;
        while (e && !same_entry(e, ch))
            e = e->next;
        if (!e) {
            if (strcmp(pe->kind, "remove") != 0) {
                if (cJSON_GetArraySize(list) >= MAX_POLICIES)
                    return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                                    "A vault holds at most %d access "
                                    "policies.", MAX_POLICIES);
                cJSON_AddItemToArray(list, cJSON_Duplicate(ch, 1));
            }
            continue;
        }
        cJSON *eperm = json_get_ci(e, "permissions");
        const cJSON *cperm = json_get_ci(ch, "permissions");
        int named = 0, left = 0;
        for (const char *const *k = perm_kinds; *k; k++) {
            cJSON *have = json_get_ci(eperm, *k);
            const cJSON *give = json_get_ci(cperm, *k);
            named += cJSON_GetArraySize(give);
            if (!cJSON_IsArray(have)) {
                have = cJSON_CreateArray();
                json_set(eperm, *k, have);
            }
            if (strcmp(pe->kind, "replace") == 0) {
                json_set(eperm, *k, cJSON_Duplicate(give, 1));
            } else if (strcmp(pe->kind, "add") == 0) {
                const cJSON *g;
                cJSON_ArrayForEach(g, give) if (!has_str(have, g->valuestring))
                    cJSON_AddItemToArray(have, cJSON_CreateString(g->valuestring));
            } else {
                cJSON *h = have->child;
                while (h) {
                    cJSON *next = h->next;
                    if (has_str(give, h->valuestring))
                        cJSON_Delete(cJSON_DetachItemViaPointer(have, h));
                    h = next;
                }
            }
            left += cJSON_GetArraySize(json_get_ci(eperm, *k));
        }
        if (strcmp(pe->kind, "remove") == 0 && (named == 0 || left == 0))
            cJSON_Delete(cJSON_DetachItemViaPointer(list, e));
    }
    pe->result = cJSON_Duplicate(list, 1);
    return 0;
}

static int access_policies(arm_call *c)
{
    const arm_path *p = &c->path;
    const char *kinds[] = {"add", "replace", "remove"};
    const char *kind = NULL;
    for (int i = 0; i < 3; i++)
        if (p->names[1] && arm_ieq(p->names[1], kinds[i]))
            kind = kinds[i];
    if (!kind)
        return arm_fail(c, MIDENT_EINVAL, "BadRequest",
                        "The access policy operation must be add, replace or "
                        "remove.");
    if (strcmp(c->req->method, "PUT") != 0)
        return arm_bad_method(c);
    buf scope, id;
    buf_init(&scope);
    buf_init(&id);
    arm_id_group(&scope, c->a->sub, p->rg);
    arm_id_resource(&scope, "", "Microsoft.KeyVault", "vaults", p->names[0]);
    int rc = arm_authorize(c, scope.data,
                           "Microsoft.KeyVault/vaults/accessPolicies/write");
    cJSON *body = NULL;
    policy_edit pe = {.kind = kind};
    if (rc == 0)
        rc = arm_body_object(c, &body);
    if (rc == 0)
        rc = norm_policies(c, json_get_ci(json_get_ci(body, "properties"),
                                          "accessPolicies"), &pe.changes);
    arm_path saved = c->path;
    c->path.depth = 1;
    if (rc == 0)
        rc = arm_group_item_id(c, &arm_kind_vault, &id);
    c->path = saved;
    if (rc == 0)
        rc = arm_res_update(c, &arm_kind_vault, id.data, edit_policies, &pe);
    if (rc == 0) {
        /* Answer as Azure does: the access-policy sub-resource. */
        buf_printf(&id, "/accessPolicies/%s", kind);
        cJSON *d = cJSON_CreateObject();
        json_set_str(d, "id", id.data);
        json_set_str(d, "type", "Microsoft.KeyVault/vaults/accessPolicies");
        cJSON *props = cJSON_AddObjectToObject(d, "properties");
        cJSON_AddItemToObject(props, "accessPolicies",
                              pe.result ? pe.result : cJSON_CreateArray());
        pe.result = NULL;
        http_res_json(c->res, 200, d);
        cJSON_Delete(d);
        log_info("arm", "vault %s: access policies %s by %s", scope.data, kind,
                 c->caller);
    }
    cJSON_Delete(pe.result);
    cJSON_Delete(pe.changes);
    cJSON_Delete(body);
    buf_free(&scope);
    buf_free(&id);
    return rc;
}

int arm_kv_route(arm_call *c)
{
    const arm_path *p = &c->path;
    if (p->n_blocks == 1 && p->depth == 1 && arm_ieq(p->types[0], "vaults"))
        return arm_route_tracked(c, &arm_kind_vault);
    if (p->n_blocks == 1 && p->depth == 2 && p->rg && p->names[0] &&
        arm_ieq(p->types[0], "vaults") && arm_ieq(p->types[1], "accessPolicies"))
        return access_policies(c);
    return arm_fail(c, MIDENT_EINVAL, "InvalidResourceType",
                    "The resource type is not supported by mident's "
                    "Microsoft.KeyVault provider.");
}
