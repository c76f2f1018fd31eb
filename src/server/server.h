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

#endif
