/* optim.h — AdamW and SGD over a ParamTable's flat arrays, learning-rate
 * schedules (warmup + cosine or linear), and global grad-norm clipping.
 * Moments are flat arrays in the same layout as the parameters, so a
 * checkpoint stores them as two tensors. Frozen tensors are skipped. */
#ifndef BL_OPTIM_H
#define BL_OPTIM_H

#include "params.h"

typedef enum { OPT_ADAMW, OPT_SGD } OptKind;

/* Ranges of the settings: `train`'s keys (src/verbs.c) and the check a loaded
 * checkpoint's training state passes (core/checkpoint.c) read the same numbers. */
#define OPT_LR_MIN      1e-9
#define OPT_LR_MAX      10.0
#define OPT_BETA1_MAX   0.9999
#define OPT_BETA2_MAX   0.99999
#define OPT_EPS_MIN     1e-12
#define OPT_EPS_MAX     1.0
#define OPT_WD_MAX      10.0
#define OPT_CLIP_MAX    1e9
#define OPT_STEPS_MAX   1e9      /* warmup, schedule length */
typedef enum { SCHED_COSINE, SCHED_LINEAR, SCHED_CONSTANT } SchedKind;

typedef struct OptSpec {
    OptKind   kind;
    float     lr;            /* peak learning rate */
    float     beta1, beta2, eps;   /* AdamW (β1 doubles as SGD momentum) */
    float     weight_decay;  /* decoupled; only tensors flagged PARAM_DECAY */
    float     clip;          /* max global grad norm; 0 = off */
    int       warmup;        /* linear warmup steps */
    int       steps;         /* step at which the schedule ends (0-based steps before it) */
    long      origin;        /* step at which this cycle began: 0, or where a later
                                `train` found the previous schedule ended */
    float     warm_from;     /* lr the warmup starts from (0: from lr/warmup, as PyTorch) */
    SchedKind schedule;
    float     min_lr_frac;   /* floor of the decay as a share of lr */
} OptSpec;

/* AdamW lr 1e-3, (0.9, 0.95), eps 1e-8, wd 0.1, clip 1, warmup 0, cosine to 10%. */
void optim_spec_default(OptSpec *s);

typedef struct Optimizer {
    OptSpec spec;
    float  *m, *v;           /* owned; same length as the parameter array */
    size_t  n;
    long    t;               /* updates done (Adam's bias-correction step) */
} Optimizer;

void  optim_init(Optimizer *o, const OptSpec *s, const ParamTable *pt);
void  optim_free(Optimizer *o);
/* The learning rate at 0-based step `step` under s's schedule: linear warmup
 * over steps origin..origin+warmup (from warm_from, or from 0), then the decay
 * to min_lr_frac*lr at step `steps`, flat after. */
float optim_lr(const OptSpec *s, long step);
/* Global L2 norm of the trainable gradients (double accumulation). Each
 * tensor is summed in fixed chunks (their size depends only on its length),
 * in parallel, with the chunks' sums added in order: the same bits at any
 * thread count. */
double optim_grad_norm(const ParamTable *pt);
/* The factor that brings a gradient norm down to max_norm (as PyTorch's
 * clip_grad_norm_), or 1 when it is within (or max_norm is 0). */
float optim_clip_factor(double norm, float max_norm);
/* Scales gradients so their global norm is at most max_norm; returns the
 * norm before clipping. */
double optim_clip(ParamTable *pt, float max_norm);
/* One update of every trainable tensor with learning rate lr. */
void  optim_step(Optimizer *o, ParamTable *pt, float lr);
/* The same after scaling the gradients by grad_scale in the same pass (the
 * factor of optim_clip_factor): the bits of optim_clip then optim_step, one
 * read of the gradients fewer. */
void  optim_step_scaled(Optimizer *o, ParamTable *pt, float lr, float grad_scale);

#endif
