/* out.c — the output sink and two number formats shared by the verbs.
 * Formatting goes through one heap-free path: vsnprintf into a stack buffer. */
#include "out.h"
#include "strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void stdio_write(void *ctx, const char *s, size_t n)
{
    fwrite(s, 1, n, (FILE *)ctx);
    fflush((FILE *)ctx);
}

Out out_stdio(FILE *f, int color)
{
    Out o = {stdio_write, f, color};
    return o;
}

static void strbuf_write(void *ctx, const char *s, size_t n) { sb_append((StrBuf *)ctx, s, n); }

Out out_strbuf(StrBuf *b)
{
    Out o = {strbuf_write, b, 0};
    return o;
}

void out_write(Out *o, const char *s, size_t n)
{
    if (o && o->write && n) o->write(o->ctx, s, n);
}

void out_puts(Out *o, const char *s) { out_write(o, s, strlen(s)); }

void out_printf(Out *o, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        out_write(o, small, (size_t)n);
        return;
    }
    /* Long lines (the arch text of a deep model) take one heap buffer. */
    char *big = malloc((size_t)n + 1);
    if (!big) return;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out_write(o, big, (size_t)n);
    free(big);
}

const char *out_count(char *buf, size_t cap, double n)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", n);
    size_t len = strlen(digits), k = 0;
    for (size_t i = 0; i < len && k + 1 < cap; i++) {
        if (i && (len - i) % 3 == 0 && digits[0] != '-' && k + 2 < cap) buf[k++] = ',';
        buf[k++] = digits[i];
    }
    buf[k] = 0;
    return buf;
}

const char *out_si(char *buf, size_t cap, double v)
{
    double a = fabs(v);
    if (a >= 1e9) snprintf(buf, cap, "%.2fG", v / 1e9);
    else if (a >= 1e6) snprintf(buf, cap, "%.2fM", v / 1e6);
    else if (a >= 1e3) snprintf(buf, cap, "%.1fk", v / 1e3);
    else snprintf(buf, cap, "%.0f", v);
    return buf;
}

void out_table_init(OutTable *t, int ncol)
{
    memset(t, 0, sizeof *t);
    t->ncol = ncol > OUT_TABLE_COLS ? OUT_TABLE_COLS : ncol;
}

void out_table_row(OutTable *t, const char *const *cells)
{
    if (t->nrow == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        void *p = realloc(t->cells, (size_t)t->cap * sizeof *t->cells);
        if (!p) abort();
        t->cells = p;
    }
    for (int c = 0; c < t->ncol; c++) snprintf(t->cells[t->nrow][c], sizeof t->cells[0][0], "%s", cells[c] ? cells[c] : "");
    t->nrow++;
}

/* Display width of UTF-8 text: one column per character. */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void out_table_print(Out *o, const OutTable *t, int indent)
{
    int width[OUT_TABLE_COLS] = {0};
    for (int r = 0; r < t->nrow; r++)
        for (int c = 0; c < t->ncol; c++) {
            int w = text_width(t->cells[r][c]);
            if (w > width[c]) width[c] = w;
        }
    for (int r = 0; r < t->nrow; r++) {
        char line[1024];
        size_t k = 0;
        /* Trailing empty cells print nothing, so lines end without blanks. */
        int last = t->ncol - 1;
        while (last > 0 && !t->cells[r][last][0]) last--;
        k += (size_t)snprintf(line, sizeof line, "%*s", indent, "");
        for (int c = 0; c <= last && k < sizeof line; c++) {
            const char *s = t->cells[r][c];
            int pad = width[c] - text_width(s);
            if (t->right[c]) k += (size_t)snprintf(line + k, sizeof line - k, "%*s%s", pad, "", s);
            else if (c < last) k += (size_t)snprintf(line + k, sizeof line - k, "%s%*s", s, pad, "");
            else k += (size_t)snprintf(line + k, sizeof line - k, "%s", s);
            if (c < last && k < sizeof line) k += (size_t)snprintf(line + k, sizeof line - k, "  ");
        }
        if (k >= sizeof line) k = sizeof line - 1;
        out_write(o, line, k);
        out_write(o, "\n", 1);
    }
}

void out_table_free(OutTable *t)
{
    free(t->cells);
    memset(t, 0, sizeof *t);
}
