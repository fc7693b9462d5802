/* font.c — glyph lookup and text measurement over the generated DejaVu tables.
 * The only file that includes assets/font_dejavu.h, so its data exists once. */
#include "font.h"

#include <stddef.h>

#include "../assets/font_dejavu.h"
#include "chart.h"

static const BlFontData *font_data(ChartFont f)
{
    int i = (int)f;
    if (i < 0 || i >= (int)(sizeof bl_font_dejavu / sizeof *bl_font_dejavu)) i = 0;
    return &bl_font_dejavu[i];
}

static const BlFontGlyph *find(const BlFontData *d, uint32_t cp)
{
    int lo = 0, hi = d->nglyphs - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (d->glyphs[mid].cp == cp) return &d->glyphs[mid];
        if (d->glyphs[mid].cp < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

int chart_font_glyph(ChartFont f, uint32_t cp, ChartGlyph *g)
{
    const BlFontData *d = font_data(f);
    const BlFontGlyph *bg = find(d, cp);
    int found = bg != NULL;
    if (!bg) bg = find(d, '?');
    g->x0 = bg->x0;
    g->y0 = bg->y0;
    g->w = bg->w;
    g->h = bg->h;
    g->advance = bg->adv64 / 64.0;
    g->coverage = d->bitmap + bg->off;
    return found;
}

double chart_font_kern(ChartFont f, uint32_t a, uint32_t b)
{
    const BlFontData *d = font_data(f);
    if (a > 126 || b > 126) return 0;
    int lo = 0, hi = d->nkern - 1;
    uint32_t key = a << 8 | b;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        uint32_t k = (uint32_t)d->kern[mid].a << 8 | d->kern[mid].b;
        if (k == key) return d->kern[mid].k64 / 64.0;
        if (k < key) lo = mid + 1;
        else hi = mid - 1;
    }
    return 0;
}

double chart_text_width(ChartFont f, const char *s)
{
    double w = 0;
    uint32_t prev = 0;
    ChartGlyph g;
    while (s && *s) {
        uint32_t cp;
        s += chart_utf8_next(s, &cp);
        if (prev) w += chart_font_kern(f, prev, cp);
        chart_font_glyph(f, cp, &g);
        w += g.advance;
        prev = cp;
    }
    return w;
}

int chart_font_px(ChartFont f) { return font_data(f)->px; }
int chart_font_ascent(ChartFont f) { return font_data(f)->ascent; }
int chart_font_descent(ChartFont f) { return font_data(f)->descent; }
