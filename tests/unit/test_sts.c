/*
 * test_sts.c -- the token service in one process: discovery and JWKS
 * documents, minted claims, verification through sts_verify, the audit
 * record of every token, and the token endpoint's error shapes. The HTTP
 * side is served by a real (plain-HTTP) listener on a free loopback port.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/fsutil.h"
#include "core/http.h"
#include "core/http_client.h"
#include "core/json.h"
#include "harness.h"
#include "store/store.h"
#include "sts/directory.h"
#include "sts/sts.h"

static struct {
    char dir[64];
    mid_store *st;
    sts *sts;
    http_server *http;
    directory_info di;
    char *secret;
    char base[64];
} T;

static void route(void *ctx, const http_req *req, http_res *res)
{
    if (!sts_handle(ctx, req, res))
        http_res_text(res, 404, "text/plain", "not sts");
}

static int setup(void)
{
    if (T.sts)
        return 0;
    mident_error err;
    snprintf(T.dir, sizeof T.dir, "/tmp/mident-test-sts.XXXXXX");
    if (!mkdtemp(T.dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/mident.db", T.dir);
    http_client_global_init(NULL);
    if (!(T.st = store_open(path, &err)) ||
        directory_bootstrap(T.st, &T.di, &T.secret, &err) < 0)
        return -1;
    sts_config sc = {.public_url = "https://sts.example:8443/",
                     .tenant_id = T.di.tenant_id,
                     .token_lifetime = 3600};
    if (!(T.sts = sts_new(T.st, &sc, &err)))
        return -1;
    http_server_opts ho = {.bind_addr = "127.0.0.1", .port = 0, .threads = 2,
                           .handler = route, .ctx = T.sts};
    if (!(T.http = http_server_start(&ho, &err)))
        return -1;
    snprintf(T.base, sizeof T.base, "http://127.0.0.1:%d", http_server_port(T.http));
    return 0;
}

static cJSON *fetch(const char *method, const char *path, const char *body,
                    long *status)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", T.base, path);
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    http_client_req r = {.method = method, .url = url, .headers = hdrs,
                         .body = body, .body_len = body ? strlen(body) : 0};
    buf out;
    buf_init(&out);
    cJSON *doc = NULL;
    if (http_client_do(&r, status, &out, NULL) == 0 && out.len)
        doc = json_parse(out.data, out.len, NULL);
    buf_free(&out);
    return doc;
}

static cJSON *jwt_part(const char *token, int part)
{
    const char *p = token;
    for (int i = 0; i < part; i++)
        p = strchr(p, '.') + 1;
    const char *e = strchr(p, '.');
    size_t len = e ? (size_t)(e - p) : strlen(p), n = 0;
    unsigned char *raw = b64url_decode(p, len, &n);
    cJSON *j = raw ? json_parse((char *)raw, n, NULL) : NULL;
    free(raw);
    return j;
}

TEST(discovery_documents_name_the_token_issuers)
{
    CHECK(setup() == 0);
    char path[256], want[256];
    long st = 0;
    snprintf(path, sizeof path, "/%s/v2.0/.well-known/openid-configuration", T.di.tenant_id);
    cJSON *d = fetch("GET", path, NULL, &st);
    CHECK_EQ_INT(st, 200);
    snprintf(want, sizeof want, "https://sts.example:8443/%s/v2.0", T.di.tenant_id);
    CHECK_EQ_STR(json_get_str(d, "issuer"), want);
    snprintf(want, sizeof want, "https://sts.example:8443/%s/discovery/v2.0/keys", T.di.tenant_id);
    CHECK_EQ_STR(json_get_str(d, "jwks_uri"), want);
    snprintf(want, sizeof want, "https://sts.example:8443/%s/oauth2/v2.0/token", T.di.tenant_id);
    CHECK_EQ_STR(json_get_str(d, "token_endpoint"), want);
    const cJSON *algs = json_get_arr(d, "id_token_signing_alg_values_supported");
    CHECK(algs && cJSON_GetArraySize(algs) == 1 &&
          strcmp(algs->child->valuestring, "RS256") == 0);
    cJSON_Delete(d);

    snprintf(path, sizeof path, "/%s/.well-known/openid-configuration", T.di.tenant_id);
    d = fetch("GET", path, NULL, &st);
    snprintf(want, sizeof want, "https://sts.example:8443/%s/", T.di.tenant_id);
    CHECK_EQ_STR(json_get_str(d, "issuer"), want);
    cJSON_Delete(d);
    d = fetch("GET", "/adfs/.well-known/openid-configuration", NULL, &st);
    CHECK_EQ_STR(json_get_str(d, "issuer"), "https://sts.example:8443/adfs");
    cJSON_Delete(d);
    d = fetch("GET", "/00000000-0000-0000-0000-000000000001/.well-known/openid-configuration",
              NULL, &st);
    CHECK_EQ_INT(st, 400);
    CHECK_EQ_STR(json_get_str(d, "error"), "invalid_tenant");
    cJSON_Delete(d);
}

TEST(jwks_publishes_the_signing_key)
{
    CHECK(setup() == 0);
    char path[256];
    long st = 0;
    snprintf(path, sizeof path, "/%s/discovery/keys", T.di.tenant_id);
    cJSON *d = fetch("GET", path, NULL, &st);
    CHECK_EQ_INT(st, 200);
    const cJSON *keys = json_get_arr(d, "keys");
    CHECK(keys && cJSON_GetArraySize(keys) == 1);
    const cJSON *k = keys ? keys->child : NULL;
    CHECK_EQ_STR(json_get_str(k, "kty"), "RSA");
    CHECK_EQ_STR(json_get_str(k, "use"), "sig");
    CHECK_EQ_STR(json_get_str(k, "e"), "AQAB");
    CHECK_EQ_STR(json_get_str(k, "kid"), json_get_str(k, "x5t"));
    size_t nlen = 0;
    const char *n = json_get_str(k, "n");
    unsigned char *mod = n ? b64url_decode(n, strlen(n), &nlen) : NULL;
    CHECK_EQ_INT(nlen, 256); /* RSA-2048, no leading zero byte */
    free(mod);
    CHECK(cJSON_GetArraySize(json_get_arr(k, "x5c")) == 1);
    cJSON_Delete(d);
}

