/*
 * node.c -- the token service's side of the node channel: registering
 * nodes and minting managed-identity tokens for the replicas a node runs.
 * See sts.h (sts_node_mint) for the checks and agent/channel.h for the
 * agent's side.
 *
 * Everything is re-read from the store at mint time, so a removal that
 * has committed refuses the very next mint, whatever the agent believes.
 * Nodes are meta keys "node:<name>" holding their registration time; a
 * node that runs as its own process (`mident agent --server`) also has a
 * credential, meta "node-secret:<name>" = SHA-256 of its secret (made and
 * checked by directory.c's helpers, like client secrets). node_http.c
 * serves the channel over HTTPS.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/json.h"
#include "core/log.h"
#include "directory.h"
#include "sts.h"
#include "sts_internal.h"

#define APP_TYPE "Microsoft.App/containerApps"

static int node_name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len < 1 || len > 63)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

static int node_register(mid_store *st, const char *node, mident_error *err)
{
    if (!node_name_ok(node))
        return mid_fail(err, MIDENT_EINVAL,
                        "a node name is 1..63 letters, digits, '-', '.', '_'");
    char key[80], val[32];
    snprintf(key, sizeof key, "node:%s", node);
    char *old = NULL;
    if (store_meta_get(st, key, &old, NULL) == 0) {
        free(old);
        return 0;
    }
    snprintf(val, sizeof val, "%lld", (long long)time(NULL));
    return store_meta_put(st, key, val, err);
}

int sts_node_register(sts *s, const char *node, mident_error *err)
{
    return node_register(s->store, node, err);
}

int sts_node_add(mid_store *st, const char *node, char **secret,
                 mident_error *err)
{
    char key[80], hash[65];
    *secret = NULL;
    if (node_register(st, node, err) < 0)
        return -1;
    if (directory_new_secret(secret, hash, err) < 0)
        return -1;
    snprintf(key, sizeof key, "node-secret:%s", node);
    if (store_meta_put(st, key, hash, err) < 0) {
        OPENSSL_cleanse(*secret, strlen(*secret));
        free(*secret);
        *secret = NULL;
        return -1;
    }
    return 0;
}

int sts_node_remove(mid_store *st, const char *node, mident_error *err)
{
    char key[80];
    if (!node_name_ok(node))
        return mid_fail(err, MIDENT_EINVAL,
                        "a node name is 1..63 letters, digits, '-', '.', '_'");
    snprintf(key, sizeof key, "node-secret:%s", node);
    if (store_meta_delete(st, key, err) < 0) {
        if (err && err->code == MIDENT_ENOTFOUND)
            mid_fail(err, MIDENT_ENOTFOUND, "node '%s' has no credential", node);
        return -1;
    }
    snprintf(key, sizeof key, "node:%s", node);
    store_meta_delete(st, key, NULL); /* registration: gone with it */
    return 0;
}

int sts_node_auth(sts *s, const char *node, const char *secret,
                  mident_error *err)
{
    char key[80];
    char *hash = NULL;
    int ok = 0;
    if (node_name_ok(node) && secret && *secret) {
        snprintf(key, sizeof key, "node-secret:%s", node);
        if (store_meta_get(s->store, key, &hash, NULL) == 0)
            ok = directory_secret_matches(secret, hash);
        free(hash);
    }
    /* One message for an unknown node and a wrong secret. */
    return ok ? 0 : mid_fail(err, MIDENT_EAUTH, "invalid node credential");
}

/* 0 if object_id is assigned to the app document right now. */
static int assigned(const cJSON *doc, const char *object_id)
{
    const cJSON *idn = json_get_ci(doc, "identity");
    const char *type = json_get_str(idn, "type");
    if (!type)
        return -1;
    int sys = strcasestr(type, "SystemAssigned") != NULL;
    int user = strcasestr(type, "UserAssigned") != NULL;
    const char *pid = json_get_str(idn, "principalId");
    if (sys && pid && strcasecmp(pid, object_id) == 0)
        return 0;
    const cJSON *ua = json_get_ci(idn, "userAssignedIdentities");
    const cJSON *e;
    if (user && cJSON_IsObject(ua))
        cJSON_ArrayForEach(e, ua)
        {
            const char *p = json_get_str(e, "principalId");
            if (p && strcasecmp(p, object_id) == 0)
                return 0;
        }
    return -1;
}

int sts_node_mint(sts *s, const sts_node_mint_req *req, sts_token *out,
                  mident_error *err)
{
    memset(out, 0, sizeof *out);
    if (!req->node || !req->app_resource_id || !req->object_id ||
        !req->audience || !*req->audience)
        return mid_fail(err, MIDENT_EINVAL,
                        "a node mint needs a node, an app, an identity and "
                        "a resource");
    char key[80];
    snprintf(key, sizeof key, "node:%s", req->node);
    char *reg = NULL;
    if (!node_name_ok(req->node) || store_meta_get(s->store, key, &reg, NULL) < 0)
        return mid_fail(err, MIDENT_EFORBIDDEN, "node '%.63s' is not registered",
                        req->node);
    free(reg);

    store_resource r = {0};
    if (store_resource_get(s->store, req->app_resource_id, &r, err) < 0) {
        if (err && err->code == MIDENT_ENOTFOUND)
            return mid_fail(err, MIDENT_EFORBIDDEN, "the app does not exist");
        return -1;
    }
    int rc = 0;
    cJSON *doc = NULL;
    if (strcasecmp(r.type, APP_TYPE) != 0) {
        rc = mid_fail(err, MIDENT_EFORBIDDEN, "not a container app");
    } else if (!(doc = json_parse(r.body, strlen(r.body), err))) {
        rc = -1;
    } else {
        const char *running = json_get_str(json_get_ci(doc, "properties"),
                                           "runningStatus");
        if (running && strcasecmp(running, "Stopped") == 0)
            rc = mid_fail(err, MIDENT_EFORBIDDEN,
                          "the app is stopped (not scheduled on any node)");
        else if (assigned(doc, req->object_id) < 0)
            rc = mid_fail(err, MIDENT_EFORBIDDEN,
                          "identity %.36s is not assigned to the app",
                          req->object_id);
    }
    if (rc == 0) {
        sts_mint_req m = {
            .object_id = req->object_id,
            .audience = req->audience,
            .version = STS_V1,
            .grant = "managed_identity",
            .app_resource_id = r.id,
            .replica = req->replica,
            .node = req->node,
        };
        rc = sts_mint(s, &m, out, err);
        if (rc < 0 && err && err->code == MIDENT_ENOTFOUND)
            mid_fail(err, MIDENT_EFORBIDDEN, "identity %.36s no longer exists",
                     req->object_id);
    }
    if (rc < 0)
        log_info("sts", "node %s: refused a token for %.36s in %s: %s", req->node,
                 req->object_id, req->app_resource_id, err ? err->message : "");
    cJSON_Delete(doc);
    store_resource_free(&r);
    return rc;
}
