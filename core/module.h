/* module.h — modules, the unit the engine is built from. A module kind is a
 * params struct (pointers to its tensors and gains), one descriptor table of
 * its tensors, and a forward taking (cfg, params, tape, x) and no position in
 * any stack: the same attention module runs as block 3's attention, as module
 * 2 of a mixture of modules, or anywhere else.
 *
 * The descriptor table is the only place a tensor is described. One row
 * names the tensor, points at its slot in the params struct, gives its shape
 * rule (which also says whether this config has it), its flags (trainable,
 * weight decay) and its init rule. module_declare / module_init walk the
 * rows; the ParamTable they fill then names, counts, saves and loads every
 * tensor (params.h, checkpoint.h). Adding a tensor is one row (and a slot).
 *
 *   kind          params struct   tensors (under the prefix the caller gives)
 *   module_norm   NormParams      w, b                      LayerNorm/RMSNorm
 *   module_attn   AttnParams      w_qkv|w_qk, b_qkv|b_qk, w_v_delta, alpha_v,
 *                                 beta_v, w_o, b_o, alpha, beta, gamma
 *   module_mlp    MlpParams       w_in, b_in, w_out, b_out
 *   (block.h adds the blocks' own gains; model.c the embedding and head.)
 *
 * Hook sites of the forwards, relative to the scope the caller entered
 * (tape.h): attn: "pattern" (B,H,T,T), "out"; mlp: "out". */
#ifndef BL_MODULE_H
#define BL_MODULE_H

#include <stddef.h>

#include "arch.h"
#include "ops.h"
#include "params.h"
#include "rng.h"

#define NORM_EPS 1e-5f   /* LayerNorm and RMSNorm eps (spec "Decisions") */
#define INIT_STD 0.02f   /* N(0, 0.02²), GPT-2 */

/* What a module's shapes, init and forward depend on: the model-wide settings
 * and the BlockSpec holding its toggles (NULL for model-level tensors). A
 * module outside any block (a MoM module) passes a BlockSpec of its own. */
typedef struct ModCfg {
    const ArchSpec  *arch;
    const BlockSpec *spec;
} ModCfg;

/* ---- the descriptor table ---------------------------------------------------------------- */

enum {
    ROW_GAIN = 16,         /* the slot is a Gain: a (1) param when its GainSpec is trainable, else a constant */
    ROW_SPEC_TRAIN = 32,   /* a tensor trained iff its GainSpec (row.gain) says so (per-head gains) */
};

struct ParamRow;
typedef void (*InitFn)(const ModCfg *c, const struct ParamRow *row, Tensor *t, Rng *r);

typedef struct ParamRow {
    const char *name;      /* "w_qkv": the tensor is named "<prefix>.<name>" */
    size_t      slot;      /* offsetof the Tensor * (or the Gain, ROW_GAIN) in the params struct */
    /* Fills d[0..2] (trailing 0s) for this config; returns 0 when the config
     * has no such tensor (the slot stays NULL). ROW_GAIN rows: whether the
     * gain exists at all (trainable or not). */
    int       (*shape)(const ModCfg *c, int d[3]);
    int         flags;     /* PARAM_TRAIN, PARAM_DECAY, ROW_GAIN, ROW_SPEC_TRAIN */
    size_t      gain;      /* ROW_GAIN, ROW_SPEC_TRAIN: offsetof the GainSpec in BlockSpec */
    InitFn      init;      /* NULL: zeros (ROW_GAIN: the GainSpec's value) */
} ParamRow;

typedef struct ModuleKind {
    const char     *name;  /* "attn" */
    const ParamRow *rows;
    int             n_rows;
} ModuleKind;

/* Collects (slot, param index) pairs while declaring, so slots can point into
 * the parameter store once params_alloc has laid it out. */
typedef struct ParamBinder {
    ParamTable *pt;
    struct { void *slot; int idx, gain; } *b;
    int n, cap;
} ParamBinder;

/* Declares the tensors of one module of kind k under prefix ("blocks.3.attn";
 * "" for none) with group id `group` (params.h), in row order. params may be
 * NULL (declaring only, e.g. to count); otherwise its slots are recorded in bd
 * and filled by binder_resolve. */
void module_declare(ParamBinder *bd, const ModuleKind *k, const ModCfg *c, const char *prefix, int group, void *params);
/* After params_alloc: points every recorded slot at its tensor; frees the list. */
void binder_resolve(ParamBinder *bd);
/* Initialises the module's tensors and gains in row order, drawing from r. */
void module_init(const ModuleKind *k, const ModCfg *c, void *params, Rng *r);

/* Init rules, for rows of any kind. */
void init_ones(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r);
void init_normal(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r);   /* N(0, 0.02²) */
void init_weight(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r);   /* the block's weight rule, no extra gain */
void init_weight_gain(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r);   /* ... times spec->init_gain */
void init_gain_value(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r);    /* every element = GainSpec value */
/* std of a (rows, cols) weight: N(0, 0.02²) or Xavier-normal, times gain, over init_div. */
float module_weight_std(const ModCfg *c, int rows, int cols, float gain);

/* ---- the module kinds ------------------------------------------------------------------- */

typedef struct NormParams {
    Tensor *w, *b;         /* (C); b only for LayerNorm with bias; w NULL for norm=none */
} NormParams;

typedef struct AttnParams {
    Tensor *w_qkv, *b_qkv; /* (3C, C) [q;k;v], or (2C, C) [q;k] when W^V is not learned */
    Tensor *w_vd;          /* (C, C) value=resid: W^V = αV·I + βV·ΔW, ΔW = 0 at init */
    Tensor *w_o, *b_o;     /* (C, C), (C); NULL for proj=id */
    Tensor *alpha, *beta, *gamma;   /* shaped (H each) or value-skip (1 each, no gamma) */
    Gain    alpha_v, beta_v;
} AttnParams;

typedef struct MlpParams {
    Tensor *w_in, *b_in;   /* (F, C), (F) */
    Tensor *w_out, *b_out; /* (C, F), (C) */
} MlpParams;

extern const ModuleKind module_norm, module_attn, module_mlp;

/* Norm(x) with the model's norm kind; x itself when p has no weight (norm=none). */
Tensor *norm_forward(const ModCfg *c, const NormParams *p, Tape *t, Tensor *x);
/* Multi-head attention per c->spec (value, proj, shape): (B, T, C) → (B, T, C). */
Tensor *attn_forward(const ModCfg *c, const AttnParams *p, Tape *t, Tensor *x);
/* W_out·act(W_in·x + b_in) + b_out. */
Tensor *mlp_forward(const ModCfg *c, const MlpParams *p, Tape *t, Tensor *x);

#endif
