/*
 * ids.c -- parsing ARM request paths and building canonical resource ids.
 *
 * A path is split into segments, then walked by its structure (not by
 * searching for keywords, since a resource may well be named "providers"):
 * the subscription part, then the group part, then one or more provider
 * blocks "providers/{ns}/{type}/{name}...". A provider block ends where a
 * "providers" keyword appears in a type position; what comes before the
 * last block is the block's scope. See ids.h for the grammar.
 */
#include "arm/ids.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int arm_ieq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

int arm_scope_covers(const char *scope, const char *id)
{
    if (!scope || !id)
        return 0;
    size_t ls = strlen(scope);
    while (ls > 0 && scope[ls - 1] == '/')
        ls--;
    if (ls == 0)
        return 1; /* "/" is the root of everything */
    if (strlen(id) < ls || strncasecmp(scope, id, ls) != 0)
        return 0;
    return id[ls] == '\0' || id[ls] == '/';
}

/* Splits the path copy in p->store into segments; records where each
 * segment starts in the original path so scopes can be cut out of it. */
static int split(const char *path, arm_path *p, char **segs, size_t *offs,
                 int *n, mident_error *err)
{
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/')
        return mid_fail(err, MIDENT_EINVAL, "the path must start with '/'");
    while (len > 1 && path[len - 1] == '/')
        len--; /* a trailing slash is tolerated */
    if (len >= sizeof p->store)
        return mid_fail(err, MIDENT_EINVAL, "the path is too long");
    memcpy(p->store, path, len);
    p->store[len] = '\0';
    *n = 0;
    char *s = p->store + 1;
    if (*s == '\0')
        return mid_fail(err, MIDENT_ENOTFOUND, "not an ARM path");
    for (;;) {
        if (*n >= ARM_MAX_SEGS)
            return mid_fail(err, MIDENT_EINVAL, "the path has too many segments");
        char *slash = strchr(s, '/');
        if (slash)
            *slash = '\0';
        if (*s == '\0')
            return mid_fail(err, MIDENT_EINVAL, "the path has an empty segment");
        offs[*n] = (size_t)(s - p->store);
        segs[(*n)++] = s;
        if (!slash)
            break;
        s = slash + 1;
    }
    return 0;
}

/* Parses provider blocks starting at segs[i] ("providers"). */
static int parse_blocks(const char *path, arm_path *p, char **segs,
                        const size_t *offs, int n, int i, mident_error *err)
{
    while (i < n) {
        if (!arm_ieq(segs[i], "providers"))
            return mid_fail(err, MIDENT_EINVAL,
                            "unexpected segment '%s' in the path", segs[i]);
        if (i + 2 >= n)
            return mid_fail(err, MIDENT_EINVAL,
                            "the path names a provider but no resource type");
        /* The scope of this block is everything before "/providers". */
        size_t scope_len = offs[i] - 1; /* offset of the '/' before it */
        if (scope_len >= sizeof p->scope)
            return mid_fail(err, MIDENT_EINVAL, "the resource scope is too long");
        memcpy(p->scope, path, scope_len);
        p->scope[scope_len] = '\0';
        p->ns = segs[i + 1];
        p->depth = 0;
        p->n_blocks++;
        int j = i + 2;
        while (j < n) {
            if (p->depth > 0 && arm_ieq(segs[j], "providers"))
                break; /* an extension resource on the item so far */
            if (p->depth >= ARM_MAX_DEPTH)
                return mid_fail(err, MIDENT_EINVAL,
                                "the resource type is nested too deeply");
            p->types[p->depth] = segs[j];
            p->names[p->depth] = j + 1 < n ? segs[j + 1] : NULL;
            p->depth++;
            j += 2;
        }
        if (j < n && p->names[p->depth - 1] == NULL)
            return mid_fail(err, MIDENT_EINVAL, "malformed resource path");
        i = j;
    }
    p->kind = ARM_P_RESOURCE;
    return 0;
}

int arm_path_parse(const char *path, arm_path *out, mident_error *err)
{
    char *segs[ARM_MAX_SEGS] = {0};
    size_t offs[ARM_MAX_SEGS] = {0};
    int n = 0;
    memset(out, 0, sizeof *out);
    if (split(path, out, segs, offs, &n, err) < 0)
        return -1;
    /* The path as seen (no trailing slash), for cutting scopes. */
    char norm[sizeof out->store];
    size_t len = 0;
    for (int k = 0; k < n; k++) {
        size_t l = strlen(segs[k]);
        norm[len++] = '/';
        memcpy(norm + len, segs[k], l);
        len += l;
    }
    norm[len] = '\0';
    /* offsets into norm equal offsets into the original (no empty
     * segments), so offs[] serves both. */

    if (arm_ieq(segs[0], "tenants")) {
        if (n != 1)
            return mid_fail(err, MIDENT_EINVAL, "unsupported tenants path");
        out->kind = ARM_P_TENANTS;
        return 0;
    }
    if (arm_ieq(segs[0], "providers"))
        return parse_blocks(norm, out, segs, offs, n, 0, err);
    if (!arm_ieq(segs[0], "subscriptions"))
        return mid_fail(err, MIDENT_ENOTFOUND, "not an ARM path");
    if (n == 1) {
        out->kind = ARM_P_SUBSCRIPTIONS;
        return 0;
    }
    out->sub = segs[1];
    if (n == 2) {
        out->kind = ARM_P_SUBSCRIPTION;
        return 0;
    }
    int i = 2;
    if (arm_ieq(segs[2], "resourceGroups")) {
        if (n == 3) {
            out->kind = ARM_P_GROUPS;
            return 0;
        }
        out->rg = segs[3];
        if (n == 4) {
            out->kind = ARM_P_GROUP;
            return 0;
        }
        i = 4;
    } else if (arm_ieq(segs[2], "operationresults")) {
        if (n != 4)
            return mid_fail(err, MIDENT_EINVAL, "malformed operation path");
        out->op = segs[3];
        out->kind = ARM_P_OPRESULT;
        return 0;
    } else if (arm_ieq(segs[2], "providers") && n <= 4) {
        if (n == 3) {
            out->kind = ARM_P_PROVIDERS;
            return 0;
        }
        out->ns = segs[3];
        out->kind = ARM_P_PROVIDER;
        return 0;
    }
    return parse_blocks(norm, out, segs, offs, n, i, err);
}

