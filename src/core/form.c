/* form.c -- see form.h. */
#include "form.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *url_decode(const char *s, size_t len, int plus_is_space)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len) {
                free(out);
                return NULL;
            }
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else if (c == '\0') {
            free(out);
            return NULL;
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

char *url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return out;
}

void form_free(form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->names[i]);
        free(f->values[i]);
    }
    f->n = 0;
}

const char *form_get(const form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return f->values[i];
    return NULL;
}

int form_parse(const char *body, size_t len, form *out, mident_error *err)
{
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        if (end > i) {
            size_t eq = i;
            while (eq < end && body[eq] != '=')
                eq++;
            if (out->n == FORM_MAX_FIELDS) {
                form_free(out);
                return mid_fail(err, MIDENT_EINVAL, "too many form fields");
            }
            char *name = url_decode(body + i, eq - i, 1);
            char *value = eq < end ? url_decode(body + eq + 1, end - eq - 1, 1)
                                   : strdup("");
            if (!name || !value || !*name) {
                free(name);
                free(value);
                form_free(out);
                return mid_fail(err, MIDENT_EINVAL, "malformed form encoding");
            }
            if (form_get(out, name)) {
                mid_fail(err, MIDENT_EINVAL,
                         "parameter '%.64s' is included more than once", name);
                free(name);
                free(value);
                form_free(out);
                return -1;
            }
            out->names[out->n] = name;
            out->values[out->n] = value;
            out->n++;
        }
        i = end + 1;
    }
    return 0;
}

int url_port(const char *url)
{
    const char *h = url ? strstr(url, "://") : NULL;
    if (!h)
        return 0;
    h += 3;
    const char *end = h + strcspn(h, "/?#");
    const char *colon = NULL;
    for (const char *p = h; p < end; p++)
        if (*p == ':')
            colon = p;
    const char *rb = memchr(h, ']', (size_t)(end - h));
    if (!colon || (rb && colon < rb))
        return 0;
    return atoi(colon + 1);
}
