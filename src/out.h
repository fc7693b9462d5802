/* out.h — where verb output goes: a small sink (write function + context), so
 * batch mode writes plain text to stdout and the TUI can route it to a pane.
 * Not a logger: errors travel back as BlError; the front end prints them. */
#ifndef BL_OUT_H
#define BL_OUT_H

#include <stddef.h>
#include <stdio.h>

typedef struct Out {
    void (*write)(void *ctx, const char *s, size_t n);
    void *ctx;
    int   color;    /* 1: the sink shows ANSI colour (never in batch mode or with NO_COLOR) */
} Out;

/* A sink writing to a stdio stream (ctx is the FILE *), flushed per write. */
Out  out_stdio(FILE *f, int color);
/* A sink appending to a StrBuf (core/strbuf.h; ctx is the StrBuf *), no colour:
 * to keep what a verb prints, e.g. `arch` for a report. */
struct StrBuf;
Out  out_strbuf(struct StrBuf *b);
void out_write(Out *o, const char *s, size_t n);
void out_puts(Out *o, const char *s);
void out_printf(Out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "1,234,567" into buf (for parameter counts); returns buf. */
const char *out_count(char *buf, size_t cap, double n);
/* "41.2k", "3.10M" into buf; returns buf. */
const char *out_si(char *buf, size_t cap, double v);

/* A text table: rows of cells, columns sized to their widest cell, printed
 * with two spaces between columns. Cells longer than 79 bytes are cut. */
#define OUT_TABLE_COLS 10
typedef struct OutTable {
    int   ncol, nrow, cap;
    char (*cells)[OUT_TABLE_COLS][80];   /* owned */
    int   right[OUT_TABLE_COLS];          /* 1: right-align this column (numbers) */
} OutTable;
void out_table_init(OutTable *t, int ncol);
/* Appends a row of ncol cells (NULL cells print empty). */
void out_table_row(OutTable *t, const char *const *cells);
void out_table_print(Out *o, const OutTable *t, int indent);
void out_table_free(OutTable *t);

#endif
