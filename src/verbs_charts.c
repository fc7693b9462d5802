/* verbs_charts.c — runs= and chart options for `show` and `export`. */
#include "verbs_charts.h"

#include <stdlib.h>
#include <string.h>

static int add_run(Workspace *ws, int idx, ChartRun *runs, int cap, int *n)
{
    for (int i = 0; i < *n; i++)
        if (runs[i].metrics == &ws->runs[idx]->metrics) return 0;   /* listed twice */
    if (*n >= cap) return -1;
    runs[*n] = (ChartRun){ws->runs[idx]->name, &ws->runs[idx]->metrics, idx, ws->runs[idx]->label};
    (*n)++;
    return 0;
}

int verb_chart_args(VerbCtx *vc, const Cmd *c, ChartRun *runs, int cap, int *n, ChartOpts *o, BlError *e)
{
    Workspace *ws = vc->ws;
    chart_opts_default(o);
    *n = 0;
    const CmdArg *a = cmd_arg(c, "runs");
    /* A sweep's chart, whichever run holds its lines: every run by default. */
    int all = 0;
    for (int i = 0; i < c->n_words; i++) {
        const ChartDef *d = chart_def_find(c->words[i].text);
        if (d && (d->flags & CHART_DEF_ALL_RUNS)) all = 1;
    }
    if (!a && all) {
        for (int i = 0; i < ws->n; i++) add_run(ws, i, runs, cap, n);
    } else if (!a) {
        add_run(ws, ws->cur, runs, cap, n);
    } else if (!strcmp(a->value, "all")) {
        for (int i = 0; i < ws->n; i++) add_run(ws, i, runs, cap, n);
    } else {
        char *copy = xstrdup(a->value), *save = NULL;
        for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            int found = -1;
            for (int i = 0; i < ws->n; i++)
                if (!strcmp(ws->runs[i]->name, name)) found = i;
            if (found < 0) {
                bl_fail(e, "runs=%s: no run named '%s' (run list shows them)", a->value, name);
                free(copy);
                return -1;
            }
            add_run(ws, found, runs, cap, n);
        }
        free(copy);
    }
    if ((a = cmd_arg(c, "layer"))) o->layer = atoi(a->value), o->layer_given = 1;
    if ((a = cmd_arg(c, "head"))) o->head = atoi(a->value), o->head_given = 1;
    if ((a = cmd_arg(c, "log"))) o->log_y = !strcmp(a->value, "on");
    if ((a = cmd_arg(c, "smooth"))) o->smooth = atof(a->value);
    if ((a = cmd_arg(c, "mixed"))) o->mixed = !strcmp(a->value, "on");
    if ((a = cmd_arg(c, "scale"))) o->scale_auto = !strcmp(a->value, "auto");
    return 0;
}
