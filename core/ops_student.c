/* ops_student.c — forward and backward of the student's ops (ops_student.h).
 * The causal first layer (op_student_prefix) is the one with real algebra in
 * it; its derivation is written next to the code. Every matmul is cblas_sgemm. */
#include "ops_student.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define STUDENT_LN_EPS 1e-5f   /* nn.LayerNorm's default, as the official students */

static inline float valid_at(const float *valid, int i) { return valid ? valid[i] : 1.0f; }

/* ---- LeakyReLU ---------------------------------------------------------------- */

static void leaky_backward(Tape *t, TapeNode *n)
{
    Tensor *x = n->in[0];
    const float *dy = n->out->grad;
    float *dx = tape_grad(t, x), k = n->f[0];
    for (int i = 0; i < x->n; i++) dx[i] += x->data[i] > 0.0f ? dy[i] : k * dy[i];
}

Tensor *op_leaky_relu(Tape *t, Tensor *x, float slope)
{
    Tensor *y = tape_like(t, x);
    for (int i = 0; i < x->n; i++) y->data[i] = x->data[i] > 0.0f ? x->data[i] : slope * x->data[i];
    y->rg = x->rg;
    TapeNode *n = tape_push(t, leaky_backward, y);
    if (n) {
        n->in[0] = x;
        n->f[0] = slope;
    }
    return y;
}

/* ---- flatten and pad --------------------------------------------------------------- */

static void flatten_backward(Tape *t, TapeNode *n)
{
    Tensor *x = n->in[0];
    int B = x->shape[0], T = x->shape[1], d = x->shape[2], L = n->i[0];
    const float *dy = n->out->grad;
    float *dx = tape_grad(t, x);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < T; i++) {
            float v = valid_at(n->fl, b * T + i);
            const float *g = dy + (size_t)b * L * d + (size_t)i * d;
            float *o = dx + ((size_t)b * T + i) * d;
            for (int c = 0; c < d; c++) o[c] += v * g[c];
        }
}

Tensor *op_student_flatten(Tape *t, Tensor *x, const float *valid, int L)
{
    int B = x->shape[0], T = x->shape[1], d = x->shape[2];
    Tensor *y = tape_tensor(t, B, L * d, 0, 0);
    memset(y->data, 0, (size_t)y->n * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int i = 0; i < T; i++) {
            float v = valid_at(valid, b * T + i);
            const float *s = x->data + ((size_t)b * T + i) * d;
            float *o = y->data + (size_t)b * L * d + (size_t)i * d;
            for (int c = 0; c < d; c++) o[c] = v * s[c];
        }
    y->rg = x->rg;
    TapeNode *n = tape_push(t, flatten_backward, y);
    if (n) {
        n->in[0] = x;
        n->fl = valid;
        n->i[0] = L;
    }
    return y;
}

/* ---- the causal first layer ------------------------------------------------------
 *
 * Notation for one batch row: W = L·d; x_j the d inputs of position j (zeroed
 * when invalid); W1_j the (h, d) block of W1's columns for position j; g_j, β_j
 * likewise. For position i the LN input is v_i = [x_0 … x_i, 0 … 0]:
 *   μ_i = Σ_{j<=i} Σ x_j / W,  var_i = (Σ_{j<=i} Σ (x_j − μ_i)² + (W − n_i)·μ_i²) / W
 * (n_i = (i+1)·d entries before the zeros), s_i = 1/√(var_i + eps), and
 *   z_i = s_i·S_i − μ_i·s_i·a + c,   S_i = Σ_{j<=i} P_j,  P_j = W1_j (g_j ⊙ x_j),
 *   a = W1 g,  c = W1 β + b1.
 * Backward, with u_i = dL/dz_i, R_j = Σ_{i>=j} s_i u_i (suffix sums),
 * U = Σ_i u_i, V = Σ_i μ_i s_i u_i, Q_j = W1_jᵀ R_j:
 *   db1 = U;  dβ = W1ᵀ U;  dg_j = x_j ⊙ Q_j − (W1ᵀ V)_j
 *   dW1_j = R_j (g_j ⊙ x_j)ᵀ − V gᵀ_j + U βᵀ_j
 *   dx_j = g_j ⊙ Q_j − A1_j − x_j·A2_j + A3_j   (valid j), where with
 *   m1_i = (a·u_i)/W and m2_i = (s_i/W)(u_i·S_i − μ_i a·u_i) (LayerNorm's two
 *   mean terms):  A1_j = Σ_{i>=j} s_i m1_i,  A2_j = Σ_{i>=j} s_i² m2_i,
 *   A3_j = Σ_{i>=j} s_i² m2_i μ_i.
 * All sums over i are also over batch rows where they do not depend on b. */

