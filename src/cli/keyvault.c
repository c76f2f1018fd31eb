/*
 * keyvault.c -- `mident keyvault ...`: vaults and their secrets, like
 * `az keyvault`.
 *
 *   keyvault create -n NAME -g RG [-l LOC] [--enable-rbac-authorization
 *                   [true|false]] [--tags k=v ...]
 *   keyvault show|delete -n NAME [-g RG]
 *   keyvault list [-g RG]
 *   keyvault set-policy -n NAME [-g RG] --object-id OID
 *                   --secret-permissions get list ...
 *   keyvault delete-policy -n NAME [-g RG] --object-id OID
 *   keyvault secret set --vault-name V -n NAME --value VALUE
 *                   [--content-type T] [--tags k=v ...]
 *   keyvault secret show --vault-name V -n NAME [--version VER]
 *   keyvault secret list --vault-name V
 *   keyvault secret delete --vault-name V -n NAME
 *
 * Vault commands use the ARM API (Microsoft.KeyVault/vaults, api-version
 * 2024-11-01); without -g a vault is found by name in the subscription,
 * as az does. As in az, `create` of an access-policy vault gives the
 * signed-in principal every secret permission.
 *
 * Secret commands talk to the vault's data plane at its vaultUri with a
 * token for https://vault.azure.net from the CLI's credential (the admin's
 * unless `mident login` saved another); the vault's access policies or
 * role assignments decide, as for any caller. Values are printed only by
 * `secret set` and `secret show`, never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armcmd.h"
#include "commands.h"
#include "core/b64.h"
#include "core/http_client.h"
#include "core/json.h"

#define KV_TYPE "Microsoft.KeyVault/vaults"
#define KV_API "api-version=2024-11-01"
#define KV_DATA_API "api-version=7.4"
#define KV_RESOURCE "https://vault.azure.net"

static const char *const usage =
    "create -n NAME -g RG [-l LOCATION] [--enable-rbac-authorization [true|false]] | "
    "show|delete -n NAME [-g RG] | list [-g RG] | "
    "set-policy -n NAME [-g RG] --object-id OID --secret-permissions P ... | "
    "delete-policy -n NAME [-g RG] --object-id OID | "
    "secret set|show|list|delete --vault-name V [-n NAME] [--value V]";

static void print_flat(const cli_ctx *ctx, const cJSON *doc)
{
    cJSON *flat = armc_flatten(doc, NULL);
    armc_print(ctx, flat);
    cJSON_Delete(flat);
}

/* The id of vault `name` into id: in rg, or found in the subscription. */
static int vault_id(cli_ctx *ctx, const char *rg, const char *name, char *id,
                    size_t n)
{
    if (rg || name[0] == '/')
        return armc_resource_id(ctx, rg, KV_TYPE, name, id, n);
    char path[512];
    snprintf(path, sizeof path, "/subscriptions/%s/providers/%s?%s",
             ctx->subscription_id, KV_TYPE, KV_API);
    cJSON *all = NULL;
    if (armc_list(ctx, path, &all))
        return 1;
    int found = 0;
    for (const cJSON *it = all->child; it && !found; it = it->next) {
        const char *nm = json_get_str(it, "name");
        const char *vid = json_get_str(it, "id");
        if (nm && vid && strcasecmp(nm, name) == 0) {
            snprintf(id, n, "%s", vid);
            found = 1;
        }
    }
    cJSON_Delete(all);
    if (!found)
        return cli_error("The Vault '%s' not found within subscription.", name);
    return 0;
}

/* GETs the vault document. */
static int vault_get(cli_ctx *ctx, const char *rg, const char *name,
                     cJSON **doc, char *id, size_t n)
{
    if (vault_id(ctx, rg, name, id, n))
        return 1;
    char path[ARM_ID_MAX + 64];
    snprintf(path, sizeof path, "%s?%s", id, KV_API);
    return armc_call(ctx, "GET", path, NULL, 0, NULL, doc);
}

