/* test_student.c — the attention-replacing student (core/student.h):
 *   - the causal form's prefix formulation equals the definition (one LN +
 *     Linear pass per position over the zero-padded prefix, as the official
 *     decoder code runs it);
 *   - finite-difference gradient checks of every new op and of the whole
 *     student in every mode (ALR, ASLR, ALRR, ELR) and form (causal, encoder),
 *     with a padding mask and T < L;
 *   - the causal student never sees the future: changing a later position
 *     leaves every earlier output bit-identical; the encoder form (control)
 *     changes them;
 *   - padded positions output exactly 0; a longer input is refused.
 * Tolerance as in test_grad.c: rel = ‖g_fd − g_tape‖ / max(‖g_fd‖, ‖g_tape‖)
 * < 1e-2 with central differences on L = Σ r·out in float32. The step is
 * 2e-4, not test_grad's 1e-2: the students have a LeakyReLU on h units, and a
 * larger step straddles its kink for some weight (seen at 1e-3: one entry of w1
 * off by 0.4); at 2e-4 rounding noise stays below 1e-3. */
#include <stdlib.h>

#include "ops_student.h"
#include "rng.h"
#include "student.h"
#include "testlib.h"

#define FD_STEP 2e-4f   /* see the top of the file */
#define REL_TOL 1e-2

static Rng rng;

/* A tensor the test owns, with gradient storage. */
typedef struct Owned {
    Tensor t;
    float *data, *grad;
} Owned;

static Tensor *owned(Owned *o, int d0, int d1, int d2, float scale)
{
    memset(&o->t, 0, sizeof o->t);
    tensor_set_shape(&o->t, d0, d1, d2, 0);
    o->data = realloc(o->data, sizeof(float) * (size_t)o->t.n);
    o->grad = realloc(o->grad, sizeof(float) * (size_t)o->t.n);
    o->t.data = o->data;
    o->t.grad = o->grad;
    o->t.rg = 1;
    for (int i = 0; i < o->t.n; i++) o->data[i] = (float)(rng_normal(&rng) * scale);
    return &o->t;
}

static void owned_free(Owned *o)
{
    free(o->data);
    free(o->grad);
    memset(o, 0, sizeof *o);
}

/* The function under test and the tensors it differentiates. */
typedef struct Case {
    Tensor *(*fwd)(Tape *t, struct Case *c);
    Tensor *leaves[40];
    int     nleaves;
    /* student cases */
    StudentSpec spec;
    StudentNet *nets;
    Tensor     *x;
    const float *valid;
    /* op cases */
    const float *target;
    int L;
} Case;

static double weighted(const Tensor *y, const float *r)
{
    double s = 0;
    for (int i = 0; i < y->n; i++) s += (double)r[i] * y->data[i];
    return s;
}

static void grad_check(const char *name, Case *c)
{
    Tape t;
    tape_init(&t, 1 << 20);
    for (int i = 0; i < c->nleaves; i++) memset(c->leaves[i]->grad, 0, sizeof(float) * (size_t)c->leaves[i]->n);
    Tensor *y = c->fwd(&t, c);
    float *r = malloc(sizeof(float) * (size_t)y->n);
    for (int i = 0; i < y->n; i++) r[i] = (float)rng_normal(&rng);
    memcpy(tape_grad(&t, y), r, sizeof(float) * (size_t)y->n);
    tape_backward_seeded(&t);
    t.recording = 0;
    double num = 0, den_fd = 0, den_tp = 0;
    for (int l = 0; l < c->nleaves; l++) {
        Tensor *x = c->leaves[l];
        for (int j = 0; j < x->n; j++) {
            float keep = x->data[j];
            x->data[j] = keep + FD_STEP;
            tape_reset(&t);
            double lp = weighted(c->fwd(&t, c), r);
            x->data[j] = keep - FD_STEP;
            tape_reset(&t);
            double lm = weighted(c->fwd(&t, c), r);
            x->data[j] = keep;
            double fd = (lp - lm) / (2.0 * FD_STEP), tp = x->grad[j];
            num += (fd - tp) * (fd - tp);
            den_fd += fd * fd;
            den_tp += tp * tp;
        }
    }
    double rel = sqrt(num) / fmax(fmax(sqrt(den_fd), sqrt(den_tp)), 1e-3);
    printf("  %-40s rel err %.2e\n", name, rel);
    CHECK(rel < REL_TOL, "%s: gradient rel err %.3e >= %.0e", name, rel, REL_TOL);
    CHECK(sqrt(den_tp) > 1e-6, "%s: gradient is all zero, nothing was checked", name);
    free(r);
    tape_free(&t);
}

