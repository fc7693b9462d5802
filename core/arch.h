/* arch.h — ArchSpec: the architecture as plain data. Model-wide settings plus
 * one BlockSpec per block holding every toggle of spec/README.md "Decisions".
 * A preset fills a BlockSpec; toggles override single fields. One key table
 * drives setting keys from the command language, listing them for help and
 * completion, the one-line `arch` text, and the checkpoint metadata.
 * Nothing here allocates parameters: model.h builds a Model from a spec. */
#ifndef BL_ARCH_H
#define BL_ARCH_H

#include <stdint.h>

#include "common.h"
#include "mom_spec.h"

#define ARCH_MAX_DEPTH 4096   /* the range of the depth key; blocks are sized to depth */

typedef enum { NORM_LAYER, NORM_RMS, NORM_NONE } NormKind;
typedef enum { ACT_GELU, ACT_RELU } ActKind;
typedef enum { POS_LEARNED, POS_SINUSOIDAL, POS_NONE } PosKind;
typedef enum { INIT_NORMAL, INIT_XAVIER } InitKind;
typedef enum { LAYOUT_SEQUENTIAL, LAYOUT_PARALLEL } Layout;
typedef enum { NORMPOS_PRE, NORMPOS_POST } NormPos;
/* ATTN_MLP_*: a student network distilled from a trained attention stands in
 * (core/student.h; spec/mom-and-mlp-attention.md §B.3): ALR and ASLR replace the
 * attention core (W_O kept), ALRR the norm + attention + residual, ELR the
 * whole block. Same order as StudentMode. */
typedef enum { ATTN_MHA, ATTN_OFF, ATTN_MLP_ALR, ATTN_MLP_ASLR, ATTN_MLP_ALRR, ATTN_MLP_ELR } AttnKind;
/* BlockSpec.value: how W^V is made (SAS §4.2, Eq. 6). */
typedef enum { VALUE_ID = 0, VALUE_LEARNED = 1, VALUE_RESID = 2 } ValueKind;
/* BlockSpec.shape: the attention matrix (SAS Eqs. 4-5). */
typedef enum { SHAPE_OFF = 0, SHAPE_SHAPED = 1, SHAPE_VSKIP = 2 } ShapeKind;
/* ArchSpec.stack: what sits between the embedding and the head: blocks in
 * order, or a Mixture-of-Modules chunk (core/mom.h, core/mom_stack.c) with
 * optional static blocks around it. */
typedef enum { STACK_BLOCKS, STACK_MOM } StackType;

/* A scalar gain: its initial value and whether the optimizer trains it. */
typedef struct GainSpec {
    float   value;
    uint8_t trainable;
} GainSpec;

typedef struct BlockSpec {
    char     preset[16];     /* name of the preset last applied ("preln", "sas", ...) */
    uint8_t  attn;           /* AttnKind */
    uint8_t  mlp;            /* 1: MLP sub-block present */
    uint8_t  layout;         /* Layout: sequential (Eq. 1) or parallel (Eq. 7) */
    uint8_t  normpos;        /* NormPos: Norm(x) feeds the branch (pre) or Norm(αx + βG(x)) (post) */
    uint8_t  norm;           /* 0: this block's norms are the identity (norm=off) */
    uint8_t  value;          /* ValueKind: 1 learned W^V; 0 identity (SAS §4.2); 2 αV·I + βV·ΔW (Eq. 6) */
    uint8_t  proj;           /* 1: learned W^P; 0: identity */
    uint8_t  shape;          /* ShapeKind: 1 shaped αI + βA − γC with W^Q = 0 (SAS Eq. 5); 2 value-skip αI + βA (Eq. 4) */
    uint8_t  act;            /* ActKind */
    uint8_t  student;        /* StudentSize of an ATTN_MLP_* block (h = ctx·width/k) */
    float    mlp_ratio;      /* MLP hidden width / width */
    GainSpec alpha_sa, beta_sa;   /* attention sub-block: skip gain, branch gain */
    GainSpec alpha_ff, beta_ff;   /* MLP sub-block: skip gain, branch gain */
    GainSpec alpha_v, beta_v;     /* value=resid gains αV, βV */
    GainSpec attn_alpha, attn_beta, attn_gamma;   /* shaped / value-skip gains (per head) */
    uint8_t  xavier;         /* Xavier-normal init for this block whatever the model's init */
    float    init_gain;      /* DeepNorm β: Xavier gain on V, P, W_in, W_out (1 otherwise) */
    float    init_div;       /* Post-LN-init: every weight of the block divided by this (1 otherwise) */
} BlockSpec;

