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
struct TrainShard;

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
    /* Data parallel: the shards a step splits its batch into (train.c),
     * made by the first step that uses them. */
    struct TrainShard *shards;
    int         n_shards;
    size_t      shard_floats;   /* each gradient copy's size */
} Trainer;

/* B rows of T = model ctx positions. Fails when the data needs a longer context
 * or has more symbols than the model's vocab. */
int  trainer_init(Trainer *tr, Model *m, DataSource *d, const OptSpec *s, int B, BlError *e);
void trainer_free(Trainer *tr);
/* Draws the next training batch, forward, backward, clip, update.
 * With more than one thread the batch's rows are split over the threads when
 * the step allows it (trainer_shards): each thread runs forward and backward
 * on its rows alone, its ops on one thread, into its own copy of the
 * gradients, and the copies are added in shard order. One fork a step instead
 * of one per op: the threads meet once, to add the copies. The
 * loss and gradients are those of the whole batch, rounded differently, so a
 * run is bit-identical run to run at a fixed thread count, as before. */
void trainer_step(Trainer *tr, StepStats *st);
/* How many shards the next step will use: par_threads() when it is at least
 * 2, every shard gets a row (B >= threads), the loss is the plain
 * cross-entropy (a custom loss, a teacher's, may mix rows), the stack is
 * plain blocks (MoM's load-balancing term is a statistic of the whole batch)
 * and the gradient copies fit TRAIN_SHARD_MAX_BYTES; else 1. */
int  trainer_shards(const Trainer *tr);
#define TRAIN_SHARD_MAX_BYTES (256u << 20)
/* Bytes a step holds besides the model's own arrays: every shard's tape
 * arena and gradient copy. */
size_t trainer_step_bytes(const Trainer *tr);

typedef struct EvalStats {
    float loss;          /* mean masked cross-entropy over the batches */
    float exact;         /* tasks: share of rows whose every answer position is argmax-correct
                            (teacher-forced, which equals greedy decoding when all are right); -1 for text */
    float token_acc;     /* share of counted positions predicted right */
} EvalStats;
/* Evaluates on `batches` validation batches (split 1), forward only. */
void trainer_eval(Trainer *tr, int batches, EvalStats *ev);

#endif
