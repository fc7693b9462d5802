/* trainloop.c — the training loop of `train`, cut into start / step / finish so
 * the foreground (batch, REPL) and the TUI's worker share every line it prints.
 * It stops on NaN/Inf or a probe alarm and always keeps the run. */
#include "trainloop.h"
#include "verbs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int is_task(DataKind k) { return k == DATA_COPY || k == DATA_REVERSE || k == DATA_SORT; }

/* "A: " before every line of a brief (TUI) loop, where runs interleave. */
static const char *lead(const TrainLoop *tl, char *buf, size_t cap)
{
    if (!tl->brief) return "";
    snprintf(buf, cap, "%s: ", tl->r->name);
    return buf;
}

/* The settings lines `train` prints; header: the "train run A: steps ..."
 * line and the logging line too (log_every and eval_every resolved). */
static void settings_lines(Out *o, const Run *r, const TrainCfg *cfg, long start, long end, int log_every, int eval_every,
                           int header)
{
    const ArchSpec *a = r->model.arch;
    const OptSpec *p = &cfg->opt;
    const DataSpec *d = &r->data.spec;
    char n[32], tok[32];
    if (header)
        out_printf(o, "train run %s: steps %ld..%ld, schedule over %ld steps\n", r->name, start + 1, end, p->steps - p->origin);
    out_printf(o, "  model      %d block%s, width %d, %d head%s, ctx %d, vocab %d, %s params\n", a->depth, a->depth == 1 ? "" : "s",
               a->width, a->heads, a->heads == 1 ? "" : "s",
               a->ctx, a->vocab, out_count(n, sizeof n, verb_param_count(&r->model.params)));
    if (a->stack == STACK_MOM)
        out_printf(o, "  mom        %d attn + %d ffn modules, %d steps, top-%d, %s router, tau %g, %s, aux %g\n", a->mom.n_attn,
                   a->mom.n_ffn, a->mom.steps, a->mom.topk, a->mom.router == ROUTER_GRU ? "gru" : "mlp", (double)a->mom.tau,
                   a->mom.renorm ? "renormalised" : "raw weights", (double)a->mom.aux);
    if (is_task(d->kind) && d->min_length > 0 && d->min_length < d->length)
        out_printf(o, "  data       %s, %d symbols, lengths %d..%d, seed %llu\n", data_kind_name(d->kind), d->symbols,
                   d->min_length, d->length, (unsigned long long)d->seed);
    else if (is_task(d->kind))
        out_printf(o, "  data       %s, %d symbols, length %d, seed %llu\n", data_kind_name(d->kind), d->symbols, d->length,
                   (unsigned long long)d->seed);
    else
        out_printf(o, "  data       %s%s, vocab %d, seed %llu\n", d->kind == DATA_TEXT ? "text " : "fortunes",
                   d->kind == DATA_TEXT ? d->path : "", r->data.vocab, (unsigned long long)d->seed);
    if (p->kind == OPT_ADAMW)
        out_printf(o, "  optimizer  adamw lr=%g beta1=%g beta2=%g eps=%g wd=%g clip=%g\n", (double)p->lr, (double)p->beta1,
                   (double)p->beta2, (double)p->eps, (double)p->weight_decay, (double)p->clip);
    else
        out_printf(o, "  optimizer  sgd lr=%g momentum=%g wd=%g clip=%g\n", (double)p->lr, (double)p->beta1,
                   (double)p->weight_decay, (double)p->clip);
    static const char *const sched[] = {"cosine", "linear", "constant"};
    out_printf(o, "  schedule   %s warmup=%d total=%ld min_lr_frac=%g\n", sched[p->schedule], p->warmup, p->steps - p->origin,
               (double)p->min_lr_frac);
    out_printf(o, "  batch      %d rows x %d tokens = %s tokens/step\n", cfg->batch, a->ctx,
               out_count(tok, sizeof tok, (double)cfg->batch * a->ctx));
    if (!header) return;
    if (eval_every) out_printf(o, "  logging    log_every=%d eval_every=%d eval_batches=%d\n", log_every, eval_every, cfg->eval_batches);
    else out_printf(o, "  logging    log_every=%d, no evaluation\n", log_every);
}

