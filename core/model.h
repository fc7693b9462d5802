/* model.h — a GPT-style stack built from an ArchSpec: token (+ position)
 * embedding, `depth` blocks as their BlockSpecs say, a final norm, a head tied
 * to the embedding (or not). The forward is ordinary C calling ops, with a
 * hook at every named activation; backward comes from the tape.
 *
 * Hook sites ("blocks.L.<site>", layer -1 for model-level ones):
 *   embed, ln_in.out (model) · resid_pre, ln1.in, attn.pattern (B,H,T,T),
 *   attn.out, resid_mid, ln2.in, mlp.out, resid_post (blocks) · ln_f.in,
 *   ln_f.out, logits (model). Every activation is (B, T, C) unless noted. */
#ifndef BL_MODEL_H
#define BL_MODEL_H

#include "arch.h"
#include "ops.h"
#include "params.h"

/* The tensors of one block; NULL where the block's spec removes them. */
typedef struct BlockParams {
    Tensor *ln1_w, *ln1_b;       /* (C) */
    Tensor *ln2_w, *ln2_b;       /* (C) */
    Tensor *w_qkv, *b_qkv;       /* (3C, C) [q;k;v], or (2C, C) [q;k] when W^V is not learned */
    Tensor *w_vd;                /* (C, C) value=resid: ΔW of W^V = αV·I + βV·ΔW */
    Tensor *w_o, *b_o;           /* (C, C), (C) */
    Tensor *attn_alpha, *attn_beta, *attn_gamma;   /* (H) shaped, (1) value-skip */
    Tensor *w_in, *b_in;         /* (F, C), (F) */
    Tensor *w_out, *b_out;       /* (C, F), (C) */
    Gain    alpha_sa, beta_sa, alpha_ff, beta_ff, alpha_v, beta_v;
    int     hidden;              /* F */
} BlockParams;

typedef struct Model {
    ArchSpec   *arch;            /* owned copy */
    ParamTable  params;
    BlockParams *blocks;         /* arch->depth entries, owned */
    Tensor *wte;                 /* (V, C) */
    Tensor *wpe;                 /* (ctx, C) learned, or frozen sinusoids; NULL for pos=none */
    Tensor *ln_in_w, *ln_in_b;   /* (C) norm before block 0, only when block 0 has norm=off */
    Tensor *lnf_w, *lnf_b;       /* (C) final norm */
    Tensor *head;                /* (V, C) untied head, or NULL (tied: wte) */
    MomParams *mom;              /* stack=mom: the chunk's tensors (owned), else NULL */
    MomRun     mom_run;          /* stack=mom: forced paths, knock-outs, record (set by probes) */
    Tensor    *aux;              /* stack=mom: the last forward's unscaled balance loss (on its tape) */
} Model;

/* Validates a, declares, allocates and initialises every parameter from
 * a->seed. On error m is zeroed and the message names the problem. */
int  model_build(Model *m, const ArchSpec *a, BlError *e);
void model_free(Model *m);        /* safe on a zeroed model */

/* Declares the parameter table of a (names, shapes, flags) without allocating
 * floats: counting 167M parameters costs a few kB. pt must be zeroed; free it
 * with params_free. */
int  model_declare(const ArchSpec *a, ParamTable *pt, BlError *e);

/* Runs the model on tokens (B, T), T <= ctx. With targets (B·T ids) returns
 * the masked mean cross-entropy (1); without, returns the logits (B, T, V).
 * *logits_out, if given, receives the logits either way. When the tape is not
 * recording, only one block's activations are alive at a time (arena
 * mark/release), so depth 1000 costs one layer of memory. */
Tensor *model_forward(Model *m, Tape *t, const int *tokens, int B, int T, const int *targets,
                      const float *mask, Tensor **logits_out);

/* FLOPs of one training step (forward + backward) on B·T tokens: 6·(matmul
 * params)·tokens + attention's 12·L·T·C per token (the usual estimate). */
double model_flops_per_step(const Model *m, int B, int T);

/* The chunk's model-wide settings (width, heads, norm, ...) from the spec. */
MomModelCfg model_mom_cfg(const ArchSpec *a);

/* The objective to differentiate after a forward with targets: the main loss,
 * plus aux·(L_aux_attn + L_aux_ffn) for a MoM (spec §A.9). */
Tensor *model_objective(Model *m, Tape *t, Tensor *loss);

#endif
