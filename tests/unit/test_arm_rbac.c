/* test_arm_rbac.c -- authz over role assignments stored in a real store:
 * scope inheritance, role semantics, revocation seen at once (the cached
 * index follows the store revision), uncached checks inside transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "arm/authz.h"
#include "arm/roles.h"
#include "harness.h"

#define SUB "/subscriptions/11111111-2222-3333-4444-555555555555"
#define RG SUB "/resourceGroups/rg1"
#define APP RG "/providers/Microsoft.App/containerApps/app1"
#define P1 "aaaaaaaa-0000-4000-8000-000000000001"
#define P2 "aaaaaaaa-0000-4000-8000-000000000002"

static mid_store *open_store(char *path, size_t n)
{
    snprintf(path, n, "/tmp/test_arm_rbac.%d.db", (int)getpid());
    unlink(path);
    mident_error e;
    mid_store *s = store_open(path, &e);
    if (!s)
        fprintf(stderr, "store_open: %s\n", e.message);
    return s;
}

static void close_store(mid_store *s, const char *path)
{
    store_close(s);
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static void put_assignment(mid_store *s, const char *name, const char *scope,
                           const char *role, const char *principal)
{
    char id[512], body[1024];
    snprintf(id, sizeof id, "%s/providers/Microsoft.Authorization/roleAssignments/%s",
             scope, name);
    snprintf(body, sizeof body,
             "{\"properties\":{\"roleDefinitionId\":\"%s/providers/Microsoft."
             "Authorization/roleDefinitions/%s\",\"principalId\":\"%s\","
             "\"scope\":\"%s\"}}", SUB, role, principal, scope);
    mident_error e;
    char etag[40];
    CHECK_EQ_INT(store_resource_put(s, id, AUTHZ_ASSIGNMENT_TYPE, body, NULL,
                                    etag, NULL, &e), 0);
}

static void del_assignment(mid_store *s, const char *name, const char *scope)
{
    char id[512];
    snprintf(id, sizeof id, "%s/providers/Microsoft.Authorization/roleAssignments/%s",
             scope, name);
    mident_error e;
    CHECK_EQ_INT(store_resource_delete(s, id, NULL, &e), 0);
}

TEST(assignments_inherit_down_the_scope_tree)
{
    char path[256];
    mid_store *s = open_store(path, sizeof path);
    CHECK(s != NULL);
    if (!s)
        return;
    mident_error e;
    authz *z = authz_new(s, &e);
    put_assignment(s, "a1", RG, ROLE_READER, P1);
    put_assignment(s, "a2", APP, ROLE_CONTRIBUTOR, P2);
    CHECK_EQ_INT(authz_check(z, P1, APP, "Microsoft.App/containerApps/read", 0, &e), 1);
    CHECK_EQ_INT(authz_check(z, P1, RG, "Microsoft.Resources/subscriptions/resourceGroups/read", 0, &e), 1);
    CHECK_EQ_INT(authz_check(z, P1, SUB, "Microsoft.App/containerApps/read", 0, &e), 0);
    CHECK_EQ_INT(authz_check(z, P1, APP, "Microsoft.App/containerApps/write", 0, &e), 0);
    CHECK_EQ_INT(authz_check(z, P1, SUB "/resourceGroups/rg10", "Microsoft.App/containerApps/read", 0, &e), 0);
    CHECK_EQ_INT(authz_check(z, P2, APP, "Microsoft.App/containerApps/write", 0, &e), 1);
    CHECK_EQ_INT(authz_check(z, P2, APP "/providers/Microsoft.Authorization/roleAssignments/x",
                             "Microsoft.Authorization/roleAssignments/write", 0, &e), 0);
    CHECK_EQ_INT(authz_check(z, P2, RG, "Microsoft.App/containerApps/write", 0, &e), 0);
    /* case-insensitive ids and principals */
    CHECK_EQ_INT(authz_check(z, "AAAAAAAA-0000-4000-8000-000000000001",
                             "/SUBSCRIPTIONS/11111111-2222-3333-4444-555555555555/resourcegroups/RG1",
                             "microsoft.app/containerapps/read", 0, &e), 1);
    CHECK_EQ_INT(authz_has_any(z, P2, SUB, &e), 1);
    CHECK_EQ_INT(authz_has_any(z, P2, SUB "/resourceGroups/other", &e), 0);
    CHECK_EQ_INT(authz_check(z, NULL, APP, "x", 0, &e), 0);
    authz_free(z);
    close_store(s, path);
}

