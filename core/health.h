/* health.h — spotting trouble in a training run: a loss spike is a loss far
 * above its recent level (robust z-score: median and MAD over a window) that
 * persists, the kind of event DeepNet's Post-LN runs show before they stall.
 * NaN/Inf is handled by the trainer itself (StepStats.nonfinite); this is the
 * softer alarm. Measured false alarms: tests/unit/test_health.c. */
#ifndef BL_HEALTH_H
#define BL_HEALTH_H

#define HEALTH_WINDOW 50

typedef struct Health {
    double loss[HEALTH_WINDOW], gnorm[HEALTH_WINDOW];
    int    n, next;
    double z_threshold;   /* default 6 */
    int    quiet;         /* steps left before another spike may be flagged */
    int    above;         /* the last step's loss was above the threshold */
} Health;

void health_init(Health *h);
/* Adds one step; returns 1 when the loss jumps above the window before it (at
 * least 20 steps seen) on two steps in a row, or on one by three times the
 * threshold, with the robust z-scores of loss and grad norm in *zl, *zg. A
 * falling loss never alarms, nor does the grad norm alone. The spread has a
 * floor of 5% of the level plus 0.01, so a loss near zero or a flat stretch
 * does not make noise look like a spike, and after a spike the next
 * HEALTH_WINDOW steps stay quiet (one event, one line). */
int  health_step(Health *h, double loss, double gnorm, double *zl, double *zg);

#endif
