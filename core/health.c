/* health.c — the spike alarm: a training loss far above its recent level that
 * stays there. The level and spread are the median and MAD of the last
 * HEALTH_WINDOW losses (robust: one noisy batch neither fires the alarm nor
 * hides the next jump); only a rise counts, never a fall; and it takes two
 * steps in a row above the threshold, or one three times above it, because a
 * healthy run's outlier batch stands alone while a divergence persists.
 * The grad norm is reported with a spike but never raises one alone: Adam
 * runs show gradient bursts that heal by themselves. */
#include "health.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void health_init(Health *h)
{
    memset(h, 0, sizeof *h);
    h->z_threshold = 6.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* (x - median) / spread over v[0..n), the spread being 1.4826 MAD (the
 * standard deviation for normal noise) with a floor of 5% of the level plus
 * 0.01, so a flat or near-zero history does not turn noise into spikes. */
static double robust_z(const double *v, int n, double x)
{
    double tmp[HEALTH_WINDOW];
    memcpy(tmp, v, sizeof *v * (size_t)n);
    double m = median(tmp, n);
    for (int i = 0; i < n; i++) tmp[i] = fabs(v[i] - m);
    double s = 1.4826 * median(tmp, n);
    return (x - m) / fmax(s, 0.05 * fabs(m) + 1e-2);
}

int health_step(Health *h, double loss, double gnorm, double *zl, double *zg)
{
    int n = h->n < HEALTH_WINDOW ? h->n : HEALTH_WINDOW;
    *zl = *zg = 0;
    int spike = 0;
    if (n >= 20 && isfinite(loss) && isfinite(gnorm)) {
        *zl = robust_z(h->loss, n, loss);
        *zg = robust_z(h->gnorm, n, gnorm);
        int above = *zl > h->z_threshold;
        spike = h->quiet == 0 && ((above && h->above) || *zl > 3 * h->z_threshold);
        h->above = above;
    }
    if (h->quiet > 0) h->quiet--;
    if (spike) h->quiet = HEALTH_WINDOW;
    /* (The median barely moves for one high step, so the second is measured
     * against the same level.) */
    h->loss[h->next] = loss;
    h->gnorm[h->next] = gnorm;
    h->next = (h->next + 1) % HEALTH_WINDOW;
    h->n++;
    return spike;
}
