/*
 * account.c -- `mident account ...`: the signed-in account and its tokens.
 *
 *   mident account get-access-token [--resource R]   like az: prints
 *       {accessToken, expiresOn, expires_on, subscription, tenant, tokenType}
 *       R defaults to https://management.core.windows.net/
 *   mident account show                              the subscription
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "core/json.h"

static int get_access_token(cli_ctx *ctx, int argc, char **argv)
{
    const char *resource = cli_opt(argc, argv, "--resource", NULL, NULL);
    const char *scope = cli_opt(argc, argv, "--scope", NULL, NULL);
    char buf[1024];
    if (!resource && scope) { /* az accepts --scope R/.default */
        snprintf(buf, sizeof buf, "%s", scope);
        char *d = strstr(buf, "/.default");
        if (d && d[9] == '\0')
            *d = '\0';
        resource = buf;
    }
    if (!resource)
        resource = "https://management.core.windows.net/";
    mident_error err;
    cJSON *tok = NULL;
    if (cli_get_token(ctx, resource, &tok, &err) < 0)
        return cli_error("%s", err.message);
    long long exp = (long long)json_get_int64(tok, "expires_on", 0);
    const char *eo = json_get_str(tok, "expires_on");
    if (eo)
        exp = atoll(eo);
    char when[64];
    time_t t = (time_t)exp;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S.000000", &tm);
    cJSON *out = cJSON_CreateObject();
    json_set_str(out, "accessToken", json_get_str(tok, "access_token"));
    json_set_str(out, "expiresOn", when);
    json_set_int64(out, "expires_on", exp);
    json_set_str(out, "subscription", ctx->subscription_id);
    json_set_str(out, "tenant", ctx->tenant_id);
    json_set_str(out, "tokenType", "Bearer");
    cli_print(ctx, out);
    cJSON_Delete(out);
    cJSON_Delete(tok);
    return 0;
}

static int show(cli_ctx *ctx)
{
    cJSON *out = cJSON_CreateObject(), *user = cJSON_CreateObject();
    json_set_str(out, "environmentName", "mident");
    json_set_str(out, "id", ctx->subscription_id);
    json_set(out, "isDefault", cJSON_CreateTrue());
    json_set_str(out, "name", "mident subscription");
    json_set_str(out, "state", "Enabled");
    json_set_str(out, "tenantId", ctx->tenant_id);
    json_set_str(user, "name", ctx->client_id);
    json_set_str(user, "type", "servicePrincipal");
    json_set(out, "user", user);
    cli_print(ctx, out);
    cJSON_Delete(out);
    return 0;
}

int cmd_account(cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 1)
        return cli_usage("account", "get-access-token [--resource R] | show");
    if (strcmp(argv[0], "get-access-token") == 0)
        return get_access_token(ctx, argc - 1, argv + 1);
    if (strcmp(argv[0], "show") == 0)
        return show(ctx);
    return cli_usage("account", "get-access-token [--resource R] | show");
}
