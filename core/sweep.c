/* sweep.c — the points of a sweep: each one's ArchSpec, its measurement
 * (through the same probes `probe` runs, on a model of its own) and its place
 * in the run's Metrics. Parsing and printing are src/verbs_sweep.c's. */
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const sweep_probe_names[] = {"rank", "updates", "grads", "params", "loss", NULL};
const char *const sweep_probe_what[] = {
    "mean token cosine after the last block",
    "||dF|| after one plain SGD step",
    "global gradient L2 norm",
    "parameters",
    "held-out loss after training",
};

void sweep_plan_default(SweepPlan *p)
{
    memset(p, 0, sizeof *p);
    p->probe = SWEEP_RANK;
    p->seed = 1;
    p->lr = 0.1f;
    p->steps = 100;
    p->batch = 32;
    optim_spec_default(&p->opt);
}

int sweep_lines(const SweepPlan *p) { return p->line.n > 0 ? p->line.n : 1; }
int sweep_points(const SweepPlan *p) { return p->x.n * sweep_lines(p); }

void sweep_point_at(const SweepPlan *p, int k, int *xi, int *li)
{
    int nl = sweep_lines(p);
    *xi = k / nl;
    *li = k % nl;
}

void sweep_line_name(const SweepPlan *p, int li, char *buf, int cap)
{
    if (!p->line.n && p->label[0]) snprintf(buf, (size_t)cap, "%s", p->label);
    else if (!p->line.n) {   /* named by its preset, as `model new` builds it */
        const char *preset = "preln";
        for (int i = 0; i < p->n_fixed; i++)
            if (!strcmp(p->fixed[i].key, "preset")) preset = p->fixed[i].value;
        snprintf(buf, (size_t)cap, "%s", preset);
    }
    else if (!strcmp(p->line.key, "preset") && p->label[0]) snprintf(buf, (size_t)cap, "%s %s", p->label, p->line.values[li]);
    else if (!strcmp(p->line.key, "preset")) snprintf(buf, (size_t)cap, "%s", p->line.values[li]);
    else snprintf(buf, (size_t)cap, "%s%s%s=%s", p->label, p->label[0] ? " " : "", p->line.key, p->line.values[li]);
}

void sweep_point_text(const SweepPlan *p, int k, char *buf, int cap)
{
    int xi, li;
    sweep_point_at(p, k, &xi, &li);
    int n = snprintf(buf, (size_t)cap, "%s=%s", p->x.key, p->x.values[xi]);
    if (p->line.n && n > 0 && n < cap) snprintf(buf + n, (size_t)(cap - n), " %s=%s", p->line.key, p->line.values[li]);
}

int sweep_key_is_run_setting(const char *key) { return !strcmp(key, "lr") || !strcmp(key, "steps"); }

/* 0: a model-wide key, 1: a block key (applied to every block), -1: neither. */
static int key_scope(const char *key)
{
    int scope = -1;
    for (const ArchKey *k = arch_keys; k->name; k++)
        if (!strcmp(k->name, key)) {
            if (k->block == 0) return 0;
            scope = 1;
        }
    return scope;
}

/* Applies the keys of one scope, in the order a person reads them: the fixed
 * keys, then the x value, then the line value. */
static int apply_scope(const SweepPlan *p, int scope, int xi, int li, ArchSpec *a, BlError *e)
{
    for (int i = 0; i < p->n_fixed; i++) {
        const SweepKV *kv = &p->fixed[i];
        if (key_scope(kv->key) != scope) continue;
        int rc = scope == 0 ? arch_set_model(a, kv->key, kv->value, e)
                            : arch_set_block(a, 0, a->depth - 1, kv->key, kv->value, kv->trainable, e);
        if (rc) return -1;
    }
    const SweepList *lists[2] = {&p->x, &p->line};
    const int at[2] = {xi, li};
    for (int j = 0; j < 2; j++) {
        const SweepList *l = lists[j];
        if (!l->n || key_scope(l->key) != scope) continue;
        int rc = scope == 0 ? arch_set_model(a, l->key, l->values[at[j]], e)
                            : arch_set_block(a, 0, a->depth - 1, l->key, l->values[at[j]], 0, e);
        if (rc) return -1;
    }
    return 0;
}

