/* chart.c — the Chart model's builders and the arithmetic all renderers share:
 * nice ticks, compact number labels, padded ranges, palette and colour maps.
 * No I/O and no drawing here; see ui/paint.c for layout and ui/render.h for files. */
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- building ------------------------------------------------------------ */

static char *dup_or_empty(const char *s) { return xstrdup(s ? s : ""); }

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = dup_or_empty(s);
}

static Chart *chart_new(ChartKind kind, const char *title)
{
    Chart *c = xcalloc(1, sizeof *c);
    c->kind = kind;
    c->title = dup_or_empty(title);
    c->subtitle = dup_or_empty(NULL);
    c->xlabel = dup_or_empty(NULL);
    c->ylabel = dup_or_empty(NULL);
    c->value_label = dup_or_empty(NULL);
    c->xmin = c->xmax = c->ymin = c->ymax = NAN;
    c->vmin = c->vmax = NAN;
    return c;
}

Chart *chart_line_new(const char *title) { return chart_new(CHART_LINE, title); }

static ChartSeries *push_series(Chart *c, const char *name, int color, int n)
{
    c->series = xrealloc(c->series, (size_t)(c->nseries + 1) * sizeof *c->series);
    ChartSeries *s = &c->series[c->nseries++];
    s->name = dup_or_empty(name);
    s->color = color;
    s->style = 0;
    s->n = n;
    s->x = NULL;
    s->y = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *s->y);
    return s;
}

int chart_add_series(Chart *c, const char *name, int color, const double *x, const double *y, int n)
{
    if (!c || c->kind != CHART_LINE || n < 0 || (n > 0 && !y)) return -1;
    ChartSeries *s = push_series(c, name, color, n);
    s->x = xmalloc((size_t)(n > 0 ? n : 1) * sizeof *s->x);
    for (int i = 0; i < n; i++) {
        s->x[i] = x ? x[i] : (double)i;
        s->y[i] = y[i];
    }
    return c->nseries - 1;
}

void chart_series_style(Chart *c, int i, unsigned style)
{
    if (c && i >= 0 && i < c->nseries) c->series[i].style = style;
}

int chart_add_guide(Chart *c, double y, const char *label)
{
    if (!c || (c->kind != CHART_LINE && c->kind != CHART_BAR)) return -1;
    c->guides = xrealloc(c->guides, (size_t)(c->nguides + 1) * sizeof *c->guides);
    c->guides[c->nguides].y = y;
    c->guides[c->nguides].label = dup_or_empty(label);
    return c->nguides++;
}

Chart *chart_heatmap_new(const char *title, int rows, int cols, const double *values)
{
    Chart *c = chart_new(CHART_HEATMAP, title);
    c->rows = rows > 0 ? rows : 0;
    c->cols = cols > 0 ? cols : 0;
    size_t n = (size_t)c->rows * (size_t)c->cols;
    c->values = xcalloc(n ? n : 1, sizeof *c->values);
    if (values) memcpy(c->values, values, n * sizeof *values);
    c->cmap = CHART_CMAP_VIRIDIS;
    return c;
}

static char ***axis_labels(Chart *c, int axis, int *n)
{
    if (!c || c->kind != CHART_HEATMAP || (axis != 0 && axis != 1)) return NULL;
    *n = axis == 0 ? c->rows : c->cols;
    return axis == 0 ? &c->row_labels : &c->col_labels;
}

static void free_strv(char **v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

void chart_heatmap_set_labels(Chart *c, int axis, const char *const *labels)
{
    int n = 0;
    char ***dst = axis_labels(c, axis, &n);
    if (!dst) return;
    free_strv(*dst, n);
    *dst = NULL;
    if (!labels) return;
    *dst = xcalloc((size_t)(n ? n : 1), sizeof **dst);
    for (int i = 0; i < n; i++) (*dst)[i] = dup_or_empty(labels[i]);
}

void chart_heatmap_set_numbers(Chart *c, int axis, double start, double step)
{
    int n = 0;
    char ***dst = axis_labels(c, axis, &n);
    if (!dst) return;
    free_strv(*dst, n);
    *dst = xcalloc((size_t)(n ? n : 1), sizeof **dst);
    for (int i = 0; i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.6g", start + step * i);
        (*dst)[i] = xstrdup(buf);
    }
}

void chart_heatmap_set_cmap(Chart *c, ChartCmap cmap)
{
    if (c && c->kind == CHART_HEATMAP) c->cmap = cmap;
}

void chart_heatmap_set_range(Chart *c, double lo, double hi)
{
    if (!c || c->kind != CHART_HEATMAP) return;
    c->vmin = lo;
    c->vmax = hi;
}

void chart_heatmap_set_value_label(Chart *c, const char *label)
{
    if (c && c->kind == CHART_HEATMAP) set_str(&c->value_label, label);
}

static void free_key(Chart *c)
{
    for (int i = 0; i < c->nkeys; i++) free(c->key_labels[i]);
    free(c->key_labels);
    free(c->key_values);
    c->key_labels = NULL;
    c->key_values = NULL;
    c->nkeys = 0;
}

void chart_heatmap_set_key(Chart *c, int n, const double *values, const char *const *labels)
{
    if (!c || c->kind != CHART_HEATMAP) return;
    free_key(c);
    if (n <= 0) return;
    c->key_values = xmalloc(sizeof(double) * (size_t)n);
    c->key_labels = xmalloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) {
        c->key_values[i] = values[i];
        c->key_labels[i] = dup_or_empty(labels[i]);
    }
    c->nkeys = n;
}

