/* ops_attn.c — fused multi-head self-attention: logits, mask, softmax, the
 * shaped/value-skip mixing of SAS §4.1 (Eqs. 4-5), and the weighted sum, with
 * its backward. Matmuls per (batch, head) go through cblas_sgemm with leading
 * dimensions that read q, k, v in place from the fused qkv rows. The softmax
 * probabilities (B, H, T, T) are kept: backward needs them, hooks show them.
 * The (batch, head) pairs run in parallel (core/par.h), each on one thread with
 * its own scratch; OpenBLAS runs single-threaded inside them.
 * Short contexts (below attn_tiling.min_t) with a head size that is a multiple
 * of 16 use attn_kernel.h's loops instead, which skip the causal triangle and
 * the cost of entering OpenBLAS for each tiny product.
 * Long causal contexts run in bands of query rows that skip the masked upper
 * triangle (attn_tiling, ops.h): the same math with about half the flops, and
 * results that differ from the full products in the last bits. */
#include "attn_kernel.h"
#include "fastmath.h"
#include "ops.h"
#include "par.h"
#include "vec.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

typedef struct AttnSaved {
    float  *P;          /* (B, H, T, T) softmax probabilities (0 above the diagonal if causal) */
    Tensor *alpha, *beta, *gamma;
    int     B, T, C, H, causal;
} AttnSaved;

/* Bands of 64 from T = 256 (1 thread CPU time, width 128: ctx 256 −7%, 512
 * −15%, 1024 −15..20% a step; at 128 no gain could be measured). */
AttnTiling attn_tiling = {.rows = 64, .min_t = 256};

/* Query rows go in bands of R (all T rows in one band unless causal and T ≥
 * min_t). band() gives the band at r0: its rows (*m) and the keys its rows can
 * see (0 .. r0 + m − 1 when causal, all T otherwise). */
static int band_size(const AttnSaved *s)
{
    return s->causal && attn_tiling.rows > 0 && s->T >= attn_tiling.min_t ? attn_tiling.rows : s->T;
}

static int band(const AttnSaved *s, int r0, int R, int *m)
{
    *m = s->T - r0 < R ? s->T - r0 : R;
    return s->causal ? r0 + *m : s->T;
}

/* Whether this op's products go through attn_kernel.h (short context). */
static int small_kernels(const AttnSaved *s)
{
    return attn_k_fits(s->C / s->H) && s->T < attn_tiling.min_t;
}

static float head_gain(const Tensor *g, int h, float dflt)
{
    if (!g) return dflt;
    return g->data[g->n > 1 ? h : 0];
}

static int shaped(const AttnSaved *s) { return s->alpha || s->beta || s->gamma; }

/* row[0..jn) = softmax(row[0..jn)), row[jn..T) = 0. Every loop vectorises:
 * the max in lanes (any order gives the same max), e^x by fastmath.h, the sum
 * in vec.h's lanes. */
static void softmax_row(float *restrict row, int jn, int T)
{
    float mx[VF_LANES];
    for (int l = 0; l < VF_LANES; l++) mx[l] = row[0];
    int j = 0;
    for (; j + VF_LANES <= jn; j += VF_LANES)
        for (int l = 0; l < VF_LANES; l++) mx[l] = row[j + l] > mx[l] ? row[j + l] : mx[l];
    if (j < jn) {   /* the tail padded with row[0], which no lane's max is below */
        float tail[VF_LANES];
        for (int l = 0; l < VF_LANES; l++) tail[l] = j + l < jn ? row[j + l] : row[0];
        for (int l = 0; l < VF_LANES; l++) mx[l] = tail[l] > mx[l] ? tail[l] : mx[l];
    }
    float m = mx[0];
    for (int l = 1; l < VF_LANES; l++) m = mx[l] > m ? mx[l] : m;
    for (j = 0; j < jn; j++) row[j] = exp_fast(row[j] - m);
    float inv = 1.0f / vec_sum(row, jn);
    for (j = 0; j < jn; j++) row[j] *= inv;
    for (j = jn; j < T; j++) row[j] = 0.0f;
}

