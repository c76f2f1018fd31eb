/*
 * node_http.c -- the token service's side of the HTTPS node channel, for
 * node agents that run as their own process (`mident agent --server URL`,
 * agent/channel_remote.c). It lives on the server's HTTPS listener, next
 * to the OAuth endpoints (dispatched from sts_handle).
 *
 *   POST /node/v1/token   {"appResourceId","replica","objectId","resource"
 *                          [,"node"]}
 *        -> 200 {"access_token","client_id","not_before","expires_on"}
 *           after sts_node_mint's re-check (identity assigned to the app
 *           right now, app running) and audit, for the authenticated node.
 *   GET  /node/v1/feed?since=REV
 *        -> 200 {"rev","reset","more","changes":[...]}: what the agent's
 *           feed reads from the store in-process (agent/feed.c, spec.c):
 *             {"op":"put","id","doc","clientIds":{oid:appId}}  a container
 *                 app's current ARM document and the app id of its
 *                 system-assigned principal;
 *             {"op":"delete","id"}                  a container app gone;
 *             {"op":"principalDelete","id":OID}     a principal gone.
 *           since=0 (or a revision this store never reached) answers a
 *           snapshot of every app with reset=true; otherwise the changes
 *           after `since`, up to FEED_MAX at a time (more=true: ask again
 *           from the returned rev).
 *
 * Authentication: HTTP Basic, user = node name, password = the node's
 * secret (sts_node_add), over the verified TLS connection. Chosen over a
 * bearer token from the OAuth endpoint because a mint is then one request
 * with nothing to refresh or expire on the agent's side (a bearer token
 * could lapse exactly while the agent rides out an outage), and the check
 * is one SHA-256 of a 256-bit secret, compared in constant time. A node
 * credential mints only as its own node: a body naming another node is
 * refused (403).
 *
 * Errors: {"error":{"code","message"}} -- 400 malformed, 401 bad or
 * missing credential, 403 refused by the re-check or another node, 405,
 * 500. Never logs a secret or a token.
 *
 * Thread-safe: stateless; everything is in the store.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/b64.h"
#include "core/json.h"
#include "core/log.h"
#include "sts.h"
#include "sts_internal.h"

#define APP_TYPE "Microsoft.App/containerApps"
#define APP_PATH "/providers/Microsoft.App/containerApps/"
#define FEED_MAX 512

static void node_error(http_res *res, int status, const char *code,
                       const char *message)
{
    cJSON *d = cJSON_CreateObject(), *e = cJSON_CreateObject();
    json_set_str(e, "code", code);
    json_set_str(e, "message", message);
    json_set(d, "error", e);
    http_res_json(res, status, d);
    cJSON_Delete(d);
    if (status == 401)
        http_res_header(res, "WWW-Authenticate", "Basic realm=\"mident node\"");
}

static void node_error_from(http_res *res, const mident_error *err)
{
    switch (err->code) {
    case MIDENT_EAUTH: node_error(res, 401, "Unauthorized", err->message); break;
    case MIDENT_EFORBIDDEN: node_error(res, 403, "Forbidden", err->message); break;
    case MIDENT_EINVAL: node_error(res, 400, "BadRequest", err->message); break;
    default: node_error(res, 500, "InternalError", err->message); break;
    }
}

/* The node named by a valid Basic credential into node[64]; EAUTH else. */
static int authenticate(sts *s, const http_req *req, char node[64],
                        mident_error *err)
{
    const char *h = http_req_header(req, "Authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return mid_fail(err, MIDENT_EAUTH, "a node credential is required "
                        "(HTTP Basic: node name and secret)");
    h += 6;
    while (*h == ' ')
        h++;
    size_t n = 0;
    unsigned char *dec = b64_decode(h, strlen(h), &n);
    char *colon = dec ? memchr(dec, ':', n) : NULL;
    int rc = -1;
    if (!colon || (size_t)(colon - (char *)dec) >= 64 || memchr(dec, '\0', n)) {
        mid_fail(err, MIDENT_EAUTH, "invalid node credential");
    } else {
        *colon = '\0';
        snprintf(node, 64, "%s", (char *)dec);
        rc = sts_node_auth(s, node, colon + 1, err);
    }
    if (dec) {
        OPENSSL_cleanse(dec, n);
        free(dec);
    }
    if (rc < 0)
        log_info("sts", "node channel: refused a credential from %s",
                 req->client_ip ? req->client_ip : "?");
    return rc;
}

static void handle_token(sts *s, const char *node, const http_req *req,
                         http_res *res)
{
    mident_error err;
    cJSON *in = json_parse(req->body, req->body_len, &err);
    if (!cJSON_IsObject(in)) {
        cJSON_Delete(in);
        node_error(res, 400, "BadRequest", "the body must be a JSON object");
        return;
    }
    const char *asked = json_get_str(in, "node");
    if (asked && strcmp(asked, node) != 0) {
        cJSON_Delete(in);
        log_info("sts", "node %s asked for a token as node %.63s: refused", node,
                 asked);
        node_error(res, 403, "Forbidden",
                   "a node credential mints only for its own node");
        return;
    }
    sts_node_mint_req r = {
        .node = node,
        .app_resource_id = json_get_str(in, "appResourceId"),
        .replica = json_get_str(in, "replica"),
        .object_id = json_get_str(in, "objectId"),
        .audience = json_get_str(in, "resource"),
    };
    sts_token t;
    if (sts_node_mint(s, &r, &t, &err) < 0) {
        cJSON_Delete(in);
        node_error_from(res, &err);
        return;
    }
    cJSON_Delete(in);
    cJSON *out = cJSON_CreateObject();
    json_set_str(out, "access_token", t.access_token);
    json_set_str(out, "client_id", t.client_id);
    json_set_int64(out, "not_before", t.nbf);
    json_set_int64(out, "expires_on", t.exp);
    http_res_json(res, 200, out);
    char *tok = cJSON_GetObjectItem(out, "access_token")->valuestring;
    OPENSSL_cleanse(tok, strlen(tok));
    cJSON_Delete(out);
    OPENSSL_cleanse(t.access_token, strlen(t.access_token));
    sts_token_free(&t);
}

