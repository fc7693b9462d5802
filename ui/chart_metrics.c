/* chart_metrics.c — Metrics series → Chart, one builder per chart family.
 * Series names are the probes' (core/probe.h) and the trainer's ("loss",
 * "val.loss", "val.exact", "lr", "gnorm"). Not here: drawing (ui/paint.c,
 * ui/term_chart.c) or files (ui/chart_file.c). */
#include "chart_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void chart_opts_default(ChartOpts *o)
{
    memset(o, 0, sizeof *o);
    o->log_y = -1;
    o->mixed = -1;
}

static int want_log(const ChartOpts *o, int dflt) { return o->log_y < 0 ? dflt : o->log_y; }

/* Reads series `name` of a run under its lock into fresh arrays. */
typedef struct Snap {
    int     n, len, rows, cols;
    char    xlabel[24];
    long   *steps;
    float  *values;
    char  **labels;
} Snap;

static int snap(Metrics *mt, const char *name, Snap *s)
{
    memset(s, 0, sizeof *s);
    metrics_lock(mt);
    Series *se = metrics_find(mt, name);
    if (se && se->n > 0) {
        s->n = se->n;
        s->len = se->len;
        s->rows = se->rows;
        s->cols = se->cols;
        snprintf(s->xlabel, sizeof s->xlabel, "%s", se->xlabel);
        s->steps = xmalloc(sizeof(long) * (size_t)se->n);
        s->values = xmalloc(sizeof(float) * (size_t)se->n * se->len);
        memcpy(s->steps, se->steps, sizeof(long) * (size_t)se->n);
        memcpy(s->values, se->values, sizeof(float) * (size_t)se->n * se->len);
        if (se->labels) {
            s->labels = xcalloc((size_t)se->len, sizeof(char *));
            for (int i = 0; i < se->len; i++) s->labels[i] = xstrdup(se->labels[i] ? se->labels[i] : "");
        }
    }
    metrics_unlock(mt);
    return s->n > 0;
}

static void snap_free(Snap *s)
{
    if (s->labels)
        for (int i = 0; i < s->len; i++) free(s->labels[i]);
    free(s->labels);
    free(s->steps);
    free(s->values);
}

static Chart *missing(BlError *e, const char *series, const char *how)
{
    bl_fail(e, "no '%s' recorded yet: %s", series, how);
    return NULL;
}

/* A heatmap of a bounded quantity is drawn on its fixed range (0..1, or
 * -1..1 where signed) so a colour means the same in every chart and every
 * run; scale=auto fits the data. The colour bar's caption says which. */
static void set_scale(Chart *c, const ChartDef *d, const ChartOpts *o, const char *value_label)
{
    char vl[96];
    const char *v = value_label ? value_label : "value";
    if (d->flags & (CHART_DEF_UNIT | CHART_DEF_SIGNED) && !o->scale_auto) {
        int sgn = !!(d->flags & CHART_DEF_SIGNED);
        chart_heatmap_set_range(c, sgn ? -1 : 0, 1);
        if (sgn) chart_heatmap_set_cmap(c, CHART_CMAP_DIVERGING);
        snprintf(vl, sizeof vl, "%s, fixed %s", v, sgn ? "-1..1" : "0..1");
    } else if (d->flags & (CHART_DEF_UNIT | CHART_DEF_SIGNED)) {
        snprintf(vl, sizeof vl, "%s, auto scale", v);
    } else {
        snprintf(vl, sizeof vl, "%s", v);
    }
    chart_heatmap_set_value_label(c, vl);
}

const char *chart_run_label(const ChartRun *r) { return r->label && r->label[0] ? r->label : r->name; }

void chart_run_stem(const ChartRun *r, char *buf, size_t cap)
{
    /* Letters, digits, '.', '_' and '-' pass; any other run of bytes (spaces,
     * '/', UTF-8) becomes one '-': "Post-LN β=0.1" → "Post-LN-0.1". */
    size_t k = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)chart_run_label(r); *p && k + 1 < cap; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
                 *p == '-';
        if (ok) buf[k++] = (char)*p, dash = 0;
        else if (!dash && k > 0) buf[k++] = '-', dash = 1;
    }
    while (k > 0 && (buf[k - 1] == '-' || buf[k - 1] == '.')) k--;
    buf[k] = 0;
    if (!k || buf[0] == '.') snprintf(buf, cap, "%s", r->name);
}

/* Title "A · what" for one run, "A vs B · what" for two, "3 runs · what" beyond. */
static void title_for(const ChartRun *runs, int n, const char *what, char *buf, size_t cap)
{
    if (n == 1 && runs[0].label && runs[0].label[0]) snprintf(buf, cap, "%s · %s", runs[0].label, what);
    else if (n == 1) snprintf(buf, cap, "run %s · %s", runs[0].name, what);
    else if (n == 2 && ((runs[0].label && runs[0].label[0]) || (runs[1].label && runs[1].label[0])))
        snprintf(buf, cap, "%s vs %s · %s", chart_run_label(&runs[0]), chart_run_label(&runs[1]), what);
    else if (n == 2) snprintf(buf, cap, "runs %s vs %s · %s", runs[0].name, runs[1].name, what);
    else snprintf(buf, cap, "%d runs · %s", n, what);
}

/* The latest record of runs[0]'s `series` in *s (freed by the caller with
 * snap_free) and the chart's title; NULL with the "no ... recorded yet"
 * message when nothing is recorded. For single-run charts of one record. */
static const float *latest(const ChartRun *runs, const char *series, const char *how, const char *what, Snap *s, char *title,
                           size_t cap, BlError *e)
{
    if (!snap(runs[0].metrics, series, s)) {
        missing(e, series, how);
        return NULL;
    }
    title_for(runs, 1, what, title, cap);
    return s->values + (size_t)(s->n - 1) * s->len;
}

/* x[i] becomes the value of series xs at step s->steps[i] (both recorded in
 * step order); points whose step xs lacks are dropped, y kept in step with x.
 * Returns the points kept. */
static int x_from_series(Metrics *mt, const char *xs, const Snap *s, double *x, double *y)
{
    Snap t;
    if (!snap(mt, xs, &t)) return 0;
    int n = 0, j = 0;
    for (int i = 0; i < s->n; i++) {
        while (j < t.n && t.steps[j] < s->steps[i]) j++;
        if (j == t.n) break;
        if (t.steps[j] != s->steps[i]) continue;
        x[n] = t.values[(size_t)j * t.len];
        y[n++] = y[i];
    }
    snap_free(&t);
    return n;
}

