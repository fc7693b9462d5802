/* paint.h — chart layout against an abstract painter: where the title, axes,
 * ticks, legend, heatmap cells and colour bar go is decided once, here, and a
 * painter (raster in png.c, vector in svg.c) only draws the shapes it is told.
 * Internal to ui/. Coordinates are pixels, origin top-left, y down; a pixel i
 * spans [i, i+1], so a crisp 1 px line runs along i + 0.5. */
#ifndef BL_CHART_PAINT_H
#define BL_CHART_PAINT_H

#include "chart.h"
#include "font.h"

typedef enum { PAINT_LEFT, PAINT_CENTER, PAINT_RIGHT } PaintAlign;

typedef struct ChartPainter ChartPainter;
struct ChartPainter {
    /* Filled rectangle. Layout passes whole pixels where edges must tile
     * (heatmap cells, bars), so neither painter needs to anti-alias rects. */
    void (*rect)(ChartPainter *p, double x, double y, double w, double h, ChartRGB fill);
    /* Stroke through n >= 1 finite points xy[2i], xy[2i+1] with round joins
     * and caps (n == 1 is a dot); dash > 0 draws dashes and gaps of that length. */
    void (*polyline)(ChartPainter *p, const double *xy, int n, double width, ChartRGB color, double dash);
    /* UTF-8 text with its baseline through y; x is the start, middle or end by
     * align. vertical turns it 90° counter-clockwise about (x, y): it then reads
     * bottom-up and "align" runs along the new direction. */
    void (*text)(ChartPainter *p, double x, double y, const char *s, ChartFont f, ChartRGB color,
                 PaintAlign align, int vertical);
    /* Clips later rects and polylines to a rectangle; w <= 0 removes the clip. */
    void (*clip)(ChartPainter *p, double x, double y, double w, double h);
};

/* Lays c out on a w x h canvas (already white) and draws it through p. */
void chart_paint(const Chart *c, ChartPainter *p, int w, int h);

#endif
