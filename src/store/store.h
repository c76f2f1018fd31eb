/*
 * store.h -- mident's storage interface. Only store/ speaks SQL.
 *
 * What it owns: every durable byte of mident's state --
 *   meta         small key/value settings (tenant id, subscription id, ...)
 *   principals   service principals of the directory (managed identities and
 *                applications)
 *   credentials  client-secret hashes of application principals
 *   signing_keys the token service's RSA keys and certificates
 *   resources    ARM resources as JSON documents with an etag and revision
 *   changes      the change feed: one row per resource or principal write,
 *                numbered by a store-wide revision
 *   audit        the append-only record of every token issued
 *   secrets      the secrets of Key Vault-compatible vaults (vault/), every
 *                version of each, keyed by the vault's internal key
 *
 * The embedded implementation is SQLite in WAL mode (store_sqlite.c). A
 * PostgreSQL backend can be added behind this same header.
 *
 * Durability: every write function returns only after its transaction is
 * committed with synchronous=FULL, so an acknowledged write survives a
 * crash or power loss. store_audit_append() groups concurrent appends into
 * one commit (group commit) but still returns only once the record is
 * durable.
 *
 * Transactions: store_begin() .. store_commit()/store_rollback() make the
 * calls between them one atomic transaction (used by the resource manager
 * to write a resource and the principal it implies together). The store
 * serialises access with a recursive lock that the calling thread holds
 * from store_begin to commit/rollback, so other threads wait meanwhile.
 * Keep transactions short. Calls outside a transaction are each their own
 * transaction.
 *
 * Ids: resource ids compare case-insensitively (ARM semantics) but are
 * returned with the case they were first created with.
 *
 * Ownership: out-structs with pointer members are filled by the store and
 * released by the caller with the matching *_free function. Inputs are
 * copied; the store keeps no pointer to caller memory.
 *
 * Thread safety: a mident store handle may be used from any thread.
 *
 * Errors: MIDENT_ENOTFOUND when a get/delete finds nothing,
 * MIDENT_ECONFLICT when an insert collides, MIDENT_EPRECONDITION when an
 * etag precondition fails, MIDENT_EIO for SQLite/disk failures.
 */
#ifndef MID_STORE_H
#define MID_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef struct mid_store mid_store;

#define STORE_ID_MAX 1024

/* Opens (creating if needed, mode 0600) the database at path and applies
 * pending schema migrations. */
mid_store *store_open(const char *path, mident_error *err);
/* Flushes pending audit records and closes. NULL is allowed. */
void store_close(mid_store *s);

int store_begin(mid_store *s, mident_error *err);
int store_commit(mid_store *s, mident_error *err);
void store_rollback(mid_store *s);

/* ---- meta ------------------------------------------------------------ */

/* *val is malloc'd (caller frees). ENOTFOUND when unset. */
int store_meta_get(mid_store *s, const char *key, char **val, mident_error *err);
int store_meta_put(mid_store *s, const char *key, const char *val,
                   mident_error *err);
/* Removes a key. ENOTFOUND if it was not set. */
int store_meta_delete(mid_store *s, const char *key, mident_error *err);

/* ---- principals ------------------------------------------------------ */

#define PRINCIPAL_MANAGED_IDENTITY "ManagedIdentity"
#define PRINCIPAL_APPLICATION "Application"

typedef struct {
    char object_id[37];    /* principalId / oid */
    char app_id[37];       /* clientId / appid */
    char display_name[256];
    char type[32];         /* PRINCIPAL_MANAGED_IDENTITY or _APPLICATION */
    char resource_id[STORE_ID_MAX]; /* xms_mirid for managed identities:
                              the identity resource (user-assigned) or the
                              owning resource (system-assigned); "" else */
    int64_t created;
} store_principal;

/* Inserts; ECONFLICT if the object id or app id exists. */
int store_principal_put(mid_store *s, const store_principal *p, mident_error *err);
int store_principal_get(mid_store *s, const char *object_id, store_principal *out,
                        mident_error *err);
int store_principal_get_by_app(mid_store *s, const char *app_id,
                               store_principal *out, mident_error *err);
