/*
 * store_sqlite.c -- the embedded SQLite backend of store.h.
 *
 * What it owns: the database file, its schema and migrations, every SQL
 * statement mident runs, and the audit group-commit writer thread. Nothing
 * else in mident speaks SQL; the rest of the tree sees only store.h.
 *
 * How it fits: the server opens one store at start and shares it between
 * the resource manager, the token service and the agents' change-feed
 * readers; the CLI may open the same file from another process while the
 * server runs. SQLite arbitrates between processes (WAL mode, busy
 * timeout); within a process one connection is shared under a lock.
 *
 * Concurrency, in one place:
 *
 *   - One sqlite3 connection per handle, guarded by the recursive mutex
 *     s->mu. Every public call holds it for its duration. store_begin()
 *     takes it and keeps it until store_commit()/store_rollback(), so the
 *     calls of one transaction are never interleaved with another thread's.
 *
 *   - Nesting: store_begin() on a thread already inside a transaction only
 *     increments s->depth; the outermost begin runs BEGIN IMMEDIATE and the
 *     outermost commit runs COMMIT. An inner store_rollback() cannot undo
 *     part of the work, so it marks the whole transaction doomed: later
 *     writes in it fail, and the outermost store_commit() rolls back and
 *     reports failure (store_rollback() there is the normal way out).
 *
 *   - If the outermost store_commit() fails, the transaction is rolled back
 *     and the lock released before it returns: the caller must not call
 *     store_rollback() afterwards (doing so is a harmless no-op).
 *
 *   - Each write call is atomic on its own: outside a transaction it runs
 *     in BEGIN IMMEDIATE .. COMMIT; inside one, in a SAVEPOINT, so a write
 *     that fails (say, on a precondition) leaves the caller's transaction
 *     exactly as it was and the caller may still commit the rest.
 *
 *   - Writes begin IMMEDIATE (take the write lock up front) because a
 *     deferred transaction that upgrades from read to write can get
 *     SQLITE_BUSY without the busy handler being able to help.
 *
 *   - Audit appends go through a queue drained by a writer thread, which
 *     commits everything queued in one transaction (group commit); see the
 *     audit section below.
 *
 * Durability: synchronous=FULL, so a returned write survives power loss.
 * secure_delete=ON so that pruned private keys and deleted secret hashes
 * are overwritten in the file rather than left in free pages.
 *
 * Choices callers may notice:
 *   - etags are 32 lower-case hex characters, unquoted. Preconditions also
 *     accept the HTTP forms "<etag>" and W/"<etag>".
 *   - Resource ids are stored twice: lower-cased (ASCII) as the key and as
 *     first created. Types are compared lower-cased, returned as last put.
 *   - Principal object ids, app ids and credential key ids are GUIDs and
 *     compare case-insensitively (COLLATE NOCASE).
 *   - store_current_rev() returns -1 if the database cannot be read.
 *   - Audit text longer than a store_audit_row field is stored whole and
 *     truncated only when listed.
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/rand.h"

#define BUSY_TIMEOUT_MS 5000
#define ETAG_BYTES 16  /* 32 hex characters */
#define TYPE_MAX 256   /* longest resource type accepted, with NUL */

/* ---- schema ------------------------------------------------------------
 *
 * migrations[i] takes the database from user_version i to i + 1. Append a
 * new entry to change the schema; never edit a released one. */

