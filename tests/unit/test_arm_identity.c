/* test_arm_identity.c -- the ManagedServiceIdentity block (type parsing,
 * request merge, JSON form) and JSON merge patch. */
#include "harness.h"

#include "arm/identity.h"
#include "arm/merge.h"
#include "core/json.h"

#define UA1 "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/one"
#define UA1_LOWER "/subscriptions/s/resourcegroups/rg/providers/microsoft.managedidentity/userassignedidentities/one"
#define UA2 "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/two"

static cJSON *J(const char *s)
{
    mident_error e;
    cJSON *j = json_parse(s, strlen(s), &e);
    if (!j)
        fprintf(stderr, "bad test JSON: %s\n", s);
    return j;
}

/* A current state: system on (principal sys-p) with UA1 attached. */
static void current(arm_identity *cur)
{
    cJSON *j = J("{\"type\":\"SystemAssigned,UserAssigned\",\"principalId\":\"sys-p\","
                 "\"tenantId\":\"t\",\"userAssignedIdentities\":{\"" UA1 "\":"
                 "{\"principalId\":\"p1\",\"clientId\":\"c1\"}}}");
    mident_error e;
    CHECK_EQ_INT(identity_from_json(j, cur, &e), 0);
    cJSON_Delete(j);
}

/* Plans `req` (a JSON text, or NULL for "absent") against cur. */
static int plan(const char *req, const arm_identity *cur, arm_identity *want,
                mident_error *e)
{
    cJSON *j = req ? J(req) : NULL;
    int rc = identity_plan(j, req != NULL, cur, want, e);
    cJSON_Delete(j);
    return rc;
}

TEST(type_parsing)
{
    int s, u;
    mident_error e;
    CHECK_EQ_INT(identity_parse_type("None", &s, &u, &e), 0);
    CHECK(!s && !u);
    CHECK_EQ_INT(identity_parse_type("systemassigned", &s, &u, &e), 0);
    CHECK(s && !u);
    CHECK_EQ_INT(identity_parse_type("UserAssigned", &s, &u, &e), 0);
    CHECK(!s && u);
    CHECK_EQ_INT(identity_parse_type("SystemAssigned,UserAssigned", &s, &u, &e), 0);
    CHECK(s && u);
    CHECK_EQ_INT(identity_parse_type("SystemAssigned, UserAssigned", &s, &u, &e), 0);
    CHECK(s && u);
    CHECK_EQ_INT(identity_parse_type("userassigned,systemassigned", &s, &u, &e), 0);
    CHECK_EQ_INT(identity_parse_type("Both", &s, &u, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK_EQ_INT(identity_parse_type(NULL, &s, &u, &e), -1);
    CHECK_EQ_STR(identity_type_name(1, 1), "SystemAssigned,UserAssigned");
    CHECK_EQ_STR(identity_type_name(0, 0), "None");
}

TEST(absent_block_keeps_current)
{
    arm_identity cur, want;
    mident_error e;
    current(&cur);
    CHECK_EQ_INT(plan(NULL, &cur, &want, &e), 0);
    CHECK(want.system && want.user);
    CHECK_EQ_STR(want.principal_id, "sys-p");
    CHECK_EQ_INT(want.n_ua, 1);
    CHECK_EQ_STR(want.ua[0].principal_id, "p1");
    CHECK(!want.ua[0].is_new);
    identity_free(&want);
    CHECK_EQ_INT(plan("null", &cur, &want, &e), 0);
    CHECK(!want.system && !want.user);
    identity_free(&want);
    identity_free(&cur);
}

TEST(readonly_fields_are_ignored_and_system_principal_kept)
{
    arm_identity cur, want;
    mident_error e;
    current(&cur);
    CHECK_EQ_INT(plan("{\"type\":\"SystemAssigned, UserAssigned\",\"principalId\":\"forged\","
                      "\"tenantId\":\"forged\",\"userAssignedIdentities\":{\"" UA1_LOWER "\":"
                      "{\"principalId\":\"forged\",\"clientId\":\"forged\"}}}",
                      &cur, &want, &e), 0);
    CHECK_EQ_STR(want.principal_id, "sys-p");
    CHECK_EQ_STR(want.tenant_id, "t");
    CHECK_EQ_INT(want.n_ua, 1);
    CHECK_EQ_STR(want.ua[0].id, UA1); /* the stored key survives */
    CHECK_EQ_STR(want.ua[0].principal_id, "p1");
    CHECK(!want.ua[0].is_new);
    identity_free(&want);
    identity_free(&cur);
}

TEST(system_off_then_on_asks_for_a_new_principal)
{
    arm_identity cur, off, on;
    mident_error e;
    current(&cur);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\"}", &cur, &off, &e), 0);
    CHECK(!off.system && off.user);
    CHECK_EQ_STR(off.principal_id, "");
    CHECK_EQ_INT(off.n_ua, 1); /* omitted map keeps what is attached */
    CHECK_EQ_INT(plan("{\"type\":\"SystemAssigned,UserAssigned\"}", &off, &on, &e), 0);
    CHECK(on.system);
    CHECK_EQ_STR(on.principal_id, ""); /* to be created */
    identity_free(&off);
    identity_free(&on);
    identity_free(&cur);
}

TEST(attach_two_remove_one)
{
    arm_identity cur, want, after;
    mident_error e;
    current(&cur);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UA1
                      "\":{},\"" UA2 "\":{}}}", &cur, &want, &e), 0);
    CHECK_EQ_INT(want.n_ua, 2);
    const identity_ua *u = NULL;
    CHECK(identity_has_ua(&want, UA2, &u));
    CHECK(u && u->is_new);
    CHECK(identity_has_ua(&want, UA1_LOWER, &u));
    CHECK(u && !u->is_new);
    /* removal by null value (merge-patch style) */
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UA1
                      "\":null,\"" UA2 "\":{}}}", &want, &after, &e), 0);
    CHECK_EQ_INT(after.n_ua, 1);
    CHECK(!identity_has_ua(&after, UA1, NULL));
    identity_free(&after);
    identity_free(&want);
    identity_free(&cur);
}

