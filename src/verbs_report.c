/* verbs_report.c — `report DIR`: every chart of the chosen runs as PNG, SVG and
 * CSV under DIR/figures, and DIR/index.html (src/report_html.h) with the runs'
 * labels, architectures, settings and parameters, the figures in order.
 *
 * Layout (README "Reports", man page `report`):
 *     DIR/index.html            the page (self-contained: inline CSS, relative links)
 *     DIR/figures/NN-CHART[-RUN][-layerL].{png,svg,csv}
 *     DIR/.blocklab-report      marks DIR as a report, so the next `report DIR` may replace it
 *
 * Nothing is half-written: everything goes into a hidden sibling folder first,
 * which replaces DIR by rename only once it is whole. An existing DIR that is
 * not a report (and not empty) is kept unless force=on, and even then moved
 * aside, never deleted. In a scene the sandbox decides where DIR may be. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch_draw.h"
#include "render.h"
#include "report_html.h"
#include "strbuf.h"
#include "trainloop.h"
#include "verbs_charts.h"

#define REPORT_MARK ".blocklab-report"
#define REPORT_MAX_FIGS 512
#define REPORT_MAX_RUNS 16

/* ---- the folder ----------------------------------------------------------------------------- */

typedef enum { DIR_ABSENT, DIR_EMPTY, DIR_REPORT, DIR_OTHER, DIR_NOT_A_DIR } DirState;

static DirState dir_state(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return DIR_ABSENT;
    if (!S_ISDIR(st.st_mode)) return DIR_NOT_A_DIR;
    char mark[PATH_MAX + 32];
    snprintf(mark, sizeof mark, "%s/" REPORT_MARK, path);
    if (access(mark, F_OK) == 0) return DIR_REPORT;
    DIR *d = opendir(path);
    if (!d) return DIR_OTHER;
    struct dirent *de;
    int empty = 1;
    while (empty && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = 0;
    closedir(d);
    return empty ? DIR_EMPTY : DIR_OTHER;
}

/* Removes what a report folder holds (index.html, the mark, figures/ and the
 * plain files in it), then the folder. Anything else stays, and so does the
 * folder: returns -1 then. */
static int remove_report(const char *dir)
{
    char p[PATH_MAX + 300];
    snprintf(p, sizeof p, "%s/figures", dir);
    DIR *d = opendir(p);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char f[PATH_MAX + 600];
            struct stat st;
            snprintf(f, sizeof f, "%s/%s", p, de->d_name);
            if (lstat(f, &st) == 0 && S_ISREG(st.st_mode)) unlink(f);
        }
        closedir(d);
        rmdir(p);
    }
    snprintf(p, sizeof p, "%s/index.html", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/" REPORT_MARK, dir);
    unlink(p);
    return rmdir(dir);
}

/* ---- what goes in -------------------------------------------------------------------------- */

typedef struct Report {
    VerbCtx      *vc;
    const char   *tmp;          /* the folder being written */
    int           W, H;
    ChartRun      runs[REPORT_MAX_RUNS];
    int           ws_index[REPORT_MAX_RUNS];
    int           nruns;
    ReportFigure *figs;
    int           nfigs;
} Report;

/* Draws one chart into figures/ as PNG, SVG and CSV; a chart with nothing
 * recorded is skipped (0). -1 only when a file cannot be written. */
static int add_figure(Report *rp, const ChartDef *d, const ChartRun *runs, int n, const ChartOpts *o, const char *suffix,
                      BlError *e)
{
    if (rp->nfigs >= REPORT_MAX_FIGS) return 0;
    BlError why;
    Chart *ch = chart_from_metrics(d->name, runs, n, o, &why);
    if (!ch) return 0;
    ReportFigure *f = &rp->figs[rp->nfigs];
    memset(f, 0, sizeof *f);
    snprintf(f->stem, sizeof f->stem, "figures/%02d-%.40s%.80s", rp->nfigs + 1, d->name, suffix);
    snprintf(f->title, sizeof f->title, "%s", ch->title);
    snprintf(f->subtitle, sizeof f->subtitle, "%s", ch->subtitle);
    snprintf(f->about, sizeof f->about, "%s%s", d->help, d->help[0] ? "." : "");
    if (f->about[0] >= 'a' && f->about[0] <= 'z') f->about[0] = (char)(f->about[0] - 'a' + 'A');
    char path[PATH_MAX + 200];
    int rc = 0;
    snprintf(path, sizeof path, "%s/%s.png", rp->tmp, f->stem);
    rc = chart_write_png(ch, path, rp->W, rp->H, 0, e);
    snprintf(path, sizeof path, "%s/%s.svg", rp->tmp, f->stem);
    if (!rc) rc = chart_write_svg(ch, path, rp->W, rp->H, 0, e);
    snprintf(path, sizeof path, "%s/%s.csv", rp->tmp, f->stem);
    if (!rc) rc = chart_write_csv(ch, path, 0, e);
    chart_free(ch);
    if (rc) return -1;
    rp->nfigs++;
    out_printf(rp->vc->out, "  figure %d: %s\n", rp->nfigs, f->title);
    return 0;
}

