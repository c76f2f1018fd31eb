/*
 * tls.c -- mident's local certificate authority (see tls.h).
 *
 * What it owns: the four files under the TLS directory -- a self-signed
 * ECDSA P-256 CA (ca.pem, ca.key) and a server certificate it signed
 * (server.pem, server.key) -- and the decision whether they can be reused.
 *
 * How it fits: the server calls tls_ensure once at start and hands the
 * server PEMs to the HTTPS listener; tests and users point clients at
 * ca.pem (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, az's bundle).
 *
 * Policy:
 *   - the CA is created only when neither of its files exists; a CA that
 *     clients may already trust is never silently replaced (a half-present
 *     or unreadable CA is an error the operator resolves);
 *   - the server certificate is re-issued by that CA when it is missing or
 *     unreadable, does not match its key, was not issued by the CA, lacks a
 *     configured name, or expires within 30 days;
 *   - private keys are written 0600 with fs_write_atomic, key before
 *     certificate, so a crash leaves at worst a mismatched pair that the
 *     next start detects and re-issues.
 */
#include "x509util.h"
#include "tls.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "fsutil.h"
#include "log.h"
#include "rand.h"

#define CA_DAYS 3650
#define SERVER_DAYS 825              /* the most clients (Apple) accept */
#define RENEW_BEFORE (30L * 86400)   /* re-issue this long before expiry */
#define PEM_MAX (1024 * 1024)
#define NAME_MAX_LEN 253             /* longest DNS name */

static const char *const DEFAULT_NAMES[] = {"127.0.0.1", "::1", "localhost"};

/* One subjectAltName: an IP literal or a DNS name, normalised. */
typedef struct {
    char text[NAME_MAX_LEN + 1];
    int is_ip;
    unsigned char ip[16];
    int ip_len; /* 4 or 16 */
} san_name;

/* ---- names ------------------------------------------------------------- */

static int dns_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                 (c == '*' && i == 0 && s[1] == '.');
        if (!ok)
            return 0;
    }
    return 1;
}

/* Classifies a configured name: IP literals (with or without the [ ] of
 * a URL) become IP SANs, anything else must be a DNS name. */
static int parse_name(const char *in, san_name *out, mident_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(in);
    if (n >= 2 && in[0] == '[' && in[n - 1] == ']') {
        in++;
        n -= 2;
    }
    if (n == 0 || n > NAME_MAX_LEN)
        return mid_fail(err, MIDENT_EINVAL, "invalid TLS name '%.64s'", in);
    memcpy(out->text, in, n);
    out->text[n] = '\0';
    if (inet_pton(AF_INET, out->text, out->ip) == 1) {
        out->is_ip = 1;
        out->ip_len = 4;
    } else if (inet_pton(AF_INET6, out->text, out->ip) == 1) {
        out->is_ip = 1;
        out->ip_len = 16;
    } else if (!dns_name_valid(out->text)) {
        return mid_fail(err, MIDENT_EINVAL,
                        "invalid TLS name '%.64s' (not an IP address or DNS name)",
                        out->text);
    }
    return 0;
}

static int same_name(const san_name *a, const san_name *b)
{
    if (a->is_ip != b->is_ip)
        return 0;
    if (a->is_ip)
        return a->ip_len == b->ip_len && memcmp(a->ip, b->ip, (size_t)a->ip_len) == 0;
    return strcasecmp(a->text, b->text) == 0;
}

/* The default names plus the configured ones, without duplicates. */
static san_name *collect_names(const char *const *extra, size_t n_extra,
                               size_t *count, mident_error *err)
{
    size_t n_default = sizeof DEFAULT_NAMES / sizeof DEFAULT_NAMES[0];
    san_name *names = calloc(n_default + n_extra, sizeof *names);
    if (!names) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < n_default + n_extra; i++) {
        const char *s = i < n_default ? DEFAULT_NAMES[i] : extra[i - n_default];
        if (!s)
            continue;
        if (parse_name(s, &names[n], err) < 0) {
            free(names);
            return NULL;
        }
        size_t j = 0;
        while (j < n && !same_name(&names[j], &names[n]))
            j++;
        if (j == n)
            n++;
    }
    *count = n;
    return names;
}

