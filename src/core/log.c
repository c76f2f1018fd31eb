/* log.c -- see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile log_level current = LOG_INFO;

void log_set_level(log_level lvl) { current = lvl; }
log_level log_get_level(void) { return current; }

int log_parse_level(const char *s, log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error", "quiet"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    return -1;
}

void log_msg(log_level lvl, const char *module, const char *fmt, ...)
{
    if (lvl < current || lvl >= LOG_QUIET)
        return;
    static const char *tags[] = {"debug", "info ", "warn ", "error"};
    char ts[32], line[1024];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s: %s\n", ts, tags[lvl], module, line);
}
