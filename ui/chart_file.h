/* chart_file.h — careful file creation for the chart writers: checks first (a
 * clear one-line error for a missing or read-only directory, or a file that is
 * already there), writes to a temporary file beside the target, then renames,
 * so a reader never sees half a file and a failure leaves nothing behind.
 * Internal to ui/. */
#ifndef BL_CHART_FILE_H
#define BL_CHART_FILE_H

#include <stdio.h>

#include "common.h"

typedef struct ChartFile {
    FILE *f;            /* write here between open and commit/abort */
    char *path;         /* the target (owned) */
    char *tmp;          /* the temporary beside it (owned) */
    int   force;
} ChartFile;

/* Checks path and opens a temporary in its directory. Refuses an existing
 * path unless force. On failure fills err and leaves cf empty (no cleanup needed). */
int  chart_file_open(ChartFile *cf, const char *path, int force, BlError *err);
/* Flushes, syncs and closes the temporary, then moves it onto the target
 * (never replacing a file that appeared meanwhile, unless force). On any
 * failure the temporary is removed and err says why. cf is emptied either way. */
int  chart_file_commit(ChartFile *cf, BlError *err);
/* Closes and removes the temporary; for when the writer itself failed. */
void chart_file_abort(ChartFile *cf);

#endif