const Chart *chart_value_source(const Chart *c)
{
    if (!c) return NULL;
    if (c->kind == CHART_HEATMAP) return c;
    for (int k = 0; c->kind == CHART_GRID && k < c->npanels; k++)
        if (c->panels[k]->kind == CHART_HEATMAP) return c->panels[k];
    return NULL;
}

void chart_heatmap_set_mask(Chart *c, const uint8_t *mask)
{
    if (!c || c->kind != CHART_HEATMAP) return;
    free(c->mask);
    c->mask = NULL;
    if (!mask) return;
    size_t n = (size_t)c->rows * (size_t)c->cols;
    c->mask = xmalloc(n ? n : 1);
    memcpy(c->mask, mask, n);
}

void chart_heatmap_mask_causal(Chart *c)
{
    if (!c || c->kind != CHART_HEATMAP) return;
    size_t n = (size_t)c->rows * (size_t)c->cols;
    if (!c->mask) c->mask = xcalloc(n ? n : 1, 1);
    for (int r = 0; r < c->rows; r++)
        for (int k = r + 1; k < c->cols; k++) c->mask[(size_t)r * c->cols + k] = 1;
}

Chart *chart_bar_new(const char *title, int nbars, const char *const *labels)
{
    Chart *c = chart_new(CHART_BAR, title);
    c->nbars = nbars > 0 ? nbars : 0;
    c->bar_labels = xcalloc((size_t)(c->nbars ? c->nbars : 1), sizeof *c->bar_labels);
    for (int i = 0; i < c->nbars; i++) c->bar_labels[i] = dup_or_empty(labels ? labels[i] : NULL);
    return c;
}

int chart_add_bars(Chart *c, const char *name, int color, const double *values)
{
    if (!c || c->kind != CHART_BAR || (c->nbars > 0 && !values)) return -1;
    ChartSeries *s = push_series(c, name, color, c->nbars);
    for (int i = 0; i < c->nbars; i++) s->y[i] = values[i];
    return c->nseries - 1;
}

Chart *chart_grid_new(const char *title, int cols)
{
    Chart *c = chart_new(CHART_GRID, title);
    c->grid_cols = cols > 0 ? cols : 0;
    return c;
}

int chart_grid_add(Chart *grid, Chart *panel)
{
    if (!grid || !panel || grid->kind != CHART_GRID || panel->kind == CHART_GRID) return -1;
    grid->panels = xrealloc(grid->panels, (size_t)(grid->npanels + 1) * sizeof *grid->panels);
    grid->panels[grid->npanels++] = panel;
    return grid->npanels - 1;
}

int chart_grid_shared_legend(const Chart *g)
{
    if (!g || g->kind != CHART_GRID || g->npanels < 2) return 0;
    const Chart *a = g->panels[0];
    int named = 0;
    for (int i = 0; i < a->nseries; i++) named |= a->series[i].name[0] != '\0';
    if (a->kind == CHART_HEATMAP || !named) return 0;
    for (int k = 1; k < g->npanels; k++) {
        const Chart *b = g->panels[k];
        if (b->kind == CHART_HEATMAP || b->nseries != a->nseries) return 0;
        for (int i = 0; i < a->nseries; i++)
            if (strcmp(a->series[i].name, b->series[i].name) || a->series[i].color != b->series[i].color) return 0;
    }
    return 1;
}

void chart_grid_shape(const Chart *c, double aspect, int *rows, int *cols)
{
    int n = c && c->npanels > 0 ? c->npanels : 1;
    int k = c && c->grid_cols > 0 ? c->grid_cols : 0;
    if (!(aspect > 0)) aspect = 1;
    if (k == 0) {
        double best = 0;
        for (int j = 1; j <= n; j++) {
            int r = (n + j - 1) / j;
            double side = fmin(aspect / j, 1.0 / r);
            if (side > best * (1 + 1e-9)) { best = side; k = j; }
        }
    }
    if (k > n) k = n;
    *cols = k;
    *rows = (n + k - 1) / k;
}

