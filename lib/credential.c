/*
 * credential.c -- libmident's credentials: where an app's tokens come
 * from, and their cache (see mident.h).
 *
 * Sources, as Azure Identity defines them:
 *   environment   client credentials at AZURE_AUTHORITY_HOST/{tenant}/
 *                 oauth2/v2.0/token with scope {resource}/.default;
 *   app_service   GET IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R
 *                 [&client_id|principal_id|mi_res_id], X-IDENTITY-HEADER;
 *   msi           GET MSI_ENDPOINT?api-version=2017-09-01&resource=R
 *                 [&clientid], header `secret: MSI_SECRET`.
 * The chain (MIDENT_SOURCE_DEFAULT) takes the first whose variables are
 * all set, as DefaultAzureCredential falls through only sources that are
 * unavailable; AZURE_CLIENT_ID then selects a user-assigned identity.
 *
 * Cache: one entry per resource, guarded by the credential's mutex. A
 * token is served while it is more than refresh_ahead seconds (default
 * 300, at most half its lifetime) from expiry; after that the next caller
 * fetches a new one while holding the mutex (so concurrent callers wait
 * for one fetch rather than making many), and if that fetch fails the
 * cached token is returned as long as it has not expired.
 *
 * Secrets (the client secret, IDENTITY_HEADER, tokens) are wiped before
 * their memory is freed and never appear in error messages.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/form.h"
#include "core/json.h"
#include "fetch.h"
#include "mident.h"

#define MAX_ENTRIES 64

typedef struct {
    char *resource;
    char *token;
    int64_t expires_on;
    int64_t refresh_at;
} cache_entry;

struct mident_credential {
    mident_source source;
    char *endpoint;        /* token endpoint URL */
    char *secret;          /* client secret / IDENTITY_HEADER / MSI_SECRET */
    char *client_id;       /* SP client id, or the MI selector values */
    char *object_id;
    char *resource_id;
    char *ca_path;
    int refresh_ahead;
    long timeout_ms;
    pthread_mutex_t mu;
    cache_entry cache[MAX_ENTRIES];
    size_t n;
};

static void wipe_free(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void mident_token_free(char *token) { wipe_free(token); }

const char *mident_credential_source(const mident_credential *c)
{
    if (!c)
        return "";
    switch (c->source) {
    case MIDENT_SOURCE_ENVIRONMENT:
        return "environment";
    case MIDENT_SOURCE_APP_SERVICE:
        return "app_service";
    case MIDENT_SOURCE_MSI:
        return "msi";
    default:
        return "";
    }
}

void mident_credential_free(mident_credential *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->cache[i].resource);
        wipe_free(c->cache[i].token);
    }
    free(c->endpoint);
    wipe_free(c->secret);
    free(c->client_id);
    free(c->object_id);
    free(c->resource_id);
    free(c->ca_path);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int env_sp_set(void)
{
    return env("AZURE_TENANT_ID") && env("AZURE_CLIENT_ID") &&
           env("AZURE_CLIENT_SECRET");
}

