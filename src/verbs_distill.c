/* verbs_distill.c — `distill` (attention replaced by students distilled from
 * a trained run, spliced into the current run) and `eval` (accuracy by task
 * length). The work is core/hybrid.c; here: keys, checks, progress lines and
 * the series the charts read:
 *   distill.mse, distill.val   1 × depth per epoch (NaN off the layer being trained)
 *   distill.eval               [teacher exact, hybrid exact, teacher loss, hybrid loss],
 *                              step = blocks replaced
 *   distill.len                [shortest, longest] task length distilled at
 *   eval.length                exact match per length (columns labelled by length)
 *   eval.marks                 [longest distilled length (0: none), longest that fits] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "hybrid.h"
#include "verbs.h"

static const char *const mode_names[] = {"alr", "aslr", "alrr", "elr", NULL};
static const char *const size_names[] = {"xs", "s", "m", "l", NULL};

const VerbKey verb_keys_distill[] = {
    {"from", VK_STR, NULL, 0, 0, "", "the trained teacher run (never modified)"},
    {"layers", VK_STR, NULL, 0, 0, "all", "blocks to replace: all, 2 or 1..3"},
    {"mode", VK_ENUM, mode_names, 0, 0, "alr", "cut: alr (heads, W_O kept), aslr (a student per head), alrr (norm+attention+residual), elr (whole block)"},
    {"size", VK_ENUM, size_names, 0, 0, "l", "student hidden width ctx*width/k: xs k=128, s 64, m 8, l 2"},
    {"epochs", VK_INT, NULL, 1, 10000, "21", "passes over the captured pairs"},
    {"sequences", VK_INT, NULL, 1, 1e6, "512", "training sequences captured from the teacher (an eighth as many held out)"},
    {"batch", VK_INT, NULL, 1, 65536, "32", "sequences per Adam step"},
    {"minlen", VK_INT, NULL, 0, 512, "data's", "tasks: shortest example length captured"},
    {"maxlen", VK_INT, NULL, 0, 512, "data's", "tasks: longest example length captured (shorter leaves positions untrained)"},
    {"lr", VK_FLOAT, NULL, 1e-9, 10, "1e-4 alr, else 1e-3", "Adam learning rate (the paper's recipe by default)"},
    {"seed", VK_U64, NULL, 0, 1.8e19, "run seed", "student init and shuffling"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

const VerbKey verb_keys_eval[] = {
    {"length", VK_STR, NULL, 0, 0, "the data's", "task lengths to evaluate: 12 or 4..32"},
    {"runs", VK_STR, NULL, 0, 0, "current", "runs to evaluate: A,B or all (each records its own curve)"},
    {"batches", VK_INT, NULL, 1, 10000, "4", "held-out batches per length"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* "4..32" or "12" → lo, hi. */
static int parse_lengths(const char *s, int *lo, int *hi, BlError *e)
{
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end != s && end[0] == '.' && end[1] == '.') {
        const char *p = end + 2;
        b = strtol(p, &end, 10);
        if (end == p) end = (char *)p - 1;
    }
    if (end == s || *end || a < 1 || b < a || b > 512)
        return bl_fail(e, "length=%s: expected a length (12) or a range (4..32) within 1..512", s);
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}

typedef struct Progress {
    VerbCtx *vc;
    Metrics *mt;       /* where the series go */
    int      depth, epochs;
    float   *row;      /* depth values */
} Progress;

static void record(Metrics *mt, const char *name, int cols, const char *xlabel, long step, const float *v)
{
    metrics_lock(mt);
    series_append(metrics_series(mt, name, 1, cols, xlabel), step, v);
    metrics_unlock(mt);
}

static int on_epoch(void *ctx, int layer, int epoch, double mse, double val)
{
    Progress *p = ctx;
    for (int i = 0; i < p->depth; i++) p->row[i] = NAN;
    p->row[layer] = (float)mse;
    record(p->mt, "distill.mse", p->depth, "layer", epoch, p->row);
    p->row[layer] = (float)val;
    record(p->mt, "distill.val", p->depth, "layer", epoch, p->row);
    if (epoch == 0)
        out_printf(p->vc->out, "distill block %d: untrained student  mse %.3e  held-out %.3e\n", layer, mse, val);
    else
        out_printf(p->vc->out, "distill block %d: epoch %2d/%d  mse %.3e  held-out %.3e\n", layer, epoch, p->epochs, mse, val);
    return p->vc->stop && *p->vc->stop;
}

