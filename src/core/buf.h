/*
 * buf.h -- a growable byte/string buffer.
 *
 * The buffer owns its memory (free with buf_free). Its data is always
 * NUL-terminated, so b->data can be used as a C string. On allocation
 * failure a buffer becomes "failed": later appends do nothing and
 * buf_failed() says so, so callers check once at the end.
 *
 * Not thread-safe: one owner at a time.
 */
#ifndef MID_BUF_H
#define MID_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reset(buf *b);
void buf_append(buf *b, const void *p, size_t n);
void buf_puts(buf *b, const char *s);
void buf_putc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) MID_PRINTF(2, 3);
void buf_vprintf(buf *b, const char *fmt, va_list ap);
int buf_failed(const buf *b);
/* Hands the data to the caller (who frees it) and resets the buffer.
 * Returns NULL if the buffer failed. */
char *buf_steal(buf *b, size_t *len);

#endif