TEST(minted_claims_have_azure_v1_shape_and_verify)
{
    CHECK(setup() == 0);
    store_principal mi;
    mident_error err;
    const char *mirid = "/subscriptions/s/resourcegroups/rg/providers/"
                        "Microsoft.ManagedIdentity/userAssignedIdentities/u1";
    CHECK(directory_create_managed_identity(T.st, "u1", mirid, &mi, &err) == 0);
    sts_mint_req req = {.object_id = mi.object_id, .audience = "https://vault.azure.net",
                        .version = STS_V1, .grant = "managed_identity",
                        .app_resource_id = "/subscriptions/s/app", .replica = "r1",
                        .node = "n1"};
    sts_token t;
    CHECK(sts_mint(T.sts, &req, &t, &err) == 0);
    cJSON *h = jwt_part(t.access_token, 0), *c = jwt_part(t.access_token, 1);
    CHECK_EQ_STR(json_get_str(h, "alg"), "RS256");
    CHECK_EQ_STR(json_get_str(h, "typ"), "JWT");
    CHECK_EQ_STR(json_get_str(h, "kid"), json_get_str(h, "x5t"));
    CHECK_EQ_STR(json_get_str(c, "aud"), "https://vault.azure.net");
    CHECK_EQ_STR(json_get_str(c, "oid"), mi.object_id);
    CHECK_EQ_STR(json_get_str(c, "sub"), mi.object_id);
    CHECK_EQ_STR(json_get_str(c, "appid"), mi.app_id);
    CHECK_EQ_STR(json_get_str(c, "appidacr"), "2");
    CHECK_EQ_STR(json_get_str(c, "tid"), T.di.tenant_id);
    CHECK_EQ_STR(json_get_str(c, "xms_mirid"), mirid);
    CHECK_EQ_STR(json_get_str(c, "ver"), "1.0");
    CHECK_EQ_STR(json_get_str(c, "idtyp"), "app");
    CHECK_EQ_STR(json_get_str(c, "uti"), t.token_id);
    CHECK_EQ_INT(json_get_int64(c, "exp", 0) - json_get_int64(c, "iat", 0), 3600);

    const char *aud[] = {"https://vault.azure.net/"};
    mident_claims *vc = NULL;
    CHECK_EQ_INT(sts_verify(T.sts, t.access_token, aud, 1, &vc, &err), MIDENT_OK);
    CHECK_EQ_STR(mident_claims_string(vc, "oid"), mi.object_id);
    mident_claims_free(vc);
    const char *other[] = {"https://management.azure.com/"};
    CHECK_EQ_INT(sts_verify(T.sts, t.access_token, other, 1, &vc, &err), MIDENT_EAUTH);

    /* the audit holds exactly this token, with its context */
    store_audit_row *rows = NULL;
    size_t n = 0;
    CHECK(store_audit_list(T.st, 0, 1000, &rows, &n, &err) == 0);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].token_id, t.token_id) == 0) {
            found++;
            CHECK_EQ_STR(rows[i].object_id, mi.object_id);
            CHECK_EQ_STR(rows[i].grant, "managed_identity");
            CHECK_EQ_STR(rows[i].identity_resource_id, mirid);
            CHECK_EQ_STR(rows[i].app_resource_id, "/subscriptions/s/app");
            CHECK_EQ_STR(rows[i].replica, "r1");
            CHECK_EQ_STR(rows[i].node, "n1");
        }
    CHECK_EQ_INT(found, 1);
    free(rows);
    cJSON_Delete(h);
    cJSON_Delete(c);
    sts_token_free(&t);

    /* no principal, no token, no audit record */
    req.object_id = "00000000-0000-4000-8000-000000000000";
    CHECK(sts_mint(T.sts, &req, &t, &err) < 0);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    size_t n2 = 0;
    CHECK(store_audit_list(T.st, 0, 1000, &rows, &n2, &err) == 0);
    CHECK_EQ_INT(n2, n);
    free(rows);
}

