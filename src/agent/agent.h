/*
 * agent.h -- the node agent: runs the container apps scheduled on its node
 * as supervised process trees and answers their managed-identity token
 * requests on a loopback endpoint (App Service protocol 2019-08-01 and
 * 2017-09-01), with tokens minted by the token service over the node
 * channel (channel.h) and cached per (app, identity, resource).
 *
 * How it fits (see docs/agent.md):
 *   feed.c        follows the store's change feed: apps and identity
 *                 assignments reach the agent within milliseconds, and
 *                 every token request first catches up with any change
 *                 already committed in this process;
 *   spec.c        the agent's view of an app, built from its ARM document;
 *   supervisor.c  replicas as processes (fork/exec, setsid), logs, restart
 *                 with backoff, stop on app stop/delete;
 *   endpoint.c    the HTTP endpoint and its two dialects;
 *   cache.c       the token cache (refresh-ahead, single-flight, serves
 *                 unexpired tokens while the token service is down);
 *   agent.c       composition and the shared tables.
 *
 * In `mident up` the agent runs in the server process and reads the store
 * directly; it still never touches signing keys (only sts/ does). As
 * `mident agent --server URL` (server/remote_agent.c) it has no store:
 * the change feed and the mints both go over the HTTPS node channel.
 *
 * Thread safety: agent_start/agent_stop are called by one thread; the
 * agent runs its own threads (HTTP pool, feed, supervisor, cache refresh).
 */
#ifndef MID_AGENT_H
#define MID_AGENT_H

#include "agent/channel.h"
#include "core/err.h"
#include "store/store.h"

typedef struct agent agent;

#define AGENT_DEFAULT_PORT 4141

typedef struct {
    const char *data_dir;      /* replicas live under DATA/replicas/ */
    const char *listen_addr;   /* numeric loopback address; "127.0.0.1" */
    int port;                  /* AGENT_DEFAULT_PORT; 0 = any free port */
    const char *endpoint_host; /* host in IDENTITY_ENDPOINT; "localhost" */
    const char *node;          /* this node's name (registered with sts) */
    unsigned threads;          /* HTTP pool; 0 = cores */
    agent_channel *channel;    /* the agent owns it from agent_start on,
                                  also when agent_start fails */
    mid_store *store;          /* the change feed to follow (in-process);
                                  NULL: the channel's feed (remote) */
} agent_config;

agent *agent_start(const agent_config *cfg, mident_error *err);
/* "http://localhost:4141/MSI/token" -- what replicas get as
 * IDENTITY_ENDPOINT. */
const char *agent_identity_endpoint(const agent *a);
int agent_port(const agent *a);
/* Stops the endpoint, then every replica (SIGTERM to its process group,
 * SIGKILL after a grace period), then the threads; frees everything. */
void agent_stop(agent *a);

#endif