void chart_set_subtitle(Chart *c, const char *subtitle)
{
    if (c) set_str(&c->subtitle, subtitle);
}

void chart_set_axis_labels(Chart *c, const char *xlabel, const char *ylabel)
{
    if (!c) return;
    set_str(&c->xlabel, xlabel);
    set_str(&c->ylabel, ylabel);
}

void chart_set_log_x(Chart *c, int on) { if (c) c->log_x = on != 0; }
void chart_set_log_y(Chart *c, int on) { if (c) c->log_y = on != 0; }

void chart_set_x_range(Chart *c, double lo, double hi)
{
    if (!c) return;
    c->xmin = lo;
    c->xmax = hi;
}

void chart_set_y_range(Chart *c, double lo, double hi)
{
    if (!c) return;
    c->ymin = lo;
    c->ymax = hi;
}

void chart_free(Chart *c)
{
    if (!c) return;
    free(c->title);
    free(c->subtitle);
    free(c->xlabel);
    free(c->ylabel);
    free(c->value_label);
    if (c->kind == CHART_HEATMAP) free_key(c);
    for (int i = 0; i < c->nseries; i++) {
        free(c->series[i].name);
        free(c->series[i].x);
        free(c->series[i].y);
    }
    free(c->series);
    for (int i = 0; i < c->nguides; i++) free(c->guides[i].label);
    free(c->guides);
    free_strv(c->bar_labels, c->nbars);
    free(c->values);
    free(c->mask);
    free_strv(c->row_labels, c->rows);
    free_strv(c->col_labels, c->cols);
    for (int i = 0; i < c->npanels; i++) chart_free(c->panels[i]);
    free(c->panels);
    free(c);
}

/* ---- colours ------------------------------------------------------------- */

/* matplotlib's tab10: distinct, familiar from papers, dark enough on white. */
static const ChartRGB palette[CHART_PALETTE_N] = {
    {31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189},
    {140, 86, 75}, {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207},
};

ChartRGB chart_palette(int index)
{
    int i = index % CHART_PALETTE_N;
    return palette[i < 0 ? i + CHART_PALETTE_N : i];
}

/* viridis (van der Walt, Smith & Firing, CC0) sampled at 33 evenly spaced
 * points of its 256; linear interpolation between them is within 1/255. */
static const ChartRGB viridis[33] = {
    { 68,  1, 84}, { 71, 13, 96}, { 72, 24,106}, { 72, 35,116}, { 71, 45,123}, { 69, 55,129},
    { 66, 64,134}, { 62, 73,137}, { 59, 82,139}, { 55, 91,141}, { 51, 99,141}, { 47,107,142},
    { 44,114,142}, { 41,122,142}, { 38,130,142}, { 35,137,142}, { 33,145,140}, { 31,151,139},
    { 31,159,136}, { 33,166,133}, { 39,173,129}, { 49,181,123}, { 61,188,116}, { 76,194,108},
    { 92,200, 99}, {110,206, 88}, {129,211, 77}, {149,216, 64}, {170,220, 50}, {192,223, 37},
    {213,226, 26}, {234,229, 26}, {253,231, 37},
};

