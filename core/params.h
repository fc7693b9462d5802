/* params.h — every parameter of a model in one flat float array (and its
 * gradient in a second), with a name table pointing into them. Optimizers,
 * clipping, norms and checkpoints are then single loops over `data`/`grad`.
 * Building is two-phase, as in llm.c: declare every tensor (names, shapes,
 * flags), then params_alloc() lays them out and points their Tensors. */
#ifndef BL_PARAMS_H
#define BL_PARAMS_H

#include <stddef.h>

#include "tensor.h"

enum {
    PARAM_TRAIN = 1,   /* updated by the optimizer (else frozen, e.g. fixed gains, sinusoids) */
    PARAM_DECAY = 2,   /* gets weight decay (2-D weights only; never gains, norms, biases, embeddings) */
};

typedef struct Param {
    char   name[64];   /* "blocks.3.attn.w_qkv" */
    int    group;      /* what probes chart it under: the block index for the blocks
                          stack, a module's index for other stacks; -1 model-level */
    int    flags;
    size_t offset;     /* into ParamTable.data / .grad */
    Tensor t;          /* shape; data/grad valid after params_alloc */
} Param;

typedef struct ParamTable {
    Param *p;
    int    n, cap;
    size_t total;      /* floats in data/grad, including the padding that aligns each tensor to 16 floats */
    float *data;       /* owned; NULL until params_alloc (or never, for counting only) */
    float *grad;       /* owned, same layout */
} ParamTable;

/* Declares a tensor (up to 3 dims; trailing 0s end the shape); returns its index. */
int  params_add(ParamTable *pt, const char *name, int group, int flags, int d0, int d1, int d2);
/* Allocates data and grad (zeroed) and points every Param's Tensor into them. */
void params_alloc(ParamTable *pt);
void params_free(ParamTable *pt);                 /* frees everything; pt is zeroed */
int  params_find(const ParamTable *pt, const char *name);   /* index or -1 */
static inline Tensor *params_tensor(ParamTable *pt, int i) { return i < 0 ? 0 : &pt->p[i].t; }
/* Sum of trainable floats. */
size_t params_trainable(const ParamTable *pt);

#endif
