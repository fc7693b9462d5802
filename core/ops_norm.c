/* ops_norm.c — LayerNorm and RMSNorm over the last dimension, forward and
 * backward. The per-row statistics are saved for backward (N floats each). */
#include "ops.h"
#include "par.h"

#include <math.h>

/* ---- LayerNorm ---------------------------------------------------------- */

static void layernorm_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *x = n->in[0], *w = n->in[1], *b = n->in[2];
    const float *dy = n->out->grad, *mean = n->saved, *rstd = mean + tensor_rows(x);
    int N = (int)tensor_rows(x), C = tensor_cols(x);
    int fresh = 0;
    float *dx = x->rg ? tape_grad_fresh(t, x, &fresh) : NULL;
    float *dw = w->rg ? tape_grad(t, w) : NULL;
    float *db = (b && b->rg) ? tape_grad(t, b) : NULL;
    const float *wv = w->data;
    /* dx by rows. The gains' gradients sum over rows: on one thread in the same
     * pass, in parallel by columns in a second pass; either way each column is
     * summed in row order, the same bits at any thread count (par.h). */
    int par = par_on((int64_t)N * C);
    float *dw1 = par ? NULL : dw, *db1 = par ? NULL : db;
    if (dx || !par) {
#pragma omp parallel for schedule(static) if (par)
        for (int r = 0; r < N; r++) {
            const float *xr = x->data + (size_t)r * C, *g = dy + (size_t)r * C;
            float m = mean[r], s = rstd[r];
            /* dxhat = dy·w; dx = s·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) */
            float sum_d = 0, sum_dx = 0;
            for (int c = 0; c < C; c++) {
                float xh = (xr[c] - m) * s, d = g[c] * wv[c];
                sum_d += d;
                sum_dx += d * xh;
                if (dw1) dw1[c] += g[c] * xh;
                if (db1) db1[c] += g[c];
            }
            if (!dx) continue;
            sum_d /= C;
            sum_dx /= C;
            float *dxr = dx + (size_t)r * C;
            for (int c = 0; c < C; c++) {
                float xh = (xr[c] - m) * s;
                dxr[c] = (fresh ? 0.0f : dxr[c]) + s * (g[c] * wv[c] - sum_d - xh * sum_dx);
            }
        }
    }
    if (par && (dw || db)) {
#pragma omp parallel
        {
            int c0, c1;
            par_range(C, par_thread_id(), par_team_size(), &c0, &c1);
            for (int r = 0; r < N; r++) {
                const float *xr = x->data + (size_t)r * C, *g = dy + (size_t)r * C;
                float m = mean[r], s = rstd[r];
                for (int c = c0; c < c1; c++) {
                    if (dw) dw[c] += g[c] * ((xr[c] - m) * s);
                    if (db) db[c] += g[c];
                }
            }
        }
    }
    prof_end(t->prof, PROF_NORM, prof_t0);
}

Tensor *op_layernorm(Tape *t, Tensor *x, Tensor *w, Tensor *b, float eps)
{
    double prof_t0 = prof_begin(t->prof);
    int N = (int)tensor_rows(x), C = tensor_cols(x);
    Tensor *y = tape_like(t, x);
    float *stats = arena_floats(&t->arena, 2 * (size_t)N);
#pragma omp parallel for schedule(static) if (par_on((int64_t)N * C))
    for (int r = 0; r < N; r++) {
        const float *xr = x->data + (size_t)r * C;
        float *yr = y->data + (size_t)r * C;
        float m = 0, v = 0;
        for (int c = 0; c < C; c++) m += xr[c];
        m /= C;
        for (int c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);
        v /= C;
        float s = 1.0f / sqrtf(v + eps);
        for (int c = 0; c < C; c++) yr[c] = (xr[c] - m) * s * w->data[c] + (b ? b->data[c] : 0.0f);
        stats[r] = m;
        stats[N + r] = s;
    }
    y->rg = x->rg || w->rg || (b && b->rg);
    TapeNode *n = tape_push(t, layernorm_backward, y);
    if (n) {
        n->in[0] = x;
        n->in[1] = w;
        n->in[2] = b;
        n->saved = stats;
    }
    prof_end(t->prof, PROF_NORM, prof_t0);
    return y;
}

/* ---- RMSNorm ------------------------------------------------------------ */

static void rmsnorm_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *x = n->in[0], *w = n->in[1];
    const float *dy = n->out->grad, *rstd = n->saved;
    int N = (int)tensor_rows(x), C = tensor_cols(x);
    int fresh = 0;
    float *dx = x->rg ? tape_grad_fresh(t, x, &fresh) : NULL;
    float *dw = w->rg ? tape_grad(t, w) : NULL;
    const float *wv = w->data;
    /* As LayerNorm's: dx by rows, the gain's sum fused on one thread or by
     * columns in parallel, each column in row order either way. */
    int par = par_on((int64_t)N * C);
    float *dw1 = par ? NULL : dw;
    if (dx || !par) {
#pragma omp parallel for schedule(static) if (par)
        for (int r = 0; r < N; r++) {
            const float *xr = x->data + (size_t)r * C, *g = dy + (size_t)r * C;
            float s = rstd[r], dot = 0;
            for (int c = 0; c < C; c++) {
                dot += g[c] * wv[c] * xr[c];
                if (dw1) dw1[c] += g[c] * xr[c] * s;
            }
            if (!dx) continue;
            /* y = w·x·s, s = (mean(x²)+eps)^(-1/2): dx = s·d − x·s³·mean(d·x) */
            float k = s * s * s * dot / C;
            float *dxr = dx + (size_t)r * C;
            for (int c = 0; c < C; c++) dxr[c] = (fresh ? 0.0f : dxr[c]) + (s * g[c] * wv[c] - xr[c] * k);
        }
    }
    if (par && dw) {
#pragma omp parallel
        {
            int c0, c1;
            par_range(C, par_thread_id(), par_team_size(), &c0, &c1);
            for (int r = 0; r < N; r++) {
                const float *xr = x->data + (size_t)r * C, *g = dy + (size_t)r * C;
                float s = rstd[r];
                for (int c = c0; c < c1; c++) dw[c] += g[c] * xr[c] * s;
            }
        }
    }
    prof_end(t->prof, PROF_NORM, prof_t0);
}

Tensor *op_rmsnorm(Tape *t, Tensor *x, Tensor *w, float eps)
{
    double prof_t0 = prof_begin(t->prof);
    int N = (int)tensor_rows(x), C = tensor_cols(x);
    Tensor *y = tape_like(t, x);
    float *rstd = arena_floats(&t->arena, (size_t)N);
#pragma omp parallel for schedule(static) if (par_on((int64_t)N * C))
    for (int r = 0; r < N; r++) {
        const float *xr = x->data + (size_t)r * C;
        float *yr = y->data + (size_t)r * C;
        float ms = 0;
        for (int c = 0; c < C; c++) ms += xr[c] * xr[c];
        float s = 1.0f / sqrtf(ms / C + eps);
        for (int c = 0; c < C; c++) yr[c] = xr[c] * s * w->data[c];
        rstd[r] = s;
    }
    y->rg = x->rg || w->rg;
    TapeNode *n = tape_push(t, rmsnorm_backward, y);
    if (n) {
        n->in[0] = x;
        n->in[1] = w;
        n->saved = rstd;
    }
    prof_end(t->prof, PROF_NORM, prof_t0);
    return y;
}