/* Every chart of the table, in its order: an overlay chart once with every
 * run, any other once per run; attention once per recorded layer (all heads). */
static int add_figures(Report *rp, BlError *e)
{
    for (const ChartDef *d = chart_defs; d->name; d++) {
        ChartOpts o;
        chart_opts_default(&o);
        int attn = !strcmp(d->name, "attn");
        if (d->flags & CHART_DEF_OVERLAY && !attn) {
            if (add_figure(rp, d, rp->runs, rp->nruns, &o, "", e)) return -1;
            continue;
        }
        for (int r = 0; r < rp->nruns; r++) {
            char suffix[96] = "";
            if (rp->nruns > 1) {
                suffix[0] = '-';
                chart_run_stem(&rp->runs[r], suffix + 1, sizeof suffix - 1);
            }
            if (!attn) {
                if (add_figure(rp, d, &rp->runs[r], 1, &o, suffix, e)) return -1;
                continue;
            }
            Run *run = rp->vc->ws->runs[rp->ws_index[r]];
            int depth = run->has_model ? run->model.arch->depth : 0;
            for (int l = 0; l < depth; l++) {
                char series[32], sfx[128];
                snprintf(series, sizeof series, "attn.%d", l);
                metrics_lock(&run->metrics);
                int has = metrics_find(&run->metrics, series) != NULL;
                metrics_unlock(&run->metrics);
                if (!has) continue;
                o.layer = l, o.layer_given = 1, o.head = -1, o.head_given = 1;
                snprintf(sfx, sizeof sfx, "%s-layer%d", suffix, l);
                if (add_figure(rp, d, &rp->runs[r], 1, &o, sfx, e)) return -1;
            }
        }
    }
    return 0;
}

typedef struct RunText {
    char   oneline[200], summary[160];
    StrBuf arch, settings, params;
} RunText;

/* What `arch`, `train` and `params` print for run i, kept as text. */
static void run_text(VerbCtx *vc, int i, RunText *t)
{
    Workspace *ws = vc->ws;
    Run *r = ws->runs[i];
    memset(t, 0, sizeof *t);
    arch_draw_oneline(r->model.arch, t->oneline, sizeof t->oneline);
    long step = run_step(r);
    if (r->has_val)
        snprintf(t->summary, sizeof t->summary, "step %ld, loss %.4f, held-out loss %.4f, exact match %.3f", step, (double)r->loss,
                 (double)r->val, (double)r->exact);
    else if (r->has_loss) snprintf(t->summary, sizeof t->summary, "step %ld, loss %.4f", step, (double)r->loss);
    else snprintf(t->summary, sizeof t->summary, "step %ld", step);
    /* The verbs print for the current run: make run i current meanwhile. */
    int cur = ws->cur;
    ws->cur = i;
    VerbCtx sub = *vc;
    Cmd none;
    memset(&none, 0, sizeof none);
    BlError e;
    Out o = out_strbuf(&t->arch);
    sub.out = &o;
    verb_arch(&sub, &none, -1, &e);
    o = out_strbuf(&t->params);
    verb_params(&sub, &none, -1, &e);
    o = out_strbuf(&t->settings);
    trainloop_describe(&o, r);
    ws->cur = cur;
}

static void run_text_free(RunText *t)
{
    sb_free(&t->arch);
    sb_free(&t->settings);
    sb_free(&t->params);
}

