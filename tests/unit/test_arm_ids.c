/* test_arm_ids.c -- ARM path parsing, scopes, canonical ids, name rules. */
#include "harness.h"

#include "arm/ids.h"

TEST(parses_top_level_paths)
{
    arm_path p;
    mident_error e;
    CHECK_EQ_INT(arm_path_parse("/tenants", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_TENANTS);
    CHECK_EQ_INT(arm_path_parse("/subscriptions", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_SUBSCRIPTIONS);
    CHECK_EQ_INT(arm_path_parse("/Subscriptions/abc/", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_SUBSCRIPTION);
    CHECK_EQ_STR(p.sub, "abc");
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/resourcegroups", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_GROUPS);
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/resourceGroups/My-RG", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_GROUP);
    CHECK_EQ_STR(p.rg, "My-RG");
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/providers", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_PROVIDERS);
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/providers/Microsoft.App", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_PROVIDER);
    CHECK_EQ_STR(p.ns, "Microsoft.App");
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/operationresults/op1", &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_OPRESULT);
    CHECK_EQ_STR(p.op, "op1");
}

TEST(non_arm_paths_are_not_found)
{
    arm_path p;
    mident_error e;
    CHECK_EQ_INT(arm_path_parse("/metadata/endpoints", &p, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_ENOTFOUND);
    CHECK_EQ_INT(arm_path_parse("/", &p, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_ENOTFOUND);
}

TEST(malformed_paths_are_invalid)
{
    arm_path p;
    mident_error e;
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc//resourceGroups", &p, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/resourceGroups/rg/foo", &p, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK_EQ_INT(arm_path_parse("/subscriptions/abc/resourceGroups/rg/providers/Microsoft.App", &p, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK_EQ_INT(arm_path_parse("relative", &p, &e), -1);
    CHECK_EQ_INT(arm_path_parse("/tenants/x", &p, &e), -1);
    char longp[3000];
    memset(longp, 'a', sizeof longp);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    CHECK_EQ_INT(arm_path_parse(longp, &p, &e), -1);
    CHECK_EQ_INT(arm_path_parse("/subscriptions/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/1/2/3/4/5/6/7/8", &p, &e), -1);
}

TEST(parses_group_resource_items_and_collections)
{
    arm_path p;
    mident_error e;
    char t[128];
    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/resourcegroups/rg/providers/"
                                "Microsoft.ManagedIdentity/userAssignedIdentities/id1",
                                &p, &e), 0);
    CHECK_EQ_INT(p.kind, ARM_P_RESOURCE);
    CHECK_EQ_STR(p.rg, "rg");
    CHECK_EQ_STR(p.ns, "Microsoft.ManagedIdentity");
    CHECK_EQ_INT(p.depth, 1);
    CHECK_EQ_STR(p.types[0], "userAssignedIdentities");
    CHECK_EQ_STR(p.names[0], "id1");
    CHECK(arm_path_is_item(&p));
    CHECK(!arm_path_is_collection(&p));
    CHECK_EQ_INT(p.n_blocks, 1);
    CHECK_EQ_STR(p.scope, "/subscriptions/s/resourcegroups/rg");
    arm_path_type(&p, t, sizeof t);
    CHECK_EQ_STR(t, "Microsoft.ManagedIdentity/userAssignedIdentities");

    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/providers/Microsoft.App/containerApps",
                                &p, &e), 0);
    CHECK(arm_path_is_collection(&p));
    CHECK(p.rg == NULL);
    CHECK_EQ_STR(p.scope, "/subscriptions/s");

    /* an action after an item */
    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/resourceGroups/rg/providers/"
                                "Microsoft.App/containerApps/app1/listSecrets",
                                &p, &e), 0);
    CHECK_EQ_INT(p.depth, 2);
    CHECK_EQ_STR(p.names[0], "app1");
    CHECK_EQ_STR(p.types[1], "listSecrets");
    CHECK(p.names[1] == NULL);
}

TEST(parses_extension_resources)
{
    arm_path p;
    mident_error e;
    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/resourceGroups/rg/providers/"
                                "Microsoft.App/containerApps/app1/providers/"
                                "Microsoft.ManagedIdentity/identities/default",
                                &p, &e), 0);
    CHECK_EQ_INT(p.n_blocks, 2);
    CHECK_EQ_STR(p.ns, "Microsoft.ManagedIdentity");
    CHECK_EQ_STR(p.types[0], "identities");
    CHECK_EQ_STR(p.names[0], "default");
    CHECK_EQ_STR(p.scope, "/subscriptions/s/resourceGroups/rg/providers/"
                          "Microsoft.App/containerApps/app1");

    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/providers/Microsoft.Authorization/"
                                "roleAssignments/1234", &p, &e), 0);
    CHECK_EQ_STR(p.scope, "/subscriptions/s");
    CHECK_EQ_STR(p.names[0], "1234");

    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/resourceGroups/rg/providers/"
                                "Microsoft.Authorization/roleAssignments", &p, &e), 0);
    CHECK_EQ_STR(p.scope, "/subscriptions/s/resourceGroups/rg");
    CHECK(arm_path_is_collection(&p));

    /* tenant level */
    CHECK_EQ_INT(arm_path_parse("/providers/Microsoft.Authorization/roleDefinitions/abc",
                                &p, &e), 0);
    CHECK_EQ_STR(p.scope, "");
    CHECK(p.sub == NULL);
    CHECK_EQ_STR(p.names[0], "abc");
}

