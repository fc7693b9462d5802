/* arch.c — presets, the key table, validation, and the one-line text form of
 * an ArchSpec. Preset semantics follow spec/README.md "Decisions" and the long
 * page spec/simplified-blocks-and-deepnet.md (sections cited per preset). */
#include "arch.h"
#include "json.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const arch_preset_names[] = {"preln", "postln", "parallel", "vskipinit", "sas",
                                         "sasp", "deepnorm", "postln-init", NULL};

static const char *const onoff[] = {"off", "on", NULL};
static const char *const norm_kinds[] = {"layer", "rms", "none", NULL};
static const char *const act_kinds[] = {"gelu", "relu", NULL};
static const char *const pos_kinds[] = {"learned", "sinusoidal", "none", NULL};
static const char *const init_kinds[] = {"normal", "xavier", NULL};
static const char *const layouts[] = {"sequential", "parallel", NULL};
static const char *const block_norms[] = {"pre", "post", "off", NULL};
static const char *const attn_kinds[] = {"mha", "off", "mlp-alr", "mlp-aslr", "mlp-alrr", "mlp-elr", NULL};
static const char *const student_sizes[] = {"xs", "s", "m", "l", NULL};   /* student.h order */
static const char *const value_kinds[] = {"learned", "id", "resid", NULL};
static const char *const proj_kinds[] = {"learned", "id", NULL};
static const char *const shape_kinds[] = {"off", "on", "vskip", NULL};
static const char *const mlp_kinds[] = {"on", "off", NULL};   /* or a ratio */
static const char *const stack_kinds[] = {"blocks", "mom", NULL};
static const char *const router_kinds[] = {"gru", "mlp", NULL};

/* Keys that are not one field. */
static GainSpec fixed(float v);
static void set_depth(ArchSpec *a, BlockSpec *b, int c, double v) { a->depth = (int)v; arch_fit(a); }
static void set_mlp(ArchSpec *a, BlockSpec *b, int c, double v)
{
    if (c >= 0) b->mlp = c == 0;   /* on | off */
    else { b->mlp = 1; b->mlp_ratio = (float)v; }
}
static void get_mlp(const ArchSpec *a, const BlockSpec *b, char *buf, int cap);
static void set_block_norm(ArchSpec *a, BlockSpec *b, int c, double v)
{
    b->norm = c != 2;
    if (c != 2) b->normpos = (uint8_t)c;
}
static void get_block_norm(const ArchSpec *a, const BlockSpec *b, char *buf, int cap)
{
    snprintf(buf, (size_t)cap, "%s", b->norm ? block_norms[b->normpos] : "off");
}
static void set_skip_attn(ArchSpec *a, BlockSpec *b, int c, double v) { b->alpha_sa = fixed((float)c); }
static void set_skip_mlp(ArchSpec *a, BlockSpec *b, int c, double v) { b->alpha_ff = fixed((float)c); }
static void get_nothing(const ArchSpec *a, const BlockSpec *b, char *buf, int cap) { buf[0] = 0; }   /* shown as alpha.* */

static const uint8_t value_codes[] = {VALUE_LEARNED, VALUE_ID, VALUE_RESID};   /* learned, id, resid */
static const uint8_t learned_id_codes[] = {1, 0};                           /* learned, id */

#define M(f) .block = 0, .off = offsetof(ArchSpec, f)
#define B(f) .block = 1, .off = offsetof(BlockSpec, f)
#define GAIN_KEY(n, f, h) {.name = n, B(f), .type = KEY_GAIN, .min = -1e6, .max = 1e6, .help = h}

/* The one key table: drives setting, printing, the text form (and so the
 * checkpoint metadata), help and completion. */
