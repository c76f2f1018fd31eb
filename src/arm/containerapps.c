/*
 * containerapps.c -- Microsoft.App/containerApps, and the routing of the
 * Microsoft.App provider (environments, apps, operation statuses).
 *
 * An app document is what the client sent (full PUT, or the stored
 * document merged with a PATCH), validated, with the read-only parts ARM
 * shows filled in. The rules beyond resource.c's envelope:
 *   - properties.environmentId (or managedEnvironmentId) names an existing
 *     environment; it is required on create and cannot change;
 *   - configuration.secrets: unique names; a secret sent without a value
 *     keeps its stored value (clients doing read-modify-write get values
 *     redacted on GET); values are never shown except by listSecrets;
 *   - template.containers: at least one, each with a name and an image;
 *     env entries have a value or a secretRef to a known secret; scale
 *     bounds are sane;
 *   - identity: see identity.h; identitySettings and registries may only
 *     name identities the app has ("system" or an attached id);
 *   - a new revision name when the template changes; identity changes
 *     never make a revision (identity belongs to the app).
 * A PUT that creates answers 201 + Azure-AsyncOperation (resource.c).
 * POST listSecrets / start / stop are actions on the app.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm/arm_int.h"
#include "core/json.h"
#include "core/rand.h"

#define ENV_TYPE "Microsoft.App/managedEnvironments"

static int app_name(const char *name, mident_error *err)
{
    return arm_name_check_dns(name, 2, 32, err);
}

static void drop(cJSON *obj, const char *key)
{
    cJSON *v;
    while ((v = json_get_ci(obj, key)) != NULL)
        cJSON_Delete(cJSON_DetachItemViaPointer(obj, v));
}

/* obj[key] as an object, created when absent or null; NULL + EINVAL
 * recorded when it is something else. */
static cJSON *child_object(arm_call *c, cJSON *obj, const char *key,
                           const char *what)
{
    cJSON *v = json_get_ci(obj, key);
    if (cJSON_IsObject(v))
        return v;
    if (v && !cJSON_IsNull(v)) {
        arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                 "'%s' must be an object.", what);
        return NULL;
    }
    if (v)
        cJSON_Delete(cJSON_DetachItemViaPointer(obj, v));
    v = cJSON_AddObjectToObject(obj, key);
    if (!v)
        arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    return v;
}

static int set_str(arm_call *c, cJSON *obj, const char *key, const char *val)
{
    drop(obj, key);
    if (!cJSON_AddStringToObject(obj, key, val))
        return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    return 0;
}

/* ---- environment ----------------------------------------------------- */

static int resolve_environment(arm_call *c, arm_write *w, cJSON *props,
                               const cJSON *curprops, buf *env_domain)
{
    const char *want = json_get_str(props, "environmentId");
    const cJSON *alt = json_get_ci(props, "managedEnvironmentId");
    if (!want && cJSON_IsString(alt))
        want = alt->valuestring;
    const char *have = json_get_str(curprops, "environmentId");
    if (!want)
        want = have;
    if (!want)
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "properties.environmentId is required: the resource "
                        "id of a Microsoft.App/managedEnvironments.");
    if (have && !arm_ieq(want, have))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "properties.environmentId cannot change (it is "
                        "'%.300s').", have);
    arm_path p;
    if (arm_id_parse_typed(want, ENV_TYPE, &p, &c->err) < 0)
        return arm_fail_as(c, "InvalidRequestContent");
    cJSON *env = NULL;
    store_resource r = {0};
    if (arm_load(c, want, "ManagedEnvironmentNotFound", &env, &r) < 0) {
        if (c->err.code == MIDENT_ENOTFOUND) {
            c->status = 400;
            return arm_fail(c, MIDENT_EINVAL, "ManagedEnvironmentNotFound",
                            "The environment '%.600s' does not exist.", want);
        }
        return -1;
    }
    const char *domain = json_get_str(json_get_ci(env, "properties"),
                                      "defaultDomain");
    buf_puts(env_domain, domain ? domain : "mident.local");
    int rc = set_str(c, props, "environmentId", r.id);
    if (rc == 0)
        rc = set_str(c, props, "managedEnvironmentId", r.id);
    (void)w;
    cJSON_Delete(env);
    store_resource_free(&r);
    return rc;
}

