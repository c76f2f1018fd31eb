/*
 * b64.h -- base64 and base64url (RFC 4648) without padding for url.
 *
 * Encoders return a malloc'd NUL-terminated string (caller frees), or NULL
 * on allocation failure. Decoders are strict: they reject characters
 * outside the alphabet, impossible lengths and non-zero trailing bits, and
 * return a malloc'd buffer (with a NUL after the data, for convenience).
 * Thread-safe.
 */
#ifndef MID_B64_H
#define MID_B64_H

#include <stddef.h>

char *b64url_encode(const void *data, size_t len);
/* Standard alphabet, with '=' padding (as in x5c). */
char *b64_encode(const void *data, size_t len);
/* Decodes base64url without padding; returns NULL on malformed input. */
unsigned char *b64url_decode(const char *s, size_t slen, size_t *outlen);
/* Decodes standard base64; padding optional. NULL on malformed input. */
unsigned char *b64_decode(const char *s, size_t slen, size_t *outlen);

#endif
