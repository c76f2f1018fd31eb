/*
 * endpoints.c -- the token service's HTTP surface (Entra ID-compatible):
 *
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration    v2 discovery
 *   GET  /{tenant}/.well-known/openid-configuration         v1 discovery
 *   GET  /{tenant}/discovery/v2.0/keys, /{tenant}/discovery/keys,
 *        /common/discovery/keys                             JWKS
 *   POST /{tenant}/oauth2/v2.0/token, /{tenant}/oauth2/token
 *                                      client_credentials grant
 *   GET  /adfs/.well-known/openid-configuration, /adfs/discovery/keys,
 *   POST /adfs/oauth2/token (and /adfs/oauth2/v2.0/token)
 *                                      an ADFS-style authority: MSAL skips
 *                                      instance discovery for it, so
 *                                      azure-cli can log in offline
 *   GET  /common/discovery/instance    MSAL instance discovery
 *   GET  /metadata/endpoints           cloud metadata for `az cloud register`
 *
 * {tenant} is this directory's tenant id; discovery and keys also answer
 * for "common" and "organizations". Errors use Azure AD's OAuth2 error
 * shape (error, error_description "AADSTSnnnn: ...", error_codes,
 * timestamp, trace_id, correlation_id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/b64.h"
#include "core/form.h"
#include "core/json.h"
#include "core/log.h"
#include "core/rand.h"
#include "directory.h"
#include "sts_internal.h"

#define MAX_TOKEN_REQUEST (64 * 1024)

/* ---- errors ------------------------------------------------------------ */

static void oauth_error(const http_req *req, http_res *res, int status,
                        const char *error, int aadsts, const char *desc)
{
    char trace[UUID_STR_LEN], corr[UUID_STR_LEN], ts[32], text[768];
    const char *cid = http_req_header(req, "client-request-id");
    if (uuid_v4(trace, NULL) < 0)
        snprintf(trace, sizeof trace, "00000000-0000-0000-0000-000000000000");
    snprintf(corr, sizeof corr, "%s", cid && uuid_valid(cid) ? cid : trace);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%SZ", &tm);
    snprintf(text, sizeof text,
             "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
             aadsts, desc, trace, corr, ts);
    cJSON *doc = cJSON_CreateObject();
    json_set_str(doc, "error", error);
    json_set_str(doc, "error_description", text);
    cJSON *codes = cJSON_CreateArray();
    cJSON_AddItemToArray(codes, cJSON_CreateNumber(aadsts));
    json_set(doc, "error_codes", codes);
    json_set_str(doc, "timestamp", ts);
    json_set_str(doc, "trace_id", trace);
    json_set_str(doc, "correlation_id", corr);
    http_res_json(res, status, doc);
    cJSON_Delete(doc);
}

/* ---- discovery ----------------------------------------------------------- */

static cJSON *str_array(const char *const *items, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
    return a;
}

/* One OpenID configuration document. `base` is the authority URL
 * (U/{tenant} or U/adfs); `v2` selects the v2.0 endpoint names. */