/* ---- single ops ------------------------------------------------------------------- */

static const float valid_bt[2 * 4] = {1, 1, 0, 1, 1, 1, 1, 0};   /* B = 2, T = 4, padding inside */
static float mse_target[2 * 4 * 3];

static Tensor *f_leaky(Tape *t, Case *c) { return op_leaky_relu(t, c->leaves[0], 0.01f); }
static Tensor *f_flatten(Tape *t, Case *c) { return op_student_flatten(t, c->leaves[0], valid_bt, c->L); }
static Tensor *f_prefix(Tape *t, Case *c)
{
    Tensor **l = c->leaves;
    return op_student_prefix(t, l[0], valid_bt, c->L, l[1], l[2], l[3], l[4]);
}
static Tensor *f_join(Tape *t, Case *c) { return op_student_join(t, c->leaves, 2, c->L, 4, valid_bt); }
static Tensor *f_mse(Tape *t, Case *c) { return op_masked_mse(t, c->leaves[0], mse_target, valid_bt); }

static void test_ops(void)
{
    Owned o[6] = {0};
    Case c = {0};
    c.leaves[0] = owned(&o[0], 3, 7, 0, 1);
    c.nleaves = 1;
    c.fwd = f_leaky;
    grad_check("leaky_relu", &c);

    c.L = 6;
    c.leaves[0] = owned(&o[0], 2, 4, 3, 1);
    c.fwd = f_flatten;
    grad_check("student_flatten (pad, mask)", &c);

    /* The prefix op with a non-trivial g, beta (so every term of the backward is live). */
    int d = 3, L = 6, h = 5, W = L * d;
    c.leaves[0] = owned(&o[0], 2, 4, d, 1);
    c.leaves[1] = owned(&o[1], W, 0, 0, 0.5f);
    for (int i = 0; i < W; i++) c.leaves[1]->data[i] += 1.0f;
    c.leaves[2] = owned(&o[2], W, 0, 0, 0.5f);
    c.leaves[3] = owned(&o[3], h, W, 0, 0.3f);
    c.leaves[4] = owned(&o[4], h, 0, 0, 0.3f);
    c.nleaves = 5;
    c.fwd = f_prefix;
    grad_check("student_prefix (causal first layer)", &c);
    /* A mean far from 0 stresses the μ·a term. */
    for (int i = 0; i < c.leaves[0]->n; i++) c.leaves[0]->data[i] += 3.0f;
    grad_check("student_prefix, inputs with mean 3", &c);

    c.L = 5;
    c.leaves[0] = owned(&o[0], 2, 5 * 3, 0, 1);
    c.leaves[1] = owned(&o[1], 2, 5 * 3, 0, 1);
    c.nleaves = 2;
    c.fwd = f_join;
    grad_check("student_join (2 nets, P = L > T)", &c);

    for (int i = 0; i < 24; i++) mse_target[i] = (float)rng_normal(&rng);
    c.leaves[0] = owned(&o[0], 2, 4, 3, 1);
    c.nleaves = 1;
    c.fwd = f_mse;
    grad_check("masked_mse", &c);
    for (int i = 0; i < 6; i++) owned_free(&o[i]);
}

/* ---- the causal first layer equals its definition ------------------------------------ */

