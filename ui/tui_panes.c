/* tui_panes.c — what is inside each pane: charts built by chart_from_metrics
 * and drawn by term_chart_draw (one or two per pane, with a badge for the
 * pane's settings), the `arch` text fitted to a narrow pane, and the log with
 * its newest note kept in sight. */
#include "tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- chart panes ------------------------------------------------------------------- */

/* " loss " in the top edge, and badges ("log-y", "frozen", "L1 H0") at its right. */
void tui_draw_title(Tui *t, int p, const char *badge)
{
    const TuiRect *r = &t->lay.frame[p];
    int focused = p == t->focus && !t->typing;
    char title[96];
    snprintf(title, sizeof title, " %s ", t->pane[p].title);
    int x = r->x + 2, room = r->w - 4;
    if (room < 4) return;
    int n = tui_text(t, x, r->y, room, title, tui_ink(t, focused ? INK_TITLE_FOCUS : INK_TITLE));
    if (badge && badge[0]) {
        char b[96];
        snprintf(b, sizeof b, " %s ", badge);
        int bw = tui_width(t, b);
        if (n + 2 + bw <= room) tui_text(t, r->x + r->w - 2 - bw, r->y, bw, b, tui_ink(t, focused ? INK_FOCUS : INK_DIM));
    }
}

static const TuiRun *current_run(const Tui *t)
{
    for (int i = 0; i < t->snap.nruns; i++)
        if (t->snap.runs[i].current) return &t->snap.runs[i];
    return t->snap.nruns ? &t->snap.runs[0] : NULL;
}

int tui_slot_runs(const Tui *t, const ChartSlot *s, ChartRun *runs, int cap)
{
    int n = 0;
    if (s->cue) {
        for (int i = 0; i < t->view.nruns && n < cap; i++) {
            int k = t->view.runs[i];
            if (k >= 0 && k < t->snap.nruns) runs[n++] = (ChartRun){t->snap.runs[k].name, t->snap.runs[k].metrics, t->snap.runs[k].color, t->snap.runs[k].label};
        }
    } else if (s->overlay) {
        for (int i = 0; i < t->snap.nruns && n < cap; i++, n++)
            runs[n] = (ChartRun){t->snap.runs[i].name, t->snap.runs[i].metrics, t->snap.runs[i].color, t->snap.runs[i].label};
    } else {
        const TuiRun *r = current_run(t);
        if (r && cap > 0) runs[n++] = (ChartRun){r->name, r->metrics, r->color, r->label};
    }
    return n;
}

void tui_slot_opts(const Tui *t, const ChartSlot *s, ChartOpts *o)
{
    chart_opts_default(o);
    if (s->cue) {
        *o = t->view.opts;
        if (s->log_y >= 0) o->log_y = s->log_y;
        return;
    }
    o->layer = t->layer;
    o->head = t->head;
    o->mom_kind = t->mom_kind;
    o->log_y = s->log_y;
    if (t->attn_softmax) o->mixed = 0;
    if (!strcmp(s->chart, "loss")) o->smooth = t->smooth;
}

/* A chart that cannot be drawn yet says why (which probe to run), dimmed. */
static void draw_message(Tui *t, int x, int y, int w, int h, const char *title, const char *msg)
{
    if (w < 4 || h < 1) return;
    tui_text(t, x, y, w, title, tui_ink(t, INK_TITLE));
    tui_text_block(t, x, y + 1, w, h - 1, msg, tui_ink(t, INK_DIM));
}

static void draw_slot(Tui *t, ChartSlot *s, int x, int y, int w, int h)
{
    if (w < 8 || h < 3) return;
    ChartRun runs[TUI_MAX_RUNS];
    int n = tui_slot_runs(t, s, runs, TUI_MAX_RUNS);
    ChartOpts o;
    tui_slot_opts(t, s, &o);
    BlError e;
    Chart *c = n ? chart_from_metrics(s->chart, runs, n, &o, &e) : NULL;
    if (!n) snprintf(e.msg, sizeof e.msg, "no run yet");
    if (!c) {
        draw_message(t, x, y, w, h, s->chart, e.msg);
        return;
    }
    TermStyle st = t->style;
    st.freeze_y = s->freeze;
    st.y_lo = s->lo;
    st.y_hi = s->hi;
    term_chart_draw(c, t->cv, x, y, w, h, &st);
    chart_free(c);
}

