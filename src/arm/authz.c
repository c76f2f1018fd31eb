/*
 * authz.c -- RBAC checks over stored role assignments, with an in-memory
 * index rebuilt when the store revision changes. See authz.h.
 *
 * Locking: no store function is ever called with the index lock held (a
 * thread inside a store transaction may call in here, and the store lock
 * must never wait on ours). An index is built outside the lock and
 * swapped in. Checks made inside a store transaction must not use the
 * cache (they would see, and could label with a revision, writes that may
 * be rolled back); authz_check_uncached serves them.
 */
#include "arm/authz.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arm/ids.h"
#include "arm/roles.h"
#include "core/json.h"

typedef struct {
    char principal[37];
    char *scope;
    const role_def *role;
} assignment;

typedef struct {
    assignment *items;
    size_t n;
} index_t;

struct authz {
    mid_store *store;
    pthread_mutex_t lock;
    int64_t rev;           /* store revision the index reflects; -1 none */
    index_t idx;
};

authz *authz_new(mid_store *s, mident_error *err)
{
    authz *z = calloc(1, sizeof *z);
    if (!z) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    z->store = s;
    z->rev = -1;
    pthread_mutex_init(&z->lock, NULL);
    return z;
}

static void index_free(index_t *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->items[i].scope);
    free(x->items);
    x->items = NULL;
    x->n = 0;
}

void authz_free(authz *z)
{
    if (!z)
        return;
    index_free(&z->idx);
    pthread_mutex_destroy(&z->lock);
    free(z);
}

/* Reads one stored assignment into *a; 0 if usable. */
static int read_assignment(const store_resource *r, assignment *a)
{
    mident_error e;
    cJSON *doc = json_parse(r->body, strlen(r->body), &e);
    if (!doc)
        return -1;
    const cJSON *props = json_get_obj(doc, "properties");
    const char *pid = json_get_str(props, "principalId");
    const char *scope = json_get_str(props, "scope");
    const role_def *role =
        role_by_definition_id(json_get_str(props, "roleDefinitionId"));
    int rc = -1;
    if (pid && strlen(pid) < sizeof a->principal && scope && role) {
        strcpy(a->principal, pid);
        a->scope = strdup(scope);
        a->role = role;
        rc = a->scope ? 0 : -1;
    }
    cJSON_Delete(doc);
    return rc;
}

static int index_build(mid_store *s, index_t *out, mident_error *err)
{
    store_resources l = {0};
    out->items = NULL;
    out->n = 0;
    if (store_resource_list(s, NULL, AUTHZ_ASSIGNMENT_TYPE, &l, err) < 0)
        return -1;
    out->items = calloc(l.n ? l.n : 1, sizeof *out->items);
    if (!out->items) {
        store_resource_list_free(&l);
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++)
        if (read_assignment(&l.items[i], &out->items[out->n]) == 0)
            out->n++;
    store_resource_list_free(&l);
    return 0;
}

/* The questions asked of an index. */
typedef enum { Q_ALLOWS, Q_ANY } query_kind;

static int index_query(const index_t *x, query_kind q, const char *principal,
                       const char *scope, const char *op, int data)
{
    for (size_t i = 0; i < x->n; i++) {
        const assignment *a = &x->items[i];
        if (strcasecmp(a->principal, principal) != 0)
            continue;
        if (q == Q_ALLOWS && arm_scope_covers(a->scope, scope) &&
            role_allows(a->role, op, data))
            return 1;
        if (q == Q_ANY && (arm_scope_covers(a->scope, scope) ||
                           arm_scope_covers(scope, a->scope)))
            return 1;
    }
    return 0;
}

static int cached_query(authz *z, query_kind q, const char *principal,
                        const char *scope, const char *op, int data,
                        mident_error *err)
{
    if (!principal || !*principal || !scope || (q == Q_ALLOWS && !op))
        return 0;
    int64_t rev = store_current_rev(z->store);
    pthread_mutex_lock(&z->lock);
    int fresh = z->rev >= 0 && z->rev == rev;
    pthread_mutex_unlock(&z->lock);
    if (!fresh) {
        index_t built;
        if (index_build(z->store, &built, err) < 0)
            return -1;
        pthread_mutex_lock(&z->lock);
        if (z->rev < rev) {
            index_t old = z->idx;
            z->idx = built;
            z->rev = rev;
            built = old;
        }
        pthread_mutex_unlock(&z->lock);
        index_free(&built);
    }
    pthread_mutex_lock(&z->lock);
    int rc = index_query(&z->idx, q, principal, scope, op, data);
    pthread_mutex_unlock(&z->lock);
    return rc;
}

int authz_check(authz *z, const char *principal, const char *scope,
                const char *op, int data, mident_error *err)
{
    return cached_query(z, Q_ALLOWS, principal, scope, op, data, err);
}

int authz_check_uncached(mid_store *s, const char *principal,
                         const char *scope, const char *op, int data,
                         mident_error *err)
{
    if (!principal || !*principal || !scope || !op)
        return 0;
    index_t x;
    if (index_build(s, &x, err) < 0)
        return -1;
    int rc = index_query(&x, Q_ALLOWS, principal, scope, op, data);
    index_free(&x);
    return rc;
}

int authz_has_any(authz *z, const char *principal, const char *scope,
                  mident_error *err)
{
    return cached_query(z, Q_ANY, principal, scope, NULL, 0, err);
}
