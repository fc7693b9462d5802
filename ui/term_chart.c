/* term_chart.c — lays a Chart out in terminal cells and draws it into a TermCanvas:
 * braille lines, half-block heatmaps, block bars and grids, with ASCII and
 * monochrome fallbacks. Ticks, labels, ranges and colours all come from ui/chart.c,
 * so a pane and the PNG of the same chart agree; nothing here touches a terminal. */
#include "term_chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct Rect {
    int x, y, w, h;
} Rect;

typedef struct Ctx {
    TermCanvas   *cv;
    int           unicode;
    TermColorMode mode;
    unsigned      flags;    /* CHART_TEXT_ASCII without UTF-8 */
    Rect          clip;     /* the chart's rectangle: nothing lands outside it */
} Ctx;

/* What a chart drawn inside a grid does differently. */
typedef struct Opts {
    int          panel;      /* small centred title, no subtitle */
    int          legend;     /* 0 when the grid shows one legend for all */
    int          colorbar;   /* 0 when the grid shows one colour bar for all */
    const Chart *value_src;  /* where heatmap colour ranges come from */
} Opts;

/* ---- glyphs --------------------------------------------------------------- */

typedef struct Glyphs {
    const char *vline, *ytick, *corner, *hline, *xtick, *guide_v, *ellipsis;
} Glyphs;

static const Glyphs G_UNI = {"\u2502", "\u2524", "\u2514", "\u2500", "\u252c", "\u250a", "\u2026"};
static const Glyphs G_ASCII = {"|", "+", "+", "-", "+", ":", "~"};

static const Glyphs *glyphs(const Ctx *cx) { return cx->unicode ? &G_UNI : &G_ASCII; }

/* Series markers where colour or braille cannot tell lines apart. */
static const char *const MARKS[] = {"*", "+", "o", "x", "#", "%", "@", "&", "=", "$"};
#define NMARKS 10
/* Bar fills for several series without colour. */
static const char *const FILL_ASCII[] = {"#", "=", "%", "+", ":", "o"};
static const char *const FILL_SHADE[] = {"\u2588", "\u2593", "\u2592", "\u2591"};
/* Left-aligned eighths (1/8 .. 7/8) for horizontal bars, lower eighths for vertical. */
static const char *const EIGHTH_H[8] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
static const char *const EIGHTH_V[8] = {"", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587"};
#define FULL_BLOCK "\u2588"
#define UPPER_HALF "\u2580"
#define RIGHT_HALF "\u2590"
#define SWATCH "\u25a0"

static const char RAMP[] = " .:-=+*#%@";
#define NRAMP 10

static TermColor ink(void) { return TCANVAS_DEFAULT; }

/* A data colour (series, bars) as the style shows it: none in monochrome, and
 * in 8 colours the terminal's own foreground instead of black or white, which
 * vanish on one background or the other. */
static TermColor data_color(const Ctx *cx, ChartRGB c)
{
    if (cx->mode == TERM_COLOR_NONE) return TCANVAS_DEFAULT;
    if (cx->mode == TERM_COLOR_8) {
        int i = chart_rgb_to_8(c);
        if (i == 0 || i == 7) return TCANVAS_DEFAULT;
    }
    return tcanvas_rgb(c);
}

static void put(const Ctx *cx, int x, int y, const char *g, TermColor fg, TermColor bg, unsigned attr)
{
    const Rect c = cx->clip;
    if (x >= c.x && y >= c.y && x < c.x + c.w && y < c.y + c.h) tcanvas_put(cx->cv, x, y, g, fg, bg, attr);
}

static void put_ink(const Ctx *cx, int x, int y, const char *g, unsigned attr)
{
    put(cx, x, y, g, ink(), TCANVAS_DEFAULT, attr);
}

/* "No label placed yet": far enough left that any first label clears it. */
#define FAR_LEFT (-(1 << 20))

/* ---- text ----------------------------------------------------------------- */

/* A label split into one-cell glyphs, control characters neutralised and, for
 * ASCII terminals, everything else spelled in ASCII. */
#define TEXT_MAX 160
typedef struct Text {
    int  n;
    char g[TEXT_MAX][5];
} Text;

static const struct {
    uint32_t cp;
    const char *ascii;
} TRANSLIT[] = {
    {0x00A0, " "},   {0x00B7, "-"},   {0x00D7, "x"},   {0x2212, "-"},   {0x2013, "-"},    {0x2014, "-"},
    {0x2018, "'"},   {0x2019, "'"},   {0x201C, "\""},  {0x201D, "\""},  {0x2026, "..."},  {0x2192, "->"},
    {0x2190, "<-"},  {0x2264, "<="},  {0x2265, ">="},  {0x2248, "~"},   {0x00B1, "+-"},   {0x221E, "inf"},
    {0x00B2, "2"},   {0x00B3, "3"},   {0x00B9, "1"},   {0x03B1, "alpha"}, {0x03B2, "beta"}, {0x03B3, "gamma"},
    {0x03B4, "delta"}, {0x03B5, "eps"}, {0x03B8, "theta"}, {0x03BB, "lambda"}, {0x03BC, "mu"}, {0x03C3, "sigma"},
    {0x03C4, "tau"}, {0x00E9, "e"},   {0x00E8, "e"},   {0x00E0, "a"},   {0x00FC, "u"},    {0x00F6, "o"},
    {0x00E4, "a"},   {0x2581, "_"},   {0x2588, "#"},   {0x25A0, "#"},
};

static void text_push(Text *t, const char *g, size_t len)
{
    if (t->n >= TEXT_MAX || len > 4) return;
    memcpy(t->g[t->n], g, len);
    t->g[t->n][len] = '\0';
    t->n++;
}

static void text_make(Text *t, const char *s, int unicode)
{
    t->n = 0;
    if (!s) return;
    while (*s && t->n < TEXT_MAX) {
        uint32_t cp;
        int k = chart_utf8_next(s, &cp);
        if (cp == '\t' || cp == '\n' || cp == '\r') text_push(t, " ", 1);
        else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFFFD) text_push(t, "?", 1);
        else if (cp < 0x80 || unicode) text_push(t, s, (size_t)k);
        else {
            const char *a = "?";
            for (size_t i = 0; i < sizeof TRANSLIT / sizeof *TRANSLIT; i++)
                if (TRANSLIT[i].cp == cp) a = TRANSLIT[i].ascii;
            for (; *a; a++) text_push(t, a, 1);
        }
        s += k;
    }
}

static int text_len(const Ctx *cx, const char *s)
{
    Text t;
    text_make(&t, s, cx->unicode);
    return t.n;
}

/* Draws s at (x, y) in at most maxw cells, cut with an ellipsis when longer.
 * Returns the cells drawn. */
static int draw_text(const Ctx *cx, int x, int y, int maxw, const char *s, TermColor fg, unsigned attr)
{
    Text t;
    text_make(&t, s, cx->unicode);
    if (maxw <= 0 || t.n == 0) return 0;
    int n = t.n <= maxw ? t.n : maxw;
    int cut = t.n > maxw && maxw >= 2;
    for (int i = 0; i < n; i++)
        put(cx, x + i, y, cut && i == n - 1 ? glyphs(cx)->ellipsis : t.g[i], fg, TCANVAS_DEFAULT, attr);
    return n;
}

/* ---- data ranges and legend ------------------------------------------------ */

/* The chart as the style wants it seen: a frozen value range replaces the
 * chart's own. A shallow copy: it shares (and only reads) c's arrays. */
static Chart view_of(const Chart *c, const TermStyle *st)
{
    Chart v = *c;
    if (st->freeze_y && st->y_hi > st->y_lo && (c->kind == CHART_LINE || c->kind == CHART_BAR)) {
        v.ymin = st->y_lo;
        v.ymax = st->y_hi;
    }
    return v;
}

static int legend_count(const Chart *c)
{
    int n = 0;
    for (int i = 0; i < c->nseries; i++) n += c->series[i].name[0] != '\0';
    return n;
}

/* How series are told apart: braille in colour (or alone), else glyph markers. */
static int line_braille(const Ctx *cx, const Chart *c)
{
    int drawn = 0;
    for (int i = 0; i < c->nseries; i++) drawn += c->series[i].n > 0;
    return cx->unicode && (cx->mode != TERM_COLOR_NONE || drawn <= 1);
}

/* Bars: colour where there is colour, else a fill per series. */
static const char *bar_fill(const Ctx *cx, const Chart *c, int s)
{
    if (cx->mode != TERM_COLOR_NONE || c->nseries <= 1) return cx->unicode ? FULL_BLOCK : "#";
    return cx->unicode ? FILL_SHADE[s % 4] : FILL_ASCII[s % 6];
}

