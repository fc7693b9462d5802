/* export.h — `export torch DIR`: a run as a standalone PyTorch package that
 * rebuilds the model, reproduces its data and continues training with DDP.
 *
 * DIR holds:
 *   checkpoint.st       ckpt_save of the model (+ optimizer moments + training state)
 *   blocklab_model.py   BlocklabModel: any architecture, from the metadata "arch_json"
 *   blocklab_data.py    blocklab's batches bit for bit (tasks from the seed, text from tokens.bin)
 *   train_ddp.py        continues training under torchrun (NCCL on GPUs, gloo on CPUs)
 *   README.md           how to run it
 *   tokens.bin          text and fortunes data only: the corpus ids, one uint8 per character
 *   data.json           with it: n_ids, val_start, the vocabulary (code points, printable forms)
 * The .py files are compiled into the binary (export_files, generated from
 * the .py files of tools/torch by tools/embed.sh), so an installed blocklab needs no source tree. */
#ifndef BL_EXPORT_H
#define BL_EXPORT_H

#include "checkpoint.h"

/* {file name, NUL-terminated contents} pairs, then {NULL, NULL}; generated. */
extern const char *const export_files[][2];
extern const int export_file_count;

/* Writes the package for m into dir. opt (moments) and ts (step, schedule,
 * batch, data spec and position) may be NULL; without ts the package serves
 * inference only (train_ddp.py says so). Text data: the ids come from d when it
 * is the source ts names (same kind and path), else ts->data is opened here.
 * dir is created (its parent must exist). An existing non-empty directory is
 * refused unless force, which overwrites the files above and keeps others; a
 * path that is not a directory is always refused. Everything that can be
 * checked is checked before dir is touched. Returns 0, or -1 with e naming the
 * path and the cause. Prints nothing. */
int export_torch(const char *dir, const Model *m, const Optimizer *opt, const TrainState *ts,
                 const DataSource *d, int force, BlError *e);

#endif
