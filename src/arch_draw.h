/* arch_draw.h — a block drawn as the equations of its forward, one group of
 * identical consecutive blocks at a time (SAS Eqs. 1, 5-7; DN §D.1):
 *     blocks 1..4 (sas)   h = 1~·ShapedAttn(LN x)          [V=I, P=I, no skip]
 *                         y = 1~·h + 0.1~·MLP(LN h)        [4x gelu]
 * `~` marks a trainable gain; its value is the current one. */
#ifndef BL_ARCH_DRAW_H
#define BL_ARCH_DRAW_H

#include "model.h"
#include "out.h"

/* Writes the equations of a's blocks; m (may be NULL) supplies current gain values. */
void arch_draw_equations(Out *o, const ArchSpec *a, const Model *m);
/* The architecture in one line, as `arch` and `run list` print it: depth x width
 * and each group of identical blocks by its preset where the blocks are exactly
 * the preset, else by its equations ("24x64 y = Attn(LN x)", "4x64 0: preln |
 * 1..3: y = S(x)"); a MoM by its pools. Cut at cap between characters,
 * ending in "..." (always terminated). */
void arch_draw_oneline(const ArchSpec *a, char *buf, size_t cap);

#endif
