/* ops.h — every differentiable operation, forward and backward, recorded on a
 * Tape. Each op allocates its output in the tape's arena, computes the forward
 * at once, and (when recording and any input requires grad) pushes a node whose
 * backward accumulates into the inputs' gradients. One op family per file:
 *   ops_basic.c  embedding, linear (cblas_sgemm), mix (gains + residual add), gelu, relu
 *   ops_norm.c   layernorm, rmsnorm
 *   ops_attn.c   fused multi-head attention (causal or not; shaped / value-skip forms)
 *   ops_loss.c   fused softmax cross-entropy with a loss mask
 * Shapes: activations are (B, T, C) or (N, C); only the last dim matters to
 * most ops. Weights follow PyTorch: a linear weight is (out, in). */
#ifndef BL_OPS_H
#define BL_OPS_H

#include "tape.h"

/* A scalar gain: a parameter (trainable or frozen) or a plain constant. */
typedef struct Gain {
    Tensor *p;   /* if set, the value is p->data[0] and d/dp is accumulated when p->rg */
    float   v;   /* the constant when p is NULL */
} Gain;
static inline Gain  gain_const(float v) { Gain g = {0, v}; return g; }
static inline Gain  gain_param(Tensor *p) { Gain g = {p, 0}; return g; }
static inline float gain_value(Gain g) { return g.p ? g.p->data[0] : g.v; }

/* x[B,T] token ids → wte[tok] + wpe[t]  : (B, T, C). wpe may be NULL (no positions)
 * or a frozen tensor (sinusoidal). tokens must stay alive until backward. */
Tensor *op_embed(Tape *t, const int *tokens, int B, int T, Tensor *wte, Tensor *wpe);

/* x (..., in) · W(out, in)ᵀ + b(out) → (..., out). b may be NULL. */
Tensor *op_linear(Tape *t, Tensor *x, Tensor *W, Tensor *b);

/* a·x + b·y (y may be NULL: a·x). Residual adds and branch gains in one pass. */
Tensor *op_mix(Tape *t, Tensor *x, Gain a, Tensor *y, Gain b);

Tensor *op_gelu(Tape *t, Tensor *x);   /* tanh approximation, as GPT-2 */
Tensor *op_relu(Tape *t, Tensor *x);

/* LayerNorm over the last dim: (x − mean)/sqrt(var + eps)·w + b. b may be NULL. */
Tensor *op_layernorm(Tape *t, Tensor *x, Tensor *w, Tensor *b, float eps);
/* RMSNorm over the last dim: w·x/sqrt(mean(x²) + eps) (spec "Decisions"). */
Tensor *op_rmsnorm(Tape *t, Tensor *x, Tensor *w, float eps);

/* Multi-head attention, fused: logits, mask, softmax, mixing, weighted sum.
 * Mixing per head h:  A_h = alpha_h·I + beta_h·softmax(q kᵀ/√d_k + M) − gamma_h·C
 * (SAS Eq. 5: shaped attention; alpha=1,beta=0,gamma=0 trainable-free values give
 * Value-SkipInit's αI+βA with gamma NULL). NULL gains mean alpha=0, beta=1,
 * gamma=0, i.e. standard attention. Gain tensors hold 1 value (shared) or H. */
typedef struct AttnOpts {
    int     n_head;
    int     causal;              /* 1: M = causal mask, C = uniform causal; 0: M = 0, C = 1/T */
    Tensor *alpha, *beta, *gamma;
} AttnOpts;
/* qkv is (B, T, 3C) holding [q | k | v] per token, or (B, T, 2C) holding [q | k]
 * when v is given separately as (B, T, C) (identity value: v is the normed input).
 * Output (B, T, C). *pattern_out (if not NULL) receives the softmax probabilities
 * (B, H, T, T), kept for hooks and backward. */
Tensor *op_attention(Tape *t, Tensor *qkv, Tensor *v, const AttnOpts *o, Tensor **pattern_out);
/* The mixing matrix of one head, A = alpha·I + beta·P − gamma·C (SAS Eq. 5),
 * from its softmax P (T, T) into A (T, T); zero above the diagonal when causal.
 * The op uses it, and so does the probe that charts the whole matrix. */
void attn_mix_matrix(const float *P, int T, int causal, float alpha, float beta, float gamma, float *A);
/* Causal attention with T ≥ min_t runs its products in bands of `rows` query
 * rows, each against the keys it can see (0 .. band end), skipping the upper
 * triangle: about half the attention flops at long contexts. The bands change
 * which sgemm kernels OpenBLAS picks, and with them the last bits of the
 * results; shorter contexts (every fixture and parity checkpoint) keep the full
 * products. Results stay bit-identical run to run at a fixed thread count.
 * Tests and benches may change these; nothing else should. */
typedef struct AttnTiling { int rows, min_t; } AttnTiling;
extern AttnTiling attn_tiling;

/* Mean over positions with mask > 0 of −log softmax(logits)[target]. logits
 * (N, V); targets[N] ids; mask[N] weights or NULL (all 1). targets and mask must
 * stay alive until backward. Returns a (1) tensor. If no position counts, the
 * loss is 0. */
Tensor *op_cross_entropy(Tape *t, Tensor *logits, const int *targets, const float *mask);

#endif
