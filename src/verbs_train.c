/* verbs_train.c — data and train: choosing the token stream and running the
 * training loop with its batch-mode report (settings, one greppable line per
 * interval, a summary). The loop stops on NaN/Inf or Ctrl-C and keeps the run. */
#include "verbs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_task(DataKind k) { return k == DATA_COPY || k == DATA_REVERSE || k == DATA_SORT; }

static void data_line(Out *o, const DataSource *d)
{
    const DataSpec *s = &d->spec;
    char a[32], b[32];
    if (is_task(s->kind))
        out_printf(o, "data: %s, %d symbols, length %d%s, vocab %d, seed %llu (an example reads like ", data_kind_name(s->kind),
                   s->symbols, s->length, s->per_position ? " (per position)" : "", d->vocab, (unsigned long long)s->seed);
    else
        out_printf(o, "data: %s%s, %s characters (%s for validation), vocab %d, seed %llu\n",
                   s->kind == DATA_TEXT ? "text " : "fortunes", s->kind == DATA_TEXT ? s->path : "",
                   out_count(a, sizeof a, (double)d->n_ids), out_count(b, sizeof b, (double)(d->n_ids - d->val_start)), d->vocab,
                   (unsigned long long)s->seed);
    if (is_task(s->kind)) {
        /* Show one held-out example, as the model will see it. */
        int T = d->min_ctx;
        int *tok = xmalloc((size_t)T * sizeof *tok), *tgt = xmalloc((size_t)T * sizeof *tgt);
        float *mask = xmalloc((size_t)T * sizeof *mask);
        data_batch((DataSource *)d, 1, 0, 1, T, tok, tgt, mask);
        char ex[2048] = "";
        int n = s->length;
        for (int i = 0; i < n; i++) data_decode(d, tok[i], ex, sizeof ex);
        if (!s->per_position) data_decode(d, d->sep, ex, sizeof ex);
        else strncat(ex, " -> ", sizeof ex - strlen(ex) - 1);
        for (int i = 0; i < n; i++) data_decode(d, s->per_position ? tgt[i] : (i + 1 < n ? tok[n + 1 + i] : tgt[2 * n - 1]), ex, sizeof ex);
        out_printf(o, "%s)\n", ex);
        free(tok);
        free(tgt);
        free(mask);
    }
}

int verb_fit_data(VerbCtx *vc, Run *r, BlError *e)
{
    if (!r->has_model || !r->has_data) return 0;
    const ArchSpec *a = r->model.arch;
    int want_pp = !a->causal;
    if (is_task(r->data.spec.kind) && r->data.spec.per_position != want_pp) {
        /* An encoder labels every input position; a decoder reads input|answer. */
        DataSpec s = r->data.spec;
        s.per_position = want_pp;
        DataSource d;
        if (data_open(&d, &s, e)) return -1;
        d.position = r->data.position;
        run_set_data(r, &d);
        out_printf(vc->out, "data: now %s for a %s model\n", want_pp ? "labelled per position" : "input|answer",
                   a->causal ? "causal" : "non-causal");
    }
    if (!r->vocab_explicit && run_step(r) == 0 && a->vocab != r->data.vocab && r->data.vocab >= 2) {
        ArchSpec *b = xmalloc(sizeof *b);
        *b = *a;
        b->vocab = r->data.vocab;
        Model m;
        int rc = model_build(&m, b, e);
        free(b);
        if (rc) return -1;
        int old = a->vocab;
        run_set_model(r, &m);
        char n[32];
        out_printf(vc->out, "model: vocab %d -> %d to fit the data (%s params)\n", old, r->data.vocab,
                   out_count(n, sizeof n, verb_param_count(&r->model.params)));
        a = r->model.arch;
    }
    if (r->data.vocab > a->vocab)
        out_printf(vc->out, "note: the data has %d symbols but the model's vocab is %d; train will refuse "
                            "(model new without vocab= sizes it to the data)\n", r->data.vocab, a->vocab);
    BlError sub;
    if (data_check_ctx(&r->data, a->ctx, &sub)) out_printf(vc->out, "note: %s; train will refuse (model new ctx=...)\n", sub.msg);
    if (!a->causal && !is_task(r->data.spec.kind))
        out_puts(vc->out, "note: text data needs a causal model (causal=on); train will refuse\n");
    return 0;
}

