/* arena.h — a bump allocator for one training step's activations.
 * Everything a forward/backward allocates comes from here and is dropped in one
 * arena_reset(). The first step may outgrow the block (overflow goes to spill
 * blocks); the reset then regrows the block to the peak, so from the second
 * step on a step performs no malloc at all. Not thread-safe: one owner. */
#ifndef BL_ARENA_H
#define BL_ARENA_H

#include <stddef.h>

typedef struct Arena {
    char  *base;        /* the main block */
    size_t cap, used;
    size_t peak;        /* most bytes in use at once since the last reset */
    void **spill;       /* overflow blocks, freed at reset or release */
    int    n_spill, cap_spill;
    size_t spill_used;  /* bytes handed out from spill blocks */
} Arena;

typedef struct ArenaMark {
    size_t used;
    int    n_spill;
    size_t spill_used;
} ArenaMark;

void  arena_init(Arena *a, size_t cap);          /* cap may be 0: grows on first reset */
void  arena_free(Arena *a);                      /* frees everything; a is zeroed */
void *arena_alloc(Arena *a, size_t bytes);       /* 64-byte aligned, uninitialised, never NULL */
float *arena_floats(Arena *a, size_t n);         /* n floats, uninitialised */
float *arena_zeros(Arena *a, size_t n);          /* n floats, zeroed */
void  arena_reset(Arena *a);                     /* drop all; regrow the block to the peak */
/* Mark/release: drop everything allocated after a mark (used by the no-tape
 * forward, which keeps only one layer's activations alive at a time). */
ArenaMark arena_mark(const Arena *a);
void      arena_release(Arena *a, ArenaMark m);

#endif
