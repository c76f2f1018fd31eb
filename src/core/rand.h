/*
 * rand.h -- randomness, identifiers and secret comparison.
 *
 * All randomness comes from OpenSSL's CSPRNG (RAND_bytes). Identifiers are
 * RFC 4122 version-4 UUIDs in lower case. Thread-safe.
 */
#ifndef MID_RAND_H
#define MID_RAND_H

#include <stddef.h>

#include "err.h"

#define UUID_STR_LEN 37 /* 36 characters + NUL */

int rand_bytes(void *out, size_t n, mident_error *err);
/* Writes a new v4 UUID into out (UUID_STR_LEN bytes). */
int uuid_v4(char out[UUID_STR_LEN], mident_error *err);
/* 1 if s is a UUID in canonical 8-4-4-4-12 hex form (either case). */
int uuid_valid(const char *s);
/* A random secret of nbytes of entropy, base64url-encoded; malloc'd. */
char *rand_secret(size_t nbytes, mident_error *err);
/* Lower-case hex of n random bytes into out (2n+1 bytes). */
int rand_hex(char *out, size_t n, mident_error *err);
/* Compares two strings in time that depends only on their lengths. */
int secret_equal(const char *a, const char *b);

#endif
