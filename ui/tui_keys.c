/* tui_keys.c — the dashboard's key bindings: one table (keys, what they do,
 * where they work) that drives the key dispatch, the `?` help and, through
 * tests/unit/test_tui_keys.c, the man page's DASHBOARD list. Adding a key is
 * one row and, if it is new, one small action function here. */
#include "tui_int.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

void tui_say(Tui *t, const char *msg)
{
    snprintf(t->flash, sizeof t->flash, "%s", msg);
    t->flash_at = bl_now();
}

void tui_relayout(Tui *t)
{
    tui_screen_resize(&t->scr);
    t->note_rows = tui_note_rows(t, t->scr.w);
    tui_layout(t->scr.w, t->scr.h, t->zoom, t->note_rows, &t->lay);
    if (!t->cv || t->cv->w != t->scr.w || t->cv->h != t->scr.h) {
        tcanvas_free(t->cv);
        t->cv = tcanvas_new(t->scr.w, t->scr.h);
    }
}

static int training(const Tui *t)
{
    for (int i = 0; i < t->snap.nruns; i++)
        if (t->snap.runs[i].training) return 1;
    return 0;
}

static const TuiRun *current(const Tui *t)
{
    for (int i = 0; i < t->snap.nruns; i++)
        if (t->snap.runs[i].current) return &t->snap.runs[i];
    return NULL;
}

/* ---- pane actions ---------------------------------------------------------------------- */

static void focus_step(Tui *t, int d)
{
    t->focus = (t->focus + d + PANE_N) % PANE_N;
    if (t->focus == PANE_CHART && (!t->pane[PANE_CHART].nslots || t->zoom < 0)) t->focus = (t->focus + d + PANE_N) % PANE_N;
    if (t->zoom >= 0) t->zoom = t->focus;   /* a zoomed view pages through the panes */
    tui_relayout(t);
}

/* Layers and heads the current run's attention probe recorded (attn.entropy is layer × head). */
static int attn_shape(const Tui *t, int *layers, int *heads)
{
    const TuiRun *r = current(t);
    *layers = *heads = 0;
    if (!r) return -1;
    metrics_lock(r->metrics);
    Series *s = metrics_find(r->metrics, "attn.entropy");
    if (s && s->n) {
        *layers = s->rows;
        *heads = s->cols;
    }
    metrics_unlock(r->metrics);
    return *layers ? 0 : -1;
}

/* The router pane of a MoM: [ ] pick the step, { } attention / FFN / both. */
static void pick_router(Tui *t, int dstep, int dkind)
{
    const TuiRun *r = current(t);
    int H = 0;
    if (r) {
        metrics_lock(r->metrics);
        Series *s = metrics_find(r->metrics, "router.usage.attn");
        if (s && s->n) H = s->rows;
        metrics_unlock(r->metrics);
    }
    if (!H) {
        tui_say(t, "no router choices recorded yet: probe router (every=N while training)");
        return;
    }
    t->layer += dstep;
    if (t->layer < 0) t->layer = 0;
    if (t->layer > H - 1) t->layer = H - 1;
    t->mom_kind = (t->mom_kind + dkind + 3) % 3;
    static const char *const kinds[3] = {"attention and FFN", "attention only", "FFN only"};
    char m[160];
    snprintf(m, sizeof m, "router: step %d of 0..%d, %s ({ } switch)", t->layer, H - 1, kinds[t->mom_kind]);
    tui_say(t, m);
}

static void pick(Tui *t, int dlayer, int dhead)
{
    if (t->mom) {
        pick_router(t, dlayer, dhead);
        return;
    }
    int L, H;
    if (attn_shape(t, &L, &H)) {
        tui_say(t, "no attention recorded yet: probe attn (every=N while training)");
        return;
    }
    t->layer += dlayer;
    t->head += dhead;
    if (t->layer < 0) t->layer = 0;
    if (t->layer > L - 1) t->layer = L - 1;
    if (t->head < -1) t->head = -1;
    if (t->head > H - 1) t->head = H - 1;
    char m[160];
    if (t->head < 0) snprintf(m, sizeof m, "attention: layer %d of 0..%d, all %d heads", t->layer, L - 1, H);
    else snprintf(m, sizeof m, "attention: layer %d of 0..%d, head %d of 0..%d ({ to -1: all heads)", t->layer, L - 1, t->head, H - 1);
    tui_say(t, m);
}

