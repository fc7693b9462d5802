/* term_canvas.c — the terminal cell grid: storing sanitised glyphs, dumping it as
 * plain text or ANSI SGR text, and mapping its RGB colours to terminal palettes.
 * Knows nothing of charts; see ui/term_chart.c for what gets drawn into it. */
#include "term_canvas.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

static void cell_blank(TermCell *c)
{
    memset(c, 0, sizeof *c);
    c->ch[0] = ' ';
    c->fg = TCANVAS_DEFAULT;
    c->bg = TCANVAS_DEFAULT;
}

TermCanvas *tcanvas_new(int w, int h)
{
    TermCanvas *cv = xcalloc(1, sizeof *cv);
    cv->w = w > 0 ? w : 0;
    cv->h = h > 0 ? h : 0;
    size_t n = (size_t)cv->w * (size_t)cv->h;
    cv->cells = xmalloc((n ? n : 1) * sizeof *cv->cells);
    tcanvas_clear(cv);
    return cv;
}

void tcanvas_free(TermCanvas *cv)
{
    if (!cv) return;
    free(cv->cells);
    free(cv);
}

void tcanvas_clear(TermCanvas *cv)
{
    if (!cv) return;
    size_t n = (size_t)cv->w * (size_t)cv->h;
    for (size_t i = 0; i < n; i++) cell_blank(&cv->cells[i]);
}

TermCell *tcanvas_cell(const TermCanvas *cv, int x, int y)
{
    if (!cv || x < 0 || y < 0 || x >= cv->w || y >= cv->h) return NULL;
    return &cv->cells[(size_t)y * cv->w + x];
}

/* Copies the first character of s into out (5 bytes) and returns the bytes it
 * spans in s. Control characters (C0, DEL, C1) and malformed sequences become
 * "?": the canvas ends up on a terminal, where they would be commands. */
static int glyph_copy(const char *s, char out[5])
{
    if (!s || !*s) {
        memcpy(out, " ", 2);
        return 0;
    }
    uint32_t cp;
    int n = chart_utf8_next(s, &cp);
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0xFFFD) {
        memcpy(out, "?", 2);
        return n;
    }
    memcpy(out, s, (size_t)n);
    out[n] = '\0';
    return n;
}

void tcanvas_put(TermCanvas *cv, int x, int y, const char *utf8, TermColor fg, TermColor bg, unsigned attr)
{
    TermCell *c = tcanvas_cell(cv, x, y);
    if (!c) return;
    glyph_copy(utf8, c->ch);
    c->fg = fg;
    c->bg = bg;
    c->attr = (uint8_t)attr;
}

void tcanvas_fill(TermCanvas *cv, int x, int y, int w, int h, const char *utf8, TermColor fg, TermColor bg,
                  unsigned attr)
{
    if (!cv) return;
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > cv->w ? cv->w : x + w, y1 = y + h > cv->h ? cv->h : y + h;
    for (int j = y0; j < y1; j++)
        for (int i = x0; i < x1; i++) tcanvas_put(cv, i, j, utf8, fg, bg, attr);
}

int tcanvas_text(TermCanvas *cv, int x, int y, int maxw, const char *utf8, TermColor fg, TermColor bg,
                 unsigned attr)
{
    int n = 0;
    if (!cv || !utf8) return 0;
    if (maxw < 0) maxw = cv->w - x;
    for (const char *s = utf8; *s && n < maxw; n++) {
        char g[5];
        int used = glyph_copy(s, g);
        TermCell *c = tcanvas_cell(cv, x + n, y);
        if (c) {
            memcpy(c->ch, g, sizeof g);
            c->fg = fg;
            c->bg = bg;
            c->attr = (uint8_t)attr;
        }
        s += used;
    }
    return n;
}

/* Cells after the last one that shows anything: a blank on the default
 * background is invisible whatever its other fields say. */
static int row_used(const TermCanvas *cv, int y)
{
    int w = cv->w;
    while (w > 0) {
        const TermCell *c = &cv->cells[(size_t)y * cv->w + w - 1];
        if (!(c->ch[0] == ' ' && c->ch[1] == '\0' && c->bg.is_default)) break;
        w--;
    }
    return w;
}

size_t tcanvas_to_text(const TermCanvas *cv, char *buf, size_t size)
{
    size_t len = 0, copied = 0;
    int full = size == 0;
    for (int y = 0; cv && y < cv->h; y++) {
        int used = row_used(cv, y);
        for (int x = 0; x <= used; x++) {
            const char *g = x < used ? cv->cells[(size_t)y * cv->w + x].ch : "\n";
            size_t gl = strlen(g);
            /* Only whole glyphs are copied, so a short buffer never ends mid-character. */
            if (!full && copied + gl < size) {
                memcpy(buf + copied, g, gl);
                copied += gl;
            } else {
                full = 1;
            }
            len += gl;
        }
    }
    if (size) buf[copied] = '\0';
    return len;
}

