/* test_chart.c — the chart layer: nice ticks and labels, PNG pixels where the
 * data says they should be, well-formed SVG, CSV that round-trips, careful files.
 * With CHART_DEMO_DIR=DIR it also writes sample charts there to look at. */
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart.h"
#include "common.h"
#include "render.h"
#include "testlib.h"

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* ---- PNG decoding for the checks ---- */

typedef struct Image {
    int w, h;
    uint8_t *rgb;
    int has_phys;
    png_uint_32 phys_x, phys_y;
    int phys_unit;
} Image;

static int read_png(const char *path, Image *im)
{
    memset(im, 0, sizeof *im);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    im->w = (int)png_get_image_width(png, info);
    im->h = (int)png_get_image_height(png, info);
    if (png_get_color_type(png, info) != PNG_COLOR_TYPE_RGB || png_get_bit_depth(png, info) != 8) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return -1;
    }
    im->rgb = malloc((size_t)im->w * im->h * 3);
    for (int y = 0; y < im->h; y++) png_read_row(png, im->rgb + (size_t)y * im->w * 3, NULL);
    png_read_end(png, info);
    im->has_phys = png_get_pHYs(png, info, &im->phys_x, &im->phys_y, &im->phys_unit) != 0;
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return 0;
}

static ChartRGB px(const Image *im, int x, int y)
{
    const uint8_t *p = im->rgb + ((size_t)y * im->w + x) * 3;
    return (ChartRGB){p[0], p[1], p[2]};
}

