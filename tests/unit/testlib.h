/* testlib.h — the smallest test harness that reports well: CHECK records a
 * pass or a failure with file:line and a message; TEST_MAIN runs the listed
 * test functions and ends with the summary line "N passed, N failed".
 * Header-only on purpose: each tests/unit/test_*.c is one binary. */
#ifndef BL_TESTLIB_H
#define BL_TESTLIB_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tl_pass, tl_fail;
static const char *tl_current = "";

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) tl_pass++;                                                    \
        else {                                                                  \
            tl_fail++;                                                          \
            fprintf(stderr, "FAIL %s (%s:%d): ", tl_current, __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

/* |a - b| <= tol * max(1, |a|, |b|): relative for large values, absolute near 0. */
#define CHECK_CLOSE(a, b, tol, what)                                            \
    do {                                                                        \
        double tl_a = (a), tl_b = (b);                                          \
        double tl_s = fmax(1.0, fmax(fabs(tl_a), fabs(tl_b)));                  \
        CHECK(fabs(tl_a - tl_b) <= (tol) * tl_s, "%s: %.9g vs %.9g (tol %g)",   \
              (what), tl_a, tl_b, (double)(tol));                               \
    } while (0)

#define RUN(fn)                                                                 \
    do {                                                                        \
        tl_current = #fn;                                                       \
        int tl_f0 = tl_fail;                                                    \
        fn();                                                                   \
        printf("%s %s\n", tl_fail == tl_f0 ? "ok  " : "FAIL", #fn);             \
        fflush(stdout);                                                         \
    } while (0)

#define TEST_SUMMARY()                                                          \
    (printf("%d passed, %d failed\n", tl_pass, tl_fail), tl_fail ? 1 : 0)

#endif
