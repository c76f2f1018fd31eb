/*
 * arm.c -- the resource manager's front door: arm_new/arm_free and
 * arm_handle, which takes every ARM request through the same steps:
 *
 *   1. parse the path (ids.c); not an ARM path -> not ours (return 0);
 *   2. authenticate the bearer token (authn.c) -> 401;
 *   3. require api-version (any value) -> 400 MissingApiVersionParameter;
 *   4. check the subscription is mident's -> 404 SubscriptionNotFound;
 *   5. route on the parsed path to the provider that serves it, which
 *      authorizes the operation (arm_authorize below) and does the work
 *      with the resource engine (resource.c);
 *   6. on failure, answer the recorded error in ARM's shape (errors.c).
 *
 * Also the caller-facing side of authorization: arm_may/arm_authorize ask
 * authz.c, with its cache outside store transactions and without it
 * inside one.
 */
#include <stdlib.h>
#include <string.h>

#include "arm/arm_int.h"
#include "core/log.h"

arm *arm_new(const arm_config *cfg, mident_error *err)
{
    if (!cfg || !cfg->store || !cfg->sts || !cfg->public_url ||
        !cfg->tenant_id || !cfg->subscription_id) {
        mid_fail(err, MIDENT_EINVAL, "arm: incomplete configuration");
        return NULL;
    }
    if (strlen(cfg->tenant_id) > 36 || strlen(cfg->subscription_id) > 36 ||
        (cfg->admin_object_id && strlen(cfg->admin_object_id) > 36) ||
        strlen(cfg->public_url) >= sizeof ((arm *)0)->public_url) {
        mid_fail(err, MIDENT_EINVAL, "arm: malformed configuration");
        return NULL;
    }
    arm *a = calloc(1, sizeof *a);
    if (!a) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    a->store = cfg->store;
    a->sts = cfg->sts;
    strcpy(a->tenant_id, cfg->tenant_id);
    strcpy(a->sub, cfg->subscription_id);
    strcpy(a->public_url, cfg->public_url);
    size_t n = strlen(a->public_url);
    while (n > 0 && a->public_url[n - 1] == '/')
        a->public_url[--n] = '\0';
    a->authz = authz_new(cfg->store, err);
    if (!a->authz) {
        free(a);
        return NULL;
    }
    if (cfg->admin_object_id && *cfg->admin_object_id) {
        strcpy(a->admin_oid, cfg->admin_object_id);
        if (rbac_ensure_owner(a, a->admin_oid, err) < 0) {
            arm_free(a);
            return NULL;
        }
    }
    return a;
}

void arm_free(arm *a)
{
    if (!a)
        return;
    authz_free(a->authz);
    free(a);
}

int arm_may(arm_call *c, const char *scope, const char *action)
{
    if (c->in_tx)
        return authz_check_uncached(c->a->store, c->caller, scope, action, 0,
                                    &c->err);
    return authz_check(c->a->authz, c->caller, scope, action, 0, &c->err);
}

int arm_authorize(arm_call *c, const char *scope, const char *action)
{
    int ok = arm_may(c, scope, action);
    if (ok < 0)
        return -1;
    if (ok)
        return 0;
    log_info("arm", "denied %s on %s to %s", action, scope, c->caller);
    return arm_fail(c, MIDENT_EFORBIDDEN, "AuthorizationFailed",
                    "The client '%s' with object id '%s' does not have "
                    "authorization to perform action '%s' over scope "
                    "'%.500s' or the scope is invalid. If access was recently "
                    "granted, please refresh your credentials.",
                    c->caller, c->caller, action, scope);
}

static int is_get(const arm_call *c)
{
    return strcmp(c->req->method, "GET") == 0;
}

