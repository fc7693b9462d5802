/* train.c — the training step (batch → forward → backward → clip → update) and
 * held-out evaluation. Deterministic: batch k depends only on the data seed. */
#include "train.h"
#include "par.h"
#include "probe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Tensor *ce_forward(void *ctx, Trainer *tr, Tape *t)
{
    return model_forward(tr->model, t, tr->tokens, tr->B, tr->T, tr->targets, tr->mask, NULL);
}

const TrainLoss loss_cross_entropy = {.name = "ce", .forward = ce_forward};

int trainer_init(Trainer *tr, Model *m, DataSource *d, const OptSpec *s, int B, BlError *e)
{
    memset(tr, 0, sizeof *tr);
    int T = m->arch->ctx;
    if (d->vocab > m->arch->vocab)
        return bl_fail(e, "the data has %d symbols but the model's vocab is %d (model new vocab=%d)", d->vocab,
                       m->arch->vocab, d->vocab);
    if (T < d->min_ctx)
        return bl_fail(e, "the data needs ctx >= %d but the model has ctx=%d", d->min_ctx, T);
    if (B < 1) return bl_fail(e, "batch=%d: expected at least 1", B);
    tr->model = m;
    tr->data = d;
    tr->B = B;
    tr->T = T;
    tr->loss = loss_cross_entropy;
    optim_init(&tr->opt, s, &m->params);
    tape_init(&tr->tape, 1 << 20);
    tr->tokens = xmalloc((size_t)B * T * sizeof(int));
    tr->targets = xmalloc((size_t)B * T * sizeof(int));
    tr->mask = xmalloc((size_t)B * T * sizeof(float));
    return 0;
}

/* One shard of a data-parallel step: rows [b0, b1) of the batch. Shard 0
 * uses the trainer's tape and the parameters' own gradients; the others a
 * tape and a gradient copy of their own. */
typedef struct TrainShard {
    Tape   tape;
    float *grad;     /* ParamTable.total floats (shards >= 1) */
    float  loss;     /* its rows' mean loss */
    double weight;   /* its rows' share of the batch's mask */
} TrainShard;

static void shards_free(Trainer *tr)
{
    for (int k = 1; k < tr->n_shards; k++) {
        tape_free(&tr->shards[k].tape);
        free(tr->shards[k].grad);
    }
    free(tr->shards);
    tr->shards = NULL;
    tr->n_shards = 0;
    tr->shard_floats = 0;
}

void trainer_free(Trainer *tr)
{
    shards_free(tr);
    optim_free(&tr->opt);
    tape_free(&tr->tape);
    free(tr->tokens);
    free(tr->targets);
    free(tr->mask);
    memset(tr, 0, sizeof *tr);
}

/* The first tensor with a gradient that is not finite, or -1; frozen_only
 * looks only at tensors the optimizer does not train (the trained ones are
 * covered by their norm being finite). */
static int first_nonfinite_grad(const ParamTable *pt, int frozen_only)
{
    for (int i = 0; i < pt->n; i++) {
        const Param *p = &pt->p[i];
        if (frozen_only && (p->flags & PARAM_TRAIN)) continue;
        for (int64_t j = 0; j < p->t.n; j++)
            if (!isfinite(p->t.grad[j])) return i;
    }
    return -1;
}

int trainer_shards(const Trainer *tr)
{
    int n = par_threads();
    const ParamTable *pt = &tr->model->params;
    if (n < 2 || tr->B < n || tr->loss.forward != ce_forward || tr->model->arch->stack != STACK_BLOCKS) return 1;
    if ((double)(n - 1) * (double)pt->total * sizeof(float) > TRAIN_SHARD_MAX_BYTES) return 1;
    return n;
}

/* The whole batch on the trainer's tape: main loss + Σ weight·aux
 * (model_objective), each term kept for the log; the gradients land in the
 * parameters'. */