/* ---- secrets --------------------------------------------------------- */

static int secret_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && !((ch == '-' || ch == '.') && i > 0 && i + 1 < n))
            return 0;
    }
    return 1;
}

static const cJSON *find_named(const cJSON *arr, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        const char *n = json_get_str(e, "name");
        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

static int check_secrets(arm_call *c, cJSON *conf, const cJSON *curconf)
{
    cJSON *secrets = json_get_ci(conf, "secrets");
    if (!secrets || cJSON_IsNull(secrets)) {
        drop(conf, "secrets");
        return 0;
    }
    if (!cJSON_IsArray(secrets))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "configuration.secrets must be an array.");
    const cJSON *cursecrets = json_get_ci(curconf, "secrets");
    cJSON *s;
    cJSON_ArrayForEach(s, secrets)
    {
        const char *name = json_get_str(s, "name");
        if (!cJSON_IsObject(s) || !name || !secret_name_ok(name))
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppSecretInvalid",
                            "Each secret needs a 'name' of lower-case letters, "
                            "digits, '-' or '.' (got '%.100s').",
                            name ? name : "");
        for (const cJSON *t = s->next; t; t = t->next) {
            const char *n2 = json_get_str(t, "name");
            if (n2 && strcmp(n2, name) == 0)
                return arm_fail(c, MIDENT_EINVAL, "ContainerAppSecretInvalid",
                                "Secret '%s' is defined twice.", name);
        }
        const cJSON *v = json_get_ci(s, "value");
        const char *kv = json_get_str(s, "keyVaultUrl");
        if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppSecretInvalid",
                            "The value of secret '%s' must be a string.", name);
        if ((!v || cJSON_IsNull(v)) && !kv) {
            /* Redacted by a read-modify-write client: keep the stored one. */
            const char *old = json_get_str(find_named(cursecrets, name), "value");
            if (!old)
                return arm_fail(c, MIDENT_EINVAL, "ContainerAppSecretInvalid",
                                "Secret '%s' has no value.", name);
            drop(s, "value");
            if (!cJSON_AddStringToObject(s, "value", old))
                return arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
        }
    }
    return 0;
}

/* ---- template ----------------------------------------------------------- */

static int check_string_array(arm_call *c, const cJSON *a, const char *what)
{
    if (!a || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsArray(a))
        return arm_fail(c, MIDENT_EINVAL, "InvalidRequestContent",
                        "'%s' must be an array of strings.", what);
    const cJSON *e;
    cJSON_ArrayForEach(e, a) if (!cJSON_IsString(e)) return arm_fail(
        c, MIDENT_EINVAL, "InvalidRequestContent",
        "'%s' must be an array of strings.", what);
    return 0;
}

static int check_containers(arm_call *c, const cJSON *list, const char *what,
                            const cJSON *secrets, int required)
{
    if (!list || cJSON_IsNull(list)) {
        if (required)
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidTemplate",
                            "template.containers must list at least one "
                            "container.");
        return 0;
    }
    if (!cJSON_IsArray(list) || (required && cJSON_GetArraySize(list) == 0))
        return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidTemplate",
                        "template.%s must be an array%s.", what,
                        required ? " with at least one container" : "");
    const cJSON *ct;
    cJSON_ArrayForEach(ct, list)
    {
        const char *name = json_get_str(ct, "name");
        const char *image = json_get_str(ct, "image");
        if (!cJSON_IsObject(ct) || !name || !*name || !image || !*image)
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidTemplate",
                            "Each entry of template.%s needs a 'name' and an "
                            "'image'.", what);
        if (check_string_array(c, json_get_ci(ct, "command"), "command") < 0 ||
            check_string_array(c, json_get_ci(ct, "args"), "args") < 0)
            return -1;
        const cJSON *env = json_get_ci(ct, "env");
        if (env && !cJSON_IsNull(env) && !cJSON_IsArray(env))
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidTemplate",
                            "'env' of container '%s' must be an array.", name);
        const cJSON *ev;
        cJSON_ArrayForEach(ev, env)
        {
            const char *en = json_get_str(ev, "name");
            const char *ref = json_get_str(ev, "secretRef");
            const cJSON *val = json_get_ci(ev, "value");
            if (!en || !*en)
                return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidTemplate",
                                "Each env entry of container '%s' needs a "
                                "'name'.", name);
            if (val && !cJSON_IsString(val) && !cJSON_IsNull(val))
                return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidTemplate",
                                "env '%s' of container '%s': 'value' must be "
                                "a string.", en, name);
            if (ref && !find_named(secrets, ref))
                return arm_fail(c, MIDENT_EINVAL, "ContainerAppSecretRefNotFound",
                                "env '%s' of container '%s' refers to secret "
                                "'%s', which is not defined in "
                                "configuration.secrets.", en, name, ref);
        }
    }
    return 0;
}