/* What stands before a series name in the legend: what the series is drawn with. */
static const char *legend_swatch(const Ctx *cx, const Chart *c, int s)
{
    if (c->kind == CHART_BAR) return bar_fill(cx, c, s);
    if (line_braille(cx, c) && (c->series[s].style & CHART_STYLE_MARKERS)) return "\u2022";
    if (line_braille(cx, c) && (c->series[s].style & CHART_STYLE_DASHED)) return "\u254d";
    if (line_braille(cx, c)) return SWATCH;
    return MARKS[s % NMARKS];
}

#define LEGEND_NAME_MAX 18

static int legend_width(const Ctx *cx, const Chart *c)
{
    int w = 0, n = 0;
    for (int i = 0; i < c->nseries; i++) {
        if (!c->series[i].name[0]) continue;
        int l = text_len(cx, c->series[i].name);
        w += 2 + (l < LEGEND_NAME_MAX ? l : LEGEND_NAME_MAX);
        n++;
    }
    return n ? w + 2 * (n - 1) : 0;
}

/* One legend entry at (x, y); returns its width. */
static int draw_legend_entry(const Ctx *cx, const Chart *c, int s, int x, int y)
{
    put(cx, x, y, legend_swatch(cx, c, s), data_color(cx, chart_palette(c->series[s].color)), TCANVAS_DEFAULT, 0);
    put_ink(cx, x + 1, y, " ", 0);
    return 2 + draw_text(cx, x + 2, y, LEGEND_NAME_MAX, c->series[s].name, ink(), 0);
}

static void draw_legend_row(const Ctx *cx, const Chart *c, int x, int y)
{
    for (int i = 0; i < c->nseries; i++)
        if (c->series[i].name[0]) x += draw_legend_entry(cx, c, i, x, y) + 2;
}

/* ---- header ---------------------------------------------------------------- */

/* Title (bold) and subtitle (dim) on one row, leaving `reserve` cells at the
 * right (for a legend); a panel's title is centred and plain. */
static void draw_header(const Ctx *cx, const Chart *c, Rect r, int row, int reserve, const Opts *o)
{
    int room = r.w - (reserve > 0 ? reserve + 2 : 0);
    if (room <= 0) return;
    if (o->panel) {
        int l = text_len(cx, c->title);
        int x = r.x + (l < room ? (room - l) / 2 : 0);
        draw_text(cx, x, row, room, c->title, ink(), 0);
        return;
    }
    int n = draw_text(cx, r.x, row, room, c->title, ink(), TERM_ATTR_BOLD);
    int sl = text_len(cx, c->subtitle);
    if (sl > 0 && n + 2 + sl <= room) draw_text(cx, r.x + n + (n ? 2 : 0), row, sl, c->subtitle, ink(), TERM_ATTR_DIM);
}

/* The header row with the legend at its right when both fit (the title may be
 * cut to make room, down to 12 cells). Returns 1 if the legend was drawn. */
static int draw_header_legend(const Ctx *cx, const Chart *c, Rect r, int row, int want_legend, const Opts *o)
{
    int lw = want_legend ? legend_width(cx, c) : 0;
    int tl = text_len(cx, c->title);
    int min_title = tl < 12 ? tl : 12;
    if (row < 0) return 0;
    if (lw > 0 && min_title + (tl ? 2 : 0) + lw <= r.w) {
        draw_header(cx, c, r, row, lw, o);
        draw_legend_row(cx, c, r.x + r.w - lw, row);
        return 1;
    }
    draw_header(cx, c, r, row, 0, o);
    return 0;
}

/* ---- line and vertical-bar frames ------------------------------------------ */

typedef struct XY {
    Rect r;
    int  title_row, ylabel_row, axis_row, ticks_row, xlabel_row;
    Rect plot;
    int  ylab_w, axis_left;
    int  xres, yres;
    ChartScale xs, ys;
    int  xstart[CHART_MAX_TICKS], xshow[CHART_MAX_TICKS];
    int  yshow[CHART_MAX_TICKS];
    int  xlabel_x;          /* where the x caption starts; -1: not shown */
} XY;

static double dot_xf(const XY *f, double v) { return chart_scale_pos(&f->xs, v) * (f->plot.w * f->xres - 1); }
static double dot_yf(const XY *f, double v) { return (1 - chart_scale_pos(&f->ys, v)) * (f->plot.h * f->yres - 1); }
static int tick_col(const XY *f, double v) { return f->plot.x + (int)lround(dot_xf(f, v)) / f->xres; }
static int tick_row(const XY *f, double v) { return f->plot.y + (int)lround(dot_yf(f, v)) / f->yres; }

/* The densest y ticks (at most one every other row) whose rows are at least
 * `need` apart; 0 if even two ticks are closer. */
static int try_y(const Ctx *cx, const Chart *c, XY *f, int need)
{
    int mt = f->plot.h / 2 + 1;
    if (mt > 10) mt = 10;
    if (mt < 2) mt = 2;
    for (; mt >= 2; mt--) {
        chart_scale(c, CHART_AXIS_Y, mt, cx->flags, &f->ys);
        int ok = 1;
        for (int i = 1; i < f->ys.n; i++) ok &= tick_row(f, f->ys.tick[i - 1]) - tick_row(f, f->ys.tick[i]) >= need;
        if (ok) return 1;
    }
    return 0;
}

/* Y ticks: a blank row between labels when there is room; but three labels
 * on neighbouring rows say more than two far apart (a log axis over two
 * decades: 0.05 0.1 0.2 0.5 1 2 rather than 0.1 1). */
static void plan_y(const Ctx *cx, const Chart *c, XY *f)
{
    int ok = f->plot.h >= 8 && try_y(cx, c, f, 2);
    if ((!ok || f->ys.n < 3) && !try_y(cx, c, f, 1)) try_y(cx, c, f, 0);
    int last = FAR_LEFT;
    for (int i = 0; i < f->ys.n; i++) {
        int row = tick_row(f, f->ys.tick[i]);
        f->yshow[i] = last - row >= 1 || i == 0;
        if (f->yshow[i]) last = row;
    }
}

/* Places x tick labels centred on their ticks, kept inside r, at least `gap`
 * blanks apart. Returns 1 if all fit; *overflow is how far the last label
 * would have stuck out of r on the right. */
static int place_x(const Ctx *cx, XY *f, int gap, int *overflow)
{
    int prev_end = FAR_LEFT, ok = 1;
    *overflow = 0;
    for (int i = 0; i < f->xs.n; i++) {
        int len = text_len(cx, f->xs.label[i]);
        int s = tick_col(f, f->xs.tick[i]) - (len - 1) / 2;
        int over = s + len - (f->r.x + f->r.w);
        if (i == f->xs.n - 1 && over > 0) *overflow = over;
        if (over > 0) s -= over;
        if (s < f->r.x) s = f->r.x;
        f->xstart[i] = s;
        f->xshow[i] = s >= prev_end + gap;
        if (f->xshow[i]) prev_end = s + len;
        else ok = 0;
    }
    return ok;
}

static int plan_x(const Ctx *cx, const Chart *c, XY *f)
{
    int mt = f->plot.w / 6, overflow = 0;
    if (mt > 12) mt = 12;
    if (mt < 2) mt = 2;
    for (; mt >= 2; mt--) {
        chart_scale(c, CHART_AXIS_X, mt, cx->flags, &f->xs);
        if (place_x(cx, f, mt > 2 ? 2 : 1, &overflow)) break;
    }
    return overflow;
}

/* Rows and columns of a LINE chart (or vertical BAR chart) in r. own_xlabel
 * gives the x caption a row of its own. Returns -1 if no plot fits. */
