/* ops_student.h — the ops the attention-replacing student needs (student.h),
 * forward and backward on the tape like every op in ops.h:
 *   op_leaky_relu         max(x, slope·x)
 *   op_student_flatten    (B, T, d) → (B, L·d) zero-padded and masked (encoder form)
 *   op_student_prefix     the causal form's first layer, all positions at once
 *   op_student_join       per-net outputs → (B, T, nets·o), times the mask
 *   op_masked_mse         distillation loss
 * valid arrays are (B·T) floats, 1 for a real token and 0 for padding, or
 * NULL for all real; they must stay alive until backward. */
#ifndef BL_OPS_STUDENT_H
#define BL_OPS_STUDENT_H

#include "ops.h"

Tensor *op_leaky_relu(Tape *t, Tensor *x, float slope);

/* x (B, T, d) → (B, L·d): row b is x[b] flattened, rows of invalid positions
 * zeroed, positions T..L-1 zero. T <= L. */
Tensor *op_student_flatten(Tape *t, Tensor *x, const float *valid, int L);

/* For every position i of x (B, T, d), T <= L:
 *     z_i = W1 · LN(v_i) + b1,   v_i = flatten(x) with positions > i and
 *                                      invalid positions zeroed, length L·d,
 * LN over all L·d entries (zeros included) with weight g and bias beta (L·d).
 * Output (B, T, h). Exact, without L passes: W1·LN(v_i) = s_i·Σ_{j<=i} W1_j(g⊙x_j)
 * − μ_i·s_i·(W1 g) + W1 beta, a prefix sum of per-position products, so the
 * output at i is computed from positions <= i only (bit-identical when later
 * positions change). */
Tensor *op_student_prefix(Tape *t, Tensor *x, const float *valid, int L, Tensor *g, Tensor *beta,
                          Tensor *W1, Tensor *b1);

/* parts[n] hold, for each batch row, P positions of o values (P = L for an
 * encoder net's (B, L·o), P = T for a causal net's (B, T, o)). Output
 * (B, T, nparts·o): out[b, i, n·o + c] = parts[n][b, i, c] · valid[b, i]. */
Tensor *op_student_join(Tape *t, Tensor **parts, int nparts, int P, int T, const float *valid);

/* Σ over valid positions of (pred − target)² / (valid positions · o), pred
 * (B, T, o), target the same layout (caller-owned). Returns a (1) tensor; 0
 * when nothing is valid. */
Tensor *op_masked_mse(Tape *t, Tensor *pred, const float *target, const float *valid);

#endif