static int given(const SweepPlan *p, const char *key)
{
    for (int i = 0; i < p->n_fixed; i++)
        if (!strcmp(p->fixed[i].key, key)) return 1;
    return !strcmp(p->x.key, key) || (p->line.n && !strcmp(p->line.key, key));
}

int sweep_point_arch(const SweepPlan *p, int k, ArchSpec *a, BlError *e)
{
    int xi, li;
    sweep_point_at(p, k, &xi, &li);
    arch_default(a);
    a->seed = p->seed;
    /* As `model new`: model keys, vocab sized to the data unless given, every
     * block reset to the preset, then (as `block all`) the block keys. */
    if (apply_scope(p, 0, xi, li, a, e)) return -1;
    if (p->data_vocab && !given(p, "vocab")) a->vocab = p->data_vocab < 2 ? 2 : p->data_vocab;
    if (arch_reset_blocks(a, e)) return -1;
    if (apply_scope(p, 1, xi, li, a, e)) return -1;
    return arch_validate(a, e);
}

/* A run setting (lr, steps) of point k: the swept value where it is swept. */
static double run_setting(const SweepPlan *p, int k, const char *key, double dflt)
{
    int xi, li;
    sweep_point_at(p, k, &xi, &li);
    if (!strcmp(p->x.key, key)) return atof(p->x.values[xi]);
    if (p->line.n && !strcmp(p->line.key, key)) return atof(p->line.values[li]);
    return dflt;
}

int sweep_point_budget(const SweepPlan *p, int k, MemBudget *b, BlError *e)
{
    ArchSpec a = {0};
    int rc = sweep_point_arch(p, k, &a, e);
    if (!rc && p->probe == SWEEP_LOSS) rc = budget_estimate(&a, p->batch, 1, b, e);
    else if (!rc) {
        /* The model (weights and grads), then what `probe` needs on top: its
         * tape (a recorded step for grads and the SGD step), the copies. */
        MemBudget pb;
        int recorded = p->probe == SWEEP_GRADS || p->probe == SWEEP_UPDATES;
        rc = budget_estimate(&a, SWEEP_PROBE_BATCH, 0, b, e);
        if (!rc) rc = budget_probe(&a, SWEEP_PROBE_BATCH, recorded, 0, p->probe == SWEEP_UPDATES, &pb, e);
        if (!rc) {
            b->params += pb.params;
            b->activations = pb.activations;
            b->total = b->params + b->grads + b->moments + b->activations;
        }
    }
    arch_free(&a);
    return rc;
}

/* ---- measuring one point ------------------------------------------------------------ */

int sweep_point_start(SweepPoint *pt, const SweepPlan *p, int k, const DataSpec *data, BlError *e)
{
    memset(pt, 0, sizeof *pt);
    pt->k = k;
    pt->value = NAN;
    if (sweep_point_arch(p, k, &pt->arch, e)) return -1;
    if (p->probe == SWEEP_PARAMS) {   /* counted from the spec: nothing to build */
        MemBudget b;
        if (budget_estimate(&pt->arch, 1, 0, &b, e)) return -1;
        pt->value = b.count;
        pt->done = 1;
        return 0;
    }
    if (model_build(&pt->model, &pt->arch, e)) return -1;
    pt->has_model = 1;
    if (data) {
        if (data_open(&pt->data, data, e)) return -1;
        pt->has_data = 1;
    }
    if (p->probe == SWEEP_LOSS) {
        if (!pt->has_data) return bl_fail(e, "probe=loss trains each point: choose data first (data task=reverse, data fortunes)");
        if (pt->data.vocab > pt->arch.vocab)
            return bl_fail(e, "the data has %d symbols but vocab=%d: leave vocab out to fit the data", pt->data.vocab, pt->arch.vocab);
        OptSpec o = p->opt;
        o.lr = (float)run_setting(p, k, "lr", p->opt.lr);
        pt->steps = (int)run_setting(p, k, "steps", p->steps);
        o.steps = pt->steps;
        if (trainer_init(&pt->tr, &pt->model, &pt->data, &o, p->batch, e)) return -1;
        pt->has_trainer = 1;
        return 0;
    }
    if (prober_init(&pt->prober, &pt->model, pt->has_data ? &pt->data : NULL, SWEEP_PROBE_BATCH, e)) return -1;
    pt->has_prober = 1;
    return 0;
}

/* The last entry of a recorded vector (rank.cos: after the last block). */
static double last_of(Metrics *mt, const char *name)
{
    Series *s = metrics_find(mt, name);
    return s && s->n ? series_last(s)[s->len - 1] : NAN;
}

