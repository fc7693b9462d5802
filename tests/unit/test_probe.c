/* test_probe.c — the phenomena of spec/README.md "Phenomena a correct engine
 * shows", each asserted with a margin wide enough for float noise and tight
 * enough to fail when the model is wrong; plus: probes do not change training,
 * and a NaN is named where it first appears. */
#include <stdio.h>
#include <stdlib.h>

#include "health.h"
#include "probe.h"
#include "testlib.h"
#include "train.h"

static ArchSpec arch;

static int build(Model *m, const char *text)
{
    BlError e;
    if (arch_from_text(&arch, text, &e) || model_build(m, &arch, &e)) {
        CHECK(0, "%s: %s", text, e.msg);
        return -1;
    }
    return 0;
}

/* Runs the rank probe at init; returns the rank.* series values (depth+1). */
static void rank_at_init(Model *m, float *cos, float *rms)
{
    Prober p;
    Metrics mt;
    BlError e;
    metrics_init(&mt);
    prober_init(&p, m, NULL, 4, &e);
    CHECK(probe_run(&p, m, PROBE_RANK, 0, 0, &mt, &e) == 0, "probe: %s", e.msg);
    int L = m->arch->depth;
    memcpy(cos, series_last(metrics_find(&mt, "rank.cos")), sizeof(float) * (size_t)(L + 1));
    if (rms) memcpy(rms, series_last(metrics_find(&mt, "rank.rms")), sizeof(float) * (size_t)(L + 1));
    prober_free(&p);
    metrics_free(&mt);
}

static float cosv[1001], rmsv[1001];

static void test_skipless_attention_collapses(void)
{
    Model m;
    if (build(&m, "model new depth=12 width=64 heads=4 ctx=16 vocab=256; block all mlp=off skip.attn=off")) return;
    rank_at_init(&m, cosv, NULL);
    printf("  skipless attention-only: cos layer 0 %.3f, 1 %.3f, 5 %.3f, 10 %.4f\n", cosv[0], cosv[1], cosv[5], cosv[10]);
    CHECK(cosv[0] < 0.3f, "input tokens already alike: cos %.3f", cosv[0]);
    CHECK(cosv[10] > 0.9f, "no rank collapse by layer 10: cos %.4f", cosv[10]);
    model_free(&m);
}

static void test_shaped_attention_keeps_cosine(void)
{
    Model m;
    if (build(&m, "model new depth=100 width=64 heads=4 ctx=16 vocab=256 norm=rms preset=sas; block all mlp=off")) return;
    rank_at_init(&m, cosv, NULL);
    printf("  shaped attention, W^Q = 0: cos layer 0 %.7f, 100 %.7f\n", cosv[0], cosv[100]);
    CHECK(fabsf(cosv[100] - cosv[0]) < 1e-5f, "cosine drifted: %.7f -> %.7f", cosv[0], cosv[100]);
    /* And the attention matrix is exactly I at init (spec: SAS/SAS-P). */
    Prober p;
    Metrics mt;
    BlError e;
    metrics_init(&mt);
    prober_init(&p, &m, NULL, 2, &e);
    probe_run(&p, &m, PROBE_ATTN, 0, 0, &mt, &e);
    const Series *s = metrics_find(&mt, "attn.mixed.37");
    int exact = s != NULL;
    for (int i = 0; s && i < s->rows; i++)
        for (int j = 0; j < s->cols; j++) exact &= series_last(s)[i * s->cols + j] == ((i % s->cols) == j ? 1.0f : 0.0f);
    CHECK(exact, "shaped attention matrix of layer 37 is not exactly I at init");
    prober_free(&p);
    metrics_free(&mt);
    model_free(&m);
}

static void test_sasp_no_norm_beta_ff(void)
{
    Model m;
    float grow[2];
    const char *beta[2] = {"1", "0.1"};
    for (int k = 0; k < 2; k++) {
        char text[256];
        snprintf(text, sizeof text,
                 "model new depth=100 width=64 heads=4 ctx=16 vocab=256 init=xavier act=relu preset=sasp; "
                 "block all norm=off beta.ff~=%s", beta[k]);
        if (build(&m, text)) return;
        rank_at_init(&m, cosv, rmsv);
        grow[k] = rmsv[100] / rmsv[1];
        printf("  SAS-P without norm, beta_FF = %s: RMS growth over 100 layers %.3g\n", beta[k], grow[k]);
        model_free(&m);
    }
    CHECK(grow[0] >= 1000.0f * grow[1], "beta_FF=1 growth %.3g is not >= 1000x beta_FF=0.1 growth %.3g", grow[0], grow[1]);
    CHECK(grow[1] < 2.0f, "beta_FF=0.1 should keep activations nearly flat, grew %.3g", grow[1]);
}

