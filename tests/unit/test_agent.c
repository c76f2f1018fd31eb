/* test_agent.c -- the node agent's token cache (single flight, refresh
 * ahead, serving while the token service is down, drops) with a fake node
 * channel, and its view of an app document (spec.c). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/json.h"
#include "harness.h"

typedef struct {
    agent_channel base;
    int mints;              /* atomic */
    int delay_ms;
    int64_t life;           /* exp - nbf of minted tokens */
    int64_t age;            /* nbf = now - age */
    mident_code fail;       /* MIDENT_OK or the error to return */
} fake_channel;

static int fake_mint(agent_channel *ch, const channel_mint_req *req,
                     channel_token *out, mident_error *err)
{
    fake_channel *f = (fake_channel *)ch;
    memset(out, 0, sizeof *out);
    int n = __atomic_add_fetch(&f->mints, 1, __ATOMIC_SEQ_CST);
    if (f->delay_ms)
        usleep((useconds_t)f->delay_ms * 1000);
    if (f->fail != MIDENT_OK)
        return mid_fail(err, f->fail, "fake failure");
    char tok[256];
    snprintf(tok, sizeof tok, "token-%d-%s-%s", n, req->object_id, req->resource);
    out->access_token = strdup(tok);
    snprintf(out->client_id, sizeof out->client_id, "cid");
    out->nbf = (int64_t)time(NULL) - f->age;
    out->exp = out->nbf + f->life;
    return 0;
}

static void fake_free(agent_channel *ch) { (void)ch; }

static fake_channel fake(int64_t life)
{
    fake_channel f;
    memset(&f, 0, sizeof f);
    f.base.mint = fake_mint;
    f.base.free = fake_free;
    f.life = life;
    f.fail = MIDENT_OK;
    return f;
}

static cache_req req_for(const char *app, const char *oid, const char *res)
{
    cache_req r = {.app_key = app, .app_id = app, .replica = "rep-1",
                   .object_id = oid, .resource = res};
    return r;
}