static cJSON *openid_config(const sts *s, const char *base, const char *issuer,
                            int v2)
{
    static const char *auth_methods[] = {"client_secret_post",
                                         "client_secret_basic"};
    static const char *algs[] = {"RS256"};
    static const char *resp_types[] = {"code", "id_token", "code id_token",
                                       "id_token token"};
    static const char *modes[] = {"query", "fragment", "form_post"};
    static const char *subjects[] = {"pairwise"};
    static const char *scopes[] = {"openid", "profile", "email",
                                   "offline_access"};
    static const char *grants[] = {"client_credentials"};
    static const char *claims[] = {"sub", "iss", "aud", "exp", "iat", "nbf",
                                   "oid", "tid", "ver", "appid", "azp",
                                   "idtyp", "xms_mirid", "uti", "jti"};
    const char *ver = v2 ? "/v2.0" : "";
    char url[1024];
    cJSON *d = cJSON_CreateObject();
    snprintf(url, sizeof url, "%s/oauth2%s/token", base, ver);
    json_set_str(d, "token_endpoint", url);
    json_set(d, "token_endpoint_auth_methods_supported", str_array(auth_methods, 2));
    snprintf(url, sizeof url, "%s/discovery%s/keys", base, ver);
    json_set_str(d, "jwks_uri", url);
    json_set(d, "response_modes_supported", str_array(modes, 3));
    json_set(d, "subject_types_supported", str_array(subjects, 1));
    json_set(d, "id_token_signing_alg_values_supported", str_array(algs, 1));
    json_set(d, "response_types_supported", str_array(resp_types, 4));
    json_set(d, "scopes_supported", str_array(scopes, 4));
    json_set(d, "grant_types_supported", str_array(grants, 1));
    json_set_str(d, "issuer", issuer);
    json_set(d, "request_uri_parameter_supported", cJSON_CreateFalse());
    snprintf(url, sizeof url, "%s/oauth2%s/authorize", base, ver);
    json_set_str(d, "authorization_endpoint", url);
    snprintf(url, sizeof url, "%s/oauth2%s/devicecode", base, ver);
    json_set_str(d, "device_authorization_endpoint", url);
    snprintf(url, sizeof url, "%s/oauth2%s/logout", base, ver);
    json_set_str(d, "end_session_endpoint", url);
    json_set(d, "claims_supported", str_array(claims, sizeof claims / sizeof *claims));
    json_set_str(d, "tenant_region_scope", "WW");
    json_set_str(d, "cloud_instance_name", "mident");
    (void)s;
    return d;
}

static void serve_json(http_res *res, int status, cJSON *doc)
{
    if (!doc) {
        http_res_text(res, 500, "application/json",
                      "{\"error\":\"server_error\"}");
        return;
    }
    http_res_json(res, status, doc);
    http_res_header(res, "Cache-Control", "max-age=3600, private");
    cJSON_Delete(doc);
}

static void serve_discovery(sts *s, http_res *res, const char *tenant, int v2)
{
    char base[700], issuer[700];
    int common = strcmp(tenant, s->tenant_id) != 0;
    snprintf(base, sizeof base, "%s/%s", s->public_url, tenant);
    if (!common)
        snprintf(issuer, sizeof issuer, "%s", v2 ? s->iss_v2 : s->iss_v1);
    else /* multi-tenant documents carry a template, as Entra ID's do */
        snprintf(issuer, sizeof issuer, "%s/{tenantid}%s", s->public_url,
                 v2 ? "/v2.0" : "/");
    serve_json(res, 200, openid_config(s, base, issuer, v2));
}

static void serve_keys(sts *s, http_res *res, const char *issuer)
{
    sts_refresh_keys(s);
    serve_json(res, 200, sts_keys_jwks(s->keys, issuer));
}

static void serve_instance_discovery(sts *s, http_res *res)
{
    char host[512], url[1024];
    const char *h = strstr(s->public_url, "://");
    snprintf(host, sizeof host, "%s", h ? h + 3 : s->public_url);
    cJSON *d = cJSON_CreateObject();
    snprintf(url, sizeof url, "%s/%s/v2.0/.well-known/openid-configuration",
             s->public_url, s->tenant_id);
    json_set_str(d, "tenant_discovery_endpoint", url);
    json_set_str(d, "api-version", "1.1");
    cJSON *meta = cJSON_CreateArray(), *m = cJSON_CreateObject();
    json_set_str(m, "preferred_network", host);
    json_set_str(m, "preferred_cache", host);
    const char *aliases[] = {host};
    json_set(m, "aliases", str_array(aliases, 1));
    cJSON_AddItemToArray(meta, m);
    json_set(d, "metadata", meta);
    serve_json(res, 200, d);
}

/* Cloud metadata in the shape `az cloud register --endpoint-resource-manager`
 * reads (api-version 2015-01-01 single-object form). */
static void serve_cloud_metadata(sts *s, http_res *res)
{
    char url[1024];
    cJSON *d = cJSON_CreateObject();
    snprintf(url, sizeof url, "%s/", s->public_url);
    json_set_str(d, "galleryEndpoint", url);
    json_set_str(d, "graphEndpoint", "https://graph.windows.net/");
    json_set_str(d, "portalEndpoint", url);
    json_set_str(d, "resourceManager", url);
    json_set_str(d, "name", "mident");
    cJSON *auth = cJSON_CreateObject();
    snprintf(url, sizeof url, "%s/adfs", s->public_url);
    json_set_str(auth, "loginEndpoint", url);
    const char *aud[] = {"https://management.core.windows.net/",
                         "https://management.azure.com/"};
    json_set(auth, "audiences", str_array(aud, 2));
    json_set_str(auth, "tenant", "adfs");
    json_set_str(auth, "identityProvider", "ADFS");
    json_set(d, "authentication", auth);
    serve_json(res, 200, d);
}