/* Builds a slot's chart as it is shown (for `y` and `f`, which need its defaults and frame). */
static Chart *slot_chart(Tui *t, ChartSlot *s)
{
    ChartRun runs[TUI_MAX_RUNS];
    int n = tui_slot_runs(t, s, runs, TUI_MAX_RUNS);
    ChartOpts o;
    tui_slot_opts(t, s, &o);
    BlError e;
    return n ? chart_from_metrics(s->chart, runs, n, &o, &e) : NULL;
}

static void toggle_log(Tui *t)
{
    Pane *pn = &t->pane[t->focus];
    int done = 0;
    for (int i = 0; i < pn->nslots; i++) {
        ChartSlot *s = &pn->slot[i];
        Chart *c = slot_chart(t, s);
        if (c && c->kind == CHART_LINE) {
            s->log_y = !c->log_y;
            s->freeze = 0;   /* a frozen range does not carry over to the other axis */
            done = 1;
            tui_say(t, s->log_y ? "log y axis" : "linear y axis");
        }
        chart_free(c);
    }
    if (!done) tui_say(t, "y: this pane has no line chart (yet)");
}

static void toggle_freeze(Tui *t)
{
    Pane *pn = &t->pane[t->focus];
    int any = 0;
    for (int i = 0; i < pn->nslots; i++) any |= pn->slot[i].freeze;
    if (any) {
        for (int i = 0; i < pn->nslots; i++) pn->slot[i].freeze = 0;
        tui_say(t, "the y scale follows the data again");
        return;
    }
    TuiRect rc[2];
    int n = tui_slot_rects(t, t->focus, rc);
    for (int i = 0; i < n; i++) {
        ChartSlot *s = &pn->slot[i];
        Chart *c = slot_chart(t, s);
        TermChartFrame f;
        if (c && c->kind == CHART_LINE && term_chart_frame(c, rc[i].x, rc[i].y, rc[i].w, rc[i].h, &t->style, &f) == 0 &&
            f.ys.hi > f.ys.lo) {
            s->freeze = 1;
            s->lo = f.ys.lo;
            s->hi = f.ys.hi;
            any = 1;
        }
        chart_free(c);
    }
    tui_say(t, any ? "y scale frozen: f frees it" : "f: this pane has no line chart to freeze (yet)");
}

static void request_quit(Tui *t)
{
    if (training(t)) t->confirm_quit = 1;
    else t->quit = 1;
}

/* Ctrl-C: clear the line, else stop what runs, else leave. */
void tui_ctrl_c(Tui *t)
{
    int cursor;
    const char *prompt;
    const char *line = t->host->line_text(t->host->ctx, &cursor, &prompt);
    if (line[0] || strcmp(prompt, t->prompt0)) {
        t->host->line_clear(t->host->ctx);
    } else if (training(t) || t->snap.busy || t->snap.activity[0]) {
        t->host->control(t->host->ctx, TUI_INTERRUPT);
        tui_say(t, "stopping training, the scene and waiting commands");
    } else {
        t->quit = 1;
    }
}

void tui_scroll_log(Tui *t, int d)
{
    t->log_back += d;
    if (t->log_back < 0) t->log_back = 0;
}

static int log_page(const Tui *t)
{
    int h = t->lay.frame[PANE_LOG].h - 2;
    return h > 1 ? h : 1;
}

void tui_mouse(Tui *t)
{
    MEVENT ev;
    if (getmouse(&ev) != OK) return;
    if (ev.bstate & BUTTON4_PRESSED) {
        tui_scroll_log(t, 3);
        return;
    }
    if (ev.bstate & BUTTON5_PRESSED) {
        tui_scroll_log(t, -3);
        return;
    }
    if (ev.y == t->lay.input.y) {
        t->typing = 1;
        return;
    }
    int p = tui_layout_hit(&t->lay, ev.x, ev.y);
    if (p >= 0) {
        t->focus = p;
        t->typing = 0;
        if (t->zoom >= 0) t->zoom = p;
    }
}


/* ---- actions of the table (one per row; ch says which of the row's keys) --------------- */

