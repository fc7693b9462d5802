/* model.c — embed → stack → head: the model-level tensors, the blocks stack,
 * build and forward. Block structure lives in block.c, modules in module.c.
 * Not here: training loops, data, probes. */
#include "model.h"
#include "mom_stack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* ---- model-level tensors: embedding and head ---------------------------------------------- */

static void init_sinusoids(const ModCfg *c, const ParamRow *row, Tensor *wpe, Rng *r)
{
    int T = wpe->shape[0], C = wpe->shape[1];
    for (int t = 0; t < T; t++)
        for (int i = 0; i < C / 2; i++) {
            double f = pow(10000.0, -2.0 * i / C);
            wpe->data[(size_t)t * C + 2 * i] = (float)sin(t * f);
            wpe->data[(size_t)t * C + 2 * i + 1] = (float)cos(t * f);
        }
}

static int wte_shape(const ModCfg *c, int d[3]) { d[0] = c->arch->vocab; d[1] = c->arch->width; return 1; }
static int wpe_learned(const ModCfg *c, int d[3]) { d[0] = c->arch->ctx; d[1] = c->arch->width; return c->arch->pos == POS_LEARNED; }
static int wpe_sinus(const ModCfg *c, int d[3]) { d[0] = c->arch->ctx; d[1] = c->arch->width; return c->arch->pos == POS_SINUSOIDAL; }
static int head_shape(const ModCfg *c, int d[3]) { d[0] = c->arch->vocab; d[1] = c->arch->width; return !c->arch->tie; }

static const ParamRow embed_rows[] = {
    {.name = "wte", .slot = offsetof(Model, wte), .shape = wte_shape, .flags = PARAM_TRAIN, .init = init_normal},
    {.name = "wpe", .slot = offsetof(Model, wpe), .shape = wpe_learned, .flags = PARAM_TRAIN, .init = init_normal},
    {.name = "wpe", .slot = offsetof(Model, wpe), .shape = wpe_sinus, .flags = 0, .init = init_sinusoids},
};
static const ParamRow head_rows[] = {
    {.name = "lm_head", .slot = offsetof(Model, head), .shape = head_shape, .flags = PARAM_TRAIN | PARAM_DECAY, .init = init_weight},
};
static const ModuleKind module_embed = {"embed", embed_rows, 3};
static const ModuleKind module_head = {"head", head_rows, 1};

/* The norm before block 0 that SAS-P without norm keeps (SAS §A.10). */
static int wants_input_norm(const ArchSpec *a) { return a->depth > 0 && !a->blocks[0].norm && a->norm != NORM_NONE; }

/* ---- the blocks stack ---------------------------------------------------------------------- */

static void *blocks_create(const ArchSpec *a) { return xcalloc((size_t)a->depth, sizeof(BlockParams)); }

static void blocks_declare(const ArchSpec *a, ParamBinder *bd, void *stack)
{
    BlockParams *p = stack;
    char prefix[32];
    for (int l = 0; l < a->depth; l++) {
        ModCfg c = {a, &a->blocks[l]};
        snprintf(prefix, sizeof prefix, "blocks.%d", l);
        block_declare(bd, &c, prefix, l, p ? &p[l] : NULL);
    }
}

static void blocks_init(const ArchSpec *a, void *stack, Rng *r)
{
    BlockParams *p = stack;
    for (int l = 0; l < a->depth; l++) {
        ModCfg c = {a, &a->blocks[l]};
        block_init(&c, &p[l], r);
    }
}

static Tensor *blocks_forward(const Model *m, Tape *t, Tensor *x)
{
    const ArchSpec *a = m->arch;
    const BlockParams *p = m->stack_params;
    if (t->recording) {
        for (int l = 0; l < a->depth; l++) {
            ModCfg c = {a, &a->blocks[l]};
            TapeScope s = tape_scope_enter(t, "blocks", l, l);
            x = block_forward(&c, &p[l], t, x);
            tape_scope_leave(t, s);
        }
        return x;
    }
    /* Forward only: keep one block's activations alive at a time. */
    Tensor *ping[2] = {tape_like(t, x), tape_like(t, x)};
    for (int l = 0; l < a->depth; l++) {
        ModCfg c = {a, &a->blocks[l]};
        ArenaMark mark = arena_mark(&t->arena);
        TapeScope s = tape_scope_enter(t, "blocks", l, l);
        Tensor *y = block_forward(&c, &p[l], t, x);
        tape_scope_leave(t, s);
        memcpy(ping[l & 1]->data, y->data, (size_t)y->n * sizeof(float));
        arena_release(&t->arena, mark);
        x = ping[l & 1];
    }
    return x;
}

static int blocks_groups(const ArchSpec *a) { return a->depth; }

const StackKind stack_blocks = {
    .name = "blocks",
    .create = blocks_create,
    .declare = blocks_declare,
    .init = blocks_init,
    .forward = blocks_forward,
    .n_groups = blocks_groups,
};

/* ---- declare and build --------------------------------------------------------------------- */

