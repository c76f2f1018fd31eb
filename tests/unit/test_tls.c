/* test_tls.c -- the local CA (core/tls.c): files and modes, chain
 * verification, SANs, reuse, and re-issue with the same CA. */
#include "core/tls.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "harness.h"

static void make_tmp_dir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/mident-test-tls.XXXXXX");
    if (!mkdtemp(out))
        out[0] = '\0';
}

static void remove_tree(const char *dir)
{
    const char *files[] = {"tls/ca.pem", "tls/ca.key", "tls/server.pem",
                           "tls/server.key"};
    char path[4200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/tls", dir);
    rmdir(path);
    rmdir(dir);
}

static char *read_file(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/tls/%s", dir, name);
    return fs_read_all(path, 1 << 20, NULL, NULL);
}

static int file_mode(const char *dir, const char *name)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/tls/%s", dir, name);
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static X509 *pem_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *c = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    return c;
}

/* X509_verify_cert with a store holding only our CA, for serverAuth. */
static int chain_verifies(X509 *ca, X509 *leaf)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    int ok = X509_verify_cert(ctx) == 1;
    if (!ok)
        fprintf(stderr, "  verify: %s\n",
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

/* The hostname/IP checks a TLS client would do. */
static int has_dns(X509 *c, const char *name)
{
    return X509_check_host(c, name, 0, 0, NULL) == 1;
}

static int has_ip(X509 *c, const char *ip)
{
    return X509_check_ip_asc(c, ip, 0) == 1;
}

static int dns_san_count(X509 *c, const char *name)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
    int n = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        int type;
        ASN1_STRING *v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
        if (type == GEN_DNS && strcmp((const char *)ASN1_STRING_get0_data(v), name) == 0)
            n++;
    }
    GENERAL_NAMES_free(gens);
    return n;
}

TEST(creates_ca_and_server_cert)
{
    char dir[64], tls[128];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material m;
    mident_error err;
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &m, &err), 0);
    CHECK(m.cert_pem && strstr(m.cert_pem, "BEGIN CERTIFICATE"));
    CHECK(m.key_pem && strstr(m.key_pem, "PRIVATE KEY"));
    char want_path[200];
    snprintf(want_path, sizeof want_path, "%s/ca.pem", tls);
    CHECK_EQ_STR(m.ca_cert_path, want_path);

    CHECK_EQ_INT(file_mode(dir, "ca.key"), 0600);
    CHECK_EQ_INT(file_mode(dir, "server.key"), 0600);
    CHECK(file_mode(dir, "ca.pem") > 0);
    CHECK(file_mode(dir, "server.pem") > 0);

    char *ca_pem = read_file(dir, "ca.pem");
    char *server_pem = read_file(dir, "server.pem");
    char *server_key = read_file(dir, "server.key");
    CHECK_EQ_STR(server_pem, m.cert_pem);
    CHECK_EQ_STR(server_key, m.key_pem);
    X509 *ca = pem_cert(ca_pem);
    X509 *leaf = pem_cert(m.cert_pem);
    CHECK(ca && leaf);
    if (ca && leaf) {
        CHECK(chain_verifies(ca, leaf));
        CHECK(X509_check_ca(ca) >= 1);
        CHECK(X509_check_ca(leaf) == 0);
        CHECK(has_ip(leaf, "127.0.0.1"));
        CHECK(has_ip(leaf, "::1"));
        CHECK(has_dns(leaf, "localhost"));
        CHECK(!has_dns(leaf, "example.com"));
        CHECK(X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0) == 1);
        /* ECDSA P-256 keys, as tls.h promises. */
        CHECK(EVP_PKEY_is_a(X509_get0_pubkey(leaf), "EC"));
        CHECK(EVP_PKEY_is_a(X509_get0_pubkey(ca), "EC"));
        /* 825 days at most, and well beyond the 30-day renewal window. */
        int days = 0, secs = 0;
        ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf),
                       X509_get0_notAfter(leaf));
        CHECK(days >= 800 && days <= 826);
        /* The key file holds the leaf's private key. */
        BIO *bio = BIO_new_mem_buf(m.key_pem, -1);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        CHECK(k && X509_check_private_key(leaf, k) == 1);
        EVP_PKEY_free(k);
        BIO_free(bio);
    }
    X509_free(ca);
    X509_free(leaf);
    free(ca_pem);
    free(server_pem);
    free(server_key);
    tls_material_free(&m);
    remove_tree(dir);
}