static void whole_pass(Trainer *tr, StepStats *st, int *aux_bad)
{
    ParamTable *pt = &tr->model->params;
    tape_reset(&tr->tape);
    tr->tape.recording = 1;
    tr->tape.recycle = 1;
    memset(pt->grad, 0, pt->total * sizeof(float));
    Tensor *loss = tr->loss.forward(tr->loss.ctx, tr, &tr->tape);
    Tensor *total = model_objective(&tr->tape, loss);
    for (int i = 0; i < tr->tape.n_aux && i < TRAIN_MAX_AUX; i++) {
        Tensor *v = tr->tape.aux[i].value;
        st->aux[i].name = tr->tape.aux[i].name;
        st->aux[i].value = v->data[0];
        *aux_bad |= !isfinite(v->data[0]);
        st->n_aux = i + 1;
    }
    tape_backward(&tr->tape, total);
    st->loss = loss->data[0];
}

size_t trainer_step_bytes(const Trainer *tr)
{
    size_t bytes = tr->tape.arena.cap;
    for (int k = 1; k < tr->n_shards; k++)
        bytes += tr->shards[k].tape.arena.cap + tr->shard_floats * sizeof(float);
    return bytes;
}

/* ns shards with gradient copies the size of the parameter table (which a
 * command may have rebuilt since the last step). */
static void shards_ensure(Trainer *tr, int ns)
{
    size_t total = tr->model->params.total;
    if (tr->n_shards == ns && tr->shard_floats == total) return;
    shards_free(tr);
    tr->shards = xcalloc((size_t)ns, sizeof *tr->shards);
    tr->n_shards = ns;
    tr->shard_floats = total;
    for (int k = 1; k < ns; k++) {
        tape_init(&tr->shards[k].tape, 1 << 20);
        tr->shards[k].grad = xmalloc(total * sizeof(float));
    }
}

static double mask_sum(const float *mask, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += mask[i];
    return s;
}

/* Forward and backward of shard k on the calling thread. The cross-entropy
 * is a masked mean, so the batch's loss is Σ_k weight_k·loss_k with weight_k
 * the shard's share of the mask; seeding backward with weight_k gives each
 * shard's part of the batch's gradient. */
static void shard_pass(Trainer *tr, int k, int ns, double mask_total)
{
    ParamTable *pt = &tr->model->params;
    TrainShard *sh = &tr->shards[k];
    Tape *tp = k ? &sh->tape : &tr->tape;
    int B = tr->B, T = tr->T, b0 = (int)((int64_t)B * k / ns), b1 = (int)((int64_t)B * (k + 1) / ns);
    size_t off = (size_t)b0 * T, rows = (size_t)(b1 - b0) * T;
    tape_reset(tp);
    tp->recording = 1;
    tp->recycle = 1;
    if (k) {
        tp->grad_home = pt->grad;
        tp->grad_into = sh->grad;
        tp->grad_n = pt->total;
    }
    memset(k ? sh->grad : pt->grad, 0, pt->total * sizeof(float));
    Trainer view = *tr;
    view.B = b1 - b0;
    view.tokens = tr->tokens + off;
    view.targets = tr->targets + off;
    view.mask = tr->mask + off;
    Tensor *loss = tr->loss.forward(tr->loss.ctx, &view, tp);
    sh->weight = mask_total > 0 ? mask_sum(view.mask, rows) / mask_total : 0.0;
    sh->loss = loss->data[0];
    float *seed = tape_grad(tp, loss);
    seed[0] = (float)sh->weight;
    tape_backward_seeded(tp);
}

/* The batch split over ns threads (trainer_shards); returns the batch's loss. */
static float sharded_pass(Trainer *tr, int ns)
{
    ParamTable *pt = &tr->model->params;
    shards_ensure(tr, ns);
    double mask_total = mask_sum(tr->mask, (size_t)tr->B * tr->T);
#pragma omp parallel num_threads(ns)
    {
        /* A team smaller than asked (or no OpenMP) runs the shards in turn. */
        int me = par_thread_id(), team = par_team_size();
        par_solo_begin();
        for (int k = me; k < ns; k += team) shard_pass(tr, k, ns, mask_total);
        par_solo_end();
#pragma omp barrier
        /* Each thread adds its slice of the copies into the parameters'
         * gradients, in shard order. */
        int lo, hi;
        par_range((int)((pt->total + 15) / 16), me, team, &lo, &hi);
        size_t i0 = (size_t)lo * 16, i1 = (size_t)hi * 16 < pt->total ? (size_t)hi * 16 : pt->total;
        for (int k = 1; k < ns; k++) {
            float *restrict g = pt->grad;
            const float *restrict c = tr->shards[k].grad;
            for (size_t i = i0; i < i1; i++) g[i] += c[i];
        }
    }
    double loss = 0;
    for (int k = 0; k < ns; k++) loss += tr->shards[k].weight * tr->shards[k].loss;
    return (float)loss;
}

