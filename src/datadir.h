/* datadir.h — where blocklab's data lives (scenes/, assets/), found at run time
 * so an installed tree works wherever it was installed or moved to, and
 * scenes played by name (`blocklab --tui tour`). */
#ifndef BL_DATADIR_H
#define BL_DATADIR_H

#include <stdio.h>

/* The data folder, the first of: PREFIX/share/blocklab beside the running
 * executable (PREFIX/bin/blocklab), the source tree the executable sits in
 * (./blocklab next to scenes/), the install folder compiled in (BL_DATADIR),
 * the source tree it was built from (BL_SRCDIR: build/blocklab). NULL when
 * none has a scenes/ folder. Computed once. */
const char *datadir(void);

/* A scene to play: ARG itself when it is a file; else, when ARG has no '/',
 * the data folder's scenes/ARG or scenes/ARG.bl. Returns a string to free, or
 * NULL when neither exists. */
char *scene_resolve(const char *arg);

/* Lists the scenes of the data folder to f: name and the first sentence of
 * each one's header comment. Returns 0, or -1 when there is no data folder. */
int scene_list(FILE *f);

#endif