const ArchKey arch_keys[] = {
    {.name = "depth", M(depth), .type = KEY_INT, .min = 1, .max = ARCH_MAX_DEPTH, .set = set_depth,
     .help = "number of blocks (stack=mom: bottom+anchor+top, set for you)"},
    {.name = "width", M(width), .type = KEY_INT, .min = 2, .max = 8192, .help = "model width d (a multiple of heads)"},
    {.name = "heads", M(heads), .type = KEY_INT, .min = 1, .max = 256, .help = "attention heads"},
    {.name = "ctx", M(ctx), .type = KEY_INT, .min = 1, .max = 4096, .help = "context length T"},
    {.name = "vocab", M(vocab), .type = KEY_INT, .min = 2, .max = 1000000, .help = "vocabulary size (data sets it when larger)"},
    {.name = "mlp_ratio", M(mlp_ratio), .type = KEY_FLOAT, .min = 0.125, .max = 64, .help = "MLP hidden width / width"},
    {.name = "bias", M(bias), .type = KEY_BOOL, .values = onoff, .max = 1, .help = "biases on every linear and norm"},
    {.name = "causal", M(causal), .type = KEY_BOOL, .values = onoff, .max = 1, .help = "on: decoder (GPT); off: encoder with per-position targets"},
    {.name = "norm", M(norm), .type = KEY_ENUM, .values = norm_kinds, .max = 2, .help = "norm kind of every norm layer"},
    {.name = "act", M(act), .type = KEY_ENUM, .values = act_kinds, .max = 1, .help = "MLP activation"},
    {.name = "pos", M(pos), .type = KEY_ENUM, .values = pos_kinds, .max = 2, .help = "position embedding"},
    {.name = "init", M(init), .type = KEY_ENUM, .values = init_kinds, .max = 1, .help = "weight init: N(0, 0.02^2) or Xavier-normal"},
    {.name = "tie", M(tie), .type = KEY_BOOL, .values = onoff, .max = 1, .help = "output head tied to the token embedding"},
    {.name = "seed", M(seed), .type = KEY_U64, .max = 1.8e19, .help = "parameter init seed"},
    {.name = "preset", M(preset), .type = KEY_PRESET, .values = arch_preset_names, .help = "block preset every block starts from"},

    /* Mixture-of-Modules (spec mom-and-mlp-attention.md §A, README "Decisions"); printed only for stack=mom. */
    {.name = "stack", M(stack), .type = KEY_ENUM, .values = stack_kinds, .max = 1, .help = "blocks in order, or mom: routers pick modules per token"},
    {.name = "attn_pool", M(mom.n_attn), .type = KEY_INT, .min = 1, .max = MOM_MAX_POOL, .help = "mom: attention modules N_A"},
    {.name = "ffn_pool", M(mom.n_ffn), .type = KEY_INT, .min = 1, .max = MOM_MAX_POOL, .help = "mom: FFN modules N_F"},
    {.name = "steps", M(mom.steps), .type = KEY_INT, .min = 1, .max = MOM_MAX_STEPS, .help = "mom: routing steps H (the depth of each token's path)"},
    {.name = "topk", M(mom.topk), .type = KEY_INT, .min = 1, .max = MOM_MAX_TOPK, .help = "mom: modules picked per step K (SKIP competes)"},
    {.name = "router", M(mom.router), .type = KEY_ENUM, .values = router_kinds, .max = 1, .help = "mom: router kind (gru keeps a state across steps)"},
    {.name = "router_dim", M(mom.rdim), .type = KEY_INT, .min = 1, .max = 4096, .help = "mom: router width r"},
    {.name = "tau", M(mom.tau), .type = KEY_FLOAT, .min = 1e-3, .max = 1e3, .help = "mom: router softmax temperature"},
    {.name = "renorm", M(mom.renorm), .type = KEY_BOOL, .values = onoff, .max = 1,
     .help = "mom: kept weights renormalised (on: at K=1 the weight is 1, only aux trains the router)"},
    {.name = "aux", M(mom.aux), .type = KEY_FLOAT, .min = 0, .max = 100, .help = "mom: load-balancing loss coefficient"},
    {.name = "bottom", M(mom.bottom), .type = KEY_INT, .min = 0, .max = 64, .help = "mom: static blocks before the chunk"},
    {.name = "top", M(mom.top), .type = KEY_INT, .min = 0, .max = 64, .help = "mom: static blocks after the chunk"},
    {.name = "anchor", M(mom.anchor), .type = KEY_BOOL, .values = onoff, .max = 1, .help = "mom: a static anchor block right after the chunk"},

    {.name = "preset", B(preset), .type = KEY_PRESET, .values = arch_preset_names, .help = "apply a preset to the blocks"},
    {.name = "attn", B(attn), .type = KEY_ENUM, .values = attn_kinds, .max = 5,
     .help = "attention sub-block: mha, off, or a distilled student mlp-alr|mlp-aslr|mlp-alrr|mlp-elr (see `help distill`)"},
    {.name = "student", B(student), .type = KEY_ENUM, .values = student_sizes, .max = 3,
     .help = "size of an mlp-* student: xs, s, m, l (hidden = ctx*width/k, k = 128, 64, 8, 2)"},
    {.name = "mlp", B(mlp), .type = KEY_ENUM, .values = mlp_kinds, .min = 0.125, .max = 64, .number_too = 1,
     .set = set_mlp, .get = get_mlp, .help = "MLP sub-block: on, off, or a hidden ratio"},
    {.name = "layout", B(layout), .type = KEY_ENUM, .values = layouts, .max = 1, .help = "sequential (Eq. 1) or parallel (Eq. 7)"},
    {.name = "norm", B(norm), .type = KEY_ENUM, .values = block_norms, .max = 2, .set = set_block_norm, .get = get_block_norm,
     .help = "pre-norm, post-norm, or no norm"},
    {.name = "skip.attn", B(alpha_sa), .type = KEY_BOOL, .values = onoff, .max = 1, .set = set_skip_attn, .get = get_nothing,
     .help = "attention skip (alpha.sa = 1 or 0)"},
    {.name = "skip.mlp", B(alpha_ff), .type = KEY_BOOL, .values = onoff, .max = 1, .set = set_skip_mlp, .get = get_nothing,
     .help = "MLP skip (alpha.ff = 1 or 0)"},
    {.name = "value", B(value), .type = KEY_ENUM, .values = value_kinds, .max = 2, .codes = value_codes,
     .help = "W^V: learned, identity, or I + dW (Eq. 6)"},
    {.name = "proj", B(proj), .type = KEY_ENUM, .values = proj_kinds, .max = 1, .codes = learned_id_codes, .help = "W^P: learned or identity"},
    {.name = "shape", B(shape), .type = KEY_ENUM, .values = shape_kinds, .max = 2,
     .help = "shaped attention aI+bA-gC (Eq. 5), or value-skip aI+bA (Eq. 4)"},
    {.name = "act", B(act), .type = KEY_ENUM, .values = act_kinds, .max = 1, .help = "MLP activation of these blocks"},
    GAIN_KEY("alpha.sa", alpha_sa, "attention skip gain"),
    GAIN_KEY("beta.sa", beta_sa, "attention branch gain"),
    GAIN_KEY("alpha.ff", alpha_ff, "MLP skip gain"),
    GAIN_KEY("beta.ff", beta_ff, "MLP branch gain"),
    GAIN_KEY("alpha.v", alpha_v, "value=resid: identity gain"),
    GAIN_KEY("beta.v", beta_v, "value=resid: delta gain"),
    GAIN_KEY("alpha.attn", attn_alpha, "shaped/value-skip identity gain (per head)"),
    GAIN_KEY("beta.attn", attn_beta, "shaped/value-skip softmax gain (per head)"),
    GAIN_KEY("gamma.attn", attn_gamma, "shaped centering gain (per head)"),
    {.name = "init.gain", B(init_gain), .type = KEY_FLOAT, .min = 1e-6, .max = 1e6, .help = "Xavier gain on V, P, W_in, W_out (DeepNorm beta)"},
    {.name = "init.div", B(init_div), .type = KEY_FLOAT, .min = 1e-6, .max = 1e9, .help = "divide every weight of the block at init"},
    {.name = "xavier", B(xavier), .type = KEY_BOOL, .values = onoff, .max = 1, .help = "Xavier-normal init for these blocks"},
    {.name = NULL},
};

