/*
 * arm.h -- the resource manager: mident's Azure Resource Manager-compatible
 * control plane (subscriptions, resource groups, user-assigned identities,
 * managed environments, container apps, role definitions/assignments).
 *
 * What it owns: routing of ARM paths, validation of ARM documents, the
 * identity semantics of resources (a write that turns a system-assigned
 * identity on creates its principal in the same store transaction), ARM's
 * error shape, and authorization (caller's role assignments at the scope or
 * above) on every call.
 *
 * How it fits: the server's router hands it every request whose path
 * starts with /subscriptions, /tenants or /providers. Authentication uses
 * the token service (sts_verify); storage uses the store interface; no
 * SQL and no keys here.
 *
 * Thread safety: arm_handle may be called concurrently from the HTTP pool.
 */
#ifndef MID_ARM_H
#define MID_ARM_H

#include "core/err.h"
#include "core/http.h"
#include "store/store.h"
#include "sts/sts.h"

typedef struct arm arm;

typedef struct {
    mid_store *store;
    sts *sts;
    const char *public_url;       /* "https://127.0.0.1:8443" */
    const char *tenant_id;
    const char *subscription_id;
    const char *admin_object_id;  /* made Owner of the subscription */
} arm_config;

/* Creates the resource manager; ensures the subscription exists and the
 * admin principal holds Owner on it. */
arm *arm_new(const arm_config *cfg, mident_error *err);
void arm_free(arm *a);

/* Returns 1 and fills res if the path belongs to ARM, else 0. */
int arm_handle(arm *a, const http_req *req, http_res *res);

#endif