/* C = softmax(M): the attention of all-zero logits (SAS §4.1, footnote 3). */
static float center(int causal, int T, int i, int j)
{
    if (causal) return j <= i ? 1.0f / (float)(i + 1) : 0.0f;
    return 1.0f / (float)T;
}

/* A = alpha·I + beta·P − gamma·C (T, T). C is constant along a row (1/(i+1)
 * causal, 1/T otherwise), so each row is one fused loop. */
void attn_mix_matrix(const float *P, int T, int causal, float a, float b, float g, float *A)
{
    for (int i = 0; i < T; i++) {
        int jn = causal ? i + 1 : T;
        float gc = g * center(causal, T, i, 0);
        const float *p = P + (size_t)i * T;
        float *row = A + (size_t)i * T;
        for (int j = 0; j < jn; j++) row[j] = b * p[j] - gc;
        for (int j = jn; j < T; j++) row[j] = 0.0f;
        row[i] += a;
    }
}

/* Head h's mixing matrix with the op's gains (NULL: alpha 0, beta 1, gamma 0). */
static void mixed_matrix(const AttnSaved *s, const float *P, int h, float *A)
{
    attn_mix_matrix(P, s->T, s->causal, head_gain(s->alpha, h, 0.0f), head_gain(s->beta, h, 1.0f),
                    head_gain(s->gamma, h, 0.0f), A);
}

static void attention_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    AttnSaved *s = n->saved;
    Tensor *qkv = n->in[0], *v = n->in[1];
    int B = s->B, T = s->T, C = s->C, H = s->H, hs = C / H;
    int stride = tensor_cols(qkv), vstride = v ? C : stride;
    float scale = 1.0f / sqrtf((float)hs);
    const float *dy = n->out->grad;
    /* Each (b, h) slice of dq, dk, dv is one product's output, so a fresh
     * gradient is assigned (sgemm beta 0) rather than cleared and added to;
     * bands add into dk and dv piecewise, so there it is cleared first. */
    int R = band_size(s), fq = 0, fv = 0;
    float *dqkv = qkv->rg ? tape_grad_fresh(t, qkv, &fq) : NULL;
    float *dvbase = v ? (v->rg ? tape_grad_fresh(t, v, &fv) : NULL) : (dqkv ? dqkv + 2 * C : NULL);
    if (!v) fv = fq;
    if (R < T) {
        if (fq) memset(dqkv, 0, (size_t)qkv->n * sizeof(float));
        if (v && fv) memset(dvbase, 0, (size_t)v->n * sizeof(float));
        fq = fv = 0;
    }
    float bq = fq ? 0.0f : 1.0f, bv = fv ? 0.0f : 1.0f;
    const float *vbase = v ? v->data : qkv->data + 2 * C;
    float *da = s->alpha && s->alpha->rg ? tape_grad(t, s->alpha) : NULL;
    float *dbt = s->beta && s->beta->rg ? tape_grad(t, s->beta) : NULL;
    float *dg = s->gamma && s->gamma->rg ? tape_grad(t, s->gamma) : NULL;
    /* (b, h) pairs run in parallel (par.h): each writes its own slices of dq,
     * dk, dv, and the gains' sums per pair are added in (b, h) order after. */
    int nbh = B * H, nth = par_threads();
    if (nth > nbh) nth = nbh;   /* one scratch pair a thread: never more than the pairs */
    if (!par_on((int64_t)nbh * T * T)) nth = 1;
    float *Abuf = arena_floats(&t->arena, (size_t)nth * T * T);
    float *dAbuf = arena_floats(&t->arena, (size_t)nth * T * T);
    float *gsum = shaped(s) ? arena_floats(&t->arena, (size_t)nbh * 3) : NULL;
    int small = small_kernels(s);
    float *kbuf = small ? arena_floats(&t->arena, (size_t)nth * attn_k_scratch(T, hs)) : NULL;

