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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm/arm_int.h"
#include "core/json.h"
#include "core/rand.h"

#define OPRESULT_TYPE "Microsoft.Resources/operationResults"

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