const ArchKey *arch_key_find(const char *name)
{
    for (const ArchKey *k = arch_keys; k->name; k++)
        if (strcmp(k->name, name) == 0) return k;
    return NULL;
}

static const ArchKey *key_in_scope(const char *name, int block)
{
    for (const ArchKey *k = arch_keys; k->name; k++)
        if (k->block == block && strcmp(k->name, name) == 0) return k;
    return NULL;
}

float arch_deepnorm_alpha(int n) { return powf(2.0f * (float)n, 0.25f); }
float arch_deepnorm_beta(int n) { return powf(8.0f * (float)n, -0.25f); }

static GainSpec fixed(float v) { GainSpec g = {v, 0}; return g; }
static GainSpec trained(float v) { GainSpec g = {v, 1}; return g; }

/* Pre-LN, Eq. 1 of SAS §3 with all four gains fixed at 1: every preset starts here. */
static void block_base(const ArchSpec *a, BlockSpec *b)
{
    memset(b, 0, sizeof *b);
    snprintf(b->preset, sizeof b->preset, "preln");
    b->attn = ATTN_MHA;
    b->student = 3;   /* StudentSize L, the size that matches its teacher (student.h) */
    b->mlp = 1;
    b->layout = LAYOUT_SEQUENTIAL;
    b->normpos = NORMPOS_PRE;
    b->norm = 1;
    b->value = 1;
    b->proj = 1;
    b->act = a->act;
    b->mlp_ratio = a->mlp_ratio;
    b->alpha_sa = b->beta_sa = b->alpha_ff = b->beta_ff = fixed(1.0f);
    b->alpha_v = b->beta_v = trained(1.0f);
    b->attn_alpha = b->attn_beta = b->attn_gamma = trained(1.0f);
    b->init_gain = 1.0f;
    b->init_div = 1.0f;
}

