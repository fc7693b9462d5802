/* rng.c — xoshiro256** by Blackman and Vigna (public domain algorithm),
 * seeded with splitmix64 as its authors recommend. */
#include "rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(Rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_u64(Rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t rng_below(Rng *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased for any n. */
    uint64_t m = (uint64_t)(uint32_t)(rng_u64(r) >> 32) * n;
    uint32_t lo = (uint32_t)m;
    if (lo < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (lo < t) {
            m = (uint64_t)(uint32_t)(rng_u64(r) >> 32) * n;
            lo = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float rng_uniform(Rng *r) { return (float)(rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

/* ---- normal draws ----------------------------------------------------------------------
 * Box-Muller, z = sqrt(-2 log u1) cos(2π u2), one value per pair of draws. log and
 * cos are our own polynomials written with + − × ÷ and sqrt only (rng.o is built
 * with -ffp-contract=off), so the bits do not depend on the libm, and the loop in
 * rng_normals vectorises; each is within ~2 ulp of the true value, so a float made
 * from z agrees with one made through libm but in about 1 draw in 10⁸. */

/* log u for u in (0, 1]: u = 2^k·m with m in [√½, √2), log m = 2 atanh(s) with
 * s = (m−1)/(m+1), |s| ≤ 0.172; the series to s²³ is exact to double rounding. */
static inline double log_unit(double u)
{
    uint64_t ix, t, im;
    memcpy(&ix, &u, sizeof ix);
    t = ix - 0x3fe6a09e667f3bcdULL;                  /* bits of √½ */
    int64_t k = (int64_t)t >> 52;
    im = ix - (t & 0xfff0000000000000ULL);
    double m, s, s2;
    memcpy(&m, &im, sizeof m);
    s = (m - 1.0) / (m + 1.0);
    s2 = s * s;
    double p = 2.0 / 23;
    p = p * s2 + 2.0 / 21; p = p * s2 + 2.0 / 19; p = p * s2 + 2.0 / 17; p = p * s2 + 2.0 / 15;
    p = p * s2 + 2.0 / 13; p = p * s2 + 2.0 / 11; p = p * s2 + 2.0 / 9;  p = p * s2 + 2.0 / 7;
    p = p * s2 + 2.0 / 5;  p = p * s2 + 2.0 / 3;
    double logm = 2.0 * s + s * s2 * p;
    double kd = (double)k;                               /* ln 2 split so that k·hi is exact */
    return kd * 6.93147180369123816490e-01 + (kd * 1.90821492927058770002e-10 + logm);
}

/* cos 2πt for t in [0, 1): t − q/4 is exact for the nearest quarter q, leaving
 * x = 2π(t − q/4) in [−π/4, π/4], where Taylor series to x¹⁶ / x¹⁷ are exact to
 * double rounding; the quarter picks ±cos x or ±sin x. */
static inline double cos_turn(double t)
{
    int q = (int)(4.0 * t + 0.5);
    double x = (t - 0.25 * q) * 6.283185307179586, x2 = x * x;
    double c = 1.0 / 20922789888000.0;                   /* 1/16! */
    c = c * x2 - 1.0 / 87178291200.0; c = c * x2 + 1.0 / 479001600.0; c = c * x2 - 1.0 / 3628800.0;
    c = c * x2 + 1.0 / 40320.0;       c = c * x2 - 1.0 / 720.0;       c = c * x2 + 1.0 / 24.0;
    c = c * x2 - 0.5;                 c = c * x2 + 1.0;
    double s = 1.0 / 355687428096000.0;                  /* 1/17! */
    s = s * x2 - 1.0 / 1307674368000.0; s = s * x2 + 1.0 / 6227020800.0; s = s * x2 - 1.0 / 39916800.0;
    s = s * x2 + 1.0 / 362880.0;        s = s * x2 - 1.0 / 5040.0;       s = s * x2 + 1.0 / 120.0;
    s = s * x2 - 1.0 / 6.0;
    s = x + x * x2 * s;
    double v = (q & 1) ? s : c;                          /* q mod 4 = 0: cos, 1: −sin, 2: −cos, 3: sin */
    return ((q + 1) & 2) ? -v : v;
}

static inline double normal_from_bits(uint64_t a, uint64_t b)
{
    double u1 = ((double)(int64_t)(a >> 11) + 1.0) * (1.0 / 9007199254740992.0);   /* (0, 1] */
    double u2 = (double)(int64_t)(b >> 11) * (1.0 / 9007199254740992.0);           /* [0, 1) */
    return sqrt(-2.0 * log_unit(u1)) * cos_turn(u2);
}

double rng_normal(Rng *r)
{
    uint64_t a = rng_u64(r), b = rng_u64(r);
    return normal_from_bits(a, b);
}

void rng_normals(Rng *r, float *out, size_t n, float scale)
{
    enum { BLOCK = 256 };
    uint64_t a[BLOCK], b[BLOCK];
    for (size_t at = 0; at < n; at += BLOCK) {
        size_t m = n - at < BLOCK ? n - at : BLOCK;
        for (size_t i = 0; i < m; i++) {   /* the generator is sequential; the math below is not */
            a[i] = rng_u64(r);
            b[i] = rng_u64(r);
        }
        for (size_t i = 0; i < m; i++) out[at + i] = (float)(normal_from_bits(a[i], b[i]) * scale);
    }
}
