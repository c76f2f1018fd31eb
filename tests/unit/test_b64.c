/* test_b64.c -- base64 / base64url codecs (core/b64.h): round trips,
 * RFC 4648 vectors, and the strictness the JWT verifier relies on. */
#include "core/b64.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int round_trips(char *(*enc)(const void *, size_t),
                       unsigned char *(*dec)(const char *, size_t, size_t *),
                       const unsigned char *data, size_t len)
{
    char *s = enc(data, len);
    if (!s)
        return 0;
    size_t out_len = 999;
    unsigned char *back = dec(s, strlen(s), &out_len);
    int ok = back && out_len == len && memcmp(back, data, len) == 0 &&
             back[len] == 0; /* NUL after the data, as b64.h promises */
    free(s);
    free(back);
    return ok;
}

TEST(round_trip_all_lengths)
{
    unsigned char data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 37 + 0xfb); /* every bit pattern mix */
    for (size_t len = 0; len <= sizeof data; len++) {
        CHECK(round_trips(b64url_encode, b64url_decode, data, len));
        CHECK(round_trips(b64_encode, b64_decode, data, len));
    }
}

TEST(round_trip_high_bytes_use_url_alphabet)
{
    const unsigned char data[] = {0xfb, 0xff, 0xbf, 0xfe};
    char *u = b64url_encode(data, sizeof data);
    char *s = b64_encode(data, sizeof data);
    CHECK_EQ_STR(u, "-_-__g");
    CHECK_EQ_STR(s, "+/+//g==");
    free(u);
    free(s);
}

TEST(rfc4648_vectors)
{
    static const struct {
        const char *in, *std, *url;
    } v[] = {
        {"", "", ""},
        {"f", "Zg==", "Zg"},
        {"fo", "Zm8=", "Zm8"},
        {"foo", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *s = b64_encode(v[i].in, strlen(v[i].in));
        char *u = b64url_encode(v[i].in, strlen(v[i].in));
        CHECK_EQ_STR(s, v[i].std);
        CHECK_EQ_STR(u, v[i].url);
        free(s);
        free(u);
        size_t n = 0;
        unsigned char *d = b64_decode(v[i].std, strlen(v[i].std), &n);
        CHECK(d && n == strlen(v[i].in) && memcmp(d, v[i].in, n) == 0);
        free(d);
        d = b64url_decode(v[i].url, strlen(v[i].url), &n);
        CHECK(d && n == strlen(v[i].in) && memcmp(d, v[i].in, n) == 0);
        free(d);
    }
}

TEST(standard_padding_is_optional)
{
    size_t n = 0;
    unsigned char *d = b64_decode("Zm8", 3, &n);
    CHECK(d && n == 2 && memcmp(d, "fo", 2) == 0);
    free(d);
}

static int url_rejects(const char *s)
{
    size_t n = 0;
    unsigned char *d = b64url_decode(s, strlen(s), &n);
    free(d);
    return d == NULL;
}

static int std_rejects(const char *s)
{
    size_t n = 0;
    unsigned char *d = b64_decode(s, strlen(s), &n);
    free(d);
    return d == NULL;
}

TEST(url_rejects_bad_characters)
{
    CHECK(url_rejects("Zm9v+g"));   /* standard alphabet */
    CHECK(url_rejects("Zm9v/g"));
    CHECK(url_rejects("Zm 9v"));
    CHECK(url_rejects("Zm9v\n"));
    CHECK(url_rejects("Zm.9"));
    CHECK(url_rejects("Zm9\xc3\xa9"));
    /* An embedded NUL inside the given length is not the alphabet either. */
    size_t n = 0;
    unsigned char *d = b64url_decode("Zm\0v", 4, &n);
    CHECK(d == NULL);
    free(d);
}

TEST(url_rejects_padding)
{
    CHECK(url_rejects("Zg=="));
    CHECK(url_rejects("Zm8="));
    CHECK(url_rejects("="));
}

TEST(std_rejects_url_alphabet_and_junk)
{
    CHECK(std_rejects("-_-__g=="));
    CHECK(std_rejects("Zm9v!"));
    CHECK(std_rejects("Zm=9v"));
}

TEST(rejects_impossible_length)
{
    /* 4k+1 characters can never come from whole bytes. */
    CHECK(url_rejects("Z"));
    CHECK(url_rejects("Zm9vY"));
    CHECK(url_rejects("Zm9vYmFyZ"));
    CHECK(std_rejects("Zm9vY"));
}

TEST(rejects_non_canonical_trailing_bits)
{
    /* "Zg" is 'f'; "Zh" decodes to 'f' too but with non-zero unused bits,
     * so two different strings would name the same bytes. */
    CHECK(!url_rejects("Zg"));
    CHECK(url_rejects("Zh"));
    CHECK(url_rejects("Zm9"));  /* "fo" is Zm8 */
    CHECK(!url_rejects("Zm8"));
    CHECK(std_rejects("Zh=="));
    CHECK(std_rejects("Zm9="));
}

TEST(empty_input_decodes_to_empty)
{
    size_t n = 7;
    unsigned char *d = b64url_decode("", 0, &n);
    CHECK(d != NULL);
    CHECK_EQ_INT(n, 0);
    free(d);
}