static int preset_one(const ArchSpec *a, BlockSpec *b, const char *name, int l)
{
    int L = a->depth;
    block_base(a, b);
    if (strcmp(name, "preln") == 0) {
        /* SAS Eq. 1 */
    } else if (strcmp(name, "postln") == 0) {
        b->normpos = NORMPOS_POST;                    /* SAS §A.3: x = Norm(x + G(x)) */
    } else if (strcmp(name, "parallel") == 0) {
        b->layout = LAYOUT_PARALLEL;                  /* SAS Eq. 7, one shared norm */
    } else if (strcmp(name, "vskipinit") == 0) {
        b->shape = 2;                                 /* SAS Eq. 4: A <- aI + bA, a=1, b=0 */
        b->attn_alpha = trained(1.0f);
        b->attn_beta = trained(0.0f);
        b->alpha_sa = fixed(0.0f);                    /* no attention skip */
    } else if (strcmp(name, "sas") == 0 || strcmp(name, "sasp") == 0) {
        int parallel = strcmp(name, "sasp") == 0;
        /* SAS §4.2 (A.8) and §4.3 (A.9): shaped attention, V = P = I but layer 1's
         * value I + dW, no attention skip; beta_SA = 1, beta_FF = 0.1 trainable. */
        b->shape = 1;
        b->value = l == 0 ? 2 : 0;
        b->proj = 0;
        b->alpha_sa = fixed(0.0f);
        b->beta_sa = trained(1.0f);
        b->beta_ff = trained(0.1f);
        if (parallel) {
            b->layout = LAYOUT_PARALLEL;              /* alpha_comb = 0: no skips at all */
        } else {
            b->alpha_ff = trained(1.0f);              /* MLP keeps its skip, trainable in code */
        }
    } else if (strcmp(name, "deepnorm") == 0) {
        /* DN §D.1-D.3: x = LN(alpha·x + G(x)), Xavier with gain beta on V, P, FFN. */
        b->normpos = NORMPOS_POST;
        b->alpha_sa = b->alpha_ff = fixed(arch_deepnorm_alpha(L));
        b->init_gain = arch_deepnorm_beta(L);
        b->xavier = 1;
    } else if (strcmp(name, "postln-init") == 0) {
        /* DN §D.4: Post-LN, Xavier, layer l (1-based) divided by N - l + 1. */
        b->normpos = NORMPOS_POST;
        b->xavier = 1;
        b->init_div = (float)(L - l);
    } else {
        return -1;
    }
    snprintf(b->preset, sizeof b->preset, "%s", name);
    return 0;
}

static int check_preset(const char *name, BlError *e)
{
    for (int i = 0; arch_preset_names[i]; i++)
        if (strcmp(arch_preset_names[i], name) == 0) return 0;
    return bl_fail(e, "unknown preset '%s' (expected preln, postln, parallel, vskipinit, sas, sasp, deepnorm or postln-init)", name);
}

void arch_fit(ArchSpec *a)
{
    if (a->depth <= a->cap) return;
    a->blocks = xrealloc(a->blocks, (size_t)a->depth * sizeof *a->blocks);
    memset(a->blocks + a->cap, 0, (size_t)(a->depth - a->cap) * sizeof *a->blocks);
    a->cap = a->depth;
}

void arch_copy(ArchSpec *dst, const ArchSpec *src)
{
    BlockSpec *blocks = dst->blocks;
    int cap = dst->cap;
    *dst = *src;
    dst->blocks = blocks;
    dst->cap = cap;
    arch_fit(dst);
    if (src->depth) memcpy(dst->blocks, src->blocks, (size_t)src->depth * sizeof *src->blocks);   /* a pure MoM has none */
}

void arch_free(ArchSpec *a)
{
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

int arch_block_preset(const ArchSpec *a, const char *name, int l, BlockSpec *out)
{
    return preset_one(a, out, name, l);
}

int arch_preset(ArchSpec *a, const char *name, int lo, int hi, BlError *e)
{
    if (check_preset(name, e)) return -1;
    arch_fit(a);
    for (int l = lo; l <= hi; l++) preset_one(a, &a->blocks[l], name, l);
    return 0;
}

int arch_reset_blocks(ArchSpec *a, BlError *e)
{
    if (a->stack == STACK_MOM) a->depth = mom_static_layers(&a->mom);
    return arch_preset(a, a->preset, 0, a->depth - 1, e);
}

void arch_default(ArchSpec *a)
{
    BlockSpec *blocks = a->blocks;
    int cap = a->cap;
    memset(a, 0, sizeof *a);
    a->blocks = blocks;
    a->cap = cap;
    a->depth = 2;
    a->width = 64;
    a->heads = 4;
    a->ctx = 32;
    a->vocab = 16;
    a->mlp_ratio = 4.0f;
    a->bias = 0;
    a->causal = 1;
    a->norm = NORM_LAYER;
    a->act = ACT_GELU;
    a->pos = POS_LEARNED;
    a->init = INIT_NORMAL;
    a->tie = 1;
    a->seed = 1;
    snprintf(a->preset, sizeof a->preset, "preln");
    a->stack = STACK_BLOCKS;
    mom_spec_default(&a->mom);
    arch_reset_blocks(a, NULL);
}

/* ---- parsing values ----------------------------------------------------- */

static int enum_index(const char *const *values, const char *s)
{
    for (int i = 0; values[i]; i++)
        if (strcmp(values[i], s) == 0) return i;
    return -1;
}

static void enum_list(const char *const *values, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; values[i] && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? "|" : "", values[i]);
}