static int same(ChartRGB a, ChartRGB b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
static int is_white(ChartRGB a) { return a.r == 255 && a.g == 255 && a.b == 255; }
static int is_dark(ChartRGB a) { return a.r < 110 && a.g < 110 && a.b < 110; }

static int count_in(const Image *im, int x0, int y0, int x1, int y1, int (*pred)(ChartRGB))
{
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += pred(px(im, x, y));
    return n;
}
static int not_white(ChartRGB a) { return !is_white(a); }

/* The row in column x whose pixel is exactly colour c (the stroke's core), or -1. */
static int row_of_color(const Image *im, int x, ChartRGB c)
{
    int first = -1, last = -1;
    for (int y = 0; y < im->h; y++)
        if (same(px(im, x, y), c)) {
            if (first < 0) first = y;
            last = y;
        }
    return first < 0 ? -1 : (first + last) / 2;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static int temp_files_left(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

/* ---- ticks and labels ---- */

static void test_nice_ticks_linear(void)
{
    double t[CHART_MAX_TICKS];
    int n = chart_nice_ticks(0, 1, 0, 6, t, CHART_MAX_TICKS);
    CHECK(n == 6, "[0,1] gives 6 ticks, got %d", n);
    for (int i = 0; i < n; i++) CHECK(t[i] == i / 5.0, "tick %d is %g", i, t[i]);
    CHECK(t[3] == 0.6, "0.6 is exactly 0.6 (no 0.6000000000000001): %.17g", t[3]);

    n = chart_nice_ticks(-3.2, 7.9, 0, 8, t, CHART_MAX_TICKS);
    CHECK(n == 5 && t[0] == -2 && t[n - 1] == 6, "[-3.2,7.9]: -2..6 step 2, got n=%d %g..%g", n, t[0], n ? t[n - 1] : 0);

    n = chart_nice_ticks(0.13, 0.97, 0, 5, t, CHART_MAX_TICKS);
    CHECK(n == 4 && t[0] == 0.2 && t[3] == 0.8, "[0.13,0.97]: 0.2..0.8, got n=%d", n);

    n = chart_nice_ticks(0, 20000, 0, 6, t, CHART_MAX_TICKS);
    CHECK(n == 5 && t[1] == 5000, "[0,20000] step 5000, got n=%d t1=%g", n, n > 1 ? t[1] : 0);

    n = chart_nice_ticks(1.2e-5, 4.9e-5, 0, 5, t, CHART_MAX_TICKS);
    CHECK(n == 3 && fabs(t[0] - 2e-5) < 1e-20, "tiny range: 2e-5..4e-5 step 1e-5, got n=%d t0=%g", n, t[0]);

    n = chart_nice_ticks(1, 1, 0, 5, t, CHART_MAX_TICKS);
    CHECK(n == 0, "empty range gives no ticks");
    for (int mt = 2; mt <= 12; mt++) {
        n = chart_nice_ticks(-17.3, 123.9, 0, mt, t, CHART_MAX_TICKS);
        CHECK(n >= 1 && n <= mt, "max_ticks %d respected (got %d)", mt, n);
    }
    CHECK(chart_nice_step(0.13) == 0.2 && chart_nice_step(3) == 5 && chart_nice_step(7) == 10 &&
              chart_nice_step(1) == 1,
          "nice steps 1-2-5");
}

static void test_nice_ticks_log(void)
{
    double t[CHART_MAX_TICKS];
    int n = chart_nice_ticks(1e-4, 1, 1, 8, t, CHART_MAX_TICKS);
    CHECK(n == 5 && t[0] == 1e-4 && t[4] == 1, "decades 1e-4..1, got %d", n);

    n = chart_nice_ticks(1e-9, 1e5, 1, 6, t, CHART_MAX_TICKS);
    CHECK(n >= 2 && n <= 6, "15 decades thinned to <= 6, got %d", n);
    for (int i = 1; i < n; i++) CHECK(fabs(log10(t[i] / t[i - 1]) - log10(t[1] / t[0])) < 1e-9, "even decade stride");

    n = chart_nice_ticks(2.5, 30, 1, 8, t, CHART_MAX_TICKS);
    CHECK(n == 3 && t[0] == 5 && t[1] == 10 && t[2] == 20, "1-2-5 inside a decade: 5 10 20, got %d", n);

    /* 1-2-5 is too many for a short axis: 1-3, never linear ticks that leave
     * the lower decade bare (200, 400 on the depth-memory chart of make bench). */
    n = chart_nice_ticks(16, 430, 1, 3, t, CHART_MAX_TICKS);
    CHECK(n == 3 && t[0] == 30 && t[1] == 100 && t[2] == 300, "1-3 on a short axis: 30 100 300, got %d (%g)", n, t[0]);

    n = chart_nice_ticks(0.55, 0.9, 1, 6, t, CHART_MAX_TICKS);
    CHECK(n >= 2 && t[0] >= 0.55 && t[n - 1] <= 0.9, "narrow log range falls back to linear, got %d", n);

    CHECK(chart_nice_ticks(0, 10, 1, 6, t, CHART_MAX_TICKS) == 0, "log range must be positive");
}

static void test_format(void)
{
    char out[8][CHART_LABEL_MAX];
    double a[] = {0, 0.2, 0.4, 0.6};
    chart_format_ticks(a, 4, 0, 0, out);
    CHECK(!strcmp(out[0], "0.0") && !strcmp(out[1], "0.2") && !strcmp(out[3], "0.6"), "one decimals for all: %s %s", out[0], out[1]);

    double b[] = {0, 5000, 10000, 15000};
    chart_format_ticks(b, 4, 0, 0, out);
    CHECK(!strcmp(out[1], "5k") && !strcmp(out[3], "15k"), "k suffix: %s %s", out[1], out[3]);

    double c[] = {1000, 1500, 2000};
    chart_format_ticks(c, 3, 0, 0, out);
    CHECK(!strcmp(out[1], "1500"), "below 1e4 plain: %s", out[1]);

    double d[] = {1e-4, 1e-3, 1e-2, 1e-1};
    chart_format_ticks(d, 4, 1, CHART_TEXT_ASCII, out);
    CHECK(!strcmp(out[0], "1e-4") && !strcmp(out[3], "1e-1"), "ascii decades: %s %s", out[0], out[3]);
    chart_format_ticks(d, 4, 1, 0, out);
    CHECK(!strcmp(out[0], "10\xe2\x81\xbb\xe2\x81\xb4"), "superscript decades: %s", out[0]);

    double e[] = {0.01, 0.1, 1, 10};
    chart_format_ticks(e, 4, 1, 0, out);
    CHECK(!strcmp(out[0], "0.01") && !strcmp(out[3], "10"), "plain decades: %s %s", out[0], out[3]);

    double f[] = {-1, -0.5, 0, 0.5};
    chart_format_ticks(f, 4, 0, 0, out);
    CHECK(!strcmp(out[0], "\xe2\x88\x92" "1.0") && !strcmp(out[2], "0.0"), "minus sign: %s, zero %s", out[0], out[2]);
    chart_format_ticks(f, 4, 0, CHART_TEXT_ASCII, out);
    CHECK(!strcmp(out[1], "-0.5"), "ascii minus: %s", out[1]);

    double g[] = {2e-4, 4e-4, 6e-4};
    chart_format_ticks(g, 3, 0, CHART_TEXT_ASCII, out);
    CHECK(!strcmp(out[0], "2e-4") && !strcmp(out[2], "6e-4"), "tiny linear: %s %s", out[0], out[2]);

    char s[CHART_LABEL_MAX];
    struct { double v; const char *want; } cases[] = {
        {0.00123, "0.00123"}, {0.000123, "1.23e-4"}, {1234, "1.23k"}, {999.7, "1k"}, {0.5, "0.5"}, {0.001, "0.001"}, {3e5, "300k"},
        {2.5e6, "2.5e6"}, {12.34, "12.3"}, {0, "0"}, {-0.25, "-0.25"}, {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        chart_format_number(cases[i].v, CHART_TEXT_ASCII, s, sizeof s);
        CHECK(!strcmp(s, cases[i].want), "format %g: want %s got %s", cases[i].v, cases[i].want, s);
    }
}

static void test_colors(void)
{
    CHECK(same(chart_palette(0), chart_palette(CHART_PALETTE_N)) && same(chart_palette(-1), chart_palette(9)),
          "palette wraps");
    ChartRGB v0 = chart_cmap(CHART_CMAP_VIRIDIS, 0), v1 = chart_cmap(CHART_CMAP_VIRIDIS, 1);
    CHECK(v0.r == 68 && v0.g == 1 && v0.b == 84 && v1.r == 253 && v1.g == 231, "viridis ends");
    ChartRGB mid = chart_cmap(CHART_CMAP_DIVERGING, 0.5);
    CHECK(mid.r > 240 && mid.g > 240 && mid.b > 240, "diverging centre is near white");
    CHECK(same(chart_cmap(CHART_CMAP_VIRIDIS, NAN), chart_mask_rgb()), "NaN is mask grey");
    CHECK(chart_rgb_to_256((ChartRGB){255, 0, 0}) == 196 && chart_rgb_to_256((ChartRGB){128, 128, 128}) == 244,
          "xterm-256 nearest: %d %d", chart_rgb_to_256((ChartRGB){255, 0, 0}), chart_rgb_to_256((ChartRGB){128, 128, 128}));
    CHECK(chart_rgb_to_8(chart_palette(2)) == 2 && chart_rgb_to_8(chart_palette(3)) == 1, "ANSI 8 by hue");
    CHECK(chart_label_stride(10, 35) == 5 && chart_label_stride(40, 35) == 1 && chart_label_stride(3, 35) == 20,
          "label strides 1-2-5");
}

static void test_scale(void)
{
    double x[3] = {0, 50, 100}, lo[3] = {1, 1, 1}, hi[3] = {3, 3, 3};
    Chart *c = chart_line_new("t");
    chart_add_series(c, "a", 0, x, lo, 3);
    chart_add_series(c, "b", 1, x, hi, 3);
    ChartScale s;
    CHECK(chart_scale(c, CHART_AXIS_Y, 6, 0, &s) == 0, "y scale");
    CHECK_CLOSE(s.lo, 0.9, 1e-12, "5% padding below");
    CHECK_CLOSE(s.hi, 3.1, 1e-12, "5% padding above");
    CHECK_CLOSE(chart_scale_pos(&s, 2), 0.5, 1e-12, "middle maps to 0.5");
    CHECK(chart_scale(c, CHART_AXIS_VALUE, 6, 0, &s) == -1, "a line chart has no colour axis");
    chart_add_guide(c, 1e-3, "floor");
    chart_set_log_y(c, 1);
    chart_scale(c, CHART_AXIS_Y, 6, 0, &s);
    CHECK(s.lo < 1e-3 && s.hi > 3, "log range includes the guide: %g..%g", s.lo, s.hi);
    CHECK(s.nminor > 0, "log axis has minor ticks");
    chart_set_y_range(c, 1e-4, 10);
    chart_scale(c, CHART_AXIS_Y, 6, 0, &s);
    CHECK(s.lo == 1e-4 && s.hi == 10, "fixed range kept");
    chart_free(c);

    double v[4] = {-2, 1, 0.5, 0};
    Chart *h = chart_heatmap_new("h", 2, 2, v);
    chart_heatmap_set_cmap(h, CHART_CMAP_DIVERGING);
    double a, b;
    chart_value_range(h, &a, &b, NULL);
    CHECK(a == -2 && b == 2, "diverging range symmetric: %g..%g", a, b);
    chart_free(h);
}

/* ---- PNG ---- */

static Chart *three_lines(void)
{
    double x[101], y1[101], y2[101], y3[101];
    for (int i = 0; i <= 100; i++) {
        x[i] = i;
        y1[i] = 1;
        y2[i] = 2;
        y3[i] = 3;
    }
    Chart *c = chart_line_new("three constant runs");
    chart_set_axis_labels(c, "step", "value");
    chart_add_series(c, "run A", 0, x, y1, 101);
    chart_add_series(c, "run B", 1, x, y2, 101);
    chart_add_series(c, "run C", 2, x, y3, 101);
    return c;
}

static void test_png_line(void)
{
    Chart *c = three_lines();
    BlError err = {""};
    const char *path = tmp_path("line.png");
    int rc = chart_write_png(c, path, 0, 0, 0, &err);
    CHECK(rc == 0, "write png: %s", err.msg);
    Image im;
    CHECK(read_png(path, &im) == 0, "png decodes");
    if (!im.rgb) { chart_free(c); return; }
    CHECK(im.w == 1200 && im.h == 800, "default size 1200x800, got %dx%d", im.w, im.h);
    CHECK(im.has_phys && im.phys_x == 5669 && im.phys_y == 5669 && im.phys_unit == PNG_RESOLUTION_METER,
          "pHYs 5669 px/m (144 dpi)");

    /* Constant series are horizontal strokes whose core has the exact palette colour. */
    int cx = im.w / 2;
    int r1 = row_of_color(&im, cx, chart_palette(0)), r2 = row_of_color(&im, cx, chart_palette(1)),
        r3 = row_of_color(&im, cx, chart_palette(2));
    CHECK(r1 > 0 && r2 > 0 && r3 > 0, "all three series found in the middle column (%d %d %d)", r1, r2, r3);
    CHECK(r1 > r2 && r2 > r3, "y grows upwards: rows %d > %d > %d", r1, r2, r3);
    CHECK(abs((r1 + r3) - 2 * r2) <= 2, "y = 2 lands midway between y = 1 and y = 3 (%d %d %d)", r1, r2, r3);
    int along = 0;
    for (int x = im.w / 4; x < im.w * 3 / 5; x += 7) along += same(px(&im, x, r1), chart_palette(0));
    CHECK(along >= (im.w * 3 / 5 - im.w / 4) / 7 - 1, "series A runs along its row (%d samples)", along);

    /* The plot, the axis labels and the legend all put ink on the page. */
    CHECK(count_in(&im, im.w / 3, r3 + 10, im.w * 2 / 3, r1 - 10, not_white) > 500, "plot area has grid ink");
    CHECK(count_in(&im, 0, im.h / 4, 90, im.h * 3 / 4, is_dark) > 100, "y tick labels and axis title on the left");
    CHECK(count_in(&im, im.w / 4, im.h - 70, im.w * 3 / 4, im.h, is_dark) > 100, "x tick labels and title below");
    CHECK(count_in(&im, 0, 0, im.w, 45, is_dark) > 100, "title at the top");
    /* Legend swatches: each series colour also appears off its own line. */
    int r[3] = {r1, r2, r3};
    for (int s = 0; s < 3; s++) {
        int off = 0;
        for (int y = 0; y < im.h; y++)
            if (abs(y - r[s]) > 3)
                for (int x = 0; x < im.w; x++) off += same(px(&im, x, y), chart_palette(s));
        CHECK(off >= 24, "legend swatch for series %d (%d px)", s, off);
    }
    free(im.rgb);
    chart_free(c);
}

/* Bounding box of horizontal runs (>= minrun px) of exactly colour c. */
static int color_box(const Image *im, ChartRGB c, int minrun, int *x0, int *y0, int *x1, int *y1, long *count)
{
    *x0 = *y0 = 1 << 30;
    *x1 = *y1 = -1;
    *count = 0;
    for (int y = 0; y < im->h; y++) {
        int run = 0;
        for (int x = 0; x <= im->w; x++) {
            if (x < im->w && same(px(im, x, y), c)) { run++; continue; }
            if (run >= minrun) {
                if (x - run < *x0) *x0 = x - run;
                if (x - 1 > *x1) *x1 = x - 1;
                if (y < *y0) *y0 = y;
                if (y > *y1) *y1 = y;
                *count += run;
            }
            run = 0;
        }
    }
    return *x1 >= 0;
}

static void test_png_heatmap(void)
{
    enum { N = 4 };
    double v[N * N];
    for (int i = 0; i < N * N; i++) v[i] = i / (double)(N * N - 1);
    Chart *c = chart_heatmap_new("cells", N, N, v);
    chart_heatmap_set_range(c, 0, 1);
    const char *tok[N] = {"the", "cat", "sat", "on"};
    chart_heatmap_set_labels(c, 0, tok);
    chart_heatmap_set_labels(c, 1, tok);
    uint8_t mask[N * N] = {0};
    mask[0 * N + 3] = 1; /* one greyed cell, top right */
    chart_heatmap_set_mask(c, mask);
    BlError err = {""};
    const char *path = tmp_path("heat.png");
    CHECK(chart_write_png(c, path, 800, 600, 0, &err) == 0, "write heatmap png: %s", err.msg);
    Image im;
    CHECK(read_png(path, &im) == 0 && im.w == 800 && im.h == 600, "heatmap png decodes at 800x600");
    if (!im.rgb) { chart_free(c); return; }
    int bx[N * N][4];
    int ok = 1;
    for (int k = 0; k < N * N; k++) {
        ChartRGB want = k == 3 ? chart_mask_rgb() : chart_cmap(CHART_CMAP_VIRIDIS, v[k]);
        long n;
        int found = color_box(&im, want, 30, &bx[k][0], &bx[k][1], &bx[k][2], &bx[k][3], &n);
        long area = found ? (long)(bx[k][2] - bx[k][0] + 1) * (bx[k][3] - bx[k][1] + 1) : 0;
        CHECK(found && area >= 900 && n == area, "cell %d is a solid block of its colour-map colour (area %ld, %ld px)",
              k, area, n);
        ok &= found;
    }
    if (ok) {
        for (int i = 0; i < N; i++)
            for (int j = 1; j < N; j++) {
                int a = i * N + j - 1, b = i * N + j;
                CHECK(bx[b][0] == bx[a][2] + 1 && bx[b][1] == bx[a][1], "cell (%d,%d) directly right of (%d,%d)", i, j, i,
                      j - 1);
            }
        for (int i = 1; i < N; i++)
            CHECK(bx[i * N][1] == bx[(i - 1) * N][3] + 1, "row %d directly below row %d (row 0 on top)", i, i - 1);
        int cw = bx[0][2] - bx[0][0] + 1, ch = bx[0][3] - bx[0][1] + 1;
        CHECK(abs(cw - ch) <= 1, "square matrix has square cells (%dx%d)", cw, ch);
        /* Row labels to the left of the matrix. */
        CHECK(count_in(&im, bx[0][0] - 60, bx[0][1], bx[0][0] - 2, bx[N * (N - 1)][3], is_dark) > 50, "row labels");
    }
    free(im.rgb);
    chart_free(c);
}

static Chart *attention_grid(int heads, int T, int cols)
{
    const char *tok[] = {"<s>", "the", "cat", "sat", "on", "the", "mat", "."};
    Chart *g = chart_grid_new("run A · layer 2 attention", cols);
    chart_set_subtitle(g, "causal; upper triangle masked");
    for (int h = 0; h < heads; h++) {
        double *a = calloc((size_t)T * T, sizeof *a);
        for (int i = 0; i < T; i++) {
            double z = 0;
            for (int j = 0; j <= i; j++) z += a[i * T + j] = exp(-0.9 * fabs((double)(i - j - h % 3)) + 0.2 * h * (j == 0));
            for (int j = 0; j <= i; j++) a[i * T + j] /= z;
        }
        char title[32];
        snprintf(title, sizeof title, "head %d", h);
        Chart *c = chart_heatmap_new(title, T, T, a);
        chart_heatmap_set_labels(c, 0, tok);
        chart_heatmap_set_labels(c, 1, tok);
        chart_heatmap_mask_causal(c);
        chart_heatmap_set_range(c, 0, 1);
        chart_heatmap_set_value_label(c, "attention weight");
        chart_set_axis_labels(c, "key", "query");
        chart_grid_add(g, c);
        free(a);
    }
    return g;
}

static void test_png_grid_and_bars(void)
{
    Chart *g = attention_grid(4, 8, 4);
    BlError err = {""};
    CHECK(chart_write_png(g, tmp_path("grid.png"), 0, 0, 0, &err) == 0, "grid png: %s", err.msg);
    Image im;
    if (read_png(tmp_path("grid.png"), &im) == 0) {
        CHECK(count_in(&im, 0, 0, im.w, im.h, not_white) > im.w * im.h / 5, "grid has ink");
        long n;
        int x0, y0, x1, y1;
        CHECK(color_box(&im, chart_mask_rgb(), 20, &x0, &y0, &x1, &y1, &n) && n > 1000, "masked triangle is grey");
        free(im.rgb);
    }
    CHECK(chart_grid_add(g, g) == -1, "a grid cannot nest");
    chart_free(g);

    const char *labels[] = {"embed", "block 0", "block 1", "block 2", "head"};
    double a[] = {0.8, 2.5, 1.9, 1.2, 0.4}, b[] = {0.7, 1.1, 1.0, 0.9, 0.5};
    Chart *c = chart_bar_new("gradient norm by layer", 5, labels);
    chart_add_bars(c, "pre-LN", 0, a);
    chart_add_bars(c, "post-LN", 1, b);
    CHECK(chart_write_png(c, tmp_path("bars.png"), 0, 0, 0, &err) == 0, "bar png: %s", err.msg);
    if (read_png(tmp_path("bars.png"), &im) == 0) {
        long n0, n1;
        int x0, y0, x1, y1;
        color_box(&im, chart_palette(0), 20, &x0, &y0, &x1, &y1, &n0);
        color_box(&im, chart_palette(1), 20, &x0, &y0, &x1, &y1, &n1);
        CHECK(n0 > n1 && n1 > 2000, "bars drawn, larger series larger (%ld vs %ld px)", n0, n1);
        free(im.rgb);
    }
    chart_free(c);
}

/* Odd inputs must draw something sensible and never crash (ASan watches). */
static void test_edge_cases(void)
{
    BlError err = {""};
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, NAN, INFINITY, -1, 0};
    Chart *c = chart_line_new("");
    CHECK(chart_write_png(c, tmp_path("empty.png"), 300, 240, 0, &err) == 0, "empty line chart: %s", err.msg);
    chart_add_series(c, "odd", 3, x, y, 5);
    chart_set_log_y(c, 1);
    CHECK(chart_write_png(c, tmp_path("odd.png"), 400, 300, 0, &err) == 0, "NaN/inf/negative on log y: %s", err.msg);
    CHECK(chart_write_svg(c, tmp_path("odd.svg"), 400, 300, 0, &err) == 0, "same as svg");
    CHECK(chart_write_png(c, tmp_path("tiny.png"), 10, 10, 0, &err) == -1 && strstr(err.msg, "out of range"),
          "too small refused: %s", err.msg);
    CHECK(!file_exists(tmp_path("tiny.png")), "nothing written for a refused size");
    chart_free(c);

    Chart *h = chart_heatmap_new("empty", 0, 0, NULL);
    CHECK(chart_write_png(h, tmp_path("h0.png"), 0, 0, 0, &err) == 0, "0x0 heatmap");
    chart_free(h);
    double big[200 * 300];
    for (int i = 0; i < 200 * 300; i++) big[i] = sin(i * 0.01);
    h = chart_heatmap_new("big", 200, 300, big);
    chart_heatmap_set_numbers(h, 0, 0, 1);
    chart_heatmap_set_numbers(h, 1, 0, 10);
    CHECK(chart_write_png(h, tmp_path("hbig.png"), 0, 0, 0, &err) == 0, "200x300 heatmap");
    chart_free(h);
    Chart *g = chart_grid_new("empty grid", 0);
    CHECK(chart_write_png(g, tmp_path("g0.png"), 0, 0, 0, &err) == 0, "empty grid");
    Chart *l = chart_line_new("a line");
    chart_add_series(l, "s", 0, x, x, 5);
    chart_grid_add(g, l);
    chart_grid_add(g, chart_heatmap_new("cells", 3, 3, big));
    CHECK(chart_write_png(g, tmp_path("gmix.png"), 0, 0, 0, &err) == 0, "mixed grid png");
    CHECK(chart_write_csv(g, tmp_path("gmix.csv"), 0, &err) == -1 && strstr(err.msg, "mixes"), "mixed grid csv refused");
    chart_free(g);
}

/* ---- SVG ---- */

static void test_svg(void)
{
    BlError err = {""};
    Chart *c = three_lines();
    chart_set_subtitle(c, "a < b & \"c\" 'd' \xc2\xb7 \xff broken \x01 control");
    chart_add_guide(c, 2.5, "guide <2.5>");
    const char *p1 = tmp_path("line.svg"), *p2 = tmp_path("grid.svg");
    CHECK(chart_write_svg(c, p1, 0, 0, 0, &err) == 0, "svg: %s", err.msg);
    Chart *g = attention_grid(4, 8, 0);
    CHECK(chart_write_svg(g, p2, 0, 0, 0, &err) == 0, "grid svg: %s", err.msg);
    chart_free(g);
    chart_free(c);
    if (system("command -v xmllint >/dev/null 2>&1") != 0) {
        printf("note: xmllint missing, SVG well-formedness not checked\n");
        return;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s' '%s'", p1, p2);
    CHECK(system(cmd) == 0, "xmllint --noout passes");
    FILE *f = fopen(p1, "r");
    char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
    CHECK(strstr(buf, "a &lt; b &amp; &quot;c&quot;") != NULL, "text escaped");
    CHECK(strstr(buf, "<polyline") && strstr(buf, "DejaVu Sans"), "vector lines and the font named");
}

/* ---- CSV ---- */

/* Splits one CSV line into fields (RFC 4180 quotes), in place. */
static int csv_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line, *w;
    while (n < max) {
        f[n++] = w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else if (!*p) break;
                else *w++ = *p++;
            }
        } else {
            while (*p && *p != ',' && *p != '\n') *w++ = *p++;
        }
        int more = *p == ',';
        *w = '\0';
        if (!more) break;
        p++;
    }
    return n;
}

static void test_csv(void)
{
    enum { N = 50 };
    double x[N], y[N], y2[N];
    for (int i = 0; i < N; i++) {
        x[i] = i * 10;
        y[i] = (float)(exp(-i * 0.37) * 3.14159);       /* float32 metrics, as the probes give */
        y2[i] = (float)(-1e-7 * (i + 1) / 3.0);
    }
    Chart *c = chart_line_new("csv");
    chart_add_series(c, "run \"A\", pre-LN", 0, x, y, N);
    chart_add_series(c, "B", 1, x, y2, N);
    BlError err = {""};
    const char *path = tmp_path("line.csv");
    CHECK(chart_write_csv(c, path, 0, &err) == 0, "csv: %s", err.msg);
    FILE *f = fopen(path, "r");
    char line[512];
    char *fld[8];
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "# csv\n"), "the title opens the file: %s", line);
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "series,x,y\n"), "line header");
    int rows = 0, exact = 1;
    while (f && fgets(line, sizeof line, f)) {
        int nf = csv_split(line, fld, 8);
        if (nf != 3) { exact = 0; break; }
        int s = rows / N, k = rows % N;
        const double *want = s == 0 ? y : y2;
        if (strcmp(fld[0], s == 0 ? "run \"A\", pre-LN" : "B") || strtod(fld[1], NULL) != x[k] ||
            strtof(fld[2], NULL) != (float)want[k])
            exact = 0;
        rows++;
    }
    if (f) fclose(f);
    CHECK(rows == 2 * N && exact, "every line point round-trips exactly (%d rows)", rows);
    chart_free(c);

    double v[6] = {(float)0.1, (float)0.2, NAN, (float)1e-9, -0.5, (float)1e30};
    Chart *h = chart_heatmap_new("h", 2, 3, v);
    const char *rl[2] = {"q,0", "q1"}, *cl[3] = {"k0", "k1", "k2"};
    chart_heatmap_set_labels(h, 0, rl);
    chart_heatmap_set_labels(h, 1, cl);
    path = tmp_path("heat.csv");
    CHECK(chart_write_csv(h, path, 0, &err) == 0, "heat csv: %s", err.msg);
    f = fopen(path, "r");
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "# h\n"), "heat title");
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "# colour scale: value (colours span -0.5 to 1e+30)\n"),
          "an auto scale is stated with its span: %s", line);
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "row,col,row_label,col_label,value\n"), "heat header");
    rows = 0;
    exact = 1;
    while (f && fgets(line, sizeof line, f)) {
        int nf = csv_split(line, fld, 8);
        int i = rows / 3, j = rows % 3;
        float got = strtof(fld[4], NULL), want = (float)v[rows];
        if (nf != 5 || atoi(fld[0]) != i || atoi(fld[1]) != j || strcmp(fld[2], rl[i]) || strcmp(fld[3], cl[j]) ||
            !(got == want || (isnan(got) && isnan(want))))
            exact = 0;
        rows++;
    }
    if (f) fclose(f);
    CHECK(rows == 6 && exact, "heatmap cells round-trip with labels");
    chart_free(h);

    const char *bl[2] = {"x", "y"};
    double bv[2] = {1.5, (float)2.7};
    Chart *b = chart_bar_new("b", 2, bl);
    chart_add_bars(b, "s", 0, bv);
    path = tmp_path("bars.csv");
    CHECK(chart_write_csv(b, path, 0, &err) == 0, "bar csv");
    f = fopen(path, "r");
    CHECK(f && fgets(line, sizeof line, f) && line[0] == '#', "bar title");
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "series,label,value\n"), "bar header");
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "s,x,1.5\n"), "bar row: %s", line);
    CHECK(f && fgets(line, sizeof line, f) && strtof(strrchr(line, ',') + 1, NULL) == (float)bv[1], "bar value exact");
    if (f) fclose(f);
    chart_free(b);

    Chart *g = attention_grid(2, 3, 0);
    path = tmp_path("grid.csv");
    CHECK(chart_write_csv(g, path, 0, &err) == 0, "grid csv");
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f) && line[0] == '#') {}
    CHECK(!strcmp(line, "panel,row,col,row_label,col_label,value\n"), "grid header");
    CHECK(f && fgets(line, sizeof line, f) && !strncmp(line, "head 0,0,0,<s>,<s>,", 19), "grid row: %s", line);
    if (f) fclose(f);
    chart_free(g);
}

