/*
 * harness.h -- a tiny unit-test harness.
 *
 * A test file defines tests with TEST(name) { ... } and checks with
 * CHECK(cond) / CHECK_EQ_STR(a, b) / CHECK_EQ_INT(a, b). A failed check
 * prints where and why and fails the test but keeps running it, so one run
 * shows every broken expectation. main() is provided: it runs every test
 * and ends with the line "N passed, N failed".
 */
#ifndef MID_HARNESS_H
#define MID_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
struct test_case {
    const char *name;
    test_fn fn;
};
#define MAX_TESTS 512
static struct test_case g_tests[MAX_TESTS];
static int g_ntests;
static int g_failed_checks;

#define TEST(name)                                                        \
    static void name(void);                                               \
    __attribute__((constructor)) static void register_##name(void)        \
    {                                                                     \
        if (g_ntests < MAX_TESTS)                                         \
            g_tests[g_ntests++] = (struct test_case){#name, name};        \
    }                                                                     \
    static void name(void)

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                     \
            g_failed_checks++;                                            \
        }                                                                 \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                \
    do {                                                                  \
        const char *a_ = (a), *b_ = (b);                                  \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                          \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" vs \"%s\"\n", \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",       \
                    b_ ? b_ : "(null)");                                  \
            g_failed_checks++;                                            \
        }                                                                 \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                \
    do {                                                                  \
        long long a_ = (long long)(a), b_ = (long long)(b);               \
        if (a_ != b_) {                                                   \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld vs %lld\n",   \
                    __FILE__, __LINE__, #a, #b, a_, b_);                  \
            g_failed_checks++;                                            \
        }                                                                 \
    } while (0)

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (int i = 0; i < g_ntests; i++) {
        if (argc > 1 && !strstr(g_tests[i].name, argv[1]))
            continue;
        int before = g_failed_checks;
        g_tests[i].fn();
        if (g_failed_checks == before) {
            passed++;
            printf("ok   %s\n", g_tests[i].name);
        } else {
            failed++;
            printf("FAIL %s\n", g_tests[i].name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#endif