static int parse_number(const ArchKey *k, const char *s, double *out, BlError *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return bl_fail(e, "%s=%s: expected a number", k->name, s);
    if (k->type == KEY_INT && v != floor(v)) return bl_fail(e, "%s=%s: expected a whole number", k->name, s);
    if (v < k->min || v > k->max)
        return bl_fail(e, "%s=%s: out of range (expected %g to %g)", k->name, s, k->min, k->max);
    *out = v;
    return 0;
}

static int parse_choice(const ArchKey *k, const char *s, int *out, BlError *e)
{
    const char *alias = strcmp(s, "true") == 0 || strcmp(s, "1") == 0    ? "on"
                        : strcmp(s, "false") == 0 || strcmp(s, "0") == 0 ? "off"
                        : strcmp(s, "none") == 0 && k->values == block_norms ? "off"
                                                                          : s;
    int i = enum_index(k->values, alias);
    if (i < 0) {
        char list[160];
        enum_list(k->values, list, sizeof list);
        return bl_fail(e, "%s=%s: expected %s", k->name, s, list);
    }
    *out = i;
    return 0;
}

/* Parses value for key k: an enum/bool choice into *c (-1 for a number where
 * the key takes one too), a number into *v. */
static int parse_value(const ArchKey *k, const char *value, int *c, double *v, BlError *e)
{
    *c = -1;
    *v = 0;
    if (k->type == KEY_PRESET) return check_preset(value, e);
    if (k->number_too) {
        *c = enum_index(k->values, value);
        if (*c < 0 && parse_number(k, value, v, NULL)) {
            char list[160];
            enum_list(k->values, list, sizeof list);
            return bl_fail(e, "%s=%s: expected %s, or a number from %g to %g", k->name, value, list, k->min, k->max);
        }
        return 0;
    }
    if (k->type == KEY_ENUM || k->type == KEY_BOOL) return parse_choice(k, value, c, e);
    if (k->type == KEY_U64) {
        uint64_t u;
        if (bl_parse_u64(value, &u)) return bl_fail(e, "%s=%s: expected a whole number >= 0", k->name, value);
        *v = (double)u;   /* exact below 2^53; the field is set from the text again */
        return 0;
    }
    return parse_number(k, value, v, e);
}

/* Writes a parsed value into the field at base + k->off. */
static void put_field(const ArchKey *k, void *base, int c, double v, int trainable, const char *value)
{
    void *f = (char *)base + k->off;
    switch (k->type) {
    case KEY_INT: *(int *)f = (int)v; break;
    case KEY_FLOAT: *(float *)f = (float)v; break;
    case KEY_ENUM:
    case KEY_BOOL: *(uint8_t *)f = k->codes ? k->codes[c] : (uint8_t)c; break;
    case KEY_GAIN: ((GainSpec *)f)->value = (float)v; ((GainSpec *)f)->trainable = (uint8_t)trainable; break;
    case KEY_U64: bl_parse_u64(value, (uint64_t *)f); break;
    case KEY_PRESET: snprintf((char *)f, 16, "%s", value); break;
    }
}

int arch_set_model(ArchSpec *a, const char *key, const char *value, BlError *e)
{
    const ArchKey *k = key_in_scope(key, 0);
    if (!k) {
        if (key_in_scope(key, 1)) return bl_fail(e, "'%s' is a block key: use `block all %s=...`", key, key);
        return bl_fail(e, "unknown model key '%s' (see `help model`)", key);
    }
    int c;
    double v;
    if (parse_value(k, value, &c, &v, e)) return -1;
    if (k->set) k->set(a, NULL, c, v);
    else put_field(k, a, c, v, 0, value);
    return 0;
}

int arch_set_block(ArchSpec *a, int lo, int hi, const char *key, const char *value, int trainable, BlError *e)
{
    const ArchKey *k = key_in_scope(key, 1);
    if (!k) {
        if (key_in_scope(key, 0)) return bl_fail(e, "'%s' is a model-wide key: use `model new %s=...`", key, key);
        return bl_fail(e, "unknown block key '%s' (see `help block`)", key);
    }
    if (lo < 0 || hi >= a->depth || lo > hi)
        return bl_fail(e, "blocks %d..%d do not exist (the model has blocks 0..%d)", lo, hi, a->depth - 1);
    if (trainable && k->type != KEY_GAIN)
        return bl_fail(e, "%s~=%s: only scalar gains can be made trainable with ~=", key, value);
    int c;
    double v;
    if (parse_value(k, value, &c, &v, e)) return -1;
    for (int l = lo; l <= hi; l++) {
        BlockSpec *b = &a->blocks[l];
        if (k->type == KEY_PRESET) preset_one(a, b, value, l);
        else if (k->set) k->set(a, b, c, v);
        else put_field(k, b, c, v, trainable, value);
    }
    return 0;
}