/* ---- certificate pieces ------------------------------------------------ */

static EVP_PKEY *new_p256_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* Version, serial, validity (back-dated 5 minutes for clock skew between
 * this host and its clients), subject and public key. */
static X509 *cert_skeleton(EVP_PKEY *key, const char *cn, long days)
{
    X509 *cert = X509_new();
    if (!cert)
        return NULL;
    X509_NAME *name = X509_get_subject_name(cert);
    if (X509_set_version(cert, X509_VERSION_3) != 1 || !x509_random_serial(cert) ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -300) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert), days * 86400) ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"mident", -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_pubkey(cert, key) != 1) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static X509 *make_ca_cert(EVP_PKEY *ca_key)
{
    char suffix[9], cn[64];
    if (rand_hex(suffix, 4, NULL) < 0)
        return NULL;
    /* A per-install suffix tells several mident CAs apart in trust stores. */
    snprintf(cn, sizeof cn, "mident local CA %s", suffix);
    X509 *cert = cert_skeleton(ca_key, cn, CA_DAYS);
    if (!cert)
        return NULL;
    if (X509_set_issuer_name(cert, X509_get_subject_name(cert)) != 1 ||
        !x509_add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !x509_add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !x509_add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
        !x509_add_ext(cert, cert, NID_authority_key_identifier, "keyid:always") ||
        X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* subjectAltName built as GENERAL_NAMEs (not a config string), so a
 * configured name can never inject another SAN type. */
static int add_san(X509 *cert, const san_name *names, size_t n)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int ok = gens != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_STRING *v = names[i].is_ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
        ok = g && v &&
             ASN1_STRING_set(v, names[i].is_ip ? (const void *)names[i].ip
                                               : (const void *)names[i].text,
                             names[i].is_ip ? names[i].ip_len : -1) == 1;
        if (ok) {
            GENERAL_NAME_set0_value(g, names[i].is_ip ? GEN_IPADD : GEN_DNS, v);
            v = NULL;
            ok = sk_GENERAL_NAME_push(gens, g) > 0;
            if (ok)
                g = NULL;
        }
        ASN1_STRING_free(v);
        GENERAL_NAME_free(g);
    }
    ok = ok && X509_add1_ext_i2d(cert, NID_subject_alt_name, gens, 0,
                                 X509V3_ADD_DEFAULT) == 1;
    GENERAL_NAMES_free(gens);
    return ok;
}

static X509 *make_server_cert(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
                              const san_name *names, size_t n)
{
    X509 *cert = cert_skeleton(key, "mident server", SERVER_DAYS);
    if (!cert)
        return NULL;
    if (X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
        !x509_add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
        !x509_add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
        !x509_add_ext(cert, ca, NID_ext_key_usage, "serverAuth") ||
        !x509_add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
        !x509_add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") ||
        !add_san(cert, names, n) || X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/* ---- checks on an existing server certificate ------------------------- */

static int san_contains(const GENERAL_NAMES *gens, const san_name *want)
{
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int type = 0;
        const ASN1_STRING *v = GENERAL_NAME_get0_value(g, &type);
        if (!v)
            continue;
        const unsigned char *d = ASN1_STRING_get0_data(v);
        int len = ASN1_STRING_length(v);
        if (want->is_ip && type == GEN_IPADD && len == want->ip_len &&
            memcmp(d, want->ip, (size_t)len) == 0)
            return 1;
        if (!want->is_ip && type == GEN_DNS && (size_t)len == strlen(want->text) &&
            strncasecmp((const char *)d, want->text, (size_t)len) == 0)
            return 1;
    }
    return 0;
}

/* Why the server certificate must be re-issued, or NULL if it is good. */
static const char *server_cert_problem(X509 *cert, EVP_PKEY *key, X509 *ca,
                                       const san_name *names, size_t n)
{
    if (!cert || !key)
        return "is missing or unreadable";
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1)
        return "does not match its key";
    if (X509_check_issued(ca, cert) != X509_V_OK ||
        X509_verify(cert, X509_get0_pubkey(ca)) != 1)
        return "was not issued by the current CA";
    time_t soon = time(NULL) + RENEW_BEFORE;
    if (X509_cmp_time(X509_get0_notAfter(cert), &soon) <= 0)
        return "expires within 30 days";
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    const char *why = NULL;
    for (size_t i = 0; i < n && !why; i++)
        if (!gens || !san_contains(gens, &names[i]))
            why = "lacks a configured name";
    GENERAL_NAMES_free(gens);
    return why;
}

