/* test_par.c — our parallel loops change speed, never numbers (core/par.h):
 * every op with a parallel loop, and the optimizer, give the same bits at 1
 * and at 2 threads; the thread setting is kept and bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "ops.h"
#include "par.h"
#include "rng.h"
#include "testlib.h"
#include "train.h"

/* One forward and backward through every op with a parallel loop and no
 * linear layer (OpenBLAS's own sgemm gives other last bits at 2 threads than at
 * 1, for any build: that is its business, and said in par.h): shaped attention
 * with trainable gains, LayerNorm with bias, GELU, a residual mix with gains,
 * RMSNorm, cross-entropy. Sizes make every loop fork (par_on). */
enum { B = 8, T = 64, C = 128, H = 4, NLEAF = 9 };

typedef struct Run {
    float  loss;
    float *grad[NLEAF];
    int64_t n[NLEAF];
} Run;

static Tensor *leaf(Tape *t, Rng *r, int d0, int d1, int d2, float mean, float sd)
{
    Tensor *x = tape_tensor(t, d0, d1, d2, 0);
    for (int64_t i = 0; i < x->n; i++) x->data[i] = mean + sd * (float)rng_normal(r);
    x->rg = 1;
    return x;
}

static void run_ops(int threads, int causal, Run *out)
{
    par_set_threads(threads);
    Tape t;
    tape_init(&t, 1 << 20);
    t.recording = 1;
    Rng r;
    rng_seed(&r, 11);
    Tensor *lv[NLEAF];
    Tensor *qkv = lv[0] = leaf(&t, &r, B, T, 3 * C, 0.0f, 1.0f);
    Tensor *al = lv[1] = leaf(&t, &r, H, 0, 0, 1.0f, 0.1f), *be = lv[2] = leaf(&t, &r, H, 0, 0, 1.0f, 0.1f);
    Tensor *ga = lv[3] = leaf(&t, &r, H, 0, 0, 1.0f, 0.1f);
    Tensor *lw = lv[4] = leaf(&t, &r, C, 0, 0, 1.0f, 0.1f), *lb = lv[5] = leaf(&t, &r, C, 0, 0, 0.0f, 0.1f);
    Tensor *rw = lv[6] = leaf(&t, &r, C, 0, 0, 1.0f, 0.1f);
    Tensor *ma = lv[7] = leaf(&t, &r, 1, 0, 0, 0.5f, 0.0f), *mb = lv[8] = leaf(&t, &r, 1, 0, 0, 1.0f, 0.0f);
    int *tg = malloc(sizeof(int) * B * T);
    for (int i = 0; i < B * T; i++) tg[i] = (int)rng_below(&r, C);
    AttnOpts o = {.n_head = H, .causal = causal, .alpha = al, .beta = be, .gamma = ga};
    Tensor *y = op_attention(&t, qkv, NULL, &o, NULL);
    Tensor *h = op_gelu(&t, op_layernorm(&t, y, lw, lb, 1e-5f));
    Tensor *z = op_rmsnorm(&t, op_mix(&t, h, gain_param(ma), y, gain_param(mb)), rw, 1e-6f);
    Tensor *loss = op_cross_entropy(&t, z, tg, NULL);
    tape_backward(&t, loss);
    out->loss = loss->data[0];
    for (int i = 0; i < NLEAF; i++) {
        out->n[i] = lv[i]->n;
        out->grad[i] = malloc((size_t)lv[i]->n * sizeof(float));
        memcpy(out->grad[i], lv[i]->grad, (size_t)lv[i]->n * sizeof(float));
    }
    free(tg);
    tape_free(&t);
}

static void ops_same_at_1_and_2(int causal, int band_rows)
{
    AttnTiling keep = attn_tiling;
    if (band_rows) attn_tiling = (AttnTiling){.rows = band_rows, .min_t = 32};
    Run one, two;
    run_ops(1, causal, &one);
    run_ops(2, causal, &two);
    attn_tiling = keep;
    static const char *names[NLEAF] = {"qkv", "alpha", "beta", "gamma", "ln.w", "ln.b", "rms.w", "mix.a", "mix.b"};
    CHECK(memcmp(&one.loss, &two.loss, sizeof(float)) == 0, "loss %.9g at 1 thread, %.9g at 2", one.loss, two.loss);
    for (int i = 0; i < NLEAF; i++) {
        int64_t diff = 0;
        double norm = 0;
        for (int64_t j = 0; j < one.n[i]; j++) {
            diff += memcmp(&one.grad[i][j], &two.grad[i][j], sizeof(float)) != 0;
            norm += (double)one.grad[i][j] * one.grad[i][j];
        }
        CHECK(diff == 0, "causal=%d bands=%d: %lld of %lld of d%s differ between 1 and 2 threads", causal, band_rows,
              (long long)diff, (long long)one.n[i], names[i]);
        CHECK(norm > 0, "d%s is zero: the check would pass on nothing", names[i]);
        free(one.grad[i]);
        free(two.grad[i]);
    }
}

