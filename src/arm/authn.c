/*
 * authn.c -- who is calling: the bearer token of every ARM request.
 *
 * A token must come from mident's own token service for the management
 * audience (https://management.azure.com/ or
 * https://management.core.windows.net/, each with or without the
 * trailing slash; sts_verify handles the slash). Its `oid` is the caller.
 * Missing -> 401 AuthenticationFailed; anything wrong with it -> 401
 * InvalidAuthenticationToken; both carry the Bearer challenge (added by
 * errors.c). The token itself is never logged.
 */
#include <string.h>
#include <strings.h>

#include "arm/arm_int.h"
#include "core/log.h"

static const char *const audiences[] = {
    "https://management.azure.com/",
    "https://management.core.windows.net/",
};

int arm_authenticate(arm_call *c)
{
    const char *h = http_req_header(c->req, "Authorization");
    if (!h || !*h)
        return arm_fail(c, MIDENT_EAUTH, "AuthenticationFailed",
                        "Authentication failed. The 'Authorization' header is "
                        "missing.");
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return arm_fail(c, MIDENT_EAUTH, "AuthenticationFailed",
                        "Authentication failed. The 'Authorization' header is "
                        "provided in an invalid format.");
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    mident_claims *claims = NULL;
    mident_error e;
    mid_err_clear(&e);
    if (sts_verify(c->a->sts, tok, audiences,
                   sizeof audiences / sizeof audiences[0], &claims,
                   &e) != MIDENT_OK || !claims) {
        log_info("arm", "rejected a bearer token: %s", e.message);
        return arm_fail(c, MIDENT_EAUTH, "InvalidAuthenticationToken",
                        "The access token is invalid: %s", e.message);
    }
    const char *oid = mident_claims_string(claims, "oid");
    if (!oid || strlen(oid) >= sizeof c->caller) {
        mident_claims_free(claims);
        return arm_fail(c, MIDENT_EAUTH, "InvalidAuthenticationToken",
                        "The access token has no valid 'oid' claim.");
    }
    strcpy(c->caller, oid);
    c->caller_type = mident_claims_string(claims, "xms_mirid")
                         ? "ManagedIdentity"
                         : "Application";
    mident_claims_free(claims);
    return 0;
}