/* Held-out loss and exact match of m on d (the run's eval settings). */
static void evaluate(Model *m, DataSource *d, int batches, EvalStats *ev)
{
    Trainer tr;
    memset(&tr, 0, sizeof tr);
    tr.model = m;
    tr.data = d;
    tr.B = 32;
    tr.T = m->arch->ctx;
    tr.tokens = xmalloc(sizeof(int) * (size_t)tr.B * tr.T);
    tr.targets = xmalloc(sizeof(int) * (size_t)tr.B * tr.T);
    tr.mask = xmalloc(sizeof(float) * (size_t)tr.B * tr.T);
    tape_init(&tr.tape, 1 << 20);
    trainer_eval(&tr, batches, ev);
    tape_free(&tr.tape);
    free(tr.tokens);
    free(tr.targets);
    free(tr.mask);
}

int verb_distill(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Workspace *ws = vc->ws;
    Run *r = ws_current(ws);
    const CmdArg *from = cmd_arg(c, "from");
    if (!from) return bl_fail(e, "distill needs from=RUN, the trained teacher (e.g. distill from=A layers=1 mode=alr)");
    Run *t = ws_find(ws, from->value);
    if (!t) return vc->err_col = from->vcol, bl_fail(e, "from=%s: no run named '%s' (run list shows them)", from->value, from->value);
    if (t == r)
        return vc->err_col = from->vcol,
               bl_fail(e, "from=%s is the current run: distill writes the hybrid into the current run and never changes "
                          "the teacher; make another run first (run new B; distill from=%s ...)", t->name, t->name);
    if (!t->has_model || !t->has_data) return bl_fail(e, "run %s has no model or no data to distil from", t->name);
    if (run_step(t) == 0)
        return bl_fail(e, "run %s is not trained (step 0): a student of an untrained teacher learns nothing useful; "
                          "train it first (run use %s; train steps=N)", t->name, t->name);
    DistillPlan p;
    distill_plan_default(&p);
    p.seed = r->seed;
    p.lo = 0;
    p.hi = t->model.arch->depth - 1;
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *g = &c->args[i];
        const VerbKey *k = verb_key_find(verb_find("distill"), g->key);
        double v;
        int ch;
        vc->err_col = g->vcol;
        if (verb_key_parse(k, g->value, &v, &ch, e)) return -1;
        if (!strcmp(g->key, "layers")) {
            if (verb_parse_range(g->value, t->model.arch->depth, &p.lo, &p.hi, e)) return -1;
        } else if (!strcmp(g->key, "mode")) p.mode = ch;
        else if (!strcmp(g->key, "size")) p.size = ch;
        else if (!strcmp(g->key, "epochs")) p.epochs = (int)v;
        else if (!strcmp(g->key, "sequences")) p.sequences = (int)v;
        else if (!strcmp(g->key, "batch")) p.batch = (int)v;
        else if (!strcmp(g->key, "minlen")) p.minlen = (int)v;
        else if (!strcmp(g->key, "maxlen")) p.maxlen = (int)v;
        else if (!strcmp(g->key, "lr")) p.lr = (float)v;
        else if (!strcmp(g->key, "seed")) p.seed = strtoull(g->value, NULL, 10);
    }
    vc->err_col = 0;
    const DataSpec *ds = &t->data.spec;
    int task = ds->kind == DATA_COPY || ds->kind == DATA_REVERSE || ds->kind == DATA_SORT;
    if ((p.minlen || p.maxlen) && task) {   /* one given: the other from the data */
        if (!p.maxlen) p.maxlen = ds->length;
        if (!p.minlen) p.minlen = ds->min_length ? ds->min_length : p.maxlen;
    }
    if (hybrid_check(&t->model, &t->data, &p, e)) return -1;
    /* What it will hold at once: the hybrid, one student with Adam, the captured pairs. */
    ArchSpec *ha = xcalloc(1, sizeof *ha);
    arch_copy(ha, t->model.arch);   /* its own blocks: the teacher's spec is never touched */
    for (int l = p.lo; l <= p.hi; l++) {
        ha->blocks[l].attn = (uint8_t)(ATTN_MLP_ALR + p.mode);
        ha->blocks[l].student = (uint8_t)p.size;
    }
    MemBudget mb;
    int brc = budget_estimate(ha, p.batch, 1, &mb, e);
    arch_free(ha);
    free(ha);
    if (brc) return -1;
    double pairs = 4.0 * (p.sequences + p.sequences / 8 + 32) * t->model.arch->ctx * t->model.arch->width * 2 *
                   (p.hi - p.lo + 1);
    mb.activations += pairs;
    mb.total += pairs;
    if (budget_check(&mb, "distill", "choose a smaller size= or fewer sequences=", e)) return -1;   /* no force= here */

    StudentSpec ss;
    student_spec(&ss, p.mode, p.size, t->model.arch->causal, t->model.arch->ctx, t->model.arch->width,
                 t->model.arch->heads, e);
    char a[32];
    out_printf(vc->out, "distill: %s students (size %s, hidden %d, %s params each) into block%s %d..%d of run %s, "
                        "%d epochs on %d captured sequences, lr %g\n",
               mode_names[p.mode], size_names[p.size], ss.hidden, out_si(a, sizeof a, student_params(&ss)),
               p.lo == p.hi ? "" : "s", p.lo, p.hi, t->name, p.epochs, p.sequences,
               p.lr > 0 ? p.lr : (p.mode == STUDENT_ALR ? 1e-4 : 1e-3));
    /* Recorded on the side and moved to the run once it holds the hybrid: a
     * failed or stopped distillation leaves the current run as it was. */
    Metrics side;
    metrics_init(&side);
    Progress pr = {.vc = vc, .mt = &side, .depth = t->model.arch->depth, .epochs = p.epochs};
    pr.row = xmalloc(sizeof(float) * (size_t)pr.depth);
    Model h;
    int rc = hybrid_distill(&t->model, &t->data, &p, on_epoch, &pr, &h, e);
    if (rc) {
        if (vc->stop && *vc->stop) vc->interrupted = 1;
        metrics_free(&side);
        free(pr.row);
        return -1;
    }
    /* The current run becomes the hybrid, with the teacher's data. */
    DataSource d;
    if (data_open(&d, &t->data.spec, e)) {
        model_free(&h);
        metrics_free(&side);
        free(pr.row);
        return -1;
    }
    run_set_model(r, &h);
    run_set_data(r, &d);
    r->vocab_explicit = 1;
    for (int i = 0; i < side.n; i++) {
        Series *s = side.s[i];
        for (int k = 0; k < s->n; k++) record(&r->metrics, s->name, s->len, s->xlabel, s->steps[k], s->values + (size_t)k * s->len);
    }
    metrics_free(&side);
    free(pr.row);

    EvalStats te, he;
    int batches = r->cfg.eval_batches > 0 ? r->cfg.eval_batches : 4;
    evaluate(&t->model, &t->data, batches, &te);
    evaluate(&r->model, &r->data, batches, &he);
    float ev[4] = {te.exact, he.exact, te.loss, he.loss};
    record(&r->metrics, "distill.eval", 4, "", p.hi - p.lo + 1, ev);
    static const char *const ev_labels[] = {"teacher exact", "hybrid exact", "teacher loss", "hybrid loss"};
    metrics_lock(&r->metrics);
    series_set_labels(metrics_find(&r->metrics, "distill.eval"), ev_labels, 4);
    metrics_unlock(&r->metrics);
    float len[2] = {(float)(task ? (p.minlen ? p.minlen : (ds->min_length ? ds->min_length : ds->length)) : 0),
                    (float)(task ? (p.maxlen ? p.maxlen : ds->length) : 0)};
    record(&r->metrics, "distill.len", 2, "", 0, len);
    if (te.exact >= 0)
        out_printf(vc->out, "run %s is now run %s with block%s %d..%d as %s students: held-out exact %.3f (teacher %.3f), "
                            "loss %.4f (teacher %.4f); the teacher is unchanged\n",
                   r->name, t->name, p.lo == p.hi ? "" : "s", p.lo, p.hi, mode_names[p.mode], he.exact, te.exact, he.loss, te.loss);
    else
        out_printf(vc->out, "run %s is now run %s with block%s %d..%d as %s students: held-out loss %.4f (teacher %.4f); "
                            "the teacher is unchanged\n",
                   r->name, t->name, p.lo == p.hi ? "" : "s", p.lo, p.hi, mode_names[p.mode], he.loss, te.loss);
    return 0;
}

