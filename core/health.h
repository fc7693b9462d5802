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
} Health;

void health_init(Health *h);
/* Adds one step; returns 1 when loss or grad norm is a spike against the
 * window before it (at least 20 steps seen), with the z-scores in *zl, *zg. */
int  health_step(Health *h, double loss, double gnorm, double *zl, double *zg);

#endif
