/*
 * cache.c -- the agent's token cache, per (app, identity, resource).
 *
 * Keyed by app as well as identity so that every token an app receives
 * was minted (and audited) for that app, and so that unassigning an
 * identity from one app drops exactly that app's tokens.
 *
 * An entry holds the ready response body (the endpoint sends it as is),
 * nbf/exp, and a refresh time at about half the lifetime with +-10 %
 * jitter. A request is served from the entry while it is more than a
 * margin (a tenth of the lifetime, at most 5 min) from expiry -- also when
 * the token service is unreachable. A miss makes one mint however many
 * requests wait for it (single flight: waiters sleep on a condition
 * variable and take the leader's result, success or error).
 *
 * cache_tick (about once a second) refreshes entries past their refresh
 * time that were asked for since they were minted (the others are kept
 * and served until they expire, not refreshed), and evicts entries no
 * longer servable. A refresh that finds the token service down is
 * retried after REFRESH_RETRY_S; one that is refused drops the entry.
 *
 * Thread-safe: one mutex; the channel is called without it held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_int.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"

#define REFRESH_RETRY_S 5

typedef struct cache_ent {
    char *key;
    char *app_key, *app_id, *object_id, *resource;
    char replica[128];    /* the last replica that asked (audited) */
    char *body;           /* NULL until the first mint succeeds */
    size_t body_len;
    int64_t nbf, exp, refresh_at, minted_at, last_used;
    int minting;
    unsigned attempt;     /* bumped when a mint finishes */
    mident_error last_err;
    int last_ok;
    int refs;             /* requests waiting or minting */
    int dropped;          /* removed from the map; freed when refs == 0 */
} cache_ent;