/* Scalar series over steps, one line per run (and optional second series dashed by name). */
Chart *chart_build_steps(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    const char *series = d->series, *series2 = d->series2, *what = d->what, *ylabel = d->ylabel, *how = d->how;
    int log_dflt = !!(d->flags & CHART_DEF_LOG_Y);
    char title[160];
    title_for(runs, n, what, title, sizeof title);
    Chart *c = chart_line_new(title);
    chart_set_axis_labels(c, d->xlabel ? d->xlabel : "step", ylabel);
    chart_set_log_y(c, want_log(o, log_dflt));
    int any = 0;
    int untimed = 0;   /* the series is there but not its x series */
    for (int r = 0; r < n; r++) {
        const char *names[2] = {series, series2};
        for (int k = 0; k < 2 && names[k]; k++) {
            Snap s;
            if (!snap(runs[r].metrics, names[k], &s)) continue;
            double *x = xmalloc(sizeof(double) * (size_t)s.n), *y = xmalloc(sizeof(double) * (size_t)s.n);
            double ema = 0, w = 0;
            for (int i = 0; i < s.n; i++) {
                x[i] = (double)s.steps[i];
                y[i] = s.values[(size_t)i * s.len];
                if (o->smooth > 0 && k == 0) {
                    /* Debiased EMA, as TensorBoard's smoothing: divide by 1 − β^t. */
                    ema = o->smooth * ema + (1 - o->smooth) * y[i];
                    w = o->smooth * w + (1 - o->smooth);
                    y[i] = ema / w;
                }
            }
            int np = d->xseries ? x_from_series(runs[r].metrics, d->xseries, &s, x, y) : s.n;
            if (np == 0) {
                free(x);
                free(y);
                snap_free(&s);
                untimed = 1;
                continue;
            }
            char label[96];
            if (n > 1 && series2) snprintf(label, sizeof label, "%s %s", chart_run_label(&runs[r]), names[k]);
            else if (n > 1) snprintf(label, sizeof label, "%s", chart_run_label(&runs[r]));
            else snprintf(label, sizeof label, "%s", names[k]);
            /* A run's second series (val.loss beside loss, dF_step beside dF)
             * keeps the run's colour and is told apart by its dashes and, for
             * sparse evaluations, markers at its points. */
            int i = chart_add_series(c, label, runs[r].color, x, y, np);
            if (k == 1) chart_series_style(c, i, CHART_STYLE_DASHED | (np < 64 ? CHART_STYLE_MARKERS : 0));
            free(x);
            free(y);
            snap_free(&s);
            any = 1;
        }
    }
    if (!any) {
        chart_free(c);
        return untimed ? missing(e, d->xseries, "train again (runs trained by older versions have no time)")
                       : missing(e, series, how);
    }
    if (o->smooth > 0) {
        /* Exports of a smoothed curve say so (title area, CSV comment). */
        char sub[160];
        snprintf(sub, sizeof sub, "%s smoothed: debiased EMA %.3g%s%s%s", series, o->smooth, series2 ? "; " : "",
                 series2 ? series2 : "", series2 ? " raw" : "");
        chart_set_subtitle(c, sub);
    }
    return c;
}

/* A per-layer vector, latest record, one line per run (x = layer). */
Chart *chart_build_depth(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    const char *series = d->series, *series2 = d->series2, *what = d->what, *ylabel = d->ylabel, *how = d->how;
    int log_dflt = !!(d->flags & CHART_DEF_LOG_Y), from_embed = !!(d->flags & CHART_DEF_FROM_EMBED);
    char title[160];
    title_for(runs, n, what, title, sizeof title);
    Chart *c = chart_line_new(title);
    chart_set_axis_labels(c, d->xlabel ? d->xlabel : from_embed ? "layer (0 = embeddings)" : "block", ylabel);
    chart_set_log_y(c, want_log(o, log_dflt));
    int any = 0;
    long step = -1;
    for (int r = 0; r < n; r++) {
        const char *names[2] = {series, series2};
        for (int k = 0; k < 2 && names[k]; k++) {
            Snap s;
            if (!snap(runs[r].metrics, names[k], &s)) continue;
            const float *v = s.values + (size_t)(s.n - 1) * s.len;
            double *y = xmalloc(sizeof(double) * (size_t)s.len);
            for (int i = 0; i < s.len; i++) y[i] = v[i];
            char label[96];
            if (n > 1 && series2) snprintf(label, sizeof label, "%s %s", chart_run_label(&runs[r]), names[k]);
            else snprintf(label, sizeof label, "%s", n > 1 ? chart_run_label(&runs[r]) : names[k]);
            int i = chart_add_series(c, label, runs[r].color, NULL, y, s.len);
            if (k == 1) chart_series_style(c, i, CHART_STYLE_DASHED);   /* mlp beside attn: the run's colour, dashed */
            step = s.steps[s.n - 1];
            free(y);
            snap_free(&s);
            any = 1;
        }
    }
    if (!any) {
        chart_free(c);
        return missing(e, series, how);
    }
    char sub[64];
    snprintf(sub, sizeof sub, "probe at step %ld", step);
    chart_set_subtitle(c, sub);
    return c;
}

/* A per-layer vector over steps: layer × step heatmap of runs[0]. */
Chart *chart_build_depth_map(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s;
    if (!snap(runs[0].metrics, d->series, &s)) return missing(e, d->series, d->how);
    double *v = xmalloc(sizeof(double) * (size_t)s.len * s.n);
    for (int l = 0; l < s.len; l++)
        for (int t = 0; t < s.n; t++) v[(size_t)l * s.n + t] = s.values[(size_t)t * s.len + l];
    char title[160];
    title_for(runs, 1, d->what, title, sizeof title);
    Chart *c = chart_heatmap_new(title, s.len, s.n, v);
    chart_heatmap_set_numbers(c, 0, 0, 1);
    char **steps = xmalloc(sizeof(char *) * (size_t)s.n);
    for (int t = 0; t < s.n; t++) {
        steps[t] = xmalloc(24);
        snprintf(steps[t], 24, "%ld", s.steps[t]);
    }
    chart_heatmap_set_labels(c, 1, (const char *const *)steps);
    chart_set_axis_labels(c, d->xlabel ? d->xlabel : "step", "layer");
    set_scale(c, d, o, d->ylabel);
    for (int t = 0; t < s.n; t++) free(steps[t]);
    free(steps);
    free(v);
    snap_free(&s);
    return c;
}

static Chart *attention_panel(const Snap *s, int head, int T, const char *title)
{
    double *v = xmalloc(sizeof(double) * (size_t)T * T);
    const float *rec = s->values + (size_t)(s->n - 1) * s->len + (size_t)head * T * T;
    for (int i = 0; i < T * T; i++) v[i] = rec[i];
    Chart *c = chart_heatmap_new(title, T, T, v);
    if (s->labels) {
        chart_heatmap_set_labels(c, 0, (const char *const *)s->labels);
        chart_heatmap_set_labels(c, 1, (const char *const *)s->labels);
    }
    chart_set_axis_labels(c, "key", "query");
    free(v);
    return c;
}

/* The attention pane shows what the block computes: the whole mixing matrix
 * αI + βA − γC of a shaped block (αI + βA for value-skip) where the probe
 * recorded it, else the softmax part A. mixed=off (the `a` key) asks for A. */
