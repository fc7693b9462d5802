/* workspace.c — Run lifetimes: which object owns what, and what a rebuild
 * invalidates (the Trainer borrows the Model and the DataSource). */
#include "workspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_train_defaults(TrainCfg *c)
{
    memset(c, 0, sizeof *c);
    optim_spec_default(&c->opt);
    c->batch = 32;
    c->steps = 100;
    c->total = 0;
    c->log_every = WS_AUTO;
    c->eval_every = WS_AUTO;
    c->eval_batches = 4;
}

static Run *run_alloc(const char *name, uint64_t seed)
{
    Run *r = xcalloc(1, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    ws_train_defaults(&r->cfg);
    r->seed = seed;
    metrics_init(&r->metrics);
    health_init(&r->health);
    r->probed_at = -1;
    return r;
}

static void run_drop_prober(Run *r)
{
    if (r->has_prober) prober_free(&r->prober);
    r->has_prober = 0;
}

void run_reset_metrics(Run *r)
{
    run_drop_prober(r);
    metrics_lock(&r->metrics);
    /* A sweep's points are models of their own, not this one: they stay. */
    metrics_clear_keep(&r->metrics, "sweep.");
    metrics_unlock(&r->metrics);
    health_init(&r->health);
    r->probed_at = -1;
}

Prober *run_prober(Run *r, BlError *e)
{
    if (!r->has_model) return bl_fail(e, "no model yet: start one with `model new`"), NULL;
    if (r->has_prober) return &r->prober;
    /* Four sequences of the run's data (or of random tokens without data). */
    if (prober_init(&r->prober, &r->model, r->has_data ? &r->data : NULL, RUN_PROBE_ROWS, e)) return NULL;
    r->has_prober = 1;
    return &r->prober;
}

void run_drop_pending(Run *r)
{
    if (r->has_pending) optim_free(&r->pending_opt);
    r->has_pending = 0;
}

static void run_free(Run *r)
{
    run_drop_pending(r);
    run_drop_trainer(r);
    run_drop_prober(r);
    metrics_free(&r->metrics);
    if (r->has_model) model_free(&r->model);
    if (r->has_data) data_close(&r->data);
    free(r);
}

void ws_init(Workspace *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->seed = 1;
    ws->runs = xmalloc(sizeof *ws->runs);
    ws->runs[0] = run_alloc("A", ws->seed);
    ws->n = 1;
}

void ws_free(Workspace *ws)
{
    for (int i = 0; i < ws->n; i++) run_free(ws->runs[i]);
    free(ws->runs);
    memset(ws, 0, sizeof *ws);
}

Run *ws_current(Workspace *ws) { return ws->runs[ws->cur]; }

Run *ws_find(Workspace *ws, const char *name)
{
    for (int i = 0; i < ws->n; i++)
        if (strcmp(ws->runs[i]->name, name) == 0) return ws->runs[i];
    return NULL;
}

Run *ws_add(Workspace *ws, const char *name, const Run *from, BlError *e)
{
    if (ws_find(ws, name)) return bl_fail(e, "run '%s' exists already (run use %s)", name, name), NULL;
    if (strlen(name) >= sizeof ws->runs[0]->name) return bl_fail(e, "run name '%s' is too long (31 characters at most)", name), NULL;
    Run *r = run_alloc(name, from ? from->seed : ws->seed);
    if (from) {
        r->cfg = from->cfg;
        r->vocab_explicit = from->vocab_explicit;
        /* Same spec and seed: the new model starts from the very same weights
         * as `from` did, so A/B comparisons differ only in what is changed next. */
        if (from->has_model && model_build(&r->model, from->model.arch, e) == 0) r->has_model = 1;
        else if (from->has_model) return run_free(r), NULL;
        if (from->has_data) {
            if (data_open(&r->data, &from->data.spec, e)) return run_free(r), NULL;
            r->has_data = 1;
        }
    }
    ws->runs = xrealloc(ws->runs, (size_t)(ws->n + 1) * sizeof *ws->runs);
    ws->runs[ws->n++] = r;
    return r;
}

void run_drop_trainer(Run *r)
{
    if (r->has_trainer) trainer_free(&r->tr);
    r->has_trainer = 0;
    r->trainer_gen++;
    r->has_loss = r->has_val = 0;
}

void run_set_model(Run *r, Model *m)
{
    run_drop_pending(r);
    run_drop_trainer(r);
    run_reset_metrics(r);
    if (r->has_model) model_free(&r->model);
    r->model = *m;
    memset(m, 0, sizeof *m);
    r->has_model = 1;
}

void run_set_data(Run *r, DataSource *d)
{
    if (r->has_data) data_close(&r->data);
    r->data = *d;
    memset(d, 0, sizeof *d);
    r->has_data = 1;
    run_drop_prober(r);   /* the probe batch comes from the data */
    /* The trainer holds &r->data, which stays the same address. Batches of the
     * new data start from its own position 0. */
}

Trainer *run_trainer(Run *r, BlError *e)
{
    if (!r->has_model) return bl_fail(e, "no model yet: start one with `model new` (see `help model`)"), NULL;
    if (!r->has_data) return bl_fail(e, "no data yet: choose some with `data task=reverse`, `data text=FILE` or `data fortunes`"), NULL;
    if (r->data.vocab > r->model.arch->vocab)
        return bl_fail(e, "the data has %d symbols but the model's vocab is %d: `model new vocab=%d` (or leave vocab out to fit the data)",
                       r->data.vocab, r->model.arch->vocab, r->data.vocab), NULL;
    if (data_check_ctx(&r->data, r->model.arch->ctx, e)) return NULL;
    if (r->has_trainer && r->tr.B == r->cfg.batch) return &r->tr;
    Trainer fresh;
    if (trainer_init(&fresh, &r->model, &r->data, &r->cfg.opt, r->cfg.batch, e)) return NULL;
    if (r->has_trainer) {
        /* A new batch size: new buffers, same optimizer moments and step. */
        optim_free(&fresh.opt);
        fresh.opt = r->tr.opt;
        memset(&r->tr.opt, 0, sizeof r->tr.opt);
        fresh.step = r->tr.step;
        trainer_free(&r->tr);
    } else if (r->has_pending) {
        /* The checkpoint's moments, now that its data is back. */
        optim_free(&fresh.opt);
        fresh.opt = r->pending_opt;
        fresh.opt.spec = r->cfg.opt;
        fresh.step = r->pending_step;
        r->has_pending = 0;
    }
    r->tr = fresh;
    r->has_trainer = 1;
    r->trainer_gen++;
    return &r->tr;
}

long run_step(const Run *r) { return r->has_trainer ? r->tr.step : 0; }