/* ---- eval ------------------------------------------------------------------------------ */

static int eval_run(VerbCtx *vc, Run *r, int lo, int hi, int batches, BlError *e)
{
    if (!r->has_model || !r->has_data) return bl_fail(e, "run %s has no model or no data to evaluate", r->name);
    int n = hi - lo + 1;
    float *exact = xmalloc(sizeof(float) * (size_t)n), *token = xmalloc(sizeof(float) * (size_t)n);
    if (hybrid_eval_lengths(&r->model, &r->data, lo, hi, batches, 32, exact, token, e)) {
        free(exact);
        free(token);
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->msg);
        return bl_fail(e, "run %s: %s", r->name, msg);
    }
    char (*names)[8] = xmalloc(sizeof(*names) * (size_t)n);
    const char **labels = xmalloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%d", lo + i);
        labels[i] = names[i];
    }
    metrics_lock(&r->metrics);
    Series *s = metrics_series(&r->metrics, "eval.length", 1, n, "length");
    series_append(s, run_step(r), exact);
    series_set_labels(s, labels, n);
    Series *dl = metrics_find(&r->metrics, "distill.len");
    float marks[2] = {dl && dl->n ? series_last(dl)[1] : 0.0f, (float)hybrid_max_length(&r->model, &r->data)};
    metrics_unlock(&r->metrics);
    record(&r->metrics, "eval.marks", 2, "", run_step(r), marks);
    out_printf(vc->out, "eval run %s, held-out exact match by length%s:\n ", r->name,
               marks[0] > 0 ? " (| = longest distilled length)" : "");
    for (int i = 0; i < n; i++) {
        out_printf(vc->out, " %d:%.2f", lo + i, exact[i]);
        if (marks[0] > 0 && lo + i == (int)marks[0]) out_puts(vc->out, " |");
    }
    out_printf(vc->out, "\n  longest length that fits ctx %d: %d\n", r->model.arch->ctx, (int)marks[1]);
    free(names);
    free(labels);
    free(exact);
    free(token);
    return 0;
}