static int check_template(arm_call *c, cJSON *tmpl, const cJSON *secrets,
                          int creating)
{
    if (check_containers(c, json_get_ci(tmpl, "containers"), "containers",
                         secrets, creating) < 0 ||
        check_containers(c, json_get_ci(tmpl, "initContainers"),
                         "initContainers", secrets, 0) < 0)
        return -1;
    const cJSON *scale = json_get_ci(tmpl, "scale");
    if (scale && !cJSON_IsNull(scale)) {
        if (!cJSON_IsObject(scale))
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidScale",
                            "template.scale must be an object.");
        const cJSON *mn = json_get_ci(scale, "minReplicas");
        const cJSON *mx = json_get_ci(scale, "maxReplicas");
        double lo = cJSON_IsNumber(mn) ? mn->valuedouble : 0;
        double hi = cJSON_IsNumber(mx) ? mx->valuedouble : 10;
        if ((mn && !cJSON_IsNull(mn) && !cJSON_IsNumber(mn)) ||
            (mx && !cJSON_IsNull(mx) && !cJSON_IsNumber(mx)) || lo < 0 ||
            hi < 1 || lo > hi || hi > 1000 || lo != (double)(long)lo ||
            hi != (double)(long)hi)
            return arm_fail(c, MIDENT_EINVAL, "ContainerAppInvalidScale",
                            "template.scale needs integers 0 <= minReplicas <= "
                            "maxReplicas, 1 <= maxReplicas <= 1000.");
    }
    return 0;
}

/* ---- identity references ---------------------------------------------- */

/* "system" or an attached user-assigned id; `where` names the field. */
static int check_identity_ref(arm_call *c, const arm_identity *idn,
                              const char *ref, const char *where)
{
    if (strcasecmp(ref, "system") == 0) {
        if (!idn->system)
            return arm_fail(c, MIDENT_EINVAL, "InvalidIdentitySetting",
                            "%s refers to the system-assigned identity, but "
                            "the app has none.", where);
        return 0;
    }
    if (!identity_has_ua(idn, ref, NULL))
        return arm_fail(c, MIDENT_EINVAL, "InvalidIdentitySetting",
                        "%s refers to identity '%.400s', which is not "
                        "attached to the app.", where, ref);
    return 0;
}

static int check_identity_settings(arm_call *c, cJSON *conf,
                                   const arm_identity *idn)
{
    cJSON *list = json_get_ci(conf, "identitySettings");
    if (list && !cJSON_IsNull(list)) {
        if (!cJSON_IsArray(list))
            return arm_fail(c, MIDENT_EINVAL, "InvalidIdentitySetting",
                            "configuration.identitySettings must be an array.");
        cJSON *e;
        cJSON_ArrayForEach(e, list)
        {
            const char *ref = json_get_str(e, "identity");
            if (!ref)
                return arm_fail(c, MIDENT_EINVAL, "InvalidIdentitySetting",
                                "Each identitySettings entry needs 'identity'.");
            if (check_identity_ref(c, idn, ref, "identitySettings") < 0)
                return -1;
            cJSON *lc = json_get_ci(e, "lifecycle");
            static const char *const ok[] = {"Init", "Main", "None", "All"};
            const char *canon = NULL;
            for (int i = 0; i < 4 && cJSON_IsString(lc); i++)
                if (strcasecmp(lc->valuestring, ok[i]) == 0)
                    canon = ok[i];
            if (lc && !cJSON_IsNull(lc) && !canon)
                return arm_fail(c, MIDENT_EINVAL, "InvalidIdentitySetting",
                                "identitySettings lifecycle must be Init, "
                                "Main, None or All.");
            if (set_str(c, e, "lifecycle", canon ? canon : "All") < 0)
                return -1;
        }
    }
    const cJSON *regs = json_get_ci(conf, "registries");
    const cJSON *r;
    cJSON_ArrayForEach(r, regs)
    {
        const char *ref = json_get_str(r, "identity");
        if (ref && *ref && check_identity_ref(c, idn, ref, "registries") < 0)
            return -1;
    }
    return 0;
}

