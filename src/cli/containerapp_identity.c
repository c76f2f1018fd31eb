/*
 * containerapp_identity.c -- `mident containerapp identity ...`: a
 * container app's managed identities, like `az containerapp identity`.
 *
 *   assign -n APP -g RG [--system-assigned] [--user-assigned NAME|ID ...]
 *                       [--identities [system] NAME|ID ...]
 *       no identity option at all means the system-assigned identity (the
 *       older az extension's default);
 *   remove -n APP -g RG [--system-assigned] [--user-assigned [NAME|ID ...]]
 *                       [--identities [system],NAME|ID ...]
 *       --user-assigned without values removes every user-assigned one;
 *   show -n APP -g RG
 *
 * Identities are listed space- or comma-separated; `[system]` means the
 * system-assigned identity; a bare name means the user-assigned identity
 * of that name in the app's resource group (az's rule, no lookup); ids
 * compare case-insensitively.
 *
 * Wire sequence, as az: GET the app (+ POST listSecrets when it has
 * secrets), change `identity` (type None/SystemAssigned/UserAssigned/
 * SystemAssigned,UserAssigned follows what is left; an emptied
 * userAssignedIdentities is sent as null), PUT the whole app, poll the
 * Azure-AsyncOperation on 201, print the resulting `identity` block.
 * Removing an identity the app does not have is an error, as in az.
 *
 * `mident identity assign|remove` (identity.c) lands here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armcmd.h"
#include "commands.h"
#include "containerapp.h"
#include "core/json.h"

static const char *const usage =
    "assign -n APP -g RG [--system-assigned] [--user-assigned ID ...] "
    "[--identities [system] NAME|ID ...] | "
    "remove -n APP -g RG [--system-assigned] [--user-assigned [ID ...]] "
    "[--identities [system],NAME|ID ...] | show -n APP -g RG";

enum { NAME, RG, IDENTITIES, SYS, UA, NOWAIT, NARGS };

static const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                               {"--resource-group -g", ARG_VALUE, 1},
                               {"--identities", ARG_LIST, 0},
                               {"--system-assigned", ARG_FLAG, 0},
                               {"--user-assigned", ARG_LIST, 0},
                               {"--no-wait", ARG_FLAG, 0},
                               {NULL, 0, 0}};

/* What the command line asks for. */
typedef struct {
    int sys;     /* the system-assigned identity */
    int ua_all;  /* every user-assigned one (remove --user-assigned) */
    int n;       /* user-assigned ids */
    char (*ids)[ARM_ID_MAX];
} wanted;

