/* tui_draw.c — one frame of the dashboard, drawn into a TermCanvas: frames
 * whose shared edges join (a mask of edge directions per cell picks the box
 * glyph), the panes (tui_panes.c), the status bar, the command line and the
 * overlays (help, terminal too small). */
#include "tui_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- frames ------------------------------------------------------------------------- */

enum { EDGE_U = 1, EDGE_D = 2, EDGE_L = 4, EDGE_R = 8 };

static const char *const BOX_UNI[16] = {
    " ", "\u2502", "\u2502", "\u2502", "\u2500", "\u2518", "\u2510", "\u2524",
    "\u2500", "\u2514", "\u250c", "\u251c", "\u2500", "\u2534", "\u252c", "\u253c",
};
static const char *const BOX_ASCII[16] = {" ", "|", "|", "|", "-", "+", "+", "+", "-", "+", "+", "+", "-", "+", "+", "+"};

static void edge_h(uint8_t *m, uint8_t *hot, int W, int x0, int x1, int y, int focus)
{
    for (int x = x0; x <= x1; x++) {
        m[y * W + x] |= (uint8_t)((x > x0 ? EDGE_L : 0) | (x < x1 ? EDGE_R : 0));
        if (focus) hot[y * W + x] = 1;
    }
}

static void edge_v(uint8_t *m, uint8_t *hot, int W, int x, int y0, int y1, int focus)
{
    for (int y = y0; y <= y1; y++) {
        m[y * W + x] |= (uint8_t)((y > y0 ? EDGE_U : 0) | (y < y1 ? EDGE_D : 0));
        if (focus) hot[y * W + x] = 1;
    }
}

static void draw_frames(Tui *t)
{
    int W = t->cv->w, H = t->cv->h;
    uint8_t *m = calloc((size_t)W * H, 1), *hot = calloc((size_t)W * H, 1);
    if (!m || !hot) {
        free(m);
        free(hot);
        return;
    }
    for (int p = 0; p < PANE_N; p++) {
        const TuiRect *r = &t->lay.frame[p];
        if (r->w <= 0) continue;
        int x1 = r->x + r->w - 1, y1 = r->y + r->h - 1, f = p == t->focus && !t->typing;
        if (p == PANE_LOG) {   /* open at the bottom: the status bar closes it */
            edge_h(m, hot, W, r->x, x1, r->y, f);
            edge_v(m, hot, W, r->x, r->y, y1, f);
            edge_v(m, hot, W, x1, r->y, y1, f);
            continue;
        }
        edge_h(m, hot, W, r->x, x1, r->y, f);
        edge_h(m, hot, W, r->x, x1, y1, f);
        edge_v(m, hot, W, r->x, r->y, y1, f);
        edge_v(m, hot, W, x1, r->y, y1, f);
    }
    Ink plain = tui_ink(t, INK_FRAME), focus = tui_ink(t, INK_FOCUS);
    const char *const *box = t->scr.unicode ? BOX_UNI : BOX_ASCII;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (m[y * W + x]) {
                Ink k = hot[y * W + x] ? focus : plain;
                tcanvas_put(t->cv, x, y, box[m[y * W + x]], k.fg, k.bg, k.attr);
            }
    free(m);
    free(hot);
}

/* ---- status bar and command line ------------------------------------------------------ */

static int bar_text(Tui *t, int x, const char *s, Ink k)
{
    const TuiRect *r = &t->lay.status;
    if (x >= r->w) return x;
    return x + tui_text(t, x, r->y, r->w - x, s, k);
}

static void draw_status(Tui *t)
{
    const TuiRect *r = &t->lay.status;
    Ink bar = tui_ink(t, INK_BAR), key = tui_ink(t, INK_BAR_KEY);
    tcanvas_fill(t->cv, r->x, r->y, r->w, 1, " ", bar.fg, bar.bg, bar.attr);
    int x = 1;
    if (t->confirm_quit) {
        Ink warn = key;
        bar_text(t, x, "Training is running. Quit anyway? (y: quit, any other key: stay)", warn);
        return;
    }
    for (int i = 0; i < t->snap.nruns; i++) {
        const TuiRun *rn = &t->snap.runs[i];
        Ink name = bar;
        /* The run's colour where the bar has a background of its own (in
         * reverse video a foreground colour would become the background). */
        if (t->scr.color >= TERM_COLOR_256) name.fg = tcanvas_rgb(chart_palette(rn->color));
        name.attr |= TERM_ATTR_BOLD;
        char s[128], loss[32] = "";
        if (isfinite(rn->loss)) snprintf(loss, sizeof loss, " loss %.3f", (double)rn->loss);
        x = bar_text(t, x, rn->current ? "*" : " ", bar);
        x = bar_text(t, x, rn->name, name);
        if (rn->label[0]) {
            x = bar_text(t, x, " ", bar);
            x = bar_text(t, x, rn->label, bar);
        }
        if (rn->training)
            snprintf(s, sizeof s, " %s %ld/%ld%s", t->snap.paused ? (t->scr.unicode ? "\u2016" : "||") : (t->scr.unicode ? "\u25b8" : ">"),
                     rn->step, rn->end, loss);
        else if (rn->step > 0)
            snprintf(s, sizeof s, " step %ld%s", rn->step, loss);
        else
            snprintf(s, sizeof s, rn->distilled ? " distilled" : " untrained");
        x = bar_text(t, x, s, bar);
        x = bar_text(t, x, "  ", bar);
    }
    const char *what = t->flash[0] ? t->flash : t->snap.activity;
    if (t->snap.paused && !t->flash[0]) what = "paused: space resumes, . steps once";
    if (what[0]) {
        x = bar_text(t, x, t->scr.unicode ? "\u2502 " : "| ", bar);
        x = bar_text(t, x, what, t->flash[0] || t->snap.paused ? key : bar);
    }
    /* Key hints at the right when there is room. */
    const char *hint = t->typing ? "Enter runs  Tab completes  Esc panes" : "? keys  : type  space pause  q quit";
    int hw = tui_width(t, hint);
    if (x + 2 + hw < r->w) bar_text(t, r->w - hw - 1, hint, bar);
}

