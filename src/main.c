/* main.c — the program's entry: options, signals, choosing the front end
 * (batch, the dashboard, the plain prompt) and exit codes. The only place that
 * exits. Batch output is plain text on stdout, errors on stderr as
 * "SOURCE:LINE:COL: what" (SOURCE: a file, -c or stdin).
 *
 * The rule: FILE.bl, -c or stdin that is not a terminal run in batch; with no
 * source on a terminal the dashboard opens (the plain prompt with --repl, or
 * when TERM cannot address the screen); --tui plays FILE.bl / -c in the
 * dashboard instead of in batch. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"
#include "exec.h"
#include "par.h"
#include "repl.h"
#include "sandbox.h"
#include "tui_front.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPT = 130 };

/* The one mutable global: set by SIGINT, read by training and the REPL. */
static atomic_int interrupted;   /* lock-free: safe to set from the SIGINT handler */

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: blocklab [-k] [-c COMMANDS | FILE.bl]...\n"
            "       blocklab --tui [-c COMMANDS | FILE.bl]...\n"
            "       blocklab --repl | --scenes | --help | --version\n"
            "\n"
            "A terminal laboratory for transformer internals: build a small transformer\n"
            "block by block, train it on the CPU, watch its signals, sample from it.\n"
            "\n"
            "  blocklab                  the dashboard (live charts, log, command line),\n"
            "                            when stdin and stdout are a terminal\n"
            "  blocklab --tui FILE.bl    the dashboard, playing FILE.bl in it first\n"
            "  blocklab --repl           a plain interactive prompt instead of the dashboard\n"
            "  blocklab FILE.bl          run a script of commands, then exit\n"
            "  blocklab -c 'COMMANDS'    run commands given here, then exit\n"
            "  echo 'help' | blocklab    run commands read from stdin, then exit\n"
            "  blocklab --tui tour       a scene by name (blocklab --scenes lists them)\n"
            "\n"
            "options:\n"
            "  -c COMMANDS    run COMMANDS; -c and FILE may repeat and run in order\n"
            "  -k, --keep-going  after a command fails, report it and run the next one\n"
            "                 (the exit status is still 1)\n"
            "  --tui          open the dashboard and play the FILEs and -c there\n"
            "                 (training runs in the background; ? lists the keys)\n"
            "  --repl         the plain prompt, for terminals or people that prefer it\n"
            "  --scenes       list the scenes that come with blocklab; a FILE that is not\n"
            "                 a file plays the scene of that name\n"
            "  --out DIR      a scene FILE writes only inside DIR (default: here)\n"
            "  --allow-write PATH, --allow-read PATH\n"
            "                 let scene FILEs write (or read) below PATH too\n"
            "  --trust        no sandbox for scene FILEs (see SECURITY in blocklab(1))\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n"
            "\n"
            "commands:");
    for (const Verb *v = verb_table; v->name; v++) fprintf(f, " %s", v->name);
    fprintf(f,
            "\n"
            "  (`blocklab -c help` lists them, `blocklab -c 'help train'` explains one)\n"
            "\n"
            "examples:\n"
            "  blocklab -c 'model new depth=2 width=64; data task=reverse; train steps=200; sample'\n"
            "  blocklab --tui tour      the guided tour (make run plays it)\n"
            "\n"
            "exit status: 0 ok, 1 a command failed, 2 usage error, 130 interrupted,\n"
            "143 the dashboard got SIGTERM.\n"
            "See blocklab(1).\n");
}

/* Reads a whole file (or stdin for "-") into a NUL-terminated buffer. */
static char *read_all(const char *path, const char **why)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return *why = strerror(errno), NULL;
    size_t n = 0, cap = 4096;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = xrealloc(buf, cap *= 2);
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    buf[n] = 0;
    if (bad) return free(buf), *why = "read error", NULL;
    if (memchr(buf, 0, n)) return free(buf), *why = "it looks binary (a NUL byte): expected a text file of commands", NULL;
    return buf;
}

typedef struct Source {
    const char *name;   /* for messages: the file, "-c" or "stdin" */
    const char *text;   /* -c text, or NULL: read name */
    Sandbox    *box;    /* a scene file's sandbox (owned); NULL for -c and stdin */
} Source;

/* Batch errors: "SOURCE:LINE:COL: what" on stderr. */
static void report(void *ctx, const ExecError *err)
{
    const char *name = ctx;
    if (err->col > 0) fprintf(stderr, "%s:%d:%d: %s\n", name, err->line, err->col, err->msg);
    else fprintf(stderr, "%s:%d: %s\n", name, err->line, err->msg);
}

