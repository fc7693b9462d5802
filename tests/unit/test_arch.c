/* test_arch.c — presets, toggles and init exactly per spec: DeepNorm's α, β
 * table, SAS's identity attention and zero W^Q, Post-LN-init's layer scaling,
 * the paper's parameter arithmetic (167M vs 146M) without allocating, the
 * one-line arch text round trip, and refusals of impossible combinations. */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "testlib.h"

static ArchSpec a, b;

static void test_deepnorm_constants(void)
{
    /* spec D.2 table, encoder- or decoder-only column */
    const int n[4] = {6, 18, 100, 1000};
    const float alpha[4] = {1.861f, 2.449f, 3.761f, 6.687f}, beta[4] = {0.380f, 0.289f, 0.188f, 0.106f};
    for (int i = 0; i < 4; i++) {
        CHECK(fabsf(arch_deepnorm_alpha(n[i]) - alpha[i]) < 1e-3f, "alpha(%d) = %.4f, spec %.3f", n[i], arch_deepnorm_alpha(n[i]), alpha[i]);
        CHECK(fabsf(arch_deepnorm_beta(n[i]) - beta[i]) < 1e-3f, "beta(%d) = %.4f, spec %.3f", n[i], arch_deepnorm_beta(n[i]), beta[i]);
        arch_default(&a);
        a.depth = n[i];
        snprintf(a.preset, sizeof a.preset, "deepnorm");
        arch_reset_blocks(&a, NULL);
        CHECK(a.blocks[n[i] - 1].alpha_sa.value == arch_deepnorm_alpha(n[i]) && !a.blocks[0].alpha_ff.trainable,
              "deepnorm preset at depth %d does not carry alpha", n[i]);
    }
}

static double std_of(const Tensor *t, int from, int count)
{
    double s = 0;
    for (int i = from; i < from + count; i++) s += (double)t->data[i] * t->data[i];
    return sqrt(s / count);
}

static void test_deepnorm_init(void)
{
    BlError e;
    Model m;
    CHECK(arch_from_text(&a, "model new depth=18 width=128 heads=4 ctx=8 vocab=16 preset=deepnorm", &e) == 0, "%s", e.msg);
    CHECK(model_build(&m, &a, &e) == 0, "%s", e.msg);
    int C = 128;
    float beta = arch_deepnorm_beta(18), xavier = sqrtf(2.0f / (2.0f * C));
    const Tensor *w = m.blocks[5].attn.w_qkv;
    double sq = std_of(w, 0, C * C), sv = std_of(w, 2 * C * C, C * C), so = std_of(m.blocks[5].attn.w_o, 0, C * C);
    printf("  DeepNorm depth 18: std(W^Q) %.4f (Xavier %.4f), std(W^V) %.4f, std(W^O) %.4f (beta*Xavier %.4f)\n", sq, xavier,
           sv, so, beta * xavier);
    CHECK(fabs(sq - xavier) < 0.05 * xavier, "W^Q is not Xavier gain 1");
    CHECK(fabs(sv - beta * xavier) < 0.05 * beta * xavier, "W^V is not Xavier gain beta");
    CHECK(fabs(so - beta * xavier) < 0.05 * beta * xavier, "W^O is not Xavier gain beta");
    model_free(&m);
}

static void test_postln_init_scaling(void)
{
    BlError e;
    Model m;
    CHECK(arch_from_text(&a, "model new depth=4 width=128 heads=4 ctx=8 vocab=16 preset=postln-init", &e) == 0, "%s", e.msg);
    CHECK(model_build(&m, &a, &e) == 0, "%s", e.msg);
    /* layer l (1-based) divided by N - l + 1: block 0 by 4, block 3 by 1 */
    double s0 = std_of(m.blocks[0].attn.w_o, 0, 128 * 128), s3 = std_of(m.blocks[3].attn.w_o, 0, 128 * 128);
    CHECK(fabs(s3 / s0 - 4.0) < 0.2, "Post-LN-init: std ratio top/bottom %.3f, expected 4", s3 / s0);
    model_free(&m);
}

static void test_sas_init(void)
{
    BlError e;
    Model m;
    CHECK(arch_from_text(&a, "model new depth=3 width=64 heads=4 ctx=8 vocab=16 preset=sas", &e) == 0, "%s", e.msg);
    CHECK(model_build(&m, &a, &e) == 0, "%s", e.msg);
    int C = 64, zero = 1;
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < C * C; i++) zero &= m.blocks[l].attn.w_qkv->data[i] == 0.0f;
    CHECK(zero, "W^Q is not zero under shaped attention");
    CHECK(m.blocks[0].attn.w_vd && !m.blocks[1].attn.w_vd && m.blocks[0].attn.w_qkv->shape[0] == 2 * C, "layer 1 keeps W^V = I + dW only");
    CHECK(!m.blocks[0].attn.w_o && !m.blocks[2].attn.w_o, "SAS keeps no W^P");
    CHECK(m.blocks[1].beta_ff.p && m.blocks[1].beta_ff.p->data[0] == 0.1f, "beta_FF is not a trainable 0.1");
    CHECK(m.blocks[1].alpha_ff.p && m.blocks[1].alpha_ff.p->data[0] == 1.0f, "alpha_FF is not a trainable 1");
    CHECK(!m.blocks[1].alpha_sa.p && m.blocks[1].alpha_sa.v == 0.0f, "SAS has an attention skip");
    CHECK(m.blocks[2].attn.gamma && m.blocks[2].attn.gamma->n == 4, "gamma is not per head");
    model_free(&m);
}