static void settings(Out *o, const Run *r, const TrainCfg *cfg, long start, long end, int log_every, int eval_every)
{
    settings_lines(o, r, cfg, start, end, log_every, eval_every, 1);
}

void trainloop_describe(Out *o, const Run *r)
{
    if (!r->has_model || !r->has_data) return;
    TrainCfg cfg = r->cfg;
    if (r->has_trainer) cfg.opt = r->tr.opt.spec;   /* what the last train used, schedule length included */
    settings_lines(o, r, &cfg, 0, 0, 0, 0, 0);
}

/* The TUI's log is a few lines high: the settings in one. */
static void settings_brief(Out *o, const Run *r, const TrainCfg *cfg, long start, long end)
{
    const OptSpec *p = &cfg->opt;
    static const char *const sched[] = {"cosine", "linear", "constant"};
    out_printf(o, "%s: train steps %ld..%ld, %s lr=%g batch=%d, %s schedule over %ld steps (help train)\n", r->name, start + 1,
               end, p->kind == OPT_ADAMW ? "adamw" : "sgd", (double)p->lr, cfg->batch, sched[p->schedule], p->steps - p->origin);
}

static void grads_after_backward(void *ctx, Trainer *tr)
{
    TrainLoop *tl = ctx;
    BlError e;
    if (!tl->grads_due || tr->step + 1 != tl->grads_due) return;
    if (tl->r->probe_mask & PROBE_UPDATES) probe_before_update(&tl->r->prober, tr->model);
    if (!(tl->r->probe_mask & PROBE_GRADS)) return;
    if (probe_run(&tl->r->prober, tr->model, PROBE_GRADS, tl->grads_due, 1, &tl->r->metrics, &e) && !tl->grads_bad[0])
        snprintf(tl->grads_bad, sizeof tl->grads_bad, "%s", e.msg);
}

/* The latest value of a scalar series, 0 if none. */
static double last_value(Metrics *mt, const char *name)
{
    metrics_lock(mt);
    Series *s = metrics_find(mt, name);
    double v = s && s->n ? s->values[(size_t)(s->n - 1) * s->len] : 0;
    metrics_unlock(mt);
    return v;
}

static void record1(Metrics *mt, const char *name, long step, float v)
{
    metrics_lock(mt);
    series_append(metrics_series(mt, name, 1, 1, ""), step, &v);
    metrics_unlock(mt);
}

static void eval_cols(char *buf, size_t cap, const EvalStats *ev)
{
    size_t k = (size_t)snprintf(buf, cap, "  val %.4f", (double)ev->loss);
    if (ev->exact >= 0) snprintf(buf + k, cap - k, "  exact %.3f", (double)ev->exact);
    else snprintf(buf + k, cap - k, "  acc %.3f", (double)ev->token_acc);
}

/* The schedule of this call (optim.h). A first train, or total=N, runs one
 * schedule from step 0. A later train continues a schedule that still has
 * steps left (a stopped call, a resumed checkpoint). Once it has ended, the
 * lr stays where it ended (the schedule is flat past its end), unless this
 * call names lr= or warmup=: then a new cycle starts at this step, warming up
 * from the lr the last one ended at. Jumping back to the peak at once made a
 * loss spike; the rising lr of a new cycle still lifts the loss, which is
 * expected, so the spike alarm rests through the warmup (warmup=0 typed: no
 * warmup, and an alarm at once if the jump makes the loss diverge).
 * Returns what the log must say: 0 nothing, 1 flat, 2 a new cycle. */
