/*
 * keys.h -- the token service's signing keys. Only sts/ holds keys.
 *
 * What it owns: the RSA-2048 key pairs and their self-signed certificates,
 * loaded from the store once and kept in memory. Each key has
 *   kid = x5t = base64url(SHA-1(DER certificate))
 * exactly as Entra ID publishes them.
 *
 * Rotation: sts_keys_rotate() generates a new key, makes it the one that
 * signs, and marks the previous one retired. A retired key stays in the
 * JWKS (and verifies) until `max_token_lifetime` seconds after it retired,
 * so no token it signed stops verifying early; after that it is pruned.
 *
 * Rotation done by another process (`mident keys rotate` while the server
 * runs) is picked up: sts_keys_refresh() reloads when the store's key
 * generation changed; the server calls it at most once a second.
 *
 * Thread safety: all functions may be called from any thread; signing and
 * verification take a read lock, rotation and reload a write lock.
 */
#ifndef MID_KEYS_H
#define MID_KEYS_H

#include <cJSON.h>
#include <stdint.h>

#include "core/err.h"
#include "mident.h"
#include "store/store.h"

typedef struct sts_keys sts_keys;

/* Loads the keys; generates and stores the first one if there is none. */
sts_keys *sts_keys_open(mid_store *store, int64_t max_token_lifetime,
                        mident_error *err);
void sts_keys_free(sts_keys *k);

/* New active key; the old one is retired now. */
int sts_keys_rotate(sts_keys *k, mident_error *err);
/* Reloads from the store if another process rotated. */
int sts_keys_refresh(sts_keys *k, mident_error *err);

/* Signs claims with the active key; returns a malloc'd compact JWS. */
char *sts_keys_sign(sts_keys *k, const cJSON *claims, mident_error *err);

/* The JWKS document {"keys":[...]} with every published key (kty, use,
 * kid, x5t, n, e, x5c, and "issuer" when non-NULL). Caller frees. */
cJSON *sts_keys_jwks(sts_keys *k, const char *issuer);

/* Verifies a token against the published keys (see mident_verify). */
mident_code sts_keys_verify(sts_keys *k, const char *token,
                            const mident_verify_opts *opts,
                            mident_claims **out, mident_error *err);

/* kid of the active key into out (64 bytes). */
void sts_keys_active_kid(sts_keys *k, char out[64]);

#endif
