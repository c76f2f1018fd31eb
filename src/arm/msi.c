/*
 * msi.c -- Microsoft.ManagedIdentity: user-assigned identities, the
 * identities/default view of a resource's system-assigned identity, and
 * the principal side of every `identity` block.
 *
 * A user-assigned identity is a tracked resource whose creation creates a
 * ManagedIdentity principal in the directory (tenantId, principalId,
 * clientId, fixed for the identity's life); deleting it deletes that
 * principal (resource.c does that for every delete), after which no token
 * can be minted for it.
 *
 * identity_apply() turns a planned identity block (identity.c) into
 * directory changes inside the write's transaction: new user-assigned
 * entries must exist and be assignable by the caller; a system identity
 * switched on gets a fresh principal, one switched off loses its
 * principal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm/arm_int.h"
#include "core/json.h"
#include "core/log.h"
#include "sts/directory.h"

#define ASSIGN_ACTION "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"

static int uami_name(const char *name, mident_error *err)
{
    return arm_name_check_generic(name, 128, err);
}

static int uami_apply(arm_call *c, arm_write *w)
{
    const cJSON *props = json_get_ci(w->doc, "properties");
    if (props && !cJSON_IsObject(props) && !cJSON_IsNull(props))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "'properties' must be an object.");
    const char *scope = "None";
    const cJSON *curprops = w->cur ? json_get_ci(w->cur, "properties") : NULL;
    const cJSON *curscope = json_get_ci(curprops, "isolationScope");
    if (cJSON_IsString(curscope))
        scope = curscope->valuestring;
    const cJSON *is = json_get_ci(props, "isolationScope");
    if (is && !cJSON_IsNull(is)) {
        if (!cJSON_IsString(is) || (strcasecmp(is->valuestring, "None") != 0 &&
                                    strcasecmp(is->valuestring, "Regional") != 0))
            return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                            "properties.isolationScope must be 'None' or "
                            "'Regional'.");
        scope = strcasecmp(is->valuestring, "None") == 0 ? "None" : "Regional";
    }
    char tenant[37], principal[37], client[37];
    if (w->cur) {
        const char *t = json_get_str(curprops, "tenantId");
        const char *p = json_get_str(curprops, "principalId");
        const char *cl = json_get_str(curprops, "clientId");
        if (!t || !p || !cl || strlen(t) > 36 || strlen(p) > 36 || strlen(cl) > 36)
            return arm_fail(c, MIDENT_EINTERNAL, NULL,
                            "stored identity %s lacks its principal", w->id);
        strcpy(tenant, t);
        strcpy(principal, p);
        strcpy(client, cl);
    } else {
        store_principal sp;
        if (directory_create_managed_identity(c->a->store, w->name, w->id, &sp,
                                              &c->err) < 0)
            return -1;
        snprintf(tenant, sizeof tenant, "%s", c->a->tenant_id);
        memcpy(principal, sp.object_id, sizeof principal);
        memcpy(client, sp.app_id, sizeof client);
        log_info("arm", "identity %s: principal %s created", w->id, principal);
    }
    /* The document is location/tags (envelope) plus these properties;
     * nothing else a client sends is kept. */
    while (w->doc->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(w->doc, w->doc->child));
    cJSON *np = cJSON_AddObjectToObject(w->doc, "properties");
    if (!np || !cJSON_AddStringToObject(np, "isolationScope", scope) ||
        !cJSON_AddStringToObject(np, "tenantId", tenant) ||
        !cJSON_AddStringToObject(np, "principalId", principal) ||
        !cJSON_AddStringToObject(np, "clientId", client))
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    return 0;
}

const arm_kind arm_kind_uami = {
    .ns = "Microsoft.ManagedIdentity",
    .type = "userAssignedIdentities",
    .full_type = "Microsoft.ManagedIdentity/userAssignedIdentities",
    .tracked = 1,
    .check_name = uami_name,
    .apply = uami_apply,
};

/* ---- identity blocks ------------------------------------------------- */

/* Resolves one newly attached user-assigned identity. */
static int resolve_ua(arm_call *c, identity_ua *u)
{
    arm_path p;
    if (arm_id_parse_typed(u->id, arm_kind_uami.full_type, &p, &c->err) < 0)
        return arm_fail_as(c, "InvalidUserAssignedIdentity");
    if (!arm_ieq(p.sub, c->a->sub))
        return arm_fail(c, MIDENT_EINVAL, "InvalidUserAssignedIdentity",
                        "The user-assigned identity '%.600s' is not in "
                        "subscription '%s'.", u->id, c->a->sub);
    store_resource r = {0};
    if (store_resource_get(c->a->store, u->id, &r, &c->err) < 0) {
        if (c->err.code != MIDENT_ENOTFOUND)
            return -1;
        return arm_fail(c, MIDENT_EINVAL, "InvalidUserAssignedIdentity",
                        "The user-assigned identity '%.600s' does not exist. "
                        "Create it first, or check the resource id.", u->id);
    }
    cJSON *doc = json_parse(r.body, strlen(r.body), &c->err);
    const cJSON *props = doc ? json_get_ci(doc, "properties") : NULL;
    const char *pid = json_get_str(props, "principalId");
    const char *cid = json_get_str(props, "clientId");
    int rc = 0;
    if (!pid || !cid || strlen(pid) > 36 || strlen(cid) > 36) {
        rc = arm_fail(c, MIDENT_EINTERNAL, NULL,
                      "stored identity %s lacks its principal", r.id);
    } else {
        strcpy(u->principal_id, pid);
        strcpy(u->client_id, cid);
        char *canon = strdup(r.id);
        if (!canon) {
            rc = arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
        } else {
            free(u->id);
            u->id = canon;
        }
    }
    cJSON_Delete(doc);
    store_resource_free(&r);
    if (rc < 0)
        return -1;
    int may = arm_may(c, u->id, ASSIGN_ACTION);
    if (may < 0)
        return -1;
    if (!may)
        return arm_fail(c, MIDENT_EFORBIDDEN, "LinkedAuthorizationFailed",
                        "The client '%s' with object id '%s' has permission "
                        "to write the resource but does not have permission "
                        "to perform action '%s' on the linked scope "
                        "'%.500s', or the linked scope is invalid.",
                        c->caller, c->caller, ASSIGN_ACTION, u->id);
    return 0;
}