/* ---- the notes strip ------------------------------------------------------------------ */

static void count_row(Tui *t, void *ctx, const char *row, int first) { ++*(int *)ctx; }

static void note_text(const Tui *t, char *buf, size_t cap)
{
    snprintf(buf, cap, "\u00bb %s%s", t->snap.note, t->snap.scene_ended ? "  (end of scene)" : "");
}

int tui_note_rows(Tui *t, int w)
{
    if (!t->snap.note[0] || w < 8) return 0;
    char s[600];
    note_text(t, s, sizeof s);
    int n = 0;
    tui_wrap(t, s, w - 2, 2, 3, count_row, &n);
    return n < 1 ? 1 : n > 3 ? 3 : n;
}

/* The scene's current note, wrapped, on rows of its own: it never scrolls away. */
static void draw_note(Tui *t)
{
    const TuiRect *r = &t->lay.note;
    if (r->h <= 0) return;
    Ink k = tui_ink(t, INK_NOTE);
    tcanvas_fill(t->cv, r->x, r->y, r->w, r->h, " ", k.fg, k.bg, 0);
    char s[600];
    note_text(t, s, sizeof s);
    TuiRows rows = {r->x + 1, r->y, r->w - 2, r->h, 0, k};
    tui_wrap(t, s, r->w - 2, 2, r->h, tui_rows_put, &rows);
}

/* The command line; returns the cursor's column, or -1 to hide it. */
static int draw_input(Tui *t)
{
    const TuiRect *r = &t->lay.input;
    int cursor = 0;
    const char *prompt = NULL;
    const char *line = t->host->line_text(t->host->ctx, &cursor, &prompt);
    Ink pk = tui_ink(t, t->typing ? INK_PROMPT : INK_DIM);
    int x = tui_text(t, 0, r->y, r->w, prompt, pk);
    if (!t->typing && !line[0]) {
        tui_text(t, x, r->y, r->w - x, "type a command (help lists them), or : to start; ? shows the keys", tui_ink(t, INK_DIM));
        return -1;
    }
    /* Scroll long lines so the cursor stays in view. */
    int room = r->w - x - 1;
    char before[4096];
    snprintf(before, sizeof before, "%.*s", cursor, line);
    int cw = tui_width(t, before), skip = 0;
    if (cw > room) skip = cw - room;
    const char *s = line;
    for (int k = 0; k < skip && *s;) {
        uint32_t cp;
        s += chart_utf8_next(s, &cp);
        k++;
    }
    tui_text(t, x, r->y, room + 1, s, tui_ink(t, t->typing ? INK_TEXT : INK_DIM));
    return t->typing ? x + cw - skip : -1;
}

/* ---- overlays ---------------------------------------------------------------------------- */

/* The help overlay: the key table in two columns where they fit, then a few words. */
static const char *const HELP_TAIL[] = {
    "",
    "Any other letter starts a command. Ctrl-C stops training and scenes.",
    "Commands: `help` lists them; Tab completes; Up and Down recall history.",
    "Charts come from probes: `probe rank grads attn every=10`, then `train`.",
    "`run new B` copies the current run; runs overlay in their colours.",
    "Mouse: a click focuses a pane, the wheel scrolls; Shift+drag selects.",
    "",
    "any key closes this",
};

