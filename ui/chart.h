/* chart.h — the Chart model: what a chart shows (lines, heatmaps, bars, grids of
 * them), as plain data with no I/O, plus the arithmetic every renderer shares
 * (ticks, number formats, ranges, palette, colour maps).
 *
 * A chart is described once and drawn by several renderers: the terminal panes,
 * PNG and SVG files (ui/render.h) and CSV. Renderers only read a Chart; anything
 * two of them would both compute (where the ticks go, how "0.001" is written,
 * which colour run 3 gets) lives here so they agree.
 *
 * Ownership: every builder copies what it is given (strings, arrays); a Chart
 * owns all of its memory and chart_free releases it, panels of a grid included.
 * Strings in a Chart are UTF-8 and never NULL ("" when unset).
 *
 * Example (kept compiling in tests/unit/test_chart.c):
 *
 *     Chart *c = chart_line_new("run A · loss");
 *     chart_set_axis_labels(c, "step", "loss");
 *     chart_set_log_y(c, 1);
 *     chart_add_series(c, "train", 0, steps, loss, n);
 *     chart_add_guide(c, 1e-3, "target");
 *     BlError err;
 *     if (chart_write_png(c, "loss.png", 0, 0, 0, &err) != 0)   // ui/render.h
 *         fprintf(stderr, "%s\n", err.msg);
 *     chart_free(c);
 */
#ifndef BL_CHART_H
#define BL_CHART_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CHART_LINE,     /* named series of (x, y) points */
    CHART_HEATMAP,  /* rows x cols matrix drawn through a colour map */
    CHART_BAR,      /* named bars (categories), optionally grouped by series */
    CHART_GRID      /* small multiples: panels (sub-charts) on a grid */
} ChartKind;

typedef enum {
    CHART_CMAP_VIRIDIS,    /* sequential, for values like [0, 1] */
    CHART_CMAP_DIVERGING,  /* blue - white - red, centred on 0, for signed values */
    CHART_CMAP_CATEGORY    /* whole numbers 0..30 → palette colours, 31 → near-black (MoM SKIP);
                              the chart sets its range to [0, CHART_CATEGORY_MAX] */
} ChartCmap;
#define CHART_CATEGORY_MAX 31

typedef struct ChartRGB {
    uint8_t r, g, b;
} ChartRGB;

/* One line (LINE) or one group member (BAR). For LINE, x and y hold n points;
 * a NaN or infinite y (or a y <= 0 on a log axis) breaks the line there, so a
 * divergence shows as a gap, not as a spike to the frame. For BAR, x is NULL
 * and y[i] is the value of bar i (n == the chart's nbars). */
/* How a line is drawn where colour alone cannot tell series apart (two
 * series of one run, train and validation). */
enum {
    CHART_STYLE_DASHED  = 1u << 0,  /* dashes instead of a solid line */
    CHART_STYLE_MARKERS = 1u << 1,  /* a marker at every point (sparse series: evaluations) */
};

typedef struct ChartSeries {
    char   *name;
    int     color;          /* palette index, usually the run or series id */
    unsigned style;         /* CHART_STYLE_* (0: a solid line) */
    int     n;
    double *x, *y;
} ChartSeries;

/* A horizontal reference line, e.g. y = 1e-3 "collapse threshold". */
typedef struct ChartGuide {
    double y;
    char  *label;
} ChartGuide;

typedef struct Chart {
    ChartKind kind;
    char *title, *subtitle;
    char *xlabel, *ylabel;
    int   log_x, log_y;             /* log10 axes (LINE; log_y also BAR) */
    double xmin, xmax, ymin, ymax;  /* fixed view limits; NaN = from the data */

    /* LINE, BAR */
    ChartSeries *series;
    int          nseries;
    ChartGuide  *guides;
    int          nguides;

    /* BAR: category labels along x */
    char **bar_labels;
    int    nbars;

    /* HEATMAP: values[r * cols + c], row 0 drawn at the top */
    int     rows, cols;
    double *values;
    uint8_t *mask;                  /* NULL, or rows*cols flags: 1 = greyed out */
    char  **row_labels;             /* NULL, or rows strings */
    char  **col_labels;             /* NULL, or cols strings */
    ChartCmap cmap;
    double  vmin, vmax;             /* colour range; NaN = from the data */
    char   *value_label;            /* caption of the colour bar, e.g. "cosine" */
    int     nkeys;                  /* > 0: categories, not a scale: a key of swatches */
    double *key_values;             /*   the value of each category (its cells' colour) */
    char  **key_labels;             /*   and its name ("0", "1", "SKIP") */

    /* GRID */
    struct Chart **panels;
    int            npanels;
    int            grid_cols;       /* panels per row */
} Chart;