static int schedule_continue(TrainLoop *tl, Trainer *tr, const TrainCfg *cfg)
{
    OptSpec prev = tr->opt.spec, *s = &tr->opt.spec;
    *s = cfg->opt;
    s->origin = 0;
    s->warm_from = 0;
    s->steps = cfg->total ? cfg->total : (int)tl->end;
    if (cfg->total || tl->start == 0) return 0;
    if (tl->start < prev.steps) {
        s->origin = prev.origin;
        s->warm_from = prev.warm_from;
        return 0;
    }
    float from = optim_lr(&prev, tl->start);   /* flat past the end */
    if (!cfg->new_cycle) {
        s->steps = prev.steps;
        s->origin = prev.origin;
        s->warm_from = prev.warm_from;
        s->warmup = prev.warmup;
        s->schedule = prev.schedule;
        s->lr = prev.lr;
        s->min_lr_frac = prev.min_lr_frac;
        return optim_lr(s, tl->start) == optim_lr(s, tl->end - 1) ? 1 : 0;
    }
    s->origin = tl->start;
    s->warm_from = from;
    if (s->warmup == 0 && !cfg->warmup_given) {
        /* No warmup asked: a short one (a tenth of the call, at most 100 steps). */
        int w = cfg->steps / 10;
        s->warmup = w < 1 ? 1 : w > 100 ? 100 : w;
    }
    /* Not while the lr climbs; after, its window holds the climb's losses. */
    if (tl->r->health.quiet < s->warmup) tl->r->health.quiet = s->warmup;
    return 2;
}

static void schedule_note(const TrainLoop *tl, const OptSpec *s, int how)
{
    static const char *const sched[] = {"cosine", "linear", "constant"};
    char lb[48];
    const char *ld = lead(tl, lb, sizeof lb);
    if (how == 1)
        out_printf(tl->out, "%sthe schedule ended at step %ld: training goes on at its final lr %.3g (lr=X starts a new "
                            "warmup and decay; total=N spans one schedule over several calls)\n",
                   ld, tl->start, (double)optim_lr(s, tl->start));
    else
        out_printf(tl->out, "%sthe schedule ended at step %ld: a new %s cycle, warmup %d steps from lr %.3g to %g%s (the spike "
                            "alarm rests while the lr climbs)\n",
                   ld, tl->start, sched[s->schedule], s->warmup, (double)s->warm_from, (double)s->lr,
                   s->schedule == SCHED_CONSTANT ? "" : ", then decay");
}

int trainloop_start(TrainLoop *tl, Run *r, const TrainCfg *cfg, Out *out, int brief, BlError *e)
{
    memset(tl, 0, sizeof *tl);
    tl->r = r;
    tl->out = out;
    tl->brief = brief;
    tl->last_loss = NAN;
    TrainCfg saved = r->cfg;
    r->cfg = *cfg;
    Trainer *tr = run_trainer(r, e);
    if (!tr) {
        r->cfg = saved;
        return -1;
    }
    tl->gen = r->trainer_gen;
    tl->start = tr->step;
    tl->end = tl->start + cfg->steps;
    if (tr->opt.spec.kind != cfg->opt.kind && tr->opt.t > 0) {
        /* SGD's momentum is no Adam first moment, and SGD never writes a second
         * one: a switch starts from fresh moments (and says so). */
        memset(tr->opt.m, 0, tr->opt.n * sizeof(float));
        memset(tr->opt.v, 0, tr->opt.n * sizeof(float));
        tr->opt.t = 0;
        out_printf(out, "train: optimizer %s -> %s: fresh optimizer moments\n", tr->opt.spec.kind == OPT_SGD ? "sgd" : "adamw",
                   cfg->opt.kind == OPT_SGD ? "sgd" : "adamw");
    }
    int cycle = schedule_continue(tl, tr, cfg);
    r->cfg.opt.steps = tr->opt.spec.steps;
    /* auto: ten lines per call, but at least one every 100 steps. */
    tl->log_every = cfg->log_every == WS_AUTO ? (cfg->steps >= 1000 ? 100 : cfg->steps >= 10 ? cfg->steps / 10 : 1) : cfg->log_every;
    tl->eval_every = cfg->eval_every == WS_AUTO ? tl->log_every : cfg->eval_every;
    tl->eval_batches = cfg->eval_batches;
    TrainCfg shown = r->cfg;   /* as the trainer runs it: this cycle's warmup */
    shown.opt = tr->opt.spec;
    if (brief) settings_brief(out, r, &shown, tl->start, tl->end);
    else settings(out, r, &shown, tl->start, tl->end, tl->log_every, tl->eval_every);
    if (cycle) schedule_note(tl, &tr->opt.spec, cycle);

    tl->t0 = bl_now();
    tl->train_seconds = last_value(&r->metrics, "time");
    tl->tokens = (double)tr->B * tr->T;
    /* Probes while training (probe NAME every=N): at the first step's start and every N steps. */
    if (r->probe_every > 0 && !run_prober(r, e)) return -1;
    if (r->probe_every > 0 && tl->start == 0 && r->probed_at != 0) {
        if (probe_run(&r->prober, &r->model, r->probe_mask & ~(unsigned)PROBE_GRADS, 0, 0, &r->metrics, e)) return -1;
        r->probed_at = 0;
    }
    /* Always hooked: the hook does nothing on steps without a grads probe, and
     * `probe grads every=N` typed while the TUI trains takes effect at once. */
    tr->after_backward = grads_after_backward;
    tr->after_ctx = tl;
    tl->step = tl->start;
    tl->more = tl->start < tl->end;
    return 0;
}

