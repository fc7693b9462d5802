/* tui_front.c — the dashboard's glue: TuiHost callbacks over the worker and
 * readline, signal flags, the welcome line, scenes queued before the first
 * frame. The screen is ui/tui.c's; the engine thread is worker.c's. */
#include "tui_front.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"
#include "repl_embed.h"
#include "tui.h"
#include "worker.h"

static atomic_int got_term;

static void on_term(int sig) { got_term = sig; }

typedef struct Front {
    Worker *w;
    Repl   *repl;
} Front;

static void host_snapshot(void *ctx, TuiSnapshot *s)
{
    Front *f = ctx;
    worker_snapshot(f->w, s);
    if (repl_embed_eof()) s->quit = 1;   /* Ctrl-D on an empty line */
}

static char *host_arch(void *ctx) { return worker_arch(((Front *)ctx)->w); }
static void host_control(void *ctx, TuiControl what) { worker_control(((Front *)ctx)->w, what); }
static void host_feed(void *ctx, const char *bytes, int n) { repl_embed_feed(bytes, n); }
static const char *host_text(void *ctx, int *cursor, const char **prompt) { return repl_embed_text(cursor, prompt); }
static void host_clear(void *ctx) { repl_embed_clear(); }
static void on_line(void *ctx, const char *line) { worker_submit(((Front *)ctx)->w, line); }
static int ws_lock(void *ctx, int on) { return worker_ws_lock(ctx, on); }

int tui_front_run(Workspace *ws, const FrontScene *scenes, int n, atomic_int *sigint, char *err, int cap)
{
    /* Glyphs and readline follow the locale; numbers never do (strtod, printf). */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    struct sigaction sa, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);

    TuiLog log;
    tui_log_init(&log);
    Worker w;
    BlError e;
    if (worker_start(&w, ws, &log, &e)) {
        snprintf(err, (size_t)cap, "%s", e.msg);
        tui_log_free(&log);
        return 1;
    }
    VerbCtx rvc = {.ws = ws};   /* completion reads ws through the Repl, under the worker's lock */
    Repl repl;
    repl_init(&repl, &rvc, sigint, 0);
    repl.lock = ws_lock;
    repl.lock_ctx = &w;
    Front f = {&w, &repl};
    repl_embed_start(&repl, &log, on_line, &f);

    tui_log_printf(&log, TUI_LOG_INFO, "blocklab %s: type a command (help lists them; Tab completes), ? shows the keys, q quits.\n", BL_VERSION);
    if (n == 0) {
        /* A first step for an empty dashboard, and the tour where it is. */
        tui_log_printf(&log, TUI_LOG_INFO, "To start: model new depth=4 width=64; data task=reverse; probe rank grads attn updates every=10; train steps=300\n");
        char *tour = scene_resolve("tour");
        if (tour) tui_log_printf(&log, TUI_LOG_INFO, "or take the guided tour: blocklab --tui tour\n");
        free(tour);
    }
    for (int i = 0; i < n; i++) worker_play(&w, scenes[i].name, scenes[i].text, scenes[i].sandbox);

    TuiHost host = {&f, &log, host_snapshot, host_arch, host_control, host_feed, host_text, host_clear};
    TuiOptions opt = {sigint, &got_term, 1, getenv("BLOCKLAB_FRAME_LOG")};
    int rc = tui_run(&host, &opt, err, cap);

    worker_stop(&w);
    repl_embed_stop();
    repl_free(&repl);
    tui_log_free(&log);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    if (rc) return 1;
    return got_term ? 128 + got_term : 0;
}
