/* sandbox.c — resolving a scene's paths and keeping them inside its box; see
 * sandbox.h. Resolution canonicalises the longest existing prefix (realpath,
 * so symlinks are followed) and appends the rest, which may not hold `..`. */
#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int canonical_dir(const char *path, char *out, BlError *e, const char *what)
{
    char tmp[PATH_MAX];
    struct stat st;
    if (strlen(path) >= PATH_MAX) return bl_fail(e, "%s: the path is longer than %d bytes", what, PATH_MAX - 1);
    if (!realpath(path, tmp)) return bl_fail(e, "%s '%s': %s", what, path, strerror(errno));
    if (stat(tmp, &st) || !S_ISDIR(st.st_mode)) return bl_fail(e, "%s '%s' is not a folder", what, path);
    snprintf(out, PATH_MAX, "%s", tmp);
    return 0;
}

int sandbox_init(Sandbox *s, const char *out_dir, BlError *e)
{
    memset(s, 0, sizeof *s);
    s->out_is_cwd = out_dir == NULL;
    if (canonical_dir(out_dir ? out_dir : ".", s->out_dir, e, "--out")) return -1;
    snprintf(s->scene_dir, sizeof s->scene_dir, "%s", s->out_dir);
    return 0;
}

int sandbox_allow(Sandbox *s, const char *path, int write, BlError *e)
{
    int *n = write ? &s->n_write : &s->n_read;
    if (*n == SANDBOX_MAX_ALLOW) return bl_fail(e, "at most %d --allow-%s paths", SANDBOX_MAX_ALLOW, write ? "write" : "read");
    char tmp[PATH_MAX];
    if (strlen(path) >= PATH_MAX) return bl_fail(e, "--allow-%s: the path is longer than %d bytes", write ? "write" : "read", PATH_MAX - 1);
    if (!realpath(path, tmp)) return bl_fail(e, "--allow-%s '%s': %s", write ? "write" : "read", path, strerror(errno));
    snprintf(write ? s->allow_write[(*n)++] : s->allow_read[(*n)++], PATH_MAX, "%s", tmp);
    return 0;
}

