/*
 * vault_int.h -- what the files of vault/ share, and nothing outside
 * vault/ uses.
 *
 * The shape of a request: the listener of one vault (manager.c) calls
 * vault_serve (secrets.c), which loads the vault's current document and
 * authenticates the bearer token (access.c) before anything else -- a
 * request without a token gets the 401 challenge before its body is looked
 * at -- then routes the Secrets API, authorizing each operation
 * (access.c) before doing it. Every failure travels up as -1 with the
 * error recorded in the vault_call; errors.c alone turns it into Key
 * Vault's error response.
 */
#ifndef MID_VAULT_INT_H
#define MID_VAULT_INT_H

#include <cJSON.h>
#include <stdint.h>

#include "arm/authz.h"
#include "core/http.h"
#include "vault/vault.h"

struct vault_listener;

typedef struct {
    mid_store *store;
    sts *sts;
    authz *authz;
    char authority[512];
} vault_shared;

/* One vault's listener context: immutable while the listener runs. */
typedef struct vault_listener {
    vault_shared *sh;
    char id[STORE_ID_MAX];     /* the vault resource id */
    char key[37];              /* its internal key */
    int port;
    http_server *http;
    int seen;                  /* sync bookkeeping */
} vault_listener;

/* A vault's document as the data plane needs it. */
typedef struct {
    cJSON *root;
    char name[64];
    char tenant[37];
    int rbac;
    const cJSON *policies;     /* properties.accessPolicies (in root) */
    char base[600];            /* vaultUri without trailing '/' */
} vault_doc;

/* Secret-level operations, each an access-policy permission and an RBAC
 * data action. */
typedef enum {
    VOP_GET,
    VOP_LIST,
    VOP_SET,
    VOP_UPDATE,
    VOP_DELETE,
} vault_op;

typedef struct {
    vault_listener *l;
    const http_req *req;
    http_res *res;
    vault_doc doc;
    char oid[65];              /* the caller (token oid) */
    char appid[65];
    /* The failure, if any (see errors.c). */
    mident_error err;
    char code[64];             /* Key Vault error code; "" = derived */
    char inner[64];            /* innererror code, "" = none */
    int status;                /* 0 = derived from err.code */
    int challenge;             /* add WWW-Authenticate to the response */
} vault_call;

/* ---- errors.c ------------------------------------------------------- */

/* Records a failure with a Key Vault code; returns -1. */
int vault_fail(vault_call *c, mident_code code, const char *kv_code,
               const char *fmt, ...) MID_PRINTF(4, 5);
/* The single place that writes an error response from c. */
void vault_respond_error(vault_call *c);
/* Adds the WWW-Authenticate challenge for the vault's tenant. */
void vault_add_challenge(vault_call *c);

/* ---- access.c ------------------------------------------------------- */

/* Loads the vault's current document into c->doc. */
int vault_load(vault_call *c);
void vault_doc_free(vault_doc *d);
/* Verifies the bearer token (401 recorded on failure); fills oid/appid. */
int vault_authenticate(vault_call *c);
/* 0 if the caller may do op, else -1 with 403 recorded. */
int vault_authorize(vault_call *c, vault_op op);

/* ---- secrets.c ------------------------------------------------------ */

/* The http_handler of every vault listener (ctx: vault_listener). */
void vault_serve(void *ctx, const http_req *req, http_res *res);

#endif
