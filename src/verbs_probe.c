/* verbs_probe.c — `probe` (measure now, or every N steps while training) and
 * `show` (a series as text, or a chart drawn in the terminal). The numbers come
 * from core/probe.c; the charts from ui/chart_metrics.c, the same ones `export`
 * writes to files. */
#define _GNU_SOURCE   /* open_memstream */
#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "chart_metrics.h"
#include "term_chart.h"
#include "verbs.h"
#include "verbs_charts.h"

/* ---- probe ------------------------------------------------------------------------------ */

static void print_vector(Out *o, const char *name, const Series *s, int per_line)
{
    const float *v = series_last(s);
    out_printf(o, "%s at step %ld (by %s):", name, s->steps[s->n - 1], s->xlabel[0] ? s->xlabel : "index");
    if (s->labels) {   /* named entries (tensors, gains): one per line */
        for (int i = 0; i < s->len; i++) out_printf(o, "\n  %-36s %10.4g", s->labels[i], (double)v[i]);
        out_puts(o, "\n");
        return;
    }
    for (int i = 0; i < s->len; i++) {
        if (i % per_line == 0) out_printf(o, "\n  %4d", i);
        out_printf(o, " %9.4g", (double)v[i]);
    }
    out_puts(o, "\n");
}

/* One line per probe: what was measured, with the figures a person reads first. */
static void summarize(Out *o, Metrics *mt, unsigned mask)
{
    metrics_lock(mt);
    Series *s;
    if ((mask & PROBE_RANK) && (s = metrics_find(mt, "rank.cos"))) {
        const float *v = series_last(s);
        int L = s->len - 1;
        out_printf(o, "rank: mean token cosine %.4f at the embeddings -> %.4f after block %d (1 = collapse)\n", (double)v[0],
                   (double)v[L], L - 1);
        Series *r = metrics_find(mt, "rank.rms");
        if (r) out_printf(o, "      token RMS %.4g -> %.4g; see rank.cos, rank.erank, rank.rms\n", (double)series_last(r)[0],
                          (double)series_last(r)[L]);
    }
    if ((mask & PROBE_GRADS) && (s = metrics_find(mt, "grads.global"))) {
        Series *b = metrics_find(mt, "grads.block");
        const float *v = b ? series_last(b) : NULL;
        out_printf(o, "grads: global norm %.4g", (double)series_last(s)[0]);
        if (v) out_printf(o, "; block 0 %.4g, block %d %.4g (grads.block)", (double)v[0], b->len - 1, (double)v[b->len - 1]);
        out_puts(o, "\n");
    }
    if ((mask & PROBE_LNIN) && (s = metrics_find(mt, "lnin.attn"))) print_vector(o, "lnin.attn", s, 8);
    if ((mask & PROBE_ATTN) && (s = metrics_find(mt, "attn.entropy"))) {
        const float *v = series_last(s);
        double lo = v[0], hi = v[0];
        for (int i = 1; i < s->len; i++) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
        out_printf(o, "attn: %d layers x %d heads recorded (attn.0 ... attn.%d); entropy %.3f..%.3f nats\n", s->rows, s->cols,
                   s->rows - 1, lo, hi);
    }
    if ((mask & PROBE_UPDATES) && (s = metrics_find(mt, "updates.dF")))
        out_printf(o, "updates: ||dF|| since the first probe %.4g, since the last %.4g (updates.dF, updates.ratio)\n",
                   (double)series_last(s)[0], (double)series_last(metrics_find(mt, "updates.dF_step"))[0]);
    if ((mask & PROBE_SCALARS) && (s = metrics_find(mt, "scalars"))) {
        const float *v = series_last(s);
        double lo = v[0], hi = v[0];
        for (int i = 1; i < s->len; i++) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
        out_printf(o, "scalars: %d trainable gains, from %.4g to %.4g (show scalars: gain x block map; layer=L: one block over steps)\n", s->len, lo, hi);
    }
    else if (mask & PROBE_SCALARS) out_puts(o, "scalars: this model has no trainable scalar gains (try preset=sas)\n");
    metrics_unlock(mt);
    verb_mom_summary(o, mt, mask);
}