static const char *const migrations[] = {
    /* 1: the initial schema. */
    "CREATE TABLE meta ("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"

    "CREATE TABLE principals ("
    "  object_id    TEXT PRIMARY KEY COLLATE NOCASE,"
    "  app_id       TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  display_name TEXT NOT NULL,"
    "  type         TEXT NOT NULL,"
    "  resource_id  TEXT NOT NULL,"
    "  created      INTEGER NOT NULL"
    ");"

    "CREATE TABLE credentials ("
    "  key_id    TEXT PRIMARY KEY COLLATE NOCASE,"
    "  object_id TEXT NOT NULL COLLATE NOCASE"
    "            REFERENCES principals(object_id) ON DELETE CASCADE,"
    "  hash      TEXT NOT NULL,"
    "  hint      TEXT NOT NULL,"
    "  created   INTEGER NOT NULL,"
    "  expires   INTEGER NOT NULL"
    ");"
    "CREATE INDEX credentials_by_principal ON credentials(object_id);"

    "CREATE TABLE signing_keys ("
    "  kid         TEXT PRIMARY KEY,"
    "  private_pem TEXT NOT NULL,"
    "  cert_pem    TEXT NOT NULL,"
    "  created     INTEGER NOT NULL,"
    "  retired     INTEGER NOT NULL DEFAULT 0"
    ");"

    /* id_lc is the key (ARM ids compare case-insensitively); id keeps the
     * case the resource was created with. rev is the change-feed revision
     * of the last write. */
    "CREATE TABLE resources ("
    "  id_lc   TEXT PRIMARY KEY,"
    "  id      TEXT NOT NULL,"
    "  type_lc TEXT NOT NULL,"
    "  type    TEXT NOT NULL,"
    "  body    TEXT NOT NULL,"
    "  etag    TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  rev     INTEGER NOT NULL"
    ");"
    "CREATE INDEX resources_by_type ON resources(type_lc, id_lc);"

    /* AUTOINCREMENT: a revision is never reused, even if old changes are
     * pruned one day, so a follower's "after" stays meaningful. */
    "CREATE TABLE changes ("
    "  rev  INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL,"
    "  op   TEXT NOT NULL,"
    "  id   TEXT NOT NULL,"
    "  time INTEGER NOT NULL"
    ");"

    "CREATE TABLE audit ("
    "  seq                  INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time                 INTEGER NOT NULL,"
    "  token_id             TEXT NOT NULL,"
    "  object_id            TEXT NOT NULL,"
    "  client_id            TEXT NOT NULL,"
    "  audience             TEXT NOT NULL,"
    "  grant_type           TEXT NOT NULL,"
    "  identity_resource_id TEXT,"
    "  app_resource_id      TEXT,"
    "  replica              TEXT,"
    "  node                 TEXT"
    ");",

    /* 2: secrets of the Key Vault-compatible vaults. seq orders versions
     * (latest = highest) and is the listing cursor. */
    "CREATE TABLE vault_secrets ("
    "  seq       INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  vault_key TEXT NOT NULL,"
    "  name_lc   TEXT NOT NULL,"
    "  name      TEXT NOT NULL,"
    "  version   TEXT NOT NULL,"
    "  value     TEXT NOT NULL,"
    "  meta      TEXT NOT NULL,"
    "  created   INTEGER NOT NULL,"
    "  updated   INTEGER NOT NULL,"
    "  UNIQUE(vault_key, name_lc, version)"
    ");"
    "CREATE INDEX vault_secrets_by_name ON vault_secrets(vault_key, name_lc, seq);",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- statements --------------------------------------------------------
 *
 * Every statement is prepared once (lazily, under s->mu) and reused. All
 * values are bound parameters. */

enum {
    SQL_BEGIN,
    SQL_COMMIT,
    SQL_ROLLBACK,
    SQL_SAVEPOINT,
    SQL_RELEASE,
    SQL_ROLLBACK_TO,
    SQL_USER_VERSION,
    SQL_META_GET,
    SQL_META_PUT,
    SQL_META_DEL,
    SQL_PRINCIPAL_PUT,
    SQL_PRINCIPAL_GET,
    SQL_PRINCIPAL_GET_BY_APP,
    SQL_PRINCIPAL_DELETE,
    SQL_CRED_ADD,
    SQL_CRED_LIST,
    SQL_KEY_ADD,
    SQL_KEY_LIST,
    SQL_KEY_RETIRE,
    SQL_KEY_EXISTS,
    SQL_KEY_PRUNE,
    SQL_RES_PEEK,
    SQL_RES_GET,
    SQL_RES_INSERT,
    SQL_RES_UPDATE,
    SQL_RES_DELETE,
    SQL_RES_LIST_ALL,
    SQL_RES_LIST_TYPE,
    SQL_RES_LIST_SCOPE,
    SQL_RES_LIST_SCOPE_TYPE,
    SQL_CHANGE_ADD,
    SQL_CHANGE_MAX,
    SQL_CHANGES_SINCE,
    SQL_AUDIT_ADD,
    SQL_AUDIT_LIST,
    SQL_SECRET_ADD,
    SQL_SECRET_GET,
    SQL_SECRET_LATEST,
    SQL_SECRET_META,
    SQL_SECRET_LIST,
    SQL_SECRET_VERSIONS,
    SQL_SECRET_DELETE,
    SQL_SECRET_PURGE,
    SQL_SECRET_KEYS,
    SQL_COUNT
};

#define RES_COLS "id, type, body, etag, created, updated, rev"
#define SECRET_COLS "name, version, meta, created, updated, seq"
#define PRINCIPAL_COLS "object_id, app_id, display_name, type, resource_id, created"

/* The scope statements select [p, p + "0") -- '0' is the character after
 * '/', so that range holds p, everything below p + "/", and also ids like
 * p + "-x" or p + ".x", which the last term drops. Range terms keep the
 * primary-key index usable, unlike LIKE (which also has wildcards and its
 * own idea of case). ?1 = p, ?2 = p + "/", ?3 = p + "0". */
#define IN_SCOPE "id_lc >= ?1 AND id_lc < ?3 AND (id_lc = ?1 OR id_lc >= ?2)"

static const char *const sql_text[SQL_COUNT] = {
    [SQL_BEGIN] = "BEGIN IMMEDIATE",
    [SQL_COMMIT] = "COMMIT",
    [SQL_ROLLBACK] = "ROLLBACK",
    [SQL_SAVEPOINT] = "SAVEPOINT store_op",
    [SQL_RELEASE] = "RELEASE store_op",
    [SQL_ROLLBACK_TO] = "ROLLBACK TO store_op",
    [SQL_USER_VERSION] = "PRAGMA user_version",
    [SQL_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [SQL_META_DEL] = "DELETE FROM meta WHERE key = ?1",
    [SQL_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [SQL_PRINCIPAL_PUT] = "INSERT INTO principals(" PRINCIPAL_COLS ") "
                          "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_PRINCIPAL_GET] = "SELECT " PRINCIPAL_COLS " FROM principals "
                          "WHERE object_id = ?1",
    [SQL_PRINCIPAL_GET_BY_APP] = "SELECT " PRINCIPAL_COLS " FROM principals "
                                 "WHERE app_id = ?1",
    [SQL_PRINCIPAL_DELETE] = "DELETE FROM principals WHERE object_id = ?1",
    [SQL_CRED_ADD] = "INSERT INTO credentials(key_id, object_id, hash, hint, "
                     "created, expires) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_CRED_LIST] = "SELECT key_id, hash, hint, created, expires "
                      "FROM credentials WHERE object_id = ?1 "
                      "ORDER BY created, key_id",
    [SQL_KEY_ADD] = "INSERT INTO signing_keys(kid, private_pem, cert_pem, "
                    "created, retired) VALUES(?1, ?2, ?3, ?4, ?5)",
    [SQL_KEY_LIST] = "SELECT kid, private_pem, cert_pem, created, retired "
                     "FROM signing_keys ORDER BY created, rowid",
    [SQL_KEY_RETIRE] = "UPDATE signing_keys SET retired = ?2 "
                       "WHERE kid = ?1 AND retired = 0",
    [SQL_KEY_EXISTS] = "SELECT 1 FROM signing_keys WHERE kid = ?1",
    [SQL_KEY_PRUNE] = "DELETE FROM signing_keys "
                      "WHERE retired <> 0 AND retired < ?1",
    [SQL_RES_PEEK] = "SELECT id, etag FROM resources WHERE id_lc = ?1",
    [SQL_RES_GET] = "SELECT " RES_COLS " FROM resources WHERE id_lc = ?1",
    [SQL_RES_INSERT] = "INSERT INTO resources(id_lc, id, type_lc, type, body, "
                       "etag, created, updated, rev) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
    [SQL_RES_UPDATE] = "UPDATE resources SET type_lc = ?2, type = ?3, body = ?4, "
                       "etag = ?5, updated = ?6, rev = ?7 WHERE id_lc = ?1",
    [SQL_RES_DELETE] = "DELETE FROM resources WHERE id_lc = ?1",
    [SQL_RES_LIST_ALL] = "SELECT " RES_COLS " FROM resources ORDER BY id_lc",
    [SQL_RES_LIST_TYPE] = "SELECT " RES_COLS " FROM resources "
                          "WHERE type_lc = ?4 ORDER BY id_lc",
    [SQL_RES_LIST_SCOPE] = "SELECT " RES_COLS " FROM resources "
                           "WHERE " IN_SCOPE " ORDER BY id_lc",
    [SQL_RES_LIST_SCOPE_TYPE] = "SELECT " RES_COLS " FROM resources "
                                "WHERE " IN_SCOPE " AND type_lc = ?4 "
                                "ORDER BY id_lc",
    [SQL_CHANGE_ADD] = "INSERT INTO changes(kind, op, id, time) "
                       "VALUES(?1, ?2, ?3, ?4)",
    [SQL_CHANGE_MAX] = "SELECT coalesce(max(rev), 0) FROM changes",
    [SQL_CHANGES_SINCE] = "SELECT rev, kind, op, id FROM changes "
                          "WHERE rev > ?1 ORDER BY rev LIMIT ?2",
    [SQL_AUDIT_ADD] = "INSERT INTO audit(time, token_id, object_id, client_id, "
                      "audience, grant_type, identity_resource_id, "
                      "app_resource_id, replica, node) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SQL_AUDIT_LIST] = "SELECT seq, time, token_id, object_id, client_id, "
                       "audience, grant_type, identity_resource_id, "
                       "app_resource_id, replica, node FROM audit "
                       "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [SQL_SECRET_ADD] = "INSERT INTO vault_secrets(vault_key, name_lc, name, "
                       "version, value, meta, created, updated) VALUES(?1, ?2, "
                       "coalesce((SELECT name FROM vault_secrets WHERE "
                       "vault_key = ?1 AND name_lc = ?2 ORDER BY seq LIMIT 1), "
                       "?3), ?4, ?5, ?6, ?7, ?7)",
    [SQL_SECRET_GET] = "SELECT " SECRET_COLS ", value FROM vault_secrets "
                       "WHERE vault_key = ?1 AND name_lc = ?2 AND version = ?3",
    [SQL_SECRET_LATEST] = "SELECT " SECRET_COLS ", value FROM vault_secrets "
                          "WHERE vault_key = ?1 AND name_lc = ?2 "
                          "ORDER BY seq DESC LIMIT 1",
    [SQL_SECRET_META] = "UPDATE vault_secrets SET meta = ?3, updated = ?4 "
                        "WHERE seq = (SELECT seq FROM vault_secrets WHERE "
                        "vault_key = ?1 AND name_lc = ?2 AND "
                        "(?5 = '' OR version = ?5) ORDER BY seq DESC LIMIT 1)",
    [SQL_SECRET_LIST] = "SELECT " SECRET_COLS " FROM vault_secrets AS v "
                        "WHERE vault_key = ?1 AND name_lc > ?2 AND seq = "
                        "(SELECT max(seq) FROM vault_secrets WHERE "
                        "vault_key = v.vault_key AND name_lc = v.name_lc) "
                        "ORDER BY name_lc LIMIT ?3",
    [SQL_SECRET_VERSIONS] = "SELECT " SECRET_COLS " FROM vault_secrets "
                            "WHERE vault_key = ?1 AND name_lc = ?2 AND "
                            "seq > ?3 ORDER BY seq LIMIT ?4",
    [SQL_SECRET_DELETE] = "DELETE FROM vault_secrets WHERE vault_key = ?1 "
                          "AND name_lc = ?2",
    [SQL_SECRET_PURGE] = "DELETE FROM vault_secrets WHERE vault_key = ?1",
    [SQL_SECRET_KEYS] = "SELECT DISTINCT vault_key FROM vault_secrets",
};

/* ---- the handle ------------------------------------------------------- */

/* One appender waiting for its record to be committed. It lives on the
 * appender's stack: the appender does not return before `done`, and the
 * record it points to is the caller's, alive for the same reason. */
typedef struct audit_waiter {
    const store_audit_rec *rec;
    struct audit_waiter *next;
    int done;
    int rc;
    mident_error err;
} audit_waiter;

struct mid_store {
    sqlite3 *db;
    pthread_mutex_t mu;  /* recursive; guards db, stmts, depth, doomed */
    int depth;           /* store_begin nesting of the thread holding mu */
    int doomed;          /* a nested store_rollback happened */
    void *tx_owner;      /* &tx_tag of the thread in store_begin, or NULL */
    sqlite3_stmt *stmts[SQL_COUNT];

    /* audit group commit; q_mu is never held together with mu */
    pthread_mutex_t q_mu;
    pthread_cond_t q_work;  /* writer waits here for records or stop */
    pthread_cond_t q_done;  /* appenders wait here for their commit */
    audit_waiter *q_head, *q_tail;
    size_t q_len;        /* records queued */
    size_t q_last_batch; /* size of the batch committed last */
    int q_stop;
    int writer_running;
    pthread_t writer;

    int64_t rev_hint;       /* last change rev written here; atomic */
};

/* Its address identifies the calling thread (see in_own_tx). */
static _Thread_local char tx_tag;

static void lock(mid_store *s) { pthread_mutex_lock(&s->mu); }
static void unlock(mid_store *s) { pthread_mutex_unlock(&s->mu); }

/* 1 if the calling thread is inside store_begin on s. Only the thread
 * itself can have stored its own tag, so a stale read by another thread
 * can never match. */
static int in_own_tx(mid_store *s)
{
    return __atomic_load_n(&s->tx_owner, __ATOMIC_ACQUIRE) == (void *)&tx_tag;
}

/* ---- small helpers ---------------------------------------------------- */

/* Fills *err from the connection's last error. Caller holds mu (the
 * message belongs to the connection, not the thread). */
static int db_fail(mid_store *s, mident_error *err, const char *what)
{
    int x = sqlite3_extended_errcode(s->db);
    mident_code code = MIDENT_EIO;
    if (x == SQLITE_NOMEM)
        code = MIDENT_ENOMEM;
    else if (x == SQLITE_CONSTRAINT_PRIMARYKEY || x == SQLITE_CONSTRAINT_UNIQUE)
        code = MIDENT_ECONFLICT;
    else if (x == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = MIDENT_ENOTFOUND;
    return mid_fail(err, code, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *prep(mid_store *s, int id, mident_error *err)
{
    if (!s->stmts[id] &&
        sqlite3_prepare_v3(s->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                           &s->stmts[id], NULL) != SQLITE_OK) {
        db_fail(s, err, "preparing a statement");
        return NULL;
    }
    return s->stmts[id];
}

/* Makes a statement ready for its next use. A statement left un-reset would
 * keep a read transaction open and pin old WAL frames. */
static void done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

/* Binds parameters 1.. from a type string: 's' text (NULL binds SQL NULL),
 * 'I' int64_t. Text is bound SQLITE_STATIC: every caller resets the
 * statement before its arguments go out of scope. */
static int vbind(mid_store *s, sqlite3_stmt *st, mident_error *err,
                 const char *types, va_list ap)
{
    int rc = SQLITE_OK;
    for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
        if (types[i] == 's') {
            const char *v = va_arg(ap, const char *);
            rc = v ? sqlite3_bind_text(st, i + 1, v, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(st, i + 1);
        } else {
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        }
    }
    if (rc != SQLITE_OK) {
        done(st);
        return db_fail(s, err, "binding a parameter");
    }
    return 0;
}

/* Prepares statement id with bound parameters; NULL on failure. */
static sqlite3_stmt *query(mid_store *s, int id, mident_error *err,
                           const char *types, ...)
{
    sqlite3_stmt *st = prep(s, id, err);
    if (!st)
        return NULL;
    va_list ap;
    va_start(ap, types);
    int rc = vbind(s, st, err, types, ap);
    va_end(ap);
    return rc < 0 ? NULL : st;
}

/* 1 = a row, 0 = no more rows, -1 = error (err filled). */
static int step(mid_store *s, sqlite3_stmt *st, mident_error *err,
                const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return db_fail(s, err, what);
}

/* Runs a statement that returns no rows we need. */
static int exec1(mid_store *s, int id, mident_error *err, const char *what,
                 const char *types, ...)
{
    sqlite3_stmt *st = prep(s, id, err);
    if (!st)
        return -1;
    va_list ap;
    va_start(ap, types);
    int rc = vbind(s, st, err, types, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    rc = step(s, st, err, what);
    done(st);
    return rc < 0 ? -1 : 0;
}

static int run(mid_store *s, int id, mident_error *err)
{
    return exec1(s, id, err, sql_text[id], "");
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* malloc'd copy of a NOT NULL text column; NULL only when out of memory. */
static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

/* Room for one more element in a malloc'd array; NULL (array untouched)
 * when out of memory. */
static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(arr, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

static int64_t clamp_max(size_t max)
{
    return max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max;
}

static int64_t now_s(void) { return (int64_t)time(NULL); }

/* ASCII lower-case copy of src into dst (n bytes); -1 if it does not fit.
 * ARM folds case in ASCII; other bytes are kept as they are. */
static int lower_into(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src[i]; i++) {
        if (i + 1 >= n)
            return -1;
        char c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    dst[i] = '\0';
    return 0;
}

static int check_id(const char *id, char id_lc[STORE_ID_MAX], mident_error *err)
{
    if (!id || !*id)
        return mid_fail(err, MIDENT_EINVAL, "store: empty resource id");
    /* Ids must also fit store_change.id, which has STORE_ID_MAX bytes. */
    if (lower_into(id_lc, STORE_ID_MAX, id) < 0)
        return mid_fail(err, MIDENT_EINVAL,
                        "store: resource id longer than %d characters",
                        STORE_ID_MAX - 1);
    return 0;
}

/* 1 if s is a NUL-terminated, non-empty string within n bytes. */
static int field_ok(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    return len > 0 && len < n;
}

/* ---- transactions ----------------------------------------------------- */

int store_begin(mid_store *s, mident_error *err)
{
    lock(s);
    if (s->depth == 0) {
        if (run(s, SQL_BEGIN, err) < 0) {
            unlock(s);
            return mid_err_wrap(err, "beginning a transaction");
        }
        s->doomed = 0;
        __atomic_store_n(&s->tx_owner, (void *)&tx_tag, __ATOMIC_RELEASE);
    }
    s->depth++;
    return 0; /* mu stays held until the matching commit or rollback */
}

/* Ends one level of store_begin: the outermost level commits (if `commit`
 * and nothing doomed it) or rolls back. Releases the lock store_begin took. */
static int tx_end(mid_store *s, int commit, mident_error *err)
{
    lock(s); /* recursive: immediate for the owning thread */
    if (s->depth == 0) {
        unlock(s);
        if (commit)
            return mid_fail(err, MIDENT_EINTERNAL,
                            "store: commit without a transaction");
        return 0;
    }
    int rc = 0;
    if (s->depth > 1) {
        if (!commit)
            s->doomed = 1;
    } else {
        if (commit && s->doomed)
            rc = mid_fail(err, MIDENT_EINTERNAL,
                          "store: transaction rolled back: a nested "
                          "store_rollback discarded it");
        else if (commit && run(s, SQL_COMMIT, err) < 0)
            rc = mid_err_wrap(err, "committing");
        /* A failed COMMIT may leave the transaction open; close it so the
         * next caller does not inherit it. */
        if ((!commit || rc < 0) && !sqlite3_get_autocommit(s->db)) {
            mident_error e;
            if (run(s, SQL_ROLLBACK, &e) < 0)
                log_error("store", "rollback failed: %s", e.message);
        }
        s->doomed = 0;
        __atomic_store_n(&s->tx_owner, NULL, __ATOMIC_RELEASE);
    }
    s->depth--;
    unlock(s); /* the lock taken above */
    unlock(s); /* the lock store_begin took */
    return rc;
}

int store_commit(mid_store *s, mident_error *err) { return tx_end(s, 1, err); }

void store_rollback(mid_store *s) { tx_end(s, 0, NULL); }

/* Brackets one write call (see the top of the file): takes mu and starts a
 * transaction of its own, or a savepoint inside the caller's. */
static int op_begin(mid_store *s, mident_error *err)
{
    lock(s);
    if (s->depth > 0 && s->doomed) {
        unlock(s);
        return mid_fail(err, MIDENT_EINTERNAL,
                        "store: transaction already rolled back by a nested "
                        "store_rollback");
    }
    if (run(s, s->depth ? SQL_SAVEPOINT : SQL_BEGIN, err) < 0) {
        unlock(s);
        return -1;
    }
    return 0;
}

/* Ends what op_begin started: keeps the work if rc == 0, else undoes it.
 * Returns the final result and releases mu. */
static int op_end(mid_store *s, int rc, mident_error *err)
{
    if (s->depth == 0) {
        if (rc == 0 && run(s, SQL_COMMIT, err) < 0)
            rc = -1;
        if (rc < 0 && !sqlite3_get_autocommit(s->db))
            run(s, SQL_ROLLBACK, NULL);
    } else {
        /* If the savepoint cannot be undone the caller's transaction holds
         * half a write: doom it rather than let it commit. */
        if (rc < 0 && run(s, SQL_ROLLBACK_TO, NULL) < 0)
            s->doomed = 1;
        if (run(s, SQL_RELEASE, rc == 0 ? err : NULL) < 0) {
            rc = -1;
            s->doomed = 1;
        }
    }
    unlock(s);
    return rc;
}

/* Appends a change-feed row; returns its revision, or -1. Caller is inside
 * op_begin, so the change commits together with the write it describes. */
static int64_t change_add(mid_store *s, const char *kind, const char *op,
                          const char *id, mident_error *err)
{
    if (exec1(s, SQL_CHANGE_ADD, err, "recording a change", "sssI", kind, op,
              id, now_s()) < 0)
        return -1;
    int64_t rev = sqlite3_last_insert_rowid(s->db);
    __atomic_store_n(&s->rev_hint, rev, __ATOMIC_RELEASE);
    return rev;
}

int64_t store_rev_hint(mid_store *s)
{
    return __atomic_load_n(&s->rev_hint, __ATOMIC_ACQUIRE);
}

/* ---- open / close ----------------------------------------------------- */

static void *audit_writer(void *arg);

/* Creates the file 0600 before SQLite opens it, so secrets never sit in a
 * file others can read, not even for a moment. SQLite gives the -wal and
 * -shm files the mode of the database. An existing file is left alone. */
static int create_private(const char *path, mident_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        /* The umask may have narrowed 0600 to something unusable. */
        int rc = fchmod(fd, 0600);
        int e = errno;
        close(fd);
        if (rc < 0)
            return mid_fail(err, MIDENT_EIO, "store: chmod %s: %s", path,
                            strerror(e));
        return 0;
    }
    if (errno != EEXIST)
        return mid_fail(err, MIDENT_EIO, "store: create %s: %s", path,
                        strerror(errno));
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        log_warn("store", "%s is readable by other users (mode %03o)", path,
                 (unsigned)(st.st_mode & 0777));
    return 0;
}

/* Runs a PRAGMA that returns one text row; copies it into out. */
static int pragma(mid_store *s, const char *sql, char *out, size_t n,
                  mident_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, sql);
    int rc = step(s, st, err, sql);
    if (rc > 0 && out)
        col_copy(st, 0, out, n);
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* Brings the schema to SCHEMA_VERSION. Everything happens in one write
 * transaction that re-reads the version under the write lock, so two
 * processes opening a fresh file at once cannot both migrate it. */
static int migrate(mid_store *s, mident_error *err)
{
    if (run(s, SQL_BEGIN, err) < 0)
        return mid_err_wrap(err, "migrating the schema");
    sqlite3_stmt *st = prep(s, SQL_USER_VERSION, err);
    int rc = st ? step(s, st, err, "reading the schema version") : -1;
    int version = rc > 0 ? sqlite3_column_int(st, 0) : 0;
    done(st);
    if (rc < 0)
        goto fail;
    if (version > SCHEMA_VERSION) {
        mid_fail(err, MIDENT_EIO,
                 "store: the database has schema version %d but this mident "
                 "knows only up to %d (upgrade mident)",
                 version, SCHEMA_VERSION);
        goto fail;
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char *msg = NULL;
        if (sqlite3_exec(s->db, migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
            mid_fail(err, MIDENT_EIO, "store: schema migration %d failed: %s",
                     v + 1, msg ? msg : sqlite3_errmsg(s->db));
            sqlite3_free(msg);
            goto fail;
        }
    }
    if (version < SCHEMA_VERSION) {
        /* PRAGMA takes no bound parameters; the value is our own constant. */
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
        if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            db_fail(s, err, "setting the schema version");
            goto fail;
        }
        log_info("store", "schema migrated from version %d to %d", version,
                 SCHEMA_VERSION);
    }
    if (run(s, SQL_COMMIT, err) < 0)
        goto fail;
    return 0;
fail:
    if (!sqlite3_get_autocommit(s->db))
        run(s, SQL_ROLLBACK, NULL);
    return -1;
}

static int configure(mid_store *s, const char *path, mident_error *err)
{
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    char mode[16] = "";
    if (pragma(s, "PRAGMA journal_mode = WAL", mode, sizeof mode, err) < 0)
        return -1;
    if (strcmp(mode, "wal") != 0 && strcmp(path, ":memory:") != 0)
        log_warn("store", "%s: WAL mode unavailable (journal_mode is %s)", path,
                 mode);
    if (pragma(s, "PRAGMA synchronous = FULL", NULL, 0, err) < 0 ||
        pragma(s, "PRAGMA foreign_keys = ON", NULL, 0, err) < 0 ||
        pragma(s, "PRAGMA secure_delete = ON", NULL, 0, err) < 0)
        return -1;
    return 0;
}

static void close_db(mid_store *s)
{
    for (int i = 0; i < SQL_COUNT; i++) {
        sqlite3_finalize(s->stmts[i]);
        s->stmts[i] = NULL;
    }
    if (s->db && sqlite3_close(s->db) != SQLITE_OK)
        log_error("store", "closing the database: %s", sqlite3_errmsg(s->db));
    s->db = NULL;
}

static void free_handle(mid_store *s)
{
    pthread_cond_destroy(&s->q_done);
    pthread_cond_destroy(&s->q_work);
    pthread_mutex_destroy(&s->q_mu);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

mid_store *store_open(const char *path, mident_error *err)
{
    if (!path || !*path) {
        mid_fail(err, MIDENT_EINVAL, "store: no database path");
        return NULL;
    }
    if (strcmp(path, ":memory:") != 0 && create_private(path, err) < 0)
        return NULL;
    mid_store *s = calloc(1, sizeof *s);
    if (!s) {
        mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
        return NULL;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    pthread_mutex_init(&s->q_mu, NULL);
    pthread_cond_init(&s->q_work, NULL);
    pthread_cond_init(&s->q_done, NULL);

    /* NOMUTEX: s->mu already serialises every use of the connection. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        mid_fail(err, MIDENT_EIO, "store: open %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    lock(s);
    int rc = configure(s, path, err) < 0 || migrate(s, err) < 0 ? -1 : 0;
    unlock(s);
    if (rc < 0) {
        mid_err_wrap(err, path);
        goto fail;
    }
    int e = pthread_create(&s->writer, NULL, audit_writer, s);
    if (e != 0) {
        mid_fail(err, MIDENT_EIO, "store: starting the audit writer: %s",
                 strerror(e));
        goto fail;
    }
    s->writer_running = 1;
    return s;
fail:
    close_db(s);
    free_handle(s);
    return NULL;
}

void store_close(mid_store *s)
{
    if (!s)
        return;
    if (s->writer_running) {
        pthread_mutex_lock(&s->q_mu);
        s->q_stop = 1;
        pthread_cond_signal(&s->q_work);
        pthread_mutex_unlock(&s->q_mu);
        pthread_join(s->writer, NULL); /* it drains the queue first */
    }
    lock(s);
    if (s->depth > 0)
        log_error("store", "closing with a transaction open; rolling it back");
    close_db(s); /* sqlite3_close rolls back an open transaction */
    unlock(s);
    free_handle(s);
}

/* ---- meta ------------------------------------------------------------- */

int store_meta_get(mid_store *s, const char *key, char **val, mident_error *err)
{
    *val = NULL;
    if (!key)
        return mid_fail(err, MIDENT_EINVAL, "store: no meta key");
    lock(s);
    sqlite3_stmt *st = query(s, SQL_META_GET, err, "s", key);
    int rc = st ? step(s, st, err, "reading meta") : -1;
    if (rc == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: meta key %s is not set", key);
    else if (rc > 0 && !(*val = col_dup(st, 0)))
        rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
    done(st);
    unlock(s);
    return rc < 0 ? -1 : 0;
}

int store_meta_put(mid_store *s, const char *key, const char *val,
                   mident_error *err)
{
    if (!key || !val)
        return mid_fail(err, MIDENT_EINVAL, "store: meta key and value required");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_META_PUT, err, "writing meta", "ss", key, val);
    return op_end(s, rc, err);
}

int store_meta_delete(mid_store *s, const char *key, mident_error *err)
{
    if (!key)
        return mid_fail(err, MIDENT_EINVAL, "store: meta key required");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_META_DEL, err, "deleting meta", "s", key);
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: meta key '%.64s' is not set", key);
    return op_end(s, rc, err);
}

/* ---- principals ------------------------------------------------------- */

static void read_principal(sqlite3_stmt *st, store_principal *p)
{
    memset(p, 0, sizeof *p);
    col_copy(st, 0, p->object_id, sizeof p->object_id);
    col_copy(st, 1, p->app_id, sizeof p->app_id);
    col_copy(st, 2, p->display_name, sizeof p->display_name);
    col_copy(st, 3, p->type, sizeof p->type);
    col_copy(st, 4, p->resource_id, sizeof p->resource_id);
    p->created = sqlite3_column_int64(st, 5);
}

/* Looks a principal up by object id (SQL_PRINCIPAL_GET) or app id. */
static int principal_find(mid_store *s, int which, const char *key,
                          store_principal *out, mident_error *err)
{
    if (!key || !*key)
        return mid_fail(err, MIDENT_EINVAL, "store: no principal id");
    lock(s);
    sqlite3_stmt *st = query(s, which, err, "s", key);
    int rc = st ? step(s, st, err, "reading a principal") : -1;
    if (rc > 0)
        read_principal(st, out);
    else if (rc == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no principal with %s %s",
                      which == SQL_PRINCIPAL_GET ? "object id" : "app id", key);
    done(st);
    unlock(s);
    return rc < 0 ? -1 : 0;
}

int store_principal_get(mid_store *s, const char *object_id, store_principal *out,
                        mident_error *err)
{
    return principal_find(s, SQL_PRINCIPAL_GET, object_id, out, err);
}

int store_principal_get_by_app(mid_store *s, const char *app_id,
                               store_principal *out, mident_error *err)
{
    return principal_find(s, SQL_PRINCIPAL_GET_BY_APP, app_id, out, err);
}

int store_principal_put(mid_store *s, const store_principal *p, mident_error *err)
{
    if (!field_ok(p->object_id, sizeof p->object_id) ||
        !field_ok(p->app_id, sizeof p->app_id) ||
        !field_ok(p->type, sizeof p->type) ||
        strnlen(p->display_name, sizeof p->display_name) == sizeof p->display_name ||
        strnlen(p->resource_id, sizeof p->resource_id) == sizeof p->resource_id)
        return mid_fail(err, MIDENT_EINVAL,
                        "store: a principal needs an object id, app id and type");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_PRINCIPAL_PUT, err, "inserting a principal", "sssssI",
                   p->object_id, p->app_id, p->display_name, p->type,
                   p->resource_id, p->created);
    if (rc < 0 && err && err->code == MIDENT_ECONFLICT)
        mid_fail(err, MIDENT_ECONFLICT,
                 "store: a principal with object id %s or app id %s exists",
                 p->object_id, p->app_id);
    if (rc == 0 && change_add(s, "principal", "put", p->object_id, err) < 0)
        rc = -1;
    return op_end(s, rc, err);
}

int store_principal_delete(mid_store *s, const char *object_id, mident_error *err)
{
    if (!object_id || !*object_id)
        return mid_fail(err, MIDENT_EINVAL, "store: no principal id");
    if (op_begin(s, err) < 0)
        return -1;
    /* Read the stored id first: the feed reports it as created, whatever
     * case the caller used. Credentials go by ON DELETE CASCADE. */
    store_principal p;
    int rc = principal_find(s, SQL_PRINCIPAL_GET, object_id, &p, err);
    if (rc == 0)
        rc = exec1(s, SQL_PRINCIPAL_DELETE, err, "deleting a principal", "s",
                   p.object_id);
    if (rc == 0 && change_add(s, "principal", "delete", p.object_id, err) < 0)
        rc = -1;
    return op_end(s, rc, err);
}

/* ---- credentials ------------------------------------------------------ */

int store_credential_add(mid_store *s, const char *object_id,
                         const store_credential *c, mident_error *err)
{
    if (!object_id || !*object_id || !field_ok(c->key_id, sizeof c->key_id) ||
        !field_ok(c->hash, sizeof c->hash) ||
        strnlen(c->hint, sizeof c->hint) == sizeof c->hint)
        return mid_fail(err, MIDENT_EINVAL,
                        "store: a credential needs a principal, key id and hash");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_CRED_ADD, err, "adding a credential", "ssssII",
                   c->key_id, object_id, c->hash, c->hint, c->created,
                   c->expires);
    /* Never put the hash or hint in a message. */
    if (rc < 0 && err && err->code == MIDENT_ENOTFOUND)
        mid_fail(err, MIDENT_ENOTFOUND, "store: no principal with object id %s",
                 object_id);
    else if (rc < 0 && err && err->code == MIDENT_ECONFLICT)
        mid_fail(err, MIDENT_ECONFLICT, "store: credential %s exists", c->key_id);
    return op_end(s, rc, err);
}

/* An unknown principal simply has no credentials. */
int store_credential_list(mid_store *s, const char *object_id,
                          store_credential **out, size_t *n, mident_error *err)
{
    *out = NULL;
    *n = 0;
    if (!object_id)
        return mid_fail(err, MIDENT_EINVAL, "store: no principal id");
    store_credential *arr = NULL;
    size_t cnt = 0, cap = 0;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_CRED_LIST, err, "s", object_id);
    int rc = st ? 1 : -1;
    while (rc > 0 && (rc = step(s, st, err, "listing credentials")) > 0) {
        store_credential *p = grow(arr, &cap, cnt, sizeof *arr);
        if (!p) {
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = p;
        store_credential *c = &arr[cnt++];
        memset(c, 0, sizeof *c);
        col_copy(st, 0, c->key_id, sizeof c->key_id);
        col_copy(st, 1, c->hash, sizeof c->hash);
        col_copy(st, 2, c->hint, sizeof c->hint);
        c->created = sqlite3_column_int64(st, 3);
        c->expires = sqlite3_column_int64(st, 4);
    }
    done(st);
    unlock(s);
    if (rc < 0) {
        free(arr);
        return -1;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* ---- signing keys ----------------------------------------------------- */

int store_key_add(mid_store *s, const store_key *k, mident_error *err)
{
    if (!field_ok(k->kid, sizeof k->kid) || !k->private_pem || !k->cert_pem)
        return mid_fail(err, MIDENT_EINVAL,
                        "store: a signing key needs a kid, key and certificate");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_KEY_ADD, err, "adding a signing key", "sssII", k->kid,
                   k->private_pem, k->cert_pem, k->created, k->retired);
    if (rc < 0 && err && err->code == MIDENT_ECONFLICT)
        mid_fail(err, MIDENT_ECONFLICT, "store: signing key %s exists", k->kid);
    return op_end(s, rc, err);
}

void store_key_list_free(store_key *keys, size_t n)
{
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++) {
        if (keys[i].private_pem)
            explicit_bzero(keys[i].private_pem, strlen(keys[i].private_pem));
        free(keys[i].private_pem);
        free(keys[i].cert_pem);
    }
    free(keys);
}

int store_key_list(mid_store *s, store_key **out, size_t *n, mident_error *err)
{
    *out = NULL;
    *n = 0;
    store_key *arr = NULL;
    size_t cnt = 0, cap = 0;
    lock(s);
    sqlite3_stmt *st = prep(s, SQL_KEY_LIST, err);
    int rc = st ? 1 : -1;
    while (rc > 0 && (rc = step(s, st, err, "listing signing keys")) > 0) {
        store_key *p = grow(arr, &cap, cnt, sizeof *arr);
        if (!p) {
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = p;
        store_key *k = &arr[cnt++];
        memset(k, 0, sizeof *k);
        col_copy(st, 0, k->kid, sizeof k->kid);
        k->private_pem = col_dup(st, 1);
        k->cert_pem = col_dup(st, 2);
        k->created = sqlite3_column_int64(st, 3);
        k->retired = sqlite3_column_int64(st, 4);
        if (!k->private_pem || !k->cert_pem)
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
    }
    done(st);
    unlock(s);
    if (rc < 0) {
        store_key_list_free(arr, cnt);
        return -1;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* Retiring a key that is already retired keeps its first retirement time:
 * that is when it stopped signing, which is what pruning measures from. */
int store_key_retire(mid_store *s, const char *kid, int64_t when,
                     mident_error *err)
{
    if (!kid || !*kid || when <= 0)
        return mid_fail(err, MIDENT_EINVAL, "store: retiring needs a kid and a time");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_KEY_RETIRE, err, "retiring a signing key", "sI", kid,
                   when);
    if (rc == 0 && sqlite3_changes(s->db) == 0) {
        sqlite3_stmt *st = query(s, SQL_KEY_EXISTS, err, "s", kid);
        rc = st ? step(s, st, err, "reading a signing key") : -1;
        done(st);
        if (rc == 0)
            rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no signing key %s", kid);
        else if (rc > 0)
            rc = 0;
    }
    return op_end(s, rc, err);
}

int store_key_prune(mid_store *s, int64_t before, mident_error *err)
{
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_KEY_PRUNE, err, "pruning signing keys", "I", before);
    int pruned = rc == 0 ? sqlite3_changes(s->db) : 0;
    if (op_end(s, rc, err) < 0)
        return -1;
    return pruned;
}

/* ---- resources -------------------------------------------------------- */

void store_resource_free(store_resource *r)
{
    if (!r)
        return;
    free(r->id);
    free(r->type);
    free(r->body);
    r->id = r->type = r->body = NULL;
}

static int read_resource(sqlite3_stmt *st, store_resource *r, mident_error *err)
{
    memset(r, 0, sizeof *r);
    r->id = col_dup(st, 0);
    r->type = col_dup(st, 1);
    r->body = col_dup(st, 2);
    col_copy(st, 3, r->etag, sizeof r->etag);
    r->created = sqlite3_column_int64(st, 4);
    r->updated = sqlite3_column_int64(st, 5);
    r->rev = sqlite3_column_int64(st, 6);
    if (!r->id || !r->type || !r->body) {
        store_resource_free(r);
        return mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
    }
    return 0;
}

int store_resource_get(mid_store *s, const char *id, store_resource *out,
                       mident_error *err)
{
    memset(out, 0, sizeof *out);
    char id_lc[STORE_ID_MAX];
    if (check_id(id, id_lc, err) < 0)
        return -1;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_RES_GET, err, "s", id_lc);
    int rc = st ? step(s, st, err, "reading a resource") : -1;
    if (rc > 0)
        rc = read_resource(st, out, err);
    else if (rc == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no resource %s", id);
    done(st);
    unlock(s);
    return rc < 0 ? -1 : 0;
}

/* Reads the stored id and etag of a resource: 1 found, 0 absent, -1 error.
 * Caller holds mu. */
static int res_peek(mid_store *s, const char *id_lc, char id[STORE_ID_MAX],
                    char etag[40], mident_error *err)
{
    sqlite3_stmt *st = query(s, SQL_RES_PEEK, err, "s", id_lc);
    int rc = st ? step(s, st, err, "reading a resource") : -1;
    if (rc > 0) {
        col_copy(st, 0, id, STORE_ID_MAX);
        col_copy(st, 1, etag, 40);
    }
    done(st);
    return rc;
}

/* Compares an If-Match value with a stored etag. Clients send the HTTP
 * forms "<etag>" or W/"<etag>"; the stored one is bare. */
static int etag_matches(const char *want, const char *have)
{
    if (strncmp(want, "W/", 2) == 0)
        want += 2;
    size_t n = strlen(want);
    if (n >= 2 && want[0] == '"' && want[n - 1] == '"') {
        want++;
        n -= 2;
    }
    return strlen(have) == n && memcmp(want, have, n) == 0;
}

static int precond_check(const store_precond *pre, int exists,
                         const char *etag, const char *id, mident_error *err)
{
    if (!pre)
        return 0;
    if (pre->if_none_match && exists)
        return mid_fail(err, MIDENT_EPRECONDITION, "store: %s already exists", id);
    if (pre->if_match) {
        if (!exists)
            return mid_fail(err, MIDENT_EPRECONDITION,
                            "store: %s does not exist (If-Match)", id);
        if (strcmp(pre->if_match, "*") != 0 && !etag_matches(pre->if_match, etag))
            return mid_fail(err, MIDENT_EPRECONDITION,
                            "store: %s has changed (etag mismatch)", id);
    }
    return 0;
}

int store_resource_put(mid_store *s, const char *id, const char *type,
                       const char *body, const store_precond *pre,
                       char etag_out[40], int *created, mident_error *err)
{
    char id_lc[STORE_ID_MAX], type_lc[TYPE_MAX];
    if (check_id(id, id_lc, err) < 0)
        return -1;
    if (!type || !*type || lower_into(type_lc, sizeof type_lc, type) < 0)
        return mid_fail(err, MIDENT_EINVAL, "store: bad resource type for %s", id);
    if (!body)
        return mid_fail(err, MIDENT_EINVAL, "store: no body for %s", id);
    char etag[2 * ETAG_BYTES + 1];
    if (rand_hex(etag, ETAG_BYTES, err) < 0)
        return -1;
    if (op_begin(s, err) < 0)
        return -1;
    char old_id[STORE_ID_MAX] = "", old_etag[40] = "";
    int64_t now = now_s(), rev = -1;
    int exists = res_peek(s, id_lc, old_id, old_etag, err);
    int rc = exists < 0 ? -1 : precond_check(pre, exists, old_etag, id, err);
    /* The feed names the resource as first created, like every read. */
    if (rc == 0 && (rev = change_add(s, "resource", "put", exists ? old_id : id,
                                     err)) < 0)
        rc = -1;
    if (rc == 0 && exists)
        rc = exec1(s, SQL_RES_UPDATE, err, "updating a resource", "sssssII", id_lc,
                   type_lc, type, body, etag, now, rev);
    else if (rc == 0)
        rc = exec1(s, SQL_RES_INSERT, err, "inserting a resource", "ssssssII",
                   id_lc, id, type_lc, type, body, etag, now, rev);
    if (op_end(s, rc, err) < 0)
        return -1;
    if (etag_out)
        memcpy(etag_out, etag, sizeof etag);
    if (created)
        *created = !exists;
    return 0;
}

int store_resource_delete(mid_store *s, const char *id, const store_precond *pre,
                          mident_error *err)
{
    char id_lc[STORE_ID_MAX];
    if (check_id(id, id_lc, err) < 0)
        return -1;
    if (op_begin(s, err) < 0)
        return -1;
    char old_id[STORE_ID_MAX] = "", old_etag[40] = "";
    int exists = res_peek(s, id_lc, old_id, old_etag, err);
    int rc = exists < 0 ? -1 : precond_check(pre, exists, old_etag, id, err);
    if (rc == 0 && !exists)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no resource %s", id);
    if (rc == 0)
        rc = exec1(s, SQL_RES_DELETE, err, "deleting a resource", "s", id_lc);
    if (rc == 0 && change_add(s, "resource", "delete", old_id, err) < 0)
        rc = -1;
    return op_end(s, rc, err);
}

void store_resource_list_free(store_resources *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        store_resource_free(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int store_resource_list(mid_store *s, const char *scope, const char *type,
                        store_resources *out, mident_error *err)
{
    out->items = NULL;
    out->n = 0;
    /* p = scope lower-cased without trailing '/'; lo = p + "/", hi = p + "0". */
    char p[STORE_ID_MAX], lo[STORE_ID_MAX + 1], hi[STORE_ID_MAX + 1];
    char type_lc[TYPE_MAX];
    p[0] = '\0';
    if (scope && lower_into(p, sizeof p, scope) < 0)
        return 0; /* longer than any id: nothing can lie below it */
    size_t plen = strlen(p);
    while (plen > 0 && p[plen - 1] == '/')
        p[--plen] = '\0';
    snprintf(lo, sizeof lo, "%s/", p);
    snprintf(hi, sizeof hi, "%s0", p);
    int by_type = type && *type;
    if (by_type && lower_into(type_lc, sizeof type_lc, type) < 0)
        return 0; /* no stored type is that long */
    int which = plen ? (by_type ? SQL_RES_LIST_SCOPE_TYPE : SQL_RES_LIST_SCOPE)
                     : (by_type ? SQL_RES_LIST_TYPE : SQL_RES_LIST_ALL);

    store_resource *arr = NULL;
    size_t cnt = 0, cap = 0;
    lock(s);
    sqlite3_stmt *st = prep(s, which, err);
    int rc = st ? 1 : -1;
    /* Parameters by number: ?1..?3 the scope range, ?4 the type. */
    if (rc > 0 && plen &&
        (sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC) != SQLITE_OK))
        rc = db_fail(s, err, "binding a parameter");
    if (rc > 0 && by_type &&
        sqlite3_bind_text(st, 4, type_lc, -1, SQLITE_STATIC) != SQLITE_OK)
        rc = db_fail(s, err, "binding a parameter");
    while (rc > 0 && (rc = step(s, st, err, "listing resources")) > 0) {
        store_resource *np = grow(arr, &cap, cnt, sizeof *arr);
        if (!np) {
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = np;
        if (read_resource(st, &arr[cnt], err) < 0) {
            rc = -1;
            break;
        }
        cnt++;
    }
    done(st);
    unlock(s);
    out->items = arr;
    out->n = cnt;
    if (rc < 0) {
        store_resource_list_free(out);
        return -1;
    }
    return 0;
}

/* ---- change feed ------------------------------------------------------ */

int64_t store_current_rev(mid_store *s)
{
    mident_error err;
    lock(s);
    sqlite3_stmt *st = prep(s, SQL_CHANGE_MAX, &err);
    int rc = st ? step(s, st, &err, "reading the current revision") : -1;
    int64_t rev = rc > 0 ? sqlite3_column_int64(st, 0) : -1;
    done(st);
    unlock(s);
    if (rev < 0)
        log_error("store", "%s", err.message);
    return rev;
}

int store_changes_since(mid_store *s, int64_t after, size_t max,
                        store_change **out, size_t *n, mident_error *err)
{
    *out = NULL;
    *n = 0;
    if (max == 0)
        return 0;
    store_change *arr = NULL;
    size_t cnt = 0, cap = 0;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_CHANGES_SINCE, err, "II", after, clamp_max(max));
    int rc = st ? 1 : -1;
    while (rc > 0 && (rc = step(s, st, err, "reading the change feed")) > 0) {
        store_change *p = grow(arr, &cap, cnt, sizeof *arr);
        if (!p) {
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = p;
        store_change *c = &arr[cnt++];
        memset(c, 0, sizeof *c);
        c->rev = sqlite3_column_int64(st, 0);
        col_copy(st, 1, c->kind, sizeof c->kind);
        col_copy(st, 2, c->op, sizeof c->op);
        col_copy(st, 3, c->id, sizeof c->id);
    }
    done(st);
    unlock(s);
    if (rc < 0) {
        free(arr);
        return -1;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* ---- audit ------------------------------------------------------------
 *
 * Group commit. An fsync costs about as much as thousands of inserts, so
 * appenders do not commit one by one: each queues its record and sleeps;
 * the writer thread takes the whole queue, inserts it in one transaction,
 * commits (one fsync), and wakes everyone with the result. Records that
 * arrive during a commit form the next batch, so the batch size follows
 * the load by itself and a lone appender pays one commit, no timer.
 *
 * Under concurrent load the writer lingers: when the last batch held more
 * than one record (so appenders are arriving together), it waits up to
 * AUDIT_LINGER_NS for as many records as that batch had before committing,
 * so batches stay as large as the load allows and the fsync cost per token
 * stays small. A lone appender (batches of one) never waits.
 *
 * An appender already inside store_begin holds mu, which the writer
 * needs: it would wait for itself. Its record joins its own transaction
 * instead, and becomes durable when that transaction commits. */

static int audit_insert(mid_store *s, const store_audit_rec *r, mident_error *err)
{
    return exec1(s, SQL_AUDIT_ADD, err, "appending to the audit log",
                 "Isssssssss", r->time, r->token_id, r->object_id,
                 r->client_id, r->audience, r->grant, r->identity_resource_id,
                 r->app_resource_id, r->replica, r->node);
}

static int audit_commit_batch(mid_store *s, audit_waiter *batch, mident_error *err)
{
    if (op_begin(s, err) < 0)
        return -1;
    int rc = 0;
    for (audit_waiter *w = batch; w && rc == 0; w = w->next)
        rc = audit_insert(s, w->rec, err);
    return op_end(s, rc, err);
}

#define AUDIT_LINGER_NS 1000000L /* 1 ms */
#define AUDIT_BATCH_MAX 64

/* Called with q_mu held and a non-empty queue. */
static void audit_linger(mid_store *s)
{
    if (s->q_last_batch < 2)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += AUDIT_LINGER_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    size_t want = s->q_last_batch < AUDIT_BATCH_MAX ? s->q_last_batch : AUDIT_BATCH_MAX;
    while (s->q_len < want && !s->q_stop)
        if (pthread_cond_timedwait(&s->q_work, &s->q_mu, &until) != 0)
            break; /* timed out */
}

static void *audit_writer(void *arg)
{
    mid_store *s = arg;
    pthread_mutex_lock(&s->q_mu);
    for (;;) {
        while (!s->q_head && !s->q_stop)
            pthread_cond_wait(&s->q_work, &s->q_mu);
        if (!s->q_head)
            break; /* stopping, and the queue is drained */
        audit_linger(s);
        audit_waiter *batch = s->q_head;
        s->q_head = s->q_tail = NULL;
        s->q_last_batch = s->q_len;
        s->q_len = 0;
        pthread_mutex_unlock(&s->q_mu);

        mident_error e;
        mid_err_clear(&e);
        int rc = audit_commit_batch(s, batch, &e);
        if (rc < 0)
            log_error("store", "audit commit failed: %s", e.message);

        pthread_mutex_lock(&s->q_mu);
        for (audit_waiter *w = batch, *next; w; w = next) {
            next = w->next; /* w is gone once its owner sees done */
            w->rc = rc;
            w->err = e;
            w->done = 1;
        }
        pthread_cond_broadcast(&s->q_done);
    }
    pthread_mutex_unlock(&s->q_mu);
    return NULL;
}

int store_audit_append(mid_store *s, const store_audit_rec *rec,
                       mident_error *err)
{
    /* Checked here, not left to NOT NULL: one bad record must not fail the
     * batch it would share with others. */
    if (!rec || !rec->token_id || !rec->object_id || !rec->client_id ||
        !rec->audience || !rec->grant)
        return mid_fail(err, MIDENT_EINVAL,
                        "store: an audit record needs token id, object id, "
                        "client id, audience and grant");
    if (in_own_tx(s)) {
        if (op_begin(s, err) < 0)
            return -1;
        return op_end(s, audit_insert(s, rec, err), err);
    }
    audit_waiter w = {.rec = rec};
    pthread_mutex_lock(&s->q_mu);
    if (s->q_stop) {
        pthread_mutex_unlock(&s->q_mu);
        return mid_fail(err, MIDENT_EUNAVAILABLE, "store: closing");
    }
    if (s->q_tail)
        s->q_tail->next = &w;
    else
        s->q_head = &w;
    s->q_tail = &w;
    s->q_len++;
    pthread_cond_signal(&s->q_work);
    while (!w.done)
        pthread_cond_wait(&s->q_done, &s->q_mu);
    pthread_mutex_unlock(&s->q_mu);
    if (w.rc < 0 && err)
        *err = w.err;
    return w.rc;
}

int store_audit_list(mid_store *s, int64_t after, size_t max,
                     store_audit_row **out, size_t *n, mident_error *err)
{
    *out = NULL;
    *n = 0;
    if (max == 0)
        return 0;
    store_audit_row *arr = NULL;
    size_t cnt = 0, cap = 0;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_AUDIT_LIST, err, "II", after, clamp_max(max));
    int rc = st ? 1 : -1;
    while (rc > 0 && (rc = step(s, st, err, "reading the audit log")) > 0) {
        store_audit_row *p = grow(arr, &cap, cnt, sizeof *arr);
        if (!p) {
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = p;
        store_audit_row *r = &arr[cnt++];
        memset(r, 0, sizeof *r);
        r->seq = sqlite3_column_int64(st, 0);
        r->time = sqlite3_column_int64(st, 1);
        col_copy(st, 2, r->token_id, sizeof r->token_id);
        col_copy(st, 3, r->object_id, sizeof r->object_id);
        col_copy(st, 4, r->client_id, sizeof r->client_id);
        col_copy(st, 5, r->audience, sizeof r->audience);
        col_copy(st, 6, r->grant, sizeof r->grant);
        col_copy(st, 7, r->identity_resource_id, sizeof r->identity_resource_id);
        col_copy(st, 8, r->app_resource_id, sizeof r->app_resource_id);
        col_copy(st, 9, r->replica, sizeof r->replica);
        col_copy(st, 10, r->node, sizeof r->node);
    }
    done(st);
    unlock(s);
    if (rc < 0) {
        free(arr);
        return -1;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

/* ---- vault secrets ------------------------------------------------------ */

void store_secret_free(store_secret *x)
{
    if (!x)
        return;
    if (x->value) {
        /* a secret's value should not linger in freed memory */
        memset(x->value, 0, strlen(x->value));
        free(x->value);
    }
    free(x->meta);
    x->value = x->meta = NULL;
}

void store_secret_list_free(store_secret *arr, size_t n)
{
    for (size_t i = 0; arr && i < n; i++)
        store_secret_free(&arr[i]);
    free(arr);
}

/* Lower-cased secret name; -1 (EINVAL) when empty or too long. */
static int secret_name_lc(const char *name, char out[STORE_SECRET_NAME_MAX],
                          mident_error *err)
{
    if (!name || !*name || lower_into(out, STORE_SECRET_NAME_MAX, name) < 0)
        return mid_fail(err, MIDENT_EINVAL, "store: bad secret name");
    return 0;
}

/* Reads SECRET_COLS (and value at column 6 when with_value). */
static int read_secret(sqlite3_stmt *st, store_secret *x, int with_value,
                       mident_error *err)
{
    memset(x, 0, sizeof *x);
    col_copy(st, 0, x->name, sizeof x->name);
    col_copy(st, 1, x->version, sizeof x->version);
    x->meta = col_dup(st, 2);
    x->created = sqlite3_column_int64(st, 3);
    x->updated = sqlite3_column_int64(st, 4);
    x->seq = sqlite3_column_int64(st, 5);
    if (with_value)
        x->value = col_dup(st, 6);
    if (!x->meta || (with_value && !x->value)) {
        store_secret_free(x);
        return mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
    }
    return 0;
}

int store_secret_add(mid_store *s, const char *vault_key, const char *name,
                     const char *version, const char *value, const char *meta,
                     int64_t now, mident_error *err)
{
    char lc[STORE_SECRET_NAME_MAX];
    if (!vault_key || !version || !value || !meta)
        return mid_fail(err, MIDENT_EINVAL, "store: secret fields required");
    if (secret_name_lc(name, lc, err) < 0)
        return -1;
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_SECRET_ADD, err, "writing a secret", "ssssssI",
                   vault_key, lc, name, version, value, meta, now);
    return op_end(s, rc, err);
}

int store_secret_get(mid_store *s, const char *vault_key, const char *name,
                     const char *version, store_secret *out, mident_error *err)
{
    memset(out, 0, sizeof *out);
    char lc[STORE_SECRET_NAME_MAX];
    if (!vault_key || secret_name_lc(name, lc, err) < 0)
        return mid_fail(err, MIDENT_EINVAL, "store: bad secret name");
    int latest = !version || !*version;
    lock(s);
    sqlite3_stmt *st = latest
        ? query(s, SQL_SECRET_LATEST, err, "ss", vault_key, lc)
        : query(s, SQL_SECRET_GET, err, "sss", vault_key, lc, version);
    int rc = st ? step(s, st, err, "reading a secret") : -1;
    if (rc > 0)
        rc = read_secret(st, out, 1, err);
    else if (rc == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no such secret");
    done(st);
    unlock(s);
    return rc < 0 ? -1 : 0;
}

int store_secret_set_meta(mid_store *s, const char *vault_key,
                          const char *name, const char *version,
                          const char *meta, int64_t now, mident_error *err)
{
    char lc[STORE_SECRET_NAME_MAX];
    if (!vault_key || !meta || secret_name_lc(name, lc, err) < 0)
        return mid_fail(err, MIDENT_EINVAL, "store: bad secret update");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_SECRET_META, err, "updating a secret", "sssIs",
                   vault_key, lc, meta, now, version ? version : "");
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no such secret");
    return op_end(s, rc, err);
}

/* Runs a listing statement into a malloc'd array. Caller holds mu. */
static int secret_rows(mid_store *s, sqlite3_stmt *st, store_secret **out,
                       size_t *n, mident_error *err)
{
    store_secret *arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc = st ? 1 : -1;
    while (rc > 0 && (rc = step(s, st, err, "listing secrets")) > 0) {
        store_secret *p = grow(arr, &cap, cnt, sizeof *arr);
        if (!p) {
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = p;
        if (read_secret(st, &arr[cnt], 0, err) < 0) {
            rc = -1;
            break;
        }
        cnt++;
    }
    done(st);
    if (rc < 0) {
        store_secret_list_free(arr, cnt);
        return -1;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

int store_secret_list(mid_store *s, const char *vault_key,
                      const char *after_lc, size_t max, store_secret **out,
                      size_t *n, mident_error *err)
{
    *out = NULL;
    *n = 0;
    if (!vault_key)
        return mid_fail(err, MIDENT_EINVAL, "store: no vault key");
    if (max == 0)
        return 0;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_SECRET_LIST, err, "ssI", vault_key,
                             after_lc ? after_lc : "", clamp_max(max));
    int rc = secret_rows(s, st, out, n, err);
    unlock(s);
    return rc;
}

int store_secret_versions(mid_store *s, const char *vault_key,
                          const char *name, int64_t after_seq, size_t max,
                          store_secret **out, size_t *n, mident_error *err)
{
    *out = NULL;
    *n = 0;
    char lc[STORE_SECRET_NAME_MAX];
    if (!vault_key || secret_name_lc(name, lc, err) < 0)
        return mid_fail(err, MIDENT_EINVAL, "store: bad secret name");
    if (max == 0)
        return 0;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_SECRET_VERSIONS, err, "ssII", vault_key,
                             lc, after_seq, clamp_max(max));
    int rc = secret_rows(s, st, out, n, err);
    unlock(s);
    return rc;
}

int store_secret_delete(mid_store *s, const char *vault_key, const char *name,
                        mident_error *err)
{
    char lc[STORE_SECRET_NAME_MAX];
    if (!vault_key || secret_name_lc(name, lc, err) < 0)
        return mid_fail(err, MIDENT_EINVAL, "store: bad secret name");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_SECRET_DELETE, err, "deleting a secret", "ss",
                   vault_key, lc);
    if (rc == 0 && sqlite3_changes(s->db) == 0)
        rc = mid_fail(err, MIDENT_ENOTFOUND, "store: no such secret");
    return op_end(s, rc, err);
}

int64_t store_secret_purge_vault(mid_store *s, const char *vault_key,
                                 mident_error *err)
{
    if (!vault_key)
        return mid_fail(err, MIDENT_EINVAL, "store: no vault key");
    if (op_begin(s, err) < 0)
        return -1;
    int rc = exec1(s, SQL_SECRET_PURGE, err, "purging secrets", "s", vault_key);
    int64_t count = rc == 0 ? sqlite3_changes64(s->db) : 0;
    rc = op_end(s, rc, err);
    return rc < 0 ? -1 : count;
}

int store_secret_vault_keys(mid_store *s, char ***out, size_t *n,
                            mident_error *err)
{
    *out = NULL;
    *n = 0;
    char **arr = NULL;
    size_t cnt = 0, cap = 0;
    lock(s);
    sqlite3_stmt *st = query(s, SQL_SECRET_KEYS, err, "");
    int rc = st ? 1 : -1;
    while (rc > 0 && (rc = step(s, st, err, "listing vault keys")) > 0) {
        char **p = grow(arr, &cap, cnt, sizeof *arr);
        if (!p || !(p[cnt] = col_dup(st, 0))) {
            if (p)
                arr = p;
            rc = mid_fail(err, MIDENT_ENOMEM, "store: out of memory");
            break;
        }
        arr = p;
        cnt++;
    }
    done(st);
    unlock(s);
    if (rc < 0) {
        for (size_t i = 0; i < cnt; i++)
            free(arr[i]);
        free(arr);
        return -1;
    }
    *out = arr;
    *n = cnt;
    return 0;
}
