/*
 * merge.h -- JSON Merge Patch (RFC 7386) with ARM's case-insensitive
 * property names.
 *
 * What it owns: applying a PATCH body to a stored document. Members of the
 * patch replace members of the target, `null` removes, objects merge
 * recursively, everything else (arrays included) replaces. Names are
 * matched case-insensitively, as ARM treats property names (and the keys
 * of userAssignedIdentities, which are resource ids); a matched member
 * keeps the target's spelling.
 *
 * How it fits: resource.c applies PATCH bodies with it before running the
 * same validation a PUT gets. Pure; thread-safe.
 */
#ifndef MID_ARM_MERGE_H
#define MID_ARM_MERGE_H

#include <cJSON.h>

#include "core/err.h"

/* Merges `patch` (an object) into `target` (an object) in place. */
int json_merge_patch(cJSON *target, const cJSON *patch, mident_error *err);

#endif