/* ColorBrewer RdBu (11 classes) reversed: negative blue, zero near-white, positive red. */
static const ChartRGB diverging[11] = {
    {5, 48, 97}, {33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {209, 229, 240},
    {247, 247, 247},
    {253, 219, 199}, {244, 165, 130}, {214, 96, 77}, {178, 24, 43}, {103, 0, 31},
};

ChartRGB chart_mask_rgb(void) { return (ChartRGB){226, 226, 226}; }

static ChartRGB lerp_table(const ChartRGB *t, int n, double x)
{
    double p = x * (n - 1);
    int i = (int)floor(p);
    if (i >= n - 1) return t[n - 1];
    if (i < 0) return t[0];
    double f = p - i;
    ChartRGB a = t[i], b = t[i + 1];
    return (ChartRGB){(uint8_t)lround(a.r + f * (b.r - a.r)), (uint8_t)lround(a.g + f * (b.g - a.g)),
                      (uint8_t)lround(a.b + f * (b.b - a.b))};
}

ChartRGB chart_cmap(ChartCmap m, double t)
{
    if (isnan(t)) return chart_mask_rgb();
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    if (m == CHART_CMAP_DIVERGING) return lerp_table(diverging, 11, t);
    if (m == CHART_CMAP_CATEGORY) {
        long i = lround(t * CHART_CATEGORY_MAX);
        return i >= CHART_CATEGORY_MAX ? (ChartRGB){34, 34, 34} : chart_palette((int)i);
    }
    return lerp_table(viridis, 33, t);
}

static int dist2(int r, int g, int b, ChartRGB c)
{
    return (r - c.r) * (r - c.r) + (g - c.g) * (g - c.g) + (b - c.b) * (b - c.b);
}

int chart_rgb_to_256(ChartRGB c)
{
    static const int level[6] = {0, 95, 135, 175, 215, 255};
    int idx[3], v[3] = {c.r, c.g, c.b};
    for (int k = 0; k < 3; k++) {
        int best = 0;
        for (int i = 1; i < 6; i++)
            if (abs(level[i] - v[k]) < abs(level[best] - v[k])) best = i;
        idx[k] = best;
    }
    int cube = 16 + 36 * idx[0] + 6 * idx[1] + idx[2];
    int dc = dist2(level[idx[0]], level[idx[1]], level[idx[2]], c);
    /* The grey ramp 232..255 (8, 18, ..., 238) often beats the cube for greys. */
    int avg = (c.r + c.g + c.b) / 3;
    int gi = (avg - 8 + 5) / 10;
    if (gi < 0) gi = 0;
    if (gi > 23) gi = 23;
    int gv = 8 + 10 * gi;
    return dist2(gv, gv, gv, c) < dc ? 232 + gi : cube;
}

int chart_rgb_to_8(ChartRGB c)
{
    /* By hue rather than RGB distance: the 8 ANSI colours are saturated, so a
     * muted orange or teal should land on its hue, not on grey. */
    int mx = c.r > c.g ? (c.r > c.b ? c.r : c.b) : (c.g > c.b ? c.g : c.b);
    int mn = c.r < c.g ? (c.r < c.b ? c.r : c.b) : (c.g < c.b ? c.g : c.b);
    if (mx - mn < 40) return mx < 128 ? 0 : 7;
    double d = mx - mn, h;
    if (mx == c.r) h = fmod((c.g - c.b) / d, 6.0);
    else if (mx == c.g) h = (c.b - c.r) / d + 2;
    else h = (c.r - c.g) / d + 4;
    h *= 60;
    if (h < 0) h += 360;
    static const int sector[6] = {1, 3, 2, 6, 4, 5}; /* red yellow green cyan blue magenta */
    return sector[(int)lround(h / 60) % 6];
}

/* ---- ticks --------------------------------------------------------------- */

double chart_nice_step(double raw)
{
    if (!(raw > 0) || !isfinite(raw)) return 1;
    double e = floor(log10(raw));
    double p = pow(10, e);
    double f = raw / p;
    double m = f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10;
    return m * p;
}

/* k * mant * 10^e computed so that 3 x 0.1 prints as 0.3, not 0.30000000000000004. */
static double tick_value(double k, double mant, int e)
{
    return e >= 0 ? k * mant * pow(10, e) : k * mant / pow(10, -e);
}

static int linear_ticks(double lo, double hi, int max_ticks, double *out, int cap)
{
    static const double mants[3] = {1, 2, 5};
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi)) return 0;
    if (max_ticks < 2) max_ticks = 2;
    /* Start from the largest 1-2-5 step not above the even split and grow it
     * until the ticks fit: the densest nice ticks within max_ticks. */
    double raw = (hi - lo) / (max_ticks - 1);
    int e = (int)floor(log10(raw)), mi = 2;
    while (mi > 0 && mants[mi] * pow(10, e) > raw * (1 + 1e-9)) mi--;
    for (int tries = 0; tries < 16; tries++) {
        double step = mants[mi] * pow(10, e);
        double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
        if (k1 - k0 + 1 <= max_ticks) {
            int n = 0;
            for (double k = k0; k <= k1 && n < cap; k++) {
                double v = tick_value(k, mants[mi], e);
                if (fabs(v) < step * 1e-9) v = 0;
                out[n++] = v;
            }
            return n;
        }
        if (++mi == 3) { mi = 0; e++; }
    }
    return 0;
}

