/* ops_route.c — Mixture-of-Modules routing ops, forward and backward side by
 * side: GRU gates, tempered softmax, top-K weights, the load-balancing loss,
 * and the row gather/scatter that runs each module on its own tokens only. */
#include "ops_route.h"

#include <math.h>
#include <string.h>

/* ---- GRU gates (spec §A.4) ---------------------------------------------- */

static inline float sigm(float a) { return 1.0f / (1.0f + expf(-a)); }

static void gru_backward(Tape *t, TapeNode *n)
{
    Tensor *gx = n->in[0], *gh = n->in[1], *h = n->in[2];
    int N = tensor_rows(h), r = tensor_cols(h);
    const float *dy = n->out->grad, *sv = n->saved;   /* rz, uz, n per row: 3r */
    float *dgx = gx->rg ? tape_grad(t, gx) : NULL;
    float *dgh = gh->rg ? tape_grad(t, gh) : NULL;
    float *dh = h->rg ? tape_grad(t, h) : NULL;
    for (int i = 0; i < N; i++) {
        const float *s = sv + (size_t)i * 3 * r, *hr = h->data + (size_t)i * r, *ghr = gh->data + (size_t)i * 3 * r;
        const float *g = dy + (size_t)i * r;
        float *ax = dgx ? dgx + (size_t)i * 3 * r : NULL, *ah = dgh ? dgh + (size_t)i * 3 * r : NULL;
        for (int j = 0; j < r; j++) {
            float rz = s[j], uz = s[r + j], nn = s[2 * r + j];
            float dn = g[j] * (1.0f - uz), du = g[j] * (hr[j] - nn);
            if (dh) dh[(size_t)i * r + j] += g[j] * uz;
            float dan = dn * (1.0f - nn * nn);
            float dar = dan * ghr[2 * r + j] * rz * (1.0f - rz);
            float dau = du * uz * (1.0f - uz);
            if (ax) { ax[j] += dar; ax[r + j] += dau; ax[2 * r + j] += dan; }
            if (ah) { ah[j] += dar; ah[r + j] += dau; ah[2 * r + j] += dan * rz; }
        }
    }
}

Tensor *op_gru_gates(Tape *t, Tensor *gx, Tensor *gh, Tensor *h)
{
    int N = tensor_rows(h), r = tensor_cols(h);
    Tensor *y = tape_like(t, h);
    float *sv = arena_floats(&t->arena, (size_t)N * 3 * r);
    for (int i = 0; i < N; i++) {
        const float *x3 = gx->data + (size_t)i * 3 * r, *h3 = gh->data + (size_t)i * 3 * r;
        const float *hr = h->data + (size_t)i * r;
        float *s = sv + (size_t)i * 3 * r, *o = y->data + (size_t)i * r;
        for (int j = 0; j < r; j++) {
            float rz = sigm(x3[j] + h3[j]), uz = sigm(x3[r + j] + h3[r + j]);
            float nn = tanhf(x3[2 * r + j] + rz * h3[2 * r + j]);
            s[j] = rz;
            s[r + j] = uz;
            s[2 * r + j] = nn;
            o[j] = nn + uz * (hr[j] - nn);
        }
    }
    y->rg = gx->rg || gh->rg || h->rg;
    TapeNode *n = tape_push(t, gru_backward, y);
    if (n) {
        n->in[0] = gx;
        n->in[1] = gh;
        n->in[2] = h;
        n->saved = sv;
    }
    return y;
}

/* ---- softmax with temperature and knock-out --------------------------------- */

static void softmax_tau_backward(Tape *t, TapeNode *n)
{
    Tensor *s = n->in[0];
    const Tensor *p = n->out;
    int N = tensor_rows(s), S = tensor_cols(s);
    float inv = 1.0f / n->f[0];
    float *ds = tape_grad(t, s);
    for (int i = 0; i < N; i++) {
        const float *pr = p->data + (size_t)i * S, *g = p->grad + (size_t)i * S;
        float dot = 0;
        for (int c = 0; c < S; c++) dot += pr[c] * g[c];
        for (int c = 0; c < S; c++) ds[(size_t)i * S + c] += inv * pr[c] * (g[c] - dot);
    }
}

Tensor *op_softmax_tau(Tape *t, Tensor *s, float tau, uint32_t off)
{
    int N = tensor_rows(s), S = tensor_cols(s);
    Tensor *p = tape_like(t, s);
    float inv = 1.0f / tau;
    for (int i = 0; i < N; i++) {
        const float *sr = s->data + (size_t)i * S;
        float *pr = p->data + (size_t)i * S;
        float mx = -INFINITY;
        for (int c = 0; c < S; c++)
            if (!(off >> c & 1u) && sr[c] * inv > mx) mx = sr[c] * inv;
        float sum = 0;
        for (int c = 0; c < S; c++) {
            pr[c] = (off >> c & 1u) ? 0.0f : expf(sr[c] * inv - mx);
            sum += pr[c];
        }
        float r = sum > 0 ? 1.0f / sum : 0.0f;
        for (int c = 0; c < S; c++) pr[c] *= r;
    }
    p->rg = s->rg;
    TapeNode *n = tape_push(t, softmax_tau_backward, p);
    if (n) {
        n->in[0] = s;
        n->f[0] = tau;
    }
    return p;
}

