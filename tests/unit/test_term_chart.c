/* test_term_chart.c — the terminal renderer: charts drawn into a cell canvas and
 * read back (glyphs where the data say, palette and colour-map colours, ASCII and
 * monochrome fallbacks, tiny rectangles). With -v it prints renders to look at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "term_canvas.h"
#include "term_chart.h"
#include "testlib.h"

static int verbose;

static const TermStyle UTF_TRUE = {1, TERM_COLOR_TRUE, 0, 0, 0};
static const TermStyle UTF_256 = {1, TERM_COLOR_256, 0, 0, 0};
static const TermStyle UTF_MONO = {1, TERM_COLOR_NONE, 0, 0, 0};
static const TermStyle ASCII_8 = {0, TERM_COLOR_8, 0, 0, 0};
static const TermStyle ASCII_MONO = {0, TERM_COLOR_NONE, 0, 0, 0};

/* ---- helpers ---- */

static char *canvas_text(const TermCanvas *cv)
{
    size_t n = tcanvas_to_text(cv, NULL, 0);
    char *s = malloc(n + 1);
    tcanvas_to_text(cv, s, n + 1);
    return s;
}

static void show(const char *what, const TermCanvas *cv)
{
    if (!verbose) return;
    char *s = canvas_text(cv);
    printf("---- %s (%dx%d)\n%s", what, cv->w, cv->h, s);
    free(s);
}

/* Row y of the canvas as text (trailing blanks kept), in a static buffer. */
static const char *row_text(const TermCanvas *cv, int y)
{
    static char buf[4096];
    size_t k = 0;
    for (int x = 0; x < cv->w && k + 5 < sizeof buf; x++) {
        const char *g = tcanvas_cell(cv, x, y)->ch;
        memcpy(buf + k, g, strlen(g));
        k += strlen(g);
    }
    buf[k] = '\0';
    return buf;
}

static int is_braille(const TermCell *c)
{
    const unsigned char *u = (const unsigned char *)c->ch;
    return u[0] == 0xE2 && (u[1] == 0xA0 || u[1] == 0xA1 || u[1] == 0xA2 || u[1] == 0xA3);
}

static int same_rgb(TermColor a, ChartRGB b) { return !a.is_default && a.r == b.r && a.g == b.g && a.b == b.b; }

static int text_has(const TermCanvas *cv, const char *needle)
{
    char *s = canvas_text(cv);
    int found = strstr(s, needle) != NULL;
    free(s);
    return found;
}

static int all_ascii(const TermCanvas *cv)
{
    char *s = canvas_text(cv);
    int ok = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) ok &= *p < 0x80;
    free(s);
    return ok;
}

static int all_default_colors(const TermCanvas *cv)
{
    for (int i = 0; i < cv->w * cv->h; i++)
        if (!cv->cells[i].fg.is_default || !cv->cells[i].bg.is_default) return 0;
    return 1;
}

static Chart *constant_line(double v, int color)
{
    double y[20];
    for (int i = 0; i < 20; i++) y[i] = v;
    Chart *c = chart_line_new("constant");
    chart_add_series(c, "flat", color, NULL, y, 20);
    return c;
}

static Chart *loss_line(void)
{
    double x[200], a[200], b[200];
    for (int i = 0; i < 200; i++) {
        x[i] = i;
        a[i] = 4 * exp(-i / 40.0) + 0.01;
        b[i] = 4 * exp(-i / 70.0) + 0.05;
    }
    Chart *c = chart_line_new("run A \xc2\xb7 loss");
    chart_set_axis_labels(c, "step", "loss");
    chart_set_log_y(c, 1);
    chart_add_series(c, "train", 0, x, a, 200);
    chart_add_series(c, "val", 1, x, b, 200);
    chart_add_guide(c, 1e-1, "target");
    return c;
}

static Chart *attention(int T)
{
    double *v = calloc((size_t)T * T, sizeof *v);
    for (int i = 0; i < T; i++)
        for (int j = 0; j <= i; j++) v[i * T + j] = (j == 0 ? 0.5 : 0.0) + 0.5 / (i + 1);
    Chart *c = chart_heatmap_new("attention", T, T, v);
    chart_heatmap_mask_causal(c);
    chart_heatmap_set_range(c, 0, 1);
    chart_heatmap_set_value_label(c, "weight");
    free(v);
    return c;
}

static Chart *bars(void)
{
    const char *lab[] = {"embed", "block 0", "unembed"};
    double a[] = {32768, 49920, 32768}, b[] = {32768, 33280, 16384};
    Chart *c = chart_bar_new("parameters", 3, lab);
    chart_add_bars(c, "Pre-LN", 0, a);
    chart_add_bars(c, "SAS-P", 1, b);
    return c;
}