/* ---- careful files ---- */

static void test_files(void)
{
    BlError err = {""};
    Chart *c = three_lines();
    const char *path = tmp_path("keep.png");
    CHECK(chart_write_png(c, path, 300, 240, 0, &err) == 0, "first write");
    struct stat st0, st1;
    stat(path, &st0);
    err.msg[0] = '\0';
    CHECK(chart_write_png(c, path, 0, 0, 0, &err) == -1, "overwrite refused without force");
    CHECK(strstr(err.msg, "already exists") != NULL, "says why: %s", err.msg);
    stat(path, &st1);
    CHECK(st1.st_size == st0.st_size, "existing file untouched");
    CHECK(chart_write_svg(c, path, 0, 0, 0, &err) == -1 && chart_write_csv(c, path, 0, &err) == -1,
          "svg and csv refuse too");
    CHECK(chart_write_png(c, path, 0, 0, 1, &err) == 0, "force overwrites: %s", err.msg);
    stat(path, &st1);
    CHECK(st1.st_size != st0.st_size, "and the file is the new one");

    CHECK(chart_write_png(c, "/nonexistent-dir-for-test/x.png", 0, 0, 0, &err) == -1 &&
              strstr(err.msg, "does not exist") && strchr(err.msg, '\n') == NULL,
          "missing directory: one clear line: %s", err.msg);
    CHECK(chart_write_csv(c, "/etc/hostname/x.csv", 0, &err) == -1 && strstr(err.msg, "not a directory"),
          "file as directory: %s", err.msg);
    CHECK(chart_write_svg(c, tmpdir, 0, 0, 1, &err) == -1 && strstr(err.msg, "directory"), "directory as target: %s",
          err.msg);
    if (geteuid() != 0) {
        char ro[128];
        snprintf(ro, sizeof ro, "%s/ro", tmpdir);
        mkdir(ro, 0555);
        snprintf(ro, sizeof ro, "%s/ro/x.png", tmpdir);
        CHECK(chart_write_png(c, ro, 0, 0, 0, &err) == -1 && strstr(err.msg, "not writable"), "read-only dir: %s",
              err.msg);
    }
    CHECK(temp_files_left() == 0, "no temporary files left behind");
    chart_free(c);
}