int trainloop_step(TrainLoop *tl)
{
    if (!tl->more) return 0;
    Run *r = tl->r;
    Trainer *tr = &r->tr;
    Out *o = tl->out;
    char lb[48];
    const char *ld = lead(tl, lb, sizeof lb);
    long end = tl->end;
    int every = r->probe_every;
    unsigned pmask = r->probe_mask;
    StepStats st;
    tl->grads_due = every > 0 && (pmask & (PROBE_GRADS | PROBE_UPDATES)) && (tr->step + 1) % every == 0 ? tr->step + 1 : 0;
    trainer_step(tr, &st);
    tl->step = tr->step;
    tl->step_ms = 1e3 * st.seconds;
    tl->step_loss = st.loss;
    if (tl->grads_bad[0]) {
        out_printf(o, "%sstep %ld/%ld  alarm: %s\n", ld, st.step, end, tl->grads_bad);
        tl->grads_bad[0] = 0;
    }
    if (!st.nonfinite) {
        record1(&r->metrics, "loss", st.step, st.loss);
        for (int i = 0; i < st.n_aux; i++) {   /* each auxiliary term its own series */
            char name[48];
            snprintf(name, sizeof name, "loss.%s", st.aux[i].name);
            record1(&r->metrics, name, st.step, st.aux[i].value);
        }
        record1(&r->metrics, "lr", st.step, st.lr);
        /* Seconds of this run's own steps so far (loss.time's x axis): what
         * a step costs, not the time spent waiting for other runs' turns. The
         * run's first step (allocations, thread start-up: up to a second) is
         * not counted, so the first run does not start late. */
        if (st.step > 1) tl->train_seconds += st.seconds;
        record1(&r->metrics, "time", st.step, (float)tl->train_seconds);
        record1(&r->metrics, "gnorm", st.step, (float)st.grad_norm);
        double zl, zg;
        if (health_step(&r->health, st.loss, st.grad_norm, &zl, &zg))
            out_printf(o, "%sstep %ld/%ld  spike: loss %.4f (z %.1f)  gnorm %.3f (z %.1f)\n", ld, st.step, end, (double)st.loss,
                       zl, st.grad_norm, zg);
        if (every > 0 && st.step % every == 0) {
            BlError pe;
            r->probed_at = st.step;
            if (probe_run(&r->prober, &r->model, pmask & ~(unsigned)PROBE_GRADS, st.step, 0, &r->metrics, &pe)) {
                out_printf(o, "%sstep %ld/%ld  alarm: %s; training stops, parameters kept\n", ld, st.step, end, pe.msg);
                tl->alarm = 1;
                tl->more = 0;
                return 0;
            }
        }
    }
    if (st.nonfinite) {
        out_printf(o, "%sstep %ld/%ld  stopped: %s is NaN or Inf; parameters kept from step %ld, the run is kept\n", ld,
                   st.step, end, st.nonfinite_where, st.step - 1);
        tl->alarm = 1;
        tl->more = 0;
        return 0;
    }
    tl->loss_sum += st.loss;
    for (int i = 0; i < st.n_aux; i++) tl->aux_sum += st.aux[i].value;
    tl->sec_sum += st.seconds;
    tl->n_sum++;
    int eval_now = tl->eval_every > 0 && (tr->step % tl->eval_every == 0 || tr->step == end);
    if (tr->step % tl->log_every == 0 || tr->step == end || eval_now) {
        char evs[96] = "", tps[32];
        if (eval_now) {
            trainer_eval(tr, tl->eval_batches, &tl->ev);
            tl->evaluated = 1;
            eval_cols(evs, sizeof evs, &tl->ev);
            record1(&r->metrics, "val.loss", tr->step, tl->ev.loss);
            if (tl->ev.exact >= 0) record1(&r->metrics, "val.exact", tr->step, tl->ev.exact);
            else record1(&r->metrics, "val.acc", tr->step, tl->ev.token_acc);
        }
        double mean = tl->loss_sum / tl->n_sum, ms = 1e3 * tl->sec_sum / tl->n_sum;
        if (r->model.arch->stack == STACK_MOM) {   /* the load-balancing loss (series loss.aux, spec §A.9) */
            size_t k = strlen(evs);
            snprintf(evs + k, sizeof evs - k, "  aux %.4f", tl->aux_sum / tl->n_sum);
        }
        if (tl->brief)
            out_printf(o, "%sstep %ld/%ld  loss %.4f%s  gnorm %.3f  %.1f ms/step\n", ld, tr->step, end, mean, evs, st.grad_norm, ms);
        else
            out_printf(o, "step %ld/%ld  loss %.4f%s  lr %.2e  gnorm %.3f  tok/s %s  ms/step %.1f\n", tr->step, end, mean, evs,
                       (double)st.lr, st.grad_norm, out_si(tps, sizeof tps, tl->tokens * tl->n_sum / tl->sec_sum), ms);
        r->loss = tl->last_loss = (float)mean;
        r->has_loss = 1;
        if (eval_now) {
            r->val = tl->ev.loss;
            r->exact = tl->ev.exact >= 0 ? tl->ev.exact : tl->ev.token_acc;
            r->has_val = 1;
        }
        tl->loss_sum = tl->sec_sum = tl->aux_sum = 0;
        tl->n_sum = 0;
    }
    tl->more = tr->step < end;
    return tl->more;
}