int chart_nice_ticks(double lo, double hi, int log, int max_ticks, double *out, int cap)
{
    if (cap <= 0) return 0;
    if (max_ticks > cap) max_ticks = cap;
    if (!log) return linear_ticks(lo, hi, max_ticks, out, cap);
    if (!(lo > 0) || !(hi > lo) || !isfinite(hi)) return 0;
    if (max_ticks < 2) max_ticks = 2;
    double l0 = log10(lo), l1 = log10(hi);
    int d0 = (int)ceil(l0 - 1e-9), d1 = (int)floor(l1 + 1e-9);
    int ndec = d1 - d0 + 1;
    /* Up to two decades in view: 1-2-5 within decades reads better than two
     * lone powers of ten, when it fits. */
    if (ndec < 3) {
        /* 1-2-5, else 1-3 when that is too many for the axis (16..430 on a
         * short axis: 30, 100, 300, where linear ticks gave 200, 400 and left
         * the lower decade bare). */
        static const double mant[2][3] = {{1, 2, 5}, {1, 3, 0}};
        for (int set = 0; set < 2; set++) {
            int n = 0;
            for (int d = (int)floor(l0); d <= (int)ceil(l1) && n < cap; d++)
                for (int i = 0; i < 3 && mant[set][i] > 0 && n < cap; i++) {
                    double v = tick_value(mant[set][i], 1, d);
                    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out[n++] = v;
                }
            if (n >= 2 && n <= max_ticks) return n;
        }
    }
    if (ndec >= 2) {
        /* Thin decades to every k-th, k in 1, 2, 3, 5, 10, 20, ... so labels stay apart. */
        static const int ks[] = {1, 2, 3, 5, 10, 20, 25, 50, 100};
        int k = 1;
        for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) {
            k = ks[i];
            int first = (int)ceil((double)d0 / k) * k;
            int cnt = first > d1 ? 0 : (d1 - first) / k + 1;
            if (cnt <= max_ticks && cnt >= 2) break;
            if (cnt < 2) { k = i ? ks[i - 1] : 1; break; }
        }
        int n = 0;
        for (int d = (int)ceil((double)d0 / k) * k; d <= d1 && n < cap; d += k) out[n++] = pow(10, d);
        return n;
    }
    return linear_ticks(lo, hi, max_ticks, out, cap);
}

/* ---- number formats ------------------------------------------------------- */

/* Writes s to buf, turning ASCII '-' into U+2212 MINUS SIGN unless ASCII text
 * was asked for: a hyphen is too short to read as a sign in tick labels. */
static void put_label(const char *s, unsigned flags, char *buf, size_t size)
{
    size_t j = 0;
    if (size == 0) return;
    for (; *s && j + 1 < size; s++) {
        if (*s == '-' && !(flags & CHART_TEXT_ASCII)) {
            if (j + 4 > size) break;
            memcpy(buf + j, "\xe2\x88\x92", 3);
            j += 3;
        } else {
            buf[j++] = *s;
        }
    }
    buf[j] = '\0';
}

static void strip_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (!dot) return;
    char *end = s + strlen(s) - 1;
    while (end > dot && *end == '0') *end-- = '\0';
    if (end == dot) *end = '\0';
}

/* "2.5e-4": mantissa with at most `digits` significant digits, no '+', no
 * leading zeros in the exponent. */
static void fmt_exp(double v, int digits, char *buf, size_t size)
{
    char tmp[32]; /* digits <= 6: "-1.23456e-308" fits */
    snprintf(tmp, sizeof tmp, "%.*e", digits > 1 ? digits - 1 : 0, v);
    char *e = strchr(tmp, 'e');
    if (!e) { snprintf(buf, size, "%s", tmp); return; }
    int ex = atoi(e + 1);
    *e = '\0';
    strip_zeros(tmp);
    snprintf(buf, size, "%se%d", tmp, ex);
}

/* Superscript "10⁻³" for a power of ten. */
static void fmt_pow10(int ex, char *buf, size_t size)
{
    static const char *sup[10] = {"\xe2\x81\xb0", "\xc2\xb9", "\xc2\xb2", "\xc2\xb3", "\xe2\x81\xb4",
                                  "\xe2\x81\xb5", "\xe2\x81\xb6", "\xe2\x81\xb7", "\xe2\x81\xb8", "\xe2\x81\xb9"};
    char digits[16];
    snprintf(digits, sizeof digits, "%d", ex < 0 ? -ex : ex);
    size_t j = (size_t)snprintf(buf, size, "10%s", ex < 0 ? "\xe2\x81\xbb" : "");
    for (const char *d = digits; *d && j < size; d++) {
        const char *s = sup[*d - '0'];
        size_t l = strlen(s);
        if (j + l + 1 > size) break;
        memcpy(buf + j, s, l);
        j += l;
    }
    if (j < size) buf[j] = '\0';
}

