/* test_chart_metrics.c — the charts blocklab builds from Metrics tell the truth:
 * bounded heatmaps on a fixed scale that the legend names, attention maps that
 * label every token and show the matrix the block computes, and series of one
 * run told apart by dashes and markers, not by a colour of another run. The
 * checks read the SVG a student would hand in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chart_metrics.h"
#include "render.h"
#include "testlib.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

/* The chart as SVG text (caller frees). */
/* The file a writer makes of c, read back (freed by the caller); NULL if it failed. */
static char *file_of(const Chart *c, int csv)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/blocklab-tcm-%d.%s", (int)getpid(), csv ? "csv" : "svg");
    BlError e;
    if ((csv ? chart_write_csv(c, path, 0, &e) : chart_write_svg(c, path, 0, 0, 1, &e)) != 0) return NULL;
    char *s = slurp(path);
    unlink(path);
    return s;
}
static char *svg_of(const Chart *c) { return file_of(c, 0); }
static char *csv_of(const Chart *c) { return file_of(c, 1); }

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A run's metrics: loss every step, val.loss every 10, rank.cos and lnin by layer. */
static void fill(Metrics *m, float scale)
{
    metrics_init(m);
    Series *loss = metrics_series(m, "loss", 1, 1, NULL), *val = metrics_series(m, "val.loss", 1, 1, NULL);
    for (int t = 1; t <= 50; t++) {
        float v = scale * (2.0f + 1.0f / (float)t);
        series_append(loss, t, &v);
        if (t % 10 == 0) series_append(val, t, &v);
    }
    Series *cos = metrics_series(m, "rank.cos", 1, 5, "layer");
    for (int t = 0; t < 3; t++) {
        float v[5] = {0.01f, 0.05f, 0.1f, 0.15f, 0.18f};   /* low values: an auto scale would make 0.18 yellow */
        series_append(cos, t * 10, v);
    }
    float a[4] = {0.1f, 0.2f, 0.3f, 0.4f}, b[4] = {0.5f, 0.6f, 0.7f, 0.8f};
    series_append(metrics_series(m, "lnin.attn", 1, 4, "layer"), 0, a);
    series_append(metrics_series(m, "lnin.mlp", 1, 4, "layer"), 0, b);
}

static void test_fixed_scale_in_legend(void)
{
    Metrics m;
    fill(&m, 1);
    ChartRun run = {"A", &m, 0, NULL};
    ChartOpts o;
    chart_opts_default(&o);
    BlError e;
    Chart *c = chart_from_metrics("rank.map", &run, 1, &o, &e);
    CHECK(c && c->vmin == 0 && c->vmax == 1, "rank.map on the fixed 0..1 scale");
    char *svg = c ? svg_of(c) : NULL;
    CHECK(svg && strstr(svg, "cosine, fixed 0..1"), "the SVG colour bar says the scale is fixed 0..1");
    CHECK(svg && strstr(svg, ">1.0<") && strstr(svg, ">0.0<"), "the SVG colour bar runs from 0.0 to 1.0");
    char *csv = c ? csv_of(c) : NULL;
    CHECK(csv && strstr(csv, "\n# colour scale: cosine, fixed 0..1 (colours span 0 to 1)\nrow,col,"),
          "the CSV says the scale is fixed 0..1 before its header: %.200s", csv ? csv : "");
    free(csv);
    free(svg);
    chart_free(c);
    o.scale_auto = 1;
    c = chart_from_metrics("rank.map", &run, 1, &o, &e);
    svg = c ? svg_of(c) : NULL;
    CHECK(svg && strstr(svg, "cosine, auto scale"), "scale=auto is named in the legend");
    csv = c ? csv_of(c) : NULL;
    CHECK(csv && strstr(csv, "# colour scale: cosine, auto scale (colours span 0.01 to 0.18)"),
          "the CSV names scale=auto and its span: %.200s", csv ? csv : "");
    free(csv);
    free(svg);
    chart_free(c);
    /* A smoothed loss says so in the file, wherever it is exported from (`e` uses these opts). */
    o.smooth = 0.8;
    c = chart_from_metrics("loss", &run, 1, &o, &e);
    svg = c ? svg_of(c) : NULL;
    csv = c ? csv_of(c) : NULL;
    CHECK(svg && strstr(svg, "loss smoothed: debiased EMA 0.8; val.loss raw"), "the SVG says the loss is smoothed");
    CHECK(csv && strstr(csv, "# loss smoothed: debiased EMA 0.8; val.loss raw\nseries,x,y"), "the CSV says it too");
    free(csv);
    free(svg);
    chart_free(c);
    o.smooth = 0;
    c = chart_from_metrics("loss", &run, 1, &o, &e);
    csv = c ? csv_of(c) : NULL;
    CHECK(csv && !strstr(csv, "smoothed"), "a raw loss does not claim smoothing");
    free(csv);
    chart_free(c);
    metrics_free(&m);
}

