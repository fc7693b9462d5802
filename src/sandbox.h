/* sandbox.h — what a scene file may touch. A scene (`blocklab FILE.bl`,
 * `--tui FILE.bl`) is a file someone else may have written: it writes only
 * inside its output folder (where blocklab runs, or --out DIR) and reads only
 * from its own folder, the output folder and the built-in sources (tasks,
 * fortunes). `..`, absolute paths, `~` and symlinks that leave those are
 * refused unless the person running it widens the box with --allow-write PATH,
 * --allow-read PATH or --trust. What a person types (the prompt, -c, stdin) is
 * not sandboxed: VerbCtx.sandbox is NULL then. Paths are never truncated: one
 * longer than the buffer is an error. */
#ifndef BL_SANDBOX_H
#define BL_SANDBOX_H

#include <limits.h>
#include <stddef.h>

#include "common.h"

#define SANDBOX_MAX_ALLOW 16

typedef struct Sandbox {
    char out_dir[PATH_MAX];      /* canonical: relative writes land here */
    int  out_is_cwd;             /* 1: keep relative paths relative in messages */
    char scene_dir[PATH_MAX];    /* canonical folder of the scene being played */
    char allow_write[SANDBOX_MAX_ALLOW][PATH_MAX];   /* canonical; writes (and reads) allowed below */
    char allow_read[SANDBOX_MAX_ALLOW][PATH_MAX];    /* canonical; reads allowed below */
    int  n_write, n_read;
    int  trust;                  /* --trust: no box at all */
} Sandbox;

/* Sets the output folder (NULL: the current directory); it must exist. */
int  sandbox_init(Sandbox *s, const char *out_dir, BlError *e);
/* Adds an --allow-write / --allow-read PATH (it must exist). */
int  sandbox_allow(Sandbox *s, const char *path, int write, BlError *e);
/* Sets the scene being played: its folder becomes readable. */
int  sandbox_enter(Sandbox *s, const char *scene_path, BlError *e);

/* The path a command names, as it will be opened: "~/" is $HOME; relative
 * paths are relative to the current directory (s NULL), the output folder
 * (writes) or the scene's folder, then the output folder (reads). In a
 * sandbox the resolved path must stay inside what is allowed (symlinks
 * followed). Returns 0 with the path in out, or -1 with one line: what, the
 * folder it leaves and how to allow it. what: "save", "data text=", ... */
int  sandbox_path(const Sandbox *s, const char *what, const char *path, int write, char *out, size_t cap, BlError *e);

#endif