int verb_probe(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    unsigned mask = 0;
    int off = 0;
    for (int i = 0; i < c->n_words; i++) {
        unsigned m;
        if (!strcmp(c->words[i].text, "off")) off = 1;
        else if (probe_parse(c->words[i].text, &m) == 0) mask |= m;
    }
    if (off) {
        if (mask) return bl_fail(e, "`probe off` stops probing during training; it takes no probe names");
        r->probe_every = 0;
        r->probe_mask = 0;
        out_puts(vc->out, "probe: no probes during training\n");
        return 0;
    }
    const CmdArg *every = cmd_arg(c, "every"), *lr = cmd_arg(c, "lr");
    if (!r->has_model) return bl_fail(e, "no model yet: start one with `model new`");
    /* The model passed its own budget; the probe's tape and maps come on top. */
    int sgd_step = (mask & PROBE_UPDATES) && run_step(r) == 0 && !every;
    int recorded = (mask & (PROBE_GRADS | PROBE_MOM)) || sgd_step;
    MemBudget mb;
    if (budget_probe(r->model.arch, RUN_PROBE_ROWS, recorded, (mask & PROBE_ATTN) != 0, (mask & PROBE_UPDATES) != 0, &mb, e))
        return -1;
    if (!verb_force(c) && budget_check(&mb, "probe", "force=on probes anyway", e)) return -1;
    Prober *p = run_prober(r, e);
    if (!p) return -1;
    long step = run_step(r);
    if ((mask & PROBE_UPDATES) && step == 0 && !every) {
        /* At init there is nothing to compare with: DeepNet's one-step update. */
        float eta = lr ? (float)atof(lr->value) : 0.1f;
        double d = probe_sgd_update(p, &r->model, eta);
        float v = (float)d;
        metrics_lock(&r->metrics);
        series_append(metrics_series(&r->metrics, "updates.sgd", 1, 1, ""), 0, &v);
        metrics_unlock(&r->metrics);
        out_printf(vc->out, "updates: ||dF|| after one plain SGD step (lr %g) = %.4g (RMS change of the final-norm output; updates.sgd)\n",
                   (double)eta, d);
        mask &= ~(unsigned)PROBE_UPDATES;
    }
    if (mask) r->probed_at = step;
    if (mask && probe_run(p, &r->model, mask, step, 0, &r->metrics, e)) {
        summarize(vc->out, &r->metrics, mask);
        return -1;
    }
    summarize(vc->out, &r->metrics, mask);
    if (every) {
        r->probe_every = atoi(every->value);
        r->probe_mask = mask;   /* the named set replaces the previous one */
        out_printf(vc->out, "probe: these probes also run every %d steps while training\n", r->probe_every);
    }
    return 0;
}

/* ---- show ------------------------------------------------------------------------------------ */

static const char *const spark_utf8[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
static const char spark_ascii[] = "_.-~=*#@";

static int use_unicode(void)
{
    const char *cs = nl_langinfo(CODESET);
    return tcanvas_unicode_guess(cs);
}

/* A scalar series over steps: first/last/min/max and a sparkline of up to 60 buckets. */
static void show_scalar(Out *o, const Series *s)
{
    int n = s->n, w = n < 60 ? n : 60;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        double v = s->values[i];
        if (isfinite(v)) lo = fmin(lo, v), hi = fmax(hi, v);
    }
    out_printf(o, "%s: %d records, steps %ld..%ld, first %.5g, last %.5g, min %.5g, max %.5g\n  ", s->name, n, s->steps[0],
               s->steps[n - 1], (double)s->values[0], (double)s->values[n - 1], lo, hi);
    int uni = use_unicode();
    for (int b = 0; b < w; b++) {
        int i = (int)((double)b * n / w);
        double v = s->values[i];
        int k = !isfinite(v) || hi <= lo ? 0 : (int)((v - lo) / (hi - lo) * 7.999);
        if (uni) out_puts(o, spark_utf8[k]);
        else out_write(o, &spark_ascii[k], 1);
    }
    out_puts(o, "\n");
}

static void show_matrix(Out *o, const Series *s)
{
    const float *v = series_last(s);
    out_printf(o, "%s at step %ld: %d x %d\n", s->name, s->steps[s->n - 1], s->rows, s->cols);
    int rows = s->rows < 64 ? s->rows : 64;
    if (s->labels) {
        out_puts(o, "      ");
        for (int j = 0; j < s->cols; j++) out_printf(o, " %6.6s", s->labels[j]);
        out_puts(o, "\n");
    }
    for (int i = 0; i < rows; i++) {
        out_printf(o, "  %4d", i);
        for (int j = 0; j < s->cols; j++) out_printf(o, " %6.3f", (double)v[(size_t)i * s->cols + j]);
        out_puts(o, "\n");
    }
    if (rows < s->rows) out_printf(o, "  ... %d more rows (export csv %s file=... has them all)\n", s->rows - rows, s->name);
}

