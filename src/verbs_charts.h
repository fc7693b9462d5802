/* verbs_charts.h — what `show` and `export` share: the runs a chart overlays
 * (runs=A,B or all; colour = the run's place in the workspace, as in the TUI)
 * and the chart options (layer, head, log, smooth, mixed) read from a command. */
#ifndef BL_VERBS_CHARTS_H
#define BL_VERBS_CHARTS_H

#include "chart_metrics.h"
#include "verbs.h"

/* Fills runs[0..*n) and o from c's keys; fails naming an unknown run. */
int verb_chart_args(VerbCtx *vc, const Cmd *c, ChartRun *runs, int cap, int *n, ChartOpts *o, BlError *e);

#endif