static Chart *attention_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    char series[48];
    Snap s;
    int mixed = o->mixed != 0;
    snprintf(series, sizeof series, "attn.mixed.%d", o->layer);
    if (!mixed || !snap(runs[0].metrics, series, &s)) {
        if (o->mixed > 0)
            return missing(e, series, "only shaped or value-skip blocks record the mixed matrix; run `probe attn`");
        mixed = 0;
        snprintf(series, sizeof series, "attn.%d", o->layer);
        if (!snap(runs[0].metrics, series, &s)) return missing(e, series, d->how);
    }
    int T = s.cols, H = s.rows / T;
    /* The softmax part A is a probability (0..1); the mixed matrix is signed. */
    static const ChartDef mixed_scale = {.flags = CHART_DEF_SIGNED};
    const ChartDef *sd = mixed ? &mixed_scale : d;
    const char *formula = strstr(s.xlabel, ", ") ? strstr(s.xlabel, ", ") + 2 : "\u03b1I+\u03b2A\u2212\u03b3C";
    const char *vlabel = mixed ? "weight" : "probability";
    int causal = 1;   /* above-diagonal entries are exactly 0 in causal models */
    const float *rec = s.values + (size_t)(s.n - 1) * s.len;
    for (int i = 0; i < T && causal; i++)
        for (int j = i + 1; j < T; j++)
            if (rec[(size_t)i * T + j] != 0.0f) { causal = 0; break; }
    char title[160], what[112], kind[64];
    if (mixed) snprintf(kind, sizeof kind, "attention %s", formula);
    else snprintf(kind, sizeof kind, "attention softmax A");
    snprintf(what, sizeof what, "%s, layer %d%s", kind, o->layer, o->head >= 0 ? "" : ", all heads");
    title_for(runs, 1, what, title, sizeof title);
    Chart *c;
    if (o->head < 0) {
        c = chart_grid_new(title, 0);
        for (int h = 0; h < H; h++) {
            char pt[32];
            snprintf(pt, sizeof pt, "head %d", h);
            Chart *p = attention_panel(&s, h, T, pt);
            if (causal) chart_heatmap_mask_causal(p);
            set_scale(p, sd, o, vlabel);
            chart_grid_add(c, p);
        }
    } else {
        if (o->head >= H) {
            snap_free(&s);
            bl_fail(e, "head=%d: layer %d has heads 0..%d", o->head, o->layer, H - 1);
            return NULL;
        }
        snprintf(what + strlen(what), sizeof what - strlen(what), ", head %d", o->head);
        title_for(runs, 1, what, title, sizeof title);
        c = attention_panel(&s, o->head, T, title);
        if (causal) chart_heatmap_mask_causal(c);
        set_scale(c, sd, o, vlabel);
    }
    char sub[96];
    snprintf(sub, sizeof sub, "probe sequence 0 at step %ld%s", s.steps[s.n - 1], causal ? "; causal" : "");
    chart_set_subtitle(c, sub);
    snap_free(&s);
    return c;
}

Chart *chart_build_matrix(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s;
    if (!snap(runs[0].metrics, d->series, &s)) return missing(e, d->series, d->how);
    double *v = xmalloc(sizeof(double) * (size_t)s.len);
    const float *rec = s.values + (size_t)(s.n - 1) * s.len;
    for (int i = 0; i < s.len; i++) v[i] = rec[i];
    char title[160];
    title_for(runs, 1, d->what, title, sizeof title);
    Chart *c = chart_heatmap_new(title, s.rows, s.cols, v);
    chart_heatmap_set_numbers(c, 0, 0, 1);
    chart_heatmap_set_numbers(c, 1, 0, 1);
    chart_set_axis_labels(c, d->xlabel ? d->xlabel : "column", "layer");
    set_scale(c, d, o, d->ylabel);
    free(v);
    snap_free(&s);
    return c;
}

/* ---- scalar gains ------------------------------------------------------------------
 * The probe names each gain by its parameter: "blocks.3.beta_ff",
 * "blocks.3.attn.alpha[2]" (per head). Drawn as one line each they were ~100
 * lines that no legend could name; here they are grouped by kind (the key a
 * person types: beta.ff, alpha.attn, ...) and by layer. */

/* Parameter name tail → the block key that sets it, in reading order. */
static const char *const gain_kinds[][2] = {
    {"alpha_sa", "alpha.sa"},     {"beta_sa", "beta.sa"},       {"alpha_ff", "alpha.ff"},
    {"beta_ff", "beta.ff"},       {"attn.alpha_v", "alpha.v"},  {"attn.beta_v", "beta.v"},
    {"attn.alpha", "alpha.attn"}, {"attn.beta", "beta.attn"},   {"attn.gamma", "gamma.attn"},
};
#define GAIN_KINDS_KNOWN ((int)(sizeof gain_kinds / sizeof gain_kinds[0]))
#define GAIN_KINDS_MAX 24

typedef struct GainTable {
    int   nkinds, nlayers, heads;          /* heads: the most heads of a per-head gain */
    char  kind[GAIN_KINDS_MAX][64];        /* row names */
    int   order[GAIN_KINDS_MAX];           /* sort key: place in gain_kinds, else after them */
    int  *col_kind, *col_layer;            /* per series column: its row and layer (-1: not a gain of a layer) */
} GainTable;

/* "blocks.3.attn.alpha[2]" → layer 3, tail "attn.alpha"; other names keep
 * layer -1 and their whole name (less any [h]) as tail. */
static void gain_parse(const char *name, int *layer, char *tail, size_t cap)
{
    *layer = -1;
    const char *t = name;
    if (!strncmp(name, "blocks.", 7) && name[7] >= '0' && name[7] <= '9') {
        char *end;
        long l = strtol(name + 7, &end, 10);
        if (*end == '.' && l < 1 << 20) *layer = (int)l, t = end + 1;
    }
    snprintf(tail, cap, "%.*s", (int)strcspn(t, "["), t);
}

static void gain_table(const Snap *s, GainTable *g)
{
    memset(g, 0, sizeof *g);
    g->col_kind = xmalloc(sizeof(int) * (size_t)s->len);
    g->col_layer = xmalloc(sizeof(int) * (size_t)s->len);
    for (int j = 0; j < s->len; j++) {
        char tail[64];
        int layer;
        gain_parse(s->labels ? s->labels[j] : "", &layer, tail, sizeof tail);
        const char *name = tail;
        int order = GAIN_KINDS_KNOWN + j;
        for (int k = 0; k < GAIN_KINDS_KNOWN; k++)
            if (!strcmp(tail, gain_kinds[k][0])) name = gain_kinds[k][1], order = k;
        int row = -1;
        for (int r = 0; r < g->nkinds && row < 0; r++)
            if (!strcmp(g->kind[r], name)) row = r;
        if (row < 0 && g->nkinds < GAIN_KINDS_MAX) {
            row = g->nkinds++;
            snprintf(g->kind[row], sizeof g->kind[row], "%s", name);
            g->order[row] = order;
        }
        g->col_kind[j] = row;
        g->col_layer[j] = layer;
        if (layer + 1 > g->nlayers) g->nlayers = layer + 1;
        if (s->labels && strchr(s->labels[j], '[')) {
            int h = atoi(strchr(s->labels[j], '[') + 1) + 1;
            if (h > g->heads) g->heads = h;
        }
    }
    /* Rows in reading order (skip and branch gains first, then attention's):
     * a stable insertion sort that renumbers col_kind. */
    int perm[GAIN_KINDS_MAX], inv[GAIN_KINDS_MAX];
    for (int r = 0; r < g->nkinds; r++) perm[r] = r;
    for (int i = 1; i < g->nkinds; i++)
        for (int k = i; k > 0 && g->order[perm[k - 1]] > g->order[perm[k]]; k--) {
            int t = perm[k];
            perm[k] = perm[k - 1];
            perm[k - 1] = t;
        }
    char kind[GAIN_KINDS_MAX][64];
    memcpy(kind, g->kind, sizeof kind);
    for (int r = 0; r < g->nkinds; r++) {
        inv[perm[r]] = r;
        memcpy(g->kind[r], kind[perm[r]], sizeof kind[0]);
    }
    for (int j = 0; j < s->len; j++)
        if (g->col_kind[j] >= 0) g->col_kind[j] = inv[g->col_kind[j]];
}

static void gain_table_free(GainTable *g)
{
    free(g->col_kind);
    free(g->col_layer);
}