/* ---- apply ----------------------------------------------------------------- */

static const char *const readonly_props[] = {
    "provisioningState", "runningStatus", "latestRevisionName",
    "latestReadyRevisionName", "latestRevisionFqdn", "outboundIpAddresses",
    "eventStreamEndpoint", "customDomainVerificationId", NULL};

/* The read-only properties ARM shows, from the current document or new. */
static int fill_readonly(arm_call *c, arm_write *w, cJSON *props,
                         const cJSON *curprops, const char *domain)
{
    const cJSON *tmpl = json_get_ci(props, "template");
    const cJSON *curtmpl = json_get_ci(curprops, "template");
    const char *rev = json_get_str(curprops, "latestRevisionName");
    char revbuf[128];
    if (!rev || !cJSON_Compare(tmpl, curtmpl, 1)) {
        const char *suffix = json_get_str(tmpl, "revisionSuffix");
        char rnd[8];
        if (!suffix || !*suffix) {
            if (rand_hex(rnd, 3, &c->err) < 0)
                return -1;
            rnd[6] = '\0';
            suffix = rnd;
        }
        snprintf(revbuf, sizeof revbuf, "%s--%s", w->name, suffix);
        rev = revbuf;
    }
    const char *running = json_get_str(curprops, "runningStatus");
    const char *verif = json_get_str(curprops, "customDomainVerificationId");
    char vbuf[65];
    if (!verif) {
        if (rand_hex(vbuf, 32, &c->err) < 0)
            return -1;
        verif = vbuf;
    }
    int rc = set_str(c, props, "provisioningState", "Succeeded");
    if (rc == 0)
        rc = set_str(c, props, "runningStatus", running ? running : "Running");
    if (rc == 0)
        rc = set_str(c, props, "latestRevisionName", rev);
    if (rc == 0)
        rc = set_str(c, props, "latestReadyRevisionName", rev);
    if (rc == 0)
        rc = set_str(c, props, "customDomainVerificationId", verif);
    cJSON *conf = json_get_ci(props, "configuration");
    cJSON *ingress = json_get_ci(conf, "ingress");
    char fqdn[512];
    if (rc == 0 && cJSON_IsObject(ingress)) {
        int external = json_get_bool(ingress, "external", 0);
        snprintf(fqdn, sizeof fqdn, "%s%s.%s", w->name,
                 external ? "" : ".internal", domain);
        rc = set_str(c, ingress, "fqdn", fqdn);
        if (rc == 0) {
            snprintf(fqdn, sizeof fqdn, "%s.%s", rev, domain);
            rc = set_str(c, props, "latestRevisionFqdn", fqdn);
        }
    } else if (rc == 0) {
        rc = set_str(c, props, "latestRevisionFqdn", "");
    }
    if (rc == 0) {
        cJSON *ips = cJSON_CreateArray();
        cJSON_AddItemToArray(ips, cJSON_CreateString("127.0.0.1"));
        if (!cJSON_AddItemToObject(props, "outboundIpAddresses", ips)) {
            cJSON_Delete(ips);
            rc = arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
        }
    }
    return rc;
}

static const char *const top_level_kept[] = {"identity", "properties", "kind",
                                             "managedBy", "extendedLocation",
                                             NULL};

