/* bench_train.c — training-step speed of blocklab on the benchmark configs,
 * and the machine's cblas_sgemm throughput for MFU. Not a test: it prints
 * figures (median ms/step, tokens/s, MFU) in a fixed format that bench/run.sh
 * sets beside the PyTorch reference's.
 * Usage: bench_train CONFIG [steps] [preset]   CONFIG = S | M | gemm | blas
 *        bench_train scale PRESET CTX WIDTH DEPTH BATCH STEPS
 * S and M also print a line "ops" (ms per step by op family, from a Prof on
 * the tape, core/prof.h) and "probe" (ms of probe rank and probe grads on a
 * batch of 4); "scale" prints one row of the cost table (ms/step, peak RSS,
 * and the engine's own bytes: parameters, grads, AdamW state, each shard's
 * arena peak and gradient copy).
 * preset mlp-alr, mlp-aslr, mlp-alrr, mlp-elr: attention replaced by student MLPs
 * in every block, size s (hidden = ctx·width/64), trained end to end.
 * preset mom, mom-diag, mom-k2: a Mixture-of-Modules whose 4+4 pool has the
 * parameters of the config's blocks (H = depth steps; diag: every module on
 * every token along the vanilla path; k2: top-2).
 * BENCH_CLOCK=cpu times with this thread's CPU time instead of wall time:
 * with OPENBLAS_NUM_THREADS=1 that is all the work, and a machine loaded by
 * other jobs does not inflate it (wall time there is mostly waiting).
 * BENCH_ATTN_ROWS=N sets the causal attention bands (ops.h attn_tiling; 0: the
 * full products), BENCH_ATTN_MIN_T the context from which they apply. */
#include <sys/resource.h>
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mom_stack.h"
#include "ops.h"
#include "par.h"
#include "probe.h"
#include "train.h"

