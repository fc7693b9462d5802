/* optim.c — AdamW (PyTorch's formulation, decoupled weight decay) and SGD with
 * momentum; schedules; clipping. AdamW runs over all trained elements as one
 * flat parallel pass; the gradient norm per tensor, in fixed chunks. */
#include "optim.h"
#include "common.h"
#include "par.h"
#include "vec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void optim_spec_default(OptSpec *s)
{
    memset(s, 0, sizeof *s);
    s->kind = OPT_ADAMW;
    s->lr = 1e-3f;
    s->beta1 = 0.9f;
    s->beta2 = 0.95f;
    s->eps = 1e-8f;
    s->weight_decay = 0.1f;
    s->clip = 1.0f;
    s->warmup = 0;
    s->steps = 1000;
    s->schedule = SCHED_COSINE;
    s->min_lr_frac = 0.1f;
}

void optim_init(Optimizer *o, const OptSpec *s, const ParamTable *pt)
{
    memset(o, 0, sizeof *o);
    o->spec = *s;
    o->n = pt->total;
    o->m = xcalloc(o->n, sizeof(float));
    o->v = xcalloc(o->n, sizeof(float));
}

void optim_free(Optimizer *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

float optim_lr(const OptSpec *s, long step)
{
    step -= s->origin;
    if (s->warmup > 0 && step < s->warmup) {
        float w = (float)(step + 1) / (float)s->warmup;
        return s->warm_from > 0 ? s->warm_from + (s->lr - s->warm_from) * w : s->lr * w;
    }
    if (s->schedule == SCHED_CONSTANT) return s->lr;
    long span = s->steps - s->origin - s->warmup;
    double frac = span > 0 ? (double)(step - s->warmup) / (double)span : 1.0;
    if (frac > 1) frac = 1;
    if (frac < 0) frac = 0;
    double floor_lr = s->lr * s->min_lr_frac;
    double shape = s->schedule == SCHED_COSINE ? 0.5 * (1.0 + cos(3.141592653589793 * frac)) : 1.0 - frac;
    return (float)(floor_lr + (s->lr - floor_lr) * shape);
}

/* A tensor's chunks: at most NORM_CHUNKS, each a multiple of 16 floats long
 * and at least 16384 (both depend only on n). */
#define NORM_CHUNKS 256
#define NORM_CHUNK_MIN 16384

double optim_grad_norm(const ParamTable *pt)
{
    double s = 0;
    for (int i = 0; i < pt->n; i++) {
        const Param *p = &pt->p[i];
        if (!(p->flags & PARAM_TRAIN)) continue;
        int64_t n = p->t.n, len = (n + NORM_CHUNKS - 1) / NORM_CHUNKS;
        len = (len + 15) / 16 * 16;
        if (len < NORM_CHUNK_MIN) len = NORM_CHUNK_MIN;
        int nc = (int)((n + len - 1) / len);
        double part[NORM_CHUNKS];
        const float *g = p->t.grad;
#pragma omp parallel for schedule(static) if (nc > 1 && par_on(n))
        for (int c = 0; c < nc; c++) {
            int64_t j0 = (int64_t)c * len, j1 = j0 + len < n ? j0 + len : n;
            part[c] = vec_sumsq_double(g + j0, j1 - j0);
        }
        for (int c = 0; c < nc; c++) s += part[c];
    }
    return sqrt(s);
}

float optim_clip_factor(double norm, float max_norm)
{
    return max_norm > 0 && norm > max_norm ? (float)(max_norm / (norm + 1e-6)) : 1.0f;
}

double optim_clip(ParamTable *pt, float max_norm)
{
    double norm = optim_grad_norm(pt);
    float k = optim_clip_factor(norm, max_norm);
    if (k != 1.0f) {
        for (int i = 0; i < pt->n; i++) {
            Param *p = &pt->p[i];
            if (!(p->flags & PARAM_TRAIN)) continue;
            float *g = p->t.grad;
            int64_t n = p->t.n;
#pragma omp parallel for schedule(static) if (par_on(n))
            for (int64_t j = 0; j < n; j++) g[j] *= k;
        }
    }
    return norm;
}

void optim_step(Optimizer *o, ParamTable *pt, float lr) { optim_step_scaled(o, pt, lr, 1.0f); }

/* AdamW over elements [j0, j1) of one tensor (PyTorch's formulation). */
static void adamw_span(float *restrict w, float *restrict g, float *restrict m, float *restrict v, int64_t j0,
                       int64_t j1, float k, float shrink, float b1, float b2, float eps, float step_size, float rbc2)
{
    int scale = k != 1.0f;
    for (int64_t j = j0; j < j1; j++) {
        if (scale) g[j] *= k;   /* clipping, stored as optim_clip would */
        w[j] *= shrink;
        m[j] = b1 * m[j] + (1.0f - b1) * g[j];
        v[j] = b2 * v[j] + (1.0f - b2) * g[j] * g[j];
        w[j] -= step_size * m[j] / (sqrtf(v[j]) * rbc2 + eps);
    }
}

void optim_step_scaled(Optimizer *o, ParamTable *pt, float lr, float grad_scale)
{
    const OptSpec *s = &o->spec;
    o->t++;
    float bc1 = 1.0f - powf(s->beta1, (float)o->t), bc2 = 1.0f - powf(s->beta2, (float)o->t);
    float step_size = lr / bc1, rbc2 = 1.0f / sqrtf(bc2);
    float k = grad_scale;
    if (s->kind == OPT_ADAMW) {
        /* One parallel pass over all trained elements as if they were one flat
         * array: each thread takes an equal run and walks the tensors it
         * overlaps. Per tensor, small ones (biases, gains, a narrow model's
         * weights) would each stay on one thread. Each element's update is the
         * same whatever thread does it. */
        int64_t total = 0;
        for (int i = 0; i < pt->n; i++)
            if (pt->p[i].flags & PARAM_TRAIN) total += pt->p[i].t.n;
        float b1 = s->beta1, b2 = s->beta2, eps = s->eps;
#pragma omp parallel if (par_on(total))
        {
            int64_t nt = par_team_size(), me = par_thread_id();
            int64_t lo = total * me / nt, hi = total * (me + 1) / nt, at = 0;
            for (int i = 0; i < pt->n && at < hi; i++) {
                Param *p = &pt->p[i];
                if (!(p->flags & PARAM_TRAIN)) continue;
                int64_t n = p->t.n, j0 = lo > at ? lo - at : 0, j1 = hi - at < n ? hi - at : n;
                if (j0 < j1) {
                    float decay = (p->flags & PARAM_DECAY) ? s->weight_decay : 0.0f;
                    adamw_span(p->t.data, p->t.grad, o->m + p->offset, o->v + p->offset, j0, j1, k,
                               1.0f - lr * decay, b1, b2, eps, step_size, rbc2);
                }
                at += n;
            }
        }
        return;
    }
    for (int i = 0; i < pt->n; i++) {
        Param *p = &pt->p[i];
        if (!(p->flags & PARAM_TRAIN)) continue;
        float *restrict w = p->t.data, *restrict g = p->t.grad, *restrict m = o->m + p->offset;
        int scale = k != 1.0f;
        float decay = (p->flags & PARAM_DECAY) ? s->weight_decay : 0.0f;
        int64_t n = p->t.n;
        /* SGD: PyTorch's form, weight decay added to the gradient, momentum β1. */
        for (int64_t j = 0; j < n; j++) {
            if (scale) g[j] *= k;
            float d = g[j] + decay * w[j];
            if (s->beta1 > 0) {
                m[j] = o->t == 1 ? d : s->beta1 * m[j] + d;
                d = m[j];
            }
            w[j] -= lr * d;
        }
    }
}
