/* bench_depth.c — "depth is not a toy": a 1000-block model at width 64 and
 * `probe rank` at init, forward only with one block alive at a time. Prints the
 * build time, the probe time and the peak resident memory, next to what the
 * parameters alone take, so memory proportional to depth shows. Each time is
 * given twice: wall (what a user waits; on a loaded machine mostly waiting for
 * a core) and this process's CPU time (user + system: the kernel's page zeroing
 * counts), steady under load. Not a test.
 * Usage: bench_depth [depth] [width] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "probe.h"

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static double peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;   /* kB on Linux */
}

int main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 1000, width = argc > 2 ? atoi(argv[2]) : 64;
    ArchSpec *a = calloc(1, sizeof *a);
    char text[256];
    snprintf(text, sizeof text, "model new depth=%d width=%d heads=4 ctx=32 vocab=64", depth, width);
    BlError e;
    Model m;
    double t0 = bl_now(), c0 = cpu_now();
    if (arch_from_text(a, text, &e) || model_build(&m, a, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    double t1 = bl_now(), c1 = cpu_now();
    Prober p;
    Metrics mt;
    metrics_init(&mt);
    prober_init(&p, &m, NULL, 4, &e);
    long allocs = bl_alloc_count();
    probe_run(&p, &m, PROBE_RANK, 0, 0, &mt, &e);
    allocs = bl_alloc_count() - allocs;
    double t2 = bl_now(), c2 = cpu_now();
    const Series *s = metrics_find(&mt, "rank.cos");
    double param_mb = 2.0 * m.params.total * sizeof(float) / 1048576.0;   /* values + gradients */
    printf("depth %d width %d: build + probe rank %.2f s CPU (build %.2f, probe %.2f), %.2f s wall (%.2f + %.2f); "
           "peak RSS %.0f MB (parameters+grads %.0f MB, arena %.1f MB), %ld allocations in the probe, cos %.3f -> %.3f\n",
           depth, width, c2 - c0, c1 - c0, c2 - c1, t2 - t0, t1 - t0, t2 - t1, peak_mb(), param_mb,
           p.tape.arena.cap / 1048576.0, allocs, series_last(s)[0], series_last(s)[depth]);
    prober_free(&p);
    metrics_free(&mt);
    model_free(&m);
    arch_free(a);
    free(a);
    return 0;
}