/* ---- building ------------------------------------------------------------
 * Constructors never return NULL (allocation failure aborts, see xmalloc).
 * A NULL string argument means "". Setters on the wrong kind do nothing. */

Chart *chart_line_new(const char *title);
/* Copies n points. x may be NULL: then x = 0, 1, ..., n-1. Returns the series
 * index, or -1 if c is not a LINE chart or n < 0. */
int    chart_add_series(Chart *c, const char *name, int color,
                        const double *x, const double *y, int n);
/* Line style of series i (CHART_STYLE_*); renderers draw it the same way. */
void   chart_series_style(Chart *c, int i, unsigned style);
/* A dashed horizontal line at y with a small label at its right end (LINE, BAR). */
int    chart_add_guide(Chart *c, double y, const char *label);

/* rows x cols matrix, values row-major (copied; NULL = all zeros). Colour map
 * viridis, range from the data, no labels, no mask. */
Chart *chart_heatmap_new(const char *title, int rows, int cols, const double *values);
/* Labels for the rows (axis 0) or the columns (axis 1); copies rows/cols strings. */
void   chart_heatmap_set_labels(Chart *c, int axis, const char *const *labels);
/* Numeric labels start, start+step, ... (e.g. layers 0..L-1, or steps 0, 50, ...). */
void   chart_heatmap_set_numbers(Chart *c, int axis, double start, double step);
void   chart_heatmap_set_cmap(Chart *c, ChartCmap cmap);
/* Fixed colour range; NaN on either side keeps that side from the data. */
void   chart_heatmap_set_range(Chart *c, double lo, double hi);
void   chart_heatmap_set_value_label(Chart *c, const char *label);
/* The values are categories (e.g. MoM modules): renderers draw a key of n
 * swatches, the colour of values[i] named labels[i], in place of a colour bar
 * (copies both; n = 0 removes the key). */
void   chart_heatmap_set_key(Chart *c, int n, const double *values, const char *const *labels);
/* The heatmap whose key or colour bar stands for c: c itself, or a grid's
 * first heatmap panel; NULL if c has none. */
const Chart *chart_value_source(const Chart *c);
/* Copies rows*cols flags (1 = greyed); NULL removes the mask. */
void   chart_heatmap_set_mask(Chart *c, const uint8_t *mask);
/* Greys the causal upper triangle (col > row), as for attention patterns. */
void   chart_heatmap_mask_causal(Chart *c);

/* nbars categories with their labels (copied). */
Chart *chart_bar_new(const char *title, int nbars, const char *const *labels);
/* One group member: nbars values (copied). With several series, bars of one
 * category stand side by side. Returns the series index or -1. */
int    chart_add_bars(Chart *c, const char *name, int color, const double *values);

/* Small multiples, cols panels per row (cols < 1 picks a near-square grid). */
Chart *chart_grid_new(const char *title, int cols);
/* The grid's shape for its current panels on a canvas of the given aspect
 * (width / height): its own cols if set, else the count of columns that gives
 * square panels the most room. rows and cols come back >= 1. */
void   chart_grid_shape(const Chart *c, double aspect, int *rows, int *cols);
/* Takes ownership of panel (freed with the grid). Grids do not nest: adding a
 * grid, or adding to a non-grid, returns -1 and leaves panel to the caller. */
int    chart_grid_add(Chart *grid, Chart *panel);
/* Whether one legend can serve a whole grid: at least two panels, all line or
 * bar charts listing the same named series in the same colours (and at least
 * one name). Renderers then draw the legend once and none per panel. */
int    chart_grid_shared_legend(const Chart *grid);

void   chart_set_subtitle(Chart *c, const char *subtitle);
void   chart_set_axis_labels(Chart *c, const char *xlabel, const char *ylabel);
void   chart_set_log_x(Chart *c, int on);
void   chart_set_log_y(Chart *c, int on);
/* Fixed view limits; NaN keeps that side automatic. */
void   chart_set_x_range(Chart *c, double lo, double hi);
void   chart_set_y_range(Chart *c, double lo, double hi);

/* Frees c and everything it owns; NULL is fine. */
void   chart_free(Chart *c);

/* ---- colours ------------------------------------------------------------- */

/* A fixed categorical palette (matplotlib's tab10 order), so the same run id
 * gets the same colour in the terminal and in every file. Any int is a valid
 * index (taken modulo CHART_PALETTE_N). */
#define CHART_PALETTE_N 10
ChartRGB chart_palette(int index);

