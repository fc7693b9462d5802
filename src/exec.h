/* exec.h — runs command text (a REPL line, a -c string, a script, stdin) on a
 * workspace: parse all of it, check every command against the verb table, and
 * only then run the commands in order. So a typo anywhere in a script runs
 * nothing, and a bad line changes nothing. The TUI's worker uses the two
 * halves (prepare, then one command at a time) to run scenes between steps. */
#ifndef BL_EXEC_H
#define BL_EXEC_H

#include "verbs.h"

typedef struct ExecError {
    int  line, col;    /* col 0: no column */
    char msg[600];
} ExecError;

/* Told about each error, in order (the front end formats it). */
typedef void (*ExecReport)(void *ctx, const ExecError *err);

enum { EXEC_OK = 0, EXEC_FAILED = -1, EXEC_QUIT = 1, EXEC_INTERRUPTED = 2 };

/* Runs text (its first line numbered 1). A parse or check error runs nothing.
 * At run time the first failing command stops the text, unless keep_going,
 * when the failure is reported and the next command runs. Returns EXEC_OK,
 * EXEC_FAILED (something failed), EXEC_QUIT (a `quit` ran) or
 * EXEC_INTERRUPTED (Ctrl-C: *vc->stop was set; *line_out gets the line). */
int exec_text(VerbCtx *vc, const char *text, int keep_going, ExecReport report, void *ctx, int *line_out);

/* The first half: parses and checks all of text into list (the caller frees
 * it with cmd_list_free). On any error reports it (every one with keep_going),
 * leaves list empty and returns -1. */
int exec_prepare(const char *text, int keep_going, ExecReport report, void *ctx, CmdList *list);
/* Runs one checked command and reports its failure; 0 or -1. The caller reads
 * vc->quit, vc->interrupted and vc->wait_set afterwards. */
int exec_one(VerbCtx *vc, const Cmd *c, ExecReport report, void *ctx);

#endif
