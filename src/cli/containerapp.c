/*
 * containerapp.c -- `mident containerapp ...`: container apps, like
 * `az containerapp` (the `identity` subgroup is containerapp_identity.c).
 *
 *   containerapp create -n NAME -g RG --image IMG [--environment ENV]
 *       [--container-name C] [--command CMD ...] [--args A ...]
 *       [--env-vars K=V|K=secretref:SECRET ...] [--secrets NAME=VALUE ...]
 *       [--min-replicas N] [--max-replicas N] [--cpu C --memory M]
 *       [--ingress external|internal --target-port P]
 *       [--system-assigned] [--user-assigned NAME|ID ...] [--tags k=v ...]
 *   containerapp show -n NAME -g RG
 *   containerapp list [-g RG]
 *   containerapp update -n NAME -g RG [--container-name C] [--image IMG]
 *       [--command CMD ...] [--args A ...] [--set-env-vars|--env-vars K=V ...]
 *       [--remove-env-vars K ...] [--replace-env-vars K=V ...]
 *       [--min-replicas N] [--max-replicas N] [--tags k=v ...]
 *   containerapp delete -n NAME -g RG [--yes]
 *
 * Wire sequence, as az: create PUTs the whole app and, on 201, polls the
 * Azure-AsyncOperation URL until Succeeded, then GETs the app; update GETs
 * the app (and its secrets with listSecrets), changes it and PUTs it back.
 * Output is the ARM container app document (secret values never appear:
 * the API does not return them).
 *
 * Without --environment, the app goes into the group's environment
 * "mident-default-env", created (in the group's location) when missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "armcmd.h"
#include "commands.h"
#include "containerapp.h"
#include "core/json.h"

#define DEFAULT_ENV "mident-default-env"

static const char *const usage =
    "create -n NAME -g RG --image IMG [--environment ENV] [--command CMD ...] "
    "[--args A ...] [--env-vars K=V ...] [--secrets NAME=VALUE ...] "
    "[--min-replicas N] [--max-replicas N] [--system-assigned] "
    "[--user-assigned ID ...] | show -n NAME -g RG | list [-g RG] | "
    "update -n NAME -g RG [--image IMG] [--command ...] [--args ...] "
    "[--env-vars ...] [--min-replicas N] [--max-replicas N] | "
    "delete -n NAME -g RG [--yes] | identity assign|remove|show ...";

/* obj[key] as an object, created when missing (or not an object). */
static cJSON *obj_at(cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsObject(v))
        return v;
    v = cJSON_CreateObject();
    json_set(obj, key, v);
    return v;
}

static cJSON *strings(const cli_val *v)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < v->n; i++)
        if (v->list[i][0]) /* "" alone clears, as az documents */
            cJSON_AddItemToArray(a, cJSON_CreateString(v->list[i]));
    return a;
}

/* Sets or replaces (by name) env entries from K=V / K=secretref:S words. */
static int put_env(cJSON *env, const cli_val *v)
{
    for (int i = 0; i < v->n; i++) {
        const char *w = v->list[i];
        const char *eq = strchr(w, '=');
        if (!eq || eq == w)
            return cli_error("Environment variables must be in the format "
                             "\"<key>=<value> <key>=secretref:<value> ...\".");
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(eq - w), w);
        cJSON *e = cJSON_CreateObject();
        json_set_str(e, "name", name);
        if (strncmp(eq + 1, "secretref:", 10) == 0)
            json_set_str(e, "secretRef", eq + 11);
        else
            json_set_str(e, "value", eq + 1);
        int at = 0;
        cJSON *it = env->child;
        for (; it; it = it->next, at++)
            if (json_get_str(it, "name") &&
                strcmp(json_get_str(it, "name"), name) == 0)
                break;
        if (it)
            cJSON_ReplaceItemInArray(env, at, e);
        else
            cJSON_AddItemToArray(env, e);
    }
    return 0;
}

static void remove_env(cJSON *env, const cli_val *v)
{
    for (int i = 0; i < v->n; i++) {
        for (cJSON *it = env->child; it;) {
            cJSON *next = it->next;
            const char *n = json_get_str(it, "name");
            if (n && strcmp(n, v->list[i]) == 0)
                cJSON_Delete(cJSON_DetachItemViaPointer(env, it));
            it = next;
        }
    }
}

static int put_secrets(cJSON *config, const cli_val *v)
{
    cJSON *secrets = cJSON_CreateArray();
    json_set(config, "secrets", secrets);
    for (int i = 0; i < v->n; i++) {
        const char *w = v->list[i];
        const char *eq = strchr(w, '=');
        if (!eq || eq == w)
            return cli_error("Secrets must be in the format "
                             "\"<key>=<value> <key>=<value> ...\".");
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(eq - w), w);
        cJSON *s = cJSON_CreateObject();
        json_set_str(s, "name", name);
        json_set_str(s, "value", eq + 1);
        cJSON_AddItemToArray(secrets, s);
    }
    return 0;
}

