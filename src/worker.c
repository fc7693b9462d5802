/* worker.c — the engine thread behind the dashboard: one loop that runs the
 * next typed command, else the next scene command, else one training step
 * (round robin over the runs), else sleeps until told something. */
#include "worker.h"
#include "par.h"
#include "strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

/* ---- output and errors ------------------------------------------------------------ */

static void log_out(void *ctx, const char *s, size_t n) { tui_log_write(ctx, TUI_LOG_OUT, s, n); }

/* A typed line's error sits under its echo ("blocklab> ...") with a caret at
 * the column, as at the plain prompt; a scene's names the file and line. */
typedef struct ReportCtx {
    TuiLog     *log;
    const char *source;   /* "" for a typed line */
} ReportCtx;

static void report_to_log(void *ctx, const ExecError *err)
{
    ReportCtx *rc = ctx;
    if (!rc->source[0]) {
        int pad = (int)strlen(REPL_PROMPT) + (err->col > 0 ? err->col - 1 : 0);
        if (err->col > 0 && err->line == 1) tui_log_printf(rc->log, TUI_LOG_ERR, "%*s^ %s\n", pad, "", err->msg);
        else tui_log_printf(rc->log, TUI_LOG_ERR, "%s\n", err->msg);
    } else if (err->col > 0) {
        tui_log_printf(rc->log, TUI_LOG_ERR, "%s:%d:%d: %s\n", rc->source, err->line, err->col, err->msg);
    } else {
        tui_log_printf(rc->log, TUI_LOG_ERR, "%s:%d: %s\n", rc->source, err->line, err->msg);
    }
}

/* ---- the arch text ------------------------------------------------------------------ */

static void buf_write(void *ctx, const char *s, size_t n) { sb_append(ctx, s, n); }

/* The current run's `arch` output (or why there is none). Worker thread, or
 * before it starts. */
static char *make_arch(Worker *w)
{
    StrBuf b = {0};
    Out o = {buf_write, &b, 0};
    VerbCtx vc = w->vc;
    vc.out = &o;
    Cmd c;
    memset(&c, 0, sizeof c);
    BlError e;
    if (verb_arch(&vc, &c, -1, &e)) {
        b.len = 0;
        sb_puts(&b, e.msg);
    }
    if (!b.data) sb_puts(&b, "");
    return b.data;
}

/* ---- the snapshot ------------------------------------------------------------------- */

static TrainLoop *job_of(Worker *w, const Run *r)
{
    for (int i = 0; i < w->njobs; i++)
        if (w->jobs[i]->r == r) return w->jobs[i];
    return NULL;
}

static int held(Worker *w, WorkerScript *s)
{
    if (!s->hold) return 0;
    if (s->hold_step < 0 && w->sweep) return 1;   /* `wait` without step= waits for the sweep too */
    for (int i = 0; i < w->njobs; i++)
        if (s->hold_step < 0 || w->jobs[i]->step < s->hold_step) return 1;
    s->hold = 0;
    return 0;
}

static void hold_text(const WorkerScript *s, char *buf, size_t cap)
{
    if (s->hold_step < 0) snprintf(buf, cap, "waiting for training and sweeps to end");
    else snprintf(buf, cap, "waiting for step %ld", s->hold_step);
}