typedef struct ArchSpec {
    int      depth, width, heads, ctx, vocab;
    float    mlp_ratio;      /* default for new blocks */
    uint8_t  bias;           /* biases on every linear and norm */
    uint8_t  causal;         /* 1: decoder (GPT); 0: encoder, per-position targets */
    uint8_t  norm;           /* NormKind used by every norm layer */
    uint8_t  act;            /* ActKind default for new blocks */
    uint8_t  pos;            /* PosKind */
    uint8_t  init;           /* InitKind */
    uint8_t  tie;            /* output head tied to the token embedding */
    uint64_t seed;           /* parameter init seed */
    char     preset[16];     /* preset every block starts from (model new preset=...) */
    uint8_t  stack;          /* StackType */
    MomSpec  mom;            /* stack=mom: pools, steps, routers; depth = mom's static layers */
    BlockSpec *blocks;       /* depth entries (cap allocated), owned: copy with arch_copy */
    int      cap;
} ArchSpec;

/* Defaults: depth 2, width 64, heads 4, ctx 32, vocab 16, mlp 4, bias off,
 * causal, LayerNorm, GELU, learned positions, N(0, 0.02²), tied, seed 1, preln.
 * a must be zeroed or hold a spec (whose block array is reused). */
void arch_default(ArchSpec *a);
/* dst (zeroed or holding a spec) becomes a deep copy of src. */
void arch_copy(ArchSpec *dst, const ArchSpec *src);
/* Frees the blocks; a is zeroed. Safe on a zeroed spec. */
void arch_free(ArchSpec *a);
/* Grows the block array to a->depth entries (new ones zeroed: apply a preset). */
void arch_fit(ArchSpec *a);

/* Applies a preset ("preln", "postln", "parallel", "vskipinit", "sas", "sasp",
 * "deepnorm", "postln-init") to blocks lo..hi (inclusive) of a. Depth-dependent
 * constants (DeepNorm α, β; Post-LN-init divisors) use a->depth, so presets are
 * re-applied by arch_set_depth. Returns -1 for an unknown name. */
int  arch_preset(ArchSpec *a, const char *name, int lo, int hi, BlError *e);
extern const char *const arch_preset_names[];   /* NULL-terminated */
/* The BlockSpec preset `name` gives block l of a, into out (a MoM's modules
 * are plain "preln" modules outside any block). -1 for an unknown name. */
int  arch_block_preset(const ArchSpec *a, const char *name, int l, BlockSpec *out);

/* Resets every block to the model-wide preset (call after the model keys are set). */
int  arch_reset_blocks(ArchSpec *a, BlError *e);

/* DeepNorm constants for an N-layer encoder-only or decoder-only stack (DN §D.2). */
float arch_deepnorm_alpha(int n_layers);
float arch_deepnorm_beta(int n_layers);

/* The StudentMode of block b (ATTN_MLP_*), or -1 for attention or none. */
static inline int block_student_mode(const BlockSpec *b) { return b->attn >= ATTN_MLP_ALR ? b->attn - ATTN_MLP_ALR : -1; }
/* Whether block b computes attention (real or an ALR/ASLR student) followed by W_O. */
static inline int block_has_attn_core(const BlockSpec *b)
{
    return b->attn == ATTN_MHA || b->attn == ATTN_MLP_ALR || b->attn == ATTN_MLP_ASLR;
}

