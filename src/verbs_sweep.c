/* verbs_sweep.c — `sweep`: a chart whose x-axis is a setting. The command
 * becomes a SweepPlan (core/sweep.h), every point is checked before anything
 * runs (its architecture, its memory), then the points are measured in the
 * foreground (batch) or by the dashboard's worker in the background
 * (src/worker.c), into the current run's Metrics as the lines of chart
 * sweep.<probe> (ui/chart_metrics.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweepjob.h"
#include "verbs.h"
#include "worker.h"

static const char *const onoff_names[] = {"off", "on", NULL};

const VerbKey verb_keys_sweep[] = {
    {"probe", VK_ENUM, sweep_probe_names, 0, 0, "rank",
     "what each point measures: rank (cosine after the last block), updates (||dF||), grads (global norm), params, loss"},
    {"lr", VK_FLOAT, NULL, OPT_LR_MIN, OPT_LR_MAX, "0.1 or train's",
     "updates: the SGD step's lr (0.1); loss: the peak lr (the run's train lr); a list sweeps it"},
    {"steps", VK_INT, NULL, 1, OPT_STEPS_MAX, "100", "loss: training steps of every point; a list sweeps it"},
    {"batch", VK_INT, NULL, 1, TRAIN_BATCH_MAX, "train's", "loss: rows per training step"},
    {"label", VK_STR, NULL, 0, 0, "its preset", "the line's name when no second list names the lines (e.g. label=skipless)"},
    {"force", VK_ENUM, onoff_names, 0, 0, "off", "measure points whose memory estimate exceeds the available memory"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static const char *const own_keys[] = {"probe", "lr", "steps", "batch", "label", "force", NULL};

static int is_own(const char *key)
{
    for (int i = 0; own_keys[i]; i++)
        if (!strcmp(own_keys[i], key)) return 1;
    return 0;
}

/* 0 model key, 1 block key, -1 neither (a model key wins where a name is both: preset). */
static int arch_scope_of(const char *key)
{
    int scope = -1;
    for (const ArchKey *k = arch_keys; k->name; k++)
        if (!strcmp(k->name, key)) {
            if (!k->block) return 0;
            scope = 1;
        }
    return scope;
}

/* Splits "6,25,100" into at most SWEEP_MAX_VALUES values; one line when a
 * value is empty, too long, or there are too many. */
static int split_list(const CmdArg *a, SweepList *l, BlError *e)
{
    memset(l, 0, sizeof *l);
    snprintf(l->key, sizeof l->key, "%s", a->key);
    const char *p = a->value;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == 0) return bl_fail(e, "%s=%s: an empty value in the list (write v1,v2,...)", a->key, a->value);
        if (l->n == SWEEP_MAX_VALUES) return bl_fail(e, "%s=%s: more than %d values in one list", a->key, a->value, SWEEP_MAX_VALUES);
        if (len >= sizeof l->values[0]) return bl_fail(e, "%s=%s: a value longer than %zu characters", a->key, a->value, sizeof l->values[0] - 1);
        memcpy(l->values[l->n], p, len);
        l->values[l->n++][len] = 0;
        if (!c) return 0;
        p = c + 1;
    }
}

int verb_sweep_check_arg(const CmdArg *a, ArchSpec *scratch, BlError *e)
{
    SweepList l;
    if (split_list(a, &l, e)) return -1;
    if (is_own(a->key)) {
        if (l.n > 1 && !sweep_key_is_run_setting(a->key))
            return bl_fail(e, "%s=%s: %s takes one value (lists: model and block keys, lr, steps)", a->key, a->value, a->key);
        const VerbKey *k = verb_key_find(verb_find("sweep"), a->key);
        for (int i = 0; i < l.n; i++) {
            double num;
            int choice;
            if (verb_key_parse(k, l.values[i], &num, &choice, e)) return -1;
        }
        if (!strcmp(a->key, "label") && (strlen(a->value) > 24 || strchr(a->value, '.')))
            return bl_fail(e, "label=%s: at most 24 characters, no '.'", a->value);
        return 0;
    }
    int scope = arch_scope_of(a->key);
    if (scope < 0)
        return bl_fail(e, "unknown key '%s': a sweep takes model keys (help model), block keys (help block) and "
                          "probe, lr, steps, batch, label, force", a->key);
    if (a->trainable && (scope == 0 || l.n > 1))
        return bl_fail(e, "%s~=%s: only a block gain with one value takes ~=", a->key, a->value);
    for (int i = 0; i < l.n; i++) {
        int rc = scope == 0 ? arch_set_model(scratch, a->key, l.values[i], e)
                            : arch_set_block(scratch, 0, 0, a->key, l.values[i], a->trainable, e);
        if (rc) return -1;
    }
    return 0;
}

