/*
 * server.h -- `mident up`: the all-in-one server.
 *
 * What it owns: composing the parts on one data directory -- the store,
 * the directory bootstrap, the local CA, the token service, the resource
 * manager -- behind one TLS listener, writing DIR/endpoints.json, and a
 * clean shutdown on SIGINT/SIGTERM.
 *
 * Not thread-safe: server_run is called once, from main.
 */
#ifndef MID_SERVER_H
#define MID_SERVER_H

#include <stdint.h>

#include "core/err.h"

#define SERVER_MAX_NAMES 16

typedef struct {
    char data_dir[2048];
    char listen_addr[64];   /* numeric address; default 127.0.0.1 */
    int port;               /* default 8443; 0 picks a free port */
    char public_url[512];   /* default https://<listen_addr>:<port> */
    const char *names[SERVER_MAX_NAMES]; /* extra TLS SANs */
    int n_names;
    int64_t token_lifetime; /* seconds; default 86400 */
    unsigned threads;       /* HTTP pool size; 0 = cores */
    /* the node agent (src/agent) run inside `mident up` */
    int agent_enabled;      /* default 1; --no-agent */
    char agent_addr[64];    /* loopback; default 127.0.0.1 */
    int agent_port;         /* default 4141; 0 picks a free port */
    char agent_host[256];   /* host in IDENTITY_ENDPOINT; default localhost */
    char node[64];          /* node name; default the host name */
} server_config;

/* Parses `mident up` options into cfg (defaults first). Prints usage and
 * returns -1 on a bad option. */
int server_config_parse(int argc, char **argv, server_config *cfg,
                        mident_error *err);
/* Runs until SIGINT/SIGTERM. */
int server_run(const server_config *cfg, mident_error *err);

/* "ADDR:PORT" or "[V6]:PORT" into addr and *port (0..65535). */
int server_parse_addr_port(const char *v, char *addr, size_t addr_n,
                           int *port_out, mident_error *err);
/* The host name as a node name (letters, digits, '-', '.', '_'). */
void server_default_node(char *out, size_t n);

/* ---- `mident agent --server URL`: a node agent in its own process ------
 * (remote_agent.c). It keeps no store: apps come from the server's change
 * feed and tokens from its token service, both over the HTTPS node
 * channel (agent/channel.h, channel_remote_new); replicas and their logs
 * live under its own data directory. */
typedef struct {
    char data_dir[2048];    /* set by the caller (the global --data) */
    char server_url[512];   /* https://..., required */
    char node[64];          /* default the host name */
    char secret_file[2048]; /* the node secret, required */
    char ca_path[2048];     /* the server's CA; "" = system CAs */
    char agent_addr[64];    /* loopback; default 127.0.0.1 */
    int agent_port;         /* default 4141; 0 picks a free port */
    char agent_host[256];   /* host in IDENTITY_ENDPOINT; default localhost */
    unsigned threads;
} remote_agent_config;

int remote_agent_config_parse(int argc, char **argv, remote_agent_config *cfg,
                              mident_error *err);
/* Runs the agent until SIGINT/SIGTERM, then stops every replica. */
int remote_agent_run(const remote_agent_config *cfg, mident_error *err);

#endif