/* Record i's mean of every column of (kind, layer); NaN when there is none. */
static double gain_mean(const Snap *s, const GainTable *g, int i, int kind, int layer)
{
    double sum = 0;
    int cnt = 0;
    for (int j = 0; j < s->len; j++)
        if (g->col_kind[j] == kind && g->col_layer[j] == layer) sum += s->values[(size_t)i * s->len + j], cnt++;
    return cnt ? sum / cnt : NAN;
}

Chart *chart_build_gains(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s;
    if (!snap(runs[0].metrics, d->series, &s)) return missing(e, d->series, d->how);
    GainTable g;
    gain_table(&s, &g);
    char title[160], what[96], sub[160];
    const char *heads = g.heads > 1 ? "; per-head gains (*.attn): the mean of the heads" : "";
    Chart *c;
    if (o->layer_given) {
        if (o->layer >= g.nlayers) {
            bl_fail(e, "layer=%d: the gains recorded are of blocks 0..%d", o->layer, g.nlayers - 1);
            gain_table_free(&g);
            snap_free(&s);
            return NULL;
        }
        snprintf(what, sizeof what, "%s of block %d", d->what, o->layer);
        title_for(runs, 1, what, title, sizeof title);
        c = chart_line_new(title);
        chart_set_axis_labels(c, "step", "gain");
        double *x = xmalloc(sizeof(double) * (size_t)s.n), *y = xmalloc(sizeof(double) * (size_t)s.n);
        int lines = 0;
        for (int k = 0; k < g.nkinds; k++) {
            for (int i = 0; i < s.n; i++) x[i] = (double)s.steps[i], y[i] = gain_mean(&s, &g, i, k, o->layer);
            if (isnan(y[0])) continue;   /* this block has no such gain */
            chart_add_series(c, g.kind[k], k, x, y, s.n);
            lines++;
        }
        free(x);
        free(y);
        if (!lines) {
            chart_free(c);
            bl_fail(e, "layer=%d: block %d has no trainable gains", o->layer, o->layer);
            c = NULL;
        } else {
            snprintf(sub, sizeof sub, "each gain over steps%s", heads);
            chart_set_subtitle(c, sub);
        }
    } else {
        /* Rows: gain kinds; columns: blocks; the latest record. A block
         * without that gain is greyed out. */
        int R = g.nkinds, C = g.nlayers > 0 ? g.nlayers : 1;
        double *v = xmalloc(sizeof(double) * (size_t)R * C);
        uint8_t *mask = xmalloc((size_t)R * C);
        for (int r = 0; r < R; r++)
            for (int l = 0; l < C; l++) {
                v[(size_t)r * C + l] = gain_mean(&s, &g, s.n - 1, r, g.nlayers > 0 ? l : -1);
                mask[(size_t)r * C + l] = isnan(v[(size_t)r * C + l]);
            }
        title_for(runs, 1, d->what, title, sizeof title);
        c = chart_heatmap_new(title, R, C, v);
        const char *rows[GAIN_KINDS_MAX];
        for (int r = 0; r < R; r++) rows[r] = g.kind[r];
        chart_heatmap_set_labels(c, 0, rows);
        chart_heatmap_set_numbers(c, 1, 0, 1);
        chart_heatmap_set_mask(c, mask);
        chart_set_axis_labels(c, "block", "gain");
        chart_heatmap_set_value_label(c, "value");
        snprintf(sub, sizeof sub, "probe at step %ld; grey: the block has no such gain; layer=L: one block over steps%s",
                 s.steps[s.n - 1], heads);
        chart_set_subtitle(c, sub);
        free(v);
        free(mask);
    }
    gain_table_free(&g);
    snap_free(&s);
    return c;
}

/* Update ratios per tensor: bars named by tensor, log scale, the 1e-3 guide
 * (a common rule of thumb for a healthy step with Adam). */
static Chart *ratio_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s;
    char title[160];
    const float *rec = latest(runs, "updates.ratio", "run `probe updates every=N` while training",
                              "update ratio ||d theta|| / ||theta|| per tensor", &s, title, sizeof title, e);
    if (!rec) return NULL;
    double *y = xmalloc(sizeof(double) * (size_t)s.len);
    char **labels = xmalloc(sizeof(char *) * (size_t)s.len);
    for (int i = 0; i < s.len; i++) {
        y[i] = rec[i];
        /* "blocks.3.mlp.w_in" reads as "3.mlp.w_in" under a bar */
        const char *l = s.labels ? s.labels[i] : "";
        labels[i] = xstrdup(strncmp(l, "blocks.", 7) ? l : l + 7);
    }
    Chart *c = chart_bar_new(title, s.len, (const char *const *)labels);
    chart_add_bars(c, chart_run_label(&runs[0]), runs[0].color, y);
    chart_add_guide(c, 1e-3, "1e-3");
    chart_set_log_y(c, want_log(o, 1));
    chart_set_axis_labels(c, "tensor", "ratio");
    char sub[80];
    snprintf(sub, sizeof sub, "the step to %ld (probe every=N measures one step)", s.steps[s.n - 1]);
    chart_set_subtitle(c, sub);
    for (int i = 0; i < s.len; i++) free(labels[i]);
    free(labels);
    free(y);
    snap_free(&s);
    return c;
}

#define HOW_ROUTER "run `probe router` (or `probe router every=N` while training) on a MoM run"

/* ---- Mixture-of-Modules ------------------------------------------------------------------------------ */

static const char *const mom_kinds[2] = {"attn", "ffn"};
static const char *const mom_titles[2] = {"attention", "FFN"};

/* A MoM chart as attention and FFN panels side by side (one of them when
 * o->mom_kind says so): panel() draws one kind's latest record of series_fmt. */
typedef Chart *(*MomPanelFn)(const Snap *s, int kind);

static Chart *mom_grid(const ChartRun *runs, const ChartOpts *o, const char *what, const char *series_fmt, const char *how,
                       MomPanelFn panel, long *step, BlError *e)
{
    char title[160];
    title_for(runs, 1, what, title, sizeof title);
    Chart *g = chart_grid_new(title, o->mom_kind ? 1 : 2);
    for (int k = 0; k < 2; k++) {
        if (o->mom_kind && o->mom_kind != k + 1) continue;
        char name[40];
        snprintf(name, sizeof name, series_fmt, mom_kinds[k]);
        Snap s;
        if (!snap(runs[0].metrics, name, &s)) {
            chart_free(g);
            return missing(e, name, how);
        }
        chart_grid_add(g, panel(&s, k));
        if (step) *step = s.steps[s.n - 1];
        snap_free(&s);
    }
    return g;
}

/* router.map panel: steps × tokens, colour = module (SKIP recorded as −1 → black). */
static Chart *router_map_panel(const Snap *s, int k)
{
    const float *rec = s->values + (size_t)(s->n - 1) * s->len;
    double *v = xmalloc(sizeof(double) * (size_t)s->len);
    for (int i = 0; i < s->len; i++) v[i] = rec[i] < 0 ? CHART_CATEGORY_MAX : rec[i];
    Chart *p = chart_heatmap_new(mom_titles[k], s->rows, s->cols, v);
    chart_heatmap_set_cmap(p, CHART_CMAP_CATEGORY);
    chart_heatmap_set_range(p, 0, CHART_CATEGORY_MAX);
    chart_heatmap_set_numbers(p, 0, 0, 1);
    if (s->labels) chart_heatmap_set_labels(p, 1, (const char *const *)s->labels);
    chart_set_axis_labels(p, "token", "step");
    chart_heatmap_set_value_label(p, "module");
    free(v);
    return p;
}

