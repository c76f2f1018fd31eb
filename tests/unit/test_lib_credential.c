/*
 * test_lib_credential.c -- libmident's credential chain against a fake
 * identity endpoint and token endpoint (core/http server on loopback):
 * source selection from the environment, the wire format of each protocol
 * (App Service 2019-08-01, MSI 2017-09-01, client credentials), selectors,
 * the token cache (hits, refresh ahead of expiry, a failed refresh serving
 * the cached token, one fetch for many threads) and error values.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/http.h"
#include "core/json.h"
#include "harness.h"
#include "mident.h"

static struct {
    http_server *http;
    char base[128];
    pthread_mutex_t mu;
    int hits;
    char last_path[256], last_query[1024], last_secret[256], last_body[2048];
    int64_t lifetime;     /* of the tokens handed out */
    int status;           /* to answer; 0 = 200 */
    int delay_ms;
} F = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int collect(void *ctx, const char *k, const char *v)
{
    char *q = ctx;
    size_t n = strlen(q);
    snprintf(q + n, 1024 - n, "%s%s=%s", n ? "&" : "", k, v);
    return 0;
}

static void handler(void *ctx, const http_req *req, http_res *res)
{
    (void)ctx;
    pthread_mutex_lock(&F.mu);
    F.hits++;
    int n = F.hits;
    snprintf(F.last_path, sizeof F.last_path, "%s", req->path);
    F.last_query[0] = '\0';
    http_req_query_each(req, collect, F.last_query);
    const char *s = http_req_header(req, "X-IDENTITY-HEADER");
    if (!s)
        s = http_req_header(req, "secret");
    snprintf(F.last_secret, sizeof F.last_secret, "%s", s ? s : "");
    snprintf(F.last_body, sizeof F.last_body, "%s", req->body ? req->body : "");
    int status = F.status ? F.status : 200;
    int64_t life = F.lifetime ? F.lifetime : 3600;
    int delay = F.delay_ms;
    pthread_mutex_unlock(&F.mu);
    if (delay)
        usleep((useconds_t)delay * 1000);
    char body[512];
    if (status != 200) {
        snprintf(body, sizeof body, "{\"statusCode\":%d,\"message\":\"no identity here\"}",
                 status);
    } else if (strstr(req->path, "/oauth2/v2.0/token")) {
        snprintf(body, sizeof body, "{\"token_type\":\"Bearer\",\"expires_in\":%lld,"
                 "\"access_token\":\"sp-token-%d\"}", (long long)life, n);
    } else {
        snprintf(body, sizeof body, "{\"access_token\":\"mi-token-%d\",\"expires_on\":"
                 "\"%lld\",\"resource\":\"r\",\"token_type\":\"Bearer\"}", n,
                 (long long)(time(NULL) + life));
    }
    http_res_text(res, status, "application/json", body);
}

