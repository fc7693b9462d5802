/* test_hybrid.c — models with students spliced in (core/hybrid.h, model.c):
 *   - whole-model finite-difference gradients of hybrids in every mode
 *     (attn=mlp-alr|aslr|alrr|elr), causal and encoder, through the loss;
 *   - a spliced causal model never sees the future: changing the last token
 *     leaves the logits of every earlier position bit-identical (encoder: they
 *     change, the control);
 *   - distillation reads the teacher only (its parameters are bit-identical
 *     afterwards), splices every non-student tensor from it, and lowers the
 *     student's MSE;
 *   - refusals, one line each: layer out of range, wrong block kind for the
 *     mode, a block that already is a student, lengths that do not fit. */
#include <stdlib.h>

#include "hybrid.h"
#include "rng.h"
#include "testlib.h"

static Rng rng;

static void build(Model *m, const char *text)
{
    ArchSpec *a = calloc(1, sizeof *a);
    BlError e;
    CHECK(arch_from_text(a, text, &e) == 0, "arch '%s': %s", text, e.msg);
    CHECK(model_build(m, a, &e) == 0, "build '%s': %s", text, e.msg);
    arch_free(a);
    free(a);
}

static double loss_of(Model *m, Tape *t, const int *tok, const int *tgt, int B, int T)
{
    tape_reset(t);
    return model_forward(m, t, tok, B, T, tgt, NULL, NULL)->data[0];
}

/* Tape gradient vs central differences on 60 random parameter entries (a
 * third of them inside the student). A whole model's loss in float32 gives
 * differences with a rounding quantum of ~6e-5 at this step, and a student's
 * LeakyReLU over B·T·h units can put a kink inside the step of an input-side
 * weight; so each entry must agree within 5e-4 + 5 % and at most 3 of 60 may
 * not (kinks). A wrong backward term breaks most entries of the tensors it
 * feeds, far beyond 3. */
static void grad_check_model(const char *text, const char *label)
{
    Model m;
    build(&m, text);
    int B = 2, T = m.arch->ctx, V = m.arch->vocab;
    int tok[64], tgt[64];
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)rng_below(&rng, (uint32_t)V);
        tgt[i] = (int)rng_below(&rng, (uint32_t)V);
    }
    /* Move every weight off its init so LayerNorm gains and biases are general. */
    for (size_t i = 0; i < m.params.total; i++) m.params.data[i] += (float)(0.05 * rng_normal(&rng));
    Tape t;
    tape_init(&t, 1 << 20);
    memset(m.params.grad, 0, sizeof(float) * m.params.total);
    tape_backward(&t, model_forward(&m, &t, tok, B, T, tgt, NULL, NULL));
    t.recording = 0;
    double h = 1e-3;
    int students = 0, outliers = 0;
    for (int k = 0; k < 60; k++) {
        int pi = (int)rng_below(&rng, (uint32_t)m.params.n);
        if (k % 3 == 0) {   /* every third pick: a student tensor */
            for (int tries = 0; tries < 100 && !strstr(m.params.p[pi].name, "student"); tries++)
                pi = (int)rng_below(&rng, (uint32_t)m.params.n);
        }
        Param *p = &m.params.p[pi];
        students += strstr(p->name, "student") != NULL;
        int j = (int)rng_below(&rng, (uint32_t)p->t.n);
        float keep = p->t.data[j];
        p->t.data[j] = keep + (float)h;
        double lp = loss_of(&m, &t, tok, tgt, B, T);
        p->t.data[j] = keep - (float)h;
        double lm = loss_of(&m, &t, tok, tgt, B, T);
        p->t.data[j] = keep;
        double fd = (lp - lm) / (2 * h), tp = p->t.grad[j];
        if (fabs(fd - tp) > 5e-4 + 0.05 * fabs(tp)) {
            outliers++;
            printf("    outlier %s[%d]: finite difference %.6g, tape %.6g\n", p->name, j, fd, tp);
        }
    }
    printf("  %-36s %d of 60 entries off (%d student entries)\n", label, outliers, students);
    CHECK(outliers <= 3, "%s: %d of 60 gradient entries disagree with finite differences", label, outliers);
    CHECK(students > 5, "%s: too few student entries checked (%d)", label, students);
    tape_free(&t);
    model_free(&m);
}

