/* test_grad.c — finite-difference gradient checks: every op alone, then whole
 * 2-block models of every preset. The property: the tape's backward equals the
 * derivative of the forward.
 *
 * Tolerance. The checked scalar is L = Σ r_i·out_i (r random) for ops, or the
 * loss for models, evaluated in float32. A central difference with step h has
 * truncation error O(h²·f''') and rounding error ≈ ε·|L|/h (ε = 6e-8), so with
 * h = 1e-2 and |L| ~ 1..10 both are around 1e-4..1e-3 absolute. We compare whole
 * gradient vectors: rel = ‖g_fd − g_tape‖ / max(‖g_fd‖, ‖g_tape‖, 1e-3), and
 * require rel < 1e-2. A wrong backward formula (a dropped term, a swapped
 * transpose, a missing scale) gives rel of order 0.1..1, so this fails on it;
 * float noise stays below 1e-3 in practice (printed for each check). */
#include <stdlib.h>

#include "gradcheck.h"
#include "model.h"
#include "mom_stack.h"
#include "ops.h"
#include "ops_route.h"
#include "rng.h"
#include "testlib.h"

#define H_STEP 1e-2f
#define REL_TOL 1e-2
/* Whole models: the loss is O(1) and ReLU kinks are crossed less often with a
 * smaller step; rounding error ε·|L|/h stays ~2e-4 at h = 6e-4. */
#define MODEL_H 6e-4f

static Rng rng;
static int expect_failure;   /* the checker's own negative test runs with this set */

/* ---- leaves: tensors the test owns, with gradient storage ---------------------- */

typedef struct Leaf {
    Tensor t;
    float  store[4096];
    float  gstore[4096];
} Leaf;

static Tensor *leaf(Leaf *l, int d0, int d1, int d2, float scale)
{
    memset(&l->t, 0, sizeof l->t);
    tensor_set_shape(&l->t, d0, d1, d2, 0);
    l->t.data = l->store;
    l->t.grad = l->gstore;
    l->t.rg = 1;
    for (int i = 0; i < l->t.n; i++) l->store[i] = (float)(rng_normal(&rng) * scale);
    return &l->t;
}

/* A forward under test: builds an output from the leaves. */
typedef Tensor *(*Forward)(Tape *t, Tensor **leaves, void *ctx);

static double dot_loss(const Tensor *out, const float *r)
{
    double s = 0;
    for (int i = 0; i < out->n; i++) s += (double)r[i] * out->data[i];
    return s;
}

/* Returns the relative error between the tape's gradient and central differences. */
static double check_op(const char *name, Forward f, Tensor **leaves, int nleaves, void *ctx)
{
    Tape t;
    tape_init(&t, 1 << 20);
    for (int i = 0; i < nleaves; i++) memset(leaves[i]->grad, 0, (size_t)leaves[i]->n * sizeof(float));
    Tensor *out = f(&t, leaves, ctx);
    float *r = malloc((size_t)out->n * sizeof *r);
    for (int i = 0; i < out->n; i++) r[i] = (float)rng_normal(&rng);
    float *g = tape_grad(&t, out);
    memcpy(g, r, (size_t)out->n * sizeof *r);
    tape_backward_seeded(&t);

    double num = 0, den_fd = 0, den_tp = 0;
    t.recording = 0;
    for (int i = 0; i < nleaves; i++) {
        Tensor *x = leaves[i];
        if (!x->rg) continue;
        for (int j = 0; j < x->n; j++) {
            float keep = x->data[j];
            x->data[j] = keep + H_STEP;
            tape_reset(&t);
            double lp = dot_loss(f(&t, leaves, ctx), r);
            x->data[j] = keep - H_STEP;
            tape_reset(&t);
            double lm = dot_loss(f(&t, leaves, ctx), r);
            x->data[j] = keep;
            double fd = (lp - lm) / (2.0 * H_STEP), tp = x->grad[j];
            num += (fd - tp) * (fd - tp);
            den_fd += fd * fd;
            den_tp += tp * tp;
        }
    }
    double rel = sqrt(num) / fmax(fmax(sqrt(den_fd), sqrt(den_tp)), 1e-3);
    printf("  %-34s rel err %.2e\n", name, rel);
    if (!expect_failure) CHECK(rel < REL_TOL, "%s: gradient rel err %.3e >= %.0e", name, rel, REL_TOL);
    CHECK(sqrt(den_tp) > 1e-6, "%s: gradient is all zero, nothing was checked", name);
    free(r);
    tape_free(&t);
    return rel;
}

/* ---- op forwards ---------------------------------------------------------------- */