static double count(const char *text, double *out)
{
    BlError e;
    ParamTable pt = {0};
    CHECK(arch_from_text(&a, text, &e) == 0, "%s", e.msg);
    CHECK(model_declare(&a, &pt, &e) == 0, "%s", e.msg);
    *out = (double)params_trainable(&pt);
    CHECK(pt.data == NULL, "model_declare allocated parameter storage");
    params_free(&pt);
    return *out;
}

static void test_paper_parameter_counts(void)
{
    double pre, sas;
    /* SAS §4.2 CodeParrot: d=768, L=18, vocab 50K, learned positions; spec B.2 arithmetic. */
    count("model new depth=18 width=768 heads=12 ctx=1024 vocab=50000 bias=on", &pre);
    count("model new depth=18 width=768 heads=12 ctx=1024 vocab=50000 bias=on preset=sas", &sas);
    printf("  CodeParrot scale: Pre-LN %.1fM, SAS %.1fM (paper 167M, 146M; spec 166.7M, 146.1M)\n", pre / 1e6, sas / 1e6);
    CHECK(fabs(pre / 1e6 - 166.7) <= 0.2, "Pre-LN %.2fM, expected 166.7M +- 0.2", pre / 1e6);
    CHECK(fabs(sas / 1e6 - 146.1) <= 0.2, "SAS %.2fM, expected 146.1M +- 0.2", sas / 1e6);
}

static void test_text_round_trip(void)
{
    BlError e;
    const char *texts[] = {
        "model new depth=6 width=64 heads=4 ctx=32 vocab=20 preset=sas; block 2..3 beta.ff~=0.2 act=relu; block 5 attn=off",
        "model new depth=4 width=32 heads=2 causal=off norm=rms preset=sasp; block all norm=off",
        "model new depth=3 preset=deepnorm; block 1 skip.mlp=off mlp=2",
    };
    char t1[4096], t2[4096];
    for (int i = 0; i < 3; i++) {
        CHECK(arch_from_text(&a, texts[i], &e) == 0, "%s: %s", texts[i], e.msg);
        arch_to_text(&a, t1, sizeof t1);
        CHECK(arch_from_text(&b, t1, &e) == 0, "reparse '%s': %s", t1, e.msg);
        arch_to_text(&b, t2, sizeof t2);
        CHECK(strcmp(t1, t2) == 0, "text round trip differs:\n  %s\n  %s", t1, t2);
        CHECK(memcmp(a.blocks, b.blocks, sizeof(BlockSpec) * (size_t)a.depth) == 0, "blocks differ after round trip: %s", t1);
    }
    printf("  e.g. %s\n", t1);
}

static void test_refusals(void)
{
    BlError e;
    arch_default(&a);
    a.depth = 4;
    arch_reset_blocks(&a, NULL);
    CHECK(arch_set_block(&a, 2, 7, "norm", "off", 0, &e) < 0 && strstr(e.msg, "do not exist"), "range: %s", e.msg);
    CHECK(arch_set_block(&a, 0, 3, "shape", "maybe", 0, &e) < 0 && strstr(e.msg, "expected"), "enum: %s", e.msg);
    CHECK(arch_set_block(&a, 0, 3, "layout", "on", 1, &e) < 0 && strstr(e.msg, "~="), "~= on a non-gain: %s", e.msg);
    CHECK(arch_set_block(&a, 0, 3, "depth", "3", 0, &e) < 0 && strstr(e.msg, "model-wide"), "scope: %s", e.msg);
    CHECK(arch_set_model(&a, "width", "abc", &e) < 0 && strstr(e.msg, "number"), "number: %s", e.msg);
    CHECK(arch_set_model(&a, "heads", "0", &e) < 0 && strstr(e.msg, "range"), "range: %s", e.msg);
    arch_set_model(&a, "heads", "3", &e);
    CHECK(arch_validate(&a, &e) < 0 && strstr(e.msg, "multiple"), "width/heads: %s", e.msg);
    arch_set_model(&a, "heads", "4", &e);
    arch_set_block(&a, 1, 1, "layout", "parallel", 0, &e);
    arch_set_block(&a, 1, 1, "norm", "post", 0, &e);
    CHECK(arch_validate(&a, &e) < 0 && strstr(e.msg, "block 1"), "parallel+post: %s", e.msg);
    arch_reset_blocks(&a, NULL);
    arch_set_block(&a, 2, 2, "attn", "off", 0, &e);
    arch_set_block(&a, 2, 2, "mlp", "off", 0, &e);
    CHECK(arch_validate(&a, &e) < 0 && strstr(e.msg, "empty"), "empty block: %s", e.msg);
}

int main(void)
{
    RUN(test_deepnorm_constants);
    RUN(test_deepnorm_init);
    RUN(test_postln_init_scaling);
    RUN(test_sas_init);
    RUN(test_paper_parameter_counts);
    RUN(test_text_round_trip);
    RUN(test_refusals);
    return TEST_SUMMARY();
}
