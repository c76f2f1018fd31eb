/*
 * channel_remote.c -- the node channel of `mident agent --server URL`:
 * mints and the change feed over HTTPS to the server's node channel
 * (sts/node_http.c), authenticated with the node's credential (HTTP Basic
 * over TLS verified against the deployment's CA). See channel.h.
 *
 * Statuses become the errors the agent acts on: a transport failure or a
 * 502/503/504 is MIDENT_EUNAVAILABLE (cached tokens keep being served),
 * 403 is MIDENT_EFORBIDDEN (the mint-time re-check refused), 401 is
 * MIDENT_EAUTH (a wrong node credential), anything else MIDENT_EINTERNAL.
 *
 * Thread-safe: the channel is immutable after creation; each request uses
 * its own libcurl handle (http_client.h).
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/channel.h"
#include "core/b64.h"
#include "core/buf.h"
#include "core/http_client.h"
#include "core/json.h"

#define MINT_TIMEOUT_MS 10000
#define FEED_TIMEOUT_MS 15000
#define FEED_MAX_RESPONSE (64u << 20)

typedef struct {
    agent_channel base;
    char *url;        /* without a trailing '/' */
    char *ca_path;
    char *auth;       /* "Authorization: Basic ..."; a secret */
} remote_channel;

/* Turns a non-200 answer into an error with the server's message. */
static int status_error(long status, const buf *body, const char *what,
                        mident_error *err)
{
    cJSON *d = json_parse(body->data ? body->data : "", body->len, NULL);
    const char *msg = json_get_str(json_get_obj(d, "error"), "message");
    char m[300];
    snprintf(m, sizeof m, "%s", msg ? msg : "no message");
    cJSON_Delete(d);
    mident_code code = status == 401 ? MIDENT_EAUTH
                     : status == 403 ? MIDENT_EFORBIDDEN
                     : status == 502 || status == 503 || status == 504
                         ? MIDENT_EUNAVAILABLE
                         : MIDENT_EINTERNAL;
    return mid_fail(err, code, "%s: the server answered %ld: %s", what, status, m);
}

static int call(remote_channel *rc, const char *method, const char *path,
                const char *body, long timeout_ms, size_t max_response,
                buf *resp, long *status, mident_error *err)
{
    char url[4096];
    snprintf(url, sizeof url, "%s%s", rc->url, path);
    const char *headers[] = {rc->auth, "Content-Type: application/json",
                             "Accept: application/json", NULL};
    http_client_req r = {
        .method = method,
        .url = url,
        .ca_path = rc->ca_path,
        .headers = headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = timeout_ms,
        .max_response = max_response,
    };
    if (http_client_do(&r, status, resp, err) < 0)
        return mid_err_wrap(err, "the token service is unreachable");
    return 0;
}

static int remote_mint(agent_channel *ch, const channel_mint_req *req,
                       channel_token *out, mident_error *err)
{
    remote_channel *rc = (remote_channel *)ch;
    memset(out, 0, sizeof *out);
    cJSON *in = cJSON_CreateObject();
    json_set_str(in, "node", req->node);
    json_set_str(in, "appResourceId", req->app_resource_id);
    json_set_str(in, "replica", req->replica);
    json_set_str(in, "objectId", req->object_id);
    json_set_str(in, "resource", req->resource);
    char *body = cJSON_PrintUnformatted(in);
    cJSON_Delete(in);
    if (!body)
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    buf resp;
    buf_init(&resp);
    long status = 0;
    int rc_ = call(rc, "POST", "/node/v1/token", body, MINT_TIMEOUT_MS, 0, &resp,
                   &status, err);
    free(body);
    cJSON *d = NULL;
    if (rc_ == 0 && status != 200)
        rc_ = status_error(status, &resp, "minting", err);
    if (rc_ == 0 && !(d = json_parse(resp.data, resp.len, err)))
        rc_ = -1;
    if (rc_ == 0) {
        const char *tok = json_get_str(d, "access_token");
        const char *cid = json_get_str(d, "client_id");
        out->nbf = json_get_int64(d, "not_before", 0);
        out->exp = json_get_int64(d, "expires_on", 0);
        if (!tok || !cid || strlen(cid) > 36 || out->exp <= 0)
            rc_ = mid_fail(err, MIDENT_EINTERNAL,
                           "minting: the server's answer is malformed");
        else if (!(out->access_token = strdup(tok)))
            rc_ = mid_fail(err, MIDENT_ENOMEM, "out of memory");
        else
            snprintf(out->client_id, sizeof out->client_id, "%s", cid);
        if (tok)
            OPENSSL_cleanse((char *)tok, strlen(tok));
    }
    cJSON_Delete(d);
    if (resp.data)
        OPENSSL_cleanse(resp.data, resp.len);
    buf_free(&resp);
    return rc_;
}