/* The attention pane's badge names the layer and head; others say log / frozen. */
static void pane_badge(const Tui *t, int p, char *buf, size_t cap)
{
    const Pane *pn = &t->pane[p];
    size_t k = 0;
    buf[0] = 0;
    if (p == PANE_ATTN && t->mom) {
        static const char *const kinds[3] = {"attention and FFN", "attention", "FFN"};
        k += (size_t)snprintf(buf + k, cap - k, "step %d, %s", t->layer, kinds[t->mom_kind]);
    } else if (p == PANE_ATTN) {
        if (t->head < 0) k += (size_t)snprintf(buf + k, cap - k, "layer %d, all heads", t->layer);
        else k += (size_t)snprintf(buf + k, cap - k, "layer %d head %d", t->layer, t->head);
        if (t->attn_softmax && k < cap) k += (size_t)snprintf(buf + k, cap - k, ", softmax A");
    }
    for (int i = 0; i < pn->nslots && k < cap; i++) {
        if (pn->slot[i].log_y >= 0) k += (size_t)snprintf(buf + k, cap - k, "%s%s", k ? ", " : "", pn->slot[i].log_y ? "log y" : "linear y");
        if (pn->slot[i].freeze && k < cap) k += (size_t)snprintf(buf + k, cap - k, "%sfrozen", k ? ", " : "");
        if (pn->slot[i].log_y >= 0 || pn->slot[i].freeze) break;
    }
    if (p == PANE_LOSS && t->smooth > 0 && k < cap) snprintf(buf + k, cap - k, "%ssmoothed %.2g", k ? ", " : "", t->smooth);
}

int tui_slot_rects(const Tui *t, int p, TuiRect out[2])
{
    const TuiRect *r = &t->lay.frame[p];
    const Pane *pn = &t->pane[p];
    int x = r->x + 1, y = r->y + 1, w = r->w - 2, h = r->h - 2;
    if (r->w <= 0 || pn->nslots == 0) return 0;
    if (pn->nslots == 1) {
        out[0] = (TuiRect){x, y, w, h};
        return 1;
    }
    if (w >= 2 * 34) {   /* side by side when each gets a readable width */
        int w0 = w * 52 / 100;
        out[0] = (TuiRect){x, y, w0, h};
        out[1] = (TuiRect){x + w0 + 1, y, w - w0 - 1, h};
        return 2;
    }
    if (h >= 12) {       /* else stacked when each gets six rows */
        int h0 = h / 2;
        out[0] = (TuiRect){x, y, w, h0};
        out[1] = (TuiRect){x, y + h0, w, h - h0};
        return 2;
    }
    out[0] = (TuiRect){x, y, w, h - 1};   /* else the first, and a pointer to the rest */
    return 1;
}

static void draw_chart_pane(Tui *t, int p)
{
    Pane *pn = &t->pane[p];
    TuiRect rc[2];
    int n = tui_slot_rects(t, p, rc);
    for (int i = 0; i < n; i++) draw_slot(t, &pn->slot[i], rc[i].x, rc[i].y, rc[i].w, rc[i].h);
    if (n < pn->nslots) {
        char hint[96];   /* the short form where the long one would be cut */
        snprintf(hint, sizeof hint, "+ %s chart: Enter zooms", pn->slot[n].chart);
        if ((int)strlen(hint) > rc[0].w) snprintf(hint, sizeof hint, "+ %s: Enter", pn->slot[n].chart);
        tui_text(t, rc[0].x, rc[0].y + rc[0].h, rc[0].w, hint, tui_ink(t, INK_DIM));
    }
    char badge[96];
    pane_badge(t, p, badge, sizeof badge);
    tui_draw_title(t, p, badge);
}

/* ---- the arch pane ------------------------------------------------------------------ */

static void arch_line(Tui *t, TuiRows *c, char *line)
{
    size_t len = strlen(line);
    while (len && line[len - 1] == ' ') line[--len] = 0;
    int lead = 0;
    while (line[lead] == ' ') lead++;
    const char *body = line + lead;
    if (tui_width(t, line) <= c->w) {
        tui_rows_put(t, c, line, 1);
        return;
    }
    if ((body[0] >= '0' && body[0] <= '9') || !strncmp(body, "blocks  ", 8)) {
        tui_rows_put(t, c, line, 1);   /* text() cuts it with an ellipsis */
        return;
    }
    /* Split at runs of three or more spaces; a line that starts far right
     * continues the equation above it. */
    int first = lead <= 8, in = lead <= 8 ? lead + 4 : 6;
    if (in > 6) in = 6;
    const char *p = body;
    while (*p) {
        const char *gap = strstr(p, "   ");
        size_t n = gap ? (size_t)(gap - p) : strlen(p);
        char part[1024];
        int pad = first ? lead : in;
        snprintf(part, sizeof part, "%*s%.*s", pad, "", (int)n, p);
        tui_wrap(t, part, c->w, pad + 2, -1, tui_rows_put, c);
        first = 0;
        p += n;
        while (*p == ' ') p++;
    }
}

