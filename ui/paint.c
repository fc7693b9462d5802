/* paint.c — chart layout: margins measured from the real text, ticks placed so
 * labels never collide, a legend put where it hides the least data, heatmaps with
 * their labels and colour bar. Draws only through a ChartPainter (paint.h). */
#include "paint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Ink. Text is near-black, frames mid-grey, grid lines barely there: the data
 * should be the darkest, most saturated thing on the page. */
static const ChartRGB INK = {28, 28, 28};
static const ChartRGB INK_AXIS = {68, 68, 68};
static const ChartRGB INK_MUTED = {105, 105, 105};
static const ChartRGB GRID_MAJOR = {228, 228, 228};
static const ChartRGB GRID_MINOR = {242, 242, 242};
static const ChartRGB LEGEND_EDGE = {200, 200, 200};
static const ChartRGB GUIDE = {120, 120, 120};
static const ChartRGB WHITE = {255, 255, 255};

#define PAD 18.0        /* figure edge to content */
#define TICK 5.0        /* tick mark length */
#define TICK_GAP 4.0    /* tick mark to its label */
#define LINE_W 2.0      /* data line width */
#define DASH 7.0        /* dash and gap of a CHART_STYLE_DASHED line */
#define MARKER_W 7.0    /* diameter of a CHART_STYLE_MARKERS point */

typedef struct Box {
    double x, y, w, h;
} Box;

static double font_h(ChartFont f) { return chart_font_ascent(f) + chart_font_descent(f); }
static double tw(ChartFont f, const char *s) { return chart_text_width(f, s); }
/* Baseline that centres a line of digits/capitals on y. */
static double mid_baseline(ChartFont f, double y) { return y + 0.36 * chart_font_px(f); }

static void text(ChartPainter *p, double x, double y, const char *s, ChartFont f, ChartRGB c, PaintAlign a)
{
    if (s && *s) p->text(p, x, y, s, f, c, a, 0);
}

static void vtext(ChartPainter *p, double x, double y, const char *s, ChartFont f, ChartRGB c, PaintAlign a)
{
    if (s && *s) p->text(p, x, y, s, f, c, a, 1);
}

static void seg(ChartPainter *p, double x0, double y0, double x1, double y1, double w, ChartRGB c)
{
    double xy[4] = {x0, y0, x1, y1};
    p->polyline(p, xy, 2, w, c, 0);
}

static void outline(ChartPainter *p, Box b, ChartRGB c)
{
    double x0 = b.x + 0.5, y0 = b.y + 0.5, x1 = b.x + b.w - 0.5, y1 = b.y + b.h - 0.5;
    double xy[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    p->polyline(p, xy, 5, 1, c, 0);
}

/* Copies s into buf, cut with an ellipsis so it is at most maxw px wide. */
static const char *fit(const char *s, ChartFont f, double maxw, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s);
    if (tw(f, buf) <= maxw) return buf;
    size_t n = strlen(buf);
    while (n > 0) {
        do n--; while (n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80); /* whole UTF-8 chars */
        if (n + 4 > size) continue;
        memcpy(buf + n, "\xe2\x80\xa6", 4);
        if (tw(f, buf) <= maxw) return buf;
    }
    return "";
}

/* ---- header ---------------------------------------------------------------- */

/* Figure title and subtitle, left-aligned at the top of b; returns the height
 * they take, including the space before the content. */
static double header_height(const Chart *c)
{
    double h = PAD;
    if (*c->title) h += font_h(CHART_FONT_TITLE);
    if (*c->subtitle) h += (*c->title ? 2 : 0) + font_h(CHART_FONT_BODY);
    return h + ((*c->title || *c->subtitle) ? 14 : 0);
}

static void paint_header(const Chart *c, ChartPainter *p, Box b)
{
    char buf[512];
    double y = b.y + PAD, maxw = b.w - 2 * PAD;
    if (*c->title) {
        text(p, b.x + PAD, y + chart_font_ascent(CHART_FONT_TITLE),
             fit(c->title, CHART_FONT_TITLE, maxw, buf, sizeof buf), CHART_FONT_TITLE, INK, PAINT_LEFT);
        y += font_h(CHART_FONT_TITLE) + 2;
    }
    if (*c->subtitle)
        text(p, b.x + PAD, y + chart_font_ascent(CHART_FONT_BODY),
             fit(c->subtitle, CHART_FONT_BODY, maxw, buf, sizeof buf), CHART_FONT_BODY, INK_MUTED, PAINT_LEFT);
}

/* A panel's own title inside a grid: small, centred over its plot. */
static void paint_panel_title(const Chart *c, ChartPainter *p, double cx, double y_bottom, double maxw)
{
    char buf[256];
    if (!*c->title) return;
    text(p, cx, y_bottom - chart_font_descent(CHART_FONT_BODY) - 4,
         fit(c->title, CHART_FONT_BODY, maxw, buf, sizeof buf), CHART_FONT_BODY, INK, PAINT_CENTER);
}

/* ---- axes: line and bar charts -------------------------------------------- */

typedef struct Frame {
    Box plot;
    ChartScale xs, ys;
    int bars_vertical;      /* bar category labels turned 90° */
    int bar_stride;         /* label every k-th category */
    double bar_label_h;     /* room the category labels take */
    Box glabel[8];          /* where each guide's label goes (w == 0: not shown) */
} Frame;

static double fx(const Frame *f, double v) { return f->plot.x + chart_scale_pos(&f->xs, v) * f->plot.w; }
static double fy(const Frame *f, double v) { return f->plot.y + f->plot.h - chart_scale_pos(&f->ys, v) * f->plot.h; }

static double max_label_w(const ChartScale *s)
{
    double w = 0;
    for (int i = 0; i < s->n; i++) w = fmax(w, tw(CHART_FONT_BODY, s->label[i]));
    return w;
}

/* Smallest distance between neighbouring x ticks, in px, for a given plot width. */
static double min_tick_gap(const ChartScale *s, double width)
{
    double g = INFINITY;
    for (int i = 1; i < s->n; i++)
        g = fmin(g, (chart_scale_pos(s, s->tick[i]) - chart_scale_pos(s, s->tick[i - 1])) * width);
    return g;
}