/* ---- validation ----------------------------------------------------------- */

const char *arch_student_misfit(const BlockSpec *b)
{
    if (b->attn != ATTN_MLP_ALRR) return NULL;
    if (b->layout != LAYOUT_SEQUENTIAL) return "parallel";
    if (!b->norm) return "without norm";
    if (b->normpos != NORMPOS_PRE) return "post-norm";
    return b->mlp ? NULL : "without its MLP";
}

int arch_validate(const ArchSpec *a, BlError *e)
{
    if (a->stack == STACK_MOM) {
        if (mom_validate(&a->mom, e)) return -1;
        if (a->depth != mom_static_layers(&a->mom))
            return bl_fail(e, "stack=mom: depth is bottom+anchor+top = %d, not %d", mom_static_layers(&a->mom), a->depth);
    } else if (a->depth < 1 || a->depth > ARCH_MAX_DEPTH) {
        return bl_fail(e, "depth=%d: expected 1 to %d", a->depth, ARCH_MAX_DEPTH);
    }
    if (a->cap < a->depth) return bl_fail(e, "depth=%d but only %d blocks are described (apply a preset)", a->depth, a->cap);
    if (a->width % a->heads) return bl_fail(e, "width=%d is not a multiple of heads=%d", a->width, a->heads);
    if (a->pos == POS_SINUSOIDAL && a->width % 2) return bl_fail(e, "pos=sinusoidal needs an even width (width=%d)", a->width);
    for (int l = 0; l < a->depth; l++) {
        const BlockSpec *b = &a->blocks[l];
        if (b->layout == LAYOUT_PARALLEL && b->norm && b->normpos == NORMPOS_POST)
            return bl_fail(e, "block %d: layout=parallel is defined with a pre-norm only (Eq. 7); set norm=pre or norm=off", l);
        if (b->attn == ATTN_OFF && !b->mlp)
            return bl_fail(e, "block %d: attn=off and mlp=off leave the block empty", l);
        const char *misfit = arch_student_misfit(b);
        if (misfit)
            return bl_fail(e, "block %d: attn=mlp-alrr replaces a pre-norm sequential attention sub-block "
                              "(norm + attention + residual) and keeps the MLP; this block is %s (attn=mlp-elr "
                              "replaces a whole block)", l, misfit);
        if (b->mlp && (int)(b->mlp_ratio * (float)a->width + 0.5f) < 1)
            return bl_fail(e, "block %d: mlp ratio %g gives an empty hidden layer at width %d", l, b->mlp_ratio, a->width);
    }
    return 0;
}

/* ---- text form ---------------------------------------------------------- */

static void fmt_float(float v, char *buf, int cap) { snprintf(buf, (size_t)cap, "%.6g", (double)v); }

static void get_mlp(const ArchSpec *a, const BlockSpec *b, char *buf, int cap)
{
    if (!b->mlp) snprintf(buf, (size_t)cap, "off");
    else fmt_float(b->mlp_ratio, buf, cap);
}

/* The printable value of k on a (model keys) or b (block keys). */
static void key_print(const ArchSpec *a, const BlockSpec *b, const ArchKey *k, char *buf, int cap)
{
    /* Only a MoM prints its keys (and the stack key); its depth follows from them. */
    int mom_key = !k->block && k->off >= offsetof(ArchSpec, mom) && k->off < offsetof(ArchSpec, mom) + sizeof(MomSpec);
    if (!k->block && ((mom_key && a->stack != STACK_MOM) || (k->off == offsetof(ArchSpec, stack) && a->stack == STACK_BLOCKS) ||
                      (k->off == offsetof(ArchSpec, depth) && a->stack == STACK_MOM))) {
        buf[0] = 0;
        return;
    }
    if (k->get) { k->get(a, b, buf, cap); return; }
    const void *f = (const char *)(k->block ? (const void *)b : (const void *)a) + k->off;
    int code;
    switch (k->type) {
    case KEY_INT: snprintf(buf, (size_t)cap, "%d", *(const int *)f); return;
    case KEY_FLOAT: fmt_float(*(const float *)f, buf, cap); return;
    case KEY_GAIN: fmt_float(((const GainSpec *)f)->value, buf, cap); return;
    case KEY_U64: snprintf(buf, (size_t)cap, "%llu", (unsigned long long)*(const uint64_t *)f); return;
    case KEY_PRESET: snprintf(buf, (size_t)cap, "%s", (const char *)f); return;
    case KEY_ENUM:
    case KEY_BOOL:
        code = *(const uint8_t *)f;
        for (int i = 0; k->values[i]; i++)
            if ((k->codes ? k->codes[i] : i) == code) { snprintf(buf, (size_t)cap, "%s", k->values[i]); return; }
        snprintf(buf, (size_t)cap, "%d", code);
        return;
    }
}