static int write_page(Report *rp, const char *index, BlError *e)
{
    RunText *texts = xcalloc((size_t)rp->nruns, sizeof *texts);
    ReportRun *rr = xcalloc((size_t)rp->nruns, sizeof *rr);
    StrBuf title = {0};
    sb_puts(&title, "blocklab report: ");
    for (int i = 0; i < rp->nruns; i++) {
        const ChartRun *c = &rp->runs[i];
        run_text(rp->vc, rp->ws_index[i], &texts[i]);
        rr[i] = (ReportRun){c->name, c->label ? c->label : "", c->color, texts[i].oneline, texts[i].summary,
                            texts[i].arch.data ? texts[i].arch.data : "", texts[i].settings.data ? texts[i].settings.data : "",
                            texts[i].params.data ? texts[i].params.data : ""};
        if (c->label && c->label[0]) sb_printf(&title, "%s%s (%s)", i ? ", " : "", c->label, c->name);
        else sb_printf(&title, "%srun %s", i ? ", " : "", c->name);
    }
    char written[96];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(written, sizeof written, "%Y-%m-%d %H:%M UTC by blocklab " BL_VERSION, &tm);
    ReportDoc doc = {title.data, written, rr, rp->nruns, rp->figs, rp->nfigs, rp->W, rp->H};
    int rc = report_write_html(&doc, index, e);
    for (int i = 0; i < rp->nruns; i++) run_text_free(&texts[i]);
    free(texts);
    free(rr);
    sb_free(&title);
    return rc;
}

/* runs=A,B (or all); without it every run that has a model. */
static int pick_runs(VerbCtx *vc, const Cmd *c, Report *rp, BlError *e)
{
    Workspace *ws = vc->ws;
    rp->nruns = 0;
    if (cmd_arg(c, "runs")) {
        ChartOpts o;
        if (verb_chart_args(vc, c, rp->runs, REPORT_MAX_RUNS, &rp->nruns, &o, e)) return -1;
        for (int i = 0; i < rp->nruns; i++) {
            rp->ws_index[i] = rp->runs[i].color;   /* the colour is the run's place in the workspace */
            if (!ws->runs[rp->ws_index[i]]->has_model)
                return bl_fail(e, "report: run %s has no model yet (model new)", rp->runs[i].name);
        }
        return 0;
    }
    for (int i = 0; i < ws->n && rp->nruns < REPORT_MAX_RUNS; i++) {
        Run *r = ws->runs[i];
        if (!r->has_model) continue;
        rp->runs[rp->nruns] = (ChartRun){r->name, &r->metrics, i, r->label};
        rp->ws_index[rp->nruns++] = i;
    }
    if (!rp->nruns) return bl_fail(e, "report: nothing to report: no run has a model yet (model new)");
    return 0;
}

static int write_mark(const char *dir, BlError *e)
{
    char p[PATH_MAX + 200];
    snprintf(p, sizeof p, "%s/" REPORT_MARK, dir);
    FILE *f = fopen(p, "wb");
    if (!f) return bl_fail(e, "report: cannot write %s: %s", p, strerror(errno));
    int bad = fputs("blocklab report: `report DIR` may replace this folder\n", f) < 0;
    bad |= fclose(f) != 0;
    return bad ? bl_fail(e, "report: cannot write %s: %s", p, strerror(errno)) : 0;
}