static int xy_layout(const Ctx *cx, const Chart *c, Rect r, int header, int own_xlabel, XY *f)
{
    int top = r.y, bottom = r.y + r.h;
    f->r = r;
    f->title_row = f->ylabel_row = f->axis_row = f->ticks_row = f->xlabel_row = f->xlabel_x = -1;
    if (header && r.h >= 3) f->title_row = top++;
    if (own_xlabel) f->xlabel_row = --bottom;
    if (bottom - top >= 5) {
        f->ticks_row = --bottom;
        f->axis_row = --bottom;
    }
    if (c->ylabel[0] && bottom - top >= 11) f->ylabel_row = top++;
    f->plot.y = top;
    f->plot.h = bottom - top;
    if (f->plot.h < 1 || r.w < 2) return -1;

    /* Y labels first: their width sets where the plot starts. */
    f->plot.x = r.x;
    f->plot.w = r.w;
    plan_y(cx, c, f);
    f->ylab_w = 0;
    if (r.w >= 16)
        for (int i = 0; i < f->ys.n; i++) {
            int l = text_len(cx, f->ys.label[i]);
            if (f->yshow[i] && l > f->ylab_w) f->ylab_w = l;
        }
    if (f->ylab_w > r.w / 3) f->ylab_w = 0;
    f->axis_left = r.w >= 8;
    f->plot.x = r.x + (f->ylab_w ? f->ylab_w + 1 : 0) + f->axis_left;

    /* The last x label is centred on its tick: leave it a little room. */
    int margin = 0;
    for (int pass = 0; pass < 2; pass++) {
        f->plot.w = r.x + r.w - f->plot.x - margin;
        if (f->plot.w < 1) return -1;
        if (f->ticks_row < 0 || c->kind != CHART_LINE) break;
        int over = plan_x(cx, c, f);
        if (over <= 0 || pass == 1) break;
        margin = over < 3 ? over : 3;
    }
    if (c->kind != CHART_LINE) memset(&f->xs, 0, sizeof f->xs);

    /* The x caption: at the right end of the tick row if it clears the labels. */
    int xl = text_len(cx, c->xlabel);
    if (xl > 0 && f->xlabel_row >= 0) {
        f->xlabel_x = f->plot.x + f->plot.w - xl;
        if (f->xlabel_x < r.x) f->xlabel_x = r.x;
    } else if (xl > 0 && f->ticks_row >= 0 && c->kind == CHART_LINE) {
        int end = FAR_LEFT;
        for (int i = 0; i < f->xs.n; i++)
            if (f->xshow[i]) end = f->xstart[i] + text_len(cx, f->xs.label[i]);
        int s = r.x + r.w - xl;
        if (s >= end + 2) f->xlabel_x = s;
    }
    return 0;
}

/* Full layout, giving the x caption its own row when it does not fit beside
 * the ticks and the plot can spare one. */
static int xy_plan(const Ctx *cx, const Chart *c, Rect r, int header, XY *f)
{
    int braille = c->kind == CHART_LINE && line_braille(cx, c);
    f->xres = c->kind == CHART_LINE ? (braille ? 2 : 1) : 1;
    f->yres = c->kind == CHART_LINE ? (braille ? 4 : 1) : (cx->unicode ? 8 : 1);
    if (xy_layout(cx, c, r, header, 0, f) != 0) return -1;
    if (c->xlabel[0] && f->xlabel_x < 0 && f->plot.h >= 12) {
        XY g = *f;
        if (xy_layout(cx, c, r, header, 1, &g) == 0) *f = g;
    }
    return 0;
}

static void draw_axes(const Ctx *cx, const Chart *c, const XY *f)
{
    const Glyphs *gl = glyphs(cx);
    const Rect p = f->plot;
    if (f->axis_left) {
        for (int y = p.y; y < p.y + p.h; y++) put_ink(cx, p.x - 1, y, gl->vline, TERM_ATTR_DIM);
        for (int i = 0; i < f->ys.n; i++) put_ink(cx, p.x - 1, tick_row(f, f->ys.tick[i]), gl->ytick, TERM_ATTR_DIM);
    }
    if (f->ylab_w)
        for (int i = 0; i < f->ys.n; i++) {
            if (!f->yshow[i]) continue;
            int l = text_len(cx, f->ys.label[i]);
            draw_text(cx, p.x - f->axis_left - 1 - l, tick_row(f, f->ys.tick[i]), l, f->ys.label[i], ink(), 0);
        }
    if (f->axis_row >= 0) {
        if (f->axis_left) put_ink(cx, p.x - 1, f->axis_row, gl->corner, TERM_ATTR_DIM);
        for (int x = p.x; x < p.x + p.w; x++) put_ink(cx, x, f->axis_row, gl->hline, TERM_ATTR_DIM);
        if (c->kind == CHART_LINE)
            for (int i = 0; i < f->xs.n; i++) put_ink(cx, tick_col(f, f->xs.tick[i]), f->axis_row, gl->xtick, TERM_ATTR_DIM);
    }
    if (f->ticks_row >= 0 && c->kind == CHART_LINE)
        for (int i = 0; i < f->xs.n; i++)
            if (f->xshow[i]) draw_text(cx, f->xstart[i], f->ticks_row, CHART_LABEL_MAX, f->xs.label[i], ink(), 0);
    if (f->xlabel_x >= 0) {
        int row = f->xlabel_row >= 0 ? f->xlabel_row : f->ticks_row;
        draw_text(cx, f->xlabel_x, row, f->r.x + f->r.w - f->xlabel_x, c->xlabel, ink(), TERM_ATTR_DIM);
    }
    if (f->ylabel_row >= 0) draw_text(cx, f->r.x, f->ylabel_row, f->r.w, c->ylabel, ink(), TERM_ATTR_DIM);
}

/* ---- line charts --------------------------------------------------------------- */

/* The plot as dots: which dots are set in each cell, which series set them last,
 * and the guide dots, which only show in cells the data leave empty. */
typedef struct Dots {
    int      w, h;          /* cells */
    int      xres, yres;
    uint8_t *bits, *gbits;
    int     *owner;
} Dots;

/* Braille dot (dx, dy) of a cell, dx 0..1, dy 0..3 (Unicode's dot numbering). */
static uint8_t braille_bit(int dx, int dy)
{
    static const uint8_t bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};
    return bit[dx][dy];
}

static void braille_utf8(uint8_t bits, char out[5])
{
    unsigned cp = 0x2800u + bits;
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    out[3] = '\0';
}

/* Sets dot (x, y) for series owner, or for the guides when owner < 0. */
static void dots_set(Dots *d, int x, int y, int owner)
{
    if (x < 0 || y < 0 || x >= d->w * d->xres || y >= d->h * d->yres) return;
    size_t i = (size_t)(y / d->yres) * d->w + x / d->xres;
    uint8_t bit = d->xres == 2 ? braille_bit(x % 2, y % 4) : 1;
    if (owner < 0) {
        d->gbits[i] |= bit;
        return;
    }
    d->bits[i] |= bit;
    d->owner[i] = owner;
}

/* Liang-Barsky: clips the segment to the dot grid; 0 if nothing is left. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1, double xmax, double ymax)
{
    double t0 = 0, t1 = 1, dx = *x1 - *x0, dy = *y1 - *y0;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {*x0 + 0.49, xmax - *x0, *y0 + 0.49, ymax - *y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return 0;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0) {
            if (t > t1) return 0;
            if (t > t0) t0 = t;
        } else {
            if (t < t0) return 0;
            if (t < t1) t1 = t;
        }
    }
    double ax = *x0 + t0 * dx, ay = *y0 + t0 * dy, bx = *x0 + t1 * dx, by = *y0 + t1 * dy;
    *x0 = ax;
    *y0 = ay;
    *x1 = bx;
    *y1 = by;
    return 1;
}

/* A segment of dots; *dash >= 0 counts dots along a dashed line (4 on, 3 off),
 * carried from segment to segment so the pattern runs on; NULL: solid. */
static void dots_segment(Dots *d, double fx0, double fy0, double fx1, double fy1, int owner, int *dash)
{
    double xmax = d->w * d->xres - 0.51, ymax = d->h * d->yres - 0.51;
    if (!clip_segment(&fx0, &fy0, &fx1, &fy1, xmax, ymax)) return;
    int x0 = (int)lround(fx0), y0 = (int)lround(fy0), x1 = (int)lround(fx1), y1 = (int)lround(fy1);
    int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        if (!dash || (*dash)++ % 7 < 4) dots_set(d, x0, y0, owner);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * err;
        if (e2 >= dy) { err += dy; x0 += sx; }
        if (e2 <= dx) { err += dx; y0 += sy; }
    }
}

/* One series: segments between neighbouring drawable points, so a NaN, an
 * infinity or a value off a log axis leaves a gap; a lone point is one dot.
 * Dashed series skip dots in a pattern; markers are a 2 x 2 block of dots. */
static void dots_series(Dots *d, const XY *f, const ChartSeries *s, int owner)
{
    int have = 0, dash = 0;
    int *dp = (s->style & CHART_STYLE_DASHED) && d->xres == 2 ? &dash : NULL;
    double px = 0, py = 0;
    for (int k = 0; k < s->n; k++) {
        double x = dot_xf(f, s->x[k]), y = dot_yf(f, s->y[k]);
        if (!isfinite(x) || !isfinite(y) || !isfinite(s->y[k])) {
            have = 0;
            continue;
        }
        dots_segment(d, have ? px : x, have ? py : y, x, y, owner, dp);
        if (s->style & CHART_STYLE_MARKERS) {
            int mx = (int)lround(x), my = (int)lround(y);
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++) dots_set(d, mx - 1 + i, my - 1 + j, owner);
        }
        have = 1;
        px = x;
        py = y;
    }
}

static int dots_cell_used(const Dots *d, int cx, int cy)
{
    return cx >= 0 && cy >= 0 && cx < d->w && cy < d->h && d->bits[(size_t)cy * d->w + cx];
}

static int dots_count(const Dots *d, int x, int y, int w, int h)
{
    int n = 0;
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++) n += dots_cell_used(d, i, j);
    return n;
}