TEST(type_without_user_detaches_all)
{
    arm_identity cur, want;
    mident_error e;
    current(&cur);
    CHECK_EQ_INT(plan("{\"type\":\"None\",\"userAssignedIdentities\":null}", &cur, &want, &e), 0);
    CHECK(!want.system && !want.user);
    CHECK_EQ_INT(want.n_ua, 0);
    identity_free(&want);
    CHECK_EQ_INT(plan("{\"type\":\"SystemAssigned\",\"userAssignedIdentities\":{\"" UA1
                      "\":{}}}", &cur, &want, &e), 0);
    CHECK_EQ_INT(want.n_ua, 0);
    CHECK_EQ_STR(want.principal_id, "sys-p");
    identity_free(&want);
    identity_free(&cur);
}

TEST(rejects_bad_blocks)
{
    arm_identity cur, want;
    mident_error e;
    current(&cur);
    CHECK_EQ_INT(plan("{\"type\":\"Sometimes\"}", &cur, &want, &e), -1);
    CHECK_EQ_INT(plan("{}", &cur, &want, &e), -1);
    CHECK_EQ_INT(plan("\"SystemAssigned\"", &cur, &want, &e), -1);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":null}", &cur, &want, &e), -1);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{}}", &cur, &want, &e), -1);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"notanid\":{}}}", &cur, &want, &e), -1);
    CHECK_EQ_INT(e.code, MIDENT_EINVAL);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UA2 "\":5}}", &cur, &want, &e), -1);
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":[]}", &cur, &want, &e), -1);
    /* the same identity twice, differing in case */
    CHECK_EQ_INT(plan("{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{\"" UA1
                      "\":{},\"" UA1_LOWER "\":{}}}", &cur, &want, &e), -1);
    identity_free(&cur);
}

TEST(json_form)
{
    arm_identity cur;
    current(&cur);
    cJSON *j = identity_to_json(&cur);
    char *s = json_print(j);
    CHECK_EQ_STR(s, "{\"type\":\"SystemAssigned,UserAssigned\",\"principalId\":\"sys-p\","
                    "\"tenantId\":\"t\",\"userAssignedIdentities\":{\"" UA1 "\":"
                    "{\"principalId\":\"p1\",\"clientId\":\"c1\"}}}");
    free(s);
    cJSON_Delete(j);
    arm_identity none = {0};
    j = identity_to_json(&none);
    s = json_print(j);
    CHECK_EQ_STR(s, "{\"type\":\"None\"}");
    free(s);
    cJSON_Delete(j);
    identity_free(&cur);
}

static char *merged(const char *target, const char *patch)
{
    cJSON *t = J(target), *p = J(patch);
    mident_error e;
    char *s = NULL;
    if (json_merge_patch(t, p, &e) == 0)
        s = json_print(t);
    cJSON_Delete(t);
    cJSON_Delete(p);
    return s;
}

TEST(merge_patch_rfc7386)
{
    char *s;
    s = merged("{\"a\":\"b\"}", "{\"a\":\"c\"}");
    CHECK_EQ_STR(s, "{\"a\":\"c\"}");
    free(s);
    s = merged("{\"a\":\"b\"}", "{\"b\":\"c\"}");
    CHECK_EQ_STR(s, "{\"a\":\"b\",\"b\":\"c\"}");
    free(s);
    s = merged("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}");
    CHECK_EQ_STR(s, "{\"b\":\"c\"}");
    free(s);
    s = merged("{\"a\":[\"b\"]}", "{\"a\":\"c\"}");
    CHECK_EQ_STR(s, "{\"a\":\"c\"}");
    free(s);
    s = merged("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}");
    CHECK_EQ_STR(s, "{\"a\":{\"b\":\"d\"}}");
    free(s);
    s = merged("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}");
    CHECK_EQ_STR(s, "{\"a\":[1]}");
    free(s);
    s = merged("{\"e\":null}", "{\"a\":1}");
    CHECK_EQ_STR(s, "{\"e\":null,\"a\":1}");
    free(s);
    s = merged("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}");
    CHECK_EQ_STR(s, "{\"a\":{\"bb\":{}}}");
    free(s);
    s = merged("{\"a\":\"x\"}", "{\"a\":{\"b\":1}}");
    CHECK_EQ_STR(s, "{\"a\":{\"b\":1}}");
    free(s);
}

TEST(merge_patch_names_are_case_insensitive)
{
    char *s = merged("{\"Identity\":{\"userAssignedIdentities\":{\"" UA1 "\":{\"principalId\":\"p\"}}}}",
                     "{\"identity\":{\"userassignedidentities\":{\"" UA1_LOWER "\":null}}}");
    CHECK_EQ_STR(s, "{\"Identity\":{\"userAssignedIdentities\":{}}}");
    free(s);
    s = merged("{\"Tags\":{\"a\":\"1\"}}", "{\"tags\":{\"A\":\"2\"}}");
    CHECK_EQ_STR(s, "{\"Tags\":{\"a\":\"2\"}}");
    free(s);
    mident_error e;
    cJSON *t = J("{}"), *arr = J("[]");
    CHECK_EQ_INT(json_merge_patch(t, arr, &e), -1);
    cJSON_Delete(t);
    cJSON_Delete(arr);
}