static int tokens[2 * 5] = {1, 3, 0, 2, 3, 4, 4, 1, 0, 2};

static Tensor *f_embed(Tape *t, Tensor **l, void *c) { return op_embed(t, tokens, 2, 5, l[0], l[1]); }
static Tensor *f_linear(Tape *t, Tensor **l, void *c) { return op_linear(t, l[0], l[1], l[2]); }
static Tensor *f_linear_nobias(Tape *t, Tensor **l, void *c) { return op_linear(t, l[0], l[1], NULL); }
static Tensor *f_mix(Tape *t, Tensor **l, void *c) { return op_mix(t, l[0], gain_param(l[2]), l[1], gain_param(l[3])); }
static Tensor *f_gelu(Tape *t, Tensor **l, void *c) { return op_gelu(t, l[0]); }
static Tensor *f_relu(Tape *t, Tensor **l, void *c) { return op_relu(t, l[0]); }
static Tensor *f_layernorm(Tape *t, Tensor **l, void *c) { return op_layernorm(t, l[0], l[1], l[2], 1e-5f); }
static Tensor *f_rmsnorm(Tape *t, Tensor **l, void *c) { return op_rmsnorm(t, l[0], l[1], 1e-5f); }

/* Attention case: leaves are qkv, [v], [alpha, beta, gamma]. */
typedef struct AttnCase {
    int causal, sep, gains;   /* gains: 0 none, 2 value-skip (alpha, beta), 3 shaped */
} AttnCase;

static Tensor *f_attention(Tape *t, Tensor **l, void *c)
{
    const AttnCase *k = c;
    int g = k->sep ? 2 : 1;
    AttnOpts o = {.n_head = 2, .causal = k->causal};
    if (k->gains >= 2) { o.alpha = l[g]; o.beta = l[g + 1]; }
    if (k->gains == 3) o.gamma = l[g + 2];
    return op_attention(t, l[0], k->sep ? l[1] : NULL, &o, NULL);
}

static int xent_targets[6] = {0, 3, 2, 1, 3, 0};
static float xent_mask[6] = {1, 0, 1, 1, 0.5f, 1};
static Tensor *f_xent(Tape *t, Tensor **l, void *c) { return op_cross_entropy(t, l[0], xent_targets, c ? xent_mask : NULL); }

static void test_ops(void)
{
    static Leaf L[6];
    Tensor *v[6];
    v[0] = leaf(&L[0], 6, 4, 0, 1);
    v[1] = leaf(&L[1], 5, 4, 0, 1);
    check_op("embed (wte, wpe)", f_embed, v, 2, NULL);

    v[0] = leaf(&L[0], 2, 3, 5, 1);
    v[1] = leaf(&L[1], 4, 5, 0, 1);
    v[2] = leaf(&L[2], 4, 0, 0, 1);
    check_op("linear (x, W, b)", f_linear, v, 3, NULL);
    check_op("linear without bias", f_linear_nobias, v, 2, NULL);

    v[0] = leaf(&L[0], 3, 4, 0, 1);
    v[1] = leaf(&L[1], 3, 4, 0, 1);
    v[2] = leaf(&L[2], 1, 0, 0, 1);
    v[3] = leaf(&L[3], 1, 0, 0, 1);
    check_op("mix (x, y, trainable gains)", f_mix, v, 4, NULL);

    v[0] = leaf(&L[0], 4, 6, 0, 1.5f);
    check_op("gelu", f_gelu, v, 1, NULL);
    check_op("relu", f_relu, v, 1, NULL);

    v[0] = leaf(&L[0], 3, 8, 0, 2);
    v[1] = leaf(&L[1], 8, 0, 0, 1);
    v[2] = leaf(&L[2], 8, 0, 0, 1);
    check_op("layernorm (x, w, b)", f_layernorm, v, 3, NULL);
    check_op("rmsnorm (x, w)", f_rmsnorm, v, 2, NULL);

    v[0] = leaf(&L[0], 6, 5, 0, 2);
    check_op("cross-entropy", f_xent, v, 1, NULL);
    check_op("cross-entropy with mask", f_xent, v, 1, xent_mask);
}