#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int bh = 0; bh < nbh; bh++) {
        int b = bh / H, h = bh % H, me = par_thread_id();
        float *A = Abuf + (size_t)me * T * T, *dA = dAbuf + (size_t)me * T * T;
        const float *P = s->P + ((size_t)b * H + h) * T * T;
        const float *Q = qkv->data + (size_t)b * T * stride + h * hs, *K = Q + C;
        const float *V = vbase + (size_t)b * T * vstride + h * hs;
        const float *dY = dy + (size_t)b * T * C + h * hs;
        const float *Amat = P;
        if (shaped(s)) { mixed_matrix(s, P, h, A); Amat = A; }
        /* dA = dY · Vᵀ;  dV += Aᵀ · dY  (a band's dA is read only left of its keys) */
        float *dV = dvbase ? dvbase + (size_t)b * T * vstride + h * hs : NULL;
        if (small) {
            attn_k_xyt(T, hs, 1.0f, dY, C, V, vstride, dA, T, s->causal, kbuf + (size_t)me * attn_k_scratch(T, hs));
            if (dV) attn_k_wtz(T, hs, Amat, T, dY, C, dV, vstride, s->causal, !fv);
        } else {
            for (int r0 = 0, m, keys; r0 < T && (keys = band(s, r0, R, &m)); r0 += R) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, keys, hs, 1.0f, dY + (size_t)r0 * C, C, V,
                            vstride, 0.0f, dA + (size_t)r0 * T, T);
                if (dV)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, keys, hs, m, 1.0f, Amat + (size_t)r0 * T, T,
                                dY + (size_t)r0 * C, C, bv, dV, vstride);
            }
        }
        float bh_gain = 1.0f;
        if (shaped(s)) {
            /* dalpha = tr(dA), dbeta = <dA, P>, dgamma = −<dA, C> (C constant per row). */
            double sa = 0, sb = 0, sg = 0;
            for (int i = 0; i < T; i++) {
                int jn = s->causal ? i + 1 : T;
                const float *d = dA + (size_t)i * T, *p = P + (size_t)i * T;
                float rb = vec_dot(d, p, jn), rs = vec_sum(d, jn);
                sa += d[i];
                sb += rb;
                sg -= (double)rs * center(s->causal, T, i, 0);
            }
            gsum[3 * bh] = (float)sa;
            gsum[3 * bh + 1] = (float)sb;
            gsum[3 * bh + 2] = (float)sg;
            bh_gain = head_gain(s->beta, h, 1.0f);
        }
        if (!dqkv) continue;
        /* softmax backward: dS = P ⊙ (dP − rowsum(P ⊙ dP)), dP = beta·dA */
        for (int i = 0; i < T; i++) {
            float *restrict row = dA + (size_t)i * T;
            const float *restrict p = P + (size_t)i * T;
            int jn = s->causal ? i + 1 : T;
            float dot = vec_dot(p, row, jn);
            for (int j = 0; j < jn; j++) row[j] = bh_gain * scale * p[j] * (row[j] - dot);
            for (int j = jn; j < T; j++) row[j] = 0.0f;
        }
        float *dQ = dqkv + (size_t)b * T * stride + h * hs, *dK = dQ + C;
        /* dQ += dS · K;  dK += dSᵀ · Q */
        if (small) {
            attn_k_wz(T, hs, dA, T, K, stride, dQ, stride, s->causal, !fq);
            attn_k_wtz(T, hs, dA, T, Q, stride, dK, stride, s->causal, !fq);
        } else {
            for (int r0 = 0, m, keys; r0 < T && (keys = band(s, r0, R, &m)); r0 += R) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hs, keys, 1.0f, dA + (size_t)r0 * T, T, K,
                            stride, bq, dQ + (size_t)r0 * stride, stride);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, keys, hs, m, 1.0f, dA + (size_t)r0 * T, T,
                            Q + (size_t)r0 * stride, stride, bq, dK, stride);
            }
        }
    }
    if (gsum)
        for (int bh = 0; bh < nbh; bh++) {
            int h = bh % H;
            if (da) da[s->alpha->n > 1 ? h : 0] += gsum[3 * bh];
            if (dbt) dbt[s->beta->n > 1 ? h : 0] += gsum[3 * bh + 1];
            if (dg) dg[s->gamma->n > 1 ? h : 0] += gsum[3 * bh + 2];
        }
    prof_end(t->prof, PROF_ATTN, prof_t0);
}

