/* fastmath.h — e^x and tanh in plain float arithmetic that vectorises (glibc's
 * expf/tanhf are calls, one element at a time). Used by GELU and attention's
 * softmax; their bits depend only on the C source (no libm).
 *
 *   exp_fast(x)    e^x to about 2 ulp for |x| ≤ 87 (clamped beyond)
 *   tanh_fast(u)   1 − 2/(e^{2u} + 1)
 */
#ifndef BL_FASTMATH_H
#define BL_FASTMATH_H

#include <stdint.h>

/* tanh(u) = 1 − 2/(e^{2u} + 1), with e^x computed inline as 2^k·p(r): glibc's
 * tanhf/expf calls dominated the step and do not vectorise. Branch-free, so the
 * GELU loops compile to SIMD. Max error ~2e-7 absolute on tanh (checked in
 * test_grad against the libm form), all GELU needs: its output error is
 * 0.5·|x|·that. The clamp keeps the exponent in range. */
static inline float exp_fast(float x)
{
    union { float f; int32_t i; } kf, scale;
    x = x < -87.0f ? -87.0f : x;
    x = x > 87.0f ? 87.0f : x;
    /* Round x·log2(e) to the nearest integer k by adding 1.5·2^23 (no floorf,
     * which stops vectorisation); k then sits in kf's low mantissa bits. */
    kf.f = x * 1.44269504f + 12582912.0f;
    float k = kf.f - 12582912.0f;
    float r = x - k * 0.693145752f - k * 1.42860677e-6f;          /* Cody-Waite ln 2 */
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666418f +
              r * (0.00833345205f + r * 0.00138888916f)))));
    /* 2^k; unsigned so a NaN input (whose bits are no integer) cannot overflow. */
    scale.i = (int32_t)((uint32_t)(kf.i - 0x4B400000 + 127) << 23);
    return p * scale.f;
}

static inline float tanh_fast(float u) { return 1.0f - 2.0f / (exp_fast(2.0f * u) + 1.0f); }

#endif
