/* test_sts_node.c -- the token service's side of the node channel
 * (sts_node_mint): it re-checks at mint time that the node is registered,
 * the app exists and runs, and the identity is assigned to it right now;
 * and it audits the app, replica and node. Uses a real store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/channel.h"
#include "core/json.h"
#include "harness.h"
#include "store/store.h"
#include "sts/directory.h"
#include "sts/sts.h"

#define APP "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/app1"
#define UA "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u1"

typedef struct {
    char dir[64];
    mid_store *st;
    sts *sts;
    store_principal sys, ua, other;
} fixture;

static void put_app(fixture *f, const char *running, int with_ua)
{
    char doc[2048];
    snprintf(doc, sizeof doc,
             "{\"identity\":{\"type\":\"%s\",\"principalId\":\"%s\","
             "\"userAssignedIdentities\":{\"%s\":{\"principalId\":\"%s\","
             "\"clientId\":\"%s\"}}},\"properties\":{\"runningStatus\":\"%s\"}}",
             with_ua ? "SystemAssigned,UserAssigned" : "SystemAssigned",
             f->sys.object_id, UA, f->ua.object_id, f->ua.app_id, running);
    CHECK(store_resource_put(f->st, APP, "Microsoft.App/containerApps", doc, NULL,
                             NULL, NULL, NULL) == 0);
}

static int setup(fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/mident-node-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/mident.db", f->dir);
    mident_error err;
    if (!(f->st = store_open(path, &err)))
        return -1;
    directory_info di;
    char *secret = NULL;
    if (directory_bootstrap(f->st, &di, &secret, &err) < 0)
        return -1;
    free(secret);
    sts_config cfg = {.public_url = "https://127.0.0.1:8443", .tenant_id = di.tenant_id};
    if (!(f->sts = sts_new(f->st, &cfg, &err)))
        return -1;
    if (directory_create_managed_identity(f->st, "app1", APP, &f->sys, &err) < 0 ||
        directory_create_managed_identity(f->st, "u1", UA, &f->ua, &err) < 0 ||
        directory_create_managed_identity(f->st, "u2", UA "x", &f->other, &err) < 0)
        return -1;
    put_app(f, "Running", 1);
    return sts_node_register(f->sts, "node-a", &err);
}

static void teardown(fixture *f)
{
    sts_free(f->sts);
    store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

static mident_code mint(fixture *f, const char *node, const char *oid)
{
    sts_node_mint_req r = {.node = node, .app_resource_id = APP, .replica = "rep-1",
                           .object_id = oid, .audience = "https://vault.azure.net"};
    sts_token t;
    mident_error err;
    mid_err_clear(&err);
    int rc = sts_node_mint(f->sts, &r, &t, &err);
    if (rc == 0) {
        sts_token_free(&t);
        return MIDENT_OK;
    }
    return err.code;
}

TEST(node_mint_rechecks_assignment_node_and_app_state)
{
    fixture f;
    if (setup(&f) < 0) {
        CHECK(!"setup failed");
        return;
    }
    CHECK_EQ_INT(mint(&f, "node-a", f.sys.object_id), MIDENT_OK);
    CHECK_EQ_INT(mint(&f, "node-a", f.ua.object_id), MIDENT_OK);
    /* not assigned to this app */
    CHECK_EQ_INT(mint(&f, "node-a", f.other.object_id), MIDENT_EFORBIDDEN);
    /* an unknown node */
    CHECK_EQ_INT(mint(&f, "node-b", f.sys.object_id), MIDENT_EFORBIDDEN);
    /* unassigned now: refused at the very next mint */
    put_app(&f, "Running", 0);
    CHECK_EQ_INT(mint(&f, "node-a", f.ua.object_id), MIDENT_EFORBIDDEN);
    CHECK_EQ_INT(mint(&f, "node-a", f.sys.object_id), MIDENT_OK);
    /* a stopped app is not scheduled anywhere */
    put_app(&f, "Stopped", 1);
    CHECK_EQ_INT(mint(&f, "node-a", f.sys.object_id), MIDENT_EFORBIDDEN);
    /* a deleted identity or app */
    put_app(&f, "Running", 1);
    CHECK(directory_delete_principal(f.st, f.ua.object_id, NULL) == 0);
    CHECK_EQ_INT(mint(&f, "node-a", f.ua.object_id), MIDENT_EFORBIDDEN);
    CHECK(store_resource_delete(f.st, APP, NULL, NULL) == 0);
    CHECK_EQ_INT(mint(&f, "node-a", f.sys.object_id), MIDENT_EFORBIDDEN);
    teardown(&f);
}