/* The oid claim of the CLI's ARM token (who "I" am), into out. */
static int my_object_id(cli_ctx *ctx, char *out, size_t n)
{
    mident_error err;
    if (cli_arm_token(ctx, &err) < 0)
        return cli_error("%s", err.message);
    const char *p = strchr(ctx->arm_token, '.');
    const char *q = p ? strchr(p + 1, '.') : NULL;
    size_t len = 0;
    unsigned char *raw = q ? b64url_decode(p + 1, (size_t)(q - p - 1), &len) : NULL;
    cJSON *claims = raw ? json_parse((char *)raw, len, NULL) : NULL;
    const char *oid = json_get_str(claims, "oid");
    int rc = oid ? 0 : cli_error("the CLI's token has no oid claim");
    if (oid)
        snprintf(out, n, "%s", oid);
    cJSON_Delete(claims);
    free(raw);
    return rc;
}

static int create(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 1},
                            {"--location -l", ARG_VALUE, 0},
                            {"--enable-rbac-authorization", ARG_LIST, 0},
                            {"--tags", ARG_LIST, 0},
                            {NULL, 0, 0}};
    cli_val v[5];
    int rc = cli_args("keyvault", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    int rbac = 0;
    if (v[3].set) {
        rbac = 1;
        if (v[3].n > 0)
            rbac = strcasecmp(v[3].list[0], "false") != 0;
    }
    char id[ARM_ID_MAX], loc[256], oid[64];
    if (armc_resource_id(ctx, v[1].value, KV_TYPE, v[0].value, id, sizeof id))
        return 1;
    if (v[2].set)
        snprintf(loc, sizeof loc, "%s", v[2].value);
    else if (armc_group_location(ctx, v[1].value, loc, sizeof loc))
        return 1;
    if (!rbac && my_object_id(ctx, oid, sizeof oid))
        return 1;
    cJSON *body = cJSON_CreateObject(), *props = cJSON_CreateObject();
    json_set_str(body, "location", loc);
    if (v[4].set)
        json_set(body, "tags", cli_tags(&v[4]));
    json_set_str(props, "tenantId", ctx->tenant_id);
    cJSON *sku = cJSON_CreateObject();
    json_set_str(sku, "family", "A");
    json_set_str(sku, "name", "standard");
    json_set(props, "sku", sku);
    json_set(props, "enableRbacAuthorization", cJSON_CreateBool(rbac));
    cJSON *pols = cJSON_CreateArray();
    if (!rbac) {
        const char *all[] = {"all", "get", "list", "set", "delete", "backup",
                             "restore", "recover", "purge"};
        cJSON *p = cJSON_CreateObject(), *perms = cJSON_CreateObject();
        json_set_str(p, "tenantId", ctx->tenant_id);
        json_set_str(p, "objectId", oid);
        json_set(perms, "secrets", cJSON_CreateStringArray(all + 1, 8));
        json_set(p, "permissions", perms);
        cJSON_AddItemToArray(pols, p);
    }
    json_set(props, "accessPolicies", pols);
    json_set(body, "properties", props);
    char path[ARM_ID_MAX + 64];
    snprintf(path, sizeof path, "%s?%s", id, KV_API);
    cJSON *resp = NULL;
    rc = armc_call(ctx, "PUT", path, body, 0, NULL, &resp);
    cJSON_Delete(body);
    if (rc == 0)
        print_flat(ctx, resp);
    cJSON_Delete(resp);
    return rc;
}

static int show_or_delete(cli_ctx *ctx, int argc, char **argv, int del)
{
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[2];
    int rc = cli_args("keyvault", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX], path[ARM_ID_MAX + 64];
    if (vault_id(ctx, v[1].set ? v[1].value : NULL, v[0].value, id, sizeof id))
        return 1;
    snprintf(path, sizeof path, "%s?%s", id, KV_API);
    cJSON *resp = NULL;
    if (armc_call(ctx, del ? "DELETE" : "GET", path, NULL, 0, NULL, &resp))
        return 1;
    if (!del)
        print_flat(ctx, resp);
    cJSON_Delete(resp);
    return 0;
}

