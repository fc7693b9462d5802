/* bench_train.c — training-step speed of blocklab on the benchmark configs,
 * and the machine's cblas_sgemm throughput for MFU. Not a test: it prints
 * figures (median ms/step, tokens/s, MFU) in a fixed format that bench/run.sh
 * sets beside the PyTorch reference's.
 * Usage: bench_train CONFIG [steps] [preset]   CONFIG = S | M | gemm
 * preset mom, mom-diag, mom-k2: a Mixture-of-Modules whose 4+4 pool has the
 * parameters of the config's blocks (H = depth steps; diag: every module on
 * every token along the vanilla path; k2: top-2). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mom_stack.h"
#include "train.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Best-of-12 sgemm GFLOP/s on the shape of config M's MLP matmul (1024 tokens x 1024 x 256):
 * the machine's practical peak for these models. Best-of, because the machine is shared. */
static double sgemm_gflops(int M, int N, int K)
{
    float *a = calloc((size_t)M * K, 4), *b = calloc((size_t)K * N, 4), *c = calloc((size_t)M * N, 4);
    for (int i = 0; i < M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (int i = 0; i < K * N; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 0;
    for (int r = 0; r < 12; r++) {
        double t0 = bl_now();
        int reps = 20;
        for (int k = 0; k < reps; k++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
        double g = 2.0 * M * N * K * reps / (bl_now() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(a); free(b); free(c);
    return best;
}

int main(int argc, char **argv)
{
    const char *cfg = argc > 1 ? argv[1] : "S";
    int steps = argc > 2 ? atoi(argv[2]) : 30;
    const char *preset = argc > 3 ? argv[3] : "preln";
    if (!strcmp(cfg, "gemm")) {
        printf("sgemm %.1f GFLOP/s\n", sgemm_gflops(1024, 1024, 256));
        return 0;
    }
    ArchSpec *a = calloc(1, sizeof *a);
    arch_default(a);
    int B;
    if (!strcmp(cfg, "M")) { a->depth = 6; a->width = 256; a->heads = 8; a->ctx = 128; B = 8; }
    else { a->depth = 4; a->width = 128; a->heads = 4; a->ctx = 64; B = 16; }
    a->vocab = 128;
    a->bias = 1;   /* GPT-2 style: biases on every linear and norm, tied head */
    int mom = !strncmp(preset, "mom", 3);
    snprintf(a->preset, sizeof a->preset, "%s", mom ? "preln" : preset);
    if (mom) {
        a->stack = STACK_MOM;
        a->mom.n_attn = a->mom.n_ffn = a->mom.steps = a->depth;
        a->mom.topk = strstr(preset, "k2") ? 2 : 1;
    }
    BlError e;
    if (arch_reset_blocks(a, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    Model m;
    if (model_build(&m, a, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    if (mom) model_mom(&m)->run.force_diag = strstr(preset, "diag") != NULL;
    /* Text-like data: a synthetic task whose vocab fits 128; speed does not depend on it. */
    DataSpec ds;
    data_spec_default(&ds);
    ds.kind = DATA_COPY;
    ds.symbols = 60;
    ds.length = a->ctx / 2;
    DataSource d;
    if (data_open(&d, &ds, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    OptSpec os;
    optim_spec_default(&os);
    os.steps = steps + 5;
    Trainer tr;
    if (trainer_init(&tr, &m, &d, &os, B, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    StepStats st;
    for (int i = 0; i < 3; i++) trainer_step(&tr, &st);   /* warm-up: arena grows to its peak */
    double *ms = malloc(sizeof(double) * (size_t)steps);
    for (int i = 0; i < steps; i++) {
        trainer_step(&tr, &st);
        ms[i] = st.seconds * 1e3;
    }
    qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
    double med = ms[steps / 2];
    double flops = model_flops_per_step(&m, B, a->ctx);
    double tokens = (double)B * a->ctx;
    printf("blocklab %s %s params %zu ms/step %.2f tok/s %.0f flops/step %.4g loss %.4f\n", cfg, preset,
           params_trainable(&m.params), med, tokens / (med / 1e3), flops, st.loss);
    trainer_free(&tr);
    model_free(&m);
    data_close(&d);
    free(ms);
    arch_free(a);
    free(a);
    return 0;
}