/* A legend inside the plot, in the corner that hides the least data. */
static void draw_legend_inside(const Ctx *cx, const Chart *c, const XY *f, const Dots *d)
{
    int n = legend_count(c), w = 0;
    for (int i = 0; i < c->nseries; i++) {
        int l = text_len(cx, c->series[i].name);
        if (c->series[i].name[0] && 2 + (l < LEGEND_NAME_MAX ? l : LEGEND_NAME_MAX) > w)
            w = 2 + (l < LEGEND_NAME_MAX ? l : LEGEND_NAME_MAX);
    }
    if (n == 0 || n > f->plot.h || w + 2 > f->plot.w) return;
    const int cand[4][2] = {{f->plot.w - w, 0}, {0, 0}, {f->plot.w - w, f->plot.h - n}, {0, f->plot.h - n}};
    int best = 0, bestn = 1 << 30;
    for (int k = 0; k < 4; k++) {
        int m = dots_count(d, cand[k][0] - 1, cand[k][1], w + 1, n);
        if (m < bestn) { bestn = m; best = k; }
    }
    /* A legend over the data hides what it explains: better none. */
    if (bestn > 1) return;
    int x = f->plot.x + cand[best][0], y = f->plot.y + cand[best][1];
    for (int i = 0; i < c->nseries; i++) {
        if (!c->series[i].name[0]) continue;
        for (int k = -1; k < w; k++) put_ink(cx, x + k, y, " ", 0);
        draw_legend_entry(cx, c, i, x, y++);
    }
}

/* Guide labels on their line, at the end (right, then left) that hides the least data. */
static void draw_guide_labels(const Ctx *cx, const Chart *c, const XY *f, const Dots *d)
{
    for (int g = 0; g < c->nguides; g++) {
        int l = text_len(cx, c->guides[g].label);
        double gy = dot_yf(f, c->guides[g].y);
        if (l == 0 || l > f->plot.w / 3 || !isfinite(gy) || gy < -0.5 || gy > f->plot.h * f->yres - 0.5) continue;
        int row = (int)lround(gy) / f->yres;
        const int xs[2] = {f->plot.w - l, 0};
        int best = 0, bestn = 1 << 30;
        for (int k = 0; k < 2; k++) {
            int m = dots_count(d, xs[k], row, l, 1);
            if (m < bestn) { bestn = m; best = k; }
        }
        /* A blank between the dashes and the label, so "- 1e-3" never reads as "-1e-3". */
        int gapx = best == 0 ? xs[best] - 1 : xs[best] + l;
        if (!dots_cell_used(d, gapx, row)) put_ink(cx, f->plot.x + gapx, f->plot.y + row, " ", 0);
        draw_text(cx, f->plot.x + xs[best], f->plot.y + row, l, c->guides[g].label, ink(), TERM_ATTR_DIM);
    }
}

static void draw_line(const Ctx *cx, const Chart *c, Rect r, const Opts *o)
{
    XY f;
    int want_legend = o->legend && legend_count(c) > 0;
    int header = c->title[0] || c->subtitle[0] || want_legend;
    if (xy_plan(cx, c, r, header, &f) != 0) {
        if (r.h >= 1) draw_header(cx, c, r, r.y, 0, o);
        return;
    }
    int on_header = draw_header_legend(cx, c, r, f.title_row, want_legend, o);

    Dots d = {f.plot.w, f.plot.h, f.xres, f.yres, NULL, NULL, NULL};
    size_t n = (size_t)d.w * d.h;
    d.bits = xcalloc(n, 1);
    d.gbits = xcalloc(n, 1);
    d.owner = xcalloc(n, sizeof *d.owner);
    /* Guides first, as dashes along their dot row: data drawn later win the cells. */
    for (int g = 0; g < c->nguides; g++) {
        double gy = dot_yf(&f, c->guides[g].y);
        if (!isfinite(gy)) continue;
        int y = (int)lround(gy), period = f.xres == 2 ? 4 : 2;
        for (int x = 0; x < d.w * d.xres; x++)
            if (x % period < period / 2) dots_set(&d, x, y, -1);
    }
    for (int i = 0; i < c->nseries; i++) dots_series(&d, &f, &c->series[i], i);

    int any = 0;
    for (int cy = 0; cy < d.h; cy++)
        for (int cxl = 0; cxl < d.w; cxl++) {
            size_t i = (size_t)cy * d.w + cxl;
            char g[5];
            if (d.bits[i]) {
                any = 1;
                const ChartSeries *s = &c->series[d.owner[i]];
                if (f.xres == 2) braille_utf8(d.bits[i], g);
                else snprintf(g, sizeof g, "%s", MARKS[d.owner[i] % NMARKS]);
                put(cx, f.plot.x + cxl, f.plot.y + cy, g, data_color(cx, chart_palette(s->color)), TCANVAS_DEFAULT, 0);
            } else if (d.gbits[i]) {
                if (f.xres == 2) braille_utf8(d.gbits[i], g);
                else snprintf(g, sizeof g, "-");
                put_ink(cx, f.plot.x + cxl, f.plot.y + cy, g, TERM_ATTR_DIM);
            }
        }
    if (!any && f.plot.w >= 7)
        draw_text(cx, f.plot.x + (f.plot.w - 7) / 2, f.plot.y + f.plot.h / 2, 7, "no data", ink(), TERM_ATTR_DIM);
    draw_guide_labels(cx, c, &f, &d);
    draw_axes(cx, c, &f);
    if (want_legend && !on_header) draw_legend_inside(cx, c, &f, &d);
    free(d.bits);
    free(d.gbits);
    free(d.owner);
}

/* ---- bar charts ------------------------------------------------------------- */

typedef struct HBar {
    Rect r;
    int  title_row, first_row, axis_row, ticks_row;
    int  label_w, value_w;
    Rect bars;              /* the value axis runs along bars.w cells */
    ChartScale ys;
    int  xstart[CHART_MAX_TICKS], xshow[CHART_MAX_TICKS];
} HBar;

static int bar_series(const Chart *c) { return c->nseries > 0 ? c->nseries : 1; }
static int hbar_rows(const Chart *c) { return c->nbars * bar_series(c) + (c->nseries > 1 ? c->nbars - 1 : 0); }

/* A legend for bars only when several series share the categories. */
static int bar_legend(const Chart *c) { return c->nseries > 1 && legend_count(c) > 0; }

static void bar_value_text(const Ctx *cx, double v, char *buf, size_t size)
{
    chart_format_number(v, cx->flags, buf, size);
}

/* The cell a bar reaching v ends in, so axis ticks line up with bar ends. */
static int hbar_col(const HBar *b, double v)
{
    double p = chart_scale_pos(&b->ys, v);
    int i = isfinite(p) ? (int)floor(p * b->bars.w - 1e-9) : 0;
    return b->bars.x + (i < 0 ? 0 : i >= b->bars.w ? b->bars.w - 1 : i);
}

/* Horizontal bars when every bar gets a row; returns -1 when they do not fit. */
static int hbar_plan(const Ctx *cx, const Chart *c, Rect r, int header, HBar *b)
{
    memset(b, 0, sizeof *b);
    b->r = r;
    b->title_row = b->axis_row = b->ticks_row = -1;
    int top = r.y, rows = hbar_rows(c);
    if (header && r.h >= 3) b->title_row = top++;
    if (rows < 1 || rows > r.y + r.h - top) return -1;
    b->first_row = top;
    int spare = r.y + r.h - top - rows;

    for (int i = 0; i < c->nbars; i++) {
        int l = text_len(cx, c->bar_labels[i]);
        if (l > b->label_w) b->label_w = l;
    }
    if (b->label_w > r.w / 3) b->label_w = r.w / 3;
    for (int s = 0; s < c->nseries; s++)
        for (int k = 0; k < c->nbars; k++) {
            char buf[CHART_LABEL_MAX];
            bar_value_text(cx, c->series[s].y[k], buf, sizeof buf);
            int l = text_len(cx, buf) + 1;
            if (l > b->value_w) b->value_w = l;
        }
    int x0 = r.x + (b->label_w ? b->label_w + 1 : 0);
    if (r.x + r.w - x0 - b->value_w < 6) b->value_w = 0;
    b->bars = (Rect){x0, top, r.x + r.w - x0 - b->value_w, rows};
    if (b->bars.w < 2) return -1;

    /* The value axis below the bars, when there are rows to spare. */
    int mt = b->bars.w / 8;
    if (mt > 10) mt = 10;
    if (mt < 2) mt = 2;
    for (; mt >= 2; mt--) {
        chart_scale(c, CHART_AXIS_Y, mt, cx->flags, &b->ys);
        int prev_end = FAR_LEFT, ok = 1;
        for (int i = 0; i < b->ys.n; i++) {
            int len = text_len(cx, b->ys.label[i]);
            int s = hbar_col(b, b->ys.tick[i]) - (len - 1) / 2;
            if (s + len > r.x + r.w) s = r.x + r.w - len;
            if (s < r.x) s = r.x;
            b->xstart[i] = s;
            b->xshow[i] = s >= prev_end + 2;
            if (b->xshow[i]) prev_end = s + len;
            else ok = 0;
        }
        if (ok) break;
    }
    if (spare >= 2) {
        b->axis_row = top + rows;
        b->ticks_row = top + rows + 1;
    }
    return 0;
}