int chart_format_number(double v, unsigned flags, char *buf, size_t size)
{
    char tmp[64];
    if (isnan(v)) snprintf(tmp, sizeof tmp, "nan");
    else if (isinf(v)) snprintf(tmp, sizeof tmp, v < 0 ? "-inf" : "inf");
    else if (v == 0) snprintf(tmp, sizeof tmp, "0");
    else {
        /* Round to 3 significant digits first, then pick the style by the rounded
         * value, so 999.7 becomes "1k" and not "1000". */
        char r[32];
        snprintf(r, sizeof r, "%.2e", v);
        double a = fabs(strtod(r, NULL));
        double rv = strtod(r, NULL);
        if (a >= 1e6 || a < 1e-3) fmt_exp(rv, 3, tmp, sizeof tmp);
        else if (a >= 1e3) {
            snprintf(tmp, sizeof tmp, "%.*f", a >= 1e5 ? 0 : a >= 1e4 ? 1 : 2, rv / 1e3);
            strip_zeros(tmp);
            strcat(tmp, "k");
        } else {
            int dec = 2 - (int)floor(log10(a) + 1e-12);
            snprintf(tmp, sizeof tmp, "%.*f", dec < 0 ? 0 : dec, rv);
            strip_zeros(tmp);
        }
    }
    put_label(tmp, flags, buf, size);
    return (int)strlen(buf);
}

/* Fewest decimals (0..9) that write every tick exactly at the step's resolution. */
static int common_decimals(const double *t, int n, double scale)
{
    double step = 0;
    for (int i = 1; i < n; i++) {
        double d = fabs(t[i] - t[i - 1]) / scale;
        if (d > 0 && (step == 0 || d < step)) step = d;
    }
    for (int d = 0; d < 9; d++) {
        double p = pow(10, d), tol = step > 0 ? step * p * 1e-6 : 1e-6;
        int ok = 1;
        for (int i = 0; i < n && ok; i++) {
            double x = t[i] / scale * p;
            ok = fabs(x - nearbyint(x)) <= fmax(tol, fabs(x) * 1e-12);
        }
        if (ok) return d;
    }
    return 9;
}

void chart_format_ticks(const double *t, int n, int log, unsigned flags, char out[][CHART_LABEL_MAX])
{
    if (n <= 0) return;
    double amax = 0, amin = INFINITY;
    for (int i = 0; i < n; i++) {
        amax = fmax(amax, fabs(t[i]));
        if (t[i] != 0) amin = fmin(amin, fabs(t[i]));
    }
    if (log) {
        int decades = 1;
        for (int i = 0; i < n && decades; i++) {
            double e = log10(t[i]);
            decades = t[i] > 0 && fabs(e - nearbyint(e)) < 1e-9;
        }
        if (decades && (amin < 1e-3 || amax > 1e4)) {
            for (int i = 0; i < n; i++) {
                int e = (int)nearbyint(log10(t[i]));
                if (flags & CHART_TEXT_ASCII) snprintf(out[i], CHART_LABEL_MAX, "1e%d", e);
                else fmt_pow10(e, out[i], CHART_LABEL_MAX);
            }
            return;
        }
        /* Ticks a factor apart share no decimals: each gets its own shortest form. */
        for (int i = 0; i < n; i++) chart_format_number(t[i], flags, out[i], CHART_LABEL_MAX);
        return;
    }
    char tmp[64];
    if (amax >= 1e6 || (amax > 0 && amax < 1e-3)) {
        /* Significant digits from the step, so 1.5e-4 and 2e-4 both show. */
        double step = n > 1 ? fabs(t[1] - t[0]) : amax;
        for (int i = 0; i < n; i++) {
            if (t[i] == 0) { snprintf(tmp, sizeof tmp, "0"); }
            else {
                int dig = (int)floor(log10(fabs(t[i]))) - (int)floor(log10(step > 0 ? step : amax)) + 1;
                fmt_exp(t[i], dig < 1 ? 1 : dig > 6 ? 6 : dig, tmp, sizeof tmp);
            }
            put_label(tmp, flags, out[i], CHART_LABEL_MAX);
        }
        return;
    }
    double scale = amax >= 1e4 ? 1e3 : 1;
    int dec = common_decimals(t, n, scale);
    for (int i = 0; i < n; i++) {
        double v = t[i] / scale;
        if (fabs(v) < 0.5 * pow(10, -dec)) v = 0; /* no "-0" */
        snprintf(tmp, sizeof tmp, "%.*f%s", dec, v, scale > 1 && v != 0 ? "k" : "");
        put_label(tmp, flags, out[i], CHART_LABEL_MAX);
    }
}

/* ---- ranges and scales ---------------------------------------------------- */

typedef struct Range {
    double lo, hi;
    int any;
} Range;

static void range_add(Range *r, double v, int log)
{
    if (!isfinite(v) || (log && !(v > 0))) return;
    if (!r->any) { r->lo = r->hi = v; r->any = 1; return; }
    if (v < r->lo) r->lo = v;
    if (v > r->hi) r->hi = v;
}

