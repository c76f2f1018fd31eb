/*
 * err.h -- the one error type of mident (see mident_error in mident.h).
 *
 * Every fallible function takes a `mident_error *err` as its last argument
 * and returns 0 on success, -1 on failure after filling *err with a code and
 * a human message. Callers pass errors up unchanged; only the protocol
 * layers (arm/, sts/ token endpoints, agent/ endpoint, vault/) turn them
 * into wire errors. `err` may be NULL when the caller does not care.
 *
 * Thread-safe: no shared state.
 */
#ifndef MID_ERR_H
#define MID_ERR_H

#include "mident.h"

#if defined(__GNUC__)
#define MID_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MID_PRINTF(a, b)
#endif

/* Fills *err (if non-NULL) and returns -1, so that `return mid_fail(...)`
 * reads naturally. */
int mid_fail(mident_error *err, mident_code code, const char *fmt, ...)
    MID_PRINTF(3, 4);

/* Resets *err to MIDENT_OK with an empty message. */
void mid_err_clear(mident_error *err);

/* Prefixes the message in *err with "what: " (keeps the code); returns -1. */
int mid_err_wrap(mident_error *err, const char *what);

#endif