/* The plan of c: its lists, fixed keys and probe settings. Points are checked later. */
static int make_plan(VerbCtx *vc, const Cmd *c, Run *r, SweepPlan *p, BlError *e)
{
    sweep_plan_default(p);
    p->seed = vc->ws->seed;
    p->opt = r->cfg.opt;
    p->batch = r->cfg.batch;
    if (r->has_data) p->data_vocab = r->data.vocab;
    const CmdArg *pa = cmd_arg(c, "probe");
    if (pa)
        for (int i = 0; sweep_probe_names[i]; i++)
            if (!strcmp(sweep_probe_names[i], pa->value)) p->probe = (SweepProbe)i;
    int loss = p->probe == SWEEP_LOSS;
    const char *first = NULL;
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *a = &c->args[i];
        vc->err_col = a->col;
        SweepList l;
        if (split_list(a, &l, e)) return -1;
        if (!strcmp(a->key, "probe") || !strcmp(a->key, "force")) continue;
        if (!strcmp(a->key, "label")) {
            snprintf(p->label, sizeof p->label, "%s", a->value);
            continue;
        }
        if ((!strcmp(a->key, "steps") || !strcmp(a->key, "batch")) && !loss)
            return bl_fail(e, "%s=%s: only probe=loss trains (the other probes measure each model at init)", a->key, a->value);
        if (!strcmp(a->key, "lr") && !loss && p->probe != SWEEP_UPDATES)
            return bl_fail(e, "lr=%s: only probe=updates (the SGD step) and probe=loss (training) take an lr", a->value);
        if (l.n > 1) {
            if (p->line.n) {
                vc->err_col = a->col;
                return bl_fail(e, "%s=%s: at most two keys take lists (%s: the x-axis, %s: one line per value)", a->key, a->value,
                               p->x.key, p->line.key);
            }
            if (p->x.n) p->line = l;
            else p->x = l, first = a->value;
            continue;
        }
        if (!strcmp(a->key, "lr")) p->lr = p->opt.lr = (float)atof(a->value);
        else if (!strcmp(a->key, "steps")) p->steps = atoi(a->value);
        else if (!strcmp(a->key, "batch")) p->batch = atoi(a->value);
        else {
            if (p->n_fixed == SWEEP_MAX_FIXED) return bl_fail(e, "more than %d fixed keys", SWEEP_MAX_FIXED);
            SweepKV *kv = &p->fixed[p->n_fixed++];
            snprintf(kv->key, sizeof kv->key, "%s", a->key);
            snprintf(kv->value, sizeof kv->value, "%s", a->value);
            kv->trainable = a->trainable;
        }
    }
    vc->err_col = 0;
    if (!p->x.n)
        return bl_fail(e, "sweep needs a key with a list of values, the x-axis: e.g. sweep depth=6,25,100 preset=postln,deepnorm probe=updates");
    /* The x-axis is a number line: numbers, increasing. */
    for (int i = 0; i < p->x.n; i++) {
        char *end;
        errno = 0;
        double v = strtod(p->x.values[i], &end);
        if (end == p->x.values[i] || *end || !isfinite(v))
            return bl_fail(e, "%s=%s: the first list is the x-axis and needs numbers; put a numeric list first "
                              "(e.g. depth=6,25,100 %s=%s)", p->x.key, first, p->x.key, first);
        if (i && v <= atof(p->x.values[i - 1]))
            return bl_fail(e, "%s=%s: list the x values in increasing order, each once", p->x.key, first);
    }
    int n = sweep_points(p);
    if (n > SWEEP_MAX_POINTS)
        return bl_fail(e, "%d points (%d x %d): at most %d in one sweep; shorten a list", n, p->x.n, sweep_lines(p), SWEEP_MAX_POINTS);
    return 0;
}

/* Every point is built on paper first: a bad combination or a model over the
 * memory budget refuses the whole sweep, naming the point. */
static int check_points(const SweepPlan *p, const Run *r, int force, BlError *e)
{
    if (p->probe == SWEEP_LOSS && !r->has_data)
        return bl_fail(e, "probe=loss trains every point on run %s's data: choose data first (data task=reverse, data fortunes)", r->name);
    for (int k = 0; k < sweep_points(p); k++) {
        char pt[160];
        sweep_point_text(p, k, pt, sizeof pt);
        ArchSpec a = {0};
        BlError sub;
        int rc = sweep_point_arch(p, k, &a, &sub);
        if (!rc && r->has_data) rc = data_check_ctx(&r->data, a.ctx, &sub);
        arch_free(&a);
        MemBudget b;
        if (!rc && p->probe != SWEEP_PARAMS) {
            rc = sweep_point_budget(p, k, &b, &sub);
            if (!rc && !force) rc = budget_check(&b, "this point", "force=on measures it anyway", &sub);
        }
        if (rc) return bl_fail(e, "point %d (%s): %s", k + 1, pt, sub.msg);
    }
    return 0;
}

int verb_sweep(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    SweepPlan *p = xmalloc(sizeof *p);
    int rc = make_plan(vc, c, r, p, e);
    if (!rc) rc = check_points(p, r, verb_force(c), e);
    if (!rc && vc->worker) {
        rc = worker_sweep(vc->worker, r, p, e);
        if (!rc) {
            /* The dashboard shows the chart filling in, point by point. */
            memset(&vc->cue, 0, sizeof vc->cue);
            snprintf(vc->cue.pane, sizeof vc->cue.pane, "chart");
            sweepjob_chart(p, vc->cue.chart, sizeof vc->cue.chart);
            vc->cue.runs[vc->cue.nruns++] = vc->ws->cur;
            chart_opts_default(&vc->cue.opts);
            vc->cue_set = 1;
        }
    } else if (!rc) {
        SweepJob j;
        sweepjob_start(&j, r, p, vc->out);
        while (j.more && !(vc->stop && *vc->stop)) sweepjob_step(&j);
        int stopped = j.more;
        if (stopped) vc->interrupted = 1;
        sweepjob_finish(&j, stopped);
    }
    free(p);
    return rc;
}