static void test_attention(void)
{
    static Leaf L[6];
    Tensor *v[6];
    int B = 2, T = 5, C = 8;
    const char *names[2][4] = {{"attention bidir, fused qkv", "attention bidir, separate v",
                                "shaped attention bidir", "value-skip attention bidir"},
                               {"attention causal, fused qkv", "attention causal, separate v",
                                "shaped attention causal", "value-skip attention causal"}};
    for (int causal = 0; causal <= 1; causal++) {
        AttnCase k = {causal, 0, 0};
        v[0] = leaf(&L[0], B, T, 3 * C, 1);
        check_op(names[causal][0], f_attention, v, 1, &k);
        k.sep = 1;
        v[0] = leaf(&L[0], B, T, 2 * C, 1);
        v[1] = leaf(&L[1], B, T, C, 1);
        check_op(names[causal][1], f_attention, v, 2, &k);
        k.gains = 3;   /* per-head alpha, beta, gamma (SAS Eq. 5) */
        for (int i = 2; i < 5; i++) v[i] = leaf(&L[i], 2, 0, 0, 1);
        check_op(names[causal][2], f_attention, v, 5, &k);
        k.gains = 2;   /* shared alpha, beta (SAS Eq. 4) */
        for (int i = 2; i < 4; i++) v[i] = leaf(&L[i], 1, 0, 0, 1);
        check_op(names[causal][3], f_attention, v, 4, &k);
    }
    /* A longer sequence than the others (T = 70), as real models use. */
    AttnCase k = {1, 1, 3};
    v[0] = leaf(&L[0], 1, 70, 2 * C, 1);
    v[1] = leaf(&L[1], 1, 70, C, 1);
    for (int i = 2; i < 5; i++) v[i] = leaf(&L[i], 2, 0, 0, 1);
    check_op("shaped causal, T=70", f_attention, v, 5, &k);
    k = (AttnCase){1, 0, 0};
    v[0] = leaf(&L[0], 1, 70, 3 * C, 1);
    check_op("attention causal, T=70", f_attention, v, 1, &k);
}

/* Causal attention in bands of query rows (ops.h attn_tiling): gradients check
 * as the full products do, and the output and gradients equal the full
 * products' to float rounding (not bit for bit: other sgemm kernels). */
static void test_attention_bands(void)
{
    static Leaf L[5];
    Tensor *v[5];
    AttnTiling keep = attn_tiling;
    Rng keep_rng = rng;   /* later tests draw their inputs from where the others left rng */
    attn_tiling = (AttnTiling){.rows = 16, .min_t = 0};   /* T = 70: bands of 16, the last of 6 */
    AttnCase k = {1, 1, 3};
    v[0] = leaf(&L[0], 1, 70, 2 * 8, 1);
    v[1] = leaf(&L[1], 1, 70, 8, 1);
    for (int i = 2; i < 5; i++) v[i] = leaf(&L[i], 2, 0, 0, 1);
    check_op("banded shaped causal, T=70", f_attention, v, 5, &k);
    k = (AttnCase){1, 0, 0};
    v[0] = leaf(&L[0], 2, 70, 3 * 8, 1);
    check_op("banded attention causal, T=70", f_attention, v, 1, &k);

    /* Same inputs, banded (twice) and full: the banded runs are bit-identical,
     * and agree with the full products to float rounding. */
    static float y[3][2 * 70 * 8], g[3][2 * 70 * 24];
    for (int pass = 0; pass < 3; pass++) {
        attn_tiling = (AttnTiling){.rows = 16, .min_t = pass == 1 ? 1 << 30 : 0};
        Tape t;
        tape_init(&t, 1 << 20);
        memset(L[0].gstore, 0, sizeof L[0].gstore);
        Tensor *out = f_attention(&t, v, &k);
        float *d = tape_grad(&t, out);
        for (int i = 0; i < out->n; i++) d[i] = (float)((i % 7) - 3) * 0.25f;
        tape_backward_seeded(&t);
        memcpy(y[pass], out->data, sizeof y[pass]);
        memcpy(g[pass], L[0].gstore, sizeof g[pass]);
        tape_free(&t);
    }
    double ey = 0, eg = 0, sy = 0, sg = 0;
    for (int i = 0; i < 2 * 70 * 8; i++) ey = fmax(ey, fabs(y[0][i] - y[1][i])), sy = fmax(sy, fabs(y[1][i]));
    for (int i = 0; i < 2 * 70 * 24; i++) eg = fmax(eg, fabs(g[0][i] - g[1][i])), sg = fmax(sg, fabs(g[1][i]));
    printf("  banded vs full products, T=70: |dy| %.2g of %.2g, |dqkv| %.2g of %.2g\n", ey, sy, eg, sg);
    CHECK(ey <= 1e-5 * sy, "banded output differs from the full products by %.3g", ey);
    CHECK(eg <= 1e-5 * sg && sg > 0, "banded gradient differs from the full products by %.3g", eg);
    CHECK(!memcmp(y[0], y[2], sizeof y[0]) && !memcmp(g[0], g[2], sizeof g[0]), "two banded runs differ");
    attn_tiling = keep;
    rng = keep_rng;
}

