/*
 * commands.h -- the `mident` command groups. One file per group in cli/;
 * each entry point has the shape described in cli.h.
 */
#ifndef MID_COMMANDS_H
#define MID_COMMANDS_H

#include "cli.h"

/* Groups that talk to a running server (they need cli_load first). */
int cmd_account(cli_ctx *ctx, int argc, char **argv);
int cmd_ad(cli_ctx *ctx, int argc, char **argv);
int cmd_node(cli_ctx *ctx, int argc, char **argv);
/* The az-like groups over the ARM API (armcmd.h has what they share). */
int cmd_login(cli_ctx *ctx, int argc, char **argv);
int cmd_group(cli_ctx *ctx, int argc, char **argv);
int cmd_identity(cli_ctx *ctx, int argc, char **argv);
int cmd_containerapp(cli_ctx *ctx, int argc, char **argv);
int cmd_containerapp_identity(cli_ctx *ctx, int argc, char **argv);
int cmd_role(cli_ctx *ctx, int argc, char **argv);
int cmd_keyvault(cli_ctx *ctx, int argc, char **argv);

/* Works on the data directory only (no server needed). */
int cmd_logout(cli_ctx *ctx, int argc, char **argv);

/* Groups that work on the data directory directly. */
int cmd_keys(const char *data_dir, int argc, char **argv);
int cmd_audit(cli_ctx *ctx, int argc, char **argv);

/* Prints "usage: mident <group> <usage>" on stderr; returns 2. */
int cli_usage(const char *group, const char *usage);

#endif