void arch_key_value(const ArchSpec *a, const ArchKey *k, int l, char *buf, int cap)
{
    if ((l < 0) != (k->block == 0)) { buf[0] = 0; return; }
    key_print(a, l < 0 ? NULL : &a->blocks[l], k, buf, cap);
}

static GainSpec *gain_of(BlockSpec *b, const ArchKey *k)
{
    return k->type == KEY_GAIN ? (GainSpec *)((char *)b + k->off) : NULL;
}

/* The block keys on which block l differs from a fresh copy of its own preset
 * (plus "preset=" when that preset is not the model's), as "k=v k~=v ...". */
static void block_diff(const ArchSpec *a, int l, char *buf, int cap)
{
    const BlockSpec *b = &a->blocks[l];
    BlockSpec ref;
    preset_one(a, &ref, b->preset, l);
    int k = 0;
    buf[0] = 0;
    if (strcmp(b->preset, a->preset)) k += snprintf(buf + k, (size_t)(cap - k), " preset=%s", b->preset);
    for (const ArchKey *key = arch_keys; key->name && k < cap; key++) {
        if (!key->block || key->type == KEY_PRESET || key->get == get_nothing) continue;
        char v1[48], v2[48];
        key_print(a, b, key, v1, sizeof v1);
        key_print(a, &ref, key, v2, sizeof v2);
        GainSpec *g = gain_of((BlockSpec *)b, key), *gr = gain_of(&ref, key);
        int differs = strcmp(v1, v2) != 0 || (g && g->trainable != gr->trainable);
        if (differs) k += snprintf(buf + k, (size_t)(cap - k), " %s%s=%s", key->name, g && g->trainable ? "~" : "", v1);
    }
}

int arch_to_text(const ArchSpec *a, char *buf, int cap)
{
    int k = snprintf(buf, (size_t)cap, "model new");
    for (const ArchKey *key = arch_keys; key->name && k < cap; key++) {
        if (key->block) continue;
        char v[48];
        arch_key_value(a, key, -1, v, sizeof v);
        if (v[0]) k += snprintf(buf + k, (size_t)(cap - k), " %s=%s", key->name, v);
    }
    char cur[1024], next[1024];
    for (int l = 0; l < a->depth && k < cap;) {
        block_diff(a, l, cur, sizeof cur);
        int h = l;
        while (h + 1 < a->depth) {
            block_diff(a, h + 1, next, sizeof next);
            if (strcmp(cur, next)) break;
            h++;
        }
        if (cur[0]) {
            if (h == l) k += snprintf(buf + k, (size_t)(cap - k), "; block %d%s", l, cur);
            else k += snprintf(buf + k, (size_t)(cap - k), "; block %d..%d%s", l, h, cur);
        }
        l = h + 1;
    }
    return k < cap ? k : cap - 1;
}

/* Strict reader for arch_to_text's output: "model new k=v ...; block R k=v ...". */
int arch_from_text(ArchSpec *a, const char *text, BlError *e)
{
    char *copy = xstrdup(text), *save1 = NULL;
    int rc = 0, seen_model = 0;
    arch_default(a);
    for (char *cmd = strtok_r(copy, ";", &save1); cmd && !rc; cmd = strtok_r(NULL, ";", &save1)) {
        char *save2 = NULL;
        char *w1 = strtok_r(cmd, " \t\n", &save2);
        if (!w1) continue;
        int lo = 0, hi = -1, block = 0;
        if (!strcmp(w1, "model")) {
            char *w2 = strtok_r(NULL, " \t\n", &save2);
            if (!w2 || strcmp(w2, "new")) { rc = bl_fail(e, "arch text: expected 'model new'"); break; }
            seen_model = 1;
        } else if (!strcmp(w1, "block")) {
            char *r = strtok_r(NULL, " \t\n", &save2);
            if (!r || !seen_model) { rc = bl_fail(e, "arch text: 'block' needs a range after 'model new'"); break; }
            if (!strcmp(r, "all")) { lo = 0; hi = a->depth - 1; }
            else if (sscanf(r, "%d..%d", &lo, &hi) < 2 && sscanf(r, "%d", &lo) == 1) hi = lo;
            else if (sscanf(r, "%d..%d", &lo, &hi) < 2) { rc = bl_fail(e, "arch text: bad block range '%s'", r); break; }
            block = 1;
        } else {
            rc = bl_fail(e, "arch text: unexpected '%s'", w1);
            break;
        }
        for (char *kv = strtok_r(NULL, " \t\n", &save2); kv && !rc; kv = strtok_r(NULL, " \t\n", &save2)) {
            char *eq = strchr(kv, '=');
            if (!eq) { rc = bl_fail(e, "arch text: expected key=value, got '%s'", kv); break; }
            *eq = 0;
            int tr = eq > kv && eq[-1] == '~';
            if (tr) eq[-1] = 0;
            rc = block ? arch_set_block(a, lo, hi, kv, eq + 1, tr, e) : arch_set_model(a, kv, eq + 1, e);
        }
        if (!block && !rc) rc = arch_reset_blocks(a, e);
    }
    free(copy);
    if (!rc && !seen_model) rc = bl_fail(e, "arch text: no 'model new'");
    if (!rc) rc = arch_validate(a, e);
    return rc;
}

