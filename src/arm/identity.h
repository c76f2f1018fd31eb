/*
 * identity.h -- the `identity` block of ARM resources
 * (ManagedServiceIdentity): its parsing, the merge of a request with the
 * current state, and its JSON form.
 *
 * What it owns: the rules of the block, independent of storage --
 *   - `type` is None, SystemAssigned, UserAssigned or
 *     "SystemAssigned,UserAssigned", case-insensitive, a space after the
 *     comma allowed (either order); emitted in Azure's spelling;
 *   - `userAssignedIdentities` maps identity resource ids to {} in requests
 *     (read-only principalId/clientId sent back are ignored; a null value
 *     removes the entry); keys compare case-insensitively, and an entry
 *     already attached keeps its stored key and principal;
 *   - a map that is null or omitted while `type` lacks UserAssigned
 *     detaches all; a type with UserAssigned needs at least one entry;
 *   - the system identity's principalId/tenantId come from the current
 *     state, never from the request.
 *
 * How it fits: identity_plan() computes the wanted identity from a request
 * and the stored one; msi.c then resolves new user-assigned entries and
 * creates or deletes the system principal inside the write's store
 * transaction (identity_apply in arm_int.h). Pure; thread-safe.
 */
#ifndef MID_ARM_IDENTITY_H
#define MID_ARM_IDENTITY_H

#include <cJSON.h>
#include <stddef.h>

#include "core/err.h"

typedef struct {
    char *id;             /* identity resource id (malloc'd) */
    char principal_id[37];
    char client_id[37];
    int is_new;           /* not attached in the current state */
} identity_ua;

typedef struct {
    int system;           /* SystemAssigned */
    int user;             /* UserAssigned */
    char principal_id[37]; /* the system identity's, "" if none yet */
    char tenant_id[37];
    identity_ua *ua;
    size_t n_ua;
} arm_identity;

#define IDENTITY_MAX_UA 64

/* Parses a type string into *system / *user. EINVAL if unknown. */
int identity_parse_type(const char *s, int *system, int *user,
                        mident_error *err);
/* "None", "SystemAssigned", "UserAssigned" or "SystemAssigned,UserAssigned". */
const char *identity_type_name(int system, int user);

/* Reads a stored block (NULL or absent = no identity). */
int identity_from_json(const cJSON *block, arm_identity *out, mident_error *err);

/* The wanted identity from the request's block and the current state.
 * `present` says whether the request carried an `identity` member at all
 * (when it did not, the current identity is kept); `req` may be JSON
 * null (= no identity). New user-assigned entries have is_new set and no
 * principal yet; a system identity that stays on keeps its principal. */
int identity_plan(const cJSON *req, int present, const arm_identity *cur,
                  arm_identity *want, mident_error *err);

/* 1 if `id` is attached (case-insensitively); *out set to the entry. */
int identity_has_ua(const arm_identity *idn, const char *id,
                    const identity_ua **out);

/* The JSON form: {"type", "principalId", "tenantId",
 * "userAssignedIdentities": {id: {principalId, clientId}}}. NULL on OOM. */
cJSON *identity_to_json(const arm_identity *idn);

void identity_free(arm_identity *idn);

#endif