typedef struct PrefixSaved {
    float *xg;     /* (B, T, d) g ⊙ x ⊙ valid */
    float *S;      /* (B, T, h) prefix sums */
    float *a;      /* (h) W1 g */
    float *mu, *s; /* (B·T) */
} PrefixSaved;

static void prefix_backward(Tape *t, TapeNode *n)
{
    Tensor *x = n->in[0], *g = n->in[1], *beta = n->in[2], *W1 = n->in[3], *b1 = n->in[4];
    const PrefixSaved *sv = n->saved;
    const float *valid = n->fl, *u = n->out->grad;
    int B = x->shape[0], T = x->shape[1], d = x->shape[2], L = n->i[0], h = W1->shape[0];
    int W = L * d;
    Arena *ar = &t->arena;
    float *R = arena_floats(ar, (size_t)B * T * h);
    float *Q = arena_floats(ar, (size_t)B * T * d);
    float *U = arena_zeros(ar, (size_t)h), *V = arena_zeros(ar, (size_t)h);
    float *A1 = arena_floats(ar, (size_t)B * T), *A2 = arena_floats(ar, (size_t)B * T);
    float *A3 = arena_floats(ar, (size_t)B * T);
    for (int b = 0; b < B; b++) {
        float *Rb = R + (size_t)b * T * h;
        double a1 = 0, a2 = 0, a3 = 0;
        for (int i = T - 1; i >= 0; i--) {
            size_t bi = (size_t)b * T + i;
            const float *ui = u + bi * h, *Si = sv->S + bi * h;
            float si = sv->s[bi], mi = sv->mu[bi];
            float *Ri = Rb + (size_t)i * h;
            const float *Rnext = i + 1 < T ? Ri + h : NULL;
            double au = 0, uS = 0;
            for (int r = 0; r < h; r++) {
                Ri[r] = si * ui[r] + (Rnext ? Rnext[r] : 0.0f);
                U[r] += ui[r];
                V[r] += mi * si * ui[r];
                au += (double)sv->a[r] * ui[r];
                uS += (double)ui[r] * Si[r];
            }
            double m1 = au / W, m2 = (double)si / W * (uS - mi * au);
            a1 += si * m1;
            a2 += (double)si * si * m2;
            a3 += (double)si * si * m2 * mi;
            A1[bi] = (float)a1;
            A2[bi] = (float)a2;
            A3[bi] = (float)a3;
        }
    }
    /* Q_j = W1_jᵀ R_j for every row: (B, h)·(h, d) per position. */
    for (int j = 0; j < T; j++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d, h, 1.0f, R + (size_t)j * h, T * h,
                    W1->data + (size_t)j * d, W, 0.0f, Q + (size_t)j * d, T * d);
    if (b1 && b1->rg) {
        float *db = tape_grad(t, b1);
        for (int r = 0; r < h; r++) db[r] += U[r];
    }
    if (beta && beta->rg)   /* dβ += W1ᵀ U */
        cblas_sgemv(CblasRowMajor, CblasTrans, h, W, 1.0f, W1->data, W, U, 1, 1.0f, tape_grad(t, beta), 1);
    if (g->rg) {
        float *dg = tape_grad(t, g);
        cblas_sgemv(CblasRowMajor, CblasTrans, h, W, -1.0f, W1->data, W, V, 1, 1.0f, dg, 1);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < T; j++) {
                size_t bj = (size_t)b * T + j;
                float v = valid_at(valid, (int)bj);
                const float *xj = x->data + bj * d, *Qj = Q + bj * d;
                for (int c = 0; c < d; c++) dg[(size_t)j * d + c] += v * xj[c] * Qj[c];
            }
    }
    if (W1->rg) {
        float *dW = tape_grad(t, W1);
        for (int j = 0; j < T; j++)   /* dW1_j += Σ_b R_{b,j} (g ⊙ x)_{b,j}ᵀ */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, d, B, 1.0f, R + (size_t)j * h, T * h,
                        sv->xg + (size_t)j * d, T * d, 1.0f, dW + (size_t)j * d, W);
        cblas_sger(CblasRowMajor, h, W, -1.0f, V, 1, g->data, 1, dW, W);
        if (beta) cblas_sger(CblasRowMajor, h, W, 1.0f, U, 1, beta->data, 1, dW, W);
    }
    if (x->rg) {
        float *dx = tape_grad(t, x);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < T; j++) {
                size_t bj = (size_t)b * T + j;
                float v = valid_at(valid, (int)bj);
                if (v == 0.0f) continue;
                const float *xj = x->data + bj * d, *Qj = Q + bj * d, *gj = g->data + (size_t)j * d;
                float *o = dx + bj * d;
                for (int c = 0; c < d; c++)
                    o[c] += v * (gj[c] * Qj[c] - A1[bj] - v * xj[c] * A2[bj] + A3[bj]);
            }
    }
}

