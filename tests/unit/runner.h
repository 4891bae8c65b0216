/* runner: the in-tree unit test runner (header only, no dependency).
 *
 *   #include "runner.h"
 *   TEST(flow_key_is_symmetric) { CHECK(a == b); CHECK_EQ_INT(x, 3); }
 *   int main(int argc, char **argv) { return runner_main(argc, argv); }
 *
 * Tests register themselves through a constructor. `prog NAME...` runs only
 * the tests whose name contains one of the arguments. A failed CHECK reports
 * file:line and the test goes on; the run ends with the line
 * "N passed, N failed" that CI reads, and exits 1 when anything failed.
 */
#ifndef CANH_TEST_RUNNER_H
#define CANH_TEST_RUNNER_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*runner_fn)(void);

struct runner_test {
    const char *name;
    runner_fn fn;
};

#define RUNNER_MAX 512
static struct runner_test runner_tests[RUNNER_MAX];
static int runner_ntests;
static int runner_cur_failed;
static int runner_skipped_flag;

static inline void runner_register(const char *name, runner_fn fn)
{
    if (runner_ntests < RUNNER_MAX)
        runner_tests[runner_ntests++] = (struct runner_test){ name, fn };
}

#define TEST(name)                                                              \
    static void test_##name(void);                                             \
    __attribute__((constructor)) static void runner_reg_##name(void)           \
    {                                                                          \
        runner_register(#name, test_##name);                                   \
    }                                                                          \
    static void test_##name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            runner_cur_failed++;                                               \
        }                                                                      \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long runner_a = (long long)(a), runner_b = (long long)(b);        \
        if (runner_a != runner_b) {                                            \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
                    __LINE__, #a, #b, runner_a, runner_b);                     \
            runner_cur_failed++;                                               \
        }                                                                      \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *runner_a = (a), *runner_b = (b);                           \
        if (runner_a == NULL || runner_b == NULL || strcmp(runner_a, runner_b) != 0) { \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",      \
                    __FILE__, __LINE__, #a, #b, runner_a ? runner_a : "(null)", \
                    runner_b ? runner_b : "(null)");                           \
            runner_cur_failed++;                                               \
        }                                                                      \
    } while (0)

/* Mark the current test skipped (with a reason) and return from it. */
#define SKIP(reason)                                                           \
    do {                                                                       \
        fprintf(stderr, "skip: %s\n", reason);                                 \
        runner_skipped_flag = 1;                                               \
        return;                                                                \
    } while (0)

static inline int runner_main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < runner_ntests; i++) {
        int selected = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strstr(runner_tests[i].name, argv[a]) != NULL)
                selected = 1;
        if (!selected)
            continue;
        runner_cur_failed = 0;
        runner_skipped_flag = 0;
        runner_tests[i].fn();
        if (runner_cur_failed > 0) {
            failed++;
            fprintf(stderr, "FAIL %s\n", runner_tests[i].name);
        } else if (runner_skipped_flag) {
            skipped++;
            printf("skip %s\n", runner_tests[i].name);
        } else {
            passed++;
            printf("ok   %s\n", runner_tests[i].name);
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed > 0 ? 1 : 0;
}

#endif
