/*
 * arm_int.h -- what the files of arm/ share, and nothing outside arm/ uses.
 *
 * The shape of a call: arm.c parses the path, authenticates the caller
 * (authn.c), checks api-version, routes on the parsed path to a resource
 * provider (subscriptions.c, groups.c, msi.c, environments.c,
 * containerapps.c, rbac.c, lro.c) after authorizing the operation
 * (authz.c). Providers describe their resource types with an arm_kind and
 * let resource.c do the common work: load, check preconditions, apply,
 * write in one store transaction, answer. Every failure travels up as -1
 * with the error recorded in the arm_call; errors.c alone turns it into
 * ARM's error response.
 */
#ifndef MID_ARM_INT_H
#define MID_ARM_INT_H

#include <cJSON.h>
#include <pthread.h>
#include <stdint.h>

#include "arm/arm.h"
#include "arm/authz.h"
#include "arm/identity.h"
#include "arm/ids.h"
#include "core/buf.h"

struct arm {
    mid_store *store;
    sts *sts;
    authz *authz;
    char public_url[512];
    char tenant_id[37];
    char sub[37];
    char admin_oid[37];
    unsigned long ops_recorded; /* operation records written (atomic) */
};

typedef struct {
    arm *a;
    const http_req *req;
    http_res *res;
    arm_path path;
    const char *api_version;
    char caller[37];          /* the token's oid */
    const char *caller_type;  /* systemData: "Application"|"ManagedIdentity" */
    int in_tx;                /* inside a store transaction (authz must
                                 then not use its cache) */
    /* The failure, if any (see errors.c). */
    mident_error err;
    char message[1024];       /* ARM message; "" = err.message */
    char code[64];            /* ARM error code; "" = derived from err */
    char target[256];
    int status;               /* 0 = derived from err.code */
} arm_call;

/* ---- errors.c ------------------------------------------------------- */

/* Records a failure with an ARM code; returns -1. */
int arm_fail(arm_call *c, mident_code code, const char *arm_code,
             const char *fmt, ...) MID_PRINTF(4, 5);
/* Keeps c->err (filled by a lower layer) and sets the ARM code unless one
 * is set already; returns -1. NULL code keeps the derived one. */
int arm_fail_as(arm_call *c, const char *arm_code);
/* The single place that writes an error response from c. */
void arm_respond_error(arm_call *c);
/* 405 for a method the path does not support; returns -1. */
int arm_bad_method(arm_call *c);
/* The ARM code and HTTP status for a mident code. */
const char *arm_default_code(mident_code code, int *status);

/* ---- authn.c -------------------------------------------------------- */

/* Verifies the bearer token; fills c->caller. -1 = 401 recorded. */
int arm_authenticate(arm_call *c);

/* ---- arm.c: authorization of the caller (see authz.h) ---------------- */

/* 0 if the caller may perform `action` on `scope`, else -1 with 403
 * AuthorizationFailed recorded. */
int arm_authorize(arm_call *c, const char *scope, const char *action);
/* The same check, answering 1/0 (-1 on a store error). */
int arm_may(arm_call *c, const char *scope, const char *action);

/* ---- resource.c: the common resource engine -------------------------- */

typedef struct arm_kind arm_kind;

/* One write in progress (PUT or PATCH), handed to arm_kind.apply. */
typedef struct {
    const arm_kind *kind;
    const char *id;        /* canonical id */
    const char *name;
    const cJSON *cur;      /* current document, NULL when creating */
    cJSON *doc;            /* the new document: the request body (PUT) or
                              the current document merged with the patch
                              (PATCH); envelope fields already handled;
                              apply validates and completes it in place */
    int is_patch;
    const char *location;  /* normalized location of the new document */
    int created;           /* set by the engine after the write */
} arm_write;

struct arm_kind {
    const char *ns;         /* "Microsoft.App" */
    const char *type;       /* "containerApps" */
    const char *full_type;  /* "Microsoft.App/containerApps" */
    int tracked;            /* has location and tags */
    int identity;           /* has an `identity` block (apply owns it);
                               for other kinds the engine drops any
                               `identity` a client sends */
    int (*check_name)(const char *name, mident_error *err);
    /* Validates and completes w->doc; runs inside the store transaction
     * and may create or delete principals there. */
    int (*apply)(arm_call *c, arm_write *w);
    /* Removes secrets before a document is shown; may be NULL. */
    void (*render)(cJSON *doc);
    /* Refuses a delete (e.g. an environment still used); may be NULL.
     * Runs inside the store transaction. */
    int (*can_delete)(arm_call *c, const char *id, const cJSON *doc);
    /* How writes answer: 1 = create gives 201 + Azure-AsyncOperation (an
     * operation-status resource of kind `op_type` under
     * /subscriptions/{s}/providers/{ns}/locations/{loc}/). */
    int async_create;
    const char *op_type;    /* "containerappOperationStatuses" */
};

/* GET (HEAD) one resource. */
int arm_res_get(arm_call *c, const arm_kind *k, const char *id);
/* PUT (is_patch 0) or PATCH (1) a resource with the given canonical id. */
int arm_res_write(arm_call *c, const arm_kind *k, const char *id,
                  const char *name, int is_patch);
