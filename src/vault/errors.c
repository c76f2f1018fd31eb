/*
 * errors.c -- the one place where the vault's failures become Key Vault's
 * error responses:
 *
 *   {"error":{"code":"SecretNotFound","message":"...",
 *             "innererror":{"code":"AccessDenied"}}}
 *
 * with the HTTP status derived from the mident_error code unless the
 * failure set one. 401s carry the WWW-Authenticate challenge the SDKs
 * need to get a token:
 *
 *   Bearer authorization="<authority>/<tenant>", resource="https://vault.azure.net"
 *
 * Internal failures are logged with their detail and answered with a
 * generic message; nothing here ever logs a token or a secret value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "vault/vault_int.h"

int vault_fail(vault_call *c, mident_code code, const char *kv_code,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    c->err.code = code;
    vsnprintf(c->err.message, sizeof c->err.message, fmt, ap);
    va_end(ap);
    if (kv_code)
        snprintf(c->code, sizeof c->code, "%s", kv_code);
    return -1;
}

void vault_add_challenge(vault_call *c)
{
    char v[700];
    snprintf(v, sizeof v, "Bearer authorization=\"%s/%s\", resource=\"%s\"",
             c->l->sh->authority, c->doc.tenant[0] ? c->doc.tenant : "common",
             VAULT_RESOURCE);
    http_res_header(c->res, "WWW-Authenticate", v);
}

/* Status and default Key Vault code for a mident code. */
static const char *default_code(mident_code code, int *status)
{
    switch (code) {
    case MIDENT_EINVAL:
        *status = 400;
        return "BadParameter";
    case MIDENT_ETOOBIG:
        *status = 400;
        return "BadParameter";
    case MIDENT_ENOTFOUND:
        *status = 404;
        return "NotFound";
    case MIDENT_ECONFLICT:
        *status = 409;
        return "Conflict";
    case MIDENT_EPRECONDITION:
        *status = 412;
        return "PreconditionFailed";
    case MIDENT_EAUTH:
        *status = 401;
        return "Unauthorized";
    case MIDENT_EFORBIDDEN:
        *status = 403;
        return "Forbidden";
    case MIDENT_EUNAVAILABLE:
        *status = 503;
        return "ServiceUnavailable";
    default:
        *status = 500;
        return "InternalServerError";
    }
}

void vault_respond_error(vault_call *c)
{
    int status = 500;
    const char *code = default_code(c->err.code, &status);
    if (c->status)
        status = c->status;
    if (c->code[0])
        code = c->code;
    const char *msg = c->err.message;
    if (status >= 500) {
        log_error("vault", "%s %s on %s: %s", c->req->method, c->req->path,
                  c->l->id, c->err.message);
        msg = "The service encountered an internal error. Please try again.";
    }
    cJSON *d = cJSON_CreateObject(), *e = cJSON_CreateObject();
    json_set_str(e, "code", code);
    json_set_str(e, "message", msg);
    if (c->inner[0]) {
        cJSON *in = cJSON_CreateObject();
        json_set_str(in, "code", c->inner);
        json_set(e, "innererror", in);
    }
    json_set(d, "error", e);
    http_res_json(c->res, status, d);
    cJSON_Delete(d);
    if (status == 401 || c->challenge)
        vault_add_challenge(c);
    if (status == 503)
        http_res_header(c->res, "Retry-After", "1");
}
