/* student.c — the attention-replacing student: sizes, parameters, forward
 * (spec/mom-and-mlp-attention.md §B.2–B.4; official code models/definitions/
 * ALR_FF.py, ALSR_FF.py, FFNetwork_decoder_*). Not here: capturing the
 * teacher's activations and the training loop (distill.c), splicing (model.c). */
#include "student.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_student.h"

#define LN_EPS 1e-5f      /* nn.LayerNorm default */
#define LEAKY_SLOPE 0.01f /* nn.LeakyReLU default */

const char *const student_mode_names[] = {"alr", "aslr", "alrr", "elr", NULL};
const char *const student_size_names[] = {"xs", "s", "m", "l", NULL};
const int student_size_k[] = {128, 64, 8, 2};

int student_spec(StudentSpec *s, int mode, int size, int causal, int len, int width, int heads, BlError *e)
{
    memset(s, 0, sizeof *s);
    if (mode < STUDENT_ALR || mode > STUDENT_ELR) return bl_fail(e, "unknown student mode %d", mode);
    if (size < STUDENT_XS || size > STUDENT_L) return bl_fail(e, "unknown student size %d", size);
    if (len < 1 || width < 1 || heads < 1) return bl_fail(e, "student needs length, width and heads >= 1");
    if (mode == STUDENT_ASLR && width % heads)
        return bl_fail(e, "mode aslr needs width %d divisible by heads %d", width, heads);
    s->mode = mode;
    s->size = size;
    s->causal = causal ? 1 : 0;
    s->len = len;
    s->width = width;
    s->heads = heads;
    s->hidden = len * width / student_size_k[size];
    if (s->hidden < 1) s->hidden = 1;
    s->nets = mode == STUDENT_ASLR ? heads : 1;
    s->out = width / s->nets;
    return 0;
}

static int net_out(const StudentSpec *s) { return s->causal ? s->out : s->len * s->out; }

int student_spec_of(const ArchSpec *a, const BlockSpec *b, StudentSpec *s, BlError *e)
{
    int mode = b->attn >= ATTN_MLP_ALR ? b->attn - ATTN_MLP_ALR : -1;
    if (mode < 0) return bl_fail(e, "this block has attention, not a student");
    if (mode == STUDENT_ASLR && a->heads > STUDENT_MAX_NETS)
        return bl_fail(e, "mode aslr takes at most %d heads (one student each); the model has %d", STUDENT_MAX_NETS, a->heads);
    return student_spec(s, mode, b->student, a->causal, a->ctx, a->width, a->heads, e);
}

/* ---- the module kind: shapes and init from the config ------------------------------ */

static StudentSpec spec_of(const ModCfg *c)
{
    StudentSpec s;
    if (student_spec_of(c->arch, c->spec, &s, NULL)) memset(&s, 0, sizeof s);
    return s;
}
static int in_w(const ModCfg *c, int d[3]) { StudentSpec s = spec_of(c); d[0] = s.len * s.width; return s.nets > 0; }
static int w1_shape(const ModCfg *c, int d[3]) { StudentSpec s = spec_of(c); d[0] = s.hidden; d[1] = s.len * s.width; return s.nets > 0; }
static int hid(const ModCfg *c, int d[3]) { StudentSpec s = spec_of(c); d[0] = s.hidden; return s.nets > 0; }
static int w2_shape(const ModCfg *c, int d[3]) { StudentSpec s = spec_of(c); d[0] = net_out(&s); d[1] = s.hidden; return s.nets > 0; }
static int out_b(const ModCfg *c, int d[3]) { StudentSpec s = spec_of(c); d[0] = net_out(&s); return s.nets > 0; }

static void fill_uniform(Rng *r, Tensor *t, float bound)
{
    for (int i = 0; i < t->n; i++) t->data[i] = (2.0f * rng_uniform(r) - 1.0f) * bound;
}
/* PyTorch's nn.Linear default, as the official code leaves it: weight and
 * bias U(−1/√fan_in, 1/√fan_in); fan_in L·d for the first Linear, h for the second. */
static void init_fan_w(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    StudentSpec s = spec_of(c);
    fill_uniform(r, t, 1.0f / sqrtf((float)(s.len * s.width)));
}
static void init_fan_h(const ModCfg *c, const ParamRow *row, Tensor *t, Rng *r)
{
    fill_uniform(r, t, 1.0f / sqrtf((float)spec_of(c).hidden));
}