static Chart *grid(void)
{
    Chart *g = chart_grid_new("grads", 0);
    for (int p = 0; p < 3; p++) {
        double y[30], z[30];
        for (int i = 0; i < 30; i++) { y[i] = sin(i * 0.3 + p); z[i] = cos(i * 0.2) + p; }
        char t[32];
        snprintf(t, sizeof t, "block %d", p);
        Chart *c = chart_line_new(t);
        chart_add_series(c, "attn", 0, NULL, y, 30);
        chart_add_series(c, "mlp", 1, NULL, z, 30);
        chart_grid_add(g, c);
    }
    return g;
}

/* ---- the canvas ---- */

static void test_canvas(void)
{
    TermCanvas *cv = tcanvas_new(10, 3);
    CHECK(cv->w == 10 && cv->h == 3, "size %dx%d", cv->w, cv->h);
    int n = tcanvas_text(cv, 2, 1, -1, "h\xc3\xa9llo world", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    CHECK(n == 8, "text clipped at the edge: %d characters consumed", n);
    CHECK(!strcmp(tcanvas_cell(cv, 3, 1)->ch, "\xc3\xa9"), "UTF-8 kept whole: '%s'", tcanvas_cell(cv, 3, 1)->ch);
    tcanvas_put(cv, -1, 0, "x", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    tcanvas_put(cv, 10, 0, "x", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    CHECK(tcanvas_cell(cv, 10, 0) == NULL && tcanvas_cell(cv, 0, -1) == NULL, "outside is NULL");
    char buf[64];
    size_t len = tcanvas_to_text(cv, buf, sizeof buf);
    CHECK(!strcmp(buf, "\n  h\xc3\xa9llo wo\n\n"), "plain text, trailing blanks trimmed: '%s'", buf);
    CHECK(len == strlen(buf), "length %zu", len);
    char small[6];
    len = tcanvas_to_text(cv, small, sizeof small);
    CHECK(len == strlen(buf) && strlen(small) <= 5, "a short buffer still reports the full length");
    CHECK(!strcmp(small, "\n  h"), "and never cuts a character in half: '%s'", small);

    /* Text from a file must not reach the terminal as commands. */
    tcanvas_clear(cv);
    tcanvas_text(cv, 0, 0, -1, "\x1b[31mX\x07\xc2\x9b", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    tcanvas_to_text(cv, buf, sizeof buf);
    CHECK(!strchr(buf, 0x1b) && !strchr(buf, 0x07) && !strstr(buf, "\xc2\x9b"), "control characters neutralised: '%s'", buf);
    tcanvas_put(cv, 0, 2, "\xff", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    CHECK(!strcmp(tcanvas_cell(cv, 0, 2)->ch, "?"), "malformed UTF-8 becomes '?'");
    tcanvas_free(cv);

    TermCanvas *empty = tcanvas_new(-3, 0);
    CHECK(empty->w == 0 && empty->h == 0 && tcanvas_to_text(empty, buf, sizeof buf) == 0, "an empty canvas is fine");
    tcanvas_free(empty);
    tcanvas_free(NULL);
}

static char *ansi_of(const TermCanvas *cv, TermColorMode m)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    tcanvas_to_ansi(cv, f, m);
    fclose(f);
    return s;
}

static void test_ansi(void)
{
    TermCanvas *cv = tcanvas_new(6, 2);
    ChartRGB red = chart_palette(3);
    tcanvas_put(cv, 0, 0, "A", tcanvas_rgb(red), TCANVAS_DEFAULT, TERM_ATTR_BOLD);
    tcanvas_put(cv, 1, 0, "B", TCANVAS_DEFAULT, tcanvas_rgb(red), 0);
    char want[64];

    char *s = ansi_of(cv, TERM_COLOR_TRUE);
    snprintf(want, sizeof want, "\x1b[0;1;38;2;%d;%d;%dmA", red.r, red.g, red.b);
    CHECK(strstr(s, want) != NULL, "truecolor foreground with bold: %s", s);
    snprintf(want, sizeof want, ";48;2;%d;%d;%dmB", red.r, red.g, red.b);
    CHECK(strstr(s, want) != NULL, "truecolor background");
    CHECK(strstr(s, "\x1b[0m\n") != NULL, "reset at the end of a coloured line");
    free(s);

    s = ansi_of(cv, TERM_COLOR_256);
    snprintf(want, sizeof want, "38;5;%dmA", chart_rgb_to_256(red));
    CHECK(strstr(s, want) != NULL, "256 colours through chart_rgb_to_256: %s", s);
    free(s);

    s = ansi_of(cv, TERM_COLOR_8);
    snprintf(want, sizeof want, ";3%dmA", chart_rgb_to_8(red));
    CHECK(strstr(s, want) != NULL, "8 colours through chart_rgb_to_8: %s", s);
    free(s);

    s = ansi_of(cv, TERM_COLOR_NONE);
    CHECK(!strstr(s, "38;") && !strstr(s, "48;") && !strstr(s, ";3") && !strstr(s, ";4"), "no colour at all: %s", s);
    CHECK(strstr(s, "\x1b[0;1mA") != NULL, "bold is not colour and stays");
    free(s);

    CHECK(tcanvas_color_index(TCANVAS_DEFAULT, TERM_COLOR_256) == -1, "default stays default");
    CHECK(tcanvas_color_index(tcanvas_rgb(red), TERM_COLOR_NONE) == -1, "no index without colour");
    tcanvas_free(cv);
}

static void test_guesses(void)
{
    CHECK(tcanvas_color_mode_guess("xterm-256color", "truecolor", "1", 256) == TERM_COLOR_NONE, "NO_COLOR wins");
    CHECK(tcanvas_color_mode_guess("xterm-256color", NULL, "", 256) == TERM_COLOR_256, "empty NO_COLOR is unset");
    CHECK(tcanvas_color_mode_guess("dumb", NULL, NULL, -1) == TERM_COLOR_NONE, "dumb");
    CHECK(tcanvas_color_mode_guess(NULL, NULL, NULL, -1) == TERM_COLOR_NONE, "no TERM");
    CHECK(tcanvas_color_mode_guess("xterm-256color", "truecolor", NULL, 256) == TERM_COLOR_TRUE, "COLORTERM");
    CHECK(tcanvas_color_mode_guess("tmux-256color", NULL, NULL, -1) == TERM_COLOR_256, "256color in TERM");
    CHECK(tcanvas_color_mode_guess("linux", NULL, NULL, 8) == TERM_COLOR_8, "linux console");
    CHECK(tcanvas_color_mode_guess("vt100", NULL, NULL, -1) == TERM_COLOR_NONE, "vt100");
    CHECK(tcanvas_unicode_guess("UTF-8") && tcanvas_unicode_guess("utf8") && !tcanvas_unicode_guess("ANSI_X3.4-1968") &&
              !tcanvas_unicode_guess(NULL),
          "codesets");
}

/* ---- line charts ---- */

static void test_line_constant(void)
{
    Chart *c = constant_line(5, 3);
    TermCanvas *cv = tcanvas_new(40, 12);
    CHECK(term_chart_draw(c, cv, 0, 0, 40, 12, &UTF_TRUE) == 0, "draws");
    show("constant line, truecolor", cv);
    CHECK(strncmp(row_text(cv, 0), "constant", 8) == 0, "title on the first row: '%s'", row_text(cv, 0));

    TermChartFrame f;
    CHECK(term_chart_frame(c, 0, 0, 40, 12, &UTF_TRUE, &f) == 0, "frame");
    CHECK(f.xres == 2 && f.yres == 4 && f.dots_h == f.h * 4, "braille resolution");
    int dot = (int)lround((1 - chart_scale_pos(&f.ys, 5)) * (f.dots_h - 1));
    int want_row = f.y + dot / f.yres, rows_hit = 0, cells = 0, other_rows = 0;
    for (int y = f.y; y < f.y + f.h; y++) {
        int hit = 0;
        for (int x = f.x; x < f.x + f.w; x++) {
            TermCell *cell = tcanvas_cell(cv, x, y);
            if (!is_braille(cell)) continue;
            hit = 1;
            if (y == want_row) {
                cells++;
                CHECK(same_rgb(cell->fg, chart_palette(3)), "series colour is palette 3 (%d,%d,%d)", cell->fg.r,
                      cell->fg.g, cell->fg.b);
                CHECK(tcanvas_color_index(cell->fg, TERM_COLOR_256) == chart_rgb_to_256(chart_palette(3)),
                      "and maps to the same 256-colour index");
            }
        }
        rows_hit += hit;
        other_rows += hit && y != want_row;
    }
    CHECK(rows_hit == 1 && other_rows == 0, "one row of dots, at row %d (rows hit %d)", want_row, rows_hit);
    CHECK(cells >= f.w - 1, "a dot in (nearly) every column: %d of %d", cells, f.w);
    /* The dot pattern is the right sub-row: one braille row of dots. */
    TermCell *mid = tcanvas_cell(cv, f.x + f.w / 2, want_row);
    unsigned bits = (((unsigned char)mid->ch[1] & 3u) << 6) | ((unsigned char)mid->ch[2] & 0x3Fu);
    static const unsigned rowbits[4] = {0x09, 0x12, 0x24, 0xC0};
    CHECK(bits == rowbits[dot % 4], "dots on sub-row %d: bits %#x", dot % 4, bits);
    chart_free(c);
    tcanvas_free(cv);
}

static void test_line_log_ticks(void)
{
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {1, 1e-1, 1e-2, 1e-3, 1e-4};
    Chart *c = chart_line_new("decay");
    chart_set_log_y(c, 1);
    chart_add_series(c, "g", 0, x, y, 5);
    TermCanvas *cv = tcanvas_new(50, 16);
    term_chart_draw(c, cv, 0, 0, 50, 16, &UTF_256);
    show("log y, UTF-8", cv);
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 50, 16, &UTF_256, &f);
    CHECK(f.ys.log && f.ys.n >= 3, "log scale with %d ticks", f.ys.n);
    int prev_row = 1 << 20;
    for (int i = 0; i < f.ys.n; i++) {
        int row = f.y + (int)lround((1 - chart_scale_pos(&f.ys, f.ys.tick[i])) * (f.dots_h - 1)) / f.yres;
        CHECK(strstr(row_text(cv, row), f.ys.label[i]) != NULL, "tick '%s' on row %d: '%s'", f.ys.label[i], row,
              row_text(cv, row));
        CHECK(row < prev_row, "ticks go up the screen");
        prev_row = row;
    }
    CHECK(text_has(cv, "10\xe2\x81\xbb\xc2\xb3") || text_has(cv, "10\xe2\x81\xbb\xe2\x81\xb4"), "superscript decades");
    /* ASCII: the same ticks spelled 1e-3. */
    term_chart_draw(c, cv, 0, 0, 50, 16, &ASCII_MONO);
    show("log y, ASCII mono", cv);
    CHECK(text_has(cv, "1e-3") || text_has(cv, "1e-4"), "ASCII exponents");
    CHECK(all_ascii(cv), "ASCII only");
    chart_free(c);
    tcanvas_free(cv);
}

static void test_line_gaps_guides_legend(void)
{
    Chart *c = loss_line();
    c->series[0].y[100] = NAN;
    TermCanvas *cv = tcanvas_new(72, 18);
    term_chart_draw(c, cv, 0, 0, 72, 18, &UTF_TRUE);
    show("loss, two runs, log y, guide", cv);
    CHECK(strstr(row_text(cv, 0), "train") && strstr(row_text(cv, 0), "val"), "legend on the title row: '%s'",
          row_text(cv, 0));
    CHECK(strstr(row_text(cv, 0), "\xe2\x96\xa0 train") != NULL, "legend swatch then name");
    CHECK(text_has(cv, "target"), "guide label");
    CHECK(text_has(cv, "step"), "x caption");
    /* The legend swatch has the series colour. */
    const char *r0 = row_text(cv, 0);
    int sx = -1;
    for (int x = 0; x < cv->w; x++)
        if (!strcmp(tcanvas_cell(cv, x, 0)->ch, "\xe2\x96\xa0")) { sx = x; break; }
    CHECK(sx >= 0 && same_rgb(tcanvas_cell(cv, sx, 0)->fg, chart_palette(0)), "swatch colour: %s", r0);

    /* A NaN breaks the line: one column of dots missing around x = 100 for series 0. */
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 72, 18, &UTF_TRUE, &f);
    CHECK(f.xs.n >= 3 && f.xs.log == 0, "x ticks");
    chart_free(c);

    /* Series alone between NaNs: just dots, no crash. */
    double y[5] = {NAN, 1, NAN, 2, NAN};
    c = chart_line_new("dots");
    chart_add_series(c, "s", 0, NULL, y, 5);
    term_chart_draw(c, cv, 0, 0, 72, 18, &UTF_TRUE);
    int n = 0;
    for (int i = 0; i < cv->w * cv->h; i++) n += is_braille(&cv->cells[i]);
    CHECK(n == 2, "two lone points, two braille cells: %d", n);
    chart_free(c);
    tcanvas_free(cv);
}

static void test_line_mono_and_ascii(void)
{
    Chart *c = loss_line();
    TermCanvas *cv = tcanvas_new(60, 16);
    term_chart_draw(c, cv, 0, 0, 60, 16, &UTF_MONO);
    show("loss, UTF-8 monochrome (markers tell the series apart)", cv);
    CHECK(all_default_colors(cv), "monochrome: no colours anywhere");
    CHECK(text_has(cv, "* train") && text_has(cv, "+ val"), "legend names the markers");
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 60, 16, &UTF_MONO, &f);
    int stars = 0, pluses = 0;
    for (int y = f.y; y < f.y + f.h; y++)
        for (int x = f.x; x < f.x + f.w; x++) {
            stars += !strcmp(tcanvas_cell(cv, x, y)->ch, "*");
            pluses += !strcmp(tcanvas_cell(cv, x, y)->ch, "+");
        }
    CHECK(stars > 10 && pluses > 10, "both series drawn with their glyphs (%d *, %d +)", stars, pluses);
    char *a = ansi_of(cv, TERM_COLOR_NONE);
    CHECK(!strstr(a, "38;") && !strstr(a, "48;"), "no colour escapes (NO_COLOR)");
    free(a);

    term_chart_draw(c, cv, 0, 0, 60, 16, &ASCII_8);
    show("loss, ASCII with 8 colours", cv);
    CHECK(all_ascii(cv), "ASCII only, title's middle dot included");
    CHECK(text_has(cv, "run A - loss"), "transliterated title");
    chart_free(c);

    /* A single series in monochrome UTF-8 keeps the finer braille. */
    c = constant_line(1, 0);
    term_chart_draw(c, cv, 0, 0, 60, 16, &UTF_MONO);
    int br = 0;
    for (int i = 0; i < cv->w * cv->h; i++) br += is_braille(&cv->cells[i]);
    CHECK(br > 20, "one series, mono: braille (%d cells)", br);
    chart_free(c);
    tcanvas_free(cv);
}

static void test_freeze(void)
{
    double y[50];
    for (int i = 0; i < 50; i++) y[i] = i * 4.0;
    Chart *c = chart_line_new("growing");
    chart_add_series(c, "s", 0, NULL, y, 50);
    TermStyle st = UTF_256;
    st.freeze_y = 1;
    st.y_lo = 0;
    st.y_hi = 10;
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 40, 12, &st, &f);
    CHECK(f.ys.lo == 0 && f.ys.hi == 10, "frozen range [%g, %g]", f.ys.lo, f.ys.hi);
    TermCanvas *cv = tcanvas_new(40, 12);
    term_chart_draw(c, cv, 0, 0, 40, 12, &st);
    show("frozen y in [0, 10]", cv);
    int right = 0;
    for (int y0 = f.y; y0 < f.y + f.h; y0++)
        for (int x = f.x + f.w / 2; x < f.x + f.w; x++) right += is_braille(tcanvas_cell(cv, x, y0));
    CHECK(right == 0, "data above the frozen range is clipped, not drawn on the frame (%d cells)", right);
    st.freeze_y = 0;
    term_chart_frame(c, 0, 0, 40, 12, &st, &f);
    CHECK(f.ys.hi > 190, "unfrozen: from the data (%g)", f.ys.hi);
    chart_free(c);
    tcanvas_free(cv);
}

