/* tui.c — the dashboard's event loop and keys: one loop that waits for a key
 * (at most ~16 ms), reads the host's snapshot and the log's version, and
 * redraws only when something changed, keys at once and data at most 20 times
 * a second, so a busy CPU goes to training. Nothing is drawn from a signal
 * handler: SIGWINCH arrives as KEY_RESIZE, SIGINT/SIGTERM as flags. */
#include "tui_int.h"
#include "prof.h"

#include <curses.h>
#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tui_pane_names[] = {
    [PANE_ARCH] = "arch", [PANE_LOSS] = "loss", [PANE_RANK] = "rank", [PANE_GRADS] = "grads",
    [PANE_ATTN] = "attn", [PANE_SCALARS] = "scalars", [PANE_LOG] = "log", [PANE_CHART] = "chart",
    [PANE_CHART + 1] = "all", [PANE_CHART + 2] = NULL,
};

#define SLOT(name, all) {.chart = (name), .overlay = (all), .log_y = -1}

static void panes_init(Tui *t)
{
    Pane *p = t->pane;
    p[PANE_ARCH] = (Pane){.title = "architecture"};
    p[PANE_LOSS] = (Pane){.title = "loss", .slot = {SLOT("loss", 1)}, .nslots = 1};
    p[PANE_RANK] = (Pane){.title = "rank collapse", .slot = {SLOT("rank.map", 0), SLOT("rank", 1)}, .nslots = 2};
    p[PANE_GRADS] = (Pane){.title = "gradients, updates", .slot = {SLOT("grads", 1), SLOT("ratio", 0)}, .nslots = 2};
    p[PANE_ATTN] = (Pane){.title = "attention", .slot = {SLOT("attn", 0)}, .nslots = 1};
    p[PANE_SCALARS] = (Pane){.title = "scalar gains", .slot = {SLOT("scalars", 0)}, .nslots = 1};
    p[PANE_LOG] = (Pane){.title = "log"};
    p[PANE_CHART] = (Pane){.title = "chart"};   /* filled by a `show` cue */
}

