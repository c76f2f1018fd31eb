/*
 * manager.c -- the vault listeners: one HTTPS listener per vault on the
 * port of its vaultUri, kept in line with the store.
 *
 * vault_sync() lists the Microsoft.KeyVault/vaults resources and
 *   - starts a listener for each vault that has none (binding the manager's
 *     address and the port of its vaultUri, with the server certificate);
 *   - stops the listener of each vault that is gone (or whose key changed)
 *     and purges that vault's secrets (a vault deleted with its resource
 *     group is deleted without arm/vaults.c's can_delete hook);
 *   - at the first sync, purges secrets of vault keys no vault has.
 * A follower thread calls it whenever the store's in-process change
 * doorbell (store_rev_hint) moves -- checked every 2 ms, so a vault's
 * endpoint answers within milliseconds of the ARM write that created it --
 * and every 2 s when a listener could not be started (its port busy).
 *
 * Threads: the follower and vault_start/vault_stop take m->mu around a
 * sync; request handlers only read their own immutable vault_listener.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/form.h"
#include "core/json.h"
#include "core/log.h"
#include "vault/vault_int.h"

#define MAX_VAULTS 4096

struct vault_mgr {
    vault_shared sh;
    char bind_addr[64];
    char *cert_pem, *key_pem;
    unsigned threads;
    pthread_mutex_t mu;
    vault_listener **ls;
    size_t n, cap;
    int gc_done;
    int failed;             /* a listener failed to start at the last sync */
    pthread_t follower;
    int stop;               /* atomic */
    int follower_running;
};

static void listener_free(vault_listener *l)
{
    if (!l)
        return;
    http_server_stop(l->http);
    free(l);
}

static vault_listener *start_listener(vault_mgr *m, const char *id,
                                      const char *key, int port)
{
    vault_listener *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->sh = &m->sh;
    snprintf(l->id, sizeof l->id, "%s", id);
    snprintf(l->key, sizeof l->key, "%s", key);
    l->port = port;
    http_server_opts o = {
        .bind_addr = m->bind_addr,
        .port = port,
        .tls_cert_pem = m->cert_pem,
        .tls_key_pem = m->key_pem,
        .threads = m->threads,
        .max_body = 256 * 1024,
        .handler = vault_serve,
        .ctx = l,
    };
    mident_error e;
    if (!(l->http = http_server_start(&o, &e))) {
        log_error("vault", "cannot serve vault %s on port %d: %s", id, port,
                  e.message);
        free(l);
        return NULL;
    }
    log_info("vault", "serving vault %s on https://%s:%d/", id, m->bind_addr, port);
    return l;
}

static void purge(vault_mgr *m, const char *key)
{
    mident_error e;
    int64_t n = store_secret_purge_vault(m->sh.store, key, &e);
    if (n < 0)
        log_error("vault", "purging secrets of a deleted vault: %s", e.message);
    else if (n > 0)
        log_info("vault", "purged %lld secret versions of a deleted vault",
                 (long long)n);
}

