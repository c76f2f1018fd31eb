/* cli.c -- shared CLI machinery; see cli.h. */
#include "cli.h"
#include "commands.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/form.h"
#include "core/fsutil.h"
#include "core/http_client.h"
#include "core/json.h"
#include "store/store.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ERROR: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

struct mid_store *cli_open_store(const char *data_dir, mident_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mident.db", data_dir);
    return store_open(path, err);
}

int cli_usage(const char *group, const char *text)
{
    fprintf(stderr, "usage: mident %s %s\n", group, text);
    return 2;
}

const char *cli_opt(int argc, char **argv, const char *a, const char *b,
                    const char *c)
{
    for (int i = 0; i < argc - 1; i++) {
        const char *x = argv[i];
        if ((a && strcmp(x, a) == 0) || (b && strcmp(x, b) == 0) ||
            (c && strcmp(x, c) == 0))
            return argv[i + 1];
    }
    return NULL;
}

int cli_flag(int argc, char **argv, const char *a, const char *b)
{
    for (int i = 0; i < argc; i++)
        if ((a && strcmp(argv[i], a) == 0) || (b && strcmp(argv[i], b) == 0))
            return 1;
    return 0;
}

int cli_parse_globals(cli_ctx *ctx, int *argc, char **argv, mident_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->output = OUT_JSON;
    const char *env = getenv("MIDENT_DATA");
    if (env && *env)
        snprintf(ctx->data_dir, sizeof ctx->data_dir, "%s", env);
    else if (fs_default_data_dir(ctx->data_dir, sizeof ctx->data_dir, err) < 0)
        return -1;
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < *argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--data") == 0) {
            if (!v)
                return mid_fail(err, MIDENT_EINVAL, "--data needs a directory");
            snprintf(ctx->data_dir, sizeof ctx->data_dir, "%s", v);
            i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!v)
                return mid_fail(err, MIDENT_EINVAL, "%s needs json|table|tsv|none", a);
            if (strcmp(v, "json") == 0 || strcmp(v, "jsonc") == 0)
                ctx->output = OUT_JSON;
            else if (strcmp(v, "table") == 0)
                ctx->output = OUT_TABLE;
            else if (strcmp(v, "tsv") == 0)
                ctx->output = OUT_TSV;
            else if (strcmp(v, "none") == 0)
                ctx->output = OUT_NONE;
            else
                return mid_fail(err, MIDENT_EINVAL, "unknown output format '%s'", v);
            i++;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    return 0;
}

static int load_json_file(const char *path, cJSON **out, mident_error *err)
{
    size_t len = 0;
    char *text = fs_read_all(path, 1 << 20, &len, err);
    if (!text)
        return -1;
    *out = json_parse(text, len, err);
    OPENSSL_cleanse(text, len);
    free(text);
    return *out ? 0 : mid_err_wrap(err, path);
}

int cli_load(cli_ctx *ctx, mident_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/endpoints.json", ctx->data_dir);
    if (load_json_file(path, &ctx->endpoints, err) < 0) {
        if (err && err->code == MIDENT_ENOTFOUND)
            mid_fail(err, MIDENT_ENOTFOUND,
                     "%s not found: is `mident up --data %s` running?", path,
                     ctx->data_dir);
        return -1;
    }
    cJSON *e = ctx->endpoints;
    ctx->arm = json_get_str(e, "arm");
    ctx->authority = json_get_str(e, "authority");
    ctx->tenant_id = json_get_str(e, "tenantId");
    ctx->subscription_id = json_get_str(e, "subscriptionId");
    ctx->ca_cert = json_get_str(e, "caCert");
    if (!ctx->arm || !ctx->authority || !ctx->tenant_id || !ctx->subscription_id)
        return mid_fail(err, MIDENT_EINVAL, "%s is incomplete", path);

    /* A saved `mident login` wins over the admin credential. */
    cJSON *prof = NULL;
    snprintf(path, sizeof path, "%s/cli-profile.json", ctx->data_dir);
    const cJSON *cred = json_get_obj(e, "admin");
    if (load_json_file(path, &prof, NULL) == 0)
        cred = prof;
    const char *id = json_get_str(cred, "clientId");
    const char *sec = json_get_str(cred, "clientSecret");
    const char *tenant = json_get_str(cred, "tenantId");
    if (id)
        ctx->client_id = strdup(id);
    if (sec)
        ctx->client_secret = strdup(sec);
    ctx->login_tenant = strdup(tenant ? tenant : ctx->tenant_id);
    cJSON_Delete(prof);
    if (!ctx->client_id || !ctx->client_secret)
        return mid_fail(err, MIDENT_EAUTH,
                        "no credential: run `mident login --service-principal`");
    return 0;
}

