/*
 * secrets.c -- the Key Vault Secrets REST API (7.x; any api-version is
 * accepted) served at a vault's vaultUri:
 *
 *   PUT    /secrets/{name}                 set: a new version     (set)
 *   GET    /secrets/{name}[/]              the latest version     (get)
 *   GET    /secrets/{name}/{version}       one version            (get)
 *   PATCH  /secrets/{name}[/{version}]     contentType, attributes,
 *                                          tags of a version      (set)
 *   GET    /secrets[?maxresults=N]         latest of each, paged  (list)
 *   GET    /secrets/{name}/versions        versions, paged        (list)
 *   DELETE /secrets/{name}                 every version; answers the
 *                                          deleted bundle          (delete)
 *
 * Shapes as Key Vault's: SecretBundle {value, id, contentType?,
 * attributes{enabled, nbf?, exp?, created, updated, recoveryLevel,
 * recoverableDays}, tags?}; SecretItem the same without value; lists
 * {value: [...], nextLink: url|null} with a $skiptoken cursor. Ids are
 * https://host:port/secrets/{name}/{version} (items: without version), so
 * the SDKs' id parsers find name, version and vault URL in them.
 *
 * Soft delete is off (recoveryLevel "Purgeable"): DELETE removes the
 * secret and its answer has no recoveryId, which ends the SDKs' delete
 * pollers at once; /deletedsecrets answers 404.
 *
 * Order of a request: vault document, then the token (401 + challenge,
 * before the body is read -- the SDKs' first request has no body), then
 * the route and its permission (403), then the body.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/b64.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "vault/vault_int.h"

#define VALUE_MAX (25 * 1024)   /* Key Vault's limit on a secret value */
#define NAME_MAX_LEN 127
#define TAGS_MAX 15
#define CTYPE_MAX 255
#define PAGE_MAX 25

/* ---- small helpers ------------------------------------------------------ */

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

static int valid_version(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static const char *api_version(const vault_call *c)
{
    const char *v = http_req_query(c->req, "api-version");
    return v && *v ? v : "7.4";
}

/* The meta document of a secret version (parsed; {} when unreadable). */
static cJSON *meta_parse(const char *meta)
{
    cJSON *m = meta ? json_parse(meta, strlen(meta), NULL) : NULL;
    if (!cJSON_IsObject(m)) {
        cJSON_Delete(m);
        m = cJSON_CreateObject();
    }
    return m;
}

/* SecretBundle (with_value) or SecretItem (item: id without version). */
static cJSON *bundle(const vault_call *c, const store_secret *s, int with_value,
                     int item_id)
{
    cJSON *m = meta_parse(s->meta);
    cJSON *d = cJSON_CreateObject();
    if (with_value && s->value)
        json_set_str(d, "value", s->value);
    char id[900];
    if (item_id)
        snprintf(id, sizeof id, "%s/secrets/%s", c->doc.base, s->name);
    else
        snprintf(id, sizeof id, "%s/secrets/%s/%s", c->doc.base, s->name,
                 s->version);
    json_set_str(d, "id", id);
    const char *ct = json_get_str(m, "contentType");
    if (ct)
        json_set_str(d, "contentType", ct);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddBoolToObject(a, "enabled", json_get_bool(m, "enabled", 1));
    int64_t nbf = json_get_int64(m, "nbf", 0), exp = json_get_int64(m, "exp", 0);
    if (nbf)
        json_set_int64(a, "nbf", nbf);
    if (exp)
        json_set_int64(a, "exp", exp);
    json_set_int64(a, "created", s->created);
    json_set_int64(a, "updated", s->updated);
    json_set_str(a, "recoveryLevel", "Purgeable");
    json_set_int64(a, "recoverableDays", 0);
    json_set(d, "attributes", a);
    const cJSON *tags = json_get_obj(m, "tags");
    if (tags)
        json_set(d, "tags", cJSON_Duplicate(tags, 1));
    cJSON_Delete(m);
    return d;
}

/* The body as a JSON object (EINVAL recorded otherwise). */
static int body_object(vault_call *c, cJSON **out)
{
    *out = NULL;
    if (c->req->body_too_big)
        return vault_fail(c, MIDENT_ETOOBIG, "BadParameter",
                          "The request body is too large.");
    if (!c->req->body_len)
        return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                          "The request body is empty.");
    mident_error e;
    cJSON *d = json_parse(c->req->body, c->req->body_len, &e);
    if (!cJSON_IsObject(d)) {
        cJSON_Delete(d);
        return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                          "The request body is not a JSON object.");
    }
    *out = d;
    return 0;
}

