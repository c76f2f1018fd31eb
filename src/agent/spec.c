/*
 * spec.c -- the agent's view of a container app (ag_spec), built from the
 * app's stored ARM document (see docs/arm.md for its shape):
 *   identity.type / principalId / userAssignedIdentities{id:{principalId,
 *   clientId}}                       -> the identities tokens may be for;
 *   properties.runningStatus         -> Stopped means no replicas;
 *   properties.template.containers[0] command + args, env (value or
 *   secretRef into configuration.secrets), image;
 *   properties.template.scale.minReplicas (at least 1 when running);
 *   properties.latestRevisionName    -> the revision replicas belong to.
 * The fingerprint covers exactly what a running replica was started with,
 * so identity changes never restart replicas and template changes do.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent_int.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"

char *ag_lower(const char *src)
{
    char *s = strdup(src ? src : "");
    if (s)
        for (char *p = s; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return s;
}

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

static void spec_free(ag_spec *s)
{
    free(s->id);
    free(s->key);
    free(s->rg);
    free(s->name);
    free(s->system.resource_id);
    for (size_t i = 0; i < s->n_ua; i++)
        free(s->ua[i].resource_id);
    free(s->ua);
    free(s->revision);
    free(s->image);
    free_strv(s->argv);
    if (s->env)
        for (char **p = s->env; *p; p++)
            memset(*p, 0, strlen(*p)); /* secret values */
    free_strv(s->env);
    if (s->fingerprint)
        memset(s->fingerprint, 0, strlen(s->fingerprint));
    free(s->fingerprint);
    free(s);
}

void spec_ref(ag_spec *s) { __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED); }

