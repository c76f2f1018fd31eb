/*
 * server.c -- `mident up`; see server.h.
 *
 * Start-up order matters:
 *   1. data directory (0700) and store;
 *   2. directory bootstrap (tenant, subscription, admin application);
 *   3. local CA and server certificate;
 *   4. the HTTPS listener (so that port 0 resolves to a real port), which
 *      answers 503 until step 5 is done;
 *   5. token service and resource manager, built with the public URL;
 *   5b. the vaults' data plane (src/vault): a listener per vault;
 *   6. the node agent (src/agent): registers this node with the token
 *      service, listens on its loopback identity endpoint, then starts the
 *      container apps' replicas (skipped with --no-agent);
 *   7. endpoints.json, written atomically with mode 0600 (it holds the
 *      admin secret; identityEndpoint is the agent's), then the "ready"
 *      line on stdout.
 * Shutdown stops the agent (and so every replica) first.
 *
 * Test hook: with MIDENT_TEST_HOOKS=1 in the environment, the agent's node
 * channel fails as if the token service were unreachable while the file
 * DATA/test-hooks/sts-down exists (docs/agent.md).
 */
#include "server.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/channel.h"
#include "arm/arm.h"
#include "core/fsutil.h"
#include "core/http.h"
#include "core/json.h"
#include "core/log.h"
#include "core/tls.h"
#include "store/store.h"
#include "sts/directory.h"
#include "sts/sts.h"
#include "vault/vault.h"

typedef struct {
    sts *sts;
    arm *arm;
    int ready; /* read with acquire: set once sts and arm exist */
} router;

static void not_found(const http_req *req, http_res *res)
{
    cJSON *d = cJSON_CreateObject(), *e = cJSON_CreateObject();
    char msg[512];
    snprintf(msg, sizeof msg, "No HTTP resource was found that matches %s %.300s.",
             req->method, req->path);
    json_set_str(e, "code", "NotFound");
    json_set_str(e, "message", msg);
    json_set(d, "error", e);
    http_res_json(res, 404, d);
    cJSON_Delete(d);
}

static void route(void *ctx, const http_req *req, http_res *res)
{
    router *r = ctx;
    if (!__atomic_load_n(&r->ready, __ATOMIC_ACQUIRE)) {
        http_res_text(res, 503, "application/json",
                      "{\"error\":{\"code\":\"ServiceUnavailable\","
                      "\"message\":\"mident is starting\"}}");
        http_res_header(res, "Retry-After", "1");
        return;
    }
    if (sts_handle(r->sts, req, res))
        return;
    if (arm_handle(r->arm, req, res))
        return;
    not_found(req, res);
}

/* The admin secret lives only in endpoints.json (the store keeps its
 * hash). Reuse the one written by an earlier start if it still checks;
 * otherwise issue a new one. */
static char *admin_secret_for(mid_store *st, const directory_info *di,
                              const char *endpoints_path, mident_error *err)
{
    size_t len = 0;
    char *text = fs_read_all(endpoints_path, 1 << 20, &len, NULL);
    if (text) {
        cJSON *doc = json_parse(text, len, NULL);
        free(text);
        const char *sec = json_get_str(json_get_obj(doc, "admin"), "clientSecret");
        store_principal p;
        char *keep = NULL;
        if (sec && directory_check_secret(st, di->admin_app_id, sec, &p, NULL) == 0)
            keep = strdup(sec);
        cJSON_Delete(doc);
        if (keep)
            return keep;
    }
    char *fresh = NULL;
    if (directory_add_secret(st, di->admin_object_id, &fresh, err) < 0)
        return NULL;
    log_warn("server", "issued a new admin client secret (none usable in %s)",
             endpoints_path);
    return fresh;
}

static int write_endpoints(const char *path, const char *url, const sts *s,
                           const directory_info *di, const char *secret,
                           const char *ca_path, const char *identity_endpoint,
                           mident_error *err)
{
    char buf[1024];
    cJSON *d = cJSON_CreateObject(), *admin = cJSON_CreateObject();
    json_set_str(d, "arm", url);
    json_set_str(d, "authority", url);
    snprintf(buf, sizeof buf, "%s/adfs", url);
    json_set_str(d, "adfsAuthority", buf);
    json_set_str(d, "tenantId", di->tenant_id);
    json_set_str(d, "subscriptionId", di->subscription_id);
    sts_issuer(s, STS_V1, buf, sizeof buf);
    json_set_str(d, "issuer", buf);
    snprintf(buf, sizeof buf, "%s/%s/discovery/v2.0/keys", url, di->tenant_id);
    json_set_str(d, "jwksUri", buf);
    json_set_str(d, "caCert", ca_path);
    json_set_str(d, "identityEndpoint", identity_endpoint);
    json_set_str(admin, "clientId", di->admin_app_id);
    json_set_str(admin, "objectId", di->admin_object_id);
    json_set_str(admin, "clientSecret", secret);
    json_set(d, "admin", admin);
    char *text = cJSON_Print(d);
    cJSON_Delete(d);
    if (!text)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    int rc = fs_write_atomic(path, text, strlen(text), 0600, err);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    return rc;
}

