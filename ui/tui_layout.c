/* tui_layout.c — where each pane goes for a screen size: a 3 × 2 grid of chart
 * panes whose frames share edges (as tmux's), the log under them, then the
 * status bar and the command line. A zoomed pane takes the grid's place. */
#include "tui_int.h"

#include <string.h>

/* Rows of log text for a screen height: a fifth of it, 4..12. */
static int log_rows(int h)
{
    int n = (h - 2) / 5;
    return n < 4 ? 4 : n > 12 ? 12 : n;
}

void tui_layout(int w, int h, int zoom, int note_rows, TuiLayout *l)
{
    memset(l, 0, sizeof *l);
    if (w < TUI_MIN_W || h < TUI_MIN_H) {
        l->too_small = 1;
        return;
    }
    l->input = (TuiRect){0, h - 1, w, 1};
    l->status = (TuiRect){0, h - 2, w, 1};
    /* A scene's note gets rows of its own over the status bar, taken from the
     * panes, so it stays readable however much the log scrolls (80x24 too). */
    l->note = (TuiRect){0, h - 2 - note_rows, w, note_rows};
    int bottom = h - 2 - note_rows;
    int logn = log_rows(h);
    int log_top = bottom - logn - 1;   /* the log's top edge, shared with the panes' bottom edges */
    if (zoom == PANE_LOG) {
        l->frame[PANE_LOG] = (TuiRect){0, 0, w, bottom};
        return;
    }
    l->frame[PANE_LOG] = (TuiRect){0, log_top, w, logn + 1};
    if (zoom >= 0) {
        l->frame[zoom] = (TuiRect){0, 0, w, log_top + 1};
        return;
    }
    /* Two rows of three; the top row gives the architecture text a little less
     * room, the bottom row gives the attention map a little more. Frames are
     * one cell bigger than their share so that neighbours overlap on an edge. */
    int mid = log_top / 2;
    int top[4] = {0, w * 28 / 100, w * 64 / 100, w - 1};
    int bot[4] = {0, w * 34 / 100, w * 67 / 100, w - 1};
    static const int top_panes[3] = {PANE_ARCH, PANE_LOSS, PANE_RANK};
    static const int bot_panes[3] = {PANE_GRADS, PANE_ATTN, PANE_SCALARS};
    for (int i = 0; i < 3; i++) {
        l->frame[top_panes[i]] = (TuiRect){top[i], 0, top[i + 1] - top[i] + 1, mid + 1};
        l->frame[bot_panes[i]] = (TuiRect){bot[i], mid, bot[i + 1] - bot[i] + 1, log_top - mid + 1};
    }
}

int tui_layout_hit(const TuiLayout *l, int x, int y)
{
    /* Later panes win on shared edges; the log last, so its top edge is its own. */
    int hit = -1;
    for (int p = 0; p < PANE_N; p++) {
        const TuiRect *r = &l->frame[p];
        if (r->w > 0 && x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h) hit = p;
    }
    return hit;
}
