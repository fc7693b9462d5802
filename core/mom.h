/* mom.h — a Mixture-of-Modules chunk (spec mom-and-mlp-attention.md §A, spec
 * README "Decisions"): pools of N_A attention and N_F FFN modules, each with
 * its own pre-norm, SKIP, two routers (GRU or MLP) shared over H steps. At each
 * step every token picks top-K modules; the chosen attention modules' q, k, v
 * are summed unweighted, one causal attention runs over all tokens, and the
 * chosen modules' outputs (W_o, FFN) are added weighted by the router.
 * Only the chosen modules run on a token (gather → module → scatter).
 *
 *   MomSpec      the settings (plain data, part of ArchSpec)
 *   MomParams    the tensors, declared into a model's ParamTable
 *   MomRun       per-forward knobs: forced paths, knock-outs, a record for probes
 *   mom_forward  one chunk: x (B, T, C) → x, plus the load-balancing loss */
#ifndef BL_MOM_H
#define BL_MOM_H

#include <stdint.h>

#include "common.h"
#include "ops.h"
#include "params.h"
#include "rng.h"

#define MOM_MAX_POOL  31    /* router outputs N+1 ≤ 32: knock-outs are a 32-bit mask */
#define MOM_MAX_STEPS 64
#define MOM_MAX_TOPK  8

typedef enum { ROUTER_GRU, ROUTER_MLP } RouterKind;

typedef struct MomSpec {
    int     n_attn, n_ffn;  /* pool sizes N_A, N_F */
    int     steps;          /* H */
    int     topk;           /* K, over N+1 options (SKIP competes) */
    uint8_t router;         /* RouterKind */
    int     rdim;           /* router width r (GRU state / MLP hidden), 32 */
    float   tau;            /* softmax temperature, 0.2 */
    uint8_t renorm;         /* kept weights renormalised to sum 1 (1) or raw p (0) */
    float   aux;            /* load-balancing coefficient, 0.01 */
    int     bottom, top;    /* static layers before / after the chunk */
    uint8_t anchor;         /* one more static layer right after the chunk */
} MomSpec;

/* Defaults of spec "Decisions": 4+4 pools, H 4, K 1, GRU r 32, τ 0.2, renorm, aux 0.01, pure form. */
void mom_spec_default(MomSpec *s);
/* Static layers the spec asks for: bottom + anchor + top. */
static inline int mom_static_layers(const MomSpec *s) { return s->bottom + s->anchor + s->top; }
/* Router outputs: the pool plus SKIP (its last index). */
static inline int mom_options(int pool) { return pool + 1; }

typedef struct MomAttnParams {
    Tensor *ln_w, *ln_b, *w_qkv, *b_qkv, *w_o, *b_o;
} MomAttnParams;
typedef struct MomFfnParams {
    Tensor *ln_w, *ln_b, *w_in, *b_in, *w_out, *b_out;
} MomFfnParams;
/* GRU: a = x2h, b = h2h, out. MLP: a = first linear, out = second (b unused). */
typedef struct MomRouterParams {
    Tensor *a_w, *a_b, *b_w, *b_b, *out_w, *out_b;
} MomRouterParams;

typedef struct MomParams {
    MomAttnParams   attn[MOM_MAX_POOL];
    MomFfnParams    ffn[MOM_MAX_POOL];
    MomRouterParams r_attn, r_ffn;
} MomParams;

/* The model-wide settings a chunk reads (from ArchSpec). */
typedef struct MomModelCfg {
    int     width, heads, causal, bias, norm, act;   /* norm: 0 layer, 1 rms, 2 none; act: 0 gelu, 1 relu */
    float   mlp_ratio;
} MomModelCfg;

/* Declares the chunk's tensors ("mom.attn.2.w_qkv", "mom.router.ffn.out.w", ...)
 * into pt; idx receives param indices (resolve with mom_resolve after
 * params_alloc). layer is the Param.layer to tag them with. */
typedef struct MomIdx {
    int attn[MOM_MAX_POOL][6], ffn[MOM_MAX_POOL][6], r_attn[6], r_ffn[6];
} MomIdx;
void mom_declare(ParamTable *pt, const MomSpec *s, const MomModelCfg *c, int layer, MomIdx *idx);
void mom_resolve(ParamTable *pt, const MomSpec *s, const MomIdx *idx, MomParams *p);
/* Norms 1, weights N(0, 0.02²) drawn in declaration order, biases 0. */
void mom_init(Rng *r, const MomSpec *s, MomParams *p);

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

/* Hook sites (layer as given): "mom.in" (the chunk's input), per step
 * "mom.attn.pattern", "mom.resid_mid" and "mom.resid_step" (after the FFN add). Returns the new x; *aux receives the unscaled balance loss
 * L_aux_attn + L_aux_ffn (a (1) tensor on the tape; scale it by s->aux). */
Tensor *mom_forward(const MomSpec *s, const MomModelCfg *c, const MomParams *p, const MomRun *run, Tape *t,
                    int layer, Tensor *x, Tensor **aux);

/* Multiply-accumulates per token of the chunk (forward): K·(4C² + 2·F·C) per
 * step for modules, the attention over T positions, and the routers. */
double mom_macs_per_token(const MomSpec *s, const MomModelCfg *c, int T);

/* Checks ranges: pools 1..31, steps 1..64, topk 1..min(8, N+1), rdim, tau > 0. */
int mom_validate(const MomSpec *s, BlError *e);

#endif