/* Short contexts with head sizes that are multiples of 16 go through
 * attn_kernel.h's loops instead of OpenBLAS. Their gradients check, and
 * output and every gradient agree with the full OpenBLAS products (bands
 * off) to float rounding over lengths that are and are not multiples of the
 * kernels' blocks (4 rows, 16 keys), causal and not, plain, shaped and
 * value-skip, fused and separate V, and head sizes 16 to 64 (48: the kernels'
 * one-vector tail). Two runs of the kernels give the same bits. */
typedef struct KernelCase {
    int T, hs, causal, sep, gains;
} KernelCase;

/* Runs attention forward + backward (upstream gradient fixed) on the inputs;
 * out: y, then the gradients of qkv, v and the gains, concatenated. */
static size_t attention_run(const KernelCase *c, Tensor **in, float *out)
{
    Tape t;
    tape_init(&t, 1 << 20);
    int nin = c->sep ? 2 : 1, ng = c->gains;
    for (int i = 0; i < nin + ng; i++) memset(in[i]->grad, 0, (size_t)in[i]->n * sizeof(float));
    AttnOpts o = {.n_head = 2, .causal = c->causal};
    if (ng >= 2) { o.alpha = in[nin]; o.beta = in[nin + 1]; }
    if (ng == 3) o.gamma = in[nin + 2];
    Tensor *y = op_attention(&t, in[0], c->sep ? in[1] : NULL, &o, NULL);
    float *d = tape_grad(&t, y);
    for (int i = 0; i < y->n; i++) d[i] = (float)((i % 7) - 3) * 0.25f;
    tape_backward_seeded(&t);
    size_t n = 0;
    memcpy(out, y->data, (size_t)y->n * sizeof *out);
    n += (size_t)y->n;
    for (int i = 0; i < nin + ng; i++) {
        memcpy(out + n, in[i]->grad, (size_t)in[i]->n * sizeof *out);
        n += (size_t)in[i]->n;
    }
    tape_free(&t);
    return n;
}

static void test_attention_small_kernels(void)
{
    static Leaf L[5];
    Tensor *v[5];
    AttnTiling keep = attn_tiling;
    Rng keep_rng = rng;   /* later tests draw their inputs from where the others left rng */
    /* Gradient checks on the kernels' path. */
    AttnCase k = {1, 0, 0};
    v[0] = leaf(&L[0], 2, 13, 3 * 32, 1);   /* heads of 16 */
    check_op("kernels: attention causal, head 16, T=13", f_attention, v, 1, &k);
    k = (AttnCase){0, 1, 3};
    v[0] = leaf(&L[0], 1, 9, 2 * 32, 1);
    v[1] = leaf(&L[1], 1, 9, 32, 1);
    for (int i = 2; i < 5; i++) v[i] = leaf(&L[i], 2, 0, 0, 1);
    check_op("kernels: shaped bidir, separate v, T=9", f_attention, v, 5, &k);
    k = (AttnCase){1, 1, 2};
    v[0] = leaf(&L[0], 1, 6, 2 * 96, 1);   /* heads of 48 */
    v[1] = leaf(&L[1], 1, 6, 96, 1);
    for (int i = 2; i < 4; i++) v[i] = leaf(&L[i], 1, 0, 0, 1);
    check_op("kernels: value-skip causal, head 48, T=6", f_attention, v, 4, &k);

    /* Kernels against the full products. */
    static const int Ts[] = {1, 2, 3, 4, 5, 15, 16, 17, 31, 33, 64, 67};
    static const int hss[] = {16, 32, 48, 64};
    int cases = 0, worst_case = -1;
    double worst = 0;
    for (size_t ti = 0; ti < sizeof Ts / sizeof *Ts; ti++)
        for (size_t hi = 0; hi < sizeof hss / sizeof *hss; hi++)
            for (int variant = 0; variant < 6; variant++) {
                KernelCase c = {Ts[ti], hss[hi], variant & 1, variant >= 2 && variant < 4, variant / 2 == 2 ? 3 : 0};
                if (variant == 3) c.gains = 2;
                int B = 2, C = 2 * c.hs, nin = c.sep ? 2 : 1;
                Tensor tin[5];
                Tensor *in[5];
                float *mem[5];
                for (int i = 0; i < nin + c.gains; i++) {
                    memset(&tin[i], 0, sizeof tin[i]);
                    if (i == 0) tensor_set_shape(&tin[i], B, c.T, (c.sep ? 2 : 3) * C, 0);
                    else if (i == 1 && c.sep) tensor_set_shape(&tin[i], B, c.T, C, 0);
                    else tensor_set_shape(&tin[i], 2, 0, 0, 0);
                    mem[i] = malloc(2 * (size_t)tin[i].n * sizeof(float));
                    tin[i].data = mem[i];
                    tin[i].grad = mem[i] + tin[i].n;
                    tin[i].rg = 1;
                    for (int j = 0; j < tin[i].n; j++) tin[i].data[j] = (float)rng_normal(&rng);
                    in[i] = &tin[i];
                }
                size_t cap = 4 * (size_t)B * c.T * 3 * C + 16;
                float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b), *a2 = malloc(cap * sizeof *a2);
                attn_tiling = keep;   /* T < min_t: the kernels */
                size_t n = attention_run(&c, in, a);
                attention_run(&c, in, a2);
                attn_tiling = (AttnTiling){.rows = 0, .min_t = 0};   /* full OpenBLAS products */
                attention_run(&c, in, b);
                double e = 0, sc = 0;
                for (size_t i = 0; i < n; i++) e = fmax(e, fabs(a[i] - b[i])), sc = fmax(sc, fabs(b[i]));
                double rel = sc > 0 ? e / sc : e;
                if (rel > worst) worst = rel, worst_case = cases;
                CHECK(rel <= 1e-5 && sc > 0, "kernels vs products: T=%d head %d causal %d sep %d gains %d: %.3g of %.3g",
                      c.T, c.hs, c.causal, c.sep, c.gains, e, sc);
                CHECK(!memcmp(a, a2, n * sizeof *a), "two kernel runs differ: T=%d head %d", c.T, c.hs);
                cases++;
                free(a), free(b), free(a2);
                for (int i = 0; i < nin + c.gains; i++) free(mem[i]);
            }
    printf("  kernels vs OpenBLAS products: %d cases, worst max|diff|/max|ref| %.2g (case %d)\n", cases, worst,
           worst_case);
    attn_tiling = keep;
    rng = keep_rng;
}