void cli_ctx_free(cli_ctx *ctx)
{
    cJSON_Delete(ctx->endpoints);
    if (ctx->client_secret) {
        OPENSSL_cleanse(ctx->client_secret, strlen(ctx->client_secret));
        free(ctx->client_secret);
    }
    free(ctx->client_id);
    free(ctx->login_tenant);
    free(ctx->arm_token);
    memset(ctx, 0, sizeof *ctx);
}

void cli_error_from_body(const cJSON *body, long status, char *out, size_t n)
{
    const cJSON *e = json_get_obj(body, "error");
    const char *msg = NULL, *code = NULL;
    if (e) { /* ARM / Key Vault */
        code = json_get_str(e, "code");
        msg = json_get_str(e, "message");
    } else if (body) { /* OAuth2, App Service */
        code = json_get_str(body, "error");
        msg = json_get_str(body, "error_description");
        if (!msg)
            msg = json_get_str(body, "message");
    }
    if (code && msg)
        snprintf(out, n, "(%s) %s", code, msg);
    else if (msg)
        snprintf(out, n, "%s", msg);
    else
        snprintf(out, n, "the server answered HTTP %ld", status);
}

static int request(cli_ctx *ctx, const char *method, const char *url,
                   const char *const *headers, const char *body, long *status,
                   cJSON **out, mident_error *err)
{
    buf resp;
    buf_init(&resp);
    http_client_req r = {.method = method,
                         .url = url,
                         .ca_path = ctx->ca_cert,
                         .headers = headers,
                         .body = body,
                         .body_len = body ? strlen(body) : 0};
    *out = NULL;
    if (http_client_do(&r, status, &resp, err) < 0) {
        buf_free(&resp);
        return -1;
    }
    int rc = 0;
    if (resp.len > 0) {
        *out = json_parse(resp.data, resp.len, err);
        if (!*out)
            rc = mid_fail(err, MIDENT_EINVAL, "%s %s answered HTTP %ld with a body "
                          "that is not JSON", method, url, *status);
    }
    buf_free(&resp);
    return rc;
}

int cli_get_token(cli_ctx *ctx, const char *resource, cJSON **out,
                  mident_error *err)
{
    char url[1024];
    snprintf(url, sizeof url, "%s/%s/oauth2/token", ctx->authority,
             ctx->login_tenant);
    char *id = url_encode(ctx->client_id), *sec = url_encode(ctx->client_secret),
         *res = url_encode(resource);
    buf body;
    buf_init(&body);
    buf_printf(&body, "grant_type=client_credentials&client_id=%s&client_secret=%s"
               "&resource=%s", id ? id : "", sec ? sec : "", res ? res : "");
    free(id);
    free(res);
    if (sec) {
        OPENSSL_cleanse(sec, strlen(sec));
        free(sec);
    }
    const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
                          "Accept: application/json", NULL};
    long status = 0;
    int rc = request(ctx, "POST", url, hdrs, body.data, &status, out, err);
    if (body.data)
        OPENSSL_cleanse(body.data, body.len);
    buf_free(&body);
    if (rc < 0)
        return -1;
    if (status != 200 || !json_get_str(*out, "access_token")) {
        char msg[1024];
        cli_error_from_body(*out, status, msg, sizeof msg);
        cJSON_Delete(*out);
        *out = NULL;
        return mid_fail(err, status == 401 ? MIDENT_EAUTH : MIDENT_EINVAL,
                        "getting a token for %s: %s", resource, msg);
    }
    return 0;
}

#define ARM_RESOURCE "https://management.core.windows.net/"

int cli_arm_token(cli_ctx *ctx, mident_error *err)
{
    if (!ctx->arm_token) {
        cJSON *tok = NULL;
        if (cli_get_token(ctx, ARM_RESOURCE, &tok, err) < 0)
            return -1;
        ctx->arm_token = strdup(json_get_str(tok, "access_token"));
        cJSON_Delete(tok);
        if (!ctx->arm_token)
            return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    }
    return 0;
}

static void print_scalar(const cJSON *v, FILE *f)
{
    if (cJSON_IsString(v))
        fputs(v->valuestring, f);
    else if (cJSON_IsNumber(v))
        fprintf(f, "%.17g", v->valuedouble);
    else if (cJSON_IsBool(v))
        fputs(cJSON_IsTrue(v) ? "True" : "False", f);
    else if (!cJSON_IsNull(v) && v) {
        char *s = json_print(v);
        fputs(s ? s : "", f);
        free(s);
    }
}

