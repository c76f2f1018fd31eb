/*
 * audit.c -- `mident audit list [--after SEQ] [--top N]` (N defaults to 1000): the token
 * issuance audit, read from the data directory's store (works with or
 * without a running server). One JSON object per token issued:
 * {seq, time, tokenId, objectId, clientId, audience, grant,
 *  identityResourceId, appResourceId, replica, node}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/json.h"
#include "store/store.h"

static void set_opt_str(cJSON *o, const char *k, const char *v)
{
    if (v && *v)
        json_set_str(o, k, v);
}

int cmd_audit(cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "list") != 0)
        return cli_usage("audit", "list [--after SEQ] [--top N]");
    const char *after_s = cli_opt(argc, argv, "--after", NULL, NULL);
    const char *top_s = cli_opt(argc, argv, "--top", NULL, NULL);
    int64_t after = after_s ? atoll(after_s) : 0;
    size_t top = top_s ? (size_t)atol(top_s) : 1000; /* rows are ~3 KB each */
    mident_error err;
    mid_store *st = cli_open_store(ctx->data_dir, &err);
    if (!st)
        return cli_error("%s", err.message);
    store_audit_row *rows = NULL;
    size_t n = 0;
    int rc = 0;
    if (store_audit_list(st, after, top, &rows, &n, &err) < 0) {
        rc = cli_error("%s", err.message);
    } else {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            const store_audit_row *r = &rows[i];
            cJSON *o = cJSON_CreateObject();
            json_set_int64(o, "seq", r->seq);
            json_set_int64(o, "time", r->time);
            set_opt_str(o, "tokenId", r->token_id);
            set_opt_str(o, "objectId", r->object_id);
            set_opt_str(o, "clientId", r->client_id);
            set_opt_str(o, "audience", r->audience);
            set_opt_str(o, "grant", r->grant);
            set_opt_str(o, "identityResourceId", r->identity_resource_id);
            set_opt_str(o, "appResourceId", r->app_resource_id);
            set_opt_str(o, "replica", r->replica);
            set_opt_str(o, "node", r->node);
            cJSON_AddItemToArray(arr, o);
        }
        cli_print(ctx, arr);
        cJSON_Delete(arr);
    }
    free(rows);
    store_close(st);
    return rc;
}
