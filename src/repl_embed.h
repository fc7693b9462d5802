/* repl_embed.h — readline as the dashboard's command line: readline's callback
 * interface with its terminal handling switched off. The dashboard feeds the
 * bytes of each key, draws the line itself from repl_embed_text, and gets each
 * entered line through a callback. History file and completion are the plain
 * prompt's (repl.h); completion lists go to the log. One at a time: readline's
 * state is global. Everything here runs on the UI thread. */
#ifndef BL_REPL_EMBED_H
#define BL_REPL_EMBED_H

#include "repl.h"
#include "tui_log.h"

/* Called with each entered, non-blank line after it went into the history. */
typedef void (*ReplLineFn)(void *ctx, const char *line);

/* r must be repl_init'ed; its lock hook guards completion. */
void repl_embed_start(Repl *r, TuiLog *log, ReplLineFn on_line, void *ctx);
/* Feeds typed bytes (a whole UTF-8 character or escape sequence at a time). */
void repl_embed_feed(const char *bytes, int n);
/* The line being edited, the cursor as a byte offset, and the prompt to show
 * (readline's own while it searches history, "(reverse-i-search)..."). */
const char *repl_embed_text(int *cursor, const char **prompt);
/* Drops the line being edited (Ctrl-C). */
void repl_embed_clear(void);
/* 1 once Ctrl-D was typed on an empty line. */
int  repl_embed_eof(void);
void repl_embed_stop(void);

#endif
