/*
 * ids.h -- ARM paths and resource ids: parsing and building.
 *
 * What it owns: the grammar of ARM request paths
 *
 *   /tenants
 *   /subscriptions[/{sub}]
 *   /subscriptions/{sub}/resourceGroups[/{rg}]
 *   /subscriptions/{sub}/providers[/{namespace}]
 *   /subscriptions/{sub}/operationresults/{op}
 *   {scope}/providers/{namespace}/{type}[/{name}[/{type}[/{name}...]]]
 *   /providers/{namespace}/{type}[/{name}]          (tenant-level)
 *
 * where {scope} is a subscription, a resource group or (for extension
 * resources such as role assignments and identities/default) any resource
 * id. Keywords (subscriptions, resourceGroups, providers), namespaces and
 * types compare case-insensitively; names are kept as written.
 *
 * How it fits: arm.c parses every request path once with arm_path_parse
 * and routes on the result; resource providers use arm_id_* to build the
 * canonical ids they store. Pure functions, no I/O, thread-safe.
 */
#ifndef MID_ARM_IDS_H
#define MID_ARM_IDS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define ARM_MAX_SEGS 32
#define ARM_MAX_DEPTH 6 /* nested types in one provider block */

typedef enum {
    ARM_P_TENANTS = 1,   /* /tenants */
    ARM_P_SUBSCRIPTIONS, /* /subscriptions */
    ARM_P_SUBSCRIPTION,  /* /subscriptions/{sub} */
    ARM_P_GROUPS,        /* /subscriptions/{sub}/resourceGroups */
    ARM_P_GROUP,         /* /subscriptions/{sub}/resourceGroups/{rg} */
    ARM_P_PROVIDERS,     /* /subscriptions/{sub}/providers */
    ARM_P_PROVIDER,      /* /subscriptions/{sub}/providers/{ns} */
    ARM_P_OPRESULT,      /* /subscriptions/{sub}/operationresults/{op} */
    ARM_P_RESOURCE       /* {scope}/providers/{ns}/{type}[/{name}...] */
} arm_path_kind;

/* A parsed path. All strings point into `store`, a private copy of the
 * path; the struct is self-contained and may be copied by value. */
typedef struct {
    arm_path_kind kind;
    char store[2048];
    const char *sub;          /* NULL for tenant-level paths */
    const char *rg;           /* NULL outside a resource group */
    const char *op;           /* ARM_P_OPRESULT */
    /* ARM_P_PROVIDER and ARM_P_RESOURCE: the last provider block. */
    const char *ns;
    int depth;                          /* number of types in the block */
    const char *types[ARM_MAX_DEPTH];
    const char *names[ARM_MAX_DEPTH];   /* names[depth-1] may be NULL */
    /* ARM_P_RESOURCE: the scope the last provider block hangs under (a
     * subscription, a group or a resource id), as written in the path,
     * and the number of provider blocks in the path (>1 means an
     * extension resource on a resource). */
    char scope[1024];
    int n_blocks;
} arm_path;

/* Parses `path` (no query string). Returns 0 and fills *out, or -1 with
 * MIDENT_EINVAL (a malformed path) or MIDENT_ENOTFOUND (not an ARM path:
 * the first segment is not subscriptions/tenants/providers). */
int arm_path_parse(const char *path, arm_path *out, mident_error *err);

/* 1 if p names one resource (every type in the last block has a name). */
int arm_path_is_item(const arm_path *p);
/* 1 if p is a collection: the last type has no name. */
int arm_path_is_collection(const arm_path *p);
/* The full type of the last block, "Microsoft.App/containerApps" (or with
 * nested types "ns/t1/t2"), as written, into out. */
void arm_path_type(const arm_path *p, char *out, size_t n);

/* Case-insensitive equality of two ids or keywords. */
int arm_ieq(const char *a, const char *b);
/* 1 if `scope` equals `id` or is a proper ancestor of it at a segment
 * boundary ("/subscriptions/s" is an ancestor of "/subscriptions/s/x"
 * but not of "/subscriptions/s2"), case-insensitively. */
int arm_scope_covers(const char *scope, const char *id);

/* Canonical ids. */
void arm_id_subscription(buf *b, const char *sub);
void arm_id_group(buf *b, const char *sub, const char *rg);
/* {scope}/providers/{ns}/{type}/{name}; scope may be "" (tenant level). */
void arm_id_resource(buf *b, const char *scope, const char *ns,
                     const char *type, const char *name);

/* A parsed resource id (a complete item path), for ids found inside
 * documents such as userAssignedIdentities keys or environmentId. Fails
 * with EINVAL when `id` is not a single resource of the given full type
 * ("Microsoft.ManagedIdentity/userAssignedIdentities") at group level. */
int arm_id_parse_typed(const char *id, const char *full_type, arm_path *out,
                       mident_error *err);

/* Name rules. Each returns 0, or -1 with EINVAL and a message saying the
 * rule. */
int arm_name_check_group(const char *name, mident_error *err);
/* Generic resource names: 1..max chars of [A-Za-z0-9_-.()], not ending in
 * '.', first char alphanumeric. */
int arm_name_check_generic(const char *name, size_t max, mident_error *err);
/* Container app / managed environment names: lower-case letters, digits
 * and '-', starting with a letter, ending with an alphanumeric, min..max. */
int arm_name_check_dns(const char *name, size_t min, size_t max,
                       mident_error *err);

#endif