/* tsv: like az, one line per object, scalar values separated by tabs. */
static void print_tsv_row(const cJSON *obj)
{
    int first = 1;
    if (!cJSON_IsObject(obj)) {
        print_scalar(obj, stdout);
        putchar('\n');
        return;
    }
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
            continue;
        if (!first)
            putchar('\t');
        print_scalar(c, stdout);
        first = 0;
    }
    putchar('\n');
}

/* One table cell: scalars only, as az's table output shows them. */
static void cell_text(const cJSON *v, char *out, size_t n)
{
    out[0] = '\0';
    if (cJSON_IsString(v))
        snprintf(out, n, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, n, "%.17g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(out, n, "%s", cJSON_IsTrue(v) ? "True" : "False");
}

#define TABLE_MAX_COLS 16

/* az's table: the scalar members of the first row are the columns, each as
 * wide as its widest cell. */
static void print_table(const cJSON *doc)
{
    const cJSON *rows = cJSON_IsArray(doc) ? doc : NULL;
    const cJSON *first = rows ? rows->child : doc;
    if (!cJSON_IsObject(first)) {
        print_tsv_row(doc);
        return;
    }
    const char *cols[TABLE_MAX_COLS];
    size_t width[TABLE_MAX_COLS];
    int nc = 0;
    for (const cJSON *c = first->child; c && nc < TABLE_MAX_COLS; c = c->next)
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c)) {
            cols[nc] = c->string;
            width[nc++] = strlen(c->string);
        }
    char cell[512];
    for (const cJSON *r = rows ? rows->child : doc; r; r = rows ? r->next : NULL) {
        for (int i = 0; i < nc; i++) {
            cell_text(cJSON_GetObjectItemCaseSensitive(r, cols[i]), cell, sizeof cell);
            if (strlen(cell) > width[i])
                width[i] = strlen(cell);
        }
        if (!rows)
            break;
    }
    for (int i = 0; i < nc; i++)
        printf("%s%-*s", i ? "  " : "", (int)width[i], cols[i]);
    putchar('\n');
    for (int i = 0; i < nc; i++) {
        printf("%s", i ? "  " : "");
        for (size_t k = 0; k < width[i]; k++)
            putchar('-');
    }
    putchar('\n');
    for (const cJSON *r = rows ? rows->child : doc; r; r = rows ? r->next : NULL) {
        for (int i = 0; i < nc; i++) {
            cell_text(cJSON_GetObjectItemCaseSensitive(r, cols[i]), cell, sizeof cell);
            printf("%s%-*s", i ? "  " : "", (int)width[i], cell);
        }
        putchar('\n');
        if (!rows)
            break;
    }
}

/* JSON the way az prints it: two-space indentation, ", " and ": ". */
static void print_json(FILE *f, const cJSON *v, int depth)
{
    int arr = cJSON_IsArray(v);
    if (!arr && !cJSON_IsObject(v)) {
        char *s = cJSON_PrintUnformatted(v);
        fputs(s ? s : "null", f);
        free(s);
        return;
    }
    if (!v->child) {
        fputs(arr ? "[]" : "{}", f);
        return;
    }
    fputc(arr ? '[' : '{', f);
    for (const cJSON *c = v->child; c; c = c->next) {
        fprintf(f, "\n%*s", 2 * (depth + 1), "");
        if (!arr) {
            cJSON *key = cJSON_CreateString(c->string);
            char *k = cJSON_PrintUnformatted(key);
            fprintf(f, "%s: ", k ? k : "\"\"");
            free(k);
            cJSON_Delete(key);
        }
        print_json(f, c, depth + 1);
        if (c->next)
            fputc(',', f);
    }
    fprintf(f, "\n%*s%c", 2 * depth, "", arr ? ']' : '}');
}

void cli_print(const cli_ctx *ctx, const cJSON *doc)
{
    if (!doc || ctx->output == OUT_NONE)
        return;
    if (ctx->output == OUT_TSV) {
        if (cJSON_IsArray(doc))
            for (const cJSON *c = doc->child; c; c = c->next)
                print_tsv_row(c);
        else
            print_tsv_row(doc);
        return;
    }
    if (ctx->output == OUT_TABLE) {
        print_table(doc);
        return;
    }
    print_json(stdout, doc, 0);
    putchar('\n');
}
