/* sweepjob.c — a sweep's points one after another, a little at a time, with
 * a line per point; see sweepjob.h. */
#include "sweepjob.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void sweepjob_chart(const SweepPlan *p, char *buf, size_t cap) { snprintf(buf, cap, "sweep.%s", sweep_probe_names[p->probe]); }

static void what_line(const SweepPlan *p, char *buf, size_t cap)
{
    char lr[32] = "lr swept", steps[32] = "the swept steps";
    int swept_lr = !strcmp(p->x.key, "lr") || (p->line.n && !strcmp(p->line.key, "lr"));
    int swept_steps = !strcmp(p->x.key, "steps") || (p->line.n && !strcmp(p->line.key, "steps"));
    if (!swept_lr) snprintf(lr, sizeof lr, "lr %g", (double)(p->probe == SWEEP_LOSS ? p->opt.lr : p->lr));
    if (!swept_steps) snprintf(steps, sizeof steps, "%d steps", p->steps);
    if (p->probe == SWEEP_UPDATES) snprintf(buf, cap, "%s (%s)", sweep_probe_what[p->probe], lr);
    else if (p->probe == SWEEP_LOSS) snprintf(buf, cap, "held-out loss after %s (%s, batch %d)", steps, lr, p->batch);
    else snprintf(buf, cap, "%s", sweep_probe_what[p->probe]);
}

void sweepjob_start(SweepJob *j, Run *r, const SweepPlan *p, Out *out)
{
    memset(j, 0, sizeof *j);
    j->r = r;
    j->out = out;
    j->plan = *p;
    if (r->has_data) {
        j->data = r->data.spec;
        j->has_data = 1;
    }
    j->n = sweep_points(p);
    j->more = j->n > 0;
    j->t0 = bl_now();
    sweep_begin(&r->metrics, p);
    char what[128], chart[40];
    what_line(p, what, sizeof what);
    sweepjob_chart(p, chart, sizeof chart);
    out_printf(out, "sweep: %d point%s (%d value%s of %s", j->n, j->n == 1 ? "" : "s", p->x.n, p->x.n == 1 ? "" : "s", p->x.key);
    if (p->line.n) out_printf(out, " x %d of %s", p->line.n, p->line.key);
    out_printf(out, "), each a fresh model: %s -> chart %s of run %s\n", what, chart, r->name);
}

int sweepjob_step(SweepJob *j)
{
    if (!j->more) return 0;
    BlError e;
    char pt_text[160];
    sweep_point_text(&j->plan, j->k, pt_text, sizeof pt_text);
    int rc;
    if (!j->started) {
        j->tk = bl_now();
        rc = sweep_point_start(&j->pt, &j->plan, j->k, j->has_data ? &j->data : NULL, &e);
        j->started = 1;
        if (rc == 0) rc = j->pt.done ? 0 : 1;   /* a counted point is done at once; else measure next call */
    } else {
        rc = sweep_point_step(&j->pt, &j->plan, &e);
    }
    if (rc > 0) return 1;
    j->k++;
    double v = rc == 0 ? j->pt.value : NAN;
    sweep_record(&j->r->metrics, &j->plan, j->k - 1, v);
    if (rc < 0) {
        j->failed++;
        out_printf(j->out, "  %d/%d  %s: not measured: %s\n", j->k, j->n, pt_text, e.msg);
    } else {
        out_printf(j->out, "  %d/%d  %-28s %10.5g  (%.1f s)%s%s\n", j->k, j->n, pt_text, v, bl_now() - j->tk,
                   j->pt.msg[0] ? "  alarm: " : "", j->pt.msg);
    }
    sweep_point_free(&j->pt);
    j->started = 0;
    j->more = j->k < j->n;
    return j->more;
}

void sweepjob_finish(SweepJob *j, int interrupted)
{
    if (j->started) sweep_point_free(&j->pt);
    j->started = 0;
    char chart[40];
    sweepjob_chart(&j->plan, chart, sizeof chart);
    if (interrupted && j->k < j->n)
        out_printf(j->out, "sweep stopped after %d of %d points (the rest stay empty in %s)\n", j->k, j->n, chart);
    else
        out_printf(j->out, "sweep done: %d point%s in %.1f s%s; `show %s` draws them, `export csv %s` writes every point\n",
                   j->n - j->failed, j->n - j->failed == 1 ? "" : "s", bl_now() - j->t0, j->failed ? " (some not measured)" : "",
                   chart, chart);
    j->more = 0;
}

void sweepjob_progress(const SweepJob *j, char *buf, size_t cap)
{
    char pt[120];
    sweep_point_text(&j->plan, j->k < j->n ? j->k : j->n - 1, pt, sizeof pt);
    if (j->plan.probe == SWEEP_LOSS && j->started)
        snprintf(buf, cap, "sweep %d/%d: %s, step %ld/%d", j->k + 1, j->n, pt, j->pt.tr.step, j->pt.steps);
    else snprintf(buf, cap, "sweep %d/%d: %s", j->k + 1, j->n, pt);
}
