/* linalg.c — the small dense linear algebra the probes need, in double. */
#include "linalg.h"

#include <math.h>
#include <stddef.h>

/* √(a² + b²) without overflow; glibc's hypot is exact to the last bit and slower
 * than this whole probe needs. */
static inline double hyp(double a, double b)
{
    a = fabs(a); b = fabs(b);
    double hi = a > b ? a : b, lo = a > b ? b : a;   /* a NaN ends up in hi or lo and comes out */
    if (!(hi > 0)) return hi;
    lo /= hi;
    return hi * sqrt(1 + lo * lo);
}

/* Householder reduction to tridiagonal form,
 * then the implicit QL iteration with Wilkinson shifts (EISPACK tred1/tql1, as in
 * JAMA's public-domain port), eigenvalues only: about 2n³ flops where cyclic
 * Jacobi took ~4n³ a sweep for ~8 sweeps. Same values to double rounding
 * (tests/unit/test_numeric.c checks them against known spectra). */
void linalg_sym_eigenvalues(double *a, int n, double *ev, double *work)
{
    double *d = ev, *e = work, *w = work + n;
    /* Step k reflects rows/columns k+1..n-1 so that column k is zero below k+1.
     * Only the lower triangle is read; row k's upper part holds the vector v. */
    for (int k = 0; k < n - 2; k++) {
        double *v = a + (size_t)k * n, norm = 0;
        for (int i = k + 1; i < n; i++) norm += a[(size_t)i * n + k] * a[(size_t)i * n + k];
        norm = sqrt(norm);
        double alpha = a[(size_t)(k + 1) * n + k] > 0 ? -norm : norm, vv = 0;
        d[k] = a[(size_t)k * n + k];
        e[k] = alpha;
        for (int i = k + 1; i < n; i++) v[i] = a[(size_t)i * n + k];
        v[k + 1] -= alpha;
        for (int i = k + 1; i < n; i++) vv += v[i] * v[i];
        if (vv == 0) { e[k] = a[(size_t)(k + 1) * n + k]; continue; }   /* column already zero */
        /* H = I − β v vᵀ;  A ← H A H = A − v wᵀ − w vᵀ with w = p − (β vᵀp / 2) v, p = β A v */
        double beta = 2 / vv, K = 0;
        for (int i = k + 1; i < n; i++) {
            double s = 0;
            for (int j = k + 1; j <= i; j++) s += a[(size_t)i * n + j] * v[j];
            for (int j = i + 1; j < n; j++) s += a[(size_t)j * n + i] * v[j];
            w[i] = beta * s;
            K += v[i] * w[i];
        }
        K *= beta / 2;
        for (int i = k + 1; i < n; i++) w[i] -= K * v[i];
        for (int i = k + 1; i < n; i++)
            for (int j = k + 1; j <= i; j++) a[(size_t)i * n + j] -= v[i] * w[j] + w[i] * v[j];
    }
    for (int k = n - 2 > 0 ? n - 2 : 0; k < n; k++) {   /* the last 2×2 block is tridiagonal already */
        d[k] = a[(size_t)k * n + k];
        e[k] = k + 1 < n ? a[(size_t)(k + 1) * n + k] : 0;
    }
    /* Implicit QL with Wilkinson shifts; e[i] couples d[i] and d[i+1]. The
     * iteration cap only matters for non-finite input (a probe of a diverged run). */
    double f = 0, tst1 = 0, eps = 0x1p-52;
    for (int l = 0; l < n; l++) {
        tst1 = fmax(tst1, fabs(d[l]) + fabs(e[l]));
        int m = l;
        while (m < n - 1 && !(fabs(e[m]) <= eps * tst1)) m++;
        for (int iter = 0; m > l && iter < 60; iter++) {
            double g = d[l], p = (d[l + 1] - g) / (2 * e[l]), r = hyp(p, 1.0);
            if (p < 0) r = -r;
            d[l] = e[l] / (p + r);
            d[l + 1] = e[l] * (p + r);
            double dl1 = d[l + 1], h = g - d[l];
            for (int i = l + 2; i < n; i++) d[i] -= h;
            f += h;
            p = d[m];
            double c = 1, c2 = 1, c3 = 1, el1 = e[l + 1], s = 0, s2 = 0;
            for (int i = m - 1; i >= l; i--) {
                c3 = c2; c2 = c; s2 = s;
                g = c * e[i];
                h = c * p;
                r = hyp(p, e[i]);
                e[i + 1] = s * r;
                s = e[i] / r;
                c = p / r;
                p = c * d[i] - s * g;
                d[i + 1] = h + s * (c * g + s * d[i]);
            }
            p = -s * s2 * c3 * el1 * e[l] / dl1;
            e[l] = s * p;
            d[l] = c * p;
            if (!(fabs(e[l]) > eps * tst1)) break;
        }
        d[l] += f;
        e[l] = 0;
    }
}