/* ---- heatmaps ---- */

static void test_heatmap_colors(void)
{
    double v[12] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, NAN};
    Chart *c = chart_heatmap_new("grid", 3, 4, v);
    chart_heatmap_set_numbers(c, 0, 0, 1);
    chart_heatmap_set_value_label(c, "value");
    uint8_t mask[12] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
    chart_heatmap_set_mask(c, mask);
    TermCanvas *cv = tcanvas_new(40, 10);
    term_chart_draw(c, cv, 0, 0, 40, 10, &UTF_TRUE);
    show("heatmap 3x4 (one masked, one NaN)", cv);
    double lo, hi;
    ChartCmap cm;
    chart_value_range(c, &lo, &hi, &cm);
    /* Every unit against the reference rule, at sizes that give whole cells per
     * datum and at sizes that do not. */
    static const int sizes[][2] = {{40, 10}, {17, 7}, {21, 7}, {21, 12}, {31, 6}, {60, 20}};
    int units = 0, bad = 0;
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        int W = sizes[z][0], H = sizes[z][1];
        TermCanvas *cz = tcanvas_new(W, H);
        term_chart_draw(c, cz, 0, 0, W, H, &UTF_TRUE);
        TermChartFrame f;
        CHECK(term_chart_frame(c, 0, 0, W, H, &UTF_TRUE, &f) == 0, "frame at %dx%d", W, H);
        CHECK(f.yres == 2 && f.dots_w >= 4 && f.dots_h >= 3, "half blocks, %dx%d units", f.dots_w, f.dots_h);
        for (int py = 0; py < f.dots_h; py++)
            for (int px = 0; px < f.dots_w; px++) {
                int i = (2 * py + 1) * 3 / (2 * f.dots_h), j = (2 * px + 1) * 4 / (2 * f.dots_w), k = i * 4 + j;
                TermCell *cell = tcanvas_cell(cz, f.x + px, f.y + py / 2);
                TermColor got = py % 2 == 0 ? cell->fg : cell->bg;
                ChartRGB want = mask[k] || isnan(v[k]) ? TERM_CHART_MASK_RGB : chart_cmap(cm, (v[k] - lo) / (hi - lo));
                int ok = !strcmp(cell->ch, "\xe2\x96\x80") && same_rgb(got, want);
                if (!ok && !bad)
                    CHECK(0, "%dx%d: unit (%d,%d) should show cell (%d,%d) (%d,%d,%d), got (%d,%d,%d) '%s'", W, H, px, py, i,
                          j, want.r, want.g, want.b, got.r, got.g, got.b, cell->ch);
                bad += !ok;
                units++;
            }
        tcanvas_free(cz);
    }
    CHECK(bad == 0 && units > 100, "%d of %d units off the colour map", bad, units);
    ChartRGB g = TERM_CHART_MASK_RGB;
    CHECK(g.r == g.g && g.g == g.b, "masked cells are grey");
    CHECK(text_has(cv, "value"), "colour bar caption");
    CHECK(text_has(cv, "1.0") && text_has(cv, "0.0"), "colour bar ends labelled");
    chart_free(c);
    tcanvas_free(cv);
}

