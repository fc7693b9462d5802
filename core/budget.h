/* budget.h — what a model will cost before anything is allocated: the bytes of
 * its parameters, gradients, optimizer moments and one training step's
 * activations (the tape's arena), from the ArchSpec alone, and what the machine
 * can give. `model new`, `block`, `load` and `train` refuse a model that cannot
 * fit (one line naming both figures) unless the person says force=on.
 * Not here: allocation itself (params.h, arena.h), or any policy on what to do. */
#ifndef BL_BUDGET_H
#define BL_BUDGET_H

#include "arch.h"

typedef struct MemBudget {
    double params;       /* bytes of the parameter floats */
    double grads;        /* as many for their gradients */
    double moments;      /* AdamW's m and v (0 when no optimizer is counted) */
    double activations;  /* one training step's arena at `batch` rows of ctx (an upper estimate) */
    double total;        /* the sum */
    double count;        /* parameters (exact) */
    int    batch;
} MemBudget;

/* Estimates a's footprint at `batch` rows; with_optimizer adds the moments.
 * Declares the parameter table (a few kB) but allocates no floats. */
int  budget_estimate(const ArchSpec *a, int batch, int with_optimizer, MemBudget *b, BlError *e);

/* What `probe` needs beyond the model itself: its own tape at `batch` rows
 * (a whole recorded step when `recorded`: grads, DeepNet's one SGD step, MoM's
 * probes; else a forward that keeps one block alive at a time), the final-norm
 * outputs it compares, the attention maps when attn_maps (depth x heads x ctx x
 * ctx) and, when updates, copies of the weights and grads. Parts land in
 * b->activations (tape and maps) and b->params (the copies). */
int  budget_probe(const ArchSpec *a, int batch, int recorded, int attn_maps, int updates, MemBudget *b, BlError *e);

/* Bytes the machine can give now: MemAvailable from /proc/meminfo, else the
 * free physical pages; 0 when unknown (then nothing is refused). */
double budget_available(void);

/* Refuses (-1, one line) when b->total exceeds what is available, naming the
 * figure, its parts, the available memory and then `remedy`, the way out
 * (e.g. "force=on builds it anyway").
 * what: "model new", "load x.safetensors", ... */
int  budget_check(const MemBudget *b, const char *what, const char *remedy, BlError *e);

/* "1.2 GB" into buf (decimal units, as `df -H`). */
const char *budget_bytes(double bytes, char *buf, int cap);

#endif