mident_credential *mident_credential_new(const mident_credential_opts *opts,
                                         mident_error *err)
{
    mident_credential_opts o = {0};
    if (opts)
        o = *opts;
    mident_source src = o.source;
    int sel = !!o.client_id + !!o.object_id + !!o.resource_id;
    if (sel > 1) {
        mid_fail(err, MIDENT_EINVAL,
                 "give at most one of client_id, object_id, resource_id");
        return NULL;
    }
    if (src == MIDENT_SOURCE_DEFAULT) {
        if (env_sp_set())
            src = MIDENT_SOURCE_ENVIRONMENT;
        else if (env("IDENTITY_ENDPOINT") && env("IDENTITY_HEADER"))
            src = MIDENT_SOURCE_APP_SERVICE;
        else if (env("MSI_ENDPOINT"))
            src = MIDENT_SOURCE_MSI;
        else {
            mid_fail(err, MIDENT_EUNAVAILABLE,
                     "no credential is available: set AZURE_TENANT_ID, "
                     "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (service "
                     "principal), or run where IDENTITY_ENDPOINT and "
                     "IDENTITY_HEADER (or MSI_ENDPOINT and MSI_SECRET) are set "
                     "(managed identity)");
            return NULL;
        }
        if (src != MIDENT_SOURCE_ENVIRONMENT && sel == 0 && env("AZURE_CLIENT_ID"))
            o.client_id = env("AZURE_CLIENT_ID");
    }
    mident_credential *c = calloc(1, sizeof *c);
    if (!c) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->source = src;
    c->refresh_ahead = o.refresh_ahead > 0 ? o.refresh_ahead : 300;
    c->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 10000;
    c->ca_path = dup_or_null(o.ca_path);
    buf url;
    buf_init(&url);
    int ok = 1;
    switch (src) {
    case MIDENT_SOURCE_ENVIRONMENT: {
        if (!env_sp_set()) {
            mid_fail(err, MIDENT_EUNAVAILABLE,
                     "environment credential: AZURE_TENANT_ID, AZURE_CLIENT_ID "
                     "and AZURE_CLIENT_SECRET must all be set");
            ok = 0;
            break;
        }
        const char *host = env("AZURE_AUTHORITY_HOST");
        if (!host)
            host = "https://login.microsoftonline.com";
        size_t hl = strlen(host);
        while (hl > 0 && host[hl - 1] == '/')
            hl--;
        buf_printf(&url, "%.*s/%s/oauth2/v2.0/token", (int)hl, host,
                   env("AZURE_TENANT_ID"));
        c->secret = strdup(env("AZURE_CLIENT_SECRET"));
        c->client_id = strdup(env("AZURE_CLIENT_ID"));
        ok = c->secret && c->client_id;
        break;
    }
    case MIDENT_SOURCE_APP_SERVICE:
        if (!env("IDENTITY_ENDPOINT") || !env("IDENTITY_HEADER")) {
            mid_fail(err, MIDENT_EUNAVAILABLE,
                     "managed identity: IDENTITY_ENDPOINT and IDENTITY_HEADER "
                     "are not set");
            ok = 0;
            break;
        }
        buf_puts(&url, env("IDENTITY_ENDPOINT"));
        c->secret = strdup(env("IDENTITY_HEADER"));
        ok = c->secret != NULL;
        break;
    case MIDENT_SOURCE_MSI:
        if (!env("MSI_ENDPOINT")) {
            mid_fail(err, MIDENT_EUNAVAILABLE, "managed identity: MSI_ENDPOINT "
                     "is not set");
            ok = 0;
            break;
        }
        if (o.object_id || o.resource_id) {
            mid_fail(err, MIDENT_EINVAL, "the MSI_ENDPOINT protocol selects "
                     "user-assigned identities by client id only");
            ok = 0;
            break;
        }
        buf_puts(&url, env("MSI_ENDPOINT"));
        c->secret = dup_or_null(env("MSI_SECRET"));
        break;
    default:
        mid_fail(err, MIDENT_EINVAL, "unknown credential source %d", (int)src);
        ok = 0;
    }
    if (ok && src != MIDENT_SOURCE_ENVIRONMENT) {
        c->client_id = dup_or_null(o.client_id);
        c->object_id = dup_or_null(o.object_id);
        c->resource_id = dup_or_null(o.resource_id);
    }
    if (ok && !(c->endpoint = buf_steal(&url, NULL))) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        ok = 0;
    }
    buf_free(&url);
    if (!ok) {
        mident_credential_free(c);
        return NULL;
    }
    return c;
}

/* resource from a scope: "https://x/.default" -> "https://x". */
static char *resource_of(const char *scope)
{
    size_t n = strlen(scope);
    const char *suffix = "/.default";
    size_t sl = strlen(suffix);
    if (n > sl && strcmp(scope + n - sl, suffix) == 0)
        n -= sl;
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, scope, n);
        r[n] = '\0';
    }
    return r;
}

/* A number or numeric string member; -1 if absent. */
static int64_t num_member(const cJSON *d, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, name);
    if (cJSON_IsNumber(v))
        return (int64_t)v->valuedouble;
    if (cJSON_IsString(v) && v->valuestring[0]) {
        char *end = NULL;
        long long x = strtoll(v->valuestring, &end, 10);
        if (end && !*end)
            return x;
    }
    return -1;
}

