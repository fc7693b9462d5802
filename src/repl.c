/* repl.c — readline REPL (callback interface, select() loop) with history and
 * completion. Signals: main.c's SIGINT handler only sets a flag; readline's own
 * handlers are off (rl_catch_signals = 0), and the loop reacts to the flag. */
#include "repl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "complete.h"
#include "exec.h"

/* readline's callbacks carry no context pointer: the one active Repl. */
static Repl *active;
static Completion matches;

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc && errno != EEXIST) return -1;
    }
    return 0;
}

int repl_history_path(char *buf, size_t cap)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;
    if (state && state[0] == '/') n = snprintf(buf, cap, "%s/blocklab/history", state);
    else if (home && home[0]) n = snprintf(buf, cap, "%s/.local/state/blocklab/history", home);
    else return -1;
    if (n < 0 || (size_t)n >= cap) return -1;
    return mkdirs(buf);
}

static char *generator(const char *text, int state)
{
    static int i;
    (void)text;
    if (!state) i = 0;
    return i < matches.n ? strdup(matches.items[i++]) : NULL;
}

static char **attempt(const char *text, int start, int end)
{
    (void)end;
    complete_free(&matches);
    if (active->lock && active->lock(active->lock_ctx, 1)) {
        rl_attempted_completion_over = 1;   /* a command is running: no candidates now */
        return NULL;
    }
    char *before = strndup(rl_line_buffer, (size_t)rl_point);
    complete_line(active->vc->ws, before ? before : "", start, &matches);
    if (active->lock) active->lock(active->lock_ctx, 0);
    free(before);
    if (matches.files) {
        complete_free(&matches);
        rl_attempted_completion_over = 0;   /* readline lists file names */
        return NULL;
    }
    rl_attempted_completion_over = 1;
    rl_completion_append_character = matches.append;
    if (!matches.n) return NULL;
    return rl_completion_matches(text, generator);
}

void repl_init(Repl *r, VerbCtx *vc, atomic_int *sigint, int color)
{
    memset(r, 0, sizeof *r);
    r->vc = vc;
    r->sigint = sigint;
    r->color = color;
    r->prompt = REPL_PROMPT;
    active = r;
    rl_readline_name = "blocklab";
    rl_attempted_completion_function = attempt;
    rl_catch_signals = 0;
    using_history();
    if (repl_history_path(r->history, sizeof r->history) == 0) {
        FILE *f = fopen(r->history, "a");   /* append_history needs the file to exist */
        if (f) {
            fclose(f);
            read_history(r->history);
        } else {
            r->history[0] = 0;
        }
    } else {
        r->history[0] = 0;
    }
}

void repl_free(Repl *r)
{
    if (r->history[0]) history_truncate_file(r->history, 2000);
    clear_history();   /* readline's entries are ours to free: LeakSanitizer counts them */
    complete_free(&matches);
    active = NULL;
}

/* An error under the line just typed: a caret at its column, then the message. */
static void report(void *ctx, const ExecError *err)
{
    Repl *r = ctx;
    int pad = (int)strlen(r->prompt) + (err->col > 0 ? err->col - 1 : 0);
    const char *on = r->color ? "\033[31m" : "", *off = r->color ? "\033[0m" : "";
    if (err->col > 0 && err->line == 1) printf("%*s%s^ %s%s\n", pad, "", on, err->msg, off);
    else printf("%s%s%s\n", on, err->msg, off);
}

int repl_record(Repl *r, const char *line)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) return 0;
    add_history(line);
    if (r->history[0]) append_history(1, r->history);
    return 1;
}

void repl_line(Repl *r, const char *line)
{
    if (!repl_record(r, line)) return;
    int rc = exec_text(r->vc, line, 0, report, r, NULL);
    if (rc == EXEC_QUIT) r->done = 1;
    *r->sigint = 0;   /* Ctrl-C stopped a command; the session goes on */
    r->vc->quit = 0;
    fflush(stdout);
}

static void on_line(char *line)
{
    if (!line) {   /* Ctrl-D */
        active->done = 1;
        printf("\n");
        rl_callback_handler_remove();
        return;
    }
    repl_line(active, line);
    free(line);
    if (active->done) rl_callback_handler_remove();
}

void repl_loop(Repl *r)
{
    printf("blocklab %s: help lists the verbs, help VERB explains one, Tab completes, Ctrl-D quits.\n", BL_VERSION);
    rl_callback_handler_install(r->prompt, on_line);
    while (!r->done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(STDIN_FILENO, &fds);
        int n = select(STDIN_FILENO + 1, &fds, NULL, NULL, NULL);
        if (n < 0 && errno == EINTR) {
            if (*r->sigint) {
                /* Ctrl-C at the prompt: drop the line, draw a fresh prompt. */
                *r->sigint = 0;
                rl_free_line_state();
                rl_callback_sigcleanup();
                rl_replace_line("", 0);
                printf("^C\n");
                rl_on_new_line();
                rl_redisplay();
            }
            continue;
        }
        if (n < 0) break;
        rl_callback_read_char();
    }
    if (!r->done) rl_callback_handler_remove();
}