int verb_data(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    if (noun < 0 && c->n_args == 0) {
        if (r->has_data) data_line(vc->out, &r->data);
        else out_puts(vc->out, "no data yet: data task=reverse | data text=FILE | data fortunes (help data)\n");
        return 0;
    }
    DataSpec s;
    if (r->has_data) s = r->data.spec;
    else {
        data_spec_default(&s);
        s.seed = vc->ws->seed;
    }
    const CmdArg *task = cmd_arg(c, "task"), *text = cmd_arg(c, "text");
    if ((task != NULL) + (text != NULL) + (noun == 0) > 1)
        return bl_fail(e, "give one source: task=NAME, text=FILE or fortunes");
    if (noun == 0) {
        s.kind = DATA_FORTUNES;
        s.path[0] = 0;
    }
    if (text) {
        s.kind = DATA_TEXT;
        verb_path(text->value, s.path, sizeof s.path);
    }
    if (task) {
        data_kind_parse(task->value, &s.kind);
        s.path[0] = 0;
    }
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *g = &c->args[i];
        const VerbKey *k = verb_key_find(verb_find("data"), g->key);
        double v;
        int ch;
        verb_key_parse(k, g->value, &v, &ch, e);
        vc->err_col = g->col;
        if ((!strcmp(g->key, "symbols") || !strcmp(g->key, "length")) && !is_task(s.kind))
            return bl_fail(e, "%s= is for tasks (copy, reverse, sort); this data is %s", g->key, data_kind_name(s.kind));
        if (!strcmp(g->key, "val") && is_task(s.kind))
            return bl_fail(e, "val= is for text; tasks always hold out the inputs whose hash is 0 mod 10");
        if (!strcmp(g->key, "symbols")) s.symbols = (int)v;
        else if (!strcmp(g->key, "length")) s.length = (int)v;
        else if (!strcmp(g->key, "val")) s.val_frac = v;
        else if (!strcmp(g->key, "seed")) s.seed = strtoull(g->value, NULL, 10);
    }
    vc->err_col = 0;
    s.per_position = r->has_model && !r->model.arch->causal && is_task(s.kind);
    DataSource d;
    if (data_open(&d, &s, e)) {
        if (text) vc->err_col = text->vcol;
        return -1;
    }
    run_set_data(r, &d);
    data_line(vc->out, &r->data);
    return verb_fit_data(vc, r, e);
}

/* ---- train ------------------------------------------------------------------ */

static void settings(Out *o, const Run *r, const TrainCfg *cfg, long start, long end, int log_every, int eval_every)
{
    const ArchSpec *a = r->model.arch;
    const OptSpec *p = &cfg->opt;
    const DataSpec *d = &r->data.spec;
    char n[32], tok[32];
    out_printf(o, "train run %s: steps %ld..%ld, schedule over %d steps\n", r->name, start + 1, end, p->steps);
    out_printf(o, "  model      %d block%s, width %d, %d head%s, ctx %d, vocab %d, %s params\n", a->depth, a->depth == 1 ? "" : "s",
               a->width, a->heads, a->heads == 1 ? "" : "s",
               a->ctx, a->vocab, out_count(n, sizeof n, verb_param_count(&r->model.params)));
    if (is_task(d->kind))
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
    out_printf(o, "  schedule   %s warmup=%d total=%d min_lr_frac=%g\n", sched[p->schedule], p->warmup, p->steps,
               (double)p->min_lr_frac);
    out_printf(o, "  batch      %d rows x %d tokens = %s tokens/step\n", cfg->batch, a->ctx,
               out_count(tok, sizeof tok, (double)cfg->batch * a->ctx));
    if (eval_every) out_printf(o, "  logging    log_every=%d eval_every=%d eval_batches=%d\n", log_every, eval_every, cfg->eval_batches);
    else out_printf(o, "  logging    log_every=%d, no evaluation\n", log_every);
}