/* One token from the source. */
static int fetch_token(mident_credential *c, const char *resource, char **token,
                       int64_t *exp, mident_error *err)
{
    buf url, body, hdr;
    buf_init(&url);
    buf_init(&body);
    buf_init(&hdr);
    char *res_enc = url_encode(resource);
    const char *headers[3] = {NULL, NULL, NULL};
    const char *method = "GET";
    if (c->source == MIDENT_SOURCE_ENVIRONMENT) {
        char *id = url_encode(c->client_id), *sec = url_encode(c->secret);
        buf_puts(&url, c->endpoint);
        buf_printf(&body, "grant_type=client_credentials&client_id=%s&client_secret=%s"
                          "&scope=%s%%2F.default",
                   id ? id : "", sec ? sec : "", res_enc ? res_enc : "");
        free(id);
        wipe_free(sec);
        headers[0] = "Content-Type: application/x-www-form-urlencoded";
        headers[1] = "Accept: application/json";
        method = "POST";
    } else {
        int msi = c->source == MIDENT_SOURCE_MSI;
        buf_printf(&url, "%s%sapi-version=%s&resource=%s", c->endpoint,
                   strchr(c->endpoint, '?') ? "&" : "?",
                   msi ? "2017-09-01" : "2019-08-01", res_enc ? res_enc : "");
        const char *sel_name = NULL, *sel = NULL;
        if (c->client_id) {
            sel_name = msi ? "clientid" : "client_id";
            sel = c->client_id;
        } else if (c->object_id) {
            sel_name = "principal_id";
            sel = c->object_id;
        } else if (c->resource_id) {
            sel_name = "mi_res_id";
            sel = c->resource_id;
        }
        if (sel) {
            char *e = url_encode(sel);
            buf_printf(&url, "&%s=%s", sel_name, e ? e : "");
            free(e);
        }
        if (c->secret) {
            buf_printf(&hdr, "%s: %s", msi ? "secret" : "X-IDENTITY-HEADER", c->secret);
            headers[0] = hdr.data;
        }
    }
    free(res_enc);
    int rc = -1;
    long status = 0;
    cJSON *doc = NULL;
    if (buf_failed(&url) || buf_failed(&body) || buf_failed(&hdr)) {
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
    } else if (lib_fetch(method, url.data, headers, body.len ? body.data : NULL,
                         c->ca_path, c->timeout_ms, &status, &doc, err) < 0) {
        mid_err_wrap(err, mident_credential_source(c));
    } else if (status != 200 || !json_get_str(doc, "access_token")) {
        /* the error texts of each protocol, never the request's secrets */
        const char *msg = json_get_str(doc, "error_description");
        if (!msg)
            msg = json_get_str(doc, "message");
        if (!msg)
            msg = json_get_str(doc, "error");
        mid_fail(err, status == 401 || status == 400 || status == 403 ? MIDENT_EAUTH
                     : status >= 500 || status == 429 ? MIDENT_EUNAVAILABLE
                                                      : MIDENT_EINVAL,
                 "%s: HTTP %ld getting a token for %.200s: %.300s",
                 mident_credential_source(c), status, resource,
                 msg ? msg : "no token in the answer");
    } else {
        int64_t now = (int64_t)time(NULL);
        int64_t e = num_member(doc, "expires_on");
        if (e <= 0) {
            int64_t in = num_member(doc, "expires_in");
            e = in > 0 ? now + in : now + 300;
        }
        *token = strdup(json_get_str(doc, "access_token"));
        *exp = e;
        rc = *token ? 0 : mid_fail(err, MIDENT_ENOMEM, "out of memory");
    }
    if (doc) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
        if (cJSON_IsString(t))
            memset(t->valuestring, 0, strlen(t->valuestring));
    }
    cJSON_Delete(doc);
    if (body.data)
        memset(body.data, 0, body.len);
    if (hdr.data)
        memset(hdr.data, 0, hdr.len);
    buf_free(&url);
    buf_free(&body);
    buf_free(&hdr);
    return rc;
}

mident_code mident_get_token(mident_credential *c, const char *scope,
                             char **token, int64_t *expires_on,
                             mident_error *err)
{
    mident_error e;
    mid_err_clear(&e);
    if (token)
        *token = NULL;
    if (!c || !scope || !*scope || !token) {
        mid_fail(&e, MIDENT_EINVAL, "mident_get_token: missing argument");
        goto out;
    }
    char *resource = resource_of(scope);
    if (!resource) {
        mid_fail(&e, MIDENT_ENOMEM, "out of memory");
        goto out;
    }
    pthread_mutex_lock(&c->mu);
    int64_t now = (int64_t)time(NULL);
    cache_entry *ce = NULL;
    for (size_t i = 0; i < c->n && !ce; i++)
        if (strcmp(c->cache[i].resource, resource) == 0)
            ce = &c->cache[i];
    if (!ce || now >= ce->refresh_at) {
        char *fresh = NULL;
        int64_t exp = 0;
        if (fetch_token(c, resource, &fresh, &exp, &e) == 0) {
            if (!ce && c->n < MAX_ENTRIES) {
                ce = &c->cache[c->n];
                ce->resource = resource;
                resource = NULL;
                ce->token = NULL;
                c->n++;
            }
            if (ce) {
                wipe_free(ce->token);
                ce->token = fresh;
                ce->expires_on = exp;
                int64_t life = exp - now, ahead = c->refresh_ahead;
                if (ahead > life / 2)
                    ahead = life / 2;
                ce->refresh_at = exp - ahead;
            } else {
                /* cache full: serve uncached */
                *token = fresh;
                if (expires_on)
                    *expires_on = exp;
            }
        } else if (ce && now < ce->expires_on - 5) {
            mid_err_clear(&e); /* the cached token is still good */
        } else {
            ce = NULL;
        }
    }
    if (ce && !*token) {
        *token = strdup(ce->token);
        if (expires_on)
            *expires_on = ce->expires_on;
        if (!*token)
            mid_fail(&e, MIDENT_ENOMEM, "out of memory");
    }
    pthread_mutex_unlock(&c->mu);
    free(resource);
out:
    if (err)
        *err = e;
    return e.code;
}
