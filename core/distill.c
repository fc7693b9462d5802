/* distill.c — the distillation loop on captured pairs (distill.h; §B.5 of
 * spec/mom-and-mlp-attention.md, official scripts/full_sentence/training_*.py:
 * masked MSE, Adam(0.9, 0.98, 1e-9), lr 1e-4 ALR / 1e-3 otherwise). */
#include "distill.h"

#include <stdlib.h>
#include <string.h>

#include "ops_student.h"

void distill_set_init(DistillSet *s, int cap, int T, int d_in, int d_out)
{
    memset(s, 0, sizeof *s);
    s->cap = cap;
    s->T = T;
    s->d_in = d_in;
    s->d_out = d_out;
    s->x = xmalloc(sizeof(float) * (size_t)cap * T * d_in);
    s->y = xmalloc(sizeof(float) * (size_t)cap * T * d_out);
    s->valid = xmalloc(sizeof(float) * (size_t)cap * T);
}

void distill_set_free(DistillSet *s)
{
    free(s->x);
    free(s->y);
    free(s->valid);
    memset(s, 0, sizeof *s);
}

int distill_set_add(DistillSet *s, const float *x, const float *y, const float *valid, int rows)
{
    if (rows > s->cap - s->n) rows = s->cap - s->n;
    if (rows <= 0) return 0;
    size_t T = (size_t)s->T, at = (size_t)s->n;
    memcpy(s->x + at * T * s->d_in, x, sizeof(float) * rows * T * s->d_in);
    memcpy(s->y + at * T * s->d_out, y, sizeof(float) * rows * T * s->d_out);
    if (valid) memcpy(s->valid + at * T, valid, sizeof(float) * rows * T);
    else for (size_t i = 0; i < rows * T; i++) s->valid[at * T + i] = 1.0f;
    s->n += rows;
    return rows;
}

void distill_opt_spec(OptSpec *o, int mode)
{
    optim_spec_default(o);
    o->kind = OPT_ADAMW;
    o->lr = mode == STUDENT_ALR ? 1e-4f : 1e-3f;
    o->beta1 = 0.9f;
    o->beta2 = 0.98f;
    o->eps = 1e-9f;
    o->weight_decay = 0.0f;
    o->clip = 0.0f;
    o->warmup = 0;
    o->schedule = SCHED_CONSTANT;
}

void distiller_init(Distiller *d, Student *st, const OptSpec *o, int batch, int T, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    d->st = st;
    d->batch = batch;
    d->T = T;
    optim_init(&d->opt, o, &st->params);
    tape_init(&d->tape, 1 << 20);
    int din = st->spec.width, dout = student_out_width(&st->spec);
    d->xb = xmalloc(sizeof(float) * (size_t)batch * T * din);
    d->yb = xmalloc(sizeof(float) * (size_t)batch * T * dout);
    d->vb = xmalloc(sizeof(float) * (size_t)batch * T);
    rng_seed(&d->rng, seed);
}

void distiller_free(Distiller *d)
{
    optim_free(&d->opt);
    tape_free(&d->tape);
    free(d->xb);
    free(d->yb);
    free(d->vb);
    free(d->order);
    memset(d, 0, sizeof *d);
}

/* The student's masked MSE on B rows, recorded on t when it records. */
static Tensor *batch_loss(Student *st, Tape *t, const float *x, const float *y, const float *valid, int B, int T)
{
    Tensor *in = tape_tensor(t, B, T, st->spec.width, 0);
    memcpy(in->data, x, sizeof(float) * (size_t)in->n);
    Tensor *out = student_forward(t, &st->spec, st->nets, in, valid);
    return op_masked_mse(t, out, y, valid);
}

float distiller_step(Distiller *d, const float *x, const float *y, const float *valid, int B)
{
    ParamTable *pt = &d->st->params;
    tape_reset(&d->tape);
    memset(pt->grad, 0, sizeof(float) * pt->total);
    Tensor *loss = batch_loss(d->st, &d->tape, x, y, valid, B, d->T);
    tape_backward(&d->tape, loss);
    optim_step(&d->opt, pt, optim_lr(&d->opt.spec, d->steps));
    d->steps++;
    return loss->data[0];
}

static double real_positions(const float *valid, int n)
{
    double c = 0;
    for (int i = 0; i < n; i++) c += valid[i];
    return c;
}

double distiller_epoch(Distiller *d, const DistillSet *s)
{
    if (d->order_n < s->n) {
        d->order = xrealloc(d->order, sizeof(int) * (size_t)s->n);
        d->order_n = s->n;
    }
    for (int i = 0; i < s->n; i++) d->order[i] = i;
    for (int i = s->n - 1; i > 0; i--) {   /* Fisher-Yates from the distiller's seed */
        int j = (int)rng_below(&d->rng, (uint32_t)(i + 1)), k = d->order[i];
        d->order[i] = d->order[j];
        d->order[j] = k;
    }
    size_t T = (size_t)s->T;
    double sum = 0, weight = 0;
    for (int at = 0; at < s->n; at += d->batch) {
        int B = s->n - at < d->batch ? s->n - at : d->batch;
        for (int r = 0; r < B; r++) {
            size_t src = (size_t)d->order[at + r];
            memcpy(d->xb + r * T * s->d_in, s->x + src * T * s->d_in, sizeof(float) * T * s->d_in);
            memcpy(d->yb + r * T * s->d_out, s->y + src * T * s->d_out, sizeof(float) * T * s->d_out);
            memcpy(d->vb + r * T, s->valid + src * T, sizeof(float) * T);
        }
        double w = real_positions(d->vb, B * (int)T);
        sum += w * distiller_step(d, d->xb, d->yb, d->vb, B);
        weight += w;
    }
    d->epochs++;
    return weight > 0 ? sum / weight : 0.0;
}

double distill_mse(Student *st, Tape *t, const DistillSet *s, int batch)
{
    int keep = t->recording;
    t->recording = 0;
    size_t T = (size_t)s->T;
    double sum = 0, weight = 0;
    for (int at = 0; at < s->n; at += batch) {
        int B = s->n - at < batch ? s->n - at : batch;
        tape_reset(t);
        const float *v = s->valid + at * T;
        double w = real_positions(v, B * (int)T);
        Tensor *loss = batch_loss(st, t, s->x + at * T * s->d_in, s->y + at * T * s->d_out, v, B, (int)T);
        sum += w * loss->data[0];
        weight += w;
    }
    t->recording = keep;
    return weight > 0 ? sum / weight : 0.0;
}
