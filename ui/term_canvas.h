/* term_canvas.h — a grid of terminal cells (one glyph, two colours, attributes
 * each) that renderers draw into without a terminal: ncurses shows it, batch mode
 * writes it as ANSI or plain text, tests read it back.
 *
 * Why a canvas and not ncurses calls: charts stay testable and one drawing serves
 * the TUI, `show` on a tty and the text dumps of tests. The canvas holds colours
 * as RGB (or "the terminal's default") and only quantises them on the way out,
 * so every output sees the same picture at the depth it can show.
 *
 * Glyphs are taken to be one column wide (ASCII, box drawing, blocks, braille,
 * Latin and Greek text); wide characters (CJK, emoji) are not laid out correctly.
 * Control characters are never stored: text from a file or a person cannot
 * smuggle escape sequences to the terminal through a canvas.
 *
 * Sketch of the ncurses adapter (pair_for() stands for the TUI's colour-pair cache):
 *
 *     for (int y = 0; y < cv->h; y++)
 *         for (int x = 0; x < cv->w; x++) {
 *             const TermCell *c = tcanvas_cell(cv, x, y);
 *             int fg = tcanvas_color_index(c->fg, mode);   // -1 = default
 *             int bg = tcanvas_color_index(c->bg, mode);
 *             wattrset(win, COLOR_PAIR(pair_for(fg, bg))
 *                           | (c->attr & TERM_ATTR_BOLD ? A_BOLD : 0)
 *                           | (c->attr & TERM_ATTR_DIM ? A_DIM : 0));
 *             mvwaddstr(win, y, x, c->ch);
 *         }
 */
#ifndef BL_TERM_CANVAS_H
#define BL_TERM_CANVAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chart.h"

/* How many colours the terminal shows; ordered, so `mode >= TERM_COLOR_256` reads. */
typedef enum {
    TERM_COLOR_NONE,    /* monochrome, or NO_COLOR: attributes only */
    TERM_COLOR_8,       /* the 8 ANSI colours */
    TERM_COLOR_256,     /* xterm-256 */
    TERM_COLOR_TRUE     /* 24-bit */
} TermColorMode;

/* An RGB colour, or the terminal's own default (is_default != 0, rgb ignored). */
typedef struct TermColor {
    uint8_t r, g, b;
    uint8_t is_default;
} TermColor;

#define TCANVAS_DEFAULT ((TermColor){0, 0, 0, 1})

enum { TERM_ATTR_BOLD = 1u, TERM_ATTR_DIM = 2u };

typedef struct TermCell {
    char      ch[5];        /* one UTF-8 character, NUL-terminated; " " when empty */
    uint8_t   attr;         /* TERM_ATTR_* bits */
    TermColor fg, bg;
} TermCell;

/* cells[y * w + x]; exposed so adapters can copy rows without a call per cell. */
typedef struct TermCanvas {
    int       w, h;
    TermCell *cells;
} TermCanvas;

/* A w x h canvas of blank cells (negative sizes count as 0). Never NULL; the
 * caller frees it with tcanvas_free (NULL is fine there). */
TermCanvas *tcanvas_new(int w, int h);
void        tcanvas_free(TermCanvas *cv);
/* Every cell blank: " ", default colours, no attributes. */
void        tcanvas_clear(TermCanvas *cv);
/* Fills the part of the rectangle inside the canvas with one glyph. */
void        tcanvas_fill(TermCanvas *cv, int x, int y, int w, int h, const char *utf8,
                         TermColor fg, TermColor bg, unsigned attr);

/* The cell at (x, y), or NULL outside the canvas. The pointer stays valid until
 * tcanvas_free. */
TermCell   *tcanvas_cell(const TermCanvas *cv, int x, int y);

/* Sets one cell to the first character of utf8. Outside the canvas: nothing.
 * A control character or malformed UTF-8 is stored as "?", an empty string as " ". */
void        tcanvas_put(TermCanvas *cv, int x, int y, const char *utf8,
                        TermColor fg, TermColor bg, unsigned attr);
/* Writes utf8 from (x, y) rightwards, one character per cell, at most maxw
 * cells (maxw < 0: up to the canvas edge); clipped to the canvas. Returns the
 * number of characters consumed (cells advanced, drawn or clipped). */
int         tcanvas_text(TermCanvas *cv, int x, int y, int maxw, const char *utf8,
                         TermColor fg, TermColor bg, unsigned attr);

/* The glyphs as plain text: h lines, each ended by '\n', trailing blanks
 * trimmed. Writes at most size bytes including the NUL (buf may be NULL when
 * size is 0) and returns the length of the whole text, as snprintf does. */
size_t      tcanvas_to_text(const TermCanvas *cv, char *buf, size_t size);
/* The same lines with SGR escapes for colours at the given depth (none for
 * TERM_COLOR_NONE, which keeps bold and dim: they are not colour) and a reset
 * at the end of every line that changed attributes. Returns 0, or -1 when the
 * stream reports a write error. */
int         tcanvas_to_ansi(const TermCanvas *cv, FILE *out, TermColorMode mode);

/* The palette index a colour becomes at a depth: -1 for the default colour or
 * TERM_COLOR_NONE; 0..7 (chart_rgb_to_8) for TERM_COLOR_8; 16..255
 * (chart_rgb_to_256) for TERM_COLOR_256 and for TERM_COLOR_TRUE (whose exact
 * RGB is in the colour itself; the index serves screens without direct colour). */
int         tcanvas_color_index(TermColor c, TermColorMode mode);
TermColor   tcanvas_rgb(ChartRGB c);

/* The colour depth to use, from what the environment says (any may be NULL):
 * NO_COLOR set and non-empty gives NONE (no-color.org); TERM unset or "dumb"
 * gives NONE; COLORTERM "truecolor"/"24bit" gives TRUE; ncolors (terminfo's
 * count, or -1 when unknown) or a TERM naming 256color picks 256 or 8. Pure:
 * the caller reads the environment. */
TermColorMode tcanvas_color_mode_guess(const char *term, const char *colorterm,
                                       const char *no_color, int ncolors);
/* 1 if a locale codeset (nl_langinfo(CODESET)) is UTF-8, so braille and block
 * glyphs can be used; 0 means ASCII only. */
int         tcanvas_unicode_guess(const char *codeset);

#endif
