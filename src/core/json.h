/*
 * json.h -- mident's JSON layer over cJSON.
 *
 * Why a wrapper: cJSON accepts duplicate object keys and unbounded nesting,
 * and reads integers through an `int`. Every JSON document that enters
 * mident from outside goes through json_parse(), which rejects duplicate
 * keys (at any depth), nesting deeper than JSON_MAX_DEPTH and trailing
 * garbage. Numbers are read as doubles (json_get_int64), never valueint.
 *
 * Ownership: json_parse returns a tree the caller frees with cJSON_Delete.
 * json_print returns a malloc'd string the caller frees.
 * Thread-safe (cJSON's allocator hooks are not touched).
 */
#ifndef MID_JSON_H
#define MID_JSON_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define JSON_MAX_DEPTH 64

/* Parses len bytes. NULL + err (MIDENT_EINVAL) when malformed. */
cJSON *json_parse(const char *text, size_t len, mident_error *err);

/* Compact serialization; NULL on allocation failure. */
char *json_print(const cJSON *item);

/* Case-sensitive lookups returning NULL when absent or of another type. */
const char *json_get_str(const cJSON *obj, const char *key);
const cJSON *json_get_obj(const cJSON *obj, const char *key);
const cJSON *json_get_arr(const cJSON *obj, const char *key);
/* Integer-valued number, or dflt when absent / not a number / not integral. */
int64_t json_get_int64(const cJSON *obj, const char *key, int64_t dflt);
/* 1/0 for a JSON boolean, dflt otherwise. */
int json_get_bool(const cJSON *obj, const char *key, int dflt);

/* Case-insensitive lookup (ARM property names are case-insensitive). */
cJSON *json_get_ci(const cJSON *obj, const char *key);

/* Adds or replaces key in obj (takes ownership of val). Returns 0, or -1
 * on allocation failure (val is then freed). */
int json_set(cJSON *obj, const char *key, cJSON *val);
int json_set_str(cJSON *obj, const char *key, const char *s);
int json_set_int64(cJSON *obj, const char *key, int64_t v);

#endif
