/*
 * config.c -- `mident up` options. Every option is documented in
 * docs/configuration.md; keep the two in step.
 *
 *   --data DIR            data directory (default $MIDENT_DATA or ~/.mident)
 *   --listen ADDR:PORT    HTTPS listener (default 127.0.0.1:8443; port 0 =
 *                         any free port, written to endpoints.json)
 *   --public-url URL      base URL clients use (default https://ADDR:PORT)
 *   --tls-name NAME       extra DNS name or IP in the TLS certificate
 *                         (repeatable)
 *   --token-lifetime SEC  access-token lifetime (default 86400, 300..86400*7)
 *   --threads N           HTTP worker threads (default: cores)
 *   --log-level LEVEL     debug|info|warn|error (default info)
 *   --agent-listen A:P    the node agent's identity endpoint (default
 *                         127.0.0.1:4141; loopback only; port 0 = any)
 *   --identity-host HOST  host replicas use in IDENTITY_ENDPOINT (default
 *                         localhost)
 *   --node NAME           this node's name (default: the host name)
 *   --no-agent            run no node agent (no apps are run)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "server.h"

static int parse_listen(const char *v, server_config *cfg, mident_error *err)
{
    return server_parse_addr_port(v, cfg->listen_addr, sizeof cfg->listen_addr,
                           &cfg->port, err);
}

/* The host name as a node name: letters, digits, '-', '.', '_'. */
void server_default_node(char *out, size_t n)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        snprintf(host, sizeof host, "local");
    size_t k = 0;
    for (const char *p = host; *p && k + 1 < n && k < 63; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        out[k++] = ok ? c : '-';
    }
    out[k] = '\0';
}

int server_parse_addr_port(const char *v, char *addr, size_t addr_n, int *port_out,
                           mident_error *err)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return mid_fail(err, MIDENT_EINVAL, "wanted ADDR:PORT, got '%s'", v);
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return mid_fail(err, MIDENT_EINVAL, "bad port in '%s'", v);
    size_t n = (size_t)(colon - v);
    if (v[0] == '[' && colon[-1] == ']') { /* [::1]:8443 */
        v++;
        n -= 2;
    }
    if (n >= addr_n)
        return mid_fail(err, MIDENT_EINVAL, "address too long in '%s'", v);
    memcpy(addr, v, n);
    addr[n] = '\0';
    *port_out = (int)port;
    return 0;
}

int server_config_parse(int argc, char **argv, server_config *cfg,
                        mident_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_addr, sizeof cfg->listen_addr, "127.0.0.1");
    cfg->port = 8443;
    cfg->token_lifetime = 86400;
    cfg->agent_enabled = 1;
    snprintf(cfg->agent_addr, sizeof cfg->agent_addr, "127.0.0.1");
    cfg->agent_port = 4141;
    snprintf(cfg->agent_host, sizeof cfg->agent_host, "localhost");
    server_default_node(cfg->node, sizeof cfg->node);
    const char *env = getenv("MIDENT_DATA");
    if (env && *env)
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", env);
    else if (fs_default_data_dir(cfg->data_dir, sizeof cfg->data_dir, err) < 0)
        return -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--data") == 0 && v) {
            snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", v);
            i++;
        } else if (strcmp(a, "--listen") == 0 && v) {
            if (parse_listen(v, cfg, err) < 0)
                return -1;
            i++;
        } else if (strcmp(a, "--public-url") == 0 && v) {
            if (strncmp(v, "https://", 8) != 0)
                return mid_fail(err, MIDENT_EINVAL, "--public-url must be https://");
            snprintf(cfg->public_url, sizeof cfg->public_url, "%s", v);
            i++;
        } else if (strcmp(a, "--tls-name") == 0 && v) {
            if (cfg->n_names == SERVER_MAX_NAMES)
                return mid_fail(err, MIDENT_EINVAL, "too many --tls-name options");
            cfg->names[cfg->n_names++] = v;
            i++;
        } else if (strcmp(a, "--token-lifetime") == 0 && v) {
            char *end = NULL;
            long long sec = strtoll(v, &end, 10);
            if (*end || sec < 300 || sec > 7 * 86400)
                return mid_fail(err, MIDENT_EINVAL,
                                "--token-lifetime must be 300..604800 seconds");
            cfg->token_lifetime = sec;
            i++;
        } else if (strcmp(a, "--agent-listen") == 0 && v) {
            if (server_parse_addr_port(v, cfg->agent_addr, sizeof cfg->agent_addr,
                                &cfg->agent_port, err) < 0)
                return -1;
            i++;
        } else if (strcmp(a, "--identity-host") == 0 && v) {
            snprintf(cfg->agent_host, sizeof cfg->agent_host, "%s", v);
            i++;
        } else if (strcmp(a, "--node") == 0 && v) {
            snprintf(cfg->node, sizeof cfg->node, "%s", v);
            i++;
        } else if (strcmp(a, "--no-agent") == 0) {
            cfg->agent_enabled = 0;
        } else if (strcmp(a, "--threads") == 0 && v) {
            cfg->threads = (unsigned)atoi(v);
            i++;
        } else if (strcmp(a, "--log-level") == 0 && v) {
            log_level lvl;
            if (log_parse_level(v, &lvl) < 0)
                return mid_fail(err, MIDENT_EINVAL, "unknown log level '%s'", v);
            log_set_level(lvl);
            i++;
        } else {
            return mid_fail(err, MIDENT_EINVAL, "unknown or incomplete option '%s'", a);
        }
    }
    return 0;
}
