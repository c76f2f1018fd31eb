/*
 * x509util.h -- small X.509 building blocks shared by the local CA
 * (core/tls.c) and the token-signing certificates (sts/keys.c).
 *
 * Thread-safe (no shared state).
 */
#ifndef MID_X509UTIL_H
#define MID_X509UTIL_H

#include <openssl/x509.h>

/* Adds extension `nid` with the config-style `value` (e.g.
 * "critical,CA:TRUE"), issued by `issuer` (cert itself when self-signed).
 * Returns 1 on success, 0 on failure. */
int x509_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);
/* Sets a positive random 127-bit serial (RFC 5280: unpredictable, at most
 * 20 octets). Returns 1 on success. */
int x509_random_serial(X509 *cert);

/* PKCS#8 PEM of a private key, malloc'd (NULL on failure). The memory
 * BIO that held it is wiped. */
char *x509_key_pem(EVP_PKEY *key);
/* PEM of a certificate, malloc'd (NULL on failure). */
char *x509_cert_pem(X509 *cert);

#endif