static int remote_feed(agent_channel *ch, int64_t since, cJSON **out,
                       mident_error *err)
{
    remote_channel *rc = (remote_channel *)ch;
    *out = NULL;
    char path[64];
    snprintf(path, sizeof path, "/node/v1/feed?since=%lld", (long long)since);
    buf resp;
    buf_init(&resp);
    long status = 0;
    int rc_ = call(rc, "GET", path, NULL, FEED_TIMEOUT_MS, FEED_MAX_RESPONSE,
                   &resp, &status, err);
    if (rc_ == 0 && status != 200)
        rc_ = status_error(status, &resp, "reading the change feed", err);
    if (rc_ == 0 && !(*out = json_parse(resp.data, resp.len, err)))
        rc_ = -1;
    if (resp.data) /* app documents carry secret values */
        OPENSSL_cleanse(resp.data, resp.len);
    buf_free(&resp);
    return rc_;
}

static void remote_free(agent_channel *ch)
{
    remote_channel *rc = (remote_channel *)ch;
    if (!rc)
        return;
    if (rc->auth) {
        OPENSSL_cleanse(rc->auth, strlen(rc->auth));
        free(rc->auth);
    }
    free(rc->url);
    free(rc->ca_path);
    free(rc);
}

agent_channel *channel_remote_new(const channel_remote_config *cfg,
                                  mident_error *err)
{
    if (!cfg->server_url || strncmp(cfg->server_url, "https://", 8) != 0 ||
        !cfg->node || !*cfg->node || !cfg->secret || !*cfg->secret) {
        mid_fail(err, MIDENT_EINVAL, "a remote node channel needs an https:// "
                 "server URL, a node name and its secret");
        return NULL;
    }
    remote_channel *rc = calloc(1, sizeof *rc);
    buf cred;
    buf_init(&cred);
    buf_printf(&cred, "%s:%s", cfg->node, cfg->secret);
    char *b64 = buf_failed(&cred) ? NULL : b64_encode(cred.data, cred.len);
    if (cred.data)
        OPENSSL_cleanse(cred.data, cred.len);
    buf_free(&cred);
    buf auth;
    buf_init(&auth);
    if (b64)
        buf_printf(&auth, "Authorization: Basic %s", b64);
    if (rc && b64 && !buf_failed(&auth)) {
        rc->auth = buf_steal(&auth, NULL);
        rc->url = strdup(cfg->server_url);
        rc->ca_path = cfg->ca_path ? strdup(cfg->ca_path) : NULL;
    }
    if (b64) {
        OPENSSL_cleanse(b64, strlen(b64));
        free(b64);
    }
    buf_free(&auth);
    if (!rc || !rc->auth || !rc->url || (cfg->ca_path && !rc->ca_path)) {
        remote_free(rc ? &rc->base : NULL);
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    size_t n = strlen(rc->url);
    while (n > 8 && rc->url[n - 1] == '/')
        rc->url[--n] = '\0';
    rc->base.mint = remote_mint;
    rc->base.feed = remote_feed;
    rc->base.free = remote_free;
    return &rc->base;
}