static void draw_box(Tui *t, int x0, int y0, int bw, int bh)
{
    Ink plain = tui_ink(t, INK_TEXT), edge = tui_ink(t, INK_FOCUS);
    tcanvas_fill(t->cv, x0, y0, bw, bh, " ", plain.fg, plain.bg, 0);
    const char *const *box = t->scr.unicode ? BOX_UNI : BOX_ASCII;
    for (int x = x0; x < x0 + bw; x++) {
        tcanvas_put(t->cv, x, y0, box[EDGE_L | EDGE_R], edge.fg, edge.bg, edge.attr);
        tcanvas_put(t->cv, x, y0 + bh - 1, box[EDGE_L | EDGE_R], edge.fg, edge.bg, edge.attr);
    }
    for (int y = y0; y < y0 + bh; y++) {
        tcanvas_put(t->cv, x0, y, box[EDGE_U | EDGE_D], edge.fg, edge.bg, edge.attr);
        tcanvas_put(t->cv, x0 + bw - 1, y, box[EDGE_U | EDGE_D], edge.fg, edge.bg, edge.attr);
    }
    tcanvas_put(t->cv, x0, y0, box[EDGE_D | EDGE_R], edge.fg, edge.bg, edge.attr);
    tcanvas_put(t->cv, x0 + bw - 1, y0, box[EDGE_D | EDGE_L], edge.fg, edge.bg, edge.attr);
    tcanvas_put(t->cv, x0, y0 + bh - 1, box[EDGE_U | EDGE_R], edge.fg, edge.bg, edge.attr);
    tcanvas_put(t->cv, x0 + bw - 1, y0 + bh - 1, box[EDGE_U | EDGE_L], edge.fg, edge.bg, edge.attr);
}

static void draw_help(Tui *t)
{
    int nkeys = 0, kw = 0, dw = 0, tw = 0;
    for (const TuiKey *k = tui_keys; k->keys; k++, nkeys++) {
        if (tui_width(t, k->keys) > kw) kw = tui_width(t, k->keys);
        if (tui_width(t, k->does) > dw) dw = tui_width(t, k->does);
    }
    int ntail = (int)(sizeof HELP_TAIL / sizeof *HELP_TAIL);
    for (int i = 0; i < ntail; i++)
        if (tui_width(t, HELP_TAIL[i]) > tw) tw = tui_width(t, HELP_TAIL[i]);
    int colw = kw + 2 + dw, gap = 2;
    int cols = 2 * colw + gap + 4 <= t->cv->w ? 2 : 1;
    int rows = (nkeys + cols - 1) / cols;
    int w = cols * colw + (cols - 1) * gap;
    if (tw > w) w = tw;
    int bw = w + 4, bh = 2 + 2 + rows + ntail;
    if (bw > t->cv->w) bw = t->cv->w;
    if (bh > t->cv->h) bh = t->cv->h;
    int x0 = (t->cv->w - bw) / 2, y0 = (t->cv->h - bh) / 2;
    draw_box(t, x0, y0, bw, bh);
    tui_text(t, x0 + 2, y0, bw - 4, " blocklab dashboard: help ", tui_ink(t, INK_TITLE_FOCUS));
    int y = y0 + 1, ymax = y0 + bh - 1;
    if (y < ymax) tui_text(t, x0 + 2, y++, bw - 4, "Keys on the panes (the non-letters work on an empty command line too)", tui_ink(t, INK_TITLE));
    y++;
    for (int r = 0; r < rows && y < ymax; r++, y++)
        for (int c = 0; c < cols; c++) {
            int i = c * rows + r;
            if (i >= nkeys) continue;
            int x = x0 + 2 + c * (colw + gap);
            tui_text(t, x, y, kw, tui_keys[i].keys, tui_ink(t, INK_BAR_KEY));
            tui_text(t, x + kw + 2, y, x0 + bw - 2 - (x + kw + 2), tui_keys[i].does, tui_ink(t, INK_TEXT));
        }
    for (int i = 0; i < ntail && y < ymax; i++, y++)
        tui_text(t, x0 + 2, y, bw - 4, HELP_TAIL[i], tui_ink(t, i == ntail - 1 ? INK_DIM : INK_TEXT));
}

static void draw_too_small(Tui *t)
{
    char a[160], b[160];
    snprintf(a, sizeof a, "blocklab needs a terminal of at least %dx%d; this one is %dx%d.", TUI_MIN_W, TUI_MIN_H, t->cv->w, t->cv->h);
    snprintf(b, sizeof b, "Make the window bigger, or press q to quit.");
    int y = t->cv->h / 2 - 1;
    if (y < 0) y = 0;
    int n = tui_text_block(t, 1, y, t->cv->w - 2, t->cv->h - y, a, tui_ink(t, INK_WARN));
    tui_text_block(t, 1, y + n, t->cv->w - 2, t->cv->h - y - n, b, tui_ink(t, INK_TEXT));
}

int tui_draw(Tui *t)
{
    tcanvas_clear(t->cv);
    t->style.unicode = t->scr.unicode;
    t->style.color = t->scr.color;
    if (t->lay.too_small) {
        draw_too_small(t);
        return -1;
    }
    draw_frames(t);
    for (int p = 0; p < PANE_N; p++)
        if (t->lay.frame[p].w > 0) tui_draw_pane(t, p);
    draw_note(t);
    draw_status(t);
    int cx = draw_input(t);
    if (t->help) {
        draw_help(t);
        cx = -1;
    }
    return cx;
}
