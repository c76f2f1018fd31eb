/*
 * subscriptions.c -- the directory as ARM shows it: /tenants,
 * /subscriptions, /subscriptions/{s} and the resource providers
 * (/subscriptions/{s}/providers[/{namespace}], and .../register).
 *
 * mident has one tenant and one subscription (from the directory). A
 * caller sees the subscription when it holds a role assignment anywhere in
 * it (as in Azure, where a subscription is listed to anyone with access
 * to some part of it). Providers are static metadata, readable by any
 * authenticated caller; every namespace mident serves is "Registered".
 */
#include <stdio.h>
#include <string.h>

#include "arm/arm_int.h"
#include "core/json.h"

typedef struct {
    const char *type;
    const char *const *versions;
} provider_type;

typedef struct {
    const char *ns;
    const provider_type *types;
} provider;

/* Newest stable first (az resource picks the first non-preview one). */
static const char *const app_versions[] = {
    "2025-07-01", "2025-01-01", "2024-03-01", "2023-05-01", "2022-10-01",
    "2022-03-01", "2025-10-02-preview", "2024-10-02-preview",
    "2023-11-02-preview", "2022-06-01-preview", NULL};
static const char *const msi_versions[] = {
    "2024-11-30", "2023-01-31", "2018-11-30", "2025-05-31-preview",
    "2023-07-31-preview", "2022-01-31-preview", NULL};
static const char *const kv_versions[] = {"2024-11-01", "2023-07-01",
                                          "2022-07-01", "2021-10-01", NULL};
static const char *const res_versions[] = {
    "2025-04-01", "2024-03-01", "2022-09-01", "2021-04-01", "2020-06-01",
    "2019-11-01", "2019-10-01", NULL};
static const char *const authz_versions[] = {
    "2022-04-01", "2020-10-01", "2018-07-01", "2015-07-01",
    "2022-05-01-preview", NULL};

static const provider_type app_types[] = {
    {"containerApps", app_versions},
    {"managedEnvironments", app_versions},
    {"locations", app_versions},
    {"locations/containerappOperationStatuses", app_versions},
    {"locations/managedEnvironmentOperationStatuses", app_versions},
    {"operations", app_versions},
    {NULL, NULL}};
static const provider_type msi_types[] = {
    {"userAssignedIdentities", msi_versions},
    {"identities", msi_versions},
    {"operations", msi_versions},
    {NULL, NULL}};
static const provider_type kv_types[] = {
    {"vaults", kv_versions},
    {"vaults/secrets", kv_versions},
    {"operations", kv_versions},
    {NULL, NULL}};
static const provider_type res_types[] = {
    {"resourceGroups", res_versions},
    {"subscriptions", res_versions},
    {"tenants", res_versions},
    {"operationresults", res_versions},
    {"providers", res_versions},
    {NULL, NULL}};
static const provider_type authz_types[] = {
    {"roleAssignments", authz_versions},
    {"roleDefinitions", authz_versions},
    {NULL, NULL}};

static const provider providers[] = {
    {"Microsoft.App", app_types},
    {"Microsoft.ManagedIdentity", msi_types},
    {"Microsoft.KeyVault", kv_types},
    {"Microsoft.Resources", res_types},
    {"Microsoft.Authorization", authz_types},
};
#define N_PROVIDERS (sizeof providers / sizeof providers[0])

static const char *const locations[] = {"East US", "East US 2", "West US",
                                        "West US 2", "North Europe",
                                        "West Europe", NULL};

int arm_namespace_known(const char *ns, const char **canon)
{
    for (size_t i = 0; i < N_PROVIDERS; i++)
        if (arm_ieq(providers[i].ns, ns)) {
            if (canon)
                *canon = providers[i].ns;
            return 1;
        }
    return 0;
}

static cJSON *strings(const char *const *v)
{
    cJSON *a = cJSON_CreateArray();
    for (; v && *v; v++)
        cJSON_AddItemToArray(a, cJSON_CreateString(*v));
    return a;
}

