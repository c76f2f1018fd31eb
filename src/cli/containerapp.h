/*
 * containerapp.h -- what containerapp.c shares with
 * containerapp_identity.c: reading an app for a read-modify-write PUT.
 */
#ifndef MID_CLI_CONTAINERAPP_H
#define MID_CLI_CONTAINERAPP_H

#include <stddef.h>

#include "cli.h"

/* GETs app `name` in group rg for a full PUT, as az does before changing
 * it: when it has secrets, POST listSecrets and put their values back
 * (GET redacts them). id gets the app's resource id (for the PUT).
 * Returns 0, or 1 after printing the error (an unknown app prints ARM's
 * ResourceNotFound message). */
int app_get_for_write(cli_ctx *ctx, const char *rg, const char *name,
                      char *id, size_t n, cJSON **app);

#endif
