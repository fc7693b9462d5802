/* prof.h — where a training step's time goes: wall seconds and calls per op
 * family, counted only while a Prof is attached to the tape (tape.prof; `make
 * bench` attaches one). Detached, each op pays one predictable branch.
 * Families: a forward and its backward count together; the attention family
 * includes its own sgemm calls, "matmul" is op_linear's. What no family
 * claims (data, tape bookkeeping, block glue) is the step's overhead. */
#ifndef BL_PROF_H
#define BL_PROF_H

#include "common.h"

typedef enum ProfOp {
    PROF_MATMUL,   /* op_linear, forward and backward */
    PROF_ATTN,     /* op_attention: logits, softmax, mixing, weighted sum */
    PROF_NORM,     /* layernorm, rmsnorm */
    PROF_ACT,      /* GELU, ReLU */
    PROF_MIX,      /* residual adds and gains (op_mix) */
    PROF_EMBED,    /* token + position embedding */
    PROF_LOSS,     /* fused softmax cross-entropy */
    PROF_OPTIM,    /* gradient clipping + optimizer step */
    PROF_N
} ProfOp;

typedef struct Prof {
    double sec[PROF_N];
    long   calls[PROF_N];
    int    cpu;    /* 1: this thread's CPU time (steady on a loaded machine, right
                    * with one OpenBLAS thread); 0: wall time */
} Prof;

extern const char *const prof_names[PROF_N];

/* Seconds on the clock a Prof reads. */
double prof_clock(int cpu);

static inline double prof_begin(const Prof *p) { return p ? prof_clock(p->cpu) : 0.0; }
static inline void prof_end(Prof *p, ProfOp op, double t0)
{
    if (!p) return;
    p->sec[op] += prof_clock(p->cpu) - t0;
    p->calls[op]++;
}

#endif