static void test_heatmap_causal_and_fallbacks(void)
{
    Chart *c = attention(8);
    const char *tok[8] = {"The", "cat", "sat", "on", "the", "mat", ".", "It"};
    chart_heatmap_set_labels(c, 0, tok);
    chart_heatmap_set_labels(c, 1, tok);
    TermCanvas *cv = tcanvas_new(50, 14);
    term_chart_draw(c, cv, 0, 0, 50, 14, &UTF_256);
    show("attention 8x8, causal mask, 256 colours", cv);
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 50, 14, &UTF_256, &f);
    CHECK(f.dots_w == f.dots_h, "square units for a square matrix (%dx%d)", f.dots_w, f.dots_h);
    /* Top-right unit is masked: grey; bottom-left is data. */
    TermCell *tr = tcanvas_cell(cv, f.x + f.w - 1, f.y);
    CHECK(same_rgb(tr->fg, TERM_CHART_MASK_RGB), "upper triangle greyed");
    TermCell *bl = tcanvas_cell(cv, f.x, f.y + f.h - 1);
    CHECK(!same_rgb(bl->fg, TERM_CHART_MASK_RGB), "lower triangle coloured");
    CHECK(strstr(row_text(cv, f.y), "The") != NULL, "row label on the first row");
    CHECK(text_has(cv, "weight"), "caption");

    term_chart_draw(c, cv, 0, 0, 50, 14, &ASCII_MONO);
    show("attention, ASCII monochrome: density ramp", cv);
    CHECK(all_ascii(cv) && all_default_colors(cv), "ASCII, no colour");
    term_chart_frame(c, 0, 0, 50, 14, &ASCII_MONO, &f);
    CHECK(f.yres == 1, "one data row a cell without half blocks");
    CHECK(!strcmp(tcanvas_cell(cv, f.x, f.y)->ch, "@"), "first token attends to itself fully: '%s'",
          tcanvas_cell(cv, f.x, f.y)->ch);
    CHECK(!strcmp(tcanvas_cell(cv, f.x + f.w - 1, f.y)->ch, " "), "masked cells blank");

    term_chart_draw(c, cv, 0, 0, 50, 14, &ASCII_8);
    show("attention, ASCII, 8 colours (coloured blanks)", cv);
    CHECK(all_ascii(cv), "ASCII");
    term_chart_frame(c, 0, 0, 50, 14, &ASCII_8, &f);
    CHECK(!tcanvas_cell(cv, f.x, f.y)->bg.is_default, "cells coloured by background");
    chart_free(c);
    tcanvas_free(cv);
}