static char *get(ag_cache *c, const char *app, const char *oid, const char *res,
                 mident_code *code)
{
    cache_req r = req_for(app, oid, res);
    buf b;
    buf_init(&b);
    mident_error err;
    mid_err_clear(&err);
    int rc = cache_get(c, &r, &b, &err);
    if (code)
        *code = rc == 0 ? MIDENT_OK : err.code;
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

static const char *tok_of(const char *body, char *out, size_t n)
{
    cJSON *d = json_parse(body, strlen(body), NULL);
    const char *t = json_get_str(d, "access_token");
    snprintf(out, n, "%s", t ? t : "");
    cJSON_Delete(d);
    return out;
}

TEST(cache_body_has_the_app_service_fields)
{
    fake_channel f = fake(3600);
    ag_cache *c = cache_new(&f.base, "node1", NULL);
    char *b = get(c, "app", "oid-1", "https://vault.azure.net", NULL);
    CHECK(b != NULL);
    cJSON *d = json_parse(b, strlen(b), NULL);
    CHECK(d != NULL);
    CHECK_EQ_STR(json_get_str(d, "token_type"), "Bearer");
    CHECK_EQ_STR(json_get_str(d, "resource"), "https://vault.azure.net");
    CHECK_EQ_STR(json_get_str(d, "client_id"), "cid");
    const char *eo = json_get_str(d, "expires_on"), *nb = json_get_str(d, "not_before");
    CHECK(eo && nb && atoll(eo) - atoll(nb) == 3600);
    cJSON_Delete(d);
    free(b);
    cache_free(c);
}

typedef struct {
    ag_cache *c;
    char tok[256];
} worker;

static void *miss(void *arg)
{
    worker *w = arg;
    char *b = get(w->c, "app", "oid-1", "https://r", NULL);
    if (b)
        tok_of(b, w->tok, sizeof w->tok);
    free(b);
    return NULL;
}

TEST(cache_concurrent_misses_make_one_mint)
{
    fake_channel f = fake(3600);
    f.delay_ms = 100;
    ag_cache *c = cache_new(&f.base, "node1", NULL);
    worker w[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].c = c;
        pthread_create(&t[i], NULL, miss, &w[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(f.mints, 1);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_STR(w[i].tok, w[0].tok);
    /* a hit afterwards does not mint either */
    free(get(c, "app", "oid-1", "https://r", NULL));
    CHECK_EQ_INT(f.mints, 1);
    cache_free(c);
}

TEST(cache_keys_by_app_identity_and_exact_resource)
{
    fake_channel f = fake(3600);
    ag_cache *c = cache_new(&f.base, "node1", NULL);
    free(get(c, "app", "oid-1", "https://r", NULL));
    free(get(c, "app", "oid-1", "https://r/", NULL));
    free(get(c, "app", "oid-2", "https://r", NULL));
    free(get(c, "other", "oid-1", "https://r", NULL));
    CHECK_EQ_INT(f.mints, 4);
    CHECK_EQ_INT(cache_size(c), 4);
    cache_free(c);
}

TEST(cache_serves_cached_tokens_while_the_service_is_down)
{
    fake_channel f = fake(3600);
    ag_cache *c = cache_new(&f.base, "node1", NULL);
    char t1[256], t2[256];
    char *b = get(c, "app", "oid-1", "https://r", NULL);
    tok_of(b, t1, sizeof t1);
    free(b);
    f.fail = MIDENT_EUNAVAILABLE;
    mident_code code;
    b = get(c, "app", "oid-1", "https://r", &code);
    CHECK_EQ_INT(code, MIDENT_OK);
    CHECK(b != NULL);
    if (b)
        CHECK_EQ_STR(tok_of(b, t2, sizeof t2), t1);
    free(b);
    b = get(c, "app", "oid-1", "https://new", &code);
    CHECK(b == NULL);
    CHECK_EQ_INT(code, MIDENT_EUNAVAILABLE);
    /* recovers */
    f.fail = MIDENT_OK;
    b = get(c, "app", "oid-1", "https://new", &code);
    CHECK_EQ_INT(code, MIDENT_OK);
    free(b);
    cache_free(c);
}

TEST(cache_refreshes_ahead_at_half_life_when_used)
{
    /* Tokens minted "60 s ago" with a 100 s lifetime: past their refresh
     * time (45..55 s) but still servable (margin 10 s). */
    fake_channel f = fake(100);
    f.age = 60;
    ag_cache *c = cache_new(&f.base, "node1", NULL);
    char t1[256], t2[256];
    char *b = get(c, "app", "oid-1", "https://r", NULL);
    tok_of(b, t1, sizeof t1);
    free(b);
    /* not asked for again since minted: kept but not refreshed */
    cache_tick(c);
    CHECK_EQ_INT(f.mints, 1);
    sleep(1); /* a later request counts as use after the mint */
    b = get(c, "app", "oid-1", "https://r", NULL);
    CHECK_EQ_STR(tok_of(b, t2, sizeof t2), t1); /* served from the cache */
    free(b);
    CHECK_EQ_INT(f.mints, 1);
    cache_tick(c);
    CHECK_EQ_INT(f.mints, 2); /* refreshed in the background */
    b = get(c, "app", "oid-1", "https://r", NULL);
    CHECK(strcmp(tok_of(b, t2, sizeof t2), t1) != 0);
    free(b);
    /* a failed refresh keeps the cached token */
    f.fail = MIDENT_EUNAVAILABLE;
    sleep(1);
    free(get(c, "app", "oid-1", "https://r", NULL));
    cache_tick(c);
    CHECK_EQ_INT(f.mints, 3);
    mident_code code;
    b = get(c, "app", "oid-1", "https://r", &code);
    CHECK_EQ_INT(code, MIDENT_OK);
    free(b);
    cache_free(c);
}

TEST(cache_drops_by_identity_and_app_and_on_refusal)
{
    fake_channel f = fake(3600);
    ag_cache *c = cache_new(&f.base, "node1", NULL);
    free(get(c, "a", "o1", "r", NULL));
    free(get(c, "a", "o2", "r", NULL));
    free(get(c, "b", "o1", "r", NULL));
    cache_drop(c, "a", "o1");
    CHECK_EQ_INT(cache_size(c), 2);
    cache_drop(c, NULL, "o1");
    CHECK_EQ_INT(cache_size(c), 1);
    cache_drop(c, "a", NULL);
    CHECK_EQ_INT(cache_size(c), 0);
    /* a refusal is not cached */
    f.fail = MIDENT_EFORBIDDEN;
    mident_code code;
    CHECK(get(c, "a", "o1", "r", &code) == NULL);
    CHECK_EQ_INT(code, MIDENT_EFORBIDDEN);
    CHECK_EQ_INT(cache_size(c), 0);
    cache_free(c);
}

static int client_of(void *ctx, const char *oid, char client_id[37])
{
    (void)ctx;
    (void)oid;
    snprintf(client_id, 37, "11111111-1111-1111-1111-111111111111");
    return 0;
}

TEST(spec_reads_the_stored_app_document)
{
    const char *doc_text =
        "{\"identity\":{\"type\":\"SystemAssigned,UserAssigned\","
        "\"principalId\":\"aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa\","
        "\"userAssignedIdentities\":{\"/subscriptions/s/resourceGroups/RG/providers/"
        "Microsoft.ManagedIdentity/userAssignedIdentities/u\":{\"principalId\":"
        "\"bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb\",\"clientId\":"
        "\"cccccccc-cccc-cccc-cccc-cccccccccccc\"}}},"
        "\"properties\":{\"runningStatus\":\"Running\",\"latestRevisionName\":\"app--r1\","
        "\"configuration\":{\"secrets\":[{\"name\":\"pw\",\"value\":\"hunter2\"}]},"
        "\"template\":{\"containers\":[{\"name\":\"m\",\"image\":\"img\","
        "\"command\":[\"/bin/sh\"],\"args\":[\"-c\",\"x\"],\"env\":[{\"name\":\"A\","
        "\"value\":\"1\"},{\"name\":\"P\",\"secretRef\":\"pw\"}]}],"
        "\"scale\":{\"minReplicas\":3}}}}";
    cJSON *doc = json_parse(doc_text, strlen(doc_text), NULL);
    const char *id = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.App/containerApps/App";
    ag_spec *s = spec_from_doc(id, doc, client_of, NULL, NULL);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_STR(s->rg, "rg");
        CHECK_EQ_STR(s->name, "app");
        CHECK(s->has_system);
        CHECK_EQ_STR(s->system.client_id, "11111111-1111-1111-1111-111111111111");
        CHECK_EQ_STR(s->system.resource_id, id);
        CHECK_EQ_INT(s->n_ua, 1);
        CHECK(spec_has_identity(s, "BBBBBBBB-bbbb-bbbb-bbbb-bbbbbbbbbbbb"));
        CHECK(!spec_has_identity(s, "cccccccc-cccc-cccc-cccc-cccccccccccc"));
        CHECK_EQ_STR(s->argv[0], "/bin/sh");
        CHECK_EQ_STR(s->argv[2], "x");
        CHECK(s->argv[3] == NULL);
        CHECK_EQ_STR(s->env[1], "P=hunter2");
        CHECK_EQ_INT(s->want, 3);
        CHECK_EQ_STR(s->revision, "app--r1");
    }
    /* stopped -> no replicas; identity changes keep the fingerprint */
    cJSON *props = json_get_ci(doc, "properties");
    cJSON_ReplaceItemInObject(props, "runningStatus", cJSON_CreateString("Stopped"));
    cJSON_ReplaceItemInObject(doc, "identity", cJSON_CreateNull());
    ag_spec *t = spec_from_doc(id, doc, client_of, NULL, NULL);
    CHECK(t != NULL);
    if (s && t) {
        CHECK_EQ_INT(t->want, 0);
        CHECK(!t->has_system);
        CHECK_EQ_INT(t->n_ua, 0);
        CHECK_EQ_STR(t->fingerprint, s->fingerprint);
    }
    spec_unref(s);
    spec_unref(t);
    cJSON_Delete(doc);
}
