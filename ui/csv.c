/* csv.c — the numbers behind a chart as tidy CSV (one observation per line), for
 * spreadsheets, pandas and the script tests. Numbers are %.9g so a float32
 * metric comes back bit-exact; text fields are quoted only when they must be.
 * A few "# " lines open the file with what the chart says beyond its numbers
 * (title, subtitle such as "smoothed", a heatmap's colour scale: fixed or
 * auto), so a file read months later still says what it holds; pandas reads
 * it with read_csv(path, comment='#'). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart_file.h"
#include "render.h"

void chart_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v) { fprintf(f, ",%.9g", v); }

static const char *label_at(char **labels, int i) { return labels ? labels[i] : ""; }

/* One chart's rows; panel is NULL outside grids, else its title opens each row. */
static void rows_of(const Chart *c, const char *panel, FILE *f)
{
    switch (c->kind) {
    case CHART_LINE:
        for (int s = 0; s < c->nseries; s++)
            for (int k = 0; k < c->series[s].n; k++) {
                if (panel) { chart_csv_field(f, panel); fputc(',', f); }
                chart_csv_field(f, c->series[s].name);
                put_num(f, c->series[s].x[k]);
                put_num(f, c->series[s].y[k]);
                fputc('\n', f);
            }
        break;
    case CHART_HEATMAP:
        for (int i = 0; i < c->rows; i++)
            for (int j = 0; j < c->cols; j++) {
                if (panel) { chart_csv_field(f, panel); fputc(',', f); }
                fprintf(f, "%d,%d,", i, j);
                chart_csv_field(f, label_at(c->row_labels, i));
                fputc(',', f);
                chart_csv_field(f, label_at(c->col_labels, j));
                put_num(f, c->values[(size_t)i * c->cols + j]);
                fputc('\n', f);
            }
        break;
    case CHART_BAR:
        for (int s = 0; s < c->nseries; s++)
            for (int k = 0; k < c->nbars; k++) {
                if (panel) { chart_csv_field(f, panel); fputc(',', f); }
                chart_csv_field(f, c->series[s].name);
                fputc(',', f);
                chart_csv_field(f, c->bar_labels[k]);
                put_num(f, c->series[s].y[k]);
                fputc('\n', f);
            }
        break;
    case CHART_GRID:
        break;
    }
}

static const char *header_of(ChartKind k)
{
    switch (k) {
    case CHART_LINE: return "series,x,y";
    case CHART_HEATMAP: return "row,col,row_label,col_label,value";
    case CHART_BAR: return "series,label,value";
    default: return "";
    }
}

/* One "# " line; line breaks in the text become spaces. */
static void comment(FILE *f, const char *key, const char *text)
{
    if (!text || !*text) return;
    fprintf(f, "# %s", key);
    for (; *text; text++) fputc(*text == '\n' || *text == '\r' ? ' ' : *text, f);
    fputc('\n', f);
}

static void comments_of(const Chart *c, FILE *f)
{
    comment(f, "", c->title);
    comment(f, "", c->subtitle);
    const Chart *h = c->kind == CHART_HEATMAP ? c : NULL;
    for (int k = 0; c->kind == CHART_GRID && !h && k < c->npanels; k++)
        if (c->panels[k]->kind == CHART_HEATMAP) h = c->panels[k];
    double lo, hi;
    ChartCmap cm;
    if (h && h->nkeys) {
        /* Categories: which value is which (no scale to state). */
        char buf[400];
        size_t k = 0;
        buf[0] = 0;
        for (int i = 0; i < h->nkeys && k < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%g = %s", i ? ", " : "", h->key_values[i], h->key_labels[i]);
        fprintf(f, "# %s (value = name): %s\n", *h->value_label ? h->value_label : "values", buf);
    } else if (h && chart_value_range(c, &lo, &hi, &cm) == 0) {
        char buf[200];
        snprintf(buf, sizeof buf, "%s (colours span %.4g to %.4g)", *h->value_label ? h->value_label : "value", lo, hi);
        comment(f, "colour scale: ", buf);
    }
}

int chart_csv_stream(const Chart *c, FILE *out, BlError *err)
{
    if (!c) return bl_fail(err, "no chart to write");
    comments_of(c, out);
    if (c->kind != CHART_GRID) {
        fprintf(out, "%s\n", header_of(c->kind));
        rows_of(c, NULL, out);
    } else {
        if (c->npanels == 0) return bl_fail(err, "grid \"%s\" has no panels to write as CSV", c->title);
        for (int k = 1; k < c->npanels; k++)
            if (c->panels[k]->kind != c->panels[0]->kind)
                return bl_fail(err, "grid \"%s\" mixes chart kinds; CSV needs one kind (export its panels one by one)",
                               c->title);
        fprintf(out, "panel,%s\n", header_of(c->panels[0]->kind));
        for (int k = 0; k < c->npanels; k++) {
            /* An untitled panel is named by its position, so rows stay distinguishable. */
            char name[32];
            const char *p = c->panels[k]->title;
            if (!*p) {
                snprintf(name, sizeof name, "%d", k);
                p = name;
            }
            rows_of(c->panels[k], p, out);
        }
    }
    if (ferror(out)) return bl_fail(err, "CSV write failed");
    return 0;
}

int chart_write_csv(const Chart *c, const char *path, int force, BlError *err)
{
    if (!c) return bl_fail(err, "no chart to write");
    /* Check the grid's kinds before touching the file system. */
    if (c->kind == CHART_GRID && c->npanels > 0)
        for (int k = 1; k < c->npanels; k++)
            if (c->panels[k]->kind != c->panels[0]->kind)
                return bl_fail(err, "grid \"%s\" mixes chart kinds; CSV needs one kind (export its panels one by one)",
                               c->title);
    ChartFile cf;
    if (chart_file_open(&cf, path, force, err) != 0) return -1;
    BlError e2;
    if (chart_csv_stream(c, cf.f, &e2) != 0) {
        chart_file_abort(&cf);
        return bl_fail(err, "cannot write %s: %s", path, e2.msg);
    }
    return chart_file_commit(&cf, err);
}
