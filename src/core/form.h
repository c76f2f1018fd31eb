/*
 * form.h -- application/x-www-form-urlencoded bodies (OAuth2 requests).
 *
 * form_parse decodes '+' and %XX, refuses malformed escapes, NUL bytes,
 * names repeated (RFC 6749 §3.1: "Request and response parameters MUST
 * NOT be included more than once") and more than FORM_MAX_FIELDS fields.
 *
 * Ownership: a form owns its strings; free with form_free.
 * Thread safety: none needed (one owner).
 */
#ifndef MID_FORM_H
#define MID_FORM_H

#include <stddef.h>

#include "err.h"

#define FORM_MAX_FIELDS 64

typedef struct {
    size_t n;
    char *names[FORM_MAX_FIELDS];
    char *values[FORM_MAX_FIELDS];
} form;

int form_parse(const char *body, size_t len, form *out, mident_error *err);
/* The value of name, or NULL. */
const char *form_get(const form *f, const char *name);
void form_free(form *f);
/* Percent-decodes s[0..len) into a malloc'd string ('+' -> ' ' when
 * plus_is_space). NULL on a malformed escape or an encoded NUL. */
char *url_decode(const char *s, size_t len, int plus_is_space);
/* The explicit port of an absolute URL ("https://h:8443/x" -> 8443; an
 * IPv6 literal "[::1]:8443" is understood), or 0 when there is none. */
int url_port(const char *url);
/* Percent-encodes every byte outside RFC 3986 unreserved into a malloc'd
 * string. */
char *url_encode(const char *s);

#endif
