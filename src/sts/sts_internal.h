/*
 * sts_internal.h -- the token service's private state, shared by sts.c
 * (minting) and endpoints.c (HTTP). Nothing outside sts/ includes this.
 */
#ifndef MID_STS_INTERNAL_H
#define MID_STS_INTERNAL_H

#include "keys.h"
#include "sts.h"

struct sts {
    mid_store *store;
    sts_keys *keys;
    char public_url[512];
    char tenant_id[37];
    char iss_v1[600];
    char iss_v2[600];
    char iss_adfs[600];
    int64_t lifetime;
    int64_t last_refresh; /* epoch second of the last key reload check */
};

void sts_refresh_keys(sts *s);

#endif
