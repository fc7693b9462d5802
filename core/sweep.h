/* sweep.h — a sweep: one measurement taken on many freshly built models that
 * differ in one or two settings, as the points of a chart whose x-axis is a
 * setting (DeepNet's ||dF|| against depth, one line per preset).
 *
 *   SweepPlan    plain data: the fixed keys, the x list, the line list, what to
 *                measure; the caller (src/verbs_sweep.c) parses and checks it
 *   sweep_point_arch   the ArchSpec of point k (exactly what `model new` with
 *                those keys and `block all` with the block keys builds)
 *   SweepPoint   measures one point, a little at a time (a training run is one
 *                step per call), so a caller can interleave it with other work
 *   sweep_begin, sweep_record   the results in Metrics, one series per line:
 *                "sweep.<probe>.<line>", 2 × points (row 0 x, row 1 the values,
 *                NaN while pending), xlabel the swept key, step = points done
 *
 * Every point builds its own model from the plan's seed, so a point's value
 * equals the single-model probe (`model new ...; probe updates lr=0.1`) with
 * the same settings. Nothing here prints. */
#ifndef BL_SWEEP_H
#define BL_SWEEP_H

#include "budget.h"
#include "data.h"
#include "metrics.h"
#include "model.h"
#include "optim.h"
#include "probe.h"
#include "train.h"

#define SWEEP_MAX_VALUES 32   /* values in one list */
#define SWEEP_MAX_POINTS 64   /* x values × lines */
#define SWEEP_MAX_FIXED  48
#define SWEEP_PROBE_BATCH 4   /* sequences of a probe point's batch: RUN_PROBE_ROWS, as a run's prober */

typedef enum { SWEEP_RANK, SWEEP_UPDATES, SWEEP_GRADS, SWEEP_PARAMS, SWEEP_LOSS } SweepProbe;
extern const char *const sweep_probe_names[];   /* NULL-terminated, in SweepProbe order */
/* What a probe's value is, for lines and axes: "mean token cosine after the last block", ... */
extern const char *const sweep_probe_what[];

typedef struct SweepKV {
    char key[32];
    char value[64];
    int  trainable;     /* a block gain written key~=value */
} SweepKV;

typedef struct SweepList {
    char   key[32];     /* "" when absent */
    int    n;
    char   values[SWEEP_MAX_VALUES][32];
} SweepList;

typedef struct SweepPlan {
    SweepProbe probe;
    SweepKV    fixed[SWEEP_MAX_FIXED];   /* model and block keys with one value, in order */
    int        n_fixed;
    SweepList  x;          /* the x-axis: numbers, increasing */
    SweepList  line;       /* one line per value; n == 0: one line named label */
    char       label[32];  /* the line's name when there is no line list (""; its preset); else a prefix */
    uint64_t   seed;       /* model seed unless a key sets it (the workspace's) */
    int        data_vocab; /* the run's data vocab when it has data (vocab not given: sized to it), else 0 */
    /* updates: the SGD step's lr; loss: the peak lr, steps, batch, opt */
    float      lr;
    int        steps, batch;
    OptSpec    opt;
} SweepPlan;

void sweep_plan_default(SweepPlan *p);   /* probe rank, lr 0.1, steps 100, batch 32, AdamW defaults */
int  sweep_points(const SweepPlan *p);   /* x values × lines */
int  sweep_lines(const SweepPlan *p);    /* lines (at least 1) */
/* Which x value and line point k is: x-major, so every line grows together. */
void sweep_point_at(const SweepPlan *p, int k, int *xi, int *li);
/* The name of line li ("postln", "width=64", label, or the preset of a single line), into buf. */
void sweep_line_name(const SweepPlan *p, int li, char *buf, int cap);
/* "depth=100 preset=postln" for point k. */
void sweep_point_text(const SweepPlan *p, int k, char *buf, int cap);
/* Whether key is one a plan sets outside the ArchSpec (lr, steps). */
int  sweep_key_is_run_setting(const char *key);

/* The ArchSpec of point k into a (zeroed or holding a spec); -1 with one line
 * when a key or the combination is refused. */
int  sweep_point_arch(const SweepPlan *p, int k, ArchSpec *a, BlError *e);
/* What point k will cost (parameters, gradients, activations; moments for loss). */
int  sweep_point_budget(const SweepPlan *p, int k, MemBudget *b, BlError *e);

/* One point being measured. */
typedef struct SweepPoint {
    int        k;
    double     value;       /* the result once done (NaN/Inf possible: the probe's alarm in msg) */
    int        done;
    ArchSpec   arch;
    Model      model;
    int        has_model;
    Prober     prober;
    int        has_prober;
    DataSource data;
    int        has_data;
    Trainer    tr;
    int        has_trainer;
    int        steps;       /* loss: training steps, step taken so far in tr.step */
    char       msg[512];    /* a probe's NaN/Inf alarm, kept with the value */
} SweepPoint;

/* Builds point k's model (not for params, which counts without building).
 * data: the run's data spec (probe batch, and the loss probe's training data),
 * or NULL. */
int  sweep_point_start(SweepPoint *pt, const SweepPlan *p, int k, const DataSpec *data, BlError *e);
/* Does a little more of the measurement: returns 1 while more remains, 0 when
 * pt->value is set, -1 with a message when the point cannot be measured. */
int  sweep_point_step(SweepPoint *pt, const SweepPlan *p, BlError *e);
void sweep_point_free(SweepPoint *pt);

/* Makes the plan's line series in mt (x filled, values NaN), dropping the
 * lines of an earlier sweep of the same probe over another key. Locks mt. */
void sweep_begin(Metrics *mt, const SweepPlan *p);
/* Records point k's value (the record's step: the line's points so far). Locks mt. */
void sweep_record(Metrics *mt, const SweepPlan *p, int k, double value);
/* "sweep.<probe>.<line>" of line li, into buf. */
void sweep_series_name(const SweepPlan *p, int li, char *buf, int cap);

#endif
