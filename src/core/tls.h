/*
 * tls.h -- mident's local certificate authority.
 *
 * On first start the server makes, in the data directory:
 *   tls/ca.pem, tls/ca.key       a self-signed CA (key mode 0600)
 *   tls/server.pem, tls/server.key  a server certificate signed by it,
 *                                 SANs 127.0.0.1, ::1, localhost and any
 *                                 extra names from the configuration
 * Later starts reuse them; the server certificate is re-issued (by the same
 * CA) when the configured names are not all in it or it expires within
 * 30 days. Clients trust ca.pem (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE).
 *
 * Keys: ECDSA P-256 for the TLS certificates (fast handshakes); token
 * signing keys are separate (sts/keys.h).
 *
 * Thread-safe (no shared state); call once at start.
 */
#ifndef MID_TLS_H
#define MID_TLS_H

#include <stddef.h>

#include "err.h"

typedef struct {
    char ca_cert_path[4096];
    char *cert_pem; /* server certificate chain PEM (malloc'd) */
    char *key_pem;  /* server private key PEM (malloc'd) */
} tls_material;

/* extra_names: DNS names or IP literals to add as SANs (may be NULL). */
int tls_ensure(const char *tls_dir, const char *const *extra_names,
               size_t n_extra, tls_material *out, mident_error *err);
void tls_material_free(tls_material *m);

#endif