/* Runs one source in batch mode; returns an exit status, or -1 to go on. */
static int run_source(VerbCtx *vc, const Source *s, int keep_going)
{
    char *owned = NULL;
    const char *text = s->text;
    if (!text) {
        const char *why = "";
        owned = read_all(strcmp(s->name, "stdin") ? s->name : "-", &why);
        if (!owned) {
            fprintf(stderr, "blocklab: cannot read '%s': %s\n", s->name, why);
            return EXIT_USAGE;
        }
        text = owned;
    }
    int line = 0;
    vc->sandbox = s->box;
    int rc = exec_text(vc, text, keep_going, report, (void *)s->name, &line), status = -1;
    vc->sandbox = NULL;
    if (rc == EXEC_FAILED) {
        status = EXIT_FAIL;
    } else if (rc == EXEC_INTERRUPTED) {
        fprintf(stderr, "%s:%d: interrupted; the commands after it were not run\n", s->name, line);
        status = EXIT_INTERRUPT;
    } else if (rc == EXEC_QUIT) {
        status = EXIT_OK;
    }
    free(owned);
    return status;
}

/* OpenMP's spin before its idle threads sleep (core/par.h PAR_SPINCOUNT) is
 * read by libgomp before main: set it and run this program again, once. */
static void par_environment(char **argv)
{
    if (getenv("GOMP_SPINCOUNT") || getenv("OMP_WAIT_POLICY")) return;
    if (setenv("GOMP_SPINCOUNT", PAR_SPINCOUNT, 0) != 0) return;
    execv("/proc/self/exe", argv);   /* returns only on failure: go on with libgomp's default */
}