/* Adds the identities in words (comma- or space-separated) to w. */
static int collect(cli_ctx *ctx, const char *rg, const cli_val *v, wanted *w)
{
    for (int i = 0; i < v->n; i++) {
        char *copy = strdup(v->list[i]), *save = NULL;
        if (!copy)
            return cli_error("out of memory");
        for (char *t = strtok_r(copy, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t l = strlen(t);
            while (l > 0 && t[l - 1] == ' ')
                t[--l] = '\0';
            if (!*t)
                continue;
            if (strcasecmp(t, "[system]") == 0) {
                w->sys = 1;
                continue;
            }
            void *grown = realloc(w->ids, sizeof *w->ids * (size_t)(w->n + 1));
            if (!grown) {
                free(copy);
                return cli_error("out of memory");
            }
            w->ids = grown;
            if (armc_resource_id(ctx, rg, UAMI_TYPE, t, w->ids[w->n],
                                sizeof w->ids[0])) {
                free(copy);
                return 1;
            }
            w->n++;
        }
        free(copy);
    }
    return 0;
}

/* The key of map equal to id (case-insensitively), or NULL. */
static cJSON *find_id(cJSON *map, const char *id)
{
    for (cJSON *c = cJSON_IsObject(map) ? map->child : NULL; c; c = c->next)
        if (armc_id_equal(c->string, id))
            return c;
    return NULL;
}

static const char *type_of(int sys, int ua)
{
    return sys && ua ? "SystemAssigned,UserAssigned"
           : sys     ? "SystemAssigned"
           : ua      ? "UserAssigned"
                     : "None";
}

/* app["identity"], created as {"type":"None"} when absent; sys and ua say
 * what its type holds. */
static cJSON *identity_of(cJSON *app, int *sys, int *ua)
{
    cJSON *ident = cJSON_GetObjectItemCaseSensitive(app, "identity");
    if (!cJSON_IsObject(ident)) {
        ident = cJSON_CreateObject();
        json_set_str(ident, "type", "None");
        json_set(app, "identity", ident);
    }
    const char *t = json_get_str(ident, "type");
    *sys = t && strcasestr(t, "SystemAssigned") != NULL;
    *ua = t && strcasestr(t, "UserAssigned") != NULL;
    return ident;
}

static void apply_assign(cJSON *ident, int has_sys, const wanted *w)
{
    if (w->sys && has_sys)
        fprintf(stderr, "WARNING: System identity is already assigned to "
                "containerapp\n");
    cJSON *map = cJSON_GetObjectItemCaseSensitive(ident,
                                                  "userAssignedIdentities");
    if (!cJSON_IsObject(map)) {
        map = cJSON_CreateObject();
        json_set(ident, "userAssignedIdentities", map);
    }
    for (int i = 0; i < w->n; i++) {
        if (find_id(map, w->ids[i])) {
            fprintf(stderr, "WARNING: User identity %s is already assigned to "
                    "containerapp\n", w->ids[i]);
            continue;
        }
        json_set(map, w->ids[i], cJSON_CreateObject());
    }
    int ua = map->child != NULL;
    if (!ua)
        json_set(ident, "userAssignedIdentities", cJSON_CreateNull());
    json_set_str(ident, "type", type_of(has_sys || w->sys, ua));
}

static int apply_remove(const char *app_name, cJSON *ident, int has_sys,
                        int has_ua, const wanted *w)
{
    if (!has_sys && !has_ua)
        return cli_error("The containerapp '%s' has no system or user assigned "
                         "identities.", app_name);
    if (w->sys && !has_sys)
        return cli_error("The containerapp '%s' does not have system identity "
                         "assigned.", app_name);
    cJSON *map = cJSON_GetObjectItemCaseSensitive(ident,
                                                  "userAssignedIdentities");
    if (w->ua_all && (!has_ua || !cJSON_IsObject(map) || !map->child))
        return cli_error("The containerapp '%s' does not have any user "
                         "assigned identities.", app_name);
    for (int i = 0; i < w->n; i++) {
        cJSON *key = has_ua ? find_id(map, w->ids[i]) : NULL;
        if (!key)
            return cli_error("The containerapp '%s' does not have specified "
                             "user identity '%s' assigned, so it cannot be "
                             "removed.", app_name, w->ids[i]);
        cJSON_Delete(cJSON_DetachItemViaPointer(map, key));
    }
    if (w->ua_all && cJSON_IsObject(map))
        while (map->child)
            cJSON_Delete(cJSON_DetachItemViaPointer(map, map->child));
    int ua = has_ua && cJSON_IsObject(map) && map->child;
    if (!ua)
        json_set(ident, "userAssignedIdentities", cJSON_CreateNull());
    json_set_str(ident, "type", type_of(has_sys && !w->sys, ua));
    return 0;
}

static void print_identity(const cli_ctx *ctx, const cJSON *app)
{
    const cJSON *ident = json_get_obj(app, "identity");
    cJSON *out = ident ? cJSON_Duplicate(ident, 1) : cJSON_CreateObject();
    if (!ident)
        json_set_str(out, "type", "None");
    armc_print(ctx, out);
    cJSON_Delete(out);
}

static int change(cli_ctx *ctx, int argc, char **argv, int assign)
{
    cli_val v[NARGS];
    int rc = cli_args("containerapp identity", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    const char *name = v[NAME].value, *rg = v[RG].value;
    wanted w = {0};
    w.sys = v[SYS].set;
    w.ua_all = !assign && v[UA].set && v[UA].n == 0;
    if (collect(ctx, rg, &v[IDENTITIES], &w) ||
        collect(ctx, rg, &v[UA], &w)) {
        free(w.ids);
        return 1;
    }
    if (!w.sys && !w.ua_all && w.n == 0) {
        if (!assign || v[IDENTITIES].set || v[UA].set) {
            free(w.ids);
            fputs("ERROR: name the identities: --system-assigned, "
                  "--user-assigned ID ... or --identities [system] ID ...\n",
                  stderr);
            return cli_usage("containerapp identity", usage);
        }
        w.sys = 1; /* assign with no option: the system-assigned identity */
    }
    char id[ARM_ID_MAX];
    cJSON *app = NULL;
    if (app_get_for_write(ctx, rg, name, id, sizeof id, &app)) {
        free(w.ids);
        return 1;
    }
    int has_sys, has_ua;
    cJSON *ident = identity_of(app, &has_sys, &has_ua);
    rc = 0;
    if (assign)
        apply_assign(ident, has_sys, &w);
    else
        rc = apply_remove(name, ident, has_sys, has_ua, &w);
    free(w.ids);
    cJSON *resp = NULL;
    if (rc == 0)
        rc = armc_call(ctx, "PUT", id, app, v[NOWAIT].set ? ARM_NO_WAIT : 0,
                      NULL, &resp);
    if (rc == 0)
        print_identity(ctx, resp);
    cJSON_Delete(resp);
    cJSON_Delete(app);
    return rc;
}

static int show(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg show_spec[] = {{"--name -n", ARG_VALUE, 1},
                                 {"--resource-group -g", ARG_VALUE, 1},
                                 {NULL, 0, 0}};
    cli_val v[2];
    int rc = cli_args("containerapp identity", usage, argc, argv, show_spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX];
    cJSON *app = NULL;
    if (armc_resource_id(ctx, v[1].value, APP_TYPE, v[0].value, id, sizeof id) ||
        armc_call(ctx, "GET", id, NULL, 0, NULL, &app))
        return 1;
    print_identity(ctx, app);
    cJSON_Delete(app);
    return 0;
}

int cmd_containerapp_identity(cli_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "assign") == 0)
        return change(ctx, argc - 1, argv + 1, 1);
    if (strcmp(sub, "remove") == 0)
        return change(ctx, argc - 1, argv + 1, 0);
    if (strcmp(sub, "show") == 0)
        return show(ctx, argc - 1, argv + 1);
    return cli_usage("containerapp identity", usage);
}
