/*
 * role.c -- `mident role ...`: role-based access control, like `az role`.
 *
 *   role assignment create --assignee ID --role NAME|ID
 *                          [--scope S | -g RG] [--description D]
 *   role assignment list [--assignee ID] [--role NAME|ID]
 *                        [--scope S | -g RG] [--all] [--include-inherited]
 *   role assignment delete --ids ID ... |
 *                          [--assignee ID] [--role NAME|ID] [--scope S | -g RG]
 *   role definition list [--name NAME|ID] [--scope S]
 *
 * --assignee is a principal's object id or its client (app) id. mident
 * serves no Microsoft Graph, so a client id is resolved in the data
 * directory's directory (as `mident ad` does); --assignee-object-id skips
 * the lookup. Assignments are named by a new GUID and are made for
 * principalType ServicePrincipal (managed identities and applications
 * both are). The scope defaults to the subscription.
 *
 * `list` keeps az's defaults: assignments at exactly the scope; --all adds
 * those below it (the whole subscription without --scope);
 * --include-inherited adds those above. Output is az's flattened shape
 * (properties lifted, resourceGroup, roleDefinitionName added).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "armcmd.h"
#include "commands.h"
#include "core/form.h"
#include "core/fsutil.h"
#include "core/json.h"
#include "core/rand.h"
#include "store/store.h"

#define RA_PROVIDER "/providers/Microsoft.Authorization/roleAssignments"
#define RD_PROVIDER "/providers/Microsoft.Authorization/roleDefinitions"

static const char *const usage =
    "assignment create --assignee ID --role NAME|ID [--scope S | -g RG] | "
    "assignment list [--assignee ID] [--role NAME|ID] [--scope S | -g RG] "
    "[--all] [--include-inherited] | "
    "assignment delete --ids ID ... | [--assignee ID] [--role NAME|ID] "
    "[--scope S | -g RG] | definition list [--name NAME|ID] [--scope S]";

/* The scope from --scope, -g or the subscription. */
static int scope_of(cli_ctx *ctx, const cli_val *scope, const cli_val *rg,
                    char *out, size_t n)
{
    if (scope->set) {
        if (scope->value[0] != '/' || strpbrk(scope->value, "?#% "))
            return cli_error("'%s' is not a valid scope", scope->value);
        snprintf(out, n, "%s", scope->value);
        size_t l = strlen(out);
        while (l > 1 && out[l - 1] == '/')
            out[--l] = '\0';
        return 0;
    }
    if (rg->set)
        return armc_group_id(ctx, rg->value, out, n);
    snprintf(out, n, "/subscriptions/%s", ctx->subscription_id);
    return 0;
}

/* An object id or client id -> the principal's object id. */
static int resolve_assignee(cli_ctx *ctx, const char *who, char *oid,
                            size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mident.db", ctx->data_dir);
    if (!uuid_valid(who))
        return cli_error("Cannot find user or service principal in graph "
                         "database for '%s'.", who);
    snprintf(oid, n, "%s", who);
    if (!fs_exists(path)) /* not the server's directory: take it as is */
        return 0;
    mident_error err;
    mid_store *st = store_open(path, &err);
    if (!st)
        return cli_error("%s", err.message);
    store_principal p;
    int rc = 0;
    if (store_principal_get(st, who, &p, NULL) == 0)
        snprintf(oid, n, "%s", p.object_id);
    else if (store_principal_get_by_app(st, who, &p, NULL) == 0)
        snprintf(oid, n, "%s", p.object_id);
    else
        rc = cli_error("Cannot find user or service principal in graph "
                       "database for '%s'.", who);
    store_close(st);
    return rc;
}

/* The GUID at the end of a role definition id. */
static const char *guid_of(const char *id)
{
    const char *s = id ? strrchr(id, '/') : NULL;
    return s ? s + 1 : id ? id : "";
}