TEST(node_mint_audits_app_replica_and_node)
{
    fixture f;
    if (setup(&f) < 0) {
        CHECK(!"setup failed");
        return;
    }
    /* through the in-process channel, as the agent does */
    agent_channel *ch = channel_local_new(f.sts, NULL, NULL);
    channel_mint_req r = {.node = "node-a", .app_resource_id = APP, .replica = "app1--r1-abc",
                          .object_id = f.ua.object_id, .resource = "https://vault.azure.net/"};
    channel_token t;
    CHECK(ch->mint(ch, &r, &t, NULL) == 0);
    CHECK_EQ_STR(t.client_id, f.ua.app_id);
    CHECK(t.exp > t.nbf);
    channel_token_free(&t);
    store_audit_row *rows = NULL;
    size_t n = 0;
    CHECK(store_audit_list(f.st, 0, 100, &rows, &n, NULL) == 0);
    CHECK_EQ_INT(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(rows[0].grant, "managed_identity");
        CHECK_EQ_STR(rows[0].app_resource_id, APP);
        CHECK_EQ_STR(rows[0].replica, "app1--r1-abc");
        CHECK_EQ_STR(rows[0].node, "node-a");
        CHECK_EQ_STR(rows[0].object_id, f.ua.object_id);
        CHECK_EQ_STR(rows[0].audience, "https://vault.azure.net/");
        CHECK_EQ_STR(rows[0].identity_resource_id, UA);
    }
    free(rows);
    ch->free(ch);

    /* the test hook: the channel fails as "unreachable" while the file exists */
    char hook[128];
    snprintf(hook, sizeof hook, "%s/sts-down", f.dir);
    ch = channel_local_new(f.sts, hook, NULL);
    FILE *fh = fopen(hook, "w");
    if (fh)
        fclose(fh);
    mident_error err;
    CHECK(ch->mint(ch, &r, &t, &err) < 0);
    CHECK_EQ_INT(err.code, MIDENT_EUNAVAILABLE);
    unlink(hook);
    CHECK(ch->mint(ch, &r, &t, &err) == 0);
    channel_token_free(&t);
    ch->free(ch);
    teardown(&f);
}

TEST(node_credential_is_random_hashed_and_checked)
{
    fixture f;
    if (setup(&f) < 0) {
        CHECK(!"setup failed");
        return;
    }
    char *s1 = NULL, *s2 = NULL;
    mident_error err;
    CHECK(sts_node_add(f.st, "node-r", &s1, &err) == 0);
    CHECK(s1 && strlen(s1) == 43); /* 256 bits, base64url */
    CHECK(sts_node_auth(f.sts, "node-r", s1, NULL) == 0);
    /* only the hash is stored */
    char *stored = NULL;
    CHECK(store_meta_get(f.st, "node-secret:node-r", &stored, NULL) == 0);
    CHECK(stored && strlen(stored) == 64 && !strstr(stored, s1));
    free(stored);
    /* wrong secret, unknown node, empty: one answer */
    mid_err_clear(&err);
    CHECK(sts_node_auth(f.sts, "node-r", "x", &err) < 0);
    CHECK_EQ_INT(err.code, MIDENT_EAUTH);
    CHECK(sts_node_auth(f.sts, "node-a", s1, NULL) < 0); /* no credential */
    CHECK(sts_node_auth(f.sts, "nope", s1, NULL) < 0);
    CHECK(sts_node_auth(f.sts, "node-r", "", NULL) < 0);
    /* adding again replaces the secret; the node is registered for mints */
    CHECK(sts_node_add(f.st, "node-r", &s2, NULL) == 0);
    CHECK(s2 && strcmp(s1, s2) != 0);
    CHECK(sts_node_auth(f.sts, "node-r", s1, NULL) < 0);
    CHECK(sts_node_auth(f.sts, "node-r", s2, NULL) == 0);
    CHECK_EQ_INT(mint(&f, "node-r", f.sys.object_id), MIDENT_OK);
    char *s3 = NULL;
    CHECK(sts_node_add(f.st, "bad name", &s3, &err) < 0);
    CHECK(s3 == NULL);
    /* removing revokes at once, and only that node's credential */
    char *other = NULL;
    CHECK(sts_node_add(f.st, "node-o", &other, NULL) == 0);
    CHECK(sts_node_remove(f.st, "node-r", &err) == 0);
    CHECK(sts_node_auth(f.sts, "node-r", s2, NULL) < 0);
    CHECK(sts_node_auth(f.sts, "node-o", other, NULL) == 0);
    CHECK(sts_node_remove(f.st, "node-r", &err) < 0);
    CHECK_EQ_INT(err.code, MIDENT_ENOTFOUND);
    CHECK(store_meta_get(f.st, "node-secret:node-r", &stored, NULL) < 0);
    free(other);
    free(s1);
    free(s2);
    teardown(&f);
}