/* ---- token endpoint -------------------------------------------------------- */

/* Which scopes MSAL may add to a client-credentials request besides the
 * resource's ".default"; they carry no meaning for app tokens. */
static int reserved_scope(const char *s, size_t n)
{
    static const char *r[] = {"openid", "profile", "offline_access", "email"};
    for (size_t i = 0; i < 4; i++)
        if (strlen(r[i]) == n && strncmp(s, r[i], n) == 0)
            return 1;
    return 0;
}

/* resource = the single "<resource>/.default" scope without "/.default".
 * Returns a malloc'd string or NULL with *why set. */
static char *resource_from_scope(const char *scope, const char **why)
{
    const char *res = NULL;
    size_t res_len = 0;
    const char *p = scope;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        size_t n = (size_t)(e - p);
        if (n && !reserved_scope(p, n)) {
            if (res) {
                *why = "A client credentials request takes exactly one scope, "
                       "'<resource>/.default'.";
                return NULL;
            }
            res = p;
            res_len = n;
        }
        p = e;
    }
    static const char suffix[] = "/.default";
    size_t sl = sizeof suffix - 1;
    if (!res || res_len <= sl || strncmp(res + res_len - sl, suffix, sl) != 0) {
        *why = "The provided value for the input parameter 'scope' is not "
               "valid. The scope must be '<resource>/.default'.";
        return NULL;
    }
    return strndup(res, res_len - sl);
}

/* Client credentials from client_secret_basic or client_secret_post. */
static int client_credentials(const http_req *req, const form *f, char **id,
                              char **secret, const char **why)
{
    *id = *secret = NULL;
    const char *authz = http_req_header(req, "Authorization");
    const char *fid = form_get(f, "client_id"), *fsec = form_get(f, "client_secret");
    if (authz && strncasecmp(authz, "Basic ", 6) == 0) {
        if (fsec) {
            *why = "Client authentication must use only one method.";
            return -1;
        }
        size_t n = 0;
        const char *b = authz + 6;
        unsigned char *dec = b64_decode(b, strlen(b), &n);
        char *colon = dec ? memchr(dec, ':', n) : NULL;
        if (!colon) {
            free(dec);
            *why = "The Authorization header is not valid Basic credentials.";
            return -1;
        }
        *colon = '\0';
        *id = url_decode((char *)dec, strlen((char *)dec), 1);
        *secret = url_decode(colon + 1, strlen(colon + 1), 1);
        free(dec);
        if (!*id || !*secret || (fid && strcmp(fid, *id) != 0)) {
            free(*id);
            free(*secret);
            *id = *secret = NULL;
            *why = "The client_id does not match the Authorization header.";
            return -1;
        }
        return 0;
    }
    if (!fid) {
        *why = "The request body must contain the following parameter: 'client_id'.";
        return -1;
    }
    if (!fsec) {
        *why = "The request body must contain the following parameter: "
               "'client_assertion' or 'client_secret'.";
        return -1;
    }
    *id = strdup(fid);
    *secret = strdup(fsec);
    return 0;
}

static void token_success(http_res *res, const sts_token *t, const char *resource,
                          sts_token_version v)
{
    cJSON *d = cJSON_CreateObject();
    int64_t expires_in = t->exp - t->iat;
    json_set_str(d, "token_type", "Bearer");
    if (v == STS_V1) {
        /* v1 endpoints answer every number as a string */
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)expires_in);
        json_set_str(d, "expires_in", num);
        json_set_str(d, "ext_expires_in", num);
        snprintf(num, sizeof num, "%lld", (long long)t->exp);
        json_set_str(d, "expires_on", num);
        snprintf(num, sizeof num, "%lld", (long long)t->nbf);
        json_set_str(d, "not_before", num);
        json_set_str(d, "resource", resource);
    } else {
        json_set_int64(d, "expires_in", expires_in);
        json_set_int64(d, "ext_expires_in", expires_in);
    }
    json_set_str(d, "access_token", t->access_token);
    http_res_json(res, 200, d);
    http_res_header(res, "Cache-Control", "no-store, no-cache");
    http_res_header(res, "Pragma", "no-cache");
    cJSON_Delete(d);
}