TEST(second_call_reuses_everything)
{
    char dir[64], tls[128];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material a, b;
    mident_error err;
    const char *extra[] = {"mident.local"};
    CHECK_EQ_INT(tls_ensure(tls, extra, 1, &a, &err), 0);
    char *ca1 = read_file(dir, "ca.pem");
    CHECK_EQ_INT(tls_ensure(tls, extra, 1, &b, &err), 0);
    char *ca2 = read_file(dir, "ca.pem");
    CHECK_EQ_STR(a.cert_pem, b.cert_pem);
    CHECK_EQ_STR(a.key_pem, b.key_pem);
    CHECK_EQ_STR(ca1, ca2);
    /* Fewer names than the certificate has is fine too: still reused. */
    tls_material c;
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &c, &err), 0);
    CHECK_EQ_STR(a.cert_pem, c.cert_pem);
    free(ca1);
    free(ca2);
    tls_material_free(&a);
    tls_material_free(&b);
    tls_material_free(&c);
    remove_tree(dir);
}

TEST(extra_name_reissues_with_same_ca)
{
    char dir[64], tls[128];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material a, b;
    mident_error err;
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &a, &err), 0);
    char *ca1 = read_file(dir, "ca.pem");
    char *cakey1 = read_file(dir, "ca.key");
    const char *extra[] = {"mident.example.test", "10.1.2.3", "[fd00::1]",
                           "LOCALHOST" /* already there, case-insensitively */};
    CHECK_EQ_INT(tls_ensure(tls, extra, 4, &b, &err), 0);
    char *ca2 = read_file(dir, "ca.pem");
    char *cakey2 = read_file(dir, "ca.key");
    CHECK_EQ_STR(ca1, ca2);
    CHECK_EQ_STR(cakey1, cakey2);
    CHECK(a.cert_pem && b.cert_pem && strcmp(a.cert_pem, b.cert_pem) != 0);
    X509 *ca = pem_cert(ca2);
    X509 *leaf = pem_cert(b.cert_pem);
    CHECK(ca && leaf);
    if (ca && leaf) {
        CHECK(chain_verifies(ca, leaf));
        CHECK(has_dns(leaf, "mident.example.test"));
        CHECK(has_ip(leaf, "10.1.2.3"));       /* an IP SAN, not DNS */
        CHECK(!has_dns(leaf, "10.1.2.3"));
        CHECK(has_ip(leaf, "fd00::1"));
        CHECK(has_ip(leaf, "127.0.0.1"));
        CHECK(has_dns(leaf, "localhost"));
        CHECK_EQ_INT(dns_san_count(leaf, "localhost"), 1);
        CHECK_EQ_INT(dns_san_count(leaf, "LOCALHOST"), 0);
    }
    CHECK_EQ_INT(file_mode(dir, "server.key"), 0600);
    X509_free(ca);
    X509_free(leaf);
    free(ca1);
    free(ca2);
    free(cakey1);
    free(cakey2);
    tls_material_free(&a);
    tls_material_free(&b);
    remove_tree(dir);
}

TEST(damaged_server_files_are_reissued)
{
    char dir[64], tls[128], path[200];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material a, b;
    mident_error err;
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &a, &err), 0);
    snprintf(path, sizeof path, "%s/server.pem", tls);
    CHECK_EQ_INT(fs_write_atomic(path, "garbage", 7, 0644, &err), 0);
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &b, &err), 0);
    char *ca_pem = read_file(dir, "ca.pem");
    X509 *ca = pem_cert(ca_pem);
    X509 *leaf = pem_cert(b.cert_pem);
    CHECK(ca && leaf && chain_verifies(ca, leaf));
    X509_free(ca);
    X509_free(leaf);
    free(ca_pem);
    tls_material_free(&a);
    tls_material_free(&b);
    remove_tree(dir);
}