/* X ticks as many as fit with a comfortable gap between their labels. */
static void fit_x_scale(const Chart *c, double width, ChartScale *s)
{
    int max_ticks = (int)(width / 70);
    if (max_ticks < 2) max_ticks = 2;
    if (max_ticks > 12) max_ticks = 12;
    for (; max_ticks >= 2; max_ticks--) {
        chart_scale(c, CHART_AXIS_X, max_ticks, 0, s);
        if (s->n < 2 || min_tick_gap(s, width) >= max_label_w(s) + 24) return;
    }
}

static int bar_count(const Chart *c) { return c->nbars > 0 ? c->nbars : 1; }

/* How bar category labels go: horizontal if each fits its band, else turned
 * 90° (if the band is at least a text line tall), thinned to every k-th. */
static void plan_bar_labels(const Chart *c, double plot_w, double max_h, Frame *f)
{
    double band = plot_w / bar_count(c), maxw = 0;
    for (int i = 0; i < c->nbars; i++) maxw = fmax(maxw, tw(CHART_FONT_BODY, c->bar_labels[i]));
    f->bars_vertical = 0;
    f->bar_stride = 1;
    if (maxw <= band - 8) {
        f->bar_label_h = font_h(CHART_FONT_BODY);
        return;
    }
    f->bars_vertical = 1;
    f->bar_stride = chart_label_stride(band, font_h(CHART_FONT_BODY) + 2);
    f->bar_label_h = fmin(maxw, max_h);
}

/* Places the plot box inside area (already below the header): left margin from
 * the widest y label, bottom from the x labels, right_extra for an outside legend. */
static void layout_axes(const Chart *c, Box area, double right_extra, Frame *f)
{
    int bar = c->kind == CHART_BAR;
    double ylab = *c->ylabel ? font_h(CHART_FONT_BODY) + 10 : 0;
    double xlab = *c->xlabel ? font_h(CHART_FONT_BODY) + 8 : 0;
    double top = ceil(font_h(CHART_FONT_BODY) / 2);
    double bottom = xlab + TICK + TICK_GAP + font_h(CHART_FONT_BODY) + 2;

    for (int pass = 0; pass < 2; pass++) {
        double plot_h = area.h - top - bottom;
        int yt = (int)(plot_h / 60);
        chart_scale(c, CHART_AXIS_Y, yt < 3 ? 3 : yt > 10 ? 10 : yt, 0, &f->ys);
        double left = PAD + ylab + max_label_w(&f->ys) + TICK + TICK_GAP;
        double right = PAD + right_extra;
        if (!bar) {
            /* The last x label is centred on its tick and may hang past the plot. */
            fit_x_scale(c, area.w - left - right, &f->xs);
            double hang = f->xs.n ? tw(CHART_FONT_BODY, f->xs.label[f->xs.n - 1]) / 2 : 0;
            if (right_extra == 0 && hang > PAD) right = hang + 4;
        }
        f->plot.x = round(area.x + left);
        f->plot.y = round(area.y + top);
        f->plot.w = floor(area.w - left - right);
        f->plot.h = floor(area.h - top - bottom);
        if (!bar) {
            fit_x_scale(c, f->plot.w, &f->xs);
            break;
        }
        plan_bar_labels(c, f->plot.w, area.h * 0.3, f);
        bottom = xlab + TICK_GAP + 4 + f->bar_label_h + 2;
    }
    if (f->plot.w < 10) f->plot.w = 10;
    if (f->plot.h < 10) f->plot.h = 10;
}

/* ---- legend --------------------------------------------------------------- */

#define LEG_PAD 10.0
#define LEG_ROW 20.0
#define LEG_SWATCH 24.0

static int legend_entries(const Chart *c)
{
    int n = 0;
    for (int i = 0; i < c->nseries; i++) n += *c->series[i].name != '\0';
    return n;
}

static void legend_size(const Chart *c, double *w, double *h)
{
    double tmax = 0;
    for (int i = 0; i < c->nseries; i++)
        if (*c->series[i].name) tmax = fmax(tmax, tw(CHART_FONT_BODY, c->series[i].name));
    *w = ceil(LEG_PAD + LEG_SWATCH + 8 + fmin(tmax, 300) + LEG_PAD);
    *h = ceil(2 * (LEG_PAD - 3) + legend_entries(c) * LEG_ROW);
}

/* Coarse occupancy of the plot (8 px cells) by what the data draws, so the
 * legend can be put where it covers the least. */
#define OCC 8.0
typedef struct Occ {
    int w, h;
    uint8_t *cell;
} Occ;

static void occ_mark(Occ *o, const Frame *f, double x, double y)
{
    int i = (int)((x - f->plot.x) / OCC), j = (int)((y - f->plot.y) / OCC);
    if (i >= 0 && j >= 0 && i < o->w && j < o->h) o->cell[(size_t)j * o->w + i] = 1;
}

static void occ_segment(Occ *o, const Frame *f, double x0, double y0, double x1, double y1)
{
    double len = hypot(x1 - x0, y1 - y0);
    int n = (int)(len / 3) + 1;
    for (int k = 0; k <= n; k++) occ_mark(o, f, x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n);
}

static void bar_geometry(const Chart *c, const Frame *f, int cat, int s, double *x, double *w);

