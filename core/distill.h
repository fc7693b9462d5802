/* distill.h — layer-wise distillation of a student (student.h) from the
 * teacher's captured (input, target) pairs at the student's cut
 * (spec/mom-and-mlp-attention.md §B.5; spec "Decisions"): masked MSE, Adam
 * (0.9, 0.98, eps 1e-9) with a constant learning rate, 1e-4 for ALR and 1e-3
 * for the other modes, no weight decay, no clipping, shuffled minibatches,
 * epochs (21 in the paper's code).
 *
 * Capturing is the caller's job (hooks on the teacher's forward); this file
 * only knows arrays of pairs. Nothing prints; progress is returned per epoch. */
#ifndef BL_DISTILL_H
#define BL_DISTILL_H

#include "optim.h"
#include "student.h"
#include "tape.h"

/* Captured pairs: n sequences of T positions. */
typedef struct DistillSet {
    int    n, cap, T;
    int    d_in, d_out;   /* per position: student input width, target width */
    float *x;             /* (cap, T, d_in), owned */
    float *y;             /* (cap, T, d_out), owned */
    float *valid;         /* (cap, T), owned: 1 real position, 0 padding */
} DistillSet;

void distill_set_init(DistillSet *s, int cap, int T, int d_in, int d_out);
void distill_set_free(DistillSet *s);   /* safe on a zeroed set */
/* Appends `rows` sequences (x: rows·T·d_in, y: rows·T·d_out, valid: rows·T or
 * NULL for all real). Rows beyond the capacity are dropped; returns how many
 * were kept. */
int  distill_set_add(DistillSet *s, const float *x, const float *y, const float *valid, int rows);

/* The recipe above for a mode (lr 1e-4 ALR, 1e-3 ASLR/ALRR/ELR). */
void distill_opt_spec(OptSpec *o, int mode);

typedef struct Distiller {
    Student  *st;         /* borrowed */
    Optimizer opt;
    Tape      tape;
    int       batch, T;
    float    *xb, *yb, *vb;   /* one batch of pairs, owned */
    int      *order;          /* shuffled row order of the current epoch, owned */
    int       order_n;
    Rng       rng;            /* shuffling, from the seed */
    long      steps, epochs;
} Distiller;

/* Prepares Adam for st and buffers for batches of `batch` rows of T positions. */
void distiller_init(Distiller *d, Student *st, const OptSpec *o, int batch, int T, uint64_t seed);
void distiller_free(Distiller *d);
/* One Adam step on B rows (B <= batch); returns the batch's masked MSE before the update. */
float distiller_step(Distiller *d, const float *x, const float *y, const float *valid, int B);
/* One epoch over s in a fresh shuffled order; returns the mean masked MSE of
 * its batches (weighted by their real positions). */
double distiller_epoch(Distiller *d, const DistillSet *s);
/* Masked MSE of st on s without training (forward only, in batches). */
double distill_mse(Student *st, Tape *t, const DistillSet *s, int batch);

#endif
