/* model.c — declare, initialise and run the blocks an ArchSpec describes.
 * Block structure: SAS §3 Eq. 1 (pre-norm), §A.3 (post-norm), Eq. 7 (parallel),
 * Eqs. 4-6 (value-skip, shaped attention, identity/reparameterised V and P);
 * DeepNorm DN §D.1-D.3; Post-LN-init DN §D.4. Toggles are `if`s here; the tape
 * gives every variant its backward. Not here: training loops, data, probes. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define NORM_EPS 1e-5f   /* LayerNorm and RMSNorm eps (spec "Decisions") */
#define INIT_STD 0.02f

/* ---- declaration -------------------------------------------------------- */

/* Indices into the param table while declaring; resolved to Tensors after alloc. */
typedef struct BlockIdx {
    int ln1_w, ln1_b, ln2_w, ln2_b, w_qkv, b_qkv, w_vd, w_o, b_o, attn_alpha, attn_beta, attn_gamma;
    int w_in, b_in, w_out, b_out, alpha_sa, beta_sa, alpha_ff, beta_ff, alpha_v, beta_v;
} BlockIdx;

typedef struct ModelIdx {
    int wte, wpe, ln_in_w, ln_in_b, lnf_w, lnf_b, head;
} ModelIdx;

static int add(ParamTable *pt, int layer, const char *what, int flags, int d0, int d1)
{
    char name[64];
    if (layer >= 0) snprintf(name, sizeof name, "blocks.%d.%s", layer, what);
    else snprintf(name, sizeof name, "%s", what);
    return params_add(pt, name, layer, flags, d0, d1, 0);
}

static int has_norm_layer(const ArchSpec *a) { return a->norm != NORM_NONE; }

/* The norm before block 0 that SAS-P without norm keeps (SAS §A.10). */
static int wants_input_norm(const ArchSpec *a) { return !a->blocks[0].norm && has_norm_layer(a); }

static void declare_norm(ParamTable *pt, const ArchSpec *a, int layer, const char *name, int *w, int *b)
{
    char n[16];
    *w = *b = -1;
    if (!has_norm_layer(a)) return;
    snprintf(n, sizeof n, "%.8s.w", name);
    *w = add(pt, layer, n, PARAM_TRAIN, a->width, 0);
    if (a->bias && a->norm == NORM_LAYER) {
        snprintf(n, sizeof n, "%.8s.b", name);
        *b = add(pt, layer, n, PARAM_TRAIN, a->width, 0);
    }
}

static int declare_gain(ParamTable *pt, int layer, const char *name, GainSpec g)
{
    return g.trainable ? add(pt, layer, name, PARAM_TRAIN, 1, 0) : -1;
}