static void test_attention_labels_and_matrix(void)
{
    Metrics m;
    metrics_init(&m);
    enum { T = 12, H = 2 };
    const char *tok[T] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11"};
    float pat[H * T * T], mix[H * T * T];
    for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                pat[(h * T + i) * T + j] = j <= i ? 1.0f / (float)(i + 1) : 0;
                mix[(h * T + i) * T + j] = j == i ? 1.0f : 0;
            }
    Series *s = metrics_series(&m, "attn.0", H * T, T, "key");
    series_append(s, 0, pat);
    series_set_labels(s, tok, T);
    s = metrics_series(&m, "attn.mixed.0", H * T, T, "key, \u03b1I+\u03b2A\u2212\u03b3C");
    series_append(s, 0, mix);
    series_set_labels(s, tok, T);
    ChartRun run = {"A", &m, 0, NULL};
    ChartOpts o;
    chart_opts_default(&o);
    BlError e;
    Chart *c = chart_from_metrics("attn", &run, 1, &o, &e);
    CHECK(c && strstr(c->title, "\u03b1I+\u03b2A\u2212\u03b3C"), "the attention chart shows the block's whole matrix: '%s'",
          c ? c->title : e.msg);
    CHECK(c && c->vmin == -1 && c->vmax == 1, "the whole matrix on a signed fixed scale");
    char *svg = c ? svg_of(c) : NULL;
    int all = 1;
    for (int i = 0; i < T && svg; i++) {
        char want[32];
        snprintf(want, sizeof want, ">%s</text>", tok[i]);
        /* each token names its query row and its key column */
        if (count(svg, want) < 2) all = 0, fprintf(stderr, "  token %s labelled %d times\n", tok[i], count(svg, want));
    }
    CHECK(svg && all, "every query row and key labelled in the SVG");
    free(svg);
    chart_free(c);
    o.mixed = 0;
    c = chart_from_metrics("attn", &run, 1, &o, &e);
    CHECK(c && strstr(c->title, "softmax A") && c->vmin == 0 && c->vmax == 1, "mixed=off: the softmax part on 0..1");
    chart_free(c);
    metrics_free(&m);
}

/* In one SVG, the polylines drawn in colour col: how many solid, how many dashed. */
static void strokes(const char *svg, const char *col, int *solid, int *dashed)
{
    *solid = *dashed = 0;
    for (const char *p = svg; (p = strstr(p, "<polyline")); p++) {
        const char *end = strchr(p, '>');
        if (!end) break;
        char el[1024];
        size_t n = (size_t)(end - p) < sizeof el - 1 ? (size_t)(end - p) : sizeof el - 1;
        memcpy(el, p, n);
        el[n] = 0;
        if (!strstr(el, col) || strstr(el, "points=\"") == NULL) continue;
        if (strstr(el, "stroke-dasharray")) (*dashed)++;
        else (*solid)++;
    }
}

static void test_series_of_a_run_told_apart(void)
{
    Metrics ma, mb;
    fill(&ma, 1);
    fill(&mb, 1.1f);
    ChartRun runs[2] = {{"A", &ma, 0, NULL}, {"B", &mb, 1, NULL}};
    ChartOpts o;
    chart_opts_default(&o);
    BlError e;
    Chart *c = chart_from_metrics("lnin", runs, 2, &o, &e);
    char *svg = c ? svg_of(c) : NULL;
    for (int r = 0; r < 2 && svg; r++) {
        ChartRGB rgb = chart_palette(r);
        char col[16];
        snprintf(col, sizeof col, "#%02x%02x%02x", rgb.r, rgb.g, rgb.b);
        int solid, dashed;
        strokes(svg, col, &solid, &dashed);
        CHECK(solid >= 1 && dashed >= 1, "run %s: attn solid and mlp dashed in its colour %s (%d solid, %d dashed)",
              runs[r].name, col, solid, dashed);
    }
    free(svg);
    chart_free(c);
    c = chart_from_metrics("loss", runs, 2, &o, &e);
    int ok = c && c->nseries == 4;
    for (int i = 0; ok && i < 4; i++) {
        const ChartSeries *s = &c->series[i];
        int val = strstr(s->name, "val") != NULL;
        ok &= s->color == (i < 2 ? 0 : 1);
        ok &= val ? (s->style & CHART_STYLE_DASHED) && (s->style & CHART_STYLE_MARKERS) : s->style == 0;
    }
    CHECK(ok, "val.loss in its run's colour, dashed, with markers at its points");
    chart_free(c);
    metrics_free(&ma);
    metrics_free(&mb);
}

