/* report_html.h — the page of a `report DIR`: one self-contained index.html (inline
 * CSS, no script, nothing fetched from a network) that a student can hand in:
 * the runs (label, architecture in one line, `arch` as equations, training
 * settings, `params`) and then every figure in order, each image linked to its
 * SVG and CSV. The page is plain data in, text out: the verb (src/verbs_report.c)
 * gathers the texts and writes the figures; this file only writes HTML.
 *
 * The HTML is also well-formed XML (every element closed, every attribute
 * quoted, only HTML 4 elements), so both `xmllint --html` and `xmllint` read it. */
#ifndef BL_REPORT_HTML_H
#define BL_REPORT_HTML_H

#include "common.h"

typedef struct ReportRun {
    const char *name;      /* "A" */
    const char *label;     /* "Post-LN", or "" */
    int         color;     /* palette index: the run's colour in every figure */
    const char *oneline;   /* the architecture in one line (arch_draw_oneline) */
    const char *summary;   /* "step 300, loss 0.0061, val 0.0054, exact 1.000" */
    const char *arch;      /* what `arch` prints */
    const char *settings;  /* what `train` prints as its settings ("" before any data) */
    const char *params;    /* what `params` prints */
} ReportRun;

typedef struct ReportFigure {
    char stem[160];        /* relative to the folder, without extension: "figures/03-rank.map-A" (.png .svg .csv) */
    char title[256];       /* the chart's title */
    char subtitle[256];    /* the chart's subtitle, or "" */
    char about[256];       /* what the chart shows (its row's help line) */
} ReportFigure;

typedef struct ReportDoc {
    const char         *title;     /* "blocklab report: A (Post-LN), B (DeepNorm)" */
    const char         *written;   /* "2026-11-29 21:30 UTC by blocklab 0.1.0" */
    const ReportRun    *runs;
    int                 nruns;
    const ReportFigure *figs;
    int                 nfigs;
    int                 img_w, img_h;   /* the PNGs' size in pixels */
} ReportDoc;

/* Writes the page to path (a new file). 0, or -1 with one line. */
int report_write_html(const ReportDoc *d, const char *path, BlError *e);

#endif
