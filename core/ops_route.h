/* ops_route.h — the differentiable pieces of Mixture-of-Modules routing
 * (spec mom-and-mlp-attention.md §A.4-A.9), each recorded on the Tape with its
 * backward and checked by finite differences (tests/unit/test_grad_route.c):
 *   op_gru_gates     the GRU router's cell (§A.4), after its two linears
 *   op_softmax_tau   p = softmax(s/τ) with knocked-out columns forced to 0
 *   op_topk_weights  top-K choice per row and its (renormalised) weights (§A.5)
 *   op_balance_loss  Switch load-balancing loss, SKIP a class (§A.9)
 *   op_gather_rows   the rows of the tokens that chose a module
 *   op_scatter_rows  sum module outputs back onto their tokens, weighted or not (§A.6)
 * Top-K indices are integers: no gradient flows through the choice itself,
 * only through the weights that scale the chosen modules' outputs. */
#ifndef BL_OPS_ROUTE_H
#define BL_OPS_ROUTE_H

#include <stdint.h>

#include "tape.h"

/* GRU cell gates. gx = x2h(x), gh = h2h(h) are (N, 3r) holding [r | u | n]
 * pre-activations; h (N, r) is the previous state (all zeros at step 0).
 *   rz = σ(gx_r + gh_r), uz = σ(gx_u + gh_u), n = tanh(gx_n + rz·gh_n)
 *   h' = n + uz·(h − n)                                     → (N, r) */
Tensor *op_gru_gates(Tape *t, Tensor *gx, Tensor *gh, Tensor *h);

/* p = softmax(s/τ) over the last dim of s (N, S). Columns whose bit is set in
 * `off` (module knock-out: router score −∞) get p = 0 and no gradient. */
Tensor *op_softmax_tau(Tape *t, Tensor *s, float tau, uint32_t off);

/* Top-K of each row of p (N, S): writes idx[N·K] (largest first, ties to the
 * lower index) and returns the weights w (N, K): w_k = p_k / Σ_topK p when
 * renorm, else p_k. With force != NULL the indices are force[N·K] instead
 * (gradient checks hold the choice fixed; `mom` can force a path); if the
 * forced p's sum to 0 the weights are 1/K. At K = 1 with renorm, w = 1 exactly
 * and the gradient to p is exactly 0 (the official code's behaviour). */
Tensor *op_topk_weights(Tape *t, Tensor *p, int K, int renorm, const int *force, int *idx);

/* L = S · Σ_c f_c · P̄_c over the rows of n tensors ps[i] (N_i, S):
 * P = softmax(p) per row (softmax applied again, as the official code does on
 * already-softmaxed router outputs), P̄ its mean over rows, f_c the share of
 * rows whose argmax(p) is c (a constant). Returns a (1) tensor. */
Tensor *op_balance_loss(Tape *t, Tensor *const *ps, int n);

/* y (n, C) = rows of x (any shape, rows of C): y[i] = x[rows[i]]. rows must
 * live until backward (the arena is fine). */
Tensor *op_gather_rows(Tape *t, Tensor *x, const int *rows, int n);

/* One module's contribution to a routed sum: src (count, C) rows that go to
 * token rows[i]; with weights, scaled by w[rows[i]·K + slot[i]]. */
typedef struct RouteSrc {
    Tensor    *src;
    const int *rows, *slot;
    int        count;
} RouteSrc;

/* y = a fresh tensor shaped like `like` but with C = src cols (zeros where no
 * module wrote), y[rows[i]] += (w ? w[rows[i]·K + slot[i]] : 1)·src[i] for
 * every source. w (N, K) may be NULL (the unweighted QKV sum of §A.6). The
 * RouteSrc array is copied. */
Tensor *op_scatter_rows(Tape *t, const Tensor *like, int C, const RouteSrc *srcs, int n_src, Tensor *w, int K);

#endif