static int apply_train_keys(const Cmd *c, TrainCfg *cfg, VerbCtx *vc, BlError *e)
{
    const Verb *verb = verb_find("train");
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *g = &c->args[i];
        const VerbKey *k = verb_key_find(verb, g->key);
        double v;
        int ch;
        if (verb_key_parse(k, g->value, &v, &ch, e)) {
            vc->err_col = g->vcol;
            return -1;
        }
        const char *key = g->key;
        if (!strcmp(key, "steps")) cfg->steps = (int)v;
        else if (!strcmp(key, "lr")) cfg->opt.lr = (float)v;
        else if (!strcmp(key, "batch")) cfg->batch = (int)v;
        else if (!strcmp(key, "opt")) cfg->opt.kind = (OptKind)ch;
        else if (!strcmp(key, "schedule")) cfg->opt.schedule = (SchedKind)ch;
        else if (!strcmp(key, "warmup")) cfg->opt.warmup = (int)v;
        else if (!strcmp(key, "total")) cfg->total = (int)v;
        else if (!strcmp(key, "min_lr_frac")) cfg->opt.min_lr_frac = (float)v;
        else if (!strcmp(key, "clip")) cfg->opt.clip = (float)v;
        else if (!strcmp(key, "wd")) cfg->opt.weight_decay = (float)v;
        else if (!strcmp(key, "beta1")) cfg->opt.beta1 = (float)v;
        else if (!strcmp(key, "beta2")) cfg->opt.beta2 = (float)v;
        else if (!strcmp(key, "eps")) cfg->opt.eps = (float)v;
        else if (!strcmp(key, "log_every")) cfg->log_every = ch == -2 ? WS_AUTO : (int)v;
        else if (!strcmp(key, "eval_every")) cfg->eval_every = ch == -2 ? WS_AUTO : (int)v;
        else if (!strcmp(key, "eval_batches")) cfg->eval_batches = (int)v;
    }
    return 0;
}

/* Raw gradients for the grads probe, read between backward and clipping. */
typedef struct GradProbe {
    Run  *r;
    long  due;        /* the step number whose gradients are wanted */
    char  bad[600];   /* NaN/Inf report */
} GradProbe;

