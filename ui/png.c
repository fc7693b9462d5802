/* png.c — the raster renderer: a ChartPainter over an RGB buffer (coverage-based
 * anti-aliased strokes, solid rects, text from the DejaVu bitmaps), and the PNG
 * writer around it (libpng, with a pHYs chunk so the image has a physical size). */
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "chart_file.h"
#include "paint.h"
#include "render.h"

typedef struct Raster {
    ChartPainter base;      /* first, so a ChartPainter* is a Raster* */
    int w, h;
    uint8_t *px;            /* w*h*3 RGB */
    float *cov;             /* w*h stroke coverage, scratch for one polyline */
    int cx0, cy0, cx1, cy1; /* clip rectangle, [cx0, cx1) x [cy0, cy1) */
} Raster;

static void blend(Raster *r, int x, int y, ChartRGB c, float a)
{
    uint8_t *p = r->px + ((size_t)y * r->w + x) * 3;
    if (a >= 1) {
        p[0] = c.r;
        p[1] = c.g;
        p[2] = c.b;
        return;
    }
    p[0] = (uint8_t)lrintf(p[0] + (c.r - p[0]) * a);
    p[1] = (uint8_t)lrintf(p[1] + (c.g - p[1]) * a);
    p[2] = (uint8_t)lrintf(p[2] + (c.b - p[2]) * a);
}

static void r_rect(ChartPainter *pp, double x, double y, double w, double h, ChartRGB fill)
{
    Raster *r = (Raster *)pp;
    long x0 = lround(x), x1 = lround(x + w), y0 = lround(y), y1 = lround(y + h);
    if (x0 < r->cx0) x0 = r->cx0;
    if (y0 < r->cy0) y0 = r->cy0;
    if (x1 > r->cx1) x1 = r->cx1;
    if (y1 > r->cy1) y1 = r->cy1;
    for (long j = y0; j < y1; j++)
        for (long i = x0; i < x1; i++) blend(r, (int)i, (int)j, fill, 1);
}

typedef struct StrokeBox {
    int x0, y0, x1, y1;
} StrokeBox;

/* Coverage of a round-capped segment of half-width hw: for each pixel centre,
 * hw + 0.5 - distance, clamped to [0, 1] — a box filter across the edge.
 * Segments of one stroke combine by max, so joins do not double-darken. */
static void stroke_segment(Raster *r, const StrokeBox *b, double ax, double ay, double bx, double by, double hw)
{
    double ext = hw + 1;
    int x0 = (int)floor(fmin(ax, bx) - ext), x1 = (int)ceil(fmax(ax, bx) + ext);
    int y0 = (int)floor(fmin(ay, by) - ext), y1 = (int)ceil(fmax(ay, by) + ext);
    if (x0 < b->x0) x0 = b->x0;
    if (y0 < b->y0) y0 = b->y0;
    if (x1 > b->x1) x1 = b->x1;
    if (y1 > b->y1) y1 = b->y1;
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    for (int y = y0; y < y1; y++) {
        double cy = y + 0.5;
        for (int x = x0; x < x1; x++) {
            double cx = x + 0.5;
            double t = l2 > 0 ? ((cx - ax) * dx + (cy - ay) * dy) / l2 : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            double ex = ax + t * dx - cx, ey = ay + t * dy - cy;
            double c = hw + 0.5 - sqrt(ex * ex + ey * ey);
            if (c <= 0) continue;
            float *cv = &r->cov[(size_t)y * r->w + x];
            if (c > *cv) *cv = c > 1 ? 1.0f : (float)c;
        }
    }
}

static void r_polyline(ChartPainter *pp, const double *xy, int n, double width, ChartRGB color, double dash)
{
    Raster *r = (Raster *)pp;
    if (n < 1) return;
    double hw = width / 2, ext = hw + 1;
    double minx = xy[0], maxx = xy[0], miny = xy[1], maxy = xy[1];
    for (int i = 1; i < n; i++) {
        minx = fmin(minx, xy[2 * i]);
        maxx = fmax(maxx, xy[2 * i]);
        miny = fmin(miny, xy[2 * i + 1]);
        maxy = fmax(maxy, xy[2 * i + 1]);
    }
    StrokeBox b = {(int)fmax(r->cx0, floor(minx - ext)), (int)fmax(r->cy0, floor(miny - ext)),
                   (int)fmin(r->cx1, ceil(maxx + ext)), (int)fmin(r->cy1, ceil(maxy + ext))};
    if (b.x0 >= b.x1 || b.y0 >= b.y1) return;
    for (int y = b.y0; y < b.y1; y++) memset(&r->cov[(size_t)y * r->w + b.x0], 0, (size_t)(b.x1 - b.x0) * sizeof(float));

    if (n == 1) stroke_segment(r, &b, xy[0], xy[1], xy[0], xy[1], hw);
    /* Dashes of length dash and gaps of the same length, carried across
     * segments so a dashed polyline reads as one line. The state is a flag and
     * the length left, not a phase through fmod, which can stall on rounding. */
    double left = dash;
    int on = 1;
    for (int i = 1; i < n; i++) {
        double ax = xy[2 * i - 2], ay = xy[2 * i - 1], bx = xy[2 * i], by = xy[2 * i + 1];
        if (dash <= 0) {
            stroke_segment(r, &b, ax, ay, bx, by, hw);
            continue;
        }
        double len = hypot(bx - ax, by - ay), s = 0;
        while (s < len) {
            double e = fmin(len, s + left);
            if (on)
                stroke_segment(r, &b, ax + (bx - ax) * s / len, ay + (by - ay) * s / len, ax + (bx - ax) * e / len,
                               ay + (by - ay) * e / len, hw);
            left -= e - s;
            s = e;
            if (left <= 1e-9) {
                on = !on;
                left = dash;
            }
        }
    }
    for (int y = b.y0; y < b.y1; y++)
        for (int x = b.x0; x < b.x1; x++) {
            float c = r->cov[(size_t)y * r->w + x];
            if (c > 0) blend(r, x, y, color, c);
        }
}

