/* tui_screen.h — the dashboard's one contact with ncurses: opening the screen,
 * putting the terminal back on every way out (atexit, fatal signals), the
 * colour depth, and copying a TermCanvas to the screen through a colour-pair
 * cache. Drawing itself happens on the canvas (ui/tui_draw.h). */
#ifndef BL_TUI_SCREEN_H
#define BL_TUI_SCREEN_H

#include "term_canvas.h"

/* Attributes beyond term_canvas.h's BOLD and DIM that only the dashboard uses
 * (status bar, focused titles); kept in the high bits of TermCell.attr. */
#define TUI_ATTR_REVERSE 0x40u
#define TUI_ATTR_UNDERLINE 0x20u

typedef struct TuiScreen {
    int           w, h;
    TermColorMode color;    /* the depth cells are shown at (NONE under NO_COLOR: no colour escapes at all) */
    int           direct;   /* terminfo's direct colour (24-bit numbers), as TERM=xterm-direct */
    int           unicode;  /* the locale is UTF-8: braille, blocks, box drawing */
    int           mouse;
} TuiScreen;

/* Opens the screen on the process's terminal (raw keys, keypad, no echo,
 * alternate screen). Returns 0, or -1 with a message when it cannot. */
int  tui_screen_open(TuiScreen *s, int mouse, char *err, int cap);
/* Restores the terminal; safe to call twice and after a failed open. */
void tui_screen_close(TuiScreen *s);
/* Reads the size after KEY_RESIZE. */
void tui_screen_resize(TuiScreen *s);
/* Shows the canvas (its top left at the screen's) and puts the cursor at
 * (cx, cy), or hides it when cx < 0. Only changed cells reach the terminal. */
void tui_screen_show(TuiScreen *s, const TermCanvas *cv, int cx, int cy);
/* The next key, or -1 after timeout_ms (0: do not wait). */
int  tui_screen_key(int timeout_ms);

#endif