/* A bar's signed length in eighths of a cell along `cells` cells of the value
 * axis, measured from 0 (from the low end on a log axis), so every bar shares
 * one base. A non-zero value shows at least an eighth; without eighth blocks
 * (fine == 0) lengths round to whole cells. */
static long bar_eighths(const ChartScale *s, double v, int cells, int fine)
{
    double p = chart_scale_pos(s, v), p0 = s->log ? 0 : chart_scale_pos(s, 0);
    if (!isfinite(p) || !isfinite(v)) return 0;
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    p0 = p0 < 0 ? 0 : p0 > 1 ? 1 : p0;
    long len = lround((p - p0) * cells * 8);
    if (len == 0 && v != 0 && fine && !s->log) len = v > 0 ? 1 : -1;
    if (!fine) len = (len >= 0 ? (len + 4) / 8 : -((-len + 4) / 8)) * 8;
    return len;
}

/* Where the bars start: cells of value axis below 0 (0 on a log axis). */
static int bar_base(const ChartScale *s, int cells)
{
    if (s->log) return 0;
    int b = (int)lround(chart_scale_pos(s, 0) * cells);
    return b < 0 ? 0 : b > cells ? cells : b;
}

static void draw_hbars(const Ctx *cx, const Chart *c, const HBar *b)
{
    const Glyphs *gl = glyphs(cx);
    int ns = bar_series(c), W = b->bars.w, base = bar_base(&b->ys, W);
    int fine = cx->unicode && (cx->mode != TERM_COLOR_NONE || ns == 1);
    int zero_line = !b->ys.log && b->ys.lo < 0 && b->ys.hi > 0 && base < W;
    for (int row = 0; row < b->bars.h; row++) {
        int y = b->bars.y + row;
        /* A left-edge eighth sits exactly on the boundary where bars start. */
        if (zero_line) put_ink(cx, b->bars.x + base, y, cx->unicode ? EIGHTH_H[1] : "|", TERM_ATTR_DIM);
        for (int g = 0; g < c->nguides; g++) {
            double p = chart_scale_pos(&b->ys, c->guides[g].y);
            if (isfinite(p) && p >= 0 && p <= 1) put_ink(cx, hbar_col(b, c->guides[g].y), y, gl->guide_v, TERM_ATTR_DIM);
        }
    }
    for (int k = 0; k < c->nbars; k++) {
        int y0 = b->bars.y + k * (ns + (ns > 1 ? 1 : 0));
        draw_text(cx, b->r.x, y0, b->label_w, c->bar_labels[k], ink(), 0);
        for (int s = 0; s < c->nseries; s++) {
            double v = c->series[s].y[k];
            int y = y0 + s, end_cell = base;
            if (!isfinite(chart_scale_pos(&b->ys, v))) continue;
            TermColor col = data_color(cx, chart_palette(c->series[s].color));
            const char *fill = bar_fill(cx, c, s);
            long len = bar_eighths(&b->ys, v, W, fine);
            if (len >= 0) {
                int full = (int)(len / 8), rem = (int)(len % 8);
                for (int i = 0; i < full; i++) put(cx, b->bars.x + base + i, y, fill, col, TCANVAS_DEFAULT, 0);
                if (rem) put(cx, b->bars.x + base + full, y, EIGHTH_H[rem], col, TCANVAS_DEFAULT, 0);
                end_cell = base + full + (rem ? 1 : 0);
            } else {
                /* Only a right half exists among the right-aligned blocks. */
                int full = (int)(-len / 8), half = -len % 8 >= 4;
                for (int i = 1; i <= full; i++) put(cx, b->bars.x + base - i, y, fill, col, TCANVAS_DEFAULT, 0);
                if (half) put(cx, b->bars.x + base - full - 1, y, RIGHT_HALF, col, TCANVAS_DEFAULT, 0);
                end_cell = base + (zero_line ? 1 : 0);
            }
            if (b->value_w) {
                char buf[CHART_LABEL_MAX];
                bar_value_text(cx, v, buf, sizeof buf);
                draw_text(cx, b->bars.x + end_cell + 1, y, b->value_w - 1 + W - end_cell, buf, ink(), TERM_ATTR_DIM);
            }
        }
    }
    if (b->axis_row >= 0) {
        for (int x = 0; x < W; x++) put_ink(cx, b->bars.x + x, b->axis_row, gl->hline, TERM_ATTR_DIM);
        for (int i = 0; i < b->ys.n; i++) {
            put_ink(cx, hbar_col(b, b->ys.tick[i]), b->axis_row, gl->xtick, TERM_ATTR_DIM);
            if (b->xshow[i]) draw_text(cx, b->xstart[i], b->ticks_row, CHART_LABEL_MAX, b->ys.label[i], ink(), 0);
        }
    }
}

/* The part of a label before its first '.' ("0" of "0.attn.w_o", "wte"):
 * what names a group of bars when each bar's own label does not fit. */
static int label_group(const char *l)
{
    const char *dot = strchr(l, '.');
    return dot ? (int)(dot - l) : (int)strlen(l);
}

/* Vertical bars in an XY frame: every category gets the same width, bars the
 * same gap (so no bar looks holed next to a wider one), centred in the plot;
 * guides run across the bars; labels name each bar where they fit, else the
 * groups (block numbers) where a group starts. */
static void draw_vbars(const Ctx *cx, const Chart *c, const XY *f)
{
    int ns = bar_series(c), nb = c->nbars > 0 ? c->nbars : 1, H = f->plot.h;
    int base = bar_base(&f->ys, H), bottom = f->plot.y + H - 1, zero = bottom - base; /* first row above 0 */
    int fine = cx->unicode && (cx->mode != TERM_COLOR_NONE || ns == 1);
    int maxlab = 0;
    for (int k = 0; k < c->nbars; k++) {
        int l = text_len(cx, c->bar_labels[k]);
        if (l > maxlab) maxlab = l;
    }
    if (maxlab > 12) maxlab = 12;
    /* The zero line, an upper eighth on the first row below 0: on the boundary itself. */
    if (cx->unicode && !f->ys.log && f->ys.lo < 0 && f->ys.hi > 0 && base > 0 && base < H)
        for (int x = f->plot.x; x < f->plot.x + f->plot.w; x++) put_ink(cx, x, zero + 1, "\u2594", TERM_ATTR_DIM);
    int bw = f->plot.w / nb;
    if (bw < 1) bw = 1;
    int gap = bw >= 2 ? 1 : 0, sw = (bw - gap) / ns;
    if (sw < 1) sw = 1;
    int left = f->plot.x + (f->plot.w - bw * nb) / 2;
    double band = bw;
    int stride = chart_label_stride(band, maxlab + 1);
    for (int k = 0; k < c->nbars; k++) {
        int x0 = left + k * bw;
        int start = x0 + (bw - gap - sw * ns) / 2;
        for (int s = 0; s < c->nseries; s++) {
            double v = c->series[s].y[k];
            if (!isfinite(chart_scale_pos(&f->ys, v))) continue;
            TermColor col = data_color(cx, chart_palette(c->series[s].color));
            const char *fill = bar_fill(cx, c, s);
            long len = bar_eighths(&f->ys, v, H, fine);
            int full = (int)((len >= 0 ? len : -len) / 8), rem = (int)((len >= 0 ? len : -len) % 8);
            for (int xx = start + s * sw; xx < start + (s + 1) * sw && xx < f->plot.x + f->plot.w; xx++) {
                if (len >= 0) {
                    for (int i = 0; i < full; i++) put(cx, xx, zero - i, fill, col, TCANVAS_DEFAULT, 0);
                    if (rem) put(cx, xx, zero - full, EIGHTH_V[rem], col, TCANVAS_DEFAULT, 0);
                } else {
                    for (int i = 1; i <= full; i++) put(cx, xx, zero + i, fill, col, TCANVAS_DEFAULT, 0);
                    if (rem >= 4) put(cx, xx, zero + full + 1, UPPER_HALF, col, TCANVAS_DEFAULT, 0);
                }
            }
            /* The value just beyond the bar's end when it fits over the bar. */
            char buf[CHART_LABEL_MAX];
            bar_value_text(cx, v, buf, sizeof buf);
            int l = text_len(cx, buf), room = ns == 1 ? bw - 1 : sw - 1;
            int row = len >= 0 ? zero - full - (rem ? 1 : 0) : zero + full + (rem >= 4 ? 1 : 0) + 1;
            if (l <= room && row >= f->plot.y && row <= bottom && c->nbars * ns <= 40 && H >= 6)
                draw_text(cx, start + s * sw + (sw - l) / 2, row, l, buf, ink(), TERM_ATTR_DIM);
        }
    }
    /* Guides: a dashed line across the plot, over the bars too (drawn in the
     * bar's colour as background there), labelled at its right end. */
    for (int g = 0; g < c->nguides; g++) {
        double p = chart_scale_pos(&f->ys, c->guides[g].y);
        if (!isfinite(p) || p < 0 || p > 1) continue;
        int row = tick_row(f, c->guides[g].y);   /* level with the axis tick of the same value */
        for (int x = f->plot.x; x < f->plot.x + f->plot.w; x++) {
            TermCell *cell = tcanvas_cell(cx->cv, x, row);
            int on_bar = cell && strcmp(cell->ch, " ") && strcmp(cell->ch, "");
            const char *dash = cx->unicode ? "\u254c" : "-";
            if (on_bar && cx->mode != TERM_COLOR_NONE) put(cx, x, row, dash, ink(), cell->fg, TERM_ATTR_BOLD);
            else if (!on_bar) put_ink(cx, x, row, dash, TERM_ATTR_DIM);
        }
        int l = text_len(cx, c->guides[g].label);
        if (row - 1 >= f->plot.y && l < f->plot.w)
            draw_text(cx, f->plot.x + f->plot.w - l, row - 1, l, c->guides[g].label, ink(), TERM_ATTR_DIM);
    }
    if (f->ticks_row < 0) return;
    if (stride == 1) {
        for (int k = 0; k < c->nbars; k++) {
            int l = text_len(cx, c->bar_labels[k]);
            if (l > bw - 1) l = bw - 1 > 0 ? bw - 1 : 1;
            draw_text(cx, left + k * bw + (bw - gap - l) / 2, f->ticks_row, l, c->bar_labels[k], ink(), 0);
        }
        return;
    }
    int next_free = f->r.x;
    for (int k = 0; k < c->nbars; k++) {
        const char *lab = c->bar_labels[k];
        int gl = label_group(lab);
        if (k > 0 && gl == label_group(c->bar_labels[k - 1]) && !strncmp(lab, c->bar_labels[k - 1], (size_t)gl)) continue;
        char grp[CHART_LABEL_MAX];
        snprintf(grp, sizeof grp, "%.*s", gl < CHART_LABEL_MAX - 1 ? gl : CHART_LABEL_MAX - 1, lab);
        int l = text_len(cx, grp), x = left + k * bw;
        if (x < next_free || x + l > f->r.x + f->r.w) continue;
        draw_text(cx, x, f->ticks_row, l, grp, ink(), 0);
        next_free = x + l + 1;
    }
}