static void r_text(ChartPainter *pp, double x, double y, const char *s, ChartFont f, ChartRGB color, PaintAlign align,
                   int vertical)
{
    Raster *r = (Raster *)pp;
    double width = chart_text_width(f, s);
    double pen = align == PAINT_CENTER ? -width / 2 : align == PAINT_RIGHT ? -width : 0;
    long ox = lround(x), oy = lround(y);
    uint32_t prev = 0;
    while (*s) {
        uint32_t cp;
        ChartGlyph g;
        s += chart_utf8_next(s, &cp);
        if (prev) pen += chart_font_kern(f, prev, cp);
        prev = cp;
        chart_font_glyph(f, cp, &g);
        long gx = lround(pen) + g.x0; /* along the text, from the anchor */
        for (int j = 0; j < g.h; j++)
            for (int i = 0; i < g.w; i++) {
                uint8_t a = g.coverage[j * g.w + i];
                if (!a) continue;
                /* Upright: (along, down). Turned 90° counter-clockwise: along
                 * runs up the page and "down" runs to the right. */
                long px = vertical ? ox + g.y0 + j : ox + gx + i;
                long py = vertical ? oy - (gx + i) - 1 : oy + g.y0 + j;
                if (px < 0 || py < 0 || px >= r->w || py >= r->h) continue;
                blend(r, (int)px, (int)py, color, a / 255.0f);
            }
        pen += g.advance;
    }
}

static void r_clip(ChartPainter *pp, double x, double y, double w, double h)
{
    Raster *r = (Raster *)pp;
    if (w <= 0 || h <= 0) {
        r->cx0 = r->cy0 = 0;
        r->cx1 = r->w;
        r->cy1 = r->h;
        return;
    }
    r->cx0 = (int)fmax(0, floor(x));
    r->cy0 = (int)fmax(0, floor(y));
    r->cx1 = (int)fmin(r->w, ceil(x + w));
    r->cy1 = (int)fmin(r->h, ceil(y + h));
}

static int check_size(int *w, int *h, BlError *err)
{
    if (*w <= 0) *w = CHART_DEFAULT_W;
    if (*h <= 0) *h = CHART_DEFAULT_H;
    if (*w < CHART_MIN_SIDE || *h < CHART_MIN_SIDE || *w > CHART_MAX_SIDE || *h > CHART_MAX_SIDE)
        return bl_fail(err, "chart size %dx%d is out of range (each side %d..%d px)", *w, *h, CHART_MIN_SIDE,
                       CHART_MAX_SIDE);
    return 0;
}

uint8_t *chart_render_rgb(const Chart *c, int w, int h, BlError *err)
{
    if (!c) {
        bl_fail(err, "no chart to draw");
        return NULL;
    }
    if (check_size(&w, &h, err) != 0) return NULL;
    Raster r = {{r_rect, r_polyline, r_text, r_clip}, w, h, NULL, NULL, 0, 0, w, h};
    r.px = xmalloc((size_t)w * h * 3);
    memset(r.px, 255, (size_t)w * h * 3);
    r.cov = xcalloc((size_t)w * h, sizeof *r.cov);
    chart_paint(c, &r.base, w, h);
    free(r.cov);
    return r.px;
}

typedef struct PngErr {
    jmp_buf jb;
    char msg[200];
} PngErr;

static void png_on_error(png_structp png, png_const_charp msg)
{
    PngErr *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    longjmp(e->jb, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int chart_write_png(const Chart *c, const char *path, int w, int h, int force, BlError *err)
{
    if (!c) return bl_fail(err, "no chart to write");
    if (check_size(&w, &h, err) != 0) return -1;
    ChartFile cf;
    if (chart_file_open(&cf, path, force, err) != 0) return -1;
    uint8_t *rgb = chart_render_rgb(c, w, h, err);
    if (!rgb) {
        chart_file_abort(&cf);
        return -1;
    }

    PngErr pe = {.msg = ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &pe, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        chart_file_abort(&cf);
        free(rgb);
        return bl_fail(err, "cannot write %s: libpng could not start", path);
    }
    if (setjmp(pe.jb)) {
        png_destroy_write_struct(&png, &info);
        chart_file_abort(&cf);
        free(rgb);
        return bl_fail(err, "cannot write %s: %s", path, pe.msg);
    }
    png_init_io(png, cf.f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_pHYs(png, info, CHART_PNG_PX_PER_M, CHART_PNG_PX_PER_M, PNG_RESOLUTION_METER);
    /* The title as iTXt (UTF-8), so image viewers and file managers can show it. */
    png_text txt[2];
    memset(txt, 0, sizeof txt);
    txt[0].compression = PNG_TEXT_COMPRESSION_NONE;
    txt[0].key = (png_charp) "Software";
    txt[0].text = (png_charp) "blocklab " BL_VERSION;
    txt[1].compression = PNG_ITXT_COMPRESSION_NONE;
    txt[1].key = (png_charp) "Title";
    txt[1].text = c->title;
    txt[1].lang = (png_charp) "";
    txt[1].lang_key = (png_charp) "";
    png_set_text(png, info, txt, *c->title ? 2 : 1);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) png_write_row(png, rgb + (size_t)y * w * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rgb);
    return chart_file_commit(&cf, err);
}
