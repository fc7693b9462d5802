/* tui_text.c — text on the dashboard's canvas: colour roles (frame, focus,
 * error, note...) that hold up at every colour depth (where 8 colours or none
 * cannot show a grey, attributes do), ASCII stand-ins when the locale is not
 * UTF-8, cutting with an ellipsis and word wrapping. */
#include "tui_int.h"

#include <stdio.h>
#include <string.h>

static TermColor rgb(int r, int g, int b) { return (TermColor){(uint8_t)r, (uint8_t)g, (uint8_t)b, 0}; }

Ink tui_ink(const Tui *t, int role)
{
    TermColor D = TCANVAS_DEFAULT;
    int c = t->scr.color != TERM_COLOR_NONE, rich = t->scr.color >= TERM_COLOR_256;
    switch (role) {
    case INK_FRAME: return (Ink){D, D, TERM_ATTR_DIM};
    case INK_FOCUS: return c ? (Ink){rgb(95, 175, 255), D, TERM_ATTR_BOLD} : (Ink){D, D, TERM_ATTR_BOLD};
    case INK_TITLE: return (Ink){D, D, TERM_ATTR_BOLD};
    case INK_TITLE_FOCUS:
        return c ? (Ink){rgb(0, 0, 0), rgb(95, 175, 255), TERM_ATTR_BOLD} : (Ink){D, D, TERM_ATTR_BOLD | TUI_ATTR_REVERSE};
    case INK_DIM: return (Ink){D, D, TERM_ATTR_DIM};
    case INK_ERR: return c ? (Ink){rgb(255, 95, 95), D, 0} : (Ink){D, D, TERM_ATTR_BOLD};
    case INK_NOTE: return c ? (Ink){rgb(255, 215, 95), D, TERM_ATTR_BOLD} : (Ink){D, D, TERM_ATTR_BOLD};
    case INK_WARN: return c ? (Ink){rgb(255, 215, 95), D, TERM_ATTR_BOLD} : (Ink){D, D, TERM_ATTR_BOLD | TUI_ATTR_UNDERLINE};
    case INK_CMD: return (Ink){D, D, TERM_ATTR_BOLD};
    case INK_BAR: return rich ? (Ink){rgb(235, 235, 235), rgb(48, 48, 48), 0} : (Ink){D, D, TUI_ATTR_REVERSE};
    case INK_BAR_KEY: return rich ? (Ink){rgb(255, 255, 255), rgb(48, 48, 48), TERM_ATTR_BOLD} : (Ink){D, D, TUI_ATTR_REVERSE | TERM_ATTR_BOLD};
    case INK_PROMPT: return c ? (Ink){rgb(95, 175, 255), D, TERM_ATTR_BOLD} : (Ink){D, D, TERM_ATTR_BOLD};
    default: return (Ink){D, D, 0};
    }
}

/* ASCII stand-ins for the few non-ASCII characters blocklab's own text uses,
 * for terminals whose locale is not UTF-8. */
static const struct {
    uint32_t cp;
    const char *ascii;
} TRANSLIT[] = {
    {0x00B7, "-"}, {0x00D7, "x"}, {0x2212, "-"}, {0x2013, "-"}, {0x2014, "-"}, {0x2192, "->"}, {0x2026, "..."},
    {0x00BB, ">>"}, {0x2248, "~"}, {0x03B1, "a"}, {0x03B2, "b"}, {0x03B3, "g"}, {0x2016, "||"}, {0x00B2, "2"},
    {0x1D40, "T"}, {0x0394, "d"}, {0x03B8, "theta"}, {0x25B8, ">"}, {0x2502, "|"}, {0x2500, "-"}, {0x2191, "^"},
    {0x2193, "v"}, {0x2190, "<-"}, {0x00A7, "S"}, {0x03C3, "s"}, {0x03A3, "S"}, {0x2299, "*"},
};

/* What code point cp is drawn as in this locale: NULL for itself (one cell),
 * else its ASCII stand-in ("?" when there is none). */