static void test_postln_collapses_deepnorm_flat(void)
{
    const int depths[2] = {25, 100};
    for (int k = 0; k < 2; k++) {
        float last[2];
        const char *presets[2] = {"postln", "deepnorm"};
        for (int q = 0; q < 2; q++) {
            Model m;
            char text[256];
            snprintf(text, sizeof text, "model new depth=%d width=64 heads=4 ctx=16 vocab=256 causal=off init=xavier preset=%s",
                     depths[k], presets[q]);
            if (build(&m, text)) return;
            rank_at_init(&m, cosv, NULL);
            last[q] = cosv[depths[k]];
            model_free(&m);
        }
        printf("  depth %3d, Xavier, bidirectional: Post-LN cos %.3f, DeepNorm cos %.3f\n", depths[k], last[0], last[1]);
        CHECK(last[0] > 0.9f, "Post-LN at depth %d did not collapse: cos %.3f", depths[k], last[0]);
        CHECK(fabsf(last[1]) < 0.2f, "DeepNorm at depth %d is not flat: cos %.3f", depths[k], last[1]);
    }
}

/* DeepNet Fig. 5 in miniature: its "64-128-2" models have FFN width 2d. */
static void test_update_norm_with_depth(void)
{
    const int depths[2] = {6, 100};
    double dF[2][2];
    const char *presets[2] = {"postln", "deepnorm"};
    for (int q = 0; q < 2; q++)
        for (int k = 0; k < 2; k++) {
            Model m;
            char text[256];
            snprintf(text, sizeof text, "model new depth=%d width=64 heads=4 ctx=16 vocab=256 mlp_ratio=2 causal=off init=xavier preset=%s",
                     depths[k], presets[q]);
            if (build(&m, text)) return;
            Prober p;
            BlError e;
            prober_init(&p, &m, NULL, 4, &e);
            dF[q][k] = probe_sgd_update(&p, &m, 0.1f);
            prober_free(&p);
            model_free(&m);
        }
    printf("  ||dF|| after one SGD step (lr 0.1): Post-LN %.3f -> %.3f, DeepNorm %.3f -> %.3f (depth 6 -> 100)\n",
           dF[0][0], dF[0][1], dF[1][0], dF[1][1]);
    CHECK(dF[0][1] > 1.5 * dF[0][0], "Post-LN update does not grow with depth: %.3f -> %.3f", dF[0][0], dF[0][1]);
    CHECK(dF[1][1] < 1.5 * dF[1][0], "DeepNorm update is not flat: %.3f -> %.3f", dF[1][0], dF[1][1]);
    CHECK(dF[1][0] < dF[0][0] && dF[1][1] < dF[0][1], "DeepNorm updates should stay below Post-LN's");
}

/* Probes read; they never write. Losses with and without probing every step are bit-identical. */
/* A model from text, the default reverse task and an AdamW trainer of batch B. */
static int setup_training(Model *m, DataSource *d, Trainer *tr, const char *text, int B)
{
    if (build(m, text)) return -1;
    DataSpec ds;
    data_spec_default(&ds);
    OptSpec os;
    optim_spec_default(&os);
    BlError e;
    if (data_open(d, &ds, &e) || trainer_init(tr, m, d, &os, B, &e)) {
        CHECK(0, "setup: %s", e.msg);
        return -1;
    }
    return 0;
}

