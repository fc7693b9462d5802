/* arena.c — bump allocation with spill-over and regrow-on-reset; see arena.h. */
#include "arena.h"
#include "common.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 64

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

static void *aligned_block(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, ALIGN, bytes ? bytes : ALIGN) != 0 || !p) {
        /* Same contract as xmalloc: running out of memory is loud and final. */
        (void)xmalloc((size_t)-1 / 2);
    }
    return p;
}

void arena_init(Arena *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->cap = round_up(cap);
    if (a->cap) a->base = aligned_block(a->cap);
}

void arena_free(Arena *a)
{
    for (int i = 0; i < a->n_spill; i++) free(a->spill[i]);
    free(a->spill);
    free(a->base);
    memset(a, 0, sizeof *a);
}

void *arena_alloc(Arena *a, size_t bytes)
{
    bytes = round_up(bytes);
    if (a->used + bytes <= a->cap) {
        void *p = a->base + a->used;
        a->used += bytes;
        if (a->used + a->spill_used > a->peak) a->peak = a->used + a->spill_used;
        return p;
    }
    if (a->n_spill == a->cap_spill) {
        a->cap_spill = a->cap_spill ? 2 * a->cap_spill : 16;
        a->spill = xrealloc(a->spill, (size_t)a->cap_spill * sizeof *a->spill);
    }
    void *p = aligned_block(bytes);
    a->spill[a->n_spill++] = p;
    a->spill_used += bytes;
    if (a->used + a->spill_used > a->peak) a->peak = a->used + a->spill_used;
    return p;
}

float *arena_floats(Arena *a, size_t n) { return arena_alloc(a, n * sizeof(float)); }

float *arena_zeros(Arena *a, size_t n)
{
    float *p = arena_floats(a, n);
    memset(p, 0, n * sizeof(float));
    return p;
}

void arena_reset(Arena *a)
{
    for (int i = 0; i < a->n_spill; i++) free(a->spill[i]);
    a->n_spill = 0;
    a->spill_used = 0;
    if (a->peak > a->cap) {
        /* Regrow with headroom so a slightly larger next step stays in-block. */
        free(a->base);
        a->cap = round_up(a->peak + a->peak / 8);
        a->base = aligned_block(a->cap);
    }
    a->used = 0;
    a->peak = 0;
}

ArenaMark arena_mark(const Arena *a)
{
    ArenaMark m = {a->used, a->n_spill, a->spill_used};
    return m;
}

void arena_release(Arena *a, ArenaMark m)
{
    for (int i = m.n_spill; i < a->n_spill; i++) free(a->spill[i]);
    a->n_spill = m.n_spill;
    a->spill_used = m.spill_used;
    a->used = m.used;
}
