/* attn_kernel.h — the small dense products of one (batch, head) pair of
 * attention, written out for short contexts (issue 15).
 *
 * At T = 64 and a head of 32, one pair's six products (QKᵀ, AV, and four in
 * backward) are tiny: OpenBLAS spends more time per call entering, packing
 * and choosing kernels than multiplying, and it cannot skip the causal upper
 * triangle. These loops keep a pair in cache, vectorise over the key or head
 * dimension (vec.h types) with rows in blocks of four, and stop at the
 * diagonal when causal. ops_attn.c uses them when the head size is a multiple
 * of 16 and the context is short (below attn_tiling.min_t); longer contexts
 * go through OpenBLAS in bands. Results depend only on the shapes and on the
 * machine (this file is built with floating-point contraction, so FMA where
 * the CPU has it), never on the thread count.
 *
 * Matrices are row-major with leading dimensions (ld*). "causal" means row i
 * of a T×T weight matrix has entries only at j ≤ i: the kernels then compute
 * S entries past the diagonal as a side effect (callers zero or ignore them)
 * and skip every W entry past it.
 *
 *   attn_k_xyt   S[i][j] = alpha · Σ_k X[i][k]·Y[j][k]   (QKᵀ, dY·Vᵀ)
 *   attn_k_wz    O[i][:] (+)= Σ_j W[i][j]·Z[j][:]       (A·V, dS·K)
 *   attn_k_wtz   O[j][:] (+)= Σ_i W[i][j]·Z[i][:]       (Aᵀ·dY, dSᵀ·Q)
 *   attn_k_fits  whether these apply to a head size
 *   attn_k_scratch  floats of scratch attn_k_xyt needs (Yᵀ, padded)
 */
#ifndef BL_ATTN_KERNEL_H
#define BL_ATTN_KERNEL_H

#include <stddef.h>

static inline int attn_k_fits(int head_size) { return head_size > 0 && head_size % 16 == 0; }
static inline size_t attn_k_scratch(int T, int head_size) { return (size_t)head_size * ((T + 15) & ~15); }

/* S (T×T, ld lds) from X (T×d, ld ldx) and Y (T×d, ld ldy); scratch holds
 * attn_k_scratch(T, d) floats. Causal: row i is computed for j ≤ i rounded up
 * to its block of four rows (the rest of the row is not written). */
void attn_k_xyt(int T, int d, float alpha, const float *X, int ldx, const float *Y, int ldy, float *S, int lds,
                int causal, float *scratch);

/* O (T×d, ld ldo) = or += (accumulate) W (T×T, ld ldw) · Z (T×d, ld ldz). */
void attn_k_wz(int T, int d, const float *W, int ldw, const float *Z, int ldz, float *O, int ldo, int causal,
               int accumulate);

/* O (T×d, ld ldo) = or += Wᵀ · Z. */
void attn_k_wtz(int T, int d, const float *W, int ldw, const float *Z, int ldz, float *O, int ldo, int causal,
                int accumulate);

#endif
