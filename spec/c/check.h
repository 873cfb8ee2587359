/* SPDX-License-Identifier: MIT */
/*
 * check.h - a tiny TAP producer for the core's C unit tests (no dependencies).
 *
 *   TEST(name) { CHECK(expr); CHECK_STR(a, b); CHECK_INT(a, b); }
 *   int main(void) { RUN(name); ...; return check_done(); }
 *
 * Every RUN prints "ok N - name" or "not ok N - name" followed by "# " diagnostics; the
 * suite runner (.ci/run) counts these lines. SKIP(why) ends a test as "ok N - name # SKIP why",
 * which the runner counts as skipped; NEED_SHARED(found, what) skips when data from ../shared is
 * missing, except under CI=true, where missing data is a failure.
 */
#ifndef WSMAN_CHECK_H
#define WSMAN_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_n, check_failed_tests, check_cur_failed, check_cur_skipped;
static const char *check_skip_why = "";

#define SKIP(why)                                                                                  \
    do {                                                                                           \
        check_cur_skipped = 1;                                                                     \
        check_skip_why = (why);                                                                    \
        return;                                                                                    \
    } while (0)

static inline int check_in_ci(void)
{
    const char *ci = getenv("CI");
    return ci != NULL && strcmp(ci, "true") == 0;
}

#define NEED_SHARED(found, what)                                                                   \
    do {                                                                                           \
        if (!(found)) {                                                                            \
            if (check_in_ci()) {                                                                   \
                printf("# %s not found: CI=true requires the shared data\n", (what));              \
                check_cur_failed = 1;                                                              \
                return;                                                                            \
            }                                                                                      \
            SKIP("not found: " what);                                                              \
        }                                                                                          \
    } while (0)

#define TEST(name) static void name(void)
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr);                      \
            check_cur_failed = 1;                                                                  \
        }                                                                                          \
    } while (0)
#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                            \
        if (check_a_ != check_b_) {                                                                \
            printf("# %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, check_a_,       \
                   check_b_);                                                                      \
            check_cur_failed = 1;                                                                  \
        }                                                                                          \
    } while (0)
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *check_a_ = (a), *check_b_ = (b);                                               \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                           \
            printf("# %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,             \
                   check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");               \
            check_cur_failed = 1;                                                                  \
        }                                                                                          \
    } while (0)
#define RUN(name)                                                                                  \
    do {                                                                                           \
        check_cur_failed = check_cur_skipped = 0;                                                  \
        name();                                                                                    \
        check_n++;                                                                                 \
        if (check_cur_skipped && !check_cur_failed)                                                \
            printf("ok %d - %s # SKIP %s\n", check_n, #name, check_skip_why);                     \
        else                                                                                       \
            printf("%sok %d - %s\n", check_cur_failed ? "not " : "", check_n, #name);             \
        if (check_cur_failed)                                                                      \
            check_failed_tests++;                                                                  \
        fflush(stdout);                                                                            \
    } while (0)

static inline int check_done(void)
{
    printf("1..%d\n", check_n);
    return check_failed_tests ? 1 : 0;
}

#endif
