/* hybrid.h — attention replaced by distilled students in a trained model
 * ("Rethinking Attention"; spec/mom-and-mlp-attention.md §B.5, C.2):
 *   1. capture the teacher's (input, target) pairs at each layer's cut with
 *      hooks on its forward (no tape), over training batches of its data;
 *   2. train one student per layer on them (distill.h), reporting every epoch;
 *   3. build the hybrid: the teacher's spec with attn=mlp-<mode> on those
 *      layers, every other tensor copied from the teacher by name.
 * The teacher is only read. Also the accuracy-versus-length evaluation (R3).
 * Nothing prints: progress goes through a callback. */
#ifndef BL_HYBRID_H
#define BL_HYBRID_H

#include "data.h"
#include "model.h"

typedef struct DistillPlan {
    int      mode, size;      /* StudentMode, StudentSize */
    int      lo, hi;          /* blocks to replace, inclusive */
    int      epochs;          /* 21 in the official code */
    int      batch;           /* sequences per Adam step */
    int      sequences;       /* training sequences captured (held-out: an eighth as many) */
    int      minlen, maxlen;  /* task lengths captured (0, 0: the data's own) */
    float    lr;              /* 0: the recipe's (1e-4 ALR, 1e-3 otherwise) */
    uint64_t seed;            /* student init and shuffling */
} DistillPlan;

/* epochs 21, batch 32, sequences 512, size l, mode alr, lengths and lr from the recipe. */
void distill_plan_default(DistillPlan *p);

/* Checks that the teacher can take the plan: layers in range, every layer
 * holds the part the mode replaces (ALR/ASLR: attention; ALRR: a pre-norm
 * sequential attention sub-block; ELR: any block that is not a student yet),
 * lengths that fit the data and the context. One line naming the block. */
int hybrid_check(const Model *teacher, const DataSource *data, const DistillPlan *p, BlError *e);

/* Progress: called after each epoch of each layer (epoch 1-based) with the
 * training MSE (mean over the epoch) and the held-out MSE after it; and once
 * per layer before its first epoch with epoch 0 and the MSE of the untrained
 * student. Return nonzero to stop (the hybrid is then not built). */
typedef int (*DistillProgress)(void *ctx, int layer, int epoch, double mse, double val_mse);

/* Runs the plan (hybrid_check first) and builds *hybrid (a new Model the
 * caller frees). data is read through a private copy: its position is not
 * advanced. Returns -1 with a message (or when progress asked to stop). */
int hybrid_distill(const Model *teacher, const DataSource *data, const DistillPlan *p,
                   DistillProgress progress, void *ctx, Model *hybrid, BlError *e);

/* Held-out accuracy of m on the data's task at each length n = lo..hi:
 * exact[i], token[i] for n = lo + i (batches of B rows, T = ctx). A length
 * whose examples do not fit the context is refused with the limit. */
int hybrid_eval_lengths(Model *m, const DataSource *data, int lo, int hi, int batches, int B,
                        float *exact, float *token, BlError *e);

/* The longest task length n whose examples fit ctx positions (encoder: ctx,
 * decoder: the answer's last target at 2n-1 < ctx). */
int hybrid_max_length(const Model *m, const DataSource *data);

#endif
