/*
 * identity.c -- the ManagedServiceIdentity block: type parsing, request
 * merge and JSON form. See identity.h for the rules.
 */
#include "arm/identity.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm/ids.h"
#include "core/json.h"

#define UA_TYPE "Microsoft.ManagedIdentity/userAssignedIdentities"

int identity_parse_type(const char *s, int *system, int *user,
                        mident_error *err)
{
    char norm[64];
    size_t n = 0;
    if (!s)
        return mid_fail(err, MIDENT_EINVAL, "identity.type is required");
    for (const char *p = s; *p; p++) {
        if (*p == ' ')
            continue;
        if (n + 1 >= sizeof norm)
            break;
        norm[n++] = (char)tolower((unsigned char)*p);
    }
    norm[n] = '\0';
    *system = *user = 0;
    if (strcmp(norm, "none") == 0)
        return 0;
    if (strcmp(norm, "systemassigned") == 0) {
        *system = 1;
        return 0;
    }
    if (strcmp(norm, "userassigned") == 0) {
        *user = 1;
        return 0;
    }
    if (strcmp(norm, "systemassigned,userassigned") == 0 ||
        strcmp(norm, "userassigned,systemassigned") == 0) {
        *system = *user = 1;
        return 0;
    }
    return mid_fail(err, MIDENT_EINVAL,
                    "identity.type '%.64s' is not one of None, SystemAssigned, "
                    "UserAssigned, 'SystemAssigned,UserAssigned'", s);
}

const char *identity_type_name(int system, int user)
{
    if (system && user)
        return "SystemAssigned,UserAssigned";
    if (system)
        return "SystemAssigned";
    if (user)
        return "UserAssigned";
    return "None";
}

void identity_free(arm_identity *idn)
{
    if (!idn)
        return;
    for (size_t i = 0; i < idn->n_ua; i++)
        free(idn->ua[i].id);
    free(idn->ua);
    memset(idn, 0, sizeof *idn);
}

static void copy_uuid(char dst[37], const char *src)
{
    dst[0] = '\0';
    if (src && strlen(src) < 37)
        strcpy(dst, src);
}

static int add_ua(arm_identity *idn, const char *id, const char *principal,
                  const char *client, int is_new, mident_error *err)
{
    if (idn->n_ua >= IDENTITY_MAX_UA)
        return mid_fail(err, MIDENT_EINVAL,
                        "at most %d user-assigned identities may be attached",
                        IDENTITY_MAX_UA);
    identity_ua *grown = realloc(idn->ua, (idn->n_ua + 1) * sizeof *grown);
    if (!grown)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    idn->ua = grown;
    identity_ua *u = &idn->ua[idn->n_ua];
    memset(u, 0, sizeof *u);
    u->id = strdup(id);
    if (!u->id)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    copy_uuid(u->principal_id, principal);
    copy_uuid(u->client_id, client);
    u->is_new = is_new;
    idn->n_ua++;
    return 0;
}

int identity_has_ua(const arm_identity *idn, const char *id,
                    const identity_ua **out)
{
    for (size_t i = 0; i < idn->n_ua; i++)
        if (strcasecmp(idn->ua[i].id, id) == 0) {
            if (out)
                *out = &idn->ua[i];
            return 1;
        }
    return 0;
}

int identity_from_json(const cJSON *block, arm_identity *out, mident_error *err)
{
    memset(out, 0, sizeof *out);
    if (!block || cJSON_IsNull(block))
        return 0;
    if (!cJSON_IsObject(block))
        return mid_fail(err, MIDENT_EINVAL, "identity must be an object");
    const cJSON *t = json_get_ci(block, "type");
    if (identity_parse_type(cJSON_IsString(t) ? t->valuestring : "None",
                            &out->system, &out->user, err) < 0)
        return -1;
    if (out->system) {
        const cJSON *p = json_get_ci(block, "principalId");
        const cJSON *tn = json_get_ci(block, "tenantId");
        copy_uuid(out->principal_id, cJSON_IsString(p) ? p->valuestring : NULL);
        copy_uuid(out->tenant_id, cJSON_IsString(tn) ? tn->valuestring : NULL);
    }
    const cJSON *map = json_get_ci(block, "userAssignedIdentities");
    if (out->user && cJSON_IsObject(map)) {
        for (const cJSON *e = map->child; e; e = e->next) {
            const cJSON *p = json_get_ci(e, "principalId");
            const cJSON *c = json_get_ci(e, "clientId");
            if (add_ua(out, e->string, cJSON_IsString(p) ? p->valuestring : NULL,
                       cJSON_IsString(c) ? c->valuestring : NULL, 0, err) < 0) {
                identity_free(out);
                return -1;
            }
        }
    }
    return 0;
}