static void draw_arch(Tui *t)
{
    const TuiRect *r = &t->lay.frame[PANE_ARCH];
    int x = r->x + 1, y = r->y + 1, w = r->w - 2, h = r->h - 2;
    TuiRows c = {x + 1, y, w - 1, h, 0, tui_ink(t, INK_TEXT)};
    const char *s = t->arch ? t->arch : "";
    /* When the whole text does not fit, the equations matter more than the
     * settings line, the gains legend and the rebuild line: those wait for a zoom. */
    int rows_needed = 0, widest = 0;
    for (const char *q = s; *q;) {
        const char *nl = strchr(q, '\n');
        size_t len = nl ? (size_t)(nl - q) : strlen(q);
        if ((int)len > widest) widest = (int)len;
        rows_needed++;
        q += len + (nl ? 1 : 0);
    }
    int brief = t->zoom != PANE_ARCH && (rows_needed > h || widest > c.w);
    int skipped = 0;
    while (*s && c.row < h) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        char *line = xmalloc(len + 1);
        memcpy(line, s, len);
        line[len] = 0;
        int dim = !strncmp(line, "Rebuild", 7) || !strncmp(line, "model new", 9);
        const char *b = line + strspn(line, " ");
        int table = (b[0] >= '0' && b[0] <= '9') || !strncmp(b, "blocks  ", 8);
        if (brief && c.row > 0 && (dim || !strncmp(line, "  mlp_ratio=", 12) || !strncmp(line, "  a,b:", 6) || (table && h < 12))) {
            skipped = 1;
            free(line);
            s += len + (nl ? 1 : 0);
            continue;
        }
        c.k = tui_ink(t, c.row == 0 ? INK_TITLE : dim ? INK_DIM : INK_TEXT);
        if (!line[0]) c.row++;
        else if (c.row == 0 && brief && nl) tui_rows_put(t, &c, line, 1);   /* the summary, cut: room for the equations */
        else if (c.row == 0 || dim) tui_wrap(t, line, c.w, 2, -1, tui_rows_put, &c);
        else arch_line(t, &c, line);
        free(line);
        s += len + (nl ? 1 : 0);
    }
    if ((*s || skipped) && h > 0 && t->zoom != PANE_ARCH) {
        if (c.row >= h) tcanvas_fill(t->cv, x, y + h - 1, w, 1, " ", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
        tui_text(t, x + 1, y + h - 1, w - 1, "Enter zooms: the whole text", tui_ink(t, INK_DIM));
    }
    tui_draw_title(t, PANE_ARCH, NULL);
}

/* ---- the log ------------------------------------------------------------------------- */

static Ink log_ink(const Tui *t, int kind)
{
    switch (kind) {
    case TUI_LOG_CMD: return tui_ink(t, INK_CMD);
    case TUI_LOG_ERR: return tui_ink(t, INK_ERR);
    case TUI_LOG_NOTE: return tui_ink(t, INK_NOTE);
    case TUI_LOG_INFO: return tui_ink(t, INK_DIM);
    default: return tui_ink(t, INK_TEXT);
    }
}

typedef struct LogRows {
    char  **text;
    Ink    *ink;
    int     n, cap;
} LogRows;

static void log_row(Tui *t, void *ctx, const char *row, int first)
{
    LogRows *lr = ctx;
    (void)t;
    (void)first;
    if (lr->n < lr->cap) lr->text[lr->n++] = xstrdup(row);
}

static void draw_log(Tui *t)
{
    const TuiRect *r = &t->lay.frame[PANE_LOG];
    int x = r->x + 1, y = r->y + 1, w = r->w - 2, h = r->h - 1;
    if (h <= 0 || w <= 4) return;
    char *lines[64];
    unsigned char kinds[64];
    int want = h < 64 ? h : 64;
    long total = 0;
    int n = tui_log_tail(t->host->log, t->log_back, want, lines, kinds, &total);
    if (t->log_back > total - 1) t->log_back = total > 0 ? (int)total - 1 : 0;
    /* Wrap from the newest line upwards until the rows are full. */
    char *rows[64 * 4];
    Ink inks[64 * 4];
    int nrows = 0, oldest = n;
    for (int i = n - 1; i >= 0 && nrows < h; i--) {
        oldest = i;
        char *sub[32];
        Ink dummy[32];
        LogRows lr = {sub, dummy, 0, 32};
        tui_wrap(t, lines[i], w, 2, 32, log_row, &lr);
        for (int j = lr.n - 1; j >= 0; j--) {
            if (nrows < h) {
                rows[nrows] = sub[j];
                inks[nrows] = log_ink(t, kinds[i]);
                nrows++;
            } else {
                free(sub[j]);
            }
        }
    }
    /* (The current note has a strip of its own under the log: tui_draw.c.) */
    for (int i = 0; i < nrows; i++) {
        tui_text(t, x, y + h - 1 - i, w, rows[i], inks[i]);
        free(rows[i]);
    }
    for (int i = 0; i < n; i++) free(lines[i]);
    char badge[96] = "";
    /* The last command's output starts above the view: say where the rest is. */
    long count = tui_log_count(t->host->log), first_shown = count - 1 - (n - 1 - oldest);
    if (t->log_back == 0 && t->echo_line >= 0 && t->echo_line < first_shown && count - t->echo_line <= 100)
        snprintf(badge, sizeof badge, "%ld more lines above: PgUp", first_shown - t->echo_line);
    else if (t->log_back > 0) snprintf(badge, sizeof badge, "%d lines back: PgDn", t->log_back);
    else if (total > h) snprintf(badge, sizeof badge, "PgUp scrolls back");
    tui_draw_title(t, PANE_LOG, badge);
}

void tui_draw_pane(Tui *t, int p)
{
    if (p == PANE_ARCH) draw_arch(t);
    else if (p == PANE_LOG) draw_log(t);
    else draw_chart_pane(t, p);
}
