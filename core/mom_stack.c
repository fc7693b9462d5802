/* mom_stack.c — the Mixture-of-Modules stack kind: declares the static blocks,
 * the pools (through the same module kinds a block uses, core/module.h) and
 * the routers (their own kind below), and runs bottom blocks → chunk → anchor
 * and top blocks (spec mom-and-mlp-attention.md §A.2, A.10). */
#include "mom_stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the router module kind ------------------------------------------------------------- */

static int pool_of(const ModCfg *c, int ffn) { return ffn ? c->arch->mom.n_ffn : c->arch->mom.n_attn; }
static int is_gru(const ModCfg *c) { return c->arch->mom.router == ROUTER_GRU; }

#define RSHAPE(name, cond, a, b) \
    static int name(const ModCfg *c, int d[3]) { if (!(cond)) return 0; d[0] = (a); d[1] = (b); return 1; }
RSHAPE(gru_x2h_w, is_gru(c), 3 * c->arch->mom.rdim, c->arch->width)
RSHAPE(gru_h2h_w, is_gru(c), 3 * c->arch->mom.rdim, c->arch->mom.rdim)
RSHAPE(gru_b, is_gru(c), 3 * c->arch->mom.rdim, 0)
RSHAPE(mlp_l1_w, !is_gru(c), c->arch->mom.rdim, c->arch->width)
RSHAPE(mlp_l1_b, !is_gru(c), c->arch->mom.rdim, 0)
RSHAPE(out_w_attn, 1, mom_options(pool_of(c, 0)), c->arch->mom.rdim)
RSHAPE(out_b_attn, 1, mom_options(pool_of(c, 0)), 0)
RSHAPE(out_w_ffn, 1, mom_options(pool_of(c, 1)), c->arch->mom.rdim)
RSHAPE(out_b_ffn, 1, mom_options(pool_of(c, 1)), 0)

/* Routers keep their biases whatever the model's bias setting (nn.Linear in
 * §A.4); weights N(0, 0.02²), biases 0 (§A.10: "routers start random"). */
#define W (PARAM_TRAIN | PARAM_DECAY)
#define T PARAM_TRAIN
#define ROUTER_ROWS(OW, OB)                                                                                     \
    {.name = "x2h.w", .slot = offsetof(MomRouterParams, a_w), .shape = gru_x2h_w, .flags = W, .init = init_normal},  \
    {.name = "x2h.b", .slot = offsetof(MomRouterParams, a_b), .shape = gru_b, .flags = T},                          \
    {.name = "h2h.w", .slot = offsetof(MomRouterParams, b_w), .shape = gru_h2h_w, .flags = W, .init = init_normal},  \
    {.name = "h2h.b", .slot = offsetof(MomRouterParams, b_b), .shape = gru_b, .flags = T},                          \
    {.name = "l1.w", .slot = offsetof(MomRouterParams, a_w), .shape = mlp_l1_w, .flags = W, .init = init_normal},    \
    {.name = "l1.b", .slot = offsetof(MomRouterParams, a_b), .shape = mlp_l1_b, .flags = T},                        \
    {.name = "out.w", .slot = offsetof(MomRouterParams, out_w), .shape = OW, .flags = W, .init = init_normal},    \
    {.name = "out.b", .slot = offsetof(MomRouterParams, out_b), .shape = OB, .flags = T}
static const ParamRow router_attn_rows[] = {ROUTER_ROWS(out_w_attn, out_b_attn)};
static const ParamRow router_ffn_rows[] = {ROUTER_ROWS(out_w_ffn, out_b_ffn)};
#undef W
#undef T
static const ModuleKind module_router_attn = {"router", router_attn_rows, 8};
static const ModuleKind module_router_ffn = {"router", router_ffn_rows, 8};

/* ---- the stack kind --------------------------------------------------------------------- */

MomModelCfg model_mom_cfg(const ArchSpec *a)
{
    MomModelCfg c = {.width = a->width, .heads = a->heads, .causal = a->causal, .bias = a->bias,
                     .norm = a->norm, .act = a->act, .mlp_ratio = a->mlp_ratio};
    return c;
}

static int n_modules(const ArchSpec *a) { return a->mom.n_attn > a->mom.n_ffn ? a->mom.n_attn : a->mom.n_ffn; }

static void *mom_create(const ArchSpec *a)
{
    MomStack *s = xcalloc(1, sizeof *s);
    s->blocks = xcalloc((size_t)a->depth + 1, sizeof *s->blocks);
    return s;
}

static void mom_destroy(void *stack)
{
    MomStack *s = stack;
    if (s) free(s->blocks);
}

/* Pool modules are plain Pre-LN modules (preset preln): their shapes and init. */
static ModCfg pool_cfg(const ArchSpec *a, BlockSpec *plain)
{
    arch_block_preset(a, "preln", 0, plain);
    ModCfg c = {a, plain};
    return c;
}