/* Declares everything in layout order: embed, ln_in, the stack, ln_f, head. m NULL: count only. */
static void declare_model(const ArchSpec *a, const StackKind *k, ParamBinder *bd, Model *m)
{
    ModCfg c = {a, NULL};
    module_declare(bd, &module_embed, &c, "", -1, m);
    if (wants_input_norm(a)) module_declare(bd, &module_norm, &c, "ln_in", -1, m ? &m->ln_in : NULL);
    k->declare(a, bd, m ? m->stack_params : NULL);
    module_declare(bd, &module_norm, &c, "ln_f", -1, m ? &m->ln_f : NULL);
    module_declare(bd, &module_head, &c, "", -1, m);
}

int model_declare(const ArchSpec *a, ParamTable *pt, BlError *e)
{
    if (arch_validate(a, e)) return -1;
    ParamBinder bd = {pt, NULL, 0, 0};
    declare_model(a, model_stack_kind(a), &bd, NULL);
    return 0;
}

const StackKind *model_stack_kind(const ArchSpec *a) { return a->stack == STACK_MOM ? &stack_mom : &stack_blocks; }

int model_build(Model *m, const ArchSpec *a, BlError *e) { return model_build_stack(m, a, model_stack_kind(a), e); }

int model_build_stack(Model *m, const ArchSpec *a, const StackKind *k, BlError *e)
{
    memset(m, 0, sizeof *m);
    if (arch_validate(a, e)) return -1;
    m->arch = xcalloc(1, sizeof *m->arch);
    arch_copy(m->arch, a);
    m->stack = k;
    m->stack_params = k->create(a);
    if (k == &stack_blocks) m->blocks = m->stack_params;
    m->n_groups = k->n_groups(a);
    ParamBinder bd = {&m->params, NULL, 0, 0};
    declare_model(a, k, &bd, m);
    params_alloc(&m->params);
    binder_resolve(&bd);

    /* Draw in declaration order from the seed: the same spec gives the same weights. */
    Rng r;
    rng_seed(&r, a->seed);
    ModCfg c = {m->arch, NULL};
    module_init(&module_embed, &c, m, &r);
    module_init(&module_norm, &c, &m->ln_in, &r);
    k->init(m->arch, m->stack_params, &r);
    module_init(&module_norm, &c, &m->ln_f, &r);
    module_init(&module_head, &c, m, &r);
    return 0;
}

void model_free(Model *m)
{
    params_free(&m->params);
    if (m->stack && m->stack->destroy) m->stack->destroy(m->stack_params);
    free(m->stack_params);
    if (m->arch) arch_free(m->arch);
    free(m->arch);
    memset(m, 0, sizeof *m);
}

/* ---- forward -------------------------------------------------------------------------------- */

Tensor *model_forward(const Model *m, Tape *t, const int *tokens, int B, int T, const int *targets,
                      const float *mask, Tensor **logits_out)
{
    ModCfg c = {m->arch, NULL};
    Tensor *x = op_embed(t, tokens, B, T, m->wte, m->wpe);
    tape_hook(t, "embed", x);
    if (m->ln_in.w) {
        tape_hook(t, "ln_in.in", x);
        x = norm_forward(&c, &m->ln_in, t, x);
        tape_hook(t, "ln_in.out", x);
    }
    x = m->stack->forward(m, t, x);
    tape_hook(t, "ln_f.in", x);
    x = norm_forward(&c, &m->ln_f, t, x);
    tape_hook(t, "ln_f.out", x);
    Tensor *logits = op_linear(t, x, m->head ? m->head : m->wte, NULL);
    tape_hook(t, "logits", logits);
    if (logits_out) *logits_out = logits;
    if (!targets) return logits;
    return op_cross_entropy(t, logits, targets, mask);
}

double model_flops_per_step(const Model *m, int B, int T)
{
    double matmul = 0, attn = 0;
    const ParamTable *pt = &m->params;
    for (int i = 0; i < pt->n; i++) {
        const Param *p = &pt->p[i];
        /* One attention module per W^Q (its name ends in w_qkv or w_qk). */
        const char *dot = strrchr(p->name, '.');
        if (!strncmp(p->name, "mom.", 4)) continue;   /* a MoM chunk: counted by what runs, below */
        if (p->t.ndim == 2 && strcmp(p->name, "wpe") != 0) matmul += (double)p->t.n;
        if (dot && (!strcmp(dot, ".w_qkv") || !strcmp(dot, ".w_qk"))) attn += 12.0 * T * m->arch->width;
    }
    if (m->arch->stack == STACK_MOM) {
        /* Only the chosen modules run: the chunk's forward MACs, ×2 flops, ×3 with backward. */
        MomModelCfg mc = model_mom_cfg(m->arch);
        attn += 6.0 * mom_macs_per_token(&m->arch->mom, &mc, T);
    }
    /* wte counts once, as the head's matmul (the embedding lookup is no matmul). */
    return 6.0 * matmul * B * T + attn * B * T;
}

Tensor *model_objective(Tape *t, Tensor *loss)
{
    Tensor *total = loss;
    for (int i = 0; i < t->n_aux; i++) total = op_mix(t, total, gain_const(1.0f), t->aux[i].value, gain_const(t->aux[i].weight));
    return total;
}
