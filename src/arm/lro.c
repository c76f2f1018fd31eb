/*
 * lro.c -- long-running operations: the status resources behind
 * Azure-AsyncOperation and Location headers.
 *
 * mident completes every write before answering, but ARM clients expect
 * some writes to be long-running: a container app PUT that creates
 * answers 201 with Azure-AsyncOperation (azure-cli requires the header and
 * polls it), a resource group DELETE answers 202 with Location. Each such
 * write records an operation document in the same store transaction, so
 * the URL it hands out always answers, from any server sharing the store:
 *
 *   /subscriptions/{s}/providers/{ns}/locations/{loc}/{opType}/{id}
 *        -> 200 {"id","name","status":"Succeeded","startTime","endTime",...}
 *   /subscriptions/{s}/operationresults/{id}
 *        -> 200 (no body): the operation is done
 *
 * Who may read one: the principal that started it, or anyone who may
 * read the resource it acted on.
 *
 * Records are kept for LRO_KEEP_SECONDS (clients poll within seconds);
 * every LRO_PRUNE_EVERY records, older ones of the same type are deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arm/arm_int.h"
#include "core/json.h"
#include "core/rand.h"

#define OPRESULT_TYPE "Microsoft.Resources/operationResults"
#define LRO_KEEP_SECONDS 3600
#define LRO_PRUNE_EVERY 64

/* Deletes records of `type` that ended before now - LRO_KEEP_SECONDS.
 * endTime values share one ISO-8601 format, so they order as strings. */
static int prune(arm_call *c, const char *type)
{
    char cutoff[40];
    time_t t = time(NULL) - LRO_KEEP_SECONDS;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(cutoff, sizeof cutoff, "%Y-%m-%dT%H:%M:%S", &tm);
    char scope[64];
    snprintf(scope, sizeof scope, "/subscriptions/%s", c->a->sub);
    store_resources l = {0};
    if (store_resource_list(c->a->store, scope, type, &l, &c->err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        mident_error e;
        cJSON *doc = json_parse(l.items[i].body, strlen(l.items[i].body), &e);
        const char *end = json_get_str(doc, "endTime");
        if (end && strcmp(end, cutoff) < 0)
            rc = store_resource_delete(c->a->store, l.items[i].id, NULL, &c->err);
        cJSON_Delete(doc);
    }
    store_resource_list_free(&l);
    return rc;
}

int lro_record(arm_call *c, const char *target, const arm_kind *k,
               const char *location, const char *op_type, buf *url)
{
    const char *ns = k->ns;
    char action[256];
    arm_kind_action(k, "read", action, sizeof action);
    char op[UUID_STR_LEN];
    if (uuid_v4(op, &c->err) < 0)
        return -1;
    buf id, type;
    buf_init(&id);
    buf_init(&type);
    if (strcmp(op_type, "operationresults") == 0) {
        buf_printf(&id, "/subscriptions/%s/operationresults/%s", c->a->sub, op);
        buf_puts(&type, OPRESULT_TYPE);
    } else {
        buf_printf(&id, "/subscriptions/%s/providers/%s/locations/%s/%s/%s",
                   c->a->sub, ns, location && *location ? location : "global",
                   op_type, op);
        buf_printf(&type, "%s/locations/%s", ns, op_type);
    }
    char now[40];
    arm_now_iso(now);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "id", id.data);
    cJSON_AddStringToObject(doc, "name", op);
    cJSON_AddStringToObject(doc, "status", "Succeeded");
    cJSON_AddNumberToObject(doc, "percentComplete", 100);
    cJSON_AddStringToObject(doc, "startTime", now);
    cJSON_AddStringToObject(doc, "endTime", now);
    cJSON_AddStringToObject(doc, "resourceId", target);
    cJSON_AddStringToObject(doc, "startedBy", c->caller);
    cJSON_AddStringToObject(doc, "readAction", action);
    char *text = json_print(doc);
    cJSON_Delete(doc);
    int rc = -1;
    if (!buf_failed(&id) && !buf_failed(&type) && text) {
        char etag[40];
        rc = store_resource_put(c->a->store, id.data, type.data, text, NULL,
                                etag, NULL, &c->err);
    } else {
        mid_fail(&c->err, MIDENT_ENOMEM, "out of memory");
    }
    if (rc == 0 &&
        __atomic_add_fetch(&c->a->ops_recorded, 1, __ATOMIC_RELAXED) %
                LRO_PRUNE_EVERY == 0)
        rc = prune(c, type.data);
    if (rc == 0)
        buf_printf(url, "%s%s?api-version=%s", c->a->public_url, id.data,
                   c->api_version);
    free(text);
    buf_free(&id);
    buf_free(&type);
    return rc;
}

int lro_get(arm_call *c, const char *id, int result_style)
{
    cJSON *doc = NULL;
    if (arm_load(c, id, "OperationNotFound", &doc, NULL) < 0)
        return -1;
    const char *by = json_get_str(doc, "startedBy");
    const char *target = json_get_str(doc, "resourceId");
    const char *action = json_get_str(doc, "readAction");
    if (!by || strcmp(by, c->caller) != 0) {
        if (arm_authorize(c, target ? target : id,
                          action ? action : "Microsoft.Resources/read") < 0) {
            cJSON_Delete(doc);
            return -1;
        }
    }
    if (result_style) {
        http_res_text(c->res, 200, "application/json", "");
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "startedBy");
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "readAction");
        http_res_json(c->res, 200, doc);
    }
    cJSON_Delete(doc);
    return 0;
}