static void add_change(cJSON *changes, const char *op, const char *id)
{
    cJSON *c = cJSON_CreateObject();
    json_set_str(c, "op", op);
    json_set_str(c, "id", id);
    cJSON_AddItemToArray(changes, c);
}

/* A "put" entry for a stored container app. */
static int add_app(sts *s, cJSON *changes, const store_resource *r,
                   mident_error *err)
{
    cJSON *doc = json_parse(r->body, strlen(r->body), err);
    if (!doc)
        return -1;
    cJSON *c = cJSON_CreateObject(), *ids = cJSON_CreateObject();
    json_set_str(c, "op", "put");
    json_set_str(c, "id", r->id);
    const char *pid = json_get_str(json_get_ci(doc, "identity"), "principalId");
    store_principal p;
    if (pid && store_principal_get(s->store, pid, &p, NULL) == 0)
        json_set_str(ids, p.object_id, p.app_id);
    json_set(c, "doc", doc);
    json_set(c, "clientIds", ids);
    cJSON_AddItemToArray(changes, c);
    return 0;
}

static int feed_snapshot(sts *s, cJSON *out, cJSON *changes, mident_error *err)
{
    int64_t rev = store_current_rev(s->store);
    if (rev < 0)
        return mid_fail(err, MIDENT_EIO, "cannot read the store's revision");
    store_resources all = {0};
    if (store_resource_list(s->store, NULL, APP_TYPE, &all, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < all.n && rc == 0; i++)
        rc = add_app(s, changes, &all.items[i], err);
    store_resource_list_free(&all);
    json_set_int64(out, "rev", rev);
    cJSON_AddBoolToObject(out, "reset", 1);
    cJSON_AddBoolToObject(out, "more", 0);
    return rc;
}

static int feed_since(sts *s, int64_t since, cJSON *out, cJSON *changes,
                      mident_error *err)
{
    store_change *ch = NULL;
    size_t n = 0;
    if (store_changes_since(s->store, since, FEED_MAX, &ch, &n, err) < 0)
        return -1;
    int rc = 0;
    int64_t rev = since;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const store_change *c = &ch[i];
        rev = c->rev;
        if (strcmp(c->kind, "principal") == 0) {
            if (strcmp(c->op, "delete") == 0)
                add_change(changes, "principalDelete", c->id);
            continue;
        }
        if (strcmp(c->kind, "resource") != 0 || !strcasestr(c->id, APP_PATH))
            continue;
        store_resource r = {0};
        mident_error e2;
        if (strcmp(c->op, "delete") == 0) {
            add_change(changes, "delete", c->id);
        } else if (store_resource_get(s->store, c->id, &r, &e2) < 0) {
            if (e2.code == MIDENT_ENOTFOUND) /* deleted since */
                add_change(changes, "delete", c->id);
            else
                rc = -1, *err = e2;
        } else if (strcasecmp(r.type, APP_TYPE) == 0) {
            rc = add_app(s, changes, &r, err);
        }
        store_resource_free(&r);
    }
    free(ch);
    json_set_int64(out, "rev", rev);
    cJSON_AddBoolToObject(out, "reset", 0);
    cJSON_AddBoolToObject(out, "more", n == FEED_MAX);
    return rc;
}

static void handle_feed(sts *s, const http_req *req, http_res *res)
{
    const char *q = http_req_query(req, "since");
    char *end = NULL;
    long long since = q ? strtoll(q, &end, 10) : 0;
    if (q && (end == q || *end || since < 0)) {
        node_error(res, 400, "BadRequest", "since must be a revision (>= 0)");
        return;
    }
    mident_error err;
    cJSON *out = cJSON_CreateObject(), *changes = cJSON_CreateArray();
    json_set(out, "changes", changes);
    int64_t cur = store_current_rev(s->store);
    int rc = since == 0 || since > cur ? feed_snapshot(s, out, changes, &err)
                                       : feed_since(s, since, out, changes, &err);
    if (rc < 0)
        node_error_from(res, &err);
    else
        http_res_json(res, 200, out);
    cJSON_Delete(out);
}

int sts_node_handle(sts *s, const http_req *req, http_res *res)
{
    if (strncmp(req->path, "/node/", 6) != 0)
        return 0;
    int token = strcmp(req->path, "/node/v1/token") == 0;
    int feed = strcmp(req->path, "/node/v1/feed") == 0;
    if (!token && !feed) {
        node_error(res, 404, "NotFound", "no such node channel path");
        return 1;
    }
    if ((token && strcmp(req->method, "POST") != 0) ||
        (feed && strcmp(req->method, "GET") != 0)) {
        node_error(res, 405, "MethodNotAllowed",
                   token ? "use POST" : "use GET");
        return 1;
    }
    char node[64];
    mident_error err;
    if (authenticate(s, req, node, &err) < 0) {
        node_error_from(res, &err);
        return 1;
    }
    if (token)
        handle_token(s, node, req, res);
    else
        handle_feed(s, req, res);
    return 1;
}
