/* health.c — rolling z-score spike detector over the last HEALTH_WINDOW steps. */
#include "health.h"

#include <math.h>
#include <string.h>

void health_init(Health *h)
{
    memset(h, 0, sizeof *h);
    h->z_threshold = 6.0;
}

static double zscore(const double *v, int n, double x)
{
    double m = 0, s = 0;
    for (int i = 0; i < n; i++) m += v[i];
    m /= n;
    for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    s = sqrt(s / n);
    /* A floor on the spread: a flat or near-zero history must not make noise look like a spike. */
    return (x - m) / fmax(s, 0.05 * fabs(m) + 1e-2);
}

int health_step(Health *h, double loss, double gnorm, double *zl, double *zg)
{
    int n = h->n < HEALTH_WINDOW ? h->n : HEALTH_WINDOW;
    *zl = *zg = 0;
    int spike = 0;
    if (n >= 20 && isfinite(loss) && isfinite(gnorm)) {
        *zl = zscore(h->loss, n, loss);
        *zg = zscore(h->gnorm, n, gnorm);
        spike = (*zl > h->z_threshold || *zg > h->z_threshold) && h->quiet == 0;
    }
    if (h->quiet > 0) h->quiet--;
    if (spike) h->quiet = HEALTH_WINDOW;
    h->loss[h->next] = loss;
    h->gnorm[h->next] = gnorm;
    h->next = (h->next + 1) % HEALTH_WINDOW;
    h->n++;
    return spike;
}