/* DELETE a resource and everything below it (extension resources, and
 * for a group every resource in it), deleting the principals of the
 * identities among them, in one transaction. Answers 200 (or 204 when
 * absent) unless lro is set: then 202 + Location to an operation result. */
int arm_res_delete(arm_call *c, const arm_kind *k, const char *id, int lro);
/* GET a collection: resources of kind k under scope, those the caller
 * may read. filter (may be NULL) keeps a document when it returns 1. */
int arm_res_list(arm_call *c, const arm_kind *k, const char *scope,
                 int (*filter)(arm_call *c, const cJSON *doc, void *ctx),
                 void *ctx);
/* Load, change with `fn`, write back: the engine used by POST actions
 * (start/stop). fn edits doc in place. Answers 200 with the document. */
int arm_res_update(arm_call *c, const arm_kind *k, const char *id,
                   int (*fn)(arm_call *c, cJSON *doc, void *ctx), void *ctx);

/* Loads a stored document; ENOTFOUND recorded as `notfound_code`
 * (e.g. "ResourceNotFound"). *out is parsed JSON, *r the raw row (either
 * may be NULL if not wanted). */
int arm_load(arm_call *c, const char *id, const char *notfound_code,
             cJSON **out, store_resource *r);
/* The resource group, with the message ARM gives when it is missing.
 * On success canon (if non-NULL) receives its canonical id. */
int arm_require_group(arm_call *c, const char *sub, const char *rg, buf *canon);
/* The RBAC action for verb ("read", "write", "delete", "x/action") on
 * resources of kind k: "Microsoft.App/containerApps/read". */
void arm_kind_action(const arm_kind *k, const char *verb, char *out, size_t n);
/* The canonical id of the group-level item the path names
 * (/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}),
 * with the group's stored spelling; 404 ResourceGroupNotFound when the
 * group does not exist. */
int arm_group_item_id(arm_call *c, const arm_kind *k, buf *id);
/* The common routes of a group-level tracked resource type: collection
 * GET by subscription or group, item GET/HEAD/PUT/PATCH/DELETE, each
 * authorized first. */
int arm_route_tracked(arm_call *c, const arm_kind *k);
/* Resource kinds by type, for routing and deletes (NULL if unknown). */
const arm_kind *arm_kind_by_type(const char *full_type);
/* Sends doc with status, adding "etag" from r and an ETag header. */
void arm_send_doc(arm_call *c, int status, cJSON *doc, const char *etag);
/* Current time as ARM's ISO-8601 ("2026-11-29T06:40:00.0000000Z"). */
void arm_now_iso(char out[40]);
/* Lower-case, no spaces: "East US" -> "eastus". */
void arm_normalize_location(const char *in, char *out, size_t n);
/* The request body as a JSON object; EINVAL recorded if it is not. */
int arm_body_object(arm_call *c, cJSON **out);
/* Deletes the principal implied by a stored document (identity
 * principalId of a system identity, properties.principalId of a
 * user-assigned identity), if any. Inside the transaction. */
int arm_delete_implied_principals(arm_call *c, const char *type,
                                  const cJSON *doc);

/* ---- lro.c ---------------------------------------------------------- */

/* Records a finished operation on `target` (a resource of kind k) and
 * writes its status URL into url, inside the caller's transaction.
 * op_type: "operationresults" (answers like a Location URL) or a status
 * type under {k->ns}/locations/{location}/ (Azure-AsyncOperation). */
int lro_record(arm_call *c, const char *target, const arm_kind *k,
               const char *location, const char *op_type, buf *url);
/* GET of an operation status / result path. */
int lro_get(arm_call *c, const char *id, int result_style);

/* ---- resource providers --------------------------------------------- */

extern const arm_kind arm_kind_group;
extern const arm_kind arm_kind_uami;
extern const arm_kind arm_kind_env;
extern const arm_kind arm_kind_app;
extern const arm_kind arm_kind_role_assignment;
extern const arm_kind arm_kind_vault;

/* subscriptions.c */
int arm_tenants(arm_call *c);
int arm_subscriptions(arm_call *c);
int arm_subscription(arm_call *c);
int arm_providers(arm_call *c);
int arm_provider(arm_call *c, const char *ns);
/* 1 if ns is a namespace mident serves; *canon receives its spelling. */
int arm_namespace_known(const char *ns, const char **canon);

/* groups.c */
int arm_groups(arm_call *c);
int arm_group(arm_call *c);

/* msi.c */
int arm_msi_route(arm_call *c);
/* Resolves a planned identity inside the transaction: new user-assigned
 * entries must exist (400) and the caller must be allowed to assign them
 * (403 LinkedAuthorizationFailed); a system identity turned on gets a new
 * principal, one turned off loses its principal. owner_id/owner_name name
 * the resource the identity belongs to. */
int identity_apply(arm_call *c, const arm_identity *cur, arm_identity *want,
                   const char *owner_id, const char *owner_name);

/* environments.c, containerapps.c */
int arm_app_route(arm_call *c);

/* vaults.c: Microsoft.KeyVault/vaults and their access policies */
int arm_kv_route(arm_call *c);

/* rbac.c */
int arm_rbac_route(arm_call *c);
/* Makes principal `oid` Owner of the subscription if it is not yet. */
int rbac_ensure_owner(arm *a, const char *oid, mident_error *err);

#endif
