/* strbuf.h — a growing NUL-terminated text buffer, for writers that build a
 * whole document before it goes to a file (SVG, the export README, JSON).
 * Start from `StrBuf b = {0};`; appends never fail (xrealloc aborts when memory
 * runs out); the caller frees with sb_free or takes b.data. */
#ifndef BL_STRBUF_H
#define BL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct StrBuf {
    char  *data;   /* NUL-terminated after any append; NULL while empty */
    size_t len, cap;
} StrBuf;

void sb_append(StrBuf *b, const char *s, size_t n);
void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sb_vprintf(StrBuf *b, const char *fmt, va_list ap);
void sb_free(StrBuf *b);   /* b is emptied */

#endif