/* loss.time: x is the run's "time" at each loss step, not the step; steps
 * without a time are dropped, and val.loss (every 10 steps) joins the same way. */
static void test_loss_over_time(void)
{
    Metrics m;
    fill(&m, 1);
    Series *tm = metrics_series(&m, "time", 1, 1, NULL);
    for (int t = 5; t <= 50; t++) {   /* steps 1..4 have no time: dropped */
        float v = 0.25f * (float)t;
        series_append(tm, t, &v);
    }
    ChartRun run = {"A", &m, 0, NULL};
    ChartOpts o;
    chart_opts_default(&o);
    BlError e;
    Chart *c = chart_from_metrics("loss.time", &run, 1, &o, &e);
    CHECK(c && c->nseries == 2, "loss and val.loss over time");
    CHECK(c && !strcmp(c->xlabel, "seconds of training"), "the x axis says seconds: %s", c ? c->xlabel : "");
    CHECK(c && c->series[0].n == 46 && c->series[0].x[0] == 1.25 && c->series[0].x[45] == 12.5,
          "loss points sit at their step's time (%d points)", c ? c->series[0].n : 0);
    CHECK(c && fabs(c->series[0].y[0] - (2.0 + 1.0 / 5)) < 1e-6, "each y stays with its own x");
    CHECK(c && c->series[1].n == 5 && c->series[1].x[0] == 2.5, "val.loss at steps 10..50 joins too");
    chart_free(c);
    metrics_free(&m);
    metrics_init(&m);
    series_append(metrics_series(&m, "loss", 1, 1, NULL), 1, (float[]){1.0f});
    c = chart_from_metrics("loss.time", &run, 1, &o, &e);
    CHECK(!c && strstr(e.msg, "recorded yet"), "no time recorded: a message, no chart");
    chart_free(c);
    metrics_free(&m);
}

/* router.map: a key of the pool's modules and SKIP, not 32 palette colours,
 * in the SVG (and PNG: the same painter) and the CSV. */
static void test_router_map_key(void)
{
    Metrics m;
    metrics_init(&m);
    enum { H = 2, T = 5, M = 3 };   /* 2 steps, 5 tokens, 3 modules + SKIP */
    float choice[H * T] = {0, 1, 2, -1, 0, 2, 2, -1, 1, 0}, usage[H * (M + 1)] = {0.4f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.4f, 0.2f};
    for (int k = 0; k < 2; k++) {
        series_append(metrics_series(&m, k ? "router.ffn" : "router.attn", H, T, "token"), 3, choice);
        series_append(metrics_series(&m, k ? "router.usage.ffn" : "router.usage.attn", H, M + 1, "module"), 3, usage);
    }
    ChartRun run = {"B", &m, 1, NULL};
    ChartOpts o;
    chart_opts_default(&o);
    BlError e;
    Chart *c = chart_from_metrics("router.map", &run, 1, &o, &e);
    const Chart *h = c ? chart_value_source(c) : NULL;
    CHECK(h && h->nkeys == M + 1, "a key of %d modules + SKIP (%d)", M, h ? h->nkeys : -1);
    CHECK(h && h->nkeys == M + 1 && !strcmp(h->key_labels[M], "SKIP") && h->key_values[M] == CHART_CATEGORY_MAX &&
              !strcmp(h->key_labels[0], "0") && h->key_values[2] == 2,
          "modules by number, SKIP last in its colour");
    char *svg = c ? svg_of(c) : NULL;
    CHECK(svg && strstr(svg, ">SKIP<") && strstr(svg, ">2<") && !strstr(svg, ">30<"), "the SVG draws the key, not a 0..31 bar");
    char *csv = c ? csv_of(c) : NULL;
    CHECK(csv && strstr(csv, "# module (value = name): 0 = 0, 1 = 1, 2 = 2, 31 = SKIP\n"), "the CSV says which value is SKIP");
    free(svg);
    free(csv);
    chart_free(c);
    metrics_free(&m);
}

int main(void)
{
    RUN(test_router_map_key);
    RUN(test_loss_over_time);
    RUN(test_fixed_scale_in_legend);
    RUN(test_attention_labels_and_matrix);
    RUN(test_series_of_a_run_told_apart);
    return TEST_SUMMARY();
}
