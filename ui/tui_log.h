/* tui_log.h — the dashboard's output log: lines of text, each with a kind that
 * says how to show it (command echo, output, error, note, message). Any thread
 * may write (the worker's verbs, the UI's own messages); the UI reads the tail.
 * Keeps the last TUI_LOG_MAX lines; a write without a newline waits for the rest
 * of its line. Not a terminal: no escape sequences are interpreted or kept. */
#ifndef BL_TUI_LOG_H
#define BL_TUI_LOG_H

#include <pthread.h>
#include <stddef.h>

#define TUI_LOG_MAX 4000

typedef enum {
    TUI_LOG_OUT,    /* what a verb printed */
    TUI_LOG_CMD,    /* the echo of a typed line ("blocklab> ...") */
    TUI_LOG_ERR,    /* an error, in red */
    TUI_LOG_NOTE,   /* a `note` ("» ...") or "note: ..." line, highlighted */
    TUI_LOG_INFO    /* the dashboard's own messages (exports, hints), dim */
} TuiLogKind;

typedef struct TuiLog {
    pthread_mutex_t mu;
    char          **line;     /* ring of TUI_LOG_MAX owned strings */
    unsigned char  *kind;
    long            total;    /* lines ever added; line i (0-based) lives at i % TUI_LOG_MAX */
    char           *part;     /* the unfinished line (owned), plen bytes */
    size_t          plen, pcap;
    int             pkind;
    unsigned long   version;  /* changes with every complete line */
    long            note;     /* the newest note's line number, -1: none */
} TuiLog;

void tui_log_init(TuiLog *g);
void tui_log_free(TuiLog *g);
/* Appends text, split at newlines; control characters other than tab are
 * dropped (tabs become spaces) and ESC sequences skipped. An OUT line that
 * starts with "» " or "note: " is shown as a note. Thread-safe. */
void tui_log_write(TuiLog *g, TuiLogKind kind, const char *s, size_t n);
void tui_log_printf(TuiLog *g, TuiLogKind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
unsigned long tui_log_version(TuiLog *g);
/* Lines added so far (the next line's number, counting from 0). */
long tui_log_count(TuiLog *g);
/* The newest note (xstrdup'd, the caller frees) and its line number counted
 * back from the newest line (0: the newest); NULL when there is none. */
char *tui_log_last_note(TuiLog *g, long *back);
/* Copies up to n lines ending `back` lines before the newest (0: up to the
 * newest) into out[] (xstrdup'd, oldest first; the caller frees each) and
 * their kinds; returns how many. *total gets the number of lines held. */
int tui_log_tail(TuiLog *g, int back, int n, char **out, unsigned char *kinds, long *total);

#endif
