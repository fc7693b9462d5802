/* render.h — writing a Chart (ui/chart.h) to files: PNG for reports, SVG for
 * papers and slides, CSV for the numbers behind it. All share one layout
 * (ui/paint.c), so a chart looks the same in PNG and SVG.
 *
 * Every writer is careful: it refuses to replace an existing file unless force
 * is non-zero; it writes a temporary file beside the target and renames it into
 * place, so the target is either the old file, or absent, or complete; a missing
 * or read-only directory gives one line in err and writes nothing. All return 0,
 * or -1 with err filled (err may be NULL). The Chart is only read. */
#ifndef BL_CHART_RENDER_H
#define BL_CHART_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "chart.h"
#include "common.h"

/* Default canvas, in px. At the PNG's stated 144 dpi it prints 8.3 x 5.6 in. */
#define CHART_DEFAULT_W 1200
#define CHART_DEFAULT_H 800
/* Canvas sides accepted by the writers, in px. */
#define CHART_MIN_SIDE 240
#define CHART_MAX_SIDE 4096
/* pHYs resolution written into PNGs: 144 dpi = 5669 px per metre, i.e. a
 * "2x" image, so viewers and word processors show 1200 px as 8.3 inches. */
#define CHART_PNG_PX_PER_M 5669

/* w or h <= 0 picks the default size. */
int chart_write_png(const Chart *c, const char *path, int w, int h, int force, BlError *err);
int chart_write_svg(const Chart *c, const char *path, int w, int h, int force, BlError *err);
/* Tidy columns, a header line first. LINE: series,x,y. HEATMAP:
 * row,col,row_label,col_label,value (masked cells included; labels empty when
 * unset). BAR: series,label,value. A GRID of one kind prefixes a panel column
 * (the panel's title); a grid of mixed kinds is refused. Numbers are %.9g:
 * read back as float32 (strtof, numpy float32) they are bit-exact, which is
 * what the engine's metrics are; non-finite values print as nan / inf.
 * Text fields are quoted as RFC 4180 says when they need it. */
int chart_write_csv(const Chart *c, const char *path, int force, BlError *err);
/* The same CSV to an open stream (e.g. stdout in batch mode). */
int chart_csv_stream(const Chart *c, FILE *out, BlError *err);
/* One CSV field, quoted (RFC 4180) when it holds a comma, quote or newline. */
void chart_csv_field(FILE *f, const char *s);

/* Draws c into a new w x h RGB buffer (3 bytes per px, rows top-down), as the
 * PNG writer does. Returns the buffer (caller frees), or NULL with err filled
 * when the size is out of range. */
uint8_t *chart_render_rgb(const Chart *c, int w, int h, BlError *err);

#endif