/* The example at the top of chart.h, kept compiling. */
static void test_header_example(void)
{
    double steps[3] = {1, 2, 3}, loss[3] = {2.0, 0.5, 0.01};
    int n = 3;
    char path[256];
    snprintf(path, sizeof path, "%s/loss.png", tmpdir);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || chdir(tmpdir) != 0) return;
    Chart *c = chart_line_new("run A · loss");
    chart_set_axis_labels(c, "step", "loss");
    chart_set_log_y(c, 1);
    chart_add_series(c, "train", 0, steps, loss, n);
    chart_add_guide(c, 1e-3, "target");
    BlError err;
    if (chart_write_png(c, "loss.png", 0, 0, 0, &err) != 0) fprintf(stderr, "%s\n", err.msg);
    chart_free(c);
    CHECK(chdir(cwd) == 0, "back to %s", cwd);
    CHECK(file_exists(path), "header example writes loss.png");
}

/* ---- samples to look at (CHART_DEMO_DIR) ---- */

static void write_all(const Chart *c, const char *dir, const char *name)
{
    char p[512];
    BlError err;
    snprintf(p, sizeof p, "%s/%s.png", dir, name);
    CHECK(chart_write_png(c, p, 0, 0, 1, &err) == 0, "demo %s: %s", p, err.msg);
    snprintf(p, sizeof p, "%s/%s.svg", dir, name);
    CHECK(chart_write_svg(c, p, 0, 0, 1, &err) == 0, "demo %s: %s", p, err.msg);
    snprintf(p, sizeof p, "%s/%s.csv", dir, name);
    CHECK(chart_write_csv(c, p, 1, &err) == 0, "demo %s: %s", p, err.msg);
}

