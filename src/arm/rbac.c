/*
 * rbac.c -- Microsoft.Authorization: role definitions (the built-ins of
 * roles.c, read-only) and role assignments at any scope (subscription,
 * resource group, resource).
 *
 * A role assignment is {scope}/providers/Microsoft.Authorization/
 * roleAssignments/{guid} with properties roleDefinitionId, principalId,
 * principalType and scope. It is immutable once created (a PUT with other
 * values is refused), the principal must exist in the directory, and one
 * principal holds a role at a scope once. Writing one needs
 * Microsoft.Authorization/roleAssignments/write at its scope (Owner and
 * User Access Administrator have it; Contributor does not). Lists return
 * assignments at, above and below the scope, narrowed by $filter
 * (atScope(), principalId eq '...', assignedTo('...')).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm/arm_int.h"
#include "arm/roles.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"

#define RA_TYPE "Microsoft.Authorization/roleAssignments"
#define RD_TYPE "Microsoft.Authorization/roleDefinitions"
#define RA_SEGMENT "/providers/Microsoft.Authorization/roleAssignments/"

/* ---- role definitions -------------------------------------------------- */

static cJSON *strings(const char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (; v && *v; v++)
        cJSON_AddItemToArray(a, cJSON_CreateString(*v));
    return a;
}

static cJSON *definition_doc(const arm *a, const role_def *r)
{
    char id[256];
    snprintf(id, sizeof id,
             "/subscriptions/%s/providers/Microsoft.Authorization/"
             "roleDefinitions/%s", a->sub, r->id);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", id);
    cJSON_AddStringToObject(d, "name", r->id);
    cJSON_AddStringToObject(d, "type", RD_TYPE);
    cJSON *p = cJSON_AddObjectToObject(d, "properties");
    cJSON_AddStringToObject(p, "roleName", r->name);
    cJSON_AddStringToObject(p, "type", "BuiltInRole");
    cJSON_AddStringToObject(p, "description", r->description);
    cJSON *scopes = cJSON_AddArrayToObject(p, "assignableScopes");
    cJSON_AddItemToArray(scopes, cJSON_CreateString("/"));
    cJSON *perms = cJSON_AddArrayToObject(p, "permissions");
    cJSON *perm = cJSON_CreateObject();
    cJSON_AddItemToObject(perm, "actions", strings(r->actions));
    cJSON_AddItemToObject(perm, "notActions", strings(r->not_actions));
    cJSON_AddItemToObject(perm, "dataActions", strings(r->data_actions));
    cJSON_AddItemToObject(perm, "notDataActions", strings(r->not_data_actions));
    cJSON_AddItemToArray(perms, perm);
    cJSON_AddStringToObject(p, "createdOn", "2015-02-02T21:55:09.8806423Z");
    cJSON_AddStringToObject(p, "updatedOn", "2021-11-11T20:13:47.8628684Z");
    return d;
}

/* The quoted value after `key` in an OData filter ("roleName eq 'X'"). */
static int filter_value(const char *filter, const char *key, char *out,
                        size_t n)
{
    if (!filter)
        return 0;
    size_t lk = strlen(key);
    for (const char *p = filter; *p; p++) {
        if (strncasecmp(p, key, lk) != 0)
            continue;
        const char *q = strchr(p + lk, '\'');
        if (!q)
            return 0;
        const char *e = strchr(q + 1, '\'');
        if (!e || (size_t)(e - q - 1) >= n)
            return 0;
        memcpy(out, q + 1, (size_t)(e - q - 1));
        out[e - q - 1] = '\0';
        return 1;
    }
    return 0;
}