void trainer_step(Trainer *tr, StepStats *st)
{
    double t0 = bl_now();
    Model *m = tr->model;
    ParamTable *pt = &m->params;
    memset(st, 0, sizeof *st);
    data_batch(tr->data, 0, 0, tr->B, tr->T, tr->tokens, tr->targets, tr->mask);
    int aux_bad = 0, ns = trainer_shards(tr);
    if (ns > 1) st->loss = sharded_pass(tr, ns);
    else whole_pass(tr, st, &aux_bad);
    st->lr = optim_lr(&tr->opt.spec, tr->step);
    if (tr->after_backward) tr->after_backward(tr->after_ctx, tr);
    /* The norm of the trained gradients is finite exactly when each of them is
     * (their squares, summed in double, cannot overflow): one pass, not two. */
    double prof_t0 = prof_begin(tr->tape.prof);
    int bad = -2;
    double norm = 0;
    if (isfinite(st->loss) && !aux_bad) {
        norm = optim_grad_norm(pt);
        bad = first_nonfinite_grad(pt, isfinite(norm));
    }
    prof_end(tr->tape.prof, PROF_OPTIM, prof_t0);
    if (bad != -1) {
        /* Keep the last good parameters: report, do not update. Name the first
         * activation that went bad, else the first gradient. */
        st->nonfinite = 1;
        char where[80];
        if (probe_first_nonfinite(m, &tr->tape, tr->tokens, tr->B, tr->T, where, sizeof where))
            snprintf(st->nonfinite_where, sizeof st->nonfinite_where, "activation %s", where);
        else if (bad == -2)
            snprintf(st->nonfinite_where, sizeof st->nonfinite_where, "loss");
        else
            snprintf(st->nonfinite_where, sizeof st->nonfinite_where, "gradient of %s", pt->p[bad].name);
    } else {
        /* clipping folded into the update's pass over the gradients */
        st->grad_norm = norm;
        prof_t0 = prof_begin(tr->tape.prof);
        optim_step_scaled(&tr->opt, pt, st->lr, optim_clip_factor(norm, tr->opt.spec.clip));
        prof_end(tr->tape.prof, PROF_OPTIM, prof_t0);
    }
    tr->step++;
    st->step = tr->step;
    st->seconds = bl_now() - t0;
}

void trainer_eval(Trainer *tr, int batches, EvalStats *ev)
{
    Model *m = tr->model;
    int B = tr->B, T = tr->T, V = m->arch->vocab;
    double loss = 0;
    long rows = 0, exact = 0, counted = 0, right = 0;
    int is_task = tr->data->spec.kind != DATA_TEXT && tr->data->spec.kind != DATA_FORTUNES;
    for (int k = 0; k < batches; k++) {
        data_batch(tr->data, 1, (uint64_t)k, B, T, tr->tokens, tr->targets, tr->mask);
        tape_reset(&tr->tape);
        tr->tape.recording = 0;
        Tensor *logits = NULL;
        Tensor *l = model_forward(m, &tr->tape, tr->tokens, B, T, tr->targets, tr->mask, &logits);
        loss += l->data[0];
        for (int b = 0; b < B; b++) {
            int all = 1;
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                if (tr->mask[i] == 0) continue;
                const float *row = logits->data + (size_t)i * V;
                int best = 0;
                for (int j = 1; j < V; j++) if (row[j] > row[best]) best = j;
                counted++;
                if (best == tr->targets[i]) right++;
                else all = 0;
            }
            exact += all;
            rows++;
        }
    }
    tr->tape.recording = 1;
    ev->loss = (float)(loss / batches);
    ev->exact = is_task ? (float)exact / (float)rows : -1.0f;
    ev->token_acc = counted ? (float)right / (float)counted : 0.0f;
}