static int copy_identity(const arm_identity *src, arm_identity *dst,
                         mident_error *err)
{
    memset(dst, 0, sizeof *dst);
    dst->system = src->system;
    dst->user = src->user;
    memcpy(dst->principal_id, src->principal_id, sizeof dst->principal_id);
    memcpy(dst->tenant_id, src->tenant_id, sizeof dst->tenant_id);
    for (size_t i = 0; i < src->n_ua; i++)
        if (add_ua(dst, src->ua[i].id, src->ua[i].principal_id,
                   src->ua[i].client_id, src->ua[i].is_new, err) < 0) {
            identity_free(dst);
            return -1;
        }
    return 0;
}

/* Reads the request's userAssignedIdentities map into want. */
static int plan_user_map(const cJSON *map, const arm_identity *cur,
                         arm_identity *want, mident_error *err)
{
    if (!cJSON_IsObject(map))
        return mid_fail(err, MIDENT_EINVAL,
                        "identity.userAssignedIdentities must be an object "
                        "mapping identity resource ids to {}");
    for (const cJSON *e = map->child; e; e = e->next) {
        if (cJSON_IsNull(e))
            continue; /* "<id>": null removes the entry */
        if (!cJSON_IsObject(e))
            return mid_fail(err, MIDENT_EINVAL,
                            "the value for user-assigned identity '%.150s' "
                            "must be an object ({})", e->string);
        arm_path p;
        if (arm_id_parse_typed(e->string, UA_TYPE, &p, err) < 0)
            return -1;
        if (identity_has_ua(want, e->string, NULL))
            return mid_fail(err, MIDENT_EINVAL,
                            "user-assigned identity '%.150s' is listed twice",
                            e->string);
        const identity_ua *old = NULL;
        int rc = identity_has_ua(cur, e->string, &old)
                     ? add_ua(want, old->id, old->principal_id, old->client_id,
                              0, err)
                     : add_ua(want, e->string, NULL, NULL, 1, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int identity_plan(const cJSON *req, int present, const arm_identity *cur,
                  arm_identity *want, mident_error *err)
{
    memset(want, 0, sizeof *want);
    if (!present)
        return copy_identity(cur, want, err);
    if (!req || cJSON_IsNull(req))
        return 0;
    if (!cJSON_IsObject(req))
        return mid_fail(err, MIDENT_EINVAL, "identity must be an object");
    const cJSON *t = json_get_ci(req, "type");
    if (!cJSON_IsString(t))
        return mid_fail(err, MIDENT_EINVAL,
                        "identity.type is required and must be a string");
    if (identity_parse_type(t->valuestring, &want->system, &want->user, err) < 0)
        return -1;
    if (want->system && cur->system) {
        memcpy(want->principal_id, cur->principal_id, sizeof want->principal_id);
        memcpy(want->tenant_id, cur->tenant_id, sizeof want->tenant_id);
    }
    if (!want->user)
        return 0; /* a map with a type lacking UserAssigned detaches all */
    const cJSON *map = json_get_ci(req, "userAssignedIdentities");
    int rc = 0;
    if (!map) {
        /* Omitted: keep what is attached. */
        for (size_t i = 0; rc == 0 && i < cur->n_ua; i++)
            rc = add_ua(want, cur->ua[i].id, cur->ua[i].principal_id,
                        cur->ua[i].client_id, 0, err);
    } else if (!cJSON_IsNull(map)) {
        rc = plan_user_map(map, cur, want, err);
    }
    if (rc == 0 && want->n_ua == 0)
        rc = mid_fail(err, MIDENT_EINVAL,
                      "identity.type '%s' needs at least one entry in "
                      "identity.userAssignedIdentities",
                      identity_type_name(want->system, want->user));
    if (rc < 0) {
        identity_free(want);
        return -1;
    }
    return 0;
}

cJSON *identity_to_json(const arm_identity *idn)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = cJSON_AddStringToObject(o, "type",
                                     identity_type_name(idn->system, idn->user)) != NULL;
    if (ok && idn->system) {
        ok = cJSON_AddStringToObject(o, "principalId", idn->principal_id) &&
             cJSON_AddStringToObject(o, "tenantId", idn->tenant_id);
    }
    if (ok && idn->user) {
        cJSON *map = cJSON_AddObjectToObject(o, "userAssignedIdentities");
        ok = map != NULL;
        for (size_t i = 0; ok && i < idn->n_ua; i++) {
            cJSON *e = cJSON_CreateObject();
            ok = e && cJSON_AddStringToObject(e, "principalId",
                                              idn->ua[i].principal_id) &&
                 cJSON_AddStringToObject(e, "clientId", idn->ua[i].client_id);
            if (ok)
                ok = cJSON_AddItemToObject(map, idn->ua[i].id, e);
            else
                cJSON_Delete(e);
        }
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
