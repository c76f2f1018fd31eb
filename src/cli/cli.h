/*
 * cli.h -- what every `mident` command shares: global options, the data
 * directory's endpoints.json, credentials, requests to the server, output
 * and errors.
 *
 * Every command has the same shape (like curl's and az's):
 *   int cmd_xxx(cli_ctx *ctx, int argc, char **argv)
 * It returns the process exit status: 0 on success, 1 for an error the
 * server or the user caused (message on stderr as "ERROR: ..."), 2 for a
 * usage error. Results go to stdout as JSON by default (-o json|table|tsv).
 *
 * Ownership: cli_ctx owns everything it loads; cli_ctx_free releases it.
 * Not thread-safe (one command per process).
 */
#ifndef MID_CLI_H
#define MID_CLI_H

#include <cJSON.h>

#include "core/buf.h"
#include "core/err.h"

typedef enum { OUT_JSON, OUT_TABLE, OUT_TSV, OUT_NONE } cli_output;

typedef struct {
    char data_dir[2048];
    cli_output output;
    cJSON *endpoints;        /* DIR/endpoints.json */
    const char *arm;         /* base URLs, from endpoints.json */
    const char *authority;
    const char *tenant_id;
    const char *subscription_id;
    const char *ca_cert;
    char *client_id;         /* credential used for tokens */
    char *client_secret;
    char *login_tenant;
    char *arm_token;         /* cached for the life of the command */
} cli_ctx;

/* Removes global options (--data DIR, -o/--output FMT) from argv,
 * compacting it; fills ctx defaults. Returns -1 on a usage error. */
int cli_parse_globals(cli_ctx *ctx, int *argc, char **argv, mident_error *err);
/* Loads endpoints.json and the credential (a saved `mident login`, else
 * the admin's). */
int cli_load(cli_ctx *ctx, mident_error *err);
void cli_ctx_free(cli_ctx *ctx);

/* A token for `resource` from the token service; *out is the parsed
 * response ({access_token, expires_in, ...}). */
int cli_get_token(cli_ctx *ctx, const char *resource, cJSON **out,
                  mident_error *err);

/* Makes sure ctx->arm_token holds a token for ARM (fetched once). */
int cli_arm_token(cli_ctx *ctx, mident_error *err);


/* Opens the data directory's store (DIR/mident.db), for the commands that
 * work on it directly (ad, audit, keys, node, role's assignee lookup).
 * The caller closes it with store_close. */
struct mid_store *cli_open_store(const char *data_dir, mident_error *err);

/* Prints a result in the chosen output format. */
void cli_print(const cli_ctx *ctx, const cJSON *doc);
/* Prints "ERROR: <message>" on stderr; returns 1. */
int cli_error(const char *fmt, ...) MID_PRINTF(1, 2);
/* The message of an ARM or OAuth error body, or a generic one. */
void cli_error_from_body(const cJSON *body, long status, char *out, size_t n);

/* Option helpers: finds "--name value" (any of up to 3 spellings). */
const char *cli_opt(int argc, char **argv, const char *a, const char *b,
                    const char *c);
int cli_flag(int argc, char **argv, const char *a, const char *b);

#endif