/* --min-replicas / --max-replicas, checked before any request. */
typedef struct {
    const cli_val *min, *max;
    long nmin, nmax;
} scale_opts;

static int parse_scale(const cli_val *min, const cli_val *max, scale_opts *s)
{
    int rc = 0;
    s->min = min;
    s->max = max;
    if (min->set)
        rc = cli_int_arg("containerapp", "--min-replicas", min->value,
                         &s->nmin);
    if (rc == 0 && max->set)
        rc = cli_int_arg("containerapp", "--max-replicas", max->value,
                         &s->nmax);
    return rc;
}

static void put_scale(cJSON *tmpl, const scale_opts *s)
{
    if (s->min->set)
        json_set_int64(obj_at(tmpl, "scale"), "minReplicas", s->nmin);
    if (s->max->set)
        json_set_int64(obj_at(tmpl, "scale"), "maxReplicas", s->nmax);
}

/* The environment's id and location: --environment (name in rg, or id),
 * else the group's default environment, created when missing. */
static int environment(cli_ctx *ctx, const char *rg, const char *arg,
                       char *id, size_t n, char *loc, size_t ln)
{
    if (armc_resource_id(ctx, rg, ENV_TYPE, arg ? arg : DEFAULT_ENV, id, n))
        return 1;
    cJSON *env = NULL;
    long status = 0;
    if (armc_call(ctx, "GET", id, NULL, arg ? 0 : ARM_ALLOW_404, &status, &env))
        return 1;
    if (status == 404) {
        cJSON_Delete(env);
        env = NULL;
        char gloc[256];
        if (armc_group_location(ctx, rg, gloc, sizeof gloc))
            return 1;
        cJSON *body = cJSON_CreateObject();
        json_set_str(body, "location", gloc);
        json_set(body, "properties", cJSON_CreateObject());
        int rc = armc_call(ctx, "PUT", id, body, 0, NULL, &env);
        cJSON_Delete(body);
        if (rc)
            return rc;
    }
    const char *l = json_get_str(env, "location");
    snprintf(loc, ln, "%s", l ? l : "");
    const char *real = json_get_str(env, "id");
    if (real)
        snprintf(id, n, "%s", real);
    cJSON_Delete(env);
    return 0;
}

/* {type, userAssignedIdentities} from --system-assigned/--user-assigned. */
static int create_identity(cli_ctx *ctx, const char *rg, int sys,
                           const cli_val *ua, cJSON *app)
{
    if (!sys && !ua->set)
        return 0;
    cJSON *ident = cJSON_CreateObject();
    json_set(app, "identity", ident);
    int has_ua = ua->set && ua->n > 0;
    json_set_str(ident, "type", sys && has_ua ? "SystemAssigned,UserAssigned"
                                : sys ? "SystemAssigned"
                                : has_ua ? "UserAssigned" : "None");
    if (!has_ua)
        return 0;
    cJSON *map = obj_at(ident, "userAssignedIdentities");
    for (int i = 0; i < ua->n; i++) {
        char id[ARM_ID_MAX];
        if (armc_resource_id(ctx, rg, UAMI_TYPE, ua->list[i], id, sizeof id))
            return 1;
        json_set(map, id, cJSON_CreateObject());
    }
    return 0;
}