static void occ_build(const Chart *c, const Frame *f, Occ *o)
{
    o->w = (int)ceil(f->plot.w / OCC);
    o->h = (int)ceil(f->plot.h / OCC);
    o->cell = xcalloc((size_t)o->w * o->h, 1);
    if (c->kind == CHART_LINE) {
        for (int i = 0; i < c->nseries; i++) {
            const ChartSeries *s = &c->series[i];
            double px = NAN, py = NAN;
            for (int k = 0; k < s->n; k++) {
                double x = fx(f, s->x[k]), y = fy(f, s->y[k]);
                if (!isfinite(x) || !isfinite(y)) { px = NAN; continue; }
                if (isfinite(px)) occ_segment(o, f, px, py, x, y);
                else occ_mark(o, f, x, y);
                px = x;
                py = y;
            }
        }
    } else {
        double base = f->ys.log ? f->plot.y + f->plot.h : fy(f, 0);
        for (int s = 0; s < c->nseries; s++)
            for (int k = 0; k < c->nbars; k++) {
                double bx, bw, y = fy(f, c->series[s].y[k]);
                if (!isfinite(y)) continue;
                bar_geometry(c, f, k, s, &bx, &bw);
                /* The bar and its value label above it. */
                double top = fmin(y, base) - (c->series[s].y[k] >= 0 ? font_h(CHART_FONT_BODY) + 4 : 0);
                for (double yy = top; yy <= fmax(y, base); yy += OCC / 2)
                    for (double xx = bx; xx <= bx + bw; xx += OCC / 2) occ_mark(o, f, xx, yy);
            }
    }
}

static int occ_count(const Occ *o, const Frame *f, Box b)
{
    int i0 = (int)floor((b.x - 4 - f->plot.x) / OCC), i1 = (int)floor((b.x + b.w + 4 - f->plot.x) / OCC);
    int j0 = (int)floor((b.y - 4 - f->plot.y) / OCC), j1 = (int)floor((b.y + b.h + 4 - f->plot.y) / OCC);
    int n = 0;
    for (int j = j0 < 0 ? 0 : j0; j <= j1 && j < o->h; j++)
        for (int i = i0 < 0 ? 0 : i0; i <= i1 && i < o->w; i++) n += o->cell[(size_t)j * o->w + i];
    return n;
}

static void occ_box(Occ *o, const Frame *f, Box b)
{
    for (double y = b.y; y <= b.y + b.h; y += OCC / 2)
        for (double x = b.x; x <= b.x + b.w; x += OCC / 2) occ_mark(o, f, x, y);
}

/* Occupancy of the data, then a spot for each guide's label (above or below
 * its line, at the right or the left end, wherever covers the least data),
 * which then counts as occupied too, as does the guide line. */
static void plan_overlays(const Chart *c, Frame *f, Occ *o)
{
    occ_build(c, f, o);
    double ah = chart_font_ascent(CHART_FONT_BODY);
    for (int g = 0; g < c->nguides && g < 8; g++) {
        double y = fy(f, c->guides[g].y), lw = tw(CHART_FONT_BODY, c->guides[g].label);
        f->glabel[g] = (Box){0, 0, 0, 0};
        if (!isfinite(y) || y < f->plot.y - 1 || y > f->plot.y + f->plot.h + 1) continue;
        double xr = f->plot.x + f->plot.w - 6 - lw, xl = f->plot.x + 6;
        Box cand[4] = {{xr, y - 5 - ah, lw, ah}, {xl, y - 5 - ah, lw, ah}, {xr, y + 6, lw, ah}, {xl, y + 6, lw, ah}};
        int best = 0, bestn = 1 << 30;
        for (int i = 0; i < 4; i++) {
            if (cand[i].y < f->plot.y || cand[i].y + cand[i].h > f->plot.y + f->plot.h) continue;
            int n = occ_count(o, f, cand[i]);
            if (n < bestn) { bestn = n; best = i; }
        }
        if (lw > 0) f->glabel[g] = cand[best];
        occ_segment(o, f, f->plot.x, y, f->plot.x + f->plot.w, y);
        occ_box(o, f, f->glabel[g]);
    }
}

/* Best spot for a w x h legend inside the plot; returns its data overlap. */
static int legend_inside(const Frame *f, const Occ *o, double w, double h, Box *best)
{
    const double m = 10;
    const Box pl = f->plot;
    Box cand[6] = {
        {pl.x + pl.w - w - m, pl.y + m, w, h},          /* top right (preferred) */
        {pl.x + m, pl.y + m, w, h},                     /* top left */
        {pl.x + pl.w - w - m, pl.y + pl.h - h - m, w, h}, /* bottom right */
        {pl.x + m, pl.y + pl.h - h - m, w, h},          /* bottom left */
        {pl.x + (pl.w - w) / 2, pl.y + m, w, h},        /* top centre */
        {pl.x + (pl.w - w) / 2, pl.y + pl.h - h - m, w, h},
    };
    if (w + 2 * m > pl.w || h + 2 * m > pl.h) return 1 << 30;
    int bestn = 1 << 30;
    for (int i = 0; i < 6; i++) {
        int n = occ_count(o, f, cand[i]);
        if (n < bestn) { bestn = n; *best = cand[i]; }
    }
    return bestn;
}

/* A legend's sample of a line: its dashes and markers too. */
static void swatch(ChartPainter *p, const ChartSeries *s, double x, double y, ChartRGB col)
{
    double xy[4] = {x, y, x + LEG_SWATCH, y};
    p->polyline(p, xy, 2, LINE_W + 1, col, (s->style & CHART_STYLE_DASHED) ? DASH * 0.6 : 0);
    if (s->style & CHART_STYLE_MARKERS) {
        double mid[2] = {x + LEG_SWATCH / 2, y};
        p->polyline(p, mid, 1, MARKER_W, col, 0);
    }
}

static void paint_legend(const Chart *c, ChartPainter *p, Box b)
{
    char buf[256];
    p->rect(p, b.x, b.y, b.w, b.h, WHITE);
    outline(p, (Box){round(b.x), round(b.y), round(b.w), round(b.h)}, LEGEND_EDGE);
    double y = b.y + LEG_PAD - 3 + LEG_ROW / 2;
    for (int i = 0; i < c->nseries; i++) {
        const ChartSeries *s = &c->series[i];
        if (!*s->name) continue;
        ChartRGB col = chart_palette(s->color);
        double x = b.x + LEG_PAD;
        if (c->kind == CHART_BAR) p->rect(p, round(x + 4), round(y - 6), 16, 12, col);
        else swatch(p, s, x, round(y), col);
        text(p, x + LEG_SWATCH + 8, mid_baseline(CHART_FONT_BODY, y), fit(s->name, CHART_FONT_BODY, 300, buf, sizeof buf),
             CHART_FONT_BODY, INK, PAINT_LEFT);
        y += LEG_ROW;
    }
}