/* Applies contentType, tags and attributes{enabled,nbf,exp} from a request
 * body to meta (in place). */
static int apply_meta(vault_call *c, const cJSON *body, cJSON *meta)
{
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(body, "contentType");
    if (ct && !cJSON_IsNull(ct)) {
        if (!cJSON_IsString(ct) || strlen(ct->valuestring) > CTYPE_MAX)
            return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                              "contentType must be a string of at most %d "
                              "characters.", CTYPE_MAX);
        json_set_str(meta, "contentType", ct->valuestring);
    }
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(body, "tags");
    if (tags && !cJSON_IsNull(tags)) {
        if (!cJSON_IsObject(tags) || cJSON_GetArraySize(tags) > TAGS_MAX)
            return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                              "tags must be an object of at most %d strings.",
                              TAGS_MAX);
        const cJSON *t;
        cJSON_ArrayForEach(t, tags) {
            if (!cJSON_IsString(t) || strlen(t->string) > 512 ||
                strlen(t->valuestring) > 512)
                return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                                  "Tag values must be strings.");
        }
        json_set(meta, "tags", cJSON_Duplicate(tags, 1));
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "attributes");
    if (a && !cJSON_IsNull(a)) {
        if (!cJSON_IsObject(a))
            return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                              "attributes must be an object.");
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(a, "enabled");
        if (en && !cJSON_IsNull(en)) {
            if (!cJSON_IsBool(en))
                return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                                  "attributes.enabled must be a boolean.");
            json_set(meta, "enabled", cJSON_CreateBool(cJSON_IsTrue(en)));
        }
        const char *times[] = {"nbf", "exp"};
        for (int i = 0; i < 2; i++) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(a, times[i]);
            if (!t || cJSON_IsNull(t))
                continue;
            int64_t v = json_get_int64(a, times[i], -1);
            if (v < 0)
                return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                                  "attributes.%s must be seconds since the "
                                  "epoch.", times[i]);
            json_set_int64(meta, times[i], v);
        }
    }
    return 0;
}

static int secret_not_found(vault_call *c, const char *name, const char *version)
{
    if (version && *version)
        return vault_fail(c, MIDENT_ENOTFOUND, "SecretNotFound",
                          "A secret with (name/id) %s/%s was not found in "
                          "this key vault. If you recently deleted this "
                          "secret you may be able to recover it using the "
                          "correct recovery command.", name, version);
    return vault_fail(c, MIDENT_ENOTFOUND, "SecretNotFound",
                      "A secret with (name/id) %s was not found in this key "
                      "vault. If you recently deleted this secret you may be "
                      "able to recover it using the correct recovery "
                      "command.", name);
}

static int load_secret(vault_call *c, const char *name, const char *version,
                       store_secret *s)
{
    if (store_secret_get(c->l->sh->store, c->l->key, name, version, s, &c->err) < 0) {
        if (c->err.code == MIDENT_ENOTFOUND)
            return secret_not_found(c, name, version);
        return -1;
    }
    return 0;
}

static void send(vault_call *c, int status, cJSON *d)
{
    http_res_json(c->res, status, d);
    cJSON_Delete(d);
}

/* ---- operations ---------------------------------------------------------- */