Tensor *op_attention(Tape *t, Tensor *qkv, Tensor *v, const AttnOpts *o, Tensor **pattern_out)
{
    double prof_t0 = prof_begin(t->prof);
    int B = qkv->shape[0], T = qkv->shape[1], H = o->n_head;
    int stride = tensor_cols(qkv), C = v ? stride / 2 : stride / 3, hs = C / H;
    int vstride = v ? C : stride;
    float scale = 1.0f / sqrtf((float)hs);
    const float *vbase = v ? v->data : qkv->data + 2 * C;

    AttnSaved *s = arena_alloc(&t->arena, sizeof *s);
    *s = (AttnSaved){.P = arena_floats(&t->arena, (size_t)B * H * T * T),
                     .alpha = o->alpha, .beta = o->beta, .gamma = o->gamma,
                     .B = B, .T = T, .C = C, .H = H, .causal = o->causal};
    int R = band_size(s);
    Tensor *y = tape_tensor(t, B, T, C, 0);
    /* (b, h) pairs in parallel, each writing its own P and its own columns of y. */
    int nbh = B * H, nth = par_threads();
    if (nth > nbh) nth = nbh;
    if (!par_on((int64_t)nbh * T * T)) nth = 1;
    float *Abuf = shaped(s) ? arena_floats(&t->arena, (size_t)nth * T * T) : NULL;
    int small = small_kernels(s);
    float *kbuf = small ? arena_floats(&t->arena, (size_t)nth * attn_k_scratch(T, hs)) : NULL;

#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int bh = 0; bh < nbh; bh++) {
        int b = bh / H, h = bh % H;
        float *P = s->P + (size_t)bh * T * T;
        const float *Q = qkv->data + (size_t)b * T * stride + h * hs, *K = Q + C;
        const float *V = vbase + (size_t)b * T * vstride + h * hs;
        /* Logits left of each band's keys; the softmax zeroes the rest of the row. */
        if (small) {
            attn_k_xyt(T, hs, scale, Q, stride, K, stride, P, T, o->causal,
                       kbuf + (size_t)par_thread_id() * attn_k_scratch(T, hs));
        } else {
            for (int r0 = 0, m, keys; r0 < T && (keys = band(s, r0, R, &m)); r0 += R)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, keys, hs, scale, Q + (size_t)r0 * stride,
                            stride, K, stride, 0.0f, P + (size_t)r0 * T, T);
        }
        for (int i = 0; i < T; i++) softmax_row(P + (size_t)i * T, o->causal ? i + 1 : T, T);
        const float *Amat = P;
        if (Abuf) {
            float *A = Abuf + (size_t)par_thread_id() * T * T;
            mixed_matrix(s, P, h, A);
            Amat = A;
        }
        if (small) {
            attn_k_wz(T, hs, Amat, T, V, vstride, y->data + (size_t)b * T * C + h * hs, C, o->causal, 0);
        } else {
            for (int r0 = 0, m, keys; r0 < T && (keys = band(s, r0, R, &m)); r0 += R)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hs, keys, 1.0f, Amat + (size_t)r0 * T, T, V,
                            vstride, 0.0f, y->data + ((size_t)b * T + r0) * C + h * hs, C);
        }
    }

    y->rg = qkv->rg || (v && v->rg) || (o->alpha && o->alpha->rg) || (o->beta && o->beta->rg) ||
            (o->gamma && o->gamma->rg);
    TapeNode *n = tape_push(t, attention_backward, y);
    if (n) {
        n->in[0] = qkv;
        n->in[1] = v;
        n->in[2] = o->alpha;
        n->in[3] = o->beta;
        n->in[4] = o->gamma;
        n->saved = s;
    }
    if (pattern_out) {
        Tensor *p = arena_alloc(&t->arena, sizeof *p);
        memset(p, 0, sizeof *p);
        tensor_set_shape(p, B, H, T, T);
        p->data = s->P;
        *pattern_out = p;
    }
    prof_end(t->prof, PROF_ATTN, prof_t0);
    return y;
}