static int list(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--resource-group -g", ARG_VALUE, 0}, {NULL, 0, 0}};
    cli_val v[1];
    int rc = cli_args("keyvault", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char path[ARM_ID_MAX + 128];
    if (v[0].set) {
        char g[ARM_ID_MAX];
        if (armc_group_id(ctx, v[0].value, g, sizeof g))
            return 1;
        snprintf(path, sizeof path, "%s/providers/%s?%s", g, KV_TYPE, KV_API);
    } else {
        snprintf(path, sizeof path, "/subscriptions/%s/providers/%s?%s",
                 ctx->subscription_id, KV_TYPE, KV_API);
    }
    cJSON *all = NULL;
    if (armc_list(ctx, path, &all))
        return 1;
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *it = all->child; it; it = it->next)
        cJSON_AddItemToArray(out, armc_flatten(it, NULL));
    armc_print(ctx, out);
    cJSON_Delete(out);
    cJSON_Delete(all);
    return 0;
}

/* set-policy (remove = 0) and delete-policy (remove = 1). */
static int policy(cli_ctx *ctx, int argc, char **argv, int remove)
{
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 0},
                            {"--object-id", ARG_VALUE, 1},
                            {"--secret-permissions", ARG_LIST, 0},
                            {"--application-id", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[5];
    int rc = cli_args("keyvault", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    if (!remove && !v[3].set) {
        fputs("ERROR: specify --secret-permissions\n", stderr);
        return cli_usage("keyvault", usage);
    }
    char id[ARM_ID_MAX], path[ARM_ID_MAX + 64];
    cJSON *vault = NULL;
    if (vault_get(ctx, v[1].set ? v[1].value : NULL, v[0].value, &vault, id,
                  sizeof id))
        return 1;
    const cJSON *props = json_get_obj(vault, "properties");
    const char *tenant = json_get_str(props, "tenantId");
    if (json_get_bool(props, "enableRbacAuthorization", 0) && !remove)
        fprintf(stderr, "WARNING: vault '%s' uses RBAC authorization; access "
                "policies are kept but not applied\n", v[0].value);
    /* The entry as it is now (to keep its other permissions). */
    cJSON *entry = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, json_get_arr(props, "accessPolicies")) {
        const char *o = json_get_str(e, "objectId");
        if (o && strcasecmp(o, v[2].value) == 0 && !entry)
            entry = cJSON_Duplicate(e, 1);
    }
    if (!entry) {
        entry = cJSON_CreateObject();
        json_set_str(entry, "tenantId", tenant ? tenant : ctx->tenant_id);
        json_set_str(entry, "objectId", v[2].value);
        json_set(entry, "permissions", cJSON_CreateObject());
    }
    if (v[4].set)
        json_set_str(entry, "applicationId", v[4].value);
    cJSON *perms = json_get_ci(entry, "permissions");
    if (remove) {
        json_set(entry, "permissions", cJSON_CreateObject());
    } else {
        cJSON *secrets = cJSON_CreateArray();
        for (int i = 0; i < v[3].n; i++)
            cJSON_AddItemToArray(secrets, cJSON_CreateString(v[3].list[i]));
        json_set(perms, "secrets", secrets);
    }
    cJSON *body = cJSON_CreateObject(), *bp = cJSON_CreateObject(),
          *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, entry);
    json_set(bp, "accessPolicies", arr);
    json_set(body, "properties", bp);
    snprintf(path, sizeof path, "%s/accessPolicies/%s?%s", id,
             remove ? "remove" : "replace", KV_API);
    cJSON *resp = NULL;
    rc = armc_call(ctx, "PUT", path, body, 0, NULL, &resp);
    cJSON_Delete(body);
    cJSON_Delete(resp);
    cJSON_Delete(vault);
    vault = NULL;
    if (rc)
        return rc;
    /* az prints the vault as it is now. */
    snprintf(path, sizeof path, "%s?%s", id, KV_API);
    if (armc_call(ctx, "GET", path, NULL, 0, NULL, &vault))
        return 1;
    print_flat(ctx, vault);
    cJSON_Delete(vault);
    return 0;
}

