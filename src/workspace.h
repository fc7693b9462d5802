/* workspace.h — the session's state: named Runs, one of them current. A Run
 * owns its Model, DataSource, training settings and Trainer (optimizer moments,
 * step), so `train` twice continues and A/B runs never share mutable state.
 * Not here: parsing or printing (verbs do that), threads (the TUI's worker). */
#ifndef BL_WORKSPACE_H
#define BL_WORKSPACE_H

#include <stdint.h>

#include "checkpoint.h"
#include "health.h"
#include "metrics.h"
#include "probe.h"
#include "train.h"

#define WS_AUTO (-1)   /* log_every / eval_every chosen from the step count */

/* What `train` keys set; kept per run so later `train` calls reuse them. */
typedef struct TrainCfg {
    OptSpec opt;           /* opt.steps (schedule length) is set per call, see ws_schedule_total */
    int     batch;         /* B */
    int     steps;         /* steps per `train` call */
    int     total;         /* schedule length if given (total=); 0: ends with each call */
    int     log_every;     /* WS_AUTO: steps/10 */
    int     eval_every;    /* WS_AUTO: as log_every; 0: never */
    int     eval_batches;  /* validation batches per evaluation */
    int     new_cycle;     /* this call named lr= or warmup=: a schedule that has
                              ended starts a new cycle (src/trainloop.c) */
    int     warmup_given;  /* warmup= named in this call (0 typed: no warmup) */
} TrainCfg;

void ws_train_defaults(TrainCfg *c);   /* AdamW 1e-3 cosine, batch 32, 100 steps */

typedef struct Run {
    char       name[32];
    char       label[CKPT_LABEL_MAX + 1];   /* what legends, titles and files call it ("" none: the name) */
    Model      model;           /* valid when has_model */
    int        has_model;
    int        vocab_explicit;  /* `model new vocab=` given: data never resizes it */
    DataSource data;            /* valid when has_data */
    int        has_data;
    TrainCfg   cfg;
    Trainer    tr;              /* valid when has_trainer; borrows model and data */
    int        has_trainer;
    unsigned   trainer_gen;     /* changes whenever tr is dropped or made afresh (a TUI training loop checks it) */
    uint64_t   seed;            /* sampling seed (set seed=) */
    Metrics    metrics;         /* everything recorded: loss, val, probes */
    Prober     prober;          /* valid when has_prober; rebuilt with the model or data */
    int        has_prober;
    unsigned   probe_mask;      /* probes taken while training (probe ... every=N) */
    int        probe_every;     /* 0: none */
    long       probed_at;       /* step of the last forward probes (-1: none), so none runs twice */
    Health     health;          /* loss / grad-norm spike detector */
    /* A loaded checkpoint whose text data is not open yet (load opens no other
     * file): its moments and stream wait for `data text=` of the same file. */
    Optimizer  pending_opt;
    long       pending_step;
    DataSpec   pending_data;
    uint64_t   pending_position;
    int        has_pending;
    /* Last figures, for `run list`. */
    float      loss, val, exact;
    int        has_loss, has_val;
} Run;

typedef struct Workspace {
    Run    **runs;     /* owned; pointers stay valid while the run exists */
    int      n, cur;
    uint64_t seed;     /* default seed for new models, data and runs */
} Workspace;

void ws_init(Workspace *ws);           /* one empty run named "A" */
void ws_free(Workspace *ws);
Run *ws_current(Workspace *ws);
Run *ws_find(Workspace *ws, const char *name);
/* Adds a run named name, copying from's model spec (freshly initialised from the
 * same seed), data and settings when from is not NULL; returns it (not made current). */
Run *ws_add(Workspace *ws, const char *name, const Run *from, BlError *e);

/* Replaces the run's model with *m (moved: *m is zeroed). Drops the trainer:
 * a new model starts at step 0 with fresh optimizer moments. */
void run_set_model(Run *r, Model *m);
/* Forgets a checkpoint's waiting moments (safe when there are none). */
void run_drop_pending(Run *r);
/* Replaces the run's data with *d (moved). Keeps the trainer (it borrows &r->data). */
void run_set_data(Run *r, DataSource *d);
void run_drop_trainer(Run *r);
/* The run's trainer, created or re-batched to cfg.batch, moments and step kept.
 * Fails when there is no model or data, or they do not fit each other. */
Trainer *run_trainer(Run *r, BlError *e);
long run_step(const Run *r);           /* training steps taken (0 without a trainer) */
/* The run's prober (fixed probe batch of RUN_PROBE_ROWS sequences from its
 * data, or from the model's vocab when there is no data yet), created on first use. */
#define RUN_PROBE_ROWS 4
Prober *run_prober(Run *r, BlError *e);
/* Drops recorded metrics (but a sweep's, whose points are models of their
 * own) and the prober: called when the model is rebuilt. */
void run_reset_metrics(Run *r);

#endif