static void declare_block(ParamTable *pt, const ArchSpec *a, int l, BlockIdx *ix)
{
    const BlockSpec *b = &a->blocks[l];
    int C = a->width, H = a->heads, F = (int)(b->mlp_ratio * (float)C + 0.5f);
    int W = PARAM_TRAIN | PARAM_DECAY, bias = a->bias;
    memset(ix, -1, sizeof *ix);
    /* ln1: the attention sub-block's norm (shared by both branches when parallel);
     * ln2: the MLP sub-block's norm. Post-norm blocks apply them after the add. */
    if (b->norm && (b->layout == LAYOUT_PARALLEL || b->attn == ATTN_MHA))
        declare_norm(pt, a, l, "ln1", &ix->ln1_w, &ix->ln1_b);
    if (b->attn == ATTN_MHA) {
        ix->w_qkv = add(pt, l, b->value == 1 ? "attn.w_qkv" : "attn.w_qk", W, (b->value == 1 ? 3 : 2) * C, C);
        if (bias) ix->b_qkv = add(pt, l, b->value == 1 ? "attn.b_qkv" : "attn.b_qk", PARAM_TRAIN, (b->value == 1 ? 3 : 2) * C, 0);
        if (b->value == 2) {
            ix->w_vd = add(pt, l, "attn.w_v_delta", W, C, C);
            ix->alpha_v = declare_gain(pt, l, "attn.alpha_v", b->alpha_v);
            ix->beta_v = declare_gain(pt, l, "attn.beta_v", b->beta_v);
        }
        if (b->proj) {
            ix->w_o = add(pt, l, "attn.w_o", W, C, C);
            if (bias) ix->b_o = add(pt, l, "attn.b_o", PARAM_TRAIN, C, 0);
        }
        if (b->shape) {
            /* Per-head gains are tensors even when frozen: the attention op reads them. */
            int n = b->shape == 1 ? H : 1;
            ix->attn_alpha = add(pt, l, "attn.alpha", b->attn_alpha.trainable ? PARAM_TRAIN : 0, n, 0);
            ix->attn_beta = add(pt, l, "attn.beta", b->attn_beta.trainable ? PARAM_TRAIN : 0, n, 0);
            if (b->shape == 1)
                ix->attn_gamma = add(pt, l, "attn.gamma", b->attn_gamma.trainable ? PARAM_TRAIN : 0, n, 0);
        }
        ix->alpha_sa = declare_gain(pt, l, "alpha_sa", b->alpha_sa);
        ix->beta_sa = declare_gain(pt, l, "beta_sa", b->beta_sa);
    }
    if (b->mlp) {
        if (b->norm && b->layout == LAYOUT_SEQUENTIAL) declare_norm(pt, a, l, "ln2", &ix->ln2_w, &ix->ln2_b);
        ix->w_in = add(pt, l, "mlp.w_in", W, F, C);
        if (bias) ix->b_in = add(pt, l, "mlp.b_in", PARAM_TRAIN, F, 0);
        ix->w_out = add(pt, l, "mlp.w_out", W, C, F);
        if (bias) ix->b_out = add(pt, l, "mlp.b_out", PARAM_TRAIN, C, 0);
        ix->alpha_ff = declare_gain(pt, l, "alpha_ff", b->alpha_ff);
        ix->beta_ff = declare_gain(pt, l, "beta_ff", b->beta_ff);
    }
}

MomModelCfg model_mom_cfg(const ArchSpec *a)
{
    MomModelCfg c = {.width = a->width, .heads = a->heads, .causal = a->causal, .bias = a->bias,
                     .norm = a->norm, .act = a->act, .mlp_ratio = a->mlp_ratio};
    return c;
}

/* Where the MoM chunk sits among the blocks: after `bottom` of them (-1: none). */
static int mom_slot(const ArchSpec *a) { return a->stack == STACK_MOM ? a->mom.bottom : -1; }

static void declare_model(ParamTable *pt, const ArchSpec *a, ModelIdx *mx, BlockIdx *bx, MomIdx *mi)
{
    int C = a->width;
    mx->wte = add(pt, -1, "wte", PARAM_TRAIN, a->vocab, C);
    mx->wpe = a->pos == POS_NONE ? -1 : add(pt, -1, "wpe", a->pos == POS_LEARNED ? PARAM_TRAIN : 0, a->ctx, C);
    mx->ln_in_w = mx->ln_in_b = -1;
    if (wants_input_norm(a)) declare_norm(pt, a, -1, "ln_in", &mx->ln_in_w, &mx->ln_in_b);
    MomModelCfg mc = model_mom_cfg(a);
    for (int l = 0; l <= a->depth; l++) {
        if (l == mom_slot(a)) mom_declare(pt, &a->mom, &mc, -1, mi);
        if (l < a->depth) declare_block(pt, a, l, &bx[l]);
    }
    declare_norm(pt, a, -1, "ln_f", &mx->lnf_w, &mx->lnf_b);
    mx->head = a->tie ? -1 : add(pt, -1, "lm_head", PARAM_TRAIN | PARAM_DECAY, a->vocab, C);
}

int model_declare(const ArchSpec *a, ParamTable *pt, BlError *e)
{
    if (arch_validate(a, e)) return -1;
    ModelIdx mx;
    MomIdx mi;
    BlockIdx *bx = xcalloc((size_t)a->depth + 1, sizeof *bx);
    declare_model(pt, a, &mx, bx, &mi);
    free(bx);
    return 0;
}

/* ---- initialisation ------------------------------------------------------ */