Tensor *op_student_prefix(Tape *t, Tensor *x, const float *valid, int L, Tensor *g, Tensor *beta,
                          Tensor *W1, Tensor *b1)
{
    int B = x->shape[0], T = x->shape[1], d = x->shape[2], h = W1->shape[0];
    int W = L * d;
    Arena *ar = &t->arena;
    PrefixSaved *sv = arena_alloc(ar, sizeof *sv);
    sv->xg = arena_floats(ar, (size_t)B * T * d);
    sv->S = arena_floats(ar, (size_t)B * T * h);
    sv->a = arena_floats(ar, (size_t)h);
    sv->mu = arena_floats(ar, (size_t)B * T);
    sv->s = arena_floats(ar, (size_t)B * T);
    float *c = arena_floats(ar, (size_t)h);
    /* a = W1 g and c = W1 β + b1: what the zeros (and every entry) of v_i add. */
    cblas_sgemv(CblasRowMajor, CblasNoTrans, h, W, 1.0f, W1->data, W, g->data, 1, 0.0f, sv->a, 1);
    if (b1) memcpy(c, b1->data, (size_t)h * sizeof(float));
    else memset(c, 0, (size_t)h * sizeof(float));
    if (beta) cblas_sgemv(CblasRowMajor, CblasNoTrans, h, W, 1.0f, W1->data, W, beta->data, 1, 1.0f, c, 1);
    for (int b = 0; b < B; b++)
        for (int j = 0; j < T; j++) {
            size_t bj = (size_t)b * T + j;
            float v = valid_at(valid, (int)bj);
            for (int k = 0; k < d; k++) sv->xg[bj * d + k] = v * x->data[bj * d + k] * g->data[(size_t)j * d + k];
        }
    /* P_j for all rows at once, written into S, then summed along positions in
     * place: S_i depends on positions <= i only, in a fixed order. */
    for (int j = 0; j < T; j++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, h, d, 1.0f, sv->xg + (size_t)j * d, T * d,
                    W1->data + (size_t)j * d, W, 0.0f, sv->S + (size_t)j * h, T * h);
    Tensor *z = tape_tensor(t, B, T, h, 0);
    for (int b = 0; b < B; b++) {
        float *Sb = sv->S + (size_t)b * T * h;
        for (int i = 1; i < T; i++)
            for (int r = 0; r < h; r++) Sb[(size_t)i * h + r] += Sb[(size_t)(i - 1) * h + r];
        /* Statistics of v_i in double, two passes (as exact as LayerNorm itself). */
        for (int i = 0; i < T; i++) {
            double sum = 0;
            int n_real = 0;
            for (int j = 0; j <= i; j++) {
                size_t bj = (size_t)b * T + j;
                float v = valid_at(valid, (int)bj);
                if (v == 0.0f) continue;
                n_real++;
                for (int k = 0; k < d; k++) sum += v * x->data[bj * d + k];
            }
            double mu = sum / W, sq = 0;
            for (int j = 0; j <= i; j++) {
                size_t bj = (size_t)b * T + j;
                float v = valid_at(valid, (int)bj);
                if (v == 0.0f) continue;
                for (int k = 0; k < d; k++) {
                    double e = v * x->data[bj * d + k] - mu;
                    sq += e * e;
                }
            }
            sq += (double)(W - n_real * d) * mu * mu;
            float s = (float)(1.0 / sqrt(sq / W + STUDENT_LN_EPS));
            size_t bi = (size_t)b * T + i;
            sv->mu[bi] = (float)mu;
            sv->s[bi] = s;
            float ms = (float)mu * s;
            const float *Si = Sb + (size_t)i * h;
            float *zi = z->data + bi * h;
            for (int r = 0; r < h; r++) zi[r] = s * Si[r] - ms * sv->a[r] + c[r];
        }
    }
    z->rg = x->rg || g->rg || (beta && beta->rg) || W1->rg || (b1 && b1->rg);
    TapeNode *n = tape_push(t, prefix_backward, z);
    if (n) {
        n->in[0] = x;
        n->in[1] = g;
        n->in[2] = beta;
        n->in[3] = W1;
        n->in[4] = b1;
        n->fl = valid;
        n->saved = sv;
        n->i[0] = L;
    }
    return z;
}