static int set_secret(vault_call *c, const char *name)
{
    cJSON *body = NULL;
    if (body_object(c, &body) < 0)
        return -1;
    int rc = -1;
    cJSON *meta = cJSON_CreateObject();
    char *mtext = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "value");
    if (!cJSON_IsString(v)) {
        vault_fail(c, MIDENT_EINVAL, "BadParameter",
                   "The secret value is required and must be a string.");
        goto out;
    }
    if (strlen(v->valuestring) > VALUE_MAX) {
        vault_fail(c, MIDENT_ETOOBIG, "BadParameter",
                   "The secret value exceeds %d bytes.", VALUE_MAX);
        goto out;
    }
    cJSON_AddBoolToObject(meta, "enabled", 1);
    if (apply_meta(c, body, meta) < 0)
        goto out;
    char version[33];
    if (rand_hex(version, 16, &c->err) < 0 || !(mtext = json_print(meta)))
        goto out;
    int64_t now = (int64_t)time(NULL);
    if (store_secret_add(c->l->sh->store, c->l->key, name, version,
                         v->valuestring, mtext, now, &c->err) < 0)
        goto out;
    store_secret s;
    if (load_secret(c, name, version, &s) < 0)
        goto out;
    send(c, 200, bundle(c, &s, 1, 0));
    store_secret_free(&s);
    log_info("vault", "%s: secret %s version %s set by %s", c->doc.name, name,
             version, c->oid);
    rc = 0;
out:
    free(mtext);
    cJSON_Delete(meta);
    cJSON_Delete(body);
    return rc;
}

static int get_secret(vault_call *c, const char *name, const char *version)
{
    store_secret s;
    if (load_secret(c, name, version, &s) < 0)
        return -1;
    cJSON *m = meta_parse(s.meta);
    int enabled = json_get_bool(m, "enabled", 1);
    cJSON_Delete(m);
    if (!enabled) {
        store_secret_free(&s);
        return vault_fail(c, MIDENT_EFORBIDDEN, "Forbidden",
                          "Operation get is not allowed on a disabled secret.");
    }
    send(c, 200, bundle(c, &s, 1, 0));
    store_secret_free(&s);
    return 0;
}

static int update_secret(vault_call *c, const char *name, const char *version)
{
    cJSON *body = NULL;
    if (body_object(c, &body) < 0)
        return -1;
    store_secret s;
    if (load_secret(c, name, version, &s) < 0) {
        cJSON_Delete(body);
        return -1;
    }
    cJSON *meta = meta_parse(s.meta);
    char *mtext = NULL;
    int rc = apply_meta(c, body, meta);
    if (rc == 0 && !(mtext = json_print(meta)))
        rc = vault_fail(c, MIDENT_ENOMEM, NULL, "out of memory");
    int64_t now = (int64_t)time(NULL);
    if (rc == 0)
        rc = store_secret_set_meta(c->l->sh->store, c->l->key, name, s.version,
                                   mtext, now, &c->err);
    if (rc == 0) {
        free(s.meta);
        s.meta = mtext;
        mtext = NULL;
        s.updated = now;
        send(c, 200, bundle(c, &s, 0, 0));
    }
    free(mtext);
    cJSON_Delete(meta);
    cJSON_Delete(body);
    store_secret_free(&s);
    return rc;
}

static int delete_secret(vault_call *c, const char *name)
{
    store_secret s;
    if (load_secret(c, name, NULL, &s) < 0)
        return -1;
    if (store_secret_delete(c->l->sh->store, c->l->key, name, &c->err) < 0) {
        store_secret_free(&s);
        if (c->err.code == MIDENT_ENOTFOUND)
            return secret_not_found(c, name, NULL);
        return -1;
    }
    /* DeletedSecretBundle without recoveryId: soft delete is off. */
    send(c, 200, bundle(c, &s, 0, 0));
    log_info("vault", "%s: secret %s deleted by %s", c->doc.name, s.name, c->oid);
    store_secret_free(&s);
    return 0;
}