/* ---- bars, grids ---- */

static void test_bars(void)
{
    Chart *c = bars();
    TermCanvas *cv = tcanvas_new(60, 14);
    term_chart_draw(c, cv, 0, 0, 60, 14, &UTF_TRUE);
    show("bars, horizontal", cv);
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 60, 14, &UTF_TRUE, &f);
    CHECK(f.horizontal && f.xres == 8, "horizontal eighth-block bars");
    CHECK(text_has(cv, "49.9k") && text_has(cv, "block 0"), "values and labels");
    /* block 0 / Pre-LN (49920) is longer than block 0 / SAS-P (33280). */
    int la = 0, lb = 0, y0 = f.y + 3;
    for (int x = f.x; x < f.x + f.w; x++) {
        la += !strcmp(tcanvas_cell(cv, x, y0)->ch, "\xe2\x96\x88");
        lb += !strcmp(tcanvas_cell(cv, x, y0 + 1)->ch, "\xe2\x96\x88");
    }
    double ratio = (double)la / (lb > 0 ? lb : 1);
    CHECK(fabs(ratio - 49920.0 / 33280) < 0.1, "bar lengths in proportion: %d vs %d", la, lb);
    CHECK(same_rgb(tcanvas_cell(cv, f.x, y0 + 1)->fg, chart_palette(1)), "second series in palette 1");

    term_chart_draw(c, cv, 0, 0, 60, 14, &ASCII_MONO);
    show("bars, ASCII mono", cv);
    CHECK(all_ascii(cv) && all_default_colors(cv), "ASCII mono");
    CHECK(text_has(cv, "# Pre-LN") && text_has(cv, "= SAS-P"), "fills tell the series apart");

    /* Too many bars for the rows: vertical, with a y axis. */
    TermCanvas *small = tcanvas_new(40, 6);
    term_chart_draw(c, small, 0, 0, 40, 6, &UTF_256);
    show("bars, vertical in 40x6", small);
    term_chart_frame(c, 0, 0, 40, 6, &UTF_256, &f);
    CHECK(!f.horizontal && f.yres == 8, "vertical when rows are short");
    chart_free(c);
    tcanvas_free(cv);
    tcanvas_free(small);
}

