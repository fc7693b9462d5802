/* test_mom.c — Mixture-of-Modules at the level of models (spec
 * mom-and-mlp-attention.md §A.10): a MoM made from a trained vanilla model
 * with the path forced to the diagonal gives that model's logits bit for bit;
 * the two-phase recipe learns and is deterministic; bad settings are refused
 * with one line. (The ops' gradients are checked in test_grad.c, the PyTorch
 * parity in tests/parity/test_parity.py.) */
#include <stdlib.h>

#include "data.h"
#include "mom_model.h"
#include "mom_stack.h"
#include "rng.h"
#include "testlib.h"
#include "train.h"

static ArchSpec *vanilla_spec(int depth, int bias, int norm)
{
    ArchSpec *a = calloc(1, sizeof *a);
    arch_default(a);
    a->depth = depth; a->width = 32; a->heads = 4; a->ctx = 18; a->vocab = 12; a->bias = (uint8_t)bias;
    a->norm = (uint8_t)norm; a->seed = 3;
    arch_reset_blocks(a, NULL);
    return a;
}

static ArchSpec *mom_spec_from(const ArchSpec *v, int na, int nf, int H, int K, int bottom, int anchor, int top)
{
    ArchSpec *a = calloc(1, sizeof *a);
    arch_copy(a, v);
    a->stack = STACK_MOM;
    mom_spec_default(&a->mom);
    a->mom.n_attn = na; a->mom.n_ffn = nf; a->mom.steps = H; a->mom.topk = K;
    a->mom.bottom = bottom; a->mom.anchor = (uint8_t)anchor; a->mom.top = top;
    a->seed = 99;   /* routers from another seed: the copy must not depend on it */
    arch_reset_blocks(a, NULL);
    return a;
}

static void logits_of(Model *m, const int *tok, int B, int T, float *out)
{
    Tape t;
    tape_init(&t, 1 << 20);
    t.recording = 0;
    Tensor *lg = model_forward(m, &t, tok, B, T, NULL, NULL, NULL);
    memcpy(out, lg->data, sizeof(float) * (size_t)lg->n);
    tape_free(&t);
}

/* The vanilla model is the special case N_A = N_F = H, K = 1, path h → h (§A.1). */
static void check_diagonal(const char *name, int bias, int norm, int bottom, int anchor, int top, int pool)
{
    BlError e;
    int depth = bottom + pool + anchor + top;
    ArchSpec *va = vanilla_spec(depth, bias, norm);
    Model v, m;
    CHECK(model_build(&v, va, &e) == 0, "%s", e.msg);
    Rng r;
    rng_seed(&r, 5);   /* "trained": every weight moved off its init */
    for (size_t i = 0; i < v.params.total; i++) v.params.data[i] += (float)(0.1 * rng_normal(&r));
    ArchSpec *ma = mom_spec_from(va, pool, pool, pool, 1, bottom, anchor, top);
    CHECK(mom_check_vanilla(ma, va, &e) == 0, "%s: %s", name, e.msg);
    CHECK(model_build(&m, ma, &e) == 0, "%s", e.msg);
    CHECK(mom_copy_from_vanilla(&m, &v, &e) == 0, "%s", e.msg);
    int B = 2, T = 18, tok[36];
    for (int i = 0; i < B * T; i++) tok[i] = (int)rng_below(&r, 12);
    size_t n = (size_t)B * T * 12;
    float *lv = malloc(sizeof(float) * n), *lm = malloc(sizeof(float) * n), *lf = malloc(sizeof(float) * n);
    logits_of(&v, tok, B, T, lv);
    model_mom(&m)->run.force_diag = 1;
    logits_of(&m, tok, B, T, lm);
    model_mom(&m)->run.force_diag = 0;
    logits_of(&m, tok, B, T, lf);
    double worst = 0, free_diff = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(lv[i] - lm[i]));
        free_diff = fmax(free_diff, fabs(lv[i] - lf[i]));
    }
    printf("  %-40s diagonal max|diff| %.3g, free routing %.3g\n", name, worst, free_diff);
    CHECK(memcmp(lv, lm, sizeof(float) * n) == 0, "%s: diagonal path differs from the vanilla logits by %.3g", name, worst);
    /* The comparison can fail: the router's own path is not the diagonal. */
    CHECK(free_diff > 0, "%s: free routing gave the vanilla logits too: the test sees nothing", name);
    free(lv); free(lm); free(lf);
    model_free(&v);
    model_free(&m);
    arch_free(va);
    arch_free(ma);
    free(va);
    free(ma);
}

static void test_diagonal_is_vanilla(void)
{
    check_diagonal("pure 4+4, no bias", 0, NORM_LAYER, 0, 0, 0, 4);
    check_diagonal("pure 3+3, bias", 1, NORM_LAYER, 0, 0, 0, 3);
    check_diagonal("bottom 1 + 2+2 + anchor + top 1, rms", 0, NORM_RMS, 1, 1, 1, 2);
}

