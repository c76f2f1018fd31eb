/*
 * merge.c -- JSON Merge Patch (RFC 7386), names compared
 * case-insensitively. See merge.h.
 */
#include "arm/merge.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"

/* Replaces member `cur` of `target` by `repl`, keeping cur's name. */
static int replace_member(cJSON *target, cJSON *cur, cJSON *repl,
                          mident_error *err)
{
    char *name = strdup(cur->string ? cur->string : "");
    if (!name) {
        cJSON_Delete(repl);
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    }
    if (repl->string && !(repl->type & cJSON_StringIsConst))
        cJSON_free(repl->string);
    repl->type &= ~cJSON_StringIsConst;
    repl->string = name;
    if (!cJSON_ReplaceItemViaPointer(target, cur, repl)) {
        cJSON_Delete(repl);
        return mid_fail(err, MIDENT_ENOMEM, "out of memory");
    }
    return 0;
}

static int merge_obj(cJSON *target, const cJSON *patch, mident_error *err)
{
    for (const cJSON *m = patch->child; m; m = m->next) {
        cJSON *cur = json_get_ci(target, m->string);
        if (cJSON_IsNull(m)) {
            if (cur)
                cJSON_Delete(cJSON_DetachItemViaPointer(target, cur));
            continue;
        }
        if (cJSON_IsObject(m)) {
            if (!cJSON_IsObject(cur)) {
                cJSON *fresh = cJSON_CreateObject();
                if (!fresh)
                    return mid_fail(err, MIDENT_ENOMEM, "out of memory");
                if (cur) {
                    if (replace_member(target, cur, fresh, err) < 0)
                        return -1;
                } else if (!cJSON_AddItemToObject(target, m->string, fresh)) {
                    cJSON_Delete(fresh);
                    return mid_fail(err, MIDENT_ENOMEM, "out of memory");
                }
                cur = fresh;
            }
            if (merge_obj(cur, m, err) < 0)
                return -1;
            continue;
        }
        cJSON *copy = cJSON_Duplicate(m, 1);
        if (!copy)
            return mid_fail(err, MIDENT_ENOMEM, "out of memory");
        if (cur) {
            if (replace_member(target, cur, copy, err) < 0)
                return -1;
        } else if (!cJSON_AddItemToObject(target, m->string, copy)) {
            cJSON_Delete(copy);
            return mid_fail(err, MIDENT_ENOMEM, "out of memory");
        }
    }
    return 0;
}

int json_merge_patch(cJSON *target, const cJSON *patch, mident_error *err)
{
    if (!cJSON_IsObject(target) || !cJSON_IsObject(patch))
        return mid_fail(err, MIDENT_EINVAL,
                        "a merge patch must be a JSON object");
    return merge_obj(target, patch, err);
}