int sweep_point_step(SweepPoint *pt, const SweepPlan *p, BlError *e)
{
    if (pt->done) return 0;
    if (p->probe == SWEEP_LOSS) {
        if (pt->tr.step < pt->steps) {
            StepStats st;
            trainer_step(&pt->tr, &st);
            if (st.nonfinite) {
                snprintf(pt->msg, sizeof pt->msg, "NaN or Inf at step %ld (%s)", st.step, st.nonfinite_where);
                pt->value = NAN;
                pt->done = 1;
                return 0;
            }
            if (pt->tr.step < pt->steps) return 1;
        }
        EvalStats ev;
        trainer_eval(&pt->tr, 4, &ev);
        pt->value = ev.loss;
        pt->done = 1;
        return 0;
    }
    if (p->probe == SWEEP_UPDATES) {
        pt->value = probe_sgd_update(&pt->prober, &pt->model, (float)run_setting(p, pt->k, "lr", p->lr));
        pt->done = 1;
        return 0;
    }
    /* rank and grads: the probe `probe rank` / `probe grads` runs, into Metrics of the point's own. */
    Metrics mt;
    metrics_init(&mt);
    unsigned mask = p->probe == SWEEP_RANK ? PROBE_RANK : PROBE_GRADS;
    BlError pe;
    if (probe_run(&pt->prober, &pt->model, mask, 0, 0, &mt, &pe)) snprintf(pt->msg, sizeof pt->msg, "%s", pe.msg);
    pt->value = last_of(&mt, p->probe == SWEEP_RANK ? "rank.cos" : "grads.global");
    metrics_free(&mt);
    pt->done = 1;
    (void)e;
    return 0;
}

void sweep_point_free(SweepPoint *pt)
{
    if (pt->has_trainer) trainer_free(&pt->tr);
    if (pt->has_prober) prober_free(&pt->prober);
    if (pt->has_model) model_free(&pt->model);
    if (pt->has_data) data_close(&pt->data);
    arch_free(&pt->arch);
    memset(pt, 0, sizeof *pt);
}

/* ---- recording ---------------------------------------------------------------------- */

void sweep_series_name(const SweepPlan *p, int li, char *buf, int cap)
{
    char line[128];
    sweep_line_name(p, li, line, sizeof line);
    snprintf(buf, (size_t)cap, "sweep.%s.%.40s", sweep_probe_names[p->probe], line);
}

void sweep_begin(Metrics *mt, const SweepPlan *p)
{
    char prefix[40];
    snprintf(prefix, sizeof prefix, "sweep.%s.", sweep_probe_names[p->probe]);
    int n = p->x.n;
    float *rec = malloc(sizeof(float) * 2 * (size_t)n);
    if (!rec) return;
    for (int i = 0; i < n; i++) {
        rec[i] = (float)atof(p->x.values[i]);
        rec[n + i] = NAN;
    }
    metrics_lock(mt);
    /* A chart has one x-axis: lines of an earlier sweep over another key go. */
    for (int i = 0; i < mt->n; i++) {
        Series *s = mt->s[i];
        if (!strncmp(s->name, prefix, strlen(prefix)) && strcmp(s->xlabel, p->x.key)) metrics_remove(mt, s->name), i--;
    }
    for (int li = 0; li < sweep_lines(p); li++) {
        char name[64];
        sweep_series_name(p, li, name, sizeof name);
        metrics_remove(mt, name);   /* the same line again: starts afresh */
        Series *s = metrics_series(mt, name, 2, n, p->x.key);
        s->keep_last = 1;
        series_append(s, 0, rec);
    }
    metrics_unlock(mt);
    free(rec);
}

void sweep_record(Metrics *mt, const SweepPlan *p, int k, double value)
{
    int xi, li;
    sweep_point_at(p, k, &xi, &li);
    char name[64];
    sweep_series_name(p, li, name, sizeof name);
    metrics_lock(mt);
    Series *s = metrics_find(mt, name);
    if (s && s->n && s->cols == p->x.n && xi < s->cols) {
        float *rec = s->values + (size_t)(s->n - 1) * s->len;
        rec[s->cols + xi] = (float)value;
        s->steps[s->n - 1] = xi + 1;   /* this line's points measured (x-major order) */
    }
    metrics_unlock(mt);
}
