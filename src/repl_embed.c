/* repl_embed.c — readline driven by the dashboard (DESIGN.md §3 pitfalls):
 * no terminal preparation, no signal or SIGWINCH handling, input from a queue
 * the dashboard fills (rl_getc_function, rl_input_available_hook), display by
 * the dashboard (rl_redisplay_function only notes a change), and nothing
 * written to the terminal (rl_outstream is /dev/null). */
#include "repl_embed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/history.h>
#include <readline/readline.h>

static struct {
    Repl          *r;
    TuiLog        *log;
    ReplLineFn     on_line;
    void          *ctx;
    unsigned char  q[256];   /* bytes typed, not yet read by readline */
    int            qh, qn;
    int            eof, on;
    FILE          *null;
} E;

static int embed_getc(FILE *f)
{
    (void)f;
    /* Readline reads only what was queued: the feeder stops when the queue is
     * empty. Should it ask for more mid-sequence, NUL (set-mark) is harmless. */
    if (!E.qn) return 0;
    int c = E.q[E.qh];
    E.qh = (E.qh + 1) % (int)sizeof E.q;
    E.qn--;
    return c;
}

static int embed_avail(void) { return E.qn > 0; }
static void embed_redisplay(void) {}
static void embed_prep(int meta) { (void)meta; }
static void embed_deprep(void) {}

/* Completion candidates as a line (or a few) in the log. */
static void embed_display(char **matches, int num, int max_length)
{
    (void)max_length;
    char line[1024];
    size_t k = 0;
    for (int i = 1; i <= num; i++) {
        size_t len = strlen(matches[i]);
        if (k && k + len + 2 > 100) {
            tui_log_printf(E.log, TUI_LOG_INFO, "%.*s\n", (int)k, line);
            k = 0;
        }
        if (k + len + 3 < sizeof line) k += (size_t)snprintf(line + k, sizeof line - k, "%s%s", k ? "  " : "", matches[i]);
    }
    if (k) tui_log_printf(E.log, TUI_LOG_INFO, "%.*s\n", (int)k, line);
}

static void embed_line(char *line)
{
    if (!line) {   /* Ctrl-D on an empty line */
        E.eof = 1;
        return;
    }
    if (repl_record(E.r, line)) {
        tui_log_printf(E.log, TUI_LOG_CMD, "%s%s\n", E.r->prompt, line);
        E.on_line(E.ctx, line);
    }
    free(line);
}

void repl_embed_start(Repl *r, TuiLog *log, ReplLineFn on_line, void *ctx)
{
    memset(&E, 0, sizeof E);
    E.r = r;
    E.log = log;
    E.on_line = on_line;
    E.ctx = ctx;
    E.null = fopen("/dev/null", "w");
    rl_outstream = E.null;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = embed_prep;
    rl_deprep_term_function = embed_deprep;
    rl_getc_function = embed_getc;
    rl_input_available_hook = embed_avail;
    rl_redisplay_function = embed_redisplay;
    rl_completion_display_matches_hook = embed_display;
    rl_variable_bind("bell-style", "none");
    rl_variable_bind("enable-bracketed-paste", "off");
    rl_callback_handler_install(r->prompt, embed_line);
    E.on = 1;
}

void repl_embed_feed(const char *bytes, int n)
{
    if (!E.on) return;
    for (int i = 0; i < n && E.qn < (int)sizeof E.q; i++) {
        E.q[(E.qh + E.qn) % (int)sizeof E.q] = (unsigned char)bytes[i];
        E.qn++;
    }
    while (E.qn > 0 && !E.eof) rl_callback_read_char();
    E.qn = 0;
}

const char *repl_embed_text(int *cursor, const char **prompt)
{
    if (cursor) *cursor = E.on ? rl_point : 0;
    if (prompt) *prompt = E.on && rl_display_prompt ? rl_display_prompt : REPL_PROMPT;
    return E.on && rl_line_buffer ? rl_line_buffer : "";
}

void repl_embed_clear(void)
{
    if (!E.on) return;
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_point = 0;
    /* Leave a history search (Ctrl-R) too: its prompt is readline's. */
    rl_callback_handler_remove();
    rl_callback_handler_install(E.r->prompt, embed_line);
}

int repl_embed_eof(void) { return E.eof; }

void repl_embed_stop(void)
{
    if (!E.on) return;
    rl_callback_handler_remove();
    rl_getc_function = rl_getc;
    rl_input_available_hook = NULL;
    rl_redisplay_function = rl_redisplay;
    rl_prep_term_function = rl_prep_terminal;
    rl_deprep_term_function = rl_deprep_terminal;
    rl_completion_display_matches_hook = NULL;
    rl_outstream = stdout;
    if (E.null) fclose(E.null);
    E.on = 0;
}
