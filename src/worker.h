/* worker.h — the dashboard's engine thread: while the TUI is open it is the one
 * thread that calls into the engine (OpenBLAS included) and changes the
 * Workspace. It runs typed lines and a scene command by command, interleaves
 * one step of every training run between them, and publishes a snapshot
 * (runs, steps, what it is doing) for the screen. A command therefore always
 * finds training between two steps: paused. Verb output goes to the log.
 *
 * Locks: `mu` guards the queues, the jobs list and the snapshot (held briefly,
 * never during a step or a command); `ws_mu` is held while a command runs, so
 * the UI thread can read the Workspace for tab completion. Metrics have their
 * own lock (core/metrics.h). */
#ifndef BL_WORKER_H
#define BL_WORKER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "exec.h"
#include "out.h"
#include "sweepjob.h"
#include "trainloop.h"
#include "tui.h"

#define WORKER_MAX_JOBS TUI_MAX_RUNS

/* A list of checked commands run one at a time: a typed line or a scene. */
typedef struct WorkerScript {
    const struct Sandbox *sandbox;   /* what a scene may touch; NULL for typed lines */
    CmdList list;
    int     next;           /* index of the next command */
    char    source[128];    /* "tour.bl" for errors "tour.bl:3:1: ..."; "" for a typed line */
    int     hold;           /* 1: held by `wait` */
    long    hold_step;      /* until every training run reaches this step (-1: until training ends) */
    int     said_end;       /* a scene that ran to its end: say so when it leaves the queue */
    struct WorkerScript *after;   /* the next typed line (queue) */
} WorkerScript;

typedef struct Worker {
    pthread_t       th;
    int             started;
    pthread_mutex_t mu, ws_mu;
    pthread_cond_t  cv;
    Workspace      *ws;
    TuiLog         *log;
    Out             out;            /* verbs' output → log */
    VerbCtx         vc;
    atomic_int stop;                /* vc.stop: asks a running command to stop (set by the UI thread) */
    /* Under mu: */
    WorkerScript   *typed, *typed_last;   /* typed lines, oldest first */
    WorkerScript   *scene, *scene_last;  /* scenes to play, in order */
    TrainLoop      *jobs[WORKER_MAX_JOBS];
    int             njobs, rr;
    SweepJob       *sweep;          /* the sweep under way, or NULL (one at a time) */
    int             sweep_turn;     /* alternates sweep work with training steps */
    int             paused, step_budget;
    int             interrupt, exit, quit;
    int             busy;
    char            running[96];    /* the command being run */
    char            note[512];      /* the last note (the notes strip) */
    int             scene_ended;    /* the scene that wrote it has ended */
    TuiCue          cue;            /* the last `focus` / `show` cue */
    TuiSnapshot     snap;           /* published for the UI */
    char           *arch;           /* the current run's arch text (owned) */
} Worker;

/* Starts the thread. The workspace belongs to the worker until worker_stop. */
int  worker_start(Worker *w, Workspace *ws, TuiLog *log, BlError *e);
/* Stops training without a word (the screen is going away), joins the thread. */
void worker_stop(Worker *w);
/* Queues a typed line (copied). Errors are reported under the echoed line
 * with a caret at their column, as the plain prompt does. */
void worker_submit(Worker *w, const char *line);
/* Parses and checks a scene now (errors to the log as SOURCE:LINE:COL, and
 * nothing runs) and queues it to play alongside typed lines. */
int  worker_play(Worker *w, const char *source, const char *text, const struct Sandbox *sandbox);
void worker_control(Worker *w, TuiControl what);
void worker_snapshot(Worker *w, TuiSnapshot *s);
char *worker_arch(Worker *w);   /* malloc'd copy */
/* Tries to take (on) or releases the workspace, for completion, which reads
 * run and series names; taking fails (non-zero) while a command runs, so a
 * Tab never waits for one. */
int  worker_ws_lock(Worker *w, int on);

/* Called by `train` on the worker thread: starts a loop for r and adds it to
 * the training runs. Refuses a run that is training already. */
int  worker_train(Worker *w, Run *r, const TrainCfg *cfg, BlError *e);
/* Called by `sweep` on the worker thread: starts the plan's points in the
 * background (one sweep at a time; `wait` and a scene's reading commands wait
 * for it, Ctrl-C stops it). */
int  worker_sweep(Worker *w, Run *r, const SweepPlan *p, BlError *e);

#endif