static void draw_bar(const Ctx *cx, const Chart *c, Rect r, const Opts *o)
{
    int want_legend = o->legend && bar_legend(c);
    int header = c->title[0] || c->subtitle[0] || want_legend;
    HBar hb;
    if (hbar_plan(cx, c, r, header, &hb) == 0) {
        draw_header_legend(cx, c, r, hb.title_row, want_legend, o);
        draw_hbars(cx, c, &hb);
        return;
    }
    XY f;
    if (xy_plan(cx, c, r, header, &f) != 0) {
        if (r.h >= 1) draw_header(cx, c, r, r.y, 0, o);
        return;
    }
    draw_header_legend(cx, c, r, f.title_row, want_legend, o);
    draw_axes(cx, c, &f);
    draw_vbars(cx, c, &f);
}

/* ---- heatmaps ------------------------------------------------------------------ */

typedef struct HM {
    Rect r;
    int  title_row, ylabel_row, collab_row, xlabel_row;
    Rect m;                 /* the matrix, in cells */
    int  pw, ph;            /* data units across and down */
    int  yres;              /* 2: half blocks; 1: one unit a cell */
    int  ramp;              /* density glyphs instead of colour */
    int  rl_w;              /* row label width, 0: none */
    int  cb_x, cb_lab_w;    /* colour bar (cb_x < 0: none) */
    double lo, hi;
    ChartCmap cmap;
    ChartScale vs;
    const Chart *key;       /* categories: a key of swatches in place of the bar */
} HM;

/* Units n data cells get in `avail` units: a whole number each when that
 * wastes at most a quarter of the room (even cells read better), else all. */
static int fit_units(int avail, int n)
{
    if (n <= 0 || avail < n) return avail;
    int even = avail / n * n;
    return even * 4 >= avail * 3 ? even : avail;
}

/* The colour bar's scale for a bar `rows` cells tall; returns the width the bar
 * and its labels take, gap before it included. */
static int cbar_row(const ChartScale *s, double v, int rows)
{
    return (int)lround((1 - chart_scale_pos(s, v)) * (rows - 1));
}

static int cbar_setup(const Ctx *cx, const Chart *value_src, int rows, HM *h)
{
    /* As on y axes: a blank row between labels if it leaves at least three. */
    for (int need = 2; need >= 1; need--) {
        int mt = rows / 2 + 1, ok = 0;
        if (mt > 6) mt = 6;
        for (; mt >= 2 && !ok; mt--) {
            chart_scale(value_src, CHART_AXIS_VALUE, mt, cx->flags, &h->vs);
            ok = 1;
            for (int i = 1; i < h->vs.n; i++)
                ok &= cbar_row(&h->vs, h->vs.tick[i - 1], rows) - cbar_row(&h->vs, h->vs.tick[i], rows) >= need;
        }
        if (ok && (h->vs.n >= 3 || need == 1)) break;
    }
    h->cb_lab_w = 0;
    for (int i = 0; i < h->vs.n; i++) {
        int l = text_len(cx, h->vs.label[i]);
        if (l > h->cb_lab_w) h->cb_lab_w = l;
    }
    const Chart *k = chart_value_source(value_src);
    h->key = k && k->nkeys ? k : NULL;
    if (h->key) {
        h->cb_lab_w = 0;
        for (int i = 0; i < k->nkeys; i++) {
            int l = text_len(cx, k->key_labels[i]);
            if (l > h->cb_lab_w) h->cb_lab_w = l;
        }
    }
    return 2 + 2 + 1 + h->cb_lab_w;
}

static int hm_plan(const Ctx *cx, const Chart *c, const Chart *value_src, Rect r, int header, int colorbar,
                   int centre, HM *h)
{
    memset(h, 0, sizeof *h);
    h->r = r;
    h->title_row = h->ylabel_row = h->collab_row = h->xlabel_row = h->cb_x = -1;
    h->ramp = cx->mode == TERM_COLOR_NONE;
    h->yres = cx->unicode && !h->ramp ? 2 : 1;
    int top = r.y, bottom = r.y + r.h;
    if (header && r.h >= 3) h->title_row = top++;
    if (c->xlabel[0] && bottom - top >= 8) h->xlabel_row = --bottom;
    if (c->col_labels && bottom - top >= 4) h->collab_row = --bottom;
    if (c->ylabel[0] && bottom - top >= 10) h->ylabel_row = top++;
    int avail_h = bottom - top;
    if (avail_h < 1 || r.w < 2 || c->rows <= 0 || c->cols <= 0) return -1;

    if (chart_value_range(value_src, &h->lo, &h->hi, &h->cmap) != 0) chart_value_range(c, &h->lo, &h->hi, &h->cmap);
    int cb_w = colorbar && r.w >= 20 && avail_h >= 2 ? cbar_setup(cx, value_src, avail_h, h) : 0;
    if (c->row_labels && r.w >= 16) {
        for (int i = 0; i < c->rows; i++) {
            int l = text_len(cx, c->row_labels[i]);
            if (l > h->rl_w) h->rl_w = l;
        }
        if (h->rl_w > 12) h->rl_w = 12;
        if (h->rl_w > r.w / 4) h->rl_w = r.w / 4;
    }
    int left = h->rl_w ? h->rl_w + 1 : 0;
    int PX = r.w - left - cb_w, PY = avail_h * h->yres;
    if (PX < 1 && cb_w) {
        cb_w = 0;
        PX = r.w - left;
    }
    if (PX < 1) return -1;
    if (cb_w == 0) h->vs.n = 0;

    /* Square units for square matrices (attention maps): a half block is as
     * wide as it is tall, a whole cell twice as tall as wide. */
    int q = 2 / h->yres;
    /* With half blocks, an odd number of units a row leaves rows straddling
     * cells, so their labels cannot sit level with them: labelled rows get an
     * even number. */
    int even_rows = h->rl_w > 0 && h->yres == 2;
    if (c->rows == c->cols) {
        if (c->cols * q <= PX && c->rows <= PY) {
            int k = PX / (c->cols * q) < PY / c->rows ? PX / (c->cols * q) : PY / c->rows;
            if (even_rows && k > 1 && k % 2) k--;
            h->pw = k * q * c->cols;
            h->ph = k * c->rows;
        } else {
            h->ph = PY < PX / q ? PY : PX / q;
            if (h->ph < 1) h->ph = 1;
            h->pw = h->ph * q;
        }
        /* Every key labelled where the width allows: wider units than square
         * rather than every other label (attention maps of short sequences). */
        if (c->col_labels) {
            int maxl = 0;
            for (int j = 0; j < c->cols; j++) {
                int l = text_len(cx, c->col_labels[j]);
                if (l > maxl) maxl = l;
            }
            if (h->pw < c->cols * (maxl + 2) && c->cols * (maxl + 2) <= PX) h->pw = c->cols * (maxl + 2);
        }
    } else {
        h->pw = fit_units(PX, c->cols);
        h->ph = fit_units(PY, c->rows);
        int k = h->ph / c->rows;
        if (even_rows && h->ph % c->rows == 0 && k > 1 && k % 2) h->ph = (k - 1) * c->rows;
    }
    /* Small multiples sit centred in their cells, so titles line up over them. */
    int shift = centre ? (r.w - left - h->pw - cb_w) / 2 : 0;
    h->m = (Rect){r.x + shift + left, top, h->pw, (h->ph + h->yres - 1) / h->yres};
    if (cb_w) {
        h->cb_x = h->m.x + h->m.w + 2;
        cbar_setup(cx, value_src, h->m.h, h); /* ticks for the bar's real height */
    }
    /* Labels hug the matrix when it came out shorter than the room. */
    int below = h->m.y + h->m.h;
    if (h->collab_row >= 0) h->collab_row = below++;
    if (h->xlabel_row >= 0) h->xlabel_row = below;
    return 0;
}

