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

void student_declare(ParamTable *pt, const StudentSpec *s, const char *prefix, int layer, int flags, int *idx)
{
    static const char *const names[STUDENT_TENSORS] = {"ln_in.w", "ln_in.b", "w1", "b1",
                                                       "ln_h.w", "ln_h.b", "w2", "b2"};
    int W = s->len * s->width, h = s->hidden, o = net_out(s);
    int shape[STUDENT_TENSORS][2] = {{W, 0}, {W, 0}, {h, W}, {h, 0}, {h, 0}, {h, 0}, {o, h}, {o, 0}};
    for (int n = 0; n < s->nets; n++)
        for (int k = 0; k < STUDENT_TENSORS; k++) {
            char name[64];
            if (s->nets > 1) snprintf(name, sizeof name, "%s%d.%s", prefix, n, names[k]);
            else snprintf(name, sizeof name, "%s%s", prefix, names[k]);
            /* Weight decay never applies: distillation uses plain Adam (§B.5). */
            idx[n * STUDENT_TENSORS + k] = params_add(pt, name, layer, flags, shape[k][0], shape[k][1], 0);
        }
}

void student_bind(ParamTable *pt, const StudentSpec *s, const int *idx, StudentNet *nets)
{
    for (int n = 0; n < s->nets; n++) {
        const int *ix = idx + n * STUDENT_TENSORS;
        StudentNet *p = &nets[n];
        p->ln_in_w = params_tensor(pt, ix[0]);
        p->ln_in_b = params_tensor(pt, ix[1]);
        p->w1 = params_tensor(pt, ix[2]);
        p->b1 = params_tensor(pt, ix[3]);
        p->ln_h_w = params_tensor(pt, ix[4]);
        p->ln_h_b = params_tensor(pt, ix[5]);
        p->w2 = params_tensor(pt, ix[6]);
        p->b2 = params_tensor(pt, ix[7]);
    }
}

static void fill_uniform(Rng *r, Tensor *t, float bound)
{
    for (int i = 0; i < t->n; i++) t->data[i] = (2.0f * rng_uniform(r) - 1.0f) * bound;
}

static void fill(Tensor *t, float v)
{
    for (int i = 0; i < t->n; i++) t->data[i] = v;
}

void student_init(const StudentSpec *s, StudentNet *nets, Rng *r)
{
    for (int n = 0; n < s->nets; n++) {
        StudentNet *p = &nets[n];
        float k1 = 1.0f / sqrtf((float)p->w1->shape[1]), k2 = 1.0f / sqrtf((float)p->w2->shape[1]);
        fill(p->ln_in_w, 1.0f);
        fill(p->ln_in_b, 0.0f);
        fill_uniform(r, p->w1, k1);
        fill_uniform(r, p->b1, k1);
        fill(p->ln_h_w, 1.0f);
        fill(p->ln_h_b, 0.0f);
        fill_uniform(r, p->w2, k2);
        fill_uniform(r, p->b2, k2);
    }
}

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
    int *idx = xcalloc((size_t)s->nets * STUDENT_TENSORS, sizeof *idx);
    student_declare(&st->params, s, "", -1, PARAM_TRAIN, idx);
    params_alloc(&st->params);
    st->nets = xcalloc((size_t)s->nets, sizeof *st->nets);
    student_bind(&st->params, s, idx, st->nets);
    free(idx);
    Rng r;
    rng_seed(&r, seed);
    student_init(s, st->nets, &r);
}

void student_free(Student *st)
{
    params_free(&st->params);
    free(st->nets);
    memset(st, 0, sizeof *st);
}
