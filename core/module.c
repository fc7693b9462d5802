/* module.c — the descriptor-table machinery and the norm, attention and MLP
 * module kinds: their tables (shapes, flags, init rules) and forwards.
 * Block structure and constants: SAS §3-§4 (Eqs. 4-6: value-skip, shaped
 * attention, identity/reparameterised V and P), DeepNorm DN §D.3, Post-LN-init
 * DN §D.4. Init draws follow row order, so a spec always gives the same weights. */
#include "module.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- declare, bind, init ------------------------------------------------------------------ */

static void binder_add(ParamBinder *bd, void *slot, int idx, int gain)
{
    if (bd->n == bd->cap) {
        bd->cap = bd->cap ? 2 * bd->cap : 64;
        bd->b = xrealloc(bd->b, (size_t)bd->cap * sizeof *bd->b);
    }
    bd->b[bd->n].slot = slot;
    bd->b[bd->n].idx = idx;
    bd->b[bd->n].gain = gain;
    bd->n++;
}

static const GainSpec *row_gain(const ModCfg *c, const ParamRow *row)
{
    return (const GainSpec *)((const char *)c->spec + row->gain);
}

void module_declare(ParamBinder *bd, const ModuleKind *k, const ModCfg *c, const char *prefix, int group, void *params)
{
    for (int i = 0; i < k->n_rows; i++) {
        const ParamRow *row = &k->rows[i];
        int d[3] = {0, 0, 0}, flags = row->flags & (PARAM_TRAIN | PARAM_DECAY);
        if (!row->shape(c, d)) continue;
        if (row->flags & ROW_GAIN) {
            if (!row_gain(c, row)->trainable) continue;   /* a constant, no tensor */
            d[0] = 1;
            d[1] = d[2] = 0;
            flags = PARAM_TRAIN;
        }
        if ((row->flags & ROW_SPEC_TRAIN) && row_gain(c, row)->trainable) flags |= PARAM_TRAIN;
        char name[64];
        if (prefix[0]) snprintf(name, sizeof name, "%s.%s", prefix, row->name);
        else snprintf(name, sizeof name, "%s", row->name);
        int idx = params_add(bd->pt, name, group, flags, d[0], d[1], d[2]);
        if (params) binder_add(bd, (char *)params + row->slot, idx, (row->flags & ROW_GAIN) != 0);
    }
}

void binder_resolve(ParamBinder *bd)
{
    for (int i = 0; i < bd->n; i++) {
        Tensor *t = &bd->pt->p[bd->b[i].idx].t;
        if (bd->b[i].gain) *(Gain *)bd->b[i].slot = gain_param(t);
        else *(Tensor **)bd->b[i].slot = t;
    }
    free(bd->b);
    bd->b = NULL;
    bd->n = bd->cap = 0;
}

void module_init(const ModuleKind *k, const ModCfg *c, void *params, Rng *r)
{
    for (int i = 0; i < k->n_rows; i++) {
        const ParamRow *row = &k->rows[i];
        void *slot = (char *)params + row->slot;
        if (row->flags & ROW_GAIN) {
            Gain *g = slot;
            float v = c->spec ? row_gain(c, row)->value : 1.0f;
            if (g->p) g->p->data[0] = v;
            else g->v = v;
            continue;
        }
        /* Rows sharing a slot (w_qkv | w_qk) init only the one this config has. */
        int d[3];
        Tensor *t = *(Tensor **)slot;
        if (t && row->init && row->shape(c, d)) row->init(c, row, t, r);
    }
}

/* ---- init rules --------------------------------------------------------------------------- */

static void fill_normal(Rng *r, float *w, size_t n, float std)
{
    /* std 0 draws nothing: W^Q = 0 of shaped attention leaves the stream where it was. */
    if (std > 0) rng_normals(r, w, n, std);
    else memset(w, 0, n * sizeof *w);
}

float module_weight_std(const ModCfg *c, int rows, int cols, float gain)
{
    const BlockSpec *b = c->spec;
    int xavier = c->arch->init == INIT_XAVIER || (b && b->xavier);
    float s = xavier ? sqrtf(2.0f / (float)(rows + cols)) : INIT_STD;
    return s * gain / (b ? b->init_div : 1.0f);
}

void init_ones(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    for (size_t i = 0; i < (size_t)t->n; i++) t->data[i] = 1.0f;
}