/* ---- line and bar charts ---------------------------------------------------- */

static void paint_grid_lines(const Chart *c, ChartPainter *p, const Frame *f)
{
    const Box pl = f->plot;
    if (c->kind == CHART_LINE) {
        for (int i = 0; i < f->xs.nminor; i++) {
            double x = round(fx(f, f->xs.minor[i])) + 0.5;
            seg(p, x, pl.y, x, pl.y + pl.h, 1, GRID_MINOR);
        }
        for (int i = 0; i < f->xs.n; i++) {
            double x = round(fx(f, f->xs.tick[i])) + 0.5;
            seg(p, x, pl.y, x, pl.y + pl.h, 1, GRID_MAJOR);
        }
    }
    for (int i = 0; i < f->ys.nminor; i++) {
        double y = round(fy(f, f->ys.minor[i])) + 0.5;
        seg(p, pl.x, y, pl.x + pl.w, y, 1, GRID_MINOR);
    }
    for (int i = 0; i < f->ys.n; i++) {
        double y = round(fy(f, f->ys.tick[i])) + 0.5;
        seg(p, pl.x, y, pl.x + pl.w, y, 1, GRID_MAJOR);
    }
}

static void paint_guides(const Chart *c, ChartPainter *p, const Frame *f)
{
    for (int g = 0; g < c->nguides; g++) {
        double y = fy(f, c->guides[g].y);
        if (!isfinite(y) || y < f->plot.y - 1 || y > f->plot.y + f->plot.h + 1) continue;
        y = round(y) + 0.5;
        double xy[4] = {f->plot.x, y, f->plot.x + f->plot.w, y};
        p->polyline(p, xy, 2, 1.5, GUIDE, 6);
        if (g < 8 && f->glabel[g].w > 0)
            text(p, f->glabel[g].x, f->glabel[g].y + f->glabel[g].h, c->guides[g].label, CHART_FONT_BODY, INK_MUTED,
                 PAINT_LEFT);
    }
}

/* Draws one series as polylines broken wherever a point cannot be placed. */
static void paint_series(ChartPainter *p, const Frame *f, const ChartSeries *s)
{
    double *xy = xmalloc((size_t)(s->n > 0 ? s->n : 1) * 2 * sizeof *xy);
    int m = 0;
    ChartRGB col = chart_palette(s->color);
    for (int k = 0; k <= s->n; k++) {
        double x = k < s->n ? fx(f, s->x[k]) : NAN, y = k < s->n ? fy(f, s->y[k]) : NAN;
        if (isfinite(x) && isfinite(y) && isfinite(s->y[k]) && fabs(x) < 1e7 && fabs(y) < 1e7) {
            xy[2 * m] = x;
            xy[2 * m + 1] = y;
            m++;
            continue;
        }
        if (m > 0) p->polyline(p, xy, m, m == 1 ? LINE_W * 2.5 : LINE_W, col, (s->style & CHART_STYLE_DASHED) ? DASH : 0);
        if (s->style & CHART_STYLE_MARKERS)
            for (int i = 0; i < m; i++) p->polyline(p, xy + 2 * i, 1, MARKER_W, col, 0);
        m = 0;
    }
    free(xy);
}

static void paint_axes(const Chart *c, ChartPainter *p, const Frame *f)
{
    const Box pl = f->plot;
    double xl = pl.x - 0.5, yb = pl.y + pl.h + 0.5;
    seg(p, xl, pl.y, xl, pl.y + pl.h + 1, 1, INK_AXIS);
    seg(p, pl.x - 1, yb, pl.x + pl.w, yb, 1, INK_AXIS);
    for (int i = 0; i < f->ys.n; i++) {
        double y = round(fy(f, f->ys.tick[i])) + 0.5;
        seg(p, xl - TICK, y, xl, y, 1, INK_AXIS);
        text(p, xl - TICK - TICK_GAP, mid_baseline(CHART_FONT_BODY, y), f->ys.label[i], CHART_FONT_BODY, INK, PAINT_RIGHT);
    }
    double below = yb + TICK + TICK_GAP;
    if (c->kind == CHART_LINE) {
        for (int i = 0; i < f->xs.n; i++) {
            double x = round(fx(f, f->xs.tick[i])) + 0.5;
            seg(p, x, yb, x, yb + TICK, 1, INK_AXIS);
            text(p, x, below + chart_font_ascent(CHART_FONT_BODY), f->xs.label[i], CHART_FONT_BODY, INK, PAINT_CENTER);
        }
        below += font_h(CHART_FONT_BODY);
    } else {
        char buf[256];
        double band = pl.w / bar_count(c);
        for (int k = 0; k < c->nbars; k += f->bar_stride) {
            double cx = pl.x + band * (k + 0.5);
            if (f->bars_vertical)
                vtext(p, round(cx) + 0.36 * chart_font_px(CHART_FONT_BODY), yb + TICK_GAP + 2,
                      fit(c->bar_labels[k], CHART_FONT_BODY, f->bar_label_h, buf, sizeof buf), CHART_FONT_BODY, INK,
                      PAINT_RIGHT);
            else
                text(p, cx, yb + TICK_GAP + 2 + chart_font_ascent(CHART_FONT_BODY), c->bar_labels[k], CHART_FONT_BODY,
                     INK, PAINT_CENTER);
        }
        below = yb + TICK_GAP + 4 + f->bar_label_h;
    }
    if (*c->xlabel)
        text(p, pl.x + pl.w / 2, below + 6 + chart_font_ascent(CHART_FONT_BODY), c->xlabel, CHART_FONT_BODY, INK,
             PAINT_CENTER);
    if (*c->ylabel) {
        double lw = max_label_w(&f->ys);
        vtext(p, xl - TICK - TICK_GAP - lw - 10 - chart_font_descent(CHART_FONT_BODY), pl.y + pl.h / 2, c->ylabel,
              CHART_FONT_BODY, INK, PAINT_CENTER);
    }
}

