/* mom.h — a Mixture-of-Modules chunk (spec mom-and-mlp-attention.md §A, spec
 * README "Decisions"): pools of N_A attention and N_F FFN modules, each with
 * its own pre-norm, SKIP, two routers (GRU or MLP) shared over H steps. At each
 * step every token picks top-K modules; the chosen attention modules' q, k, v
 * are summed unweighted, one causal attention runs over all tokens, and the
 * chosen modules' outputs (W_o, FFN) are added weighted by the router.
 * Only the chosen modules run on a token (gather → module → scatter).
 *
 *   MomSpec      the settings (plain data, part of ArchSpec)
 *   MomParams    the tensors (declared by the stack kind, core/mom_stack.c)
 *   MomRun       per-forward knobs: forced paths, knock-outs, a record for probes
 *   mom_forward  one chunk: x (B, T, C) → x, plus the load-balancing loss */
#ifndef BL_MOM_H
#define BL_MOM_H

#include <stdint.h>

#include "common.h"
#include "module.h"
#include "mom_spec.h"
#include "ops.h"
#include "rng.h"

typedef struct MomRouterParams {
    Tensor *a_w, *a_b, *b_w, *b_b, *out_w, *out_b;
} MomRouterParams;

/* The chunk's tensors. Module slots hold the same kinds a block holds
 * (core/module.h: NormParams, AttnParams, MlpParams; declared by mom_stack.c),
 * so a vanilla layer's tensors map onto them one to one. */
typedef struct MomParams {
    NormParams      attn_ln[MOM_MAX_POOL], ffn_ln[MOM_MAX_POOL];
    AttnParams   attn[MOM_MAX_POOL];
    MlpParams    ffn[MOM_MAX_POOL];
    MomRouterParams r_attn, r_ffn;
} MomParams;

/* The model-wide settings a chunk reads (from ArchSpec). */
typedef struct MomModelCfg {
    int     width, heads, causal, bias, norm, act;   /* norm: 0 layer, 1 rms, 2 none; act: 0 gelu, 1 relu */
    float   mlp_ratio;
} MomModelCfg;

/* What one forward chose, for probes: per step h, per row i (b·T + t), per
 * slot k. Buffers of steps·N·K (idx, w) and steps·N·(pool+1) (p), caller-owned. */
typedef struct MomRecord {
    int   N;                       /* rows recorded (B·T of the forward) */
    int   *attn_idx, *ffn_idx;
    float *attn_w, *ffn_w;
    float *attn_p, *ffn_p;         /* router probabilities, may be NULL */
} MomRecord;

typedef struct MomRun {
    const int *force_attn, *force_ffn;   /* steps·N·K indices, or NULL: the router decides */
    uint32_t   off_attn, off_ffn;        /* knocked-out modules (router score −∞) */
    MomRecord *rec;                      /* filled when set */
    int        force_diag;               /* 1: step h → module h (SKIP past the pool), K=1 only */
} MomRun;

/* Hook sites, under the caller's scope: "in" (the chunk's input), per step
 * "attn.pattern", "resid_mid" and "resid_step" (after the FFN add). Returns
 * the new x; *aux receives the unscaled balance loss L_aux_attn + L_aux_ffn
 * (a (1) tensor on the tape; the stack adds it with weight s->aux). */
Tensor *mom_forward(const MomSpec *s, const MomModelCfg *c, const MomParams *p, const MomRun *run, Tape *t,
                    Tensor *x, Tensor **aux);

/* Multiply-accumulates per token of the chunk (forward): K·(4C² + 2·F·C) per
 * step for modules, the attention over T positions, and the routers. */
double mom_macs_per_token(const MomSpec *s, const MomModelCfg *c, int T);


#endif