static void test_prefix_is_definition(void)
{
    int B = 2, T = 4, d = 3, L = 6, h = 5, W = L * d;
    Owned o[5] = {0};
    Tensor *x = owned(&o[0], B, T, d, 1), *g = owned(&o[1], W, 0, 0, 0.5f), *be = owned(&o[2], W, 0, 0, 0.5f);
    Tensor *W1 = owned(&o[3], h, W, 0, 0.3f), *b1 = owned(&o[4], h, 0, 0, 0.3f);
    for (int i = 0; i < x->n; i++) x->data[i] += 2.0f;
    Tape t;
    tape_init(&t, 1 << 16);
    t.recording = 0;
    Tensor *z = op_student_prefix(&t, x, valid_bt, L, g, be, W1, b1);
    double worst = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < T; i++) {
            /* v_i: the padded, masked prefix; then nn.LayerNorm and nn.Linear. */
            double v[64] = {0}, mu = 0, var = 0;
            for (int j = 0; j <= i; j++)
                for (int k = 0; k < d; k++) v[j * d + k] = valid_bt[b * T + j] * x->data[(b * T + j) * d + k];
            for (int k = 0; k < W; k++) mu += v[k] / W;
            for (int k = 0; k < W; k++) var += (v[k] - mu) * (v[k] - mu) / W;
            for (int r = 0; r < h; r++) {
                double acc = b1->data[r];
                for (int k = 0; k < W; k++)
                    acc += W1->data[r * W + k] * ((v[k] - mu) / sqrt(var + 1e-5) * g->data[k] + be->data[k]);
                worst = fmax(worst, fabs(acc - z->data[(b * T + i) * h + r]));
            }
        }
    printf("  prefix form vs per-position definition: max |diff| %.2e\n", worst);
    CHECK(worst < 1e-4, "prefix form differs from the definition by %.3e", worst);
    tape_free(&t);
    for (int i = 0; i < 5; i++) owned_free(&o[i]);
}

/* ---- whole students -------------------------------------------------------------------- */

static Tensor *f_student(Tape *t, Case *c) { return student_forward(t, &c->spec, c->nets, c->x, c->valid); }

/* A student of mode and form over B = 2, T = 4 inside L = 5, d = 4, 2 heads,
 * size L (h = 10), with one padded position per row. Leaves: x and every
 * parameter of the student. */
static void check_student(int mode, int causal)
{
    Student st;
    StudentSpec s;
    BlError e;
    CHECK(student_spec(&s, mode, STUDENT_L, causal, 5, 4, 2, &e) == 0, "spec: %s", e.msg);
    student_build(&st, &s, 7);
    /* Perturb the norms away from (1, 0) so their gradients are checked in general position. */
    for (int n = 0; n < s.nets; n++) {
        StudentNet *p = &st.nets[n];
        Tensor *ln[4] = {p->ln_in_w, p->ln_in_b, p->ln_h_w, p->ln_h_b};
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < ln[k]->n; i++) ln[k]->data[i] += (float)(0.3 * rng_normal(&rng));
    }
    Owned xo = {0};
    Case c = {0};
    c.spec = s;
    c.nets = st.nets;
    c.x = owned(&xo, 2, 4, 4, 1);
    c.valid = valid_bt;
    c.fwd = f_student;
    c.leaves[c.nleaves++] = c.x;
    for (int i = 0; i < st.params.n; i++) c.leaves[c.nleaves++] = &st.params.p[i].t;
    char name[64];
    snprintf(name, sizeof name, "student %s %s (%d nets)", student_mode_names[mode], causal ? "causal" : "encoder", s.nets);
    grad_check(name, &c);
    owned_free(&xo);
    student_free(&st);
}

static void test_students(void)
{
    for (int mode = STUDENT_ALR; mode <= STUDENT_ELR; mode++)
        for (int causal = 0; causal <= 1; causal++) check_student(mode, causal);
}

/* Changing position `later` of the input: outputs at positions < later are
 * bit-identical for the causal form; the encoder form changes them. */
