/* test_store.c -- the SQLite store (store/store_sqlite.c) against store.h.
 *
 * Every test works in its own directory under /tmp and removes it. A few
 * tests open the database file with SQLite directly, only to check what
 * the store promises about the file itself (WAL, schema version). */
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store.h"
#include "harness.h"

/* ---- fixtures --------------------------------------------------------- */

typedef struct {
    char dir[64];
    char path[128];
} tmpdb;

static void tmpdb_init(tmpdb *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/mident-store-XXXXXX");
    if (!mkdtemp(t->dir)) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(t->path, sizeof t->path, "%s/mident.db", t->dir);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void tmpdb_clean(tmpdb *t) { nftw(t->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS); }

static mid_store *open_ok(const char *path)
{
    mident_error err = {0};
    mid_store *s = store_open(path, &err);
    if (!s)
        fprintf(stderr, "  store_open: %s\n", err.message);
    return s;
}

static store_principal make_principal(const char *oid, const char *app,
                                      const char *type)
{
    store_principal p;
    memset(&p, 0, sizeof p);
    snprintf(p.object_id, sizeof p.object_id, "%s", oid);
    snprintf(p.app_id, sizeof p.app_id, "%s", app);
    snprintf(p.display_name, sizeof p.display_name, "name of %s", oid);
    snprintf(p.type, sizeof p.type, "%s", type);
    p.created = 1700000000;
    return p;
}

static store_credential make_cred(const char *kid, char fill, int64_t created)
{
    store_credential c;
    memset(&c, 0, sizeof c);
    snprintf(c.key_id, sizeof c.key_id, "%s", kid);
    memset(c.hash, fill, 64);
    c.hash[64] = '\0';
    snprintf(c.hint, sizeof c.hint, "%c%c%c", fill, fill, fill);
    c.created = created;
    return c;
}

#define OID1 "1111abcd-1111-4111-8111-111111111111"
#define APP1 "aaaaaaaa-1111-4111-8111-111111111111"
#define OID2 "22222222-2222-4222-8222-222222222222"
#define APP2 "bbbbbbbb-2222-4222-8222-222222222222"
#define OID3 "33333333-3333-4333-8333-333333333333"
#define APP3 "cccccccc-3333-4333-8333-333333333333"

#define SUB "/subscriptions/00000000-0000-0000-0000-000000000001"
#define RG1 SUB "/resourceGroups/rg1"
#define UAI "Microsoft.ManagedIdentity/userAssignedIdentities"
#define APPT "Microsoft.App/containerApps"

static int put(mid_store *s, const char *id, const char *type, const char *body,
               mident_error *err)
{
    return store_resource_put(s, id, type, body, NULL, NULL, NULL, err);
}

static int is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* Reads one integer PRAGMA/SELECT from the file with a separate connection. */
static long long raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void raw_text(const char *path, const char *sql, char *out, size_t n)
{
    sqlite3 *db = NULL;
    out[0] = '\0';
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

/* ---- open, file, schema ----------------------------------------------- */

TEST(open_creates_private_wal_database)
{
    tmpdb t;
    tmpdb_init(&t);
    mode_t old = umask(0);
    mid_store *s = open_ok(t.path);
    umask(old);
    CHECK(s != NULL);
    struct stat st;
    CHECK(stat(t.path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    mident_error err = {0};
    CHECK_EQ_INT(store_meta_put(s, "k", "v", &err), 0);
    /* SQLite gives the WAL file the database's mode. */
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", t.path);
    if (stat(wal, &st) == 0)
        CHECK_EQ_INT(st.st_mode & 0777, 0600);
    char mode[16];
    raw_text(t.path, "PRAGMA journal_mode", mode, sizeof mode);
    CHECK_EQ_STR(mode, "wal");
    CHECK(raw_int(t.path, "PRAGMA user_version") >= 1);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(open_with_a_restrictive_umask_still_gives_0600)
{
    tmpdb t;
    tmpdb_init(&t);
    mode_t old = umask(0277);
    mid_store *s = open_ok(t.path);
    umask(old);
    CHECK(s != NULL);
    struct stat st;
    CHECK(stat(t.path, &st) == 0);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(open_fails_cleanly)
{
    mident_error err = {0};
    CHECK(store_open("/nonexistent-dir-mident/x/mident.db", &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EIO);
    CHECK(strstr(err.message, "nonexistent-dir-mident") != NULL);
    CHECK(store_open("", &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    store_close(NULL); /* allowed */
}

TEST(open_refuses_a_newer_schema)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    CHECK(s != NULL);
    store_close(s);
    char ignored[16];
    raw_text(t.path, "PRAGMA user_version = 999", ignored, sizeof ignored);
    CHECK_EQ_INT(raw_int(t.path, "PRAGMA user_version"), 999);
    mident_error err = {0};
    CHECK(store_open(t.path, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EIO);
    CHECK(strstr(err.message, "999") != NULL);
    tmpdb_clean(&t);
}

TEST(reopen_keeps_everything)
{
    tmpdb t;
    tmpdb_init(&t);
    mident_error err = {0};
    mid_store *s = open_ok(t.path);
    CHECK(s != NULL);
    CHECK_EQ_INT(store_meta_put(s, "tenant_id", "t-1", &err), 0);
    store_principal p = make_principal(OID1, APP1, PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);
    store_credential c = make_cred("k1", 'a', 10);
    CHECK_EQ_INT(store_credential_add(s, OID1, &c, &err), 0);
    store_key k = {.kid = "kid-1", .private_pem = "PRIV", .cert_pem = "CERT",
                   .created = 5};
    CHECK_EQ_INT(store_key_add(s, &k, &err), 0);
    char etag[40];
    CHECK_EQ_INT(store_resource_put(s, RG1, "Microsoft.Resources/resourceGroups",
                                    "{\"a\":1}", NULL, etag, NULL, &err),
                 0);
    store_audit_rec rec = {.time = 42, .token_id = "tok", .object_id = OID1,
                           .client_id = APP1, .audience = "https://vault",
                           .grant = "client_credentials"};
    CHECK_EQ_INT(store_audit_append(s, &rec, &err), 0);
    int64_t rev = store_current_rev(s);
    store_close(s);

    s = open_ok(t.path);
    CHECK(s != NULL);
    char *v = NULL;
    CHECK_EQ_INT(store_meta_get(s, "tenant_id", &v, &err), 0);
    CHECK_EQ_STR(v, "t-1");
    free(v);
    store_principal q;
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), 0);
    CHECK_EQ_STR(q.app_id, APP1);
    store_credential *cs = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_credential_list(s, OID1, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    free(cs);
    store_key *keys = NULL;
    CHECK_EQ_INT(store_key_list(s, &keys, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_STR(keys[0].private_pem, "PRIV");
    store_key_list_free(keys, n);
    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, RG1, &r, &err), 0);
    CHECK_EQ_STR(r.body, "{\"a\":1}");
    CHECK_EQ_STR(r.etag, etag);
    store_resource_free(&r);
    CHECK_EQ_INT(store_current_rev(s), rev);
    store_audit_row *rows = NULL;
    CHECK_EQ_INT(store_audit_list(s, 0, 10, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_STR(rows[0].token_id, "tok");
    free(rows);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- meta ------------------------------------------------------------- */

TEST(meta_get_put_overwrite)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    char *v = (char *)1;
    CHECK_EQ_INT(store_meta_get(s, "missing", &v, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK(v == NULL);
    CHECK_EQ_INT(store_meta_put(s, "a", "1", &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "a", "2", &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "b", "", &err), 0);
    CHECK_EQ_INT(store_meta_get(s, "a", &v, &err), 0);
    CHECK_EQ_STR(v, "2");
    free(v);
    CHECK_EQ_INT(store_meta_get(s, "b", &v, &err), 0);
    CHECK_EQ_STR(v, "");
    free(v);
    /* Keys are not case-folded. */
    CHECK_EQ_INT(store_meta_get(s, "A", &v, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    /* Values with SQL metacharacters are data, not SQL. */
    const char *nasty = "x'); DROP TABLE meta; --";
    CHECK_EQ_INT(store_meta_put(s, nasty, nasty, &err), 0);
    CHECK_EQ_INT(store_meta_get(s, nasty, &v, &err), 0);
    CHECK_EQ_STR(v, nasty);
    free(v);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- principals and credentials --------------------------------------- */

TEST(principal_put_get_conflict_delete)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    store_principal p = make_principal(OID1, APP1, PRINCIPAL_MANAGED_IDENTITY);
    snprintf(p.resource_id, sizeof p.resource_id, "%s/providers/%s/id1", RG1, UAI);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);

    store_principal q;
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), 0);
    CHECK_EQ_STR(q.object_id, OID1);
    CHECK_EQ_STR(q.app_id, APP1);
    CHECK_EQ_STR(q.display_name, p.display_name);
    CHECK_EQ_STR(q.type, PRINCIPAL_MANAGED_IDENTITY);
    CHECK_EQ_STR(q.resource_id, p.resource_id);
    CHECK_EQ_INT(q.created, 1700000000);

    memset(&q, 0, sizeof q);
    CHECK_EQ_INT(store_principal_get_by_app(s, APP1, &q, &err), 0);
    CHECK_EQ_STR(q.object_id, OID1);
    /* GUIDs compare case-insensitively. */
    CHECK_EQ_INT(store_principal_get(s, "1111ABCD-1111-4111-8111-111111111111", &q,
                                     &err),
                 0);
    CHECK_EQ_INT(store_principal_get_by_app(s, "AAAAAAAA-1111-4111-8111-111111111111",
                                            &q, &err),
                 0);

    /* Same object id, or same app id: conflict. */
    store_principal dup = make_principal(OID1, APP2, PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &dup, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ECONFLICT);
    dup = make_principal(OID2, APP1, PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &dup, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ECONFLICT);
    dup = make_principal("1111ABCD-1111-4111-8111-111111111111", APP3,
                         PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &dup, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ECONFLICT);
    CHECK_EQ_INT(store_principal_get(s, OID2, &q, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);

    /* Delete takes the credentials with it. */
    store_credential c = make_cred("cred-1", 'a', 1);
    CHECK_EQ_INT(store_credential_add(s, OID1, &c, &err), 0);
    c = make_cred("cred-2", 'b', 2);
    CHECK_EQ_INT(store_credential_add(s, OID1, &c, &err), 0);
    CHECK_EQ_INT(raw_int(t.path, "SELECT count(*) FROM credentials"), 2);
    CHECK_EQ_INT(store_principal_delete(s, "1111ABCD-1111-4111-8111-111111111111",
                                        &err),
                 0);
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK_EQ_INT(store_principal_get_by_app(s, APP1, &q, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    store_credential *cs = NULL;
    size_t n = 9;
    CHECK_EQ_INT(store_credential_list(s, OID1, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    free(cs);
    CHECK_EQ_INT(raw_int(t.path, "SELECT count(*) FROM credentials"), 0);
    CHECK_EQ_INT(store_principal_delete(s, OID1, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);

    /* The ids are free again. */
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);

    /* Malformed input. */
    store_principal bad = make_principal("", APP2, PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &bad, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    CHECK_EQ_INT(store_principal_get(s, "", &q, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(credentials_add_list)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    store_principal p1 = make_principal(OID1, APP1, PRINCIPAL_APPLICATION);
    store_principal p2 = make_principal(OID2, APP2, PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &p1, &err), 0);
    CHECK_EQ_INT(store_principal_put(s, &p2, &err), 0);

    store_credential c1 = make_cred("c1", 'a', 100);
    c1.expires = 5000;
    store_credential c2 = make_cred("c2", 'b', 50);
    store_credential c3 = make_cred("c3", 'c', 70);
    CHECK_EQ_INT(store_credential_add(s, OID1, &c1, &err), 0);
    CHECK_EQ_INT(store_credential_add(s, OID1, &c2, &err), 0);
    CHECK_EQ_INT(store_credential_add(s, OID2, &c3, &err), 0);

    store_credential *cs = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_credential_list(s, OID1, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) { /* oldest first */
        CHECK_EQ_STR(cs[0].key_id, "c2");
        CHECK_EQ_STR(cs[1].key_id, "c1");
        CHECK_EQ_STR(cs[1].hash, c1.hash);
        CHECK_EQ_STR(cs[1].hint, "aaa");
        CHECK_EQ_INT(cs[1].created, 100);
        CHECK_EQ_INT(cs[1].expires, 5000);
        CHECK_EQ_INT(cs[0].expires, 0);
    }
    free(cs);
    CHECK_EQ_INT(store_credential_list(s, OID2, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    free(cs);

    /* Unknown principal; duplicate key id. */
    store_credential c4 = make_cred("c4", 'd', 1);
    CHECK_EQ_INT(store_credential_add(s, OID3, &c4, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK(strstr(err.message, OID3) != NULL);
    CHECK(strstr(err.message, c4.hash) == NULL); /* no secrets in messages */
    CHECK_EQ_INT(store_credential_add(s, OID2, &c1, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ECONFLICT);
    CHECK(strstr(err.message, c1.hash) == NULL);
    CHECK_EQ_INT(store_credential_list(s, OID3, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    free(cs);

    /* Deleting one principal leaves the other's credentials. */
    CHECK_EQ_INT(store_principal_delete(s, OID1, &err), 0);
    CHECK_EQ_INT(store_credential_list(s, OID2, &cs, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    free(cs);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- signing keys ----------------------------------------------------- */

TEST(keys_add_list_retire_prune)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    store_key k1 = {.kid = "k1", .private_pem = "P1", .cert_pem = "C1", .created = 100};
    store_key k2 = {.kid = "k2", .private_pem = "P2", .cert_pem = "C2", .created = 200};
    store_key k3 = {.kid = "k3", .private_pem = "P3", .cert_pem = "C3", .created = 300};
    /* Inserted out of order; listed oldest first. */
    CHECK_EQ_INT(store_key_add(s, &k3, &err), 0);
    CHECK_EQ_INT(store_key_add(s, &k1, &err), 0);
    CHECK_EQ_INT(store_key_add(s, &k2, &err), 0);
    CHECK_EQ_INT(store_key_add(s, &k2, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ECONFLICT);
    CHECK(strstr(err.message, "P2") == NULL);

    store_key *keys = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_key_list(s, &keys, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(keys[0].kid, "k1");
        CHECK_EQ_STR(keys[1].kid, "k2");
        CHECK_EQ_STR(keys[2].kid, "k3");
        CHECK_EQ_STR(keys[0].private_pem, "P1");
        CHECK_EQ_STR(keys[2].cert_pem, "C3");
        CHECK_EQ_INT(keys[1].created, 200);
        CHECK_EQ_INT(keys[0].retired, 0);
    }
    store_key_list_free(keys, n);

    CHECK_EQ_INT(store_key_retire(s, "k1", 1000, &err), 0);
    CHECK_EQ_INT(store_key_retire(s, "k2", 2000, &err), 0);
    /* Retiring again keeps the first retirement time. */
    CHECK_EQ_INT(store_key_retire(s, "k1", 9000, &err), 0);
    CHECK_EQ_INT(store_key_retire(s, "nope", 1000, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK_EQ_INT(store_key_list(s, &keys, &n, &err), 0);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_INT(keys[0].retired, 1000);
        CHECK_EQ_INT(keys[1].retired, 2000);
        CHECK_EQ_INT(keys[2].retired, 0);
    }
    store_key_list_free(keys, n);

    /* Prune: only keys retired strictly before the cut; never active ones. */
    CHECK_EQ_INT(store_key_prune(s, 1000, &err), 0);
    CHECK_EQ_INT(store_key_prune(s, 1500, &err), 1);
    CHECK_EQ_INT(store_key_prune(s, 1500, &err), 0);
    CHECK_EQ_INT(store_key_prune(s, INT64_MAX, &err), 1);
    CHECK_EQ_INT(store_key_list(s, &keys, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK_EQ_STR(keys[0].kid, "k3");
    store_key_list_free(keys, n);

    store_key bad = {.kid = "", .private_pem = "P", .cert_pem = "C"};
    CHECK_EQ_INT(store_key_add(s, &bad, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- resources -------------------------------------------------------- */

TEST(resource_put_get_created_and_etags)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    const char *id = RG1 "/providers/" UAI "/Id_One";
    char e1[40] = "", e2[40] = "";
    int created = -1;
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":1}", NULL, e1, &created,
                                    &err),
                 0);
    CHECK_EQ_INT(created, 1);
    CHECK(is_hex32(e1));

    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, id, &r, &err), 0);
    CHECK_EQ_STR(r.id, id);
    CHECK_EQ_STR(r.type, UAI);
    CHECK_EQ_STR(r.body, "{\"v\":1}");
    CHECK_EQ_STR(r.etag, e1);
    CHECK(r.created > 0);
    CHECK_EQ_INT(r.updated, r.created);
    CHECK(r.rev > 0);
    int64_t rev1 = r.rev, created_at = r.created;
    store_resource_free(&r);
    CHECK(r.id == NULL && r.body == NULL);

    /* Replace through a differently-cased id: same resource, first case
     * kept, new etag and revision. */
    char upper[512];
    snprintf(upper, sizeof upper, "%s", id);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    CHECK_EQ_INT(store_resource_put(s, upper, UAI, "{\"v\":2}", NULL, e2, &created,
                                    &err),
                 0);
    CHECK_EQ_INT(created, 0);
    CHECK(is_hex32(e2));
    CHECK(strcmp(e1, e2) != 0);
    CHECK_EQ_INT(store_resource_get(s, upper, &r, &err), 0);
    CHECK_EQ_STR(r.id, id);
    CHECK_EQ_STR(r.body, "{\"v\":2}");
    CHECK_EQ_STR(r.etag, e2);
    CHECK_EQ_INT(r.created, created_at);
    CHECK(r.rev > rev1);
    store_resource_free(&r);

    /* Lower-case get works too. */
    char lower[512];
    snprintf(lower, sizeof lower, "%s", id);
    for (char *p = lower; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    CHECK_EQ_INT(store_resource_get(s, lower, &r, &err), 0);
    CHECK_EQ_STR(r.id, id);
    store_resource_free(&r);

    /* NULL outputs are allowed. */
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{}", NULL, NULL, NULL, &err), 0);

    CHECK_EQ_INT(store_resource_get(s, RG1 "/nothing", &r, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);

    /* Bad input. */
    CHECK_EQ_INT(put(s, "", UAI, "{}", &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    CHECK_EQ_INT(put(s, id, "", "{}", &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    CHECK_EQ_INT(put(s, id, UAI, NULL, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    char longid[STORE_ID_MAX + 10];
    memset(longid, 'x', sizeof longid - 1);
    longid[0] = '/';
    longid[sizeof longid - 1] = '\0';
    CHECK_EQ_INT(put(s, longid, UAI, "{}", &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    longid[STORE_ID_MAX - 1] = '\0'; /* the longest allowed */
    CHECK_EQ_INT(put(s, longid, UAI, "{}", &err), 0);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(resource_preconditions)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    const char *id = RG1 "/providers/" UAI "/id1";
    char etag[40], etag2[40];

    /* If-Match on a missing resource (either form) fails. */
    store_precond star = {.if_match = "*"};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{}", &star, etag, NULL, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);
    store_precond some = {.if_match = "0123456789abcdef0123456789abcdef"};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{}", &some, etag, NULL, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);
    CHECK_EQ_INT(store_current_rev(s), 0);

    /* If-None-Match on a missing one succeeds; on an existing one fails. */
    store_precond none = {.if_none_match = 1};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":1}", &none, etag, NULL, &err),
                 0);
    int64_t rev = store_current_rev(s);
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":2}", &none, etag2, NULL, &err),
                 -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);

    /* Wrong etag: fails and changes nothing (body, etag, revision). */
    store_precond wrong = {.if_match = "ffffffffffffffffffffffffffffffff"};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":3}", &wrong, etag2, NULL,
                                    &err),
                 -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);
    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, id, &r, &err), 0);
    CHECK_EQ_STR(r.body, "{\"v\":1}");
    CHECK_EQ_STR(r.etag, etag);
    store_resource_free(&r);
    CHECK_EQ_INT(store_current_rev(s), rev);

    /* Right etag, bare and in HTTP forms. */
    store_precond right = {.if_match = etag};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":4}", &right, etag2, NULL,
                                    &err),
                 0);
    char quoted[48];
    snprintf(quoted, sizeof quoted, "\"%s\"", etag2);
    store_precond q = {.if_match = quoted};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":5}", &q, etag, NULL, &err), 0);
    snprintf(quoted, sizeof quoted, "W/\"%s\"", etag);
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":6}", &q, etag2, NULL, &err), 0);
    /* The old etag no longer matches. */
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":7}", &right, etag, NULL, &err),
                 -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);
    /* "*" on an existing resource. */
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":8}", &star, etag, NULL, &err),
                 0);

    /* Delete with the wrong etag: fails, resource stays. */
    CHECK_EQ_INT(store_resource_delete(s, id, &wrong, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);
    CHECK_EQ_INT(store_resource_get(s, id, &r, &err), 0);
    CHECK_EQ_STR(r.body, "{\"v\":8}");
    store_resource_free(&r);
    store_precond del = {.if_match = etag};
    CHECK_EQ_INT(store_resource_delete(s, id, &del, &err), 0);
    CHECK_EQ_INT(store_resource_get(s, id, &r, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(resource_delete)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    const char *id = RG1 "/providers/" APPT "/App1";
    CHECK_EQ_INT(put(s, id, APPT, "{}", &err), 0);
    CHECK_EQ_INT(store_resource_delete(s, RG1 "/providers/" APPT "/APP1", NULL, &err),
                 0);
    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, id, &r, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    int64_t rev = store_current_rev(s);
    CHECK_EQ_INT(store_resource_delete(s, id, NULL, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK_EQ_INT(store_current_rev(s), rev); /* a failed delete records nothing */
    /* It can be created again. */
    int created = 0;
    CHECK_EQ_INT(store_resource_put(s, id, APPT, "{}", NULL, NULL, &created, &err), 0);
    CHECK_EQ_INT(created, 1);
    store_close(s);
    tmpdb_clean(&t);
}

static int list_ids(mid_store *s, const char *scope, const char *type,
                    char *out, size_t n)
{
    store_resources l;
    mident_error err = {0};
    out[0] = '\0';
    if (store_resource_list(s, scope, type, &l, &err) < 0) {
        fprintf(stderr, "  list: %s\n", err.message);
        return -1;
    }
    size_t used = 0;
    for (size_t i = 0; i < l.n; i++) {
        /* Ids shortened to what follows the subscription, for readability. */
        const char *id = l.items[i].id;
        if (strncmp(id, SUB, strlen(SUB)) == 0)
            id += strlen(SUB);
        used += (size_t)snprintf(out + used, n - used, "%s%s", i ? " " : "", id);
        if (used >= n)
            break;
    }
    int cnt = (int)l.n;
    store_resource_list_free(&l);
    CHECK(l.items == NULL && l.n == 0);
    return cnt;
}

TEST(resource_list_by_scope_and_type)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    const char *rgt = "Microsoft.Resources/resourceGroups";
    /* Put out of order, and with names that sort around '/' ('-' and '.'
     * sort before it, '0' right after). */
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg10", rgt, "{}", &err), 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg1/providers/" UAI "/b", UAI, "{}", &err),
                 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/RG1", rgt, "{}", &err), 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg1/providers/" APPT "/app", APPT, "{}",
                     &err),
                 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg1/providers/" UAI "/a", UAI, "{}", &err),
                 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg10/providers/" UAI "/c", UAI, "{}",
                     &err),
                 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg1-x", rgt, "{}", &err), 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg1.y", rgt, "{}", &err), 0);
    CHECK_EQ_INT(put(s, SUB "/resourceGroups/rg1_z", rgt, "{}", &err), 0);
    CHECK_EQ_INT(put(s, "/subscriptions/other/resourceGroups/rg1", rgt, "{}", &err),
                 0);

    char ids[4096];
    CHECK_EQ_INT(list_ids(s, RG1, NULL, ids, sizeof ids), 4);
    CHECK_EQ_STR(ids, "/resourceGroups/RG1 "
                      "/resourceGroups/rg1/providers/" APPT "/app "
                      "/resourceGroups/rg1/providers/" UAI "/a "
                      "/resourceGroups/rg1/providers/" UAI "/b");
    /* Case-insensitive scope, trailing slash tolerated. */
    CHECK_EQ_INT(list_ids(s, SUB "/RESOURCEGROUPS/Rg1/", NULL, ids, sizeof ids), 4);
    /* By type, within the scope and everywhere. */
    CHECK_EQ_INT(list_ids(s, RG1, "microsoft.managedidentity/USERASSIGNEDIDENTITIES",
                          ids, sizeof ids),
                 2);
    CHECK_EQ_STR(ids, "/resourceGroups/rg1/providers/" UAI "/a "
                      "/resourceGroups/rg1/providers/" UAI "/b");
    CHECK_EQ_INT(list_ids(s, NULL, UAI, ids, sizeof ids), 3);
    CHECK_EQ_INT(list_ids(s, "", UAI, ids, sizeof ids), 3);
    CHECK_EQ_INT(list_ids(s, SUB "/resourceGroups/rg10", NULL, ids, sizeof ids), 2);
    CHECK_EQ_STR(ids, "/resourceGroups/rg10 "
                      "/resourceGroups/rg10/providers/" UAI "/c");
    /* A scope that is a resource itself, with nothing below. */
    CHECK_EQ_INT(list_ids(s, SUB "/resourceGroups/rg1-x", NULL, ids, sizeof ids), 1);
    /* The subscription holds everything but the other subscription. */
    CHECK_EQ_INT(list_ids(s, SUB, NULL, ids, sizeof ids), 9);
    /* A prefix that is not a whole segment matches nothing. */
    CHECK_EQ_INT(list_ids(s, SUB "/resourceGroups/rg", NULL, ids, sizeof ids), 0);
    CHECK_EQ_INT(list_ids(s, RG1, "No.Such/type", ids, sizeof ids), 0);
    /* All, ordered by id. */
    CHECK_EQ_INT(list_ids(s, NULL, NULL, ids, sizeof ids), 10);
    CHECK(strncmp(ids, "/resourceGroups/RG1 ", 20) == 0);
    CHECK(strstr(ids, "/subscriptions/other/resourceGroups/rg1") != NULL);

    /* The list carries whole resources. */
    store_resources l;
    CHECK_EQ_INT(store_resource_list(s, SUB "/resourceGroups/rg1/providers/" UAI "/a",
                                     NULL, &l, &err),
                 0);
    CHECK_EQ_INT(l.n, 1);
    if (l.n == 1) {
        CHECK_EQ_STR(l.items[0].type, UAI);
        CHECK_EQ_STR(l.items[0].body, "{}");
        CHECK(is_hex32(l.items[0].etag));
        CHECK(l.items[0].rev > 0);
    }
    store_resource_list_free(&l);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- change feed ------------------------------------------------------ */

TEST(change_feed_records_every_write)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    CHECK_EQ_INT(store_current_rev(s), 0);
    store_change *ch = NULL;
    size_t n = 7;
    CHECK_EQ_INT(store_changes_since(s, 0, 100, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    free(ch);

    const char *a = RG1 "/providers/" UAI "/A";
    const char *b = RG1 "/providers/" UAI "/b";
    CHECK_EQ_INT(put(s, a, UAI, "{}", &err), 0);                  /* 1 */
    store_principal p = make_principal(OID1, APP1, PRINCIPAL_MANAGED_IDENTITY);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);           /* 2 */
    CHECK_EQ_INT(put(s, b, UAI, "{}", &err), 0);                  /* 3 */
    CHECK_EQ_INT(put(s, RG1 "/providers/" UAI "/a", UAI, "{\"x\":1}", &err), 0); /* 4 */
    CHECK_EQ_INT(store_resource_delete(s, b, NULL, &err), 0);     /* 5 */
    CHECK_EQ_INT(store_principal_delete(s, "1111ABCD-1111-4111-8111-111111111111",
                                        &err),
                 0);                                              /* 6 */
    /* Writes that are not in the feed, and failed writes, add nothing. */
    CHECK_EQ_INT(store_meta_put(s, "x", "y", &err), 0);
    CHECK_EQ_INT(store_principal_delete(s, OID1, &err), -1);
    CHECK_EQ_INT(store_resource_delete(s, b, NULL, &err), -1);
    CHECK_EQ_INT(store_current_rev(s), 6);

    CHECK_EQ_INT(store_changes_since(s, 0, 100, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 6);
    if (n == 6) {
        for (size_t i = 0; i < n; i++)
            CHECK_EQ_INT(ch[i].rev, (int64_t)i + 1);
        CHECK_EQ_STR(ch[0].kind, "resource");
        CHECK_EQ_STR(ch[0].op, "put");
        CHECK_EQ_STR(ch[0].id, a);
        CHECK_EQ_STR(ch[1].kind, "principal");
        CHECK_EQ_STR(ch[1].op, "put");
        CHECK_EQ_STR(ch[1].id, OID1);
        CHECK_EQ_STR(ch[3].id, a); /* as first created, not as written */
        CHECK_EQ_STR(ch[4].op, "delete");
        CHECK_EQ_STR(ch[4].id, b);
        CHECK_EQ_STR(ch[5].kind, "principal");
        CHECK_EQ_STR(ch[5].op, "delete");
        CHECK_EQ_STR(ch[5].id, OID1); /* as stored, not as asked */
    }
    free(ch);

    /* after + max page through it. */
    CHECK_EQ_INT(store_changes_since(s, 2, 2, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(ch[0].rev, 3);
        CHECK_EQ_INT(ch[1].rev, 4);
    }
    free(ch);
    CHECK_EQ_INT(store_changes_since(s, 6, 100, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    free(ch);
    CHECK_EQ_INT(store_changes_since(s, 0, 0, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    free(ch);
    CHECK_EQ_INT(store_changes_since(s, 0, (size_t)-1, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 6);
    free(ch);

    /* A resource records the revision of its last write. */
    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, a, &r, &err), 0);
    CHECK_EQ_INT(r.rev, 4);
    store_resource_free(&r);

    /* Revisions are never reused, across close/reopen too. */
    store_close(s);
    s = open_ok(t.path);
    CHECK_EQ_INT(store_current_rev(s), 6);
    CHECK_EQ_INT(put(s, b, UAI, "{}", &err), 0);
    CHECK_EQ_INT(store_current_rev(s), 7);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- transactions ----------------------------------------------------- */

TEST(transaction_rollback_discards_and_commit_keeps)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    const char *app = RG1 "/providers/" APPT "/app1";
    store_principal p = make_principal(OID1, APP1, PRINCIPAL_MANAGED_IDENTITY);
    snprintf(p.resource_id, sizeof p.resource_id, "%s", app);

    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(put(s, app, APPT, "{\"identity\":\"SystemAssigned\"}", &err), 0);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);
    /* Reads inside the transaction see its writes. */
    store_principal q;
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), 0);
    CHECK_EQ_INT(store_current_rev(s), 2);
    store_rollback(s);

    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, app, &r, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK_EQ_INT(store_current_rev(s), 0);

    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(put(s, app, APPT, "{\"identity\":\"SystemAssigned\"}", &err), 0);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);
    CHECK_EQ_INT(store_resource_get(s, app, &r, &err), 0);
    store_resource_free(&r);
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), 0);
    CHECK_EQ_INT(store_current_rev(s), 2);

    /* Commit or rollback without begin: harmless. */
    CHECK_EQ_INT(store_commit(s, &err), -1);
    store_rollback(s);

    /* Durable across reopen. */
    store_close(s);
    s = open_ok(t.path);
    CHECK_EQ_INT(store_resource_get(s, app, &r, &err), 0);
    store_resource_free(&r);
    CHECK_EQ_INT(store_principal_get(s, OID1, &q, &err), 0);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(transaction_failed_write_inside_leaves_the_rest)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    store_principal p = make_principal(OID1, APP1, PRINCIPAL_APPLICATION);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), 0);
    const char *id = RG1 "/providers/" UAI "/x";
    CHECK_EQ_INT(put(s, id, UAI, "{\"v\":1}", &err), 0);

    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "m", "1", &err), 0);
    store_precond none = {.if_none_match = 1};
    CHECK_EQ_INT(store_resource_put(s, id, UAI, "{\"v\":2}", &none, NULL, NULL, &err),
                 -1);
    CHECK_EQ_INT(err.code, MIDENT_EPRECONDITION);
    CHECK_EQ_INT(store_principal_put(s, &p, &err), -1); /* conflict */
    CHECK_EQ_INT(err.code, MIDENT_ECONFLICT);
    CHECK_EQ_INT(store_meta_put(s, "n", "2", &err), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);

    char *v = NULL;
    CHECK_EQ_INT(store_meta_get(s, "m", &v, &err), 0);
    free(v);
    CHECK_EQ_INT(store_meta_get(s, "n", &v, &err), 0);
    free(v);
    CHECK_EQ_INT(store_current_rev(s), 2); /* no stray change rows */
    store_resource r;
    CHECK_EQ_INT(store_resource_get(s, id, &r, &err), 0);
    CHECK_EQ_STR(r.body, "{\"v\":1}");
    store_resource_free(&r);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(transaction_nesting)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    char *v = NULL;

    /* Inner commit does not commit: the outer rollback undoes both. */
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "outer", "1", &err), 0);
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "inner", "1", &err), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);
    store_rollback(s);
    CHECK_EQ_INT(store_meta_get(s, "outer", &v, &err), -1);
    CHECK_EQ_INT(store_meta_get(s, "inner", &v, &err), -1);

    /* Both commit. */
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "outer", "2", &err), 0);
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "inner", "2", &err), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);
    CHECK_EQ_INT(store_meta_get(s, "inner", &v, &err), 0);
    CHECK_EQ_STR(v, "2");
    free(v);

    /* An inner rollback dooms the whole transaction. */
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "outer", "3", &err), 0);
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_meta_put(s, "inner", "3", &err), 0);
    store_rollback(s);
    CHECK_EQ_INT(store_meta_put(s, "late", "3", &err), -1); /* refused */
    CHECK_EQ_INT(store_commit(s, &err), -1);
    CHECK(err.message[0] != '\0');
    store_rollback(s); /* after a failed commit: a no-op */
    CHECK_EQ_INT(store_meta_get(s, "outer", &v, &err), 0);
    CHECK_EQ_STR(v, "2");
    free(v);
    CHECK_EQ_INT(store_meta_get(s, "late", &v, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);

    /* And the store is usable afterwards. */
    CHECK_EQ_INT(store_meta_put(s, "after", "ok", &err), 0);
    store_close(s);
    tmpdb_clean(&t);
}

typedef struct {
    mid_store *s;
    const char *id;
    volatile int done;
    int rc;
    int64_t rev;
} writer_arg;

static void *write_one(void *p)
{
    writer_arg *a = p;
    mident_error err = {0};
    a->rc = put(a->s, a->id, UAI, "{}", &err);
    store_resource r;
    if (a->rc == 0 && store_resource_get(a->s, a->id, &r, &err) == 0) {
        a->rev = r.rev;
        store_resource_free(&r);
    }
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

TEST(transaction_holds_off_other_threads)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    const char *first = RG1 "/providers/" UAI "/first";
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(put(s, first, UAI, "{}", &err), 0);
    writer_arg a = {.s = s, .id = RG1 "/providers/" UAI "/second"};
    pthread_t th;
    pthread_create(&th, NULL, write_one, &a);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK_EQ_INT(__atomic_load_n(&a.done, __ATOMIC_ACQUIRE), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);
    pthread_join(th, NULL);
    CHECK_EQ_INT(a.rc, 0);
    CHECK_EQ_INT(a.rev, 2);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- audit ------------------------------------------------------------ */

#define AUDIT_THREADS 8
#define AUDIT_PER_THREAD 200

typedef struct {
    mid_store *s;
    int thread;
    int failures;
} audit_arg;

static void *audit_many(void *p)
{
    audit_arg *a = p;
    for (int i = 0; i < AUDIT_PER_THREAD; i++) {
        char tok[64], aud[64];
        snprintf(tok, sizeof tok, "t%d-%d", a->thread, i);
        snprintf(aud, sizeof aud, "https://aud/%d", a->thread);
        store_audit_rec rec = {.time = 1000 + i, .token_id = tok, .object_id = OID1,
                               .client_id = APP1, .audience = aud,
                               .grant = "managed_identity", .node = "node-1"};
        mident_error err = {0};
        if (store_audit_append(a->s, &rec, &err) < 0)
            a->failures++;
    }
    return NULL;
}

TEST(audit_concurrent_appends_group_commit)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    pthread_t th[AUDIT_THREADS];
    audit_arg args[AUDIT_THREADS];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < AUDIT_THREADS; i++) {
        args[i] = (audit_arg){.s = s, .thread = i};
        pthread_create(&th[i], NULL, audit_many, &args[i]);
    }
    for (int i = 0; i < AUDIT_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].failures, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("     %d audit appends from %d threads in %.0f ms\n",
           AUDIT_THREADS * AUDIT_PER_THREAD, AUDIT_THREADS, ms);

    store_audit_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_audit_list(s, 0, 100000, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, AUDIT_THREADS * AUDIT_PER_THREAD);
    int increasing = 1;
    int seen[AUDIT_THREADS][AUDIT_PER_THREAD];
    memset(seen, 0, sizeof seen);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rows[i].seq <= rows[i - 1].seq)
            increasing = 0;
        int th_i = -1, k = -1;
        if (sscanf(rows[i].token_id, "t%d-%d", &th_i, &k) != 2 || th_i < 0 ||
            th_i >= AUDIT_THREADS || k < 0 || k >= AUDIT_PER_THREAD)
            bad++;
        else
            seen[th_i][k]++;
    }
    CHECK(increasing);
    CHECK_EQ_INT(bad, 0);
    int each_once = 1;
    for (int i = 0; i < AUDIT_THREADS; i++)
        for (int k = 0; k < AUDIT_PER_THREAD; k++)
            each_once &= seen[i][k] == 1;
    CHECK(each_once);
    /* One thread's records keep their order. */
    int64_t last_seq[AUDIT_THREADS];
    int last_k[AUDIT_THREADS];
    for (int i = 0; i < AUDIT_THREADS; i++)
        last_k[i] = -1, last_seq[i] = 0;
    int ordered = 1;
    for (size_t i = 0; i < n; i++) {
        int th_i, k;
        if (sscanf(rows[i].token_id, "t%d-%d", &th_i, &k) == 2 && th_i >= 0 &&
            th_i < AUDIT_THREADS) {
            ordered &= k == last_k[th_i] + 1 && rows[i].seq > last_seq[th_i];
            last_k[th_i] = k;
            last_seq[th_i] = rows[i].seq;
        }
    }
    CHECK(ordered);
    free(rows);

    /* Paging with after/max. */
    CHECK_EQ_INT(store_audit_list(s, 0, 10, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 10);
    int64_t tenth = n == 10 ? rows[9].seq : 0;
    free(rows);
    CHECK_EQ_INT(store_audit_list(s, tenth, 5, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 5);
    if (n == 5)
        CHECK(rows[0].seq > tenth);
    free(rows);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(audit_fields_roundtrip_and_survive_reopen)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    store_audit_rec full = {
        .time = 1700000123,
        .token_id = "uti-1",
        .object_id = OID1,
        .client_id = APP1,
        .audience = "https://vault.azure.net",
        .grant = "managed_identity",
        .identity_resource_id = RG1 "/providers/" UAI "/id1",
        .app_resource_id = RG1 "/providers/" APPT "/app1",
        .replica = "app1--rev1-abc",
        .node = "node-7",
    };
    store_audit_rec minimal = {.time = 5, .token_id = "uti-2", .object_id = OID2,
                               .client_id = APP2, .audience = "api://x",
                               .grant = "client_credentials"};
    CHECK_EQ_INT(store_audit_append(s, &full, &err), 0);
    CHECK_EQ_INT(store_audit_append(s, &minimal, &err), 0);
    store_audit_rec bad = minimal;
    bad.token_id = NULL;
    CHECK_EQ_INT(store_audit_append(s, &bad, &err), -1);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    store_close(s); /* must not lose anything */

    s = open_ok(t.path);
    store_audit_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_audit_list(s, 0, 100, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(rows[0].seq < rows[1].seq);
        CHECK_EQ_INT(rows[0].time, 1700000123);
        CHECK_EQ_STR(rows[0].token_id, "uti-1");
        CHECK_EQ_STR(rows[0].object_id, OID1);
        CHECK_EQ_STR(rows[0].client_id, APP1);
        CHECK_EQ_STR(rows[0].audience, "https://vault.azure.net");
        CHECK_EQ_STR(rows[0].grant, "managed_identity");
        CHECK_EQ_STR(rows[0].identity_resource_id, full.identity_resource_id);
        CHECK_EQ_STR(rows[0].app_resource_id, full.app_resource_id);
        CHECK_EQ_STR(rows[0].replica, "app1--rev1-abc");
        CHECK_EQ_STR(rows[0].node, "node-7");
        CHECK_EQ_STR(rows[1].identity_resource_id, "");
        CHECK_EQ_STR(rows[1].app_resource_id, "");
        CHECK_EQ_STR(rows[1].replica, "");
        CHECK_EQ_STR(rows[1].node, "");
    }
    int64_t last = n ? rows[n - 1].seq : 0;
    free(rows);
    /* Sequence numbers continue after reopen. */
    CHECK_EQ_INT(store_audit_append(s, &minimal, &err), 0);
    CHECK_EQ_INT(store_audit_list(s, last, 100, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1)
        CHECK(rows[0].seq > last);
    free(rows);
    store_close(s);
    tmpdb_clean(&t);
}

TEST(audit_inside_a_transaction_does_not_deadlock)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    store_audit_rec rec = {.time = 1, .token_id = "in-tx", .object_id = OID1,
                           .client_id = APP1, .audience = "a", .grant = "g"};
    /* The record joins the caller's transaction. */
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_audit_append(s, &rec, &err), 0);
    store_rollback(s);
    store_audit_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_audit_list(s, 0, 10, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 0);
    free(rows);
    CHECK_EQ_INT(store_begin(s, &err), 0);
    CHECK_EQ_INT(store_audit_append(s, &rec, &err), 0);
    CHECK_EQ_INT(store_commit(s, &err), 0);
    CHECK_EQ_INT(store_audit_list(s, 0, 10, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 1);
    free(rows);
    store_close(s);
    tmpdb_clean(&t);
}

/* Audit appends and resource transactions from other threads at once. */
static void *tx_loop(void *p)
{
    writer_arg *a = p;
    mident_error err = {0};
    for (int i = 0; i < 50 && a->rc == 0; i++) {
        char id[256];
        snprintf(id, sizeof id, RG1 "/providers/" UAI "/mixed%d", i);
        store_principal pr;
        char oid[37];
        snprintf(oid, sizeof oid, "%08d-0000-4000-8000-000000000000", i);
        pr = make_principal(oid, oid, PRINCIPAL_MANAGED_IDENTITY);
        if (store_begin(a->s, &err) < 0 || put(a->s, id, UAI, "{}", &err) < 0 ||
            store_principal_put(a->s, &pr, &err) < 0 ||
            store_commit(a->s, &err) < 0) {
            fprintf(stderr, "  tx_loop: %s\n", err.message);
            a->rc = -1;
        }
    }
    return NULL;
}

TEST(audit_and_transactions_interleave)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    pthread_t th[4], txt;
    audit_arg args[4];
    writer_arg w = {.s = s};
    pthread_create(&txt, NULL, tx_loop, &w);
    for (int i = 0; i < 4; i++) {
        args[i] = (audit_arg){.s = s, .thread = i};
        pthread_create(&th[i], NULL, audit_many, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].failures, 0);
    }
    pthread_join(txt, NULL);
    CHECK_EQ_INT(w.rc, 0);
    store_audit_row *rows = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_audit_list(s, 0, 100000, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 4 * AUDIT_PER_THREAD);
    free(rows);
    CHECK_EQ_INT(store_current_rev(s), 100);
    store_close(s);
    tmpdb_clean(&t);
}

/* ---- several handles and processes on one file ------------------------ */

TEST(second_handle_sees_writes)
{
    tmpdb t;
    tmpdb_init(&t);
    mid_store *a = open_ok(t.path);
    mid_store *b = open_ok(t.path);
    CHECK(a && b);
    mident_error err = {0};
    CHECK_EQ_INT(store_meta_put(a, "k", "from-a", &err), 0);
    char *v = NULL;
    CHECK_EQ_INT(store_meta_get(b, "k", &v, &err), 0);
    CHECK_EQ_STR(v, "from-a");
    free(v);
    /* A transaction on one handle makes the other wait, not fail. */
    CHECK_EQ_INT(store_begin(a, &err), 0);
    CHECK_EQ_INT(put(a, RG1, "Microsoft.Resources/resourceGroups", "{}", &err), 0);
    writer_arg w = {.s = b, .id = RG1 "/providers/" UAI "/from-b"};
    pthread_t th;
    pthread_create(&th, NULL, write_one, &w);
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    CHECK_EQ_INT(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE), 0);
    CHECK_EQ_INT(store_commit(a, &err), 0);
    pthread_join(th, NULL);
    CHECK_EQ_INT(w.rc, 0);
    CHECK_EQ_INT(w.rev, 2);
    CHECK_EQ_INT(store_current_rev(a), 2);
    store_close(a);
    store_close(b);
    tmpdb_clean(&t);
}

TEST(two_processes_write_one_file)
{
    tmpdb t;
    tmpdb_init(&t);
    {
        mid_store *s = open_ok(t.path); /* create and migrate first */
        store_close(s);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        mid_store *s = store_open(t.path, NULL);
        int bad = !s;
        for (int i = 0; s && i < 100; i++) {
            char id[256];
            snprintf(id, sizeof id, RG1 "/providers/" UAI "/child%03d", i);
            bad |= put(s, id, UAI, "{}", NULL) < 0;
            store_audit_rec rec = {.time = i, .token_id = "child", .object_id = OID2,
                                   .client_id = APP2, .audience = "a", .grant = "g"};
            bad |= store_audit_append(s, &rec, NULL) < 0;
        }
        store_close(s);
        _exit(bad ? 1 : 0);
    }
    CHECK(pid > 0);
    mid_store *s = open_ok(t.path);
    mident_error err = {0};
    int fails = 0;
    for (int i = 0; i < 100; i++) {
        char id[256];
        snprintf(id, sizeof id, RG1 "/providers/" UAI "/parent%03d", i);
        fails += put(s, id, UAI, "{}", &err) < 0;
        store_audit_rec rec = {.time = i, .token_id = "parent", .object_id = OID1,
                               .client_id = APP1, .audience = "a", .grant = "g"};
        fails += store_audit_append(s, &rec, &err) < 0;
    }
    CHECK_EQ_INT(fails, 0);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    store_resources l;
    CHECK_EQ_INT(store_resource_list(s, RG1, UAI, &l, &err), 0);
    CHECK_EQ_INT(l.n, 200);
    store_resource_list_free(&l);
    CHECK_EQ_INT(store_current_rev(s), 200);
    store_change *ch = NULL;
    size_t n = 0;
    CHECK_EQ_INT(store_changes_since(s, 0, 1000, &ch, &n, &err), 0);
    CHECK_EQ_INT(n, 200);
    free(ch);
    store_audit_row *rows = NULL;
    CHECK_EQ_INT(store_audit_list(s, 0, 1000, &rows, &n, &err), 0);
    CHECK_EQ_INT(n, 200);
    free(rows);
    store_close(s);
    tmpdb_clean(&t);
}

/* Silence the store's info lines (schema migrated ...) in test output. */
__attribute__((constructor)) static void quiet_logs(void) { log_set_level(LOG_WARN); }
