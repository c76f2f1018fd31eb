/*
 * channel.h -- the node channel: how an agent asks the token service for a
 * managed-identity token. The agent never holds signing keys; everything
 * it serves was minted by sts/ through this interface.
 *
 * A mint request names the node, the container app, the replica, the
 * identity (principal object id) and the resource (the token's `aud`).
 * The token service re-checks, at mint time, that the identity is
 * assigned right now to that app and that the app is scheduled on that
 * node, and audits the issuance (sts_node_mint in sts.h).
 *
 * Errors the agent acts on:
 *   MIDENT_EFORBIDDEN   the identity is not (any more) assigned to the app,
 *                       the app is gone or stopped, or the node is unknown
 *                       -> a permanent refusal (400 at the endpoint);
 *   MIDENT_EUNAVAILABLE the token service cannot be reached
 *                       -> 503 at the endpoint; cached tokens still served;
 *   anything else       -> 500.
 *
 * Implementations:
 *   channel_local_new   in-process (`mident up`): calls sts_node_mint
 *                       directly. A test hook can make it fail as if the
 *                       token service were down (see docs/agent.md).
 *   (remote)            `mident agent --server URL` over HTTPS with a node
 *                       credential: not built yet (docs/agent.md).
 *
 * Thread safety: mint may be called from many threads at once.
 */
#ifndef MID_AGENT_CHANNEL_H
#define MID_AGENT_CHANNEL_H

#include <stdint.h>

#include "core/err.h"

typedef struct {
    const char *node;
    const char *app_resource_id;
    const char *replica;
    const char *object_id;   /* the identity */
    const char *resource;    /* aud, exactly as the app asked */
} channel_mint_req;

typedef struct {
    char *access_token;      /* malloc'd; a secret: never log it */
    char client_id[37];
    int64_t nbf, exp;
} channel_token;

typedef struct agent_channel agent_channel;
struct agent_channel {
    int (*mint)(agent_channel *ch, const channel_mint_req *req,
                channel_token *out, mident_error *err);
    void (*free)(agent_channel *ch);
};

void channel_token_free(channel_token *t);

struct sts;
/* In-process channel to `s`. When hook_path is non-NULL, every mint first
 * checks whether that file exists and, if it does, fails with
 * MIDENT_EUNAVAILABLE (the "token service down" test hook). */
agent_channel *channel_local_new(struct sts *s, const char *hook_path,
                                 mident_error *err);

#endif