static int sync_locked(vault_mgr *m, mident_error *err)
{
    store_resources l = {0};
    if (store_resource_list(m->sh.store, NULL, VAULT_TYPE, &l, err) < 0)
        return -1;
    for (size_t i = 0; i < m->n; i++)
        m->ls[i]->seen = 0;
    int failed = 0;
    for (size_t i = 0; i < l.n && i < MAX_VAULTS; i++) {
        cJSON *d = json_parse(l.items[i].body, strlen(l.items[i].body), NULL);
        const cJSON *props = json_get_ci(d, "properties");
        const char *key = json_get_str(props, VAULT_KEY_PROP);
        int port = url_port(json_get_str(props, "vaultUri"));
        if (!key || port <= 0) {
            cJSON_Delete(d);
            continue;
        }
        size_t j = 0;
        while (j < m->n && !(strcasecmp(m->ls[j]->id, l.items[i].id) == 0 &&
                             strcmp(m->ls[j]->key, key) == 0 &&
                             m->ls[j]->port == port))
            j++;
        if (j < m->n) {
            m->ls[j]->seen = 1;
        } else if (m->n < m->cap || (m->cap < MAX_VAULTS)) {
            if (m->n == m->cap) {
                size_t nc = m->cap ? m->cap * 2 : 16;
                vault_listener **p = realloc(m->ls, nc * sizeof *p);
                if (!p) {
                    cJSON_Delete(d);
                    break;
                }
                m->ls = p;
                m->cap = nc;
            }
            vault_listener *nl = start_listener(m, l.items[i].id, key, port);
            if (nl) {
                nl->seen = 1;
                m->ls[m->n++] = nl;
            } else {
                failed = 1;
            }
        }
        cJSON_Delete(d);
    }
    /* Vaults that are gone: stop, and purge unless the key lives on. */
    for (size_t i = 0; i < m->n;) {
        vault_listener *x = m->ls[i];
        if (x->seen) {
            i++;
            continue;
        }
        char key[37];
        snprintf(key, sizeof key, "%s", x->key);
        log_info("vault", "vault %s is gone: stopping its endpoint", x->id);
        m->ls[i] = m->ls[--m->n];
        listener_free(x);
        int alive = 0;
        for (size_t j = 0; j < m->n; j++)
            alive |= strcmp(m->ls[j]->key, key) == 0;
        if (!alive)
            purge(m, key);
    }
    if (!m->gc_done) {
        char **keys = NULL;
        size_t nk = 0;
        if (store_secret_vault_keys(m->sh.store, &keys, &nk, NULL) == 0) {
            for (size_t i = 0; i < nk; i++) {
                int alive = 0;
                for (size_t j = 0; j < l.n && !alive; j++) {
                    cJSON *d = json_parse(l.items[j].body, strlen(l.items[j].body), NULL);
                    const char *k = json_get_str(json_get_ci(d, "properties"),
                                                 VAULT_KEY_PROP);
                    alive = k && strcmp(k, keys[i]) == 0;
                    cJSON_Delete(d);
                }
                if (!alive)
                    purge(m, keys[i]);
                free(keys[i]);
            }
            free(keys);
            m->gc_done = 1;
        }
    }
    __atomic_store_n(&m->failed, failed, __ATOMIC_RELAXED);
    store_resource_list_free(&l);
    return 0;
}

int vault_sync(vault_mgr *m, mident_error *err)
{
    pthread_mutex_lock(&m->mu);
    int rc = sync_locked(m, err);
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static void *follow(void *arg)
{
    vault_mgr *m = arg;
    int64_t seen = store_rev_hint(m->sh.store);
    int ticks = 0;
    struct timespec ts = {0, 2 * 1000 * 1000};
    while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
        nanosleep(&ts, NULL);
        int64_t hint = store_rev_hint(m->sh.store);
        int retry = __atomic_load_n(&m->failed, __ATOMIC_RELAXED) && ++ticks >= 1000;
        if (hint == seen && !retry)
            continue;
        ticks = 0;
        seen = hint;
        mident_error e;
        if (vault_sync(m, &e) < 0)
            log_error("vault", "following vault changes: %s", e.message);
    }
    return NULL;
}

vault_mgr *vault_start(const vault_config *cfg, mident_error *err)
{
    vault_mgr *m = calloc(1, sizeof *m);
    if (!m) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    m->sh.store = cfg->store;
    m->sh.sts = cfg->sts;
    snprintf(m->sh.authority, sizeof m->sh.authority, "%s", cfg->authority);
    size_t n = strlen(m->sh.authority);
    while (n > 0 && m->sh.authority[n - 1] == '/')
        m->sh.authority[--n] = '\0';
    snprintf(m->bind_addr, sizeof m->bind_addr, "%s", cfg->bind_addr);
    m->threads = cfg->threads ? cfg->threads : 2;
    m->cert_pem = strdup(cfg->cert_pem);
    m->key_pem = strdup(cfg->key_pem);
    if (!m->cert_pem || !m->key_pem) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        goto fail;
    }
    if (!(m->sh.authz = authz_new(cfg->store, err)))
        goto fail;
    if (vault_sync(m, err) < 0)
        goto fail;
    if (pthread_create(&m->follower, NULL, follow, m) != 0) {
        mid_fail(err, MIDENT_EINTERNAL, "cannot start the vault follower");
        goto fail;
    }
    m->follower_running = 1;
    return m;
fail:
    vault_stop(m);
    return NULL;
}

void vault_stop(vault_mgr *m)
{
    if (!m)
        return;
    __atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
    if (m->follower_running)
        pthread_join(m->follower, NULL);
    for (size_t i = 0; i < m->n; i++)
        listener_free(m->ls[i]);
    free(m->ls);
    authz_free(m->sh.authz);
    if (m->key_pem) {
        memset(m->key_pem, 0, strlen(m->key_pem));
        free(m->key_pem);
    }
    free(m->cert_pem);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
