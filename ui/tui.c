/* tui.c — the dashboard's event loop and keys: one loop that waits for a key
 * (at most ~16 ms), reads the host's snapshot and the log's version, and
 * redraws only when something changed, keys at once and data at most 20 times
 * a second, so a busy CPU goes to training. Nothing is drawn from a signal
 * handler: SIGWINCH arrives as KEY_RESIZE, SIGINT/SIGTERM as flags. */
#include "tui_int.h"

#include <curses.h>
#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void panes_init(Tui *t)
{
    Pane *p = t->pane;
    p[PANE_ARCH] = (Pane){"architecture", {{0}}, 0};
    p[PANE_LOSS] = (Pane){"loss", {{"loss", 1, -1, 0, 0, 0}}, 1};
    p[PANE_RANK] = (Pane){"rank collapse", {{"rank.map", 0, -1, 0, 0, 0}, {"rank", 1, -1, 0, 0, 0}}, 2};
    p[PANE_GRADS] = (Pane){"gradients, updates", {{"grads", 1, -1, 0, 0, 0}, {"ratio", 0, -1, 0, 0, 0}}, 2};
    p[PANE_ATTN] = (Pane){"attention", {{"attn", 0, -1, 0, 0, 0}}, 1};
    p[PANE_SCALARS] = (Pane){"scalar gains", {{"scalars", 0, -1, 0, 0, 0}}, 1};
    p[PANE_LOG] = (Pane){"log", {{0}}, 0};
}

static void say(Tui *t, const char *msg)
{
    snprintf(t->flash, sizeof t->flash, "%s", msg);
    t->flash_at = bl_now();
}

static void relayout(Tui *t)
{
    tui_screen_resize(&t->scr);
    tui_layout(t->scr.w, t->scr.h, t->zoom, &t->lay);
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
    if (t->zoom >= 0) t->zoom = t->focus;   /* a zoomed view pages through the panes */
    relayout(t);
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

static void pick(Tui *t, int dlayer, int dhead)
{
    int L, H;
    if (attn_shape(t, &L, &H)) {
        say(t, "no attention recorded yet: probe attn (every=N while training)");
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
    say(t, m);
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
            say(t, s->log_y ? "log y axis" : "linear y axis");
        }
        chart_free(c);
    }
    if (!done) say(t, "y: this pane has no line chart (yet)");
}