/* A backward that is wrong must fail the check: scale one gradient and see. */
static Tensor *f_broken(Tape *t, Tensor **l, void *c)
{
    Tensor *y = op_gelu(t, l[0]);
    /* Corrupt what backward will produce by mixing in an untracked term. */
    for (int i = 0; i < y->n; i++) y->data[i] += 0.5f * l[0]->data[i] * l[0]->data[i];
    return y;
}

static void test_checker_can_fail(void)
{
    static Leaf L;
    Tensor *v[1] = {leaf(&L, 4, 6, 0, 1.5f)};
    expect_failure = 1;
    double rel = check_op("(deliberately broken backward)", f_broken, v, 1, NULL);
    expect_failure = 0;
    CHECK(rel > 0.1, "a wrong backward went unnoticed: rel %.3e", rel);
}

/* ---- whole models ------------------------------------------------------------------ */

static void check_model(const char *preset, const char *extra_key, const char *extra_val, int causal, int bias,
                        int norm)
{
    static ArchSpec a;
    BlError e;
    arch_default(&a);
    a.depth = 2; a.width = 8; a.heads = 2; a.ctx = 6; a.vocab = 7; a.bias = (uint8_t)bias;
    a.causal = (uint8_t)causal; a.norm = (uint8_t)norm; a.mlp_ratio = 2;
    snprintf(a.preset, sizeof a.preset, "%s", preset);
    arch_reset_blocks(&a, NULL);
    if (extra_key) CHECK(arch_set_block(&a, 0, 1, extra_key, extra_val, 0, &e) == 0, "%s", e.msg);
    Model m;
    if (model_build(&m, &a, &e)) { CHECK(0, "build %s: %s", preset, e.msg); return; }
    int B = 2, T = 6, toks[12], tg[12];
    float mask[12];
    grad_check_batch(&m, 7, toks, tg, mask);

    double rel = model_grad_rel_err(&m, toks, tg, mask, B, T, MODEL_H, NULL);
    char name[96];
    snprintf(name, sizeof name, "model %s%s%s%s%s %s%s", preset, extra_key ? " " : "", extra_key ? extra_key : "",
             extra_key ? "=" : "", extra_key ? extra_val : "", causal ? "causal" : "bidir", bias ? " bias" : "");
    printf("  %-34s rel err %.2e (%zu params)\n", name, rel, params_trainable(&m.params));
    CHECK(rel < REL_TOL, "%s: gradient rel err %.3e", name, rel);
    model_free(&m);
}

