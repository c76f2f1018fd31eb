/*
 * sts.h -- the token service: issues and verifies access tokens, and
 * serves OIDC discovery, JWKS and the OAuth2 token endpoints.
 *
 * What it owns: the signing keys (through keys.h; nothing outside sts/
 * sees a private key), the token format (Azure v1/v2 access-token claims)
 * and the issuance audit (every token minted is recorded in the store's
 * audit table before it is returned).
 *
 * Issuers (all https, on the server's public URL U):
 *   v1:   U/{tenant}/          (the `iss` of v1 tokens; like sts.windows.net)
 *   v2:   U/{tenant}/v2.0      (the `iss` of v2 tokens)
 *   adfs: U/adfs               (tokens from the ADFS-style authority)
 * sts_verify accepts exactly these three.
 *
 * Thread safety: an sts may be used by any number of threads.
 */
#ifndef MID_STS_H
#define MID_STS_H

#include <stdint.h>

#include "core/err.h"
#include "core/http.h"
#include "mident.h"
#include "store/store.h"

typedef struct sts sts;

typedef struct {
    const char *public_url;   /* "https://127.0.0.1:8443", no trailing '/' */
    const char *tenant_id;
    int64_t token_lifetime;   /* seconds; default 86400 */
} sts_config;

sts *sts_new(mid_store *store, const sts_config *cfg, mident_error *err);
void sts_free(sts *s);

typedef enum { STS_V1 = 1, STS_V2 = 2, STS_ADFS = 3 } sts_token_version;

typedef struct {
    const char *object_id;    /* the principal the token is for */
    const char *audience;     /* `aud`, exactly as requested */
    sts_token_version version;
    const char *grant;        /* recorded in the audit: "client_credentials",
                                 "managed_identity" */
    /* Managed-identity context, recorded in the audit (may be NULL). */
    const char *app_resource_id;
    const char *replica;
    const char *node;
} sts_mint_req;

typedef struct {
    char *access_token;       /* malloc'd */
    char token_id[32];        /* uti */
    char client_id[37];       /* appid of the principal */
    int64_t iat, nbf, exp;
} sts_token;

/* Looks up the principal, builds the claims, signs, writes the audit
 * record durably, and fills *out (free with sts_token_free).
 * ENOTFOUND if the principal does not exist. */
int sts_mint(sts *s, const sts_mint_req *req, sts_token *out, mident_error *err);
void sts_token_free(sts_token *t);

/* Verifies a token issued by this service for one of `audiences` (each
 * also matching with/without a trailing '/'). */
mident_code sts_verify(sts *s, const char *token, const char *const *audiences,
                       size_t n_audiences, mident_claims **out,
                       mident_error *err);

int sts_rotate_keys(sts *s, mident_error *err);

/* The issuer URL of a token version into out. */
void sts_issuer(const sts *s, sts_token_version v, char *out, size_t n);
const char *sts_tenant_id(const sts *s);
const char *sts_public_url(const sts *s);

/* Serves the token service's HTTP paths (discovery, JWKS, token
 * endpoints, ADFS authority, cloud metadata). Returns 1 and fills res if
 * the path is one of them, else 0 and leaves res alone. */
int sts_handle(sts *s, const http_req *req, http_res *res);

/* ---- node agents (node.c) --------------------------------------------
 *
 * A node agent asks for managed-identity tokens on behalf of the replicas
 * it runs. sts_node_mint re-checks, at mint time, that
 *   - the node is registered (sts_node_register),
 *   - the app exists, is not stopped, and is scheduled on that node (one
 *     node today: every registered node runs every app),
 *   - the identity (principal object id) is assigned to the app right now
 *     (its system-assigned principal or one of its user-assigned ones),
 * then mints a v1 token with grant "managed_identity" whose audit record
 * names the app, replica and node. Refusals are MIDENT_EFORBIDDEN. */
typedef struct {
    const char *node;
    const char *app_resource_id;
    const char *replica;
    const char *object_id;
    const char *audience;
} sts_node_mint_req;

/* Records `node` as a node of this deployment (idempotent). */
int sts_node_register(sts *s, const char *node, mident_error *err);
/* Registers `node` and gives it a new credential for the HTTPS node
 * channel (replacing any earlier one): a 256-bit secret returned once in
 * *secret (malloc'd); the store keeps only its hash. Works on a store
 * directly, so `mident node add` needs no running server. */
int sts_node_add(mid_store *st, const char *node, char **secret,
                 mident_error *err);
/* Revokes a node's credential: its secret stops working on the next
 * request. ENOTFOUND if the node has none. */
int sts_node_remove(mid_store *st, const char *node, mident_error *err);
/* Checks a node credential in constant time; EAUTH (one message for an
 * unknown node and a wrong secret) if it does not match. */
int sts_node_auth(sts *s, const char *node, const char *secret,
                  mident_error *err);
/* Serves the HTTPS node channel (node_http.c): POST /node/v1/token and
 * GET /node/v1/feed, authenticated by a node credential. Returns 1 and
 * fills res if the path is under /node/, else 0. */
int sts_node_handle(sts *s, const http_req *req, http_res *res);
int sts_node_mint(sts *s, const sts_node_mint_req *req, sts_token *out,
                  mident_error *err);

#endif
