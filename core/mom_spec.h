/* mom_spec.h — the settings of a Mixture-of-Modules chunk as plain data (part
 * of ArchSpec; spec mom-and-mlp-attention.md §A, spec README "Decisions").
 * The chunk itself: core/mom.h; the stack kind that runs it: core/mom_stack.h. */
#ifndef BL_MOM_SPEC_H
#define BL_MOM_SPEC_H

#include <stdint.h>

#include "common.h"

#define MOM_MAX_POOL  31    /* router outputs N+1 ≤ 32: knock-outs are a 32-bit mask */
#define MOM_MAX_STEPS 64
#define MOM_MAX_TOPK  8

typedef enum { ROUTER_GRU, ROUTER_MLP } RouterKind;

typedef struct MomSpec {
    int     n_attn, n_ffn;  /* pool sizes N_A, N_F */
    int     steps;          /* H */
    int     topk;           /* K, over N+1 options (SKIP competes) */
    uint8_t router;         /* RouterKind */
    int     rdim;           /* router width r (GRU state / MLP hidden), 32 */
    float   tau;            /* softmax temperature, 0.2 */
    uint8_t renorm;         /* kept weights renormalised to sum 1 (1) or raw p (0) */
    float   aux;            /* load-balancing coefficient, 0.01 */
    int     bottom, top;    /* static layers before / after the chunk */
    uint8_t anchor;         /* one more static layer right after the chunk */
} MomSpec;

/* Defaults of spec "Decisions": 4+4 pools, H 4, K 1, GRU r 32, τ 0.2, renorm, aux 0.01, pure form. */
void mom_spec_default(MomSpec *s);
/* Static layers the spec asks for: bottom + anchor + top. */
static inline int mom_static_layers(const MomSpec *s) { return s->bottom + s->anchor + s->top; }
/* Router outputs: the pool plus SKIP (its last index). */
static inline int mom_options(int pool) { return pool + 1; }

/* Checks ranges: pools 1..31, steps 1..64, topk 1..min(8, N+1), rdim, tau > 0. */
int mom_validate(const MomSpec *s, BlError *e);

#endif