TEST(revocation_and_grants_are_seen_at_once)
{
    char path[256];
    mid_store *s = open_store(path, sizeof path);
    if (!s)
        return;
    mident_error e;
    authz *z = authz_new(s, &e);
    const char *op = "Microsoft.App/containerApps/write";
    CHECK_EQ_INT(authz_check(z, P1, APP, op, 0, &e), 0);
    put_assignment(s, "g1", SUB, ROLE_OWNER, P1);
    CHECK_EQ_INT(authz_check(z, P1, APP, op, 0, &e), 1);
    del_assignment(s, "g1", SUB);
    CHECK_EQ_INT(authz_check(z, P1, APP, op, 0, &e), 0);
    authz_free(z);
    close_store(s, path);
}

TEST(uncached_checks_inside_a_transaction_leave_no_trace)
{
    char path[256];
    mid_store *s = open_store(path, sizeof path);
    if (!s)
        return;
    mident_error e;
    authz *z = authz_new(s, &e);
    const char *op = "Microsoft.App/containerApps/write";
    CHECK_EQ_INT(authz_check(z, P1, APP, op, 0, &e), 0);
    CHECK_EQ_INT(store_begin(s, &e), 0);
    put_assignment(s, "t1", SUB, ROLE_OWNER, P1);
    CHECK_EQ_INT(authz_check_uncached(s, P1, APP, op, 0, &e), 1);
    store_rollback(s);
    CHECK_EQ_INT(authz_check(z, P1, APP, op, 0, &e), 0);
    CHECK_EQ_INT(authz_check_uncached(s, P1, APP, op, 0, &e), 0);
    authz_free(z);
    close_store(s, path);
}

TEST(data_actions_for_the_vault)
{
    char path[256];
    mid_store *s = open_store(path, sizeof path);
    if (!s)
        return;
    mident_error e;
    authz *z = authz_new(s, &e);
#define VAULT RG "/providers/Microsoft.KeyVault/vaults/kv1"
    const char *vault = VAULT;
    put_assignment(s, "k1", vault, ROLE_KV_SECRETS_USER, P1);
    CHECK_EQ_INT(authz_check(z, P1, VAULT "/secrets/s1",
                             "Microsoft.KeyVault/vaults/secrets/getSecret/action", 1, &e), 1);
    CHECK_EQ_INT(authz_check(z, P1, vault,
                             "Microsoft.KeyVault/vaults/secrets/setSecret/action", 1, &e), 0);
    CHECK_EQ_INT(authz_check(z, P1, vault,
                             "Microsoft.KeyVault/vaults/secrets/getSecret/action", 0, &e), 0);
    authz_free(z);
    close_store(s, path);
}

TEST(malformed_assignments_grant_nothing)
{
    char path[256];
    mid_store *s = open_store(path, sizeof path);
    if (!s)
        return;
    mident_error e;
    char etag[40];
    CHECK_EQ_INT(store_resource_put(s, SUB "/providers/Microsoft.Authorization/roleAssignments/bad",
                                    AUTHZ_ASSIGNMENT_TYPE,
                                    "{\"properties\":{\"principalId\":\"" P1 "\",\"scope\":\"" SUB "\","
                                    "\"roleDefinitionId\":\"/x/00000000-0000-0000-0000-000000000000\"}}",
                                    NULL, etag, NULL, &e), 0);
    authz *z = authz_new(s, &e);
    CHECK_EQ_INT(authz_check(z, P1, SUB, "Microsoft.App/containerApps/read", 0, &e), 0);
    authz_free(z);
    close_store(s, path);
}