static void test_models(void)
{
    for (int i = 0; arch_preset_names[i]; i++) check_model(arch_preset_names[i], NULL, NULL, 1, 0, NORM_LAYER);
    check_model("preln", NULL, NULL, 1, 1, NORM_LAYER);
    check_model("preln", NULL, NULL, 0, 1, NORM_RMS);
    check_model("sas", NULL, NULL, 0, 0, NORM_RMS);
    check_model("sasp", "norm", "off", 1, 0, NORM_LAYER);
    check_model("preln", "attn", "off", 1, 0, NORM_LAYER);
    check_model("preln", "mlp", "off", 1, 0, NORM_LAYER);
    check_model("preln", "act", "relu", 1, 1, NORM_LAYER);
}


/* ---- Mixture-of-Modules routing (spec mom-and-mlp-attention.md §A) ------------------- */

static Tensor *f_gru(Tape *t, Tensor **l, void *c) { return op_gru_gates(t, l[0], l[1], l[2]); }
static Tensor *f_softmax_tau(Tape *t, Tensor **l, void *c) { return op_softmax_tau(t, l[0], 0.2f, c ? 1u << 2 : 0); }

/* Top-K with the choice held fixed: the first call records it, later calls force it. */
typedef struct TopkCase {
    int K, renorm, have;
    int idx[64];
} TopkCase;

static Tensor *f_topk(Tape *t, Tensor **l, void *c)
{
    TopkCase *k = c;
    int *idx = arena_alloc(&t->arena, sizeof(int) * 64);
    Tensor *w = op_topk_weights(t, l[0], k->K, k->renorm, k->have ? k->idx : NULL, idx);
    if (!k->have) { memcpy(k->idx, idx, sizeof k->idx); k->have = 1; }
    return w;
}

static Tensor *f_balance(Tape *t, Tensor **l, void *c)
{
    Tensor *ps[2] = {op_softmax_tau(t, l[0], 0.5f, 0), op_softmax_tau(t, l[1], 0.5f, 0)};
    return op_balance_loss(t, ps, 2);
}

static const int g_rows[5] = {4, 0, 2, 2, 5};
static Tensor *f_gather(Tape *t, Tensor **l, void *c) { return op_gather_rows(t, l[0], g_rows, 5); }

/* Two sources onto 6 rows: rows/slots as a top-2 routing would give them. */
static const int s_rows0[3] = {0, 2, 5}, s_slot0[3] = {0, 1, 0}, s_rows1[2] = {2, 3}, s_slot1[2] = {0, 1};
static Tensor *f_scatter(Tape *t, Tensor **l, void *c)
{
    RouteSrc src[2] = {{l[0], s_rows0, s_slot0, 3}, {l[1], s_rows1, s_slot1, 2}};
    return op_scatter_rows(t, l[3], 4, src, 2, c ? l[2] : NULL, 2);
}

static void test_route_ops(void)
{
    static Leaf L[4];
    Tensor *v[4];
    v[0] = leaf(&L[0], 5, 9, 0, 1);
    v[1] = leaf(&L[1], 5, 9, 0, 1);
    v[2] = leaf(&L[2], 5, 3, 0, 1);
    check_op("gru gates (gx, gh, h)", f_gru, v, 3, NULL);
    v[0] = leaf(&L[0], 6, 5, 0, 1);
    check_op("softmax / tau", f_softmax_tau, v, 1, NULL);
    check_op("softmax / tau, one knocked out", f_softmax_tau, v, 1, (void *)1);
    TopkCase k2 = {2, 1, 0, {0}}, k1raw = {1, 0, 0, {0}}, k3raw = {3, 0, 0, {0}};
    v[0] = leaf(&L[0], 6, 5, 0, 0.3f);
    for (int i = 0; i < v[0]->n; i++) v[0]->data[i] = 0.2f + fabsf(v[0]->data[i]);   /* p > 0 */
    check_op("top-2 renormalised weights", f_topk, v, 1, &k2);
    check_op("top-1 raw weights", f_topk, v, 1, &k1raw);
    check_op("top-3 raw weights", f_topk, v, 1, &k3raw);
    v[0] = leaf(&L[0], 7, 4, 0, 1);
    v[1] = leaf(&L[1], 5, 4, 0, 1);
    check_op("load-balancing loss", f_balance, v, 2, NULL);
    v[0] = leaf(&L[0], 2, 3, 4, 1);
    check_op("gather rows", f_gather, v, 1, NULL);
    v[0] = leaf(&L[0], 3, 4, 0, 1);
    v[1] = leaf(&L[1], 2, 4, 0, 1);
    v[2] = leaf(&L[2], 6, 2, 0, 1);
    v[3] = leaf(&L[3], 6, 1, 0, 1);
    v[3]->rg = 0;
    check_op("scatter rows, unweighted", f_scatter, v, 2, NULL);
    check_op("scatter rows, weighted", f_scatter, v, 3, (void *)1);
    v[3]->rg = 1;
}

