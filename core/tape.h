/* tape.h — define-by-run autograd. Ops run their forward at once and, while the
 * tape records, append a node holding what their backward needs. tape_backward
 * walks the nodes in reverse. Activations, saved buffers and activation
 * gradients all come from the tape's arena, so a whole step allocates nothing
 * once the arena has grown to the step's peak.
 *
 * Hooks (as in TransformerLens): a model calls tape_hook(t, layer, "resid_pre", x)
 * at every named activation; if a hook function is installed it sees the tensor
 * ("blocks.<layer>.<site>", layer -1 for model-level sites such as "embed"). */
#ifndef BL_TAPE_H
#define BL_TAPE_H

#include "arena.h"
#include "tensor.h"

struct Tape;
struct TapeNode;
typedef void (*BackwardFn)(struct Tape *t, struct TapeNode *n);
typedef void (*HookFn)(void *ctx, int layer, const char *site, const Tensor *x);

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
} Tape;

void tape_init(Tape *t, size_t arena_bytes);
void tape_free(Tape *t);
/* Drops all nodes and activations (the arena regrows to the last peak). */
void tape_reset(Tape *t);

/* A new activation tensor in the arena; rg as given (ops set it from inputs). */
Tensor *tape_tensor(Tape *t, int d0, int d1, int d2, int d3);
/* A new activation tensor shaped like x (rg 0). */
Tensor *tape_like(Tape *t, const Tensor *x);
/* The gradient buffer of x, allocated zeroed on first use (params: their slot). */
float  *tape_grad(Tape *t, Tensor *x);
/* Appends a node (only when recording and the output requires grad); returns it
 * for the op to fill, or NULL when nothing is recorded. */
TapeNode *tape_push(Tape *t, BackwardFn fn, Tensor *out);
/* Seeds d(loss)/d(loss) = 1 and runs every node's backward in reverse order. */
void tape_backward(Tape *t, Tensor *loss);
/* Runs the reverse sweep with whatever output gradients the caller has seeded
 * (gradient checks seed a random cotangent). */
void tape_backward_seeded(Tape *t);

static inline void tape_hook(Tape *t, int layer, const char *site, const Tensor *x)
{
    if (t->hook) t->hook(t->hook_ctx, layer, site, x);
}

#endif
