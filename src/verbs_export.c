/* verbs_export.c — `export png|svg|csv CHART|SERIES` for reports and
 * `export torch DIR` for scale-out. Charts are built once (ui/chart_metrics.c)
 * and written by ui's writers; a series goes out as tidy CSV columns. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_file.h"
#include "export.h"
#include "render.h"
#include "verbs_charts.h"

/* "A-loss.png" or "Post-LN-loss.png" (runs' labels, else names, joined when
 * several), in the current directory. */
static void default_path(const ChartRun *runs, int n, const char *name, const char *ext, char *buf, size_t cap)
{
    size_t k = 0;
    for (int i = 0; i < n && k + 1 < cap; i++) {
        char stem[64];
        chart_run_stem(&runs[i], stem, sizeof stem);
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "-" : "", stem);
    }
    if (k + 1 < cap && snprintf(buf + k, cap - k, "-%.90s.%s", name, ext) < 0) buf[0] = 0;
}

static int is_chart(const char *name)
{
    for (const ChartDef *d = chart_defs; d->name; d++)
        if (!strcmp(d->name, name)) return 1;
    return 0;
}

/* Where a record position sits: layer / head / index columns for tidy CSV. */
static void position(const char *name, const Series *s, int i, char layer[24], char head[24], char index[96])
{
    const size_t cap = 24, icap = 96;
    int row = i / s->cols, col = i % s->cols;
    layer[0] = head[0] = index[0] = 0;
    if (!strncmp(name, "attn.", 5) && strcmp(name, "attn.entropy")) {
        /* attn.L / attn.mixed.L: rows are head·T + query, columns keys */
        const char *num = strrchr(name, '.') + 1;
        int T = s->cols;
        snprintf(layer, cap, "%s", num);
        snprintf(head, cap, "%d", row / T);
        snprintf(index, icap, "q%d k%d", row % T, col);
    } else if (!strcmp(s->xlabel, "head")) {
        snprintf(layer, cap, "%d", row);
        snprintf(head, cap, "%d", col);
    } else if (!strcmp(s->xlabel, "layer")) {
        snprintf(layer, cap, "%d", col);
    } else if (s->len > 1) {
        snprintf(index, icap, "%s", s->labels && s->labels[i] ? s->labels[i] : "");
        if (!index[0]) snprintf(index, icap, "%d", i);
    }
}

/* Tidy columns: run, step, layer, head, name, index, value — one row per number. */
static int export_series_csv(const ChartRun *runs, int n, const char *name, const char *path, int force, BlError *e)
{
    ChartFile cf;
    int found = 0;
    for (int r = 0; r < n; r++) {
        metrics_lock(runs[r].metrics);
        found |= metrics_find(runs[r].metrics, name) != NULL;
        metrics_unlock(runs[r].metrics);
    }
    if (!found) return bl_fail(e, "no series or chart '%s' (`show` lists what has been recorded)", name);
    if (chart_file_open(&cf, path, force, e)) return -1;
    fputs("run,step,layer,head,name,index,value\n", cf.f);
    for (int r = 0; r < n; r++) {
        metrics_lock(runs[r].metrics);
        const Series *s = metrics_find(runs[r].metrics, name);
        for (int k = 0; s && k < s->n; k++)
            for (int i = 0; i < s->len; i++) {
                char layer[24], head[24], index[96];
                position(name, s, i, layer, head, index);
                chart_csv_field(cf.f, runs[r].name);
                fprintf(cf.f, ",%ld,%s,%s,", s->steps[k], layer, head);
                chart_csv_field(cf.f, name);
                fputc(',', cf.f);
                chart_csv_field(cf.f, index);
                fprintf(cf.f, ",%.9g\n", (double)s->values[(size_t)k * s->len + i]);
            }
        metrics_unlock(runs[r].metrics);
    }
    return chart_file_commit(&cf, e);
}

