/* tape.h — define-by-run autograd. Ops run their forward at once and, while the
 * tape records, append a node holding what their backward needs. tape_backward
 * walks the nodes in reverse. Activations, saved buffers and activation
 * gradients all come from the tape's arena, so a whole step allocates nothing
 * once the arena has grown to the step's peak.
 *
 * Hooks (as in TransformerLens): code calls tape_hook(t, "resid_pre", x) at
 * every named activation; if a hook function is installed it sees the tensor
 * and its site. A site's name is a path: the scopes entered around the call,
 * then the local name. A stack enters "blocks.3" (group 3), a block enters
 * "attn" around its attention module, whose hook "pattern" is then seen as
 * "blocks.3.attn.pattern". Modules never know where they sit: the same
 * attention module called by a mixture of modules under "mom.attn.2" is seen
 * as "mom.attn.2.pattern". The group is the integer probes chart by (block
 * index, module index; -1 for model-level sites such as "embed"). */
#ifndef BL_TAPE_H
#define BL_TAPE_H

#include "arena.h"
#include "prof.h"
#include "tensor.h"

struct Tape;
struct TapeNode;
typedef void (*BackwardFn)(struct Tape *t, struct TapeNode *n);

/* What a hook sees of its site. */
typedef struct HookSite {
    const char *path;    /* "blocks.3.attn.pattern", "embed" */
    const char *name;    /* the path below its group's scope: "attn.pattern" (= path when group < 0) */
    int         group;   /* the innermost scope entered with a group, or -1 */
} HookSite;
typedef void (*HookFn)(void *ctx, const HookSite *site, const Tensor *x);

/* A saved scope, restored by tape_scope_leave. */
typedef struct TapeScope {
    int len, group, group_len;
} TapeScope;

typedef struct TapeNode {
    BackwardFn backward;
    Tensor    *out;
    Tensor    *in[6];     /* inputs the backward reads or writes grads into (NULL = unused) */
    void      *saved;     /* op-specific saved data (in the arena) */
    const int *ints;      /* op-specific integer data (e.g. token ids, caller-owned) */
    const float *fl;      /* op-specific float data (e.g. loss mask, caller-owned) */
    float      f[4];
    int        i[6];
} TapeNode;

typedef struct Tape {
    Arena     arena;
    TapeNode *nodes;
    int       n, cap;
    int       recording;   /* 0: ops compute forward only (probes, eval, sampling) */
    HookFn    hook;        /* NULL: hooks cost one branch */
    void     *hook_ctx;
    char      scope[96];   /* "blocks.3.attn": the scopes entered (see tape_scope_enter) */
    int       scope_len;
    int       group;       /* of the innermost scope entered with a group; -1 */
    int       group_len;   /* scope_len just after that scope was entered */
    char      path[128];   /* scratch: the full path of the site being hooked */
    /* Auxiliary loss terms a forward added (tape_aux); reset with the tape. */
    struct { const char *name; Tensor *value; float weight; } aux[8];
    int       n_aux;
    Prof     *prof;        /* NULL: no timing; set: ops add their seconds (prof.h) */
    /* One shard of a data-parallel step (core/train.c) adds its parameters'
     * gradients into a copy of its own: a gradient slot inside grad_home's
     * grad_n floats is taken at the same offset of grad_into. NULL: none. */
    const float *grad_home;
    float       *grad_into;
    size_t       grad_n;
    /* recycle: an activation's gradient is dead once the backward of the op
     * that made the activation has run (every reader of it ran before), so
     * the reverse sweep hands its buffer to the next gradient of the same
     * size: written while still in cache, and the arena's peak drops by about
     * a third. The trainer's tapes set it; a caller that reads activation
     * gradients after backward (a gradient check) leaves it 0. */
    int          recycle;
    struct { float *p; int64_t n; } spare[32];
    int          n_spare;
} Tape;

void tape_init(Tape *t, size_t arena_bytes);
void tape_free(Tape *t);
/* Drops all nodes and activations (the arena regrows to the last peak). */
void tape_reset(Tape *t);

/* A new activation tensor in the arena; rg as given (ops set it from inputs). */
Tensor *tape_tensor(Tape *t, int d0, int d1, int d2, int d3);
/* A new activation tensor shaped like x (rg 0). */
Tensor *tape_like(Tape *t, const Tensor *x);
/* The gradient buffer of x, allocated zeroed on first use (params: their
 * slot, or the shard's copy of it when grad_into is set). */
float  *tape_grad(Tape *t, Tensor *x);
/* The gradient buffer of x for a backward that writes every element of it.
 * *fresh is 1 when no op has written it yet: the buffer is then not zeroed and
 * the caller must assign (=) instead of accumulating (+=); 0 otherwise. Saves
 * clearing every activation gradient, about 5% of a step at bench config S. */
float  *tape_grad_fresh(Tape *t, Tensor *x, int *fresh);
/* Appends a node (only when recording and the output requires grad); returns it
 * for the op to fill, or NULL when nothing is recorded. */
TapeNode *tape_push(Tape *t, BackwardFn fn, Tensor *out);
/* Seeds d(loss)/d(loss) = 1 and runs every node's backward in reverse order. */
void tape_backward(Tape *t, Tensor *loss);
/* Runs the reverse sweep with whatever output gradients the caller has seeded
 * (gradient checks seed a random cotangent). */
void tape_backward_seeded(Tape *t);

/* Enters a scope: appends ".name" (".name.index" when index >= 0) to the
 * path of every site hooked until the matching tape_scope_leave. group >= 0
 * also makes it the group sites report (a block index, a module index). */
TapeScope tape_scope_enter(Tape *t, const char *name, int index, int group);
static inline void tape_scope_leave(Tape *t, TapeScope s)
{
    t->scope_len = s.len;
    t->scope[s.len] = 0;
    t->group = s.group;
    t->group_len = s.group_len;
}

void tape_hook_call(Tape *t, const char *site, const Tensor *x);
static inline void tape_hook(Tape *t, const char *site, const Tensor *x)
{
    if (t->hook) tape_hook_call(t, site, x);
}

/* Adds an auxiliary loss term (a (1) tensor) to the step: the trainer adds
 * weight·value to the main loss before backward and logs value as the series
 * "loss.<name>" (name must outlive the step: a string literal). A forward
 * (a stack's, a module's) calls this; at most 8 per step, later ones are
 * ignored. tape_reset forgets them. */
static inline void tape_aux(Tape *t, const char *name, Tensor *value, float weight)
{
    if (t->n_aux >= (int)(sizeof t->aux / sizeof t->aux[0])) return;
    t->aux[t->n_aux].name = name;
    t->aux[t->n_aux].value = value;
    t->aux[t->n_aux].weight = weight;
    t->n_aux++;
}

#endif
