/* verbs_train.c — data and train: choosing the token stream, and `train`'s
 * keys; the loop itself is src/trainloop.c, run here in the foreground (batch,
 * REPL: Ctrl-C stops it and keeps the run) or handed to the TUI's worker. */
#include "budget.h"
#include "trainloop.h"
#include "verbs.h"
#include "worker.h"

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
    {
        char len[32];
        if (s->min_length > 0 && s->min_length < s->length) snprintf(len, sizeof len, "lengths %d..%d", s->min_length, s->length);
        else snprintf(len, sizeof len, "length %d", s->length);
        out_printf(o, "data: %s, %d symbols, %s%s, vocab %d, seed %llu (an example reads like ", data_kind_name(s->kind),
                   s->symbols, len, s->per_position ? " (per position)" : "", d->vocab, (unsigned long long)s->seed);
    }
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
        int n = 0;   /* this example's length (variable with minlen) */
        while (n < s->length && tok[n] != d->pad && tok[n] != d->sep) n++;
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
        ArchSpec *b = xcalloc(1, sizeof *b);
        arch_copy(b, a);
        b->vocab = r->data.vocab;
        Model m;
        int rc = model_build(&m, b, e);
        arch_free(b);
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
        if (verb_file(vc, "data text=", text->value, 0, s.path, sizeof s.path, e)) return vc->err_col = text->vcol, -1;
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
        if ((!strcmp(g->key, "symbols") || !strcmp(g->key, "length") || !strcmp(g->key, "minlen")) && !is_task(s.kind))
            return bl_fail(e, "%s= is for tasks (copy, reverse, sort); this data is %s", g->key, data_kind_name(s.kind));
        if (!strcmp(g->key, "val") && is_task(s.kind))
            return bl_fail(e, "val= is for text; tasks always hold out the inputs whose hash is 0 mod 10");
        if (!strcmp(g->key, "symbols")) s.symbols = (int)v;
        else if (!strcmp(g->key, "length")) s.length = (int)v;
        else if (!strcmp(g->key, "minlen")) s.min_length = (int)v;
        else if (!strcmp(g->key, "val")) s.val_frac = v;
        else if (!strcmp(g->key, "max_mb")) s.max_mb = (int)v;
        else if (!strcmp(g->key, "seed")) s.seed = strtoull(g->value, NULL, 10);
    }
    vc->err_col = 0;
    s.per_position = r->has_model && !r->model.arch->causal && is_task(s.kind);
    DataSource d;
    if (data_open(&d, &s, e)) {
        if (text) vc->err_col = text->vcol;
        return -1;
    }
    if (r->has_pending) {
        /* A loaded checkpoint waiting for its text: the same file, seed and split resume its stream. */
        const DataSpec *p = &r->pending_data;
        if (s.kind == p->kind && !strcmp(s.path, p->path) && s.seed == p->seed && s.val_frac == p->val_frac) {
            d.position = r->pending_position;
            out_printf(vc->out, "data: the checkpoint's stream resumes at batch %llu\n", (unsigned long long)d.position);
        } else {
            run_drop_pending(r);
            out_puts(vc->out, "note: not the checkpoint's data: its optimizer moments are dropped\n");
        }
    }
    run_set_data(r, &d);
    data_line(vc->out, &r->data);
    return verb_fit_data(vc, r, e);
}

/* ---- train ------------------------------------------------------------------ */

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

int verb_train(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    TrainCfg cfg = r->cfg;
    if (apply_train_keys(c, &cfg, vc, e)) return -1;
    cfg.warmup_given = cmd_arg(c, "warmup") != NULL;
    cfg.new_cycle = cmd_arg(c, "lr") || cfg.warmup_given;
    if (cfg.steps == 0) {
        r->cfg = cfg;
        out_puts(vc->out, "train: settings stored (steps=0 takes no step)\n");
        return 0;
    }
    if (r->has_model && r->has_data && !r->model.arch->causal && !is_task(r->data.spec.kind))
        return bl_fail(e, "text data needs a causal model: model new causal=on");
    if (r->has_model && (!r->has_trainer || r->tr.B != cfg.batch) && !verb_force(c)) {
        /* The moments (first train only) and the step's activations are allocated now. */
        MemBudget b;
        if (budget_estimate(r->model.arch, cfg.batch, !r->has_trainer, &b, e)) return -1;
        b.total -= b.params + b.grads;   /* already held */
        b.params = b.grads = 0;
        if (budget_check(&b, "train", "force=on trains anyway", e)) return -1;
    }
    if (vc->worker) return worker_train(vc->worker, r, &cfg, e);
    TrainLoop tl;
    if (trainloop_start(&tl, r, &cfg, vc->out, 0, e)) return -1;
    int stopped = 0;
    while (tl.more) {
        if (vc->stop && *vc->stop) {
            stopped = 1;
            break;
        }
        trainloop_step(&tl);
    }
    trainloop_finish(&tl, stopped);
    if (stopped) vc->interrupted = 1;
    return 0;
}
