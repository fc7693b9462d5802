/* ops_norm.c — LayerNorm and RMSNorm over the last dimension, forward and
 * backward. The per-row statistics are saved for backward (N floats each).
 * Row sums go through vec.h's lane sums, so they vectorise with fixed bits. */
#include "ops.h"
#include "par.h"
#include "vec.h"

#include <math.h>
#include <string.h>

/* Rows per chunk of a backward pass: the unit of its parallel split and of
 * the gains' partial sums (fixed, so the bits do not depend on threads). */
#define NORM_CHUNK_ROWS 32

/* g[c] += Σ_k part[k][c], the chunks' partial sums added in chunk order. */
static void norm_add_partials(float *g, float *part, int nchunk, int C)
{
    if (!g) return;
    for (int k = 1; k < nchunk; k++) {
        float *restrict acc = part;
        const float *restrict pk = part + (size_t)k * C;
        for (int c = 0; c < C; c++) acc[c] += pk[c];
    }
    for (int c = 0; c < C; c++) g[c] += part[c];
}

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
    const float *restrict wv = w->data;
    /* Rows in chunks of NORM_CHUNK_ROWS, in parallel. The gains' gradients
     * sum over rows: each chunk sums its rows in order into its own partial
     * row, and the partials are added in chunk order after the loop, so the
     * bits do not depend on the thread count (par.h). restrict: no output
     * aliases an input, so the loops vectorise. */
    int nchunk = (N + NORM_CHUNK_ROWS - 1) / NORM_CHUNK_ROWS;
    float *pw = dw ? arena_floats(&t->arena, (size_t)nchunk * C) : NULL;
    float *pb = db ? arena_floats(&t->arena, (size_t)nchunk * C) : NULL;
#pragma omp parallel for schedule(static) if (par_on((int64_t)N * C))
    for (int k = 0; k < nchunk; k++) {
        float *restrict pwk = pw ? pw + (size_t)k * C : NULL, *restrict pbk = pb ? pb + (size_t)k * C : NULL;
        if (pwk) memset(pwk, 0, (size_t)C * sizeof *pwk);
        if (pbk) memset(pbk, 0, (size_t)C * sizeof *pbk);
        int r1 = (k + 1) * NORM_CHUNK_ROWS < N ? (k + 1) * NORM_CHUNK_ROWS : N;
        for (int r = k * NORM_CHUNK_ROWS; r < r1; r++) {
            const float *restrict xr = x->data + (size_t)r * C, *restrict g = dy + (size_t)r * C;
            float m = mean[r], s = rstd[r];
            if (pwk)
                for (int c = 0; c < C; c++) pwk[c] += g[c] * ((xr[c] - m) * s);
            if (pbk)
                for (int c = 0; c < C; c++) pbk[c] += g[c];
            if (!dx) continue;
            /* dxhat = dy·w; dx = s·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) */
            vf16 ad = {0}, adx = {0}, mv = vf_splat(m), sv = vf_splat(s);
            int c = 0;
            for (; c + VF_LANES <= C; c += VF_LANES) {
                vf16 d = vf_load(g + c) * vf_load(wv + c);
                ad += d;
                adx += d * ((vf_load(xr + c) - mv) * sv);
            }
            for (int l = 0; c < C; c++, l++) {
                float d = g[c] * wv[c];
                ad[l] += d;
                adx[l] += d * ((xr[c] - m) * s);
            }
            float sum_d = vf_reduce(ad) / C, sum_dx = vf_reduce(adx) / C;
            float *restrict dxr = dx + (size_t)r * C;
            if (fresh)
                for (c = 0; c < C; c++) dxr[c] = 0.0f + s * (g[c] * wv[c] - sum_d - ((xr[c] - m) * s) * sum_dx);
            else
                for (c = 0; c < C; c++) dxr[c] += s * (g[c] * wv[c] - sum_d - ((xr[c] - m) * s) * sum_dx);
        }
    }
    norm_add_partials(dw, pw, nchunk, C);
    norm_add_partials(db, pb, nchunk, C);
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
        float m = vec_sum(xr, C) / C;
        float v = vec_sum_sqdev(xr, m, C) / C;
        float s = 1.0f / sqrtf(v + eps);
        /* restrict: y never aliases the gains, so these loops vectorise */
        const float *restrict wv = w->data, *restrict bv = b ? b->data : NULL;
        float *restrict yv = yr;
        if (bv)
            for (int c = 0; c < C; c++) yv[c] = (xr[c] - m) * s * wv[c] + bv[c];
        else
            for (int c = 0; c < C; c++) yv[c] = (xr[c] - m) * s * wv[c] + 0.0f;
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
    const float *restrict wv = w->data;
    /* As LayerNorm's: chunks of rows in parallel, the gain's partial sums
     * added in chunk order after. */
    int nchunk = (N + NORM_CHUNK_ROWS - 1) / NORM_CHUNK_ROWS;
    float *pw = dw ? arena_floats(&t->arena, (size_t)nchunk * C) : NULL;
#pragma omp parallel for schedule(static) if (par_on((int64_t)N * C))
    for (int k = 0; k < nchunk; k++) {
        float *restrict pwk = pw ? pw + (size_t)k * C : NULL;
        if (pwk) memset(pwk, 0, (size_t)C * sizeof *pwk);
        int r1 = (k + 1) * NORM_CHUNK_ROWS < N ? (k + 1) * NORM_CHUNK_ROWS : N;
        for (int r = k * NORM_CHUNK_ROWS; r < r1; r++) {
            const float *restrict xr = x->data + (size_t)r * C, *restrict g = dy + (size_t)r * C;
            float s = rstd[r];
            if (pwk)
                for (int c = 0; c < C; c++) pwk[c] += g[c] * xr[c] * s;
            if (!dx) continue;
            vf16 acc = {0};
            int c = 0;
            for (; c + VF_LANES <= C; c += VF_LANES) acc += vf_load(g + c) * vf_load(wv + c) * vf_load(xr + c);
            for (int l = 0; c < C; c++, l++) acc[l] += g[c] * wv[c] * xr[c];
            /* y = w·x·s, s = (mean(x²)+eps)^(-1/2): dx = s·d − x·s³·mean(d·x) */
            float k3 = s * s * s * vf_reduce(acc) / C;
            float *restrict dxr = dx + (size_t)r * C;
            if (fresh)
                for (c = 0; c < C; c++) dxr[c] = 0.0f + (s * g[c] * wv[c] - xr[c] * k3);
            else
                for (c = 0; c < C; c++) dxr[c] += s * g[c] * wv[c] - xr[c] * k3;
        }
    }
    norm_add_partials(dw, pw, nchunk, C);
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
        float ms = vec_dot(xr, xr, C);
        float s = 1.0f / sqrtf(ms / C + eps);
        const float *restrict wv = w->data;
        float *restrict yv = yr;
        for (int c = 0; c < C; c++) yv[c] = xr[c] * s * wv[c];
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