/* maxresults (1..25, default 25). */
static int page_size(vault_call *c, size_t *out)
{
    const char *m = http_req_query(c->req, "maxresults");
    *out = PAGE_MAX;
    if (!m || !*m)
        return 0;
    char *end = NULL;
    long v = strtol(m, &end, 10);
    if (*end || v < 1 || v > PAGE_MAX)
        return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                          "maxresults must be an integer from 1 to %d.",
                          PAGE_MAX);
    *out = (size_t)v;
    return 0;
}

/* The nextLink of a page: same path, cursor in $skiptoken. */
static cJSON *next_link(vault_call *c, const char *path, const char *cursor,
                        size_t max)
{
    if (!cursor)
        return cJSON_CreateNull();
    char *tok = b64url_encode(cursor, strlen(cursor));
    char url[1400];
    snprintf(url, sizeof url, "%s%s?api-version=%s&$skiptoken=%s&maxresults=%zu",
             c->doc.base, path, api_version(c), tok ? tok : "", max);
    free(tok);
    return cJSON_CreateString(url);
}

/* The decoded $skiptoken, or "" (malloc'd; NULL + EINVAL when bad). */
static char *skiptoken(vault_call *c)
{
    const char *t = http_req_query(c->req, "$skiptoken");
    if (!t || !*t)
        return strdup("");
    size_t n = 0;
    unsigned char *raw = b64url_decode(t, strlen(t), &n);
    if (!raw || n == 0 || n > 200 || strlen((char *)raw) != n) {
        free(raw);
        vault_fail(c, MIDENT_EINVAL, "BadParameter", "Invalid $skiptoken.");
        return NULL;
    }
    return (char *)raw;
}

static int list_secrets(vault_call *c)
{
    size_t max;
    if (page_size(c, &max) < 0)
        return -1;
    char *after = skiptoken(c);
    if (!after)
        return -1;
    store_secret *arr = NULL;
    size_t n = 0;
    /* one more than the page: is there a next page? */
    int rc = store_secret_list(c->l->sh->store, c->l->key, after, max + 1, &arr,
                               &n, &c->err);
    if (rc == 0) {
        cJSON *d = cJSON_CreateObject(), *v = cJSON_AddArrayToObject(d, "value");
        size_t shown = n > max ? max : n;
        for (size_t i = 0; i < shown; i++)
            cJSON_AddItemToArray(v, bundle(c, &arr[i], 0, 1));
        char cursor[STORE_SECRET_NAME_MAX];
        if (n > max)
            for (size_t i = 0;; i++) {
                char ch = arr[shown - 1].name[i];
                cursor[i] = (char)tolower((unsigned char)ch);
                if (!ch)
                    break;
            }
        json_set(d, "nextLink", next_link(c, "/secrets", n > max ? cursor : NULL, max));
        send(c, 200, d);
    }
    store_secret_list_free(arr, n);
    free(after);
    return rc;
}

static int list_versions(vault_call *c, const char *name)
{
    size_t max;
    if (page_size(c, &max) < 0)
        return -1;
    char *after = skiptoken(c);
    if (!after)
        return -1;
    int64_t seq = 0;
    if (*after) {
        char *end = NULL;
        seq = strtoll(after, &end, 10);
        if (*end || seq < 0) {
            free(after);
            return vault_fail(c, MIDENT_EINVAL, "BadParameter", "Invalid $skiptoken.");
        }
    }
    free(after);
    store_secret *arr = NULL;
    size_t n = 0;
    int rc = store_secret_versions(c->l->sh->store, c->l->key, name, seq, max + 1,
                                   &arr, &n, &c->err);
    if (rc == 0 && n == 0 && seq == 0)
        rc = secret_not_found(c, name, NULL);
    if (rc == 0) {
        cJSON *d = cJSON_CreateObject(), *v = cJSON_AddArrayToObject(d, "value");
        size_t shown = n > max ? max : n;
        for (size_t i = 0; i < shown; i++)
            cJSON_AddItemToArray(v, bundle(c, &arr[i], 0, 0));
        char cursor[32], path[300];
        snprintf(cursor, sizeof cursor, "%lld",
                 shown ? (long long)arr[shown - 1].seq : 0LL);
        snprintf(path, sizeof path, "/secrets/%s/versions", name);
        json_set(d, "nextLink", next_link(c, path, n > max ? cursor : NULL, max));
        send(c, 200, d);
    }
    store_secret_list_free(arr, n);
    return rc;
}