struct ag_cache {
    agent_channel *ch;
    char node[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ag_map map;
};

static int64_t now_s(void) { return (int64_t)time(NULL); }

static void ent_free(cache_ent *e)
{
    if (!e)
        return;
    free(e->key);
    free(e->app_key);
    free(e->app_id);
    free(e->object_id);
    free(e->resource);
    if (e->body) {
        memset(e->body, 0, strlen(e->body));
        free(e->body);
    }
    free(e);
}

ag_cache *cache_new(agent_channel *ch, const char *node, mident_error *err)
{
    ag_cache *c = calloc(1, sizeof *c);
    if (!c) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    c->ch = ch;
    snprintf(c->node, sizeof c->node, "%s", node);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    ag_map_init(&c->map);
    return c;
}

static int free_all(void *ctx, const char *key, void *val)
{
    (void)ctx;
    (void)key;
    ent_free(val);
    return 1;
}

void cache_free(ag_cache *c)
{
    if (!c)
        return;
    ag_map_each(&c->map, free_all, NULL);
    ag_map_free(&c->map);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int64_t margin(const cache_ent *e)
{
    int64_t m = (e->exp - e->nbf) / 10;
    return m > 300 ? 300 : m;
}

static int servable(const cache_ent *e, int64_t now)
{
    return e->body && now < e->exp - margin(e);
}

/* The response body of the App Service protocol for a fresh token. */
static char *make_body(const channel_token *t, const char *resource)
{
    char num[32];
    cJSON *d = cJSON_CreateObject();
    if (!d)
        return NULL;
    int bad = json_set_str(d, "access_token", t->access_token);
    snprintf(num, sizeof num, "%lld", (long long)t->exp);
    bad |= json_set_str(d, "expires_on", num);
    bad |= json_set_str(d, "resource", resource);
    bad |= json_set_str(d, "token_type", "Bearer");
    bad |= json_set_str(d, "client_id", t->client_id);
    snprintf(num, sizeof num, "%lld", (long long)t->nbf);
    bad |= json_set_str(d, "not_before", num);
    char *s = bad ? NULL : json_print(d);
    cJSON_Delete(d);
    return s;
}

/* Mints for e without the lock; then stores the result under it and
 * appends the body to `out` when non-NULL. */
static int mint_into(ag_cache *c, cache_ent *e, buf *out, mident_error *err)
{
    channel_mint_req r = {
        .node = c->node,
        .app_resource_id = e->app_id,
        .replica = e->replica,
        .object_id = e->object_id,
        .resource = e->resource,
    };
    channel_token t;
    mident_error merr;
    mid_err_clear(&merr);
    int rc = c->ch->mint(c->ch, &r, &t, &merr);
    char *b = NULL;
    if (rc == 0) {
        b = make_body(&t, e->resource);
        if (!b)
            rc = mid_fail(&merr, MIDENT_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&c->mu);
    e->minting = 0;
    e->attempt++;
    e->last_ok = rc == 0;
    e->last_err = merr;
    if (rc == 0) {
        int64_t life = t.exp - t.nbf;
        unsigned char j;
        if (rand_bytes(&j, 1, NULL) < 0)
            j = 128;
        /* 0.45 .. 0.55 of the lifetime */
        e->refresh_at = t.nbf + life * 45 / 100 + life * 10 * j / (100 * 255);
        e->nbf = t.nbf;
        e->exp = t.exp;
        e->minted_at = now_s();
        if (e->body) {
            memset(e->body, 0, strlen(e->body));
            free(e->body);
        }
        e->body = b;
        e->body_len = strlen(b);
        if (out) {
            buf_append(out, b, e->body_len);
            if (buf_failed(out))
                rc = mid_fail(err, MIDENT_ENOMEM, "out of memory");
        }
    } else if (err) {
        *err = merr;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    channel_token_free(&t);
    return rc;
}

static void release(ag_cache *c, cache_ent *e)
{
    (void)c;
    if (--e->refs == 0 && e->dropped && !e->minting)
        ent_free(e);
}

static void drop_locked(ag_cache *c, cache_ent *e)
{
    if (e->dropped)
        return;
    ag_map_del(&c->map, e->key);
    e->dropped = 1;
    if (e->refs == 0 && !e->minting)
        ent_free(e);
}

int cache_get(ag_cache *c, const cache_req *r, buf *out, mident_error *err)
{
    char key[4096];
    size_t la = strlen(r->app_key), lo = strlen(r->object_id),
           lr = strlen(r->resource);
    if (la + lo + lr + 3 > sizeof key)
        return mid_fail(err, MIDENT_EINVAL, "resource too long");
    memcpy(key, r->app_key, la);
    key[la] = '\x1f';
    memcpy(key + la + 1, r->object_id, lo);
    key[la + 1 + lo] = '\x1f';
    memcpy(key + la + 2 + lo, r->resource, lr + 1);
    int64_t now = now_s();
    pthread_mutex_lock(&c->mu);
    cache_ent *e = ag_map_get(&c->map, key);
    if (e && servable(e, now)) {
        e->last_used = now;
        buf_append(out, e->body, e->body_len);
        pthread_mutex_unlock(&c->mu);
        return buf_failed(out) ? mid_fail(err, MIDENT_ENOMEM, "out of memory") : 0;
    }
    if (!e) {
        int failed = 0;
        e = calloc(1, sizeof *e);
        if (e) {
            e->key = strdup(key);
            e->app_key = strdup(r->app_key);
            e->app_id = strdup(r->app_id);
            e->object_id = strdup(r->object_id);
            e->resource = strdup(r->resource);
        }
        if (!e || !e->key || !e->app_key || !e->app_id || !e->object_id ||
            !e->resource || (ag_map_put(&c->map, key, e, &failed), failed)) {
            ent_free(e);
            pthread_mutex_unlock(&c->mu);
            return mid_fail(err, MIDENT_ENOMEM, "out of memory");
        }
    }
    e->refs++;
    e->last_used = now;
    snprintf(e->replica, sizeof e->replica, "%s", r->replica);
    if (e->minting) {
        /* Someone is minting this very token: take their result. */
        unsigned mine = e->attempt;
        while (e->minting && e->attempt == mine)
            pthread_cond_wait(&c->cv, &c->mu);
        int rc;
        if (e->last_ok && servable(e, now_s())) {
            buf_append(out, e->body, e->body_len);
            rc = buf_failed(out) ? mid_fail(err, MIDENT_ENOMEM, "out of memory") : 0;
        } else {
            if (err)
                *err = e->last_err;
            rc = -1;
        }
        release(c, e);
        pthread_mutex_unlock(&c->mu);
        return rc;
    }
    e->minting = 1;
    pthread_mutex_unlock(&c->mu);
    int rc = mint_into(c, e, out, err);
    pthread_mutex_lock(&c->mu);
    if (rc < 0 && err && err->code == MIDENT_EFORBIDDEN)
        drop_locked(c, e);
    release(c, e);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

typedef struct {
    ag_cache *c;
    const char *app_key, *object_id;
    cache_ent **todo;
    size_t n, cap;
    int64_t now;
} drop_ctx;

static int drop_match(void *ctx, const char *key, void *val)
{
    (void)key;
    drop_ctx *d = ctx;
    cache_ent *e = val;
    if ((d->app_key && strcmp(e->app_key, d->app_key) != 0) ||
        (d->object_id && strcasecmp(e->object_id, d->object_id) != 0))
        return 0;
    e->dropped = 1;
    if (e->refs == 0 && !e->minting)
        ent_free(e);
    return 1; /* removed from the map */
}

void cache_drop(ag_cache *c, const char *app_key, const char *object_id)
{
    drop_ctx d = {.c = c, .app_key = app_key, .object_id = object_id};
    pthread_mutex_lock(&c->mu);
    ag_map_each(&c->map, drop_match, &d);
    pthread_mutex_unlock(&c->mu);
}

/* Collects entries to refresh (taking a reference) and evicts stale ones. */
static int tick_scan(void *ctx, const char *key, void *val)
{
    (void)key;
    drop_ctx *d = ctx;
    cache_ent *e = val;
    if (e->minting || e->refs)
        return 0;
    if (!e->body) /* a failed first mint: nothing to keep */
        goto evict;
    if (d->now >= e->exp - margin(e))
        goto evict; /* no longer servable */
    if (d->now < e->refresh_at || e->last_used <= e->minted_at)
        return 0; /* not due, or nobody asked since it was minted: kept
                     (and served) until it expires, but not refreshed */
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        cache_ent **t = realloc(d->todo, cap * sizeof *t);
        if (!t)
            return 0;
        d->todo = t;
        d->cap = cap;
    }
    e->refs++;
    e->minting = 1;
    d->todo[d->n++] = e;
    return 0;
evict:
    e->dropped = 1;
    ent_free(e);
    return 1;
}

void cache_tick(ag_cache *c)
{
    drop_ctx d = {.c = c, .now = now_s()};
    pthread_mutex_lock(&c->mu);
    ag_map_each(&c->map, tick_scan, &d);
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < d.n; i++) {
        cache_ent *e = d.todo[i];
        mident_error err;
        int rc = mint_into(c, e, NULL, &err);
        pthread_mutex_lock(&c->mu);
        if (rc < 0) {
            if (err.code == MIDENT_EFORBIDDEN) {
                drop_locked(c, e);
            } else {
                e->refresh_at = now_s() + REFRESH_RETRY_S;
                log_warn("agent", "refreshing a token for %s in %s: %s (kept the "
                         "cached one)", e->object_id, e->app_id, err.message);
            }
        }
        release(c, e);
        pthread_mutex_unlock(&c->mu);
    }
    free(d.todo);
}

size_t cache_size(ag_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->map.n;
    pthread_mutex_unlock(&c->mu);
    return n;
}
