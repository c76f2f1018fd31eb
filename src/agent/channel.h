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
 *   channel_remote_new  `mident agent --server URL`: HTTPS to the
 *                       server's node channel (sts/node_http.c) with a
 *                       node credential (HTTP Basic), verifying the
 *                       server's certificate against the deployment's CA.
 *                       It also carries the change feed (feed below), since
 *                       a remote agent has no store.
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
struct cJSON;
struct agent_channel {
    int (*mint)(agent_channel *ch, const channel_mint_req *req,
                channel_token *out, mident_error *err);
    /* The change feed after revision `since` (0: a snapshot), as the
     * server's JSON (see sts/node_http.c); *out is the caller's. NULL for
     * the in-process channel, whose agent reads the store itself. Errors
     * as for mint (EUNAVAILABLE while the server is unreachable). */
    int (*feed)(agent_channel *ch, int64_t since, struct cJSON **out,
                mident_error *err);
    void (*free)(agent_channel *ch);
};

void channel_token_free(channel_token *t);

struct sts;
/* In-process channel to `s`. When hook_path is non-NULL, every mint first
 * checks whether that file exists and, if it does, fails with
 * MIDENT_EUNAVAILABLE (the "token service down" test hook). */
agent_channel *channel_local_new(struct sts *s, const char *hook_path,
                                 mident_error *err);

typedef struct {
    const char *server_url;  /* "https://host:port", the server's public URL */
    const char *node;        /* this node's name */
    const char *secret;      /* its secret (`mident node add`); copied */
    const char *ca_path;     /* PEM of the deployment's CA; NULL: system */
} channel_remote_config;

/* Channel over HTTPS to a `mident up` elsewhere. Makes no request yet. */
agent_channel *channel_remote_new(const channel_remote_config *cfg,
                                  mident_error *err);

#endif
