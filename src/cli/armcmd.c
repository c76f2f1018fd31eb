/*
 * armcmd.c -- argument parsing, ARM requests with long-running operations,
 * resource ids and az-shaped output for the ARM command groups; see
 * armcmd.h.
 *
 * Following a long-running operation needs the response's
 * Azure-AsyncOperation, Location and Retry-After headers: http_send() asks
 * core/http_client for them with its header callback.
 */
#include "armcmd.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "core/buf.h"
#include "core/form.h"
#include "core/http_client.h"
#include "core/json.h"
#include "core/rand.h"

/* ---- arguments ----------------------------------------------------- */

/* Index of the spec entry spelled `word`, or -1. */
static int find_spec(const cli_arg *spec, const char *word)
{
    size_t wl = strlen(word);
    for (int i = 0; spec[i].names; i++) {
        const char *p = spec[i].names;
        while (*p) {
            size_t l = strcspn(p, " ");
            if (l == wl && strncmp(p, word, l) == 0)
                return i;
            p += l;
            while (*p == ' ')
                p++;
        }
    }
    return -1;
}

/* The first spelling of a spec entry ("--name"), for messages. */
static void first_name(const cli_arg *a, char *out, size_t n)
{
    size_t l = strcspn(a->names, " ");
    snprintf(out, n, "%.*s", (int)l, a->names);
}

static int usage_error(const char *cmd, const char *usage, const char *fmt,
                       const char *what)
{
    fputs("ERROR: ", stderr);
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
    return cli_usage(cmd, usage);
}

/* A word that ends a list of values: one of the command's options, or
 * anything spelled like a long option. */
static int is_option(const cli_arg *spec, const char *w)
{
    return find_spec(spec, w) >= 0 || (w[0] == '-' && w[1] == '-' && w[2]);
}

int cli_args(const char *cmd, const char *usage, int argc, char **argv,
             const cli_arg *spec, cli_val *vals)
{
    int nspec = 0;
    while (spec[nspec].names)
        nspec++;
    if (nspec > 0)
        memset(vals, 0, sizeof *vals * (size_t)nspec);
    for (int i = 0; i < argc; i++) {
        int k = find_spec(spec, argv[i]);
        if (k < 0)
            return usage_error(cmd, usage, "unrecognized arguments: %s",
                               argv[i]);
        cli_val *v = &vals[k];
        v->set = 1;
        if (spec[k].kind == ARG_FLAG)
            continue;
        if (spec[k].kind == ARG_VALUE) {
            if (i + 1 >= argc || is_option(spec, argv[i + 1]))
                return usage_error(cmd, usage, "argument %s: expected one "
                                   "argument", argv[i]);
            v->value = argv[++i];
            continue;
        }
        v->list = argv + i + 1;
        v->n = 0;
        while (i + 1 < argc && !is_option(spec, argv[i + 1])) {
            v->n++;
            i++;
        }
    }
    for (int k = 0; k < nspec; k++) {
        if (spec[k].required && !vals[k].set) {
            char name[64];
            first_name(&spec[k], name, sizeof name);
            return usage_error(cmd, usage,
                               "the following arguments are required: %s",
                               name);
        }
    }
    return 0;
}

int cli_int_arg(const char *cmd, const char *opt, const char *s, long *out)
{
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || v < 0 || v > 1000000) {
        fprintf(stderr, "ERROR: argument %s: invalid int value: '%s'\n", opt,
                s ? s : "");
        fprintf(stderr, "usage: mident %s ...\n", cmd);
        return 2;
    }
    *out = v;
    return 0;
}

cJSON *cli_tags(const cli_val *v)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < v->n; i++) {
        const char *w = v->list[i];
        if (!*w)
            continue;
        const char *eq = strchr(w, '=');
        char key[512];
        snprintf(key, sizeof key, "%.*s",
                 (int)(eq ? (size_t)(eq - w) : strlen(w)), w);
        json_set_str(o, key, eq ? eq + 1 : "");
    }
    return o;
}

int cli_confirm(int yes)
{
    if (yes)
        return 0;
    if (!isatty(STDIN_FILENO))
        return cli_error("Unable to prompt for confirmation as no tty "
                         "available. Use --yes.");
    fputs("Are you sure you want to perform this operation? (y/n): ", stderr);
    char line[16];
    if (!fgets(line, sizeof line, stdin) || (line[0] != 'y' && line[0] != 'Y'))
        return 1;
    return 0;
}

