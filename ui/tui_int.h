/* tui_int.h — what the dashboard's own files share (not a public header): the
 * panes and their chart slots, the screen layout, the UI state, and the
 * drawing entry points. tui.c owns the loop and keys, tui_layout.c the
 * geometry, tui_draw.c the frame, tui_panes.c the panes' insides, tui_text.c
 * text and colour roles, tui_export.c the `e` key. */
#ifndef BL_TUI_INT_H
#define BL_TUI_INT_H

#include "chart_metrics.h"
#include "term_chart.h"
#include "tui.h"
#include "tui_screen.h"

/* The smallest screen the dashboard lays out (DESIGN.md §5: works at 80×24). */
#define TUI_MIN_W 80
#define TUI_MIN_H 24

/* PANE_CHART has no place on the grid: it shows, zoomed, the chart a `show`
 * in a scene asked for (tui_pane_names in tui.h names them for `focus`). */
typedef enum { PANE_ARCH, PANE_LOSS, PANE_RANK, PANE_GRADS, PANE_ATTN, PANE_SCALARS, PANE_LOG, PANE_CHART, PANE_N } PaneId;

/* One chart in a pane; a pane holds up to two (rank: the map and the line). */
typedef struct ChartSlot {
    const char *chart;      /* chart_defs name */
    int         overlay;    /* 1: every run in one chart (runs=all); 0: the current run */
    int         log_y;      /* -1: the chart's default; 0 / 1 after `y` */
    int         freeze;     /* `f`: the value axis fixed at [lo, hi] */
    double      lo, hi;
    int         cue;        /* 1: runs and options from the last `show` cue (Tui.view) */
} ChartSlot;

typedef struct Pane {
    const char *title;      /* shown in the frame */
    ChartSlot   slot[2];
    int         nslots;
} Pane;

typedef struct TuiRect {
    int x, y, w, h;
} TuiRect;

typedef struct TuiLayout {
    int     too_small;
    TuiRect frame[PANE_N];  /* frames share their edges; empty (w = 0) when hidden by a zoom */
    TuiRect note;           /* the notes strip over the status bar (h = 0: no note) */
    TuiRect status, input;
} TuiLayout;

typedef struct Tui {
    const TuiHost    *host;
    const TuiOptions *opt;
    TuiScreen         scr;
    TermCanvas       *cv;
    TuiLayout         lay;
    Pane              pane[PANE_N];
    TuiSnapshot       snap;
    char             *arch;         /* the host's arch text, refreshed with the snapshot */
    unsigned long     seen_version, seen_log;
    int               focus;        /* PaneId */
    int               zoom;         /* PaneId, or -1 */
    int               typing;       /* keys go to the command line */
    int               help;         /* the key overlay is open */
    int               confirm_quit; /* "quit while training? y/n" */
    int               quit;
    int               log_back;     /* lines scrolled back from the newest */
    long              echo_line;    /* the log line echoing the last typed command (-1: none) */
    int               layer, head;  /* attention pane; head -1: all heads */
    int               mom;          /* the current run is a MoM: the attention pane is the router pane */
    int               mom_kind;     /* router pane: 0 attention and FFN, 1 attention, 2 FFN ({ }); layer = step ([ ]) */
    int               attn_softmax; /* `a`: the softmax part A instead of the block's whole matrix */
    double            smooth;       /* loss EMA factor */
    char              flash[200];   /* a one-line message in the status bar (cleared by the next key or in 5 s) */
    double            flash_at;
    char              prompt0[64];  /* the prompt of an idle line (readline shows its own while searching) */
    TermStyle         style;
    TuiCue            view;         /* the chart PANE_CHART shows */
    char              view_title[64];
    unsigned long     seen_cue;
    int               note_rows;    /* rows the current note takes in the strip (0: none) */
} Tui;

/* tui_text.c: colour roles and text on the canvas. */
typedef struct Ink {
    TermColor fg, bg;
    unsigned  attr;
} Ink;
enum { INK_TEXT, INK_FRAME, INK_FOCUS, INK_TITLE, INK_TITLE_FOCUS, INK_DIM, INK_ERR, INK_NOTE, INK_CMD, INK_BAR,
       INK_BAR_KEY, INK_PROMPT, INK_WARN };
