/* err.c -- mident_error helpers; see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mid_fail(mident_error *err, mident_code code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

void mid_err_clear(mident_error *err)
{
    if (!err)
        return;
    err->code = MIDENT_OK;
    err->message[0] = '\0';
}

int mid_err_wrap(mident_error *err, const char *what)
{
    if (!err)
        return -1;
    char tmp[sizeof err->message];
    size_t n = strlen(what);
    if (n > sizeof tmp - 3)
        n = sizeof tmp - 3;
    memcpy(tmp, what, n);
    tmp[n] = ':';
    tmp[n + 1] = ' ';
    size_t rest = sizeof tmp - n - 3;
    size_t m = strnlen(err->message, rest);
    memcpy(tmp + n + 2, err->message, m);
    tmp[n + 2 + m] = '\0';
    memcpy(err->message, tmp, sizeof tmp);
    return -1;
}

const char *mident_code_name(mident_code code)
{
    switch (code) {
    case MIDENT_OK: return "ok";
    case MIDENT_EINVAL: return "invalid_argument";
    case MIDENT_ENOTFOUND: return "not_found";
    case MIDENT_ECONFLICT: return "conflict";
    case MIDENT_EPRECONDITION: return "precondition_failed";
    case MIDENT_EAUTH: return "unauthenticated";
    case MIDENT_EFORBIDDEN: return "forbidden";
    case MIDENT_ETOOBIG: return "too_big";
    case MIDENT_EIO: return "io_error";
    case MIDENT_ECRYPTO: return "crypto_error";
    case MIDENT_ENOMEM: return "out_of_memory";
    case MIDENT_EUNAVAILABLE: return "unavailable";
    case MIDENT_EINTERNAL: return "internal";
    }
    return "unknown";
}
