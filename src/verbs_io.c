/* verbs_io.c — save, load (checkpoints through core/checkpoint), run (named
 * runs of the workspace) and set (seed, threads). */
#include "arch_draw.h"
#include "par.h"
#include "verbs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>

/* OpenBLAS has these; some cblas.h builds do not declare them. */

int verb_save(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    if (!r->has_model) return bl_fail(e, "nothing to save: no model yet (model new)");
    const CmdWord *w = verb_word(c, noun, 0);
    char path[PATH_MAX];
    if (verb_file(vc, "save", w->text, 1, path, sizeof path, e)) return vc->err_col = w->col, -1;
    struct stat sb0;
    if (stat(path, &sb0) == 0) {
        vc->err_col = w->col;
        if (!S_ISREG(sb0.st_mode)) return bl_fail(e, "save %s: it exists and is not a file", path);
        if (!verb_force(c) && !ckpt_is_checkpoint(path))
            return bl_fail(e, "save %s: it exists and is not a blocklab checkpoint; force=on replaces it", path);
        vc->err_col = 0;
    }
    TrainState ts;
    memset(&ts, 0, sizeof ts);
    const Optimizer *opt = NULL;
    if (r->has_trainer) {
        ts.step = r->tr.step;
        ts.adam_t = r->tr.opt.t;
        ts.batch = r->tr.B;
        ts.opt = r->tr.opt.spec;
        opt = &r->tr.opt;
    } else {
        ts.batch = r->cfg.batch;
        ts.opt = r->cfg.opt;
    }
    if (r->has_data) {
        ts.data = r->data.spec;
        ts.data_position = r->data.position;
    }
    /* Without data there is no training state worth keeping: weights only. */
    int with_state = r->has_data;
    if (ckpt_save_labelled(path, &r->model, opt, with_state ? &ts : NULL, r->label, e)) {
        vc->err_col = w->col;
        return -1;
    }
    struct stat sb;
    char n[32], sz[32];
    double bytes = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    out_printf(vc->out, "saved run %s to %s: %s params, step %ld%s (%sB)\n", r->name, path,
               out_count(n, sizeof n, verb_param_count(&r->model.params)), ts.step, opt ? ", optimizer state" : "",
               out_si(sz, sizeof sz, bytes));
    return 0;
}

int verb_load(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Run *r = ws_current(vc->ws);
    const CmdWord *w = verb_word(c, noun, 0);
    char path[PATH_MAX];
    if (verb_file(vc, "load", w->text, 0, path, sizeof path, e)) return vc->err_col = w->col, -1;
    Model m;
    Optimizer o;
    memset(&o, 0, sizeof o);
    TrainState ts;
    CkptLoad lo = {.force = verb_force(c)};
    if (ckpt_load(path, &m, &o, &ts, &lo, e)) {
        vc->err_col = w->col;
        return -1;
    }
    int has_train = lo.has_train;
    if (lo.note[0]) out_printf(vc->out, "note: %s\n", lo.note);
    /* From here on the load succeeds. It opens no other file: a built-in source
     * (a task, fortunes) comes back at once; a text file waits for the person
     * to name it again, and its moments with it. */
    DataSource d;
    int have_data = 0, text = has_train && ts.data.kind == DATA_TEXT;
    if (has_train && !text) {
        BlError sub;
        if (data_open(&d, &ts.data, &sub) == 0) {
            d.position = ts.data_position;
            have_data = 1;
        } else {
            out_printf(vc->out, "note: the checkpoint's data cannot be set up (%s); choose data before training\n", sub.msg);
        }
    }
    run_set_model(r, &m);
    r->vocab_explicit = 1;
    if (lo.label[0]) snprintf(r->label, sizeof r->label, "%s", lo.label);
    if (have_data) run_set_data(r, &d);
    if (has_train) {
        r->cfg.opt = ts.opt;
        r->cfg.batch = ts.batch > 0 ? ts.batch : r->cfg.batch;
        r->cfg.total = 0;
    }
    long step = 0;
    if (o.m && have_data) {
        BlError sub;
        Trainer *tr = run_trainer(r, &sub);
        if (tr) {
            optim_free(&tr->opt);
            tr->opt = o;
            tr->step = step = ts.step;
        } else {
            optim_free(&o);
            out_printf(vc->out, "note: the optimizer state was dropped: %s\n", sub.msg);
        }
    } else if (o.m && text) {
        r->pending_opt = o;
        r->pending_step = step = ts.step;
        r->pending_data = ts.data;
        r->pending_position = ts.data_position;
        r->has_pending = 1;
    } else if (o.m) {
        optim_free(&o);
    }
    if (text)
        out_printf(vc->out, "note: this run trained on the text file %s; load opens no other file: `data text=%s` "
                            "reattaches it%s\n", ts.data.path, ts.data.path, r->has_pending ? " and training continues from the checkpoint" : "");
    char n[32];
    if (lo.label[0]) out_printf(vc->out, "run %s is labelled \"%s\" (from the checkpoint)\n", r->name, r->label);
    out_printf(vc->out, "loaded %s into run %s: %d block%s, width %d, %s params, step %ld\n", path, r->name, r->model.arch->depth,
               r->model.arch->depth == 1 ? "" : "s", r->model.arch->width, out_count(n, sizeof n, verb_param_count(&r->model.params)), step);
    return 0;
}