static void grads_after_backward(void *ctx, Trainer *tr)
{
    GradProbe *g = ctx;
    BlError e;
    if (tr->step + 1 != g->due) return;
    if (probe_run(&g->r->prober, tr->model, PROBE_GRADS, g->due, 1, &g->r->metrics, &e) && !g->bad[0])
        snprintf(g->bad, sizeof g->bad, "%s", e.msg);
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

int verb_train(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    TrainCfg cfg = r->cfg;
    if (apply_train_keys(c, &cfg, vc, e)) return -1;
    if (cfg.steps == 0) {
        r->cfg = cfg;
        out_puts(vc->out, "train: settings stored (steps=0 takes no step)\n");
        return 0;
    }
    if (r->has_model && r->has_data && !r->model.arch->causal && !is_task(r->data.spec.kind))
        return bl_fail(e, "text data needs a causal model: model new causal=on");
    TrainCfg saved = r->cfg;
    r->cfg = cfg;
    Trainer *tr = run_trainer(r, e);
    if (!tr) {
        r->cfg = saved;
        return -1;
    }
    long start = tr->step, end = start + cfg.steps;
    tr->opt.spec = cfg.opt;
    tr->opt.spec.steps = cfg.total ? cfg.total : (int)end;
    r->cfg.opt.steps = tr->opt.spec.steps;
    /* auto: ten lines per call, but at least one every 100 steps. */
    int log_every = cfg.log_every == WS_AUTO ? (cfg.steps >= 1000 ? 100 : cfg.steps >= 10 ? cfg.steps / 10 : 1) : cfg.log_every;
    int eval_every = cfg.eval_every == WS_AUTO ? log_every : cfg.eval_every;
    settings(vc->out, r, &r->cfg, start, end, log_every, eval_every);

    StepStats st;
    EvalStats ev = {0};
    double t0 = bl_now(), loss_sum = 0, sec_sum = 0, tokens = (double)tr->B * tr->T;
    int n_sum = 0, evaluated = 0, stopped = 0;
    /* Probes while training (probe NAME every=N): at the first step's start and every N steps. */
    int every = r->probe_every;
    unsigned pmask = r->probe_mask;
    GradProbe gp = {r, 0, ""};
    if (every > 0 && !run_prober(r, e)) return -1;
    if (every > 0 && start == 0 && r->probed_at != 0) {
        if (probe_run(&r->prober, &r->model, pmask & ~(unsigned)PROBE_GRADS, 0, 0, &r->metrics, e)) return -1;
        r->probed_at = 0;
    }
    if (every > 0 && (pmask & PROBE_GRADS)) {
        tr->after_backward = grads_after_backward;
        tr->after_ctx = &gp;
    }
    while (tr->step < end) {
        if (vc->stop && *vc->stop) {
            stopped = 1;
            break;
        }
        gp.due = every > 0 && (tr->step + 1) % every == 0 ? tr->step + 1 : 0;
        trainer_step(tr, &st);
        if (gp.bad[0]) {
            out_printf(vc->out, "step %ld/%ld  alarm: %s\n", st.step, end, gp.bad);
            gp.bad[0] = 0;
        }
        if (!st.nonfinite) {
            record1(&r->metrics, "loss", st.step, st.loss);
            record1(&r->metrics, "lr", st.step, st.lr);
            record1(&r->metrics, "gnorm", st.step, (float)st.grad_norm);
            double zl, zg;
            if (health_step(&r->health, st.loss, st.grad_norm, &zl, &zg))
                out_printf(vc->out, "step %ld/%ld  spike: loss %.4f (z %.1f)  gnorm %.3f (z %.1f)\n", st.step, end, (double)st.loss,
                           zl, st.grad_norm, zg);
            if (every > 0 && st.step % every == 0) {
                BlError pe;
                r->probed_at = st.step;
                if (probe_run(&r->prober, &r->model, pmask & ~(unsigned)PROBE_GRADS, st.step, 0, &r->metrics, &pe)) {
                    out_printf(vc->out, "step %ld/%ld  alarm: %s; training stops, parameters kept\n", st.step, end, pe.msg);
                    stopped = 2;
                    break;
                }
            }
        }
        if (st.nonfinite) {
            out_printf(vc->out, "step %ld/%ld  stopped: %s is NaN or Inf; parameters kept from step %ld, the run is kept\n",
                       st.step, end, st.nonfinite_where, st.step - 1);
            stopped = 2;
            break;
        }
        loss_sum += st.loss;
        sec_sum += st.seconds;
        n_sum++;
        int eval_now = eval_every > 0 && (tr->step % eval_every == 0 || tr->step == end);
        if (tr->step % log_every == 0 || tr->step == end || eval_now) {
            char evs[64] = "", tps[32];
            if (eval_now) {
                trainer_eval(tr, cfg.eval_batches, &ev);
                evaluated = 1;
                eval_cols(evs, sizeof evs, &ev);
                record1(&r->metrics, "val.loss", tr->step, ev.loss);
                if (ev.exact >= 0) record1(&r->metrics, "val.exact", tr->step, ev.exact);
                else record1(&r->metrics, "val.acc", tr->step, ev.token_acc);
            }
            out_printf(vc->out, "step %ld/%ld  loss %.4f%s  lr %.2e  gnorm %.3f  tok/s %s  ms/step %.1f\n", tr->step, end,
                       loss_sum / n_sum, evs, (double)st.lr, st.grad_norm, out_si(tps, sizeof tps, tokens * n_sum / sec_sum),
                       1e3 * sec_sum / n_sum);
            r->loss = (float)(loss_sum / n_sum);
            r->has_loss = 1;
            if (eval_now) {
                r->val = ev.loss;
                r->exact = ev.exact >= 0 ? ev.exact : ev.token_acc;
                r->has_val = 1;
            }
            loss_sum = sec_sum = 0;
            n_sum = 0;
        }
    }
    tr->after_backward = NULL;
    tr->after_ctx = NULL;
    double secs = bl_now() - t0;
    long done = tr->step - start;
    if (n_sum) {
        r->loss = (float)(loss_sum / n_sum);
        r->has_loss = 1;
    }
    if (stopped == 1) {
        out_printf(vc->out, "interrupted at step %ld of %ld; the run is kept (train continues from here)\n", tr->step, end);
        vc->interrupted = 1;
    }
    char tps[32], evs[64] = "";
    if (evaluated && tr->step == end) eval_cols(evs, sizeof evs, &ev);
    char losss[32] = "";
    if (r->has_loss && isfinite(r->loss)) snprintf(losss, sizeof losss, "  loss %.4f", (double)r->loss);
    out_printf(vc->out, "done: %ld step%s in %.2f s (%.1f ms/step, %s tok/s)%s%s\n", done, done == 1 ? "" : "s", secs,
               done ? 1e3 * secs / done : 0.0, out_si(tps, sizeof tps, done ? tokens * done / secs : 0), losss, evs);
    return 0;
}
