/* metrics.h — named series a run records: scalars over steps (loss), vectors
 * over depth recorded at steps (rank by layer → a depth × step heatmap), and
 * matrices (attention T × T per head, entropy layer × head). Every series is a
 * list of records (step, values[len]) with a record shape (rows × cols), so one
 * container serves charts, `show`, CSV export and checkpoints.
 * Thread-safe: the trainer's worker appends while the UI reads (metrics_lock).
 *
 * Bounded: a series holds at most SERIES_MAX_RECORDS records and about
 * SERIES_MAX_BYTES of values (at least 64 records). When full, its older half is
 * thinned to every other record, so the newest half stays at full resolution,
 * older records thin out by powers of two, and the first record is always kept:
 * a week-long run's chart still spans the whole run in a few MB per series. */
#ifndef BL_METRICS_H
#define BL_METRICS_H

#include <pthread.h>

#define SERIES_MAX_RECORDS 4096
#define SERIES_MAX_BYTES   (8 << 20)

typedef struct Series {
    char   name[64];     /* "loss", "rank.cos", "attn.3", ... */
    char   xlabel[24];   /* what a record's position means: "layer", "tensor", "head", "key" */
    int    rows, cols;   /* record shape; len = rows·cols (scalar: 1 × 1, depth vector: 1 × L) */
    int    len;
    long  *steps;        /* n entries */
    float *values;       /* n·len */
    int    n, cap;
    int    keep_last;    /* 1: only the latest record is kept (large matrices) */
    char **labels;       /* optional len-long names of the columns (tensor names, tokens), owned */
} Series;

typedef struct Metrics {
    Series        **s;   /* owned */
    int             n, cap;
    pthread_mutex_t mu;
} Metrics;

void    metrics_init(Metrics *m);
void    metrics_free(Metrics *m);
void    metrics_clear(Metrics *m);                  /* drops every series */
/* Drops every series but those whose name starts with keep (NULL: all go). */
void    metrics_clear_keep(Metrics *m, const char *keep);
/* Drops the series `name` if present. Call under the lock. */
void    metrics_remove(Metrics *m, const char *name);
void    metrics_lock(Metrics *m);
void    metrics_unlock(Metrics *m);
/* The series `name`, created with shape rows × cols if missing. A series whose
 * shape changed (e.g. a new model depth) is reset. Call under the lock. */
Series *metrics_series(Metrics *m, const char *name, int rows, int cols, const char *xlabel);
Series *metrics_find(Metrics *m, const char *name); /* NULL if absent */
/* Appends (step, values[len]) (replaces the record when keep_last), thinning
 * the older half first when the series is full (see above). */
void    series_append(Series *s, long step, const float *values);
/* Names the columns (copied). */
void    series_set_labels(Series *s, const char *const *labels, int n);
/* Latest record, or NULL when empty. */
const float *series_last(const Series *s);
/* The most records s keeps (its bound, from its record size). */
int     series_limit(const Series *s);

#endif
