/* train.h — one training step and evaluation, glued from model, data and
 * optimizer. A Trainer owns the step's buffers (tokens, targets, mask) and the
 * tape; after the first step a step allocates nothing. It knows nothing of
 * threads or terminals: src/ runs it on a worker and prints its stats. */
#ifndef BL_TRAIN_H
#define BL_TRAIN_H

#include "data.h"
#include "model.h"
#include "optim.h"

#define TRAIN_MAX_AUX 8

typedef struct StepStats {
    long   step;        /* 1-based index of the step just taken */
    float  loss;        /* the main loss (without the auxiliary terms) */
    int    n_aux;       /* auxiliary terms the forward added (tape_aux), unweighted */
    struct { const char *name; float value; } aux[TRAIN_MAX_AUX];
    float  lr;
    double grad_norm;   /* before clipping */
    double seconds;     /* wall time of the step */
    int    nonfinite;   /* 1 if the loss or a gradient was NaN/Inf (parameters left untouched) */
    char   nonfinite_where[96];   /* first activation ("blocks.3.attn.out") or gradient ("gradient of wte") */
} StepStats;

struct Trainer;

/* What a step minimises. forward runs the model(s) on the trainer's batch
 * (tr->tokens, tr->targets, tr->mask; tr->B × tr->T) on tape t and returns
 * the main loss, a (1) tensor. Auxiliary terms (a router's load balance)
 * are added by whoever computes them with tape_aux (tape.h): the trainer
 * adds weight·term to the main loss, backpropagates the sum and reports each
 * term, so a new term needs no change here. ctx is the loss's own state: a
 * teacher Model beside the student for distillation, a second run's model. */
typedef struct TrainLoss {
    const char *name;      /* "ce" */
    Tensor   *(*forward)(void *ctx, struct Trainer *tr, Tape *t);
    void       *ctx;
} TrainLoss;

/* The default: masked mean cross-entropy of tr->model on the batch. */
extern const TrainLoss loss_cross_entropy;

typedef struct Trainer {
    Model      *model;     /* borrowed */
    DataSource *data;      /* borrowed */
    Optimizer   opt;
    Tape        tape;
    int         B, T;
    int        *tokens, *targets;   /* (B, T), owned */
    float      *mask;               /* (B, T), owned */
    long        step;               /* steps taken */
    TrainLoss   loss;               /* loss_cross_entropy unless set after trainer_init */
    /* Called after backward, before clipping and the update, when set: the
     * gradient probe reads raw gradients here without touching the step. */
    void      (*after_backward)(void *ctx, struct Trainer *tr);
    void       *after_ctx;
} Trainer;

/* B rows of T = model ctx positions. Fails when the data needs a longer context
 * or has more symbols than the model's vocab. */
int  trainer_init(Trainer *tr, Model *m, DataSource *d, const OptSpec *s, int B, BlError *e);
void trainer_free(Trainer *tr);
/* Draws the next training batch, forward, backward, clip, update. */
void trainer_step(Trainer *tr, StepStats *st);

typedef struct EvalStats {
    float loss;          /* mean masked cross-entropy over the batches */
    float exact;         /* tasks: share of rows whose every answer position is argmax-correct
                            (teacher-forced, which equals greedy decoding when all are right); -1 for text */
    float token_acc;     /* share of counted positions predicted right */
} EvalStats;
/* Evaluates on `batches` validation batches (split 1), forward only. */
void trainer_eval(Trainer *tr, int batches, EvalStats *ev);

#endif