int main(int argc, char **argv)
{
    par_environment(argv);
    Source *src = xcalloc((size_t)argc + 1, sizeof *src);
    int n = 0, options = 1, keep_going = 0, want_tui = 0, want_repl = 0, trust = 0;
    const char *out_dir = NULL;
    const char **allow = xcalloc((size_t)argc + 1, sizeof *allow);   /* "w"/"r" then PATH, in pairs */
    int n_allow = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            usage(stdout);
            free(allow);
            free(src);
            return EXIT_OK;
        }
        if (options && (!strcmp(a, "-V") || !strcmp(a, "--version"))) {
            printf("blocklab %s\n", BL_VERSION);
            free(allow);
            free(src);
            return EXIT_OK;
        }
        if (options && (!strcmp(a, "-k") || !strcmp(a, "--keep-going"))) {
            keep_going = 1;
        } else if (options && !strcmp(a, "--tui")) {
            want_tui = 1;
        } else if (options && !strcmp(a, "--repl")) {
            want_repl = 1;
        } else if (options && !strcmp(a, "--trust")) {
            trust = 1;
        } else if (options && (!strcmp(a, "--out") || !strcmp(a, "--allow-write") || !strcmp(a, "--allow-read"))) {
            if (i + 1 >= argc) {
                fprintf(stderr, "blocklab: %s needs a PATH (blocklab --help)\n", a);
                free(allow);
                free(src);
                return EXIT_USAGE;
            }
            if (!strcmp(a, "--out")) out_dir = argv[++i];
            else allow[n_allow++] = a, allow[n_allow++] = argv[++i];
        } else if (options && !strcmp(a, "--scenes")) {
            free(allow);
            free(src);
            if (scene_list(stdout) == 0) return EXIT_OK;
            fprintf(stderr, "blocklab: no scenes found: none in ../share/blocklab beside the executable, "
                            "in its install folder or in its source tree (make install puts them there)\n");
            return EXIT_FAIL;
        } else if (options && !strcmp(a, "--")) {
            options = 0;
        } else if (options && !strcmp(a, "-c")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "blocklab: -c needs COMMANDS, e.g. blocklab -c 'help'\n");
                free(allow);
            free(src);
                return EXIT_USAGE;
            }
            src[n++] = (Source){"-c", argv[++i], NULL};
        } else if (options && a[0] == '-' && a[1]) {
            fprintf(stderr, "blocklab: unknown option '%s' (blocklab --help lists the options)\n", a);
            free(allow);
            free(src);
            return EXIT_USAGE;
        } else {
            src[n++] = (Source){strcmp(a, "-") ? a : "stdin", NULL, NULL};
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: select() in the REPL wakes up */

    const char *term = getenv("TERM");
    int ttys = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    int addressable = term && *term && strcmp(term, "dumb");
    if (want_tui && want_repl) {
        fprintf(stderr, "blocklab: --tui and --repl exclude each other (blocklab --help)\n");
        free(allow);
        free(src);
        return EXIT_USAGE;
    }
    if (want_repl && n > 0) {
        fprintf(stderr, "blocklab: --repl takes no FILE or -c (blocklab --tui FILE.bl plays one in the dashboard)\n");
        free(allow);
        free(src);
        return EXIT_USAGE;
    }
    if (want_tui && !(ttys && addressable)) {
        fprintf(stderr, "blocklab: --tui needs a terminal on stdin and stdout with a TERM that moves the cursor "
                        "(run FILE.bl without --tui for batch)\n");
        free(allow);
        free(src);
        return EXIT_USAGE;
    }
    /* A FILE that is not a file may name a scene: "tour" plays scenes/tour.bl of
     * the data folder. Resolved paths are kept until exit. */
    char **paths = xcalloc((size_t)argc + 1, sizeof *paths);
    for (int i = 0; i < n; i++) {
        if (src[i].text || !strcmp(src[i].name, "stdin")) continue;
        if ((paths[i] = scene_resolve(src[i].name))) {
            src[i].name = paths[i];
        } else {
            fprintf(stderr, "blocklab: cannot read '%s': no such file or scene (blocklab --scenes lists the scenes)\n",
                    src[i].name);
            for (int j = 0; j < i; j++) free(paths[j]);
            free(paths);
            free(allow);
            free(src);
            return EXIT_USAGE;
        }
    }

    /* Every scene FILE gets the same box around its own folder. */
    Sandbox base;
    BlError be;
    int bad = sandbox_init(&base, out_dir, &be);
    base.trust = trust;
    for (int i = 0; i < n_allow && !bad; i += 2) bad = sandbox_allow(&base, allow[i + 1], !strcmp(allow[i], "--allow-write"), &be);
    for (int i = 0; i < n && !bad; i++) {
        if (src[i].text || !strcmp(src[i].name, "stdin")) continue;
        src[i].box = xmalloc(sizeof *src[i].box);
        *src[i].box = base;
        bad = sandbox_enter(src[i].box, src[i].name, &be);
    }
    free(allow);
    if (bad) {
        fprintf(stderr, "blocklab: %s\n", be.msg);
        for (int i = 0; i < n; i++) free(src[i].box), free(paths[i]);
        free(paths);
        free(src);
        return EXIT_USAGE;
    }

    int tui = want_tui || (n == 0 && !want_repl && ttys && addressable);

    Workspace ws;
    ws_init(&ws);
    int batch = !tui && (n > 0 || !isatty(STDIN_FILENO));
    const char *nc = getenv("NO_COLOR");
    int color = !batch && isatty(STDOUT_FILENO) && !(nc && nc[0]);
    Out out = out_stdio(stdout, color);
    VerbCtx vc = {.ws = &ws, .out = &out, .stop = &interrupted};
    int status = EXIT_OK;
    if (tui) {
        FrontScene *scenes = xcalloc((size_t)n + 1, sizeof *scenes);
        char **texts = xcalloc((size_t)n + 1, sizeof *texts);
        for (int i = 0; i < n && status == EXIT_OK; i++) {
            const char *why = "";
            scenes[i].name = src[i].name;
            scenes[i].text = src[i].text;
            scenes[i].sandbox = src[i].box;
            if (!src[i].text && !(scenes[i].text = texts[i] = read_all(src[i].name, &why))) {
                fprintf(stderr, "blocklab: cannot read '%s': %s\n", src[i].name, why);
                status = EXIT_USAGE;
            }
        }
        char err[512] = "";
        if (status == EXIT_OK) {
            status = tui_front_run(&ws, scenes, n, &interrupted, err, (int)sizeof err);
            if (err[0]) fprintf(stderr, "blocklab: %s\n", err);
        }
        for (int i = 0; i < n; i++) free(texts[i]);
        free(texts);
        free(scenes);
    } else if (batch) {
        if (n == 0) src[n++] = (Source){"stdin", NULL, NULL};
        for (int i = 0; i < n; i++) {
            int rc = run_source(&vc, &src[i], keep_going);
            if (rc == EXIT_FAIL && keep_going) {
                status = EXIT_FAIL;
                continue;
            }
            if (rc >= 0) {
                status = rc;
                break;
            }
        }
    } else {
        Repl r;
        repl_init(&r, &vc, &interrupted, color);
        repl_loop(&r);
        repl_free(&r);
    }
    ws_free(&ws);
    for (int i = 0; i < n; i++) free(src[i].box);
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
    free(src);
    return status;
}
