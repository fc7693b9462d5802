/* health.h — spotting trouble in a training run: a loss or grad-norm spike is
 * a value far above its recent history (rolling z-score over a window), the
 * kind of event DeepNet's Post-LN runs show before they stall. NaN/Inf is
 * handled by the trainer itself (StepStats.nonfinite); this is the softer alarm. */
#ifndef BL_HEALTH_H
#define BL_HEALTH_H

#define HEALTH_WINDOW 50

typedef struct Health {
    double loss[HEALTH_WINDOW], gnorm[HEALTH_WINDOW];
    int    n, next;
    double z_threshold;   /* default 6 */
    int    quiet;         /* steps left before another spike may be flagged */
} Health;

void health_init(Health *h);
/* Adds one step; returns 1 when loss or grad norm jumps above the window
 * before it (at least 20 steps seen), with the z-scores in *zl, *zg. The spread
 * has a floor of 5% of the mean plus 0.01, so a loss near zero or a flat
 * stretch does not make noise look like a spike, and after a spike the next
 * HEALTH_WINDOW steps stay quiet (one event, one line). */
int  health_step(Health *h, double loss, double gnorm, double *zl, double *zg);

#endif
