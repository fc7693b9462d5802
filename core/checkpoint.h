/* checkpoint.h — a run on disk: parameters, and optionally the optimizer
 * moments and the training state, as one safetensors file. The metadata holds
 * the ArchSpec as its one-line text (arch_to_text), so a checkpoint rebuilds its
 * own model, and the training state as JSON, so `load` then `train` continues
 * bit-identically to a run that never stopped. Writes are atomic.
 *
 * Tensors: every parameter under its own name ("wte", "blocks.0.attn.w_qkv", …)
 * with its own shape; "optim.m" and "optim.v" (flat, parameter layout) when an
 * optimizer is saved. Metadata keys: "format" = "blocklab-1", "arch", "arch_json"
 * (arch_to_json: every block field expanded, for PyTorch), "train". */
#ifndef BL_CHECKPOINT_H
#define BL_CHECKPOINT_H

#include "data.h"
#include "model.h"
#include "optim.h"

typedef struct TrainState {
    long     step;           /* training steps taken */
    long     adam_t;         /* optimizer updates (differs from step after skipped NaN steps) */
    int      batch;          /* B */
    OptSpec  opt;
    DataSpec data;
    uint64_t data_position;  /* training batches drawn */
} TrainState;

/* Writes m (and opt and ts when not NULL) to path atomically. */
int ckpt_save(const char *path, const Model *m, const Optimizer *opt, const TrainState *ts, BlError *e);

/* Reads path: rebuilds *m from its arch (m is overwritten: pass a zeroed or
 * freed model) and its weights. If ts is not NULL it receives the training
 * state and *has_train is set to whether the file has one; if opt is not NULL
 * and the file has moments, *opt is initialised from ts->opt and filled.
 * Every tensor's presence and shape is checked against the rebuilt model. On
 * error nothing is returned (m zeroed, opt untouched) and e names the file and
 * the problem. */
int ckpt_load(const char *path, Model *m, Optimizer *opt, TrainState *ts, int *has_train, BlError *e);

#endif