static void handle_token(sts *s, const http_req *req, http_res *res,
                         sts_token_version v)
{
    if (strcmp(req->method, "POST") != 0) {
        oauth_error(req, res, 405, "invalid_request", 900561,
                    "The endpoint only accepts POST requests.");
        http_res_header(res, "Allow", "POST");
        return;
    }
    if (req->body_too_big || req->body_len > MAX_TOKEN_REQUEST) {
        oauth_error(req, res, 413, "invalid_request", 90020,
                    "The request body is too large.");
        return;
    }
    const char *ct = http_req_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        oauth_error(req, res, 400, "invalid_request", 900144,
                    "The request body must be application/x-www-form-urlencoded.");
        return;
    }
    form f;
    mident_error err;
    if (form_parse(req->body, req->body_len, &f, &err) < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "The request body is malformed: %s.", err.message);
        oauth_error(req, res, 400, "invalid_request", 900144, msg);
        return;
    }
    char *client_id = NULL, *secret = NULL, *resource = NULL;
    const char *why = NULL;
    const char *grant = form_get(&f, "grant_type");
    if (!grant) {
        oauth_error(req, res, 400, "invalid_request", 900144,
                    "The request body must contain the following parameter: "
                    "'grant_type'.");
        goto done;
    }
    if (strcmp(grant, "client_credentials") != 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "The provided grant_type '%.64s' is not supported.",
                 grant);
        oauth_error(req, res, 400, "unsupported_grant_type", 70003, msg);
        goto done;
    }
    if (client_credentials(req, &f, &client_id, &secret, &why) < 0) {
        oauth_error(req, res, 400, "invalid_request", 900144, why);
        goto done;
    }
    const char *scope = form_get(&f, "scope"), *res_param = form_get(&f, "resource");
    if (v == STS_V1 || (v == STS_ADFS && res_param && !scope)) {
        if (!res_param || !*res_param) {
            oauth_error(req, res, 400, "invalid_request", 900144,
                        "The request body must contain the following parameter: "
                        "'resource'.");
            goto done;
        }
        resource = strdup(res_param);
    } else {
        if (!scope) {
            oauth_error(req, res, 400, "invalid_request", 900144,
                        "The request body must contain the following parameter: "
                        "'scope'.");
            goto done;
        }
        resource = resource_from_scope(scope, &why);
        if (!resource) {
            oauth_error(req, res, 400, "invalid_scope", 70011, why);
            goto done;
        }
    }
    store_principal p;
    if (directory_check_secret(s->store, client_id, secret, &p, &err) < 0) {
        if (err.code == MIDENT_EAUTH) {
            log_info("sts", "client authentication failed for client %.40s",
                     client_id);
            oauth_error(req, res, 401, "invalid_client", 7000215,
                        "Invalid client secret provided. Ensure the secret being "
                        "sent in the request is the client secret value, not the "
                        "client secret ID, for a secret added to app.");
        } else {
            log_error("sts", "checking client secret: %s", err.message);
            oauth_error(req, res, 500, "temporarily_unavailable", 90033,
                        "The service is temporarily unavailable.");
        }
        goto done;
    }
    sts_mint_req mr = {.object_id = p.object_id,
                       .audience = resource,
                       .version = v,
                       .grant = "client_credentials"};
    sts_token t;
    if (sts_mint(s, &mr, &t, &err) < 0) {
        log_error("sts", "minting a token for %s: %s", p.object_id, err.message);
        oauth_error(req, res, 500, "temporarily_unavailable", 90033,
                    "The service is temporarily unavailable.");
        goto done;
    }
    token_success(res, &t, resource, v);
    sts_token_free(&t);
done:
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    free(client_id);
    free(resource);
    form_free(&f);
}

/* ---- routing ---------------------------------------------------------------- */

