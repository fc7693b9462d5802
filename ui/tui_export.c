/* tui_export.c — the `e` key: the focused pane's charts as PNG and CSV files in
 * the current directory, through the same writers as `export` (ui/render.h),
 * named after the runs and the chart (A-rank.png, A+B-loss.csv); an existing
 * file is never replaced: the next free name (A-rank-2.png) is taken. */
#include "tui_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

/* "A-rank", "A+B-loss" or "Post-LN-loss": the runs drawn (labels where set), then the chart. */
static void stem_of(const ChartRun *runs, int n, const char *chart, char *stem, size_t cap)
{
    size_t k = 0;
    stem[0] = 0;
    for (int i = 0; i < n && k < cap; i++) {
        char part[64];
        chart_run_stem(&runs[i], part, sizeof part);
        k += (size_t)snprintf(stem + k, cap - k, "%s%s", i ? "+" : "", part);
    }
    if (k < cap) snprintf(stem + k, cap - k, "-%s", chart);
}

/* The stem, then stem-2, stem-3... until neither stem.png nor stem.csv exists. */
static int pick_base(const char *stem, char *base, size_t cap)
{
    for (int v = 1; v < 1000; v++) {
        if (v == 1) snprintf(base, cap, "%s", stem);
        else snprintf(base, cap, "%s-%d", stem, v);
        char png[320], csv[320];
        snprintf(png, sizeof png, "%s.png", base);
        snprintf(csv, sizeof csv, "%s.csv", base);
        if (access(png, F_OK) != 0 && access(csv, F_OK) != 0) return 0;
    }
    return -1;
}

/* Drawing a 1200x800 PNG takes a few hundred ms: the files are written on a
 * thread of their own so the keys keep answering. One export at a time (a
 * mutex), so two quick presses pick different free names. */
typedef struct ExportJob {
    TuiLog *log;
    int     n;
    Chart  *chart[2];
    char    stem[2][256];   /* "A-rank" before the free-name search */
    char    what[2][32];
} ExportJob;

static pthread_mutex_t export_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  export_cv = PTHREAD_COND_INITIALIZER;
static int             exporting;

static void *export_main(void *arg)
{
    ExportJob *j = arg;
    pthread_mutex_lock(&export_mu);
    char cwd[512];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    for (int i = 0; i < j->n; i++) {
        char base[300], png[320], csv[320];
        BlError e;
        if (pick_base(j->stem[i], base, sizeof base)) {
            tui_log_printf(j->log, TUI_LOG_ERR, "export %s: no free file name in %s\n", j->what[i], cwd);
        } else {
            snprintf(png, sizeof png, "%s.png", base);
            snprintf(csv, sizeof csv, "%s.csv", base);
            if (chart_write_png(j->chart[i], png, 0, 0, 0, &e) || chart_write_csv(j->chart[i], csv, 0, &e))
                tui_log_printf(j->log, TUI_LOG_ERR, "export %s: %s\n", j->what[i], e.msg);
            else
                tui_log_printf(j->log, TUI_LOG_INFO, "exported %s and %s to %s\n", png, csv, cwd);
        }
        chart_free(j->chart[i]);
    }
    free(j);
    exporting--;
    pthread_cond_broadcast(&export_cv);
    pthread_mutex_unlock(&export_mu);
    return NULL;
}

void tui_export_wait(void)
{
    pthread_mutex_lock(&export_mu);
    while (exporting > 0) pthread_cond_wait(&export_cv, &export_mu);
    pthread_mutex_unlock(&export_mu);
}

void tui_export(Tui *t)
{
    Pane *pn = &t->pane[t->focus];
    TuiLog *log = t->host->log;
    if (!pn->nslots) {
        tui_log_printf(log, TUI_LOG_INFO, "the %s pane is text: %s\n", pn->title,
                       t->focus == PANE_ARCH ? "`arch` prints it, `arch spec` the one line that rebuilds the model"
                                             : "select it with the mouse (Shift+drag) to copy");
        snprintf(t->flash, sizeof t->flash, "nothing to export from the %s pane", pn->title);
        return;
    }
    /* The charts are built here, as they are on screen; the thread only writes. */
    ExportJob *j = xcalloc(1, sizeof *j);
    j->log = log;
    char names[200] = "";
    size_t k = 0;
    for (int i = 0; i < pn->nslots; i++) {
        ChartSlot *s = &pn->slot[i];
        ChartRun runs[TUI_MAX_RUNS];
        int n = tui_slot_runs(t, s, runs, TUI_MAX_RUNS);
        ChartOpts o;
        tui_slot_opts(t, s, &o);
        BlError e;
        Chart *c = n ? chart_from_metrics(s->chart, runs, n, &o, &e) : NULL;
        if (!c) {
            tui_log_printf(log, TUI_LOG_ERR, "export %s: %s\n", s->chart, n ? e.msg : "no run yet");
            continue;
        }
        stem_of(runs, n, s->chart, j->stem[j->n], sizeof j->stem[0]);
        snprintf(j->what[j->n], sizeof j->what[0], "%s", s->chart);
        if (k < sizeof names) k += (size_t)snprintf(names + k, sizeof names - k, "%s%s.png", k ? ", " : "", j->stem[j->n]);
        j->chart[j->n++] = c;
    }
    if (!j->n) {
        free(j);
        snprintf(t->flash, sizeof t->flash, "nothing to export yet: the pane's charts have no data");
        return;
    }
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&export_mu);
    exporting++;
    pthread_mutex_unlock(&export_mu);
    if (pthread_create(&th, &at, export_main, j)) export_main(j);   /* no thread: write here */
    pthread_attr_destroy(&at);
    snprintf(t->flash, sizeof t->flash, "exporting %.120s (and .csv): the log says when", names);
}