/* Under mu, on the worker thread (it reads the Workspace). */
static void publish(Worker *w)
{
    TuiSnapshot *s = &w->snap;
    Workspace *ws = w->ws;
    s->nruns = ws->n < TUI_MAX_RUNS ? ws->n : TUI_MAX_RUNS;
    for (int i = 0; i < s->nruns; i++) {
        Run *r = ws->runs[i];
        TuiRun *t = &s->runs[i];
        TrainLoop *job = job_of(w, r);
        snprintf(t->name, sizeof t->name, "%s", r->name);
        snprintf(t->label, sizeof t->label, "%s", r->label);
        /* A distilled hybrid has taken no training step but is not untrained:
         * its students learned from the teacher (metrics reset with the model). */
        metrics_lock(&r->metrics);
        t->distilled = metrics_find(&r->metrics, "distill.mse") != NULL;
        metrics_unlock(&r->metrics);
        t->metrics = &r->metrics;
        t->color = i;
        t->current = i == ws->cur;
        t->training = job != NULL;
        t->step = run_step(r);
        t->end = job ? job->end : 0;
        t->loss = r->has_loss ? r->loss : job ? job->step_loss : NAN;
        t->val = r->has_val ? r->val : NAN;
        t->ms_step = job ? job->step_ms : 0;
    }
    snprintf(s->note, sizeof s->note, "%s", w->note);
    s->scene_ended = w->scene_ended;
    s->cue = w->cue;
    s->paused = w->paused;
    s->busy = w->busy;
    s->quit = w->quit;
    char h[64];
    if (w->busy) {
        snprintf(s->activity, sizeof s->activity, "running %s", w->running);
    } else if (w->sweep) {
        char p[128];
        sweepjob_progress(w->sweep, p, sizeof p);
        snprintf(s->activity, sizeof s->activity, "%s (Ctrl-C stops)", p);
    } else if (w->typed && w->typed->hold) {
        hold_text(w->typed, h, sizeof h);
        snprintf(s->activity, sizeof s->activity, "%s (Ctrl-C stops waiting)", h);
    } else if (w->scene) {
        const WorkerScript *sc = w->scene;
        if (sc->hold) hold_text(sc, h, sizeof h);
        int k = snprintf(s->activity, sizeof s->activity, "scene %.60s %d/%d", sc->source, sc->next, sc->list.n);
        if (sc->hold && k > 0 && (size_t)k < sizeof s->activity) snprintf(s->activity + k, sizeof s->activity - (size_t)k, ": %s", h);
    } else {
        s->activity[0] = 0;
    }
    s->version++;
}

/* ---- scripts ------------------------------------------------------------------------ */

static void script_free(WorkerScript *s)
{
    while (s) {
        WorkerScript *next = s->after;
        cmd_list_free(&s->list);
        free(s);
        s = next;
    }
}

/* "probe rank every=10", cut to fit the status line. */
static void cmd_summary(const Cmd *c, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "%s", c->verb.text);
    for (int i = 0; i < c->n_words && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, " %s", c->words[i].text);
    for (int i = 0; i < c->n_args && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, " %s=%s", c->args[i].key, c->args[i].value);
}

/* Runs the next command of s; called and returns with mu held. */
static void run_next(Worker *w, WorkerScript *s)
{
    const Cmd *c = &s->list.cmds[s->next++];
    w->busy = 1;
    cmd_summary(c, w->running, sizeof w->running);
    publish(w);
    pthread_mutex_unlock(&w->mu);

    pthread_mutex_lock(&w->ws_mu);
    ReportCtx rc = {w->log, s->source};
    w->vc.sandbox = s->sandbox;
    int failed = exec_one(&w->vc, c, report_to_log, &rc) != 0;
    w->vc.sandbox = NULL;
    int stopped = w->vc.interrupted || w->stop;
    /* A command may have rebuilt a training run's model or changed its data. */
    for (int i = 0; i < w->njobs; i++) {
        char why[200];
        if (trainloop_check(w->jobs[i], why, sizeof why) == 0) continue;
        trainloop_abandon(w->jobs[i], why);
        pthread_mutex_lock(&w->mu);
        free(w->jobs[i]);
        memmove(&w->jobs[i], &w->jobs[i + 1], sizeof w->jobs[0] * (size_t)(w->njobs - i - 1));
        w->njobs--;
        pthread_mutex_unlock(&w->mu);
        i--;
    }
    char *arch = make_arch(w);
    pthread_mutex_unlock(&w->ws_mu);

    pthread_mutex_lock(&w->mu);
    free(w->arch);
    w->arch = arch;
    if (w->vc.quit) w->quit = 1;
    w->vc.quit = 0;
    if (failed || stopped) s->next = s->list.n;   /* a failure ends its line or scene, as in batch */
    if (w->vc.note_set) {
        snprintf(w->note, sizeof w->note, "%s", w->vc.note);
        w->scene_ended = 0;
        w->vc.note_set = 0;
    }
    if (w->vc.cue_set) {
        unsigned long seq = w->cue.seq + 1;
        w->cue = w->vc.cue;
        w->cue.seq = seq;
        w->vc.cue_set = 0;
    }
    if (w->vc.wait_set) {
        s->hold = 1;
        s->hold_step = w->vc.wait_step;
        w->vc.wait_set = 0;
    }
    if (failed || stopped) s->hold = 0;
    /* A finished script leaves its queue in next_script(), once no `wait`
     * holds it: a typed `wait` holds the lines typed after it too. */
    if (s->next >= s->list.n && s->source[0] && !failed && !stopped) s->said_end = 1;
    w->busy = 0;
    w->stop = 0;
    publish(w);
}

