/*
 * feed.c -- the agent follows the store's change feed (in-process: the
 * store of `mident up`).
 *
 * Start: remember the current revision, load every container app, then
 * follow changes after that revision (re-applying a change is harmless:
 * each one re-reads the current document).
 * Follow: a thread polls store_changes_since every FEED_POLL_MS; and every
 * token request calls feed_sync first, which catches up at once when the
 * store's in-memory doorbell (store_rev_hint) moved. So a change committed
 * before an ARM call returned is seen by the very next token request, and
 * changes made by other processes within FEED_POLL_MS.
 * Changes: a resource put of a container app -> agent_put_app with a
 * fresh spec; a resource delete -> agent_delete_app (a no-op for other
 * types); a principal delete -> agent_principal_gone.
 *
 * Remote (`mident agent --server`, no store): the same changes come from
 * the server's node channel (channel.h, feed; served by sts/node_http.c)
 * with the app documents embedded. Start loads a snapshot (since=0; a
 * snapshot also drops apps the agent has that the server no longer has);
 * the thread then polls every FEED_REMOTE_POLL_MS. While the server is
 * unreachable the agent keeps what it has and retries; feed_sync does
 * nothing (there is no in-process doorbell).
 *
 * Thread-safe: f->mu serialises appliers (the poll thread and requests).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/agent_int.h"
#include "core/json.h"
#include "core/log.h"

#define FEED_POLL_MS 20
#define FEED_REMOTE_POLL_MS 250
#define FEED_BATCH 256
#define APP_TYPE "Microsoft.App/containerApps"

struct ag_feed {
    agent *a;
    mid_store *st;        /* in-process; NULL when remote */
    agent_channel *ch;    /* remote: the channel's feed */
    int down;             /* remote: the last poll failed (logged once) */
    pthread_mutex_t mu;
    int64_t applied;      /* last revision applied */
    int64_t seen_hint;    /* store_rev_hint when we last caught up */
    pthread_t thread;
    int started;
    int stop;             /* atomic */
};

static int principal_client(void *ctx, const char *oid, char client_id[37])
{
    store_principal p;
    if (store_principal_get(ctx, oid, &p, NULL) < 0)
        return -1;
    memcpy(client_id, p.app_id, 37);
    return 0;
}

static void load_app(ag_feed *f, const store_resource *r)
{
    mident_error err;
    cJSON *doc = json_parse(r->body, strlen(r->body), &err);
    ag_spec *s = doc ? spec_from_doc(r->id, doc, principal_client, f->st, &err)
                     : NULL;
    cJSON_Delete(doc);
    if (!s) {
        log_error("agent", "app %s: %s", r->id, err.message);
        return;
    }
    agent_put_app(f->a, s);
}

static void apply_change(ag_feed *f, const store_change *c)
{
    if (strcmp(c->kind, "principal") == 0) {
        if (strcmp(c->op, "delete") == 0)
            agent_principal_gone(f->a, c->id);
        return;
    }
    if (strcmp(c->kind, "resource") != 0)
        return;
    if (strcmp(c->op, "delete") == 0) {
        char *key = ag_lower(c->id);
        if (key)
            agent_delete_app(f->a, key);
        free(key);
        return;
    }
    store_resource r = {0};
    mident_error err;
    if (store_resource_get(f->st, c->id, &r, &err) < 0) {
        if (err.code == MIDENT_ENOTFOUND) { /* deleted since */
            char *key = ag_lower(c->id);
            if (key)
                agent_delete_app(f->a, key);
            free(key);
        } else {
            log_error("agent", "reading %s: %s", c->id, err.message);
        }
        return;
    }
    if (strcasecmp(r.type, APP_TYPE) == 0)
        load_app(f, &r);
    store_resource_free(&r);
}

/* Applies every change after f->applied. Caller holds f->mu. */
static void catch_up(ag_feed *f)
{
    for (;;) {
        store_change *ch = NULL;
        size_t n = 0;
        mident_error err;
        if (store_changes_since(f->st, f->applied, FEED_BATCH, &ch, &n, &err) < 0) {
            log_error("agent", "reading the change feed: %s", err.message);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            apply_change(f, &ch[i]);
            f->applied = ch[i].rev;
        }
        free(ch);
        if (n < FEED_BATCH)
            return;
    }
}

/* ---- remote -------------------------------------------------------------- */

/* The app id of a principal, from the "clientIds" the server sent. */
static int remote_principal_client(void *ctx, const char *oid,
                                   char client_id[37])
{
    const char *c = json_get_str(ctx, oid);
    if (!c || strlen(c) > 36)
        return -1;
    memcpy(client_id, c, strlen(c) + 1);
    return 0;
}

typedef struct {
    ag_map *seen;
    char **gone;
    size_t n;
} stale_ctx;

static int collect_stale(void *ctx, const char *key, void *val)
{
    (void)val;
    stale_ctx *sc = ctx;
    if (!ag_map_get(sc->seen, key)) {
        char **g = realloc(sc->gone, (sc->n + 1) * sizeof *g);
        if (g && (g[sc->n] = strdup(key)))
            sc->n++;
        if (g)
            sc->gone = g;
    }
    return 0;
}

/* A snapshot replaces the agent's view: apps it does not list are gone. */
static void drop_stale(ag_feed *f, ag_map *seen)
{
    stale_ctx sc = {.seen = seen};
    pthread_rwlock_rdlock(&f->a->mu);
    ag_map_each(&f->a->apps, collect_stale, &sc);
    pthread_rwlock_unlock(&f->a->mu);
    for (size_t i = 0; i < sc.n; i++) {
        agent_delete_app(f->a, sc.gone[i]);
        free(sc.gone[i]);
    }
    free(sc.gone);
}