static void fill_normal(Rng *r, float *w, int64_t n, float std)
{
    for (int64_t i = 0; i < n; i++) w[i] = std > 0 ? (float)(rng_normal(r) * std) : 0.0f;
}

static void fill_const(Tensor *t, float v)
{
    if (t) for (int64_t i = 0; i < t->n; i++) t->data[i] = v;
}

/* std of a (rows, cols) weight block: N(0, 0.02²) or Xavier-normal, times gain. */
static float weight_std(const ArchSpec *a, const BlockSpec *b, int rows, int cols, float gain)
{
    int xavier = a->init == INIT_XAVIER || (b && b->xavier);
    float s = xavier ? sqrtf(2.0f / (float)(rows + cols)) : INIT_STD;
    return s * gain / (b ? b->init_div : 1.0f);
}

static void init_block(Rng *r, const ArchSpec *a, int l, BlockParams *p)
{
    const BlockSpec *b = &a->blocks[l];
    int C = a->width;
    fill_const(p->ln1_w, 1.0f);
    fill_const(p->ln2_w, 1.0f);
    if (p->w_qkv) {
        /* q, k and (if learned) v drawn as separate C×C blocks so Xavier sees each
         * matrix's own fans; DeepNorm's β goes on V only (DN §D.3). W^Q = 0 for
         * shaped attention (SAS §4.1). */
        int parts = p->w_qkv->shape[0] / C;
        for (int k = 0; k < parts; k++) {
            float std = weight_std(a, b, C, C, k == 2 ? b->init_gain : 1.0f);
            if (k == 0 && b->shape == 1) std = 0.0f;
            fill_normal(r, p->w_qkv->data + (size_t)k * C * C, C * C, std);
        }
    }
    /* ΔW of value=resid starts at 0 (SAS footnote 5): nothing to draw. */
    if (p->w_o) fill_normal(r, p->w_o->data, p->w_o->n, weight_std(a, b, C, C, b->init_gain));
    if (p->attn_alpha) fill_const(p->attn_alpha, b->attn_alpha.value);
    if (p->attn_beta) fill_const(p->attn_beta, b->attn_beta.value);
    if (p->attn_gamma) fill_const(p->attn_gamma, b->attn_gamma.value);
    if (p->w_in) fill_normal(r, p->w_in->data, p->w_in->n, weight_std(a, b, p->hidden, C, b->init_gain));
    if (p->w_out) fill_normal(r, p->w_out->data, p->w_out->n, weight_std(a, b, C, p->hidden, b->init_gain));
    Gain *g[] = {&p->alpha_sa, &p->beta_sa, &p->alpha_ff, &p->beta_ff, &p->alpha_v, &p->beta_v};
    const GainSpec *gs[] = {&b->alpha_sa, &b->beta_sa, &b->alpha_ff, &b->beta_ff, &b->alpha_v, &b->beta_v};
    for (int i = 0; i < 6; i++) {
        if (g[i]->p) g[i]->p->data[0] = gs[i]->value;
        else g[i]->v = gs[i]->value;
    }
}

static void init_sinusoids(Tensor *wpe)
{
    int T = wpe->shape[0], C = wpe->shape[1];
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C / 2; i++) {
            double f = pow(10000.0, -2.0 * i / C);
            wpe->data[(size_t)t * C + 2 * i] = (float)sin(t * f);
            wpe->data[(size_t)t * C + 2 * i + 1] = (float)cos(t * f);
        }
}

/* ---- build ------------------------------------------------------------------ */

static Gain gain_at(ParamTable *pt, int idx) { return idx >= 0 ? gain_param(params_tensor(pt, idx)) : gain_const(0); }