/* ---- files ---------------------------------------------------------------- */

typedef struct {
    char ca_pem[4096], ca_key[4096], server_pem[4096], server_key[4096];
} tls_paths;

static int make_paths(const char *dir, tls_paths *p, mident_error *err)
{
    size_t cap = sizeof p->ca_pem;
    if ((size_t)snprintf(p->ca_pem, cap, "%s/ca.pem", dir) >= cap ||
        (size_t)snprintf(p->ca_key, cap, "%s/ca.key", dir) >= cap ||
        (size_t)snprintf(p->server_pem, cap, "%s/server.pem", dir) >= cap ||
        (size_t)snprintf(p->server_key, cap, "%s/server.key", dir) >= cap)
        return mid_fail(err, MIDENT_EINVAL, "TLS directory path too long");
    return 0;
}

/* Reads a PEM file; NULL + ENOTFOUND when absent. */
static char *read_pem(const char *path, mident_error *err)
{
    return fs_read_all(path, PEM_MAX, NULL, err);
}

static EVP_PKEY *key_from_pem(const char *pem)
{
    BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

static X509 *cert_from_pem(const char *pem)
{
    BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return cert;
}

static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* A key file readable by others is tightened rather than trusted. */
static void tighten_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077)) {
        log_warn("tls", "%s was readable by others; setting mode 0600", path);
        chmod(path, 0600);
    }
}

/* Writes key then certificate; *key_pem and *cert_pem get the texts. */
static int write_pair(const char *key_path, const char *cert_path, EVP_PKEY *key,
                      X509 *cert, char **key_pem, char **cert_pem,
                      mident_error *err)
{
    *key_pem = x509_key_pem(key);
    *cert_pem = x509_cert_pem(cert);
    if (!*key_pem || !*cert_pem) {
        free_secret(*key_pem);
        free(*cert_pem);
        *key_pem = *cert_pem = NULL;
        return mid_fail(err, MIDENT_ENOMEM, "out of memory encoding PEM");
    }
    if (fs_write_atomic(key_path, *key_pem, strlen(*key_pem), 0600, err) < 0 ||
        fs_write_atomic(cert_path, *cert_pem, strlen(*cert_pem), 0644, err) < 0) {
        free_secret(*key_pem);
        free(*cert_pem);
        *key_pem = *cert_pem = NULL;
        return -1;
    }
    return 0;
}

/* ---- the CA ----------------------------------------------------------- */

/* Loads the CA, creating it when neither of its files exists. */
static int ensure_ca(const tls_paths *p, X509 **ca, EVP_PKEY **ca_key,
                     mident_error *err)
{
    int have_cert = fs_exists(p->ca_pem), have_key = fs_exists(p->ca_key);
    if (have_cert != have_key)
        return mid_fail(err, MIDENT_EIO,
                        "%s exists but %s does not; restore it, or remove both "
                        "to create a new CA (clients must then trust the new one)",
                        have_cert ? p->ca_pem : p->ca_key,
                        have_cert ? p->ca_key : p->ca_pem);
    if (have_cert) {
        char *cert_pem = read_pem(p->ca_pem, err);
        char *key_pem = cert_pem ? read_pem(p->ca_key, err) : NULL;
        if (!key_pem) {
            free(cert_pem);
            return -1;
        }
        *ca = cert_from_pem(cert_pem);
        *ca_key = key_from_pem(key_pem);
        free(cert_pem);
        free_secret(key_pem);
        if (!*ca || !*ca_key || EVP_PKEY_eq(X509_get0_pubkey(*ca), *ca_key) != 1)
            return mid_fail(err, MIDENT_ECRYPTO,
                            "the CA in %s and %s is unreadable or mismatched",
                            p->ca_pem, p->ca_key);
        tighten_mode(p->ca_key);
        return 0;
    }
    *ca_key = new_p256_key();
    *ca = *ca_key ? make_ca_cert(*ca_key) : NULL;
    if (!*ca)
        return mid_fail(err, MIDENT_ECRYPTO, "cannot create the local CA");
    char *key_pem = NULL, *cert_pem = NULL;
    if (write_pair(p->ca_key, p->ca_pem, *ca_key, *ca, &key_pem, &cert_pem, err) < 0)
        return -1;
    free_secret(key_pem);
    free(cert_pem);
    log_info("tls", "created a local CA in %s (trust it in clients)", p->ca_pem);
    return 0;
}