static int app_apply(arm_call *c, arm_write *w)
{
    /* Keep only the members a container app has. */
    for (cJSON *m = w->doc->child, *next; m; m = next) {
        next = m->next;
        int keep = 0;
        for (const char *const *k = top_level_kept; *k && !keep; k++)
            keep = strcasecmp(m->string, *k) == 0;
        if (!keep)
            cJSON_Delete(cJSON_DetachItemViaPointer(w->doc, m));
    }
    cJSON *props = child_object(c, w->doc, "properties", "properties");
    if (!props)
        return -1;
    for (const char *const *k = readonly_props; *k; k++)
        drop(props, *k);
    const cJSON *curprops = w->cur ? json_get_ci(w->cur, "properties") : NULL;
    const cJSON *curconf = json_get_ci(curprops, "configuration");
    buf domain;
    buf_init(&domain);
    arm_identity cur = {0}, want = {0};
    int rc = resolve_environment(c, w, props, curprops, &domain);
    cJSON *conf = rc == 0 ? child_object(c, props, "configuration",
                                         "properties.configuration")
                          : NULL;
    if (rc == 0 && !conf)
        rc = -1;
    if (rc == 0 && !json_get_ci(conf, "activeRevisionsMode"))
        rc = set_str(c, conf, "activeRevisionsMode", "Single");
    if (rc == 0)
        rc = check_secrets(c, conf, curconf);
    /* A PUT without a template keeps the current one. */
    if (rc == 0 && !json_get_ci(props, "template") &&
        json_get_ci(curprops, "template")) {
        cJSON *copy = cJSON_Duplicate(json_get_ci(curprops, "template"), 1);
        if (!copy || !cJSON_AddItemToObject(props, "template", copy)) {
            cJSON_Delete(copy);
            rc = arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
        }
    }
    cJSON *tmpl = rc == 0 ? child_object(c, props, "template",
                                         "properties.template")
                          : NULL;
    if (rc == 0 && !tmpl)
        rc = -1;
    if (rc == 0)
        rc = check_template(c, tmpl, json_get_ci(conf, "secrets"), 1);
    /* identity: plan from the request, then apply to the directory. */
    if (rc == 0)
        rc = identity_from_json(w->cur ? json_get_ci(w->cur, "identity") : NULL,
                                &cur, &c->err);
    if (rc == 0) {
        cJSON *req = json_get_ci(w->doc, "identity");
        rc = identity_plan(req, req != NULL, &cur, &want, &c->err);
        if (rc < 0)
            arm_fail_as(c, "InvalidIdentityValues");
    }
    if (rc == 0)
        rc = check_identity_settings(c, conf, &want);
    if (rc == 0)
        rc = identity_apply(c, &cur, &want, w->id, w->name);
    if (rc == 0) {
        cJSON *block = identity_to_json(&want);
        drop(w->doc, "identity");
        if (!block || !cJSON_AddItemToObject(w->doc, "identity", block)) {
            cJSON_Delete(block);
            rc = arm_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
        }
    }
    if (rc == 0)
        rc = fill_readonly(c, w, props, curprops, domain.data ? domain.data : "");
    /* identity first, then properties, as ARM shows them. */
    if (rc == 0) {
        cJSON *p = cJSON_DetachItemViaPointer(w->doc, props);
        cJSON_AddItemToObject(w->doc, "properties", p);
    }
    identity_free(&cur);
    identity_free(&want);
    buf_free(&domain);
    return rc;
}

/* Secret values never leave except through listSecrets. */
static void app_render(cJSON *doc)
{
    cJSON *secrets = json_get_ci(
        json_get_ci(json_get_ci(doc, "properties"), "configuration"), "secrets");
    cJSON *s;
    cJSON_ArrayForEach(s, secrets) drop(s, "value");
}

const arm_kind arm_kind_app = {
    .ns = "Microsoft.App",
    .type = "containerApps",
    .full_type = "Microsoft.App/containerApps",
    .tracked = 1,
    .identity = 1,
    .check_name = app_name,
    .apply = app_apply,
    .render = app_render,
    .async_create = 1,
    .op_type = "containerappOperationStatuses",
};

/* ---- actions ------------------------------------------------------------- */

