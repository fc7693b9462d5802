/* ops_basic.c — embedding, linear, mix (gains and residual adds), GELU, ReLU.
 * Forward and backward side by side; every matmul is cblas_sgemm (par_sgemm
 * splits a linear layer's rows over the threads, core/par.h). */
#include "fastmath.h"
#include "ops.h"
#include "par.h"
#include "vec.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- embedding ---------------------------------------------------------- */

static void embed_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    const Tensor *out = n->out;
    Tensor *wte = n->in[0], *wpe = n->in[1];
    int B = n->i[0], T = n->i[1], C = tensor_cols(out);
    const float *dy = out->grad;
    for (int b = 0; b < B; b++)
        for (int s = 0; s < T; s++) {
            const float *g = dy + ((size_t)b * T + s) * C;
            if (wte->rg) {
                float *dw = tape_grad(t, wte) + (size_t)n->ints[b * T + s] * C;
                for (int c = 0; c < C; c++) dw[c] += g[c];
            }
            if (wpe && wpe->rg) {
                float *dp = tape_grad(t, wpe) + (size_t)s * C;
                for (int c = 0; c < C; c++) dp[c] += g[c];
            }
        }
    prof_end(t->prof, PROF_EMBED, prof_t0);
}

Tensor *op_embed(Tape *t, const int *tokens, int B, int T, Tensor *wte, Tensor *wpe)
{
    double prof_t0 = prof_begin(t->prof);
    int C = tensor_cols(wte);
    Tensor *y = tape_tensor(t, B, T, C, 0);
    for (int b = 0; b < B; b++)
        for (int s = 0; s < T; s++) {
            float *o = y->data + ((size_t)b * T + s) * C;
            const float *e = wte->data + (size_t)tokens[b * T + s] * C;
            if (wpe) {
                const float *p = wpe->data + (size_t)s * C;
                for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
            } else {
                memcpy(o, e, (size_t)C * sizeof(float));
            }
        }
    y->rg = wte->rg || (wpe && wpe->rg);
    TapeNode *n = tape_push(t, embed_backward, y);
    if (n) {
        n->in[0] = wte;
        n->in[1] = wpe;
        n->ints = tokens;
        n->i[0] = B;
        n->i[1] = T;
    }
    prof_end(t->prof, PROF_EMBED, prof_t0);
    return y;
}

/* ---- linear ------------------------------------------------------------- */

static void linear_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *x = n->in[0], *W = n->in[1], *b = n->in[2];
    const float *dy = n->out->grad;
    int N = (int)tensor_rows(x), in = tensor_cols(x), out = W->shape[0];   /* rows = B·T <= 2^28 */
    if (x->rg) {   /* dx += dy · W (dx = when first written) */
        int fresh;
        float *dx = tape_grad_fresh(t, x, &fresh);
        par_sgemm(0, 0, N, in, out, 1.0f, dy, out, W->data, in, fresh ? 0.0f : 1.0f, dx, in);
    }
    if (W->rg)   /* dW += dyᵀ · x */
        par_sgemm(1, 0, out, in, N, 1.0f, dy, out, x->data, in, 1.0f, tape_grad(t, W), in);
    if (b && b->rg) {   /* columns in parallel, each summed over rows in order (par.h) */
        float *restrict db = tape_grad(t, b);   /* restrict: the row adds vectorise */
        const float *restrict g = dy;
#pragma omp parallel if (par_on((int64_t)N * out))
        {
            int j0, j1;
            par_range(out, par_thread_id(), par_team_size(), &j0, &j1);
            for (int r = 0; r < N; r++)
                for (int j = j0; j < j1; j++) db[j] += g[(size_t)r * out + j];
        }
    }
    prof_end(t->prof, PROF_MATMUL, prof_t0);
}

Tensor *op_linear(Tape *t, Tensor *x, Tensor *W, Tensor *b)
{
    double prof_t0 = prof_begin(t->prof);
    int N = (int)tensor_rows(x), in = tensor_cols(x), out = W->shape[0];   /* rows = B·T <= 2^28 */
    Tensor *y;
    if (x->ndim == 3) y = tape_tensor(t, x->shape[0], x->shape[1], out, 0);
    else y = tape_tensor(t, N, out, 0, 0);
    float beta = 0.0f;
    if (b) {
#pragma omp parallel for schedule(static) if (par_on((int64_t)N * out))
        for (int r = 0; r < N; r++) memcpy(y->data + (size_t)r * out, b->data, (size_t)out * sizeof(float));
        beta = 1.0f;
    }
    par_sgemm(0, 1, N, out, in, 1.0f, x->data, in, W->data, in, beta, y->data, out);
    y->rg = x->rg || W->rg || (b && b->rg);
    TapeNode *n = tape_push(t, linear_backward, y);
    if (n) {
        n->in[0] = x;
        n->in[1] = W;
        n->in[2] = b;
    }
    prof_end(t->prof, PROF_MATMUL, prof_t0);
    return y;
}

/* ---- mix: a·x + b·y ------------------------------------------------------ */