/* At K = 1 with renormalisation the kept weight is exactly 1 and its gradient
 * exactly 0: the language-model loss cannot reach the router (spec §A.5). */
static void test_topk1_no_gradient(void)
{
    Tape t;
    tape_init(&t, 1 << 16);
    static Leaf L;
    Tensor *s = leaf(&L, 9, 5, 0, 1);
    memset(s->grad, 0, sizeof(float) * (size_t)s->n);
    Tensor *p = op_softmax_tau(&t, s, 0.2f, 0);
    int idx[9];
    Tensor *w = op_topk_weights(&t, p, 1, 1, NULL, idx);
    int ones = 1;
    for (int i = 0; i < 9; i++) ones &= w->data[i] == 1.0f;
    CHECK(ones, "top-1 renormalised weights are not all exactly 1");
    float *g = tape_grad(&t, w);
    for (int i = 0; i < 9; i++) g[i] = (float)rng_normal(&rng);
    tape_backward_seeded(&t);
    double nz = 0;
    for (int i = 0; i < s->n; i++) nz += fabs(s->grad[i]);
    CHECK(nz == 0.0, "router scores got gradient %.3e through a top-1 renormalised weight", nz);
    tape_free(&t);
}

/* A whole MoM chunk: routers (GRU or MLP), pools, SKIP, top-K, the aux loss.
 * The scalar is Σ r·x_out + aux; the choices of the first forward are forced
 * afterwards so finite differences never cross a change of path. */
typedef struct ChunkCase {
    MomSpec     s;
    MomModelCfg c;
    MomParams   p;
    int         force[2][4 * 12 * 2];
    float       r[12 * 8];
} ChunkCase;

static double chunk_loss(ChunkCase *k, Tape *t, Tensor *x, int forced, Tensor **out)
{
    int N = tensor_rows(x), K = k->s.topk;
    static int ia[4 * 12 * 2], iff[4 * 12 * 2];
    static float wa[4 * 12 * 2], wf[4 * 12 * 2];
    MomRecord rec = {N, ia, iff, wa, wf, NULL, NULL};
    MomRun run = {forced ? k->force[0] : NULL, forced ? k->force[1] : NULL, 0, 0, forced ? NULL : &rec, 0};
    Tensor *aux = NULL;
    Tensor *y = mom_forward(&k->s, &k->c, &k->p, &run, t, x, &aux);
    if (!forced) {
        memcpy(k->force[0], ia, sizeof(int) * (size_t)k->s.steps * N * K);
        memcpy(k->force[1], iff, sizeof(int) * (size_t)k->s.steps * N * K);
    }
    /* L = Σ r·y + aux as one tape scalar: y·r via a linear with r as a (1, N·C) weight. */
    /* The flat view shares y's data and gradient buffer. */
    Tensor *flat = arena_alloc(&t->arena, sizeof *flat), *rw = arena_alloc(&t->arena, sizeof *rw);
    *flat = *y;
    tensor_set_shape(flat, 1, y->n, 0, 0);
    if (t->recording) flat->grad = tape_grad(t, y);
    memset(rw, 0, sizeof *rw);
    tensor_set_shape(rw, 1, y->n, 0, 0);
    rw->data = k->r;
    Tensor *dot = op_linear(t, flat, rw, NULL);
    Tensor *L = op_mix(t, dot, gain_const(1), aux, gain_const(1));
    if (out) *out = L;
    return L->data[0];
}