/* ---- secrets (data plane) ------------------------------------------------ */

/* One data-plane request to the vault named vault_name. */
static int data_call(cli_ctx *ctx, const char *vault_name, const char *method,
                     const char *rel, const cJSON *body, cJSON **out)
{
    char id[ARM_ID_MAX];
    cJSON *vault = NULL;
    *out = NULL;
    if (vault_get(ctx, NULL, vault_name, &vault, id, sizeof id))
        return 1;
    const char *uri = json_get_str(json_get_obj(vault, "properties"), "vaultUri");
    if (!uri) {
        cJSON_Delete(vault);
        return cli_error("vault '%s' has no vaultUri", vault_name);
    }
    char url[2048];
    size_t ul = strlen(uri);
    snprintf(url, sizeof url, "%.*s%s%s%s", (int)(ul && uri[ul - 1] == '/' ? ul - 1 : ul),
             uri, rel, strchr(rel, '?') ? "&" : "?", KV_DATA_API);
    cJSON_Delete(vault);
    mident_error err;
    cJSON *tok = NULL;
    if (cli_get_token(ctx, KV_RESOURCE, &tok, &err) < 0)
        return cli_error("%s", err.message);
    char auth[8192];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s",
             json_get_str(tok, "access_token"));
    cJSON_Delete(tok);
    const char *hdrs[] = {auth, "Content-Type: application/json",
                          "Accept: application/json", NULL};
    char *text = body ? json_print(body) : NULL;
    buf resp;
    buf_init(&resp);
    long status = 0;
    http_client_req r = {.method = method,
                         .url = url,
                         .ca_path = ctx->ca_cert,
                         .headers = hdrs,
                         .body = text,
                         .body_len = text ? strlen(text) : 0};
    int rc = http_client_do(&r, &status, &resp, &err);
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    memset(auth, 0, sizeof auth);
    if (rc < 0) {
        buf_free(&resp);
        return cli_error("%s", err.message);
    }
    cJSON *doc = resp.len ? json_parse(resp.data, resp.len, NULL) : NULL;
    if (resp.data)
        memset(resp.data, 0, resp.len);
    buf_free(&resp);
    if (status != 200) {
        char msg[1024];
        cli_error_from_body(doc, status, msg, sizeof msg);
        cJSON_Delete(doc);
        return cli_error("%s", msg);
    }
    *out = doc;
    return 0;
}

/* Adds "name" (from the id) as az shows it. */
static void add_name(cJSON *d)
{
    const char *id = json_get_str(d, "id");
    const char *s = id ? strstr(id, "/secrets/") : NULL;
    if (!s)
        return;
    s += 9;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(s, "/"), s);
    json_set_str(d, "name", name);
}