static Chart *router_map_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    long step = 0;
    Chart *g = mom_grid(runs, o, "router choices", "router.%s", HOW_ROUTER, router_map_panel, &step, e);
    if (!g) return NULL;
    /* The key: the modules of the larger pool, then SKIP (not 32 palette colours). */
    int pool = 0;
    for (int k = 0; k < 2; k++) {
        char name[40];
        snprintf(name, sizeof name, "router.usage.%s", mom_kinds[k]);
        Snap u;
        if (snap(runs[0].metrics, name, &u) && u.cols - 1 > pool) pool = u.cols - 1;   /* modules + SKIP */
        snap_free(&u);
    }
    if (pool > 0 && pool < CHART_CATEGORY_MAX) {
        double vals[CHART_CATEGORY_MAX + 1];
        char lab[CHART_CATEGORY_MAX + 1][16];
        const char *labs[CHART_CATEGORY_MAX + 1];
        for (int m = 0; m <= pool; m++) {
            vals[m] = m < pool ? m : CHART_CATEGORY_MAX;
            if (m < pool) snprintf(lab[m], sizeof lab[m], "%d", m);
            else snprintf(lab[m], sizeof lab[m], "SKIP");
            labs[m] = lab[m];
        }
        for (int k = 0; k < g->npanels; k++) chart_heatmap_set_key(g->panels[k], pool + 1, vals, labs);
    }
    char sub[96];
    snprintf(sub, sizeof sub, "colour = module, black = SKIP; probe sequence 0 at step %ld", step);
    chart_set_subtitle(g, sub);
    return g;
}

/* router.step: the usage of every module (and SKIP) at one step (o->layer),
 * attention and FFN side by side as two bar series. */
static Chart *router_step_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s[2];
    for (int k = 0; k < 2; k++) {
        char name[40];
        snprintf(name, sizeof name, "router.usage.%s", mom_kinds[k]);
        if (!snap(runs[0].metrics, name, &s[k])) {
            if (k) snap_free(&s[0]);
            return missing(e, name, HOW_ROUTER);
        }
    }
    int H = s[0].rows, h = o->layer < 0 ? 0 : o->layer >= H ? H - 1 : o->layer;
    int M = s[0].cols > s[1].cols ? s[0].cols : s[1].cols;   /* the larger pool + SKIP */
    char **lab = xmalloc(sizeof(char *) * (size_t)M);
    for (int m = 0; m < M; m++) {
        lab[m] = xmalloc(16);
        if (m == M - 1) snprintf(lab[m], 16, "SKIP");
        else snprintf(lab[m], 16, "%d", m);
    }
    /* Short enough for the dashboard's router pane with its legend beside
     * it; the range of steps goes in the subtitle. */
    char title[160], what[64], sub[64];
    snprintf(what, sizeof what, "step %d usage", h);
    title_for(runs, 1, what, title, sizeof title);
    Chart *c = chart_bar_new(title, M, (const char *const *)lab);
    snprintf(sub, sizeof sub, "share of choices per module; steps 0..%d", H - 1);
    chart_set_subtitle(c, sub);
    double *y = xmalloc(sizeof(double) * (size_t)M);
    for (int k = 0; k < 2; k++) {
        if (o->mom_kind && o->mom_kind != k + 1) continue;
        int S = s[k].cols;
        const float *rec = s[k].values + (size_t)(s[k].n - 1) * s[k].len + (size_t)h * S;
        for (int m = 0; m < M; m++) y[m] = m == M - 1 ? rec[S - 1] : m < S - 1 ? rec[m] : 0.0;
        chart_add_bars(c, mom_kinds[k], k, y);
    }
    chart_set_axis_labels(c, "module", "share of choices");
    for (int m = 0; m < M; m++) free(lab[m]);
    free(lab);
    free(y);
    snap_free(&s[0]);
    snap_free(&s[1]);
    return c;
}

/* router.usage panel: bars per step, one series per module (SKIP last, grey). */
static Chart *router_usage_panel(const Snap *s, int k)
{
    int H = s->rows, S = s->cols;
    char **steps = xmalloc(sizeof(char *) * (size_t)H);
    for (int h = 0; h < H; h++) {
        steps[h] = xmalloc(16);
        snprintf(steps[h], 16, "step %d", h);
    }
    Chart *p = chart_bar_new(mom_titles[k], H, (const char *const *)steps);
    const float *rec = s->values + (size_t)(s->n - 1) * s->len;
    double *y = xmalloc(sizeof(double) * (size_t)H);
    for (int m = 0; m < S; m++) {
        for (int h = 0; h < H; h++) y[h] = rec[h * S + m];
        chart_add_bars(p, s->labels ? s->labels[m] : "", m == S - 1 ? 7 : m, y);
    }
    chart_set_axis_labels(p, "step", "share of choices");
    for (int h = 0; h < H; h++) free(steps[h]);
    free(steps);
    free(y);
    return p;
}

static Chart *router_usage_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    return mom_grid(runs, o, "module usage per step", "router.usage.%s", HOW_ROUTER, router_usage_panel, NULL, e);
}

static Chart *router_depth_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s;
    char title[160];
    const float *rec = latest(runs, "router.depth", "run `probe router` on a MoM run",
                              "effective depth (steps a token did not SKIP)", &s, title, sizeof title, e);
    if (!rec) return NULL;
    int D = s.cols;
    char **lab = xmalloc(sizeof(char *) * (size_t)D);
    for (int j = 0; j < D; j++) {
        lab[j] = xmalloc(16);
        snprintf(lab[j], 16, "%d", j);
    }
    Chart *c = chart_bar_new(title, D, (const char *const *)lab);
    double *y = xmalloc(sizeof(double) * (size_t)D);
    for (int k = 0; k < 2; k++) {
        for (int j = 0; j < D; j++) y[j] = rec[k * D + j];
        chart_add_bars(c, mom_titles[k], k, y);
    }
    chart_set_axis_labels(c, "steps used", "share of tokens");
    for (int j = 0; j < D; j++) free(lab[j]);
    free(lab);
    free(y);
    snap_free(&s);
    return c;
}

/* knockout: Δloss bars, one panel per module type. */
static Chart *knockout_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    Snap s;
    char title[160];
    const float *rec = latest(runs, "knockout", "run `probe knockout` on a MoM run", "loss increase with one module knocked out",
                              &s, title, sizeof title, e);
    if (!rec) return NULL;
    Chart *g = chart_grid_new(title, 2);
    for (int k = 0; k < 2; k++) {
        int cnt = 0, idx[64];
        for (int i = 0; i < s.len && cnt < 64; i++)
            if (s.labels && !strncmp(s.labels[i], mom_kinds[k], strlen(mom_kinds[k]))) idx[cnt++] = i;
        if (!cnt) continue;
        const char *lab[64];
        double y[64];
        for (int i = 0; i < cnt; i++) lab[i] = s.labels[idx[i]], y[i] = rec[idx[i]];
        Chart *p = chart_bar_new(mom_titles[k], cnt, lab);
        chart_add_bars(p, "delta loss", k, y);
        chart_set_axis_labels(p, "module", "delta loss (nats)");
        chart_grid_add(g, p);
    }
    char sub[64];
    snprintf(sub, sizeof sub, "probe batch at step %ld", s.steps[s.n - 1]);
    chart_set_subtitle(g, sub);
    snap_free(&s);
    return g;
}

