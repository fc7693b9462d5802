/* student.h — the shallow feed-forward network that stands in for attention
 * ("Rethinking Attention", Bozic et al.; spec/mom-and-mlp-attention.md §B.2–B.4):
 *
 *     LN(L·d) → Linear(L·d → h) → LeakyReLU(0.01) → LN(h) → Linear(h → out) → ×mask
 *
 * over the sequence flattened and zero-padded to the fixed length L it was
 * distilled at. Two forms (spec "Decisions"):
 *   encoder  one pass over the whole padded sequence; out = L·o (o per position)
 *   causal   one pass per position i over the sequence with positions > i
 *            zeroed (the official decoder code); out = o. Computed exactly and
 *            without L passes by op_student_prefix (ops_student.c).
 * Four modes, each a cut in a pre-LN block (§B.3):
 *   ALR   input LN1(x), target the heads' outputs before W_O (o = d); W_O kept
 *   ASLR  the same cut, one student per head (o = d/heads), outputs concatenated
 *   ALRR  input x, target x + MHA(LN1(x)) (norm, attention and residual)
 *   ELR   input x, target the block's output (the whole block)
 * Sizes XS/S/M/L: h = L·d/k with k = 128/64/8/2 (spec "Decisions").
 *
 * Parameters live in a ParamTable (a standalone Student owns one; a hybrid
 * model's block declares the same module in its own table), named
 * "<prefix>.ln_in.w", "ln_in.b", "w1", "b1", "ln_h.w", "ln_h.b", "w2", "b2",
 * with "<prefix>.<n>" for the per-head nets of ASLR. Shapes follow PyTorch:
 * w1 (h, L·d), w2 (out, h). */
#ifndef BL_STUDENT_H
#define BL_STUDENT_H

#include "common.h"
#include "module.h"
#include "ops.h"
#include "params.h"
#include "rng.h"

typedef enum { STUDENT_ALR, STUDENT_ASLR, STUDENT_ALRR, STUDENT_ELR } StudentMode;
typedef enum { STUDENT_XS, STUDENT_S, STUDENT_M, STUDENT_L } StudentSize;
extern const char *const student_mode_names[];   /* "alr", "aslr", "alrr", "elr", NULL */
extern const char *const student_size_names[];   /* "xs", "s", "m", "l", NULL */
extern const int student_size_k[];               /* 128, 64, 8, 2 */

typedef struct StudentSpec {
    int mode;        /* StudentMode */
    int size;        /* StudentSize */
    int causal;      /* 1: per-position form; 0: encoder form */
    int len;         /* L: the fixed length (positions) */
    int width;       /* d: model width (input per position) */
    int heads;       /* the teacher's heads (ASLR: one net each) */
    int hidden;      /* h = L·d/k, at least 1 */
    int out;         /* o: output per position of one net (d, or d/heads for ASLR) */
    int nets;        /* 1, or heads for ASLR */
} StudentSpec;

/* Fills s from mode, size, form, length, width and heads; -1 with one line when
 * the combination cannot be built (width not divisible by heads for ASLR). */
int student_spec(StudentSpec *s, int mode, int size, int causal, int len, int width, int heads, BlError *e);

/* Output width per position of the whole student: nets·out (= width). */
static inline int student_out_width(const StudentSpec *s) { return s->nets * s->out; }

/* One net's tensors (pointing into a ParamTable): the params struct of the
 * module kind module_student (module.h), whose rows are ln_in.w, ln_in.b, w1,
 * b1, ln_h.w, ln_h.b, w2, b2, shaped by student_spec_of(cfg). ASLR declares
 * one module per head under prefixes "<...>.0", "<...>.1", ... */
typedef struct StudentNet {
    Tensor *ln_in_w, *ln_in_b;   /* (L·d) */
    Tensor *w1, *b1;             /* (h, L·d), (h) */
    Tensor *ln_h_w, *ln_h_b;     /* (h) */
    Tensor *w2, *b2;             /* (out, h) causal or (L·out, h) encoder, and its bias */
} StudentNet;

#define STUDENT_TENSORS 8
#define STUDENT_MAX_NETS 16      /* ASLR: at most this many heads */
extern const ModuleKind module_student;
/* W_O and b_O kept behind an ALR/ASLR student: the rows of module_attn's
 * output projection alone, into AttnParams (named "<prefix>.w_o", "b_o"). */
extern const ModuleKind module_student_out;

/* The student a block holds (spec->attn = ATTN_MLP_*), from the model-wide
 * settings: length ctx, the model's width, heads and causal form. */
int student_spec_of(const ArchSpec *a, const BlockSpec *b, StudentSpec *s, BlError *e);

/* Parameters and multiply-accumulates of the student for one sequence of L
 * positions (spec C.2 R5): MACs count the two Linears (causal: per position). */
double student_params(const StudentSpec *s);
double student_macs(const StudentSpec *s);

/* A clear line when T positions do not fit the student's fixed length. */
int student_check_len(const StudentSpec *s, int T, const char *where, BlError *e);

/* Runs the student on x (B, T, d), T <= len (checked by the caller), and
 * returns (B, T, nets·out). valid (B·T, 1 = real token, 0 = padding) or NULL
 * (all real): padded positions are zeroed in the input and the output, as
 * the official code's padding mask (§B.4); positions T..L-1 are zeros. */
Tensor *student_forward(Tape *t, const StudentSpec *s, StudentNet *nets, Tensor *x, const float *valid);

/* A standalone student (distillation trains one of these per layer). */
typedef struct Student {
    StudentSpec spec;
    ParamTable  params;   /* owned */
    StudentNet *nets;     /* spec.nets entries, owned */
    ArchSpec   *arch;     /* owned: the settings module_student's rows read */
} Student;
/* Declares (module_student, no prefix; "<n>." per head), allocates and
 * initialises from seed. */
void student_build(Student *st, const StudentSpec *s, uint64_t seed);
void student_free(Student *st);   /* safe on a zeroed student */

#endif
