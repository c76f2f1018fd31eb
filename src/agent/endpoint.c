/*
 * endpoint.c -- the managed-identity endpoint replicas call
 * (IDENTITY_ENDPOINT), App Service protocol, two dialects on one path:
 *
 *   2019-08-01  GET /MSI/token?api-version=2019-08-01&resource=R
 *               [&client_id=|&object_id=|&principal_id=|&mi_res_id=
 *                |&msi_res_id=]            header X-IDENTITY-HEADER
 *   2017-09-01  GET /MSI/token?api-version=2017-09-01&resource=R
 *               [&clientid=]                header secret
 *
 * The path compares case-insensitively and may end in '/'. No selector
 * means the app's system-assigned identity. `resource` becomes `aud`
 * exactly. 200 body: access_token, expires_on (epoch seconds, string),
 * resource, token_type "Bearer", client_id, not_before -- both dialects
 * (current SDKs parse expires_on as an integer in both).
 *
 * Refusals, always {"statusCode":N,"message":"...","correlationId":"..."}
 * and never 404/410 (the SDKs retry those for ~20 s):
 *   403  X-Forwarded-For or Forwarded present (a proxied request: the
 *        SSRF defence Azure IMDS has)
 *   405  a method other than GET
 *   400  wrong path, missing/unknown/repeated parameter, two selectors,
 *        an unsupported api-version, or an identity this app does not have
 *        ("Unable to load the proper Managed Identity.")
 *   401  missing or wrong secret (compared in constant time)
 *   503  the token service is unreachable and nothing usable is cached
 *   500  any other failure to get a token
 * The request line and headers are bounded by the HTTP layer (431).
 *
 * Every request first catches up with the change feed (feed_sync), so an
 * assignment or removal that has committed is honoured at once.
 * Logs name the replica and the identity, never a secret or a token.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent_int.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"

#define UNABLE "Unable to load the proper Managed Identity."

void secret_index_key(const char *secret, char out[AG_SECRET_KEY_LEN])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)secret, strlen(secret), md);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
}

/* Copies a NUL-terminated string into a buffer of n bytes, truncating. */
static void copy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void fail(http_res *res, int status, const char *msg)
{
    char cid[UUID_STR_LEN];
    if (uuid_v4(cid, NULL) < 0)
        snprintf(cid, sizeof cid, "00000000-0000-0000-0000-000000000000");
    cJSON *d = cJSON_CreateObject();
    json_set_int64(d, "statusCode", status);
    json_set_str(d, "message", msg);
    json_set_str(d, "correlationId", cid);
    char *s = json_print(d);
    cJSON_Delete(d);
    http_res_text(res, status, "application/json",
                  s ? s : "{\"statusCode\":500,\"message\":\"out of memory\"}");
    free(s);
    if (status == 405)
        http_res_header(res, "Allow", "GET");
    if (status == 503)
        http_res_header(res, "Retry-After", "1");
}

enum { D2019, D2017 };

/* Every parameter a request may carry, read in one pass. */
static const char *const known[] = {"api-version", "resource", "client_id",
                                    "object_id", "principal_id", "mi_res_id",
                                    "msi_res_id", "clientid", NULL};
enum { P_VERSION, P_RESOURCE, P_FIRST_SELECTOR };
#define N_KNOWN 8

typedef struct {
    const char *val[N_KNOWN];
    const char *bad;      /* first unknown parameter */
    const char *repeated; /* first repeated parameter */
    /* after validation */
    int dialect;
    const char *resource;
    const char *sel_name; /* the selector used, or NULL */
    const char *sel_val;
} params;

static int param_cb(void *ctx, const char *k, const char *v)
{
    params *p = ctx;
    for (int i = 0; known[i]; i++)
        if (strcmp(k, known[i]) == 0) {
            if (p->val[i] && !p->repeated)
                p->repeated = known[i];
            p->val[i] = v;
            return 0;
        }
    if (!p->bad)
        p->bad = k;
    return 0;
}

static int path_ok(const char *path)
{
    size_t n = strlen(path);
    if (n == 11 && path[10] == '/')
        n = 10;
    return n == 10 && strncasecmp(path, "/msi/token", 10) == 0;
}

/* The identity the selector names in the app, or NULL. */
static const ag_identity *select_identity(const ag_spec *s, const params *p)
{
    if (!p->sel_name)
        return s->has_system ? &s->system : NULL;
    const char *n = p->sel_name, *v = p->sel_val;
    if (!*v)
        return NULL;
    int by_client = strcmp(n, "client_id") == 0 || strcmp(n, "clientid") == 0;
    int by_object = strcmp(n, "object_id") == 0 || strcmp(n, "principal_id") == 0;
    for (size_t i = 0; i < s->n_ua; i++) {
        const ag_identity *u = &s->ua[i];
        if ((by_client && strcasecmp(u->client_id, v) == 0) ||
            (by_object && strcasecmp(u->object_id, v) == 0) ||
            (!by_client && !by_object && strcasecmp(u->resource_id, v) == 0))
            return u;
    }
    /* The system identity selected explicitly by its ids. */
    if (s->has_system &&
        ((by_client && s->system.client_id[0] &&
          strcasecmp(s->system.client_id, v) == 0) ||
         (by_object && strcasecmp(s->system.object_id, v) == 0)))
        return &s->system;
    return NULL;
}

