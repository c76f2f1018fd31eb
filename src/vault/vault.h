/*
 * vault.h -- mident's Key Vault-compatible secret store: the data plane.
 *
 * What it owns: one HTTPS listener per vault (Microsoft.KeyVault/vaults
 * resource), serving the Key Vault Secrets REST API (7.x, any
 * api-version) at the vault's vaultUri, and the access decision on every
 * request: the bearer token must verify (libmident's mident_verify through
 * the token service's key set: RS256 signature, iss, aud =
 * https://vault.azure.net, exp/nbf, tid = the vault's tenant), then the
 * vault's access policies for the token's oid (access-policy mode) or the
 * caller's Key Vault role assignments at the vault or above (RBAC mode)
 * must allow the operation. Policies and role assignments are read afresh
 * from the store on every request, so a grant or revoke applies to the
 * very next request.
 *
 * How vaults are told apart: a secret id is
 * https://host[:port]/secrets/{name}/{version} with no path prefix of its
 * own, so each vault gets its own TCP port, allocated when the vault is
 * created (arm/vaults.c) and kept in its vaultUri
 * (https://127.0.0.1:PORT/), which stays stable across restarts. The
 * manager follows the store's change feed and starts or stops listeners as
 * vaults come and go (within a few milliseconds of the ARM write).
 *
 * Storage: secrets live in the store's vault_secrets table under the
 * vault's internal key (properties.midentKey, a UUID fixed for the life of
 * one vault resource and never shown by ARM), so a vault deleted and
 * created again under the same name starts empty.
 *
 * How it fits: `mident up` (server.c) starts the manager after the token
 * service; the resource manager (arm/vaults.c) writes vault documents;
 * nothing here speaks SQL or holds a key.
 *
 * Thread safety: vault_start/vault_stop are called by one thread; the
 * listeners serve requests on their pool threads concurrently.
 */
#ifndef MID_VAULT_H
#define MID_VAULT_H

#include "core/err.h"
#include "store/store.h"
#include "sts/sts.h"

#define VAULT_TYPE "Microsoft.KeyVault/vaults"
/* The property holding a vault's internal key (hidden from ARM readers). */
#define VAULT_KEY_PROP "midentKey"
/* The audience of Key Vault tokens, and the resource of the challenge. */
#define VAULT_RESOURCE "https://vault.azure.net"

typedef struct vault_mgr vault_mgr;

typedef struct {
    mid_store *store;
    sts *sts;                /* verifies tokens (mident_verify) */
    const char *bind_addr;   /* numeric address the listeners bind */
    const char *cert_pem;    /* the server certificate (core/tls) */
    const char *key_pem;
    const char *authority;   /* public URL of the token service, for the
                                401 challenge: "<authority>/<tenant>" */
    unsigned threads;        /* pool threads per vault listener; 0 = 2 */
} vault_config;

/* Starts listeners for the vaults in the store and the thread that
 * follows vault changes. A vault whose port cannot be bound is logged and
 * retried at the next change; it does not stop the others. */
vault_mgr *vault_start(const vault_config *cfg, mident_error *err);
/* Stops every listener and the follower thread. NULL is allowed. */
void vault_stop(vault_mgr *m);
/* Brings the listeners in line with the store now (the follower calls
 * this on every change). */
int vault_sync(vault_mgr *m, mident_error *err);

#endif