/* Deletes the principal and its credentials. ENOTFOUND if absent. */
int store_principal_delete(mid_store *s, const char *object_id, mident_error *err);

/* ---- credentials (client secrets, stored only as hashes) ------------- */

typedef struct {
    char key_id[37];
    char hash[65];    /* lower-case hex SHA-256 of the secret */
    char hint[8];     /* first characters of the secret, for display */
    int64_t created;
    int64_t expires;  /* 0 = never */
} store_credential;

int store_credential_add(mid_store *s, const char *object_id,
                         const store_credential *c, mident_error *err);
/* *out is a malloc'd array of *n credentials (caller frees with free()). */
int store_credential_list(mid_store *s, const char *object_id,
                          store_credential **out, size_t *n, mident_error *err);

/* ---- signing keys (only sts/ calls these) ---------------------------- */

typedef struct {
    char kid[64];
    char *private_pem;  /* PKCS#8 PEM of the RSA private key */
    char *cert_pem;     /* PEM of the self-signed certificate */
    int64_t created;
    int64_t retired;    /* 0 while active; time it stopped signing */
} store_key;

int store_key_add(mid_store *s, const store_key *k, mident_error *err);
/* All keys, oldest first. Free with store_key_list_free. */
int store_key_list(mid_store *s, store_key **out, size_t *n, mident_error *err);
int store_key_retire(mid_store *s, const char *kid, int64_t when,
                     mident_error *err);
/* Deletes keys retired before `before` (no token signed by them can still
 * be valid). Returns the number deleted, or -1. */
int store_key_prune(mid_store *s, int64_t before, mident_error *err);
void store_key_list_free(store_key *keys, size_t n);

/* ---- resources ------------------------------------------------------- */

typedef struct {
    char *id;      /* as first created */
    char *type;    /* e.g. "Microsoft.ManagedIdentity/userAssignedIdentities" */
    char *body;    /* JSON document */
    char etag[40]; /* opaque, changes on every write */
    int64_t created;
    int64_t updated;
    int64_t rev;   /* change-feed revision of the last write */
} store_resource;

void store_resource_free(store_resource *r); /* frees members, not r */

int store_resource_get(mid_store *s, const char *id, store_resource *out,
                       mident_error *err);

typedef struct {
    const char *if_match;  /* non-NULL: the current etag must equal it ("*"
                              means: must exist) else EPRECONDITION */
    int if_none_match;     /* 1: must not exist yet, else EPRECONDITION */
} store_precond;

/* Creates or replaces. `pre` may be NULL. On success fills etag_out (40
 * bytes) and *created (1 if it did not exist before) when non-NULL. */
int store_resource_put(mid_store *s, const char *id, const char *type,
                       const char *body, const store_precond *pre,
                       char etag_out[40], int *created, mident_error *err);
int store_resource_delete(mid_store *s, const char *id, const store_precond *pre,
                          mident_error *err);

typedef struct {
    store_resource *items;
    size_t n;
} store_resources;

/* Resources whose id is `scope` itself or lies below it (scope + "/..."),
 * compared case-insensitively, optionally only those of `type`
 * (case-insensitive), ordered by id. scope NULL or "" = all. */
int store_resource_list(mid_store *s, const char *scope, const char *type,
                        store_resources *out, mident_error *err);
void store_resource_list_free(store_resources *l);

/* ---- change feed ----------------------------------------------------- */

/* Every resource put/delete and principal put/delete appends a change in
 * the same transaction. */
typedef struct {
    int64_t rev;
    char kind[16];          /* "resource" | "principal" */
    char op[8];             /* "put" | "delete" */
    char id[STORE_ID_MAX];  /* resource id or principal object id */
} store_change;

int64_t store_current_rev(mid_store *s);
/* The revision of the last change written through this handle (0 if
 * none), read without locking or SQL: a doorbell for followers in the same
 * process (the node agent of `mident up`) to tell cheaply, on every
 * request, whether the feed has news. It may run ahead of what is
 * committed; the changes themselves are read with store_changes_since. */
int64_t store_rev_hint(mid_store *s);
/* Up to `max` changes with rev > after, oldest first. *out malloc'd. */
int store_changes_since(mid_store *s, int64_t after, size_t max,
                        store_change **out, size_t *n, mident_error *err);