static void toggle_freeze(Tui *t)
{
    Pane *pn = &t->pane[t->focus];
    int any = 0;
    for (int i = 0; i < pn->nslots; i++) any |= pn->slot[i].freeze;
    if (any) {
        for (int i = 0; i < pn->nslots; i++) pn->slot[i].freeze = 0;
        say(t, "the y scale follows the data again");
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
    say(t, any ? "y scale frozen: f frees it" : "f: this pane has no line chart to freeze (yet)");
}

static void request_quit(Tui *t)
{
    if (training(t)) t->confirm_quit = 1;
    else t->quit = 1;
}

/* Ctrl-C: clear the line, else stop what runs, else leave. */
static void ctrl_c(Tui *t)
{
    int cursor;
    const char *prompt;
    const char *line = t->host->line_text(t->host->ctx, &cursor, &prompt);
    if (line[0] || strcmp(prompt, t->prompt0)) {
        t->host->line_clear(t->host->ctx);
    } else if (training(t) || t->snap.busy || t->snap.activity[0]) {
        t->host->control(t->host->ctx, TUI_INTERRUPT);
        say(t, "stopping training, the scene and waiting commands");
    } else {
        t->quit = 1;
    }
}

static void scroll_log(Tui *t, int d)
{
    t->log_back += d;
    if (t->log_back < 0) t->log_back = 0;
}

static int log_page(const Tui *t)
{
    int h = t->lay.frame[PANE_LOG].h - 2;
    return h > 1 ? h : 1;
}

static void mouse(Tui *t)
{
    MEVENT ev;
    if (getmouse(&ev) != OK) return;
    if (ev.bstate & BUTTON4_PRESSED) {
        scroll_log(t, 3);
        return;
    }
    if (ev.bstate & BUTTON5_PRESSED) {
        scroll_log(t, -3);
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

/* ---- keys -------------------------------------------------------------------------------- */

static void feed(Tui *t, const char *s, int n) { t->host->line_feed(t->host->ctx, s, n); }

/* A byte typed on the command line, with the rest of its UTF-8 character. */
static void feed_byte(Tui *t, int ch)
{
    char buf[8];
    int n = 0;
    buf[n++] = (char)ch;
    int more = ch >= 0xF0 ? 3 : ch >= 0xE0 ? 2 : ch >= 0xC0 ? 1 : 0;
    while (more-- > 0) {
        int c = tui_screen_key(10);
        if (c < 0x80 || c > 0xBF) break;
        buf[n++] = (char)c;
    }
    feed(t, buf, n);
}

/* Keys the panes answer; returns 0 for a key they do not use. */
static int pane_key(Tui *t, int ch)
{
    switch (ch) {
    case '?': case KEY_F(1): t->help = 1; return 1;
    case '\t': focus_step(t, 1); return 1;
    case KEY_BTAB: focus_step(t, -1); return 1;
    case '\r': case '\n': case KEY_ENTER:
        t->zoom = t->zoom == t->focus ? -1 : t->focus;
        relayout(t);
        return 1;
    case ' ': t->host->control(t->host->ctx, TUI_PAUSE_TOGGLE); return 1;
    case '.': t->host->control(t->host->ctx, TUI_STEP_ONE); return 1;
    case '[': case KEY_UP: pick(t, -1, 0); return 1;
    case ']': case KEY_DOWN: pick(t, 1, 0); return 1;
    case '{': case KEY_LEFT: pick(t, 0, -1); return 1;
    case '}': case KEY_RIGHT: pick(t, 0, 1); return 1;
    case 'y': toggle_log(t); return 1;
    case 'f': toggle_freeze(t); return 1;
    case 'e': tui_export(t); return 1;
    case ':': t->typing = 1; return 1;
    case 'q': request_quit(t); return 1;
    case 27:
        if (t->zoom >= 0) {
            t->zoom = -1;
            relayout(t);
        }
        return 1;
    default: return 0;
    }
}

/* On the command line: readline gets what a terminal would have sent. */
static void line_key(Tui *t, int ch)
{
    int cursor;
    const char *prompt;
    const char *line = t->host->line_text(t->host->ctx, &cursor, &prompt);
    int empty = !line[0] && !strcmp(prompt, t->prompt0);
    if (empty && (ch == '\t' || ch == KEY_BTAB)) {
        t->typing = 0;
        focus_step(t, ch == '\t' ? 1 : -1);
        return;
    }
    if (empty && ch > 0 && ch < 0x80 && strchr("? .[]{}", ch)) {
        pane_key(t, ch);
        return;
    }
    static const struct {
        int key;
        const char *seq;
    } map[] = {
        {KEY_UP, "\033[A"}, {KEY_DOWN, "\033[B"}, {KEY_RIGHT, "\033[C"}, {KEY_LEFT, "\033[D"}, {KEY_HOME, "\033[H"},
        {KEY_END, "\033[F"}, {KEY_DC, "\033[3~"}, {KEY_BACKSPACE, "\177"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (map[i].key == ch) {
            feed(t, map[i].seq, (int)strlen(map[i].seq));
            return;
        }
    if (ch == 26) return;   /* Ctrl-Z: the dashboard does not suspend */
    if (ch == KEY_ENTER || ch == '\n') ch = '\r';
    if (ch == '\r') t->log_back = 0;
    long before = ch == '\r' ? tui_log_count(t->host->log) : -1;
    if (ch >= 0 && ch < 0x100) feed_byte(t, ch);
    if (before >= 0 && tui_log_count(t->host->log) > before) t->echo_line = before;   /* Enter echoed a command */
}

static void key(Tui *t, int ch)
{
    if (ch == KEY_RESIZE) {
        relayout(t);
        return;
    }
    t->flash[0] = 0;
    if (t->help) {   /* any key closes the help */
        t->help = 0;
        return;
    }
    if (t->confirm_quit) {
        t->confirm_quit = 0;
        if (ch == 'y' || ch == 'Y') t->quit = 1;
        return;
    }
    if (t->lay.too_small) {
        if (ch == 'q' || ch == 3) t->quit = 1;
        return;
    }
    switch (ch) {
    case KEY_MOUSE: mouse(t); return;
    case 3: ctrl_c(t); return;
    case 12: clearok(curscr, TRUE); return;
    case KEY_PPAGE: scroll_log(t, log_page(t)); return;
    case KEY_NPAGE: scroll_log(t, -log_page(t)); return;
    case KEY_F(1): t->help = 1; return;
    default: break;
    }
    if (ch == 27) {
        /* Esc alone leaves the line; Esc + key is Alt+key (readline's word moves). */
        int next = tui_screen_key(0);
        if (t->typing && next >= 0 && next < 0x80) {
            char seq[2] = {27, (char)next};
            feed(t, seq, 2);
            return;
        }
        if (t->typing) t->typing = 0;
        else pane_key(t, 27);
        if (next >= 0) key(t, next);
        return;
    }
    if (t->typing) {
        line_key(t, ch);
        return;
    }
    if (pane_key(t, ch)) return;
    /* Any other printable key starts a command with itself. */
    if ((ch > 0x20 && ch < 0x7f) || (ch >= 0xC0 && ch < 0x100)) {
        t->typing = 1;
        feed_byte(t, ch);
    }
}

/* ---- the loop ------------------------------------------------------------------------------ */

static void refresh_snapshot(Tui *t, int *dirty)
{
    TuiSnapshot s;
    t->host->snapshot(t->host->ctx, &s);
    if (s.quit) t->snap.quit = 1;   /* Ctrl-D says so without a new version */
    if (s.version != t->seen_version) {
        t->snap = s;
        t->seen_version = s.version;
        free(t->arch);
        t->arch = t->host->arch_text(t->host->ctx);
        *dirty = 1;
    }
    unsigned long lv = tui_log_version(t->host->log);
    if (lv != t->seen_log) {
        /* Scrolled back, the view stays on the same lines as new ones arrive. */
        if (t->log_back > 0) t->log_back += (int)(lv - t->seen_log);
        t->seen_log = lv;
        *dirty = 1;
    }
}

int tui_run(const TuiHost *h, const TuiOptions *o, char *err, int errcap)
{
    Tui t;
    memset(&t, 0, sizeof t);
    t.host = h;
    t.opt = o;
    t.zoom = -1;
    t.echo_line = -1;
    t.focus = PANE_LOSS;
    t.smooth = 0.8;
    panes_init(&t);
    if (tui_screen_open(&t.scr, o->mouse, err, errcap)) return -1;
    t.scr.unicode = tcanvas_unicode_guess(nl_langinfo(CODESET));
    t.seen_version = (unsigned long)-1;
    int cursor;
    const char *prompt = "";
    h->line_text(h->ctx, &cursor, &prompt);
    snprintf(t.prompt0, sizeof t.prompt0, "%s", prompt);
    relayout(&t);
    int dirty = 1;
    refresh_snapshot(&t, &dirty);
    double last = 0;
    while (!t.quit) {
        int ch = tui_screen_key(16), keyed = 0;
        while (ch >= 0 && !t.quit) {
            key(&t, ch);
            keyed = 1;
            ch = tui_screen_key(0);
        }
        if (o->sigterm && *o->sigterm) break;
        if (o->sigint && *o->sigint) {
            *o->sigint = 0;
            ctrl_c(&t);
            keyed = 1;
        }
        refresh_snapshot(&t, &dirty);
        if (t.snap.quit) break;
        double now = bl_now();
        if (t.flash[0] && now - t.flash_at > 5) {
            t.flash[0] = 0;
            dirty = 1;
        }
        if (keyed || (dirty && now - last >= 0.05)) {
            t.style.unicode = t.scr.unicode;
            t.style.color = t.scr.color;
            int cx = tui_draw(&t);
            tui_screen_show(&t.scr, t.cv, cx, t.lay.input.y);
            last = now;
            dirty = 0;
        }
    }
    tui_export_wait();   /* files being written are finished, not cut */
    tui_screen_close(&t.scr);
    tcanvas_free(t.cv);
    free(t.arch);
    return 0;
}
