/*
 * main.c -- the `mident` command: dispatches to the server (`up`) or to a
 * CLI command group. See docs/cli.md for every command.
 */
#include <stdio.h>
#include <string.h>

#include "agent/logs.h"
#include "cli/commands.h"
#include "core/http_client.h"
#include "server/server.h"

#define MIDENT_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mident [--data DIR] [-o json|table|tsv] <command> ...\n"
            "\n"
            "server:\n"
            "  up [--listen ADDR:PORT] [--public-url URL] [--tls-name NAME]...\n"
            "     [--token-lifetime SEC] [--threads N] [--log-level LEVEL]\n"
            "     [--agent-listen ADDR:PORT] [--identity-host HOST] [--node NAME]\n"
            "     [--no-agent]\n"
            "  agent --server URL --secret-file F [--node NAME] [--ca CA]\n"
            "     [--agent-listen ADDR:PORT] [--identity-host HOST]\n"
            "     (a node agent on another node: see docs/agent.md)\n"
            "\n"
            "commands:\n"
            "  account get-access-token [--resource R]\n"
            "  account show\n"
            "  ad sp create-for-rbac --name NAME [--role ROLE --scopes SCOPE]\n"
            "  ad sp credential reset --id APPID\n"
            "  login --service-principal -u CLIENT_ID -p SECRET [--tenant T]\n"
            "  logout\n"
            "  group create|show|list|exists|delete ...\n"
            "  identity create|show|list|delete ...\n"
            "  containerapp create|show|list|update|delete ...\n"
            "  containerapp identity assign|remove|show ...\n"
            "  role assignment create|list|delete ...\n"
            "  role definition list [--name NAME]\n"
            "  keyvault create|show|list|delete ...\n"
            "  keyvault set-policy|delete-policy -n VAULT --object-id OID ...\n"
            "  keyvault secret set|show|list|delete --vault-name VAULT ...\n"
            "  keys rotate | list\n"
            "  node add --name NODE | node remove --name NODE\n"
            "  audit list [--after SEQ] [--top N]\n"
            "  containerapp logs show -n APP -g RG [--replica NAME] [--tail N]\n"
            "     [--type stdout|stderr|all] [--follow]\n"
            "  version\n"
            "\n"
            "The data directory defaults to $MIDENT_DATA or ~/.mident.\n");
}

typedef int (*group_fn)(cli_ctx *ctx, int argc, char **argv);

/* The az-like groups over the ARM API, or NULL. */
static group_fn arm_group_cmd(const char *cmd)
{
    static const struct {
        const char *name;
        group_fn fn;
    } groups[] = {{"login", cmd_login},
                  {"group", cmd_group},
                  {"identity", cmd_identity},
                  {"containerapp", cmd_containerapp},
                  {"role", cmd_role},
                  {"keyvault", cmd_keyvault}};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (strcmp(cmd, groups[i].name) == 0)
            return groups[i].fn;
    return NULL;
}

int main(int argc, char **argv)
{
    mident_error err;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (http_client_global_init(&err) < 0) {
        fprintf(stderr, "ERROR: %s\n", err.message);
        return 1;
    }
    /* `up` has its own options, --data among them. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "up") != 0)
            continue;
        server_config cfg;
        /* options before and after "up" are all up's */
        char *args[128];
        int n = 0;
        for (int j = 1; j < argc && n < 128; j++)
            if (j != i)
                args[n++] = argv[j];
        if (server_config_parse(n, args, &cfg, &err) < 0) {
            fprintf(stderr, "ERROR: %s\n", err.message);
            usage(stderr);
            return 2;
        }
        if (server_run(&cfg, &err) < 0) {
            fprintf(stderr, "ERROR: %s\n", err.message);
            return 1;
        }
        return 0;
    }

    cli_ctx ctx;
    int ac = argc - 1;
    char **av = argv + 1;
    if (cli_parse_globals(&ctx, &ac, av, &err) < 0) {
        fprintf(stderr, "ERROR: %s\n", err.message);
        return 2;
    }
    if (ac < 1) {
        usage(stderr);
        return 2;
    }
    const char *cmd = av[0];
    int rc;
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("mident %s\n", MIDENT_VERSION);
        rc = 0;
    } else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
               strcmp(cmd, "-h") == 0) {
        usage(stdout);
        rc = 0;
    } else if (strcmp(cmd, "agent") == 0) {
        remote_agent_config acfg;
        if (remote_agent_config_parse(ac - 1, av + 1, &acfg, &err) < 0) {
            fprintf(stderr, "ERROR: %s\n", err.message);
            usage(stderr);
            rc = 2;
        } else {
            /* --data is a global option, already taken into ctx */
            snprintf(acfg.data_dir, sizeof acfg.data_dir, "%s", ctx.data_dir);
            rc = remote_agent_run(&acfg, &err) < 0 ? cli_error("%s", err.message) : 0;
        }
    } else if (strcmp(cmd, "node") == 0) {
        if (cli_load(&ctx, &err) < 0)
            rc = cli_error("%s", err.message);
        else
            rc = cmd_node(&ctx, ac - 1, av + 1);
    } else if (strcmp(cmd, "keys") == 0) {
        rc = cmd_keys(ctx.data_dir, ac - 1, av + 1);
    } else if (strcmp(cmd, "containerapp") == 0 && ac > 1 &&
               strcmp(av[1], "logs") == 0) {
        rc = cmd_containerapp_logs(ctx.data_dir, ac - 2, av + 2);
    } else if (strcmp(cmd, "audit") == 0) {
        rc = cmd_audit(&ctx, ac - 1, av + 1);
    } else if (strcmp(cmd, "account") == 0) {
        if (cli_load(&ctx, &err) < 0)
            rc = cli_error("%s", err.message);
        else
            rc = cmd_account(&ctx, ac - 1, av + 1);
    } else if (strcmp(cmd, "ad") == 0) {
        if (cli_load(&ctx, &err) < 0)
            rc = cli_error("%s", err.message);
        else
            rc = cmd_ad(&ctx, ac - 1, av + 1);
    } else if (strcmp(cmd, "logout") == 0) {
        rc = cmd_logout(&ctx, ac - 1, av + 1);
    } else if (arm_group_cmd(cmd)) {
        /* a bare group prints its usage (exit 2) without a server */
        if (ac > 1 && cli_load(&ctx, &err) < 0)
            rc = cli_error("%s", err.message);
        else
            rc = arm_group_cmd(cmd)(&ctx, ac - 1, av + 1);
    } else {
        fprintf(stderr, "ERROR: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 2;
    }
    cli_ctx_free(&ctx);
    return rc;
}
