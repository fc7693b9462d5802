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

/* One run to draw: its name, its metrics, its colour (palette index), and the
 * label a person gave it (NULL or "": none), which legends and titles show in
 * place of the name. */
typedef struct ChartRun {
    const char *name;
    Metrics    *metrics;
    int         color;
    const char *label;
} ChartRun;

/* What legends and titles call a run: its label, else its name. */
const char *chart_run_label(const ChartRun *r);
/* The same as a file-name part: the label with every run of characters other
 * than letters, digits, '.', '_' and '-' made one '-' ("Post-LN β=0.1" →
 * "Post-LN-0.1"); the run's name when nothing is left. */
void chart_run_stem(const ChartRun *r, char *buf, size_t cap);

typedef struct ChartOpts {
    int    layer, head;   /* attention charts: which layer / head (head -1: all heads as a grid) */
    int    layer_given, head_given;   /* a person chose them (layer=, head=): a chart that
                                         cannot honour them refuses instead of ignoring them */
    int    log_y;         /* -1: the chart's default, 0 off, 1 on */
    double smooth;        /* loss: debiased EMA factor in [0, 1) (0: raw) */
    int    mixed;         /* attention: -1 the whole αI + βA − γC where recorded, else A; 0 A; 1 the whole */
    int    scale_auto;    /* bounded heatmaps: colour range from the data, not the fixed one */
    int    mom_kind;      /* MoM router charts: 0 attention and FFN, 1 attention only, 2 FFN only
                             (router.step takes its step from layer) */
} ChartOpts;

void chart_opts_default(ChartOpts *o);   /* layer 0, head 0, default log, no smoothing, mixed auto, fixed scales */

/* ---- the chart table ------------------------------------------------------
 * One row per chart, with designated initialisers, so adding a chart is one
 * row: a builder (a family below, or one of its own) and what it reads. */

/* Flags of a row. */
enum {
    CHART_DEF_LOG_Y      = 1u << 0,  /* log y axis by default (`y` toggles it) */
    CHART_DEF_FROM_EMBED = 1u << 1,  /* by-layer charts: index 0 is the embeddings, not block 0 */
    CHART_DEF_UNIT       = 1u << 2,  /* a bounded quantity in [0, 1]: fixed colour scale unless scale=auto */
    CHART_DEF_SIGNED     = 1u << 3,  /* a bounded quantity in [-1, 1]: fixed diverging scale unless scale=auto */
    CHART_DEF_LAYER      = 1u << 4,  /* honours layer= (others refuse it) */
    CHART_DEF_HEAD       = 1u << 5,  /* honours head= (others refuse it) */
    CHART_DEF_OVERLAY    = 1u << 6,  /* draws every run given (runs=A,B), not runs[0] only */
    CHART_DEF_ALL_RUNS   = 1u << 7,  /* without runs=, every run that recorded it (a sweep: whichever run holds it) */
};

typedef struct ChartDef ChartDef;
/* A builder: the chart of row d from runs[0..n); NULL with a message when
 * nothing is recorded. The caller frees the chart. */
typedef Chart *(*ChartBuildFn)(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);

struct ChartDef {
    const char  *name;      /* "loss", "rank", "rank.map", ... */
    const char  *help;      /* one line for `help export` and the TUI */
    ChartBuildFn build;
    const char  *series;    /* the Metrics series it reads */
    const char  *series2;   /* a second one drawn with it (val.loss with loss), or NULL */
    const char  *xseries;   /* steps family: x is this series' value at each step
                               ("time": seconds of training), not the step; or NULL */
    const char  *what;      /* the title after "run A · " */
    const char  *xlabel;    /* NULL: the family's default ("step", "block", ...) */
    const char  *ylabel;    /* the value: y axis, or a heatmap's colour bar */
    const char  *how;       /* what to run when nothing is recorded */
    unsigned     flags;     /* CHART_DEF_* */
};
extern const ChartDef chart_defs[];      /* terminated by {NULL} */

/* The row named name, or NULL. */
const ChartDef *chart_def_find(const char *name);

/* The families, for rows of new charts:
 *   chart_build_steps    one scalar over steps, a line per run (series2 dashed with it)
 *   chart_build_depth    a by-layer vector, latest record, a line per run
 *   chart_build_depth_map a by-layer vector over steps: layer x step heatmap of runs[0]
 *   chart_build_matrix   a rows x cols matrix, latest record, heatmap of runs[0]
 *   chart_build_gains    named gains "blocks.L.KIND[h]": KIND x layer heatmap of the latest
 *                        record (heads averaged); with layer=L, one line per KIND over steps */
Chart *chart_build_steps(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);
Chart *chart_build_depth(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);
Chart *chart_build_depth_map(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);
Chart *chart_build_matrix(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);
Chart *chart_build_gains(const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);

/* Builds chart `name` from runs[0..n) (heatmaps and attention maps use runs[0]
 * only). The caller frees it with chart_free. Returns NULL with a message when
 * the name is unknown or no run has recorded the series yet (saying which probe
 * to run). Locks each run's Metrics while reading. */
Chart *chart_from_metrics(const char *name, const ChartRun *runs, int n, const ChartOpts *o, BlError *e);

#endif