void tui_sync_router_pane(Tui *t)
{
    int mom = t->arch && strstr(t->arch, "stack=mom") != NULL;
    if (mom == t->mom) return;
    t->mom = mom;
    t->layer = 0;
    if (mom) t->pane[PANE_ATTN] = (Pane){.title = "router", .slot = {SLOT("router.map", 0), SLOT("router.step", 0)}, .nslots = 2};
    else t->pane[PANE_ATTN] = (Pane){.title = "attention", .slot = {SLOT("attn", 0)}, .nslots = 1};
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

/* On the command line: readline gets what a terminal would have sent. */
static void line_key(Tui *t, int ch)
{
    int cursor;
    const char *prompt;
    const char *line = t->host->line_text(t->host->ctx, &cursor, &prompt);
    int empty = !line[0] && !strcmp(prompt, t->prompt0);
    int arrow = ch == KEY_UP || ch == KEY_DOWN || ch == KEY_LEFT || ch == KEY_RIGHT;
    if (empty && !arrow && tui_key_find(ch) && (tui_key_find(ch)->where & TUI_KEY_EMPTY_LINE)) {
        if (ch == '\t' || ch == KEY_BTAB) t->typing = 0;
        tui_key_run(t, ch, TUI_KEY_EMPTY_LINE);
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
        tui_relayout(t);
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
    if (ch == KEY_MOUSE) {
        tui_mouse(t);
        return;
    }
    if (ch == KEY_F(1)) {   /* help even while typing */
        t->help = 1;
        return;
    }
    if (tui_key_run(t, ch, TUI_KEY_ALWAYS)) return;
    if (ch == 27) {
        /* Esc alone leaves the line; Esc + key is Alt+key (readline's word moves). */
        int next = tui_screen_key(0);
        if (t->typing && next >= 0 && next < 0x80) {
            char seq[2] = {27, (char)next};
            feed(t, seq, 2);
            return;
        }
        if (t->typing) t->typing = 0;
        else tui_key_run(t, 27, 0);
        if (next >= 0) key(t, next);
        return;
    }
    if (t->typing) {
        line_key(t, ch);
        return;
    }
    if (tui_key_run(t, ch, 0)) return;
    /* Any other printable key starts a command with itself. */
    if ((ch > 0x20 && ch < 0x7f) || (ch >= 0xC0 && ch < 0x100)) {
        t->typing = 1;
        feed_byte(t, ch);
    }
}

/* ---- the loop ------------------------------------------------------------------------------ */

/* A scene's `focus PANE` or `show CHART`: zoom that pane, or the chart. */
static void apply_cue(Tui *t, const TuiCue *c)
{
    int p = -1;
    for (int i = 0; tui_pane_names[i]; i++)
        if (!strcmp(tui_pane_names[i], c->pane)) p = i;
    if (p < 0) return;
    if (p == PANE_CHART && c->chart[0]) {
        t->view = *c;
        snprintf(t->view_title, sizeof t->view_title, "chart: %s", c->chart);
        t->pane[PANE_CHART] = (Pane){t->view_title, {{.chart = t->view.chart, .log_y = -1, .cue = 1}}, 1};
    }
    if (p == PANE_CHART && !t->pane[PANE_CHART].nslots) return;   /* nothing shown yet */
    if (p >= PANE_N) {   /* "all" */
        t->zoom = -1;
    } else {
        t->focus = p;
        t->zoom = p;
        t->typing = 0;
    }
    tui_relayout(t);
}

static void refresh_snapshot(Tui *t, int *dirty)
{
    TuiSnapshot s;
    t->host->snapshot(t->host->ctx, &s);
    if (s.quit) t->snap.quit = 1;   /* Ctrl-D says so without a new version */
    if (s.version != t->seen_version) {
        int note_changed = strcmp(t->snap.note, s.note) != 0 || t->snap.scene_ended != s.scene_ended;
        t->snap = s;
        t->seen_version = s.version;
        if (s.cue.seq != t->seen_cue) {
            t->seen_cue = s.cue.seq;
            apply_cue(t, &s.cue);
        }
        if (note_changed) tui_relayout(t);
        free(t->arch);
        t->arch = t->host->arch_text(t->host->ctx);
        tui_sync_router_pane(t);
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

/* Frame times for bench/tui.sh: draw + show of each frame, written at exit as
 * "frames N median_ms p90_ms p99_ms max_ms", wall time then the UI thread's
 * CPU time (steady on a loaded machine), over the first 4096 frames. */
typedef struct FrameLog {
    double ms[4096], cpu[4096];
    int    n;
} FrameLog;

static int cmp_ms(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void frame_log_write(FrameLog *fl, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    if (fl->n > 0) {
        double *v[2] = {fl->ms, fl->cpu};
        for (int k = 0; k < 2; k++) {
            qsort(v[k], (size_t)fl->n, sizeof v[k][0], cmp_ms);
            fprintf(f, "frames %s %d median_ms %.3f p90_ms %.3f p99_ms %.3f max_ms %.3f\n", k ? "cpu" : "wall", fl->n,
                    v[k][fl->n / 2], v[k][fl->n * 9 / 10], v[k][fl->n * 99 / 100], v[k][fl->n - 1]);
        }
    } else {
        fprintf(f, "frames 0\n");
    }
    fclose(f);
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
    tui_relayout(&t);
    int dirty = 1;
    refresh_snapshot(&t, &dirty);
    double last = 0;
    FrameLog *fl = o->frame_log ? xcalloc(1, sizeof *fl) : NULL;
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
            tui_ctrl_c(&t);
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
            double cpu0 = fl ? prof_clock(1) : 0;
            int cx = tui_draw(&t);
            tui_screen_show(&t.scr, t.cv, cx, t.lay.input.y);
            if (fl && fl->n < (int)(sizeof fl->ms / sizeof fl->ms[0])) {
                fl->cpu[fl->n] = (prof_clock(1) - cpu0) * 1e3;
                fl->ms[fl->n++] = (bl_now() - now) * 1e3;
            }
            last = now;
            dirty = 0;
        }
    }
    if (fl) {
        frame_log_write(fl, o->frame_log);
        free(fl);
    }
    tui_export_wait();   /* files being written are finished, not cut */
    tui_screen_close(&t.scr);
    tcanvas_free(t.cv);
    free(t.arch);
    return 0;
}