/* Colour-map lookup at t in [0, 1] (clamped). NaN gives chart_mask_rgb(). */
ChartRGB chart_cmap(ChartCmap m, double t);
/* The grey of masked (and non-finite) heatmap cells. */
ChartRGB chart_mask_rgb(void);

/* Nearest xterm-256 colour index (16..255) and nearest of the 8 ANSI colours
 * (0..7), for terminal renderers that cannot show 24-bit colour. */
int chart_rgb_to_256(ChartRGB c);
int chart_rgb_to_8(ChartRGB c);

/* ---- ticks, numbers, ranges ------------------------------------------------ */

#define CHART_MAX_TICKS 24
#define CHART_LABEL_MAX 24

/* Text flags for labels produced here. By default labels are UTF-8 with a true
 * minus sign and superscript exponents ("10⁻³"); CHART_TEXT_ASCII gives "-" and
 * "1e-3" for terminals without UTF-8. */
#define CHART_TEXT_ASCII 1u

/* "Nice" ticks inside [lo, hi], ascending. Linear: multiples of 1, 2 or 5
 * times a power of ten, the densest such that fits max_ticks. Log: 1-2-5
 * within decades when at most two decades are in view and they fit, else
 * powers of ten thinned to every 2nd/3rd/5th... decade, and linear steps when
 * the range is too narrow for either. At most max_ticks and cap values are
 * written to out. Returns the count (0 if the range is empty or, on a log
 * axis, not positive). */
int    chart_nice_ticks(double lo, double hi, int log, int max_ticks, double *out, int cap);
/* The 1-2-5 step nearest above raw (> 0): 0.13 -> 0.2, 3 -> 5, 7 -> 10. */
double chart_nice_step(double raw);

/* Formats a whole axis of ticks consistently, one style and (on linear axes)
 * one number of decimals: "0.0 0.5 1.0", "0 5k 10k", "2e-4 4e-4", and on log
 * axes "0.01 0.1 1" or, beyond [1e-3, 1e4], "10⁻⁶ 10⁻³ 1". n entries are written. */
void   chart_format_ticks(const double *ticks, int n, int log, unsigned flags,
                          char out[][CHART_LABEL_MAX]);
/* One number, compactly, with 3 significant digits: 0.000123 -> "1.23e-4",
 * 0.00123 -> "0.00123", 1234 -> "1.23k", 2.5e6 -> "2.5e6", 0.5 -> "0.5".
 * Returns the length of what was written. */
int    chart_format_number(double v, unsigned flags, char *buf, size_t size);

/* Axes of a chart, as renderers need them: the visible range (data range with
 * 5% padding unless fixed, 0 included for bars), ticks and their labels, and
 * faint minor ticks (2..9 within decades on log axes). */
enum { CHART_AXIS_X, CHART_AXIS_Y, CHART_AXIS_VALUE };
typedef struct ChartScale {
    double lo, hi;
    int    log;
    int    n;                                   /* major ticks */
    double tick[CHART_MAX_TICKS];
    char   label[CHART_MAX_TICKS][CHART_LABEL_MAX];
    int    nminor;
    double minor[4 * CHART_MAX_TICKS];
} ChartScale;

/* Fills s for an axis: X and Y of LINE charts, Y of BAR charts, VALUE (the
 * colour bar) of HEATMAP charts and of grids of heatmaps (one range shared by
 * all panels). max_ticks comes from the renderer's room (e.g. pixels / 80).
 * Returns 0, or -1 for an axis the chart does not have (s is then zeroed). */
int    chart_scale(const Chart *c, int axis, int max_ticks, unsigned flags, ChartScale *s);
/* Where v falls in the scale, 0 at lo and 1 at hi (log-aware; outside [0, 1]
 * when v is outside the range). NaN when v cannot be placed (NaN, or <= 0 on a
 * log scale). */
double chart_scale_pos(const ChartScale *s, double v);

/* The colour range of a heatmap, or the shared one of a grid's heatmaps: the
 * fixed range where set, else the finite unmasked data; symmetric about 0 for
 * the diverging map; widened when empty so that hi > lo. Returns 0, or -1 if
 * c has no heatmap. */
int    chart_value_range(const Chart *c, double *lo, double *hi, ChartCmap *cmap);

/* Every k-th label fits when labels need label_px each and sit cell_px apart:
 * returns the smallest k in 1, 2, 5, 10, 20, 50, ... with k * cell_px >=
 * label_px, so kept labels land on round indices (0, 5, 10, ...). */
int    chart_label_stride(double cell_px, double label_px);

/* Decodes one UTF-8 character from s (not at its end): stores the code point
 * and returns the bytes used; malformed input gives U+FFFD and 1. */
int    chart_utf8_next(const char *s, uint32_t *cp);

#endif
