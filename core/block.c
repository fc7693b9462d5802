/* block.c — declare, initialise and run one block from its BlockSpec. */
#include "block.h"

#include <stdio.h>

static int has_attn(const ModCfg *c, int d[3]) { d[0] = 1; return c->spec->attn == ATTN_MHA; }
static int has_mlp(const ModCfg *c, int d[3]) { d[0] = 1; return c->spec->mlp; }

static const ParamRow gains_sa_rows[] = {
    {.name = "alpha_sa", .slot = offsetof(BlockParams, alpha_sa), .shape = has_attn, .flags = ROW_GAIN, .gain = offsetof(BlockSpec, alpha_sa)},
    {.name = "beta_sa", .slot = offsetof(BlockParams, beta_sa), .shape = has_attn, .flags = ROW_GAIN, .gain = offsetof(BlockSpec, beta_sa)},
};
static const ParamRow gains_ff_rows[] = {
    {.name = "alpha_ff", .slot = offsetof(BlockParams, alpha_ff), .shape = has_mlp, .flags = ROW_GAIN, .gain = offsetof(BlockSpec, alpha_ff)},
    {.name = "beta_ff", .slot = offsetof(BlockParams, beta_ff), .shape = has_mlp, .flags = ROW_GAIN, .gain = offsetof(BlockSpec, beta_ff)},
};
const ModuleKind block_gains_sa = {"gains.sa", gains_sa_rows, 2};
const ModuleKind block_gains_ff = {"gains.ff", gains_ff_rows, 2};

/* Which of the two norm layers this block has. */
static int has_ln1(const BlockSpec *b) { return b->norm && (b->layout == LAYOUT_PARALLEL || b->attn == ATTN_MHA); }
static int has_ln2(const BlockSpec *b) { return b->norm && b->mlp && b->layout == LAYOUT_SEQUENTIAL; }

/* p's member at offset, or NULL when only declaring. */
#define MEMBER(p, f) ((p) ? (void *)&(p)->f : NULL)

void block_declare(ParamBinder *bd, const ModCfg *c, const char *prefix, int group, BlockParams *p)
{
    const BlockSpec *b = c->spec;
    char name[48];
#define SUB(s) (snprintf(name, sizeof name, "%s.%s", prefix, s), name)
    if (has_ln1(b)) module_declare(bd, &module_norm, c, SUB("ln1"), group, MEMBER(p, ln1));
    if (b->attn == ATTN_MHA) module_declare(bd, &module_attn, c, SUB("attn"), group, MEMBER(p, attn));
    module_declare(bd, &block_gains_sa, c, prefix, group, p);
    if (has_ln2(b)) module_declare(bd, &module_norm, c, SUB("ln2"), group, MEMBER(p, ln2));
    if (b->mlp) module_declare(bd, &module_mlp, c, SUB("mlp"), group, MEMBER(p, mlp));
    module_declare(bd, &block_gains_ff, c, prefix, group, p);
#undef SUB
}

void block_init(const ModCfg *c, BlockParams *p, Rng *r)
{
    module_init(&module_norm, c, &p->ln1, r);
    module_init(&module_attn, c, &p->attn, r);
    module_init(&block_gains_sa, c, p, r);
    module_init(&module_norm, c, &p->ln2, r);
    module_init(&module_mlp, c, &p->mlp, r);
    module_init(&block_gains_ff, c, p, r);
}

/* Hooks the norm's input under `site`, then normalises. */
static Tensor *norm(const ModCfg *c, const NormParams *p, Tape *t, const char *site, Tensor *x)
{
    tape_hook(t, site, x);
    return norm_forward(c, p, t, x);
}

static Tensor *attention(const ModCfg *c, const BlockParams *p, Tape *t, Tensor *h)
{
    TapeScope s = tape_scope_enter(t, "attn", -1, -1);
    Tensor *y = attn_forward(c, &p->attn, t, h);
    tape_scope_leave(t, s);
    return y;
}

static Tensor *mlp(const ModCfg *c, const BlockParams *p, Tape *t, Tensor *h)
{
    TapeScope s = tape_scope_enter(t, "mlp", -1, -1);
    Tensor *y = mlp_forward(c, &p->mlp, t, h);
    tape_scope_leave(t, s);
    return y;
}

/* a·x + b·y, skipping the read of x when its gain is a constant 0 (no skip). */
static Tensor *residual(Tape *t, Tensor *x, Gain a, Tensor *y, Gain b)
{
    if (!a.p && a.v == 0.0f) return op_mix(t, y, b, NULL, gain_const(0));
    return op_mix(t, x, a, y, b);
}

Tensor *block_forward(const ModCfg *c, const BlockParams *p, Tape *t, Tensor *x)
{
    const BlockSpec *b = c->spec;
    int attn = b->attn == ATTN_MHA;
    tape_hook(t, "resid_pre", x);
    if (b->layout == LAYOUT_PARALLEL) {
        /* SAS Eq. 7: X·α + β_SA·MHA(Norm X) + β_FF·MLP(Norm X), one shared norm. */
        Tensor *h = b->norm ? norm(c, &p->ln1, t, "ln1.in", x) : x;
        Tensor *y = x;
        if (attn) y = residual(t, x, p->alpha_sa, attention(c, p, t, h), p->beta_sa);
        if (b->mlp) y = attn ? op_mix(t, y, gain_const(1), mlp(c, p, t, h), p->beta_ff)
                             : residual(t, x, p->alpha_sa, mlp(c, p, t, h), p->beta_ff);
        x = y;
    } else if (b->norm && b->normpos == NORMPOS_POST) {
        /* Post-LN / DeepNorm: x = Norm(α·x + β·G(x)) (SAS §A.3, DN §D.1). */
        if (attn) {
            x = residual(t, x, p->alpha_sa, attention(c, p, t, x), p->beta_sa);
            x = norm(c, &p->ln1, t, "ln1.in", x);
            tape_hook(t, "resid_mid", x);
        }
        if (b->mlp) {
            x = residual(t, x, p->alpha_ff, mlp(c, p, t, x), p->beta_ff);
            x = norm(c, &p->ln2, t, "ln2.in", x);
        }
    } else {
        /* Pre-LN, SAS Eq. 1 (norm=off: the norms are the identity). */
        if (attn) {
            Tensor *h = b->norm ? norm(c, &p->ln1, t, "ln1.in", x) : x;
            x = residual(t, x, p->alpha_sa, attention(c, p, t, h), p->beta_sa);
            tape_hook(t, "resid_mid", x);
        }
        if (b->mlp) {
            Tensor *h = b->norm ? norm(c, &p->ln2, t, "ln2.in", x) : x;
            x = residual(t, x, p->alpha_ff, mlp(c, p, t, h), p->beta_ff);
        }
    }
    tape_hook(t, "resid_post", x);
    return x;
}
