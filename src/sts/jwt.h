/*
 * jwt.h -- compact JWS signing with RS256 (the signing half; verification
 * is libmident's mident_verify, lib/verify.c, shared by every verifier).
 *
 * jwt_sign_rs256 builds header {"typ":"JWT","alg":"RS256","kid":kid[,"x5t":x5t]}
 * and signs base64url(header) "." base64url(claims) with the private key.
 * Returns a malloc'd token (caller frees) or NULL with err.
 *
 * Thread-safe: EVP_PKEY may be shared for signing by several threads (a
 * fresh EVP_MD_CTX is used per call).
 */
#ifndef MID_JWT_H
#define MID_JWT_H

#include <cJSON.h>
#include <openssl/evp.h>

#include "core/err.h"

char *jwt_sign_rs256(EVP_PKEY *key, const char *kid, const char *x5t,
                     const cJSON *claims, mident_error *err);

#endif