void spec_unref(ag_spec *s)
{
    if (s && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        spec_free(s);
}

int spec_has_identity(const ag_spec *s, const char *object_id)
{
    if (s->has_system && strcasecmp(s->system.object_id, object_id) == 0)
        return 1;
    for (size_t i = 0; i < s->n_ua; i++)
        if (strcasecmp(s->ua[i].object_id, object_id) == 0)
            return 1;
    return 0;
}

static void copy36(char dst[37], const char *src)
{
    dst[0] = '\0';
    if (src && strlen(src) <= 36)
        strcpy(dst, src);
}

/* "rg" and "name" of /subscriptions/S/resourceGroups/RG/providers/NS/T/NAME */
static void id_parts(const char *id, ag_spec *s)
{
    const char *rg = strcasestr(id, "/resourceGroups/");
    char tmp[256] = "";
    if (rg) {
        rg += strlen("/resourceGroups/");
        size_t n = strcspn(rg, "/");
        if (n >= sizeof tmp)
            n = sizeof tmp - 1;
        memcpy(tmp, rg, n);
        tmp[n] = '\0';
    }
    s->rg = ag_lower(tmp[0] ? tmp : "_");
    const char *slash = strrchr(id, '/');
    s->name = ag_lower(slash ? slash + 1 : id);
}

static int load_identities(ag_spec *s, const cJSON *doc, ag_principal_fn pfn,
                           void *pctx, mident_error *err)
{
    const cJSON *idn = json_get_ci(doc, "identity");
    const cJSON *t = json_get_ci(idn, "type");
    const char *type = cJSON_IsString(t) ? t->valuestring : "None";
    int sys = strcasestr(type, "SystemAssigned") != NULL;
    int user = strcasestr(type, "UserAssigned") != NULL;
    const cJSON *pid = json_get_ci(idn, "principalId");
    if (sys && cJSON_IsString(pid) && strlen(pid->valuestring) == 36) {
        s->has_system = 1;
        copy36(s->system.object_id, pid->valuestring);
        if (pfn && pfn(pctx, s->system.object_id, s->system.client_id) < 0)
            s->system.client_id[0] = '\0';
        if (!(s->system.resource_id = strdup(s->id)))
            return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    }
    const cJSON *map = json_get_ci(idn, "userAssignedIdentities");
    if (!user || !cJSON_IsObject(map))
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(map);
    if (!n)
        return 0;
    if (!(s->ua = calloc(n, sizeof *s->ua)))
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    const cJSON *e;
    cJSON_ArrayForEach(e, map)
    {
        const char *p = json_get_str(e, "principalId");
        const char *c = json_get_str(e, "clientId");
        if (!e->string || !p || strlen(p) != 36)
            continue;
        ag_identity *u = &s->ua[s->n_ua];
        copy36(u->object_id, p);
        copy36(u->client_id, c);
        if (!(u->resource_id = strdup(e->string)))
            return mid_fail(err, MIDENT_ENOMEM, "out of memory");
        s->n_ua++;
    }
    return 0;
}

static const cJSON *find_secret(const cJSON *secrets, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, secrets)
    {
        const char *n = json_get_str(e, "name");
        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

/* argv from command + args; env from the container's env list. */
static int load_run(ag_spec *s, const cJSON *props, mident_error *err)
{
    const cJSON *conf = json_get_ci(props, "configuration");
    const cJSON *secrets = json_get_ci(conf, "secrets");
    const cJSON *tmpl = json_get_ci(props, "template");
    const cJSON *cts = json_get_ci(tmpl, "containers");
    const cJSON *ct = cJSON_IsArray(cts) ? cJSON_GetArrayItem(cts, 0) : NULL;
    const cJSON *rev = json_get_ci(props, "latestRevisionName");
    s->revision = strdup(cJSON_IsString(rev) ? rev->valuestring : s->name);
    const cJSON *img = json_get_ci(ct, "image");
    s->image = strdup(cJSON_IsString(img) ? img->valuestring : "");
    if (!s->revision || !s->image)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");

    const cJSON *cmd = json_get_ci(ct, "command");
    const cJSON *args = json_get_ci(ct, "args");
    size_t n = (size_t)(cJSON_IsArray(cmd) ? cJSON_GetArraySize(cmd) : 0) +
               (size_t)(cJSON_IsArray(args) ? cJSON_GetArraySize(args) : 0);
    if (!(s->argv = calloc(n + 1, sizeof *s->argv)))
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    size_t k = 0;
    const cJSON *lists[2] = {cmd, args};
    for (int l = 0; l < 2; l++) {
        const cJSON *e;
        if (!cJSON_IsArray(lists[l]))
            continue;
        cJSON_ArrayForEach(e, lists[l]) if (cJSON_IsString(e))
        {
            if (!(s->argv[k++] = strdup(e->valuestring)))
                return mid_fail(err, MIDENT_ENOMEM, "out of memory");
        }
    }

    const cJSON *env = json_get_ci(ct, "env");
    size_t ne = (size_t)(cJSON_IsArray(env) ? cJSON_GetArraySize(env) : 0);
    if (!(s->env = calloc(ne + 1, sizeof *s->env)))
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    k = 0;
    const cJSON *e;
    if (cJSON_IsArray(env))
        cJSON_ArrayForEach(e, env)
        {
            const char *name = json_get_str(e, "name");
            if (!name || !*name || strchr(name, '='))
                continue;
            const char *val = json_get_str(e, "value");
            const char *ref = json_get_str(e, "secretRef");
            if (ref) {
                const cJSON *sec = find_secret(secrets, ref);
                val = json_get_str(sec, "value");
                if (!val) {
                    log_warn("agent", "%s: env %s refers to secret '%s' "
                             "without a value here (Key Vault references are "
                             "not resolved); left empty", s->id, name, ref);
                    val = "";
                }
            }
            buf b;
            buf_init(&b);
            buf_printf(&b, "%s=%s", name, val ? val : "");
            if (!(s->env[k++] = buf_steal(&b, NULL)))
                return mid_fail(err, MIDENT_ENOMEM, "out of memory");
        }

    const cJSON *scale = json_get_ci(tmpl, "scale");
    int64_t mn = json_get_int64(scale, "minReplicas", 0);
    if (mn < 1)
        mn = 1;
    if (mn > 1000)
        mn = 1000;
    const cJSON *running = json_get_ci(props, "runningStatus");
    s->running = !(cJSON_IsString(running) &&
                   strcasecmp(running->valuestring, "Stopped") == 0);
    s->want = s->running && s->argv[0] ? (int)mn : 0;

    /* What a replica was started with. */
    buf fp;
    buf_init(&fp);
    buf_printf(&fp, "%s\n%s\n", s->revision, s->image);
    for (char **p = s->argv; *p; p++)
        buf_printf(&fp, "a:%s\n", *p);
    for (char **p = s->env; *p; p++)
        buf_printf(&fp, "e:%s\n", *p);
    if (!(s->fingerprint = buf_steal(&fp, NULL)))
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    return 0;
}

ag_spec *spec_from_doc(const char *id, const cJSON *doc, ag_principal_fn pfn,
                       void *pctx, mident_error *err)
{
    ag_spec *s = calloc(1, sizeof *s);
    if (!s) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    s->refs = 1;
    s->id = strdup(id);
    s->key = ag_lower(id);
    if (!s->id || !s->key) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        spec_free(s);
        return NULL;
    }
    id_parts(id, s);
    if (!s->rg || !s->name || load_identities(s, doc, pfn, pctx, err) < 0 ||
        load_run(s, json_get_ci(doc, "properties"), err) < 0) {
        if (!s->rg || !s->name)
            mid_fail(err, MIDENT_ENOMEM, "out of memory");
        spec_free(s);
        return NULL;
    }
    return s;
}