static void reset(void)
{
    pthread_mutex_lock(&F.mu);
    F.hits = 0;
    F.status = 0;
    F.lifetime = 0;
    F.delay_ms = 0;
    pthread_mutex_unlock(&F.mu);
    const char *vars[] = {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                          "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT",
                          "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void start(void)
{
    if (F.http)
        return;
    mident_error err;
    http_server_opts o = {.bind_addr = "127.0.0.1", .threads = 4, .handler = handler};
    F.http = http_server_start(&o, &err);
    if (!F.http) {
        fprintf(stderr, "cannot start the fake endpoint: %s\n", err.message);
        exit(1);
    }
    snprintf(F.base, sizeof F.base, "http://127.0.0.1:%d", http_server_port(F.http));
}

static void app_service_env(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/MSI/token", F.base);
    setenv("IDENTITY_ENDPOINT", url, 1);
    setenv("IDENTITY_HEADER", "the-header-secret", 1);
}

TEST(chain_without_environment_is_unavailable)
{
    start();
    reset();
    mident_error err;
    mident_credential *c = mident_credential_new(NULL, &err);
    CHECK(c == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EUNAVAILABLE);
    CHECK(strstr(err.message, "IDENTITY_ENDPOINT") != NULL);
    mident_credential_opts o = {.source = MIDENT_SOURCE_APP_SERVICE};
    CHECK(mident_credential_new(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EUNAVAILABLE);
    o.source = MIDENT_SOURCE_DEFAULT;
    o.client_id = "a";
    o.object_id = "b";
    CHECK(mident_credential_new(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
}

TEST(app_service_protocol_and_cache)
{
    start();
    reset();
    app_service_env();
    mident_error err;
    mident_credential *c = mident_credential_new(NULL, &err);
    CHECK(c != NULL);
    CHECK_EQ_STR(mident_credential_source(c), "app_service");
    char *t = NULL;
    int64_t exp = 0;
    CHECK_EQ_INT(mident_get_token(c, "https://vault.azure.net/.default", &t, &exp, &err), MIDENT_OK);
    CHECK_EQ_STR(t, "mi-token-1");
    CHECK(exp > time(NULL) + 3000);
    CHECK_EQ_STR(F.last_path, "/MSI/token");
    CHECK_EQ_STR(F.last_query, "api-version=2019-08-01&resource=https://vault.azure.net");
    CHECK_EQ_STR(F.last_secret, "the-header-secret");
    mident_token_free(t);
    /* cached: scope and resource spellings share an entry */
    CHECK_EQ_INT(mident_get_token(c, "https://vault.azure.net", &t, NULL, &err), MIDENT_OK);
    CHECK_EQ_STR(t, "mi-token-1");
    mident_token_free(t);
    CHECK_EQ_INT(F.hits, 1);
    /* another resource is another entry */
    CHECK_EQ_INT(mident_get_token(c, "https://management.azure.com/.default", &t, NULL, &err), MIDENT_OK);
    CHECK_EQ_STR(t, "mi-token-2");
    mident_token_free(t);
    mident_credential_free(c);
}

TEST(selectors_and_azure_client_id)
{
    start();
    reset();
    app_service_env();
    mident_error err;
    const char *want[] = {"client_id=cid-1", "principal_id=oid-1",
                          "mi_res_id=/subscriptions/s/rg/x"};
    for (int i = 0; i < 3; i++) {
        mident_credential_opts o = {.client_id = i == 0 ? "cid-1" : NULL,
                                    .object_id = i == 1 ? "oid-1" : NULL,
                                    .resource_id = i == 2 ? "/subscriptions/s/rg/x" : NULL};
        mident_credential *c = mident_credential_new(&o, &err);
        char *t = NULL;
        CHECK_EQ_INT(mident_get_token(c, "https://vault.azure.net", &t, NULL, &err), MIDENT_OK);
        CHECK(strstr(F.last_query, want[i]) != NULL);
        mident_token_free(t);
        mident_credential_free(c);
    }
    setenv("AZURE_CLIENT_ID", "env-cid", 1);
    mident_credential *c = mident_credential_new(NULL, &err);
    char *t = NULL;
    CHECK_EQ_INT(mident_get_token(c, "https://vault.azure.net", &t, NULL, &err), MIDENT_OK);
    CHECK(strstr(F.last_query, "client_id=env-cid") != NULL);
    mident_token_free(t);
    mident_credential_free(c);
}

TEST(msi_protocol)
{
    start();
    reset();
    char url[256];
    snprintf(url, sizeof url, "%s/msi/token/", F.base);
    setenv("MSI_ENDPOINT", url, 1);
    setenv("MSI_SECRET", "msi-secret", 1);
    mident_error err;
    mident_credential_opts o = {.client_id = "cid-2"};
    mident_credential *c = mident_credential_new(&o, &err);
    CHECK_EQ_STR(mident_credential_source(c), "msi");
    char *t = NULL;
    CHECK_EQ_INT(mident_get_token(c, "https://vault.azure.net", &t, NULL, &err), MIDENT_OK);
    CHECK_EQ_STR(F.last_query, "api-version=2017-09-01&resource=https://vault.azure.net&clientid=cid-2");
    CHECK_EQ_STR(F.last_secret, "msi-secret");
    mident_token_free(t);
    mident_credential_free(c);
    o = (mident_credential_opts){.object_id = "x"};
    CHECK(mident_credential_new(&o, &err) == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
}

TEST(environment_service_principal_comes_first)
{
    start();
    reset();
    app_service_env();
    setenv("AZURE_TENANT_ID", "tenant-1", 1);
    setenv("AZURE_CLIENT_ID", "app-1", 1);
    setenv("AZURE_CLIENT_SECRET", "s3cr&t", 1);
    setenv("AZURE_AUTHORITY_HOST", F.base, 1);
    mident_error err;
    mident_credential *c = mident_credential_new(NULL, &err);
    CHECK_EQ_STR(mident_credential_source(c), "environment");
    char *t = NULL;
    int64_t exp = 0;
    CHECK_EQ_INT(mident_get_token(c, "https://vault.azure.net/.default", &t, &exp, &err), MIDENT_OK);
    CHECK_EQ_STR(t, "sp-token-1");
    CHECK_EQ_STR(F.last_path, "/tenant-1/oauth2/v2.0/token");
    CHECK(strstr(F.last_body, "grant_type=client_credentials") != NULL);
    CHECK(strstr(F.last_body, "client_id=app-1") != NULL);
    CHECK(strstr(F.last_body, "client_secret=s3cr%26t") != NULL);
    CHECK(strstr(F.last_body, "scope=https%3A%2F%2Fvault.azure.net%2F.default") != NULL);
    CHECK(exp >= time(NULL) + 3590);
    mident_token_free(t);
    mident_credential_free(c);
}

TEST(refresh_ahead_and_failed_refresh)
{
    start();
    reset();
    app_service_env();
    mident_error err;
    /* a token with 100 s to live is refreshed at half its life (< 300 s) */
    F.lifetime = 100;
    mident_credential_opts o = {.refresh_ahead = 300};
    mident_credential *c = mident_credential_new(&o, &err);
    char *t = NULL;
    CHECK_EQ_INT(mident_get_token(c, "r1", &t, NULL, &err), MIDENT_OK);
    mident_token_free(t);
    CHECK_EQ_INT(mident_get_token(c, "r1", &t, NULL, &err), MIDENT_OK);
    mident_token_free(t);
    CHECK_EQ_INT(F.hits, 1);
    mident_credential_free(c);
    /* lifetime below the refresh margin: every call refetches, and a
     * refetch that fails still serves the valid cached token */
    F.lifetime = 14;
    o.refresh_ahead = 1000;
    c = mident_credential_new(&o, &err);
    CHECK_EQ_INT(mident_get_token(c, "r2", &t, NULL, &err), MIDENT_OK);
    mident_token_free(t);
    sleep(8);
    F.status = 500;
    CHECK_EQ_INT(mident_get_token(c, "r2", &t, NULL, &err), MIDENT_OK);
    CHECK_EQ_STR(t, "mi-token-2");
    mident_token_free(t);
    CHECK_EQ_INT(F.hits, 3);
    mident_credential_free(c);
}

TEST(errors_are_values_with_messages)
{
    start();
    reset();
    app_service_env();
    mident_error err;
    mident_credential *c = mident_credential_new(NULL, &err);
    char *t = NULL;
    F.status = 400;
    CHECK_EQ_INT(mident_get_token(c, "r", &t, NULL, &err), MIDENT_EAUTH);
    CHECK(t == NULL);
    CHECK(strstr(err.message, "no identity here") != NULL);
    CHECK(strstr(err.message, "the-header-secret") == NULL);
    F.status = 503;
    CHECK_EQ_INT(mident_get_token(c, "r", &t, NULL, &err), MIDENT_EUNAVAILABLE);
    mident_credential_free(c);
    setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/MSI/token", 1);
    c = mident_credential_new(NULL, &err);
    CHECK_EQ_INT(mident_get_token(c, "r", &t, NULL, &err), MIDENT_EUNAVAILABLE);
    CHECK(strstr(mident_code_name(err.code), "") != NULL);
    mident_credential_free(c);
}

static void *getter(void *arg)
{
    mident_credential *c = arg;
    char *t = NULL;
    mident_error err;
    if (mident_get_token(c, "https://vault.azure.net", &t, NULL, &err) == MIDENT_OK &&
        strcmp(t, "mi-token-1") == 0) {
        mident_token_free(t);
        return (void *)1;
    }
    mident_token_free(t);
    return NULL;
}

TEST(threads_share_one_fetch)
{
    start();
    reset();
    app_service_env();
    F.delay_ms = 100;
    mident_error err;
    mident_credential *c = mident_credential_new(NULL, &err);
    pthread_t th[16];
    for (int i = 0; i < 16; i++)
        pthread_create(&th[i], NULL, getter, c);
    int ok = 0;
    for (int i = 0; i < 16; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        ok += r != NULL;
    }
    CHECK_EQ_INT(ok, 16);
    CHECK_EQ_INT(F.hits, 1);
    mident_credential_free(c);
}
