/* common.h — errors, checked allocation and small helpers shared by all of core/.
 * Not a place for policy: nothing here prints to a terminal or exits, except
 * xmalloc's loud abort when memory runs out (the one failure we cannot report). */
#ifndef BL_COMMON_H
#define BL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define BL_VERSION "0.1.0"

/* Every fallible core function returns 0 on success or -1 on failure and, on
 * failure, fills a BlError with one line: what went wrong, where, what was
 * expected. Callers decide what to do with it; only src/main.c exits. */
typedef struct BlError {
    char msg[512];
} BlError;

/* Formats into e->msg (e may be NULL) and returns -1, so code can say
 * `return bl_fail(e, "width %d is not a multiple of heads %d", w, h);`. */
int bl_fail(BlError *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Allocation that cannot fail quietly: on out-of-memory it prints file:line
 * to stderr and aborts. Returned memory is owned by the caller (free()). */
#define xmalloc(n)     bl_xmalloc((n), __FILE__, __LINE__)
#define xcalloc(n, s)  bl_xcalloc((n), (s), __FILE__, __LINE__)
#define xrealloc(p, n) bl_xrealloc((p), (n), __FILE__, __LINE__)
#define xstrdup(s)     bl_xstrdup((s), __FILE__, __LINE__)
void *bl_xmalloc(size_t n, const char *file, int line);
void *bl_xcalloc(size_t n, size_t size, const char *file, int line);
void *bl_xrealloc(void *p, size_t n, const char *file, int line);
char *bl_xstrdup(const char *s, const char *file, int line);
/* How many allocations xmalloc/xcalloc/xrealloc/xstrdup have made so far, so a
 * test can assert that a warm training step (with its probes) makes none. */
long bl_alloc_count(void);

/* A whole number >= 0 in decimal, all of s (no sign, no trailing text, no
 * overflow): 0 and *out, else -1. For seeds and other 64-bit keys. */
int bl_parse_u64(const char *s, uint64_t *out);

/* Monotonic wall clock in seconds, for tok/s and ms/step figures. */
double bl_now(void);

#endif
