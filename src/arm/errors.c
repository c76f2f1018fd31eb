/*
 * errors.c -- ARM's error shape, produced in this one place.
 *
 * Handlers fail by returning -1 after recording the failure in their
 * arm_call: either with arm_fail (an ARM code and message of their own),
 * or by letting a lower layer fill c->err (store, directory, json) and
 * optionally naming the ARM code with arm_fail_as. arm_respond_error then
 * answers
 *   {"error":{"code":"...","message":"...","target":"...","details":[]}}
 * with the status the mident code implies (or an explicit one), adding the
 * Bearer challenge to 401s. Internal failures are logged with their
 * detail and answered with a generic message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arm/arm_int.h"
#include "core/log.h"

int arm_fail(arm_call *c, mident_code code, const char *arm_code,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    c->err.code = code;
    size_t n = strnlen(c->message, sizeof c->err.message - 1);
    memcpy(c->err.message, c->message, n);
    c->err.message[n] = '\0';
    snprintf(c->code, sizeof c->code, "%s", arm_code ? arm_code : "");
    return -1;
}

int arm_fail_as(arm_call *c, const char *arm_code)
{
    if (arm_code && !c->code[0])
        snprintf(c->code, sizeof c->code, "%s", arm_code);
    return -1;
}

int arm_bad_method(arm_call *c)
{
    c->status = 405;
    return arm_fail(c, MIDENT_EINVAL, "MethodNotAllowed",
                    "The requested method '%s' is not allowed on this "
                    "resource.", c->req->method);
}

const char *arm_default_code(mident_code code, int *status)
{
    switch (code) {
    case MIDENT_EINVAL: *status = 400; return "InvalidRequestContent";
    case MIDENT_ENOTFOUND: *status = 404; return "ResourceNotFound";
    case MIDENT_ECONFLICT: *status = 409; return "Conflict";
    case MIDENT_EPRECONDITION: *status = 412; return "PreconditionFailed";
    case MIDENT_EAUTH: *status = 401; return "InvalidAuthenticationToken";
    case MIDENT_EFORBIDDEN: *status = 403; return "AuthorizationFailed";
    case MIDENT_ETOOBIG: *status = 413; return "RequestEntityTooLarge";
    case MIDENT_EUNAVAILABLE: *status = 503; return "ServiceUnavailable";
    default: *status = 500; return "InternalServerError";
    }
}

void arm_respond_error(arm_call *c)
{
    int status = 500;
    const char *code = arm_default_code(c->err.code, &status);
    if (c->status)
        status = c->status;
    if (c->code[0])
        code = c->code;
    const char *msg = c->message[0] ? c->message : c->err.message;
    if (status >= 500) {
        /* The detail may name internal paths; keep it in the log. */
        log_error("arm", "%s %s: %s", c->req->method, c->req->path,
                  c->err.message);
        msg = "The server encountered an internal error. Please retry the "
              "request.";
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", msg);
    if (c->target[0])
        cJSON_AddStringToObject(e, "target", c->target);
    cJSON_AddArrayToObject(e, "details");
    if (status == 401) {
        char hdr[1024];
        snprintf(hdr, sizeof hdr,
                 "Bearer authorization_uri=\"%s/%s\", error=\"invalid_token\", "
                 "error_description=\"%s\"",
                 c->a->public_url, c->a->tenant_id,
                 code && strcmp(code, "AuthenticationFailed") == 0
                     ? "The authentication failed because of missing "
                       "'Authorization' header."
                     : "The access token is invalid.");
        http_res_header(c->res, "WWW-Authenticate", hdr);
    }
    if (strcmp(c->req->method, "HEAD") == 0)
        http_res_text(c->res, status, "application/json; charset=utf-8", "");
    else
        http_res_json(c->res, status, doc);
    cJSON_Delete(doc);
}
