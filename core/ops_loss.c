/* ops_loss.c — softmax cross-entropy fused with its gradient: the forward
 * already knows dloss/dlogits = (softmax − onehot)·mask/Σmask, so it stores
 * that and the backward only scales it by the incoming gradient. */
#include "ops.h"
#include "par.h"

#include <math.h>

static void xent_backward(Tape *t, TapeNode *n)
{
    double prof_t0 = prof_begin(t->prof);
    Tensor *logits = n->in[0];
    const float *g = n->saved;
    float dl = n->out->grad[0];
    int fresh;
    float *dx = tape_grad_fresh(t, logits, &fresh);
    int64_t n_el = logits->n;
#pragma omp parallel for schedule(static) if (par_on(n_el))
    for (int64_t i = 0; i < n_el; i++) dx[i] = (fresh ? 0.0f : dx[i]) + dl * g[i];
    prof_end(t->prof, PROF_LOSS, prof_t0);
}

Tensor *op_cross_entropy(Tape *t, Tensor *logits, const int *targets, const float *mask)
{
    double prof_t0 = prof_begin(t->prof);
    int N = (int)tensor_rows(logits), V = tensor_cols(logits);
    Tensor *loss = tape_tensor(t, 1, 0, 0, 0);
    int want_grad = t->recording && logits->rg;
    float *g = want_grad ? arena_floats(&t->arena, (size_t)logits->n) : NULL;
    double wsum = 0, total = 0;
    for (int r = 0; r < N; r++) wsum += mask ? mask[r] : 1.0f;
    float inv = wsum > 0 ? (float)(1.0 / wsum) : 0.0f;
    /* Rows in parallel; their losses are added in row order after (par.h). */
    double *row_loss = (double *)arena_alloc(&t->arena, (size_t)N * sizeof(double));
#pragma omp parallel for schedule(static) if (par_on((int64_t)N * V))
    for (int r = 0; r < N; r++) {
        const float *x = logits->data + (size_t)r * V;
        float w = mask ? mask[r] : 1.0f;
        float *gr = g ? g + (size_t)r * V : NULL;
        row_loss[r] = 0;
        if (w == 0.0f) {
            if (gr) for (int j = 0; j < V; j++) gr[j] = 0.0f;
            continue;
        }
        float mx = x[0];
        for (int j = 1; j < V; j++) mx = x[j] > mx ? x[j] : mx;
        double sum = 0;
        for (int j = 0; j < V; j++) sum += exp((double)(x[j] - mx));
        double lse = mx + log(sum);
        row_loss[r] = w * (lse - x[targets[r]]);
        if (gr) {
            for (int j = 0; j < V; j++) gr[j] = (float)(exp((double)x[j] - lse)) * w * inv;
            gr[targets[r]] -= w * inv;
        }
    }
    for (int r = 0; r < N; r++) total += row_loss[r];
    loss->data[0] = (float)(total * inv);
    loss->rg = logits->rg;
    TapeNode *n = tape_push(t, xent_backward, loss);
    if (n) {
        n->in[0] = logits;
        n->saved = g;
    }
    prof_end(t->prof, PROF_LOSS, prof_t0);
    return loss;
}
