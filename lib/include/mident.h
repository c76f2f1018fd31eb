/*
 * mident.h -- libmident, the public C API of mident.
 *
 * libmident is what C programs link to talk to mident:
 *   - one error type (mident_error) used by the library and by every
 *     module of the mident server itself, so that errors travel as values
 *     with messages up to the single place that turns them into a protocol
 *     error (ARM, OAuth2, App Service, Key Vault);
 *   - strict access-token verification for resource servers (RS256 only,
 *     key chosen by `kid`, exp/nbf with bounded skew, aud, iss, tid), from
 *     a key set (mident_verify) or from an authority whose JWKS the
 *     library fetches and caches (mident_verifier);
 *   - credentials for apps: a chain like Azure Identity's
 *     DefaultAzureCredential (environment service principal, then the
 *     managed-identity endpoint) with a thread-safe token cache that
 *     refreshes ahead of expiry (mident_credential).
 * docs/libmident.md is the guide; link with `pkg-config --libs mident`.
 *
 * Ownership: every object returned by a *_new/_parse/_verify function is
 * owned by the caller and released with the matching *_free function.
 * Strings returned by accessors point into the owning object and live as
 * long as it does.
 *
 * Thread safety: a mident_keyset is immutable once built and may be shared
 * by any number of threads for verification. mident_claims objects are not
 * shared by the library. A mident_credential and a mident_verifier may be
 * used by any number of threads at once (each has its own lock).
 */
#ifndef MIDENT_H
#define MIDENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------- */

typedef enum {
    MIDENT_OK = 0,
    MIDENT_EINVAL,        /* the caller's input is malformed */
    MIDENT_ENOTFOUND,     /* the thing asked for does not exist */
    MIDENT_ECONFLICT,     /* it exists already, or a state conflict */
    MIDENT_EPRECONDITION, /* an ETag / If-Match precondition failed */
    MIDENT_EAUTH,         /* authentication failed (bad secret, bad token) */
    MIDENT_EFORBIDDEN,    /* authenticated but not allowed */
    MIDENT_ETOOBIG,       /* request or document over a size limit */
    MIDENT_EIO,           /* storage or file system failure */
    MIDENT_ECRYPTO,       /* a cryptographic operation failed */
    MIDENT_ENOMEM,        /* out of memory */
    MIDENT_EUNAVAILABLE,  /* a dependency (token service, network) is down */
    MIDENT_EINTERNAL      /* a bug: should not happen */
} mident_code;

typedef struct {
    mident_code code;
    char message[512];
} mident_error;

/* A short stable name for a code ("EINVAL" -> "invalid_argument"...). */
const char *mident_code_name(mident_code code);

/* ---- token verification ---------------------------------------------- */

/* A set of RSA public keys, each known by its `kid`. */
typedef struct mident_keyset mident_keyset;

/* Builds a key set from a JWKS document ({"keys":[{kty,kid,n,e,...}]}).
 * Keys that are not RSA signature keys are skipped. Returns NULL and fills
 * err when the document is malformed or holds no usable key. */
mident_keyset *mident_keyset_from_jwks(const char *json, size_t len,
                                       mident_error *err);
void mident_keyset_free(mident_keyset *ks);
/* Number of keys in the set. */
size_t mident_keyset_count(const mident_keyset *ks);

typedef struct {
    const char *const *audiences; /* accepted `aud` values, n_audiences of them.
                                     A value also matches with or without one
                                     trailing '/'. */
    size_t n_audiences;
    const char *const *issuers;   /* accepted `iss` values, exact match */
    size_t n_issuers;
    const char *tenant_id;        /* if non-NULL, `tid` must equal it */
    int64_t now;                  /* 0: the current time */
    int skew_seconds;             /* allowed clock skew; < 0 means 0; default
                                     callers use 300 */
} mident_verify_opts;

/* The verified claims of a token. */
typedef struct mident_claims mident_claims;

/* Verifies a compact JWS access token. Only RS256 is accepted; the key is
 * the one in `ks` named by the header's `kid` (unknown kid -> error).
 * On success returns MIDENT_OK and *out holds the claims. On failure
 * returns MIDENT_EAUTH (or EINVAL/ENOMEM) with a message saying why. */
mident_code mident_verify(const mident_keyset *ks, const char *token,
                          const mident_verify_opts *opts,
                          mident_claims **out, mident_error *err);

/* The string claim `name`, or NULL when absent or not a string. */
const char *mident_claims_string(const mident_claims *c, const char *name);
/* The numeric claim `name`, or `dflt` when absent or not a number. */
int64_t mident_claims_int(const mident_claims *c, const char *name,
                          int64_t dflt);