static Chart *modules_sim_panel(const Snap *s, int k)
{
    double *v = xmalloc(sizeof(double) * (size_t)s->len);
    const float *rec = s->values + (size_t)(s->n - 1) * s->len;
    for (int i = 0; i < s->len; i++) v[i] = rec[i];
    Chart *p = chart_heatmap_new(mom_titles[k], s->rows, s->cols, v);
    chart_heatmap_set_cmap(p, CHART_CMAP_DIVERGING);
    chart_heatmap_set_range(p, -1, 1);
    chart_heatmap_set_numbers(p, 0, 0, 1);
    chart_heatmap_set_numbers(p, 1, 0, 1);
    chart_set_axis_labels(p, "module", "module");
    chart_heatmap_set_value_label(p, "cosine");
    free(v);
    return p;
}

static Chart *modules_sim_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    return mom_grid(runs, o, "cosine between module outputs", "modules.sim.%s", "run `probe modules` on a MoM run",
                    modules_sim_panel, NULL, e);
}

/* ---- the table ---------------------------------------------------------------------- */

/* ---- attention replaced by students (src/verbs_distill.c records these) ------- */

/* Student MSE per epoch: one line per run and distilled block (the series holds
 * a by-block vector per record, NaN off the block that epoch trained). */
static Chart *distill_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    char title[160];
    title_for(runs, n, d->what, title, sizeof title);
    Chart *c = chart_line_new(title);
    chart_set_axis_labels(c, "epoch (0 = untrained student)", d->ylabel);
    chart_set_log_y(c, want_log(o, !!(d->flags & CHART_DEF_LOG_Y)));
    int lines = 0;
    for (int r = 0; r < n; r++) {
        Snap s;
        if (!snap(runs[r].metrics, d->series, &s)) continue;
        double *x = xmalloc(sizeof(double) * (size_t)s.n), *y = xmalloc(sizeof(double) * (size_t)s.n);
        for (int l = 0; l < s.len; l++) {
            int k = 0;
            for (int i = 0; i < s.n; i++) {
                float v = s.values[(size_t)i * s.len + l];
                if (isnan(v)) continue;
                x[k] = (double)s.steps[i];
                y[k++] = v;
            }
            if (!k) continue;
            char label[96];
            if (n > 1) snprintf(label, sizeof label, "%s block %d", chart_run_label(&runs[r]), l);
            else snprintf(label, sizeof label, "block %d", l);
            chart_add_series(c, label, n > 1 ? runs[r].color + 2 * l : l, x, y, k);
            lines++;
        }
        free(x);
        free(y);
        snap_free(&s);
    }
    if (!lines) {
        chart_free(c);
        return missing(e, d->series, d->how);
    }
    return c;
}

/* A vertical marker: a two-point line at x spanning 0..1 (exact match). */
static void vertical_mark(Chart *c, double x, const char *label, int color)
{
    double xs[2] = {x, x}, ys[2] = {0, 1};
    chart_add_series(c, label, color, xs, ys, 2);
}

/* Exact match by task length, latest `eval` of each run, with the longest
 * length a hybrid was distilled at and the longest that fits ctx marked. */
static Chart *length_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    char title[160];
    title_for(runs, n, d->what, title, sizeof title);
    Chart *c = chart_line_new(title);
    chart_set_axis_labels(c, "task length n", d->ylabel);
    chart_set_y_range(c, 0, 1);
    int any = 0;
    double distilled = 0, fits = 0;
    for (int r = 0; r < n; r++) {
        Snap s, m;
        if (!snap(runs[r].metrics, d->series, &s)) continue;
        double *x = xmalloc(sizeof(double) * (size_t)s.len), *y = xmalloc(sizeof(double) * (size_t)s.len);
        const float *v = s.values + (size_t)(s.n - 1) * s.len;
        for (int i = 0; i < s.len; i++) {
            x[i] = s.labels ? atof(s.labels[i]) : i;
            y[i] = v[i];
        }
        chart_add_series(c, chart_run_label(&runs[r]), runs[r].color, x, y, s.len);
        if (snap(runs[r].metrics, d->series2, &m)) {
            const float *mk = m.values + (size_t)(m.n - 1) * m.len;
            if (mk[0] > distilled) distilled = mk[0];
            if (mk[1] > fits) fits = mk[1];
            snap_free(&m);
        }
        free(x);
        free(y);
        snap_free(&s);
        any = 1;
    }
    if (!any) {
        chart_free(c);
        return missing(e, d->series, d->how);
    }
    char label[64];
    if (distilled > 0) {
        snprintf(label, sizeof label, "distilled up to n=%g", distilled);
        vertical_mark(c, distilled, label, 7);
    }
    if (fits > 0) {
        snprintf(label, sizeof label, "ctx fits up to n=%g", fits);
        vertical_mark(c, fits, label, 8);
    }
    chart_set_subtitle(c, "held-out exact match; beyond the distilled length a student's positions saw only padding");
    return c;
}

/* Teacher vs hybrids: held-out exact match as bars, the teacher first (from
 * the first run that recorded distill.eval), then each hybrid run. */
static Chart *hybrid_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    double *y = xmalloc(sizeof(double) * (size_t)(n + 1));
    char **labels = xmalloc(sizeof(char *) * (size_t)(n + 1));
    int k = 0;
    for (int r = 0; r < n; r++) {
        Snap s;
        if (!snap(runs[r].metrics, d->series, &s)) continue;
        const float *v = s.values + (size_t)(s.n - 1) * s.len;
        char buf[96];
        if (k == 0) {
            labels[k] = xstrdup("teacher");
            y[k++] = v[0];
        }
        snprintf(buf, sizeof buf, "%s (%ld block%s)", chart_run_label(&runs[r]), s.steps[s.n - 1], s.steps[s.n - 1] == 1 ? "" : "s");
        labels[k] = xstrdup(buf);
        y[k++] = v[1];
        snap_free(&s);
    }
    Chart *c = NULL;
    if (!k) missing(e, d->series, d->how);
    else {
        char title[160];
        title_for(runs, n, d->what, title, sizeof title);
        c = chart_bar_new(title, k, (const char *const *)labels);
        chart_add_bars(c, "held-out exact match", 0, y);
        chart_set_axis_labels(c, "model", d->ylabel);
        chart_set_y_range(c, 0, 1);
    }
    for (int i = 0; i < k; i++) free(labels[i]);
    free(labels);
    free(y);
    return c;
}

/* ---- sweeps (src/verbs_sweep.c, core/sweep.h) -------------------------------------------- */

/* One line per sweep line a run recorded ("sweep.<probe>.<line>": row 0 x,
 * row 1 the values, NaN while pending), markers at the points, since each is
 * a model of its own. x is the swept setting: a log axis when it spans 10x or
 * more (depth 6..1000). */
