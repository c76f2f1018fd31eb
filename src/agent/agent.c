/*
 * agent.c -- composition of the node agent (see agent.h) and the shared
 * tables the feed writes and the endpoint reads.
 *
 * Start order: the endpoint listens first (so a replica's first request
 * never meets "connection refused"), then the cache refresher, then the
 * feed loads every app, then the supervisor starts replicas.
 * Stop order: endpoint, feed, supervisor (stops every replica), refresher.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_int.h"
#include "core/log.h"

static int loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

/* ---- the tables (called by the feed) ----------------------------------- */

void agent_put_app(agent *a, ag_spec *spec)
{
    int failed = 0;
    pthread_rwlock_wrlock(&a->mu);
    ag_spec *old = ag_map_put(&a->apps, spec->key, spec, &failed);
    if (failed) {
        pthread_rwlock_unlock(&a->mu);
        log_error("agent", "app %s: out of memory", spec->id);
        spec_unref(spec);
        return;
    }
    /* Identities no longer assigned lose their cached tokens now. */
    if (old) {
        if (old->has_system && !spec_has_identity(spec, old->system.object_id))
            cache_drop(a->cache, spec->key, old->system.object_id);
        for (size_t i = 0; i < old->n_ua; i++)
            if (!spec_has_identity(spec, old->ua[i].object_id))
                cache_drop(a->cache, spec->key, old->ua[i].object_id);
        if (!spec->running)
            cache_drop(a->cache, spec->key, NULL);
    }
    int changed = !old || strcmp(old->fingerprint, spec->fingerprint) != 0 ||
                  old->want != spec->want;
    pthread_rwlock_unlock(&a->mu);
    if (!old)
        log_info("agent", "app %s: %d replica(s)%s", spec->id, spec->want,
                 spec->argv[0] ? "" : " (no command: nothing to run)");
    spec_unref(old);
    if (changed)
        agent_kick_supervisor(a);
}

void agent_delete_app(agent *a, const char *key)
{
    pthread_rwlock_wrlock(&a->mu);
    ag_spec *old = ag_map_del(&a->apps, key);
    if (old)
        cache_drop(a->cache, key, NULL);
    pthread_rwlock_unlock(&a->mu);
    if (!old)
        return;
    log_info("agent", "app %s deleted: stopping its replicas", old->id);
    spec_unref(old);
    agent_kick_supervisor(a);
}

void agent_principal_gone(agent *a, const char *object_id)
{
    cache_drop(a->cache, NULL, object_id);
}

/* ---- the refresher thread ------------------------------------------------ */

static void *tick_main(void *arg)
{
    agent *a = arg;
    for (;;) {
        pthread_mutex_lock(&a->sup_mu);
        int stop = a->sup_stop;
        pthread_mutex_unlock(&a->sup_mu);
        if (stop || __atomic_load_n(&a->tick_started, __ATOMIC_ACQUIRE) == 2)
            break;
        cache_tick(a->cache);
        for (int i = 0; i < 10; i++) {
            if (__atomic_load_n(&a->tick_started, __ATOMIC_ACQUIRE) == 2)
                break;
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ---- start / stop ----------------------------------------------------------- */

const char *agent_identity_endpoint(const agent *a) { return a->endpoint_url; }
int agent_port(const agent *a) { return a->port; }

static int free_spec(void *ctx, const char *key, void *val)
{
    (void)ctx;
    (void)key;
    spec_unref(val);
    return 1;
}

agent *agent_start(const agent_config *cfg, mident_error *err)
{
    agent *a = calloc(1, sizeof *a);
    if (!a) {
        if (cfg->channel)
            cfg->channel->free(cfg->channel);
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    a->channel = cfg->channel;
    snprintf(a->data_dir, sizeof a->data_dir, "%s", cfg->data_dir);
    snprintf(a->node, sizeof a->node, "%s", cfg->node ? cfg->node : "local");
    snprintf(a->listen_addr, sizeof a->listen_addr, "%s",
             cfg->listen_addr ? cfg->listen_addr : "127.0.0.1");
    pthread_rwlock_init(&a->mu, NULL);
    pthread_mutex_init(&a->sup_mu, NULL);
    pthread_cond_init(&a->sup_cv, NULL);
    ag_map_init(&a->apps);
    ag_map_init(&a->secrets);

    if (!a->channel) {
        mid_fail(err, MIDENT_EINVAL, "the agent needs a node channel");
        goto fail;
    }
    if (!loopback(a->listen_addr)) {
        mid_fail(err, MIDENT_EINVAL,
                 "the identity endpoint listens on loopback only, not %s",
                 a->listen_addr);
        goto fail;
    }
    if (!(a->cache = cache_new(a->channel, a->node, err)))
        goto fail;

    http_server_opts ho = {
        .bind_addr = a->listen_addr,
        .port = cfg->port,
        .threads = cfg->threads,
        .max_body = 1024,
        .max_header = 8 << 10, /* request line + headers; also what
                                  libmicrohttpd clears per request */
        .handler = endpoint_handle,
        .ctx = a,
    };
    if (!(a->http = http_server_start(&ho, err)))
        goto fail;
    a->port = http_server_port(a->http);
    const char *host = cfg->endpoint_host ? cfg->endpoint_host : "localhost";
    /* "localhost" may resolve to ::1 first elsewhere: listen there too when
     * the machine has IPv6 loopback (best effort). */
    if (strcmp(host, "localhost") == 0 && strcmp(a->listen_addr, "127.0.0.1") == 0) {
        ho.bind_addr = "::1";
        ho.port = a->port;
        a->http6 = http_server_start(&ho, NULL);
    }
    if (strchr(host, ':'))
        snprintf(a->endpoint_url, sizeof a->endpoint_url, "http://[%s]:%d/MSI/token",
                 host, a->port);
    else
        snprintf(a->endpoint_url, sizeof a->endpoint_url, "http://%s:%d/MSI/token",
                 host, a->port);

    if (pthread_create(&a->tick_thread, NULL, tick_main, a) != 0) {
        mid_fail(err, MIDENT_EINTERNAL, "cannot start the cache refresher");
        goto fail;
    }
    a->tick_started = 1;
    if (!(a->feed = feed_start(a, cfg->store, err)))
        goto fail;
    if (supervisor_start(a, err) < 0)
        goto fail;
    log_info("agent", "node %s: identity endpoint %s (listening on %s:%d)", a->node,
             a->endpoint_url, a->listen_addr, a->port);
    return a;
fail:
    agent_stop(a);
    return NULL;
}

void agent_stop(agent *a)
{
    if (!a)
        return;
    http_server_stop(a->http);
    http_server_stop(a->http6);
    a->http = a->http6 = NULL;
    feed_stop(a->feed);
    a->feed = NULL;
    supervisor_stop(a);
    if (a->tick_started) {
        __atomic_store_n(&a->tick_started, 2, __ATOMIC_RELEASE);
        pthread_join(a->tick_thread, NULL);
    }
    ag_map_each(&a->apps, free_spec, NULL);
    ag_map_free(&a->apps);
    ag_map_free(&a->secrets);
    cache_free(a->cache);
    if (a->channel)
        a->channel->free(a->channel);
    pthread_cond_destroy(&a->sup_cv);
    pthread_mutex_destroy(&a->sup_mu);
    pthread_rwlock_destroy(&a->mu);
    free(a);
}