/* Weight decay never applies: distillation uses plain Adam (§B.5). */
static const ParamRow student_rows[] = {
    {.name = "ln_in.w", .slot = offsetof(StudentNet, ln_in_w), .shape = in_w, .flags = PARAM_TRAIN, .init = init_ones},
    {.name = "ln_in.b", .slot = offsetof(StudentNet, ln_in_b), .shape = in_w, .flags = PARAM_TRAIN},
    {.name = "w1", .slot = offsetof(StudentNet, w1), .shape = w1_shape, .flags = PARAM_TRAIN, .init = init_fan_w},
    {.name = "b1", .slot = offsetof(StudentNet, b1), .shape = hid, .flags = PARAM_TRAIN, .init = init_fan_w},
    {.name = "ln_h.w", .slot = offsetof(StudentNet, ln_h_w), .shape = hid, .flags = PARAM_TRAIN, .init = init_ones},
    {.name = "ln_h.b", .slot = offsetof(StudentNet, ln_h_b), .shape = hid, .flags = PARAM_TRAIN},
    {.name = "w2", .slot = offsetof(StudentNet, w2), .shape = w2_shape, .flags = PARAM_TRAIN, .init = init_fan_h},
    {.name = "b2", .slot = offsetof(StudentNet, b2), .shape = out_b, .flags = PARAM_TRAIN, .init = init_fan_h},
};
const ModuleKind module_student = {"student", student_rows, STUDENT_TENSORS};

static int has_w_o(const ModCfg *c, int d[3]) { d[0] = d[1] = c->arch->width; return c->spec->proj; }
static int has_b_o(const ModCfg *c, int d[3]) { d[0] = c->arch->width; return c->spec->proj && c->arch->bias; }
static const ParamRow student_out_rows[] = {
    {.name = "w_o", .slot = offsetof(AttnParams, w_o), .shape = has_w_o, .flags = PARAM_TRAIN | PARAM_DECAY, .init = init_weight_gain},
    {.name = "b_o", .slot = offsetof(AttnParams, b_o), .shape = has_b_o, .flags = PARAM_TRAIN},
};
const ModuleKind module_student_out = {"student_out", student_out_rows, 2};

double student_params(const StudentSpec *s)
{
    double W = (double)s->len * s->width, h = s->hidden, o = net_out(s);
    return s->nets * (2 * W + W * h + h + 2 * h + h * o + o);
}

double student_macs(const StudentSpec *s)
{
    double W = (double)s->len * s->width, h = s->hidden;
    /* As defined: the causal form runs the whole net once per position. */
    if (s->causal) return s->nets * s->len * (W * h + h * s->out);
    return s->nets * (W * h + h * W / s->width * s->out);
}

int student_check_len(const StudentSpec *s, int T, const char *where, BlError *e)
{
    if (T <= s->len) return 0;
    return bl_fail(e, "%s: the %s student takes at most %d positions (its fixed length, "
                      "L·d = %d inputs); this input has %d: a student cannot represent a longer "
                      "sequence (spec B.4)", where, student_mode_names[s->mode], s->len,
                   s->len * s->width, T);
}

Tensor *student_forward(Tape *t, const StudentSpec *s, StudentNet *nets, Tensor *x, const float *valid)
{
    int T = x->shape[1];
    Tensor **parts = arena_alloc(&t->arena, (size_t)s->nets * sizeof *parts);
    Tensor *flat = s->causal ? NULL : op_student_flatten(t, x, valid, s->len);
    for (int n = 0; n < s->nets; n++) {
        StudentNet *p = &nets[n];
        Tensor *z;
        if (s->causal) z = op_student_prefix(t, x, valid, s->len, p->ln_in_w, p->ln_in_b, p->w1, p->b1);
        else z = op_linear(t, op_layernorm(t, flat, p->ln_in_w, p->ln_in_b, LN_EPS), p->w1, p->b1);
        z = op_leaky_relu(t, z, LEAKY_SLOPE);
        z = op_layernorm(t, z, p->ln_h_w, p->ln_h_b, LN_EPS);
        parts[n] = op_linear(t, z, p->w2, p->b2);
    }
    return op_student_join(t, parts, s->nets, s->causal ? T : s->len, T, valid);
}

void student_build(Student *st, const StudentSpec *s, uint64_t seed)
{
    memset(st, 0, sizeof *st);
    st->spec = *s;
    /* The module's rows read the settings from an ArchSpec and a BlockSpec. */
    st->arch = xcalloc(1, sizeof *st->arch);
    st->arch->ctx = s->len;
    st->arch->width = s->width;
    st->arch->heads = s->heads;
    st->arch->causal = (uint8_t)s->causal;
    BlockSpec b = {0};
    b.attn = (uint8_t)(ATTN_MLP_ALR + s->mode);
    b.student = (uint8_t)s->size;
    ModCfg c = {.arch = st->arch, .spec = &b};
    st->nets = xcalloc((size_t)s->nets, sizeof *st->nets);
    ParamBinder bd = {.pt = &st->params};
    for (int n = 0; n < s->nets; n++) {
        char prefix[16] = "";
        if (s->nets > 1) snprintf(prefix, sizeof prefix, "%d", n);
        module_declare(&bd, &module_student, &c, prefix, -1, &st->nets[n]);
    }
    params_alloc(&st->params);
    binder_resolve(&bd);
    Rng r;
    rng_seed(&r, seed);
    for (int n = 0; n < s->nets; n++) module_init(&module_student, &c, &st->nets[n], &r);
}

void student_free(Student *st)
{
    params_free(&st->params);
    free(st->nets);
    free(st->arch);
    memset(st, 0, sizeof *st);
}