/* ---- join the nets' outputs, mask ---------------------------------------------- */

static void join_backward(Tape *t, TapeNode *n)
{
    Tensor **parts = n->saved;
    int np = n->i[0], P = n->i[1];
    const Tensor *y = n->out;
    int B = y->shape[0], T = y->shape[1], o = y->shape[2] / np;
    const float *dy = y->grad;
    for (int p = 0; p < np; p++) {
        if (!parts[p]->rg) continue;
        float *dp = tape_grad(t, parts[p]);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++) {
                float v = valid_at(n->fl, b * T + i);
                const float *g = dy + ((size_t)b * T + i) * np * o + (size_t)p * o;
                float *d = dp + (size_t)b * P * o + (size_t)i * o;
                for (int c = 0; c < o; c++) d[c] += v * g[c];
            }
    }
}

Tensor *op_student_join(Tape *t, Tensor **parts, int nparts, int P, int T, const float *valid)
{
    int B = parts[0]->shape[0], o = parts[0]->n / (B * P);
    Tensor *y = tape_tensor(t, B, T, nparts * o, 0);
    int rg = 0;
    for (int p = 0; p < nparts; p++) {
        rg |= parts[p]->rg;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < T; i++) {
                float v = valid_at(valid, b * T + i);
                const float *s = parts[p]->data + (size_t)b * P * o + (size_t)i * o;
                float *d = y->data + ((size_t)b * T + i) * nparts * o + (size_t)p * o;
                for (int c = 0; c < o; c++) d[c] = v * s[c];
            }
    }
    y->rg = rg;
    TapeNode *n = tape_push(t, join_backward, y);
    if (n) {
        Tensor **keep = arena_alloc(&t->arena, (size_t)nparts * sizeof *keep);
        memcpy(keep, parts, (size_t)nparts * sizeof *keep);
        n->saved = keep;
        n->fl = valid;
        n->i[0] = nparts;
        n->i[1] = P;
    }
    return y;
}

/* ---- masked MSE -------------------------------------------------------------------- */

static void mse_backward(Tape *t, TapeNode *n)
{
    Tensor *p = n->in[0];
    int rows = tensor_rows(p), o = tensor_cols(p);
    float k = 2.0f * n->out->grad[0] * n->f[0];
    const float *target = n->saved;
    float *dp = tape_grad(t, p);
    for (int r = 0; r < rows; r++) {
        float v = valid_at(n->fl, r);
        if (v == 0.0f) continue;
        for (int c = 0; c < o; c++) {
            size_t i = (size_t)r * o + c;
            dp[i] += k * v * (p->data[i] - target[i]);
        }
    }
}

Tensor *op_masked_mse(Tape *t, Tensor *pred, const float *target, const float *valid)
{
    int rows = tensor_rows(pred), o = tensor_cols(pred);
    double sum = 0, count = 0;
    for (int r = 0; r < rows; r++) {
        float v = valid_at(valid, r);
        if (v == 0.0f) continue;
        count += v;
        for (int c = 0; c < o; c++) {
            size_t i = (size_t)r * o + c;
            double e = (double)pred->data[i] - target[i];
            sum += v * e * e;
        }
    }
    Tensor *loss = tape_tensor(t, 1, 0, 0, 0);
    float inv = count > 0 ? (float)(1.0 / (count * o)) : 0.0f;
    loss->data[0] = (float)(sum * inv);
    loss->rg = pred->rg;
    TapeNode *n = tape_push(t, mse_backward, loss);
    if (n) {
        n->in[0] = pred;
        n->saved = (void *)target;
        n->fl = valid;
        n->f[0] = inv;
    }
    return loss;
}
