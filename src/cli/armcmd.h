/*
 * armcmd.h -- what the az-like command groups that drive the ARM API
 * (login, group, identity, containerapp, role) share, written once:
 *
 *   argument parsing   cli_args: every option of a command declared in a
 *                      table; unknown options, missing values and missing
 *                      required options are usage errors (exit 2), as az's
 *                      argparse makes them. Multi-valued options (az's
 *                      nargs='+', e.g. `--env-vars A=1 B=2`) point into
 *                      argv, no copies;
 *   requests           armc_call: one ARM request with the CLI's token,
 *                      the provider's api-version, and the long-running
 *                      operation followed to its end (Azure-AsyncOperation
 *                      on 201, Location on 202) the way az polls it;
 *                      armc_list: a collection with its nextLink pages;
 *   ids                resource ids from names (a bare identity name means
 *                      the app's resource group, as az resolves it);
 *   output             az's shapes: keys sorted, `properties` flattened
 *                      with `resourceGroup` added where az flattens.
 *
 * Every function that can fail prints "ERROR: ..." itself and returns the
 * exit status (1), so a command just returns what it got. Not
 * thread-safe (one command per process).
 */
#ifndef MID_ARMCMD_H
#define MID_ARMCMD_H

#include <stddef.h>

#include "cli.h"

/* ---- arguments ----------------------------------------------------- */

enum { ARG_VALUE, ARG_FLAG, ARG_LIST };

typedef struct {
    const char *names; /* spellings, space separated: "--name -n" */
    int kind;          /* ARG_VALUE, ARG_FLAG or ARG_LIST (zero or more) */
    int required;
} cli_arg;

typedef struct {
    int set;           /* given on the command line */
    const char *value; /* ARG_VALUE */
    int n;             /* ARG_LIST: n values at list[0..n-1] (in argv) */
    char **list;
} cli_val;

/* Parses argv (the words after the command) against spec, an array ended
 * by {NULL}; vals[i] receives spec[i]. A repeated option keeps its last
 * value. Returns 0, or 2 after printing the error and
 * "usage: mident <cmd> <usage>". */
int cli_args(const char *cmd, const char *usage, int argc, char **argv,
             const cli_arg *spec, cli_val *vals);
/* An integer option value; 2 (usage error, printed) when it is not one. */
int cli_int_arg(const char *cmd, const char *opt, const char *s, long *out);
/* `--tags k=v ...` as an object (a word without '=' gets ""; "" alone
 * gives {}, clearing the tags). */
cJSON *cli_tags(const cli_val *v);
/* Asks "Are you sure...?" unless yes; 0 to go on, 1 (printed) to stop.
 * Without a terminal it refuses, like az: pass --yes. */
int cli_confirm(int yes);

/* ---- requests ------------------------------------------------------ */

#define ARM_NO_WAIT 1   /* answer as soon as the operation is accepted */
#define ARM_ALLOW_404 2 /* a 404 is a result (*status 404), not an error */

/* Sends method path (relative to the ARM base; the provider's api-version
 * is added unless path has one) with body (may be NULL). Follows the
 * long-running operation unless ARM_NO_WAIT: a 201 with
 * Azure-AsyncOperation is polled until Succeeded and then the resource is
 * read again (its body becomes *resp); a 202 with Location is polled until
 * it stops answering 202. Poll URLs must be on the ARM endpoint's origin
 * (the token is never sent elsewhere). *status (may be NULL) gets the
 * final HTTP status, *resp (may be NULL) the final body, caller frees.
 * Returns 0, or 1 after printing the ARM error. */
int armc_call(cli_ctx *ctx, const char *method, const char *path,
             const cJSON *body, int flags, long *status, cJSON **resp);
/* GETs a collection ({value, nextLink}) with all its pages into *out (an
 * array). Returns 0 or 1 (printed). */
int armc_list(cli_ctx *ctx, const char *path, cJSON **out);
/* Lists resources of `type` in resource group `group` (a name), or in the
 * whole subscription when group is NULL. Returns 0 or 1 (printed). */
int armc_list_type(cli_ctx *ctx, const char *group, const char *type,
                   cJSON **out);

/* ---- ids ----------------------------------------------------------- */

#define ARM_ID_MAX 1024
#define UAMI_TYPE "Microsoft.ManagedIdentity/userAssignedIdentities"
#define APP_TYPE "Microsoft.App/containerApps"
#define ENV_TYPE "Microsoft.App/managedEnvironments"

/* /subscriptions/{sub}/resourceGroups/{rg}. Returns 0, or 1 (printed)
 * when rg cannot be a name. */
int armc_group_id(const cli_ctx *ctx, const char *rg, char *out, size_t n);
/* A resource id from a name in group rg (type "Namespace/type"), or
 * name_or_id itself when it is already an id (starts with '/').
 * Returns 0 or 1 (printed). */
int armc_resource_id(const cli_ctx *ctx, const char *rg, const char *type,
                    const char *name_or_id, char *out, size_t n);
/* The resource group named in an id, "" when it has none. */
void armc_id_group(const char *id, char *out, size_t n);
/* Case-insensitive id comparison, as ARM compares ids. */
int armc_id_equal(const char *a, const char *b);
/* A group's location into out. Returns 0 or 1 (printed). */
int armc_group_location(cli_ctx *ctx, const char *rg, char *out, size_t n);
/* A role name or GUID -> its role definition id (looked up with
 * $filter=roleName eq '...'). Returns 0 or 1 (printed). */
int armc_role_definition_id(cli_ctx *ctx, const char *role, char *out,
                           size_t n);

/* ---- output -------------------------------------------------------- */

/* A copy of an ARM document in az's flattened shape: properties' members
 * lifted to the top, "resourceGroup" added from the id. A property named
 * "type" becomes type_as (e.g. "roleType") when given. */
cJSON *armc_flatten(const cJSON *doc, const char *type_as);
/* Prints doc like az: object keys sorted (recursively), then cli_print. */
void armc_print(const cli_ctx *ctx, cJSON *doc);

#endif