/* Runs the next command of the script at the head of a queue, or drops the
 * head when it is finished; called and returns with mu held. Returns 0 when
 * the queue had nothing to do (empty, or held by `wait`). */
/* Commands that read what training produces. In a scene they wait for the
 * training under way to end, so a scene plays the same as in batch mode,
 * where `train` returns when it is done. */
static int reads_results(const Cmd *c)
{
    static const char *const readers[] = {"show", "export", "probe", "sample", "report", "sweep", NULL};
    for (int i = 0; readers[i]; i++)
        if (!strcmp(c->verb.text, readers[i])) return 1;
    return !strcmp(c->verb.text, "run") && c->n_words && !strcmp(c->words[0].text, "list");
}

static int next_script(Worker *w, WorkerScript **head, WorkerScript **tail)
{
    WorkerScript *s = *head;
    if (!s || held(w, s)) return 0;
    if (s->next < s->list.n && s->source[0] && (w->njobs || w->sweep) && reads_results(&s->list.cmds[s->next])) {
        s->hold = 1;   /* as a `wait` would: until training ends */
        s->hold_step = -1;
        return 0;
    }
    if (s->next < s->list.n) {
        run_next(w, s);
        return 1;
    }
    *head = s->after;
    if (*tail == s) *tail = NULL;
    s->after = NULL;
    if (s->said_end) {
        tui_log_printf(w->log, TUI_LOG_INFO, "end of scene %s\n", s->source);
        w->scene_ended = 1;
    }
    script_free(s);
    publish(w);
    return 1;
}

/* ---- training ----------------------------------------------------------------------- */

static void remove_job(Worker *w, TrainLoop *tl)
{
    for (int i = 0; i < w->njobs; i++)
        if (w->jobs[i] == tl) {
            memmove(&w->jobs[i], &w->jobs[i + 1], sizeof w->jobs[0] * (size_t)(w->njobs - i - 1));
            w->njobs--;
            return;
        }
}

/* One step of the next run in turn; called and returns with mu held. */
static void step_one(Worker *w)
{
    TrainLoop *tl = w->jobs[w->rr++ % w->njobs];
    if (w->paused && w->step_budget > 0) w->step_budget--;
    pthread_mutex_unlock(&w->mu);
    int more = trainloop_step(tl);
    if (!more) trainloop_finish(tl, 0);
    pthread_mutex_lock(&w->mu);
    if (!more) {
        remove_job(w, tl);
        free(tl);
    }
    publish(w);
}

/* A little more of the sweep (a point's probe or one of its training steps);
 * called and returns with mu held. */
static void sweep_one(Worker *w)
{
    SweepJob *j = w->sweep;
    pthread_mutex_unlock(&w->mu);
    int more = sweepjob_step(j);
    if (!more) sweepjob_finish(j, 0);
    pthread_mutex_lock(&w->mu);
    if (!more) {
        w->sweep = NULL;
        free(j);
    }
    publish(w);
}