static cJSON *provider_doc(const arm *a, const provider *p)
{
    char id[256];
    snprintf(id, sizeof id, "/subscriptions/%s/providers/%s", a->sub, p->ns);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", id);
    cJSON_AddStringToObject(d, "namespace", p->ns);
    cJSON_AddStringToObject(d, "registrationState", "Registered");
    cJSON_AddStringToObject(d, "registrationPolicy", "RegistrationRequired");
    cJSON *types = cJSON_AddArrayToObject(d, "resourceTypes");
    for (const provider_type *t = p->types; t->type; t++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "resourceType", t->type);
        cJSON_AddItemToObject(o, "locations", strings(locations));
        cJSON_AddItemToObject(o, "apiVersions", strings(t->versions));
        cJSON_AddStringToObject(o, "capabilities", "None");
        cJSON_AddItemToArray(types, o);
    }
    return d;
}

static cJSON *subscription_doc(const arm *a)
{
    char id[128];
    snprintf(id, sizeof id, "/subscriptions/%s", a->sub);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", id);
    cJSON_AddStringToObject(d, "authorizationSource", "RoleBased");
    cJSON_AddArrayToObject(d, "managedByTenants");
    cJSON_AddStringToObject(d, "subscriptionId", a->sub);
    cJSON_AddStringToObject(d, "tenantId", a->tenant_id);
    cJSON_AddStringToObject(d, "displayName", "mident");
    cJSON_AddStringToObject(d, "state", "Enabled");
    cJSON *pol = cJSON_AddObjectToObject(d, "subscriptionPolicies");
    cJSON_AddStringToObject(pol, "locationPlacementId", "Public_2014-09-01");
    cJSON_AddStringToObject(pol, "quotaId", "PayAsYouGo_2014-09-01");
    cJSON_AddStringToObject(pol, "spendingLimit", "Off");
    return d;
}

static int send(arm_call *c, cJSON *doc)
{
    http_res_json(c->res, 200, doc);
    cJSON_Delete(doc);
    return 0;
}

static cJSON *value_of(cJSON *item)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *v = cJSON_AddArrayToObject(o, "value");
    if (item)
        cJSON_AddItemToArray(v, item);
    return o;
}

int arm_tenants(arm_call *c)
{
    char id[64];
    snprintf(id, sizeof id, "/tenants/%s", c->a->tenant_id);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "id", id);
    cJSON_AddStringToObject(t, "tenantId", c->a->tenant_id);
    cJSON_AddStringToObject(t, "tenantCategory", "Home");
    cJSON_AddStringToObject(t, "displayName", "mident");
    cJSON_AddStringToObject(t, "defaultDomain", "mident.local");
    cJSON *domains = cJSON_AddArrayToObject(t, "domains");
    cJSON_AddItemToArray(domains, cJSON_CreateString("mident.local"));
    return send(c, value_of(t));
}

/* 1 if the caller may see the subscription at all. */
static int sees_subscription(arm_call *c)
{
    char scope[64];
    snprintf(scope, sizeof scope, "/subscriptions/%s", c->a->sub);
    return authz_has_any(c->a->authz, c->caller, scope, &c->err);
}

int arm_subscriptions(arm_call *c)
{
    int sees = sees_subscription(c);
    if (sees < 0)
        return -1;
    return send(c, value_of(sees ? subscription_doc(c->a) : NULL));
}

int arm_subscription(arm_call *c)
{
    int sees = sees_subscription(c);
    if (sees < 0)
        return -1;
    if (!sees) {
        char scope[64];
        snprintf(scope, sizeof scope, "/subscriptions/%s", c->a->sub);
        return arm_authorize(c, scope, "Microsoft.Resources/subscriptions/read");
    }
    return send(c, subscription_doc(c->a));
}

int arm_providers(arm_call *c)
{
    cJSON *o = value_of(NULL);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
    for (size_t i = 0; i < N_PROVIDERS; i++)
        cJSON_AddItemToArray(v, provider_doc(c->a, &providers[i]));
    return send(c, o);
}

int arm_provider(arm_call *c, const char *ns)
{
    for (size_t i = 0; i < N_PROVIDERS; i++)
        if (arm_ieq(providers[i].ns, ns))
            return send(c, provider_doc(c->a, &providers[i]));
    return arm_fail(c, MIDENT_ENOTFOUND, "InvalidResourceNamespace",
                    "The resource namespace '%.100s' is invalid.", ns);
}