/* The data cells unit u of n covers along an axis of `cells` data cells: the
 * one under its centre when units are no larger than cells (never a blend of
 * two neighbours, which would be a colour the data do not have), else all
 * the cells it spans. */
static void unit_span(int u, int n, int cells, int *a, int *b)
{
    if (n >= cells) {
        *a = *b = (int)(((2L * u + 1) * cells) / (2L * n));
        return;
    }
    *a = (int)((long)u * cells / n);
    *b = (int)((((long)u + 1) * cells - 1) / n);
}

/* The mean of the data cells unit (px, py) covers; NaN when all are masked or not finite. */
static double hm_unit(const Chart *c, const HM *h, int px, int py)
{
    int j0, j1, i0, i1;
    unit_span(px, h->pw, c->cols, &j0, &j1);
    unit_span(py, h->ph, c->rows, &i0, &i1);
    double sum = 0;
    int n = 0;
    for (int i = i0; i <= i1 && i < c->rows; i++)
        for (int j = j0; j <= j1 && j < c->cols; j++) {
            size_t k = (size_t)i * c->cols + j;
            if ((c->mask && c->mask[k]) || !isfinite(c->values[k])) continue;
            sum += c->values[k];
            n++;
        }
    return n ? sum / n : NAN;
}

static ChartRGB unit_rgb(const HM *h, double v)
{
    if (isnan(v)) return TERM_CHART_MASK_RGB;
    return chart_cmap(h->cmap, (v - h->lo) / (h->hi - h->lo));
}

static const char *ramp_glyph(double t, char out[2])
{
    int k = isnan(t) ? 0 : (int)floor(t * NRAMP);
    if (k < 0) k = 0;
    if (k >= NRAMP) k = NRAMP - 1;
    out[0] = RAMP[k];
    out[1] = '\0';
    return out;
}

/* One cell of colour from t_up (and t_lo for half blocks); NaN: masked. */
static void put_shade(const Ctx *cx, const HM *h, int x, int y, ChartRGB up, ChartRGB lo, int has_lo, double t)
{
    char g[2];
    if (h->ramp) put_ink(cx, x, y, isnan(t) ? " " : ramp_glyph(t, g), 0);
    else if (h->yres == 2) put(cx, x, y, UPPER_HALF, tcanvas_rgb(up), has_lo ? tcanvas_rgb(lo) : TCANVAS_DEFAULT, 0);
    else put(cx, x, y, " ", ink(), tcanvas_rgb(up), 0);
}