/* Bar s of category cat: groups take 80% of a band, split among the series. */
static void bar_geometry(const Chart *c, const Frame *f, int cat, int s, double *x, double *w)
{
    double band = f->plot.w / bar_count(c);
    int ns = c->nseries > 0 ? c->nseries : 1;
    double group = band * (ns > 1 ? 0.84 : 0.7);
    double bw = group / ns;
    double x0 = f->plot.x + band * cat + (band - group) / 2 + bw * s;
    *x = round(x0 + (ns > 1 ? 1 : 0));
    *w = fmax(1, round(x0 + bw) - *x - (ns > 1 ? 1 : 0));
}

static void paint_bars(const Chart *c, ChartPainter *p, const Frame *f)
{
    double base = f->ys.log ? f->plot.y + f->plot.h : round(fy(f, 0));
    int nb = c->nbars * (c->nseries > 0 ? c->nseries : 1);
    char buf[CHART_LABEL_MAX];
    p->clip(p, f->plot.x, f->plot.y, f->plot.w, f->plot.h);
    for (int s = 0; s < c->nseries; s++) {
        const ChartSeries *se = &c->series[s];
        for (int k = 0; k < c->nbars; k++) {
            double y = fy(f, se->y[k]), bx, bw;
            if (!isfinite(y)) continue;
            y = round(fmin(fmax(y, f->plot.y - 2), f->plot.y + f->plot.h + 2));
            bar_geometry(c, f, k, s, &bx, &bw);
            p->rect(p, bx, fmin(y, base), bw, fabs(base - y), chart_palette(se->color));
        }
    }
    p->clip(p, 0, 0, 0, 0);
    if (!f->ys.log && f->ys.lo < 0 && f->ys.hi > 0) seg(p, f->plot.x, base + 0.5, f->plot.x + f->plot.w, base + 0.5, 1, INK_AXIS);
    /* Values above the bars when there are few enough to read. */
    if (nb > 40) return;
    for (int s = 0; s < c->nseries; s++)
        for (int k = 0; k < c->nbars; k++) {
            double v = c->series[s].y[k], y = fy(f, v), bx, bw;
            if (!isfinite(y) || y < f->plot.y || y > f->plot.y + f->plot.h) continue;
            bar_geometry(c, f, k, s, &bx, &bw);
            chart_format_number(v, 0, buf, sizeof buf);
            if (tw(CHART_FONT_BODY, buf) > bw + 10) continue;
            double ty = v >= 0 || f->ys.log ? y - 5 : y + 5 + chart_font_ascent(CHART_FONT_BODY);
            text(p, bx + bw / 2, ty, buf, CHART_FONT_BODY, INK_AXIS, PAINT_CENTER);
        }
}

/* LINE or BAR in box b; panel = inside a grid (small centred title);
 * legend = 0 when the grid shows one legend for all panels. */
static void paint_xy(const Chart *c, ChartPainter *p, Box b, int panel, int legend)
{
    Box area = b;
    if (panel) {
        double th = *c->title ? font_h(CHART_FONT_BODY) + 6 : 0;
        area = (Box){b.x - PAD + 6, b.y + th, b.w + PAD - 6, b.h - th};
    } else {
        double hh = header_height(c);
        area = (Box){b.x, b.y + hh, b.w, b.h - hh - PAD};
    }
    Frame f;
    memset(&f, 0, sizeof f);
    layout_axes(c, area, 0, &f);
    Occ occ;
    plan_overlays(c, &f, &occ);

    Box leg = {0, 0, 0, 0};
    int show_legend = legend && legend_entries(c) > 0;
    if (show_legend) {
        double lw, lh;
        legend_size(c, &lw, &lh);
        if (legend_inside(&f, &occ, lw, lh, &leg) > 0 && lw < area.w * 0.35) {
            /* Every spot inside covers data: move it out to the right. */
            layout_axes(c, area, lw + 16, &f);
            free(occ.cell);
            plan_overlays(c, &f, &occ);
            leg = (Box){f.plot.x + f.plot.w + 16, f.plot.y, lw, lh};
        }
    }
    free(occ.cell);

    paint_grid_lines(c, p, &f);
    paint_guides(c, p, &f);
    if (c->kind == CHART_LINE) {
        /* Let a line on the frame's edge show its full width, no more. */
        p->clip(p, f.plot.x - LINE_W, f.plot.y - LINE_W, f.plot.w + 2 * LINE_W, f.plot.h + 2 * LINE_W);
        for (int i = 0; i < c->nseries; i++) paint_series(p, &f, &c->series[i]);
        p->clip(p, 0, 0, 0, 0);
    } else {
        paint_bars(c, p, &f);
    }
    paint_axes(c, p, &f);
    if (show_legend) paint_legend(c, p, leg);
    if (panel) paint_panel_title(c, p, f.plot.x + f.plot.w / 2, f.plot.y - 2, b.w);
    else paint_header(c, p, b);
}

/* ---- heatmaps ---------------------------------------------------------------- */

typedef struct MatrixPlan {
    int col_vertical, col_stride, row_stride;
    double col_extent;      /* px the column labels take below the matrix */
    double row_extent;      /* px the row labels take left of the matrix */
} MatrixPlan;

static int labels_numeric(char **labels, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        strtod(labels[i], &end);
        if (end == labels[i] || *end) return 0;
    }
    return 1;
}

/* Shown labels at most maxw wide; cut with an ellipsis beyond. */
#define LABEL_MAXW 160.0

