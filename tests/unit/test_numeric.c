/* test_numeric.c — the numerical kernels under init and the probes: normal
 * draws (batched = one by one, bit for bit; the same values as libm's
 * Box-Muller to double rounding; N(0, 1) moments) and symmetric eigenvalues
 * (known spectra, dense and tridiagonal, rank-deficient Gram matrices). */
#include <math.h>
#include <stdlib.h>

#include "linalg.h"
#include "rng.h"
#include "testlib.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- normal draws ------------------------------------------------------------------------ */

static void test_normals_batch_equals_scalar(void)
{
    enum { N = 100003 };   /* not a multiple of the block */
    float *batch = malloc(N * sizeof *batch);
    Rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_normals(&a, batch, N, 0.02f);
    int diff = 0;
    for (int i = 0; i < N; i++) diff += batch[i] != (float)(rng_normal(&b) * 0.02f);
    CHECK(diff == 0, "%d of %d batched draws differ from rng_normal", diff, N);
    CHECK(memcmp(&a, &b, sizeof a) == 0, "the batch left the generator in another state");
    free(batch);
}

/* Box-Muller through libm, as the draws were first defined: ours must agree to
 * double rounding (libm's own cos loses a few ulp near its zeros, hence absolute). */
static void test_normals_match_libm(void)
{
    Rng a, b;
    rng_seed(&a, 7);
    rng_seed(&b, 7);
    double worst = 0, sum = 0, sq = 0;
    int n = 1000000;
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&a);
        double u1 = ((double)(rng_u64(&b) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
        double u2 = (double)(rng_u64(&b) >> 11) * (1.0 / 9007199254740992.0);
        double ref = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        worst = fmax(worst, fabs(z - ref));
        sum += z;
        sq += z * z;
    }
    printf("  1e6 draws: worst |ours - libm| %.2g, mean %.4f, variance %.4f\n", worst, sum / n, sq / n);
    CHECK(worst < 1e-13, "normal draws differ from libm's Box-Muller by %.3g", worst);
    CHECK(fabs(sum / n) < 0.005, "mean %.4f", sum / n);
    CHECK(fabs(sq / n - 1) < 0.01, "variance %.4f", sq / n);
}

static void test_normals_seeded(void)
{
    float x[64], y[64];
    Rng a, b;
    rng_seed(&a, 3);
    rng_seed(&b, 4);
    rng_normals(&a, x, 64, 1.0f);
    rng_normals(&b, y, 64, 1.0f);
    CHECK(memcmp(x, y, sizeof x) != 0, "seeds 3 and 4 drew the same numbers");
}

/* ---- eigenvalues ------------------------------------------------------------------------- */

/* Sorted eigenvalues of a (copied), the worst gap to want (sorted), relative to the largest. */
static double eig_error(const double *a, int n, double *want)
{
    double *m = malloc(sizeof(double) * (size_t)n * n), *ev = malloc(sizeof(double) * 3 * (size_t)n);
    memcpy(m, a, sizeof(double) * (size_t)n * n);
    linalg_sym_eigenvalues(m, n, ev, ev + n);
    qsort(ev, (size_t)n, sizeof *ev, cmp_double);
    qsort(want, (size_t)n, sizeof *want, cmp_double);
    double scale = 0, err = 0;
    for (int i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (int i = 0; i < n; i++) err = fmax(err, fabs(ev[i] - want[i]) / fmax(scale, 1e-300));
    free(m);
    free(ev);
    return err;
}

/* tridiag(−1, 2, −1) of size n: eigenvalues 2 − 2cos(kπ/(n+1)). */
static void test_eigen_laplacian(void)
{
    int sizes[] = {1, 2, 3, 7, 32, 64};
    for (int s = 0; s < 6; s++) {
        int n = sizes[s];
        double *a = calloc((size_t)n * n, sizeof *a), *want = malloc(sizeof(double) * n);
        for (int i = 0; i < n; i++) {
            a[i * n + i] = 2;
            if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1;
            want[i] = 2 - 2 * cos((i + 1) * M_PI / (n + 1));
        }
        double err = eig_error(a, n, want);
        CHECK(err < 1e-13, "Laplacian n=%d: eigenvalues off by %.3g", n, err);
        free(a);
        free(want);
    }
}

/* Q diag(λ) Qᵀ with Q a product of random reflections: dense, with a known
 * spectrum, repeated and zero eigenvalues included. */
static void test_eigen_dense(void)
{
    Rng r;
    rng_seed(&r, 11);
    int n = 40;
    double *a = malloc(sizeof(double) * n * n), *q = malloc(sizeof(double) * n * n), *want = malloc(sizeof(double) * n);
    double *v = malloc(sizeof(double) * n), *t = malloc(sizeof(double) * n * n);
    for (int i = 0; i < n; i++) want[i] = i < 10 ? 0.0 : i < 15 ? 3.0 : rng_normal(&r) * 100;
    for (int i = 0; i < n * n; i++) q[i] = i % (n + 1) == 0;
    for (int k = 0; k < 4; k++) {   /* q ← q (I − 2vvᵀ/vᵀv) */
        double vv = 0;
        for (int i = 0; i < n; i++) {
            v[i] = rng_normal(&r);
            vv += v[i] * v[i];
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += q[i * n + j] * v[j];
            for (int j = 0; j < n; j++) q[i * n + j] -= 2 * s * v[j] / vv;
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) t[i * n + j] = q[i * n + j] * want[j];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += t[i * n + k] * q[j * n + k];
            a[i * n + j] = s;
        }
    for (int i = 0; i < n; i++)   /* exactly symmetric, as a Gram matrix is */
        for (int j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
    double err = eig_error(a, n, want);
    printf("  dense 40x40 with known spectrum: worst relative error %.2g\n", err);
    CHECK(err < 1e-12, "dense: eigenvalues off by %.3g", err);
    free(a); free(q); free(want); free(v); free(t);
}

/* A Gram matrix XXᵀ of T = 32 tokens in C = 8 dimensions (rank 8): its
 * eigenvalues are the squared singular values of X, 24 of them zero; their sum
 * is the trace. */
static void test_eigen_gram_rank_deficient(void)
{
    enum { T = 32, C = 8 };
    Rng r;
    rng_seed(&r, 5);
    double x[T * C], g[T * T], ev[3 * T], trace = 0;
    for (int i = 0; i < T * C; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
            double s = 0;
            for (int c = 0; c < C; c++) s += x[i * C + c] * x[j * C + c];
            g[i * T + j] = s;
        }
    for (int i = 0; i < T; i++) trace += g[i * T + i];
    linalg_sym_eigenvalues(g, T, ev, ev + T);
    qsort(ev, T, sizeof *ev, cmp_double);
    double sum = 0, small = 0;
    for (int i = 0; i < T; i++) sum += ev[i];
    for (int i = 0; i < T - C; i++) small = fmax(small, fabs(ev[i]));
    CHECK(fabs(sum - trace) < 1e-12 * trace, "eigenvalues sum to %.15g, trace %.15g", sum, trace);
    CHECK(small < 1e-12 * ev[T - 1], "the %d zero eigenvalues reach %.3g", T - C, small);
    CHECK(ev[T - C] > 1e-3 * ev[T - 1], "a nonzero eigenvalue came out as %.3g", ev[T - C]);
}

int main(void)
{
    RUN(test_normals_batch_equals_scalar);
    RUN(test_normals_match_libm);
    RUN(test_normals_seeded);
    RUN(test_eigen_laplacian);
    RUN(test_eigen_dense);
    RUN(test_eigen_gram_rank_deficient);
    return TEST_SUMMARY();
}