static Chart *sweep_chart(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%s.", d->series);
    /* The runs that hold lines of this sweep (the others say nothing), each
     * with the names of its lines, read under its lock. */
    enum { MAX_LINES = 64 };
    char (*names)[64] = xmalloc(sizeof *names * MAX_LINES * (size_t)n);
    int *count = xcalloc((size_t)n, sizeof *count), holders = 0;
    for (int r = 0; r < n; r++) {
        Metrics *mt = runs[r].metrics;
        metrics_lock(mt);
        for (int i = 0; i < mt->n && count[r] < MAX_LINES; i++)
            if (!strncmp(mt->s[i]->name, prefix, strlen(prefix)) && mt->s[i]->rows == 2)
                snprintf(names[r * MAX_LINES + count[r]++], 64, "%s", mt->s[i]->name);
        metrics_unlock(mt);
        if (count[r]) holders++;
    }
    /* A sweep is not about the run that holds it: titled by what it measures
     * alone, unless lines of several runs share the chart. */
    char title[160];
    if (holders <= 1) snprintf(title, sizeof title, "%s", d->what);
    else snprintf(title, sizeof title, "%d runs · %s", holders, d->what);
    Chart *c = chart_line_new(title);
    chart_set_log_y(c, want_log(o, !!(d->flags & CHART_DEF_LOG_Y)));
    if (d->flags & CHART_DEF_UNIT) chart_set_y_range(c, 0, 1);
    int lines = 0, done = 0, total = 0;
    double xlo = INFINITY, xhi = -INFINITY;
    char xkey[24] = "";
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < count[r]; i++) {
            Snap s;
            const char *name = names[r * MAX_LINES + i];
            if (!snap(runs[r].metrics, name, &s)) continue;
            int m = s.cols;
            const float *rec = s.values + (size_t)(s.n - 1) * s.len;
            double *x = xmalloc(sizeof(double) * (size_t)m), *y = xmalloc(sizeof(double) * (size_t)m);
            for (int j = 0; j < m; j++) {
                x[j] = rec[j];
                y[j] = rec[m + j];
                xlo = fmin(xlo, x[j]);
                xhi = fmax(xhi, x[j]);
                done += !isnan(y[j]);
            }
            total += m;
            snprintf(xkey, sizeof xkey, "%s", s.xlabel);
            char label[96];
            const char *line = name + strlen(prefix);
            if (holders > 1) snprintf(label, sizeof label, "%s %s", runs[r].name, line);
            else snprintf(label, sizeof label, "%s", line);
            int si = chart_add_series(c, label, lines, x, y, m);
            chart_series_style(c, si, CHART_STYLE_MARKERS);
            lines++;
            free(x);
            free(y);
            snap_free(&s);
        }
    }
    free(names);
    free(count);
    if (!lines) {
        chart_free(c);
        return missing(e, d->series, d->how);
    }
    chart_set_axis_labels(c, xkey, d->ylabel);
    if (xlo > 0 && xhi >= 9.5 * xlo) chart_set_log_x(c, 1);   /* 1e-3..1e-2 as floats too */
    char sub[96];
    if (done < total) snprintf(sub, sizeof sub, "sweep over %s: %d of %d points measured so far", xkey, done, total);
    else snprintf(sub, sizeof sub, "sweep over %s: each point a fresh model, %s", xkey,
                  strcmp(d->name, "sweep.loss") ? "measured at init" : "trained, then evaluated");
    chart_set_subtitle(c, sub);
    return c;
}

#define HOW_TRAIN "train first (`train steps=N`)"
#define HOW_RANK "run `probe rank` (or `probe rank every=N` while training)"