static void show_list(Out *o, Metrics *mt)
{
    if (!mt->n) {
        out_puts(o, "nothing recorded yet: train, or take a probe (probe rank)\n");
        return;
    }
    OutTable t;
    out_table_init(&t, 4);
    t.right[2] = t.right[3] = 1;
    const char *head[4] = {"series", "shape", "records", "last step"};
    out_table_row(&t, head);
    for (int i = 0; i < mt->n; i++) {
        Series *s = mt->s[i];
        char shape[32], n[16], st[24];
        snprintf(shape, sizeof shape, "%dx%d%s%s", s->rows, s->cols, s->xlabel[0] ? " by " : "", s->xlabel);
        snprintf(n, sizeof n, "%d", s->n);
        snprintf(st, sizeof st, "%ld", s->n ? s->steps[s->n - 1] : 0);
        const char *row[4] = {s->name, shape, n, st};
        out_table_row(&t, row);
    }
    out_table_print(o, &t, 0);
    out_table_free(&t);
    out_puts(o, "charts (show NAME, export png NAME):");
    for (const ChartDef *d = chart_defs; d->name; d++) out_printf(o, " %s", d->name);
    out_puts(o, "\n");
}

static int show_chart(VerbCtx *vc, const Cmd *c, const char *name, BlError *e)
{
    ChartRun runs[16];
    int n = 0;
    ChartOpts o;
    if (verb_chart_args(vc, c, runs, 16, &n, &o, e)) return -1;
    Chart *ch = chart_from_metrics(name, runs, n, &o, e);
    if (!ch) return -1;
    if (vc->worker) {
        /* The dashboard draws the chart live, zoomed, instead of text in its log. */
        memset(&vc->cue, 0, sizeof vc->cue);
        snprintf(vc->cue.pane, sizeof vc->cue.pane, "chart");
        snprintf(vc->cue.chart, sizeof vc->cue.chart, "%s", name);
        for (int i = 0; i < n && i < TUI_MAX_RUNS; i++) vc->cue.runs[vc->cue.nruns++] = runs[i].color;
        vc->cue.opts = o;
        vc->cue_set = 1;
        out_printf(vc->out, "show %s: %s (Esc returns to the panes)\n", name, ch->title);
        chart_free(ch);
        return 0;
    }
    const CmdArg *wa = cmd_arg(c, "width"), *ha = cmd_arg(c, "height");
    int w = wa ? atoi(wa->value) : 100, h = ha ? atoi(ha->value) : 24;
    TermCanvas *cv = tcanvas_new(w, h);
    TermStyle st = {.unicode = use_unicode(), .color = vc->out->color ? TERM_COLOR_256 : TERM_COLOR_NONE};
    term_chart_draw(ch, cv, 0, 0, w, h, &st);
    if (vc->out->color) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f) {
            tcanvas_to_ansi(cv, f, st.color);
            fclose(f);
            out_write(vc->out, buf, len);
            free(buf);
        }
    } else {
        size_t len = tcanvas_to_text(cv, NULL, 0);
        char *buf = xmalloc(len + 1);
        tcanvas_to_text(cv, buf, len + 1);
        out_write(vc->out, buf, len);
        free(buf);
    }
    tcanvas_free(cv);
    chart_free(ch);
    return 0;
}

int verb_show(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    Metrics *mt = &r->metrics;
    if (c->n_words == 0) {
        metrics_lock(mt);
        show_list(vc->out, mt);
        metrics_unlock(mt);
        return 0;
    }
    const char *name = c->words[0].text;
    for (const ChartDef *d = chart_defs; d->name; d++)
        if (!strcmp(d->name, name)) return show_chart(vc, c, name, e);
    metrics_lock(mt);
    Series *s = metrics_find(mt, name);
    int rc = 0;
    if (!s || !s->n) rc = bl_fail(e, "no series or chart '%s' (`show` lists what run %s has recorded)", name, r->name);
    else if (s->len == 1) show_scalar(vc->out, s);
    else if (s->rows == 1) print_vector(vc->out, s->name, s, 8);
    else show_matrix(vc->out, s);
    metrics_unlock(mt);
    return rc;
}