int identity_apply(arm_call *c, const arm_identity *cur, arm_identity *want,
                   const char *owner_id, const char *owner_name)
{
    for (size_t i = 0; i < want->n_ua; i++)
        if (want->ua[i].is_new && resolve_ua(c, &want->ua[i]) < 0)
            return -1;
    if (want->system && !want->principal_id[0]) {
        store_principal sp;
        if (directory_create_managed_identity(c->a->store, owner_name, owner_id,
                                              &sp, &c->err) < 0)
            return -1;
        memcpy(want->principal_id, sp.object_id, sizeof want->principal_id);
        snprintf(want->tenant_id, sizeof want->tenant_id, "%s", c->a->tenant_id);
        log_info("arm", "%s: system identity principal %s created", owner_id,
                 want->principal_id);
    }
    if (cur->system && cur->principal_id[0] &&
        (!want->system || strcmp(cur->principal_id, want->principal_id) != 0)) {
        mident_error e;
        if (directory_delete_principal(c->a->store, cur->principal_id, &e) < 0 &&
            e.code != MIDENT_ENOTFOUND) {
            c->err = e;
            return -1;
        }
        log_info("arm", "%s: system identity principal %s deleted", owner_id,
                 cur->principal_id);
    }
    return 0;
}

/* ---- identities/default ------------------------------------------------ */

static int system_identity(arm_call *c)
{
    const arm_path *p = &c->path;
    if (strcmp(c->req->method, "GET") != 0)
        return arm_bad_method(c);
    if (!p->scope[0] || !arm_ieq(p->names[0], "default"))
        return arm_fail(c, MIDENT_EINVAL, "InvalidResourceId",
                        "Use {resourceId}/providers/Microsoft.ManagedIdentity/"
                        "identities/default.");
    if (arm_authorize(c, p->scope, "Microsoft.ManagedIdentity/identities/read") < 0)
        return -1;
    cJSON *owner = NULL;
    store_resource r = {0};
    if (arm_load(c, p->scope, "ResourceNotFound", &owner, &r) < 0)
        return -1;
    arm_identity idn;
    int rc = identity_from_json(json_get_ci(owner, "identity"), &idn, &c->err);
    if (rc == 0 && (!idn.system || !idn.principal_id[0]))
        rc = arm_fail(c, MIDENT_ENOTFOUND, "ResourceNotFound",
                      "The resource '%.600s' has no system-assigned identity.",
                      r.id);
    store_principal sp;
    if (rc == 0)
        rc = store_principal_get(c->a->store, idn.principal_id, &sp, &c->err);
    if (rc == 0) {
        buf id;
        buf_init(&id);
        buf_printf(&id, "%s/providers/Microsoft.ManagedIdentity/identities/default",
                   r.id);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "id", id.data);
        cJSON_AddStringToObject(d, "name", "default");
        cJSON_AddStringToObject(d, "type", "Microsoft.ManagedIdentity/identities");
        const char *loc = json_get_str(owner, "location");
        if (loc)
            cJSON_AddStringToObject(d, "location", loc);
        cJSON *props = cJSON_AddObjectToObject(d, "properties");
        cJSON_AddStringToObject(props, "tenantId", idn.tenant_id);
        cJSON_AddStringToObject(props, "principalId", idn.principal_id);
        cJSON_AddStringToObject(props, "clientId", sp.app_id);
        http_res_json(c->res, 200, d);
        cJSON_Delete(d);
        buf_free(&id);
    }
    identity_free(&idn);
    cJSON_Delete(owner);
    store_resource_free(&r);
    return rc;
}

int arm_msi_route(arm_call *c)
{
    const arm_path *p = &c->path;
    if (p->depth == 1 && arm_ieq(p->types[0], "identities"))
        return system_identity(c);
    if (p->depth == 1 && arm_ieq(p->types[0], "userAssignedIdentities") &&
        p->n_blocks == 1)
        return arm_route_tracked(c, &arm_kind_uami);
    return arm_fail(c, MIDENT_EINVAL, "InvalidResourceType",
                    "The resource type is not supported by mident's "
                    "Microsoft.ManagedIdentity provider.");
}
