/* block.h — a block: norms, gains, an attention module and an MLP module,
 * wired by its BlockSpec (SAS §3 Eq. 1 pre-norm, §A.3 post-norm, Eq. 7
 * parallel; DeepNorm DN §D.1). The forward is ordinary C with `if`s; the tape
 * gives every variant its backward.
 *
 * A block declares its tensors under the prefix its stack gives it
 * ("blocks.3") and hooks its sites under the scope its stack entered:
 *   resid_pre, ln1.in, attn.in (what attention reads), attn.pattern,
 *   attn.heads (the heads' outputs before W_O, or an ALR/ASLR student's),
 *   attn.out, resid_mid, ln2.in, mlp.out, student.out, resid_post (every
 *   activation (B, T, C) except attn.pattern (B, H, T, T)).
 * ln1 is the attention sub-block's norm (shared by both branches when
 * parallel), ln2 the MLP sub-block's; post-norm blocks apply them after the add. */
#ifndef BL_BLOCK_H
#define BL_BLOCK_H

#include "module.h"
#include "student.h"

typedef struct BlockParams {
    NormParams ln1, ln2;
    AttnParams attn;
    MlpParams  mlp;
    Gain       alpha_sa, beta_sa;   /* attention sub-block: skip gain, branch gain */
    Gain       alpha_ff, beta_ff;   /* MLP sub-block: skip gain, branch gain */
    /* attn=mlp-*: the student in place of attention (student.h), one net or
     * one per head (ASLR); "blocks.L.student[.n].*". W_O stays in attn. */
    StudentNet student[STUDENT_MAX_NETS];
} BlockParams;

/* The block's own gains, as module kinds (rows "alpha_sa", "beta_sa"; "alpha_ff", "beta_ff"). */
extern const ModuleKind block_gains_sa, block_gains_ff;

/* Declares the block c->spec describes under prefix with group id group, in
 * the order ln1, attn, gains sa, ln2, mlp, gains ff (the order of the
 * parameter layout and of the init draws). p may be NULL (declaring only). */
void block_declare(ParamBinder *bd, const ModCfg *c, const char *prefix, int group, BlockParams *p);
void block_init(const ModCfg *c, BlockParams *p, Rng *r);
/* x (B, T, C) → (B, T, C). */
Tensor *block_forward(const ModCfg *c, const BlockParams *p, Tape *t, Tensor *x);

#endif