static int list_secrets(arm_call *c, const char *id)
{
    cJSON *doc = NULL;
    if (arm_load(c, id, "ResourceNotFound", &doc, NULL) < 0)
        return -1;
    const cJSON *secrets = json_get_ci(
        json_get_ci(json_get_ci(doc, "properties"), "configuration"), "secrets");
    cJSON *out = cJSON_CreateObject();
    cJSON *value = cJSON_AddArrayToObject(out, "value");
    const cJSON *s;
    cJSON_ArrayForEach(s, secrets)
    {
        cJSON *e = cJSON_CreateObject();
        static const char *const keys[] = {"name", "value", "identity",
                                           "keyVaultUrl"};
        for (int i = 0; i < 4; i++) {
            const char *v = json_get_str(s, keys[i]);
            if (v)
                cJSON_AddStringToObject(e, keys[i], v);
        }
        cJSON_AddItemToArray(value, e);
    }
    http_res_json(c->res, 200, out);
    cJSON_Delete(out);
    cJSON_Delete(doc);
    return 0;
}

static int set_running(arm_call *c, cJSON *doc, void *ctx)
{
    cJSON *props = json_get_ci(doc, "properties");
    if (!cJSON_IsObject(props))
        return arm_fail(c, MIDENT_EINTERNAL, NULL, "stored app has no properties");
    return set_str(c, props, "runningStatus", (const char *)ctx);
}

static int app_action(arm_call *c)
{
    const arm_path *p = &c->path;
    const char *action = p->types[1];
    if (strcmp(c->req->method, "POST") != 0)
        return arm_bad_method(c);
    const char *canon = NULL;
    if (arm_ieq(action, "listSecrets"))
        canon = "listSecrets";
    else if (arm_ieq(action, "start"))
        canon = "start";
    else if (arm_ieq(action, "stop"))
        canon = "stop";
    else
        return arm_fail(c, MIDENT_EINVAL, "InvalidResourceType",
                        "Container apps have no action '%.100s'.", action);
    char op[128];
    snprintf(op, sizeof op, "Microsoft.App/containerApps/%s/action", canon);
    buf scope, id;
    buf_init(&scope);
    buf_init(&id);
    arm_id_group(&scope, c->a->sub, p->rg);
    arm_id_resource(&scope, "", "Microsoft.App", "containerApps", p->names[0]);
    int rc = arm_authorize(c, scope.data, op);
    /* arm_group_item_id wants a one-level path: the item is names[0]. */
    arm_path saved = c->path;
    c->path.depth = 1;
    if (rc == 0)
        rc = arm_group_item_id(c, &arm_kind_app, &id);
    c->path = saved;
    if (rc == 0) {
        if (strcmp(canon, "listSecrets") == 0)
            rc = list_secrets(c, id.data);
        else
            rc = arm_res_update(c, &arm_kind_app, id.data, set_running,
                                (void *)(strcmp(canon, "start") == 0 ? "Running"
                                                                     : "Stopped"));
    }
    buf_free(&scope);
    buf_free(&id);
    return rc;
}

/* ---- the Microsoft.App provider -------------------------------------------- */

int arm_app_route(arm_call *c)
{
    const arm_path *p = &c->path;
    if (p->n_blocks == 1 && p->depth == 1 &&
        arm_ieq(p->types[0], "managedEnvironments"))
        return arm_route_tracked(c, &arm_kind_env);
    if (p->n_blocks == 1 && p->depth == 1 && arm_ieq(p->types[0], "containerApps"))
        return arm_route_tracked(c, &arm_kind_app);
    if (p->n_blocks == 1 && p->depth == 2 && p->rg &&
        arm_ieq(p->types[0], "containerApps") && p->names[0] && !p->names[1])
        return app_action(c);
    if (p->n_blocks == 1 && !p->rg && p->depth == 2 &&
        arm_ieq(p->types[0], "locations") && p->names[1] &&
        (arm_ieq(p->types[1], "containerappOperationStatuses") ||
         arm_ieq(p->types[1], "managedEnvironmentOperationStatuses"))) {
        if (strcmp(c->req->method, "GET") != 0)
            return arm_bad_method(c);
        buf id;
        buf_init(&id);
        buf_printf(&id, "/subscriptions/%s/providers/Microsoft.App/locations/%s/%s/%s",
                   c->a->sub, p->names[0], p->types[1], p->names[1]);
        int rc = lro_get(c, id.data, 0);
        buf_free(&id);
        return rc;
    }
    return arm_fail(c, MIDENT_EINVAL, "InvalidResourceType",
                    "The resource type is not supported by mident's "
                    "Microsoft.App provider.");
}