/* ---- HTTP ---------------------------------------------------------- */

typedef struct {
    char async_op[2048];
    char location[2048];
    long retry_ms; /* -1: not given */
} resp_hdrs;

static void on_header(void *ud, const char *name, const char *value)
{
    resp_hdrs *h = ud;
    if (strcasecmp(name, "Azure-AsyncOperation") == 0)
        snprintf(h->async_op, sizeof h->async_op, "%s", value);
    else if (strcasecmp(name, "Location") == 0)
        snprintf(h->location, sizeof h->location, "%s", value);
    else if (strcasecmp(name, "Retry-After-Ms") == 0 ||
             strcasecmp(name, "x-ms-retry-after-ms") == 0)
        h->retry_ms = atol(value);
    else if (strcasecmp(name, "Retry-After") == 0 && h->retry_ms < 0)
        h->retry_ms = atol(value) * 1000;
}

/* One request to an absolute URL with the ARM token. */
static int http_send(cli_ctx *ctx, const char *method, const char *url,
                const char *body, long *status, cJSON **out, resp_hdrs *h,
                mident_error *err)
{
    *out = NULL;
    memset(h, 0, sizeof *h);
    h->retry_ms = -1;
    if (cli_arm_token(ctx, err) < 0)
        return -1;
    buf auth, resp;
    buf_init(&auth);
    buf_init(&resp);
    buf_printf(&auth, "Authorization: Bearer %s", ctx->arm_token);
    const char *hdrs[] = {auth.data ? auth.data : "", "Content-Type: application/json",
                          "Accept: application/json", NULL};
    int has_body = body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    http_client_req r = {.method = method,
                         .url = url,
                         .ca_path = ctx->ca_cert,
                         .headers = hdrs,
                         .body = has_body ? (body ? body : "") : NULL,
                         .body_len = body ? strlen(body) : 0,
                         .timeout_ms = 60000,
                         .on_header = on_header,
                         .header_ctx = h};
    int ret = http_client_do(&r, status, &resp, err);
    if (auth.data)
        OPENSSL_cleanse(auth.data, auth.len);
    buf_free(&auth);
    if (ret == 0 && resp.len > 0) {
        *out = json_parse(resp.data, resp.len, err);
        if (!*out)
            ret = mid_fail(err, MIDENT_EINVAL, "%s %s answered HTTP %ld with "
                           "a body that is not JSON", method, url, *status);
    }
    buf_free(&resp);
    return ret;
}

/* ---- requests ------------------------------------------------------ */

/* The api-version az sends to each provider. */
static const char *api_version(const char *path)
{
    if (strcasestr(path, "/providers/Microsoft.App/"))
        return "2025-07-01";
    if (strcasestr(path, "/providers/Microsoft.ManagedIdentity/"))
        return "2024-11-30";
    if (strcasestr(path, "/providers/Microsoft.Authorization/"))
        return "2022-04-01";
    return "2024-03-01";
}

static void make_url(const cli_ctx *ctx, const char *path, char *out,
                     size_t n)
{
    const char *sep = path[0] == '/' ? "" : "/";
    if (strstr(path, "api-version="))
        snprintf(out, n, "%s%s%s", ctx->arm, sep, path);
    else
        snprintf(out, n, "%s%s%s%capi-version=%s", ctx->arm, sep, path,
                 strchr(path, '?') ? '&' : '?', api_version(path));
}