const ChartDef chart_defs[] = {
    {.name = "loss", .help = "training loss (and validation loss) over steps; log-y", .build = chart_build_steps,
     .series = "loss", .series2 = "val.loss", .what = "loss", .ylabel = "cross-entropy (nats)", .how = HOW_TRAIN,
     .flags = CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "loss.time", .help = "training (and validation) loss over seconds of training: wall-clock, not steps; log-y",
     .build = chart_build_steps, .series = "loss", .series2 = "val.loss", .xseries = "time", .what = "loss over training time",
     .xlabel = "seconds of training", .ylabel = "cross-entropy (nats)", .how = HOW_TRAIN, .flags = CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "exact", .help = "held-out exact match over steps (tasks)", .build = chart_build_steps,
     .series = "val.exact", .what = "held-out exact match", .ylabel = "exact match", .how = HOW_TRAIN, .flags = CHART_DEF_OVERLAY},
    {.name = "rank", .help = "mean token cosine by layer, latest probe (1 = rank collapse)", .build = chart_build_depth,
     .series = "rank.cos", .what = "mean token cosine by layer", .ylabel = "cosine", .how = HOW_RANK,
     .flags = CHART_DEF_FROM_EMBED | CHART_DEF_OVERLAY},
    {.name = "rank.map", .help = "mean token cosine, layer x step heatmap (fixed 0-1 scale)", .build = chart_build_depth_map,
     .series = "rank.cos", .what = "mean token cosine, layer x step", .ylabel = "cosine", .how = HOW_RANK,
     .flags = CHART_DEF_UNIT},
    {.name = "erank", .help = "effective rank by layer, latest probe", .build = chart_build_depth,
     .series = "rank.erank", .what = "effective rank by layer", .ylabel = "effective rank", .how = HOW_RANK,
     .flags = CHART_DEF_FROM_EMBED | CHART_DEF_OVERLAY},
    {.name = "rms", .help = "mean token RMS by layer, latest probe (activation growth); log-y", .build = chart_build_depth,
     .series = "rank.rms", .what = "token RMS by layer", .ylabel = "RMS", .how = HOW_RANK,
     .flags = CHART_DEF_FROM_EMBED | CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "grads", .help = "gradient L2 norm per block, latest probe; log-y", .build = chart_build_depth,
     .series = "grads.block", .what = "gradient norm per block", .ylabel = "L2 norm", .how = "run `probe grads`",
     .flags = CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "grads.map", .help = "gradient norm per block, layer x step heatmap", .build = chart_build_depth_map,
     .series = "grads.block", .what = "gradient norm, block x step", .ylabel = "L2 norm",
     .how = "run `probe grads every=N` while training"},
    {.name = "updates", .help = "||dF|| from init and per step (final-norm output) over steps", .build = chart_build_steps,
     .series = "updates.dF", .series2 = "updates.dF_step", .what = "model update ||dF||", .ylabel = "RMS change of F",
     .how = "run `probe updates every=N` while training", .flags = CHART_DEF_OVERLAY},
    {.name = "ratio", .help = "update ratio ||d theta||/||theta|| per tensor, latest probe, with the 1e-3 guide",
     .build = ratio_chart, .series = "updates.ratio", .how = "run `probe updates every=N` while training",
     .flags = CHART_DEF_LOG_Y},
    {.name = "lnin", .help = "RMS of each norm layer's input by layer (DeepNet Fig. 4b/c)", .build = chart_build_depth,
     .series = "lnin.attn", .series2 = "lnin.mlp", .what = "RMS of norm inputs", .ylabel = "RMS", .how = "run `probe lnin`",
     .flags = CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "attn", .help = "attention map of one layer and head (layer= head=; head=-1: all heads)",
     .build = attention_chart, .series = "attn.", .how = "run `probe attn` (layer= picks a block)",
     .flags = CHART_DEF_UNIT | CHART_DEF_LAYER | CHART_DEF_HEAD},
    {.name = "entropy", .help = "attention entropy per layer and head (nats)", .build = chart_build_matrix,
     .series = "attn.entropy", .what = "attention entropy", .xlabel = "head", .ylabel = "nats", .how = "run `probe attn`"},
    {.name = "scalars", .help = "trainable scalar gains: gain x block heatmap, latest probe; layer=L: that block's gains over steps",
     .build = chart_build_gains, .series = "scalars", .what = "scalar gains",
     .how = "run `probe scalars every=N` while training (it records the gains written key~=value, as preset=sas makes them)",
     .flags = CHART_DEF_LAYER},
    {.name = "router.map", .help = "MoM: module chosen per token (x) and step (y), attention and FFN side by side; black = SKIP",
     .build = router_map_chart, .series = "router.attn", .how = HOW_ROUTER},
    {.name = "router.step", .help = "MoM: module usage at one step (layer= picks the step), attention and FFN",
     .build = router_step_chart, .series = "router.usage.attn", .how = HOW_ROUTER, .flags = CHART_DEF_LAYER},
    {.name = "router.usage", .help = "MoM: share of choices per module at each step (bars per step), attention and FFN",
     .build = router_usage_chart, .series = "router.usage.attn", .how = HOW_ROUTER},
    {.name = "router.depth", .help = "MoM: tokens by effective depth (steps not SKIPped)", .build = router_depth_chart,
     .series = "router.depth", .how = HOW_ROUTER},
    {.name = "router.entropy", .help = "MoM: entropy of module usage over steps (nats; low = collapse onto few modules)",
     .build = chart_build_steps, .series = "router.entropy.attn", .series2 = "router.entropy.ffn",
     .what = "router usage entropy", .ylabel = "nats", .how = HOW_ROUTER, .flags = CHART_DEF_OVERLAY},
    {.name = "router.gnorm", .help = "MoM: the routers' gradient norm from the LM loss and from the aux loss, over steps",
     .build = chart_build_steps, .series = "router.gnorm.lm", .series2 = "router.gnorm.aux",
     .what = "router gradient norm from each loss", .ylabel = "L2 norm", .how = HOW_ROUTER, .flags = CHART_DEF_OVERLAY},
    {.name = "aux", .help = "MoM: load-balancing loss over training steps", .build = chart_build_steps, .series = "loss.aux",
     .what = "load-balancing loss", .ylabel = "aux (unscaled)", .how = "train a MoM run (model new stack=mom, or mom from=RUN)", .flags = CHART_DEF_OVERLAY},
    {.name = "knockout", .help = "MoM: loss increase with one module disabled, attention and FFN", .build = knockout_chart,
     .series = "knockout", .how = "run `probe knockout` on a MoM run"},
    {.name = "modules.sim", .help = "MoM: cosine between module outputs on the probe batch, attention and FFN",
     .build = modules_sim_chart, .series = "modules.sim.attn", .how = "run `probe modules` on a MoM run"},
    {.name = "distill.mse", .help = "student masked MSE per epoch, a line per distilled block (and run); log-y",
     .build = distill_chart, .series = "distill.mse", .what = "student MSE while distilling", .ylabel = "masked MSE",
     .how = "run `distill from=RUN` in this run", .flags = CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "distill.val", .help = "student MSE on held-out captured pairs per epoch; log-y",
     .build = distill_chart, .series = "distill.val", .what = "student held-out MSE", .ylabel = "masked MSE",
     .how = "run `distill from=RUN` in this run", .flags = CHART_DEF_LOG_Y | CHART_DEF_OVERLAY},
    {.name = "hybrid", .help = "held-out exact match of the teacher and each hybrid run (runs=B,C,...)",
     .build = hybrid_chart, .series = "distill.eval", .what = "teacher vs hybrids", .ylabel = "exact match",
     .how = "run `distill from=RUN` in this run", .flags = CHART_DEF_OVERLAY},
    {.name = "eval.length", .help = "exact match by task length, distilled and fixed lengths marked (runs=A,B)",
     .build = length_chart, .series = "eval.length", .series2 = "eval.marks", .what = "accuracy by length",
     .ylabel = "exact match", .how = "run `eval length=LO..HI`", .flags = CHART_DEF_OVERLAY},
    {.name = "sweep.rank", .help = "sweep: mean token cosine after the last block against a setting, a line per sweep line",
     .build = sweep_chart, .series = "sweep.rank", .what = "sweep: mean token cosine after the last block",
     .ylabel = "cosine", .how = "run `sweep depth=2,4,8,16 preset=preln,sas probe=rank`", .flags = CHART_DEF_UNIT | CHART_DEF_ALL_RUNS | CHART_DEF_OVERLAY},
    {.name = "sweep.updates", .help = "sweep: ||dF|| after one SGD step against a setting (DeepNet Fig. 5)",
     .build = sweep_chart, .series = "sweep.updates", .what = "sweep: ||dF|| after one plain SGD step",
     .ylabel = "RMS change of F", .how = "run `sweep depth=6,25,100 preset=postln,deepnorm probe=updates`", .flags = CHART_DEF_ALL_RUNS | CHART_DEF_OVERLAY},
    {.name = "sweep.grads", .help = "sweep: global gradient norm at init against a setting; log-y",
     .build = sweep_chart, .series = "sweep.grads", .what = "sweep: global gradient norm at init", .ylabel = "L2 norm",
     .how = "run `sweep depth=6,25,100 preset=postln,deepnorm probe=grads`", .flags = CHART_DEF_LOG_Y | CHART_DEF_ALL_RUNS | CHART_DEF_OVERLAY},
    {.name = "sweep.params", .help = "sweep: parameter count against a setting; log-y",
     .build = sweep_chart, .series = "sweep.params", .what = "sweep: parameters", .ylabel = "parameters",
     .how = "run `sweep width=32,64,128 preset=preln,sas probe=params`", .flags = CHART_DEF_LOG_Y | CHART_DEF_ALL_RUNS | CHART_DEF_OVERLAY},
    {.name = "sweep.loss", .help = "sweep: held-out loss after a short training run against a setting; log-y",
     .build = sweep_chart, .series = "sweep.loss", .what = "sweep: held-out loss after training", .ylabel = "cross-entropy (nats)",
     .how = "run `sweep lr=1e-3,3e-3,1e-2 probe=loss steps=100` (needs data)", .flags = CHART_DEF_LOG_Y | CHART_DEF_ALL_RUNS | CHART_DEF_OVERLAY},
    {NULL},
};

const ChartDef *chart_def_find(const char *name)
{
    for (const ChartDef *d = chart_defs; d->name; d++)
        if (!strcmp(d->name, name)) return d;
    return NULL;
}

Chart *chart_from_metrics(const char *name, const ChartRun *runs, int n, const ChartOpts *o, BlError *e)
{
    ChartOpts dflt;
    if (!o) { chart_opts_default(&dflt); o = &dflt; }
    if (n < 1) return bl_fail(e, "no run to draw"), NULL;
    const ChartDef *d = chart_def_find(name);
    if (d && ((o->layer_given && !(d->flags & CHART_DEF_LAYER)) || (o->head_given && !(d->flags & CHART_DEF_HEAD)))) {
        const char *key = o->layer_given && !(d->flags & CHART_DEF_LAYER) ? "layer" : "head";
        unsigned flag = key[0] == 'l' ? CHART_DEF_LAYER : CHART_DEF_HEAD;
        char list[256];
        size_t k = 0;
        list[0] = 0;
        for (const ChartDef *x = chart_defs; x->name && k < sizeof list; x++)
            if (x->flags & flag) k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", k ? ", " : "", x->name);
        return bl_fail(e, "%s=%d: chart '%s' has no %s to pick (charts that take %s=: %s)", key,
                       key[0] == 'l' ? o->layer : o->head, name, key, key, list), NULL;
    }
    if (d) return d->build(d, runs, n, o, e);
    char list[1024];
    size_t k = 0;
    for (int i = 0; chart_defs[i].name && k < sizeof list; i++)
        k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", chart_defs[i].name);
    return bl_fail(e, "unknown chart '%s' (charts: %s)", name, list), NULL;
}
