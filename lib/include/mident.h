/*
 * mident.h -- libmident, the public C API of mident.
 *
 * libmident is what C programs link to talk to mident:
 *   - one error type (mident_error) used by the library and by every
 *     module of the mident server itself, so that errors travel as values
 *     with messages up to the single place that turns them into a protocol
 *     error (ARM, OAuth2, App Service, Key Vault);
 *   - strict access-token verification for resource servers (RS256 only,
 *     key chosen by `kid`, exp/nbf with bounded skew, aud, iss, tid).
 *
 * Ownership: every object returned by a *_new/_parse/_verify function is
 * owned by the caller and released with the matching *_free function.
 * Strings returned by accessors point into the owning object and live as
 * long as it does.
 *
 * Thread safety: a mident_keyset is immutable once built and may be shared
 * by any number of threads for verification. mident_claims objects are not
 * shared by the library.
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

#ifdef __cplusplus
}
#endif
#endif /* MIDENT_H */
