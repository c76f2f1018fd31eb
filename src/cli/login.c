/*
 * login.c -- `mident login` / `mident logout`: which credential the CLI
 * uses, like `az login --service-principal` / `az logout`.
 *
 *   login --service-principal -u CLIENT_ID -p SECRET [--tenant T]
 *         [--allow-no-subscriptions]
 *       gets a token with the credential (a wrong one fails here, with the
 *       token service's message), lists the subscriptions it can read
 *       (none is an error unless --allow-no-subscriptions, as in az), saves
 *       DIR/cli-profile.json (mode 0600) and prints the accounts as az
 *       does. Every later command uses it (cli_load prefers the profile).
 *   logout
 *       removes the profile: commands use the admin credential of
 *       endpoints.json again.
 *
 * The secret is written only to the profile, never printed.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "armcmd.h"
#include "commands.h"
#include "core/fsutil.h"
#include "core/json.h"

static const char *const usage =
    "--service-principal -u CLIENT_ID -p SECRET [--tenant TENANT] "
    "[--allow-no-subscriptions]";

static void profile_path(const cli_ctx *ctx, char *out, size_t n)
{
    snprintf(out, n, "%s/cli-profile.json", ctx->data_dir);
}

static void replace(char **slot, const char *v)
{
    if (*slot) {
        OPENSSL_cleanse(*slot, strlen(*slot));
        free(*slot);
    }
    *slot = strdup(v);
}

static int save_profile(const cli_ctx *ctx)
{
    cJSON *p = cJSON_CreateObject();
    json_set_str(p, "type", "servicePrincipal");
    json_set_str(p, "clientId", ctx->client_id);
    json_set_str(p, "clientSecret", ctx->client_secret);
    json_set_str(p, "tenantId", ctx->login_tenant);
    char *text = json_print(p);
    cJSON_Delete(p);
    if (!text)
        return cli_error("out of memory");
    char path[4096];
    profile_path(ctx, path, sizeof path);
    mident_error err;
    size_t len = strlen(text);
    int rc = fs_write_atomic(path, text, len, 0600, &err);
    OPENSSL_cleanse(text, len);
    free(text);
    return rc < 0 ? cli_error("%s", err.message) : 0;
}

/* az's account entries for the subscriptions the principal can read. */
static cJSON *accounts(const cli_ctx *ctx, const cJSON *subs)
{
    cJSON *out = cJSON_CreateArray();
    int first = 1;
    for (const cJSON *s = subs->child; s; s = s->next) {
        cJSON *a = cJSON_CreateObject(), *user = cJSON_CreateObject();
        const char *tenant = json_get_str(s, "tenantId");
        json_set_str(a, "cloudName", "mident");
        json_set_str(a, "homeTenantId", tenant ? tenant : ctx->login_tenant);
        json_set_str(a, "id", json_get_str(s, "subscriptionId"));
        json_set(a, "isDefault", cJSON_CreateBool(first));
        json_set(a, "managedByTenants", cJSON_CreateArray());
        json_set_str(a, "name", json_get_str(s, "displayName"));
        json_set_str(a, "state", json_get_str(s, "state"));
        json_set_str(a, "tenantId", tenant ? tenant : ctx->login_tenant);
        json_set_str(user, "name", ctx->client_id);
        json_set_str(user, "type", "servicePrincipal");
        json_set(a, "user", user);
        cJSON_AddItemToArray(out, a);
        first = 0;
    }
    return out;
}

/* az's entry when the principal reads no subscription. */
static cJSON *tenant_account(const cli_ctx *ctx)
{
    cJSON *out = cJSON_CreateArray(), *a = cJSON_CreateObject(),
          *user = cJSON_CreateObject();
    json_set_str(a, "cloudName", "mident");
    json_set_str(a, "id", ctx->login_tenant);
    json_set(a, "isDefault", cJSON_CreateTrue());
    json_set_str(a, "name", "N/A(tenant level account)");
    json_set_str(a, "state", "Enabled");
    json_set_str(a, "tenantId", ctx->login_tenant);
    json_set_str(user, "name", ctx->client_id);
    json_set_str(user, "type", "servicePrincipal");
    json_set(a, "user", user);
    cJSON_AddItemToArray(out, a);
    return out;
}

int cmd_login(cli_ctx *ctx, int argc, char **argv)
{
    enum { SP, USER, PASSWORD, TENANT, ALLOW, NARGS };
    const cli_arg spec[] = {{"--service-principal", ARG_FLAG, 1},
                            {"--username -u", ARG_VALUE, 1},
                            {"--password -p", ARG_VALUE, 1},
                            {"--tenant -t", ARG_VALUE, 0},
                            {"--allow-no-subscriptions", ARG_FLAG, 0},
                            {NULL, 0, 0}};
    cli_val v[NARGS];
    int rc = cli_args("login", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    /* Use the given credential, and only it, from here on. */
    replace(&ctx->client_id, v[USER].value);
    replace(&ctx->client_secret, v[PASSWORD].value);
    replace(&ctx->login_tenant, v[TENANT].set ? v[TENANT].value
                                              : ctx->tenant_id);
    free(ctx->arm_token);
    ctx->arm_token = NULL;
    if (!ctx->client_id || !ctx->client_secret || !ctx->login_tenant)
        return cli_error("out of memory");
    mident_error err;
    if (cli_arm_token(ctx, &err) < 0)
        return cli_error("%s", err.message);
    cJSON *subs = NULL;
    if (armc_list(ctx, "/subscriptions?api-version=2022-12-01", &subs))
        return 1;
    if (!subs->child && !v[ALLOW].set) {
        cJSON_Delete(subs);
        return cli_error("No subscriptions found for %s.", ctx->client_id);
    }
    cJSON *out = subs->child ? accounts(ctx, subs) : tenant_account(ctx);
    cJSON_Delete(subs);
    rc = save_profile(ctx);
    if (rc == 0)
        armc_print(ctx, out);
    cJSON_Delete(out);
    return rc;
}

int cmd_logout(cli_ctx *ctx, int argc, char **argv)
{
    (void)argv;
    if (argc > 0)
        return cli_usage("logout", "");
    char path[4096];
    profile_path(ctx, path, sizeof path);
    if (unlink(path) < 0) {
        if (errno == ENOENT)
            return cli_error("There are no active accounts.");
        return cli_error("cannot remove %s: %s", path, strerror(errno));
    }
    return 0;
}