static int valid_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static void run_summary(Out *o, const Run *r)
{
    char n[32], who[48 + CKPT_LABEL_MAX], line[160];
    if (r->label[0]) snprintf(who, sizeof who, "run %s \"%s\"", r->name, r->label);
    else snprintf(who, sizeof who, "run %s", r->name);
    if (r->has_model) {
        arch_draw_oneline(r->model.arch, line, sizeof line);
        out_printf(o, "%s: %s, %s params, step %ld\n", who, line, out_count(n, sizeof n, verb_param_count(&r->model.params)),
                   run_step(r));
    } else {
        out_printf(o, "%s: no model yet\n", who);
    }
}

/* label= of `run new`, or TEXT of `run label`: checked before anything changes. */
static int set_label(Run *r, const char *text, BlError *e)
{
    BlError sub;
    if (ckpt_label_check(text, &sub)) return bl_fail(e, "%s", sub.msg);
    snprintf(r->label, sizeof r->label, "%s", text);
    return 0;
}

int verb_runs(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    Workspace *ws = vc->ws;
    const CmdWord *w = verb_word(c, noun, 0);
    if (noun == 2) {   /* list */
        if (w) return vc->err_col = w->col, bl_fail(e, "unexpected '%s': run list takes no name", w->text);
        if (cmd_arg(c, "label")) return vc->err_col = cmd_arg(c, "label")->col, bl_fail(e, "label= goes with run new; `run label NAME TEXT` labels a run");
        OutTable t;
        out_table_init(&t, 9);
        t.right[4] = t.right[5] = t.right[6] = t.right[7] = t.right[8] = 1;
        const char *head[] = {"", "run", "label", "model", "params", "step", "loss", "val", "exact"};
        out_table_row(&t, head);
        for (int i = 0; i < ws->n; i++) {
            const Run *r = ws->runs[i];
            char model[160] = "-", params[32] = "-", step[32], loss[32] = "-", val[32] = "-", exact[32] = "-";
            if (r->has_model) {
                /* What the model is, not the preset it started from (`arch` prints the same line). */
                arch_draw_oneline(r->model.arch, model, 80);   /* a table cell holds 79 bytes */
                out_count(params, sizeof params, verb_param_count(&r->model.params));
            }
            snprintf(step, sizeof step, "%ld", run_step(r));
            if (r->has_loss) snprintf(loss, sizeof loss, "%.4f", (double)r->loss);
            if (r->has_val) {
                snprintf(val, sizeof val, "%.4f", (double)r->val);
                snprintf(exact, sizeof exact, "%.3f", (double)r->exact);
            }
            const char *cells[] = {i == ws->cur ? "*" : "", r->name, r->label[0] ? r->label : "-", model, params, step, loss, val, exact};
            out_table_row(&t, cells);
        }
        out_table_print(vc->out, &t, 0);
        out_table_free(&t);
        return 0;
    }
    static const char *const usage = "run new NAME [label=TEXT] | run use NAME | run label NAME TEXT | run list";
    static const char *const nouns[] = {"new", "use", "list", "label"};
    if (!w) return bl_fail(e, "run %s needs a NAME (usage: %s)", nouns[noun], usage);
    const CmdWord *text = verb_word(c, noun, 1);
    const CmdArg *la = cmd_arg(c, "label");
    if (noun == 3 && !text) return vc->err_col = w->col, bl_fail(e, "run label needs NAME and TEXT (\"\" removes the label; usage: %s)", usage);
    if (noun != 3 && text) return vc->err_col = text->col, bl_fail(e, "unexpected '%s' after NAME (usage: %s)", text->text, usage);
    if (noun != 0 && la) return vc->err_col = la->col, bl_fail(e, "label= goes with run new; `run label NAME TEXT` labels a run");
    vc->err_col = w->col;
    if (noun == 0) {
        if (!valid_name(w->text)) return bl_fail(e, "run name '%s': expected letters, digits, '_' or '-'", w->text);
        BlError sub;
        if (la && ckpt_label_check(la->value, &sub)) return vc->err_col = la->vcol, bl_fail(e, "label=: %s", sub.msg);
        Run *from = ws_current(ws);
        Run *r = ws_add(ws, w->text, from, e);
        if (!r) return -1;
        if (la) set_label(r, la->value, e);
        ws->cur = ws->n - 1;
        vc->err_col = 0;
        out_printf(vc->out, "new run %s, a fresh copy of %s's model, data and settings; now current\n", r->name, from->name);
        run_summary(vc->out, r);
        return 0;
    }
    for (int i = 0; i < ws->n; i++)
        if (!strcmp(ws->runs[i]->name, w->text)) {
            if (noun == 3) {
                if (set_label(ws->runs[i], text->text, e)) return vc->err_col = text->col, -1;
                vc->err_col = 0;
                if (text->text[0]) out_printf(vc->out, "run %s is labelled \"%s\"\n", ws->runs[i]->name, ws->runs[i]->label);
                else out_printf(vc->out, "run %s has no label now (figures call it %s)\n", ws->runs[i]->name, ws->runs[i]->name);
                return 0;
            }
            ws->cur = i;
            vc->err_col = 0;
            run_summary(vc->out, ws->runs[i]);
            return 0;
        }
    char names[256];
    size_t k = 0;
    for (int i = 0; i < ws->n && k < sizeof names; i++) k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", i ? ", " : "", ws->runs[i]->name);
    return bl_fail(e, "no run named '%s' (runs: %s; run new %s makes it)", w->text, names, w->text);
}

int verb_set(VerbCtx *vc, const Cmd *c, int noun, BlError *e)
{
    const Verb *verb = verb_find("set");
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *g = &c->args[i];
        double v;
        int ch;
        if (verb_key_parse(verb_key_find(verb, g->key), g->value, &v, &ch, e)) return vc->err_col = g->vcol, -1;
    }
    for (int i = 0; i < c->n_args; i++) {
        const CmdArg *g = &c->args[i];
        if (!strcmp(g->key, "seed")) {
            vc->ws->seed = strtoull(g->value, NULL, 10);
            ws_current(vc->ws)->seed = vc->ws->seed;
        } else if (!strcmp(g->key, "threads")) {
            par_set_threads(atoi(g->value));
        }
    }
    out_printf(vc->out, "seed=%llu threads=%d\n", (unsigned long long)vc->ws->seed, par_threads());
    return 0;
}
