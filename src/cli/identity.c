/*
 * identity.c -- `mident identity ...`: user-assigned managed identities,
 * like `az identity`.
 *
 *   identity create -n NAME -g RG [-l LOCATION] [--tags k=v ...]
 *   identity show -n NAME -g RG          (or --ids ID)
 *   identity list [-g RG]
 *   identity delete -n NAME -g RG        (or --ids ID)
 *
 * Output is az's flattened shape: {clientId, id, location, name,
 * principalId, resourceGroup, tags, tenantId, type, ...}. The location
 * defaults to the resource group's, as in az.
 *
 * The seed's spelling `mident identity assign|remove -n APP -g RG
 * --identities ...` is kept as an alias of `containerapp identity
 * assign|remove` (containerapp_identity.c): az's identity group has no
 * assign or remove, so the alias is unambiguous. `identity show` stays the
 * user-assigned identity's show.
 */
#include <stdio.h>
#include <string.h>

#include "armcmd.h"
#include "commands.h"
#include "core/json.h"

static const char *const usage =
    "create -n NAME -g RG [-l LOCATION] [--tags k=v ...] | "
    "show -n NAME -g RG | list [-g RG] | delete -n NAME -g RG | "
    "assign|remove -n APP -g RG --identities ... (= containerapp identity)";

static void print_flat(const cli_ctx *ctx, const cJSON *doc)
{
    cJSON *flat = armc_flatten(doc, NULL);
    armc_print(ctx, flat);
    cJSON_Delete(flat);
}

/* The identity named by -n/-g or --ids into id. */
static int target(cli_ctx *ctx, const cli_val *name, const cli_val *rg,
                  const cli_val *ids, char *id, size_t n)
{
    if (ids->set)
        return armc_resource_id(ctx, NULL, UAMI_TYPE, ids->value, id, n);
    if (!name->set || !rg->set) {
        fputs("ERROR: the following arguments are required: --name, "
              "--resource-group (or --ids)\n", stderr);
        return cli_usage("identity", usage);
    }
    return armc_resource_id(ctx, rg->value, UAMI_TYPE, name->value, id, n);
}

static int create(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 1},
                            {"--location -l", ARG_VALUE, 0},
                            {"--tags", ARG_LIST, 0},
                            {NULL, 0, 0}};
    cli_val v[4];
    int rc = cli_args("identity", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX], loc[256];
    if (armc_resource_id(ctx, v[1].value, UAMI_TYPE, v[0].value, id, sizeof id))
        return 1;
    if (v[2].set)
        snprintf(loc, sizeof loc, "%s", v[2].value);
    else if (armc_group_location(ctx, v[1].value, loc, sizeof loc))
        return 1;
    cJSON *body = cJSON_CreateObject();
    json_set_str(body, "location", loc);
    if (v[3].set)
        json_set(body, "tags", cli_tags(&v[3]));
    cJSON *resp = NULL;
    rc = armc_call(ctx, "PUT", id, body, 0, NULL, &resp);
    cJSON_Delete(body);
    if (rc == 0)
        print_flat(ctx, resp);
    cJSON_Delete(resp);
    return rc;
}

static int show_or_delete(cli_ctx *ctx, int argc, char **argv, int del)
{
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 0},
                            {"--resource-group -g", ARG_VALUE, 0},
                            {"--ids", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[3];
    int rc = cli_args("identity", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX];
    if ((rc = target(ctx, &v[0], &v[1], &v[2], id, sizeof id)) != 0)
        return rc;
    cJSON *resp = NULL;
    if (armc_call(ctx, del ? "DELETE" : "GET", id, NULL, 0, NULL, &resp))
        return 1;
    if (!del)
        print_flat(ctx, resp);
    cJSON_Delete(resp);
    return 0;
}

static int list(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--resource-group -g", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[1];
    int rc = cli_args("identity", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    cJSON *all = NULL;
    if (armc_list_type(ctx, v[0].set ? v[0].value : NULL, UAMI_TYPE, &all))
        return 1;
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *it = all->child; it; it = it->next)
        cJSON_AddItemToArray(out, armc_flatten(it, NULL));
    armc_print(ctx, out);
    cJSON_Delete(out);
    cJSON_Delete(all);
    return 0;
}

int cmd_identity(cli_ctx *ctx, int argc, char **argv)
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
    if (strcmp(sub, "assign") == 0 || strcmp(sub, "remove") == 0)
        return cmd_containerapp_identity(ctx, argc, argv);
    return cli_usage("identity", usage);
}
