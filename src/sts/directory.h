/*
 * directory.h -- the directory: one tenant, one subscription, and the
 * service principals (managed identities and applications) in it.
 *
 * What it owns: creating and deleting principals and application secrets,
 * and checking a client secret. Client secrets are generated here with 256
 * bits of entropy, returned once to the caller, and stored only as a
 * SHA-256 hash (a 256-bit random secret needs no slow hash); checks compare
 * hashes in constant time.
 *
 * The resource manager (arm/) calls directory_create_managed_identity and
 * directory_delete_principal inside its own store transaction, so a
 * resource and its principal are written together.
 *
 * Thread-safe (all state is in the store).
 */
#ifndef MID_DIRECTORY_H
#define MID_DIRECTORY_H

#include "core/err.h"
#include "store/store.h"

typedef struct {
    char tenant_id[37];
    char subscription_id[37];
    char admin_object_id[37];
    char admin_app_id[37];
} directory_info;

/* Creates the tenant, the subscription and the admin application on first
 * start (the admin's secret is then returned in *admin_secret, malloc'd,
 * else *admin_secret is NULL); later starts load them. */
int directory_bootstrap(mid_store *s, directory_info *out, char **admin_secret,
                        mident_error *err);

/* A new Application principal with one client secret (returned once in
 * *secret, malloc'd). */
int directory_create_application(mid_store *s, const char *display_name,
                                 store_principal *out, char **secret,
                                 mident_error *err);
/* Adds a client secret to an application; returned once in *secret. */
int directory_add_secret(mid_store *s, const char *object_id, char **secret,
                         mident_error *err);
/* A fresh secret of the same kind (256 bits, base64url; returned once in
 * *secret, malloc'd) and the only form to store: its SHA-256 in hex. Used
 * for application secrets and node credentials (sts_node_add). */
int directory_new_secret(char **secret, char hash[65], mident_error *err);
/* 1 if secret hashes to `hash` (compared in constant time), else 0. */
int directory_secret_matches(const char *secret, const char *hash);
/* Finds the application with app_id and checks secret against its hashes
 * in constant time. EAUTH when the secret is wrong or the app unknown
 * (same message both ways, so callers cannot probe for app ids). */
int directory_check_secret(mid_store *s, const char *app_id, const char *secret,
                           store_principal *out, mident_error *err);

/* A new ManagedIdentity principal with fresh object and app ids, tied to
 * resource_id (the identity resource, or the owning resource for a
 * system-assigned identity). */
int directory_create_managed_identity(mid_store *s, const char *display_name,
                                      const char *resource_id,
                                      store_principal *out, mident_error *err);
int directory_delete_principal(mid_store *s, const char *object_id,
                               mident_error *err);

#endif