int trainloop_check(TrainLoop *tl, char *why, size_t cap)
{
    Run *r = tl->r;
    BlError e;
    if (!r->has_trainer || r->trainer_gen != tl->gen) {
        snprintf(why, cap, "its model or trainer was replaced");
        return -1;
    }
    if (!r->has_data || r->data.vocab > r->model.arch->vocab || data_check_ctx(&r->data, r->model.arch->ctx, &e)) {
        snprintf(why, cap, "its new data does not fit the model (train again after model new)");
        return -1;
    }
    if (r->probe_every > 0 && !run_prober(r, &e)) {
        snprintf(why, cap, "%s", e.msg);
        return -1;
    }
    return 0;
}

void trainloop_finish(TrainLoop *tl, int interrupted)
{
    Run *r = tl->r;
    Trainer *tr = &r->tr;
    Out *o = tl->out;
    char lb[48];
    const char *ld = lead(tl, lb, sizeof lb);
    tr->after_backward = NULL;
    tr->after_ctx = NULL;
    double secs = bl_now() - tl->t0;
    long done = tr->step - tl->start, end = tl->end;
    if (tl->n_sum) {
        r->loss = (float)(tl->loss_sum / tl->n_sum);
        r->has_loss = 1;
    }
    if (interrupted)
        out_printf(o, "%sinterrupted at step %ld of %ld; the run is kept (train continues from here)\n", ld, tr->step, end);
    char tps[32], evs[64] = "";
    if (tl->evaluated && tr->step == end) eval_cols(evs, sizeof evs, &tl->ev);
    char losss[32] = "";
    if (r->has_loss && isfinite(r->loss)) snprintf(losss, sizeof losss, "  loss %.4f", (double)r->loss);
    out_printf(o, "%sdone: %ld step%s in %.2f s (%.1f ms/step, %s tok/s)%s%s\n", ld, done, done == 1 ? "" : "s", secs,
               done ? 1e3 * secs / done : 0.0, out_si(tps, sizeof tps, done ? tl->tokens * done / secs : 0), losss, evs);
    tl->more = 0;
}

void trainloop_abandon(TrainLoop *tl, const char *why)
{
    char lb[48];
    out_printf(tl->out, "%straining stopped at step %ld: %s\n", lead(tl, lb, sizeof lb), tl->step, why);
    tl->more = 0;
}
