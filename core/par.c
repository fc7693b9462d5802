/* par.c — the thread count shared by our OpenMP loops and OpenBLAS (par.h). */
#include "par.h"

#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int n);

static atomic_int threads;   /* 0 until first asked */
_Thread_local int par_solo;

void par_solo_begin(void) { par_solo = 1; }
void par_solo_end(void) { par_solo = 0; }

static int from_env(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end;
    long v = strtol(s, &end, 10);
    return *end == '\0' && v >= 1 && v <= 256 ? (int)v : 0;
}

int par_threads(void)
{
    if (par_solo) return 1;
    int n = atomic_load(&threads);
    if (n) return n;
    n = from_env("OPENBLAS_NUM_THREADS");
    if (!n) n = from_env("OMP_NUM_THREADS");
    if (!n) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c >= 1 ? (c <= 256 ? (int)c : 256) : 1;
    }
    int zero = 0;
    atomic_compare_exchange_strong(&threads, &zero, n);
    return atomic_load(&threads);
}

void par_set_threads(int n)
{
    if (n < 1) n = 1;
    if (n > 256) n = 256;
    atomic_store(&threads, n);
    par_adopt();
}

/* The main thread follows the setting from the start (tests and benches call
 * the engine without a command); other threads call par_adopt themselves. */
__attribute__((constructor)) static void par_adopt_main(void) { par_adopt(); }

void par_adopt(void)
{
    int solo = par_solo;
    par_solo = 0;   /* adopts the setting, not a shard's view of it */
    int n = par_threads();
    par_solo = solo;
#ifdef _OPENMP
    if (omp_get_max_threads() != n) omp_set_num_threads(n);
#endif
    /* The OpenMP build of OpenBLAS follows the calling thread's OpenMP count;
     * the pthread build keeps its own, which this sets. */
    openblas_set_num_threads(n);
}

int par_thread_id(void)
{
#ifdef _OPENMP
    return par_solo ? 0 : omp_get_thread_num();
#else
    return 0;
#endif
}

int par_team_size(void)
{
#ifdef _OPENMP
    return par_solo ? 1 : omp_get_num_threads();
#else
    return 1;
#endif
}

int par_small_begin(double flops)
{
#ifdef _OPENMP
    if (flops >= PAR_MIN_FLOPS || omp_in_parallel()) return 0;
    int n = omp_get_max_threads();
    if (n == 1) return 0;
    omp_set_num_threads(1);
    return n;
#else
    (void)flops;
    return 0;
#endif
}

void par_small_end(int restore)
{
#ifdef _OPENMP
    if (restore) omp_set_num_threads(restore);
#else
    (void)restore;
#endif
}

void par_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc)
{
    CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
    double flops = 2.0 * M * N * K;
    int nth = par_threads();
#ifdef _OPENMP
    if (omp_in_parallel()) nth = 1;
#endif
    /* Parts of at least 16 rows (the kernels' tile), and enough work to split. */
    if (nth > M / 16) nth = M / 16;
    if (flops < PAR_MIN_FLOPS || nth < 2) {
        int restore = par_small_begin(flops);
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        par_small_end(restore);
        return;
    }
#pragma omp parallel num_threads(nth)
    {
        int lo, hi;
        par_range(M, par_thread_id(), par_team_size(), &lo, &hi);
        /* Row r of C reads row r of A (NoTrans) or column r (Trans). */
        const float *a = trans_a ? A + lo : A + (size_t)lo * lda;
        if (hi > lo)
            cblas_sgemm(CblasRowMajor, ta, tb, hi - lo, N, K, alpha, a, lda, B, ldb, beta, C + (size_t)lo * ldc, ldc);
    }
}