/* Update ratios in a small pane: 15 vertical bars on a log axis with the 1e-3
 * guide. Every bar is the same width, solid from its top to the axis (no
 * holes), the guide shows as a dashed line across with its label, and the
 * bars are named (by group where each name does not fit). */
static void test_vbars_solid_with_guide(void)
{
    static const char *names[15] = {"wte", "wpe", "0.ln1.w", "0.attn.w_qkv", "0.attn.w_o", "0.ln2.w", "0.mlp.w_in",
                                    "0.mlp.w_out", "1.ln1.w", "1.attn.w_qkv", "1.attn.w_o", "1.ln2.w", "1.mlp.w_in",
                                    "1.mlp.w_out", "ln_f.w"};
    double v[15] = {2.4e-3, 1.7e-3, 6e-5, 2.8e-3, 2.3e-3, 5e-5, 1.7e-3, 1.6e-3, 6.7e-5, 2.6e-3, 2.3e-3, 4.4e-5, 1.4e-3, 1.5e-3, 9e-5};
    Chart *c = chart_bar_new("update ratio", 15, names);
    chart_add_bars(c, "A", 0, v);
    chart_add_guide(c, 1e-3, "1e-3");
    chart_set_log_y(c, 1);
    TermCanvas *cv = tcanvas_new(44, 10);
    term_chart_draw(c, cv, 0, 0, 44, 10, &UTF_256);
    show("vertical bars with a guide, 44x10", cv);
    TermChartFrame f;
    term_chart_frame(c, 0, 0, 44, 10, &UTF_256, &f);
    CHECK(!f.horizontal, "vertical bars in a short pane");
    /* Columns holding bar glyphs, as runs of adjacent columns. */
    int runs = 0, width0 = -1, widths_differ = 0, holes = 0, in_run = 0, w = 0;
    for (int x = f.x; x <= f.x + f.w; x++) {
        int top = -1, bottom = -1;
        for (int y = f.y; x < f.x + f.w && y < f.y + f.h; y++) {
            const char *g = tcanvas_cell(cv, x, y)->ch;
            int bar = !strncmp(g, "\xe2\x96", 2) && (unsigned char)g[2] >= 0x81 && (unsigned char)g[2] <= 0x88;
            if (bar) {
                if (top < 0) top = y;
                bottom = y;
            }
        }
        if (top >= 0) {
            for (int y = top; y <= bottom; y++) {
                const char *g = tcanvas_cell(cv, x, y)->ch;
                holes += !strcmp(g, " ");
            }
            w++;
            in_run = 1;
        } else if (in_run) {
            runs++;
            if (width0 < 0) width0 = w;
            else widths_differ |= w != width0;
            in_run = 0;
            w = 0;
        }
    }
    CHECK(runs == 15, "15 separate bars, found %d", runs);
    CHECK(!widths_differ, "bars of one width");
    CHECK(holes == 0, "%d holes inside bars", holes);
    CHECK(text_has(cv, "\xe2\x95\x8c") && text_has(cv, "1e-3"), "the 1e-3 guide: a dashed line with its label");
    CHECK(text_has(cv, "wte") && text_has(cv, " 0 ") && text_has(cv, " 1 ") && text_has(cv, "ln_f"),
          "bars named by group (wte, block 0, block 1, ln_f)");
    chart_free(c);
    tcanvas_free(cv);
}

