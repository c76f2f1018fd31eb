/* test_core.c -- core helpers: strict JSON, forms, buffers, ids, secrets. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/form.h"
#include "core/json.h"
#include "core/rand.h"
#include "harness.h"

static int parses(const char *s)
{
    mident_error err;
    cJSON *j = json_parse(s, strlen(s), &err);
    cJSON_Delete(j);
    return j != NULL;
}

TEST(json_accepts_documents)
{
    CHECK(parses("{\"a\":1,\"b\":[1,2,{\"c\":null}]}"));
    CHECK(parses("  {\"a\":\"x\"}  \n"));
    CHECK(parses("[]"));
}

TEST(json_rejects_duplicates_garbage_and_depth)
{
    CHECK(!parses("{\"a\":1,\"a\":2}"));
    CHECK(!parses("{\"o\":{\"k\":1,\"k\":1}}"));
    CHECK(!parses("[{\"x\":1,\"y\":2,\"x\":3}]"));
    CHECK(!parses("{\"a\":1} trailing"));
    CHECK(!parses("{\"a\":"));
    CHECK(!parses(""));
    char deep[400];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    CHECK(!parses(deep));
    mident_error err;
    cJSON *j = json_parse("{\"a\":1,\"a\":2}", 13, &err);
    CHECK(j == NULL);
    CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    CHECK(strstr(err.message, "duplicate") != NULL);
}

TEST(json_numbers_are_read_as_int64_not_int)
{
    mident_error err;
    const char *s = "{\"exp\":4102444800,\"f\":1.5,\"s\":\"1\"}";
    cJSON *j = json_parse(s, strlen(s), &err);
    CHECK(j != NULL);
    CHECK_EQ_INT(json_get_int64(j, "exp", -1), 4102444800LL);
    CHECK_EQ_INT(json_get_int64(j, "f", -1), -1);
    CHECK_EQ_INT(json_get_int64(j, "s", -1), -1);
    CHECK_EQ_INT(json_get_int64(j, "missing", 7), 7);
    CHECK(json_get_ci(j, "EXP") != NULL);
    cJSON_Delete(j);
}

TEST(form_parses_and_decodes)
{
    form f;
    mident_error err;
    const char *b = "grant_type=client_credentials&scope=https%3A%2F%2Fx%2F.default"
                    "&a+b=c+d&empty=&flag";
    CHECK_EQ_INT(form_parse(b, strlen(b), &f, &err), 0);
    CHECK_EQ_STR(form_get(&f, "grant_type"), "client_credentials");
    CHECK_EQ_STR(form_get(&f, "scope"), "https://x/.default");
    CHECK_EQ_STR(form_get(&f, "a b"), "c d");
    CHECK_EQ_STR(form_get(&f, "empty"), "");
    CHECK_EQ_STR(form_get(&f, "flag"), "");
    CHECK(form_get(&f, "nope") == NULL);
    form_free(&f);
}

TEST(form_rejects_repeats_bad_escapes_and_nul)
{
    form f;
    mident_error err;
    const char *bad[] = {"a=1&a=2", "a=%zz", "a=%4", "a=%", "a=%00", "=x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_EQ_INT(form_parse(bad[i], strlen(bad[i]), &f, &err), -1);
        CHECK_EQ_INT(err.code, MIDENT_EINVAL);
    }
    buf many;
    buf_init(&many);
    for (int i = 0; i < FORM_MAX_FIELDS + 1; i++)
        buf_printf(&many, "k%d=v&", i);
    CHECK_EQ_INT(form_parse(many.data, many.len, &f, &err), -1);
    buf_free(&many);
}

TEST(url_encode_round_trips)
{
    const char *s = "https://management.core.windows.net//.default a+b&c=d~";
    char *e = url_encode(s);
    CHECK(e && !strpbrk(e, ":/ +&="));
    char *d = url_decode(e, strlen(e), 0);
    CHECK_EQ_STR(d, s);
    free(e);
    free(d);
}

TEST(buf_grows_and_steals)
{
    buf b;
    buf_init(&b);
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    CHECK(!buf_failed(&b));
    CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
    size_t n = 0;
    char *s = buf_steal(&b, &n);
    CHECK_EQ_INT(n, strlen(s));
    CHECK(b.data == NULL && b.len == 0);
    free(s);
}

TEST(uuids_are_v4_and_distinct)
{
    char a[UUID_STR_LEN], b[UUID_STR_LEN];
    CHECK_EQ_INT(uuid_v4(a, NULL), 0);
    CHECK_EQ_INT(uuid_v4(b, NULL), 0);
    CHECK(uuid_valid(a) && uuid_valid(b));
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(a[14], '4');
    CHECK(strchr("89ab", a[19]) != NULL);
    CHECK(!uuid_valid("not-a-uuid"));
    CHECK(!uuid_valid("0000000000000000000000000000000000000"));
}

TEST(secrets_have_256_bits_and_compare_exactly)
{
    char *s = rand_secret(32, NULL);
    CHECK(s && strlen(s) == 43);
    char *t = rand_secret(32, NULL);
    CHECK(strcmp(s, t) != 0);
    CHECK(secret_equal(s, s));
    CHECK(!secret_equal(s, t));
    CHECK(!secret_equal("abc", "abcd"));
    CHECK(!secret_equal(NULL, "a"));
    free(s);
    free(t);
}

TEST(url_port_reads_explicit_ports_only)
{
    CHECK_EQ_INT(url_port("https://127.0.0.1:8443/"), 8443);
    CHECK_EQ_INT(url_port("https://127.0.0.1:9000"), 9000);
    CHECK_EQ_INT(url_port("https://[::1]:4443/secrets/x"), 4443);
    CHECK_EQ_INT(url_port("https://[::1]/secrets"), 0);
    CHECK_EQ_INT(url_port("https://vault.example/a:b"), 0);
    CHECK_EQ_INT(url_port("https://vault.example?x=a:1"), 0);
    CHECK_EQ_INT(url_port("no scheme:80"), 0);
    CHECK_EQ_INT(url_port(NULL), 0);
}