int model_build(Model *m, const ArchSpec *a, BlError *e)
{
    memset(m, 0, sizeof *m);
    if (arch_validate(a, e)) return -1;
    m->arch = xmalloc(sizeof *m->arch);
    memcpy(m->arch, a, sizeof *a);
    ModelIdx mx;
    MomIdx mi;
    BlockIdx *bx = xcalloc((size_t)a->depth + 1, sizeof *bx);
    declare_model(&m->params, a, &mx, bx, &mi);
    params_alloc(&m->params);
    ParamTable *pt = &m->params;
    m->wte = params_tensor(pt, mx.wte);
    m->wpe = params_tensor(pt, mx.wpe);
    m->ln_in_w = params_tensor(pt, mx.ln_in_w);
    m->ln_in_b = params_tensor(pt, mx.ln_in_b);
    m->lnf_w = params_tensor(pt, mx.lnf_w);
    m->lnf_b = params_tensor(pt, mx.lnf_b);
    m->head = params_tensor(pt, mx.head);
    m->blocks = xcalloc((size_t)a->depth + 1, sizeof *m->blocks);
    if (a->stack == STACK_MOM) {
        m->mom = xmalloc(sizeof *m->mom);
        mom_resolve(pt, &a->mom, &mi, m->mom);
    }
    for (int l = 0; l < a->depth; l++) {
        BlockParams *p = &m->blocks[l];
        BlockIdx *x = &bx[l];
        p->ln1_w = params_tensor(pt, x->ln1_w);
        p->ln1_b = params_tensor(pt, x->ln1_b);
        p->ln2_w = params_tensor(pt, x->ln2_w);
        p->ln2_b = params_tensor(pt, x->ln2_b);
        p->w_qkv = params_tensor(pt, x->w_qkv);
        p->b_qkv = params_tensor(pt, x->b_qkv);
        p->w_vd = params_tensor(pt, x->w_vd);
        p->w_o = params_tensor(pt, x->w_o);
        p->b_o = params_tensor(pt, x->b_o);
        p->attn_alpha = params_tensor(pt, x->attn_alpha);
        p->attn_beta = params_tensor(pt, x->attn_beta);
        p->attn_gamma = params_tensor(pt, x->attn_gamma);
        p->w_in = params_tensor(pt, x->w_in);
        p->b_in = params_tensor(pt, x->b_in);
        p->w_out = params_tensor(pt, x->w_out);
        p->b_out = params_tensor(pt, x->b_out);
        p->alpha_sa = gain_at(pt, x->alpha_sa);
        p->beta_sa = gain_at(pt, x->beta_sa);
        p->alpha_ff = gain_at(pt, x->alpha_ff);
        p->beta_ff = gain_at(pt, x->beta_ff);
        p->alpha_v = gain_at(pt, x->alpha_v);
        p->beta_v = gain_at(pt, x->beta_v);
        p->hidden = p->w_in ? p->w_in->shape[0] : 0;
    }
    free(bx);

    /* Draw in declaration order from the seed: the same spec gives the same weights. */
    Rng r;
    rng_seed(&r, a->seed);
    fill_normal(&r, m->wte->data, m->wte->n, INIT_STD);
    if (m->wpe && a->pos == POS_LEARNED) fill_normal(&r, m->wpe->data, m->wpe->n, INIT_STD);
    if (m->wpe && a->pos == POS_SINUSOIDAL) init_sinusoids(m->wpe);
    fill_const(m->ln_in_w, 1.0f);
    for (int l = 0; l <= a->depth; l++) {
        if (l == mom_slot(a)) mom_init(&r, &a->mom, m->mom);
        if (l < a->depth) init_block(&r, a, l, &m->blocks[l]);
    }
    fill_const(m->lnf_w, 1.0f);
    if (m->head) fill_normal(&r, m->head->data, m->head->n, weight_std(a, NULL, a->vocab, a->width, 1.0f));
    return 0;
}

void model_free(Model *m)
{
    params_free(&m->params);
    free(m->blocks);
    free(m->mom);
    free(m->arch);
    memset(m, 0, sizeof *m);
}

/* ---- forward ---------------------------------------------------------------- */

static Tensor *norm(Model *m, Tape *t, int layer, const char *site, Tensor *x, Tensor *w, Tensor *b)
{
    tape_hook(t, layer, site, x);
    if (!w) return x;   /* norm=none model-wide */
    if (m->arch->norm == NORM_RMS) return op_rmsnorm(t, x, w, NORM_EPS);
    return op_layernorm(t, x, w, b, NORM_EPS);
}