static void plan_matrix(const Chart *c, double cell_w, double cell_h, MatrixPlan *m)
{
    double lh = font_h(CHART_FONT_BODY);
    memset(m, 0, sizeof *m);
    m->col_stride = m->row_stride = 1;
    if (c->col_labels && c->cols > 0) {
        double maxw = 0;
        for (int j = 0; j < c->cols; j++) maxw = fmin(LABEL_MAXW, fmax(maxw, tw(CHART_FONT_BODY, c->col_labels[j])));
        if (maxw <= cell_w - 4) {
            m->col_extent = lh;
        } else if (labels_numeric(c->col_labels, c->cols) || cell_w < lh - 2) {
            /* Numbers read best level and thinned to round indices; text that
             * cannot stand upright in its column is thinned too. */
            if (labels_numeric(c->col_labels, c->cols)) {
                m->col_stride = chart_label_stride(cell_w, maxw + 12);
                m->col_extent = lh;
            } else {
                m->col_vertical = 1;
                m->col_stride = chart_label_stride(cell_w, lh);
                m->col_extent = maxw;
            }
        } else {
            m->col_vertical = 1;
            m->col_extent = maxw;
        }
        m->col_extent += 6;
    }
    if (c->row_labels && c->rows > 0) {
        m->row_stride = chart_label_stride(cell_h, lh);
        double maxw = 0;
        for (int i = 0; i < c->rows; i += m->row_stride) maxw = fmax(maxw, tw(CHART_FONT_BODY, c->row_labels[i]));
        m->row_extent = fmin(maxw, LABEL_MAXW) + 8;
    }
}

typedef struct MatrixOpts {
    int row_labels, col_labels, xlabel, ylabel, title;
    double lo, hi;
    ChartCmap cmap;
} MatrixOpts;

/* Cells of c in box m (whole pixels), then its labels around it. */
static void paint_matrix(const Chart *c, ChartPainter *p, Box m, const MatrixPlan *plan, const MatrixOpts *o)
{
    char buf[256];
    if (c->rows <= 0 || c->cols <= 0) {
        text(p, m.x + m.w / 2, m.y + m.h / 2, "no data", CHART_FONT_BODY, INK_MUTED, PAINT_CENTER);
        return;
    }
    int *ex = xmalloc((size_t)(c->cols + 1) * sizeof *ex), *ey = xmalloc((size_t)(c->rows + 1) * sizeof *ey);
    for (int j = 0; j <= c->cols; j++) ex[j] = (int)lround(m.x + m.w * j / c->cols);
    for (int i = 0; i <= c->rows; i++) ey[i] = (int)lround(m.y + m.h * i / c->rows);
    double span = o->hi - o->lo;
    for (int i = 0; i < c->rows; i++)
        for (int j = 0; j < c->cols; j++) {
            size_t k = (size_t)i * c->cols + j;
            double v = c->values[k];
            double t = (c->mask && c->mask[k]) || !isfinite(v) ? NAN : (v - o->lo) / span;
            if (ex[j + 1] > ex[j] && ey[i + 1] > ey[i])
                p->rect(p, ex[j], ey[i], ex[j + 1] - ex[j], ey[i + 1] - ey[i], chart_cmap(o->cmap, t));
        }
    double cw = m.w / c->cols, ch = m.h / c->rows;
    /* Thinned labels get a tick, so it is clear which row or column they name. */
    if (o->row_labels && c->row_labels && plan->row_stride > 1)
        for (int i = 0; i < c->rows; i += plan->row_stride) {
            double y = round(m.y + ch * (i + 0.5)) + 0.5;
            seg(p, m.x - 4, y, m.x, y, 1, INK_AXIS);
        }
    if (o->col_labels && c->col_labels && plan->col_stride > 1)
        for (int j = 0; j < c->cols; j += plan->col_stride) {
            double x = round(m.x + cw * (j + 0.5)) + 0.5;
            seg(p, x, m.y + m.h, x, m.y + m.h + 4, 1, INK_AXIS);
        }
    if (o->row_labels && c->row_labels)
        for (int i = 0; i < c->rows; i += plan->row_stride)
            text(p, m.x - 8, mid_baseline(CHART_FONT_BODY, m.y + ch * (i + 0.5)),
                 fit(c->row_labels[i], CHART_FONT_BODY, LABEL_MAXW, buf, sizeof buf), CHART_FONT_BODY, INK, PAINT_RIGHT);
    if (o->col_labels && c->col_labels)
        for (int j = 0; j < c->cols; j += plan->col_stride) {
            double cx = m.x + cw * (j + 0.5);
            const char *s = fit(c->col_labels[j], CHART_FONT_BODY, LABEL_MAXW, buf, sizeof buf);
            if (plan->col_vertical)
                vtext(p, cx + 0.36 * chart_font_px(CHART_FONT_BODY), m.y + m.h + 6, s, CHART_FONT_BODY, INK, PAINT_RIGHT);
            else
                text(p, cx, m.y + m.h + 6 + chart_font_ascent(CHART_FONT_BODY), s, CHART_FONT_BODY, INK, PAINT_CENTER);
        }
    if (o->xlabel && *c->xlabel)
        text(p, m.x + m.w / 2, m.y + m.h + plan->col_extent + 8 + chart_font_ascent(CHART_FONT_BODY), c->xlabel,
             CHART_FONT_BODY, INK, PAINT_CENTER);
    if (o->ylabel && *c->ylabel)
        vtext(p, m.x - plan->row_extent - 8 - chart_font_descent(CHART_FONT_BODY), m.y + m.h / 2, c->ylabel,
              CHART_FONT_BODY, INK, PAINT_CENTER);
    if (o->title) paint_panel_title(c, p, m.x + m.w / 2, m.y, m.w + 40);
    free(ex);
    free(ey);
}

#define CBAR_GAP 24.0
#define CBAR_W 16.0

/* Width of a colour bar with its labels and caption; of a key of swatches
 * with their names where the heatmap holds categories (key: its chart). */
static double colorbar_width(const ChartScale *s, const Chart *key, const char *caption)
{
    double lw = max_label_w(s);
    if (key && key->nkeys) {
        lw = 0;
        for (int i = 0; i < key->nkeys; i++) lw = fmax(lw, tw(CHART_FONT_BODY, key->key_labels[i]));
    }
    return CBAR_GAP + CBAR_W + TICK + TICK_GAP + lw + (*caption ? 10 + font_h(CHART_FONT_BODY) : 0);
}

/* Categories: one swatch per key entry, in the colour its cells get, named
 * beside it, from the top of bar; the caption reads down the right side. */