static void run(int probing, float *losses, int n)
{
    Model m;
    DataSource d;
    Trainer tr;
    BlError e;
    if (setup_training(&m, &d, &tr, "model new depth=2 width=32 heads=2 ctx=16 vocab=12 preset=sas", 8)) return;
    Prober p;
    Metrics mt;
    metrics_init(&mt);
    prober_init(&p, &m, &d, 4, &e);
    StepStats st;
    for (int s = 0; s < n; s++) {
        trainer_step(&tr, &st);
        losses[s] = st.loss;
        if (probing) CHECK(probe_run(&p, &m, PROBE_ALL, tr.step, 0, &mt, &e) == 0, "probe: %s", e.msg);
    }
    if (probing) {
        const Series *s = metrics_find(&mt, "rank.cos");
        CHECK(s && s->n == n, "rank.cos has %d records, expected %d", s ? s->n : -1, n);
        CHECK(metrics_find(&mt, "scalars") && metrics_find(&mt, "attn.1") && metrics_find(&mt, "updates.ratio"),
              "probe series missing");
    }
    prober_free(&p);
    metrics_free(&mt);
    trainer_free(&tr);
    data_close(&d);
    model_free(&m);
}

static void test_probes_do_not_change_training(void)
{
    float a[25], b[25];
    run(0, a, 25);
    run(1, b, 25);
    CHECK(memcmp(a, b, sizeof a) == 0, "probing changed the losses (%.9g vs %.9g at step 25)", a[24], b[24]);
}

static void test_nan_named_where_it_appears(void)
{
    Model m;
    DataSource d;
    Trainer tr;
    if (setup_training(&m, &d, &tr, "model new depth=3 width=32 heads=2 ctx=16 vocab=12", 4)) return;
    Tensor *w = params_tensor(&m.params, params_find(&m.params, "blocks.1.mlp.w_out"));
    w->data[3] = NAN;
    float *before = malloc(sizeof(float) * m.params.total);
    memcpy(before, m.params.data, sizeof(float) * m.params.total);
    StepStats st;
    trainer_step(&tr, &st);
    printf("  NaN reported at: %s\n", st.nonfinite_where);
    CHECK(st.nonfinite, "a NaN weight went unreported");
    CHECK(strstr(st.nonfinite_where, "blocks.1.mlp.out") != NULL, "NaN located at '%s', expected blocks.1.mlp.out",
          st.nonfinite_where);
    CHECK(memcmp(before, m.params.data, sizeof(float) * m.params.total) == 0, "parameters changed on a NaN step");
    free(before);
    trainer_free(&tr);
    data_close(&d);
    model_free(&m);
}

/* A loss that jumps far above its recent history is flagged; steady noise is not. */
static void test_spike_alarm(void)
{
    Health h;
    health_init(&h);
    double zl, zg;
    int flagged = 0;
    for (int i = 0; i < 200; i++) flagged |= health_step(&h, 2.0 - 0.001 * i + 0.01 * (i % 3), 1.0 + 0.05 * (i % 5), &zl, &zg);
    CHECK(!flagged, "steady training raised a spike alarm");
    CHECK(health_step(&h, 9.0, 1.0, &zl, &zg) == 1 && zl > 6, "a loss jump 2 -> 9 was not flagged (z %.1f)", zl);
    CHECK(health_step(&h, 9.5, 1.0, &zl, &zg) == 0, "one event flagged twice");
    for (int i = 0; i < 60; i++) health_step(&h, 1.8 + 0.01 * (i % 3), 1.0 + 0.05 * (i % 5), &zl, &zg);
    /* A grad-norm burst with a steady loss heals by itself in Adam runs: measured, not an alarm. */
    CHECK(health_step(&h, 1.8, 40.0, &zl, &zg) == 0 && zg > 6, "a grad-norm jump alone was flagged (or not measured: z %.1f)", zg);
    /* Near-zero loss: tiny absolute wiggles are not spikes. */
    Health q;
    health_init(&q);
    for (int i = 0; i < 100; i++) flagged |= health_step(&q, 1e-4 * (1 + i % 7), 0.01, &zl, &zg);
    CHECK(!flagged && health_step(&q, 5e-3, 0.01, &zl, &zg) == 0, "noise at loss ~1e-4 raised an alarm");
}

int main(void)
{
    RUN(test_spike_alarm);
    RUN(test_skipless_attention_collapses);
    RUN(test_shaped_attention_keeps_cosine);
    RUN(test_sasp_no_norm_beta_ff);
    RUN(test_postln_collapses_deepnorm_flat);
    RUN(test_update_norm_with_depth);
    RUN(test_probes_do_not_change_training);
    RUN(test_nan_named_where_it_appears);
    return TEST_SUMMARY();
}