/* Ctrl-C: the scene, the typed queue, the sweep and every training run stop;
 * called and returns with mu held. */
static void interrupt_all(Worker *w)
{
    int had = w->njobs || w->scene || w->typed || w->sweep;
    SweepJob *sweep = w->sweep;
    w->sweep = NULL;
    script_free(w->typed);
    script_free(w->scene);
    w->typed = w->typed_last = w->scene = w->scene_last = NULL;
    TrainLoop *jobs[WORKER_MAX_JOBS];
    int n = w->njobs;
    memcpy(jobs, w->jobs, sizeof jobs[0] * (size_t)n);
    w->njobs = 0;
    w->paused = 0;
    w->step_budget = 0;
    w->interrupt = 0;
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < n; i++) {
        trainloop_finish(jobs[i], 1);
        free(jobs[i]);
    }
    if (sweep) {
        sweepjob_finish(sweep, 1);
        free(sweep);
    }
    if (had) tui_log_printf(w->log, TUI_LOG_INFO, "stopped (Ctrl-C): training, sweeps and queued commands; the runs are kept\n");
    pthread_mutex_lock(&w->mu);
    w->stop = 0;
    publish(w);
}

static void *worker_main(void *arg)
{
    Worker *w = arg;
    par_adopt();   /* OpenMP keeps the thread count per thread (core/par.h) */
    pthread_mutex_lock(&w->mu);
    publish(w);
    while (!w->exit) {
        if (w->interrupt) interrupt_all(w);
        else if (next_script(w, &w->typed, &w->typed_last)) continue;
        else if (next_script(w, &w->scene, &w->scene_last)) continue;
        else if (w->sweep && (w->sweep_turn ^= 1, w->sweep_turn || !w->njobs || w->paused)) sweep_one(w);
        else if (w->njobs && (!w->paused || w->step_budget > 0)) step_one(w);
        else if (w->snap.paused != w->paused) publish(w);   /* "paused" shows once no step is under way */
        else pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the UI thread's side ------------------------------------------------------------ */

int worker_start(Worker *w, Workspace *ws, TuiLog *log, BlError *e)
{
    memset(w, 0, sizeof *w);
    w->ws = ws;
    w->log = log;
    w->out = (Out){log_out, log, 0};
    w->vc.ws = ws;
    w->vc.out = &w->out;
    w->vc.stop = &w->stop;
    w->vc.worker = w;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->ws_mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->arch = make_arch(w);
    /* Signals are the UI thread's business: the worker never sees them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTSTP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = pthread_create(&w->th, NULL, worker_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) return bl_fail(e, "cannot start the training thread: %s", strerror(rc));
    w->started = 1;
    return 0;
}

void worker_stop(Worker *w)
{
    if (!w->started) return;
    pthread_mutex_lock(&w->mu);
    w->exit = 1;
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    w->started = 0;
    for (int i = 0; i < w->njobs; i++) {
        w->jobs[i]->r->tr.after_backward = NULL;
        w->jobs[i]->r->tr.after_ctx = NULL;
        free(w->jobs[i]);
    }
    w->njobs = 0;
    if (w->sweep) {
        if (w->sweep->started) sweep_point_free(&w->sweep->pt);
        free(w->sweep);
        w->sweep = NULL;
    }
    script_free(w->typed);
    script_free(w->scene);
    w->typed = w->scene = NULL;
    free(w->arch);
    w->arch = NULL;
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->ws_mu);
}

static void enqueue(Worker *w, WorkerScript *s, WorkerScript **head, WorkerScript **tail)
{
    pthread_mutex_lock(&w->mu);
    if (*tail) (*tail)->after = s;
    else *head = s;
    *tail = s;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_submit(Worker *w, const char *line)
{
    WorkerScript *s = xcalloc(1, sizeof *s);
    ReportCtx rc = {w->log, ""};
    /* Parsing and checking touch no state: done here, so a typo answers at once. */
    if (exec_prepare(line, 0, report_to_log, &rc, &s->list) || s->list.n == 0) {
        free(s);
        return;
    }
    enqueue(w, s, &w->typed, &w->typed_last);
}

int worker_play(Worker *w, const char *source, const char *text, const struct Sandbox *sandbox)
{
    WorkerScript *s = xcalloc(1, sizeof *s);
    s->sandbox = sandbox;
    const char *base = strrchr(source, '/');
    snprintf(s->source, sizeof s->source, "%s", base ? base + 1 : source);
    ReportCtx rc = {w->log, source};
    if (exec_prepare(text, 0, report_to_log, &rc, &s->list)) {
        free(s);
        return -1;
    }
    if (s->list.n == 0) {
        free(s);
        return 0;
    }
    enqueue(w, s, &w->scene, &w->scene_last);
    return 0;
}

void worker_control(Worker *w, TuiControl what)
{
    pthread_mutex_lock(&w->mu);
    switch (what) {
    case TUI_PAUSE_TOGGLE:
        w->paused = !w->paused;
        w->step_budget = 0;
        break;
    case TUI_STEP_ONE:
        w->paused = 1;
        w->step_budget += w->njobs;
        if (!w->njobs) tui_log_printf(w->log, TUI_LOG_INFO, "nothing is training: '.' steps a run that trains (train steps=N)\n");
        break;
    case TUI_INTERRUPT:
        w->interrupt = 1;
        w->stop = 1;
        break;
    }
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_snapshot(Worker *w, TuiSnapshot *s)
{
    pthread_mutex_lock(&w->mu);
    *s = w->snap;
    pthread_mutex_unlock(&w->mu);
}

char *worker_arch(Worker *w)
{
    pthread_mutex_lock(&w->mu);
    char *s = xstrdup(w->arch ? w->arch : "");
    pthread_mutex_unlock(&w->mu);
    return s;
}

int worker_ws_lock(Worker *w, int on)
{
    if (on) return pthread_mutex_trylock(&w->ws_mu);
    return pthread_mutex_unlock(&w->ws_mu);
}

int worker_train(Worker *w, Run *r, const TrainCfg *cfg, BlError *e)
{
    TrainLoop *old = job_of(w, r);
    if (old)
        return bl_fail(e, "run %s is training already (step %ld of %ld): `wait` for it, or Ctrl-C stops it", r->name, old->step,
                       old->end);
    if (w->njobs >= WORKER_MAX_JOBS) return bl_fail(e, "%d runs are training already", w->njobs);
    TrainLoop *tl = xmalloc(sizeof *tl);
    if (trainloop_start(tl, r, cfg, &w->out, 1, e)) {
        free(tl);
        return -1;
    }
    pthread_mutex_lock(&w->mu);
    w->jobs[w->njobs++] = tl;
    int paused = w->paused;
    pthread_mutex_unlock(&w->mu);
    if (paused) out_printf(&w->out, "%s: training is paused: space starts it, . takes one step\n", r->name);
    return 0;
}

int worker_sweep(Worker *w, Run *r, const SweepPlan *p, BlError *e)
{
    pthread_mutex_lock(&w->mu);
    SweepJob *old = w->sweep;
    int k = old ? old->k : 0, n = old ? old->n : 0;
    pthread_mutex_unlock(&w->mu);
    if (old) return bl_fail(e, "a sweep is under way (%d of %d points done): `wait` for it, or Ctrl-C stops it", k, n);
    SweepJob *j = xmalloc(sizeof *j);
    sweepjob_start(j, r, p, &w->out);
    out_puts(&w->out, "sweep: in the background; the chart fills in point by point (Ctrl-C stops)\n");
    pthread_mutex_lock(&w->mu);
    w->sweep = j;
    pthread_mutex_unlock(&w->mu);
    return 0;
}
