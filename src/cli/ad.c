/*
 * ad.c -- `mident ad sp ...`: service principals (Application principals
 * with a client secret) in the directory.
 *
 *   mident ad sp create-for-rbac --name NAME [--role ROLE --scopes SCOPE]
 *       prints {appId, displayName, password, tenant} like az; the password
 *       is shown this once (the store keeps only its hash). With --role and
 *       --scopes, also creates that role assignment through the ARM API.
 *   mident ad sp credential reset --id APPID
 *       adds a new secret and prints it the same way.
 *
 * Directory writes go to the data directory's store (as `keys rotate`
 * does): mident serves no Microsoft Graph API. Role assignments go through
 * the public ARM API like every other resource.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armcmd.h"
#include "commands.h"
#include "core/json.h"
#include "core/rand.h"
#include "store/store.h"
#include "sts/directory.h"

static void print_credential(cli_ctx *ctx, const store_principal *p,
                             const char *secret)
{
    cJSON *out = cJSON_CreateObject();
    json_set_str(out, "appId", p->app_id);
    json_set_str(out, "displayName", p->display_name);
    json_set_str(out, "password", secret);
    json_set_str(out, "tenant", ctx->tenant_id);
    json_set_str(out, "objectId", p->object_id);
    cli_print(ctx, out);
    cJSON_Delete(out);
}

static int assign_role(cli_ctx *ctx, const store_principal *p, const char *role,
                       const char *scope)
{
    char def[1024], name[UUID_STR_LEN], path[2048];
    if (armc_role_definition_id(ctx, role, def, sizeof def))
        return 1;
    if (uuid_v4(name, NULL) < 0)
        return cli_error("random number generator failed");
    snprintf(path, sizeof path,
             "%s/providers/Microsoft.Authorization/roleAssignments/%s", scope,
             name);
    cJSON *body = cJSON_CreateObject(), *props = cJSON_CreateObject();
    json_set_str(props, "roleDefinitionId", def);
    json_set_str(props, "principalId", p->object_id);
    json_set_str(props, "principalType", "ServicePrincipal");
    json_set(body, "properties", props);
    int rc = armc_call(ctx, "PUT", path, body, 0, NULL, NULL);
    cJSON_Delete(body);
    return rc;
}

static int create_for_rbac(cli_ctx *ctx, int argc, char **argv)
{
    const char *name = cli_opt(argc, argv, "--name", "-n", "--display-name");
    const char *role = cli_opt(argc, argv, "--role", NULL, NULL);
    const char *scope = cli_opt(argc, argv, "--scopes", "--scope", NULL);
    if (!name)
        return cli_usage("ad sp", "create-for-rbac --name NAME [--role ROLE --scopes SCOPE]");
    if (!role != !scope)
        return cli_error("--role and --scopes go together");
    mident_error err;
    mid_store *st = cli_open_store(ctx->data_dir, &err);
    if (!st)
        return cli_error("%s", err.message);
    store_principal p;
    char *secret = NULL;
    int rc = directory_create_application(st, name, &p, &secret, &err);
    store_close(st);
    if (rc < 0)
        return cli_error("%s", err.message);
    if (role && assign_role(ctx, &p, role, scope)) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
        return 1;
    }
    print_credential(ctx, &p, secret);
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    return 0;
}

static int credential_reset(cli_ctx *ctx, int argc, char **argv)
{
    const char *id = cli_opt(argc, argv, "--id", NULL, NULL);
    if (!id)
        return cli_usage("ad sp", "credential reset --id APPID");
    mident_error err;
    mid_store *st = cli_open_store(ctx->data_dir, &err);
    if (!st)
        return cli_error("%s", err.message);
    store_principal p;
    char *secret = NULL;
    int rc = store_principal_get_by_app(st, id, &p, &err);
    if (rc == 0 && strcmp(p.type, PRINCIPAL_APPLICATION) != 0)
        rc = mid_fail(&err, MIDENT_EINVAL, "%s is a managed identity: it has no "
                      "secrets", id);
    if (rc == 0)
        rc = directory_add_secret(st, p.object_id, &secret, &err);
    store_close(st);
    if (rc < 0)
        return cli_error("%s", err.message);
    print_credential(ctx, &p, secret);
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    return 0;
}

int cmd_ad(cli_ctx *ctx, int argc, char **argv)
{
    static const char *usage =
        "sp create-for-rbac --name NAME [--role ROLE --scopes SCOPE] | "
        "sp credential reset --id APPID";
    if (argc >= 2 && strcmp(argv[0], "sp") == 0 &&
        strcmp(argv[1], "create-for-rbac") == 0)
        return create_for_rbac(ctx, argc - 2, argv + 2);
    if (argc >= 3 && strcmp(argv[0], "sp") == 0 &&
        strcmp(argv[1], "credential") == 0 && strcmp(argv[2], "reset") == 0)
        return credential_reset(ctx, argc - 3, argv + 3);
    return cli_usage("ad", usage);
}
