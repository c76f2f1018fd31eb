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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "server.h"

static int parse_listen(const char *v, server_config *cfg, mident_error *err)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v)
        return mid_fail(err, MIDENT_EINVAL, "--listen wants ADDR:PORT, got '%s'", v);
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return mid_fail(err, MIDENT_EINVAL, "bad port in --listen '%s'", v);
    size_t n = (size_t)(colon - v);
    if (v[0] == '[' && colon[-1] == ']') { /* [::1]:8443 */
        v++;
        n -= 2;
    }
    if (n >= sizeof cfg->listen_addr)
        return mid_fail(err, MIDENT_EINVAL, "address too long in --listen");
    memcpy(cfg->listen_addr, v, n);
    cfg->listen_addr[n] = '\0';
    cfg->port = (int)port;
    return 0;
}

int server_config_parse(int argc, char **argv, server_config *cfg,
                        mident_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen_addr, sizeof cfg->listen_addr, "127.0.0.1");
    cfg->port = 8443;
    cfg->token_lifetime = 86400;
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