static void test_grid(void)
{
    Chart *g = grid();
    TermCanvas *cv = tcanvas_new(90, 14);
    term_chart_draw(g, cv, 0, 0, 90, 14, &UTF_256);
    show("grid of lines, shared legend", cv);
    char *s = canvas_text(cv);
    int n = 0;
    for (char *p = s; (p = strstr(p, "attn")); p++) n++;
    CHECK(n == 1, "one shared legend, not one per panel (%d)", n);
    CHECK(strstr(s, "block 0") && strstr(s, "block 2"), "panel titles");
    free(s);
    CHECK(chart_grid_shared_legend(g), "panels naming the same series share a legend");
    g->panels[2]->series[1].color = 5;
    CHECK(!chart_grid_shared_legend(g), "not when a colour differs");
    chart_free(g);

    g = chart_grid_new("heads", 2);
    for (int k = 0; k < 4; k++) chart_grid_add(g, attention(6));
    term_chart_draw(g, cv, 0, 0, 90, 14, &UTF_256);
    show("grid of heatmaps, shared colour bar", cv);
    CHECK(text_has(cv, "weight"), "shared caption");
    chart_free(g);
    tcanvas_free(cv);
}

/* ---- robustness ---- */

/* Every kind, every style, every small size: no crash, nothing outside the rectangle. */
static void test_tiny_and_bounds(void)
{
    Chart *charts[6] = {loss_line(), attention(5), bars(), grid(), chart_line_new("empty"), chart_heatmap_new("", 0, 0, NULL)};
    const TermStyle *styles[4] = {&UTF_TRUE, &UTF_MONO, &ASCII_8, &ASCII_MONO};
    TermCanvas *cv = tcanvas_new(40, 14);
    int outside = 0, runs = 0;
    char first[64] = "";
    for (int k = 0; k < 6; k++)
        for (int s = 0; s < 4; s++)
            for (int w = 0; w <= 26; w++)
                for (int h = 0; h <= 9; h++) {
                    tcanvas_fill(cv, 0, 0, cv->w, cv->h, "Z", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
                    term_chart_draw(charts[k], cv, 3, 2, w, h, styles[s]);
                    int bad = 0;
                    for (int y = 0; y < cv->h; y++)
                        for (int x = 0; x < cv->w; x++)
                            if (!(x >= 3 && x < 3 + w && y >= 2 && y < 2 + h)) bad += strcmp(tcanvas_cell(cv, x, y)->ch, "Z") != 0;
                    if (bad && !outside) {
                        snprintf(first, sizeof first, "chart %d, style %d, %dx%d", k, s, w, h);
                        show(first, cv);
                    }
                    outside += bad;
                    runs++;
                }
    CHECK(outside == 0, "%d cells written outside their rectangle in %d renders (first: %s)", outside, runs, first);
    tcanvas_fill(cv, 0, 0, cv->w, cv->h, " ", TCANVAS_DEFAULT, TCANVAS_DEFAULT, 0);
    term_chart_draw(charts[0], cv, 0, 0, 20, 6, &UTF_256);
    show("loss in 20x6", cv);
    CHECK(is_braille(tcanvas_cell(cv, 19, 3)) || text_has(cv, "\xe2\xa0"), "20x6 still shows the data");
    /* Half off the canvas: clipped, not a crash. */
    term_chart_draw(charts[1], cv, 30, 8, 40, 20, &UTF_256);
    term_chart_draw(charts[0], cv, -10, -3, 30, 10, &UTF_256);
    CHECK(term_chart_draw(NULL, cv, 0, 0, 10, 10, NULL) == -1 && term_chart_draw(charts[0], cv, 0, 0, 0, 5, NULL) == -1,
          "nothing to draw: -1");
    TermChartFrame f;
    CHECK(term_chart_frame(charts[3], 0, 0, 40, 14, NULL, &f) == -1, "grids have no single frame");
    for (int k = 0; k < 6; k++) chart_free(charts[k]);
    tcanvas_free(cv);
}

/* The example in term_chart.h, as written there (stdout swapped for a buffer). */
static void test_header_example(void)
{
    Chart *chart = loss_line();
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);

    TermStyle st = {.unicode = 1, .color = TERM_COLOR_256};
    TermCanvas *cv = tcanvas_new(80, 20);
    term_chart_draw(chart, cv, 0, 0, cv->w, cv->h, &st);
    tcanvas_to_ansi(cv, out, st.color);
    tcanvas_free(cv);

    fclose(out);
    CHECK(text && strstr(text, "train") && strstr(text, "\x1b[0;38;5;"), "the example draws in 256 colours");
    free(text);
    chart_free(chart);
}

