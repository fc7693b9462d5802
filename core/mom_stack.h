/* mom_stack.h — the Mixture-of-Modules stack kind (core/model.h StackKind):
 * `bottom` static blocks, the MoM chunk (core/mom.h), then the anchor and `top`
 * static blocks. Tensors: "blocks.L.*" for the static blocks (group L), the
 * pools "mom.attn.M.{ln,w_qkv,b_qkv,w_o,b_o}" and "mom.ffn.M.{ln,w_in,...}"
 * (group depth + M: module M of either pool), the routers
 * "mom.router.{attn,ffn}.{x2h,h2h,l1,out}.{w,b}" (group -1). Hook sites under
 * "mom": in, attn.pattern, resid_mid, resid_step. The forward adds the
 * load-balancing term with tape_aux(t, "aux", L_aux_attn + L_aux_ffn, aux),
 * so the trainer logs it as the series loss.aux. */
#ifndef BL_MOM_STACK_H
#define BL_MOM_STACK_H

#include "model.h"
#include "mom.h"

typedef struct MomStack {
    BlockParams *blocks;   /* the static blocks (arch depth entries), owned */
    MomParams    p;
    MomRun       run;      /* forced path, knock-outs, a record: set by probes and `mom path=` */
    Tensor      *aux;      /* the last forward's unscaled balance loss (on its tape) */
} MomStack;

extern const StackKind stack_mom;

/* The run's MoM state, or NULL when m is not a MoM. */
MomStack *model_mom(const Model *m);

/* The pools and routers alone (no static blocks), in layout order: for the
 * stack and for tests that run a bare chunk. p NULL: count only. */
void mom_pools_declare(const ArchSpec *a, ParamBinder *bd, MomParams *p);
void mom_pools_init(const ArchSpec *a, MomParams *p, Rng *r);

/* The chunk's model-wide settings (width, heads, norm, ...) from the spec. */
MomModelCfg model_mom_cfg(const ArchSpec *a);

#endif
