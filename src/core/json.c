/* json.c -- strict parsing and small accessors over cJSON; see json.h. */
#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Rejects duplicate keys and excessive depth. Object key lists are short
 * in every document mident handles, so the quadratic scan is cheaper than
 * building a hash set. */
static int json_check(const cJSON *item, int depth, mident_error *err)
{
    if (depth > JSON_MAX_DEPTH)
        return mid_fail(err, MIDENT_EINVAL, "JSON nested deeper than %d levels",
                        JSON_MAX_DEPTH);
    if (cJSON_IsObject(item)) {
        for (const cJSON *a = item->child; a; a = a->next) {
            for (const cJSON *b = a->next; b; b = b->next)
                if (a->string && b->string && strcmp(a->string, b->string) == 0)
                    return mid_fail(err, MIDENT_EINVAL,
                                    "duplicate JSON key '%s'", a->string);
            if (json_check(a, depth + 1, err) < 0)
                return -1;
        }
    } else if (cJSON_IsArray(item)) {
        for (const cJSON *a = item->child; a; a = a->next)
            if (json_check(a, depth + 1, err) < 0)
                return -1;
    }
    return 0;
}

cJSON *json_parse(const char *text, size_t len, mident_error *err)
{
    if (!text || len == 0) {
        mid_fail(err, MIDENT_EINVAL, "empty JSON document");
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        mid_fail(err, MIDENT_EINVAL, "malformed JSON near byte %zu", at);
        return NULL;
    }
    /* cJSON stops at the end of the first value; anything but white space
     * after it is an error. */
    for (const char *p = end; p && p < text + len; p++) {
        if (*p == '\0' && p == text + len - 1)
            break;
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(root);
            mid_fail(err, MIDENT_EINVAL, "trailing data after JSON value");
            return NULL;
        }
    }
    if (json_check(root, 0, err) < 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

char *json_print(const cJSON *item) { return cJSON_PrintUnformatted(item); }

const char *json_get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *json_get_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *json_get_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

int64_t json_get_int64(const cJSON *obj, const char *key, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return dflt;
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d > 9.0e15 || d < -9.0e15)
        return dflt;
    return (int64_t)d;
}

int json_get_bool(const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsTrue(v))
        return 1;
    if (cJSON_IsFalse(v))
        return 0;
    return dflt;
}

cJSON *json_get_ci(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    for (cJSON *c = obj->child; c; c = c->next)
        if (c->string && strcasecmp(c->string, key) == 0)
            return c;
    return NULL;
}

int json_set(cJSON *obj, const char *key, cJSON *val)
{
    if (!val)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val)) {
            cJSON_Delete(val);
            return -1;
        }
        return 0;
    }
    if (!cJSON_AddItemToObject(obj, key, val)) {
        cJSON_Delete(val);
        return -1;
    }
    return 0;
}

int json_set_str(cJSON *obj, const char *key, const char *s)
{
    return json_set(obj, key, s ? cJSON_CreateString(s) : cJSON_CreateNull());
}

int json_set_int64(cJSON *obj, const char *key, int64_t v)
{
    return json_set(obj, key, cJSON_CreateNumber((double)v));
}