/* 1 if url is on the ARM endpoint's origin (scheme://host:port). */
static int same_origin(const cli_ctx *ctx, const char *url)
{
    const char *p = strstr(ctx->arm, "://");
    if (!p)
        return 0;
    p += 3;
    size_t n = (size_t)(p - ctx->arm) + strcspn(p, "/?#");
    return strncasecmp(url, ctx->arm, n) == 0 &&
           (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

static int print_failure(long status, const cJSON *body)
{
    char msg[1024];
    cli_error_from_body(body, status, msg, sizeof msg);
    return cli_error("%s", msg);
}

static void pause_ms(long ms)
{
    if (ms < 0)
        ms = 2000;
    if (ms > 5000)
        ms = 5000;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#define POLL_SECONDS 1200 /* az's limit */

/* Polls an Azure-AsyncOperation status URL until it ends. */
static int poll_async(cli_ctx *ctx, const char *url, long retry_ms)
{
    if (!same_origin(ctx, url))
        return cli_error("the server's operation URL %s is not on %s; not "
                         "sending the token there", url, ctx->arm);
    time_t deadline = time(NULL) + POLL_SECONDS;
    for (;;) {
        long status = 0;
        cJSON *body = NULL;
        resp_hdrs h;
        mident_error err;
        if (http_send(ctx, "GET", url, NULL, &status, &body, &h, &err) < 0)
            return cli_error("%s", err.message);
        const char *st = json_get_str(body, "status");
        if (status != 200 || !st) {
            int rc = status != 200 ? print_failure(status, body)
                     : cli_error("the operation status has no 'status'");
            cJSON_Delete(body);
            return rc;
        }
        if (strcasecmp(st, "Succeeded") == 0) {
            cJSON_Delete(body);
            return 0;
        }
        if (strcasecmp(st, "Failed") == 0 || strcasecmp(st, "Canceled") == 0) {
            int rc = json_get_obj(body, "error")
                         ? print_failure(status, body)
                         : cli_error("the operation ended: %s", st);
            cJSON_Delete(body);
            return rc;
        }
        cJSON_Delete(body);
        if (time(NULL) > deadline)
            return cli_error("the operation did not finish in %d seconds",
                             POLL_SECONDS);
        pause_ms(h.retry_ms >= 0 ? h.retry_ms : retry_ms);
    }
}

/* Polls a Location URL while it answers 202; its final body to *resp. */
static int poll_location(cli_ctx *ctx, const char *url, long retry_ms,
                         long *status, cJSON **resp)
{
    if (!same_origin(ctx, url))
        return cli_error("the server's operation URL %s is not on %s; not "
                         "sending the token there", url, ctx->arm);
    time_t deadline = time(NULL) + POLL_SECONDS;
    for (;;) {
        cJSON *body = NULL;
        resp_hdrs h;
        mident_error err;
        pause_ms(retry_ms);
        if (http_send(ctx, "GET", url, NULL, status, &body, &h, &err) < 0)
            return cli_error("%s", err.message);
        if (*status != 202) {
            if (*status >= 300) {
                int rc = print_failure(*status, body);
                cJSON_Delete(body);
                return rc;
            }
            *resp = body;
            return 0;
        }
        cJSON_Delete(body);
        if (time(NULL) > deadline)
            return cli_error("the operation did not finish in %d seconds",
                             POLL_SECONDS);
        retry_ms = h.retry_ms;
    }
}

int armc_call(cli_ctx *ctx, const char *method, const char *path,
             const cJSON *body, int flags, long *status_out, cJSON **resp_out)
{
    char url[4096];
    make_url(ctx, path, url, sizeof url);
    char *text = body ? json_print(body) : NULL;
    if (body && !text)
        return cli_error("out of memory");
    long status = 0;
    cJSON *resp = NULL;
    resp_hdrs h;
    mident_error err;
    int rc = http_send(ctx, method, url, text, &status, &resp, &h, &err);
    if (text) {
        OPENSSL_cleanse(text, strlen(text)); /* may hold secrets */
        free(text);
    }
    if (rc < 0)
        return cli_error("%s", err.message);
    if (status == 404 && (flags & ARM_ALLOW_404)) {
        /* a result the caller handles */
    } else if (status < 200 || status >= 300) {
        rc = print_failure(status, resp);
        cJSON_Delete(resp);
        return rc;
    } else if (!(flags & ARM_NO_WAIT) && status == 201 && h.async_op[0]) {
        if (poll_async(ctx, h.async_op, h.retry_ms)) {
            cJSON_Delete(resp);
            return 1;
        }
        cJSON_Delete(resp);
        resp = NULL;
        if (armc_call(ctx, "GET", path, NULL, 0, &status, &resp))
            return 1;
    } else if (!(flags & ARM_NO_WAIT) && status == 202 && h.location[0]) {
        cJSON_Delete(resp);
        resp = NULL;
        if (poll_location(ctx, h.location, h.retry_ms, &status, &resp))
            return 1;
    }
    if (status_out)
        *status_out = status;
    if (resp_out)
        *resp_out = resp;
    else
        cJSON_Delete(resp);
    return 0;
}

int armc_list_type(cli_ctx *ctx, const char *group, const char *type,
                   cJSON **out)
{
    char path[ARM_ID_MAX + 128];
    if (group) {
        char g[ARM_ID_MAX];
        if (armc_group_id(ctx, group, g, sizeof g))
            return 1;
        snprintf(path, sizeof path, "%s/providers/%s", g, type);
    } else {
        snprintf(path, sizeof path, "/subscriptions/%s/providers/%s",
                 ctx->subscription_id, type);
    }
    return armc_list(ctx, path, out);
}

int armc_list(cli_ctx *ctx, const char *path, cJSON **out)
{
    cJSON *all = cJSON_CreateArray();
    char *next = NULL;
    for (int page = 0; page < 1000; page++) {
        cJSON *resp = NULL;
        int rc;
        if (!next) {
            rc = armc_call(ctx, "GET", path, NULL, 0, NULL, &resp);
        } else {
            /* nextLink is absolute; make it relative to the ARM base */
            if (!same_origin(ctx, next)) {
                rc = cli_error("the server's nextLink %s is not on %s", next,
                               ctx->arm);
            } else {
                const char *p = strstr(next, "://");
                p = p ? strchr(p + 3, '/') : NULL;
                rc = armc_call(ctx, "GET", p ? p : "/", NULL, 0, NULL, &resp);
            }
            free(next);
            next = NULL;
        }
        if (rc) {
            cJSON_Delete(all);
            return rc;
        }
        cJSON *v = json_get_ci(resp, "value");
        for (cJSON *it = v && cJSON_IsArray(v) ? v->child : NULL; it;) {
            cJSON *nx = it->next;
            cJSON_AddItemToArray(all, cJSON_DetachItemViaPointer(v, it));
            it = nx;
        }
        const char *nl = json_get_str(resp, "nextLink");
        next = nl && *nl ? strdup(nl) : NULL;
        cJSON_Delete(resp);
        if (!next)
            break;
    }
    free(next);
    *out = all;
    return 0;
}

/* ---- ids ----------------------------------------------------------- */

/* Names go into URL paths: refuse what would change the path. */
static int name_ok(const char *s, int is_id)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#' || *p == '%' ||
            *p == '\\' || (!is_id && *p == '/'))
            return 0;
    return !is_id || (s[0] == '/' && !strstr(s, "/../") && !strstr(s, "//"));
}

int armc_group_id(const cli_ctx *ctx, const char *rg, char *out, size_t n)
{
    if (!name_ok(rg, 0))
        return cli_error("'%s' is not a valid resource group name",
                         rg ? rg : "");
    snprintf(out, n, "/subscriptions/%s/resourceGroups/%s",
             ctx->subscription_id, rg);
    return 0;
}

int armc_resource_id(const cli_ctx *ctx, const char *rg, const char *type,
                    const char *name_or_id, char *out, size_t n)
{
    if (name_or_id && name_or_id[0] == '/') {
        if (!name_ok(name_or_id, 1))
            return cli_error("'%s' is not a valid resource id", name_or_id);
        snprintf(out, n, "%s", name_or_id);
        return 0;
    }
    if (!rg)
        return cli_error("'%s' is not a resource id",
                         name_or_id ? name_or_id : "");
    if (!name_ok(name_or_id, 0))
        return cli_error("'%s' is not a valid resource name",
                         name_or_id ? name_or_id : "");
    char g[ARM_ID_MAX];
    if (armc_group_id(ctx, rg, g, sizeof g))
        return 1;
    snprintf(out, n, "%s/providers/%s/%s", g, type, name_or_id);
    return 0;
}

void armc_id_group(const char *id, char *out, size_t n)
{
    out[0] = '\0';
    const char *p = id ? strcasestr(id, "/resourceGroups/") : NULL;
    if (p) {
        p += strlen("/resourceGroups/");
        snprintf(out, n, "%.*s", (int)strcspn(p, "/"), p);
    }
}

int armc_id_equal(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

int armc_group_location(cli_ctx *ctx, const char *rg, char *out, size_t n)
{
    char id[ARM_ID_MAX];
    if (armc_group_id(ctx, rg, id, sizeof id))
        return 1;
    cJSON *g = NULL;
    if (armc_call(ctx, "GET", id, NULL, 0, NULL, &g))
        return 1;
    const char *loc = json_get_str(g, "location");
    snprintf(out, n, "%s", loc ? loc : "");
    cJSON_Delete(g);
    return loc ? 0 : cli_error("resource group '%s' has no location", rg);
}

int armc_role_definition_id(cli_ctx *ctx, const char *role, char *out,
                           size_t n)
{
    if (role[0] == '/') {
        snprintf(out, n, "%s", role);
        return 0;
    }
    if (uuid_valid(role)) {
        snprintf(out, n, "/subscriptions/%s/providers/Microsoft.Authorization/"
                 "roleDefinitions/%s", ctx->subscription_id, role);
        return 0;
    }
    if (strchr(role, '\''))
        return cli_error("Role '%s' doesn't exist.", role);
    buf q;
    buf_init(&q);
    buf_printf(&q, "roleName eq '%s'", role);
    char *enc = url_encode(q.data ? q.data : "");
    buf_free(&q);
    char path[2048];
    snprintf(path, sizeof path, "/subscriptions/%s/providers/"
             "Microsoft.Authorization/roleDefinitions?$filter=%s",
             ctx->subscription_id, enc ? enc : "");
    free(enc);
    cJSON *list = NULL;
    if (armc_list(ctx, path, &list))
        return 1;
    int count = cJSON_GetArraySize(list);
    const char *id = count == 1 ? json_get_str(list->child, "id") : NULL;
    if (id)
        snprintf(out, n, "%s", id);
    cJSON_Delete(list);
    if (count > 1)
        return cli_error("More than one role matches the given name '%s'. "
                         "Please pick an id from the matches", role);
    return id ? 0 : cli_error("Role '%s' doesn't exist.", role);
}

/* ---- output -------------------------------------------------------- */

cJSON *armc_flatten(const cJSON *doc, const char *type_as)
{
    cJSON *out = cJSON_CreateObject();
    const cJSON *props = NULL;
    for (const cJSON *c = doc ? doc->child : NULL; c; c = c->next) {
        if (c->string && strcmp(c->string, "properties") == 0 &&
            cJSON_IsObject(c)) {
            props = c;
            continue;
        }
        json_set(out, c->string, cJSON_Duplicate(c, 1));
    }
    for (const cJSON *c = props ? props->child : NULL; c; c = c->next) {
        const char *k = c->string;
        if (type_as && strcmp(k, "type") == 0)
            k = type_as;
        json_set(out, k, cJSON_Duplicate(c, 1));
    }
    char rg[256];
    armc_id_group(json_get_str(doc, "id"), rg, sizeof rg);
    if (rg[0] && !cJSON_GetObjectItemCaseSensitive(out, "resourceGroup"))
        json_set_str(out, "resourceGroup", rg);
    return out;
}

/* Sorts object keys (stable insertion sort, byte order like Python's). */
static void sort_keys(cJSON *node)
{
    if (!node)
        return;
    for (cJSON *c = node->child; c; c = c->next)
        sort_keys(c);
    if (!cJSON_IsObject(node) || !node->child)
        return;
    cJSON *sorted = NULL;
    cJSON *c = node->child;
    while (c) {
        cJSON *next = c->next;
        c->prev = c->next = NULL;
        if (!sorted || strcmp(c->string, sorted->string) < 0) {
            c->next = sorted;
            sorted = c;
        } else {
            cJSON *p = sorted;
            while (p->next && strcmp(p->next->string, c->string) <= 0)
                p = p->next;
            c->next = p->next;
            p->next = c;
        }
        c = next;
    }
    /* cJSON's invariant: child->prev is the last item. */
    cJSON *last = sorted;
    for (cJSON *p = sorted; p; p = p->next) {
        if (p->next)
            p->next->prev = p;
        last = p;
    }
    sorted->prev = last;
    node->child = sorted;
}

void armc_print(const cli_ctx *ctx, cJSON *doc)
{
    sort_keys(doc);
    cli_print(ctx, doc);
}