static int export_torch_dir(VerbCtx *vc, const char *dir, int force, BlError *e)
{
    Run *r = ws_current(vc->ws);
    if (!r->has_model) return bl_fail(e, "no model yet: start one with `model new`");
    TrainState ts;
    const Optimizer *opt = NULL;
    memset(&ts, 0, sizeof ts);
    int with_state = r->has_data;
    if (with_state) {
        ts.step = run_step(r);
        ts.batch = r->cfg.batch;
        ts.opt = r->cfg.opt;
        ts.data = r->data.spec;
        ts.data_position = r->data.position;
        if (r->has_trainer) {
            ts.adam_t = r->tr.opt.t;
            ts.opt = r->tr.opt.spec;
            opt = &r->tr.opt;
        }
    }
    if (export_torch(dir, &r->model, opt, with_state ? &ts : NULL, r->has_data ? &r->data : NULL, force, e)) return -1;
    /* blocklab only writes files; running them is PyTorch's job, so say how. */
    out_printf(vc->out, "export: %s/ holds checkpoint.st, blocklab_model.py, train_ddp.py, README.md (step %ld%s)\n", dir,
               ts.step, with_state ? "" : "; no data chosen, so inference only");
    out_printf(vc->out, "  run it with PyTorch and numpy (on Debian: apt-get install python3-torch python3-numpy):\n");
    if (with_state) {
        out_printf(vc->out, "    one process:  python3 %s/train_ddp.py %s/checkpoint.st --steps 1000\n", dir, dir);
        out_printf(vc->out, "    N GPUs:       torchrun --nproc_per_node=N %s/train_ddp.py %s/checkpoint.st --steps 1000\n",
                   dir, dir);
    }
    out_printf(vc->out, "  %s/README.md: loading the model, several machines, ranks without torchrun\n", dir);
    return 0;
}

int verb_export(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    static const char *const ext[] = {"png", "svg", "csv", "torch"};
    const CmdWord *w = verb_word(c, noun, 0);
    if (!w) return bl_fail(e, "export %s needs a %s (usage: export png|svg|csv CHART | export torch DIR)", ext[noun],
                           noun == 3 ? "directory" : "chart or series name");
    const CmdArg *fa = cmd_arg(c, "force"), *file = cmd_arg(c, "file");
    int force = fa && !strcmp(fa->value, "on");
    char path[PATH_MAX], name[PATH_MAX];
    if (noun == 3) {
        if (verb_file(vc, "export torch", w->text, 1, path, sizeof path, e)) return vc->err_col = w->col, -1;
        return export_torch_dir(vc, path, force, e);
    }
    ChartRun runs[16];
    int n = 0;
    ChartOpts o;
    if (verb_chart_args(vc, c, runs, 16, &n, &o, e)) return -1;
    if (!file) {
        /* layer= and head= pick one view of a chart: its own file name. */
        char what[128];
        snprintf(what, sizeof what, "%.64s", w->text);
        if (o.layer_given) snprintf(what + strlen(what), sizeof what - strlen(what), "-layer%d", o.layer);
        if (o.head_given) snprintf(what + strlen(what), sizeof what - strlen(what), "-head%d", o.head);
        default_path(runs, n, what, ext[noun], name, sizeof name);
    }
    if (verb_file(vc, "export", file ? file->value : name, 1, path, sizeof path, e))
        return vc->err_col = file ? file->vcol : w->col, -1;
    if (noun == 2 && !is_chart(w->text)) {
        if (export_series_csv(runs, n, w->text, path, force, e)) return -1;
        out_printf(vc->out, "export: wrote %s (series %s, tidy columns)\n", path, w->text);
        return 0;
    }
    Chart *ch = chart_from_metrics(w->text, runs, n, &o, e);
    if (!ch) return -1;
    const CmdArg *wa = cmd_arg(c, "width"), *ha = cmd_arg(c, "height");
    int W = wa ? atoi(wa->value) : 0, H = ha ? atoi(ha->value) : 0;
    int rc = noun == 0 ? chart_write_png(ch, path, W, H, force, e)
           : noun == 1 ? chart_write_svg(ch, path, W, H, force, e)
                       : chart_write_csv(ch, path, force, e);
    chart_free(ch);
    if (!rc) out_printf(vc->out, "export: wrote %s\n", path);
    return rc;
}
