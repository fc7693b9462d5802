/* checkpoint.h — a run on disk: parameters, and optionally the optimizer
 * moments and the training state, as one safetensors file. The metadata holds
 * the ArchSpec as its one-line text (arch_to_text), so a checkpoint rebuilds its
 * own model, and the training state as JSON, so `load` then `train` continues
 * bit-identically to a run that never stopped. Writes are atomic.
 *
 * Tensors: every parameter under its own name ("wte", "blocks.0.attn.w_qkv", …)
 * with its own shape; "optim.m" and "optim.v" (flat, parameter layout) when an
 * optimizer is saved. Metadata keys: "format" = "blocklab-1", "arch", "arch_json"
 * (arch_to_json: every block field expanded, for PyTorch), "train", and "label"
 * when the run has one (a person's name for it: "Post-LN", "DeepNorm"). */
#ifndef BL_CHECKPOINT_H
#define BL_CHECKPOINT_H

#include "data.h"
#include "json.h"
#include "model.h"
#include "optim.h"

/* Ranges of the training state beyond the optimizer's (optim.h), shared with
 * `train`'s keys: a checkpoint is held to what a person may type. */
#define TRAIN_BATCH_MAX 65536
#define TRAIN_STEP_MAX  4e15      /* steps taken: far beyond any run, far below 2^63 */

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
/* The same with the run's label in the metadata (NULL or "": none; it must
 * pass ckpt_label_check). */
int ckpt_save_labelled(const char *path, const Model *m, const Optimizer *opt, const TrainState *ts, const char *label,
                       BlError *e);

/* A run label: what a person calls a run in legends, titles and file names.
 * It comes from a person or from a file, so it is held to at most
 * CKPT_LABEL_MAX bytes of valid UTF-8 with no control characters (C0, DEL, C1)
 * and no bidirectional overrides (U+202A..U+202E, U+2066..U+2069) that would
 * reorder the text around it. 0 when fine; else one line naming the problem. */
#define CKPT_LABEL_MAX 48
int ckpt_label_check(const char *label, BlError *e);

/* 1 when path is a blocklab checkpoint (its header's metadata says so); reads
 * only the header. `save` replaces nothing else without force=on. */
int ckpt_is_checkpoint(const char *path);

/* The training state's JSON (metadata "train"): written by ckpt_save; read back
 * strictly, every number held to the ranges above (the error names the key).
 * Exposed for the fuzz target tests/fuzz/fuzz_ckpt_meta.c. */
void ckpt_state_to_json(const TrainState *ts, JsonBuf *b);
int  ckpt_state_from_json(const char *text, TrainState *ts, BlError *e);

/* How to load, and what the load found. */
typedef struct CkptLoad {
    int  force;        /* in: build even when the memory estimate exceeds the available memory */
    int  has_train;    /* out: the file has a training state (then *ts is filled) */
    char note[512];    /* out: one line the person should see (state missing beside moments), or "" */
    char label[CKPT_LABEL_MAX + 1];   /* out: the run's label from the metadata, or "" */
} CkptLoad;

/* Reads path: rebuilds *m from its arch (m is overwritten: pass a zeroed or
 * freed model) and its weights. The file is untrusted: its arch and training
 * state are held to the command language's ranges, every tensor's presence and
 * shape is checked on the declared model, and the memory estimate (budget.h) is
 * checked unless lo->force, all before the model is allocated. If ts is not
 * NULL it receives the training state; if opt is not NULL and the file has
 * moments and a state, *opt is initialised from ts->opt and filled. lo may be
 * NULL. Never opens any other file (the data source is only described in *ts).
 * On error nothing is returned (m zeroed, opt untouched) and e names the file
 * and the problem (the key, for metadata). */
int ckpt_load(const char *path, Model *m, Optimizer *opt, TrainState *ts, CkptLoad *lo, BlError *e);

#endif