/* Replaces server.pem/.key with a certificate from the same CA that
 * expires in `days` days. */
static void plant_short_lived_cert(const char *tls, int days)
{
    char path[200];
    snprintf(path, sizeof path, "%s/ca.pem", tls);
    char *ca_pem = fs_read_all(path, 1 << 20, NULL, NULL);
    snprintf(path, sizeof path, "%s/ca.key", tls);
    char *ca_key_pem = fs_read_all(path, 1 << 20, NULL, NULL);
    X509 *ca = pem_cert(ca_pem);
    BIO *bio = BIO_new_mem_buf(ca_key_pem, -1);
    EVP_PKEY *ca_key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *c = X509_new();
    X509_set_version(c, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
    X509_gmtime_adj(X509_getm_notBefore(c), -86400);
    X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                               (const unsigned char *)"short", -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(ca));
    X509_set_pubkey(c, key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca, c, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(
        NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(c, ca_key, EVP_sha256());
    BIO *out = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(out, c);
    char *data;
    long len = BIO_get_mem_data(out, &data);
    snprintf(path, sizeof path, "%s/server.pem", tls);
    fs_write_atomic(path, data, (size_t)len, 0644, NULL);
    BIO_free(out);
    out = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(out, key, NULL, NULL, 0, NULL, NULL);
    len = BIO_get_mem_data(out, &data);
    snprintf(path, sizeof path, "%s/server.key", tls);
    fs_write_atomic(path, data, (size_t)len, 0600, NULL);
    BIO_free(out);
    X509_free(c);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    free(ca_pem);
    free(ca_key_pem);
}

TEST(expiring_server_cert_is_reissued)
{
    char dir[64], tls[128];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material a, b;
    mident_error err;
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &a, &err), 0);
    tls_material_free(&a);
    /* 60 days left: still good, reused as is. */
    plant_short_lived_cert(tls, 60);
    char *planted = read_file(dir, "server.pem");
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &a, &err), 0);
    CHECK_EQ_STR(a.cert_pem, planted);
    /* 10 days left: re-issued, with a fresh full validity. */
    plant_short_lived_cert(tls, 10);
    free(planted);
    planted = read_file(dir, "server.pem");
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &b, &err), 0);
    CHECK(b.cert_pem && strcmp(b.cert_pem, planted) != 0);
    X509 *leaf = pem_cert(b.cert_pem);
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf));
    CHECK(days > 800);
    X509_free(leaf);
    free(planted);
    tls_material_free(&a);
    tls_material_free(&b);
    remove_tree(dir);
}

TEST(half_present_ca_is_an_error)
{
    char dir[64], tls[128], path[200];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material a;
    mident_error err;
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &a, &err), 0);
    tls_material_free(&a);
    snprintf(path, sizeof path, "%s/ca.key", tls);
    unlink(path);
    CHECK_EQ_INT(tls_ensure(tls, NULL, 0, &a, &err), -1);
    CHECK(strstr(err.message, "ca.key") != NULL);
    CHECK(a.cert_pem == NULL && a.key_pem == NULL);
    remove_tree(dir);
}

TEST(rejects_invalid_names)
{
    char dir[64], tls[128];
    make_tmp_dir(dir, sizeof dir);
    snprintf(tls, sizeof tls, "%s/tls", dir);
    tls_material a;
    mident_error err;
    const char *bad[] = {"bad name,DNS:evil.com"};
    CHECK_EQ_INT(tls_ensure(tls, bad, 1, &a, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    const char *empty[] = {""};
    CHECK_EQ_INT(tls_ensure(tls, empty, 1, &a, &err), -1);
    remove_tree(dir);
}