int sandbox_enter(Sandbox *s, const char *scene_path, BlError *e)
{
    char dir[PATH_MAX];
    if (strlen(scene_path) >= PATH_MAX) return bl_fail(e, "scene path longer than %d bytes", PATH_MAX - 1);
    snprintf(dir, sizeof dir, "%s", scene_path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = 0;
    else *slash = 0;
    return canonical_dir(dir, s->scene_dir, e, "scene folder");
}

/* joined, made canonical: realpath of the longest existing prefix plus the
 * components after it (no `..` among them; a dangling symlink is refused,
 * since writing through it would create its target wherever it points). */
static int canonical(const char *joined, char *out, const char **why)
{
    char head[PATH_MAX];
    snprintf(head, sizeof head, "%s", joined);
    size_t len = strlen(head);
    for (;;) {
        char real[PATH_MAX];
        struct stat st;
        if (realpath(head, real)) {
            const char *rest = joined + strlen(head);
            while (*rest == '/') rest++;
            for (const char *c = rest; *c;) {
                const char *end = strchr(c, '/');
                size_t n = end ? (size_t)(end - c) : strlen(c);
                if (n == 2 && c[0] == '.' && c[1] == '.') return *why = "'..' after a folder that does not exist", -1;
                c += n;
                while (*c == '/') c++;
            }
            int k = snprintf(out, PATH_MAX, "%s%s%s", real, *rest && strcmp(real, "/") ? "/" : "", rest);
            if (k >= PATH_MAX) return *why = "the resolved path is too long", -1;
            /* Drop "/." components and trailing slashes the rest may hold. */
            return 0;
        }
        if (errno != ENOENT) return *why = strerror(errno), -1;
        if (lstat(head, &st) == 0 && S_ISLNK(st.st_mode)) return *why = "a symlink that points nowhere", -1;
        char *slash = strrchr(head, '/');
        if (!slash || len == 0) return *why = "no existing folder above it", -1;
        if (slash == head) { head[1] = 0; continue; }
        *slash = 0;
        len = strlen(head);
    }
}

/* base/path made canonical into out; -1 when too long, else 0 with *why set
 * when it cannot be resolved. */
static int resolve_in(const char *base, const char *path, char *out, const char **why)
{
    char joined[PATH_MAX];
    int k = base[0] ? snprintf(joined, sizeof joined, "%s/%s", base, path) : snprintf(joined, sizeof joined, "%s", path);
    if (k < 0 || k >= PATH_MAX) return -1;
    *why = NULL;
    canonical(joined, out, why);
    return 0;
}

static int below(const char *path, const char *root)
{
    size_t n = strlen(root);
    if (!strcmp(root, "/")) return 1;
    return !strncmp(path, root, n) && (path[n] == 0 || path[n] == '/');
}

static int allowed(const Sandbox *s, const char *path, int write, int scene_dir_ok)
{
    if (below(path, s->out_dir)) return 1;
    for (int i = 0; i < s->n_write; i++)
        if (below(path, s->allow_write[i])) return 1;
    if (write) return 0;
    if (scene_dir_ok && below(path, s->scene_dir)) return 1;
    for (int i = 0; i < s->n_read; i++)
        if (below(path, s->allow_read[i])) return 1;
    return 0;
}

static int fits(char *out, size_t cap, const char *what, const char *s, BlError *e)
{
    size_t n = strlen(s);
    if (n >= cap) return bl_fail(e, "%s: the path is %zu bytes long (at most %zu)", what, n, cap - 1);
    memcpy(out, s, n + 1);
    return 0;
}

int sandbox_path(const Sandbox *s, const char *what, const char *path, int write, char *out, size_t cap, BlError *e)
{
    char expanded[PATH_MAX + 8];
    const char *home = getenv("HOME");
    if (!path[0]) return bl_fail(e, "%s: the path is empty", what);
    size_t plen = strlen(path);
    if (plen >= PATH_MAX || plen >= cap) return bl_fail(e, "%s: the path is %zu bytes long (at most %zu)", what, plen,
                                                        (cap < PATH_MAX ? cap : PATH_MAX) - 1);
    int tilde = path[0] == '~' && (path[1] == '/' || path[1] == 0);
    if (tilde && home) {
        if ((size_t)snprintf(expanded, sizeof expanded, "%s%s", home, path + 1) >= PATH_MAX)
            return bl_fail(e, "%s: the path is longer than %d bytes once ~ is expanded", what, PATH_MAX - 1);
    } else {
        snprintf(expanded, sizeof expanded, "%s", path);
    }
    if (!s) return fits(out, cap, what, expanded, e);

    /* In a scene: resolve against the box's folders, then check the result. */
    int absolute = expanded[0] == '/';
    char resolved[PATH_MAX] = "", other[PATH_MAX];
    const char *why = NULL, *base = absolute ? "" : write ? s->out_dir : s->scene_dir;
    if (resolve_in(base, expanded, resolved, &why) < 0)
        return bl_fail(e, "%s: '%s' is longer than %d bytes once resolved", what, path, PATH_MAX - 1);
    struct stat st;
    if (!why && !write && !absolute && stat(resolved, &st) != 0 && strcmp(s->scene_dir, s->out_dir)) {
        /* Not next to the scene: a file the scene wrote into its output folder? */
        const char *why2 = NULL;
        if (resolve_in(s->out_dir, expanded, other, &why2) == 0 && !why2 && stat(other, &st) == 0) {
            snprintf(resolved, sizeof resolved, "%s", other);
            base = s->out_dir;
        }
    }
    const char *sep = what[0] && what[strlen(what) - 1] == '=' ? "" : " ";
    if (why) return bl_fail(e, "%s%s%s: refused in a scene: %s (--trust allows it)", what, sep, path, why);
    if (!s->trust && !allowed(s, resolved, write, 1)) {
        if (write)
            return bl_fail(e, "%s%s%s: a scene writes only inside its output folder %s, and this is %s "
                           "(--out DIR, --allow-write PATH or --trust allows it)", what, sep, path, s->out_dir, resolved);
        return bl_fail(e, "%s%s%s: a scene reads only from its folder %s and its output folder %s, and this is %s "
                       "(--allow-read PATH or --trust allows it)", what, sep, path, s->scene_dir, s->out_dir, resolved);
    }
    /* Keep the person's relative spelling when it means the same file. */
    if (s->out_is_cwd && !absolute && !tilde && !strcmp(base, s->out_dir)) return fits(out, cap, what, expanded, e);
    return fits(out, cap, what, resolved, e);
}
