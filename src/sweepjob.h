/* sweepjob.h — one `sweep` as a job stepped from outside, as trainloop.h is
 * for `train`: start (the series, the header line), step (a little of the
 * current point: a probe, or one training step of probe=loss; a line per
 * point done), finish (the summary). The batch path runs it to the end in the
 * foreground; the dashboard's worker interleaves it with commands and
 * training, so the screen shows its points as they come.
 *
 *     SweepJob j;
 *     sweepjob_start(&j, run, &plan, out);
 *     while (j.more && !stop) sweepjob_step(&j);
 *     sweepjob_finish(&j, stop); */
#ifndef BL_SWEEPJOB_H
#define BL_SWEEPJOB_H

#include <stddef.h>

#include "out.h"
#include "sweep.h"
#include "workspace.h"

typedef struct SweepJob {
    Run      *r;            /* borrowed: the run whose Metrics get the lines */
    Out      *out;
    SweepPlan plan;
    DataSpec  data;         /* the run's data at the start (each point opens its own copy) */
    int       has_data;
    int       n, k;         /* points; the one under way */
    int       failed;       /* points that could not be measured */
    int       more;         /* 1 while points remain */
    SweepPoint pt;
    int       started;      /* pt holds point k */
    double    t0, tk;       /* start of the sweep, of point k */
} SweepJob;

/* Makes the run's sweep lines (x filled, values pending) and prints what it
 * will measure. */
void sweepjob_start(SweepJob *j, Run *r, const SweepPlan *p, Out *out);
/* A little more work; returns j->more. */
int  sweepjob_step(SweepJob *j);
/* The summary line ("stopped after k of N points" when interrupted); frees
 * the point under way. */
void sweepjob_finish(SweepJob *j, int interrupted);
/* "sweep 3/10: depth=100 preset=postln" for a status line. */
void sweepjob_progress(const SweepJob *j, char *buf, size_t cap);
/* The chart a sweep of this probe draws: "sweep.updates". */
void sweepjob_chart(const SweepPlan *p, char *buf, size_t cap);

#endif