int verb_report(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    const CmdWord *w = verb_word(c, noun, 0);
    char path[PATH_MAX];
    if (verb_file(vc, "report", w->text, 1, path, sizeof path, e)) return vc->err_col = w->col, -1;
    /* DIR/.. and the name, for the hidden siblings the report is written in. */
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') path[--len] = 0;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char parent[PATH_MAX];
    if (!slash) snprintf(parent, sizeof parent, ".");
    else if (slash == path) snprintf(parent, sizeof parent, "/");
    else snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    char here[PATH_MAX], there[PATH_MAX];
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..") ||
        (realpath(path, there) && getcwd(here, sizeof here) && !strcmp(here, there)))
        return vc->err_col = w->col, bl_fail(e, "report %s: name a folder of its own for the report (e.g. report out/report)", w->text);
    /* The hidden siblings live in DIR's parent: in a scene it too must be
     * inside the output folder (DIR may not be the output folder itself). */
    char checked[PATH_MAX];
    if (vc->sandbox && verb_file(vc, "report", parent, 1, checked, sizeof checked, e))
        return vc->err_col = w->col, bl_fail(e, "report %s: a scene writes its report into a folder inside its output folder "
                                                "(e.g. report handin)", w->text);
    struct stat st;
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
        return vc->err_col = w->col, bl_fail(e, "report %s: no folder %s to write it in", w->text, parent);
    DirState state = dir_state(path);
    int force = verb_force(c);
    if (state == DIR_NOT_A_DIR)
        return vc->err_col = w->col, bl_fail(e, "report %s: it exists and is not a folder", path);
    if (state == DIR_OTHER && !force)
        return vc->err_col = w->col,
               bl_fail(e, "report %s: the folder exists and is not a blocklab report; force=on writes the report there and "
                          "moves what it holds aside", path);
    Report rp;
    memset(&rp, 0, sizeof rp);
    rp.vc = vc;
    const CmdArg *wa = cmd_arg(c, "width"), *ha = cmd_arg(c, "height");
    rp.W = wa ? atoi(wa->value) : 1200;
    rp.H = ha ? atoi(ha->value) : 800;
    if (pick_runs(vc, c, &rp, e)) return -1;

    char tmp[PATH_MAX + 64], figs[PATH_MAX + 80], index[PATH_MAX + 80];
    if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld", parent, base, (long)getpid()) >= (int)sizeof tmp - 20)
        return bl_fail(e, "report %s: the path is too long", path);
    if (dir_state(tmp) != DIR_ABSENT) remove_report(tmp);   /* left by an earlier failure of this process */
    snprintf(figs, sizeof figs, "%s/figures", tmp);
    snprintf(index, sizeof index, "%s/index.html", tmp);
    if (mkdir(tmp, 0777) != 0 || mkdir(figs, 0777) != 0) {
        bl_fail(e, "report %s: cannot make a folder in %s: %s", path, parent, strerror(errno));
        remove_report(tmp);
        return -1;
    }
    rp.tmp = tmp;
    rp.figs = xcalloc(REPORT_MAX_FIGS, sizeof *rp.figs);
    out_printf(vc->out, "report: %d run%s into %s\n", rp.nruns, rp.nruns == 1 ? "" : "s", path);
    int rc = add_figures(&rp, e);
    if (!rc) rc = write_page(&rp, index, e);
    if (!rc) rc = write_mark(tmp, e);
    int nfigs = rp.nfigs;
    free(rp.figs);
    if (rc) {
        remove_report(tmp);
        return -1;
    }

    /* The whole report is in tmp: put it in DIR's place. */
    char old[2 * PATH_MAX + 64] = "";
    if (state == DIR_EMPTY) rmdir(path);
    if (state == DIR_REPORT || state == DIR_OTHER) {
        if (state == DIR_REPORT) snprintf(old, sizeof old, "%s/.%s.old-%ld", parent, base, (long)getpid());
        else
            for (int k = 1; k < 1000; k++) {
                if (k == 1) snprintf(old, sizeof old, "%s.old", path);
                else snprintf(old, sizeof old, "%s.old-%d", path, k);
                if (dir_state(old) == DIR_ABSENT) break;
            }
        if (rename(path, old) != 0) {
            bl_fail(e, "report %s: cannot move the old folder aside: %s", path, strerror(errno));
            remove_report(tmp);
            return -1;
        }
    }
    if (rename(tmp, path) != 0) {
        bl_fail(e, "report %s: cannot put the report in place: %s", path, strerror(errno));
        if (old[0]) rename(old, path);
        remove_report(tmp);
        return -1;
    }
    if (state == DIR_REPORT && remove_report(old) != 0) {
        /* Someone put files of their own in the old report: keep them, visibly. */
        char keep[PATH_MAX + 64];
        snprintf(keep, sizeof keep, "%s.old", path);
        if (dir_state(keep) == DIR_ABSENT && rename(old, keep) == 0) snprintf(old, sizeof old, "%s", keep);
        out_printf(vc->out, "report: the old report held files of its own; they are in %s\n", old);
    }
    if (state == DIR_OTHER) out_printf(vc->out, "report: what %s held before is in %s\n", path, old);
    out_printf(vc->out, "report: wrote %s/index.html with %d figure%s (PNG, SVG and CSV each in %s/figures)\n", path, nfigs,
               nfigs == 1 ? "" : "s", path);
    return 0;
}