static int route_resource(arm_call *c)
{
    const arm_path *p = &c->path;
    const char *ns = NULL;
    if (!arm_namespace_known(p->ns, &ns))
        return arm_fail(c, MIDENT_EINVAL, "InvalidResourceNamespace",
                        "The resource namespace '%.100s' is invalid.", p->ns);
    if (!p->sub && strcmp(ns, "Microsoft.Authorization") != 0)
        return arm_fail(c, MIDENT_EINVAL, "InvalidResourceId",
                        "Only Microsoft.Authorization is served at tenant "
                        "level.");
    /* POST /subscriptions/{s}/providers/{ns}/register */
    if (!p->rg && p->n_blocks == 1 && p->depth == 1 && !p->names[0] &&
        arm_ieq(p->types[0], "register")) {
        if (strcmp(c->req->method, "POST") != 0)
            return arm_bad_method(c);
        return arm_provider(c, ns);
    }
    if (strcmp(ns, "Microsoft.ManagedIdentity") == 0)
        return arm_msi_route(c);
    if (strcmp(ns, "Microsoft.App") == 0)
        return arm_app_route(c);
    if (strcmp(ns, "Microsoft.Authorization") == 0)
        return arm_rbac_route(c);
    if (strcmp(ns, "Microsoft.KeyVault") == 0)
        return arm_kv_route(c);
    return arm_fail(c, MIDENT_EINVAL, "InvalidResourceType",
                    "mident serves no resource types of namespace '%s' on "
                    "this path.", ns);
}

static int dispatch(arm_call *c)
{
    if (arm_authenticate(c) < 0)
        return -1;
    c->api_version = http_req_query(c->req, "api-version");
    if (!c->api_version || !*c->api_version)
        return arm_fail(c, MIDENT_EINVAL, "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is "
                        "required for all requests.");
    const arm_path *p = &c->path;
    if (p->sub && !arm_ieq(p->sub, c->a->sub))
        return arm_fail(c, MIDENT_ENOTFOUND, "SubscriptionNotFound",
                        "The subscription '%.64s' could not be found.", p->sub);
    switch (p->kind) {
    case ARM_P_TENANTS:
        return is_get(c) ? arm_tenants(c) : arm_bad_method(c);
    case ARM_P_SUBSCRIPTIONS:
        return is_get(c) ? arm_subscriptions(c) : arm_bad_method(c);
    case ARM_P_SUBSCRIPTION:
        return is_get(c) ? arm_subscription(c) : arm_bad_method(c);
    case ARM_P_PROVIDERS:
        return is_get(c) ? arm_providers(c) : arm_bad_method(c);
    case ARM_P_PROVIDER:
        return is_get(c) ? arm_provider(c, p->ns) : arm_bad_method(c);
    case ARM_P_GROUPS:
        return arm_groups(c);
    case ARM_P_GROUP:
        return arm_group(c);
    case ARM_P_OPRESULT: {
        if (!is_get(c))
            return arm_bad_method(c);
        buf id;
        buf_init(&id);
        buf_printf(&id, "/subscriptions/%s/operationresults/%s", c->a->sub,
                   p->op);
        int rc = lro_get(c, id.data, 1);
        buf_free(&id);
        return rc;
    }
    case ARM_P_RESOURCE:
        return route_resource(c);
    }
    return arm_fail(c, MIDENT_EINTERNAL, NULL, "unrouted path kind %d", p->kind);
}

int arm_handle(arm *a, const http_req *req, http_res *res)
{
    arm_call *c = calloc(1, sizeof *c);
    if (!c) {
        http_res_text(res, 503, "application/json",
                      "{\"error\":{\"code\":\"ServiceUnavailable\","
                      "\"message\":\"out of memory\"}}");
        return 1;
    }
    c->a = a;
    c->req = req;
    c->res = res;
    c->caller_type = "Application";
    mident_error perr;
    int rc = arm_path_parse(req->path, &c->path, &perr);
    if (rc < 0 && perr.code == MIDENT_ENOTFOUND) {
        free(c);
        return 0;
    }
    if (rc < 0) {
        /* Authenticate first: unauthenticated callers learn nothing. */
        if (arm_authenticate(c) == 0)
            arm_fail(c, MIDENT_EINVAL, "InvalidResourceId", "%s", perr.message);
        rc = -1;
    } else {
        rc = dispatch(c);
    }
    if (rc < 0)
        arm_respond_error(c);
    free(c);
    return 1;
}