static int role_definitions(arm_call *c)
{
    const arm_path *p = &c->path;
    if (strcmp(c->req->method, "GET") != 0)
        return arm_bad_method(c);
    if (p->names[0]) {
        const role_def *r = role_by_id(p->names[0]);
        if (!r)
            return arm_fail(c, MIDENT_ENOTFOUND, "RoleDefinitionDoesNotExist",
                            "The specified role definition with ID '%.64s' "
                            "does not exist.", p->names[0]);
        cJSON *d = definition_doc(c->a, r);
        http_res_json(c->res, 200, d);
        cJSON_Delete(d);
        return 0;
    }
    const char *filter = http_req_query(c->req, "$filter");
    char name[256] = "";
    int by_name = filter_value(filter, "roleName eq", name, sizeof name);
    char type[64] = "";
    int by_type = filter_value(filter, "type eq", type, sizeof type);
    size_t n;
    const role_def *all = role_builtins(&n);
    cJSON *out = cJSON_CreateObject();
    cJSON *value = cJSON_AddArrayToObject(out, "value");
    for (size_t i = 0; i < n; i++) {
        if (by_name && strcasecmp(all[i].name, name) != 0)
            continue;
        if (by_type && strcasecmp(type, "BuiltInRole") != 0)
            continue;
        cJSON_AddItemToArray(value, definition_doc(c->a, &all[i]));
    }
    http_res_json(c->res, 200, out);
    cJSON_Delete(out);
    return 0;
}

/* ---- role assignments --------------------------------------------------- */

static int ra_name(const char *name, mident_error *err)
{
    if (!uuid_valid(name))
        return mid_fail(err, MIDENT_EINVAL,
                        "The role assignment ID '%.64s' is not valid. The role "
                        "assignment ID must be a GUID.", name);
    return 0;
}

/* The scope part of a role assignment id (everything before RA_SEGMENT). */
static void scope_of(const char *id, char *out, size_t n)
{
    const char *p = NULL;
    size_t ls = strlen(RA_SEGMENT);
    for (const char *q = id; *q; q++)
        if (strncasecmp(q, RA_SEGMENT, ls) == 0)
            p = q;
    size_t len = p ? (size_t)(p - id) : strlen(id);
    if (len >= n)
        len = n - 1;
    memcpy(out, id, len);
    out[len] = '\0';
}

static int same_assignment(const cJSON *a, const cJSON *b)
{
    const char *ra = json_get_str(a, "roleDefinitionId");
    const char *rb = json_get_str(b, "roleDefinitionId");
    return arm_ieq(json_get_str(a, "principalId"), json_get_str(b, "principalId")) &&
           role_by_definition_id(ra) == role_by_definition_id(rb);
}

/* Refuses a second assignment of the same role to the same principal at
 * the same scope under another name. */