/* {guid: roleName} of every role definition, for roleDefinitionName. */
static cJSON *role_names(cli_ctx *ctx)
{
    char path[256];
    snprintf(path, sizeof path, "/subscriptions/%s" RD_PROVIDER,
             ctx->subscription_id);
    cJSON *defs = NULL, *names = cJSON_CreateObject();
    if (armc_list(ctx, path, &defs) == 0)
        for (const cJSON *d = defs->child; d; d = d->next)
            json_set_str(names, guid_of(json_get_str(d, "id")),
                         json_get_str(json_get_obj(d, "properties"),
                                      "roleName"));
    cJSON_Delete(defs);
    return names;
}

static cJSON *flatten_assignment(const cJSON *ra, const cJSON *names)
{
    cJSON *f = armc_flatten(ra, NULL);
    const char *def = json_get_str(json_get_obj(ra, "properties"),
                                   "roleDefinitionId");
    const cJSON *n = names ? cJSON_GetObjectItem(names, guid_of(def)) : NULL;
    if (cJSON_IsString(n))
        json_set_str(f, "roleDefinitionName", n->valuestring);
    return f;
}

static int create(cli_ctx *ctx, int argc, char **argv)
{
    enum { ASSIGNEE, OID, PTYPE, ROLE, SCOPE, RG, DESC, NARGS };
    const cli_arg spec[] = {{"--assignee", ARG_VALUE, 0},
                            {"--assignee-object-id", ARG_VALUE, 0},
                            {"--assignee-principal-type", ARG_VALUE, 0},
                            {"--role", ARG_VALUE, 1},
                            {"--scope", ARG_VALUE, 0},
                            {"--resource-group -g", ARG_VALUE, 0},
                            {"--description", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[NARGS];
    int rc = cli_args("role", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    if (!v[ASSIGNEE].set == !v[OID].set) {
        fputs("ERROR: give one of --assignee, --assignee-object-id\n", stderr);
        return cli_usage("role", usage);
    }
    char scope[ARM_ID_MAX], oid[64], def[ARM_ID_MAX], name[UUID_STR_LEN];
    if (scope_of(ctx, &v[SCOPE], &v[RG], scope, sizeof scope))
        return 1;
    if (v[OID].set) {
        if (!uuid_valid(v[OID].value))
            return cli_error("'%s' is not an object id", v[OID].value);
        snprintf(oid, sizeof oid, "%s", v[OID].value);
    } else if (resolve_assignee(ctx, v[ASSIGNEE].value, oid, sizeof oid)) {
        return 1;
    }
    if (armc_role_definition_id(ctx, v[ROLE].value, def, sizeof def))
        return 1;
    mident_error err;
    if (uuid_v4(name, &err) < 0)
        return cli_error("%s", err.message);
    char path[ARM_ID_MAX + 128];
    snprintf(path, sizeof path, "%s" RA_PROVIDER "/%s", scope, name);
    cJSON *body = cJSON_CreateObject(), *props = cJSON_CreateObject();
    json_set_str(props, "roleDefinitionId", def);
    json_set_str(props, "principalId", oid);
    json_set_str(props, "principalType",
                 v[PTYPE].set ? v[PTYPE].value : "ServicePrincipal");
    if (v[DESC].set)
        json_set_str(props, "description", v[DESC].value);
    json_set(body, "properties", props);
    cJSON *resp = NULL;
    rc = armc_call(ctx, "PUT", path, body, 0, NULL, &resp);
    cJSON_Delete(body);
    if (rc == 0) {
        cJSON *f = armc_flatten(resp, NULL);
        armc_print(ctx, f);
        cJSON_Delete(f);
    }
    cJSON_Delete(resp);
    return rc;
}

/* What list and delete select. */
typedef struct {
    char scope[ARM_ID_MAX];
    char oid[64];     /* "" = anyone */
    char role[64];    /* role definition GUID, "" = any */
    int all;          /* and below the scope */
    int inherited;    /* and above it */
} selection;

static int select_args(cli_ctx *ctx, const cli_val *assignee,
                       const cli_val *role, const cli_val *scope,
                       const cli_val *rg, selection *s)
{
    memset(s, 0, sizeof *s);
    if (scope_of(ctx, scope, rg, s->scope, sizeof s->scope))
        return 1;
    if (assignee->set &&
        resolve_assignee(ctx, assignee->value, s->oid, sizeof s->oid))
        return 1;
    if (role->set) {
        char def[ARM_ID_MAX];
        if (armc_role_definition_id(ctx, role->value, def, sizeof def))
            return 1;
        snprintf(s->role, sizeof s->role, "%.63s", guid_of(def));
    }
    return 0;
}

/* 1 if scope a is b or above it ("/subscriptions/x" covers its groups). */
static int covers(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncasecmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* The assignments a selection names, as ARM documents. */
static int find(cli_ctx *ctx, const selection *s, cJSON **out)
{
    char filter[128];
    if (s->oid[0])
        snprintf(filter, sizeof filter, "principalId eq '%s'", s->oid);
    else
        snprintf(filter, sizeof filter, "%s", s->all ? "" : "atScope()");
    char *enc = url_encode(filter);
    char path[ARM_ID_MAX + 256];
    snprintf(path, sizeof path, "%s" RA_PROVIDER "%s%s", s->scope,
             filter[0] ? "?$filter=" : "", filter[0] && enc ? enc : "");
    free(enc);
    cJSON *all = NULL;
    if (armc_list(ctx, path, &all))
        return 1;
    for (cJSON *it = all->child; it;) {
        cJSON *next = it->next;
        const cJSON *p = json_get_obj(it, "properties");
        const char *sc = json_get_str(p, "scope");
        int keep = sc && (strcasecmp(sc, s->scope) == 0 ||
                          (s->all && covers(s->scope, sc)) ||
                          (s->inherited && covers(sc, s->scope)));
        if (keep && s->role[0])
            keep = strcasecmp(guid_of(json_get_str(p, "roleDefinitionId")),
                              s->role) == 0;
        if (!keep)
            cJSON_Delete(cJSON_DetachItemViaPointer(all, it));
        it = next;
    }
    *out = all;
    return 0;
}

static int list(cli_ctx *ctx, int argc, char **argv)
{
    enum { ASSIGNEE, ROLE, SCOPE, RG, ALL, INHERITED, NARGS };
    const cli_arg spec[] = {{"--assignee", ARG_VALUE, 0},
                            {"--role", ARG_VALUE, 0},
                            {"--scope", ARG_VALUE, 0},
                            {"--resource-group -g", ARG_VALUE, 0},
                            {"--all", ARG_FLAG, 0},
                            {"--include-inherited", ARG_FLAG, 0},
                            {NULL, 0, 0}};
    cli_val v[NARGS];
    int rc = cli_args("role", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    selection s;
    if (select_args(ctx, &v[ASSIGNEE], &v[ROLE], &v[SCOPE], &v[RG], &s))
        return 1;
    s.all = v[ALL].set;
    s.inherited = v[INHERITED].set;
    cJSON *found = NULL;
    if (find(ctx, &s, &found))
        return 1;
    cJSON *names = role_names(ctx), *out = cJSON_CreateArray();
    for (const cJSON *it = found->child; it; it = it->next)
        cJSON_AddItemToArray(out, flatten_assignment(it, names));
    armc_print(ctx, out);
    cJSON_Delete(out);
    cJSON_Delete(names);
    cJSON_Delete(found);
    return 0;
}

static int delete(cli_ctx *ctx, int argc, char **argv)
{
    enum { IDS, ASSIGNEE, ROLE, SCOPE, RG, NARGS };
    const cli_arg spec[] = {{"--ids", ARG_LIST, 0},
                            {"--assignee", ARG_VALUE, 0},
                            {"--role", ARG_VALUE, 0},
                            {"--scope", ARG_VALUE, 0},
                            {"--resource-group -g", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[NARGS];
    int rc = cli_args("role", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    if (v[IDS].set) {
        if (v[ASSIGNEE].set || v[ROLE].set || v[SCOPE].set || v[RG].set ||
            v[IDS].n == 0) {
            fputs("ERROR: --ids goes alone, with at least one id\n", stderr);
            return cli_usage("role", usage);
        }
        for (int i = 0; i < v[IDS].n; i++) {
            const char *id = v[IDS].list[i];
            if (id[0] != '/' || !strcasestr(id, RA_PROVIDER "/") ||
                strpbrk(id, "?#% "))
                return cli_error("'%s' is not a role assignment id", id);
            if (armc_call(ctx, "DELETE", id, NULL, 0, NULL, NULL))
                return 1;
        }
        return 0;
    }
    if (!v[ASSIGNEE].set && !v[ROLE].set) {
        fputs("ERROR: give --ids, or --assignee and/or --role\n", stderr);
        return cli_usage("role", usage);
    }
    selection s;
    cJSON *found = NULL;
    if (select_args(ctx, &v[ASSIGNEE], &v[ROLE], &v[SCOPE], &v[RG], &s) ||
        find(ctx, &s, &found))
        return 1;
    if (!found->child)
        rc = cli_error("No matched assignments were found to delete");
    for (const cJSON *it = found->child; it && rc == 0; it = it->next)
        rc = armc_call(ctx, "DELETE", json_get_str(it, "id"), NULL, 0, NULL,
                      NULL);
    cJSON_Delete(found);
    return rc;
}

static int definition_list(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--name --role", ARG_VALUE, 0},
                            {"--scope", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[2];
    int rc = cli_args("role", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    cli_val rg = {0};
    char scope[ARM_ID_MAX], path[ARM_ID_MAX + 1024];
    if (scope_of(ctx, &v[1], &rg, scope, sizeof scope))
        return 1;
    cJSON *all = NULL;
    if (v[0].set && uuid_valid(v[0].value)) {
        cJSON *one = NULL;
        snprintf(path, sizeof path, "%s" RD_PROVIDER "/%s", scope, v[0].value);
        if (armc_call(ctx, "GET", path, NULL, 0, NULL, &one))
            return 1;
        all = cJSON_CreateArray();
        cJSON_AddItemToArray(all, one);
    } else {
        if (v[0].set && strchr(v[0].value, '\''))
            return cli_error("Role '%s' doesn't exist.", v[0].value);
        char filter[512] = "";
        if (v[0].set) {
            char q[300];
            snprintf(q, sizeof q, "roleName eq '%s'", v[0].value);
            char *enc = url_encode(q);
            snprintf(filter, sizeof filter, "?$filter=%s", enc ? enc : "");
            free(enc);
        }
        snprintf(path, sizeof path, "%s" RD_PROVIDER "%s", scope, filter);
        if (armc_list(ctx, path, &all))
            return 1;
    }
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *it = all->child; it; it = it->next)
        cJSON_AddItemToArray(out, armc_flatten(it, "roleType"));
    armc_print(ctx, out);
    cJSON_Delete(out);
    cJSON_Delete(all);
    return 0;
}

int cmd_role(cli_ctx *ctx, int argc, char **argv)
{
    const char *a = argc > 0 ? argv[0] : "", *b = argc > 1 ? argv[1] : "";
    if (strcmp(a, "assignment") == 0 && strcmp(b, "create") == 0)
        return create(ctx, argc - 2, argv + 2);
    if (strcmp(a, "assignment") == 0 && strcmp(b, "list") == 0)
        return list(ctx, argc - 2, argv + 2);
    if (strcmp(a, "assignment") == 0 && strcmp(b, "delete") == 0)
        return delete(ctx, argc - 2, argv + 2);
    if (strcmp(a, "definition") == 0 && strcmp(b, "list") == 0)
        return definition_list(ctx, argc - 2, argv + 2);
    return cli_usage("role", usage);
}