/* The claims as a JSON object text (owned by c). */
const char *mident_claims_json(const mident_claims *c);
/* The `kid` from the token's header. */
const char *mident_claims_kid(const mident_claims *c);
void mident_claims_free(mident_claims *c);

/* 1 if the key set holds a key named kid. */
int mident_keyset_has_kid(const mident_keyset *ks, const char *kid);

/* ---- verification against an authority ------------------------------- */

/* A verifier that finds its keys itself: it reads the OpenID discovery
 * document (issuer, jwks_uri), fetches the JWKS, caches it for
 * jwks_max_age seconds, and fetches it again once when a token names a
 * kid the cached set lacks (key rotation), at most once per 5 seconds. */
typedef struct mident_verifier mident_verifier;

typedef struct {
    const char *authority;       /* "https://host/{tenant}": discovery at
                                    authority + "/.well-known/openid-configuration"
                                    (v1 issuer); or: */
    const char *discovery_url;   /* the discovery document's URL */
    const char *const *audiences;/* accepted aud values (required) */
    size_t n_audiences;
    const char *tenant_id;       /* if non-NULL, `tid` must equal it */
    const char *const *extra_issuers; /* accepted besides the discovery
                                    document's issuer */
    size_t n_extra_issuers;
    const char *ca_path;         /* PEM bundle for https; NULL = system */
    int skew_seconds;            /* 0 = 300 */
    int jwks_max_age;            /* seconds; 0 = 3600 */
    long timeout_ms;             /* per HTTP request; 0 = 10000 */
} mident_verifier_opts;

/* Fetches the discovery document and the JWKS now (so a misconfiguration
 * shows at start-up). NULL + err on failure. */
mident_verifier *mident_verifier_new(const mident_verifier_opts *opts,
                                     mident_error *err);
/* mident_verify with the verifier's keys and options. */
mident_code mident_verifier_verify(mident_verifier *v, const char *token,
                                   mident_claims **out, mident_error *err);
void mident_verifier_free(mident_verifier *v);

/* ---- credentials ------------------------------------------------------- */

typedef enum {
    MIDENT_SOURCE_DEFAULT = 0,  /* the chain: the first source below whose
                                   environment variables are set */
    MIDENT_SOURCE_ENVIRONMENT,  /* service principal: AZURE_TENANT_ID,
                                   AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
                                   AZURE_AUTHORITY_HOST (default
                                   https://login.microsoftonline.com) */
    MIDENT_SOURCE_APP_SERVICE,  /* IDENTITY_ENDPOINT + IDENTITY_HEADER
                                   (api-version 2019-08-01) */
    MIDENT_SOURCE_MSI           /* MSI_ENDPOINT + MSI_SECRET
                                   (api-version 2017-09-01) */
} mident_source;

typedef struct {
    mident_source source;
    /* A user-assigned identity (managed-identity sources; at most one).
     * In the chain, AZURE_CLIENT_ID selects one when none is given here,
     * as DefaultAzureCredential does. */
    const char *client_id;
    const char *object_id;      /* principal id (not with MSI_ENDPOINT) */
    const char *resource_id;    /* ARM id (not with MSI_ENDPOINT) */
    const char *ca_path;        /* PEM bundle for https; NULL = system */
    int refresh_ahead;          /* seconds before expiry a cached token is
                                   replaced; 0 = 300 */
    long timeout_ms;            /* per HTTP request; 0 = 10000 */
} mident_credential_opts;

typedef struct mident_credential mident_credential;

/* Reads the environment now and picks the source. NULL + err
 * (MIDENT_EUNAVAILABLE) when the source's variables are not set -- for
 * the chain: none of them is. opts may be NULL (the chain, defaults). */
mident_credential *mident_credential_new(const mident_credential_opts *opts,
                                         mident_error *err);
void mident_credential_free(mident_credential *c);
/* "environment", "app_service" or "msi". */
const char *mident_credential_source(const mident_credential *c);

/* A token for `scope` ("https://vault.azure.net/.default") or resource
 * ("https://vault.azure.net"), from the cache while it is more than
 * refresh_ahead seconds from expiry, else fetched (one fetch at a time per
 * credential; a failed refresh returns the cached token while it is still
 * valid). *token is malloc'd: release it with mident_token_free.
 * *expires_on (may be NULL) gets its expiry in epoch seconds. */
mident_code mident_get_token(mident_credential *c, const char *scope,
                             char **token, int64_t *expires_on,
                             mident_error *err);
/* Wipes and frees a token from mident_get_token. */
void mident_token_free(char *token);

#ifdef __cplusplus
}
#endif
#endif /* MIDENT_H */
