/*
 * keys.c -- `mident keys ...`: token-signing key maintenance on the data
 * directory. Works whether or not the server is running: a running server
 * notices the rotation within a second (sts_keys_refresh).
 *
 *   mident keys rotate   new signing key; the old one stays published
 *                        until no token it signed can still be valid
 *   mident keys list     kid, created, retired of each published key
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "core/json.h"
#include "store/store.h"
#include "sts/keys.h"

/* the longest --token-lifetime allowed, plus the verification skew */
#define MAX_LIFETIME (7 * 86400 + 300)

static int open_keys(const char *data_dir, mid_store **st, sts_keys **k)
{
    mident_error err;
    *st = cli_open_store(data_dir, &err);
    if (!*st)
        return cli_error("%s", err.message);
    *k = sts_keys_open(*st, MAX_LIFETIME, &err);
    if (!*k) {
        store_close(*st);
        return cli_error("%s", err.message);
    }
    return 0;
}

int cmd_keys(const char *data_dir, int argc, char **argv)
{
    if (argc < 1 || (strcmp(argv[0], "rotate") != 0 && strcmp(argv[0], "list") != 0))
        return cli_usage("keys", "rotate | list");
    mid_store *st;
    sts_keys *k;
    if (open_keys(data_dir, &st, &k))
        return 1;
    mident_error err;
    int rc = 0;
    if (strcmp(argv[0], "rotate") == 0) {
        if (sts_keys_rotate(k, &err) < 0)
            rc = cli_error("%s", err.message);
        else {
            char kid[64];
            sts_keys_active_kid(k, kid);
            printf("{\n  \"activeKid\": \"%s\"\n}\n", kid);
        }
    } else {
        cJSON *jwks = sts_keys_jwks(k, NULL);
        char *s = cJSON_Print(jwks);
        if (s)
            puts(s);
        cJSON_free(s);
        cJSON_Delete(jwks);
    }
    sts_keys_free(k);
    store_close(st);
    return rc;
}
