/* chart_metrics.h — the charts blocklab shows, built from runs' Metrics: one
 * table of named charts (loss, rank, grads, attn, ...) that every renderer
 * (terminal panes, PNG, SVG, CSV, `show`) draws from, so a chart is described
 * exactly once. Several runs overlay in one chart with the colour of their
 * index, the same in the terminal and in files. */
#ifndef BL_CHART_METRICS_H
#define BL_CHART_METRICS_H

#include "chart.h"
#include "common.h"
#include "metrics.h"

/* One run to draw: its name (legend), its metrics, its colour (palette index). */
typedef struct ChartRun {
    const char *name;
    Metrics    *metrics;
    int         color;
} ChartRun;

typedef struct ChartOpts {
    int    layer, head;   /* attention charts: which layer / head (head -1: all heads as a grid) */
    int    log_y;         /* -1: the chart's default, 0 off, 1 on */
    double smooth;        /* loss: debiased EMA factor in [0, 1) (0: raw) */
    int    mixed;         /* attention: the whole αI + βA − γC where recorded */
} ChartOpts;

void chart_opts_default(ChartOpts *o);   /* layer 0, head 0, default log, no smoothing */

typedef struct ChartDef {
    const char *name;      /* "loss", "rank", "rank.map", ... */
    const char *help;      /* one line for `help export` and the TUI */
} ChartDef;
extern const ChartDef chart_defs[];      /* terminated by {NULL} */

/* Builds chart `name` from runs[0..n) (heatmaps and attention maps use runs[0]
 * only). The caller frees it with chart_free. Returns NULL with a message when
 * the name is unknown or no run has recorded the series yet (saying which probe
 * to run). Locks each run's Metrics while reading. */
Chart *chart_from_metrics(const char *name, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);

#endif
