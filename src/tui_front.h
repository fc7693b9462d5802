/* tui_front.h — the dashboard front end: wires the Workspace, the engine
 * thread (worker.h), readline (repl_embed.h) and the screen (ui/tui.h)
 * together, plays scenes in it, and hands back an exit status. */
#ifndef BL_TUI_FRONT_H
#define BL_TUI_FRONT_H

#include <signal.h>
#include <stdatomic.h>

#include "workspace.h"

/* A scene or -c text to play in the dashboard, in order. */
typedef struct FrontScene {
    const char *name;   /* "scenes/tour.bl" or "-c" */
    const char *text;
    const struct Sandbox *sandbox;   /* a scene file's box (sandbox.h); NULL for -c */
} FrontScene;

/* Runs the dashboard on ws until the person quits. sigint is main's SIGINT
 * flag (Ctrl-C from outside counts as the key). Returns 0, 128+signal after
 * SIGTERM or SIGHUP, or 1 with why in err when the screen cannot open. */
int tui_front_run(Workspace *ws, const FrontScene *scenes, int n, atomic_int *sigint, char *err, int cap);

#endif
