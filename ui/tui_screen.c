/* tui_screen.c — ncurses setup and teardown, and the canvas → screen copy.
 * The terminal is restored by endwin() on normal ways out (tui_screen_close,
 * atexit) and, on a fatal signal, by a handler that only does what is
 * async-signal-safe: write() a precomputed reset string and tcsetattr(). */
#include "tui_screen.h"
#include "tui.h"

#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

static int            active;          /* the screen is ours */
static struct termios saved_tty;
static int            have_tty;
static char           reset_seq[256];  /* leave alternate screen, show cursor, plain attributes, mouse off */
static size_t         reset_len;
static SCREEN        *scr;

void tui_terminal_restore(void)
{
    if (!active) return;
    active = 0;
    mousemask(0, NULL);
    endwin();
    if (scr) {
        delscreen(scr);
        scr = NULL;
    }
    if (have_tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    /* endwin leaves the mouse reporting mode on some terminals: switch it off. */
    static const char mouse_off[] = "\033[?1000l\033[?1002l\033[?1006l";
    if (write(STDOUT_FILENO, mouse_off, sizeof mouse_off - 1) < 0) { /* nothing to do */ }
}

static void on_fatal(int sig)
{
    if (active) {
        if (write(STDOUT_FILENO, reset_seq, reset_len) < 0) { /* keep going: restore the modes */ }
        if (have_tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void add_cap(const char *name)
{
    char *s = tigetstr(name);
    if (!s || s == (char *)-1) return;
    size_t n = strlen(s);
    if (reset_len + n < sizeof reset_seq) {
        memcpy(reset_seq + reset_len, s, n);
        reset_len += n;
    }
}

int tui_screen_open(TuiScreen *s, int mouse, char *err, int cap)
{
    memset(s, 0, sizeof *s);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, (size_t)cap, "the dashboard needs a terminal on stdin and stdout");
        return -1;
    }
    have_tty = tcgetattr(STDIN_FILENO, &saved_tty) == 0;
    const char *term = getenv("TERM");
    if (!term || !*term || !strcmp(term, "dumb")) {
        snprintf(err, (size_t)cap, "the dashboard needs a terminal that can move the cursor (TERM is %s)", term && *term ? term : "unset");
        return -1;
    }
    /* newterm, not initscr: initscr exits on an unknown TERM, we report it. */
    scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        snprintf(err, (size_t)cap, "cannot open the terminal '%s' (is its terminfo installed?)", term);
        return -1;
    }
    set_term(scr);
    active = 1;
    static int registered;
    if (!registered) {
        atexit(tui_terminal_restore);
        registered = 1;
    }
    reset_len = 0;
    add_cap("rmcup");
    add_cap("cnorm");
    add_cap("sgr0");
    add_cap("rmkx");
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(fatal[i], &sa, NULL);
    }
    raw();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    leaveok(stdscr, FALSE);

    const char *no_color = getenv("NO_COLOR");
    int ncolors = -1;
    if (!(no_color && *no_color) && has_colors()) {
        start_color();
        use_default_colors();
        ncolors = COLORS;
    } else if (!(no_color && *no_color)) {
        ncolors = 0;
    }
    s->color = tcanvas_color_mode_guess(term, getenv("COLORTERM"), no_color, ncolors);
    if (s->color != TERM_COLOR_NONE && !has_colors()) s->color = TERM_COLOR_NONE;
    /* 24-bit needs a direct-colour terminfo entry (xterm-direct); else show
     * the nearest of what the terminal has. */
    s->direct = s->color == TERM_COLOR_TRUE && COLORS >= 0x1000000;
    if (s->color == TERM_COLOR_TRUE && !s->direct) s->color = COLORS >= 256 ? TERM_COLOR_256 : TERM_COLOR_8;
    if (s->color == TERM_COLOR_256 && COLORS < 256) s->color = TERM_COLOR_8;
    if (s->color == TERM_COLOR_8 && COLORS < 8) s->color = TERM_COLOR_NONE;

    if (mouse) {
        mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
        s->mouse = 1;
    }
    tui_screen_resize(s);
    return 0;
}

void tui_screen_close(TuiScreen *s)
{
    (void)s;
    tui_terminal_restore();
}

void tui_screen_resize(TuiScreen *s)
{
    getmaxyx(stdscr, s->h, s->w);
}

int tui_screen_key(int timeout_ms)
{
    timeout(timeout_ms);
    int ch = getch();
    return ch == ERR ? -1 : ch;
}

/* The ncurses colour number of a canvas colour (-1: the default). */
static int color_number(const TuiScreen *s, TermColor c)
{
    if (c.is_default || s->color == TERM_COLOR_NONE) return -1;
    if (s->direct) {
        /* Direct-colour terminfo reads numbers below 8 as the ANSI colours. */
        int v = (c.r << 16) | (c.g << 8) | c.b;
        return v < 8 ? 8 : v;
    }
    return tcanvas_color_index(c, s->color);
}

void tui_screen_show(TuiScreen *s, const TermCanvas *cv, int cx, int cy)
{
    int h = cv->h < s->h ? cv->h : s->h, w = cv->w < s->w ? cv->w : s->w;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const TermCell *c = &cv->cells[y * cv->w + x];
            attr_t a = A_NORMAL;
            if (c->attr & TERM_ATTR_BOLD) a |= A_BOLD;
            if (c->attr & TERM_ATTR_DIM) a |= A_DIM;
            if (c->attr & TUI_ATTR_REVERSE) a |= A_REVERSE;
            if (c->attr & TUI_ATTR_UNDERLINE) a |= A_UNDERLINE;
            int pair = 0;
            if (s->color != TERM_COLOR_NONE) {
                int fg = color_number(s, c->fg), bg = color_number(s, c->bg);
                if (fg != -1 || bg != -1) {
                    pair = alloc_pair(fg, bg);
                    if (pair < 0) pair = 0;
                }
            }
            wchar_t wc[2] = {L'?', 0};
            mbstate_t st;
            memset(&st, 0, sizeof st);
            if (mbrtowc(&wc[0], c->ch, strlen(c->ch), &st) > 4 || wc[0] == 0) wc[0] = L' ';
            cchar_t cc;
            setcchar(&cc, wc, a, 0, &pair);
            mvadd_wch(y, x, &cc);
        }
    if (cx >= 0 && cy >= 0 && cx < s->w && cy < s->h) {
        move(cy, cx);
        curs_set(1);
    } else {
        curs_set(0);
    }
    refresh();
}
