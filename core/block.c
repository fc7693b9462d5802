/* block.c — declare, initialise and run one block from its BlockSpec. */
#include "block.h"

#include <stdio.h>

static int has_attn(const ModCfg *c, int d[3]) { d[0] = 1; return block_has_attn_core(c->spec); }
static int has_mlp(const ModCfg *c, int d[3]) { d[0] = 1; return c->spec->mlp && c->spec->attn != ATTN_MLP_ELR; }

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
static int has_ln1(const BlockSpec *b)
{
    return b->attn != ATTN_MLP_ELR && b->norm && (b->layout == LAYOUT_PARALLEL || block_has_attn_core(b));
}
static int has_ln2(const BlockSpec *b) { return b->attn != ATTN_MLP_ELR && b->norm && b->mlp && b->layout == LAYOUT_SEQUENTIAL; }
static int has_mlp_module(const BlockSpec *b) { return b->mlp && b->attn != ATTN_MLP_ELR; }

/* The student's nets of an attn=mlp-* block (0 for any other). */
static int student_nets(const ModCfg *c)
{
    StudentSpec s;
    return block_student_mode(c->spec) >= 0 && !student_spec_of(c->arch, c->spec, &s, NULL) ? s.nets : 0;
}

/* "prefix.student", or "prefix.student.n" per head (ASLR). */
static void declare_student(ParamBinder *bd, const ModCfg *c, const char *prefix, int group, BlockParams *p)
{
    int nets = student_nets(c);
    for (int n = 0; n < nets; n++) {
        char name[64];
        if (nets > 1) snprintf(name, sizeof name, "%s.student.%d", prefix, n);
        else snprintf(name, sizeof name, "%s.student", prefix);
        module_declare(bd, &module_student, c, name, group, p ? (void *)&p->student[n] : NULL);
    }
}

/* p's member at offset, or NULL when only declaring. */
#define MEMBER(p, f) ((p) ? (void *)&(p)->f : NULL)

void block_declare(ParamBinder *bd, const ModCfg *c, const char *prefix, int group, BlockParams *p)
{
    const BlockSpec *b = c->spec;
    char name[48];
#define SUB(s) (snprintf(name, sizeof name, "%s.%s", prefix, s), name)
    int smode = block_student_mode(b);
    /* A student sits where the part it replaces was: first for ALRR and ELR,
     * between ln1 and W_O for ALR and ASLR. */
    if (smode == STUDENT_ALRR || smode == STUDENT_ELR) declare_student(bd, c, prefix, group, p);
    if (has_ln1(b)) module_declare(bd, &module_norm, c, SUB("ln1"), group, MEMBER(p, ln1));
    if (b->attn == ATTN_MHA) module_declare(bd, &module_attn, c, SUB("attn"), group, MEMBER(p, attn));
    if (smode == STUDENT_ALR || smode == STUDENT_ASLR) {
        declare_student(bd, c, prefix, group, p);
        module_declare(bd, &module_student_out, c, SUB("attn"), group, MEMBER(p, attn));
    }
    module_declare(bd, &block_gains_sa, c, prefix, group, p);
    if (has_ln2(b)) module_declare(bd, &module_norm, c, SUB("ln2"), group, MEMBER(p, ln2));
    if (has_mlp_module(b)) module_declare(bd, &module_mlp, c, SUB("mlp"), group, MEMBER(p, mlp));
    module_declare(bd, &block_gains_ff, c, prefix, group, p);
#undef SUB
}

void block_init(const ModCfg *c, BlockParams *p, Rng *r)
{
    int smode = block_student_mode(c->spec), nets = student_nets(c);
    if (smode == STUDENT_ALRR || smode == STUDENT_ELR)
        for (int n = 0; n < nets; n++) module_init(&module_student, c, &p->student[n], r);
    module_init(&module_norm, c, &p->ln1, r);
    if (smode < 0) module_init(&module_attn, c, &p->attn, r);
    if (smode == STUDENT_ALR || smode == STUDENT_ASLR) {
        for (int n = 0; n < nets; n++) module_init(&module_student, c, &p->student[n], r);
        module_init(&module_student_out, c, &p->attn, r);
    }
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

/* The student of an attn=mlp-* block on x (B, T, C), hooked as "student.out". */
static Tensor *student(const ModCfg *c, const BlockParams *p, Tape *t, Tensor *x)
{
    StudentSpec s;
    student_spec_of(c->arch, c->spec, &s, NULL);
    Tensor *y = student_forward(t, &s, (StudentNet *)p->student, x, NULL);
    tape_hook(t, "student.out", y);
    return y;
}

static Tensor *attention(const ModCfg *c, const BlockParams *p, Tape *t, Tensor *h)
{
    TapeScope s = tape_scope_enter(t, "attn", -1, -1);
    tape_hook(t, "in", h);
    Tensor *y;
    if (c->spec->attn == ATTN_MHA) {
        y = attn_forward(c, &p->attn, t, h);
    } else {   /* ALR / ASLR: the student computes the heads; W_O kept (§B.3) */
        tape_scope_leave(t, s);
        y = student(c, p, t, h);
        s = tape_scope_enter(t, "attn", -1, -1);
        tape_hook(t, "heads", y);
        if (p->attn.w_o) y = op_linear(t, y, p->attn.w_o, p->attn.b_o);
        tape_hook(t, "out", y);
    }
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
    int attn = block_has_attn_core(b), smode = block_student_mode(b);
    tape_hook(t, "resid_pre", x);
    if (smode == STUDENT_ELR) {
        x = student(c, p, t, x);   /* ELR: the whole block (§B.3) */
    } else if (b->layout == LAYOUT_PARALLEL) {
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
        if (smode == STUDENT_ALRR) {
            x = student(c, p, t, x);   /* ALRR: norm + attention + residual (§B.3) */
            tape_hook(t, "resid_mid", x);
        } else if (attn) {
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
