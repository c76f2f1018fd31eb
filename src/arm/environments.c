/*
 * environments.c -- Microsoft.App/managedEnvironments: the environment a
 * container app runs in. Enough for apps to reference one: create, get,
 * update (tags and configuration), delete (refused while apps use it),
 * list by group and subscription.
 *
 * mident runs apps on the nodes of its agents, so an environment holds no
 * infrastructure: its document keeps what the client sent, plus the
 * read-only properties ARM shows (provisioningState, defaultDomain,
 * staticIp), which stay fixed once created.
 */
#include <stdio.h>
#include <string.h>

#include "arm/arm_int.h"
#include "core/json.h"

static int env_name(const char *name, mident_error *err)
{
    return arm_name_check_dns(name, 2, 60, err);
}

static const char *const readonly_props[] = {
    "provisioningState", "defaultDomain", "staticIp", "deploymentErrors",
    "eventStreamEndpoint", NULL};

static int env_apply(arm_call *c, arm_write *w)
{
    cJSON *props = json_get_ci(w->doc, "properties");
    if (props && !cJSON_IsObject(props) && !cJSON_IsNull(props))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "'properties' must be an object.");
    if (!cJSON_IsObject(props)) {
        if (props)
            cJSON_Delete(cJSON_DetachItemViaPointer(w->doc, props));
        props = cJSON_AddObjectToObject(w->doc, "properties");
        if (!props)
            return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    }
    for (const char *const *k = readonly_props; *k; k++) {
        cJSON *v;
        while ((v = json_get_ci(props, *k)) != NULL)
            cJSON_Delete(cJSON_DetachItemViaPointer(props, v));
    }
    const cJSON *curprops = w->cur ? json_get_ci(w->cur, "properties") : NULL;
    const char *domain = json_get_str(curprops, "defaultDomain");
    char made[256];
    if (!domain) {
        snprintf(made, sizeof made, "%s.%s.mident.local", w->name, w->location);
        domain = made;
    }
    if (!cJSON_AddStringToObject(props, "provisioningState", "Succeeded") ||
        !cJSON_AddStringToObject(props, "defaultDomain", domain) ||
        !cJSON_AddStringToObject(props, "staticIp", "127.0.0.1"))
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    return 0;
}

/* An environment in use by an app cannot be deleted on its own. */
static int env_can_delete(arm_call *c, const char *id, const cJSON *doc)
{
    (void)doc;
    store_resources l = {0};
    buf scope;
    buf_init(&scope);
    arm_id_subscription(&scope, c->a->sub);
    int rc = store_resource_list(c->a->store, scope.data,
                                 arm_kind_app.full_type, &l, &c->err);
    buf_free(&scope);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        mident_error e;
        cJSON *app = json_parse(l.items[i].body, strlen(l.items[i].body), &e);
        const char *env = json_get_str(json_get_ci(app, "properties"),
                                       "environmentId");
        if (env && arm_ieq(env, id))
            rc = arm_fail(c, MIDENT_ECONFLICT, "ManagedEnvironmentHasContainerApps",
                          "The environment '%.300s' is used by container app "
                          "'%.300s'; delete the app first.", id, l.items[i].id);
        cJSON_Delete(app);
    }
    store_resource_list_free(&l);
    return rc;
}

const arm_kind arm_kind_env = {
    .ns = "Microsoft.App",
    .type = "managedEnvironments",
    .full_type = "Microsoft.App/managedEnvironments",
    .tracked = 1,
    .check_name = env_name,
    .apply = env_apply,
    .can_delete = env_can_delete,
    .async_create = 1,
    .op_type = "managedEnvironmentOperationStatuses",
};