static const char *stand_in(const Tui *t, uint32_t cp)
{
    if (cp < 0x80 || t->scr.unicode) return NULL;
    for (size_t i = 0; i < sizeof TRANSLIT / sizeof *TRANSLIT; i++)
        if (TRANSLIT[i].cp == cp) return TRANSLIT[i].ascii;
    return "?";
}

static int cells_of(const Tui *t, uint32_t cp)
{
    const char *a = stand_in(t, cp);
    return a ? (int)strlen(a) : 1;
}

/* Puts the next character of *s (advancing it) at (x, y); returns the cells used. */
static int put_char(const Tui *t, int x, int y, const char **s, Ink k)
{
    uint32_t cp;
    int n = chart_utf8_next(*s, &cp);
    char g[8];
    int cells = 1;
    if (cp < 0x20 || cp == 0x7f) {
        tcanvas_put(t->cv, x, y, " ", k.fg, k.bg, k.attr);
    } else if (cp < 0x80 || t->scr.unicode) {
        memcpy(g, *s, (size_t)n);
        g[n] = 0;
        tcanvas_put(t->cv, x, y, g, k.fg, k.bg, k.attr);
    } else {
        const char *a = stand_in(t, cp);
        cells = 0;
        for (; *a; a++, cells++) {
            char one[2] = {*a, 0};
            tcanvas_put(t->cv, x + cells, y, one, k.fg, k.bg, k.attr);
        }
    }
    *s += n;
    return cells;
}

int tui_text(const Tui *t, int x, int y, int maxw, const char *s, Ink k)
{
    int used = 0;
    while (*s && used < maxw) {
        /* Measure first so a stand-in does not cross the edge. */
        uint32_t cp;
        chart_utf8_next(s, &cp);
        if (used + cells_of(t, cp) > maxw) break;
        used += put_char(t, x + used, y, &s, k);
    }
    if (*s && maxw >= 2) {
        tcanvas_put(t->cv, x + maxw - 1, y, t->scr.unicode ? "\u2026" : "~", k.fg, k.bg, k.attr);
        used = maxw;
    }
    return used;
}

int tui_width(const Tui *t, const char *s)
{
    int w = 0;
    while (*s) {
        uint32_t cp;
        s += chart_utf8_next(s, &cp);
        w += cells_of(t, cp);
    }
    return w;
}

int tui_wrap(Tui *t, const char *s, int w, int indent, int max, TuiRowFn emit, void *ctx)
{
    int rows = 0, first = 1;
    char buf[2048];
    while (max < 0 || rows < max) {
        int room = first ? w : w - indent;
        if (room < 8) room = w;
        /* Take characters until the width is used up. */
        const char *p = s, *cut = NULL;
        int used = 0;
        while (*p) {
            uint32_t cp;
            int n = chart_utf8_next(p, &cp), need = cells_of(t, cp);
            if (used + need > room) break;
            if (cp == ' ') cut = p;
            used += need;
            p += n;
        }
        const char *end = p;
        if (*p && cut && cut > s + room / 3) end = cut;
        if (end == s && *s) {   /* not even one character fits: take it anyway */
            uint32_t cp;
            end = s + chart_utf8_next(s, &cp);
        }
        size_t len = (size_t)(end - s);
        if (len >= sizeof buf - 64) len = sizeof buf - 65;
        int pad = first ? 0 : (room == w ? 0 : indent);
        snprintf(buf, sizeof buf, "%*s%.*s", pad, "", (int)len, s);
        if (emit) emit(t, ctx, buf, first);
        rows++;
        s = end;
        while (*s == ' ') s++;
        first = 0;
        if (!*s) break;
    }
    return rows;
}

void tui_rows_put(Tui *t, void *ctx, const char *row, int first)
{
    TuiRows *b = ctx;
    (void)first;
    if (b->row >= 0 && b->row < b->h) tui_text(t, b->x, b->y + b->row, b->w, row, b->k);
    b->row++;
}

int tui_text_block(Tui *t, int x, int y, int w, int h, const char *s, Ink k)
{
    TuiRows b = {x, y, w, h, 0, k};
    tui_wrap(t, s, w, 2, h, tui_rows_put, &b);
    return b.row < h ? b.row : h;
}