TEST(v2_tokens_carry_azp_and_the_v2_issuer)
{
    CHECK(setup() == 0);
    sts_mint_req req = {.object_id = T.di.admin_object_id, .audience = "api://x",
                        .version = STS_V2};
    sts_token t;
    mident_error err;
    CHECK(sts_mint(T.sts, &req, &t, &err) == 0);
    cJSON *c = jwt_part(t.access_token, 1);
    char want[256];
    snprintf(want, sizeof want, "https://sts.example:8443/%s/v2.0", T.di.tenant_id);
    CHECK_EQ_STR(json_get_str(c, "iss"), want);
    CHECK_EQ_STR(json_get_str(c, "azp"), T.di.admin_app_id);
    CHECK_EQ_STR(json_get_str(c, "azpacr"), "1");
    CHECK(json_get_str(c, "appid") == NULL);
    CHECK(json_get_str(c, "xms_mirid") == NULL);
    CHECK_EQ_STR(json_get_str(c, "ver"), "2.0");
    cJSON_Delete(c);
    sts_token_free(&t);
}

TEST(token_endpoint_issues_and_refuses_in_oauth_shape)
{
    CHECK(setup() == 0);
    char path[256], body[512];
    long st = 0;
    snprintf(path, sizeof path, "/%s/oauth2/token", T.di.tenant_id);
    snprintf(body, sizeof body,
             "grant_type=client_credentials&client_id=%s&client_secret=%s"
             "&resource=https%%3A%%2F%%2Fmanagement.azure.com%%2F",
             T.di.admin_app_id, T.secret);
    cJSON *d = fetch("POST", path, body, &st);
    CHECK_EQ_INT(st, 200);
    CHECK_EQ_STR(json_get_str(d, "resource"), "https://management.azure.com/");
    CHECK_EQ_STR(json_get_str(d, "expires_in"), "3600");
    CHECK(json_get_str(d, "access_token") != NULL);
    cJSON_Delete(d);

    snprintf(body, sizeof body,
             "grant_type=client_credentials&client_id=%s&client_secret=nope&resource=x",
             T.di.admin_app_id);
    d = fetch("POST", path, body, &st);
    CHECK_EQ_INT(st, 401);
    CHECK_EQ_STR(json_get_str(d, "error"), "invalid_client");
    CHECK(strncmp(json_get_str(d, "error_description"), "AADSTS7000215: ", 15) == 0);
    cJSON_Delete(d);

    d = fetch("POST", path, "grant_type=refresh_token", &st);
    CHECK_EQ_INT(st, 400);
    CHECK_EQ_STR(json_get_str(d, "error"), "unsupported_grant_type");
    cJSON_Delete(d);
    d = fetch("POST", path, "grant_type=client_credentials&%%%", &st);
    CHECK_EQ_INT(st, 400);
    CHECK_EQ_STR(json_get_str(d, "error"), "invalid_request");
    cJSON_Delete(d);
}

TEST(zz_teardown)
{
    http_server_stop(T.http);
    sts_free(T.sts);
    store_close(T.st);
    free(T.secret);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T.dir);
    CHECK(system(cmd) == 0);
}