Ink  tui_ink(const Tui *t, int role);
/* Text from (x, y) in at most maxw cells, cut with an ellipsis; returns the cells used. */
int  tui_text(const Tui *t, int x, int y, int maxw, const char *s, Ink k);
/* Cells s takes as tui_text draws it (ASCII stand-ins may take several). */
int  tui_width(const Tui *t, const char *s);
/* Splits s into rows of at most w cells at spaces where it can, continuation
 * rows indented; calls emit per row, at most max rows (max < 0: all); returns
 * the rows. */
typedef void (*TuiRowFn)(Tui *t, void *ctx, const char *row, int first);
int  tui_wrap(Tui *t, const char *s, int w, int indent, int max, TuiRowFn emit, void *ctx);
/* s wrapped into the w x h rectangle at (x, y); returns the rows used. */
int  tui_text_block(Tui *t, int x, int y, int w, int h, const char *s, Ink k);
/* A rectangle filled row by row: pass tui_rows_put as the TuiRowFn of tui_wrap
 * with a TuiRows as its context; rows outside [0, h) are counted, not drawn. */
typedef struct TuiRows {
    int x, y, w, h, row;
    Ink k;
} TuiRows;
void tui_rows_put(Tui *t, void *ctx, const char *row, int first);

/* tui.c: the attention pane, or the router pane when the current run is a MoM. */
void tui_sync_router_pane(Tui *t);

/* note_rows: rows for the notes strip above the status bar (0: none). */
void tui_layout(int w, int h, int zoom, int note_rows, TuiLayout *l);
/* The pane under a screen position, or -1. */
int  tui_layout_hit(const TuiLayout *l, int x, int y);

/* tui_draw.c: the whole frame into t->cv; returns the cursor column in the
 * command line (or -1 when the cursor is hidden). */
int  tui_draw(Tui *t);
/* Rows the notes strip needs for the current note at width w (0..3). */
int  tui_note_rows(Tui *t, int w);

/* tui_panes.c: one pane's contents and its title (with a badge at the right). */
void tui_draw_pane(Tui *t, int p);
void tui_draw_title(Tui *t, int p, const char *badge);
/* Where a pane's chart slots go inside its frame; returns how many are shown
 * (a small pane shows only its first chart). */
int  tui_slot_rects(const Tui *t, int p, TuiRect out[2]);
/* The runs one chart slot draws: all (overlay) or the current one. */
int  tui_slot_runs(const Tui *t, const ChartSlot *s, ChartRun *runs, int cap);
/* Chart options of a slot (layer, head, log, smoothing). */
void tui_slot_opts(const Tui *t, const ChartSlot *s, ChartOpts *o);

/* tui_keys.c: the key bindings, one table that drives the dispatch and the `?` help. */
#define TUI_KEY_CODES 4
enum {
    TUI_KEY_EMPTY_LINE = 1u,   /* works on an empty command line too (not the arrows: history) */
    TUI_KEY_TYPING     = 2u,   /* works while a command is typed */
    TUI_KEY_ALWAYS     = 3u,
};
typedef struct TuiKey {
    int         code[TUI_KEY_CODES]; /* the keys (ncurses codes), 0-terminated */
    const char *keys;                /* as `?` and the man page's DASHBOARD item write them */
    const char *does;                /* what it does, in a few words */
    void      (*act)(Tui *t, int ch);/* ch: which of the row's keys */
    unsigned    where;               /* TUI_KEY_*; 0: on the panes only */
} TuiKey;
extern const TuiKey tui_keys[];      /* terminated by {.keys = NULL} */
const TuiKey *tui_key_find(int ch);
/* Runs the binding of ch if it works where the person is (0: the panes,
 * TUI_KEY_EMPTY_LINE, TUI_KEY_TYPING, TUI_KEY_ALWAYS: before anything else);
 * returns 1 if it did. */
int  tui_key_run(Tui *t, int ch, unsigned where);
/* Actions the loop shares with the table. */
void tui_say(Tui *t, const char *msg);       /* a message in the status bar */
void tui_relayout(Tui *t);
void tui_ctrl_c(Tui *t);
void tui_mouse(Tui *t);
void tui_scroll_log(Tui *t, int d);

/* tui_export.c: `e` on the focused pane: PNG + CSV of each of its charts,
 * written on a thread of their own; tui_export_wait waits for those under way. */
void tui_export(Tui *t);
void tui_export_wait(void);

#endif
