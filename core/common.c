/* common.c — error formatting, checked allocation, clock. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int bl_fail(BlError *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static atomic_long allocs;

long bl_alloc_count(void) { return atomic_load_explicit(&allocs, memory_order_relaxed); }

static void oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "blocklab: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
    abort();
}

void *bl_xmalloc(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    if (!p) oom(n, file, line);
    return p;
}

void *bl_xcalloc(size_t n, size_t size, const char *file, int line)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    if (!p) oom(n * size, file, line);
    return p;
}

void *bl_xrealloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
    if (!q) oom(n, file, line);
    return q;
}

char *bl_xstrdup(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    char *d = bl_xmalloc(n, file, line);
    memcpy(d, s, n);
    return d;
}

int bl_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-') return -1;
    *out = u;
    return 0;
}

double bl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