static int check_duplicate(arm_call *c, const char *id, const char *scope,
                           const cJSON *props)
{
    store_resources l = {0};
    if (store_resource_list(c->a->store, scope, RA_TYPE, &l, &c->err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        if (arm_ieq(l.items[i].id, id))
            continue;
        mident_error e;
        cJSON *doc = json_parse(l.items[i].body, strlen(l.items[i].body), &e);
        const cJSON *p = json_get_obj(doc, "properties");
        if (p && arm_ieq(json_get_str(p, "scope"), scope) &&
            same_assignment(p, props))
            rc = arm_fail(c, MIDENT_ECONFLICT, "RoleAssignmentExists",
                          "The role assignment already exists (%.300s).",
                          l.items[i].id);
        cJSON_Delete(doc);
    }
    store_resource_list_free(&l);
    return rc;
}

static int ra_apply(arm_call *c, arm_write *w)
{
    const cJSON *props = json_get_ci(w->doc, "properties");
    if (!cJSON_IsObject(props))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "A role assignment needs 'properties' with "
                        "roleDefinitionId and principalId.");
    const cJSON *rd = json_get_ci(props, "roleDefinitionId");
    const cJSON *pid = json_get_ci(props, "principalId");
    const cJSON *ptype = json_get_ci(props, "principalType");
    const cJSON *desc = json_get_ci(props, "description");
    const cJSON *cond = json_get_ci(props, "condition");
    if (!cJSON_IsString(rd) || !cJSON_IsString(pid))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "properties.roleDefinitionId and properties.principalId "
                        "are required strings.");
    const role_def *role = role_by_definition_id(rd->valuestring);
    if (!role)
        return arm_fail(c, MIDENT_EINVAL, "RoleDefinitionDoesNotExist",
                        "The specified role definition with ID '%.300s' does "
                        "not exist.", rd->valuestring);
    if (cond && !cJSON_IsNull(cond))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "Conditions on role assignments are not supported.");
    if ((ptype && !cJSON_IsString(ptype) && !cJSON_IsNull(ptype)) ||
        (desc && !cJSON_IsString(desc) && !cJSON_IsNull(desc)))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "principalType and description must be strings.");
    store_principal sp;
    if (!uuid_valid(pid->valuestring) ||
        store_principal_get(c->a->store, pid->valuestring, &sp, &c->err) < 0) {
        if (uuid_valid(pid->valuestring) && c->err.code != MIDENT_ENOTFOUND)
            return -1;
        return arm_fail(c, MIDENT_EINVAL, "PrincipalNotFound",
                        "Principal %.64s does not exist in the directory %s.",
                        pid->valuestring, c->a->tenant_id);
    }
    char scope[STORE_ID_MAX];
    scope_of(w->id, scope, sizeof scope);
    char rdid[256];
    snprintf(rdid, sizeof rdid,
             "/subscriptions/%s/providers/Microsoft.Authorization/"
             "roleDefinitions/%s", c->a->sub, role->id);
    const cJSON *curprops = w->cur ? json_get_ci(w->cur, "properties") : NULL;
    cJSON *np = cJSON_CreateObject();
    cJSON_AddStringToObject(np, "roleDefinitionId", rdid);
    cJSON_AddStringToObject(np, "principalId", sp.object_id);
    cJSON_AddStringToObject(np, "principalType",
                            cJSON_IsString(ptype) ? ptype->valuestring
                                                  : "ServicePrincipal");
    cJSON_AddStringToObject(np, "scope", scope);
    cJSON_AddNullToObject(np, "condition");
    cJSON_AddNullToObject(np, "conditionVersion");
    if (cJSON_IsString(desc))
        cJSON_AddStringToObject(np, "description", desc->valuestring);
    int rc = 0;
    if (curprops && !same_assignment(curprops, np))
        rc = arm_fail(c, MIDENT_EINVAL, "RoleAssignmentUpdateNotPermitted",
                      "Tenant ID, application ID, principal ID, and scope are "
                      "not allowed to be updated.");
    if (rc == 0)
        rc = check_duplicate(c, w->id, scope, np);
    if (rc < 0) {
        cJSON_Delete(np);
        return -1;
    }
    char now[40];
    arm_now_iso(now);
    const char *created = json_get_str(curprops, "createdOn");
    const char *createdby = json_get_str(curprops, "createdBy");
    cJSON_AddStringToObject(np, "createdOn", created ? created : now);
    cJSON_AddStringToObject(np, "updatedOn", now);
    cJSON_AddStringToObject(np, "createdBy", createdby ? createdby : c->caller);
    cJSON_AddStringToObject(np, "updatedBy", c->caller);
    while (w->doc->child)
        cJSON_Delete(cJSON_DetachItemViaPointer(w->doc, w->doc->child));
    if (!cJSON_AddItemToObject(w->doc, "properties", np)) {
        cJSON_Delete(np);
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    }
    return 0;
}

const arm_kind arm_kind_role_assignment = {
    .ns = "Microsoft.Authorization",
    .type = "roleAssignments",
    .full_type = RA_TYPE,
    .tracked = 0,
    .check_name = ra_name,
    .apply = ra_apply,
};

/* The stored spelling of a scope: the subscription, an existing group or
 * an existing resource. */