static void check_chunk(const char *name, int router, int K, int renorm, int bias, int na, int nf)
{
    ChunkCase *k = calloc(1, sizeof *k);
    mom_spec_default(&k->s);
    k->s.n_attn = na; k->s.n_ffn = nf; k->s.steps = 3; k->s.topk = K; k->s.router = (uint8_t)router;
    k->s.rdim = 4; k->s.renorm = (uint8_t)renorm; k->s.tau = 0.7f;
    k->c = (MomModelCfg){.width = 8, .heads = 2, .causal = 1, .bias = bias, .norm = 0, .act = 0, .mlp_ratio = 2};
    ArchSpec a = {0};
    arch_default(&a);
    a.width = 8; a.heads = 2; a.bias = (uint8_t)bias; a.mlp_ratio = 2; a.stack = STACK_MOM; a.mom = k->s;
    arch_reset_blocks(&a, NULL);
    ParamTable pt = {0};
    ParamBinder bd = {&pt, NULL, 0, 0};
    mom_pools_declare(&a, &bd, &k->p);
    params_alloc(&pt);
    binder_resolve(&bd);
    arch_free(&a);
    for (size_t i = 0; i < pt.total; i++) pt.data[i] = (float)(0.4 * rng_normal(&rng));
    int B = 2, T = 6, N = B * T, C = 8;
    for (int i = 0; i < N * C; i++) k->r[i] = (float)rng_normal(&rng);
    static Leaf X;
    Tensor *x = leaf(&X, B, T, C, 1);
    memset(x->grad, 0, sizeof(float) * (size_t)x->n);

    Tape t;
    tape_init(&t, 1 << 20);
    Tensor *L;
    chunk_loss(k, &t, x, 0, &L);
    tape_backward(&t, L);
    /* Count SKIP choices so the check is known to cover them. */
    int skips = 0;
    for (int i = 0; i < k->s.steps * N * K; i++) skips += (k->force[0][i] == na) + (k->force[1][i] == nf);
    t.recording = 0;
    double num = 0, dfd = 0, dtp = 0;
    const float hstep = 1e-3f;
    Tensor *tens[512];
    int nt = 0;
    for (int i = 0; i < pt.n; i++) tens[nt++] = &pt.p[i].t;
    tens[nt++] = x;
    for (int ti = 0; ti < nt; ti++) {
        Tensor *p = tens[ti];
        for (int j = 0; j < p->n; j++) {
            float keep = p->data[j];
            p->data[j] = keep + hstep;
            tape_reset(&t);
            double lp = chunk_loss(k, &t, x, 1, NULL);
            p->data[j] = keep - hstep;
            tape_reset(&t);
            double lm = chunk_loss(k, &t, x, 1, NULL);
            p->data[j] = keep;
            double fd = (lp - lm) / (2 * hstep), tp = p->grad[j];
            num += (fd - tp) * (fd - tp);
            dfd += fd * fd;
            dtp += tp * tp;
        }
    }
    double rel = sqrt(num) / fmax(fmax(sqrt(dfd), sqrt(dtp)), 1e-3);
    printf("  %-34s rel err %.2e (%zu params, %d SKIP choices)\n", name, rel, params_trainable(&pt), skips);
    CHECK(rel < REL_TOL, "%s: gradient rel err %.3e", name, rel);
    tape_free(&t);
    params_free(&pt);
    free(k);
}

static void test_mom_chunk(void)
{
    check_chunk("mom chunk gru top-1 renorm", ROUTER_GRU, 1, 1, 0, 2, 3);
    check_chunk("mom chunk gru top-2 renorm bias", ROUTER_GRU, 2, 1, 1, 3, 2);
    check_chunk("mom chunk mlp top-2 renorm", ROUTER_MLP, 2, 1, 0, 2, 2);
    check_chunk("mom chunk gru top-1 raw weights", ROUTER_GRU, 1, 0, 0, 2, 2);
}

/* GELU uses an inline exp; it must match the libm tanh form closely. */
static void test_gelu_accuracy(void)
{
    Tape t;
    tape_init(&t, 1 << 20);
    Tensor *x = tape_tensor(&t, 20001, 0, 0, 0);
    for (int i = 0; i < x->n; i++) x->data[i] = -20.0f + 40.0f * (float)i / (float)(x->n - 1);
    Tensor *y = op_gelu(&t, x);
    double worst = 0;
    for (int i = 0; i < x->n; i++) {
        double v = x->data[i], ref = 0.5 * v * (1.0 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
        double err = fabs(y->data[i] - ref) / fmax(1.0, fabs(ref));
        if (err > worst) worst = err;
    }
    printf("  gelu max error vs libm (double) %.2e\n", worst);
    CHECK(worst < 1e-6, "gelu error %.3e", worst);
    tape_free(&t);
}

int main(void)
{
    RUN(test_gelu_accuracy);
    rng_seed(&rng, 42);
    RUN(test_ops);
    RUN(test_attention);
    RUN(test_attention_bands);
    RUN(test_attention_small_kernels);
    RUN(test_checker_can_fail);
    RUN(test_models);
    RUN(test_route_ops);
    RUN(test_topk1_no_gradient);
    RUN(test_mom_chunk);
    return TEST_SUMMARY();
}
