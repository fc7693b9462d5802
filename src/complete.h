/* complete.h — what tab completion offers, computed from the verb table and
 * core's arch_keys: verbs, nouns, keys, enumerated values, run names, and
 * whether file names fit. Pure functions of the text before the cursor, so the
 * readline glue (repl.c) and the tests stay thin. */
#ifndef BL_COMPLETE_H
#define BL_COMPLETE_H

#include "workspace.h"

typedef struct Completion {
    char **items;      /* owned, each xstrdup'd; n of them */
    int    n, cap;
    int    append;     /* character readline appends after a unique match: '=' for keys, ' ' otherwise */
    int    files;      /* 1: the word is a file name (let readline list files) */
} Completion;

/* Candidates for the word that starts at `start` in line (the text before the
 * cursor); only those beginning with line[start..] are kept. */
void complete_line(const Workspace *ws, const char *line, int start, Completion *out);
void complete_free(Completion *c);

#endif