/* ---- routing --------------------------------------------------------------- */

static int bad_method(vault_call *c)
{
    c->status = 405;
    return vault_fail(c, MIDENT_EINVAL, "MethodNotAllowed",
                      "The method %s is not allowed on %s.", c->req->method,
                      c->req->path);
}

static int route(vault_call *c)
{
    const char *m = c->req->method;
    /* Segments of the path: secrets[/name[/version|versions|""]] */
    char path[600];
    if (strlen(c->req->path) >= sizeof path)
        return vault_fail(c, MIDENT_EINVAL, "BadParameter", "The path is too long.");
    snprintf(path, sizeof path, "%s", c->req->path);
    char *seg[4] = {0};
    int nseg = 0, trailing = 0;
    char *p = path + 1;
    while (*p && nseg < 4) {
        seg[nseg++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
        if (!*p)
            trailing = 1;
    }
    if (*p && nseg == 4)
        nseg = 5; /* too deep */
    if (nseg >= 1 && strcmp(seg[0], "deletedsecrets") == 0)
        return vault_fail(c, MIDENT_ENOTFOUND, "NotFound",
                          "Soft delete is not enabled on this vault: there are "
                          "no deleted secrets.");
    if (nseg == 0 || nseg > 3 || strcmp(seg[0], "secrets") != 0)
        return vault_fail(c, MIDENT_ENOTFOUND, "NotFound",
                          "No operation matches %s %.300s.", m, c->req->path);
    if (nseg == 1) {
        if (strcmp(m, "GET") != 0)
            return bad_method(c);
        return vault_authorize(c, VOP_LIST) < 0 ? -1 : list_secrets(c);
    }
    const char *name = seg[1];
    const char *ver = nseg == 3 ? seg[2] : "";
    (void)trailing;
    if (!valid_name(name))
        return vault_fail(c, MIDENT_EINVAL, "BadParameter",
                          "The secret name '%.130s' is invalid: use 1-127 "
                          "letters, digits and dashes.", name);
    if (strcmp(ver, "versions") == 0) {
        if (strcmp(m, "GET") != 0)
            return bad_method(c);
        return vault_authorize(c, VOP_LIST) < 0 ? -1 : list_versions(c, name);
    }
    if (*ver && !valid_version(ver))
        return secret_not_found(c, name, ver);
    if (strcmp(m, "GET") == 0)
        return vault_authorize(c, VOP_GET) < 0 ? -1 : get_secret(c, name, ver);
    if (strcmp(m, "PATCH") == 0)
        return vault_authorize(c, VOP_UPDATE) < 0 ? -1 : update_secret(c, name, ver);
    if (*ver)
        return bad_method(c);
    if (strcmp(m, "PUT") == 0)
        return vault_authorize(c, VOP_SET) < 0 ? -1 : set_secret(c, name);
    if (strcmp(m, "DELETE") == 0)
        return vault_authorize(c, VOP_DELETE) < 0 ? -1 : delete_secret(c, name);
    return bad_method(c);
}

void vault_serve(void *ctx, const http_req *req, http_res *res)
{
    vault_call c;
    memset(&c, 0, sizeof c);
    c.l = ctx;
    c.req = req;
    c.res = res;
    int rc = vault_load(&c);
    if (rc == 0)
        rc = vault_authenticate(&c);
    if (rc == 0)
        rc = route(&c);
    if (rc < 0)
        vault_respond_error(&c);
    vault_doc_free(&c.doc);
}