void init_normal(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    fill_normal(r, t->data, (size_t)t->n, INIT_STD);
}

void init_weight(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    fill_normal(r, t->data, (size_t)t->n, module_weight_std(c, t->shape[0], t->shape[1], 1.0f));
}

void init_weight_gain(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    fill_normal(r, t->data, (size_t)t->n, module_weight_std(c, t->shape[0], t->shape[1], c->spec->init_gain));
}

void init_gain_value(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    float v = row_gain(c, row)->value;
    for (size_t i = 0; i < (size_t)t->n; i++) t->data[i] = v;
}

/* q, k and (if learned) v drawn as separate C×C blocks so Xavier sees each
 * matrix's own fans; DeepNorm's β goes on V only (DN §D.3). W^Q = 0 for shaped
 * attention (SAS §4.1). */
static void init_qkv(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    int C = c->arch->width, parts = t->shape[0] / C;
    for (int k = 0; k < parts; k++) {
        float std = module_weight_std(c, C, C, k == 2 ? c->spec->init_gain : 1.0f);
        if (k == 0 && c->spec->shape == SHAPE_SHAPED) std = 0.0f;
        fill_normal(r, t->data + (size_t)k * C * C, (size_t)C * C, std);
    }
}

/* ---- shape rules -------------------------------------------------------------------------- */

#define SHAPE(name, cond, a, b) \
    static int name(const ModCfg *c, int d[3]) { if (!(cond)) return 0; d[0] = (a); d[1] = (b); return 1; }
#define C_ (c->arch->width)
#define S_ (c->spec)
#define HIDDEN_ ((int)(S_->mlp_ratio * (float)C_ + 0.5f))

SHAPE(norm_w, c->arch->norm != NORM_NONE, C_, 0)
SHAPE(norm_b, c->arch->norm == NORM_LAYER && c->arch->bias, C_, 0)

SHAPE(attn_w_qkv, S_->value == VALUE_LEARNED, 3 * C_, C_)
SHAPE(attn_w_qk, S_->value != VALUE_LEARNED, 2 * C_, C_)
SHAPE(attn_b_qkv, c->arch->bias && S_->value == VALUE_LEARNED, 3 * C_, 0)
SHAPE(attn_b_qk, c->arch->bias && S_->value != VALUE_LEARNED, 2 * C_, 0)
SHAPE(attn_resid, S_->value == VALUE_RESID, C_, C_)
SHAPE(attn_w_o, S_->proj, C_, C_)
SHAPE(attn_b_o, S_->proj && c->arch->bias, C_, 0)
SHAPE(attn_mix, S_->shape != SHAPE_OFF, S_->shape == SHAPE_SHAPED ? c->arch->heads : 1, 0)
SHAPE(attn_gamma, S_->shape == SHAPE_SHAPED, c->arch->heads, 0)

SHAPE(mlp_w_in, 1, HIDDEN_, C_)
SHAPE(mlp_b_in, c->arch->bias, HIDDEN_, 0)
SHAPE(mlp_w_out, 1, C_, HIDDEN_)
SHAPE(mlp_b_out, c->arch->bias, C_, 0)

/* ---- the tables --------------------------------------------------------------------------- */

#define W (PARAM_TRAIN | PARAM_DECAY)
#define T (PARAM_TRAIN)
#define GAIN(f) offsetof(BlockSpec, f)

static const ParamRow norm_rows[] = {
    {.name = "w", .slot = offsetof(NormParams, w), .shape = norm_w, .flags = T, .init = init_ones},
    {.name = "b", .slot = offsetof(NormParams, b), .shape = norm_b, .flags = T},
};

