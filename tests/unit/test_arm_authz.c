/* test_arm_authz.c -- built-in roles and the matching of operations
 * against their actions / notActions / dataActions. */
#include "harness.h"

#include "arm/roles.h"

static int allows(const char *role, const char *op)
{
    return role_allows(role_by_id(role), op, 0);
}

static int allows_data(const char *role, const char *op)
{
    return role_allows(role_by_id(role), op, 1);
}

TEST(pattern_matching)
{
    CHECK(role_pattern_match("*", "Microsoft.App/containerApps/write"));
    CHECK(role_pattern_match("*/read", "Microsoft.App/containerApps/read"));
    CHECK(!role_pattern_match("*/read", "Microsoft.App/containerApps/write"));
    CHECK(role_pattern_match("Microsoft.Authorization/*/Write",
                             "microsoft.authorization/roleAssignments/write"));
    CHECK(role_pattern_match("Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                             "Microsoft.ManagedIdentity/userAssignedIdentities/read"));
    CHECK(role_pattern_match("Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
                             "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"));
    CHECK(!role_pattern_match("Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                              "Microsoft.ManagedIdentity/userAssignedIdentities/write"));
    CHECK(role_pattern_match("Microsoft.KeyVault/vaults/secrets/*",
                             "Microsoft.KeyVault/vaults/secrets/getSecret/action"));
    CHECK(!role_pattern_match("Microsoft.KeyVault/vaults/secrets/*",
                              "Microsoft.KeyVault/vaults/keys/read"));
    CHECK(!role_pattern_match("abc", "abcd"));
    CHECK(!role_pattern_match(NULL, "x"));
}

TEST(owner_contributor_reader)
{
    const char *w = "Microsoft.App/containerApps/write";
    const char *r = "Microsoft.App/containerApps/read";
    const char *ra = "Microsoft.Authorization/roleAssignments/write";
    CHECK(allows(ROLE_OWNER, w));
    CHECK(allows(ROLE_OWNER, ra));
    CHECK(allows(ROLE_CONTRIBUTOR, w));
    CHECK(allows(ROLE_CONTRIBUTOR, "Microsoft.App/containerApps/listSecrets/action"));
    CHECK(!allows(ROLE_CONTRIBUTOR, ra));
    CHECK(!allows(ROLE_CONTRIBUTOR, "Microsoft.Authorization/roleAssignments/delete"));
    CHECK(allows(ROLE_CONTRIBUTOR, "Microsoft.Authorization/roleAssignments/read"));
    CHECK(allows(ROLE_READER, r));
    CHECK(!allows(ROLE_READER, w));
    CHECK(!allows(ROLE_READER, "Microsoft.App/containerApps/listSecrets/action"));
    CHECK(!allows(ROLE_READER, "Microsoft.Resources/subscriptions/resourceGroups/delete"));
}

TEST(managed_identity_operator_and_linked_assign)
{
    const char *assign = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
    CHECK(allows(ROLE_MI_OPERATOR, assign));
    CHECK(allows(ROLE_MI_OPERATOR, "Microsoft.ManagedIdentity/userAssignedIdentities/read"));
    CHECK(!allows(ROLE_MI_OPERATOR, "Microsoft.ManagedIdentity/userAssignedIdentities/write"));
    CHECK(!allows(ROLE_MI_OPERATOR, "Microsoft.App/containerApps/write"));
    CHECK(allows(ROLE_OWNER, assign));
    CHECK(allows(ROLE_CONTRIBUTOR, assign));
    CHECK(!allows(ROLE_READER, assign));
}

TEST(user_access_administrator)
{
    CHECK(allows(ROLE_UA_ADMIN, "Microsoft.Authorization/roleAssignments/write"));
    CHECK(allows(ROLE_UA_ADMIN, "Microsoft.App/containerApps/read"));
    CHECK(!allows(ROLE_UA_ADMIN, "Microsoft.App/containerApps/write"));
}

TEST(key_vault_data_actions)
{
    const char *get = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
    const char *set = "Microsoft.KeyVault/vaults/secrets/setSecret/action";
    CHECK(allows_data(ROLE_KV_SECRETS_USER, get));
    CHECK(!allows_data(ROLE_KV_SECRETS_USER, set));
    CHECK(!allows(ROLE_KV_SECRETS_USER, get)); /* not a control-plane action */
    CHECK(allows_data(ROLE_KV_SECRETS_OFFICER, set));
    CHECK(!allows_data(ROLE_KV_SECRETS_OFFICER,
                       "Microsoft.KeyVault/vaults/keys/sign/action"));
    CHECK(allows_data(ROLE_KV_ADMIN, "Microsoft.KeyVault/vaults/keys/sign/action"));
    /* Owner has no data actions, as in Azure */
    CHECK(!allows_data(ROLE_OWNER, get));
}

TEST(lookups)
{
    size_t n;
    role_builtins(&n);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_STR(role_by_name("reader")->id, ROLE_READER);
    CHECK_EQ_STR(role_by_id("8E3AF657-A8FF-443C-A75C-2FE8C4BCB635")->name, "Owner");
    CHECK(role_by_definition_id("/subscriptions/s/providers/Microsoft.Authorization/"
                                "roleDefinitions/" ROLE_CONTRIBUTOR) ==
          role_by_id(ROLE_CONTRIBUTOR));
    CHECK(role_by_definition_id("/providers/microsoft.authorization/roledefinitions/"
                                ROLE_READER) == role_by_id(ROLE_READER));
    CHECK(role_by_definition_id(ROLE_OWNER) == role_by_id(ROLE_OWNER));
    CHECK(role_by_definition_id("/subscriptions/s/providers/Microsoft.Foo/x/"
                                ROLE_OWNER) == NULL);
    CHECK(role_by_id("00000000-0000-0000-0000-000000000000") == NULL);
    CHECK(role_by_name("Nope") == NULL);
}