static void test_model_gradients(void)
{
    const char *base[2] = {"model new depth=2 width=8 heads=2 ctx=5 vocab=7 bias=on causal=on",
                           "model new depth=2 width=8 heads=2 ctx=5 vocab=7 bias=on causal=off"};
    const char *modes[4] = {"mlp-alr", "mlp-aslr", "mlp-alrr", "mlp-elr"};
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 4; k++) {
            char text[256], label[64];
            snprintf(text, sizeof text, "%s; block 1 attn=%s student=l", base[c], modes[k]);
            snprintf(label, sizeof label, "hybrid %s %s", modes[k], c ? "encoder" : "causal");
            grad_check_model(text, label);
        }
}

/* A teacher, a task, and a distilled hybrid of all its blocks. */
static int distil(const char *arch, int mode, Model *teacher, DataSource *d, Model *hybrid, int epochs, BlError *e)
{
    build(teacher, arch);
    DataSpec ds;
    data_spec_default(&ds);
    ds.length = 3;
    ds.per_position = !teacher->arch->causal;
    CHECK(data_open(d, &ds, e) == 0, "data: %s", e->msg);
    DistillPlan p;
    distill_plan_default(&p);
    p.mode = mode;
    p.lo = 0;
    p.hi = teacher->arch->depth - 1;
    p.epochs = epochs;
    p.sequences = 64;
    p.batch = 16;
    return hybrid_distill(teacher, d, &p, NULL, NULL, hybrid, e);
}

static void test_spliced_no_future(void)
{
    for (int causal = 1; causal >= 0; causal--) {
        Model t, h;
        DataSource d;
        BlError e;
        char arch[160];
        snprintf(arch, sizeof arch, "model new depth=2 width=16 heads=2 ctx=8 vocab=12 causal=%s", causal ? "on" : "off");
        CHECK(distil(arch, STUDENT_ALR, &t, &d, &h, 1, &e) == 0, "distil: %s", e.msg);
        int T = 8, V = 12, tok[8] = {1, 4, 2, 7, 3, 0, 5, 6};
        Tape tp;
        tape_init(&tp, 1 << 20);
        tp.recording = 0;
        Tensor *lg = NULL;
        model_forward(&h, &tp, tok, 1, T, NULL, NULL, &lg);
        float *before = malloc(sizeof(float) * (size_t)T * V);
        memcpy(before, lg->data, sizeof(float) * (size_t)T * V);
        tok[T - 1] = 9;
        tape_reset(&tp);
        model_forward(&h, &tp, tok, 1, T, NULL, NULL, &lg);
        int same = memcmp(before, lg->data, sizeof(float) * (size_t)(T - 1) * V) == 0;
        if (causal) CHECK(same, "spliced causal hybrid: an earlier position's logits changed with the last token");
        else CHECK(!same, "spliced encoder hybrid (control): earlier logits did not change");
        free(before);
        tape_free(&tp);
        model_free(&t);
        model_free(&h);
        data_close(&d);
    }
}

static void test_teacher_untouched_and_splice(void)
{
    Model t, h;
    DataSource d;
    BlError e;
    const char *arch = "model new depth=2 width=16 heads=2 ctx=6 vocab=12 causal=off bias=on";
    build(&t, arch);
    float *snapshot = malloc(sizeof(float) * t.params.total);
    memcpy(snapshot, t.params.data, sizeof(float) * t.params.total);
    model_free(&t);
    CHECK(distil(arch, STUDENT_ALR, &t, &d, &h, 2, &e) == 0, "distil: %s", e.msg);
    CHECK(memcmp(snapshot, t.params.data, sizeof(float) * t.params.total) == 0, "distillation changed the teacher's parameters");
    char before[512], after[512];
    arch_to_text(t.arch, after, sizeof after);
    ArchSpec *fresh = calloc(1, sizeof *fresh);
    arch_from_text(fresh, arch, &e);
    arch_to_text(fresh, before, sizeof before);
    CHECK(!strcmp(before, after), "distillation changed the teacher's spec: %s", after);
    arch_free(fresh);
    free(fresh);
    int copied = 0, differ = 0, students = 0;
    for (int i = 0; i < h.params.n; i++) {
        Param *p = &h.params.p[i];
        int j = params_find(&t.params, p->name);
        if (strstr(p->name, ".student.")) { students++; continue; }
        CHECK(j >= 0, "hybrid tensor %s is neither the teacher's nor a student's", p->name);
        if (j < 0) continue;
        copied++;
        differ += memcmp(p->t.data, t.params.p[j].t.data, sizeof(float) * (size_t)p->t.n) != 0;
    }
    CHECK(copied > 5 && differ == 0, "spliced tensors differ from the teacher's (%d of %d)", differ, copied);
    CHECK(students == 2 * STUDENT_TENSORS, "expected the students of 2 blocks, found %d tensors", students);
    CHECK(params_find(&h.params, "blocks.0.attn.w_qkv") < 0 && params_find(&h.params, "blocks.0.attn.w_o") >= 0,
          "ALR drops W_QKV and keeps W_O");
    free(snapshot);
    model_free(&t);
    model_free(&h);
    data_close(&d);
}