static void paint_key(ChartPainter *p, Box bar, const ChartScale *s, ChartCmap cmap, const Chart *key, const char *caption)
{
    double row = fmin(bar.h / key->nkeys, font_h(CHART_FONT_BODY) + 10), lw = 0;
    for (int i = 0; i < key->nkeys; i++) {
        double y = round(bar.y + i * row);
        p->rect(p, bar.x, y + 2, bar.w, row - 4, chart_cmap(cmap, chart_scale_pos(s, key->key_values[i])));
        text(p, bar.x + bar.w + TICK + TICK_GAP, mid_baseline(CHART_FONT_BODY, y + row / 2), key->key_labels[i], CHART_FONT_BODY,
             INK, PAINT_LEFT);
        lw = fmax(lw, tw(CHART_FONT_BODY, key->key_labels[i]));
    }
    if (*caption)
        vtext(p, bar.x + bar.w + TICK + TICK_GAP + lw + 10 + chart_font_ascent(CHART_FONT_BODY), bar.y + key->nkeys * row / 2,
              caption, CHART_FONT_BODY, INK, PAINT_CENTER);
}

static void paint_colorbar(ChartPainter *p, Box bar, const ChartScale *s, ChartCmap cmap, const Chart *key, const char *caption)
{
    if (key && key->nkeys) {
        paint_key(p, bar, s, cmap, key, caption);
        return;
    }
    int y0 = (int)lround(bar.y), y1 = (int)lround(bar.y + bar.h);
    for (int y = y0; y < y1; y++) {
        double t = 1 - (y - y0 + 0.5) / (y1 - y0);
        p->rect(p, bar.x, y, bar.w, 1, chart_cmap(cmap, t));
    }
    double xr = bar.x + bar.w;
    for (int i = 0; i < s->n; i++) {
        double y = round(bar.y + bar.h - chart_scale_pos(s, s->tick[i]) * bar.h);
        if (y >= y1) y = y1 - 1;
        seg(p, xr, y + 0.5, xr + TICK, y + 0.5, 1, INK_AXIS);
        text(p, xr + TICK + TICK_GAP, mid_baseline(CHART_FONT_BODY, y + 0.5), s->label[i], CHART_FONT_BODY, INK, PAINT_LEFT);
    }
    if (*caption)
        vtext(p, xr + TICK + TICK_GAP + max_label_w(s) + 10 + chart_font_ascent(CHART_FONT_BODY), bar.y + bar.h / 2,
              caption, CHART_FONT_BODY, INK, PAINT_CENTER);
}

/* n heatmaps of one shape as small multiples (n == 1: a single heatmap) in
 * area, labels only on the outer edges, one colour bar. value_src gives the
 * colour range (the grid, or the heatmap itself). */
static void paint_heatmaps(Chart *const *hm, int n, int gcols, const Chart *value_src, const char *caption,
                           ChartPainter *p, Box area, int titles, int colorbar)
{
    int grows = (n + gcols - 1) / gcols;
    const Chart *c0 = hm[0];
    double gap_x = n > 1 ? 18 : 0, gap_y = n > 1 ? 14 : 0;
    double th = 0;
    if (titles)
        for (int k = 0; k < n; k++)
            if (*hm[k]->title) th = font_h(CHART_FONT_BODY) + 6;
    MatrixOpts o = {0};
    chart_value_range(value_src, &o.lo, &o.hi, &o.cmap);
    ChartScale vs;
    double cb_w = 0;
    int any_x = 0, any_y = 0;
    for (int k = 0; k < n; k++) {
        any_x |= *hm[k]->xlabel != '\0';
        any_y |= *hm[k]->ylabel != '\0';
    }
    double ylab = any_y ? font_h(CHART_FONT_BODY) + 8 : 0, xlab = any_x ? font_h(CHART_FONT_BODY) + 8 : 0;

    /* Two passes: label room depends on the cell size and the other way round. */
    MatrixPlan plan;
    double cw = area.w / (c0->cols > 0 ? c0->cols : 1) / gcols, ch = area.h / (c0->rows > 0 ? c0->rows : 1) / grows;
    double mw = 0, mh = 0, left = 0, bottom = 0;
    for (int pass = 0; pass < 2; pass++) {
        plan_matrix(c0, cw, ch, &plan);
        for (int k = 1; k < n; k++) {
            MatrixPlan pk;
            plan_matrix(hm[k], cw, ch, &pk);
            plan.row_extent = fmax(plan.row_extent, pk.row_extent);
            plan.col_extent = fmax(plan.col_extent, pk.col_extent);
        }
        left = ylab + plan.row_extent;
        bottom = plan.col_extent + xlab;
        double avail_h = area.h - bottom - grows * th - (grows - 1) * gap_y;
        int vt = (int)(avail_h / 70);
        if (colorbar) {
            chart_scale(value_src, CHART_AXIS_VALUE, vt < 3 ? 3 : vt > 8 ? 8 : vt, 0, &vs);
            cb_w = colorbar_width(&vs, chart_value_source(value_src), caption);
        }
        mw = (area.w - left - cb_w - (gcols - 1) * gap_x) / gcols;
        mh = avail_h / grows;
        if (c0->rows == c0->cols && c0->rows > 0) mw = mh = fmin(mw, mh); /* attention maps: square cells */
        mw = floor(fmax(mw, 4));
        mh = floor(fmax(mh, 4));
        cw = mw / (c0->cols > 0 ? c0->cols : 1);
        ch = mh / (c0->rows > 0 ? c0->rows : 1);
    }
    /* Centre the block (labels, matrices, colour bar) across the area. */
    double block_w = left + gcols * mw + (gcols - 1) * gap_x + cb_w;
    double block_h = grows * (th + mh) + (grows - 1) * gap_y + bottom;
    double x0 = round(area.x + fmax(0, (area.w - block_w) / 2) + left);
    double y0 = round(area.y + fmax(0, (area.h - block_h) / 2));
    for (int k = 0; k < n; k++) {
        int gi = k / gcols, gj = k % gcols;
        Box m = {x0 + gj * (mw + gap_x), round(y0 + gi * (th + mh + gap_y) + th), mw, mh};
        o.row_labels = o.ylabel = gj == 0;
        o.col_labels = o.xlabel = k + gcols >= n; /* nothing below it */
        o.title = titles;
        paint_matrix(hm[k], p, m, &plan, &o);
    }
    if (colorbar) {
        double top = round(y0 + th), bot = round(y0 + (grows - 1) * (th + mh + gap_y) + th + mh);
        Box bar = {x0 + gcols * mw + (gcols - 1) * gap_x + CBAR_GAP, top, CBAR_W, bot - top};
        paint_colorbar(p, bar, &vs, o.cmap, chart_value_source(value_src), caption);
    }
}

