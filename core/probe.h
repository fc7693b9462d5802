/* probe.h — measurements of signal propagation (spec/README.md "Probes"),
 * read from hooked activations, gradients and parameters on a run's fixed
 * probe batch, and recorded into Metrics as named series:
 *
 *   rank     rank.cos, rank.erank, rank.rms     1 × (depth+1) per record (layer 0 = embeddings)
 *   updates  updates.dF (from θ₀), updates.dF_step (since the last probe)   scalars;
 *            updates.ratio  1 × tensors: ‖Δθ‖/‖θ‖ of the step just taken when the
 *            trainer called probe_before_update, else since the last probe
 *   grads    grads.block 1 × depth, grads.global scalar (L2 norms, NaN/Inf flagged)
 *   lnin     lnin.attn, lnin.mlp                1 × depth (RMS of each norm layer's input)
 *   attn     attn.<L> (H·T) × T softmax per head for probe sequence 0 (latest only),
 *            attn.mixed.<L> the whole αI + βA − γC where the block is shaped,
 *            attn.entropy depth × H (mean row entropy, nats)
 *   scalars  scalars 1 × gains (every trainable scalar gain, per head where per head)
 *
 * Forward probes run on their own tape without recording, one block alive at a
 * time, so depth 1000 costs one layer of activations. Probes never change the
 * model: the SGD-update probe restores every parameter bit for bit. */
#ifndef BL_PROBE_H
#define BL_PROBE_H

#include "data.h"
#include "metrics.h"
#include "model.h"

enum {
    PROBE_RANK = 1,
    PROBE_UPDATES = 2,
    PROBE_GRADS = 4,
    PROBE_LNIN = 8,
    PROBE_ATTN = 16,
    PROBE_SCALARS = 32,
    PROBE_ALL = 63,          /* every probe above; the MoM ones are asked for by name */
    PROBE_ROUTER = 64,       /* MoM: core/probe_mom.h */
    PROBE_KNOCKOUT = 128,
    PROBE_MODULES = 256,
    PROBE_MOM = 64 | 128 | 256,
};
extern const char *const probe_names[];   /* NULL-terminated, bit i = name i */
/* "rank", "grads", ..., "all" → mask; -1 for an unknown name. */
int probe_parse(const char *name, unsigned *mask);

/* Scratch every probe reuses, sized when the prober first meets a model shape
 * (depth, heads, tensors) so that a probe inside a training step (the grads
 * probe runs between backward and the update) allocates nothing once warm. */
typedef struct ProbeBufs {
    int    depth, H, n_tensors, n_gains;   /* the shape they were sized for */
    float *cos, *erank, *rms;              /* depth + 1 */
    float *ln_attn, *ln_mlp;               /* depth */
    float *entropy;                        /* depth × H */
    float *patterns;                       /* depth × H·T·T sequence-0 maps; NULL until an attn probe */
    float *mixed;                          /* H·T·T, with patterns */
    unsigned char *has_pattern;            /* depth */
    float *F;                              /* B·T·C final-norm output */
    double *gram;                          /* T·T + 4T + T·C: token statistics */
    double *blk;                           /* depth: per-block gradient sums */
    float *vals;                           /* one record's values */
    const char **labels;                   /* one record's labels */
    char (*names)[80];                     /* n_gains: labels of the scalar gains */
} ProbeBufs;

typedef struct Prober {
    int    B, T, C;
    int   *tokens, *targets;   /* (B, T) the fixed probe batch, owned */
    float *mask;
    char (*labels)[16];        /* T printable tokens of sequence 0 */
    float *F0, *Fprev;         /* (B, T, C) final-norm output at the first probe and the last */
    float *theta_prev;         /* parameters at the last updates probe */
    size_t n_params;
    int    has_F0;
    Tape   tape;
    ProbeBufs buf;
} Prober;

/* Draws the probe batch once from the data's validation stream (fixed index),
 * so numbers compare across steps and across runs with the same data. */
int  prober_init(Prober *p, const Model *m, const DataSource *d, int B, BlError *e);
void prober_free(Prober *p);
/* Forgets θ_0 (call when the model is rebuilt or reloaded). */
void prober_reset(Prober *p);

/* Runs the probes in `mask` at `step`, appending to metrics. If have_grads, the
 * grads probe reads m->params.grad as the trainer left it (before clipping);
 * otherwise it runs its own forward + backward on the probe batch. Returns -1
 * with a message naming the first tensor and layer when a value is NaN/Inf
 * (the finite records are still appended). */
int probe_run(Prober *p, Model *m, unsigned mask, long step, int have_grads, Metrics *mt, BlError *e);

/* Called between backward and the update of a step whose updates probe is due:
 * remembers θ so updates.ratio measures that one step (the 1e-3 rule of thumb
 * is per step). Does nothing before the first updates probe. */
void probe_before_update(Prober *p, const Model *m);

/* DeepNet's update metric at init: one plain SGD step of lr on the probe batch,
 * then ‖F(θ₁) − F(θ₀)‖ as the RMS over tokens and features (F = final-norm
 * output; updates.dF uses the same measure). Parameters and gradients are
 * restored exactly. */
double probe_sgd_update(Prober *p, Model *m, float lr);

/* Runs the model forward on tokens (B, T) and names the first hooked activation
 * holding a NaN/Inf ("blocks.12.attn.out"); returns 0 when all are finite. */
int probe_first_nonfinite(Model *m, Tape *t, const int *tokens, int B, int T, char *where, int cap);

#endif
