/*
 * channel_local.c -- the in-process node channel of `mident up`: the
 * agent and the token service share the process, so a mint is a function
 * call into sts_node_mint (which does the same checks a remote channel's
 * server side would do). See channel.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/channel.h"
#include "sts/sts.h"

typedef struct {
    agent_channel base;
    sts *sts;
    char *hook_path;
} local_channel;

void channel_token_free(channel_token *t)
{
    if (t->access_token) {
        memset(t->access_token, 0, strlen(t->access_token));
        free(t->access_token);
    }
    t->access_token = NULL;
}

static int local_mint(agent_channel *ch, const channel_mint_req *req,
                      channel_token *out, mident_error *err)
{
    local_channel *lc = (local_channel *)ch;
    memset(out, 0, sizeof *out);
    if (lc->hook_path && access(lc->hook_path, F_OK) == 0)
        return mid_fail(err, MIDENT_EUNAVAILABLE,
                        "the token service is unreachable (test hook %s)",
                        lc->hook_path);
    sts_node_mint_req r = {
        .node = req->node,
        .app_resource_id = req->app_resource_id,
        .replica = req->replica,
        .object_id = req->object_id,
        .audience = req->resource,
    };
    sts_token t;
    if (sts_node_mint(lc->sts, &r, &t, err) < 0)
        return -1;
    out->access_token = t.access_token; /* ownership moves */
    memcpy(out->client_id, t.client_id, sizeof out->client_id);
    out->nbf = t.nbf;
    out->exp = t.exp;
    return 0;
}

static void local_free(agent_channel *ch)
{
    local_channel *lc = (local_channel *)ch;
    if (!lc)
        return;
    free(lc->hook_path);
    free(lc);
}

agent_channel *channel_local_new(sts *s, const char *hook_path,
                                 mident_error *err)
{
    local_channel *lc = calloc(1, sizeof *lc);
    if (!lc || (hook_path && !(lc->hook_path = strdup(hook_path)))) {
        free(lc);
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
        return NULL;
    }
    lc->base.mint = local_mint;
    lc->base.free = local_free;
    lc->sts = s;
    return &lc->base;
}