static int create(cli_ctx *ctx, int argc, char **argv)
{
    enum { NAME, RG, IMAGE, ENV, CNAME, COMMAND, ARGS, ENVVARS, SECRETS, MIN,
           MAX, CPU, MEM, INGRESS, PORT, SYS, UA, TAGS, NOWAIT, NARGS };
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 1},
                            {"--image -i", ARG_VALUE, 1},
                            {"--environment", ARG_VALUE, 0},
                            {"--container-name", ARG_VALUE, 0},
                            {"--command", ARG_LIST, 0},
                            {"--args", ARG_LIST, 0},
                            {"--env-vars", ARG_LIST, 0},
                            {"--secrets -s", ARG_LIST, 0},
                            {"--min-replicas", ARG_VALUE, 0},
                            {"--max-replicas", ARG_VALUE, 0},
                            {"--cpu", ARG_VALUE, 0},
                            {"--memory", ARG_VALUE, 0},
                            {"--ingress", ARG_VALUE, 0},
                            {"--target-port", ARG_VALUE, 0},
                            {"--system-assigned", ARG_FLAG, 0},
                            {"--user-assigned", ARG_LIST, 0},
                            {"--tags", ARG_LIST, 0},
                            {"--no-wait", ARG_FLAG, 0},
                            {NULL, 0, 0}};
    cli_val v[NARGS];
    int rc = cli_args("containerapp", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    if (v[INGRESS].set && strcmp(v[INGRESS].value, "external") != 0 &&
        strcmp(v[INGRESS].value, "internal") != 0) {
        fputs("ERROR: argument --ingress: invalid choice (external, internal)\n",
              stderr);
        return cli_usage("containerapp", usage);
    }
    scale_opts scale;
    long port = 80;
    if ((rc = parse_scale(&v[MIN], &v[MAX], &scale)) ||
        (v[PORT].set && (rc = cli_int_arg("containerapp", "--target-port",
                                          v[PORT].value, &port))))
        return rc;
    const char *rg = v[RG].value, *name = v[NAME].value;
    char id[ARM_ID_MAX], env[ARM_ID_MAX], loc[256];
    if (armc_resource_id(ctx, rg, APP_TYPE, name, id, sizeof id) ||
        environment(ctx, rg, v[ENV].value, env, sizeof env, loc, sizeof loc))
        return 1;

    cJSON *app = cJSON_CreateObject();
    json_set_str(app, "location", loc);
    if (v[TAGS].set)
        json_set(app, "tags", cli_tags(&v[TAGS]));
    cJSON *props = obj_at(app, "properties");
    json_set_str(props, "environmentId", env);
    cJSON *config = obj_at(props, "configuration");
    json_set_str(config, "activeRevisionsMode", "Single");
    cJSON *tmpl = obj_at(props, "template");
    cJSON *c = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(tmpl, "containers"), c);
    json_set_str(c, "name", v[CNAME].set ? v[CNAME].value : name);
    json_set_str(c, "image", v[IMAGE].value);
    if (v[COMMAND].set)
        json_set(c, "command", strings(&v[COMMAND]));
    if (v[ARGS].set)
        json_set(c, "args", strings(&v[ARGS]));
    if (v[CPU].set || v[MEM].set) {
        cJSON *res = obj_at(c, "resources");
        if (v[CPU].set)
            json_set(res, "cpu", cJSON_CreateNumber(atof(v[CPU].value)));
        if (v[MEM].set)
            json_set_str(res, "memory", v[MEM].value);
    }
    rc = 0;
    if (v[ENVVARS].set)
        rc = put_env(cJSON_AddArrayToObject(c, "env"), &v[ENVVARS]);
    if (rc == 0 && v[SECRETS].set)
        rc = put_secrets(config, &v[SECRETS]);
    if (rc == 0 && v[INGRESS].set) {
        cJSON *ing = obj_at(config, "ingress");
        json_set(ing, "external",
                 cJSON_CreateBool(strcmp(v[INGRESS].value, "external") == 0));
        json_set_int64(ing, "targetPort", port);
        json_set_str(ing, "transport", "auto");
    }
    put_scale(tmpl, &scale);
    if (rc == 0)
        rc = create_identity(ctx, rg, v[SYS].set, &v[UA], app);
    if (rc == 0) {
        cJSON *resp = NULL;
        rc = armc_call(ctx, "PUT", id, app, v[NOWAIT].set ? ARM_NO_WAIT : 0,
                      NULL, &resp);
        if (rc == 0)
            armc_print(ctx, resp);
        cJSON_Delete(resp);
    }
    cJSON_Delete(app);
    return rc;
}

int app_get_for_write(cli_ctx *ctx, const char *rg, const char *name,
                      char *id, size_t n, cJSON **app)
{
    *app = NULL;
    if (armc_resource_id(ctx, rg, APP_TYPE, name, id, n) ||
        armc_call(ctx, "GET", id, NULL, 0, NULL, app))
        return 1;
    cJSON *config = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(*app, "properties"), "configuration");
    const cJSON *secrets = json_get_arr(config, "secrets");
    if (!secrets || !secrets->child)
        return 0;
    char path[ARM_ID_MAX + 32];
    snprintf(path, sizeof path, "%s/listSecrets", id);
    cJSON *resp = NULL;
    if (armc_call(ctx, "POST", path, NULL, 0, NULL, &resp)) {
        cJSON_Delete(*app);
        *app = NULL;
        return 1;
    }
    cJSON *value = cJSON_DetachItemFromObjectCaseSensitive(resp, "value");
    if (cJSON_IsArray(value))
        json_set(config, "secrets", value);
    else
        cJSON_Delete(value);
    cJSON_Delete(resp);
    return 0;
}

static int show_or_delete(cli_ctx *ctx, int argc, char **argv, int del)
{
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 1},
                            {"--yes -y", ARG_FLAG, 0},
                            {NULL, 0, 0}};
    cli_val v[3];
    int rc = cli_args("containerapp", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    char id[ARM_ID_MAX];
    if (armc_resource_id(ctx, v[1].value, APP_TYPE, v[0].value, id, sizeof id))
        return 1;
    if (del && cli_confirm(v[2].set))
        return 1;
    cJSON *resp = NULL;
    if (armc_call(ctx, del ? "DELETE" : "GET", id, NULL, 0, NULL, &resp))
        return 1;
    if (!del)
        armc_print(ctx, resp);
    cJSON_Delete(resp);
    return 0;
}

