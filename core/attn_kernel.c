/* attn_kernel.c — one (batch, head) pair's products for short contexts; see
 * attn_kernel.h. Rows go in blocks of four: each vector of Y, Z or Yᵀ loaded
 * from cache feeds four rows' accumulators. A block's missing rows (T not a
 * multiple of four) repeat its last row and are not stored. */
#include "attn_kernel.h"
#include "vec.h"

#define ROWS 4

/* Row pointers of the block at i0 (missing rows repeat the last one). */
static void block_rows(const float *base, size_t ld, int i0, int rows, const float *p[ROWS])
{
    for (int r = 0; r < ROWS; r++) p[r] = base + (size_t)(i0 + (r < rows ? r : rows - 1)) * ld;
}

static void put(float *o, vf16 v, int accumulate)
{
    vf_store(o, accumulate ? vf_load(o) + v : v);
}

void attn_k_xyt(int T, int d, float alpha, const float *X, int ldx, const float *Y, int ldy, float *S, int lds,
                int causal, float *scratch)
{
    /* Yᵀ (d × Tp), zero-padded to whole vectors of keys. */
    int Tp = (T + VF_LANES - 1) & ~(VF_LANES - 1);
    /* Rows of Y read a vector at a time: this is the first touch of K (or V),
     * and scalar loads left the loop waiting on each cache line. */
    for (int j = 0; j < T; j++)
        for (int k0 = 0; k0 < d; k0 += VF_LANES) {
            vf16 v = vf_load(Y + (size_t)j * ldy + k0);
            for (int l = 0; l < VF_LANES; l++) scratch[(size_t)(k0 + l) * Tp + j] = v[l];
        }
    for (int k = 0; k < d; k++)
        for (int j = T; j < Tp; j++) scratch[(size_t)k * Tp + j] = 0.0f;
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        int rows = T - i0 < ROWS ? T - i0 : ROWS;
        int jend = causal ? i0 + rows : T;   /* keys the block's last row sees */
        const float *x[ROWS];
        block_rows(X, (size_t)ldx, i0, rows, x);
        for (int j0 = 0; j0 < jend; j0 += VF_LANES) {
            vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            const float *yt = scratch + j0;
            for (int k = 0; k < d; k++) {
                vf16 y = vf_load(yt + (size_t)k * Tp);
                a0 += x[0][k] * y;
                a1 += x[1][k] * y;
                a2 += x[2][k] * y;
                a3 += x[3][k] * y;
            }
            vf16 acc[ROWS] = {alpha * a0, alpha * a1, alpha * a2, alpha * a3};
            int cnt = jend - j0 < VF_LANES ? jend - j0 : VF_LANES;
            for (int r = 0; r < rows; r++) {
                float *o = S + (size_t)(i0 + r) * lds + j0;
                if (cnt == VF_LANES) vf_store(o, acc[r]);
                else
                    for (int l = 0; l < cnt; l++) o[l] = acc[r][l];
            }
        }
    }
}

/* The accumulators of one block: ROWS rows × NV vectors of the head dimension. */
#define NV 2

void attn_k_wz(int T, int d, const float *W, int ldw, const float *Z, int ldz, float *O, int ldo, int causal,
               int accumulate)
{
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        int rows = T - i0 < ROWS ? T - i0 : ROWS;
        int jend = causal ? i0 + rows : T;   /* W[i][j] is 0 past the diagonal */
        const float *w[ROWS];
        block_rows(W, (size_t)ldw, i0, rows, w);
        for (int dc = 0; dc < d; dc += NV * VF_LANES) {
            vf16 a[ROWS][NV] = {{{0}}};
            int nv = d - dc >= NV * VF_LANES ? NV : 1;
            if (nv == NV)
                for (int j = 0; j < jend; j++) {
                    const float *z = Z + (size_t)j * ldz + dc;
                    vf16 z0 = vf_load(z), z1 = vf_load(z + VF_LANES);
                    for (int r = 0; r < ROWS; r++) {
                        a[r][0] += w[r][j] * z0;
                        a[r][1] += w[r][j] * z1;
                    }
                }
            else
                for (int j = 0; j < jend; j++) {
                    vf16 z0 = vf_load(Z + (size_t)j * ldz + dc);
                    for (int r = 0; r < ROWS; r++) a[r][0] += w[r][j] * z0;
                }
            for (int r = 0; r < rows; r++)
                for (int v = 0; v < nv; v++) put(O + (size_t)(i0 + r) * ldo + dc + v * VF_LANES, a[r][v], accumulate);
        }
    }
}

void attn_k_wtz(int T, int d, const float *W, int ldw, const float *Z, int ldz, float *O, int ldo, int causal,
                int accumulate)
{
    for (int j0 = 0; j0 < T; j0 += ROWS) {
        int cols = T - j0 < ROWS ? T - j0 : ROWS;
        int c[ROWS];   /* the block's columns of W (missing ones repeat the last) */
        for (int r = 0; r < ROWS; r++) c[r] = j0 + (r < cols ? r : cols - 1);
        int istart = causal ? j0 : 0;   /* W[i][j] is 0 for i < j */
        for (int dc = 0; dc < d; dc += NV * VF_LANES) {
            vf16 a[ROWS][NV] = {{{0}}};
            int nv = d - dc >= NV * VF_LANES ? NV : 1;
            if (nv == NV)
                for (int i = istart; i < T; i++) {
                    const float *z = Z + (size_t)i * ldz + dc, *wr = W + (size_t)i * ldw;
                    vf16 z0 = vf_load(z), z1 = vf_load(z + VF_LANES);
                    for (int r = 0; r < ROWS; r++) {
                        a[r][0] += wr[c[r]] * z0;
                        a[r][1] += wr[c[r]] * z1;
                    }
                }
            else
                for (int i = istart; i < T; i++) {
                    const float *wr = W + (size_t)i * ldw;
                    vf16 z0 = vf_load(Z + (size_t)i * ldz + dc);
                    for (int r = 0; r < ROWS; r++) a[r][0] += wr[c[r]] * z0;
                }
            for (int r = 0; r < cols; r++)
                for (int v = 0; v < nv; v++) put(O + (size_t)(j0 + r) * ldo + dc + v * VF_LANES, a[r][v], accumulate);
        }
    }
}
