/*
 * roles.h -- built-in role definitions and permission matching.
 *
 * What it owns: the table of Azure's built-in roles mident supports, with
 * Azure's GUIDs, names and permissions (actions, notActions, dataActions,
 * notDataActions), and the rule that decides whether a role grants an
 * operation: an operation is allowed when some `actions` pattern matches it
 * and no `notActions` pattern does (dataActions/notDataActions likewise for
 * data-plane operations). Patterns are case-insensitive; '*' matches any
 * run of characters, and a '*' that is a whole path segment
 * may also match no segment at all (so the pattern
 * "Microsoft.ManagedIdentity/userAssignedIdentities/ * /read", without the
 * spaces, grants ".../userAssignedIdentities/read").
 *
 * How it fits: authz.c evaluates a caller's role assignments with
 * role_allows(); rbac.c serves the table as Microsoft.Authorization/
 * roleDefinitions. Pure data and functions; thread-safe.
 */
#ifndef MID_ARM_ROLES_H
#define MID_ARM_ROLES_H

#include <stddef.h>

typedef struct {
    const char *id;          /* GUID, as Azure's */
    const char *name;        /* roleName */
    const char *description;
    const char *const *actions;
    const char *const *not_actions;
    const char *const *data_actions;
    const char *const *not_data_actions;
} role_def;

#define ROLE_OWNER "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
#define ROLE_CONTRIBUTOR "b24988ac-6180-42a0-ab88-20f7382dd24c"
#define ROLE_READER "acdd72a7-3c48-4b2a-8f25-8b3a8c0ad5f1"
#define ROLE_MI_OPERATOR "f1a07417-d97a-45cb-824c-7a7467783830"
#define ROLE_UA_ADMIN "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
#define ROLE_KV_SECRETS_USER "4633458b-17de-408a-b874-0445c86b69e6"
#define ROLE_KV_SECRETS_OFFICER "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
#define ROLE_KV_ADMIN "00482a5a-887f-4fb3-b363-3b7fe8e74483"

/* The built-in roles, n of them. */
const role_def *role_builtins(size_t *n);
/* By GUID (case-insensitive), or NULL. */
const role_def *role_by_id(const char *guid);
/* By roleName (case-insensitive), or NULL. */
const role_def *role_by_name(const char *name);
/* The GUID at the end of a role definition id ("/subscriptions/s/providers/
 * Microsoft.Authorization/roleDefinitions/{guid}" or a bare GUID), or
 * NULL if it is not one of the built-ins. */
const role_def *role_by_definition_id(const char *def_id);

/* 1 if `pattern` matches `op` (see above). */
int role_pattern_match(const char *pattern, const char *op);
/* 1 if role r grants op; data selects dataActions/notDataActions. */
int role_allows(const role_def *r, const char *op, int data);

#endif
