/* trainloop.h — one `train` call as a loop that is stepped from outside: start
 * (settings, the step-0 probes), step (one step with its probes, alarms, log and
 * evaluation lines), finish (the summary). The batch path runs it to the end in
 * the foreground; the TUI's worker interleaves the steps of several runs and
 * runs commands between them. Lines go to an Out sink; no threads in here.
 *
 *     TrainLoop tl;
 *     if (trainloop_start(&tl, run, &cfg, out, 0, &err)) return -1;
 *     while (tl.more && !stop) trainloop_step(&tl);
 *     trainloop_finish(&tl, stop);
 *
 * A started loop must not move in memory (the trainer's gradient hook points
 * at it) until trainloop_finish or trainloop_abandon. */
#ifndef BL_TRAINLOOP_H
#define BL_TRAINLOOP_H

#include <stddef.h>

#include "out.h"
#include "workspace.h"

typedef struct TrainLoop {
    Run     *r;             /* borrowed; the loop trains r->tr */
    Out     *out;
    int      brief;         /* 1: a one-line settings summary and step lines led by the run's name (TUI log) */
    unsigned gen;           /* r->trainer_gen at start: the trainer is still this loop's while equal */
    long     start, end;    /* steps start+1..end */
    int      log_every, eval_every, eval_batches;
    int      more;          /* 1 while steps remain and nothing stopped the loop */
    int      alarm;         /* 1: NaN/Inf or a probe alarm stopped it */
    long     step;          /* steps taken so far (a copy the caller may read between steps) */
    float    last_loss;     /* mean loss of the last logged interval; NaN before */
    double   step_ms;       /* wall time of the last step */
    float    step_loss;     /* loss of the last step */
    /* Interval accumulators and the summary's figures. */
    double   t0, loss_sum, aux_sum, sec_sum, tokens;
    double   train_seconds; /* the run's "time" series: seconds of its steps, all calls */
    int      n_sum, evaluated;
    EvalStats ev;
    /* The grads probe reads raw gradients in the trainer's after_backward hook. */
    long     grads_due;     /* the step whose gradients are wanted, 0: none */
    char     grads_bad[600];
} TrainLoop;

/* Applies cfg to the run (kept for later `train` calls), makes its trainer,
 * prints the settings and takes the step-0 probes. On failure the run's
 * settings are restored and nothing is left to finish. */
int  trainloop_start(TrainLoop *tl, Run *r, const TrainCfg *cfg, Out *out, int brief, BlError *e);
/* One step (and its probes, evaluation, lines). Returns tl->more. */
int  trainloop_step(TrainLoop *tl);
/* After a command ran between steps: 0 when the loop can go on (a dropped
 * prober is remade, changed probe settings are taken up), else -1 with why
 * ("its model was rebuilt", ...). */
int  trainloop_check(TrainLoop *tl, char *why, size_t cap);
/* The summary line (and "interrupted at step ..." when interrupted). */
void trainloop_finish(TrainLoop *tl, int interrupted);
/* Ends a loop whose trainer is gone (trainloop_check failed): one line with why. */
void trainloop_abandon(TrainLoop *tl, const char *why);

/* The run's model, data, optimizer, schedule and batch as the lines `train`
 * prints before it starts (nothing without a model and data), for reports. */
void trainloop_describe(Out *o, const Run *r);

#endif
