/* report_html.c — ReportDoc → index.html (see report_html.h). Every piece of
 * text a person or a file chose (labels, equations, chart titles) is escaped;
 * links are the figures' own relative file names. */
#include "report_html.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "chart.h"
#include "strbuf.h"

/* Text as HTML (and XML): & < > " ' escaped, so a label "<b>" stays text. */
static void esc(StrBuf *b, const char *s)
{
    for (; s && *s; s++) switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&#39;"); break;
        default: sb_append(b, s, 1);
        }
}

static const char *const css =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1c1c1c;max-width:62em;margin:2em auto;"
    "padding:0 1em;line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\n"
    "h3{margin-bottom:.3em}.meta{color:#666}\n"
    "pre{background:#f6f6f6;border:1px solid #e2e2e2;padding:.6em .8em;overflow-x:auto;font-size:.82em;"
    "line-height:1.3;font-family:'DejaVu Sans Mono',monospace}\n"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:.92em}\n"
    ".swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.4em;vertical-align:-.1em}\n"
    "table.runs{border-collapse:collapse}table.runs td,table.runs th{border-bottom:1px solid #e2e2e2;padding:.2em .8em;"
    "text-align:left}\n"
    ".figure{margin:2em 0;page-break-inside:avoid}.figure img{max-width:100%;height:auto;border:1px solid #eee}\n"
    ".caption{font-size:.92em}.caption .files{color:#666}\n"
    "@media print{body{max-width:none}a{color:inherit;text-decoration:none}}\n";

static void run_heading(StrBuf *b, const ReportRun *r)
{
    ChartRGB c = chart_palette(r->color);
    sb_printf(b, "<span class=\"swatch\" style=\"background:#%02x%02x%02x\"></span>", c.r, c.g, c.b);
    if (r->label[0]) {
        esc(b, r->label);
        sb_puts(b, " <span class=\"meta\">(run ");
        esc(b, r->name);
        sb_puts(b, ")</span>");
    } else {
        sb_puts(b, "run ");
        esc(b, r->name);
    }
}

static void pre(StrBuf *b, const char *heading, const char *text)
{
    if (!text || !text[0]) return;
    sb_printf(b, "<h4>%s</h4>\n<pre>", heading);
    esc(b, text);
    sb_puts(b, "</pre>\n");
}

static void page(StrBuf *b, const ReportDoc *d)
{
    sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
               "<meta name=\"generator\" content=\"blocklab report\"/>\n<title>");
    esc(b, d->title);
    sb_printf(b, "</title>\n<style type=\"text/css\">\n%s</style>\n</head>\n<body>\n<h1>", css);
    esc(b, d->title);
    sb_puts(b, "</h1>\n<p class=\"meta\">Written ");
    esc(b, d->written);
    sb_printf(b, ". %d run%s, %d figure%s; each figure links to its SVG (vector) and CSV (the numbers behind it).</p>\n",
              d->nruns, d->nruns == 1 ? "" : "s", d->nfigs, d->nfigs == 1 ? "" : "s");

    /* The runs at a glance, then each in full. */
    sb_puts(b, "<h2 id=\"runs\">Runs</h2>\n<table class=\"runs\">\n<tr><th>run</th><th>architecture</th><th>where it stands</th></tr>\n");
    for (int i = 0; i < d->nruns; i++) {
        const ReportRun *r = &d->runs[i];
        sb_printf(b, "<tr><td><a href=\"#run-%d\">", i + 1);
        run_heading(b, r);
        sb_puts(b, "</a></td><td><code>");
        esc(b, r->oneline);
        sb_puts(b, "</code></td><td>");
        esc(b, r->summary);
        sb_puts(b, "</td></tr>\n");
    }
    sb_puts(b, "</table>\n");
    for (int i = 0; i < d->nruns; i++) {
        const ReportRun *r = &d->runs[i];
        sb_printf(b, "<h3 id=\"run-%d\">", i + 1);
        run_heading(b, r);
        sb_puts(b, "</h3>\n<p><code>");
        esc(b, r->oneline);
        sb_puts(b, "</code> &#8212; ");
        esc(b, r->summary);
        sb_puts(b, "</p>\n");
        pre(b, "Architecture (<code>arch</code>: the blocks as equations, and the line that rebuilds the model)", r->arch);
        pre(b, "Training settings", r->settings);
        pre(b, "Parameters (<code>params</code>)", r->params);
    }

    sb_puts(b, "<h2 id=\"figures\">Figures</h2>\n");
    if (!d->nfigs) sb_puts(b, "<p>Nothing recorded yet: train, or run a probe, before writing a report.</p>\n");
    for (int i = 0; i < d->nfigs; i++) {
        const ReportFigure *f = &d->figs[i];
        sb_printf(b, "<div class=\"figure\" id=\"fig-%d\">\n<a href=\"", i + 1);
        esc(b, f->stem);
        sb_puts(b, ".svg\"><img src=\"");
        esc(b, f->stem);
        sb_printf(b, ".png\" width=\"%d\" height=\"%d\" alt=\"", d->img_w, d->img_h);
        esc(b, f->title);
        sb_printf(b, "\"/></a>\n<p class=\"caption\"><b>Figure %d.</b> ", i + 1);
        esc(b, f->title);
        if (f->subtitle[0]) {
            sb_puts(b, " &#8212; ");
            esc(b, f->subtitle);
        }
        sb_puts(b, ". ");
        esc(b, f->about);
        sb_puts(b, " <span class=\"files\">Files: <a href=\"");
        esc(b, f->stem);
        sb_puts(b, ".png\">PNG</a> &#183; <a href=\"");
        esc(b, f->stem);
        sb_puts(b, ".svg\">SVG</a> &#183; <a href=\"");
        esc(b, f->stem);
        sb_puts(b, ".csv\">CSV</a></span></p>\n</div>\n");
    }
    sb_puts(b, "</body>\n</html>\n");
}

int report_write_html(const ReportDoc *d, const char *path, BlError *e)
{
    StrBuf b = {0};
    page(&b, d);
    FILE *f = fopen(path, "wb");
    if (!f) {
        bl_fail(e, "report: cannot write %s: %s", path, strerror(errno));
        sb_free(&b);
        return -1;
    }
    int bad = fwrite(b.data, 1, b.len, f) != b.len;
    bad |= fclose(f) != 0;
    sb_free(&b);
    return bad ? bl_fail(e, "report: cannot write %s: %s", path, strerror(errno)) : 0;
}