static int list(cli_ctx *ctx, int argc, char **argv)
{
    const cli_arg spec[] = {{"--resource-group -g", ARG_VALUE, 0},
                            {NULL, 0, 0}};
    cli_val v[1];
    int rc = cli_args("containerapp", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    cJSON *all = NULL;
    if (armc_list_type(ctx, v[0].set ? v[0].value : NULL, APP_TYPE, &all))
        return 1;
    armc_print(ctx, all);
    cJSON_Delete(all);
    return 0;
}

/* The container update changes: --container-name, else the first. */
static cJSON *pick_container(cJSON *app, const cli_val *cname)
{
    cJSON *props = cJSON_GetObjectItemCaseSensitive(app, "properties");
    cJSON *tmpl = obj_at(props ? props : obj_at(app, "properties"), "template");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(tmpl, "containers");
    for (cJSON *c = cJSON_IsArray(list) ? list->child : NULL; c; c = c->next) {
        const char *n = json_get_str(c, "name");
        if (!cname->set || (n && strcmp(n, cname->value) == 0))
            return c;
    }
    if (cname->set)
        cli_error("The container '%s' does not exist in the app.",
                  cname->value);
    else
        cli_error("The app has no container to update.");
    return NULL;
}

static int update(cli_ctx *ctx, int argc, char **argv)
{
    enum { NAME, RG, CNAME, IMAGE, COMMAND, ARGS, SETENV, REMOVEENV,
           REPLACEENV, MIN, MAX, TAGS, NOWAIT, NARGS };
    const cli_arg spec[] = {{"--name -n", ARG_VALUE, 1},
                            {"--resource-group -g", ARG_VALUE, 1},
                            {"--container-name", ARG_VALUE, 0},
                            {"--image -i", ARG_VALUE, 0},
                            {"--command", ARG_LIST, 0},
                            {"--args", ARG_LIST, 0},
                            {"--set-env-vars --env-vars", ARG_LIST, 0},
                            {"--remove-env-vars", ARG_LIST, 0},
                            {"--replace-env-vars", ARG_LIST, 0},
                            {"--min-replicas", ARG_VALUE, 0},
                            {"--max-replicas", ARG_VALUE, 0},
                            {"--tags", ARG_LIST, 0},
                            {"--no-wait", ARG_FLAG, 0},
                            {NULL, 0, 0}};
    cli_val v[NARGS];
    int rc = cli_args("containerapp", usage, argc, argv, spec, v);
    if (rc)
        return rc;
    scale_opts scale;
    if ((rc = parse_scale(&v[MIN], &v[MAX], &scale)))
        return rc;
    char id[ARM_ID_MAX];
    cJSON *app = NULL;
    if (app_get_for_write(ctx, v[RG].value, v[NAME].value, id, sizeof id, &app))
        return 1;
    cJSON *c = pick_container(app, &v[CNAME]);
    rc = c ? 0 : 1;
    if (rc == 0 && v[IMAGE].set)
        json_set_str(c, "image", v[IMAGE].value);
    if (rc == 0 && v[COMMAND].set)
        json_set(c, "command", strings(&v[COMMAND]));
    if (rc == 0 && v[ARGS].set)
        json_set(c, "args", strings(&v[ARGS]));
    if (rc == 0 && (v[SETENV].set || v[REMOVEENV].set || v[REPLACEENV].set)) {
        cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "env");
        if (!cJSON_IsArray(env) || v[REPLACEENV].set) {
            env = cJSON_CreateArray();
            json_set(c, "env", env);
        }
        rc = put_env(env, &v[REPLACEENV]);
        if (rc == 0)
            rc = put_env(env, &v[SETENV]);
        remove_env(env, &v[REMOVEENV]);
    }
    if (rc == 0)
        put_scale(obj_at(obj_at(app, "properties"), "template"), &scale);
    if (rc == 0 && v[TAGS].set)
        json_set(app, "tags", cli_tags(&v[TAGS]));
    if (rc == 0) {
        cJSON *resp = NULL;
        rc = armc_call(ctx, "PUT", id, app, v[NOWAIT].set ? ARM_NO_WAIT : 0,
                      NULL, &resp);
        if (rc == 0)
            armc_print(ctx, resp);
        cJSON_Delete(resp);
    }
    cJSON_Delete(app);
    return rc;
}

int cmd_containerapp(cli_ctx *ctx, int argc, char **argv)
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
    if (strcmp(sub, "update") == 0)
        return update(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "identity") == 0)
        return cmd_containerapp_identity(ctx, argc - 1, argv + 1);
    return cli_usage("containerapp", usage);
}