int arm_path_is_item(const arm_path *p)
{
    return p->kind == ARM_P_RESOURCE && p->depth > 0 &&
           p->names[p->depth - 1] != NULL;
}

int arm_path_is_collection(const arm_path *p)
{
    return p->kind == ARM_P_RESOURCE && p->depth > 0 &&
           p->names[p->depth - 1] == NULL;
}

void arm_path_type(const arm_path *p, char *out, size_t n)
{
    size_t len = 0;
    if (n == 0)
        return;
    out[0] = '\0';
    if (!p->ns)
        return;
    int w = snprintf(out, n, "%s", p->ns);
    len = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < p->depth && len < n; i++) {
        w = snprintf(out + len, n - len, "/%s", p->types[i]);
        len += w > 0 ? (size_t)w : 0;
    }
}

void arm_id_subscription(buf *b, const char *sub)
{
    buf_printf(b, "/subscriptions/%s", sub);
}

void arm_id_group(buf *b, const char *sub, const char *rg)
{
    buf_printf(b, "/subscriptions/%s/resourceGroups/%s", sub, rg);
}

void arm_id_resource(buf *b, const char *scope, const char *ns,
                     const char *type, const char *name)
{
    size_t ls = strlen(scope);
    while (ls > 0 && scope[ls - 1] == '/')
        ls--;
    buf_append(b, scope, ls);
    buf_printf(b, "/providers/%s/%s/%s", ns, type, name);
}

int arm_id_parse_typed(const char *id, const char *full_type, arm_path *out,
                       mident_error *err)
{
    mident_error e;
    if (!id || arm_path_parse(id, out, &e) < 0 || !arm_path_is_item(out) ||
        out->n_blocks != 1 || !out->rg || !out->sub) {
        return mid_fail(err, MIDENT_EINVAL,
                        "'%s' is not a valid resource id of type '%s'",
                        id ? id : "", full_type);
    }
    char t[256];
    arm_path_type(out, t, sizeof t);
    if (!arm_ieq(t, full_type))
        return mid_fail(err, MIDENT_EINVAL,
                        "'%s' is a '%s' id, expected a '%s' id", id, t,
                        full_type);
    return 0;
}

int arm_name_check_group(const char *name, mident_error *err)
{
    size_t n = strlen(name);
    if (n < 1 || n > 90)
        return mid_fail(err, MIDENT_EINVAL,
                        "resource group names are 1 to 90 characters long");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && !strchr("-_.()", c) && c < 0x80)
            return mid_fail(err, MIDENT_EINVAL,
                            "resource group name '%s' may only contain "
                            "letters, digits, '-', '_', '.', '(' and ')'",
                            name);
    }
    if (name[n - 1] == '.')
        return mid_fail(err, MIDENT_EINVAL,
                        "resource group name '%s' may not end with '.'", name);
    return 0;
}

int arm_name_check_generic(const char *name, size_t max, mident_error *err)
{
    size_t n = strlen(name);
    if (n < 3 || n > max)
        return mid_fail(err, MIDENT_EINVAL,
                        "resource name '%s' must be 3 to %zu characters long",
                        name, max);
    if (!isalnum((unsigned char)name[0]))
        return mid_fail(err, MIDENT_EINVAL,
                        "resource name '%s' must start with a letter or digit",
                        name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '-' && c != '_')
            return mid_fail(err, MIDENT_EINVAL,
                            "resource name '%s' may only contain letters, "
                            "digits, '-' and '_'", name);
    }
    return 0;
}

int arm_name_check_dns(const char *name, size_t min, size_t max,
                       mident_error *err)
{
    size_t n = strlen(name);
    int ok = n >= min && n <= max && islower((unsigned char)name[0]) &&
             (islower((unsigned char)name[n - 1]) ||
              isdigit((unsigned char)name[n - 1])) &&
             !strstr(name, "--");
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        ok = islower(c) || isdigit(c) || c == '-';
    }
    if (!ok)
        return mid_fail(err, MIDENT_EINVAL,
                        "invalid name '%s': %zu to %zu lower-case letters, "
                        "digits or '-', starting with a letter, ending with a "
                        "letter or digit, no '--'", name, min, max);
    return 0;
}