/* ---- tls_ensure --------------------------------------------------------- */

/* Loads the server pair if present; on any problem fills nothing. */
static void load_server(const tls_paths *p, char **cert_pem, char **key_pem,
                        X509 **cert, EVP_PKEY **key)
{
    *cert_pem = read_pem(p->server_pem, NULL);
    *key_pem = read_pem(p->server_key, NULL);
    *cert = cert_from_pem(*cert_pem);
    *key = key_from_pem(*key_pem);
}

static int issue_server(const tls_paths *p, X509 *ca, EVP_PKEY *ca_key,
                        const san_name *names, size_t n, tls_material *out,
                        mident_error *err)
{
    EVP_PKEY *key = new_p256_key();
    X509 *cert = key ? make_server_cert(ca, ca_key, key, names, n) : NULL;
    int rc = -1;
    if (!cert)
        mid_fail(err, MIDENT_ECRYPTO, "cannot issue the server certificate");
    else
        rc = write_pair(p->server_key, p->server_pem, key, cert, &out->key_pem,
                        &out->cert_pem, err);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int tls_ensure(const char *tls_dir, const char *const *extra_names,
               size_t n_extra, tls_material *out, mident_error *err)
{
    memset(out, 0, sizeof *out);
    tls_paths p;
    if (!tls_dir || make_paths(tls_dir, &p, err) < 0)
        return tls_dir ? -1 : mid_fail(err, MIDENT_EINVAL, "no TLS directory");
    if ((size_t)snprintf(out->ca_cert_path, sizeof out->ca_cert_path, "%s",
                         p.ca_pem) >= sizeof out->ca_cert_path)
        return mid_fail(err, MIDENT_EINVAL, "TLS directory path too long");
    size_t n = 0;
    san_name *names = collect_names(extra_names, extra_names ? n_extra : 0, &n, err);
    if (!names)
        return -1;
    if (fs_mkdirs(tls_dir, 0700, err) < 0) {
        free(names);
        return -1;
    }
    X509 *ca = NULL, *cert = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    char *cert_pem = NULL, *key_pem = NULL;
    int rc = -1;
    if (ensure_ca(&p, &ca, &ca_key, err) < 0)
        goto done;
    load_server(&p, &cert_pem, &key_pem, &cert, &key);
    const char *why = server_cert_problem(cert, key, ca, names, n);
    if (!why) {
        tighten_mode(p.server_key);
        out->cert_pem = cert_pem;
        out->key_pem = key_pem;
        cert_pem = key_pem = NULL;
        rc = 0;
        goto done;
    }
    if (cert || key)
        log_info("tls", "re-issuing the server certificate: it %s", why);
    rc = issue_server(&p, ca, ca_key, names, n, out, err);
done:
    if (rc < 0)
        tls_material_free(out);
    free(cert_pem);
    free_secret(key_pem);
    X509_free(cert);
    EVP_PKEY_free(key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    free(names);
    return rc;
}

void tls_material_free(tls_material *m)
{
    if (!m)
        return;
    free(m->cert_pem);
    free_secret(m->key_pem);
    m->cert_pem = m->key_pem = NULL;
}