/* Why block b cannot hold its attn=mlp-* student, as "post-norm", "parallel",
 * "without norm" or "without its MLP" (ALRR replaces a pre-norm sequential
 * attention sub-block and keeps the MLP), or NULL when it can. */
const char *arch_student_misfit(const BlockSpec *b);

/* The one key table: every settable key, its scope, type, values and range,
 * and where it lives. Setting (model new, block, arch text, checkpoints),
 * printing (arch, the checkpoint's arch text), help and completion all read
 * these rows; a key is one row. A key that is one field is read and written
 * through `off` by its type; the few that are not one field (depth grows the
 * block array; a block's norm is pre/post/off over two fields; skip.* set a
 * gain) have their own set/get. */
typedef enum { KEY_INT, KEY_FLOAT, KEY_ENUM, KEY_BOOL, KEY_GAIN, KEY_PRESET, KEY_U64 } KeyType;
struct ArchKey;
typedef struct ArchKey {
    const char *name;        /* "depth", "skip.attn", "beta.ff" */
    int         block;       /* 0: model-wide (model new), 1: per block (block RANGE) */
    KeyType     type;
    const char *const *values;   /* enum names (KEY_ENUM, KEY_BOOL), NULL otherwise */
    double      min, max;    /* numeric range */
    const char *help;
    size_t      off;         /* offsetof the field in ArchSpec (block 0) or BlockSpec (block 1) */
    const uint8_t *codes;    /* KEY_ENUM: the stored value of choice i (NULL: i itself) */
    int         number_too;  /* KEY_ENUM: a number in min..max is accepted beside the words */
    /* Not one field: apply a parsed value (choice index, or -1 and the number)
     * to a (model keys) or b (block keys); print it (NULL b: model key). */
    void      (*set)(ArchSpec *a, BlockSpec *b, int choice, double num);
    void      (*get)(const ArchSpec *a, const BlockSpec *b, char *buf, int cap);
} ArchKey;
extern const ArchKey arch_keys[];   /* terminated by a {NULL} entry */
const ArchKey *arch_key_find(const char *name);

/* Sets a model-wide key (`model new depth=8`). trainable: the `~=` form for gains.
 * Refuses unknown keys and out-of-range values with one line; a unchanged on error. */
int arch_set_model(ArchSpec *a, const char *key, const char *value, BlError *e);
/* Sets a block key on blocks lo..hi (`block 0..3 skip.attn=off`, `block all beta.ff~=0.1`). */
int arch_set_block(ArchSpec *a, int lo, int hi, const char *key, const char *value, int trainable, BlError *e);

/* Checks the whole spec for combinations that cannot be built, naming the block
 * and the reason (e.g. width not divisible by heads, parallel + post-norm). */
int arch_validate(const ArchSpec *a, BlError *e);

/* The spec as command-language text that rebuilds it when pasted back:
 * "model new depth=4 width=64 ...; block 0..3 preset=sas beta.ff~=0.1". Returns
 * the length written (truncated at cap with a NUL). */
int arch_to_text(const ArchSpec *a, char *buf, int cap);

/* Parses text written by arch_to_text (a strict subset of the command language:
 * "model new k=v ...; block RANGE k=v ..."), for checkpoints. */
int arch_from_text(ArchSpec *a, const char *text, BlError *e);

/* The fully expanded spec as JSON (every field of every block, no presets to
 * resolve), for readers outside blocklab such as the PyTorch export. Returns a
 * malloc'ed NUL-terminated string the caller frees. */
char *arch_to_json(const ArchSpec *a);

/* Printable value of a key on block b (or model-wide when b < 0) into buf
 * ("" for write-only keys such as skip.attn, shown as their gains). */
void arch_key_value(const ArchSpec *a, const ArchKey *k, int b, char *buf, int cap);

#endif