static int canonical_scope(arm_call *c, const char *scope, buf *out)
{
    arm_path p;
    mident_error e;
    if (!scope[0] || arm_path_parse(scope, &p, &e) < 0 || !p.sub ||
        !arm_ieq(p.sub, c->a->sub))
        return arm_fail(c, MIDENT_EINVAL, "InvalidScope",
                        "The scope '%.300s' is not valid: use the "
                        "subscription, a resource group or a resource in it.",
                        scope);
    if (p.kind == ARM_P_SUBSCRIPTION) {
        arm_id_subscription(out, c->a->sub);
        return 0;
    }
    if (p.kind == ARM_P_GROUP)
        return arm_require_group(c, c->a->sub, p.rg, out);
    if (p.kind != ARM_P_RESOURCE || !arm_path_is_item(&p))
        return arm_fail(c, MIDENT_EINVAL, "InvalidScope",
                        "The scope '%.300s' is not valid.", scope);
    if (p.rg && arm_require_group(c, c->a->sub, p.rg, NULL) < 0)
        return -1;
    store_resource r = {0};
    if (arm_load(c, scope, "ResourceNotFound", NULL, &r) < 0)
        return -1;
    buf_puts(out, r.id);
    store_resource_free(&r);
    return 0;
}

typedef struct {
    int at_scope;          /* atScope(): at the scope or above only */
    char principal[64];    /* principalId eq / assignedTo */
} ra_filter;

static void parse_filter(const char *f, ra_filter *out)
{
    memset(out, 0, sizeof *out);
    if (!f)
        return;
    out->at_scope = strcasestr(f, "atScope()") != NULL;
    if (!filter_value(f, "principalId eq", out->principal, sizeof out->principal))
        filter_value(f, "assignedTo(", out->principal, sizeof out->principal);
}

static int list_assignments(arm_call *c, const char *scope)
{
    ra_filter f;
    parse_filter(http_req_query(c->req, "$filter"), &f);
    store_resources l = {0};
    buf sub;
    buf_init(&sub);
    arm_id_subscription(&sub, c->a->sub);
    int rc = store_resource_list(c->a->store, sub.data, RA_TYPE, &l, &c->err);
    buf_free(&sub);
    if (rc < 0)
        return -1;
    cJSON *out = cJSON_CreateObject();
    cJSON *value = cJSON_AddArrayToObject(out, "value");
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        cJSON *doc = json_parse(l.items[i].body, strlen(l.items[i].body), &c->err);
        if (!doc) {
            rc = -1;
            break;
        }
        const cJSON *p = json_get_obj(doc, "properties");
        const char *s = json_get_str(p, "scope");
        int above = s && arm_scope_covers(s, scope);
        int below = s && arm_scope_covers(scope, s);
        int keep = (above || (below && !f.at_scope)) &&
                   (!f.principal[0] ||
                    arm_ieq(json_get_str(p, "principalId"), f.principal));
        if (keep) {
            int may = arm_may(c, s, "Microsoft.Authorization/roleAssignments/read");
            if (may < 0)
                rc = -1;
            keep = may > 0;
        }
        if (keep) {
            json_set_str(doc, "etag", l.items[i].etag);
            cJSON_AddItemToArray(value, doc);
        } else {
            cJSON_Delete(doc);
        }
    }
    store_resource_list_free(&l);
    if (rc == 0)
        http_res_json(c->res, 200, out);
    cJSON_Delete(out);
    return rc;
}

