/* vec.h — sums that vectorise, with bits fixed by the C source (issue 15).
 *
 * A plain `for (c) s += x[c]` is one serial chain of float additions: without
 * -ffast-math the compiler may not reorder it, so it runs one add per add's
 * latency and keeps the loop around it scalar. Here a row is summed in
 * VF_LANES interleaved partial sums (lane l takes c ≡ l mod VF_LANES, in
 * order), then the lanes are added as a fixed tree (vf_reduce). The order is
 * written out in C, with GCC/clang vector types that are plain element-wise
 * IEEE operations, so the result is the same on any machine, at any vector
 * width the compiler picks, and at any thread count.
 *
 *   vf16, VF_LANES        sixteen floats, one lane each
 *   vf_load(p)            p[0..15], any alignment
 *   vf_store(p, v)        the same, written
 *   vf_splat(x)           x in every lane
 *   vf_reduce(acc)        the lanes' fixed tree: (l + 8), then (l + 4), (l + 2), (l + 1)
 *   vf_load_tail(p, n)    p[0..n) for n < 16, +0 in the lanes above
 *   vec_sum(x, n)         Σ x[i]
 *   vec_sum_sqdev(x,m,n)  Σ (x[i] − m)²
 *   vec_dot(a, b, n)      Σ a[i]·b[i]
 *   vec_dot_wide(x,y,n)   Σ x[i]·y[i] over a whole tensor (int64 n): 16 float
 *                         lanes summed in double, the tail in double (a gain's
 *                         gradient over B·T·C terms)
 *   vec_sumsq_double(g,n) Σ g[i]² with each square and sum in double, 8 lanes
 *                         and a fixed tree (the gradient norm's chunks)
 *
 * A loop that needs another sum writes the same pattern: whole vectors into
 * an accumulator, then the tail element c into lane c mod VF_LANES (one
 * vf_load_tail where padding with +0 adds nothing). */
#ifndef BL_VEC_H
#define BL_VEC_H

#include <stdint.h>
#include <string.h>

#define VF_LANES 16
typedef float vf16 __attribute__((vector_size(VF_LANES * sizeof(float))));

static inline vf16 vf_load(const float *p)
{
    vf16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void vf_store(float *p, vf16 v) { memcpy(p, &v, sizeof v); }

static inline vf16 vf_splat(float x) { return (vf16){0} + x; }

typedef float vf8 __attribute__((vector_size(8 * sizeof(float))));
typedef float vf4 __attribute__((vector_size(4 * sizeof(float))));
typedef float vf2 __attribute__((vector_size(2 * sizeof(float))));

/* The tree in registers: halves added by shuffles (GCC ≥ 12 and clang both
 * have __builtin_shufflevector). Through an array, GCC stored the vector and
 * reloaded its halves, a stall on every short row's sum. */
static inline float vf_reduce(vf16 a)
{
    vf8 h = __builtin_shufflevector(a, a, 0, 1, 2, 3, 4, 5, 6, 7) +
            __builtin_shufflevector(a, a, 8, 9, 10, 11, 12, 13, 14, 15);
    vf4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
    vf2 p = __builtin_shufflevector(q, q, 0, 1) + __builtin_shufflevector(q, q, 2, 3);
    return p[0] + p[1];
}

/* x[0..n), n < VF_LANES, in the low lanes and +0 above. Adding +0 to a lane
 * that started at +0 changes no bit (a sum of floats is −0 only when every
 * term is), so a tail summed this way gives the bits of lane-by-lane adds. */
static inline vf16 vf_load_tail(const float *x, int n)
{
    float buf[VF_LANES] = {0};
    memcpy(buf, x, (size_t)n * sizeof(float));
    return vf_load(buf);
}

static inline float vec_sum(const float *x, int n)
{
    vf16 acc = {0};
    int c = 0;
    for (; c + VF_LANES <= n; c += VF_LANES) acc += vf_load(x + c);
    if (c < n) acc += vf_load_tail(x + c, n - c);
    return vf_reduce(acc);
}

static inline float vec_sum_sqdev(const float *x, float m, int n)
{
    vf16 acc = {0}, mv = vf_splat(m);
    int c = 0;
    for (; c + VF_LANES <= n; c += VF_LANES) {
        vf16 d = vf_load(x + c) - mv;
        acc += d * d;
    }
    for (int l = 0; c < n; c++, l++) acc[l] += (x[c] - m) * (x[c] - m);
    return vf_reduce(acc);
}

static inline float vec_dot(const float *a, const float *b, int n)
{
    vf16 acc = {0};
    int c = 0;
    for (; c + VF_LANES <= n; c += VF_LANES) acc += vf_load(a + c) * vf_load(b + c);
    if (c < n) acc += vf_load_tail(a + c, n - c) * vf_load_tail(b + c, n - c);
    return vf_reduce(acc);
}

static inline double vec_dot_wide(const float *x, const float *y, int64_t n)
{
    float lane[VF_LANES] = {0};
    int64_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES)
        for (int k = 0; k < VF_LANES; k++) lane[k] += x[i + k] * y[i + k];
    double s = 0;
    for (int k = 0; k < VF_LANES; k++) s += lane[k];
    for (; i < n; i++) s += (double)x[i] * y[i];
    return s;
}

typedef double vd8 __attribute__((vector_size(8 * sizeof(double))));

static inline double vec_sumsq_double(const float *g, int64_t n)
{
    vd8 acc = {0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        vf8 f;
        memcpy(&f, g + j, sizeof f);
        vd8 d = __builtin_convertvector(f, vd8);
        acc += d * d;
    }
    for (int l = 0; j < n; j++, l++) acc[l] += (double)g[j] * g[j];
    double s[8];
    memcpy(s, &acc, sizeof s);
    for (int w = 4; w > 0; w /= 2)
        for (int l = 0; l < w; l++) s[l] += s[l + w];
    return s[0];
}

#endif