/* a·x + b·y, skipping the read of x when its gain is a constant 0 (no skip). */
static Tensor *residual(Tape *t, Tensor *x, Gain a, Tensor *y, Gain b)
{
    if (!a.p && a.v == 0.0f) return op_mix(t, y, b, NULL, gain_const(0));
    return op_mix(t, x, a, y, b);
}

static Tensor *attention(Model *m, Tape *t, int l, Tensor *h)
{
    const BlockSpec *b = &m->arch->blocks[l];
    BlockParams *p = &m->blocks[l];
    Tensor *qkv = op_linear(t, h, p->w_qkv, p->b_qkv), *v = NULL;
    if (b->value == 0) v = h;                                   /* W^V = I */
    else if (b->value == 2) v = op_mix(t, h, p->alpha_v, op_linear(t, h, p->w_vd, NULL), p->beta_v);
    AttnOpts o = {.n_head = m->arch->heads, .causal = m->arch->causal,
                  .alpha = p->attn_alpha, .beta = p->attn_beta, .gamma = p->attn_gamma};
    Tensor *pattern = NULL;
    Tensor *y = op_attention(t, qkv, v, &o, t->hook ? &pattern : NULL);
    if (pattern) tape_hook(t, l, "attn.pattern", pattern);
    if (p->w_o) y = op_linear(t, y, p->w_o, p->b_o);
    tape_hook(t, l, "attn.out", y);
    return y;
}

static Tensor *mlp(Model *m, Tape *t, int l, Tensor *h)
{
    BlockParams *p = &m->blocks[l];
    Tensor *u = op_linear(t, h, p->w_in, p->b_in);
    u = m->arch->blocks[l].act == ACT_RELU ? op_relu(t, u) : op_gelu(t, u);
    Tensor *y = op_linear(t, u, p->w_out, p->b_out);
    tape_hook(t, l, "mlp.out", y);
    return y;
}

static Tensor *block_forward(Model *m, Tape *t, int l, Tensor *x)
{
    const BlockSpec *b = &m->arch->blocks[l];
    BlockParams *p = &m->blocks[l];
    int has_attn = b->attn == ATTN_MHA;
    tape_hook(t, l, "resid_pre", x);
    if (b->layout == LAYOUT_PARALLEL) {
        /* SAS Eq. 7: X·α + β_SA·MHA(Norm X) + β_FF·MLP(Norm X), one shared norm. */
        Tensor *h = b->norm ? norm(m, t, l, "ln1.in", x, p->ln1_w, p->ln1_b) : x;
        Tensor *y = x;
        if (has_attn) y = residual(t, x, p->alpha_sa, attention(m, t, l, h), p->beta_sa);
        if (b->mlp) y = has_attn ? op_mix(t, y, gain_const(1), mlp(m, t, l, h), p->beta_ff)
                                 : residual(t, x, p->alpha_sa, mlp(m, t, l, h), p->beta_ff);
        x = y;
    } else if (b->norm && b->normpos == NORMPOS_POST) {
        /* Post-LN / DeepNorm: x = Norm(α·x + β·G(x)) (SAS §A.3, DN §D.1). */
        if (has_attn) {
            x = residual(t, x, p->alpha_sa, attention(m, t, l, x), p->beta_sa);
            x = norm(m, t, l, "ln1.in", x, p->ln1_w, p->ln1_b);
            tape_hook(t, l, "resid_mid", x);
        }
        if (b->mlp) {
            x = residual(t, x, p->alpha_ff, mlp(m, t, l, x), p->beta_ff);
            x = norm(m, t, l, "ln2.in", x, p->ln2_w, p->ln2_b);
        }
    } else {
        /* Pre-LN, SAS Eq. 1 (norm=off: the norms are the identity). */
        if (has_attn) {
            Tensor *h = b->norm ? norm(m, t, l, "ln1.in", x, p->ln1_w, p->ln1_b) : x;
            x = residual(t, x, p->alpha_sa, attention(m, t, l, h), p->beta_sa);
            tape_hook(t, l, "resid_mid", x);
        }
        if (b->mlp) {
            Tensor *h = b->norm ? norm(m, t, l, "ln2.in", x, p->ln2_w, p->ln2_b) : x;
            x = residual(t, x, p->alpha_ff, mlp(m, t, l, h), p->beta_ff);
        }
    }
    tape_hook(t, l, "resid_post", x);
    return x;
}