static int role_assignments(arm_call *c)
{
    const arm_path *p = &c->path;
    const char *m = c->req->method;
    buf scope, id;
    buf_init(&scope);
    buf_init(&id);
    int rc;
    const char *verb = strcmp(m, "GET") == 0 ? "read"
                       : strcmp(m, "PUT") == 0 ? "write"
                       : strcmp(m, "DELETE") == 0 ? "delete"
                                                  : NULL;
    if (!verb || (!p->names[0] && strcmp(m, "GET") != 0)) {
        rc = arm_bad_method(c);
        goto done;
    }
    char action[128];
    snprintf(action, sizeof action, "%s/%s", RA_TYPE, verb);
    /* Listing filters item by item; single items need the right at their
     * scope. */
    if (p->names[0] && arm_authorize(c, p->scope[0] ? p->scope : "/", action) < 0) {
        rc = -1;
        goto done;
    }
    if (canonical_scope(c, p->scope, &scope) < 0) {
        rc = -1;
        goto done;
    }
    if (!p->names[0]) {
        rc = list_assignments(c, scope.data);
        goto done;
    }
    arm_id_resource(&id, scope.data, "Microsoft.Authorization",
                    "roleAssignments", p->names[0]);
    if (strcmp(m, "GET") == 0)
        rc = arm_res_get(c, &arm_kind_role_assignment, id.data);
    else if (strcmp(m, "PUT") == 0)
        rc = arm_res_write(c, &arm_kind_role_assignment, id.data, p->names[0], 0);
    else
        rc = arm_res_delete(c, &arm_kind_role_assignment, id.data, 0);
done:
    buf_free(&scope);
    buf_free(&id);
    return rc;
}

int arm_rbac_route(arm_call *c)
{
    const arm_path *p = &c->path;
    if (p->depth == 1 && arm_ieq(p->types[0], "roleDefinitions"))
        return role_definitions(c);
    if (p->depth == 1 && arm_ieq(p->types[0], "roleAssignments"))
        return role_assignments(c);
    return arm_fail(c, MIDENT_EINVAL, "InvalidResourceType",
                    "The resource type is not supported by mident's "
                    "Microsoft.Authorization provider.");
}

/* ---- bootstrap ------------------------------------------------------------ */

int rbac_ensure_owner(arm *a, const char *oid, mident_error *err)
{
    char scope[64];
    snprintf(scope, sizeof scope, "/subscriptions/%s", a->sub);
    store_resources l = {0};
    if (store_resource_list(a->store, scope, RA_TYPE, &l, err) < 0)
        return -1;
    int found = 0;
    for (size_t i = 0; i < l.n && !found; i++) {
        mident_error e;
        cJSON *doc = json_parse(l.items[i].body, strlen(l.items[i].body), &e);
        const cJSON *p = json_get_obj(doc, "properties");
        found = p && arm_ieq(json_get_str(p, "principalId"), oid) &&
                arm_ieq(json_get_str(p, "scope"), scope) &&
                role_by_definition_id(json_get_str(p, "roleDefinitionId")) ==
                    role_by_id(ROLE_OWNER);
        cJSON_Delete(doc);
    }
    store_resource_list_free(&l);
    if (found)
        return 0;
    char name[UUID_STR_LEN], now[40], id[256], rdid[256];
    if (uuid_v4(name, err) < 0)
        return -1;
    arm_now_iso(now);
    snprintf(id, sizeof id, "%s%s%s", scope, RA_SEGMENT, name);
    snprintf(rdid, sizeof rdid,
             "%s/providers/Microsoft.Authorization/roleDefinitions/%s", scope,
             ROLE_OWNER);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "id", id);
    cJSON_AddStringToObject(doc, "name", name);
    cJSON_AddStringToObject(doc, "type", RA_TYPE);
    cJSON *p = cJSON_AddObjectToObject(doc, "properties");
    cJSON_AddStringToObject(p, "roleDefinitionId", rdid);
    cJSON_AddStringToObject(p, "principalId", oid);
    cJSON_AddStringToObject(p, "principalType", "ServicePrincipal");
    cJSON_AddStringToObject(p, "scope", scope);
    cJSON_AddNullToObject(p, "condition");
    cJSON_AddNullToObject(p, "conditionVersion");
    cJSON_AddStringToObject(p, "description", "mident administrator");
    cJSON_AddStringToObject(p, "createdOn", now);
    cJSON_AddStringToObject(p, "updatedOn", now);
    char *text = json_print(doc);
    cJSON_Delete(doc);
    if (!text)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    char etag[40];
    int rc = store_resource_put(a->store, id, RA_TYPE, text, NULL, etag, NULL, err);
    free(text);
    if (rc == 0)
        log_info("arm", "made %s Owner of %s", oid, scope);
    return rc;
}