static const ParamRow attn_rows[] = {
    {.name = "w_qkv", .slot = offsetof(AttnParams, w_qkv), .shape = attn_w_qkv, .flags = W, .init = init_qkv},
    {.name = "w_qk", .slot = offsetof(AttnParams, w_qkv), .shape = attn_w_qk, .flags = W, .init = init_qkv},
    {.name = "b_qkv", .slot = offsetof(AttnParams, b_qkv), .shape = attn_b_qkv, .flags = T},
    {.name = "b_qk", .slot = offsetof(AttnParams, b_qkv), .shape = attn_b_qk, .flags = T},
    /* ΔW of value=resid starts at 0 (SAS footnote 5): nothing to draw. */
    {.name = "w_v_delta", .slot = offsetof(AttnParams, w_vd), .shape = attn_resid, .flags = W},
    {.name = "alpha_v", .slot = offsetof(AttnParams, alpha_v), .shape = attn_resid, .flags = ROW_GAIN, .gain = GAIN(alpha_v)},
    {.name = "beta_v", .slot = offsetof(AttnParams, beta_v), .shape = attn_resid, .flags = ROW_GAIN, .gain = GAIN(beta_v)},
    {.name = "w_o", .slot = offsetof(AttnParams, w_o), .shape = attn_w_o, .flags = W, .init = init_weight_gain},
    {.name = "b_o", .slot = offsetof(AttnParams, b_o), .shape = attn_b_o, .flags = T},
    /* Per-head gains are tensors even when frozen: the attention op reads them. */
    {.name = "alpha", .slot = offsetof(AttnParams, alpha), .shape = attn_mix, .flags = ROW_SPEC_TRAIN, .gain = GAIN(attn_alpha), .init = init_gain_value},
    {.name = "beta", .slot = offsetof(AttnParams, beta), .shape = attn_mix, .flags = ROW_SPEC_TRAIN, .gain = GAIN(attn_beta), .init = init_gain_value},
    {.name = "gamma", .slot = offsetof(AttnParams, gamma), .shape = attn_gamma, .flags = ROW_SPEC_TRAIN, .gain = GAIN(attn_gamma), .init = init_gain_value},
};

static const ParamRow mlp_rows[] = {
    {.name = "w_in", .slot = offsetof(MlpParams, w_in), .shape = mlp_w_in, .flags = W, .init = init_weight_gain},
    {.name = "b_in", .slot = offsetof(MlpParams, b_in), .shape = mlp_b_in, .flags = T},
    {.name = "w_out", .slot = offsetof(MlpParams, w_out), .shape = mlp_w_out, .flags = W, .init = init_weight_gain},
    {.name = "b_out", .slot = offsetof(MlpParams, b_out), .shape = mlp_b_out, .flags = T},
};

#define KIND(n, rows) {n, rows, (int)(sizeof rows / sizeof rows[0])}
const ModuleKind module_norm = KIND("norm", norm_rows);
const ModuleKind module_attn = KIND("attn", attn_rows);
const ModuleKind module_mlp = KIND("mlp", mlp_rows);

/* ---- forwards ----------------------------------------------------------------------------- */

Tensor *norm_forward(const ModCfg *c, const NormParams *p, Tape *t, Tensor *x)
{
    if (!p->w) return x;   /* norm=none model-wide */
    if (c->arch->norm == NORM_RMS) return op_rmsnorm(t, x, p->w, NORM_EPS);
    return op_layernorm(t, x, p->w, p->b, NORM_EPS);
}

Tensor *attn_forward(const ModCfg *c, const AttnParams *p, Tape *t, Tensor *x)
{
    const BlockSpec *b = c->spec;
    Tensor *qkv = op_linear(t, x, p->w_qkv, p->b_qkv), *v = NULL;
    if (b->value == VALUE_ID) v = x;   /* W^V = I (SAS §4.2) */
    else if (b->value == VALUE_RESID) v = op_mix(t, x, p->alpha_v, op_linear(t, x, p->w_vd, NULL), p->beta_v);   /* SAS Eq. 6 */
    AttnOpts o = {.n_head = c->arch->heads, .causal = c->arch->causal, .alpha = p->alpha, .beta = p->beta, .gamma = p->gamma};
    Tensor *pattern = NULL;
    Tensor *y = op_attention(t, qkv, v, &o, t->hook ? &pattern : NULL);
    if (pattern) tape_hook(t, "pattern", pattern);
    tape_hook(t, "heads", y);   /* before W_O: the cut of an ALR student (student.h) */
    if (p->w_o) y = op_linear(t, y, p->w_o, p->b_o);
    tape_hook(t, "out", y);
    return y;
}

Tensor *mlp_forward(const ModCfg *c, const MlpParams *p, Tape *t, Tensor *x)
{
    Tensor *u = op_linear(t, x, p->w_in, p->b_in);
    u = c->spec->act == ACT_RELU ? op_relu(t, u) : op_gelu(t, u);
    Tensor *y = op_linear(t, u, p->w_out, p->b_out);
    tape_hook(t, "out", y);
    return y;
}