/* ---- top-K weights (spec §A.5) -------------------------------------------- */

static void topk_backward(Tape *t, TapeNode *n)
{
    Tensor *p = n->in[0];
    const Tensor *w = n->out;
    int N = tensor_rows(p), S = tensor_cols(p), K = n->i[0], renorm = n->i[1];
    const int *idx = n->ints;
    const float *Z = n->saved;
    float *dp = tape_grad(t, p);
    for (int i = 0; i < N; i++) {
        const float *g = w->grad + (size_t)i * K, *wr = w->data + (size_t)i * K;
        const int *ir = idx + (size_t)i * K;
        float *d = dp + (size_t)i * S;
        if (!renorm) {
            for (int k = 0; k < K; k++) d[ir[k]] += g[k];
            continue;
        }
        if (Z[i] <= 0) continue;   /* uniform fallback: constant */
        /* w_k = p_k/Z: dp_j = (dw_j − Σ_k dw_k·w_k)/Z for the kept j. At K = 1,
         * w = 1 and this is dw − dw = 0 exactly. */
        float dot = 0;
        for (int k = 0; k < K; k++) dot += g[k] * wr[k];
        for (int k = 0; k < K; k++) d[ir[k]] += (g[k] - dot) / Z[i];
    }
}

Tensor *op_topk_weights(Tape *t, Tensor *p, int K, int renorm, const int *force, int *idx)
{
    int N = tensor_rows(p), S = tensor_cols(p);
    Tensor *w = tape_tensor(t, N, K, 0, 0);
    float *Z = arena_floats(&t->arena, (size_t)N);
    for (int i = 0; i < N; i++) {
        const float *pr = p->data + (size_t)i * S;
        int *ir = idx + (size_t)i * K;
        if (force) {
            memcpy(ir, force + (size_t)i * K, (size_t)K * sizeof(int));
        } else {
            /* K is small (≤ S ≤ 33): selection by repeated scans. */
            for (int k = 0; k < K; k++) {
                int best = -1;
                for (int c = 0; c < S; c++) {
                    int taken = 0;
                    for (int j = 0; j < k; j++) taken |= ir[j] == c;
                    if (!taken && (best < 0 || pr[c] > pr[best])) best = c;
                }
                ir[k] = best;
            }
        }
        float z = 0;
        for (int k = 0; k < K; k++) z += pr[ir[k]];
        Z[i] = z;
        float *wr = w->data + (size_t)i * K;
        for (int k = 0; k < K; k++)
            wr[k] = !renorm ? pr[ir[k]] : z > 0 ? pr[ir[k]] / z : 1.0f / (float)K;
    }
    w->rg = p->rg;
    TapeNode *n = tape_push(t, topk_backward, w);
    if (n) {
        n->in[0] = p;
        n->ints = idx;
        n->saved = Z;
        n->i[0] = K;
        n->i[1] = renorm;
    }
    return w;
}

/* ---- load-balancing loss (spec §A.9) -------------------------------------- */

typedef struct BalSaved {
    Tensor **ps;
    float   *f;       /* (S) share of rows whose argmax is c */
    int      n, S, rows;
} BalSaved;

static void row_softmax(const float *x, float *y, int S)
{
    float mx = x[0], sum = 0;
    for (int c = 1; c < S; c++) mx = x[c] > mx ? x[c] : mx;
    for (int c = 0; c < S; c++) { y[c] = expf(x[c] - mx); sum += y[c]; }
    for (int c = 0; c < S; c++) y[c] /= sum;
}

static void balance_backward(Tape *t, TapeNode *n)
{
    BalSaved *b = n->saved;
    int S = b->S;
    float g = n->out->grad[0] * (float)S / (float)b->rows;
    float P[64];
    for (int m = 0; m < b->n; m++) {
        Tensor *p = b->ps[m];
        if (!p->rg) continue;
        float *dp = tape_grad(t, p);
        for (int i = 0; i < tensor_rows(p); i++) {
            const float *pr = p->data + (size_t)i * S;
            row_softmax(pr, P, S);
            /* dL/dP_c = g·f_c; through softmax: P_c (g f_c − Σ P g f). */
            float dot = 0;
            for (int c = 0; c < S; c++) dot += P[c] * b->f[c];
            for (int c = 0; c < S; c++) dp[(size_t)i * S + c] += g * P[c] * (b->f[c] - dot);
        }
    }
}