static int secret(cli_ctx *ctx, int argc, char **argv)
{
    static const char *const susage =
        "set --vault-name V -n NAME --value VALUE [--content-type T] [--tags k=v ...] | "
        "show --vault-name V -n NAME [--version VER] | list --vault-name V | "
        "delete --vault-name V -n NAME";
    const char *sub = argc > 0 ? argv[0] : "";
    const cli_arg spec[] = {{"--vault-name", ARG_VALUE, 1},
                            {"--name -n", ARG_VALUE, 0},
                            {"--value", ARG_VALUE, 0},
                            {"--content-type", ARG_VALUE, 0},
                            {"--tags", ARG_LIST, 0},
                            {"--version", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[6];
    if (strcmp(sub, "set") && strcmp(sub, "show") && strcmp(sub, "list") &&
        strcmp(sub, "delete"))
        return cli_usage("keyvault secret", susage);
    int rc = cli_args("keyvault secret", susage, argc - 1, argv + 1, spec, v);
    if (rc)
        return rc;
    if (strcmp(sub, "list") != 0 && !v[1].set) {
        fputs("ERROR: the following arguments are required: --name/-n\n", stderr);
        return cli_usage("keyvault secret", susage);
    }
    char rel[600];
    cJSON *out = NULL;
    if (strcmp(sub, "set") == 0) {
        if (!v[2].set) {
            fputs("ERROR: the following arguments are required: --value\n", stderr);
            return cli_usage("keyvault secret", susage);
        }
        cJSON *body = cJSON_CreateObject();
        json_set_str(body, "value", v[2].value);
        if (v[3].set)
            json_set_str(body, "contentType", v[3].value);
        if (v[4].set)
            json_set(body, "tags", cli_tags(&v[4]));
        snprintf(rel, sizeof rel, "/secrets/%s", v[1].value);
        rc = data_call(ctx, v[0].value, "PUT", rel, body, &out);
        cJSON_Delete(body);
    } else if (strcmp(sub, "show") == 0) {
        snprintf(rel, sizeof rel, "/secrets/%s/%s", v[1].value,
                 v[5].set ? v[5].value : "");
        rc = data_call(ctx, v[0].value, "GET", rel, NULL, &out);
    } else if (strcmp(sub, "delete") == 0) {
        snprintf(rel, sizeof rel, "/secrets/%s", v[1].value);
        rc = data_call(ctx, v[0].value, "DELETE", rel, NULL, &out);
    } else {
        /* every page */
        cJSON *all = cJSON_CreateArray();
        snprintf(rel, sizeof rel, "/secrets?maxresults=25");
        rc = data_call(ctx, v[0].value, "GET", rel, NULL, &out);
        while (rc == 0) {
            cJSON *val = json_get_ci(out, "value");
            while (val && val->child) {
                cJSON *it = cJSON_DetachItemViaPointer(val, val->child);
                add_name(it);
                cJSON_AddItemToArray(all, it);
            }
            const char *next = json_get_str(out, "nextLink");
            const char *q = next ? strstr(next, "/secrets?") : NULL;
            if (!q)
                break;
            /* the cursor only: the api-version is added again */
            const char *tok = strstr(q, "$skiptoken=");
            snprintf(rel, sizeof rel, "/secrets?maxresults=25&%.*s",
                     tok ? (int)strcspn(tok, "&") : 0, tok ? tok : "");
            cJSON_Delete(out);
            out = NULL;
            rc = data_call(ctx, v[0].value, "GET", rel, NULL, &out);
        }
        cJSON_Delete(out);
        out = rc == 0 ? all : NULL;
        if (rc)
            cJSON_Delete(all);
    }
    if (rc == 0 && out) {
        if (cJSON_IsObject(out))
            add_name(out);
        armc_print(ctx, out);
    }
    cJSON_Delete(out);
    return rc;
}

int cmd_keyvault(cli_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "create") == 0)
        return create(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0)
        return show_or_delete(ctx, argc - 1, argv + 1, 0);
    if (strcmp(sub, "delete") == 0)
        return show_or_delete(ctx, argc - 1, argv + 1, 1);
    if (strcmp(sub, "list") == 0)
        return list(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "set-policy") == 0)
        return policy(ctx, argc - 1, argv + 1, 0);
    if (strcmp(sub, "delete-policy") == 0)
        return policy(ctx, argc - 1, argv + 1, 1);
    if (strcmp(sub, "secret") == 0)
        return secret(ctx, argc - 1, argv + 1);
    return cli_usage("keyvault", usage);
}
