/* font.h — the bitmap font the chart renderers share (DejaVu Sans, rasterised
 * into assets/font_dejavu.h by tools/mkfont.py): glyph lookup and text metrics.
 * Internal to ui/: layout measures with it, the PNG renderer draws with it, and
 * the SVG renderer names the same font so its text takes the same room. */
#ifndef BL_CHART_FONT_H
#define BL_CHART_FONT_H

#include <stdint.h>

typedef enum {
    CHART_FONT_BODY,   /* 16 px: ticks, legends, labels */
    CHART_FONT_TITLE,  /* 22 px: titles */
    CHART_FONT_COUNT
} ChartFont;

/* A glyph's coverage bitmap (w x h bytes, 0..255) placed at (x0, y0) from the
 * pen on the baseline, y growing down. Points into static data: never freed. */
typedef struct ChartGlyph {
    int x0, y0, w, h;
    double advance;             /* px */
    const uint8_t *coverage;
} ChartGlyph;

/* Looks up cp; a character the font lacks comes back as '?' (returns 0 then, 1 if found). */
int    chart_font_glyph(ChartFont f, uint32_t cp, ChartGlyph *g);
/* Extra advance (px, usually negative) between two characters: kerning. */
double chart_font_kern(ChartFont f, uint32_t a, uint32_t b);
/* Width in px of a UTF-8 string drawn in f (advances plus kerning). */
double chart_text_width(ChartFont f, const char *utf8);
int    chart_font_px(ChartFont f);       /* nominal size, also the SVG font-size */
int    chart_font_ascent(ChartFont f);   /* px above the baseline */
int    chart_font_descent(ChartFont f);  /* px below the baseline */

#endif