static int clock_cpu;   /* BENCH_CLOCK=cpu */
static double now(void) { return prof_clock(clock_cpu); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Best-of-12 sgemm GFLOP/s on the shape of config M's MLP matmul (1024 tokens x 1024 x 256):
 * the machine's practical peak for these models. Best-of, because the machine is shared.
 * split: through par_sgemm (our row split, what the engine's linear layers use) instead of
 * one cblas_sgemm with OpenBLAS's own threads; the floor takes the faster of the two. */
static double sgemm_gflops(int M, int N, int K, int split)
{
    float *a = calloc((size_t)M * K, 4), *b = calloc((size_t)K * N, 4), *c = calloc((size_t)M * N, 4);
    for (int i = 0; i < M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (int i = 0; i < K * N; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 0;
    for (int r = 0; r < 12; r++) {
        double t0 = now();
        int reps = 20;
        for (int k = 0; k < reps; k++) {
            if (split) par_sgemm(0, 1, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
            else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
        }
        double g = 2.0 * M * N * K * reps / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(a); free(b); free(c);
    return best;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;   /* kB on Linux */
}

/* One model, one trainer on a copy-task stream; 3 warm-up steps grow the arena. */
typedef struct Bench {
    ArchSpec  *a;
    Model      m;
    DataSource d;
    Trainer    tr;
    int        B;
} Bench;

static int bench_open(Bench *b, const char *preset, int depth, int width, int heads, int ctx, int B, int steps)
{
    BlError e;
    memset(b, 0, sizeof *b);
    b->a = calloc(1, sizeof *b->a);
    arch_default(b->a);
    b->a->depth = depth; b->a->width = width; b->a->heads = heads; b->a->ctx = ctx;
    b->a->vocab = 128;
    b->a->bias = 1;   /* GPT-2 style: biases on every linear and norm, tied head */
    b->B = B;
    int mom = !strncmp(preset, "mom", 3);
    snprintf(b->a->preset, sizeof b->a->preset, "%s", mom ? "preln" : preset);
    if (mom) {
        b->a->stack = STACK_MOM;
        b->a->mom.n_attn = b->a->mom.n_ffn = b->a->mom.steps = depth;
        b->a->mom.topk = strstr(preset, "k2") ? 2 : 1;
    }
    /* mlp-alr, mlp-aslr, ...: every block's attention replaced by its student MLP (Rethinking Attention). */
    const char *student = !strncmp(preset, "mlp-", 4) ? preset : NULL;
    if (student) snprintf(b->a->preset, sizeof b->a->preset, "preln");
    if (arch_reset_blocks(b->a, &e) ||
        (student && (arch_set_block(b->a, 0, depth - 1, "attn", student, 0, &e) ||
                     arch_set_block(b->a, 0, depth - 1, "student", "s", 0, &e))) ||
        model_build(&b->m, b->a, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    if (mom) model_mom(&b->m)->run.force_diag = strstr(preset, "diag") != NULL;
    /* Text-like data: a synthetic task whose vocab fits 128; speed does not depend on it. */
    DataSpec ds;
    data_spec_default(&ds);
    ds.kind = DATA_COPY;
    ds.symbols = 60;
    ds.length = ctx / 2;
    if (data_open(&b->d, &ds, &e)) { fprintf(stderr, "%s\n", e.msg); return -1; }
    OptSpec os;
    optim_spec_default(&os);
    os.steps = steps + 5;
    if (trainer_init(&b->tr, &b->m, &b->d, &os, B, &e)) { fprintf(stderr, "%s\n", e.msg); return -1; }
    StepStats st;
    for (int i = 0; i < 3; i++) trainer_step(&b->tr, &st);   /* warm-up: arena grows to its peak */
    return 0;
}

static void bench_close(Bench *b)
{
    trainer_free(&b->tr);
    model_free(&b->m);
    data_close(&b->d);
    arch_free(b->a);
    free(b->a);
}

/* Median ms/step over `steps`; *mean_ms gets the mean (the per-op sums are means). */
/* Median ms of `steps` steps; *fastest_ms (if asked) the quickest one. */
static double bench_steps(Bench *b, int steps, double *mean_ms, float *loss, double *fastest_ms)
{
    double *ms = malloc(sizeof(double) * (size_t)steps), sum = 0;
    StepStats st;
    for (int i = 0; i < steps; i++) {
        double t0 = now();
        trainer_step(&b->tr, &st);
        ms[i] = (now() - t0) * 1e3;
        sum += ms[i];
    }
    qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
    double med = ms[steps / 2];
    if (fastest_ms) *fastest_ms = ms[0];
    free(ms);
    if (mean_ms) *mean_ms = sum / steps;
    if (loss) *loss = st.loss;
    return med;
}

static int scale_row(int argc, char **argv)
{
    if (argc < 8) { fprintf(stderr, "usage: bench_train scale PRESET CTX WIDTH DEPTH BATCH STEPS\n"); return 2; }
    const char *preset = argv[2];
    int ctx = atoi(argv[3]), width = atoi(argv[4]), depth = atoi(argv[5]), B = atoi(argv[6]), steps = atoi(argv[7]);
    Bench b;
    if (bench_open(&b, preset, depth, width, width / 32 > 0 ? width / 32 : 1, ctx, B, steps)) return 1;
    /* The fastest step: on a shared VM a slow step is another tenant's (CPU
     * time included: it counts time the host takes back), and one table row
     * is too few steps for a median to hide that. */
    double fastest;
    bench_steps(&b, steps, NULL, NULL, &fastest);
    size_t n = b.m.params.total;
    double engine = (4.0 * (double)n * sizeof(float) + (double)trainer_step_bytes(&b.tr)) / 1048576.0;
    printf("scale %s ctx %d width %d depth %d batch %d ms/step %.2f peak_rss_mb %.1f engine_mb %.1f params %zu\n",
           preset, ctx, width, depth, B, fastest, peak_rss_mb(), engine, params_trainable(&b.m.params));
    bench_close(&b);
    return 0;
}

int main(int argc, char **argv)
{
    const char *clk = getenv("BENCH_CLOCK");
    clock_cpu = clk && !strcmp(clk, "cpu");
    if (getenv("BENCH_ATTN_ROWS")) attn_tiling.rows = atoi(getenv("BENCH_ATTN_ROWS"));
    if (getenv("BENCH_ATTN_MIN_T")) attn_tiling.min_t = atoi(getenv("BENCH_ATTN_MIN_T"));
    const char *cfg = argc > 1 ? argv[1] : "S";
    int steps = argc > 2 ? atoi(argv[2]) : 30;
    const char *preset = argc > 3 ? argv[3] : "preln";
    if (!strcmp(cfg, "gemm")) {
        double own = sgemm_gflops(1024, 1024, 256, 0), split = sgemm_gflops(1024, 1024, 256, 1);
        printf("sgemm %.1f GFLOP/s (OpenBLAS's threads %.1f, our row split %.1f)\n", own > split ? own : split, own,
               split);
        return 0;
    }
    if (!strcmp(cfg, "blas")) {   /* which OpenBLAS: its threading decides whether there is one pool (core/par.h) */
        static const char *const kinds[] = {"sequential", "pthread (a second pool beside the engine's OpenMP)",
                                            "OpenMP (one pool with the engine's loops)"};
        int k = openblas_get_parallel();
        printf("%s; %s build; kernels %s; engine threads %d\n", openblas_get_config(),
               k >= 0 && k <= 2 ? kinds[k] : "unknown", openblas_get_corename(), par_threads());
        return 0;
    }
    if (!strcmp(cfg, "scale")) return scale_row(argc, argv);
    Bench b;
    int M = !strcmp(cfg, "M");
    if (M ? bench_open(&b, preset, 6, 256, 8, 128, 8, steps) : bench_open(&b, preset, 4, 128, 4, 64, 16, steps))
        return 1;
    float loss;
    double med = bench_steps(&b, steps, NULL, &loss, NULL);
    double flops = model_flops_per_step(&b.m, b.B, b.a->ctx);
    double tokens = (double)b.B * b.a->ctx;
    printf("blocklab %s %s params %zu ms/step %.2f tok/s %.0f flops/step %.4g loss %.4f\n", cfg, preset,
           params_trainable(&b.m.params), med, tokens / (med / 1e3), flops, loss);

    /* Where the time goes: the same steps again with a Prof on the tape. */
    Prof prof;
    memset(&prof, 0, sizeof prof);
    prof.cpu = clock_cpu;
    b.tr.tape.prof = &prof;
    double mean;
    bench_steps(&b, steps, &mean, NULL, NULL);
    b.tr.tape.prof = NULL;
    double claimed = 0;
    printf("ops %s step %.3f", cfg, mean);
    for (int k = 0; k < PROF_N; k++) {
        double v = prof.sec[k] * 1e3 / steps;
        claimed += v;
        printf(" %s %.3f", prof_names[k], v);
    }
    printf(" overhead %.3f\n", mean - claimed);

    /* What the dashboard's probes cost beside a step (probe batch of 4, as the worker uses). */
    Prober p;
    Metrics mt;
    BlError e;
    metrics_init(&mt);
    if (prober_init(&p, &b.m, &b.d, 4, &e) == 0) {
        double best[2] = {1e9, 1e9};
        unsigned which[2] = {PROBE_RANK, PROBE_GRADS};
        for (int r = 0; r < 5; r++)
            for (int k = 0; k < 2; k++) {
                double t0 = now();
                probe_run(&p, &b.m, which[k], r, 0, &mt, &e);
                double dt = (now() - t0) * 1e3;
                if (dt < best[k]) best[k] = dt;
            }
        printf("probe %s rank %.3f grads %.3f\n", cfg, best[0], best[1]);
        prober_free(&p);
    }
    metrics_free(&mt);
    bench_close(&b);
    return 0;
}