static void draw_colorbar(const Ctx *cx, const HM *h, int x, int y, int rows)
{
    if (rows < 1) return;
    if (h->key) {
        /* Categories: a swatch and its name per row, as many as fit. */
        for (int i = 0; i < h->key->nkeys && i < rows; i++) {
            double t = chart_scale_pos(&h->vs, h->key->key_values[i]);
            ChartRGB c = chart_cmap(h->cmap, t);
            for (int k = 0; k < 2; k++) put_shade(cx, h, x + k, y + i, c, c, 1, t);
            draw_text(cx, x + 3, y + i, h->cb_lab_w, h->key->key_labels[i], ink(), 0);
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        double tu, tl;
        if (h->yres == 2) {
            tu = 1 - (2 * r + 0.5) / (2.0 * rows);
            tl = 1 - (2 * r + 1.5) / (2.0 * rows);
        } else {
            tu = tl = 1 - (r + 0.5) / rows;
        }
        for (int k = 0; k < 2; k++)
            put_shade(cx, h, x + k, y + r, chart_cmap(h->cmap, tu), chart_cmap(h->cmap, tl), 1, tu);
    }
    int last = FAR_LEFT;
    for (int i = h->vs.n - 1; i >= 0; i--) {
        double p = chart_scale_pos(&h->vs, h->vs.tick[i]);
        int row = y + cbar_row(&h->vs, h->vs.tick[i], rows);
        if (row <= last || !isfinite(p)) continue;
        draw_text(cx, x + 3, row, h->cb_lab_w, h->vs.label[i], ink(), 0);
        last = row;
    }
}

static void draw_heatmap(const Ctx *cx, const Chart *c, Rect r, const Opts *o)
{
    HM h;
    const Chart *src = o->value_src ? o->value_src : c;
    int header = c->title[0] || c->subtitle[0] || (c->value_label[0] && o->colorbar);
    if (hm_plan(cx, c, src, r, header, o->colorbar, o->panel, &h) != 0) {
        if (r.h >= 1) draw_header(cx, c, r, r.y, 0, o);
        if (r.h >= 2 && (c->rows <= 0 || c->cols <= 0))
            draw_text(cx, r.x, r.y + 1, r.w, "no data", ink(), TERM_ATTR_DIM);
        return;
    }
    if (h.title_row >= 0) {
        /* The colour bar's caption above it, or at the right end, if the title leaves room. */
        int vl = h.cb_x >= 0 ? text_len(cx, c->value_label) : 0;
        int tl = text_len(cx, c->title), vx = h.cb_x;
        if (vx + vl > r.x + r.w) vx = r.x + r.w - vl;
        if (vl > 0 && r.x + tl + 2 <= vx) {
            draw_header(cx, c, r, h.title_row, r.x + r.w - vx, o);
            draw_text(cx, vx, h.title_row, vl, c->value_label, ink(), TERM_ATTR_DIM);
        } else {
            draw_header(cx, c, r, h.title_row, 0, o);
        }
    }
    for (int cy = 0; cy < h.m.h; cy++)
        for (int cxl = 0; cxl < h.m.w; cxl++) {
            int py = cy * h.yres;
            double vu = hm_unit(c, &h, cxl, py);
            int has_lo = h.yres == 2 && py + 1 < h.ph;
            double vl = has_lo ? hm_unit(c, &h, cxl, py + 1) : NAN;
            put_shade(cx, &h, h.m.x + cxl, h.m.y + cy, unit_rgb(&h, vu), unit_rgb(&h, vl), has_lo,
                      isnan(vu) ? NAN : (vu - h.lo) / (h.hi - h.lo));
        }
    /* Row labels at the cell row holding each labelled row's middle. */
    if (h.rl_w && c->row_labels) {
        int stride = chart_label_stride((double)h.ph / c->rows / h.yres, 1), last = FAR_LEFT;
        for (int i = 0; i < c->rows; i += stride) {
            int row = h.m.y + (int)(((2L * i + 1) * h.ph) / (2L * c->rows)) / h.yres;
            if (row <= last) continue;
            int l = text_len(cx, c->row_labels[i]);
            if (l > h.rl_w) l = h.rl_w;
            draw_text(cx, h.m.x - 1 - l, row, l, c->row_labels[i], ink(), 0);
            last = row;
        }
    }
    if (h.collab_row >= 0 && c->col_labels) {
        int maxl = 0;
        for (int j = 0; j < c->cols; j++) {
            int l = text_len(cx, c->col_labels[j]);
            if (l > maxl) maxl = l;
        }
        if (maxl > 8) maxl = 8;
        double cw = (double)h.pw / c->cols;
        int stride = chart_label_stride(cw, maxl + 2), prev_end = FAR_LEFT;
        int room = (int)(stride * cw) - 1;
        if (room < 1) room = 1;
        for (int j = 0; j < c->cols; j += stride) {
            int l = text_len(cx, c->col_labels[j]);
            if (l > room) l = room;
            int centre = h.m.x + (int)(((2L * j + 1) * h.pw) / (2L * c->cols));
            int s = centre - (l - 1) / 2;
            if (s + l > r.x + r.w) s = r.x + r.w - l;
            if (s < r.x) s = r.x;
            if (s < prev_end + 1) continue;
            draw_text(cx, s, h.collab_row, l, c->col_labels[j], ink(), 0);
            prev_end = s + l;
        }
    }
    if (h.xlabel_row >= 0) {
        int l = text_len(cx, c->xlabel);
        int s = h.m.x + (h.m.w - l) / 2;
        if (s < r.x) s = r.x;
        draw_text(cx, s, h.xlabel_row, r.x + r.w - s, c->xlabel, ink(), TERM_ATTR_DIM);
    }
    if (h.ylabel_row >= 0) {
        int x = h.m.x - (h.rl_w ? h.rl_w + 1 : 0);
        draw_text(cx, x, h.ylabel_row, r.x + r.w - x, c->ylabel, ink(), TERM_ATTR_DIM);
    }
    if (h.cb_x >= 0) draw_colorbar(cx, &h, h.cb_x, h.m.y, h.m.h);
}

/* ---- grids ----------------------------------------------------------------------- */

static void draw_one(const Ctx *cx, const Chart *c, Rect r, const Opts *o);

static void draw_grid(const Ctx *cx, const Chart *g, Rect r)
{
    Opts top = {0, 1, 1, g};
    int shared = chart_grid_shared_legend(g);
    const Chart *hm0 = NULL;
    for (int k = 0; k < g->npanels && !hm0; k++)
        if (g->panels[k]->kind == CHART_HEATMAP) hm0 = g->panels[k];
    int header = (g->title[0] || g->subtitle[0] || shared) && r.h >= 4;
    Rect area = r;
    if (header) {
        area.y++;
        area.h--;
    }
    if (g->npanels == 0) {
        if (header) draw_header(cx, g, r, r.y, 0, &top);
        if (area.h >= 1) draw_text(cx, area.x, area.y, area.w, "no panels", ink(), TERM_ATTR_DIM);
        return;
    }
    /* One colour bar at the right for every heatmap panel, on one shared range. */
    HM bar;
    memset(&bar, 0, sizeof bar);
    int cb_w = 0, cb_y = area.y + (area.h >= 6 ? 1 : 0), cb_h = area.y + area.h - cb_y - (area.h >= 6 ? 1 : 0);
    if (hm0 && hm0->nkeys && cb_h < hm0->nkeys) {   /* a key takes every row it may */
        cb_y = area.y;
        cb_h = area.h;
    }
    if (hm0 && (r.w >= 40 || (hm0->nkeys && r.w >= 30)) && cb_h >= 2) {   /* a key is narrow */
        bar.ramp = cx->mode == TERM_COLOR_NONE;
        bar.yres = cx->unicode && !bar.ramp ? 2 : 1;
        chart_value_range(g, &bar.lo, &bar.hi, &bar.cmap);
        cb_w = cbar_setup(cx, g, cb_h, &bar);
    }
    if (header) {
        int lw = shared ? legend_width(cx, g->panels[0]) : 0;
        int vl = cb_w ? text_len(cx, hm0->value_label) : 0;
        int right = lw ? lw : vl;
        if (right && text_len(cx, g->title) + 2 + right > r.w) right = 0;
        draw_header(cx, g, r, r.y, right, &top);
        if (right && lw) draw_legend_row(cx, g->panels[0], r.x + r.w - lw, r.y);
        else if (right) draw_text(cx, r.x + r.w - vl, r.y, vl, hm0->value_label, ink(), TERM_ATTR_DIM);
    }
    int usable_w = area.w - cb_w;
    int rows, cols;
    double aspect = (double)usable_w / (2.0 * (area.h > 0 ? area.h : 1));
    if (!hm0) aspect /= 1.4; /* plots like to be wider than tall */
    chart_grid_shape(g, aspect, &rows, &cols);
    int gap_x = 2, gap_y = area.h >= rows * 9 ? 1 : 0;
    int cw = (usable_w - (cols - 1) * gap_x) / cols, ch = (area.h - (rows - 1) * gap_y) / rows;
    if (cw < 1 || ch < 1) return;
    Opts po = {1, !shared, 0, g};
    for (int k = 0; k < g->npanels; k++) {
        Rect cell = {area.x + (k % cols) * (cw + gap_x), area.y + (k / cols) * (ch + gap_y), cw, ch};
        draw_one(cx, g->panels[k], cell, &po);
    }
    if (cb_w) draw_colorbar(cx, &bar, r.x + r.w - cb_w + 2, cb_y, cb_h);
}

static void draw_one(const Ctx *outer, const Chart *c, Rect r, const Opts *o)
{
    Ctx inner = *outer, *cx = &inner;
    inner.clip = r;
    switch (c->kind) {
    case CHART_LINE: draw_line(cx, c, r, o); break;
    case CHART_BAR: draw_bar(cx, c, r, o); break;
    case CHART_HEATMAP: draw_heatmap(cx, c, r, o); break;
    case CHART_GRID: draw_grid(cx, c, r); break;
    }
}

/* ---- entry points ------------------------------------------------------------------ */

static const TermStyle DEFAULT_STYLE = {1, TERM_COLOR_256, 0, 0, 0};

static Ctx make_ctx(TermCanvas *cv, const TermStyle *st)
{
    Ctx cx = {cv, st->unicode != 0, st->color, st->unicode ? 0u : CHART_TEXT_ASCII, {0, 0, 0, 0}};
    return cx;
}

int term_chart_draw(const Chart *c, TermCanvas *cv, int x, int y, int w, int h, const TermStyle *st)
{
    if (!c || !cv || w <= 0 || h <= 0) return -1;
    if (!st) st = &DEFAULT_STYLE;
    Ctx cx = make_ctx(cv, st);
    Rect r = {x, y, w, h};
    tcanvas_fill(cv, x, y, w, h, " ", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    Chart v = view_of(c, st);
    Opts o = {0, 1, 1, NULL};
    draw_one(&cx, &v, r, &o);
    return 0;
}

int term_chart_frame(const Chart *c, int x, int y, int w, int h, const TermStyle *st, TermChartFrame *f)
{
    memset(f, 0, sizeof *f);
    if (!c || w <= 0 || h <= 0 || c->kind == CHART_GRID) return -1;
    if (!st) st = &DEFAULT_STYLE;
    Ctx cx = make_ctx(NULL, st);
    Rect r = {x, y, w, h};
    Chart v = view_of(c, st);
    if (c->kind == CHART_HEATMAP) {
        HM hm;
        int header = c->title[0] || c->subtitle[0] || c->value_label[0];
        if (hm_plan(&cx, &v, &v, r, header, 1, 0, &hm) != 0) return -1;
        f->x = hm.m.x;
        f->y = hm.m.y;
        f->w = hm.m.w;
        f->h = hm.m.h;
        f->xres = 1;
        f->yres = hm.yres;
        f->dots_w = hm.pw;
        f->dots_h = hm.ph;
        f->ys = hm.vs;
        return 0;
    }
    int want_legend = c->kind == CHART_BAR ? bar_legend(&v) : legend_count(&v) > 0;
    int header = c->title[0] || c->subtitle[0] || want_legend;
    if (c->kind == CHART_BAR) {
        HBar hb;
        if (hbar_plan(&cx, &v, r, header, &hb) == 0) {
            f->x = hb.bars.x;
            f->y = hb.bars.y;
            f->w = hb.bars.w;
            f->h = hb.bars.h;
            f->xres = cx.unicode ? 8 : 1;
            f->yres = 1;
            f->dots_w = f->w * f->xres;
            f->dots_h = f->h;
            f->horizontal = 1;
            f->ys = hb.ys;
            return 0;
        }
    }
    XY xy;
    if (xy_plan(&cx, &v, r, header, &xy) != 0) return -1;
    f->x = xy.plot.x;
    f->y = xy.plot.y;
    f->w = xy.plot.w;
    f->h = xy.plot.h;
    f->xres = xy.xres;
    f->yres = xy.yres;
    f->dots_w = f->w * f->xres;
    f->dots_h = f->h * f->yres;
    if (c->kind == CHART_LINE) f->xs = xy.xs;
    f->ys = xy.ys;
    return 0;
}