#define MAX_SEGS 8

static int split_path(const char *path, char segs[MAX_SEGS][128])
{
    int n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == MAX_SEGS || len >= 128)
            return -1;
        memcpy(segs[n], p, len);
        segs[n][len] = '\0';
        n++;
        p += len;
    }
    return n;
}

static int seg_is(const char *seg, const char *lit) { return strcasecmp(seg, lit) == 0; }

static int tenant_known(const sts *s, const char *t, int allow_common)
{
    if (strcasecmp(t, s->tenant_id) == 0)
        return 1;
    return allow_common && (seg_is(t, "common") || seg_is(t, "organizations"));
}

static void unknown_tenant(const http_req *req, http_res *res, const char *t)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "Tenant '%.64s' not found. Check to make sure you have the correct "
             "tenant ID.",
             t);
    oauth_error(req, res, 400, "invalid_tenant", 90002, msg);
}

int sts_handle(sts *s, const http_req *req, http_res *res)
{
    if (sts_node_handle(s, req, res)) /* the node channel, node_http.c */
        return 1;
    char seg[MAX_SEGS][128];
    int n = split_path(req->path, seg);
    if (n < 2)
        return 0;
    int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

    if (n == 2 && seg_is(seg[0], "metadata") && seg_is(seg[1], "endpoints") && get) {
        serve_cloud_metadata(s, res);
        return 1;
    }
    if (seg_is(seg[0], "adfs")) {
        if (n == 3 && seg_is(seg[1], ".well-known") &&
            seg_is(seg[2], "openid-configuration") && get) {
            char base[600];
            snprintf(base, sizeof base, "%s/adfs", s->public_url);
            serve_json(res, 200, openid_config(s, base, s->iss_adfs, 0));
            return 1;
        }
        if (n == 3 && seg_is(seg[1], "discovery") && seg_is(seg[2], "keys") && get) {
            serve_keys(s, res, s->iss_adfs);
            return 1;
        }
        if ((n == 3 && seg_is(seg[1], "oauth2") && seg_is(seg[2], "token")) ||
            (n == 4 && seg_is(seg[1], "oauth2") && seg_is(seg[2], "v2.0") &&
             seg_is(seg[3], "token"))) {
            handle_token(s, req, res, STS_ADFS);
            return 1;
        }
        return 0;
    }
    const char *t = seg[0];
    /* /{t}/v2.0/.well-known/openid-configuration, /{t}/.well-known/... */
    if ((n == 4 && seg_is(seg[1], "v2.0") && seg_is(seg[2], ".well-known") &&
         seg_is(seg[3], "openid-configuration")) ||
        (n == 3 && seg_is(seg[1], ".well-known") &&
         seg_is(seg[2], "openid-configuration"))) {
        if (!get)
            return 0;
        if (!tenant_known(s, t, 1))
            unknown_tenant(req, res, t);
        else
            serve_discovery(s, res, t, n == 4);
        return 1;
    }
    /* /{t}/discovery/keys, /{t}/discovery/v2.0/keys, /common/discovery/instance */
    if (n >= 3 && seg_is(seg[1], "discovery") && get) {
        if (n == 3 && seg_is(seg[2], "instance") && seg_is(t, "common")) {
            serve_instance_discovery(s, res);
            return 1;
        }
        int v2 = n == 4 && seg_is(seg[2], "v2.0") && seg_is(seg[3], "keys");
        if (!v2 && !(n == 3 && seg_is(seg[2], "keys")))
            return 0;
        if (!tenant_known(s, t, 1))
            unknown_tenant(req, res, t);
        else
            serve_keys(s, res, v2 ? s->iss_v2 : NULL);
        return 1;
    }
    /* /{t}/oauth2/token, /{t}/oauth2/v2.0/token */
    if (seg_is(seg[1], "oauth2") &&
        ((n == 3 && seg_is(seg[2], "token")) ||
         (n == 4 && seg_is(seg[2], "v2.0") && seg_is(seg[3], "token")))) {
        if (!tenant_known(s, t, 0))
            unknown_tenant(req, res, t);
        else
            handle_token(s, req, res, n == 4 ? STS_V2 : STS_V1);
        return 1;
    }
    return 0;
}
