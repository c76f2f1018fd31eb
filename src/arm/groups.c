/*
 * groups.c -- resource groups (Microsoft.Resources/resourceGroups):
 * PUT, GET, HEAD, PATCH, DELETE and list.
 *
 * A group holds resources; deleting it deletes everything in it, the
 * principals of the identities in it included, in one transaction, and
 * answers as a long-running operation (202 + Location that polls to 200).
 * Its location is fixed at creation; tags and managedBy may change.
 */
#include <string.h>

#include "arm/arm_int.h"
#include "core/json.h"

static int group_name(const char *name, mident_error *err)
{
    return arm_name_check_group(name, err);
}

static int group_apply(arm_call *c, arm_write *w)
{
    cJSON *mb = json_get_ci(w->doc, "managedBy");
    if (mb && !cJSON_IsString(mb) && !cJSON_IsNull(mb))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "'managedBy' must be a string.");
    /* Only managedBy and properties are the caller's; the rest of the
     * body is ignored, as ARM does. */
    cJSON *keep_mb = mb && cJSON_IsString(mb)
                         ? cJSON_DetachItemViaPointer(w->doc, mb)
                         : NULL;
    while (w->doc->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(w->doc, w->doc->child));
    if (keep_mb)
        cJSON_AddItemToObject(w->doc, "managedBy", keep_mb);
    cJSON *props = cJSON_AddObjectToObject(w->doc, "properties");
    if (!props || !cJSON_AddStringToObject(props, "provisioningState", "Succeeded"))
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    return 0;
}

const arm_kind arm_kind_group = {
    .ns = "Microsoft.Resources",
    .type = "resourceGroups",
    .full_type = "Microsoft.Resources/resourceGroups",
    .tracked = 1,
    .check_name = group_name,
    .apply = group_apply,
};

int arm_groups(arm_call *c)
{
    if (strcmp(c->req->method, "GET") != 0)
        return arm_bad_method(c);
    buf scope;
    buf_init(&scope);
    arm_id_subscription(&scope, c->a->sub);
    int rc = arm_res_list(c, &arm_kind_group, scope.data, NULL, NULL);
    buf_free(&scope);
    return rc;
}

int arm_group(arm_call *c)
{
    const char *m = c->req->method;
    const char *rg = c->path.rg;
    buf id;
    buf_init(&id);
    arm_id_group(&id, c->a->sub, rg);
    int rc;
    const char *verb = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ? "read"
                       : strcmp(m, "DELETE") == 0                      ? "delete"
                                                                       : "write";
    char action[128];
    arm_kind_action(&arm_kind_group, verb, action, sizeof action);
    if (arm_authorize(c, id.data, action) < 0) {
        buf_free(&id);
        return -1;
    }
    if (strcmp(m, "HEAD") == 0) {
        store_resource r = {0};
        rc = store_resource_get(c->a->store, id.data, &r, &c->err);
        if (rc == 0)
            http_res_text(c->res, 204, "application/json", "");
        else if (c->err.code == MIDENT_ENOTFOUND) {
            http_res_text(c->res, 404, "application/json", "");
            rc = 0;
        }
        store_resource_free(&r);
    } else if (strcmp(m, "GET") == 0) {
        rc = arm_require_group(c, c->a->sub, rg, NULL);
        if (rc == 0)
            rc = arm_res_get(c, &arm_kind_group, id.data);
    } else if (strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) {
        int patch = strcmp(m, "PATCH") == 0;
        if (patch && arm_require_group(c, c->a->sub, rg, NULL) < 0)
            rc = -1;
        else
            rc = arm_res_write(c, &arm_kind_group, id.data, rg, patch);
    } else if (strcmp(m, "DELETE") == 0) {
        rc = arm_res_delete(c, &arm_kind_group, id.data, 1);
    } else {
        rc = arm_bad_method(c);
    }
    buf_free(&id);
    return rc;
}