static void test_hostile_labels(void)
{
    Chart *c = chart_line_new("\x1b]0;pwned\x07title\x1b[2J");
    double y[3] = {1, 2, 3};
    chart_add_series(c, "\x1b[31mred", 0, NULL, y, 3);
    TermCanvas *cv = tcanvas_new(50, 10);
    term_chart_draw(c, cv, 0, 0, 50, 10, &UTF_256);
    char *a = ansi_of(cv, TERM_COLOR_NONE);
    CHECK(!strstr(a, "\x1b]") && !strstr(a, "\x1b[2J") && !strstr(a, "\x1b[31m"), "labels cannot inject escapes");
    free(a);
    chart_free(c);
    tcanvas_free(cv);
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    RUN(test_canvas);
    RUN(test_ansi);
    RUN(test_guesses);
    RUN(test_line_constant);
    RUN(test_line_log_ticks);
    RUN(test_line_gaps_guides_legend);
    RUN(test_line_mono_and_ascii);
    RUN(test_freeze);
    RUN(test_heatmap_colors);
    RUN(test_heatmap_causal_and_fallbacks);
    RUN(test_bars);
    RUN(test_grid);
    RUN(test_vbars_solid_with_guide);
    RUN(test_tiny_and_bounds);
    RUN(test_header_example);
    RUN(test_hostile_labels);
    return TEST_SUMMARY();
}