/* Blocks SIGINT/SIGTERM in every thread (threads inherit the mask), so
 * that the main thread can sigwait for them. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int server_run(const server_config *cfg, mident_error *err)
{
    char path[4096], endpoints_path[4096];
    int rc = -1;
    mid_store *st = NULL;
    http_server *http = NULL;
    tls_material tls = {0};
    char *secret = NULL;
    router r = {0};
    agent *ag = NULL;
    vault_mgr *vm = NULL;
    sigset_t sigs;
    block_signals(&sigs);

    if (fs_mkdirs(cfg->data_dir, 0700, err) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/mident.db", cfg->data_dir);
    snprintf(endpoints_path, sizeof endpoints_path, "%s/endpoints.json",
             cfg->data_dir);
    if (!(st = store_open(path, err)))
        return -1;

    directory_info di;
    if (directory_bootstrap(st, &di, &secret, err) < 0)
        goto out;
    if (!secret && !(secret = admin_secret_for(st, &di, endpoints_path, err)))
        goto out;

    snprintf(path, sizeof path, "%s/tls", cfg->data_dir);
    if (tls_ensure(path, cfg->names, (size_t)cfg->n_names, &tls, err) < 0)
        goto out;

    http_server_opts ho = {
        .bind_addr = cfg->listen_addr,
        .port = cfg->port,
        .tls_cert_pem = tls.cert_pem,
        .tls_key_pem = tls.key_pem,
        .threads = cfg->threads,
        .handler = route,
        .ctx = &r,
    };
    if (!(http = http_server_start(&ho, err)))
        goto out;

    char url[600];
    if (cfg->public_url[0])
        snprintf(url, sizeof url, "%s", cfg->public_url);
    else if (strchr(cfg->listen_addr, ':'))
        snprintf(url, sizeof url, "https://[%s]:%d", cfg->listen_addr,
                 http_server_port(http));
    else
        snprintf(url, sizeof url, "https://%s:%d", cfg->listen_addr,
                 http_server_port(http));
    size_t ul = strlen(url);
    while (ul > 0 && url[ul - 1] == '/')
        url[--ul] = '\0';

    sts_config sc = {.public_url = url,
                     .tenant_id = di.tenant_id,
                     .token_lifetime = cfg->token_lifetime};
    if (!(r.sts = sts_new(st, &sc, err)))
        goto out;
    arm_config ac = {.store = st,
                     .sts = r.sts,
                     .public_url = url,
                     .tenant_id = di.tenant_id,
                     .subscription_id = di.subscription_id,
                     .admin_object_id = di.admin_object_id};
    if (!(r.arm = arm_new(&ac, err)))
        goto out;
    __atomic_store_n(&r.ready, 1, __ATOMIC_RELEASE);

    /* The vaults' data plane: one HTTPS listener per vault (vault.h). */
    vault_config vc = {.store = st,
                       .sts = r.sts,
                       .bind_addr = cfg->listen_addr,
                       .cert_pem = tls.cert_pem,
                       .key_pem = tls.key_pem,
                       .authority = url};
    if (!(vm = vault_start(&vc, err))) {
        mid_err_wrap(err, "starting the vaults");
        goto out;
    }

    if (cfg->agent_enabled) {
        char hook[4096];
        const char *hooks = getenv("MIDENT_TEST_HOOKS");
        int with_hook = hooks && strcmp(hooks, "1") == 0;
        snprintf(hook, sizeof hook, "%s/test-hooks/sts-down", cfg->data_dir);
        if (sts_node_register(r.sts, cfg->node, err) < 0)
            goto out;
        agent_config agc = {
            .data_dir = cfg->data_dir,
            .listen_addr = cfg->agent_addr,
            .port = cfg->agent_port,
            .endpoint_host = cfg->agent_host,
            .node = cfg->node,
            .channel = channel_local_new(r.sts, with_hook ? hook : NULL, err),
            .store = st,
        };
        if (!agc.channel || !(ag = agent_start(&agc, err))) {
            mid_err_wrap(err, "starting the node agent");
            goto out;
        }
        if (with_hook)
            log_warn("server", "test hooks on: %s makes the token service "
                     "unreachable for the agent", hook);
    }

    if (write_endpoints(endpoints_path, url, r.sts, &di, secret, tls.ca_cert_path,
                        ag ? agent_identity_endpoint(ag) : NULL, err) < 0)
        goto out;

    printf("mident is up\n"
           "  ARM and token service: %s\n"
           "  tenant:                %s\n"
           "  subscription:          %s\n"
           "  CA certificate:        %s\n"
           "  identity endpoint:     %s\n"
           "  endpoints and admin:   %s\n"
           "Trust the CA with: export NODE_EXTRA_CA_CERTS=%s REQUESTS_CA_BUNDLE=%s\n",
           url, di.tenant_id, di.subscription_id, tls.ca_cert_path,
           ag ? agent_identity_endpoint(ag) : "(no agent)", endpoints_path,
           tls.ca_cert_path, tls.ca_cert_path);
    fflush(stdout);
    log_info("server", "listening on %s", url);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("server", "signal %d: shutting down", sig);
    rc = 0;
out:
    agent_stop(ag); /* first: replicas may still be talking to us */
    vault_stop(vm);
    __atomic_store_n(&r.ready, 0, __ATOMIC_RELEASE);
    http_server_stop(http);
    arm_free(r.arm);
    sts_free(r.sts);
    store_close(st);
    tls_material_free(&tls);
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
    return rc;
}