static void test_no_future(void)
{
    for (int causal = 1; causal >= 0; causal--) {
        StudentSpec s;
        Student st;
        BlError e;
        student_spec(&s, STUDENT_ALR, STUDENT_M, causal, 8, 8, 2, &e);
        student_build(&st, &s, 3);
        Owned xo = {0};
        Tensor *x = owned(&xo, 3, 8, 8, 1);
        Tape t;
        tape_init(&t, 1 << 16);
        t.recording = 0;
        Tensor *y0 = student_forward(&t, &s, st.nets, x, NULL);
        float *before = malloc(sizeof(float) * (size_t)y0->n);
        memcpy(before, y0->data, sizeof(float) * (size_t)y0->n);
        int later = 5, C = 8, earlier_same = 1, later_differs = 0;
        for (int b = 0; b < 3; b++)
            for (int k = 0; k < C; k++) x->data[(b * 8 + later) * C + k] += 1.5f;
        tape_reset(&t);
        Tensor *y1 = student_forward(&t, &s, st.nets, x, NULL);
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 8; i++) {
                int same = memcmp(before + (b * 8 + i) * C, y1->data + (b * 8 + i) * C, sizeof(float) * (size_t)C) == 0;
                if (i < later && !same) earlier_same = 0;
                if (i >= later && !same) later_differs = 1;
            }
        if (causal) {
            CHECK(earlier_same, "causal student: an output before position %d changed when position %d did", later, later);
            CHECK(later_differs, "causal student: position %d's own output did not change (the test saw nothing)", later);
        } else {
            CHECK(!earlier_same, "encoder student (control): earlier outputs did not change, so the test cannot see the future");
        }
        free(before);
        tape_free(&t);
        owned_free(&xo);
        student_free(&st);
    }
}

/* Padded positions give exactly 0; positions past T are zero-padded (the
 * output at T-1 with T < L equals the output of the same prefix at L). */
static void test_padding_and_length(void)
{
    StudentSpec s;
    Student st;
    BlError e;
    student_spec(&s, STUDENT_ELR, STUDENT_S, 0, 6, 4, 2, &e);
    student_build(&st, &s, 5);
    Owned xo = {0};
    Tensor *x = owned(&xo, 2, 4, 4, 1);
    Tape t;
    tape_init(&t, 1 << 16);
    t.recording = 0;
    Tensor *y = student_forward(&t, &s, st.nets, x, valid_bt);
    int zeros = 1;
    for (int r = 0; r < 8; r++)
        if (valid_bt[r] == 0.0f)
            for (int k = 0; k < 4; k++) zeros &= y->data[r * 4 + k] == 0.0f;
    CHECK(zeros, "padded positions must output exactly 0");
    CHECK(student_check_len(&s, 6, "test", &e) == 0, "length L must be accepted");
    CHECK(student_check_len(&s, 7, "blocks.1", &e) == -1 && strstr(e.msg, "at most 6 positions"),
          "a longer input must be refused with its length: %s", e.msg);
    /* Sizes: h = L·d/k. */
    StudentSpec s2;
    student_spec(&s2, STUDENT_ALR, STUDENT_XS, 1, 32, 64, 4, &e);
    CHECK(s2.hidden == 16 && s2.out == 64 && s2.nets == 1, "XS at L=32, d=64: h=%d out=%d", s2.hidden, s2.out);
    student_spec(&s2, STUDENT_ASLR, STUDENT_L, 0, 32, 64, 4, &e);
    CHECK(s2.hidden == 1024 && s2.out == 16 && s2.nets == 4, "ASLR L: h=%d out=%d nets=%d", s2.hidden, s2.out, s2.nets);
    CHECK(student_spec(&s2, STUDENT_ASLR, STUDENT_L, 0, 32, 63, 4, &e) == -1, "aslr with width %% heads != 0 is refused");
    /* Parameter count of the spec's table (B.2 formula) at W = 2048, h = 1024: ≈ 4.2M for ALR-L. */
    student_spec(&s2, STUDENT_ALR, STUDENT_L, 0, 32, 64, 4, &e);
    double want = 2.0 * 2048 + 2048.0 * 1024 + 1024 + 2 * 1024 + 1024.0 * 2048 + 2048;
    CHECK(student_params(&s2) == want, "ALR-L params %.0f, want %.0f", student_params(&s2), want);
    tape_free(&t);
    owned_free(&xo);
    student_free(&st);
}

int main(void)
{
    rng_seed(&rng, 42);
    RUN(test_ops);
    RUN(test_prefix_is_definition);
    RUN(test_students);
    RUN(test_no_future);
    RUN(test_padding_and_length);
    return TEST_SUMMARY();
}