static void demo(void)
{
    const char *dir = getenv("CHART_DEMO_DIR");
    if (!dir || !*dir) return;
    mkdir(dir, 0755);

    /* Loss of two runs, log y: B diverges and comes back as NaN for a while. */
    enum { S = 400 };
    double step[S], a[S], b[S];
    unsigned seed = 7;
    for (int i = 0; i < S; i++) {
        seed = seed * 1103515245u + 12345u;
        double noise = ((seed >> 8) & 0xffff) / 65536.0 - 0.5;
        step[i] = i * 25;
        a[i] = 0.004 + 3.2 * exp(-i / 60.0) * (1 + 0.25 * noise);
        b[i] = 0.03 + 3.0 * exp(-i / 140.0) * (1 + 0.2 * noise);
        if (i > 300 && i < 312) b[i] = NAN;
    }
    Chart *c = chart_line_new("run A vs run B \xc2\xb7 training loss");
    chart_set_subtitle(c, "depth 8, width 64, AdamW lr 3e-3; B uses post-LN");
    chart_set_axis_labels(c, "step", "loss (nats)");
    chart_set_log_y(c, 1);
    chart_add_series(c, "run A (pre-LN)", 0, step, a, S);
    chart_add_series(c, "run B (post-LN)", 1, step, b, S);
    chart_add_guide(c, 1e-2, "target 10\xe2\x81\xbb\xc2\xb2");
    write_all(c, dir, "loss");
    chart_free(c);

    /* Rank collapse by depth over training: mean token cosine, layers x steps. */
    enum { L = 12, T = 60 };
    double v[L * T];
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++) v[l * T + t] = 1 - exp(-(l + 1) / 4.0) * (0.35 + 0.65 * (1 - exp(-t / 15.0)));
    c = chart_heatmap_new("run A \xc2\xb7 rank (mean token cosine) by depth", L, T, v);
    chart_set_subtitle(c, "1 = all tokens identical (collapsed)");
    chart_heatmap_set_numbers(c, 0, 0, 1);
    chart_heatmap_set_numbers(c, 1, 0, 50);
    chart_heatmap_set_range(c, 0, 1);
    chart_heatmap_set_value_label(c, "mean cosine");
    chart_set_axis_labels(c, "step", "layer");
    write_all(c, dir, "depth");
    chart_free(c);

    c = attention_grid(4, 8, 0);
    write_all(c, dir, "attention");
    chart_free(c);

    const char *labels[] = {"embed", "block 0", "block 1", "block 2", "block 3", "block 4", "block 5", "unembed"};
    double g1[] = {0.21, 1.9, 1.4, 1.1, 0.82, 0.64, 0.5, 0.33}, g2[] = {0.3, 0.52, 0.55, 0.51, 0.49, 0.5, 0.47, 0.41};
    c = chart_bar_new("gradient norm per layer at init", 8, labels);
    chart_set_subtitle(c, "\xe2\x80\x96\xe2\x88\x87W\xe2\x80\x96 after one batch, mean of 5 seeds");
    chart_set_axis_labels(c, "", "\xe2\x80\x96grad\xe2\x80\x96");
    chart_add_bars(c, "post-LN", 3, g1);
    chart_add_bars(c, "pre-LN", 0, g2);
    write_all(c, dir, "bars");
    chart_free(c);

    /* Small multiples of line charts: one shared legend, log y per panel. */
    Chart *g = chart_grid_new("gradient norm per layer over training", 0);
    for (int l = 0; l < 6; l++) {
        char t[32];
        snprintf(t, sizeof t, "layer %d", l);
        Chart *p = chart_line_new(t);
        chart_set_log_y(p, 1);
        chart_set_axis_labels(p, "step", "\xe2\x80\x96g\xe2\x80\x96");
        double ga[S], gb[S];
        for (int i = 0; i < S; i++) {
            ga[i] = (l + 1) * 0.01 * exp(-i / 80.0) + 2e-4;
            gb[i] = (l + 1) * 0.02 * exp(-i / 150.0) + 1e-3 * (l + 1);
        }
        chart_add_series(p, "run A (pre-LN)", 0, step, ga, S);
        chart_add_series(p, "run B (post-LN)", 1, step, gb, S);
        chart_grid_add(g, p);
    }
    write_all(g, dir, "gradnorm_grid");
    chart_free(g);

    /* A signed heatmap: diverging map centred on 0. */
    double w[16 * 16];
    for (int i = 0; i < 256; i++) w[i] = sin(i * 0.7) * cos(i * 0.13) * 0.8;
    c = chart_heatmap_new("update direction \xce\x94W (signed)", 16, 16, w);
    chart_heatmap_set_cmap(c, CHART_CMAP_DIVERGING);
    chart_heatmap_set_value_label(c, "\xce\x94W");
    write_all(c, dir, "signed");
    chart_free(c);
    printf("demo charts written to %s\n", dir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_chart.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_nice_ticks_linear);
    RUN(test_nice_ticks_log);
    RUN(test_format);
    RUN(test_colors);
    RUN(test_scale);
    RUN(test_png_line);
    RUN(test_png_heatmap);
    RUN(test_png_grid_and_bars);
    RUN(test_edge_cases);
    RUN(test_svg);
    RUN(test_csv);
    RUN(test_files);
    RUN(test_header_example);
    RUN(demo);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' && rm -rf '%s'", tmpdir, tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", tmpdir);
    return TEST_SUMMARY();
}
