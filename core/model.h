/* model.h — a model is embed → stack → head, built from an ArchSpec:
 *   embed  token (+ position) embedding, and a norm before the stack when
 *          block 0 has none (SAS-P without norm, SAS §A.10)
 *   stack  a StackKind: today the blocks of the ArchSpec in order
 *          (stack_blocks; a block may hold a student in place of some of its
 *          attention, block.h); a mixture of modules with routers is another kind
 *   head   the final norm and the output head, tied to the embedding or not.
 * The forward is ordinary C calling modules (module.h, block.h); backward
 * comes from the tape. Every tensor is declared through a module kind's
 * descriptor table, so the ParamTable names, counts, saves and loads it.
 *
 * Hook sites (tape.h): embed, ln_in.in, ln_in.out, ln_f.in, ln_f.out, logits
 * (model level, group -1), and whatever the stack hooks: stack_blocks enters
 * "blocks.L" (group L) around block L, so its sites read "blocks.3.resid_post",
 * "blocks.3.attn.pattern" (block.h lists them). */
#ifndef BL_MODEL_H
#define BL_MODEL_H

#include "arch.h"
#include "block.h"
#include "module.h"
#include "ops.h"
#include "params.h"

struct Model;

/* A kind of stack: how the middle of the model is declared, initialised and
 * run. A new kind needs no change in the tape, the trainer, the probes or
 * checkpoints: its tensors are declared through module kinds, its sites
 * hooked under scopes it enters, its auxiliary losses added with tape_aux. */
typedef struct StackKind {
    const char *name;       /* "blocks" */
    /* The stack's params (e.g. an array of BlockParams), zeroed; freed with free(). */
    void   *(*create)(const ArchSpec *a);
    /* Frees what create allocated inside the params (NULL: nothing); model_free then frees them. */
    void    (*destroy)(void *stack);
    /* Declares every tensor in order (module_declare, block_declare); stack is
     * NULL when only counting. Group ids must lie in 0 .. n_groups-1. */
    void    (*declare)(const ArchSpec *a, ParamBinder *bd, void *stack);
    void    (*init)(const ArchSpec *a, void *stack, Rng *r);
    /* (B, T, C) → (B, T, C). When the tape is not recording, a stack should
     * keep only what the next step needs alive (arena mark/release), so
     * forward-only probes cost one block's memory at any depth. */
    Tensor *(*forward)(const struct Model *m, Tape *t, Tensor *x);
    int     (*n_groups)(const ArchSpec *a);   /* blocks: depth; probes chart per group */
} StackKind;

extern const StackKind stack_blocks;

typedef struct Model {
    ArchSpec   *arch;            /* owned copy */
    ParamTable  params;
    const StackKind *stack;
    void       *stack_params;    /* owned, the stack kind's */
    BlockParams *blocks;         /* = stack_params for stack_blocks (arch->depth entries), else NULL */
    int         n_groups;        /* group ids of the stack's tensors: 0 .. n_groups-1 */
    Tensor *wte;                 /* (V, C) */
    Tensor *wpe;                 /* (ctx, C) learned, or frozen sinusoids; NULL for pos=none */
    NormParams ln_in;            /* norm before the stack, only when block 0 has norm=off */
    NormParams ln_f;             /* final norm */
    Tensor *head;                /* (V, C) untied head, or NULL (tied: wte) */
} Model;

/* Validates a, declares, allocates and initialises every parameter from
 * a->seed, with the stack kind a->stack names (blocks, or mom: core/mom_stack.h). On error m is zeroed and the message names
 * the problem. */
int  model_build(Model *m, const ArchSpec *a, BlError *e);
/* The same with a stack of the given kind. */
int  model_build_stack(Model *m, const ArchSpec *a, const StackKind *k, BlError *e);
void model_free(Model *m);        /* safe on a zeroed model */

/* Declares the parameter table of a (names, shapes, flags) without allocating
 * floats: counting 167M parameters costs a few kB. pt must be zeroed; free it
 * with params_free. */
int  model_declare(const ArchSpec *a, ParamTable *pt, BlError *e);

/* Runs the model on tokens (B, T), T <= ctx. With targets (B·T ids) returns
 * the masked mean cross-entropy (1); without, returns the logits (B, T, V).
 * *logits_out, if given, receives the logits either way. When the tape is not
 * recording, only one block's activations are alive at a time (arena
 * mark/release), so depth 1000 costs one layer of memory. */
Tensor *model_forward(const Model *m, Tape *t, const int *tokens, int B, int T, const int *targets,
                      const float *mask, Tensor **logits_out);

/* FLOPs of one training step (forward + backward) on B·T tokens: 6·(matmul
 * params)·tokens + attention's 12·T·C per token per attention module (the
 * usual estimate). */
double model_flops_per_step(const Model *m, int B, int T);

/* The stack kind ArchSpec.stack names. */
const StackKind *model_stack_kind(const ArchSpec *a);

/* What a step minimises after a forward with targets on tape t: loss plus
 * weight·term for every auxiliary term the forward added (tape_aux), as the
 * trainer does (for harnesses that step by hand: parity dumps, tests). */
Tensor *model_objective(Tape *t, Tensor *loss);

#endif
