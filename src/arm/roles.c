/*
 * roles.c -- Azure's built-in roles (the ones mident supports) and the
 * matching of operations against their permission patterns. See roles.h.
 *
 * The permissions are copied from Azure's built-in role definitions so a
 * role assigned here means what it means in Azure.
 */
#include "arm/roles.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const none[] = {NULL};
static const char *const all[] = {"*", NULL};
static const char *const read_all[] = {"*/read", NULL};
static const char *const contributor_not[] = {
    "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/elevateAccess/Action", NULL};
static const char *const mi_operator[] = {
    "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
    "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Support/*",
    NULL};
static const char *const ua_admin[] = {"*/read", "Microsoft.Authorization/*",
                                       "Microsoft.Support/*", NULL};
static const char *const kv_reader_actions[] = {
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.KeyVault/checkNameAvailability/read",
    "Microsoft.KeyVault/deletedVaults/read",
    "Microsoft.KeyVault/locations/*/read",
    "Microsoft.KeyVault/vaults/*/read",
    "Microsoft.KeyVault/operations/read",
    NULL};
static const char *const kv_secrets_user_data[] = {
    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action", NULL};
static const char *const kv_secrets_officer_data[] = {
    "Microsoft.KeyVault/vaults/secrets/*", NULL};
static const char *const kv_admin_data[] = {"Microsoft.KeyVault/vaults/*", NULL};

static const role_def builtins[] = {
    {ROLE_OWNER, "Owner",
     "Grants full access to manage all resources, including the ability to "
     "assign roles in Azure RBAC.",
     all, none, none, none},
    {ROLE_CONTRIBUTOR, "Contributor",
     "Grants full access to manage all resources, but does not allow you to "
     "assign roles in Azure RBAC.",
     all, contributor_not, none, none},
    {ROLE_READER, "Reader",
     "View all resources, but does not allow you to make any changes.",
     read_all, none, none, none},
    {ROLE_MI_OPERATOR, "Managed Identity Operator",
     "Read and Assign User Assigned Identity", mi_operator, none, none, none},
    {ROLE_UA_ADMIN, "User Access Administrator",
     "Lets you manage user access to Azure resources.", ua_admin, none, none,
     none},
    {ROLE_KV_SECRETS_USER, "Key Vault Secrets User",
     "Read secret contents. Only works for key vaults that use the 'Azure "
     "role-based access control' permission model.",
     none, none, kv_secrets_user_data, none},
    {ROLE_KV_SECRETS_OFFICER, "Key Vault Secrets Officer",
     "Perform any action on the secrets of a key vault, except manage "
     "permissions. Only works for key vaults that use the 'Azure role-based "
     "access control' permission model.",
     kv_reader_actions, none, kv_secrets_officer_data, none},
    {ROLE_KV_ADMIN, "Key Vault Administrator",
     "Perform all data plane operations on a key vault and all objects in "
     "it, including certificates, keys, and secrets. Cannot manage key vault "
     "resources or manage role assignments. Only works for key vaults that "
     "use the 'Azure role-based access control' permission model.",
     kv_reader_actions, none, kv_admin_data, none},
};

const role_def *role_builtins(size_t *n)
{
    *n = sizeof builtins / sizeof builtins[0];
    return builtins;
}

const role_def *role_by_id(const char *guid)
{
    if (!guid)
        return NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcasecmp(builtins[i].id, guid) == 0)
            return &builtins[i];
    return NULL;
}

const role_def *role_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcasecmp(builtins[i].name, name) == 0)
            return &builtins[i];
    return NULL;
}

const role_def *role_by_definition_id(const char *def_id)
{
    if (!def_id)
        return NULL;
    const char *slash = strrchr(def_id, '/');
    if (!slash)
        return role_by_id(def_id);
    /* Must be ".../providers/Microsoft.Authorization/roleDefinitions/{g}" */
    static const char suffix[] = "/providers/Microsoft.Authorization/roleDefinitions";
    size_t ls = sizeof suffix - 1, at = (size_t)(slash - def_id);
    if (at < ls || strncasecmp(slash - ls, suffix, ls) != 0)
        return NULL;
    return role_by_id(slash + 1);
}

/* Glob match, case-insensitive; '*' matches any run (also across '/'),
 * and a segment that is just '*' may also vanish with its '/'. */
static int glob(const char *start, const char *p, const char *s)
{
    while (*p) {
        if (*p == '*') {
            /* A whole-segment '*' may match no segment: skip it and the
             * '/' after it. */
            if (p > start && p[-1] == '/' && p[1] == '/' &&
                glob(start, p + 2, s))
                return 1;
            for (const char *t = s;; t++) {
                if (glob(start, p + 1, t))
                    return 1;
                if (!*t)
                    return 0;
            }
        }
        if (!*s || tolower((unsigned char)*p) != tolower((unsigned char)*s))
            return 0;
        p++;
        s++;
    }
    return *s == '\0';
}

int role_pattern_match(const char *pattern, const char *op)
{
    if (!pattern || !op)
        return 0;
    return glob(pattern, pattern, op);
}

static int any_match(const char *const *pats, const char *op)
{
    for (; pats && *pats; pats++)
        if (role_pattern_match(*pats, op))
            return 1;
    return 0;
}

int role_allows(const role_def *r, const char *op, int data)
{
    if (!r || !op)
        return 0;
    if (data)
        return any_match(r->data_actions, op) &&
               !any_match(r->not_data_actions, op);
    return any_match(r->actions, op) && !any_match(r->not_actions, op);
}
