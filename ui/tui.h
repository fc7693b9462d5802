/* tui.h — the dashboard: panes of live charts (architecture, loss, rank
 * collapse, gradients and update ratios, attention, scalar gains), an output
 * log and a command line, in one ncurses screen. Every chart comes from
 * chart_from_metrics and is drawn by term_chart_draw.
 *
 * The dashboard knows nothing of commands, runs or threads: the program (src/)
 * hands it a TuiHost of callbacks. It reads what to show from a snapshot, sends
 * keys typed on the command line to the host's line editor (readline, in src/)
 * as bytes, and asks the host to pause, step or interrupt. It only reads
 * Metrics (under their lock), so it never waits for a training step.
 *
 * Contents:
 *   TuiRun, TuiSnapshot   what the host says about its runs and its engine
 *   TuiCue                a scene's "look at this pane / chart now"
 *   TuiHost               the callbacks
 *   tui_run               opens the screen, runs the event loop, restores the terminal
 *   tui_terminal_restore  for the host's fatal paths (safe to call twice) */
#ifndef BL_TUI_H
#define BL_TUI_H

#include <signal.h>
#include <stdatomic.h>

#include "chart_metrics.h"
#include "metrics.h"
#include "tui_log.h"

#define TUI_MAX_RUNS 16

typedef struct TuiRun {
    char     name[32];
    char     label[64];     /* the run's label ("" none): legends, titles and the run strip show it */
    int      distilled;     /* its model holds students distilled from another run (not "untrained" at step 0) */
    Metrics *metrics;       /* valid while the dashboard runs */
    int      color;         /* palette index: the run's place in the workspace */
    int      current;       /* the run commands act on (single-run panes show it) */
    int      training;      /* a train call is under way (maybe paused) */
    long     step, end;     /* steps taken; where the train call ends (when training) */
    float    loss, val;     /* last logged mean training loss, last validation loss; NaN: none */
    double   ms_step;       /* wall time of the last step, ms (0: none) */
} TuiRun;

/* A cue from a scene (or a typed command) to the screen: `focus PANE` zooms a
 * pane ("all": every pane again); `show CHART` shows that chart zoomed, pane
 * "chart". seq changes with each cue, so the screen acts on it once. */
typedef struct TuiCue {
    unsigned long seq;
    char          pane[16];
    char          chart[32];              /* pane "chart": which chart */
    int           runs[TUI_MAX_RUNS];     /* its runs, as indexes into TuiSnapshot.runs */
    int           nruns;
    ChartOpts     opts;
} TuiCue;

/* The panes `focus` names, in PaneId order, then "all" and "chart"; NULL-terminated. */
extern const char *const tui_pane_names[];

typedef struct TuiSnapshot {
    TuiRun        runs[TUI_MAX_RUNS];
    int           nruns;
    int           paused;          /* training is paused (space) */
    int           busy;            /* a command is running */
    char          activity[160];   /* what the engine does: "probe rank", "scene tour.bl 5/23: waiting for step 200" */
    int           quit;            /* `quit` ran, or Ctrl-D on an empty line: leave */
    char          note[512];       /* the scene's current note (the notes strip); "" none */
    int           scene_ended;     /* the scene that wrote note has ended */
    TuiCue        cue;
    unsigned long version;         /* changes when anything here or the arch text changed */
} TuiSnapshot;

typedef enum {
    TUI_PAUSE_TOGGLE,   /* space */
    TUI_STEP_ONE,       /* '.': pause, then one step of every training run */
    TUI_INTERRUPT       /* Ctrl-C: stop the running command, the scene and training */
} TuiControl;

typedef struct TuiHost {
    void   *ctx;
    TuiLog *log;
    void  (*snapshot)(void *ctx, TuiSnapshot *s);
    /* The current run's architecture as text (the `arch` output, or why there
     * is none); malloc'd, the caller frees. */
    char *(*arch_text)(void *ctx);
    void  (*control)(void *ctx, TuiControl what);
    /* The command line: bytes typed go in (keys already turned into the
     * sequences a terminal sends, e.g. "\033[A" for Up); the line, the cursor
     * (a byte offset) and the prompt come out. Enter runs the line. */
    void  (*line_feed)(void *ctx, const char *bytes, int n);
    const char *(*line_text)(void *ctx, int *cursor, const char **prompt);
    void  (*line_clear)(void *ctx);
} TuiHost;

typedef struct TuiOptions {
    atomic_int *sigint;    /* set by the host's SIGINT handler: treated as Ctrl-C */
    atomic_int *sigterm;   /* SIGTERM / SIGHUP: leave at once */
    int   mouse;                      /* 1: a click focuses a pane, the wheel scrolls the log */
    const char *frame_log;            /* if set, a file that gets the frame times at exit
                                       * (bench/tui.sh; env BLOCKLAB_FRAME_LOG) */
} TuiOptions;

/* Runs the dashboard until the person quits (q, Ctrl-C when idle, `quit`) or
 * *sigterm is set. Colours follow the terminal (truecolor, 256, 8, none) and
 * NO_COLOR; glyphs follow the locale (setlocale must have run). Returns 0, or
 * -1 with a message in err when the screen cannot be opened (not a terminal,
 * unknown TERM). The terminal is restored on every way out, including a
 * fatal signal (SIGSEGV, SIGABRT, ...) on any thread. */
int  tui_run(const TuiHost *h, const TuiOptions *o, char *err, int errcap);
/* Puts the terminal back (leaves the alternate screen, shows the cursor,
 * resets modes) if the dashboard has it; nothing otherwise. */
void tui_terminal_restore(void);

#endif