/* ---- JSON form ------------------------------------------------------------ */

static void put_gain(JsonBuf *b, const char *key, GainSpec g)
{
    json_key(b, key);
    json_begin_object(b);
    json_key(b, "value"); json_put_number(b, g.value);
    json_key(b, "trainable"); json_put_bool(b, g.trainable);
    json_end_object(b);
}

char *arch_to_json(const ArchSpec *a)
{
    JsonBuf b = {0};
    json_begin_object(&b);
    json_key(&b, "depth"); json_put_int(&b, a->depth);
    json_key(&b, "width"); json_put_int(&b, a->width);
    json_key(&b, "heads"); json_put_int(&b, a->heads);
    json_key(&b, "ctx"); json_put_int(&b, a->ctx);
    json_key(&b, "vocab"); json_put_int(&b, a->vocab);
    json_key(&b, "bias"); json_put_bool(&b, a->bias);
    json_key(&b, "causal"); json_put_bool(&b, a->causal);
    json_key(&b, "norm"); json_put_string(&b, norm_kinds[a->norm]);
    json_key(&b, "pos"); json_put_string(&b, pos_kinds[a->pos]);
    json_key(&b, "tie"); json_put_bool(&b, a->tie);
    json_key(&b, "norm_eps"); json_put_number(&b, 1e-5);
    json_key(&b, "act"); json_put_string(&b, act_kinds[a->act]);
    json_key(&b, "mlp_ratio"); json_put_number(&b, a->mlp_ratio);
    json_key(&b, "stack"); json_put_string(&b, stack_kinds[a->stack]);
    if (a->stack == STACK_MOM) {
        const MomSpec *m = &a->mom;
        json_key(&b, "mom");
        json_begin_object(&b);
        json_key(&b, "attn_pool"); json_put_int(&b, m->n_attn);
        json_key(&b, "ffn_pool"); json_put_int(&b, m->n_ffn);
        json_key(&b, "steps"); json_put_int(&b, m->steps);
        json_key(&b, "topk"); json_put_int(&b, m->topk);
        json_key(&b, "router"); json_put_string(&b, router_kinds[m->router]);
        json_key(&b, "router_dim"); json_put_int(&b, m->rdim);
        json_key(&b, "tau"); json_put_number(&b, m->tau);
        json_key(&b, "renorm"); json_put_bool(&b, m->renorm);
        json_key(&b, "aux"); json_put_number(&b, m->aux);
        json_key(&b, "bottom"); json_put_int(&b, m->bottom);
        json_key(&b, "top"); json_put_int(&b, m->top);
        json_key(&b, "anchor"); json_put_bool(&b, m->anchor);
        json_end_object(&b);
    }
    json_key(&b, "blocks");
    json_begin_array(&b);
    for (int l = 0; l < a->depth; l++) {
        const BlockSpec *k = &a->blocks[l];
        json_begin_object(&b);
        json_key(&b, "preset"); json_put_string(&b, k->preset);
        json_key(&b, "attn"); json_put_string(&b, attn_kinds[k->attn]);
        json_key(&b, "student"); json_put_string(&b, student_sizes[k->student]);
        json_key(&b, "mlp"); json_put_bool(&b, k->mlp);
        json_key(&b, "mlp_ratio"); json_put_number(&b, k->mlp_ratio);
        json_key(&b, "layout"); json_put_string(&b, layouts[k->layout]);
        json_key(&b, "norm"); json_put_string(&b, k->norm ? block_norms[k->normpos] : "off");
        json_key(&b, "value"); json_put_string(&b, k->value == 1 ? "learned" : k->value == 0 ? "id" : "resid");
        json_key(&b, "proj"); json_put_string(&b, k->proj ? "learned" : "id");
        json_key(&b, "shape"); json_put_string(&b, shape_kinds[k->shape]);
        json_key(&b, "act"); json_put_string(&b, act_kinds[k->act]);
        put_gain(&b, "alpha_sa", k->alpha_sa);
        put_gain(&b, "beta_sa", k->beta_sa);
        put_gain(&b, "alpha_ff", k->alpha_ff);
        put_gain(&b, "beta_ff", k->beta_ff);
        put_gain(&b, "alpha_v", k->alpha_v);
        put_gain(&b, "beta_v", k->beta_v);
        put_gain(&b, "attn_alpha", k->attn_alpha);
        put_gain(&b, "attn_beta", k->attn_beta);
        put_gain(&b, "attn_gamma", k->attn_gamma);
        json_end_object(&b);
    }
    json_end_array(&b);
    json_end_object(&b);
    return b.data;
}
