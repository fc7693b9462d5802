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

#endif
