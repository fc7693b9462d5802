/* par.h — the one thread pool. Our loops are OpenMP, and the Makefile links
 * Debian's OpenMP build of OpenBLAS, so sgemm and the elementwise work share
 * the same threads instead of two pools fighting over the cores (issue 15).
 *
 * Every parallel loop in core splits work so that each output element is
 * computed by the same operations in the same order whatever the number of
 * threads: rows or elements for maps, columns for sums over rows (bias and
 * norm gains), partial results added in a fixed order after the loop. Our ops
 * therefore give the same bits at 1, 2 or N threads (tests/unit/test_par.c).
 * Matrix products do not: OpenBLAS's own split at 2 threads rounds ~15% of a
 * product's outputs differently than one thread does (both Debian builds), and
 * so does a product cut into row blocks (par_sgemm), as OpenBLAS picks its
 * kernels' blocking by shape, and so does a training step that splits its batch
 * over the threads (core/train.c). A training run is thus bit-identical run to
 * run at a fixed thread count, not across counts (tests/script/train.sh).
 *
 *   par_threads()      threads a parallel loop may use (set threads=, or the
 *                      environment: OPENBLAS_NUM_THREADS, then OMP_NUM_THREADS,
 *                      else every core)
 *   par_set_threads()  changes it for the engine and OpenBLAS
 *   par_adopt()        makes the calling thread follow it; OpenMP keeps the
 *                      count per thread, so the dashboard's engine thread and
 *                      the main thread both call this before engine work
 *   par_on(n)          whether n elements of work are worth the fork (small
 *                      tensors, e.g. a depth-1000 probe at width 64, stay on
 *                      one thread: a fork costs a few microseconds)
 *   par_solo_begin/end the calling thread runs every loop and product of the
 *                      engine by itself until par_solo_end: one shard of a
 *                      data-parallel training step (core/train.c), which
 *                      already has a thread of its own
 * Built without OpenMP (the clang fuzz build) the pragmas are ignored and
 * everything runs on one thread. */
#ifndef BL_PAR_H
#define BL_PAR_H

#include <stdint.h>

/* Set while the calling thread is a solo shard (par_solo_begin). */
extern _Thread_local int par_solo;

int  par_threads(void);   /* 1 while solo */
void par_set_threads(int n);
void par_adopt(void);

void par_solo_begin(void);
void par_solo_end(void);

/* The calling thread's index in the team running it (0 outside a parallel
 * loop, and while solo): which per-thread scratch buffer to use. */
int par_thread_id(void);
/* The number of threads in that team (1 outside a parallel region, and while solo). */
int par_team_size(void);
/* The part [*lo, *hi) of 0..n that thread `me` of `nt` takes in a split by hand
 * (columns of a sum over rows). */
static inline void par_range(int n, int me, int nt, int *lo, int *hi)
{
    *lo = (int)((int64_t)n * me / nt);
    *hi = (int)((int64_t)n * (me + 1) / nt);
}

/* OpenBLAS splits a product of any size over every thread; below about 8
 * MFLOP a second thread costs more than it brings (2 cores: 256x192x64 1.0x,
 * 256x64x64 0.7x, 1024x128x128 1.2x, 1024x512x128 1.5x). Small products run
 * on one thread between par_small_begin and par_small_end, which restores the
 * count: narrow models and a depth-1000 probe at width 64 are made of them. */
#define PAR_MIN_FLOPS 8e6
int  par_small_begin(double flops);   /* returns the count to restore, 0: unchanged */
void par_small_end(int restore);

/* cblas_sgemm (row-major) with the rows of C split over the threads by us,
 * each part one single-threaded sgemm: on 2 cores 1.9-2x one thread where
 * OpenBLAS's own split gives 1.2-1.7x (1024x128x128: 326 us, OpenBLAS 2
 * threads 267, split 167). Products under PAR_MIN_FLOPS run on one thread. */
void par_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
               const float *B, int ldb, float beta, float *C, int ldc);

/* libgomp's idle threads spin for 300000 rounds (about a millisecond) before
 * they sleep. When another program holds a core, a spinning thread and the
 * one it waits for share the other core, and every parallel loop costs a time
 * slice: the dashboard beside a busy process trained 7 steps in 8 s instead of
 * 45. PAR_SPINCOUNT rounds keep the threads warm between the loops of a step
 * (no loss measured on an idle machine: spin 0 costs 25%) and bound the waste.
 * libgomp reads it from the environment before main, so src/main.c sets it
 * and executes itself again when the person running blocklab set neither
 * GOMP_SPINCOUNT nor OMP_WAIT_POLICY. */
#define PAR_SPINCOUNT "10000"

/* Below this many floats of work a loop runs on the calling thread. */
#define PAR_MIN_WORK 65536
static inline int par_on(int64_t work) { return work >= PAR_MIN_WORK && !par_solo; }

#endif
