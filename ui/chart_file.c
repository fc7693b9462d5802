/* chart_file.c — temp-file-and-rename writes for chart exports. A hard link
 * publishes the file without ever replacing one that exists (link fails with
 * EEXIST, atomically); rename is used only with force or where links are missing. */
#include "chart_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    size_t n = (size_t)(slash - path);
    char *d = xmalloc(n + 1);
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

static void clear(ChartFile *cf)
{
    free(cf->path);
    free(cf->tmp);
    cf->f = NULL;
    cf->path = cf->tmp = NULL;
}

int chart_file_open(ChartFile *cf, const char *path, int force, BlError *err)
{
    memset(cf, 0, sizeof *cf);
    if (!path || !*path) return bl_fail(err, "no file name given");
    size_t plen = strlen(path);
    if (path[plen - 1] == '/') return bl_fail(err, "cannot write %s: that names a directory, not a file", path);

    char *dir = dir_of(path);
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        bl_fail(err, e == ENOENT ? "cannot write %s: directory %s does not exist" : "cannot write %s: directory %s: %s",
                path, dir, strerror(e));
        free(dir);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        bl_fail(err, "cannot write %s: %s is not a directory", path, dir);
        free(dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        bl_fail(err, "cannot write %s: directory %s is not writable", path, dir);
        free(dir);
        return -1;
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            free(dir);
            return bl_fail(err, "cannot write %s: it is a directory", path);
        }
        if (!force) {
            free(dir);
            return bl_fail(err, "%s already exists (force=on overwrites it)", path);
        }
    }

    /* Name the temporary after the target so a stray one explains itself; the
     * pid and a counter keep concurrent writers apart. open(O_EXCL) with 0666
     * lets the umask decide permissions, as for any new file. */
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t tlen = strlen(dir) + strlen(base) + 64;
    char *tmp = xmalloc(tlen);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tlen, "%s/.%s.tmp.%ld.%d", dir, base, (long)getpid(), attempt);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        bl_fail(err, "cannot write %s: cannot create a file in %s: %s", path, dir, strerror(errno));
        free(dir);
        free(tmp);
        return -1;
    }
    free(dir);
    cf->f = fdopen(fd, "wb");
    if (!cf->f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return bl_fail(err, "cannot write %s: %s", path, strerror(e));
    }
    cf->path = xstrdup(path);
    cf->tmp = tmp;
    cf->force = force;
    return 0;
}

void chart_file_abort(ChartFile *cf)
{
    if (cf->f) fclose(cf->f);
    if (cf->tmp) unlink(cf->tmp);
    clear(cf);
}

int chart_file_commit(ChartFile *cf, BlError *err)
{
    if (!cf->f) return bl_fail(err, "chart file was not open");
    int failed = fflush(cf->f) != 0 || ferror(cf->f);
    int e = errno;
    if (!failed && fsync(fileno(cf->f)) != 0 && errno != EINVAL) { failed = 1; e = errno; }
    if (fclose(cf->f) != 0 && !failed) { failed = 1; e = errno; }
    cf->f = NULL;
    if (failed) {
        bl_fail(err, "cannot write %s: %s", cf->path, strerror(e));
        chart_file_abort(cf);
        return -1;
    }
    int rc = 0;
    if (cf->force) {
        if (rename(cf->tmp, cf->path) != 0) rc = bl_fail(err, "cannot write %s: %s", cf->path, strerror(errno));
    } else if (link(cf->tmp, cf->path) == 0) {
        unlink(cf->tmp);
    } else if (errno == EEXIST) {
        rc = bl_fail(err, "%s already exists (force=on overwrites it)", cf->path);
    } else {
        /* A file system without hard links: check again, then rename. */
        struct stat st;
        if (stat(cf->path, &st) == 0) rc = bl_fail(err, "%s already exists (force=on overwrites it)", cf->path);
        else if (rename(cf->tmp, cf->path) != 0) rc = bl_fail(err, "cannot write %s: %s", cf->path, strerror(errno));
    }
    if (rc != 0) unlink(cf->tmp);
    clear(cf);
    return rc;
}
