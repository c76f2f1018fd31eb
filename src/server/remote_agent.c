/*
 * remote_agent.c -- `mident agent --server URL`: the node agent
 * (src/agent) in its own process, on a node other than the server's. See
 * server.h and docs/agent.md.
 *
 * Options (docs/cli.md):
 *   --server URL          the server's public URL (https://), required
 *   --node NAME           this node (default: the host name); must have a
 *                         credential from `mident node add --name NAME`
 *   --secret-file F       file holding the node's secret, required
 *   --ca FILE             the deployment's CA certificate (else system CAs)
 *   --data DIR            replicas and logs (default $MIDENT_DATA or
 *                         ~/.mident; a global option, so main.c fills
 *                         cfg->data_dir)
 *   --agent-listen A:P    the identity endpoint (default 127.0.0.1:4141)
 *   --identity-host HOST  host in IDENTITY_ENDPOINT (default localhost)
 *   --threads N, --log-level LEVEL
 *
 * The secret is read from a file, never from the command line (which
 * other users of the machine can see).
 */
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/channel.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "server.h"

int remote_agent_config_parse(int argc, char **argv, remote_agent_config *cfg,
                              mident_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->agent_addr, sizeof cfg->agent_addr, "127.0.0.1");
    cfg->agent_port = 4141;
    snprintf(cfg->agent_host, sizeof cfg->agent_host, "localhost");
    server_default_node(cfg->node, sizeof cfg->node);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *dst = NULL;
        size_t dn = 0;
        if (!v) {
            return mid_fail(err, MIDENT_EINVAL, "unknown or incomplete option '%s'", a);
        } else if (strcmp(a, "--server") == 0) {
            dst = cfg->server_url, dn = sizeof cfg->server_url;
        } else if (strcmp(a, "--node") == 0) {
            dst = cfg->node, dn = sizeof cfg->node;
        } else if (strcmp(a, "--secret-file") == 0) {
            dst = cfg->secret_file, dn = sizeof cfg->secret_file;
        } else if (strcmp(a, "--ca") == 0) {
            dst = cfg->ca_path, dn = sizeof cfg->ca_path;
        } else if (strcmp(a, "--identity-host") == 0) {
            dst = cfg->agent_host, dn = sizeof cfg->agent_host;
        } else if (strcmp(a, "--agent-listen") == 0) {
            if (server_parse_addr_port(v, cfg->agent_addr, sizeof cfg->agent_addr,
                                       &cfg->agent_port, err) < 0)
                return -1;
        } else if (strcmp(a, "--threads") == 0) {
            cfg->threads = (unsigned)atoi(v);
        } else if (strcmp(a, "--log-level") == 0) {
            log_level lvl;
            if (log_parse_level(v, &lvl) < 0)
                return mid_fail(err, MIDENT_EINVAL, "unknown log level '%s'", v);
            log_set_level(lvl);
        } else {
            return mid_fail(err, MIDENT_EINVAL, "unknown option '%s'", a);
        }
        if (dst)
            snprintf(dst, dn, "%s", v);
        i++;
    }
    if (strncmp(cfg->server_url, "https://", 8) != 0)
        return mid_fail(err, MIDENT_EINVAL, "--server https://HOST:PORT is required");
    if (!cfg->secret_file[0])
        return mid_fail(err, MIDENT_EINVAL, "--secret-file FILE is required");
    return 0;
}

/* The secret in the file, without surrounding white space; malloc'd. */
static char *read_secret(const char *path, mident_error *err)
{
    size_t len = 0;
    char *s = fs_read_all(path, 4096, &len, err);
    if (!s)
        return NULL;
    size_t b = 0;
    while (b < len && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n'))
        b++;
    while (len > b && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
                       s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    memmove(s, s + b, len - b);
    s[len - b] = '\0';
    if (!*s) {
        free(s);
        mid_fail(err, MIDENT_EINVAL, "%s holds no secret", path);
        return NULL;
    }
    return s;
}

int remote_agent_run(const remote_agent_config *cfg, mident_error *err)
{
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* threads inherit it */
    signal(SIGPIPE, SIG_IGN);

    if (fs_mkdirs(cfg->data_dir, 0700, err) < 0)
        return -1;
    char *secret = read_secret(cfg->secret_file, err);
    if (!secret)
        return mid_err_wrap(err, "reading the node secret");
    channel_remote_config cc = {
        .server_url = cfg->server_url,
        .node = cfg->node,
        .secret = secret,
        .ca_path = cfg->ca_path[0] ? cfg->ca_path : NULL,
    };
    agent_config agc = {
        .data_dir = cfg->data_dir,
        .listen_addr = cfg->agent_addr,
        .port = cfg->agent_port,
        .endpoint_host = cfg->agent_host,
        .node = cfg->node,
        .threads = cfg->threads,
        .channel = channel_remote_new(&cc, err),
        .store = NULL, /* the feed comes over the channel */
    };
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    agent *ag = agc.channel ? agent_start(&agc, err) : NULL;
    if (!ag)
        return mid_err_wrap(err, "starting the node agent");
    printf("mident agent is up\n"
           "  node:              %s\n"
           "  server:            %s\n"
           "  identity endpoint: %s\n",
           cfg->node, cfg->server_url, agent_identity_endpoint(ag));
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("agent", "signal %d: stopping every replica", sig);
    agent_stop(ag);
    return 0;
}