void mom_pools_declare(const ArchSpec *a, ParamBinder *bd, MomParams *p)
{
    const MomSpec *ms = &a->mom;
    BlockSpec plain;
    ModCfg pc = pool_cfg(a, &plain);
    char prefix[48];
    for (int m = 0; m < ms->n_attn; m++) {
        snprintf(prefix, sizeof prefix, "mom.attn.%d.ln", m);
        module_declare(bd, &module_norm, &pc, prefix, a->depth + m, p ? &p->attn_ln[m] : NULL);
        snprintf(prefix, sizeof prefix, "mom.attn.%d", m);
        module_declare(bd, &module_attn, &pc, prefix, a->depth + m, p ? &p->attn[m] : NULL);
    }
    for (int m = 0; m < ms->n_ffn; m++) {
        snprintf(prefix, sizeof prefix, "mom.ffn.%d.ln", m);
        module_declare(bd, &module_norm, &pc, prefix, a->depth + m, p ? &p->ffn_ln[m] : NULL);
        snprintf(prefix, sizeof prefix, "mom.ffn.%d", m);
        module_declare(bd, &module_mlp, &pc, prefix, a->depth + m, p ? &p->ffn[m] : NULL);
    }
    module_declare(bd, &module_router_attn, &pc, "mom.router.attn", -1, p ? &p->r_attn : NULL);
    module_declare(bd, &module_router_ffn, &pc, "mom.router.ffn", -1, p ? &p->r_ffn : NULL);
}

void mom_pools_init(const ArchSpec *a, MomParams *p, Rng *r)
{
    const MomSpec *ms = &a->mom;
    BlockSpec plain;
    ModCfg pc = pool_cfg(a, &plain);
    for (int m = 0; m < ms->n_attn; m++) {
        module_init(&module_norm, &pc, &p->attn_ln[m], r);
        module_init(&module_attn, &pc, &p->attn[m], r);
    }
    for (int m = 0; m < ms->n_ffn; m++) {
        module_init(&module_norm, &pc, &p->ffn_ln[m], r);
        module_init(&module_mlp, &pc, &p->ffn[m], r);
    }
    module_init(&module_router_attn, &pc, &p->r_attn, r);
    module_init(&module_router_ffn, &pc, &p->r_ffn, r);
}

/* Layout order: bottom blocks, attention modules, FFN modules, routers, anchor and top blocks. */
static void mom_declare_all(const ArchSpec *a, ParamBinder *bd, void *stack)
{
    MomStack *s = stack;
    char prefix[32];
    for (int l = 0; l <= a->depth; l++) {
        if (l == a->mom.bottom) mom_pools_declare(a, bd, s ? &s->p : NULL);
        if (l < a->depth) {
            ModCfg c = {a, &a->blocks[l]};
            snprintf(prefix, sizeof prefix, "blocks.%d", l);
            block_declare(bd, &c, prefix, l, s ? &s->blocks[l] : NULL);
        }
    }
}

static void mom_init_all(const ArchSpec *a, void *stack, Rng *r)
{
    MomStack *s = stack;
    for (int l = 0; l <= a->depth; l++) {
        if (l == a->mom.bottom) mom_pools_init(a, &s->p, r);
        if (l < a->depth) {
            ModCfg c = {a, &a->blocks[l]};
            block_init(&c, &s->blocks[l], r);
        }
    }
}

static Tensor *static_block(const ArchSpec *a, MomStack *s, Tape *t, int l, Tensor *x)
{
    ModCfg c = {a, &a->blocks[l]};
    TapeScope sc = tape_scope_enter(t, "blocks", l, l);
    x = block_forward(&c, &s->blocks[l], t, x);
    tape_scope_leave(t, sc);
    return x;
}

static Tensor *chunk(const ArchSpec *a, MomStack *s, Tape *t, Tensor *x, Tensor **aux)
{
    MomModelCfg mc = model_mom_cfg(a);
    TapeScope sc = tape_scope_enter(t, "mom", -1, -1);
    x = mom_forward(&a->mom, &mc, &s->p, &s->run, t, x, aux);
    tape_scope_leave(t, sc);
    return x;
}

static Tensor *mom_stack_forward(const Model *m, Tape *t, Tensor *x)
{
    const ArchSpec *a = m->arch;
    MomStack *s = m->stack_params;
    s->aux = NULL;
    if (t->recording) {
        for (int l = 0; l <= a->depth; l++) {
            if (l == a->mom.bottom) x = chunk(a, s, t, x, &s->aux);
            if (l < a->depth) x = static_block(a, s, t, l, x);
        }
    } else {
        /* Forward only: one piece (a block, or the chunk) alive at a time; the
         * chunk's aux value is kept in a tensor allocated before. */
        Tensor *ping[2] = {tape_like(t, x), tape_like(t, x)};
        Tensor *keep = tape_tensor(t, 1, 0, 0, 0);
        for (int l = 0, k = 0; l <= a->depth; l++) {
            for (int piece = 0; piece < 2; piece++) {
                if (piece == 0 && l != a->mom.bottom) continue;
                if (piece == 1 && l == a->depth) continue;
                ArenaMark mark = arena_mark(&t->arena);
                Tensor *aux = NULL;
                Tensor *y = piece == 0 ? chunk(a, s, t, x, &aux) : static_block(a, s, t, l, x);
                if (aux) keep->data[0] = aux->data[0];
                memcpy(ping[k & 1]->data, y->data, (size_t)y->n * sizeof(float));
                arena_release(&t->arena, mark);
                x = ping[k++ & 1];
            }
        }
        s->aux = keep;
    }
    /* The load-balancing term joins the objective through the trainer (§A.9). */
    if (t->recording && s->aux && a->mom.aux != 0.0f) tape_aux(t, "aux", s->aux, a->mom.aux);
    return x;
}

static int mom_groups(const ArchSpec *a) { return a->depth + n_modules(a); }

const StackKind stack_mom = {
    .name = "mom",
    .create = mom_create,
    .destroy = mom_destroy,
    .declare = mom_declare_all,
    .init = mom_init_all,
    .forward = mom_stack_forward,
    .n_groups = mom_groups,
};

MomStack *model_mom(const Model *m) { return m && m->stack == &stack_mom ? m->stack_params : NULL; }
