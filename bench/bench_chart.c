/* bench_chart.c — the scaling table of `make bench` as a PNG, drawn through
 * our own chart model (ui/chart.h): ms/step and the engine's memory against
 * context, width and depth, one line per block preset. Not a test.
 * Usage: bench_chart OUT.png < rows    (rows: bench_train scale output) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "render.h"

#define MAX_ROWS 256

typedef struct Row {
    char   preset[16];
    int    ctx, width, depth;
    double ms, engine_mb;
} Row;

/* Which knob a row sweeps: the one that differs from the base (ctx 128, width 128, depth 4). */
static int sweep_of(const Row *r)
{
    if (r->ctx != 128) return 0;
    if (r->width != 128) return 1;
    if (r->depth != 4) return 2;
    return -1;   /* the base point belongs to every sweep */
}

static double knob(const Row *r, int s) { return s == 0 ? r->ctx : s == 1 ? r->width : r->depth; }

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: bench_chart OUT.png < rows\n"); return 2; }
    static Row rows[MAX_ROWS];
    int n = 0;
    char line[512];
    while (n < MAX_ROWS && fgets(line, sizeof line, stdin)) {
        Row *r = &rows[n];
        if (sscanf(line, "scale %15s ctx %d width %d depth %d batch %*d ms/step %lf peak_rss_mb %*f engine_mb %lf",
                   r->preset, &r->ctx, &r->width, &r->depth, &r->ms, &r->engine_mb) == 6)
            n++;
    }
    if (n == 0) { fprintf(stderr, "bench_chart: no scale rows on stdin\n"); return 1; }
    const char *presets[8];
    int np = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int k = 0; k < np; k++) seen |= !strcmp(presets[k], rows[i].preset);
        if (!seen && np < 8) presets[np++] = rows[i].preset;
    }
    static const char *knobs[3] = {"context (tokens)", "width", "depth (blocks)"};
    Chart *grid = chart_grid_new("Cost of a training step (1 OpenBLAS thread, CPU time)", 3);
    for (int what = 0; what < 2; what++)
        for (int s = 0; s < 3; s++) {
            Chart *c = chart_line_new(what ? "engine memory" : "time per step");
            chart_set_axis_labels(c, knobs[s], what ? "MB" : "ms / step");
            chart_set_log_x(c, 1);
            chart_set_log_y(c, 1);
            for (int k = 0; k < np; k++) {
                double x[MAX_ROWS], y[MAX_ROWS];
                int m = 0;
                for (int i = 0; i < n; i++) {
                    int sw = sweep_of(&rows[i]);
                    if (strcmp(rows[i].preset, presets[k]) || (sw != s && sw != -1)) continue;
                    x[m] = knob(&rows[i], s);
                    y[m] = what ? rows[i].engine_mb : rows[i].ms;
                    m++;
                }
                /* rows come in sweep order, the base point first: sort by x */
                for (int i = 1; i < m; i++)
                    for (int j = i; j > 0 && x[j] < x[j - 1]; j--) {
                        double tx = x[j]; x[j] = x[j - 1]; x[j - 1] = tx;
                        double ty = y[j]; y[j] = y[j - 1]; y[j - 1] = ty;
                    }
                chart_add_series(c, presets[k], k, x, y, m);
            }
            chart_grid_add(grid, c);
        }
    BlError e;
    int rc = chart_write_png(grid, argv[1], 1500, 900, 1, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    chart_free(grid);
    return rc ? 1 : 0;
}
