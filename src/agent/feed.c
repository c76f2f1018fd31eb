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
#define FEED_BATCH 256
#define APP_TYPE "Microsoft.App/containerApps"

struct ag_feed {
    agent *a;
    mid_store *st;
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

void feed_sync(ag_feed *f)
{
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
        struct timespec ts = {0, FEED_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
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