static void mix_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *x = n->in[0], *y = n->in[1], *pa = n->in[2], *pb = n->in[3];
    const float *dz = n->out->grad;
    float a = n->f[0], b = n->f[1];
    int64_t N = n->out->n;
    int fresh;
    /* x and y may be one tensor: y's buffer is asked for after x's is written. */
    if (x->rg) {
        float *dx = tape_grad_fresh(t, x, &fresh);
#pragma omp parallel for schedule(static) if (par_on(N))
        for (int64_t i = 0; i < N; i++) dx[i] = (fresh ? 0.0f : dx[i]) + a * dz[i];
    }
    if (y && y->rg) {
        float *dy = tape_grad_fresh(t, y, &fresh);
#pragma omp parallel for schedule(static) if (par_on(N))
        for (int64_t i = 0; i < N; i++) dy[i] = (fresh ? 0.0f : dy[i]) + b * dz[i];
    }
    if (pa && pa->rg) tape_grad(t, pa)[0] += (float)vec_dot_wide(dz, x->data, N);
    if (pb && pb->rg) tape_grad(t, pb)[0] += (float)vec_dot_wide(dz, y->data, N);
    prof_end(t->prof, PROF_MIX, prof_t0);
}

Tensor *op_mix(Tape *t, Tensor *x, Gain ga, Tensor *y, Gain gb)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *z = tape_like(t, x);
    float a = gain_value(ga), b = gain_value(gb);
    int64_t N = x->n;
    const float *xv = x->data, *yv = y ? y->data : NULL;
    float *zv = z->data;
    if (yv) {
#pragma omp parallel for schedule(static) if (par_on(N))
        for (int64_t i = 0; i < N; i++) zv[i] = a * xv[i] + b * yv[i];
    } else {
#pragma omp parallel for schedule(static) if (par_on(N))
        for (int64_t i = 0; i < N; i++) zv[i] = a * xv[i];
    }
    z->rg = x->rg || (y && y->rg) || (ga.p && ga.p->rg) || (y && gb.p && gb.p->rg);
    TapeNode *n = tape_push(t, mix_backward, z);
    if (n) {
        n->in[0] = x;
        n->in[1] = y;
        n->in[2] = ga.p;
        n->in[3] = y ? gb.p : NULL;
        n->f[0] = a;
        n->f[1] = b;
    }
    prof_end(t->prof, PROF_MIX, prof_t0);
    return z;
}

/* ---- activations ---------------------------------------------------------- */

#define GELU_K 0.7978845608028654f   /* sqrt(2/pi) */

static void gelu_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *x = n->in[0];
    const float *restrict dy = n->out->grad, *restrict th = n->saved;
    int fresh;
    float *dx = tape_grad_fresh(t, x, &fresh);
    int64_t n_el = x->n;
    const float *restrict xv = x->data;
#pragma omp parallel for schedule(static) if (par_on(n_el))
    for (int64_t i = 0; i < n_el; i++) {   /* fresh: dx holds garbage, assigned, never read */
        float v = xv[i];
        float du = GELU_K * (1.0f + 3.0f * 0.044715f * v * v);
        float g = dy[i] * (0.5f * (1.0f + th[i]) + 0.5f * v * (1.0f - th[i] * th[i]) * du);
        dx[i] = (fresh ? 0.0f : dx[i]) + g;
    }
    prof_end(t->prof, PROF_ACT, prof_t0);
}

Tensor *op_gelu(Tape *t, Tensor *x)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *y = tape_like(t, x);
    y->rg = x->rg;
    /* tanh(u) is kept for backward: recomputing it there instead (to save its
     * memory traffic) measured 0.2-0.3 ms slower a step at config S, 2
     * threads: the exponential and division cost more than the copy. The
     * loops stay branch-free so they vectorise. */
    float *restrict th = arena_floats(&t->arena, (size_t)x->n);
    const float *restrict xv = x->data;
    float *restrict yv = y->data;
    int64_t n = x->n;
#pragma omp parallel for schedule(static) if (par_on(n))
    for (int64_t i = 0; i < n; i++) {
        th[i] = tanh_fast(GELU_K * (xv[i] + 0.044715f * xv[i] * xv[i] * xv[i]));
        yv[i] = 0.5f * xv[i] * (1.0f + th[i]);
    }
    TapeNode *node = tape_push(t, gelu_backward, y);
    if (node) {
        node->in[0] = x;
        node->saved = th;
    }
    prof_end(t->prof, PROF_ACT, prof_t0);
    return y;
}

static void relu_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *x = n->in[0];
    const float *dy = n->out->grad;
    int fresh;
    float *dx = tape_grad_fresh(t, x, &fresh);
    for (int64_t i = 0; i < x->n; i++) {
        float g = x->data[i] > 0.0f ? dy[i] : 0.0f;
        dx[i] = (fresh ? 0.0f : dx[i]) + g;
    }
    prof_end(t->prof, PROF_ACT, prof_t0);
}

Tensor *op_relu(Tape *t, Tensor *x)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *y = tape_like(t, x);
    for (int64_t i = 0; i < x->n; i++) y->data[i] = x->data[i] > 0.0f ? x->data[i] : 0.0f;
    y->rg = x->rg;
    TapeNode *n = tape_push(t, relu_backward, y);
    if (n) n->in[0] = x;
    prof_end(t->prof, PROF_ACT, prof_t0);
    return y;
}