void endpoint_handle(void *ctx, const http_req *req, http_res *res)
{
    agent *a = ctx;
    if (http_req_header(req, "X-Forwarded-For") || http_req_header(req, "Forwarded")) {
        log_info("agent", "refused a proxied request (X-Forwarded-For/Forwarded)");
        return fail(res, 403, "Requests carrying X-Forwarded-For or Forwarded are "
                              "refused: the identity endpoint is not to be "
                              "reached through a proxy.");
    }
    if (strcmp(req->method, "GET") != 0)
        return fail(res, 405, "Only GET is supported.");
    if (!path_ok(req->path))
        return fail(res, 400, "Unknown path: the token endpoint is /MSI/token.");

    params p;
    memset(&p, 0, sizeof p);
    http_req_query_each(req, param_cb, &p);
    const char *ver = p.val[P_VERSION];
    if (!ver || !*ver)
        return fail(res, 400, "The api-version parameter is required "
                              "(2019-08-01).");
    if (strcmp(ver, "2019-08-01") == 0)
        p.dialect = D2019;
    else if (strcmp(ver, "2017-09-01") == 0)
        p.dialect = D2017;
    else
        return fail(res, 400, "Unsupported api-version: use 2019-08-01 "
                              "(or 2017-09-01).");

    const char *secret = http_req_header(req, p.dialect == D2019
                                                  ? "X-IDENTITY-HEADER"
                                                  : "secret");
    if (!secret || !*secret)
        return fail(res, 401, p.dialect == D2019
                                  ? "The X-IDENTITY-HEADER header is required."
                                  : "The secret header is required.");
    char skey[AG_SECRET_KEY_LEN];
    secret_index_key(secret, skey);

    char msg[256];
    /* 2017-09-01 knows only `clientid` as a selector. */
    for (int i = P_FIRST_SELECTOR; p.dialect == D2017 && known[i]; i++)
        if (p.val[i] && strcmp(known[i], "clientid") != 0 && !p.bad)
            p.bad = known[i];
    if (p.bad) {
        snprintf(msg, sizeof msg, "Unknown parameter '%.64s'.", p.bad);
        return fail(res, 400, msg);
    }
    if (p.repeated) {
        snprintf(msg, sizeof msg, "Parameter '%s' is repeated.", p.repeated);
        return fail(res, 400, msg);
    }
    p.resource = p.val[P_RESOURCE];
    if (!p.resource || !*p.resource)
        return fail(res, 400, "The resource parameter is required.");
    int n_sel = 0;
    for (int i = P_FIRST_SELECTOR; known[i]; i++)
        if (p.val[i]) {
            n_sel++;
            p.sel_name = known[i];
            p.sel_val = p.val[i];
        }
    if (n_sel > 1)
        return fail(res, 400, "At most one of client_id, object_id, principal_id "
                              "and mi_res_id may be given.");

    /* Honour every change committed so far, then resolve under the lock. */
    feed_sync(a->feed);
    char app_key[2048], app_id[2048], replica[128], oid[37];
    pthread_rwlock_rdlock(&a->mu);
    ag_replica *r = ag_map_get(&a->secrets, skey);
    if (!r || !secret_equal(r->secret, secret)) {
        pthread_rwlock_unlock(&a->mu);
        log_info("agent", "refused a token request: unknown secret");
        return fail(res, 401, "The secret is not valid.");
    }
    ag_spec *s = ag_map_get(&a->apps, r->app_key);
    const ag_identity *idn = s && s->running ? select_identity(s, &p) : NULL;
    copy(replica, r->name, sizeof replica);
    if (!idn) {
        pthread_rwlock_unlock(&a->mu);
        log_info("agent", "replica %s: no identity matches %s=%.64s", replica,
                 p.sel_name ? p.sel_name : "(system)", p.sel_val ? p.sel_val : "");
        return fail(res, 400, UNABLE);
    }
    copy(app_key, s->key, sizeof app_key);
    copy(app_id, s->id, sizeof app_id);
    copy(oid, idn->object_id, sizeof oid);
    pthread_rwlock_unlock(&a->mu);

    cache_req cr = {.app_key = app_key, .app_id = app_id, .replica = replica,
                    .object_id = oid, .resource = p.resource};
    mident_error err;
    buf_reset(&res->body);
    if (cache_get(a->cache, &cr, &res->body, &err) < 0) {
        log_info("agent", "replica %s: no token for %s: %s", replica, oid,
                 err.message);
        if (err.code == MIDENT_EFORBIDDEN)
            return fail(res, 400, UNABLE);
        if (err.code == MIDENT_EUNAVAILABLE)
            return fail(res, 503, "The token service is unreachable; try again.");
        return fail(res, 500, "An unexpected error occurred while fetching the "
                              "token.");
    }
    res->status = 200;
    memcpy(res->content_type, "application/json", sizeof "application/json");
}