/* ---- audit ----------------------------------------------------------- */

typedef struct {
    int64_t time;
    const char *token_id;      /* uti / jti */
    const char *object_id;     /* oid of the identity the token is for */
    const char *client_id;     /* appid */
    const char *audience;      /* aud */
    const char *grant;         /* "client_credentials" | "managed_identity" */
    const char *identity_resource_id; /* xms_mirid, may be NULL */
    const char *app_resource_id;      /* container app, may be NULL */
    const char *replica;       /* may be NULL */
    const char *node;          /* may be NULL */
} store_audit_rec;

/* Appends and returns once the record is durable (group commit). */
int store_audit_append(mid_store *s, const store_audit_rec *rec,
                       mident_error *err);

typedef struct {
    int64_t seq;
    int64_t time;
    char token_id[64];
    char object_id[37];
    char client_id[37];
    char audience[512];
    char grant[32];
    char identity_resource_id[STORE_ID_MAX];
    char app_resource_id[STORE_ID_MAX];
    char replica[64];
    char node[64];
} store_audit_row;

/* Up to max rows with seq > after, oldest first. *out malloc'd. */
int store_audit_list(mid_store *s, int64_t after, size_t max,
                     store_audit_row **out, size_t *n, mident_error *err);

/* ---- vault secrets (only vault/ and arm/vaults.c call these) --------- */

/* A secret version of a vault. Vaults are named by their internal key (a
 * UUID fixed for the life of one vault resource, so that a vault deleted
 * and created again under the same name starts empty); secret names
 * compare case-insensitively, as Key Vault's do, and keep the case of
 * their first version. "Latest" is the version written last. */
#define STORE_SECRET_NAME_MAX 128

typedef struct {
    char name[STORE_SECRET_NAME_MAX];
    char version[33];   /* 32 lower-case hex characters */
    char *value;        /* NULL in listings */
    char *meta;         /* JSON object: contentType, tags, enabled, nbf, exp */
    int64_t created;
    int64_t updated;
    int64_t seq;        /* store-wide write order (the listing cursor) */
} store_secret;

void store_secret_free(store_secret *s); /* frees members, not s */
void store_secret_list_free(store_secret *arr, size_t n);

/* Adds a version. ECONFLICT if (vault, name, version) exists. */
int store_secret_add(mid_store *s, const char *vault_key, const char *name,
                     const char *version, const char *value, const char *meta,
                     int64_t now, mident_error *err);
/* One version, or the latest when version is NULL or "". ENOTFOUND. */
int store_secret_get(mid_store *s, const char *vault_key, const char *name,
                     const char *version, store_secret *out, mident_error *err);
/* Replaces the meta of one version (latest when version is NULL/""). */
int store_secret_set_meta(mid_store *s, const char *vault_key,
                          const char *name, const char *version,
                          const char *meta, int64_t now, mident_error *err);
/* The latest version of each secret whose lower-cased name sorts after
 * `after_lc` (NULL/"" = from the start), by name, at most max; values are
 * not read. *out malloc'd (store_secret_list_free). */
int store_secret_list(mid_store *s, const char *vault_key,
                      const char *after_lc, size_t max, store_secret **out,
                      size_t *n, mident_error *err);
/* The versions of one secret with seq > after_seq, oldest first. */
int store_secret_versions(mid_store *s, const char *vault_key,
                          const char *name, int64_t after_seq, size_t max,
                          store_secret **out, size_t *n, mident_error *err);
/* Deletes every version of a secret. ENOTFOUND if it has none. */
int store_secret_delete(mid_store *s, const char *vault_key, const char *name,
                        mident_error *err);
/* Deletes every secret of a vault; returns the number of versions deleted
 * or -1. */
int64_t store_secret_purge_vault(mid_store *s, const char *vault_key,
                                 mident_error *err);
/* The distinct vault keys that hold secrets: *out is a malloc'd array of
 * *n malloc'd strings (free each, then the array). */
int store_secret_vault_keys(mid_store *s, char ***out, size_t *n,
                            mident_error *err);

#endif
