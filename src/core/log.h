/*
 * log.h -- leveled logging to stderr, one line per event.
 *
 * Lines look like `2026-11-29T06:40:00Z info  sts: token issued ...`.
 * Never pass secrets (client secrets, tokens, IDENTITY_HEADER values) to
 * these functions: log the identifier of the thing instead.
 * Thread-safe (each line is written with one fprintf under stdio's lock).
 */
#ifndef MID_LOG_H
#define MID_LOG_H

#include "err.h"

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_QUIET } log_level;

void log_set_level(log_level lvl);
log_level log_get_level(void);
/* Parses "debug|info|warn|error|quiet"; returns -1 if unknown. */
int log_parse_level(const char *s, log_level *out);
void log_msg(log_level lvl, const char *module, const char *fmt, ...)
    MID_PRINTF(3, 4);

#define log_debug(m, ...) log_msg(LOG_DEBUG, m, __VA_ARGS__)
#define log_info(m, ...) log_msg(LOG_INFO, m, __VA_ARGS__)
#define log_warn(m, ...) log_msg(LOG_WARN, m, __VA_ARGS__)
#define log_error(m, ...) log_msg(LOG_ERROR, m, __VA_ARGS__)

#endif
