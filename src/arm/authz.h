/*
 * authz.h -- role-based access checks (Azure RBAC) over the role
 * assignments in the store.
 *
 * What it owns: deciding whether a principal may perform an operation on
 * a scope. A principal is allowed when one of its role assignments at the
 * scope or above it (subscription, resource group, resource) has a
 * built-in role (roles.h) whose actions -- or, for data-plane operations,
 * dataActions -- grant the operation.
 *
 * Role assignments are stored by the resource manager as
 * Microsoft.Authorization/roleAssignments resources. An authz keeps an
 * index of them and rebuilds it when the store's change-feed revision
 * moves, so checks cost a scan of a small in-memory array, not a query.
 *
 * How it fits: arm/ checks every ARM call with it; the Key Vault data
 * plane (vault/) can check data actions such as
 * "Microsoft.KeyVault/vaults/secrets/getSecret/action" with it.
 *
 * Thread safety: an authz may be used by any number of threads.
 */
#ifndef MID_ARM_AUTHZ_H
#define MID_ARM_AUTHZ_H

#include "core/err.h"
#include "store/store.h"

typedef struct authz authz;

#define AUTHZ_ASSIGNMENT_TYPE "Microsoft.Authorization/roleAssignments"

authz *authz_new(mid_store *s, mident_error *err);
void authz_free(authz *z);

/* 1 if `principal` may perform `op` on `scope` (an ARM id), 0 if not, -1
 * on a store error. data=1 checks dataActions instead of actions. */
int authz_check(authz *z, const char *principal, const char *scope,
                const char *op, int data, mident_error *err);

/* The same check reading the assignments afresh, for use inside a store
 * transaction (where the cache must not be filled). */
int authz_check_uncached(mid_store *s, const char *principal,
                         const char *scope, const char *op, int data,
                         mident_error *err);

/* 1 if the principal holds any role assignment at, above or below scope
 * (used to decide which subscriptions a caller sees). */
int authz_has_any(authz *z, const char *principal, const char *scope,
                  mident_error *err);

#endif
