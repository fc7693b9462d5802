/* rng.h — our own PRNG (xoshiro256**, seeded through splitmix64), so that the
 * same seed gives the same numbers on every machine and libc. Plain data: an
 * Rng can be copied, saved into a checkpoint and restored bit-exactly. */
#ifndef BL_RNG_H
#define BL_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct Rng {
    uint64_t s[4];
} Rng;

void     rng_seed(Rng *r, uint64_t seed);          /* any seed, 0 included */
uint64_t rng_u64(Rng *r);                           /* uniform 64 bits */
uint32_t rng_below(Rng *r, uint32_t n);             /* uniform in [0, n), n > 0, unbiased */
float    rng_uniform(Rng *r);                       /* uniform in [0, 1) with 24 random bits */
double   rng_normal(Rng *r);                        /* N(0, 1), Box-Muller, no cached spare */
void     rng_normals(Rng *r, float *out, size_t n, float scale);   /* n × (float)(rng_normal · scale), vectorised */

#endif