int verb_eval(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Workspace *ws = vc->ws;
    Run *cur = ws_current(ws);
    const CmdArg *len = cmd_arg(c, "length"), *runs = cmd_arg(c, "runs"), *bt = cmd_arg(c, "batches");
    int batches = bt ? atoi(bt->value) : 4, lo = 1, hi = 1;
    if (!cur->has_data) return bl_fail(e, "no data: choose a task first (data task=reverse)");
    if (len) {
        if (parse_lengths(len->value, &lo, &hi, e)) return vc->err_col = len->vcol, -1;
    } else {
        lo = cur->data.spec.min_length ? cur->data.spec.min_length : cur->data.spec.length;
        hi = cur->data.spec.length;
    }
    Run *list[64];
    int n = 0;
    if (!runs) list[n++] = cur;
    else if (!strcmp(runs->value, "all")) for (int i = 0; i < ws->n && n < 64; i++) list[n++] = ws->runs[i];
    else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", runs->value);
        for (char *tok = strtok(buf, ","); tok && n < 64; tok = strtok(NULL, ",")) {
            Run *r = ws_find(ws, tok);
            if (!r) return vc->err_col = runs->vcol, bl_fail(e, "runs=%s: no run named '%s' (run list shows them)", runs->value, tok);
            list[n++] = r;
        }
    }
    for (int i = 0; i < n; i++)
        if (eval_run(vc, list[i], lo, hi, batches, e)) return -1;
    return 0;
}