TEST(a_resource_named_providers_is_a_name)
{
    arm_path p;
    mident_error e;
    CHECK_EQ_INT(arm_path_parse("/subscriptions/s/resourceGroups/providers/providers/"
                                "Microsoft.App/containerApps/providers", &p, &e), 0);
    CHECK_EQ_STR(p.rg, "providers");
    CHECK_EQ_STR(p.names[0], "providers");
    CHECK_EQ_INT(p.n_blocks, 1);
}

TEST(scope_covers_at_segment_boundaries)
{
    CHECK(arm_scope_covers("/subscriptions/s", "/subscriptions/s"));
    CHECK(arm_scope_covers("/subscriptions/s", "/Subscriptions/S/resourceGroups/x"));
    CHECK(!arm_scope_covers("/subscriptions/s", "/subscriptions/s2"));
    CHECK(!arm_scope_covers("/subscriptions/s/resourceGroups/rg",
                            "/subscriptions/s/resourceGroups/rg2/x"));
    CHECK(arm_scope_covers("/", "/subscriptions/s"));
    CHECK(arm_scope_covers("/subscriptions/s/", "/subscriptions/s/x"));
    CHECK(!arm_scope_covers("/subscriptions/s/x", "/subscriptions/s"));
    CHECK(!arm_scope_covers(NULL, "/x"));
}

TEST(builds_canonical_ids)
{
    buf b;
    buf_init(&b);
    arm_id_group(&b, "s", "rg");
    CHECK_EQ_STR(b.data, "/subscriptions/s/resourceGroups/rg");
    arm_id_resource(&b, "", "Microsoft.App", "containerApps", "a");
    CHECK_EQ_STR(b.data, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/a");
    buf_reset(&b);
    arm_id_resource(&b, "/subscriptions/s/", "Microsoft.Authorization",
                    "roleAssignments", "g");
    CHECK_EQ_STR(b.data, "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/g");
    buf_free(&b);
}

TEST(parses_typed_ids)
{
    arm_path p;
    mident_error e;
    const char *t = "Microsoft.ManagedIdentity/userAssignedIdentities";
    CHECK_EQ_INT(arm_id_parse_typed("/subscriptions/s/resourcegroups/rg/providers/"
                                    "microsoft.managedidentity/userassignedidentities/u1",
                                    t, &p, &e), 0);
    CHECK_EQ_STR(p.names[0], "u1");
    CHECK_EQ_INT(arm_id_parse_typed("/subscriptions/s/resourcegroups/rg/providers/"
                                    "Microsoft.App/containerApps/u1", t, &p, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK_EQ_INT(arm_id_parse_typed("u1", t, &p, &e), -1);
    CHECK_EQ_INT(arm_id_parse_typed("/subscriptions/s/providers/Microsoft.ManagedIdentity/"
                                    "userAssignedIdentities/u1", t, &p, &e), -1);
    CHECK_EQ_INT(arm_id_parse_typed("/subscriptions/s/resourceGroups/rg/providers/"
                                    "Microsoft.ManagedIdentity/userAssignedIdentities",
                                    t, &p, &e), -1);
    CHECK_EQ_INT(arm_id_parse_typed(NULL, t, &p, &e), -1);
}

TEST(name_rules)
{
    mident_error e;
    CHECK_EQ_INT(arm_name_check_group("my-rg_1.(x)", &e), 0);
    CHECK_EQ_INT(arm_name_check_group("bad.", &e), -1);
    CHECK_EQ_INT(arm_name_check_group("bad/x", &e), -1);
    CHECK_EQ_INT(arm_name_check_group("", &e), -1);
    CHECK_EQ_INT(arm_name_check_generic("id-1_x", 128, &e), 0);
    CHECK_EQ_INT(arm_name_check_generic("ab", 128, &e), -1);
    CHECK_EQ_INT(arm_name_check_generic("-abc", 128, &e), -1);
    CHECK_EQ_INT(arm_name_check_generic("a b c", 128, &e), -1);
    CHECK_EQ_INT(arm_name_check_dns("myapp-1", 2, 32, &e), 0);
    CHECK_EQ_INT(arm_name_check_dns("MyApp", 2, 32, &e), -1);
    CHECK_EQ_INT(arm_name_check_dns("1app", 2, 32, &e), -1);
    CHECK_EQ_INT(arm_name_check_dns("app-", 2, 32, &e), -1);
    CHECK_EQ_INT(arm_name_check_dns("a--b", 2, 32, &e), -1);
    CHECK_EQ_INT(arm_name_check_dns("a", 2, 32, &e), -1);
}