static void test_ops_causal(void) { ops_same_at_1_and_2(1, 0); }
static void test_ops_bidirectional(void) { ops_same_at_1_and_2(0, 0); }
static void test_ops_banded(void) { ops_same_at_1_and_2(1, 16); }

/* AdamW over a model's parameters (clipping included) from the same gradients. */
static void test_optimizer(void)
{
    float *after[2];
    size_t n = 0;
    for (int k = 0; k < 2; k++) {
        par_set_threads(k + 1);
        BlError e;
        ArchSpec a = {0};   /* arch_default reuses a block array: start from none */
        arch_default(&a);
        a.depth = 1; a.width = 128; a.heads = 4; a.ctx = 64; a.vocab = 64;
        arch_reset_blocks(&a, NULL);
        Model m;
        if (model_build(&m, &a, &e)) { CHECK(0, "model: %s", e.msg); return; }
        Rng r;
        rng_seed(&r, 5);
        for (size_t i = 0; i < m.params.total; i++) m.params.grad[i] = (float)rng_normal(&r);
        OptSpec os;
        optim_spec_default(&os);
        Optimizer o;
        optim_init(&o, &os, &m.params);
        for (int s = 0; s < 3; s++) {
            optim_clip(&m.params, 1.0f);
            optim_step(&o, &m.params, 1e-3f);
        }
        n = m.params.total;
        after[k] = malloc(n * sizeof(float));
        memcpy(after[k], m.params.data, n * sizeof(float));
        optim_free(&o);
        model_free(&m);
        arch_free(&a);
    }
    size_t diff = 0;
    for (size_t i = 0; i < n; i++) diff += memcmp(&after[0][i], &after[1][i], sizeof(float)) != 0;
    CHECK(diff == 0, "%zu of %zu weights differ after AdamW at 1 and 2 threads", diff, n);
    free(after[0]);
    free(after[1]);
}

static void test_setting_is_kept(void)
{
    par_set_threads(3);
    CHECK(par_threads() == 3, "par_threads() = %d after par_set_threads(3)", par_threads());
    par_set_threads(0);
    CHECK(par_threads() == 1, "par_set_threads(0) gives %d, not 1", par_threads());
    par_set_threads(1000);
    CHECK(par_threads() == 256, "par_set_threads(1000) gives %d, not 256", par_threads());
    CHECK(par_on(PAR_MIN_WORK) && !par_on(PAR_MIN_WORK - 1), "par_on threshold");
    int lo, hi, covered = 0;
    for (int me = 0; me < 3; me++) {
        par_range(128, me, 3, &lo, &hi);
        CHECK(lo == covered, "range %d starts at %d, not %d", me, lo, covered);
        covered = hi;
    }
    CHECK(covered == 128, "ranges cover %d of 128 columns", covered);
}

/* A solo thread (a shard of a data-parallel step) sees one thread of its
 * own: no loop forks, its scratch index is 0, and the setting it leaves
 * behind is untouched. */
static void test_solo_threads(void)
{
    par_set_threads(2);
    int seen[2][5] = {{0}};
#pragma omp parallel num_threads(2)
    {
        int me = par_thread_id();
        par_solo_begin();
        seen[me][0] = par_threads();
        seen[me][1] = par_thread_id();
        seen[me][2] = par_team_size();
        seen[me][3] = par_on(PAR_MIN_WORK);
        seen[me][4] = 1;   /* ran (without OpenMP only thread 0 does) */
        par_solo_end();
    }
    for (int k = 0; k < 2; k++)
        CHECK(!seen[k][4] || (seen[k][0] == 1 && seen[k][1] == 0 && seen[k][2] == 1 && seen[k][3] == 0),
              "solo thread %d sees threads %d, id %d, team %d, par_on %d", k, seen[k][0], seen[k][1], seen[k][2],
              seen[k][3]);
    CHECK(par_threads() == 2 && par_on(PAR_MIN_WORK), "after solo: %d threads", par_threads());
}

int main(void)
{
    RUN(test_ops_causal);
    RUN(test_ops_bidirectional);
    RUN(test_ops_banded);
    RUN(test_optimizer);
    RUN(test_setting_is_kept);
    RUN(test_solo_threads);
    return TEST_SUMMARY();
}
