/* term_chart.h — the terminal renderer of a Chart (ui/chart.h): draws it into a
 * rectangle of a TermCanvas (ui/term_canvas.h), for the TUI's panes and for batch
 * `show`. It never talks to a terminal itself, so tests read what it drew.
 *
 * What it draws, with the same ticks, labels and palette as the PNG/SVG writers:
 *   LINE     braille polylines (2x4 dots a cell), y ticks on the left, x ticks
 *            below, dotted guides with their labels, a legend on the title row
 *            (else in an empty corner of the plot, else none), gaps where values
 *            are NaN, infinite or off a log axis.
 *   HEATMAP  half blocks ("▀", two data rows a cell: fg the upper, bg the lower)
 *            through the chart's colour map, masked and non-finite cells dark
 *            grey, row and column labels where they fit, a colour bar with ticks;
 *            square units for square matrices; more data than cells is averaged.
 *   BAR      horizontal bars in eighth blocks with labels and values when every
 *            bar gets a row, else vertical bars with a y axis.
 *   GRID     the panels in sub-rectangles, one legend (when all panels name the
 *            same series) and one colour bar shared by the heatmaps.
 *
 * Fallbacks (DESIGN.md §5). Without UTF-8 every byte is ASCII: series drawn with
 * '*', '+', 'o', 'x', ..., heatmaps as coloured blanks, labels transliterated.
 * Without colour (TERM_COLOR_NONE, e.g. NO_COLOR) nothing is coloured: several
 * series differ by glyph (a lone series keeps braille), bars by fill, heatmaps
 * use the density ramp " .:-=+*#%@" (masked cells blank). With 8 colours, a
 * series whose colour would be black or white is drawn in the default colour.
 * Small rectangles lose axis captions, then the legend, tick labels and the
 * title; nothing is drawn outside the rectangle, which is cleared first.
 *
 * The canvas keeps 24-bit colours whatever the style: the depth is applied when
 * the canvas is shown (tcanvas_to_ansi, tcanvas_color_index), so the TUI draws
 * each pane into its canvas once per frame and copies the cells to ncurses.
 *
 * Example (kept compiling in tests/unit/test_term_chart.c):
 *
 *     TermStyle st = {.unicode = 1, .color = TERM_COLOR_256};
 *     TermCanvas *cv = tcanvas_new(80, 20);
 *     term_chart_draw(chart, cv, 0, 0, cv->w, cv->h, &st);
 *     tcanvas_to_ansi(cv, stdout, st.color);   // or tcanvas_to_text for plain text
 *     tcanvas_free(cv);
 */
#ifndef BL_TERM_CHART_H
#define BL_TERM_CHART_H

#include "chart.h"
#include "term_canvas.h"

typedef struct TermStyle {
    int unicode;            /* 1: UTF-8 braille, blocks, box drawing; 0: ASCII bytes only */
    TermColorMode color;    /* how the chart uses colour (the canvas keeps RGB either way) */
    /* The TUI's "freeze the scale": when freeze_y is set and y_hi > y_lo, the
     * value axis of a LINE or BAR chart (not of a grid's panels) shows
     * [y_lo, y_hi] whatever the data do; data outside are clipped. To freeze
     * what is on screen, read the range from term_chart_frame (f.ys.lo, f.ys.hi). */
    int    freeze_y;
    double y_lo, y_hi;
} TermStyle;

/* The grey of masked and non-finite heatmap cells: darker than the files'
 * chart_mask_rgb(), because terminals are mostly dark and a light triangle
 * would outshine the data. */
#define TERM_CHART_MASK_RGB ((ChartRGB){72, 72, 72})

/* Clears the w x h rectangle at (x, y) and draws c in it (parts outside the
 * canvas are clipped). st NULL means UTF-8 with 256 colours. c is only read.
 * Returns 0, or -1 when c is NULL or the rectangle is empty. */
int term_chart_draw(const Chart *c, TermCanvas *cv, int x, int y, int w, int h, const TermStyle *st);

/* Where term_chart_draw puts the data, for tests and for mapping a mouse
 * position back to a value. Cells are canvas coordinates. */
typedef struct TermChartFrame {
    int x, y, w, h;         /* LINE, BAR: the plot inside the axes; HEATMAP: the matrix */
    int xres, yres;         /* sub-cell units a cell: braille 2x4, glyph markers 1x1,
                               half blocks 1x2, eighth-block bars 8x1 or 1x8 */
    int dots_w, dots_h;     /* sub-cell units the data use across and down */
    int horizontal;         /* BAR: bars grow rightwards (value axis along x) */
    ChartScale xs, ys;      /* LINE: x and y axes; BAR: ys is the value axis;
                               HEATMAP: ys is the colour bar's scale */
} TermChartFrame;

/* Lays c out as term_chart_draw would in the same rectangle and style, without
 * drawing. A LINE point (x, y) lands on dot column lround(pos_x * (dots_w - 1))
 * and dot row lround((1 - pos_y) * (dots_h - 1)) from the frame's top left
 * (pos = chart_scale_pos; dot (i, j) is in cell (i / xres, j / yres)). A
 * HEATMAP unit (px, py) shows the data cell under its centre, row
 * (2*py + 1) * rows / (2 * dots_h) and column (2*px + 1) * cols / (2 * dots_w)
 * (integer division), when the matrix has at least as many units as the data
 * has cells; else the mean of the cells it spans. Returns 0, or -1 for a GRID,
 * a NULL chart or a rectangle too small for a plot (f is zeroed then). */
int term_chart_frame(const Chart *c, int x, int y, int w, int h, const TermStyle *st, TermChartFrame *f);

#endif
