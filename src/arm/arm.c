/* arm.c -- placeholder until the resource manager lands (branch arm). */
#include "arm.h"

#include <stdlib.h>

struct arm {
    int unused;
};

arm *arm_new(const arm_config *cfg, mident_error *err)
{
    (void)cfg;
    arm *a = calloc(1, sizeof *a);
    if (!a)
        mid_fail(err, MIDENT_ENOMEM, "out of memory");
    return a;
}

void arm_free(arm *a) { free(a); }

int arm_handle(arm *a, const http_req *req, http_res *res)
{
    (void)a;
    (void)req;
    (void)res;
    return 0;
}