/* ---- grids -------------------------------------------------------------------- */

static int grid_uniform_heatmaps(const Chart *g)
{
    if (g->npanels == 0) return 0;
    for (int k = 0; k < g->npanels; k++) {
        const Chart *c = g->panels[k];
        if (c->kind != CHART_HEATMAP || c->rows != g->panels[0]->rows || c->cols != g->panels[0]->cols) return 0;
    }
    return 1;
}

/* Whether every panel is a line or bar chart listing the same named series in
 * the same colours: then one legend serves them all. */
static int shared_legend(const Chart *g)
{
    const Chart *a = g->panels[0];
    if (g->npanels < 2 || a->kind == CHART_HEATMAP || legend_entries(a) == 0) return 0;
    for (int k = 1; k < g->npanels; k++) {
        const Chart *b = g->panels[k];
        if (b->kind == CHART_HEATMAP || b->nseries != a->nseries) return 0;
        for (int i = 0; i < a->nseries; i++)
            if (strcmp(a->series[i].name, b->series[i].name) || a->series[i].color != b->series[i].color) return 0;
    }
    return 1;
}

/* A one-line legend whose right end is at x_right, top at y. */
static void paint_legend_row(const Chart *c, ChartPainter *p, double x_right, double y)
{
    double w = 0;
    for (int i = 0; i < c->nseries; i++)
        if (*c->series[i].name) w += LEG_SWATCH + 8 + tw(CHART_FONT_BODY, c->series[i].name) + 20;
    double x = x_right - w + 20, cy = y + LEG_ROW / 2;
    for (int i = 0; i < c->nseries; i++) {
        const ChartSeries *s = &c->series[i];
        if (!*s->name) continue;
        ChartRGB col = chart_palette(s->color);
        if (c->kind == CHART_BAR) p->rect(p, round(x + 4), round(cy - 6), 16, 12, col);
        else swatch(p, s, x, round(cy), col);
        text(p, x + LEG_SWATCH + 8, mid_baseline(CHART_FONT_BODY, cy), s->name, CHART_FONT_BODY, INK, PAINT_LEFT);
        x += LEG_SWATCH + 8 + tw(CHART_FONT_BODY, s->name) + 20;
    }
}

static void paint_grid(const Chart *g, ChartPainter *p, Box b)
{
    double hh = header_height(g);
    Box area = {b.x + PAD, b.y + hh, b.w - 2 * PAD, b.h - hh - PAD};
    int rows, cols;
    chart_grid_shape(g, area.w / area.h, &rows, &cols);
    paint_header(g, p, b);
    if (g->npanels == 0) {
        text(p, area.x + area.w / 2, area.y + area.h / 2, "no panels", CHART_FONT_BODY, INK_MUTED, PAINT_CENTER);
        return;
    }
    const Chart *hm0 = NULL;
    for (int k = 0; k < g->npanels && !hm0; k++)
        if (g->panels[k]->kind == CHART_HEATMAP) hm0 = g->panels[k];
    if (grid_uniform_heatmaps(g)) {
        paint_heatmaps(g->panels, g->npanels, cols, g, hm0->value_label, p, area, 1, 1);
        return;
    }
    /* Mixed panels: each in its cell with its own axes; heatmaps share one colour
     * bar at the right, and panels naming the same series share one legend. */
    int shared = shared_legend(g);
    if (shared) {
        paint_legend_row(g->panels[0], p, area.x + area.w, area.y);
        area.y += LEG_ROW + 8;
        area.h -= LEG_ROW + 8;
    }
    if (!hm0) chart_grid_shape(g, area.w / area.h / 1.4, &rows, &cols); /* plots like to be wider than tall */
    double cb_w = 0;
    ChartScale vs;
    if (hm0) {
        chart_scale(g, CHART_AXIS_VALUE, 6, 0, &vs);
        cb_w = colorbar_width(&vs, hm0, hm0->value_label);
    }
    double gap = 24, cw = (area.w - cb_w - (cols - 1) * gap) / cols, ch = (area.h - (rows - 1) * gap) / rows;
    for (int k = 0; k < g->npanels; k++) {
        const Chart *c = g->panels[k];
        Box cell = {round(area.x + (k % cols) * (cw + gap)), round(area.y + (k / cols) * (ch + gap)), floor(cw), floor(ch)};
        if (c->kind == CHART_HEATMAP) {
            Chart *one[1] = {(Chart *)c};
            paint_heatmaps(one, 1, 1, g, "", p, cell, 1, 0);
        } else {
            paint_xy(c, p, cell, 1, !shared);
        }
    }
    if (hm0) {
        Box bar = {area.x + area.w - cb_w + CBAR_GAP, area.y + 20, CBAR_W, area.h - 40};
        ChartCmap cm;
        chart_value_range(g, NULL, NULL, &cm);
        paint_colorbar(p, bar, &vs, cm, hm0, hm0->value_label);
    }
}

void chart_paint(const Chart *c, ChartPainter *p, int w, int h)
{
    Box b = {0, 0, w, h};
    if (!c) return;
    switch (c->kind) {
    case CHART_LINE:
    case CHART_BAR:
        paint_xy(c, p, b, 0, 1);
        break;
    case CHART_HEATMAP: {
        double hh = header_height(c);
        Box area = {PAD, hh, w - 2 * PAD, h - hh - PAD};
        Chart *one[1] = {(Chart *)c};
        paint_header(c, p, b);
        paint_heatmaps(one, 1, 1, c, c->value_label, p, area, 0, 1);
        break;
    }
    case CHART_GRID:
        paint_grid(c, p, b);
        break;
    }
}