Tensor *op_balance_loss(Tape *t, Tensor *const *ps, int n)
{
    int S = tensor_cols(ps[0]), rows = 0;
    BalSaved *b = arena_alloc(&t->arena, sizeof *b);
    b->ps = arena_alloc(&t->arena, (size_t)n * sizeof *b->ps);
    b->f = arena_zeros(&t->arena, (size_t)S);
    b->n = n;
    b->S = S;
    double Pbar[64] = {0};
    float P[64];
    Tensor *y = tape_tensor(t, 1, 0, 0, 0);
    y->rg = 0;
    for (int m = 0; m < n; m++) {
        Tensor *p = ps[m];
        b->ps[m] = p;
        y->rg |= p->rg;
        for (int i = 0; i < tensor_rows(p); i++) {
            const float *pr = p->data + (size_t)i * S;
            int best = 0;
            for (int c = 1; c < S; c++) if (pr[c] > pr[best]) best = c;
            b->f[best] += 1.0f;
            row_softmax(pr, P, S);
            for (int c = 0; c < S; c++) Pbar[c] += P[c];
            rows++;
        }
    }
    b->rows = rows;
    double L = 0;
    for (int c = 0; c < S; c++) {
        b->f[c] /= (float)rows;
        L += (double)b->f[c] * (Pbar[c] / rows);
    }
    y->data[0] = (float)(L * S);
    TapeNode *node = tape_push(t, balance_backward, y);
    if (node) node->saved = b;
    return y;
}

/* ---- gather / scatter of token rows --------------------------------------- */

static void gather_backward(Tape *t, TapeNode *n)
{
    Tensor *x = n->in[0];
    int C = tensor_cols(x), cnt = n->i[0];
    float *dx = tape_grad(t, x);
    const float *dy = n->out->grad;
    for (int i = 0; i < cnt; i++) {
        float *d = dx + (size_t)n->ints[i] * C;
        const float *g = dy + (size_t)i * C;
        for (int c = 0; c < C; c++) d[c] += g[c];
    }
}

Tensor *op_gather_rows(Tape *t, Tensor *x, const int *rows, int n)
{
    int C = tensor_cols(x);
    Tensor *y = tape_tensor(t, n, C, 0, 0);
    for (int i = 0; i < n; i++)
        memcpy(y->data + (size_t)i * C, x->data + (size_t)rows[i] * C, (size_t)C * sizeof(float));
    y->rg = x->rg;
    TapeNode *node = tape_push(t, gather_backward, y);
    if (node) {
        node->in[0] = x;
        node->ints = rows;
        node->i[0] = n;
    }
    return y;
}

typedef struct ScatterSaved {
    RouteSrc *srcs;
    int       n_src, K;
} ScatterSaved;

static void scatter_backward(Tape *t, TapeNode *n)
{
    ScatterSaved *s = n->saved;
    Tensor *w = n->in[0];
    int C = tensor_cols(n->out), K = s->K;
    const float *dy = n->out->grad;
    float *dw = w && w->rg ? tape_grad(t, w) : NULL;
    for (int m = 0; m < s->n_src; m++) {
        const RouteSrc *r = &s->srcs[m];
        float *ds = r->src->rg ? tape_grad(t, r->src) : NULL;
        for (int i = 0; i < r->count; i++) {
            const float *g = dy + (size_t)r->rows[i] * C, *x = r->src->data + (size_t)i * C;
            float wk = w ? w->data[(size_t)r->rows[i] * K + r->slot[i]] : 1.0f;
            if (ds) {
                float *d = ds + (size_t)i * C;
                for (int c = 0; c < C; c++) d[c] += wk * g[c];
            }
            if (dw) {
                float dot = 0;
                for (int c = 0; c < C; c++) dot += g[c] * x[c];
                dw[(size_t)r->rows[i] * K + r->slot[i]] += dot;
            }
        }
    }
}

Tensor *op_scatter_rows(Tape *t, const Tensor *like, int C, const RouteSrc *srcs, int n_src, Tensor *w, int K)
{
    Tensor *y;
    if (like->ndim == 3) y = tape_tensor(t, like->shape[0], like->shape[1], C, 0);
    else y = tape_tensor(t, tensor_rows(like), C, 0, 0);
    memset(y->data, 0, (size_t)y->n * sizeof(float));
    y->rg = w && w->rg;
    for (int m = 0; m < n_src; m++) {
        const RouteSrc *r = &srcs[m];
        y->rg |= r->src->rg;
        for (int i = 0; i < r->count; i++) {
            float wk = w ? w->data[(size_t)r->rows[i] * K + r->slot[i]] : 1.0f;
            float *o = y->data + (size_t)r->rows[i] * C;
            const float *x = r->src->data + (size_t)i * C;
            for (int c = 0; c < C; c++) o[c] += wk * x[c];
        }
    }
    TapeNode *node = tape_push(t, scatter_backward, y);
    if (node) {
        ScatterSaved *s = arena_alloc(&t->arena, sizeof *s);
        s->srcs = arena_alloc(&t->arena, (size_t)n_src * sizeof *s->srcs);
        memcpy(s->srcs, srcs, (size_t)n_src * sizeof *srcs);
        s->n_src = n_src;
        s->K = K;
        node->saved = s;
        node->in[0] = w;
    }
    return y;
}