TermColor tcanvas_rgb(ChartRGB c) { return (TermColor){c.r, c.g, c.b, 0}; }

int tcanvas_color_index(TermColor c, TermColorMode mode)
{
    if (c.is_default || mode == TERM_COLOR_NONE) return -1;
    ChartRGB rgb = {c.r, c.g, c.b};
    return mode == TERM_COLOR_8 ? chart_rgb_to_8(rgb) : chart_rgb_to_256(rgb);
}

static int same_color(TermColor a, TermColor b)
{
    if (a.is_default || b.is_default) return a.is_default == b.is_default;
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* One SGR parameter list for a colour: "38;2;r;g;b", "38;5;n" or "3n" (fg),
 * the 4x forms for bg. Nothing for the default colour. */
static void sgr_color(FILE *out, TermColor c, TermColorMode mode, int bg)
{
    int idx = tcanvas_color_index(c, mode);
    if (idx < 0) return;
    if (mode == TERM_COLOR_TRUE) fprintf(out, ";%d;2;%d;%d;%d", bg ? 48 : 38, c.r, c.g, c.b);
    else if (mode == TERM_COLOR_256) fprintf(out, ";%d;5;%d", bg ? 48 : 38, idx);
    else fprintf(out, ";%d", (bg ? 40 : 30) + idx);
}

int tcanvas_to_ansi(const TermCanvas *cv, FILE *out, TermColorMode mode)
{
    if (!cv || !out) return -1;
    for (int y = 0; y < cv->h; y++) {
        int used = row_used(cv, y), plain = 1;
        TermColor fg = TCANVAS_DEFAULT, bg = TCANVAS_DEFAULT;
        unsigned attr = 0;
        for (int x = 0; x < used; x++) {
            const TermCell *c = &cv->cells[(size_t)y * cv->w + x];
            TermColor cfg = mode == TERM_COLOR_NONE ? TCANVAS_DEFAULT : c->fg;
            TermColor cbg = mode == TERM_COLOR_NONE ? TCANVAS_DEFAULT : c->bg;
            /* A blank on the default background looks the same in any state:
             * no need to switch (keeps dashed guides from costing 8 bytes a cell). */
            int blank = c->ch[0] == ' ' && c->ch[1] == '\0' && cbg.is_default && bg.is_default;
            if (!blank && (c->attr != attr || !same_color(cfg, fg) || !same_color(cbg, bg))) {
                /* Reset then set: simpler than diffing SGR state, and every
                 * terminal agrees on what "0" means. */
                fputs("\x1b[0", out);
                if (c->attr & TERM_ATTR_BOLD) fputs(";1", out);
                if (c->attr & TERM_ATTR_DIM) fputs(";2", out);
                sgr_color(out, cfg, mode, 0);
                sgr_color(out, cbg, mode, 1);
                fputc('m', out);
                fg = cfg;
                bg = cbg;
                attr = c->attr;
                plain = attr == 0 && fg.is_default && bg.is_default;
            }
            fputs(c->ch, out);
        }
        if (!plain) fputs("\x1b[0m", out);
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

TermColorMode tcanvas_color_mode_guess(const char *term, const char *colorterm, const char *no_color, int ncolors)
{
    if (no_color && *no_color) return TERM_COLOR_NONE;
    if (!term || !*term || !strcmp(term, "dumb")) return TERM_COLOR_NONE;
    if (colorterm && (!strcasecmp(colorterm, "truecolor") || !strcasecmp(colorterm, "24bit"))) return TERM_COLOR_TRUE;
    if (ncolors >= 256 || strstr(term, "256color") || strstr(term, "direct")) return TERM_COLOR_256;
    if (ncolors >= 8) return TERM_COLOR_8;
    if (ncolors >= 0) return TERM_COLOR_NONE; /* terminfo knows, and says fewer than 8 */
    static const char *const colorful[] = {"xterm", "screen", "tmux", "linux", "rxvt", "vt220-color", "ansi",
                                           "cygwin", "putty", "konsole", "alacritty", "kitty", "foot", "wezterm"};
    for (size_t i = 0; i < sizeof colorful / sizeof *colorful; i++)
        if (!strncmp(term, colorful[i], strlen(colorful[i]))) return TERM_COLOR_8;
    return TERM_COLOR_NONE;
}

int tcanvas_unicode_guess(const char *codeset)
{
    if (!codeset) return 0;
    char norm[16];
    size_t j = 0;
    for (const char *s = codeset; *s && j + 1 < sizeof norm; s++)
        if (*s != '-' && *s != '_') norm[j++] = (char)tolower((unsigned char)*s);
    norm[j] = '\0';
    return !strcmp(norm, "utf8");
}
