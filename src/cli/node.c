/*
 * node.c -- `mident node add|remove --name NODE`: gives a node a credential for
 * the HTTPS node channel, so that `mident agent --server URL` can run
 * there (docs/agent.md).
 *
 * Prints {node, server, secret, caCert} once; the store keeps only the
 * secret's hash (sts_node_add). Adding a node again replaces its secret.
 * `mident node remove --name NODE` revokes it: the node's next request to
 * the server is refused (401).
 * Works on the data directory's store, like `mident ad sp`: run it where
 * the server's data directory is.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "core/json.h"
#include "store/store.h"
#include "sts/sts.h"

static int node_add(cli_ctx *ctx, int argc, char **argv)
{
    const char *name = cli_opt(argc, argv, "--name", "-n", NULL);
    if (!name)
        return cli_usage("node", "add --name NODE");
    mident_error err;
    mid_store *st = cli_open_store(ctx->data_dir, &err);
    if (!st)
        return cli_error("%s", err.message);
    char *secret = NULL;
    int rc = sts_node_add(st, name, &secret, &err);
    store_close(st);
    if (rc < 0)
        return cli_error("%s", err.message);
    cJSON *out = cJSON_CreateObject();
    json_set_str(out, "node", name);
    json_set_str(out, "server", ctx->arm);
    json_set_str(out, "secret", secret);
    json_set_str(out, "caCert", ctx->ca_cert);
    cli_print(ctx, out);
    cJSON_Delete(out);
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    return 0;
}

static int node_remove(cli_ctx *ctx, int argc, char **argv)
{
    const char *name = cli_opt(argc, argv, "--name", "-n", NULL);
    if (!name)
        return cli_usage("node", "remove --name NODE");
    mident_error err;
    mid_store *st = cli_open_store(ctx->data_dir, &err);
    if (!st)
        return cli_error("%s", err.message);
    int rc = sts_node_remove(st, name, &err);
    store_close(st);
    return rc < 0 ? cli_error("%s", err.message) : 0;
}

int cmd_node(cli_ctx *ctx, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "add") == 0)
        return node_add(ctx, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "remove") == 0)
        return node_remove(ctx, argc - 1, argv + 1);
    return cli_usage("node", "add --name NODE | remove --name NODE");
}