Tensor *model_forward(Model *m, Tape *t, const int *tokens, int B, int T, const int *targets,
                      const float *mask, Tensor **logits_out)
{
    const ArchSpec *a = m->arch;
    Tensor *x = op_embed(t, tokens, B, T, m->wte, m->wpe);
    tape_hook(t, -1, "embed", x);
    if (m->ln_in_w) {
        x = norm(m, t, -1, "ln_in.in", x, m->ln_in_w, m->ln_in_b);
        tape_hook(t, -1, "ln_in.out", x);
    }
    m->aux = NULL;
    MomModelCfg mc = model_mom_cfg(a);
    if (t->recording) {
        for (int l = 0; l <= a->depth; l++) {
            if (l == mom_slot(a)) x = mom_forward(&a->mom, &mc, m->mom, &m->mom_run, t, -1, x, &m->aux);
            if (l < a->depth) x = block_forward(m, t, l, x);
        }
    } else {
        /* Forward only: keep one block's activations alive at a time (the MoM
         * chunk's aux loss is computed on the tape before its memory goes). */
        Tensor *ping[2] = {tape_like(t, x), tape_like(t, x)};
        Tensor *aux_keep = a->stack == STACK_MOM ? tape_tensor(t, 1, 0, 0, 0) : NULL;
        for (int l = 0; l <= a->depth; l++) {
            ArenaMark mark = arena_mark(&t->arena);
            Tensor *y = x;
            if (l == mom_slot(a)) {
                Tensor *aux = NULL;
                y = mom_forward(&a->mom, &mc, m->mom, &m->mom_run, t, -1, y, &aux);
                aux_keep->data[0] = aux->data[0];
            }
            if (l < a->depth) y = block_forward(m, t, l, y);
            if (y == x) { arena_release(&t->arena, mark); continue; }
            memcpy(ping[l & 1]->data, y->data, (size_t)y->n * sizeof(float));
            arena_release(&t->arena, mark);
            x = ping[l & 1];
        }
        m->aux = aux_keep;
    }
    tape_hook(t, -1, "ln_f.in", x);
    if (m->lnf_w) x = a->norm == NORM_RMS ? op_rmsnorm(t, x, m->lnf_w, NORM_EPS)
                                         : op_layernorm(t, x, m->lnf_w, m->lnf_b, NORM_EPS);
    tape_hook(t, -1, "ln_f.out", x);
    Tensor *logits = op_linear(t, x, m->head ? m->head : m->wte, NULL);
    tape_hook(t, -1, "logits", logits);
    if (logits_out) *logits_out = logits;
    if (!targets) return logits;
    return op_cross_entropy(t, logits, targets, mask);
}

Tensor *model_objective(Model *m, Tape *t, Tensor *loss)
{
    if (!m->aux || m->arch->mom.aux == 0.0f) return loss;
    return op_mix(t, loss, gain_const(1), m->aux, gain_const(m->arch->mom.aux));
}

double model_flops_per_step(const Model *m, int B, int T)
{
    double matmul = 0;
    const ParamTable *pt = &m->params;
    for (int i = 0; i < pt->n; i++)
        if (pt->p[i].t.ndim == 2 && strcmp(pt->p[i].name, "wpe") != 0 && strncmp(pt->p[i].name, "mom.", 4) != 0)
            matmul += pt->p[i].t.n;
    /* wte counts once, as the head's matmul (the embedding lookup is no matmul). */
    double attn = 0;
    for (int l = 0; l < m->arch->depth; l++)
        if (m->arch->blocks[l].attn == ATTN_MHA) attn += 12.0 * T * m->arch->width;
    if (m->arch->stack == STACK_MOM) {
        /* Only the chosen modules run: forward MACs of the chunk, ×2 flops, ×3 with backward. */
        MomModelCfg mc = model_mom_cfg(m->arch);
        attn += 6.0 * mom_macs_per_token(&m->arch->mom, &mc, T);
    }
    return 6.0 * matmul * B * T + attn * B * T;
}
