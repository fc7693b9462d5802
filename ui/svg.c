/* svg.c — the vector renderer: the same layout as the PNG (paint.c) written as
 * SVG 1.1 — polylines, rects, <text> in DejaVu Sans — with every string escaped
 * and invalid UTF-8 or XML-forbidden control characters replaced, so the file is
 * always well-formed XML. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "chart_file.h"
#include "paint.h"
#include "render.h"
#include "strbuf.h"

/* A growing string; the whole document is built before the file is opened for
 * good, so a failure never leaves half an SVG. */

/* Text content or attribute value: & < > " ' escaped; characters XML 1.0 does
 * not allow (most C0 controls, U+FFFE/U+FFFF) and malformed UTF-8 become U+FFFD. */
static void buf_escape(StrBuf *b, const char *s)
{
    while (*s) {
        uint32_t cp;
        int n = chart_utf8_next(s, &cp);
        switch (cp) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&apos;"); break;
        default:
            if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF ||
                (cp == 0xFFFD && n == 1))
                sb_puts(b, "\xef\xbf\xbd");
            else
                sb_append(b, s, (size_t)n);
        }
        s += n;
    }
}

typedef struct Svg {
    ChartPainter base;      /* first, so a ChartPainter* is an Svg* */
    StrBuf out;
    int clip_id;            /* current clipPath id, 0 = none */
    int nclips;
} Svg;

static void color_attr(StrBuf *b, const char *name, ChartRGB c)
{
    sb_printf(b, " %s=\"#%02x%02x%02x\"", name, c.r, c.g, c.b);
}

static void clip_attr(Svg *s)
{
    if (s->clip_id) sb_printf(&s->out, " clip-path=\"url(#clip%d)\"", s->clip_id);
}

static void s_rect(ChartPainter *pp, double x, double y, double w, double h, ChartRGB fill)
{
    Svg *s = (Svg *)pp;
    if (!(w > 0) || !(h > 0)) return;
    sb_printf(&s->out, "<rect x=\"%.6g\" y=\"%.6g\" width=\"%.6g\" height=\"%.6g\"", x, y, w, h);
    color_attr(&s->out, "fill", fill);
    clip_attr(s);
    /* Cells and bars must tile without anti-aliased seams. */
    sb_puts(&s->out, " shape-rendering=\"crispEdges\"/>\n");
}

static void s_polyline(ChartPainter *pp, const double *xy, int n, double width, ChartRGB color, double dash)
{
    Svg *s = (Svg *)pp;
    if (n < 1) return;
    if (n == 1) {
        sb_printf(&s->out, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.6g\"", xy[0], xy[1], width / 2);
        color_attr(&s->out, "fill", color);
        clip_attr(s);
        sb_puts(&s->out, "/>\n");
        return;
    }
    sb_puts(&s->out, "<polyline points=\"");
    for (int i = 0; i < n; i++) sb_printf(&s->out, "%s%.2f,%.2f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
    sb_puts(&s->out, "\" fill=\"none\"");
    color_attr(&s->out, "stroke", color);
    sb_printf(&s->out, " stroke-width=\"%.6g\" stroke-linejoin=\"round\" stroke-linecap=\"%s\"", width,
               dash > 0 ? "butt" : "round");
    if (dash > 0) sb_printf(&s->out, " stroke-dasharray=\"%.6g %.6g\"", dash, dash);
    clip_attr(s);
    sb_puts(&s->out, "/>\n");
}

static void s_text(ChartPainter *pp, double x, double y, const char *str, ChartFont f, ChartRGB color, PaintAlign align,
                   int vertical)
{
    Svg *s = (Svg *)pp;
    static const char *anchor[3] = {"start", "middle", "end"};
    sb_printf(&s->out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%d\"", x, y, chart_font_px(f));
    color_attr(&s->out, "fill", color);
    if (align != PAINT_LEFT) sb_printf(&s->out, " text-anchor=\"%s\"", anchor[align]);
    if (vertical) sb_printf(&s->out, " transform=\"rotate(-90 %.2f %.2f)\"", x, y);
    sb_puts(&s->out, ">");
    buf_escape(&s->out, str);
    sb_puts(&s->out, "</text>\n");
}

static void s_clip(ChartPainter *pp, double x, double y, double w, double h)
{
    Svg *s = (Svg *)pp;
    if (w <= 0 || h <= 0) {
        s->clip_id = 0;
        return;
    }
    s->clip_id = ++s->nclips;
    sb_printf(&s->out, "<clipPath id=\"clip%d\"><rect x=\"%.6g\" y=\"%.6g\" width=\"%.6g\" height=\"%.6g\"/></clipPath>\n",
               s->clip_id, x, y, w, h);
}

int chart_write_svg(const Chart *c, const char *path, int w, int h, int force, BlError *err)
{
    if (!c) return bl_fail(err, "no chart to write");
    if (w <= 0) w = CHART_DEFAULT_W;
    if (h <= 0) h = CHART_DEFAULT_H;
    if (w < CHART_MIN_SIDE || h < CHART_MIN_SIDE || w > CHART_MAX_SIDE || h > CHART_MAX_SIDE)
        return bl_fail(err, "chart size %dx%d is out of range (each side %d..%d px)", w, h, CHART_MIN_SIDE,
                       CHART_MAX_SIDE);
    ChartFile cf;
    if (chart_file_open(&cf, path, force, err) != 0) return -1;

    Svg s = {{s_rect, s_polyline, s_text, s_clip}, {NULL, 0, 0}, 0, 0};
    sb_printf(&s.out,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, sans-serif\">\n",
               w, h, w, h);
    if (*c->title) {
        sb_puts(&s.out, "<title>");
        buf_escape(&s.out, c->title);
        sb_puts(&s.out, "</title>\n");
    }
    sb_printf(&s.out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
    chart_paint(c, &s.base, w, h);
    sb_puts(&s.out, "</svg>\n");

    size_t n = s.out.len;
    int ok = fwrite(s.out.data, 1, n, cf.f) == n;
    sb_free(&s.out);
    if (!ok) {
        chart_file_abort(&cf);
        return bl_fail(err, "cannot write %s: write failed", path);
    }
    return chart_file_commit(&cf, err);
}