/* Pads a data range by frac of its span (in log10 space on log axes) and widens
 * a degenerate one, so a constant series sits mid-frame instead of on an edge. */
static void pad_range(Range *r, int log, double frac, double fixlo, double fixhi)
{
    if (!r->any) {
        r->lo = log ? 1 : 0;
        r->hi = log ? 10 : 1;
    } else if (log) {
        double a = log10(r->lo), b = log10(r->hi);
        if (b - a < 1e-12) { a -= 0.5; b += 0.5; }
        double p = (b - a) * frac;
        r->lo = pow(10, a - p);
        r->hi = pow(10, b + p);
    } else {
        double a = r->lo, b = r->hi;
        if (b - a <= 1e-12 * fmax(1, fabs(a))) {
            double w = a == 0 ? 1 : fabs(a) * 0.1;
            a -= w;
            b += w;
        }
        double p = (b - a) * frac;
        r->lo = a - p;
        r->hi = b + p;
    }
    if (isfinite(fixlo) && (!log || fixlo > 0)) r->lo = fixlo;
    if (isfinite(fixhi) && (!log || fixhi > 0)) r->hi = fixhi;
    if (!(r->hi > r->lo)) r->hi = log ? r->lo * 10 : r->lo + 1;
}

static int heat_range(const Chart *c, Range *r)
{
    Range d = {0, 0, 0};
    size_t n = (size_t)c->rows * (size_t)c->cols;
    for (size_t i = 0; i < n; i++)
        if (!c->mask || !c->mask[i]) range_add(&d, c->values[i], 0);
    if (!d.any) { d.lo = 0; d.hi = 1; }
    if (c->cmap == CHART_CMAP_DIVERGING && isnan(c->vmin) && isnan(c->vmax)) {
        double m = fmax(fabs(d.lo), fabs(d.hi));
        d.lo = -m;
        d.hi = m;
    }
    if (isfinite(c->vmin)) d.lo = c->vmin;
    if (isfinite(c->vmax)) d.hi = c->vmax;
    d.any = 1;
    *r = d;
    return 0;
}

int chart_value_range(const Chart *c, double *lo, double *hi, ChartCmap *cmap)
{
    Range r = {0, 0, 0};
    ChartCmap m = CHART_CMAP_VIRIDIS;
    if (!c) return -1;
    if (c->kind == CHART_HEATMAP) {
        heat_range(c, &r);
        m = c->cmap;
    } else if (c->kind == CHART_GRID) {
        for (int i = 0; i < c->npanels; i++) {
            const Chart *p = c->panels[i];
            if (p->kind != CHART_HEATMAP) continue;
            Range pr;
            heat_range(p, &pr);
            if (!r.any) m = p->cmap;
            range_add(&r, pr.lo, 0);
            range_add(&r, pr.hi, 0);
        }
        if (!r.any) return -1;
        if (m == CHART_CMAP_DIVERGING) {
            double a = fmax(fabs(r.lo), fabs(r.hi));
            r.lo = -a;
            r.hi = a;
        }
    } else {
        return -1;
    }
    if (!(r.hi > r.lo)) {
        double w = r.lo == 0 ? 1 : fabs(r.lo) * 0.5;
        r.lo -= w;
        r.hi += w;
    }
    if (lo) *lo = r.lo;
    if (hi) *hi = r.hi;
    if (cmap) *cmap = m;
    return 0;
}

/* Faint ticks on log axes: 2..9 within each decade (less the majors) when the
 * view spans few enough decades to show them, else the decades that thinning
 * left unlabelled. */
static void minor_ticks(ChartScale *s)
{
    s->nminor = 0;
    if (!s->log || s->n < 2) return;
    int cap = (int)(sizeof s->minor / sizeof *s->minor);
    double l0 = log10(s->lo), l1 = log10(s->hi);
    double e0 = log10(s->tick[0]), e1 = log10(s->tick[1]);
    int decades = fabs(e0 - nearbyint(e0)) < 1e-9 && fabs(e1 - nearbyint(e1)) < 1e-9;
    int stride = decades ? (int)nearbyint(e1 - e0) : 1;
    for (int d = (int)floor(l0); d <= (int)ceil(l1) && s->nminor < cap; d++) {
        if (stride == 1 && l1 - l0 <= 8) {
            for (int m = 2; m <= 9 && s->nminor < cap; m++) {
                double v = tick_value(m, 1, d);
                int major = 0;
                for (int i = 0; i < s->n && !major; i++) major = fabs(s->tick[i] - v) <= 1e-9 * v;
                if (!major && v > s->lo && v < s->hi) s->minor[s->nminor++] = v;
            }
        } else if (stride > 1) {
            double v = tick_value(1, 1, d);
            int major = (((d - (int)nearbyint(e0)) % stride) + stride) % stride == 0;
            if (!major && v > s->lo && v < s->hi) s->minor[s->nminor++] = v;
        }
    }
}

