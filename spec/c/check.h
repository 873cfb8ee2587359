/*
 * check.h - a tiny TAP producer for the core's C unit tests (no dependencies).
 *
 *   TEST(name) { CHECK(expr); CHECK_STR(a, b); CHECK_INT(a, b); }
 *   int main(void) { RUN(name); ...; return check_done(); }
 *
 * Every RUN prints "ok N - name" or "not ok N - name" followed by "# " diagnostics; the
 * suite runner (.ci/run) counts these lines.
 */
#ifndef WSMAN_CHECK_H
#define WSMAN_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_n, check_failed_tests, check_cur_failed;

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
        check_cur_failed = 0;                                                                      \
        name();                                                                                    \
        check_n++;                                                                                 \
        printf("%sok %d - %s\n", check_cur_failed ? "not " : "", check_n, #name);                 \
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
