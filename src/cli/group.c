/*
 * group.c -- `mident group ...`: resource groups, like `az group`.
 *
 *   group create -n NAME [-l LOCATION] [--tags k=v ...]
 *   group show -n NAME
 *   group list
 *   group exists -n NAME                      prints true or false
 *   group delete -n NAME [--yes] [--no-wait]  a long-running operation:
 *       waits until the group and everything in it are gone
 *
 * Prints the ARM resource group documents as az does. Without -l a new
 * group is created in "local" (az requires --location; an existing group
 * keeps its own).
 */
#include <stdio.h>
#include <string.h>

#include "armcmd.h"
#include "commands.h"
#include "core/json.h"

#define DEFAULT_LOCATION "local"

static const char *const usage =
    "create -n NAME [-l LOCATION] [--tags k=v ...] | show -n NAME | list | "
    "exists -n NAME | delete -n NAME [--yes] [--no-wait]";

static int create(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--name -n --resource-group -g", ARG_VALUE, 1},
                            {"--location -l", ARG_VALUE, 0},
                            {"--tags", ARG_LIST, 0},
                            {NULL, 0, 0}};
    cli_val v[3];
    int rc = cli_args("group", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX];
    if (armc_group_id(ctx, v[0].value, id, sizeof id))
        return 1;
    const char *loc = v[1].value;
    cJSON *cur = NULL;
    long status = 0;
    if (!loc && armc_call(ctx, "GET", id, NULL, ARM_ALLOW_404, &status, &cur))
        return 1;
    cJSON *body = cJSON_CreateObject();
    if (!loc)
        loc = status == 200 && json_get_str(cur, "location")
                  ? json_get_str(cur, "location") : DEFAULT_LOCATION;
    json_set_str(body, "location", loc);
    if (v[2].set)
        json_set(body, "tags", cli_tags(&v[2]));
    cJSON *resp = NULL;
    rc = armc_call(ctx, "PUT", id, body, 0, NULL, &resp);
    cJSON_Delete(body);
    cJSON_Delete(cur);
    if (rc == 0)
        armc_print(ctx, resp);
    cJSON_Delete(resp);
    return rc;
}

static int show(cli_ctx *ctx, int argc, char **argv, int exists)
{
    const cli_arg spec[] = {{"--name -n --resource-group -g", ARG_VALUE, 1},
                            {NULL, 0, 0}};
    cli_val v[1];
    int rc = cli_args("group", usage, argc,
                      argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX];
    if (armc_group_id(ctx, v[0].value, id, sizeof id))
        return 1;
    cJSON *resp = NULL;
    long status = 0;
    if (armc_call(ctx, "GET", id, NULL, exists ? ARM_ALLOW_404 : 0, &status,
                 &resp))
        return 1;
    if (exists) {
        cJSON *b = cJSON_CreateBool(status == 200);
        cli_print(ctx, b);
        cJSON_Delete(b);
    } else {
        armc_print(ctx, resp);
    }
    cJSON_Delete(resp);
    return 0;
}

static int list(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{NULL, 0, 0}};
    int rc = cli_args("group", usage, argc, argv, spec, NULL);
    if (rc)
        return rc;
    char path[256];
    snprintf(path, sizeof path, "/subscriptions/%s/resourcegroups",
             ctx->subscription_id);
    cJSON *all = NULL;
    if (armc_list(ctx, path, &all))
        return 1;
    armc_print(ctx, all);
    cJSON_Delete(all);
    return 0;
}

static int delete(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--name -n --resource-group -g", ARG_VALUE, 1},
                            {"--yes -y", ARG_FLAG, 0},
                            {"--no-wait", ARG_FLAG, 0},
                            {NULL, 0, 0}};
    cli_val v[3];
    int rc = cli_args("group", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX];
    if (armc_group_id(ctx, v[0].value, id, sizeof id) || cli_confirm(v[1].set))
        return 1;
    return armc_call(ctx, "DELETE", id, NULL, v[2].set ? ARM_NO_WAIT : 0,
                    NULL, NULL);
}

int cmd_group(cli_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "create") == 0)
        return create(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0)
        return show(ctx, argc - 1, argv + 1, 0);
    if (strcmp(sub, "exists") == 0)
        return show(ctx, argc - 1, argv + 1, 1);
    if (strcmp(sub, "list") == 0)
        return list(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "delete") == 0)
        return delete(ctx, argc - 1, argv + 1);
    return cli_usage("group", usage);
}