static int x_integral(const Chart *c)
{
    for (int i = 0; i < c->nseries; i++)
        for (int k = 0; k < c->series[i].n; k++)
            if (c->series[i].x[k] != floor(c->series[i].x[k])) return 0;
    return 1;
}

int chart_scale(const Chart *c, int axis, int max_ticks, unsigned flags, ChartScale *s)
{
    memset(s, 0, sizeof *s);
    if (!c) return -1;
    Range r = {0, 0, 0};
    if (axis == CHART_AXIS_VALUE) {
        if (chart_value_range(c, &r.lo, &r.hi, NULL) != 0) return -1;
    } else if (c->kind == CHART_LINE && (axis == CHART_AXIS_X || axis == CHART_AXIS_Y)) {
        int log = axis == CHART_AXIS_X ? c->log_x : c->log_y;
        for (int i = 0; i < c->nseries; i++) {
            const ChartSeries *se = &c->series[i];
            for (int k = 0; k < se->n; k++) {
                /* A point counts only if it is drawn: both coordinates placeable. */
                double x = se->x[k], y = se->y[k];
                if (!isfinite(x) || !isfinite(y) || (c->log_x && !(x > 0)) || (c->log_y && !(y > 0))) continue;
                range_add(&r, axis == CHART_AXIS_X ? x : y, log);
            }
        }
        if (axis == CHART_AXIS_Y)
            for (int i = 0; i < c->nguides; i++) range_add(&r, c->guides[i].y, log);
        if (axis == CHART_AXIS_X) pad_range(&r, log, 0.02, c->xmin, c->xmax);
        else pad_range(&r, log, 0.05, c->ymin, c->ymax);
        s->log = log;
    } else if (c->kind == CHART_BAR && axis == CHART_AXIS_Y) {
        for (int i = 0; i < c->nseries; i++)
            for (int k = 0; k < c->series[i].n; k++) range_add(&r, c->series[i].y[k], c->log_y);
        for (int i = 0; i < c->nguides; i++) range_add(&r, c->guides[i].y, c->log_y);
        if (!c->log_y) {
            /* Bars grow from 0, so 0 is in view and not padded past. */
            range_add(&r, 0, 0);
            double lo = r.lo, hi = r.hi;
            pad_range(&r, 0, 0.05, c->ymin, c->ymax);
            if (lo == 0 && !isfinite(c->ymin)) r.lo = 0;
            if (hi == 0 && !isfinite(c->ymax)) r.hi = 0;
            if (!(r.hi > r.lo)) r.hi = r.lo + 1;
        } else {
            pad_range(&r, 1, 0.05, c->ymin, c->ymax);
        }
        s->log = c->log_y;
    } else {
        return -1;
    }
    s->lo = r.lo;
    s->hi = r.hi;
    s->n = chart_nice_ticks(s->lo, s->hi, s->log, max_ticks, s->tick, CHART_MAX_TICKS);
    /* An x of whole numbers only (layers, blocks, steps) gets no "0.5" ticks. */
    if (c->kind == CHART_LINE && axis == CHART_AXIS_X && !s->log && x_integral(c)) {
        int k = 0;
        for (int i = 0; i < s->n; i++)
            if (s->tick[i] == floor(s->tick[i])) s->tick[k++] = s->tick[i];
        s->n = k;
    }
    chart_format_ticks(s->tick, s->n, s->log, flags, s->label);
    minor_ticks(s);
    return 0;
}

double chart_scale_pos(const ChartScale *s, double v)
{
    if (isnan(v)) return NAN;
    if (s->log) {
        if (!(v > 0)) return NAN;
        return (log10(v) - log10(s->lo)) / (log10(s->hi) - log10(s->lo));
    }
    return (v - s->lo) / (s->hi - s->lo);
}

int chart_label_stride(double cell_px, double label_px)
{
    if (!(cell_px > 0)) return 1 << 30;
    for (int k = 1, i = 0; k < (1 << 29); i++) {
        if (k * cell_px >= label_px) return k;
        k = (i % 3 == 1) ? k / 2 * 5 : k * 2; /* 1, 2, 5, 10, 20, 50, ... */
    }
    return 1 << 30;
}

int chart_utf8_next(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t c = u[0];
    int n;
    uint32_t min;
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { n = 2; c &= 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 3; c &= 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 4; c &= 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    for (int i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = c;
    return n;
}