static void key_help(Tui *t, int ch) { t->help = 1; }
static void key_focus(Tui *t, int ch) { focus_step(t, ch == KEY_BTAB ? -1 : 1); }
static void key_zoom(Tui *t, int ch)
{
    t->zoom = t->zoom == t->focus ? -1 : t->focus;
    tui_relayout(t);
}
static void key_unzoom(Tui *t, int ch)
{
    if (t->zoom >= 0) {
        t->zoom = -1;
        tui_relayout(t);
    }
}
static void key_pause(Tui *t, int ch) { t->host->control(t->host->ctx, TUI_PAUSE_TOGGLE); }
static void key_step(Tui *t, int ch) { t->host->control(t->host->ctx, TUI_STEP_ONE); }
static void key_layer(Tui *t, int ch) { pick(t, ch == '[' || ch == KEY_UP ? -1 : 1, 0); }
static void key_head(Tui *t, int ch) { pick(t, 0, ch == '{' || ch == KEY_LEFT ? -1 : 1); }
static void key_log_y(Tui *t, int ch) { toggle_log(t); }
static void key_attn_part(Tui *t, int ch)
{
    t->attn_softmax = !t->attn_softmax;
    tui_say(t, t->attn_softmax ? "attention: the softmax part A (A again: the whole matrix the block computes)"
                               : "attention: what the block computes (aI+bA-gC where shaped; A: the softmax part alone)");
}
static void key_freeze(Tui *t, int ch) { toggle_freeze(t); }
static void key_export(Tui *t, int ch) { tui_export(t); }
static void key_type(Tui *t, int ch) { t->typing = 1; }
static void key_quit(Tui *t, int ch) { request_quit(t); }
static void key_ctrl_c(Tui *t, int ch) { tui_ctrl_c(t); }
static void key_redraw(Tui *t, int ch) { clearok(curscr, TRUE); }
static void key_scroll(Tui *t, int ch) { tui_scroll_log(t, ch == KEY_PPAGE ? log_page(t) : -log_page(t)); }

/* The bindings, in the order `?` lists them (in two columns at 80 wide:
 * keep `does` under 20 characters). `keys` is written as the man
 * page's DASHBOARD item for the row (test_tui_keys checks both ways). */
const TuiKey tui_keys[] = {
    {.code = {'?', KEY_F(1)}, .keys = "?", .does = "this help (F1 too)", .act = key_help, .where = TUI_KEY_EMPTY_LINE},
    {.code = {'\t', KEY_BTAB}, .keys = "Tab, Shift-Tab", .does = "next / prev pane", .act = key_focus,
     .where = TUI_KEY_EMPTY_LINE},
    {.code = {'\r', '\n', KEY_ENTER}, .keys = "Enter", .does = "zoom in / out", .act = key_zoom},
    {.code = {27}, .keys = "Esc", .does = "unzoom; leave line", .act = key_unzoom},
    {.code = {' '}, .keys = "space", .does = "pause / resume", .act = key_pause, .where = TUI_KEY_EMPTY_LINE},
    {.code = {'.'}, .keys = ".", .does = "one training step", .act = key_step, .where = TUI_KEY_EMPTY_LINE},
    {.code = {'[', ']', KEY_UP, KEY_DOWN}, .keys = "[ ], Up Down", .does = "layer / MoM step", .act = key_layer,
     .where = TUI_KEY_EMPTY_LINE},
    {.code = {'{', '}', KEY_LEFT, KEY_RIGHT}, .keys = "{ }, Left Right", .does = "head / MoM kind",
     .act = key_head, .where = TUI_KEY_EMPTY_LINE},
    {.code = {'A'}, .keys = "A", .does = "attention A / whole", .act = key_attn_part},
    {.code = {'y'}, .keys = "y", .does = "log / linear y", .act = key_log_y},
    {.code = {'f'}, .keys = "f", .does = "freeze the y scale", .act = key_freeze},
    {.code = {'e'}, .keys = "e", .does = "export PNG + CSV", .act = key_export},
    {.code = {KEY_PPAGE, KEY_NPAGE}, .keys = "PgUp, PgDn", .does = "scroll the log", .act = key_scroll,
     .where = TUI_KEY_ALWAYS},
    {.code = {':'}, .keys = ":", .does = "type a command", .act = key_type},
    {.code = {'q'}, .keys = "q", .does = "quit", .act = key_quit},
    {.code = {3}, .keys = "Ctrl-C", .does = "clear, stop or quit", .act = key_ctrl_c,
     .where = TUI_KEY_ALWAYS},
    {.code = {12}, .keys = "Ctrl-L", .does = "redraw the screen", .act = key_redraw, .where = TUI_KEY_ALWAYS},
    {.keys = NULL},
};

const TuiKey *tui_key_find(int ch)
{
    for (const TuiKey *k = tui_keys; k->keys; k++)
        for (int i = 0; i < TUI_KEY_CODES && k->code[i]; i++)
            if (k->code[i] == ch) return k;
    return NULL;
}

int tui_key_run(Tui *t, int ch, unsigned where)
{
    const TuiKey *k = tui_key_find(ch);
    if (!k || (k->where & where) != where) return 0;
    k->act(t, ch);
    return 1;
}