/* Progress sees the MSE fall over epochs. */
static double first_mse, last_mse;
static int progress(void *ctx, int layer, int epoch, double mse, double val)
{
    if (epoch == 1) first_mse = mse;
    last_mse = mse;
    return 0;
}

static void test_mse_falls(void)
{
    Model t, h;
    DataSource d;
    BlError e;
    build(&t, "model new depth=1 width=16 heads=2 ctx=6 vocab=12 causal=off");
    DataSpec ds;
    data_spec_default(&ds);
    ds.length = 6;
    ds.per_position = 1;
    data_open(&d, &ds, &e);
    DistillPlan p;
    distill_plan_default(&p);
    p.mode = STUDENT_ELR;
    p.epochs = 8;
    p.sequences = 128;
    p.batch = 16;
    CHECK(hybrid_distill(&t, &d, &p, progress, NULL, &h, &e) == 0, "distil: %s", e.msg);
    printf("  ELR student MSE epoch 1 %.3e -> epoch 8 %.3e\n", first_mse, last_mse);
    CHECK(last_mse < 0.5 * first_mse, "student MSE did not fall: %.3e -> %.3e", first_mse, last_mse);
    model_free(&t);
    model_free(&h);
    data_close(&d);
}

static void test_refusals(void)
{
    Model t;
    DataSource d;
    BlError e;
    build(&t, "model new depth=3 width=16 heads=2 ctx=8 vocab=12 causal=off; block 1 attn=off; "
              "block 2 preset=postln");
    DataSpec ds;
    data_spec_default(&ds);
    ds.per_position = 1;
    data_open(&d, &ds, &e);
    DistillPlan p;
    distill_plan_default(&p);
    p.lo = 0;
    p.hi = 3;
    CHECK(hybrid_check(&t, &d, &p, &e) == -1 && strstr(e.msg, "blocks 0..2"), "layer out of range: %s", e.msg);
    p.lo = p.hi = 1;
    CHECK(hybrid_check(&t, &d, &p, &e) == -1 && strstr(e.msg, "attn=off"), "alr on attn=off: %s", e.msg);
    p.mode = STUDENT_ELR;
    CHECK(hybrid_check(&t, &d, &p, &e) == 0, "elr on an attention-free block is fine: %s", e.msg);
    p.mode = STUDENT_ALRR;
    p.lo = p.hi = 2;
    CHECK(hybrid_check(&t, &d, &p, &e) == -1 && strstr(e.msg, "post-norm"), "alrr on post-LN: %s", e.msg);
    p.mode = STUDENT_ALR;
    p.lo = p.hi = 0;
    p.minlen = 2;
    p.maxlen = 9;
    CHECK(hybrid_check(&t, &d, &p, &e) == -1 && strstr(e.msg, "<= 8"), "maxlen beyond ctx: %s", e.msg);
    model_free(&t);
    build(&t, "model new depth=2 width=16 heads=2 ctx=8 vocab=12 causal=off; block 0 attn=mlp-alr");
    p.minlen = p.maxlen = 0;
    CHECK(hybrid_check(&t, &d, &p, &e) == -1 && strstr(e.msg, "already a student"), "student teacher: %s", e.msg);
    /* Accuracy by length beyond ctx: refused, naming the student's fixed length. */
    float ex[4], tk[4];
    CHECK(hybrid_eval_lengths(&t, &d, 6, 9, 1, 4, ex, tk, &e) == -1 && strstr(e.msg, "fixed at ctx"),
          "eval beyond ctx: %s", e.msg);
    model_free(&t);
    data_close(&d);
}

int main(void)
{
    rng_seed(&rng, 5);
    RUN(test_model_gradients);
    RUN(test_spliced_no_future);
    RUN(test_teacher_untouched_and_splice);
    RUN(test_mse_falls);
    RUN(test_refusals);
    return TEST_SUMMARY();
}
