/* repl.h — the interactive front end: readline through its callback interface,
 * history in $XDG_STATE_HOME/blocklab/history, tab completion from the verb
 * table. The setup (history, completion) is shared with the dashboard's
 * command line (repl_embed.h); repl_loop is the plain prompt's terminal loop. */
#ifndef BL_REPL_H
#define BL_REPL_H

#include <signal.h>
#include <stdatomic.h>

#include "verbs.h"

#define REPL_PROMPT "blocklab> "

typedef struct Repl {
    VerbCtx *vc;
    atomic_int *sigint;   /* set by the SIGINT handler in main.c */
    const char *prompt;
    char     history[1024];          /* history file, "" when it cannot be made */
    int      done;                   /* quit or end of input */
    int      color;                  /* errors in red (a tty without NO_COLOR) */
    /* Taken around completion, which reads the Workspace: the dashboard's
     * worker may be changing it. Returns 0 when taken; non-zero (busy) means
     * no completion this time. NULL: no lock needed. */
    int    (*lock)(void *ctx, int on);
    void    *lock_ctx;
} Repl;

/* Loads history and installs completion. vc must outlive the Repl. */
void repl_init(Repl *r, VerbCtx *vc, atomic_int *sigint, int color);
/* Records a typed line in the history (memory and file); returns 0 and
 * records nothing when the line is blank. */
int  repl_record(Repl *r, const char *line);
/* Runs one line the person typed: records it in history, executes it, and
 * prints an error with a caret under the column it points at. */
void repl_line(Repl *r, const char *line);
/* Reads and runs lines until quit or Ctrl-D. Ctrl-C clears the line. */
void repl_loop(Repl *r);
void repl_free(Repl *r);

/* The history file path: $XDG_STATE_HOME/blocklab/history, else
 * ~/.local/state/blocklab/history; directories are created. 0 on success. */
int repl_history_path(char *buf, size_t cap);

#endif
