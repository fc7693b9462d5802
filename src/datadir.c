/* datadir.c — the data folder, found beside the executable first: `make install
 * PREFIX=~/.local` works without root and the tree may move, so the folder
 * compiled in from PREFIX (BL_DATADIR) is only the last resort. */
#include "datadir.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#ifndef BL_DATADIR
#define BL_DATADIR "/usr/local/share/blocklab"
#endif

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Keeps dir (canonical) in out when it holds a scenes/ folder. */
static int try_dir(const char *dir, char *out)
{
    char scenes[PATH_MAX + 64];
    snprintf(scenes, sizeof scenes, "%s/scenes", dir);
    return is_dir(scenes) && realpath(dir, out) != NULL;
}

const char *datadir(void)
{
    static char dir[PATH_MAX];
    static int done;
    if (done) return dir[0] ? dir : NULL;
    done = 1;
    char exe[PATH_MAX], cand[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;   /* the executable's folder */
        snprintf(cand, sizeof cand, "%s/../share/blocklab", exe);
        if (try_dir(cand, dir) || try_dir(exe, dir)) return dir;
    }
    if (try_dir(BL_DATADIR, dir)) return dir;
#ifdef BL_SRCDIR
    if (try_dir(BL_SRCDIR, dir)) return dir;   /* build/blocklab, build-san/blocklab */
#endif
    dir[0] = 0;
    return NULL;
}

char *scene_resolve(const char *arg)
{
    if (is_file(arg)) return xstrdup(arg);
    const char *d = datadir();
    if (strchr(arg, '/') || !d || !arg[0]) return NULL;
    static const char *const form[] = {"%s/scenes/%s", "%s/scenes/%s.bl"};
    for (int i = 0; i < 2; i++) {
        size_t cap = strlen(d) + strlen(arg) + 16;
        char *path = xmalloc(cap);
        snprintf(path, cap, form[i], d, arg);
        if (is_file(path)) return path;
        free(path);
    }
    return NULL;
}

/* The first sentence (or clause before a colon) of a scene's header comment,
 * without "NAME.bl — " and parentheses, cut to fit a line. */
static void scene_summary(const char *path, char *out, size_t cap)
{
    char text[1024] = "", line[512];
    FILE *f = fopen(path, "r");
    out[0] = 0;
    if (!f) return;
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        line[strcspn(line, "\n")] = 0;
        const char *s = line + 1 + (line[1] == ' ');
        if (!text[0]) {
            const char *dash = strstr(s, "\u2014 ");   /* "tour.bl — the first run ..." */
            if (dash) s = dash + strlen("\u2014 ");
        }
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s%s", used ? " " : "", s);
    }
    fclose(f);
    size_t k = 0;
    int depth = 0;
    for (const char *p = text; *p && k + 1 < cap; p++) {
        if (*p == '(' && depth++ == 0) while (k && out[k - 1] == ' ') k--;
        else if (*p == ')' && depth) depth--;
        else if (!depth && (*p == '.' || (*p == ':' && k >= 24)) && (p[1] == ' ' || !p[1])) break;
        else if (!depth && !(*p == ' ' && (k == 0 || out[k - 1] == ' '))) out[k++] = *p;
    }
    while (k && out[k - 1] == ' ') k--;
    out[k] = 0;
    if (k > 68) {   /* cut at a word, on a character boundary */
        k = 68;
        while (k && out[k] != ' ') k--;
        snprintf(out + k, cap - k, " ...");
    }
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int scene_list(FILE *f)
{
    const char *d = datadir();
    if (!d) return -1;
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/scenes", d);
    DIR *dir = opendir(path);
    if (!dir) return -1;
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len <= 3 || e->d_name[0] == '.' || strcmp(e->d_name + len - 3, ".bl")) continue;
        if (n == cap) names = xrealloc(names, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof *names, by_name);
    int w = 0;   /* the widest name (without .bl) sets the column */
    for (int i = 0; i < n; i++)
        if ((int)strlen(names[i]) - 3 > w) w = (int)strlen(names[i]) - 3;
    fprintf(f, "scenes in %s/scenes (blocklab --tui NAME plays one in the dashboard, blocklab NAME in batch):\n", d);
    for (int i = 0; i < n; i++) {
        char summary[128];
        snprintf(path, sizeof path, "%s/scenes/%s", d, names[i]);
        scene_summary(path, summary, sizeof summary);
        fprintf(f, "  %-*.*s  %s\n", w, (int)strlen(names[i]) - 3, names[i], summary);
        free(names[i]);
    }
    free(names);
    return 0;
}