static void apply_remote(ag_feed *f, const cJSON *c, ag_map *seen)
{
    const char *op = json_get_str(c, "op");
    const char *id = json_get_str(c, "id");
    if (!op || !id)
        return;
    if (strcmp(op, "principalDelete") == 0) {
        agent_principal_gone(f->a, id);
        return;
    }
    char *key = ag_lower(id);
    if (!key)
        return;
    if (strcmp(op, "delete") == 0) {
        agent_delete_app(f->a, key);
    } else if (strcmp(op, "put") == 0) {
        mident_error err;
        ag_spec *s = spec_from_doc(id, json_get_obj(c, "doc"),
                                   remote_principal_client,
                                   (void *)json_get_obj(c, "clientIds"), &err);
        if (!s)
            log_error("agent", "app %s: %s", id, err.message);
        else
            agent_put_app(f->a, s);
        if (seen)
            ag_map_put(seen, key, f, NULL);
    }
    free(key);
}

/* Applies the server's changes after f->applied. Caller holds f->mu. */
static int catch_up_remote(ag_feed *f, mident_error *err)
{
    for (;;) {
        cJSON *d = NULL;
        if (f->ch->feed(f->ch, f->applied, &d, err) < 0)
            return -1;
        const cJSON *changes = json_get_arr(d, "changes");
        int reset = json_get_bool(d, "reset", 0);
        int more = json_get_bool(d, "more", 0);
        ag_map seen;
        ag_map_init(&seen);
        const cJSON *c;
        cJSON_ArrayForEach(c, changes)
            apply_remote(f, c, reset ? &seen : NULL);
        if (reset)
            drop_stale(f, &seen);
        ag_map_free(&seen);
        int64_t rev = json_get_int64(d, "rev", f->applied);
        if (reset && f->applied)
            log_info("agent", "reloaded every app from the server (revision "
                     "%lld)", (long long)rev);
        f->applied = rev;
        cJSON_Delete(d);
        if (!more)
            return 0;
    }
}

static void poll_remote(ag_feed *f)
{
    mident_error err;
    pthread_mutex_lock(&f->mu);
    int rc = catch_up_remote(f, &err);
    pthread_mutex_unlock(&f->mu);
    if (rc < 0 && !f->down)
        log_warn("agent", "%s (keeping the apps and tokens it has; retrying)",
                 err.message);
    else if (rc == 0 && f->down)
        log_info("agent", "the server is reachable again");
    f->down = rc < 0;
}

/* ---- both ------------------------------------------------------------------ */

void feed_sync(ag_feed *f)
{
    if (!f->st)
        return;
    int64_t hint = store_rev_hint(f->st);
    if (hint == __atomic_load_n(&f->seen_hint, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&f->mu);
    if (hint != f->seen_hint) {
        catch_up(f);
        __atomic_store_n(&f->seen_hint, hint, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&f->mu);
}

static void *feed_main(void *arg)
{
    ag_feed *f = arg;
    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, (f->st ? FEED_POLL_MS : FEED_REMOTE_POLL_MS) *
                                     1000000L};
        nanosleep(&ts, NULL);
        if (!f->st) {
            poll_remote(f);
            continue;
        }
        int64_t hint = store_rev_hint(f->st);
        pthread_mutex_lock(&f->mu);
        catch_up(f);
        if (hint > f->seen_hint)
            __atomic_store_n(&f->seen_hint, hint, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

ag_feed *feed_start(agent *a, mid_store *st, mident_error *err)
{
    ag_feed *f = calloc(1, sizeof *f);
    if (!f) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    f->a = a;
    f->st = st;
    pthread_mutex_init(&f->mu, NULL);
    if (!st) {
        if (!(f->ch = a->channel) || !f->ch->feed) {
            mid_fail(err, MIDENT_EINVAL, "the agent needs a store or a "
                     "channel with a change feed");
            goto fail;
        }
        mident_error e2;
        if (catch_up_remote(f, &e2) < 0) {
            if (e2.code != MIDENT_EUNAVAILABLE) { /* e.g. a wrong secret */
                if (err)
                    *err = e2;
                goto fail;
            }
            log_warn("agent", "%s (retrying)", e2.message);
            f->down = 1;
        } else {
            log_info("agent", "following the server from revision %lld",
                     (long long)f->applied);
        }
        goto start;
    }
    f->seen_hint = store_rev_hint(st);
    f->applied = store_current_rev(st);
    if (f->applied < 0) {
        mid_fail(err, MIDENT_EIO, "cannot read the store's revision");
        goto fail;
    }
    store_resources all = {0};
    if (store_resource_list(st, NULL, APP_TYPE, &all, err) < 0)
        goto fail;
    for (size_t i = 0; i < all.n; i++)
        load_app(f, &all.items[i]);
    log_info("agent", "following the store from revision %lld (%zu apps)",
             (long long)f->applied, all.n);
    store_resource_list_free(&all);
start:
    if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
        mid_fail(err, MIDENT_EINTERNAL, "cannot start the feed thread");
        goto fail;
    }
    f->started = 1;
    return f;
fail:
    pthread_mutex_destroy(&f->mu);
    free(f);
    return NULL;
}

void feed_stop(ag_feed *f)
{
    if (!f)
        return;
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    if (f->started)
        pthread_join(f->thread, NULL);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