static void test_refusals(void)
{
    BlError e;
    ArchSpec *va = vanilla_spec(3, 0, NORM_LAYER);
    ArchSpec *ma = mom_spec_from(va, 4, 4, 4, 1, 0, 0, 0);
    CHECK(mom_check_vanilla(ma, va, &e) != 0 && strstr(e.msg, "exactly 4"), "too few layers: %s", e.msg);
    ma->width = 64;
    CHECK(mom_check_vanilla(ma, va, &e) != 0 && strstr(e.msg, "width"), "width: %s", e.msg);
    ma->width = 32;
    va->depth = 4;
    arch_reset_blocks(va, NULL);
    CHECK(arch_set_block(va, 2, 2, "preset", "sas", 0, &e) == 0, "%s", e.msg);
    CHECK(mom_check_vanilla(ma, va, &e) != 0 && strstr(e.msg, "block 2"), "sas block: %s", e.msg);
    ArchSpec *b = calloc(1, sizeof *b);
    arch_default(b);
    CHECK(arch_set_model(b, "topk", "9", &e) != 0, "topk=9 accepted");
    CHECK(arch_set_model(b, "attn_pool", "0", &e) != 0, "attn_pool=0 accepted");
    CHECK(arch_set_model(b, "stack", "mom", &e) == 0 && arch_set_model(b, "attn_pool", "2", &e) == 0 &&
          arch_set_model(b, "topk", "4", &e) == 0, "%s", e.msg);
    arch_reset_blocks(b, NULL);
    CHECK(arch_validate(b, &e) != 0 && strstr(e.msg, "topk=4"), "topk above pool+1: %s", e.msg);
    b->mom.topk = 3;
    CHECK(arch_validate(b, &e) == 0, "topk = pool+1 refused: %s", e.msg);
    /* The text form rebuilds the same MoM (checkpoints keep it). */
    char txt[4096];
    arch_to_text(b, txt, sizeof txt);
    ArchSpec *c = calloc(1, sizeof *c);
    CHECK(arch_from_text(c, txt, &e) == 0 && c->stack == STACK_MOM && c->mom.n_attn == 2 && c->mom.topk == 3,
          "round trip of '%s': %s", txt, e.msg);
    arch_free(va); arch_free(ma); arch_free(b); arch_free(c);
    free(va); free(ma); free(b); free(c);
}

/* Phase 1 vanilla, phase 2 MoM from it: returns the final phase-2 loss
 * (mean of the last 10 steps) and the vanilla start loss. */
static void two_phase(float *start, float *end)
{
    BlError e;
    DataSpec ds;
    data_spec_default(&ds);
    ds.kind = DATA_COPY;
    ds.length = 8;
    DataSource d;
    CHECK(data_open(&d, &ds, &e) == 0, "%s", e.msg);
    ArchSpec *va = vanilla_spec(4, 0, NORM_LAYER);
    Model v, m;
    CHECK(model_build(&v, va, &e) == 0, "%s", e.msg);
    OptSpec os;
    optim_spec_default(&os);
    os.lr = 3e-3f;
    os.steps = 150;
    Trainer tr;
    CHECK(trainer_init(&tr, &v, &d, &os, 16, &e) == 0, "%s", e.msg);
    StepStats st;
    for (int i = 0; i < 150; i++) {
        trainer_step(&tr, &st);
        if (i == 0) *start = st.loss;
    }
    trainer_free(&tr);
    ArchSpec *ma = mom_spec_from(va, 4, 4, 4, 1, 0, 0, 0);
    CHECK(model_build(&m, ma, &e) == 0 && mom_copy_from_vanilla(&m, &v, &e) == 0, "%s", e.msg);
    os.steps = 100;
    CHECK(trainer_init(&tr, &m, &d, &os, 16, &e) == 0, "%s", e.msg);
    double tail = 0;
    for (int i = 0; i < 100; i++) {
        trainer_step(&tr, &st);
        CHECK(!st.nonfinite, "phase 2 step %d is not finite", i);
        if (i >= 90) tail += st.loss;
    }
    *end = (float)(tail / 10);
    trainer_free(&tr);
    model_free(&v);
    model_free(&m);
    data_close(&d);
    arch_free(va);
    arch_free(ma);
    free(va);
    free(ma);
}

static void test_two_phase_learns(void)
{
    float s1, e1, s2, e2;
    two_phase(&s1, &e1);
    two_phase(&s2, &e2);
    printf("  vanilla start %.4f, MoM after phase 2 %.4f (again: %.4f)\n", (double)s1, (double)e1, (double)e2);
    CHECK(e1 < s1, "phase 2 ended at %.4f, not below the vanilla start %.4f", (double)e1, (double)s1);
    CHECK(e1 == e2 && s1 == s2, "two identical two-phase runs differ: %.9g vs %.9g", (double)e1, (double)e2);
}

int main(void)
{
    RUN(test_diagonal_is_vanilla);
    RUN(test_refusals);
    RUN(test_two_phase_learns);
    return TEST_SUMMARY();
}
